/* test_distance.c — the distance kernels: Manhattan AVX2 = portable = the plain double loop,
 * bit for bit; Mahalanobis = the direct quadratic form, and on a singular covariance the
 * analytic value within distance.c's proved bound. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/distance.h"
#include "imprint/rng.h"
#include "testutil.h"

/* Σ_a |x_a − w_a| in double, index order: the reference loop the kernels must equal. */
static double l1_direct(const float *x, const float *w, size_t d)
{
    double t = 0;
    for (size_t a = 0; a < d; a++)
        t += fabs((double)x[a] - (double)w[a]);
    return t;
}

static void check_l1(size_t nx, size_t P, size_t d, int generic)
{
    imp_rng r;
    imp_rng_init(&r, 5, nx, P, d);
    float *X = malloc(nx * d * sizeof *X), *W = malloc(P * d * sizeof *W);
    float *pk = malloc(imp_l1_packed_size(P, d) * sizeof *pk);
    double *D = malloc(nx * P * sizeof *D);
    /* magnitudes spread over 2^-10 .. 2^10 so that the double sums really round */
    for (size_t i = 0; i < nx * d; i++)
        X[i] = (float)(imp_rng_normal(&r) * ldexp(1.0, (int)imp_rng_below(&r, 21) - 10));
    for (size_t i = 0; i < P * d; i++)
        W[i] = (float)(imp_rng_normal(&r) * ldexp(1.0, (int)imp_rng_below(&r, 21) - 10));
    imp_l1_pack(W, P, d, pk);
    imp_l1_kernel(generic);
    imp_l1_block(X, nx, pk, P, d, D, P);
    size_t same = 0;
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < P; j++)
            same += memcmp(&D[i * P + j], &(double){l1_direct(X + i * d, W + j * d, d)},
                           sizeof(double)) == 0;
    IMP_ASSERT_INT_EQ(same, nx * P);
    imp_l1_kernel(0);
    free(X), free(W), free(pk), free(D);
}

static void test_l1_bit_exact(void)
{
    /* rows not a multiple of the 4-row tile, proxies not a multiple of the 8-wide panel */
    static const size_t shapes[][3] = {{1, 1, 1}, {3, 7, 5}, {4, 8, 16}, {9, 21, 33},
                                       {13, 64, 512}, {6, 3, 784},
                                       {37, 100, 784}}; /* the last: 2 L2 chunks of panels */
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        check_l1(shapes[s][0], shapes[s][1], shapes[s][2], 0);
        check_l1(shapes[s][0], shapes[s][1], shapes[s][2], 1);
    }
}

static void test_l1_hand(void)
{
    /* |1-0|+|2-4|+|-3-(-3)| = 3 and |1-1.5|+|2-2|+|-3-1| = 4.5 */
    const float X[3] = {1, 2, -3}, W[6] = {0, 4, -3, 1.5f, 2, 1};
    float pk[3 * IMP_L1_PANEL];
    double D[2];
    imp_l1_pack(W, 2, 3, pk);
    imp_l1_block(X, 1, pk, 2, 3, D, 2);
    IMP_ASSERT_NEAR(D[0], 3.0, 0);
    IMP_ASSERT_NEAR(D[1], 4.5, 0);
}

/* 3×3 inverse by the adjugate, for the direct formula */
static void inv3(const double A[9], double V[9])
{
    double det = A[0] * (A[4] * A[8] - A[5] * A[7]) - A[1] * (A[3] * A[8] - A[5] * A[6]) +
                 A[2] * (A[3] * A[7] - A[4] * A[6]);
    V[0] = (A[4] * A[8] - A[5] * A[7]) / det;
    V[1] = (A[2] * A[7] - A[1] * A[8]) / det;
    V[2] = (A[1] * A[5] - A[2] * A[4]) / det;
    V[3] = (A[5] * A[6] - A[3] * A[8]) / det;
    V[4] = (A[0] * A[8] - A[2] * A[6]) / det;
    V[5] = (A[2] * A[3] - A[0] * A[5]) / det;
    V[6] = (A[3] * A[7] - A[4] * A[6]) / det;
    V[7] = (A[1] * A[6] - A[0] * A[7]) / det;
    V[8] = (A[0] * A[4] - A[1] * A[3]) / det;
}

static void test_mahalanobis_direct(void)
{
    enum { P = 5, d = 3 };
    const float W[P * d] = {1, 0, 2, 0, 1, 1, 2, 2, 0, -1, 0.5f, 1, 0.5f, -1, 3};
    const float X[2 * d] = {0.25f, 0.75f, 1, 2, -1, 0.5f};
    /* Cov(W), ddof 1, + 1e-6 I, inverted directly */
    double mu[d] = {0}, A[d * d] = {0}, V[d * d];
    for (int i = 0; i < P; i++)
        for (int a = 0; a < d; a++)
            mu[a] += W[i * d + a] / (double)P;
    for (int i = 0; i < P; i++)
        for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
                A[a * d + b] += (W[i * d + a] - mu[a]) * (W[i * d + b] - mu[b]) / (P - 1);
    for (int a = 0; a < d; a++)
        A[a * d + a] += 1e-6;
    inv3(A, V);
    imp_gram64 *g;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_gram64_create(W, P, d, 1, &g, &err), 0);
    double D[2 * P];
    IMP_ASSERT_INT_EQ(imp_gram64_block(g, X, 2, D, P), 0);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < P; j++) {
            double q = 0, z[d];
            for (int a = 0; a < d; a++)
                z[a] = (double)X[i * d + a] - W[j * d + a];
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++)
                    q += z[a] * V[a * d + b] * z[b];
            IMP_ASSERT_REL(D[i * P + j], q, 1e-12); /* float64 throughout */
        }
    imp_gram64_destroy(g);
    /* one proxy has no covariance */
    IMP_ASSERT_INT_EQ(imp_gram64_create(W, 1, d, 1, &g, &err), IMP_ENUMERIC);
    IMP_ASSERT_STR_CONTAINS(err.msg, "at least 2 proxies");
}

