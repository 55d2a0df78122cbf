/* piece.h — a work piece of the sweep (cells of one (model, task, shot, seed) grouped by the
 * GEN computation they share) and its wire codec; the header of a result batch. No MPI here. */
#ifndef IMPRINT_PIECE_H
#define IMPRINT_PIECE_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/grid.h"

/* One GEN computation inside a piece: its cells share PRE, GEN, k_eff and the piece's model,
 * task, shot and seed, so the proxies are computed (or taken from a rank's cache) once and
 * every (POST, INF, AGG) cell is evaluated on them. A GEN group of many cells may be cut
 * into slices over several pieces; every slice carries the same gen_id. */
typedef struct imp_piece_group {
    uint32_t strategy;   /* grid strategy index whose pre and gen define the computation */
    int64_t k_eff;
    uint64_t gen_id;     /* the plan's GEN index: equal ids = the same proxies */
    size_t first, n;     /* cells[first .. first + n) */
    double gen_seconds;  /* estimated GEN seconds (rank 0 only, not encoded) */
} imp_piece_group;

/* One cell to compute. first_alias/n_alias (rank 0 only, not encoded) point into the plan's
 * alias array: cells at other seeds that record the same result. */
typedef struct imp_piece_cell {
    uint64_t cell;
    uint32_t strategy;
    size_t first_alias, n_alias;
} imp_piece_cell;

/* A piece. Invariants: groups tile cells in order (groups[0].first = 0, each group starts
 * where the previous ends, the last ends at n_cells); every group has n >= 1. A piece from
 * imp_piece_decode owns its two arrays (free with imp_piece_free); pieces inside an
 * imp_pieces set point into the set's flat arrays and are freed with the set. */
typedef struct imp_piece {
    uint64_t id;
    uint32_t model, task, shot, seed; /* axis indices */
    size_t n_groups;
    imp_piece_group *groups;
    size_t n_cells;
    imp_piece_cell *cells;
    double cell_seconds; /* estimated seconds of the cells (rank 0 only, not encoded) */
    size_t n_record;     /* cells it records, aliases included (rank 0 only) */
    int owned;           /* arrays owned by this piece (decoded) */
} imp_piece;

/* Wire format, int64 words:
 *   [0] id [1] model [2] task [3] shot [4] seed [5] n_groups [6] n_cells
 *   per group: strategy, k_eff, gen_id, n      then per cell: cell, strategy */
enum { IMP_PIECE_HDR = 7 };

/* Encode p into *msg (malloc'd, caller frees) of *len words. */
int imp_piece_encode(const imp_piece *p, int64_t **msg, size_t *len, imp_err *err);
/* Decode a message, checking every index against the grid: IMP_EINPUT for a malformed
 * message, IMP_ENOMEM. On success *out owns its arrays: free with imp_piece_free. */
int imp_piece_decode(const int64_t *msg, size_t len, const imp_grid *g, imp_piece *out,
                     imp_err *err);
/* Free a decoded piece's arrays (a piece of a set is left alone) and zero it. */
void imp_piece_free(imp_piece *p);

/* A batch of results of one piece, in the piece's cell order, as a worker sends it:
 * this header followed by n imp_cell_result. last = 1 on the piece's final batch (after it
 * no more results of the piece come; cells not reported by then are still to do). */
typedef struct imp_batch_hdr {
    uint64_t piece;
    uint64_t n;
    double busy_seconds; /* wall seconds the worker spent on the piece since the last batch */
    uint32_t last;
    uint32_t stopped;    /* the worker stopped early (drain): the rest of the piece is undone */
} imp_batch_hdr;

#endif
