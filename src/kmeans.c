/* kmeans.c — sklearn 1.5.2 KMeans (k-means++ init, Lloyd) with a plain SGEMM E-step and an exact
 * Elkan-accelerated E-step that keeps float32 rounding inside its bounds. */
#include "imprint/kmeans.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KM_HAVE_AVX2 1
#endif

/* ---------------------------------------------------------------------------------------------
 * Distance kernel. Rows are padded with zeros to ld (a multiple of 8). Every (point, centre)
 * squared distance is summed in one fixed order: two 8-lane accumulators over alternating
 * 8-float blocks, then a fixed reduction tree. The 4-centre variant follows exactly the same
 * order per centre, so a value never depends on which call (or slot) computed it; that is what
 * lets k-means++ hand its distances to the first E-step.
 * Rounding: each lane sums <= ld/16 + 1 positive terms, so the relative error of a squared
 * distance is below (ld/16 + 8) * 2^-24; we use twice that as the margin (km.eps). */

typedef float (*km_d2x1_fn)(const float *x, const float *c, size_t ld);
typedef void (*km_d2x4_fn)(const float *x, const float *const c[4], size_t ld, float out[4]);

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

#ifdef KM_HAVE_AVX2
__attribute__((target("avx2,fma"))) static inline float hsum_avx2(__m256 a0, __m256 a1)
{
    __m256 v = _mm256_add_ps(a0, a1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static float d2x1_avx2(const float *x, const float *c,
                                                           size_t ld)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 16 <= ld; j += 16) {
        __m256 e0 = _mm256_sub_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(c + j));
        __m256 e1 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8), _mm256_loadu_ps(c + j + 8));
        a0 = _mm256_fmadd_ps(e0, e0, a0);
        a1 = _mm256_fmadd_ps(e1, e1, a1);
    }
    if (j < ld) {
        __m256 e0 = _mm256_sub_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(c + j));
        a0 = _mm256_fmadd_ps(e0, e0, a0);
    }
    return hsum_avx2(a0, a1);
}

__attribute__((target("avx2,fma"))) static void d2x4_avx2(const float *x,
                                                          const float *const c[4], size_t ld,
                                                          float out[4])
{
    const float *c0 = c[0], *c1 = c[1], *c2 = c[2], *c3 = c[3];
    __m256 a00 = _mm256_setzero_ps(), a01 = _mm256_setzero_ps();
    __m256 a10 = _mm256_setzero_ps(), a11 = _mm256_setzero_ps();
    __m256 a20 = _mm256_setzero_ps(), a21 = _mm256_setzero_ps();
    __m256 a30 = _mm256_setzero_ps(), a31 = _mm256_setzero_ps();
    size_t j = 0;
    for (; j + 16 <= ld; j += 16) {
        __m256 x0 = _mm256_loadu_ps(x + j), x1 = _mm256_loadu_ps(x + j + 8), e0, e1;
        e0 = _mm256_sub_ps(x0, _mm256_loadu_ps(c0 + j));
        e1 = _mm256_sub_ps(x1, _mm256_loadu_ps(c0 + j + 8));
        a00 = _mm256_fmadd_ps(e0, e0, a00);
        a01 = _mm256_fmadd_ps(e1, e1, a01);
        e0 = _mm256_sub_ps(x0, _mm256_loadu_ps(c1 + j));
        e1 = _mm256_sub_ps(x1, _mm256_loadu_ps(c1 + j + 8));
        a10 = _mm256_fmadd_ps(e0, e0, a10);
        a11 = _mm256_fmadd_ps(e1, e1, a11);
        e0 = _mm256_sub_ps(x0, _mm256_loadu_ps(c2 + j));
        e1 = _mm256_sub_ps(x1, _mm256_loadu_ps(c2 + j + 8));
        a20 = _mm256_fmadd_ps(e0, e0, a20);
        a21 = _mm256_fmadd_ps(e1, e1, a21);
        e0 = _mm256_sub_ps(x0, _mm256_loadu_ps(c3 + j));
        e1 = _mm256_sub_ps(x1, _mm256_loadu_ps(c3 + j + 8));
        a30 = _mm256_fmadd_ps(e0, e0, a30);
        a31 = _mm256_fmadd_ps(e1, e1, a31);
    }
    if (j < ld) {
        __m256 x0 = _mm256_loadu_ps(x + j), e0;
        e0 = _mm256_sub_ps(x0, _mm256_loadu_ps(c0 + j));
        a00 = _mm256_fmadd_ps(e0, e0, a00);
        e0 = _mm256_sub_ps(x0, _mm256_loadu_ps(c1 + j));
        a10 = _mm256_fmadd_ps(e0, e0, a10);
        e0 = _mm256_sub_ps(x0, _mm256_loadu_ps(c2 + j));
        a20 = _mm256_fmadd_ps(e0, e0, a20);
        e0 = _mm256_sub_ps(x0, _mm256_loadu_ps(c3 + j));
        a30 = _mm256_fmadd_ps(e0, e0, a30);
    }
    out[0] = hsum_avx2(a00, a01);
    out[1] = hsum_avx2(a10, a11);
    out[2] = hsum_avx2(a20, a21);
    out[3] = hsum_avx2(a30, a31);
}
#endif

