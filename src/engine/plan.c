/* plan.c — the work units of a sweep (plan.h): cells still to do, grouped by GEN, costed. */
#include "imprint/plan.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(IMP_AX_SEED == IMP_AX__COUNT - 1, "a seed's cells are neighbours (cell - sd + q)");

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
    return a->first_cell < b->first_cell ? -1 : a->first_cell > b->first_cell;
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
    size_t max_units = g->n_cells / n_sk;
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

    /* One unit per value of every axis but strategy and k, in cell order (the last axis
     * fastest); its cells are its (strategy, k) pairs. Seed is the last axis, so the same cell
     * at another seed is cell - sd + q. */
    size_t at[IMP_AX__COUNT] = {0};
    for (;;) {
        size_t m = at[IMP_AX_MODEL], t = at[IMP_AX_TASK], f = at[IMP_AX_SHOT],
               sd = at[IMP_AX_SEED];
        imp_cost_hint h = {0};
        if (hints)
            h = hints[m * g->n_task + t];
        if (h.n_classes <= 0 && g->task_classes[t])
            h.n_classes = (double)g->task_classes[t];
        size_t nt = 0, ng = 0;
        for (size_t s = 0; s < g->n_strategy; s++)
            for (size_t k = 0; k < g->n_k; k++) {
                size_t idx = (s * g->n_k + k) * g->n_shot + f;
                int64_t e = g->k_eff[idx];
                if (e == IMP_GRID_KNA)
                    continue;
                at[IMP_AX_STRATEGY] = s;
                at[IMP_AX_K] = k;
                size_t cell = (size_t)imp_axes_cell_index(&g->axes, at);
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
                while (gi < ng && !(imp_strategy_same_gen(&g->strat[ugen[gi].strategy], st) &&
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
            goto next_unit;
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
        at[IMP_AX_STRATEGY] = at[IMP_AX_K] = 0;
        u->first_cell = (size_t)imp_axes_cell_index(&g->axes, at);
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
    next_unit:
        for (int ax = IMP_AX__COUNT - 1;; ax--) { /* the next unit: an odometer */
            if (ax < 0)
                goto planned;
            if (ax == IMP_AX_STRATEGY || ax == IMP_AX_K)
                continue;
            if (++at[ax] < imp_axis_len(&g->axes, ax))
                break;
            at[ax] = 0;
        }
    }
planned:
    free(sp);
    free(tmp);
    free(ugen);
    free(count);
    p->n_todo = p->n_cells + p->n_alias;
    qsort(p->units, p->n_units, sizeof *p->units, cmp_unit);
    *out = p;
    return 0;
}
