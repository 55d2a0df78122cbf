/* distance.c — Mahalanobis whitening, the Manhattan kernel and Gram-based distances. */
#include "imprint/distance.h"

#include "imprint/blas.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define L1_HAVE_AVX2 1
#define L1_AVX2 __attribute__((target("avx2")))
#endif

int imp_mahal_factor(const float *W, size_t P, size_t d, double **Lout, imp_err *err)
{
    *Lout = NULL;
    if (P < 2)
        return imp_err_set(err, IMP_ENUMERIC,
                           "mahalanobis needs at least 2 proxies for their covariance (have %zu)",
                           P);
    double *mean = calloc(d, sizeof *mean), *L = calloc(d * d, sizeof *L);
    double *Z = malloc(P * d * sizeof *Z);
    if (!mean || !L || !Z) {
        free(mean), free(L), free(Z);
        return imp_err_set(err, IMP_ENOMEM, "mahalanobis: out of memory");
    }
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < d; j++)
            mean[j] += W[i * d + j];
    for (size_t j = 0; j < d; j++)
        mean[j] /= (double)P;
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < d; j++)
            Z[i * d + j] = W[i * d + j] - mean[j];
    /* one thread: the threaded potrf blocks by thread count and so rounds differently */
    int blas_threads = imp_blas_threads();
    imp_blas_set_threads(1);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)d, (int)P, 1.0 / (double)(P - 1), Z,
                (int)d, 0.0, L, (int)d);
    for (size_t j = 0; j < d; j++)
        L[j * d + j] += 1e-6;
    free(mean);
    free(Z);
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, L, (lapack_int)d);
    imp_blas_set_threads(blas_threads);
    if (info != 0) {
        free(L);
        return imp_err_set(err, IMP_ENUMERIC,
                           "mahalanobis: proxy covariance + 1e-6 I is not positive definite "
                           "(LAPACK info %d)", (int)info);
    }
    for (size_t a = 0; a < d; a++) /* clear the strict upper triangle left by potrf */
        for (size_t b = a + 1; b < d; b++)
            L[a * d + b] = 0;
    *Lout = L;
    return 0;
}

int imp_mahal_map(const double *L, float *rows, size_t n, size_t d)
{
    double *t = malloc((n ? n : 1) * d * sizeof *t);
    if (!t)
        return IMP_ENOMEM;
    for (size_t i = 0; i < n * d; i++)
        t[i] = rows[i];
    int blas_threads = imp_blas_threads();
    imp_blas_set_threads(1);
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)n, (int)d,
                1.0, L, (int)d, t, (int)d);
    imp_blas_set_threads(blas_threads);
    for (size_t i = 0; i < n * d; i++)
        rows[i] = (float)t[i];
    free(t);
    return 0;
}

void imp_sqnorms(const float *X, size_t n, size_t d, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double t = 0;
        for (size_t a = 0; a < d; a++)
            t += (double)X[i * d + a] * X[i * d + a];
        out[i] = t;
    }
}

void imp_gram_dist_row(int form, const float *s, double xn, const double *wn, size_t P,
                       double *dist)
{
    switch (form) {
    case IMP_FORM_GRAM_COSINE: {
        double sx = sqrt(xn);
        for (size_t j = 0; j < P; j++) {
            double den = sx * sqrt(wn[j]);
            double cs = den > 0 ? (double)s[j] / den : 0.0;
            double v = 1.0 - cs;
            dist[j] = v < 0 ? 0 : v;
        }
        break;
    }
    case IMP_FORM_GRAM_EUCLID:
        for (size_t j = 0; j < P; j++) {
            double v = xn + wn[j] - 2.0 * (double)s[j];
            dist[j] = v > 0 ? sqrt(v) : 0.0;
        }
        break;
    default: /* a table row whose form has no kernel here: fail its cells, never guess */
        for (size_t j = 0; j < P; j++)
            dist[j] = NAN;
    }
}

/* ---- Manhattan ----------------------------------------------------------------------------
 * Exactness: the reference loop sums |x_a − w_a| in double in index order. Reordering that sum
 * (SIMD lanes over dimensions, float partial sums) changes distances in the last bits and can
 * flip near-ties between proxies, i.e. predictions. So the kernel vectorises ACROSS proxies:
 * each of the 4 double lanes is one (test, proxy) pair accumulating over a = 0..d−1 in order,
 * with the float→double conversion, subtraction (exact for floats of similar magnitude, and in
 * any case the same operation as the scalar code), |·| and addition of the scalar loop. The
 * result is bit-identical to the scalar loop; the register tile (4 test rows × one panel of 8
 * proxies = 8 accumulators) gives 32 differences per 8 loads. */

size_t imp_l1_packed_size(size_t P, size_t d)
{
    size_t panels = (P + IMP_L1_PANEL - 1) / IMP_L1_PANEL;
    return (panels ? panels : 1) * d * IMP_L1_PANEL;
}

void imp_l1_pack(const float *W, size_t P, size_t d, float *packed)
{
    memset(packed, 0, imp_l1_packed_size(P, d) * sizeof *packed);
    for (size_t j = 0; j < P; j++)
        for (size_t a = 0; a < d; a++)
            packed[(j / IMP_L1_PANEL) * d * IMP_L1_PANEL + a * IMP_L1_PANEL + j % IMP_L1_PANEL] =
                W[j * d + a];
}

