/* worker.h — executing sweep work units: load a task once, compute each distinct GEN once,
 * evaluate every (POST, INF, AGG) cell on it. No MPI here: the sweep moves the messages. */
#ifndef IMPRINT_WORKER_H
#define IMPRINT_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/grid.h"
#include "imprint/job.h"
#include "imprint/journal.h"
#include "imprint/store.h"

/* A unit message (int64 words), built by rank 0 from a plan unit:
 *   [0] unit id  [1] model  [2] task  [3] shot index  [4] seed index  [5] n_gens
 *   then per GEN: strategy index, k_eff, n_cells, and n_cells pairs (cell index, strategy).
 * Results come back in the same cell order, one imp_cell_result per listed cell. */
enum { IMP_UNIT_HDR = 6 };

/* Encode unit u of plan into *msg (malloc'd; caller frees) of *len words, and count its cells. */
int imp_unit_encode(const imp_plan *plan, size_t u, int64_t **msg, size_t *len, size_t *n_cells,
                    imp_err *err);
/* Number of cells listed in a message, or 0 if it is malformed. */
size_t imp_unit_count(const int64_t *msg, size_t len);

typedef struct imp_worker imp_worker;

/* A worker over a checked job and its grid (both borrowed, must outlive the worker). It
 * opens the store read-only and caches one task's rows (raw and, when a PRE l2 strategy
 * needs them, l2-normalised). threads: classes generated in parallel. */
int imp_worker_create(const imp_job *job, const imp_grid *grid, int threads, imp_worker **out,
                      imp_err *err);
void imp_worker_destroy(imp_worker *w);
/* Optional lock held around every HDF5 call of the worker (HDF5 is not thread-safe and the
 * sweep's rank 0 writes the cube from another thread). */
void imp_worker_set_hdf5_lock(imp_worker *w, void (*lock)(void), void (*unlock)(void));

/* Run a unit message. res must hold imp_unit_count(msg) entries; every listed cell gets a
 * result (DONE, or FAILED with its message: a failing cell never stops the unit). Returns 0,
 * or IMP_EINPUT for a malformed message. */
int imp_worker_run(imp_worker *w, const int64_t *msg, size_t len, imp_cell_result *res,
                   imp_err *err);
/* (model, task) whose rows the worker holds, or -1s. */
void imp_worker_holds(const imp_worker *w, int64_t *model, int64_t *task);

#endif
