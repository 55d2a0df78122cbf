/* fig.c — a computed figure (series, bands, categories) and what every figure does with one:
 * draw it or its facet panels through the chart, align a panel to its figure, keep the best
 * lines, name the lines that hide each other. */
#include "fig.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fig_priv.h"

static void series_free(imp_fig_series *S)
{
    free(S->name), free(S->x), free(S->y), free(S->lo), free(S->hi), free(S->wlo);
    free(S->whi);
}


void imp_fig_free(imp_fig *f)
{
    for (size_t i = 0; i < f->n_xcat; i++)
        free(f->xcat[i]);
    for (size_t s = 0; s < f->n_series; s++)
        series_free(&f->series[s]);
    free(f->xcat), free(f->series);
    memset(f, 0, sizeof *f);
}

int imp_fig_write(FILE *out, imp_plot_format fmt, const imp_fig *f, imp_chart_layout *L,
                  imp_err *err)
{
    imp_series *s = calloc(f->n_series ? f->n_series : 1, sizeof *s);
    if (!s)
        return imp_err_set(err, IMP_ENOMEM, "figure: out of memory");
    for (size_t i = 0; i < f->n_series; i++) {
        const imp_fig_series *F = &f->series[i];
        s[i] = (imp_series){F->name, f->kind, F->n, F->x, F->y, F->lo, F->hi, F->wlo, F->whi};
    }
    imp_chart ch = {.title = f->title, .xlabel = f->xlabel, .ylabel = f->ylabel,
                    .note = f->note, .n_xcat = f->n_xcat, .xcat = (const char *const *)f->xcat,
                    .xlog = f->xlog, .ylog = f->ylog, .ylo_zero = f->ylo_zero,
                    .n_series = f->n_series, .series = s, .width = f->width};
    int rc = imp_chart_write(out, fmt, &ch, L, err);
    free(s);
    return rc;
}

int imp_fig_write_panels(FILE *out, imp_plot_format fmt, const imp_fig *figs,
                         const char *const *titles, size_t n, double width, imp_chart_grid *G,
                         imp_err *err)
{
    size_t ns = 0;
    for (size_t i = 0; i < n; i++)
        ns += figs[i].n_series;
    imp_series *s = calloc(ns ? ns : 1, sizeof *s);
    imp_chart *ch = calloc(n ? n : 1, sizeof *ch);
    if (!s || !ch) {
        free(s), free(ch);
        return imp_err_set(err, IMP_ENOMEM, "figure: out of memory");
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const imp_fig *f = &figs[i];
        for (size_t j = 0; j < f->n_series; j++) {
            const imp_fig_series *F = &f->series[j];
            s[o + j] = (imp_series){F->name, f->kind, F->n, F->x, F->y, F->lo, F->hi, F->wlo,
                                    F->whi};
        }
        ch[i] = (imp_chart){.title = titles[i], .xlabel = f->xlabel, .ylabel = f->ylabel,
                            .note = f->note, .n_xcat = f->n_xcat,
                            .xcat = (const char *const *)f->xcat, .xlog = f->xlog,
                            .ylog = f->ylog, .ylo_zero = f->ylo_zero, .n_series = f->n_series,
                            .series = s + o};
        o += f->n_series;
    }
    int rc = imp_chart_grid_write(out, fmt, ch, n, width, G, err);
    free(s), free(ch);
    return rc;
}

/* Index of category text in like's categories, or -1. */
static long cat_index(const imp_fig *like, const char *text)
{
    for (size_t i = 0; i < like->n_xcat; i++)
        if (strcmp(like->xcat[i], text) == 0)
            return (long)i;
    return -1;
}

int imp_fig_align(imp_fig *f, const imp_fig *like, imp_err *err)
{
    imp_fig g;
    memset(&g, 0, sizeof g);
    int rc = 0;
    for (size_t i = 0; !rc && i < like->n_xcat; i++)
        rc = imp__fig_add_cat(&g, like->xcat[i]);
    for (size_t j = 0; !rc && j < like->n_series; j++) {
        const imp_fig_series *L = &like->series[j], *F = NULL;
        for (size_t i = 0; i < f->n_series && !F; i++)
            if (f->series[i].name && L->name ? strcmp(f->series[i].name, L->name) == 0
                                              : !f->series[i].name && !L->name && i == j)
                F = &f->series[i]; /* unnamed (a box plot's one series): by position */
        int band = L->lo != NULL || (F && F->lo), whisk = L->wlo != NULL || (F && F->wlo);
        size_t n = like->n_xcat ? like->n_xcat : F ? F->n : 0;
        imp_fig_series *S = imp__fig_add_series(&g, L->name, n, band, whisk);
        if (!S) {
            rc = -1;
            break;
        }
        S->group = L->group;
        for (size_t p = 0; F && p < F->n; p++) {
            long d = (long)p;
            if (like->n_xcat)
                d = F->x[p] >= 0 && (size_t)F->x[p] < f->n_xcat
                        ? cat_index(like, f->xcat[(size_t)F->x[p]])
                        : -1;
            else
                S->x[p] = F->x[p];
            if (d < 0)
                continue; /* a category the reference figure has not: cannot be shown */
            S->y[d] = F->y[p];
            if (F->lo && S->lo)
                S->lo[d] = F->lo[p], S->hi[d] = F->hi[p];
            if (F->wlo && S->wlo)
                S->wlo[d] = F->wlo[p], S->whi[d] = F->whi[p];
        }
    }
    if (rc) {
        imp_fig_free(&g);
        return imp_err_set(err, IMP_ENOMEM, "figure: out of memory");
    }
    memcpy(g.title, f->title, sizeof g.title), memcpy(g.xlabel, f->xlabel, sizeof g.xlabel);
    memcpy(g.ylabel, f->ylabel, sizeof g.ylabel), memcpy(g.note, f->note, sizeof g.note);
    memcpy(g.group_what, f->group_what, sizeof g.group_what);
    g.kind = f->kind, g.xlog = f->xlog, g.ylog = f->ylog, g.ylo_zero = f->ylo_zero;
    g.no_band = f->no_band, g.width = f->width;
    imp_fig_free(f);
    *f = g;
    return 0;
}

