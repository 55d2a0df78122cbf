/* test_stats.c — ranks, Friedman, Wilcoxon, Holm, cliques and Nemenyi against scipy and hand
 * calculations.
 *
 * Expected p-values were computed once with Debian's /usr/bin/python3, scipy 1.10.1, and
 * frozen here. scipy 1.10's wilcoxon(method='auto') picks 'exact' for n <= 50 even with ties
 * (truncating R+), which is not the rule we implement (exact only without zeros and ties), so
 * every expected value names its method explicitly:
 *   st.wilcoxon(d, zero_method='pratt', method='exact'|'approx')
 * For 'approx' with Pratt, scipy 1.10 uses the same formulas as 1.14 (Cureton's mean/variance
 * adjustment, tie correction without the zero group, no continuity correction); this was also
 * re-derived by hand in numpy (mean, var24, erfc) and agreed to 1e-15. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "testutil.h"

static imp_wilcoxon wilcoxon_d(const double *d, size_t n, int compat)
{
    double *zero = calloc(n, sizeof *zero);
    imp_wilcoxon w;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_stats_wilcoxon(d, zero, n, compat, &w, &err), 0);
    free(zero);
    return w;
}

static void test_wilcoxon_exact(void)
{
    /* n = 5: |d| ranks 2,1,3,4,5, R− = 1; P(R+ >= 14) = 2/32, two-sided 0.125 by hand. */
    const double d5[] = {1.5, -0.5, 2, 3, 4};
    imp_wilcoxon w = wilcoxon_d(d5, 5, 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_EXACT);
    IMP_ASSERT_NEAR(w.statistic, 1.0, 0);
    IMP_ASSERT_NEAR(w.r_plus, 14.0, 0);
    IMP_ASSERT_REL(w.p, 0.125, 1e-15);

    /* R+ at the centre of the null distribution: p = 1 (n = 4: R+ = 1 + 4 = 5 = 10/2). */
    const double d4[] = {1, -2, -3, 4};
    w = wilcoxon_d(d4, 4, 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_EXACT);
    IMP_ASSERT_NEAR(w.p, 1.0, 0);

    const double d10[] = {0.7, -1.1, 2.3, 1.9, -0.25, 3.1, 0.45, 1.3, -2.7, 4.2};
    w = wilcoxon_d(d10, 10, 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_EXACT);
    IMP_ASSERT_NEAR(w.statistic, 13.0, 0);
    IMP_ASSERT_REL(w.p, 0.16015625, 1e-14);

    const double d20[] = {0.31, -0.62, 1.05, 2.2,  -1.7,  0.88, 1.33, -0.12, 2.9,  0.57,
                          1.61, -0.95, 3.4,  0.74, 1.18,  2.45, -2.05, 0.2,  1.92, 0.49};
    w = wilcoxon_d(d20, 20, 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_EXACT);
    IMP_ASSERT_NEAR(w.statistic, 46.0, 0);
    IMP_ASSERT_REL(w.p, 0.026641845703125, 1e-14);

    /* 48 differences of one sign: p = 2 * 2^-48 (the stored output of the paper's CD run). */
    double d48[48];
    for (int i = 0; i < 48; i++)
        d48[i] = 0.5 + 0.01 * i;
    w = wilcoxon_d(d48, 48, 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_EXACT);
    IMP_ASSERT_NEAR(w.statistic, 0.0, 0);
    IMP_ASSERT_REL(w.p, 7.105427357601002e-15, 1e-14);
    IMP_ASSERT_REL(w.p, ldexp(2.0, -48), 1e-15);

    /* n = 50 (exact) vs n = 51 (approx) on the same pattern d_i = ±0.1(i+1), − every 3rd. */
    double d51[51];
    for (int i = 0; i < 51; i++)
        d51[i] = (i + 1) * 0.1 * (i % 3 ? 1 : -1);
    w = wilcoxon_d(d51, 50, 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_EXACT);
    IMP_ASSERT_NEAR(w.statistic, 425.0, 0);
    IMP_ASSERT_REL(w.p, 0.03996834652842374, 1e-12);
    w = wilcoxon_d(d51, 51, 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_APPROX);
    IMP_ASSERT_NEAR(w.statistic, 425.0, 0);
    IMP_ASSERT_REL(w.p, 0.02568873999366418, 1e-12);
}

