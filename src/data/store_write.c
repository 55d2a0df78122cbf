/* store_write.c — atomic writing of the embedding store: copy to a temp file, add, rename. */
#include "imprint/store.h"
#include "imprint/atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storefp_priv.h"

struct imp_store_tx {
    hid_t file;
    char *path;
    char *tmp;
};

static int copy_file(const char *from, const char *to, imp_err *err)
{
    int in = open(from, O_RDONLY);
    if (in < 0)
        return imp_err_set(err, IMP_EIO, "%s: cannot open: %s", from, strerror(errno));
    int outfd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (outfd < 0) {
        close(in);
        return imp_err_set(err, IMP_EIO, "%s: cannot create: %s", to, strerror(errno));
    }
    char buf[1 << 16];
    ssize_t r;
    int rc = 0;
    while ((r = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(outfd, buf + off, (size_t)(r - off));
            if (w < 0) {
                rc = imp_err_set(err, IMP_EIO, "%s: write failed: %s", to, strerror(errno));
                goto out;
            }
            off += w;
        }
    }
    if (r < 0)
        rc = imp_err_set(err, IMP_EIO, "%s: read failed: %s", from, strerror(errno));
out:
    close(in);
    if (close(outfd) != 0 && !rc)
        rc = imp_err_set(err, IMP_EIO, "%s: close failed: %s", to, strerror(errno));
    return rc;
}

