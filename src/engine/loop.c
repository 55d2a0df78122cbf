/* loop.c — rank 0's loop of a sweep: pieces out through a transport, results into the sink,
 * a drain on the first stop signal; no MPI and no threads of its own. */
#include "imprint/loop.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/clock.h"

/* ---- signals ---------------------------------------------------------------------------- */

static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    (void)sig;
    if (g_signals < 1000)
        g_signals++;
}

void imp_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

int imp_signals_count(void) { return (int)g_signals; }

/* ---- state ------------------------------------------------------------------------------- */

/* A piece a rank holds: sent, its last batch not yet in. */
typedef struct inflight {
    size_t piece;
    size_t next;      /* cells of the piece reported so far */
    double predicted; /* estimate on this rank at dispatch */
    double busy;      /* measured so far */
} inflight;

typedef struct wstate {
    inflight q[IMP_TRANSPORT_MAX_OUT]; /* oldest first: a rank answers in the order sent */
    int n;
} wstate;

typedef struct loop {
    const imp_loop_cfg *c;
    imp_transport *t;
    int size;
    wstate *ws; /* index = rank */
    size_t pieces_done;
    double predicted, measured; /* over finished pieces */
    double t_start, t_first;
    int stopped;
    imp_err err;
} loop;

static int busy_ranks(const loop *s)
{
    int b = 0;
    for (int r = 0; r < s->size; r++)
        b += s->ws[r].n > 0;
    return b;
}

static int outstanding(const loop *s)
{
    int n = 0;
    for (int r = 0; r < s->size; r++)
        n += s->ws[r].n;
    return n;
}

static imp_sink_state sink_state(const loop *s, int finished)
{
    imp_sink_state st = {s->size, busy_ranks(s), s->c->threads, s->stopped, finished};
    return st;
}

/* The next piece for rank r, if it has room. Returns 1 sent, 0 nothing to send, or an IMP_E*. */
static int dispatch(loop *s, int r)
{
    wstate *w = &s->ws[r];
    if (s->stopped || w->n >= IMP_TRANSPORT_MAX_OUT)
        return 0;
    /* near the end a queued piece would wait behind its rank's current one while other ranks
     * idle: queue only while every rank can still get one */
    if (w->n > 0 && imp_sched_free_count(s->c->sched) < (size_t)s->size)
        return 0;
    double secs = 0;
    long pi = imp_sched_pick(s->c->sched, r, &secs);
    if (pi < 0)
        return 0;
    int rc = s->t->ops->send(s->t, r, &s->c->ps->p[pi], &s->err);
    if (rc) {
        imp_sched_unpick(s->c->sched, (size_t)pi);
        return rc;
    }
    inflight *f = &w->q[w->n++];
    memset(f, 0, sizeof *f);
    f->piece = (size_t)pi;
    f->predicted = secs;
    return 1;
}

/* A batch of rank r's oldest piece: record each result (and its aliases) in the sink. */
static int take_batch(loop *s, int r, const imp_batch_hdr *h, const imp_cell_result *res)
{
    wstate *w = r >= 0 && r < s->size ? &s->ws[r] : NULL;
    const imp_pieces *ps = s->c->ps;
    if (!w || w->n == 0 || h->piece != ps->p[w->q[0].piece].id)
        return imp_err_set(&s->err, IMP_EMPI, "rank %d sent results of piece %llu, which it "
                           "was not computing", r, (unsigned long long)h->piece);
    inflight *f = &w->q[0];
    const imp_piece *p = &ps->p[f->piece];
    if (h->n > p->n_cells - f->next)
        return imp_err_set(&s->err, IMP_EMPI, "rank %d sent %llu results for piece %llu, which "
                           "has %zu left", r, (unsigned long long)h->n,
                           (unsigned long long)h->piece, p->n_cells - f->next);
    for (size_t i = 0; i < h->n; i++) {
        const imp_piece_cell *pc = &p->cells[f->next];
        if (res[i].cell != pc->cell)
            return imp_err_set(&s->err, IMP_EMPI, "rank %d: result for cell %llu where piece "
                               "%llu has cell %llu", r, (unsigned long long)res[i].cell,
                               (unsigned long long)p->id, (unsigned long long)pc->cell);
        int rc = imp_sink_record(s->c->sink, &res[i], &s->err);
        for (size_t a = 0; !rc && a < pc->n_alias; a++) {
            imp_cell_result alias = res[i];
            alias.cell = s->c->plan->alias[pc->first_alias + a];
            rc = imp_sink_record(s->c->sink, &alias, &s->err);
        }
        if (rc)
            return rc;
        f->next++;
    }
    if (h->n && s->t_first == 0)
        s->t_first = imp_clock_s();
    f->busy += h->busy_seconds;
    if (!h->last)
        return 0;
    if (f->next == p->n_cells) {
        s->pieces_done++;
        s->predicted += f->predicted;
        s->measured += f->busy;
    }
    memmove(&w->q[0], &w->q[1], (size_t)(w->n - 1) * sizeof w->q[0]);
    w->n--;
    int rc = dispatch(s, r);
    return rc < 0 ? rc : 0;
}

