/* strategy.c — parse and print strategies; the reference's per-cell grid rules. */
#include "imprint/strategy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const imp_gen_info gen_table[IMP_GEN__COUNT] = {
#define IMP__GEN_ROW(e, name, k, seed, cost, kernel) {name, k, seed, cost},
    IMP_GEN_MAP(IMP__GEN_ROW)
#undef IMP__GEN_ROW
};
static const imp_metric_info metric_table[IMP_METRIC__COUNT] = {
#define IMP__METRIC_ROW(e, name, nn, space, form, cost) {name, nn, space, form, cost},
    IMP_METRIC_MAP(IMP__METRIC_ROW)
#undef IMP__METRIC_ROW
};
static const char *const norm_names[] = {"none", "l2", "quantile"};

const imp_gen_info *imp_gen_info_of(imp_gen g) { return &gen_table[g]; }
const imp_metric_info *imp_metric_info_of(imp_metric m) { return &metric_table[m]; }
const char *imp_norm_name(imp_norm n) { return norm_names[n]; }
const char *imp_gen_name(imp_gen g) { return gen_table[g].name; }
const char *imp_metric_name(imp_metric m) { return metric_table[m].name; }

int imp_gen_from_name(const char *name)
{
    for (int i = 0; i < IMP_GEN__COUNT; i++)
        if (strcmp(name, gen_table[i].name) == 0)
            return i;
    return -1;
}

int imp_default_k(imp_gen gen) { return gen_table[gen].fixed_k ? gen_table[gen].fixed_k : 20; }

/* names of a table joined by sep into buf (once: the tables are constant) */
static const char *join_names(char *buf, size_t n, const char *sep, int gens)
{
    if (buf[0])
        return buf;
    size_t o = 0;
    int count = gens ? IMP_GEN__COUNT : IMP_METRIC__COUNT;
    for (int i = 0; i < count; i++) {
        if (!gens && !metric_table[i].for_nn)
            continue;
        const char *name = gens ? gen_table[i].name : metric_table[i].name;
        o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? sep : "", name);
    }
    return buf;
}

const char *imp_gen_names(const char *sep)
{
    static char comma[256], bar[256];
    return strcmp(sep, "|") == 0 ? join_names(bar, sizeof bar, "|", 1)
                                 : join_names(comma, sizeof comma, ", ", 1);
}

const char *imp_metric_names(const char *sep)
{
    static char comma[256], bar[256];
    return strcmp(sep, "|") == 0 ? join_names(bar, sizeof bar, "|", 0)
                                 : join_names(comma, sizeof comma, ", ", 0);
}

static int parse_norm(const char *part, int allow_quantile, imp_norm *out)
{
    if (strcmp(part, "none") == 0)
        *out = IMP_NORM_NONE;
    else if (strcmp(part, "l2") == 0)
        *out = IMP_NORM_L2;
    else if (allow_quantile && strcmp(part, "quantile") == 0)
        *out = IMP_NORM_QUANTILE;
    else
        return -1;
    return 0;
}

static int parse_metric(const char *part, imp_metric *out)
{
    for (int i = 0; i < IMP_METRIC__COUNT; i++)
        if (metric_table[i].for_nn && strcmp(part, metric_table[i].name) == 0) {
            *out = (imp_metric)i;
            return 0;
        }
    return -1;
}

