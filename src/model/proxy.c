/* proxy.c — GEN: presampling, the per-class kernels of IMP_GEN_MAP and the driver. */
#include "imprint/proxy.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/blas.h"
#include "imprint/clock.h"
#include "imprint/kmeans.h"
#include "imprint/lstsq.h"
#include "imprint/norm.h"
#include "imprint/pool.h"
#include "imprint/rng.h"

void imp_proxies_free(imp_proxies *p)
{
    free(p->offset);
    free(p->W);
    memset(p, 0, sizeof *p);
}

int imp_proxies_copy(const imp_proxies *src, imp_proxies *dst, imp_err *err)
{
    *dst = *src;
    dst->offset = malloc(((size_t)src->n_classes + 1) * sizeof *dst->offset);
    dst->W = malloc((src->P ? src->P : 1) * src->d * sizeof(float));
    if (!dst->offset || !dst->W) {
        free(dst->offset);
        free(dst->W);
        memset(dst, 0, sizeof *dst);
        return imp_err_set(err, IMP_ENOMEM, "out of memory copying %zu proxies", src->P);
    }
    memcpy(dst->offset, src->offset, ((size_t)src->n_classes + 1) * sizeof *dst->offset);
    memcpy(dst->W, src->W, src->P * src->d * sizeof(float));
    return 0;
}

/* ---- per-class generators ------------------------------------------------------------- */

/* mean of the rows; with l2, of the rows normalised on the fly (x/‖x‖ rounded to float
 * exactly as imp_l2_rows_noeps would store it) */
static void gen_mean(const float *X, size_t n, size_t d, int l2, float *out)
{
    double *acc = calloc(d, sizeof *acc);
    for (size_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        if (l2) {
            float nrm = imp_pre_divisor(x, d);
            for (size_t j = 0; j < d; j++)
                acc[j] += (double)(x[j] / nrm);
        } else {
            for (size_t j = 0; j < d; j++)
                acc[j] += x[j];
        }
    }
    for (size_t j = 0; j < d; j++)
        out[j] = (float)(acc[j] / (double)n);
    free(acc);
}

/* Squared norms of rows, in double. */
static void row_sqnorms(const float *X, size_t n, size_t d, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < d; j++)
            s += (double)X[i * d + j] * X[i * d + j];
        out[i] = s;
    }
}

/* Euclidean distances from rows A[0..na) to rows B[0..nb) into D [na, nb] (double), with the
 * Gram matrix from one SGEMM: d² = ‖a‖² + ‖b‖² − 2a·b, clamped at 0. */
static void dist_block(const float *A, size_t na, const double *an, const float *B, size_t nb,
                       const double *bn, size_t d, float *G, double *D)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, (int)d, 1.0f, A, (int)d,
                B, (int)d, 0.0f, G, (int)nb);
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            double v = an[i] + bn[j] - 2.0 * (double)G[i * nb + j];
            D[i * nb + j] = v > 0 ? sqrt(v) : 0.0;
        }
}

/* k-medoids, sklearn_extra 0.3.0 defaults: euclidean, method alternate, init heuristic (the k
 * rows with the smallest distance-row sums, ascending, ties to the lower index), max_iter 300.
 * Distances are computed block-wise and never stored as a full n×n matrix (6,000 rows would
 * be 288 MB a class). The row sums — the n²·d part that does not depend on k — come from
 * *shared_rs when it is set (the GEN cache, same rows), else are computed and, if shared_rs
 * is not NULL, kept there (malloc'd, the cache owns it). */
