/* cellkey.c — cells by value: key lines from a grid, its job and its store (λ, fingerprints),
 * the grid's identity, and classifying journal keys the grid no longer holds. */
#include "imprint/cellkey.h"

#include <stdlib.h>
#include <string.h>

#include "imprint/hash64.h"
#include "imprint/store.h"

struct imp_cellkeys {
    const imp_grid *g;
    char **ctx;    /* per (model, task): "c1\t<model>\t<task>\t<taskdef hash>" */
    char **store;  /* per (model, task): "ds:<fp>[,ds:<fp>]" */
    char **lambda; /* per model: "%.17g" */
    uint64_t *hash; /* per cell, 0 for n/a */
    uint64_t grid_id;
    size_t n_fp, n_fp_cached;
    double fp_seconds;
};

/* ---- building ---------------------------------------------------------------------------- */

/* s with \, tab and newline escaped, appended to b (room n). */
static void put_escaped(char *b, size_t n, const char *s)
{
    size_t o = strlen(b);
    for (; *s && o + 3 < n; s++) {
        char c = *s;
        if (c == '\\' || c == '\t' || c == '\n') {
            b[o++] = '\\';
            c = c == '\t' ? 't' : c == '\n' ? 'n' : '\\';
        }
        b[o++] = c;
    }
    b[o] = '\0';
}

/* The axes the key line names in fields of their own (cellkey.h). Any other axis of the table
 * joins the seed field as ":<name>=<value>" when the cell's value is not the axis's default, so
 * keys written before the axis existed are its default cells' keys. */
static int own_field(int ax)
{
    return ax == IMP_AX_MODEL || ax == IMP_AX_TASK || ax == IMP_AX_STRATEGY || ax == IMP_AX_K ||
           ax == IMP_AX_SHOT || ax == IMP_AX_SEED;
}

static int at_default(const imp_grid *g, int ax, size_t i)
{
    const imp_axis_info *in = imp_axis_info_of(ax);
    return in->kind == IMP_AXK_INT && in->dflt != IMP_AXIS_REQUIRED &&
           imp_axis_int(&g->axes, ax, i) == in->dflt;
}

size_t imp_cellkeys_text(const void *keys, uint64_t cell, char *buf, size_t n, uint64_t *hash)
{
    const imp_cellkeys *k = keys;
    const imp_grid *g = k->g;
    int64_t k_eff;
    if (cell >= g->n_cells || !imp_grid_cell_valid(g, (size_t)cell, &k_eff, NULL))
        return 0;
    imp_cell c;
    imp_grid_cell_coords(g, (size_t)cell, &c);
    size_t idx[IMP_AX__COUNT];
    imp_axes_cell_coords(&g->axes, cell, idx);
    char shot[24], seed[IMP_CELLKEY_MAX], vb[24];
    imp_axis_value(&g->axes, IMP_AX_SHOT, c.shot, shot, sizeof shot);
    size_t sl = (size_t)snprintf(seed, sizeof seed, "%lld", (long long)g->seed[c.seed]);
    for (int ax = 0; ax < IMP_AX__COUNT && sl < sizeof seed; ax++)
        if (!own_field(ax) && !at_default(g, ax, idx[ax]))
            sl += (size_t)snprintf(seed + sl, sizeof seed - sl, ":%s=%s", imp_axis_name(ax),
                                   imp_axis_value(&g->axes, ax, idx[ax], vb, sizeof vb));
    size_t mt = c.model * g->n_task + c.task;
    int len = snprintf(buf, n, "%s\t%s\t%lld\t%s\t%s\t%s\t%s", k->ctx[mt],
                       g->strategy[c.strategy], (long long)k_eff, shot, seed,
                       imp_gen_info_of(g->strat[c.strategy].gen)->lsq ? k->lambda[c.model] : "-",
                       k->store[mt]);
    if (len < 0 || (size_t)len >= n)
        return 0;
    if (hash) {
        *hash = imp_hash64(buf, (size_t)len);
        if (*hash == 0)
            *hash = 1;
    }
    return (size_t)len;
}

