/* analyze.h — `imprint analyze` as a library: select a slice of a result cube, turn it into the
 * competitors × voters matrix (median over seeds), run the CD statistics on it and write the
 * rank table, the pairwise tests and the cliques as text, Markdown or CSV
 * (spec/reference-semantics.md §5.1–5.2, spec/kmeans-and-stats.md E). */
#ifndef IMPRINT_ANALYSIS_ANALYZE_H
#define IMPRINT_ANALYSIS_ANALYZE_H

#include <stddef.h>
#include <stdio.h>

#include "imprint/cube.h"
#include "imprint/err.h"
#include "stats.h"

/* ---- Selection ---- */

/* Which part of a cube to analyse. keep[ax][i] != 0 keeps value i of axis ax; col[c] != 0 keeps
 * competitor column c = (strategy·n_k + k)·n_shot + shot. Owned by the struct: create with
 * imp_analyze_sel_init (everything kept), free with imp_analyze_sel_free. */
typedef struct imp_analyze_sel {
    unsigned char *keep[IMP_AX__COUNT];
    unsigned char *col;
    size_t n_col;
} imp_analyze_sel;

int imp_analyze_sel_init(imp_analyze_sel *sel, const imp_cube_axes *axes, imp_err *err);
void imp_analyze_sel_free(imp_analyze_sel *sel);

/* Narrow sel to "AXIS=V1,V2,…" (AXIS one of model, task, strategy, k, shot, seed). A value
 * matches an axis value by its text (shot "all"), or for k, shot and seed by integer value
 * (shot -1 = all). Repeated calls intersect. An unknown axis or a value not on the axis is
 * IMP_EUSAGE naming the values the axis has. */
int imp_analyze_where(imp_analyze_sel *sel, const imp_cube_axes *axes, const char *expr,
                      imp_err *err);

/* Narrow the competitor columns to those matched by a comma-separated list of items
 * "STR[@k=K][@shot=S]" (' ' may replace '@', so the names printed by analyze work too). STR
 * is a strategy of the cube, as written there, or one of the paper's names: Qi, Hosoda,
 * Janson, Ours (= l2/kmeans/l2/l2/max k=20), Oracle. A missing k or shot matches every value.
 * An item naming a strategy, k or shot the cube does not have is IMP_EUSAGE. Repeated calls
 * intersect (join lists with ',' for a union). */
int imp_analyze_competitors(imp_analyze_sel *sel, const imp_cube_axes *axes, const char *list,
                            imp_err *err);

/* ---- The matrix ---- */

/* A competitor: a (strategy, k, shot) column of the cube. */
typedef struct imp_analyze_comp {
    size_t strategy, k, shot; /* axis indices */
    char *name;               /* "STR k=K shot=S" (owned) */
    size_t n_voters;          /* candidate voters on which it has a value */
    int kept;                 /* 1 if it is a row of the matrix */
} imp_analyze_comp;

/* The competitors × voters matrix. A voter is a selected (model, task) pair; its value for a
 * competitor is the median (mean of the two middle values for an even count) of the accuracy
 * over the selected seeds whose cell is done; with no done seed the value is missing.
 * Building follows §5.2 step 1 ("keep only the voters present for every combination"):
 *   1. candidates: the selected columns with at least one selected cell that is not n/a;
 *      candidate voters: the selected (model, task) pairs with a value for some candidate;
 *   2. candidates with no value at all are not kept (kept = 0, n_voters = 0);
 *   3. the voters are the candidate voters on which every kept competitor has a value.
 * Rows follow cube order (strategy, k, shot), voters cube order (model, task).
 * Everything is owned by the struct; free with imp_analyze_matrix_free. */
typedef struct imp_analyze_matrix {
    size_t m, N;           /* rows (kept competitors) and voters */
    double *A;             /* [m·N] row-major: A[i·N + v] */
    size_t *row;           /* [m] index into comp of each row */
    size_t *voter_model;   /* [N] model index of each voter */
    size_t *voter_task;    /* [N] task index of each voter */
    imp_analyze_comp *comp; /* [n_comp] every candidate, cube order */
    size_t n_comp;
    size_t n_cand_voters;  /* voters with a value for at least one candidate */
    size_t n_empty_voters; /* selected (model, task) pairs without any value */
    size_t n_seeds;        /* selected seeds */
    size_t n_partial;      /* matrix entries whose median used fewer than n_seeds seeds */
} imp_analyze_matrix;

