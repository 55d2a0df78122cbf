/* storefp.h — the content fingerprint of one model x dataset of an embedding store, cached
 * outside the store (beside the cube) so that large stores are hashed once and never written
 * by anything but ingest (docs/formats.md "The journal": a journal record names the store
 * content it was computed from). */
#ifndef IMPRINT_STOREFP_H
#define IMPRINT_STOREFP_H

#include <stdint.h>

#include "imprint/err.h"

/* The fingerprint of /<model>/<dataset>: two XXH64 hashes.
 *  full  = XXH64 over, for train then test and X then y: the dataset's rank, dims and stored
 *          type (class, size, sign), then every value (X as float32, y as int32, row-major,
 *          little-endian) — what a cell's result depends on; a moved or copied store keeps it.
 *  quick = the same headers, every y, and 64 evenly spaced rows of each X: recomputed on every
 *          check (milliseconds), so a rewritten X, a new shape or new labels invalidate a
 *          cached full hash. A change confined to X rows outside the sample is not seen by the
 *          quick check: rehash with IMP_FP_REHASH (`imprint plan --rehash`).
 * Where a full hash may come from without reading every row:
 *  - the store's attribute IMP_STORE_FP_ATTR on /<model>/<dataset> ("imprint-fp1 <full>
 *    <quick>", 16 hex each), written only by the store's writer (ingest) inside its
 *    transaction, trusted when its quick hash matches;
 *  - a cache file (the job's "<cube>.fingerprints", IMP_FP_CACHE_SUFFIX): one line per store
 *    x model x dataset, "imprint-fp1 TAB size TAB mtime TAB quick TAB full TAB model TAB
 *    dataset TAB store's real path", trusted when the store's size, modification time (ns) and
 *    quick hash all match. Writers replace it atomically (imp_outfile), so concurrent plans
 *    and sweeps at worst drop each other's new lines, which are then hashed again. */
#define IMP_STORE_FP_ATTR "imprint_fingerprint"
#define IMP_FP_CACHE_SUFFIX ".fingerprints"

typedef struct imp_store_fp {
    uint64_t full, quick;
    int from_cache;  /* full came from the store's attribute or the cache file */
    int wrote_cache; /* the cache file was (re)written with this fingerprint */
    double seconds;  /* wall time of this call */
} imp_store_fp;

enum {
    IMP_FP_WRITE_CACHE = 1, /* add a freshly computed fingerprint to the cache file (best
                               effort: a folder that cannot be written just skips it) */
    IMP_FP_REHASH = 2       /* ignore every cached value and hash everything */
};

/* Fingerprint /<model>/<dataset> of the store at path, opened read-only: the store's bytes and
 * modification time are never changed. cache: the cache file's path, or NULL for none.
 * Errors: IMP_EINPUT (missing object, unreadable data), IMP_ENOMEM. */
int imp_store_fingerprint(const char *path, const char *model, const char *dataset,
                          const char *cache, int flags, imp_store_fp *out, imp_err *err);

#endif