/* ---------------------------------------------------------------------------------------------
 * Workspace of one call. Invariants between iterations:
 *  - sums[j] (double) / cnt[j] are the sum / count of the rows whose label is j (labels as of
 *    the last E-step), never touched by relocation (which works on a copy);
 *  - accelerated path: for every i, u[i] >= ||x_i - C[lab[i]]|| and lb[i*k+c] <= ||x_i - C[c]||
 *    in exact arithmetic, with the kernel's rounding already subtracted/added. */
typedef struct km {
    size_t n, d, k, ld;
    float *X;       /* n x ld centred copy, zero padded */
    float *C, *C2;  /* k x ld centres (current, next) */
    double *sums;   /* k x ld */
    double *tmp;    /* k x ld scratch for relocation */
    int64_t *cnt;   /* k */
    double *wts;    /* k */
    double *shift;  /* k */
    int32_t *lab;   /* n */
    float *ub;      /* n (accelerated) */
    float *lb;      /* n x k (accelerated; k-means++ fills it with squared distances first) */
    float *hc;      /* k x k half centre distances, lower bounds, +inf on the diagonal */
    float *s;       /* k: min over c != a of hc[a][c] */
    float *fbuf;    /* max(n, L*n) floats: candidate distances / relocation distances */
    double *cum;    /* n */
    float *closest; /* n */
    double sumsq;   /* sum of ||x_i||^2 of the centred rows */
    double eps;     /* relative margin on distances */
    km_d2x1_fn d2x1;
    km_d2x4_fn d2x4;
    uint64_t ndist;
    int n_relocated;
} km;

#define KM_UP (1.0f + 0x1p-22f)
#define KM_DOWN (1.0f - 0x1p-22f)

static float lo_bound(const km *w, float d2)
{
    return (float)(sqrt((double)d2) * (1.0 - w->eps));
}

static float hi_bound(const km *w, float d2)
{
    return (float)(sqrt((double)d2) * (1.0 + w->eps)) + 1e-30f;
}

/* Squared distances of x to m centre rows (any m), in groups of 4. */
static void d2_many(const km *w, const float *x, const float *const *rows, int m, float *out)
{
    int t = 0;
    for (; t + 4 <= m; t += 4)
        w->d2x4(x, rows + t, w->ld, out + t);
    if (m - t == 1) {
        out[t] = w->d2x1(x, rows[t], w->ld);
    } else if (m > t) {
        const float *r[4];
        float o[4];
        for (int q = 0; q < 4; q++)
            r[q] = rows[t + (q < m - t ? q : m - t - 1)];
        w->d2x4(x, r, w->ld, o);
        for (int q = 0; t + q < m; q++)
            out[t + q] = o[q];
    }
}

