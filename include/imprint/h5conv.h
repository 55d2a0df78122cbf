/* h5conv.h — reading numeric HDF5 datasets of any width into float32 / int32, with the
 * values that do not fit reported instead of silently clipped (HDF5's default). */
#ifndef IMPRINT_H5CONV_H
#define IMPRINT_H5CONV_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* H5Dread of the selection (mem_space, file_space; H5S_ALL for all) into float32: HDF5
 * converts float16/64 and integers. *overflow counts values beyond float32's range (HDF5
 * would make them ±inf; a stored ±inf is not counted). Returns H5Dread's status. */
herr_t imp_h5_read_float32(hid_t ds, hid_t mem_space, hid_t file_space, float *buf,
                           size_t *overflow);

/* Read all n values of an integer dataset into int32. Returns < 0 if the read fails; 1 if
 * a value does not fit int32 (its index and value in *bad_index, *bad_value; y is then
 * undefined); 0 on success. */
int imp_h5_read_int32(hid_t ds, size_t n, int32_t *y, size_t *bad_index, int64_t *bad_value);

#endif
