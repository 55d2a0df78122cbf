/* cellkey.h — a grid cell's identity by value (docs/formats.md "The journal"): the key a journal
 * record carries, so that results survive a grown, shrunk or reordered grid and a moved store,
 * and are invalidated exactly when what decides them changes. */
#ifndef IMPRINT_CELLKEY_H
#define IMPRINT_CELLKEY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "imprint/cube.h"
#include "imprint/err.h"
#include "imprint/grid.h"
#include "imprint/job.h"
#include "imprint/storefp.h"

/* The key of a valid cell is one line of tab-separated fields (names escaped: \t \n \\):
 *   c1  model  task  taskdef  strategy  k_eff  shot  seed  lambda  store
 * - task is the task's name AND taskdef the XXH64 (16 hex) of its definition (datasets,
 *   classes, remap; grid.h's task_def): the definition decides which rows are used, and the
 *   name seeds every random draw (shot, k-means++, random, fps are seeded by (seed, task
 *   name, class)), so renaming a task changes results too;
 * - strategy is the canonical text; k_eff the k the cell runs with (not its listed k: with ks
 *   [1, 5] and shot 2 the cell k = 5 holds the k = 2 run, which is the same result as k = 2
 *   in a grid that lists 2), -1 for every row; shot a count or "all";
 * - seed is the seed's value, also for results that are the same for every seed (grid.h
 *   seed_shared): one record per cell, as the cube has one value per cell;
 * - lambda is the model's λ (the shortest %g text that reads back exactly) for ls and kls,
 *   "-" for every other GEN (it changes nothing else);
 * - store is "dataset:<full fingerprint>" for each dataset of the task (storefp.h), joined
 *   by ",".
 * The key's hash is XXH64 of the line (0 is never used: it means "no key"). The first six
 * value fields after c1 except taskdef (model, task, strategy, k_eff, shot, seed) place a key
 * in a grid; taskdef, lambda and store are what invalidate it. */
#define IMP_CELLKEY_MAX 1024

typedef struct imp_cellkeys imp_cellkeys;

/* Keys of every valid cell of grid (borrowed: must outlive the keys) for job, with λ from the
 * job's override or the store, and the fingerprint of every model x dataset the grid uses.
 * fp_flags as for imp_store_fingerprint. note (may be NULL) gets one line per fingerprint that
 * had to be computed. Returns 0 and *out (free with imp_cellkeys_free), or the store's error. */
int imp_cellkeys_from_store(const imp_job *job, const imp_grid *grid, int fp_flags, FILE *note,
                            imp_cellkeys **out, imp_err *err);
void imp_cellkeys_free(imp_cellkeys *k);

/* The key line of cell into buf (n >= IMP_CELLKEY_MAX suffices); returns its length, 0 for an
 * n/a cell. Also usable as an imp_journal_key_fn (ctx = the keys). */
size_t imp_cellkeys_text(const void *keys, uint64_t cell, char *buf, size_t n, uint64_t *hash);
/* Identity of the whole grid by value: XXH64 over the hashes of the valid cells in cell
 * order. Shard journals carry it; merge refuses another. */
uint64_t imp_cellkeys_grid_id(const imp_cellkeys *k);
/* Copy every cell's key hash into cube->key (the cube must have the grid's shape). */
void imp_cellkeys_fill_cube(const imp_cellkeys *k, imp_cube *cube);
/* Fingerprints: how many model x dataset pairs, how many came from the cache, total seconds. */
void imp_cellkeys_fp_stats(const imp_cellkeys *k, size_t *n, size_t *cached, double *seconds);

/* ---- what a journal holds that the grid does not ----------------------------------------- */

/* Distinct keys of journal records that match no cell, classified against the grid: a key
 * whose place (model, task, strategy, k_eff, shot, seed) is a cell of the grid but whose
 * taskdef, λ or store differs is invalidated (the cell is recomputed); any other is dropped
 * (kept in the journal, reported). */
typedef struct imp_key_reason {
    char text[256]; /* e.g. "blobs of toy changed since these cells were computed" */
    size_t cells;   /* cells of the grid it invalidates */
} imp_key_reason;

typedef struct imp_key_report {
    size_t dropped;           /* distinct keys not placed in the grid */
    size_t invalidated;       /* pending cells of the grid that have an old key's result */
    size_t invalidated_cells; /* the same count (one per cell) */
    size_t n_reason;
    imp_key_reason *reason;   /* grouped by text, in order of first appearance */
    /* collection state (imp_key_report_add); owned */
    size_t n_pending, cap_pending;
    char **pending;
} imp_key_report;

void imp_key_report_init(imp_key_report *r);
void imp_key_report_free(imp_key_report *r);
/* Remember an unmatched key (copied). */
int imp_key_report_add(imp_key_report *r, const char *key, imp_err *err);
/* Deduplicate and classify the remembered keys against k; fills the counts and reasons. status
 * is the cube's after the journal was applied: an old key of a cell that has a result under
 * its current key is superseded (counted nowhere), each invalidated cell counts once. */
int imp_key_report_finish(imp_key_report *r, const imp_cellkeys *k, const uint8_t *status,
                          imp_err *err);

/* Apply a journal file to cube by value (imp_cube_apply_journal), collecting the keys of
 * records outside the grid into report (may be NULL). The cube's key array must be filled. */
int imp_cellkeys_apply_journal(imp_cube *cube, const char *path, imp_key_report *report,
                               imp_journal_info *info, imp_err *err);

#endif
