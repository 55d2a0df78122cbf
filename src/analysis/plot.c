/* plot.c — cairo canvas (SVG, PDF, PNG) and the x–y chart: layout first, then drawing. */
#include "plot.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Font sizes (pt): readable when a 340 pt figure is scaled to a 240 pt column (× 0.7). */
#define TICK_PT 8.5
#define LABEL_PT 9.5
#define TITLE_PT 10.0
#define LEGEND_PT 8.5
#define LEGEND_ROW 13.0
#define TICK_LEN 4.0

int imp_plot_format_of(const char *path, imp_plot_format *fmt, imp_err *err)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    static const char *const ext[] = {".svg", ".pdf", ".png"};
    for (int i = 0; dot && i < 3; i++)
        if (strcasecmp(dot, ext[i]) == 0) {
            *fmt = (imp_plot_format)i;
            return 0;
        }
    return imp_err_set(err, IMP_EUSAGE, "%s: expected a figure file ending in .svg, .pdf or .png",
                       path ? path : "(null)");
}

const char *imp_plot_format_ext(imp_plot_format fmt)
{
    return fmt == IMP_PLOT_PDF ? "pdf" : fmt == IMP_PLOT_PNG ? "png" : "svg";
}

/* PNG size in pixels of a figure w × h points. */
static void png_size(double w, double h, int *pw, int *ph)
{
    *pw = (int)ceil(w * IMP_PLOT_PNG_SCALE - 1e-9);
    *ph = (int)ceil(h * IMP_PLOT_PNG_SCALE - 1e-9);
}

static cairo_status_t write_stream(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, (FILE *)closure) == len ? CAIRO_STATUS_SUCCESS
                                                        : CAIRO_STATUS_WRITE_ERROR;
}

int imp_canvas_begin(imp_canvas *c, FILE *out, imp_plot_format fmt, double w, double h,
                     imp_err *err)
{
    memset(c, 0, sizeof *c);
    c->out = out, c->fmt = fmt, c->w = w, c->h = h;
    if (fmt == IMP_PLOT_SVG) {
        c->surface = cairo_svg_surface_create_for_stream(write_stream, out, w, h);
        cairo_svg_surface_set_document_unit(c->surface, CAIRO_SVG_UNIT_PT);
    } else if (fmt == IMP_PLOT_PDF) {
        c->surface = cairo_pdf_surface_create_for_stream(write_stream, out, w, h);
    } else {
        int pw, ph;
        png_size(w, h, &pw, &ph);
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pw, ph);
    }
    c->cr = cairo_create(c->surface);
    if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
        int rc = imp_err_set(err, cairo_status(c->cr) == CAIRO_STATUS_NO_MEMORY ? IMP_ENOMEM
                                                                               : IMP_EINTERNAL,
                             "figure: cannot create a %s surface: %s", imp_plot_format_ext(fmt),
                             cairo_status_to_string(cairo_status(c->cr)));
        cairo_destroy(c->cr);
        cairo_surface_destroy(c->surface);
        memset(c, 0, sizeof *c);
        return rc;
    }
    if (fmt == IMP_PLOT_PNG)
        cairo_scale(c->cr, IMP_PLOT_PNG_SCALE, IMP_PLOT_PNG_SCALE);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_rectangle(c->cr, 0, 0, w, h);
    cairo_fill(c->cr);
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    return 0;
}

