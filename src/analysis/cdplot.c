/* cdplot.c — lays out a critical-difference diagram and draws it on a cairo canvas. */
#include "cdplot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/atomic.h"

/* Layout in points (the geometry of the earlier hand-written SVG, unchanged). CHAR_W is a
 * generous average advance for the 13 pt face; the margin is widened if the real font needs
 * more. */
#define FONT_PX 13.0
#define CHAR_W 7.6
#define BAR_H 9.0 /* bar rows */
#define BIG_TICK 10.0
#define SMALL_TICK 5.0

static double rankpos(const imp_cdplot_layout *L, double r)
{
    return L->textspace + L->scalew * (L->highv - r) / (L->highv - L->lowv);
}

/* Characters for the width estimate: UTF-8 continuation bytes do not advance. */
static size_t text_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

void imp_cdplot_layout_free(imp_cdplot_layout *L)
{
    if (L->method)
        for (size_t i = 0; i < L->m; i++)
            free(L->method[i].text);
    free(L->method), free(L->bar), free(L->tick_rank), free(L->tick_x), free(L->title);
    memset(L, 0, sizeof *L);
}

static int check_input(size_t m, const char *const *names, const double *rank,
                       const imp_cliques *bars, imp_err *err)
{
    if (m < 1 || !names || !rank)
        return imp_err_set(err, IMP_EINPUT, "CD diagram: need at least one method");
    for (size_t i = 0; i < m; i++) {
        if (!names[i])
            return imp_err_set(err, IMP_EINPUT, "CD diagram: method %zu has no name", i);
        if (!isfinite(rank[i]))
            return imp_err_set(err, IMP_EINPUT, "CD diagram: rank of '%s' is not finite",
                               names[i]);
    }
    for (size_t s = 0; bars && s < bars->n; s++)
        for (size_t t = bars->off[s]; t < bars->off[s + 1]; t++)
            if (bars->members[t] >= m)
                return imp_err_set(err, IMP_EINPUT,
                                   "CD diagram: bar %zu names method %zu of %zu", s,
                                   bars->members[t], m);
    return 0;
}

