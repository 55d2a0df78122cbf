/* job.c — parse and validate job files (libyaml document API) and check them against a store. */
#include "imprint/job.h"
#include "imprint/axis.h"
#include "imprint/named.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- small utilities ------------------------------------------------------------------ */

/* Grow *arr (element size sz) so that index n fits; capacity doubles. */
static int grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    while (nc <= n)
        nc *= 2;
    void *p = realloc(*arr, nc * sz);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

static char *join_path(const char *dir, const char *path)
{
    if (!dir || path[0] == '/')
        return strdup(path);
    size_t n = strlen(dir) + strlen(path) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, path);
    return out;
}

/* ---- parse context and error helpers --------------------------------------------------- */

typedef struct pctx {
    const char *name;
    yaml_document_t *doc;
    imp_err *err;
    imp_job *job;
} pctx;

static imp_job_pos pos_of(const yaml_node_t *n)
{
    imp_job_pos p = {(int)n->start_mark.line + 1, (int)n->start_mark.column + 1};
    return p;
}

/* Every job error reads "FILE: line L, column C: what". */
static int vfail(imp_err *err, const char *name, imp_job_pos p, const char *fmt, va_list ap)
{
    char msg[IMP_ERR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return imp_err_set(err, IMP_EINPUT, "%s: line %d, column %d: %s", name, p.line, p.col, msg);
}

static int fail_at(pctx *c, imp_job_pos p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(pctx *c, imp_job_pos p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(c->err, c->name, p, fmt, ap);
    va_end(ap);
    return rc;
}

static int nomem(pctx *c)
{
    return imp_err_set(c->err, IMP_ENOMEM, "%s: out of memory while reading the job", c->name);
}

static yaml_node_t *node_at(pctx *c, int idx) { return yaml_document_get_node(c->doc, idx); }

static const char *kind_of(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a single value";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

static int is_empty_scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && n->data.scalar.length == 0 &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int get_scalar(pctx *c, yaml_node_t *n, const char *what, const char **out)
{
    *out = "";
    if (n->type != YAML_SCALAR_NODE)
        return fail_at(c, pos_of(n), "%s: expected a single value, found %s", what, kind_of(n));
    *out = (const char *)n->data.scalar.value;
    return 0;
}

/* A non-empty list; an empty one (or a key without value) is an empty axis. */
static int get_list(pctx *c, yaml_node_t *n, const char *what, yaml_node_item_t **items,
                    size_t *count)
{
    *items = NULL;
    *count = 0;
    if (is_empty_scalar(n) || (n->type == YAML_SEQUENCE_NODE &&
                               n->data.sequence.items.top == n->data.sequence.items.start))
        return fail_at(c, pos_of(n), "empty axis '%s': give at least one value", what);
    if (n->type != YAML_SEQUENCE_NODE)
        return fail_at(c, pos_of(n), "%s: expected a list like [a, b], found %s", what, kind_of(n));
    *items = n->data.sequence.items.start;
    *count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    return 0;
}

/* Check a mapping's keys against allowed (NULL-terminated) and collect the value of each
 * allowed key into vals[i] (NULL if absent). Unknown and duplicate keys are errors. */
static int get_keys(pctx *c, yaml_node_t *map, const char *what, const char *const *allowed,
                    yaml_node_t **vals, imp_job_pos *keypos)
{
    if (map->type != YAML_MAPPING_NODE)
        return fail_at(c, pos_of(map), "%s: expected a mapping (key: value), found %s", what,
                       kind_of(map));
    size_t na = 0;
    while (allowed[na])
        vals[na++] = NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node_at(c, p->key);
        const char *key;
        if (k->type != YAML_SCALAR_NODE)
            return fail_at(c, pos_of(k), "%s: keys must be plain names, found %s", what,
                           kind_of(k));
        key = (const char *)k->data.scalar.value;
        size_t i = 0;
        while (i < na && strcmp(allowed[i], key) != 0)
            i++;
        if (i == na) {
            char list[512] = "";
            for (size_t j = 0; j < na; j++) {
                strncat(list, allowed[j], sizeof list - strlen(list) - 1);
                if (j + 1 < na)
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            return fail_at(c, pos_of(k), "unknown key '%s' in %s (expected %s)", key, what, list);
        }
        if (vals[i])
            return fail_at(c, pos_of(k), "duplicate key '%s' in %s (first at line %d)", key, what,
                           keypos[i].line);
        vals[i] = node_at(c, p->value);
        keypos[i] = pos_of(k);
    }
    return 0;
}

static int parse_i64(pctx *c, yaml_node_t *n, const char *what, int64_t *out)
{
    *out = 0;
    const char *s;
    int rc = get_scalar(c, n, what, &s);
    if (rc)
        return rc;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno == ERANGE)
        return fail_at(c, pos_of(n), "%s: expected an integer, got '%s'", what, s);
    *out = (int64_t)v;
    return 0;
}

/* Names become HDF5 path parts and cube strings: printable, no blanks, '/' or ','. */
static int check_name(pctx *c, yaml_node_t *n, const char *what, const char *s)
{
    if (!*s)
        return fail_at(c, pos_of(n), "%s: empty name", what);
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= ' ' || ch == 127 || ch == '/' || ch == ',')
            return fail_at(c, pos_of(n),
                           "%s '%s': names may not contain blanks, control characters, '/' or ','",
                           what, s);
    }
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return fail_at(c, pos_of(n), "%s: '%s' is not a usable name", what, s);
    return 0;
}

