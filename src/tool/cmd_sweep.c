/* cmd_sweep.c — `[mpirun -np N] imprint sweep JOB.yaml`. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "imprint/sweep.h"

static void help(void)
{
    printf("usage: imprint sweep JOB.yaml [--retry-failed] [--fresh] [--threads T]\n"
           "                            [--drain-seconds S] [--progress-seconds S]\n"
           "                            [--cube-seconds S] [--quiet]\n"
           "       mpirun -np N imprint sweep JOB.yaml [...]\n"
           "\n"
           "Compute every pending cell of the job's grid once, over all MPI ranks (also runs as\n"
           "one process without mpirun). Rank 0 schedules work units (one task's rows loaded once,\n"
           "each distinct GEN computed once), appends every result to CUBE.h5.journal (fsync at\n"
           "least every 2 s) and rewrites CUBE.h5 atomically; all ranks compute.\n"
           "\n"
           "  --retry-failed        also recompute cells that failed before\n"
           "  --fresh               discard the journal (and so every result) and start over\n"
           "  --threads T           threads per rank (default: CPUs per rank on the node)\n"
           "  --drain-seconds S     after SIGTERM/SIGINT/SIGUSR1, wait S s for work in flight\n"
           "                        (default 60); a second signal stops at once\n"
           "  --progress-seconds S  progress line on stderr and CUBE.h5.progress.json (default 10)\n"
           "  --cube-seconds S      rewrite the cube every S s (default 60)\n"
           "  --quiet               no periodic progress lines\n"
           "\n"
           "Exit codes: 0 every cell done, 4 finished with failed cells, 75 stopped early (run\n"
           "the same command again to resume), 2 bad job or input, 1 other errors.\n");
}

int imp_cmd_sweep(int argc, char **argv)
{
    imp_sweep_opts o;
    imp_sweep_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (imp_is_help(a)) {
            help();
            return 0;
        }
        if (strcmp(a, "--retry-failed") == 0) {
            o.retry_failed = 1;
        } else if (strcmp(a, "--fresh") == 0) {
            o.fresh = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            o.quiet = 1;
        } else if (strcmp(a, "--threads") == 0 || strcmp(a, "--drain-seconds") == 0 ||
                   strcmp(a, "--progress-seconds") == 0 || strcmp(a, "--cube-seconds") == 0) {
            if (i + 1 >= argc)
                return imp_tool_usage("sweep", "option %s needs a value", a);
            const char *v = argv[++i];
            if (strcmp(a, "--threads") == 0) {
                long t;
                if (imp_parse_long(v, 1, 1024, &t))
                    return imp_tool_usage("sweep", "--threads '%s': expected 1..1024", v);
                o.threads = (int)t;
            } else {
                double d;
                if (imp_parse_double(v, &d) || d < 0)
                    return imp_tool_usage("sweep", "%s '%s': expected seconds >= 0", a, v);
                if (strcmp(a, "--drain-seconds") == 0)
                    o.drain_seconds = d;
                else if (strcmp(a, "--progress-seconds") == 0)
                    o.progress_seconds = d;
                else
                    o.cube_seconds = d;
            }
        } else if (a[0] == '-') {
            return imp_tool_usage("sweep", "unknown option '%s'", a);
        } else if (o.job_path) {
            return imp_tool_usage("sweep", "one job file at a time ('%s' and '%s')", o.job_path, a);
        } else {
            o.job_path = a;
        }
    }
    if (!o.job_path)
        return imp_tool_usage("sweep", "which job? imprint sweep JOB.yaml");
    imp_signals_install();
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "imprint sweep: MPI_Init failed\n");
        return 1;
    }
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (provided < MPI_THREAD_FUNNELED && rank == 0)
        fprintf(stderr, "imprint sweep: warning: MPI gives thread level %d < FUNNELED\n", provided);
    imp_err err;
    imp_err_clear(&err);
    int code = 1;
    int rc = imp_sweep_run(&o, &code, &err);
    if (rc) {
        if (rank == 0)
            fprintf(stderr, "imprint: %s\n", err.msg);
        code = imp_exit_code(rc);
    }
    MPI_Finalize();
    return code;
}