static int gen_kmedoids(const float *X, size_t n, size_t d, int k, double **shared_rs,
                        float *out, imp_err *err)
{
    const size_t B = 256;
    double *nrm = malloc(n * sizeof *nrm), *rs = calloc(n, sizeof *rs);
    float *G = malloc(B * n * sizeof *G);
    double *D = malloc(B * n * sizeof *D);
    size_t *med = malloc((size_t)k * sizeof *med), *lab = malloc(n * sizeof *lab);
    size_t *mem = malloc(n * sizeof *mem);
    float *Xm = malloc(n * d * sizeof *Xm);
    double *mn = malloc(n * sizeof *mn);
    int rc = 0;
    if (!nrm || !rs || !G || !D || !med || !lab || !mem || !Xm || !mn) {
        rc = imp_err_set(err, IMP_ENOMEM, "kmedoids: out of memory (n = %zu)", n);
        goto out;
    }
    row_sqnorms(X, n, d, nrm);
    if (shared_rs && *shared_rs) {
        memcpy(rs, *shared_rs, n * sizeof *rs);
    } else {
        for (size_t i0 = 0; i0 < n; i0 += B) {
            size_t nb = n - i0 < B ? n - i0 : B;
            dist_block(X + i0 * d, nb, nrm + i0, X, n, nrm, d, G, D);
            for (size_t i = 0; i < nb; i++) {
                double s = 0;
                for (size_t j = 0; j < n; j++)
                    s += D[i * n + j];
                rs[i0 + i] = s;
            }
        }
        if (shared_rs && (*shared_rs = malloc(n * sizeof **shared_rs)))
            memcpy(*shared_rs, rs, n * sizeof *rs);
    }
    /* k smallest row sums, ascending (selection by repeated minimum; k is small) */
    char *taken = calloc(n, 1);
    if (!taken) {
        rc = imp_err_set(err, IMP_ENOMEM, "kmedoids: out of memory");
        goto out;
    }
    for (int c = 0; c < k; c++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!taken[i] && (best == n || rs[i] < rs[best]))
                best = i;
        taken[best] = 1;
        med[c] = best;
    }
    free(taken);
    float *Mk = malloc((size_t)k * d * sizeof *Mk);
    double *mkn = malloc((size_t)k * sizeof *mkn);
    double *Dk = malloc(n * (size_t)k * sizeof *Dk);
    float *Gk = malloc(n * (size_t)k * sizeof *Gk);
    if (!Mk || !mkn || !Dk || !Gk) {
        free(Mk), free(mkn), free(Dk), free(Gk);
        rc = imp_err_set(err, IMP_ENOMEM, "kmedoids: out of memory");
        goto out;
    }
    for (int it = 0; it < 300; it++) {
        for (int c = 0; c < k; c++) {
            memcpy(Mk + (size_t)c * d, X + med[c] * d, d * sizeof(float));
            mkn[c] = nrm[med[c]];
        }
        dist_block(X, n, nrm, Mk, (size_t)k, mkn, d, Gk, Dk);
        for (size_t i = 0; i < n; i++) {
            size_t b = 0;
            for (size_t c = 1; c < (size_t)k; c++)
                if (Dk[i * (size_t)k + c] < Dk[i * (size_t)k + b])
                    b = c;
            lab[i] = b;
        }
        int changed = 0;
        for (int c = 0; c < k; c++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (lab[i] == (size_t)c)
                    mem[m++] = i;
            if (m == 0)
                continue;
            for (size_t t = 0; t < m; t++) {
                memcpy(Xm + t * d, X + mem[t] * d, d * sizeof(float));
                mn[t] = nrm[mem[t]];
            }
            /* cost of each member = sum of distances to the other members */
            size_t best = 0;
            double bestc = INFINITY, curc = INFINITY;
            for (size_t t0 = 0; t0 < m; t0 += B) {
                size_t nb = m - t0 < B ? m - t0 : B;
                dist_block(Xm + t0 * d, nb, mn + t0, Xm, m, mn, d, G, D);
                for (size_t t = 0; t < nb; t++) {
                    double s = 0;
                    for (size_t j = 0; j < m; j++)
                        s += D[t * m + j];
                    if (s < bestc) {
                        bestc = s;
                        best = t0 + t;
                    }
                    if (mem[t0 + t] == med[c])
                        curc = s;
                }
            }
            if (bestc < curc) {
                med[c] = mem[best];
                changed = 1;
            }
        }
        if (!changed)
            break;
    }
    for (int c = 0; c < k; c++)
        memcpy(out + (size_t)c * d, X + med[c] * d, d * sizeof(float));
    free(Mk), free(mkn), free(Dk), free(Gk);