/* ---- job memory ------------------------------------------------------------------------ */

static void free_task(imp_task *t)
{
    free(t->name);
    for (size_t i = 0; i < t->n_datasets; i++)
        free(t->datasets[i]);
    free(t->datasets);
    free(t->dataset_pos);
    free(t->classes);
    free(t->class_pos);
    free(t->remap_from);
    free(t->remap_to);
    free(t->remap_pos);
}

void imp_job_free(imp_job *job)
{
    if (!job)
        return;
    free(job->name);
    free(job->text);
    free(job->store);
    free(job->cube);
    free(job->store_path);
    free(job->cube_path);
    for (size_t i = 0; i < job->n_models; i++)
        free(job->models[i]);
    free(job->models);
    free(job->model_pos);
    for (size_t i = 0; i < job->n_tasks; i++)
        free_task(&job->tasks[i]);
    free(job->tasks);
    for (size_t i = 0; i < job->n_strategies; i++)
        free(job->strategies[i]);
    free(job->strategies);
    free(job->strats);
    free(job->strategy_pos);
    free(job->ks);
    free(job->k_pos);
    free(job->shots);
    free(job->shot_pos);
    free(job->seeds);
    free(job->seed_pos);
    for (size_t i = 0; i < job->n_lambda; i++)
        free(job->lambda_model[i]);
    free(job->lambda_model);
    free(job->lambda);
    free(job->lambda_pos);
    free(job);
}

/* ---- sections -------------------------------------------------------------------------- */

static int parse_path(pctx *c, yaml_node_t *n, const char *what, char **out, imp_job_pos *pos)
{
    const char *s;
    int rc = get_scalar(c, n, what, &s);
    if (rc)
        return rc;
    if (!*s)
        return fail_at(c, pos_of(n), "%s: empty path", what);
    *pos = pos_of(n);
    if (!(*out = strdup(s)))
        return nomem(c);
    return 0;
}

static int parse_models(pctx *c, yaml_node_t *n)
{
    imp_job *j = c->job;
    yaml_node_item_t *items;
    size_t cnt;
    int rc = get_list(c, n, "models", &items, &cnt);
    if (rc)
        return rc;
    if (!(j->models = calloc(cnt, sizeof *j->models)) ||
        !(j->model_pos = calloc(cnt, sizeof *j->model_pos)))
        return nomem(c);
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v = node_at(c, items[i]);
        const char *s;
        if ((rc = get_scalar(c, v, "models", &s)) || (rc = check_name(c, v, "model", s)))
            return rc;
        for (size_t q = 0; q < j->n_models; q++)
            if (strcmp(j->models[q], s) == 0)
                return fail_at(c, pos_of(v), "duplicate model '%s' (first at line %d)", s,
                               j->model_pos[q].line);
        if (!(j->models[j->n_models] = strdup(s)))
            return nomem(c);
        j->model_pos[j->n_models++] = pos_of(v);
    }
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int parse_label(pctx *c, yaml_node_t *n, const char *what, int32_t *out)
{
    *out = 0;
    int64_t v;
    int rc = parse_i64(c, n, what, &v);
    if (rc)
        return rc;
    if (v < 0 || v > INT32_MAX)
        return fail_at(c, pos_of(n), "%s: labels are integers >= 0, got %lld", what, (long long)v);
    *out = (int32_t)v;
    return 0;
}

static int parse_remap(pctx *c, imp_task *t, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail_at(c, pos_of(n), "task '%s': remap: expected a mapping {raw: class}, found %s",
                       t->name, kind_of(n));
    size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (cnt == 0)
        return fail_at(c, pos_of(n), "task '%s': remap is empty", t->name);
    if (!(t->remap_from = calloc(cnt, sizeof *t->remap_from)) ||
        !(t->remap_to = calloc(cnt, sizeof *t->remap_to)) ||
        !(t->remap_pos = calloc(cnt, sizeof *t->remap_pos)))
        return nomem(c);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        int32_t from, to;
        int rc;
        if ((rc = parse_label(c, k, "remap key (raw label)", &from)) ||
            (rc = parse_label(c, v, "remap value (class label)", &to)))
            return rc;
        for (size_t q = 0; q < t->n_remap; q++)
            if (t->remap_from[q] == from)
                return fail_at(c, pos_of(k), "task '%s': duplicate remap key %d (first at line %d)",
                               t->name, (int)from, t->remap_pos[q].line);
        t->remap_from[t->n_remap] = from;
        t->remap_to[t->n_remap] = to;
        t->remap_pos[t->n_remap++] = pos_of(k);
    }
    return 0;
}

