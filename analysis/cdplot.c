/* cdplot.c — writes a critical-difference diagram as a self-contained SVG. */
#include "cdplot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Layout in px. Text widths are estimated (no font metrics in a plain SVG writer): CHAR_W is a
 * generous average advance for a 13 px sans-serif face, so labels never reach the axis. */
#define FONT_PX 13.0
#define CHAR_W 7.6
#define ROW_H 20.0  /* label rows: 1.5 × the font size, so label texts never overlap */
#define BAR_H 9.0   /* bar rows */
#define BAR_W 4.0   /* bar thickness */
#define BIG_TICK 10.0
#define SMALL_TICK 5.0

typedef struct layout {
    double lowv, highv, textspace, scalew, width, height;
    double y_title, y_cd, y_axis, y_label0;
} layout;

static double rankpos(const layout *L, double r)
{
    return L->textspace + L->scalew * (L->highv - r) / (L->highv - L->lowv);
}

static void put_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        default:
            /* XML 1.0 forbids most control characters even when escaped. */
            fputc((unsigned char)*s < 0x20 && *s != '\t' ? '?' : *s, out);
        }
    }
}

/* Characters for the width estimate: UTF-8 continuation bytes do not advance. */
static size_t text_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

typedef struct bar {
    size_t set;
    double xl, xr;
    size_t row;
} bar;

