/* worker.c — one work unit: the task's rows once, each GEN once, every cell on top. */
#include "imprint/worker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imprint/infer.h"
#include "imprint/norm.h"
#include "imprint/proxy.h"
#include "imprint/rng.h"
#include "imprint/taskload.h"

struct imp_worker {
    const imp_job *job;
    const imp_grid *grid;
    imp_store *store;
    int threads;
    int64_t model, task; /* held data, -1 if none */
    int load_rc;         /* the held task failed to load: every cell fails with load_err */
    imp_err load_err;
    imp_data train, test, train_l2;
    int have_l2;
    void (*lock)(void), (*unlock)(void);
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int imp_unit_encode(const imp_plan *plan, size_t u, int64_t **msg, size_t *len, size_t *n_cells,
                    imp_err *err)
{
    const imp_unit *un = &plan->units[u];
    size_t words = IMP_UNIT_HDR, cells = 0;
    for (size_t g = un->first_gen; g < un->first_gen + un->n_gens; g++) {
        words += 3 + 2 * plan->gens[g].n_cells;
        cells += plan->gens[g].n_cells;
    }
    int64_t *m = malloc(words * sizeof *m);
    if (!m)
        return imp_err_set(err, IMP_ENOMEM, "out of memory encoding a unit");
    size_t o = 0;
    m[o++] = (int64_t)u;
    m[o++] = un->model;
    m[o++] = un->task;
    m[o++] = un->shot;
    m[o++] = un->seed;
    m[o++] = (int64_t)un->n_gens;
    for (size_t g = un->first_gen; g < un->first_gen + un->n_gens; g++) {
        const imp_unit_gen *ge = &plan->gens[g];
        m[o++] = ge->strategy;
        m[o++] = ge->k_eff;
        m[o++] = (int64_t)ge->n_cells;
        for (size_t c = ge->first_cell; c < ge->first_cell + ge->n_cells; c++) {
            m[o++] = (int64_t)plan->cells[c].cell;
            m[o++] = plan->cells[c].strategy;
        }
    }
    *msg = m;
    *len = words;
    *n_cells = cells;
    return 0;
}

size_t imp_unit_count(const int64_t *msg, size_t len)
{
    if (len < IMP_UNIT_HDR || msg[5] < 0)
        return 0;
    size_t o = IMP_UNIT_HDR, cells = 0;
    for (int64_t g = 0; g < msg[5]; g++) {
        if (o + 3 > len || msg[o + 2] < 0)
            return 0;
        size_t nc = (size_t)msg[o + 2];
        if (o + 3 + 2 * nc > len)
            return 0;
        cells += nc;
        o += 3 + 2 * nc;
    }
    return o == len ? cells : 0;
}

int imp_worker_create(const imp_job *job, const imp_grid *grid, int threads, imp_worker **out,
                      imp_err *err)
{
    *out = NULL;
    imp_worker *w = calloc(1, sizeof *w);
    if (!w)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    int rc = imp_store_open(job->store_path, &w->store, err);
    if (rc) {
        free(w);
        return rc;
    }
    w->job = job;
    w->grid = grid;
    w->threads = threads < 1 ? 1 : threads;
    w->model = w->task = -1;
    *out = w;
    return 0;
}

static void drop_data(imp_worker *w)
{
    imp_data_free(&w->train);
    imp_data_free(&w->test);
    imp_data_free(&w->train_l2);
    w->have_l2 = 0;
    w->model = w->task = -1;
}

void imp_worker_destroy(imp_worker *w)
{
    if (!w)
        return;
    drop_data(w);
    imp_store_close(w->store);
    free(w);
}

void imp_worker_set_hdf5_lock(imp_worker *w, void (*lock)(void), void (*unlock)(void))
{
    w->lock = lock;
    w->unlock = unlock;
}

void imp_worker_holds(const imp_worker *w, int64_t *model, int64_t *task)
{
    *model = w->model;
    *task = w->task;
}

static void load_task(imp_worker *w, int64_t model, int64_t task)
{
    if (w->model == model && w->task == task)
        return;
    drop_data(w);
    w->model = model;
    w->task = task;
    imp_err_clear(&w->load_err);
    const imp_task *t = &w->job->tasks[task];
    const char *m = w->grid->model[model];
    if (w->lock)
        w->lock();
    w->load_rc = imp_task_load(w->store, t, m, "train", &w->train, &w->load_err);
    if (!w->load_rc)
        w->load_rc = imp_task_load(w->store, t, m, "test", &w->test, &w->load_err);
    if (w->unlock)
        w->unlock();
}

static const imp_data *train_for(imp_worker *w, imp_norm pre, imp_err *err)
{
    if (pre != IMP_NORM_L2)
        return &w->train;
    if (!w->have_l2) {
        imp_data *d = &w->train_l2;
        *d = w->train;
        d->offset = malloc(((size_t)w->train.n_classes + 1) * sizeof *d->offset);
        d->X = malloc((w->train.n ? w->train.n : 1) * w->train.d * sizeof(float));
        if (!d->offset || !d->X) {
            free(d->offset);
            free(d->X);
            memset(d, 0, sizeof *d);
            imp_err_set(err, IMP_ENOMEM, "out of memory for the l2-normalised rows");
            return NULL;
        }
        memcpy(d->offset, w->train.offset, ((size_t)w->train.n_classes + 1) * sizeof *d->offset);
        memcpy(d->X, w->train.X, w->train.n * w->train.d * sizeof(float));
        imp_l2_rows_noeps(d->X, d->n, d->d);
        w->have_l2 = 1;
    }
    return &w->train_l2;
}

static void fail_cell(imp_cell_result *r, int64_t cell, const char *msg)
{
    memset(r, 0, sizeof *r);
    r->cell = (uint64_t)cell;
    r->status = IMP_CELL_FAILED;
    r->accuracy = NAN;
    r->gen_seconds = NAN;
    r->inf_seconds = NAN;
    r->n_proxies = -1;
    snprintf(r->message, sizeof r->message, "%s", msg);
}

int imp_worker_run(imp_worker *w, const int64_t *msg, size_t len, imp_cell_result *res,
                   imp_err *err)
{
    const imp_grid *g = w->grid;
    if (!imp_unit_count(msg, len) || msg[1] < 0 || (size_t)msg[1] >= g->n_model || msg[2] < 0 ||
        (size_t)msg[2] >= g->n_task || msg[3] < 0 || (size_t)msg[3] >= g->n_shot || msg[4] < 0 ||
        (size_t)msg[4] >= g->n_seed)
        return imp_err_set(err, IMP_EINPUT, "malformed work unit message (%zu words)", len);
    /* testing hook: slow every unit down so tests can stop a sweep mid-run */
    const char *slow = getenv("IMPRINT_TEST_UNIT_SLEEP_MS");
    if (slow && atoi(slow) > 0) {
        long ms = atol(slow);
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* benchmark hook: recompute GEN for every cell, to measure what sharing saves */
    int no_sharing = getenv("IMPRINT_BENCH_NO_GEN_SHARING") != NULL;
    int64_t model = msg[1], task = msg[2];
    int shot = (int)g->shot[msg[3]];
    uint64_t seed = (uint64_t)g->seed[msg[4]];
    load_task(w, model, task);
    double lambda;
    if (!imp_job_lambda(w->job, g->model[model], &lambda))
        lambda = imp_store_lambda(w->store, g->model[model]);
    uint64_t task_hash = imp_hash_str(g->task[task]);
    size_t o = IMP_UNIT_HDR, r = 0;
    for (int64_t gi = 0; gi < msg[5]; gi++) {
        int64_t sidx = msg[o], k_eff = msg[o + 1], nc = msg[o + 2];
        const int64_t *cells = msg + o + 3;
        o += 3 + 2 * (size_t)nc;
        if (sidx < 0 || (size_t)sidx >= g->n_strategy) {
            for (int64_t c = 0; c < nc; c++)
                fail_cell(&res[r++], cells[2 * c], "malformed unit: strategy index");
            continue;
        }
        if (w->load_rc) {
            for (int64_t c = 0; c < nc; c++)
                fail_cell(&res[r++], cells[2 * c], w->load_err.msg);
            continue;
        }
        const imp_strategy *gs = &g->strat[sidx];
        imp_err gerr;
        imp_err_clear(&gerr);
        imp_proxies px = {0};
        imp_gen_params gp = {.gen = gs->gen, .k = (int)k_eff, .shot = shot, .seed = seed,
                             .task_hash = task_hash, .lambda = lambda, .threads = w->threads};
        const imp_data *train = train_for(w, gs->pre, &gerr);
        int rc = train ? imp_gen_run(train, &gp, &px, &gerr) : IMP_ENOMEM;
        for (int64_t c = 0; c < nc; c++) {
            imp_cell_result *out = &res[r++];
            int64_t cell = cells[2 * c], cs = cells[2 * c + 1];
            if (rc) {
                fail_cell(out, cell, gerr.msg);
                continue;
            }
            if (cs < 0 || (size_t)cs >= g->n_strategy) {
                fail_cell(out, cell, "malformed unit: cell strategy index");
                continue;
            }
            const imp_strategy *s = &g->strat[cs];
            if (no_sharing && c > 0) { /* benchmark hook: what the sweep costs without sharing */
                imp_proxies_free(&px);
                rc = imp_gen_run(train, &gp, &px, &gerr);
                if (rc) {
                    fail_cell(out, cell, gerr.msg);
                    continue;
                }
            }
            double t0 = now_s();
            imp_err cerr;
            imp_err_clear(&cerr);
            imp_proxies view = px, copy = {0};
            int crc = 0;
            if (s->post != IMP_NORM_NONE) {
                crc = imp_proxies_copy(&px, &copy, &cerr);
                if (!crc)
                    crc = imp_post_apply(&copy, s->post, &cerr);
                view = copy;
            }
            imp_infer_result ir;
            if (!crc)
                crc = imp_infer(&view, &w->test, s, w->threads, NULL, &ir, &cerr);
            double secs = now_s() - t0;
            imp_proxies_free(&copy);
            if (crc) {
                fail_cell(out, cell, cerr.msg);
                continue;
            }
            memset(out, 0, sizeof *out);
            out->cell = (uint64_t)cell;
            out->status = IMP_CELL_DONE;
            out->accuracy = ir.accuracy;
            out->gen_seconds = (float)px.gen_seconds;
            out->inf_seconds = (float)secs;
            out->n_proxies = (int32_t)px.P;
        }
        imp_proxies_free(&px);
    }
    return 0;
}
