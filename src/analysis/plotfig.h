/* plotfig.h — the paper's figures from a result cube: accuracy against k per GEN (Fig. 6),
 * accuracy against shot with 95 % confidence bands (Fig. 10), GEN seconds per method (box
 * plot, log scale) and NC1 against the gain of multi-proxy over single-proxy imprinting
 * (Fig. 12, Spearman's ρ). Each is computed into an imp_fig (the numbers drawn) and then drawn
 * by plot.h's chart, so tests can check the numbers and where they land. */
#ifndef IMPRINT_ANALYSIS_PLOTFIG_H
#define IMPRINT_ANALYSIS_PLOTFIG_H

#include <stddef.h>
#include <stdio.h>

#include "analyze.h"
#include "imprint/cube.h"
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

/* Fewest seeds a confidence band is drawn from: with 2, t(0.975, 1) = 12.7 makes a band
 * many times the spread of the two values, a smear that hides the lines and says nothing. */
#define IMP_FIG_MIN_BAND_SEEDS 3

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

/* Median, min and max over the done seeds of one (model, task, strategy, k, shot) — a
 * voter's value, as every figure and the claims take it; returns the number of done seeds
 * (0: no value). vals is scratch of n_seed doubles. */
size_t imp_fig_voter_value(const imp_cube *c, size_t mo, size_t ta, size_t st, size_t k,
                           size_t sh, double *vals, double *med, double *mn, double *mx);
/* imprint[st] = 1 for the strategies that imprint (GEN neither ls nor kls); malloc'd, the
 * caller frees; NULL when out of memory. */
int *imp_fig_imprinting(const imp_cube_axes *a);
/* The multi-proxy gain of voter (mo, ta) at shot sh: the best voter value among imprinting
 * strategies at k > 1 (or k = all) minus the best at k = 1 (percentage points); NaN when
 * either side has no value. vals is scratch of n_seed doubles. */
double imp_fig_multi_gain(const imp_cube *cube, size_t mo, size_t ta, size_t sh,
                          const int *imprint, double *vals);

/* A series drawing exactly the points of an earlier one hides it (k-means at k = 1 is the
 * class mean: Qi's line lies under it): its legend name becomes "LATER = EARLIER", so the
 * reader knows both are there. */
void imp_fig_mark_ties(imp_fig *f);

/* The shot the k figure, the NC1 figure and the claims use: among the shots with a done cell
 * (every shot when none has one), "all" (-1) if there, else the largest. */
size_t imp_fig_main_shot(const imp_cube *cube);

/* Accuracy against k, one line per strategy (grouped by GEN), at shot imp_fig_main_shot, named by the paper's
 * name where it has one for every k ("Qi"; "l2/kmeans/l2/l2/max (Ours at k=20)"). Categories: the k
 * values ascending, -1 ("all") last. For a (strategy, k) and a voter (model, task) with at
 * least one done seed: v = median over the done seeds, and the seed spread min..max. The
 * point is the mean over those voters of v, the band the means of the minima and maxima.
 * Strategies without any done cell are left out. IMP_ENOTFOUND (with the reason in err) when
 * the cube has one k or no strategy with values at two k. */
int imp_fig_acc_vs_k(const imp_cube *cube, imp_fig *out, imp_err *err);

/* Accuracy against shot, one line per (strategy, k) with values at two shots or more, named
 * "Ours", "Qi", … where the paper's name covers that (strategy, k), else "STRATEGY k=K".
 * Categories: the shots ascending, "all" last. Per seed, a = mean over the voters with that
 * seed done; the point is the mean of a over the seeds, the band its 95 % confidence
 * interval, mean ± t(0.975, n−1) · sd / √n over the n seeds — only where n ≥
 * IMP_FIG_MIN_BAND_SEEDS; with fewer, no band, no_band = 1 and the title says why.
 * IMP_ENOTFOUND when the cube has one shot or no line has two points. */
int imp_fig_acc_vs_shot(const imp_cube *cube, imp_fig *out, imp_err *err);

/* GEN seconds per method: one box per (GEN, k) ("kmeans k=20"; GENs whose k is fixed —
 * mean, ls, all — by the GEN alone), over the done cells with gen_seconds > 0, one value per
 * distinct computation (model, task, NORMpre, GEN, k, shot, seed — strategies that share
 * one GEN share its time). Box: quartiles (linear interpolation), median, whiskers at the
 * minimum and maximum. Log y axis. IMP_ENOTFOUND if no cell has a time. */
int imp_fig_gen_seconds(const imp_cube *cube, imp_fig *out, imp_err *err);

/* An NC1 table as written by `imprint nc1 --all --csv`: one row per (model, dataset);
 * datasets of a concatenation joined by ','. Owned: imp_nc1_table_free. */
typedef struct imp_nc1_table {
    size_t n;
    char **model, **dataset;
    double *nc1;
} imp_nc1_table;

/* Read a CSV with a header naming at least the columns model, dataset and nc1 (any order,
 * other columns ignored, RFC 4180 quotes). Errors name the file, line and column. */
int imp_nc1_table_read(const char *path, imp_nc1_table *t, imp_err *err);
void imp_nc1_table_free(imp_nc1_table *t);

/* NC1 against the gain of multi-proxy over single-proxy imprinting, one point per voter
 * (model, task) at shot imp_fig_main_shot, one series per model. gain = best voter value
 * (median over done seeds) among imprinting competitors (GEN not ls/kls) with k > 1 (k = all
 * included: every training sample a proxy) minus the best among those with k = 1 (percentage points). A voter's NC1 is the table's row for
 * (model, task name), else (model, the task's dataset(s) joined by ',') from the job stored in
 * the cube. Log x axis. *rho gets Spearman's ρ over the points (NaN for fewer than 3), also
 * in f->note. IMP_ENOTFOUND if no voter has both a gain and an NC1. */
int imp_fig_nc1_gain(const imp_cube *cube, const imp_nc1_table *t, imp_fig *out, double *rho,
                     imp_err *err);

/* The CD diagram of an analysis's tested set (what `imprint analyze --svg` and the report
 * draw; step 3 must have run): labels without the parts every competitor shares, which go
 * into the title with the share tested ("Average rank (20 best of 96; shot=all)"), the
 * Nemenyi CD and bars when computed, else the Wilcoxon–Holm groups.
 * *width (may be NULL) receives the figure's width in pt. */
int imp_fig_cd(FILE *out, imp_plot_format fmt, const imp_cube_axes *axes,
               const imp_analyze_matrix *mat, const imp_analysis *an, double *width,
               imp_err *err);

/* Spearman's rank correlation of n pairs (average ranks for ties); NaN if n < 2 or a side
 * is constant. */
double imp_spearman(const double *x, const double *y, size_t n);
/* Two-sided Student t quantile: t with P(|T_df| > t) = p (0 < p < 1, df >= 1). */
double imp_t_quantile(double p, double df);

#endif