static int parse_agg(const char *text, const char *agg, imp_strategy *s, imp_err *err)
{
    char buf[128];
    if (strlen(agg) >= sizeof buf)
        return imp_err_set(err, IMP_EINPUT, "strategy '%s': AGG part too long", text);
    strcpy(buf, agg);
    s->metric = IMP_METRIC_INNER;
    s->weight = IMP_WEIGHT_UNIFORM;
    if (strcmp(buf, "max") == 0) {
        s->agg = IMP_AGG_MAX;
        s->m = 0;
        return 0;
    }
    char *save = NULL;
    char *kind = strtok_r(buf, ":", &save);
    if (kind && strcmp(kind, "nn") == 0) {
        char *met = strtok_r(NULL, ":", &save);
        if (!met || strtok_r(NULL, ":", &save) || parse_metric(met, &s->metric))
            return imp_err_set(err, IMP_EINPUT,
                               "strategy '%s': AGG '%s' should be nn:METRIC with METRIC one of %s",
                               text, agg, imp_metric_names(", "));
        s->agg = IMP_AGG_NN;
        s->m = 1;
        return 0;
    }
    if (kind && strcmp(kind, "mnn") == 0) {
        char *ms = strtok_r(NULL, ":", &save);
        char *met = strtok_r(NULL, ":", &save);
        char *w = strtok_r(NULL, ":", &save);
        char *end = NULL;
        long m = ms ? strtol(ms, &end, 10) : 0;
        if (!ms || *end || m < 1 || m > 1000000 || !met || !w || strtok_r(NULL, ":", &save))
            return imp_err_set(err, IMP_EINPUT,
                               "strategy '%s': AGG '%s' should be mnn:M:METRIC:WEIGHT with "
                               "M >= 1, METRIC one of %s, WEIGHT uniform or distance",
                               text, agg, imp_metric_names(", "));
        if (parse_metric(met, &s->metric))
            return imp_err_set(err, IMP_EINPUT,
                               "strategy '%s': unknown metric '%s' (expected %s)", text, met,
                               imp_metric_names(", "));
        if (strcmp(w, "uniform") == 0)
            s->weight = IMP_WEIGHT_UNIFORM;
        else if (strcmp(w, "distance") == 0)
            s->weight = IMP_WEIGHT_DISTANCE;
        else
            return imp_err_set(err, IMP_EINPUT,
                               "strategy '%s': unknown weighting '%s' (expected uniform or "
                               "distance)", text, w);
        s->agg = IMP_AGG_MNN;
        s->m = (int)m;
        return 0;
    }
    return imp_err_set(err, IMP_EINPUT,
                       "strategy '%s': unknown AGG '%s' (expected max, nn:METRIC or "
                       "mnn:M:METRIC:WEIGHT)", text, agg);
}

int imp_strategy_parse(const char *text, imp_strategy *out, imp_err *err)
{
    char buf[256];
    if (!text || strlen(text) >= sizeof buf)
        return imp_err_set(err, IMP_EINPUT, "strategy '%s': too long", text ? text : "(null)");
    strcpy(buf, text);
    char *parts[5];
    int np = 0;
    for (char *p = buf;; np++) {
        char *slash = strchr(p, '/');
        if (np < 5)
            parts[np] = p;
        if (!slash) {
            np++;
            break;
        }
        *slash = '\0';
        p = slash + 1;
    }
    if (np != 5)
        return imp_err_set(err, IMP_EINPUT,
                           "strategy '%s': expected 5 parts PRE/GEN/POST/INF/AGG, e.g. "
                           "l2/kmeans/l2/l2/max", text);
    imp_strategy s = {0};
    if (parse_norm(parts[0], 0, &s.pre))
        return imp_err_set(err, IMP_EINPUT,
                           "strategy '%s': unknown PRE '%s' (expected none or l2)", text, parts[0]);
    int g = imp_gen_from_name(parts[1]);
    if (g < 0)
        return imp_err_set(err, IMP_EINPUT,
                           "strategy '%s': unknown GEN '%s' (expected one of %s)", text, parts[1],
                           imp_gen_names(", "));
    s.gen = (imp_gen)g;
    if (parse_norm(parts[2], 1, &s.post))
        return imp_err_set(err, IMP_EINPUT,
                           "strategy '%s': unknown POST '%s' (expected none, l2 or quantile)", text,
                           parts[2]);
    if (parse_norm(parts[3], 0, &s.inf))
        return imp_err_set(err, IMP_EINPUT,
                           "strategy '%s': unknown INF '%s' (expected none or l2)", text, parts[3]);
    int rc = parse_agg(text, parts[4], &s, err);
    if (rc)
        return rc;
    *out = s;
    return 0;
}

char *imp_strategy_format(const imp_strategy *s, char *buf, size_t n)
{
    char agg[96];
    switch (s->agg) {
    case IMP_AGG_MAX: snprintf(agg, sizeof agg, "max"); break;
    case IMP_AGG_NN: snprintf(agg, sizeof agg, "nn:%s", metric_table[s->metric].name); break;
    case IMP_AGG_MNN:
        snprintf(agg, sizeof agg, "mnn:%d:%s:%s", s->m, metric_table[s->metric].name,
                 s->weight == IMP_WEIGHT_DISTANCE ? "distance" : "uniform");
        break;
    }
    snprintf(buf, n, "%s/%s/%s/%s/%s", norm_names[s->pre], gen_table[s->gen].name, norm_names[s->post],
             norm_names[s->inf], agg);
    return buf;
}

int imp_strategy_uses_seed(const imp_strategy *s, int k, int shot)
{
    if (shot >= 0)
        return 1;
    int seed = gen_table[s->gen].seed;
    return seed == IMP_SEED_ALWAYS || (seed == IMP_SEED_UNLESS_K1 && k != 1);
}

