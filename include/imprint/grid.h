/* grid.h — the cube's axes and which of its cells are valid (the reference's grid rules), the
 * grid hash and diff that guard a resume, and the work units a sweep hands out. */
#ifndef IMPRINT_GRID_H
#define IMPRINT_GRID_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/job.h"
#include "imprint/status.h"
#include "imprint/strategy.h"

/* Cell status values, as stored in the cube's /status (DESIGN.md "Result cube"). */

/* k_eff of an n/a cell. */
#define IMP_GRID_KNA INT64_MIN
/* The most cells a grid may have (2^32), and the bytes per cell a sweep or plan holds in
 * memory at most (cube arrays, plan and journal state, rounded up). imp_grid_from_job refuses
 * a job (IMP_EINPUT) with more cells, or whose cells would need more than the machine's
 * physical memory, before allocating anything. */
#define IMP_GRID_MAX_CELLS ((size_t)1 << 32)
#define IMP_GRID_BYTES_PER_CELL 64

/* Coordinates of one cell: indices into the six axes. */
typedef struct imp_cell {
    size_t model, task, strategy, k, shot, seed;
} imp_cell;

/* The grid of a job. Read-only after imp_grid_from_job; owned by the grid (imp_grid_free).
 *
 * Cell linear index = row-major over [model, task, strategy, k, shot, seed] (seed fastest),
 * the layout of every cube array.
 *
 * Validity depends only on (strategy, k, shot) and follows the reference's rows (spec §1.6):
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
    size_t n_model, n_task, n_strategy, n_k, n_shot, n_seed;
    char **model;
    char **task;
    char **strategy;      /* canonical text */
    imp_strategy *strat;
    int64_t *k;           /* >= 1 or -1 */
    int64_t *shot;        /* >= 1 or -1 (all) */
    int64_t *seed;
    size_t *task_classes; /* classes per task; 0 if unknown (classes: all before the store check) */
    size_t n_cells;       /* product of the six axis lengths */

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
 * so any change of an axis (values or order), a task's definition, the store path or a λ
 * override changes the hash. */
uint64_t imp_grid_hash(const imp_grid *g);
const char *imp_grid_canonical(const imp_grid *g);

/* What differs between two grids, one line per difference ("\n"-separated) into buf
 * (truncated to n), e.g. "ks: [1, 5] vs [1, 5, 20]"; long axes are summarised ("strategies:
 * 540 vs 541 values; only in the second: ..."). Returns the number of differences (0 when
 * the canonical texts are equal). */
int imp_grid_diff(const imp_grid *a, const imp_grid *b, char *buf, size_t n);

/* ---- work units ------------------------------------------------------------------------ */

/* Sizes a cost estimate needs for one (model, task). Zero fields take the defaults: n_per_class
 * 5000, dim 512, n_classes = task_classes or 10, n_test = 1000 per class. */
typedef struct imp_cost_hint {
    double n_per_class; /* training rows per class before the shot */
    double dim;
    double n_classes;
    double n_test;
} imp_cost_hint;

/* Relative cost of one GEN computation (including NORMpre) and of one cell's remaining work
 * (NORMpost + inference on the test split). Units are multiply-adds, only ratios matter.
 * With C classes, n = min(shot, n_per_class) rows per class, d dims, p = proxies per class
 * (k_eff, or n when k_eff = -1 or k_eff > n), T test rows, I = 30 nominal Lloyd iterations:
 *   mean, all: C·n·d          random: C·p·d            fps: C·n·p·d
 *   kmeans: C·n·d·p·I         kmedoids, covmax: C·n²·d
 *   ls: C·n·d² + d³           kls: kmeans + ls
 *   cell: T·C·p·d, plus (T + C·p)·d² + d³ for mahalanobis. */
double imp_gen_cost(const imp_strategy *s, int64_t k_eff, int64_t shot, const imp_cost_hint *h);
double imp_cell_cost(const imp_strategy *s, int64_t k_eff, int64_t shot, const imp_cost_hint *h);
/* The inference cost of n cells on ONE proxy set through the cell pipeline (pipeline.h):
 * T·C·p·d·pair_cost once per distinct (POST, INF, metric), the whitening (T·d² per (POST,
 * INF), C·p·d² + d³ per POST) once, and T·C·p per cell for its selection and votes. What a
 * unit's cells cost together; imp_cell_cost is one cell evaluated alone. */
double imp_cells_cost(const imp_strategy *const *cells, size_t n, int64_t k_eff, int64_t shot,
                      const imp_cost_hint *h);

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

/* A work unit: the cells of one (model, task, shot, seed) still to do, grouped by GEN. */
typedef struct imp_unit {
    uint32_t model, task, shot, seed; /* axis indices */
    size_t first_gen, n_gens;         /* into plan->gens */
    size_t n_record;                  /* cells it records: its cells plus their aliases */
    double cost;
} imp_unit;

/* The work of a sweep. units are sorted longest first (cost descending, ties in grid order);
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

/* Plan the cells still to do. status (may be NULL: all pending) has one IMP_GRID_* byte per
 * cell, in cell order; a valid cell is to do when pending, or failed with retry_failed.
 * A seed-shared cell group is computed once, in the unit of its first seed still to do, and
 * recorded for every seed still to do. hints (may be NULL) has n_model * n_task entries,
 * index model * n_task + task. Returns 0 and *out (free with imp_plan_free), or IMP_ENOMEM. */
int imp_plan_build(const imp_grid *g, const uint8_t *status, int retry_failed,
                   const imp_cost_hint *hints, imp_plan **out, imp_err *err);
void imp_plan_free(imp_plan *p);

#endif
