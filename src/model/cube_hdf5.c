/* cube_hdf5.c — the cube as an HDF5 file: atomic write (tmp + fsync + rename) with dimension
 * scales that h5py and xarray read as named dimensions, and a defensive read-back. */
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cube_priv.h"
#include "imprint/atomic.h"
#include "imprint/clock.h"
#include "imprint/crash.h"
#include "imprint/h5util.h"

/* The data arrays, each of shape [model, task, strategy, k, shot, seed]: /status, one per
 * measure (measure.h, named after it) and /cell_key. */

/* The file type, memory type and fill value of a measure's array, by its kind. */
static void measure_types(imp_measure_kind kind, hid_t *ftype, hid_t *mtype, const void **fill)
{
    static const float fnan = NAN;
    static const double dnan = NAN;
    static const int32_t none = -1;
    *ftype = H5T_STD_I32LE, *mtype = H5T_NATIVE_INT32, *fill = &none;
    switch (kind) {
    case IMP_MK_F32:
        *ftype = H5T_IEEE_F32LE, *mtype = H5T_NATIVE_FLOAT, *fill = &fnan;
        break;
    case IMP_MK_F64:
        *ftype = H5T_IEEE_F64LE, *mtype = H5T_NATIVE_DOUBLE, *fill = &dnan;
        break;
    case IMP_MK_I32:
    case IMP_MK_HOST:
        *ftype = H5T_STD_I32LE, *mtype = H5T_NATIVE_INT32, *fill = &none;
        break;
    }
}

static void close_id(hid_t *id, herr_t (*closer)(hid_t))
{
    if (*id >= 0)
        closer(*id);
    *id = -1;
}

static hid_t vlen_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0))
        close_id(&t, H5Tclose);
    return t;
}

static hid_t file_access(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* Closing the file closes every object left open on an error path. */
    if (fapl >= 0 && H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0)
        close_id(&fapl, H5Pclose);
    return fapl;
}

/* ---- writing ---- */

typedef struct {
    hid_t fid;
    const char *path; /* the file being written (.tmp) */
    imp_err *err;
} wctx;

static int w_attr_str(wctx *w, hid_t obj, const char *objname, const char *name, const char *val)
{
    hid_t t = vlen_str_type(), s = H5Screate(H5S_SCALAR), a = -1;
    int ok = t >= 0 && s >= 0;
    if (ok)
        a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    ok = ok && a >= 0 && H5Awrite(a, t, &val) >= 0;
    int rc = ok ? 0 : imp_h5_fail(w->err, IMP_EHDF5, w->path, objname, "cannot write attribute");
    close_id(&a, H5Aclose);
    close_id(&s, H5Sclose);
    close_id(&t, H5Tclose);
    return rc;
}

static int w_attr_num(wctx *w, hid_t obj, const char *objname, const char *name, hid_t ftype,
                      hid_t mtype, const void *val, hsize_t n)
{
    hid_t s = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL), a = -1;
    if (s >= 0)
        a = H5Acreate2(obj, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT);
    int ok = a >= 0 && H5Awrite(a, mtype, val) >= 0;
    int rc = ok ? 0 : imp_h5_fail(w->err, IMP_EHDF5, w->path, objname, "cannot write attribute");
    close_id(&a, H5Aclose);
    close_id(&s, H5Sclose);
    return rc;
}

/* Create a 1-D dataset /name of n elements and write buf (strings if strings != NULL); made
 * a dimension scale named after itself. Returns the open dataset or -1 (err set). */
static hid_t w_scale(wctx *w, const char *name, char *const *strings, const int64_t *ints,
                     size_t n)
{
    hsize_t dim = n;
    hid_t t = strings ? vlen_str_type() : H5Tcopy(H5T_STD_I64LE);
    hid_t s = H5Screate_simple(1, &dim, NULL), d = -1;
    if (t >= 0 && s >= 0)
        d = H5Dcreate2(w->fid, name, t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int ok = d >= 0;
    if (ok && n > 0)
        ok = strings ? H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings) >= 0
                     : H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints) >= 0;
    ok = ok && H5DSset_scale(d, name) >= 0;
    if (!ok) {
        imp_h5_fail(w->err, IMP_EHDF5, w->path, name, "cannot write dimension scale");
        close_id(&d, H5Dclose);
    }
    close_id(&s, H5Sclose);
    close_id(&t, H5Tclose);
    return d;
}

