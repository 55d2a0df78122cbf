/* worker.c — one work piece: the task's rows once, each GEN from the LRU or computed once,
 * every cell on top, results out in batches as they finish. */
#include "imprint/worker.h"
#include "imprint/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imprint/pipeline.h"
#include "imprint/norm.h"
#include "imprint/proxy.h"
#include "imprint/rng.h"
#include "imprint/taskload.h"

/* A cached GEN result: the proxies (before NORMpost) of one (model, task, shot, seed, k_eff)
 * and strategy strat, shared by every strategy that imp_strategy_same_gen pairs with strat.
 * used: a counter stamp, the largest is the most recent. */
typedef struct cache_entry {
    int valid;
    uint32_t model, task, shot, seed;
    imp_strategy strat;
    int64_t k_eff;
    int rc;          /* GEN failed: every cell fails with msg */
    char msg[IMP_CELL_MSG_MAX];
    imp_proxies px;
    size_t bytes;
    uint64_t used;
} cache_entry;

struct imp_worker {
    const imp_job *job;
    const imp_grid *grid;
    imp_store *store;
    imp_worker_opts o;
    int64_t model, task; /* held data, -1 if none */
    int load_rc;         /* the held task failed to load: every cell fails with load_err */
    imp_err load_err;
    imp_data train, test, train_l2;
    int have_l2;
    imp_gen_cache *gen_cache; /* GEN sharing over the held task's rows (NULL: none) */
    cache_entry cache[IMP_WORKER_CACHE_SETS];
    uint64_t clock;
    double *lambda;      /* per model: the job's override or the store's (read under lock) */
    void (*lock)(void), (*unlock)(void);
    char host[IMP_HOST_MAX]; /* this process's host name, stamped on every result */
};

void imp_worker_opts_init(imp_worker_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->batch_seconds = 2.0;
    o->cache_bytes = (size_t)256 << 20;
}

int imp_worker_create(const imp_job *job, const imp_grid *grid, imp_store *store,
                      const imp_worker_opts *o, imp_worker **out, imp_err *err)
{
    *out = NULL;
    imp_worker *w = calloc(1, sizeof *w);
    if (!w)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    w->job = job;
    w->grid = grid;
    w->store = store;
    if (o)
        w->o = *o;
    else
        imp_worker_opts_init(&w->o);
    if (w->o.threads < 1)
        w->o.threads = 1;
    w->model = w->task = -1;
    if (gethostname(w->host, sizeof w->host) != 0)
        snprintf(w->host, sizeof w->host, "unknown");
    w->host[sizeof w->host - 1] = '\0';
    *out = w;
    return 0;
}

/* λ of every model, read once (a store attribute: HDF5, so under the lock). */
static int read_lambdas(imp_worker *w)
{
    const imp_grid *g = w->grid;
    if (w->lambda)
        return 0;
    if (!(w->lambda = malloc((g->n_model ? g->n_model : 1) * sizeof *w->lambda)))
        return IMP_ENOMEM;
    if (w->lock)
        w->lock();
    for (size_t m = 0; m < g->n_model; m++)
        if (!imp_job_lambda(w->job, g->model[m], &w->lambda[m]))
            w->lambda[m] = imp_store_lambda(w->store, g->model[m]);
    if (w->unlock)
        w->unlock();
    return 0;
}

static void drop_data(imp_worker *w)
{
    imp_gen_cache_destroy(w->gen_cache);
    w->gen_cache = NULL;
    imp_data_free(&w->train);
    imp_data_free(&w->test);
    imp_data_free(&w->train_l2);
    w->have_l2 = 0;
    w->model = w->task = -1;
}

static void drop_entry(cache_entry *e)
{
    imp_proxies_free(&e->px);
    memset(e, 0, sizeof *e);
}

void imp_worker_destroy(imp_worker *w)
{
    if (!w)
        return;
    drop_data(w);
    for (int i = 0; i < IMP_WORKER_CACHE_SETS; i++)
        drop_entry(&w->cache[i]);
    free(w->lambda);
    free(w);
}

