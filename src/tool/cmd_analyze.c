/* cmd_analyze.c — `imprint analyze CUBE.h5`: ranks, Friedman, Wilcoxon–Holm, cliques and the
 * CD diagram of (strategy, k, shot) competitors voted on by (model, task) pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "cdplot.h"
#include "cmd.h"
#include "toolio.h"

static void help(void)
{
    printf(
        "usage: imprint analyze CUBE.h5 [--svg cd.svg] [--md ranks.md] [--csv ranks.csv]\n"
        "                       [--pairs-csv pairs.csv] [--alpha 0.05] [--where AXIS=V1,V2]...\n"
        "                       [--competitors \"STR@k=K@shot=S\",...] [--top N] [--nemenyi]\n"
        "                       [--dense-ranks] [--compat-identical-significant] [--no-journal]\n"
        "\n"
        "Rank the competitors — the (strategy, k, shot) columns of a result cube — on the\n"
        "voters — its (model, task) pairs — as the paper's analysis does. A voter's value is\n"
        "the median accuracy over the seeds whose cell is done. A competitor without any\n"
        "value is left out; the voters kept are those every remaining competitor has (a note\n"
        "names each competitor that lacks voters).\n"
        "\n"
        "Printed: the rank table (mean rank, mean accuracy over voters, std, wins = voters\n"
        "where it is best, ties included), the Friedman test (>= 3 competitors), two-sided\n"
        "Wilcoxon signed-rank tests of every pair (zero_method pratt) with Holm's step-down,\n"
        "and the maximal cliques of competitors with no significant difference. If Friedman's\n"
        "p >= alpha nothing is declared significant (the reference stops there).\n"
        "\n"
        "  --where AXIS=V1,V2      keep only these values of an axis (model, task, strategy,\n"
        "                          k, shot, seed; shot \"all\"); repeatable, all must hold\n"
        "  --competitors LIST      keep only these columns: comma-separated STR[@k=K][@shot=S]\n"
        "                          (a missing k or shot matches all; the paper's names Qi,\n"
        "                          Hosoda, Janson, Ours, Oracle work as STR); repeatable\n"
        "  --top N                 rank all, then analyse again the N best by mean rank\n"
        "  --alpha A               significance level (default 0.05)\n"
        "  --dense-ranks           rank ties densely (the paper's CD plot) instead of averaging\n"
        "  --nemenyi               add Demsar's Nemenyi CD; the diagram then shows its bars\n"
        "  --compat-identical-significant\n"
        "                          the reference's quirk: identical result vectors count as\n"
        "                          significantly different (p = 0)\n"
        "  --svg F / --md F / --csv F / --pairs-csv F\n"
        "                          the CD diagram, the report as Markdown, the rank table and\n"
        "                          the pairwise table as CSV (\"-\" for stdout)\n"
        "  --no-journal            do not merge CUBE.h5.journal into the cube\n");
}

/* Append item to the growing comma list *list. */
static int append_list(char **list, const char *item)
{
    size_t old = *list ? strlen(*list) : 0, n = old + strlen(item) + 2;
    char *p = realloc(*list, n);
    if (!p)
        return -1;
    snprintf(p + old, n - old, "%s%s", old ? "," : "", item);
    *list = p;
    return 0;
}

typedef struct opts {
    const char *cube, *svg, *md, *csv, *pairs_csv;
    const char *where[64];
    int n_where;
    char *competitors;
    long top;
    int no_journal;
    imp_analyze_opts ao;
} opts;

