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

/* The cube an argument names: a job file (any file that is not HDF5, detected by content)
 * names its cube (`cube:`, relative to the job's folder); anything else is taken as the cube.
 * *cube_path malloc'd, caller frees. Errors: the job's (for a .yaml / .yml name), else
 * IMP_EINPUT "ARG: neither a result cube ... nor a job file (...)". */
int imp_tool_cube_path(const char *arg, char **cube_path, imp_err *err);

/* Read the cube that arg names (imp_tool_cube_path) and, unless no_journal, apply
 * "<cube>.journal" when it exists to the copy in memory (the journal is the source of truth
 * of a running sweep: the cube may lag it by a few seconds); no file is written. A journal
 * that cannot be applied (other grid, corrupt) is reported on note and skipped. note (may be
 * NULL) gets one "journal: … read (N records)" line when a journal was looked at. Caller
 * frees *out with imp_cube_free and, when cube_path is not NULL, *cube_path (the cube's
 * path). */
int imp_tool_load_cube(const char *arg, int no_journal, FILE *note, imp_cube **out,
                       char **cube_path, imp_err *err);

/* Is the job file one of the examples installed with the tool (in a .../share/imprint/jobs
 * folder), whose relative store: and cube: point inside the installation? Then 1 and a
 * message into msg saying to copy it (plan prints it as a note, sweep refuses); else 0. */
int imp_tool_installed_example(const char *job_path, char *msg, size_t n);

/* --json output: print obj on one line to stdout and delete it (obj NULL = cJSON ran out of
 * memory). Returns 0, or IMP_ENOMEM. */
int imp_tool_print_json(cJSON *obj, imp_err *err);
/* Add a 64-bit integer exactly (a JSON number of all its digits; cJSON's doubles would round
 * beyond 2^53). Returns obj's item or NULL. */
cJSON *imp_json_add_u64(cJSON *obj, const char *name, uint64_t v);

#endif