static void *km_alloc(size_t count, size_t size, int *fail)
{
    size_t bytes = count * size;
    if (bytes == 0)
        bytes = 64;
    bytes = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes);
    if (!p)
        *fail = 1;
    return p;
}

static void km_free(km *w)
{
    free(w->X);
    free(w->C);
    free(w->C2);
    free(w->sums);
    free(w->tmp);
    free(w->cnt);
    free(w->wts);
    free(w->shift);
    free(w->lab);
    free(w->ub);
    free(w->lb);
    free(w->hc);
    free(w->s);
    free(w->fbuf);
    free(w->cum);
    free(w->closest);
}

static int n_local_trials(size_t k) { return 2 + (int)floor(log((double)k)); }

/* ---------------------------------------------------------------------------------------------
 * Greedy k-means++ (sklearn _kmeans_plusplus, unit weights). Writes the chosen rows into C and,
 * if D is not NULL, the squared distance of every point to every chosen centre (n x k) — the
 * full first E-step for free. */
static void kmeanspp(km *w, imp_rng *rng, float *D, size_t *idx_out)
{
    const size_t n = w->n, k = w->k, ld = w->ld;
    const int L = n_local_trials(k);
    float *cd = w->fbuf, *closest = w->closest;
    double *cum = w->cum;

    size_t c0 = (size_t)imp_rng_below(rng, n);
    memcpy(w->C, w->X + c0 * ld, ld * sizeof(float));
    if (idx_out)
        idx_out[0] = c0;
    double pot = 0;
    for (size_t i = 0; i < n; i++) {
        float v = w->d2x1(w->X + i * ld, w->X + c0 * ld, ld);
        closest[i] = v;
        pot += v;
        if (D)
            D[i * k] = v;
    }
    w->ndist += n;

    size_t cand[64];
    double r[64], cpot[64];
    const float *rows[64];
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
            rows[t] = w->X + cand[t] * ld;
            cpot[t] = 0;
        }
        for (size_t i = 0; i < n; i++) {
            float o[64];
            d2_many(w, w->X + i * ld, rows, L, o);
            for (int t = 0; t < L; t++) {
                cd[(size_t)t * n + i] = o[t];
                cpot[t] += o[t] < closest[i] ? o[t] : closest[i];
            }
        }
        w->ndist += (uint64_t)n * (uint64_t)L;
        int best = 0;
        for (int t = 1; t < L; t++)
            if (cpot[t] < cpot[best])
                best = t;
        pot = cpot[best];
        const float *bd = cd + (size_t)best * n;
        for (size_t i = 0; i < n; i++) {
            if (bd[i] < closest[i])
                closest[i] = bd[i];
            if (D)
                D[i * k + c] = bd[i];
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
        double *s = w->sums + (size_t)w->lab[i] * ld;
        const float *x = w->X + i * ld;
        for (size_t j = 0; j < ld; j++)
            s[j] += x[j];
        w->cnt[w->lab[i]]++;
    }
}

static void move_point(km *w, size_t i, int32_t from, int32_t to)
{
    const size_t ld = w->ld;
    const float *x = w->X + i * ld;
    double *sf = w->sums + (size_t)from * ld, *st = w->sums + (size_t)to * ld;
    for (size_t j = 0; j < ld; j++) {
        sf[j] -= x[j];
        st[j] += x[j];
    }
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
    return tot;
}

static double inertia_direct(const km *w, const float *C)
{
    double tot = 0;
    for (size_t i = 0; i < w->n; i++)
        tot += w->d2x1(w->X + i * w->ld, C + (size_t)w->lab[i] * w->ld, w->ld);
    return tot;
}

