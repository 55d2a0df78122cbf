/* opts.c — getopt_long over a command's option table; usage messages and help wrapping. */
#include "opts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

size_t imp_edit_distance(const char *a, size_t na, const char *b)
{
    size_t nb = strlen(b);
    /* three rows of the optimal-string-alignment table: i-2, i-1, i */
    size_t *r = malloc(3 * (nb + 1) * sizeof *r);
    if (!r)
        return (size_t)-1;
    size_t *pp = r, *p = r + nb + 1, *q = r + 2 * (nb + 1);
    for (size_t j = 0; j <= nb; j++)
        p[j] = j;
    for (size_t i = 1; i <= na; i++) {
        q[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t v = p[j - 1] + cost;
            if (p[j] + 1 < v)
                v = p[j] + 1;
            if (q[j - 1] + 1 < v)
                v = q[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            q[j] = v;
        }
        size_t *t = pp;
        pp = p, p = q, q = t;
    }
    size_t d = p[nb];
    free(r);
    return d;
}

int imp_close_enough(size_t d, size_t len) { return d <= 2 && 3 * d <= len + 1; }

/* ", did you mean '--name'?" for the closest option of the table (or help) to the mistyped
 * long option word (without "--" and "=value"), or "" when none is close. */
static void suggest(const imp_opts *o, const char *name, size_t len, char *buf, size_t n)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (int i = 0; i <= o->n; i++) {
        const char *cand = i < o->n ? o->table[i].name : "help";
        size_t d = imp_edit_distance(name, len, cand);
        if (d < best_d)
            best = cand, best_d = d;
    }
    buf[0] = '\0';
    if (best && imp_close_enough(best_d, len))
        snprintf(buf, n, "; did you mean '--%s'?", best);
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
    } else {
        char hint[128] = "";
        if (is_long && len > 2)
            suggest(o, word + 2, (size_t)len - 2, hint, sizeof hint);
        if (o->variant)
            imp_tool_usage(o->sub, "unknown option '%.*s' for '%s'%s", len, word, o->variant,
                           hint);
        else
            imp_tool_usage(o->sub, "unknown option '%.*s'%s", len, word, hint);
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

/* A usage error (exit 2), printed where every option error goes. */
int imp_tool_usage(const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "imprint %s: ", sub);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'imprint %s --help')\n", sub);
    return 2;
}

/* characters in s[0..len): bytes that do not continue a UTF-8 sequence */
static size_t text_width(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

size_t imp_tool_wrap(FILE *f, size_t col, size_t indent, size_t width, const char *text)
{
    int first = 1;
    while (*text) {
        size_t len = strcspn(text, " "), w = text_width(text, len);
        if (!first && col + 1 + w > width) {
            fprintf(f, "\n%*s", (int)indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', f);
            col++;
        }
        fwrite(text, 1, len, f);
        col += w;
        first = 0;
        text += len;
        text += strspn(text, " ");
    }
    return col;
}