/* Parse argv; returns 0, or the exit code of a usage error (already printed). */
static int parse(int argc, char **argv, opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (imp_is_help(a)) {
            help();
            return -1;
        }
        if (strcmp(a, "--nemenyi") == 0) {
            o->ao.nemenyi = 1;
            continue;
        }
        if (strcmp(a, "--dense-ranks") == 0) {
            o->ao.rank_method = IMP_RANK_DENSE;
            continue;
        }
        if (strcmp(a, "--compat-identical-significant") == 0) {
            o->ao.compat_identical_significant = 1;
            continue;
        }
        if (strcmp(a, "--no-journal") == 0) {
            o->no_journal = 1;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (o->cube)
                return imp_tool_usage("analyze", "one cube at a time ('%s' and '%s')", o->cube,
                                      a);
            o->cube = a;
            continue;
        }
        static const char *const valued[] = {"--svg",   "--md",          "--csv",
                                             "--alpha", "--where",       "--competitors",
                                             "--top",   "--pairs-csv",   NULL};
        int known = 0;
        for (int k = 0; valued[k]; k++)
            known |= strcmp(a, valued[k]) == 0;
        if (!known)
            return imp_tool_usage("analyze", "unknown option '%s'", a);
        if (i + 1 >= argc)
            return imp_tool_usage("analyze", "option %s needs a value", a);
        const char *v = argv[++i];
        if (strcmp(a, "--svg") == 0) {
            o->svg = v;
        } else if (strcmp(a, "--md") == 0) {
            o->md = v;
        } else if (strcmp(a, "--csv") == 0) {
            o->csv = v;
        } else if (strcmp(a, "--pairs-csv") == 0) {
            o->pairs_csv = v;
        } else if (strcmp(a, "--alpha") == 0) {
            if (imp_parse_double(v, &o->ao.alpha) || !(o->ao.alpha > 0 && o->ao.alpha < 1))
                return imp_tool_usage("analyze", "--alpha '%s': expected a number in (0, 1)", v);
        } else if (strcmp(a, "--where") == 0) {
            if (o->n_where == (int)(sizeof o->where / sizeof o->where[0]))
                return imp_tool_usage("analyze", "too many --where options");
            o->where[o->n_where++] = v;
        } else if (strcmp(a, "--competitors") == 0) {
            if (append_list(&o->competitors, v))
                return imp_tool_usage("analyze", "out of memory");
        } else if (strcmp(a, "--top") == 0) {
            if (imp_parse_long(v, 2, 1000000L, &o->top))
                return imp_tool_usage("analyze", "--top '%s': expected a count >= 2", v);
        }
    }
    if (!o->cube)
        return imp_tool_usage("analyze", "which cube? imprint analyze CUBE.h5");
    return 0;
}

/* Tell what building the matrix left out, on stderr. */
static void notes(const imp_analyze_matrix *mat)
{
    for (size_t c = 0; c < mat->n_comp; c++) {
        const imp_analyze_comp *cp = &mat->comp[c];
        if (!cp->kept)
            fprintf(stderr, "imprint analyze: note: competitor '%s' has no results (no done "
                    "cell): left out\n", cp->name);
        else if (cp->n_voters < mat->n_cand_voters)
            fprintf(stderr, "imprint analyze: note: competitor '%s' lacks %zu of %zu voters; "
                    "only the voters every competitor has are analysed (leave it out with "
                    "--where or --competitors)\n", cp->name, mat->n_cand_voters - cp->n_voters,
                    mat->n_cand_voters);
    }
    if (mat->n_empty_voters)
        fprintf(stderr, "imprint analyze: note: %zu (model, task) voter%s without any "
                "result left out\n", mat->n_empty_voters, mat->n_empty_voters == 1 ? "" : "s");
    if (mat->n_partial)
        fprintf(stderr, "imprint analyze: note: %zu of %zu values are medians over fewer than "
                "the %zu selected seeds (failed or pending cells)\n", mat->n_partial,
                mat->m * mat->N, mat->n_seeds);
}

/* The CD diagram into path. */
static int write_svg(const char *path, const imp_cube_axes *axes, const imp_analyze_matrix *mat,
                     const imp_analysis *an, imp_err *err)
{
    char **labels, *common;
    int rc = imp_analyze_labels(axes, mat, &labels, &common, err);
    if (rc)
        return rc;
    char title[512];
    snprintf(title, sizeof title, "%s%s%s%s", an->rank_dense ? "Average dense rank"
                                                             : "Average rank",
             common[0] ? " (" : "", common, common[0] ? ")" : "");
    imp_cdplot_opts po = {title, an->nemenyi ? an->nemenyi_cd : 0};
    imp_outfile of;
    rc = imp_outfile_open(&of, path, err);
    if (!rc) {
        rc = imp_cdplot_svg(of.f, mat->m, (const char *const *)labels, an->cd.rank,
                            an->nemenyi ? &an->nemenyi_bars : &an->cd.cliques, &po, err);
        if (!rc)
            rc = imp_outfile_commit(&of, err);
        else
            imp_outfile_abort(&of);
    }
    imp_analyze_labels_free(labels, mat->m, common);
    return rc;
}