static int parse_classes(pctx *c, imp_task *t, yaml_node_t *n)
{
    t->classes_pos = pos_of(n);
    if (n->type == YAML_SCALAR_NODE) {
        if (strcmp((const char *)n->data.scalar.value, "all") == 0) {
            t->classes_all = 1;
            return 0;
        }
        return fail_at(c, pos_of(n),
                       "task '%s': classes: expected all or a list of labels, got '%s'", t->name,
                       (const char *)n->data.scalar.value);
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return fail_at(c, pos_of(n), "task '%s': classes: expected all or a list of labels",
                       t->name);
    size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (cnt < 2)
        return fail_at(c, pos_of(n), "task '%s' has fewer than 2 classes", t->name);
    if (!(t->classes = calloc(cnt, sizeof *t->classes)) ||
        !(t->class_pos = calloc(cnt, sizeof *t->class_pos)))
        return nomem(c);
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v = node_at(c, n->data.sequence.items.start[i]);
        int32_t lab;
        int rc = parse_label(c, v, "classes", &lab);
        if (rc)
            return rc;
        for (size_t q = 0; q < t->n_classes; q++)
            if (t->classes[q] == lab)
                return fail_at(c, pos_of(v), "task '%s': duplicate class %d (first at line %d)",
                               t->name, (int)lab, t->class_pos[q].line);
        t->classes[t->n_classes] = lab;
        t->class_pos[t->n_classes++] = pos_of(v);
    }
    return 0;
}

static int parse_task(pctx *c, imp_task *t, yaml_node_t *n)
{
    static const char *const keys[] = {"name", "dataset", "datasets", "classes", "remap", NULL};
    yaml_node_t *v[5];
    imp_job_pos kp[5];
    int rc = get_keys(c, n, "task", keys, v, kp);
    if (rc)
        return rc;
    t->pos = pos_of(n);
    if (!v[0])
        return fail_at(c, pos_of(n), "task: missing required key 'name'");
    const char *name;
    if ((rc = get_scalar(c, v[0], "task name", &name)) ||
        (rc = check_name(c, v[0], "task name", name)))
        return rc;
    if (!(t->name = strdup(name)))
        return nomem(c);
    if (v[1] && v[2])
        return fail_at(c, kp[2], "task '%s': give either dataset or datasets, not both", name);
    if (!v[1] && !v[2])
        return fail_at(c, pos_of(n), "task '%s': missing required key 'dataset' (or 'datasets')",
                       name);
    yaml_node_item_t *items = NULL;
    size_t cnt = 1;
    if (v[2] && (rc = get_list(c, v[2], "datasets", &items, &cnt)))
        return rc;
    if (!(t->datasets = calloc(cnt, sizeof *t->datasets)) ||
        !(t->dataset_pos = calloc(cnt, sizeof *t->dataset_pos)))
        return nomem(c);
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *d = v[2] ? node_at(c, items[i]) : v[1];
        const char *ds;
        if ((rc = get_scalar(c, d, "dataset", &ds)) || (rc = check_name(c, d, "dataset", ds)))
            return rc;
        for (size_t q = 0; q < t->n_datasets; q++)
            if (strcmp(t->datasets[q], ds) == 0)
                return fail_at(c, pos_of(d), "task '%s': duplicate dataset '%s' (first at line %d)",
                               name, ds, t->dataset_pos[q].line);
        if (!(t->datasets[t->n_datasets] = strdup(ds)))
            return nomem(c);
        t->dataset_pos[t->n_datasets++] = pos_of(d);
    }
    if (v[4] && (rc = parse_remap(c, t, v[4])))
        return rc;
    if (v[3]) {
        if ((rc = parse_classes(c, t, v[3])))
            return rc;
    } else {
        t->classes_all = 1;
        t->classes_pos = pos_of(n);
    }
    if (t->n_remap && !t->classes_all) {
        for (size_t i = 0; i < t->n_classes; i++) {
            size_t q = 0;
            while (q < t->n_remap && t->remap_to[q] != t->classes[i])
                q++;
            if (q == t->n_remap)
                return fail_at(c, t->class_pos[i],
                               "task '%s': class %d is no value of its remap, so it has no data",
                               name, (int)t->classes[i]);
        }
    }
    if (t->n_remap && t->classes_all) {
        /* classes: all with a remap = the sorted distinct remap values */
        int32_t *vals = malloc(t->n_remap * sizeof *vals);
        if (!vals)
            return nomem(c);
        memcpy(vals, t->remap_to, t->n_remap * sizeof *vals);
        qsort(vals, t->n_remap, sizeof *vals, cmp_i32);
        size_t nd = 0;
        for (size_t i = 0; i < t->n_remap; i++)
            if (i == 0 || vals[i] != vals[nd - 1])
                vals[nd++] = vals[i];
        if (nd < 2) {
            free(vals);
            return fail_at(c, pos_of(v[4]),
                           "task '%s' has fewer than 2 classes (remap has %zu "
                           "distinct class)",
                           name, nd);
        }
        t->classes = vals;
        t->n_classes = nd;
        if (!(t->class_pos = malloc(nd * sizeof *t->class_pos)))
            return nomem(c);
        for (size_t i = 0; i < nd; i++)
            t->class_pos[i] = pos_of(v[4]);
    }
    return 0;
}

static int parse_tasks(pctx *c, yaml_node_t *n)
{
    imp_job *j = c->job;
    yaml_node_item_t *items;
    size_t cnt;
    int rc = get_list(c, n, "tasks", &items, &cnt);
    if (rc)
        return rc;
    if (!(j->tasks = calloc(cnt, sizeof *j->tasks)))
        return nomem(c);
    for (size_t i = 0; i < cnt; i++) {
        imp_task *t = &j->tasks[j->n_tasks++];
        if ((rc = parse_task(c, t, node_at(c, items[i]))))
            return rc;
        for (size_t q = 0; q + 1 < j->n_tasks; q++)
            if (strcmp(j->tasks[q].name, t->name) == 0)
                return fail_at(c, t->pos, "duplicate task name '%s' (first at line %d)", t->name,
                               j->tasks[q].pos.line);
    }
    return 0;
}

