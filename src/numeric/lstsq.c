/* lstsq.c — ridge least squares: one Cholesky factor of XᵀX/N + λI, many right-hand sides. */
#include "imprint/lstsq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/blas.h"
#include "imprint/pool.h"

typedef struct syrk_ctx {
    const imp_lstsq_rows *rs;
    size_t chunk;
    float *part;
    int *rc;
} syrk_ctx;

/* Chunk q of the concatenated rows: a pointer into one segment when the chunk lies inside it,
 * else a gathered copy (same values, so the same SSYRK bits). */
static void syrk_chunk(size_t q, void *arg)
{
    syrk_ctx *c = arg;
    const imp_lstsq_rows *rs = c->rs;
    size_t d = rs->d, r0 = q * c->chunk, n = rs->N - r0 < c->chunk ? rs->N - r0 : c->chunk;
    size_t s = 0, base = 0;
    while (base + rs->n[s] <= r0) /* the segment holding row r0 */
        base += rs->n[s++];
    const float *X = NULL;
    float *buf = NULL;
    if (r0 + n <= base + rs->n[s]) {
        X = rs->X[s] + (r0 - base) * d;
    } else {
        buf = malloc(n * d * sizeof *buf);
        if (!buf) {
            c->rc[q] = IMP_ENOMEM;
            return;
        }
        for (size_t i = 0, off = r0 - base; i < n; off = 0, s++) {
            size_t take = rs->n[s] - off < n - i ? rs->n[s] - off : n - i;
            memcpy(buf + i * d, rs->X[s] + off * d, take * d * sizeof(float));
            i += take;
        }
        X = buf;
    }
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0f, X, (int)d, 0.0f,
                c->part + q * d * d, (int)d);
    free(buf);
}

/* XᵀX is a float32 SYRK (the reference's float32 algebra) over fixed chunks of 8192 rows of the
 * concatenated segments, chunks on `threads` threads with one BLAS thread each, partial sums
 * added in chunk order in double — the same bits for any thread count. */
int imp_lstsq_factor(const imp_lstsq_rows *rs, double lambda, int threads, double **Uout,
                     imp_err *err)
{
    size_t N = rs->N, d = rs->d;
    *Uout = NULL;
    if (N == 0)
        return imp_err_set(err, IMP_ENUMERIC, "least squares: no rows");
    const size_t CH = 8192;
    size_t nch = (N + CH - 1) / CH;
    double *A = malloc(d * d * sizeof *A);
    float *part = calloc(nch * d * d, sizeof *part);
    int *crc = calloc(nch, sizeof *crc);
    if (!A || !part || !crc) {
        free(A), free(part), free(crc);
        return imp_err_set(err, IMP_ENOMEM, "least squares: out of memory (%zu x %zu)", d, d);
    }
    syrk_ctx sc = {rs, CH, part, crc};
    int blas_threads = imp_blas_threads();
    imp_blas_set_threads(1);
    imp_parallel_for(nch, threads, syrk_chunk, &sc);
    int rc = 0;
    for (size_t q = 0; q < nch; q++)
        if (crc[q])
            rc = imp_err_set(err, IMP_ENOMEM, "least squares: out of memory");
    for (size_t a = 0; a < d && !rc; a++)
        for (size_t b = a; b < d; b++) {
            double v = 0;
            for (size_t q = 0; q < nch; q++)
                v += part[q * d * d + a * d + b];
            v /= (double)N;
            A[a * d + b] = v;
            A[b * d + a] = v;
        }
    free(part), free(crc);
    for (size_t a = 0; a < d && !rc; a++)
        A[a * d + a] += lambda;
    /* still one BLAS thread: OpenBLAS's threaded potrf blocks by thread count and so rounds
     * differently; the d×d factorisation is cheap */
    lapack_int info = rc ? 0 : LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)d, A, (lapack_int)d);
    imp_blas_set_threads(blas_threads);
    if (!rc && info != 0)
        rc = imp_err_set(err, IMP_ENUMERIC,
                         "least squares: XᵀX/N + λI is not positive definite (LAPACK info %d; "
                         "λ = %g too small or non-finite data?)", (int)info, lambda);
    if (rc) {
        free(A);
        return rc;
    }
    *Uout = A;
    return 0;
}

int imp_lstsq_solve(const double *U, size_t d, size_t G, double *Bm, float *W, imp_err *err)
{
    int blas_threads = imp_blas_threads();
    imp_blas_set_threads(1);
    lapack_int info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', (lapack_int)d, (lapack_int)G, U,
                                     (lapack_int)d, Bm, (lapack_int)G);
    imp_blas_set_threads(blas_threads);
    if (info != 0)
        return imp_err_set(err, IMP_ENUMERIC, "least squares: solve failed (LAPACK info %d)",
                           (int)info);
    for (size_t g = 0; g < G; g++)
        for (size_t a = 0; a < d; a++) {
            W[g * d + a] = (float)Bm[a * G + g];
            if (!isfinite(W[g * d + a]))
                return imp_err_set(err, IMP_ENUMERIC, "least squares: non-finite weight");
        }
    return 0;
}

int imp_lstsq_weights(const float *X, size_t d, const size_t *goff, size_t G, double lambda,
                      int threads, float *W, imp_err *err)
{
    if (G == 0 || goff[G] == goff[0])
        return imp_err_set(err, IMP_ENUMERIC, "least squares: no rows");
    const float *X0 = X + goff[0] * d;
    size_t N = goff[G] - goff[0];
    imp_lstsq_rows rs = {&X0, &N, 1, N, d};
    double *U, *Bm = calloc(d * G, sizeof *Bm);
    if (!Bm)
        return imp_err_set(err, IMP_ENOMEM, "least squares: out of memory (d = %zu)", d);
    int rc = imp_lstsq_factor(&rs, lambda, threads, &U, err);
    if (rc) {
        free(Bm);
        return rc;
    }
    /* right-hand sides: column g = μ_g / G (row-major d × G) */
    for (size_t g = 0; g < G; g++) {
        size_t n = goff[g + 1] - goff[g];
        const float *Xg = X + goff[g] * d;
        for (size_t i = 0; i < n; i++)
            for (size_t a = 0; a < d; a++)
                Bm[a * G + g] += Xg[i * d + a];
        for (size_t a = 0; a < d; a++)
            Bm[a * G + g] /= (double)n * (double)G;
    }
    rc = imp_lstsq_solve(U, d, G, Bm, W, err);
    free(U), free(Bm);
    return rc;
}
