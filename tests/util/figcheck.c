/* figcheck.c — SVG path and PNG header readers for the figure tests. */
#include "figcheck.h"

#include "imprint/cube.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(imp_svg *s, size_t *cap)
{
    if (s->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        imp_svg_path *p = realloc(s->p, nc * sizeof *p);
        if (!p)
            return -1;
        s->p = p, *cap = nc;
    }
    memset(&s->p[s->n++], 0, sizeof s->p[0]);
    return 0;
}

static void add_pt(imp_svg_path *p, double x, double y)
{
    p->x = realloc(p->x, (p->n + 1) * sizeof *p->x);
    p->y = realloc(p->y, (p->n + 1) * sizeof *p->y);
    p->x[p->n] = x, p->y[p->n] = y, p->n++;
}

/* The number after key in the element [el, end), or dflt. */
static double style_num(const char *el, const char *end, const char *key, double dflt)
{
    char *tmp = strndup(el, (size_t)(end - el));
    const char *k = tmp ? strstr(tmp, key) : NULL;
    double v = k ? strtod(k + strlen(key), NULL) : dflt;
    free(tmp);
    return v;
}

int imp_svg_parse(const char *svg, imp_svg *out)
{
    memset(out, 0, sizeof *out);
    const char *root = strstr(svg, "<svg");
    if (!root)
        return -1;
    const char *w = strstr(root, "width=\""), *h = strstr(root, "height=\"");
    out->width = w ? strtod(w + 7, NULL) : NAN;
    out->height = h ? strtod(h + 8, NULL) : NAN;
    const char *p = strstr(svg, "</defs>");
    p = p ? p : root;
    size_t cap = 0;
    /* Filled rectangles cairo may write as <rect>: closed filled 4-vertex paths. */
    for (const char *r = p; (r = strstr(r, "<rect")); r += 5) {
        const char *a[4] = {strstr(r, " x=\""), strstr(r, " y=\""), strstr(r, " width=\""),
                            strstr(r, " height=\"")};
        const char *end = strchr(r, '>');
        if (!a[0] || !a[1] || !a[2] || !a[3] || a[3] > end)
            continue;
        double rx = strtod(strchr(a[0], '"') + 1, NULL), ry = strtod(strchr(a[1], '"') + 1, NULL);
        double rw = strtod(strchr(a[2], '"') + 1, NULL), rh = strtod(strchr(a[3], '"') + 1, NULL);
        if (push(out, &cap))
            return -1;
        imp_svg_path *q = &out->p[out->n - 1];
        add_pt(q, rx, ry), add_pt(q, rx + rw, ry), add_pt(q, rx + rw, ry + rh), add_pt(q, rx, ry + rh);
        q->closed = q->fill = 1;
        q->pos = (size_t)(r - svg);
        q->opacity = style_num(r, end, "fill-opacity:", 1.0);
    }
    while ((p = strstr(p, "<path"))) {
        const char *end = strchr(p, '>');
        const char *st = strstr(p, "style=\""), *d = strstr(p, " d=\"");
        if (!end || !d || d > end) {
            p += 5;
            continue;
        }
        double sw = 0;
        int fill = 0;
        if (st && st < end) {
            const char *q = strstr(st, "stroke-width:");
            const char *f = strstr(st, "fill:");
            if (q && q < end)
                sw = strtod(q + 13, NULL);
            fill = f && f < end && strncmp(f + 5, "none", 4) != 0;
        }
        const char *c = d + 4;
        imp_svg_path *cur = NULL;
        while (*c && *c != '"') {
            while (*c == ' ')
                c++;
            char cmd = *c;
            if (cmd == '"' || !cmd)
                break;
            c++;
            if (cmd == 'M' || cmd == 'L') {
                char *e1, *e2;
                double x = strtod(c, &e1), y = strtod(e1, &e2);
                c = e2;
                if (cmd == 'M' || !cur) {
                    if (push(out, &cap))
                        return -1;
                    cur = &out->p[out->n - 1];
                    cur->stroke_width = fill ? 0 : sw;
                    cur->fill = fill;
                    cur->pos = (size_t)(p - svg);
                    cur->opacity = style_num(p, end, fill ? "fill-opacity:" : "stroke-opacity:",
                                             1.0);
                }
                add_pt(cur, x, y);
            } else if (cmd == 'Z') {
                if (cur)
                    cur->closed = 1;
            } else if (cmd == 'C') {
                for (int k = 0; k < 6; k++) {
                    char *e;
                    strtod(c, &e);
                    c = e;
                }
            } else {
                c++;
            }
        }
        p = end;
    }
    return 0;
}

