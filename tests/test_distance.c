/* test_distance.c — the distance kernels: Manhattan AVX2 = portable = the plain double loop,
 * bit for bit; whitened Mahalanobis = the direct quadratic form. */
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
    double *L;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_mahal_factor(W, P, d, &L, &err), 0);
    float Wm[P * d], Xm[2 * d];
    memcpy(Wm, W, sizeof Wm);
    memcpy(Xm, X, sizeof Xm);
    IMP_ASSERT_INT_EQ(imp_mahal_map(L, Wm, P, d), 0);
    IMP_ASSERT_INT_EQ(imp_mahal_map(L, Xm, 2, d), 0);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < P; j++) {
            double q = 0, e = 0, z[d];
            for (int a = 0; a < d; a++)
                z[a] = (double)X[i * d + a] - W[j * d + a];
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++)
                    q += z[a] * V[a * d + b] * z[b];
            for (int a = 0; a < d; a++)
                e += ((double)Xm[i * d + a] - Wm[j * d + a]) * ((double)Xm[i * d + a] - Wm[j * d + a]);
            IMP_ASSERT_REL(sqrt(e), sqrt(q), 1e-5); /* whitened rows are float */
        }
    free(L);
    /* one proxy has no covariance */
    IMP_ASSERT_INT_EQ(imp_mahal_factor(W, 1, d, &L, &err), IMP_ENUMERIC);
    IMP_ASSERT_STR_CONTAINS(err.msg, "at least 2 proxies");
}

int main(void)
{
    static const imp_test tests[] = {
        {"manhattan kernels equal the double loop bit for bit", test_l1_bit_exact},
        {"manhattan by hand", test_l1_hand},
        {"whitened mahalanobis equals the direct quadratic form", test_mahalanobis_direct},
        {NULL, NULL},
    };
    return imp_test_main("distance", tests);
}
