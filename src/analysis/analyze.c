/* analyze.c — cube slice → competitors × voters matrix → CD statistics → reports. */
#include "analyze.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/named.h"
#include "imprint/strategy.h"

/* ---- Selection ---- */

int imp_analyze_sel_init(imp_analyze_sel *sel, const imp_cube_axes *axes, imp_err *err)
{
    memset(sel, 0, sizeof *sel);
    for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
        size_t n = imp_cube_axis_len(axes, ax);
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

static const int64_t *int_axis(const imp_cube_axes *a, int ax) { return imp_axis_ints(a, ax); }

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
static int axis_matches(const imp_cube_axes *a, int ax, size_t i, const char *v)
{
    char b1[128];
    if (is_int_axis(ax)) {
        int64_t x;
        return parse_axis_int(ax, v, &x) == 0 && int_axis(a, ax)[i] == x;
    }
    return strcmp(imp_cube_axis_value(a, ax, i, b1, sizeof b1), v) == 0;
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
static const char *axis_values_text(const imp_cube_axes *a, int ax, char *buf, size_t n)
{
    size_t len = imp_cube_axis_len(a, ax), used = 0;
    char vb[64];
    buf[0] = '\0';
    for (size_t i = 0; i < len; i++)
        if (list_text_add(buf, n, &used, imp_cube_axis_value(a, ax, i, vb, sizeof vb)))
            break;
    return buf;
}

/* Mark in hit[] the values of axis ax matching v; returns how many matched. */
static size_t match_values(const imp_cube_axes *a, int ax, const char *v, unsigned char *hit)
{
    size_t n = 0, len = imp_cube_axis_len(a, ax);
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

const char *imp_analyze_component_name(int comp)
{
    return comp >= 0 && comp < IMP_COMP__COUNT ? comp_names[comp] : "?";
}

int imp_analyze_component_from_name(const char *name, size_t len)
{
    for (int c = 0; c < IMP_COMP__COUNT; c++)
        if (strlen(comp_names[c]) == len && strncmp(name, comp_names[c], len) == 0)
            return c;
    return -1;
}

const char *imp_analyze_component(const char *strategy, int comp, char *buf, size_t n)
{
    imp_strategy st;
    if (imp_strategy_parse(strategy, &st, NULL) != 0)
        return NULL;
    static const char *const agg_names[] = {"max", "nn", "mnn"};
    buf[0] = '\0';
    switch (comp) {
    case IMP_COMP_PRE: snprintf(buf, n, "%s", imp_norm_name(st.pre)); break;
    case IMP_COMP_GEN: snprintf(buf, n, "%s", imp_gen_name(st.gen)); break;
    case IMP_COMP_POST: snprintf(buf, n, "%s", imp_norm_name(st.post)); break;
    case IMP_COMP_INF: snprintf(buf, n, "%s", imp_norm_name(st.inf)); break;
    case IMP_COMP_AGG: snprintf(buf, n, "%s", agg_names[st.agg]); break;
    case IMP_COMP_METRIC: snprintf(buf, n, "%s", imp_metric_name(st.metric)); break;
    case IMP_COMP_M:
        if (st.agg != IMP_AGG_MAX)
            snprintf(buf, n, "%d", st.agg == IMP_AGG_NN ? 1 : st.m);
        break;
    case IMP_COMP_WEIGHT:
        if (st.agg == IMP_AGG_MNN)
            snprintf(buf, n, "%s", st.weight == IMP_WEIGHT_DISTANCE ? "distance" : "uniform");
        break;
    default: return NULL;
    }
    return buf;
}

/* Mark in hit[] the strategies whose component comp is v; returns how many. */
static size_t match_component(const imp_cube_axes *a, int comp, const char *v, unsigned char *hit)
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
static const char *component_values_text(const imp_cube_axes *a, int comp, char *buf, size_t n)
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
static void where_apply(imp_analyze_sel *sel, const imp_cube_axes *a, const where_key *k)
{
    int ax = k->kind ? IMP_AX_STRATEGY : k->id;
    size_t len = imp_cube_axis_len(a, ax);
    for (size_t i = 0; i < len; i++)
        sel->keep[ax][i] &= k->hit[i];
}

int imp_analyze_where(imp_analyze_sel *sel, const imp_cube_axes *axes, const char *expr,
                      imp_err *err)
{
    const char *eq = strchr(expr, '=');
    if (!eq || eq == expr)
        return imp_err_set(err, IMP_EUSAGE, "--where '%s': expected KEY=V1,V2,… (KEY an axis or "
                           "a strategy component)", expr);
    size_t maxlen = axes->n_strategy;
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        if (imp_cube_axis_len(axes, ax) > maxlen)
            maxlen = imp_cube_axis_len(axes, ax);
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
                if (strlen(imp_cube_axis_name(ax)) == (size_t)(e - it) &&
                    strncmp(it, imp_cube_axis_name(ax), (size_t)(e - it)) == 0)
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
                             imp_cube_axis_name(key.id), v, imp_cube_axis_name(key.id),
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

/* Mark the columns one competitor item matches in hit[]; IMP_EUSAGE if none. */
static int match_item(const imp_cube_axes *a, char *item, unsigned char *hit, imp_err *err)
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

int imp_analyze_competitors(imp_analyze_sel *sel, const imp_cube_axes *axes, const char *list,
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
        if ((rc = match_item(axes, it, hit, err)))
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

/* ---- Names ---- */

/* Name the competitors of mat that item (NAME=STR[@k=K][@shot=S] or a paper name) matches. */
static int name_item(imp_analyze_matrix *mat, const imp_cube_axes *a, const char *name,
                     const char *item, imp_err *err)
{
    size_t ncol = a->n_strategy * a->n_k * a->n_shot;
    unsigned char *hit = calloc(ncol ? ncol : 1, 1);
    char *copy = strdup(item);
    int rc = 0;
    if (!hit || !copy) {
        rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the names");
        goto out;
    }
    if ((rc = match_item(a, copy, hit, err)))
        goto out;
    size_t n = 0, k0 = 0, h0 = 0;
    int diff_k = 0, diff_h = 0;
    for (size_t c = 0; c < mat->n_comp; c++) {
        const imp_analyze_comp *cp = &mat->comp[c];
        if (!hit[(cp->strategy * a->n_k + cp->k) * a->n_shot + cp->shot])
            continue;
        if (n++ == 0)
            k0 = cp->k, h0 = cp->shot;
        diff_k |= cp->k != k0;
        diff_h |= cp->shot != h0;
    }
    for (size_t c = 0; c < mat->n_comp; c++) {
        imp_analyze_comp *cp = &mat->comp[c];
        if (!hit[(cp->strategy * a->n_k + cp->k) * a->n_shot + cp->shot])
            continue;
        char kb[32], hb[32];
        const char *kt = imp_cube_axis_value(a, IMP_AX_K, cp->k, kb, sizeof kb);
        const char *ht = imp_cube_axis_value(a, IMP_AX_SHOT, cp->shot, hb, sizeof hb);
        size_t len = strlen(name) + strlen(kt) + strlen(ht) + 12;
        char *nm = malloc(len);
        if (!nm) {
            rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the names");
            goto out;
        }
        snprintf(nm, len, "%s%s%s%s%s", name, diff_k ? " k=" : "", diff_k ? kt : "",
                 diff_h ? " shot=" : "", diff_h ? ht : "");
        free(cp->name);
        cp->name = nm;
        cp->named = 1;
    }
out:
    free(hit);
    free(copy);
    return rc;
}

int imp_analyze_names(imp_analyze_matrix *mat, const imp_cube_axes *axes, const char *defs,
                      int paper, imp_err *err)
{
    size_t n_named;
    const imp_named_strategy *named = imp_named_strategies(&n_named);
    for (size_t i = 0; paper && i < n_named; i++) {
        imp_err ignore; /* a cube without the paper's strategy simply has no such name */
        int rc = name_item(mat, axes, named[i].name, named[i].name, &ignore);
        if (rc == IMP_ENOMEM)
            return imp_err_set(err, rc, "%s", ignore.msg);
    }
    if (!defs)
        return 0;
    char *copy = strdup(defs);
    if (!copy)
        return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the names");
    int rc = 0;
    char *save = NULL;
    for (char *it = strtok_r(copy, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save)) {
        char *e = strchr(it, '='), *at = strpbrk(it, "@ ");
        if (!e || e == it || (at && at < e)) {
            rc = imp_err_set(err, IMP_EUSAGE, "--name '%s': expected NAME=STRATEGY[@k=K][@shot=S]",
                             it);
            break;
        }
        *e = '\0';
        rc = name_item(mat, axes, it, e + 1, err);
        if (rc)
            imp_err_prefix(err, "--name %s", it);
    }
    free(copy);
    return rc;
}

/* ---- The matrix ---- */

void imp_analyze_matrix_free(imp_analyze_matrix *mat)
{
    for (size_t c = 0; mat->comp && c < mat->n_comp; c++)
        free(mat->comp[c].name);
    free(mat->comp);
    free(mat->A);
    free(mat->row);
    free(mat->voter_model);
    free(mat->voter_task);
    memset(mat, 0, sizeof *mat);
}

/* malloc(0) may return NULL: ask for at least one element. */
static size_t nz(size_t n) { return n ? n : 1; }

static char *comp_name(const imp_cube_axes *a, size_t s, size_t k, size_t h)
{
    char kb[32], hb[32];
    const char *str = a->strategy[s];
    const char *kt = imp_cube_axis_value(a, IMP_AX_K, k, kb, sizeof kb);
    const char *ht = imp_cube_axis_value(a, IMP_AX_SHOT, h, hb, sizeof hb);
    size_t n = strlen(str) + strlen(kt) + strlen(ht) + 10;
    char *name = malloc(n);
    if (name)
        snprintf(name, n, "%s k=%s shot=%s", str, kt, ht);
    return name;
}

int imp_analyze_build(const imp_cube *cube, const imp_analyze_sel *sel, imp_analyze_matrix *out,
                      imp_err *err)
{
    memset(out, 0, sizeof *out);
    const imp_cube_axes *a = &cube->axes;
    size_t nm = a->n_model, nt = a->n_task, nk = a->n_k, nh = a->n_shot, ns = a->n_seed;
    size_t nvall = nm * nt, ncol = a->n_strategy * nk * nh;
    int rc = 0;
    size_t nsel_seed = 0;
    for (size_t e = 0; e < ns; e++)
        nsel_seed += sel->keep[IMP_AX_SEED][e] != 0;
    out->n_seeds = nsel_seed;
    out->value = sel->value;
    const float *val = imp_analyze_values(cube, sel->value);

    /* Candidates first (a pass over the status only), then values for them alone. */
    size_t *cols = malloc((ncol ? ncol : 1) * sizeof *cols);
    double *buf = malloc((ns ? ns : 1) * sizeof *buf);
    double *V = NULL;      /* [n_comp × nvall], NaN = missing */
    unsigned char *full = NULL; /* [n_comp × nvall] every selected seed done */
    unsigned char *vsel = malloc(nvall ? nvall : 1), *vcand = calloc(nvall ? nvall : 1, 1);
    if (!cols || !buf || !vsel || !vcand)
        goto nomem;
    for (size_t mi = 0; mi < nm; mi++)
        for (size_t ti = 0; ti < nt; ti++)
            vsel[mi * nt + ti] = sel->keep[IMP_AX_MODEL][mi] && sel->keep[IMP_AX_TASK][ti];

    size_t nc = 0;
    for (size_t col = 0; col < ncol; col++) {
        size_t s = col / (nk * nh), k = (col / nh) % nk, h = col % nh;
        if (!sel->col[col] || !sel->keep[IMP_AX_STRATEGY][s] || !sel->keep[IMP_AX_K][k] ||
            !sel->keep[IMP_AX_SHOT][h])
            continue;
        int valid = 0;
        for (size_t v = 0; v < nvall && !valid; v++) {
            if (!vsel[v])
                continue;
            for (size_t e = 0; e < ns && !valid; e++) {
                size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = v / nt, [IMP_AX_TASK] = v % nt,
                                              [IMP_AX_STRATEGY] = s, [IMP_AX_K] = k,
                                              [IMP_AX_SHOT] = h, [IMP_AX_SEED] = e};
                valid = sel->keep[IMP_AX_SEED][e] &&
                        cube->status[imp_cube_cell_index(a, idx)] != IMP_CELL_NA;
            }
        }
        if (valid)
            cols[nc++] = col;
    }
    out->n_comp = nc;
    out->comp = calloc(nc ? nc : 1, sizeof *out->comp);
    V = malloc(nz(nc * nvall) * sizeof *V);
    full = calloc(nz(nc * nvall), 1);
    if (!out->comp || !V || !full)
        goto nomem;
    for (size_t c = 0; c < nc; c++) {
        imp_analyze_comp *cp = &out->comp[c];
        cp->strategy = cols[c] / (nk * nh);
        cp->k = (cols[c] / nh) % nk;
        cp->shot = cols[c] % nh;
        if (!(cp->name = comp_name(a, cp->strategy, cp->k, cp->shot)))
            goto nomem;
        for (size_t v = 0; v < nvall; v++) {
            size_t n = 0;
            for (size_t e = 0; vsel[v] && e < ns; e++) {
                size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = v / nt, [IMP_AX_TASK] = v % nt,
                                              [IMP_AX_STRATEGY] = cp->strategy, [IMP_AX_K] = cp->k,
                                              [IMP_AX_SHOT] = cp->shot, [IMP_AX_SEED] = e};
                uint64_t cell = imp_cube_cell_index(a, idx);
                if (sel->keep[IMP_AX_SEED][e] && cube->status[cell] == IMP_CELL_DONE &&
                    isfinite(val[cell]))
                    buf[n++] = (double)val[cell];
            }
            V[c * nvall + v] = n ? imp_stats_median(buf, n) : NAN;
            full[c * nvall + v] = n == nsel_seed;
            if (n) {
                cp->n_voters++;
                vcand[v] = 1;
            }
        }
        cp->kept = cp->n_voters > 0;
    }

    /* Voters: candidates on which every kept competitor has a value. */
    size_t m = 0, N = 0;
    for (size_t c = 0; c < nc; c++)
        m += (size_t)out->comp[c].kept;
    for (size_t v = 0; v < nvall; v++) {
        out->n_cand_voters += vcand[v];
        out->n_empty_voters += vsel[v] && !vcand[v];
        int all = vcand[v];
        for (size_t c = 0; c < nc && all; c++)
            all = !out->comp[c].kept || !isnan(V[c * nvall + v]);
        vcand[v] = (unsigned char)all; /* from here: is a voter of the matrix */
        N += (size_t)all;
    }
    out->m = m;
    out->N = N;
    out->A = malloc(nz(m * N) * sizeof *out->A);
    out->row = malloc((m ? m : 1) * sizeof *out->row);
    out->voter_model = malloc((N ? N : 1) * sizeof *out->voter_model);
    out->voter_task = malloc((N ? N : 1) * sizeof *out->voter_task);
    if (!out->A || !out->row || !out->voter_model || !out->voter_task)
        goto nomem;
    for (size_t v = 0, j = 0; v < nvall; v++)
        if (vcand[v]) {
            out->voter_model[j] = v / nt;
            out->voter_task[j++] = v % nt;
        }
    for (size_t c = 0, i = 0; c < nc; c++) {
        if (!out->comp[c].kept)
            continue;
        out->row[i] = c;
        for (size_t v = 0, j = 0; v < nvall; v++)
            if (vcand[v]) {
                out->A[i * N + j++] = V[c * nvall + v];
                out->n_partial += !full[c * nvall + v];
            }
        i++;
    }
    goto out;
nomem:
    rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the matrix");
    imp_analyze_matrix_free(out);
out:
    free(cols);
    free(buf);
    free(V);
    free(full);
    free(vsel);
    free(vcand);
    return rc;
}

int imp_analyze_keep_rows(imp_analyze_matrix *mat, const size_t *rows, size_t n, imp_err *err)
{
    size_t m = mat->m, N = mat->N;
    double *A = malloc(nz(n * N) * sizeof *A);
    size_t *row = malloc((n ? n : 1) * sizeof *row);
    unsigned char *seen = calloc(m ? m : 1, 1);
    if (!A || !row || !seen) {
        free(A), free(row), free(seen);
        return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
    }
    for (size_t t = 0; t < n; t++) {
        if (rows[t] >= m || seen[rows[t]]) {
            free(A), free(row), free(seen);
            return imp_err_set(err, IMP_EINPUT, "analyze: row %zu out of range or repeated",
                               rows[t]);
        }
        seen[rows[t]] = 1;
        memcpy(A + t * N, mat->A + rows[t] * N, N * sizeof *A);
        row[t] = mat->row[rows[t]];
    }
    for (size_t i = 0; i < m; i++)
        if (!seen[i])
            mat->comp[mat->row[i]].kept = 0;
    free(seen);
    free(mat->A);
    free(mat->row);
    mat->A = A;
    mat->row = row;
    mat->m = n;
    return 0;
}

/* ---- Labels ---- */

/* Is k fixed by the strategy's GEN (mean, ls: 1; all: -1), so that naming it adds nothing? */
static int k_implied(const char *strategy, int64_t k)
{
    imp_strategy st;
    if (imp_strategy_parse(strategy, &st, NULL) != 0)
        return 0;
    int fixed = imp_gen_info_of(st.gen)->fixed_k;
    return fixed && k == fixed;
}

void imp_analyze_labels_free(char **labels, size_t m, char *common)
{
    for (size_t i = 0; labels && i < m; i++)
        free(labels[i]);
    free(labels);
    free(common);
}

int imp_analyze_labels(const imp_cube_axes *axes, const imp_analyze_matrix *mat, char ***labels,
                       char **common, imp_err *err)
{
    return imp_analyze_labels_rows(axes, mat, NULL, mat->m, labels, common, err);
}

int imp_analyze_labels_rows(const imp_cube_axes *axes, const imp_analyze_matrix *mat,
                            const size_t *rows, size_t m, char ***labels, char **common,
                            imp_err *err)
{
#define ROW(i) (rows ? rows[i] : (i))
    *labels = NULL;
    *common = NULL;
    char **L = calloc(m ? m : 1, sizeof *L);
    int *imp = calloc(m ? m : 1, sizeof *imp);
    if (!L || !imp)
        goto nomem;
    /* The shot is dropped when every row shares it; the k when every row where it is not
     * implied shares it and there are at least two such rows (with one, "k=20" is clearer
     * in the label than in the title). */
    int same_shot = 1, same_k = 1;
    size_t n_free_k = 0, k0 = 0, h0 = m ? mat->comp[mat->row[ROW(0)]].shot : 0;
    for (size_t i = 0; i < m; i++) {
        const imp_analyze_comp *c = &mat->comp[mat->row[ROW(i)]];
        imp[i] = k_implied(axes->strategy[c->strategy], axes->k[c->k]);
        same_shot &= c->shot == h0;
        if (!imp[i]) {
            if (n_free_k++ == 0)
                k0 = c->k;
            same_k &= c->k == k0;
        }
    }
    int drop_k = same_k && n_free_k >= 2;
    char kb[32], hb[32];
    const char *kt = imp_cube_axis_value(axes, IMP_AX_K, k0, kb, sizeof kb);
    const char *ht = imp_cube_axis_value(axes, IMP_AX_SHOT, h0, hb, sizeof hb);
    size_t cl = strlen(kt) + strlen(ht) + 16;
    if (!(*common = malloc(cl)))
        goto nomem;
    snprintf(*common, cl, "%s%s%s%s%s", drop_k ? "k=" : "", drop_k ? kt : "",
             drop_k && same_shot && m ? ", " : "", same_shot && m ? "shot=" : "",
             same_shot && m ? ht : "");
    for (size_t i = 0; i < m; i++) {
        const imp_analyze_comp *c = &mat->comp[mat->row[ROW(i)]];
        const char *s = axes->strategy[c->strategy];
        const char *ki = imp_cube_axis_value(axes, IMP_AX_K, c->k, kb, sizeof kb);
        const char *hi = imp_cube_axis_value(axes, IMP_AX_SHOT, c->shot, hb, sizeof hb);
        size_t n = strlen(s) + strlen(ki) + strlen(hi) + strlen(c->name) + 12;
        if (!(L[i] = malloc(n)))
            goto nomem;
        if (c->named) {
            snprintf(L[i], n, "%s", c->name);
            continue;
        }
        int show_k = !imp[i] && !drop_k;
        snprintf(L[i], n, "%s%s%s%s%s", s, show_k ? " k=" : "", show_k ? ki : "",
                 same_shot ? "" : " shot=", same_shot ? "" : hi);
    }
    free(imp);
    *labels = L;
    return 0;
nomem:
    imp_analyze_labels_free(L, m, *common);
    *common = NULL;
    free(imp);
    return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the labels");
#undef ROW
}

/* ---- Statistics ---- */

void imp_analysis_free(imp_analysis *an)
{
    free(an->summary);
    free(an->dense);
    free(an->rank);
    free(an->order);
    free(an->tested);
    imp_cd_result_free(&an->cd);
    free(an->holm);
    imp_cliques_free(&an->nemenyi_bars);
    memset(an, 0, sizeof *an);
}

typedef struct rank_key {
    double r;
    size_t i;
} rank_key;

static int rank_key_cmp(const void *pa, const void *pb)
{
    const rank_key *a = pa, *b = pb;
    if (a->r != b->r)
        return a->r < b->r ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

static int size_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

/* The scores the statistics see: A itself, or −A for costs (a copy the caller frees). */
static const double *scores(const imp_analyze_matrix *mat, int lower_is_better, double **copy)
{
    *copy = NULL;
    if (!lower_is_better)
        return mat->A;
    size_t n = mat->m * mat->N;
    if (!(*copy = malloc(nz(n) * sizeof **copy)))
        return NULL;
    for (size_t i = 0; i < n; i++)
        (*copy)[i] = -mat->A[i];
    return *copy;
}

int imp_analyze_table(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                      imp_analysis *out, imp_err *err)
{
    imp_analyze_opts o = opts ? *opts : (imp_analyze_opts){0};
    memset(out, 0, sizeof *out);
    size_t m = mat->m, N = mat->N;
    if (m < 2 || N < 2)
        return imp_err_set(err, IMP_EINPUT,
                           "analyze: need at least 2 competitors and 2 voters, have %zu and %zu",
                           m, N);
    double *neg;
    const double *A = scores(mat, o.lower_is_better, &neg);
    out->m = m, out->N = N;
    out->rank_dense = o.rank_method == IMP_RANK_DENSE;
    out->lower_is_better = o.lower_is_better;
    out->value = mat->value;
    out->top_asked = o.top;
    out->summary = malloc(m * sizeof *out->summary);
    out->dense = malloc(m * sizeof *out->dense);
    out->rank = malloc(m * sizeof *out->rank);
    out->order = malloc(m * sizeof *out->order);
    rank_key *key = malloc(m * sizeof *key);
    int rc = 0;
    if (!A || !out->summary || !out->dense || !out->rank || !out->order || !key) {
        rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the table of %zu rows", m);
        goto fail;
    }
    if ((rc = imp_stats_rank_summary(A, m, N, IMP_RANK_AVERAGE, out->summary, err)) ||
        (rc = imp_stats_rank_summary(A, m, N, IMP_RANK_DENSE, out->dense, err)))
        goto fail;
    for (size_t i = 0; i < m; i++) {
        if (o.lower_is_better)
            out->summary[i].mean = -out->summary[i].mean, out->dense[i].mean = -out->dense[i].mean;
        out->rank[i] = out->rank_dense ? out->dense[i].mean_rank : out->summary[i].mean_rank;
        key[i] = (rank_key){out->rank[i], i};
    }
    qsort(key, m, sizeof *key, rank_key_cmp);
    for (size_t t = 0; t < m; t++)
        out->order[t] = key[t].i;
    out->friedman = (imp_friedman){NAN, NAN};
    out->id_F = out->id_p = NAN;
    if (m >= 3) {
        if ((rc = imp_stats_friedman(A, m, N, &out->friedman, err)) ||
            (rc = imp_stats_iman_davenport(out->friedman.statistic, m, N, &out->id_F, &out->id_p,
                                           err)))
            goto fail;
    }

    /* Step 2: the tested set. */
    size_t n = m;
    if (o.top) {
        out->why = IMP_TESTED_TOP;
        n = o.top < m ? o.top : m;
    } else if (o.test_all) {
        out->why = IMP_TESTED_NAMED;
    } else if (m > IMP_ANALYZE_DEFAULT_TOP) {
        out->why = IMP_TESTED_DEFAULT_TOP;
        n = IMP_ANALYZE_DEFAULT_TOP;
    }
    if (n > IMP_ANALYZE_MAX_TESTED) {
        out->why = IMP_TESTED_CAPPED;
        n = IMP_ANALYZE_MAX_TESTED;
    }
    if (!(out->tested = malloc(n * sizeof *out->tested))) {
        rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
        goto fail;
    }
    memcpy(out->tested, out->order, n * sizeof *out->tested);
    qsort(out->tested, n, sizeof *out->tested, size_cmp);
    out->n_tested = n;
    free(key);
    free(neg);
    return 0;
fail:
    free(key);
    free(neg);
    imp_analysis_free(out);
    return rc;
}

int imp_analyze_test(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                     imp_analysis *an, imp_err *err)
{
    imp_analyze_opts o = opts ? *opts : (imp_analyze_opts){0};
    size_t n = an->n_tested, N = mat->N;
    if (n < 2)
        return imp_err_set(err, IMP_EINPUT, "analyze: need at least 2 tested competitors, have %zu",
                           n);
    double *S = malloc(n * N * sizeof *S);
    if (!S)
        return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for %zu x %zu", n, N);
    for (size_t i = 0; i < n; i++)
        for (size_t v = 0; v < N; v++) {
            double x = mat->A[an->tested[i] * N + v];
            S[i * N + v] = o.lower_is_better ? -x : x;
        }
    imp_cd_opts co = {o.alpha, o.rank_method, o.compat_identical_significant, o.groups, 0};
    int rc = imp_cd_run(S, n, N, &co, &an->cd, err);
    if (rc) {
        free(S);
        return rc;
    }
    size_t K = an->cd.K;
    if (o.lower_is_better)
        for (size_t i = 0; i < n; i++)
            an->cd.summary[i].mean = -an->cd.summary[i].mean;
    if (!(an->holm = malloc(nz(K) * sizeof *an->holm))) {
        rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
        goto fail;
    }
    memcpy(an->holm, an->cd.significant, K * sizeof *an->holm);
    an->cd_id_F = an->cd_id_p = NAN;
    an->gated = 0;
    if (n >= 3) {
        if ((rc = imp_stats_iman_davenport(an->cd.friedman.statistic, n, N, &an->cd_id_F,
                                           &an->cd_id_p, err)))
            goto fail;
        if (!an->cd.friedman_significant) {
            /* The Friedman gate: the reference stops here. We go on, but declare nothing. */
            an->gated = 1;
            memset(an->cd.significant, 0, K * sizeof *an->cd.significant);
            imp_cliques_free(&an->cd.cliques);
            imp_cliques *c = &an->cd.cliques;
            c->off = malloc(2 * sizeof *c->off);
            c->members = malloc(n * sizeof *c->members);
            if (!c->off || !c->members) {
                rc = imp_err_set(err, IMP_ENOMEM, "analyze: out of memory");
                goto fail;
            }
            c->n = 1;
            c->off[0] = 0;
            c->off[1] = n;
            memcpy(c->members, an->cd.order, n * sizeof *c->members);
        }
    }
    if (o.nemenyi) {
        an->nemenyi = 1;
        if ((rc = imp_stats_nemenyi_q(n, an->cd.alpha, &an->nemenyi_q, err)))
            goto fail;
        an->nemenyi_cd = imp_stats_nemenyi_cd(an->nemenyi_q, n, N);
        if ((rc = imp_stats_nemenyi_bars(an->cd.rank, n, an->nemenyi_cd, &an->nemenyi_bars,
                                         err)))
            goto fail;
    }
    free(S);
    an->tested_done = 1;
    return 0;
fail:
    free(S);
    imp_cd_result_free(&an->cd);
    free(an->holm);
    an->holm = NULL;
    imp_cliques_free(&an->nemenyi_bars);
    an->nemenyi = an->gated = 0;
    return rc;
}

int imp_analyze_run(const imp_analyze_matrix *mat, const imp_analyze_opts *opts,
                    imp_analysis *out, imp_err *err)
{
    int rc = imp_analyze_table(mat, opts, out, err);
    if (!rc && (rc = imp_analyze_test(mat, opts, out, err)))
        imp_analysis_free(out);
    return rc;
}

/* ---- Best of groups ---- */

int imp_analyze_group_keys(const char *list, int *keys, size_t max_keys, size_t *n_keys,
                           imp_err *err)
{
    *n_keys = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        int key = imp_analyze_component_from_name(p, len);
        if (key < 0 && len == 1 && *p == 'k')
            key = IMP_COMP__COUNT + IMP_AX_K;
        if (key < 0 && len == 4 && strncmp(p, "shot", 4) == 0)
            key = IMP_COMP__COUNT + IMP_AX_SHOT;
        if (key < 0)
            return imp_err_set(err, IMP_EUSAGE, "--group-by '%s': unknown key '%.*s' (pre, gen, "
                               "post, inf, agg, metric, m, weight, k, shot)", list, (int)len, p);
        if (*n_keys == max_keys)
            return imp_err_set(err, IMP_EUSAGE, "--group-by '%s': at most %zu keys", list,
                               max_keys);
        keys[(*n_keys)++] = key;
        p += len;
        if (*p == ',')
            p++;
    }
    if (!*n_keys)
        return imp_err_set(err, IMP_EUSAGE, "--group-by: no key given");
    return 0;
}

/* Does row j share every key's value with row i? */
static int same_group(const imp_analyze_matrix *mat, const imp_cube_axes *a, size_t i, size_t j,
                      const int *keys, size_t n_keys)
{
    const imp_analyze_comp *ci = &mat->comp[mat->row[i]], *cj = &mat->comp[mat->row[j]];
    for (size_t q = 0; q < n_keys; q++) {
        if (keys[q] == IMP_COMP__COUNT + IMP_AX_K) {
            if (ci->k != cj->k)
                return 0;
        } else if (keys[q] == IMP_COMP__COUNT + IMP_AX_SHOT) {
            if (ci->shot != cj->shot)
                return 0;
        } else {
            char bi[64], bj[64];
            const char *ti =
                imp_analyze_component(a->strategy[ci->strategy], keys[q], bi, sizeof bi);
            const char *tj =
                imp_analyze_component(a->strategy[cj->strategy], keys[q], bj, sizeof bj);
            if (!ti || !tj || strcmp(ti, tj) != 0)
                return 0;
        }
    }
    return 1;
}

int imp_analyze_best_of_groups(const imp_analyze_matrix *mat, const imp_cube_axes *axes,
                               const imp_analysis *an, const int *keys, size_t n_keys,
                               size_t **rows, size_t *n, imp_err *err)
{
    /* Walk the rows best first; a row opens a group unless an earlier (better) kept row
     * shares its keys. O(m · groups), and groups are few (the values of a few components). */
    *n = 0;
    *rows = malloc(nz(an->m) * sizeof **rows);
    if (!*rows)
        return imp_err_set(err, IMP_ENOMEM, "--group-by: out of memory");
    for (size_t t = 0; t < an->m; t++) {
        size_t i = an->order[t];
        int seen = 0;
        for (size_t g = 0; g < *n && !seen; g++)
            seen = same_group(mat, axes, (*rows)[g], i, keys, n_keys);
        if (!seen)
            (*rows)[(*n)++] = i;
    }
    return 0;
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
    const imp_cube_axes *a = &cube->axes;
    comp_text *t = calloc(nz(a->n_strategy), sizeof *t);
    if (!t)
        return imp_err_set(err, IMP_ENOMEM, "export: out of memory");
    for (size_t s = 0; s < a->n_strategy; s++)
        for (int c = 0; c < IMP_COMP__COUNT; c++)
            imp_analyze_component(a->strategy[s], c, t[s][c], sizeof t[s][c]);
    imp_cube_csv_opts o = {valid_only, ",pre,gen,post,inf,agg,metric,m,weight", export_fields, t};
    int rc = imp_cube_export_csv_opts(cube, out, &o, err);
    free(t);
    return rc;
}

/* ---- The whole selection ---- */

/* Append item to the growing comma list *list; -1 when out of memory. */
static int list_append(char **list, const char *item, size_t len)
{
    size_t old = *list ? strlen(*list) : 0, n = old + len + 2;
    char *p = realloc(*list, n);
    if (!p)
        return -1;
    snprintf(p + old, n - old, "%s%.*s", old ? "," : "", (int)len, item);
    *list = p;
    return 0;
}

/* Is item (len bytes) a definition NAME=…, i.e. has it a '=' before any '@' or ' '? */
static int is_definition(const char *item, size_t len)
{
    for (size_t i = 0; i < len && item[i] != '@' && item[i] != ' '; i++)
        if (item[i] == '=')
            return i > 0;
    return 0;
}

/* The competitors list with each bare NAME of defs replaced by its definition, into *out. */
static int expand_competitors(const char *list, const char *defs, char **out)
{
    *out = NULL;
    for (const char *it = list; *it;) {
        size_t len = strcspn(it, ","), dlen = len;
        const char *item = it;
        for (const char *d = defs; d && *d;) {
            size_t dl = strcspn(d, ",");
            if (dl > len && d[len] == '=' && strncmp(d, it, len) == 0)
                item = d, dlen = dl;
            d += dl + (d[dl] == ',');
        }
        if (len && list_append(out, item, dlen))
            return -1;
        it += len + (it[len] == ',');
    }
    return 0;
}

/* Narrow sel by the where expressions and the competitors of spec; *comp gets the expanded
 * competitor list and *defs the name definitions (the user's, then the NAME=… items of the
 * competitors), both owned by the caller (NULL when there are none). */
static int narrow(imp_analyze_sel *sel, const imp_cube_axes *a, const imp_analyze_spec *spec,
                  char **comp, char **defs, imp_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < spec->n_where && !rc; i++)
        rc = imp_analyze_where(sel, a, spec->where[i], err);
    if (rc)
        return rc;
    if (spec->names && list_append(defs, spec->names, strlen(spec->names)))
        goto nomem;
    if (spec->competitors) {
        if (expand_competitors(spec->competitors, spec->names, comp))
            goto nomem;
        if (*comp && (rc = imp_analyze_competitors(sel, a, *comp, err)))
            return rc;
        for (const char *it = *comp; it && *it;) {
            size_t len = strcspn(it, ",");
            if (is_definition(it, len) && list_append(defs, it, len))
                goto nomem;
            it += len + (it[len] == ',');
        }
    }
    return 0;
nomem:
    return imp_err_set(err, IMP_ENOMEM, "analyze: out of memory for the selection");
}

int imp_analyze_mask(const imp_cube *cube, const imp_analyze_spec *spec, uint8_t *status,
                     imp_err *err)
{
    const imp_cube_axes *a = &cube->axes;
    imp_analyze_sel sel;
    char *comp = NULL, *defs = NULL;
    int rc = imp_analyze_sel_init(&sel, a, err);
    if (rc)
        return rc;
    if (!(rc = narrow(&sel, a, spec, &comp, &defs, err)))
        for (uint64_t c = 0; c < cube->n_cells; c++) {
            size_t idx[IMP_AX__COUNT];
            imp_cube_cell_coords(a, c, idx);
            int keep = sel.col[(idx[IMP_AX_STRATEGY] * a->n_k + idx[IMP_AX_K]) * a->n_shot +
                               idx[IMP_AX_SHOT]];
            for (int ax = 0; ax < IMP_AX__COUNT && keep; ax++)
                keep = sel.keep[ax][idx[ax]];
            if (!keep)
                status[c] = IMP_CELL_NA;
        }
    imp_analyze_sel_free(&sel);
    free(comp);
    free(defs);
    return rc;
}

int imp_analyze_select(const imp_cube *cube, const imp_analyze_spec *spec,
                       const imp_analyze_opts *opts, imp_analyze_matrix *out, size_t *n_groups,
                       size_t *m_grouped, imp_err *err)
{
    const imp_cube_axes *a = &cube->axes;
    imp_analyze_sel sel;
    char *comp = NULL, *defs = NULL;
    size_t *rows = NULL, n = 0, m_all = 0;
    memset(out, 0, sizeof *out);
    int rc = imp_analyze_sel_init(&sel, a, err);
    if (rc)
        return rc;
    sel.value = spec->value;
    if ((rc = narrow(&sel, a, spec, &comp, &defs, err)))
        goto out;
    if ((rc = imp_analyze_build(cube, &sel, out, err)) ||
        (rc = imp_analyze_names(out, a, defs, !spec->no_names, err)))
        goto out;
    if (spec->group_by) {
        int keys[16];
        size_t n_keys;
        imp_analysis an;
        if ((rc = imp_analyze_group_keys(spec->group_by, keys, 16, &n_keys, err)))
            goto out;
        if (out->m < 2 || out->N < 2)
            goto out; /* nothing to rank: the caller reports the matrix as it is */
        if ((rc = imp_analyze_table(out, opts, &an, err)))
            goto out;
        m_all = an.m;
        rc = imp_analyze_best_of_groups(out, a, &an, keys, n_keys, &rows, &n, err);
        imp_analysis_free(&an);
        if (rc)
            goto out;
        memset(sel.col, 0, sel.n_col);
        for (size_t g = 0; g < n; g++) {
            const imp_analyze_comp *c = &out->comp[out->row[rows[g]]];
            sel.col[(c->strategy * a->n_k + c->k) * a->n_shot + c->shot] = 1;
        }
        imp_analyze_matrix_free(out);
        if ((rc = imp_analyze_build(cube, &sel, out, err)) ||
            (rc = imp_analyze_names(out, a, defs, !spec->no_names, err)))
            goto out;
    }
out:
    if (rc)
        imp_analyze_matrix_free(out);
    if (n_groups)
        *n_groups = n;
    if (m_grouped)
        *m_grouped = m_all;
    imp_analyze_sel_free(&sel);
    free(comp);
    free(defs);
    free(rows);
    return rc;
}

/* n with thousands separators ("2,087") into buf. */
static const char *thousands(size_t n, char *buf, size_t len)
{
    char d[32];
    int nd = snprintf(d, sizeof d, "%zu", n);
    size_t k = 0;
    for (int i = 0; i < nd && k + 2 < len; i++) {
        if (i && (nd - i) % 3 == 0)
            buf[k++] = ',';
        buf[k++] = d[i];
    }
    buf[k] = '\0';
    return buf;
}

const char *imp_analyze_tested_text(const imp_analysis *an, char *buf, size_t n)
{
    char a[32], b[32];
    thousands(an->n_tested, a, sizeof a);
    thousands(an->m, b, sizeof b);
    const char *by = an->rank_dense ? "mean dense rank" : "mean rank";
    switch (an->why) {
    case IMP_TESTED_ALL:
        snprintf(buf, n, "all %s competitors", b);
        break;
    case IMP_TESTED_NAMED:
        snprintf(buf, n, "all %s competitors named with --competitors", b);
        break;
    case IMP_TESTED_DEFAULT_TOP:
        snprintf(buf, n, "the %s best of %s competitors by %s (the default when there are more "
                 "than %d; choose the set with --top N or --competitors)", a, b, by,
                 IMP_ANALYZE_DEFAULT_TOP);
        break;
    case IMP_TESTED_TOP:
        if (an->n_tested == an->m)
            snprintf(buf, n, "all %s competitors (--top %zu)", b, an->top_asked);
        else
            snprintf(buf, n, "the %s best of %s competitors by %s (--top %zu)", a, b, by,
                     an->top_asked);
        break;
    case IMP_TESTED_CAPPED:
        snprintf(buf, n, "the %s best of %s competitors by %s (at most %d are tested pairwise; "
                 "narrow the set with --where, --competitors or --top)", a, b, by,
                 IMP_ANALYZE_MAX_TESTED);
        break;
    }
    return buf;
}

/* ---- Reports ---- */

static const char *method_name(imp_wilcoxon_method m)
{
    return m == IMP_WILCOXON_EXACT ? "exact" : m == IMP_WILCOXON_APPROX ? "approx" : "identical";
}

/* Markdown cell text: '|' escaped. */
void imp_analyze_html_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: putc(*s, out);
        }
    }
}

