/* test_cdplot.c — the CD diagram: its layout (positions follow the ranks, bars span their
 * members, labels and lines do not collide) and the cairo SVG read back (every elbow, tick and
 * bar drawn where the layout says), plus the PDF and PNG outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdplot.h"
#include "figcheck.h"
#include "testutil.h"

typedef struct drawn {
    imp_cdplot_layout L;
    char *svg;
} drawn;

static void render(drawn *D, size_t m, const char *const *names, const double *rank,
                   const imp_cliques *bars, const imp_cdplot_opts *o)
{
    size_t len = 0;
    D->svg = NULL;
    FILE *f = open_memstream(&D->svg, &len);
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_cdplot_write(f, IMP_PLOT_SVG, m, names, rank, bars, o, &D->L, &err);
    fclose(f);
    IMP_ASSERT_INT_EQ(rc, 0);
}

static void release(drawn *D)
{
    imp_cdplot_layout_free(&D->L);
    free(D->svg);
}

static double tick_x(const imp_cdplot_layout *L, double rank)
{
    for (size_t i = 0; i < L->n_ticks; i++)
        if (L->tick_rank[i] == rank)
            return L->tick_x[i];
    return NAN;
}

static const imp_cdplot_method *method(const imp_cdplot_layout *L, size_t index)
{
    for (size_t k = 0; k < L->m; k++)
        if (L->method[k].index == index)
            return &L->method[k];
    return NULL;
}

/* The SVG has every line of the layout as a path: the axis, each tick, each method's 3-point
 * elbow from the axis, each bar with the bar width. cairo stores coordinates in 1/256 pt. */
static void check_svg_matches_layout(const drawn *D)
{
    const imp_cdplot_layout *L = &D->L;
    imp_svg S;
    IMP_ASSERT_INT_EQ(imp_svg_parse(D->svg, &S), 0);
    IMP_ASSERT_NEAR(S.width, ceil(L->width), 1e-9);
    IMP_ASSERT_NEAR(S.height, ceil(L->height), 1e-9);
    const double tol = 1.0 / 256 + 1e-9;
    double ax[2] = {L->textspace, L->textspace + L->scalew}, ay[2] = {L->y_axis, L->y_axis};
    IMP_ASSERT_INT_EQ(imp_svg_find(&S, 2, ax, ay, tol) >= 0, 1);
    for (size_t t = 0; t < L->n_ticks; t++) {
        double x[2] = {L->tick_x[t], L->tick_x[t]};
        double y[2] = {L->y_axis - (t % 2 == 0 ? 10.0 : 5.0), L->y_axis};
        IMP_ASSERT_INT_EQ(imp_svg_find(&S, 2, x, y, tol) >= 0, 1);
    }
    for (size_t k = 0; k < L->m; k++) {
        const imp_cdplot_method *me = &L->method[k];
        double x[3] = {me->px, me->px, me->xe}, y[3] = {L->y_axis, me->ly, me->ly};
        IMP_ASSERT_INT_EQ(imp_svg_find(&S, 3, x, y, tol) >= 0, 1);
    }
    for (size_t b = 0; b < L->n_bars; b++) {
        double x[2] = {L->bar[b].x1, L->bar[b].x2}, y[2] = {L->bar[b].y, L->bar[b].y};
        long i = imp_svg_find(&S, 2, x, y, tol);
        IMP_ASSERT_INT_EQ(i >= 0, 1);
        if (i >= 0)
            IMP_ASSERT_NEAR(S.p[i].stroke_width, IMP_CDPLOT_BAR_W, 1e-9);
    }
    /* Text is drawn as glyphs (cairo), never as <text>. */
    IMP_ASSERT_INT_EQ(strstr(D->svg, "<text") == NULL, 1);
    imp_svg_free(&S);
}

/* Labels of one side are on distinct rows at least one row height apart, and no elbow's
 * vertical crosses another elbow's horizontal run. */
static void check_no_collisions(const imp_cdplot_layout *L)
{
    for (size_t i = 0; i < L->m; i++)
        for (size_t j = 0; j < L->m; j++) {
            if (i == j)
                continue;
            const imp_cdplot_method *a = &L->method[i], *b = &L->method[j];
            if (a->right == b->right)
                IMP_ASSERT_INT_EQ(fabs(a->ly - b->ly) >= IMP_CDPLOT_ROW_H - 0.01, 1);
            double lo = fmin(a->px, a->xe), hi = fmax(a->px, a->xe);
            int crosses = b->px > lo + 1e-9 && b->px < hi - 1e-9 && b->ly > a->ly + 1e-9;
            IMP_ASSERT_INT_EQ(crosses, 0);
        }
}

