/* cmd_report_figs.c — the figure list of `imprint report`: each figure computed from the
 * masked cube (and per facet value), relabelled for --value, written as SVG, PDF and PNG,
 * and listed on the page with its caption, or as not drawn with why. */
#include <stdlib.h>
#include <string.h>

#include "cmd_report_run.h"
#include "imprint/job.h"

/* ---- facets: one panel per model, dataset or task ---- */

void imp__report_facets_free(facets *fa)
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
int imp__report_facets_build(const imp_cube *cube, facet_kind kind, facets *fa, imp_err *err)
{
    const imp_axes *a = &cube->axes;
    memset(fa, 0, sizeof *fa);
    fa->axis = kind == FACET_MODEL ? IMP_AX_MODEL : IMP_AX_TASK;
    size_t len = imp_axis_len(a, fa->axis);
    unsigned char *live = calloc(len, 1);
    imp_job *job = NULL;
    if (!live)
        return imp_err_set(err, IMP_ENOMEM, "report: out of memory");
    for (uint64_t i = 0; i < cube->n_cells; i++)
        if (cube->status[i] != IMP_CELL_NA) {
            size_t idx[IMP_AX__COUNT];
            imp_axes_cell_coords(a, i, idx);
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
        imp__report_facets_free(fa);
    return rc;
}

/* ---- figures ---- */

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
        int rc = imp__report_write_file(c, name, w_fig, &a, err);
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
                imp_axes_cell_coords(&c->cube->axes, i, idx);
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

int imp__report_figures(ctx *c, page *P, imp_err *err)
{
    int rc;
    if (c->analysed) {
        fig_arg a = {.width = &P->fig_w[P->n_fig]};
        if ((rc = write_fig(c, "cd", a, err)))
            return rc;
        P->fig_base[P->n_fig] = "cd";
        snprintf(P->fig_caption[P->n_fig++], sizeof P->fig_caption[0], "%s",
                 c->an.n_tested < c->an.m ? "Critical-difference diagram of the tested (best) "
                                            "competitors (bars join competitors not "
                                            "significantly different)."
                                          : "Critical-difference diagram (bars join "
                                            "competitors not significantly different).");
    } else {
        skip(P, "CD diagram: ", c->why_not);
    }
    if ((rc = add_figure(c, P, "acc-k", "Accuracy against k per strategy: mean over voters "
                         "of the seed medians, band: mean seed minimum to maximum.", fn_acc_k,
                         NULL, err)) ||
        (rc = add_figure(c, P, "acc-shot", "Accuracy against shot: mean over seeds of the "
                         "voters' mean, band: 95% confidence interval over seeds.", fn_acc_shot,
                         NULL, err)) ||
        (rc = add_figure(c, P, "gen-seconds", "GEN seconds per method (one value per "
                         "distinct GEN computation; box: quartiles, whiskers: min and max).",
                         fn_gen_seconds, NULL, err)))
        return rc;
    if (c->nt)
        return add_figure(c, P, "nc1-gain", "NC1 of each voter's embeddings against the "
                          "gain of the best multi-proxy over the best single-proxy "
                          "imprinting competitor.", fn_nc1_gain, c->nt, err);
    skip(P, "", "NC1 against gain: no NC1 table (--nc1, from imprint nc1 --all --csv)");
    return 0;
}
