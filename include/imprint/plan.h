/* plan.h — the work of a sweep: the cells of a grid still to do, in work units of one (model,
 * task, shot, seed) grouped by GEN computation, longest first. */
#ifndef IMPRINT_PLAN_H
#define IMPRINT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/cost.h"
#include "imprint/err.h"
#include "imprint/grid.h"

/* One cell a unit computes; the n_alias cells alias[first_alias ..] (same cell at other seeds,
 * seed-shared results only) record the same result. */
typedef struct imp_unit_cell {
    size_t cell;
    uint32_t strategy, k; /* axis indices */
    int64_t k_eff;
    size_t first_alias, n_alias;
} imp_unit_cell;

/* One GEN computation: every cell of it shares PRE, GEN, k_eff (and the unit's model, task,
 * shot, seed), so the proxies are computed once and each cell applies its POST, INF, AGG. */
typedef struct imp_unit_gen {
    uint32_t strategy;    /* the first cell's strategy; its pre and gen define the computation */
    int64_t k_eff;
    int seed_shared;      /* the result serves every seed (its cells carry aliases) */
    size_t first_cell, n_cells; /* into plan->cells */
    double cost;          /* imp_gen_cost + imp_cells_cost of its cells (one proxy set) */
} imp_unit_gen;

/* A work unit: the cells of one value of every axis but strategy and k (model, task, shot,
 * seed) still to do, grouped by GEN. */
typedef struct imp_unit {
    uint32_t model, task, shot, seed; /* axis indices */
    size_t first_cell;                /* its cell at strategy 0, k 0: its place in cell order */
    size_t first_gen, n_gens;         /* into plan->gens */
    size_t n_record;                  /* cells it records: its cells plus their aliases */
    double cost;
} imp_unit;

/* The work of a sweep. units are sorted longest first (cost descending, ties in cell order);
 * gens, cells and alias are flat arrays the units index into. Owned by the plan. */
typedef struct imp_plan {
    size_t n_units;
    imp_unit *units;
    size_t n_gens;
    imp_unit_gen *gens;
    size_t n_cells;
    imp_unit_cell *cells;
    size_t n_alias;
    size_t *alias;

    size_t n_valid, n_na;    /* over the grid */
    size_t n_done, n_failed; /* valid cells with that status (0 without a status array) */
    size_t n_todo;           /* cells the plan records = n_cells + n_alias */
    double total_cost;
} imp_plan;

/* Plan the cells still to do. status (may be NULL: all pending) has one IMP_CELL_* byte per
 * cell, in cell order; a valid cell is to do when pending, or failed with retry_failed.
 * A seed-shared cell group is computed once, in the unit of its first seed still to do, and
 * recorded for every seed still to do. hints (may be NULL) has n_model * n_task entries,
 * index model * n_task + task. Returns 0 and *out (free with imp_plan_free), or IMP_ENOMEM. */
int imp_plan_build(const imp_grid *g, const uint8_t *status, int retry_failed,
                   const imp_cost_hint *hints, imp_plan **out, imp_err *err);
void imp_plan_free(imp_plan *p);

#endif
