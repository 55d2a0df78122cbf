/* test_core.c — NORM, GEN and AGG on small cases worked out by hand (or with numpy, as
 * noted), tie rules included. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/cell.h"
#include "imprint/infer.h"
#include "imprint/lstsq.h"
#include "imprint/norm.h"
#include "imprint/proxy.h"
#include "imprint/rng.h"
#include "testutil.h"

/* grouped data from a flat array and class sizes */
static imp_data make_data(const float *X, size_t d, const size_t *sizes, int C)
{
    imp_data D = {0};
    D.d = d;
    D.n_classes = C;
    D.offset = calloc((size_t)C + 1, sizeof(size_t));
    for (int c = 0; c < C; c++)
        D.offset[c + 1] = D.offset[c] + sizes[c];
    D.n = D.offset[C];
    D.X = malloc(D.n * d * sizeof(float));
    memcpy(D.X, X, D.n * d * sizeof(float));
    return D;
}

static imp_proxies make_proxies(const float *W, size_t d, const size_t *sizes, int C)
{
    imp_data D = make_data(W, d, sizes, C);
    imp_proxies p = {.P = D.n, .d = d, .n_classes = C, .offset = D.offset, .W = D.X};
    return p;
}

static void test_l2(void)
{
    float x[6] = {3, 4, 0, 0, 0, 0};
    imp_l2_rows(x, x, 2, 3);
    IMP_ASSERT_NEAR(x[0], 0.6, 1e-7);
    IMP_ASSERT_NEAR(x[1], 0.8, 1e-7);
    IMP_ASSERT_NEAR(x[3], 0.0, 0); /* zero row stays zero: max(‖x‖, 1e-12) */
    float y[4] = {0, 0, 1, 1};
    imp_l2_rows_noeps(y, 2, 2);
    IMP_ASSERT_NEAR(y[0], 0.0, 0); /* NORMpre: a zero row stays zero (README "Deliberate differences") */
    IMP_ASSERT_NEAR(y[2], 0.70710678, 1e-7);
}

static void test_quantile(void)
{
    /* ref [1,2,3,4], d = 2: q = 0.25, 0.75 → pos 0.75, 2.25 → y = 1.75, 3.25 */
    float ref[4] = {4, 1, 3, 2};
    float y[2];
    IMP_ASSERT_INT_EQ(imp_quantile_values(ref, 4, 2, y, NULL), 0);
    IMP_ASSERT_NEAR(y[0], 1.75, 1e-6);
    IMP_ASSERT_NEAR(y[1], 3.25, 1e-6);
    float P[4] = {10, -5, -1, 2}; /* rows placed by rank order */
    IMP_ASSERT_INT_EQ(imp_quantile_norm(P, 2, 2, ref, 4, NULL), 0);
    IMP_ASSERT_NEAR(P[0], 3.25, 1e-6);
    IMP_ASSERT_NEAR(P[1], 1.75, 1e-6);
    IMP_ASSERT_NEAR(P[2], 1.75, 1e-6);
    IMP_ASSERT_NEAR(P[3], 3.25, 1e-6);
    float T[2] = {7, 7}; /* ties keep index order */
    imp_quantile_norm(T, 1, 2, ref, 4, NULL);
    IMP_ASSERT_NEAR(T[0], 1.75, 1e-6);
    IMP_ASSERT_NEAR(T[1], 3.25, 1e-6);
    /* NORMpost quantile over three classes of d = 2: class 0 unchanged; class 1 gets the
     * quantiles of class 0's weights; class 2 those of classes 0 and 1 (after class 1 changed). */
    float W[8] = {0, 8, /* c0 */ 5, 1, /* c1 */ 3, 9, 2, 2 /* c2: two proxies */};
    size_t sizes[3] = {1, 1, 2};
    imp_proxies px = make_proxies(W, 2, sizes, 3);
    IMP_ASSERT_INT_EQ(imp_norm_post(px.W, px.offset, px.n_classes, px.d, IMP_NORM_QUANTILE, NULL), 0);
    IMP_ASSERT_NEAR(px.W[0], 0, 0);
    IMP_ASSERT_NEAR(px.W[1], 8, 0);
    /* ref {0,8}: q .25 → 2, q .75 → 6; class 1 row (5,1) → (6,2) */
    IMP_ASSERT_NEAR(px.W[2], 6, 1e-6);
    IMP_ASSERT_NEAR(px.W[3], 2, 1e-6);
    /* ref {0,8,6,2} sorted 0,2,6,8: pos .75 → 1.5, pos 2.25 → 6.5; (3,9) → (1.5,6.5); (2,2) ties */
    IMP_ASSERT_NEAR(px.W[4], 1.5, 1e-6);
    IMP_ASSERT_NEAR(px.W[5], 6.5, 1e-6);
    IMP_ASSERT_NEAR(px.W[6], 1.5, 1e-6);
    IMP_ASSERT_NEAR(px.W[7], 6.5, 1e-6);
    imp_proxies_free(&px);
}

