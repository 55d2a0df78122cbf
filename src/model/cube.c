/* cube.c — the result cube in memory: axes, dense per-cell arrays, applying results from the
 * journal, and status counts. (HDF5 file I/O: cube_hdf5.c; CSV and status text: cubeio.c.) */
#include "cube_priv.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/grid.h"
#include "imprint/version.h"

/* Allocate the arrays of a cube whose axes are set, filled as "no result" (pending). */
int imp__cube_alloc(imp_cube *c, imp_err *err)
{
    uint64_t n = imp_axes_n_cells(&c->axes);
    if (n == 0 || n > SIZE_MAX / sizeof(double))
        return imp_err_set(err, IMP_EINPUT, "cube: grid too large or empty");
    c->n_cells = n;
    c->status = malloc(n * sizeof *c->status);
    int ok = c->status != NULL;
#define ALLOC(ID, name, kind, units, doc) ok &= (c->name = malloc(n * sizeof *c->name)) != NULL;
    IMP_MEASURE_MAP(ALLOC)
#undef ALLOC
    c->message = calloc(n, sizeof *c->message);
    c->key = calloc(n, sizeof *c->key);
    if (!c->job)
        c->job = strdup("");
    if (!c->store)
        c->store = strdup("");
    if (!c->imprint_version)
        c->imprint_version = strdup(imp_version());
    if (!c->created)
        c->created = strdup("");
    if (!c->updated)
        c->updated = strdup("");
    if (!ok || !c->message || !c->key || !c->job || !c->store || !c->imprint_version ||
        !c->created || !c->updated)
        return imp_err_set(err, IMP_ENOMEM, "cube: out of memory for %llu cells",
                           (unsigned long long)n);
    memset(c->status, IMP_CELL_PENDING, n);
    for (int m = 0; m < IMP_MEASURE__COUNT; m++)
        imp__cube_measure_unknown(c, (imp_measure_id)m, 0, n);
    return 0;
}

void *imp_cube_measure(const imp_cube *c, imp_measure_id id)
{
    switch (id) {
#define CASE(ID, name, kind, units, doc)                                                               \
    case IMP_MEASURE_##ID:                                                                      \
        return c->name;
        IMP_MEASURE_MAP(CASE)
#undef CASE
    default:
        return NULL;
    }
}

void imp__cube_measure_unknown(imp_cube *c, imp_measure_id id, uint64_t from, uint64_t to)
{
    void *a = imp_cube_measure(c, id);
    switch (imp_measure_info_of(id)->kind) {
    case IMP_MK_F32:
        for (uint64_t i = from; i < to; i++)
            ((float *)a)[i] = NAN;
        break;
    case IMP_MK_F64:
        for (uint64_t i = from; i < to; i++)
            ((double *)a)[i] = NAN;
        break;
    case IMP_MK_I32:
    case IMP_MK_HOST:
        for (uint64_t i = from; i < to; i++)
            ((int32_t *)a)[i] = -1;
        break;
    }
}

int32_t imp_cube_host_index(imp_cube *c, const char *name, imp_err *err)
{
    if (!name[0])
        return -1;
    for (size_t i = c->n_host_name; i-- > 0;)
        if (strcmp(c->host_name[i], name) == 0)
            return (int32_t)i;
    char **nh = realloc(c->host_name, (c->n_host_name + 1) * sizeof *nh);
    char *copy = strdup(name);
    if (nh)
        c->host_name = nh;
    if (!nh || !copy || c->n_host_name >= INT32_MAX) {
        free(copy);
        imp_err_set(err, IMP_ENOMEM, "cube: out of memory for host names");
        return -1;
    }
    c->host_name[c->n_host_name] = copy;
    return (int32_t)c->n_host_name++;
}

int imp_cube_create(const imp_axes *axes, const uint8_t *valid, imp_cube **out,
                    imp_err *err)
{
    *out = NULL;
    imp_cube *c = calloc(1, sizeof *c);
    if (!c)
        return imp_err_set(err, IMP_ENOMEM, "cube: out of memory");
    int rc = imp_axes_copy(&c->axes, axes, err);
    if (rc == 0)
        rc = imp__cube_alloc(c, err);
    if (rc != 0) {
        imp_cube_free(c);
        return rc;
    }
    for (uint64_t i = 0; valid && i < c->n_cells; i++)
        if (!valid[i])
            c->status[i] = IMP_CELL_NA;
    *out = c;
    return 0;
}

int imp_cube_from_grid(const imp_job *job, const imp_grid *g, imp_cube **out, imp_err *err)
{
    uint8_t *valid = malloc(g->n_cells ? g->n_cells : 1);
    if (!valid)
        return imp_err_set(err, IMP_ENOMEM, "out of memory for %zu cells", g->n_cells);
    for (size_t c = 0; c < g->n_cells; c++)
        valid[c] = (uint8_t)imp_grid_cell_valid(g, c, NULL, NULL);
    int rc = imp_cube_create(&g->axes, valid, out, err);
    free(valid);
    if (!rc)
        rc = imp_cube_set_attrs(*out, job->text, job->store_path, g->hash, err);
    if (rc) {
        imp_cube_free(*out);
        *out = NULL;
    }
    return rc;
}

