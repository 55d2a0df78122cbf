/* test_grid.c — cell validity and the reference's run counts, grid hash, work units. */
#include <stdlib.h>
#include <string.h>

#include "imprint/grid.h"
#include "imprint/plan.h"
#include "testutil.h"

static imp_grid *grid_of(const char *text)
{
    imp_job *job = NULL;
    imp_grid *g = NULL;
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_job_parse(text, strlen(text), "t.yaml", NULL, &job, &err);
    if (!rc)
        rc = imp_grid_from_job(job, &g, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "job and grid build: %s\n%s", err.msg, text);
    imp_job_free(job);
    return g;
}

static imp_grid *grid_of_file(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/jobs/%s", IMP_SOURCE_DIR, name);
    imp_job *job = NULL;
    imp_grid *g = NULL;
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_job_load(path, &job, &err);
    if (!rc)
        rc = imp_grid_from_job(job, &g, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "%s: %s", name, err.msg);
    imp_job_free(job);
    return g;
}

/* ---- the reference configs, as jobs (docs/job-file.md) ---- */

#define MODELS4 "models: [resnet18, resnet50, vit_b_16, swin_b]\n"
#define SEEDS3 "seeds: [17121997, 123987, 12412312]\n"
#define TASKS3                                                                                     \
    "tasks:\n  - {name: mnist, dataset: mnist}\n  - {name: fmnist, dataset: fmnist}\n"             \
    "  - {name: cifar10, dataset: cifar10}\n"
#define SPLITS(ds)                                                                                 \
    "  - {name: " ds "-all, dataset: " ds "}\n"                                                    \
    "  - {name: " ds "-even, dataset: " ds ", classes: [0, 2, 4, 6, 8]}\n"                         \
    "  - {name: " ds "-odd, dataset: " ds ", classes: [1, 3, 5, 7, 9]}\n"                          \
    "  - {name: " ds "-short, dataset: " ds ", classes: [0, 1, 2]}\n"
#define TASKS12 "tasks:\n" SPLITS("mnist") SPLITS("fmnist") SPLITS("cifar10")
/* The reference's 45 aggregation rows after its rules 1–3 (max × 5 distances, where max with a
 * distance is our nn:METRIC; mnn × 4 distances × 2 weightings × m {1,3,5,20,50}). */
#define MNN(m)                                                                                     \
    "mnn:" m ":cosine:uniform, mnn:" m ":cosine:distance, mnn:" m ":euclidean:uniform, "           \
    "mnn:" m ":euclidean:distance, mnn:" m ":manhattan:uniform, mnn:" m ":manhattan:distance, "    \
    "mnn:" m ":mahalanobis:uniform, mnn:" m ":mahalanobis:distance"
#define AGGS45                                                                                     \
    "[max, nn:cosine, nn:euclidean, nn:manhattan, nn:mahalanobis, " MNN("1") ", " MNN(             \
        "3") ", " MNN("5") ", " MNN("20") ", " MNN("50") "]"
#define HEAD "store: s.h5\ncube: c.h5\n"
#define KS15 "ks: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]\n"
#define COMBI                                                                                      \
    "tasks:\n  - name: combidigits\n    datasets: [mnist, mnistm, usps, svhn]\n    remap: {"       \
    "0: 0, 10: 0, 20: 0, 30: 0, 1: 1, 11: 1, 21: 1, 31: 1, 2: 2, 12: 2, 22: 2, 32: 2, "            \
    "3: 3, 13: 3, 23: 3, 33: 3, 4: 4, 14: 4, 24: 4, 34: 4, 5: 5, 15: 5, 25: 5, 35: 5, "            \
    "6: 6, 16: 6, 26: 6, 36: 6, 7: 7, 17: 7, 27: 7, 37: 7, 8: 8, 18: 8, 28: 8, 38: 8, "            \
    "9: 9, 19: 9, 29: 9, 39: 9}\n"
#define FEWSHOT                                                                                    \
    "ks: [-1, 1, 5, 20]\nshots: [all, 1, 2, 5, 10, 20, 50, 100, 200, 400, 600, 800, 1000]\n"       \
    "seeds: [14057, 994348, 23092007, 123456, 98765]\n"

