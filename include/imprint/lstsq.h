/* lstsq.h — ridge least squares for GEN ls/kls: the factor of XᵀX/N + λI over rows given as
 * segments, solved for many right-hand sides; docs/semantics.md "ls". */
#ifndef IMPRINT_LSTSQ_H
#define IMPRINT_LSTSQ_H

#include <stddef.h>

#include "imprint/err.h"

/* The rows of the system as segments (one per class, in class order): the factor only
 * depends on which rows take part, never on how they are grouped into pseudo-classes. */
typedef struct imp_lstsq_rows {
    const float *const *X; /* [ns] row-major rows of segment s */
    const size_t *n;       /* [ns] */
    size_t ns, N, d;       /* N = Σ n, d columns */
} imp_lstsq_rows;

/* *Uout = U with UᵀU = XᵀX/N + λI (d × d double, row-major upper; malloc'd, the caller frees),
 * computed on `threads` threads with the same bits for any thread count. Errors: no rows,
 * out of memory, not positive definite (IMP_ENUMERIC, naming λ). */
int imp_lstsq_factor(const imp_lstsq_rows *rs, double lambda, int threads, double **Uout,
                     imp_err *err);
/* W = (1/G)·Mᵀ(UᵀU)⁻¹: Bm holds the G group means column-wise (d × G, already divided by G),
 * overwritten by the solve; W [G, d], caller-allocated. A non-finite weight is IMP_ENUMERIC. */
int imp_lstsq_solve(const double *U, size_t d, size_t G, double *Bm, float *W, imp_err *err);

/* Least-squares weights (ls) for groups of rows: group g = rows goff[g]..goff[g+1]-1 of X.
 * A = XᵀX/N + λI (SSYRK over fixed row chunks on `threads` threads, then Cholesky in double
 * via LAPACKE), W = (1/G)·Mᵀ A⁻¹ with M the group means; never an explicit inverse. The
 * result is bit-identical for any thread count. W is [G, d], caller-allocated. GEN ls/kls
 * compute A over the participating classes' rows in class order (docs/semantics.md, kls: the system
 * does not depend on the clustering), so one factor serves every k. */
int imp_lstsq_weights(const float *X, size_t d, const size_t *goff, size_t G, double lambda,
                      int threads, float *W, imp_err *err);

#endif
