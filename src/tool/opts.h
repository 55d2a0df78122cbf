/* opts.h — the tool's option parsing: getopt_long over one table per command, so every
 * command takes --opt=V as well as --opt V, unambiguous abbreviations (--sto for --store), and
 * -- to end the options, with the tool's own messages for the errors. */
#ifndef IMPRINT_TOOL_OPTS_H
#define IMPRINT_TOOL_OPTS_H

#include <getopt.h>
#include <stddef.h>

/* One option of a command: the long name without "--", whether it takes a value, and the id
 * imp_opts_next returns for it (> 0, distinct within the table). A table ends with a NULL
 * name. --help and -h are always recognised (IMP_OPT_HELP). */
typedef struct imp_opt {
    const char *name;
    int has_arg;
    int id;
} imp_opt;

enum {
    IMP_OPT_END = 0,   /* no more arguments */
    IMP_OPT_ARG = -1,  /* a positional argument, in o->val (in command-line order; after --
                        * everything is positional) */
    IMP_OPT_HELP = -2, /* --help or -h */
    IMP_OPT_ERR = -3   /* a usage error, already printed: exit 2 */
};

enum { IMP_OPTS_MAX = 48 };

/* The parsing state of one command line. */
typedef struct imp_opts {
    const char *sub;       /* the command for messages: "eval" */
    const char *variant;   /* NULL, or e.g. "ingest idx": "unknown option '--x' for 'ingest idx'" */
    const imp_opt *table;
    int argc;
    char **argv;           /* argv[0] is the command name; parsing starts at argv[1] */
    struct option lo[IMP_OPTS_MAX + 2];
    int n;                 /* options in table */
    int ended;             /* getopt is done: the rest (after --) is positional */
    const char *val;       /* the value of the option just returned, or the positional */
    const char *name;      /* the full name (without --) of the option just returned */
} imp_opts;

/* Start parsing argv[1..argc-1] against table (at most IMP_OPTS_MAX entries). */
void imp_opts_init(imp_opts *o, const char *sub, const imp_opt *table, int argc, char **argv);
/* The next option's id (value in o->val), IMP_OPT_ARG, IMP_OPT_HELP, IMP_OPT_END, or
 * IMP_OPT_ERR after printing "imprint SUB: unknown option '--x'" / "option --x needs a value"
 * / "option --x takes no value" / "option '--s' is ambiguous (--store, --strategy)". */
int imp_opts_next(imp_opts *o);

/* The edit distance between a and b (insertions, deletions, substitutions and transpositions
 * of adjacent characters, each 1: "stauts" is 1 from "status"), for "did you mean". */
size_t imp_edit_distance(const char *a, size_t na, const char *b);
/* Is a candidate at distance d close enough to a mistyped word of len characters to suggest? */
int imp_close_enough(size_t d, size_t len);

#endif
