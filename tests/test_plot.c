/* test_plot.c — the paper's figures from a crafted cube whose numbers are known: the values
 * computed, where they land in the SVG (parsed back), that the PDF renders (pdftoppm) and the
 * PNG's stated size. Without pdftoppm (poppler-utils) the formats are not checked and the
 * test reports SKIP (77); every other case runs either way. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figcheck.h"
#include "imprint/cube.h"
#include "plotfig.h"
#include "testutil.h"

static imp_cube *cube;
static const double TOL = 1.0 / 256 + 1e-6; /* cairo keeps coordinates in 24.8 fixed point */

/* Draw f as SVG into memory and parse it. */
static void draw(const imp_fig *f, imp_chart_layout *L, imp_svg *S)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_fig_write(m, IMP_PLOT_SVG, f, L, &err), 0);
    fclose(m);
    IMP_ASSERT_INT_EQ(imp_svg_parse(buf, S), 0);
    IMP_ASSERT_NEAR(S->width, L->width, 1e-9);
    free(buf);
}

static const imp_fig_series *series(const imp_fig *f, const char *name)
{
    for (size_t i = 0; i < f->n_series; i++)
        if (f->series[i].name && strcmp(f->series[i].name, name) == 0)
            return &f->series[i];
    return NULL;
}

/* Accuracy against k: mean over voters of the seed medians, band the mean seed min..max. */
static void test_acc_vs_k(void)
{
    imp_fig f;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_k(cube, &f, &err), 0);
    IMP_ASSERT_INT_EQ(f.n_xcat, 2);
    IMP_ASSERT_INT_EQ(strcmp(f.xcat[0], "1") == 0 && strcmp(f.xcat[1], "5") == 0, 1);
    IMP_ASSERT_INT_EQ(f.n_series, 3);
    const imp_fig_series *km = series(&f, "l2/kmeans/l2/l2/max");
    const imp_fig_series *mean = series(&f, "Qi"); /* l2/mean/l2/l2/max, by its paper name */
    IMP_ASSERT_INT_EQ(km && mean, 1);
    if (!km || !mean)
        return;
    /* k=1: medians 72 and 81 → 76.5; minima 70, 80 → 75; maxima 74, 85 → 79.5.
     * k=5: medians 80, 91 → 85.5; band (80+90)/2 = 85 .. (90+92)/2 = 91. */
    IMP_ASSERT_NEAR(km->y[0], 76.5, 1e-12);
    IMP_ASSERT_NEAR(km->lo[0], 75.0, 1e-12);
    IMP_ASSERT_NEAR(km->hi[0], 79.5, 1e-12);
    IMP_ASSERT_NEAR(km->y[1], 85.5, 1e-12);
    IMP_ASSERT_NEAR(km->lo[1], 85.0, 1e-12);
    IMP_ASSERT_NEAR(km->hi[1], 91.0, 1e-12);
    IMP_ASSERT_NEAR(mean->y[0], 65.0, 1e-12);
    IMP_ASSERT_INT_EQ(isnan(mean->y[1]), 1); /* mean is n/a at k = 5 */

    imp_chart_layout L;
    imp_svg S;
    draw(&f, &L, &S);
    /* Data 65..91 → ticks every 10 from 60 to 100; categories at 0, 1 of [-0.5, 1.5]. */
    IMP_ASSERT_NEAR(L.ylo, 60, 1e-12);
    IMP_ASSERT_NEAR(L.yhi, 100, 1e-12);
    IMP_ASSERT_INT_EQ(L.n_ytick, 5);
    IMP_ASSERT_NEAR(L.xlo, -0.5, 1e-12);
    IMP_ASSERT_NEAR(L.xhi, 1.5, 1e-12);
    double W = L.px1 - L.px0, H = L.py1 - L.py0;
    double x0 = L.px0 + 0.25 * W, x1 = L.px0 + 0.75 * W;
#define Y(v) (L.py1 - H * ((v)-60.0) / 40.0)
    double lx[2] = {x0, x1}, ly[2] = {Y(76.5), Y(85.5)};
    IMP_ASSERT_INT_EQ(imp_svg_find(&S, 2, lx, ly, TOL) >= 0, 1); /* the k-means line */
    double bx[4] = {x0, x1, x1, x0}, by[4] = {Y(75), Y(85), Y(91), Y(79.5)};
    long band = imp_svg_find(&S, 4, bx, by, TOL);
    IMP_ASSERT_INT_EQ(band >= 0 && S.p[band].fill && S.p[band].closed, 1);
    /* a marker on every point: k-means' two, mean's and ls' single ones at k = 1 */
    IMP_ASSERT_INT_EQ(imp_svg_count_squares(&S, x0, Y(76.5), IMP_CHART_MARKER, TOL), 1);
    IMP_ASSERT_INT_EQ(imp_svg_count_squares(&S, x1, Y(85.5), IMP_CHART_MARKER, TOL), 1);
    IMP_ASSERT_INT_EQ(imp_svg_count_squares(&S, x0, Y(65), IMP_CHART_MARKER, TOL), 1);
    IMP_ASSERT_INT_EQ(imp_svg_count_squares(&S, x0, Y(90.5), IMP_CHART_MARKER, TOL), 1);
    /* the y ticks at 60 and 100 sit on the frame's bottom and top */
    double tx[2] = {L.px0 - 4.0, L.px0}, ty[2] = {L.py1, L.py1};
    IMP_ASSERT_INT_EQ(imp_svg_find(&S, 2, tx, ty, TOL) >= 0, 1);
    ty[0] = ty[1] = L.py0;
    IMP_ASSERT_INT_EQ(imp_svg_find(&S, 2, tx, ty, TOL) >= 0, 1);
    /* three legend entries below the plot */
    IMP_ASSERT_INT_EQ(L.n_legend, 3);
    IMP_ASSERT_INT_EQ(L.ly[0] > L.y_xlabel && L.ly[2] < L.height, 1);
