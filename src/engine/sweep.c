/* sweep.c — `imprint sweep`'s setup and wiring: every rank loads the job and grid; rank 0
 * prepares the sink, the plan and the pieces and runs the loop (loop.c) over a transport (a
 * local thread, plus MPI with several ranks); the other ranks serve pieces (transport_mpi.c). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "imprint/sweep.h"

#include "imprint/blas.h"
#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/journal.h"
#include "imprint/outpath.h"
#include "imprint/piece.h"
#include "imprint/pool.h"
#include "imprint/resume.h"
#include "imprint/sched.h"
#include "imprint/sink.h"
#include "imprint/taskload.h"
#include "imprint/transport_local.h"
#include "imprint/transport_mpi.h"
#include "imprint/worker.h"

void imp_sweep_opts_init(imp_sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    o->piece_seconds = 30;
    o->drain_seconds = 60;
    o->progress_seconds = 10;
    o->cube_seconds = 60;
}

/* HDF5 is not thread-safe: the compute thread reads the store while rank 0 writes the cube. */
static pthread_mutex_t g_h5 = PTHREAD_MUTEX_INITIALIZER;
static void h5_lock(void) { pthread_mutex_lock(&g_h5); }
static void h5_unlock(void) { pthread_mutex_unlock(&g_h5); }

static imp_transport_wrap_fn g_wrap;
static void *g_wrap_ud;

void imp_sweep_set_transport_wrap(imp_transport_wrap_fn fn, void *ud)
{
    g_wrap = fn;
    g_wrap_ud = ud;
}

/* Threads per rank: a rank bound to fewer CPUs than the node has uses them all; an unbound
 * rank shares the node's CPUs with the other ranks on the node. Collective (splits
 * MPI_COMM_WORLD by node). */
static int auto_threads(void)
{
    MPI_Comm node;
    int local = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, &local);
        MPI_Comm_free(&node);
    }
    int online = imp_cpu_count(), aff = online;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        aff = CPU_COUNT(&set);
    if (aff < online)
        return aff > 0 ? aff : 1;
    int t = aff / (local > 0 ? local : 1);
    return t > 0 ? t : 1;
}

static int hints_from_store(const imp_job *job, const imp_grid *g, imp_store *st,
                            imp_cost_hint **out, imp_err *err)
{
    imp_cost_hint *hints = calloc(g->n_model * g->n_task, sizeof *hints);
    *out = hints;
    if (!hints)
        return imp_err_set(err, IMP_ENOMEM, "out of memory for %zu cost hints",
                           g->n_model * g->n_task);
    for (size_t m = 0; st && m < g->n_model; m++)
        for (size_t t = 0; t < g->n_task; t++) {
            imp_store_entry e;
            const imp_task *tk = &job->tasks[t];
            if (imp_store_describe(st, g->model[m], tk->datasets[0], &e, NULL) == 0 &&
                e.n_classes > 0) {
                imp_cost_hint *h = &hints[m * g->n_task + t];
                h->n_per_class = (double)e.n_train / e.n_classes;
                h->dim = (double)e.d;
                h->n_classes = (double)tk->n_classes;
                h->n_test = (double)e.n_test / e.n_classes * (double)tk->n_classes;
            }
        }
    return 0;
}

int imp_sweep_cost_hints(const imp_job *job, const imp_grid *g, imp_cost_hint **out,
                         imp_err *err)
{
    imp_store *st = NULL;
    if (imp_store_open(job->store_path, &st, NULL) != 0)
        st = NULL; /* the estimate falls back to the defaults */
    int rc = hints_from_store(job, g, st, out, err);
    imp_store_close(st);
    return rc;
}

/* Load and check the job, build the grid, keep the store open (store may be NULL: closed).
 * Every rank does this (deterministic), so pieces travel as indices into the grid. */
static int setup(const char *job_path, imp_job **job, imp_grid **grid, imp_store **store,
                 imp_err *err)
{
    *job = NULL;
    *grid = NULL;
    int rc = imp_job_load(job_path, job, err);
    if (rc)
        return rc;
    imp_store *s = NULL;
    rc = imp_store_open((*job)->store_path, &s, err);
    if (!rc) {
        imp_store_view v;
        imp_store_view_init(&v, s);
        rc = imp_job_check_store(*job, &v, err);
    } else {
        imp_err_prefix(err, "%s: store", job_path);
    }
    if (!rc) /* before any work: the sweep (store kept) makes the directory, plan only checks */
        rc = imp_cube_target_check((*job)->cube_path, store != NULL, err);
    if (!rc)
        rc = imp_grid_from_job(*job, grid, err);
    if (rc || !store) {
        imp_store_close(s);
        s = NULL;
    }
    if (store)
        *store = s;
    if (rc) {
        imp_job_free(*job);
        *job = NULL;
    }
    return rc;
}