void imp_svg_free(imp_svg *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->p[i].x), free(s->p[i].y);
    free(s->p);
    memset(s, 0, sizeof *s);
}

long imp_svg_find(const imp_svg *s, size_t n, const double *x, const double *y, double tol)
{
    for (size_t i = 0; i < s->n; i++) {
        const imp_svg_path *p = &s->p[i];
        /* cairo repeats the first vertex after Z: compare on the leading n. */
        if (p->n != n && !(p->closed && p->n == n + 1))
            continue;
        size_t k = 0;
        while (k < n && fabs(p->x[k] - x[k]) <= tol && fabs(p->y[k] - y[k]) <= tol)
            k++;
        if (k == n)
            return (long)i;
    }
    return -1;
}

size_t imp_svg_count_squares(const imp_svg *s, double x, double y, double half, double tol)
{
    size_t c = 0;
    for (size_t i = 0; i < s->n; i++) {
        const imp_svg_path *p = &s->p[i];
        if (!p->fill || !p->closed || (p->n != 4 && p->n != 5))
            continue;
        double xl = INFINITY, xh = -INFINITY, yl = INFINITY, yh = -INFINITY;
        for (size_t k = 0; k < 4; k++) {
            xl = fmin(xl, p->x[k]), xh = fmax(xh, p->x[k]);
            yl = fmin(yl, p->y[k]), yh = fmax(yh, p->y[k]);
        }
        c += fabs(xl - (x - half)) <= tol && fabs(xh - (x + half)) <= tol &&
             fabs(yl - (y - half)) <= tol && fabs(yh - (y + half)) <= tol;
    }
    return c;
}

int imp_png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (n < 24 || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return -1;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    return 0;
}

char *imp_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, r;
    do {
        if (cap - n < 65536) {
            cap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf), fclose(f);
                return NULL;
            }
            buf = nb;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

/* Accuracy of (strategy, k, task, seed) at shot all; shot 5 is 10 points lower.
 *   kmeans k=1: t1 70 72 74, t2 80 81 85     kmeans k=5: t1 80 80 90, t2 90 91 92
 *   mean: t1 60, t2 70 (every seed)          ls: t1 88, t2 93
 * GEN seconds: mean 0.01, kmeans k=1 0.1·seed, kmeans k=5 seed (t1) and 3 + seed (t2), ls 0.5,
 * the same at both shots. Failed: ls, shot 5, t2, seed 3 ("singular system"); pending: kmeans
 * k=5, shot 5, t1, seed 3. mean and ls are n/a at k = 5. */
int imp_test_fig_cube(imp_cube **out)
{
    static char *models[] = {"m1"}, *tasks[] = {"t1", "t2"};
    static char *strats[] = {"l2/mean/l2/l2/max", "l2/kmeans/l2/l2/max", "none/ls/none/none/max"};
    static int64_t ks[] = {1, 5}, shots[] = {5, -1}, seeds[] = {1, 2, 3};
    imp_axes a = {.n_model = 1, .model = models, .n_task = 2, .task = tasks, .n_strategy = 3,
                       .strategy = strats, .n_k = 2, .k = ks, .n_shot = 2, .shot = shots,
                       .n_seed = 3, .seed = seeds};
    static const double km1[2][3] = {{70, 72, 74}, {80, 81, 85}};
    static const double km5[2][3] = {{80, 80, 90}, {90, 91, 92}};
    static const double flat[3][2] = {{60, 70}, {0, 0}, {88, 93}};
    uint8_t valid[72];
    size_t idx[IMP_AX__COUNT];
    for (uint64_t c = 0; c < 72; c++) {
        imp_axes_cell_coords(&a, c, idx);
        valid[c] = idx[IMP_AX_STRATEGY] == 1 || idx[IMP_AX_K] == 0;
    }
    imp_cube *cube;
    imp_err err;
    if (imp_cube_create(&a, valid, &cube, &err))
        return -1;
    for (uint64_t c = 0; c < 72; c++) {
        if (!valid[c])
            continue;
        imp_axes_cell_coords(&a, c, idx);
        size_t st = idx[IMP_AX_STRATEGY], k = idx[IMP_AX_K], t = idx[IMP_AX_TASK];
        size_t sh = idx[IMP_AX_SHOT], se = idx[IMP_AX_SEED];
        double acc = st == 1 ? (k == 0 ? km1[t][se] : km5[t][se]) : flat[st][t];
        double gs = st == 0 ? 0.01 : st == 2 ? 0.5
                    : k == 0 ? 0.1 * (double)(se + 1) : (double)(se + 1) + 3.0 * (double)t;
        if (st == 2 && sh == 0 && t == 1 && se == 2) {
            cube->status[c] = IMP_CELL_FAILED;
            cube->message[c] = strdup("singular system");
            continue;
        }
        if (st == 1 && k == 1 && sh == 0 && t == 0 && se == 2)
            continue; /* pending */
        cube->status[c] = IMP_CELL_DONE;
        cube->accuracy[c] = (float)(acc - (sh == 0 ? 10.0 : 0.0));
        cube->gen_seconds[c] = (float)gs;
        cube->inf_seconds[c] = 0.001f;
        cube->n_proxies[c] = 3;
    }
    const char *job = "store: s.h5\ncube: c.h5\nmodels: [m1]\ntasks:\n"
                      "  - {name: t1, dataset: dA, classes: all}\n"
                      "  - {name: t2, dataset: dB, classes: all}\n"
                      "strategies: [l2/mean/l2/l2/max, l2/kmeans/l2/l2/max, none/ls/none/none/max]\n"
                      "ks: [1, 5]\nshots: [5, all]\nseeds: [1, 2, 3]\n";
    if (imp_cube_set_attrs(cube, job, "s.h5", 0, &err)) {
        imp_cube_free(cube);
        return -1;
    }
    *out = cube;
    return 0;
}