#undef Y
    /* Keeping the 2 best lines by their highest point: ls (93 → 90.5) and k-means (85.5);
     * mean (65) goes, the order stays. */
    imp_fig_keep_best(&f, 2);
    IMP_ASSERT_INT_EQ(f.n_series, 2);
    IMP_ASSERT_INT_EQ(strcmp(f.series[0].name, "l2/kmeans/l2/l2/max"), 0);
    IMP_ASSERT_INT_EQ(strcmp(f.series[1].name, "Oracle"), 0); /* the paper's name of ls */
    IMP_ASSERT_STR_CONTAINS(f.note, "the 2 best of 3 by their highest point");
    imp_svg_free(&S);
    imp_fig_free(&f);

    /* With k = 20 on the axis (the cube's own copy relabelled), the k-means line says at which
     * k it is the paper's Ours; the values stay those of the second k. */
    imp_cube *c20;
    IMP_ASSERT_INT_EQ(imp_test_fig_cube(&c20), 0);
    c20->axes.k[1] = 20;
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_k(c20, &f, &err), 0);
    km = series(&f, "l2/kmeans/l2/l2/max (Ours at k=20)");
    IMP_ASSERT_INT_EQ(km != NULL, 1);
    if (km)
        IMP_ASSERT_NEAR(km->y[1], 85.5, 1e-12);
    imp_fig_free(&f);
    /* Two strategies of one GEN (the ls cells relabelled as a second mean strategy, highest
     * point 90.5 against Qi's 65): keeping 2 lines keeps one per GEN — that mean strategy and
     * k-means (85.5), not Qi; keeping 1 keeps the best GEN's line. */
    free(c20->axes.strategy[2]);
    c20->axes.strategy[2] = strdup("none/mean/none/none/max");
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_k(c20, &f, &err), 0);
    imp_fig_keep_best(&f, 2);
    IMP_ASSERT_INT_EQ(f.n_series, 2);
    IMP_ASSERT_INT_EQ(series(&f, "none/mean/none/none/max") != NULL, 1);
    IMP_ASSERT_INT_EQ(series(&f, "l2/kmeans/l2/l2/max (Ours at k=20)") != NULL, 1);
    IMP_ASSERT_STR_CONTAINS(f.note, "the best of each GEN by its highest point (of 3)");
    imp_fig_free(&f);
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_k(c20, &f, &err), 0);
    imp_fig_keep_best(&f, 1);
    IMP_ASSERT_INT_EQ(f.n_series == 1 && strcmp(f.series[0].name, "none/mean/none/none/max") == 0,
                      1);
    IMP_ASSERT_STR_CONTAINS(f.note, "the 1 best GENs, each by its best line (of 3)");
    imp_fig_free(&f);
    /* k = -1 (GEN all: every point a proxy) is the category "all", last */
    c20->axes.k[1] = -1;
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_k(c20, &f, &err), 0);
    IMP_ASSERT_INT_EQ(f.n_xcat == 2 && strcmp(f.xcat[1], "all") == 0, 1);
    imp_fig_free(&f);
    imp_cube_free(c20);
}

