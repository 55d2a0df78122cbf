/* storefp.c — content fingerprints of a store's model x dataset (full and quick XXH64), read
 * from or written to the cache attribute. */
#include "storefp_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imprint/hash64.h"
#include "imprint/store.h"
#include "imprint/clock.h"

enum { QUICK_ROWS = 64, BLOCK_BYTES = 4 << 20 };

/* Feed rank, dims and stored type of dataset d. Returns 0 or -1. */
static int hash_header(hid_t d, imp_hash64_state *a, imp_hash64_state *b, hsize_t dims[2],
                       int *rank)
{
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    int ok = sp >= 0 && t >= 0;
    *rank = ok ? H5Sget_simple_extent_ndims(sp) : -1;
    ok = ok && *rank >= 1 && *rank <= 2;
    dims[0] = dims[1] = 1;
    if (ok)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    uint64_t h[5] = {(uint64_t)*rank, dims[0], *rank == 2 ? dims[1] : 1,
                     ok ? (uint64_t)H5Tget_class(t) : 0, ok ? (uint64_t)H5Tget_size(t) : 0};
    if (ok && H5Tget_class(t) == H5T_INTEGER)
        h[4] |= (uint64_t)H5Tget_sign(t) << 32;
    imp_hash64_update(a, h, sizeof h);
    imp_hash64_update(b, h, sizeof h);
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    return ok ? 0 : -1;
}

/* Read rows [r0, r0+n) of a rank-1 or rank-2 dataset as mtype into buf. */
static int read_rows(hid_t d, hid_t mtype, int rank, const hsize_t dims[2], hsize_t r0, hsize_t n,
                     void *buf)
{
    hid_t fsp = H5Dget_space(d);
    hsize_t start[2] = {r0, 0}, count[2] = {n, rank == 2 ? dims[1] : 1};
    hid_t msp = H5Screate_simple(rank, count, NULL);
    int ok = fsp >= 0 && msp >= 0 &&
             H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dread(d, mtype, msp, fsp, H5P_DEFAULT, buf) >= 0;
    if (msp >= 0)
        H5Sclose(msp);
    if (fsp >= 0)
        H5Sclose(fsp);
    return ok ? 0 : -1;
}

/* One dataset into the full (every row) and quick (every row of y, sampled rows of X) hashes;
 * full == NULL computes only the quick hash. */
static int hash_dataset(hid_t file, const char *name, const char *obj, int is_x,
                        imp_hash64_state *full, imp_hash64_state *quick, imp_err *err)
{
    hid_t d = H5Dopen2(file, obj, H5P_DEFAULT);
    if (d < 0)
        return imp_err_set(err, IMP_EINPUT, "%s: no dataset %s (cannot fingerprint it)", name,
                           obj);
    imp_hash64_state dummy;
    imp_hash64_init(&dummy);
    hsize_t dims[2];
    int rank, rc = 0;
    if (hash_header(d, full ? full : &dummy, quick, dims, &rank) != 0 || (is_x && rank != 2) ||
        (!is_x && rank != 1)) {
        H5Dclose(d);
        return imp_err_set(err, IMP_EINPUT, "%s: %s: expected a %s dataset", name, obj,
                           is_x ? "2-D [n, d]" : "1-D [n]");
    }
    size_t width = (size_t)(rank == 2 ? dims[1] : 1), esz = 4;
    size_t row_bytes = width * esz;
    hid_t mtype = is_x ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT32;
    hsize_t n = dims[0];
    size_t block = row_bytes >= BLOCK_BYTES ? 1 : BLOCK_BYTES / row_bytes;
    void *buf = malloc((block ? block : 1) * row_bytes + 1);
    if (!buf) {
        H5Dclose(d);
        return imp_err_set(err, IMP_ENOMEM, "%s: out of memory fingerprinting %s", name, obj);
    }
    int every_row = full || !is_x;
    for (hsize_t r = 0; every_row && r < n && !rc; r += block) {
        hsize_t m = n - r < block ? n - r : block;
        if (read_rows(d, mtype, rank, dims, r, m, buf) != 0) {
            rc = imp_err_set(err, IMP_EINPUT, "%s: cannot read rows %llu.. of %s (truncated?)",
                             name, (unsigned long long)r, obj);
            break;
        }
        if (full)
            imp_hash64_update(full, buf, (size_t)m * row_bytes);
        if (!is_x)
            imp_hash64_update(quick, buf, (size_t)m * row_bytes);
    }
    /* the quick sample of X: rows i * (n - 1) / 63, i = 0..63 (all rows when n <= 64) */
    for (hsize_t i = 0; is_x && !rc && i < QUICK_ROWS && i < n; i++) {
        hsize_t r = n <= QUICK_ROWS ? i : i * (n - 1) / (QUICK_ROWS - 1);
        if (read_rows(d, mtype, rank, dims, r, 1, buf) != 0)
            rc = imp_err_set(err, IMP_EINPUT, "%s: cannot read row %llu of %s (truncated?)", name,
                             (unsigned long long)r, obj);
        else
            imp_hash64_update(quick, buf, row_bytes);
    }
    free(buf);
    H5Dclose(d);
    return rc;
}