/* M-step: Cnew from the label sums, with sklearn's empty-cluster relocation (on a copy of the
 * sums, relative to the old centres Cold) and _average_centers; fills w->shift and returns
 * sum of squared shifts. */
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
            dist[i] = w->d2x1(w->X + i * ld, Cold + (size_t)w->lab[i] * ld, ld);
            if (dist[i] > dmax)
                dmax = dist[i];
        }
        if (dmax > 0) {
            /* The n_empty largest distances, largest first, lower row first among equals
             * (numpy's argpartition leaves that order unspecified). */
            size_t farp[1024], nf = 0; /* n_empty < k <= 1024 */
            {
                for (size_t i = 0; i < n; i++) {
                    if (nf == n_empty && !(dist[i] > dist[farp[nf - 1]]))
                        continue;
                    size_t p = nf < n_empty ? nf++ : nf - 1;
                    while (p > 0 && dist[i] > dist[farp[p - 1]]) {
                        farp[p] = farp[p - 1];
                        p--;
                    }
                    farp[p] = i;
                }
                size_t e = 0;
                for (size_t idx = 0; idx < nf; idx++) {
                    while (w->cnt[e] != 0)
                        e++;
                    size_t p = farp[idx];
                    int32_t o = w->lab[p];
                    const float *x = w->X + p * ld;
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
    }
    /* sklearn _average_centers, including its order dependence: an empty cluster copies the
     * heaviest cluster's row as it is at that moment (already averaged iff it comes earlier). */
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

/* Labels and bounds of the first E-step from the k-means++ squared distances (stored in lb). */
static void elkan_first(km *w)
{
    const size_t n = w->n, k = w->k;
    for (size_t i = 0; i < n; i++) {
        float *l = w->lb + i * k;
        size_t b = 0;
        for (size_t c = 1; c < k; c++)
            if (l[c] < l[b])
                b = c;
        w->lab[i] = (int32_t)b;
        w->ub[i] = hi_bound(w, l[b]);
        for (size_t c = 0; c < k; c++)
            l[c] = lo_bound(w, l[c]);
    }
    sums_from_labels(w);
}

static void centre_half_distances(km *w, const float *C)
{
    const size_t k = w->k, ld = w->ld;
    for (size_t a = 0; a < k; a++) {
        w->hc[a * k + a] = INFINITY;
        for (size_t c = a + 1; c < k; c++) {
            float v = 0.5f * lo_bound(w, w->d2x1(C + a * ld, C + c * ld, ld));
            w->hc[a * k + c] = w->hc[c * k + a] = v;
        }
    }
    for (size_t a = 0; a < k; a++) {
        float m = INFINITY;
        for (size_t c = 0; c < k; c++)
            if (w->hc[a * k + c] < m)
                m = w->hc[a * k + c];
        w->s[a] = m;
    }
}

/* One Elkan E-step against C; updates labels, bounds and the label sums. Candidates are
 * computed four at a time (the kernel costs about the same for 1 or 4 centres): the first
 * group is the current centre plus the three candidates with the smallest lower bounds. */
static size_t estep_elkan(km *w, const float *C)
{
    const size_t n = w->n, k = w->k, ld = w->ld;
    centre_half_distances(w, C);
    size_t changed = 0;
    int32_t cand[1024];
    for (size_t i = 0; i < n; i++) {
        const int32_t a = w->lab[i];
        float u = w->ub[i];
        if (u <= w->s[a])
            continue;
        float *l = w->lb + i * k;
        const float *ha = w->hc + (size_t)a * k;
        int m = 0;
        for (size_t c = 0; c < k; c++)
            if (u > l[c] && u > ha[c])
                cand[m++] = (int32_t)c;
        if (m == 0)
            continue;
        const float *x = w->X + i * ld;
        /* first group: a and the (up to) three candidates with the smallest lower bounds */
        int32_t g[4];
        int ng = 1;
        g[0] = a;
        for (int q = 0; q < m && q < 3; q++) {
            int bi = q;
            for (int t = q + 1; t < m; t++)
                if (l[cand[t]] < l[cand[bi]])
                    bi = t;
            int32_t tmp = cand[q];
            cand[q] = cand[bi];
            cand[bi] = tmp;
            g[ng++] = cand[q];
        }
        int32_t best = a;
        float bd2 = 0;
        int first = 1, rest_from = ng - 1;
        for (;;) {
            const float *rows[4];
            float o[4];
            for (int q = 0; q < ng; q++)
                rows[q] = C + (size_t)g[q] * ld;
            d2_many(w, x, rows, ng, o);
            w->ndist += (uint64_t)ng;
            for (int q = 0; q < ng; q++) {
                l[g[q]] = lo_bound(w, o[q]);
                if (first && q == 0) {
                    bd2 = o[0];
                } else if (o[q] < bd2 || (o[q] == bd2 && g[q] < best)) {
                    best = g[q];
                    bd2 = o[q];
                }
            }
            first = 0;
            u = hi_bound(w, bd2);
            /* refill the group from the remaining candidates that still pass */
            const float *hb = w->hc + (size_t)best * k;
            ng = 0;
            while (rest_from < m && ng < 4) {
                int32_t c = cand[rest_from++];
                if (c != best && u > l[c] && u > hb[c])
                    g[ng++] = c;
            }
            if (ng == 0)
                break;
        }
        if (best != a) {
            w->lab[i] = best;
            move_point(w, i, a, best);
            changed++;
        }
        w->ub[i] = u;
    }
    return changed;
}

/* Move the bounds along with the centres (shift in w->shift, exact in double). */
static void elkan_shift_bounds(km *w)
{
    const size_t n = w->n, k = w->k;
    float du[1024];
    for (size_t c = 0; c < k; c++) {
        float f = (float)w->shift[c];
        if ((double)f < w->shift[c])
            f = nextafterf(f, INFINITY);
        du[c] = f;
    }
    for (size_t i = 0; i < n; i++) {
        w->ub[i] = (w->ub[i] + du[w->lab[i]]) * KM_UP;
        float *l = w->lb + i * k;
        for (size_t c = 0; c < k; c++) {
            float t = (l[c] - du[c]) * KM_DOWN;
            l[c] = t > 0 ? t : 0;
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Driver. */

void imp_kmeans_opts_default(imp_kmeans_opts *o)
{
    o->max_iter = 300;
    o->tol = 1e-4;
    o->algorithm = IMP_KMEANS_ACCEL;
}

static int prepare(km *w, const float *x, double tol, double *tol_abs, float *mean_f,
                   imp_err *err)
{
    const size_t n = w->n, d = w->d, ld = w->ld;
    double *mean = calloc(2 * d, sizeof(double));
    if (!mean)
        return imp_err_set(err, IMP_ENOMEM, "kmeans: out of memory (%zu features)", d);
    double *sq = mean + d;
    for (size_t i = 0; i < n; i++) {
        const float *r = x + i * d;
        for (size_t j = 0; j < d; j++) {
            if (!isfinite(r[j]) || fabsf(r[j]) > 1e18f) {
                free(mean);
                return imp_err_set(err, IMP_ENUMERIC,
                                   "kmeans: input row %zu column %zu is %g (expected a finite "
                                   "value of magnitude <= 1e18)",
                                   i, j, (double)r[j]);
            }
            mean[j] += r[j];
        }
    }
    for (size_t j = 0; j < d; j++) {
        mean[j] /= (double)n;
        mean_f[j] = (float)mean[j];
    }
    /* Centre in float32 (as sklearn's X -= X.mean(axis=0)); accumulate the centred column sums
     * and squares in double for the population variance and for sum ||x||^2. */
    double *cs = calloc(d, sizeof(double));
    if (!cs) {
        free(mean);
        return imp_err_set(err, IMP_ENOMEM, "kmeans: out of memory (%zu features)", d);
    }
    for (size_t i = 0; i < n; i++) {
        const float *r = x + i * d;
        float *o = w->X + i * ld;
        for (size_t j = 0; j < d; j++) {
            float v = r[j] - mean_f[j];
            o[j] = v;
            cs[j] += v;
            sq[j] += (double)v * v;
        }
        for (size_t j = d; j < ld; j++)
            o[j] = 0;
    }
    double var = 0, ss = 0;
    for (size_t j = 0; j < d; j++) {
        double m1 = cs[j] / (double)n;
        double v = sq[j] / (double)n - m1 * m1;
        var += v > 0 ? v : 0;
        ss += sq[j];
    }
    w->sumsq = ss;
    *tol_abs = tol == 0 ? 0 : var / (double)d * tol;
    free(cs);
    free(mean);
    return 0;
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
    const int accel = opts->algorithm == IMP_KMEANS_ACCEL;
    const int L = n_local_trials(k);

    km w;
    memset(&w, 0, sizeof w);
    w.n = n;
    w.d = d;
    w.k = k;
    w.ld = (d + 7) / 8 * 8;
    w.eps = 2.0 * ((double)w.ld / 16.0 + 8.0) * 0x1p-24 + 1e-7;
    w.d2x1 = d2x1_generic;
    w.d2x4 = d2x4_generic;
#ifdef KM_HAVE_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        w.d2x1 = d2x1_avx2;
        w.d2x4 = d2x4_avx2;
    }
#endif
    const size_t ld = w.ld;
    int fail = 0;
    size_t fb = (size_t)L * n;
    if (fb < 256 * k)
        fb = 256 * k;
    w.X = km_alloc(n * ld, sizeof(float), &fail);
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
    float *mean_f = km_alloc(d, sizeof(float), &fail);
    if (accel) {
        w.ub = km_alloc(n, sizeof(float), &fail);
        w.lb = km_alloc(n * k, sizeof(float), &fail);
        w.hc = km_alloc(k * k, sizeof(float), &fail);
        w.s = km_alloc(k, sizeof(float), &fail);
    }
    double *trace = info ? info->inertia_trace : NULL;
    int rc = 0;
    if (fail) {
        rc = imp_err_set(err, IMP_ENOMEM, "kmeans: out of memory (n=%zu d=%zu k=%zu)", n, d, k);
        goto done;
    }
    double tol_abs = 0;
    if ((rc = prepare(&w, x, opts->tol, &tol_abs, mean_f, err)) != 0)
        goto done;

    kmeanspp(&w, rng, accel ? w.lb : NULL, info ? info->init_indices : NULL);
    uint64_t ndist_init = w.ndist;
    w.ndist = 0;

    for (size_t i = 0; i < n; i++)
        w.lab[i] = -1;
    float *C = w.C, *Cn = w.C2;
    int it, strict = 0;
    size_t changed;
    for (it = 0; it < opts->max_iter; it++) {
        if (!accel) {
            changed = estep_lloyd(&w, C);
        } else if (it == 0) {
            elkan_first(&w);
            changed = n;
        } else {
            changed = estep_elkan(&w, C);
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
            estep_elkan(&w, C);
        else
            estep_lloyd(&w, C);
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++)
            centers[c * d + j] = C[c * ld + j] + mean_f[j];
    if (labels)
        memcpy(labels, w.lab, n * sizeof(int32_t));
    if (info) {
        info->n_iter = it + 1;
        info->strict_convergence = strict;
        info->n_relocated = w.n_relocated;
        info->inertia = inertia_direct(&w, C);
        info->tol_abs = tol_abs;
        info->n_dist_init = ndist_init;
        info->n_dist_iter = w.ndist;
        info->n_dist_lloyd = (uint64_t)n * k * (uint64_t)(it + 1 + !strict);
    }
done:
    free(mean_f);
    km_free(&w);
    return rc;
}
