/* test_analyze.c — `imprint analyze`, `status` and `export` on a hand-made cube: the
 * competitors × voters matrix (medians over seeds, missing values), ranks, Friedman, Wilcoxon,
 * Holm and cliques against values worked out by hand or with scipy, and the commands' output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"
#include "cdplot.h"
#include "figcheck.h"
#include "imprint/cube.h"
#include "imprint/journal.h"
#include "testutil.h"

#define HASH 0x5eed5eed12345678ULL

/* The cube: 3 models × 3 tasks (9 voters) × 4 strategies × k {1, 20} × shot all × 3 seeds =
 * 216 cells. mean and ls exist only at k = 1, so the (strategy, k) columns with valid cells
 * are c0 = Qi (l2/mean k=1), c1 = l2/kmeans k=1, c2 = Ours (l2/kmeans k=20), c3 = Janson
 * (none/mean/nn k=1) and c4 = Oracle (none/ls k=1, every cell pending); the other 81 are n/a. */
static char *models[] = {"m1", "m2", "m3"};
static char *tasks[] = {"t1", "t2", "t3"};
static char *strategies[] = {"l2/mean/l2/l2/max", "l2/kmeans/l2/l2/max",
                             "none/mean/none/none/nn:euclidean", "none/ls/none/none/max"};
static int64_t ks[] = {1, 20};
static int64_t shots[] = {-1};
static int64_t seeds[] = {1, 2, 3};

#define NAME0 "l2/mean/l2/l2/max k=1 shot=all"
#define NAME1 "l2/kmeans/l2/l2/max k=1 shot=all"
#define NAME2 "l2/kmeans/l2/l2/max k=20 shot=all"
#define NAME3 "none/mean/none/none/nn:euclidean k=1 shot=all"
#define NAME4 "none/ls/none/none/max k=1 shot=all"
/* The same columns as the commands show them: under the paper's names where they have one */
#define SHOW0 "Qi"
#define SHOW1 NAME1
#define SHOW2 "Ours"
#define SHOW3 "Janson"
#define SHOW4 "Oracle"

/* (strategy, k) of c0..c4 */
static const size_t col_sk[5][2] = {{0, 0}, {1, 0}, {1, 1}, {2, 0}, {3, 0}};

/* The median over seeds of every column on voters v = model·3 + task. Chosen so that:
 * c2 − c3 is positive with distinct |d| on all 9 voters (exact Wilcoxon p = 2/2⁹); c0 and c3
 * tie on voter 2 (a Friedman tie, and a zero difference for Wilcoxon); c1 has no value on
 * voter 8 (all seeds failed). Seeds carry v − 1, v + 0.5, v (median v), except c0 on voter 0
 * (84, failed, 86) and c3 on voter 1 (81, pending, 83). */
static const double med[4][9] = {
    {85, 84, 86, 81, 89, 83, 80, 87, 78},
    {70, 71, 72, 73, 74, 75, 76, 77, NAN},
    {90, 85, 88, 80, 92, 86, 84, 91, 79},
    {80, 82, 86, 75, 87.5, 85, 77, 83, 72.5},
};

static imp_axes axes(void)
{
    imp_axes a = {.n_model = 3, .model = models, .n_task = 3, .task = tasks, .n_strategy = 4,
                       .strategy = strategies, .n_k = 2, .k = ks, .n_shot = 1, .shot = shots,
                       .n_seed = 3, .seed = seeds};
    return a;
}

static imp_cell_result rec(const imp_axes *a, size_t c, size_t v, size_t e, int status,
                           float acc, const char *msg)
{
    imp_cell_result r;
    memset(&r, 0, sizeof r);
    imp_cell_result_unknown(&r); /* no F1 or provenance: empty CSV fields */
    size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = v / 3, [IMP_AX_TASK] = v % 3,
                                 [IMP_AX_STRATEGY] = col_sk[c][0], [IMP_AX_K] = col_sk[c][1],
                                 [IMP_AX_SHOT] = 0, [IMP_AX_SEED] = e};
    r.cell = imp_axes_cell_index(a, idx);
    r.status = (uint8_t)status;
    r.accuracy = status == IMP_CELL_DONE ? acc : NAN;
    r.gen_seconds = status == IMP_CELL_DONE ? 0.5f : 1.5f;
    r.inf_seconds = status == IMP_CELL_DONE ? 0.25f : NAN;
    r.n_proxies = status == IMP_CELL_DONE ? 10 : 0;
    snprintf(r.message, sizeof r.message, "%s", msg);
    return r;
}

static imp_cube *make_cube(void)
{
    imp_axes a = axes();
    uint8_t valid[216];
    size_t idx[IMP_AX__COUNT];
    for (uint64_t c = 0; c < 216; c++) {
        imp_axes_cell_coords(&a, c, idx);
        valid[c] = !(idx[IMP_AX_STRATEGY] != 1 && idx[IMP_AX_K] == 1);
    }
    imp_err err;
    imp_err_clear(&err);
    imp_cube *cube;
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, valid, &cube, &err), 0);
    IMP_ASSERT_INT_EQ(imp_cube_set_attrs(cube, "job: test\n", "store.h5", HASH, &err), 0);
    for (size_t c = 0; c < 4; c++)
        for (size_t v = 0; v < 9; v++) {
            float m = (float)med[c][v];
            float val[3] = {m - 1.0f, m + 0.5f, m};
            int st[3] = {IMP_CELL_DONE, IMP_CELL_DONE, IMP_CELL_DONE};
            const char *msg = "";
            if (c == 0 && v == 0) {
                val[0] = 84, val[2] = 86, st[1] = IMP_CELL_FAILED;
                msg = "empty cluster, k too large";
            } else if (c == 3 && v == 1) {
                val[0] = 81, val[2] = 83, st[1] = -1; /* pending: no record */
            } else if (c == 1 && v == 8) {
                st[0] = st[1] = st[2] = IMP_CELL_FAILED;
                msg = "non-finite scores";
            }
            for (size_t e = 0; e < 3; e++) {
                if (st[e] < 0)
                    continue;
                imp_cell_result r = rec(&a, c, v, e, st[e], val[e],
                                        st[e] == IMP_CELL_FAILED ? msg : "");
                IMP_ASSERT_INT_EQ(imp_cube_apply(cube, &r, &err), 0);
            }
        }
    return cube;
}

/* Write the cube once per test process; returns its path. */
static const char *cube_path(void)
{
    static char path[512];
    if (!path[0]) {
        snprintf(path, sizeof path, "%s", imp_test_path("cube.h5"));
        imp_cube *c = make_cube();
        imp_test_cube_keys(c); /* so that a journal beside it applies by key */
        imp_err err;
        imp_err_clear(&err);
        IMP_ASSERT_INT_EQ(imp_cube_write(c, path, &err), 0);
        imp_cube_free(c);
    }
    return path;
}

static imp_analyze_matrix build(const imp_cube *cube, const char *const *where,
                                const char *competitors)
{
    imp_err err;
    imp_err_clear(&err);
    imp_analyze_sel sel;
    IMP_ASSERT_INT_EQ(imp_analyze_sel_init(&sel, &cube->axes, &err), 0);
    for (size_t i = 0; where && where[i]; i++)
        IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &cube->axes, where[i], &err), 0);
    if (competitors)
        IMP_ASSERT_INT_EQ(imp_analyze_competitors(&sel, &cube->axes, competitors, &err), 0);
    imp_analyze_matrix mat;
    IMP_ASSERT_INT_EQ(imp_analyze_build(cube, &sel, &mat, &err), 0);
    imp_analyze_sel_free(&sel);
    return mat;
}

/* ---- library ---- */

