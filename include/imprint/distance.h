/* distance.h — test × proxy distances of every metric of IMP_METRIC_MAP: the Mahalanobis
 * whitening, the Manhattan kernel (AVX2 with a portable fallback), and distances from a Gram
 * block. All results are exactly those of the scalar reference loops (see distance.c). */
#ifndef IMPRINT_DISTANCE_H
#define IMPRINT_DISTANCE_H

#include <stddef.h>

#include "imprint/err.h"
#include "imprint/strategy.h"

/* Mahalanobis (docs/semantics.md): V = (Cov(W) + 1e-6·I)⁻¹ = (L Lᵀ)⁻¹ with Cov over the P rows of
 * W (ddof 1), so (x−w)ᵀV(x−w) = ‖L⁻¹x − L⁻¹w‖². Factor once per proxy set: *L (d × d double,
 * row-major lower, malloc'd; caller frees). Never an inverse. P < 2 or a covariance that is
 * not positive definite → IMP_ENUMERIC. Runs single-threaded BLAS (bit-identical results). */
int imp_mahal_factor(const float *W, size_t P, size_t d, double **L, imp_err *err);
/* Whiten rows in place: each row x becomes L⁻¹x (double solve, rounded to float). The result
 * of a row depends only on that row and on n through the solver's blocking, so callers keep
 * a fixed partition of rows for reproducible bits. Returns 0 or IMP_ENOMEM. */
int imp_mahal_map(const double *L, float *rows, size_t n, size_t d);

/* Squared norms of rows in double, summed in index order. */
void imp_sqnorms(const float *X, size_t n, size_t d, double *out);

/* Manhattan distances of nx test rows to the P proxies of a packed panel set.
 * Pack: proxies in panels of IMP_L1_PANEL, value (proxy j, dim a) at
 * panel[(j / IMP_L1_PANEL) * d * IMP_L1_PANEL + a * IMP_L1_PANEL + j % IMP_L1_PANEL], the
 * last panel padded with zeros. D[i * ldd + j] = Σ_a |x_ia − w_ja| accumulated in double in
 * index order a = 0, 1, …, d−1 — the same bits as the scalar loop, for either kernel. */
enum { IMP_L1_PANEL = 8 };
size_t imp_l1_packed_size(size_t P, size_t d); /* floats */
void imp_l1_pack(const float *W, size_t P, size_t d, float *packed);
void imp_l1_block(const float *X, size_t nx, const float *packed, size_t P, size_t d, double *D,
                  size_t ldd);
/* The kernel imp_l1_block uses ("avx2" or "generic"); force_generic != 0 selects the portable
 * one for the rest of the process (tests compare both). */
const char *imp_l1_kernel(int force_generic);

/* One row of distances of form IMP_FORM_GRAM_COSINE or IMP_FORM_GRAM_EUCLID from the Gram
 * row s (x·w_j, float), ‖x‖² = xn and ‖w_j‖² = wn[j]: cosine 1 − s/(‖x‖‖w‖) clamped at 0
 * (0 similarity for a zero norm), euclidean √max(0, xn + wn − 2s). Any other form gives NaN
 * (its cells then fail as non-finite): a new form needs its case here. */
void imp_gram_dist_row(int form, const float *s, double xn, const double *wn, size_t P,
                       double *dist);

#endif