static void test_quantile_subsample(void)
{
    /* M = 2^24 + 2 > 2^24: the reference keeps every 2nd value. With odd positions = 1000 and
     * even = 0, the stride-2 subsample is all zeros, while the full vector's upper quantiles
     * would be 1000: so every y must be 0. */
    size_t M = ((size_t)1 << 24) + 2;
    float *ref = malloc(M * sizeof *ref);
    for (size_t i = 0; i < M; i++)
        ref[i] = (i & 1) ? 1000.0f : 0.0f;
    float y[4];
    IMP_ASSERT_INT_EQ(imp_quantile_values(ref, M, 4, y, NULL), 0);
    for (int j = 0; j < 4; j++)
        IMP_ASSERT_NEAR(y[j], 0, 0);
    IMP_ASSERT_INT_EQ(imp_quantile_values(ref, 1u << 24, 4, y, NULL), 0); /* no subsampling */
    IMP_ASSERT_NEAR(y[3], 1000, 0);
    free(ref);
}

static imp_gen_params gp_of(imp_gen g, int k)
{
    imp_gen_params gp = {.gen = g, .k = k, .shot = -1, .seed = 5, .task_hash = 77, .lambda = 0.5,
                         .threads = 1};
    return gp;
}

static void test_gen_mean_all_small(void)
{
    /* class 0: (0,0) (2,0) (0,2) (2,2) → mean (1,1); class 1: one row (5,5) */
    float X[10] = {0, 0, 2, 0, 0, 2, 2, 2, 5, 5};
    size_t sizes[2] = {4, 1};
    imp_data D = make_data(X, 2, sizes, 2);
    imp_proxies px;
    imp_gen_params gp = gp_of(IMP_GEN_MEAN, 1);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_INT_EQ(px.P, 2);
    IMP_ASSERT_NEAR(px.W[0], 1, 0);
    IMP_ASSERT_NEAR(px.W[1], 1, 0);
    IMP_ASSERT_NEAR(px.W[2], 5, 0);
    imp_proxies_free(&px);
    gp = gp_of(IMP_GEN_ALL, -1);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_INT_EQ(px.P, 5);
    IMP_ASSERT_INT_EQ(px.offset[1], 4);
    IMP_ASSERT_NEAR(px.W[6], 2, 0);
    imp_proxies_free(&px);
    /* k larger than a class: every row of that class is a proxy (class 1 has 1 row) */
    gp = gp_of(IMP_GEN_COVMAX, 3);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_INT_EQ(px.offset[1], 3);
    IMP_ASSERT_INT_EQ(px.P, 4);
    imp_proxies_free(&px);
    gp = gp_of(IMP_GEN_KMEDOIDS, 5);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_INT_EQ(px.P, 5); /* n = 4 < 5 → the 4 rows; n = 1 < 5 → the row */
    IMP_ASSERT_NEAR(px.W[2], 2, 0);
    imp_proxies_free(&px);
    imp_data_free(&D);
}

static void test_gen_kmedoids(void)
{
    /* points on a line 0,1,2,10,11; row sums 24,21,20,28,31 → init medoids [2, 1];
     * iteration 1 moves medoid 0 to 10 (cost 9 < 17); iteration 2 changes nothing.
     * Proxies: (10,0), (1,0). */
    float X[10] = {0, 0, 1, 0, 2, 0, 10, 0, 11, 0};
    size_t sizes[1] = {5};
    imp_data D = make_data(X, 2, sizes, 1);
    imp_proxies px;
    imp_gen_params gp = gp_of(IMP_GEN_KMEDOIDS, 2);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_NEAR(px.W[0], 10, 0);
    IMP_ASSERT_NEAR(px.W[2], 1, 0);
    imp_proxies_free(&px);
    imp_data_free(&D);
}