/* Append a canonical strategy unless present. dup_is_error: an explicit list entry equal to an
 * earlier one is an error; a grid product equal to an earlier strategy is skipped. */
static int add_strategy(pctx *c, const imp_strategy *s, imp_job_pos pos, int dup_is_error,
                        size_t *cap)
{
    imp_job *j = c->job;
    char buf[192];
    imp_strategy_format(s, buf, sizeof buf);
    for (size_t q = 0; q < j->n_strategies; q++)
        if (strcmp(j->strategies[q], buf) == 0) {
            if (dup_is_error)
                return fail_at(c, pos,
                               "duplicate strategy '%s' (same as line %d after "
                               "canonicalisation)",
                               buf, j->strategy_pos[q].line);
            return 0;
        }
    /* the three arrays share one capacity */
    size_t c1 = *cap, c2 = *cap, c3 = *cap;
    if (grow((void **)&j->strategies, &c1, j->n_strategies, sizeof *j->strategies) ||
        grow((void **)&j->strats, &c2, j->n_strategies, sizeof *j->strats) ||
        grow((void **)&j->strategy_pos, &c3, j->n_strategies, sizeof *j->strategy_pos))
        return nomem(c);
    *cap = c1;
    if (!(j->strategies[j->n_strategies] = strdup(buf)))
        return nomem(c);
    j->strats[j->n_strategies] = *s;
    j->strategy_pos[j->n_strategies++] = pos;
    return 0;
}

static int parse_strategies(pctx *c, yaml_node_t *n, size_t *cap)
{
    yaml_node_item_t *items;
    size_t cnt;
    int rc = get_list(c, n, "strategies", &items, &cnt);
    if (rc)
        return rc;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v = node_at(c, items[i]);
        const char *s;
        imp_strategy st;
        imp_err serr;
        imp_err_clear(&serr);
        if ((rc = get_scalar(c, v, "strategies", &s)))
            return rc;
        /* the paper's names stand for their strategy (the ks axis still gives every k: Ours
         * is the paper's pick at k = 20) */
        const imp_named_strategy *named = imp_named_strategy_find(s);
        if (named)
            s = named->strategy;
        if (imp_strategy_parse(s, &st, &serr))
            return fail_at(c, pos_of(v), "%s%s%s%s", serr.msg,
                           strchr(s, '/') ? "" : " (or a paper name: ",
                           strchr(s, '/') ? "" : imp_named_strategy_list(),
                           strchr(s, '/') ? "" : ")");
        if ((rc = add_strategy(c, &st, pos_of(v), 1, cap)))
            return rc;
    }
    return 0;
}

/* One part list of a strategy_grid: values canonicalised into out[], duplicates refused. */
static int grid_part(pctx *c, yaml_node_t *n, int part, imp_strategy *out, size_t *cnt_out)
{
    static const char *const names[] = {"pre", "gen", "post", "inf", "agg"};
    char what[32];
    snprintf(what, sizeof what, "strategy_grid %s", names[part]);
    yaml_node_item_t *items;
    size_t cnt;
    int rc = get_list(c, n, what, &items, &cnt);
    if (rc)
        return rc;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v = node_at(c, items[i]);
        const char *s;
        if ((rc = get_scalar(c, v, what, &s)))
            return rc;
        /* Parse the part inside a strategy whose other parts are fixed and valid. */
        char text[256];
        const char *fill[5] = {imp_norm_name(IMP_NORM_FILL), imp_gen_name(IMP_GEN_FILL),
                               imp_norm_name(IMP_NORM_FILL), imp_norm_name(IMP_NORM_FILL),
                               imp_agg_name(IMP_AGG_FILL)};
        fill[part] = s;
        snprintf(text, sizeof text, "%s/%s/%s/%s/%s", fill[0], fill[1], fill[2], fill[3], fill[4]);
        imp_strategy st;
        imp_err serr;
        imp_err_clear(&serr);
        if (strchr(s, '/') || imp_strategy_parse(text, &st, &serr))
            return fail_at(c, pos_of(v), "unknown strategy part %s '%s'%s%s", names[part], s,
                           serr.msg[0] ? ": " : "", serr.msg);
        char a[192], b[192];
        for (size_t q = 0; q < i; q++)
            if (strcmp(imp_strategy_format(&out[q], a, sizeof a),
                       imp_strategy_format(&st, b, sizeof b)) == 0)
                return fail_at(c, pos_of(v), "duplicate %s value '%s' in strategy_grid",
                               names[part], s);
        out[i] = st;
    }
    *cnt_out = cnt;
    return 0;
}