/* Accuracy against shot: per seed the voters' mean, then mean ± t(0.975, 2)·sd/√3. */
static void test_acc_vs_shot(void)
{
    imp_fig f;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_shot(cube, &f, &err), 0);
    IMP_ASSERT_INT_EQ(f.n_xcat, 2);
    IMP_ASSERT_INT_EQ(strcmp(f.xcat[0], "5") == 0 && strcmp(f.xcat[1], "all") == 0, 1);
    IMP_ASSERT_INT_EQ(f.n_series, 4); /* mean k=1, kmeans k=1, kmeans k=5, ls k=1 */
    const imp_fig_series *km = series(&f, "l2/kmeans/l2/l2/max k=1");
    IMP_ASSERT_INT_EQ(km != NULL, 1);
    if (!km)
        return;
    /* shot all: seeds give (70+80)/2 = 75, 76.5, 79.5 → 77, sd √5.25, half-width
     * 4.302652729749464 · √(5.25/3) = 5.691874550395142 (scipy t.ppf(0.975, 2)). */
    IMP_ASSERT_NEAR(km->y[1], 77.0, 1e-12);
    IMP_ASSERT_NEAR(km->hi[1] - km->y[1], 5.691874550395142, 1e-9);
    IMP_ASSERT_NEAR(km->y[1] - km->lo[1], 5.691874550395142, 1e-9);
    IMP_ASSERT_NEAR(km->y[0], 67.0, 1e-12); /* shot 5: every value 10 lower */
    IMP_ASSERT_NEAR(imp_t_quantile(0.05, 2), 4.302652729749464, 1e-9);
    IMP_ASSERT_NEAR(imp_t_quantile(0.05, 30), 2.0422724563012373, 1e-9);
    /* ls k=1, shot 5: seed 3 failed on t2, so seed 3 averages t1 alone: 78, 83, 83, 83, 78 →
     * per seed 80.5, 80.5, 78 → 79.666… */
    const imp_fig_series *ls = series(&f, "Oracle");
    IMP_ASSERT_INT_EQ(ls != NULL, 1);
    if (ls)
        IMP_ASSERT_NEAR(ls->y[0], (80.5 + 80.5 + 78.0) / 3, 1e-12);

    imp_chart_layout L;
    imp_svg S;
    draw(&f, &L, &S);
    double W = L.px1 - L.px0, H = L.py1 - L.py0;
    double yr = L.yhi - L.ylo;
    double x[2] = {L.px0 + 0.25 * W, L.px0 + 0.75 * W};
    double y[2] = {L.py1 - H * (67.0 - L.ylo) / yr, L.py1 - H * (77.0 - L.ylo) / yr};
    IMP_ASSERT_INT_EQ(imp_svg_find(&S, 2, x, y, TOL) >= 0, 1);
    double bx[4] = {x[0], x[1], x[1], x[0]};
    double by[4] = {L.py1 - H * (km->lo[0] - L.ylo) / yr, L.py1 - H * (km->lo[1] - L.ylo) / yr,
                    L.py1 - H * (km->hi[1] - L.ylo) / yr, L.py1 - H * (km->hi[0] - L.ylo) / yr};
    IMP_ASSERT_INT_EQ(imp_svg_find(&S, 4, bx, by, TOL) >= 0, 1);
    imp_svg_free(&S);
    imp_fig_free(&f);
}

/* GEN seconds: one box per (GEN, k), one value per distinct computation, log axis. */
static void test_gen_seconds(void)
{
    imp_fig f;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_fig_gen_seconds(cube, &f, &err), 0);
    IMP_ASSERT_INT_EQ(f.n_xcat, 4);
    const char *want[] = {"mean", "kmeans k=1", "kmeans k=5", "ls"};
    for (size_t i = 0; i < 4 && i < f.n_xcat; i++)
        IMP_ASSERT_INT_EQ(strcmp(f.xcat[i], want[i]), 0);
    IMP_ASSERT_INT_EQ(f.n_series, 1);
    const imp_fig_series *b = &f.series[0];
    IMP_ASSERT_INT_EQ(b->n, 4);
    /* kmeans k=5: seconds 1..6 at shot all and 1,2,4,5,6 at shot 5 (one cell pending):
     * 11 values → median 4, quartiles 2 and 5, whiskers 1 and 6. */
    IMP_ASSERT_NEAR(b->y[2], 4.0, 1e-6);
    IMP_ASSERT_NEAR(b->lo[2], 2.0, 1e-6);
    IMP_ASSERT_NEAR(b->hi[2], 5.0, 1e-6);
    IMP_ASSERT_NEAR(b->wlo[2], 1.0, 1e-6);
    IMP_ASSERT_NEAR(b->whi[2], 6.0, 1e-6);
    /* kmeans k=1: 0.1, 0.2, 0.3 × 2 tasks × 2 shots → median 0.2, quartiles 0.1 and 0.3 */
    IMP_ASSERT_NEAR(b->y[1], 0.2, 1e-6);
    IMP_ASSERT_NEAR(b->lo[1], 0.1, 1e-6);
    IMP_ASSERT_NEAR(b->hi[1], 0.3, 1e-6);
    IMP_ASSERT_NEAR(b->y[0], 0.01, 1e-8);
    IMP_ASSERT_NEAR(b->y[3], 0.5, 1e-7);
    /* mean and ls draw nothing at shot all: one computation for the three seeds (as plan
     * counts them). mean 2 tasks x (3 + 1) = 8, kmeans k=1 12, k=5 11, ls t1 3 + 1, t2 2 + 1
     * (seed 3 at shot 5 failed) = 7 */
    IMP_ASSERT_STR_CONTAINS(f.note, "38 GEN computations");

    imp_chart_layout L;
    imp_svg S;
    draw(&f, &L, &S);
    /* 0.01 .. 6 on a log axis: decades 10^-2 .. 10^1. */
    IMP_ASSERT_NEAR(L.ylo, -2, 1e-12);
    IMP_ASSERT_NEAR(L.yhi, 1, 1e-12);
    IMP_ASSERT_INT_EQ(L.ylog, 1);
    double H = L.py1 - L.py0, W = L.px1 - L.px0;
    double x = L.px0 + W * 2.5 / 4.0, half = 0.25 * W / 4.0;
