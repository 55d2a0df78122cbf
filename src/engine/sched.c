/* sched.c — cost model in seconds, cutting a plan into bounded pieces, the pick rule and the
 * schedule simulator. */
#include "imprint/sched.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost_calib.h"

/* The calibration holds one rate per row of the GEN and metric tables, keyed by the row's name:
 * a row added or removed there without a refit fails here, and a row inserted mid-table takes
 * no other row's rate (test_sched checks that every name is found). */
#define IMP__CALIB_ONE(name, rate) +1
#define IMP__CALIB_ROW(name, rate) {name, rate},
enum { CALIB_N_GEN = 0 IMP_CALIB_GEN_RATES(IMP__CALIB_ONE),
       CALIB_N_METRIC = 0 IMP_CALIB_CELL_RATES(IMP__CALIB_ONE) };
_Static_assert((int)CALIB_N_GEN == (int)IMP_GEN__COUNT,
               "src/engine/cost_calib.h: one GEN rate per row of IMP_GEN_MAP (refit: bench/refit_cost.sh)");
_Static_assert((int)CALIB_N_METRIC == (int)IMP_METRIC__COUNT,
               "src/engine/cost_calib.h: one cell rate per row of IMP_METRIC_MAP (refit: bench/refit_cost.sh)");
static const imp_cost_rate calib_gen[] = {IMP_CALIB_GEN_RATES(IMP__CALIB_ROW)};
static const imp_cost_rate calib_cell[] = {IMP_CALIB_CELL_RATES(IMP__CALIB_ROW)};

int imp_cost_rates_by_name(const imp_cost_rate *rows, size_t n, int gens, double *rates)
{
    int count = gens ? IMP_GEN__COUNT : IMP_METRIC__COUNT, missing = 0;
    for (int i = 0; i < count; i++) {
        const char *name = gens ? imp_gen_name((imp_gen)i) : imp_metric_name((imp_metric)i);
        size_t r = 0;
        while (r < n && strcmp(rows[r].name, name) != 0)
            r++;
        if (r < n)
            rates[i] = rows[r].rate;
        else
            missing++;
    }
    return missing;
}

/* ---- cost model ------------------------------------------------------------------------ */

void imp_cost_model_default(imp_cost_model *m, int threads)
{
    memset(m, 0, sizeof *m);
    imp_cost_rates_by_name(calib_gen, CALIB_N_GEN, 1, m->gen_rate);
    imp_cost_rates_by_name(calib_cell, CALIB_N_METRIC, 0, m->cell_rate);
    m->gen_overhead = IMP_CALIB_GEN_OVERHEAD;
    m->cell_overhead = IMP_CALIB_CELL_OVERHEAD;
    m->load_rate = IMP_CALIB_LOAD_RATE;
    m->load_overhead = IMP_CALIB_LOAD_OVERHEAD;
    m->thread_eff = IMP_CALIB_THREAD_EFF;
    m->threads = threads < 1 ? 1 : threads;
}

static double speedup(const imp_cost_model *m)
{
    return 1.0 + (double)(m->threads - 1) * m->thread_eff;
}

static double rate_or(double r) { return r > 0 ? r : 1e9; }

double imp_cost_gen_seconds(const imp_cost_model *m, const imp_strategy *s, int64_t k_eff,
                            int64_t shot, const imp_cost_hint *h)
{
    int g = s->gen >= 0 && s->gen < IMP_GEN__COUNT ? (int)s->gen : 0;
    return (m->gen_overhead + imp_gen_cost(s, k_eff, shot, h) / rate_or(m->gen_rate[g])) /
           speedup(m);
}

static int metric_of(const imp_strategy *s)
{
    int x = (int)imp_strategy_metric(s);
    return x >= 0 && x < IMP_METRIC__COUNT ? x : 0;
}

void imp_cost_group_seconds(const imp_cost_model *m, const imp_strategy *const *cells,
                            size_t n, int64_t k_eff, int64_t shot, const imp_cost_hint *h,
                            double *seconds)
{
    double share = n ? imp_cells_cost(cells, n, k_eff, shot, h) / (double)n : 0;
    for (size_t i = 0; i < n; i++)
        seconds[i] = (m->cell_overhead + share / rate_or(m->cell_rate[metric_of(cells[i])])) /
                     speedup(m);
}

