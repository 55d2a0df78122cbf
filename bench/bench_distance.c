/* bench_distance.c — the Manhattan kernel's rate in absolute differences per second per core
 * (AVX2 and portable), on the shape: 512-d proxies and test rows. Not a test.
 * usage: bench_distance [tests [proxies [dims]]]   (default 512 4096 512) */
#include <stdio.h>
#include <stdlib.h>

#include "imprint/clock.h"
#include "imprint/distance.h"
#include "imprint/rng.h"

int main(int argc, char **argv)
{
    size_t nx = argc > 1 ? (size_t)atol(argv[1]) : 512, P = argc > 2 ? (size_t)atol(argv[2]) : 4096;
    size_t d = argc > 3 ? (size_t)atol(argv[3]) : 512;
    float *X = malloc(nx * d * sizeof *X), *W = malloc(P * d * sizeof *W);
    float *pk = malloc(imp_l1_packed_size(P, d) * sizeof *pk);
    enum { ROWS = 32 }; /* test rows per call, as the pipeline calls it */
    double *D = malloc(ROWS * P * sizeof *D), sink = 0;
    imp_rng r;
    imp_rng_init(&r, 1, 2, 3, 4);
    for (size_t i = 0; i < nx * d; i++)
        X[i] = (float)imp_rng_normal(&r);
    for (size_t i = 0; i < P * d; i++)
        W[i] = (float)imp_rng_normal(&r);
    imp_l1_pack(W, P, d, pk);
    for (int generic = 0; generic < 2; generic++) {
        const char *name = imp_l1_kernel(generic);
        double t0 = imp_clock_s();
        for (size_t i = 0; i < nx; i += ROWS) {
            imp_l1_block(X + i * d, nx - i < ROWS ? nx - i : ROWS, pk, P, d, D, P);
            sink += D[0];
        }
        double s = imp_clock_s() - t0;
        printf("manhattan %-8s %zu tests x %zu proxies x %zu dims: %.3f s, %.2f G |a-b|/s\n", name,
               nx, P, d, s, (double)nx * (double)P * (double)d / s * 1e-9);
    }
    free(X), free(W), free(pk), free(D);
    return sink == 12345.0;
}
