/* strategy.c — parse and print strategies; the reference's per-cell grid rules. */
#include "imprint/strategy.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/words.h"

static const imp_gen_info gen_table[IMP_GEN__COUNT] = {
#define IMP__GEN_ROW(e, name, k, seed, lsq, cost, kernel) {name, k, seed, lsq, cost},
    IMP_GEN_MAP(IMP__GEN_ROW)
#undef IMP__GEN_ROW
};
static const imp_metric_info metric_table[IMP_METRIC__COUNT] = {
#define IMP__METRIC_ROW(e, name, nn, space, form, cost) {name, nn, space, form, cost},
    IMP_METRIC_MAP(IMP__METRIC_ROW)
#undef IMP__METRIC_ROW
};
static const imp_agg_info agg_table[IMP_AGG__COUNT] = {
#define IMP__AGG_ROW(e, name, m, metric, weighted) {name, m, metric, weighted},
    IMP_AGG_MAP(IMP__AGG_ROW)
#undef IMP__AGG_ROW
};
static const struct {
    const char *name;
    int parts;
} norm_table[IMP_NORM__COUNT] = {
#define IMP__NORM_ROW(e, name, parts) {name, parts},
    IMP_NORM_MAP(IMP__NORM_ROW)
#undef IMP__NORM_ROW
};
static const char *const weight_names[IMP_WEIGHT__COUNT] = {
#define IMP__WEIGHT_ROW(e, name) name,
    IMP_WEIGHT_MAP(IMP__WEIGHT_ROW)
#undef IMP__WEIGHT_ROW
};

const imp_gen_info *imp_gen_info_of(imp_gen g) { return &gen_table[g]; }
const imp_metric_info *imp_metric_info_of(imp_metric m) { return &metric_table[m]; }
const imp_agg_info *imp_agg_info_of(imp_agg a) { return &agg_table[a]; }
const char *imp_norm_name(imp_norm n) { return norm_table[n].name; }
const char *imp_gen_name(imp_gen g) { return gen_table[g].name; }
const char *imp_metric_name(imp_metric m) { return metric_table[m].name; }
const char *imp_agg_name(imp_agg a) { return agg_table[a].name; }
const char *imp_weight_name(imp_weight w) { return weight_names[w]; }

int imp_gen_from_name(const char *name)
{
    for (int i = 0; i < IMP_GEN__COUNT; i++)
        if (strcmp(name, gen_table[i].name) == 0)
            return i;
    return -1;
}

int imp_default_k(imp_gen gen)
{
    return gen_table[gen].fixed_k ? gen_table[gen].fixed_k : IMP_DEFAULT_K;
}

imp_metric imp_strategy_metric(const imp_strategy *s)
{
    int fixed = agg_table[s->agg].metric;
    return fixed >= 0 ? (imp_metric)fixed : s->metric;
}

int imp_strategy_norms_agree(const imp_strategy *s)
{
    return s->pre == IMP_NORM_NONE || s->pre == s->inf;
}

int imp_strategy_same_gen(const imp_strategy *a, const imp_strategy *b)
{
    return a->pre == b->pre && a->gen == b->gen;
}

/* ---- name lists for help and error text ------------------------------------------------ */

/* The lists below: which table, and which of its rows (arg: a filter's parameter). */
enum { L_GEN, L_GEN_FIXING_K, L_GEN_LSQ, L_METRIC, L_NORM, L_WEIGHT, L_AGG };
enum { S_BAR, S_SLASH, S_COMMA, S_OR, S__COUNT };
/* list_row walks row numbers below LIST_ROWS; every table fits, or a list would drop rows */
#define LIST_ROWS 64
_Static_assert(IMP_GEN__COUNT <= LIST_ROWS && IMP_METRIC__COUNT <= LIST_ROWS &&
                   IMP_NORM__COUNT <= LIST_ROWS && IMP_WEIGHT__COUNT <= LIST_ROWS &&
                   IMP_AGG__COUNT <= LIST_ROWS,
               "a strategy table has more rows than a name list walks");

