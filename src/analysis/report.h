/* report.h — an analysis written out: the rank table, Friedman, the tested set, the pairs,
 * the groups and Nemenyi as text or Markdown; the rank table as CSV or LaTeX; the pairs as
 * CSV; and the escapes of Markdown, LaTeX and HTML text (docs/statistics.md). */
#ifndef IMPRINT_ANALYSIS_REPORT_H
#define IMPRINT_ANALYSIS_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "imprint/cube.h"
#include "imprint/err.h"
#include "matrix.h"
#include "ranking.h"

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
int imp_analyze_report_ex(FILE *out, const imp_report_opts *ro, const imp_axes *axes,
                          const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err);

/* One sentence on which rows were tested and why ("the 20 best of 2,087 competitors by mean
 * rank (the default when there are more than 20; choose with --top N or --competitors)"),
 * into buf; returns buf. */
const char *imp_analyze_tested_text(const imp_analysis *an, char *buf, size_t n);

/* Text for a Markdown table cell ('|' escaped) and for LaTeX (specials escaped, a break
 * allowed after each '/' and ':' of a strategy), written to out. */
void imp_analyze_md_text(FILE *out, const char *s);
void imp_analyze_tex_text(FILE *out, const char *s);
/* Text for HTML (& < > " escaped). */
void imp_analyze_html_text(FILE *out, const char *s);

#endif
