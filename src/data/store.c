/* store.c — reading the HDF5 embedding store: validation, listing, class-grouped loads. */
#include "imprint/store.h"
#include "imprint/crash.h"
#include "imprint/h5conv.h"
#include "imprint/h5util.h"

#include <hdf5.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct imp_store {
    hid_t file;
    char *path;
};

int imp_store_open(const char *path, imp_store **out, imp_err *err)
{
    *out = NULL;
    if (access(path, R_OK) != 0)
        return imp_err_set(err, IMP_EINPUT, "%s: cannot read the embedding store (missing file?)",
                           path);
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    htri_t is = H5Fis_hdf5(path);
    hid_t f = is > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    int rc = is <= 0 ? imp_err_set(err, IMP_EINPUT, "%s: not an HDF5 file (or truncated)", path)
             : f < 0 ? imp_h5_fail(err, IMP_EINPUT, path, "/",
                                   "HDF5 cannot open the file (truncated or damaged?)")
                     : 0;
    imp_h5_quiet_off(&q);
    if (rc)
        return rc;
    imp_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        H5Fclose(f);
        return imp_err_set(err, IMP_ENOMEM, "%s: out of memory", path);
    }
    s->file = f;
    *out = s;
    return 0;
}

void imp_store_close(imp_store *s)
{
    if (!s)
        return;
    if (getenv("IMP_DEBUG_HDF5"))
        fprintf(stderr, "store close: %zd open objects\n",
                (ssize_t)H5Fget_obj_count(s->file, H5F_OBJ_ALL));
    H5Fclose(s->file);
    free(s->path);
    free(s);
}

const char *imp_store_path(const imp_store *s) { return s->path; }

static const char *type_word(H5T_class_t cls, H5T_sign_t sg)
{
    if (cls == H5T_INTEGER)
        return sg == H5T_SGN_2 ? "signed integer" : "unsigned integer";
    return cls == H5T_FLOAT ? "float" : cls == H5T_STRING ? "string" : "non-numeric type";
}

/* Open /<model>/<dataset>/<split>/<name> and check its type and rank. want_float (X): any
 * integer or float type (HDF5 converts to float32 on read, see read_x_rows), rank 2; else
 * (y): any integer type (read as int64 and range-checked, see read_labels), rank 1. Returns
 * the dataset id (≥ 0) or a negative error. */
static hid_t open_checked(imp_store *s, const char *model, const char *dataset, const char *split,
                          const char *name, int want_float, hsize_t dims[2], imp_err *err)
{
    char obj[4 * IMP_NAME_MAX];
    snprintf(obj, sizeof obj, "/%s/%s/%s/%s", model, dataset, split, name);
    /* walk the path so a missing piece gives a precise message */
    char part[4 * IMP_NAME_MAX] = "";
    const char *pieces[4] = {model, dataset, split, name};
    for (int i = 0; i < 4; i++) {
        strcat(part, "/");
        strcat(part, pieces[i]);
        htri_t ex = H5Lexists(s->file, part, H5P_DEFAULT);
        if (ex <= 0)
            return imp_err_set(err, i < 2 ? IMP_ENOTFOUND : IMP_EINPUT, "%s: no object %s%s",
                               s->path, part,
                               i == 0 ? " (unknown model)" : i == 1 ? " (unknown dataset)" : "");
    }
    hid_t ds = H5Dopen2(s->file, obj, H5P_DEFAULT);
    if (ds < 0)
        return imp_err_set(err, IMP_EINPUT, "%s: %s is not a readable dataset (damaged file?)",
                           s->path, obj);
    hid_t t = H5Dget_type(ds);
    hid_t sp = H5Dget_space(ds);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    H5T_class_t cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    H5T_sign_t sg = (cls == H5T_INTEGER) ? H5Tget_sign(t) : H5T_SGN_ERROR;
    hsize_t d[2] = {0, 0};
    if (rank >= 1 && rank <= 2)
        H5Sget_simple_extent_dims(sp, d, NULL);
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    int rc = 0;
    if (want_float) {
        if (cls != H5T_FLOAT && cls != H5T_INTEGER)
            rc = imp_err_set(err, IMP_EINPUT,
                             "%s: %s must hold numbers (found %s; embeddings are converted to "
                             "float32 on read)", s->path, obj, type_word(cls, sg));
        else if (rank != 2)
            rc = imp_err_set(err, IMP_EINPUT, "%s: %s must be 2-D [n, d] (found rank %d)", s->path,
                             obj, rank);
        else if (d[0] == 0 || d[1] == 0)
            rc = imp_err_set(err, IMP_EINPUT, "%s: %s is empty [%llu, %llu]", s->path, obj,
                             (unsigned long long)d[0], (unsigned long long)d[1]);
    } else {
        if (cls != H5T_INTEGER)
            rc = imp_err_set(err, IMP_EINPUT,
                             "%s: %s must be integer labels (found %s)", s->path, obj,
                             type_word(cls, sg));
        else if (rank != 1)
            rc = imp_err_set(err, IMP_EINPUT, "%s: %s must be 1-D [n] (found rank %d)", s->path,
                             obj, rank);
    }
    if (rc) {
        H5Dclose(ds);
        return rc;
    }
    dims[0] = d[0];
    dims[1] = d[1];
    return ds;
}

