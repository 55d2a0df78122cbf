/* sweep.c — the MPI sweep: rank 0 plans, dispatches units (dynamic pull, longest first,
 * prefer the worker holding the task's rows), journals every result and rewrites the cube;
 * every rank computes (rank 0 in a thread that never calls MPI). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "imprint/sweep.h"

#include <cblas.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <mpi.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imprint/cube.h"
#include "imprint/grid.h"
#include "imprint/job.h"
#include "imprint/journal.h"
#include "imprint/pool.h"
#include "imprint/taskload.h"
#include "imprint/worker.h"

enum { TAG_UNIT = 11, TAG_RES = 12, TAG_STOP = 13 };
#define MAX_OUT 2 /* units in flight per worker: one computing, one queued */

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
    o->drain_seconds = 60;
    o->progress_seconds = 10;
    o->cube_seconds = 60;
}

/* ---- small helpers ---------------------------------------------------------------------- */

static pthread_mutex_t g_h5 = PTHREAD_MUTEX_INITIALIZER;
static void h5_lock(void) { pthread_mutex_lock(&g_h5); }
static void h5_unlock(void) { pthread_mutex_unlock(&g_h5); }

static double now_s(void) { return imp_journal_clock(); }

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void fmt_hms(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

/* Threads per rank: a rank bound to fewer CPUs than the node has uses them all; an unbound
 * rank shares the node's CPUs with the other ranks on the node. */
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

/* Load and check the job, build the grid: every rank does this (deterministic), so units
 * travel as indices into the grid. */
static int setup(const char *job_path, imp_job **job, imp_grid **grid, imp_err *err)
{
    *job = NULL;
    *grid = NULL;
    int rc = imp_job_load(job_path, job, err);
    if (rc)
        return rc;
    imp_store *s;
    h5_lock();
    rc = imp_store_open((*job)->store_path, &s, err);
    if (!rc) {
        imp_store_view v;
        imp_store_view_init(&v, s);
        rc = imp_job_check_store(*job, &v, err);
        imp_store_close(s);
    } else {
        imp_err_prefix(err, "%s: store", job_path);
    }
    h5_unlock();
    if (!rc)
        rc = imp_grid_from_job(*job, grid, err);
    if (rc) {
        imp_job_free(*job);
        *job = NULL;
    }
    return rc;
}

/* ---- shared with `imprint plan` ----------------------------------------------------------- */

int imp_sweep_new_cube(const imp_job *job, const imp_grid *g, imp_cube **out, imp_err *err)
{
    imp_cube_axes ax = {g->n_model, g->n_task, g->n_strategy, g->n_k, g->n_shot, g->n_seed,
                        g->model, g->task, g->strategy, g->k, g->shot, g->seed};
    uint8_t *valid = malloc(g->n_cells ? g->n_cells : 1);
    if (!valid)
        return imp_err_set(err, IMP_ENOMEM, "out of memory for %zu cells", g->n_cells);
    for (size_t c = 0; c < g->n_cells; c++)
        valid[c] = (uint8_t)imp_grid_cell_valid(g, c, NULL, NULL);
    int rc = imp_cube_create(&ax, valid, out, err);
    free(valid);
    if (!rc)
        rc = imp_cube_set_attrs(*out, job->text, job->store_path, g->hash, err);
    if (rc) {
        imp_cube_free(*out);
        *out = NULL;
    }
    return rc;
}

void imp_sweep_cost_hints(const imp_job *job, const imp_grid *g, imp_cost_hint **out)
{
    imp_cost_hint *hints = calloc(g->n_model * g->n_task, sizeof *hints);
    imp_store *st = NULL;
    *out = hints;
    if (!hints || imp_store_open(job->store_path, &st, NULL) != 0)
        return;
    for (size_t m = 0; m < g->n_model; m++)
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
    imp_store_close(st);
}

int imp_sweep_setup(const char *job_path, imp_job **job, imp_grid **grid, imp_err *err)
{
    return setup(job_path, job, grid, err);
}

/* ---- rank 0's local worker thread --------------------------------------------------------- */

typedef struct done_item {
    size_t unit;
    imp_cell_result *res;
    size_t n;
    struct done_item *next;
} done_item;

typedef struct local_worker {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv, done_cv; /* cv: work for the thread; done_cv: results for rank 0 */
    imp_worker *w;
    size_t inbox[MAX_OUT];
    int64_t *msg[MAX_OUT];
    size_t len[MAX_OUT];
    int n_in, stop, running;
    done_item *done_head, *done_tail;
} local_worker;

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
        size_t unit = lw->inbox[0];
        int64_t *msg = lw->msg[0];
        size_t len = lw->len[0];
        pthread_mutex_unlock(&lw->mu);
        size_t n = imp_unit_count(msg, len);
        done_item *d = calloc(1, sizeof *d);
        imp_cell_result *res = calloc(n ? n : 1, sizeof *res);
        imp_err e;
        imp_err_clear(&e);
        if (d && res)
            imp_worker_run(lw->w, msg, len, res, &e);
        pthread_mutex_lock(&lw->mu);
        /* pop the message only now: rank 0 counts it as in flight until its results are in */
        free(lw->msg[0]);
        for (int i = 1; i < lw->n_in; i++) {
            lw->inbox[i - 1] = lw->inbox[i];
            lw->msg[i - 1] = lw->msg[i];
            lw->len[i - 1] = lw->len[i];
        }
        lw->n_in--;
        if (d && res) {
            d->unit = unit;
            d->res = res;
            d->n = n;
            if (lw->done_tail)
                lw->done_tail->next = d;
            else
                lw->done_head = d;
            lw->done_tail = d;
            pthread_cond_signal(&lw->done_cv);
        } else {
            free(d);
            free(res);
        }
        pthread_mutex_unlock(&lw->mu);
    }
    return NULL;
}

