/* sweep.h — `imprint sweep`: every pending cell of a job's grid exactly once, over MPI ranks
 * (rank 0 schedules pieces, journals results as they stream in and writes the cube; every
 * rank computes), resumable. */
#ifndef IMPRINT_SWEEP_H
#define IMPRINT_SWEEP_H

#include <stdint.h>
#include <stdio.h>

#include "imprint/cube.h"
#include "imprint/err.h"
#include "imprint/grid.h"
#include "imprint/plan.h"
#include "imprint/job.h"
#include "imprint/loop.h"
#include "imprint/store.h"

typedef struct imp_sweep_opts {
    const char *job_path;
    int retry_failed;        /* also recompute failed cells */
    int fresh;               /* discard the journal and start over */
    int threads;             /* per rank; 0 = the node's CPUs / ranks on the node */
    double piece_seconds;    /* bound of a piece's estimated cost (default 30) */
    double drain_seconds;    /* after a stop signal, wait this long for cells in flight */
    double progress_seconds; /* progress line and progress.json cadence */
    double cube_seconds;     /* cube rewrite cadence */
    int quiet;               /* no progress lines */
    uint32_t shard_i, shard_n; /* --shard I/N (shard_n 0: the whole grid): compute this shard's
                                * share (resume.h imp_shard_split) into its own journal
                                * CUBE.h5.shard-I-of-N.journal; the cube is not written */
} imp_sweep_opts;

/* Defaults: pieces 30 s, drain 60 s, progress 10 s, cube 60 s. */
void imp_sweep_opts_init(imp_sweep_opts *o);

/* Run the sweep. Collective over MPI_COMM_WORLD (MPI initialised with at least
 * MPI_THREAD_FUNNELED); every argument is global (every rank passes the same options).
 * On return *exit_code is the process exit code: 0 every valid cell done, 4 finished with
 * failed cells, 75 stopped early by a signal (resumable), 1 the run's self-check failed
 * (done + failed + n/a differs from the grid; the message is in err). Returns 0, or an IMP_E*
 * error (bad job, store, a corrupt journal, a shard journal of another grid or store content
 * — the message names the file; the journal is read by value, resume.h, so a changed grid
 * keeps its finished cells). *abort_others (local) is 1 when this rank returns without the others having
 * ended collectively (an error in mid-run, a second stop signal, a drain that timed out,
 * IMP_ESTOPPED): the caller must then end the job (MPI_Abort with several ranks; with one,
 * _exit, since a compute thread may still run) instead of MPI_Finalize. */
int imp_sweep_run(const imp_sweep_opts *o, int *exit_code, int *abort_others, imp_err *err);

/* Load the job, check it against its store, build the grid (what every rank does first). */
int imp_sweep_setup(const char *job_path, imp_job **job, imp_grid **grid, imp_err *err);
/* Per (model, task) sizes from the store for the cost model (*out malloc'd, caller frees;
 * entries zero where the store cannot say). IMP_ENOMEM. */
int imp_sweep_cost_hints(const imp_job *job, const imp_grid *grid, imp_cost_hint **out,
                         imp_err *err);

/* What a transport wrapper may use: the run's job, grid and store (rank 0's handle; HDF5
 * calls under lock/unlock), its ranks and threads per rank. All borrowed for the run. */
typedef struct imp_transport_env {
    const imp_job *job;
    const imp_grid *grid;
    imp_store *store;
    int ranks, threads;
    void (*lock)(void), (*unlock)(void);
} imp_transport_env;

/* A decorator (or a replacement) of the transport rank 0's loop runs over: inner is the
 * transport the sweep opened (owned by the wrapper from here: it closes it, or forwards
 * close); *out the one the loop uses. 0 or an IMP_E*. */
typedef int (*imp_transport_wrap_fn)(const imp_transport_env *env, imp_transport *inner,
                                     void *ud, imp_transport **out, imp_err *err);

/* Process-wide: every later imp_sweep_run on rank 0 wraps its transport with fn (NULL: none).
 * For a test build of the tool that paces the work; the product never sets it. */
void imp_sweep_set_transport_wrap(imp_transport_wrap_fn fn, void *ud);

/* Rank 0's side of a sweep alone, without MPI (no MPI call is made): the pieces are cut for
 * `ranks` ranks, and the loop runs over the local transport (rank 0's thread, ranks 1..
 * absent) wrapped by wrap, which must then provide them; o->threads 0 means 1. Exit code,
 * abort_others and errors as imp_sweep_run's. For in-process tests of the loop, sink and
 * resume against a scripted transport. */
int imp_sweep_run_inproc(const imp_sweep_opts *o, int ranks, imp_transport_wrap_fn wrap,
                         void *ud, int *exit_code, int *abort_others, imp_err *err);

#endif
