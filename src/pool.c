/* pool.c — parallel-for: each worker claims the next index with an atomic counter. */
#include "imprint/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct {
    atomic_size_t next;
    size_t n;
    void (*fn)(size_t, void *);
    void *ctx;
} pf_state;

static void *pf_worker(void *arg)
{
    pf_state *st = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&st->next, 1);
        if (i >= st->n)
            break;
        st->fn(i, st->ctx);
    }
    return NULL;
}

void imp_parallel_for(size_t n, int threads, void (*fn)(size_t i, void *ctx), void *ctx)
{
    if (threads <= 1 || n <= 1) {
        for (size_t i = 0; i < n; i++)
            fn(i, ctx);
        return;
    }
    if ((size_t)threads > n)
        threads = (int)n;
    pf_state st = {.n = n, .fn = fn, .ctx = ctx};
    atomic_init(&st.next, 0);
    pthread_t tid[64];
    int spawned = 0;
    for (int t = 1; t < threads && t < 64; t++)
        if (pthread_create(&tid[spawned], NULL, pf_worker, &st) == 0)
            spawned++;
    pf_worker(&st);
    for (int t = 0; t < spawned; t++)
        pthread_join(tid[t], NULL);
}

int imp_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