/* ---- rank 0 ------------------------------------------------------------------------------- */

typedef struct wstate {
    size_t q[MAX_OUT]; /* unit ids in flight, oldest first */
    int n;
    int64_t *buf[MAX_OUT];
    MPI_Request req[MAX_OUT];
    int64_t model, task; /* what the worker will hold after its queue */
} wstate;

typedef struct sched {
    const imp_sweep_opts *o;
    imp_job *job;
    imp_grid *grid;
    imp_plan *plan;
    imp_cube *cube;
    imp_journal *jr;
    char *cube_path, *journal_path, *progress_path;
    int size, threads;
    char *taken;
    size_t first_free, n_free;
    wstate *ws; /* index = rank (0 = the local thread) */
    local_worker lw;
    /* progress */
    size_t n_valid, n_done, n_failed, recorded, todo;
    double t_start, t_progress, t_cube;
    int stopped;
    imp_err err;
    int rc;
} sched;

static void count_status(sched *s)
{
    size_t counts[IMP_CELL__NSTATUS];
    imp_cube_count(s->cube, counts);
    s->n_done = counts[IMP_CELL_DONE];
    s->n_failed = counts[IMP_CELL_FAILED];
}

static int busy_ranks(const sched *s)
{
    int b = 0;
    for (int r = 0; r < s->size; r++)
        b += s->ws[r].n > 0;
    return b;
}