/* Create one data array, write it and attach the six scales with labels; units (may be
 * NULL) becomes its "units" attribute. */
static int w_array(wctx *w, const char *name, hid_t ftype, hid_t mtype, const void *fill,
                   const void *buf, const char *units, const hid_t scales[IMP_AX__COUNT],
                   const imp_axes *ax)
{
    hsize_t dims[IMP_AX__COUNT];
    for (int i = 0; i < IMP_AX__COUNT; i++)
        dims[i] = imp_axis_len(ax, i);
    hid_t s = H5Screate_simple(IMP_AX__COUNT, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), d = -1;
    int ok = s >= 0 && dcpl >= 0 && H5Pset_fill_value(dcpl, mtype, fill) >= 0;
    if (ok)
        d = H5Dcreate2(w->fid, name, ftype, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ok = ok && d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    for (int i = 0; ok && i < IMP_AX__COUNT; i++)
        ok = H5DSattach_scale(d, scales[i], (unsigned)i) >= 0 &&
             H5DSset_label(d, (unsigned)i, imp_axis_name(i)) >= 0;
    int rc = ok ? 0 : imp_h5_fail(w->err, IMP_EHDF5, w->path, name, "cannot write");
    if (rc == 0 && strcmp(name, "status") == 0) {
#define FLAG(ID, value, name) value,
        static const uint8_t flags[IMP_CELL__NSTATUS] = {IMP_STATUS_MAP(FLAG)};
#undef FLAG
        rc = w_attr_num(w, d, name, "flag_values", H5T_STD_U8LE, H5T_NATIVE_UINT8, flags,
                        IMP_CELL__NSTATUS);
        char meanings[128];
        snprintf(meanings, sizeof meanings, "%s", IMP_STATUS_MEANINGS_SP);
        meanings[strlen(meanings) - 1] = '\0'; /* the last separator */
        if (rc == 0)
            rc = w_attr_str(w, d, name, "flag_meanings", meanings);
    } else if (rc == 0 && units) {
        rc = w_attr_str(w, d, name, "units", units);
    }
    close_id(&d, H5Dclose);
    close_id(&dcpl, H5Pclose);
    close_id(&s, H5Sclose);
    return rc;
}

/* /host_name: the names /host indexes, a 1-D string dimension scale of its own (possibly
 * empty), so that netCDF readers (xarray, h5netcdf) see a dimension for it. */
static int w_host_names(wctx *w, const imp_cube *c)
{
    static char *const none[1] = {NULL}; /* strings, not integers, even when there are none */
    hid_t d = w_scale(w, "host_name", c->host_name ? c->host_name : none, NULL, c->n_host_name);
    if (d < 0)
        return w->err ? w->err->code : IMP_EHDF5;
    close_id(&d, H5Dclose);
    return 0;
}

/* The failure list: /failure_cell (a scale) and /failure_message over it. */
static int w_failures(wctx *w, const imp_cube *c)
{
    size_t nf = 0;
    for (uint64_t i = 0; i < c->n_cells; i++)
        nf += c->status[i] == IMP_CELL_FAILED;
    int64_t *cells = malloc((nf ? nf : 1) * sizeof *cells);
    const char **msgs = malloc((nf ? nf : 1) * sizeof *msgs);
    if (!cells || !msgs) {
        free(cells);
        free(msgs);
        return imp_err_set(w->err, IMP_ENOMEM, "%s: out of memory", w->path);
    }
    size_t j = 0;
    for (uint64_t i = 0; i < c->n_cells; i++)
        if (c->status[i] == IMP_CELL_FAILED) {
            cells[j] = (int64_t)i;
            msgs[j++] = c->message[i] ? c->message[i] : "";
        }
    int rc = 0;
    hid_t sc = w_scale(w, "failure_cell", NULL, cells, nf);
    if (sc < 0)
        rc = w->err ? w->err->code : IMP_EHDF5;
    hsize_t dim = nf;
    hid_t t = vlen_str_type(), s = H5Screate_simple(1, &dim, NULL), d = -1;
    if (rc == 0) {
        int ok = t >= 0 && s >= 0;
        if (ok)
            d = H5Dcreate2(w->fid, "failure_message", t, s, H5P_DEFAULT, H5P_DEFAULT,
                           H5P_DEFAULT);
        ok = ok && d >= 0;
        if (ok && nf > 0)
            ok = H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, msgs) >= 0;
        ok = ok && H5DSattach_scale(d, sc, 0) >= 0 && H5DSset_label(d, 0, "failure_cell") >= 0;
        if (!ok)
            rc = imp_h5_fail(w->err, IMP_EHDF5, w->path, "failure_message", "cannot write");
    }
    close_id(&d, H5Dclose);
    close_id(&s, H5Sclose);
    close_id(&t, H5Tclose);
    close_id(&sc, H5Dclose);
    free(cells);
    free(msgs);
    return rc;
}

