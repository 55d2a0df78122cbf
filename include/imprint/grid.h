/* grid.h — the axes of a job and which of their cells are valid (the reference's grid rules),
 * and the grid hash that guards a resume. (Work units: plan.h; their cost: cost.h.) */
#ifndef IMPRINT_GRID_H
#define IMPRINT_GRID_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/axis.h"
#include "imprint/err.h"
#include "imprint/job.h"
#include "imprint/status.h"
#include "imprint/strategy.h"


/* k_eff of an n/a cell. */
#define IMP_GRID_KNA INT64_MIN
/* The most cells a grid may have (2^32), and the bytes per cell a sweep or plan holds in
 * memory at most (cube arrays, plan and journal state, rounded up). imp_grid_from_job refuses
 * a job (IMP_EINPUT) with more cells, or whose cells would need more than the machine's
 * physical memory, before allocating anything. */
#define IMP_GRID_MAX_CELLS ((size_t)1 << 32)
#define IMP_GRID_BYTES_PER_CELL 64

/* Coordinates of one cell: an index into each axis, named like the axis (c.model … c.seed). */
typedef struct imp_cell {
#define IMP__AX_IDX_FIELD(ID, name, key, kind, min, max, minus1, rule, dflt) size_t name;
    IMP_AXIS_MAP(IMP__AX_IDX_FIELD)
#undef IMP__AX_IDX_FIELD
} imp_cell;

/* The grid of a job. Read-only after imp_grid_from_job; owned by the grid (imp_grid_free).
 *
 * Cell linear index = row-major over [model, task, strategy, k, shot, seed] (seed fastest),
 * the layout of every cube array.
 *
 * Validity depends only on (strategy, k, shot) and follows the reference's rows
 * (docs/job-file.md, "Which cells are computed"):
 * every listed k of a (strategy, shot) goes through imp_strategy_row; the surviving rows give
 * a set of distinct effective k values (rule 12 drops the duplicates); each distinct value e
 * is recorded in exactly one cell: the cell k = e if e is on the ks axis, otherwise the
 * smallest listed k whose row runs with e (few-shot rule 11: shot f < k runs with k = f, so
 * for ks {1,5,20} and shot 2 the cell k = 5 holds the k = 2 run and k = 20 is n/a). Every
 * other cell is n/a. k_eff is the k a valid cell runs with (-1: every row a proxy).
 *
 * A valid cell whose GEN draws no random numbers for its (k_eff, shot)
 * (imp_strategy_uses_seed == 0) gives the same result for every seed: seed_shared is 1 and
 * the cell of seed index 0 is its source (computed once, recorded for every seed). */
typedef struct imp_grid {
    /* The axes (axis.h), stored once and named two ways: g->axes is the imp_axes that the
     * cell index, the hash and the cube take, and g->n_model, g->strategy, g->k … are the
     * same objects, for the grid code that reads one axis. Invariant: both members are
     * IMP_AXES_FIELDS, field for field (grid.c asserts the offsets), so there is nothing to
     * keep in sync. Strategies are canonical text; k >= 1 or -1, shot >= 1 or -1 (all),
     * seed >= 0 (the table's ranges). */
    union {
        imp_axes axes;
        struct {
            IMP_AXES_FIELDS
        };
    };
    imp_strategy *strat;  /* per strategy, parsed */
    size_t *task_classes; /* classes per task; 0 if unknown (classes: all before the store check) */
    size_t n_cells;       /* product of the axis lengths */

    /* Per (strategy, k, shot), index (strategy * n_k + k) * n_shot + shot: */
    int64_t *k_eff;       /* IMP_GRID_KNA when n/a */
    const char **why;     /* static reason when n/a, NULL when valid */
    uint8_t *seed_shared;

    size_t n_valid, n_na; /* over all cells */

    /* What the hash covers besides the axes. */
    char *store;          /* as written in the job */
    char **task_def;      /* per task: "datasets=a,b classes=all|0,2 remap=none|raw:cls,..." */
    size_t n_lambda;
    char **lambda_model;
    double *lambda;

    char *canon;          /* the canonical text that was hashed */
    uint64_t hash;
} imp_grid;

/* Build the grid of a parsed job. Returns 0 and *out (free with imp_grid_free), or IMP_ENOMEM
 * / IMP_EINPUT (more than SIZE_MAX cells). */
int imp_grid_from_job(const imp_job *job, imp_grid **out, imp_err *err);
void imp_grid_free(imp_grid *g);

size_t imp_grid_cell_index(const imp_grid *g, const imp_cell *c);
void imp_grid_cell_coords(const imp_grid *g, size_t cell, imp_cell *c);
/* 1 if the cell is valid (with *k_eff, may be NULL), 0 if n/a (with a static *why, may be
 * NULL). */
int imp_grid_cell_valid(const imp_grid *g, size_t cell, int64_t *k_eff, const char **why);
/* The cell whose computed result this valid cell records: itself, or the same cell at seed
 * index 0 when the result is the same for every seed. */
size_t imp_grid_cell_source(const imp_grid *g, size_t cell);

/* The grid hash: FNV-1a 64 (imp_hash_str) of the canonical text, which is, one line each,
 *   imprint-grid 1
 *   store <store as written in the job>
 *   model <name>                       (axis order)
 *   task <name> <task_def>             (axis order)
 *   strategy <canonical strategy>      (axis order)
 *   k <k>      shot <n|all>      seed <seed>   (axis order, one line per value)
 *   lambda <model> <%.17g>             (job order)
 * — "<axis name> <value text>" for every axis in table order (axis.h) — so any change of an
 * axis (values or order), a task's definition, the store path or a λ override changes the
 * hash. An axis added after these six writes its lines only when it leaves its default value
 * (a job that does not use it keeps its hash). */
uint64_t imp_grid_hash(const imp_grid *g);
const char *imp_grid_canonical(const imp_grid *g);

#endif
