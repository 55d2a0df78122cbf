/* cmd_report.c — `imprint report CUBE.h5 --out DIR`: the paper's figure set from a cube — one
 * self-contained HTML page (job summary, the paper's claims checked, the results table, every
 * figure the cube's axes allow, then the long rank and significance tables), each figure as
 * SVG, PDF and PNG and the tables as Markdown, CSV and LaTeX. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "cmd_report_run.h"
#include "opts.h"
#include "toolio.h"

static void help(void)
{
    char values[128]; /* the page shows a score: the values where higher is better */
    printf("usage: imprint report JOB.yaml|CUBE.h5 --out DIR [--nc1 TABLE.csv] [--alpha 0.05]\n"
           "                      [--where KEY=V1,V2[,KEY=V]...]... [--competitors LIST]...\n"
           "                      [--name NAME=STR[@k=K][@shot=S]]... [--no-names]\n"
           "                      [--facet model|dataset|task] [--width one|two|PT]\n"
           "                      [--value %s]\n"
           "                      [--no-journal]\n"
           "\n"
           "Write DIR/index.html, one page that needs no network, in the order of a paper:\n"
           "  summary       the job: grid sizes, cell counts (done, failed, pending, n/a),\n"
           "                store, imprint version, the selection\n"
           "  claims        the paper's claims checked on this cube, each with this run's\n"
           "                numbers and whether it holds (claims.md): multi-proxy GEN beats\n"
           "                the single mean; L2 normalisation matters; Ours ranks first among\n"
           "                the named strategies; the multi-proxy gain grows with NC1\n"
           "                (--nc1; Spearman's rho > 0 with p < 0.05)\n"
           "  results       accuracy per (model, task) of the named competitors (or the %d\n"
           "                best), mean +- std over seeds, best of each row in bold\n"
           "                (acc-table.md, .csv, .tex)\n"
           "  figures       cd (critical-difference diagram of the tested competitors, the\n"
           "                %d best by mean rank when there are more), acc-k (accuracy against\n"
           "                k), acc-shot (against shot; 95%% t-bands over seeds, none from\n"
           "                fewer than 3 seeds), gen-seconds (box plot, log scale), nc1-gain\n"
           "                (NC1 against the multi-proxy gain, Spearman's rho; needs --nc1);\n"
           "                at most %d lines each, the best by their highest point\n"
           "  ranks, tests  the rank table of every (strategy, k, shot) competitor on the\n"
           "                (model, task) voters, Friedman and Wilcoxon-Holm (the first %d\n"
           "                rows on the page; all in ranks.md, ranks.csv, ranks.tex, pairs.csv)\n"
           "Each figure is written as FIG.svg, FIG.pdf and FIG.png. Files are replaced\n"
           "atomically.\n"
           "\n"
           "  --out DIR            the report's directory (created if missing; its parent must\n"
           "                       exist)\n"
           "  --nc1 TABLE          the NC1 table (imprint nc1 --all --csv) for nc1-gain and the\n"
           "                       NC1 claim\n"
           "  --alpha A            significance level of the tests (default 0.05)\n"
           "  --where, --competitors, --name, --no-names\n"
           "                       the selection, as imprint analyze takes it: the whole page\n"
           "                       (claims, tables, figures) is about the selected cells\n"
           "  --facet AXIS         one panel per model, dataset or task in every figure but\n"
           "                       the CD diagram, with shared axes and one legend\n"
           "  --value V            what the page shows: accuracy (default) or f1 (macro-F1\n"
           "                       over the task's classes, percent): claims, tables, ranks and\n"
           "                       figures alike\n"
           "  --width W            figure width: one (%.0f pt, a column), two (%.0f pt, the\n"
           "                       page of a two-column paper) or a width in pt (default %.0f;\n"
           "                       faceted figures: two)\n"
           "  --no-journal         do not read CUBE.h5.journal (the cube alone)\n",
           imp_analyze_value_names(values, sizeof values, 1, "|"), ACC_COLS,
           IMP_ANALYZE_DEFAULT_TOP, MAX_LINES, HTML_ROWS, WIDTH_ONE, WIDTH_TWO, IMP_CHART_WIDTH);
}

/* ---- options ---- */

