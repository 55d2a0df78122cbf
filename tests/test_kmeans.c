/* test_kmeans.c — k-means: hand-computed cases, sklearn semantics (relocation, tol, k-means++
 * draws), accelerated == plain Lloyd, monotone inertia, determinism, threads; parallel_for. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/kmeans.h"
#include "imprint/pool.h"
#include "testutil.h"

static const imp_kmeans_algo ALGOS[2] = {IMP_KMEANS_ACCEL, IMP_KMEANS_LLOYD};

static imp_kmeans_opts opts_of(imp_kmeans_algo a)
{
    imp_kmeans_opts o;
    imp_kmeans_opts_default(&o);
    o.algorithm = a;
    return o;
}

/* Gaussian blobs: k0 centres uniform in [-spread, spread]^d, unit-variance noise times sigma,
 * all multiplied by scale. */
static float *blobs(size_t n, size_t d, size_t k0, double spread, double sigma, double scale,
                    uint64_t seed)
{
    imp_rng r;
    imp_rng_init(&r, seed, 11, 0, 0);
    double *cen = malloc(k0 * d * sizeof(double));
    float *x = malloc(n * d * sizeof(float));
    for (size_t i = 0; i < k0 * d; i++)
        cen[i] = spread * (2 * imp_rng_uniform(&r) - 1);
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)imp_rng_below(&r, k0);
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = (float)(scale * (cen[c * d + j] + sigma * imp_rng_normal(&r)));
    }
    free(cen);
    return x;
}

static double d2(const float *a, const float *b, size_t d)
{
    double s = 0;
    for (size_t j = 0; j < d; j++)
        s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return s;
}

static int run(const float *x, size_t n, size_t d, size_t k, const imp_kmeans_opts *o,
               uint64_t seed, float *cen, int32_t *lab, imp_kmeans_info *info)
{
    imp_rng rng;
    imp_rng_init(&rng, seed, 7, 3, IMP_RNG_KMEANS);
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_kmeans(x, n, d, k, o, &rng, cen, lab, info, &err);
    if (rc)
        fprintf(stderr, "imp_kmeans: %s\n", err.msg);
    return rc;
}

/* Two obvious squares in 2-D: the centres are the square centres, exactly. */
static void test_two_squares(void)
{
    const float x[] = {0, 0, 10, 10, 0, 1, 11, 11, 1, 0, 10, 11, 1, 1, 11, 10};
    for (int a = 0; a < 2; a++)
        for (uint64_t seed = 1; seed <= 5; seed++) {
            imp_kmeans_opts o = opts_of(ALGOS[a]);
            float c[4];
            int32_t lab[8];
            imp_kmeans_info info = {0};
            IMP_ASSERT_INT_EQ(run(x, 8, 2, 2, &o, seed, c, lab, &info), 0);
            int lo = c[0] < c[2] ? 0 : 1; /* which centre is the lower square */
            IMP_ASSERT_NEAR(c[2 * lo], 0.5, 1e-6);
            IMP_ASSERT_NEAR(c[2 * lo + 1], 0.5, 1e-6);
            IMP_ASSERT_NEAR(c[2 * (1 - lo)], 10.5, 1e-6);
            IMP_ASSERT_NEAR(c[2 * (1 - lo) + 1], 10.5, 1e-6);
            for (int i = 0; i < 8; i++) /* rows alternate between the squares */
                IMP_ASSERT_INT_EQ(lab[i], i % 2 == 0 ? lo : 1 - lo);
            IMP_ASSERT_NEAR(info.inertia, 8 * 0.5, 1e-5); /* each point 0.5^2 + 0.5^2 away */
            IMP_ASSERT_INT_EQ(info.strict_convergence, 1);
        }
}

/* k = 1: the centre is the column mean; first iteration moves it there, the second sees no
 * label change (strict convergence, n_iter 2). */
