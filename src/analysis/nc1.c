/* nc1.c — NC1 / VCI of class-grouped embeddings via the C×C Gram matrix of class means. */
#include "nc1.h"

#include "imprint/blas.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 256 /* rows per centred block: bounds the scratch to CHUNK·d doubles */

/* Relative eigenvalue cutoff of torch.linalg.pinv / matrix_rank for a d×d float32 matrix. */
static double cutoff_of(const double *w, size_t n, size_t d)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fmax(mx, fabs(w[i]));
    return (double)d * FLT_EPSILON * mx;
}

static size_t count_above(const double *w, size_t n, double cut)
{
    size_t r = 0;
    for (size_t i = 0; i < n; i++)
        r += fabs(w[i]) > cut;
    return r;
}

int imp_nc1_compute(const float *X, size_t d, size_t C, const size_t *class_off,
                    const imp_nc1_opts *opts, imp_nc1 *out, imp_err *err)
{
    int full = opts && opts->full;
    if (!X || !class_off || d < 1 || C < 1 || class_off[0] != 0)
        return imp_err_set(err, IMP_EINPUT, "NC1: need d >= 1, C >= 1 and class_off[0] == 0");
    for (size_t c = 0; c < C; c++)
        if (class_off[c + 1] <= class_off[c])
            return imp_err_set(err, IMP_EINPUT, "NC1: class %zu has no rows", c);
    size_t n = class_off[C];
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(X[i]))
            return imp_err_set(err, IMP_EINPUT, "NC1: row %zu has a non-finite value", i / d);

    int rc = 0;
    double *scale = malloc(n * sizeof *scale);
    double *mu = calloc(C * d, sizeof *mu), *muG = calloc(d, sizeof *muG);
    double *G = malloc(C * C * sizeof *G), *w = malloc(C * sizeof *w);
    double *V = malloc(C * d * sizeof *V), *lam = malloc(C * sizeof *lam);
    double *S = calloc(C, sizeof *S), *Z = malloc(CHUNK * d * sizeof *Z);
    double *P = malloc(CHUNK * C * sizeof *P);
    double *SW = full ? calloc(d * d, sizeof *SW) : NULL;
    double *ST = NULL, *wd = NULL, *Q = NULL;
    if (!scale || !mu || !muG || !G || !w || !V || !lam || !S || !Z || !P || (full && !SW)) {
        rc = imp_err_set(err, IMP_ENOMEM, "NC1: out of memory (n=%zu, d=%zu, C=%zu)", n, d, C);
        goto out;
    }
    *out = (imp_nc1){.vci = NAN};

    /* Pass 1: row scales, class means (in mu, later centred into M = mu − μ_G). */
    for (size_t c = 0; c < C; c++) {
        double *mc = mu + c * d;
        for (size_t r = class_off[c]; r < class_off[c + 1]; r++) {
            const float *x = X + r * d;
            double ss = 0;
            for (size_t j = 0; j < d; j++)
                ss += (double)x[j] * x[j];
            scale[r] = 1.0 / (sqrt(ss) + FLT_EPSILON);
            for (size_t j = 0; j < d; j++)
                mc[j] += scale[r] * x[j];
        }
        for (size_t j = 0; j < d; j++)
            muG[j] += mc[j];
        double nc = (double)(class_off[c + 1] - class_off[c]);
        for (size_t j = 0; j < d; j++)
            mc[j] /= nc;
    }
    double muG2 = 0;
    for (size_t j = 0; j < d; j++) {
        muG[j] /= (double)n;
        muG2 += muG[j] * muG[j];
    }
    double *M = mu; /* row c = μ_c − μ_G (pass 2 re-adds μ_G to centre each class) */
    double sbmax = 0;
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < d; j++)
            M[c * d + j] -= muG[j];
    for (size_t j = 0; j < d; j++) {
        double diag = 0; /* Σ_B is PSD: its largest |entry| is on the diagonal */
        for (size_t c = 0; c < C; c++)
            diag += M[c * d + j] * M[c * d + j];
        diag /= (double)C;
        out->tr_sb += diag;
        sbmax = fmax(sbmax, diag);
    }
    out->degenerate = sbmax <= 1e-8;

    /* Σ_B = Mᵀ M / C shares its nonzero eigenvalues with G = M Mᵀ / C; eigenvectors map as
     * v = Mᵀ u / sqrt(C λ) (unit length). */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)C, (int)d, 1.0 / (double)C, M,
                (int)d, 0.0, G, (int)C);
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)C, G,
                                     (lapack_int)C, w);
    if (info != 0) {
        rc = imp_err_set(err, IMP_ENUMERIC, "NC1: eigendecomposition of the class-mean Gram "
                                            "matrix failed (LAPACK dsyevd info %d)", (int)info);
        goto out;
    }
    double cut = cutoff_of(w, C, d);
    size_t r = 0;
    for (size_t k = 0; k < C; k++) {
        if (!(fabs(w[k]) > cut) || w[k] <= 0)
            continue;
        double f = 1.0 / sqrt((double)C * w[k]);
        double *v = V + r * d;
        for (size_t j = 0; j < d; j++) {
            double s = 0;
            for (size_t c = 0; c < C; c++)
                s += G[c * C + k] * M[c * d + j];
            v[j] = s * f;
        }
        lam[r++] = w[k];
    }
    out->rank_sb = r;

    /* Pass 2: centred blocks Z = x − μ_c; Σ_k w_c (Z v_k)² gives v_kᵀ Σ_W v_k without Σ_W. */
    for (size_t c = 0; c < C; c++) {
        size_t nc = class_off[c + 1] - class_off[c];
        double wc = 1.0 / ((double)C * (double)nc);
        const double *mc = M + c * d;
        for (size_t r0 = class_off[c]; r0 < class_off[c + 1]; r0 += CHUNK) {
            size_t rows = class_off[c + 1] - r0 < CHUNK ? class_off[c + 1] - r0 : CHUNK;
            double ss = 0;
            for (size_t t = 0; t < rows; t++) {
                const float *x = X + (r0 + t) * d;
                double *z = Z + t * d;
                for (size_t j = 0; j < d; j++) {
                    z[j] = scale[r0 + t] * x[j] - (mc[j] + muG[j]);
                    ss += z[j] * z[j];
                }
            }
            out->tr_sw_textbook += wc * ss;
            if (r > 0) {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)r, (int)d,
                            1.0, Z, (int)d, V, (int)d, 0.0, P, (int)r);
                for (size_t t = 0; t < rows; t++)
                    for (size_t k = 0; k < r; k++)
                        S[k] += wc * P[t * r + k] * P[t * r + k];
            }
            if (full)
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)rows, wc, Z,
                            (int)d, 1.0, SW, (int)d);
        }
    }
    out->tr_sw = out->tr_sw_textbook + muG2;
    if (out->degenerate) {
        out->nc1 = out->nc1_textbook = INFINITY;
    } else {
        double t_text = 0, t_code = 0;
        for (size_t k = 0; k < r; k++) {
            double g = cblas_ddot((int)d, V + k * d, 1, muG, 1);
            t_text += S[k] / lam[k];
            t_code += (S[k] + g * g) / lam[k];
        }
        out->nc1_textbook = t_text / (double)C;
        out->nc1 = t_code / (double)C;
    }

    if (full) {
        /* Σ_W^code = Σ_W + μ_G μ_Gᵀ (upper triangle); its rank from eigenvalues only. */
        cblas_dsyr(CblasRowMajor, CblasUpper, (int)d, 1.0, muG, 1, SW, (int)d);
        ST = malloc(d * d * sizeof *ST);
        wd = malloc(d * sizeof *wd);
        Q = malloc(C * d * sizeof *Q);
        if (!ST || !wd || !Q) {
            rc = imp_err_set(err, IMP_ENOMEM, "NC1: out of memory for %zu x %zu matrices", d, d);
            goto out;
        }
        memcpy(ST, SW, d * d * sizeof *ST);
        info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'N', 'U', (lapack_int)d, ST, (lapack_int)d, wd);
        if (info != 0) {
            rc = imp_err_set(err, IMP_ENUMERIC, "NC1: eigenvalues of Sigma_W failed "
                                                "(LAPACK dsyevd info %d)", (int)info);
            goto out;
        }
        out->rank_sw = count_above(wd, d, cutoff_of(wd, d, d));
        if (out->degenerate) {
            out->vci = INFINITY;
        } else {
            /* Σ_T = Σ_W^code + Σ_B; tr(Σ_B Σ_T⁺) = Σ_k ‖M t_k‖² / (C λ_k) over kept pairs. */
            memcpy(ST, SW, d * d * sizeof *ST);
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)C, 1.0 / (double)C,
                        M, (int)d, 1.0, ST, (int)d);
            info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, ST, (lapack_int)d,
                                  wd);
            if (info != 0) {
                rc = imp_err_set(err, IMP_ENUMERIC, "NC1: eigendecomposition of Sigma_T failed "
                                                    "(LAPACK dsyevd info %d)", (int)info);
                goto out;
            }
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)C, (int)d, (int)d, 1.0,
                        M, (int)d, ST, (int)d, 0.0, Q, (int)d);
            double tcut = cutoff_of(wd, d, d), t = 0;
            for (size_t k = 0; k < d; k++) {
                if (!(fabs(wd[k]) > tcut))
                    continue;
                double s = 0;
                for (size_t c = 0; c < C; c++)
                    s += Q[c * d + k] * Q[c * d + k];
                t += s / ((double)C * wd[k]);
            }
            out->vci = 1.0 - t / (double)out->rank_sb;
        }
    }

out:
    free(scale), free(mu), free(muG), free(G), free(w), free(V), free(lam), free(S), free(Z);
    free(P), free(SW), free(ST), free(wd), free(Q);
    return rc;
}