static int w_contents(wctx *w, const imp_cube *c)
{
    const imp_axes *ax = &c->axes;
    hid_t scales[IMP_AX__COUNT];
    for (int i = 0; i < IMP_AX__COUNT; i++)
        scales[i] = -1;
    int rc = 0;
    for (int i = 0; i < IMP_AX__COUNT && rc == 0; i++) { /* the table's kind: strings or int64 */
        scales[i] = w_scale(w, imp_axis_name(i), imp_axis_strs(ax, i), imp_axis_ints(ax, i),
                            imp_axis_len(ax, i));
        if (scales[i] < 0)
            rc = w->err ? w->err->code : IMP_EHDF5;
    }
    const uint8_t fpend = IMP_CELL_PENDING;
    if (rc == 0)
        rc = w_array(w, "status", H5T_STD_U8LE, H5T_NATIVE_UINT8, &fpend, c->status, NULL,
                     scales, ax);
    for (int m = 0; m < IMP_MEASURE__COUNT && rc == 0; m++) {
        const imp_measure_info *mi = imp_measure_info_of((imp_measure_id)m);
        hid_t ft, mt;
        const void *fill;
        measure_types(mi->kind, &ft, &mt, &fill);
        rc = w_array(w, mi->name, ft, mt, fill, imp_cube_measure(c, (imp_measure_id)m),
                     mi->units, scales, ax);
    }
    if (rc == 0)
        rc = w_host_names(w, c);
    const uint64_t fkey = 0;
    int any_key = 0;
    for (uint64_t i = 0; i < c->n_cells && !any_key; i++)
        any_key = c->key[i] != 0;
    if (rc == 0 && any_key)
        rc = w_array(w, "cell_key", H5T_STD_U64LE, H5T_NATIVE_UINT64, &fkey, c->key, NULL,
                     scales, ax);
    for (int i = 0; i < IMP_AX__COUNT; i++)
        close_id(&scales[i], H5Dclose);
    if (rc == 0)
        rc = w_failures(w, c);
    const char *names[5] = {"job", "store", "imprint_version", "created", "updated"};
    const char *vals[5] = {c->job, c->store, c->imprint_version, c->created, c->updated};
    for (int i = 0; i < 5 && rc == 0; i++)
        rc = w_attr_str(w, w->fid, "/", names[i], vals[i]);
    if (rc == 0)
        rc = w_attr_num(w, w->fid, "/", "grid_hash", H5T_STD_U64LE, H5T_NATIVE_UINT64,
                        &c->grid_hash, 0);
    return rc;
}

