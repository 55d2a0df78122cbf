/* idx.h — reader for MNIST-format idx files (gzipped or plain), with strict validation. */
#ifndef IMPRINT_IDX_H
#define IMPRINT_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"

typedef struct imp_idx {
    int ndim;          /* 1 for labels, 3 for images */
    uint32_t dims[4];  /* dims[0] = number of items */
    size_t item_bytes; /* product of dims[1..ndim-1] (1 for labels) */
    uint8_t *data;     /* dims[0] * item_bytes bytes; owned, free with imp_idx_free */
} imp_idx;

/* Read an idx file of unsigned bytes with ndim dimensions (1 = labels, 3 = images). The
 * file may be gzip-compressed or plain. Errors (IMP_EINPUT, message names the file): wrong
 * magic number, wrong type or ndim, zero-sized dimensions, truncated data, trailing bytes. */
int imp_idx_read(const char *path, int ndim, imp_idx *out, imp_err *err);
void imp_idx_free(imp_idx *idx);

/* Read an image file and a label file and check they describe the same number of items
 * and labels < 256. Images are returned as float32 in [0,1] (pixel / 255), row-major
 * [n, rows*cols]; labels as int32. Caller frees *X and *y with free(). */
int imp_idx_read_pair(const char *images, const char *labels, float **X, int32_t **y, size_t *n,
                      size_t *d, imp_err *err);

#endif
