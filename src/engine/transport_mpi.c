/* transport_mpi.c — the loop's transport over MPI: pieces to ranks 1.., batches back; rank 0's
 * share through the local transport it wraps. */
#include "imprint/transport_mpi.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imprint/le.h"

/* TAG_PIECE 0→r: a piece; TAG_RES r→0: a batch (below); TAG_DRAIN 0→r:
 * stop at the next cell, answer every queued piece with an empty last batch; TAG_STOP 0→r:
 * the exit code, the worker ends. All on MPI_COMM_WORLD, point-to-point only: the collectives
 * of a sweep (the Allreduce of setup, the Bcast of "go") are over before the first piece.
 * Invariant of an agreed end (every message matched before MPI_Finalize): rank 0 closes only
 * when every piece sent has been answered by its last batch, so no TAG_RES is in flight; a
 * rank's TAG_DRAIN precedes its TAG_STOP and MPI does not let messages between one pair on
 * one communicator overtake each other, so the worker receives the drain before the stop. */
enum { TAG_PIECE = 11, TAG_RES = 12, TAG_STOP = 13, TAG_DRAIN = 14 };

/* ---- a batch on the wire ----------------------------------------------------------------
 * little-endian: u64 piece | u64 n | f64 busy_seconds | u32 last | u32 stopped | n records in
 * the journal's encoding (journal.h imp_journal_rec_encode, CRC included), each naming its
 * cell by grid index in the key hash with an empty key: the ranks of one run share the grid.
 * One codec for a result, in the journal and between ranks; no struct travels as bytes. */
enum { WIRE_HDR = 32 };

/* Encode h and res[0..h->n) into *buf (grown as needed; *cap its size). Returns the bytes,
 * or 0 when out of memory. */
static size_t wire_encode(const imp_batch_hdr *h, const imp_cell_result *res, unsigned char **buf,
                          size_t *cap)
{
    size_t pos = WIRE_HDR;
    for (uint64_t i = 0; i <= h->n; i++) {
        if (pos + IMP_JOURNAL_REC_MAX > *cap) {
            size_t nc = 2 * (pos + IMP_JOURNAL_REC_MAX);
            unsigned char *nb = realloc(*buf, nc);
            if (!nb)
                return 0;
            *buf = nb;
            *cap = nc;
        }
        if (i == h->n)
            break;
        imp_journal_rec rec;
        rec.res = res[i];
        rec.key_hash = res[i].cell;
        rec.key_len = 0;
        rec.key[0] = '\0';
        pos += imp_journal_rec_encode(&rec, *buf + pos);
    }
    uint64_t busy;
    memcpy(&busy, &h->busy_seconds, 8);
    imp_le_put64(*buf, h->piece);
    imp_le_put64(*buf + 8, h->n);
    imp_le_put64(*buf + 16, busy);
    imp_le_put32(*buf + 24, h->last);
    imp_le_put32(*buf + 28, h->stopped);
    return pos;
}

/* Decode a batch of `bytes` bytes: *h, and its results into *res (grown; *cap results).
 * 0, IMP_EMPI (not a whole batch: the message names the rank), or IMP_ENOMEM. */
static int wire_decode(const unsigned char *b, size_t bytes, int rank, imp_batch_hdr *h,
                       imp_cell_result **res, size_t *cap, imp_err *err)
{
    if (bytes < WIRE_HDR)
        return imp_err_set(err, IMP_EMPI, "rank %d sent a batch of %zu bytes", rank, bytes);
    uint64_t busy = imp_le_get64(b + 16);
    h->piece = imp_le_get64(b);
    h->n = imp_le_get64(b + 8);
    memcpy(&h->busy_seconds, &busy, 8);
    h->last = imp_le_get32(b + 24);
    h->stopped = imp_le_get32(b + 28);
    if (h->n > (bytes - WIRE_HDR) / 8)
        return imp_err_set(err, IMP_EMPI, "rank %d sent a batch of %zu bytes for %llu results",
                           rank, bytes, (unsigned long long)h->n);
    if (h->n > *cap) {
        imp_cell_result *nr = realloc(*res, (size_t)h->n * sizeof *nr);
        if (!nr)
            return imp_err_set(err, IMP_ENOMEM, "out of memory for a batch of results");
        *res = nr;
        *cap = (size_t)h->n;
    }
    size_t pos = WIRE_HDR;
    imp_journal_rec rec;
    for (uint64_t i = 0; i < h->n; i++) {
        size_t took = imp_journal_rec_decode(b + pos, bytes - pos, &rec);
        if (!took)
            return imp_err_set(err, IMP_EMPI, "rank %d: result %llu of a batch of piece %llu "
                               "does not decode (byte %zu of %zu)", rank,
                               (unsigned long long)i, (unsigned long long)h->piece, pos, bytes);
        (*res)[i] = rec.res;
        (*res)[i].cell = rec.key_hash;
        pos += took;
    }
    if (pos != bytes)
        return imp_err_set(err, IMP_EMPI, "rank %d sent %zu bytes after the %llu results of a "
                           "batch", rank, bytes - pos, (unsigned long long)h->n);
    return 0;
}