static int write_report(const char *path, imp_report_format fmt, const imp_cube_axes *axes,
                        const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err)
{
    imp_outfile of;
    int rc = imp_outfile_open(&of, path, err);
    if (rc)
        return rc;
    rc = imp_analyze_report(of.f, fmt, axes, mat, an, err);
    if (rc) {
        imp_err_prefix(err, "%s", path);
        imp_outfile_abort(&of);
        return rc;
    }
    return imp_outfile_commit(&of, err);
}

int imp_cmd_analyze(int argc, char **argv)
{
    opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc) {
        free(o.competitors);
        return rc < 0 ? 0 : rc;
    }
    imp_err err;
    imp_err_clear(&err);
    imp_cube *cube = NULL;
    imp_analyze_sel sel = {0};
    imp_analyze_matrix mat = {0};
    imp_analysis an = {0};
    int exit_code = 0;
    if ((rc = imp_tool_load_cube(o.cube, o.no_journal, stderr, &cube, &err)))
        goto fail;
    if ((rc = imp_analyze_sel_init(&sel, &cube->axes, &err)))
        goto fail;
    for (int i = 0; i < o.n_where; i++)
        if ((rc = imp_analyze_where(&sel, &cube->axes, o.where[i], &err)))
            goto fail;
    if (o.competitors && (rc = imp_analyze_competitors(&sel, &cube->axes, o.competitors, &err)))
        goto fail;
    if ((rc = imp_analyze_build(cube, &sel, &mat, &err)))
        goto fail;
    notes(&mat);
    if (mat.m < 2 || mat.N < 2) {
        if (mat.m < 2)
            fprintf(stderr, "imprint analyze: %s: %zu competitor%s with results in the selection "
                    "(%zu candidate column%s); at least 2 are needed\n", o.cube, mat.m,
                    mat.m == 1 ? "" : "s", mat.n_comp, mat.n_comp == 1 ? "" : "s");
        else
            fprintf(stderr, "imprint analyze: %s: %zu voter%s (model, task) where all %zu "
                    "competitors have results; at least 2 are needed\n", o.cube, mat.N,
                    mat.N == 1 ? "" : "s", mat.m);
        exit_code = 2;
        goto out;
    }
    if ((rc = imp_analyze_run(&mat, &o.ao, &an, &err)))
        goto fail;
    if (o.top && (size_t)o.top < mat.m) {
        size_t m_all = mat.m;
        if ((rc = imp_analyze_keep_rows(&mat, an.cd.order, (size_t)o.top, &err)))
            goto fail;
        imp_analysis_free(&an);
        if ((rc = imp_analyze_run(&mat, &o.ao, &an, &err)))
            goto fail;
        printf("top %ld of %zu competitors by mean rank over all %zu\n", o.top, m_all, m_all);
    }
    if ((rc = imp_analyze_report(stdout, IMP_REPORT_TEXT, &cube->axes, &mat, &an, &err)))
        goto fail;
    const struct {
        const char *path;
        imp_report_format fmt;
    } files[] = {{o.md, IMP_REPORT_MD}, {o.csv, IMP_REPORT_CSV},
                 {o.pairs_csv, IMP_REPORT_PAIRS_CSV}};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++)
        if (files[f].path &&
            (rc = write_report(files[f].path, files[f].fmt, &cube->axes, &mat, &an, &err)))
            goto fail;
    if (o.svg && (rc = write_svg(o.svg, &cube->axes, &mat, &an, &err)))
        goto fail;
    if (fflush(stdout) != 0) {
        rc = imp_err_set(&err, IMP_EIO, "stdout: write error");
        goto fail;
    }
    goto out;
fail:
    exit_code = imp_tool_fail(&err);
out:
    imp_analysis_free(&an);
    imp_analyze_matrix_free(&mat);
    imp_analyze_sel_free(&sel);
    imp_cube_free(cube);
    free(o.competitors);
    return exit_code;
}