static void test_matrix_all(void)
{
    imp_cube *cube = make_cube();
    imp_analyze_matrix mat = build(cube, NULL, NULL);
    /* five candidate columns; c4 (all pending) dropped; c1 lacks voter 8, so 8 voters remain */
    IMP_ASSERT_INT_EQ(mat.n_comp, 5);
    IMP_ASSERT_INT_EQ(mat.m, 4);
    IMP_ASSERT_INT_EQ(mat.N, 8);
    IMP_ASSERT_INT_EQ(mat.n_cand_voters, 9);
    IMP_ASSERT_INT_EQ(mat.n_empty_voters, 0);
    IMP_ASSERT_INT_EQ(mat.n_seeds, 3);
    IMP_ASSERT_INT_EQ(mat.n_partial, 2); /* c0 on voter 0, c3 on voter 1 */
    const char *names[5] = {NAME0, NAME1, NAME2, NAME3, NAME4};
    const size_t nv[5] = {9, 8, 9, 9, 0};
    for (size_t c = 0; c < 5; c++) {
        IMP_ASSERT_INT_EQ(strcmp(mat.comp[c].name, names[c]), 0);
        IMP_ASSERT_INT_EQ(mat.comp[c].n_voters, nv[c]);
        IMP_ASSERT_INT_EQ(mat.comp[c].kept, c < 4);
    }
    for (size_t i = 0; i < 4; i++) {
        IMP_ASSERT_INT_EQ(mat.row[i], i);
        for (size_t v = 0; v < 8; v++)
            IMP_ASSERT_NEAR(mat.A[i * 8 + v], med[i][v], 0);
    }
    for (size_t v = 0; v < 8; v++) {
        IMP_ASSERT_INT_EQ(mat.voter_model[v], v / 3);
        IMP_ASSERT_INT_EQ(mat.voter_task[v], v % 3);
    }

    /* Statistics. Expected values from scipy 1.10.1 (rankdata, friedmanchisquare,
     * wilcoxon(zero_method='pratt', method='exact' without ties or zeros, else 'approx')),
     * run once on the medians above. Hand check of the ranks: c2 is first on 7 voters and
     * second on voter 3 → 9/8 = 1.125; c1 is last everywhere → 4. */
    imp_err err;
    imp_err_clear(&err);
    imp_analysis an;
    IMP_ASSERT_INT_EQ(imp_analyze_run(&mat, NULL, &an, &err), 0);
    const imp_cd_result *cd = &an.cd;
    const double avg[4] = {2.0625, 4.0, 1.125, 2.8125}, dense[4] = {2.0, 3.875, 1.125, 2.75};
    const double mean[4] = {84.375, 73.5, 87.0, 81.9375};
    const double sd[4] = {3.020761493398643, 2.449489742783178, 4.035556254807296,
                          4.378824858664382};
    const size_t wins[4] = {1, 0, 7, 0};
    for (size_t i = 0; i < 4; i++) {
        IMP_ASSERT_NEAR(cd->summary[i].mean_rank, avg[i], 1e-12);
        IMP_ASSERT_NEAR(an.dense[i].mean_rank, dense[i], 1e-12);
        IMP_ASSERT_NEAR(cd->rank[i], avg[i], 1e-12);
        IMP_ASSERT_NEAR(cd->summary[i].mean, mean[i], 1e-12);
        IMP_ASSERT_REL(cd->summary[i].std, sd[i], 1e-12);
        IMP_ASSERT_INT_EQ(cd->summary[i].wins, wins[i]);
    }
    const size_t order[4] = {2, 0, 3, 1};
    for (size_t t = 0; t < 4; t++)
        IMP_ASSERT_INT_EQ(cd->order[t], order[t]);
    IMP_ASSERT_REL(cd->friedman.statistic, 21.531645569620242, 1e-12);
    IMP_ASSERT_REL(cd->friedman.p, 8.163258393615688e-05, 1e-9);
    IMP_ASSERT_INT_EQ(cd->friedman_significant, 1);
    IMP_ASSERT_INT_EQ(an.gated, 0);
    /* Iman–Davenport F = 7·χ²/(8·3 − χ²), p from scipy.stats.f.sf(F, 3, 21) */
    IMP_ASSERT_REL(an.id_F, 61.06153846153814, 1e-10);
    IMP_ASSERT_REL(an.id_p, 1.5301298920607738e-10, 1e-6);
    /* pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3) */
    const double p[6] = {0.01151382807684542,  0.020394840183375906, 0.04910953919720455,
                         0.011616044899262472, 0.011616044899262472, 0.0078125};
    for (size_t k = 0; k < 6; k++)
        IMP_ASSERT_REL(cd->pair[k].p, p[k], 1e-9);
    IMP_ASSERT_INT_EQ(cd->pair[5].method, IMP_WILCOXON_EXACT);
    IMP_ASSERT_INT_EQ(cd->pair[0].method, IMP_WILCOXON_APPROX);
    /* Holm over 6: 0.0078125 <= 0.05/6 passes, 0.0115 > 0.05/5 stops: only (2,3) */
    for (size_t k = 0; k < 6; k++)
        IMP_ASSERT_INT_EQ(cd->significant[k], k == 5);
    IMP_ASSERT_NEAR(cd->threshold[5], 0.05 / 6, 1e-15);
    IMP_ASSERT_NEAR(cd->threshold[0], 0.05 / 5, 1e-15);
    IMP_ASSERT_NEAR(cd->threshold[1], 0.05 / 2, 1e-15);
    IMP_ASSERT_NEAR(cd->threshold[2], 0.05 / 1, 1e-15);
    /* the non-significance graph lacks only the edge c2–c3: cliques {c2,c0,c1}, {c0,c3,c1} */
    IMP_ASSERT_INT_EQ(cd->cliques.n, 2);
    const size_t cl[6] = {2, 0, 1, 0, 3, 1};
    for (size_t t = 0; t < 6 && cd->cliques.n == 2; t++)
        IMP_ASSERT_INT_EQ(cd->cliques.members[t], cl[t]);

    /* --top 2: c2 and c0 on the same 8 voters: Friedman skipped, one Wilcoxon test */
    size_t top[2] = {cd->order[0], cd->order[1]};
    IMP_ASSERT_INT_EQ(imp_analyze_keep_rows(&mat, top, 2, &err), 0);
    imp_analysis_free(&an);
    IMP_ASSERT_INT_EQ(mat.m, 2);
    IMP_ASSERT_INT_EQ(mat.comp[3].kept, 0);
    IMP_ASSERT_INT_EQ(mat.comp[1].kept, 0);
    IMP_ASSERT_INT_EQ(mat.comp[2].kept, 1);
    IMP_ASSERT_INT_EQ(imp_analyze_run(&mat, NULL, &an, &err), 0);
    IMP_ASSERT_INT_EQ(isnan(an.cd.friedman.p), 1);
    IMP_ASSERT_INT_EQ(an.gated, 0);
    IMP_ASSERT_REL(an.cd.pair[0].p, 0.020394840183375906, 1e-9);
    IMP_ASSERT_INT_EQ(an.cd.significant[0], 1);
    IMP_ASSERT_INT_EQ(an.cd.cliques.n, 0);
    imp_analysis_free(&an);
    imp_analyze_matrix_free(&mat);
    imp_cube_free(cube);
}

static void test_matrix_selected(void)
{
    imp_cube *cube = make_cube();
    /* The paper's names select c0, c2, c3: all 9 voters. */
    imp_analyze_matrix mat = build(cube, NULL, "Qi,Ours,Janson");
    IMP_ASSERT_INT_EQ(mat.m, 3);
    IMP_ASSERT_INT_EQ(mat.N, 9);
    IMP_ASSERT_INT_EQ(mat.n_comp, 3);
    IMP_ASSERT_INT_EQ(strcmp(mat.comp[mat.row[1]].name, NAME2), 0);
    for (size_t v = 0; v < 9; v++)
        IMP_ASSERT_NEAR(mat.A[2 * 9 + v], med[3][v], 0);

    imp_err err;
    imp_err_clear(&err);
    imp_analysis an;
    imp_analyze_opts o = {.rank_method = IMP_RANK_DENSE, .nemenyi = 1};
    IMP_ASSERT_INT_EQ(imp_analyze_run(&mat, &o, &an, &err), 0);
    /* scipy 1.10.1: Friedman (one tie on voter 2: c = 1 − 6/216) and the pairs */
    IMP_ASSERT_REL(an.cd.friedman.statistic, 13.771428571428569, 1e-12);
    IMP_ASSERT_REL(an.cd.friedman.p, 0.0010222856904426312, 1e-9);
    IMP_ASSERT_REL(an.cd.pair[0].p, 0.014625802185752955, 1e-9); /* c0–c2 */
    IMP_ASSERT_REL(an.cd.pair[1].p, 0.027986088969632564, 1e-9); /* c0–c3, one zero */
    IMP_ASSERT_NEAR(an.cd.pair[2].p, 2.0 / 512.0, 1e-15);        /* c2–c3 exact */
    for (size_t k = 0; k < 3; k++)
        IMP_ASSERT_INT_EQ(an.cd.significant[k], 1);
    IMP_ASSERT_INT_EQ(an.cd.cliques.n, 0);
    /* c3 is last on 7 voters and second on voters 2 (tied with c0) and 5: dense rank
     * (7·3 + 2 + 2)/9 = 25/9, average rank (7·3 + 2.5 + 2)/9 = 25.5/9 */
    IMP_ASSERT_NEAR(an.cd.rank[0], 2.0, 1e-12);
    IMP_ASSERT_NEAR(an.cd.rank[1], 10.0 / 9.0, 1e-12);
    IMP_ASSERT_NEAR(an.cd.rank[2], 25.0 / 9.0, 1e-12);
    IMP_ASSERT_NEAR(an.cd.summary[2].mean_rank, 25.5 / 9.0, 1e-12);
    /* Nemenyi: q(3, 0.05) = 2.343701 (Orange), CD = q·sqrt(3·4/(6·9)) */
    IMP_ASSERT_NEAR(an.nemenyi_q, 2.343701, 1e-6);
    IMP_ASSERT_NEAR(an.nemenyi_cd, 2.343701 * sqrt(12.0 / 54.0), 1e-6);
    imp_analysis_free(&an);

    /* alpha 0.001: Friedman p = 0.00102 is not below it → gated: nothing significant, one
     * clique of all three, best first; the raw Holm decisions are kept in holm. */
    o = (imp_analyze_opts){.alpha = 0.001};
    IMP_ASSERT_INT_EQ(imp_analyze_run(&mat, &o, &an, &err), 0);
    IMP_ASSERT_INT_EQ(an.gated, 1);
    for (size_t k = 0; k < 3; k++)
        IMP_ASSERT_INT_EQ(an.cd.significant[k], 0);
    IMP_ASSERT_INT_EQ(an.cd.cliques.n, 1);
    IMP_ASSERT_INT_EQ(an.cd.cliques.off[1], 3);
    IMP_ASSERT_INT_EQ(an.cd.cliques.members[0], 1);
    IMP_ASSERT_INT_EQ(an.cd.cliques.members[2], 2);
    imp_analysis_free(&an);
    imp_analyze_matrix_free(&mat);

    /* model m1,m2: 6 voters, c1 complete there, so all four competitors stay */
    const char *where[] = {"model=m1,m2", "shot=all", NULL};
    mat = build(cube, where, NULL);
    IMP_ASSERT_INT_EQ(mat.m, 4);
    IMP_ASSERT_INT_EQ(mat.N, 6);
    IMP_ASSERT_INT_EQ(mat.comp[1].n_voters, 6);
    imp_analyze_matrix_free(&mat);

    /* seeds 1 and 3 only: medians of two values (v − 1, v) → v − 0.5; c0 on voter 0 keeps
     * (84 + 86)/2 and no value is partial any more (seed 2 held the failed/pending cells) */
    const char *where2[] = {"seed=1,3", "strategy=l2/mean/l2/l2/max", NULL};
    mat = build(cube, where2, NULL);
    IMP_ASSERT_INT_EQ(mat.m, 1);
    IMP_ASSERT_INT_EQ(mat.N, 9);
    IMP_ASSERT_INT_EQ(mat.n_partial, 0);
    IMP_ASSERT_NEAR(mat.A[0], 85.0, 0);
    IMP_ASSERT_NEAR(mat.A[1], 83.5, 0);
    imp_analyze_matrix_free(&mat);

    /* pending only: the Oracle column is a candidate without values; no voters survive the
     * selection strategy=none/ls… alone */
    const char *where3[] = {"strategy=none/ls/none/none/max", NULL};
    mat = build(cube, where3, NULL);
    IMP_ASSERT_INT_EQ(mat.n_comp, 1);
    IMP_ASSERT_INT_EQ(mat.m, 0);
    IMP_ASSERT_INT_EQ(mat.n_empty_voters, 9);
    imp_analyze_matrix_free(&mat);
    imp_cube_free(cube);
}

