/* cmd_analyze.c — `imprint analyze CUBE.h5`: ranks, Friedman, Wilcoxon–Holm, cliques and the
 * CD diagram of (strategy, k, shot) competitors voted on by (model, task) pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze.h"
#include "cmd.h"
#include "imprint/named.h"
#include "opts.h"
#include "plotfig.h"
#include "toolio.h"

/* The table on stdout shows at most this many rows unless --rows says otherwise. */
#define ROWS_CUT 30
/* Notes on competitors that lack values: at most this many by name. */
#define NOTES_MAX 10
/* The option descriptions of --help run five characters past the paragraphs' width. */
#define HELP_WIDTH (IMP_TOOL_HELP_WIDTH + 5)

static void help(void)
{
    printf(
        "usage: imprint analyze JOB.yaml|CUBE.h5 [--svg cd.svg] [--md ranks.md] [--csv ranks.csv]\n"
        "                       [--tex ranks.tex] [--pairs-csv pairs.csv] [--alpha 0.05]\n"
        "                       [--where KEY=V1,V2[,KEY=V]...]... [--competitors LIST]...\n"
        "                       [--name NAME=STR[@k=K][@shot=S]]... [--no-names]\n"
        "                       [--group-by KEY[,KEY...] --best] [--top N] [--rows N|all]\n"
        "                       [--groups cliques|intervals]\n");
    char values[128], axes[128], comps[128], para[512];
    printf("                       [--value %s]\n",
           imp_analyze_value_names(values, sizeof values, 0, "|"));
    printf(
        "                       [--nemenyi] [--dense-ranks] [--compat-identical-significant]\n"
        "                       [--no-journal]\n"
        "\n"
        "Rank the competitors — the (strategy, k, shot) columns of a result cube — on the\n"
        "voters — its (model, task) pairs — as the paper's analysis does. A voter's value is\n"
        "the median accuracy over the seeds whose cell is done. A competitor without any\n"
        "value is left out; the voters kept are those every remaining competitor has (a note\n"
        "names competitors that lack voters).\n"
        "\n"
        "First, for every competitor: the rank table (mean rank, its std and standard error,\n"
        "mean accuracy over voters, its std and standard error, wins = voters where it is best,\n"
        "ties included) and the Friedman test (>= 3 competitors). This is written (stdout,\n"
        "--csv, --md, --tex) before any pairwise work. Then, on the tested set only: Friedman,\n"
        "two-sided Wilcoxon signed-rank tests of every pair (zero_method pratt), Holm's\n"
        "step-down over exactly those pairs, the groups of competitors with no significant\n"
        "difference and the CD diagram. The tested set is the competitors named with\n"
        "--competitors (all of them), else the best --top N by mean rank, else all when there\n"
        "are at most %d, else the best %d; never more than %d. If Friedman's p >= alpha on\n"
        "the tested set nothing is declared significant (the reference stops there).\n"
        "\n", IMP_ANALYZE_DEFAULT_TOP, IMP_ANALYZE_DEFAULT_TOP, IMP_ANALYZE_MAX_TESTED);
    /* the keys --where takes, from the axis table and the strategy components */
    snprintf(para, sizeof para,
             "keep only these values; KEY is an axis (%s; %s \"%s\") or a strategy component "
             "(%s); several keys in one option: gen=kmeans,fps,agg=max; repeatable; all must hold",
             imp_axis_names(axes, sizeof axes, ", "), imp_axis_name(IMP_AX_SHOT),
             imp_axis_info_of(IMP_AX_SHOT)->minus1,
             imp_analyze_component_names(comps, sizeof comps, ", "));
    fputs("  --where KEY=V1,V2       ", stdout);
    imp_tool_wrap(stdout, 26, 26, HELP_WIDTH, para);
    /* the paper's names from their table */
    snprintf(para, sizeof para,
             "keep only these columns: comma-separated STR[@k=K][@shot=S] (a missing k or shot "
             "matches all; the paper's names %s work as STR; NAME=STR[@…] names it too); "
             "repeatable; all of them are tested", imp_named_strategy_list());
    fputs("\n  --competitors LIST      ", stdout);
    imp_tool_wrap(stdout, 26, 26, HELP_WIDTH, para);
    printf(
        "\n"
        "  --name NAME=STR[@k=K]   show the competitors this matches as NAME (the paper's\n"
        "                          names are always applied unless --no-names)\n"
        "  --group-by KEYS --best  the reference's highlighter: of each group of competitors\n"
        "                          sharing the values of KEYS (components, k, shot), keep the\n"
        "                          one with the best mean rank, and rank those\n"
        "  --top N                 test the N best by mean rank (the table still has all)\n"
        "  --rows N|all            rows of the table on stdout (default: all up to %d, else\n"
        "                          the best %d and where the full table is)\n"
        "  --groups G              cliques (default; the reference's maximal cliques) or\n"
        "                          intervals (Demsar's maximal runs in rank order); cliques\n"
        "                          fall back to intervals, with a note, past %d cliques\n"
        "  --value V               rank by accuracy (default), f1 (macro-F1 over the task's\n"
        "                          classes, percent), gen_seconds or inf_seconds\n"
        "                          (times: lower is better; the table is then a time table)\n"
        "  --alpha A               significance level (default 0.05)\n"
        "  --dense-ranks           rank ties densely (the paper's CD plot) instead of averaging\n"
        "  --nemenyi               add Demsar's Nemenyi CD; the diagram then shows its bars\n"
        "  --compat-identical-significant\n"
        "                          the reference's quirk: identical result vectors count as\n"
        "                          significantly different (p = 0)\n"
        "  --svg F / --md F / --csv F / --tex F / --pairs-csv F\n"
        "                          the CD diagram (.pdf or .png for those extensions, else\n"
        "                          SVG), the report as Markdown, the rank table as\n"
        "                          CSV and as a LaTeX booktabs table, the tested pairs as CSV;\n"
        "                          \"-\" writes that file alone to stdout (the report then goes\n"
        "                          to stderr)\n"
        "  --no-journal            do not read CUBE.h5.journal (the cube alone)\n",
        ROWS_CUT, ROWS_CUT, IMP_STATS_MAX_CLIQUES);
}

