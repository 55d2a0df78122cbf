/* pool.h — a minimal parallel-for over pthreads with dynamic claiming of indices. */
#ifndef IMPRINT_POOL_H
#define IMPRINT_POOL_H

#include <stddef.h>

/* Call fn(i, ctx) for every i in [0, n) on up to `threads` threads (the calling thread is one
 * of them); indices are claimed dynamically, so uneven work balances. threads <= 1 runs
 * serially in order. fn must be thread-safe for distinct i. */
void imp_parallel_for(size_t n, int threads, void (*fn)(size_t i, void *ctx), void *ctx);

/* Number of online CPUs (at least 1). */
int imp_cpu_count(void);

#endif