int imp_sweep_setup(const char *job_path, imp_job **job, imp_grid **grid, imp_err *err)
{
    return setup(job_path, job, grid, NULL, err);
}

/* ---- rank 0 ------------------------------------------------------------------------------- */

/* What rank 0 prepares before the loop; every pointer owned (rank0_free). */
typedef struct rank0 {
    const imp_sweep_opts *o;
    const imp_job *job;
    const imp_grid *grid;
    imp_store *store;
    imp_sink *sink;
    imp_plan *plan;
    imp_pieces *ps;
    imp_sched *sched;
    int size, threads;
    imp_err err;
} rank0;

static int rank0_prepare(rank0 *s)
{
    const imp_grid *g = s->grid;
    imp_sink_opts so = {s->o->job_path, s->o->fresh, s->o->progress_seconds, s->o->cube_seconds,
                        s->o->quiet, h5_lock, h5_unlock, s->o->shard_i, s->o->shard_n};
    int rc = imp_sink_open(s->job, g, &so, &s->sink, &s->err);
    imp_cost_hint *hints = NULL;
    if (!rc)
        rc = hints_from_store(s->job, g, s->store, &hints, &s->err);
    /* a shard: the deterministic split (resume.h) of the work pending when it first ran */
    uint8_t *mine = NULL;
    imp_plan *p0 = NULL;
    if (!rc && s->o->shard_n)
        rc = imp_plan_build(g, imp_sink_split_status(s->sink), s->o->retry_failed, hints, &p0,
                            &s->err);
    if (!rc && p0)
        rc = imp_shard_status(p0, s->o->shard_i, s->o->shard_n, imp_sink_status(s->sink),
                              g->n_cells, &mine, &s->err);
    imp_plan_free(p0);
    if (!rc)
        rc = imp_plan_build(g, mine ? mine : imp_sink_status(s->sink), s->o->retry_failed, hints,
                            &s->plan, &s->err);
    free(mine);
    imp_cost_model cm;
    imp_cost_model_default(&cm, s->threads);
    if (!rc)
        rc = imp_pieces_build_for(g, s->plan, hints, &cm, s->o->piece_seconds, s->size, &s->ps,
                                  &s->err);
    free(hints);
    if (!rc)
        rc = imp_sched_create(s->ps, s->size, &s->sched, &s->err);
    if (rc)
        return rc;
    imp_sink_set_todo(s->sink, s->plan->n_todo);
    size_t c[IMP_CELL__NSTATUS];
    imp_sink_counts(s->sink, c);
    char est[32];
    fprintf(stderr,
            "sweep: %s: %zu cells, %zu valid (%zu n/a); %zu done, %zu failed before this run; "
            "%zu to do in %zu pieces of <= %.3g s (%zu GEN computations, estimated %s of one "
            "rank); %d rank%s x %d thread%s\n",
            s->o->job_path, g->n_cells, g->n_valid, g->n_na, c[IMP_CELL_DONE], c[IMP_CELL_FAILED],
            s->plan->n_todo, s->ps->n, s->ps->bound, s->plan->n_gens,
            imp_fmt_hms(s->ps->work, est, sizeof est), s->size, s->size == 1 ? "" : "s",
            s->threads, s->threads == 1 ? "" : "s");
    return 0;
}

static void rank0_free(rank0 *s)
{
    imp_sink_close(s->sink, NULL);
    imp_sched_free(s->sched);
    imp_pieces_free(s->ps);
    imp_plan_free(s->plan);
}

static int new_worker(const imp_job *job, const imp_grid *grid, imp_store *store, int threads,
                      int rank, imp_worker **w, imp_err *err)
{
    imp_worker_opts wo;
    imp_worker_opts_init(&wo);
    wo.threads = threads;
    wo.rank = rank;
    int rc = imp_worker_create(job, grid, store, &wo, w, err);
    if (!rc)
        imp_worker_set_hdf5_lock(*w, h5_lock, h5_unlock);
    return rc;
}

/* The transport of a run of s->size ranks (mpi: MPI for ranks 1..; else rank 0's thread
 * alone), wrapped by wrap if set. */
static int open_transport(rank0 *s, int mpi, imp_transport_wrap_fn wrap, void *ud,
                          imp_transport **out)
{
    imp_worker *w;
    imp_transport *local, *t;
    int rc = new_worker(s->job, s->grid, s->store, s->threads, 0, &w, &s->err);
    if (!rc)
        rc = imp_transport_local_open(w, &local, &s->err);
    if (rc)
        return rc;
    t = local;
    if (mpi && s->size > 1 && (rc = imp_transport_mpi_open(local, s->size, &t, &s->err)) != 0)
        return rc;
    if (!wrap) {
        *out = t;
        return 0;
    }
    imp_transport_env env = {s->job, s->grid, s->store, s->size, s->threads, h5_lock, h5_unlock};
    return wrap(&env, t, ud, out, &s->err);
}