static const char *const AGGFIXED = HEAD MODELS4 TASKS12
    "strategy_grid: {pre: [none, l2], gen: [kmeans, kmedoids, mean, covmax, random, fps, all],"
    " post: [none, l2, quantile], inf: [none, l2], agg: [max]}\n"
    "ks: [-1, 1, 2, 3, 5, 10, 20]\n" SEEDS3;
static const char *const AGGFOCUS = HEAD MODELS4 TASKS12
    "strategy_grid: {pre: [none, l2], gen: [kmeans, kmedoids, mean, all], post: [none, l2],"
    " inf: [none, l2], agg: " AGGS45 "}\n"
    "ks: [-1, 1, 5, 20]\n" SEEDS3;
static const char *const SUBSEC2 =
    HEAD MODELS4 TASKS3 "strategies: [l2/kmeans/l2/l2/max]\n" FEWSHOT;

/* ImageNet "d in 1": 100 tasks; their remaps do not change the counts, so each maps 10 raw
 * labels to 0..9. */
static char *imagenet_job(const char *strategies)
{
    size_t cap = 64 * 1024;
    char *t = malloc(cap);
    size_t n = (size_t)snprintf(t, cap, HEAD MODELS4 "tasks:\n");
    for (int d = 1; d <= 10; d++)
        for (int r = 0; r < 10; r++)
            n += (size_t)snprintf(t + n, cap - n,
                                  "  - {name: map%d-%d, dataset: imagenet, remap: {%d: 0, %d: 1, "
                                  "%d: 2, %d: 3, %d: 4, %d: 5, %d: 6, %d: 7, %d: 8, %d: 9}}\n",
                                  d, r, 0 + r, 10 + r, 20 + r, 30 + r, 40 + r, 50 + r, 60 + r,
                                  70 + r, 80 + r, 90 + r);
    snprintf(t + n, cap - n, "%s" KS15 SEEDS3, strategies);
    return t;
}

static void check_count(const char *what, const char *text, size_t expect)
{
    imp_grid *g = grid_of(text);
    if (!g)
        return;
    imp__assert_msg(g->n_valid == expect, __LINE__, __FILE__, "%s: %zu valid cells, reference %zu",
                    what, g->n_valid, expect);
    IMP_ASSERT_INT_EQ(g->n_valid + g->n_na, g->n_cells);
    imp_grid_free(g);
}

/* The reference's run count of each config, each config as an equivalent job. */
static void test_reference_counts(void)
{
    check_count("reprod_subsec1_aggfixed", AGGFIXED, 41472);
    check_count("reprod_subsec1_aggfixed_kls",
                HEAD MODELS4 TASKS12 "strategies: [none/kls/none/none/max]\n"
                                     "ks: [1, 2, 3, 5, 10, 20]\n" SEEDS3,
                864);
    check_count("reprod_subsec1_aggfocus", AGGFOCUS, 283392);
    check_count("reprod_subsec1_aggfocus_kls",
                HEAD MODELS4 TASKS12
                "strategy_grid: {pre: [none], gen: [kls], post: [none], inf: [none], agg: " AGGS45
                "}\n"
                "ks: [1, 5, 20]\n" SEEDS3,
                17136);
    check_count("reprod_subsec2", SUBSEC2, 2100);
    check_count("reprod_subsec2_kls",
                HEAD MODELS4 TASKS3 "strategies: [none/kls/none/none/max]\n" FEWSHOT, 2100);
    check_count("reprod_fig6",
                HEAD MODELS4 TASKS3
                "strategy_grid: {pre: [l2], gen: [kmeans, kmedoids, mean, ls, kls, covmax, random,"
                " fps, all], post: [l2], inf: [l2], agg: [max]}\n"
                "ks: [-1, 1, 2, 3, 5, 10, 20, 50, 100]\n" SEEDS3,
                1836);
    check_count(
        "reprod_subsec3_combidigits",
        HEAD MODELS4 COMBI
        "strategy_grid: {pre: [none, l2], gen: [kmeans], post: [l2], inf: [l2], agg: [max]}\n" KS15
            SEEDS3,
        360);
    check_count(
        "reprod_subsec3_combidigits_kls",
        HEAD MODELS4 COMBI
        "strategy_grid: {pre: [none, l2], gen: [kls], post: [none], inf: [none], agg: [max]}\n" KS15
            SEEDS3,
        180);
    check_count(
        "reprod_subsec3_non-imagenet",
        HEAD MODELS4 TASKS3
        "strategy_grid: {pre: [none, l2], gen: [kmeans], post: [l2], inf: [l2], agg: [max]}\n" KS15
            SEEDS3,
        1080);
    check_count(
        "reprod_subsec3_non-imagenet_kls",
        HEAD MODELS4 TASKS3
        "strategy_grid: {pre: [none, l2], gen: [kls], post: [none], inf: [none], agg: [max]}\n" KS15
            SEEDS3,
        540);
    char *t = imagenet_job(
        "strategy_grid: {pre: [none, l2], gen: [kmeans], post: [l2], inf: [l2], agg: [max]}\n");
    check_count("reprod_subsec3_imagenet", t, 36000);
    free(t);
    t = imagenet_job(
        "strategy_grid: {pre: [none, l2], gen: [kls], post: [none], inf: [none], agg: [max]}\n");
    check_count("reprod_subsec3_imagenet_kls", t, 18000);
    free(t);
}

