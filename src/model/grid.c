/* grid.c — cube axes and cell validity from a job, grid hash and diff, and work units. */
#include "imprint/grid.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imprint/rng.h"

/* ---- a growing string ------------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 256;
        while (nc < b->len + (size_t)n + 1)
            nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

static char **dup_strs(char *const *src, size_t n)
{
    char **out = calloc(n ? n : 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!(out[i] = strdup(src[i]))) {
            while (i--)
                free(out[i]);
            free(out);
            return NULL;
        }
    return out;
}

static void free_strs(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

static int64_t *dup_i64(const int64_t *src, size_t n)
{
    int64_t *out = malloc((n ? n : 1) * sizeof *out);
    if (out && n)
        memcpy(out, src, n * sizeof *out);
    return out;
}

/* ---- grid ------------------------------------------------------------------------------ */

void imp_grid_free(imp_grid *g)
{
    if (!g)
        return;
    free_strs(g->model, g->n_model);
    free_strs(g->task, g->n_task);
    free_strs(g->strategy, g->n_strategy);
    free(g->strat);
    free(g->k);
    free(g->shot);
    free(g->seed);
    free(g->task_classes);
    free(g->k_eff);
    free(g->why);
    free(g->seed_shared);
    free(g->store);
    free_strs(g->task_def, g->n_task);
    free_strs(g->lambda_model, g->n_lambda);
    free(g->lambda);
    free(g->canon);
    free(g);
}

