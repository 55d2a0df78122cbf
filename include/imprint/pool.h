/* pool.h — a tiny fork-join helper: run fn(i, ctx) for every i in [0, n) on a few pthreads. */
#ifndef IMPRINT_POOL_H
#define IMPRINT_POOL_H

#include <stddef.h>

/* Call fn(i, ctx) exactly once for each i in [0, n), on up to `threads` threads (the caller's
 * thread is one of them); indices are claimed dynamically (atomic counter), so the order of
 * calls is unspecified and fn must be safe to run concurrently for different i. Returns when
 * all calls are done. threads <= 1 or n <= 1 runs serially in the caller. If a thread cannot be
 * created the work is done by the threads that exist. Returns the number of threads used
 * (0 when n == 0). fn reports errors through ctx. Threads that call the BLAS should run it
 * single-threaded (imp_blas_set_threads(1) before calling this). */
int imp_parallel_for(size_t n, int threads, void (*fn)(size_t i, void *ctx), void *ctx);

/* Number of online CPUs (at least 1). */
int imp_cpu_count(void);

#endif
