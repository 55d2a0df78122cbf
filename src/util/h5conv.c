/* h5conv.c — numeric HDF5 reads with range checks (store and ingest share them). */
#include "imprint/h5conv.h"

#include <math.h>
#include <stdlib.h>

/* Conversion callback: count range exceptions, let HDF5 do its default (±inf). */
static H5T_conv_ret_t count_overflow(H5T_conv_except_t what, hid_t src, hid_t dst, void *sbuf,
                                     void *dbuf, void *op)
{
    (void)dst, (void)dbuf;
    /* a stored ±inf in a float64 file is not an overflow: the caller's finite check names it */
    if (H5Tequal(src, H5T_NATIVE_DOUBLE) > 0 && isinf(*(const double *)sbuf))
        return H5T_CONV_UNHANDLED;
    if (what == H5T_CONV_EXCEPT_RANGE_HI || what == H5T_CONV_EXCEPT_RANGE_LOW)
        (*(size_t *)op)++;
    return H5T_CONV_UNHANDLED;
}

herr_t imp_h5_read_float32(hid_t ds, hid_t mem_space, hid_t file_space, float *buf,
                           size_t *overflow)
{
    *overflow = 0;
    hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
    if (xfer < 0)
        return -1;
    herr_t st = H5Pset_type_conv_cb(xfer, count_overflow, overflow);
    if (st >= 0)
        st = H5Dread(ds, H5T_NATIVE_FLOAT, mem_space, file_space, xfer, buf);
    H5Pclose(xfer);
    return st;
}

int imp_h5_read_int32(hid_t ds, size_t n, int32_t *y, size_t *bad_index, int64_t *bad_value)
{
    /* as int64: HDF5 converts every integer width and sign; a uint64 beyond INT64_MAX
     * saturates, which is still out of range */
    int64_t *wide = malloc((n ? n : 1) * sizeof *wide);
    if (!wide)
        return -1;
    if (H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, wide) < 0) {
        free(wide);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (wide[i] < INT32_MIN || wide[i] > INT32_MAX) {
            *bad_index = i;
            *bad_value = wide[i];
            rc = 1;
        } else {
            y[i] = (int32_t)wide[i];
        }
    }
    free(wide);
    return rc;
}