void imp_analyze_md_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            putc('\\', out);
        putc(*s, out);
    }
}

void imp_analyze_tex_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': case '%': case '$': case '#': case '_': case '{': case '}':
            putc('\\', out);
            putc(*s, out);
            break;
        case '~': fputs("\\textasciitilde{}", out); break;
        case '^': fputs("\\textasciicircum{}", out); break;
        case '\\': fputs("\\textbackslash{}", out); break;
        case '/': fputs("/\\allowbreak{}", out); break; /* a strategy may wrap after a part */
        case ':': fputs(":\\allowbreak{}", out); break; /* … or within mnn:M:METRIC:WEIGHT */
        default: putc(*s, out);
        }
    }
}

static const char *row_name(const imp_analyze_matrix *mat, size_t row)
{
    return mat->comp[mat->row[row]].name;
}

/* Is row among the tested ones? (binary search in the ascending list) */
static int is_tested(const imp_analysis *an, size_t row)
{
    return bsearch(&row, an->tested, an->n_tested, sizeof row, size_cmp) != NULL;
}

static double se(double sd, size_t N) { return sd / sqrt((double)N); }

/* Every value a matrix can hold: its name (--value, CSV headers), the table header of its
 * mean, and whether a higher value is better. One row per value. */
static const struct value_info {
    const char *name, *header, *tex_header, *label;
    int higher_better;
} value_info[IMP_VALUE__COUNT] = {
    [IMP_VALUE_ACCURACY] = {"accuracy", "mean acc", "mean acc.", "accuracy", 1},
    [IMP_VALUE_GEN_SECONDS] = {"gen_seconds", "mean s", "mean s", "GEN seconds", 0},
    [IMP_VALUE_INF_SECONDS] = {"inf_seconds", "mean s", "mean s", "inference seconds", 0},
    [IMP_VALUE_F1] = {"f1", "mean F1", "mean F1", "macro-F1", 1},
};

