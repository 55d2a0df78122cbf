/* cube.h — the result cube (docs/formats.md "The result cube"): dense per-cell arrays over
 * [model, task, strategy, k, shot, seed] in memory, written atomically to HDF5 with dimension
 * scales, read back, rebuilt from the journal, exported to CSV and summarised. */
#ifndef IMPRINT_CUBE_H
#define IMPRINT_CUBE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "imprint/axis.h"
#include "imprint/err.h"
#include "imprint/journal.h"

/* A cube in memory. Arrays have n_cells entries in row-major order (the cell index of
 * imp_cell_result); there is one array per row of measure.h's table (accuracy, f1,
 * gen_seconds, inf_seconds, n_proxies, host, rank, finished). Invariants kept by
 * imp_cube_create/apply/read:
 *  - status[c] in {PENDING, DONE, FAILED, NA}; NA cells are never changed by apply;
 *  - accuracy[c] and f1[c] are NaN unless status[c] == DONE; every measure is unknown (NaN,
 *    -1) for cells without a result (pending, n/a), and may be unknown for a result from an
 *    older journal;
 *  - host[c] is -1 or an index into host_name[0 .. n_host_name), whose names are distinct;
 *  - message[c] is NULL or an owned string, non-NULL only for FAILED cells.
 * Every pointer here is owned by the cube; free the whole with imp_cube_free. */
typedef struct imp_cube {
    imp_axes axes; /* owned (imp_axes_copy); names, values and the cell index: axis.h */
    uint64_t n_cells;
    uint8_t *status;
    IMP_MEASURE_ARRAY_FIELDS
    char **host_name; /* [n_host_name]: the hosts cells were computed on (/host_name) */
    size_t n_host_name;
    char **message;
    uint64_t *key; /* per cell: its key's hash (cellkey.h), 0 for n/a or unknown; /cell_key */
    /* root attributes; strings never NULL (may be ""). created/updated are ISO 8601 UTC,
     * set by imp_cube_write (created only if empty). */
    char *job, *store, *imprint_version, *created, *updated;
    uint64_t grid_hash;
} imp_cube;

/* The array of measure id (n_cells values of its kind's cube type: float, int32_t, double;
 * a host is an int32_t index). */
void *imp_cube_measure(const imp_cube *cube, imp_measure_id id);
/* The index of host name in cube->host_name, added if new; -1 for "" (unknown) or when out of
 * memory (then also IMP_ENOMEM in err). */
int32_t imp_cube_host_index(imp_cube *cube, const char *name, imp_err *err);

/* A new cube over a copy of axes: every cell pending, or n/a where valid[c] == 0 (valid may
 * be NULL: all valid). imprint_version is set to this build's; other strings "".
 * Caller frees *out with imp_cube_free. */
int imp_cube_create(const imp_axes *axes, const uint8_t *valid, imp_cube **out, imp_err *err);
void imp_cube_free(imp_cube *cube);
/* The grid -> cube adapter: a new cube over a job's grid (grid.h), its n/a cells marked, with
 * the job's text, store path and grid hash as attributes. Caller frees *out (imp_cube_free). */
struct imp_job;
struct imp_grid;
int imp_cube_from_grid(const struct imp_job *job, const struct imp_grid *g, imp_cube **out,
                       imp_err *err);
/* Replace the root attributes job (YAML text), store (path) and grid_hash; NULL keeps a string. */
int imp_cube_set_attrs(imp_cube *cube, const char *job, const char *store, uint64_t grid_hash,
                       imp_err *err);
/* Put one result into the cube (a later result for a cell replaces an earlier one). rec must
 * be DONE or FAILED, inside the grid and not on an n/a cell, else IMP_EINPUT. */
int imp_cube_apply(imp_cube *cube, const imp_cell_result *rec, imp_err *err);
/* The cells of a cube by key hash (built from cube->key; keys are distinct per cell). */
typedef struct imp_cube_keyindex imp_cube_keyindex;
int imp_cube_keyindex_build(const imp_cube *cube, imp_cube_keyindex **out, imp_err *err);
/* The cell whose key has this hash, or -1. */
int64_t imp_cube_keyindex_find(const imp_cube_keyindex *x, uint64_t hash);
size_t imp_cube_keyindex_size(const imp_cube_keyindex *x);
void imp_cube_keyindex_free(imp_cube_keyindex *x);

/* Apply a journal file (version 2) straight into the cube, streaming: a record fills the cell
 * whose key[] equals its key hash. Records matching no cell are counted in info->n_unmatched (and passed to unmatched, may be NULL) — results of
 * cells no longer in the grid, kept in the journal. A cube without keys, or a version 1
 * journal: IMP_EINPUT saying how to convert. */