static void test_k1_is_mean(void)
{
    size_t n = 57, d = 13;
    float *x = blobs(n, d, 3, 5, 1, 1, 42);
    double mean[13] = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            mean[j] += x[i * d + j] / (double)n;
    double inertia = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            inertia += (x[i * d + j] - mean[j]) * (x[i * d + j] - mean[j]);
    for (int a = 0; a < 2; a++) {
        imp_kmeans_opts o = opts_of(ALGOS[a]);
        float c[13];
        imp_kmeans_info info = {0};
        IMP_ASSERT_INT_EQ(run(x, n, d, 1, &o, 1, c, NULL, &info), 0);
        for (size_t j = 0; j < d; j++)
            IMP_ASSERT_NEAR(c[j], mean[j], 2e-6);
        IMP_ASSERT_REL(info.inertia, inertia, 1e-6);
        IMP_ASSERT_INT_EQ(info.n_iter, 2);
        IMP_ASSERT_INT_EQ(info.strict_convergence, 1);
    }
    free(x);
}

/* Relocation, worked by hand (1-D, init centres 0, 1, 100 on {0, 1, 2, 10, 11}):
 * it 0: labels 0,1,1,1,1; cluster 2 empty; farthest from its old centre is 11 (10^2) -> centres
 *       0, 13/3, 11. it 1: labels 0,0,0,2,2; cluster 1 empty; farthest is 2 (2^2 from 0) ->
 *       centres 0.5, 2, 10.5. it 2: labels 0,0,1,2,2 (changed, so not strict), but the centres
 *       do not move: shift 0 <= tol stops; then the final E-step.
 * Result: centres 0.5, 2, 10.5, inertia 4 * 0.25 = 1, n_iter 3, two relocations. */
static void test_relocation(void)
{
    const float x[] = {0, 1, 2, 10, 11}, init[] = {0, 1, 100};
    const int32_t want[] = {0, 0, 1, 2, 2};
    for (int a = 0; a < 2; a++) {
        imp_kmeans_opts o = opts_of(ALGOS[a]);
        o.init = init;
        float c[3];
        int32_t lab[5];
        double trace[300];
        imp_kmeans_info info = {.inertia_trace = trace};
        IMP_ASSERT_INT_EQ(run(x, 5, 1, 3, &o, 1, c, lab, &info), 0);
        IMP_ASSERT_NEAR(c[0], 0.5, 1e-5);
        IMP_ASSERT_NEAR(c[1], 2.0, 1e-5);
        IMP_ASSERT_NEAR(c[2], 10.5, 1e-5);
        for (int i = 0; i < 5; i++)
            IMP_ASSERT_INT_EQ(lab[i], want[i]);
        IMP_ASSERT_NEAR(info.inertia, 1.0, 1e-4);
        IMP_ASSERT_INT_EQ(info.n_iter, 3);
        IMP_ASSERT_INT_EQ(info.strict_convergence, 0);
        IMP_ASSERT_INT_EQ(info.n_relocated, 2);
        /* trace[t] = inertia of the E-step of iteration t against the centres it used:
         * t0: 0 + 0 + 1 + 81 + 100; t1: 0 + 1 + 4 + 1 + 0; t2: 0.25 * 4 */
        IMP_ASSERT_NEAR(trace[0], 182.0, 1e-3);
        IMP_ASSERT_NEAR(trace[1], 6.0, 1e-4);
        IMP_ASSERT_NEAR(trace[2], 1.0, 1e-4);
    }
}

/* A cluster that stays empty (all points sit on their centres, so no relocation): sklearn's
 * _average_centers copies the heaviest cluster's row as it is at that moment — its mean if that
 * cluster comes earlier, its raw (centred) sum if later. Data {0, 0, 2, 2} (mean 1), init
 * centres {50, 0, 2}: cluster 0 is empty, heaviest is cluster 1 (first of the ties), later ->
 * centre 0 = centred sum of cluster 1 (-1 - 1) + mean 1 = -1. */