static char *task_def(const imp_task *t)
{
    sbuf b = {0};
    sb_printf(&b, "datasets=");
    for (size_t i = 0; i < t->n_datasets; i++)
        sb_printf(&b, "%s%s", i ? "," : "", t->datasets[i]);
    sb_printf(&b, " classes=");
    if (t->classes_all)
        sb_printf(&b, "all");
    else
        for (size_t i = 0; i < t->n_classes; i++)
            sb_printf(&b, "%s%d", i ? "," : "", (int)t->classes[i]);
    sb_printf(&b, " remap=");
    if (!t->n_remap)
        sb_printf(&b, "none");
    for (size_t i = 0; i < t->n_remap; i++)
        sb_printf(&b, "%s%d:%d", i ? "," : "", (int)t->remap_from[i], (int)t->remap_to[i]);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static const char *shot_text(int64_t f, char *buf, size_t n)
{
    if (f < 0)
        snprintf(buf, n, "all");
    else
        snprintf(buf, n, "%lld", (long long)f);
    return buf;
}

static char *canonical(const imp_grid *g)
{
    sbuf b = {0};
    char tmp[32];
    sb_printf(&b, "imprint-grid 1\nstore %s\n", g->store);
    for (size_t i = 0; i < g->n_model; i++)
        sb_printf(&b, "model %s\n", g->model[i]);
    for (size_t i = 0; i < g->n_task; i++)
        sb_printf(&b, "task %s %s\n", g->task[i], g->task_def[i]);
    for (size_t i = 0; i < g->n_strategy; i++)
        sb_printf(&b, "strategy %s\n", g->strategy[i]);
    for (size_t i = 0; i < g->n_k; i++)
        sb_printf(&b, "k %lld\n", (long long)g->k[i]);
    for (size_t i = 0; i < g->n_shot; i++)
        sb_printf(&b, "shot %s\n", shot_text(g->shot[i], tmp, sizeof tmp));
    for (size_t i = 0; i < g->n_seed; i++)
        sb_printf(&b, "seed %lld\n", (long long)g->seed[i]);
    for (size_t i = 0; i < g->n_lambda; i++)
        sb_printf(&b, "lambda %s %.17g\n", g->lambda_model[i], g->lambda[i]);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* Validity of every (strategy, k) at one shot; see the invariants in grid.h. */
static void place_rows(imp_grid *g, size_t s, size_t f, int64_t *e, int *ok, const char **why)
{
    const imp_strategy *st = &g->strat[s];
    for (size_t k = 0; k < g->n_k; k++) {
        ok[k] = imp_strategy_row(st, g->k[k], g->shot[f], &e[k], &why[k]);
        size_t idx = (s * g->n_k + k) * g->n_shot + f;
        g->k_eff[idx] = IMP_GRID_KNA;
        g->why[idx] = why[k];
        g->seed_shared[idx] = 0;
    }
    for (size_t k = 0; k < g->n_k; k++) {
        if (!ok[k])
            continue;
        int64_t val = e[k];
        size_t rep = g->n_k;
        for (size_t q = 0; q < g->n_k && rep == g->n_k; q++)
            if (g->k[q] == val)
                rep = q;
        if (rep == g->n_k) /* not on the axis: the smallest listed k that runs with it */
            for (size_t q = 0; q < g->n_k; q++)
                if (ok[q] && e[q] == val && (rep == g->n_k || g->k[q] < g->k[rep]))
                    rep = q;
        size_t ridx = (s * g->n_k + rep) * g->n_shot + f;
        if (g->k_eff[ridx] != IMP_GRID_KNA)
            continue; /* this effective k is placed already */
        g->k_eff[ridx] = val;
        g->why[ridx] = NULL;
        g->seed_shared[ridx] =
            !imp_strategy_uses_seed(st, (int)val, g->shot[f] < 0 ? -1 : (int)g->shot[f]);
    }
    /* Rows that run but are recorded elsewhere: say where. */
    for (size_t k = 0; k < g->n_k; k++) {
        size_t idx = (s * g->n_k + k) * g->n_shot + f;
        if (!ok[k] || g->k_eff[idx] != IMP_GRID_KNA)
            continue;
        const char *fixed = imp_strategy_fixed_k_reason(st);
        g->why[idx] = fixed ? fixed : "shot < k runs with k = shot, recorded at one k";
    }
}

int imp_grid_from_job(const imp_job *job, imp_grid **out, imp_err *err)
{
    *out = NULL;
    imp_grid *g = calloc(1, sizeof *g);
    if (!g)
        goto oom;
    g->n_model = job->n_models;
    g->n_task = job->n_tasks;
    g->n_strategy = job->n_strategies;
    g->n_k = job->n_ks;
    g->n_shot = job->n_shots;
    g->n_seed = job->n_seeds;
    g->n_lambda = job->n_lambda;
    size_t dims[6] = {g->n_model, g->n_task, g->n_strategy, g->n_k, g->n_shot, g->n_seed};
    size_t cells = 1;
    for (int i = 0; i < 6; i++) {
        if (dims[i] == 0 || cells > IMP_GRID_MAX_CELLS / dims[i]) {
            imp_grid_free(g);
            return imp_err_set(err, IMP_EINPUT,
                               "%s: the grid has no cells or more than %zu (%zu models x %zu "
                               "tasks x %zu strategies x %zu ks x %zu shots x %zu seeds)",
                               job->name, IMP_GRID_MAX_CELLS, dims[0], dims[1], dims[2], dims[3],
                               dims[4], dims[5]);
        }
        cells *= dims[i];
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double phys = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    if (phys > 0 && (double)cells * IMP_GRID_BYTES_PER_CELL > phys) {
        imp_grid_free(g);
        return imp_err_set(err, IMP_EINPUT,
                           "%s: the grid has %zu cells, which need about %.1f GiB in memory, more "
                           "than this machine's %.1f GiB; split the job", job->name, cells,
                           (double)cells * IMP_GRID_BYTES_PER_CELL / 1073741824.0,
                           phys / 1073741824.0);
    }
    g->n_cells = cells;
    if (!(g->model = dup_strs(job->models, g->n_model)) ||
        !(g->strategy = dup_strs(job->strategies, g->n_strategy)) ||
        !(g->strat = malloc(g->n_strategy * sizeof *g->strat)) ||
        !(g->k = dup_i64(job->ks, g->n_k)) || !(g->shot = dup_i64(job->shots, g->n_shot)) ||
        !(g->seed = dup_i64(job->seeds, g->n_seed)) || !(g->store = strdup(job->store)) ||
        !(g->task = calloc(g->n_task, sizeof *g->task)) ||
        !(g->task_def = calloc(g->n_task, sizeof *g->task_def)) ||
        !(g->task_classes = calloc(g->n_task, sizeof *g->task_classes)) ||
        !(g->lambda_model = dup_strs(job->lambda_model, g->n_lambda)) ||
        !(g->lambda = malloc((g->n_lambda ? g->n_lambda : 1) * sizeof *g->lambda)))
        goto oom;
    memcpy(g->strat, job->strats, g->n_strategy * sizeof *g->strat);
    if (g->n_lambda)
        memcpy(g->lambda, job->lambda, g->n_lambda * sizeof *g->lambda);
    for (size_t t = 0; t < g->n_task; t++) {
        if (!(g->task[t] = strdup(job->tasks[t].name)) ||
            !(g->task_def[t] = task_def(&job->tasks[t])))
            goto oom;
        g->task_classes[t] = job->tasks[t].n_classes;
    }

    size_t n_skf = g->n_strategy * g->n_k * g->n_shot;
    int64_t *e = malloc(g->n_k * sizeof *e);
    int *ok = malloc(g->n_k * sizeof *ok);
    const char **why = malloc(g->n_k * sizeof *why);
    if (!e || !ok || !why || !(g->k_eff = malloc(n_skf * sizeof *g->k_eff)) ||
        !(g->why = malloc(n_skf * sizeof *g->why)) ||
        !(g->seed_shared = malloc(n_skf * sizeof *g->seed_shared))) {
        free(e);
        free(ok);
        free(why);
        goto oom;
    }
    for (size_t s = 0; s < g->n_strategy; s++)
        for (size_t f = 0; f < g->n_shot; f++)
            place_rows(g, s, f, e, ok, why);
    free(e);
    free(ok);
    free(why);
    size_t valid_skf = 0;
    for (size_t i = 0; i < n_skf; i++)
        valid_skf += g->k_eff[i] != IMP_GRID_KNA;
    size_t per = g->n_model * g->n_task * g->n_seed; /* cells per (strategy, k, shot) */
    g->n_valid = valid_skf * per;
    g->n_na = g->n_cells - g->n_valid;

    if (!(g->canon = canonical(g)))
        goto oom;
    g->hash = imp_hash_str(g->canon);
    *out = g;
    return 0;
oom:
    imp_grid_free(g);
    return imp_err_set(err, IMP_ENOMEM, "%s: out of memory building the grid", job->name);
}

size_t imp_grid_cell_index(const imp_grid *g, const imp_cell *c)
{
    return ((((c->model * g->n_task + c->task) * g->n_strategy + c->strategy) * g->n_k + c->k) *
                g->n_shot +
            c->shot) *
               g->n_seed +
           c->seed;
}

void imp_grid_cell_coords(const imp_grid *g, size_t cell, imp_cell *c)
{
    c->seed = cell % g->n_seed;
    cell /= g->n_seed;
    c->shot = cell % g->n_shot;
    cell /= g->n_shot;
    c->k = cell % g->n_k;
    cell /= g->n_k;
    c->strategy = cell % g->n_strategy;
    cell /= g->n_strategy;
    c->task = cell % g->n_task;
    c->model = cell / g->n_task;
}

static size_t skf_index(const imp_grid *g, const imp_cell *c)
{
    return (c->strategy * g->n_k + c->k) * g->n_shot + c->shot;
}

int imp_grid_cell_valid(const imp_grid *g, size_t cell, int64_t *k_eff, const char **why)
{
    imp_cell c;
    imp_grid_cell_coords(g, cell, &c);
    size_t i = skf_index(g, &c);
    if (k_eff)
        *k_eff = g->k_eff[i];
    if (why)
        *why = g->why[i];
    return g->k_eff[i] != IMP_GRID_KNA;
}

size_t imp_grid_cell_source(const imp_grid *g, size_t cell)
{
    imp_cell c;
    imp_grid_cell_coords(g, cell, &c);
    if (!g->seed_shared[skf_index(g, &c)])
        return cell;
    return cell - c.seed; /* seed is the fastest axis */
}

uint64_t imp_grid_hash(const imp_grid *g) { return g->hash; }
const char *imp_grid_canonical(const imp_grid *g) { return g->canon; }

/* ---- diff ------------------------------------------------------------------------------ */

static int in_list(char *const *l, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i], s) == 0)
            return 1;
    return 0;
}

