/* store.h — the HDF5 embedding store (DESIGN.md "Embedding store"): validated listing,
 * class-grouped loading with hyperslab reads, and atomic writing. */
#ifndef IMPRINT_STORE_H
#define IMPRINT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"

#define IMP_NAME_MAX 128

typedef struct imp_store imp_store;

/* Open a store read-only. A missing file, a non-HDF5 or truncated file → IMP_EINPUT. */
int imp_store_open(const char *path, imp_store **out, imp_err *err);
void imp_store_close(imp_store *s);
const char *imp_store_path(const imp_store *s);

/* One (model, dataset) pair with both splits validated: X [n, d] of any integer or float type
 * (read as float32; a value beyond float32 is an error), y [n] of any integer type (read as
 * int32; a label beyond int32 is an error),
 * train and test with the same d. */
typedef struct imp_store_entry {
    char model[IMP_NAME_MAX];
    char dataset[IMP_NAME_MAX];
    size_t n_train, n_test, d;
    int n_classes;       /* distinct labels in train */
    int32_t min_label, max_label;
} imp_store_entry;

/* List every (model, dataset) of the store in name order, validating shapes and types.
 * *out is malloc'd (caller frees). A malformed entry → IMP_EINPUT naming the object. */
int imp_store_list(imp_store *s, imp_store_entry **out, size_t *n, imp_err *err);
/* Validate and describe one (model, dataset); IMP_ENOTFOUND if absent. */
int imp_store_describe(imp_store *s, const char *model, const char *dataset, imp_store_entry *out,
                       imp_err *err);

/* 1 if the store has a group /<model>. */
int imp_store_has_model(imp_store *s, const char *model);
/* The distinct labels of a split, ascending; *labels malloc'd, caller frees. */
int imp_store_distinct_labels(imp_store *s, const char *model, const char *dataset,
                              const char *split, int32_t **labels, size_t *n, imp_err *err);

/* λ for ls/kls: the `lambda` attribute of /<model>, else the DESIGN.md default for the
 * model name (resnet18, resnet50 1e-4; vit_b_16 0.1; swin_b 0.05; others 0.05). */
double imp_store_lambda(imp_store *s, const char *model);
double imp_default_lambda(const char *model);

/* Which raw labels make a task and where they go: raw[i] → cls[i] in 0..n_classes-1. Several
 * raw labels may map to one class (remap). */
typedef struct imp_classmap {
    size_t n;
    const int32_t *raw;
    const int32_t *cls;
    int n_classes;
} imp_classmap;

/* Rows of a split grouped by task class: class c holds rows offset[c] .. offset[c+1]-1 of X,
 * in the stable order of the file (rows of several raw labels of one class keep file order). */
typedef struct imp_data {
    size_t n, d;
    int n_classes;
    size_t *offset; /* n_classes + 1 */
    float *X;       /* n × d, row-major */
} imp_data;

/* Load the rows of the task classes of one split. Reads only blocks of the file that hold
 * wanted rows. Errors (IMP_EINPUT): a class without rows, a non-finite value (row and column
 * named), shape/type mismatch. *out owns its buffers: free with imp_data_free. */
int imp_store_load(imp_store *s, const char *model, const char *dataset, const char *split,
                   const imp_classmap *map, imp_data *out, imp_err *err);
/* The same, optionally allowing classes without rows (for one dataset of a concatenation). */
int imp_store_load_ex(imp_store *s, const char *model, const char *dataset, const char *split,
                      const imp_classmap *map, int allow_empty, imp_data *out, imp_err *err);
void imp_data_free(imp_data *d);

/* ---- writing (ingest) ---------------------------------------------------------------------
 * A transaction copies the existing store (if any) to a temporary file beside it, adds to
 * it, and renames it over the store on commit, so an interrupted ingest leaves the old store
 * untouched and no half-written file under the store's name. */
typedef struct imp_store_tx imp_store_tx;

int imp_store_tx_begin(const char *path, imp_store_tx **out, imp_err *err);
/* Does /<model>/<dataset> exist in the store being written? */
int imp_store_tx_exists(imp_store_tx *tx, const char *model, const char *dataset);
/* Remove /<model>/<dataset> (for --force). */
int imp_store_tx_remove(imp_store_tx *tx, const char *model, const char *dataset, imp_err *err);
/* Write one split. Rows are stored stably sorted by label, so that one class is one
 * contiguous hyperslab (the within-class order, which decides shots and draws, is kept). */
int imp_store_tx_put(imp_store_tx *tx, const char *model, const char *dataset, const char *split,
                     const float *X, const int32_t *y, size_t n, size_t d, imp_err *err);
/* String attribute on /<model> (dataset NULL) or /<model>/<dataset>. */
int imp_store_tx_attr(imp_store_tx *tx, const char *model, const char *dataset, const char *name,
                      const char *value, imp_err *err);
/* Array-of-strings attribute (class_names). */
int imp_store_tx_attr_strings(imp_store_tx *tx, const char *model, const char *dataset,
                              const char *name, const char *const *values, size_t n,
                              imp_err *err);
/* Fingerprint /<model>/<dataset> as written so far and cache it (storefp.h); call after its
 * last put. */
int imp_store_tx_fingerprint(imp_store_tx *tx, const char *model, const char *dataset,
                             imp_err *err);
int imp_store_tx_commit(imp_store_tx *tx, imp_err *err); /* frees tx */
void imp_store_tx_abort(imp_store_tx *tx);              /* frees tx, removes the temp file */

#endif
