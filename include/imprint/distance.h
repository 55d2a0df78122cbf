/* distance.h — test × proxy distances of every metric of IMP_METRIC_MAP: euclidean and
 * Mahalanobis from a float64 Gram form, the Manhattan kernel (AVX2 with a portable fallback),
 * cosine from a float32 Gram block; each with its error bound in distance.c. */
#ifndef IMPRINT_DISTANCE_H
#define IMPRINT_DISTANCE_H

#include <stddef.h>

#include "imprint/err.h"
#include "imprint/strategy.h"

/* Squared euclidean (whiten = 0) or Mahalanobis (whiten = 1, docs/semantics.md) distances in
 * float64, from a Gram form that is exact to the bound proved in distance.c. Mahalanobis:
 * (x−w)ᵀ(Cov(W) + 1e-6·I)⁻¹(x−w) with Cov over the P rows of W (ddof 1), through the Cholesky
 * factor of that matrix after centring on the proxies' mean (never an inverse), so a singular
 * Cov (P ≤ d, constant columns) costs no precision. Create once per proxy set (W is copied;
 * *out owned by the caller, imp_gram64_destroy frees it); P < 2 or a covariance that is not
 * positive definite → IMP_ENUMERIC (whiten only), IMP_ENOMEM. Single-threaded BLAS inside:
 * bit-identical results for any thread count and any partition of the test rows. */
typedef struct imp_gram64 imp_gram64;
int imp_gram64_create(const float *W, size_t P, size_t d, int whiten, imp_gram64 **out,
                      imp_err *err);
void imp_gram64_destroy(imp_gram64 *g);
/* D[i * ldd + j] = the squared distance of test row i of X [nx × d] to proxy j, ≥ 0.
 * Returns 0 or IMP_ENOMEM. */
int imp_gram64_block(const imp_gram64 *g, const float *X, size_t nx, double *D, size_t ldd);

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

/* One row of distances of form IMP_FORM_GRAM_COSINE from the float32 Gram row s (x·w_j),
 * ‖x‖² = xn and ‖w_j‖² = wn[j]: 1 − s/(‖x‖‖w‖) clamped at 0 (0 similarity for a zero norm).
 * Any other form gives NaN (its cells then fail as non-finite): a new form needs its case here.
 * Precision (issue 17's audit): |fl(s_j) − x·w_j| ≤ γ_d‖x‖‖w_j‖ with γ_d = d·2⁻²⁴, so a cosine
 * distance is off by at most γ_d (1.2e-4 at d = 2048 in the worst case, ~√d·2⁻²⁴ = 3e-6 in
 * practice); see distance.c for why that is kept. */
void imp_gram_dist_row(int form, const float *s, double xn, const double *wn, size_t P,
                       double *dist);

#endif