const char *imp_analyze_value_label(imp_analyze_value v)
{
    return v < IMP_VALUE__COUNT ? value_info[v].label : "?";
}

const char *imp_analyze_value_name(imp_analyze_value v)
{
    return v < IMP_VALUE__COUNT ? value_info[v].name : "?";
}

int imp_analyze_value_from_name(const char *name)
{
    for (int v = 0; v < IMP_VALUE__COUNT; v++)
        if (strcmp(name, value_info[v].name) == 0)
            return v;
    return -1;
}

int imp_analyze_value_higher_better(imp_analyze_value v)
{
    return v < IMP_VALUE__COUNT && value_info[v].higher_better;
}

const float *imp_analyze_values(const imp_cube *cube, imp_analyze_value v)
{
    switch (v) {
    case IMP_VALUE_GEN_SECONDS: return cube->gen_seconds;
    case IMP_VALUE_INF_SECONDS: return cube->inf_seconds;
    case IMP_VALUE_F1: return cube->f1;
    default: return cube->accuracy;
    }
}

/* The value's name in sentences, CSV headers and table headers. */
static const char *value_name(const imp_analysis *an) { return imp_analyze_value_name(an->value); }

static const char *value_header(const imp_analysis *an, int tex)
{
    const struct value_info *vi = &value_info[an->value < IMP_VALUE__COUNT ? an->value : 0];
    return tex ? vi->tex_header : vi->header;
}

