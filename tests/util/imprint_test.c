/* imprint_test.c — `imprint-test`, the tests' build of the tool (never installed): the real tool
 * with its two test seams set from the test's command line and environment:
 *  - its sweep transport wrapped by a pacing decorator, so that tests running it under mpirun
 *    or srun get pieces that take a while and a signal or time limit lands mid-run;
 *  - a crash point armed (IMPRINT_TEST_CRASH_AT, arm_crash_point below) for the
 *    crash-consistency tests.
 *
 *   imprint-test sweep JOB.yaml [--test-piece-delay-ms MS] [any sweep option]
 *
 * Each rank computes one piece at a time, and a piece's results reach rank 0's loop MS
 * milliseconds after it was handed out at the earliest (as when the worker slept first);
 * IMPRINT_TEST_UNIT_SLEEP_MS gives MS where no option can be passed (a Slurm array script).
 * Everything else is the tool's own (imp_tool_main, the objects the imprint executable links). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/clock.h"
#include "imprint/crash.h"
#include "cmd.h"
#include "imprint/sweep.h"

/* A batch from the inner transport, kept until its piece's time is up. */
typedef struct kept {
    imp_transport_ev ev;
    imp_cell_result *res;
    struct kept *next;
} kept;

/* Per rank: the pieces held back (oldest first); whether one is forwarded and not yet
 * answered, and when its results may go (forwarded + delay: the piece takes at least the
 * delay, as it did sleeping before its first cell); its batches received so far. */
typedef struct pace_rank {
    const imp_piece *q[IMP_TRANSPORT_MAX_OUT];
    int n;
    int busy;
    double due;
    kept *head, *tail;
} pace_rank;

typedef struct pace {
    imp_transport base;
    imp_transport *inner;
    double delay;
    pace_rank *r;
    int draining;        /* held pieces are answered empty, each once its rank is idle */
    kept *taken;         /* the batch the last poll returned: freed by the next */
} pace;

static double g_delay_s;

static int pace_send(imp_transport *t, int rank, const imp_piece *p, imp_err *err)
{
    pace *pc = (pace *)t;
    pace_rank *r = &pc->r[rank];
    if (r->n >= IMP_TRANSPORT_MAX_OUT)
        return imp_err_set(err, IMP_EINTERNAL, "paced: rank %d holds %d pieces", rank, r->n);
    r->q[r->n++] = p;
    return 0;
}

/* One piece to every idle rank that has one held (a rank computes one piece at a time). */
static int forward(pace *pc, imp_err *err)
{
    for (int i = 0; i < pc->base.ranks; i++) {
        pace_rank *r = &pc->r[i];
        if (r->busy || !r->n)
            continue;
        int rc = pc->inner->ops->send(pc->inner, i, r->q[0], err);
        if (rc)
            return rc;
        memmove(&r->q[0], &r->q[1], (size_t)(r->n - 1) * sizeof r->q[0]);
        r->n--;
        r->busy = 1;
        r->due = imp_clock_s() + pc->delay;
    }
    return 0;
}

/* Every event the inner transport has: a batch kept under its rank; a lost rank returned
 * at once (1), as is an error. */
static int take_inner(pace *pc, imp_transport_ev *ev, imp_err *err)
{
    for (;;) {
        int rc = pc->inner->ops->poll(pc->inner, ev, err);
        if (rc <= 0 || ev->kind != IMP_TEV_BATCH)
            return rc;
        kept *k = calloc(1, sizeof *k);
        imp_cell_result *res = malloc((ev->hdr.n ? ev->hdr.n : 1) * sizeof *res);
        if (!k || !res) {
            free(k);
            free(res);
            return imp_err_set(err, IMP_ENOMEM, "paced: out of memory");
        }
        if (ev->hdr.n)
            memcpy(res, ev->res, ev->hdr.n * sizeof *res);
        k->ev = *ev;
        k->res = res;
        k->ev.res = res;
        pace_rank *r = &pc->r[ev->rank];
        if (r->tail)
            r->tail->next = k;
        else
            r->head = k;
        r->tail = k;
    }
}

static void free_kept(kept *k)
{
    if (k) {
        free(k->res);
        free(k);
    }
}

