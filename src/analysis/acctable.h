/* acctable.h — the paper's results table: the value of a few competitors per (model, task),
 * mean ± std over the done seeds, the best of each row in bold; as HTML, Markdown, CSV and a
 * LaTeX table that never exceeds \linewidth. */
#ifndef IMPRINT_ANALYSIS_ACCTABLE_H
#define IMPRINT_ANALYSIS_ACCTABLE_H

#include <stddef.h>
#include <stdio.h>

#include "analyze.h"
#include "imprint/cube.h"
#include "imprint/err.h"

/* Rows: every (model, task) where some column has a done cell; columns: competitors.
 * mean/sd/n are [n_row · n_col] row-major: the mean and sample std (ddof 1; NaN for one
 * seed) over the n done seeds (n = 0: mean NaN). best[r] is the best mean of row r — the
 * highest, the lowest for a time: the one of the highest score (matrix.h) — as printed
 * ("%.1f"): every column printing it is bold. Owned: imp_acc_table_free. */
typedef struct imp_acc_table {
    size_t n_row, n_col;
    char **col_name;           /* [n_col] the competitors' names (owned copies) */
    size_t *row_model, *row_task;
    double *mean, *sd, *best;
    size_t *n;
    imp_analyze_value value;   /* what the cells hold (accuracy) */
} imp_acc_table;

/* Build the table of the matrix rows rows[0..n_cols−1] (their (strategy, k, shot) columns of
 * cube) over the cube's models and tasks, from the cells whose status is done. */
int imp_acc_table_build(const imp_cube *cube, const imp_analyze_matrix *mat, const size_t *rows,
                        size_t n_cols, imp_acc_table *t, imp_err *err);
void imp_acc_table_free(imp_acc_table *t);

/* Write t as format (IMP_REPORT_MD, IMP_REPORT_CSV or IMP_REPORT_LATEX; anything else is
 * HTML: one <table id="acc-table">). Model and task names come from axes. CSV columns:
 * model,task,competitor,mean,std,seeds,best (one row per cell). LaTeX needs booktabs and
 * graphicx: a tabular scaled down to \linewidth when wider, never up. IMP_EIO if out failed. */
int imp_acc_table_write(FILE *out, imp_report_format format, const imp_acc_table *t,
                        const imp_axes *axes, imp_err *err);

#endif