static void report_csv(FILE *out, const imp_cube_axes *axes, const imp_analyze_matrix *mat,
                       const imp_analysis *an)
{
    fprintf(out, "rank,competitor,strategy,k,shot,avg_rank,dense_rank,rank_std,rank_se,mean_%s,"
            "std,se,wins,voters,tested\n", value_name(an));
    char kb[32], hb[32];
    for (size_t t = 0; t < an->m; t++) {
        size_t i = an->order[t];
        const imp_analyze_comp *c = &mat->comp[mat->row[i]];
        const imp_rank_summary *s = &an->summary[i];
        const imp_rank_summary *shown = an->rank_dense ? &an->dense[i] : s;
        fprintf(out, "%zu,", t + 1);
        imp_csv_field(out, c->name);
        putc(',', out);
        imp_csv_field(out, axes->strategy[c->strategy]);
        fprintf(out, ",%s,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%zu,%zu,%s\n",
                imp_cube_axis_value(axes, IMP_AX_K, c->k, kb, sizeof kb),
                imp_cube_axis_value(axes, IMP_AX_SHOT, c->shot, hb, sizeof hb), s->mean_rank,
                an->dense[i].mean_rank, shown->rank_std, se(shown->rank_std, an->N), s->mean,
                s->std, se(s->std, an->N), s->wins, an->N, is_tested(an, i) ? "yes" : "no");
    }
}