int imp_cdplot_layout_compute(size_t m, const char *const *names, const double *rank,
                              const imp_cliques *bars, const imp_cdplot_opts *opts,
                              imp_cdplot_layout *L, imp_err *err)
{
    memset(L, 0, sizeof *L);
    int rc = check_input(m, names, rank, bars, err);
    if (rc)
        return rc;
    size_t nsets = bars ? bars->n : 0;
    const char *title = opts && opts->title ? opts->title : "Average rank";
    double cd = opts && opts->cd > 0 && isfinite(opts->cd) ? opts->cd : 0;

    L->m = m;
    L->title = strdup(title);
    L->method = calloc(m, sizeof *L->method);
    L->bar = malloc((nsets ? nsets : 1) * sizeof *L->bar);
    double *row_end = malloc((nsets ? nsets : 1) * sizeof *row_end);
    size_t *ord = malloc(m * sizeof *ord);
    if (!L->title || !L->method || !L->bar || !row_end || !ord)
        goto oom;
    /* Worst first (rank descending, ties by index descending), as graph_ranks(reverse=True). */
    for (size_t i = 0; i < m; i++) {
        size_t t = i;
        for (; t > 0; t--) {
            size_t o = ord[t - 1];
            if (rank[o] > rank[i] || (rank[o] == rank[i] && o > i))
                break;
            ord[t] = o;
        }
        ord[t] = i;
    }
    double rmin = rank[ord[m - 1]], rmax = rank[ord[0]];
    L->lowv = fmin(1.0, floor(rmin));
    L->highv = fmax((double)m, ceil(rmax));
    if (L->highv <= L->lowv)
        L->highv = L->lowv + 1.0;
    double maxw = 0;
    for (size_t k = 0; k < m; k++) {
        size_t i = ord[k];
        size_t n = strlen(names[i]) + 16;
        if (!(L->method[k].text = malloc(n)))
            goto oom;
        snprintf(L->method[k].text, n, "%s (%.2f)", names[i], rank[i]);
        double est = CHAR_W * (double)(text_chars(names[i]) + 7); /* " (r.rr)" */
        maxw = fmax(maxw, fmax(est, imp_text_measure(FONT_PX, L->method[k].text)));
    }
    L->textspace = fmax(90.0, 20.0 + maxw);
    L->scalew = fmax(360.0, 40.0 * (L->highv - L->lowv));
    L->width = 2.0 * L->textspace + L->scalew;
    double y = 8.0;
    if (*title) {
        L->y_title = y + FONT_PX;
        y = L->y_title + 8.0;
    }
    if (cd > 0) {
        L->cd = cd;
        L->y_cd = y + FONT_PX + 8.0;
        L->cd_x0 = rankpos(L, L->highv), L->cd_x1 = rankpos(L, L->highv - cd);
        y = L->y_cd + 4.0;
    }
    L->y_axis = y + FONT_PX + BIG_TICK + 8.0;

    L->n_ticks = (size_t)lround(2.0 * (L->highv - L->lowv)) + 1;
    L->tick_rank = malloc(L->n_ticks * sizeof *L->tick_rank);
    L->tick_x = malloc(L->n_ticks * sizeof *L->tick_x);
    if (!L->tick_rank || !L->tick_x)
        goto oom;
    for (size_t t = 0; t < L->n_ticks; t++) {
        L->tick_rank[t] = L->lowv + 0.5 * (double)t;
        L->tick_x[t] = rankpos(L, L->tick_rank[t]);
    }

    /* Pack bars: by left end, each into the first row whose rightmost end is clear of it. */
    size_t nb = 0, nrows = 0;
    for (size_t s = 0; s < nsets; s++) {
        if (bars->off[s + 1] - bars->off[s] < 2)
            continue;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t t = bars->off[s]; t < bars->off[s + 1]; t++) {
            lo = fmin(lo, rank[bars->members[t]]);
            hi = fmax(hi, rank[bars->members[t]]);
        }
        imp_cdplot_bar b = {s, rankpos(L, hi) - IMP_CDPLOT_BAR_SIDE,
                            rankpos(L, lo) + IMP_CDPLOT_BAR_SIDE, 0, 0};
        size_t t = nb++;
        for (; t > 0 && (L->bar[t - 1].x1 > b.x1 ||
                         (L->bar[t - 1].x1 == b.x1 && L->bar[t - 1].x2 > b.x2));
             t--)
            L->bar[t] = L->bar[t - 1];
        L->bar[t] = b;
    }
    for (size_t k = 0; k < nb; k++) {
        size_t r = 0;
        while (r < nrows && row_end[r] + 2.0 * IMP_CDPLOT_BAR_SIDE >= L->bar[k].x1)
            r++;
        if (r == nrows)
            nrows++;
        row_end[r] = L->bar[k].x2;
        L->bar[k].row = r;
    }
    L->n_bars = nb;
    L->y_bar0 = L->y_axis + 14.0;
    for (size_t k = 0; k < nb; k++)
        L->bar[k].y = L->y_bar0 + (double)L->bar[k].row * BAR_H;
    L->y_label0 = fmax(L->y_axis + 2.0 * IMP_CDPLOT_ROW_H, L->y_bar0 + (double)nrows * BAR_H + 12.0);
    size_t nleft = (m + 1) / 2;
    L->height = L->y_label0 + (double)(nleft - 1) * IMP_CDPLOT_ROW_H + 14.0;

    /* Methods: elbow from the axis down to the label row, then out to the margin. */
    for (size_t k = 0; k < m; k++) {
        imp_cdplot_method *me = &L->method[k];
        me->index = ord[k];
        me->rank = rank[ord[k]];
        int left = k < nleft;
        me->right = !left;
        me->ly = L->y_label0 + (double)(left ? k : m - 1 - k) * IMP_CDPLOT_ROW_H;
        me->px = rankpos(L, me->rank);
        me->xe = left ? L->textspace - 6.0 : L->textspace + L->scalew + 6.0;
        me->tx = left ? me->xe - 4.0 : me->xe + 4.0;
    }
    free(row_end), free(ord);
    return 0;
oom:
    free(row_end), free(ord);
    imp_cdplot_layout_free(L);
    return imp_err_set(err, IMP_ENOMEM, "CD diagram: out of memory");
}

static void line(cairo_t *cr, double x0, double y0, double x1, double y1)
{
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
}

