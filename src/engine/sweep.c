/* sweep.c — the MPI loop of a sweep: rank 0 hands out pieces (sched), feeds the results that
 * stream back into the sink, stops on signals; every rank computes (rank 0 in a thread that
 * never calls MPI). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "imprint/sweep.h"

#include "imprint/blas.h"
#include <math.h>
#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imprint/clock.h"
#include "imprint/journal.h"
#include "imprint/outpath.h"
#include "imprint/piece.h"
#include "imprint/pool.h"
#include "imprint/resume.h"
#include "imprint/sched.h"
#include "imprint/sink.h"
#include "imprint/taskload.h"
#include "imprint/worker.h"

/* TAG_PIECE 0→r: a piece; TAG_RES r→0: a batch (imp_batch_hdr + results); TAG_DRAIN 0→r:
 * stop at the next cell, answer every queued piece with an empty last batch; TAG_STOP 0→r:
 * the exit code, the worker ends. */
enum { TAG_PIECE = 11, TAG_RES = 12, TAG_STOP = 13, TAG_DRAIN = 14 };
#define MAX_OUT 2 /* pieces in flight per rank: one computing, one queued */

/* ---- signals ---------------------------------------------------------------------------- */

static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    (void)sig;
    if (g_signals < 1000)
        g_signals++;
}

void imp_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

int imp_signals_count(void) { return (int)g_signals; }

void imp_sweep_opts_init(imp_sweep_opts *o)
{
    memset(o, 0, sizeof *o);
    o->piece_seconds = 30;
    o->drain_seconds = 60;
    o->progress_seconds = 10;
    o->cube_seconds = 60;
}

/* ---- small helpers ---------------------------------------------------------------------- */

static pthread_mutex_t g_h5 = PTHREAD_MUTEX_INITIALIZER;
static void h5_lock(void) { pthread_mutex_lock(&g_h5); }
static void h5_unlock(void) { pthread_mutex_unlock(&g_h5); }


static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
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

/* ---- rank 0's local worker thread --------------------------------------------------------- */

typedef struct batch_item {
    imp_batch_hdr hdr;
    imp_cell_result *res;
    struct batch_item *next;
} batch_item;

typedef struct local_worker {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv, done_cv; /* cv: work for the thread; done_cv: batches for rank 0 */
    imp_worker *w;
    const imp_piece *inbox[MAX_OUT];
    int n_in, stop, running;
    volatile int drain; /* read by the thread between cells (under mu) */
    batch_item *head, *tail;
    int fail_rc;        /* the thread could not queue a batch: out of memory */
} local_worker;

static int local_emit(const imp_batch_hdr *h, const imp_cell_result *res, void *ud)
{
    local_worker *lw = ud;
    batch_item *b = calloc(1, sizeof *b);
    imp_cell_result *copy = malloc((h->n ? h->n : 1) * sizeof *copy);
    if (!b || !copy) {
        free(b);
        free(copy);
        return IMP_ENOMEM;
    }
    memcpy(copy, res, h->n * sizeof *copy);
    b->hdr = *h;
    b->res = copy;
    pthread_mutex_lock(&lw->mu);
    if (lw->tail)
        lw->tail->next = b;
    else
        lw->head = b;
    lw->tail = b;
    pthread_cond_signal(&lw->done_cv);
    pthread_mutex_unlock(&lw->mu);
    return 0;
}

static int local_stop(void *ud)
{
    local_worker *lw = ud;
    pthread_mutex_lock(&lw->mu);
    int d = lw->drain;
    pthread_mutex_unlock(&lw->mu);
    return d;
}

static void *local_main(void *arg)
{
    local_worker *lw = arg;
    for (;;) {
        pthread_mutex_lock(&lw->mu);
        while (!lw->n_in && !lw->stop)
            pthread_cond_wait(&lw->cv, &lw->mu);
        if (!lw->n_in) {
            pthread_mutex_unlock(&lw->mu);
            break;
        }
        /* rank 0 counts the piece in flight until its last batch, not by the inbox */
        const imp_piece *p = lw->inbox[0];
        for (int i = 1; i < lw->n_in; i++)
            lw->inbox[i - 1] = lw->inbox[i];
        lw->n_in--;
        pthread_mutex_unlock(&lw->mu);
        imp_err e;
        imp_err_clear(&e);
        int rc = imp_worker_run(lw->w, p, local_emit, local_stop, lw, &e);
        pthread_mutex_lock(&lw->mu);
        if (rc) {
            lw->fail_rc = rc;
            pthread_cond_signal(&lw->done_cv);
        }
        pthread_mutex_unlock(&lw->mu);
    }
    return NULL;
}

