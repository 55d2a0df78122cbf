/* kmeans.c — sklearn 1.5.2 KMeans (k-means++ init, Lloyd) with a plain SGEMM E-step and an exact
 * Elkan-accelerated E-step whose bounds absorb float32 rounding and a half-precision data copy. */
#include "imprint/kmeans.h"

#include "imprint/blas.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) /* clang 14 lacks "f16c" (fuzz builds) */
#include <immintrin.h>
#define KM_HAVE_AVX2 1
#define KM_AVX2 __attribute__((target("avx2,fma,f16c")))
#endif
#define KM_INLINE static inline __attribute__((always_inline))

/* ---------------------------------------------------------------------------------------------
 * Distance kernels. Rows are padded with zeros to ld (a multiple of 8). Every (point, centre)
 * squared distance is summed in one fixed order: two 8-lane accumulators over alternating
 * 8-float blocks, then a fixed reduction tree. The 4-centre variants follow exactly the same
 * order per centre, so a value never depends on which call (or slot) computed it.
 * Rounding: each lane sums <= ld/16 + 1 positive terms, so the relative error of a squared
 * distance is below (ld/16 + 8) * 2^-24 (ld/8 + 8 for the one-accumulator h2xm), and that of
 * a distance half of it. km.eps, the relative margin on distances, is (ld/8 + 16) * 2^-24:
 * four times the need of the two-accumulator kernels, twice that of h2xm.
 * The "h" variants read a half row h and use z = float(h) * scale, exactly as h2f does. */

static float hsum_generic(const float a0[8], const float a1[8])
{
    float v[8];
    for (int t = 0; t < 8; t++)
        v[t] = a0[t] + a1[t];
    for (int t = 0; t < 4; t++)
        v[t] += v[t + 4];
    v[0] += v[2];
    v[1] += v[3];
    return v[0] + v[1];
}

static float d2x1_generic(const float *x, const float *c, size_t ld)
{
    float a0[8] = {0}, a1[8] = {0};
    size_t j = 0;
    for (; j + 16 <= ld; j += 16)
        for (int t = 0; t < 8; t++) {
            float e0 = x[j + t] - c[j + t], e1 = x[j + 8 + t] - c[j + 8 + t];
            a0[t] += e0 * e0;
            a1[t] += e1 * e1;
        }
    if (j < ld)
        for (int t = 0; t < 8; t++) {
            float e0 = x[j + t] - c[j + t];
            a0[t] += e0 * e0;
        }
    return hsum_generic(a0, a1);
}

static void d2x4_generic(const float *x, const float *const c[4], size_t ld, float out[4])
{
    for (int s = 0; s < 4; s++)
        out[s] = d2x1_generic(x, c[s], ld);
}

/* IEEE binary16 <-> binary32, round to nearest even (as F16C). */
static uint16_t f2h_one(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, mant = x & 0x7fffffu;
    int exp = (int)((x >> 23) & 0xffu);
    if (exp == 0xff)
        return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    int e = exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        if (e < -10)
            return (uint16_t)sign;
        mant |= 0x800000u;
        int shift = 14 - e;
        uint32_t hm = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (hm & 1)))
            hm++;
        return (uint16_t)(sign | hm);
    }
    uint32_t hm = mant >> 13, rem = mant & 0x1fffu;
    uint32_t h = sign | ((uint32_t)e << 10) | hm;
    if (rem > 0x1000u || (rem == 0x1000u && (hm & 1)))
        h++; /* a carry into the exponent is the correct rounding */
    return (uint16_t)h;
}