void imp_cube_free(imp_cube *c)
{
    if (!c)
        return;
    for (uint64_t i = 0; c->message && i < c->n_cells; i++)
        free(c->message[i]);
    free(c->message);
    free(c->status);
#define FREE(ID, name, kind, units, doc) free(c->name);
    IMP_MEASURE_MAP(FREE)
#undef FREE
    for (size_t i = 0; i < c->n_host_name; i++)
        free(c->host_name[i]);
    free(c->host_name);
    free(c->key);
    free(c->job);
    free(c->store);
    free(c->imprint_version);
    free(c->created);
    free(c->updated);
    imp_axes_free(&c->axes);
    free(c);
}

/* Replace *slot with a copy of s (NULL keeps it). */
int imp__cube_set_str(char **slot, const char *s, imp_err *err)
{
    if (!s)
        return 0;
    char *d = strdup(s);
    if (!d)
        return imp_err_set(err, IMP_ENOMEM, "cube: out of memory");
    free(*slot);
    *slot = d;
    return 0;
}

int imp_cube_set_attrs(imp_cube *c, const char *job, const char *store, uint64_t grid_hash,
                       imp_err *err)
{
    int rc = imp__cube_set_str(&c->job, job, err);
    if (rc == 0)
        rc = imp__cube_set_str(&c->store, store, err);
    c->grid_hash = grid_hash;
    return rc;
}

int imp_cube_apply(imp_cube *c, const imp_cell_result *r, imp_err *err)
{
    if (r->cell >= c->n_cells)
        return imp_err_set(err, IMP_EINPUT, "cube: result for cell %llu outside the grid of "
                           "%llu cells", (unsigned long long)r->cell,
                           (unsigned long long)c->n_cells);
    if (r->status != IMP_CELL_DONE && r->status != IMP_CELL_FAILED)
        return imp_err_set(err, IMP_EINPUT, "cube: result for cell %llu has status %u, expected "
                           "done or failed", (unsigned long long)r->cell, (unsigned)r->status);
    uint64_t i = r->cell;
    if (c->status[i] == IMP_CELL_NA)
        return imp_err_set(err, IMP_EINPUT, "cube: result for cell %llu, which is not a valid "
                           "cell of the grid (n/a)", (unsigned long long)i);
    char *msg = NULL;
    if (r->status == IMP_CELL_FAILED) {
        msg = strndup(r->message, IMP_CELL_MSG_MAX - 1);
        if (!msg)
            return imp_err_set(err, IMP_ENOMEM, "cube: out of memory");
    }
    imp_err herr;
    int32_t host = imp_cube_host_index(c, r->host, &herr);
    if (host < 0 && r->host[0]) {
        free(msg);
        return imp_err_set(err, IMP_ENOMEM, "%s", herr.msg);
    }
    free(c->message[i]);
    c->message[i] = msg;
    c->status[i] = r->status;
    /* every measure by the table; the ones that mean "how good" only for a done cell */
#define COPY_F32(name) c->name[i] = r->name;
#define COPY_I32(name) c->name[i] = r->name;
#define COPY_F64(name) c->name[i] = r->name;
#define COPY_HOST(name) c->name[i] = host;
#define COPY(ID, name, kind, units, doc) COPY_##kind(name)
    IMP_MEASURE_MAP(COPY)
#undef COPY
#undef COPY_F32
#undef COPY_I32
#undef COPY_F64
#undef COPY_HOST
    if (r->status != IMP_CELL_DONE)
        c->accuracy[i] = NAN, c->f1[i] = NAN;
    return 0;
}

struct imp_cube_keyindex {
    size_t n;
    struct key_cell {
        uint64_t hash, cell;
    } *e; /* sorted by hash */
};

static int cmp_key_cell(const void *a, const void *b)
{
    const struct key_cell *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->cell < y->cell ? -1 : x->cell > y->cell;
}

int imp_cube_keyindex_build(const imp_cube *c, imp_cube_keyindex **out, imp_err *err)
{
    imp_cube_keyindex *x = calloc(1, sizeof *x);
    size_t n = 0;
    for (uint64_t i = 0; i < c->n_cells; i++)
        n += c->key[i] != 0;
    if (!x || !(x->e = malloc((n ? n : 1) * sizeof *x->e))) {
        free(x);
        return imp_err_set(err, IMP_ENOMEM, "out of memory indexing %zu cell keys", n);
    }
    for (uint64_t i = 0; i < c->n_cells; i++)
        if (c->key[i])
            x->e[x->n++] = (struct key_cell){c->key[i], i};
    qsort(x->e, x->n, sizeof *x->e, cmp_key_cell);
    *out = x;
    return 0;
}