out:
    free(nrm), free(rs), free(G), free(D), free(med), free(lab), free(mem), free(Xm), free(mn);
    return rc;
}

/* Farthest point sampling: start at a uniform random row, then repeatedly the unselected row
 * (ascending index, ties to the first) that maximises the distance to the selected set. */
static void gen_fps(const float *X, size_t n, size_t d, int k, imp_rng *r, float *out)
{
    double *mind = malloc(n * sizeof *mind);
    char *sel = calloc(n, 1);
    size_t cur = (size_t)imp_rng_below(r, n);
    for (size_t i = 0; i < n; i++)
        mind[i] = INFINITY;
    for (int c = 0; c < k; c++) {
        sel[cur] = 1;
        memcpy(out + (size_t)c * d, X + cur * d, d * sizeof(float));
        if (c == k - 1)
            break;
        const float *p = X + cur * d;
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            if (sel[i])
                continue;
            double s = 0;
            for (size_t j = 0; j < d; j++) {
                double t = (double)X[i * d + j] - p[j];
                s += t * t;
            }
            s = sqrt(s);
            if (s < mind[i])
                mind[i] = s;
            if (best == n || mind[i] > mind[best])
                best = i;
        }
        cur = best;
    }
    free(mind);
    free(sel);
}

/* cov_max: torch.cov treats rows as variables, so C is the n×n covariance between samples
 * over the d features; s_j = Σ_i C_ij = z_j·(Σ_i z_i)/(d−1) with z_i the row centred by its own
 * mean — O(n·d), no n×n matrix. The k largest scores, descending, ties to the lower index. */
static void gen_covmax(const float *X, size_t n, size_t d, int k, float *out)
{
    double *zsum = calloc(d, sizeof *zsum), *rmean = malloc(n * sizeof *rmean);
    double *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        double m = 0;
        for (size_t j = 0; j < d; j++)
            m += X[i * d + j];
        rmean[i] = m / (double)d;
        for (size_t j = 0; j < d; j++)
            zsum[j] += X[i * d + j] - rmean[i];
    }
    double denom = d > 1 ? (double)(d - 1) : 1.0;
    for (size_t i = 0; i < n; i++) {
        double t = 0;
        for (size_t j = 0; j < d; j++)
            t += (X[i * d + j] - rmean[i]) * zsum[j];
        s[i] = t / denom;
    }
    char *taken = calloc(n, 1);
    for (int c = 0; c < k; c++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!taken[i] && (best == n || s[i] > s[best]))
                best = i;
        taken[best] = 1;
        memcpy(out + (size_t)c * d, X + best * d, d * sizeof(float));
    }
    free(taken), free(zsum), free(rmean), free(s);
}

/* ---- the kernel table: one uniform entry per GEN row of IMP_GEN_MAP ------------------- */

/* What a per-class kernel gets: the class's rows (after NORMpre and presampling, or raw rows
 * with fused_l2 set for GEN mean), the k it runs at (1 <= k <= n, n >= 2), and the draws'
 * identity (seed, task, class). Kernels write k proxies (mean: 1) into out. */
typedef struct gen_in {
    const float *X;
    size_t n, d;
    int k, fused_l2;
    const imp_gen_params *gp;
    size_t c;
    double **kmed_rs; /* the GEN cache's slot for this class's kmedoids row sums, or NULL */
} gen_in;
typedef int (*gen_kernel)(const gen_in *in, float *out, imp_err *err);

static int gen_k_mean(const gen_in *in, float *out, imp_err *err)
{
    (void)err;
    gen_mean(in->X, in->n, in->d, in->fused_l2, out);
    return 0;
}

static int gen_k_random(const gen_in *in, float *out, imp_err *err)
{
    size_t *idx = malloc(in->n * sizeof *idx);
    if (!idx)
        return imp_err_set(err, IMP_ENOMEM, "random: out of memory");
    imp_rng rng;
    imp_rng_init(&rng, in->gp->seed, in->gp->task_hash, in->c, IMP_RNG_RANDOM);
    imp_rng_perm_prefix(&rng, in->n, (size_t)in->k, idx);
    for (size_t i = 0; i < (size_t)in->k; i++)
        memcpy(out + i * in->d, in->X + idx[i] * in->d, in->d * sizeof(float));
    free(idx);
    return 0;
}