int imp_cube_apply_journal_ex(imp_cube *cube, const char *journal_path,
                              imp_journal_record_fn unmatched, void *ud, imp_journal_info *info,
                              imp_err *err);
int imp_cube_apply_journal(imp_cube *cube, const char *journal_path, imp_journal_info *info,
                           imp_err *err);
/* The same for the records that end at or before file offset limit. */
int imp_cube_apply_journal_prefix(imp_cube *cube, const char *journal_path, uint64_t limit,
                                  imp_journal_info *info, imp_err *err);

/* Write the cube to path atomically: everything goes to "<path>.tmp", which is fsynced and
 * renamed over path (the directory fsynced where the file system allows), so a reader sees
 * the old cube or the new one, never a part. Sets cube->updated (and created if empty) to
 * now: a resumed sweep carries created over from the old cube. On failure path is untouched
 * and the .tmp removed. HDF5 layout (h5py and xarray/h5netcdf see named dims):
 *   /accuracy float32, /status uint8, /gen_seconds /inf_seconds float32, /n_proxies int32,
 *     each [model, task, strategy, k, shot, seed], every dimension labelled and attached to
 *     its scale; fill NaN (accuracy, seconds), 0 (status), -1 (n_proxies)
 *   /model /task /strategy (variable-length UTF-8 strings), /k /shot /seed (int64) — the
 *     dimension scales, named like their datasets
 *   /cell_key uint64 (same shape, fill 0; only when keys are set) — each cell's key hash
 *   /failure_cell int64 [n_failed] (dimension scale "failure_cell": row-major cell index of
 *     every failed cell, ascending) and /failure_message string [n_failed] — the failure
 *     messages (DESIGN keeps them in the cube; a sparse list, since most cells have none)
 *   root attributes job, store, imprint_version, created, updated (strings), grid_hash (uint64)
 * Not collective: call on one rank. */
int imp_cube_write(imp_cube *cube, const char *path, imp_err *err);
/* Read a cube file written by imp_cube_write. Not an HDF5 file, truncated, or without the
 * cube's datasets: IMP_EINPUT naming the file and object. Caller frees *out with imp_cube_free. */
int imp_cube_read(const char *path, imp_cube **out, imp_err *err);

/* Cells by status: counts[IMP_CELL__NSTATUS] over the whole cube. */
void imp_cube_count(const imp_cube *cube, size_t counts[IMP_CELL__NSTATUS]);
/* Cells by status for each value of one axis: counts[i * IMP_CELL__NSTATUS + status] for
 * value i; counts has imp_axis_len(axis) * IMP_CELL__NSTATUS entries. */
void imp_cube_count_axis(const imp_cube *cube, int axis, size_t *counts);
/* Cells with a result per host that computed them (cube->host): done, failed, the ranks
 * seen, the span from the first to the last finish time, cells per second over that span
 * and the sum of the cells' inference seconds; a last row "(unknown)" for results without
 * provenance (journals written before it was recorded). How a user finds a slow or broken
 * node. Returns IMP_EIO if the stream failed. */
int imp_cube_print_by_host(const imp_cube *cube, FILE *out, imp_err *err);
/* Status name: "pending", "done", "failed", "n-a" ("?" otherwise). */
const char *imp_cube_status_name(int status);

/* One CSV row per cell (long format) with the header
 *   model,task,strategy,k,shot,seed,status,accuracy,gen_seconds,inf_seconds,n_proxies,message
 * status by name; shot -1 as "all"; NaN numbers and n_proxies -1 as empty fields; floats in
 * the shortest text that reads back to the same float32; fields with , " or newlines quoted
 * (RFC 4180). Returns IMP_EIO if the stream failed. */
int imp_cube_export_csv(const imp_cube *cube, FILE *out, imp_err *err);
/* The same with options: valid_only leaves out the n/a cells; strategy_header (e.g.
 * ",pre,gen") follows "strategy" in the header and strategy_fields(out, s, ctx) writes the
 * matching fields (each with its leading comma) of strategy s after the strategy field. */
typedef struct imp_cube_csv_opts {
    int valid_only;
    const char *strategy_header;
    void (*strategy_fields)(FILE *out, size_t strategy, void *ctx);
    void *ctx;
} imp_cube_csv_opts;
int imp_cube_export_csv_opts(const imp_cube *cube, FILE *out, const imp_cube_csv_opts *opts,
                             imp_err *err);
/* Write s as one CSV field, quoted (RFC 4180) if it holds a comma, quote or line break. */
void imp_csv_field(FILE *out, const char *s);
/* Human summary: totals, per-axis-value counts and the first max_failures failure messages. */
int imp_cube_print_status(const imp_cube *cube, FILE *out, size_t max_failures, imp_err *err);

#endif
