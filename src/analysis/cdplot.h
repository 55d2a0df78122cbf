/* cdplot.h — critical-difference diagram (the geometry of Orange's graph_ranks with
 * reverse=True, as drawn by the reference's cd_diag.py), laid out into a
 * struct and drawn with cairo as SVG, PDF or PNG (plot.h). */
#ifndef IMPRINT_ANALYSIS_CDPLOT_H
#define IMPRINT_ANALYSIS_CDPLOT_H

#include <stddef.h>
#include <stdio.h>

#include "imprint/err.h"
#include "plot.h"
#include "stats.h"

typedef struct imp_cdplot_opts {
    const char *title; /* NULL means "Average rank"; "" draws no title */
    double cd;         /* > 0: draw a scale segment of this length labelled "CD" */
} imp_cdplot_opts;

/* Points a bar reaches beyond the positions of its best and worst member. */
#define IMP_CDPLOT_BAR_SIDE 3.0
#define IMP_CDPLOT_BAR_W 4.0  /* bar thickness */
#define IMP_CDPLOT_ROW_H 20.0 /* label rows: 1.5 × the 13 pt font, so labels never overlap */

/* One method: its elbow line runs from (px, y_axis) down to (px, ly) and out to (xe, ly); its
 * label "name (r.rr)" (owned) has its baseline at ly + 0.35 × font size and starts (right side)
 * or ends (left side) at tx. */
typedef struct imp_cdplot_method {
    size_t index;
    double rank, px, ly, xe, tx;
    int right;
    char *text;
} imp_cdplot_method;

/* One drawn bar: set index, from x1 < x2 at height y. */
typedef struct imp_cdplot_bar {
    size_t set;
    double x1, x2, y;
    size_t row;
} imp_cdplot_bar;

/* The whole geometry, in points. Ranks map linearly onto [textspace, textspace + scalew],
 * lowv on the right. method[] is in drawing order: worst first (rank descending, ties by index
 * descending), the ⌈m/2⌉ worst on the left. Everything is owned: imp_cdplot_layout_free. */
typedef struct imp_cdplot_layout {
    size_t m;
    double lowv, highv, textspace, scalew, width, height;
    double y_title, y_cd, y_axis, y_label0, y_bar0;
    double cd, cd_x0, cd_x1; /* cd > 0: the CD segment from cd_x0 to cd_x1 at y_cd */
    char *title;             /* "" for none */
    size_t n_ticks;          /* every 0.5 from lowv to highv */
    double *tick_rank, *tick_x;
    imp_cdplot_method *method;
    size_t n_bars;
    imp_cdplot_bar *bar;
} imp_cdplot_layout;

/* Lay out the diagram of m methods: names[i] (UTF-8) at mean rank rank[i] (finite). A rank axis
 * from min(1, ⌊min rank⌋) to max(m, ⌈max rank⌉), ticks every 0.5, rank 1 on the right; each set
 * in bars (e.g. imp_cd_result.cliques or imp_stats_nemenyi_bars; may be NULL) with ≥ 2 members
 * is a thick line from its worst to its best member's position ± IMP_CDPLOT_BAR_SIDE, packed
 * into rows so that no two bars of a row overlap. The text margin is wide enough for the
 * longest label in the real font. On error L is left empty. */
int imp_cdplot_layout_compute(size_t m, const char *const *names, const double *rank,
                              const imp_cliques *bars, const imp_cdplot_opts *opts,
                              imp_cdplot_layout *L, imp_err *err);
void imp_cdplot_layout_free(imp_cdplot_layout *L);

/* Lay out and draw to out (not closed) in format fmt. Lines are drawn as plain paths in the
 * layout's coordinates: the axis, one segment per tick (from y_axis − 10 or − 5 to y_axis),
 * one 3-point elbow per method, one segment per bar (width IMP_CDPLOT_BAR_W). L (may be NULL)
 * receives the layout, which the caller then frees. */
int imp_cdplot_write(FILE *out, imp_plot_format fmt, size_t m, const char *const *names,
                     const double *rank, const imp_cliques *bars, const imp_cdplot_opts *opts,
                     imp_cdplot_layout *L, imp_err *err);

/* imp_cdplot_write as SVG (what `imprint analyze --svg` writes). */
int imp_cdplot_svg(FILE *out, size_t m, const char *const *names, const double *rank,
                   const imp_cliques *bars, const imp_cdplot_opts *opts, imp_err *err);

/* Into the file at path (created or truncated), the format chosen by its extension. */
int imp_cdplot_save(const char *path, size_t m, const char *const *names, const double *rank,
                    const imp_cliques *bars, const imp_cdplot_opts *opts, imp_err *err);

#endif
