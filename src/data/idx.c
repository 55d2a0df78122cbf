/* idx.c — MNIST idx files: magic 0x0000 TT NN, big-endian dims, then the raw items. */
#include "imprint/idx.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

int imp_idx_read(const char *path, int ndim, imp_idx *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    gzFile f = gzopen(path, "rb"); /* reads plain files transparently */
    if (!f)
        return imp_err_set(err, IMP_EINPUT, "%s: cannot open idx file", path);
    int rc = 0;
    unsigned char hdr[4 + 4 * 4];
    int got = gzread(f, hdr, 4);
    if (got != 4) {
        rc = imp_err_set(err, IMP_EINPUT, "%s: truncated idx header (%d of 4 bytes)", path,
                         got < 0 ? 0 : got);
        goto done;
    }
    if (hdr[0] != 0 || hdr[1] != 0 || hdr[2] != 0x08 || hdr[3] != ndim) {
        rc = imp_err_set(err, IMP_EINPUT,
                         "%s: bad idx magic number 0x%02x%02x%02x%02x (expected 0x000008%02x: "
                         "unsigned bytes, %d dimension%s)",
                         path, hdr[0], hdr[1], hdr[2], hdr[3], ndim, ndim, ndim == 1 ? "" : "s");
        goto done;
    }
    got = gzread(f, hdr + 4, 4u * (unsigned)ndim);
    if (got != 4 * ndim) {
        rc = imp_err_set(err, IMP_EINPUT, "%s: truncated idx header (dimensions)", path);
        goto done;
    }
    out->ndim = ndim;
    size_t item = 1;
    const size_t limit = (size_t)1 << 34; /* 16 GiB: far beyond any idx data set */
    for (int i = 0; i < ndim; i++) {
        out->dims[i] = be32(hdr + 4 + 4 * i);
        if (out->dims[i] == 0) {
            rc = imp_err_set(err, IMP_EINPUT, "%s: idx dimension %d is 0", path, i);
            goto done;
        }
        if (i > 0) {
            if (item > limit / out->dims[i]) {
                rc = imp_err_set(err, IMP_EINPUT, "%s: idx dimensions describe more than %zu "
                                 "bytes an item, too large", path, limit);
                goto done;
            }
            item *= out->dims[i];
        }
    }
    out->item_bytes = item;
    if ((size_t)out->dims[0] > limit / item) {
        rc = imp_err_set(err, IMP_EINPUT, "%s: idx dimensions describe more than %zu bytes, too "
                         "large", path, limit);
        goto done;
    }
    size_t total = (size_t)out->dims[0] * item;
    /* grow the buffer with the data actually read, so a short file claiming gigabytes is
     * reported as truncated without first allocating what its header claims */
    size_t have = 0, cap = 0;
    while (have < total) {
        if (have == cap) {
            size_t nc = cap ? 2 * cap : (size_t)1 << 20;
            if (nc > total)
                nc = total;
            uint8_t *p = realloc(out->data, nc);
            if (!p) {
                rc = imp_err_set(err, IMP_ENOMEM, "%s: cannot allocate %zu bytes", path, nc);
                goto done;
            }
            out->data = p;
            cap = nc;
        }
        size_t want = cap - have;
        unsigned chunk = want > (1u << 30) ? (1u << 30) : (unsigned)want;
        int r = gzread(f, out->data + have, chunk);
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    if (have < total) {
        int zerr = 0;
        const char *zmsg = gzerror(f, &zerr);
        rc = imp_err_set(err, IMP_EINPUT,
                         "%s: truncated idx file: header promises %u items (%zu bytes of data), "
                         "found %zu bytes%s%s",
                         path, out->dims[0], total, have, zerr ? "; " : "", zerr ? zmsg : "");
        goto done;
    }
    unsigned char extra;
    if (gzread(f, &extra, 1) == 1) {
        rc = imp_err_set(err, IMP_EINPUT,
                         "%s: trailing bytes after the %u items the header promises", path,
                         out->dims[0]);
        goto done;
    }
done:
    gzclose(f);
    if (rc)
        imp_idx_free(out);
    return rc;
}

void imp_idx_free(imp_idx *idx)
{
    free(idx->data);
    idx->data = NULL;
}

int imp_idx_read_pair(const char *images, const char *labels, float **X, int32_t **y, size_t *n,
                      size_t *d, imp_err *err)
{
    imp_idx im, lb;
    int rc = imp_idx_read(images, 3, &im, err);
    if (rc)
        return rc;
    rc = imp_idx_read(labels, 1, &lb, err);
    if (rc) {
        imp_idx_free(&im);
        return rc;
    }
    if (im.dims[0] != lb.dims[0]) {
        rc = imp_err_set(err, IMP_EINPUT, "%s has %u images but %s has %u labels", images,
                         im.dims[0], labels, lb.dims[0]);
        goto out;
    }
    *n = im.dims[0];
    *d = im.item_bytes;
    *X = malloc(*n * *d * sizeof(float));
    *y = malloc(*n * sizeof(int32_t));
    if (!*X || !*y) {
        free(*X);
        free(*y);
        *X = NULL;
        *y = NULL;
        rc = imp_err_set(err, IMP_ENOMEM, "%s: out of memory", images);
        goto out;
    }
    for (size_t i = 0; i < *n * *d; i++)
        (*X)[i] = (float)im.data[i] / 255.0f;
    for (size_t i = 0; i < *n; i++)
        (*y)[i] = lb.data[i];
out:
    imp_idx_free(&im);
    imp_idx_free(&lb);
    return rc;
}