static void test_still_empty_cluster(void)
{
    const float x[] = {0, 0, 2, 2}, init_late[] = {50, 0, 2}, init_early[] = {0, 50, 2};
    for (int a = 0; a < 2; a++) {
        imp_kmeans_opts o = opts_of(ALGOS[a]);
        float c[3];
        int32_t lab[4];
        imp_kmeans_info info = {0};
        o.init = init_late;
        IMP_ASSERT_INT_EQ(run(x, 4, 1, 3, &o, 1, c, lab, &info), 0);
        IMP_ASSERT_NEAR(c[0], -1.0, 1e-6);
        IMP_ASSERT_NEAR(c[1], 0.0, 1e-6);
        IMP_ASSERT_NEAR(c[2], 2.0, 1e-6);
        IMP_ASSERT_INT_EQ(info.n_relocated, 0);
        IMP_ASSERT_INT_EQ(lab[0], 1);
        IMP_ASSERT_INT_EQ(lab[3], 2);
        /* heaviest cluster 0 comes before the empty cluster 1: the mean 0 is copied */
        o.init = init_early;
        IMP_ASSERT_INT_EQ(run(x, 4, 1, 3, &o, 1, c, lab, &info), 0);
        IMP_ASSERT_NEAR(c[0], 0.0, 1e-6);
        IMP_ASSERT_NEAR(c[1], 0.0, 1e-6);
        IMP_ASSERT_NEAR(c[2], 2.0, 1e-6);
        IMP_ASSERT_INT_EQ(lab[0], 0); /* ties between centres 0 and 1 go to the lower index */
    }
}

/* The accelerated path gives plain Lloyd's labels, centres, iterations and inertia. */
static void test_accel_equals_lloyd(void)
{
    struct {
        size_t n, d, k, k0;
        double spread, sigma, scale;
    } cs[] = {
        {600, 16, 5, 6, 3, 1, 1},      {2000, 64, 20, 12, 1, 1, 1},  {300, 3, 10, 4, 2, 1, 1},
        {1000, 130, 7, 7, 0.3, 1, 1},  {400, 784, 20, 5, 0.1, 1, 1}, {800, 24, 50, 30, 2, 1, 1},
        {500, 33, 8, 8, 1, 1, 3e6},    {500, 33, 8, 8, 1, 1, 2e-7},  {700, 20, 6, 50, 1, 1, 1},
    };
    for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            size_t n = cs[t].n, d = cs[t].d, k = cs[t].k;
            float *x = blobs(n, d, cs[t].k0, cs[t].spread, cs[t].sigma, cs[t].scale, seed * 7 + t);
            float *c[2];
            int32_t *lab[2];
            imp_kmeans_info info[2] = {{0}, {0}};
            size_t idx[2][64];
            for (int a = 0; a < 2; a++) {
                imp_kmeans_opts o = opts_of(ALGOS[a]);
                c[a] = malloc(k * d * sizeof(float));
                lab[a] = malloc(n * sizeof(int32_t));
                info[a].init_indices = idx[a];
                IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, seed, c[a], lab[a], &info[a]), 0);
            }
            size_t diff = 0;
            for (size_t i = 0; i < n; i++)
                diff += lab[0][i] != lab[1][i];
            IMP_ASSERT_INT_EQ(diff, 0);
            for (size_t j = 0; j < k; j++)
                IMP_ASSERT_INT_EQ(idx[0][j], idx[1][j]);
            IMP_ASSERT_INT_EQ(info[0].n_iter, info[1].n_iter);
            IMP_ASSERT_INT_EQ(info[0].strict_convergence, info[1].strict_convergence);
            IMP_ASSERT_REL(info[0].inertia, info[1].inertia, 1e-9);
            double cmax = 0, emax = 0;
            for (size_t i = 0; i < k * d; i++) {
                double e = fabs((double)c[0][i] - c[1][i]), m = fabs((double)c[1][i]);
                emax = e > emax ? e : emax;
                cmax = m > cmax ? m : cmax;
            }
            IMP_ASSERT_NEAR(emax, 0, 1e-6 * cmax);
            /* the point of the exercise: fewer distances than Lloyd */
            imp__assert_msg(info[0].n_dist_iter < info[1].n_dist_iter, __LINE__, __FILE__,
                            "accelerated computed %llu distances, Lloyd %llu",
                            (unsigned long long)info[0].n_dist_iter,
                            (unsigned long long)info[1].n_dist_iter);
            IMP_ASSERT_INT_EQ(info[1].n_dist_iter, info[1].n_dist_lloyd);
            for (int a = 0; a < 2; a++) {
                free(c[a]);
                free(lab[a]);
            }
            free(x);
        }
}