#define Y(v) (L.py1 - H * (log10(v) + 2.0) / 3.0)
    double mx[2] = {x - half, x + half}, my[2] = {Y(4.0), Y(4.0)};
    long med = imp_svg_find(&S, 2, mx, my, TOL);
    IMP_ASSERT_INT_EQ(med >= 0, 1);
    if (med >= 0)
        IMP_ASSERT_NEAR(S.p[med].stroke_width, 2.0, 1e-9);
    double wx[2] = {x, x}, wy[2] = {Y(5.0), Y(6.0)}; /* upper whisker from q3 to the max */
    IMP_ASSERT_INT_EQ(imp_svg_find(&S, 2, wx, wy, TOL) >= 0, 1);
    double rx[4] = {x - half, x + half, x + half, x - half}, ry[4] = {Y(5), Y(5), Y(2), Y(2)};
    IMP_ASSERT_INT_EQ(imp_svg_find(&S, 4, rx, ry, TOL) >= 0, 1); /* the box q3..q1 */
#undef Y
    imp_svg_free(&S);
    imp_fig_free(&f);
}

/* NC1 against the multi-proxy gain, with a table read from CSV. */
static void test_nc1_gain(void)
{
    const char *csv = imp_test_path("nc1.csv");
    const char text[] = "model,dataset,split,nc1\nm1,dA,train,0.5\nm1,t2,train,2\n"
                        "m1,dB,train,9\nother,dA,train,1\n";
    IMP_ASSERT_INT_EQ(imp_test_write_file(csv, text, sizeof text - 1), 0);
    imp_nc1_table t;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_nc1_table_read(csv, &t, &err), 0);
    IMP_ASSERT_INT_EQ(t.n, 4);
    imp_fig f;
    double rho;
    IMP_ASSERT_INT_EQ(imp_fig_nc1_gain(cube, &t, &f, &rho, &err), 0);
    /* t1 (dataset dA from the cube's job): best k>1 = k-means k=5 median 80, best k=1
     * imprinting = k-means k=1 72 (ls is not imprinting) → 8 at NC1 0.5; t2 matches its task
     * name first (NC1 2, not dB's 9): 91 − 81 = 10. */
    IMP_ASSERT_INT_EQ(f.n_series, 1);
    const imp_fig_series *s = &f.series[0];
    IMP_ASSERT_INT_EQ(s->n, 2);
    IMP_ASSERT_INT_EQ(strcmp(s->name, "m1"), 0);
    IMP_ASSERT_NEAR(s->x[0], 0.5, 0);
    IMP_ASSERT_NEAR(s->y[0], 8.0, 1e-12);
    IMP_ASSERT_NEAR(s->x[1], 2.0, 0);
    IMP_ASSERT_NEAR(s->y[1], 10.0, 1e-12);
    IMP_ASSERT_INT_EQ(isnan(rho), 1); /* two points */
    IMP_ASSERT_STR_CONTAINS(f.note, "n = 2");
    imp_chart_layout L;
    imp_svg S;
    draw(&f, &L, &S);
    /* x log 0.1 .. 10 (2 decades), y 8..10 → ticks 8, 8.5, …, 10 */
    IMP_ASSERT_NEAR(L.xlo, -1, 1e-12);
    IMP_ASSERT_NEAR(L.xhi, 1, 1e-12);
    double W = L.px1 - L.px0, H = L.py1 - L.py0;
    double px = L.px0 + W * (log10(2.0) + 1.0) / 2.0;
    double py = L.py1 - H * (10.0 - L.ylo) / (L.yhi - L.ylo);
    IMP_ASSERT_INT_EQ(imp_svg_count_squares(&S, px, py, IMP_CHART_MARKER, TOL), 1);
    imp_svg_free(&S);
    imp_fig_free(&f);
    imp_nc1_table_free(&t);

    /* Spearman: a swap in the middle, and a tie (average ranks; scipy's values). */
    const double x4[] = {1, 2, 3, 4}, y4[] = {1, 3, 2, 4}, xt[] = {1, 2, 2, 3};
    IMP_ASSERT_NEAR(imp_spearman(x4, y4, 4), 0.8, 1e-12);
    IMP_ASSERT_NEAR(imp_spearman(xt, x4, 4), 0.9486832980505138, 1e-12);

    /* A table without the nc1 column, and a bad number, name the file and line. */
    IMP_ASSERT_INT_EQ(imp_test_write_file(csv, "model,dataset\nm1,dA\n", 20), 0);
    IMP_ASSERT_INT_EQ(imp_nc1_table_read(csv, &t, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "line 1: expected a header with the columns model, dataset "
                                     "and nc1");
    IMP_ASSERT_INT_EQ(imp_test_write_file(csv, "model,dataset,nc1\nm1,dA,x\n", 25), 0);
    IMP_ASSERT_INT_EQ(imp_nc1_table_read(csv, &t, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "line 2: expected 3 fields with a number in column nc1");
}

/* Each format from its extension: the PDF renders with pdftoppm at the figure's size in
 * points (72 dpi), the PNG header states IMP_PLOT_PNG_SCALE times it. */
static int g_have_pdftoppm;

static void test_formats(void)
{
    /* the figures' numbers are checked elsewhere; their files need pdftoppm */
    if (!g_have_pdftoppm) {
        imp_test_skip("pdftoppm (poppler-utils) not found: the formats are not checked");
        return;
    }
    imp_fig f;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_k(cube, &f, &err), 0);
    imp_chart_layout L;
    const char *ext[] = {"svg", "pdf", "png"};
    char path[3][512];
    for (int i = 0; i < 3; i++) {
        snprintf(path[i], sizeof path[i], "%s.%s", imp_test_path("acc-k"), ext[i]);
        imp_plot_format fmt;
        IMP_ASSERT_INT_EQ(imp_plot_format_of(path[i], &fmt, &err), 0);
        IMP_ASSERT_INT_EQ(fmt, i);
        FILE *o = fopen(path[i], "wb");
        IMP_ASSERT_INT_EQ(imp_fig_write(o, fmt, &f, &L, &err), 0);
        fclose(o);
    }
    IMP_ASSERT_NEAR(L.width, IMP_CHART_WIDTH, 1e-12);
    unsigned w, h;
    IMP_ASSERT_INT_EQ(imp_png_size(path[2], &w, &h), 0);
    IMP_ASSERT_INT_EQ(w, (unsigned)ceil(L.width * IMP_PLOT_PNG_SCALE - 1e-9));
    IMP_ASSERT_INT_EQ(h, (unsigned)ceil(L.height * IMP_PLOT_PNG_SCALE - 1e-9));
    IMP_ASSERT_INT_EQ(w, 680);
    char *out = NULL;
    IMP_ASSERT_INT_EQ(imp_test_sh(&out, "pdftoppm -r 72 -png -singlefile '%s' '%s.render'",
                                  path[1], path[1]), 0);
    free(out);
    char rendered[600];
    snprintf(rendered, sizeof rendered, "%s.render.png", path[1]);
    IMP_ASSERT_INT_EQ(imp_png_size(rendered, &w, &h), 0);
    IMP_ASSERT_INT_EQ(w, (unsigned)lround(L.width));
    IMP_ASSERT_NEAR(h, L.height, 1.0);
    /* the rendered page is not blank: pdftoppm's PNG of the drawing is far larger than an
     * empty page's few hundred bytes */
    size_t n = 0;
    char *png = imp_read_file(rendered, &n);
    IMP_ASSERT_INT_EQ(n > 5000, 1);
    free(png);
    IMP_ASSERT_INT_EQ(imp_plot_format_of("fig.jpg", &(imp_plot_format){0}, &err), IMP_EUSAGE);
    imp_fig_free(&f);

    /* a figure of nothing is an error, not an empty picture */
    imp_chart empty = {.title = "none"};
    FILE *o = fopen("/dev/null", "w");
    IMP_ASSERT_INT_EQ(imp_chart_write(o, IMP_PLOT_SVG, &empty, NULL, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "nothing to draw");
    fclose(o);
}

/* The report's drawing defects, read back from the SVG: every marker whole inside the frame
 * (points on a nice axis bound: NC1 9.77 under the decade 10, accuracy 60 and 100 on the
 * outer ticks), every marker drawn after every line and band, bands at IMP_CHART_BAND_ALPHA,
 * and the note on its own line above the plot area, below the title. */
static void test_geometry(void)
{
    const double ax[3] = {0.2, 1.0, 9.77}, ay[3] = {60, 80, 100};
    const double bx[3] = {0.2, 1.0, 9.77}, by[3] = {100, 70, 60};
    const double lo[3] = {58, 75, 95}, hi[3] = {62, 85, 100};
    imp_series ser[2] = {{"a", IMP_SERIES_LINE, 3, ax, ay, lo, hi, NULL, NULL},
                         {"b", IMP_SERIES_LINE, 3, bx, by, NULL, NULL, NULL, NULL}};
    imp_chart ch = {.title = "t", .xlabel = "x", .ylabel = "y", .note = "Spearman rho = 1",
                    .xlog = 1, .n_series = 2, .series = ser};
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    imp_chart_layout L;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_chart_write(m, IMP_PLOT_SVG, &ch, &L, &err), 0);
    fclose(m);
    imp_svg S;
    IMP_ASSERT_INT_EQ(imp_svg_parse(buf, &S), 0);
    free(buf);
    /* the ticks still end on the decade 10 (log 1) and on 100, but the range reaches past
     * them so the markers at 9.77 and 100 fit */
    IMP_ASSERT_NEAR(L.xtick[L.n_xtick - 1], 1.0, 1e-12);
    IMP_ASSERT_INT_EQ(L.xhi > 1.0, 1);
    IMP_ASSERT_NEAR(L.ytick[L.n_ytick - 1], 100.0, 1e-12);
    IMP_ASSERT_INT_EQ(L.yhi > 100.0, 1);
    size_t markers = 0, last_line = 0, first_marker = (size_t)-1, bands = 0;
    for (size_t i = 0; i < S.n; i++) {
        const imp_svg_path *p = &S.p[i];
        int square = p->fill && p->closed && p->n >= 4 &&
                     fabs(fabs(p->x[1] - p->x[0]) + fabs(p->y[1] - p->y[0]) -
                          2 * IMP_CHART_MARKER) < TOL;
        int near_plot = p->n && p->x[0] > L.px0 - 10 && p->x[0] < L.px1 + 10 &&
                        p->y[0] > L.py0 - 10 && p->y[0] < L.py1 + 10;
        if (square && near_plot && p->opacity == 1.0) {
            markers++;
            first_marker = p->pos < first_marker ? p->pos : first_marker;
            for (size_t v = 0; v < p->n; v++) /* whole, beside the frame's 0.8 pt line */
                IMP_ASSERT_INT_EQ(p->x[v] >= L.px0 + 0.4 && p->x[v] <= L.px1 - 0.4 &&
                                      p->y[v] >= L.py0 + 0.4 && p->y[v] <= L.py1 - 0.4,
                                  1);
        } else if (!p->fill && fabs(p->stroke_width - 1.4) < 1e-9 && p->n == 3) {
            last_line = p->pos > last_line ? p->pos : last_line; /* the two 3-point lines */
        } else if (p->fill && p->opacity < 1.0 && p->n >= 6) {
            bands++;
            IMP_ASSERT_NEAR(p->opacity, IMP_CHART_BAND_ALPHA, 1e-6);
        }
    }
    IMP_ASSERT_INT_EQ(markers, 6);
    IMP_ASSERT_INT_EQ(bands, 1);
    IMP_ASSERT_INT_EQ(last_line > 0 && first_marker > last_line, 1);
    /* a and b share no point (80 against 70 at x = 1, 100 against 60 at 9.77): no ring */
    double r = IMP_CHART_MARKER + IMP_CHART_RING;
    size_t rings = 0;
    for (size_t i = 0; i < S.n; i++)
        rings += !S.p[i].fill && S.p[i].closed && S.p[i].n >= 4 &&
                 fabs(fabs(S.p[i].x[1] - S.p[i].x[0]) - 2 * r) < TOL;
    IMP_ASSERT_INT_EQ(rings, 0);
    /* the note between the title and the plot area; its baseline leaves room above py0 */
    IMP_ASSERT_INT_EQ(L.y_note > L.y_title && L.y_note <= L.py0 - 2.0, 1);
    imp_svg_free(&S);
}

