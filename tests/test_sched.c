/* test_sched.c — the schedule without MPI: pieces cut from a plan (bounded, every cell once,
 * sharing kept), the pick rule's affinities, hand-computed makespans of the simulator, the
 * piece codec and the cost fit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/grid.h"
#include "imprint/job.h"
#include "imprint/piece.h"
#include "imprint/sched.h"
#include "testutil.h"
#include "../src/engine/cost_calib.h"

/* A cost model where every second is easy to count: no overheads, no loads. */
static void flat_model(imp_cost_model *m, double gen_rate, double cell_rate)
{
    imp_cost_model_default(m, 1);
    for (int i = 0; i < IMP_GEN__COUNT; i++)
        m->gen_rate[i] = gen_rate;
    for (int i = 0; i < IMP_METRIC__COUNT; i++)
        m->cell_rate[i] = cell_rate;
    m->gen_overhead = m->cell_overhead = m->load_overhead = 0;
    m->load_rate = 1e300;
}

/* n pieces of the given seconds, each its own GEN (gen seconds 0) on (model 0, task mt[i]). */
static imp_pieces *pieces_of(const double *secs, const int *mt, size_t n, double load)
{
    imp_pieces *ps = NULL;
    imp_err err;
    CU_ASSERT_EQUAL_FATAL(imp_pieces_alloc(n, n, n, n, 2, &ps, &err), 0);
    ps->n = n;
    ps->n_task = 2;
    ps->load_seconds[0] = ps->load_seconds[1] = load;
    for (size_t i = 0; i < n; i++) {
        imp_piece *p = &ps->p[i];
        p->id = i;
        p->task = (uint32_t)(mt ? mt[i] : 0);
        p->groups = &ps->groups[i];
        p->cells = &ps->cells[i];
        p->n_groups = p->n_cells = 1;
        p->groups[0] = (imp_piece_group){0, 1, i, 0, 1, 0};
        p->cell_seconds = secs[i];
        ps->work += secs[i];
    }
    return ps;
}

static imp_sim_result simulate(const imp_pieces *ps, int ranks)
{
    imp_sim_result r;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_sched_simulate(ps, ranks, &r, &err), 0);
    return r;
}

static void test_makespan_longest_first(void)
{
    /* 2 ranks, [7 5 4 3 1]: r0 7, r1 5; r1 at 5 takes 4 (-> 9); r0 at 7 takes 3 (-> 10);
     * r1 at 9 takes 1 (-> 10). Makespan 10, work 20, efficiency 20 / (2 x 10) = 1. */
    const double a[] = {7, 5, 4, 3, 1};
    imp_pieces *ps = pieces_of(a, NULL, 5, 0);
    imp_sim_result r = simulate(ps, 2);
    IMP_ASSERT_NEAR(r.makespan, 10, 1e-12);
    IMP_ASSERT_NEAR(r.efficiency, 1.0, 1e-12);
    /* 3 ranks: 7 | 5 | 4, then r2 at 4 takes 3 (-> 7), r1 at 5 takes 1 (-> 6): makespan 7,
     * efficiency 20 / 21 */
    r = simulate(ps, 3);
    IMP_ASSERT_NEAR(r.makespan, 7, 1e-12);
    IMP_ASSERT_NEAR(r.efficiency, 20.0 / 21.0, 1e-12);
    /* more ranks than pieces: the longest piece is the makespan; 20 / (8 x 7) */
    r = simulate(ps, 8);
    IMP_ASSERT_NEAR(r.makespan, 7, 1e-12);
    IMP_ASSERT_NEAR(r.efficiency, 20.0 / 56.0, 1e-12);
    imp_pieces_free(ps);
}

static void test_makespan_data_affinity(void)
{
    /* 1 rank, four 2 s pieces alternating tasks A B A B, a load costs 1 s. With affinity the
     * rank takes A, A (one load), then B, B: 1 + 2 + 2 + 1 + 2 + 2 = 10 s; in plain order it
     * would load four times (12 s). Work 8 (loads are overhead): efficiency 0.8. */
    const double a[] = {2, 2, 2, 2};
    const int mt[] = {0, 1, 0, 1};
    imp_pieces *ps = pieces_of(a, mt, 4, 1);
    imp_sim_result r = simulate(ps, 1);
    IMP_ASSERT_NEAR(r.makespan, 10, 1e-12);
    IMP_ASSERT_NEAR(r.busy, 10, 1e-12);
    IMP_ASSERT_NEAR(r.efficiency, 0.8, 1e-12);
    imp_pieces_free(ps);
}