int imp_cdplot_svg(FILE *out, size_t m, const char *const *names, const double *rank,
                   const imp_cliques *bars, const imp_cdplot_opts *opts, imp_err *err)
{
    if (!out || m < 1 || !names || !rank)
        return imp_err_set(err, IMP_EINPUT, "CD diagram: need at least one method");
    for (size_t i = 0; i < m; i++) {
        if (!names[i])
            return imp_err_set(err, IMP_EINPUT, "CD diagram: method %zu has no name", i);
        if (!isfinite(rank[i]))
            return imp_err_set(err, IMP_EINPUT, "CD diagram: rank of '%s' is not finite",
                               names[i]);
    }
    size_t nsets = bars ? bars->n : 0;
    for (size_t s = 0; s < nsets; s++)
        for (size_t t = bars->off[s]; t < bars->off[s + 1]; t++)
            if (bars->members[t] >= m)
                return imp_err_set(err, IMP_EINPUT,
                                   "CD diagram: bar %zu names method %zu of %zu", s,
                                   bars->members[t], m);
    const char *title = opts && opts->title ? opts->title : "Average rank";
    double cd = opts && opts->cd > 0 && isfinite(opts->cd) ? opts->cd : 0;

    /* Worst first (rank descending, ties by index descending), as graph_ranks(reverse=True). */
    size_t *ord = malloc(m * sizeof *ord);
    bar *bs = malloc((nsets ? nsets : 1) * sizeof *bs);
    if (!ord || !bs) {
        free(ord), free(bs);
        return imp_err_set(err, IMP_ENOMEM, "CD diagram: out of memory");
    }
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

    layout L = {0};
    double rmin = rank[ord[m - 1]], rmax = rank[ord[0]];
    L.lowv = fmin(1.0, floor(rmin));
    L.highv = fmax((double)m, ceil(rmax));
    if (L.highv <= L.lowv)
        L.highv = L.lowv + 1.0;
    size_t maxc = 0;
    for (size_t i = 0; i < m; i++) {
        size_t c = text_chars(names[i]) + 7; /* " (r.rr)" */
        if (c > maxc)
            maxc = c;
    }
    L.textspace = fmax(90.0, 20.0 + CHAR_W * (double)maxc);
    L.scalew = fmax(360.0, 40.0 * (L.highv - L.lowv));
    L.width = 2.0 * L.textspace + L.scalew;
    double y = 8.0;
    if (*title) {
        L.y_title = y + FONT_PX;
        y = L.y_title + 8.0;
    }
    if (cd > 0) {
        L.y_cd = y + FONT_PX + 8.0;
        y = L.y_cd + 4.0;
    }
    L.y_axis = y + FONT_PX + BIG_TICK + 8.0;

    /* Pack bars: by left end, each into the first row whose rightmost end is clear of it. */
    size_t nb = 0, nrows = 0;
    double *row_end = malloc((nsets ? nsets : 1) * sizeof *row_end);
    if (!row_end) {
        free(ord), free(bs);
        return imp_err_set(err, IMP_ENOMEM, "CD diagram: out of memory");
    }
    for (size_t s = 0; s < nsets; s++) {
        if (bars->off[s + 1] - bars->off[s] < 2)
            continue;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t t = bars->off[s]; t < bars->off[s + 1]; t++) {
            lo = fmin(lo, rank[bars->members[t]]);
            hi = fmax(hi, rank[bars->members[t]]);
        }
        bar b = {s, rankpos(&L, hi) - IMP_CDPLOT_BAR_SIDE, rankpos(&L, lo) + IMP_CDPLOT_BAR_SIDE,
                 0};
        size_t t = nb++;
        for (; t > 0 && (bs[t - 1].xl > b.xl || (bs[t - 1].xl == b.xl && bs[t - 1].xr > b.xr));
             t--)
            bs[t] = bs[t - 1];
        bs[t] = b;
    }
    for (size_t k = 0; k < nb; k++) {
        size_t r = 0;
        while (r < nrows && row_end[r] + 2.0 * IMP_CDPLOT_BAR_SIDE >= bs[k].xl)
            r++;
        if (r == nrows)
            nrows++;
        row_end[r] = bs[k].xr;
        bs[k].row = r;
    }
    free(row_end);
    double y_bar0 = L.y_axis + 14.0;
    L.y_label0 = fmax(L.y_axis + 2.0 * ROW_H, y_bar0 + (double)nrows * BAR_H + 12.0);
    size_t nleft = (m + 1) / 2;
    L.height = L.y_label0 + (double)(nleft - 1) * ROW_H + 14.0;

    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.2f %.2f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
            "font-size=\"%.0f\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            ceil(L.width), ceil(L.height), L.width, L.height, FONT_PX);
    if (*title) {
        fprintf(out, "<text class=\"title\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">",
                L.width / 2, L.y_title);
        put_escaped(out, title);
        fputs("</text>\n", out);
    }
    if (cd > 0) {
        double x0 = rankpos(&L, L.highv), x1 = rankpos(&L, L.highv - cd);
        fprintf(out,
                "<g class=\"cd\" stroke=\"black\" stroke-width=\"1\">"
                "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>"
                "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>"
                "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/></g>\n"
                "<text class=\"cdlabel\" x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">"
                "CD = %.2f</text>\n",
                x0, L.y_cd, x1, L.y_cd, x0, L.y_cd - 4, x0, L.y_cd + 4, x1, L.y_cd - 4, x1,
                L.y_cd + 4, (x0 + x1) / 2, L.y_cd - 6, cd);
    }

    /* Axis, ticks every 0.5 (long on integers), integer labels above. */
    fprintf(out,
            "<line class=\"axis\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
            "stroke=\"black\" stroke-width=\"1\"/>\n",
            L.textspace, L.y_axis, L.textspace + L.scalew, L.y_axis);
    size_t nticks = (size_t)lround(2.0 * (L.highv - L.lowv)) + 1;
    for (size_t t = 0; t < nticks; t++) {
        double a = L.lowv + 0.5 * (double)t, x = rankpos(&L, a);
        int big = t % 2 == 0;
        fprintf(out,
                "<line class=\"tick\" data-rank=\"%g\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
                "y2=\"%.2f\" stroke=\"black\" stroke-width=\"1\"/>\n",
                a, x, L.y_axis - (big ? BIG_TICK : SMALL_TICK), x, L.y_axis);
        if (big)
            fprintf(out,
                    "<text class=\"ticklabel\" x=\"%.2f\" y=\"%.2f\" "
                    "text-anchor=\"middle\">%g</text>\n",
                    x, L.y_axis - BIG_TICK - 4.0, a);
    }

    /* Methods: elbow from the axis down to the label row, then out to the margin. */
    for (size_t k = 0; k < m; k++) {
        size_t i = ord[k];
        int left = k < nleft;
        double ly = L.y_label0 + (double)(left ? k : m - 1 - k) * ROW_H;
        double x = rankpos(&L, rank[i]);
        double xe = left ? L.textspace - 6.0 : L.textspace + L.scalew + 6.0;
        double xt = left ? xe - 4.0 : xe + 4.0;
        fprintf(out,
                "<g class=\"method\" data-index=\"%zu\" data-rank=\"%.6f\">"
                "<polyline points=\"%.2f,%.2f %.2f,%.2f %.2f,%.2f\" fill=\"none\" "
                "stroke=\"black\" stroke-width=\"1\"/>"
                "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\">",
                i, rank[i], x, L.y_axis, x, ly, xe, ly, xt, ly + 0.35 * FONT_PX,
                left ? "end" : "start");
        put_escaped(out, names[i]);
        fprintf(out, " (%.2f)</text></g>\n", rank[i]);
    }

    for (size_t k = 0; k < nb; k++) {
        double by = y_bar0 + (double)bs[k].row * BAR_H;
        fprintf(out,
                "<line class=\"bar\" data-set=\"%zu\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
                "y2=\"%.2f\" stroke=\"black\" stroke-width=\"%.0f\" stroke-linecap=\"butt\"/>\n",
                bs[k].set, bs[k].xl, by, bs[k].xr, by, BAR_W);
    }
    fputs("</svg>\n", out);
    free(ord), free(bs);
    if (ferror(out))
        return imp_err_set(err, IMP_EIO, "CD diagram: write failed");
    return 0;
}

int imp_cdplot_svg_save(const char *path, size_t m, const char *const *names, const double *rank,
                        const imp_cliques *bars, const imp_cdplot_opts *opts, imp_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return imp_err_set(err, IMP_EIO, "%s: cannot create: %s", path, strerror(errno));
    int rc = imp_cdplot_svg(f, m, names, rank, bars, opts, err);
    if (rc)
        imp_err_prefix(err, "%s", path);
    if (fclose(f) != 0 && rc == 0)
        rc = imp_err_set(err, IMP_EIO, "%s: write failed: %s", path, strerror(errno));
    return rc;
}
