/* analyze.h — `imprint analyze` as a library: select a slice of a result cube, turn it into the
 * competitors × voters matrix (median over seeds), run the CD statistics on it and write the
 * rank table, the pairwise tests and the cliques as text, Markdown or CSV
 * (docs/statistics.md). */
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
/* The cell value a matrix is built from. */
typedef enum {
    IMP_VALUE_ACCURACY = 0, /* higher is better */
    IMP_VALUE_GEN_SECONDS,  /* seconds: lower is better */
    IMP_VALUE_INF_SECONDS,
    IMP_VALUE_F1,           /* macro-F1 over the task's classes, percent: higher is better */
    IMP_VALUE__COUNT
} imp_analyze_value;

/* A value's name ("accuracy", "gen_seconds", …, as --value takes it), the value of a name
 * (-1 if none), whether higher is better, and the cube's array of it. */
const char *imp_analyze_value_name(imp_analyze_value v);
/* The value in prose and on axes: "accuracy", "macro-F1", "GEN seconds", … */
const char *imp_analyze_value_label(imp_analyze_value v);
int imp_analyze_value_from_name(const char *name);
int imp_analyze_value_higher_better(imp_analyze_value v);
struct imp_cube;
const float *imp_analyze_values(const struct imp_cube *cube, imp_analyze_value v);

typedef struct imp_analyze_sel {
    unsigned char *keep[IMP_AX__COUNT];
    unsigned char *col;
    size_t n_col;
    imp_analyze_value value; /* ACCURACY after init */
} imp_analyze_sel;

/* The components of a strategy PRE/GEN/POST/INF/AGG, by which --where, --group-by and the
 * export split it. */
typedef enum {
    IMP_COMP_PRE = 0,
    IMP_COMP_GEN,
    IMP_COMP_POST,
    IMP_COMP_INF,
    IMP_COMP_AGG,    /* max, nn, mnn */
    IMP_COMP_METRIC, /* inner (max), cosine, euclidean, manhattan, mahalanobis */
    IMP_COMP_M,      /* neighbours: 1 for nn, M for mnn; "" for max */
    IMP_COMP_WEIGHT, /* uniform or distance for mnn; "" otherwise */
    IMP_COMP__COUNT
} imp_component;

/* "pre", "gen", …, "weight"; and the component of that name (-1 if none). */
const char *imp_analyze_component_name(int comp);
int imp_analyze_component_from_name(const char *name, size_t len);
/* Text of component comp of the strategy text strategy into buf ("" when it does not apply);
 * NULL if the strategy does not parse. */
const char *imp_analyze_component(const char *strategy, int comp, char *buf, size_t n);

int imp_analyze_sel_init(imp_analyze_sel *sel, const imp_cube_axes *axes, imp_err *err);
void imp_analyze_sel_free(imp_analyze_sel *sel);

/* Narrow sel to "KEY=V1,V2,…[,KEY2=W1,…]": a comma-separated list in which an item with '='
 * starts a new key and an item without one adds a value to the current key (so the older
 * form "AXIS=V1,V2" means the same). KEY is an axis (model, task, strategy, k, shot, seed) or
 * a strategy component (pre, gen, post, inf, agg, metric, m, weight). An axis value matches
 * by its text (shot "all"), or for k, shot and seed by integer value (shot -1 = all); a
 * component value keeps the strategies whose component has that text. Keys are ANDed, values
 * of one key ORed; repeated calls intersect. An unknown key or a value nothing has is
 * IMP_EUSAGE naming the values there are. */
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
    char *name;               /* "STR k=K shot=S", or its name after imp_analyze_names (owned) */
    int named;                /* name is a name (Qi, Ours, a user's), not the column's text */
    size_t n_voters;          /* candidate voters on which it has a value */
    int kept;                 /* 1 if it is a row of the matrix */
} imp_analyze_comp;

/* The competitors × voters matrix. A voter is a selected (model, task) pair; its value for a
 * competitor is the median (mean of the two middle values for an even count) of the accuracy
 * over the selected seeds whose cell is done; with no done seed the value is missing.
 * Building follows the reference's step 1 ("keep only the voters present for every combination"):
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
    imp_analyze_value value; /* what A holds (sel->value) */
} imp_analyze_matrix;

/* Build the matrix of the selected slice. m or N may come out 0 or 1: the caller decides
 * (imp_analyze_run needs m ≥ 2, N ≥ 2). On success the caller frees out with
 * imp_analyze_matrix_free; on error out is left empty. */
int imp_analyze_build(const imp_cube *cube, const imp_analyze_sel *sel, imp_analyze_matrix *out,
                      imp_err *err);
void imp_analyze_matrix_free(imp_analyze_matrix *mat);