static void test_makespan_gen_affinity(void)
{
    /* Two slices of one GEN (gen 2 s, cells 3 s each) and a 4 s piece of another GEN.
     * Order by estimate: slice 5, slice 5, other 4. 1 rank: 5 + 3 (GEN held) + 4 = 12.
     * 2 ranks: r0 takes slice 1 (5); r1 passes over slice 2 (r0 holds its GEN) for the 4 s
     * piece; free first at 4, r1 must take slice 2 and recompute the GEN: 4 + 5 = 9.
     * Makespan 9, busy 14, work 3 + 3 + 2 + 4 = 12, efficiency 12 / 18. */
    const double a[] = {3, 3, 4};
    imp_pieces *ps = pieces_of(a, NULL, 3, 0);
    ps->p[1].groups[0].gen_id = 0; /* slices 0 and 1 share GEN 0 */
    ps->p[0].groups[0].gen_seconds = ps->p[1].groups[0].gen_seconds = 2;
    ps->gen_seconds[0] = 2;
    ps->work = 3 + 3 + 4 + 2;
    imp_sim_result r = simulate(ps, 1);
    IMP_ASSERT_NEAR(r.makespan, 12, 1e-12);
    IMP_ASSERT_NEAR(r.efficiency, 1.0, 1e-12);
    r = simulate(ps, 2);
    IMP_ASSERT_NEAR(r.makespan, 9, 1e-12);
    IMP_ASSERT_NEAR(r.busy, 14, 1e-12);
    IMP_ASSERT_NEAR(r.efficiency, 12.0 / 18.0, 1e-12);
    imp_pieces_free(ps);
}

/* One (model, task, shot, seed) holding 132 cells on one GEN: mean at k 1 with 3 POST x 2 INF
 * x 22 AGG. */
static const char *const BIG =
    "store: s\ncube: c\nmodels: [m]\n"
    "tasks: [{name: t, dataset: d, classes: [0, 1]}]\n"
    "strategy_grid:\n"
    "  pre: [none]\n  gen: [mean]\n  post: [none, l2, quantile]\n  inf: [none, l2]\n"
    "  agg: " IMP_TEST_AGGS22 "\n"
    "ks: [1]\nseeds: [7]\n";

/* The BIG job's grid and plan under sizes 2 classes x 100 rows, 10 dims, 50 test rows: a
 * distance pass at k 1 costs T·C·p·d = 50·2·1·10 = 1000 for every metric, the GEN C·n·d = 2000.
 * Its 132 cells share one proxy set (imp_cells_cost): one pass per distinct (POST, INF,
 * metric) = 3 · 2 · 4 (inner for max, cosine, euclidean, manhattan) = 24 passes = 24,000,
 * plus T·C·p = 100 per cell for the selection = 13,200: 37,200 for the group, 281.8 a cell. */
static const imp_cost_hint BIG_SIZES = {100, 10, 2, 50};
#define BIG_GROUP_COST 37200.0

static int big_plan(imp_job **job, imp_grid **g, imp_plan **plan)
{
    imp_err err;
    *job = NULL;
    *g = NULL;
    *plan = NULL;
    IMP_ASSERT_INT_EQ(imp_job_parse(BIG, strlen(BIG), "big", NULL, job, &err), 0);
    if (*job)
        IMP_ASSERT_INT_EQ(imp_grid_from_job(*job, g, &err), 0);
    if (*g)
        IMP_ASSERT_INT_EQ(imp_plan_build(*g, NULL, 0, &BIG_SIZES, plan, &err), 0);
    return *plan ? 0 : -1;
}