static int gen_k_kmeans(const gen_in *in, float *out, imp_err *err)
{
    imp_rng rng;
    imp_rng_init(&rng, in->gp->seed, in->gp->task_hash, in->c, IMP_RNG_KMEANS);
    return imp_kmeans(in->X, in->n, in->d, (size_t)in->k, NULL, &rng, out, NULL, NULL, err);
}

static int gen_k_kmedoids(const gen_in *in, float *out, imp_err *err)
{
    return gen_kmedoids(in->X, in->n, in->d, in->k, in->kmed_rs, out, err);
}

static int gen_k_fps(const gen_in *in, float *out, imp_err *err)
{
    (void)err;
    imp_rng rng;
    imp_rng_init(&rng, in->gp->seed, in->gp->task_hash, in->c, IMP_RNG_FPS);
    gen_fps(in->X, in->n, in->d, in->k, &rng, out);
    return 0;
}

static int gen_k_covmax(const gen_in *in, float *out, imp_err *err)
{
    (void)err;
    gen_covmax(in->X, in->n, in->d, in->k, out);
    return 0;
}

/* all keeps every row (handled before any kernel runs); ls/kls are solved jointly */
#define gen_k_all NULL
#define gen_k_joint NULL

static const gen_kernel gen_kernels[IMP_GEN__COUNT] = {
#define IMP__GEN_KERNEL(e, name, k, seed, lsq, cost, kernel) gen_k_##kernel,
    IMP_GEN_MAP(IMP__GEN_KERNEL)
#undef IMP__GEN_KERNEL
};

/* ---- the driver ----------------------------------------------------------------------- */

typedef struct class_job {
    const imp_data *train;
    const imp_gen_params *gp;
    /* per class outputs */
    float **W;
    size_t *p;
    int *raw;        /* kls: 1 if the class keeps raw rows */
    float **rows;    /* presampled rows (owned copy) or NULL when all rows are used */
    size_t *nrows;
    int32_t **labels; /* kls: cluster labels of the class's rows */
    int *rc;
    imp_err *errs;
    double *secs;
    double **kmed_rs; /* [C] slots of the GEN cache (kmedoids), or NULL */
} class_job;

static const float *class_rows(const class_job *j, size_t c, size_t *n)
{
    if (j->rows[c]) {
        *n = j->nrows[c];
        return j->rows[c];
    }
    *n = j->train->offset[c + 1] - j->train->offset[c];
    return j->train->X + j->train->offset[c] * j->train->d;
}

static int presample(class_job *j, size_t c, imp_err *err)
{
    const imp_gen_params *gp = j->gp;
    size_t n = j->train->offset[c + 1] - j->train->offset[c], d = j->train->d;
    j->rows[c] = NULL;
    j->nrows[c] = n;
    if (gp->shot < 0) {
        /* NORMpre on a copy of this class only; GEN mean fuses it instead */
        if (gp->pre == IMP_NORM_L2 && gen_kernels[gp->gen] != gen_k_mean) {
            float *r = malloc((n ? n : 1) * d * sizeof *r);
            if (!r)
                return imp_err_set(err, IMP_ENOMEM, "NORMpre: out of memory");
            imp_l2_rows_noeps_copy(r, j->train->X + j->train->offset[c] * d, n, d);
            j->rows[c] = r;
        }
        return 0;
    }
    size_t f = (size_t)gp->shot < n ? (size_t)gp->shot : n;
    size_t *idx = malloc(n * sizeof *idx);
    float *r = malloc((f ? f : 1) * d * sizeof *r);
    if (!idx || !r) {
        free(idx);
        free(r);
        return imp_err_set(err, IMP_ENOMEM, "presampling: out of memory");
    }
    imp_rng rng;
    imp_rng_init(&rng, gp->seed, gp->task_hash, c, IMP_RNG_SHOT);
    imp_rng_perm_prefix(&rng, n, f, idx);
    const float *X = j->train->X + j->train->offset[c] * d;
    for (size_t i = 0; i < f; i++)
        memcpy(r + i * d, X + idx[i] * d, d * sizeof(float));
    free(idx);
    if (gp->pre == IMP_NORM_L2) /* the reference normalises before it presamples: same rows */
        imp_l2_rows_noeps(r, f, d);
    j->rows[c] = r;
    j->nrows[c] = f;
    return 0;
}

