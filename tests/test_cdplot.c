/* test_cdplot.c — the CD diagram SVG, checked by parsing it: positions follow the ranks, bars
 * span their members, labels and lines do not collide, names are escaped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdplot.h"
#include "testutil.h"

#define MAXM 32

typedef struct parsed {
    size_t nm, nt, nb;
    struct {
        size_t index;
        double rank, px, ly, xe, tx;
        int right;
        char text[128];
    } m[MAXM];
    struct {
        double rank, x;
    } t[2 * MAXM + 4];
    struct {
        size_t set;
        double x1, x2, y;
    } b[MAXM];
    double y_axis;
} parsed;

/* Value of attribute name="…" inside the element starting at elem (before its '>'). */
static double attr(const char *elem, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *end = strchr(elem, '>');
    const char *p = strstr(elem, key);
    if (!p || (end && p > end))
        return NAN;
    return strtod(p + strlen(key), NULL);
}

static char *render(size_t m, const char *const *names, const double *rank,
                    const imp_cliques *bars, const imp_cdplot_opts *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_cdplot_svg(f, m, names, rank, bars, o, &err);
    fclose(f);
    IMP_ASSERT_INT_EQ(rc, 0);
    return buf;
}

static void parse(const char *svg, parsed *P)
{
    memset(P, 0, sizeof *P);
    const char *a = strstr(svg, "<line class=\"axis\"");
    P->y_axis = a ? attr(a, "y1") : NAN;
    for (const char *p = svg; (p = strstr(p, "<g class=\"method\"")) && P->nm < MAXM; p++) {
        size_t k = P->nm++;
        P->m[k].index = (size_t)attr(p, "data-index");
        P->m[k].rank = attr(p, "data-rank");
        const char *pl = strstr(p, "points=\"");
        double x0, y0, x1, y1, x2, y2;
        if (pl && sscanf(pl + 8, "%lf,%lf %lf,%lf %lf,%lf", &x0, &y0, &x1, &y1, &x2, &y2) == 6) {
            IMP_ASSERT_NEAR(y0, P->y_axis, 1e-9); /* every elbow starts on the axis */
            IMP_ASSERT_NEAR(x0, x1, 1e-9);        /* vertical first */
            IMP_ASSERT_NEAR(y1, y2, 1e-9);        /* then horizontal */
            P->m[k].px = x0, P->m[k].ly = y1, P->m[k].xe = x2;
        }
        const char *t = strstr(p, "<text");
        P->m[k].tx = attr(t, "x");
        P->m[k].right = strstr(t, "text-anchor=\"start\"") < strchr(t, '>') &&
                        strstr(t, "text-anchor=\"start\"") != NULL;
        const char *s = strchr(t, '>') + 1, *e = strstr(s, "</text>");
        snprintf(P->m[k].text, sizeof P->m[k].text, "%.*s", (int)(e - s), s);
    }
    for (const char *p = svg; (p = strstr(p, "<line class=\"tick\"")); p++) {
        P->t[P->nt].rank = attr(p, "data-rank");
        P->t[P->nt++].x = attr(p, "x1");
    }
    for (const char *p = svg; (p = strstr(p, "<line class=\"bar\"")) && P->nb < MAXM; p++) {
        size_t k = P->nb++;
        P->b[k].set = (size_t)attr(p, "data-set");
        P->b[k].x1 = attr(p, "x1");
        P->b[k].x2 = attr(p, "x2");
        P->b[k].y = attr(p, "y1");
        IMP_ASSERT_NEAR(attr(p, "y2"), P->b[k].y, 1e-9);
    }
}

static double tick_x(const parsed *P, double rank)
{
    for (size_t i = 0; i < P->nt; i++)
        if (P->t[i].rank == rank)
            return P->t[i].x;
    return NAN;
}

static const parsed *method(const parsed *P, size_t index, size_t *k)
{
    for (*k = 0; *k < P->nm; (*k)++)
        if (P->m[*k].index == index)
            return P;
    return NULL;
}

/* Labels of one side are on distinct rows at least one row height apart, and no elbow's
 * vertical crosses another elbow's horizontal run. */
static void check_no_collisions(const parsed *P)
{
    for (size_t i = 0; i < P->nm; i++)
        for (size_t j = 0; j < P->nm; j++) {
            if (i == j)
                continue;
            if (P->m[i].right == P->m[j].right)
                IMP_ASSERT_INT_EQ(fabs(P->m[i].ly - P->m[j].ly) >= 19.99, 1);
            /* vertical of j: x = px_j, y from axis to ly_j; horizontal of i: y = ly_i from px_i
             * to xe_i */
            double lo = fmin(P->m[i].px, P->m[i].xe), hi = fmax(P->m[i].px, P->m[i].xe);
            int crosses = P->m[j].px > lo + 1e-9 && P->m[j].px < hi - 1e-9 &&
                          P->m[j].ly > P->m[i].ly + 1e-9;
            IMP_ASSERT_INT_EQ(crosses, 0);
        }
}

