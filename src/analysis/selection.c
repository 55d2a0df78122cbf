/* selection.c — which part of a cube to analyse: the values a matrix can hold, the --where
 * language over axes and strategy components, the competitor lists and the paper's names. */
#include "selection.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/named.h"
#include "imprint/strategy.h"
#include "imprint/words.h"

/* ---- Values ---- */

/* The rows of IMP_VALUE_MAP, by value. */
static const struct value_info {
    const char *name, *header, *tex_header, *label;
    int higher_better;
} value_info[IMP_VALUE__COUNT] = {
#define VALUE_INFO(id, name, header, tex, label, higher, array)                                \
    [IMP_VALUE_##id] = {name, header, tex, label, higher},
    IMP_VALUE_MAP(VALUE_INFO)
#undef VALUE_INFO
};

const char *imp_analyze_value_label(imp_analyze_value v)
{
    return v < IMP_VALUE__COUNT ? value_info[v].label : "?";
}

const char *imp_analyze_value_name(imp_analyze_value v)
{
    return v < IMP_VALUE__COUNT ? value_info[v].name : "?";
}

const char *imp_analyze_value_header(imp_analyze_value v, int tex)
{
    const struct value_info *vi = &value_info[v < IMP_VALUE__COUNT ? v : 0];
    return tex ? vi->tex_header : vi->header;
}

int imp_analyze_value_from_name(const char *name)
{
    for (int v = 0; v < IMP_VALUE__COUNT; v++)
        if (strcmp(name, value_info[v].name) == 0)
            return v;
    return -1;
}

const char *imp_analyze_value_names(char *buf, size_t n, int scores_only, const char *sep)
{
    const char *w[IMP_VALUE__COUNT];
    size_t nw = 0;
    for (int v = 0; v < IMP_VALUE__COUNT; v++)
        if (!scores_only || value_info[v].higher_better)
            w[nw++] = value_info[v].name;
    return imp_words_join_all(buf, n, w, nw, sep);
}

int imp_analyze_value_higher_better(imp_analyze_value v)
{
    return v < IMP_VALUE__COUNT && value_info[v].higher_better;
}

const float *imp_analyze_values(const imp_cube *cube, imp_analyze_value v)
{
    switch (v) {
#define VALUE_ARRAY(id, name, header, tex, label, higher, array)                               \
    case IMP_VALUE_##id: return cube->array;
        IMP_VALUE_MAP(VALUE_ARRAY)
#undef VALUE_ARRAY
    case IMP_VALUE__COUNT: break;
    }
    return cube->accuracy;
}

/* ---- Selection ---- */

int imp_analyze_sel_init(imp_analyze_sel *sel, const imp_axes *axes, imp_err *err)
{
    memset(sel, 0, sizeof *sel);
    /* The rank analysis knows six axes: voters (model, task), competitors (strategy, k, shot)
     * and seeds. A later axis of the table is read at its first value; with several values it
     * would silently drop the others, so such a cube is refused until analysis names it. */
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        if (ax != IMP_AX_MODEL && ax != IMP_AX_TASK && ax != IMP_AX_STRATEGY && ax != IMP_AX_K &&
            ax != IMP_AX_SHOT && ax != IMP_AX_SEED && imp_axis_len(axes, ax) > 1)
            return imp_err_set(err, IMP_EINPUT, "analyze: the cube's axis %s has %zu values; "
                               "the rank analysis compares strategies, k and shots only",
                               imp_axis_name(ax), imp_axis_len(axes, ax));
    for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
        size_t n = imp_axis_len(axes, ax);
        sel->keep[ax] = malloc(n ? n : 1);
        if (!sel->keep[ax])
            goto nomem;
        memset(sel->keep[ax], 1, n);
    }
    sel->n_col = axes->n_strategy * axes->n_k * axes->n_shot;
    sel->col = malloc(sel->n_col ? sel->n_col : 1);
    if (!sel->col)
        goto nomem;
    memset(sel->col, 1, sel->n_col);
    return 0;
nomem:
    imp_analyze_sel_free(sel);
    return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the selection");
}

