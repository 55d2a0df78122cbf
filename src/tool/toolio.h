/* toolio.h — file plumbing shared by status, export, analyze and report: a cube read together
 * with its journal (output files: imp_outfile in atomic.h). */
#ifndef IMPRINT_TOOL_TOOLIO_H
#define IMPRINT_TOOL_TOOLIO_H

#include <stdio.h>

#include <cjson/cJSON.h>
#include <stdint.h>

#include "imprint/atomic.h"
#include "imprint/cube.h"
#include "imprint/err.h"

/* Read the cube at path and, unless no_journal, merge "<path>.journal" when it exists (the
 * journal is the source of truth of a running sweep: the cube may lag it by a few seconds).
 * A journal that cannot be merged (other grid, corrupt) is reported on note and skipped.
 * note (may be NULL) gets one "journal: …" line when a journal was looked at. Caller frees
 * *out with imp_cube_free. */
int imp_tool_load_cube(const char *path, int no_journal, FILE *note, imp_cube **out,
                       imp_err *err);

/* --json output: print obj on one line to stdout and delete it (obj NULL = cJSON ran out of
 * memory). Returns 0, or IMP_ENOMEM. */
int imp_tool_print_json(cJSON *obj, imp_err *err);
/* Add a 64-bit integer exactly (a JSON number of all its digits; cJSON's doubles would round
 * beyond 2^53). Returns obj's item or NULL. */
cJSON *imp_json_add_u64(cJSON *obj, const char *name, uint64_t v);

#endif