/* Read the hyperslab fsp of X into buf as float32 (HDF5 converts float16/64 and integers).
 * Returns 0, or IMP_EINPUT when the read fails or a value does not fit float32. */
static int read_x_rows(imp_store *s, hid_t ds, hid_t msp, hid_t fsp, float *buf, const char *obj,
                       size_t lo, size_t hi, imp_err *err)
{
    size_t overflow = 0;
    herr_t st = imp_h5_read_float32(ds, msp, fsp, buf, &overflow);
    if (st < 0)
        return imp_err_set(err, IMP_EINPUT, "%s: cannot read rows %zu..%zu of %s (truncated file?)",
                           s->path, lo, hi - 1, obj);
    if (overflow)
        return imp_err_set(err, IMP_EINPUT,
                           "%s: %s rows %zu..%zu: %zu value(s) do not fit float32 (|x| > %g); "
                           "scale the embeddings", s->path, obj, lo, hi - 1, overflow,
                           (double)FLT_MAX);
    return 0;
}

/* Check one split: X [n,d] float32, y [n] int32. */
static int check_split(imp_store *s, const char *model, const char *dataset, const char *split,
                       size_t *n, size_t *d, imp_err *err)
{
    hsize_t dx[2], dy[2];
    hid_t x = open_checked(s, model, dataset, split, "X", 1, dx, err);
    if (x < 0)
        return (int)x;
    H5Dclose(x);
    hid_t y = open_checked(s, model, dataset, split, "y", 0, dy, err);
    if (y < 0)
        return (int)y;
    H5Dclose(y);
    if (dx[0] != dy[0])
        return imp_err_set(err, IMP_EINPUT, "%s: /%s/%s/%s/X has %llu rows but y has %llu labels",
                           s->path, model, dataset, split, (unsigned long long)dx[0],
                           (unsigned long long)dy[0]);
    *n = dx[0];
    *d = dx[1];
    return 0;
}

