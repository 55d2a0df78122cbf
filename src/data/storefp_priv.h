/* storefp_priv.h — the fingerprint over an already open HDF5 file, for the store writer. */
#ifndef IMPRINT_STOREFP_PRIV_H
#define IMPRINT_STOREFP_PRIV_H

#include <hdf5.h>

#include "imprint/storefp.h"

/* Hash /<model>/<dataset> in file (name for messages) and write the attribute. */
int imp__store_fp_put(hid_t file, const char *name, const char *model, const char *dataset,
                      imp_store_fp *out, imp_err *err);

#endif