double imp_cost_load_seconds(const imp_cost_model *m, const imp_cost_hint *h)
{
    double npc = h && h->n_per_class > 0 ? h->n_per_class : 5000;
    double d = h && h->dim > 0 ? h->dim : 512;
    double c = h && h->n_classes > 0 ? h->n_classes : 10;
    double t = h && h->n_test > 0 ? h->n_test : 1000 * c;
    return m->load_overhead + (npc * c + t) * d * 4.0 / rate_or(m->load_rate);
}

/* Ratio fit: overhead = the smallest measured time (a floor every item pays), then per class
 * rate = Σ cost / Σ (measured - overhead), so the fitted total equals the measured one. */
static void fit_one(const imp_cost_sample *s, size_t n, int gen_side, double *rates, int n_rates,
                    double *overhead)
{
    double floor_s = INFINITY;
    for (size_t i = 0; i < n; i++) {
        double t = gen_side ? s[i].gen_seconds : s[i].inf_seconds;
        if (isfinite(t) && t >= 0 && t < floor_s)
            floor_s = t;
    }
    if (!isfinite(floor_s))
        return;
    *overhead = floor_s;
    for (int k = 0; k < n_rates; k++) {
        double cost = 0, secs = 0;
        for (size_t i = 0; i < n; i++) {
            double t = gen_side ? s[i].gen_seconds : s[i].inf_seconds;
            int cls = gen_side ? (int)s[i].gen : (int)s[i].metric;
            if (cls != k || !isfinite(t))
                continue;
            cost += gen_side ? s[i].gen_cost : s[i].cell_cost;
            secs += t - floor_s;
        }
        if (cost > 0 && secs > 0)
            rates[k] = cost / secs;
    }
}

void imp_cost_fit(imp_cost_model *m, const imp_cost_sample *s, size_t n)
{
    fit_one(s, n, 1, m->gen_rate, IMP_GEN__COUNT, &m->gen_overhead);
    fit_one(s, n, 0, m->cell_rate, IMP_METRIC__COUNT, &m->cell_overhead);
}

/* ---- pieces ---------------------------------------------------------------------------- */

void imp_pieces_free(imp_pieces *ps)
{
    if (!ps)
        return;
    free(ps->p);
    free(ps->groups);
    free(ps->cells);
    free(ps->gen_seconds);
    free(ps->load_seconds);
    free(ps);
}

int imp_pieces_alloc(size_t n, size_t n_groups, size_t n_cells, size_t n_gen_ids, size_t n_mt,
                     imp_pieces **out, imp_err *err)
{
    imp_pieces *ps = calloc(1, sizeof *ps);
    if (!ps || !(ps->p = calloc(n ? n : 1, sizeof *ps->p)) ||
        !(ps->groups = calloc(n_groups ? n_groups : 1, sizeof *ps->groups)) ||
        !(ps->cells = calloc(n_cells ? n_cells : 1, sizeof *ps->cells)) ||
        !(ps->gen_seconds = calloc(n_gen_ids ? n_gen_ids : 1, sizeof *ps->gen_seconds)) ||
        !(ps->load_seconds = calloc(n_mt ? n_mt : 1, sizeof *ps->load_seconds))) {
        imp_pieces_free(ps);
        *out = NULL;
        return imp_err_set(err, IMP_ENOMEM, "out of memory for %zu work pieces", n);
    }
    ps->n_gen_ids = n_gen_ids;
    ps->n_mt = n_mt;
    *out = ps;
    return 0;
}

static double piece_estimate(const imp_piece *p)
{
    double s = p->cell_seconds;
    for (size_t i = 0; i < p->n_groups; i++)
        s += p->groups[i].gen_seconds;
    return s;
}

static int cmp_piece(const void *pa, const void *pb)
{
    const imp_piece *a = pa, *b = pb;
    double ea = piece_estimate(a), eb = piece_estimate(b);
    if (ea != eb)
        return ea < eb ? 1 : -1;
    return a->id < b->id ? -1 : a->id > b->id;
}

