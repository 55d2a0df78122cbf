/* storefp.h — the content fingerprint of one model x dataset of an embedding store, cached as
 * an HDF5 attribute so that large stores are hashed once (docs/formats.md "The journal": a journal
 * record names the store content it was computed from). */
#ifndef IMPRINT_STOREFP_H
#define IMPRINT_STOREFP_H

#include <stdint.h>

#include "imprint/err.h"

/* The attribute on /<model>/<dataset>: the string "imprint-fp1 <full> <quick>" (16 hex each).
 *  full  = XXH64 over, for train then test and X then y: the dataset's rank, dims and stored
 *          type (class, size, sign), then every value (X as float32, y as int32, row-major,
 *          little-endian) — what a cell's result depends on; a moved or copied store keeps it.
 *  quick = the same headers, every y, and 64 evenly spaced rows of each X: recomputed on every
 *          check (milliseconds), so a rewritten X, a new shape or new labels invalidate the
 *          cached full hash. A change confined to X rows outside the sample is not seen by the
 *          quick check: rehash with IMP_FP_REHASH (`imprint plan --rehash`). */
#define IMP_STORE_FP_ATTR "imprint_fingerprint"

typedef struct imp_store_fp {
    uint64_t full, quick;
    int from_cache;  /* full came from a valid cached attribute */
    int wrote_cache; /* the attribute was (re)written */
    double seconds;  /* wall time of this call */
} imp_store_fp;

enum {
    IMP_FP_WRITE_CACHE = 1, /* write the attribute when it is missing or stale (file opened
                               read-write briefly; a read-only file just skips the write) */
    IMP_FP_REHASH = 2       /* ignore the cached value and hash everything */
};

/* Fingerprint /<model>/<dataset> of the store at path. Only one process may write a store at a
 * time: never pass IMP_FP_WRITE_CACHE while another process may have the file open (the sweep
 * does not; plan, merge and ingest do). Errors: IMP_EINPUT (missing object, unreadable data),
 * IMP_ENOMEM. */
int imp_store_fingerprint(const char *path, const char *model, const char *dataset, int flags,
                          imp_store_fp *out, imp_err *err);

#endif