/* y of a split as int32 (any integer type in the file; imp_h5_read_int32 range-checks). */
static int read_labels(imp_store *s, const char *model, const char *dataset, const char *split,
                       int32_t **y, size_t *n, imp_err *err)
{
    hsize_t dy[2];
    hid_t ds = open_checked(s, model, dataset, split, "y", 0, dy, err);
    if (ds < 0)
        return (int)ds;
    *n = dy[0];
    *y = malloc((*n ? *n : 1) * sizeof **y);
    if (!*y) {
        H5Dclose(ds);
        return imp_err_set(err, IMP_ENOMEM, "%s: out of memory for %zu labels", s->path, *n);
    }
    size_t bad_i = 0;
    int64_t bad_v = 0;
    int st = imp_h5_read_int32(ds, *n, *y, &bad_i, &bad_v);
    H5Dclose(ds);
    if (st == 0)
        return 0;
    free(*y);
    *y = NULL;
    if (st > 0)
        return imp_err_set(err, IMP_EINPUT, "%s: /%s/%s/%s/y[%zu] = %lld does not fit a 32-bit label",
                           s->path, model, dataset, split, bad_i, (long long)bad_v);
    return imp_err_set(err, IMP_EINPUT, "%s: cannot read /%s/%s/%s/y (truncated file?)", s->path,
                       model, dataset, split);
}

int imp_store_labels(imp_store *s, const char *model, const char *dataset, const char *split,
                     int32_t **y, size_t *n, imp_err *err)
{
    return read_labels(s, model, dataset, split, y, n, err);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int store_distinct_labels(imp_store *s, const char *model, const char *dataset,
                              const char *split, int32_t **labels, size_t *n, imp_err *err)
{
    int32_t *y;
    size_t ny;
    int rc = read_labels(s, model, dataset, split, &y, &ny, err);
    if (rc)
        return rc;
    qsort(y, ny, sizeof *y, cmp_i32);
    size_t np = 0;
    for (size_t i = 0; i < ny; i++)
        if (i == 0 || y[i] != y[np - 1])
            y[np++] = y[i];
    *labels = y;
    *n = np;
    return 0;
}

/* The public entry: HDF5's error printing off for its duration (h5util.h). */
int imp_store_distinct_labels(imp_store *s, const char *model, const char *dataset,
                              const char *split, int32_t **labels, size_t *n, imp_err *err)
{
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    int rc = store_distinct_labels(s, model, dataset, split, labels, n, err);
    imp_h5_quiet_off(&q);
    return rc;
}

static int store_describe(imp_store *s, const char *model, const char *dataset, imp_store_entry *out,
                       imp_err *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(model) >= IMP_NAME_MAX || strlen(dataset) >= IMP_NAME_MAX)
        return imp_err_set(err, IMP_EINPUT, "%s: name too long", s->path);
    snprintf(out->model, sizeof out->model, "%s", model);
    snprintf(out->dataset, sizeof out->dataset, "%s", dataset);
    size_t dtr, dte;
    int rc = check_split(s, model, dataset, "train", &out->n_train, &dtr, err);
    if (!rc)
        rc = check_split(s, model, dataset, "test", &out->n_test, &dte, err);
    if (rc)
        return rc;
    if (dtr != dte)
        return imp_err_set(err, IMP_EINPUT,
                           "%s: /%s/%s: train X has d = %zu but test X has d = %zu", s->path,
                           model, dataset, dtr, dte);
    out->d = dtr;
    int32_t *y;
    size_t n;
    rc = read_labels(s, model, dataset, "train", &y, &n, err);
    if (rc)
        return rc;
    qsort(y, n, sizeof *y, cmp_i32);
    int nc = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || y[i] != y[i - 1])
            nc++;
    out->n_classes = nc;
    out->min_label = n ? y[0] : 0;
    out->max_label = n ? y[n - 1] : 0;
    free(y);
    return 0;
}

/* The public entry: HDF5's error printing off for its duration (h5util.h). */
int imp_store_describe(imp_store *s, const char *model, const char *dataset, imp_store_entry *out,
                       imp_err *err)
{
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    int rc = store_describe(s, model, dataset, out, err);
    imp_h5_quiet_off(&q);
    return rc;
}

typedef struct {
    char (*names)[IMP_NAME_MAX];
    size_t n, cap;
} name_list;