int imp_canvas_end(imp_canvas *c, imp_err *err)
{
    cairo_status_t st = cairo_status(c->cr);
    cairo_destroy(c->cr);
    cairo_surface_flush(c->surface);
    if (st == CAIRO_STATUS_SUCCESS && c->fmt == IMP_PLOT_PNG)
        st = cairo_surface_write_to_png_stream(c->surface, write_stream, c->out);
    cairo_surface_finish(c->surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(c->surface);
    cairo_surface_destroy(c->surface);
    int bad = st != CAIRO_STATUS_SUCCESS || ferror(c->out);
    memset(c, 0, sizeof *c);
    if (bad)
        return imp_err_set(err, st == CAIRO_STATUS_NO_MEMORY ? IMP_ENOMEM : IMP_EIO,
                           "figure: write failed (%s)", cairo_status_to_string(st));
    return 0;
}

static void set_font(cairo_t *cr, double size)
{
    cairo_select_font_face(cr, IMP_PLOT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

/* Advance width of s at size pt (needs a cairo context; a measuring one: imp_text_measure). */
static double text_width(cairo_t *cr, double size, const char *s)
{
    cairo_text_extents_t e;
    set_font(cr, size);
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

double imp_text_measure(double size, const char *s)
{
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
    cairo_t *cr = cairo_create(sf);
    double w = text_width(cr, size, s);
    cairo_destroy(cr);
    cairo_surface_destroy(sf);
    return w;
}

void imp_canvas_text(cairo_t *cr, double x, double y, double size, int anchor, int vertical,
                     const char *s)
{
    double w = text_width(cr, size, s);
    cairo_save(cr);
    if (vertical) {
        cairo_translate(cr, x, y);
        cairo_rotate(cr, -M_PI / 2);
        cairo_move_to(cr, -w * anchor / 2.0, 0);
    } else {
        cairo_move_to(cr, x - w * anchor / 2.0, y);
    }
    cairo_show_text(cr, s);
    cairo_new_path(cr);
    cairo_restore(cr);
}

/* ---- chart layout ---- */

/* Colour of series i: r, g, b in [0, 1] (IMP_CHART_COLORS, cycled). */
static void chart_color(size_t i, double rgb[3])
{
    /* Okabe–Ito, without its yellow (too light on white). */
    static const unsigned char pal[IMP_CHART_COLORS][3] = {
        {0, 114, 178}, {213, 94, 0}, {0, 158, 115}, {204, 121, 167}, {86, 180, 233},
        {230, 159, 0}, {0, 0, 0}};
    const unsigned char *p = pal[i % IMP_CHART_COLORS];
    for (int k = 0; k < 3; k++)
        rgb[k] = p[k] / 255.0;
}

static int drawable(double v, int logax) { return isfinite(v) && (!logax || v > 0); }
static double axv(double v, int logax) { return logax ? log10(v) : v; }

/* Extend [*lo, *hi] to v if drawable. */
static void span(double v, int logax, double *lo, double *hi)
{
    if (!drawable(v, logax))
        return;
    v = axv(v, logax);
    *lo = fmin(*lo, v), *hi = fmax(*hi, v);
}

/* Nice linear ticks: step 1, 2 or 5 × 10^e giving about 5 intervals; the axis is widened to
 * whole steps. */
static void linear_ticks(double *lo, double *hi, double *t, size_t *n)
{
    if (*hi - *lo < 1e-12 * fmax(1.0, fabs(*hi))) {
        double pad = *lo == 0 ? 1.0 : fabs(*lo) * 0.05;
        *lo -= pad, *hi += pad;
    }
    double raw = (*hi - *lo) / 5.0, mag = pow(10.0, floor(log10(raw))), r = raw / mag;
    double step = (r <= 1.0 ? 1.0 : r <= 2.0 ? 2.0 : r <= 5.0 ? 5.0 : 10.0) * mag;
    double a = floor(*lo / step + 1e-9) * step, b = ceil(*hi / step - 1e-9) * step;
    *lo = a, *hi = b;
    *n = 0;
    for (double v = a; v <= b + step * 1e-6 && *n < IMP_CHART_MAX_TICKS; v += step)
        t[(*n)++] = fabs(v) < step * 1e-9 ? 0.0 : v;
}

/* Log ticks at decades (and 2, 5 within them when the axis spans at most two decades). A
 * value within 1e-6 decades of a power of ten counts as on it (float32 data: 0.01f). */
static void log_ticks(double *lo, double *hi, double *t, size_t *n)
{
    double a = floor(*lo + 1e-6), b = ceil(*hi - 1e-6);
    if (b <= a)
        b = a + 1;
    *lo = a, *hi = b;
    *n = 0;
    for (double e = a; e <= b + 1e-9 && *n < IMP_CHART_MAX_TICKS; e += 1) {
        t[(*n)++] = e;
        if (b - a <= 2 && e < b - 1e-9)
            for (int m = 0; m < 2 && *n < IMP_CHART_MAX_TICKS; m++)
                t[(*n)++] = e + log10(m ? 5.0 : 2.0);
    }
}

static void tick_text(double v, int logax, char *buf, size_t n)
{
    snprintf(buf, n, "%g", logax ? pow(10.0, v) : v);
    if (logax && fabs(pow(10.0, v)) >= 1e5)
        snprintf(buf, n, "1e%d", (int)lround(v));
}

/* Widen the axis [*lo, *hi] (extent pt long) until every point's marker, and a hairline
 * more, lies inside the frame: a nice tick bound may coincide with a data value (NC1 9.77 on
 * a log axis ending at 10), and a marker on the frame reads as clipped. The ticks stay where
 * they are (inside the range). Each round leaves a deficit of margin/extent of the last, so
 * a few rounds reach it. */
static void fit_markers(const imp_chart *ch, int logax, int is_x, double extent, double *lo,
                        double *hi)
{
    double dlo = INFINITY, dhi = -INFINITY;
    for (size_t s = 0; s < ch->n_series; s++) {
        const imp_series *S = &ch->series[s];
        for (size_t i = 0; S->kind != IMP_SERIES_BOX && i < S->n; i++) /* boxes: no markers */
            if (drawable(S->x[i], is_x ? logax : 0) && drawable(S->y[i], is_x ? 0 : logax))
                span(is_x ? S->x[i] : S->y[i], logax, &dlo, &dhi);
    }
    const double *share = is_x ? ch->share_x : ch->share_y;
    for (int e = 0; share && e < 2; e++) /* a grid's panels fit the same extremes */
        span(share[e], logax, &dlo, &dhi);
    if (!(dlo <= dhi))
        return;
    const double m = IMP_CHART_MARKER + IMP_CHART_RING + 1.0; /* a ring, and a hairline */
    for (int round = 0; round < 30; round++) {
        double u = (*hi - *lo) / extent; /* axis units per pt */
        double nlo = fmin(*lo, dlo - m * u), nhi = fmax(*hi, dhi + m * u);
        if (nlo == *lo && nhi == *hi)
            break;
        *lo = nlo, *hi = nhi;
    }
}

/* Categorical tick labels are rotated by 45° when the widest does not fit its slot. */
static int cat_rotated(const imp_chart *ch, const imp_chart_layout *L, double *maxw)
{
    *maxw = 0;
    for (size_t i = 0; i < ch->n_xcat; i++)
        *maxw = fmax(*maxw, imp_text_measure(TICK_PT, ch->xcat[i]));
    double slot = (L->px1 - L->px0) / (double)ch->n_xcat;
    return *maxw > slot - 4.0;
}

/* Compute the layout of ch (at least one drawable value, else IMP_EINPUT). */
static int layout_compute(const imp_chart *ch, imp_chart_layout *L, imp_err *err)
{
    memset(L, 0, sizeof *L);
    L->xcat = ch->n_xcat > 0;
    L->xlog = !L->xcat && ch->xlog;
    L->ylog = ch->ylog;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    size_t ndraw = 0;
    for (size_t s = 0; s < ch->n_series; s++) {
        const imp_series *S = &ch->series[s];
        for (size_t i = 0; i < S->n; i++) {
            if (!drawable(S->x[i], L->xlog) || !drawable(S->y[i], L->ylog))
                continue;
            if (L->xcat && (S->x[i] < 0 || S->x[i] > (double)ch->n_xcat - 1))
                return imp_err_set(err, IMP_EINPUT, "chart: series %zu point %zu has category "
                                   "%g of %zu", s, i, S->x[i], ch->n_xcat);
            ndraw++;
            span(S->x[i], L->xlog, &xlo, &xhi);
            span(S->y[i], L->ylog, &ylo, &yhi);
            const double *extra[] = {S->lo, S->hi, S->wlo, S->whi};
            for (int e = 0; e < 4; e++)
                if (extra[e])
                    span(extra[e][i], L->ylog, &ylo, &yhi);
        }
    }
    if (!ndraw && !(ch->share_y && (L->xcat || ch->share_x))) /* a grid's empty panel: axes */
        return imp_err_set(err, IMP_EINPUT, "chart%s%s: nothing to draw (no finite value%s)",
                           ch->title ? " " : "", ch->title ? ch->title : "",
                           L->ylog ? " > 0 on the log axis" : "");
    if (ch->ylo_zero && !L->ylog)
        ylo = fmin(ylo, 0.0), yhi = fmax(yhi, 0.0);
    for (int e = 0; e < 2; e++) { /* a grid's shared range */
        if (ch->share_x && !L->xcat)
            span(ch->share_x[e], L->xlog, &xlo, &xhi);
        if (ch->share_y)
            span(ch->share_y[e], L->ylog, &ylo, &yhi);
    }
    if (L->xcat) {
        L->xlo = -0.5, L->xhi = (double)ch->n_xcat - 0.5;
        for (size_t i = 0; i < ch->n_xcat && i < IMP_CHART_MAX_TICKS; i++)
            L->xtick[L->n_xtick++] = (double)i;
    } else if (L->xlog) {
        log_ticks(&xlo, &xhi, L->xtick, &L->n_xtick);
        L->xlo = xlo, L->xhi = xhi;
    } else {
        linear_ticks(&xlo, &xhi, L->xtick, &L->n_xtick);
        L->xlo = xlo, L->xhi = xhi;
    }
    if (L->ylog)
        log_ticks(&ylo, &yhi, L->ytick, &L->n_ytick);
    else
        linear_ticks(&ylo, &yhi, L->ytick, &L->n_ytick);
    L->ylo = ylo, L->yhi = yhi;

    L->width = ch->width > 0 ? ch->width : IMP_CHART_WIDTH;
    double ytw = 0;
    char buf[32];
    for (size_t i = 0; i < L->n_ytick; i++) {
        tick_text(L->ytick[i], L->ylog, buf, sizeof buf);
        ytw = fmax(ytw, imp_text_measure(TICK_PT, buf));
    }
    L->x_ylabel = 4.0 + LABEL_PT;
    L->px0 = L->x_ylabel + 6.0 + ytw + TICK_LEN + 2.0;
    L->px1 = L->width - 14.0;
    L->py0 = ch->title && *ch->title ? 8.0 + TITLE_PT + 8.0 : 10.0;
    L->y_title = 8.0 + TITLE_PT;
    if (ch->note && *ch->note) { /* the note gets its own line above the data, never over it */
        L->y_note = L->py0 + LEGEND_PT;
        L->py0 += LEGEND_PT + 6.0;
    }
    L->py1 = L->py0 + IMP_CHART_PLOT_H;
    if (!L->xcat)
        fit_markers(ch, L->xlog, 1, L->px1 - L->px0, &L->xlo, &L->xhi);
    fit_markers(ch, L->ylog, 0, L->py1 - L->py0, &L->ylo, &L->yhi);
    double below = TICK_LEN + 3.0 + TICK_PT;
    double maxw;
    if (L->xcat && cat_rotated(ch, L, &maxw))
        below = TICK_LEN + 4.0 + maxw * M_SQRT1_2 + TICK_PT * 0.5;
    L->y_xlabel = L->py1 + below + 4.0 + LABEL_PT;
    double y = L->y_xlabel + 8.0;

    /* Legend rows. */
    double x = L->px0, row_y = y + LEGEND_ROW * 0.5;
    int any = 0;
    for (size_t s = 0; s < ch->n_series && L->n_legend < IMP_CHART_MAX_LEGEND; s++) {
        if (!ch->series[s].name)
            continue;
        double w = 18.0 + imp_text_measure(LEGEND_PT, ch->series[s].name) + 12.0;
        if (any && x + w > L->width - 4.0) {
            x = L->px0, row_y += LEGEND_ROW;
        }
        L->legend_series[L->n_legend] = s;
        L->lx[L->n_legend] = x, L->ly[L->n_legend] = row_y;
        L->n_legend++;
        x += w, any = 1;
    }
    L->height = any ? row_y + LEGEND_ROW * 0.5 + 6.0 : y;
    return 0;
}

double imp_chart_xpos(const imp_chart_layout *L, double x)
{
    double v = L->xlog ? log10(x) : x;
    return L->px0 + (L->px1 - L->px0) * (v - L->xlo) / (L->xhi - L->xlo);
}

double imp_chart_ypos(const imp_chart_layout *L, double y)
{
    double v = L->ylog ? log10(y) : y;
    return L->py1 - (L->py1 - L->py0) * (v - L->ylo) / (L->yhi - L->ylo);
}

/* ---- chart drawing ---- */

static void marker(cairo_t *cr, double x, double y)
{
    cairo_rectangle(cr, x - IMP_CHART_MARKER, y - IMP_CHART_MARKER, 2 * IMP_CHART_MARKER,
                    2 * IMP_CHART_MARKER);
    cairo_fill(cr);
}

static void segment(cairo_t *cr, double x0, double y0, double x1, double y1)
{
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
}

static void draw_band(cairo_t *cr, const imp_chart_layout *L, const imp_series *S)
{
    /* One polygon per run of points with a finite band. */
    size_t i = 0;
    while (i < S->n) {
        size_t j = i;
        while (j < S->n && drawable(S->x[j], L->xlog) && drawable(S->lo[j], L->ylog) &&
               drawable(S->hi[j], L->ylog))
            j++;
        if (j > i + 1 || (j == i + 1 && S->lo[i] != S->hi[i])) {
            for (size_t t = i; t < j; t++)
                cairo_line_to(cr, imp_chart_xpos(L, S->x[t]), imp_chart_ypos(L, S->lo[t]));
            for (size_t t = j; t-- > i;)
                cairo_line_to(cr, imp_chart_xpos(L, S->x[t]), imp_chart_ypos(L, S->hi[t]));
            cairo_close_path(cr);
            cairo_fill(cr);
        }
        i = j > i ? j : i + 1;
    }
}

/* One layer of a series: its band, its line or its markers (a box plot draws whole in the
 * line layer). The chart draws every series' bands, then every line, then every marker, so
 * no line or band hides a point (Qi's marker under another strategy's line). */
enum { LAYER_BAND = 0, LAYER_LINE, LAYER_MARKER };

static void draw_box(cairo_t *cr, const imp_chart_layout *L, const imp_series *S,
                     const double rgb[3])
{
    double half = 0.25 * (L->px1 - L->px0) / (L->xhi - L->xlo);
    cairo_set_line_width(cr, 1.0);
    for (size_t i = 0; i < S->n; i++) {
        if (!drawable(S->y[i], L->ylog))
            continue;
        double x = imp_chart_xpos(L, S->x[i]);
        double q1 = imp_chart_ypos(L, S->lo[i]), q3 = imp_chart_ypos(L, S->hi[i]);
        double md = imp_chart_ypos(L, S->y[i]);
        cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.25);
        cairo_rectangle(cr, x - half, q3, 2 * half, q1 - q3);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, x - half, q3, 2 * half, q1 - q3);
        cairo_stroke(cr);
        segment(cr, x, q1, x, imp_chart_ypos(L, S->wlo[i]));
        segment(cr, x, q3, x, imp_chart_ypos(L, S->whi[i]));
        cairo_set_line_width(cr, 2.0);
        segment(cr, x - half, md, x + half, md);
        cairo_set_line_width(cr, 1.0);
    }
}

/* Is the marker at page (px, py) covered by a marker of a series drawn after series s? */
static int covered(const imp_chart *ch, const imp_chart_layout *L, size_t s, double px,
                   double py)
{
    for (size_t t = s + 1; t < ch->n_series; t++) {
        const imp_series *T = &ch->series[t];
        for (size_t i = 0; T->kind != IMP_SERIES_BOX && i < T->n; i++)
            if (drawable(T->x[i], L->xlog) && drawable(T->y[i], L->ylog) &&
                fabs(imp_chart_xpos(L, T->x[i]) - px) < IMP_CHART_MARKER &&
                fabs(imp_chart_ypos(L, T->y[i]) - py) < IMP_CHART_MARKER)
                return 1;
    }
    return 0;
}

static void draw_series(cairo_t *cr, const imp_chart *ch, const imp_chart_layout *L, size_t idx,
                        int layer)
{
    const imp_series *S = &ch->series[idx];
    double rgb[3];
    chart_color(idx, rgb);
    if (layer == LAYER_BAND) {
        if (S->kind == IMP_SERIES_LINE && S->lo && S->hi) {
            cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], IMP_CHART_BAND_ALPHA);
            draw_band(cr, L, S);
        }
        return;
    }
    cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
    cairo_set_line_width(cr, 1.4);
    if (layer == LAYER_LINE && S->kind == IMP_SERIES_BOX) {
        draw_box(cr, L, S, rgb);
    } else if (layer == LAYER_LINE && S->kind == IMP_SERIES_LINE) {
        int ok_pt = 0;
        for (size_t i = 0; i < S->n; i++) {
            int ok = drawable(S->x[i], L->xlog) && drawable(S->y[i], L->ylog);
            if (ok && ok_pt)
                cairo_line_to(cr, imp_chart_xpos(L, S->x[i]), imp_chart_ypos(L, S->y[i]));
            else if (ok)
                cairo_move_to(cr, imp_chart_xpos(L, S->x[i]), imp_chart_ypos(L, S->y[i]));
            ok_pt = ok;
        }
        cairo_stroke(cr);
    } else if (layer == LAYER_MARKER && S->kind != IMP_SERIES_BOX) {
        for (size_t i = 0; i < S->n; i++) {
            if (!drawable(S->x[i], L->xlog) || !drawable(S->y[i], L->ylog))
                continue;
            double px = imp_chart_xpos(L, S->x[i]), py = imp_chart_ypos(L, S->y[i]);
            marker(cr, px, py);
            if (covered(ch, L, idx, px, py)) { /* a ring shows it around the one on top */
                double r = IMP_CHART_MARKER + IMP_CHART_RING;
                cairo_set_line_width(cr, 1.2);
                cairo_rectangle(cr, px - r, py - r, 2 * r, 2 * r);
                cairo_stroke(cr);
            }
        }
    }
}

