/* distance.c — euclidean and Mahalanobis in float64, the Manhattan kernel, cosine from a Gram row. */
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

/* ---- float64 Gram distances: euclidean and Mahalanobis ---------------------------------------
 * Both are ‖x̃ − w̃_j‖² with x̃ = T(x − μ), w̃_j = T(w_j − μ): euclidean T = I, μ = 0 (nothing is
 * subtracted, so rows on a coarse grid keep their exact products and exact ties stay ties);
 * Mahalanobis T = L⁻¹ with L Lᵀ = Cov(W) + εI (ε = 1e-6), μ = the proxies' mean, because
 * (x−w)ᵀ(LLᵀ)⁻¹(x−w) = ‖L⁻¹(x−μ) − L⁻¹(w−μ)‖². Every quantity is float64: D_j =
 * xn + (wn_j − 2 s_j), s_j = x̃·w̃_j by one DGEMM, xn = ‖x̃‖², wn_j = ‖w̃_j‖² summed in order.
 *
 * Why float64, and why centred (the defect of issue 17). When Cov(W) is singular — always for
 * GEN mean and ls (P = classes ≤ d), for `all` at a few shots, and whenever a feature column is
 * constant — V = (Cov + εI)⁻¹ is 1/ε = 1e6 on the null space N of Cov. Every w_j − μ lies in
 * span(Cov) ⊥ N, so the null-space part of x − w is that of x − μ: the same for every proxy,
 * a term c_x = ‖P_N(x − μ)‖²/ε common to all D_j. Uncentred (L⁻¹w carries L⁻¹μ, ~1e3·‖μ‖) and
 * in float32 (24 bits), the Gram form rounded at ulp(1e6·‖x − μ‖²), far above the differences
 * between proxies: predictions were noise (29.6 % against 88.6 %). Centred and in float64:
 *
 * Lemma. ‖w̃_j‖² = z_jᵀ(Cov + εI)⁻¹z_j < P − 1 for z_j = w_j − μ, because (P−1)·Cov = Σ_i z_i z_iᵀ
 * ⪰ z_j z_jᵀ. So the proxies' whitened rows are small whatever ε and the conditioning are; only
 * x̃ is large (‖x̃‖² ≈ c_x + O(P)).
 * Bound. With u = 2⁻⁵³ and γ_d = d·u/(1 − d·u), for the whitened rows as computed,
 *   |fl(D_j) − ‖x̃ − w̃_j‖²| ≤ 2γ_d‖x̃‖‖w̃_j‖ + γ_d‖w̃_j‖² + 2u·D_j + γ_d‖x̃‖²,
 * where the last term (the rounding of xn) is the same for every j and cannot reorder proxies.
 * Two proxies are therefore ranked right whenever
 *   |D_j − D_k| > 2γ_d‖x̃‖(‖w̃_j‖ + ‖w̃_k‖) + γ_d(‖w̃_j‖² + ‖w̃_k‖²) + 2u(D_j + D_k)
 *               ≤ 4γ_d√((P−1)·xn) + 2γ_d(P−1) + 2u(D_j + D_k),
 * i.e. at d = 2048, P = 10, xn = 1e8 (a null-space offset of 10 units at ε = 1e-6): proxies
 * whose D differ by more than ~1e-7 (absolute; 2.7e-8 + 4.4e-8) are ranked right, where the
 * proxy-dependent part of D is O(1)..O(P). The former float32 form erred by up to γ_d·xn with
 * γ_d = d·2⁻²⁴, ~1e2 typical and 1.2e4 worst case at the same point.
 * The whitening itself (dpotrf + dtrsm in float64) is backward stable: the computed rows are the
 * exact ones of a covariance perturbed by O(γ_d)·‖Cov + εI‖ elementwise, the same order as any
 * float64 evaluation, the reference's np.linalg.inv included. tests/test_distance.c checks the
 * bound against an analytic rank-2 case; tests/ref/oracle_distances.py checks decisions
 * against a span-split (SVD) float64 oracle with 100× the bound as margin.
 * Euclidean (T = I, uncentred): the same bound with ‖x̃‖, ‖w̃_j‖ the raw norms; a common offset
 * R on rows of spread s costs a relative error ~4γ_d R²/s² (5e-13·R²/s² at d = 2048), where the
 * former float32 Gram form lost 4·d·2⁻²⁴·R²/s² (5e-4·R²/s²): an offset of 10× the spread
 * already reordered near neighbours. */