/* With two seeds a 95 % t band would be t(0.975, 1) = 12.7 standard errors wide: no band,
 * and the title says why. */
static void test_two_seeds_no_band(void)
{
    imp_cube *c2;
    IMP_ASSERT_INT_EQ(imp_test_fig_cube(&c2), 0);
    for (uint64_t i = 0; i < c2->n_cells; i++) {
        size_t idx[IMP_AX__COUNT];
        imp_axes_cell_coords(&c2->axes, i, idx);
        if (idx[IMP_AX_SEED] == 2 && c2->status[i] == IMP_CELL_DONE)
            c2->status[i] = IMP_CELL_PENDING;
    }
    imp_fig f;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_shot(c2, &f, &err), 0);
    IMP_ASSERT_INT_EQ(f.no_band, 1);
    IMP_ASSERT_STR_CONTAINS(f.title, "2 seeds: no band");
    const imp_fig_series *km = series(&f, "l2/kmeans/l2/l2/max k=1");
    IMP_ASSERT_INT_EQ(km != NULL, 1);
    if (km) { /* seeds 1, 2 at shot all: 75, 76.5 → 75.75, and no interval */
        IMP_ASSERT_NEAR(km->y[1], 75.75, 1e-12);
        IMP_ASSERT_INT_EQ(isnan(km->lo[1]) && isnan(km->hi[1]), 1);
    }
    imp_chart_layout L;
    imp_svg S;
    draw(&f, &L, &S);
    for (size_t i = 0; i < S.n; i++) /* nothing translucent: no band polygon at all */
        IMP_ASSERT_INT_EQ(S.p[i].fill && S.p[i].opacity < 1.0, 0);
    imp_svg_free(&S);
    imp_fig_free(&f);
    imp_cube_free(c2);
}

