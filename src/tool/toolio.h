/* toolio.h — file plumbing shared by status, export and analyze: output files written
 * atomically (tmp + rename, "-" for stdout) and a cube read together with its journal. */
#ifndef IMPRINT_TOOL_TOOLIO_H
#define IMPRINT_TOOL_TOOLIO_H

#include <stdio.h>

#include "imprint/cube.h"
#include "imprint/err.h"

/* An output file being written: f writes to "<path>.tmp", which commit fsyncs and renames
 * over path, so readers see the old file or the whole new one. path "-" is stdout (commit
 * only flushes it). */
typedef struct imp_outfile {
    FILE *f;
    char *path, *tmp; /* owned; tmp NULL for stdout */
} imp_outfile;

/* Open; on failure nothing is left behind. */
int imp_outfile_open(imp_outfile *o, const char *path, imp_err *err);
/* Flush, fsync, close and rename into place; on failure the .tmp is removed. Frees o's
 * strings either way. */
int imp_outfile_commit(imp_outfile *o, imp_err *err);
/* Give up: close and remove the .tmp (safe after a failed open or a commit). */
void imp_outfile_abort(imp_outfile *o);

/* Read the cube at path and, unless no_journal, merge "<path>.journal" when it exists (the
 * journal is the source of truth of a running sweep: the cube may lag it by a few seconds).
 * A journal that cannot be merged (other grid, corrupt) is reported on note and skipped.
 * note (may be NULL) gets one "journal: …" line when a journal was looked at. Caller frees
 * *out with imp_cube_free. */
int imp_tool_load_cube(const char *path, int no_journal, FILE *note, imp_cube **out,
                       imp_err *err);

#endif