typedef struct opts {
    const char *cube, *svg, *md, *csv, *pairs_csv, *tex, *group_by;
    const char *where[64]; /* --where, in order */
    int n_where;
    char *competitors, *names;
    long top, rows; /* rows: -1 all, 0 default */
    int no_journal, no_names, best;
    imp_analyze_value value;
    imp_analyze_opts ao;
} opts;

/* Parse argv; returns 0, or the exit code of a usage error (already printed). */
static int parse(int argc, char **argv, opts *o)
{
    enum { O_NEMENYI = 1, O_COMPAT, O_NO_JOURNAL, O_NO_NAMES, O_BEST, O_DENSE, O_SVG, O_MD,
           O_CSV, O_TEX, O_PAIRS_CSV, O_GROUP_BY, O_ALPHA, O_WHERE, O_COMPETITORS, O_NAME, O_TOP,
           O_ROWS, O_GROUPS, O_VALUE };
    static const imp_opt table[] = {
        {"nemenyi", 0, O_NEMENYI},
        {"compat-identical-significant", 0, O_COMPAT},
        {"no-journal", 0, O_NO_JOURNAL},
        {"no-names", 0, O_NO_NAMES},
        {"best", 0, O_BEST},
        {"dense-ranks", 0, O_DENSE},
        {"svg", 1, O_SVG},
        {"md", 1, O_MD},
        {"csv", 1, O_CSV},
        {"tex", 1, O_TEX},
        {"pairs-csv", 1, O_PAIRS_CSV},
        {"group-by", 1, O_GROUP_BY},
        {"alpha", 1, O_ALPHA},
        {"where", 1, O_WHERE},
        {"competitors", 1, O_COMPETITORS},
        {"name", 1, O_NAME},
        {"top", 1, O_TOP},
        {"rows", 1, O_ROWS},
        {"groups", 1, O_GROUPS},
        {"value", 1, O_VALUE},
        {NULL, 0, 0},
    };
    imp_opts op;
    imp_opts_init(&op, "analyze", table, argc, argv);
    for (int c; (c = imp_opts_next(&op)) != IMP_OPT_END;) {
        const char *v = op.val;
        switch (c) {
        case IMP_OPT_HELP: help(); return -1;
        case IMP_OPT_ERR: return 2;
        case O_NEMENYI: o->ao.nemenyi = 1; break;
        case O_COMPAT: o->ao.compat_identical_significant = 1; break;
        case O_NO_JOURNAL: o->no_journal = 1; break;
        case O_NO_NAMES: o->no_names = 1; break;
        case O_BEST: o->best = 1; break;
        case O_DENSE: o->ao.rank_method = IMP_RANK_DENSE; break;
        case O_SVG: o->svg = v; break;
        case O_MD: o->md = v; break;
        case O_CSV: o->csv = v; break;
        case O_TEX: o->tex = v; break;
        case O_PAIRS_CSV: o->pairs_csv = v; break;
        case O_GROUP_BY: o->group_by = v; break;
        case O_ALPHA:
            if (imp_parse_double(v, &o->ao.alpha) || !(o->ao.alpha > 0 && o->ao.alpha < 1))
                return imp_tool_usage("analyze", "--alpha '%s': expected a number in (0, 1)", v);
            break;
        case O_WHERE:
            if (o->n_where == (int)(sizeof o->where / sizeof o->where[0]))
                return imp_tool_usage("analyze", "too many --where options");
            o->where[o->n_where++] = v;
            break;
        case O_COMPETITORS:
            if (imp_append_list(&o->competitors, v))
                return imp_tool_usage("analyze", "out of memory");
            break;
        case O_NAME:
            if (imp_append_list(&o->names, v))
                return imp_tool_usage("analyze", "out of memory");
            break;
        case O_TOP:
            if (imp_parse_long(v, 2, IMP_ANALYZE_MAX_TESTED, &o->top))
                return imp_tool_usage("analyze", "--top '%s': expected a count >= 2 (at most %d)",
                                      v, IMP_ANALYZE_MAX_TESTED);
            break;
        case O_ROWS:
            if (strcmp(v, "all") == 0)
                o->rows = -1;
            else if (imp_parse_long(v, 1, 100000000L, &o->rows))
                return imp_tool_usage("analyze", "--rows '%s': expected a count >= 1 or all", v);
            break;
        case O_GROUPS:
            if (strcmp(v, "cliques") == 0)
                o->ao.groups = IMP_GROUPS_CLIQUES;
            else if (strcmp(v, "intervals") == 0)
                o->ao.groups = IMP_GROUPS_INTERVALS;
            else
                return imp_tool_usage("analyze", "--groups '%s': expected cliques or intervals",
                                      v);
            break;
        case O_VALUE:
            if (imp_analyze_value_from_name(v) < 0) {
                char values[128];
                return imp_tool_usage("analyze", "--value '%s': expected %s", v,
                                      imp_analyze_value_names(values, sizeof values, 0, " or "));
            }
            o->value = (imp_analyze_value)imp_analyze_value_from_name(v);
            break;
        case IMP_OPT_ARG:
            if (o->cube)
                return imp_tool_usage("analyze", "one cube at a time ('%s' and '%s')", o->cube,
                                      v);
            o->cube = v;
            break;
        }
    }
    if (!o->cube)
        return imp_tool_usage("analyze", "which cube? imprint analyze JOB.yaml|CUBE.h5");
    if (!!o->group_by != !!o->best)
        return imp_tool_usage("analyze", "--group-by KEYS and --best go together (keep the "
                              "best of each group)");
    const char *outs[] = {o->svg, o->md, o->csv, o->tex, o->pairs_csv};
    int dash = 0;
    for (size_t f = 0; f < sizeof outs / sizeof outs[0]; f++)
        dash += outs[f] && strcmp(outs[f], "-") == 0;
    if (dash > 1)
        return imp_tool_usage("analyze", "only one of --svg, --md, --csv, --tex and --pairs-csv "
                              "can be \"-\" (stdout)");
    o->ao.top = (size_t)o->top;
    o->ao.test_all = o->competitors != NULL;
    return 0;
}