/* Returned labels are the nearest returned centres (checked in double; a relative slack of
 * 1e-5 for float32 rounding). Uniform 2-D data has many near-ties, so the half-precision bounds
 * are often not enough and the float32 fallback must decide. */
static void check_nearest(const float *x, size_t n, size_t d, size_t k, int want_exact)
{
    float *c = malloc(k * d * sizeof(float));
    int32_t *lab = malloc(n * sizeof(int32_t));
    for (int a = 0; a < 2; a++) {
        imp_kmeans_opts o = opts_of(ALGOS[a]);
        imp_kmeans_info info = {0};
        IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, 2, c, lab, &info), 0);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            double own = d2(x + i * d, c + (size_t)lab[i] * d, d), best = own;
            for (size_t j = 0; j < k; j++) {
                double v = d2(x + i * d, c + j * d, d);
                best = v < best ? v : best;
            }
            bad += own > best * (1 + 1e-5) + 1e-12;
        }
        IMP_ASSERT_INT_EQ(bad, 0);
        if (want_exact && ALGOS[a] == IMP_KMEANS_ACCEL)
            imp__assert_msg(info.n_dist_exact > 0, __LINE__, __FILE__,
                            "the float32 fallback never ran");
    }
    free(c);
    free(lab);
}

static void test_labels_are_nearest(void)
{
    size_t n = 20000;
    float *x = blobs(n, 2, n, 1, 0, 1, 21); /* sigma 0: n random points, uniform */
    check_nearest(x, n, 2, 40, 1);
    /* a small integer lattice: duplicates and exact ties everywhere */
    imp_rng r;
    imp_rng_init(&r, 3, 0, 0, 0);
    for (size_t i = 0; i < 3000 * 3; i++)
        x[i] = (float)imp_rng_below(&r, 5);
    check_nearest(x, 3000, 3, 12, 0);
    free(x);
}

/* Inertia never increases over iterations; trace[0] is the inertia of the k-means++ centres
 * (computed here independently from init_indices); the final inertia is the labels' own. */
static void test_inertia_trace(void)
{
    size_t n = 1500, d = 40, k = 15;
    float *x = blobs(n, d, 25, 0.5, 1, 1, 5);
    for (int a = 0; a < 2; a++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            imp_kmeans_opts o = opts_of(ALGOS[a]);
            double trace[300];
            size_t idx[15];
            float *c = malloc(k * d * sizeof(float));
            int32_t *lab = malloc(n * sizeof(int32_t));
            imp_kmeans_info info = {.inertia_trace = trace, .init_indices = idx};
            IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, seed, c, lab, &info), 0);
            imp__assert_msg(info.n_iter >= 5, __LINE__, __FILE__, "n_iter %d", info.n_iter);
            for (int t = 1; t < info.n_iter; t++)
                imp__assert_msg(trace[t] <= trace[t - 1] * (1 + 1e-9), __LINE__, __FILE__,
                                "trace[%d] = %.17g > trace[%d] = %.17g", t, trace[t], t - 1,
                                trace[t - 1]);
            imp__assert_msg(info.inertia <= trace[info.n_iter - 1] * (1 + 1e-9), __LINE__,
                            __FILE__, "final %.17g > last trace %.17g", info.inertia,
                            trace[info.n_iter - 1]);
            double t0 = 0, fin = 0;
            for (size_t i = 0; i < n; i++) {
                double best = INFINITY;
                for (size_t j = 0; j < k; j++) {
                    double v = d2(x + i * d, x + idx[j] * d, d);
                    best = v < best ? v : best;
                }
                t0 += best;
                fin += d2(x + i * d, c + (size_t)lab[i] * d, d);
            }
            IMP_ASSERT_REL(trace[0], t0, 1e-5);
            IMP_ASSERT_REL(info.inertia, fin, 1e-5);
            free(c);
            free(lab);
        }
    free(x);
}