static float h2f_one(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, m = h & 0x3ffu, x;
    int e = (h >> 10) & 0x1f;
    if (e == 0) {
        float f = (float)m * 0x1p-24f;
        return sign ? -f : f;
    }
    if (e == 31)
        x = sign | 0x7f800000u | (m << 13);
    else
        x = sign | ((uint32_t)(e - 15 + 127) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

static void h2f_generic(const uint16_t *h, float scale, size_t ld, float *out)
{
    for (size_t j = 0; j < ld; j++)
        out[j] = h2f_one(h[j]) * scale;
}

static void f2h_generic(const float *x, float scale, size_t ld, uint16_t *out)
{
    for (size_t j = 0; j < ld; j++)
        out[j] = f2h_one(x[j] * scale);
}

static float h2x1_generic(const uint16_t *h, float scale, const float *c, size_t ld, float *tmp)
{
    h2f_generic(h, scale, ld, tmp);
    return d2x1_generic(tmp, c, ld);
}

static void h2x4_generic(const uint16_t *h, float scale, const float *const c[4], size_t ld,
                         float out[4], float *tmp)
{
    h2f_generic(h, scale, ld, tmp);
    d2x4_generic(tmp, c, ld, out);
}

static void h2xm_generic(const uint16_t *h, float scale, const float *const *c, int m,
                         size_t ld, float *out, float *tmp)
{
    h2f_generic(h, scale, ld, tmp);
    for (int q = 0; q < m; q++)
        out[q] = d2x1_generic(tmp, c[q], ld);
}

#ifdef KM_HAVE_AVX2
KM_AVX2 static inline float hsum_avx2(__m256 a0, __m256 a1)
{
    __m256 v = _mm256_add_ps(a0, a1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

#define KM_LOADF(j) _mm256_loadu_ps(x + (j))
#define KM_LOADH(j)                                                                            \
    _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(h + (j)))),   \
                  sc)
#define KM_ACC(a, xv, cp, j)                                                                   \
    do {                                                                                       \
        __m256 e_ = _mm256_sub_ps(xv, _mm256_loadu_ps((cp) + (j)));                            \
        a = _mm256_fmadd_ps(e_, e_, a);                                                        \
    } while (0)

/* Body of the one-centre kernel; LOAD(j) gives the point's 8 floats at j. */
#define KM_D2X1_BODY(LOAD)                                                                     \
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();                                 \
    size_t j = 0;                                                                              \
    for (; j + 16 <= ld; j += 16) {                                                            \
        __m256 x0 = LOAD(j), x1 = LOAD(j + 8);                                                 \
        KM_ACC(a0, x0, c, j);                                                                  \
        KM_ACC(a1, x1, c, j + 8);                                                              \
    }                                                                                          \
    if (j < ld) {                                                                              \
        __m256 x0 = LOAD(j);                                                                   \
        KM_ACC(a0, x0, c, j);                                                                  \
    }                                                                                          \
    return hsum_avx2(a0, a1)

/* Body of the four-centre kernel: per centre the same sequence as KM_D2X1_BODY. */
#define KM_D2X4_BODY(LOAD)                                                                     \
    const float *c0 = c[0], *c1 = c[1], *c2 = c[2], *c3 = c[3];                                \
    __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps();                               \
    __m256 a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps();                               \
    __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps();                               \
    __m256 a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps();                               \
    size_t j = 0;                                                                              \
    for (; j + 16 <= ld; j += 16) {                                                            \
        __m256 x0 = LOAD(j), x1 = LOAD(j + 8);                                                 \
        KM_ACC(a00, x0, c0, j);                                                                \
        KM_ACC(a01, x1, c0, j + 8);                                                            \
        KM_ACC(a10, x0, c1, j);                                                                \
        KM_ACC(a11, x1, c1, j + 8);                                                            \
        KM_ACC(a20, x0, c2, j);                                                                \
        KM_ACC(a21, x1, c2, j + 8);                                                            \
        KM_ACC(a30, x0, c3, j);                                                                \
        KM_ACC(a31, x1, c3, j + 8);                                                            \
    }                                                                                          \
    if (j < ld) {                                                                              \
        __m256 x0 = LOAD(j);                                                                   \
        KM_ACC(a00, x0, c0, j);                                                                \
        KM_ACC(a10, x0, c1, j);                                                                \
        KM_ACC(a20, x0, c2, j);                                                                \
        KM_ACC(a30, x0, c3, j);                                                                \
    }                                                                                          \
    out[0] = hsum_avx2(a00, a01);                                                              \
    out[1] = hsum_avx2(a10, a11);                                                              \
    out[2] = hsum_avx2(a20, a21);                                                              \
    out[3] = hsum_avx2(a30, a31)

KM_AVX2 static float d2x1_avx2(const float *x, const float *c, size_t ld)
{
    KM_D2X1_BODY(KM_LOADF);
}

KM_AVX2 static void d2x4_avx2(const float *x, const float *const c[4], size_t ld, float out[4])
{
    KM_D2X4_BODY(KM_LOADF);
}

KM_AVX2 static float h2x1_avx2(const uint16_t *h, float scale, const float *c, size_t ld,
                               float *tmp)
{
    (void)tmp;
    const __m256 sc = _mm256_set1_ps(scale);
    KM_D2X1_BODY(KM_LOADH);
}

KM_AVX2 static void h2x4_avx2(const uint16_t *h, float scale, const float *const c[4],
                              size_t ld, float out[4], float *tmp)
{
    (void)tmp;
    const __m256 sc = _mm256_set1_ps(scale);
    KM_D2X4_BODY(KM_LOADH);
}

/* M (5..8) centres, one accumulator each (a different summation order than the kernels
 * above, within the same error margin): k-means++ with more than four candidates. */
KM_AVX2 static inline __attribute__((always_inline)) void
h2xm_body(const uint16_t *h, float scale, const float *const *c, size_t ld, float *out,
          const int M)
{
    const __m256 sc = _mm256_set1_ps(scale);
    __m256 a[8];
    for (int q = 0; q < M; q++)
        a[q] = _mm256_setzero_ps();
    for (size_t j = 0; j < ld; j += 8) {
        __m256 x0 = KM_LOADH(j);
        for (int q = 0; q < M; q++)
            KM_ACC(a[q], x0, c[q], j);
    }
    const __m256 zero = _mm256_setzero_ps();
    for (int q = 0; q < M; q++)
        out[q] = hsum_avx2(a[q], zero);
}

KM_AVX2 static void h2xm_avx2(const uint16_t *h, float scale, const float *const *c, int m,
                              size_t ld, float *out, float *tmp)
{
    (void)tmp;
    switch (m) {
    case 5:
        h2xm_body(h, scale, c, ld, out, 5);
        break;
    case 6:
        h2xm_body(h, scale, c, ld, out, 6);
        break;
    case 7:
        h2xm_body(h, scale, c, ld, out, 7);
        break;
    default:
        h2xm_body(h, scale, c, ld, out, 8);
        break;
    }
}

KM_AVX2 static void h2f_avx2(const uint16_t *h, float scale, size_t ld, float *out)
{
    const __m256 sc = _mm256_set1_ps(scale);
    for (size_t j = 0; j < ld; j += 8)
        _mm256_storeu_ps(out + j, KM_LOADH(j));
}

KM_AVX2 static void f2h_avx2(const float *x, float scale, size_t ld, uint16_t *out)
{
    const __m256 s = _mm256_set1_ps(scale);
    for (size_t j = 0; j < ld; j += 8)
        _mm_storeu_si128((__m128i *)(void *)(out + j),
                         _mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(x + j), s),
                                         _MM_FROUND_TO_NEAREST_INT));
}
#endif

/* ---------------------------------------------------------------------------------------------
 * Row loops written once (always inlined) and compiled twice, generic and AVX2. No FMA
 * contraction in ISO C mode, and no reduction across columns, so both give the same bits. */

KM_INLINE void stats_body(const float *restrict x, size_t d, double *restrict sum,
                          float *restrict amax)
{
    for (size_t j = 0; j < d; j++) {
        float v = fabsf(x[j]);
        sum[j] += x[j];
        amax[j] = v > amax[j] ? v : amax[j];
    }
}

KM_INLINE void centre_body(const float *restrict x, const float *restrict mean, size_t d,
                           size_t ld, float *restrict out, double *restrict cs,
                           double *restrict sq)
{
    for (size_t j = 0; j < d; j++)
        out[j] = x[j] - mean[j];
    for (size_t j = d; j < ld; j++)
        out[j] = 0;
    if (cs)
        for (size_t j = 0; j < d; j++) {
            cs[j] += out[j];
            sq[j] += (double)out[j] * out[j];
        }
}

KM_INLINE void addsub_body(double *restrict to, double *restrict from, const float *restrict x,
                           size_t ld)
{
    if (from)
        for (size_t j = 0; j < ld; j++) {
            to[j] += x[j];
            from[j] -= x[j];
        }
    else
        for (size_t j = 0; j < ld; j++)
            to[j] += x[j];
}

static void stats_generic(const float *x, size_t d, double *sum, float *amax)
{
    stats_body(x, d, sum, amax);
}
static void centre_generic(const float *x, const float *mean, size_t d, size_t ld, float *out,
                           double *cs, double *sq)
{
    centre_body(x, mean, d, ld, out, cs, sq);
}
static void addsub_generic(double *to, double *from, const float *x, size_t ld)
{
    addsub_body(to, from, x, ld);
}
#ifdef KM_HAVE_AVX2
KM_AVX2 static void stats_avx2(const float *x, size_t d, double *sum, float *amax)
{
    stats_body(x, d, sum, amax);
}
KM_AVX2 static void centre_avx2(const float *x, const float *mean, size_t d, size_t ld,
                                float *out, double *cs, double *sq)
{
    centre_body(x, mean, d, ld, out, cs, sq);
}
KM_AVX2 static void addsub_avx2(double *to, double *from, const float *x, size_t ld)
{
    addsub_body(to, from, x, ld);
}
#endif

#define KM_UP (1.0f + 0x1p-22f)
#define KM_DOWN (1.0f - 0x1p-22f)

/* Pass 1 of an Elkan E-step over rows of k bounds (k = the padded kp, a multiple of 8): move
 * the bounds by the last centre shifts (du, rounded up; NULL when none is pending), rounding
 * outwards (a float op errs by <= 2^-24 relative, the factors
 * 1 -/+ 2^-22 more than cover two of them), and list the rows whose bounds fail. Only bounds
 * are read here, no row data. */
