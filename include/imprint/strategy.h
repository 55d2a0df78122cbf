/* strategy.h — a strategy PRE/GEN/POST/INF/AGG (DESIGN.md "Words"): parsing, canonical
 * text, and the reference's grid rules for one (strategy, k, shot) cell. */
#ifndef IMPRINT_STRATEGY_H
#define IMPRINT_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"

typedef enum { IMP_NORM_NONE = 0, IMP_NORM_L2, IMP_NORM_QUANTILE } imp_norm;

typedef enum {
    IMP_GEN_MEAN = 0,
    IMP_GEN_ALL,
    IMP_GEN_RANDOM,
    IMP_GEN_KMEANS,
    IMP_GEN_KMEDOIDS,
    IMP_GEN_FPS,
    IMP_GEN_COVMAX,
    IMP_GEN_LS,
    IMP_GEN_KLS,
    IMP_GEN__COUNT
} imp_gen;

typedef enum { IMP_AGG_MAX = 0, IMP_AGG_NN, IMP_AGG_MNN } imp_agg;

typedef enum {
    IMP_METRIC_INNER = 0, /* only with AGG max */
    IMP_METRIC_COSINE,
    IMP_METRIC_EUCLIDEAN,
    IMP_METRIC_MANHATTAN,
    IMP_METRIC_MAHALANOBIS
} imp_metric;

typedef enum { IMP_WEIGHT_UNIFORM = 0, IMP_WEIGHT_DISTANCE } imp_weight;

typedef struct imp_strategy {
    imp_norm pre;  /* none | l2 */
    imp_gen gen;
    imp_norm post; /* none | l2 | quantile */
    imp_norm inf;  /* none | l2 */
    imp_agg agg;
    int m;             /* neighbours: 1 for nn, M for mnn, 0 for max */
    imp_metric metric; /* INNER for max */
    imp_weight weight; /* UNIFORM unless mnn:…:distance */
} imp_strategy;

/* Parse "PRE/GEN/POST/INF/AGG" (e.g. "l2/kmeans/l2/l2/mnn:3:cosine:distance").
 * Returns 0, or IMP_EINPUT with a message naming the bad part and the allowed values. */
int imp_strategy_parse(const char *text, imp_strategy *out, imp_err *err);
/* Canonical text (the inverse of parse) into buf; returns buf. */
char *imp_strategy_format(const imp_strategy *s, char *buf, size_t n);

const char *imp_norm_name(imp_norm n);
const char *imp_gen_name(imp_gen g);
const char *imp_metric_name(imp_metric m);
/* GEN names accepted by parse ("mean", "kmeans", …); -1 if unknown. */
int imp_gen_from_name(const char *name);

/* Does this GEN draw random numbers for the given shot? (random, fps, kmeans, kls always;
 * every GEN when shot != all because presampling draws.) Seed-independent cells are
 * computed once and recorded for every seed. shot < 0 means all. */
int imp_strategy_uses_seed(const imp_strategy *s, int k, int shot);

/* The reference's cell-level grid rules (spec/reference-semantics.md §1.5.10, §1.6) for one
 * (strategy, k, shot): returns 1 if the cell is valid, 0 if it is n/a, with a short reason in
 * *why (static string) when n/a. k = -1 means every row is a proxy; shot < 0 means all.
 * Rules that depend on the whole axis (m > 10k evaluated before mean/ls force k = 1; shot < k
 * mapping) are applied by the grid module, which knows the axes. */
int imp_strategy_cell_valid(const imp_strategy *s, int k, int shot, const char **why);

/* One row of the reference's grid (spec §1.6) through its filter pipeline in the reference's
 * order: rule 4 (drop mnn with m > 10·k, k > 0; k as listed, before rule 7), rule 7 (mean/ls
 * → k = 1), rule 8 (drop k = -1 unless all), rule 9 (all → k = -1), rule 10 (drop NORMpre
 * other than none with NORMinf != NORMpre), rule 11 (shot f < k → k = f). Rules 1–3 are
 * properties of our strategy text (max has no m; mnn needs M >= 1 and a metric). Returns 1
 * and the k the row runs with in *k_eff, or 0 (dropped) with a static reason in *why.
 * k is a listed k (>= 1 or -1), shot >= 1 or -1 for all. The grid module removes the
 * duplicates this creates (rule 12) and places each surviving row in one cube cell. */
int imp_strategy_row(const imp_strategy *s, int64_t k, int64_t shot, int64_t *k_eff,
                     const char **why);

#endif
