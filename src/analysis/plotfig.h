/* plotfig.h — the paper's figures from a result cube: accuracy against k per GEN (Fig. 6),
 * accuracy against shot with 95 % confidence bands (Fig. 10), GEN seconds per method (box
 * plot, log scale) and NC1 against the gain of multi-proxy over single-proxy imprinting
 * (Fig. 12, Spearman's ρ), and the CD diagram of an analysis. Each is computed into an imp_fig
 * (fig.h: the numbers drawn) and then drawn by plot.h's chart, so tests can check the numbers
 * and where they land. */
#ifndef IMPRINT_ANALYSIS_PLOTFIG_H
#define IMPRINT_ANALYSIS_PLOTFIG_H

#include <stddef.h>
#include <stdio.h>

#include "analyze.h"
#include "fig.h"
#include "imprint/cube.h"
#include "imprint/err.h"
#include "nc1table.h"
#include "plot.h"

/* Fewest seeds a confidence band is drawn from: with 2, t(0.975, 1) = 12.7 makes a band
 * many times the spread of the two values, a smear that hides the lines and says nothing. */
#define IMP_FIG_MIN_BAND_SEEDS 3

/* Median, min and max over the done seeds of one (model, task, strategy, k, shot) — a
 * voter's value, as every figure and the claims take it; returns the number of done seeds
 * (0: no value). vals is scratch of n_seed doubles. */
size_t imp_fig_voter_value(const imp_cube *c, size_t mo, size_t ta, size_t st, size_t k,
                           size_t sh, double *vals, double *med, double *mn, double *mx);
/* imprint[st] = 1 for the strategies that imprint (GEN neither ls nor kls); malloc'd, the
 * caller frees; NULL when out of memory. */
int *imp_fig_imprinting(const imp_axes *a);
/* The multi-proxy gain of voter (mo, ta) at shot sh: the best voter value among imprinting
 * strategies at k > 1 (or k = all) minus the best at k = 1 (percentage points); NaN when
 * either side has no value. vals is scratch of n_seed doubles. */
double imp_fig_multi_gain(const imp_cube *cube, size_t mo, size_t ta, size_t sh,
                          const int *imprint, double *vals);

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
int imp_fig_cd(FILE *out, imp_plot_format fmt, const imp_axes *axes,
               const imp_analyze_matrix *mat, const imp_analysis *an, double *width,
               imp_err *err);

/* Spearman's rank correlation of n pairs (average ranks for ties); NaN if n < 2 or a side
 * is constant. */
double imp_spearman(const double *x, const double *y, size_t n);
/* Two-sided Student t quantile: t with P(|T_df| > t) = p (0 < p < 1, df >= 1). */
double imp_t_quantile(double p, double df);

#endif