static size_t scan_generic(size_t n, size_t k, const int32_t *lab, float *ub, float *lb,
                           const float *du, const float *hc, const float *s, uint32_t *list)
{
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        const int32_t a = lab[i];
        float u = ub[i], *l = lb + i * k;
        if (du) {
            u = (u + du[a]) * KM_UP;
            ub[i] = u;
            for (size_t c = 0; c < k; c++) {
                float t = (l[c] - du[c]) * KM_DOWN;
                l[c] = t > 0 ? t : 0;
            }
        }
        if (u <= s[a])
            continue;
        const float *ha = hc + (size_t)a * k;
        int any = 0; /* branch-free so that it vectorises */
        for (size_t c = 0; c < k; c++)
            any |= (u > l[c]) & (u > ha[c]);
        list[nl] = (uint32_t)i;
        nl += any != 0;
    }
    return nl;
}

#ifdef KM_HAVE_AVX2
/* scan_generic in intrinsics (the compiler does not vectorise the short rows well); same bits. */
KM_AVX2 static size_t scan_avx2(size_t n, size_t k, const int32_t *lab, float *ub, float *lb,
                                const float *du, const float *hc, const float *s,
                                uint32_t *list)
{
    const __m256 down = _mm256_set1_ps(KM_DOWN), zero = _mm256_setzero_ps();
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        const int32_t a = lab[i];
        float u = ub[i], *l = lb + i * k;
        if (du) {
            u = (u + du[a]) * KM_UP;
            ub[i] = u;
            for (size_t c = 0; c < k; c += 8) {
                __m256 t = _mm256_sub_ps(_mm256_loadu_ps(l + c), _mm256_loadu_ps(du + c));
                _mm256_storeu_ps(l + c, _mm256_max_ps(_mm256_mul_ps(t, down), zero));
            }
        }
        if (u <= s[a])
            continue;
        const float *ha = hc + (size_t)a * k;
        const __m256 uv = _mm256_set1_ps(u);
        int any = 0;
        for (size_t c = 0; c < k; c += 8)
            any |= _mm256_movemask_ps(
                _mm256_and_ps(_mm256_cmp_ps(uv, _mm256_loadu_ps(l + c), _CMP_GT_OQ),
                              _mm256_cmp_ps(uv, _mm256_loadu_ps(ha + c), _CMP_GT_OQ)));
        list[nl] = (uint32_t)i;
        nl += any != 0;
    }
    return nl;
}
#endif

/* Candidates of one row in pass 2: the centres c (ascending) with u > l[c] and u > ha[c]; k is
 * the padded kp. Returns their number. */
static int gather_generic(float u, const float *l, const float *ha, size_t k, int32_t *cand)
{
    int m = 0;
    for (size_t c = 0; c < k; c++) {
        cand[m] = (int32_t)c;
        m += (u > l[c]) & (u > ha[c]);
    }
    return m;
}
#ifdef KM_HAVE_AVX2
KM_AVX2 static int gather_avx2(float u, const float *l, const float *ha, size_t k, int32_t *cand)
{
    const __m256 uv = _mm256_set1_ps(u);
    int m = 0;
    for (size_t c = 0; c < k; c += 8) {
        unsigned bits = (unsigned)_mm256_movemask_ps(
            _mm256_and_ps(_mm256_cmp_ps(uv, _mm256_loadu_ps(l + c), _CMP_GT_OQ),
                          _mm256_cmp_ps(uv, _mm256_loadu_ps(ha + c), _CMP_GT_OQ)));
        while (bits) {
            cand[m++] = (int32_t)(c + (size_t)__builtin_ctz(bits));
            bits &= bits - 1;
        }
    }
    return m;
}
#endif

/* The implementations chosen for this CPU (per call; no global state). */
typedef struct km_ops {
    float (*d2x1)(const float *x, const float *c, size_t ld);
    void (*d2x4)(const float *x, const float *const c[4], size_t ld, float out[4]);
    float (*h2x1)(const uint16_t *h, float scale, const float *c, size_t ld, float *tmp);
    void (*h2x4)(const uint16_t *h, float scale, const float *const c[4], size_t ld,
                 float out[4], float *tmp);
    void (*h2xm)(const uint16_t *h, float scale, const float *const *c, int m, size_t ld,
                 float *out, float *tmp);
    void (*h2f)(const uint16_t *h, float scale, size_t ld, float *out);
    void (*f2h)(const float *x, float scale, size_t ld, uint16_t *out);
    void (*stats)(const float *x, size_t d, double *sum, float *amax);
    void (*centre)(const float *x, const float *mean, size_t d, size_t ld, float *out,
                   double *cs, double *sq);
    void (*addsub)(double *to, double *from, const float *x, size_t ld);
    size_t (*scan)(size_t n, size_t k, const int32_t *lab, float *ub, float *lb,
                   const float *du, const float *hc, const float *s, uint32_t *list);
    int (*gather)(float u, const float *l, const float *ha, size_t k, int32_t *cand);
} km_ops;

static void ops_init(km_ops *o)
{
    *o = (km_ops){.d2x1 = d2x1_generic,
                  .d2x4 = d2x4_generic,
                  .h2x1 = h2x1_generic,
                  .h2x4 = h2x4_generic,
                  .h2xm = h2xm_generic,
                  .h2f = h2f_generic,
                  .f2h = f2h_generic,
                  .stats = stats_generic,
                  .centre = centre_generic,
                  .addsub = addsub_generic,
                  .scan = scan_generic,
                  .gather = gather_generic};
#ifdef KM_HAVE_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
        *o = (km_ops){.d2x1 = d2x1_avx2,
                      .d2x4 = d2x4_avx2,
                      .h2x1 = h2x1_avx2,
                      .h2x4 = h2x4_avx2,
                      .h2xm = h2xm_avx2,
                      .h2f = h2f_avx2,
                      .f2h = f2h_avx2,
                      .stats = stats_avx2,
                      .centre = centre_avx2,
                      .addsub = addsub_avx2,
                      .scan = scan_avx2,
                      .gather = gather_avx2};
#endif
}

/* ---------------------------------------------------------------------------------------------
 * Workspace of one call.
 * The accelerated path keeps no float32 copy of the centred data: a row x_i = fl(in_i - mean)
 * is recomputed when needed (same bits every time). Its distances mostly come from the half
 * shadow z_i = half(x_i * 2^s) * 2^-s, which halves the memory traffic of this memory-bound
 * loop; e_i >= ||x_i - z_i|| is computed once, and |d(x_i, c) - d(z_i, c)| <= e_i (triangle
 * inequality), so bounds derived from z_i are bounds for x_i. Where z_i leaves the nearest
 * centre ambiguous, the float32 row decides.
 * Invariants between iterations:
 *  - sums[j] (double) / cnt[j] are the sum / count of the rows whose label is j (labels of the
 *    last E-step); relocation works on a copy;
 *  - accelerated path: ub[i] >= ||x_i - C[lab[i]]|| and lb[i*kp+c] <= ||x_i - C[c]|| for the
 *    real-number distances of the float32 rows, kernel rounding included. */