static void test_wilcoxon_approx_ties_zeros(void)
{
    /* Ties in |d|, no zeros: normal approximation with tie correction (scipy method='approx'). */
    const double dt[] = {1, -1, 2, 2, 3, -3, 3, 4, 5, -2, 6, 1};
    imp_wilcoxon w = wilcoxon_d(dt, 12, 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_APPROX);
    IMP_ASSERT_NEAR(w.statistic, 15.0, 0);
    IMP_ASSERT_NEAR(w.r_plus, 63.0, 0);
    IMP_ASSERT_REL(w.z, 1.8914649749738415, 1e-13);
    IMP_ASSERT_REL(w.p, 0.05856230219636895, 1e-12);

    /* Three zeros (Pratt: ranked, then removed through Cureton's adjustment) plus ties. */
    const double dz[] = {0, 0, 1, -1, 2, 2, 3, 0, 4, -5, 6, 2, 7, 8, -1};
    w = wilcoxon_d(dz, 15, 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_APPROX);
    IMP_ASSERT_INT_EQ(w.n_zero, 3);
    IMP_ASSERT_NEAR(w.statistic, 22.0, 0);
    IMP_ASSERT_NEAR(w.r_plus, 92.0, 0);
    IMP_ASSERT_REL(w.z, 2.002453486917181, 1e-13);
    IMP_ASSERT_REL(w.p, 0.04523598084715368, 1e-12);

    /* Swapping x and y only flips the sign of z. */
    const double x[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
    const double y[] = {2, 7, 1, 8, 2, 8, 1, 8, 2, 8, 4};
    imp_wilcoxon a, b;
    IMP_ASSERT_INT_EQ(imp_stats_wilcoxon(x, y, 11, 0, &a, NULL), 0);
    IMP_ASSERT_INT_EQ(imp_stats_wilcoxon(y, x, 11, 0, &b, NULL), 0);
    IMP_ASSERT_NEAR(a.p, b.p, 1e-15);
    IMP_ASSERT_NEAR(a.z, -b.z, 1e-15);
}

static void test_wilcoxon_identical(void)
{
    const double x[] = {0.5, 0.7, 0.9, 0.1};
    imp_wilcoxon w;
    IMP_ASSERT_INT_EQ(imp_stats_wilcoxon(x, x, 4, 0, &w, NULL), 0);
    IMP_ASSERT_INT_EQ(w.method, IMP_WILCOXON_IDENTICAL);
    IMP_ASSERT_NEAR(w.p, 1.0, 0);
    IMP_ASSERT_INT_EQ(imp_stats_wilcoxon(x, x, 4, 1, &w, NULL), 0);
    IMP_ASSERT_NEAR(w.p, 0.0, 0);

    const double bad[] = {0.5, NAN, 0.9, 0.1};
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_stats_wilcoxon(x, bad, 4, 0, &w, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "pair 1");
}

/* 4 competitors × 6 voters with ties inside voters (rows = competitors). */
static const double TIES_A[4 * 6] = {
    0.9, 0.8, 0.7, 0.95, 0.6, 0.85, /**/ 0.9, 0.7, 0.7, 0.90, 0.5, 0.80,
    0.8, 0.7, 0.6, 0.90, 0.5, 0.75, /**/ 0.7, 0.6, 0.7, 0.85, 0.4, 0.80};

/* The seed median of the matrix and the figures: odd n the middle value, even n the mean of
 * the two middle ones (numpy.median), whatever the input order. */
static void test_median(void)
{
    double odd[] = {70.5, 62.0, 81.25};
    IMP_ASSERT_NEAR(imp_stats_median(odd, 3), 70.5, 0);
    double even[] = {4, 1, 3, 2};
    IMP_ASSERT_NEAR(imp_stats_median(even, 4), 2.5, 0);
    IMP_ASSERT_NEAR(even[0], 1, 0); /* sorted in place: the figures' min and max */
    IMP_ASSERT_NEAR(even[3], 4, 0);
    double one[] = {-3};
    IMP_ASSERT_NEAR(imp_stats_median(one, 1), -3, 0);
}

static void test_ranks(void)
{
    double R[24];
    /* pandas/scipy rankdata(-a) per voter (average) and method='dense'. */
    const double avg[24] = {1.5, 1, 2, 1,   1,   1,   1.5, 2.5, 2, 2.5, 2.5, 2.5,
                            3,   2.5, 4, 2.5, 2.5, 4, 4,   4,   2, 4,   4,   2.5};
    const double dense[24] = {1, 1, 1, 1, 1, 1, 1, 2, 1, 2, 2, 2,
                              2, 2, 2, 2, 2, 3, 3, 3, 1, 3, 3, 2};
    IMP_ASSERT_INT_EQ(imp_stats_ranks(TIES_A, 4, 6, IMP_RANK_AVERAGE, R, NULL), 0);
    for (int i = 0; i < 24; i++)
        IMP_ASSERT_NEAR(R[i], avg[i], 0);
    IMP_ASSERT_INT_EQ(imp_stats_ranks(TIES_A, 4, 6, IMP_RANK_DENSE, R, NULL), 0);
    for (int i = 0; i < 24; i++)
        IMP_ASSERT_NEAR(R[i], dense[i], 0);

    imp_rank_summary s[4];
    IMP_ASSERT_INT_EQ(imp_stats_rank_summary(TIES_A, 4, 6, IMP_RANK_AVERAGE, s, NULL), 0);
    const double mr[4] = {1.25, 2.25, 3.0833333333333333, 3.4166666666666667};
    const double mean[4] = {0.8, 0.75, 0.70833333333333333, 0.675};
    const double sd[4] = {0.130384048104053, 0.15165750888103102, 0.14288690166235207,
                          0.16046806535881214}; /* numpy std(ddof=1) */
    const size_t wins[4] = {6, 2, 0, 1};        /* shared first places count for each */
    for (int i = 0; i < 4; i++) {
        IMP_ASSERT_REL(s[i].mean_rank, mr[i], 1e-15);
        IMP_ASSERT_REL(s[i].mean, mean[i], 1e-14);
        IMP_ASSERT_REL(s[i].std, sd[i], 1e-13);
        IMP_ASSERT_INT_EQ(s[i].wins, wins[i]);
    }
    IMP_ASSERT_INT_EQ(imp_stats_rank_summary(TIES_A, 4, 6, IMP_RANK_DENSE, s, NULL), 0);
    const double dmr[4] = {1.0, 1.6666666666666667, 2.1666666666666667, 2.5};
    for (int i = 0; i < 4; i++)
        IMP_ASSERT_REL(s[i].mean_rank, dmr[i], 1e-15);
    IMP_ASSERT_INT_EQ(imp_stats_rank_summary(TIES_A, 4, 1, IMP_RANK_AVERAGE, s, NULL), 0);
    IMP_ASSERT_INT_EQ(isnan(s[0].std), 1);
}

static void test_friedman(void)
{
    imp_friedman f;
    IMP_ASSERT_INT_EQ(imp_stats_friedman(TIES_A, 4, 6, &f, NULL), 0);
    /* scipy.stats.friedmanchisquare(*TIES_A rows) */
    IMP_ASSERT_REL(f.statistic, 11.882352941176482, 1e-13);
    IMP_ASSERT_REL(f.p, 0.007797229642098703, 1e-12);

    double F, p;
    IMP_ASSERT_INT_EQ(imp_stats_iman_davenport(f.statistic, 4, 6, &F, &p, NULL), 0);
    IMP_ASSERT_REL(F, 9.711538461538488, 1e-12); /* (N-1)chi2/(N(k-1)-chi2) */
    IMP_ASSERT_REL(p, 0.0008280761165156606, 1e-10); /* scipy f.sf(F, 3, 15) */

    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_stats_friedman(TIES_A, 2, 6, &f, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "at least 3 competitors");

    const double allsame[6] = {1, 2, 1, 2, 1, 2}; /* 3 competitors, 2 voters, all tied */
    IMP_ASSERT_INT_EQ(imp_stats_friedman(allsame, 3, 2, &f, NULL), 0);
    IMP_ASSERT_NEAR(f.statistic, 0, 0);
    IMP_ASSERT_NEAR(f.p, 1, 0);
}

static void test_distributions(void)
{
    /* scipy.stats.chi2.sf(x, df) */
    struct {
        double x, df, sf;
    } c[] = {{0.5, 1, 0.47950012218695337},     {3.0, 2, 0.22313016014842982},
             {10.0, 3, 0.01856613546304325},    {100.0, 7, 1.0787979671702833e-18},
             {1e-3, 5, 0.9999999983185123},     {250.0, 4, 6.509689997375721e-53},
             {7.5, 19, 0.9910331732233514},     {40, 60, 0.9781817824744425}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        IMP_ASSERT_REL(imp_stats_chi2_sf(c[i].x, c[i].df), c[i].sf, 1e-11);
    IMP_ASSERT_REL(imp_stats_chi2_sf(3.0, 2), exp(-1.5), 1e-14); /* df 2: e^{-x/2} */
    IMP_ASSERT_NEAR(imp_stats_igam(2.5, 1.7) + imp_stats_igamc(2.5, 1.7), 1.0, 1e-15);

    /* scipy.stats.f.sf(x, d1, d2) */
    struct {
        double x, a, b, sf;
    } f[] = {{2.5, 3, 15, 0.09908192403537504},  {0.3, 5, 40, 0.9099525618715705},
             {12.0, 2, 10, 0.002200925867886696}, {1.0, 1, 1, 0.5},
             {4.2, 19, 300, 3.2378188912094105e-08}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        IMP_ASSERT_REL(imp_stats_f_sf(f[i].x, f[i].a, f[i].b), f[i].sf, 1e-10);
}

static void test_holm(void)
{
    /* Sorted: .001 (thr .05/6) .009 (.05/5) .011 (.05/4) .0125 (.05/3) pass; .026 > .05/2
     * fails, so .04 stays not significant although .04 <= .05/1. */
    const double p[6] = {0.04, 0.001, 0.0125, 0.009, 0.011, 0.026};
    int sig[6];
    double thr[6];
    IMP_ASSERT_INT_EQ(imp_stats_holm(p, 6, 0.05, sig, thr, NULL), 0);
    const int want[6] = {0, 1, 1, 1, 1, 0};
    const double wthr[6] = {0.05, 0.05 / 6, 0.05 / 3, 0.05 / 5, 0.05 / 4, 0.05 / 2};
    for (int i = 0; i < 6; i++) {
        IMP_ASSERT_INT_EQ(sig[i], want[i]);
        IMP_ASSERT_REL(thr[i], wthr[i], 1e-15);
    }
    /* Equal p keep input order (stable); the first already fails. */
    const double q[3] = {0.02, 0.02, 0.5};
    IMP_ASSERT_INT_EQ(imp_stats_holm(q, 3, 0.05, sig, thr, NULL), 0);
    IMP_ASSERT_INT_EQ(sig[0] + sig[1] + sig[2], 0);
    IMP_ASSERT_REL(thr[0], 0.05 / 3, 1e-15);
    IMP_ASSERT_REL(thr[1], 0.05 / 2, 1e-15);
    IMP_ASSERT_REL(thr[2], 0.05, 1e-15);
    /* p exactly at the threshold is significant (<=). */
    const double r[2] = {0.025, 0.05};
    IMP_ASSERT_INT_EQ(imp_stats_holm(r, 2, 0.05, sig, NULL, NULL), 0);
    IMP_ASSERT_INT_EQ(sig[0] && sig[1], 1);
    IMP_ASSERT_INT_EQ(imp_stats_pair_index(0, 1, 5), 0);
    IMP_ASSERT_INT_EQ(imp_stats_pair_index(1, 2, 5), 4);
    IMP_ASSERT_INT_EQ(imp_stats_pair_index(3, 4, 5), 9);
}

static void add_edge(unsigned char *adj, size_t m, size_t i, size_t j)
{
    adj[i * m + j] = adj[j * m + i] = 1;
}

static void assert_clique(const imp_cliques *c, size_t q, const size_t *want, size_t len)
{
    IMP_ASSERT_INT_EQ(c->off[q + 1] - c->off[q], len);
    for (size_t t = 0; t < len && t < c->off[q + 1] - c->off[q]; t++)
        IMP_ASSERT_INT_EQ(c->members[c->off[q] + t], want[t]);
}

/* The drawn graph on 12 nodes: triangles 0-1-2 and 1-2-3 (sharing edge 1-2), triangle
 * 3-4-5, node 6 isolated, a K4 on 7..10 and a pendant edge 10-11. */
enum { DRAWN = 12 };
static void drawn_graph(unsigned char adj[DRAWN * DRAWN])
{
    const size_t M = DRAWN;
    memset(adj, 0, M * M);
    add_edge(adj, M, 0, 1), add_edge(adj, M, 0, 2), add_edge(adj, M, 1, 2);
    add_edge(adj, M, 1, 3), add_edge(adj, M, 2, 3);
    add_edge(adj, M, 3, 4), add_edge(adj, M, 3, 5), add_edge(adj, M, 4, 5);
    for (size_t i = 7; i <= 10; i++)
        for (size_t j = i + 1; j <= 10; j++)
            add_edge(adj, M, i, j);
    add_edge(adj, M, 10, 11);
}

static void test_cliques(void)
{
    enum { M = DRAWN };
    unsigned char adj[M * M];
    drawn_graph(adj);
    imp_cliques c;
    IMP_ASSERT_INT_EQ(imp_stats_cliques(adj, M, 2, &c, NULL), 0);
    IMP_ASSERT_INT_EQ(c.n, 5);
    if (c.n == 5) {
        assert_clique(&c, 0, (const size_t[]){0, 1, 2}, 3);
        assert_clique(&c, 1, (const size_t[]){1, 2, 3}, 3);
        assert_clique(&c, 2, (const size_t[]){3, 4, 5}, 3);
        assert_clique(&c, 3, (const size_t[]){7, 8, 9, 10}, 4);
        assert_clique(&c, 4, (const size_t[]){10, 11}, 2);
    }
    imp_cliques_free(&c);
    /* min_size 1 adds the isolated node 6 (in lexicographic place). */
    IMP_ASSERT_INT_EQ(imp_stats_cliques(adj, M, 1, &c, NULL), 0);
    IMP_ASSERT_INT_EQ(c.n, 6);
    if (c.n == 6)
        assert_clique(&c, 3, (const size_t[]){6}, 1);
    imp_cliques_free(&c);

    /* A path on 70 nodes crosses the 64-bit word boundary: 69 edges are the maximal cliques. */
    enum { P = 70 };
    unsigned char *pa = calloc(P * P, 1);
    for (size_t i = 0; i + 1 < P; i++)
        add_edge(pa, P, i, i + 1);
    IMP_ASSERT_INT_EQ(imp_stats_cliques(pa, P, 2, &c, NULL), 0);
    IMP_ASSERT_INT_EQ(c.n, 69);
    if (c.n == 69)
        assert_clique(&c, 63, (const size_t[]){63, 64}, 2);
    imp_cliques_free(&c);
    /* Complete graph: one clique. */
    memset(pa, 1, P * P);
    IMP_ASSERT_INT_EQ(imp_stats_cliques(pa, P, 2, &c, NULL), 0);
    IMP_ASSERT_INT_EQ(c.n, 1);
    IMP_ASSERT_INT_EQ(c.off[1], P);
    imp_cliques_free(&c);
    free(pa);

    unsigned char asym[4] = {0, 1, 0, 0};
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_stats_cliques(asym, 2, 2, &c, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "not symmetric");

    /* Bounds: the cocktail-party graph on 30 nodes (all pairs but 2i–2i+1) has one maximal
     * clique per choice of one node of each pair, 2^15 = 32768 > 10000: exceeded, no output;
     * with room for 40000 all are found. */
    enum { Q = 30 };
    unsigned char *cp = malloc(Q * Q);
    for (size_t i = 0; i < Q; i++)
        for (size_t j = 0; j < Q; j++)
            cp[i * Q + j] = i != j && i / 2 != j / 2;
    int exceeded = -1;
    IMP_ASSERT_INT_EQ(imp_stats_cliques_bounded(cp, Q, 2, 0, 0, &c, &exceeded, NULL), 0);
    IMP_ASSERT_INT_EQ(exceeded, 1);
    IMP_ASSERT_INT_EQ(c.n, 0);
    IMP_ASSERT_INT_EQ(imp_stats_cliques_bounded(cp, Q, 2, 40000, 0, &c, &exceeded, NULL), 0);
    IMP_ASSERT_INT_EQ(exceeded, 0);
    IMP_ASSERT_INT_EQ(c.n, 32768);
    imp_cliques_free(&c);
    free(cp);
}

/* Demšar's runs on hand-made non-significance patterns (nodes numbered in rank order). */
static void test_interval_groups(void)
{
    /* The graph of test_cliques plus the edge 0–4: it adds the clique {0, 4}, but 0–3 is
     * significant, so no run joins 0 and 4. By hand: the farthest reach of each node within
     * a run is 0→2, 1→3, 2→3, 3→5, 4→5, 5→5, 6→6, 7→10, 8→10, 9→10, 10→11, 11→11; the
     * maximal runs are 0..2, 1..3, 3..5, 7..10 and 10..11 (6 is alone). */
    enum { M = DRAWN };
    unsigned char adj[M * M];
    drawn_graph(adj);
    add_edge(adj, M, 0, 4);
    imp_cliques g;
    IMP_ASSERT_INT_EQ(imp_stats_interval_groups(adj, M, &g, NULL), 0);
    IMP_ASSERT_INT_EQ(g.n, 5);
    if (g.n == 5) {
        assert_clique(&g, 0, (const size_t[]){0, 1, 2}, 3);
        assert_clique(&g, 1, (const size_t[]){1, 2, 3}, 3);
        assert_clique(&g, 2, (const size_t[]){3, 4, 5}, 3);
        assert_clique(&g, 3, (const size_t[]){7, 8, 9, 10}, 4);
        assert_clique(&g, 4, (const size_t[]){10, 11}, 2);
    }
    imp_cliques_free(&g);
    IMP_ASSERT_INT_EQ(imp_stats_cliques(adj, M, 2, &g, NULL), 0);
    IMP_ASSERT_INT_EQ(g.n, 6); /* the five runs and {0, 4} */
    if (g.n == 6)
        assert_clique(&g, 1, (const size_t[]){0, 4}, 2);
    imp_cliques_free(&g);

    /* 0–1 and 0–2 joined, 1–2 significant: the run from 0 stops at 1 (it cannot take 2
     * without 1–2): one run {0, 1}; the cliques are {0, 1} and {0, 2}. */
    unsigned char t3[9] = {0};
    add_edge(t3, 3, 0, 1), add_edge(t3, 3, 0, 2);
    IMP_ASSERT_INT_EQ(imp_stats_interval_groups(t3, 3, &g, NULL), 0);
    IMP_ASSERT_INT_EQ(g.n, 1);
    if (g.n == 1)
        assert_clique(&g, 0, (const size_t[]){0, 1}, 2);
    imp_cliques_free(&g);
    /* every pair significant: no run; a single node: none */
    unsigned char none[9] = {0};
    IMP_ASSERT_INT_EQ(imp_stats_interval_groups(none, 3, &g, NULL), 0);
    IMP_ASSERT_INT_EQ(g.n, 0);
    IMP_ASSERT_INT_EQ(imp_stats_interval_groups(none, 1, &g, NULL), 0);
    IMP_ASSERT_INT_EQ(g.n, 0);
}

static void test_nemenyi(void)
{
    double q;
    IMP_ASSERT_INT_EQ(imp_stats_nemenyi_q(4, 0.05, &q, NULL), 0);
    /* Demšar (2006) §3.2.2 example: k = 4, N = 14, q = 2.569, CD ≈ 1.25. */
    IMP_ASSERT_NEAR(imp_stats_nemenyi_cd(q, 4, 14), 1.2535592581035582, 1e-12);
    IMP_ASSERT_INT_EQ(imp_stats_nemenyi_q(5, 0.10, &q, NULL), 0);
    IMP_ASSERT_NEAR(q, 2.459516, 0);

    /* The numeric range CDF reproduces the table: P(range <= q*sqrt 2) = 1 - alpha. */
    const double t05[] = {1.959964, 2.727774, 3.163684, 3.543799};
    const double t10[] = {1.644854, 2.459516, 2.919889, 3.319233};
    const size_t ks[] = {2, 5, 10, 20};
    for (int i = 0; i < 4; i++) {
        IMP_ASSERT_NEAR(imp_stats_range_cdf(t05[i] * sqrt(2.0), ks[i]), 0.95, 2e-6);
        IMP_ASSERT_NEAR(imp_stats_range_cdf(t10[i] * sqrt(2.0), ks[i]), 0.90, 2e-6);
    }
    /* k > 20: scipy.stats.studentized_range.ppf(1 - alpha, k, np.inf) / sqrt(2). */
    struct {
        size_t k;
        double a, q;
    } big[] = {{21, 0.05, 3.5690400299507057}, {21, 0.10, 3.345675924520792},
               {25, 0.05, 3.6578606730719927}, {30, 0.10, 3.533492393480018},
               {50, 0.05, 3.9923432900094076}, {50, 0.10, 3.7877496141945874}};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        IMP_ASSERT_INT_EQ(imp_stats_nemenyi_q(big[i].k, big[i].a, &q, NULL), 0);
        IMP_ASSERT_NEAR(q, big[i].q, 1e-6);
    }
    /* Non-table alpha with k <= 20 also goes numeric (scipy: k = 10, alpha 0.05 -> 3.163684). */
    IMP_ASSERT_INT_EQ(imp_stats_nemenyi_q(10, 0.0500000001, &q, NULL), 0);
    IMP_ASSERT_NEAR(q, 3.163683577053373, 1e-6);

    /* Bars: sorted ranks 1.0 1.5 2.0 | 3.5 4.0 with CD 1.0 -> [1.0..2.0] and [3.5..4.0];
     * [1.5..2.0] is nested. Input order is scrambled; members come back best first. */
    const double mr[5] = {3.5, 1.0, 4.0, 2.0, 1.5};
    imp_cliques c;
    IMP_ASSERT_INT_EQ(imp_stats_nemenyi_bars(mr, 5, 1.0, &c, NULL), 0);
    IMP_ASSERT_INT_EQ(c.n, 2);
    if (c.n == 2) {
        assert_clique(&c, 0, (const size_t[]){1, 4, 3}, 3);
        assert_clique(&c, 1, (const size_t[]){0, 2}, 2);
    }
    imp_cliques_free(&c);
    IMP_ASSERT_INT_EQ(imp_stats_nemenyi_bars(mr, 5, 0.1, &c, NULL), 0);
    IMP_ASSERT_INT_EQ(c.n, 0);
    imp_cliques_free(&c);
}

/* Paper-like case: 5 methods, 48 voters, a fixed strict order on every voter (Oracle > Ours >
 * Qi > Janson > Hosoda). Every pair: 48 one-signed, untied differences (i-j)(10 + 0.001 v^2)
 * -> exact p = 2^-47, all significant. */
static void test_cd_run(void)
{
    enum { M = 5, N = 48 };
    double A[M * N];
    for (int i = 0; i < M; i++)
        for (int v = 0; v < N; v++)
            A[i * N + v] = 50.0 + 10.0 * i + 0.1 * v + 0.001 * v * v * (i + 1);
    imp_cd_result r;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cd_run(A, M, N, NULL, &r, &err), 0);
    IMP_ASSERT_INT_EQ(r.K, 10);
    /* Friedman with perfect agreement: chi2 = 12N/(k(k+1)) (sum R^2 - k(k+1)^2/4) = 192. */
    IMP_ASSERT_REL(r.friedman.statistic, 192.0, 1e-12);
    IMP_ASSERT_INT_EQ(r.friedman_significant, 1);
    for (size_t k = 0; k < r.K; k++) {
        IMP_ASSERT_REL(r.pair[k].p, ldexp(1.0, -47), 1e-14);
        IMP_ASSERT_INT_EQ(r.significant[k], 1);
    }
    for (int i = 0; i < M; i++) {
        IMP_ASSERT_NEAR(r.rank[i], (double)(M - i), 0);
        IMP_ASSERT_INT_EQ(r.order[i], M - 1 - i);
    }
    IMP_ASSERT_INT_EQ(r.cliques.n, 0);
    imp_cd_result_free(&r);

    /* Rows 1 and 2 identical: by default tested (p = 1) and joined in a clique; with the
     * reference's compat flag they are "significant" and never share a bar. */
    const double B[4 * 6] = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, /**/ 0.3, 0.1, 0.5, 0.2, 0.6, 0.4,
                             0.3, 0.1, 0.5, 0.2, 0.6, 0.4, /**/ 0.9, 0.8, 0.9, 0.7, 0.9, 0.8};
    IMP_ASSERT_INT_EQ(imp_cd_run(B, 4, 6, NULL, &r, NULL), 0);
    size_t k12 = imp_stats_pair_index(1, 2, 4);
    IMP_ASSERT_INT_EQ(r.pair[k12].method, IMP_WILCOXON_IDENTICAL);
    IMP_ASSERT_NEAR(r.pair[k12].p, 1.0, 0);
    IMP_ASSERT_INT_EQ(r.significant[k12], 0);
    /* n = 6 exact: every p >= 2/64 > alpha/6, so Holm rejects nothing and all 4 share one
     * clique, listed best first (row 3 has rank 1 everywhere). */
    IMP_ASSERT_INT_EQ(r.cliques.n, 1);
    if (r.cliques.n == 1) {
        IMP_ASSERT_INT_EQ(r.cliques.off[1], 4);
        IMP_ASSERT_INT_EQ(r.cliques.members[0], 3);
    }
    imp_cd_result_free(&r);
    imp_cd_opts o = {.alpha = 0.05, .compat_identical_significant = 1};
    IMP_ASSERT_INT_EQ(imp_cd_run(B, 4, 6, &o, &r, NULL), 0);
    IMP_ASSERT_NEAR(r.pair[k12].p, 0.0, 0);
    IMP_ASSERT_INT_EQ(r.significant[k12], 1);
    IMP_ASSERT_INT_EQ(r.cliques.n, 2); /* {3,0,1} and {3,0,2}, by rank position */
    for (size_t q = 0; q < r.cliques.n; q++) {
        int has1 = 0, has2 = 0;
        for (size_t t = r.cliques.off[q]; t < r.cliques.off[q + 1]; t++)
            has1 |= r.cliques.members[t] == 1, has2 |= r.cliques.members[t] == 2;
        IMP_ASSERT_INT_EQ(has1 && has2, 0);
    }
    imp_cd_result_free(&r);
    /* The same with room for one clique only: the groups fall back to runs. All four mean
     * ranks are 3 but row 3's (1 everywhere), so the rank positions are rows 3, 0, 1, 2 and
     * only positions 2–3 (rows 1, 2) differ: one run, positions 0..2 = rows 3, 0, 1. */
    o.max_cliques = 1;
    IMP_ASSERT_INT_EQ(imp_cd_run(B, 4, 6, &o, &r, NULL), 0);
    IMP_ASSERT_INT_EQ(r.groups_fallback, 1);
    IMP_ASSERT_INT_EQ(r.groups, IMP_GROUPS_INTERVALS);
    IMP_ASSERT_INT_EQ(r.cliques.n, 1);
    if (r.cliques.n == 1) {
        IMP_ASSERT_INT_EQ(r.cliques.off[1], 3);
        IMP_ASSERT_INT_EQ(r.cliques.members[0], 3);
        IMP_ASSERT_INT_EQ(r.cliques.members[1], 0);
        IMP_ASSERT_INT_EQ(r.cliques.members[2], 1);
    }
    imp_cd_result_free(&r);
    /* asked for directly: the same run, no fallback */
    o = (imp_cd_opts){.alpha = 0.05, .compat_identical_significant = 1,
                      .groups = IMP_GROUPS_INTERVALS};
    IMP_ASSERT_INT_EQ(imp_cd_run(B, 4, 6, &o, &r, NULL), 0);
    IMP_ASSERT_INT_EQ(r.groups_fallback, 0);
    IMP_ASSERT_INT_EQ(r.cliques.n, 1);
    imp_cd_result_free(&r);

    double bad[4] = {1, 2, INFINITY, 4};
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cd_run(bad, 2, 2, NULL, &r, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "competitor 1 on voter 0");
}

int main(void)
{
    const imp_test tests[] = {{"wilcoxon exact n=5,10,20,48,50", test_wilcoxon_exact},
                              {"wilcoxon approx ties/zeros", test_wilcoxon_approx_ties_zeros},
                              {"wilcoxon identical", test_wilcoxon_identical},
                              {"median of seeds", test_median},
                              {"average and dense ranks", test_ranks},
                              {"friedman with ties", test_friedman},
                              {"chi2 and F tails", test_distributions},
                              {"holm step-down", test_holm},
                              {"bron-kerbosch cliques", test_cliques},
                              {"interval groups", test_interval_groups},
                              {"nemenyi", test_nemenyi},
                              {"cd pipeline", test_cd_run},
                              {NULL, NULL}};
    return imp_test_main("stats", tests);
}
