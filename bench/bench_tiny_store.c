/* bench_tiny_store.c — write a tiny 2-class, 8-d store for the scheduler's dispatch-rate
 * benchmark (cells so cheap that rank 0's own work is what is measured).
 * usage: bench_tiny_store OUT.h5 [rows per class] */
#include <stdio.h>
#include <stdlib.h>

#include "imprint/rng.h"
#include "imprint/store.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_tiny_store OUT.h5 [rows per class]\n");
        return 2;
    }
    size_t per = argc > 2 ? (size_t)atol(argv[2]) : 20, n = 2 * per, d = 8;
    float *X = malloc(n * d * sizeof *X);
    int32_t *y = malloc(n * sizeof *y);
    imp_rng r;
    imp_rng_init(&r, 7, 0, 0, 0);
    for (size_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % 2);
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = (float)(imp_rng_normal(&r) + (j == (size_t)y[i] ? 3.0 : 0.0));
    }
    imp_store_tx *tx;
    imp_err err;
    if (imp_store_tx_begin(argv[1], &tx, &err) ||
        imp_store_tx_put(tx, "tiny", "two", "train", X, y, n, d, &err) ||
        imp_store_tx_put(tx, "tiny", "two", "test", X, y, n, d, &err) ||
        imp_store_tx_commit(tx, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    free(X);
    free(y);
    return 0;
}