/* The pairs of the tested set: a ranked above b, in rank order. */
static void report_pairs_csv(FILE *out, const imp_analyze_matrix *mat, const imp_analysis *an)
{
    fputs("competitor_a,competitor_b,p,holm_threshold,significant,statistic,method,n,n_zero\n",
          out);
    if (!an->tested_done)
        return;
    const imp_cd_result *cd = &an->cd;
    size_t m = cd->m;
    for (size_t ta = 0; ta < m; ta++)
        for (size_t tb = ta + 1; tb < m; tb++) {
            size_t i = cd->order[ta], j = cd->order[tb];
            size_t k = imp_stats_pair_index(i < j ? i : j, i < j ? j : i, m);
            const imp_wilcoxon *w = &cd->pair[k];
            imp_csv_field(out, row_name(mat, an->tested[i]));
            putc(',', out);
            imp_csv_field(out, row_name(mat, an->tested[j]));
            fprintf(out, ",%.17g,%.17g,%s,%.17g,%s,%zu,%zu\n", w->p, cd->threshold[k],
                    cd->significant[k] ? "yes" : "no", w->statistic, method_name(w->method),
                    w->n, w->n_zero);
        }
}

/* Rows of the human tables: all, or the first max_rows. */
static size_t rows_shown(const imp_report_opts *ro, size_t m)
{
    return ro->max_rows && ro->max_rows < m ? ro->max_rows : m;
}

