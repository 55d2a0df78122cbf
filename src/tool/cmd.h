/* cmd.h — the subcommands of the imprint tool and their shared option helpers. */
#ifndef IMPRINT_TOOL_CMD_H
#define IMPRINT_TOOL_CMD_H

#include <stddef.h>
#include <stdio.h>

#include "imprint/err.h"

/* Every subcommand: argv[0] is the subcommand name; returns the process exit code. */
typedef int (*imp_cmd_fn)(int argc, char **argv);

typedef struct imp_cmd {
    const char *name;
    imp_cmd_fn fn;
    const char *summary;
} imp_cmd;

int imp_cmd_ingest(int argc, char **argv);
int imp_cmd_store(int argc, char **argv);
int imp_cmd_eval(int argc, char **argv);
int imp_cmd_nc1(int argc, char **argv);
int imp_cmd_plan(int argc, char **argv);
int imp_cmd_sweep(int argc, char **argv);
int imp_cmd_status(int argc, char **argv);
int imp_cmd_export(int argc, char **argv);
int imp_cmd_analyze(int argc, char **argv);
int imp_cmd_report(int argc, char **argv);
int imp_cmd_merge(int argc, char **argv);

/* The whole tool: argv[1] names the subcommand. Returns the process's exit code. The imprint
 * executable's main is this call alone, so a test build (imprint-test) links the same tool
 * objects under a main of its own. */
int imp_tool_main(int argc, char **argv);

/* Print "imprint: <msg>" for an error and return its exit code. */
int imp_tool_fail(const imp_err *err);
/* Usage error: print "imprint SUB: <msg>" and a hint to --help; returns 2. */
int imp_tool_usage(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print text (words separated by single spaces) to f, starting at column col of the current
 * line and breaking lines greedily so that none is wider than width characters (a UTF-8
 * sequence counts as one), continuation lines indented by indent spaces; the last line is
 * left open and its column returned. Help paragraphs that hold a list generated from a table
 * are written through it. */
size_t imp_tool_wrap(FILE *f, size_t col, size_t indent, size_t width, const char *text);
/* The width of the help's paragraphs, in characters. */
#define IMP_TOOL_HELP_WIDTH 80
/* CPUs this process should use: SLURM_CPUS_PER_TASK if set, else the CPU affinity mask, else
 * the CPUs online. */
int imp_tool_cpus(void);
/* Is argv[i] "--help" or "-h"? */
int imp_is_help(const char *arg);
/* Parse a whole decimal integer in [lo, hi]; returns 0 or -1. */
int imp_parse_long(const char *s, long lo, long hi, long *out);
/* Parse a whole finite double; returns 0 or -1. */
int imp_parse_double(const char *s, double *out);
/* Append item to the comma list *list (malloc'd, NULL when empty; the caller frees): how a
 * repeated --competitors or --name accumulates. Returns 0, or -1 when out of memory. */
int imp_append_list(char **list, const char *item);

#endif
