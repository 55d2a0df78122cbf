/* transport_local.c — the loop's transport to rank 0's compute thread (one rank, no MPI). */
#include "imprint/transport_local.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imprint/clock.h"

/* A batch the thread queued for the loop. */
typedef struct batch_item {
    imp_batch_hdr hdr;
    imp_cell_result *res;
    struct batch_item *next;
} batch_item;

/* Invariant: inbox holds the pieces sent and not yet started, oldest first; head..tail the
 * batches the loop has not polled, in the order emitted. mu guards both, drain, stop, fail_rc
 * and fail_err; w and taken belong to one thread each (w the compute thread's, taken the
 * loop's). */
typedef struct local_tp {
    imp_transport base;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv, done_cv; /* cv: work for the thread; done_cv: batches for the loop */
    imp_worker *w;
    const imp_piece *inbox[IMP_TRANSPORT_MAX_OUT];
    int n_in, stop, running;
    int drain;            /* read by the thread between cells */
    batch_item *head, *tail;
    batch_item *taken;    /* the batch the last poll returned: freed by the next */
    int fail_rc;          /* a piece's run failed (a batch not queued: out of memory) */
    imp_err fail_err;     /* its message */
} local_tp;

static int local_emit(const imp_batch_hdr *h, const imp_cell_result *res, void *ud)
{
    local_tp *lt = ud;
    batch_item *b = calloc(1, sizeof *b);
    imp_cell_result *copy = malloc((h->n ? h->n : 1) * sizeof *copy);
    if (!b || !copy) {
        free(b);
        free(copy);
        return IMP_ENOMEM;
    }
    if (h->n)
        memcpy(copy, res, h->n * sizeof *copy);
    b->hdr = *h;
    b->res = copy;
    pthread_mutex_lock(&lt->mu);
    if (lt->tail)
        lt->tail->next = b;
    else
        lt->head = b;
    lt->tail = b;
    pthread_cond_signal(&lt->done_cv);
    pthread_mutex_unlock(&lt->mu);
    return 0;
}

static int local_stop(void *ud)
{
    local_tp *lt = ud;
    pthread_mutex_lock(&lt->mu);
    int d = lt->drain;
    pthread_mutex_unlock(&lt->mu);
    return d;
}

static void *local_main(void *arg)
{
    local_tp *lt = arg;
    for (;;) {
        pthread_mutex_lock(&lt->mu);
        while (!lt->n_in && !lt->stop)
            pthread_cond_wait(&lt->cv, &lt->mu);
        if (!lt->n_in) {
            pthread_mutex_unlock(&lt->mu);
            break;
        }
        /* the loop counts the piece in flight until its last batch, not by the inbox */
        const imp_piece *p = lt->inbox[0];
        for (int i = 1; i < lt->n_in; i++)
            lt->inbox[i - 1] = lt->inbox[i];
        lt->n_in--;
        int drained = lt->drain;
        pthread_mutex_unlock(&lt->mu);
        imp_err e;
        imp_err_clear(&e);
        int rc;
        if (drained) { /* queued before the drain: given back untouched, as the MPI ranks do */
            imp_batch_hdr h = {p->id, 0, 0, 1, 1};
            if ((rc = local_emit(&h, NULL, lt)) != 0)
                imp_err_set(&e, rc, "out of memory for the answer of piece %llu",
                            (unsigned long long)p->id);
        } else {
            rc = imp_worker_run(lt->w, p, local_emit, local_stop, lt, &e);
        }
        pthread_mutex_lock(&lt->mu);
        if (rc && !lt->fail_rc) { /* the first failure is the one reported */
            lt->fail_rc = rc;
            lt->fail_err = e;
            pthread_cond_signal(&lt->done_cv);
        }
        pthread_mutex_unlock(&lt->mu);
    }
    return NULL;
}

