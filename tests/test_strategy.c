/* test_strategy.c — strategy parsing, canonical text and per-cell grid rules. */
#include <stdio.h>
#include <string.h>

#include "imprint/grid.h"
#include "imprint/plan.h"
#include "imprint/strategy.h"
#include "testutil.h"

static void test_parse_roundtrip(void)
{
    const char *ok[] = {"l2/kmeans/l2/l2/max", "none/mean/quantile/none/max",
                        "none/mean/none/none/nn:euclidean", "none/ls/none/none/max",
                        "l2/all/none/l2/mnn:3:cosine:distance",
                        "none/kls/l2/none/mnn:20:mahalanobis:uniform", NULL};
    for (int i = 0; ok[i]; i++) {
        imp_strategy s;
        imp_err err;
        imp_err_clear(&err);
        IMP_ASSERT_INT_EQ(imp_strategy_parse(ok[i], &s, &err), 0);
        char buf[128];
        imp_strategy_format(&s, buf, sizeof buf);
        IMP_ASSERT_INT_EQ(strcmp(buf, ok[i]), 0);
    }
    imp_strategy s;
    imp_strategy_parse("l2/all/none/l2/mnn:3:cosine:distance", &s, NULL);
    IMP_ASSERT_INT_EQ(s.agg, IMP_AGG_MNN);
    IMP_ASSERT_INT_EQ(s.m, 3);
    IMP_ASSERT_INT_EQ(s.metric, IMP_METRIC_COSINE);
    IMP_ASSERT_INT_EQ(s.weight, IMP_WEIGHT_DISTANCE);
    IMP_ASSERT_INT_EQ(s.gen, IMP_GEN_ALL);
}

