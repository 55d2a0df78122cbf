/* worker.h — executing sweep pieces: load a task's rows once, take each GEN from a small LRU
 * of recent proxy sets or compute it, evaluate every (POST, INF, AGG) cell on it, and hand
 * results out in batches as they finish. No MPI here: the sweep moves the messages. */
#ifndef IMPRINT_WORKER_H
#define IMPRINT_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/grid.h"
#include "imprint/job.h"
#include "imprint/journal.h"
#include "imprint/piece.h"
#include "imprint/store.h"

typedef struct imp_worker_opts {
    int threads;             /* classes / test blocks in parallel */
    int rank;                /* the MPI rank running it, stamped on every result (default 0) */
    double batch_seconds;    /* a batch goes out once this long has passed (default 2) */
    size_t cache_bytes;      /* GEN results kept, at most IMP_WORKER_CACHE_SETS (default 256 MiB) */
} imp_worker_opts;

enum { IMP_WORKER_CACHE_SETS = 4 };

void imp_worker_opts_init(imp_worker_opts *o);

typedef struct imp_worker imp_worker;

/* A worker over a checked job, its grid and its open store (all borrowed, must outlive the
 * worker). */
int imp_worker_create(const imp_job *job, const imp_grid *grid, imp_store *store,
                      const imp_worker_opts *o, imp_worker **out, imp_err *err);
void imp_worker_destroy(imp_worker *w);
/* Optional lock held around every HDF5 call of the worker (HDF5 is not thread-safe and the
 * sweep's rank 0 writes the cube from another thread). */
void imp_worker_set_hdf5_lock(imp_worker *w, void (*lock)(void), void (*unlock)(void));

/* Receives one batch: hdr->n results res[0..n) of piece hdr->piece in the piece's cell order,
 * continuing where the previous batch of the piece ended. Return 0, or an IMP_E* to abort. */
typedef int (*imp_worker_emit_fn)(const imp_batch_hdr *hdr, const imp_cell_result *res,
                                  void *ud);
/* Polled between cells: nonzero = stop the piece now (the cells done so far are emitted). */
typedef int (*imp_worker_stop_fn)(void *ud);

/* Run a piece. Every cell gets a result (DONE, or FAILED with its message: a failing cell
 * never stops the piece) unless stop says so; the last batch has last = 1 (and stopped = 1
 * when stopped early). stop may be NULL. Returns 0, or what emit returned, or IMP_ENOMEM. */
int imp_worker_run(imp_worker *w, const imp_piece *p, imp_worker_emit_fn emit,
                   imp_worker_stop_fn stop, void *ud, imp_err *err);

#endif