static void write_progress(sched *s, int final)
{
    double el = now_s() - s->t_start;
    double rate = el > 0 ? (double)s->recorded / el : 0;
    double left = (double)(s->todo > s->recorded ? s->todo - s->recorded : 0);
    double eta = rate > 0 ? left / rate : NAN;
    char eta_s[32], el_s[32];
    fmt_hms(eta, eta_s, sizeof eta_s);
    fmt_hms(el, el_s, sizeof el_s);
    if (!s->o->quiet || final)
        fprintf(stderr,
                "sweep: %zu/%zu cells done (%.1f%%), %zu failed, %.2f cells/s, elapsed %s, ETA %s, "
                "%d/%d ranks busy%s\n",
                s->n_done, s->n_valid, s->n_valid ? 100.0 * (double)s->n_done / (double)s->n_valid : 100.0,
                s->n_failed, rate, el_s, final ? "0:00:00" : eta_s, busy_ranks(s), s->size,
                s->stopped ? " (stopping)" : "");
    size_t len = strlen(s->progress_path) + 8;
    char *tmp = malloc(len);
    if (!tmp)
        return;
    snprintf(tmp, len, "%s.tmp", s->progress_path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        char iso[32];
        strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(f,
                "{\"job\": \"%s\", \"valid\": %zu, \"done\": %zu, \"failed\": %zu, \"pending\": %zu, "
                "\"todo_this_run\": %zu, \"recorded_this_run\": %zu, \"cells_per_second\": %.4f, "
                "\"elapsed_seconds\": %.1f, \"eta_seconds\": %s, \"ranks\": %d, \"busy_ranks\": %d, "
                "\"threads_per_rank\": %d, \"stopping\": %s, \"finished\": %s, \"updated\": \"%s\"}\n",
                s->o->job_path, s->n_valid, s->n_done, s->n_failed,
                s->n_valid - s->n_done - s->n_failed, s->todo, s->recorded, rate, el,
                isfinite(eta) && !final ? (snprintf(eta_s, sizeof eta_s, "%.1f", eta), eta_s) : "null",
                s->size, busy_ranks(s), s->threads, s->stopped ? "true" : "false",
                final ? "true" : "false", iso);
        if (fclose(f) == 0)
            rename(tmp, s->progress_path);
        else
            unlink(tmp);
    }
    free(tmp);
}

static int write_cube(sched *s)
{
    h5_lock();
    int rc = imp_cube_write(s->cube, s->cube_path, &s->err);
    h5_unlock();
    if (rc)
        fprintf(stderr, "imprint sweep: warning: %s\n", s->err.msg);
    return rc;
}

/* Pick the next unit for a worker: longest first, but prefer one on the (model, task) the
 * worker holds while plenty of work remains. */
static long pick_unit(sched *s, const wstate *w)
{
    while (s->first_free < s->plan->n_units && s->taken[s->first_free])
        s->first_free++;
    if (s->first_free >= s->plan->n_units)
        return -1;
    if (w->model >= 0 && s->n_free > 2 * (size_t)s->size) {
        size_t scanned = 0;
        for (size_t i = s->first_free; i < s->plan->n_units && scanned < 512; i++) {
            if (s->taken[i])
                continue;
            scanned++;
            const imp_unit *u = &s->plan->units[i];
            if ((int64_t)u->model == w->model && (int64_t)u->task == w->task)
                return (long)i;
        }
    }
    return (long)s->first_free;
}

static int dispatch(sched *s, int r)
{
    wstate *w = &s->ws[r];
    if (s->stopped || w->n >= MAX_OUT)
        return 0;
    long u = pick_unit(s, w);
    if (u < 0)
        return 0;
    int64_t *msg;
    size_t len, nc;
    if (imp_unit_encode(s->plan, (size_t)u, &msg, &len, &nc, &s->err))
        return -1;
    s->taken[u] = 1;
    s->n_free--;
    w->model = s->plan->units[u].model;
    w->task = s->plan->units[u].task;
    if (r == 0) {
        pthread_mutex_lock(&s->lw.mu);
        s->lw.inbox[s->lw.n_in] = (size_t)u;
        s->lw.msg[s->lw.n_in] = msg;
        s->lw.len[s->lw.n_in] = len;
        s->lw.n_in++;
        pthread_cond_signal(&s->lw.cv);
        pthread_mutex_unlock(&s->lw.mu);
        w->q[w->n] = (size_t)u;
        w->buf[w->n] = NULL;
        w->n++;
    } else {
        w->q[w->n] = (size_t)u;
        w->buf[w->n] = msg;
        MPI_Isend(msg, (int)len, MPI_INT64_T, r, TAG_UNIT, MPI_COMM_WORLD, &w->req[w->n]);
        w->n++;
    }
    return 1;
}

static int record(sched *s, const imp_cell_result *rec)
{
    uint8_t before = s->cube->status[rec->cell];
    int rc = imp_cube_apply(s->cube, rec, &s->err);
    if (!rc)
        rc = imp_journal_append(s->jr, rec, &s->err);
    if (rc)
        return rc;
    if (before == IMP_CELL_DONE)
        s->n_done--;
    if (before == IMP_CELL_FAILED)
        s->n_failed--;
    if (rec->status == IMP_CELL_DONE)
        s->n_done++;
    else
        s->n_failed++;
    s->recorded++;
    return 0;
}