static void test_selection_errors(void)
{
    imp_axes a = axes();
    imp_err err;
    imp_err_clear(&err);
    imp_analyze_sel sel;
    IMP_ASSERT_INT_EQ(imp_analyze_sel_init(&sel, &a, &err), 0);
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "colour=red", &err), IMP_EUSAGE);
    IMP_ASSERT_STR_CONTAINS(err.msg, "unknown axis");
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "shot=5", &err), IMP_EUSAGE);
    IMP_ASSERT_STR_CONTAINS(err.msg, "no such shot (values: all)");
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "model", &err), IMP_EUSAGE);
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "k=,", &err), IMP_EUSAGE);
    /* integer axes match by value: shot -1 is all, k 020 is 20 */
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "shot=-1", &err), 0);
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "k=020", &err), 0);
    IMP_ASSERT_INT_EQ(sel.keep[IMP_AX_K][0], 0);
    IMP_ASSERT_INT_EQ(sel.keep[IMP_AX_K][1], 1);
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "strategy=l2/kmeans/l2/l2/max", &err), 0);
    IMP_ASSERT_INT_EQ(sel.keep[IMP_AX_STRATEGY][1], 1);
    IMP_ASSERT_INT_EQ(sel.keep[IMP_AX_STRATEGY][0], 0);
    /* competitors */
    IMP_ASSERT_INT_EQ(imp_analyze_competitors(&sel, &a, "l2/kmeans/l2/l2/max@k=7", &err),
                      IMP_EUSAGE);
    IMP_ASSERT_STR_CONTAINS(err.msg, "no k = 7 (k: 1, 20)");
    IMP_ASSERT_INT_EQ(imp_analyze_competitors(&sel, &a, "l2/fps/l2/l2/max", &err), IMP_EUSAGE);
    IMP_ASSERT_STR_CONTAINS(err.msg, "no strategy l2/fps/l2/l2/max");
    IMP_ASSERT_INT_EQ(imp_analyze_competitors(&sel, &a, "Ours@x=1", &err), IMP_EUSAGE);
    /* the printed name form works, and matching is per column c = (s·2 + k)·1 + shot: Qi
     * (no k given) is columns 0 and 1, the name is column 3 */
    IMP_ASSERT_INT_EQ(imp_analyze_competitors(&sel, &a, NAME2 ",Qi", &err), 0);
    for (size_t c = 0; c < sel.n_col; c++)
        IMP_ASSERT_INT_EQ(sel.col[c], c <= 1 || c == 3);
    imp_analyze_sel_free(&sel);
}

static void test_labels(void)
{
    imp_cube *cube = make_cube();
    imp_err err;
    imp_err_clear(&err);
    char **L, *common;
    /* c0..c3: shot all everywhere; k implied for the two mean strategies; k differs between
     * c1 and c2, so it stays */
    imp_analyze_matrix mat = build(cube, NULL, NULL);
    IMP_ASSERT_INT_EQ(imp_analyze_labels(&cube->axes, &mat, &L, &common, &err), 0);
    IMP_ASSERT_INT_EQ(strcmp(L[0], "l2/mean/l2/l2/max"), 0);
    IMP_ASSERT_INT_EQ(strcmp(L[1], "l2/kmeans/l2/l2/max k=1"), 0);
    IMP_ASSERT_INT_EQ(strcmp(L[2], "l2/kmeans/l2/l2/max k=20"), 0);
    IMP_ASSERT_INT_EQ(strcmp(L[3], "none/mean/none/none/nn:euclidean"), 0);
    IMP_ASSERT_INT_EQ(strcmp(common, "shot=all"), 0);
    imp_analyze_labels_free(L, mat.m, common);
    imp_analyze_matrix_free(&mat);
    /* only one row with a free k: it keeps "k=20" */
    mat = build(cube, NULL, "Qi,Ours");
    IMP_ASSERT_INT_EQ(imp_analyze_labels(&cube->axes, &mat, &L, &common, &err), 0);
    IMP_ASSERT_INT_EQ(strcmp(L[1], "l2/kmeans/l2/l2/max k=20"), 0);
    imp_analyze_labels_free(L, mat.m, common);
    imp_analyze_matrix_free(&mat);
    imp_cube_free(cube);
}

/* ---- commands ---- */

/* The line of out containing needle (copied into line), or "" */
static const char *line_with(const char *out, const char *needle, char *line, size_t n)
{
    const char *p = out ? strstr(out, needle) : NULL;
    line[0] = '\0';
    if (!p)
        return line;
    const char *b = p, *e = strchr(p, '\n');
    while (b > out && b[-1] != '\n')
        b--;
    size_t len = e ? (size_t)(e - b) : strlen(b);
    if (len >= n)
        len = n - 1;
    memcpy(line, b, len);
    line[len] = '\0';
    return line;
}

/* The line of out starting with prefix ends with tail. */
static void expect_row(const char *out, const char *prefix, const char *tail, int lineno)
{
    char line[1024];
    line_with(out, prefix, line, sizeof line);
    size_t ll = strlen(line), tl = strlen(tail);
    imp__assert_msg(ll >= tl && strcmp(line + ll - tl, tail) == 0, lineno, __FILE__,
                    "line with \"%s\" ends with \"%s\"; it is \"%s\"; output:\n%s", prefix, tail,
                    line, out ? out : "");
}

static char *run(int want, const char *fmt, const char *a1, const char *a2)
{
    char *out = NULL;
    char args[2048];
    snprintf(args, sizeof args, fmt, a1, a2);
    int rc = imp_test_tool(&out, "%s", args);
    imp__assert_msg(rc == want, __LINE__, __FILE__, "imprint %s: exit %d, expected %d:\n%s",
                    args, rc, want, out ? out : "");
    return out;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = '\0';
    fclose(f);
    return b;
}