static void test_cut_one_big_unit(void)
{
    imp_job *job;
    imp_grid *g;
    imp_plan *plan;
    imp_pieces *ps = NULL;
    imp_err err;
    if (big_plan(&job, &g, &plan))
        return;
    IMP_ASSERT_INT_EQ(g->n_valid, 132);
    const imp_cost_hint h = BIG_SIZES;
    imp_cost_model m;
    IMP_ASSERT_INT_EQ(plan->n_units, 1);
    IMP_ASSERT_INT_EQ(plan->n_gens, 1);
    /* the plan prices the group as a whole: GEN 2000 + 37,200 (not 132 x 1100 cell by cell) */
    IMP_ASSERT_NEAR(plan->total_cost, 2000 + BIG_GROUP_COST, 1e-6);
    /* at cell rate 1000 the group's cells are 37.2 s together, whatever the cut */
    flat_model(&m, 2e12, 1000);
    IMP_ASSERT_INT_EQ(imp_pieces_build(g, plan, &h, &m, 1000, &ps, &err), 0);
    IMP_ASSERT_NEAR(ps->work, 37.2 + 1e-9, 1e-9);
    imp_pieces_free(ps);
    IMP_ASSERT_INT_EQ(imp_pieces_build(g, plan, &h, &m, 2, &ps, &err), 0);
    IMP_ASSERT_NEAR(ps->work, 37.2 + 1e-9, 1e-9); /* slices pay their shares, no more */
    imp_pieces_free(ps);
    /* at cell rate 37,200 / 132 each cell's share is 1 s; the GEN at rate 2e12 is 1e-9 s */
    flat_model(&m, 2e12, BIG_GROUP_COST / 132);
    /* bound 10.5 s: slices of 10 cells (+ the GEN) -> 13 pieces of 10 cells and one of 2 */
    IMP_ASSERT_INT_EQ(imp_pieces_build(g, plan, &h, &m, 10.5, &ps, &err), 0);
    IMP_ASSERT_INT_EQ(ps->n, 14);
    IMP_ASSERT_INT_EQ(ps->p[0].n_cells, 10);
    IMP_ASSERT_INT_EQ(ps->p[13].n_cells, 2);
    IMP_ASSERT_NEAR(ps->work, 132, 1e-6);
    /* every cell exactly once, each piece one slice of GEN 0 */
    unsigned char *seen = calloc(g->n_cells, 1);
    size_t total = 0;
    for (size_t i = 0; i < ps->n; i++) {
        const imp_piece *p = &ps->p[i];
        IMP_ASSERT_INT_EQ(p->id, i);
        IMP_ASSERT_INT_EQ(p->n_groups, 1);
        IMP_ASSERT_INT_EQ(p->groups[0].gen_id, 0);
        IMP_ASSERT_INT_EQ(p->groups[0].n, p->n_cells);
        CU_ASSERT(p->cell_seconds + p->groups[0].gen_seconds <= 10.5);
        for (size_t c = 0; c < p->n_cells; c++) {
            IMP_ASSERT_INT_EQ(seen[p->cells[c].cell], 0);
            seen[p->cells[c].cell] = 1;
            total++;
        }
    }
    IMP_ASSERT_INT_EQ(total, 132);
    free(seen);
    /* 4 ranks over 13 x 10 s + 2 s: three rounds of 4, then one rank takes the 13th 10 s
     * piece (-> 40 s) and another the 2 s piece. Makespan 40 s; efficiency 132 / 160. */
    imp_sim_result r = simulate(ps, 4);
    IMP_ASSERT_NEAR(r.makespan, 40, 1e-6);
    IMP_ASSERT_NEAR(r.efficiency, 132.0 / 160.0, 1e-6);
    imp_pieces_free(ps);
    /* cut for 4 ranks from a 1000 s bound: 8 pieces per rank want 32; the even share
     * 132 / 32 = 4.125 s gives slices of 4 cells: 33 pieces */
    IMP_ASSERT_INT_EQ(imp_pieces_build_for(g, plan, &h, &m, 1000, 4, &ps, &err), 0);
    IMP_ASSERT_INT_EQ(ps->n, 33);
    IMP_ASSERT_NEAR(ps->bound, 4.125, 1e-9); /* (132 s + the GEN's 1e-9 s) / 32 */
    imp_pieces_free(ps);
    /* 100 ranks would want 800 pieces: the bound stops at 2 s (slices of one cell, as a
     * 2-cell slice plus its GEN is over 2 s): 132 pieces */
    IMP_ASSERT_INT_EQ(imp_pieces_build_for(g, plan, &h, &m, 1000, 100, &ps, &err), 0);
    IMP_ASSERT_INT_EQ(ps->n, 132);
    IMP_ASSERT_NEAR(ps->bound, 2, 1e-12);
    imp_pieces_free(ps);
    /* a bound larger than the unit: one piece holding the whole GEN group */
    IMP_ASSERT_INT_EQ(imp_pieces_build(g, plan, &h, &m, 1000, &ps, &err), 0);
    IMP_ASSERT_INT_EQ(ps->n, 1);
    IMP_ASSERT_INT_EQ(ps->p[0].n_cells, 132);
    imp_pieces_free(ps);
    /* an expensive GEN (100 s at rate 20) with cells worth less than the bound: kept whole,
     * so the proxies are computed once */
    flat_model(&m, 20, BIG_GROUP_COST / 20.0); /* cells 20/132 s each: 20 s together */
    IMP_ASSERT_INT_EQ(imp_pieces_build(g, plan, &h, &m, 30, &ps, &err), 0);
    IMP_ASSERT_INT_EQ(ps->n, 1);
    imp_pieces_free(ps);
    imp_plan_free(plan);
    imp_grid_free(g);
    imp_job_free(job);
}