/* ---- rank 0 ------------------------------------------------------------------------------- */

typedef struct inflight {
    size_t piece;
    size_t next;         /* cells of the piece reported so far */
    double predicted;    /* estimate on this rank at dispatch */
    double busy;         /* measured so far */
    int64_t *buf;        /* encoded piece (remote ranks) */
    MPI_Request req;
} inflight;

typedef struct wstate {
    inflight q[MAX_OUT]; /* oldest first */
    int n;
    int drained;         /* TAG_DRAIN sent */
} wstate;

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
    wstate *ws; /* index = rank (0 = the local thread) */
    local_worker lw;
    size_t pieces_done;
    double predicted, measured; /* over finished pieces */
    double t_start, t_first;
    int stopped;
    imp_err err;
} rank0;

static int busy_ranks(const rank0 *s)
{
    int b = 0;
    for (int r = 0; r < s->size; r++)
        b += s->ws[r].n > 0;
    return b;
}

static int outstanding(const rank0 *s)
{
    int n = 0;
    for (int r = 0; r < s->size; r++)
        n += s->ws[r].n;
    return n;
}

static imp_sink_state sink_state(const rank0 *s, int finished)
{
    imp_sink_state st = {s->size, busy_ranks(s), s->threads, s->stopped, finished};
    return st;
}

/* Rank 0: the next piece for rank r (local), if it has room. Point-to-point (MPI_Isend to r),
 * not collective. Returns 1 sent, 0 nothing to send, or an IMP_E* (encoding ran out of memory). */
static int dispatch(rank0 *s, int r)
{
    wstate *w = &s->ws[r];
    if (s->stopped || w->n >= MAX_OUT)
        return 0;
    /* near the end a queued piece would wait behind its rank's current one while other ranks
     * idle: queue only while every rank can still get one */
    if (w->n > 0 && imp_sched_free_count(s->sched) < (size_t)s->size)
        return 0;
    double secs = 0;
    long pi = imp_sched_pick(s->sched, r, &secs);
    if (pi < 0)
        return 0;
    const imp_piece *p = &s->ps->p[pi];
    inflight *f = &w->q[w->n];
    memset(f, 0, sizeof *f);
    f->piece = (size_t)pi;
    f->predicted = secs;
    if (r == 0) {
        pthread_mutex_lock(&s->lw.mu);
        s->lw.inbox[s->lw.n_in++] = p;
        pthread_cond_signal(&s->lw.cv);
        pthread_mutex_unlock(&s->lw.mu);
    } else {
        size_t len;
        int rc = imp_piece_encode(p, &f->buf, &len, &s->err);
        if (rc) {
            imp_sched_unpick(s->sched, (size_t)pi);
            return rc;
        }
        MPI_Isend(f->buf, (int)len, MPI_INT64_T, r, TAG_PIECE, MPI_COMM_WORLD, &f->req);
    }
    w->n++;
    return 1;
}