static void test_gen_covmax_fps_random(void)
{
    /* covmax scores from numpy: np.cov(X).sum(axis=0) = [5.625, -1.5, 0, 2.625] → k = 2
     * picks rows 0 then 3 */
    float X[12] = {4, 0, 0.5f, 0, 2, 0, 1, 1, 1, 3, 0.5f, 2};
    size_t sizes[1] = {4};
    imp_data D = make_data(X, 3, sizes, 1);
    imp_proxies px;
    imp_gen_params gp = gp_of(IMP_GEN_COVMAX, 2);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_NEAR(px.W[0], 4, 0);
    IMP_ASSERT_NEAR(px.W[3], 3, 0);
    imp_proxies_free(&px);
    /* fps: the start row is the documented draw imp_rng_below(n) of stream FPS of
     * (seed, task, class 0); from row s the next is the farthest row. Distances:
     * rows 0..3 = (4,0,.5) (0,2,0) (1,1,1) (3,.5,2). */
    imp_rng r;
    imp_rng_init(&r, 5, 77, 0, IMP_RNG_FPS);
    size_t s = (size_t)imp_rng_below(&r, 4);
    /* farthest from each possible start (squared distances computed by hand):
     * from 0: to1 20.25, to2 9.25, to3 3.5 → 1; from 1: to0 20.25, to2 3, to3 15.25 → 0;
     * from 2: to0 9.25, to1 3, to3 5.25 → 0; from 3: to0 3.5, to1 15.25, to2 5.25 → 1 */
    const size_t far[4] = {1, 0, 0, 1};
    gp = gp_of(IMP_GEN_FPS, 2);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_NEAR(px.W[0], X[3 * s], 0);
    IMP_ASSERT_NEAR(px.W[3], X[3 * far[s]], 0);
    IMP_ASSERT_NEAR(px.W[4], X[3 * far[s] + 1], 0);
    imp_proxies_free(&px);
    /* random: rows of imp_rng_perm_prefix on stream RANDOM, in draw order */
    imp_rng_init(&r, 5, 77, 0, IMP_RNG_RANDOM);
    size_t idx[4];
    imp_rng_perm_prefix(&r, 4, 2, idx);
    gp = gp_of(IMP_GEN_RANDOM, 2);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_NEAR(px.W[0], X[3 * idx[0]], 0);
    IMP_ASSERT_NEAR(px.W[3], X[3 * idx[1]], 0);
    CU_ASSERT(idx[0] != idx[1]);
    imp_proxies_free(&px);
    imp_data_free(&D);
}

static void test_gen_ls(void)
{
    /* class 0: (1,0) (3,0), class 1: (0,2); N = 3, λ = 0.5:
     * A = XᵀX/3 + λI = diag(10/3 + 1/2, 4/3 + 1/2) = diag(23/6, 11/6);
     * w_c = (1/2) A⁻¹ μ_c: w0 = (6/23, 0), w1 = (0, 6/11) */
    float X[6] = {1, 0, 3, 0, 0, 2};
    size_t sizes[2] = {2, 1};
    imp_data D = make_data(X, 2, sizes, 2);
    imp_proxies px;
    imp_gen_params gp = gp_of(IMP_GEN_LS, 1);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_NEAR(px.W[0], 6.0 / 23.0, 1e-7);
    IMP_ASSERT_NEAR(px.W[1], 0, 1e-7);
    IMP_ASSERT_NEAR(px.W[2], 0, 1e-7);
    IMP_ASSERT_NEAR(px.W[3], 6.0 / 11.0, 1e-7);
    /* kls with k = 1 is ls, bit for bit */
    imp_proxies pk;
    gp = gp_of(IMP_GEN_KLS, 1);
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &pk, NULL), 0);
    IMP_ASSERT_INT_EQ(memcmp(px.W, pk.W, 4 * sizeof(float)), 0);
    imp_proxies_free(&pk);
    imp_proxies_free(&px);
    /* kls with k = 2: class 1 has 1 < 2 rows → its raw row is its proxy and it is left out of
     * the system; class 0 splits into clusters {(1,0)} and {(3,0)}: N' = 2, C' = 2,
     * A' = diag(10/2 + .5, 0 + .5) = diag(5.5, .5); w = (1/2) A'⁻¹ μ → (1/11, 0), (3/11, 0)
     * in cluster-label order (either order is a valid k-means labelling). */
    gp = gp_of(IMP_GEN_KLS, 2);
    int rc = imp_gen_run(&D, &gp, &pk, NULL);
    IMP_ASSERT_INT_EQ(rc, 0);
    if (!rc) {
        IMP_ASSERT_INT_EQ(pk.P, 3);
        double a = pk.W[0], b = pk.W[2];
        IMP_ASSERT_NEAR(a < b ? a : b, 1.0 / 11.0, 1e-7);
        IMP_ASSERT_NEAR(a < b ? b : a, 3.0 / 11.0, 1e-7);
        IMP_ASSERT_NEAR(pk.W[5], 2, 0); /* raw row of class 1 */
        imp_proxies_free(&pk);
    }
    imp_data_free(&D);
}