void imp_analyze_sel_free(imp_analyze_sel *sel)
{
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        free(sel->keep[ax]);
    free(sel->col);
    memset(sel, 0, sizeof *sel);
}

static int is_int_axis(int ax) { return imp_axis_info_of(ax)->kind == IMP_AXK_INT; }

/* Parse a whole int64 (also the axis's text for -1, "all" for shot); returns 0 or -1. */
static int parse_axis_int(int ax, const char *s, int64_t *v)
{
    if (imp_axis_is_minus1(ax, s)) {
        *v = -1;
        return 0;
    }
    if (!*s)
        return -1;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (*end)
        return -1;
    *v = (int64_t)x;
    return 0;
}

/* Does text v name value i of axis ax? */
static int axis_matches(const imp_axes *a, int ax, size_t i, const char *v)
{
    char b1[128];
    if (is_int_axis(ax)) {
        int64_t x;
        /* imp_axis_int, not the array: an absent axis (no array) has its default as value 0 */
        return parse_axis_int(ax, v, &x) == 0 && imp_axis_int(a, ax, i) == x;
    }
    return strcmp(imp_axis_value(a, ax, i, b1, sizeof b1), v) == 0;
}

/* Append ", item" (or item first) to the list text in buf[n] of length *used; near the end
 * of buf it writes ", …" instead and returns -1 (stop). */
static int list_text_add(char *buf, size_t n, size_t *used, const char *item)
{
    int w = snprintf(buf + *used, n - *used, "%s%s", *used ? ", " : "", item);
    if (w < 0 || *used + (size_t)w + 8 >= n) {
        snprintf(buf + *used, n - *used, ", …");
        return -1;
    }
    *used += (size_t)w;
    return 0;
}

/* "a, b, c": the values of an axis into buf, cut after a few hundred characters. */
static const char *axis_values_text(const imp_axes *a, int ax, char *buf, size_t n)
{
    size_t len = imp_axis_len(a, ax), used = 0;
    char vb[64];
    buf[0] = '\0';
    for (size_t i = 0; i < len; i++)
        if (list_text_add(buf, n, &used, imp_axis_value(a, ax, i, vb, sizeof vb)))
            break;
    return buf;
}

/* Mark in hit[] the values of axis ax matching v; returns how many matched. */
static size_t match_values(const imp_axes *a, int ax, const char *v, unsigned char *hit)
{
    size_t n = 0, len = imp_axis_len(a, ax);
    for (size_t i = 0; i < len; i++)
        if (axis_matches(a, ax, i, v)) {
            hit[i] = 1;
            n++;
        }
    return n;
}

/* ---- Strategy components ---- */

static const char *const comp_names[IMP_COMP__COUNT] = {"pre", "gen",    "post", "inf",
                                                        "agg", "metric", "m",    "weight"};

int imp_analyze_component_from_name(const char *name, size_t len)
{
    for (int c = 0; c < IMP_COMP__COUNT; c++)
        if (strlen(comp_names[c]) == len && strncmp(name, comp_names[c], len) == 0)
            return c;
    return -1;
}

const char *imp_analyze_component_name(int comp)
{
    return comp >= 0 && comp < IMP_COMP__COUNT ? comp_names[comp] : "?";
}

const char *imp_analyze_component_names(char *buf, size_t n, const char *sep)
{
    return imp_words_join_all(buf, n, comp_names, IMP_COMP__COUNT, sep);
}

