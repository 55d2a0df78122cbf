/* transport_test.c — the scripted in-process transport of transport_test.h. */
#include "transport_test.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imprint/worker.h"

/* A batch computed and not yet delivered. */
typedef struct tt_ev {
    int rank;
    imp_batch_hdr hdr;
    imp_cell_result *res;
    int hold;           /* rounds still to wait (IMP_TT_DELAY) */
    int lost;           /* an IMP_TEV_LOST event */
    int after_drain;    /* the stopped last batch of IMP_TT_STOP_IN_PIECE: only after drain */
} tt_ev;

typedef struct tt_rank {
    imp_worker *w;
    const imp_piece *q[IMP_TRANSPORT_MAX_OUT]; /* sent, not yet computed, oldest first */
    int n;
    size_t answered;    /* pieces answered in full */
    int lost;
} tt_rank;

/* Invariants: ev[0..n_ev) in delivery order per rank; a round computes one piece (when
 * nothing else can be delivered) and ends with a poll that returns 0, so the loop ticks
 * (syncs, writes the cube) between pieces; a held event counts down once per round. */
typedef struct tt {
    imp_transport base;
    imp_tt_script *sc;
    tt_rank *r;
    tt_ev *ev;
    size_t n_ev, cap_ev;
    imp_cell_result *taken; /* the results the last poll returned */
    int next_rank;          /* round robin */
    int round_over;         /* the last poll returned 0: the next may compute */
    int draining;           /* the loop called drain */
    int stop_here;          /* IMP_TT_STOP_IN_PIECE fired in the piece computing now */
    int last_was_last;      /* the last batch delivered ended its piece */
    size_t piece_cells;     /* cells of the piece computing now, emitted so far */
    int computing;          /* rank computing now */
    unsigned fired;         /* bit i: step i has fired */
} tt;

static int push(tt *t, int rank, const imp_batch_hdr *h, const imp_cell_result *res, int lost)
{
    if (t->n_ev == t->cap_ev) {
        size_t cap = t->cap_ev ? 2 * t->cap_ev : 16;
        tt_ev *nv = realloc(t->ev, cap * sizeof *nv);
        if (!nv)
            return IMP_ENOMEM;
        t->ev = nv;
        t->cap_ev = cap;
    }
    tt_ev *e = &t->ev[t->n_ev];
    memset(e, 0, sizeof *e);
    e->rank = rank;
    e->lost = lost;
    if (h) {
        e->hdr = *h;
        if (!(e->res = malloc((h->n ? h->n : 1) * sizeof *res)))
            return IMP_ENOMEM;
        if (h->n)
            memcpy(e->res, res, h->n * sizeof *res);
    }
    for (int i = 0; i < t->sc->n_steps; i++)
        if (t->sc->step[i].kind == IMP_TT_DELAY && t->sc->step[i].rank == rank)
            e->hold = t->sc->step[i].polls;
    t->n_ev++;
    return 0;
}

static int tt_emit(const imp_batch_hdr *h, const imp_cell_result *res, void *ud)
{
    tt *t = ud;
    t->piece_cells += h->n;
    if (t->r[t->computing].lost) {
        t->sc->cells_dropped += h->n;
        return 0;
    }
    int rc = push(t, t->computing, h, res, 0);
    if (!rc && h->last && h->stopped && t->stop_here)
        t->ev[t->n_ev - 1].after_drain = 1;
    return rc;
}

static void raise_stop(tt *t)
{
    if (t->sc->stop_raised)
        return;
    t->sc->stop_raised = 1;
    raise(SIGTERM); /* the loop's handler counts it; the loop drains at its next turn */
}

static int tt_stop(void *ud)
{
    tt *t = ud;
    for (int i = 0; i < t->sc->n_steps; i++) {
        const imp_tt_step *s = &t->sc->step[i];
        if (s->kind == IMP_TT_STOP_IN_PIECE && !(t->fired & (1u << i)) &&
            t->piece_cells >= s->cells) {
            t->fired |= 1u << i;
            raise_stop(t);
            t->stop_here = 1;
        }
    }
    /* the worker stops at this boundary as if the drain had reached it here; its last batch
     * waits until the loop has drained (it would not stop before) */
    return t->draining || t->stop_here;
}

static int tt_send(imp_transport *b, int rank, const imp_piece *p, imp_err *err)
{
    tt *t = (tt *)b;
    if (rank < 0 || rank >= b->ranks || t->r[rank].n >= IMP_TRANSPORT_MAX_OUT)
        return imp_err_set(err, IMP_EINTERNAL, "test transport: piece %llu for rank %d: no room",
                           (unsigned long long)p->id, rank);
    t->r[rank].q[t->r[rank].n++] = p;
    t->sc->pieces_sent++;
    return 0;
}

/* One round: the next rank in turn with a piece computes it (or answers it empty after a
 * drain). Returns 0, or an IMP_E*. */
