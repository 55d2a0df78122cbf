/* storefp.c — content fingerprints of a store's model x dataset (full and quick XXH64), read
 * from the store's own attribute or a cache file beside the cube (storefp.h). */
#include "storefp_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "imprint/atomic.h"
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

/* The store's identity for the cache: its real path, size and modification time. */
typedef struct store_id {
    char *real;
    long long size, mtime_s, mtime_ns;
} store_id;

static int store_identity(const char *path, store_id *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (stat(path, &st) != 0 || !(id->real = realpath(path, NULL)))
        return -1;
    id->size = (long long)st.st_size;
    id->mtime_s = (long long)st.st_mtim.tv_sec;
    id->mtime_ns = (long long)st.st_mtim.tv_nsec;
    return 0;
}

/* The cache file's text (NULL when missing or unreadable; caller frees). */
static char *read_cache(const char *cache)
{
    FILE *f = fopen(cache, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t n = 0, cap = 0;
    char buf[4096];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) {
        if (n + r + 1 > cap) {
            cap = 2 * (n + r + 1);
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                return NULL;
            }
            text = t;
        }
        memcpy(text + n, buf, r);
        n += r;
    }
    fclose(f);
    if (text)
        text[n] = '\0';
    return text;
}

/* Does line (without its newline) belong to (id, model, dataset)? Then its hashes and whether
 * the store's size and time still match. */
static int cache_line_is(const char *line, size_t len, const store_id *id, const char *model,
                         const char *dataset, int *fresh, uint64_t *full, uint64_t *quick)
{
    char *l = strndup(line, len);
    if (!l)
        return 0;
    long long size, ts, tns;
    unsigned long long f, q;
    int off = 0, ours = 0;
    if (sscanf(l, "imprint-fp1\t%lld\t%lld.%lld\t%16llx\t%16llx\t%n", &size, &ts, &tns, &q, &f,
               &off) == 5 && off > 0) {
        const char *m = l + off, *d = strchr(m, '\t'), *p = d ? strchr(d + 1, '\t') : NULL;
        ours = p && (size_t)(d - m) == strlen(model) && strncmp(m, model, (size_t)(d - m)) == 0 &&
               (size_t)(p - d - 1) == strlen(dataset) &&
               strncmp(d + 1, dataset, (size_t)(p - d - 1)) == 0 && strcmp(p + 1, id->real) == 0;
        if (ours) {
            *fresh = size == id->size && ts == id->mtime_s && tns == id->mtime_ns;
            *full = f;
            *quick = q;
        }
    }
    free(l);
    return ours;
}

/* The cached full hash of (id, model, dataset) when size, time and quick hash match. */
static int cache_lookup(const char *cache, const store_id *id, const char *model,
                        const char *dataset, uint64_t quick, uint64_t *full)
{
    char *text = read_cache(cache);
    int found = 0;
    for (const char *p = text; p && *p && !found;) {
        size_t len = strcspn(p, "\n");
        int fresh = 0;
        uint64_t f, q;
        if (cache_line_is(p, len, id, model, dataset, &fresh, &f, &q) && fresh && q == quick) {
            *full = f;
            found = 1;
        }
        p += len + (p[len] == '\n');
    }
    free(text);
    return found;
}

/* Replace (id, model, dataset)'s line of the cache with fp's; 0 or -1 (not cached). */
static int cache_store(const char *cache, const store_id *id, const char *model,
                       const char *dataset, const imp_store_fp *fp)
{
    char *old = read_cache(cache);
    size_t cap = (old ? strlen(old) : 0) + strlen(id->real) + strlen(model) + strlen(dataset) +
                 128;
    char *text = malloc(cap);
    if (!text) {
        free(old);
        return -1;
    }
    size_t n = 0;
    for (const char *p = old; p && *p;) { /* keep every other line, drop ours */
        size_t len = strcspn(p, "\n");
        int fresh;
        uint64_t f, q;
        if (len && !cache_line_is(p, len, id, model, dataset, &fresh, &f, &q)) {
            memcpy(text + n, p, len);
            n += len;
            text[n++] = '\n';
        }
        p += len + (p[len] == '\n');
    }
    n += (size_t)snprintf(text + n, cap - n, "imprint-fp1\t%lld\t%lld.%09lld\t%016llx\t%016llx\t%s\t"
                          "%s\t%s\n", id->size, id->mtime_s, id->mtime_ns,
                          (unsigned long long)fp->quick, (unsigned long long)fp->full, model,
                          dataset, id->real);
    imp_err e;
    int rc = imp_outfile_write_all(cache, text, n, &e);
    free(old);
    free(text);
    return rc ? -1 : 0;
}

int imp_store_fingerprint(const char *path, const char *model, const char *dataset,
                          const char *cache, int flags, imp_store_fp *out, imp_err *err)
{
    double t0 = imp_clock_s();
    memset(out, 0, sizeof *out);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (strlen(model) >= IMP_NAME_MAX || strlen(dataset) >= IMP_NAME_MAX ||
        strchr(model, '\t') || strchr(dataset, '\t'))
        return imp_err_set(err, IMP_EINPUT, "%s: name too long or with a tab: /%s/%s", path,
                           model, dataset);
    store_id id;
    int have_id = cache && store_identity(path, &id) == 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        if (have_id)
            free(id.real);
        return imp_err_set(err, IMP_EINPUT, "%s: cannot open the store to fingerprint it", path);
    }
    char group[2 * IMP_NAME_MAX + 4];
    snprintf(group, sizeof group, "/%s/%s", model, dataset);
    uint64_t cf = 0, cq = 0;
    int rehash = flags & IMP_FP_REHASH;
    int cached = !rehash && read_attr(f, group, &cf, &cq) == 0;
    int rc = hash_pair(f, path, model, dataset, NULL, &out->quick, err);
    if (!rc && cached && cq == out->quick) {
        out->full = cf;
        out->from_cache = 1;
    } else if (!rc && !rehash && have_id &&
               cache_lookup(cache, &id, model, dataset, out->quick, &cf)) {
        out->full = cf;
        out->from_cache = 1;
    } else if (!rc) {
        rc = hash_pair(f, path, model, dataset, &out->full, &out->quick, err);
    }
    H5Fclose(f);
    if (!rc && !out->from_cache && have_id && (flags & IMP_FP_WRITE_CACHE))
        out->wrote_cache = cache_store(cache, &id, model, dataset, out) == 0;
    if (have_id)
        free(id.real);
    out->seconds = imp_clock_s() - t0;
    return rc;
}