void imp_cellkeys_free(imp_cellkeys *k)
{
    if (!k)
        return;
    size_t nmt = k->g->n_model * k->g->n_task;
    for (size_t i = 0; k->ctx && i < nmt; i++)
        free(k->ctx[i]);
    for (size_t i = 0; k->store && i < nmt; i++)
        free(k->store[i]);
    for (size_t i = 0; k->lambda && i < k->g->n_model; i++)
        free(k->lambda[i]);
    free(k->ctx);
    free(k->store);
    free(k->lambda);
    free(k->hash);
    free(k);
}

/* Fingerprints already taken in this build, so a dataset shared by several tasks is hashed
 * once. */
typedef struct fp_memo {
    size_t n;
    struct {
        const char *model, *dataset;
        uint64_t fp;
    } e[64];
} fp_memo;

static int fingerprint(const imp_job *job, const char *model, const char *dataset, int flags,
                       FILE *note, fp_memo *memo, imp_cellkeys *k, uint64_t *fp, imp_err *err)
{
    for (size_t i = 0; i < memo->n; i++)
        if (strcmp(memo->e[i].model, model) == 0 && strcmp(memo->e[i].dataset, dataset) == 0) {
            *fp = memo->e[i].fp;
            return 0;
        }
    imp_store_fp f;
    size_t n = strlen(job->cube_path) + sizeof IMP_FP_CACHE_SUFFIX;
    char *cache = malloc(n);
    if (!cache)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    snprintf(cache, n, "%s%s", job->cube_path, IMP_FP_CACHE_SUFFIX);
    int rc = imp_store_fingerprint(job->store_path, model, dataset, cache, flags, &f, err);
    if (rc) {
        free(cache);
        return rc;
    }
    k->n_fp++;
    k->n_fp_cached += f.from_cache;
    k->fp_seconds += f.seconds;
    if (note && !f.from_cache)
        fprintf(note, "store: fingerprinted /%s/%s in %.2f s (%s%s)\n", model, dataset,
                f.seconds, f.wrote_cache ? "cached in " : "not cached: cannot write ",
                cache);
    free(cache);
    if (memo->n < sizeof memo->e / sizeof memo->e[0]) {
        memo->e[memo->n].model = model;
        memo->e[memo->n].dataset = dataset;
        memo->e[memo->n++].fp = f.full;
    }
    *fp = f.full;
    return 0;
}