typedef struct km {
    size_t n, d, k, ld;
    size_t kp; /* k rounded up to a multiple of 8: the row stride of lb and hc, whose padding
                * columns hold +inf (they never pass a test) */
    km_ops op;
    const float *in; /* caller's rows, stride d */
    float *mean;     /* d: float32 column means */
    float *X;        /* Lloyd path only: n x ld centred copy (for SGEMM) */
    uint16_t *H;     /* n x ld half shadow (scaled by 1/hscale) */
    float *eh;       /* n: e_i >= ||x_i - z_i|| */
    float hscale;    /* z = half * hscale, a power of two */
    float *xb, *tb;  /* ld: a centred row; scratch of the generic half kernels */
    float *crow;     /* L x ld: k-means++ candidate rows */
    float *C, *C2;   /* k x ld centres (current, next) */
    double *sums;    /* k x ld */
    double *tmp;     /* k x ld scratch for relocation */
    int64_t *cnt;    /* k */
    double *wts;     /* k */
    double *shift;   /* k */
    int32_t *lab;    /* n */
    float *ub;       /* n (accelerated) */
    float *lb;       /* n x kp (accelerated) */
    float *hc;       /* k x kp half centre distances, lower bounds, +inf on the diagonal */
    float *s;        /* k: min over c != a of hc[a][c] */
    float *du;       /* kp: last centre shifts rounded up, pending for the bounds (pad 0) */
    int du_pending;
    uint32_t *mv;    /* n: rows whose label changed in this E-step */
    int32_t *mvfrom; /* n: their previous labels */
    float *fbuf;     /* max(L*n, 256*k) floats: candidate distances, GEMM block, relocation */
    double *cum;     /* n */
    float *closest;  /* n: k-means++ squared z-distance to the closest chosen centre */
    float *rd;       /* n: upper bound of the x-distance to that centre */
    uint32_t *list;  /* n: rows that need work in this pass */
    uint8_t *mask;   /* n: per row, which k-means++ candidates need a distance */
    float *qc;       /* L x k: lower bounds of d(candidate, chosen centre) */
    double sumsq;    /* sum of ||x_i||^2 */
    double eps;      /* relative margin on kernel distances */
    uint64_t ndist, nexact;
    int n_relocated;
} km;

/* Bounds on ||x - c|| from a kernel value v ~ ||y - c||^2 where ||x - y|| <= e. */
static float bound_lo(const km *w, float v, float e)
{
    double b = sqrt((double)v) * (1.0 - w->eps) - (double)e;
    return b > 0 ? (float)b : 0.0f;
}

static float bound_hi(const km *w, float v, float e)
{
    return (float)(sqrt((double)v) * (1.0 + w->eps) + (double)e) + 1e-30f;
}

/* Squared distances of one point to m centre rows, four per kernel call. The point is the
 * float row x, or (x == NULL) half row i. */
static void dist_many(km *w, const float *x, size_t i, const float *const *rows, int m,
                      float *out)
{
    const uint16_t *h = w->H + i * w->ld;
    int t = 0;
    while (t < m) {
        if (m - t == 1) {
            out[t] = x ? w->op.d2x1(x, rows[t], w->ld)
                       : w->op.h2x1(h, w->hscale, rows[t], w->ld, w->tb);
            return;
        }
        const float *r[4];
        float o[4];
        for (int q = 0; q < 4; q++) /* pad a short group with its last row */
            r[q] = rows[t + (t + q < m ? q : m - t - 1)];
        if (x)
            w->op.d2x4(x, r, w->ld, o);
        else
            w->op.h2x4(h, w->hscale, r, w->ld, o, w->tb);
        for (int q = 0; q < 4 && t < m; q++)
            out[t++] = o[q];
    }
}

/* Centred float32 row i: the stored copy, or recomputed into buf. */
static const float *xrow(km *w, size_t i, float *buf)
{
    if (w->X)
        return w->X + i * w->ld;
    w->op.centre(w->in + i * w->d, w->mean, w->d, w->ld, buf, NULL, NULL);
    return buf;
}

/* 64-byte aligned; big buffers go on 2 MiB pages when the kernel allows it: their rows are
 * visited in random order, and 4 KiB pages would miss the TLB. */
static void *km_alloc(size_t count, size_t size, int *fail)
{
    const size_t huge = (size_t)2 << 20;
    size_t bytes = count * size, align = 64;
    if (bytes == 0)
        bytes = 64;
    if (bytes >= 2 * huge)
        align = huge;
    bytes = (bytes + align - 1) / align * align;
    void *p = aligned_alloc(align, bytes);
    if (!p)
        *fail = 1;
#ifdef MADV_HUGEPAGE
    else if (align == huge)
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

/* Ask for the half row processed a few steps later: rows needing work are scattered, and the
 * hardware prefetcher only starts after a few misses per row. */
static inline void prefetch_half_row(const km *w, size_t i)
{
    const char *c = (const char *)(w->H + i * w->ld);
    for (size_t off = 0; off < w->ld * sizeof(uint16_t); off += 256) {
        __builtin_prefetch(c + off, 0, 3);
        __builtin_prefetch(c + off + 64, 0, 3);
        __builtin_prefetch(c + off + 128, 0, 3);
        __builtin_prefetch(c + off + 192, 0, 3);
    }
}

enum { KM_PF = 2 }; /* rows of look-ahead */

static void km_free(km *w)
{
    void *all[] = {w->mean, w->X,   w->H,     w->eh,   w->xb,  w->tb,      w->crow,
                   w->C,    w->C2,  w->sums,  w->tmp,  w->cnt, w->wts,     w->shift,
                   w->lab,  w->ub,  w->lb,    w->hc,   w->s,   w->fbuf,    w->cum,
                   w->closest, w->rd, w->list, w->mask, w->qc,     w->du,  w->mv,
                   w->mvfrom};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
}

static int n_local_trials(size_t k) { return 2 + (int)floor(log((double)k)); }

/* ---------------------------------------------------------------------------------------------
 * Preparation: column means (double, then float32 — sklearn's X.mean of float32 input is
 * float32), the half shadow with e_i, the population variance for tol, sum ||x||^2; and, in
 * the same pass, the first k-means++ centre's distances (it was drawn before the pass). */

static int prepare_stats(km *w, float *amax_out, imp_err *err)
{
    const size_t n = w->n, d = w->d;
    const float big = 1e15f; /* keeps squared distances far below FLT_MAX */
    double *sum = calloc(d, sizeof(double));
    float *mx = calloc(d, sizeof(float));
    if (!sum || !mx) {
        free(sum);
        free(mx);
        return imp_err_set(err, IMP_ENOMEM, "kmeans: out of memory (%zu features)", d);
    }
    for (size_t i = 0; i < n; i++)
        w->op.stats(w->in + i * d, d, sum, mx);
    int bad = 0; /* a non-finite value shows up in its column sum */
    for (size_t j = 0; j < d; j++)
        bad |= !isfinite(sum[j]) || mx[j] > big;
    if (bad) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < d; j++) {
                float v = w->in[i * d + j];
                if (!isfinite(v) || fabsf(v) > big) {
                    free(sum);
                    free(mx);
                    return imp_err_set(err, IMP_ENUMERIC,
                                       "kmeans: input row %zu column %zu is %g (expected a "
                                       "finite value of magnitude <= 1e15)",
                                       i, j, (double)v);
                }
            }
    }
    float amax = 0;
    for (size_t j = 0; j < d; j++) {
        w->mean[j] = (float)(sum[j] / (double)n);
        float v = mx[j] + fabsf(w->mean[j]); /* >= max |x - mean| in column j */
        amax = v > amax ? v : amax;
    }
    *amax_out = amax;
    free(sum);
    free(mx);
    return 0;
}

