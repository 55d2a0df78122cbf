/* infer.c — NORMpost, NORMinf and every aggregation, block by block over the test rows. */
#include "imprint/infer.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imprint/norm.h"
#include "imprint/pool.h"

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
    /* one thread: the threaded potrf blocks by thread count and so rounds differently */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, (int)d, (int)P, 1.0 / (double)(P - 1), Z,
                (int)d, 0.0, L, (int)d);
    for (size_t j = 0; j < d; j++)
        L[j * d + j] += 1e-6;
    free(mean);
    free(Z);
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, L, (lapack_int)d);
    openblas_set_num_threads(blas_threads);
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
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)n, (int)d,
                1.0, L, (int)d, t, (int)d);
    openblas_set_num_threads(blas_threads);
    for (size_t i = 0; i < n * d; i++)
        rows[i] = (float)t[i];
    free(t);
}

typedef struct {
    double dist;
    size_t idx;
} nb;

/* Shared, read-only state of one inference, and what the blocks report. */
typedef struct infer_ctx {
    const imp_proxies *px;
    const imp_data *test;
    const imp_strategy *s;
    imp_metric metric;
    const float *W; /* proxies as the metric sees them */
    const double *wn, *L;
    const int32_t *pcls;
    size_t B, m;
    int32_t *pred;     /* one per test row (owned by imp_infer) */
    int *block_rc;     /* per block: 0 or IMP_ENUMERIC / IMP_ENOMEM */
    size_t *bad_row;
} infer_ctx;

/* One block of test rows: NORMinf, one single-threaded SGEMM against every proxy (so the
 * result does not depend on how many threads run blocks), then the aggregation per row. */
static void infer_block(size_t b, void *arg)
{
    infer_ctx *x = arg;
    const imp_proxies *px = x->px;
    size_t P = px->P, d = px->d, C = (size_t)px->n_classes, m = x->m;
    size_t r0 = b * x->B, nb_rows = x->test->n - r0 < x->B ? x->test->n - r0 : x->B;
    float *xb = malloc(nb_rows * d * sizeof *xb);
    float *S = malloc(nb_rows * (P ? P : 1) * sizeof *S);
    double *xn = malloc(nb_rows * sizeof *xn);
    nb *best = malloc((m ? m : 1) * sizeof *best);
    double *votes = malloc(C * sizeof *votes);
    if (!xb || !S || !xn || !best || !votes) {
        x->block_rc[b] = IMP_ENOMEM;
        goto out;
    }
    const float *X = x->test->X + r0 * d;
    if (x->s->inf == IMP_NORM_L2)
        imp_l2_rows(xb, X, nb_rows, d);
    else
        memcpy(xb, X, nb_rows * d * sizeof(float));
    if (x->metric == IMP_METRIC_MAHALANOBIS)
        mahal_map(x->L, xb, nb_rows, d);
    if (x->metric != IMP_METRIC_MANHATTAN)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb_rows, (int)P, (int)d, 1.0f, xb,
                    (int)d, x->W, (int)d, 0.0f, S, (int)P);
    for (size_t i = 0; i < nb_rows; i++) {
        double t = 0;
        for (size_t a = 0; a < d; a++)
            t += (double)xb[i * d + a] * xb[i * d + a];
        xn[i] = t;
    }
    for (size_t i = 0; i < nb_rows; i++) {
        const float *srow = S + i * P;
        size_t row = r0 + i;
        int32_t p_c = 0;
        if (x->metric == IMP_METRIC_INNER) {
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
                x->block_rc[b] = IMP_ENUMERIC;
                x->bad_row[b] = row;
                goto out;
            }
        } else {
            size_t have = 0;
            for (size_t j = 0; j < P; j++) {
                double dist;
                switch (x->metric) {
                case IMP_METRIC_COSINE: {
                    double den = sqrt(xn[i]) * sqrt(x->wn[j]);
                    double cs = den > 0 ? (double)srow[j] / den : 0.0;
                    dist = 1.0 - cs;
                    if (dist < 0)
                        dist = 0;
                    break;
                }
                case IMP_METRIC_MANHATTAN: {
                    double t = 0;
                    const float *xr = xb + i * d, *w = x->W + j * d;
                    for (size_t a = 0; a < d; a++)
                        t += fabs((double)xr[a] - w[a]);
                    dist = t;
                    break;
                }
                default: { /* euclidean, and mahalanobis in the mapped space */
                    double v = xn[i] + x->wn[j] - 2.0 * (double)srow[j];
                    dist = v > 0 ? sqrt(v) : 0.0;
                }
                }
                if (!isfinite(dist)) {
                    x->block_rc[b] = IMP_ENUMERIC;
                    x->bad_row[b] = row;
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
                votes[x->pcls[best[q].idx]] +=
                    x->s->weight == IMP_WEIGHT_DISTANCE ? 1.0 / (best[q].dist + 1e-10) : 1.0;
            for (size_t c = 1; c < C; c++)
                if (votes[c] > votes[p_c])
                    p_c = (int32_t)c;
        }
        x->pred[row] = p_c;
    }
out:
    free(xb), free(S), free(xn), free(best), free(votes);
}

