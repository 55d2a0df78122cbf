/* transport_test.h — a scripted transport for in-process tests of the sweep loop: virtual
 * ranks compute their pieces with real workers, one piece per round, in the loop's own thread
 * (no threads, no clock), and a script delivers, delays, drops, stops or kills on command. */
#ifndef IMPRINT_TRANSPORT_TEST_H
#define IMPRINT_TRANSPORT_TEST_H

#include <stddef.h>

#include "imprint/sweep.h"

typedef enum imp_tt_kind {
    IMP_TT_STOP = 1,     /* raise(SIGTERM) once `pieces` pieces were answered in full */
    IMP_TT_STOP_IN_PIECE,/* raise(SIGTERM) inside a piece once it computed `cells` cells; the
                          * workers see the drain at their next cell boundary, as TAG_DRAIN */
    IMP_TT_KILL,         /* _exit(137) (rank 0 killed) once `cells` cells were delivered and
                          * the last batch delivered was not its piece's last (mid-piece) */
    IMP_TT_LOSE,         /* rank `rank` is lost after answering `pieces` pieces: the results of
                          * its next piece are dropped and the loop hears IMP_TEV_LOST */
    IMP_TT_DELAY,        /* every batch of rank `rank` is held `polls` rounds (a round: one
                          * piece computed, its batches delivered) while others go on */
} imp_tt_kind;

typedef struct imp_tt_step {
    imp_tt_kind kind;
    int rank;
    size_t pieces, cells;
    int polls;
} imp_tt_step;

enum { IMP_TT_MAX_STEPS = 8 };

/* The script (filled by the test) and what happened (filled by the transport). */
typedef struct imp_tt_script {
    imp_tt_step step[IMP_TT_MAX_STEPS];
    int n_steps;
    /* out */
    size_t pieces_sent, pieces_answered; /* answered: last batch delivered with every cell */
    size_t cells_delivered;              /* results handed to the loop */
    size_t cells_after_stop;             /* of them, delivered after the stop was raised */
    size_t cells_dropped;                /* computed by a lost rank, never delivered */
    size_t empty_answers;                /* queued pieces answered empty after the drain */
    int stop_raised, drained;
} imp_tt_script;

/* An imp_transport_wrap_fn (for imp_sweep_run_inproc; the stop steps need
 * imp_signals_install() first): ud is an imp_tt_script (borrowed, outlives the run). Closes inner
 * (the local thread) and provides env->ranks virtual ranks of its own; each computes with an
 * imp_worker of env->threads threads that stamps its rank and flushes a batch per GEN group. */
int imp_tt_wrap(const imp_transport_env *env, imp_transport *inner, void *ud, imp_transport **out,
                imp_err *err);

#endif
