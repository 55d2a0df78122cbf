/* cmd_report_run.h — what the parts of `imprint report` share: its options, the state of
 * one run (ctx), the page being assembled, writing one file of the run (cmd_report_run.c),
 * and the functions each part gives the others. cmd_report.c parses and runs (tables, then
 * the figures, then the page); cmd_report_figs.c draws the figure list; cmd_report_page.c
 * writes index.html. Each includes this header and none includes another part, so the parts
 * call one another only downward (cmd_report.c -> figs, page -> run). */
#ifndef IMPRINT_TOOL_CMD_REPORT_RUN_H
#define IMPRINT_TOOL_CMD_REPORT_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "acctable.h"
#include "analyze.h"
#include "claims.h"
#include "imprint/err.h"
#include "plotfig.h"

#define HTML_ROWS 30     /* rank rows on the page (all in ranks.csv/.md/.tex) */
#define HTML_PAIRS 30    /* pairwise rows on the page (all in pairs.csv) */
#define HTML_FAILS 50    /* failures listed on the page */
#define MAX_LINES IMP_CHART_COLORS /* lines in the accuracy figures (the best, by their highest
                                   * point): one colour each */
#define ACC_COLS 6       /* results-table columns when the selection names fewer than 2 */
#define MAX_FIGS 8
#define WIDTH_ONE 240.0  /* pt: one column of a two-column paper (3.33 in) */
#define WIDTH_TWO 504.0  /* pt: the full text width of a two-column paper (7 in) */

typedef enum { FACET_NONE = 0, FACET_MODEL, FACET_DATASET, FACET_TASK } facet_kind;

typedef struct opts {
    const char *cube, *dir, *nc1;
    const char *where[64];
    int n_where;
    char *competitors, *names;
    int no_journal, no_names;
    facet_kind facet;
    double width; /* pt; 0: the chart default */
    imp_analyze_value value; /* a higher-is-better value: accuracy or F1 */
    imp_analyze_opts ao;
} opts;

/* The facet values: value g keeps the models (FACET_MODEL) or tasks (else) with
 * member[g][i] set; a dataset groups the tasks whose datasets (joined by ',') are the same. */
typedef struct facets {
    int axis; /* IMP_AX_MODEL or IMP_AX_TASK */
    size_t n;
    char *label[IMP_CHART_MAX_PANELS];
    unsigned char *member[IMP_CHART_MAX_PANELS];
} facets;

typedef struct ctx {
    const opts *o;
    imp_cube *cube;          /* its status masked to the selection (imp_analyze_mask) */
    uint8_t *status0;        /* the status before the mask: the job's own counts */
    imp_analyze_matrix mat;
    imp_analysis an;
    int analysed;
    char why_not[512];       /* why there is no rank analysis */
    imp_claim claims[IMP_CLAIM__COUNT];
    imp_acc_table acc;
    int has_acc;
    const imp_nc1_table *nt; /* NULL without --nc1 */
    const facets *fa;        /* NULL without --facet */
} ctx;

/* The figures of the page, in order, and those not drawn with why. */
typedef struct page {
    const char *fig_base[MAX_FIGS];
    char fig_caption[MAX_FIGS][768];
    double fig_w[MAX_FIGS];
    size_t n_fig;
    char skipped[MAX_FIGS][600];
    size_t n_skipped;
} page;

/* A writer of one file of DIR: fn writes f; arg is fn's. */
typedef int (*imp__report_writer)(FILE *f, const ctx *c, const void *arg, imp_err *err);
/* Write DIR/name atomically through fn; an error names the path. */
int imp__report_write_file(const ctx *c, const char *name, imp__report_writer fn,
                           const void *arg, imp_err *err);

/* The facet values with a selected cell that is not n/a, in cube order (cmd_report_figs.c);
 * free with imp__report_facets_free. */
int imp__report_facets_build(const imp_cube *cube, facet_kind kind, facets *fa, imp_err *err);
void imp__report_facets_free(facets *fa);

/* Draw the figure list into DIR and onto P: the CD diagram (when analysed), accuracy
 * against k and shot, GEN seconds, NC1 against gain (with --nc1); a figure the cube cannot
 * have is listed in P as not drawn, with the reason (cmd_report_figs.c). */
int imp__report_figures(ctx *c, page *P, imp_err *err);

/* index.html of the run, its figures P (cmd_report_page.c): an imp__report_writer. */
int imp__report_page(FILE *f, const ctx *c, const void *arg, imp_err *err);

#endif