int imp_pieces_build(const imp_grid *g, const imp_plan *plan, const imp_cost_hint *hints,
                     const imp_cost_model *m, double bound, imp_pieces **out, imp_err *err)
{
    *out = NULL;
    size_t n_mt = g->n_model * g->n_task;
    imp_pieces *ps;
    /* each piece and each group holds >= 1 cell */
    int rc = imp_pieces_alloc(plan->n_cells, plan->n_cells, plan->n_cells, plan->n_gens, n_mt,
                              &ps, err);
    if (rc)
        return rc;
    double *cs = malloc((plan->n_cells ? plan->n_cells : 1) * sizeof *cs);
    const imp_strategy **sp = malloc((plan->n_cells ? plan->n_cells : 1) * sizeof *sp);
    if (!cs || !sp) {
        free(cs);
        free(sp);
        imp_pieces_free(ps);
        return imp_err_set(err, IMP_ENOMEM, "out of memory cutting %zu cells into pieces",
                           plan->n_cells);
    }
    ps->bound = bound;
    ps->n_task = g->n_task;
    for (size_t mt = 0; mt < n_mt; mt++) {
        imp_cost_hint h = hints ? hints[mt] : (imp_cost_hint){0};
        if (h.n_classes <= 0 && g->task_classes[mt % g->n_task])
            h.n_classes = (double)g->task_classes[mt % g->n_task];
        ps->load_seconds[mt] = imp_cost_load_seconds(m, &h);
    }
    size_t ng = 0, nc = 0; /* groups and cells used so far */
    for (size_t ui = 0; ui < plan->n_units; ui++) {
        const imp_unit *u = &plan->units[ui];
        imp_cost_hint h = hints ? hints[u->model * g->n_task + u->task] : (imp_cost_hint){0};
        if (h.n_classes <= 0 && g->task_classes[u->task])
            h.n_classes = (double)g->task_classes[u->task];
        int64_t shot = g->shot[u->shot];
        imp_piece *cur = NULL;
        for (size_t gi = u->first_gen; gi < u->first_gen + u->n_gens; gi++) {
            const imp_unit_gen *ge = &plan->gens[gi];
            const imp_strategy *gs_st = &g->strat[ge->strategy];
            double gs = imp_cost_gen_seconds(m, gs_st, ge->k_eff, shot, &h), total = 0;
            ps->gen_seconds[gi] = gs;
            ps->work += gs;
            for (size_t q = 0; q < ge->n_cells; q++)
                sp[q] = &g->strat[plan->cells[ge->first_cell + q].strategy];
            imp_cost_group_seconds(m, sp, ge->n_cells, ge->k_eff, shot, &h,
                                   cs + ge->first_cell);
            for (size_t c = ge->first_cell; c < ge->first_cell + ge->n_cells; c++) {
                total += cs[c];
                ps->work += cs[c];
            }
            /* slices of at most `budget` seconds of cells; one slice = the whole group */
            double budget = total + 1;
            if (gs + total > bound && !(gs > bound / 2 && total <= bound))
                budget = fmax(bound - gs, bound / 2);
            size_t c = ge->first_cell, end = ge->first_cell + ge->n_cells;
            while (c < end) {
                size_t stop = c + 1;
                double acc = cs[c];
                while (stop < end && acc + cs[stop] <= budget)
                    acc += cs[stop++];
                int whole = c == ge->first_cell && stop == end;
                /* a whole group joins the open piece if it fits; a slice gets its own */
                if (cur && !(whole && piece_estimate(cur) + gs + acc <= bound))
                    cur = NULL;
                if (!cur) {
                    cur = &ps->p[ps->n];
                    memset(cur, 0, sizeof *cur);
                    cur->id = ps->n++;
                    cur->model = u->model;
                    cur->task = u->task;
                    cur->shot = u->shot;
                    cur->seed = u->seed;
                    cur->groups = ps->groups + ng;
                    cur->cells = ps->cells + nc;
                }
                imp_piece_group *pg = &ps->groups[ng++];
                *pg = (imp_piece_group){ge->strategy, ge->k_eff, gi, cur->n_cells, stop - c, gs};
                for (size_t q = c; q < stop; q++) {
                    const imp_unit_cell *uc = &plan->cells[q];
                    ps->cells[nc++] = (imp_piece_cell){uc->cell, uc->strategy, uc->first_alias,
                                                       uc->n_alias};
                    cur->n_record += 1 + uc->n_alias;
                }
                cur->n_groups++;
                cur->n_cells += stop - c;
                cur->cell_seconds += acc;
                if (!whole)
                    cur = NULL;
                c = stop;
            }
        }
    }
    free(cs);
    free(sp);
    qsort(ps->p, ps->n, sizeof *ps->p, cmp_piece);
    for (size_t i = 0; i < ps->n; i++)
        ps->p[i].id = i;
    *out = ps;
    return 0;
}