/* Tell what building the matrix left out, on stderr (the first few competitors by name). */
static void notes(const imp_analyze_matrix *mat)
{
    size_t shown = 0, more = 0;
    for (size_t c = 0; c < mat->n_comp; c++) {
        const imp_analyze_comp *cp = &mat->comp[c];
        int empty = !cp->kept, short_ = cp->kept && cp->n_voters < mat->n_cand_voters;
        if (!empty && !short_)
            continue;
        if (shown == NOTES_MAX) {
            more++;
            continue;
        }
        shown++;
        if (empty)
            fprintf(stderr, "imprint analyze: note: competitor '%s' has no results (no done "
                    "cell): left out\n", cp->name);
        else
            fprintf(stderr, "imprint analyze: note: competitor '%s' lacks %zu of %zu voters; "
                    "only the voters every competitor has are analysed (leave it out with "
                    "--where or --competitors)\n", cp->name, mat->n_cand_voters - cp->n_voters,
                    mat->n_cand_voters);
    }
    if (more)
        fprintf(stderr, "imprint analyze: note: %zu more competitors have no results or lack "
                "voters\n", more);
    if (mat->n_empty_voters)
        fprintf(stderr, "imprint analyze: note: %zu (model, task) voter%s without any "
                "result left out\n", mat->n_empty_voters, mat->n_empty_voters == 1 ? "" : "s");
    if (mat->n_partial)
        fprintf(stderr, "imprint analyze: note: %zu of %zu values are medians over fewer than "
                "the %zu selected seeds (failed or pending cells)\n", mat->n_partial,
                mat->m * mat->N, mat->n_seeds);
}