/* Every event waiting: batches into the sink; a lost rank ends the run (as mpirun ends a job
 * whose rank died; the next run re-dispatches its pieces). */
static int poll_all(loop *s, int *progressed)
{
    for (;;) {
        imp_transport_ev ev;
        int rc = s->t->ops->poll(s->t, &ev, &s->err);
        if (rc <= 0)
            return rc;
        *progressed = 1;
        if (ev.kind == IMP_TEV_LOST)
            return imp_err_set(&s->err, IMP_EMPI, "rank %d was lost with %d piece%s in flight",
                               ev.rank, ev.rank >= 0 && ev.rank < s->size ? s->ws[ev.rank].n : 0,
                               ev.rank >= 0 && ev.rank < s->size && s->ws[ev.rank].n == 1 ? ""
                                                                                           : "s");
        if ((rc = take_batch(s, ev.rank, &ev.hdr, ev.res)) != 0)
            return rc;
    }
}

/* The run's own check (HPL's way): done + failed + n/a must be the whole grid. */
static int self_check(loop *s, int *exit_code)
{
    size_t c[IMP_CELL__NSTATUS];
    imp_sink_counts(s->c->sink, c);
    size_t sum = c[IMP_CELL_DONE] + c[IMP_CELL_FAILED] + c[IMP_CELL_NA];
    const imp_grid *g = s->c->grid;
    if (sum == g->n_cells)
        return 0;
    if (s->c->shard_n) { /* a shard checks its share: every cell it meant to record */
        size_t rec = imp_sink_recorded(s->c->sink);
        if (rec == s->c->plan->n_todo)
            return 0;
        *exit_code = 1;
        return imp_err_set(&s->err, IMP_EINTERNAL, "self-check FAILED: shard %u/%u recorded %zu "
                           "of the %zu cells of its share", s->c->shard_i, s->c->shard_n, rec,
                           s->c->plan->n_todo);
    }
    *exit_code = 1;
    return imp_err_set(&s->err, IMP_EINTERNAL,
                       "self-check FAILED: done %zu + failed %zu + n/a %zu = %zu, but the grid "
                       "has %zu cells (%zu still pending after a normal end)",
                       c[IMP_CELL_DONE], c[IMP_CELL_FAILED], c[IMP_CELL_NA], sum, g->n_cells,
                       c[IMP_CELL_PENDING]);
}

static void final_lines(loop *s, int exit_code)
{
    size_t c[IMP_CELL__NSTATUS];
    imp_sink_counts(s->c->sink, c);
    size_t valid = s->c->grid->n_valid;
    if (exit_code == 75)
        fprintf(stderr, "sweep: stopped; %zu of %zu cells done, %zu failed. Run the same command "
                        "again to resume.\n", c[IMP_CELL_DONE], valid, c[IMP_CELL_FAILED]);
    else
        fprintf(stderr, "sweep: finished: %zu of %zu cells done, %zu failed; self-check %s; "
                        "cube %s\n", c[IMP_CELL_DONE], valid, c[IMP_CELL_FAILED],
                exit_code == 1 ? "FAILED" : "passed", s->c->cube_path);
    char a[32], b[32];
    fprintf(stderr, "sweep: %zu pieces finished: measured %s of rank time, predicted %s (ratio "
                    "%.2f); first result after %.1f s\n", s->pieces_done,
            imp_fmt_hms(s->measured, a, sizeof a), imp_fmt_hms(s->predicted, b, sizeof b),
            s->predicted > 0 ? s->measured / s->predicted : 0.0,
            s->t_first > 0 ? s->t_first - s->t_start : 0.0);
}