/* Parse argv; 0, -1 after --help, or the exit code of a usage error (already printed). */
static int parse(int argc, char **argv, opts *o)
{
    enum { O_NO_JOURNAL = 1, O_OUT, O_NC1, O_ALPHA, O_WHERE, O_COMPETITORS, O_NAME, O_NO_NAMES,
           O_FACET, O_WIDTH, O_VALUE };
    static const imp_opt table[] = {
        {"no-journal", 0, O_NO_JOURNAL}, {"out", 1, O_OUT},       {"nc1", 1, O_NC1},
        {"alpha", 1, O_ALPHA},           {"where", 1, O_WHERE},   {"competitors", 1, O_COMPETITORS},
        {"name", 1, O_NAME},             {"no-names", 0, O_NO_NAMES}, {"facet", 1, O_FACET},
        {"width", 1, O_WIDTH},           {"value", 1, O_VALUE},   {NULL, 0, 0}};
    imp_opts op;
    imp_opts_init(&op, "report", table, argc, argv);
    for (int c; (c = imp_opts_next(&op)) != IMP_OPT_END;) {
        const char *v = op.val;
        switch (c) {
        case IMP_OPT_HELP: help(); return -1;
        case IMP_OPT_ERR: return 2;
        case O_NO_JOURNAL: o->no_journal = 1; break;
        case O_OUT: o->dir = v; break;
        case O_NC1: o->nc1 = v; break;
        case O_NO_NAMES: o->no_names = 1; break;
        case O_ALPHA:
            if (imp_parse_double(v, &o->ao.alpha) || !(o->ao.alpha > 0 && o->ao.alpha < 1))
                return imp_tool_usage("report", "--alpha '%s': expected a number in (0, 1)", v);
            break;
        case O_WHERE:
            if (o->n_where == (int)(sizeof o->where / sizeof o->where[0]))
                return imp_tool_usage("report", "too many --where options");
            o->where[o->n_where++] = v;
            break;
        case O_COMPETITORS:
        case O_NAME:
            if (imp_append_list(c == O_NAME ? &o->names : &o->competitors, v))
                return imp_tool_usage("report", "out of memory");
            break;
        case O_FACET:
            o->facet = strcmp(v, "model") == 0     ? FACET_MODEL
                       : strcmp(v, "dataset") == 0 ? FACET_DATASET
                       : strcmp(v, "task") == 0    ? FACET_TASK
                                                   : FACET_NONE;
            if (o->facet == FACET_NONE)
                return imp_tool_usage("report", "--facet '%s': expected model, dataset or task",
                                      v);
            break;
        case O_WIDTH:
            if (strcmp(v, "one") == 0)
                o->width = WIDTH_ONE;
            else if (strcmp(v, "two") == 0)
                o->width = WIDTH_TWO;
            else if (imp_parse_double(v, &o->width) || !(o->width >= IMP_CHART_MIN_PANEL &&
                                                         o->width <= 2000))
                return imp_tool_usage("report", "--width '%s': expected one, two or a width in "
                                      "pt from %.0f to 2000", v, IMP_CHART_MIN_PANEL);
            break;
        case O_VALUE: {
            int v2 = imp_analyze_value_from_name(v);
            /* the page is about a score: times have their own figure (gen-seconds) */
            if (v2 < 0 || !imp_analyze_value_higher_better((imp_analyze_value)v2)) {
                char values[128];
                return imp_tool_usage("report", "--value '%s': expected %s", v,
                                      imp_analyze_value_names(values, sizeof values, 1, " or "));
            }
            o->value = (imp_analyze_value)v2;
            break;
        }
        case IMP_OPT_ARG:
            if (o->cube)
                return imp_tool_usage("report", "one cube at a time ('%s' and '%s')", o->cube,
                                      v);
            o->cube = v;
            break;
        }
    }
    if (!o->cube)
        return imp_tool_usage("report", "which cube? imprint report JOB.yaml|CUBE.h5 --out DIR");
    if (!o->dir)
        return imp_tool_usage("report", "--out DIR is required");
    o->ao.test_all = o->competitors != NULL;
    return 0;
}

/* ---- tables ---- */

static int w_report(FILE *f, const ctx *c, const void *arg, imp_err *err)
{
    return imp_analyze_report_ex(f, arg, &c->cube->axes, &c->mat, &c->an, err);
}

static int w_acc(FILE *f, const ctx *c, const void *arg, imp_err *err)
{
    return imp_acc_table_write(f, *(const imp_report_format *)arg, &c->acc, &c->cube->axes, err);
}

static int w_claims_md(FILE *f, const ctx *c, const void *arg, imp_err *err)
{
    (void)arg;
    char buf[768];
    fputs("| claim | this run | verdict |\n|---|---|---|\n", f);
    for (int i = 0; i < IMP_CLAIM__COUNT; i++) {
        const imp_claim *cl = &c->claims[i];
        fputs("| ", f);
        imp_analyze_md_text(f, imp_claim_text(cl->id));
        fputs(" | ", f);
        imp_analyze_md_text(f, imp_claim_evidence(cl, buf, sizeof buf));
        fprintf(f, " | %s |\n", imp_claim_verdict(cl));
    }
    return ferror(f) ? imp_err_set(err, IMP_EIO, "write failed") : 0;
}

/* ---- the command ---- */

/* Analyse the selected competitors (as `imprint analyze` with the same options). 0 with
 * c->analysed set, 0 with c->why_not when the selection has too little, or an error. */
static int analyse(ctx *c, const imp_analyze_spec *spec, imp_err *err)
{
    int rc = imp_analyze_select(c->cube, spec, &c->o->ao, &c->mat, NULL, NULL, err);
    if (rc)
        return rc;
    if (c->mat.m < 2 || c->mat.N < 2) {
        snprintf(c->why_not, sizeof c->why_not, "%zu competitors with results on %zu common "
                 "voters; at least 2 of each are needed", c->mat.m, c->mat.N);
        return 0;
    }
    if ((rc = imp_analyze_run(&c->mat, &c->o->ao, &c->an, err)))
        return rc;
    c->analysed = 1;
    return 0;
}