/* the AGG's text form ("mnn:M:METRIC:WEIGHT") into buf */
static const char *agg_form(int a, char *buf, size_t n)
{
    const imp_agg_info *r = &agg_table[a];
    snprintf(buf, n, "%s%s%s%s", r->name, r->m < 0 ? ":M" : "", r->metric < 0 ? ":METRIC" : "",
             r->weighted ? ":WEIGHT" : "");
    return buf;
}

/* row i of list l, or NULL when the list's filter leaves it out */
static const char *list_row(int l, int arg, int i, char *buf, size_t n)
{
    switch (l) {
    case L_GEN: return i < IMP_GEN__COUNT ? gen_table[i].name : NULL;
    case L_GEN_FIXING_K:
        return i < IMP_GEN__COUNT && gen_table[i].fixed_k == arg ? gen_table[i].name : NULL;
    case L_GEN_LSQ: return i < IMP_GEN__COUNT && gen_table[i].lsq ? gen_table[i].name : NULL;
    case L_METRIC:
        return i < IMP_METRIC__COUNT && metric_table[i].for_nn ? metric_table[i].name : NULL;
    case L_NORM:
        return i < IMP_NORM__COUNT && (norm_table[i].parts & arg) ? norm_table[i].name : NULL;
    case L_WEIGHT: return i < IMP_WEIGHT__COUNT ? weight_names[i] : NULL;
    case L_AGG: return i < IMP_AGG__COUNT ? agg_form(i, buf, n) : NULL;
    }
    return NULL;
}

/* The fixed k a GEN may have are the two imp_gen_names_fixing_k keeps a list for. */
#define FIXED_K_LISTED(e, name, k, seed, lsq, cost, kernel)                                      \
    _Static_assert((k) == 0 || (k) == 1 || (k) == -1,                                           \
                   "GEN " name ": imp_gen_names_fixing_k lists only k = 1 and k = -1");
IMP_GEN_MAP(FIXED_K_LISTED)
#undef FIXED_K_LISTED

/* The rows of list l joined in style st into buf (n bytes; imp_words_join_all stops the program
 * rather than cut a list short, so a table that outgrows its buffer fails every test). */
static void join(char *buf, size_t n, int l, int arg, int st)
{
    static const char *const sep[S__COUNT] = {[S_BAR] = "|", [S_SLASH] = "/",
                                              [S_COMMA] = ", ", [S_OR] = " or "};
    char form[LIST_ROWS][40];
    const char *row[LIST_ROWS];
    size_t nr = 0;
    for (int i = 0; i < LIST_ROWS; i++)
        if ((row[nr] = list_row(l, arg, i, form[nr], sizeof form[nr])))
            nr++;
    imp_words_join_all(buf, n, row, nr, sep[st]);
}

/* Every list in every style, built once (pthread_once) before the first is read: the tables
 * are constant, and a caller on any thread (a strategy's error text) reads a finished list. */
enum { NORM_SETS = (IMP_PART_PRE | IMP_PART_POST | IMP_PART_INF) + 1 };
static struct {
    char gen[S__COUNT][256];
    char gen_fixing_k[2][S__COUNT][128]; /* k = 1 and k = -1, the fixed k there are */
    char gen_lsq[S__COUNT][128];
    char metric[S__COUNT][256];
    char norm[NORM_SETS][S__COUNT][128]; /* by the set of parts a name may stand in */
    char weight[S__COUNT][128];
    char agg[S__COUNT][256];
} lists;
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

static void build_lists(void)
{
#define JOIN(b, l, arg, st) join(b, sizeof b, l, arg, st)
    for (int st = 0; st < S__COUNT; st++) {
        JOIN(lists.gen[st], L_GEN, 0, st);
        JOIN(lists.gen_fixing_k[0][st], L_GEN_FIXING_K, 1, st);
        JOIN(lists.gen_fixing_k[1][st], L_GEN_FIXING_K, -1, st);
        JOIN(lists.gen_lsq[st], L_GEN_LSQ, 0, st);
        JOIN(lists.metric[st], L_METRIC, 0, st);
        for (int part = 0; part < NORM_SETS; part++)
            JOIN(lists.norm[part][st], L_NORM, part, st);
        JOIN(lists.weight[st], L_WEIGHT, 0, st);
        JOIN(lists.agg[st], L_AGG, 0, st);
    }
#undef JOIN
}