/* The loop proper: returns 0 when the work is done or drained, hard = 1 when it leaves work
 * running (second signal, drain time over), or an IMP_E*. */
static int spin(loop *s, int *hard)
{
    int rc = 0;
    for (int r = 0; !rc && r < s->size; r++)
        for (int k = 0; k < IMP_TRANSPORT_MAX_OUT && !rc; k++)
            if ((rc = dispatch(s, r)) > 0)
                rc = 0;
    imp_sink_state st0 = sink_state(s, 0);
    if (!rc) /* after the first dispatch, so "ranks busy" is true */
        rc = imp_sink_tick(s->c->sink, imp_clock_s(), &st0, 1, &s->err);
    int seen_signals = 0;
    double drain_deadline = 0;
    while (!rc) {
        int progressed = 0;
        int sig = imp_signals_count();
        if (sig > seen_signals) {
            seen_signals = sig;
            if (s->stopped) {
                *hard = 1;
                fprintf(stderr, "sweep: second stop signal: stopping now\n");
                return 0;
            }
            drain_deadline = imp_clock_s() + s->c->drain_seconds;
            s->stopped = 1;
            s->t->ops->drain(s->t);
            imp_sink_sync(s->c->sink, NULL);
            fprintf(stderr, "sweep: stop signal: no new work; every rank stops after its "
                            "current cell (waiting up to %.0f s; a second signal stops at "
                            "once)\n", s->c->drain_seconds);
        }
        if ((rc = poll_all(s, &progressed)) != 0)
            return rc;
        double t = imp_clock_s();
        imp_sink_state st = sink_state(s, 0);
        if ((rc = imp_sink_tick(s->c->sink, t, &st, 0, &s->err)) != 0)
            return rc;
        if (outstanding(s) == 0 && (s->stopped || imp_sched_free_count(s->c->sched) == 0))
            return 0;
        if (s->stopped && t > drain_deadline) {
            *hard = 1;
            fprintf(stderr, "sweep: drain time (%.0f s) over with %d piece%s in flight; "
                            "stopping\n", s->c->drain_seconds, outstanding(s),
                    outstanding(s) == 1 ? "" : "s");
            return 0;
        }
        if (!progressed)
            s->t->ops->wait(s->t);
    }
    return rc;
}

int imp_loop_run(const imp_loop_cfg *c, imp_transport *t, int *exit_code, int *abort_others,
                 imp_err *err)
{
    loop s;
    memset(&s, 0, sizeof s);
    s.c = c;
    s.t = t;
    s.size = t->ranks;
    *exit_code = 1;
    *abort_others = 1; /* until the workers have been told to stop */
    if (!(s.ws = calloc((size_t)s.size, sizeof *s.ws)))
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    s.t_start = imp_clock_s();
    int hard = 0;
    int rc = spin(&s, &hard);
    size_t n[IMP_CELL__NSTATUS];
    imp_sink_counts(c->sink, n);
    /* a shard is pending while its share is: the other shards' cells are not its business */
    int pending = c->shard_n ? imp_sink_recorded(c->sink) < c->plan->n_todo
                             : n[IMP_CELL_PENDING] > 0;
    *exit_code = (s.stopped && pending) ? 75 : n[IMP_CELL_FAILED] ? 4 : 0;
    if (!rc && !hard && !s.stopped)
        rc = self_check(&s, exit_code);
    imp_sink_state st = sink_state(&s, !s.stopped || !pending);
    imp_err e;
    int trc = imp_sink_tick(c->sink, imp_clock_s(), &st, 1, &e); /* sync, cube, progress */
    if (trc && !rc) {
        rc = trc;
        s.err = e;
    }
    final_lines(&s, *exit_code);
    free(s.ws);
    if (hard || (rc && *exit_code != 1)) {
        /* the workers (and maybe a local thread) are still computing: the caller ends it */
        if (!rc) {
            *exit_code = 75;
            rc = imp_err_set(&s.err, IMP_ESTOPPED, "stopped before the ranks finished their "
                             "cells in flight; run the same command again to resume");
        }
        *err = s.err;
        return rc;
    }
    t->ops->close(t, *exit_code); /* the end agreed by all */
    *abort_others = 0;
    if (rc)
        *err = s.err;
    return rc;
}