struct imp_gram64 {
    size_t P, d;
    double *mu; /* [d], NULL: no centring */
    double *L;  /* [d × d] lower Cholesky factor of Cov + εI, NULL: T = I */
    double *Wt; /* [P × d] w̃_j */
    double *wn; /* [P] ‖w̃_j‖² */
};

/* Rows (float) → T(x − μ) in double, in place in t[n × d]; single-threaded BLAS so the bits
 * do not depend on the thread count. */
static void gram64_map(const imp_gram64 *g, const float *X, size_t n, double *t)
{
    size_t d = g->d;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++)
            t[i * d + a] = g->mu ? (double)X[i * d + a] - g->mu[a] : (double)X[i * d + a];
    if (g->L && n) {
        int blas_threads = imp_blas_threads();
        imp_blas_set_threads(1);
        cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)n,
                    (int)d, 1.0, g->L, (int)d, t, (int)d);
        imp_blas_set_threads(blas_threads);
    }
}

static void sqnorms64(const double *X, size_t n, size_t d, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double t = 0;
        for (size_t a = 0; a < d; a++)
            t += X[i * d + a] * X[i * d + a];
        out[i] = t;
    }
}

/* The Cholesky factor of Cov(W) (ddof 1) + 1e-6·I and the proxies' mean. */
static int mahal_factor(const float *W, size_t P, size_t d, double *mean, double *L, imp_err *err)
{
    double *Z = malloc((P ? P : 1) * d * sizeof *Z);
    if (!Z)
        return imp_err_set(err, IMP_ENOMEM, "mahalanobis: out of memory");
    for (size_t j = 0; j < d; j++)
        mean[j] = 0;
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
    free(Z);
    for (size_t j = 0; j < d; j++)
        L[j * d + j] += 1e-6;
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, L, (lapack_int)d);
    imp_blas_set_threads(blas_threads);
    if (info != 0)
        return imp_err_set(err, IMP_ENUMERIC,
                           "mahalanobis: proxy covariance + 1e-6 I is not positive definite "
                           "(LAPACK info %d)", (int)info);
    for (size_t a = 0; a < d; a++) /* clear the strict upper triangle left by potrf */
        for (size_t b = a + 1; b < d; b++)
            L[a * d + b] = 0;
    return 0;
}

int imp_gram64_create(const float *W, size_t P, size_t d, int whiten, imp_gram64 **out,
                      imp_err *err)
{
    *out = NULL;
    if (whiten && P < 2)
        return imp_err_set(err, IMP_ENUMERIC,
                           "mahalanobis needs at least 2 proxies for their covariance (have %zu)",
                           P);
    imp_gram64 *g = calloc(1, sizeof *g);
    if (!g)
        return imp_err_set(err, IMP_ENOMEM, "distances: out of memory");
    g->P = P;
    g->d = d;
    g->Wt = malloc((P ? P : 1) * (d ? d : 1) * sizeof *g->Wt);
    g->wn = malloc((P ? P : 1) * sizeof *g->wn);
    if (whiten) {
        g->mu = malloc((d ? d : 1) * sizeof *g->mu);
        g->L = calloc((d ? d : 1) * (d ? d : 1), sizeof *g->L);
    }
    int rc = 0;
    if (!g->Wt || !g->wn || (whiten && (!g->mu || !g->L)))
        rc = imp_err_set(err, IMP_ENOMEM, "%s: out of memory (%zu proxies of %zu dims)",
                         imp_metric_name(whiten ? IMP_METRIC_MAHALANOBIS : IMP_METRIC_EUCLIDEAN),
                         P, d);
    if (!rc && whiten)
        rc = mahal_factor(W, P, d, g->mu, g->L, err);
    if (rc) {
        imp_gram64_destroy(g);
        return rc;
    }
    gram64_map(g, W, P, g->Wt);
    sqnorms64(g->Wt, P, d, g->wn);
    *out = g;
    return 0;
}