int imp_cellkeys_from_store(const imp_job *job, const imp_grid *g, int fp_flags, FILE *note,
                            imp_cellkeys **out, imp_err *err)
{
    *out = NULL;
    imp_cellkeys *k = calloc(1, sizeof *k);
    if (!k)
        return imp_err_set(err, IMP_ENOMEM, "out of memory for cell keys");
    k->g = g;
    size_t nmt = g->n_model * g->n_task;
    k->ctx = calloc(nmt, sizeof *k->ctx);
    k->store = calloc(nmt, sizeof *k->store);
    k->lambda = calloc(g->n_model, sizeof *k->lambda);
    k->hash = calloc(g->n_cells ? g->n_cells : 1, sizeof *k->hash);
    if (!k->ctx || !k->store || !k->lambda || !k->hash) {
        imp_cellkeys_free(k);
        return imp_err_set(err, IMP_ENOMEM, "out of memory for the keys of %zu cells",
                           g->n_cells);
    }
    imp_store *st = NULL;
    int rc = imp_store_open(job->store_path, &st, err);
    for (size_t m = 0; !rc && m < g->n_model; m++) {
        double lam;
        if (!imp_job_lambda(job, g->model[m], &lam))
            lam = imp_store_lambda(st, g->model[m]);
        char tmp[32];
        for (int prec = 1; prec <= 17; prec++) { /* the shortest text that reads back exactly */
            snprintf(tmp, sizeof tmp, "%.*g", prec, lam);
            if (strtod(tmp, NULL) == lam)
                break;
        }
        if (!(k->lambda[m] = strdup(tmp)))
            rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    imp_store_close(st); /* the fingerprints open the file themselves */
    fp_memo memo = {0};
    for (size_t m = 0; !rc && m < g->n_model; m++) {
        for (size_t t = 0; !rc && t < g->n_task; t++) {
            const imp_task *tk = &job->tasks[t];
            char line[IMP_CELLKEY_MAX] = "c1\t";
            put_escaped(line, sizeof line, g->model[m]);
            strcat(line, "\t");
            put_escaped(line, sizeof line, g->task[t]);
            uint64_t dh = imp_hash64(g->task_def[t], strlen(g->task_def[t]));
            snprintf(line + strlen(line), sizeof line - strlen(line), "\t%016llx",
                     (unsigned long long)dh);
            char fps[IMP_CELLKEY_MAX] = "";
            for (size_t d = 0; !rc && d < tk->n_datasets; d++) {
                uint64_t fp = 0;
                rc = fingerprint(job, g->model[m], tk->datasets[d], fp_flags, note, &memo, k, &fp,
                                 err);
                if (!rc) {
                    if (d)
                        strcat(fps, ",");
                    put_escaped(fps, sizeof fps - 20, tk->datasets[d]);
                    snprintf(fps + strlen(fps), sizeof fps - strlen(fps), ":%016llx",
                             (unsigned long long)fp);
                }
            }
            size_t mt = m * g->n_task + t;
            if (!rc && (!(k->ctx[mt] = strdup(line)) || !(k->store[mt] = strdup(fps))))
                rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
        }
    }
    imp_hash64_state id;
    imp_hash64_init(&id);
    char buf[IMP_CELLKEY_MAX];
    for (size_t c = 0; !rc && c < g->n_cells; c++) {
        int64_t ke;
        if (!imp_grid_cell_valid(g, c, &ke, NULL))
            continue;
        if (imp_cellkeys_text(k, c, buf, sizeof buf, &k->hash[c]) == 0)
            rc = imp_err_set(err, IMP_EINPUT, "%s: the key of cell %zu is longer than %d bytes "
                             "(model, task or dataset names too long)", job->name, c,
                             IMP_CELLKEY_MAX - 1);
        imp_hash64_update(&id, &k->hash[c], sizeof k->hash[c]);
    }
    if (rc) {
        imp_cellkeys_free(k);
        return rc;
    }
    k->grid_id = imp_hash64_digest(&id);
    *out = k;
    return 0;
}

uint64_t imp_cellkeys_grid_id(const imp_cellkeys *k) { return k->grid_id; }

void imp_cellkeys_fill_cube(const imp_cellkeys *k, imp_cube *cube)
{
    for (uint64_t c = 0; c < cube->n_cells && c < k->g->n_cells; c++)
        cube->key[c] = k->hash[c];
}

void imp_cellkeys_fp_stats(const imp_cellkeys *k, size_t *n, size_t *cached, double *seconds)
{
    *n = k->n_fp;
    *cached = k->n_fp_cached;
    *seconds = k->fp_seconds;
}

/* ---- reporting what the grid does not hold ------------------------------------------------ */

void imp_key_report_init(imp_key_report *r) { memset(r, 0, sizeof *r); }

void imp_key_report_free(imp_key_report *r)
{
    for (size_t i = 0; i < r->n_pending; i++)
        free(r->pending[i]);
    free(r->pending);
    free(r->reason);
    memset(r, 0, sizeof *r);
}

int imp_key_report_add(imp_key_report *r, const char *key, imp_err *err)
{
    if (r->n_pending == r->cap_pending) {
        size_t cap = r->cap_pending ? 2 * r->cap_pending : 64;
        char **np = realloc(r->pending, cap * sizeof *np);
        if (!np)
            return imp_err_set(err, IMP_ENOMEM, "out of memory for dropped journal keys");
        r->pending = np;
        r->cap_pending = cap;
    }
    if (!(r->pending[r->n_pending] = strdup(key)))
        return imp_err_set(err, IMP_ENOMEM, "out of memory for dropped journal keys");
    r->n_pending++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum { F_VER, F_MODEL, F_TASK, F_DEF, F_STRAT, F_KEFF, F_SHOT, F_SEED, F_LAMBDA, F_STORE, F__N };

/* Split a key line into its fields (in place); 0 if it has the expected count. */
static int split_key(char *line, char *f[F__N])
{
    int n = 0;
    for (char *p = line; n < F__N; n++) {
        f[n] = p;
        char *tab = strchr(p, '\t');
        if (!tab) {
            n++;
            break;
        }
        *tab = '\0';
        p = tab + 1;
    }
    return n == F__N && strcmp(f[F_VER], "c1") == 0 ? 0 : -1;
}

static size_t find_name(char *const *names, size_t n, const char *escaped)
{
    char buf[IMP_CELLKEY_MAX];
    for (size_t i = 0; i < n; i++) {
        buf[0] = '\0';
        put_escaped(buf, sizeof buf, names[i]);
        if (strcmp(buf, escaped) == 0)
            return i;
    }
    return n;
}

/* The store field's fingerprint of dataset ds ("" if absent) into out. */
static void store_fp_of(const char *field, const char *ds, char out[17])
{
    out[0] = '\0';
    size_t l = strlen(ds);
    for (const char *p = field; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == l + 17 && strncmp(p, ds, l) == 0 && p[l] == ':') {
            memcpy(out, p + l + 1, 16);
            out[16] = '\0';
            return;
        }
        p += n + (end ? 1 : 0);
    }
}

/* Why a key placed at a cell of the grid differs from the cell's key: that cell, or -1 when
 * the key has no place in the grid (dropped). */
static int64_t classify(const imp_cellkeys *k, char *key, char *why, size_t n)
{
    const imp_grid *g = k->g;
    char *f[F__N];
    why[0] = '\0';
    if (split_key(key, f) != 0)
        return -1;
    size_t m = find_name(g->model, g->n_model, f[F_MODEL]);
    size_t t = find_name(g->task, g->n_task, f[F_TASK]);
    size_t s = 0;
    while (s < g->n_strategy && strcmp(g->strategy[s], f[F_STRAT]) != 0)
        s++;
    size_t sh = 0;
    for (; sh < g->n_shot; sh++) {
        char tmp[24];
        if (strcmp(imp_axis_value(&g->axes, IMP_AX_SHOT, sh, tmp, sizeof tmp), f[F_SHOT]) == 0)
            break;
    }
    if (m == g->n_model || t == g->n_task || s == g->n_strategy || sh == g->n_shot)
        return -1;
    long long ke = strtoll(f[F_KEFF], NULL, 10);
    size_t kk = 0;
    while (kk < g->n_k && g->k_eff[(s * g->n_k + kk) * g->n_shot + sh] != ke)
        kk++;
    if (kk == g->n_k)
        return -1;
    long long v = strtoll(f[F_SEED], NULL, 10);
    size_t sd = 0;
    while (sd < g->n_seed && g->seed[sd] != v)
        sd++;
    if (sd == g->n_seed)
        return -1;
    size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = m, [IMP_AX_TASK] = t, [IMP_AX_STRATEGY] = s,
                                 [IMP_AX_K] = kk, [IMP_AX_SHOT] = sh, [IMP_AX_SEED] = sd};
    for (int ax = 0; ax < IMP_AX__COUNT; ax++) { /* the other axes: in the seed field, or default */
        if (own_field(ax))
            continue;
        char tag[40], vb[24];
        snprintf(tag, sizeof tag, ":%s=", imp_axis_name(ax));
        const char *at = strstr(f[F_SEED], tag);
        size_t len = at ? strcspn(at + strlen(tag), ":") : 0, i = 0;
        for (; i < imp_axis_len(&g->axes, ax); i++) {
            const char *text = imp_axis_value(&g->axes, ax, i, vb, sizeof vb);
            if (at ? strlen(text) == len && strncmp(text, at + strlen(tag), len) == 0
                   : at_default(g, ax, i))
                break;
        }
        if (i == imp_axis_len(&g->axes, ax))
            return -1;
        idx[ax] = i;
    }
    size_t cell = (size_t)imp_axes_cell_index(&g->axes, idx);
    char cur[IMP_CELLKEY_MAX];
    if (imp_cellkeys_text(k, cell, cur, sizeof cur, NULL) == 0)
        return -1;
    char *cf[F__N];
    if (split_key(cur, cf) != 0)
        return -1;
    if (strcmp(cf[F_DEF], f[F_DEF]) != 0)
        snprintf(why, n, "the definition of task %s changed", g->task[t]);
    else if (strcmp(cf[F_LAMBDA], f[F_LAMBDA]) != 0)
        snprintf(why, n, "the lambda of %s changed (%s -> %s)", g->model[m], f[F_LAMBDA],
                 cf[F_LAMBDA]);
    else if (strcmp(cf[F_STORE], f[F_STORE]) != 0) {
        /* name the first dataset whose content changed */
        char *p = cf[F_STORE];
        snprintf(why, n, "the store content of %s changed", g->model[m]);
        while (*p) {
            char *end = strchr(p, ',');
            char *colon = strchr(p, ':');
            if (!colon || (end && colon > end))
                break;
            char ds[IMP_CELLKEY_MAX], was[17], now[17];
            size_t dl = (size_t)(colon - p);
            memcpy(ds, p, dl);
            ds[dl] = '\0';
            memcpy(now, colon + 1, 16);
            now[16] = '\0';
            store_fp_of(f[F_STORE], ds, was);
            if (strcmp(was, now) != 0) {
                snprintf(why, n, "%s of %s changed since these cells were computed", ds,
                         g->model[m]);
                break;
            }
            if (!end)
                break;
            p = end + 1;
        }
    } else {
        return -1; /* same values: a key this grid would write (cannot be unmatched) */
    }
    return (int64_t)cell;
}

