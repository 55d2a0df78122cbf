/* matrix.h — the competitors × voters matrix of a selection, as scores where higher is
 * always better; the names of its rows and their short labels (docs/statistics.md). */
#ifndef IMPRINT_ANALYSIS_MATRIX_H
#define IMPRINT_ANALYSIS_MATRIX_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/cube.h"
#include "imprint/err.h"
#include "selection.h"

/* A competitor: a (strategy, k, shot) column of the cube. */
typedef struct imp_analyze_comp {
    size_t strategy, k, shot; /* axis indices */
    char *name;               /* "STR k=K shot=S", or its name after imp_analyze_names (owned) */
    int named;                /* name is a name (Qi, Ours, a user's), not the column's text */
    size_t n_voters;          /* candidate voters on which it has a value */
    int kept;                 /* 1 if it is a row of the matrix */
} imp_analyze_comp;

/* The competitors × voters matrix. A voter is a selected (model, task) pair; its value for a
 * competitor is the median (mean of the two middle values for an even count) of the value
 * over the selected seeds whose cell is done; with no done seed the value is missing.
 * Building follows the reference's step 1 ("keep only the voters present for every combination"):
 *   1. candidates: the selected columns with at least one selected cell that is not n/a;
 *      candidate voters: the selected (model, task) pairs with a value for some candidate;
 *   2. candidates with no value at all are not kept (kept = 0, n_voters = 0);
 *   3. the voters are the candidate voters on which every kept competitor has a value.
 * Rows follow cube order (strategy, k, shot), voters cube order (model, task).
 *
 * A holds scores, not values: a value's score is itself when a higher value is better
 * (accuracy, F1) and its negation when a lower one is (seconds), sign = +1 or −1. So a higher
 * score is better for every value, and ranks, wins, tests and best-of-groups never ask which
 * value they rank. imp_analyze_build sets sign from the value table and nothing else decides
 * it; after that, sign only turns a mean of scores back into the value's units where it is
 * printed (imp_analyze_score, its own inverse). Negation is exact, so every rank and test is
 * bit for bit what a negated copy of the values would give. A matrix zeroed by hand has
 * sign 0, which reads as +1.
 *
 * Everything is owned by the struct; free with imp_analyze_matrix_free. */
typedef struct imp_analyze_matrix {
    size_t m, N;           /* rows (kept competitors) and voters */
    double *A;             /* [m·N] row-major: A[i·N + v], scores (see above) */
    int sign;              /* −1: lower values are better and A holds their negation */
    size_t *row;           /* [m] index into comp of each row */
    size_t *voter_model;   /* [N] model index of each voter */
    size_t *voter_task;    /* [N] task index of each voter */
    imp_analyze_comp *comp; /* [n_comp] every candidate, cube order */
    size_t n_comp;
    size_t n_cand_voters;  /* voters with a value for at least one candidate */
    size_t n_empty_voters; /* selected (model, task) pairs without any value */
    size_t n_seeds;        /* selected seeds */
    size_t n_partial;      /* matrix entries whose median used fewer than n_seeds seeds */
    imp_analyze_value value; /* what A scores (sel->value) */
} imp_analyze_matrix;

/* Build the matrix of the selected slice. m or N may come out 0 or 1: the caller decides
 * (imp_analyze_run needs m ≥ 2, N ≥ 2). On success the caller frees out with
 * imp_analyze_matrix_free; on error out is left empty. */
int imp_analyze_build(const imp_cube *cube, const imp_analyze_sel *sel, imp_analyze_matrix *out,
                      imp_err *err);
void imp_analyze_matrix_free(imp_analyze_matrix *mat);

/* The score of a value of mat, and the value of a score: x, or −x when mat->sign < 0. */
static inline double imp_analyze_score(const imp_analyze_matrix *mat, double x)
{
    return mat->sign < 0 ? -x : x;
}

/* Keep only the rows rows[0..n-1] (indices of current rows, any order, no repeats), in that
 * order; comp[].kept of the others becomes 0. The voters stay. */
int imp_analyze_keep_rows(imp_analyze_matrix *mat, const size_t *rows, size_t n, imp_err *err);

/* Give the competitors matched by a name its name, in every output: the paper's (Qi,
 * Hosoda, Janson, Ours, Oracle; unless paper is 0) and the user's defs, a comma-separated
 * list of NAME=STR[@k=K][@shot=S] (later definitions win). A name matching several
 * competitors gets " k=K" and/or " shot=S" where they differ. A definition naming a strategy,
 * k or shot the cube does not have is IMP_EUSAGE. */
int imp_analyze_names(imp_analyze_matrix *mat, const imp_axes *axes, const char *defs,
                      int paper, imp_err *err);

/* Short labels for a diagram: the row names without the parts every row shares ("shot=all"
 * when every row has shot all, "k=20" when every row has k = 20) and without k where the
 * strategy's GEN fixes it (mean, ls: k = 1; all: every row). *labels gets m strings and
 * *common the dropped shared parts ("k=20, shot=all", or ""). Caller frees both with
 * imp_analyze_labels_free. */
int imp_analyze_labels(const imp_axes *axes, const imp_analyze_matrix *mat, char ***labels,
                       char **common, imp_err *err);
/* The same for the n rows rows[0..n−1] of mat (e.g. imp_analysis.tested): *labels gets n
 * strings, in that order. */
int imp_analyze_labels_rows(const imp_axes *axes, const imp_analyze_matrix *mat,
                            const size_t *rows, size_t n, char ***labels, char **common,
                            imp_err *err);
void imp_analyze_labels_free(char **labels, size_t m, char *common);

#endif