/* Rank 0's side: prepare, then (mpi) the MPI_Bcast of "go" that matches serve_remote's
 * (collective), then the loop (point-to-point only). exit_code, abort_others local. */
static int run_rank0(rank0 *s, int mpi, imp_transport_wrap_fn wrap, void *ud, int *exit_code,
                     int *abort_others)
{
    int rc = rank0_prepare(s);
    int go = rc == 0; /* tell the workers whether to start (1) or stop at once (0) */
    if (mpi)
        MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!go)
        return rc;
    *abort_others = 1; /* until the workers have been told to stop */
    imp_transport *t = NULL;
    if ((rc = open_transport(s, mpi, wrap, ud, &t)) != 0)
        return rc;
    imp_loop_cfg c = {s->grid, s->job->cube_path, s->sink, s->plan, s->ps, s->sched,
                      s->threads, s->o->drain_seconds, s->o->shard_i, s->o->shard_n};
    return imp_loop_run(&c, t, exit_code, abort_others, &s->err);
}

/* A worker rank's side: the MPI_Bcast of "go" (collective), then pieces until rank 0's stop.
 * job, grid, threads global; store this rank's handle. */
static int serve_remote(const imp_job *job, const imp_grid *grid, imp_store *store, int threads,
                        int *exit_code, int *abort_others, imp_err *err)
{
    int go = 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!go)
        return imp_err_set(err, IMP_EINPUT, "rank 0 could not start the sweep");
    *abort_others = 1;
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    imp_worker *w;
    int rc = new_worker(job, grid, store, threads, rank, &w, err);
    if (rc)
        return rc;
    rc = imp_transport_mpi_serve(w, grid, exit_code, err);
    imp_worker_destroy(w);
    if (!rc)
        *abort_others = 0;
    return rc;
}

/* Rank 0's whole run in this process (mpi: the Bcast of "go" to the other ranks first). */
static int run_here(const imp_sweep_opts *o, imp_job *job, imp_grid *grid, imp_store *store,
                    int size, int threads, int mpi, imp_transport_wrap_fn wrap, void *ud,
                    int *exit_code, int *abort_others, imp_err *err)
{
    rank0 s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.job = job;
    s.grid = grid;
    s.store = store;
    s.size = size;
    s.threads = threads;
    int rc = run_rank0(&s, mpi, wrap, ud, exit_code, abort_others);
    if (rc)
        *err = s.err;
    if (*abort_others)
        return rc; /* a compute thread may still use everything: the caller exits */
    rank0_free(&s);
    return rc;
}

/* Free what setup made, unless leave_running (rank 0 left work running: its compute thread
 * may still read them, and the caller ends the process). Returns rc. */
static int setup_free(int rc, int leave_running, imp_job *job, imp_grid *grid, imp_store *store)
{
    if (leave_running)
        return rc;
    imp_store_close(store);
    imp_grid_free(grid);
    imp_job_free(job);
    return rc;
}

int imp_sweep_run(const imp_sweep_opts *o, int *exit_code, int *abort_others, imp_err *err)
{
    *exit_code = 1;
    *abort_others = 0;
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int threads = o->threads > 0 ? o->threads : auto_threads();
    imp_blas_set_threads(threads);
    imp_job *job = NULL;
    imp_grid *grid = NULL;
    imp_store *store = NULL;
    int rc = setup(o->job_path, &job, &grid, &store, err);
    /* every rank must agree that setup worked before any talks about pieces */
    int ok = rc == 0, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!all_ok) {
        if (!rc)
            rc = imp_err_set(err, IMP_EINPUT, "another rank could not read the job or store");
    } else if (rank != 0) {
        rc = serve_remote(job, grid, store, threads, exit_code, abort_others, err);
    } else {
        rc = run_here(o, job, grid, store, size, threads, 1, g_wrap, g_wrap_ud, exit_code,
                      abort_others, err);
        return setup_free(rc, *abort_others, job, grid, store);
    }
    return setup_free(rc, 0, job, grid, store); /* a worker rank: no thread of its own left */
}

int imp_sweep_run_inproc(const imp_sweep_opts *o, int ranks, imp_transport_wrap_fn wrap,
                         void *ud, int *exit_code, int *abort_others, imp_err *err)
{
    *exit_code = 1;
    *abort_others = 0;
    int threads = o->threads > 0 ? o->threads : 1;
    imp_blas_set_threads(threads);
    imp_job *job = NULL;
    imp_grid *grid = NULL;
    imp_store *store = NULL;
    int rc = setup(o->job_path, &job, &grid, &store, err);
    if (!rc)
        rc = run_here(o, job, grid, store, ranks, threads, 0, wrap, ud, exit_code,
                      abort_others, err);
    return setup_free(rc, *abort_others, job, grid, store);
}