static void render_list(sbuf *b, char *const *l, size_t n)
{
    sb_printf(b, "[");
    for (size_t i = 0; i < n; i++)
        sb_printf(b, "%s%s", i ? ", " : "", l[i]);
    sb_printf(b, "]");
}

enum { DIFF_INLINE_MAX = 160, DIFF_SHOW_MAX = 5 };

/* One axis: nothing if equal; both lists if short; else counts and what is only in one. */
static int diff_list(sbuf *out, const char *what, char *const *a, size_t na, char *const *b,
                     size_t nb)
{
    int same = na == nb;
    for (size_t i = 0; same && i < na; i++)
        same = strcmp(a[i], b[i]) == 0;
    if (same)
        return 0;
    sbuf ra = {0}, rb = {0};
    render_list(&ra, a, na);
    render_list(&rb, b, nb);
    if (out->len)
        sb_printf(out, "\n");
    if (!ra.oom && !rb.oom && ra.len <= DIFF_INLINE_MAX && rb.len <= DIFF_INLINE_MAX) {
        sb_printf(out, "%s: %s vs %s", what, ra.p, rb.p);
    } else {
        sb_printf(out, "%s: %zu vs %zu values", what, na, nb);
        for (int side = 0; side < 2; side++) {
            char *const *x = side ? b : a, *const *y = side ? a : b;
            size_t nx = side ? nb : na, ny = side ? na : nb, shown = 0, total = 0;
            for (size_t i = 0; i < nx; i++)
                if (!in_list(y, ny, x[i]) && total++ < DIFF_SHOW_MAX)
                    sb_printf(out, "%s%s",
                              shown++ ? ", "
                                      : (side ? "; only in the second: " : "; only in the first: "),
                              x[i]);
            if (total > DIFF_SHOW_MAX)
                sb_printf(out, " and %zu more", total - DIFF_SHOW_MAX);
        }
        int only = 0;
        for (size_t i = 0; i < na && !only; i++)
            only = !in_list(b, nb, a[i]);
        for (size_t i = 0; i < nb && !only; i++)
            only = !in_list(a, na, b[i]);
        if (!only)
            sb_printf(out, "; same values in another order");
    }
    free(ra.p);
    free(rb.p);
    return 1;
}