/* tol is relative to the mean feature variance: scaling the data by 4 (exact in binary) scales
 * tol_abs by 16 and gives the same run; a huge tol stops after one iteration, tol 0 runs to
 * strict convergence. */
static void test_tol_scaling(void)
{
    size_t n = 400, d = 6, k = 4;
    float *x = blobs(n, d, 4, 1, 1, 1, 9), *x4 = malloc(n * d * sizeof(float));
    for (size_t i = 0; i < n * d; i++)
        x4[i] = 4 * x[i];
    double var = 0;
    for (size_t j = 0; j < d; j++) {
        double m = 0, q = 0;
        for (size_t i = 0; i < n; i++)
            m += x[i * d + j] / (double)n;
        for (size_t i = 0; i < n; i++)
            q += (x[i * d + j] - m) * (x[i * d + j] - m) / (double)n;
        var += q / (double)d;
    }
    for (int a = 0; a < 2; a++) {
        imp_kmeans_opts o = opts_of(ALGOS[a]);
        float c[24], c4[24];
        int32_t lab[400], lab4[400];
        imp_kmeans_info i1 = {0}, i4 = {0};
        IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, 3, c, lab, &i1), 0);
        IMP_ASSERT_INT_EQ(run(x4, n, d, k, &o, 3, c4, lab4, &i4), 0);
        IMP_ASSERT_REL(i1.tol_abs, 1e-4 * var, 1e-6);
        IMP_ASSERT_REL(i4.tol_abs, 16 * i1.tol_abs, 1e-6);
        IMP_ASSERT_INT_EQ(i1.n_iter, i4.n_iter);
        IMP_ASSERT_INT_EQ(memcmp(lab, lab4, sizeof lab), 0);
        for (size_t i = 0; i < k * d; i++)
            IMP_ASSERT_NEAR(c4[i], 4 * c[i], 1e-5);
        o.tol = 1e6;
        IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, 3, c, lab, &i1), 0);
        IMP_ASSERT_INT_EQ(i1.n_iter, 1);
        IMP_ASSERT_INT_EQ(i1.strict_convergence, 0);
        o.tol = 0;
        IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, 3, c, lab, &i1), 0);
        IMP_ASSERT_INT_EQ(i1.strict_convergence, 1);
        o.tol = 1e-4;
        o.max_iter = 2;
        IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, 3, c, lab, &i1), 0);
        IMP_ASSERT_INT_EQ(i1.n_iter, 2);
    }
    free(x);
    free(x4);
}

/* Same seed: identical bits; another seed: another k-means++ draw. */
static void test_determinism(void)
{
    size_t n = 1000, d = 32, k = 10;
    float *x = blobs(n, d, 10, 1, 1, 1, 77);
    float *c1 = malloc(k * d * sizeof(float)), *c2 = malloc(k * d * sizeof(float));
    int32_t *l1 = malloc(n * sizeof(int32_t)), *l2 = malloc(n * sizeof(int32_t));
    size_t i1[10], i2[10];
    for (int a = 0; a < 2; a++) {
        imp_kmeans_opts o = opts_of(ALGOS[a]);
        imp_kmeans_info f1 = {.init_indices = i1}, f2 = {.init_indices = i2};
        IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, 5, c1, l1, &f1), 0);
        IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, 5, c2, l2, &f2), 0);
        IMP_ASSERT_INT_EQ(memcmp(c1, c2, k * d * sizeof(float)), 0);
        IMP_ASSERT_INT_EQ(memcmp(l1, l2, n * sizeof(int32_t)), 0);
        IMP_ASSERT_INT_EQ(memcmp(i1, i2, sizeof i1), 0);
        IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, 6, c2, l2, &f2), 0);
        IMP_ASSERT_INT_EQ(memcmp(i1, i2, sizeof i1) != 0, 1);
        for (size_t j = 0; j < k; j++) /* distinct rows */
            for (size_t t = 0; t < j; t++)
                IMP_ASSERT_INT_EQ(i1[j] != i1[t], 1);
    }
    free(x);
    free(c1);
    free(c2);
    free(l1);
    free(l2);
}

