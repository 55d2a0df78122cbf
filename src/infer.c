/* infer.c — NORMpost, NORMinf and every aggregation, block by block over the test rows. */
#include "imprint/infer.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imprint/norm.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int imp_post_apply(imp_proxies *px, imp_norm post, imp_err *err)
{
    if (post == IMP_NORM_L2) {
        imp_l2_rows(px->W, px->W, px->P, px->d);
        return 0;
    }
    if (post == IMP_NORM_QUANTILE) {
        for (int c = 1; c < px->n_classes; c++) {
            size_t o = px->offset[c], p = px->offset[c + 1] - o;
            int rc = imp_quantile_norm(px->W + o * px->d, p, px->d, px->W, o * px->d, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Mahalanobis: V = (Cov(W) + 1e-6 I)⁻¹ = (L Lᵀ)⁻¹, so (x−w)ᵀV(x−w) = ‖L⁻¹x − L⁻¹w‖². We keep
 * L (double, row-major lower) and map rows through L⁻¹ by forward substitution. */
static int mahal_factor(const imp_proxies *px, double **Lout, imp_err *err)
{
    size_t P = px->P, d = px->d;
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
            mean[j] += px->W[i * d + j];
    for (size_t j = 0; j < d; j++)
        mean[j] /= (double)P;
    for (size_t i = 0; i < P; i++)
        for (size_t j = 0; j < d; j++)
            Z[i * d + j] = px->W[i * d + j] - mean[j];
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)d, (int)P, 1.0 / (double)(P - 1), Z,
                (int)d, 0.0, L, (int)d);
    for (size_t j = 0; j < d; j++)
        L[j * d + j] += 1e-6;
    free(mean);
    free(Z);
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, L, (lapack_int)d);
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

/* rows ← rows · L⁻ᵀ, i.e. each row x becomes L⁻¹x (float rows, double solve) */
static void mahal_map(const double *L, float *rows, size_t n, size_t d)
{
    double *t = malloc(n * d * sizeof *t);
    for (size_t i = 0; i < n * d; i++)
        t[i] = rows[i];
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)n, (int)d,
                1.0, L, (int)d, t, (int)d);
    for (size_t i = 0; i < n * d; i++)
        rows[i] = (float)t[i];
    free(t);
}

typedef struct {
    double dist;
    size_t idx;
} nb;

