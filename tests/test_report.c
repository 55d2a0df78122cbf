/* test_report.c — `imprint report` on the crafted cube: the files it writes, and the page
 * rendered by a real browser (headless Chromium): tables present, every figure loaded.
 * Without chromium the page is not rendered and the test reports SKIP (77) after the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figcheck.h"
#include "imprint/cube.h"
#include "testutil.h"

static char dir[512], cube_path[512], nc1_path[512];
/* 2 px per pt of the CD diagram's SVG width, read from the written cd.svg (each case runs
 * in a process of its own: a global set by one case is gone in the next), 0 if unreadable. */
static unsigned cd_png_width(void)
{
    char p[700];
    snprintf(p, sizeof p, "%s/cd.svg", dir);
    char *b = imp_read_file(p, NULL);
    const char *wa = b ? strstr(b, "width=\"") : NULL;
    unsigned w = wa ? 2u * (unsigned)strtoul(wa + 7, NULL, 10) : 0;
    free(b);
    return w;
}

static const char *browser(void)
{
    static const char *const names[] = {"chromium", "chromium-browser", "google-chrome", NULL};
    for (int i = 0; names[i]; i++) {
        char *out = NULL;
        int rc = imp_test_sh(&out, "command -v %s", names[i]);
        free(out);
        if (rc == 0)
            return names[i];
    }
    return NULL;
}

/* Headless Chromium on a local file: --no-sandbox (CI runs as root), /tmp instead of a small
 * container /dev/shm, its own profile. */
static int run_browser(char **out, const char *args, const char *file)
{
    return imp_test_sh(out,
                       "%s --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
                       "--user-data-dir='%s/chromium' --virtual-time-budget=10000 %s "
                       "'file://%s' 2>/dev/null",
                       browser(), imp_test_tmpdir(), args, file);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_files(void)
{
    char *out = NULL;
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s' --nc1 '%s'", cube_path, dir,
                                    nc1_path), 0);
    IMP_ASSERT_STR_CONTAINS(out, "index.html (5 figures, 0 not drawn)");
    free(out);
    const char *figs[] = {"cd", "acc-k", "acc-shot", "gen-seconds", "nc1-gain"};
    const char *ext[] = {"svg", "pdf", "png"};
    for (int f = 0; f < 5; f++)
        for (int e = 0; e < 3; e++) {
            char p[700];
            snprintf(p, sizeof p, "%s/%s.%s", dir, figs[f], ext[e]);
            size_t n = 0;
            char *b = imp_read_file(p, &n);
            IMP_ASSERT_INT_EQ(b != NULL && n > 500, 1);
            if (b && e == 1)
                IMP_ASSERT_INT_EQ(strncmp(b, "%PDF-", 5), 0);
            if (b && e == 0)
                IMP_ASSERT_STR_CONTAINS(b, "<svg");
            if (b && e == 0 && f == 0) {
                const char *wa = strstr(b, "width=\"");
                IMP_ASSERT_INT_EQ(wa != NULL && cd_png_width() > 1000, 1); /* > 540 pt */
            }
            free(b);
            if (e == 2) {
                unsigned w, h;
                IMP_ASSERT_INT_EQ(imp_png_size(p, &w, &h), 0);
                IMP_ASSERT_INT_EQ(w, f == 0 ? cd_png_width() : 680u); /* 2 px per pt */
            }
        }
    char p[700];
    snprintf(p, sizeof p, "%s/ranks.tex", dir);
    char *tex = imp_read_file(p, NULL);
    IMP_ASSERT_STR_CONTAINS(tex, "\\begin{tabularx}{\\linewidth}{@{}rXrrrrrr@{}}\n\\toprule\n");
    /* ls (the paper's Oracle) at shot all wins on both voters, (88 + 93)/2 = 90.5 ± 3.536
     * (std of 88, 93): best mean rank, accuracy and wins in bold, its stds not */
    IMP_ASSERT_STR_CONTAINS(tex, "\n1 & Oracle shot=all & \\textbf{1.000} & 0.000 & "
                                 "\\textbf{90.500} & 3.536 & \\textbf{2} & 2 \\\\\n");
    IMP_ASSERT_STR_CONTAINS(tex, "\\bottomrule\n\\end{tabularx}\n");
    free(tex);
    snprintf(p, sizeof p, "%s/ranks.csv", dir);
    char *csv = imp_read_file(p, NULL);
    IMP_ASSERT_STR_CONTAINS(csv, "rank,competitor,strategy,k,shot,avg_rank");
    IMP_ASSERT_INT_EQ(count(csv, "\n"), 9); /* header + 8 competitors */
    free(csv);
    snprintf(p, sizeof p, "%s/index.html", dir);
    char *html = imp_read_file(p, NULL);
    /* self-contained: no scripts, nothing from the network */
    IMP_ASSERT_INT_EQ(strstr(html, "<script") == NULL && strstr(html, "http://") == NULL &&
                          strstr(html, "https://") == NULL,
                      1);
    free(html);
}