static void test_piece_codec(void)
{
    imp_job *job;
    imp_grid *g;
    imp_plan *plan;
    imp_pieces *ps = NULL;
    imp_err err;
    const imp_cost_hint h = BIG_SIZES;
    imp_cost_model m;
    flat_model(&m, 2e12, BIG_GROUP_COST / 132); /* 1 s a cell, as in test_cut_one_big_unit */
    if (big_plan(&job, &g, &plan))
        return;
    IMP_ASSERT_INT_EQ(imp_pieces_build(g, plan, &h, &m, 10.5, &ps, &err), 0);
    const imp_piece *p = &ps->p[3];
    int64_t *msg = NULL;
    size_t len = 0;
    IMP_ASSERT_INT_EQ(imp_piece_encode(p, &msg, &len, &err), 0);
    IMP_ASSERT_INT_EQ(len, IMP_PIECE_HDR + 4 + 2 * 10);
    imp_piece d;
    IMP_ASSERT_INT_EQ(imp_piece_decode(msg, len, g, &d, &err), 0);
    IMP_ASSERT_INT_EQ(d.id, 3);
    IMP_ASSERT_INT_EQ(d.n_cells, 10);
    IMP_ASSERT_INT_EQ(d.groups[0].k_eff, 1);
    for (size_t c = 0; c < 10; c++) {
        IMP_ASSERT_INT_EQ(d.cells[c].cell, p->cells[c].cell);
        IMP_ASSERT_INT_EQ(d.cells[c].strategy, p->cells[c].strategy);
    }
    imp_piece_free(&d);
    /* malformed: a cell outside the grid, a truncated message, a group longer than the cells */
    msg[IMP_PIECE_HDR + 4] = (int64_t)g->n_cells;
    IMP_ASSERT_INT_EQ(imp_piece_decode(msg, len, g, &d, &err), IMP_EINPUT);
    IMP_ASSERT_INT_EQ(imp_piece_decode(msg, len - 1, g, &d, &err), IMP_EINPUT);
    msg[IMP_PIECE_HDR + 4] = (int64_t)p->cells[0].cell;
    msg[IMP_PIECE_HDR + 3] = 11;
    IMP_ASSERT_INT_EQ(imp_piece_decode(msg, len, g, &d, &err), IMP_EINPUT);
    free(msg);
    imp_pieces_free(ps);
    imp_plan_free(plan);
    imp_grid_free(g);
    imp_job_free(job);
}