static void test_ls_normal_equations(void)
{
    /* random 3-class problem: W must satisfy A w_c = μ_c / C with A = XᵀX/N + λI, A built
     * here in double independently of the SYRK path; relative residual ≤ 1e-4 */
    enum { d = 6, n0 = 40, n1 = 25, n2 = 33, N = n0 + n1 + n2 };
    float X[N * d];
    imp_rng r;
    imp_rng_init(&r, 1, 2, 3, 4);
    for (int i = 0; i < N * d; i++)
        X[i] = (float)imp_rng_normal(&r) + (float)(i % d == (i / d) % 3 ? 2 : 0);
    size_t goff[4] = {0, n0, n0 + n1, N};
    float W[3 * d];
    double lambda = 0.01;
    IMP_ASSERT_INT_EQ(imp_lstsq_weights(X, d, goff, 3, lambda, 2, W, NULL), 0);
    double A[d][d] = {{0}};
    for (int i = 0; i < N; i++)
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
                A[a][b] += (double)X[i * d + a] * X[i * d + b] / N;
    for (int a = 0; a < d; a++)
        A[a][a] += lambda;
    for (int g = 0; g < 3; g++) {
        double mu[d] = {0}, res = 0, nrm = 0;
        for (size_t i = goff[g]; i < goff[g + 1]; i++)
            for (int a = 0; a < d; a++)
                mu[a] += X[i * d + a] / (double)(goff[g + 1] - goff[g]) / 3.0;
        for (int a = 0; a < d; a++) {
            double t = 0;
            for (int b = 0; b < d; b++)
                t += A[a][b] * W[g * d + b];
            res += (t - mu[a]) * (t - mu[a]);
            nrm += mu[a] * mu[a];
        }
        CU_ASSERT(sqrt(res / nrm) <= 1e-4);
        IMP_ASSERT_NEAR(sqrt(res / nrm), 0, 1e-4);
    }
}

static void test_shot(void)
{
    /* shot 2 of a 5-row class draws imp_rng_perm_prefix(5, 2) of stream SHOT; mean of them */
    float X[10] = {1, 0, 2, 0, 4, 0, 8, 0, 16, 0};
    size_t sizes[1] = {5};
    imp_data D = make_data(X, 2, sizes, 1);
    imp_rng r;
    imp_rng_init(&r, 5, 77, 0, IMP_RNG_SHOT);
    size_t idx[5];
    imp_rng_perm_prefix(&r, 5, 2, idx);
    imp_gen_params gp = gp_of(IMP_GEN_MEAN, 1);
    gp.shot = 2;
    imp_proxies px;
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_NEAR(px.W[0], (X[2 * idx[0]] + X[2 * idx[1]]) / 2, 0);
    imp_proxies_free(&px);
    gp.shot = 50; /* more than the class: the whole class */
    IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &px, NULL), 0);
    IMP_ASSERT_NEAR(px.W[0], 31.0 / 5.0, 1e-6);
    imp_proxies_free(&px);
    imp_data_free(&D);
}

