/* cell.h — one cell end to end: NORMpre → presample → GEN → NORMpost; NORMinf → AGG. */
#ifndef IMPRINT_CELL_H
#define IMPRINT_CELL_H

#include <stdint.h>

#include "imprint/err.h"
#include "imprint/proxy.h"
#include "imprint/store.h"
#include "imprint/strategy.h"

typedef struct imp_cell_spec {
    imp_strategy strat;
    int k;             /* -1 = all rows */
    int shot;          /* -1 = all */
    uint64_t seed;
    uint64_t task_hash; /* imp_hash_str(task name) */
    double lambda;
    int threads;       /* classes in parallel during GEN */
} imp_cell_spec;

typedef struct imp_cell_out {
    float accuracy; /* percent */
    float f1;       /* macro-F1 over the task's classes, percent (imp_pipeline_macro_f1) */
    int32_t n_proxies;
    double gen_seconds, inf_seconds;
    size_t correct, total;
} imp_cell_out;

/* Run a cell on the raw training rows (not modified: NORMpre happens class by class inside
 * GEN) and the test rows. */
int imp_cell_run(const imp_data *train, const imp_data *test, const imp_cell_spec *spec,
                 imp_cell_out *out, imp_err *err);

#endif