int imp_pieces_build_for(const imp_grid *g, const imp_plan *plan, const imp_cost_hint *hints,
                         const imp_cost_model *m, double max_seconds, int ranks,
                         imp_pieces **out, imp_err *err)
{
    double want = (double)(ranks > 0 ? ranks : 1) * IMP_SCHED_PIECES_PER_RANK;
    double floor_s = fmin(max_seconds, IMP_SCHED_MIN_PIECE), bound = max_seconds;
    int rc = imp_pieces_build(g, plan, hints, m, bound, out, err);
    for (int step = 0; !rc && step < 8 && (double)(*out)->n < want && bound > floor_s; step++) {
        /* first the even share of the work, then in proportion to the pieces missing */
        double next = step == 0 ? fmin(bound, (*out)->work / want)
                                : bound * (double)(*out)->n / want;
        next = fmax(next, floor_s);
        if (next >= bound)
            break;
        bound = next;
        imp_pieces_free(*out);
        *out = NULL;
        rc = imp_pieces_build(g, plan, hints, m, bound, out, err);
    }
    return rc;
}

/* ---- pick ------------------------------------------------------------------------------ */

enum { PICK_WINDOW = 256 };

typedef struct rank_state {
    int64_t model, task;
    int64_t gens[IMP_SCHED_HELD_GENS]; /* most recent first, -1 empty */
} rank_state;

struct imp_sched {
    const imp_pieces *ps;
    int n_ranks;
    unsigned char *taken;
    size_t first_free, n_free;
    rank_state *rs;
    int *holder; /* [n_gen_ids] rank holding the GEN, -1 */
};

int imp_sched_create(const imp_pieces *ps, int n_ranks, imp_sched **out, imp_err *err)
{
    imp_sched *s = calloc(1, sizeof *s);
    if (!s || !(s->taken = calloc(ps->n ? ps->n : 1, 1)) ||
        !(s->rs = calloc((size_t)(n_ranks > 0 ? n_ranks : 1), sizeof *s->rs)) ||
        !(s->holder = malloc((ps->n_gen_ids ? ps->n_gen_ids : 1) * sizeof *s->holder))) {
        imp_sched_free(s);
        *out = NULL;
        return imp_err_set(err, IMP_ENOMEM, "out of memory scheduling %zu pieces", ps->n);
    }
    s->ps = ps;
    s->n_ranks = n_ranks;
    s->n_free = ps->n;
    for (size_t i = 0; i < ps->n_gen_ids; i++)
        s->holder[i] = -1;
    for (int r = 0; r < n_ranks; r++) {
        s->rs[r].model = s->rs[r].task = -1;
        for (int k = 0; k < IMP_SCHED_HELD_GENS; k++)
            s->rs[r].gens[k] = -1;
    }
    *out = s;
    return 0;
}

void imp_sched_free(imp_sched *s)
{
    if (!s)
        return;
    free(s->taken);
    free(s->rs);
    free(s->holder);
    free(s);
}

size_t imp_sched_free_count(const imp_sched *s) { return s->n_free; }

static int holds_gen(const rank_state *r, uint64_t gen)
{
    for (int k = 0; k < IMP_SCHED_HELD_GENS; k++)
        if (r->gens[k] == (int64_t)gen)
            return 1;
    return 0;
}

/* Affinity never trades a long piece for a much shorter one: the long ones left for the end
 * would set the makespan. */
#define AFFINITY_MIN_RATIO 0.5
/* A piece whose GEN another rank holds is taken anyway when the GEN costs at most this
 * fraction of the piece's cells. */
#define RECOMPUTE_MAX_RATIO 0.25

static int score(const imp_sched *s, int rank, const imp_piece *p, int affinity)
{
    const rank_state *r = &s->rs[rank];
    const imp_piece_group *g0 = &p->groups[0];
    if (holds_gen(r, g0->gen_id))
        return 3;
    /* another rank holds the GEN: leave the piece to it unless recomputing is cheap */
    int h = s->holder[g0->gen_id];
    if (h >= 0 && h != rank && g0->gen_seconds > RECOMPUTE_MAX_RATIO * p->cell_seconds)
        return -1;
    if (affinity && r->model == p->model && r->task == p->task)
        return 2;
    return 1;
}

