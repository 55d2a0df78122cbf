/* main.c — the imprint tool: git-style dispatch to subcommands (imp_tool_main; the imprint
 * executable's main, in imprint.c, only calls it). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "imprint/blas.h"
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opts.h"
#include "imprint/pool.h"
#include "imprint/version.h"

static const imp_cmd commands[] = {
    {"ingest", imp_cmd_ingest, "write embeddings into an HDF5 store (fashion-mnist, idx, reference)"},
    {"store", imp_cmd_store, "list the models, datasets and splits of a store"},
    {"eval", imp_cmd_eval, "evaluate one cell (model, dataset, strategy, k, shot, seed)"},
    {"plan", imp_cmd_plan, "grid sizes, cells done / pending / failed, cost estimate (runs nothing)"},
    {"sweep", imp_cmd_sweep, "compute every pending cell of a job over MPI ranks (resumable)"},
    {"merge", imp_cmd_merge, "fold shard journals (sweep --shard I/N) into the journal, rebuild the cube"},
    {"nc1", imp_cmd_nc1, "neural-collapse NC1 of a model's embeddings on a task"},
    {"status", imp_cmd_status, "cells done / pending / failed / n-a of a result cube, per axis value"},
    {"export", imp_cmd_export, "a result cube as CSV, one row per cell"},
    {"analyze", imp_cmd_analyze, "ranks, Friedman, Wilcoxon-Holm, cliques and CD diagram of a cube"},
    {"report", imp_cmd_report, "an HTML page with the rank table, tests and figures (SVG, PDF, PNG) of a cube"},
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: imprint [--version] [--help] <command> [<args>]\n"
            "\n"
            "Weight-imprinting experiments at cluster scale (IMPRINT, Westerhoff et al., TMLR 2025).\n"
            "\n"
            "commands:\n");
    for (const imp_cmd *c = commands; c->name; c++)
        fprintf(f, "  %-8s %s\n", c->name, c->summary);
    fprintf(f, "\n'imprint <command> --help' (or 'imprint help <command>') describes one command.\n"
               "Exit codes: 0 ok, 2 bad usage or input, 4 finished with failed cells, "
               "75 stopped early (resumable), 1 other error.\n");
}

/* "'x' is not an imprint command", with the closest command when one is close. */
static void not_a_command(const char *word)
{
    const imp_cmd *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(word);
    for (const imp_cmd *c = commands; c->name; c++) {
        size_t d = imp_edit_distance(word, len, c->name);
        if (d < best_d)
            best = c, best_d = d;
    }
    if (best && imp_close_enough(best_d, len))
        fprintf(stderr, "imprint: '%s' is not an imprint command; did you mean '%s'? (see "
                        "'imprint --help')\n", word, best->name);
    else
        fprintf(stderr, "imprint: '%s' is not an imprint command (see 'imprint --help')\n",
                word);
}

int imp_tool_fail(const imp_err *err)
{
    fprintf(stderr, "imprint: %s\n", err->msg[0] ? err->msg : imp_strerror(err->code));
    return imp_exit_code(err->code ? err->code : IMP_EINTERNAL);
}

int imp_tool_cpus(void)
{
    long v;
    const char *slurm = getenv("SLURM_CPUS_PER_TASK");
    if (slurm && imp_parse_long(slurm, 1, 1 << 20, &v) == 0)
        return (int)v;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return imp_cpu_count();
}

int imp_is_help(const char *arg) { return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0; }

int imp_append_list(char **list, const char *item)
{
    size_t old = *list ? strlen(*list) : 0, n = old + strlen(item) + 2;
    char *p = realloc(*list, n);
    if (!p)
        return -1;
    snprintf(p + old, n - old, "%s%s", old ? "," : "", item);
    *list = p;
    return 0;
}

int imp_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int imp_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int imp_tool_main(int argc, char **argv)
{
    /* HDF5 prints its own error stack by default; we translate errors ourselves. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "help") == 0 && argc > 2) {
        /* imprint help CMD = imprint CMD --help */
        for (const imp_cmd *c = commands; c->name; c++)
            if (strcmp(argv[2], c->name) == 0) {
                char *args[] = {argv[2], "--help", NULL};
                return c->fn(2, args);
            }
        not_a_command(argv[2]);
        return 2;
    }
    if (imp_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("imprint %s\n", imp_version());
        return 0;
    }
    for (const imp_cmd *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0) {
            /* BLAS threads: the CPUs this process may use (Slurm's allocation, the affinity
             * mask), not every CPU online; the BLAS's own environment variable still wins.
             * The sweep sets its own per rank. */
            if (!imp_blas_threads_from_env() && c->fn != imp_cmd_sweep)
                imp_blas_set_threads(imp_tool_cpus());
            return c->fn(argc - 1, argv + 1);
        }
    not_a_command(argv[1]);
    return 2;
}
