/* pipecube.h — the saved cube's grid (tests/data/pipeline-cube.csv): shared by test_pipeline,
 * which compares every cell with the file, and pipeline_cube_write, which writes it. */
#ifndef IMPRINT_PIPECUBE_H
#define IMPRINT_PIPECUBE_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/store.h"

/* Dimension of the rows (4 unbalanced classes; values on a 1/4 grid, see pipecube.c). */
#define IMP_PIPECUBE_D 20

/* One cell of the grid and what it gave. */
typedef struct imp_pipecube_cell {
    char strat[96];
    int k, shot;
    uint64_t seed;
    int status; /* 0 done, else the return code */
    size_t correct, total;
    int32_t n_proxies;
    float accuracy;
} imp_pipecube_cell;

/* The training and test rows (deterministic: imprint's own RNG). Free with imp_data_free. */
void imp_pipecube_splits(imp_data *train, imp_data *test);
/* Every cell of the grid, in the file's fixed order; *out malloc'd (caller frees). */
size_t imp_pipecube_cells(imp_pipecube_cell **out);
/* Evaluate every cell with `threads` threads, one imp_cell_run per cell (`imprint eval`). */
void imp_pipecube_eval_one_by_one(const imp_data *train, const imp_data *test,
                                  imp_pipecube_cell *v, size_t n, int threads);
/* The sweep's way: GEN once per (PRE, GEN, k, shot, seed), then every cell on it through one
 * imp_pipeline_eval_pred call. dump (may be NULL): a directory that gets every GEN result
 * after each NORMpost with its cells' predictions, for the float64 oracle
 * (tests/data/tools/cube_oracle.py). Returns the number of inconsistencies (a failed
 * pipeline call, a cell code 0 whose result is not done, a dump file not written): 0 when
 * all is well. */
size_t imp_pipecube_eval_shared(const imp_data *train, const imp_data *test,
                                imp_pipecube_cell *v, size_t n, int threads, const char *dump);
/* The cell's line of the CSV (no newline). */
void imp_pipecube_format(const imp_pipecube_cell *c, char *buf, size_t n);
/* The CSV's header line (no newline). */
#define IMP_PIPECUBE_HEADER "strategy,k,shot,seed,status,correct,total,n_proxies,accuracy"

#endif