static int parse_one_grid(pctx *c, yaml_node_t *n, size_t *cap)
{
    static const char *const keys[] = {"pre", "gen", "post", "inf", "agg", NULL};
    yaml_node_t *v[5];
    imp_job_pos kp[5];
    int rc = get_keys(c, n, "strategy_grid", keys, v, kp);
    if (rc)
        return rc;
    imp_strategy *parts[5] = {NULL};
    size_t cnt[5] = {0};
    for (int p = 0; p < 5 && !rc; p++) {
        if (!v[p]) {
            rc = fail_at(c, pos_of(n), "strategy_grid: missing required key '%s'", keys[p]);
            break;
        }
        size_t len = v[p]->type == YAML_SEQUENCE_NODE
                         ? (size_t)(v[p]->data.sequence.items.top - v[p]->data.sequence.items.start)
                         : 1;
        if (!(parts[p] = calloc(len ? len : 1, sizeof *parts[p]))) {
            rc = nomem(c);
            break;
        }
        rc = grid_part(c, v[p], p, parts[p], &cnt[p]);
    }
    for (size_t a = 0; !rc && a < cnt[0]; a++)
        for (size_t b = 0; !rc && b < cnt[1]; b++)
            for (size_t d = 0; !rc && d < cnt[2]; d++)
                for (size_t e = 0; !rc && e < cnt[3]; e++)
                    for (size_t f = 0; !rc && f < cnt[4]; f++) {
                        imp_strategy s = parts[4][f]; /* carries agg, m, metric, weight */
                        s.pre = parts[0][a].pre;
                        s.gen = parts[1][b].gen;
                        s.post = parts[2][d].post;
                        s.inf = parts[3][e].inf;
                        if (!imp_strategy_norms_agree(&s))
                            continue; /* reference rule 10 */
                        rc = add_strategy(c, &s, pos_of(n), 0, cap);
                    }
    for (int p = 0; p < 5; p++)
        free(parts[p]);
    return rc;
}

static int parse_strategy_grid(pctx *c, yaml_node_t *n, size_t *cap)
{
    if (n->type == YAML_MAPPING_NODE)
        return parse_one_grid(c, n, cap);
    yaml_node_item_t *items;
    size_t cnt;
    int rc = get_list(c, n, "strategy_grid", &items, &cnt);
    for (size_t i = 0; !rc && i < cnt; i++)
        rc = parse_one_grid(c, node_at(c, items[i]), cap);
    return rc;
}

/* An INT axis of the table (ks, shots, seeds): its values, spelt and ranged by axis.h; n NULL
 * (the key absent) gives the table's default, placed at the job's root. */
static int parse_int_axis(pctx *c, yaml_node_t *n, yaml_node_t *root, int axis, int64_t **vals,
                          imp_job_pos **pos, size_t *count)
{
    const imp_axis_info *ai = imp_axis_info_of(axis);
    if (!n) {
        if (ai->dflt == IMP_AXIS_REQUIRED)
            return fail_at(c, pos_of(root), "missing required key '%s'", ai->key);
        if (!(*vals = malloc(sizeof **vals)) || !(*pos = malloc(sizeof **pos)))
            return nomem(c);
        (*vals)[0] = ai->dflt;
        (*pos)[0] = pos_of(root);
        *count = 1;
        return 0;
    }
    yaml_node_item_t *items;
    size_t cnt;
    int rc = get_list(c, n, ai->key, &items, &cnt);
    if (rc)
        return rc;
    if (!(*vals = calloc(cnt, sizeof **vals)) || !(*pos = calloc(cnt, sizeof **pos)))
        return nomem(c);
    *count = 0;
    char why[160], tb[32];
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *v = node_at(c, items[i]);
        int64_t x;
        if (v->type == YAML_SCALAR_NODE &&
            imp_axis_is_minus1(axis, (const char *)v->data.scalar.value)) {
            x = -1;
        } else {
            if ((rc = parse_i64(c, v, ai->name, &x)))
                return rc;
            if (imp_axis_check_int(axis, x, why, sizeof why))
                return fail_at(c, pos_of(v), "%s", why);
        }
        for (size_t q = 0; q < *count; q++)
            if ((*vals)[q] == x)
                return fail_at(c, pos_of(v), "duplicate %s %s (first at line %d)", ai->name,
                               imp_axis_int_text(axis, x, tb, sizeof tb), (*pos)[q].line);
        (*vals)[*count] = x;
        (*pos)[(*count)++] = pos_of(v);
    }
    return 0;
}

static int parse_lambda(pctx *c, yaml_node_t *n)
{
    imp_job *j = c->job;
    if (n->type != YAML_MAPPING_NODE)
        return fail_at(c, pos_of(n), "lambda: expected a mapping {model: value}, found %s",
                       kind_of(n));
    size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    if (!(j->lambda_model = calloc(cnt ? cnt : 1, sizeof *j->lambda_model)) ||
        !(j->lambda = calloc(cnt ? cnt : 1, sizeof *j->lambda)) ||
        !(j->lambda_pos = calloc(cnt ? cnt : 1, sizeof *j->lambda_pos)))
        return nomem(c);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
        const char *model, *val;
        int rc;
        if ((rc = get_scalar(c, k, "lambda key", &model)) ||
            (rc = get_scalar(c, v, "lambda value", &val)))
            return rc;
        size_t m = 0;
        while (m < j->n_models && strcmp(j->models[m], model) != 0)
            m++;
        if (m == j->n_models)
            return fail_at(c, pos_of(k), "lambda for '%s', which is not in models", model);
        for (size_t q = 0; q < j->n_lambda; q++)
            if (strcmp(j->lambda_model[q], model) == 0)
                return fail_at(c, pos_of(k), "duplicate lambda for '%s' (first at line %d)", model,
                               j->lambda_pos[q].line);
        char *end = NULL;
        errno = 0;
        double x = strtod(val, &end);
        if (!*val || *end || errno == ERANGE || !isfinite(x))
            return fail_at(c, pos_of(v), "lambda of '%s': expected a number, got '%s'", model, val);
        if (x <= 0)
            return fail_at(c, pos_of(v), "lambda of '%s' must be > 0, got %s", model, val);
        if (!(j->lambda_model[j->n_lambda] = strdup(model)))
            return nomem(c);
        j->lambda[j->n_lambda] = x;
        j->lambda_pos[j->n_lambda++] = pos_of(v);
    }
    return 0;
}