/* Give the competitors matched by a name its name, in every output: the paper's (Qi,
 * Hosoda, Janson, Ours, Oracle; unless paper is 0) and the user's defs, a comma-separated
 * list of NAME=STR[@k=K][@shot=S] (later definitions win). A name matching several
 * competitors gets " k=K" and/or " shot=S" where they differ. A definition naming a strategy,
 * k or shot the cube does not have is IMP_EUSAGE. */
int imp_analyze_names(imp_analyze_matrix *mat, const imp_cube_axes *axes, const char *defs,
                      int paper, imp_err *err);

/* The paper's name of a strategy text ("Qi", "Hosoda", "Janson", "Ours", "Oracle"), or NULL;
 * *k (may be NULL) gets the k it names, 0 for every k (Ours is l2/kmeans/l2/l2/max at k = 20
 * only). The figures name their lines with it, as imp_analyze_names does the table's rows. */
const char *imp_analyze_paper_name(const char *strategy, int64_t *k);

/* What to analyse, as the command line of `imprint analyze` says it. Every field may be
 * 0/NULL. */
typedef struct imp_analyze_spec {
    const char *const *where;  /* [n_where] imp_analyze_where expressions */
    size_t n_where;
    const char *competitors;   /* imp_analyze_competitors list; bare names of defs expand */
    const char *names;         /* imp_analyze_names defs (--name) */
    int no_names;              /* do not apply the paper's names */
    const char *group_by;      /* imp_analyze_group_keys list: keep the best of each group */
    imp_analyze_value value;
} imp_analyze_spec;

/* The whole selection: select (where, competitors), build, name (the user's defs, the
 * NAME=… items of the competitors, the paper's names) and, with group_by, keep the best
 * column of each group by the table of opts (rank method) and build the matrix of those
 * columns alone, so its voters are those they all have. *n_groups (may be NULL) gets the
 * number of groups (0 without group_by) and *m_grouped the rows they were chosen from.
 * On success the caller frees out with imp_analyze_matrix_free. */
struct imp_analyze_opts;
int imp_analyze_select(const imp_cube *cube, const imp_analyze_spec *spec,
                       const struct imp_analyze_opts *opts, imp_analyze_matrix *out,
                       size_t *n_groups, size_t *m_grouped, imp_err *err);

/* The where expressions and competitors of spec as a mask: status[c] (n_cells entries, e.g.
 * a copy of cube->status, or the cube's own) becomes IMP_CELL_NA for every cell outside the
 * selection, so code that reads done cells (the figures) sees the selection alone. Errors as
 * imp_analyze_select's. */
int imp_analyze_mask(const imp_cube *cube, const imp_analyze_spec *spec, uint8_t *status,
                     imp_err *err);

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
/* The same for the n rows rows[0..n−1] of mat (e.g. imp_analysis.tested): *labels gets n
 * strings, in that order. */
int imp_analyze_labels_rows(const imp_cube_axes *axes, const imp_analyze_matrix *mat,
                            const size_t *rows, size_t n, char ***labels, char **common,
                            imp_err *err);
void imp_analyze_labels_free(char **labels, size_t m, char *common);

/* ---- Statistics ----
 * Three steps, so that the table never waits on (or is lost to) pairwise work:
 *   1. imp_analyze_table: the rank table of every row — ranks per voter, mean and std of
 *      rank and value, wins — and Friedman over all rows: O(m·N log m) time, O(m·N) memory;
 *   2. (also imp_analyze_table) the tested set: the rows the pairwise tests run on, at most
 *      IMP_ANALYZE_MAX_TESTED, chosen as imp_tested_why says;
 *   3. imp_analyze_test: Friedman, Wilcoxon–Holm over exactly the tested pairs, groups and
 *      Nemenyi on the tested rows: O(n² N) time, O(n² + n N) memory for n tested rows.
 * imp_analyze_run does all three. */

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
    int lower_is_better;              /* the values are costs (seconds): smaller ranks first */
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
 * cd's competitor i is matrix row tested[i] (with every row tested, i is the row). */
