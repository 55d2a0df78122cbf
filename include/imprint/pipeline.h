/* pipeline.h — "GEN once, evaluate N cells": every (POST, INF, AGG) cell on one proxy set,
 * sharing NORMpost, NORMinf, each metric's distances and one nearest-proxy selection. */
#ifndef IMPRINT_PIPELINE_H
#define IMPRINT_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/journal.h"
#include "imprint/proxy.h"
#include "imprint/store.h"
#include "imprint/strategy.h"

/* Evaluate n cells on the proxies px of one GEN result (before NORMpost; not modified) and
 * the test rows (grouped by class, the true class of row i is the c with offset[c] <= i <
 * offset[c+1]). Only each cell's post, inf, agg, m, metric and weight are read.
 *
 * Cells are grouped by POST (one copy of the proxies each, one Mahalanobis factor each), then
 * by INF; per (POST, INF), test rows go in blocks of B rows (B depends only on P, so memory
 * stays near 32 MiB per block and the partition is the same for any thread count), and per
 * block and metric the test × proxy distances are computed once (inner and cosine from one
 * float32 SGEMM; euclidean, and mahalanobis on rows centred and whitened, from a float64 DGEMM;
 * manhattan by distance.h's kernel; distance.c states each one's error bound). Per test row and metric one selection keeps the M nearest proxies in (distance,
 * proxy index) order (M = the largest m of the metric's cells, at most P), and every cell of
 * that metric reads its first min(m, P) off it: votes uniform or 1/(dist + 1e-10), summed in
 * that order; the class with the most votes wins, ties → the lowest class index. max = the
 * class of the largest inner product over its proxies, ties → the lowest class. These are
 * the reference's rules (docs/semantics.md "AGG") and exactly the results of one
 * imp_infer per cell.
 *
 * Fills res[i].status (IMP_CELL_DONE / IMP_CELL_FAILED with .message), .accuracy and .f1
 * (percent, float; imp_pipeline_macro_f1), .n_proxies (px->P), .inf_seconds (the wall time of the cell's (POST, INF) group
 * divided evenly among its cells, so the sum over cells is the time spent); .cell and
 * .gen_seconds are left as they were. A failure (NORMpost, a singular Mahalanobis covariance,
 * a non-finite distance, out of memory) fails the cells it concerns, never the others.
 * threads: blocks in parallel, each with one BLAS thread; the results do not depend on it.
 * pred (may be NULL) receives, for each cell i with pred[i] != NULL, one class per test row.
 * Returns 0, or IMP_EINPUT (test->d != px->d, class counts differ) with every cell failed. */
int imp_pipeline_eval(const imp_proxies *px, const imp_data *test,
                      const imp_strategy *const *cells, size_t n, int threads,
                      imp_cell_result *res, imp_err *err);
/* The same, with per-cell predictions (pred[i] may be NULL) and error codes (codes may be
 * NULL; codes[i] = 0 or the IMP_E* of the failure). */
int imp_pipeline_eval_pred(const imp_proxies *px, const imp_data *test,
                           const imp_strategy *const *cells, size_t n, int threads,
                           imp_cell_result *res, int32_t *const *pred, int *codes, imp_err *err);
/* One cell: returns 0 or the cell's error (message in err); pred (one per test row) is
 * required, *accuracy and *seconds are filled on success. */
int imp_pipeline_one(const imp_proxies *px, const imp_data *test, const imp_strategy *s,
                     int threads, int32_t *pred, float *accuracy, double *seconds, imp_err *err);

/* Test rows whose predicted class (pred, one per row) is their true class. */
size_t imp_pipeline_correct(const imp_data *test, const int32_t *pred);
/* Macro-F1 in percent: the one-vs-rest F1 of each class of the task, 2 TP / (2 TP + FP + FN)
 * (0 for a class neither predicted nor present), averaged over the classes with equal weight
 * — the mean of the reference's per-class task_f1s. NaN when out of memory. */
double imp_pipeline_macro_f1(const imp_data *test, const int32_t *pred);

#endif