static char **i64_strs(const int64_t *v, size_t n, int shots)
{
    char **out = calloc(n ? n : 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char tmp[32];
        if (shots)
            shot_text(v[i], tmp, sizeof tmp);
        else
            snprintf(tmp, sizeof tmp, "%lld", (long long)v[i]);
        if (!(out[i] = strdup(tmp))) {
            free_strs(out, i);
            return NULL;
        }
    }
    return out;
}

static char **lambda_strs(const imp_grid *g)
{
    char **out = calloc(g->n_lambda ? g->n_lambda : 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < g->n_lambda; i++) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s: %.17g", g->lambda_model[i], g->lambda[i]);
        if (!(out[i] = strdup(tmp))) {
            free_strs(out, i);
            return NULL;
        }
    }
    return out;
}

int imp_grid_diff(const imp_grid *a, const imp_grid *b, char *buf, size_t n)
{
    sbuf out = {0};
    int nd = 0;
    if (strcmp(a->store, b->store) != 0) {
        sb_printf(&out, "store: %s vs %s", a->store, b->store);
        nd++;
    }
    nd += diff_list(&out, "models", a->model, a->n_model, b->model, b->n_model);
    nd += diff_list(&out, "tasks", a->task, a->n_task, b->task, b->n_task);
    for (size_t i = 0; i < a->n_task; i++)
        for (size_t j = 0; j < b->n_task; j++)
            if (strcmp(a->task[i], b->task[j]) == 0 && strcmp(a->task_def[i], b->task_def[j])) {
                sb_printf(&out, "%stask %s: %s vs %s", out.len ? "\n" : "", a->task[i],
                          a->task_def[i], b->task_def[j]);
                nd++;
            }
    nd += diff_list(&out, "strategies", a->strategy, a->n_strategy, b->strategy, b->n_strategy);
    static const char *const names[3] = {"ks", "shots", "seeds"};
    const int64_t *av[3] = {a->k, a->shot, a->seed}, *bv[3] = {b->k, b->shot, b->seed};
    size_t an[3] = {a->n_k, a->n_shot, a->n_seed}, bn[3] = {b->n_k, b->n_shot, b->n_seed};
    for (int i = 0; i < 3; i++) {
        char **sa = i64_strs(av[i], an[i], i == 1), **sb = i64_strs(bv[i], bn[i], i == 1);
        if (sa && sb)
            nd += diff_list(&out, names[i], sa, an[i], sb, bn[i]);
        else
            out.oom = 1;
        free_strs(sa, an[i]);
        free_strs(sb, bn[i]);
    }
    char **la = lambda_strs(a), **lb = lambda_strs(b);
    if (la && lb)
        nd += diff_list(&out, "lambda", la, a->n_lambda, lb, b->n_lambda);
    else
        out.oom = 1;
    free_strs(la, a->n_lambda);
    free_strs(lb, b->n_lambda);
    if (nd == 0 && strcmp(a->canon, b->canon) != 0) {
        sb_printf(&out, "%sgrid definitions differ", out.len ? "\n" : "");
        nd++;
    }
    if (n) {
        const char *txt = out.oom ? "(out of memory describing the difference)"
                          : out.p ? out.p
                                  : "";
        snprintf(buf, n, "%s", txt);
    }
    free(out.p);
    return nd;
}