static int compute_one(tt *t, imp_err *err)
{
    int n = t->base.ranks;
    for (int k = 0; k < n; k++) {
        int r = (t->next_rank + k) % n;
        tt_rank *tr = &t->r[r];
        if (!tr->n)
            continue;
        t->next_rank = (r + 1) % n;
        const imp_piece *p = tr->q[0];
        memmove(&tr->q[0], &tr->q[1], (size_t)(tr->n - 1) * sizeof tr->q[0]);
        tr->n--;
        for (int i = 0; i < t->sc->n_steps; i++) {
            const imp_tt_step *s = &t->sc->step[i];
            if (s->kind == IMP_TT_LOSE && s->rank == r && !tr->lost && tr->answered >= s->pieces)
                tr->lost = 1;
        }
        t->computing = r;
        t->piece_cells = 0;
        t->stop_here = 0;
        if (t->draining) { /* queued before the drain: given back untouched */
            imp_batch_hdr h = {p->id, 0, 0, 1, 1};
            t->sc->empty_answers++;
            return tr->lost ? 0 : push(t, r, &h, NULL, 0);
        }
        int rc = imp_worker_run(tr->w, p, tt_emit, tt_stop, t, err);
        if (!rc && tr->lost) {
            tr->n = 0; /* a lost rank answers nothing more */
            rc = push(t, r, NULL, NULL, 1);
        }
        return rc;
    }
    return 0;
}

static void check_kill(tt *t)
{
    for (int i = 0; i < t->sc->n_steps; i++) {
        const imp_tt_step *s = &t->sc->step[i];
        if (s->kind == IMP_TT_KILL && t->sc->cells_delivered >= s->cells && !t->last_was_last)
            _exit(137); /* as SIGKILL: no buffer flushed, nothing closed */
        if (s->kind == IMP_TT_STOP && !(t->fired & (1u << i)) &&
            t->sc->pieces_answered >= s->pieces) {
            t->fired |= 1u << i;
            raise_stop(t);
        }
    }
}

/* The first event that may go now: not held, not behind a held event of its rank; n_ev if
 * none. */
static size_t deliverable(const tt *t)
{
    unsigned long long held = 0; /* ranks with an earlier held event (bit per rank < 64) */
    for (size_t i = 0; i < t->n_ev; i++) {
        const tt_ev *e = &t->ev[i];
        int r = e->rank < 64 ? e->rank : 63;
        if (e->hold > 0 || (e->after_drain && !t->draining) || (held >> r & 1)) {
            held |= 1ull << r;
            continue;
        }
        return i;
    }
    return t->n_ev;
}

static int tt_poll(imp_transport *b, imp_transport_ev *out, imp_err *err)
{
    tt *t = (tt *)b;
    free(t->taken);
    t->taken = NULL;
    check_kill(t);
    size_t i = deliverable(t);
    if (i == t->n_ev) { /* nothing to deliver: end the round, or compute the next piece */
        if (!t->round_over) {
            t->round_over = 1;
            for (size_t j = 0; j < t->n_ev; j++)
                if (t->ev[j].hold > 0)
                    t->ev[j].hold--;
            return 0;
        }
        t->round_over = 0;
        int rc = compute_one(t, err);
        if (rc)
            return rc;
        if ((i = deliverable(t)) == t->n_ev)
            return 0;
    }
    tt_ev e = t->ev[i];
    memmove(&t->ev[i], &t->ev[i + 1], (t->n_ev - i - 1) * sizeof *t->ev);
    t->n_ev--;
    memset(out, 0, sizeof *out);
    out->rank = e.rank;
    if (e.lost) {
        out->kind = IMP_TEV_LOST;
        return 1;
    }
    out->kind = IMP_TEV_BATCH;
    out->hdr = e.hdr;
    out->res = t->taken = e.res;
    t->sc->cells_delivered += e.hdr.n;
    if (t->sc->stop_raised)
        t->sc->cells_after_stop += e.hdr.n;
    t->last_was_last = (int)e.hdr.last;
    if (e.hdr.last && !e.hdr.stopped) { /* answered in full */
        t->r[e.rank].answered++;
        t->sc->pieces_answered++;
    }
    return 1;
}

static void tt_wait(imp_transport *b) { (void)b; }

static void tt_drain(imp_transport *b)
{
    tt *t = (tt *)b;
    t->draining = 1;
    t->sc->drained = 1;
}

static void tt_close(imp_transport *b, int exit_code)
{
    (void)exit_code;
    tt *t = (tt *)b;
    for (int r = 0; r < b->ranks; r++)
        imp_worker_destroy(t->r[r].w);
    for (size_t i = 0; i < t->n_ev; i++)
        free(t->ev[i].res);
    free(t->ev);
    free(t->taken);
    free(t->r);
    free(t);
}

static const imp_transport_ops tt_ops = {tt_send, tt_poll, tt_wait, tt_drain, tt_close};

int imp_tt_wrap(const imp_transport_env *env, imp_transport *inner, void *ud, imp_transport **out,
                imp_err *err)
{
    inner->ops->close(inner, 0); /* the virtual ranks replace rank 0's thread */
    *out = NULL;
    tt *t = calloc(1, sizeof *t);
    if (!t || !(t->r = calloc((size_t)env->ranks, sizeof *t->r))) {
        free(t);
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    t->base.ops = &tt_ops;
    t->base.ranks = env->ranks;
    t->sc = ud;
    for (int r = 0; r < env->ranks; r++) {
        imp_worker_opts wo;
        imp_worker_opts_init(&wo);
        wo.threads = env->threads;
        wo.rank = r;
        wo.batch_seconds = 0; /* a batch per GEN group: the schedule does not depend on time */
        int rc = imp_worker_create(env->job, env->grid, env->store, &wo, &t->r[r].w, err);
        if (rc) {
            tt_close(&t->base, 0);
            return rc;
        }
    }
    *out = &t->base;
    return 0;
}
