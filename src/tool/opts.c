/* opts.c — getopt_long over a command's option table, with the tool's usage messages. */
#include "opts.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"

enum { VAL_BASE = 1000, VAL_HELP = 'h' };

void imp_opts_init(imp_opts *o, const char *sub, const imp_opt *table, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->sub = sub;
    o->table = table;
    o->argc = argc;
    o->argv = argv;
    while (table[o->n].name && o->n < IMP_OPTS_MAX) {
        o->lo[o->n] = (struct option){table[o->n].name,
                                      table[o->n].has_arg ? required_argument : no_argument, NULL,
                                      VAL_BASE + o->n};
        o->n++;
    }
    o->lo[o->n] = (struct option){"help", no_argument, NULL, VAL_HELP};
    optind = 0; /* glibc: full re-initialisation */
    opterr = 0;
}

/* The option named by the word "--name[=v]" as written: the index of the exact or the only
 * prefix match in the table, -1 if none, -2 if ambiguous (the candidates into amb). */
static int lookup(const imp_opts *o, const char *word, char *amb, size_t n)
{
    const char *name = word + 2;
    size_t len = strcspn(name, "=");
    int found = -1, count = 0;
    amb[0] = '\0';
    for (int i = 0; i < o->n; i++) {
        if (strncmp(o->table[i].name, name, len) != 0)
            continue;
        if (strlen(o->table[i].name) == len)
            return i;
        size_t used = strlen(amb);
        snprintf(amb + used, n - used, "%s--%s", count ? ", " : "", o->table[i].name);
        found = i;
        count++;
    }
    return count > 1 ? -2 : found;
}

static int usage_error(imp_opts *o, int c)
{
    const char *word = optind > 0 && optind <= o->argc ? o->argv[optind - 1] : "";
    int is_long = strncmp(word, "--", 2) == 0;
    char amb[512];
    int idx = is_long ? lookup(o, word, amb, sizeof amb) : -1;
    int len = is_long ? (int)strcspn(word, "=") : (int)strlen(word);
    if (c == ':') {
        if (is_long && idx >= 0)
            imp_tool_usage(o->sub, "option --%s needs a value", o->table[idx].name);
        else
            imp_tool_usage(o->sub, "option %s needs a value", word);
    } else if (idx == -2) {
        imp_tool_usage(o->sub, "option '%.*s' is ambiguous (%s)", len, word, amb);
    } else if (idx >= 0 && !o->table[idx].has_arg && strchr(word, '=')) {
        imp_tool_usage(o->sub, "option --%s takes no value", o->table[idx].name);
    } else if (!is_long && optopt && optopt != '?') {
        imp_tool_usage(o->sub, "unknown option '-%c'%s%s%s", optopt, o->variant ? " for '" : "",
                       o->variant ? o->variant : "", o->variant ? "'" : "");
    } else if (o->variant) {
        imp_tool_usage(o->sub, "unknown option '%.*s' for '%s'", len, word, o->variant);
    } else {
        imp_tool_usage(o->sub, "unknown option '%.*s'", len, word);
    }
    return IMP_OPT_ERR;
}

int imp_opts_next(imp_opts *o)
{
    o->val = NULL;
    o->name = NULL;
    if (o->ended) {
        if (optind >= o->argc)
            return IMP_OPT_END;
        o->val = o->argv[optind++];
        return IMP_OPT_ARG;
    }
    /* "-": positionals come back in order as 1; ":": a missing value is ':' */
    int c = getopt_long(o->argc, o->argv, "-:h", o->lo, NULL);
    switch (c) {
    case -1:
        o->ended = 1; /* the end, or "--": what follows is positional */
        return imp_opts_next(o);
    case 1:
        o->val = optarg;
        return IMP_OPT_ARG;
    case VAL_HELP:
        return IMP_OPT_HELP;
    case '?':
    case ':':
        return usage_error(o, c);
    default:
        if (c < VAL_BASE || c >= VAL_BASE + o->n)
            return usage_error(o, '?');
        o->val = optarg;
        o->name = o->lo[c - VAL_BASE].name;
        return o->table[c - VAL_BASE].id;
    }
}