/* A batch of rank r's oldest piece: record each result (and its aliases) in the sink. */
static int take_batch(rank0 *s, int r, const imp_batch_hdr *h, const imp_cell_result *res)
{
    wstate *w = &s->ws[r];
    if (w->n == 0 || h->piece != s->ps->p[w->q[0].piece].id)
        return imp_err_set(&s->err, IMP_EMPI, "rank %d sent results of piece %llu, which it "
                           "was not computing", r, (unsigned long long)h->piece);
    inflight *f = &w->q[0];
    const imp_piece *p = &s->ps->p[f->piece];
    if (h->n > p->n_cells - f->next)
        return imp_err_set(&s->err, IMP_EMPI, "rank %d sent %llu results for piece %llu, which "
                           "has %zu left", r, (unsigned long long)h->n,
                           (unsigned long long)h->piece, p->n_cells - f->next);
    for (size_t i = 0; i < h->n; i++) {
        const imp_piece_cell *pc = &p->cells[f->next];
        if (res[i].cell != pc->cell)
            return imp_err_set(&s->err, IMP_EMPI, "rank %d: result for cell %llu where piece "
                               "%llu has cell %llu", r, (unsigned long long)res[i].cell,
                               (unsigned long long)p->id, (unsigned long long)pc->cell);
        int rc = imp_sink_record(s->sink, &res[i], &s->err);
        for (size_t a = 0; !rc && a < pc->n_alias; a++) {
            imp_cell_result alias = res[i];
            alias.cell = s->plan->alias[pc->first_alias + a];
            rc = imp_sink_record(s->sink, &alias, &s->err);
        }
        if (rc)
            return rc;
        f->next++;
    }
    if (h->n && s->t_first == 0)
        s->t_first = imp_clock_s();
    f->busy += h->busy_seconds;
    if (!h->last)
        return 0;
    if (f->next == p->n_cells) {
        s->pieces_done++;
        s->predicted += f->predicted;
        s->measured += f->busy;
    }
    if (r > 0) {
        MPI_Wait(&f->req, MPI_STATUS_IGNORE);
        free(f->buf);
    }
    memmove(&w->q[0], &w->q[1], (size_t)(w->n - 1) * sizeof w->q[0]);
    w->n--;
    return dispatch(s, r) < 0 ? s->err.code : 0;
}

/* Rank 0: receive every batch waiting from any rank (MPI_Iprobe/MPI_Recv, not collective). */
static int poll_remote(rank0 *s, imp_cell_result **buf, size_t *cap, int *progressed)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RES, MPI_COMM_WORLD, &flag, &st);
        if (!flag)
            return 0;
        int bytes = 0;
        MPI_Get_count(&st, MPI_BYTE, &bytes);
        size_t need = (size_t)bytes > sizeof(imp_batch_hdr) ? (size_t)bytes : sizeof(imp_batch_hdr);
        if (need > *cap) {
            void *nb = realloc(*buf, need * 2);
            if (!nb)
                return imp_err_set(&s->err, IMP_ENOMEM, "out of memory for a batch of results");
            *buf = nb;
            *cap = need * 2;
        }
        MPI_Recv(*buf, bytes, MPI_BYTE, st.MPI_SOURCE, TAG_RES, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        imp_batch_hdr h;
        memcpy(&h, *buf, sizeof h);
        if ((size_t)bytes != sizeof h + h.n * sizeof(imp_cell_result))
            return imp_err_set(&s->err, IMP_EMPI, "rank %d sent a batch of %d bytes for %llu "
                               "results", st.MPI_SOURCE, bytes, (unsigned long long)h.n);
        int rc = take_batch(s, st.MPI_SOURCE, &h,
                            (const imp_cell_result *)((const char *)*buf + sizeof h));
        *progressed = 1;
        if (rc)
            return rc;
    }
}

static int poll_local(rank0 *s, int *progressed)
{
    for (;;) {
        pthread_mutex_lock(&s->lw.mu);
        batch_item *b = s->lw.head;
        if (b) {
            s->lw.head = b->next;
            if (!s->lw.head)
                s->lw.tail = NULL;
        }
        int fail = s->lw.fail_rc;
        pthread_mutex_unlock(&s->lw.mu);
        if (!b)
            return fail ? imp_err_set(&s->err, fail, "the compute thread ran out of memory") : 0;
        int rc = take_batch(s, 0, &b->hdr, b->res);
        free(b->res);
        free(b);
        *progressed = 1;
        if (rc)
            return rc;
    }
}

/* Rank 0: stop handing out work; tell every rank to stop at its next cell (a blocking send of
 * one int to each rank, eager in practice; not collective). */
static void start_drain(rank0 *s)
{
    s->stopped = 1;
    int one = 1;
    for (int r = 1; r < s->size; r++)
        if (!s->ws[r].drained) {
            MPI_Send(&one, 1, MPI_INT, r, TAG_DRAIN, MPI_COMM_WORLD);
            s->ws[r].drained = 1;
        }
    pthread_mutex_lock(&s->lw.mu);
    s->lw.drain = 1;
    pthread_mutex_unlock(&s->lw.mu);
}

static void idle_wait(rank0 *s)
{
    /* wake at once when the local thread queues a batch, else poll MPI again soon */
    struct timespec ts;
    imp_clock_deadline(300e-6, &ts);
    pthread_mutex_lock(&s->lw.mu);
    if (!s->lw.head && !s->lw.fail_rc)
        pthread_cond_timedwait(&s->lw.done_cv, &s->lw.mu, &ts);
    pthread_mutex_unlock(&s->lw.mu);
}

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