/* A strategy that can run at no (k, shot) of the job is a mistake worth stopping for; mean/ls
 * and all need the exact k they run at on the axis, so their cells have a place in the cube. */
static int check_strategies_run(pctx *c)
{
    imp_job *j = c->job;
    for (size_t s = 0; s < j->n_strategies; s++) {
        const imp_strategy *st = &j->strats[s];
        int64_t need = imp_gen_info_of(st->gen)->fixed_k;
        if (need) {
            size_t q = 0;
            while (q < j->n_ks && j->ks[q] != need)
                q++;
            if (q == j->n_ks)
                return fail_at(c, j->strategy_pos[s],
                               "strategy '%s' runs only at k = %lld, which ks lacks (add it)",
                               j->strategies[s], (long long)need);
        }
        const char *why = NULL;
        int ok = 0;
        for (size_t k = 0; k < j->n_ks && !ok; k++)
            for (size_t f = 0; f < j->n_shots && !ok; f++) {
                int64_t e;
                ok = imp_strategy_row(st, j->ks[k], j->shots[f], &e, &why);
            }
        if (!ok)
            return fail_at(c, j->strategy_pos[s],
                           "strategy '%s' runs at no k and shot of this job: %s", j->strategies[s],
                           why ? why : "n/a");
    }
    return 0;
}

static int parse_root(pctx *c, yaml_node_t *root, const char *base_dir)
{
    static const char *const keys[] = {"store",      "cube",          "models", "tasks",
                                       "strategies", "strategy_grid", "ks",     "shots",
                                       "seeds",      "lambda",        NULL};
    enum { K_STORE, K_CUBE, K_MODELS, K_TASKS, K_STRATS, K_GRID, K_KS, K_SHOTS, K_SEEDS, K_LAMBDA };
    yaml_node_t *v[10];
    imp_job_pos kp[10];
    imp_job *j = c->job;
    int rc = get_keys(c, root, "the job", keys, v, kp);
    if (rc)
        return rc;
    static const int required[] = {K_STORE, K_CUBE, K_MODELS, K_TASKS, K_KS, K_SEEDS};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!v[required[i]])
            return fail_at(c, pos_of(root), "missing required key '%s'", keys[required[i]]);
    if (!v[K_STRATS] && !v[K_GRID])
        return fail_at(c, pos_of(root), "missing required key 'strategies' (or 'strategy_grid')");
    if ((rc = parse_path(c, v[K_STORE], "store", &j->store, &j->store_pos)) ||
        (rc = parse_path(c, v[K_CUBE], "cube", &j->cube, &j->cube_pos)))
        return rc;
    if (!(j->store_path = join_path(base_dir, j->store)) ||
        !(j->cube_path = join_path(base_dir, j->cube)))
        return nomem(c);
    if ((rc = parse_models(c, v[K_MODELS])) || (rc = parse_tasks(c, v[K_TASKS])))
        return rc;
    size_t cap = 0;
    if (v[K_STRATS] && (rc = parse_strategies(c, v[K_STRATS], &cap)))
        return rc;
    if (v[K_GRID] && (rc = parse_strategy_grid(c, v[K_GRID], &cap)))
        return rc;
    if (j->n_strategies == 0)
        return fail_at(c, pos_of(v[K_GRID]),
                       "empty axis 'strategies': the strategy_grid leaves "
                       "no strategy after dropping NORMpre != NORMinf");
    if ((rc = parse_int_axis(c, v[K_KS], root, IMP_AX_K, &j->ks, &j->k_pos, &j->n_ks)) ||
        (rc = parse_int_axis(c, v[K_SHOTS], root, IMP_AX_SHOT, &j->shots, &j->shot_pos,
                             &j->n_shots)) ||
        (rc = parse_int_axis(c, v[K_SEEDS], root, IMP_AX_SEED, &j->seeds, &j->seed_pos,
                             &j->n_seeds)))
        return rc;
    if (v[K_LAMBDA] && (rc = parse_lambda(c, v[K_LAMBDA])))
        return rc;
    return check_strategies_run(c);
}