int imp_cube_write(imp_cube *c, const char *path, imp_err *err)
{
    char now[IMP_CLOCK_ISO_MAX];
    imp_clock_iso(now);
    int rc = imp__cube_set_str(&c->updated, now, err);
    if (rc == 0 && !c->created[0])
        rc = imp__cube_set_str(&c->created, now, err);
    if (rc != 0)
        return rc;
    /* a cube reached through a symbolic link replaces the link's target, never the link */
    char *target = NULL;
    int direct = -1;
    rc = imp_out_resolve(path, &target, &direct, err);
    if (!rc && direct != -1)
        rc = imp_err_set(err, IMP_EINPUT, "%s: is not a regular file (a cube must be a file)",
                         path);
    size_t pl = target ? strlen(target) : 0;
    char *tmp = rc ? NULL : malloc(pl + 5);
    if (!rc && !tmp)
        rc = imp_err_set(err, IMP_ENOMEM, "%s: out of memory", path);
    if (rc) {
        free(target);
        return rc;
    }
    snprintf(tmp, pl + 5, "%s.tmp", target);
    /* A .tmp left by a killed writer is ours to replace. */
    if (unlink(tmp) != 0 && errno != ENOENT && errno != EISDIR) {
        rc = imp_err_set(err, IMP_EIO, "%s: cannot remove stale file: %s", tmp,
                         strerror(errno));
        free(tmp);
        free(target);
        return rc;
    }
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    hid_t fapl = file_access();
    hid_t fid = fapl >= 0 ? H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl) : -1;
    if (fid < 0) {
        rc = imp_h5_fail(err, IMP_EIO, tmp, "/", "cannot create the cube file");
    } else {
        wctx w = {fid, tmp, err};
        rc = w_contents(&w, c);
        if (imp_crash_hit("cube-write")) /* test hook: die with the .tmp half written */
            H5Fflush(fid, H5F_SCOPE_LOCAL), imp_crash_now();
        if (H5Fclose(fid) < 0 && rc == 0)
            rc = imp_h5_fail(err, IMP_EHDF5, tmp, "/", "cannot close (flush) the cube file");
    }
    close_id(&fapl, H5Pclose);
    imp_h5_quiet_off(&q);

    if (rc == 0)
        rc = imp_atomic_publish(tmp, target, "cube", err); /* crash points cube-rename(d) */
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    free(target);
    return rc;
}

/* ---- reading ---- */

typedef struct {
    hid_t fid;
    const char *path;
    imp_err *err;
} rctx;

/* The strings of an open 1-D string dataset d (file type ft, dataspace s, dim elements) as a
 * new array of strdup'ed strings. */
static int r_string_data(rctx *r, const char *name, hid_t d, hid_t s, hid_t ft, hsize_t dim,
                         char ***out)
{
    char **res = calloc(dim ? dim : 1, sizeof *res);
    int vlen = H5Tis_variable_str(ft) > 0;
    size_t fsize = vlen ? 0 : H5Tget_size(ft);
    hid_t mt = vlen ? vlen_str_type() : H5Tcopy(H5T_C_S1);
    if (mt >= 0 && !vlen &&
        (H5Tset_size(mt, fsize + 1) < 0 || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0))
        close_id(&mt, H5Tclose);
    void *raw = malloc(dim ? dim * (vlen ? sizeof(char *) : fsize + 1) : 1);
    int rc = 0;
    if (!res || !raw)
        rc = imp_err_set(r->err, IMP_ENOMEM, "%s: %s: out of memory", r->path, name);
    int ok = rc == 0 && mt >= 0 &&
             (dim == 0 || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0);
    if (rc == 0 && !ok)
        rc = imp_h5_fail(r->err, IMP_EINPUT, r->path, name, "cannot read");
    for (hsize_t i = 0; rc == 0 && i < dim; i++) {
        const char *sv = vlen ? ((char **)raw)[i] : (char *)raw + i * (fsize + 1);
        res[i] = strdup(sv ? sv : "");
        if (!res[i])
            rc = imp_err_set(r->err, IMP_ENOMEM, "%s: %s: out of memory", r->path, name);
    }
    if (ok && vlen && dim > 0)
        H5Dvlen_reclaim(mt, s, H5P_DEFAULT, raw);
    free(raw);
    close_id(&mt, H5Tclose);
    if (rc != 0) {
        for (hsize_t i = 0; res && i < dim; i++)
            free(res[i]);
        free(res);
        return rc;
    }
    *out = res;
    return 0;
}