static void test_paper_five(void)
{
    const char *names[] = {"Hosoda", "Janson", "Qi", "Ours", "Oracle"};
    const double rank[] = {4.270833, 3.916667, 3.666667, 2.0, 1.0};
    char *svg = render(5, names, rank, NULL, NULL);
    parsed P;
    parse(svg, &P);
    IMP_ASSERT_STR_CONTAINS(svg, ">Average rank</text>");
    IMP_ASSERT_INT_EQ(P.nm, 5);
    IMP_ASSERT_INT_EQ(P.nt, 9); /* ranks 1..5 every 0.5 */
    IMP_ASSERT_INT_EQ(P.nb, 0);
    double x1 = tick_x(&P, 1), x5 = tick_x(&P, 5);
    IMP_ASSERT_INT_EQ(x1 > x5, 1); /* rank 1 on the right */
    IMP_ASSERT_NEAR(tick_x(&P, 2.5), x5 + (x1 - x5) * 2.5 / 4, 0.011);
    const char *want[] = {"Hosoda (4.27)", "Janson (3.92)", "Qi (3.67)", "Ours (2.00)",
                          "Oracle (1.00)"};
    for (size_t i = 0; i < 5; i++) {
        size_t k;
        IMP_ASSERT_INT_EQ(method(&P, i, &k) != NULL, 1);
        if (k == P.nm)
            continue;
        /* position linear in the rank between the ticks of 1 and 5 (2-decimal output) */
        IMP_ASSERT_NEAR(P.m[k].px, x1 + (x5 - x1) * (rank[i] - 1.0) / 4.0, 0.011);
        IMP_ASSERT_INT_EQ(strcmp(P.m[k].text, want[i]), 0);
        /* three worst on the left of the axis, two best on the right */
        IMP_ASSERT_INT_EQ(P.m[k].right, i >= 3);
        if (P.m[k].right)
            IMP_ASSERT_INT_EQ(P.m[k].tx > x1, 1);
        else
            IMP_ASSERT_INT_EQ(P.m[k].tx < x5, 1);
    }
    check_no_collisions(&P);
    free(svg);
}

static void test_cliques_and_escape(void)
{
    const char *names[] = {"A&B <x> \"q\"", "beta", "gamma", "delta", "eps", "zeta"};
    const double rank[] = {1.2, 1.9, 2.4, 3.1, 4.8, 5.6};
    size_t off[] = {0, 3, 5, 7, 8}, mem[] = {0, 1, 2, 2, 3, 4, 5, 3};
    imp_cliques c = {4, off, mem}; /* the last set has one member: not drawn */
    imp_cdplot_opts o = {.title = "Ranks & <CD>", .cd = 1.1};
    char *svg = render(6, names, rank, &c, &o);
    parsed P;
    parse(svg, &P);
    IMP_ASSERT_STR_CONTAINS(svg, "A&amp;B &lt;x&gt; &quot;q&quot; (1.20)");
    IMP_ASSERT_STR_CONTAINS(svg, ">Ranks &amp; &lt;CD&gt;</text>");
    IMP_ASSERT_INT_EQ(strstr(svg, "A&B") == NULL, 1);
    IMP_ASSERT_STR_CONTAINS(svg, "CD = 1.10");
    IMP_ASSERT_INT_EQ(P.nb, 3);
    double ylabel_min = INFINITY;
    for (size_t k = 0; k < P.nm; k++)
        ylabel_min = fmin(ylabel_min, P.m[k].ly);
    for (size_t b = 0; b < P.nb; b++) {
        /* Each bar spans its worst to its best member's elbow position, ± the side margin. */
        size_t set = P.b[b].set, kw, kb;
        IMP_ASSERT_INT_EQ(set < 3, 1);
        if (set >= 3)
            continue;
        size_t worst = mem[off[set + 1] - 1], best = mem[off[set]];
        method(&P, worst, &kw), method(&P, best, &kb);
        IMP_ASSERT_NEAR(P.b[b].x1, P.m[kw].px - IMP_CDPLOT_BAR_SIDE, 0.011);
        IMP_ASSERT_NEAR(P.b[b].x2, P.m[kb].px + IMP_CDPLOT_BAR_SIDE, 0.011);
        /* between the axis and the first label row */
        IMP_ASSERT_INT_EQ(P.b[b].y > P.y_axis && P.b[b].y < ylabel_min, 1);
        for (size_t b2 = 0; b2 < P.nb; b2++)
            if (b2 != b && P.b[b2].y == P.b[b].y)
                IMP_ASSERT_INT_EQ(P.b[b2].x2 < P.b[b].x1 || P.b[b].x2 < P.b[b2].x1, 1);
    }
    /* {0,1,2} and {2,3} share gamma: they must be on different rows. */
    double y0 = NAN, y1 = NAN;
    for (size_t b = 0; b < P.nb; b++) {
        if (P.b[b].set == 0)
            y0 = P.b[b].y;
        if (P.b[b].set == 1)
            y1 = P.b[b].y;
    }
    IMP_ASSERT_INT_EQ(isfinite(y0) && isfinite(y1) && y0 != y1, 1);
    check_no_collisions(&P);
    free(svg);
}