/* ---- cost model ------------------------------------------------------------------------ */

enum { COST_ITERS = 30 };

typedef struct sizes {
    double n, d, c, t, p;
} sizes;

static sizes cost_sizes(int64_t k_eff, int64_t shot, const imp_cost_hint *h)
{
    sizes z;
    z.n = h && h->n_per_class > 0 ? h->n_per_class : 5000;
    z.d = h && h->dim > 0 ? h->dim : 512;
    z.c = h && h->n_classes > 0 ? h->n_classes : 10;
    z.t = h && h->n_test > 0 ? h->n_test : 1000 * z.c;
    if (shot > 0 && (double)shot < z.n)
        z.n = (double)shot;
    z.p = (k_eff < 0 || (double)k_eff > z.n) ? z.n : (double)k_eff;
    return z;
}

double imp_gen_cost(const imp_strategy *s, int64_t k_eff, int64_t shot, const imp_cost_hint *h)
{
    sizes z = cost_sizes(k_eff, shot, h);
    unsigned t = imp_gen_info_of(s->gen)->cost;
    double cost = 0;
    if (t & IMP_COST_CND)
        cost += z.c * z.n * z.d;
    if (t & IMP_COST_CPD)
        cost += z.c * z.p * z.d;
    if (t & IMP_COST_CNPD)
        cost += z.c * z.n * z.p * z.d;
    if (t & IMP_COST_KMEANS)
        cost += z.c * z.n * z.d * z.p * COST_ITERS;
    if (t & IMP_COST_CN2D)
        cost += z.c * z.n * z.n * z.d;
    if (t & IMP_COST_LS)
        cost += z.c * z.n * z.d * z.d + z.d * z.d * z.d;
    return cost;
}

double imp_cell_cost(const imp_strategy *s, int64_t k_eff, int64_t shot, const imp_cost_hint *h)
{
    sizes z = cost_sizes(k_eff, shot, h);
    double proxies = z.c * z.p;
    const imp_metric_info *m = imp_metric_info_of(imp_strategy_metric(s));
    double cost = z.t * proxies * z.d * m->pair_cost;
    if (m->space == IMP_SPACE_WHITENED)
        cost += (z.t + proxies) * z.d * z.d + z.d * z.d * z.d;
    return cost;
}