/* The page in Chromium: a copy with a tiny load-time check appended reports every image's
 * naturalWidth (0 for a broken one) into the DOM, which --dump-dom prints; and a screenshot
 * of the page itself. */
static void test_in_browser(void)
{
    if (!browser()) {
        imp_test_skip("chromium not found: the page was not rendered");
        return;
    }
    char page[700], check[700], shot[700];
    snprintf(page, sizeof page, "%s/index.html", dir);
    snprintf(check, sizeof check, "%s/check.html", dir);
    snprintf(shot, sizeof shot, "%s/shot.png", imp_test_tmpdir());
    char *html = imp_read_file(page, NULL);
    IMP_ASSERT_INT_EQ(html != NULL, 1);
    if (!html)
        return;
    const char *probe =
        "<script>window.addEventListener('load',function(){var r=[];"
        "document.querySelectorAll('img').forEach(function(i){r.push(i.getAttribute('src')+'='+"
        "(i.complete?i.naturalWidth:-1)+'/'+i.width);});var d=document.createElement('pre');"
        "d.id='imgcheck';d.textContent='IMGCHECK '+r.join(' ')+' END';"
        "document.body.appendChild(d);});</script>";
    char *end = strstr(html, "</body>");
    IMP_ASSERT_INT_EQ(end != NULL, 1);
    if (!end) {
        free(html);
        return;
    }
    FILE *f = fopen(check, "w");
    fprintf(f, "%.*s%s%s", (int)(end - html), html, probe, end);
    fclose(f);
    free(html);

    char *dom = NULL;
    IMP_ASSERT_INT_EQ(run_browser(&dom, "--dump-dom", check), 0);
    char want[256];
    /* natural width / shown width: the charts at their print size, 340 pt = 453 CSS px; the
     * CD diagram (2 px per pt) no wider than the page (max-width 60em = 960 px) */
    unsigned cd_png_w = cd_png_width();
    IMP_ASSERT_INT_EQ(cd_png_w > 1000, 1);
    snprintf(want, sizeof want, "IMGCHECK cd.png=%u/", cd_png_w);
    IMP_ASSERT_STR_CONTAINS(dom, want);
    IMP_ASSERT_STR_CONTAINS(dom, " acc-k.png=680/453 acc-shot.png=680/453 gen-seconds.png=680/453 "
                                 "nc1-gain.png=680/453 END");
    const char *cdw = dom ? strstr(dom, want) : NULL;
    unsigned shown = cdw ? (unsigned)strtoul(cdw + strlen(want), NULL, 10) : 0;
    IMP_ASSERT_INT_EQ(shown > 400 && shown <= 960, 1);
    /* the tables as the browser parsed them: 8 competitors best first, 28 pairs, status */
    const char *ranks = dom ? strstr(dom, "<table id=\"ranks\">") : NULL;
    IMP_ASSERT_INT_EQ(ranks != NULL, 1);
    if (ranks) {
        const char *rend = strstr(ranks, "</table>");
        char *t = strndup(ranks, (size_t)(rend - ranks));
        IMP_ASSERT_INT_EQ(count(t, "<tr>"), 9);
        IMP_ASSERT_STR_CONTAINS(t, "<tr><td>1</td><td>Oracle shot=all</td><td>1.00</td>"
                                   "<td>90.50</td><td>3.54</td><td>2</td></tr>");
        IMP_ASSERT_STR_CONTAINS(t, "<tr><td>8</td><td>Qi shot=5</td><td>8.00</td><td>55.00</td>");
        free(t);
    }
    const char *pairs = dom ? strstr(dom, "<table id=\"pairs\">") : NULL;
    IMP_ASSERT_INT_EQ(pairs != NULL, 1);
    if (pairs) {
        char *t = strndup(pairs, (size_t)(strstr(pairs, "</table>") - pairs));
        IMP_ASSERT_INT_EQ(count(t, "<tr>"), 1 + 28);
        free(t);
    }
    IMP_ASSERT_STR_CONTAINS(dom, "72 in the grid, 48 valid: <span class=\"done\">46 done</span>, "
                                 "<span class=\"failed\">1 failed</span>, <span class=\"pending\">"
                                 "1 pending</span> (24 n/a)");
    IMP_ASSERT_STR_CONTAINS(dom, "<td>none/ls/none/none/max</td><td>1</td><td>5</td><td>3</td>"
                                 "<td>singular system</td>");
    IMP_ASSERT_STR_CONTAINS(dom, "Friedman over all competitors: χ² = ");
    IMP_ASSERT_STR_CONTAINS(dom, "Tested: all 8 competitors.");
    free(dom);

    char *out = NULL;
    char args[800];
    snprintf(args, sizeof args, "--window-size=1000,2600 --screenshot='%s'", shot);
    IMP_ASSERT_INT_EQ(run_browser(&out, args, page), 0);
    free(out);
    unsigned w, h;
    IMP_ASSERT_INT_EQ(imp_png_size(shot, &w, &h), 0);
    IMP_ASSERT_INT_EQ(w, 1000);
    IMP_ASSERT_INT_EQ(h, 2600);
}