void imp_worker_set_hdf5_lock(imp_worker *w, void (*lock)(void), void (*unlock)(void))
{
    w->lock = lock;
    w->unlock = unlock;
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
    if (!w->load_rc && imp_gen_cache_create(&w->gen_cache, NULL))
        w->gen_cache = NULL; /* out of memory: GEN runs unshared, same results */
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

static void fail_cell(imp_cell_result *r, uint64_t cell, const char *msg)
{
    memset(r, 0, sizeof *r);
    imp_cell_result_unknown(r);
    r->cell = cell;
    r->status = IMP_CELL_FAILED;
    snprintf(r->message, sizeof r->message, "%s", msg);
}

/* Provenance of n results that just finished: this host, this rank, now (UTC). */
static void stamp(const imp_worker *w, imp_cell_result *r, size_t n)
{
    double now = imp_clock_wall_s();
    for (size_t i = 0; i < n; i++) {
        memcpy(r[i].host, w->host, sizeof r[i].host);
        r[i].rank = w->o.rank;
        r[i].finished = now;
    }
}

/* The proxies of a piece's group: from the LRU, or computed and put in it (evicting the
 * least recent entries while over the byte budget). A GEN failure is cached as well. */
static const cache_entry *proxies_for(imp_worker *w, const imp_piece *p,
                                      const imp_piece_group *g)
{
    const imp_grid *gr = w->grid;
    const imp_strategy *gs = &gr->strat[g->strategy];
    for (int i = 0; i < IMP_WORKER_CACHE_SETS; i++) {
        cache_entry *e = &w->cache[i];
        if (e->valid && e->model == p->model && e->task == p->task && e->shot == p->shot &&
            e->seed == p->seed && e->k_eff == g->k_eff && imp_strategy_same_gen(&e->strat, gs)) {
            e->used = ++w->clock;
            return e;
        }
    }
    int slot = 0;
    for (int i = 1; i < IMP_WORKER_CACHE_SETS; i++)
        if (!w->cache[i].valid || (w->cache[slot].valid && w->cache[i].used < w->cache[slot].used))
            slot = i;
    cache_entry *e = &w->cache[slot];
    drop_entry(e);
    double lambda = w->lambda[p->model];
    imp_err gerr;
    imp_err_clear(&gerr);
    imp_gen_params gp = {.gen = gs->gen, .k = (int)g->k_eff, .shot = (int)gr->shot[p->shot],
                         .seed = (uint64_t)gr->seed[p->seed],
                         .task_hash = imp_hash_str(gr->task[p->task]), .lambda = lambda,
                         .threads = w->o.threads, .cache = w->gen_cache};
    const imp_data *train = train_for(w, gs->pre, &gerr);
    e->rc = train ? imp_gen_run(train, &gp, &e->px, &gerr) : IMP_ENOMEM;
    if (e->rc)
        snprintf(e->msg, sizeof e->msg, "%s", gerr.msg);
    e->valid = 1;
    e->model = p->model;
    e->task = p->task;
    e->shot = p->shot;
    e->seed = p->seed;
    e->strat = *gs;
    e->k_eff = g->k_eff;
    e->bytes = e->px.P * e->px.d * sizeof(float);
    e->used = ++w->clock;
    /* keep the newest entry whatever its size; drop older ones while over budget */
    for (;;) {
        size_t total = 0;
        int oldest = -1;
        for (int i = 0; i < IMP_WORKER_CACHE_SETS; i++) {
            cache_entry *x = &w->cache[i];
            if (!x->valid)
                continue;
            total += x->bytes;
            if (x != e && (oldest < 0 || x->used < w->cache[oldest].used))
                oldest = i;
        }
        if (total <= w->o.cache_bytes || oldest < 0)
            break;
        drop_entry(&w->cache[oldest]);
    }
    return e;
}

/* Evaluate n cells on one proxy set — NORMpost, NORMinf, AGG and the accuracy of each, into
 * res[0..n) — through the cell pipeline: one call, distances shared over the cells. */
static void eval_on_proxies(imp_worker *w, const imp_proxies *px, const imp_piece_cell *cells,
                            size_t n, imp_cell_result *res)
{
    const imp_strategy **cs = malloc((n ? n : 1) * sizeof *cs);
    /* zeroed, every measure unknown until the pipeline fills it */
    imp_cell_result *tmp = calloc(n ? n : 1, sizeof *tmp);
    for (size_t i = 0; tmp && i < n; i++)
        imp_cell_result_unknown(&tmp[i]);
    if (!cs || !tmp) {
        for (size_t i = 0; i < n; i++)
            fail_cell(&res[i], cells[i].cell, "out of memory");
        free(cs), free(tmp);
        return;
    }
    for (size_t i = 0; i < n; i++)
        cs[i] = &w->grid->strat[cells[i].strategy];
    imp_err cerr;
    imp_err_clear(&cerr);
    imp_pipeline_eval(px, &w->test, cs, n, w->o.threads, tmp, &cerr);
    for (size_t i = 0; i < n; i++) {
        if (tmp[i].status != IMP_CELL_DONE) {
            fail_cell(&res[i], cells[i].cell, tmp[i].message);
            continue;
        }
        res[i] = tmp[i];
        res[i].cell = cells[i].cell;
        res[i].gen_seconds = (float)px->gen_seconds;
    }
    free(cs), free(tmp);
}

/* Cells per eval_on_proxies call within a GEN group: the whole group, so the pipeline shares
 * its distances over all of them (stops and batches come between groups). */
enum { EVAL_CHUNK = 1 << 30 };

/* Batching state of one piece run. */
typedef struct batcher {
    const imp_piece *p;
    imp_cell_result *res;
    size_t sent, done; /* res[sent..done) not yet emitted */
    double t_last;     /* time of the last emit (or the start) */
    imp_worker_emit_fn emit;
    void *ud;
} batcher;

static int flush(batcher *b, int last, int stopped)
{
    double t = imp_clock_s();
    imp_batch_hdr h = {b->p->id, b->done - b->sent, t - b->t_last, (uint32_t)last,
                       (uint32_t)stopped};
    int rc = b->emit(&h, b->res + b->sent, b->ud);
    b->sent = b->done;
    b->t_last = t;
    return rc;
}

int imp_worker_run(imp_worker *w, const imp_piece *p, imp_worker_emit_fn emit,
                   imp_worker_stop_fn stop, void *ud, imp_err *err)
{
    batcher b = {p, calloc(p->n_cells ? p->n_cells : 1, sizeof(imp_cell_result)), 0, 0, imp_clock_s(),
                 emit, ud};
    if (!b.res)
        return imp_err_set(err, IMP_ENOMEM, "out of memory for the results of %zu cells",
                           p->n_cells);
    if (read_lambdas(w)) {
        free(b.res);
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    load_task(w, p->model, p->task);
    int rc = 0, stopped = 0;
    double batch = w->o.batch_seconds;
    for (size_t gi = 0; gi < p->n_groups && !rc && !stopped; gi++) {
        const imp_piece_group *g = &p->groups[gi];
        const imp_piece_cell *cells = p->cells + g->first;
        const cache_entry *e = NULL;
        if (!w->load_rc) {
            if (stop && stop(ud)) {
                stopped = 1;
                break;
            }
            e = proxies_for(w, p, g);
        }
        /* cells go through eval_on_proxies EVAL_CHUNK at a time: a stop or a batch can come
         * between two calls (a pipeline that shares work over the whole group takes it all) */
        for (size_t c = 0; c < g->n && !rc; c += EVAL_CHUNK) {
            size_t n = g->n - c < EVAL_CHUNK ? g->n - c : EVAL_CHUNK;
            if (stop && stop(ud)) {
                stopped = 1;
                break;
            }
            imp_cell_result *out = &b.res[g->first + c];
            for (size_t i = 0; i < n && (w->load_rc || e->rc); i++)
                fail_cell(&out[i], cells[c + i].cell, w->load_rc ? w->load_err.msg : e->msg);
            if (!w->load_rc && !e->rc)
                eval_on_proxies(w, &e->px, &cells[c], n, out);
            stamp(w, out, n);
            b.done += n;
            if (imp_clock_s() - b.t_last >= batch && g->first + c + n < p->n_cells)
                rc = flush(&b, 0, 0);
        }
        /* a finished GEN group goes out unless the last batch was very recent */
        if (!rc && !stopped && gi + 1 < p->n_groups && b.done > b.sent &&
            imp_clock_s() - b.t_last >= batch / 10)
            rc = flush(&b, 0, 0);
    }
    if (!rc)
        rc = flush(&b, 1, stopped);
    free(b.res);
    if (rc && err && !err->code)
        imp_err_set(err, rc, "sending results of piece %llu failed", (unsigned long long)p->id);
    return rc;
}
