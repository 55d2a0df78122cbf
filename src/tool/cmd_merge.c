/* cmd_merge.c — `imprint merge JOB.yaml`: its options, help and summary line; the merge itself
 * (shard journals folded, the cube published) is the sink's imp_merge. */
#include <stdio.h>

#include "cmd.h"
#include "imprint/clock.h"
#include "imprint/sink.h"
#include "imprint/sweep.h"
#include "opts.h"

static void help(void)
{
    printf("usage: imprint merge JOB.yaml [--v1-job OLD.yaml]\n"
           "\n"
           "Fold every shard journal beside the cube (CUBE.h5.shard-I-of-N.journal, written by\n"
           "`imprint sweep JOB.yaml --shard I/N`) into the main journal CUBE.h5.journal, empty\n"
           "the shard journals it folded (down to the header, which a rerun of that shard needs\n"
           "for the same split; deleted once the grid is complete), and rebuild CUBE.h5 from\n"
           "the main journal. Records already in the main journal are not written again, so\n"
           "merging twice changes nothing. A shard journal of another grid or store content\n"
           "is refused (exit 2, nothing merged); a shard still running (its journal is locked)\n"
           "is skipped with a warning. A second merge of the same cube waits for the first\n"
           "(through CUBE.h5.merge.lock, removed when the merge ends). The progress files of\n"
           "the shards folded are removed: what stays is the cube, its journal, the store's\n"
           "fingerprint cache (CUBE.h5.fingerprints) and, until the grid is complete, the\n"
           "emptied shard journals. It also converts a version 1 journal (cells by grid\n"
           "index): by the job text in the cube, or the job file given with --v1-job, which\n"
           "must describe the grid that wrote it.\n"
           "\n"
           "Exit codes: 0 merged (the cube may still have pending cells: `imprint status`),\n"
           "2 bad job or a foreign shard journal, 1 other errors.\n");
}

/* The command's part of a merge: the job, the time taken, the one summary line. */
static int merge(const char *path, const char *v1_job, imp_err *err)
{
    double t0 = imp_clock_s();
    imp_job *job = NULL;
    imp_grid *g = NULL;
    int rc = imp_sweep_setup(path, &job, &g, err);
    if (rc)
        return rc;
    imp_merge_report r;
    rc = imp_merge(job, g, v1_job, stderr, &r, err);
    if (!rc)
        fprintf(stderr, "merge: %zu shard journal%s folded (%llu records, %llu new, %llu already "
                "in the journal)%s in %.2f s; cube %s: %zu of %zu cells done, %zu failed, %zu "
                "pending\n", r.folded, r.folded == 1 ? "" : "s", (unsigned long long)r.records,
                (unsigned long long)r.added, (unsigned long long)(r.records - r.added),
                r.skipped ? ", running shards skipped" : "", imp_clock_s() - t0, job->cube_path,
                r.counts[IMP_CELL_DONE], (size_t)r.n_cells - r.counts[IMP_CELL_NA],
                r.counts[IMP_CELL_FAILED], r.counts[IMP_CELL_PENDING]);
    imp_grid_free(g);
    imp_job_free(job);
    return rc;
}

int imp_cmd_merge(int argc, char **argv)
{
    const char *path = NULL, *v1_job = NULL;
    enum { O_V1_JOB = 1 };
    static const imp_opt opts[] = {{"v1-job", 1, O_V1_JOB}, {NULL, 0, 0}};
    imp_opts op;
    imp_opts_init(&op, "merge", opts, argc, argv);
    for (int o; (o = imp_opts_next(&op)) != IMP_OPT_END;) {
        switch (o) {
        case IMP_OPT_HELP: help(); return 0;
        case IMP_OPT_ERR: return 2;
        case O_V1_JOB: v1_job = op.val; break;
        case IMP_OPT_ARG:
            if (path)
                return imp_tool_usage("merge", "one job file at a time");
            path = op.val;
            break;
        }
    }
    if (!path)
        return imp_tool_usage("merge", "which job? imprint merge JOB.yaml");
    imp_err err;
    imp_err_clear(&err);
    int rc = merge(path, v1_job, &err);
    return rc ? imp_tool_fail(&err) : 0;
}