/* A piece on its way to a rank: its encoding must live until the send completes, which is
 * sure once the rank has answered it (its last batch). */
typedef struct sent {
    int64_t *buf;
    MPI_Request req;
} sent;

typedef struct rstate {
    sent q[IMP_TRANSPORT_MAX_OUT]; /* oldest first, as the rank answers */
    int n;
    int drained;          /* TAG_DRAIN sent (drain_req completed by close) */
    int drain_msg;        /* its buffer: alive until drain_req completes */
    MPI_Request drain_req;
} rstate;

typedef struct mpi_tp {
    imp_transport base;
    imp_transport *local; /* rank 0 */
    rstate *rs;           /* index = rank (0 unused) */
    unsigned char *buf;   /* the last batch received */
    size_t cap;
    imp_cell_result *res; /* its results, valid until the next poll */
    size_t res_cap;
} mpi_tp;

static int mpi_send(imp_transport *t, int rank, const imp_piece *p, imp_err *err)
{
    mpi_tp *m = (mpi_tp *)t;
    if (rank == 0)
        return m->local->ops->send(m->local, 0, p, err);
    rstate *r = rank > 0 && rank < t->ranks ? &m->rs[rank] : NULL;
    if (!r || r->n >= IMP_TRANSPORT_MAX_OUT)
        return imp_err_set(err, IMP_EINTERNAL, "piece %llu for rank %d of %d: no room",
                           (unsigned long long)p->id, rank, t->ranks);
    sent *s = &r->q[r->n];
    size_t len;
    int rc = imp_piece_encode(p, &s->buf, &len, err);
    if (rc)
        return rc;
    MPI_Isend(s->buf, (int)len, MPI_INT64_T, rank, TAG_PIECE, MPI_COMM_WORLD, &s->req);
    r->n++;
    return 0;
}

/* Rank 0: one batch waiting from any rank (MPI_Iprobe/MPI_Recv, not collective), else the
 * local transport's. */
