/* cost.h — the relative cost of a GEN computation and of a cell's inference, in multiply-adds:
 * what the plan orders units by and the scheduler turns into seconds (sched.h). */
#ifndef IMPRINT_COST_H
#define IMPRINT_COST_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/strategy.h"

/* Sizes a cost estimate needs for one (model, task). Zero fields take the defaults: n_per_class
 * 5000, dim 512, n_classes = task_classes or 10, n_test = 1000 per class. */
typedef struct imp_cost_hint {
    double n_per_class; /* training rows per class before the shot */
    double dim;
    double n_classes;
    double n_test;
} imp_cost_hint;

/* Relative cost of one GEN computation (including NORMpre) and of one cell's remaining work
 * (NORMpost + inference on the test split). Units are multiply-adds, only ratios matter.
 * With C classes, n = min(shot, n_per_class) rows per class, d dims, p = proxies per class
 * (k_eff, or n when k_eff = -1 or k_eff > n), T test rows, I = 30 nominal Lloyd iterations:
 *   mean, all: C·n·d          random: C·p·d            fps: C·n·p·d
 *   kmeans: C·n·d·p·I         kmedoids, covmax: C·n²·d
 *   ls: C·n·d² + d³           kls: kmeans + ls
 *   cell: T·C·p·d, plus (T + C·p)·d² + d³ for mahalanobis. */
double imp_gen_cost(const imp_strategy *s, int64_t k_eff, int64_t shot, const imp_cost_hint *h);
double imp_cell_cost(const imp_strategy *s, int64_t k_eff, int64_t shot, const imp_cost_hint *h);
/* The inference cost of n cells on ONE proxy set through the cell pipeline (pipeline.h):
 * T·C·p·d·pair_cost once per distinct (POST, INF, metric), the whitening (T·d² per (POST,
 * INF), C·p·d² + d³ per POST) once, and T·C·p per cell for its selection and votes. What a
 * unit's cells cost together; imp_cell_cost is one cell evaluated alone. */
double imp_cells_cost(const imp_strategy *const *cells, size_t n, int64_t k_eff, int64_t shot,
                      const imp_cost_hint *h);

#endif
