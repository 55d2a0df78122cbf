/* grid.c — a job's axes and the validity of their cells (the reference's rules), and the grid
 * hash. */
#include "imprint/grid.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imprint/rng.h"

/* grid.h's union: g->n_<axis> and g-><axis> are the fields of g->axes. */
#define GRID_SAME_FIELD(ID, name, key, kind, min, max, minus1, rule, dflt)                      \
    _Static_assert(offsetof(imp_grid, n_##name) == offsetof(imp_grid, axes.n_##name) &&       \
                       offsetof(imp_grid, name) == offsetof(imp_grid, axes.name),              \
                   "imp_grid's axis " #name " is one field");
IMP_AXIS_MAP(GRID_SAME_FIELD)
#undef GRID_SAME_FIELD

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

/* ---- grid ------------------------------------------------------------------------------ */

void imp_grid_free(imp_grid *g)
{
    if (!g)
        return;
    free_strs(g->task_def, g->n_task); /* before the axes, which zero n_task */
    imp_axes_free(&g->axes);
    free(g->strat);
    free(g->task_classes);
    free(g->k_eff);
    free(g->why);
    free(g->seed_shared);
    free(g->store);
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

/* 1 if the hash text leaves an axis out: one added after the first six (which the text always
 * lists) while it holds only its default value, so a job that does not use a new axis keeps
 * the hash it had before the axis existed, and its cube resumes. */
static int unhashed(const imp_grid *g, int ax)
{
    if (ax == IMP_AX_MODEL || ax == IMP_AX_TASK || ax == IMP_AX_STRATEGY || ax == IMP_AX_K ||
        ax == IMP_AX_SHOT || ax == IMP_AX_SEED)
        return 0;
    const imp_axis_info *in = imp_axis_info_of(ax);
    return in->dflt != IMP_AXIS_REQUIRED && imp_axis_len(&g->axes, ax) == 1 &&
           imp_axis_int(&g->axes, ax, 0) == in->dflt;
}

/* One line per axis value, "<axis> <value>" in table order (a task adds its definition): the
 * grid hash covers these bytes, so this text never changes for an existing axis. */
static char *canonical(const imp_grid *g)
{
    sbuf b = {0};
    char tmp[32];
    sb_printf(&b, "imprint-grid 1\nstore %s\n", g->store);
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        for (size_t i = 0; !unhashed(g, ax) && i < imp_axis_len(&g->axes, ax); i++) {
            sb_printf(&b, "%s %s", imp_axis_name(ax),
                      imp_axis_value(&g->axes, ax, i, tmp, sizeof tmp));
            if (ax == IMP_AX_TASK)
                sb_printf(&b, " %s", g->task_def[i]);
            sb_printf(&b, "\n");
        }
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
    imp_axes from;
    if (imp_job_axes(job, &from, err))
        goto oom;
    size_t lens[IMP_AX__COUNT];
    for (int i = 0; i < IMP_AX__COUNT; i++)
        lens[i] = imp_axis_len(&from, i);
    g->n_lambda = job->n_lambda;
    size_t cells = 1;
    for (int i = 0; i < IMP_AX__COUNT; i++) {
        if (lens[i] == 0 || cells > IMP_GRID_MAX_CELLS / lens[i]) {
            char dims[256];
            size_t at = 0;
            for (int ax = 0; ax < IMP_AX__COUNT && at < sizeof dims; ax++)
                at += (size_t)snprintf(dims + at, sizeof dims - at, "%s%zu %s", ax ? " x " : "",
                                       lens[ax], imp_axis_info_of(ax)->key);
            imp_grid_free(g);
            free(from.task);
            return imp_err_set(err, IMP_EINPUT, "%s: the grid has no cells or more than %zu (%s)",
                               job->name, IMP_GRID_MAX_CELLS, dims);
        }
        cells *= lens[i];
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double phys = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    if (phys > 0 && (double)cells * IMP_GRID_BYTES_PER_CELL > phys) {
        imp_grid_free(g);
        free(from.task);
        return imp_err_set(err, IMP_EINPUT,
                           "%s: the grid has %zu cells, which need about %.1f GiB in memory, more "
                           "than this machine's %.1f GiB; split the job", job->name, cells,
                           (double)cells * IMP_GRID_BYTES_PER_CELL / 1073741824.0,
                           phys / 1073741824.0);
    }
    g->n_cells = cells;
    int copied = imp_axes_copy(&g->axes, &from, err);
    free(from.task);
    if (copied)
        goto oom;
    if (!(g->strat = malloc(g->n_strategy * sizeof *g->strat)) ||
        !(g->store = strdup(job->store)) ||
        !(g->task_def = calloc(g->n_task, sizeof *g->task_def)) ||
        !(g->task_classes = calloc(g->n_task, sizeof *g->task_classes)) ||
        !(g->lambda_model = dup_strs(job->lambda_model, g->n_lambda)) ||
        !(g->lambda = malloc((g->n_lambda ? g->n_lambda : 1) * sizeof *g->lambda)))
        goto oom;
    memcpy(g->strat, job->strats, g->n_strategy * sizeof *g->strat);
    if (g->n_lambda)
        memcpy(g->lambda, job->lambda, g->n_lambda * sizeof *g->lambda);
    for (size_t t = 0; t < g->n_task; t++) {
        if (!(g->task_def[t] = task_def(&job->tasks[t])))
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
    size_t per = g->n_cells / n_skf; /* cells per (strategy, k, shot): the other axes */
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
#define IDX(ID, name, key, kind, min, max, minus1, rule, dflt) c->name,
    const size_t idx[IMP_AX__COUNT] = {IMP_AXIS_MAP(IDX)};
#undef IDX
    return (size_t)imp_axes_cell_index(&g->axes, idx);
}

void imp_grid_cell_coords(const imp_grid *g, size_t cell, imp_cell *c)
{
    size_t idx[IMP_AX__COUNT];
    imp_axes_cell_coords(&g->axes, cell, idx);
#define SET(ID, name, key, kind, min, max, minus1, rule, dflt) c->name = idx[IMP_AX_##ID];
    IMP_AXIS_MAP(SET)
#undef SET
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

_Static_assert(IMP_AX_SEED == IMP_AX__COUNT - 1, "seed-shared cells are neighbours");

size_t imp_grid_cell_source(const imp_grid *g, size_t cell)
{
    imp_cell c;
    imp_grid_cell_coords(g, cell, &c);
    if (!g->seed_shared[skf_index(g, &c)])
        return cell;
    return cell - c.seed; /* seed is the fastest axis (the static assertion above) */
}

uint64_t imp_grid_hash(const imp_grid *g) { return g->hash; }
const char *imp_grid_canonical(const imp_grid *g) { return g->canon; }