/* Make rank hold gen (most recent first); the evicted one loses its holder. */
static void hold_gen(imp_sched *s, int rank, uint64_t gen)
{
    rank_state *r = &s->rs[rank];
    int at = IMP_SCHED_HELD_GENS - 1;
    for (int k = 0; k < IMP_SCHED_HELD_GENS; k++)
        if (r->gens[k] == (int64_t)gen)
            at = k;
    int64_t out = r->gens[at];
    if (out >= 0 && out != (int64_t)gen && s->holder[out] == rank)
        s->holder[out] = -1;
    memmove(&r->gens[1], &r->gens[0], (size_t)at * sizeof r->gens[0]);
    r->gens[0] = (int64_t)gen;
    s->holder[gen] = rank;
}

long imp_sched_pick(imp_sched *s, int rank, double *seconds)
{
    const imp_pieces *ps = s->ps;
    while (s->first_free < ps->n && s->taken[s->first_free])
        s->first_free++;
    if (s->first_free >= ps->n)
        return -1;
    int affinity = s->n_free > 2 * (size_t)s->n_ranks;
    double front = piece_estimate(&ps->p[s->first_free]);
    long best = -1;
    int best_score = -2;
    size_t seen = 0;
    for (size_t i = s->first_free; i < ps->n && seen < PICK_WINDOW && best_score < 3; i++) {
        if (s->taken[i])
            continue;
        seen++;
        int sc = score(s, rank, &ps->p[i],
                       affinity && piece_estimate(&ps->p[i]) >= AFFINITY_MIN_RATIO * front);
        if (sc > best_score) {
            best_score = sc;
            best = (long)i;
        }
    }
    const imp_piece *p = &ps->p[best];
    rank_state *r = &s->rs[rank];
    double secs = p->cell_seconds;
    if (r->model != p->model || r->task != p->task)
        secs += ps->load_seconds[p->model * ps->n_task + p->task];
    for (size_t i = 0; i < p->n_groups; i++)
        if (!holds_gen(r, p->groups[i].gen_id))
            secs += p->groups[i].gen_seconds;
    r->model = p->model;
    r->task = p->task;
    for (size_t i = 0; i < p->n_groups; i++)
        hold_gen(s, rank, p->groups[i].gen_id);
    s->taken[best] = 1;
    s->n_free--;
    if (seconds)
        *seconds = secs;
    return best;
}

void imp_sched_unpick(imp_sched *s, size_t piece)
{
    if (piece >= s->ps->n || !s->taken[piece])
        return;
    s->taken[piece] = 0;
    s->n_free++;
    if (piece < s->first_free)
        s->first_free = piece;
}

/* ---- simulation ------------------------------------------------------------------------ */

int imp_sched_simulate(const imp_pieces *ps, int n_ranks, imp_sim_result *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    out->ranks = n_ranks;
    out->pieces = ps->n;
    out->work = ps->work;
    out->longest = ps->n ? piece_estimate(&ps->p[0]) : 0;
    if (n_ranks < 1)
        return imp_err_set(err, IMP_EUSAGE, "a schedule needs at least one rank");
    imp_sched *s;
    int rc = imp_sched_create(ps, n_ranks, &s, err);
    double *t = calloc((size_t)n_ranks, sizeof *t);
    if (rc || !t) {
        imp_sched_free(s);
        free(t);
        return rc ? rc : imp_err_set(err, IMP_ENOMEM, "out of memory simulating %d ranks", n_ranks);
    }
    for (;;) {
        int r = 0;
        for (int q = 1; q < n_ranks; q++)
            if (t[q] < t[r])
                r = q;
        double secs;
        if (imp_sched_pick(s, r, &secs) < 0)
            break;
        t[r] += secs;
        out->busy += secs;
    }
    for (int q = 0; q < n_ranks; q++)
        out->makespan = fmax(out->makespan, t[q]);
    out->efficiency = out->makespan > 0 ? out->work / ((double)n_ranks * out->makespan) : 1.0;
    imp_sched_free(s);
    free(t);
    return 0;
}

const char *imp_fmt_hms(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "?");
        return buf;
    }
    long t = (long)(s + 0.5);
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    return buf;
}
