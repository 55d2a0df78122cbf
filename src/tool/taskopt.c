/* taskopt.c — --classes / --remap parsing against the labels in a store. */
#include "taskopt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

static int has(const int32_t *v, size_t n, int32_t x)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

void imp_taskopt_free(imp_taskopt *t)
{
    free(t->raw);
    free(t->cls);
    memset(t, 0, sizeof *t);
}

/* parse "a,b,c" or "a:b,c:d" into integer arrays */
static int parse_list(const char *text, int pairs, int32_t **a, int32_t **b, size_t *n)
{
    size_t cap = 8;
    *n = 0;
    *a = malloc(cap * sizeof **a);
    *b = pairs ? malloc(cap * sizeof **b) : NULL;
    const char *p = text;
    while (*p) {
        char *end;
        long x = strtol(p, &end, 10), y = 0;
        if (end == p || x < INT32_MIN || x > INT32_MAX)
            return -1;
        if (pairs) {
            if (*end != ':')
                return -1;
            p = end + 1;
            y = strtol(p, &end, 10);
            if (end == p || y < 0 || y > INT32_MAX)
                return -1;
        }
        if (*end && *end != ',')
            return -1;
        if (*n == cap) {
            cap *= 2;
            int32_t *na = realloc(*a, cap * sizeof **a);
            if (!na)
                return -1;
            *a = na;
            if (pairs) {
                int32_t *nb = realloc(*b, cap * sizeof **b);
                if (!nb)
                    return -1;
                *b = nb;
            }
        }
        (*a)[*n] = (int32_t)x;
        if (pairs)
            (*b)[*n] = (int32_t)y;
        (*n)++;
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return -1; /* trailing comma */
    }
    return *n ? 0 : -1;
}

int imp_taskopt_build(imp_store *s, const char *sub, const char *model, const char *dataset,
                      const char *classes, const char *remap, imp_taskopt *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    int32_t *y = NULL;
    size_t np = 0;
    int rc = imp_store_distinct_labels(s, model, dataset, "train", &y, &np, err);
    if (rc)
        return rc;
    int32_t *a = NULL, *b = NULL;
    size_t n = 0;
    int off;
    if (remap) {
        if (classes && strcmp(classes, "all") != 0) {
            rc = imp_tool_usage(sub, "--classes cannot be combined with --remap (the remap "
                                     "names the classes)");
            goto out;
        }
        if (parse_list(remap, 1, &a, &b, &n)) {
            rc = imp_tool_usage(sub, "--remap '%s': expected RAW:CLASS,RAW:CLASS,… with CLASS >= 0",
                                remap);
            goto out;
        }
        int maxc = -1;
        for (size_t i = 0; i < n; i++) {
            if (!has(y, np, a[i])) {
                rc = imp_tool_usage(sub, "--remap: label %d is not in /%s/%s/train/y", a[i],
                                    model, dataset);
                goto out;
            }
            for (size_t j = 0; j < i; j++)
                if (a[j] == a[i]) {
                    rc = imp_tool_usage(sub, "--remap: label %d mapped twice", a[i]);
                    goto out;
                }
            maxc = b[i] > maxc ? b[i] : maxc;
        }
        for (int c = 0; c <= maxc; c++)
            if (!has(b, n, c)) {
                rc = imp_tool_usage(sub, "--remap: classes must be 0..%d without gaps (no label "
                                         "maps to %d)", maxc, c);
                goto out;
            }
        out->n_classes = maxc + 1;
        out->raw = a;
        out->cls = b;
        a = b = NULL;
        out->n = n;
        off = snprintf(out->name, sizeof out->name, "%s:remap:%s", dataset, remap);
    } else {
        if (!classes || strcmp(classes, "all") == 0) {
            a = malloc(np * sizeof *a);
            if (!a) {
                rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
                goto out;
            }
            memcpy(a, y, np * sizeof *a);
            n = np;
        } else if (parse_list(classes, 0, &a, &b, &n)) {
            rc = imp_tool_usage(sub, "--classes '%s': expected all or a comma list of labels",
                                classes);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            if (!has(y, np, a[i])) {
                rc = imp_tool_usage(sub, "--classes: label %d is not in /%s/%s/train/y", a[i],
                                    model, dataset);
                goto out;
            }
            for (size_t j = 0; j < i; j++)
                if (a[j] == a[i]) {
                    rc = imp_tool_usage(sub, "--classes: label %d given twice", a[i]);
                    goto out;
                }
        }
        out->raw = a;
        a = NULL;
        out->cls = malloc(n * sizeof *out->cls);
        if (!out->cls) {
            rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            out->cls[i] = (int32_t)i;
        out->n = n;
        out->n_classes = (int)n;
        off = snprintf(out->name, sizeof out->name, "%s:", dataset);
        for (size_t i = 0; i < n && off < (int)sizeof out->name - 16; i++)
            off += snprintf(out->name + off, sizeof out->name - (size_t)off, "%s%d", i ? "," : "",
                            out->raw[i]);
    }
    if (out->n_classes < 2)
        rc = imp_tool_usage(sub, "a task needs at least 2 classes (found %d)", out->n_classes);
out:
    free(a);
    free(b);
    free(y);
    if (rc)
        imp_taskopt_free(out);
    return rc;
}
