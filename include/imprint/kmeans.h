/* kmeans.h — placeholder until the k-means module lands. */
#ifndef IMPRINT_KMEANS_H
#define IMPRINT_KMEANS_H
#include <stddef.h>
#include <stdint.h>
#include "imprint/err.h"
#include "imprint/rng.h"
typedef struct imp_kmeans_opts imp_kmeans_opts;
typedef struct imp_kmeans_info imp_kmeans_info;
int imp_kmeans(const float *X, size_t n, size_t d, int k, imp_rng *rng, const imp_kmeans_opts *opts,
               float *centers, int32_t *labels, imp_kmeans_info *info, imp_err *err);
#endif