static void draw_axes(cairo_t *cr, const imp_chart *ch, const imp_chart_layout *L)
{
    char buf[32];
    /* Grid lines, then the frame over them. */
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_set_line_width(cr, 0.5);
    for (size_t i = 0; i < L->n_ytick; i++) {
        double y = L->py1 - (L->py1 - L->py0) * (L->ytick[i] - L->ylo) / (L->yhi - L->ylo);
        segment(cr, L->px0, y, L->px1, y);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.8);
    cairo_rectangle(cr, L->px0, L->py0, L->px1 - L->px0, L->py1 - L->py0);
    cairo_stroke(cr);
    for (size_t i = 0; i < L->n_ytick; i++) {
        double y = L->py1 - (L->py1 - L->py0) * (L->ytick[i] - L->ylo) / (L->yhi - L->ylo);
        segment(cr, L->px0 - TICK_LEN, y, L->px0, y);
        tick_text(L->ytick[i], L->ylog, buf, sizeof buf);
        imp_canvas_text(cr, L->px0 - TICK_LEN - 2.0, y + TICK_PT * 0.35, TICK_PT,
                        IMP_ANCHOR_END, 0, buf);
    }
    double maxw;
    int rot = L->xcat && cat_rotated(ch, L, &maxw);
    for (size_t i = 0; i < L->n_xtick; i++) {
        double x = L->px0 + (L->px1 - L->px0) * (L->xtick[i] - L->xlo) / (L->xhi - L->xlo);
        segment(cr, x, L->py1, x, L->py1 + TICK_LEN);
        const char *t = buf;
        if (L->xcat)
            t = ch->xcat[i];
        else
            tick_text(L->xtick[i], L->xlog, buf, sizeof buf);
        if (rot) {
            double w = text_width(cr, TICK_PT, t);
            cairo_save(cr);
            cairo_translate(cr, x + 2.0, L->py1 + TICK_LEN + 3.0);
            cairo_rotate(cr, -M_PI / 4);
            cairo_move_to(cr, -w, 0);
            cairo_show_text(cr, t);
            cairo_new_path(cr);
            cairo_restore(cr);
        } else {
            imp_canvas_text(cr, x, L->py1 + TICK_LEN + 2.0 + TICK_PT, TICK_PT, IMP_ANCHOR_MIDDLE,
                            0, t);
        }
    }
    if (ch->xlabel)
        imp_canvas_text(cr, (L->px0 + L->px1) / 2, L->y_xlabel, LABEL_PT, IMP_ANCHOR_MIDDLE, 0,
                        ch->xlabel);
    if (ch->ylabel)
        imp_canvas_text(cr, L->x_ylabel, (L->py0 + L->py1) / 2, LABEL_PT, IMP_ANCHOR_MIDDLE, 1,
                        ch->ylabel);
    if (ch->title && *ch->title)
        imp_canvas_text(cr, L->width / 2, L->y_title, TITLE_PT, IMP_ANCHOR_MIDDLE, 0, ch->title);
    if (ch->note && *ch->note)
        imp_canvas_text(cr, L->px0, L->y_note, LEGEND_PT, IMP_ANCHOR_START, 0, ch->note);
}

