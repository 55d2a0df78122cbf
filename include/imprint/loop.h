/* loop.h — rank 0's loop of a sweep (hand out pieces, record the results that come back,
 * drain on a stop signal) and the transport interface it reaches the workers through; redis's
 * `ae` is the model: a small loop, the backends (a local thread, MPI, a test script) behind an
 * interface. The loop knows nothing of MPI. */
#ifndef IMPRINT_LOOP_H
#define IMPRINT_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/grid.h"
#include "imprint/journal.h"
#include "imprint/piece.h"
#include "imprint/sched.h"
#include "imprint/sink.h"

/* ---- the transport interface ------------------------------------------------------------ */

/* Pieces a transport holds per worker rank at most: one computing, one queued. */
enum { IMP_TRANSPORT_MAX_OUT = 2 };

typedef enum imp_tev_kind {
    IMP_TEV_BATCH = 1, /* a batch of results of the rank's oldest piece */
    IMP_TEV_LOST,      /* the rank is gone (its node died): its pieces will not come back
                        * (the MPI transport never says so: the MPI runtime ends the job) */
} imp_tev_kind;

/* One event from a worker. For a batch, res[0..hdr.n) are owned by the transport and stay
 * valid until the next poll or close. */
typedef struct imp_transport_ev {
    imp_tev_kind kind;
    int rank;
    imp_batch_hdr hdr;
    const imp_cell_result *res;
} imp_transport_ev;

typedef struct imp_transport imp_transport;

/* Every call is made by rank 0's loop thread alone. Contract, whatever carries the messages:
 * a rank computes its pieces in the order sent and answers each with batches of its results in
 * the piece's cell order, the last with hdr.last = 1 (stopped = 1 and the rest undone after a
 * drain; a piece still queued at a drain is answered with an empty last batch). */
typedef struct imp_transport_ops {
    /* Hand piece p (borrowed: it outlives the piece's last batch) to worker `rank` (local to
     * rank 0; point-to-point, never collective). At most IMP_TRANSPORT_MAX_OUT unanswered per
     * rank. 0, or an IMP_E*. */
    int (*send)(imp_transport *t, int rank, const imp_piece *p, imp_err *err);
    /* The next event into *ev: 1, 0 when none is waiting (never blocks), or an IMP_E*. */
    int (*poll)(imp_transport *t, imp_transport_ev *ev, imp_err *err);
    /* Idle: return when an event may be waiting, after a short while at most (< 1 ms). */
    void (*wait)(imp_transport *t);
    /* Tell every rank to stop at its next cell boundary (idempotent). */
    void (*drain)(imp_transport *t);
    /* The end agreed by all: every worker told to finish with exit_code (with MPI every
     * worker rank's serve loop returns it), threads joined, everything freed. Not called
     * when the loop ends abruptly (a second signal, an error): the process then exits. */
    void (*close)(imp_transport *t, int exit_code);
} imp_transport_ops;

/* The base every transport embeds first. ranks: the worker ranks it reaches, 0..ranks-1. */
struct imp_transport {
    const imp_transport_ops *ops;
    int ranks;
};

/* ---- the loop ---------------------------------------------------------------------------- */

/* What the loop works on, all prepared by the sweep (borrowed). */
typedef struct imp_loop_cfg {
    const imp_grid *grid;
    const char *cube_path;   /* for the final line */
    imp_sink *sink;          /* records every result (and its aliases) */
    const imp_plan *plan;    /* the aliases of each piece cell */
    const imp_pieces *ps;
    imp_sched *sched;        /* picks the next piece for a rank */
    int threads;             /* per rank, for the progress file */
    double drain_seconds;    /* after a stop signal, wait this long for cells in flight */
    uint32_t shard_i, shard_n; /* a shard (shard_n > 0): pending and the self-check count its
                              * share only */
} imp_loop_cfg;

/* Rank 0 only, every argument local to it; the loop makes no MPI call (the transport's are
 * point-to-point, never collective, so no other rank need be in a matching call).
 * Run rank 0's loop over transport t until every piece is done, or a stop signal
 * (imp_signals_count) has drained the ranks, or an error. Writes the final sink tick and the
 * closing lines. *exit_code as imp_sweep_run's. On an agreed end t is closed (consumed) and
 * *abort_others is 0; when the loop leaves work running (a second signal, a drain that timed
 * out, an error in mid-run, a lost rank) t stays open, *abort_others is 1 and the caller must
 * end the process. Returns 0 or an IMP_E* with err filled. */
int imp_loop_run(const imp_loop_cfg *c, imp_transport *t, int *exit_code, int *abort_others,
                 imp_err *err);

/* Stop signals (SIGTERM, SIGINT, SIGUSR1) counted by a C handler; the loop drains on the
 * first and stops at once on the second. */
void imp_signals_install(void);
int imp_signals_count(void);

#endif