int imp_store_tx_begin(const char *path, imp_store_tx **out, imp_err *err)
{
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* a store reached through a symbolic link: the link's target is the file rewritten */
    char *target = NULL;
    int direct = -1, rc = imp_out_resolve(path, &target, &direct, err);
    if (!rc && direct != -1)
        rc = imp_err_set(err, IMP_EINPUT, "%s: is not a regular file (a store must be a file)",
                         path);
    if (rc) {
        free(target);
        return rc;
    }
    const char *user = path; /* messages name the path as the user gave it */
    path = target;
    imp_store_tx *tx = calloc(1, sizeof *tx);
    size_t len = strlen(path) + 32;
    if (!tx || !(tx->tmp = malloc(len))) {
        free(tx);
        free(target);
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    tx->path = target;
    snprintf(tx->tmp, len, "%s.tmp.%ld", path, (long)getpid());
    /* the new store is made beside the old one: a folder that cannot take it is the user's
     * path at fault (exit 2), said before any work */
    int probe = open(tx->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (probe < 0) {
        char *dir = imp_path_dir(path);
        rc = imp_err_set(err, IMP_EINPUT, "%s: cannot write the store in the directory %s: %s",
                         user, dir ? dir : "?", strerror(errno));
        free(dir);
        goto fail;
    }
    close(probe);
    if (access(path, F_OK) == 0) {
        if (H5Fis_hdf5(path) <= 0) {
            rc = imp_err_set(err, IMP_EINPUT,
                             "%s: exists but is not an HDF5 file; refusing to overwrite it", path);
            goto fail;
        }
        rc = copy_file(path, tx->tmp, err);
        if (rc)
            goto fail;
        tx->file = H5Fopen(tx->tmp, H5F_ACC_RDWR, H5P_DEFAULT);
        if (tx->file < 0) {
            rc = imp_err_set(err, IMP_EINPUT, "%s: HDF5 cannot open the existing store (damaged?)",
                             path);
            unlink(tx->tmp);
            goto fail;
        }
    } else {
        tx->file = H5Fcreate(tx->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        if (tx->file < 0) {
            rc = imp_err_set(err, IMP_EIO, "%s: HDF5 cannot create the new store %s", user,
                             tx->tmp);
            unlink(tx->tmp);
            goto fail;
        }
    }
    *out = tx;
    return 0;
fail:
    unlink(tx->tmp); /* the probe or a partial copy; ENOENT when none was made */
    free(tx->tmp);
    free(tx->path);
    free(tx);
    return rc;
}

int imp_store_tx_exists(imp_store_tx *tx, const char *model, const char *dataset)
{
    char p[2 * IMP_NAME_MAX + 4];
    snprintf(p, sizeof p, "/%s", model);
    if (H5Lexists(tx->file, p, H5P_DEFAULT) <= 0)
        return 0;
    snprintf(p, sizeof p, "/%s/%s", model, dataset);
    return H5Lexists(tx->file, p, H5P_DEFAULT) > 0;
}

int imp_store_tx_remove(imp_store_tx *tx, const char *model, const char *dataset, imp_err *err)
{
    char p[2 * IMP_NAME_MAX + 4];
    snprintf(p, sizeof p, "/%s/%s", model, dataset);
    if (H5Ldelete(tx->file, p, H5P_DEFAULT) < 0)
        return imp_err_set(err, IMP_EHDF5, "%s: cannot remove %s", tx->path, p);
    return 0;
}

static int valid_name(const char *s)
{
    if (!*s || strlen(s) >= IMP_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (; *s; s++)
        if (*s == '/' || (unsigned char)*s < 32)
            return 0;
    return 1;
}

int imp_store_tx_put(imp_store_tx *tx, const char *model, const char *dataset, const char *split,
                     const float *X, const int32_t *y, size_t n, size_t d, imp_err *err)
{
    if (!valid_name(model) || !valid_name(dataset))
        return imp_err_set(err, IMP_EINPUT, "invalid model or dataset name '%s/%s'", model,
                           dataset);
    if (n == 0 || d == 0)
        return imp_err_set(err, IMP_EINPUT, "%s/%s/%s: no rows to write", model, dataset, split);
    /* stable counting sort of the row order by label */
    int32_t lo = y[0], hi = y[0];
    for (size_t i = 1; i < n; i++) {
        lo = y[i] < lo ? y[i] : lo;
        hi = y[i] > hi ? y[i] : hi;
    }
    size_t range = (size_t)((int64_t)hi - lo) + 1;
    size_t *perm = malloc(n * sizeof *perm);
    size_t *cnt = range <= (1u << 24) ? calloc(range + 1, sizeof *cnt) : NULL;
    float *Xs = malloc(n * d * sizeof(float));
    int32_t *ys = malloc(n * sizeof(int32_t));
    int rc = 0;
    if (!perm || !Xs || !ys || !cnt) {
        rc = imp_err_set(err, cnt || range <= (1u << 24) ? IMP_ENOMEM : IMP_EINPUT,
                         "%s/%s/%s: cannot sort rows (out of memory or label range %d..%d too wide)",
                         model, dataset, split, lo, hi);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        cnt[(size_t)(y[i] - lo) + 1]++;
    for (size_t r = 0; r < range; r++)
        cnt[r + 1] += cnt[r];
    for (size_t i = 0; i < n; i++)
        perm[cnt[(size_t)(y[i] - lo)]++] = i;
    for (size_t i = 0; i < n; i++) {
        memcpy(Xs + i * d, X + perm[i] * d, d * sizeof(float));
        ys[i] = y[perm[i]];
    }
    char p[3 * IMP_NAME_MAX + 8];
    snprintf(p, sizeof p, "/%s/%s/%s", model, dataset, split);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t g = H5Gcreate2(tx->file, p, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    H5Pclose(lcpl);
    if (g < 0) {
        rc = imp_err_set(err, IMP_EHDF5, "%s: cannot create group %s (exists already?)", tx->path,
                         p);
        goto out;
    }
    hsize_t dx[2] = {n, d}, dy[1] = {n};
    hid_t sx = H5Screate_simple(2, dx, NULL), sy = H5Screate_simple(1, dy, NULL);
    hid_t dsx = H5Dcreate2(g, "X", H5T_IEEE_F32LE, sx, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t dsy = H5Dcreate2(g, "y", H5T_STD_I32LE, sy, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (dsx < 0 || dsy < 0 ||
        H5Dwrite(dsx, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, Xs) < 0 ||
        H5Dwrite(dsy, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ys) < 0)
        rc = imp_err_set(err, IMP_EHDF5, "%s: cannot write %s (disk full?)", tx->tmp, p);
    if (dsx >= 0)
        H5Dclose(dsx);
    if (dsy >= 0)
        H5Dclose(dsy);
    H5Sclose(sx);
    H5Sclose(sy);
    H5Gclose(g);
out:
    free(perm);
    free(cnt);
    free(Xs);
    free(ys);
    return rc;
}

static hid_t open_obj(imp_store_tx *tx, const char *model, const char *dataset)
{
    char p[2 * IMP_NAME_MAX + 4];
    if (dataset)
        snprintf(p, sizeof p, "/%s/%s", model, dataset);
    else
        snprintf(p, sizeof p, "/%s", model);
    return H5Oopen(tx->file, p, H5P_DEFAULT);
}

static int write_str_attr(imp_store_tx *tx, hid_t obj, const char *name, const char *const *values,
                          size_t n, int scalar, imp_err *err)
{
    if (H5Aexists(obj, name) > 0)
        H5Adelete(obj, name);
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hsize_t dims[1] = {n};
    hid_t sp = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
    hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = 0;
    if (a < 0 || H5Awrite(a, t, values) < 0)
        rc = imp_err_set(err, IMP_EHDF5, "%s: cannot write attribute %s", tx->tmp, name);
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return rc;
}

int imp_store_tx_attr(imp_store_tx *tx, const char *model, const char *dataset, const char *name,
                      const char *value, imp_err *err)
{
    hid_t o = open_obj(tx, model, dataset);
    if (o < 0)
        return imp_err_set(err, IMP_EHDF5, "%s: no object for attribute %s", tx->tmp, name);
    int rc = write_str_attr(tx, o, name, &value, 1, 1, err);
    H5Oclose(o);
    return rc;
}

int imp_store_tx_attr_strings(imp_store_tx *tx, const char *model, const char *dataset,
                              const char *name, const char *const *values, size_t n, imp_err *err)
{
    hid_t o = open_obj(tx, model, dataset);
    if (o < 0)
        return imp_err_set(err, IMP_EHDF5, "%s: no object for attribute %s", tx->tmp, name);
    int rc = write_str_attr(tx, o, name, values, n, 0, err);
    H5Oclose(o);
    return rc;
}

static void tx_free(imp_store_tx *tx)
{
    free(tx->tmp);
    free(tx->path);
    free(tx);
}

int imp_store_tx_fingerprint(imp_store_tx *tx, const char *model, const char *dataset,
                             imp_err *err)
{
    imp_store_fp fp;
    return imp__store_fp_put(tx->file, tx->path, model, dataset, &fp, err);
}

int imp_store_tx_commit(imp_store_tx *tx, imp_err *err)
{
    int rc = 0;
    if (H5Fclose(tx->file) < 0) {
        rc = imp_err_set(err, IMP_EHDF5, "%s: closing the new store failed", tx->tmp);
        unlink(tx->tmp);
        tx_free(tx);
        return rc;
    }
    rc = imp_atomic_publish(tx->tmp, tx->path, "store", err);
    tx_free(tx);
    return rc;
}

void imp_store_tx_abort(imp_store_tx *tx)
{
    if (!tx)
        return;
    H5Fclose(tx->file);
    unlink(tx->tmp);
    tx_free(tx);
}