/* k-means++ draw order from the rng, replayed here: the first centre is imp_rng_below(n). */
static void test_first_centre_draw(void)
{
    size_t n = 300, d = 5, k = 6;
    float *x = blobs(n, d, 6, 2, 1, 1, 8), c[30];
    size_t idx[6];
    imp_rng r;
    imp_rng_init(&r, 4, 7, 3, IMP_RNG_KMEANS);
    size_t want = (size_t)imp_rng_below(&r, n);
    imp_kmeans_opts o = opts_of(IMP_KMEANS_ACCEL);
    imp_kmeans_info info = {.init_indices = idx};
    IMP_ASSERT_INT_EQ(run(x, n, d, k, &o, 4, c, NULL, &info), 0);
    IMP_ASSERT_INT_EQ(idx[0], want);
    free(x);
}

typedef struct tjob {
    const float *x[2];
    size_t n, d, k;
    float *c[2];
    int32_t *lab[2];
    int rc[2];
} tjob;

static void tjob_run(size_t i, void *ctx)
{
    tjob *j = ctx;
    imp_kmeans_opts o = opts_of(i == 0 ? IMP_KMEANS_ACCEL : IMP_KMEANS_LLOYD);
    j->rc[i] = run(j->x[i], j->n, j->d, j->k, &o, 10 + i, j->c[i], j->lab[i], NULL);
}

/* Two threads on different data give the serial results (no shared state). */
static void test_threads(void)
{
    tjob j = {.n = 3000, .d = 48, .k = 12};
    float *ref_c[2];
    int32_t *ref_l[2];
    for (int i = 0; i < 2; i++) {
        j.x[i] = blobs(j.n, j.d, 12, 1, 1, 1, 100 + i);
        j.c[i] = malloc(j.k * j.d * sizeof(float));
        j.lab[i] = malloc(j.n * sizeof(int32_t));
        ref_c[i] = malloc(j.k * j.d * sizeof(float));
        ref_l[i] = malloc(j.n * sizeof(int32_t));
    }
    imp_parallel_for(2, 1, tjob_run, &j);
    for (int i = 0; i < 2; i++) {
        memcpy(ref_c[i], j.c[i], j.k * j.d * sizeof(float));
        memcpy(ref_l[i], j.lab[i], j.n * sizeof(int32_t));
        memset(j.c[i], 0, j.k * j.d * sizeof(float));
    }
    for (int rep = 0; rep < 3; rep++) {
        IMP_ASSERT_INT_EQ(imp_parallel_for(2, 2, tjob_run, &j) >= 1, 1);
        for (int i = 0; i < 2; i++) {
            IMP_ASSERT_INT_EQ(j.rc[i], 0);
            IMP_ASSERT_INT_EQ(memcmp(ref_c[i], j.c[i], j.k * j.d * sizeof(float)), 0);
            IMP_ASSERT_INT_EQ(memcmp(ref_l[i], j.lab[i], j.n * sizeof(int32_t)), 0);
        }
    }
    for (int i = 0; i < 2; i++) {
        free((void *)j.x[i]);
        free(j.c[i]);
        free(j.lab[i]);
        free(ref_c[i]);
        free(ref_l[i]);
    }
}

