/* cmd_status.c — `imprint status JOB.yaml|CUBE.h5`: cells done / pending / failed / n-a, in total and
 * per axis value, and the first failure messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imprint/resume.h"
#include "toolio.h"
#include "opts.h"

static void help(void)
{
    char text[512]; /* the status names from the status table */
    snprintf(text, sizeof text,
             "Count the cells of a result cube (or the cube a job file names) by status (%s, %s, "
             "%s, %s = not a valid cell of the grid), in total and for every value of every "
             "axis, and list the first N failure messages (--failures, default 10; 0 lists "
             "none).",
             imp_cube_status_name(IMP_CELL_DONE), imp_cube_status_name(IMP_CELL_PENDING),
             imp_cube_status_name(IMP_CELL_FAILED), imp_cube_status_name(IMP_CELL_NA));
    printf("usage: imprint status JOB.yaml|CUBE.h5 [--failures N] [--no-journal] [--by host]\n"
           "\n");
    imp_tool_wrap(stdout, 0, 0, IMP_TOOL_HELP_WIDTH, text);
    printf("\n"
           "The journal beside the cube (CUBE.h5.journal) is read too when it exists, so a\n"
           "running sweep shows its latest cells, and so are shard journals not merged yet\n"
           "(CUBE.h5.shard-I-of-N.journal, counted); --no-journal reads the cube alone.\n"
           "--by host: per host that computed cells, the cells done and failed, the ranks\n"
           "seen, the span from the first to the last finish, cells per second over it and\n"
           "the cells' inference seconds (how to find a slow or broken node); cells from\n"
           "journals older than this record show as (unknown).\n"
           "Nothing is written.\n"
           "A file that is not a readable cube exits 2.\n");
}

int imp_cmd_status(int argc, char **argv)
{
    const char *path = NULL;
    long failures = 10;
    int no_journal = 0, by_host = 0;
    enum { O_NO_JOURNAL = 1, O_FAILURES, O_BY };
    static const imp_opt opts[] = {{"no-journal", 0, O_NO_JOURNAL},
                                   {"failures", 1, O_FAILURES},
                                   {"by", 1, O_BY},
                                   {NULL, 0, 0}};
    imp_opts op;
    imp_opts_init(&op, "status", opts, argc, argv);
    for (int o; (o = imp_opts_next(&op)) != IMP_OPT_END;) {
        switch (o) {
        case IMP_OPT_HELP: help(); return 0;
        case IMP_OPT_ERR: return 2;
        case O_NO_JOURNAL: no_journal = 1; break;
        case O_FAILURES:
            if (imp_parse_long(op.val, 0, 1000000000L, &failures))
                return imp_tool_usage("status", "--failures '%s': expected a count >= 0", op.val);
            break;
        case O_BY:
            if (strcmp(op.val, "host") != 0)
                return imp_tool_usage("status", "--by '%s': expected host", op.val);
            by_host = 1;
            break;
        case IMP_OPT_ARG:
            if (path)
                return imp_tool_usage("status", "one cube at a time");
            path = op.val;
            break;
        }
    }
    if (!path)
        return imp_tool_usage("status", "which cube? imprint status JOB.yaml|CUBE.h5");
    imp_err err;
    imp_err_clear(&err);
    imp_cube *c;
    char *cube = NULL;
    if (imp_tool_cube_path(path, &cube, &err))
        return imp_tool_fail(&err);
    printf("cube: %s\n", cube);
    if (imp_tool_load_cube(cube, no_journal, stdout, &c, NULL, &err)) {
        free(cube);
        return imp_tool_fail(&err);
    }
    path = cube;
    char **shards = NULL;
    size_t n_shards = 0;
    if (!no_journal && imp_shard_list(path, &shards, &n_shards, &err) != 0) {
        imp_cube_free(c);
        free(cube);
        return imp_tool_fail(&err);
    }
    unsigned long long shard_records = 0;
    for (size_t i = 0; i < n_shards; i++) {
        imp_journal_info info;
        imp_err jerr;
        if (imp_cube_apply_journal(c, shards[i], &info, &jerr) == 0)
            shard_records += info.n_records;
        else
            printf("shard journal: %s skipped: %s\n", shards[i], jerr.msg);
    }
    if (n_shards)
        printf("shard journals: %zu (%llu records; not merged into the journal yet: `imprint "
               "merge JOB.yaml`)\n", n_shards, shard_records);
    imp_shard_paths_free(shards, n_shards);
    free(cube);
    printf("updated: %s (created %s, imprint %s)\n", c->updated[0] ? c->updated : "?",
           c->created[0] ? c->created : "?", c->imprint_version[0] ? c->imprint_version : "?");
    int rc = by_host ? imp_cube_print_by_host(c, stdout, &err)
                     : imp_cube_print_status(c, stdout, (size_t)failures, &err);
    imp_cube_free(c);
    if (!rc && fflush(stdout) != 0)
        rc = imp_err_set(&err, IMP_EIO, "stdout: write error");
    return rc ? imp_tool_fail(&err) : 0;
}