/* The CD diagram of the tested rows into path: PDF or PNG for those extensions, else SVG. */
static int write_svg(const char *path, const imp_axes *axes, const imp_analyze_matrix *mat,
                     const imp_analysis *an, imp_err *err)
{
    imp_plot_format fmt;
    if (imp_plot_format_of(path, &fmt, NULL) != 0)
        fmt = IMP_PLOT_SVG;
    imp_outfile of;
    int rc = imp_outfile_open(&of, path, err);
    if (rc)
        return rc;
    rc = imp_fig_cd(of.f, fmt, axes, mat, an, NULL, err);
    if (rc) {
        imp_outfile_abort(&of);
        return rc;
    }
    return imp_outfile_commit(&of, err);
}

static int write_report(const char *path, const imp_report_opts *ro, const imp_axes *axes,
                        const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err)
{
    imp_outfile of;
    int rc = imp_outfile_open(&of, path, err);
    if (rc)
        return rc;
    rc = imp_analyze_report_ex(of.f, ro, axes, mat, an, err);
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
        free(o.names);
        return rc < 0 ? 0 : rc;
    }
    imp_err err;
    imp_err_clear(&err);
    imp_cube *cube = NULL;
    imp_analyze_matrix mat = {0};
    imp_analysis an = {0};
    int exit_code = 0;
    /* stdout carries the report, unless a file goes there */
    const char *outs[] = {o.svg, o.md, o.csv, o.tex, o.pairs_csv};
    FILE *hs = stdout;
    for (size_t f = 0; f < sizeof outs / sizeof outs[0]; f++)
        if (outs[f] && strcmp(outs[f], "-") == 0)
            hs = stderr;
    if ((rc = imp_tool_load_cube(o.cube, o.no_journal, stderr, &cube, NULL, &err)))
        goto fail;
    imp_analyze_spec spec = {o.where, (size_t)o.n_where, o.competitors, o.names, o.no_names,
                             o.group_by, o.value};
    size_t n_groups, m_grouped;
    if ((rc = imp_analyze_select(cube, &spec, &o.ao, &mat, &n_groups, &m_grouped, &err)))
        goto fail;
    if (n_groups)
        fprintf(stderr, "imprint analyze: --group-by %s --best: the best of each of %zu groups by "
                "mean rank over all %zu competitors\n", o.group_by, n_groups, m_grouped);
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

    /* Step 1–2: the table, written everywhere before any pairwise work. */
    if ((rc = imp_analyze_table(&mat, &o.ao, &an, &err)))
        goto fail;
    const char *full = o.csv && strcmp(o.csv, "-") ? o.csv : o.md && strcmp(o.md, "-") ? o.md
                                                                                       : NULL;
    imp_report_opts human = {IMP_REPORT_TEXT, 0, full, IMP_REPORT_TABLE};
    human.max_rows = o.rows < 0 ? 0 : o.rows ? (size_t)o.rows : mat.m > ROWS_CUT ? ROWS_CUT : 0;
    imp_report_opts md = {IMP_REPORT_MD, 0, NULL, IMP_REPORT_TABLE};
    imp_report_opts csv = {IMP_REPORT_CSV, 0, NULL, 0};
    imp_report_opts tex = {IMP_REPORT_LATEX, human.max_rows, full, 0};
    if ((rc = imp_analyze_report_ex(hs, &human, &cube->axes, &mat, &an, &err)))
        goto fail;
    fflush(hs);
    if ((o.csv && (rc = write_report(o.csv, &csv, &cube->axes, &mat, &an, &err))) ||
        (o.tex && (rc = write_report(o.tex, &tex, &cube->axes, &mat, &an, &err))) ||
        (o.md && strcmp(o.md, "-") && (rc = write_report(o.md, &md, &cube->axes, &mat, &an, &err))))
        goto fail;

    /* Step 3: the tested set. */
    if ((rc = imp_analyze_test(&mat, &o.ao, &an, &err))) {
        fprintf(stderr, "imprint analyze: the rank table above is complete; the pairwise "
                "tests failed:\n");
        goto fail;
    }
    human.sections = IMP_REPORT_TESTS;
    md.sections = 0;
    imp_report_opts pairs = {IMP_REPORT_PAIRS_CSV, 0, NULL, 0};
    if ((rc = imp_analyze_report_ex(hs, &human, &cube->axes, &mat, &an, &err)))
        goto fail;
    if ((o.md && (rc = write_report(o.md, &md, &cube->axes, &mat, &an, &err))) ||
        (o.pairs_csv && (rc = write_report(o.pairs_csv, &pairs, &cube->axes, &mat, &an, &err))))
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
    imp_cube_free(cube);
    free(o.competitors);
    free(o.names);
    return exit_code;
}
