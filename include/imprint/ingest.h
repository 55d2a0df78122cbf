/* ingest.h — turning raw data into store entries: idx files, the reference's embedding
 * files, and the built-in models (pixels, randfeat). */
#ifndef IMPRINT_INGEST_H
#define IMPRINT_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/store.h"

/* A built-in "model" applied to raw pixels: pixels (identity) or randfeat (a fixed random
 * ReLU feature map relu(X·W + b), W ~ N(0, 1/d_in), b ~ N(0, 0.01), drawn from imp_rng
 * stream IMP_RNG_FEATURE with the given seed; computed with one SGEMM). */
typedef struct imp_model_spec {
    char name[IMP_NAME_MAX]; /* store name: "pixels", "randfeat512" (seed 1), "randfeat512s7" */
    int randfeat;            /* 0 pixels, 1 randfeat */
    int dim;
    uint64_t seed;
    char description[256];
} imp_model_spec;

/* Parse "pixels" or "randfeat:DIM:SEED" (DIM 1..65536). IMP_EUSAGE on bad text. */
int imp_model_spec_parse(const char *text, imp_model_spec *out, imp_err *err);

/* Apply a model to X [n, d_in]; *out is malloc'd [n, *d_out] (caller frees). For pixels the
 * result is a copy. */
int imp_model_apply(const imp_model_spec *m, const float *X, size_t n, size_t d_in, float **out,
                    size_t *d_out, imp_err *err);

typedef struct imp_raw_split {
    float *X;
    int32_t *y;
    size_t n, d;
} imp_raw_split;

/* One dataset from raw pixels (train and test), written for each model into the store,
 * atomically. Refuses an existing (model, dataset) unless force. class_names may be NULL.
 * Progress lines go to log (may be NULL). */
int imp_ingest_raw(const char *store_path, const char *dataset, const imp_raw_split *train,
                   const imp_raw_split *test, const imp_model_spec *models, size_t n_models,
                   const char *const *class_names, size_t n_class_names, int force,
                   void *log /* FILE* */, imp_err *err);

/* Find the four Fashion-MNIST idx files: in dir if given, else where Debian's
 * dataset-fashion-mnist package installed them (dpkg -L), else /usr/share/datasets/fashion-mnist.
 * Each path buffer must hold 4096 bytes. */
int imp_find_fashion_mnist(const char *dir, char paths[4][4096], imp_err *err);

/* Import every embeddings_{Dataset}_{backbone}_{train|test|val}.h5 under dir (the reference
 * code's layout; `val` stands in for test) into the store: model = backbone, dataset = the
 * lower-cased dataset name (FashionMNIST → fmnist). */
int imp_ingest_reference(const char *dir, const char *store_path, int force, void *log,
                         imp_err *err);

#endif