static int start_local(rank0 *s)
{
    pthread_mutex_init(&s->lw.mu, NULL);
    pthread_cond_init(&s->lw.cv, NULL);
    pthread_cond_init(&s->lw.done_cv, NULL);
    imp_worker_opts wo;
    imp_worker_opts_init(&wo);
    wo.threads = s->threads;
    wo.test_cell_delay_ms = s->o->test_cell_delay_ms;
    wo.test_piece_delay_ms = s->o->test_piece_delay_ms;
    int rc = imp_worker_create(s->job, s->grid, s->store, &wo, &s->lw.w, &s->err);
    if (rc)
        return rc;
    imp_worker_set_hdf5_lock(s->lw.w, h5_lock, h5_unlock);
    if (pthread_create(&s->lw.tid, NULL, local_main, &s->lw) != 0)
        return imp_err_set(&s->err, IMP_EINTERNAL, "cannot start the compute thread");
    s->lw.running = 1;
    return 0;
}

/* The run's own check (HPL's way): done + failed + n/a must be the whole grid. */
static int self_check(rank0 *s, int *exit_code)
{
    size_t c[IMP_CELL__NSTATUS];
    imp_sink_counts(s->sink, c);
    size_t sum = c[IMP_CELL_DONE] + c[IMP_CELL_FAILED] + c[IMP_CELL_NA];
    if (sum == s->grid->n_cells)
        return 0;
    if (s->o->shard_n) { /* a shard checks its share: every cell it meant to record */
        size_t rec = imp_sink_recorded(s->sink);
        if (rec == s->plan->n_todo)
            return 0;
        *exit_code = 1;
        return imp_err_set(&s->err, IMP_EINTERNAL, "self-check FAILED: shard %u/%u recorded %zu "
                           "of the %zu cells of its share", s->o->shard_i, s->o->shard_n, rec,
                           s->plan->n_todo);
    }
    *exit_code = 1;
    return imp_err_set(&s->err, IMP_EINTERNAL,
                       "self-check FAILED: done %zu + failed %zu + n/a %zu = %zu, but the grid "
                       "has %zu cells (%zu still pending after a normal end)",
                       c[IMP_CELL_DONE], c[IMP_CELL_FAILED], c[IMP_CELL_NA], sum,
                       s->grid->n_cells, c[IMP_CELL_PENDING]);
}

static void final_lines(rank0 *s, int exit_code)
{
    size_t c[IMP_CELL__NSTATUS];
    imp_sink_counts(s->sink, c);
    size_t valid = s->grid->n_valid;
    if (exit_code == 75)
        fprintf(stderr, "sweep: stopped; %zu of %zu cells done, %zu failed. Run the same command "
                        "again to resume.\n", c[IMP_CELL_DONE], valid, c[IMP_CELL_FAILED]);
    else
        fprintf(stderr, "sweep: finished: %zu of %zu cells done, %zu failed; self-check %s; "
                        "cube %s\n", c[IMP_CELL_DONE], valid, c[IMP_CELL_FAILED],
                exit_code == 1 ? "FAILED" : "passed", s->job->cube_path);
    char a[32], b[32];
    fprintf(stderr, "sweep: %zu pieces finished: measured %s of rank time, predicted %s (ratio "
                    "%.2f); first result after %.1f s\n", s->pieces_done,
            imp_fmt_hms(s->measured, a, sizeof a), imp_fmt_hms(s->predicted, b, sizeof b),
            s->predicted > 0 ? s->measured / s->predicted : 0.0,
            s->t_first > 0 ? s->t_first - s->t_start : 0.0);
}

/* Rank 0's side of imp_sweep_run: the MPI_Bcast of "go" matches run_remote's (collective);
 * after it only point-to-point messages. exit_code and abort_others are local outputs. */