static int check_finite(const float *X, size_t n, size_t d, size_t c, imp_err *err)
{
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]))
            return imp_err_set(err, IMP_ENUMERIC,
                               "class %zu: non-finite training value after NORMpre (a zero "
                               "embedding normalised by l2?)", c);
    return 0;
}

static void class_worker(size_t c, void *ctx)
{
    class_job *j = ctx;
    const imp_gen_params *gp = j->gp;
    imp_err *err = &j->errs[c];
    size_t d = j->train->d, n;
    int rc = presample(j, c, err);
    if (rc) {
        j->rc[c] = rc;
        return;
    }
    const float *X = class_rows(j, c, &n);
    /* rows from the store are finite; NORMpre turns a zero row into NaN */
    if (gp->pre == IMP_NORM_L2 && j->rows[c] && (rc = check_finite(X, n, d, c, err))) {
        j->rc[c] = rc;
        return;
    }
    double t0 = imp_clock_s();
    int k = gp->k;
    const imp_gen_info *gi = imp_gen_info_of(gp->gen);
    int take_all = gi->fixed_k == -1 || k == -1 || n < (size_t)(k < 0 ? 0 : k);
    if (gi->lsq && gi->fixed_k == 1) {
        j->secs[c] = 0; /* ls: joint, one pseudo-class per class; nothing per class */
        return;
    }
    if (gi->lsq) { /* kls: the k pseudo-classes of a class are its k-means clusters */
        j->raw[c] = take_all;
        if (take_all || k == 1) {
            j->secs[c] = imp_clock_s() - t0;
            return; /* raw rows, or one pseudo-class = the class */
        }
        float *centers = malloc((size_t)k * d * sizeof *centers);
        j->labels[c] = malloc(n * sizeof(int32_t));
        if (!centers || !j->labels[c]) {
            free(centers);
            j->rc[c] = imp_err_set(err, IMP_ENOMEM, "kls: out of memory");
            return;
        }
        imp_rng rng;
        imp_rng_init(&rng, gp->seed, gp->task_hash, c, IMP_RNG_KMEANS);
        rc = imp_kmeans(X, n, d, (size_t)k, NULL, &rng, centers, j->labels[c], NULL, err);
        free(centers);
        j->rc[c] = rc;
        j->secs[c] = imp_clock_s() - t0;
        return;
    }
    /* a GEN with a fixed k of 1 (mean) makes one proxy whatever k the cell lists */
    int kk = gi->fixed_k == 1 ? 1 : k;
    size_t p = take_all ? n : (n == 1 ? 1 : (size_t)kk);
    float *W = malloc((p ? p : 1) * d * sizeof *W);
    if (!W) {
        j->rc[c] = imp_err_set(err, IMP_ENOMEM, "GEN: out of memory for %zu proxies", p);
        return;
    }
    int fused_l2 = gp->pre == IMP_NORM_L2 && !j->rows[c]; /* GEN mean left NORMpre to us */
    if (take_all || n == 1) {
        memcpy(W, X, p * d * sizeof(float));
        if (fused_l2)
            imp_l2_rows_noeps(W, p, d);
    } else if (gen_kernels[gp->gen]) {
        gen_in in = {.X = X, .n = n, .d = d, .k = kk, .fused_l2 = fused_l2, .gp = gp, .c = c,
                     .kmed_rs = j->kmed_rs ? &j->kmed_rs[c] : NULL};
        rc = gen_kernels[gp->gen](&in, W, err);
    } else {
        rc = imp_err_set(err, IMP_EINTERNAL, "GEN %s is not per-class", imp_gen_name(gp->gen));
    }
    j->secs[c] = imp_clock_s() - t0;
    if (rc) {
        free(W);
        j->rc[c] = rc;
        return;
    }
    j->W[c] = W;
    j->p[c] = p;
}