int imp_infer(const imp_proxies *px, const imp_data *test, const imp_strategy *s, int threads,
              int32_t *pred, imp_infer_result *out, imp_err *err)
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
    infer_ctx x = {.px = px, .test = test, .s = s};
    x.metric = s->agg == IMP_AGG_MAX ? IMP_METRIC_INNER : s->metric;
    x.m = s->agg == IMP_AGG_MAX ? 0 : (size_t)s->m;
    if (x.m > P)
        x.m = P;
    /* blocks of test rows whose B × P score block stays near 32 MiB; B depends only on P,
     * so the partition (and every result) is the same for any thread count */
    x.B = (8u << 20) / (P ? P : 1);
    x.B = x.B < 1 ? 1 : x.B > 2048 ? 2048 : x.B;
    size_t nblocks = (test->n + x.B - 1) / x.B;
    int32_t *pcls = malloc((P ? P : 1) * sizeof *pcls);
    double *wn = malloc((P ? P : 1) * sizeof *wn);
    int32_t *pr = malloc((test->n ? test->n : 1) * sizeof *pr);
    int *brc = calloc(nblocks ? nblocks : 1, sizeof *brc);
    size_t *bad = calloc(nblocks ? nblocks : 1, sizeof *bad);
    float *Wm = NULL;
    double *L = NULL;
    int rc = 0;
    if (!pcls || !wn || !pr || !brc || !bad) {
        rc = imp_err_set(err, IMP_ENOMEM, "inference: out of memory (%zu proxies)", P);
        goto out;
    }
    for (size_t c = 0; c < C; c++)
        for (size_t i = px->offset[c]; i < px->offset[c + 1]; i++)
            pcls[i] = (int32_t)c;
    x.W = px->W;
    if (x.metric == IMP_METRIC_MAHALANOBIS) {
        rc = mahal_factor(px, &L, err);
        if (rc)
            goto out;
        Wm = malloc(P * d * sizeof *Wm);
        if (!Wm) {
            rc = imp_err_set(err, IMP_ENOMEM, "mahalanobis: out of memory");
            goto out;
        }
        memcpy(Wm, px->W, P * d * sizeof *Wm);
        mahal_map(L, Wm, P, d);
        x.W = Wm;
        x.L = L;
    }
    for (size_t j = 0; j < P; j++) {
        double t = 0;
        for (size_t a = 0; a < d; a++)
            t += (double)x.W[j * d + a] * x.W[j * d + a];
        wn[j] = t;
    }
    x.wn = wn;
    x.pcls = pcls;
    x.pred = pr;
    x.block_rc = brc;
    x.bad_row = bad;
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    imp_parallel_for(nblocks, threads, infer_block, &x);
    openblas_set_num_threads(blas_threads);
    for (size_t b = 0; b < nblocks; b++)
        if (brc[b]) {
            rc = brc[b] == IMP_ENOMEM
                     ? imp_err_set(err, IMP_ENOMEM, "inference: out of memory (%zu proxies)", P)
                     : imp_err_set(err, IMP_ENUMERIC,
                                   "inference: non-finite score or distance for test row %zu",
                                   bad[b]);
            goto out;
        }
    size_t correct = 0, cls = 0;
    for (size_t row = 0; row < test->n; row++) {
        while (cls + 1 < C && row >= test->offset[cls + 1])
            cls++;
        correct += (size_t)pr[row] == cls;
        if (pred)
            pred[row] = pr[row];
    }
    out->correct = correct;
    out->total = test->n;
    out->accuracy = test->n ? (float)(100.0 * (double)correct / (double)test->n) : 0.0f;
out:
    out->seconds = now_s() - t0;
    free(pcls), free(Wm), free(L), free(wn), free(pr), free(brc), free(bad);
    return rc;
}