/* "best" marks for LaTeX: the best of each column that has a best — mean rank (lowest), mean
 * value, wins — among all rows. A spread (std) has no best: the lowest std is no merit. */
typedef struct best_vals {
    double rank, mean;
    size_t wins;
} best_vals;

static best_vals find_best(const imp_analysis *an)
{
    best_vals b = {INFINITY, an->lower_is_better ? INFINITY : -INFINITY, 0};
    for (size_t i = 0; i < an->m; i++) {
        const imp_rank_summary *s = &an->summary[i];
        b.rank = fmin(b.rank, an->rank[i]);
        b.mean = an->lower_is_better ? fmin(b.mean, s->mean) : fmax(b.mean, s->mean);
        b.wins = s->wins > b.wins ? s->wins : b.wins;
    }
    return b;
}

/* One number for LaTeX, bold when it equals the best one as printed. */
static void tex_num(FILE *out, const char *fmt, double v, double best)
{
    char a[64], b[64];
    snprintf(a, sizeof a, fmt, v);
    snprintf(b, sizeof b, fmt, best);
    fprintf(out, strcmp(a, b) == 0 ? " & \\textbf{%s}" : " & %s", a);
}

/* The rank table as a booktabs tabularx exactly \linewidth wide: the competitor column (X)
 * takes what the numbers leave and wraps (after each '/' of a strategy), so no name makes
 * the table wider than the text. The standard errors stay in the CSV and Markdown (std/√N,
 * with N in the voters column): nine numeric columns do not fit a one-column paper. */