/* A panel as a figure function leaves it (heap-owned): category "20" only, lines b (5) and
 * a (7). */
static int imp_test_fig_panel(imp_fig *f)
{
    memset(f, 0, sizeof *f);
    f->kind = IMP_SERIES_LINE;
    f->xcat = malloc(sizeof *f->xcat);
    f->series = calloc(2, sizeof *f->series);
    if (!f->xcat || !f->series)
        return -1;
    f->xcat[0] = strdup("20"), f->n_xcat = 1;
    const char *names[2] = {"b", "a"};
    for (int i = 0; i < 2; i++) {
        imp_fig_series *S = &f->series[i];
        S->name = strdup(names[i]), S->n = 1, S->group = -1;
        S->x = malloc(sizeof *S->x), S->y = malloc(sizeof *S->y);
        if (!S->name || !S->x || !S->y)
            return -1;
        S->x[0] = 0, S->y[0] = i ? 7.0 : 5.0;
        f->n_series++;
    }
    return 0;
}

/* Facet panels: two charts of different ranges drawn as one grid share their axes (same
 * range, same ticks), sit side by side at half the width each, keep their points where the
 * shared axes put them, and share one legend below; imp_fig_align maps a panel's categories
 * and lines onto the whole figure's. */
static void test_grid(void)
{
    const double x[2] = {0, 1}, y1[2] = {60, 70}, y2[2] = {80, 95};
    imp_series s1 = {"a", IMP_SERIES_LINE, 2, x, y1, NULL, NULL, NULL, NULL};
    imp_series s2 = {"a", IMP_SERIES_LINE, 2, x, y2, NULL, NULL, NULL, NULL};
    const char *cat[2] = {"1", "20"};
    imp_chart ch[2] = {{.title = "p1", .n_xcat = 2, .xcat = cat, .n_series = 1, .series = &s1},
                       {.title = "p2", .n_xcat = 2, .xcat = cat, .n_series = 1, .series = &s2}};
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    imp_chart_grid G;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_chart_grid_write(m, IMP_PLOT_SVG, ch, 2, 500, &G, &err), 0);
    fclose(m);
    imp_svg S;
    IMP_ASSERT_INT_EQ(imp_svg_parse(buf, &S), 0);
    free(buf);
    IMP_ASSERT_INT_EQ(G.cols, 2);
    IMP_ASSERT_INT_EQ(G.rows, 1);
    IMP_ASSERT_NEAR(S.width, 500, 1e-9);
    IMP_ASSERT_NEAR(G.dx[1], 250, 1e-12);
    /* one range for both: 60..95 → ticks 60..100 on each */
    IMP_ASSERT_NEAR(G.L[0].ylo, G.L[1].ylo, 1e-12);
    IMP_ASSERT_NEAR(G.L[0].yhi, G.L[1].yhi, 1e-12);
    IMP_ASSERT_INT_EQ(G.L[0].n_ytick, G.L[1].n_ytick);
    IMP_ASSERT_NEAR(G.L[0].ytick[0], 60, 1e-12);
    IMP_ASSERT_NEAR(G.L[1].ytick[G.L[1].n_ytick - 1], 100, 1e-12);
    /* panel 2's point (1, 95) at its offset, in the shared scale */
    const imp_chart_layout *L = &G.L[1];
    double px = G.dx[1] + imp_chart_xpos(L, 1), py = G.dy[1] + imp_chart_ypos(L, 95);
    IMP_ASSERT_INT_EQ(imp_svg_count_squares(&S, px, py, IMP_CHART_MARKER, TOL), 1);
    /* one legend entry, below the panels */
    IMP_ASSERT_INT_EQ(G.legend.n_legend, 1);
    IMP_ASSERT_INT_EQ(G.legend.ly[0] + G.legend_dy > G.L[0].height, 1);
    IMP_ASSERT_INT_EQ(G.height > G.L[0].height, 1);
    imp_svg_free(&S);

    /* align: the panel has categories "20" only and lines b, a; the figure a, b, c over "1",
     * "20" — the panel becomes a, b, c over "1", "20" with its values at "20" */
    imp_fig whole = {0}, panel = {0};
    whole.kind = panel.kind = IMP_SERIES_LINE;
    imp_fig_series ws[3] = {{.name = "a"}, {.name = "b"}, {.name = "c"}};
    char *wc[2] = {"1", "20"};
    whole.series = ws, whole.n_series = 3, whole.xcat = wc, whole.n_xcat = 2;
    IMP_ASSERT_INT_EQ(imp_test_fig_panel(&panel), 0);
    IMP_ASSERT_INT_EQ(imp_fig_align(&panel, &whole, &err), 0);
    IMP_ASSERT_INT_EQ(panel.n_series, 3);
    IMP_ASSERT_INT_EQ(panel.n_xcat, 2);
    IMP_ASSERT_INT_EQ(strcmp(panel.series[0].name, "a") == 0 &&
                          strcmp(panel.series[2].name, "c") == 0, 1);
    IMP_ASSERT_INT_EQ(isnan(panel.series[0].y[0]), 1);
    IMP_ASSERT_NEAR(panel.series[0].y[1], 7.0, 0);
    IMP_ASSERT_NEAR(panel.series[1].y[1], 5.0, 0);
    IMP_ASSERT_INT_EQ(isnan(panel.series[2].y[1]), 1);
    imp_fig_free(&panel);

    /* a line drawing exactly an earlier one's points says so in the legend */
    IMP_ASSERT_INT_EQ(imp_test_fig_panel(&panel), 0);
    imp_fig_mark_ties(&panel);
    IMP_ASSERT_INT_EQ(strcmp(panel.series[1].name, "a"), 0); /* 7 vs 5: no tie */
    panel.series[1].y[0] = 5.0;
    imp_fig_mark_ties(&panel);
    IMP_ASSERT_INT_EQ(strcmp(panel.series[1].name, "a = b"), 0);
    imp_fig_free(&panel);
}

