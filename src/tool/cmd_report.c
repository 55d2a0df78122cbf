/* cmd_report.c — `imprint report CUBE.h5 --out DIR`: one self-contained HTML page with the
 * status, the rank table, the significance tests and every figure the cube's axes allow, plus
 * each figure as SVG, PDF and PNG and the tables as Markdown, CSV and LaTeX. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyze.h"
#include "cmd.h"
#include "opts.h"
#include "plotfig.h"
#include "toolio.h"

#define HTML_ROWS 500    /* rank rows on the page (all in the .csv/.md/.tex) */
#define HTML_PAIRS 300   /* pairwise rows on the page (all in pairs.csv) */
#define HTML_FAILS 50    /* failures listed on the page */
#define MAX_LINES IMP_CHART_COLORS /* lines in the accuracy figures (the best, by their highest
                                   * point): one colour each */

static void help(void)
{
    printf("usage: imprint report JOB.yaml|CUBE.h5 --out DIR [--nc1 TABLE.csv] [--alpha 0.05]\n"
           "                      [--no-journal]\n"
           "\n"
           "Write DIR/index.html, one page that needs no network: the cube's status (cells done,\n"
           "failed, pending; failures listed), the rank table of every (strategy, k, shot)\n"
           "competitor on the (model, task) voters, Friedman and Wilcoxon-Holm results, and\n"
           "every figure the cube's axes allow:\n"
           "  cd            critical-difference diagram of the tested competitors (the %d\n"
           "                best by mean rank when there are more, as imprint analyze)\n"
           "  acc-k         accuracy against k per strategy (k axis with 2+ values); with\n"
           "                more strategies than lines, the best strategy of each GEN\n"
           "  acc-shot      accuracy against shot, 95%% confidence bands over seeds (2+ shots)\n"
           "                (both: at most %d lines, the best by their highest point)\n"
           "  gen-seconds   GEN seconds per method, box plot on a log scale\n"
           "  nc1-gain      NC1 against the gain of multi-proxy over single-proxy imprinting,\n"
           "                Spearman's rho (needs --nc1, a table from `imprint nc1 --all --csv`)\n"
           "Each figure is written as FIG.svg, FIG.pdf and FIG.png, the tables as ranks.md,\n"
           "ranks.csv, ranks.tex and pairs.csv. Files are replaced atomically.\n"
           "\n"
           "  --out DIR       the report's directory (created if missing; its parent must exist)\n"
           "  --nc1 TABLE     the NC1 table for the nc1-gain figure\n"
           "  --alpha A       significance level of the tests (default 0.05)\n"
           "  --no-journal    do not read CUBE.h5.journal (the cube alone)\n",
           IMP_ANALYZE_DEFAULT_TOP, MAX_LINES);
}

/* ---- output helpers ---- */

static void html_esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

typedef struct ctx {
    const char *dir;
    imp_cube *cube;
    imp_analyze_matrix mat;
    imp_analysis an;
    int analysed;
    char why_not[512]; /* why there is no rank analysis */
} ctx;