/* Read a 1-D string dataset (variable- or fixed-length) into a new array of n strings. */
static int r_strings(rctx *r, const char *name, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hid_t d = H5Dopen2(r->fid, name, H5P_DEFAULT);
    if (d < 0)
        return imp_h5_fail(r->err, IMP_EINPUT, r->path, name, "missing or unreadable dataset");
    hid_t s = H5Dget_space(d), ft = H5Dget_type(d);
    hsize_t dim = 0;
    int rc;
    if (s < 0 || ft < 0 || H5Sget_simple_extent_ndims(s) != 1 ||
        H5Tget_class(ft) != H5T_STRING) {
        rc = imp_err_set(r->err, IMP_EINPUT, "%s: %s: expected a 1-D string dataset", r->path,
                         name);
    } else {
        H5Sget_simple_extent_dims(s, &dim, NULL);
        rc = r_string_data(r, name, d, s, ft, dim, out);
        if (rc == 0)
            *n = (size_t)dim;
    }
    close_id(&ft, H5Tclose);
    close_id(&s, H5Sclose);
    close_id(&d, H5Dclose);
    return rc;
}

/* Read a 1-D integer dataset as int64 into a new array. */
static int r_ints(rctx *r, const char *name, int64_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    hid_t d = H5Dopen2(r->fid, name, H5P_DEFAULT), s = -1, ft = -1;
    if (d < 0)
        return imp_h5_fail(r->err, IMP_EINPUT, r->path, name, "missing or unreadable dataset");
    int rc = 0;
    s = H5Dget_space(d);
    ft = H5Dget_type(d);
    hsize_t dim = 0;
    if (s < 0 || ft < 0 || H5Sget_simple_extent_ndims(s) != 1 ||
        H5Tget_class(ft) != H5T_INTEGER) {
        rc = imp_err_set(r->err, IMP_EINPUT, "%s: %s: expected a 1-D integer dataset", r->path,
                         name);
    } else {
        H5Sget_simple_extent_dims(s, &dim, NULL);
        int64_t *v = malloc((dim ? dim : 1) * sizeof *v);
        if (!v)
            rc = imp_err_set(r->err, IMP_ENOMEM, "%s: %s: out of memory", r->path, name);
        else if (dim > 0 && H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
            rc = imp_h5_fail(r->err, IMP_EINPUT, r->path, name, "cannot read");
        if (rc == 0) {
            *out = v;
            *n = (size_t)dim;
        } else {
            free(v);
        }
    }
    close_id(&ft, H5Tclose);
    close_id(&s, H5Sclose);
    close_id(&d, H5Dclose);
    return rc;
}

/* Read one data array of the cube's shape, converting to mtype. */
/* "[2, 1, 3, 1, 1, 2] (model, task, strategy, k, shot, seed)": the shape an array must have. */
static const char *shape_text(const imp_axes *ax, char *buf, size_t n)
{
    size_t at = 0;
    for (int i = 0; i < IMP_AX__COUNT && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%zu", i ? ", " : "[", imp_axis_len(ax, i));
    for (int i = 0; i < IMP_AX__COUNT && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s", i ? ", " : "] (", imp_axis_name(i));
    if (at < n)
        snprintf(buf + at, n - at, ")");
    return buf;
}

static int r_array(rctx *r, const imp_cube *c, const char *name, hid_t mtype, void *buf)
{
    hid_t d = H5Dopen2(r->fid, name, H5P_DEFAULT), s = -1;
    if (d < 0)
        return imp_h5_fail(r->err, IMP_EINPUT, r->path, name, "missing or unreadable dataset");
    int rc = 0;
    s = H5Dget_space(d);
    hsize_t dims[IMP_AX__COUNT] = {0};
    int ok = s >= 0 && H5Sget_simple_extent_ndims(s) == IMP_AX__COUNT &&
             H5Sget_simple_extent_dims(s, dims, NULL) == IMP_AX__COUNT;
    for (int i = 0; ok && i < IMP_AX__COUNT; i++)
        ok = dims[i] == imp_axis_len(&c->axes, i);
    if (!ok)
        rc = imp_err_set(r->err, IMP_EINPUT, "%s: %s: expected shape %s", r->path, name,
                         shape_text(&c->axes, (char[256]){0}, 256));
    else if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        rc = imp_h5_fail(r->err, IMP_EINPUT, r->path, name, "cannot read");
    close_id(&s, H5Sclose);
    close_id(&d, H5Dclose);
    return rc;
}

/* Read a string attribute of the root group into *slot; a missing one leaves *slot. */
static int r_attr_str(rctx *r, const char *name, char **slot)
{
    if (H5Aexists(r->fid, name) <= 0)
        return 0;
    hid_t a = H5Aopen(r->fid, name, H5P_DEFAULT), ft = -1, mt = -1, s = -1;
    int rc = 0;
    ft = a >= 0 ? H5Aget_type(a) : -1;
    s = a >= 0 ? H5Aget_space(a) : -1;
    if (ft < 0 || s < 0 || H5Tget_class(ft) != H5T_STRING ||
        H5Sget_simple_extent_npoints(s) != 1) {
        rc = imp_err_set(r->err, IMP_EINPUT, "%s: attribute %s: expected one string", r->path,
                         name);
    } else if (H5Tis_variable_str(ft) > 0) {
        char *v = NULL;
        mt = vlen_str_type();
        if (mt < 0 || H5Aread(a, mt, &v) < 0)
            rc = imp_h5_fail(r->err, IMP_EINPUT, r->path, name, "cannot read attribute");
        else {
            rc = imp__cube_set_str(slot, v ? v : "", r->err);
            H5Dvlen_reclaim(mt, s, H5P_DEFAULT, &v);
        }
    } else {
        size_t sz = H5Tget_size(ft);
        char *v = calloc(sz + 1, 1);
        mt = H5Tcopy(H5T_C_S1);
        if (!v || mt < 0 || H5Tset_size(mt, sz + 1) < 0 ||
            H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0 || H5Aread(a, mt, v) < 0)
            rc = imp_h5_fail(r->err, IMP_EINPUT, r->path, name, "cannot read attribute");
        else
            rc = imp__cube_set_str(slot, v, r->err);
        free(v);
    }
    close_id(&mt, H5Tclose);
    close_id(&s, H5Sclose);
    close_id(&ft, H5Tclose);
    close_id(&a, H5Aclose);
    return rc;
}

static int r_failures(rctx *r, imp_cube *c)
{
    if (H5Lexists(r->fid, "failure_cell", H5P_DEFAULT) <= 0)
        return 0;
    int64_t *cells = NULL;
    char **msgs = NULL;
    size_t nc = 0, nm = 0;
    int rc = r_ints(r, "failure_cell", &cells, &nc);
    if (rc == 0)
        rc = r_strings(r, "failure_message", &msgs, &nm);
    if (rc == 0 && nc != nm)
        rc = imp_err_set(r->err, IMP_EINPUT, "%s: failure_message: %zu entries, expected %zu "
                         "(one per failure_cell)", r->path, nm, nc);
    for (size_t i = 0; rc == 0 && i < nc; i++) {
        if (cells[i] < 0 || (uint64_t)cells[i] >= c->n_cells ||
            c->status[cells[i]] != IMP_CELL_FAILED) {
            rc = imp_err_set(r->err, IMP_EINPUT, "%s: failure_cell[%zu] = %lld is not a failed "
                             "cell", r->path, i, (long long)cells[i]);
            break;
        }
        free(c->message[cells[i]]);
        c->message[cells[i]] = msgs[i];
        msgs[i] = NULL;
    }
    for (size_t i = 0; i < nm; i++)
        free(msgs[i]);
    free(msgs);
    free(cells);
    return rc;
}

static int r_contents(rctx *r, imp_cube *c)
{
    if (H5Lexists(r->fid, "accuracy", H5P_DEFAULT) <= 0 ||
        H5Lexists(r->fid, "status", H5P_DEFAULT) <= 0)
        return imp_err_set(r->err, IMP_EINPUT, "%s: /accuracy, /status: missing — not an "
                           "imprint result cube", r->path);
    imp_axes *ax = &c->axes;
    int rc = 0;
    for (int i = 0; i < IMP_AX__COUNT && rc == 0; i++) { /* the table's kind: strings or int64 */
        size_t *len;
        char ***strs;
        int64_t **ints;
        imp_axes_slot(ax, i, &len, &strs, &ints);
        rc = strs ? r_strings(r, imp_axis_name(i), strs, len)
                  : r_ints(r, imp_axis_name(i), ints, len);
    }
    if (rc == 0 && imp_axes_n_cells(ax) == 0)
        rc = imp_err_set(r->err, IMP_EINPUT, "%s: an axis (/model … /seed) is empty", r->path);
    if (rc == 0 && (rc = imp__cube_alloc(c, r->err)) != 0)
        imp_err_prefix(r->err, "%s", r->path);
    if (rc == 0)
        rc = r_array(r, c, "status", H5T_NATIVE_UINT8, c->status);
    /* every measure the file has; one a cube written before it existed lacks stays unknown */
    for (int m = 0; m < IMP_MEASURE__COUNT && rc == 0; m++) {
        const imp_measure_info *mi = imp_measure_info_of((imp_measure_id)m);
        if (m != IMP_MEASURE_ACCURACY && H5Lexists(r->fid, mi->name, H5P_DEFAULT) <= 0)
            continue;
        hid_t ft, mt;
        const void *fill;
        measure_types(mi->kind, &ft, &mt, &fill);
        rc = r_array(r, c, mi->name, mt, imp_cube_measure(c, (imp_measure_id)m));
    }
    if (rc == 0 && H5Lexists(r->fid, "host_name", H5P_DEFAULT) > 0)
        rc = r_strings(r, "host_name", &c->host_name, &c->n_host_name);
    for (uint64_t i = 0; rc == 0 && i < c->n_cells; i++)
        if (c->host[i] < -1 || c->host[i] >= (int64_t)c->n_host_name)
            rc = imp_err_set(r->err, IMP_EINPUT, "%s: host: cell %llu has value %d, expected "
                             "-1 or an index into /host_name (%zu names)", r->path,
                             (unsigned long long)i, (int)c->host[i], c->n_host_name);
    if (rc == 0 && H5Lexists(r->fid, "cell_key", H5P_DEFAULT) > 0)
        rc = r_array(r, c, "cell_key", H5T_NATIVE_UINT64, c->key);
    for (uint64_t i = 0; rc == 0 && i < c->n_cells; i++)
        if (c->status[i] >= IMP_CELL__NSTATUS)
            rc = imp_err_set(r->err, IMP_EINPUT, "%s: status: cell %llu has value %u, expected "
                             "0..3", r->path, (unsigned long long)i, (unsigned)c->status[i]);
    if (rc == 0)
        rc = r_failures(r, c);
    const char *names[5] = {"job", "store", "imprint_version", "created", "updated"};
    char **slots[5] = {&c->job, &c->store, &c->imprint_version, &c->created, &c->updated};
    for (int i = 0; i < 5 && rc == 0; i++)
        rc = r_attr_str(r, names[i], slots[i]);
    if (rc == 0 && H5Aexists(r->fid, "grid_hash") > 0) {
        hid_t a = H5Aopen(r->fid, "grid_hash", H5P_DEFAULT);
        if (a < 0 || H5Aread(a, H5T_NATIVE_UINT64, &c->grid_hash) < 0)
            rc = imp_h5_fail(r->err, IMP_EINPUT, r->path, "grid_hash", "cannot read attribute");
        close_id(&a, H5Aclose);
    }
    return rc;
}

int imp_cube_read(const char *path, imp_cube **out, imp_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return imp_err_set(err, errno == ENOENT ? IMP_ENOTFOUND : IMP_EIO, "%s: %s", path,
                           strerror(errno));
    imp_cube *c = calloc(1, sizeof *c);
    if (!c)
        return imp_err_set(err, IMP_ENOMEM, "%s: out of memory", path);
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    int rc = 0;
    hid_t fapl = file_access();
    hid_t fid = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDONLY, fapl) : -1;
    if (fid < 0) {
        rc = imp_h5_fail(err, IMP_EINPUT, path, "/", "not an HDF5 file, or truncated or corrupt");
    } else {
        rctx r = {fid, path, err};
        rc = r_contents(&r, c);
        H5Fclose(fid);
    }
    close_id(&fapl, H5Pclose);
    imp_h5_quiet_off(&q);
    if (rc != 0) {
        imp_cube_free(c);
        return rc;
    }
    *out = c;
    return 0;
}
