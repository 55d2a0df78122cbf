/* plot.h — the one drawing code of imprint's figures: a cairo canvas that writes SVG, PDF or PNG
 * (chosen by the output file's extension), and an x–y chart (lines with bands, points, box
 * plots; linear, log or categorical axes; axis labels and a legend) whose geometry is computed
 * into a layout struct before anything is drawn, so tests and callers can check where every
 * point lands. Text goes through fontconfig ("DejaVu Sans", any sans-serif as a fallback). */
#ifndef IMPRINT_ANALYSIS_PLOT_H
#define IMPRINT_ANALYSIS_PLOT_H

#include <cairo.h>
#include <stddef.h>
#include <stdio.h>

#include "imprint/err.h"

typedef enum { IMP_PLOT_SVG = 0, IMP_PLOT_PDF, IMP_PLOT_PNG } imp_plot_format;

/* PNG pixels per point: a 340 pt figure is a 680 px image (sharp at a paper's column width on
 * screens). SVG and PDF are in points, 1 user unit = 1 pt. */
#define IMP_PLOT_PNG_SCALE 2.0
#define IMP_PLOT_FONT "DejaVu Sans"

/* Format from the extension of path (.svg, .pdf, .png; case-insensitive); anything else is
 * IMP_EUSAGE naming path. */
int imp_plot_format_of(const char *path, imp_plot_format *fmt, imp_err *err);
/* File extension of a format without the dot ("svg", "pdf", "png"). */
const char *imp_plot_format_ext(imp_plot_format fmt);

/* A drawing surface writing to out (not closed): begin, draw on cr in points (origin top
 * left, y down), end. end finishes the surface (PNG: encodes the image) and frees it; it
 * returns IMP_EIO if cairo or out failed. Fields are the canvas's own. */
typedef struct imp_canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    FILE *out;
    imp_plot_format fmt;
    double w, h;
} imp_canvas;

int imp_canvas_begin(imp_canvas *c, FILE *out, imp_plot_format fmt, double w, double h,
                     imp_err *err);
int imp_canvas_end(imp_canvas *c, imp_err *err);

/* Text anchors: where x lies relative to the text. */
enum { IMP_ANCHOR_START = 0, IMP_ANCHOR_MIDDLE = 1, IMP_ANCHOR_END = 2 };

/* Draw UTF-8 text of font size pt with its baseline at y; rotated by −90° (reading upwards)
 * when vertical, x then being the baseline and y the anchor. */
void imp_canvas_text(cairo_t *cr, double x, double y, double size, int anchor, int vertical,
                     const char *s);
/* Width of s at size pt without a canvas (a scratch context). */
double imp_text_measure(double size, const char *s);

/* ---- the x–y chart ---- */

typedef enum {
    IMP_SERIES_LINE = 0, /* points joined in x order, markers, optional band lo..hi */
    IMP_SERIES_POINTS,   /* markers only (scatter) */
    IMP_SERIES_BOX       /* one box per point: y = median, lo..hi = quartiles, wlo..whi = whiskers */
} imp_series_kind;

/* One series; arrays of n values owned by the caller. x is the category index on a
 * categorical x axis. NaN values (and values <= 0 on a log axis) are not drawn; a LINE is
 * broken there. */
typedef struct imp_series {
    const char *name; /* legend text; NULL: not in the legend */
    imp_series_kind kind;
    size_t n;
    const double *x, *y;
    const double *lo, *hi;   /* band (LINE, may be NULL) or quartiles (BOX) */
    const double *wlo, *whi; /* whiskers (BOX) */
} imp_series;

typedef struct imp_chart {
    const char *title;  /* NULL or "": none */
    const char *xlabel, *ylabel;
    const char *note;   /* NULL or a line drawn in the plot's top-left corner (e.g. ρ) */
    size_t n_xcat;      /* > 0: categorical x axis, categories xcat[0..n_xcat-1] at x = 0.. */
    const char *const *xcat;
    int xlog, ylog;     /* log10 axes (ignored for a categorical x) */
    int ylo_zero;       /* a linear y axis includes 0 */
    size_t n_series;
    const imp_series *series;
    double width;       /* pt; 0: IMP_CHART_WIDTH */
    const double *share_x, *share_y; /* NULL, or {lo, hi} in data units that the axis range
                                      * includes as if they were points: a grid's panels get
                                      * the same range (imp_chart_grid_write sets them) */
} imp_chart;