/* Both hashes (full NULL: quick only) of /<model>/<dataset>. */
static int hash_pair(hid_t file, const char *name, const char *model, const char *dataset,
                     uint64_t *full, uint64_t *quick, imp_err *err)
{
    imp_hash64_state f, q;
    imp_hash64_init(&f);
    imp_hash64_init(&q);
    static const char *const splits[2] = {"train", "test"};
    int rc = 0;
    for (int s = 0; s < 2 && !rc; s++)
        for (int x = 1; x >= 0 && !rc; x--) {
            char obj[3 * IMP_NAME_MAX + 16];
            snprintf(obj, sizeof obj, "/%s/%s/%s/%s", model, dataset, splits[s], x ? "X" : "y");
            rc = hash_dataset(file, name, obj, x, full ? &f : NULL, &q, err);
        }
    if (!rc) {
        if (full)
            *full = imp_hash64_digest(&f);
        *quick = imp_hash64_digest(&q);
    }
    return rc;
}

/* The cached attribute, if present and well-formed: 0 and the two hashes, else -1. */
static int read_attr(hid_t file, const char *group, uint64_t *full, uint64_t *quick)
{
    if (H5Aexists_by_name(file, group, IMP_STORE_FP_ATTR, H5P_DEFAULT) <= 0)
        return -1;
    hid_t a = H5Aopen_by_name(file, group, IMP_STORE_FP_ATTR, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    int ok = t >= 0 && H5Tget_class(t) == H5T_STRING;
    char text[128] = "";
    if (ok && H5Tis_variable_str(t) > 0) {
        char *v = NULL;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        ok = H5Aread(a, mt, &v) >= 0 && v;
        if (ok)
            snprintf(text, sizeof text, "%s", v);
        free(v);
        H5Tclose(mt);
    } else if (ok && H5Tget_size(t) < sizeof text) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sizeof text - 1);
        ok = H5Aread(a, mt, text) >= 0;
        text[sizeof text - 1] = '\0';
        H5Tclose(mt);
    } else {
        ok = 0;
    }
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    unsigned long long f, q;
    if (!ok || sscanf(text, "imprint-fp1 %16llx %16llx", &f, &q) != 2)
        return -1;
    *full = f;
    *quick = q;
    return 0;
}

static int write_attr(hid_t file, const char *group, const imp_store_fp *fp)
{
    char text[64];
    snprintf(text, sizeof text, "imprint-fp1 %016llx %016llx", (unsigned long long)fp->full,
             (unsigned long long)fp->quick);
    if (H5Aexists_by_name(file, group, IMP_STORE_FP_ATTR, H5P_DEFAULT) > 0 &&
        H5Adelete_by_name(file, group, IMP_STORE_FP_ATTR, H5P_DEFAULT) < 0)
        return -1;
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a = -1;
    int ok = t >= 0 && sp >= 0 && H5Tset_size(t, strlen(text) + 1) >= 0;
    if (ok)
        a = H5Acreate_by_name(file, group, IMP_STORE_FP_ATTR, t, sp, H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT);
    ok = ok && a >= 0 && H5Awrite(a, t, text) >= 0;
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return ok ? 0 : -1;
}

int imp__store_fp_put(hid_t file, const char *name, const char *model, const char *dataset,
                      imp_store_fp *out, imp_err *err)
{
    double t0 = imp_clock_s();
    memset(out, 0, sizeof *out);
    int rc = hash_pair(file, name, model, dataset, &out->full, &out->quick, err);
    char group[2 * IMP_NAME_MAX + 4];
    snprintf(group, sizeof group, "/%s/%s", model, dataset);
    if (!rc && write_attr(file, group, out) != 0)
        rc = imp_err_set(err, IMP_EHDF5, "%s: cannot write the %s attribute of %s", name,
                         IMP_STORE_FP_ATTR, group);
    out->wrote_cache = !rc;
    out->seconds = imp_clock_s() - t0;
    return rc;
}

int imp_store_fingerprint(const char *path, const char *model, const char *dataset, int flags,
                          imp_store_fp *out, imp_err *err)
{
    double t0 = imp_clock_s();
    memset(out, 0, sizeof *out);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (strlen(model) >= IMP_NAME_MAX || strlen(dataset) >= IMP_NAME_MAX)
        return imp_err_set(err, IMP_EINPUT, "%s: name too long", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return imp_err_set(err, IMP_EINPUT, "%s: cannot open the store to fingerprint it", path);
    char group[2 * IMP_NAME_MAX + 4];
    snprintf(group, sizeof group, "/%s/%s", model, dataset);
    uint64_t cf = 0, cq = 0;
    int cached = !(flags & IMP_FP_REHASH) && read_attr(f, group, &cf, &cq) == 0;
    int rc = hash_pair(f, path, model, dataset, NULL, &out->quick, err);
    if (!rc && cached && cq == out->quick) {
        out->full = cf;
        out->from_cache = 1;
    } else if (!rc) {
        rc = hash_pair(f, path, model, dataset, &out->full, &out->quick, err);
    }
    H5Fclose(f);
    if (!rc && !out->from_cache && (flags & IMP_FP_WRITE_CACHE)) {
        /* a read-only file or directory: the fingerprint is still right, just not cached */
        hid_t w = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
        if (w >= 0) {
            out->wrote_cache = write_attr(w, group, out) == 0;
            if (H5Fclose(w) < 0)
                out->wrote_cache = 0;
        }
    }
    out->seconds = imp_clock_s() - t0;
    return rc;
}