/* Centre every row (into X on the Lloyd path), build its half row and e_i, accumulate the
 * moments, and compute the distances to the first centre C[0] (lbm as in kmeanspp). */
static int prepare_rows(km *w, double tol, double *tol_abs, float amax, float *lbm, double *pot,
                        imp_err *err)
{
    const size_t n = w->n, d = w->d, ld = w->ld, kp = w->kp;
    double *cs = calloc(2 * d, sizeof(double));
    if (!cs)
        return imp_err_set(err, IMP_ENOMEM, "kmeans: out of memory (%zu features)", d);
    double *sq = cs + d;
    /* scale by a power of two so that the largest |value| lands in [2^13, 2^14): well inside
     * the half range, and small values keep their absolute precision */
    int ex = 0;
    if (amax > 0)
        frexpf(amax, &ex);
    int sh = 14 - ex;
    sh = sh > 100 ? 100 : sh < -100 ? -100 : sh;
    w->hscale = ldexpf(1.0f, -sh);
    const float inv = ldexpf(1.0f, sh);
    double p = 0;
    for (size_t i = 0; i < n; i++) {
        float *o = w->X ? w->X + i * ld : w->xb;
        uint16_t *h = w->H + i * ld;
        w->op.centre(w->in + i * d, w->mean, d, ld, o, cs, sq);
        w->op.f2h(o, inv, ld, h);
        w->op.h2f(h, w->hscale, ld, w->tb);
        const float e = bound_hi(w, w->op.d2x1(o, w->tb, ld), 0);
        const float v = w->op.d2x1(w->tb, w->C, ld); /* = h2x1 of this row, same bits */
        w->eh[i] = e;
        w->closest[i] = v;
        w->rd[i] = bound_hi(w, v, e);
        w->lab[i] = 0;
        if (lbm)
            lbm[i * kp] = bound_lo(w, v, e);
        p += v;
    }
    w->ndist += n;
    double var = 0, ss = 0;
    for (size_t j = 0; j < d; j++) {
        double m1 = cs[j] / (double)n;
        double v = sq[j] / (double)n - m1 * m1;
        var += v > 0 ? v : 0;
        ss += sq[j];
    }
    w->sumsq = ss;
    *tol_abs = tol == 0 ? 0 : var / (double)d * tol;
    *pot = p;
    free(cs);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Greedy k-means++ (sklearn _kmeans_plusplus, unit weights), centres 1..k-1 (centre 0 and its
 * distances come from prepare_rows). The potentials use the squared distances of the half
 * rows z_i (relative error ~1e-4 where sklearn has float64); the centres are float32 rows.
 * Maintains per row its closest chosen centre (lab), the squared z-distance to it (closest)
 * and an upper bound of the x-distance (rd).
 * A candidate q cannot be closer to x than x's closest centre a when d(q, a) >= 2 d(x, a)
 * (triangle inequality); such distances are not computed, they would only contribute
 * min(closest, d^2) = closest to the potential, so the draws and the choices are those of the
 * full computation. If lbm is not NULL it receives lbm[i*kp + c] <= ||x_i - C_c|| for every
 * chosen centre (from the computed distance or from the triangle bound): with lab and rd the
 * state of Elkan's bounds before the first E-step. */
static void kmeanspp(km *w, imp_rng *rng, double pot, float *lbm, size_t *idx_out)
{
    const size_t n = w->n, k = w->k, ld = w->ld;
    const int L = n_local_trials(k);
    float *cd = w->fbuf, *closest = w->closest, *rd = w->rd, *qc = w->qc;
    int32_t *a = w->lab;
    double *cum = w->cum;
    size_t cand[8];
    double r[8], cpot[8];
    const float *rows[8];
    for (size_t c = 1; c < k; c++) {
        double acc = 0;
        for (size_t i = 0; i < n; i++) {
            acc += closest[i];
            cum[i] = acc;
        }
        for (int t = 0; t < L; t++)
            r[t] = imp_rng_uniform(rng) * pot;
        for (int t = 0; t < L; t++) {
            /* numpy searchsorted(side='left'): first i with cum[i] >= r. */
            size_t lo = 0, hi = n;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cum[mid] < r[t])
                    lo = mid + 1;
                else
                    hi = mid;
            }
            cand[t] = lo < n ? lo : n - 1;
            float *row = w->crow + (size_t)t * ld;
            memcpy(row, xrow(w, cand[t], row), ld * sizeof(float));
            rows[t] = row;
            cpot[t] = 0;
            for (size_t j = 0; j < c; j++)
                qc[(size_t)t * k + j] = bound_lo(w, w->op.d2x1(row, w->C + j * ld, ld), 0);
        }
        /* which (row, candidate) distances are needed (reads no row data) */
        size_t nl = 0;
        for (size_t i = 0; i < n; i++) {
            const float two = 2.0f * rd[i];
            unsigned m = 0;
            for (int t = 0; t < L; t++)
                m |= (unsigned)(qc[(size_t)t * k + (size_t)a[i]] < two) << t;
            w->mask[i] = (uint8_t)m;
            w->list[nl] = (uint32_t)i;
            nl += m != 0;
        }
        for (size_t q = 0; q < nl; q++) {
            if (q + KM_PF < nl)
                prefetch_half_row(w, w->list[q + KM_PF]);
            size_t i = w->list[q];
            unsigned m = w->mask[i];
            const float *sub[8];
            float o[8];
            int ns = 0;
            for (int t = 0; t < L; t++)
                if (m >> t & 1)
                    sub[ns++] = rows[t];
            if (ns > 4) { /* one pass over the row for up to eight candidates */
                w->op.h2xm(w->H + i * ld, w->hscale, sub, ns, ld, o, w->tb);
            } else {
                dist_many(w, NULL, i, sub, ns, o);
            }
            w->ndist += (uint64_t)ns;
            ns = 0;
            for (int t = 0; t < L; t++)
                if (m >> t & 1)
                    cd[(size_t)t * n + i] = o[ns++];
        }
        for (size_t i = 0; i < n; i++) {
            unsigned m = w->mask[i];
            for (int t = 0; t < L; t++) {
                float v = closest[i];
                if (m >> t & 1 && cd[(size_t)t * n + i] < v)
                    v = cd[(size_t)t * n + i];
                cpot[t] += v;
            }
        }
        int best = 0;
        for (int t = 1; t < L; t++)
            if (cpot[t] < cpot[best])
                best = t;
        pot = cpot[best];
        const float *bd = cd + (size_t)best * n, *qb = qc + (size_t)best * k;
        for (size_t i = 0; i < n; i++) {
            if (w->mask[i] >> best & 1) {
                float v = bd[i];
                if (lbm)
                    lbm[i * w->kp + c] = bound_lo(w, v, w->eh[i]);
                if (v < closest[i]) {
                    closest[i] = v;
                    rd[i] = bound_hi(w, v, w->eh[i]);
                    a[i] = (int32_t)c;
                }
            } else if (lbm) {
                float t = (qb[a[i]] - rd[i]) * KM_DOWN;
                lbm[i * w->kp + c] = t > 0 ? t : 0;
            }
        }
        memcpy(w->C + c * ld, rows[best], ld * sizeof(float));
        if (idx_out)
            idx_out[c] = cand[best];
    }
}