/* ls / kls: one factor over the participating classes' rows in class order (from the cache
 * when the same rows were factored before), right-hand sides = the pseudo-class means (class
 * order, then cluster label order; each mean summed in row order), and raw-row classes (kls)
 * interleaved. */
static int joint_ls(class_job *j, imp_proxies *out, imp_err *err)
{
    const imp_gen_params *gp = j->gp;
    size_t C = (size_t)j->train->n_classes, d = j->train->d;
    int k = imp_gen_info_of(gp->gen)->fixed_k == 1 ? 1 : gp->k; /* ls: one per class */
    size_t G = 0, N = 0, ns = 0;
    const float **segX = malloc(C * sizeof *segX);
    size_t *segn = malloc(C * sizeof *segn), *gsize = NULL;
    char *part = calloc(C ? C : 1, 1);
    double *Bm = NULL, *U = NULL;
    float *Wg = NULL;
    int rc = 0;
    if (!segX || !segn || !part) {
        rc = imp_err_set(err, IMP_ENOMEM, "least squares: out of memory");
        goto out;
    }
    for (size_t c = 0; c < C; c++) {
        size_t n;
        const float *X = class_rows(j, c, &n);
        if (!j->raw[c]) { /* ls never keeps raw rows */
            part[c] = 1;
            segX[ns] = X;
            segn[ns++] = n;
            G += (size_t)k;
            N += n;
        }
    }
    if (G == 0) {
        rc = imp_err_set(err, IMP_ENUMERIC,
                         "kls: no class has at least k = %d rows (No proxy data generated)", k);
        goto out;
    }
    Bm = calloc(d * G, sizeof *Bm);
    gsize = calloc(G, sizeof *gsize);
    Wg = malloc(G * d * sizeof *Wg);
    if (!Bm || !gsize || !Wg) {
        rc = imp_err_set(err, IMP_ENOMEM, "least squares: out of memory");
        goto out;
    }
    /* right-hand sides: column g = μ_g / G */
    size_t g0 = 0;
    for (size_t c = 0; c < C; c++) {
        if (!part[c])
            continue;
        size_t n;
        const float *X = class_rows(j, c, &n);
        for (size_t i = 0; i < n; i++) {
            size_t g = g0 + (k == 1 ? 0 : (size_t)j->labels[c][i]);
            gsize[g]++;
            for (size_t a = 0; a < d; a++)
                Bm[a * G + g] += X[i * d + a];
        }
        for (int q = 0; q < k; q++)
            if (gsize[g0 + (size_t)q] == 0) {
                rc = imp_err_set(err, IMP_ENUMERIC, "kls: class %zu cluster %d is empty", c, q);
                goto out;
            }
        g0 += (size_t)k;
    }
    for (size_t g = 0; g < G; g++)
        for (size_t a = 0; a < d; a++)
            Bm[a * G + g] /= (double)gsize[g] * (double)G;
    double t0 = imp_clock_s();
    imp_gen_key key = {j->train, gp->pre, gp->shot, gp->seed, gp->lambda};
    const double *Uc = imp_gen_cache_ls_find(gp->cache, &key, part);
    if (!Uc) {
        imp_lstsq_rows rs = {segX, segn, ns, N, d};
        rc = imp_lstsq_factor(&rs, gp->lambda, gp->threads, &U, err);
        if (rc)
            goto out;
        Uc = U;
        if (imp_gen_cache_ls_put(gp->cache, &key, part, U) == 0)
            U = NULL; /* the cache owns it */
    }
    rc = imp_lstsq_solve(Uc, d, G, Bm, Wg, err);
    out->gen_seconds += imp_clock_s() - t0;
    if (rc)
        goto out;
    size_t g = 0;
    for (size_t c = 0; c < C; c++) {
        size_t n;
        const float *X = class_rows(j, c, &n);
        size_t p = part[c] ? (size_t)k : n;
        j->W[c] = malloc(p * d * sizeof(float));
        if (!j->W[c]) {
            rc = imp_err_set(err, IMP_ENOMEM, "kls: out of memory");
            goto out;
        }
        memcpy(j->W[c], part[c] ? Wg + g * d : X, p * d * sizeof(float));
        j->p[c] = p;
        g += part[c] ? (size_t)k : 0;
    }
out:
    free(segX), free(segn), free(part), free(Bm), free(gsize), free(Wg), free(U);
    return rc;
}