/* The case of issue 17, with an analytic answer: P = 4 proxies o ± s·v1, o ± s·v2 in d = 512
 * with v1 = e0 + e1, v2 = e2 − e3 + e4 − e5 (orthogonal), o a large common offset. Every value
 * is a float exactly, μ = o exactly, and Cov = (2s²/3)(v1v1ᵀ + v2v2ᵀ) has rank 2: eigenvalues
 * λ1 = 4s²/3, λ2 = 8s²/3 on v̂1, v̂2 and 0 on the 510 other directions (constant columns), so
 *   (x−w)ᵀV(x−w) = (v̂1·δ)²/(λ1+ε) + (v̂2·δ)²/(λ2+ε) + ‖δ − (v̂1·δ)v̂1 − (v̂2·δ)v̂2‖²/ε,
 * evaluated below in long double from the exact differences δ = x − w. Test rows sit ~1 away
 * from the proxies in the null directions, so xn ≈ 5e8 and the proxies differ by O(1) in D: a
 * float32 Gram form (ulp(5e8) = 32) cannot tell them apart; the float64 one must be within the
 * bound proved in distance.c, and so rank them as the analytic formula does. */
static void test_mahalanobis_singular(void)
{
    enum { P = 4, d = 512, NX = 64 };
    const double s = 1.0 / 32, eps = 1e-6;
    float *W = calloc(P * d, sizeof *W), *X = malloc(NX * d * sizeof *X);
    double *D = malloc(NX * P * sizeof *D);
    imp_rng r;
    imp_rng_init(&r, 17, 1, 2, 3);
    for (int j = 0; j < P; j++)
        for (int a = 0; a < d; a++)
            W[j * d + a] = (float)(100 + a % 7);
    const int v2[4] = {2, 3, 4, 5};
    for (int t = 0; t < 2; t++) {
        W[(0 + t) * d + 0] += (float)(t ? -s : s), W[(0 + t) * d + 1] += (float)(t ? -s : s);
        for (int q = 0; q < 4; q++)
            W[(2 + t) * d + v2[q]] += (float)((t ? -s : s) * (q % 2 ? -1 : 1));
    }
    for (int i = 0; i < NX; i++)
        for (int a = 0; a < d; a++) /* proxy-sized in the span, ~1 off it: quarter-unit grid */
            X[i * d + a] = (float)(100 + a % 7 + (a < 6 ? s * round(4 * imp_rng_normal(&r)) / 4
                                                       : round(4 * imp_rng_normal(&r)) / 4));
    imp_gram64 *g;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_gram64_create(W, P, d, 1, &g, &err), 0);
    IMP_ASSERT_INT_EQ(imp_gram64_block(g, X, NX, D, P), 0);
    const long double l1 = 4 * s * s / 3, l2 = 8 * s * s / 3;
    const double u = ldexp(1.0, -53), gam = d * u / (1 - d * u);
    size_t ranked = 0, hard = 0;
    for (int i = 0; i < NX; i++) {
        long double O[P], xn = 0;
        for (int j = 0; j < P; j++) {
            long double del[d], p1, p2, null = 0;
            for (int a = 0; a < d; a++)
                del[a] = (long double)X[i * d + a] - W[j * d + a];
            p1 = (del[0] + del[1]) / sqrtl(2);
            p2 = (del[2] - del[3] + del[4] - del[5]) / 2;
            for (int a = 0; a < d; a++) {
                long double e = del[a] - (a < 2 ? p1 / sqrtl(2) : 0) -
                                (a >= 2 && a < 6 ? p2 / 2 * (a % 2 ? -1 : 1) : 0);
                null += e * e;
            }
            O[j] = p1 * p1 / (l1 + eps) + p2 * p2 / (l2 + eps) + null / eps;
            xn = null / eps; /* the common part, the same for every j */
        }
        /* the bound of distance.c for a pair (j, 0), with ‖w̃_j‖² < P − 1 */
        double pair = 4 * gam * sqrt((P - 1) * ((double)xn + 2 * P)) + 2 * gam * (P - 1);
        for (int j = 1; j < P; j++) {
            double got = D[i * P + j] - D[i * P], want = (double)(O[j] - O[0]);
            double tol = pair + 2 * u * (D[i * P + j] + D[i * P]);
            IMP_ASSERT_NEAR(got, want, tol);
            hard += fabs(want) < ldexp((double)xn, -24); /* below float32's resolution */
            ranked += (got < 0) == (want < 0) || fabs(want) <= tol;
        }
        IMP_ASSERT_REL(D[i * P], (double)O[0], 1e-9); /* the common part too */
    }
    IMP_ASSERT_INT_EQ(ranked, (size_t)NX * (P - 1));
    CU_ASSERT(hard > (size_t)NX); /* the input really defeats a float32 Gram form */
    imp_gram64_destroy(g);
    free(W), free(X), free(D);
}

int main(void)
{
    static const imp_test tests[] = {
        {"manhattan kernels equal the double loop bit for bit", test_l1_bit_exact},
        {"manhattan by hand", test_l1_hand},
        {"whitened mahalanobis equals the direct quadratic form", test_mahalanobis_direct},
        {"mahalanobis on a rank-2 covariance: within the proved bound of the analytic value",
         test_mahalanobis_singular},
        {NULL, NULL},
    };
    return imp_test_main("distance", tests);
}