/* "mean and ls only at k = 1", "all only at k = -1": the GEN's fixed k in words */
static const char *fixed_k_reason(imp_gen g)
{
    static char text[2][IMP_GEN__COUNT][96];
    int fk = gen_table[g].fixed_k, w = fk < 0;
    if (!text[w][g][0]) {
        size_t o = 0;
        for (int i = 0, n = 0; i < IMP_GEN__COUNT; i++)
            if (gen_table[i].fixed_k == fk)
                o += (size_t)snprintf(text[w][g] + o, sizeof text[w][g] - o, "%s%s",
                                      n++ ? " and " : "", gen_table[i].name);
        snprintf(text[w][g] + o, sizeof text[w][g] - o, " only at k = %d", fk);
    }
    return text[w][g];
}

const char *imp_strategy_fixed_k_reason(const imp_strategy *s)
{
    return gen_table[s->gen].fixed_k ? fixed_k_reason(s->gen) : NULL;
}

int imp_strategy_cell_valid(const imp_strategy *s, int k, int shot, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    (void)shot;
    if (s->pre != IMP_NORM_NONE && s->pre != s->inf) {
        *why = "NORMpre other than none needs NORMinf = NORMpre";
        return 0;
    }
    if (k == 0 || k < -1) {
        *why = "k must be >= 1 or -1";
        return 0;
    }
    int fk = gen_table[s->gen].fixed_k;
    if (fk && k != fk) {
        *why = fixed_k_reason(s->gen);
        return 0;
    }
    if (fk != -1 && k == -1) {
        *why = "k = -1 only for all";
        return 0;
    }
    if (s->agg == IMP_AGG_MNN && k > 0 && s->m > 10 * k) {
        *why = "mnn with m > 10*k";
        return 0;
    }
    return 1;
}

int imp_strategy_row(const imp_strategy *s, int64_t k, int64_t shot, int64_t *k_eff,
                     const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (k == 0 || k < -1) {
        *why = "k must be >= 1 or -1";
        return 0;
    }
    if (shot == 0 || shot < -1) {
        *why = "shot must be >= 1 or all";
        return 0;
    }
    if (s->agg == IMP_AGG_MNN && k > 0 && s->m > 10 * k) {
        *why = "mnn with m > 10*k";
        return 0;
    }
    /* rules 7–9: a fixed k of 1 (mean, ls) first, then k = -1 only where the GEN fixes it */
    int fk = gen_table[s->gen].fixed_k;
    int64_t e = fk == 1 ? 1 : k;
    if (e == -1 && fk != -1) {
        *why = "k = -1 only for all";
        return 0;
    }
    if (fk == -1)
        e = -1;
    if (s->pre != IMP_NORM_NONE && s->pre != s->inf) {
        *why = "NORMpre other than none needs NORMinf = NORMpre";
        return 0;
    }
    if (shot != -1 && shot < e)
        e = shot;
    *k_eff = e;
    return 1;
}

size_t imp_class_size_note(const imp_strategy *s, int64_t k_eff, int64_t shot,
                           const size_t *rows, size_t n_classes, char *buf, size_t n)
{
    size_t n_shot = 0, n_k = 0, min_rows = SIZE_MAX, min_used = SIZE_MAX;
    int k_matters = k_eff > 1 && !gen_table[s->gen].fixed_k;
    for (size_t c = 0; c < n_classes; c++) {
        size_t used = shot > 0 && (size_t)shot < rows[c] ? (size_t)shot : rows[c];
        if (shot > 0 && rows[c] < (size_t)shot) {
            n_shot++;
            min_rows = rows[c] < min_rows ? rows[c] : min_rows;
        }
        if (k_matters && used < (size_t)k_eff) {
            n_k++;
            min_used = used < min_used ? used : min_used;
        }
    }
    int len = 0;
    if (n)
        buf[0] = '\0';
    if (n_shot)
        len = snprintf(buf, n, "shot = %lld is more than the training rows of %zu of the %zu "
                       "classes (the fewest: %zu): each such class is used whole",
                       (long long)shot, n_shot, n_classes, min_rows);
    if (n_k && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, "%sk = %lld is more than the %s rows of "
                        "%zu of the %zu classes (the fewest: %zu): %s", len ? "; " : "",
                        (long long)k_eff, shot > 0 ? "drawn" : "training", n_k, n_classes,
                        min_used,
                        s->gen == IMP_GEN_KLS ? "kls keeps every row of such a class as a "
                                                "proxy, unchanged"
                                              : "every row of such a class becomes a proxy");
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n ? n - 1 : 0;
}