/* The results table's columns: the named competitors (the paper's, the user's) in rank
 * order, at most MAX_LINES; with fewer than 2 named, the ACC_COLS best by mean rank. */
static int results_table(ctx *c, imp_err *err)
{
    if (!c->analysed)
        return 0;
    size_t rows[MAX_LINES > ACC_COLS ? MAX_LINES : ACC_COLS], n = 0;
    for (size_t r = 0; r < c->an.m && n < MAX_LINES; r++)
        if (c->mat.comp[c->mat.row[c->an.order[r]]].named)
            rows[n++] = c->an.order[r];
    if (n < 2)
        for (n = 0; n < c->an.m && n < ACC_COLS; n++)
            rows[n] = c->an.order[n];
    int rc = imp_acc_table_build(c->cube, &c->mat, rows, n, &c->acc, err);
    c->has_acc = rc == 0;
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
    opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc) {
        free(o.competitors), free(o.names);
        return rc < 0 ? 0 : rc;
    }
    imp_err err;
    imp_err_clear(&err);
    ctx c;
    memset(&c, 0, sizeof c);
    c.o = &o;
    page P;
    memset(&P, 0, sizeof P);
    imp_nc1_table nt = {0};
    facets fa = {0};
    float *accuracy = NULL;
    if (o.nc1 && (rc = imp_nc1_table_read(o.nc1, &nt, &err)))
        goto fail;
    c.nt = o.nc1 ? &nt : NULL;
    if ((rc = imp_tool_load_cube(o.cube, o.no_journal, stderr, &c.cube, NULL, &err)))
        goto fail;
    if (!(c.status0 = malloc(c.cube->n_cells ? c.cube->n_cells : 1))) {
        rc = imp_err_set(&err, IMP_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(c.status0, c.cube->status, c.cube->n_cells);
    /* --value: every figure, claim and table reads the cube's accuracy array, so point it at
     * the value's (given back before the cube is freed) */
    accuracy = c.cube->accuracy;
    c.cube->accuracy = (float *)imp_analyze_values(c.cube, o.value);
    imp_analyze_spec spec = {o.where, (size_t)o.n_where, o.competitors, o.names, o.no_names,
                             NULL, o.value};
    /* the selection, once: the matrix for the tables, the mask for figures and claims */
    if ((rc = analyse(&c, &spec, &err)) ||
        (rc = imp_analyze_mask(c.cube, &spec, c.cube->status, &err)))
        goto fail;
    if (o.facet && (rc = imp__report_facets_build(c.cube, o.facet, &fa, &err)))
        goto fail;
    c.fa = o.facet ? &fa : NULL;
    if ((rc = make_dir(o.dir, &err)) ||
        (rc = imp_claims_compute(c.cube, c.nt, c.claims, &err)) ||
        (rc = results_table(&c, &err)) ||
        (rc = imp__report_write_file(&c, "claims.md", w_claims_md, NULL, &err)))
        goto fail;
    if (c.has_acc) {
        static const imp_report_format md = IMP_REPORT_MD, csv = IMP_REPORT_CSV,
                                       tex = IMP_REPORT_LATEX;
        if ((rc = imp__report_write_file(&c, "acc-table.md", w_acc, &md, &err)) ||
            (rc = imp__report_write_file(&c, "acc-table.csv", w_acc, &csv, &err)) ||
            (rc = imp__report_write_file(&c, "acc-table.tex", w_acc, &tex, &err)))
            goto fail;
    }
    if (c.analysed) {
        static const imp_report_opts md = {IMP_REPORT_MD, 0, NULL, 0},
                                     csv = {IMP_REPORT_CSV, 0, NULL, 0},
                                     pairs = {IMP_REPORT_PAIRS_CSV, 0, NULL, 0},
                                     tex = {IMP_REPORT_LATEX, 0, NULL, 0};
        if ((rc = imp__report_write_file(&c, "ranks.md", w_report, &md, &err)) ||
            (rc = imp__report_write_file(&c, "ranks.csv", w_report, &csv, &err)) ||
            (rc = imp__report_write_file(&c, "pairs.csv", w_report, &pairs, &err)) ||
            (rc = imp__report_write_file(&c, "ranks.tex", w_report, &tex, &err)))
            goto fail;
    }
    if ((rc = imp__report_figures(&c, &P, &err)) ||
        (rc = imp__report_write_file(&c, "index.html", imp__report_page, &P, &err)))
        goto fail;
    printf("report: %s/index.html (%zu figures, %zu not drawn)\n", o.dir, P.n_fig, P.n_skipped);
    goto out;
fail:
    rc = imp_tool_fail(&err);
out:
    if (c.analysed)
        imp_analysis_free(&c.an);
    if (c.has_acc)
        imp_acc_table_free(&c.acc);
    imp_analyze_matrix_free(&c.mat);
    if (c.cube && accuracy)
        c.cube->accuracy = accuracy;
    imp_cube_free(c.cube);
    free(c.status0);
    imp_nc1_table_free(&nt);
    imp__report_facets_free(&fa);
    free(o.competitors), free(o.names);
    return rc;
}