static int pace_poll(imp_transport *t, imp_transport_ev *ev, imp_err *err)
{
    pace *pc = (pace *)t;
    free_kept(pc->taken);
    pc->taken = NULL;
    int rc = pc->draining ? 0 : forward(pc, err);
    if (!rc)
        rc = take_inner(pc, ev, err);
    if (rc)
        return rc; /* an error, or a lost rank */
    double now = imp_clock_s();
    for (int i = 0; i < t->ranks; i++) {
        pace_rank *r = &pc->r[i];
        if (r->head && now >= r->due) { /* the piece's time is up: its batches go */
            kept *k = r->head;
            if (!(r->head = k->next))
                r->tail = NULL;
            if (k->ev.hdr.last)
                r->busy = 0;
            *ev = k->ev;
            pc->taken = k;
            return 1;
        }
        if (pc->draining && !r->busy && r->n) {
            /* after a drain a held piece is answered empty, as the worker answered a piece it
             * found stopped after its sleep: the delay after the rank's previous answer */
            kept *k = calloc(1, sizeof *k);
            if (!k)
                return imp_err_set(err, IMP_ENOMEM, "paced: out of memory");
            k->ev.kind = IMP_TEV_BATCH;
            k->ev.rank = i;
            k->ev.hdr = (imp_batch_hdr){r->q[0]->id, 0, 0, 1, 1};
            memmove(&r->q[0], &r->q[1], (size_t)(r->n - 1) * sizeof r->q[0]);
            r->n--;
            r->head = r->tail = k;
            r->busy = 1;
            r->due = now + pc->delay;
        }
    }
    return 0;
}

static void pace_wait(imp_transport *t)
{
    pace *pc = (pace *)t;
    pc->inner->ops->wait(pc->inner);
}

static void pace_drain(imp_transport *t)
{
    pace *pc = (pace *)t;
    pc->draining = 1;
    pc->inner->ops->drain(pc->inner);
}

static void pace_close(imp_transport *t, int exit_code)
{
    pace *pc = (pace *)t;
    pc->inner->ops->close(pc->inner, exit_code);
    for (int i = 0; i < t->ranks; i++)
        for (kept *k = pc->r[i].head, *nx; k; k = nx) {
            nx = k->next;
            free_kept(k);
        }
    free_kept(pc->taken);
    free(pc->r);
    free(pc);
}

static const imp_transport_ops pace_ops = {pace_send, pace_poll, pace_wait, pace_drain,
                                           pace_close};

static int pace_wrap(const imp_transport_env *env, imp_transport *inner, void *ud,
                     imp_transport **out, imp_err *err)
{
    (void)env;
    pace *pc = calloc(1, sizeof *pc);
    if (!pc || !(pc->r = calloc((size_t)inner->ranks, sizeof *pc->r))) {
        free(pc);
        inner->ops->close(inner, 0);
        return imp_err_set(err, IMP_ENOMEM, "paced: out of memory");
    }
    pc->base.ops = &pace_ops;
    pc->base.ranks = inner->ranks;
    pc->inner = inner;
    pc->delay = *(const double *)ud;
    *out = &pc->base;
    return 0;
}

/* IMPRINT_TEST_CRASH_AT="POINT:N" or "POINT:N@RANK" arms crash point POINT at its Nth pass
 * (crash.h), on every rank or on RANK alone (OMPI_COMM_WORLD_RANK, PMIX_RANK or MPICH's
 * PMI_RANK). A value that does not parse is an error, so a test cannot silently run uncrashed. */
static int arm_crash_point(void)
{
    const char *v = getenv("IMPRINT_TEST_CRASH_AT");
    if (!v || !*v)
        return 0;
    char point[64];
    long n = 0, rank = -1;
    int used = 0;
    if (sscanf(v, "%63[a-z-]:%ld%n", point, &n, &used) < 2 || n < 1 ||
        (v[used] && v[used] != '@')) {
        fprintf(stderr, "imprint-test: IMPRINT_TEST_CRASH_AT=%s: expected POINT:N[@RANK]\n", v);
        return 2;
    }
    if (v[used] == '@')
        rank = atol(v + used + 1);
    if (rank >= 0) {
        const char *r = getenv("OMPI_COMM_WORLD_RANK");
        if (!r)
            r = getenv("PMIX_RANK");
        if (!r) /* MPICH's Hydra */
            r = getenv("PMI_RANK");
        if (atol(r ? r : "0") != rank)
            return 0;
    }
    imp_crash_arm(point, n);
    return 0;
}

int main(int argc, char **argv)
{
    if (arm_crash_point())
        return 2;
    long ms = 0;
    const char *env = getenv("IMPRINT_TEST_UNIT_SLEEP_MS");
    if (env && *env)
        ms = atol(env);
    int n = 0;
    for (int i = 0; i < argc; i++) { /* take --test-piece-delay-ms MS out of the arguments */
        if (strcmp(argv[i], "--test-piece-delay-ms") == 0 && i + 1 < argc) {
            ms = atol(argv[++i]);
            continue;
        }
        argv[n++] = argv[i];
    }
    argv[n] = NULL;
    if (ms < 0 || ms > 600000) {
        fprintf(stderr, "imprint-test: --test-piece-delay-ms %ld: expected 0..600000\n", ms);
        return 2;
    }
    g_delay_s = (double)ms / 1000.0;
    if (ms > 0)
        imp_sweep_set_transport_wrap(pace_wrap, &g_delay_s);
    return imp_tool_main(n, argv);
}