static void test_paper_five(void)
{
    const char *names[] = {"Hosoda", "Janson", "Qi", "Ours", "Oracle"};
    const double rank[] = {4.270833, 3.916667, 3.666667, 2.0, 1.0};
    drawn D;
    render(&D, 5, names, rank, NULL, NULL);
    const imp_cdplot_layout *L = &D.L;
    IMP_ASSERT_INT_EQ(strcmp(L->title, "Average rank"), 0);
    IMP_ASSERT_INT_EQ(L->n_ticks, 9); /* ranks 1..5 every 0.5 */
    IMP_ASSERT_INT_EQ(L->n_bars, 0);
    /* The geometry of the hand-written SVG: 5 methods, labels of 13 chars → text margin 90 pt
     * (min) unless the real font needs more, scale 360 pt, axis at y = 8+13+8+13+10+8 = 60. */
    IMP_ASSERT_NEAR(L->scalew, 360.0, 1e-12);
    IMP_ASSERT_NEAR(L->y_axis, 60.0, 1e-12);
    IMP_ASSERT_NEAR(L->textspace, 20.0 + 7.6 * 13, 1e-9); /* "Hosoda (4.27)" */
    double x1 = tick_x(L, 1), x5 = tick_x(L, 5);
    IMP_ASSERT_NEAR(x5, L->textspace, 1e-12);
    IMP_ASSERT_NEAR(x1, L->textspace + 360.0, 1e-12); /* rank 1 on the right */
    IMP_ASSERT_NEAR(tick_x(L, 2.5), x5 + (x1 - x5) * 2.5 / 4, 1e-9);
    const char *want[] = {"Hosoda (4.27)", "Janson (3.92)", "Qi (3.67)", "Ours (2.00)",
                          "Oracle (1.00)"};
    for (size_t i = 0; i < 5; i++) {
        const imp_cdplot_method *me = method(L, i);
        IMP_ASSERT_INT_EQ(me != NULL, 1);
        if (!me)
            continue;
        IMP_ASSERT_NEAR(me->px, x1 + (x5 - x1) * (rank[i] - 1.0) / 4.0, 1e-9);
        IMP_ASSERT_INT_EQ(strcmp(me->text, want[i]), 0);
        /* three worst on the left of the axis, two best on the right */
        IMP_ASSERT_INT_EQ(me->right, i >= 3);
        IMP_ASSERT_INT_EQ(me->right ? me->tx > x1 : me->tx < x5, 1);
    }
    /* Label rows: Hosoda, Janson, Qi down the left from y_label0 = axis + 40; Oracle, Ours. */
    IMP_ASSERT_NEAR(method(L, 0)->ly, 100.0, 1e-12);
    IMP_ASSERT_NEAR(method(L, 2)->ly, 140.0, 1e-12);
    IMP_ASSERT_NEAR(method(L, 4)->ly, 100.0, 1e-12);
    IMP_ASSERT_NEAR(method(L, 3)->ly, 120.0, 1e-12);
    check_no_collisions(L);
    check_svg_matches_layout(&D);
    release(&D);
}

