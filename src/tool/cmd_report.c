/* cmd_report.c — `imprint report CUBE.h5 --out DIR`: the paper's figure set from a cube — one
 * self-contained HTML page (job summary, the paper's claims checked, the results table, every
 * figure the cube's axes allow, then the long rank and significance tables), each figure as
 * SVG, PDF and PNG and the tables as Markdown, CSV and LaTeX. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "acctable.h"
#include "analyze.h"
#include "claims.h"
#include "cmd.h"
#include "imprint/job.h"
#include "imprint/version.h"
#include "opts.h"
#include "plotfig.h"
#include "toolio.h"

#define HTML_ROWS 30     /* rank rows on the page (all in ranks.csv/.md/.tex) */
#define HTML_PAIRS 30    /* pairwise rows on the page (all in pairs.csv) */
#define HTML_FAILS 50    /* failures listed on the page */
#define MAX_LINES IMP_CHART_COLORS /* lines in the accuracy figures (the best, by their highest
                                   * point): one colour each */
#define ACC_COLS 6       /* results-table columns when the selection names fewer than 2 */
#define MAX_FIGS 8
#define WIDTH_ONE 240.0  /* pt: one column of a two-column paper (3.33 in) */
#define WIDTH_TWO 504.0  /* pt: the full text width of a two-column paper (7 in) */

static void help(void)
{
    printf("usage: imprint report JOB.yaml|CUBE.h5 --out DIR [--nc1 TABLE.csv] [--alpha 0.05]\n"
           "                      [--where KEY=V1,V2[,KEY=V]...]... [--competitors LIST]...\n"
           "                      [--name NAME=STR[@k=K][@shot=S]]... [--no-names]\n"
           "                      [--facet model|dataset|task] [--width one|two|PT]\n"
           "                      [--value accuracy|f1]\n"
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
           ACC_COLS, IMP_ANALYZE_DEFAULT_TOP, MAX_LINES, HTML_ROWS, WIDTH_ONE, WIDTH_TWO,
           IMP_CHART_WIDTH);
}

/* ---- options ---- */

typedef enum { FACET_NONE = 0, FACET_MODEL, FACET_DATASET, FACET_TASK } facet_kind;

typedef struct opts {
    const char *cube, *dir, *nc1;
    const char *where[64];
    int n_where;
    char *competitors, *names;
    int no_journal, no_names;
    facet_kind facet;
    double width; /* pt; 0: the chart default */
    imp_analyze_value value; /* a higher-is-better value: accuracy or F1 */
    imp_analyze_opts ao;
} opts;

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
            if (v2 < 0 || !imp_analyze_value_higher_better((imp_analyze_value)v2))
                return imp_tool_usage("report", "--value '%s': expected accuracy%s", v,
                                      imp_analyze_value_from_name("f1") >= 0 ? " or f1" : "");
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

/* ---- output helpers ---- */

static void html_esc(FILE *f, const char *s) { imp_analyze_html_text(f, s); }

typedef struct facets facets;

typedef struct ctx {
    const opts *o;
    imp_cube *cube;          /* its status masked to the selection (imp_analyze_mask) */
    uint8_t *status0;        /* the status before the mask: the job's own counts */
    imp_analyze_matrix mat;
    imp_analysis an;
    int analysed;
    char why_not[512];       /* why there is no rank analysis */
    imp_claim claims[IMP_CLAIM__COUNT];
    imp_acc_table acc;
    int has_acc;
    const imp_nc1_table *nt; /* NULL without --nc1 */
    const facets *fa;        /* NULL without --facet */
} ctx;