static void test_cmd_analyze_all(void)
{
    const char *cube = cube_path();
    char *out = run(0, "analyze %s%s", cube, "");
    /* notes on stderr (captured with stdout) */
    IMP_ASSERT_STR_CONTAINS(out, "note: competitor '" SHOW4 "' has no results");
    IMP_ASSERT_STR_CONTAINS(out, "note: competitor '" SHOW1 "' lacks 1 of 9 voters");
    IMP_ASSERT_STR_CONTAINS(out, "note: 2 of 32 values are medians over fewer than the 3 "
                                 "selected seeds");
    IMP_ASSERT_STR_CONTAINS(out, "4 competitors (strategy, k, shot) ranked on 8 voters");
    /* rank, name, mean rank, its std and standard error, mean acc, std, se, wins, voters
     * (values as in test_matrix_all; rank std and the standard errors from numpy on the
     * medians: Ours is 1st on 7 voters and 2nd on one, std of the ranks sqrt(1/8) = 0.354) */
    expect_row(out, "   1  " SHOW2,
               "1.1250     0.354    0.125    87.000    4.036   1.427     7       8", __LINE__);
    expect_row(out, "   2  " SHOW0,
               "2.0625     0.563    0.199    84.375    3.021   1.068     1       8", __LINE__);
    expect_row(out, "   3  " SHOW3,
               "2.8125     0.372    0.132    81.938    4.379   1.548     0       8", __LINE__);
    expect_row(out, "   4  " SHOW1,
               "4.0000     0.000    0.000    73.500    2.449   0.866     0       8", __LINE__);
    IMP_ASSERT_STR_CONTAINS(out, "Friedman: chi2 = 21.531646, df = 3, p = 8.16326e-05 "
                                 "(Iman-Davenport F = 61.0615, p = 1.53013e-10)");
    IMP_ASSERT_STR_CONTAINS(out, "p < alpha = 0.05: the competitors differ; pairwise tests "
                                 "follow.\nPairwise tests on all 4 competitors.\n");
    /* pairs: a ranked above b; p, Holm threshold, decision, method */
    char key[256];
    snprintf(key, sizeof key, "  %-32s  %s", SHOW2, SHOW3);
    expect_row(out, key, "0.0078125    0.00833333          yes  exact", __LINE__);
    snprintf(key, sizeof key, "  %-32s  %s", SHOW0, SHOW1);
    expect_row(out, key, "0.0115138          0.01           no  approx", __LINE__);
    snprintf(key, sizeof key, "  %-32s  %s", SHOW0, SHOW3);
    expect_row(out, key, "0.0491095          0.05           no  approx", __LINE__);
    IMP_ASSERT_STR_CONTAINS(out, "  1: " SHOW2 " | " SHOW0 " | " SHOW1 "\n");
    IMP_ASSERT_STR_CONTAINS(out, "  2: " SHOW0 " | " SHOW3 " | " SHOW1 "\n");
    free(out);

    /* --groups intervals: in rank order Ours, Qi, Janson, k=1 only Ours–Janson differs, so
     * the runs are Ours..Qi (Ours cannot reach Janson) and Qi..k=1 */
    out = run(0, "analyze %s --groups intervals%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "Groups (maximal runs in rank order without a significant "
                                 "difference):\n  1: " SHOW2 " | " SHOW0 "\n  2: " SHOW0 " | "
                                 SHOW3 " | " SHOW1 "\n");
    free(out);
    out = run(2, "analyze %s --groups bars%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "--groups 'bars': expected cliques or intervals");
    free(out);

    /* --top 2: c2 and c0, Friedman skipped, the Wilcoxon test decides */
    out = run(0, "analyze %s --top 2%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "Pairwise tests on the 2 best of 4 competitors by mean rank "
                                 "(--top 2).");
    IMP_ASSERT_STR_CONTAINS(out, "Friedman on them: skipped (it needs at least 3 competitors)");
    /* the table still has all four, Friedman over all of them too */
    expect_row(out, "   4  " SHOW1,
               "4.0000     0.000    0.000    73.500    2.449   0.866     0       8", __LINE__);
    IMP_ASSERT_STR_CONTAINS(out, "p = 8.16326e-05 (Iman-Davenport F = 61.0615, p = 1.53013e-10) "
                                 "over all competitors");
    snprintf(key, sizeof key, "  %-12s  %s", SHOW2, SHOW0);
    expect_row(out, key, "0.0203948          0.05          yes  approx", __LINE__);
    IMP_ASSERT_STR_CONTAINS(out, "none: every pair differs significantly");
    free(out);
}

/* In a cairo CD diagram: elbows (3-vertex strokes), bars (2-vertex strokes IMP_CDPLOT_BAR_W
 * wide) and the other 2-vertex strokes (axis, ticks, CD scale). */
static void cd_svg_counts(const char *svg, size_t *elbows, size_t *bars, size_t *segs)
{
    imp_svg S;
    *elbows = *bars = *segs = 0;
    IMP_ASSERT_INT_EQ(imp_svg_parse(svg ? svg : "", &S), 0);
    for (size_t i = 0; i < S.n; i++) {
        if (S.p[i].fill)
            continue;
        *elbows += S.p[i].n == 3;
        *bars += S.p[i].n == 2 && S.p[i].stroke_width == IMP_CDPLOT_BAR_W;
        *segs += S.p[i].n == 2 && S.p[i].stroke_width != IMP_CDPLOT_BAR_W;
    }
    imp_svg_free(&S);
}

static void test_cmd_analyze_selected(void)
{
    const char *cube = cube_path();
    const char *md = imp_test_path("ranks.md"), *csv = imp_test_path("ranks.csv");
    const char *pairs = imp_test_path("pairs.csv"), *svg = imp_test_path("cd.svg");
    char args[2048];
    snprintf(args, sizeof args, "analyze %s --competitors Qi --competitors 'Ours,%s' --md %s "
             "--csv %s --pairs-csv %s --svg %s", cube, SHOW3, md, csv, pairs, svg);
    char *out = NULL;
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "%s", args), 0);
    IMP_ASSERT_STR_CONTAINS(out, "3 competitors (strategy, k, shot) ranked on 9 voters");
    if (strstr(out, "lacks"))
        imp__assert_msg(0, __LINE__, __FILE__, "no competitor lacks voters:\n%s", out);
    expect_row(out, "   1  " SHOW2,
               "1.1111     0.333    0.111    86.111    4.622   1.541     8       9", __LINE__);
    expect_row(out, "   2  " SHOW0,
               "2.0556     0.527    0.176    83.667    3.536   1.179     1       9", __LINE__);
    expect_row(out, "   3  " SHOW3,
               "2.8333     0.354    0.118    80.889    5.165   1.722     0       9", __LINE__);
    IMP_ASSERT_STR_CONTAINS(out, "Pairwise tests on all 3 competitors named with --competitors.");
    IMP_ASSERT_STR_CONTAINS(out, "chi2 = 13.771429, df = 2, p = 0.00102229 (Iman-Davenport "
                                 "F = 26.0541, p = 9.27618e-06)");
    char key[256];
    snprintf(key, sizeof key, "  %-12s  %s", SHOW2, SHOW3);
    expect_row(out, key, "0.00390625     0.0166667          yes  exact", __LINE__);
    snprintf(key, sizeof key, "  %-12s  %s", SHOW2, SHOW0);
    expect_row(out, key, "0.0146258         0.025          yes  approx", __LINE__);
    IMP_ASSERT_STR_CONTAINS(out, "none: every pair differs significantly");
    free(out);

    char *t = slurp(md);
    IMP_ASSERT_STR_CONTAINS(t, "| rank | competitor | mean rank | rank std | rank se | mean acc | "
                               "std | se | wins | voters |");
    IMP_ASSERT_STR_CONTAINS(t, "| 1 | " SHOW2 " | 1.1111 | 0.333 | 0.111 | 86.111 | 4.622 | "
                               "1.541 | 8 | 9 |\n");
    IMP_ASSERT_STR_CONTAINS(t, "| 3 | " SHOW3 " | 2.8333 | 0.354 | 0.118 | 80.889 | 5.165 | "
                               "1.722 | 0 | 9 |\n");
    IMP_ASSERT_STR_CONTAINS(t, "| " SHOW2 " | " SHOW3 " | 0.00390625 | 0.0166667 | yes | exact |");
    IMP_ASSERT_STR_CONTAINS(t, "Friedman: chi2 = 13.771429");
    free(t);

    /* CSV: exact fields, numbers compared after parsing (scipy values as above) */
    t = slurp(csv);
    IMP_ASSERT_STR_CONTAINS(t, "rank,competitor,strategy,k,shot,avg_rank,dense_rank,rank_std,"
                               "rank_se,mean_accuracy,std,se,wins,voters,tested\n");
    char line[1024];
    line_with(t, "3," SHOW3 ",none/mean/none/none/nn:euclidean,1,all,", line, sizeof line);
    double r, d, rsd, rse, mean, sd, se;
    int wins, voters;
    char tested[8];
    char *p = line + strlen("3," SHOW3 ",none/mean/none/none/nn:euclidean,1,all,");
    IMP_ASSERT_INT_EQ(sscanf(p, "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%d,%d,%3s", &r, &d, &rsd, &rse, &mean,
                             &sd, &se, &wins, &voters, tested), 10);
    IMP_ASSERT_NEAR(r, 25.5 / 9, 1e-12);
    IMP_ASSERT_NEAR(d, 25.0 / 9, 1e-12);
    /* average ranks 3 on 7 voters, 2.5 and 2 on the others: std (ddof 1) sqrt(0.125) */
    IMP_ASSERT_REL(rsd, 0.3535533905932738, 1e-12);
    IMP_ASSERT_REL(rse, 0.3535533905932738 / 3, 1e-12);
    IMP_ASSERT_REL(se, 5.16465014411539 / 3, 1e-12);
    IMP_ASSERT_INT_EQ(strcmp(tested, "yes"), 0);
    IMP_ASSERT_NEAR(mean, 728.0 / 9, 1e-12);
    IMP_ASSERT_REL(sd, 5.16465014411539, 1e-12);
    IMP_ASSERT_INT_EQ(wins, 0);
    IMP_ASSERT_INT_EQ(voters, 9);
    IMP_ASSERT_STR_CONTAINS(t, "\n1," SHOW2 ",l2/kmeans/l2/l2/max,20,all,");
    free(t);
    t = slurp(pairs);
    IMP_ASSERT_STR_CONTAINS(t, "competitor_a,competitor_b,p,holm_threshold,significant,"
                               "statistic,method,n,n_zero\n");
    IMP_ASSERT_STR_CONTAINS(t, SHOW2 "," SHOW3 ",0.00390625,");
    IMP_ASSERT_STR_CONTAINS(t, ",yes,0,exact,9,0\n");
    const char *pl = line_with(t, SHOW0 "," SHOW3 ",", line, sizeof line);
    IMP_ASSERT_STR_CONTAINS(pl, ",0.050000000000000003,yes,3.5,approx,9,1");
    free(t);

    /* SVG (cairo draws text as glyphs; the labels are checked on imp_analyze_labels): one
     * elbow per competitor, no clique bar, no CD scale */
    t = slurp(svg);
    size_t elbows, nbars, nsegs;
    cd_svg_counts(t, &elbows, &nbars, &nsegs);
    IMP_ASSERT_INT_EQ(elbows, 3);
    IMP_ASSERT_INT_EQ(nbars, 0);
    free(t);
    struct stat st;
    IMP_ASSERT_INT_EQ(stat(imp_test_path("cd.svg.tmp"), &st) != 0, 1);

    /* --where model=m1,m2: 6 voters, all four competitors, nothing significant under Holm */
    out = run(0, "analyze %s --where model=m1,m2 --where k=1,20%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "4 competitors (strategy, k, shot) ranked on 6 voters");
    expect_row(out, "   1  " SHOW2,
               "1.1667     0.408    0.167    86.833    4.215   1.721     5       6", __LINE__);
    IMP_ASSERT_STR_CONTAINS(out, "chi2 = 15.610169, df = 3, p = 0.00136294");
    IMP_ASSERT_STR_CONTAINS(out, "  1: " SHOW2 " | " SHOW0 " | " SHOW3 " | " SHOW1 "\n");
    if (strstr(out, "lacks"))
        imp__assert_msg(0, __LINE__, __FILE__, "no competitor lacks voters:\n%s", out);
    free(out);

    /* alpha 0.001: Friedman not significant: said clearly, table still printed */
    out = run(0, "analyze %s --competitors Qi,Ours,Janson --alpha 0.001 --dense-ranks%s", cube,
              "");
    IMP_ASSERT_STR_CONTAINS(out, "p >= alpha = 0.001: no difference between the competitors "
                                 "is significant.");
    IMP_ASSERT_STR_CONTAINS(out, "dense rank");
    /* dense ranks 3 on 7 voters, 2 on two: std sqrt(14/72) = 0.441 */
    expect_row(out, "   3  " SHOW3,
               "2.7778     0.441    0.147    80.889    5.165   1.722     0       9", __LINE__);
    snprintf(key, sizeof key, "  %-12s  %s", SHOW2, SHOW3);
    expect_row(out, key, "0.00390625   0.000333333           no  exact", __LINE__);
    IMP_ASSERT_STR_CONTAINS(out, "  1: " SHOW2 " | " SHOW0 " | " SHOW3 "\n");
    free(out);

    /* --nemenyi: CD printed, and the diagram draws the CD scale and the Nemenyi bars */
    out = run(0, "analyze %s --competitors Qi,Ours,Janson --nemenyi --svg %s", cube, svg);
    /* q(3, 0.05) = 2.343701 (Orange's table); CD = q·sqrt(3·4/(6·9)) = 1.104831. Mean ranks
     * 1.11, 2.06, 2.83: c2–c0 and c0–c3 are within CD, c2–c3 (1.72) is not: two bars. */
    IMP_ASSERT_STR_CONTAINS(out, "Nemenyi: CD = 1.104831 (q = 2.343701");
    IMP_ASSERT_STR_CONTAINS(out, "  1: " SHOW2 " | " SHOW0 "\n  2: " SHOW0 " | " SHOW3 "\n");
    free(out);
    t = slurp(svg);
    size_t nsegs0 = nsegs;
    cd_svg_counts(t, &elbows, &nbars, &nsegs);
    IMP_ASSERT_INT_EQ(elbows, 3);
    IMP_ASSERT_INT_EQ(nbars, 2);
    IMP_ASSERT_INT_EQ(nsegs, nsegs0 + 3); /* the CD scale: a segment and its two end marks */
    free(t);
}

static void test_cmd_analyze_errors(void)
{
    const char *cube = cube_path();
    char *out;
    out = run(2, "analyze %s --where shot=5%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "--where shot=5: the cube has no such shot (values: all)");
    free(out);
    out = run(2, "analyze %s --bogus%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "unknown option '--bogus'");
    free(out);
    out = run(2, "analyze %s --alpha 1.5%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "--alpha '1.5': expected a number in (0, 1)");
    free(out);
    out = run(2, "analyze %s --top 1%s", cube, "");
    free(out);
    out = run(2, "analyze%s%s", "", "");
    IMP_ASSERT_STR_CONTAINS(out, "which cube?");
    free(out);
    /* one competitor left */
    out = run(2, "analyze %s --competitors Ours%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "1 competitor with results in the selection");
    free(out);
    /* only the pending column: nothing to rank */
    out = run(2, "analyze %s --competitors Oracle%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "has no results (no done cell): left out");
    IMP_ASSERT_STR_CONTAINS(out, "0 competitors with results");
    free(out);
    /* one voter */
    out = run(2, "analyze %s --where model=m1 --where task=t2%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "1 voter (model, task) where all 4 competitors have results");
    free(out);

    /* a truncated cube and a text file */
    char *bytes = slurp(cube);
    struct stat st;
    IMP_ASSERT_INT_EQ(stat(cube, &st), 0);
    const char *trunc = imp_test_path("trunc.h5");
    IMP_ASSERT_INT_EQ(imp_test_write_file(trunc, bytes, (size_t)st.st_size / 2), 0);
    free(bytes);
    const char *cmds[] = {"analyze %s", "status %s", "export %s --csv -"};
    for (int c = 0; c < 3; c++) {
        out = run(2, cmds[c], trunc, "");
        IMP_ASSERT_STR_CONTAINS(out, "trunc.h5");
        free(out);
    }
    const char *txt = imp_test_path("text.h5");
    IMP_ASSERT_INT_EQ(imp_test_write_file(txt, "hello\n", 6), 0);
    out = run(2, "analyze %s%s", txt, "");
    IMP_ASSERT_STR_CONTAINS(out, "not an HDF5 file, or truncated or corrupt");
    free(out);
    out = run(2, "status %s%s", "/nonexistent/cube.h5", "");
    IMP_ASSERT_STR_CONTAINS(out, "/nonexistent/cube.h5");
    free(out);
}

static void test_cmd_status(void)
{
    const char *cube = cube_path();
    char *out = run(0, "status %s --failures 2%s", cube, "");
    const char *want[] = {
        "cells: 216 (valid 135): done 103, pending 28, failed 4, n-a 81\n",
        "complete: 76.3%\n",
        "model:\n  m1  done 34, pending 10, failed 1, n-a 27\n"
        "  m2  done 36, pending 9, failed 0, n-a 27\n"
        "  m3  done 33, pending 9, failed 3, n-a 27\n",
        "task:\n  t1  done 35, pending 9, failed 1, n-a 27\n"
        "  t2  done 35, pending 10, failed 0, n-a 27\n"
        "  t3  done 33, pending 9, failed 3, n-a 27\n",
        "strategy:\n"
        "  l2/mean/l2/l2/max                 done 26, pending 0, failed 1, n-a 27\n"
        "  l2/kmeans/l2/l2/max               done 51, pending 0, failed 3, n-a 0\n"
        "  none/mean/none/none/nn:euclidean  done 26, pending 1, failed 0, n-a 27\n"
        "  none/ls/none/none/max             done 0, pending 27, failed 0, n-a 27\n",
        "k:\n  1   done 76, pending 28, failed 4, n-a 0\n"
        "  20  done 27, pending 0, failed 0, n-a 81\n",
        "shot:\n  all  done 103, pending 28, failed 4, n-a 81\n",
        "seed:\n  1  done 35, pending 9, failed 1, n-a 27\n"
        "  2  done 33, pending 10, failed 2, n-a 27\n"
        "  3  done 35, pending 9, failed 1, n-a 27\n",
        "failures (4, first 2 shown):\n"
        "  model=m1 task=t1 strategy=l2/mean/l2/l2/max k=1 shot=all seed=2: empty cluster, k "
        "too large\n"
        "  model=m3 task=t3 strategy=l2/kmeans/l2/l2/max k=1 shot=all seed=1: non-finite "
        "scores\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        IMP_ASSERT_STR_CONTAINS(out, want[i]);
    IMP_ASSERT_STR_CONTAINS(out, "cube: ");
    if (strstr(out, "seed=2: non-finite"))
        imp__assert_msg(0, __LINE__, __FILE__, "only 2 failures listed:\n%s", out);
    free(out);
    out = run(2, "status %s --failures x%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "--failures 'x'");
    free(out);
    out = run(2, "status %s --json%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "unknown option '--json'");
    free(out);

    /* A journal beside the cube is merged: one more done cell (Oracle, m1 t1 seed 1). */
    const char *jc = imp_test_path("j.h5");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp %s %s", cube, jc);
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "%s", cmd), 0);
    char jp[600];
    snprintf(jp, sizeof jp, "%s.journal", jc);
    imp_err err;
    imp_err_clear(&err);
    imp_journal *j;
    imp_journal_id id = {HASH, 0, 0, 0};
    IMP_ASSERT_INT_EQ(imp_journal_open(jp, &id, imp_test_cell_key, NULL, 1, &j, NULL, &err), 0);
    imp_axes a = axes();
    imp_cell_result r = rec(&a, 4, 0, 0, IMP_CELL_DONE, 50.0f, "");
    IMP_ASSERT_INT_EQ(imp_journal_append(j, &r, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);
    out = run(0, "status %s%s", jc, "");
    IMP_ASSERT_STR_CONTAINS(out, ".journal read (1 records)");
    IMP_ASSERT_STR_CONTAINS(out, "cells: 216 (valid 135): done 104, pending 27, failed 4, n-a 81\n");
    free(out);
    out = run(0, "status %s --no-journal%s", jc, "");
    IMP_ASSERT_STR_CONTAINS(out, "done 103, pending 28");
    free(out);
    /* analyze sees the Oracle now: it has 1 of 9 voters, so 1 voter remains → exit 2 */
    out = run(2, "analyze %s%s", jc, "");
    IMP_ASSERT_STR_CONTAINS(out, "'" SHOW4 "' lacks 8 of 9 voters");
    free(out);
}

static void test_cmd_export(void)
{
    const char *cube = cube_path();
    const char *csv = imp_test_path("cells.csv");
    char *out = run(0, "export %s --csv %s", cube, csv);
    free(out);
    /* the strategy split beside it: max has metric inner and no m or weight, nn has m 1 and
     * no weight; n/a cells are left out (135 valid cells + the header) */
    char *t = slurp(csv);
    IMP_ASSERT_STR_CONTAINS(t,
        "model,task,strategy,pre,gen,post,inf,agg,metric,m,weight,k,shot,seed,status,accuracy,"
        "gen_seconds,inf_seconds,n_proxies,f1,host,rank,finished,message\n"
        "m1,t1,l2/mean/l2/l2/max,l2,mean,l2,l2,max,inner,,,1,all,1,done,84,0.5,0.25,10,,,,,\n"
        "m1,t1,l2/mean/l2/l2/max,l2,mean,l2,l2,max,inner,,,1,all,2,failed,,1.5,,0,,,,,"
        "\"empty cluster, k too large\"\n"
        "m1,t1,l2/mean/l2/l2/max,l2,mean,l2,l2,max,inner,,,1,all,3,done,86,0.5,0.25,10,,,,,\n"
        "m1,t1,l2/kmeans/l2/l2/max,l2,kmeans,l2,l2,max,inner,,,1,all,1,done,");
    IMP_ASSERT_STR_CONTAINS(t, "\nm1,t2,none/mean/none/none/nn:euclidean,none,mean,none,none,nn,"
                               "euclidean,1,,1,all,2,pending,,,,,,,,,\n");
    IMP_ASSERT_STR_CONTAINS(t, "\nm2,t2,none/mean/none/none/nn:euclidean,none,mean,none,none,nn,"
                               "euclidean,1,,1,all,2,done,88,0.5,0.25,10,,,,,\n");
    if (strstr(t, "n-a"))
        imp__assert_msg(0, __LINE__, __FILE__, "no n/a rows by default:\n%.400s", t);
    size_t lines = 0;
    for (const char *p = t; *p; p++)
        lines += *p == '\n';
    IMP_ASSERT_INT_EQ(lines, 136);
    /* stdout gives the same bytes */
    out = run(0, "export %s --csv -%s", cube, "");
    IMP_ASSERT_INT_EQ(strcmp(out, t), 0);
    free(out);
    /* --valid-only is the default */
    out = run(0, "export %s --valid-only --csv -%s", cube, "");
    IMP_ASSERT_INT_EQ(strcmp(out, t), 0);
    free(out);
    free(t);
    /* --all: every cell, n/a included */
    out = run(0, "export %s --all --csv -%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "\nm1,t1,l2/mean/l2/l2/max,l2,mean,l2,l2,max,inner,,,20,all,1,"
                                 "n-a,,,,,,,,,\n");
    IMP_ASSERT_STR_CONTAINS(out, "\nm3,t3,none/ls/none/none/max,none,ls,none,none,max,inner,,,20,"
                                 "all,3,n-a,,,,,,,,,\n");
    lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    IMP_ASSERT_INT_EQ(lines, 217);
    free(out);
    struct stat st;
    IMP_ASSERT_INT_EQ(stat(imp_test_path("cells.csv.tmp"), &st) != 0, 1);
    out = run(2, "export %s%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "--csv OUT.csv is required");
    free(out);
    out = run(2, "export %s --csv %s", cube, "/nonexistent/dir/x.csv");
    IMP_ASSERT_STR_CONTAINS(out, "imprint: /nonexistent/dir/x.csv: cannot write in the directory "
                                 "/nonexistent/dir: No such file or directory");
    free(out);
}

/* ---- components, names, best of groups, values, LaTeX ---- */

static void test_components(void)
{
    imp_axes a = axes();
    char b[64];
    /* the split of each kind of AGG */
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_component("l2/kmeans/none/l2/max", IMP_COMP_POST, b,
                                                   sizeof b), "none"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_component("l2/kmeans/none/l2/max", IMP_COMP_METRIC, b,
                                                   sizeof b), "inner"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_component("l2/kmeans/none/l2/max", IMP_COMP_M, b,
                                                   sizeof b), ""), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_component("none/mean/none/none/nn:euclidean", IMP_COMP_M,
                                                   b, sizeof b), "1"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_component("none/mean/none/none/nn:euclidean",
                                                   IMP_COMP_WEIGHT, b, sizeof b), ""), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_component("none/fps/quantile/none/mnn:5:cosine:distance",
                                                   IMP_COMP_AGG, b, sizeof b), "mnn"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_component("none/fps/quantile/none/mnn:5:cosine:distance",
                                                   IMP_COMP_M, b, sizeof b), "5"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_component("none/fps/quantile/none/mnn:5:cosine:distance",
                                                   IMP_COMP_WEIGHT, b, sizeof b), "distance"), 0);
    IMP_ASSERT_INT_EQ(imp_analyze_component("no/such", IMP_COMP_GEN, b, sizeof b) == NULL, 1);

    /* --where on components; strategies are Qi, l2/kmeans, Janson, Oracle */
    imp_err err;
    imp_err_clear(&err);
    imp_analyze_sel sel;
    const struct {
        const char *where[3];
        unsigned char strategy[4], k[2];
    } cases[] = {
        {{"gen=kmeans"}, {0, 1, 0, 0}, {1, 1}},
        {{"gen=mean,agg=max"}, {1, 0, 0, 0}, {1, 1}},
        {{"gen=mean,kmeans,agg=max", "k=1"}, {1, 1, 0, 0}, {1, 0}},
        {{"agg=nn"}, {0, 0, 1, 0}, {1, 1}},
        {{"m=1"}, {0, 0, 1, 0}, {1, 1}},
        {{"metric=inner"}, {1, 1, 0, 1}, {1, 1}},
        {{"pre=none,post=none", "inf=none"}, {0, 0, 1, 1}, {1, 1}},
        {{"k=20,gen=kmeans,ls"}, {0, 1, 0, 1}, {0, 1}},
        {{"strategy=l2/mean/l2/l2/max,none/ls/none/none/max,gen=ls"}, {0, 0, 0, 1}, {1, 1}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        IMP_ASSERT_INT_EQ(imp_analyze_sel_init(&sel, &a, &err), 0);
        for (size_t w = 0; w < 3 && cases[c].where[w]; w++)
            IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, cases[c].where[w], &err), 0);
        for (size_t s = 0; s < 4; s++)
            imp__assert_msg(sel.keep[IMP_AX_STRATEGY][s] == cases[c].strategy[s], __LINE__,
                            __FILE__, "case %zu (%s): strategy %zu kept %d", c, cases[c].where[0],
                            s, sel.keep[IMP_AX_STRATEGY][s]);
        for (size_t k = 0; k < 2; k++)
            IMP_ASSERT_INT_EQ(sel.keep[IMP_AX_K][k], cases[c].k[k]);
        imp_analyze_sel_free(&sel);
    }
    IMP_ASSERT_INT_EQ(imp_analyze_sel_init(&sel, &a, &err), 0);
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "gen=fps", &err), IMP_EUSAGE);
    IMP_ASSERT_STR_CONTAINS(err.msg,
                            "no strategy of the cube has gen fps (values: mean, kmeans, ls)");
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "colour=red", &err), IMP_EUSAGE);
    IMP_ASSERT_STR_CONTAINS(err.msg, "unknown axis or component 'colour'");
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "gen=mean,agg=", &err), IMP_EUSAGE);
    IMP_ASSERT_STR_CONTAINS(err.msg, "no value given");
    IMP_ASSERT_INT_EQ(imp_analyze_where(&sel, &a, "kmeans,gen=mean", &err), IMP_EUSAGE);
    imp_analyze_sel_free(&sel);

    /* the command: kmeans at k = 1 and Qi; the kmeans column lacks voter 8 */
    char *out = run(0, "analyze %s --where gen=mean,kmeans,agg=max --where k=1%s", cube_path(), "");
    IMP_ASSERT_STR_CONTAINS(out, "2 competitors (strategy, k, shot) ranked on 8 voters");
    expect_row(out, "   1  " SHOW0,
               "1.0000     0.000    0.000    84.375    3.021   1.068     8       8", __LINE__);
    free(out);
}

