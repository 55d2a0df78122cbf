/* cmd_sweep.c — `[mpirun -np N] imprint sweep JOB.yaml`. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "imprint/resume.h"
#include "imprint/sweep.h"
#include "opts.h"
#include "toolio.h"

static void help(void)
{
    printf("usage: imprint sweep JOB.yaml [--retry-failed] [--fresh] [--threads T]\n"
           "                            [--piece-seconds S] [--drain-seconds S]\n"
           "                            [--progress-seconds S]\n"
           "                            [--cube-seconds S] [--quiet] [--shard I/N]\n"
           "       mpirun -np N imprint sweep JOB.yaml [...]\n"
           "\n"
           "Compute every pending cell of the job's grid once, over all MPI ranks (also runs as\n"
           "one process without mpirun). Rank 0 cuts the work into pieces of bounded estimated\n"
           "cost (cells of one task and seed grouped by the GEN they share), hands them out\n"
           "longest first to the rank holding the data, appends every result to CUBE.h5.journal\n"
           "as it streams in (fsync at least every 2 s) and rewrites CUBE.h5 atomically; all\n"
           "ranks compute.\n"
           "\n"
           "  --retry-failed        also recompute cells that failed before\n"
           "  --fresh               discard the journal (and so every result) and start over;\n"
           "                        with --shard, only that shard's own journal\n"
           "  --threads T           threads per rank (default: CPUs per rank on the node)\n"
           "  --piece-seconds S     bound of a piece's estimated cost on one rank (default 30)\n"
           "  --drain-seconds S     after SIGTERM/SIGINT/SIGUSR1 every rank stops after its\n"
           "                        current cell; wait at most S s for that (default 60); a\n"
           "                        second signal stops at once\n"
           "  --progress-seconds S  progress line on stderr and CUBE.h5.progress.json (default 10)\n"
           "  --cube-seconds S      rewrite the cube every S s (default 60)\n"
           "  --quiet               no periodic progress lines\n"
           "  --shard I/N           0 <= I < N: compute shard I of N — a deterministic,\n"
           "                        cost-balanced share of the cells pending in CUBE.h5.journal —\n"
           "                        into CUBE.h5.shard-I-of-N.journal, without writing the cube\n"
           "                        (N shards can run at once, e.g. a Slurm array); then\n"
           "                        `imprint merge JOB.yaml` folds them in and rebuilds the cube\n"
           "\n"
           "Cells are matched to the journal by value (model, task definition, strategy, k,\n"
           "shot, seed, lambda, store content): adding or removing axis values keeps every\n"
           "finished cell still in the grid; a changed task, lambda or store content recomputes\n"
           "exactly the cells it affects (`imprint plan` says which).\n"
           "\n"
           "Exit codes: 0 every cell done, 4 finished with failed cells, 75 stopped early (run\n"
           "the same command again to resume), 2 bad job or input, 1 other errors.\n");
}

int imp_cmd_sweep(int argc, char **argv)
{
    imp_sweep_opts o;
    imp_sweep_opts_init(&o);
    enum { O_RETRY = 1, O_FRESH, O_QUIET, O_THREADS, O_PIECE, O_DRAIN, O_PROGRESS, O_CUBE,
           O_SHARD };
    static const imp_opt opts[] = {
        {"retry-failed", 0, O_RETRY},
        {"fresh", 0, O_FRESH},
        {"quiet", 0, O_QUIET},
        {"threads", 1, O_THREADS},
        {"piece-seconds", 1, O_PIECE},
        {"drain-seconds", 1, O_DRAIN},
        {"progress-seconds", 1, O_PROGRESS},
        {"cube-seconds", 1, O_CUBE},
        {"shard", 1, O_SHARD},
        {NULL, 0, 0},
    };
    imp_opts op;
    imp_opts_init(&op, "sweep", opts, argc, argv);
    for (int c; (c = imp_opts_next(&op)) != IMP_OPT_END;) {
        const char *v = op.val;
        double d;
        long t;
        switch (c) {
        case IMP_OPT_HELP: help(); return 0;
        case IMP_OPT_ERR: return 2;
        case O_RETRY: o.retry_failed = 1; break;
        case O_FRESH: o.fresh = 1; break;
        case O_QUIET: o.quiet = 1; break;
        case O_SHARD: {
            char why[200];
            if (imp_shard_parse(v, &o.shard_i, &o.shard_n, why, sizeof why))
                return imp_tool_usage("sweep", "--shard %s", why);
            break;
        }
        case O_THREADS:
            if (imp_parse_long(v, 1, 1024, &t))
                return imp_tool_usage("sweep", "--threads '%s': expected 1..1024", v);
            o.threads = (int)t;
            break;
        case O_PIECE:
            if (imp_parse_double(v, &d) || d <= 0)
                return imp_tool_usage("sweep", "--piece-seconds '%s': expected seconds > 0", v);
            o.piece_seconds = d;
            break;
        case O_DRAIN:
        case O_PROGRESS:
        case O_CUBE:
            if (imp_parse_double(v, &d) || d < 0)
                return imp_tool_usage("sweep", "--%s '%s': expected seconds >= 0", op.name, v);
            *(c == O_DRAIN ? &o.drain_seconds : c == O_PROGRESS ? &o.progress_seconds
                                                                 : &o.cube_seconds) = d;
            break;
        case IMP_OPT_ARG:
            if (o.job_path)
                return imp_tool_usage("sweep", "one job file at a time ('%s' and '%s')",
                                      o.job_path, v);
            o.job_path = v;
            break;
        }
    }
    if (!o.job_path)
        return imp_tool_usage("sweep", "which job? imprint sweep JOB.yaml");
    char example[8192];
    if (imp_tool_installed_example(o.job_path, example, sizeof example)) {
        fprintf(stderr, "imprint: %s\n", example); /* every rank: before MPI, none knows */
        return 2;
    }
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
    int code = 1, abort_others = 0;
    int rc = imp_sweep_run(&o, &code, &abort_others, &err);
    if (rc) {
        if (rank == 0 || abort_others)
            fprintf(stderr, "imprint: %s\n", err.msg);
        code = rc == IMP_ESTOPPED ? 75 : imp_exit_code(rc);
    }
    if (abort_others) {
        /* the other ranks (or rank 0's compute thread) are still running: end them all */
        fflush(stderr);
        fflush(stdout);
        int size = 1;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (size > 1)
            MPI_Abort(MPI_COMM_WORLD, code);
        _exit(code);
    }
    MPI_Finalize();
    return code;
}