#define IMP_CHART_WIDTH 340.0
#define IMP_CHART_PLOT_H 190.0 /* height of the plot area */
#define IMP_CHART_MAX_TICKS 32
#define IMP_CHART_MAX_LEGEND 64
#define IMP_CHART_MARKER 2.5 /* half side of a square marker */
/* A marker under a later series' marker (Qi's k = 1 point is k-means' at k = 1) also gets a
 * stroked ring this much outside it, so both stay visible. */
#define IMP_CHART_RING 1.8
/* Opacity of a line's band: seven overlapping bands still let the grid and the lines
 * through (1 − 0.9⁷ ≈ 0.52 where all overlap; 0.18 made one brown smear). */
#define IMP_CHART_BAND_ALPHA 0.10

/* Where everything goes. Axis values: v on a linear axis, log10 v on a log one; the plot
 * area spans [px0, px1] × [py0, py1] (py0 top) and maps [xlo, xhi] × [ylo, yhi] linearly
 * onto it (y up). Ticks lie inside the axis range; the range reaches past the outer ticks
 * where a point's marker would otherwise touch the frame, so every marker is whole inside
 * the plot area. Text (title, note, labels, legend) never lies inside the plot area. Legend entries are placed below the plot
 * in rows that fit the width, each with a sample at (lx, ly) and text starting at lx + 18. */
typedef struct imp_chart_layout {
    double width, height;
    double px0, px1, py0, py1;
    double xlo, xhi, ylo, yhi;
    int xcat, xlog, ylog;
    size_t n_xtick, n_ytick;
    double xtick[IMP_CHART_MAX_TICKS], ytick[IMP_CHART_MAX_TICKS]; /* axis values */
    size_t n_legend;
    size_t legend_series[IMP_CHART_MAX_LEGEND];
    double lx[IMP_CHART_MAX_LEGEND], ly[IMP_CHART_MAX_LEGEND];
    double y_title, y_xlabel, x_ylabel;
    double y_note; /* baseline of the note, above the plot area (py0); 0 without a note */
} imp_chart_layout;

/* Page position of a data value (already a category index for a categorical x). */
double imp_chart_xpos(const imp_chart_layout *L, double x);
double imp_chart_ypos(const imp_chart_layout *L, double y);
/* The palette's size (colour-blind safe, cycled): series i and i + IMP_CHART_COLORS look
 * alike, so keep line charts within that many. */
#define IMP_CHART_COLORS 7

/* Lay out and draw ch to out in format fmt; L (may be NULL) receives the layout used.
 * What is drawn, in page coordinates of the layout (SVG: plain paths, no transform):
 *   LINE   a path through (xpos(x_i), ypos(y_i)) in the given order (callers give x
 *          ascending), a filled band polygon
 *          lo forwards, hi backwards, and a square marker of half side IMP_CHART_MARKER
 *          around every point;
 *   POINTS the markers only;
 *   BOX    per point a rectangle from q1 to q3 of width 0.5 category, a median segment and
 *          whisker segments from the box to wlo and whi. */
int imp_chart_write(FILE *out, imp_plot_format fmt, const imp_chart *ch, imp_chart_layout *L,
                    imp_err *err);

/* ---- a grid of panels (faceted figures) ---- */

#define IMP_CHART_MAX_PANELS 36
#define IMP_CHART_MIN_PANEL 200.0 /* pt: the narrowest panel a grid makes (room for an axis
                                   * label of 9.5 pt text) */

/* Where a grid put its panels: panel i's layout L[i] is in its own coordinates, drawn at
 * offset (dx[i], dy[i]); the shared legend is legend's rows shifted down by legend_dy. */
typedef struct imp_chart_grid {
    size_t n, cols, rows;
    double width, height;
    double dx[IMP_CHART_MAX_PANELS], dy[IMP_CHART_MAX_PANELS];
    imp_chart_layout L[IMP_CHART_MAX_PANELS];
    imp_chart_layout legend;
    double legend_dy;
} imp_chart_grid;

/* Draw n charts (1..IMP_CHART_MAX_PANELS, each with the same series in the same order, so
 * one colour means one series everywhere) as panels of one figure width pt wide (0:
 * IMP_CHART_WIDTH): as many columns as fit IMP_CHART_MIN_PANEL each, rows as needed, every
 * panel over the union of their axis ranges (shared axes, same ticks), and one legend of
 * charts[0]'s series names below the grid. Each panel's title names it. G receives the
 * geometry. */
int imp_chart_grid_write(FILE *out, imp_plot_format fmt, const imp_chart *charts, size_t n,
                         double width, imp_chart_grid *G, imp_err *err);

#endif