static void test_parse_errors(void)
{
    struct {
        const char *text, *needle;
    } bad[] = {
        {"l2/kmeans/l2/l2", "5 parts"},
        {"l2/kmeans/l2/l2/max/x", "5 parts"},
        {"quantile/kmeans/l2/l2/max", "unknown PRE 'quantile'"},
        {"l2/kmean/l2/l2/max", "unknown GEN 'kmean'"},
        {"l2/kmeans/l3/l2/max", "unknown POST 'l3'"},
        {"l2/kmeans/l2/quantile/max", "unknown INF 'quantile'"},
        {"l2/kmeans/l2/l2/min", "unknown AGG 'min'"},
        {"l2/kmeans/l2/l2/nn:inner", "nn:METRIC"},
        {"l2/kmeans/l2/l2/mnn:0:cosine:uniform", "M >= 1"},
        {"l2/kmeans/l2/l2/mnn:3:cosine:heavy", "unknown weighting 'heavy'"},
        {"l2/kmeans/l2/l2/mnn:3:chebyshev:uniform", "unknown metric 'chebyshev'"},
        /* the error texts are made from the tables: the whole expected list, by hand */
        {"l2/kmeans/l2/l2/min", "(expected max, nn:METRIC or mnn:M:METRIC:WEIGHT)"},
        {"quantile/kmeans/l2/l2/max", "(expected none or l2)"},
        {"l2/kmeans/l3/l2/max", "(expected none, l2 or quantile)"},
        {"l2/kmeans/l2/l2/nn:inner", "should be nn:METRIC with METRIC one of cosine, euclidean"},
        {"l2/kmeans/l2/l2/mnn:3:cosine",
         "should be mnn:M:METRIC:WEIGHT with M >= 1, METRIC one of cosine, euclidean"},
        {"l2/kmeans/l2/l2/mnn:3:cosine", ", WEIGHT uniform or distance"},
        {"l2/kmeans/l2/l2/mnn:3:cosine:heavy", "(expected uniform or distance)"},
        {"l2/kmeans/l2/l2/max:cosine", "AGG 'max:cosine' should be max"},
        {"l2/kmeans/l2/l2/nn:cosine:uniform", "should be nn:METRIC"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        imp_strategy s;
        imp_err err;
        imp_err_clear(&err);
        IMP_ASSERT_INT_EQ(imp_strategy_parse(bad[i].text, &s, &err), IMP_EINPUT);
        IMP_ASSERT_STR_CONTAINS(err.msg, bad[i].needle);
    }
}

static void test_cell_rules(void)
{
    imp_strategy s;
    const char *why;
    imp_strategy_parse("l2/kmeans/l2/none/max", &s, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_cell_valid(&s, 20, -1, &why), 0); /* pre l2, inf none */
    imp_strategy_parse("l2/mean/l2/l2/max", &s, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_cell_valid(&s, 1, -1, &why), 1);
    IMP_ASSERT_INT_EQ(imp_strategy_cell_valid(&s, 5, -1, &why), 0);
    imp_strategy_parse("none/all/none/none/max", &s, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_cell_valid(&s, -1, -1, &why), 1);
    IMP_ASSERT_INT_EQ(imp_strategy_cell_valid(&s, 1, -1, &why), 0);
    imp_strategy_parse("none/kmeans/none/none/max", &s, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_cell_valid(&s, -1, -1, &why), 0);
    imp_strategy_parse("none/kmeans/none/none/mnn:50:cosine:uniform", &s, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_cell_valid(&s, 5, -1, &why), 1);  /* 50 <= 10*5 */
    IMP_ASSERT_INT_EQ(imp_strategy_cell_valid(&s, 4, -1, &why), 0);  /* 50 > 40 */
    /* seed dependence */
    imp_strategy_parse("none/mean/none/none/max", &s, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_uses_seed(&s, 1, -1), 0);
    IMP_ASSERT_INT_EQ(imp_strategy_uses_seed(&s, 1, 10), 1);
    imp_strategy_parse("none/kls/none/none/max", &s, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_uses_seed(&s, 1, -1), 0);
    IMP_ASSERT_INT_EQ(imp_strategy_uses_seed(&s, 5, -1), 1);
}

/* The tables drive parsing, defaults and the lists in messages: every for_nn metric parses in
 * nn and mnn and formats back (a metric after mahalanobis is no longer silently refused). */
static void test_tables(void)
{
    int nn = 0;
    for (int m = 0; m < IMP_METRIC__COUNT; m++) {
        const imp_metric_info *mi = imp_metric_info_of((imp_metric)m);
        char text[128], back[128];
        snprintf(text, sizeof text, "none/kmeans/none/none/mnn:3:%s:distance", mi->name);
        imp_strategy s;
        int rc = imp_strategy_parse(text, &s, NULL);
        IMP_ASSERT_INT_EQ(rc, mi->for_nn ? 0 : IMP_EINPUT);
        if (!rc) {
            IMP_ASSERT_INT_EQ(s.metric, m);
            IMP_ASSERT_INT_EQ(strcmp(imp_strategy_format(&s, back, sizeof back), text), 0);
            nn++;
        }
    }
    IMP_ASSERT_INT_EQ(nn, 4);
    IMP_ASSERT_INT_EQ(strcmp(imp_metric_names("|"), "cosine|euclidean|manhattan|mahalanobis"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_gen_names(", "),
                             "mean, all, random, kmeans, kmedoids, fps, covmax, ls, kls"), 0);
    IMP_ASSERT_INT_EQ(imp_default_k(IMP_GEN_MEAN), 1);
    IMP_ASSERT_INT_EQ(imp_default_k(IMP_GEN_LS), 1);
    IMP_ASSERT_INT_EQ(imp_default_k(IMP_GEN_ALL), -1);
    IMP_ASSERT_INT_EQ(imp_default_k(IMP_GEN_KLS), 20);
    imp_strategy s;
    imp_strategy_parse("none/ls/none/none/max", &s, NULL);
    IMP_ASSERT_INT_EQ(strcmp(imp_strategy_fixed_k_reason(&s), "mean and ls only at k = 1"), 0);
    imp_strategy_parse("none/all/none/none/max", &s, NULL);
    IMP_ASSERT_INT_EQ(strcmp(imp_strategy_fixed_k_reason(&s), "all only at k = -1"), 0);
    imp_strategy_parse("none/kls/none/none/max", &s, NULL);
    CU_ASSERT_PTR_NULL(imp_strategy_fixed_k_reason(&s));
    IMP_ASSERT_INT_EQ(imp_strategy_uses_seed(&s, 1, -1), 0);
    IMP_ASSERT_INT_EQ(imp_strategy_uses_seed(&s, 2, -1), 1);
    IMP_ASSERT_INT_EQ(imp_strategy_uses_seed(&s, 1, 5), 1);
}

/* The facts derived from the tables' columns, by hand: the metric an AGG scores with, which
 * strategies share one GEN, the lsq and fixed-k name lists. */
static void test_derived(void)
{
    imp_strategy a, b;
    imp_strategy_parse("l2/kmeans/l2/l2/max", &a, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_metric(&a), IMP_METRIC_INNER);
    a.metric = IMP_METRIC_COSINE; /* a hand-made max strategy still scores by inner product */
    IMP_ASSERT_INT_EQ(imp_strategy_metric(&a), IMP_METRIC_INNER);
    imp_strategy_parse("l2/kmeans/none/none/mnn:3:manhattan:distance", &b, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_metric(&b), IMP_METRIC_MANHATTAN);
    IMP_ASSERT_INT_EQ(imp_strategy_same_gen(&a, &b), 1); /* POST, INF, AGG come after */
    imp_strategy_parse("none/kmeans/l2/l2/max", &b, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_same_gen(&a, &b), 0); /* NORMpre differs */
    imp_strategy_parse("l2/fps/l2/l2/max", &b, NULL);
    IMP_ASSERT_INT_EQ(imp_strategy_same_gen(&a, &b), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_gen_names_lsq("/"), "ls/kls"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_gen_names_fixing_k(1, "/"), "mean/ls"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_gen_names_fixing_k(-1, ", "), "all"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_gen_names_fixing_k(3, ", "), ""), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_norm_names(IMP_PART_POST, "|"), "none|l2|quantile"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_norm_names(IMP_PART_INF, " or "), "none or l2"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_agg_forms(", "), "max, nn:METRIC, mnn:M:METRIC:WEIGHT"), 0);
    IMP_ASSERT_INT_EQ(imp_agg_info_of(IMP_AGG_NN)->m, 1);
    IMP_ASSERT_INT_EQ(imp_gen_info_of(IMP_GEN_KLS)->lsq, 1);
    IMP_ASSERT_INT_EQ(imp_gen_info_of(IMP_GEN_KMEANS)->lsq, 0);
}