static int run_rank0(rank0 *s, int *exit_code, int *abort_others)
{
    int rc = rank0_prepare(s);
    int go = rc == 0; /* tell the workers whether to start (1) or stop at once (0) */
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!go)
        return rc;
    *abort_others = 1; /* until the workers have been told to stop */
    s->t_start = imp_clock_s();
    rc = start_local(s);
    for (int r = 0; !rc && r < s->size; r++)
        for (int k = 0; k < MAX_OUT && !rc; k++)
            if (dispatch(s, r) < 0)
                rc = s->err.code;
    imp_sink_state st0 = sink_state(s, 0);
    if (!rc) /* after the first dispatch, so "ranks busy" is true */
        rc = imp_sink_tick(s->sink, imp_clock_s(), &st0, 1, &s->err);
    int seen_signals = 0, hard = 0;
    double drain_deadline = 0;
    size_t cap = 0;
    imp_cell_result *buf = NULL;
    while (!rc) {
        int progressed = 0;
        int sig = imp_signals_count();
        if (sig > seen_signals) {
            seen_signals = sig;
            if (!s->stopped) {
                drain_deadline = imp_clock_s() + s->o->drain_seconds;
                start_drain(s);
                imp_sink_sync(s->sink, NULL);
                fprintf(stderr, "sweep: stop signal: no new work; every rank stops after its "
                                "current cell (waiting up to %.0f s; a second signal stops at "
                                "once)\n", s->o->drain_seconds);
            } else {
                hard = 1;
                fprintf(stderr, "sweep: second stop signal: stopping now\n");
                break;
            }
        }
        rc = poll_remote(s, (imp_cell_result **)&buf, &cap, &progressed);
        if (!rc)
            rc = poll_local(s, &progressed);
        if (rc)
            break;
        double t = imp_clock_s();
        imp_sink_state st = sink_state(s, 0);
        if ((rc = imp_sink_tick(s->sink, t, &st, 0, &s->err)) != 0)
            break;
        if (outstanding(s) == 0 && (s->stopped || imp_sched_free_count(s->sched) == 0))
            break;
        if (s->stopped && t > drain_deadline) {
            hard = 1;
            fprintf(stderr, "sweep: drain time (%.0f s) over with %d piece%s in flight; "
                            "stopping\n", s->o->drain_seconds, outstanding(s),
                    outstanding(s) == 1 ? "" : "s");
            break;
        }
        if (!progressed)
            idle_wait(s);
    }
    free(buf);
    size_t c[IMP_CELL__NSTATUS];
    imp_sink_counts(s->sink, c);
    /* a shard is pending while its share is: the other shards' cells are not its business */
    int pending = s->o->shard_n ? imp_sink_recorded(s->sink) < s->plan->n_todo
                                : c[IMP_CELL_PENDING] > 0;
    *exit_code = (s->stopped && pending) ? 75 : c[IMP_CELL_FAILED] ? 4 : 0;
    if (!rc && !hard && !s->stopped)
        rc = self_check(s, exit_code);
    imp_sink_state st = sink_state(s, !s->stopped || !pending);
    imp_err e;
    int trc = imp_sink_tick(s->sink, imp_clock_s(), &st, 1, &e); /* sync, cube, progress */
    if (trc && !rc) {
        rc = trc;
        s->err = e;
    }
    final_lines(s, *exit_code);
    if (hard || (rc && *exit_code != 1)) {
        /* the workers (and maybe the local thread) are still computing: the caller ends it */
        if (!rc) {
            *exit_code = 75;
            rc = imp_err_set(&s->err, IMP_ESTOPPED, "stopped before the ranks finished their "
                             "cells in flight; run the same command again to resume");
        }
        return rc;
    }
    /* a collective end: stop the workers and the local thread */
    for (int r = 1; r < s->size; r++)
        MPI_Send(exit_code, 1, MPI_INT, r, TAG_STOP, MPI_COMM_WORLD);
    pthread_mutex_lock(&s->lw.mu);
    s->lw.stop = 1;
    pthread_cond_signal(&s->lw.cv);
    pthread_mutex_unlock(&s->lw.mu);
    if (s->lw.running)
        pthread_join(s->lw.tid, NULL);
    s->lw.running = 0;
    *abort_others = 0;
    return rc;
}

static void rank0_free(rank0 *s)
{
    imp_sink_close(s->sink, NULL);
    imp_worker_destroy(s->lw.w);
    for (batch_item *b = s->lw.head, *nx; b; b = nx) {
        nx = b->next;
        free(b->res);
        free(b);
    }
    imp_sched_free(s->sched);
    imp_pieces_free(s->ps);
    imp_plan_free(s->plan);
    free(s->ws);
}

/* ---- other ranks -------------------------------------------------------------------------- */