/* The page in a paper's order — job summary, claims, results table, figures, then the long
 * tables — with the claims and the results table computed from the crafted cube by hand. */
static void test_page(void)
{
    char p[700];
    snprintf(p, sizeof p, "%s/index.html", dir);
    char *html = imp_read_file(p, NULL);
    IMP_ASSERT_INT_EQ(html != NULL, 1);
    if (!html)
        return;
    const char *order[] = {"<table id=\"summary\">", "<table id=\"claims\">",
                           "<table id=\"acc-table\">", "<figure id=\"fig-cd\">",
                           "<figure id=\"fig-nc1-gain\">", "<table id=\"ranks\">",
                           "<table id=\"pairs\">", "<table class=\"fail\">"};
    const char *prev = html;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *at = strstr(html, order[i]);
        imp__assert_msg(at != NULL && at > prev, __LINE__, __FILE__, "%s missing or out of order",
                        order[i]);
        prev = at ? at : prev;
    }
    /* every acc-shot point of the whole cube has 3 seeds (the pending and failed cells leave
     * another task's seed): bands, no excuse in the caption */
    const char *shot = strstr(html, "<figure id=\"fig-acc-shot\">");
    IMP_ASSERT_INT_EQ(shot != NULL && strstr(shot, "No band") == NULL, 1);
    /* summary: the axes and counts of the job */
    IMP_ASSERT_STR_CONTAINS(html, "<tr><th>models</th><td>1: m1</td></tr>");
    IMP_ASSERT_STR_CONTAINS(html, "<tr><th>ks</th><td>2: 1, 5</td></tr>");
    IMP_ASSERT_STR_CONTAINS(html, "<tr><th>shots</th><td>2: 5, all</td></tr>");
    IMP_ASSERT_STR_CONTAINS(html, "<code>s.h5</code>");
    /* claims at shot all: multi-proxy gain t1 80 (k-means k=5, median of 80 80 90) − 72
     * (k-means k=1) = 8, t2 91 − 81 = 10 → +9.00 pp, sd √2; NC1 needs 3 voters (2 here) */
    IMP_ASSERT_STR_CONTAINS(html, "<td>Multi-proxy GEN beats the single mean</td><td>best k&gt;1 "
                                  "minus best k=1 imprinting: +9.00 pp (sd 1.41) over 2 voters, "
                                  "positive on 2</td><td class=\"done\">holds</td>");
    IMP_ASSERT_STR_CONTAINS(html, "needs 3 voters or more");
    /* results: the named competitors (Qi, Oracle at both shots) in rank order; t1's best is
     * Oracle at shot all, 88 on every seed: bold mean, plain ± std */
    IMP_ASSERT_STR_CONTAINS(html, "<tr><th>model</th><th>task</th><th>Oracle shot=all</th>"
                                  "<th>Oracle shot=5</th><th>Qi shot=all</th><th>Qi shot=5</th>"
                                  "</tr>");
    IMP_ASSERT_STR_CONTAINS(html, "<tr><td>m1</td><td>t1</td><td><b>88.0</b> ± 0.0</td>"
                                  "<td>78.0 ± 0.0</td><td>60.0 ± 0.0</td><td>50.0 ± 0.0</td></tr>");
    /* t2 at shot 5: Oracle's seed 3 failed → mean of two seeds (83, 83) */
    IMP_ASSERT_STR_CONTAINS(html, "<tr><td>m1</td><td>t2</td><td><b>93.0</b> ± 0.0</td>"
                                  "<td>83.0 ± 0.0</td>");
    free(html);
    snprintf(p, sizeof p, "%s/acc-table.csv", dir);
    char *csv = imp_read_file(p, NULL);
    IMP_ASSERT_STR_CONTAINS(csv, "m1,t2,Oracle shot=5,83,0,2,no\n");
    free(csv);
    snprintf(p, sizeof p, "%s/claims.md", dir);
    char *md = imp_read_file(p, NULL);
    /* no k = 20: Ours is k-means at k = 5; ranks on t1, t2 at shot all: Oracle (88, 93) 1,
     * Ours (80, 91) 2, Qi (60, 70) 3 */
    IMP_ASSERT_STR_CONTAINS(md, "| Ours ranks first among the named strategies | Ours (k=5, the "
                                "cube's nearest to 20) mean rank 2.00 over 2 voters: 2 of 3 named "
                                "strategies, 1 of the imprinting ones (best other: Qi, 3.00) | "
                                "holds |");
    free(md);
}

