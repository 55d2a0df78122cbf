/* cmd_report_page.c — index.html of `imprint report`: the job, the claims, the results
 * table, the figures, then the long rank and significance tables and the failures, in one
 * self-contained page (no script, nothing from the network). */
#include <stdio.h>
#include <string.h>

#include "cmd_report_run.h"
#include "imprint/version.h"

static void html_esc(FILE *f, const char *s) { imp_analyze_html_text(f, s); }

/* Name of matrix row i (after the paper's names: "Ours", "Qi", …). */
static const char *row_name(const ctx *c, size_t i)
{
    return c->mat.comp[c->mat.row[i]].name;
}

static void html_failures(FILE *f, const ctx *c)
{
    const imp_cube *cube = c->cube;
    size_t shown = 0, total = 0;
    char b[IMP_AX__COUNT][32];
    for (uint64_t i = 0; i < cube->n_cells; i++) {
        if (c->status0[i] != IMP_CELL_FAILED)
            continue;
        if (total++ == 0) {
            fputs("<table class=\"fail\"><tr>", f);
            for (int ax = 0; ax < IMP_AX__COUNT; ax++)
                fprintf(f, "<th>%s</th>", imp_axis_name(ax));
            fputs("<th>message</th></tr>\n", f);
        }
        if (shown == HTML_FAILS)
            continue;
        size_t idx[IMP_AX__COUNT];
        imp_axes_cell_coords(&cube->axes, i, idx);
        fputs("<tr>", f);
        for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
            fputs("<td>", f);
            html_esc(f, imp_axis_value(&cube->axes, ax, idx[ax], b[ax], sizeof b[ax]));
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

/* One axis of the summary: "3: m1, m2, m3" (the first few values). */
static void html_axis(FILE *f, const imp_axes *a, int ax)
{
    size_t n = imp_axis_len(a, ax);
    char b[32];
    fprintf(f, "<tr><th>%s</th><td>%zu: ", imp_axis_info_of(ax)->key, n);
    for (size_t i = 0; i < n && i < 12; i++) {
        fputs(i ? ", " : "", f);
        html_esc(f, imp_axis_value(a, ax, i, b, sizeof b));
    }
    fputs(n > 12 ? ", …</td></tr>\n" : "</td></tr>\n", f);
}

static void html_summary(FILE *f, const ctx *c)
{
    const imp_cube *cube = c->cube;
    const opts *o = c->o;
    size_t n[IMP_CELL__NSTATUS] = {0};
    for (uint64_t i = 0; i < cube->n_cells; i++)
        n[c->status0[i]]++;
    size_t valid = n[IMP_CELL_DONE] + n[IMP_CELL_FAILED] + n[IMP_CELL_PENDING];
    fputs("<h2>Job</h2>\n<table id=\"summary\">\n<tr><th>cube</th><td><code>", f);
    html_esc(f, o->cube);
    fputs("</code></td></tr>\n<tr><th>store</th><td><code>", f);
    html_esc(f, cube->store ? cube->store : "");
    fputs("</code></td></tr>\n<tr><th>version</th><td>cube written by imprint ", f);
    html_esc(f, cube->imprint_version ? cube->imprint_version : "?");
    fputs(", report by imprint ", f);
    html_esc(f, imp_version());
    fputs("</td></tr>\n<tr><th>created, updated</th><td>", f);
    html_esc(f, cube->created ? cube->created : "");
    fputs(", ", f);
    html_esc(f, cube->updated ? cube->updated : "");
    fputs("</td></tr>\n", f);
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        html_axis(f, &cube->axes, ax);
    fprintf(f, "<tr><th>cells</th><td id=\"status\">%llu in the grid, %zu valid: "
               "<span class=\"done\">%zu done</span>, <span class=\"failed\">%zu failed</span>, "
               "<span class=\"pending\">%zu pending</span> (%zu n/a)</td></tr>\n",
            (unsigned long long)cube->n_cells, valid, n[IMP_CELL_DONE], n[IMP_CELL_FAILED],
            n[IMP_CELL_PENDING], n[IMP_CELL_NA]);
    if (o->n_where || o->competitors || o->names) {
        fputs("<tr><th>selection</th><td><code>", f);
        for (int i = 0; i < o->n_where; i++) {
            fputs("--where ", f);
            html_esc(f, o->where[i]);
            fputs(" ", f);
        }
        if (o->competitors) {
            fputs("--competitors ", f);
            html_esc(f, o->competitors);
            fputs(" ", f);
        }
        if (o->names) {
            fputs("--name ", f);
            html_esc(f, o->names);
        }
        fputs("</code></td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void html_claims(FILE *f, const ctx *c)
{
    char buf[768], shot[32];
    size_t sh = imp_fig_main_shot(c->cube);
    fprintf(f, "<h2>Claims</h2>\n<p>The paper's claims on this run's selected cells (voters: "
               "(model, task) pairs, a voter's value the median %s over its done seeds, "
               "at shot %s; pp = percentage points). Computed from the cube; "
               "<a href=\"claims.md\">claims.md</a>.</p>\n<table id=\"claims\"><tr><th>claim"
               "</th><th>this run</th><th>verdict</th></tr>\n",
            imp_analyze_value_label(c->o->value),
            imp_axis_value(&c->cube->axes, IMP_AX_SHOT, sh, shot, sizeof shot));
    for (int i = 0; i < IMP_CLAIM__COUNT; i++) {
        const imp_claim *cl = &c->claims[i];
        fputs("<tr><td>", f);
        html_esc(f, imp_claim_text(cl->id));
        fputs("</td><td>", f);
        html_esc(f, imp_claim_evidence(cl, buf, sizeof buf));
        fprintf(f, "</td><td class=\"%s\">%s</td></tr>\n",
                !cl->testable ? "pending" : cl->holds ? "done" : "failed", imp_claim_verdict(cl));
    }
    fputs("</table>\n", f);
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

int imp__report_page(FILE *f, const ctx *c, const void *arg, imp_err *err)
{
    const page *P = arg;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>imprint report</title>\n<style>\n"
          "body{font-family:'DejaVu Sans',sans-serif;max-width:60em;margin:1em auto;"
          "padding:0 1em;color:#111}\n"
          "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}\n"
          "td,th{border-bottom:1px solid #ccc;padding:.2em .6em;text-align:left}\n"
          "td:nth-child(n+3){font-variant-numeric:tabular-nums}\n"
          "figure{margin:1em 0}img{max-width:100%;height:auto;border:1px solid #eee}\n"
          ".done{color:#060}.failed{color:#a00}.pending{color:#a60}\n"
          "</style></head><body>\n<h1>imprint report</h1>\n", f);
    html_summary(f, c);
    html_claims(f, c);
    fputs("<h2>Results</h2>\n", f);
    if (c->has_acc) {
        fputs("<p>", f);
        html_esc(f, imp_analyze_value_label(c->o->value));
        fputs(" (%) per model and task: mean ± std over the done seeds; the best of "
              "each row in bold. <a href=\"acc-table.md\">acc-table.md</a>, <a href=\"acc-table."
              "csv\">.csv</a>, <a href=\"acc-table.tex\">.tex</a>.</p>\n", f);
        imp_report_format html = IMP_REPORT_TEXT; /* anything but MD/CSV/LaTeX: HTML */
        int rc = imp_acc_table_write(f, html, &c->acc, &c->cube->axes, err);
        if (rc)
            return rc;
    } else {
        fputs("<p>No results table: ", f);
        html_esc(f, c->why_not);
        fputs("</p>\n", f);
    }
    fputs("<h2>Figures</h2>\n", f);
    for (size_t i = 0; i < P->n_fig; i++) {
        const char *b = P->fig_base[i];
        /* at its print size (CSS pt), so its 8.5 pt text reads as in the paper; max-width
         * shrinks a wide figure to the page */
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
    /* the long tables last, after every figure */
    fputs("<h2>Ranks</h2>\n", f);
    if (c->analysed) {
        html_ranks(f, c);
        fputs("<p>Tables: <a href=\"ranks.md\">ranks.md</a>, <a href=\"ranks.csv\">ranks.csv"
              "</a>, <a href=\"ranks.tex\">ranks.tex</a> (booktabs, tabularx), <a href=\""
              "pairs.csv\">pairs.csv</a>.</p>\n<h2>Significance</h2>\n", f);
        html_significance(f, c);
    } else {
        fputs("<p>No rank analysis: ", f);
        html_esc(f, c->why_not);
        fputs("</p>\n", f);
    }
    fputs("<h2>Failures</h2>\n", f);
    html_failures(f, c);
    fputs("</body></html>\n", f);
    return ferror(f) ? imp_err_set(err, IMP_EIO, "write failed") : 0;
}