/* Results of worker r's oldest unit. */
static int complete(sched *s, int r, const imp_cell_result *res, size_t n)
{
    wstate *w = &s->ws[r];
    if (w->n == 0)
        return imp_err_set(&s->err, IMP_EMPI, "results from rank %d, which has no unit in flight", r);
    size_t u = w->q[0];
    if (r > 0) {
        MPI_Wait(&w->req[0], MPI_STATUS_IGNORE);
        free(w->buf[0]);
    }
    for (int i = 1; i < w->n; i++) {
        w->q[i - 1] = w->q[i];
        w->buf[i - 1] = w->buf[i];
        w->req[i - 1] = w->req[i];
    }
    w->n--;
    const imp_unit *un = &s->plan->units[u];
    size_t i = 0;
    for (size_t g = un->first_gen; g < un->first_gen + un->n_gens; g++) {
        const imp_unit_gen *ge = &s->plan->gens[g];
        for (size_t c = ge->first_cell; c < ge->first_cell + ge->n_cells; c++, i++) {
            const imp_unit_cell *uc = &s->plan->cells[c];
            if (i >= n || res[i].cell != uc->cell)
                return imp_err_set(&s->err, IMP_EMPI,
                                   "rank %d returned %zu results for unit %zu, which has more "
                                   "cells or others", r, n, u);
            int rc = record(s, &res[i]);
            for (size_t a = 0; !rc && a < uc->n_alias; a++) {
                imp_cell_result alias = res[i];
                alias.cell = s->plan->alias[uc->first_alias + a];
                rc = record(s, &alias);
            }
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int outstanding(const sched *s)
{
    int n = 0;
    for (int r = 0; r < s->size; r++)
        n += s->ws[r].n;
    return n;
}

/* Describe how the journal's grid differs from the job's, using the job text in the cube. */
static void explain_mismatch(sched *s, char *buf, size_t n)
{
    buf[0] = '\0';
    imp_cube *old = NULL;
    imp_err e;
    h5_lock();
    int rc = imp_cube_read(s->cube_path, &old, &e);
    h5_unlock();
    if (rc || !old->job[0]) {
        snprintf(buf, n, "(the cube %s that would say what changed is missing or unreadable)",
                 s->cube_path);
        imp_cube_free(old);
        return;
    }
    char *dir = strdup(s->o->job_path);
    imp_job *oj = NULL;
    imp_grid *og = NULL;
    if (dir && !imp_job_parse(old->job, strlen(old->job), "(previous job)", dirname(dir), &oj, &e) &&
        !imp_grid_from_job(oj, &og, &e)) {
        char diff[2048];
        int nd = imp_grid_diff(og, s->grid, diff, sizeof diff);
        snprintf(buf, n, "%s", nd ? diff : "(only the store's classes differ)");
    } else {
        snprintf(buf, n, "(the previous job text cannot be parsed: %s)", e.msg);
    }
    imp_grid_free(og);
    imp_job_free(oj);
    free(dir);
    imp_cube_free(old);
}

static int rank0_prepare(sched *s)
{
    const imp_grid *g = s->grid;
    size_t len = strlen(s->job->cube_path) + 32;
    s->cube_path = strdup(s->job->cube_path);
    s->journal_path = malloc(len);
    s->progress_path = malloc(len);
    if (!s->cube_path || !s->journal_path || !s->progress_path)
        return imp_err_set(&s->err, IMP_ENOMEM, "out of memory");
    snprintf(s->journal_path, len, "%s.journal", s->cube_path);
    snprintf(s->progress_path, len, "%s.progress.json", s->cube_path);
    int rc = imp_sweep_new_cube(s->job, g, &s->cube, &s->err);
    if (rc)
        return rc;
    if (s->o->fresh) {
        unlink(s->journal_path);
    } else if (access(s->journal_path, F_OK) == 0) {
        imp_journal_info info;
        rc = imp_cube_apply_journal(s->cube, s->journal_path, &info, &s->err);
        if (rc && info.grid_mismatch) {
            char why[2300];
            explain_mismatch(s, why, sizeof why);
            return imp_err_set(&s->err, IMP_EINPUT,
                               "%s: the journal %s was written for another grid; what changed:\n"
                               "%s\nRerun with --fresh to start over (this discards the journal's "
                               "results), or restore the previous job file.",
                               s->o->job_path, s->journal_path, why);
        }
        if (rc)
            return rc;
        if (info.torn_bytes)
            fprintf(stderr, "sweep: dropped a torn last journal record (%llu bytes)\n",
                    (unsigned long long)info.torn_bytes);
        /* keep the cube's creation time across runs */
        imp_cube *old = NULL;
        imp_err e;
        if (imp_cube_read(s->cube_path, &old, &e) == 0 && old->created[0]) {
            free(s->cube->created);
            s->cube->created = strdup(old->created);
        }
        imp_cube_free(old);
    }
    imp_journal_info jinfo;
    rc = imp_journal_open(s->journal_path, g->hash, g->n_cells, s->o->fresh, &s->jr, &jinfo,
                          &s->err);
    if (rc)
        return rc;
    imp_cost_hint *hints = NULL;
    imp_sweep_cost_hints(s->job, g, &hints);
    rc = imp_plan_build(g, s->cube->status, s->o->retry_failed, hints, &s->plan, &s->err);
    free(hints);
    if (rc)
        return rc;
    s->taken = calloc(s->plan->n_units ? s->plan->n_units : 1, 1);
    if (!s->taken)
        return imp_err_set(&s->err, IMP_ENOMEM, "out of memory");
    s->n_free = s->plan->n_units;
    s->n_valid = g->n_valid;
    s->todo = s->plan->n_todo;
    count_status(s);
    fprintf(stderr,
            "sweep: %s: %zu cells, %zu valid (%zu n/a); %zu done, %zu failed before this run; "
            "%zu to do in %zu units (%zu GEN computations); %d rank%s x %d thread%s\n",
            s->o->job_path, g->n_cells, g->n_valid, g->n_na, s->n_done, s->n_failed, s->todo,
            s->plan->n_units, s->plan->n_gens, s->size, s->size == 1 ? "" : "s", s->threads,
            s->threads == 1 ? "" : "s");
    return 0;
}

static int run_rank0(sched *s, int *exit_code)
{
    int rc = rank0_prepare(s);
    int fatal = rc != 0;
    /* tell the workers whether to start (1) or stop at once (0) */
    int go = !fatal;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (fatal)
        return rc;
    write_cube(s);
    s->t_start = s->t_progress = s->t_cube = now_s();
    /* the local worker */
    pthread_mutex_init(&s->lw.mu, NULL);
    pthread_cond_init(&s->lw.cv, NULL);
    pthread_cond_init(&s->lw.done_cv, NULL);
    rc = imp_worker_create(s->job, s->grid, s->threads, &s->lw.w, &s->err);
    if (!rc) {
        imp_worker_set_hdf5_lock(s->lw.w, h5_lock, h5_unlock);
        if (pthread_create(&s->lw.tid, NULL, local_main, &s->lw) != 0)
            rc = imp_err_set(&s->err, IMP_EINTERNAL, "cannot start the compute thread");
        else
            s->lw.running = 1;
    }
    for (int r = 0; !rc && r < s->size; r++) {
        s->ws[r].model = s->ws[r].task = -1;
        for (int k = 0; k < MAX_OUT && !rc; k++)
            if (dispatch(s, r) < 0)
                rc = -1;
    }
    if (!rc)
        write_progress(s, 0); /* after the first dispatch, so "ranks busy" is true */
    int seen_signals = 0, aborting = 0;
    double drain_deadline = 0;
    size_t cap = 0;
    imp_cell_result *buf = NULL;
    while (!rc) {
        int progressed = 0;
        int sig = imp_signals_count();
        if (sig > seen_signals) {
            seen_signals = sig;
            if (!s->stopped) {
                s->stopped = 1;
                drain_deadline = now_s() + s->o->drain_seconds;
                imp_journal_sync(s->jr, NULL);
                fprintf(stderr,
                        "sweep: stop signal: no new work; waiting up to %.0f s for %d unit%s in "
                        "flight (a second signal stops at once)\n",
                        s->o->drain_seconds, outstanding(s), outstanding(s) == 1 ? "" : "s");
            } else {
                aborting = 1;
                fprintf(stderr, "sweep: second stop signal: stopping now\n");
                break;
            }
        }
        /* results from remote ranks */
        for (;;) {
            int flag = 0;
            MPI_Status st;
            MPI_Iprobe(MPI_ANY_SOURCE, TAG_RES, MPI_COMM_WORLD, &flag, &st);
            if (!flag)
                break;
            int bytes = 0;
            MPI_Get_count(&st, MPI_BYTE, &bytes);
            size_t n = (size_t)bytes / sizeof(imp_cell_result);
            if (n > cap) {
                cap = n * 2;
                imp_cell_result *nb = realloc(buf, cap * sizeof *nb);
                if (!nb) {
                    rc = imp_err_set(&s->err, IMP_ENOMEM, "out of memory for results");
                    break;
                }
                buf = nb;
            }
            MPI_Recv(buf, bytes, MPI_BYTE, st.MPI_SOURCE, TAG_RES, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            rc = complete(s, st.MPI_SOURCE, buf, n);
            if (!rc && dispatch(s, st.MPI_SOURCE) < 0)
                rc = -1;
            progressed = 1;
            if (rc)
                break;
        }
        /* results from the local thread */
        for (;;) {
            pthread_mutex_lock(&s->lw.mu);
            done_item *d = s->lw.done_head;
            if (d) {
                s->lw.done_head = d->next;
                if (!s->lw.done_head)
                    s->lw.done_tail = NULL;
            }
            pthread_mutex_unlock(&s->lw.mu);
            if (!d || rc)
                break;
            rc = complete(s, 0, d->res, d->n);
            free(d->res);
            free(d);
            if (!rc && dispatch(s, 0) < 0)
                rc = -1;
            progressed = 1;
        }
        if (rc)
            break;
        double t = now_s();
        if (imp_journal_maybe_sync(s->jr, t, &s->err) < 0) {
            rc = s->err.code ? s->err.code : IMP_EIO;
            break;
        }
        if (t - s->t_progress >= s->o->progress_seconds) {
            write_progress(s, 0);
            s->t_progress = t;
        }
        if (t - s->t_cube >= s->o->cube_seconds) {
            imp_journal_sync(s->jr, NULL);
            write_cube(s);
            s->t_cube = now_s();
        }
        if (outstanding(s) == 0 && (s->stopped || s->n_free == 0))
            break;
        if (s->stopped && t > drain_deadline) {
            aborting = 1;
            fprintf(stderr, "sweep: drain time (%.0f s) over with %d unit%s in flight; stopping\n",
                    s->o->drain_seconds, outstanding(s), outstanding(s) == 1 ? "" : "s");
            break;
        }
        if (!progressed) {
            /* idle: wake at once when the local thread finishes, else poll MPI again soon */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 300000;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_mutex_lock(&s->lw.mu);
            if (!s->lw.done_head)
                pthread_cond_timedwait(&s->lw.done_cv, &s->lw.mu, &ts);
            pthread_mutex_unlock(&s->lw.mu);
        }
    }
    free(buf);
    int sync_rc = imp_journal_sync(s->jr, rc ? NULL : &s->err);
    if (!rc && sync_rc)
        rc = sync_rc;
    write_cube(s);
    int pending = s->n_done + s->n_failed < s->n_valid;
    *exit_code = (s->stopped && pending) ? 75 : s->n_failed ? 4 : 0;
    write_progress(s, !s->stopped || !pending);
    if (rc)
        fprintf(stderr, "imprint sweep: %s\n", s->err.msg);
    else if (*exit_code == 75)
        fprintf(stderr, "sweep: stopped; %zu of %zu cells done, %zu failed. Run the same command "
                        "again to resume.\n", s->n_done, s->n_valid, s->n_failed);
    else
        fprintf(stderr, "sweep: finished: %zu of %zu cells done, %zu failed; cube %s\n", s->n_done,
                s->n_valid, s->n_failed, s->cube_path);
    if (aborting || rc) {
        imp_journal_close(s->jr, NULL);
        s->jr = NULL;
        fflush(stderr);
        fflush(stdout);
        int code = rc ? imp_exit_code(rc) : 75;
        if (s->size > 1)
            MPI_Abort(MPI_COMM_WORLD, code);
        _exit(code);
    }
    /* normal end: stop the workers and the local thread */
    for (int r = 1; r < s->size; r++)
        MPI_Send(exit_code, 1, MPI_INT, r, TAG_STOP, MPI_COMM_WORLD);
    pthread_mutex_lock(&s->lw.mu);
    s->lw.stop = 1;
    pthread_cond_signal(&s->lw.cv);
    pthread_mutex_unlock(&s->lw.mu);
    if (s->lw.running)
        pthread_join(s->lw.tid, NULL);
    return 0;
}

/* ---- other ranks -------------------------------------------------------------------------- */

static int run_worker(const imp_job *job, const imp_grid *grid, int threads, int *exit_code,
                      imp_err *err)
{
    int go = 0;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!go)
        return imp_err_set(err, IMP_EINPUT, "rank 0 could not start the sweep");
    imp_worker *w;
    int rc = imp_worker_create(job, grid, threads, &w, err);
    if (rc) {
        fprintf(stderr, "imprint sweep: %s\n", err->msg);
        MPI_Abort(MPI_COMM_WORLD, imp_exit_code(rc));
    }
    int64_t *msg = NULL;
    size_t cap = 0;
    for (;;) {
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
        int count = 0;
        MPI_Get_count(&st, MPI_INT64_T, &count);
        if ((size_t)count > cap) {
            cap = (size_t)count * 2;
            free(msg);
            msg = malloc(cap * sizeof *msg);
            if (!msg) {
                fprintf(stderr, "imprint sweep: out of memory on a worker\n");
                MPI_Abort(MPI_COMM_WORLD, 1);
            }
        }
        MPI_Recv(msg, count, MPI_INT64_T, 0, TAG_UNIT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        size_t n = imp_unit_count(msg, (size_t)count);
        imp_cell_result *res = calloc(n ? n : 1, sizeof *res);
        imp_err e;
        imp_err_clear(&e);
        if (!res || imp_worker_run(w, msg, (size_t)count, res, &e)) {
            fprintf(stderr, "imprint sweep: worker: %s\n", res ? e.msg : "out of memory");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        MPI_Send(res, (int)(n * sizeof *res), MPI_BYTE, 0, TAG_RES, MPI_COMM_WORLD);
        free(res);
    }
    free(msg);
    imp_worker_destroy(w);
    return 0;
}

int imp_sweep_run(const imp_sweep_opts *o, int *exit_code, imp_err *err)
{
    *exit_code = 1;
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int threads = o->threads > 0 ? o->threads : auto_threads();
    openblas_set_num_threads(threads);
    imp_job *job = NULL;
    imp_grid *grid = NULL;
    int rc = setup(o->job_path, &job, &grid, err);
    /* every rank must agree that setup worked before any talks about units */
    int ok = rc == 0, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!all_ok) {
        if (!rc)
            rc = imp_err_set(err, IMP_EINPUT, "another rank could not read the job or store");
        imp_grid_free(grid);
        imp_job_free(job);
        return rc;
    }
    if (rank != 0) {
        rc = run_worker(job, grid, threads, exit_code, err);
    } else {
        sched s;
        memset(&s, 0, sizeof s);
        s.o = o;
        s.job = job;
        s.grid = grid;
        s.size = size;
        s.threads = threads;
        s.ws = calloc((size_t)size, sizeof *s.ws);
        if (!s.ws) {
            rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
            int go = 0;
            MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
        } else {
            rc = run_rank0(&s, exit_code);
            if (rc)
                *err = s.err;
        }
        if (s.jr)
            imp_journal_close(s.jr, NULL);
        imp_worker_destroy(s.lw.w);
        imp_plan_free(s.plan);
        imp_cube_free(s.cube);
        free(s.taken);
        free(s.ws);
        free(s.cube_path);
        free(s.journal_path);
        free(s.progress_path);
    }
    imp_grid_free(grid);
    imp_job_free(job);
    return rc;
}