static void test_names_and_groups(void)
{
    /* the paper's names (docs/job-file.md) the figures use too */
    int64_t k = -7;
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_paper_name("l2/kmeans/l2/l2/max", &k), "Ours"), 0);
    IMP_ASSERT_INT_EQ(k, 20);
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_paper_name("none/mean/none/none/nn:euclidean", &k), "Janson"),
                      0);
    IMP_ASSERT_INT_EQ(k, 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_analyze_paper_name("none/ls/none/none/max", NULL), "Oracle"), 0);
    IMP_ASSERT_INT_EQ(imp_analyze_paper_name("l2/kmeans/l2/l2/nn:euclidean", &k) == NULL, 1);
    const char *cube = cube_path();
    /* --group-by gen --best: mean → Qi (2.0625) beats Janson, kmeans → Ours (1.125) beats
     * k = 1; then only Ours and Qi, on all 9 voters (the k = 1 column lacked voter 8): Ours
     * is first on 8 of them (not on voter 3: 80 < 81) → 10/9, Qi 17/9 */
    char *out = run(0, "analyze %s --group-by gen --best%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "--group-by gen --best: the best of each of 2 groups by mean rank "
                                 "over all 4 competitors");
    IMP_ASSERT_STR_CONTAINS(out, "2 competitors (strategy, k, shot) ranked on 9 voters");
    expect_row(out, "   1  " SHOW2,
               "1.1111     0.333    0.111    86.111    4.622   1.541     8       9", __LINE__);
    expect_row(out, "   2  " SHOW0,
               "1.8889     0.333    0.111    83.667    3.536   1.179     1       9", __LINE__);
    free(out);
    /* the NORM triple: l2/l2/l2 → Ours, none/none/none → Janson (Oracle has no results);
     * Ours is above Janson on every voter */
    out = run(0, "analyze %s --group-by pre,post,inf --best%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "best of each of 2 groups");
    expect_row(out, "   1  " SHOW2,
               "1.0000     0.000    0.000    86.111    4.622   1.541     9       9", __LINE__);
    expect_row(out, "   2  " SHOW3,
               "2.0000     0.000    0.000    80.889    5.165   1.722     0       9", __LINE__);
    free(out);
    /* by k: k = 1 → Qi (Janson and the kmeans k = 1 rank below it), k = 20 → Ours */
    out = run(0, "analyze %s --group-by k --best%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "best of each of 2 groups");
    expect_row(out, "   2  " SHOW0,
               "1.8889     0.333    0.111    83.667    3.536   1.179     1       9", __LINE__);
    free(out);
    out = run(2, "analyze %s --group-by gen%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "--group-by KEYS and --best go together");
    free(out);
    out = run(2, "analyze %s --group-by colour --best%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "unknown key 'colour' (pre, gen, post, inf, agg, metric, m, "
                                 "weight, k, shot)");
    free(out);
    out = run(0, "analyze %s --group-by shot,gen --best%s", cube, ""); /* an axis key by name */
    IMP_ASSERT_STR_CONTAINS(out, "best of each of");
    free(out);

    /* user names: a name matching two k gets the k; later definitions win over the paper's */
    out = run(0, "analyze %s --name KM=l2/kmeans/l2/l2/max%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "   1  KM k=20 ");
    IMP_ASSERT_STR_CONTAINS(out, "   4  KM k=1 ");
    IMP_ASSERT_STR_CONTAINS(out, "  1: KM k=20 | Qi | KM k=1\n");
    free(out);
    /* a definition in --competitors selects and names; --no-names keeps the columns' text */
    const char *csv = imp_test_path("named.csv");
    out = run(0, "analyze %s --competitors 'Best=l2/kmeans/l2/l2/max@k=20,Qi' --csv %s", cube, csv);
    IMP_ASSERT_STR_CONTAINS(out, "   1  Best ");
    IMP_ASSERT_STR_CONTAINS(out, "   2  Qi ");
    free(out);
    char *t = slurp(csv);
    IMP_ASSERT_STR_CONTAINS(t, "\n1,Best,l2/kmeans/l2/l2/max,20,all,");
    free(t);
    out = run(0, "analyze %s --competitors Qi,Ours --no-names%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "   1  " NAME2 " ");
    free(out);
    out = run(2, "analyze %s --name KM%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "--name 'KM': expected NAME=STRATEGY");
    free(out);
    out = run(2, "analyze %s --name X=l2/fps/l2/l2/max%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "no strategy l2/fps/l2/l2/max");
    free(out);
}

static void test_value_seconds(void)
{
    /* Times (lower is better) of 3 competitors on 4 voters:
     *   c0 1 1 1 1, c1 2 2 2 2, c2 3 0.5 3 3
     * ranks per voter: c0 1 2 1 1 → 1.25, c1 2 3 2 2 → 2.25, c2 3 1 3 3 → 2.5; wins c0 3,
     * c2 1; mean value 1, 2, 2.375 (not negated). The matrix holds them as imp_analyze_build
     * does: scores, the times negated (sign -1) */
    double A[12] = {-1, -1, -1, -1, -2, -2, -2, -2, -3, -0.5, -3, -3};
    imp_analyze_matrix mat = {0};
    mat.m = 3, mat.N = 4, mat.A = A, mat.sign = -1, mat.value = IMP_VALUE_GEN_SECONDS;
    imp_analyze_opts o = {0};
    imp_analysis an;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_analyze_table(&mat, &o, &an, &err), 0);
    const double r[3] = {1.25, 2.25, 2.5}, mean[3] = {1, 2, 2.375};
    const size_t wins[3] = {3, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        IMP_ASSERT_NEAR(an.summary[i].mean_rank, r[i], 1e-15);
        IMP_ASSERT_NEAR(an.summary[i].mean, mean[i], 1e-15);
        IMP_ASSERT_INT_EQ(an.summary[i].wins, wins[i]);
        IMP_ASSERT_INT_EQ(an.order[i], i);
    }
    IMP_ASSERT_INT_EQ(an.n_tested, 3);
    IMP_ASSERT_INT_EQ(an.why, IMP_TESTED_ALL);
    imp_analysis_free(&an);

    /* the command: every done cell of the test cube took 0.5 s, so all tie: mean rank 1.5,
     * both win everywhere, the pair is identical */
    char *out = run(0, "analyze %s --value gen_seconds --competitors Qi,Ours%s", cube_path(), "");
    IMP_ASSERT_STR_CONTAINS(out, "value = median gen_seconds over seeds, lower is better");
    IMP_ASSERT_STR_CONTAINS(out, "mean s");
    expect_row(out, "   1  " SHOW0,
               "1.5000     0.000    0.000     0.500    0.000   0.000     9       9", __LINE__);
    IMP_ASSERT_STR_CONTAINS(out, "1          0.05           no  identical");
    free(out);
    out = run(2, "analyze %s --value speed%s", cube_path(), "");
    IMP_ASSERT_STR_CONTAINS(out, "--value 'speed': expected accuracy, f1, gen_seconds or inf_seconds");
    free(out);
}

/* Which way a value is better is decided once, by imp_analyze_build: a time's matrix holds
 * scores (the negated medians, sign -1), an accuracy's the medians (sign +1), and the table
 * gives the means back in seconds. Every done cell of make_cube took 0.5 s. */
static void test_value_sign_at_build(void)
{
    imp_cube *cube = make_cube();
    imp_err err;
    imp_err_clear(&err);
    imp_analyze_sel sel;
    IMP_ASSERT_INT_EQ(imp_analyze_sel_init(&sel, &cube->axes, &err), 0);
    sel.value = IMP_VALUE_GEN_SECONDS;
    imp_analyze_matrix mat;
    IMP_ASSERT_INT_EQ(imp_analyze_build(cube, &sel, &mat, &err), 0);
    IMP_ASSERT_INT_EQ(mat.sign, -1);
    IMP_ASSERT_INT_EQ(mat.m, 4); /* as test_matrix_all: c4 (all pending) is no row */
    IMP_ASSERT_INT_EQ(mat.N, 8);
    for (size_t i = 0; i < mat.m * mat.N; i++)
        IMP_ASSERT_NEAR(mat.A[i], -0.5, 0);
    IMP_ASSERT_NEAR(imp_analyze_score(&mat, mat.A[0]), 0.5, 0);
    imp_analyze_opts o = {0};
    imp_analysis an;
    IMP_ASSERT_INT_EQ(imp_analyze_table(&mat, &o, &an, &err), 0);
    for (size_t i = 0; i < an.m; i++) {
        IMP_ASSERT_NEAR(an.summary[i].mean, 0.5, 0); /* seconds, not negated */
        IMP_ASSERT_NEAR(an.summary[i].mean_rank, 2.5, 0); /* 4 tied rows */
        IMP_ASSERT_INT_EQ(an.summary[i].wins, 8);
    }
    imp_analysis_free(&an);
    imp_analyze_matrix_free(&mat);
    sel.value = IMP_VALUE_ACCURACY;
    IMP_ASSERT_INT_EQ(imp_analyze_build(cube, &sel, &mat, &err), 0);
    IMP_ASSERT_INT_EQ(mat.sign, 1);
    IMP_ASSERT_NEAR(mat.A[0], 85.0, 0); /* c0 on voter 0: median of 84 and 86, not negated */
    imp_analyze_matrix_free(&mat);
    imp_analyze_sel_free(&sel);
    imp_cube_free(cube);
}

static void test_latex(void)
{
    /* Qi, Ours, Janson on 9 voters (values of test_cmd_analyze_selected); bold = the best of
     * the columns that have one: mean rank 1.111, mean acc 86.111, wins 8 (all Ours) — and
     * never a std: Qi's 3.536 is the lowest accuracy std but no merit */
    const char *tex = imp_test_path("ranks.tex");
    char *out = run(0, "analyze %s --competitors Qi,Ours,Janson --tex %s", cube_path(), tex);
    free(out);
    char *t = slurp(tex);
    IMP_ASSERT_STR_CONTAINS(t, "\\begin{tabularx}{\\linewidth}{@{}rXrrrrrr@{}}\n\\toprule\n"
                               "\\# & competitor & mean rank & std & mean acc. & std & wins & "
                               "voters \\\\\n\\midrule\n");
    IMP_ASSERT_STR_CONTAINS(t, "1 & Ours & \\textbf{1.111} & 0.333 & \\textbf{86.111} & 4.622 & "
                               "\\textbf{8} & 9 \\\\\n");
    IMP_ASSERT_STR_CONTAINS(t, "2 & Qi & 2.056 & 0.527 & 83.667 & 3.536 & 1 & 9 \\\\\n");
    IMP_ASSERT_STR_CONTAINS(t, "\\bottomrule\n\\end{tabularx}\n");
    /* a booktabs table: one \toprule, \midrule and \bottomrule in that order, 8 columns per
     * row (7 '&' on every line that ends with \\) */
    const char *top = strstr(t, "\\toprule"), *mid = strstr(t, "\\midrule"),
               *bot = strstr(t, "\\bottomrule");
    IMP_ASSERT_INT_EQ(top && mid && bot && top < mid && mid < bot, 1);
    size_t rows = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        size_t len = strlen(line);
        if (len < 2 || strcmp(line + len - 2, "\\\\") != 0)
            continue;
        size_t amp = 0;
        for (const char *p = line; *p; p++)
            amp += *p == '&' && (p == line || p[-1] != '\\');
        IMP_ASSERT_INT_EQ(amp, 7);
        rows++;
    }
    IMP_ASSERT_INT_EQ(rows, 4);
    free(t);
    /* names with TeX specials are escaped */
    out = run(0, "analyze %s --name 'A_1&b%%=l2/mean/l2/l2/max' --tex -%s", cube_path(), "");
    IMP_ASSERT_STR_CONTAINS(out, "& A\\_1\\&b\\% & ");
    free(out);
}

/* ---- many competitors ---- */

/* The crafted cube of tests/ref/analyze_2000.py: 4 models × 12 tasks, strategies
 * none/kmeans/none/none/mnn:M:cosine:uniform (M = 1..1000) × k {10, 20}, one seed: 2,000
 * competitors on 48 voters, accuracies from the script's LCG (float32, steps of 0.01). */
static const char *many_cube_path(void)
{
    static char path[512];
    if (path[0])
        return path;
    enum { NM = 4, NT = 12, NS = 1000, NK = 2 };
    static char mb[NM][8], tb[NT][8], sb[NS][48];
    char *mv[NM], *tv[NT], *sv[NS];
    for (int i = 0; i < NM; i++)
        snprintf(mb[i], sizeof mb[i], "m%d", i), mv[i] = mb[i];
    for (int i = 0; i < NT; i++)
        snprintf(tb[i], sizeof tb[i], "t%d", i), tv[i] = tb[i];
    for (int i = 0; i < NS; i++)
        snprintf(sb[i], sizeof sb[i], "none/kmeans/none/none/mnn:%d:cosine:uniform", i + 1),
            sv[i] = sb[i];
    int64_t k[NK] = {10, 20}, shot[1] = {-1}, seed[1] = {1};
    imp_axes a = {.n_model = NM, .model = mv, .n_task = NT, .task = tv, .n_strategy = NS,
                       .strategy = sv, .n_k = NK, .k = k, .n_shot = 1, .shot = shot, .n_seed = 1,
                       .seed = seed};
    imp_err err;
    imp_err_clear(&err);
    imp_cube *cube;
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, NULL, &cube, &err), 0);
    uint32_t x = 12345;
    for (size_t v = 0; v < NM * NT; v++)
        for (size_t c = 0; c < NS * NK; c++) {
            x = 1664525u * x + 1013904223u;
            imp_cell_result r;
            memset(&r, 0, sizeof r);
            size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = v / NT, [IMP_AX_TASK] = v % NT,
                                         [IMP_AX_STRATEGY] = c / NK, [IMP_AX_K] = c % NK,
                                         [IMP_AX_SHOT] = 0, [IMP_AX_SEED] = 0};
            r.cell = imp_axes_cell_index(&a, idx);
            r.status = IMP_CELL_DONE;
            r.accuracy = (float)(50 + (double)((x >> 8) % 5000) / 100.0);
            r.gen_seconds = r.inf_seconds = 0.1f;
            r.n_proxies = 10;
            IMP_ASSERT_INT_EQ(imp_cube_apply(cube, &r, &err), 0);
        }
    snprintf(path, sizeof path, "%s", imp_test_path("many.h5"));
    IMP_ASSERT_INT_EQ(imp_cube_write(cube, path, &err), 0);
    imp_cube_free(cube);
    return path;
}

/* Competitor name of row c of the many cube. */
static void many_name(size_t c, char *buf, size_t n)
{
    snprintf(buf, n, "none/kmeans/none/none/mnn:%zu:cosine:uniform k=%d shot=all", c / 2 + 1,
             c % 2 ? 20 : 10);
}

static void test_many_competitors(void)
{
    const char *cube = many_cube_path();
    const char *csv = imp_test_path("many.csv"), *pairs = imp_test_path("many-pairs.csv");
    char *out = run(0, "analyze %s --csv %s", cube, csv);
    /* stdout: the best 30 rows, then where the rest is; the default tested set */
    IMP_ASSERT_STR_CONTAINS(out, "2,000 competitors (strategy, k, shot) ranked on 48 voters");
    IMP_ASSERT_STR_CONTAINS(out, "… 1,970 more; the full table of 2,000 competitors is in ");
    IMP_ASSERT_STR_CONTAINS(out, "Pairwise tests on the 20 best of 2,000 competitors by mean rank "
                                 "(the default when there are more than 20");
    IMP_ASSERT_STR_CONTAINS(out, "Holm at alpha = 0.05 over 190 pairs");
    char name[128], line[1024];
    many_name(1073, name, sizeof name); /* the reference's first row */
    IMP_ASSERT_STR_CONTAINS(out, name);
    free(out);

    /* The first 20 rows of the CSV against numpy (tests/ref/analyze_2000.txt). */
    char ref_path[1024];
    snprintf(ref_path, sizeof ref_path, "%s/tests/ref/analyze_2000.txt", IMP_SOURCE_DIR);
    FILE *ref = fopen(ref_path, "r");
    imp__assert_msg(ref != NULL, __LINE__, __FILE__, "cannot open %s", ref_path);
    char *t = slurp(csv);
    size_t lines = 0;
    for (const char *p = t; p && *p; p++)
        lines += *p == '\n';
    IMP_ASSERT_INT_EQ(lines, 2001);
    size_t top10[10];
    for (int i = 0; ref && i < 20; i++) {
        int rank, wins, voters;
        size_t row;
        double mr, rsd, mean, sd;
        IMP_ASSERT_INT_EQ(fscanf(ref, "%d %zu %lf %lf %lf %lf %d %d", &rank, &row, &mr, &rsd, &mean,
                                 &sd, &wins, &voters), 8);
        if (i < 10)
            top10[i] = row;
        char prefix[200];
        many_name(row, name, sizeof name);
        snprintf(prefix, sizeof prefix, "\n%d,%s,", rank, name);
        const char *p = strstr(t, prefix);
        imp__assert_msg(p != NULL, __LINE__, __FILE__, "row %d is %s", rank, name);
        if (!p)
            continue;
        line_with(p + 1, prefix + 1, line, sizeof line);
        /* rank,competitor,strategy,k,shot, then avg_rank,dense_rank,rank_std,rank_se,mean,
         * std,se,wins,voters */
        const char *f = line;
        for (int comma = 0; comma < 5 && f; comma++)
            f = strchr(f, ',') ? strchr(f, ',') + 1 : NULL;
        double g_mr, g_dr, g_rsd, g_rse, g_mean, g_sd, g_se;
        int g_wins, g_voters;
        IMP_ASSERT_INT_EQ(sscanf(f ? f : "", "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%d,%d", &g_mr, &g_dr,
                                 &g_rsd, &g_rse, &g_mean, &g_sd, &g_se, &g_wins, &g_voters), 9);
        IMP_ASSERT_REL(g_mr, mr, 1e-11);
        IMP_ASSERT_REL(g_rsd, rsd, 1e-10);
        IMP_ASSERT_REL(g_mean, mean, 1e-11);
        IMP_ASSERT_REL(g_sd, sd, 1e-10);
        IMP_ASSERT_INT_EQ(g_wins, wins);
        IMP_ASSERT_INT_EQ(g_voters, voters);
    }
    if (ref)
        fclose(ref);
    free(t);

    /* --rows 5: five rows, and no file named: how to get the rest */
    out = run(0, "analyze %s --rows 5%s", cube, "");
    IMP_ASSERT_STR_CONTAINS(out, "\n   5  ");
    IMP_ASSERT_STR_CONTAINS(out, "\n… 1,995 more; write the full table with --csv FILE or --md "
                                 "FILE, or show it with --rows all\n");
    if (strstr(out, "\n   6  "))
        imp__assert_msg(0, __LINE__, __FILE__, "only 5 rows with --rows 5");
    free(out);

    /* --top 10: exactly the 45 pairs of the 10 best, each once */
    out = run(0, "analyze %s --top 10 --pairs-csv %s", cube, pairs);
    IMP_ASSERT_STR_CONTAINS(out, "Pairwise tests on the 10 best of 2,000 competitors by mean rank "
                                 "(--top 10).");
    IMP_ASSERT_STR_CONTAINS(out, "Holm at alpha = 0.05 over 45 pairs");
    free(out);
    t = slurp(pairs);
    int seen[10][10] = {{0}};
    size_t n_pairs = 0;
    for (char *p = t ? strchr(t, '\n') : NULL; p && p[1]; p = strchr(p + 1, '\n')) {
        n_pairs++;
        int ia = -1, ib = -1;
        for (int i = 0; i < 10; i++) {
            char prefix[200];
            many_name(top10[i], name, sizeof name);
            snprintf(prefix, sizeof prefix, "%s,", name);
            if (strncmp(p + 1, prefix, strlen(prefix)) == 0)
                ia = i;
            const char *second = strchr(p + 1, ',');
            if (second && strncmp(second + 1, prefix, strlen(prefix)) == 0)
                ib = i;
        }
        imp__assert_msg(ia >= 0 && ib >= 0 && ia != ib, __LINE__, __FILE__,
                        "pair of two of the 10 best: %.200s", p + 1);
        if (ia >= 0 && ib >= 0)
            seen[ia < ib ? ia : ib][ia < ib ? ib : ia]++;
    }
    IMP_ASSERT_INT_EQ(n_pairs, 45);
    for (int i = 0; i < 10; i++)
        for (int j = i + 1; j < 10; j++)
            IMP_ASSERT_INT_EQ(seen[i][j], 1);
    free(t);

    /* --csv -: only the CSV on stdout (the report goes to stderr) */
    char *o2 = NULL;
    IMP_ASSERT_INT_EQ(imp_test_sh(&o2, "(%s analyze %s --top 5 --csv - 2>/dev/null)",
                                  IMP_TOOL_PATH, cube), 0);
    IMP_ASSERT_INT_EQ(strncmp(o2 ? o2 : "", "rank,competitor,", 16), 0);
    lines = 0;
    for (const char *p = o2; p && *p; p++)
        lines += *p == '\n';
    IMP_ASSERT_INT_EQ(lines, 2001);
    if (o2 && strstr(o2, "Wilcoxon"))
        imp__assert_msg(0, __LINE__, __FILE__, "no report on stdout with --csv -");
    free(o2);

    /* slurm/analyze.sbatch (run by bash, as sbatch would) on this paper-sized cube: exit 0,
     * the Markdown report has all 2,000 rows, the diagram the 20 tested competitors */
    o2 = NULL;
    int rc = imp_test_sh(&o2, "IMPRINT='%s' bash '%s/slurm/analyze.sbatch' '%s'", IMP_TOOL_PATH,
                         IMP_SOURCE_DIR, cube);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "analyze.sbatch: exit %d:\n%.2000s", rc,
                    o2 ? o2 : "");
    free(o2);
    char md[600], svg[600];
    snprintf(md, sizeof md, "%.*s-ranks.md", (int)(strlen(cube) - 3), cube);
    snprintf(svg, sizeof svg, "%.*s-cd.svg", (int)(strlen(cube) - 3), cube);
    t = slurp(md);
    IMP_ASSERT_STR_CONTAINS(t, "\n| 2000 | ");
    IMP_ASSERT_STR_CONTAINS(t, "Holm step-down at alpha = 0.05 over 190 pairs");
    free(t);
    t = slurp(svg);
    size_t methods, nbars, nsegs;
    cd_svg_counts(t, &methods, &nbars, &nsegs);
    IMP_ASSERT_INT_EQ(methods, 20);
    free(t);
}

static void test_cmd_help(void)
{
    const char *cmds[] = {"analyze", "status", "export"};
    for (int c = 0; c < 3; c++) {
        char *out = run(0, "%s --help%s", cmds[c], "");
        char needle[64];
        snprintf(needle, sizeof needle, "usage: imprint %s", cmds[c]);
        IMP_ASSERT_STR_CONTAINS(out, needle);
        free(out);
    }
    /* the parts generated from the tables (values, axes, components, AGG, status), written
     * out by hand as the help said them before they were generated */
    char *help = run(0, "analyze --help%s%s", "", "");
    IMP_ASSERT_STR_CONTAINS(help, "\n                       [--value accuracy|f1|gen_seconds|"
                                  "inf_seconds]\n");
    IMP_ASSERT_STR_CONTAINS(
        help, "\n  --where KEY=V1,V2       keep only these values; KEY is an axis (model, task,\n"
              "                          strategy, k, shot, seed; shot \"all\") or a strategy\n"
              "                          component (pre, gen, post, inf, agg, metric, m, weight);\n"
              "                          several keys in one option: gen=kmeans,fps,agg=max;\n"
              "                          repeatable; all must hold\n"
              "  --competitors LIST      keep only these columns: comma-separated "
              "STR[@k=K][@shot=S]\n"
              "                          (a missing k or shot matches all; the paper's names Qi,\n"
              "                          Hosoda, Janson, Ours, Oracle work as STR; NAME=STR[@…]\n"
              "                          names it too); repeatable; all of them are tested\n"
              "  --name");
    free(help);
    help = run(0, "export --help%s%s", "", "");
    IMP_ASSERT_STR_CONTAINS(
        help, "\n  model,task,strategy,pre,gen,post,inf,agg,metric,m,weight,k,shot,seed,status,\n");
    IMP_ASSERT_STR_CONTAINS(
        help, "message\n"
              "pre … weight split the strategy into its components (agg max, nn or mnn; metric\n"
              "inner for max; m empty for max, 1 for nn; weight only for mnn). status is done,\n"
              "pending or failed, and with --all (or --with-na) also n-a (cells the grid rules\n"
              "exclude, left out by default: --valid-only); shot -1 is written \"all\"; numbers a\n"
              "cell does not have are empty fields. f1 is the macro-F1 over the task's classes\n"
              "(percent); host, rank and finished (UTC seconds since 1970) say where and when\n"
              "the cell was computed. A file OUT.csv is written to a temporary\n");
    free(help);
    help = run(0, "status --help%s%s", "", "");
    IMP_ASSERT_STR_CONTAINS(
        help, "\n\nCount the cells of a result cube (or the cube a job file names) by status "
              "(done,\n"
              "pending, failed, n-a = not a valid cell of the grid), in total and for every\n"
              "value of every axis, and list the first N failure messages (--failures, default\n"
              "10; 0 lists none).\nThe journal");
    free(help);
    char *out = run(0, "--help%s%s", "", "");
    IMP_ASSERT_STR_CONTAINS(out, "  analyze ");
    IMP_ASSERT_STR_CONTAINS(out, "  status ");
    IMP_ASSERT_STR_CONTAINS(out, "  export ");
    free(out);
}

int main(void)
{
    static const imp_test tests[] = {
        {"matrix_all", test_matrix_all},
        {"matrix_selected", test_matrix_selected},
        {"selection_errors", test_selection_errors},
        {"labels", test_labels},
        {"cmd_analyze_all", test_cmd_analyze_all},
        {"cmd_analyze_selected", test_cmd_analyze_selected},
        {"cmd_analyze_errors", test_cmd_analyze_errors},
        {"cmd_status", test_cmd_status},
        {"cmd_export", test_cmd_export},
        {"cmd_help", test_cmd_help},
        {"many_competitors", test_many_competitors},
        {"components", test_components},
        {"names_and_groups", test_names_and_groups},
        {"value_seconds", test_value_seconds},
        {"value_sign_at_build", test_value_sign_at_build},
        {"latex", test_latex},
        {NULL, NULL},
    };
    return imp_test_main("analyze", tests);
}