double imp_cells_cost(const imp_strategy *const *cells, size_t n, int64_t k_eff, int64_t shot,
                      const imp_cost_hint *h)
{
    sizes z = cost_sizes(k_eff, shot, h);
    double proxies = z.c * z.p, cost = 0;
    /* distances once per (POST, INF, metric); whitening once per POST (proxies) and per
     * (POST, INF) (test rows); the selection and votes per cell are T·(P + m), counted as T·P */
    int post_white[IMP_NORM__COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        const imp_strategy *s = cells[i];
        imp_metric m = imp_strategy_metric(s);
        int first = 1;
        for (size_t j = 0; j < i && first; j++) {
            const imp_strategy *t = cells[j];
            first = !(t->post == s->post && t->inf == s->inf && imp_strategy_metric(t) == m);
        }
        const imp_metric_info *mi = imp_metric_info_of(m);
        if (first) {
            cost += z.t * proxies * z.d * mi->pair_cost;
            if (mi->space == IMP_SPACE_WHITENED) {
                cost += z.t * z.d * z.d;
                if (!post_white[s->post]++)
                    cost += proxies * z.d * z.d + z.d * z.d * z.d;
            }
        }
        cost += z.t * proxies;
    }
    return cost;
}

/* ---- work units ------------------------------------------------------------------------ */

void imp_plan_free(imp_plan *p)
{
    if (!p)
        return;
    free(p->units);
    free(p->gens);
    free(p->cells);
    free(p->alias);
    free(p);
}

static int todo(const uint8_t *status, size_t cell, int retry_failed)
{
    if (!status)
        return 1;
    return status[cell] == IMP_CELL_PENDING || (retry_failed && status[cell] == IMP_CELL_FAILED);
}

static int cmp_unit(const void *pa, const void *pb)
{
    const imp_unit *a = pa, *b = pb;
    if (a->cost != b->cost)
        return a->cost < b->cost ? 1 : -1;
    uint32_t ka[4] = {a->model, a->task, a->shot, a->seed},
             kb[4] = {b->model, b->task, b->shot, b->seed};
    for (int i = 0; i < 4; i++)
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    return 0;
}

/* A cell collected for the current unit, before grouping by GEN. */
typedef struct pending {
    size_t gen; /* index within the unit */
    imp_unit_cell cell;
} pending;