static imp_strategy strat(const char *text)
{
    imp_strategy s;
    CU_ASSERT_EQUAL(imp_strategy_parse(text, &s, NULL), 0);
    return s;
}

static void predict(const imp_proxies *px, const float *x, size_t n, const char *st, int32_t *pred)
{
    size_t sizes[2] = {n, 0};
    imp_data T = make_data(x, px->d, sizes, 1);
    /* pretend every row is class 0 for the count; we only read predictions */
    free(T.offset);
    T.offset = calloc((size_t)px->n_classes + 1, sizeof(size_t));
    for (int c = 1; c <= px->n_classes; c++)
        T.offset[c] = n;
    T.n_classes = px->n_classes;
    imp_strategy s = strat(st);
    imp_infer_result ir;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_infer(px, &T, &s, 2, pred, &ir, &err), 0);
    imp_data_free(&T);
}

static void test_agg_max_and_ties(void)
{
    /* class 0: (1,0) (0,1); class 1: (0.9,0.9). x=(1,0.2): s0 = 1, s1 = 1.08 → 1.
     * x=(1,0): s0 = 1, s1 = 0.9 → 0. x=(0.5,0.5): s0 = .5, s1 = .9 → 1.
     * tie: class 2 = (1,0) duplicate of class 0's → x = (1,0) ties 0 and 2 → lowest = 0 */
    float W[8] = {1, 0, 0, 1, 0.9f, 0.9f, 1, 0};
    size_t sizes[3] = {2, 1, 1};
    imp_proxies px = make_proxies(W, 2, sizes, 3);
    float x[6] = {1, 0.2f, 1, 0, 0.5f, 0.5f};
    int32_t pred[3];
    predict(&px, x, 3, "none/mean/none/none/max", pred);
    IMP_ASSERT_INT_EQ(pred[0], 1);
    IMP_ASSERT_INT_EQ(pred[1], 0);
    IMP_ASSERT_INT_EQ(pred[2], 1);
    /* NORMinf l2 does not change argmax of inner products per row; x scaled by 10 same */
    float x10[6] = {10, 2, 10, 0, 5, 5};
    predict(&px, x10, 3, "none/mean/none/l2/max", pred);
    IMP_ASSERT_INT_EQ(pred[0], 1);
    IMP_ASSERT_INT_EQ(pred[1], 0);
    imp_proxies_free(&px);
    /* nn:euclidean, equal distances go to the lower proxy (class 0 at (0,0), class 1 at (2,0)) */
    float W2[4] = {0, 0, 2, 0};
    size_t s2[2] = {1, 1};
    px = make_proxies(W2, 2, s2, 2);
    float x2[4] = {1, 0, 1.1f, 0};
    predict(&px, x2, 2, "none/mean/none/none/nn:euclidean", pred);
    IMP_ASSERT_INT_EQ(pred[0], 0);
    IMP_ASSERT_INT_EQ(pred[1], 1);
    imp_proxies_free(&px);
}