const char *imp_analyze_component(const char *strategy, int comp, char *buf, size_t n)
{
    imp_strategy st;
    if (imp_strategy_parse(strategy, &st, NULL) != 0)
        return NULL;
    buf[0] = '\0';
    switch (comp) {
    case IMP_COMP_PRE: snprintf(buf, n, "%s", imp_norm_name(st.pre)); break;
    case IMP_COMP_GEN: snprintf(buf, n, "%s", imp_gen_name(st.gen)); break;
    case IMP_COMP_POST: snprintf(buf, n, "%s", imp_norm_name(st.post)); break;
    case IMP_COMP_INF: snprintf(buf, n, "%s", imp_norm_name(st.inf)); break;
    case IMP_COMP_AGG: snprintf(buf, n, "%s", imp_agg_name(st.agg)); break;
    case IMP_COMP_METRIC: snprintf(buf, n, "%s", imp_metric_name(imp_strategy_metric(&st))); break;
    case IMP_COMP_M:
        /* the table's m is 0 for max (no neighbours: empty); for nn and mnn parse put the
         * number in st.m (nn: the table's 1, mnn: the text's M) */
        if (imp_agg_info_of(st.agg)->m)
            snprintf(buf, n, "%d", st.m);
        break;
    case IMP_COMP_WEIGHT:
        if (imp_agg_info_of(st.agg)->weighted)
            snprintf(buf, n, "%s", imp_weight_name(st.weight));
        break;
    default: return NULL;
    }
    return buf;
}

/* Mark in hit[] the strategies whose component comp is v; returns how many. */
static size_t match_component(const imp_axes *a, int comp, const char *v, unsigned char *hit)
{
    size_t n = 0;
    char b[64];
    for (size_t s = 0; s < a->n_strategy; s++) {
        const char *t = imp_analyze_component(a->strategy[s], comp, b, sizeof b);
        if (t && strcmp(t, v) == 0)
            hit[s] = 1, n++;
    }
    return n;
}

/* "a, b": the values of a component over the cube's strategies, each once. */
static const char *component_values_text(const imp_axes *a, int comp, char *buf, size_t n)
{
    size_t used = 0;
    char b[64];
    buf[0] = '\0';
    for (size_t s = 0; s < a->n_strategy; s++) {
        const char *t = imp_analyze_component(a->strategy[s], comp, b, sizeof b);
        if (!t || !*t)
            continue;
        int seen = 0;
        char c[64];
        for (size_t r = 0; r < s && !seen; r++) {
            const char *u = imp_analyze_component(a->strategy[r], comp, c, sizeof c);
            seen = u && strcmp(u, t) == 0;
        }
        if (!seen && list_text_add(buf, n, &used, t))
            break;
    }
    return buf;
}

/* One key of a --where: an axis (kind 0) or a component (kind 1), with the values hit. */
typedef struct where_key {
    int kind, id;
    unsigned char *hit;
} where_key;

/* Intersect sel with the values a key has collected. */
static void where_apply(imp_analyze_sel *sel, const imp_axes *a, const where_key *k)
{
    int ax = k->kind ? IMP_AX_STRATEGY : k->id;
    size_t len = imp_axis_len(a, ax);
    for (size_t i = 0; i < len; i++)
        sel->keep[ax][i] &= k->hit[i];
}