static void test_cliques_and_names(void)
{
    const char *names[] = {"A&B <x> \"q\"", "beta", "gamma", "delta", "eps", "zeta"};
    const double rank[] = {1.2, 1.9, 2.4, 3.1, 4.8, 5.6};
    size_t off[] = {0, 3, 5, 7, 8}, mem[] = {0, 1, 2, 2, 3, 4, 5, 3};
    imp_cliques c = {4, off, mem}; /* the last set has one member: not drawn */
    imp_cdplot_opts o = {.title = "Ranks & <CD>", .cd = 1.1};
    drawn D;
    render(&D, 6, names, rank, &c, &o);
    const imp_cdplot_layout *L = &D.L;
    IMP_ASSERT_INT_EQ(strcmp(method(L, 0)->text, "A&B <x> \"q\" (1.20)"), 0);
    IMP_ASSERT_INT_EQ(strcmp(L->title, "Ranks & <CD>"), 0);
    /* The SVG stays well-formed XML whatever the names: no raw names in it at all. */
    IMP_ASSERT_INT_EQ(strstr(D.svg, "A&B") == NULL && strstr(D.svg, "<x>") == NULL, 1);
    /* CD segment of 1.1 ranks from the worst end: 1.1 × scalew / (highv − lowv). */
    IMP_ASSERT_NEAR(L->cd_x1 - L->cd_x0, 1.1 * L->scalew / (L->highv - L->lowv), 1e-9);
    IMP_ASSERT_INT_EQ(L->n_bars, 3);
    double ylabel_min = INFINITY;
    for (size_t k = 0; k < L->m; k++)
        ylabel_min = fmin(ylabel_min, L->method[k].ly);
    for (size_t b = 0; b < L->n_bars; b++) {
        /* Each bar spans its worst to its best member's elbow position, ± the side margin. */
        size_t set = L->bar[b].set;
        IMP_ASSERT_INT_EQ(set < 3, 1);
        if (set >= 3)
            continue;
        size_t worst = mem[off[set + 1] - 1], best = mem[off[set]];
        IMP_ASSERT_NEAR(L->bar[b].x1, method(L, worst)->px - IMP_CDPLOT_BAR_SIDE, 1e-9);
        IMP_ASSERT_NEAR(L->bar[b].x2, method(L, best)->px + IMP_CDPLOT_BAR_SIDE, 1e-9);
        IMP_ASSERT_INT_EQ(L->bar[b].y > L->y_axis && L->bar[b].y < ylabel_min, 1);
        for (size_t b2 = 0; b2 < L->n_bars; b2++)
            if (b2 != b && L->bar[b2].y == L->bar[b].y)
                IMP_ASSERT_INT_EQ(L->bar[b2].x2 < L->bar[b].x1 || L->bar[b].x2 < L->bar[b2].x1,
                                  1);
    }
    /* {0,1,2} and {2,3} share gamma: they must be on different rows. */
    double y0 = NAN, y1 = NAN;
    for (size_t b = 0; b < L->n_bars; b++) {
        if (L->bar[b].set == 0)
            y0 = L->bar[b].y;
        if (L->bar[b].set == 1)
            y1 = L->bar[b].y;
    }
    IMP_ASSERT_INT_EQ(isfinite(y0) && isfinite(y1) && y0 != y1, 1);
    check_no_collisions(L);
    check_svg_matches_layout(&D);
    release(&D);
}

static void test_twelve_and_twenty(void)
{
    const char *n12[] = {"l2/kmeans/l2/l2/max k=20", "none/mean/quantile/none/max",
                         "none/mean/none/none/nn:euclidean", "l2/mean/l2/l2/max",
                         "none/ls/none/none/max", "m6", "m7", "m8", "m9", "m10", "m11", "m12"};
    const double r12[] = {2.1, 8.3, 7.9, 6.2, 1.4, 3.3, 3.5, 5.0, 9.9, 10.5, 11.2, 4.1};
    imp_cliques bars;
    IMP_ASSERT_INT_EQ(imp_stats_nemenyi_bars(r12, 12, 2.0, &bars, NULL), 0);
    drawn D;
    render(&D, 12, n12, r12, &bars, NULL);
    IMP_ASSERT_INT_EQ(D.L.n_bars, bars.n);
    IMP_ASSERT_INT_EQ(D.L.n_ticks, 23);
    check_no_collisions(&D.L);
    check_svg_matches_layout(&D);
    /* Every left label, measured in the real font, ends left of the axis and starts inside. */
    for (size_t k = 0; k < D.L.m; k++) {
        const imp_cdplot_method *me = &D.L.method[k];
        double w = imp_text_measure(13.0, me->text);
        if (!me->right)
            IMP_ASSERT_INT_EQ(me->tx - w > 0 && me->tx < D.L.textspace, 1);
        else
            IMP_ASSERT_INT_EQ(me->tx + w < D.L.width, 1);
    }
    imp_cliques_free(&bars);
    release(&D);

    const char *n20[20];
    double r20[20];
    char buf[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(buf[i], sizeof buf[i], "method %d", i);
        n20[i] = buf[i];
        r20[i] = 1.0 + i * 0.9 + (i % 3) * 0.2;
    }
    IMP_ASSERT_INT_EQ(imp_stats_nemenyi_bars(r20, 20, 3.0, &bars, NULL), 0);
    render(&D, 20, n20, r20, &bars, NULL);
    check_no_collisions(&D.L);
    check_svg_matches_layout(&D);
    for (size_t b = 0; b < D.L.n_bars; b++)
        for (size_t b2 = b + 1; b2 < D.L.n_bars; b2++)
            if (D.L.bar[b2].y == D.L.bar[b].y)
                IMP_ASSERT_INT_EQ(D.L.bar[b2].x2 < D.L.bar[b].x1 ||
                                      D.L.bar[b].x2 < D.L.bar[b2].x1,
                                  1);
    imp_cliques_free(&bars);
    release(&D);
}