static void test_agg_metrics(void)
{
    /* proxies: class 0 rows (0,0) (1,0.2); class 1 rows (0.1,1) (2,2.5). Nearest proxies from
     * numpy (mahalanobis with V = inv(np.cov(W.T) + 1e-6 I), manhattan, cosine with a zero
     * vector at distance 1, as sklearn):
     * x        mahal  manh  cos
     * (.5,.5)    0     1     3
     * (1.5,1)    1     1     3
     * (0,.9)     2     2     2
     * (1.2,0)    1     1     1   → classes via proxy → class */
    float W[8] = {0, 0, 1, 0.2f, 0.1f, 1, 2, 2.5f};
    size_t sizes[2] = {2, 2};
    imp_proxies px = make_proxies(W, 2, sizes, 2);
    float x[8] = {0.5f, 0.5f, 1.5f, 1, 0, 0.9f, 1.2f, 0};
    int32_t pred[4];
    const int cls_of[4] = {0, 0, 1, 1};
    const int mah[4] = {0, 1, 2, 1}, man[4] = {1, 1, 2, 1}, cosn[4] = {3, 3, 2, 1};
    predict(&px, x, 4, "none/mean/none/none/nn:mahalanobis", pred);
    for (int i = 0; i < 4; i++)
        IMP_ASSERT_INT_EQ(pred[i], cls_of[mah[i]]);
    predict(&px, x, 4, "none/mean/none/none/nn:manhattan", pred);
    for (int i = 0; i < 4; i++)
        IMP_ASSERT_INT_EQ(pred[i], cls_of[man[i]]);
    predict(&px, x, 4, "none/mean/none/none/nn:cosine", pred);
    for (int i = 0; i < 4; i++)
        IMP_ASSERT_INT_EQ(pred[i], cls_of[cosn[i]]);
    /* mnn:3 uniform at x = (1.2, 0): euclidean distances 1.2, .283, 1.487, 2.69 → nearest 3 =
     * proxies 1 (c0), 0 (c0), 2 (c1) → votes 2:1 → class 0. With distance weights: 1/1.2 +
     * 1/.283 vs 1/1.487 → class 0 as well; at x = (0.1,0.95): d = .955, 1.18, .05, 2.35:
     * nearest 3 = 2 (c1), 0 (c0), 1 (c0) → uniform votes 1:2 → class 0; distance weights
     * 1/.05 = 20 vs 1/.955 + 1/1.18 = 1.89 → class 1 */
    float x3[4] = {1.2f, 0, 0.1f, 0.95f};
    predict(&px, x3, 2, "none/mean/none/none/mnn:3:euclidean:uniform", pred);
    IMP_ASSERT_INT_EQ(pred[0], 0);
    IMP_ASSERT_INT_EQ(pred[1], 0);
    predict(&px, x3, 2, "none/mean/none/none/mnn:3:euclidean:distance", pred);
    IMP_ASSERT_INT_EQ(pred[0], 0);
    IMP_ASSERT_INT_EQ(pred[1], 1);
    /* m larger than the proxies is clamped: 4 votes 2:2 → tie → lowest class 0 */
    predict(&px, x3, 2, "none/mean/none/none/mnn:9:euclidean:uniform", pred);
    IMP_ASSERT_INT_EQ(pred[0], 0);
    IMP_ASSERT_INT_EQ(pred[1], 0);
    imp_proxies_free(&px);
    /* mahalanobis with one proxy cannot work: failure, not a crash */
    float W1[2] = {1, 1};
    size_t s1[1] = {1};
    px = make_proxies(W1, 2, s1, 1);
    imp_data T = make_data(x, 2, (size_t[]){4}, 1);
    imp_strategy s = strat("none/mean/none/none/nn:mahalanobis");
    imp_infer_result ir;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_infer(&px, &T, &s, 1, NULL, &ir, &err), IMP_ENUMERIC);
    IMP_ASSERT_STR_CONTAINS(err.msg, "at least 2 proxies");
    imp_data_free(&T);
    imp_proxies_free(&px);
}

static void test_cell_accuracy(void)
{
    /* two classes, nearest class mean: train class 0 around (0,0), class 1 around (4,0);
     * test rows: class 0: (1,0) ok, (3,0) wrong; class 1: (5,0) ok, (2.5,0) ok → 75 % */
    float tr[8] = {-1, 0, 1, 0, 3, 0, 5, 0};
    float te[8] = {1, 0, 3, 0, 5, 0, 2.5f, 0};
    size_t s[2] = {2, 2};
    imp_data Dtr = make_data(tr, 2, s, 2), Dte = make_data(te, 2, s, 2);
    imp_cell_spec spec = {.strat = strat("none/mean/none/none/nn:euclidean"), .k = 1, .shot = -1,
                          .seed = 1, .task_hash = 1, .lambda = 0.1, .threads = 1};
    imp_cell_out co;
    IMP_ASSERT_INT_EQ(imp_cell_run(&Dtr, &Dte, &spec, &co, NULL), 0);
    IMP_ASSERT_NEAR(co.accuracy, 75.0, 0);
    IMP_ASSERT_INT_EQ(co.n_proxies, 2);
    IMP_ASSERT_INT_EQ(co.correct, 3);
    imp_data_free(&Dtr);
    imp_data_free(&Dte);
}