static void test_errors(void)
{
    float x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, c[12];
    imp_rng rng;
    imp_rng_init(&rng, 1, 2, 3, 4);
    imp_err err;
    for (int a = 0; a < 2; a++) {
        imp_kmeans_opts o = opts_of(ALGOS[a]);
        x[7] = NAN;
        IMP_ASSERT_INT_EQ(imp_kmeans(x, 4, 3, 2, &o, &rng, c, NULL, NULL, &err), IMP_ENUMERIC);
        IMP_ASSERT_STR_CONTAINS(err.msg, "row 2 column 1");
        x[7] = INFINITY;
        IMP_ASSERT_INT_EQ(imp_kmeans(x, 4, 3, 2, &o, &rng, c, NULL, NULL, &err), IMP_ENUMERIC);
        x[7] = 7;
        IMP_ASSERT_INT_EQ(imp_kmeans(x, 4, 3, 5, &o, &rng, c, NULL, NULL, &err), IMP_EINPUT);
        IMP_ASSERT_STR_CONTAINS(err.msg, "n_samples=4 should be >= n_clusters=5");
        IMP_ASSERT_INT_EQ(imp_kmeans(x, 4, 3, 0, &o, &rng, c, NULL, NULL, &err), IMP_EINPUT);
        IMP_ASSERT_INT_EQ(imp_kmeans(x, 0, 3, 1, &o, &rng, c, NULL, NULL, &err), IMP_EINPUT);
        /* k == n is allowed: every row is its own cluster */
        int32_t lab[4];
        imp_kmeans_info info = {0};
        IMP_ASSERT_INT_EQ(imp_kmeans(x, 4, 3, 4, &o, &rng, c, lab, &info, &err), 0);
        IMP_ASSERT_NEAR(info.inertia, 0, 1e-9);
        for (int i = 0; i < 4; i++)
            for (int t = 0; t < i; t++)
                IMP_ASSERT_INT_EQ(lab[i] != lab[t], 1);
        /* n == k == 1 */
        IMP_ASSERT_INT_EQ(imp_kmeans(x, 1, 3, 1, &o, &rng, c, lab, &info, &err), 0);
        IMP_ASSERT_NEAR(c[2], 2, 0);
    }
}

static void count_fn(size_t i, void *ctx)
{
    atomic_int *hits = ctx;
    atomic_fetch_add(&hits[i], 1);
}

static void test_parallel_for(void)
{
    enum { N = 1000 };
    static atomic_int hits[N];
    const int threads[] = {1, 2, 3, 8};
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        for (int i = 0; i < N; i++)
            atomic_init(&hits[i], 0);
        int used = imp_parallel_for(N, threads[t], count_fn, hits);
        IMP_ASSERT_INT_EQ(used >= 1 && used <= threads[t], 1);
        for (int i = 0; i < N; i++)
            IMP_ASSERT_INT_EQ(atomic_load(&hits[i]), 1);
    }
    IMP_ASSERT_INT_EQ(imp_parallel_for(0, 4, count_fn, hits), 0);
    atomic_init(&hits[0], 0);
    IMP_ASSERT_INT_EQ(imp_parallel_for(1, 4, count_fn, hits), 1);
    IMP_ASSERT_INT_EQ(atomic_load(&hits[0]), 1);
}

int main(void)
{
    const imp_test tests[] = {
        {"two squares (hand)", test_two_squares},
        {"k=1 is the column mean", test_k1_is_mean},
        {"empty-cluster relocation (hand)", test_relocation},
        {"still-empty cluster (sklearn _average_centers)", test_still_empty_cluster},
        {"accelerated == Lloyd", test_accel_equals_lloyd},
        {"labels are the nearest centres", test_labels_are_nearest},
        {"inertia trace non-increasing", test_inertia_trace},
        {"tol relative to variance", test_tol_scaling},
        {"determinism", test_determinism},
        {"first centre draw", test_first_centre_draw},
        {"threads", test_threads},
        {"errors", test_errors},
        {"parallel_for", test_parallel_for},
        {NULL, NULL},
    };
    return imp_test_main("kmeans", tests);
}
