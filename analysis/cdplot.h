/* cdplot.h — critical-difference diagram as a standalone SVG (the geometry of Orange's
 * graph_ranks with reverse=True, as drawn by the reference's cd_diag.py; spec E.1 step 7). */
#ifndef IMPRINT_ANALYSIS_CDPLOT_H
#define IMPRINT_ANALYSIS_CDPLOT_H

#include <stddef.h>
#include <stdio.h>

#include "imprint/err.h"
#include "stats.h"

typedef struct imp_cdplot_opts {
    const char *title; /* NULL means "Average rank"; "" draws no title */
    double cd;         /* > 0: draw a scale segment of this length labelled "CD" */
} imp_cdplot_opts;

/* Pixels a bar reaches beyond the positions of its best and worst member. */
#define IMP_CDPLOT_BAR_SIDE 3.0

/* Draw the diagram of m methods: names[i] (UTF-8, XML-escaped on output) at mean rank rank[i]
 * (finite). Layout: a rank axis from min(1, ⌊min rank⌋) to max(m, ⌈max rank⌉) with ticks every
 * 0.5 and rank 1 on the right; the ⌈m/2⌉ worst methods labelled on the left, the others on the
 * right, one label row each ("name (r.rr)"), joined to their axis position by an elbow line;
 * each set in bars (e.g. imp_cd_result.cliques or imp_stats_nemenyi_bars; may be NULL) with ≥ 2
 * members is a thick line from its worst to its best member's position, packed into rows so
 * that no two bars in a row overlap. Sets with fewer than 2 members are skipped.
 *
 * Machine-readable structure (tests and downstream tools rely on it):
 *   <line class="tick" data-rank="R" x1=…>           one per 0.5 step
 *   <g class="method" data-index="i" data-rank="R"><polyline points="x,yaxis x,y xl,y"/>
 *       <text x=… y=… text-anchor=…>name (r.rr)</text></g>
 *   <line class="bar" data-set="s" x1=… y1=… x2=… y2=…/>  x1 < x2
 * Writes to out (not closed). */
int imp_cdplot_svg(FILE *out, size_t m, const char *const *names, const double *rank,
                   const imp_cliques *bars, const imp_cdplot_opts *opts, imp_err *err);

/* Same, into the file at path (created or truncated). */
int imp_cdplot_svg_save(const char *path, size_t m, const char *const *names, const double *rank,
                        const imp_cliques *bars, const imp_cdplot_opts *opts, imp_err *err);

#endif