int imp_analyze_where(imp_analyze_sel *sel, const imp_axes *axes, const char *expr,
                      imp_err *err)
{
    const char *eq = strchr(expr, '=');
    if (!eq || eq == expr)
        return imp_err_set(err, IMP_EUSAGE, "--where '%s': expected KEY=V1,V2,… (KEY an axis or "
                           "a strategy component)", expr);
    size_t maxlen = axes->n_strategy;
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        if (imp_axis_len(axes, ax) > maxlen)
            maxlen = imp_axis_len(axes, ax);
    where_key key = {-1, -1, calloc(maxlen ? maxlen : 1, 1)};
    char *copy = strdup(expr);
    int rc = 0;
    if (!key.hit || !copy) {
        rc = imp_err_set(err, IMP_ENOMEM, "--where: out of memory");
        goto out;
    }
    char *save = NULL;
    size_t nv = 0; /* values of the current key */
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        char *v = it, *e = strchr(it, '=');
        if (e) {
            if (key.kind >= 0) {
                if (!nv) {
                    rc = imp_err_set(err, IMP_EUSAGE, "--where '%s': no value given", expr);
                    goto out;
                }
                where_apply(sel, axes, &key);
            }
            key.kind = -1;
            for (int ax = 0; ax < IMP_AX__COUNT; ax++)
                if (strlen(imp_axis_name(ax)) == (size_t)(e - it) &&
                    strncmp(it, imp_axis_name(ax), (size_t)(e - it)) == 0)
                    key.kind = 0, key.id = ax;
            int c = imp_analyze_component_from_name(it, (size_t)(e - it));
            if (key.kind < 0 && c >= 0)
                key.kind = 1, key.id = c;
            if (key.kind < 0) {
                rc = imp_err_set(err, IMP_EUSAGE, "--where '%s': unknown axis or component '%.*s' "
                                 "(axes: model, task, strategy, k, shot, seed; components: pre, "
                                 "gen, post, inf, agg, metric, m, weight)", expr, (int)(e - it),
                                 it);
                goto out;
            }
            memset(key.hit, 0, maxlen ? maxlen : 1);
            nv = 0;
            v = e + 1;
        }
        if (key.kind < 0) {
            rc = imp_err_set(err, IMP_EUSAGE, "--where '%s': expected KEY=V1,V2,… before '%s'",
                             expr, it);
            goto out;
        }
        if (!*v)
            continue;
        nv++;
        char list[400];
        if (key.kind == 0 && match_values(axes, key.id, v, key.hit) == 0) {
            rc = imp_err_set(err, IMP_EUSAGE, "--where %s=%s: the cube has no such %s (values: %s)",
                             imp_axis_name(key.id), v, imp_axis_name(key.id),
                             axis_values_text(axes, key.id, list, sizeof list));
            goto out;
        }
        if (key.kind == 1 && match_component(axes, key.id, v, key.hit) == 0) {
            rc = imp_err_set(err, IMP_EUSAGE, "--where %s=%s: no strategy of the cube has %s %s "
                             "(values: %s)", comp_names[key.id], v, comp_names[key.id], v,
                             component_values_text(axes, key.id, list, sizeof list));
            goto out;
        }
    }
    if (!nv) {
        rc = imp_err_set(err, IMP_EUSAGE, "--where '%s': no value given", expr);
        goto out;
    }
    where_apply(sel, axes, &key);
out:
    free(key.hit);
    free(copy);
    return rc;
}

const char *imp_analyze_paper_name(const char *strategy, int64_t *k)
{
    size_t n;
    const imp_named_strategy *named = imp_named_strategies(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(strategy, named[i].strategy) == 0) {
            if (k)
                *k = named[i].k;
            return named[i].name;
        }
    return NULL;
}