/* A selection of shot 5 alone (--where shot=5 masks shot all to n/a): the k figure draws
 * shot 5 — the main shot is "all" only when it has done cells. */
static void test_main_shot_of_selection(void)
{
    imp_cube *c5;
    IMP_ASSERT_INT_EQ(imp_test_fig_cube(&c5), 0);
    for (uint64_t i = 0; i < c5->n_cells; i++) {
        size_t idx[IMP_AX__COUNT];
        imp_axes_cell_coords(&c5->axes, i, idx);
        if (c5->axes.shot[idx[IMP_AX_SHOT]] == -1)
            c5->status[i] = IMP_CELL_NA;
    }
    IMP_ASSERT_INT_EQ(imp_fig_main_shot(c5), 0);
    imp_fig f;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_k(c5, &f, &err), 0);
    IMP_ASSERT_STR_CONTAINS(f.title, "shot 5");
    const imp_fig_series *km = series(&f, "l2/kmeans/l2/l2/max");
    IMP_ASSERT_INT_EQ(km != NULL, 1);
    if (km) /* k = 1 at shot 5: medians 62 (t1) and 71 (t2) */
        IMP_ASSERT_NEAR(km->y[0], 66.5, 1e-12);
    imp_fig_free(&f);
    imp_cube_free(c5);
    IMP_ASSERT_INT_EQ(imp_fig_main_shot(cube), 1); /* the whole cube: all */
}