int imp_plan_build(const imp_grid *g, const uint8_t *status, int retry_failed,
                   const imp_cost_hint *hints, imp_plan **out, imp_err *err)
{
    *out = NULL;
    imp_plan *p = calloc(1, sizeof *p);
    size_t n_sk = g->n_strategy * g->n_k;
    size_t max_units = g->n_model * g->n_task * g->n_shot * g->n_seed;
    size_t cap_cells = g->n_valid ? g->n_valid : 1;
    pending *tmp = NULL;
    imp_unit_gen *ugen = NULL;
    size_t *count = NULL;
    const imp_strategy **sp = NULL;
    if (!p || !(p->units = malloc(max_units * sizeof *p->units)) ||
        !(p->gens = malloc(cap_cells * sizeof *p->gens)) ||
        !(p->cells = malloc(cap_cells * sizeof *p->cells)) ||
        !(p->alias = malloc(cap_cells * sizeof *p->alias)) ||
        !(tmp = malloc((n_sk ? n_sk : 1) * sizeof *tmp)) ||
        !(ugen = malloc((n_sk ? n_sk : 1) * sizeof *ugen)) ||
        !(count = malloc((n_sk + 1) * sizeof *count)) ||
        !(sp = malloc((n_sk ? n_sk : 1) * sizeof *sp))) {
        free(sp);
        free(tmp);
        free(ugen);
        free(count);
        imp_plan_free(p);
        return imp_err_set(err, IMP_ENOMEM, "out of memory planning %zu cells", g->n_cells);
    }
    p->n_valid = g->n_valid;
    p->n_na = g->n_na;

    for (size_t m = 0; m < g->n_model; m++)
        for (size_t t = 0; t < g->n_task; t++) {
            imp_cost_hint h = {0};
            if (hints)
                h = hints[m * g->n_task + t];
            if (h.n_classes <= 0 && g->task_classes[t])
                h.n_classes = (double)g->task_classes[t];
            for (size_t f = 0; f < g->n_shot; f++)
                for (size_t sd = 0; sd < g->n_seed; sd++) {
                    size_t nt = 0, ng = 0;
                    for (size_t s = 0; s < g->n_strategy; s++)
                        for (size_t k = 0; k < g->n_k; k++) {
                            size_t idx = (s * g->n_k + k) * g->n_shot + f;
                            int64_t e = g->k_eff[idx];
                            if (e == IMP_GRID_KNA)
                                continue;
                            imp_cell c = {m, t, s, k, f, sd};
                            size_t cell = imp_grid_cell_index(g, &c);
                            if (status && sd == 0) {
                                /* count each valid cell once, over all seeds */
                                for (size_t q = 0; q < g->n_seed; q++) {
                                    p->n_done += status[cell + q] == IMP_CELL_DONE;
                                    p->n_failed += status[cell + q] == IMP_CELL_FAILED;
                                }
                            }
                            size_t first_alias = p->n_alias, n_alias = 0;
                            if (g->seed_shared[idx]) {
                                /* computed in the unit of the first seed still to do */
                                size_t first = 0;
                                while (first < g->n_seed &&
                                       !todo(status, cell - sd + first, retry_failed))
                                    first++;
                                if (first != sd)
                                    continue;
                                for (size_t q = sd + 1; q < g->n_seed; q++)
                                    if (todo(status, cell - sd + q, retry_failed)) {
                                        p->alias[p->n_alias++] = cell - sd + q;
                                        n_alias++;
                                    }
                            } else if (!todo(status, cell, retry_failed)) {
                                continue;
                            }
                            const imp_strategy *st = &g->strat[s];
                            size_t gi = 0;
                            while (gi < ng &&
                                   !(imp_strategy_same_gen(&g->strat[ugen[gi].strategy], st) &&
                                     ugen[gi].k_eff == e))
                                gi++;
                            if (gi == ng) {
                                ugen[ng].strategy = (uint32_t)s;
                                ugen[ng].k_eff = e;
                                ugen[ng].seed_shared = g->seed_shared[idx];
                                ugen[ng].cost = imp_gen_cost(st, e, g->shot[f], &h);
                                ugen[ng].n_cells = 0;
                                ng++;
                            }
                            ugen[gi].n_cells++;
                            imp_unit_cell uc = {cell, (uint32_t)s, (uint32_t)k,
                                                e,    first_alias, n_alias};
                            tmp[nt].gen = gi;
                            tmp[nt++].cell = uc;
                        }
                    if (nt == 0)
                        continue;
                    /* group the unit's cells by GEN (stable counting sort) */
                    imp_unit *u = &p->units[p->n_units++];
                    u->model = (uint32_t)m;
                    u->task = (uint32_t)t;
                    u->shot = (uint32_t)f;
                    u->seed = (uint32_t)sd;
                    u->first_gen = p->n_gens;
                    u->n_gens = ng;
                    u->n_record = 0;
                    u->cost = 0;
                    size_t base = p->n_cells;
                    for (size_t gi = 0; gi < ng; gi++) {
                        ugen[gi].first_cell = base;
                        base += ugen[gi].n_cells;
                        count[gi] = ugen[gi].first_cell;
                    }
                    for (size_t i = 0; i < nt; i++) {
                        p->cells[count[tmp[i].gen]++] = tmp[i].cell;
                        u->n_record += 1 + tmp[i].cell.n_alias;
                    }
                    /* a GEN group's cells share one proxy set: priced together */
                    for (size_t gi = 0; gi < ng; gi++) {
                        for (size_t q = 0; q < ugen[gi].n_cells; q++)
                            sp[q] = &g->strat[p->cells[ugen[gi].first_cell + q].strategy];
                        ugen[gi].cost += imp_cells_cost(sp, ugen[gi].n_cells, ugen[gi].k_eff,
                                                        g->shot[f], &h);
                        u->cost += ugen[gi].cost;
                        p->gens[p->n_gens++] = ugen[gi];
                    }
                    p->n_cells = base;
                    p->total_cost += u->cost;
                }
        }
    free(sp);
    free(tmp);
    free(ugen);
    free(count);
    p->n_todo = p->n_cells + p->n_alias;
    qsort(p->units, p->n_units, sizeof *p->units, cmp_unit);
    *out = p;
    return 0;
}