static int local_send(imp_transport *t, int rank, const imp_piece *p, imp_err *err)
{
    local_tp *lt = (local_tp *)t;
    pthread_mutex_lock(&lt->mu);
    int full = rank != 0 || lt->n_in >= IMP_TRANSPORT_MAX_OUT;
    if (!full) {
        lt->inbox[lt->n_in++] = p;
        pthread_cond_signal(&lt->cv);
    }
    pthread_mutex_unlock(&lt->mu);
    return full ? imp_err_set(err, IMP_EINTERNAL, "piece %llu for rank %d: the local transport "
                              "has rank 0 only, %d pieces at most", (unsigned long long)p->id,
                              rank, (int)IMP_TRANSPORT_MAX_OUT)
                : 0;
}

static void free_taken(local_tp *lt)
{
    if (lt->taken) {
        free(lt->taken->res);
        free(lt->taken);
        lt->taken = NULL;
    }
}

static int local_poll(imp_transport *t, imp_transport_ev *ev, imp_err *err)
{
    local_tp *lt = (local_tp *)t;
    free_taken(lt);
    pthread_mutex_lock(&lt->mu);
    batch_item *b = lt->head;
    if (b) {
        lt->head = b->next;
        if (!lt->head)
            lt->tail = NULL;
    }
    int fail = lt->fail_rc;
    if (!b && fail)
        *err = lt->fail_err;
    pthread_mutex_unlock(&lt->mu);
    if (!b)
        return fail;
    lt->taken = b;
    memset(ev, 0, sizeof *ev);
    ev->kind = IMP_TEV_BATCH;
    ev->rank = 0;
    ev->hdr = b->hdr;
    ev->res = b->res;
    return 1;
}

static void local_wait(imp_transport *t)
{
    local_tp *lt = (local_tp *)t;
    /* wake at once when the thread queues a batch, else after 0.3 ms (a caller polls MPI) */
    struct timespec ts;
    imp_clock_deadline(300e-6, &ts);
    pthread_mutex_lock(&lt->mu);
    if (!lt->head && !lt->fail_rc)
        pthread_cond_timedwait(&lt->done_cv, &lt->mu, &ts);
    pthread_mutex_unlock(&lt->mu);
}

static void local_drain(imp_transport *t)
{
    local_tp *lt = (local_tp *)t;
    pthread_mutex_lock(&lt->mu);
    lt->drain = 1;
    pthread_mutex_unlock(&lt->mu);
}

static void local_close(imp_transport *t, int exit_code)
{
    (void)exit_code;
    local_tp *lt = (local_tp *)t;
    if (!lt)
        return;
    if (lt->running) {
        pthread_mutex_lock(&lt->mu);
        lt->stop = 1;
        pthread_cond_signal(&lt->cv);
        pthread_mutex_unlock(&lt->mu);
        pthread_join(lt->tid, NULL);
    }
    free_taken(lt);
    for (batch_item *b = lt->head, *nx; b; b = nx) {
        nx = b->next;
        free(b->res);
        free(b);
    }
    imp_worker_destroy(lt->w);
    pthread_cond_destroy(&lt->cv);
    pthread_cond_destroy(&lt->done_cv);
    pthread_mutex_destroy(&lt->mu);
    free(lt);
}

static const imp_transport_ops local_ops = {local_send, local_poll, local_wait, local_drain,
                                            local_close};

int imp_transport_local_open(imp_worker *w, imp_transport **out, imp_err *err)
{
    *out = NULL;
    local_tp *lt = calloc(1, sizeof *lt);
    if (!lt) {
        imp_worker_destroy(w);
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    lt->base.ops = &local_ops;
    lt->base.ranks = 1;
    lt->w = w;
    pthread_mutex_init(&lt->mu, NULL);
    pthread_cond_init(&lt->cv, NULL);
    pthread_cond_init(&lt->done_cv, NULL);
    if (pthread_create(&lt->tid, NULL, local_main, lt) != 0) {
        local_close(&lt->base, 0);
        return imp_err_set(err, IMP_EINTERNAL, "cannot start the compute thread");
    }
    lt->running = 1;
    *out = &lt->base;
    return 0;
}