static double series_max(const imp_fig_series *S)
{
    double m = -INFINITY;
    for (size_t i = 0; i < S->n; i++)
        if (isfinite(S->y[i]))
            m = fmax(m, S->y[i]);
    return m;
}

/* Is series i the best of its group (highest point; the first on ties)? */
static int best_of_group(const imp_fig *f, size_t i)
{
    const imp_fig_series *S = &f->series[i];
    if (S->group < 0)
        return 1;
    double m = series_max(S);
    for (size_t j = 0; j < f->n_series; j++) {
        if (j == i || f->series[j].group != S->group)
            continue;
        double mj = series_max(&f->series[j]);
        if (mj > m || (mj == m && j < i))
            return 0;
    }
    return 1;
}

void imp_fig_keep_best(imp_fig *f, size_t n)
{
    size_t total = f->n_series, n_elig = 0;
    if (total <= n)
        return;
    unsigned char *elig = calloc(total, 1), *keep = calloc(total, 1);
    if (!elig || !keep) {
        free(elig), free(keep);
        return; /* leave the figure whole rather than half-cut */
    }
    for (size_t i = 0; i < total; i++)
        n_elig += elig[i] = (unsigned char)best_of_group(f, i);
    size_t n_keep = n_elig < n ? n_elig : n;
    for (size_t k = 0; k < n_keep; k++) {
        size_t best = total;
        for (size_t i = 0; i < total; i++)
            if (elig[i] && !keep[i] && (best == total || series_max(&f->series[i]) >
                                                             series_max(&f->series[best])))
                best = i;
        keep[best] = 1;
    }
    size_t w = 0;
    for (size_t i = 0; i < total; i++) {
        if (keep[i]) {
            f->series[w++] = f->series[i];
            continue;
        }
        series_free(&f->series[i]);
    }
    f->n_series = w;
    free(elig), free(keep);
    if (n_elig == total)
        snprintf(f->note, sizeof f->note, "the %zu best of %zu by their highest point", n, total);
    else if (n_elig <= n)
        snprintf(f->note, sizeof f->note, "the best of each %s by its highest point (of %zu)",
                 f->group_what, total);
    else
        snprintf(f->note, sizeof f->note, "the %zu best %ss, each by its best line (of %zu)", n,
                 f->group_what, total);
}

/* Do series a and b draw the same points (same x, y where either is drawn)? */
static int same_points(const imp_fig_series *a, const imp_fig_series *b)
{
    if (a->n != b->n)
        return 0;
    size_t drawn = 0;
    for (size_t i = 0; i < a->n; i++) {
        int fa = isfinite(a->y[i]), fb = isfinite(b->y[i]);
        if (fa != fb || (fa && (a->x[i] != b->x[i] || fabs(a->y[i] - b->y[i]) > 1e-9)))
            return 0;
        drawn += fa;
    }
    return drawn > 0;
}

void imp_fig_mark_ties(imp_fig *f)
{
    for (size_t j = 1; j < f->n_series; j++) {
        imp_fig_series *S = &f->series[j];
        for (size_t i = 0; i < j && S->name; i++) {
            const imp_fig_series *T = &f->series[i];
            if (!T->name || !same_points(T, S))
                continue;
            size_t n = strlen(S->name) + strlen(T->name) + 4;
            char *name = malloc(n);
            if (!name)
                return; /* the legend keeps the plain name */
            snprintf(name, n, "%s = %s", S->name, T->name);
            free(S->name);
            S->name = name;
            break;
        }
    }
}

imp_fig_series *imp__fig_add_series(imp_fig *f, const char *name, size_t n, int band, int whisk)
{
    imp_fig_series *ns = realloc(f->series, (f->n_series + 1) * sizeof *ns);
    if (!ns)
        return NULL;
    f->series = ns;
    imp_fig_series *S = &ns[f->n_series];
    memset(S, 0, sizeof *S);
    S->n = n;
    S->group = -1;
    S->name = name ? strdup(name) : NULL;
    double **arr[] = {&S->x, &S->y, &S->lo, &S->hi, &S->wlo, &S->whi};
    int want[] = {1, 1, band, band, whisk, whisk};
    int ok = !name || S->name;
    for (int a = 0; a < 6; a++) {
        if (!want[a])
            continue;
        *arr[a] = malloc((n ? n : 1) * sizeof(double));
        ok = ok && *arr[a];
        for (size_t i = 0; *arr[a] && i < n; i++)
            (*arr[a])[i] = a == 0 ? (double)i : NAN;
    }
    f->n_series++;
    return ok ? S : NULL;
}

int imp__fig_add_cat(imp_fig *f, const char *text)
{
    char **nc = realloc(f->xcat, (f->n_xcat + 1) * sizeof *nc);
    if (!nc)
        return -1;
    f->xcat = nc;
    if (!(nc[f->n_xcat] = strdup(text)))
        return -1;
    f->n_xcat++;
    return 0;
}

