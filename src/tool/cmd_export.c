/* cmd_export.c — `imprint export JOB.yaml|CUBE.h5 --csv OUT.csv`: the cube as a long-format CSV with the
 * strategy split into its components, n/a cells left out unless --all. */
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "cmd.h"
#include "imprint/strategy.h"
#include "imprint/words.h"
#include "opts.h"
#include "toolio.h"

/* The AGG facts of the export's help from IMP_AGG_MAP, into buf: "agg max, nn or mnn;
 * metric inner for max; m empty for max, 1 for nn; weight only for mnn". */
static const char *agg_facts(char *buf, size_t n)
{
    char aggs[96], metric[96], m[96], weight[96];
    char fixed_item[IMP_AGG__COUNT][48], m_item[IMP_AGG__COUNT][48];
    const char *all[IMP_AGG__COUNT], *fixed[IMP_AGG__COUNT], *mm[IMP_AGG__COUNT];
    const char *wt[IMP_AGG__COUNT];
    size_t nf = 0, nm = 0, nw = 0;
    for (int a = 0; a < IMP_AGG__COUNT; a++) {
        const imp_agg_info *r = imp_agg_info_of((imp_agg)a);
        all[a] = r->name;
        if (r->metric >= 0) { /* the AGG fixes its metric (max: inner) */
            snprintf(fixed_item[nf], sizeof fixed_item[nf], "%s for %s",
                     imp_metric_name((imp_metric)r->metric), r->name);
            fixed[nf] = fixed_item[nf];
            nf++;
        }
        if (r->m >= 0) { /* m is the AGG's own: none (an empty field) or a number */
            if (r->m == 0)
                snprintf(m_item[nm], sizeof m_item[nm], "empty for %s", r->name);
            else
                snprintf(m_item[nm], sizeof m_item[nm], "%d for %s", r->m, r->name);
            mm[nm] = m_item[nm];
            nm++;
        }
        if (r->weighted)
            wt[nw++] = r->name;
    }
    snprintf(buf, n, "agg %s; metric %s; m %s; weight only for %s",
             imp_words_join_all(aggs, sizeof aggs, all, IMP_AGG__COUNT, " or "),
             imp_words_join_all(metric, sizeof metric, fixed, nf, ", "),
             imp_words_join_all(m, sizeof m, mm, nm, ", "),
             imp_words_join_all(weight, sizeof weight, wt, nw, " or "));
    return buf;
}

static void help(void)
{
    printf("usage: imprint export JOB.yaml|CUBE.h5 --csv OUT.csv [--valid-only | --all] [--no-journal]\n"
           "\n"
           "Write one CSV row per cell of a result cube (long format, for pandas):\n  ");
    /* the columns: the axes (the strategy's components after it), status, the measures */
    char comps[128], facts[256], text[1024];
    imp_analyze_component_names(comps, sizeof comps, ",");
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        printf("%s,%s%s", imp_axis_name(ax), ax == IMP_AX_STRATEGY ? comps : "",
               ax == IMP_AX_STRATEGY ? "," : "");
    printf("status,\n  ");
    for (int m = 0; m < IMP_MEASURE__COUNT; m++)
        printf("%s,", imp_measure_info_of((imp_measure_id)m)->name);
    printf("message\n");
    snprintf(text, sizeof text,
             "%s … %s split the strategy into its components (%s). status is %s, %s or %s, and "
             "with --all (or --with-na) also %s (cells the grid rules exclude, left out by "
             "default: --valid-only); %s -1 is written \"%s\"; numbers a cell does not have "
             "are empty fields. f1 is the macro-F1 over the task's classes (percent); host, rank "
             "and finished (UTC seconds since 1970) say where and when the cell was computed.",
             imp_analyze_component_name(0), imp_analyze_component_name(IMP_COMP__COUNT - 1),
             agg_facts(facts, sizeof facts), imp_cube_status_name(IMP_CELL_DONE),
             imp_cube_status_name(IMP_CELL_PENDING), imp_cube_status_name(IMP_CELL_FAILED),
             imp_cube_status_name(IMP_CELL_NA), imp_axis_name(IMP_AX_SHOT),
             imp_axis_info_of(IMP_AX_SHOT)->minus1);
    imp_tool_wrap(stdout, 0, 0, IMP_TOOL_HELP_WIDTH, text);
    printf(" A file OUT.csv is written to a temporary\n"
           "and renamed, so it is never seen half-written (through a symbolic link, the\n"
           "link's target); a device or FIFO (/dev/stdout) is written directly; \"-\" is\n"
           "stdout. A job file stands for the cube it names. The journal beside the cube\n"
           "(CUBE.h5.journal) is read too when it exists unless --no-journal is given.\n");
}

int imp_cmd_export(int argc, char **argv)
{
    const char *path = NULL, *csv = NULL;
    int no_journal = 0, all = 0;
    enum { O_NO_JOURNAL = 1, O_CSV, O_ALL, O_VALID_ONLY };
    static const imp_opt opts[] = {{"no-journal", 0, O_NO_JOURNAL}, {"csv", 1, O_CSV},
                                   {"all", 0, O_ALL},               {"with-na", 0, O_ALL},
                                   {"valid-only", 0, O_VALID_ONLY}, {NULL, 0, 0}};
    imp_opts op;
    imp_opts_init(&op, "export", opts, argc, argv);
    for (int o; (o = imp_opts_next(&op)) != IMP_OPT_END;) {
        switch (o) {
        case IMP_OPT_HELP: help(); return 0;
        case IMP_OPT_ERR: return 2;
        case O_NO_JOURNAL: no_journal = 1; break;
        case O_ALL: all = 1; break;
        case O_VALID_ONLY: all = 0; break;
        case O_CSV: csv = op.val; break;
        case IMP_OPT_ARG:
            if (path)
                return imp_tool_usage("export", "one cube at a time");
            path = op.val;
            break;
        }
    }
    if (!path)
        return imp_tool_usage("export", "which cube? imprint export JOB.yaml|CUBE.h5 --csv OUT.csv");
    if (!csv)
        return imp_tool_usage("export", "--csv OUT.csv is required (\"-\" for stdout)");
    imp_err err;
    imp_err_clear(&err);
    imp_cube *c;
    if (imp_tool_load_cube(path, no_journal, stderr, &c, NULL, &err))
        return imp_tool_fail(&err);
    imp_outfile of;
    int rc = imp_outfile_open(&of, csv, &err);
    if (!rc) {
        rc = imp_analyze_export_csv(c, of.f, !all, &err);
        if (rc)
            imp_err_prefix(&err, "%s", csv);
        if (!rc)
            rc = imp_outfile_commit(&of, &err);
        else
            imp_outfile_abort(&of);
    }
    imp_cube_free(c);
    return rc ? imp_tool_fail(&err) : 0;
}
