/* ranking.h — the statistics run on a matrix: the rank table, the tested set, the pairwise
 * tests and the best row of each group (docs/statistics.md).
 *
 * Three steps, so that the table never waits on (or is lost to) pairwise work:
 *   1. imp_analyze_table: the rank table of every row — ranks per voter, mean and std of
 *      rank and value, wins — and Friedman over all rows: O(m·N log m) time, O(m·N) memory;
 *   2. (also imp_analyze_table) the tested set: the rows the pairwise tests run on, at most
 *      IMP_ANALYZE_MAX_TESTED, chosen as imp_tested_why says;
 *   3. imp_analyze_test: Friedman, Wilcoxon–Holm over exactly the tested pairs, groups and
 *      Nemenyi on the tested rows: O(n² N) time, O(n² + n N) memory for n tested rows.
 * imp_analyze_run does all three. Every step ranks the matrix's scores, where higher is
 * better whatever the value (matrix.h); none of them asks which value it ranks. */
#ifndef IMPRINT_ANALYSIS_RANKING_H
#define IMPRINT_ANALYSIS_RANKING_H

#include <stddef.h>

#include "imprint/cube.h"
#include "imprint/err.h"
#include "matrix.h"
#include "stats.h"

/* Tested set when the user names neither --top nor the competitors: the best this many. */
#define IMP_ANALYZE_DEFAULT_TOP 20
/* Never more rows than this in the pairwise tests (500 k pairs). */
#define IMP_ANALYZE_MAX_TESTED 1000

typedef struct imp_analyze_opts {
    double alpha;                     /* 0 means 0.05 */
    imp_rank_method rank_method;      /* ranks shown and drawn: AVERAGE (default) or DENSE */
    int compat_identical_significant; /* see imp_stats_wilcoxon */
    int nemenyi;                      /* also compute the Nemenyi CD and its bars */
    size_t top;                       /* > 0: test the best top rows (--top) */
    int test_all;                     /* the rows are the user's (--competitors): test them all
                                       * (up to IMP_ANALYZE_MAX_TESTED) unless top is set */
    imp_groups_kind groups;           /* cliques (default; intervals past the clique bound) or
                                       * intervals */
} imp_analyze_opts;

/* Why the tested set is what it is. */
typedef enum {
    IMP_TESTED_ALL = 0,     /* every row: no more than IMP_ANALYZE_DEFAULT_TOP */
    IMP_TESTED_NAMED,       /* every row: the user named the competitors */
    IMP_TESTED_DEFAULT_TOP, /* more rows than IMP_ANALYZE_DEFAULT_TOP: the best that many */
    IMP_TESTED_TOP,         /* the best opts.top (--top) */
    IMP_TESTED_CAPPED       /* the user's set had more than IMP_ANALYZE_MAX_TESTED rows: the
                             * best IMP_ANALYZE_MAX_TESTED of it */
} imp_tested_why;

/* The analysis of a matrix. Owned; free with imp_analysis_free.
 * Table fields index matrix rows 0..m−1; cd and the fields after it index the tested set:
 * cd's competitor i is matrix row tested[i] (with every row tested, i is the row).
 * Ranks and wins are of the scores (higher better); the means of summary, dense and
 * cd.summary are in the value's units (imp_analyze_score of the mean score: seconds,
 * not negated seconds). */
typedef struct imp_analysis {
    /* step 1: every row */
    size_t m, N;
    imp_rank_summary *summary; /* [m] average ranks (pandas), mean/std of value, wins (the
                                * best score: for seconds, the smallest time) */
    imp_rank_summary *dense;   /* [m] the same with dense ranks */
    double *rank;              /* [m] the rank shown: summary or dense mean_rank */
    size_t *order;             /* [m] rows by rank ascending (best first), ties by row */
    imp_friedman friedman;     /* over all rows; NaN/NaN when m < 3 */
    double id_F, id_p;         /* Iman–Davenport over all rows (NaN when m < 3) */
    int rank_dense;            /* rank holds dense ranks */
    imp_analyze_value value;   /* mat->value, for the reports */
    /* step 2 */
    size_t n_tested;
    size_t *tested;            /* [n_tested] matrix rows, ascending */
    imp_tested_why why;
    size_t top_asked;          /* opts.top */
    /* step 3 (tested_done = 1 once imp_analyze_test succeeded) */
    int tested_done;
    imp_cd_result cd;          /* on the tested rows; the reference's Friedman gate applied: when
                                * Friedman ran (n_tested ≥ 3) and p ≥ alpha, gated = 1, every
                                * cd.significant is cleared and cd.cliques is the single set
                                * of all tested rows, best first */
    int *holm;                 /* [cd.K] Holm decisions before the gate */
    int gated;
    double cd_id_F, cd_id_p;   /* Iman–Davenport on the tested rows (NaN when < 3) */
    int nemenyi;               /* the fields below are set */
    double nemenyi_q, nemenyi_cd;
    imp_cliques nemenyi_bars;  /* on cd.rank */
} imp_analysis;

/* Steps 1 and 2 on mat (m ≥ 2, N ≥ 2, else IMP_EINPUT). On error out is left empty. */
int imp_analyze_table(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                      imp_analysis *out, imp_err *err);
/* Step 3 on the tested set of an (from imp_analyze_table with the same mat and opts). On
 * error an keeps steps 1–2 and tested_done stays 0. */
int imp_analyze_test(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                     imp_analysis *an, imp_err *err);
/* All three steps. On error out is left empty. */
int imp_analyze_run(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                    imp_analysis *out, imp_err *err);
void imp_analysis_free(imp_analysis *an);

/* Is matrix row row among the tested ones? */
int imp_analysis_is_tested(const imp_analysis *an, size_t row);

/* The reference's highlighter: group the rows by the values of keys[0..n_keys−1] (IMP_COMP_* or,
 * as IMP_COMP__COUNT + IMP_AX_K / IMP_AX_SHOT, the k or the shot) and keep the row with the
 * best rank of an (a table of mat) in each group. *rows (caller frees) gets the kept rows in
 * rank order, one per group, *n their number. */
int imp_analyze_best_of_groups(const imp_analyze_matrix *mat, const imp_axes *axes,
                               const imp_analysis *an, const int *keys, size_t n_keys,
                               size_t **rows, size_t *n, imp_err *err);
/* Parse "gen,pre" / "k" into keys (at most max_keys) as imp_analyze_best_of_groups wants;
 * IMP_EUSAGE naming the keys there are. */
int imp_analyze_group_keys(const char *list, int *keys, size_t max_keys, size_t *n_keys,
                           imp_err *err);

#endif