static void report_latex(FILE *out, const imp_report_opts *ro, const imp_analyze_matrix *mat,
                         const imp_analysis *an)
{
    size_t shown = rows_shown(ro, an->m);
    best_vals b = find_best(an);
    const char *val = value_header(an, 1);
    fprintf(out, "%% %zu competitors ranked on %zu voters (model, task); best mean rank, mean "
            "value and wins in bold%s\n%% needs \\usepackage{booktabs,tabularx}\n", an->m, an->N,
            shown < an->m ? "; best rows only" : "");
    /* \noindent: a paragraph's indent would push a \linewidth table 15 pt over */
    fputs("\\noindent\\begin{tabularx}{\\linewidth}{@{}rXrrrrrr@{}}\n\\toprule\n", out);
    fprintf(out, "\\# & competitor & %s & std & %s & std & wins & voters \\\\\n\\midrule\n",
            an->rank_dense ? "dense rank" : "mean rank", val);
    for (size_t t = 0; t < shown; t++) {
        size_t i = an->order[t];
        const imp_rank_summary *s = &an->summary[i];
        const imp_rank_summary *sh = an->rank_dense ? &an->dense[i] : s;
        fprintf(out, "%zu & ", t + 1);
        imp_analyze_tex_text(out, row_name(mat, i));
        tex_num(out, "%.3f", an->rank[i], b.rank);
        fprintf(out, " & %.3f", sh->rank_std);
        tex_num(out, "%.3f", s->mean, b.mean);
        fprintf(out, " & %.3f", s->std);
        tex_num(out, "%.0f", (double)s->wins, (double)b.wins);
        fprintf(out, " & %zu \\\\\n", an->N);
    }
    fputs("\\bottomrule\n\\end{tabularx}\n", out);
}

/* The groups (cliques, runs or Nemenyi bars) of the tested rows, one line each. */
static void print_groups(FILE *out, int md, const imp_cliques *g, const imp_analyze_matrix *mat,
                         const imp_analysis *an, const char *none)
{
    if (g->n == 0)
        fprintf(out, md ? "- %s\n" : "  %s\n", none);
    for (size_t c = 0; c < g->n; c++) {
        fprintf(out, md ? "%zu. " : "  %zu: ", c + 1);
        for (size_t t = g->off[c]; t < g->off[c + 1]; t++) {
            if (t > g->off[c])
                fputs(md ? ", " : " | ", out);
            const char *name = row_name(mat, an->tested[g->members[t]]);
            if (md)
                imp_analyze_md_text(out, name);
            else
                fputs(name, out);
        }
        putc('\n', out);
    }
}

static void report_friedman(FILE *out, size_t m, const imp_friedman *f, double F, double p)
{
    fprintf(out, "Friedman: chi2 = %.6f, df = %zu, p = %.6g ", f->statistic, m - 1, f->p);
    if (isinf(F)) /* the statistic's denominator is 0: a sentence, not "F = inf, p = 0" */
        fputs("(every voter ranks the competitors in the same order: the agreement is perfect, "
              "so the Iman-Davenport F has no finite value and is not reported)", out);
    else
        fprintf(out, "(Iman-Davenport F = %.6g, p = %.6g)", F, p);
}

/* The rank table and Friedman over all rows. */
static void report_table(FILE *out, int md, const imp_report_opts *ro,
                         const imp_analyze_matrix *mat, const imp_analysis *an)
{
    size_t m = an->m, shown = rows_shown(ro, m), w = strlen("competitor");
    for (size_t t = 0; t < shown; t++) {
        size_t l = strlen(row_name(mat, an->order[t]));
        w = l > w ? l : w;
    }
    const char *rank_hdr = an->rank_dense ? "dense rank" : "mean rank";
    const char *val = value_header(an, 0);
    char what[64];
    snprintf(what, sizeof what, "median %s", value_name(an));
    char cm[32];
    thousands(m, cm, sizeof cm);
    if (md) {
        fprintf(out, "## Ranks\n\n%s competitors (strategy, k, shot) ranked on %zu voters "
                "(model, task); a voter's value is the %s over its seeds%s.\n\n", cm, an->N,
                what, an->lower_is_better ? ", lower is better" : "");
        fprintf(out, "| rank | competitor | %s | rank std | rank se | %s | std | se | wins | "
                "voters |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", rank_hdr, val);
    } else {
        fprintf(out, "%s competitors (strategy, k, shot) ranked on %zu voters (model, task); "
                "value = %s over seeds%s\n\n", cm, an->N, what,
                an->lower_is_better ? ", lower is better" : "");
        fprintf(out, "rank  %-*s  %10s  %8s  %7s  %8s  %7s  %6s  %4s  %6s\n", (int)w,
                "competitor", rank_hdr, "rank std", "rank se", val, "std", "se", "wins",
                "voters");
    }
    for (size_t t = 0; t < shown; t++) {
        size_t i = an->order[t];
        const imp_rank_summary *s = &an->summary[i];
        const imp_rank_summary *sh = an->rank_dense ? &an->dense[i] : s;
        if (md) {
            fprintf(out, "| %zu | ", t + 1);
            imp_analyze_md_text(out, row_name(mat, i));
            fprintf(out, " | %.4f | %.3f | %.3f | %.3f | %.3f | %.3f | %zu | %zu |\n",
                    an->rank[i], sh->rank_std, se(sh->rank_std, an->N), s->mean, s->std,
                    se(s->std, an->N), s->wins, an->N);
        } else {
            fprintf(out, "%4zu  %-*s  %10.4f  %8.3f  %7.3f  %8.3f  %7.3f  %6.3f  %4zu  %6zu\n",
                    t + 1, (int)w, row_name(mat, i), an->rank[i], sh->rank_std,
                    se(sh->rank_std, an->N), s->mean, s->std, se(s->std, an->N), s->wins, an->N);
        }
    }
    if (shown < m) {
        char rest[32];
        thousands(m - shown, rest, sizeof rest);
        if (ro->full_table)
            fprintf(out, "%s… %s more; the full table of %s competitors is in %s\n",
                    md ? "\n" : "", rest, cm, ro->full_table);
        else
            fprintf(out, "%s… %s more; write the full table with --csv FILE or --md FILE, or "
                    "show it with --rows all\n", md ? "\n" : "", rest);
    }
    fputs(md ? "\n## Friedman\n\n" : "\n", out);
    if (m < 3) {
        fputs("Friedman: skipped (it needs at least 3 competitors); the Wilcoxon test below "
              "decides alone.\n", out);
    } else {
        report_friedman(out, m, &an->friedman, an->id_F, an->id_p);
        fprintf(out, "%s\n", an->n_tested < m ? " over all competitors" : "");
    }
}