/* ---------------------------------------------------------------------------------------------
 * Shared pieces of both paths. */

static void sums_from_labels(km *w)
{
    const size_t k = w->k, ld = w->ld;
    memset(w->sums, 0, k * ld * sizeof(double));
    memset(w->cnt, 0, k * sizeof(int64_t));
    for (size_t i = 0; i < w->n; i++) {
        w->op.addsub(w->sums + (size_t)w->lab[i] * ld, NULL, xrow(w, i, w->xb), ld);
        w->cnt[w->lab[i]]++;
    }
}

static void move_point(km *w, size_t i, int32_t from, int32_t to)
{
    const size_t ld = w->ld;
    w->op.addsub(w->sums + (size_t)to * ld, w->sums + (size_t)from * ld, xrow(w, i, w->xb), ld);
    w->cnt[from]--;
    w->cnt[to]++;
}

/* Inertia of (labels, C) from the label sums: sum||x||^2 - 2 sum_j s_j.c_j + n_j ||c_j||^2. */
static double inertia_from_sums(const km *w, const float *C)
{
    double tot = w->sumsq;
    for (size_t j = 0; j < w->k; j++) {
        const float *c = C + j * w->ld;
        const double *s = w->sums + j * w->ld;
        double dot = 0, cc = 0;
        for (size_t t = 0; t < w->ld; t++) {
            dot += s[t] * c[t];
            cc += (double)c[t] * c[t];
        }
        tot += -2.0 * dot + (double)w->cnt[j] * cc;
    }
    return tot > 0 ? tot : 0;
}

/* M-step: Cnew from the label sums, with sklearn's empty-cluster relocation (on a copy of the
 * sums, relative to the old centres Cold) and _average_centers; fills w->shift and returns
 * the sum of squared shifts. */
static double mstep(km *w, const float *Cold, float *Cnew)
{
    const size_t n = w->n, k = w->k, ld = w->ld;
    const double *S = w->sums;
    size_t n_empty = 0;
    for (size_t j = 0; j < k; j++) {
        w->wts[j] = (double)w->cnt[j];
        n_empty += w->cnt[j] == 0;
    }
    if (n_empty > 0) {
        memcpy(w->tmp, w->sums, k * ld * sizeof(double));
        S = w->tmp;
        float *dist = w->fbuf, dmax = 0;
        for (size_t i = 0; i < n; i++) {
            dist[i] = w->op.d2x1(xrow(w, i, w->xb), Cold + (size_t)w->lab[i] * ld, ld);
            if (dist[i] > dmax)
                dmax = dist[i];
        }
        if (dmax > 0) {
            /* The n_empty largest distances, largest first, lower row first among equals
             * (numpy's argpartition leaves that order unspecified). n_empty < k <= 1024. */
            size_t far[1024], nf = 0;
            for (size_t i = 0; i < n; i++) {
                if (nf == n_empty && !(dist[i] > dist[far[nf - 1]]))
                    continue;
                size_t p = nf < n_empty ? nf++ : nf - 1;
                while (p > 0 && dist[i] > dist[far[p - 1]]) {
                    far[p] = far[p - 1];
                    p--;
                }
                far[p] = i;
            }
            size_t e = 0;
            for (size_t idx = 0; idx < nf; idx++) {
                while (w->cnt[e] != 0)
                    e++;
                size_t p = far[idx];
                int32_t o = w->lab[p];
                const float *x = xrow(w, p, w->xb);
                double *so = w->tmp + (size_t)o * ld, *se = w->tmp + e * ld;
                for (size_t j = 0; j < ld; j++) {
                    so[j] -= x[j];
                    se[j] = x[j];
                }
                w->wts[e] = 1;
                w->wts[o] -= 1;
                w->n_relocated++;
                e++;
            }
        }
    }
    /* sklearn _average_centers, including its order dependence: an empty cluster copies the
     * heaviest cluster's row as it is at that moment (already averaged iff it comes earlier,
     * else still the raw sum). */
    size_t amax = 0;
    for (size_t j = 1; j < k; j++)
        if (w->wts[j] > w->wts[amax])
            amax = j;
    for (size_t j = 0; j < k; j++) {
        float *c = Cnew + j * ld;
        const double *s = S + j * ld;
        if (w->wts[j] > 0) {
            for (size_t t = 0; t < ld; t++)
                c[t] = (float)(s[t] / w->wts[j]);
        } else if (amax < j) {
            memcpy(c, Cnew + amax * ld, ld * sizeof(float));
        } else {
            for (size_t t = 0; t < ld; t++)
                c[t] = (float)S[amax * ld + t];
        }
    }
    double tot = 0;
    for (size_t j = 0; j < k; j++) {
        double q = 0;
        for (size_t t = 0; t < ld; t++) {
            double e = (double)Cnew[j * ld + t] - (double)Cold[j * ld + t];
            q += e * e;
        }
        w->shift[j] = sqrt(q);
        tot += q;
    }
    return tot;
}

/* ---------------------------------------------------------------------------------------------
 * Plain Lloyd E-step: chunked SGEMM of ||c||^2 - 2 x.c, argmin with strict <, sums from scratch.
 * Returns the number of labels that changed. */
static size_t estep_lloyd(km *w, const float *C)
{
    const size_t n = w->n, k = w->k, ld = w->ld;
    size_t chunk = (256u * 1024u) / (ld * sizeof(float));
    if (chunk < 16)
        chunk = 16;
    if (chunk > 256)
        chunk = 256;
    float *pw = w->fbuf, cnorm[1024]; /* k <= 1024 */
    for (size_t j = 0; j < k; j++) {
        float q = 0;
        for (size_t t = 0; t < ld; t++)
            q += C[j * ld + t] * C[j * ld + t];
        cnorm[j] = q;
    }
    size_t changed = 0;
    for (size_t s0 = 0; s0 < n; s0 += chunk) {
        size_t m = n - s0 < chunk ? n - s0 : chunk;
        for (size_t i = 0; i < m; i++)
            memcpy(pw + i * k, cnorm, k * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)ld, -2.0f,
                    w->X + s0 * ld, (int)ld, C, (int)ld, 1.0f, pw, (int)k);
        for (size_t i = 0; i < m; i++) {
            const float *p = pw + i * k;
            int32_t b = 0;
            for (size_t j = 1; j < k; j++)
                if (p[j] < p[b])
                    b = (int32_t)j;
            changed += w->lab[s0 + i] != b;
            w->lab[s0 + i] = b;
        }
    }
    w->ndist += (uint64_t)n * k;
    sums_from_labels(w);
    return changed;
}

/* ---------------------------------------------------------------------------------------------
 * Elkan. */