/* Qi's single point at k = 1 is k-means' k = 1 point: the later series' marker covers it, so
 * the covered one gets a ring around it (and the top one none). */
static void test_covered_marker(void)
{
    const double x1[1] = {0}, y1[1] = {65}, x2[2] = {0, 1}, y2[2] = {65, 85};
    imp_series ser[2] = {{"Qi", IMP_SERIES_LINE, 1, x1, y1, NULL, NULL, NULL, NULL},
                         {"kmeans", IMP_SERIES_LINE, 2, x2, y2, NULL, NULL, NULL, NULL}};
    const char *cat[2] = {"1", "20"};
    imp_chart ch = {.n_xcat = 2, .xcat = cat, .n_series = 2, .series = ser};
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    imp_chart_layout L;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_chart_write(m, IMP_PLOT_SVG, &ch, &L, &err), 0);
    fclose(m);
    imp_svg S;
    IMP_ASSERT_INT_EQ(imp_svg_parse(buf, &S), 0);
    free(buf);
    double px = imp_chart_xpos(&L, 0), py = imp_chart_ypos(&L, 65), r = IMP_CHART_MARKER + IMP_CHART_RING;
    double rx[4] = {px - r, px + r, px + r, px - r}, ry[4] = {py - r, py - r, py + r, py + r};
    long ring = imp_svg_find(&S, 4, rx, ry, TOL);
    IMP_ASSERT_INT_EQ(ring >= 0 && !S.p[ring].fill, 1);
    double qx = imp_chart_xpos(&L, 1), qy = imp_chart_ypos(&L, 85);
    double sx[4] = {qx - r, qx + r, qx + r, qx - r}, sy[4] = {qy - r, qy - r, qy + r, qy + r};
    IMP_ASSERT_INT_EQ(imp_svg_find(&S, 4, sx, sy, TOL), -1); /* nothing covers k = 20 */
    IMP_ASSERT_INT_EQ(imp_svg_count_squares(&S, px, py, IMP_CHART_MARKER, TOL), 2);
    imp_svg_free(&S);
}

/* A cube with one k and one shot has neither figure; the reason is given. */
static void test_not_applicable(void)
{
    static char *m[] = {"m"}, *t[] = {"t"}, *s[] = {"l2/mean/l2/l2/max"};
    static int64_t k[] = {1}, sh[] = {-1}, se[] = {1};
    imp_axes a = {.n_model = 1, .model = m, .n_task = 1, .task = t, .n_strategy = 1,
                       .strategy = s, .n_k = 1, .k = k, .n_shot = 1, .shot = sh, .n_seed = 1,
                       .seed = se};
    imp_cube *c;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, NULL, &c, &err), 0);
    imp_fig f;
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_k(c, &f, &err), IMP_ENOTFOUND);
    IMP_ASSERT_STR_CONTAINS(err.msg, "the cube has one k (1)");
    IMP_ASSERT_INT_EQ(imp_fig_acc_vs_shot(c, &f, &err), IMP_ENOTFOUND);
    IMP_ASSERT_INT_EQ(imp_fig_gen_seconds(c, &f, &err), IMP_ENOTFOUND);
    IMP_ASSERT_STR_CONTAINS(err.msg, "no done cell has a GEN time");
    imp_cube_free(c);
}

int main(void)
{
    char *out = NULL;
    int have = imp_test_sh(&out, "command -v pdftoppm") == 0;
    free(out);
    if (imp_test_fig_cube(&cube) != 0) {
        fprintf(stderr, "test_plot: cannot build the crafted cube\n");
        return 1;
    }
    const imp_test tests[] = {{"accuracy against k", test_acc_vs_k},
                              {"accuracy against shot, 95% CI", test_acc_vs_shot},
                              {"GEN seconds box plot", test_gen_seconds},
                              {"NC1 against gain", test_nc1_gain},
                              {"figures the axes do not allow", test_not_applicable},
                              {"SVG, PDF (pdftoppm) and PNG", test_formats},
                              {"markers whole and on top, light bands, note outside",
                               test_geometry},
                              {"two seeds: no confidence band", test_two_seeds_no_band},
                              {"facet panels: shared axes, one legend", test_grid},
                              {"main shot of a selection", test_main_shot_of_selection},
                              {"a covered marker gets a ring", test_covered_marker},
                              {NULL, NULL}};
    g_have_pdftoppm = have;
    int rc = imp_test_main("plot", tests);
    imp_cube_free(cube);
    return rc;
}
