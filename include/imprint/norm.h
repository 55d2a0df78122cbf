/* norm.h — NORMpre, NORMpost and NORMinf (spec/reference-semantics.md §1.5.2, §1.5.3, §1.5.8). */
#ifndef IMPRINT_NORM_H
#define IMPRINT_NORM_H

#include <stddef.h>

#include "imprint/err.h"
#include "imprint/strategy.h"

/* ‖x‖₂ of one row, accumulated in double, rounded to float (the one norm every l2 uses). */
float imp_row_norm(const float *x, size_t d);
/* The divisor of NORMpre l2 for one row: ‖x‖₂, or 1 when the row is zero, so a zero row stays
 * zero (torch F.normalize's result; the reference's x / ‖x‖ gives 0/0 = NaN and fails the
 * cell: a deliberate difference, README "Deliberate differences"). Every NORMpre path divides
 * by it, so they agree bit for bit. */
float imp_pre_divisor(const float *x, size_t d);
/* NORMpre l2: x ← x / imp_pre_divisor(x) (no epsilon otherwise, as the reference). In place
 * on n rows of d. */
void imp_l2_rows_noeps(float *X, size_t n, size_t d);
/* The same into dst (src unchanged). */
void imp_l2_rows_noeps_copy(float *dst, const float *src, size_t n, size_t d);
/* NORMpost / NORMinf l2: x ← x / max(‖x‖₂, 1e-12) (torch F.normalize). dst may equal src. */
void imp_l2_rows(float *dst, const float *src, size_t n, size_t d);

/* Quantile NORMpost for one class block P [p, d], given the weights already stored for the
 * earlier classes (ref, flattened in storage order, M values). M = 0 → P unchanged. Otherwise
 * every row of P is replaced by the d quantiles y_j (q_j = j/d + 1/(2d), linear
 * interpolation) of ref, placed by the rank order of the row (stable for ties). When
 * M > 2^24, ref is subsampled with stride 2, then 4, 8, … of the result until it fits
 * (torch.quantile's limit, as the reference's safe_quantile_with_retry). */
int imp_quantile_norm(float *P, size_t p, size_t d, const float *ref, size_t M, imp_err *err);

/* NORMpost on proxies in place: W holds n_classes blocks of rows (class c: rows offset[c] ..
 * offset[c+1]) of d values. l2 row by row; quantile class by class in task order, each class
 * against the earlier classes' already-normalised weights (the first class is unchanged);
 * none does nothing. */
int imp_norm_post(float *W, const size_t *offset, int n_classes, size_t d, imp_norm post,
                  imp_err *err);

/* The d quantile values of ref used above (exposed for tests); y has d entries. */
int imp_quantile_values(const float *ref, size_t M, size_t d, float *y, imp_err *err);

#endif