int imp_cdplot_write(FILE *out, imp_plot_format fmt, size_t m, const char *const *names,
                     const double *rank, const imp_cliques *bars, const imp_cdplot_opts *opts,
                     imp_cdplot_layout *Lout, imp_err *err)
{
    if (!out)
        return imp_err_set(err, IMP_EINPUT, "CD diagram: no output stream");
    imp_cdplot_layout L;
    int rc = imp_cdplot_layout_compute(m, names, rank, bars, opts, &L, err);
    if (rc)
        return rc;
    imp_canvas c;
    if ((rc = imp_canvas_begin(&c, out, fmt, ceil(L.width), ceil(L.height), err))) {
        imp_cdplot_layout_free(&L);
        return rc;
    }
    cairo_t *cr = c.cr;
    cairo_set_line_width(cr, 1.0);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
    if (*L.title)
        imp_canvas_text(cr, L.width / 2, L.y_title, FONT_PX, IMP_ANCHOR_MIDDLE, 0, L.title);
    if (L.cd > 0) {
        char buf[48];
        line(cr, L.cd_x0, L.y_cd, L.cd_x1, L.y_cd);
        line(cr, L.cd_x0, L.y_cd - 4, L.cd_x0, L.y_cd + 4);
        line(cr, L.cd_x1, L.y_cd - 4, L.cd_x1, L.y_cd + 4);
        snprintf(buf, sizeof buf, "CD = %.2f", L.cd);
        imp_canvas_text(cr, (L.cd_x0 + L.cd_x1) / 2, L.y_cd - 6, FONT_PX, IMP_ANCHOR_MIDDLE, 0,
                        buf);
    }
    line(cr, L.textspace, L.y_axis, L.textspace + L.scalew, L.y_axis);
    for (size_t t = 0; t < L.n_ticks; t++) {
        int big = t % 2 == 0;
        line(cr, L.tick_x[t], L.y_axis - (big ? BIG_TICK : SMALL_TICK), L.tick_x[t], L.y_axis);
        if (big) {
            char buf[32];
            snprintf(buf, sizeof buf, "%g", L.tick_rank[t]);
            imp_canvas_text(cr, L.tick_x[t], L.y_axis - BIG_TICK - 4.0, FONT_PX,
                            IMP_ANCHOR_MIDDLE, 0, buf);
        }
    }
    for (size_t k = 0; k < L.m; k++) {
        const imp_cdplot_method *me = &L.method[k];
        cairo_move_to(cr, me->px, L.y_axis);
        cairo_line_to(cr, me->px, me->ly);
        cairo_line_to(cr, me->xe, me->ly);
        cairo_stroke(cr);
        imp_canvas_text(cr, me->tx, me->ly + 0.35 * FONT_PX, FONT_PX,
                        me->right ? IMP_ANCHOR_START : IMP_ANCHOR_END, 0, me->text);
    }
    cairo_set_line_width(cr, IMP_CDPLOT_BAR_W);
    for (size_t k = 0; k < L.n_bars; k++)
        line(cr, L.bar[k].x1, L.bar[k].y, L.bar[k].x2, L.bar[k].y);
    rc = imp_canvas_end(&c, err);
    if (rc || !Lout)
        imp_cdplot_layout_free(&L);
    else
        *Lout = L;
    return rc;
}

int imp_cdplot_svg(FILE *out, size_t m, const char *const *names, const double *rank,
                   const imp_cliques *bars, const imp_cdplot_opts *opts, imp_err *err)
{
    return imp_cdplot_write(out, IMP_PLOT_SVG, m, names, rank, bars, opts, NULL, err);
}

int imp_cdplot_save(const char *path, size_t m, const char *const *names, const double *rank,
                    const imp_cliques *bars, const imp_cdplot_opts *opts, imp_err *err)
{
    imp_plot_format fmt;
    int rc = imp_plot_format_of(path, &fmt, err);
    if (rc)
        return rc;
    imp_outfile of;
    if ((rc = imp_outfile_open(&of, path, err)) != 0)
        return rc;
    rc = imp_cdplot_write(of.f, fmt, m, names, rank, bars, opts, NULL, err);
    if (rc) {
        imp_err_prefix(err, "%s", path);
        imp_outfile_abort(&of);
        return rc;
    }
    return imp_outfile_commit(&of, err);
}
