/* pool.c — imp_parallel_for: pthreads claiming indices from one atomic counter. */
#include "imprint/pool.h"

#include <unistd.h>

#include <pthread.h>
#include <stdatomic.h>

typedef struct pool_job {
    atomic_size_t next;
    size_t n;
    void (*fn)(size_t i, void *ctx);
    void *ctx;
} pool_job;

static void *pool_worker(void *arg)
{
    pool_job *job = arg;
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
        if (i >= job->n)
            break;
        job->fn(i, job->ctx);
    }
    return NULL;
}

int imp_parallel_for(size_t n, int threads, void (*fn)(size_t i, void *ctx), void *ctx)
{
    if (n == 0)
        return 0;
    if (threads <= 1 || n == 1) {
        for (size_t i = 0; i < n; i++)
            fn(i, ctx);
        return 1;
    }
    enum { MAX_THREADS = 256 };
    size_t want = (size_t)threads < n ? (size_t)threads : n;
    if (want > MAX_THREADS)
        want = MAX_THREADS;
    pool_job job = {.n = n, .fn = fn, .ctx = ctx};
    atomic_init(&job.next, 0);
    pthread_t tid[MAX_THREADS];
    size_t started = 0;
    for (size_t t = 1; t < want; t++) {
        if (pthread_create(&tid[started], NULL, pool_worker, &job) != 0)
            break;
        started++;
    }
    pool_worker(&job);
    for (size_t t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    return (int)(started + 1);
}

int imp_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