static char *out_path(const ctx *c, const char *name)
{
    size_t n = strlen(c->o->dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", c->o->dir, name);
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

/* Name of matrix row i (after the paper's names: "Ours", "Qi", …). */
static const char *row_name(const ctx *c, size_t i)
{
    return c->mat.comp[c->mat.row[i]].name;
}

/* ---- facets: one panel per model, dataset or task ---- */

/* The facet values: value g keeps the models (FACET_MODEL) or tasks (else) with
 * member[g][i] set; a dataset groups the tasks whose datasets (joined by ',') are the same. */
struct facets {
    int axis; /* IMP_AX_MODEL or IMP_AX_TASK */
    size_t n;
    char *label[IMP_CHART_MAX_PANELS];
    unsigned char *member[IMP_CHART_MAX_PANELS];
};

static void facets_free(facets *fa)
{
    for (size_t g = 0; g < fa->n; g++)
        free(fa->label[g]), free(fa->member[g]);
    memset(fa, 0, sizeof *fa);
}

/* The datasets of task ta as the job stored in the cube names them ("fmnist", "a,b"), or
 * the task's name when the cube has no job. */
static void task_datasets(const imp_cube *cube, const imp_job *job, size_t ta, char *buf,
                          size_t n)
{
    int ti = job ? imp_job_task_index(job, cube->axes.task[ta]) : -1;
    snprintf(buf, n, "%s", cube->axes.task[ta]);
    if (ti < 0)
        return;
    buf[0] = 0;
    for (size_t d = 0; d < job->tasks[ti].n_datasets; d++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", d ? "," : "",
                 job->tasks[ti].datasets[d]);
}

/* The facet values with a selected cell that is not n/a, in cube order. */
static int facets_build(const imp_cube *cube, facet_kind kind, facets *fa, imp_err *err)
{
    const imp_cube_axes *a = &cube->axes;
    memset(fa, 0, sizeof *fa);
    fa->axis = kind == FACET_MODEL ? IMP_AX_MODEL : IMP_AX_TASK;
    size_t len = imp_cube_axis_len(a, fa->axis);
    unsigned char *live = calloc(len, 1);
    imp_job *job = NULL;
    if (!live)
        return imp_err_set(err, IMP_ENOMEM, "report: out of memory");
    for (uint64_t i = 0; i < cube->n_cells; i++)
        if (cube->status[i] != IMP_CELL_NA) {
            size_t idx[IMP_AX__COUNT];
            imp_cube_cell_coords(a, i, idx);
            live[idx[fa->axis]] = 1;
        }
    if (kind == FACET_DATASET && cube->job && *cube->job &&
        imp_job_parse(cube->job, strlen(cube->job), "cube job", NULL, &job, NULL) != 0)
        job = NULL;
    int rc = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        if (!live[i])
            continue;
        char label[1024];
        if (kind == FACET_DATASET)
            task_datasets(cube, job, i, label, sizeof label);
        else
            snprintf(label, sizeof label, "%s", fa->axis == IMP_AX_MODEL ? a->model[i]
                                                                         : a->task[i]);
        size_t g = 0;
        while (g < fa->n && strcmp(fa->label[g], label) != 0)
            g++;
        if (g == fa->n) {
            if (fa->n == IMP_CHART_MAX_PANELS) {
                rc = imp_err_set(err, IMP_EUSAGE, "--facet: more than %d values; narrow the "
                                 "selection with --where", IMP_CHART_MAX_PANELS);
                break;
            }
            fa->label[g] = strdup(label);
            fa->member[g] = calloc(len, 1);
            fa->n++;
            if (!fa->label[g] || !fa->member[g])
                rc = imp_err_set(err, IMP_ENOMEM, "report: out of memory");
        }
        if (!rc)
            fa->member[g][i] = 1;
    }
    free(live);
    imp_job_free(job);
    if (!rc && fa->n == 0)
        rc = imp_err_set(err, IMP_EUSAGE, "--facet: the selection has no cells");
    if (rc)
        facets_free(fa);
    return rc;
}

/* ---- figures ---- */

typedef struct page {
    const char *fig_base[MAX_FIGS];
    char fig_caption[MAX_FIGS][768];
    double fig_w[MAX_FIGS];
    size_t n_fig;
    char skipped[MAX_FIGS][600];
    size_t n_skipped;
} page;

/* A figure's computation: the cube (masked), an argument, the figure. */
typedef int (*fig_fn)(const imp_cube *cube, const void *arg, imp_fig *f, imp_err *err);

static int fn_acc_k(const imp_cube *cube, const void *arg, imp_fig *f, imp_err *err)
{
    (void)arg;
    int rc = imp_fig_acc_vs_k(cube, f, err);
    if (!rc)
        imp_fig_keep_best(f, MAX_LINES);
    return rc;
}

static int fn_acc_shot(const imp_cube *cube, const void *arg, imp_fig *f, imp_err *err)
{
    (void)arg;
    int rc = imp_fig_acc_vs_shot(cube, f, err);
    if (!rc)
        imp_fig_keep_best(f, MAX_LINES);
    return rc;
}

static int fn_gen_seconds(const imp_cube *cube, const void *arg, imp_fig *f, imp_err *err)
{
    (void)arg;
    return imp_fig_gen_seconds(cube, f, err);
}

static int fn_nc1_gain(const imp_cube *cube, const void *arg, imp_fig *f, imp_err *err)
{
    double rho;
    return imp_fig_nc1_gain(cube, arg, f, &rho, err);
}

/* What one figure file draws: a chart figure, its facet panels, or the CD diagram. */
typedef struct fig_arg {
    imp_plot_format fmt;
    const imp_fig *fig;         /* the figure, or with panels: */
    const imp_fig *panels;      /* [n_panels], titled by the facets' labels */
    size_t n_panels;
    const char *const *titles;
    double *width;              /* receives the figure's width in pt */
} fig_arg;

static int w_fig(FILE *f, const ctx *c, const void *arg, imp_err *err)
{
    const fig_arg *a = arg;
    if (a->panels) {
        imp_chart_grid G;
        /* panels need room: two to a row of a two-column paper's page by default */
        int rc = imp_fig_write_panels(f, a->fmt, a->panels, a->titles, a->n_panels,
                                      c->o->width > 0 ? c->o->width : WIDTH_TWO, &G, err);
        if (!rc)
            *a->width = G.width;
        return rc;
    }
    if (a->fig) {
        imp_chart_layout L;
        int rc = imp_fig_write(f, a->fmt, a->fig, &L, err);
        if (!rc)
            *a->width = L.width;
        return rc;
    }
    return imp_fig_cd(f, a->fmt, &c->cube->axes, &c->mat, &c->an, a->width, err);
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

static void skip(page *P, const char *what, const char *why)
{
    if (P->n_skipped < MAX_FIGS)
        snprintf(P->skipped[P->n_skipped++], sizeof P->skipped[0], "%s%s", what, why);
}

/* The figures say "accuracy"; with --value they show another score: say which. */
static void relabel(imp_fig *f, imp_analyze_value v)
{
    if (v == IMP_VALUE_ACCURACY)
        return;
    char *text[2] = {f->title, f->ylabel};
    size_t cap[2] = {sizeof f->title, sizeof f->ylabel};
    const char *name = imp_analyze_value_label(v);
    for (int i = 0; i < 2; i++) {
        char *at = strstr(text[i], i ? "accuracy" : "Accuracy");
        if (!at)
            continue;
        char rest[256];
        snprintf(rest, sizeof rest, "%s", at + strlen("accuracy"));
        snprintf(at, cap[i] - (size_t)(at - text[i]), "%s%s", name, rest);
    }
}

/* Compute figure base with fn (the whole selection, and with --facet one panel per facet
 * value, masked in turn and aligned to the whole figure's lines), write it and list it on the
 * page with caption (+ the figure's own words on missing bands). A figure the cube cannot
 * have (IMP_ENOTFOUND) is listed as not drawn with the reason. */
static int add_figure(ctx *c, page *P, const char *base, const char *caption, fig_fn fn,
                      const void *arg, imp_err *err)
{
    imp_fig fig;
    imp_err ferr;
    imp_err_clear(&ferr);
    int rc = fn(c->cube, arg, &fig, &ferr);
    if (rc == IMP_ENOTFOUND) {
        skip(P, "", ferr.msg);
        return 0;
    }
    if (rc) {
        *err = ferr;
        return rc;
    }
    relabel(&fig, c->o->value);
    fig.width = c->o->width;
    const facets *fa = c->fa;
    imp_fig *panels = NULL;
    uint8_t *saved = NULL;
    if (fa) {
        panels = calloc(fa->n, sizeof *panels);
        saved = malloc(c->cube->n_cells);
        if (!panels || !saved)
            rc = imp_err_set(err, IMP_ENOMEM, "report: out of memory");
        if (saved)
            memcpy(saved, c->cube->status, c->cube->n_cells);
        for (size_t g = 0; !rc && g < fa->n; g++) {
            for (uint64_t i = 0; i < c->cube->n_cells; i++) {
                size_t idx[IMP_AX__COUNT];
                imp_cube_cell_coords(&c->cube->axes, i, idx);
                c->cube->status[i] = fa->member[g][idx[fa->axis]] ? saved[i] : IMP_CELL_NA;
            }
            int frc = fn(c->cube, arg, &panels[g], &ferr);
            if (frc == IMP_ENOTFOUND) /* nothing for this value: an empty panel */
                memset(&panels[g], 0, sizeof panels[g]), frc = 0;
            relabel(&panels[g], c->o->value);
            if (panels[g].kind != IMP_SERIES_POINTS) /* "the 7 best of …": the caption's */
                panels[g].note[0] = 0;
            if (frc) {
                *err = ferr;
                rc = frc;
            } else {
                rc = imp_fig_align(&panels[g], &fig, err);
            }
        }
        if (saved)
            memcpy(c->cube->status, saved, c->cube->n_cells);
    }
    /* ties named after the panels are aligned (by the plain names); the panels' legend then
     * says the same as the whole figure's */
    imp_fig_mark_ties(&fig);
    for (size_t g = 0; !rc && panels && g < fa->n; g++)
        for (size_t j = 0; j < panels[g].n_series && j < fig.n_series; j++) {
            char *nm = fig.series[j].name ? strdup(fig.series[j].name) : NULL;
            if (fig.series[j].name && !nm) {
                rc = imp_err_set(err, IMP_ENOMEM, "report: out of memory");
                break;
            }
            free(panels[g].series[j].name);
            panels[g].series[j].name = nm;
        }
    int no_band = fig.no_band; /* the caption says why a band is missing, in any panel */
    for (size_t g = 0; panels && g < fa->n; g++)
        no_band |= panels[g].no_band;
    size_t k = P->n_fig;
    fig_arg a = {.fig = &fig, .panels = panels, .n_panels = fa ? fa->n : 0,
                 .titles = fa ? (const char *const *)fa->label : NULL, .width = &P->fig_w[k]};
    if (!rc)
        rc = write_fig(c, base, a, err);
    if (!rc) {
        P->fig_base[k] = base;
        snprintf(P->fig_caption[k], sizeof P->fig_caption[k], "%s%s%s%s%s%s", caption,
                 fa && fig.kind != IMP_SERIES_POINTS && fig.note[0] ? " Lines: " : "",
                 fa && fig.kind != IMP_SERIES_POINTS && fig.note[0] ? fig.note : "",
                 no_band ? " No band: fewer than 3 seeds behind some points (a 95 % t-band "
                               "from 2 seeds is ±12.7 standard errors wide)."
                             : "",
                 fa ? " One panel per " : "",
                 fa ? (c->o->facet == FACET_MODEL     ? "model, shared axes."
                       : c->o->facet == FACET_DATASET ? "dataset, shared axes."
                                                      : "task, shared axes.")
                    : "");
        P->n_fig++;
    }
    for (size_t g = 0; panels && g < fa->n; g++)
        imp_fig_free(&panels[g]);
    free(panels), free(saved);
    imp_fig_free(&fig);
    return rc;
}

/* ---- the page ---- */

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

/* One axis of the summary: "3: m1, m2, m3" (the first few values). */
static void html_axis(FILE *f, const imp_cube_axes *a, int ax)
{
    size_t n = imp_cube_axis_len(a, ax);
    char b[32];
    fprintf(f, "<tr><th>%s</th><td>%zu: ", imp_axis_info_of(ax)->key, n);
    for (size_t i = 0; i < n && i < 12; i++) {
        fputs(i ? ", " : "", f);
        html_esc(f, imp_cube_axis_value(a, ax, i, b, sizeof b));
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
            imp_cube_axis_value(&c->cube->axes, IMP_AX_SHOT, sh, shot, sizeof shot));
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

static int w_html(FILE *f, const ctx *c, const void *arg, imp_err *err)
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
    if (o.facet && (rc = facets_build(c.cube, o.facet, &fa, &err)))
        goto fail;
    c.fa = o.facet ? &fa : NULL;
    if ((rc = make_dir(o.dir, &err)) ||
        (rc = imp_claims_compute(c.cube, c.nt, c.claims, &err)) ||
        (rc = results_table(&c, &err)) ||
        (rc = write_file(&c, "claims.md", w_claims_md, NULL, &err)))
        goto fail;
    if (c.has_acc) {
        static const imp_report_format md = IMP_REPORT_MD, csv = IMP_REPORT_CSV,
                                       tex = IMP_REPORT_LATEX;
        if ((rc = write_file(&c, "acc-table.md", w_acc, &md, &err)) ||
            (rc = write_file(&c, "acc-table.csv", w_acc, &csv, &err)) ||
            (rc = write_file(&c, "acc-table.tex", w_acc, &tex, &err)))
            goto fail;
    }
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
        fig_arg a = {.width = &P.fig_w[P.n_fig]};
        if ((rc = write_fig(&c, "cd", a, &err)))
            goto fail;
        P.fig_base[P.n_fig] = "cd";
        snprintf(P.fig_caption[P.n_fig++], sizeof P.fig_caption[0], "%s",
                 c.an.n_tested < c.an.m ? "Critical-difference diagram of the tested (best) "
                                          "competitors (bars join competitors not "
                                          "significantly different)."
                                        : "Critical-difference diagram (bars join competitors "
                                          "not significantly different).");
    } else {
        skip(&P, "CD diagram: ", c.why_not);
    }
    if ((rc = add_figure(&c, &P, "acc-k", "Accuracy against k per strategy: mean over voters "
                         "of the seed medians, band: mean seed minimum to maximum.", fn_acc_k,
                         NULL, &err)) ||
        (rc = add_figure(&c, &P, "acc-shot", "Accuracy against shot: mean over seeds of the "
                         "voters' mean, band: 95% confidence interval over seeds.", fn_acc_shot,
                         NULL, &err)) ||
        (rc = add_figure(&c, &P, "gen-seconds", "GEN seconds per method (one value per "
                         "distinct GEN computation; box: quartiles, whiskers: min and max).",
                         fn_gen_seconds, NULL, &err)))
        goto fail;
    if (c.nt) {
        if ((rc = add_figure(&c, &P, "nc1-gain", "NC1 of each voter's embeddings against the "
                             "gain of the best multi-proxy over the best single-proxy "
                             "imprinting competitor.", fn_nc1_gain, c.nt, &err)))
            goto fail;
    } else {
        skip(&P, "", "NC1 against gain: no NC1 table (--nc1, from imprint nc1 --all --csv)");
    }
    if ((rc = write_file(&c, "index.html", w_html, &P, &err)))
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
    facets_free(&fa);
    free(o.competitors), free(o.names);
    return rc;
}