typedef struct remote {
    int draining;
    int exit_code;
    int stopped; /* TAG_STOP seen */
} remote;

static int remote_emit(const imp_batch_hdr *h, const imp_cell_result *res, void *ud)
{
    (void)ud;
    size_t bytes = sizeof *h + h->n * sizeof *res;
    char *msg = malloc(bytes);
    if (!msg)
        return IMP_ENOMEM;
    memcpy(msg, h, sizeof *h);
    if (h->n)
        memcpy(msg + sizeof *h, res, h->n * sizeof *res);
    MPI_Send(msg, (int)bytes, MPI_BYTE, 0, TAG_RES, MPI_COMM_WORLD);
    free(msg);
    return 0;
}

static int remote_stop(void *ud)
{
    remote *rm = ud;
    if (!rm->draining) {
        int flag = 0;
        MPI_Iprobe(0, TAG_DRAIN, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
        if (flag) {
            int one;
            MPI_Recv(&one, 1, MPI_INT, 0, TAG_DRAIN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            rm->draining = 1;
        }
    }
    return rm->draining;
}

/* A worker rank's side of imp_sweep_run: the MPI_Bcast of "go" (collective), then pieces from
 * rank 0 and batches back until TAG_STOP. job, grid, threads and o are global; store is this
 * rank's handle. */
static int run_remote(const imp_job *job, const imp_grid *grid, imp_store *store, int threads,
                      const imp_sweep_opts *o, int *exit_code, int *abort_others, imp_err *err)
{
    int go = 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!go)
        return imp_err_set(err, IMP_EINPUT, "rank 0 could not start the sweep");
    *abort_others = 1;
    imp_worker_opts wo;
    imp_worker_opts_init(&wo);
    wo.threads = threads;
    MPI_Comm_rank(MPI_COMM_WORLD, &wo.rank);
    wo.test_cell_delay_ms = o->test_cell_delay_ms;
    wo.test_piece_delay_ms = o->test_piece_delay_ms;
    imp_worker *w;
    int rc = imp_worker_create(job, grid, store, &wo, &w, err);
    if (rc)
        return rc;
    remote rm = {0, 0, 0};
    int64_t *msg = NULL;
    size_t cap = 0;
    while (!rc) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            sleep_us(300);
            continue;
        }
        if (st.MPI_TAG == TAG_STOP) {
            MPI_Recv(exit_code, 1, MPI_INT, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            break;
        }
        if (st.MPI_TAG == TAG_DRAIN) {
            remote_stop(&rm);
            continue;
        }
        int count = 0;
        MPI_Get_count(&st, MPI_INT64_T, &count);
        if ((size_t)count > cap) {
            free(msg);
            cap = (size_t)count * 2;
            if (!(msg = malloc(cap * sizeof *msg))) {
                rc = imp_err_set(err, IMP_ENOMEM, "out of memory for a piece of %d words", count);
                break;
            }
        }
        MPI_Recv(msg, count, MPI_INT64_T, 0, TAG_PIECE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        imp_piece p;
        rc = imp_piece_decode(msg, (size_t)count, grid, &p, err);
        if (rc)
            break;
        if (remote_stop(&rm)) { /* queued before the drain: give it back untouched */
            imp_batch_hdr h = {p.id, 0, 0, 1, 1};
            imp_cell_result none;
            rc = remote_emit(&h, &none, NULL);
        } else {
            rc = imp_worker_run(w, &p, remote_emit, remote_stop, &rm, err);
        }
        imp_piece_free(&p);
    }
    free(msg);
    imp_worker_destroy(w);
    if (!rc)
        *abort_others = 0;
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
        rc = run_remote(job, grid, store, threads, o, exit_code, abort_others, err);
    } else {
        rank0 s;
        memset(&s, 0, sizeof s);
        s.o = o;
        s.job = job;
        s.grid = grid;
        s.store = store;
        s.size = size;
        s.threads = threads;
        s.ws = calloc((size_t)size, sizeof *s.ws);
        if (!s.ws) {
            rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
            int go = 0;
            MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
        } else {
            rc = run_rank0(&s, exit_code, abort_others);
            if (rc)
                *err = s.err;
        }
        if (*abort_others)
            return rc; /* the local thread may still use everything: the caller exits */
        rank0_free(&s);
    }
    imp_store_close(store);
    imp_grid_free(grid);
    imp_job_free(job);
    return rc;
}