static void l1_generic(const float *X, size_t nx, const float *packed, size_t P, size_t d,
                       double *D, size_t ldd)
{
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < P; j++) {
            const float *w = packed + (j / IMP_L1_PANEL) * d * IMP_L1_PANEL + j % IMP_L1_PANEL;
            const float *x = X + i * d;
            double t = 0;
            for (size_t a = 0; a < d; a++)
                t += fabs((double)x[a] - (double)w[a * IMP_L1_PANEL]);
            D[i * ldd + j] = t;
        }
}

#ifdef L1_HAVE_AVX2
/* R test rows (as doubles, xd[r * d + a]) against one panel; R is a compile-time 1 or 4 */
#define L1_TILE(R)                                                                               \
    L1_AVX2 static void l1_tile##R(const double *xd, const float *panel, size_t d, double *out,  \
                                   size_t ldo, size_t ncols)                                     \
    {                                                                                            \
        const __m256d sign = _mm256_set1_pd(-0.0);                                               \
        __m256d lo[R], hi[R];                                                                    \
        for (int r = 0; r < R; r++)                                                              \
            lo[r] = hi[r] = _mm256_setzero_pd();                                                 \
        for (size_t a = 0; a < d; a++) {                                                         \
            __m256d w0 = _mm256_cvtps_pd(_mm_loadu_ps(panel + a * IMP_L1_PANEL));                \
            __m256d w1 = _mm256_cvtps_pd(_mm_loadu_ps(panel + a * IMP_L1_PANEL + 4));            \
            for (int r = 0; r < R; r++) {                                                        \
                __m256d x = _mm256_broadcast_sd(xd + (size_t)r * d + a);                         \
                lo[r] = _mm256_add_pd(lo[r], _mm256_andnot_pd(sign, _mm256_sub_pd(x, w0)));      \
                hi[r] = _mm256_add_pd(hi[r], _mm256_andnot_pd(sign, _mm256_sub_pd(x, w1)));      \
            }                                                                                    \
        }                                                                                        \
        for (int r = 0; r < R; r++) {                                                            \
            double buf[IMP_L1_PANEL];                                                            \
            _mm256_storeu_pd(buf, lo[r]);                                                        \
            _mm256_storeu_pd(buf + 4, hi[r]);                                                    \
            memcpy(out + (size_t)r * ldo, buf, ncols * sizeof(double));                          \
        }                                                                                        \
    }
L1_TILE(1)
L1_TILE(4)
#undef L1_TILE

/* Proxies in chunks of panels that stay in L2 (about 128 KiB) while every group of 4 test
 * rows passes over them; test rows as doubles (converted once per call). */
L1_AVX2 static void l1_avx2(const float *X, size_t nx, const float *packed, size_t P, size_t d,
                            double *D, size_t ldd)
{
    double *xd = malloc((nx ? nx : 1) * (d ? d : 1) * sizeof *xd);
    if (!xd) { /* fall back rather than fail; same bits */
        l1_generic(X, nx, packed, P, d, D, ldd);
        return;
    }
    for (size_t q = 0; q < nx * d; q++)
        xd[q] = X[q];
    size_t panels = (P + IMP_L1_PANEL - 1) / IMP_L1_PANEL;
    size_t chunk = (128u << 10) / ((d ? d : 1) * IMP_L1_PANEL * sizeof(float));
    chunk = chunk < 1 ? 1 : chunk;
    for (size_t p0 = 0; p0 < panels; p0 += chunk) {
        size_t p1 = p0 + chunk < panels ? p0 + chunk : panels;
        for (size_t i = 0; i < nx;) {
            size_t R = nx - i >= 4 ? 4 : 1;
            for (size_t p = p0; p < p1; p++) {
                size_t j0 = p * IMP_L1_PANEL, nc = P - j0 < IMP_L1_PANEL ? P - j0 : IMP_L1_PANEL;
                const float *panel = packed + p * d * IMP_L1_PANEL;
                if (R == 4)
                    l1_tile4(xd + i * d, panel, d, D + i * ldd + j0, ldd, nc);
                else
                    l1_tile1(xd + i * d, panel, d, D + i * ldd + j0, ldd, nc);
            }
            i += R;
        }
    }
    free(xd);
}
#endif

typedef void (*l1_fn)(const float *, size_t, const float *, size_t, size_t, double *, size_t);

static l1_fn l1_choose(int force_generic, const char **name)
{
#ifdef L1_HAVE_AVX2
    if (!force_generic && __builtin_cpu_supports("avx2")) {
        *name = "avx2";
        return l1_avx2;
    }
#endif
    (void)force_generic;
    *name = "generic";
    return l1_generic;
}

static int l1_forced_generic;

const char *imp_l1_kernel(int force_generic)
{
    const char *name;
    l1_forced_generic = force_generic;
    l1_choose(force_generic, &name);
    return name;
}

void imp_l1_block(const float *X, size_t nx, const float *packed, size_t P, size_t d, double *D,
                  size_t ldd)
{
    const char *name;
    l1_choose(l1_forced_generic, &name)(X, nx, packed, P, d, D, ldd);
}