/* The shipped paper jobs: sums of the reference's run counts they combine (each file's header). */
static void test_paper_jobs(void)
{
    static const struct {
        const char *file;
        size_t valid;
    } jobs[] = {
        {"paper-aggfixed.yaml", 41472 + 864},
        {"paper-aggfocus.yaml", 283392 + 17136},
        {"paper-fewshot.yaml", 2100 + 2100},
        {"paper-fig6.yaml", 1836},
        {"paper-nc.yaml", 360 + 180 + 1080 + 540},
        {"paper-imagenet.yaml", 36000 + 18000},
        /* 2 models × 4 tasks × 3 seeds × (Qi, Hosoda, Janson, Oracle at k 1; Ours at 1, 20) */
        {"demo.yaml", 2 * 8 * 3 * 6},
        /* 8 tasks × 3 seeds × (shot all: 4 means + ls at k 1, and 2 kmeans + 2 kls at k 1, 5,
         * 20, 64; shot 10: the same at k 1, 5, 10 — 20 and 64 both become 10, rule 11, and
         * the duplicate is dropped, rule 12) = 8 × 3 × (5 + 16 + 5 + 12) */
        {"demo-cnn.yaml", 8 * 3 * (5 + 16 + 5 + 12)},
    };
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        imp_grid *g = grid_of_file(jobs[i].file);
        if (!g)
            continue;
        imp__assert_msg(g->n_valid == jobs[i].valid, __LINE__, __FILE__, "%s: %zu vs %zu",
                        jobs[i].file, g->n_valid, jobs[i].valid);
        imp_grid_free(g);
    }
}

/* Valid (strategy, k) pairs at one shot among strategies whose GEN is gen and text contains
 * needle, for one (model, task, seed). */
static size_t count_sk(const imp_grid *g, imp_gen gen, int64_t k, size_t shot)
{
    size_t n = 0;
    for (size_t s = 0; s < g->n_strategy; s++)
        for (size_t ki = 0; ki < g->n_k; ki++)
            if (g->strat[s].gen == gen && (k == 0 || g->k[ki] == k) &&
                g->k_eff[(s * g->n_k + ki) * g->n_shot + shot] != IMP_GRID_KNA)
                n++;
    return n;
}