static int style_of(const char *sep)
{
    pthread_once(&lists_once, build_lists);
    return strcmp(sep, "|") == 0    ? S_BAR
           : strcmp(sep, "/") == 0  ? S_SLASH
           : strcmp(sep, " or ") == 0 ? S_OR : S_COMMA;
}

const char *imp_gen_names(const char *sep) { return lists.gen[style_of(sep)]; }

const char *imp_gen_names_fixing_k(int k, const char *sep)
{
    int st = style_of(sep);
    return k == 1 || k == -1 ? lists.gen_fixing_k[k < 0][st] : "";
}

const char *imp_gen_names_lsq(const char *sep) { return lists.gen_lsq[style_of(sep)]; }

const char *imp_metric_names(const char *sep) { return lists.metric[style_of(sep)]; }

const char *imp_norm_names(int part, const char *sep)
{
    int st = style_of(sep);
    return lists.norm[part & (IMP_PART_PRE | IMP_PART_POST | IMP_PART_INF)][st];
}

const char *imp_weight_names(const char *sep) { return lists.weight[style_of(sep)]; }

const char *imp_agg_forms(const char *sep) { return lists.agg[style_of(sep)]; }

/* ---- parsing --------------------------------------------------------------------------- */

static int parse_norm(const char *part, int where, imp_norm *out)
{
    for (int i = 0; i < IMP_NORM__COUNT; i++)
        if ((norm_table[i].parts & where) && strcmp(part, norm_table[i].name) == 0) {
            *out = (imp_norm)i;
            return 0;
        }
    return -1;
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

static int parse_weight(const char *part, imp_weight *out)
{
    for (int i = 0; i < IMP_WEIGHT__COUNT; i++)
        if (strcmp(part, weight_names[i]) == 0) {
            *out = (imp_weight)i;
            return 0;
        }
    return -1;
}

/* "with M >= 1, METRIC one of …, WEIGHT uniform or distance": the fields of an AGG's form */
static const char *agg_fields(const imp_agg_info *r, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s%s", r->m < 0 ? "M >= 1, " : "",
             r->metric < 0 ? "METRIC one of " : "", r->metric < 0 ? imp_metric_names(", ") : "",
             r->weighted ? ", WEIGHT " : "", r->weighted ? imp_weight_names(" or ") : "");
    return buf;
}

/* AGG text: a row's name, then the fields its columns ask for, in the order M, METRIC, WEIGHT.
 * A malformed text names the form; a well-formed one with an unknown metric or weight names
 * that word (where the form has more than one field, so the word's place is not obvious). */