static char *out_path(const ctx *c, const char *name)
{
    size_t n = strlen(c->dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", c->dir, name);
    return p;
}

typedef int (*writer_fn)(FILE *f, const ctx *c, const void *arg, imp_err *err);

/* Write DIR/name atomically through fn. */
static int write_file(const ctx *c, const char *name, writer_fn fn, const void *arg, imp_err *err)
{
    char *path = out_path(c, name);
    if (!path)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    imp_outfile of;
    int rc = imp_outfile_open(&of, path, err);
    if (!rc) {
        rc = fn(of.f, c, arg, err);
        if (rc) {
            imp_err_prefix(err, "%s", path);
            imp_outfile_abort(&of);
        } else {
            rc = imp_outfile_commit(&of, err);
        }
    }
    free(path);
    return rc;
}

/* ---- tables ---- */

static int w_report(FILE *f, const ctx *c, const void *arg, imp_err *err)
{
    return imp_analyze_report_ex(f, arg, &c->cube->axes, &c->mat, &c->an, err);
}

/* Name of matrix row i (after the paper's names: "Ours", "Qi", …). */
static const char *row_name(const ctx *c, size_t i)
{
    return c->mat.comp[c->mat.row[i]].name;
}

/* ---- figures ---- */

typedef struct fig_arg {
    imp_plot_format fmt;
    const imp_fig *fig;              /* a chart figure, or */
    const imp_analyze_matrix *mat;   /* the CD diagram of this matrix … */
    const imp_analysis *an;          /* … and analysis */
    double *width;                   /* receives the figure's width in pt */
} fig_arg;

static int w_fig(FILE *f, const ctx *c, const void *arg, imp_err *err)
{
    const fig_arg *a = arg;
    if (a->fig) {
        imp_chart_layout L;
        int rc = imp_fig_write(f, a->fmt, a->fig, &L, err);
        if (!rc)
            *a->width = L.width;
        return rc;
    }
    return imp_fig_cd(f, a->fmt, &c->cube->axes, a->mat, a->an, a->width, err);
}

/* Every format of one figure: base.svg, base.pdf, base.png. */
static int write_fig(const ctx *c, const char *base, fig_arg a, imp_err *err)
{
    for (int fmt = 0; fmt < 3; fmt++) {
        char name[256];
        a.fmt = (imp_plot_format)fmt;
        snprintf(name, sizeof name, "%s.%s", base, imp_plot_format_ext(a.fmt));
        int rc = write_file(c, name, w_fig, &a, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- the page ---- */

typedef struct page {
    size_t counts[IMP_CELL__NSTATUS];
    const char *fig_base[8], *fig_caption[8];
    double fig_w[8];
    size_t n_fig;
    char skipped[8][600];
    size_t n_skipped;
    size_t cd_m; /* competitors in the CD diagram */
} page;

static void html_failures(FILE *f, const imp_cube *cube)
{
    size_t shown = 0, total = 0;
    char b[6][32];
    for (uint64_t i = 0; i < cube->n_cells; i++) {
        if (cube->status[i] != IMP_CELL_FAILED)
            continue;
        if (total++ == 0)
            fputs("<table class=\"fail\"><tr><th>model</th><th>task</th><th>strategy</th>"
                  "<th>k</th><th>shot</th><th>seed</th><th>message</th></tr>\n", f);
        if (shown == HTML_FAILS)
            continue;
        size_t idx[IMP_AX__COUNT];
        imp_cube_cell_coords(&cube->axes, i, idx);
        fputs("<tr>", f);
        for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
            fputs("<td>", f);
            html_esc(f, imp_cube_axis_value(&cube->axes, ax, idx[ax], b[ax], sizeof b[ax]));
            fputs("</td>", f);
        }
        fputs("<td>", f);
        html_esc(f, cube->message[i] ? cube->message[i] : "");
        fputs("</td></tr>\n", f);
        shown++;
    }
    if (total)
        fputs("</table>\n", f);
    if (total > shown)
        fprintf(f, "<p>… and %zu more failed cells (<code>imprint status</code> lists them).</p>\n",
                total - shown);
}

static void html_ranks(FILE *f, const ctx *c)
{
    const imp_analysis *an = &c->an;
    fprintf(f, "<p>%zu competitors ranked on %zu voters (model, task); a voter's value is the "
               "median accuracy over the done seeds. Best first.</p>\n", an->m, an->N);
    fputs("<table id=\"ranks\"><tr><th>#</th><th>competitor</th><th>mean rank</th>"
          "<th>mean acc. %</th><th>std</th><th>wins</th></tr>\n", f);
    for (size_t r = 0; r < an->m && r < HTML_ROWS; r++) {
        size_t i = an->order[r];
        const imp_rank_summary *s = &an->summary[i];
        fprintf(f, "<tr><td>%zu</td><td>", r + 1);
        html_esc(f, row_name(c, i));
        fprintf(f, "</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%zu</td></tr>\n",
                an->rank[i], s->mean, s->std, s->wins);
    }
    fputs("</table>\n", f);
    if (an->m > HTML_ROWS)
        fprintf(f, "<p>%zu more rows in <a href=\"ranks.csv\">ranks.csv</a>.</p>\n",
                an->m - HTML_ROWS);
}

static void html_friedman(FILE *f, const char *id, const char *what, size_t m,
                          const imp_friedman *fr, double alpha)
{
    if (m >= 3)
        fprintf(f, "<p id=\"%s\">Friedman over %s: &chi;&sup2; = %.4g, p = %.3g (%s at "
                   "&alpha; = %g).</p>\n", id, what, fr->statistic, fr->p,
                fr->p < alpha ? "significant" : "not significant", alpha);
    else
        fprintf(f, "<p id=\"%s\">Friedman over %s: needs 3 competitors or more.</p>\n", id,
                what);
}

/* The tested set: cd's competitor i is matrix row an->tested[i]. */
static void html_significance(FILE *f, const ctx *c)
{
    const imp_analysis *an = &c->an;
    const imp_cd_result *cd = &an->cd;
    char buf[512];
    html_friedman(f, "friedman", "all competitors", an->m, &an->friedman, cd->alpha);
    fputs("<p id=\"tested\">Tested: ", f);
    html_esc(f, imp_analyze_tested_text(an, buf, sizeof buf));
    fputs(".</p>\n", f);
    if (an->n_tested < an->m)
        html_friedman(f, "friedman-tested", "the tested", cd->m, &cd->friedman, cd->alpha);
    if (an->gated)
        fputs("<p>Friedman is not significant: nothing is declared significant (the reference "
              "stops here).</p>\n", f);
    fprintf(f, "<p>Two-sided Wilcoxon signed-rank test of every tested pair with Holm's "
               "step-down (%zu pairs%s).</p>\n", cd->K,
            cd->K > HTML_PAIRS ? "; the first in rank order here, all in pairs.csv" : "");
    fputs("<table id=\"pairs\"><tr><th>a</th><th>b</th><th>p</th><th>Holm threshold</th>"
          "<th>significant</th></tr>\n", f);
    size_t shown = 0;
    for (size_t r = 0; r < cd->m && shown < HTML_PAIRS; r++)
        for (size_t q = r + 1; q < cd->m && shown < HTML_PAIRS; q++, shown++) {
            size_t i = cd->order[r], j = cd->order[q];
            size_t k = imp_stats_pair_index(i < j ? i : j, i < j ? j : i, cd->m);
            fputs("<tr><td>", f);
            html_esc(f, row_name(c, an->tested[i]));
            fputs("</td><td>", f);
            html_esc(f, row_name(c, an->tested[j]));
            fprintf(f, "</td><td>%.3g</td><td>%.3g</td><td>%s</td></tr>\n", cd->pair[k].p,
                    cd->threshold[k], cd->significant[k] ? "yes" : "no");
        }
    fputs("</table>\n", f);
}

static int w_html(FILE *f, const ctx *c, const void *arg, imp_err *err)
{
    const page *P = arg;
    const size_t *n = P->counts;
    size_t valid = n[IMP_CELL_DONE] + n[IMP_CELL_FAILED] + n[IMP_CELL_PENDING];
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>imprint report</title>\n<style>\n"
          "body{font-family:'DejaVu Sans',sans-serif;max-width:60em;margin:1em auto;"
          "padding:0 1em;color:#111}\n"
          "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}\n"
          "td,th{border-bottom:1px solid #ccc;padding:.2em .6em;text-align:left}\n"
          "td:nth-child(n+3){font-variant-numeric:tabular-nums}\n"
          "figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}\n"
          ".done{color:#060}.failed{color:#a00}.pending{color:#a60}\n"
          "</style></head><body>\n<h1>imprint report</h1>\n<p>Store <code>", f);
    html_esc(f, c->cube->store && *c->cube->store ? c->cube->store : "");
    fputs("</code>; cube ", f);
    fprintf(f, "written by imprint %s, updated %s.</p>\n", c->cube->imprint_version,
            c->cube->updated);
    fprintf(f, "<h2>Status</h2>\n<p id=\"status\"><span class=\"done\">%zu done</span>, "
               "<span class=\"failed\">%zu failed</span>, <span class=\"pending\">%zu "
               "pending</span> of %zu valid cells (%zu n/a).</p>\n",
            n[IMP_CELL_DONE], n[IMP_CELL_FAILED], n[IMP_CELL_PENDING], valid, n[IMP_CELL_NA]);
    html_failures(f, c->cube);
    fputs("<h2>Ranks</h2>\n", f);
    if (c->analysed) {
        html_ranks(f, c);
        fputs("<p>Tables: <a href=\"ranks.md\">ranks.md</a>, <a href=\"ranks.csv\">ranks.csv"
              "</a>, <a href=\"ranks.tex\">ranks.tex</a> (booktabs), <a href=\"pairs.csv\">"
              "pairs.csv</a>.</p>\n<h2>Significance</h2>\n", f);
        html_significance(f, c);
    } else {
        fputs("<p>No rank analysis: ", f);
        html_esc(f, c->why_not);
        fputs("</p>\n", f);
    }
    fputs("<h2>Figures</h2>\n", f);
    for (size_t i = 0; i < P->n_fig; i++) {
        const char *b = P->fig_base[i];
        /* at its print size (CSS pt), so its 8.5 pt text reads as in the paper; max-width
         * shrinks a wide CD diagram to the page */
        fprintf(f, "<figure id=\"fig-%s\"><img src=\"%s.png\" style=\"width:%.0fpt\" alt=\"",
                b, b, P->fig_w[i]);
        html_esc(f, P->fig_caption[i]);
        fputs("\"><figcaption>", f);
        html_esc(f, P->fig_caption[i]);
        fprintf(f, " <a href=\"%s.svg\">SVG</a> <a href=\"%s.pdf\">PDF</a> <a href=\"%s.png\">"
                   "PNG</a></figcaption></figure>\n", b, b, b);
    }
    if (P->n_skipped) {
        fputs("<p>Not drawn:</p><ul>\n", f);
        for (size_t i = 0; i < P->n_skipped; i++) {
            fputs("<li>", f);
            html_esc(f, P->skipped[i]);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }
    fputs("</body></html>\n", f);
    return ferror(f) ? imp_err_set(err, IMP_EIO, "write failed") : 0;
}

/* ---- the command ---- */

/* Analyse every competitor (as `imprint analyze` without filters). 0 with c->analysed set,
 * 0 with c->why_not when the cube has too little, or an error. */
static int analyse(ctx *c, const imp_analyze_opts *ao, imp_err *err)
{
    imp_analyze_spec spec = {0};
    int rc = imp_analyze_select(c->cube, &spec, ao, &c->mat, NULL, NULL, err);
    if (rc)
        return rc;
    if (c->mat.m < 2 || c->mat.N < 2) {
        snprintf(c->why_not, sizeof c->why_not, "%zu competitors with results on %zu common "
                 "voters; at least 2 of each are needed", c->mat.m, c->mat.N);
        return 0;
    }
    if ((rc = imp_analyze_run(&c->mat, ao, &c->an, err)))
        return rc;
    c->analysed = 1;
    return 0;
}

static int add_figure(const ctx *c, page *P, const char *base, const char *caption, int frc,
                      imp_fig *fig, imp_err *ferr, imp_err *err)
{
    if (frc == IMP_ENOTFOUND) {
        if (P->n_skipped < 8)
            snprintf(P->skipped[P->n_skipped++], sizeof P->skipped[0], "%s", ferr->msg);
        return 0;
    }
    if (frc) {
        *err = *ferr;
        return frc;
    }
    fig_arg a = {.fig = fig, .width = &P->fig_w[P->n_fig]}; /* pt */
    int rc = write_fig(c, base, a, err);
    if (!rc) {
        P->fig_base[P->n_fig] = base;
        P->fig_caption[P->n_fig++] = caption;
    }
    imp_fig_free(fig);
    return rc;
}

/* DIR as a directory, created if missing (one level). A path that cannot be one — a file, a
 * missing parent, no permission — is the user's to fix: IMP_EUSAGE; anything else IMP_EIO. */
static int make_dir(const char *dir, imp_err *err)
{
    struct stat st;
    if (mkdir(dir, 0777) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
        return 0;
    int e = errno;
    if (e == EEXIST)
        return imp_err_set(err, IMP_EUSAGE, "--out %s: exists and is not a directory", dir);
    int user = e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM || e == EROFS ||
               e == ENAMETOOLONG || e == ELOOP;
    return imp_err_set(err, user ? IMP_EUSAGE : IMP_EIO,
                       "--out %s: cannot create the report directory: %s%s", dir, strerror(e),
                       e == ENOENT ? " (its parent must exist)" : "");
}

int imp_cmd_report(int argc, char **argv)
{
    const char *cube_path = NULL, *dir = NULL, *nc1_path = NULL;
    int no_journal = 0;
    imp_analyze_opts ao = {0};
    enum { O_NO_JOURNAL = 1, O_OUT, O_NC1, O_ALPHA };
    static const imp_opt opts[] = {{"no-journal", 0, O_NO_JOURNAL}, {"out", 1, O_OUT},
                                   {"nc1", 1, O_NC1},               {"alpha", 1, O_ALPHA},
                                   {NULL, 0, 0}};
    imp_opts op;
    imp_opts_init(&op, "report", opts, argc, argv);
    for (int o; (o = imp_opts_next(&op)) != IMP_OPT_END;) {
        const char *v = op.val;
        switch (o) {
        case IMP_OPT_HELP: help(); return 0;
        case IMP_OPT_ERR: return 2;
        case O_NO_JOURNAL: no_journal = 1; break;
        case O_OUT: dir = v; break;
        case O_NC1: nc1_path = v; break;
        case O_ALPHA:
            if (imp_parse_double(v, &ao.alpha) || !(ao.alpha > 0 && ao.alpha < 1))
                return imp_tool_usage("report", "--alpha '%s': expected a number in (0, 1)", v);
            break;
        case IMP_OPT_ARG:
            if (cube_path)
                return imp_tool_usage("report", "one cube at a time ('%s' and '%s')", cube_path,
                                      v);
            cube_path = v;
            break;
        }
    }
    if (!cube_path)
        return imp_tool_usage("report", "which cube? imprint report JOB.yaml|CUBE.h5 --out DIR");
    if (!dir)
        return imp_tool_usage("report", "--out DIR is required");

    imp_err err, ferr;
    imp_err_clear(&err);
    imp_err_clear(&ferr);
    ctx c;
    memset(&c, 0, sizeof c);
    c.dir = dir;
    page P;
    memset(&P, 0, sizeof P);
    imp_nc1_table nt = {0};
    imp_fig fig;
    int rc;
    if (nc1_path && (rc = imp_nc1_table_read(nc1_path, &nt, &err)))
        goto fail;
    if ((rc = imp_tool_load_cube(cube_path, no_journal, stderr, &c.cube, NULL, &err)))
        goto fail;
    if ((rc = make_dir(dir, &err)))
        goto fail;
    imp_cube_count(c.cube, P.counts);
    if ((rc = analyse(&c, &ao, &err)))
        goto fail;
    if (c.analysed) {
        static const imp_report_opts md = {IMP_REPORT_MD, 0, NULL, 0},
                                     csv = {IMP_REPORT_CSV, 0, NULL, 0},
                                     pairs = {IMP_REPORT_PAIRS_CSV, 0, NULL, 0},
                                     tex = {IMP_REPORT_LATEX, 0, NULL, 0};
        if ((rc = write_file(&c, "ranks.md", w_report, &md, &err)) ||
            (rc = write_file(&c, "ranks.csv", w_report, &csv, &err)) ||
            (rc = write_file(&c, "pairs.csv", w_report, &pairs, &err)) ||
            (rc = write_file(&c, "ranks.tex", w_report, &tex, &err)))
            goto fail;
        fig_arg a = {.mat = &c.mat, .an = &c.an, .width = &P.fig_w[P.n_fig]};
        if ((rc = write_fig(&c, "cd", a, &err)))
            goto fail;
        P.cd_m = c.an.n_tested;
        P.fig_base[P.n_fig] = "cd";
        P.fig_caption[P.n_fig] = P.cd_m < c.an.m ? "Critical-difference diagram of the tested "
                                                   "(best) competitors (bars join competitors "
                                                   "not significantly different)."
                                                    : "Critical-difference diagram (bars join "
                                                      "competitors not significantly different).";
        P.n_fig++;
    } else if (P.n_skipped < 8) {
        snprintf(P.skipped[P.n_skipped++], sizeof P.skipped[0], "CD diagram: %s", c.why_not);
    }
    rc = imp_fig_acc_vs_k(c.cube, &fig, &ferr);
    if (!rc)
        imp_fig_keep_best(&fig, MAX_LINES);
    if ((rc = add_figure(&c, &P, "acc-k", "Accuracy against k per strategy: mean over voters "
                         "of the seed medians, band: mean seed minimum to maximum.", rc, &fig,
                         &ferr, &err)))
        goto fail;
    rc = imp_fig_acc_vs_shot(c.cube, &fig, &ferr);
    if (!rc)
        imp_fig_keep_best(&fig, MAX_LINES);
    if ((rc = add_figure(&c, &P, "acc-shot", "Accuracy against shot: mean over seeds of the "
                         "voters' mean, band: 95% confidence interval over seeds.", rc, &fig,
                         &ferr, &err)))
        goto fail;
    rc = imp_fig_gen_seconds(c.cube, &fig, &ferr);
    if ((rc = add_figure(&c, &P, "gen-seconds", "GEN seconds per method (one value per "
                         "distinct GEN computation; box: quartiles, whiskers: min and max).",
                         rc, &fig, &ferr, &err)))
        goto fail;
    if (nc1_path) {
        double rho;
        rc = imp_fig_nc1_gain(c.cube, &nt, &fig, &rho, &ferr);
        if ((rc = add_figure(&c, &P, "nc1-gain", "NC1 of each voter's embeddings against the "
                             "gain of the best multi-proxy over the best single-proxy "
                             "imprinting competitor.", rc, &fig, &ferr, &err)))
            goto fail;
    } else if (P.n_skipped < 8) {
        snprintf(P.skipped[P.n_skipped++], sizeof P.skipped[0],
                 "NC1 against gain: no NC1 table (--nc1, from imprint nc1 --all --csv)");
    }
    if ((rc = write_file(&c, "index.html", w_html, &P, &err)))
        goto fail;
    printf("report: %s/index.html (%zu figures, %zu not drawn)\n", dir, P.n_fig, P.n_skipped);
    goto out;
fail:
    rc = imp_tool_fail(&err);
out:
    if (c.analysed)
        imp_analysis_free(&c.an);
    imp_analyze_matrix_free(&c.mat);
    imp_cube_free(c.cube);
    imp_nc1_table_free(&nt);
    return rc;
}