static herr_t collect_groups(hid_t g, const char *name, const H5L_info_t *info, void *op)
{
    (void)info;
    name_list *l = op;
    H5O_info_t oi;
    if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        oi.type != H5O_TYPE_GROUP)
        return 0;
    if (strlen(name) >= IMP_NAME_MAX)
        return 0;
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 8;
        void *p = realloc(l->names, nc * sizeof *l->names);
        if (!p)
            return -1;
        l->names = p;
        l->cap = nc;
    }
    snprintf(l->names[l->n++], IMP_NAME_MAX, "%s", name);
    return 0;
}

static int list_groups(hid_t loc, const char *path, name_list *l)
{
    memset(l, 0, sizeof *l);
    hid_t g = H5Gopen2(loc, path, H5P_DEFAULT);
    if (g < 0)
        return -1;
    herr_t st = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_groups, l);
    H5Gclose(g);
    return st < 0 ? -1 : 0;
}

static int store_list(imp_store *s, imp_store_entry **out, size_t *n, imp_err *err)
{
    *out = NULL;
    *n = 0;
    name_list models;
    if (list_groups(s->file, "/", &models))
        return imp_err_set(err, IMP_EINPUT, "%s: cannot list the root group (damaged file?)",
                           s->path);
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < models.n && !rc; i++) {
        name_list ds;
        char p[IMP_NAME_MAX + 2];
        snprintf(p, sizeof p, "/%s", models.names[i]);
        if (list_groups(s->file, p, &ds)) {
            rc = imp_err_set(err, IMP_EINPUT, "%s: cannot list %s", s->path, p);
            break;
        }
        for (size_t j = 0; j < ds.n && !rc; j++) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 8;
                void *q = realloc(*out, cap * sizeof **out);
                if (!q) {
                    rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
                    break;
                }
                *out = q;
            }
            rc = imp_store_describe(s, models.names[i], ds.names[j], &(*out)[*n], err);
            if (!rc)
                (*n)++;
        }
        free(ds.names);
    }
    free(models.names);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* The public entry: HDF5's error printing off for its duration (h5util.h). */
int imp_store_list(imp_store *s, imp_store_entry **out, size_t *n, imp_err *err)
{
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    int rc = store_list(s, out, n, err);
    imp_h5_quiet_off(&q);
    return rc;
}

int imp_store_has_model(imp_store *s, const char *model)
{
    char p[IMP_NAME_MAX + 2];
    if (strlen(model) >= IMP_NAME_MAX || strchr(model, '/'))
        return 0;
    snprintf(p, sizeof p, "/%s", model);
    return H5Lexists(s->file, p, H5P_DEFAULT) > 0;
}

double imp_default_lambda(const char *model)
{
    if (strcmp(model, "resnet18") == 0 || strcmp(model, "resnet50") == 0)
        return 1e-4;
    if (strcmp(model, "vit_b_16") == 0)
        return 0.1;
    return 0.05; /* swin_b, convnextv2-femto and everything else */
}

double imp_store_lambda(imp_store *s, const char *model)
{
    char p[IMP_NAME_MAX + 2];
    snprintf(p, sizeof p, "/%s", model);
    double v = imp_default_lambda(model);
    if (H5Aexists_by_name(s->file, p, "lambda", H5P_DEFAULT) > 0) {
        hid_t a = H5Aopen_by_name(s->file, p, "lambda", H5P_DEFAULT, H5P_DEFAULT);
        double r;
        if (a >= 0 && H5Aread(a, H5T_NATIVE_DOUBLE, &r) >= 0 && isfinite(r) && r > 0)
            v = r;
        if (a >= 0)
            H5Aclose(a);
    }
    return v;
}

void imp_data_free(imp_data *d)
{
    free(d->offset);
    free(d->X);
    memset(d, 0, sizeof *d);
}

int imp_store_load(imp_store *s, const char *model, const char *dataset, const char *split,
                   const imp_classmap *map, imp_data *out, imp_err *err)
{
    return imp_store_load_ex(s, model, dataset, split, map, 0, out, err);
}