/* ls and kls at every k through one GEN cache give the same proxies, bit for bit, as each
 * computed alone, and the factor is computed once per set of participating classes: here
 * classes of 12, 30 and 25 rows, so ls, kls k=2,5,10 share one factor and kls k=20 (class 0
 * keeps its raw rows) needs a second. */
static void test_gen_cache_shared_ls(void)
{
    enum { d = 6 };
    size_t sizes[3] = {12, 30, 25}, n = 67;
    float *X = malloc(n * d * sizeof *X);
    imp_rng r;
    imp_rng_init(&r, 3, 1, 4, 1);
    for (size_t i = 0; i < n * d; i++)
        X[i] = (float)imp_rng_normal(&r);
    imp_data D = make_data(X, d, sizes, 3);
    imp_gen_cache *cache;
    IMP_ASSERT_INT_EQ(imp_gen_cache_create(&cache, NULL), 0);
    static const struct { imp_gen gen; int k; } runs[] = {
        {IMP_GEN_LS, 1}, {IMP_GEN_KLS, 2}, {IMP_GEN_KLS, 5}, {IMP_GEN_KLS, 10},
        {IMP_GEN_KLS, 20}, {IMP_GEN_KLS, 5}, {IMP_GEN_KLS, 20}};
    for (size_t q = 0; q < sizeof runs / sizeof *runs; q++) {
        imp_gen_params gp = {.gen = runs[q].gen, .k = runs[q].k, .shot = -1, .seed = 9,
                             .task_hash = 2, .lambda = 1e-2, .threads = 2};
        imp_proxies a, b;
        imp_err err;
        IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &a, &err), 0);
        gp.cache = cache;
        IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &b, &err), 0);
        IMP_ASSERT_INT_EQ(a.P, b.P);
        IMP_ASSERT_INT_EQ(memcmp(a.W, b.W, a.P * d * sizeof(float)), 0);
        imp_proxies_free(&a);
        imp_proxies_free(&b);
    }
    size_t hits, misses;
    imp_gen_cache_stats(cache, &hits, &misses);
    IMP_ASSERT_INT_EQ(misses, 2);
    IMP_ASSERT_INT_EQ(hits, 5);
    /* kmedoids at k = 1, 3, 5, twice: the shared row sums give the same medoids */
    for (int rep = 0; rep < 2; rep++)
        for (int k = 1; k <= 5; k += 2) {
            imp_gen_params gp = {.gen = IMP_GEN_KMEDOIDS, .k = k, .shot = -1, .seed = 9,
                                 .task_hash = 2, .threads = 2};
            imp_proxies a, b;
            imp_err err;
            IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &a, &err), 0);
            gp.cache = cache;
            IMP_ASSERT_INT_EQ(imp_gen_run(&D, &gp, &b, &err), 0);
            IMP_ASSERT_INT_EQ(a.P, 3 * (size_t)k);
            IMP_ASSERT_INT_EQ(memcmp(a.W, b.W, a.P * d * sizeof(float)), 0);
            imp_proxies_free(&a);
            imp_proxies_free(&b);
        }
    imp_gen_cache_stats(cache, &hits, &misses);
    IMP_ASSERT_INT_EQ(misses, 3); /* + the row sums of the one (rows, shot) */
    IMP_ASSERT_INT_EQ(hits, 10);  /* + 5 kmedoids runs on sums already there */
    imp_gen_cache_destroy(cache);
    imp_data_free(&D);
    free(X);
}

int main(void)
{
    static const imp_test tests[] = {
        {"l2", test_l2},
        {"quantile", test_quantile},
        {"quantile_subsample", test_quantile_subsample},
        {"gen_mean_all_small", test_gen_mean_all_small},
        {"gen_kmedoids", test_gen_kmedoids},
        {"gen_covmax_fps_random", test_gen_covmax_fps_random},
        {"gen_ls", test_gen_ls},
        {"ls_normal_equations", test_ls_normal_equations},
        {"shot", test_shot},
        {"agg_max_and_ties", test_agg_max_and_ties},
        {"agg_metrics", test_agg_metrics},
        {"cell_accuracy", test_cell_accuracy},
        {"gen_cache_shared_ls", test_gen_cache_shared_ls},
        {NULL, NULL},
    };
    return imp_test_main("core", tests);
}