int imp_key_report_finish(imp_key_report *r, const imp_cellkeys *k, const uint8_t *status,
                          imp_err *err)
{
    uint8_t *hit = calloc(k->g->n_cells ? k->g->n_cells : 1, 1);
    if (!hit)
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    if (r->n_pending > 1)
        qsort(r->pending, r->n_pending, sizeof *r->pending, cmp_str);
    size_t n = 0;
    for (size_t i = 0; i < r->n_pending; i++) {
        if (n && strcmp(r->pending[n - 1], r->pending[i]) == 0) {
            free(r->pending[i]);
            continue;
        }
        r->pending[n++] = r->pending[i];
    }
    r->n_pending = n;
    for (size_t i = 0; i < n; i++) {
        char why[256], copy[IMP_CELLKEY_MAX];
        snprintf(copy, sizeof copy, "%s", r->pending[i]);
        int64_t cell = classify(k, copy, why, sizeof why);
        if (cell < 0) {
            r->dropped++;
            continue;
        }
        /* an old result of a cell that has its new one already, or a second old key of a
         * cell counted before */
        if (status[cell] != IMP_CELL_PENDING || hit[cell])
            continue;
        hit[cell] = 1;
        r->invalidated++;
        r->invalidated_cells++;
        size_t j = 0;
        while (j < r->n_reason && strcmp(r->reason[j].text, why) != 0)
            j++;
        if (j == r->n_reason) {
            imp_key_reason *nr = realloc(r->reason, (r->n_reason + 1) * sizeof *nr);
            if (!nr) {
                free(hit);
                return imp_err_set(err, IMP_ENOMEM, "out of memory");
            }
            r->reason = nr;
            snprintf(r->reason[j].text, sizeof r->reason[j].text, "%s", why);
            r->reason[j].cells = 0;
            r->n_reason++;
        }
        r->reason[j].cells++;
    }
    free(hit);
    return 0;
}

static int collect_unmatched(const imp_journal_rec *rec, void *ud, imp_err *err)
{
    return imp_key_report_add(ud, rec->key, err);
}

int imp_cellkeys_apply_journal(imp_cube *cube, const char *path, imp_key_report *report,
                               imp_journal_info *info, imp_err *err)
{
    return imp_cube_apply_journal_ex(cube, path, report ? collect_unmatched : NULL, report, info,
                                     err);
}