int imp_infer(const imp_proxies *px, const imp_data *test, const imp_strategy *s, int32_t *pred,
              imp_infer_result *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    double t0 = now_s();
    size_t P = px->P, d = px->d, C = (size_t)px->n_classes;
    if (test->d != d)
        return imp_err_set(err, IMP_EINPUT, "test rows have d = %zu but proxies d = %zu", test->d,
                           d);
    if ((size_t)test->n_classes != C)
        return imp_err_set(err, IMP_EINTERNAL, "test has %d classes, proxies %zu", test->n_classes,
                           C);
    int32_t *pcls = malloc((P ? P : 1) * sizeof *pcls);
    for (size_t c = 0; pcls && c < C; c++)
        for (size_t i = px->offset[c]; i < px->offset[c + 1]; i++)
            pcls[i] = (int32_t)c;
    /* block of test rows so that the B × P score block stays near 64 MiB */
    size_t B = (16u << 20) / (P ? P : 1);
    B = B < 1 ? 1 : B > 4096 ? 4096 : B;
    imp_metric metric = s->agg == IMP_AGG_MAX ? IMP_METRIC_INNER : s->metric;
    float *W = px->W; /* proxies as seen by the metric */
    float *Wm = NULL;
    double *L = NULL;
    int rc = 0;
    if (metric == IMP_METRIC_MAHALANOBIS) {
        rc = mahal_factor(px, &L, err);
        if (rc) {
            free(pcls);
            return rc;
        }
        Wm = malloc(P * d * sizeof *Wm);
        if (Wm) {
            memcpy(Wm, px->W, P * d * sizeof *Wm);
            mahal_map(L, Wm, P, d);
        }
        W = Wm;
    }
    double *wn = malloc((P ? P : 1) * sizeof *wn);
    float *xb = malloc(B * d * sizeof *xb);
    float *S = malloc(B * (P ? P : 1) * sizeof *S);
    double *xn = malloc(B * sizeof *xn);
    size_t m = s->agg == IMP_AGG_MAX ? 0 : (size_t)s->m;
    if (m > P)
        m = P;
    nb *best = malloc((m ? m : 1) * sizeof *best);
    double *votes = malloc(C * sizeof *votes);
    if (!pcls || !W || !wn || !xb || !S || !xn || !best || !votes) {
        rc = imp_err_set(err, IMP_ENOMEM, "inference: out of memory (%zu proxies)", P);
        goto out;
    }
    for (size_t j = 0; j < P; j++) {
        double t = 0;
        for (size_t a = 0; a < d; a++)
            t += (double)W[j * d + a] * W[j * d + a];
        wn[j] = t;
    }
    size_t correct = 0, cls = 0;
    for (size_t r0 = 0; r0 < test->n; r0 += B) {
        size_t nb_rows = test->n - r0 < B ? test->n - r0 : B;
        const float *X = test->X + r0 * d;
        if (s->inf == IMP_NORM_L2)
            imp_l2_rows(xb, X, nb_rows, d);
        else
            memcpy(xb, X, nb_rows * d * sizeof(float));
        if (metric == IMP_METRIC_MAHALANOBIS)
            mahal_map(L, xb, nb_rows, d);
        if (metric != IMP_METRIC_MANHATTAN)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb_rows, (int)P, (int)d, 1.0f,
                        xb, (int)d, W, (int)d, 0.0f, S, (int)P);
        for (size_t i = 0; i < nb_rows; i++) {
            double t = 0;
            for (size_t a = 0; a < d; a++)
                t += (double)xb[i * d + a] * xb[i * d + a];
            xn[i] = t;
        }
        for (size_t i = 0; i < nb_rows; i++) {
            const float *srow = S + i * P;
            size_t row = r0 + i;
            while (cls + 1 < C && row >= test->offset[cls + 1])
                cls++;
            int32_t p_c = 0;
            if (metric == IMP_METRIC_INNER) {
                double bestv = -INFINITY;
                for (size_t c = 0; c < C; c++) {
                    double v = -INFINITY;
                    for (size_t j = px->offset[c]; j < px->offset[c + 1]; j++)
                        if (srow[j] > v)
                            v = srow[j];
                    if (v > bestv || c == 0) {
                        bestv = v;
                        p_c = (int32_t)c;
                    }
                }
                if (!isfinite(bestv)) {
                    rc = imp_err_set(err, IMP_ENUMERIC, "inference: non-finite score for test row %zu",
                                     row);
                    goto out;
                }
            } else {
                size_t have = 0;
                for (size_t j = 0; j < P; j++) {
                    double dist;
                    switch (metric) {
                    case IMP_METRIC_COSINE: {
                        double den = sqrt(xn[i]) * sqrt(wn[j]);
                        double cs = den > 0 ? (double)srow[j] / den : 0.0;
                        dist = 1.0 - cs;
                        if (dist < 0)
                            dist = 0;
                        break;
                    }
                    case IMP_METRIC_MANHATTAN: {
                        double t = 0;
                        const float *x = xb + i * d, *w = W + j * d;
                        for (size_t a = 0; a < d; a++)
                            t += fabs((double)x[a] - w[a]);
                        dist = t;
                        break;
                    }
                    default: { /* euclidean, and mahalanobis in the mapped space */
                        double v = xn[i] + wn[j] - 2.0 * (double)srow[j];
                        dist = v > 0 ? sqrt(v) : 0.0;
                    }
                    }
                    if (!isfinite(dist)) {
                        rc = imp_err_set(err, IMP_ENUMERIC,
                                         "inference: non-finite distance for test row %zu", row);
                        goto out;
                    }
                    /* keep the m smallest, sorted; strict < keeps the lower index first */
                    if (have < m || dist < best[have - 1].dist) {
                        size_t pos = have < m ? have++ : have - 1;
                        while (pos > 0 && dist < best[pos - 1].dist) {
                            best[pos] = best[pos - 1];
                            pos--;
                        }
                        best[pos].dist = dist;
                        best[pos].idx = j;
                    }
                }
                for (size_t c = 0; c < C; c++)
                    votes[c] = 0;
                for (size_t q = 0; q < have; q++)
                    votes[pcls[best[q].idx]] +=
                        s->weight == IMP_WEIGHT_DISTANCE ? 1.0 / (best[q].dist + 1e-10) : 1.0;
                for (size_t c = 1; c < C; c++)
                    if (votes[c] > votes[p_c])
                        p_c = (int32_t)c;
            }
            if (pred)
                pred[row] = p_c;
            correct += (size_t)p_c == cls;
        }
    }
    out->correct = correct;
    out->total = test->n;
    out->accuracy = test->n ? (float)(100.0 * (double)correct / (double)test->n) : 0.0f;
out:
    out->seconds = now_s() - t0;
    free(pcls), free(Wm), free(L), free(wn), free(xb), free(S), free(xn), free(best), free(votes);
    return rc;
}
