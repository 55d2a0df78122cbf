/* piece.c — encoding and checked decoding of sweep work pieces. */
#include "imprint/piece.h"

#include <stdlib.h>
#include <string.h>

int imp_piece_encode(const imp_piece *p, int64_t **msg, size_t *len, imp_err *err)
{
    size_t words = IMP_PIECE_HDR + 4 * p->n_groups + 2 * p->n_cells;
    int64_t *m = malloc(words * sizeof *m);
    if (!m)
        return imp_err_set(err, IMP_ENOMEM, "out of memory encoding piece %llu",
                           (unsigned long long)p->id);
    size_t o = 0;
    m[o++] = (int64_t)p->id;
    m[o++] = p->model;
    m[o++] = p->task;
    m[o++] = p->shot;
    m[o++] = p->seed;
    m[o++] = (int64_t)p->n_groups;
    m[o++] = (int64_t)p->n_cells;
    for (size_t i = 0; i < p->n_groups; i++) {
        m[o++] = p->groups[i].strategy;
        m[o++] = p->groups[i].k_eff;
        m[o++] = (int64_t)p->groups[i].gen_id;
        m[o++] = (int64_t)p->groups[i].n;
    }
    for (size_t i = 0; i < p->n_cells; i++) {
        m[o++] = (int64_t)p->cells[i].cell;
        m[o++] = p->cells[i].strategy;
    }
    *msg = m;
    *len = words;
    return 0;
}

static int in_range(int64_t v, size_t n) { return v >= 0 && (uint64_t)v < n; }

int imp_piece_decode(const int64_t *m, size_t len, const imp_grid *g, imp_piece *out,
                     imp_err *err)
{
    memset(out, 0, sizeof *out);
    if (len < IMP_PIECE_HDR || !in_range(m[1], g->n_model) || !in_range(m[2], g->n_task) ||
        !in_range(m[3], g->n_shot) || !in_range(m[4], g->n_seed) || m[5] < 1 || m[6] < 1 ||
        (uint64_t)m[5] > (len - IMP_PIECE_HDR) / 4 ||
        (uint64_t)m[6] > (len - IMP_PIECE_HDR) / 2 ||
        len != IMP_PIECE_HDR + 4 * (size_t)m[5] + 2 * (size_t)m[6])
        return imp_err_set(err, IMP_EINPUT, "malformed work piece (%zu words)", len);
    size_t ng = (size_t)m[5], nc = (size_t)m[6];
    imp_piece p = {(uint64_t)m[0], (uint32_t)m[1], (uint32_t)m[2], (uint32_t)m[3],
                   (uint32_t)m[4], ng, calloc(ng, sizeof(imp_piece_group)), nc,
                   calloc(nc, sizeof(imp_piece_cell)), 0, nc, 1};
    if (!p.groups || !p.cells) {
        imp_piece_free(&p);
        return imp_err_set(err, IMP_ENOMEM, "out of memory decoding a piece of %zu cells", nc);
    }
    const int64_t *w = m + IMP_PIECE_HDR;
    size_t first = 0;
    for (size_t i = 0; i < ng; i++, w += 4) {
        if (!in_range(w[0], g->n_strategy) || w[3] < 1 || (uint64_t)w[3] > nc - first) {
            imp_piece_free(&p);
            return imp_err_set(err, IMP_EINPUT, "malformed work piece: group %zu", i);
        }
        p.groups[i] = (imp_piece_group){(uint32_t)w[0], w[1], (uint64_t)w[2], first,
                                        (size_t)w[3], 0};
        first += (size_t)w[3];
    }
    for (size_t i = 0; i < nc && first == nc; i++, w += 2) {
        if (!in_range(w[0], g->n_cells) || !in_range(w[1], g->n_strategy)) {
            first = 0;
            break;
        }
        p.cells[i] = (imp_piece_cell){(uint64_t)w[0], (uint32_t)w[1], 0, 0};
    }
    if (first != nc) {
        imp_piece_free(&p);
        return imp_err_set(err, IMP_EINPUT, "malformed work piece: cells");
    }
    *out = p;
    return 0;
}

void imp_piece_free(imp_piece *p)
{
    if (p->owned) {
        free(p->groups);
        free(p->cells);
    }
    memset(p, 0, sizeof *p);
}