/* The selection options of analyze, a facet and a width: the page is about the selection. */
static void test_selection(void)
{
    char sub[600], p[700], *out = NULL;
    snprintf(sub, sizeof sub, "%s-sel", dir);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s' --where shot=all "
                                          "--competitors Qi,Oracle,l2/kmeans/l2/l2/max "
                                          "--name 'KM5=l2/kmeans/l2/l2/max@k=5' --facet task "
                                          "--width one", cube_path, sub), 0);
    free(out);
    snprintf(p, sizeof p, "%s/ranks.csv", sub);
    char *csv = imp_read_file(p, NULL);
    IMP_ASSERT_INT_EQ(count(csv, "\n"), 5); /* header + Oracle, KM5, k-means k=1, Qi */
    IMP_ASSERT_STR_CONTAINS(csv, ",KM5,l2/kmeans/l2/l2/max,5,all,");
    free(csv);
    /* one column wide: 240 pt, 480 px; two panels (t1, t2) side by side */
    unsigned w, h;
    snprintf(p, sizeof p, "%s/acc-shot.png", sub);
    IMP_ASSERT_INT_EQ(imp_png_size(p, &w, &h), -1); /* one shot selected: no shot figure */
    snprintf(p, sizeof p, "%s/acc-k.png", sub);
    IMP_ASSERT_INT_EQ(imp_png_size(p, &w, &h), 0);
    IMP_ASSERT_INT_EQ(w, 480);
    snprintf(p, sizeof p, "%s/index.html", sub);
    char *html = imp_read_file(p, NULL);
    IMP_ASSERT_STR_CONTAINS(html, "One panel per task, shared axes.");
    IMP_ASSERT_STR_CONTAINS(html, "--where shot=all --competitors Qi,Oracle,l2/kmeans/l2/l2/max");
    free(html);
    /* by task, t1's k-means k=5 at shot 5 has 2 done seeds (seed 3 pending): that panel's
     * line has no band there, and the caption says why */
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s' --facet task", cube_path, sub),
                      0);
    free(out);
    html = imp_read_file(p, NULL);
    const char *shot = html ? strstr(html, "<figure id=\"fig-acc-shot\">") : NULL;
    IMP_ASSERT_INT_EQ(shot != NULL, 1);
    if (shot)
        IMP_ASSERT_STR_CONTAINS(shot, "No band: fewer than 3 seeds behind some points");
    free(html);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s' --facet color", cube_path, sub),
                      2);
    IMP_ASSERT_STR_CONTAINS(out, "--facet 'color': expected model, dataset or task");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s' --where model=nope", cube_path,
                                    sub), 2);
    IMP_ASSERT_STR_CONTAINS(out, "nope");
    free(out);
}

/* --value f1: the ranks, the results table and the page show macro-F1. The cube is the
 * crafted one with every done cell's F1 set to half its accuracy (by hand: Oracle at shot all
 * 44 on t1, 46.5 on t2). */