static void centre_half_distances(km *w, const float *C)
{
    const size_t k = w->k, kp = w->kp, ld = w->ld;
    for (size_t a = 0; a < k; a++) {
        for (size_t c = k; c < kp; c++)
            w->hc[a * kp + c] = INFINITY;
        w->hc[a * kp + a] = INFINITY;
        for (size_t c = a + 1; c < k; c++) {
            float v = 0.5f * bound_lo(w, w->op.d2x1(C + a * ld, C + c * ld, ld), 0);
            w->hc[a * kp + c] = w->hc[c * kp + a] = v;
        }
    }
    for (size_t a = 0; a < k; a++) {
        float m = INFINITY;
        for (size_t c = 0; c < k; c++)
            if (w->hc[a * kp + c] < m)
                m = w->hc[a * kp + c];
        w->s[a] = m;
    }
}

/* Distances of row i (float row x, or its half row if x is NULL; e bounds the difference to
 * the float32 row) to the centres g[0..ng), folded into the running argmin (best, bv; ties to
 * the lower index; best < 0 = none yet) and into the lower bounds l. */
static void elkan_group(km *w, const float *C, const float *x, size_t i, float e, float *l,
                        const int32_t *g, int ng, int32_t *best, float *bv)
{
    const float *rows[1024];
    float o[1024];
    for (int p = 0; p < ng; p++)
        rows[p] = C + (size_t)g[p] * w->ld;
    dist_many(w, x, i, rows, ng, o);
    w->ndist += (uint64_t)ng;
    for (int p = 0; p < ng; p++) {
        l[g[p]] = bound_lo(w, o[p], e);
        if (*best < 0 || o[p] < *bv || (o[p] == *bv && g[p] < *best)) {
            *best = g[p];
            *bv = o[p];
        }
    }
}

/* One Elkan E-step against C: updates labels and bounds, and the label sums if update_sums.
 * Pass 1 lists the rows whose bounds fail (reading bounds only); pass 2 computes their
 * distances from the half rows, four centres per kernel call (about the cost of one): first
 * the current centre and the three candidates with the smallest lower bounds, then the
 * candidates that still pass. If the half-row bounds leave the nearest centre ambiguous, the
 * float32 row decides among the ambiguous ones. Returns the number of labels changed. */
static size_t estep_elkan(km *w, const float *C, int update_sums)
{
    const size_t n = w->n, kp = w->kp;
    centre_half_distances(w, C);
    size_t changed = 0;
    int32_t cand[1024], g[1024];
    const size_t nl = w->op.scan(n, kp, w->lab, w->ub, w->lb, w->du_pending ? w->du : NULL, w->hc,
                                 w->s, w->list);
    w->du_pending = 0;
    for (size_t q = 0; q < nl; q++) {
        if (q + KM_PF < nl)
            prefetch_half_row(w, w->list[q + KM_PF]);
        const size_t i = w->list[q];
        const int32_t a = w->lab[i];
        const float e = w->eh[i];
        float u = w->ub[i], *l = w->lb + i * kp;
        const float *ha = w->hc + (size_t)a * kp;
        const int m = w->op.gather(u, l, ha, kp, cand);
        /* first group: a and the (up to) three candidates with the smallest lower bounds */
        int ng = 1, done = 0;
        g[0] = a;
        for (int p = 0; p < m && p < 3; p++) {
            int bi = p;
            for (int t = p + 1; t < m; t++)
                if (l[cand[t]] < l[cand[bi]])
                    bi = t;
            int32_t tmp = cand[p];
            cand[p] = cand[bi];
            cand[bi] = tmp;
            g[ng++] = cand[p];
        }
        int32_t best = -1;
        float bv = 0;
        int rest = ng - 1;
        for (;;) {
            elkan_group(w, C, NULL, i, e, l, g + done, ng, &best, &bv);
            done += ng;
            u = bound_hi(w, bv, e);
            const float *hb = w->hc + (size_t)best * kp;
            ng = 0;
            while (rest < m && ng < 4) {
                int32_t c = cand[rest++];
                if (u > l[c] && u > hb[c])
                    g[done + ng++] = c;
            }
            if (ng == 0)
                break;
        }
        /* The nearest centre is best or a computed one whose lower bound is below u. */
        int na = 0;
        for (int p = 0; p < done; p++)
            if (g[p] != best && l[g[p]] < u)
                cand[na++] = g[p];
        if (na > 0) {
            cand[na++] = best;
            best = -1;
            elkan_group(w, C, xrow(w, i, w->xb), i, 0, l, cand, na, &best, &bv);
            w->nexact += (uint64_t)na;
            u = bound_hi(w, bv, 0);
        }
        if (best != a) {
            w->lab[i] = best;
            w->mv[changed] = (uint32_t)i;
            w->mvfrom[changed++] = a;
        }
        w->ub[i] = u;
    }
    /* the label sums follow the moves; their float32 rows are read from the caller's data */
    for (size_t q = 0; update_sums && q < changed; q++) {
        if (q + KM_PF < changed) {
            const char *p = (const char *)(w->in + (size_t)w->mv[q + KM_PF] * w->d);
            for (size_t off = 0; off < w->d * sizeof(float); off += 64)
                __builtin_prefetch(p + off, 0, 3);
        }
        move_point(w, w->mv[q], w->mvfrom[q], w->lab[w->mv[q]]);
    }
    return changed;
}

/* The last centre shifts (exact in double) rounded up to float, applied to the bounds by the
 * next E-step's first pass. */
static void elkan_shift_bounds(km *w)
{
    for (size_t c = 0; c < w->k; c++) { /* the padding of du stays 0 */
        float f = (float)w->shift[c];
        if ((double)f < w->shift[c])
            f = nextafterf(f, INFINITY);
        w->du[c] = f;
    }
    w->du_pending = 1;
}

/* ---------------------------------------------------------------------------------------------
 * Driver. */

void imp_kmeans_opts_default(imp_kmeans_opts *o)
{
    o->max_iter = 300;
    o->tol = 1e-4;
    o->algorithm = IMP_KMEANS_ACCEL;
    o->init = NULL;
}

