/* claims.h — the paper's four claims checked on a result cube: each with this run's numbers
 * (a gain and its spread over the voters, a rank, Spearman's ρ) and whether it holds here.
 * Computed from the done cells alone, so the report's claims section is never hand-written. */
#ifndef IMPRINT_ANALYSIS_CLAIMS_H
#define IMPRINT_ANALYSIS_CLAIMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "imprint/cube.h"
#include "imprint/err.h"
#include "plotfig.h"

#define IMP_CLAIM_ALPHA 0.05 /* the NC1 trend's significance level */

typedef enum {
    IMP_CLAIM_MULTI = 0, /* multi-proxy GEN beats the single mean */
    IMP_CLAIM_L2,        /* L2 normalisation matters */
    IMP_CLAIM_OURS,      /* Ours ranks first among the named imprinting strategies */
    IMP_CLAIM_NC1,       /* the multi-proxy gain grows with NC1 (weaker collapse) */
    IMP_CLAIM__COUNT
} imp_claim_id;

/* One claim as this cube shows it. A voter is a (model, task) pair; its value for a
 * competitor the median accuracy over the done seeds (imp_fig_voter_value), at shot
 * imp_fig_main_shot. Gains are in percentage points:
 *   MULTI  gain_v = imp_fig_multi_gain: the best imprinting competitor with k > 1 minus the
 *          best with k = 1 (at k = 1 every GEN but ls/kls is the single mean or one medoid);
 *          holds when the mean gain > 0 and it is positive on more than half the voters;
 *   L2     at equal GEN and k, the best imprinting strategy with L2 at PRE, POST and INF minus
 *          the best with L2 at none of them; gain_v = the mean of those differences over the
 *          (GEN, k) pairs both sides have; holds as MULTI;
 *   OURS   the named strategies the cube has (Qi, Hosoda, Janson, Ours, Oracle; Ours at k = 20
 *          or, if the cube lacks it, the nearest k > 1 it has — ours_k) ranked by mean rank over
 *          their common voters (imp_analyze_table); holds when Ours's mean rank is the lowest
 *          among the imprinting ones (Oracle is least squares, a reference, not a rival);
 *   NC1    Spearman's ρ between the voters' NC1 (an NC1 table) and their MULTI gain (the
 *          points of imp_fig_nc1_gain); holds when ρ > 0 and its two-sided p (t with n − 2
 *          degrees of freedom, as scipy.stats.spearmanr) is below IMP_CLAIM_ALPHA — a ρ of 0.08
 *          over 16 voters is no evidence of a trend.
 * testable = 0 when the cube lacks what the claim needs (why says what). */
typedef struct imp_claim {
    imp_claim_id id;
    int testable, holds;
    double gain, sd;      /* MULTI, L2: mean and sample std (ddof 1) of gain_v over voters */
    size_t n, n_pos;      /* voters (NC1: points), and those with gain_v > 0 */
    double rho, p;        /* NC1: Spearman's ρ and its two-sided p (t approximation) */
    double ours_rank;     /* OURS: Ours's mean rank, */
    size_t ours_pos, n_ranked; /* its place among all n_ranked named strategies (1 = first), */
    size_t ours_pos_imprint;   /* and among the imprinting ones */
    int64_t ours_k;       /* the k taken for Ours */
    char best_other[64];  /* OURS: the best other imprinting named strategy */
    double best_other_rank;
    char why[256];        /* not testable: why */
} imp_claim;

/* The claims of cube (its done cells; mask others first, imp_analyze_mask, to claim on a
 * selection) into out[IMP_CLAIM__COUNT], in imp_claim_id order. nc1 may be NULL (the NC1
 * claim is then not testable). */
int imp_claims_compute(const imp_cube *cube, const imp_nc1_table *nc1,
                       imp_claim out[IMP_CLAIM__COUNT], imp_err *err);

/* The claim as the paper states it ("Multi-proxy GEN beats the single mean"). */
const char *imp_claim_text(imp_claim_id id);
/* This run's evidence as one plain UTF-8 sentence into buf ("+3.21 pp (sd 1.10) over 16
 * voters, positive on 15"); returns buf. */
const char *imp_claim_evidence(const imp_claim *c, char *buf, size_t n);
/* "holds", "does not hold" or "not testable here". */
const char *imp_claim_verdict(const imp_claim *c);

#endif