/* Shared inference cost by hand: C = 2 classes, n = 10 rows, p = k = 5 → P = 10 proxies,
 * d = 4, T = 6 test rows. Two euclidean cells share one T·P·d = 240 distance pass and add
 * T·P = 60 each; a mahalanobis cell adds its pass 240, T·d² = 96, P·d² + d³ = 160 + 64 and 60;
 * a second POST repeats the distance pass of its metric. */
static void test_cells_cost(void)
{
    imp_cost_hint h = {.n_per_class = 10, .dim = 4, .n_classes = 2, .n_test = 6};
    const char *texts[] = {"none/kmeans/none/none/nn:euclidean",
                           "none/kmeans/none/none/mnn:3:euclidean:uniform",
                           "none/kmeans/none/none/nn:mahalanobis",
                           "none/kmeans/l2/none/nn:euclidean"};
    imp_strategy st[4];
    const imp_strategy *cs[4];
    for (int i = 0; i < 4; i++) {
        IMP_ASSERT_INT_EQ(imp_strategy_parse(texts[i], &st[i], NULL), 0);
        cs[i] = &st[i];
    }
    IMP_ASSERT_NEAR(imp_cells_cost(cs, 2, 5, -1, &h), 360, 0);
    IMP_ASSERT_NEAR(imp_cells_cost(cs, 3, 5, -1, &h), 360 + 240 + 96 + 160 + 64 + 60, 0);
    IMP_ASSERT_NEAR(imp_cells_cost(cs, 4, 5, -1, &h), 980 + 240 + 60, 0);
    /* one cell alone costs what imp_cell_cost says plus its selection */
    IMP_ASSERT_NEAR(imp_cells_cost(cs, 1, 5, -1, &h), imp_cell_cost(&st[0], 5, -1, &h) + 60, 0);
}

int main(void)
{
    static const imp_test tests[] = {
        {"parse_roundtrip", test_parse_roundtrip},
        {"parse_errors", test_parse_errors},
        {"cell_rules", test_cell_rules},
        {"tables", test_tables},
        {"derived", test_derived},
        {"cells_cost", test_cells_cost},
        {NULL, NULL},
    };
    return imp_test_main("strategy", tests);
}