int imp_analyze_match_item(const imp_axes *a, char *item, unsigned char *hit, imp_err *err)
{
    char *save = NULL, *tok = strtok_r(item, "@ ", &save);
    if (!tok)
        return imp_err_set(err, IMP_EUSAGE, "--competitors: empty item");
    char text[512];
    snprintf(text, sizeof text, "%s", tok);
    const char *str = tok, *kv = NULL, *shotv = NULL;
    char kbuf[32];
    char *def = strchr(tok, '='); /* NAME=STR: a definition; the name is imp_analyze_names' */
    const imp_named_strategy *named = def ? NULL : imp_named_strategy_find(tok);
    if (def)
        str = def + 1;
    if (named) {
        str = named->strategy;
        if (named->k) {
            snprintf(kbuf, sizeof kbuf, "%lld", (long long)named->k);
            kv = kbuf;
        }
    }
    for (tok = strtok_r(NULL, "@ ", &save); tok; tok = strtok_r(NULL, "@ ", &save)) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "@%s", tok);
        if (strncmp(tok, "k=", 2) == 0)
            kv = tok + 2;
        else if (strncmp(tok, "shot=", 5) == 0)
            shotv = tok + 5;
        else
            return imp_err_set(err, IMP_EUSAGE,
                               "--competitors '%s': '%s' is neither k=K nor shot=S", text, tok);
    }
    unsigned char *hs = calloc(a->n_strategy, 1), *hk = calloc(a->n_k, 1),
                  *hh = calloc(a->n_shot, 1);
    int rc = 0;
    if (!hs || !hk || !hh) {
        rc = imp_err_set(err, IMP_ENOMEM, "--competitors: out of memory");
        goto out;
    }
    char list[400];
    if (!match_values(a, IMP_AX_STRATEGY, str, hs)) {
        rc = imp_err_set(err, IMP_EUSAGE, "--competitors '%s': the cube has no strategy %s "
                         "(strategies: %s)", text, str,
                         axis_values_text(a, IMP_AX_STRATEGY, list, sizeof list));
        goto out;
    }
    if (kv ? !match_values(a, IMP_AX_K, kv, hk) : (memset(hk, 1, a->n_k), 0)) {
        rc = imp_err_set(err, IMP_EUSAGE, "--competitors '%s': the cube has no k = %s (k: %s)",
                         text, kv, axis_values_text(a, IMP_AX_K, list, sizeof list));
        goto out;
    }
    if (shotv ? !match_values(a, IMP_AX_SHOT, shotv, hh) : (memset(hh, 1, a->n_shot), 0)) {
        rc = imp_err_set(err, IMP_EUSAGE,
                         "--competitors '%s': the cube has no shot = %s (shot: %s)", text,
                         shotv, axis_values_text(a, IMP_AX_SHOT, list, sizeof list));
        goto out;
    }
    for (size_t s = 0; s < a->n_strategy; s++)
        for (size_t k = 0; k < a->n_k; k++)
            for (size_t h = 0; h < a->n_shot; h++)
                if (hs[s] && hk[k] && hh[h])
                    hit[(s * a->n_k + k) * a->n_shot + h] = 1;
out:
    free(hs);
    free(hk);
    free(hh);
    return rc;
}

int imp_analyze_competitors(imp_analyze_sel *sel, const imp_axes *axes, const char *list,
                            imp_err *err)
{
    unsigned char *hit = calloc(sel->n_col ? sel->n_col : 1, 1);
    char *copy = strdup(list);
    int rc = 0;
    if (!hit || !copy) {
        rc = imp_err_set(err, IMP_ENOMEM, "--competitors: out of memory");
        goto out;
    }
    char *save = NULL;
    size_t items = 0;
    for (char *it = strtok_r(copy, ",", &save); it; it = strtok_r(NULL, ",", &save), items++)
        if ((rc = imp_analyze_match_item(axes, it, hit, err)))
            goto out;
    if (!items) {
        rc = imp_err_set(err, IMP_EUSAGE, "--competitors: empty list");
        goto out;
    }
    for (size_t c = 0; c < sel->n_col; c++)
        sel->col[c] &= hit[c];
out:
    free(hit);
    free(copy);
    return rc;
}

/* ---- Export ---- */

/* The component texts of every strategy, for the export's columns: [strategy][component]. */
typedef char comp_text[IMP_COMP__COUNT][32];

static void export_fields(FILE *out, size_t s, void *ctx)
{
    const comp_text *t = ctx;
    for (int c = 0; c < IMP_COMP__COUNT; c++) {
        putc(',', out);
        imp_csv_field(out, t[s][c]);
    }
}

int imp_analyze_export_csv(const imp_cube *cube, FILE *out, int valid_only, imp_err *err)
{
    const imp_axes *a = &cube->axes;
    comp_text *t = calloc(a->n_strategy ? a->n_strategy : 1, sizeof *t);
    if (!t)
        return imp_err_set(err, IMP_ENOMEM, "export: out of memory");
    for (size_t s = 0; s < a->n_strategy; s++)
        for (int c = 0; c < IMP_COMP__COUNT; c++)
            imp_analyze_component(a->strategy[s], c, t[s][c], sizeof t[s][c]);
    char header[128] = ","; /* the component names after the strategy column */
    imp_analyze_component_names(header + 1, sizeof header - 1, ",");
    imp_cube_csv_opts o = {valid_only, header, export_fields, t};
    int rc = imp_cube_export_csv_opts(cube, out, &o, err);
    free(t);
    return rc;
}