static int store_load(imp_store *s, const char *model, const char *dataset, const char *split,
                      const imp_classmap *map, int allow_empty, imp_data *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    if (imp_crash_hit("store-load")) /* test hook: a worker dies while loading its task */
        imp_crash_now();
    int32_t *y = NULL;
    size_t n = 0;
    int rc = read_labels(s, model, dataset, split, &y, &n, err);
    if (rc)
        return rc;
    hsize_t dx[2];
    hid_t ds = open_checked(s, model, dataset, split, "X", 1, dx, err);
    if (ds < 0) {
        free(y);
        return (int)ds;
    }
    if (dx[0] != n) {
        H5Dclose(ds);
        free(y);
        return imp_err_set(err, IMP_EINPUT, "%s: /%s/%s/%s/X has %llu rows but y has %zu labels",
                           s->path, model, dataset, split, (unsigned long long)dx[0], n);
    }
    /* train and test must agree on d; say so here, naming both objects, rather than let
     * inference find proxies and test rows of different widths */
    const char *other = strcmp(split, "train") == 0 ? "test" : strcmp(split, "test") == 0 ? "train" : NULL;
    if (other) {
        imp_err ignore; /* a missing other split is reported when that split is loaded */
        hsize_t dother[2];
        hid_t o = open_checked(s, model, dataset, other, "X", 1, dother, &ignore);
        if (o >= 0) {
            H5Dclose(o);
            if (dother[1] != dx[1]) {
                H5Dclose(ds);
                free(y);
                return imp_err_set(err, IMP_EINPUT,
                                   "%s: /%s/%s/%s/X has d = %llu but /%s/%s/%s/X has d = %llu",
                                   s->path, model, dataset, split, (unsigned long long)dx[1],
                                   model, dataset, other, (unsigned long long)dother[1]);
            }
        }
    }
    size_t d = dx[1];
    int nc = map->n_classes;
    char xobj[4 * IMP_NAME_MAX];
    snprintf(xobj, sizeof xobj, "/%s/%s/%s/X", model, dataset, split);
    /* dest[i] = task class of row i or -1; count rows per class */
    int32_t *cls = malloc((n ? n : 1) * sizeof *cls);
    size_t *offset = calloc((size_t)nc + 1, sizeof *offset);
    float *X = NULL, *buf = NULL;
    size_t *fill = calloc((size_t)nc + 1, sizeof *fill);
    if (!cls || !offset || !fill) {
        rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
        goto fail;
    }
    /* label → class through a table over the map's label range (one lookup per row; a
     * remapped ImageNet task has up to 100 labels and 1.3 M rows) */
    int32_t lab_lo = 0, lab_hi = -1;
    for (size_t j = 0; j < map->n; j++) {
        if (j == 0 || map->raw[j] < lab_lo)
            lab_lo = map->raw[j];
        if (j == 0 || map->raw[j] > lab_hi)
            lab_hi = map->raw[j];
    }
    size_t range = map->n ? (size_t)((int64_t)lab_hi - lab_lo) + 1 : 0;
    int32_t *table = range && range <= (1u << 24) ? malloc(range * sizeof *table) : NULL;
    for (size_t r = 0; table && r < range; r++)
        table[r] = -1;
    for (size_t j = map->n; table && j-- > 0;) /* first entry wins, as the linear scan */
        table[map->raw[j] - lab_lo] = map->cls[j];
    size_t first = n, last = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        cls[i] = -1;
        if (table) {
            if (y[i] >= lab_lo && y[i] <= lab_hi)
                cls[i] = table[y[i] - lab_lo];
        } else {
            for (size_t j = 0; j < map->n; j++)
                if (map->raw[j] == y[i]) {
                    cls[i] = map->cls[j];
                    break;
                }
        }
        if (cls[i] >= 0) {
            offset[cls[i] + 1]++;
            if (first == n)
                first = i;
            last = i;
            total++;
        }
    }
    free(table);
    for (int c = 0; c < nc; c++) {
        if (offset[c + 1] == 0 && !allow_empty) {
            char labels[256] = "";
            for (size_t j = 0; j < map->n; j++)
                if (map->cls[j] == c && strlen(labels) < 200)
                    snprintf(labels + strlen(labels), sizeof labels - strlen(labels), "%s%d",
                             labels[0] ? "," : "", map->raw[j]);
            rc = imp_err_set(err, IMP_EINPUT,
                             "%s: /%s/%s/%s: task class %d (label %s) has no rows", s->path,
                             model, dataset, split, c, labels);
            goto fail;
        }
        offset[c + 1] += offset[c];
    }
    X = malloc((total ? total : 1) * d * sizeof(float));
    if (!X) {
        rc = imp_err_set(err, IMP_ENOMEM, "%s: cannot allocate %zu x %zu floats", s->path, total, d);
        goto fail;
    }
    memcpy(fill, offset, ((size_t)nc + 1) * sizeof *fill);
    /* Stream the file in blocks of rows covering [first, last]; skip blocks without wanted
     * rows. Stores written by ingest are class-sorted, so a class is a few contiguous blocks. */
    size_t block = (4u << 20) / (d * sizeof(float));
    if (block < 1)
        block = 1;
    buf = malloc(block * d * sizeof(float));
    hid_t fsp = H5Dget_space(ds);
    if (!buf || fsp < 0) {
        rc = imp_err_set(err, IMP_ENOMEM, "out of memory");
        if (fsp >= 0)
            H5Sclose(fsp);
        goto fail;
    }
    for (size_t b0 = first; total && b0 <= last; b0 += block) {
        size_t b1 = b0 + block > last + 1 ? last + 1 : b0 + block;
        size_t lo = b0, hi = b1; /* shrink to wanted rows inside the block */
        while (lo < b1 && cls[lo] < 0)
            lo++;
        if (lo == b1)
            continue;
        while (hi > lo && cls[hi - 1] < 0)
            hi--;
        hsize_t start[2] = {lo, 0}, count[2] = {hi - lo, d};
        hid_t msp = H5Screate_simple(2, count, NULL);
        H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL);
        rc = read_x_rows(s, ds, msp, fsp, buf, xobj, lo, hi, err);
        H5Sclose(msp);
        if (rc) {
            H5Sclose(fsp);
            goto fail;
        }
        for (size_t i = lo; i < hi; i++) {
            if (cls[i] < 0)
                continue;
            const float *row = buf + (i - lo) * d;
            for (size_t k = 0; k < d; k++)
                if (!isfinite(row[k])) {
                    H5Sclose(fsp);
                    rc = imp_err_set(err, IMP_EINPUT,
                                     "%s: /%s/%s/%s/X row %zu column %zu is %s (embeddings must "
                                     "be finite)", s->path, model, dataset, split, i, k,
                                     isnan(row[k]) ? "NaN" : "infinite");
                    goto fail;
                }
            memcpy(X + fill[cls[i]]++ * d, row, d * sizeof(float));
        }
    }
    H5Sclose(fsp);
    H5Dclose(ds);
    free(buf);
    free(fill);
    free(cls);
    free(y);
    out->n = total;
    out->d = d;
    out->n_classes = nc;
    out->offset = offset;
    out->X = X;
    return 0;
fail:
    H5Dclose(ds);
    free(buf);
    free(fill);
    free(cls);
    free(y);
    free(offset);
    free(X);
    return rc;
}

/* The public entry: HDF5's error printing off for its duration (h5util.h). */
int imp_store_load_ex(imp_store *s, const char *model, const char *dataset, const char *split,
                      const imp_classmap *map, int allow_empty, imp_data *out, imp_err *err)
{
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    int rc = store_load(s, model, dataset, split, map, allow_empty, out, err);
    imp_h5_quiet_off(&q);
    return rc;
}
