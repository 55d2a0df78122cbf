/* fig.h — a computed figure: the numbers drawn (series with bands or whiskers, categories),
 * kept apart from drawing so tests can check the numbers and where they land; drawn by
 * plot.h's chart. The figures themselves are computed in plotfig.c. */
#ifndef IMPRINT_ANALYSIS_FIG_H
#define IMPRINT_ANALYSIS_FIG_H

#include <stddef.h>
#include <stdio.h>

#include "imprint/err.h"
#include "plot.h"

/* One series of a figure; arrays of n values, NaN where there is nothing to draw. lo/hi and
 * wlo/whi may be NULL. Owned by the figure. */
typedef struct imp_fig_series {
    char *name;
    int group;  /* the series' group for imp_fig_keep_best (acc-k: its GEN), or -1 */
    size_t n;
    double *x, *y, *lo, *hi, *wlo, *whi;
} imp_fig_series;

/* A computed figure. xcat (n_xcat strings) names the categories of a categorical x axis.
 * Everything is owned: imp_fig_free. */
typedef struct imp_fig {
    char title[256], xlabel[128], ylabel[128], note[128];
    char group_what[16]; /* what the series' groups are ("GEN"), "" without groups */
    imp_series_kind kind;
    int xlog, ylog, ylo_zero;
    size_t n_xcat;
    char **xcat;
    size_t n_series;
    imp_fig_series *series;
    double width; /* pt; 0: IMP_CHART_WIDTH */
    int no_band; /* acc-shot: some point had fewer than IMP_FIG_MIN_BAND_SEEDS seeds, so it
                  * has no band (the title says so) */
} imp_fig;

void imp_fig_free(imp_fig *f);
/* Draw f with imp_chart_write; L (may be NULL) receives the layout. */
int imp_fig_write(FILE *out, imp_plot_format fmt, const imp_fig *f, imp_chart_layout *L,
                  imp_err *err);

/* Draw figs[0..n−1] (one per facet value, aligned with imp_fig_align) as the panels of one
 * figure width pt wide, titled titles[i], with shared axes and one legend
 * (imp_chart_grid_write). */
int imp_fig_write_panels(FILE *out, imp_plot_format fmt, const imp_fig *figs,
                         const char *const *titles, size_t n, double width, imp_chart_grid *G,
                         imp_err *err);
/* Make f's series and categories those of like, in like's order (matched by name and
 * category text): a series like has and f lacks becomes empty, one f has and like lacks is
 * dropped — so a facet's panel shows the figure's lines in the figure's colours. */
int imp_fig_align(imp_fig *f, const imp_fig *like, imp_err *err);

/* Keep at most n series of f: those with the highest finite point (ties: cube order), in their
 * order; when some are dropped, f->note says "the n best of M by their highest point". With
 * groups (series.group >= 0) and more than n series, each group first keeps only its best
 * series (acc-k: one line per GEN, as the paper's Fig. 6), and the note says so. */
void imp_fig_keep_best(imp_fig *f, size_t n);

/* A series drawing exactly the points of an earlier one hides it (k-means at k = 1 is the
 * class mean: Qi's line lies under it): its legend name becomes "LATER = EARLIER", so the
 * reader knows both are there. */
void imp_fig_mark_ties(imp_fig *f);

#endif