static void test_f1(void)
{
    imp_cube *cube;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_test_fig_cube(&cube), 0);
    for (uint64_t i = 0; i < cube->n_cells; i++)
        if (cube->status[i] == IMP_CELL_DONE)
            cube->f1[i] = cube->accuracy[i] / 2;
    char path[600], sub[600], p[700], *out = NULL;
    snprintf(path, sizeof path, "%s", imp_test_path("f1.h5"));
    snprintf(sub, sizeof sub, "%s-f1", dir);
    IMP_ASSERT_INT_EQ(imp_cube_write(cube, path, &err), 0);
    imp_cube_free(cube);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "analyze '%s' --value f1 --csv -", path), 0);
    IMP_ASSERT_STR_CONTAINS(out, ",mean_f1,");
    IMP_ASSERT_STR_CONTAINS(out, "1,Oracle shot=all,none/ls/none/none/max,1,all,1,1,0,0,45.25,");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s' --value f1", path, sub), 0);
    free(out);
    snprintf(p, sizeof p, "%s/acc-table.csv", sub);
    char *csv = imp_read_file(p, NULL);
    IMP_ASSERT_STR_CONTAINS(csv, "m1,t1,Oracle shot=all,44,0,3,yes\n");
    free(csv);
    snprintf(p, sizeof p, "%s/index.html", sub);
    char *html = imp_read_file(p, NULL);
    IMP_ASSERT_STR_CONTAINS(html, "macro-F1 (%) per model and task");
    /* the multi-proxy gain in F1 points: (8 + 10)/2 halved */
    IMP_ASSERT_STR_CONTAINS(html, "+4.50 pp (sd 0.71) over 2 voters");
    free(html);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s' --value gen_seconds", path, sub),
                      2);
    IMP_ASSERT_STR_CONTAINS(out, "--value 'gen_seconds': expected accuracy or f1");
    free(out);
    /* the help's list: the scores, not the times (generated from the value table) */
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report --help"), 0);
    IMP_ASSERT_STR_CONTAINS(out, "\n                      [--value accuracy|f1]\n");
    free(out);
}

static void test_usage(void)
{
    char *out = NULL;
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s'", cube_path), 2);
    IMP_ASSERT_STR_CONTAINS(out, "--out DIR is required");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s' --nc1 /nonexistent.csv",
                                    cube_path, dir), 2);
    IMP_ASSERT_STR_CONTAINS(out, "/nonexistent.csv: cannot open");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report /nonexistent.h5 --out '%s'", dir), 2);
    IMP_ASSERT_STR_CONTAINS(out, "/nonexistent.h5");
    free(out);
    /* --out naming a file, or a directory below a file: exit 2 naming it, nothing written */
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s'", cube_path, nc1_path), 2);
    IMP_ASSERT_STR_CONTAINS(out, "exists and is not a directory");
    IMP_ASSERT_STR_CONTAINS(out, nc1_path);
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out '%s/sub'", cube_path, nc1_path), 2);
    IMP_ASSERT_STR_CONTAINS(out, "cannot create the report directory: Not a directory");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "report '%s' --out /nonexistent/report", cube_path), 2);
    IMP_ASSERT_STR_CONTAINS(out, "--out /nonexistent/report: cannot create the report directory: "
                                 "No such file or directory (its parent must exist)");
    free(out);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s", imp_test_path("report"));
    snprintf(cube_path, sizeof cube_path, "%s", imp_test_path("cube.h5"));
    snprintf(nc1_path, sizeof nc1_path, "%s", imp_test_path("nc1.csv"));
    imp_cube *cube;
    imp_err err;
    const char nc1[] = "model,dataset,nc1\nm1,dA,0.5\nm1,dB,2\n";
    if (imp_test_fig_cube(&cube) || imp_cube_write(cube, cube_path, &err) ||
        imp_test_write_file(nc1_path, nc1, sizeof nc1 - 1)) {
        fprintf(stderr, "test_report: cannot write the crafted cube\n");
        return 1;
    }
    imp_cube_free(cube);
    /* Without a browser the other cases still run; the test then reports SKIP, not pass
     * (the case is always registered: a NULL name would end the list there). */
    const imp_test tests[] = {{"files written", test_files},
                              {"usage errors", test_usage},
                              {"page order, claims and results table", test_page},
                              {"selection, facet and width", test_selection},
                              {"F1 instead of accuracy", test_f1},
                              {"page in headless Chromium", test_in_browser},
                              {NULL, NULL}};
    return imp_test_main("report", tests);
}