static void test_axis_rules(void)
{
    /* aggfocus details: per NORM triple (6 of them) all 45, mean 45 (m = 20, 50
     * survive: rule 4 sees the listed k = 5, 20, -1), kmeans k = 1: 29, k = 5: 45, k = 20: 45. */
    imp_grid *g = grid_of(AGGFOCUS);
    if (!g)
        return;
    IMP_ASSERT_INT_EQ(g->n_strategy, 6 * 4 * 45);
    IMP_ASSERT_INT_EQ(count_sk(g, IMP_GEN_ALL, 0, 0), 6 * 45);
    IMP_ASSERT_INT_EQ(count_sk(g, IMP_GEN_MEAN, 0, 0), 6 * 45);
    IMP_ASSERT_INT_EQ(count_sk(g, IMP_GEN_MEAN, 1, 0), 6 * 45);
    IMP_ASSERT_INT_EQ(count_sk(g, IMP_GEN_KMEANS, 1, 0), 6 * 29);
    IMP_ASSERT_INT_EQ(count_sk(g, IMP_GEN_KMEANS, 5, 0), 6 * 45);
    IMP_ASSERT_INT_EQ(count_sk(g, IMP_GEN_KMEANS, 20, 0), 6 * 45);
    IMP_ASSERT_INT_EQ(count_sk(g, IMP_GEN_KMEDOIDS, 0, 0), 6 * 119);
    imp_grid_free(g);

    /* mean with mnn m = 20: valid at k = 1 when ks lists 5 (20 <= 50), else not */
    g = grid_of(
        HEAD
        "models: [m]\ntasks: [{name: t, dataset: d}]\n"
        "strategies: [l2/mean/l2/l2/mnn:20:cosine:uniform, l2/kmeans/l2/l2/mnn:20:cosine:uniform]\n"
        "ks: [1, 5]\nseeds: [1]\n");
    if (!g)
        return;
    const char *why = NULL;
    int64_t e = 0;
    /* cell order: strategy, k (one model, task, shot, seed) */
    IMP_ASSERT_INT_EQ(imp_grid_cell_valid(g, 0, &e, &why), 1); /* mean, k 1 */
    IMP_ASSERT_INT_EQ(e, 1);
    IMP_ASSERT_INT_EQ(imp_grid_cell_valid(g, 1, &e, &why), 0); /* mean, k 5 */
    IMP_ASSERT_INT_EQ(strcmp(why, "mean and ls only at k = 1"), 0);
    IMP_ASSERT_INT_EQ(imp_grid_cell_valid(g, 2, &e, &why), 0); /* kmeans, k 1: 20 > 10 */
    IMP_ASSERT_INT_EQ(strcmp(why, "mnn with m > 10*k"), 0);
    IMP_ASSERT_INT_EQ(imp_grid_cell_valid(g, 3, &e, &why), 1); /* kmeans, k 5 */
    IMP_ASSERT_INT_EQ(e, 5);
    imp_grid_free(g);

    /* subsec2: per (model, task, seed) 35 cells; shot f < k runs with k = f at one
     * cell: k = f if listed, else the smallest listed k above f. */
    g = grid_of(SUBSEC2);
    if (!g)
        return;
    IMP_ASSERT_INT_EQ(g->n_valid, 35 * 4 * 3 * 5);
    static const size_t per_shot[13] = {3, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3};
    for (size_t f = 0; f < 13; f++)
        IMP_ASSERT_INT_EQ(count_sk(g, IMP_GEN_KMEANS, 0, f), per_shot[f]);
    /* ks index: 0 → -1, 1 → 1, 2 → 5, 3 → 20; shot index: 0 all, 1 → 1, 2 → 2, 3 → 5,
     * 4 → 10 */
    struct {
        size_t k, shot;
        int64_t k_eff; /* IMP_GRID_KNA: n/a */
    } cases[] = {
        /* shot all */ {0, 0, IMP_GRID_KNA}, {1, 0, 1}, {2, 0, 5}, {3, 0, 20},
        /* shot 1 */ {1, 1, 1}, {2, 1, IMP_GRID_KNA}, {3, 1, IMP_GRID_KNA},
        /* shot 2 */ {1, 2, 1}, {2, 2, 2}, {3, 2, IMP_GRID_KNA},
        /* shot 5 */ {1, 3, 1}, {2, 3, 5}, {3, 3, IMP_GRID_KNA},
        /* shot 10 */ {1, 4, 1}, {2, 4, 5}, {3, 4, 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        imp_cell c = {.model = 1, .task = 2, .strategy = 0, .k = cases[i].k, .shot = cases[i].shot,
                      .seed = 3};
        size_t cell = imp_grid_cell_index(g, &c);
        e = 0;
        int ok = imp_grid_cell_valid(g, cell, &e, &why);
        imp__assert_msg(ok == (cases[i].k_eff != IMP_GRID_KNA) && e == cases[i].k_eff, __LINE__,
                        __FILE__, "case %zu: valid %d k_eff %lld", i, ok, (long long)e);
        /* few-shot draws depend on the seed: every cell is its own source */
        IMP_ASSERT_INT_EQ(imp_grid_cell_source(g, cell), cell);
    }
    imp_cell c = {.model = 0, .task = 0, .strategy = 0, .k = 3, .shot = 2, .seed = 0};
    imp_grid_cell_valid(g, imp_grid_cell_index(g, &c), NULL, &why);
    IMP_ASSERT_INT_EQ(strcmp(why, "shot < k runs with k = shot, recorded at one k"), 0);
    c.k = 0;
    imp_grid_cell_valid(g, imp_grid_cell_index(g, &c), NULL, &why);
    IMP_ASSERT_INT_EQ(strcmp(why, "k = -1 only for all"), 0);
    /* index ↔ coordinates */
    imp_cell c2, c3 = {.model = 3, .task = 1, .strategy = 0, .k = 2, .shot = 11, .seed = 4};
    size_t cell = imp_grid_cell_index(g, &c3);
    IMP_ASSERT_INT_EQ(cell, ((((3 * 3 + 1) * 1 + 0) * 4 + 2) * 13 + 11) * 5 + 4);
    imp_grid_cell_coords(g, cell, &c2);
    IMP_ASSERT_INT_EQ(memcmp(&c2, &c3, sizeof c2), 0);
    imp_grid_free(g);
}

/* ---- hash ---- */

static const char *const SMALL =
    "store: data/store.h5\n"
    "cube: results/x.h5\n"
    "models: [pixels, randfeat512]\n"
    "tasks:\n"
    "  - {name: even, dataset: fmnist, classes: [0, 2, 4]}\n"
    "  - {name: combi, datasets: [a, b], remap: {0: 0, 10: 0, 1: 1, 11: 1}}\n"
    "strategies: [l2/mean/l2/l2/max, \"l2/kmeans/l2/l2/mnn:03:cosine:distance\"]\n"
    "ks: [1, 5]\n"
    "shots: [all, 2]\n"
    "seeds: [17121997, 7]\n"
    "lambda: {pixels: 0.05}\n";

static char *replace(const char *text, const char *from, const char *to)
{
    static char buf[4096];
    const char *p = strstr(text, from);
    imp__assert_msg(p != NULL, __LINE__, __FILE__, "'%s' in the job", from);
    if (!p)
        return strcpy(buf, text);
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
    return buf;
}

static void test_hash(void)
{
    imp_grid *g = grid_of(SMALL);
    if (!g)
        return;
    const char *canon = "imprint-grid 1\n"
                        "store data/store.h5\n"
                        "model pixels\n"
                        "model randfeat512\n"
                        "task even datasets=fmnist classes=0,2,4 remap=none\n"
                        "task combi datasets=a,b classes=all remap=0:0,10:0,1:1,11:1\n"
                        "strategy l2/mean/l2/l2/max\n"
                        "strategy l2/kmeans/l2/l2/mnn:3:cosine:distance\n"
                        "k 1\nk 5\nshot all\nshot 2\nseed 17121997\nseed 7\n"
                        "lambda pixels 0.050000000000000003\n";
    IMP_ASSERT_INT_EQ(strcmp(imp_grid_canonical(g), canon), 0);
    /* FNV-1a 64 of that text, computed once with a 5-line Python loop (offset
     * 0xcbf29ce484222325, prime 0x100000001b3) */
    imp__assert_msg(imp_grid_hash(g) == 0x271bb689dbadb4f0ULL, __LINE__, __FILE__, "hash %016llx",
                    (unsigned long long)imp_grid_hash(g));
    uint64_t h0 = imp_grid_hash(g);
    imp_grid_free(g);

    /* comments, layout and the cube path do not change the grid */
    const char *same[] = {
        replace(SMALL, "ks: [1, 5]\n", "# the ks\nks:\n  - 1\n  - 5\n"),
        replace(SMALL, "cube: results/x.h5", "cube: elsewhere.h5"),
    };
    for (size_t i = 0; i < 2; i++) {
        char copy[4096];
        strcpy(copy, same[i]);
        g = grid_of(copy);
        if (g)
            IMP_ASSERT_INT_EQ(imp_grid_hash(g) == h0, 1);
        imp_grid_free(g);
    }
    /* everything else does */
    struct {
        const char *from, *to;
    } change[] = {
        {"ks: [1, 5]", "ks: [1, 5, 20]"},
        {"ks: [1, 5]", "ks: [5, 1]"},
        {"seeds: [17121997, 7]", "seeds: [7, 17121997]"},
        {"shots: [all, 2]", "shots: [all]"},
        {"classes: [0, 2, 4]", "classes: [0, 2, 6]"},
        {"datasets: [a, b]", "datasets: [a, c]"},
        {"0.05", "0.06"},
        {"lambda: {pixels: 0.05}\n", ""},
        {"store: data/store.h5", "store: data/other.h5"},
        {"models: [pixels, randfeat512]", "models: [randfeat512, pixels]"},
        {"l2/mean/l2/l2/max, ", ""},
    };
    for (size_t i = 0; i < sizeof change / sizeof change[0]; i++) {
        g = grid_of(replace(SMALL, change[i].from, change[i].to));
        if (g)
            imp__assert_msg(imp_grid_hash(g) != h0, __LINE__, __FILE__,
                            "change %zu alters the hash", i);
        imp_grid_free(g);
    }
}

/* ---- work units ---- */

/* Worked out by hand (comments below). */
static const char *const UNITS =
    "store: s\ncube: c\nmodels: [m]\n"
    "tasks: [{name: t1, dataset: d, classes: [0, 1]}, {name: t2, dataset: d, classes: [0, 1, 2]}]\n"
    "strategies: [l2/mean/l2/l2/max, l2/mean/none/l2/max, l2/kmeans/l2/l2/max,\n"
    "             l2/kmeans/l2/l2/nn:cosine, none/kmeans/l2/none/max]\n"
    "ks: [1, 5]\nshots: [all, 2]\nseeds: [1, 2, 3]\n";

static void test_units(void)
{
    imp_grid *g = grid_of(UNITS);
    if (!g)
        return;
    /* 1 × 2 × 5 × 2 × 2 × 3 = 120 cells. Per (task, seed): shot all: 2 mean (k 1) + 3 kmeans ×
     * k {1, 5} = 8; shot 2: the same 8 (kmeans k 5 runs with k_eff 2, as 2 is not listed). */
    IMP_ASSERT_INT_EQ(g->n_cells, 120);
    IMP_ASSERT_INT_EQ(g->n_valid, 16 * 2 * 3);
    IMP_ASSERT_INT_EQ(g->n_na, 120 - 96);
    imp_plan *p = NULL;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_plan_build(g, NULL, 0, NULL, &p, &err), 0);
    if (!p) {
        imp_grid_free(g);
        return;
    }
    /* GEN computations per task: shot all: the two l2/mean strategies share one, the same for
     * every seed (1); kmeans (pre l2 at k 1, 5; pre none at k 1, 5) per seed: 4 × 3 = 12.
     * shot 2 (draws depend on the seed): mean 1 + kmeans pre l2 {1, 2} + pre none {1, 2} = 5,
     * × 3 seeds = 15. Per task 28, total 56. */
    IMP_ASSERT_INT_EQ(p->n_gens, 56);
    /* computed cells per task: shot all: seed 1: 2 mean + 6 kmeans, seeds 2, 3: 6 kmeans → 20,
     * with 2 × 2 aliases; shot 2: 8 × 3 = 24. */
    IMP_ASSERT_INT_EQ(p->n_cells, 2 * 44);
    IMP_ASSERT_INT_EQ(p->n_alias, 2 * 4);
    IMP_ASSERT_INT_EQ(p->n_todo, 96);
    IMP_ASSERT_INT_EQ(p->n_units, 2 * 2 * 3);
    IMP_ASSERT_INT_EQ(p->n_valid, 96);
    IMP_ASSERT_INT_EQ(p->n_na, 24);
    /* every valid cell is recorded exactly once */
    unsigned char *seen = calloc(g->n_cells, 1);
    size_t recorded = 0;
    for (size_t u = 0; u < p->n_units; u++) {
        const imp_unit *un = &p->units[u];
        size_t rec = 0;
        for (size_t gi = un->first_gen; gi < un->first_gen + un->n_gens; gi++) {
            const imp_unit_gen *ge = &p->gens[gi];
            for (size_t ci = ge->first_cell; ci < ge->first_cell + ge->n_cells; ci++) {
                const imp_unit_cell *uc = &p->cells[ci];
                imp_cell c;
                imp_grid_cell_coords(g, uc->cell, &c);
                /* a cell belongs to its unit and shares its gen's PRE, GEN, k_eff */
                IMP_ASSERT_INT_EQ(c.task == un->task && c.shot == un->shot && c.seed == un->seed,
                                  1);
                IMP_ASSERT_INT_EQ(g->strat[uc->strategy].pre == g->strat[ge->strategy].pre, 1);
                IMP_ASSERT_INT_EQ(g->strat[uc->strategy].gen == g->strat[ge->strategy].gen, 1);
                IMP_ASSERT_INT_EQ(uc->k_eff, ge->k_eff);
                seen[uc->cell]++;
                for (size_t a = 0; a < uc->n_alias; a++) {
                    size_t alias = p->alias[uc->first_alias + a];
                    seen[alias]++;
                    IMP_ASSERT_INT_EQ(imp_grid_cell_source(g, alias), uc->cell);
                }
                rec += 1 + uc->n_alias;
            }
        }
        IMP_ASSERT_INT_EQ(rec, un->n_record);
        recorded += rec;
        if (u > 0)
            IMP_ASSERT_INT_EQ(p->units[u - 1].cost >= un->cost, 1); /* longest first */
    }
    IMP_ASSERT_INT_EQ(recorded, 96);
    size_t once = 0;
    for (size_t c = 0; c < g->n_cells; c++) {
        once += seen[c] == 1;
        IMP_ASSERT_INT_EQ(seen[c] <= 1, 1);
        IMP_ASSERT_INT_EQ(seen[c] == 1, imp_grid_cell_valid(g, c, NULL, NULL));
    }
    IMP_ASSERT_INT_EQ(once, 96);
    free(seen);
    /* the unit (t2, shot all, seed 1) costs most: mean + 4 kmeans with 3 classes */
    IMP_ASSERT_INT_EQ(p->units[0].task, 1);
    IMP_ASSERT_INT_EQ(p->units[0].shot, 0);
    IMP_ASSERT_INT_EQ(p->units[0].seed, 0);
    IMP_ASSERT_INT_EQ(p->units[0].n_gens, 5);
    IMP_ASSERT_INT_EQ(p->units[0].n_record, 12);
    imp_plan_free(p);

    /* resume: task t1, shot all: seed 1 done for every cell; seed 2 failed for kmeans */
    uint8_t *st = calloc(g->n_cells, 1);
    for (size_t c = 0; c < g->n_cells; c++) {
        imp_cell cc;
        imp_grid_cell_coords(g, c, &cc);
        if (!imp_grid_cell_valid(g, c, NULL, NULL))
            st[c] = IMP_CELL_NA;
        else if (cc.task == 0 && cc.shot == 0 && cc.seed == 0)
            st[c] = IMP_CELL_DONE;
        else if (cc.task == 0 && cc.shot == 0 && cc.seed == 1 && cc.strategy >= 2)
            st[c] = IMP_CELL_FAILED;
    }
    IMP_ASSERT_INT_EQ(imp_plan_build(g, st, 0, NULL, &p, &err), 0);
    /* done 8, failed 6; the t1/all mean group now runs at seed 2 for seeds 2 and 3 */
    IMP_ASSERT_INT_EQ(p->n_done, 8);
    IMP_ASSERT_INT_EQ(p->n_failed, 6);
    IMP_ASSERT_INT_EQ(p->n_todo, 96 - 8 - 6);
    IMP_ASSERT_INT_EQ(p->n_alias, 2 * 1 + 2 * 2); /* t1: 2 cells × 1 alias; t2 as before */
    IMP_ASSERT_INT_EQ(p->n_gens,
                      56 - 4 - 4); /* t1/all: seed 1 kmeans (4) done, seed 2 failed (4) */
    imp_plan_free(p);
    IMP_ASSERT_INT_EQ(imp_plan_build(g, st, 1, NULL, &p, &err), 0); /* --retry-failed */
    IMP_ASSERT_INT_EQ(p->n_todo, 96 - 8);
    IMP_ASSERT_INT_EQ(p->n_gens, 56 - 4);
    imp_plan_free(p);
    free(st);
    imp_grid_free(g);

    /* the demo (2 models x 8 tasks): per (model, task): mean pre l2 (Qi), mean pre none (Hosoda + Janson), ls
     * (Oracle) once for all seeds; kmeans k 1, 20 per seed → 3 + 6 = 9 computations, 10 cells
     * computed, 8 recorded as aliases. */
    g = grid_of_file("demo.yaml");
    if (!g)
        return;
    IMP_ASSERT_INT_EQ(imp_plan_build(g, NULL, 0, NULL, &p, &err), 0);
    IMP_ASSERT_INT_EQ(p->n_gens, 16 * 9);
    IMP_ASSERT_INT_EQ(p->n_cells, 16 * 10);
    IMP_ASSERT_INT_EQ(p->n_alias, 16 * 8);
    IMP_ASSERT_INT_EQ(p->n_units, 16 * 3);
    imp_plan_free(p);
    imp_grid_free(g);
}

