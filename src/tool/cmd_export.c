/* cmd_export.c — `imprint export CUBE.h5 --csv OUT.csv`: the cube as a long-format CSV with the
 * strategy split into its components, n/a cells left out unless --all. */
#include <stdio.h>
#include <string.h>

#include "analyze.h"
#include "cmd.h"
#include "toolio.h"

static void help(void)
{
    printf("usage: imprint export CUBE.h5 --csv OUT.csv [--valid-only | --all] [--no-journal]\n"
           "\n"
           "Write one CSV row per cell of a result cube (long format, for pandas):\n"
           "  model,task,strategy,pre,gen,post,inf,agg,metric,m,weight,k,shot,seed,status,\n"
           "  accuracy,gen_seconds,inf_seconds,n_proxies,message\n"
           "pre … weight split the strategy into its components (agg max, nn or mnn; metric\n"
           "inner for max; m empty for max, 1 for nn; weight only for mnn). status is done,\n"
           "pending or failed, and with --all (or --with-na) also n-a (cells the grid rules\n"
           "exclude, left out by default: --valid-only); shot -1 is written \"all\"; numbers a\n"
           "cell does not have are empty fields. OUT.csv is written to OUT.csv.tmp and\n"
           "renamed, so it is never seen half-written; \"-\" writes to stdout. The journal\n"
           "beside the cube (CUBE.h5.journal) is merged when it exists unless --no-journal\n"
           "is given.\n");
}

int imp_cmd_export(int argc, char **argv)
{
    const char *path = NULL, *csv = NULL;
    int no_journal = 0, all = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (imp_is_help(a)) {
            help();
            return 0;
        }
        if (strcmp(a, "--no-journal") == 0) {
            no_journal = 1;
        } else if (strcmp(a, "--all") == 0 || strcmp(a, "--with-na") == 0) {
            all = 1;
        } else if (strcmp(a, "--valid-only") == 0) {
            all = 0;
        } else if (strcmp(a, "--csv") == 0) {
            if (i + 1 >= argc)
                return imp_tool_usage("export", "option --csv needs a value");
            csv = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            return imp_tool_usage("export", "unknown option '%s'", a);
        } else if (path) {
            return imp_tool_usage("export", "one cube at a time");
        } else {
            path = a;
        }
    }
    if (!path)
        return imp_tool_usage("export", "which cube? imprint export CUBE.h5 --csv OUT.csv");
    if (!csv)
        return imp_tool_usage("export", "--csv OUT.csv is required (\"-\" for stdout)");
    imp_err err;
    imp_err_clear(&err);
    imp_cube *c;
    if (imp_tool_load_cube(path, no_journal, stderr, &c, &err))
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