/* The chart without its legend: axes, then the series clipped to the plot area (a band may
 * reach past the axis range; the layout keeps every marker inside it, fit_markers). */
static void draw_body(cairo_t *cr, const imp_chart *ch, const imp_chart_layout *L)
{
    draw_axes(cr, ch, L);
    cairo_save(cr);
    cairo_rectangle(cr, L->px0, L->py0, L->px1 - L->px0, L->py1 - L->py0);
    cairo_clip(cr);
    for (int layer = LAYER_BAND; layer <= LAYER_MARKER; layer++)
        for (size_t s = 0; s < ch->n_series; s++)
            draw_series(cr, ch, L, s, layer);
    cairo_restore(cr);
}

static void draw_legend(cairo_t *cr, const imp_chart *ch, const imp_chart_layout *L)
{
    for (size_t e = 0; e < L->n_legend; e++) {
        size_t s = L->legend_series[e];
        double rgb[3];
        chart_color(s, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        if (ch->series[s].kind == IMP_SERIES_LINE) {
            cairo_set_line_width(cr, 1.4);
            segment(cr, L->lx[e], L->ly[e], L->lx[e] + 14.0, L->ly[e]);
        }
        cairo_rectangle(cr, L->lx[e] + 7.0 - 2.0, L->ly[e] - 2.0, 4.0, 4.0);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        imp_canvas_text(cr, L->lx[e] + 18.0, L->ly[e] + LEGEND_PT * 0.35, LEGEND_PT,
                        IMP_ANCHOR_START, 0, ch->series[s].name);
    }
}

int imp_chart_write(FILE *out, imp_plot_format fmt, const imp_chart *ch, imp_chart_layout *Lout,
                    imp_err *err)
{
    imp_chart_layout L;
    int rc = layout_compute(ch, &L, err);
    if (rc)
        return rc;
    imp_canvas c;
    if ((rc = imp_canvas_begin(&c, out, fmt, L.width, L.height, err)))
        return rc;
    draw_body(c.cr, ch, &L);
    draw_legend(c.cr, ch, &L);
    rc = imp_canvas_end(&c, err);
    if (!rc && Lout)
        *Lout = L;
    return rc;
}

/* The outer ticks of a layout's axis in data units ({lo, hi}; log axes back from log10): the
 * nice range of its data, without the marker margin (a union of margins would push the
 * shared axis out to the next nice step). */
static void range_of(const imp_chart_layout *L, int y, double r[2])
{
    int lg = y ? L->ylog : L->xlog;
    size_t n = y ? L->n_ytick : L->n_xtick;
    const double *t = y ? L->ytick : L->xtick;
    double lo = n ? t[0] : y ? L->ylo : L->xlo, hi = n ? t[n - 1] : y ? L->yhi : L->xhi;
    for (size_t i = 0; i < n; i++) /* log ticks come decade, 2, 5: not sorted */
        lo = fmin(lo, t[i]), hi = fmax(hi, t[i]);
    r[0] = lg ? pow(10.0, lo) : lo, r[1] = lg ? pow(10.0, hi) : hi;
}

int imp_chart_grid_write(FILE *out, imp_plot_format fmt, const imp_chart *charts, size_t n,
                         double width, imp_chart_grid *G, imp_err *err)
{
    if (n == 0 || n > IMP_CHART_MAX_PANELS)
        return imp_err_set(err, IMP_EINPUT, "chart grid: %zu panels (1 to %d)", n,
                           IMP_CHART_MAX_PANELS);
    memset(G, 0, sizeof *G);
    G->width = width > 0 ? width : IMP_CHART_WIDTH;
    size_t cols = (size_t)(G->width / IMP_CHART_MIN_PANEL);
    cols = cols < 1 ? 1 : cols > n ? n : cols;
    G->cols = cols, G->rows = (n + cols - 1) / cols, G->n = n;
    imp_chart *pc = calloc(n, sizeof *pc);
    imp_series *ps = NULL;
    size_t ns = charts[0].n_series;
    int any_note = 0, rc = 0;
    for (size_t i = 0; i < n; i++) {
        any_note |= charts[i].note && *charts[i].note;
        if (charts[i].n_series != ns)
            rc = imp_err_set(err, IMP_EINPUT, "chart grid: panel %zu has %zu series, panel 0 "
                             "%zu (align them: one legend serves all)", i, charts[i].n_series, ns);
    }
    if (!rc && (!pc || !(ps = calloc(n * (ns ? ns : 1), sizeof *ps))))
        rc = imp_err_set(err, IMP_ENOMEM, "chart grid: out of memory");
    double xr[2] = {INFINITY, -INFINITY}, yr[2] = {INFINITY, -INFINITY};
    /* Pass 1: each panel alone, no legend (one shared legend goes below the grid), for the
     * union of their ranges; a note row in every panel when any has one, so rows align. */
    for (size_t i = 0; !rc && i < n; i++) {
        pc[i] = charts[i];
        pc[i].width = G->width / (double)cols;
        if (any_note && !(pc[i].note && *pc[i].note))
            pc[i].note = " ";
        for (size_t s = 0; s < ns; s++) {
            ps[i * ns + s] = charts[i].series[s];
            ps[i * ns + s].name = NULL;
        }
        pc[i].series = ps + i * ns;
        imp_chart_layout L;
        if (layout_compute(&pc[i], &L, NULL) != 0)
            continue; /* an empty panel: drawn with the shared axes below */
        double r[2];
        range_of(&L, 0, r);
        xr[0] = fmin(xr[0], r[0]), xr[1] = fmax(xr[1], r[1]);
        range_of(&L, 1, r);
        yr[0] = fmin(yr[0], r[0]), yr[1] = fmax(yr[1], r[1]);
    }
    if (!rc && !(yr[0] <= yr[1]))
        rc = imp_err_set(err, IMP_EINPUT, "chart grid: nothing to draw in any panel");
    /* Pass 2: every panel over the union: the same ticks and range on every panel. */
    double ph = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        pc[i].share_x = xr, pc[i].share_y = yr;
        if ((rc = layout_compute(&pc[i], &G->L[i], err)) != 0)
            break;
        ph = fmax(ph, G->L[i].height);
    }
    imp_chart lg = charts[0];
    imp_chart_layout LL;
    lg.width = G->width, lg.share_x = xr, lg.share_y = yr;
    if (!rc)
        rc = layout_compute(&lg, &LL, err);
    imp_canvas c;
    if (!rc) {
        double top = LL.y_xlabel + 8.0; /* where LL's legend rows start */
        G->legend_dy = ph * (double)G->rows - top;
        G->height = ph * (double)G->rows + (LL.n_legend ? LL.height - top : 0.0);
        for (size_t i = 0; i < n; i++)
            G->dx[i] = pc[i].width * (double)(i % cols), G->dy[i] = ph * (double)(i / cols);
        rc = imp_canvas_begin(&c, out, fmt, G->width, G->height, err);
    }
    if (!rc) {
        for (size_t i = 0; i < n; i++) {
            cairo_save(c.cr);
            cairo_translate(c.cr, G->dx[i], G->dy[i]);
            draw_body(c.cr, &pc[i], &G->L[i]);
            cairo_restore(c.cr);
        }
        cairo_save(c.cr);
        cairo_translate(c.cr, 0, G->legend_dy);
        draw_legend(c.cr, &lg, &LL);
        cairo_restore(c.cr);
        G->legend = LL;
        rc = imp_canvas_end(&c, err);
    }
    free(pc), free(ps);
    return rc;
}
