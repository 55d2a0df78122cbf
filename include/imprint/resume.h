/* resume.h — a job's results as found on disk (docs/formats.md "The journal"):
 * the cube laid out from the current job and filled by value from its journal (a version 1
 * journal converted first), what the journal holds beyond the grid, shard journals, and the
 * deterministic cost-balanced shard split. Shared by plan, sweep, merge and status. Its
 * conversion of a version 1 journal is, with sink.h, the only code that writes results. */
#ifndef IMPRINT_RESUME_H
#define IMPRINT_RESUME_H

#include <stdint.h>
#include <stdio.h>

#include "imprint/cellkey.h"
#include "imprint/cube.h"
#include "imprint/grid.h"
#include "imprint/job.h"
#include "imprint/journal.h"
#include "imprint/plan.h"

typedef struct imp_results {
    imp_cellkeys *keys;    /* of the current grid */
    imp_cube *cube;        /* current grid, keys set, filled from the main journal */
    imp_key_report report; /* journal keys not in the grid (finished) */
    imp_journal_info info; /* of the main journal */
    char *cube_path, *journal_path;
    int converted_v1;      /* a version 1 journal was converted (backup at journal_path.v1) */
    size_t kept;           /* cells of the grid with a result from the journal */
} imp_results;

/* Open the results of job (grid built from it). fp_flags: imp_store_fingerprint's
 * (the cache is "<cube>.fingerprints"; the store is only read). fresh:
 * delete the main journal first. v1_job (may be NULL: the cube's `job` attribute) names the
 * job file that wrote a version 1 journal, to convert it. note (may be NULL) gets what was
 * done (fingerprints computed, conversion). Errors: the store's, a corrupt journal, a version 1
 * journal that cannot be converted (IMP_EINPUT with the command that converts it).
 * Caller frees *out with imp_results_free. Not collective: rank 0 or a single process. */
int imp_results_open(const imp_job *job, const imp_grid *grid, int fp_flags, int fresh,
                     const char *v1_job, FILE *note, imp_results **out, imp_err *err);
void imp_results_free(imp_results *r);

/* "kept K, new N, dropped D[, invalidated I]" and one line per invalidation reason. */
void imp_results_print_summary(const imp_results *r, FILE *out, const char *prefix);

/* ---- shards ----------------------------------------------------------------------------- */

/* "I/N" with 0 <= I < N <= 100000, both whole decimal numbers; else -1 and why (a sentence
 * stating the rule). */
int imp_shard_parse(const char *spec, uint32_t *i, uint32_t *n, char *why, size_t why_n);
/* CUBE.h5.shard-I-of-N.journal (malloc'd; NULL when out of memory). */
char *imp_shard_journal_path(const char *cube_path, uint32_t i, uint32_t n);
/* Paths of every shard journal beside the cube, sorted (*paths malloc'd, each entry too;
 * free with imp_shard_paths_free). */
int imp_shard_list(const char *cube_path, char ***paths, size_t *n, imp_err *err);
void imp_shard_paths_free(char **paths, size_t n);

/* The shard split, a pure function: units in the given order (the plan's: longest first,
 * ties in grid order) go one by one to the shard with the least cost so far (ties: lowest
 * index) — greedy longest-processing-time, within 4/3 of the best makespan. Units are never
 * split, so GEN sharing within a (model, task, shot, seed) stays whole. assign[u] in
 * 0..n_shards-1; load is the caller's scratch of n_shards entries (the cost per shard on
 * return). */
void imp_shard_split(const double *cost, size_t n_units, uint32_t n_shards, double *load,
                     uint32_t *assign);

/* The status a shard plans from: status (the cube's: main and own journal) with every cell
 * that the split of p0 (the plan of the cells pending when the split was made) gives another
 * shard marked done, so imp_plan_build over it yields this shard's unfinished cells only.
 * *out (n_cells bytes) is malloc'd; caller frees. */
int imp_shard_status(const imp_plan *p0, uint32_t shard_i, uint32_t shard_n,
                     const uint8_t *status, size_t n_cells, uint8_t **out, imp_err *err);

#endif
