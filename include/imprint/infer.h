/* infer.h — NORMinf and AGG: predictions of imprinted proxies on test rows, and accuracy
 * (spec/reference-semantics.md §1.5.10, §1.7). */
#ifndef IMPRINT_INFER_H
#define IMPRINT_INFER_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/proxy.h"
#include "imprint/store.h"
#include "imprint/strategy.h"

typedef struct imp_infer_result {
    size_t correct, total;
    float accuracy; /* percent, float32 as the reference */
    double seconds;
} imp_infer_result;

/* One cell through the cell pipeline (pipeline.h), on proxies px that have had their NORMpost
 * already (s->post is ignored). Predict the class of every test row (rows grouped by class:
 * the true class of row i is the c with offset[c] <= i < offset[c+1]) and count the correct
 * ones. s->inf normalises inputs;
 * s->agg/m/metric/weight aggregate: max = argmax over classes of the max inner product; nn /
 * mnn = votes of the m nearest proxies (uniform or 1/(dist + 1e-10)). Ties between classes go
 * to the lowest class index; equal distances to the lower proxy index. Scores for max, cosine
 * and euclidean come from one SGEMM per block of test rows. pred (may be NULL) receives one
 * class per test row. Blocks of test rows run on `threads` threads, each with a
 * single-threaded SGEMM over a fixed partition, so the result is bit-identical for any
 * thread count. Failures (mahalanobis with fewer than 2 proxies, a singular proxy
 * covariance, non-finite scores) → IMP_ENUMERIC. */
int imp_infer(const imp_proxies *px, const imp_data *test, const imp_strategy *s, int threads,
              int32_t *pred, imp_infer_result *out, imp_err *err);

#endif