static void test_cost_fit(void)
{
    /* kmeans: costs 1e9 and 3e9 measured 0.6 s and 1.6 s. The overhead is the smallest GEN
     * time of all samples, 0.1 s (the mean one); then per GEN: kmeans 4e9 / (0.5 + 1.5) s =
     * 2e9; mean has no time above the overhead and keeps its rate. */
    imp_cost_sample s[3] = {
        {IMP_GEN_KMEANS, IMP_METRIC_INNER, 1e9, 1e6, 0.6, 0.01},
        {IMP_GEN_KMEANS, IMP_METRIC_COSINE, 3e9, 3e6, 1.6, 0.04},
        {IMP_GEN_MEAN, IMP_METRIC_INNER, 1e8, 1e6, 0.1, 0.01},
    };
    imp_cost_model m;
    imp_cost_model_default(&m, 1);
    double mean_rate = m.gen_rate[IMP_GEN_MEAN];
    imp_cost_fit(&m, s, 3);
    IMP_ASSERT_NEAR(m.gen_overhead, 0.1, 1e-12);
    IMP_ASSERT_REL(m.gen_rate[IMP_GEN_KMEANS], 2e9, 1e-12);
    IMP_ASSERT_REL(m.gen_rate[IMP_GEN_MEAN], mean_rate, 1e-12);
    /* cells: floor 0.01 s; inner: 2e6 / (0 + 0) keeps its rate; cosine: 3e6 / 0.03 = 1e8 */
    IMP_ASSERT_NEAR(m.cell_overhead, 0.01, 1e-12);
    IMP_ASSERT_REL(m.cell_rate[IMP_METRIC_COSINE], 1e8, 1e-9);
    /* the fitted model reproduces the measured kmeans total: 0.6 + 1.6 */
    IMP_ASSERT_REL(m.gen_overhead * 2 + 4e9 / m.gen_rate[IMP_GEN_KMEANS], 2.2, 1e-12);
}

/* The calibration is keyed by name: every GEN and metric row has exactly one rate in
 * cost_calib.h, and the default model holds that rate at the row's enum position. */
#define CALIB_ROW(name, rate) {name, rate},
static void test_calibration_by_name(void)
{
    static const imp_cost_rate gen[] = {IMP_CALIB_GEN_RATES(CALIB_ROW)};
    static const imp_cost_rate cell[] = {IMP_CALIB_CELL_RATES(CALIB_ROW)};
    size_t ng = sizeof gen / sizeof gen[0], nc = sizeof cell / sizeof cell[0];
    imp_cost_model m;
    imp_cost_model_default(&m, 1);
    for (int g = 0; g < IMP_GEN__COUNT; g++) {
        int found = 0;
        for (size_t r = 0; r < ng; r++)
            if (strcmp(gen[r].name, imp_gen_name((imp_gen)g)) == 0) {
                found++;
                IMP_ASSERT_REL(m.gen_rate[g], gen[r].rate, 0);
            }
        IMP_ASSERT_INT_EQ(found, 1);
    }
    for (int q = 0; q < IMP_METRIC__COUNT; q++) {
        int found = 0;
        for (size_t r = 0; r < nc; r++)
            if (strcmp(cell[r].name, imp_metric_name((imp_metric)q)) == 0) {
                found++;
                IMP_ASSERT_REL(m.cell_rate[q], cell[r].rate, 0);
            }
        IMP_ASSERT_INT_EQ(found, 1);
    }
    /* in another order (a row inserted mid-table): each rate still lands on its own row */
    imp_cost_rate shuffled[] = {{"kls", 5}, {"mean", 1}, {"ls", 4}, {"kmeans", 2}, {"fps", 3}};
    double rates[IMP_GEN__COUNT];
    for (int g = 0; g < IMP_GEN__COUNT; g++)
        rates[g] = -1;
    IMP_ASSERT_INT_EQ(imp_cost_rates_by_name(shuffled, 5, 1, rates), IMP_GEN__COUNT - 5);
    IMP_ASSERT_NEAR(rates[IMP_GEN_MEAN], 1, 0);
    IMP_ASSERT_NEAR(rates[IMP_GEN_KMEANS], 2, 0);
    IMP_ASSERT_NEAR(rates[IMP_GEN_FPS], 3, 0);
    IMP_ASSERT_NEAR(rates[IMP_GEN_LS], 4, 0);
    IMP_ASSERT_NEAR(rates[IMP_GEN_KLS], 5, 0);
    IMP_ASSERT_NEAR(rates[IMP_GEN_ALL], -1, 0); /* not named: left as it was */
}

int main(void)
{
    static const imp_test tests[] = {
        {"calibration_by_name", test_calibration_by_name},
        {"makespan_longest_first", test_makespan_longest_first},
        {"makespan_data_affinity", test_makespan_data_affinity},
        {"makespan_gen_affinity", test_makespan_gen_affinity},
        {"cut_one_big_unit", test_cut_one_big_unit},
        {"piece_codec", test_piece_codec},
        {"cost_fit", test_cost_fit},
        {NULL, NULL},
    };
    return imp_test_main("sched", tests);
}