typedef struct imp_analysis {
    /* step 1: every row */
    size_t m, N;
    imp_rank_summary *summary; /* [m] average ranks (pandas), mean/std of value, wins;
                                * with lower_is_better, mean is the mean value (not negated)
                                * and wins counts the smallest values */
    imp_rank_summary *dense;   /* [m] the same with dense ranks */
    double *rank;              /* [m] the rank shown: summary or dense mean_rank */
    size_t *order;             /* [m] rows by rank ascending (best first), ties by row */
    imp_friedman friedman;     /* over all rows; NaN/NaN when m < 3 */
    double id_F, id_p;         /* Iman–Davenport over all rows (NaN when m < 3) */
    int rank_dense;            /* rank holds dense ranks */
    int lower_is_better;
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

/* The reference's highlighter: group the rows by the values of keys[0..n_keys−1] (IMP_COMP_* or,
 * as IMP_COMP__COUNT + IMP_AX_K / IMP_AX_SHOT, the k or the shot) and keep the row with the
 * best rank of an (a table of mat) in each group. *rows (caller frees) gets the kept rows in
 * rank order, one per group, *n their number. */
int imp_analyze_best_of_groups(const imp_analyze_matrix *mat, const imp_cube_axes *axes,
                               const imp_analysis *an, const int *keys, size_t n_keys,
                               size_t **rows, size_t *n, imp_err *err);
/* Parse "gen,pre" / "k" into keys (at most max_keys) as imp_analyze_best_of_groups wants;
 * IMP_EUSAGE naming the keys there are. */
int imp_analyze_group_keys(const char *list, int *keys, size_t max_keys, size_t *n_keys,
                           imp_err *err);

/* One sentence on which rows were tested and why ("the 20 best of 2,087 competitors by mean
 * rank (the default when there are more than 20; choose with --top N or --competitors)"),
 * into buf; returns buf. */
const char *imp_analyze_tested_text(const imp_analysis *an, char *buf, size_t n);

/* ---- Reports ---- */

typedef enum {
    IMP_REPORT_TEXT = 0, /* aligned tables for a terminal */
    IMP_REPORT_MD,       /* the same as GitHub Markdown */
    IMP_REPORT_CSV,      /* the rank table only, one row per competitor */
    IMP_REPORT_PAIRS_CSV,/* the pairwise table only, one row per tested pair */
    IMP_REPORT_LATEX     /* the rank table as a booktabs tabularx \linewidth wide (needs
                          * booktabs, tabularx), the best mean rank, value and wins in bold */
} imp_report_format;

typedef struct imp_report_opts {
    imp_report_format format;
    size_t max_rows;        /* text/Markdown/LaTeX table: at most this many rows (0: all) */
    const char *full_table; /* with max_rows cutting: where the full table is ("ranks.csv"),
                             * or NULL to name the options that write it */
    unsigned sections;      /* text/Markdown: IMP_REPORT_TABLE | IMP_REPORT_TESTS (0: both) */
} imp_report_opts;

#define IMP_REPORT_TABLE 1u /* the rank table and Friedman over all rows */
#define IMP_REPORT_TESTS 2u /* the tested set, its Friedman, pairs, groups, Nemenyi */

/* Write a report of an analysis of mat to out (not closed). Rows are listed best first
 * (an->order). Text and Markdown: the rank table (position, competitor, mean rank, its std
 * and standard error, mean value, its std and standard error, wins, voters), Friedman over
 * all rows, then — when step 3 ran — which rows were tested and why,
 * Friedman on them (or why it was skipped or why nothing is significant), every tested pair
 * with its Wilcoxon p, Holm threshold and decision, the groups and, when computed, the
 * Nemenyi CD. CSV columns:
 *   rank,competitor,strategy,k,shot,avg_rank,dense_rank,rank_std,rank_se,mean_accuracy,std,
 *   se,wins,voters,tested
 *   (mean_gen_seconds or mean_inf_seconds instead of mean_accuracy for those values;
 *   tested = yes/no)
 *   competitor_a,competitor_b,p,holm_threshold,significant,statistic,method,n,n_zero
 * (pairs: a ranked above b, listed in rank order of a then b; empty without step 3).
 * Standard errors are std/√voters. Returns IMP_EIO if out failed. */
int imp_analyze_report_ex(FILE *out, const imp_report_opts *ro, const imp_cube_axes *axes,
                          const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err);
/* imp_analyze_report_ex with every row and section. */
int imp_analyze_report(FILE *out, imp_report_format format, const imp_cube_axes *axes,
                       const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err);

/* Text for a Markdown table cell ('|' escaped) and for LaTeX (specials escaped, a break
 * allowed after each '/' and ':' of a strategy), written to out. */
void imp_analyze_md_text(FILE *out, const char *s);
void imp_analyze_tex_text(FILE *out, const char *s);
/* Text for HTML (& < > " escaped). */
void imp_analyze_html_text(FILE *out, const char *s);

/* ---- Export ---- */

/* The cube as long CSV (imp_cube_export_csv_opts) with the strategy split into the columns
 * pre,gen,post,inf,agg,metric,m,weight beside it; n/a cells left out when valid_only. */
int imp_analyze_export_csv(const imp_cube *cube, FILE *out, int valid_only, imp_err *err);

#endif