static void test_errors_and_files(void)
{
    const char *names[] = {"a", "b"};
    double rank[] = {1.0, NAN};
    imp_err err;
    imp_err_clear(&err);
    FILE *f = fopen("/dev/null", "w");
    IMP_ASSERT_INT_EQ(imp_cdplot_svg(f, 2, names, rank, NULL, NULL, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "rank of 'b' is not finite");
    rank[1] = 2.0;
    size_t off[] = {0, 2}, mem[] = {0, 7};
    imp_cliques c = {1, off, mem};
    IMP_ASSERT_INT_EQ(imp_cdplot_svg(f, 2, names, rank, &c, NULL, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "bar 0 names method 7 of 2");
    fclose(f);

    /* Each format by extension. 2 methods: width 2·90 + 360 = 540 pt, height: axis 60, labels
     * from 100, one left row → 114 pt; the PNG is IMP_PLOT_PNG_SCALE times that. */
    imp_cdplot_layout L;
    IMP_ASSERT_INT_EQ(imp_cdplot_layout_compute(2, names, rank, NULL, NULL, &L, &err), 0);
    IMP_ASSERT_NEAR(L.width, 540.0, 1e-12);
    IMP_ASSERT_NEAR(L.height, 114.0, 1e-12);
    imp_cdplot_layout_free(&L);
    char path[3][512];
    const char *ext[] = {"svg", "pdf", "png"};
    for (int i = 0; i < 3; i++) {
        snprintf(path[i], sizeof path[i], "%s", imp_test_path(ext[i]));
        strcat(path[i], ".cd.");
        strcat(path[i], ext[i]);
        IMP_ASSERT_INT_EQ(imp_cdplot_save(path[i], 2, names, rank, NULL, NULL, &err), 0);
    }
    size_t npdf = 0;
    char *svg = imp_read_file(path[0], NULL), *pdf = imp_read_file(path[1], &npdf);
    IMP_ASSERT_STR_CONTAINS(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
    IMP_ASSERT_STR_CONTAINS(svg, "width=\"540pt\" height=\"114pt\"");
    IMP_ASSERT_INT_EQ(pdf && strncmp(pdf, "%PDF-", 5) == 0, 1);
    int mediabox = 0; /* the PDF has binary streams: search past NUL bytes */
    for (size_t i = 0; pdf && i + 25 <= npdf && !mediabox; i++)
        mediabox = memcmp(pdf + i, "/MediaBox [ 0 0 540 114 ]", 25) == 0;
    IMP_ASSERT_INT_EQ(mediabox, 1);
    free(svg), free(pdf);
    unsigned w, h;
    IMP_ASSERT_INT_EQ(imp_png_size(path[2], &w, &h), 0);
    IMP_ASSERT_INT_EQ(w, 1080);
    IMP_ASSERT_INT_EQ(h, 228);
    IMP_ASSERT_INT_EQ(imp_cdplot_save("/nonexistent/dir/cd.svg", 2, names, rank, NULL, NULL,
                                      &err),
                      IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "/nonexistent/dir/cd.svg: cannot write in the directory "
                                     "/nonexistent/dir: No such file or directory");
    IMP_ASSERT_INT_EQ(imp_cdplot_save("cd.gif", 2, names, rank, NULL, NULL, &err), IMP_EUSAGE);
    IMP_ASSERT_STR_CONTAINS(err.msg, "cd.gif: expected a figure file ending in .svg, .pdf or .png");
}

int main(void)
{
    const imp_test tests[] = {{"paper's five methods", test_paper_five},
                              {"clique bars and odd names", test_cliques_and_names},
                              {"12 and 20 methods", test_twelve_and_twenty},
                              {"errors and the three formats", test_errors_and_files},
                              {NULL, NULL}};
    return imp_test_main("cdplot", tests);
}