/* Build the matrix of the selected slice. m or N may come out 0 or 1: the caller decides
 * (imp_analyze_run needs m ≥ 2, N ≥ 2). On success the caller frees out with
 * imp_analyze_matrix_free; on error out is left empty. */
int imp_analyze_build(const imp_cube *cube, const imp_analyze_sel *sel, imp_analyze_matrix *out,
                      imp_err *err);
void imp_analyze_matrix_free(imp_analyze_matrix *mat);

/* Keep only the rows rows[0..n-1] (indices of current rows, any order, no repeats), in that
 * order; comp[].kept of the others becomes 0. The voters stay. */
int imp_analyze_keep_rows(imp_analyze_matrix *mat, const size_t *rows, size_t n, imp_err *err);

/* Short labels for a diagram: the row names without the parts every row shares ("shot=all"
 * when every row has shot all, "k=20" when every row has k = 20) and without k where the
 * strategy's GEN fixes it (mean, ls: k = 1; all: every row). *labels gets m strings and
 * *common the dropped shared parts ("k=20, shot=all", or ""). Caller frees both with
 * imp_analyze_labels_free. */
int imp_analyze_labels(const imp_cube_axes *axes, const imp_analyze_matrix *mat, char ***labels,
                       char **common, imp_err *err);
void imp_analyze_labels_free(char **labels, size_t m, char *common);

/* ---- Statistics ---- */

typedef struct imp_analyze_opts {
    double alpha;                     /* 0 means 0.05 */
    imp_rank_method rank_method;      /* ranks shown and drawn: AVERAGE (default) or DENSE */
    int compat_identical_significant; /* see imp_stats_wilcoxon */
    int nemenyi;                      /* also compute the Nemenyi CD and its bars */
} imp_analyze_opts;

/* The statistics of a matrix. cd is imp_cd_run's result with one change, the gate of
 * §5.2 step 2: when Friedman ran (m ≥ 3) and p ≥ alpha, gated = 1, every cd.significant is
 * cleared (raw Holm decisions stay in holm) and cd.cliques is the single set of all
 * competitors, best first. Owned; free with imp_analysis_free. */
typedef struct imp_analysis {
    imp_cd_result cd;
    imp_rank_summary *dense; /* [m] summary with dense ranks (mean_rank dense, rest as cd) */
    int *holm;               /* [K] Holm decisions before the gate */
    int gated;
    int rank_dense;          /* cd.rank holds dense ranks */
    double id_F, id_p;       /* Iman–Davenport F and p (NaN when m == 2) */
    int nemenyi;             /* the fields below are set */
    double nemenyi_q, nemenyi_cd;
    imp_cliques nemenyi_bars; /* on cd.rank */
} imp_analysis;

/* Run the statistics on mat (m ≥ 2, N ≥ 2, else IMP_EINPUT). On error out is left empty. */
int imp_analyze_run(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                    imp_analysis *out, imp_err *err);
void imp_analysis_free(imp_analysis *an);

/* ---- Reports ---- */

typedef enum {
    IMP_REPORT_TEXT = 0, /* aligned tables for a terminal */
    IMP_REPORT_MD,       /* the same as GitHub Markdown */
    IMP_REPORT_CSV,      /* the rank table only, one row per competitor */
    IMP_REPORT_PAIRS_CSV /* the pairwise table only, one row per pair */
} imp_report_format;

/* Write the report of an analysis of mat to out (not closed). Rows are listed best first
 * (cd.order). Text and Markdown: the rank table (position, competitor, mean rank, mean
 * accuracy, std, wins, voters), Friedman (or why it was skipped or why nothing is
 * significant), every pair with its Wilcoxon p, Holm threshold and decision, the cliques and,
 * when computed, the Nemenyi CD. CSV columns:
 *   rank,competitor,strategy,k,shot,avg_rank,dense_rank,mean_accuracy,std,wins,voters
 *   competitor_a,competitor_b,p,holm_threshold,significant,statistic,method,n,n_zero
 * (pairs: a ranked above b, listed in rank order of a then b). Returns IMP_EIO if out failed. */
int imp_analyze_report(FILE *out, imp_report_format format, const imp_cube_axes *axes,
                       const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err);

#endif