int imp_gen_run(const imp_data *train, const imp_gen_params *gp, imp_proxies *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    size_t C = (size_t)train->n_classes, d = train->d;
    if (gp->k == 0 || gp->k < -1)
        return imp_err_set(err, IMP_EINPUT, "k must be >= 1 or -1 (found %d)", gp->k);
    class_job j = {.train = train, .gp = gp};
    if (gen_kernels[gp->gen] == gen_k_kmedoids) { /* before the classes run in parallel */
        imp_gen_key key = {train, gp->pre, gp->shot, gp->seed, gp->lambda};
        j.kmed_rs = imp_gen_cache_kmed_slots(gp->cache, &key);
    }
    j.W = calloc(C, sizeof *j.W);
    j.p = calloc(C, sizeof *j.p);
    j.raw = calloc(C, sizeof *j.raw);
    j.rows = calloc(C, sizeof *j.rows);
    j.nrows = calloc(C, sizeof *j.nrows);
    j.labels = calloc(C, sizeof *j.labels);
    j.rc = calloc(C, sizeof *j.rc);
    j.errs = calloc(C, sizeof *j.errs);
    j.secs = calloc(C, sizeof *j.secs);
    int rc = 0;
    if (!j.W || !j.p || !j.raw || !j.rows || !j.nrows || !j.labels || !j.rc || !j.errs || !j.secs) {
        rc = imp_err_set(err, IMP_ENOMEM, "GEN: out of memory");
        goto out;
    }
    int threads = gp->threads > 1 ? gp->threads : 1;
    /* parallel over classes, one BLAS thread each: results do not depend on thread counts */
    int blas_before = imp_blas_threads();
    imp_blas_set_threads(1);
    double t0 = imp_clock_s();
    imp_parallel_for(C, threads, class_worker, &j);
    double wall = imp_clock_s() - t0;
    imp_blas_set_threads(blas_before);
    for (size_t c = 0; c < C; c++)
        if (j.rc[c]) {
            rc = j.rc[c];
            if (err)
                *err = j.errs[c];
            goto out;
        }
    /* GEN time: the per-class GEN sections; with parallel classes the wall time they took */
    double sum = 0;
    for (size_t c = 0; c < C; c++)
        sum += j.secs[c];
    out->gen_seconds = threads > 1 ? (wall < sum ? wall : sum) : sum;
    if (imp_gen_info_of(gp->gen)->lsq) {
        rc = joint_ls(&j, out, err);
        if (rc)
            goto out;
    }
    size_t P = 0;
    for (size_t c = 0; c < C; c++)
        P += j.p[c];
    out->offset = malloc((C + 1) * sizeof *out->offset);
    out->W = malloc((P ? P : 1) * d * sizeof(float));
    if (!out->offset || !out->W) {
        rc = imp_err_set(err, IMP_ENOMEM, "GEN: out of memory for %zu proxies", P);
        goto out;
    }
    out->P = P;
    out->d = d;
    out->n_classes = (int)C;
    out->offset[0] = 0;
    for (size_t c = 0; c < C; c++) {
        memcpy(out->W + out->offset[c] * d, j.W[c], j.p[c] * d * sizeof(float));
        out->offset[c + 1] = out->offset[c] + j.p[c];
    }
    for (size_t i = 0; i < P * d; i++)
        if (!isfinite(out->W[i])) {
            rc = imp_err_set(err, IMP_ENUMERIC, "GEN produced a non-finite proxy value");
            break;
        }
out:
    for (size_t c = 0; j.W && c < C; c++) {
        free(j.W[c]);
        free(j.rows[c]);
        free(j.labels[c]);
    }
    free(j.W), free(j.p), free(j.raw), free(j.rows), free(j.nrows), free(j.labels), free(j.rc);
    free(j.errs), free(j.secs);
    if (rc)
        imp_proxies_free(out);
    return rc;
}