static int mpi_poll(imp_transport *t, imp_transport_ev *ev, imp_err *err)
{
    mpi_tp *m = (mpi_tp *)t;
    int flag = 0;
    MPI_Status st;
    MPI_Iprobe(MPI_ANY_SOURCE, TAG_RES, MPI_COMM_WORLD, &flag, &st);
    if (!flag)
        return m->local->ops->poll(m->local, ev, err);
    int bytes = 0;
    MPI_Get_count(&st, MPI_BYTE, &bytes);
    if ((size_t)bytes > m->cap) {
        unsigned char *nb = realloc(m->buf, (size_t)bytes * 2);
        if (!nb)
            return imp_err_set(err, IMP_ENOMEM, "out of memory for a batch of results");
        m->buf = nb;
        m->cap = (size_t)bytes * 2;
    }
    MPI_Recv(m->buf, bytes, MPI_BYTE, st.MPI_SOURCE, TAG_RES, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    imp_batch_hdr h;
    int rc = wire_decode(m->buf, (size_t)bytes, st.MPI_SOURCE, &h, &m->res, &m->res_cap, err);
    if (rc)
        return rc;
    rstate *r = &m->rs[st.MPI_SOURCE];
    if (h.last && r->n > 0) { /* answered: its piece's send is complete */
        MPI_Wait(&r->q[0].req, MPI_STATUS_IGNORE);
        free(r->q[0].buf);
        memmove(&r->q[0], &r->q[1], (size_t)(r->n - 1) * sizeof r->q[0]);
        r->n--;
    }
    memset(ev, 0, sizeof *ev);
    ev->kind = IMP_TEV_BATCH;
    ev->rank = st.MPI_SOURCE;
    ev->hdr = h;
    ev->res = m->res;
    return 1;
}

static void mpi_wait(imp_transport *t)
{
    mpi_tp *m = (mpi_tp *)t;
    m->local->ops->wait(m->local);
}

/* Rank 0: tell every rank to stop at its next cell (point-to-point, not collective). An
 * Isend, not a blocking send: a worker may itself be blocked sending rank 0 a large batch, and
 * a blocking send of rank 0 would then complete only if MPI buffered it (eager), which the
 * standard does not promise. The worker receives it before TAG_STOP; close completes it. */
static void mpi_drain(imp_transport *t)
{
    mpi_tp *m = (mpi_tp *)t;
    for (int r = 1; r < t->ranks; r++) {
        rstate *rs = &m->rs[r];
        if (!rs->drained) {
            rs->drain_msg = 1;
            MPI_Isend(&rs->drain_msg, 1, MPI_INT, r, TAG_DRAIN, MPI_COMM_WORLD, &rs->drain_req);
            rs->drained = 1;
        }
    }
    m->local->ops->drain(m->local);
}

/* Rank 0: TAG_STOP with the exit code (local to rank 0, the same sent to all) to every rank
 * (blocking point-to-point sends, not collective: every worker is idle in its serve loop by
 * now; each serve loop returns), the drain sends completed, then the local transport. */
static void mpi_close(imp_transport *t, int exit_code)
{
    mpi_tp *m = (mpi_tp *)t;
    for (int r = 1; r < t->ranks; r++) {
        rstate *rs = &m->rs[r];
        MPI_Send(&exit_code, 1, MPI_INT, r, TAG_STOP, MPI_COMM_WORLD);
        if (rs->drained)
            MPI_Wait(&rs->drain_req, MPI_STATUS_IGNORE);
        for (int k = 0; k < rs->n; k++) { /* none after an agreed end; kept for safety */
            MPI_Wait(&rs->q[k].req, MPI_STATUS_IGNORE);
            free(rs->q[k].buf);
        }
    }
    m->local->ops->close(m->local, exit_code);
    free(m->rs);
    free(m->buf);
    free(m->res);
    free(m);
}

static const imp_transport_ops mpi_ops = {mpi_send, mpi_poll, mpi_wait, mpi_drain, mpi_close};

int imp_transport_mpi_open(imp_transport *local, int size, imp_transport **out, imp_err *err)
{
    *out = NULL;
    mpi_tp *m = calloc(1, sizeof *m);
    rstate *rs = calloc((size_t)(size > 0 ? size : 1), sizeof *rs);
    if (!m || !rs) {
        free(m);
        free(rs);
        local->ops->close(local, 0);
        return imp_err_set(err, IMP_ENOMEM, "out of memory");
    }
    m->base.ops = &mpi_ops;
    m->base.ranks = size;
    m->local = local;
    m->rs = rs;
    *out = &m->base;
    return 0;
}

/* ---- a worker rank ------------------------------------------------------------------------ */

typedef struct serve {
    int draining;
    unsigned char *buf; /* a batch being sent */
    size_t cap;
} serve;

static int serve_emit(const imp_batch_hdr *h, const imp_cell_result *res, void *ud)
{
    serve *sv = ud;
    size_t bytes = wire_encode(h, res, &sv->buf, &sv->cap);
    if (!bytes)
        return IMP_ENOMEM;
    MPI_Send(sv->buf, (int)bytes, MPI_BYTE, 0, TAG_RES, MPI_COMM_WORLD);
    return 0;
}

static int serve_stop(void *ud)
{
    serve *sv = ud;
    if (!sv->draining) {
        int flag = 0;
        MPI_Iprobe(0, TAG_DRAIN, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
        if (flag) {
            int one;
            MPI_Recv(&one, 1, MPI_INT, 0, TAG_DRAIN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            sv->draining = 1;
        }
    }
    return sv->draining;
}

/* An idle worker polls (MPI_Iprobe, then this pause) rather than blocking in MPI_Probe: Open
 * MPI's blocking probe spins a core, which the other ranks on the node compute with. A pause,
 * not a test hook: nothing waits on it but the next probe. */
static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

int imp_transport_mpi_serve(imp_worker *w, const imp_grid *grid, int *exit_code, imp_err *err)
{
    serve sv = {0, NULL, 0};
    int64_t *msg = NULL;
    size_t cap = 0;
    int rc = 0;
    while (!rc) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (!flag) {
            sleep_us(300);
            continue;
        }
        if (st.MPI_TAG == TAG_STOP) {
            MPI_Recv(exit_code, 1, MPI_INT, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            break;
        }
        if (st.MPI_TAG == TAG_DRAIN) {
            serve_stop(&sv);
            continue;
        }
        if (st.MPI_TAG != TAG_PIECE) { /* receiving it as a piece would block for ever */
            rc = imp_err_set(err, IMP_EMPI, "rank 0 sent a message with tag %d, which no "
                             "worker expects", st.MPI_TAG);
            break;
        }
        int count = 0;
        MPI_Get_count(&st, MPI_INT64_T, &count);
        if ((size_t)count > cap) {
            free(msg);
            cap = (size_t)count * 2;
            if (!(msg = malloc(cap * sizeof *msg))) {
                rc = imp_err_set(err, IMP_ENOMEM, "out of memory for a piece of %d words", count);
                break;
            }
        }
        MPI_Recv(msg, count, MPI_INT64_T, 0, TAG_PIECE, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        imp_piece p;
        rc = imp_piece_decode(msg, (size_t)count, grid, &p, err);
        if (rc)
            break;
        if (serve_stop(&sv)) { /* queued before the drain: give it back untouched */
            imp_batch_hdr h = {p.id, 0, 0, 1, 1};
            rc = serve_emit(&h, NULL, &sv);
        } else {
            rc = imp_worker_run(w, &p, serve_emit, serve_stop, &sv, err);
        }
        imp_piece_free(&p);
    }
    free(msg);
    free(sv.buf);
    return rc;
}