void imp_gram64_destroy(imp_gram64 *g)
{
    if (!g)
        return;
    free(g->mu), free(g->L), free(g->Wt), free(g->wn);
    free(g);
}

int imp_gram64_block(const imp_gram64 *g, const float *X, size_t nx, double *D, size_t ldd)
{
    size_t P = g->P, d = g->d;
    if (!nx || !P)
        return 0;
    double *t = malloc(nx * (d ? d : 1) * sizeof *t), *xn = malloc(nx * sizeof *xn);
    if (!t || !xn) {
        free(t), free(xn);
        return IMP_ENOMEM;
    }
    gram64_map(g, X, nx, t);
    sqnorms64(t, nx, d, xn);
    int blas_threads = imp_blas_threads();
    imp_blas_set_threads(1);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nx, (int)P, (int)d, 1.0, t, (int)d,
                g->Wt, (int)d, 0.0, D, (int)ldd);
    imp_blas_set_threads(blas_threads);
    /* the proxy-dependent part first, then the common xn: a rounding of xn shifts every D_j of
     * the row alike (see the bound above) */
    for (size_t i = 0; i < nx; i++)
        for (size_t j = 0; j < P; j++) {
            double v = xn[i] + (g->wn[j] - 2.0 * D[i * ldd + j]);
            D[i * ldd + j] = v > 0 ? v : 0.0;
        }
    free(t), free(xn);
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
    default: /* a table row whose form has no kernel here: fail its cells, never guess */
        for (size_t j = 0; j < P; j++)
            dist[j] = NAN;
    }
}

/* ---- cosine (float32 Gram), and why it stays float32 -----------------------------------------
 * 1 − s/(‖x‖‖w‖) with s from the shared float32 SGEMM: absolute error ≤ γ_d = d·2⁻²⁴ (1.2e-4 at
 * d = 2048 worst case, ~3e-6 typical) plus 2⁻⁵² from the double norms. The reference computes
 * cosine distances in float32 as well (sklearn on float32 rows), so a float64 cosine would not
 * move imprint closer to it; a common offset R makes cosine differences scale like s²/R², and
 * they fall below γ_d only at R ≳ 100·s, where the float32 store itself keeps ~7 digits of R
 * and the angles are no longer carried by the data. Ordinary embeddings (ReLU features, offset
 * ≈ spread; pixels in [0, 1]) sit far inside the bound: the oracle test decides > 97 % of their
 * cosine rows and imprint equals it on all of them.
 *
 * ---- Manhattan ----------------------------------------------------------------------------
 * Exactness: the reference loop sums |x_a − w_a| in double in index order. Reordering that sum
 * (SIMD lanes over dimensions, float partial sums) changes distances in the last bits and can
 * flip near-ties between proxies, i.e. predictions. So the kernel vectorises ACROSS proxies:
 * each of the 4 double lanes is one (test, proxy) pair accumulating over a = 0..d−1 in order,
 * with the float→double conversion, subtraction (exact for floats of similar magnitude, and in
 * any case the same operation as the scalar code), |·| and addition of the scalar loop. The
 * result is bit-identical to the scalar loop; the register tile (4 test rows × one panel of 8
 * proxies = 8 accumulators) gives 32 differences per 8 loads.
 * Precision (issue 17's audit): x_a − w_a of two floats is exact in double (or rounds once), and
 * the in-order sum of d non-negative terms is within γ_d = d·2⁻⁵³ of D relative: no cancellation
 * whatever the offset, no fix needed. */

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
