/* h5util.h — the HDF5 boundary: HDF5's error-stack printing off while library code runs
 * (restored after), and its innermost message carried into imp_err. */
#ifndef IMPRINT_H5UTIL_H
#define IMPRINT_H5UTIL_H

#include <hdf5.h>

#include "imprint/err.h"

/* The caller's automatic error printing, saved by imp_h5_quiet_on. */
typedef struct imp_h5quiet {
    H5E_auto2_t func;
    void *data;
} imp_h5quiet;

/* Silence HDF5's error printing (library code never prints); save the caller's setting. */
void imp_h5_quiet_on(imp_h5quiet *q);
/* Restore what imp_h5_quiet_on saved. */
void imp_h5_quiet_off(const imp_h5quiet *q);
/* The most specific message on HDF5's error stack ("truncated file: eof = …"), or "", in
 * buf[256]. Call right after the failing HDF5 call: the next API call clears the stack. */
const char *imp_h5_detail(char buf[256]);
/* Set err to "PATH: OBJ: WHAT (HDF5: innermost message)" and return code. */
int imp_h5_fail(imp_err *err, int code, const char *path, const char *obj, const char *what);

#endif