static int parse_agg(const char *text, const char *agg, imp_strategy *s, imp_err *err)
{
    char buf[128], form[64], fields[256];
    if (strlen(agg) >= sizeof buf)
        return imp_err_set(err, IMP_EINPUT, "strategy '%s': AGG part too long", text);
    strcpy(buf, agg);
    char *save = NULL;
    char *kind = strtok_r(buf, ":", &save);
    int a = 0;
    while (a < IMP_AGG__COUNT && !(kind && strcmp(kind, agg_table[a].name) == 0))
        a++;
    if (a == IMP_AGG__COUNT)
        return imp_err_set(err, IMP_EINPUT, "strategy '%s': unknown AGG '%s' (expected %s)",
                           text, agg, imp_agg_forms(" or "));
    const imp_agg_info *r = &agg_table[a];
    char *ms = r->m < 0 ? strtok_r(NULL, ":", &save) : NULL;
    char *met = r->metric < 0 ? strtok_r(NULL, ":", &save) : NULL;
    char *w = r->weighted ? strtok_r(NULL, ":", &save) : NULL;
    char *end = NULL;
    long m = ms ? strtol(ms, &end, 10) : r->m;
    int fields_given = r->m < 0 || r->metric < 0 || r->weighted;
    int many = (r->m < 0) + (r->metric < 0) + r->weighted > 1;
    imp_metric metric = r->metric >= 0 ? (imp_metric)r->metric : IMP_METRIC_INNER;
    imp_weight weight = IMP_WEIGHT_UNIFORM;
    if ((r->m < 0 && (!ms || *end || m < 1 || m > 1000000)) || (r->metric < 0 && !met) ||
        (r->weighted && !w) || strtok_r(NULL, ":", &save) ||
        (met && !many && parse_metric(met, &metric)))
        return imp_err_set(err, IMP_EINPUT, "strategy '%s': AGG '%s' should be %s%s%s", text,
                           agg, agg_form(a, form, sizeof form), fields_given ? " with " : "",
                           agg_fields(r, fields, sizeof fields));
    if (met && many && parse_metric(met, &metric))
        return imp_err_set(err, IMP_EINPUT, "strategy '%s': unknown metric '%s' (expected %s)",
                           text, met, imp_metric_names(", "));
    if (w && parse_weight(w, &weight))
        return imp_err_set(err, IMP_EINPUT,
                           "strategy '%s': unknown weighting '%s' (expected %s)", text, w,
                           imp_weight_names(" or "));
    s->agg = (imp_agg)a;
    s->m = (int)m;
    s->metric = metric;
    s->weight = weight;
    return 0;
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
    if (parse_norm(parts[0], IMP_PART_PRE, &s.pre))
        return imp_err_set(err, IMP_EINPUT, "strategy '%s': unknown PRE '%s' (expected %s)", text,
                           parts[0], imp_norm_names(IMP_PART_PRE, " or "));
    int g = imp_gen_from_name(parts[1]);
    if (g < 0)
        return imp_err_set(err, IMP_EINPUT,
                           "strategy '%s': unknown GEN '%s' (expected one of %s)", text, parts[1],
                           imp_gen_names(", "));
    s.gen = (imp_gen)g;
    if (parse_norm(parts[2], IMP_PART_POST, &s.post))
        return imp_err_set(err, IMP_EINPUT, "strategy '%s': unknown POST '%s' (expected %s)",
                           text, parts[2], imp_norm_names(IMP_PART_POST, " or "));
    if (parse_norm(parts[3], IMP_PART_INF, &s.inf))
        return imp_err_set(err, IMP_EINPUT, "strategy '%s': unknown INF '%s' (expected %s)", text,
                           parts[3], imp_norm_names(IMP_PART_INF, " or "));
    int rc = parse_agg(text, parts[4], &s, err);
    if (rc)
        return rc;
    *out = s;
    return 0;
}

char *imp_strategy_format(const imp_strategy *s, char *buf, size_t n)
{
    const imp_agg_info *r = &agg_table[s->agg];
    char m[24] = "", metric[40] = "", weight[40] = "";
    if (r->m < 0)
        snprintf(m, sizeof m, ":%d", s->m);
    if (r->metric < 0)
        snprintf(metric, sizeof metric, ":%s", metric_table[s->metric].name);
    if (r->weighted)
        snprintf(weight, sizeof weight, ":%s", weight_names[s->weight]);
    snprintf(buf, n, "%s/%s/%s/%s/%s%s%s%s", norm_table[s->pre].name, gen_table[s->gen].name,
             norm_table[s->post].name, norm_table[s->inf].name, r->name, m, metric, weight);
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
    if (!imp_strategy_norms_agree(s)) {
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
    if (!imp_strategy_norms_agree(s)) {
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
                        "%zu of the %zu classes (the fewest: %zu): %s%s", len ? "; " : "",
                        (long long)k_eff, shot > 0 ? "drawn" : "training", n_k, n_classes,
                        min_used, gen_table[s->gen].lsq ? gen_table[s->gen].name : "",
                        gen_table[s->gen].lsq ? " keeps every row of such a class as a proxy, "
                                                "unchanged"
                                              : "every row of such a class becomes a proxy");
    return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n ? n - 1 : 0;
}