static void test_costs(void)
{
    imp_strategy s;
    imp_cost_hint h = {100, 10, 2, 50};
    imp_strategy_parse("l2/kmeans/l2/l2/max", &s, NULL);
    /* C·n·d·p·30 = 2·100·10·5·30 */
    IMP_ASSERT_NEAR(imp_gen_cost(&s, 5, -1, &h), 300000, 0);
    /* shot 4 < k 5: n = p = 4 */
    IMP_ASSERT_NEAR(imp_gen_cost(&s, 5, 4, &h), 2 * 4 * 10 * 4 * 30, 0);
    /* cell: T·C·p·d = 50·2·5·10 */
    IMP_ASSERT_NEAR(imp_cell_cost(&s, 5, -1, &h), 5000, 0);
    imp_strategy_parse("none/ls/none/none/mnn:3:mahalanobis:uniform", &s, NULL);
    /* C·n·d² + d³ = 2·100·100 + 1000 */
    IMP_ASSERT_NEAR(imp_gen_cost(&s, 1, -1, &h), 21000, 0);
    /* 50·2·1·10 + (50 + 2)·100 + 1000 */
    IMP_ASSERT_NEAR(imp_cell_cost(&s, 1, -1, &h), 1000 + 5200 + 1000, 0);
    imp_strategy_parse("none/all/none/none/max", &s, NULL);
    IMP_ASSERT_NEAR(imp_gen_cost(&s, -1, -1, &h), 2 * 100 * 10, 0);
    IMP_ASSERT_NEAR(imp_cell_cost(&s, -1, -1, &h), 50 * 200 * 10, 0); /* every row a proxy */
    /* defaults: n 5000, d 512, C 10 */
    imp_strategy_parse("l2/mean/l2/l2/max", &s, NULL);
    IMP_ASSERT_NEAR(imp_gen_cost(&s, 1, -1, NULL), 10.0 * 5000 * 512, 0);
}

int main(void)
{
    static const imp_test tests[] = {
        {"reference_counts", test_reference_counts},
        {"paper_jobs", test_paper_jobs},
        {"axis_rules", test_axis_rules},
        {"hash", test_hash},
        {"units", test_units},
        {"costs", test_costs},
        {NULL, NULL},
    };
    return imp_test_main("grid", tests);
}