/* The claims cube (values by hand; tests/test_claims.c derives every claim from them).
 * Voters v0..v5 = (m1, t1..t3), (m2, t1..t3); shot all; seeds 1 2 with equal values except
 * Ours k=16 on v0 (72 and 68: median 70). mean and ls only at k = 1. */
int imp_test_claims_cube(struct imp_cube **out)
{
    static char *models[] = {"m1", "m2"}, *tasks[] = {"t1", "t2", "t3"};
    static char *strats[] = {"l2/mean/l2/l2/max",                /* Qi */
                             "none/mean/quantile/none/max",      /* Hosoda */
                             "none/mean/none/none/nn:euclidean", /* Janson */
                             "l2/kmeans/l2/l2/max",              /* Ours' strategy */
                             "none/kmeans/none/none/max",        /* k-means without L2 */
                             "none/ls/none/none/max"};           /* Oracle */
    static int64_t ks[] = {1, 16, 30}, shots[] = {-1}, seeds[] = {1, 2};
    imp_axes a = {.n_model = 2, .model = models, .n_task = 3, .task = tasks, .n_strategy = 6,
                       .strategy = strats, .n_k = 3, .k = ks, .n_shot = 1, .shot = shots,
                       .n_seed = 2, .seed = seeds};
    static const double acc[6][3][6] = {
        {{60, 62, 64, 66, 68, 70}},
        {{58, 61, 65, 60, 66, 69}},
        {{55, 60, 60, 62, 64, 65}},
        {{61, 63, 63, 67, 69, 71}, {70, 64, 66, 75, 72, 72}, {69, 65, 67, 74, 73, 70}},
        {{57, 59, 61, 63, 65, 67}, {65, 60, 62, 68, 66, 66}, {64, 61, 63, 66, 67, 68}},
        {{80, 80, 80, 80, 80, 80}}};
    uint64_t n = imp_axes_n_cells(&a);
    uint8_t valid[216];
    size_t idx[IMP_AX__COUNT];
    for (uint64_t c = 0; c < n; c++) {
        imp_axes_cell_coords(&a, c, idx);
        size_t st = idx[IMP_AX_STRATEGY];
        valid[c] = st == 3 || st == 4 || idx[IMP_AX_K] == 0;
    }
    imp_cube *cube;
    imp_err err;
    if (n != sizeof valid || imp_cube_create(&a, valid, &cube, &err))
        return -1;
    for (uint64_t c = 0; c < n; c++) {
        if (!valid[c])
            continue;
        imp_axes_cell_coords(&a, c, idx);
        size_t st = idx[IMP_AX_STRATEGY], k = idx[IMP_AX_K], se = idx[IMP_AX_SEED];
        size_t v = idx[IMP_AX_MODEL] * 3 + idx[IMP_AX_TASK];
        double d = st == 3 && k == 1 && v == 0 ? (se == 0 ? 2.0 : -2.0) : 0.0;
        cube->status[c] = IMP_CELL_DONE;
        cube->accuracy[c] = (float)(acc[st][k][v] + d);
        cube->gen_seconds[c] = 0.01f;
        cube->inf_seconds[c] = 0.001f;
        cube->n_proxies[c] = (int32_t)ks[k];
    }
    *out = cube;
    return 0;
}
