/* norm.c — row normalisations and the reference's "discrete" quantile normalisation. */
#include "imprint/norm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Precision (issue 17's audit): a sum of squares has no cancellation; the double sum is within
 * d·2⁻⁵³ relative and the float result within 2⁻²⁴, so an l2 row is the exact unit row to
 * ~2⁻²³ per component — the reference's float32 F.normalize rounds the same way. Distances
 * between unit rows are then known to ~2⁻²³·‖x‖‖w‖ ≈ 1e-7 (squared euclidean); closer ties
 * are below what the float32 rows carry (docs/semantics.md, deliberate differences). */
float imp_row_norm(const float *x, size_t d)
{
    /* four double partial sums: exact enough, and the compiler can keep them in vectors */
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t j = 0;
    for (; j + 4 <= d; j += 4) {
        s0 += (double)x[j] * x[j];
        s1 += (double)x[j + 1] * x[j + 1];
        s2 += (double)x[j + 2] * x[j + 2];
        s3 += (double)x[j + 3] * x[j + 3];
    }
    for (; j < d; j++)
        s0 += (double)x[j] * x[j];
    return (float)sqrt((s0 + s1) + (s2 + s3));
}

float imp_pre_divisor(const float *x, size_t d)
{
    float nrm = imp_row_norm(x, d);
    return nrm > 0 ? nrm : 1.0f;
}

/* dst ← src / max(‖src‖, floor) row by row; floor 0 is the no-epsilon NORMpre (a zero row
 * stays zero, see imp_pre_divisor) */
static void l2_rows(float *dst, const float *src, size_t n, size_t d, float floor)
{
    for (size_t i = 0; i < n; i++) {
        const float *x = src + i * d;
        float *o = dst + i * d;
        float nrm = floor > 0 ? imp_row_norm(x, d) : imp_pre_divisor(x, d);
        if (nrm < floor)
            nrm = floor;
        for (size_t j = 0; j < d; j++)
            o[j] = x[j] / nrm;
    }
}

void imp_l2_rows_noeps(float *X, size_t n, size_t d) { l2_rows(X, X, n, d, 0.0f); }

void imp_l2_rows_noeps_copy(float *dst, const float *src, size_t n, size_t d)
{
    l2_rows(dst, src, n, d, 0.0f);
}

void imp_l2_rows(float *dst, const float *src, size_t n, size_t d) { l2_rows(dst, src, n, d, 1e-12f); }

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int imp_quantile_values(const float *ref, size_t M, size_t d, float *y, imp_err *err)
{
    const size_t limit = (size_t)1 << 24;
    size_t m = M, stride = 1, step = 2;
    while (m > limit) { /* r[::2], then [::4] of that, … */
        stride *= step;
        m = (M + stride - 1) / stride;
        step *= 2;
    }
    float *s = malloc(m * sizeof *s);
    if (!s)
        return imp_err_set(err, IMP_ENOMEM, "quantile normalisation: out of memory (%zu values)", m);
    for (size_t i = 0; i < m; i++)
        s[i] = ref[i * stride];
    for (size_t i = 0; i < m; i++)
        if (!isfinite(s[i])) {
            free(s);
            return imp_err_set(err, IMP_ENUMERIC, "quantile normalisation: non-finite weight");
        }
    qsort(s, m, sizeof *s, cmp_float);
    for (size_t j = 0; j < d; j++) {
        float q = (float)j / (float)d + 1.0f / (2.0f * (float)d);
        double pos = (double)q * (double)(m - 1);
        size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);
        if (hi >= m)
            hi = m - 1;
        if (lo >= m)
            lo = m - 1;
        double frac = pos - (double)lo;
        y[j] = (float)((double)s[lo] + frac * ((double)s[hi] - (double)s[lo]));
    }
    free(s);
    return 0;
}

typedef struct {
    float v;
    size_t i;
} val_idx;

static int cmp_val_idx(const void *a, const void *b)
{
    const val_idx *x = a, *y = b;
    if (x->v < y->v)
        return -1;
    if (x->v > y->v)
        return 1;
    return (x->i > y->i) - (x->i < y->i); /* stable for ties */
}

int imp_quantile_norm(float *P, size_t p, size_t d, const float *ref, size_t M, imp_err *err)
{
    if (M == 0 || p == 0)
        return 0;
    float *y = malloc(d * sizeof *y);
    val_idx *vi = malloc(d * sizeof *vi);
    if (!y || !vi) {
        free(y);
        free(vi);
        return imp_err_set(err, IMP_ENOMEM, "quantile normalisation: out of memory");
    }
    int rc = imp_quantile_values(ref, M, d, y, err);
    for (size_t r = 0; r < p && !rc; r++) {
        float *row = P + r * d;
        for (size_t j = 0; j < d; j++) {
            vi[j].v = row[j];
            vi[j].i = j;
        }
        qsort(vi, d, sizeof *vi, cmp_val_idx);
        for (size_t j = 0; j < d; j++)
            row[vi[j].i] = y[j];
    }
    free(y);
    free(vi);
    return rc;
}

int imp_norm_post(float *W, const size_t *offset, int n_classes, size_t d, imp_norm post,
                  imp_err *err)
{
    if (post == IMP_NORM_L2) {
        imp_l2_rows(W, W, offset[n_classes], d);
        return 0;
    }
    if (post == IMP_NORM_QUANTILE) {
        for (int c = 1; c < n_classes; c++) {
            size_t o = offset[c], p = offset[c + 1] - o;
            int rc = imp_quantile_norm(W + o * d, p, d, W, o * d, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}