int64_t imp_cube_keyindex_find(const imp_cube_keyindex *x, uint64_t hash)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->e[mid].hash < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < x->n && x->e[lo].hash == hash ? (int64_t)x->e[lo].cell : -1;
}

size_t imp_cube_keyindex_size(const imp_cube_keyindex *x) { return x->n; }

void imp_cube_keyindex_free(imp_cube_keyindex *x)
{
    if (x) {
        free(x->e);
        free(x);
    }
}

typedef struct apply_ctx {
    imp_cube *cube;
    imp_cube_keyindex *idx;
    imp_journal_record_fn unmatched;
    void *ud;
    uint64_t n_unmatched;
    const char *path;
} apply_ctx;

static int apply_fn(const imp_journal_rec *rec, void *ud, imp_err *err)
{
    apply_ctx *a = ud;
    if (rec->key_len == 0)
        return imp_err_set(err, IMP_EINPUT, "%s: a version 1 journal (cells by grid index): "
                           "convert it with `imprint merge JOB.yaml` (the job that wrote it)",
                           a->path);
    int64_t cell = imp_cube_keyindex_find(a->idx, rec->key_hash);
    if (cell < 0) {
        a->n_unmatched++;
        return a->unmatched ? a->unmatched(rec, a->ud, err) : 0;
    }
    imp_cell_result r = rec->res;
    r.cell = (uint64_t)cell;
    return imp_cube_apply(a->cube, &r, err);
}

static int apply_journal(imp_cube *c, const char *path, uint64_t limit,
                         imp_journal_record_fn unmatched, void *ud, imp_journal_info *info,
                         imp_err *err)
{
    imp_journal_info local;
    if (!info)
        info = &local;
    apply_ctx a = {c, NULL, unmatched, ud, 0, path};
    int rc = imp_cube_keyindex_build(c, &a.idx, err);
    if (rc) {
        memset(info, 0, sizeof *info);
        return rc;
    }
    rc = imp_journal_scan_prefix(path, limit, apply_fn, &a, info, err);
    info->n_unmatched = a.n_unmatched;
    if (rc == 0 && imp_cube_keyindex_size(a.idx) == 0 && info->n_records > 0)
        rc = imp_err_set(err, IMP_EINPUT, "%s: the cube has no cell keys (/cell_key: written by "
                         "imprint 0.1?); run `imprint plan JOB.yaml` or `imprint merge JOB.yaml` "
                         "to rebuild it", path);
    imp_cube_keyindex_free(a.idx);
    if (rc != 0 && err && !strstr(err->msg, path))
        imp_err_prefix(err, "%s", path);
    return rc;
}

int imp_cube_apply_journal_ex(imp_cube *c, const char *path, imp_journal_record_fn unmatched,
                              void *ud, imp_journal_info *info, imp_err *err)
{
    return apply_journal(c, path, UINT64_MAX, unmatched, ud, info, err);
}

int imp_cube_apply_journal_prefix(imp_cube *c, const char *path, uint64_t limit,
                                  imp_journal_info *info, imp_err *err)
{
    return apply_journal(c, path, limit, NULL, NULL, info, err);
}

int imp_cube_apply_journal(imp_cube *c, const char *path, imp_journal_info *info, imp_err *err)
{
    return imp_cube_apply_journal_ex(c, path, NULL, NULL, info, err);
}

void imp_cube_count(const imp_cube *c, size_t counts[IMP_CELL__NSTATUS])
{
    memset(counts, 0, IMP_CELL__NSTATUS * sizeof counts[0]);
    for (uint64_t i = 0; i < c->n_cells; i++)
        if (c->status[i] < IMP_CELL__NSTATUS)
            counts[c->status[i]]++;
}

void imp_cube_count_axis(const imp_cube *c, int axis, size_t *counts)
{
    size_t len = imp_axis_len(&c->axes, axis);
    memset(counts, 0, len * IMP_CELL__NSTATUS * sizeof counts[0]);
    /* stride of the axis in row-major order: product of the lengths after it */
    uint64_t stride = 1;
    for (int ax = axis + 1; ax < IMP_AX__COUNT; ax++)
        stride *= imp_axis_len(&c->axes, ax);
    for (uint64_t i = 0; i < c->n_cells; i++) {
        size_t v = (size_t)((i / stride) % len);
        if (c->status[i] < IMP_CELL__NSTATUS)
            counts[v * IMP_CELL__NSTATUS + c->status[i]]++;
    }
}

const char *imp_cube_status_name(int status)
{
    switch (status) {
#define CASE(ID, value, name)                                                                   \
    case IMP_CELL_##ID:                                                                         \
        return name;
        IMP_STATUS_MAP(CASE)
#undef CASE
    default:
        return "?";
    }
}