/* Which rows were tested, Friedman on them, the pairs, the groups and Nemenyi. */
static void report_tests(FILE *out, int md, const imp_analyze_matrix *mat,
                         const imp_analysis *an)
{
    const imp_cd_result *cd = &an->cd;
    size_t m = cd->m, w = strlen("competitor A");
    for (size_t i = 0; i < m; i++) {
        size_t l = strlen(row_name(mat, an->tested[i]));
        w = l > w ? l : w;
    }
    char why[512];
    imp_analyze_tested_text(an, why, sizeof why);
    if (an->n_tested < an->m) {
        fprintf(out, md ? "\n## Tested set\n\nPairwise tests on %s. Below they are ranked "
                          "again among themselves (as the CD diagram shows them).\n\n"
                        : "\nPairwise tests on %s.\nBelow they are ranked again among "
                          "themselves (as the CD diagram shows them).\n", why);
        if (m < 3) {
            fputs("Friedman on them: skipped (it needs at least 3 competitors); the Wilcoxon "
                  "test below decides alone.\n", out);
        } else {
            report_friedman(out, m, &cd->friedman, an->cd_id_F, an->cd_id_p);
            fputs(" on the tested competitors\n", out);
        }
    }
    if (m >= 3) {
        if (an->gated)
            fprintf(out, "%sp >= alpha = %g: no difference between the competitors is "
                    "significant.%s The reference stops here; the pairwise p-values below are "
                    "for information only and no pair is declared significant.\n",
                    md ? "**" : "", cd->alpha, md ? "**" : "");
        else
            fprintf(out, "p < alpha = %g: the competitors differ; pairwise tests follow.\n",
                    cd->alpha);
    }
    if (an->n_tested == an->m) /* the set said above when it is smaller */
        fprintf(out, "%sPairwise tests on %s.\n", md ? "\n" : "", why);

    fprintf(out, md ? "\n## Pairwise Wilcoxon signed-rank tests\n\nTwo-sided, zero_method "
                      "pratt; Holm step-down at alpha = %g over %zu pair%s.\n\n"
                    : "\nPairwise Wilcoxon signed-rank (two-sided, Pratt), Holm at alpha = %g "
                      "over %zu pair%s:\n",
            cd->alpha, cd->K, cd->K == 1 ? "" : "s");
    if (md)
        fputs("| competitor A | competitor B | p | Holm threshold | significant | method |\n"
              "|---|---|---:|---:|---|---|\n", out);
    else
        fprintf(out, "  %-*s  %-*s  %12s  %12s  %11s  %s\n", (int)w, "competitor A", (int)w,
                "competitor B", "p", "holm thresh.", "significant", "method");
    for (size_t ta = 0; ta < m; ta++)
        for (size_t tb = ta + 1; tb < m; tb++) {
            size_t i = cd->order[ta], j = cd->order[tb];
            size_t k = imp_stats_pair_index(i < j ? i : j, i < j ? j : i, m);
            const imp_wilcoxon *pw = &cd->pair[k];
            const char *sig = cd->significant[k] ? "yes" : "no";
            const char *na = row_name(mat, an->tested[i]), *nb = row_name(mat, an->tested[j]);
            if (md) {
                fputs("| ", out);
                imp_analyze_md_text(out, na);
                fputs(" | ", out);
                imp_analyze_md_text(out, nb);
                fprintf(out, " | %.6g | %.6g | %s | %s |\n", pw->p, cd->threshold[k], sig,
                        method_name(pw->method));
            } else {
                fprintf(out, "  %-*s  %-*s  %12.6g  %12.6g  %11s  %s\n", (int)w, na, (int)w, nb,
                        pw->p, cd->threshold[k], sig, method_name(pw->method));
            }
        }

    int runs = cd->groups == IMP_GROUPS_INTERVALS;
    if (cd->groups_fallback)
        fprintf(out, "\n%s%zu competitors have more than %d maximal cliques of non-significant "
                "pairs: the groups below are runs in rank order instead (--groups "
                "intervals).%s\n", md ? "**" : "", m, IMP_STATS_MAX_CLIQUES, md ? "**" : "");
    if (md)
        fprintf(out, "\n## %s\n\n%s without a significant difference (the bars of the CD "
                "diagram):\n\n", runs ? "Groups" : "Cliques",
                runs ? "Maximal runs in rank order" : "Maximal groups");
    else
        fprintf(out, "\n%s\n", runs ? "Groups (maximal runs in rank order without a significant "
                                      "difference):"
                                    : "Cliques (maximal groups without a significant "
                                      "difference):");
    print_groups(out, md, &cd->cliques, mat, an, "none: every pair differs significantly");

    if (an->nemenyi) {
        fprintf(out, md ? "\n## Nemenyi\n\nCD = %.6f (q = %.6f, alpha = %g, %zu competitors, "
                          "%zu voters)%s\n\n"
                        : "\nNemenyi: CD = %.6f (q = %.6f, alpha = %g, %zu competitors, %zu "
                          "voters)%s\n",
                an->nemenyi_cd, an->nemenyi_q, cd->alpha, m, cd->N,
                an->rank_dense ? "; groups on dense ranks" : "");
        print_groups(out, md, &an->nemenyi_bars, mat, an, "no two competitors within CD");
    }
}

int imp_analyze_report_ex(FILE *out, const imp_report_opts *ro, const imp_cube_axes *axes,
                          const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err)
{
    int md = ro->format == IMP_REPORT_MD;
    switch (ro->format) {
    case IMP_REPORT_TEXT:
    case IMP_REPORT_MD:
        if (!ro->sections || (ro->sections & IMP_REPORT_TABLE))
            report_table(out, md, ro, mat, an);
        if (an->tested_done && (!ro->sections || (ro->sections & IMP_REPORT_TESTS)))
            report_tests(out, md, mat, an);
        break;
    case IMP_REPORT_CSV: report_csv(out, axes, mat, an); break;
    case IMP_REPORT_PAIRS_CSV: report_pairs_csv(out, mat, an); break;
    case IMP_REPORT_LATEX: report_latex(out, ro, mat, an); break;
    default: return imp_err_set(err, IMP_EINPUT, "analyze: unknown report format %d", ro->format);
    }
    if (ferror(out))
        return imp_err_set(err, IMP_EIO, "analyze: write error");
    return 0;
}

int imp_analyze_report(FILE *out, imp_report_format format, const imp_cube_axes *axes,
                       const imp_analyze_matrix *mat, const imp_analysis *an, imp_err *err)
{
    imp_report_opts ro = {.format = format};
    return imp_analyze_report_ex(out, &ro, axes, mat, an, err);
}