static void test_twelve_and_twenty(void)
{
    const char *n12[] = {"l2/kmeans/l2/l2/max k=20", "none/mean/quantile/none/max",
                         "none/mean/none/none/nn:euclidean", "l2/mean/l2/l2/max",
                         "none/ls/none/none/max", "m6", "m7", "m8", "m9", "m10", "m11", "m12"};
    const double r12[] = {2.1, 8.3, 7.9, 6.2, 1.4, 3.3, 3.5, 5.0, 9.9, 10.5, 11.2, 4.1};
    imp_cliques bars;
    IMP_ASSERT_INT_EQ(imp_stats_nemenyi_bars(r12, 12, 2.0, &bars, NULL), 0);
    char *svg = render(12, n12, r12, &bars, NULL);
    parsed P;
    parse(svg, &P);
    IMP_ASSERT_INT_EQ(P.nm, 12);
    IMP_ASSERT_INT_EQ(P.nb, bars.n);
    IMP_ASSERT_INT_EQ(P.nt, 23);
    check_no_collisions(&P);
    /* The long left labels end left of the axis: estimated width of the longest label. */
    double xaxis_left = tick_x(&P, 12);
    for (size_t k = 0; k < P.nm; k++)
        if (!P.m[k].right)
            IMP_ASSERT_INT_EQ(P.m[k].tx - 6.5 * (double)strlen(P.m[k].text) > 0 &&
                                  P.m[k].tx < xaxis_left,
                              1);
    imp_cliques_free(&bars);
    free(svg);

    const char *n20[20];
    double r20[20];
    char buf[20][16];
    for (int i = 0; i < 20; i++) {
        snprintf(buf[i], sizeof buf[i], "method %d", i);
        n20[i] = buf[i];
        r20[i] = 1.0 + i * 0.9 + (i % 3) * 0.2;
    }
    IMP_ASSERT_INT_EQ(imp_stats_nemenyi_bars(r20, 20, 3.0, &bars, NULL), 0);
    svg = render(20, n20, r20, &bars, NULL);
    parse(svg, &P);
    IMP_ASSERT_INT_EQ(P.nm, 20);
    check_no_collisions(&P);
    for (size_t b = 0; b < P.nb; b++)
        for (size_t b2 = b + 1; b2 < P.nb; b2++)
            if (P.b[b2].y == P.b[b].y)
                IMP_ASSERT_INT_EQ(P.b[b2].x2 < P.b[b].x1 || P.b[b].x2 < P.b[b2].x1, 1);
    imp_cliques_free(&bars);
    free(svg);
}

static void test_errors_and_file(void)
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

    const char *path = imp_test_path("cd.svg");
    IMP_ASSERT_INT_EQ(imp_cdplot_svg_save(path, 2, names, rank, NULL, NULL, &err), 0);
    char *out = NULL;
    IMP_ASSERT_INT_EQ(imp_test_sh(&out, "head -c 200 '%s'", path), 0);
    IMP_ASSERT_STR_CONTAINS(out, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
    free(out);
    IMP_ASSERT_INT_EQ(imp_cdplot_svg_save("/nonexistent/dir/cd.svg", 2, names, rank, NULL, NULL,
                                          &err),
                      IMP_EIO);
    IMP_ASSERT_STR_CONTAINS(err.msg, "/nonexistent/dir/cd.svg: cannot create");
}

int main(void)
{
    const imp_test tests[] = {{"paper's five methods", test_paper_five},
                              {"clique bars and escaping", test_cliques_and_escape},
                              {"12 and 20 methods", test_twelve_and_twenty},
                              {"errors and file output", test_errors_and_file},
                              {NULL, NULL}};
    return imp_test_main("cdplot", tests);
}