int imp_job_parse(const char *text, size_t len, const char *name, const char *base_dir,
                  imp_job **out, imp_err *err)
{
    *out = NULL;
    imp_job *j = calloc(1, sizeof *j);
    if (!j || !(j->name = strdup(name ? name : "(job)")) || !(j->text = malloc(len + 1))) {
        imp_job_free(j);
        return imp_err_set(err, IMP_ENOMEM, "%s: out of memory", name ? name : "(job)");
    }
    memcpy(j->text, text, len);
    j->text[len] = '\0';

    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        imp_job_free(j);
        return imp_err_set(err, IMP_ENOMEM, "%s: cannot initialise libyaml", j->name);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)j->text, len);
    pctx c = {j->name, &doc, err, j};
    int rc = 0;
    if (!yaml_parser_load(&parser, &doc)) {
        imp_job_pos p = {(int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1};
        /* libyaml's text for a tab ("found character that cannot start any token") hides the
         * commonest cause; name it */
        size_t at = parser.problem_mark.index;
        const char *tab = at < len && j->text[at] == '\t'
                              ? " (a tab: YAML indents with spaces only)" : "";
        if (parser.context)
            rc = fail_at(&c, p, "malformed YAML: %s %s started at line %d%s",
                         parser.problem ? parser.problem : "error", parser.context,
                         (int)parser.context_mark.line + 1, tab);
        else
            rc = fail_at(&c, p, "malformed YAML: %s%s", parser.problem ? parser.problem : "error",
                         tab);
        yaml_parser_delete(&parser);
        imp_job_free(j);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        imp_job_pos p = {1, 1};
        rc = fail_at(&c, p, "the job file is empty");
    } else {
        rc = parse_root(&c, root, base_dir);
    }
    if (!rc) {
        /* A second document would be silently ignored; refuse it. */
        yaml_document_t doc2;
        if (!yaml_parser_load(&parser, &doc2)) {
            imp_job_pos p = {(int)parser.problem_mark.line + 1,
                             (int)parser.problem_mark.column + 1};
            rc = fail_at(&c, p, "malformed YAML: %s", parser.problem ? parser.problem : "error");
        } else {
            yaml_node_t *r2 = yaml_document_get_root_node(&doc2);
            if (r2)
                rc = fail_at(&c, pos_of(r2), "a job file holds one YAML document, found another");
            yaml_document_delete(&doc2);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc) {
        imp_job_free(j);
        return rc;
    }
    *out = j;
    return 0;
}

int imp_job_load(const char *path, imp_job **out, imp_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return imp_err_set(err, errno == EACCES || errno == EIO ? IMP_EIO : IMP_EINPUT, "%s: cannot open the job file: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        char *nb = realloc(buf, cap *= 2);
        if (!nb) {
            free(buf);
            buf = NULL;
        } else
            buf = nb;
    }
    int rd_err = ferror(f);
    fclose(f);
    if (!buf)
        return imp_err_set(err, IMP_ENOMEM, "%s: out of memory reading the job file", path);
    if (rd_err) {
        free(buf);
        return imp_err_set(err, IMP_EIO, "%s: cannot read the job file", path);
    }
    char *dir = NULL;
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t n = (size_t)(slash - path);
        if (!(dir = malloc(n + 2))) {
            free(buf);
            return imp_err_set(err, IMP_ENOMEM, "%s: out of memory", path);
        }
        if (n == 0)
            n = 1; /* "/job.yaml" → "/" */
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int rc = imp_job_parse(buf, len, path, dir, out, err);
    free(dir);
    free(buf);
    return rc;
}

/* ---- queries --------------------------------------------------------------------------- */

int imp_job_lambda(const imp_job *job, const char *model, double *out)
{
    for (size_t i = 0; i < job->n_lambda; i++)
        if (strcmp(job->lambda_model[i], model) == 0) {
            *out = job->lambda[i];
            return 1;
        }
    return 0;
}

int imp_job_axes(const imp_job *job, imp_axes *view, imp_err *err)
{
    memset(view, 0, sizeof *view);
    char **names = calloc(job->n_tasks ? job->n_tasks : 1, sizeof *names);
    if (!names)
        return imp_err_set(err, IMP_ENOMEM, "%s: out of memory", job->name);
    for (size_t t = 0; t < job->n_tasks; t++)
        names[t] = job->tasks[t].name;
    view->n_model = job->n_models, view->model = job->models;
    view->n_task = job->n_tasks, view->task = names;
    view->n_strategy = job->n_strategies, view->strategy = job->strategies;
    view->n_k = job->n_ks, view->k = job->ks;
    view->n_shot = job->n_shots, view->shot = job->shots;
    view->n_seed = job->n_seeds, view->seed = job->seeds;
    return 0;
}

int imp_job_task_index(const imp_job *job, const char *name)
{
    for (size_t i = 0; i < job->n_tasks; i++)
        if (strcmp(job->tasks[i].name, name) == 0)
            return (int)i;
    return -1;
}

int imp_task_class_index(const imp_task *t, size_t dataset_index, int32_t raw_label)
{
    int64_t lab = (int64_t)raw_label + (int64_t)IMP_TASK_LABEL_OFFSET * (int64_t)dataset_index;
    if (t->n_remap) {
        size_t q = 0;
        while (q < t->n_remap && t->remap_from[q] != lab)
            q++;
        if (q == t->n_remap)
            return -1;
        lab = t->remap_to[q];
    }
    for (size_t i = 0; i < t->n_classes; i++)
        if (t->classes[i] == lab)
            return (int)i;
    return -1;
}

/* ---- store check ----------------------------------------------------------------------- */

static int store_fail(const imp_job *j, imp_err *err, imp_job_pos p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int store_fail(const imp_job *j, imp_err *err, imp_job_pos p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(err, j->name, p, fmt, ap);
    va_end(ap);
    return rc;
}

static int has_label(const int32_t *labs, size_t n, int32_t x)
{
    return bsearch(&x, labs, n, sizeof *labs, cmp_i32) != NULL;
}

/* The sorted distinct (offset) labels of task t for one model, or an error naming the line. */
static int task_labels(const imp_job *j, const imp_task *t, const char *model,
                       const imp_store_view *sv, int32_t **out, size_t *nout, imp_err *err)
{
    *out = NULL;
    *nout = 0;
    int32_t *all = NULL;
    size_t n_all = 0;
    for (size_t d = 0; d < t->n_datasets; d++) {
        int32_t *labs = NULL;
        size_t n = 0;
        int rc = sv->labels(sv->ctx, model, t->datasets[d], &labs, &n, err);
        if (rc == IMP_ENOTFOUND) {
            free(all);
            return store_fail(j, err, t->dataset_pos[d],
                              "dataset '%s' of task '%s' is not in the store %s for model '%s'",
                              t->datasets[d], t->name, j->store_path, model);
        }
        if (rc) {
            free(all);
            return imp_err_prefix(
                err, "%s: line %d, column %d: task '%s', dataset '%s', model '%s'", j->name,
                t->dataset_pos[d].line, t->dataset_pos[d].col, t->name, t->datasets[d], model);
        }
        if (t->n_datasets > 1)
            for (size_t i = 0; i < n; i++)
                if (labs[i] < 0 || labs[i] >= IMP_TASK_LABEL_OFFSET) {
                    int bad = labs[i];
                    free(labs);
                    free(all);
                    return store_fail(j, err, t->dataset_pos[d],
                                      "dataset '%s' of task '%s' has label %d; concatenated "
                                      "datasets need labels 0..%d (dataset i is offset by %d*i)",
                                      t->datasets[d], t->name, bad, IMP_TASK_LABEL_OFFSET - 1,
                                      IMP_TASK_LABEL_OFFSET);
                }
        int32_t *grown = realloc(all, (n_all + n + 1) * sizeof *all);
        if (!grown) {
            free(labs);
            free(all);
            return imp_err_set(err, IMP_ENOMEM, "%s: out of memory", j->name);
        }
        all = grown;
        for (size_t i = 0; i < n; i++)
            all[n_all++] = labs[i] + (int32_t)(IMP_TASK_LABEL_OFFSET * d);
        free(labs);
    }
    qsort(all, n_all, sizeof *all, cmp_i32);
    size_t nd = 0;
    for (size_t i = 0; i < n_all; i++)
        if (nd == 0 || all[i] != all[nd - 1])
            all[nd++] = all[i];
    *out = all;
    *nout = nd;
    return 0;
}

int imp_job_check_store(imp_job *job, const imp_store_view *sv, imp_err *err)
{
    for (size_t m = 0; m < job->n_models; m++) {
        int rc = sv->has_model(sv->ctx, job->models[m], err);
        if (rc < 0)
            return imp_err_prefix(err, "%s: line %d, column %d: model '%s'", job->name,
                                  job->model_pos[m].line, job->model_pos[m].col, job->models[m]);
        if (rc == 0)
            return store_fail(job, err, job->model_pos[m], "model '%s' is not in the store %s",
                              job->models[m], job->store_path);
    }
    for (size_t ti = 0; ti < job->n_tasks; ti++) {
        imp_task *t = &job->tasks[ti];
        for (size_t m = 0; m < job->n_models; m++) {
            int32_t *labs;
            size_t n;
            int rc = task_labels(job, t, job->models[m], sv, &labs, &n, err);
            if (rc)
                return rc;
            if (t->n_remap) {
                for (size_t q = 0; q < t->n_remap; q++)
                    if (!has_label(labs, n, t->remap_from[q])) {
                        free(labs);
                        return store_fail(job, err, t->remap_pos[q],
                                          "task '%s': remap key %d is no label of its data "
                                          "(model '%s')",
                                          t->name, (int)t->remap_from[q], job->models[m]);
                    }
            } else if (t->classes_all && t->n_classes == 0) {
                if (n < 2) {
                    free(labs);
                    return store_fail(
                        job, err, t->classes_pos,
                        "task '%s' has fewer than 2 classes in the store (model '%s')", t->name,
                        job->models[m]);
                }
                t->classes = labs;
                t->n_classes = n;
                if (!(t->class_pos = malloc(n * sizeof *t->class_pos)))
                    return imp_err_set(err, IMP_ENOMEM, "%s: out of memory", job->name);
                for (size_t i = 0; i < n; i++)
                    t->class_pos[i] = t->classes_pos;
                continue; /* labs now owned by the task */
            } else {
                for (size_t i = 0; i < t->n_classes; i++)
                    if (!has_label(labs, n, t->classes[i])) {
                        free(labs);
                        return store_fail(job, err, t->class_pos[i],
                                          "task '%s': class %d is not present in %s '%s' "
                                          "(model '%s')",
                                          t->name, (int)t->classes[i],
                                          t->n_datasets > 1 ? "datasets" : "dataset",
                                          t->datasets[0], job->models[m]);
                    }
            }
            free(labs);
        }
    }
    return 0;
}