int imp_kmeans(const float *x, size_t n, size_t d, size_t k, const imp_kmeans_opts *opts,
               imp_rng *rng, float *centers, int32_t *labels, imp_kmeans_info *info,
               imp_err *err)
{
    imp_kmeans_opts def;
    if (!opts) {
        imp_kmeans_opts_default(&def);
        opts = &def;
    }
    if (!x || !rng || !centers)
        return imp_err_set(err, IMP_EINPUT, "kmeans: data, rng and centers must not be NULL");
    if (n == 0 || d == 0 || k == 0)
        return imp_err_set(err, IMP_EINPUT,
                           "kmeans: expected n >= 1, d >= 1, k >= 1 (got n=%zu d=%zu k=%zu)",
                           n, d, k);
    if (k > n)
        return imp_err_set(err, IMP_EINPUT, "kmeans: n_samples=%zu should be >= n_clusters=%zu",
                           n, k);
    if (k > 1024 || n > (size_t)INT32_MAX)
        return imp_err_set(err, IMP_EINPUT,
                           "kmeans: expected k <= 1024 and n < 2^31 (got k=%zu n=%zu)", k, n);
    if (opts->max_iter < 1 || !(opts->tol >= 0))
        return imp_err_set(err, IMP_EINPUT, "kmeans: expected max_iter >= 1 and tol >= 0");
    if (opts->init)
        for (size_t i = 0; i < k * d; i++)
            if (!isfinite(opts->init[i]))
                return imp_err_set(err, IMP_ENUMERIC,
                                   "kmeans: initial centre %zu column %zu is %g (expected finite)",
                                   i / d, i % d, (double)opts->init[i]);
    const int accel = opts->algorithm == IMP_KMEANS_ACCEL;
    const int L = n_local_trials(k);

    km w;
    memset(&w, 0, sizeof w);
    w.n = n;
    w.d = d;
    w.k = k;
    w.ld = (d + 7) / 8 * 8;
    w.kp = (k + 7) / 8 * 8;
    w.in = x;
    /* the margin on distances for kernel rounding (see the kernels), plus a little */
    w.eps = ((double)w.ld / 8.0 + 16.0) * 0x1p-24 + 1e-7;
    ops_init(&w.op);
    const size_t ld = w.ld;
    int fail = 0;
    size_t fb = (size_t)L * n;
    if (fb < 256 * k)
        fb = 256 * k;
    w.mean = km_alloc(d, sizeof(float), &fail);
    if (!accel)
        w.X = km_alloc(n * ld, sizeof(float), &fail);
    w.H = km_alloc(n * ld, sizeof(uint16_t), &fail);
    w.eh = km_alloc(n, sizeof(float), &fail);
    w.xb = km_alloc(ld, sizeof(float), &fail);
    w.tb = km_alloc(ld, sizeof(float), &fail);
    w.crow = km_alloc((size_t)L * ld, sizeof(float), &fail);
    w.C = km_alloc(k * ld, sizeof(float), &fail);
    w.C2 = km_alloc(k * ld, sizeof(float), &fail);
    w.sums = km_alloc(k * ld, sizeof(double), &fail);
    w.tmp = km_alloc(k * ld, sizeof(double), &fail);
    w.cnt = km_alloc(k, sizeof(int64_t), &fail);
    w.wts = km_alloc(k, sizeof(double), &fail);
    w.shift = km_alloc(k, sizeof(double), &fail);
    w.lab = km_alloc(n, sizeof(int32_t), &fail);
    w.fbuf = km_alloc(fb, sizeof(float), &fail);
    w.cum = km_alloc(n, sizeof(double), &fail);
    w.closest = km_alloc(n, sizeof(float), &fail);
    w.rd = km_alloc(n, sizeof(float), &fail);
    w.list = km_alloc(n, sizeof(uint32_t), &fail);
    w.mask = km_alloc(n, sizeof(uint8_t), &fail);
    w.qc = km_alloc((size_t)L * k, sizeof(float), &fail);
    if (accel) {
        w.ub = km_alloc(n, sizeof(float), &fail);
        w.lb = km_alloc(n * w.kp, sizeof(float), &fail);
        w.hc = km_alloc(k * w.kp, sizeof(float), &fail);
        w.s = km_alloc(k, sizeof(float), &fail);
        w.du = km_alloc(w.kp, sizeof(float), &fail);
        w.mv = km_alloc(n, sizeof(uint32_t), &fail);
        w.mvfrom = km_alloc(n, sizeof(int32_t), &fail);
    }
    double *trace = info ? info->inertia_trace : NULL;
    size_t *init_idx = info ? info->init_indices : NULL;
    double tol_abs = 0, pot = 0;
    float amax = 0;
    int rc = 0;
    if (fail) {
        rc = imp_err_set(err, IMP_ENOMEM, "kmeans: out of memory (n=%zu d=%zu k=%zu)", n, d, k);
        goto done;
    }
    if (accel) {
        for (size_t i = 0; i < n; i++)
            for (size_t c = k; c < w.kp; c++)
                w.lb[i * w.kp + c] = INFINITY;
        memset(w.du, 0, w.kp * sizeof(float));
    }
    if ((rc = prepare_stats(&w, &amax, err)) != 0)
        goto done;
    if (opts->init) { /* sklearn: init -= X_mean */
        for (size_t c = 0; c < k; c++)
            w.op.centre(opts->init + c * d, w.mean, d, ld, w.C + c * ld, NULL, NULL);
    } else { /* k-means++ centre 0: random_state.choice(n, p=w/sum(w)) with unit weights */
        const size_t c0 = (size_t)imp_rng_below(rng, n);
        w.op.centre(x + c0 * d, w.mean, d, ld, w.C, NULL, NULL);
        if (init_idx)
            init_idx[0] = c0;
    }
    float *lbm = accel && !opts->init ? w.lb : NULL;
    if ((rc = prepare_rows(&w, opts->tol, &tol_abs, amax, lbm, &pot, err)) != 0)
        goto done;
    if (!opts->init)
        kmeanspp(&w, rng, pot, lbm, init_idx);
    const uint64_t ndist_init = opts->init ? 0 : w.ndist;
    w.ndist = 0;
    if (accel && opts->init) { /* no distances known: the first E-step computes them all */
        for (size_t i = 0; i < n; i++) {
            w.ub[i] = INFINITY;
            w.lab[i] = 0;
        }
        for (size_t i = 0; i < n; i++)
            memset(w.lb + i * w.kp, 0, k * sizeof(float));
    } else if (accel) {
        memcpy(w.ub, w.rd, n * sizeof(float));
    } else { /* sklearn starts from labels_old = -1 */
        for (size_t i = 0; i < n; i++)
            w.lab[i] = -1;
    }

    float *C = w.C, *Cn = w.C2;
    int it, strict = 0;
    for (it = 0; it < opts->max_iter; it++) {
        size_t changed;
        if (!accel) {
            changed = estep_lloyd(&w, C);
        } else if (it == 0) {
            estep_elkan(&w, C, 0);
            sums_from_labels(&w);
            changed = n; /* against labels_old = -1 */
        } else {
            changed = estep_elkan(&w, C, 1);
        }
        if (trace)
            trace[it] = inertia_from_sums(&w, C);
        double shift_tot = mstep(&w, C, Cn);
        float *t = C;
        C = Cn;
        Cn = t;
        if (accel)
            elkan_shift_bounds(&w);
        if (changed == 0) {
            strict = 1;
            break;
        }
        if (shift_tot <= tol_abs)
            break;
    }
    if (it == opts->max_iter)
        it--;
    if (!strict) {
        if (accel)
            estep_elkan(&w, C, 1);
        else
            estep_lloyd(&w, C);
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++)
            centers[c * d + j] = C[c * ld + j] + w.mean[j];
    if (labels)
        memcpy(labels, w.lab, n * sizeof(int32_t));
    if (info) {
        info->n_iter = it + 1;
        info->strict_convergence = strict;
        info->n_relocated = w.n_relocated;
        info->inertia = inertia_from_sums(&w, C);
        info->tol_abs = tol_abs;
        info->n_dist_init = ndist_init;
        info->n_dist_iter = w.ndist;
        info->n_dist_exact = w.nexact;
        info->n_dist_lloyd = (uint64_t)n * k * (uint64_t)(it + 1 + !strict);
    }
done:
    km_free(&w);
    return rc;
}
