/* nc1.h — neural-collapse NC1 (and VCI) of class-grouped embeddings, in double precision
 * (src/nc/neural_collapse.py of the reference). */
#ifndef IMPRINT_ANALYSIS_NC1_H
#define IMPRINT_ANALYSIS_NC1_H

#include <stddef.h>

#include "imprint/err.h"

typedef struct imp_nc1_opts {
    int full; /* also VCI and rank(Σ_W^code): forms d×d matrices, O(n·d²) plus two d×d
               * eigendecompositions; NC1 alone costs O(n·d·C) */
} imp_nc1_opts;

typedef struct imp_nc1 {
    double nc1;            /* tr(Σ_B⁺ Σ_W^code) / C — the reference's number */
    double nc1_textbook;   /* tr(Σ_B⁺ Σ_W) / C — classes centred by their own mean */
    double tr_sw;          /* tr Σ_W^code = tr Σ_W + ‖μ_G‖² */
    double tr_sw_textbook; /* tr Σ_W */
    double tr_sb;          /* tr Σ_B */
    size_t rank_sb;        /* rank of Σ_B (≤ C−1) */
    double vci;            /* 1 − tr(Σ_B (Σ_W^code+Σ_B)⁺)/rank Σ_B; NaN unless opts->full */
    size_t rank_sw;        /* rank of Σ_W^code; 0 unless opts->full */
    int degenerate;        /* Σ_B ≈ 0 (every entry ≤ 1e-8, torch.isclose to 0): nc1,
                            * nc1_textbook and vci are +inf (the reference returns inf too) */
} imp_nc1;

/* X holds n = class_off[C] rows of d floats (row-major), grouped by class: class c is rows
 * class_off[c] .. class_off[c+1]−1 (class_off[0] = 0, every class non-empty, C ≥ 1).
 * Semantics, all in double:
 *   x ← x / (‖x‖₂ + FLT_EPSILON); μ_G = mean of all rows; μ_c = class means;
 *   Σ_B = (1/C) Σ_c (μ_c−μ_G)(μ_c−μ_G)ᵀ;
 *   Σ_W = (1/C) Σ_c (1/n_c) Σ_{i∈c} (x_i−μ_c)(x_i−μ_c)ᵀ (unweighted mean of biased class
 *   covariances); Σ_W^code centres by μ_c−μ_G instead, = Σ_W + μ_G μ_Gᵀ.
 * Pseudo-inverses and ranks use torch.linalg.pinv / matrix_rank's default cutoff for a d×d
 * float32 matrix: eigenvalues with |λ| ≤ d·FLT_EPSILON·max|λ| count as zero. Σ_B⁺ comes from
 * the C×C Gram matrix of the centred class means (LAPACKE_dsyevd), whose nonzero eigenvalues
 * are those of Σ_B. Reads X only; out is filled on success. */
int imp_nc1_compute(const float *X, size_t d, size_t C, const size_t *class_off,
                    const imp_nc1_opts *opts, imp_nc1 *out, imp_err *err);

#endif
