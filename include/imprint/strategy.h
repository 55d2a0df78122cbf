/* strategy.h — a strategy PRE/GEN/POST/INF/AGG (docs/semantics.md): parsing, canonical
 * text, and the reference's grid rules for one (strategy, k, shot) cell. */
#ifndef IMPRINT_STRATEGY_H
#define IMPRINT_STRATEGY_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"

/* Every normalisation, once: X(ENUM, name, parts).
 *   parts  the strategy parts it may stand in, IMP_PART_PRE | IMP_PART_POST | IMP_PART_INF
 *          (quantile maps the proxies' values, so it is a NORMpost only; docs/semantics.md)
 * The enum order is the table's; none is 0, so a zeroed strategy normalises nothing. */
#define IMP_NORM_MAP(X)                                                     \
    X(NONE,     "none",     IMP_PART_PRE | IMP_PART_POST | IMP_PART_INF)    \
    X(L2,       "l2",       IMP_PART_PRE | IMP_PART_POST | IMP_PART_INF)    \
    X(QUANTILE, "quantile", IMP_PART_POST)

enum { IMP_PART_PRE = 1, IMP_PART_POST = 2, IMP_PART_INF = 4 };

typedef enum {
#define IMP__NORM_ENUM(e, name, parts) IMP_NORM_##e,
    IMP_NORM_MAP(IMP__NORM_ENUM)
#undef IMP__NORM_ENUM
    IMP_NORM__COUNT
} imp_norm;

/* Every GEN method, once: X(ENUM, name, fixed_k, seed, lsq, cost, kernel).
 *   fixed_k  the k the grid forces (mean, ls: 1; all: -1), 0 = k is free
 *   seed     when its proxies depend on the cell's seed at shot = all (with a shot every GEN
 *            does, because presampling draws): IMP_SEED_NEVER, IMP_SEED_ALWAYS, or
 *            IMP_SEED_UNLESS_K1 (kls at k = 1 is ls)
 *   lsq      1: a ridge least-squares solve over every class at once (kernel joint): its proxies
 *            depend on the model's λ (so λ is part of the cell's key) and are trained weights,
 *            not imprinted ones (the figures and claims about imprinting leave it out)
 *   cost     sum of IMP_COST_* terms for imp_gen_cost (cost.h lists the formulas)
 *   kernel   the per-class generator in proxy.c (gen_k_<kernel>), all for every row as it is, or
 *            joint for the least-squares methods
 * A new GEN is one row here plus its kernel (and a row of the cost calibration,
 * src/engine/cost_calib.h). The enum order is the table's; nothing depends on it. */
#define IMP_GEN_MAP(X)                                                                   \
    X(MEAN,     "mean",     1,  IMP_SEED_NEVER,     0, IMP_COST_CND,    mean)               \
    X(ALL,      "all",      -1, IMP_SEED_NEVER,     0, IMP_COST_CND,    all)                \
    X(RANDOM,   "random",   0,  IMP_SEED_ALWAYS,    0, IMP_COST_CPD,    random)             \
    X(KMEANS,   "kmeans",   0,  IMP_SEED_ALWAYS,    0, IMP_COST_KMEANS, kmeans)             \
    X(KMEDOIDS, "kmedoids", 0,  IMP_SEED_NEVER,     0, IMP_COST_CN2D,   kmedoids)           \
    X(FPS,      "fps",      0,  IMP_SEED_ALWAYS,    0, IMP_COST_CNPD,   fps)                \
    X(COVMAX,   "covmax",   0,  IMP_SEED_NEVER,     0, IMP_COST_CN2D,   covmax)             \
    X(LS,       "ls",       1,  IMP_SEED_NEVER,     1, IMP_COST_LS,     joint)              \
    X(KLS,      "kls",      0,  IMP_SEED_UNLESS_K1, 1, IMP_COST_KMEANS | IMP_COST_LS, joint)

enum { IMP_SEED_NEVER = 0, IMP_SEED_ALWAYS = 1, IMP_SEED_UNLESS_K1 = 2 };
/* GEN cost terms (C classes, n rows per class, p proxies per class, d dims, I iterations) */
enum {
    IMP_COST_CND = 1,    /* C·n·d */
    IMP_COST_CPD = 2,    /* C·p·d */
    IMP_COST_CNPD = 4,   /* C·n·p·d */
    IMP_COST_KMEANS = 8, /* C·n·p·d·I */
    IMP_COST_CN2D = 16,  /* C·n²·d */
    IMP_COST_LS = 32     /* C·n·d² + d³ (shared factor: counted once per GEN) */
};

typedef enum {
#define IMP__GEN_ENUM(e, name, k, seed, lsq, cost, kernel) IMP_GEN_##e,
    IMP_GEN_MAP(IMP__GEN_ENUM)
#undef IMP__GEN_ENUM
    IMP_GEN__COUNT
} imp_gen;

typedef struct imp_gen_info {
    const char *name;
    int fixed_k; /* 0: free */
    int seed;    /* IMP_SEED_* */
    int lsq;     /* ridge least squares over every class (ls, kls) */
    unsigned cost;
} imp_gen_info;
/* The table row of a GEN. */
const imp_gen_info *imp_gen_info_of(imp_gen g);

/* Every distance, once: X(ENUM, name, for_nn, space, form, pair_cost).
 *   for_nn     accepted in nn:METRIC / mnn:M:METRIC (inner is max's score only)
 *   space      IMP_SPACE_RAW, or IMP_SPACE_WHITENED: rows centred on the proxies' mean and mapped
 *              through the Cholesky factor of their Cov + 1e-6·I first (docs/semantics.md), costing
 *              (T + P)·d² + d³
 *   form       how a distance comes out of a block (distance.c's kernels, with their bounds):
 *              IMP_FORM_GRAM_INNER/COSINE from one float32 SGEMM x·w and the squared norms,
 *              IMP_FORM_EUCLID64 from a float64 DGEMM of the rows in their space (issue 17),
 *              IMP_FORM_L1 direct
 *   pair_cost  multiply-adds per test × proxy × dim (imp_cell_cost)
 * A new metric is one row here plus, for a new form, its kernel (and a row of the cost
 * calibration, src/engine/cost_calib.h). The enum order is the table's. */
#define IMP_METRIC_MAP(X)                                                               \
    X(INNER,       "inner",       0, IMP_SPACE_RAW,      IMP_FORM_GRAM_INNER, 1.0)       \
    X(COSINE,      "cosine",      1, IMP_SPACE_RAW,      IMP_FORM_GRAM_COSINE, 1.0)      \
    X(EUCLIDEAN,   "euclidean",   1, IMP_SPACE_RAW,      IMP_FORM_EUCLID64, 1.0)         \
    X(MANHATTAN,   "manhattan",   1, IMP_SPACE_RAW,      IMP_FORM_L1, 1.0)               \
    X(MAHALANOBIS, "mahalanobis", 1, IMP_SPACE_WHITENED, IMP_FORM_EUCLID64, 1.0)

enum { IMP_SPACE_RAW = 0, IMP_SPACE_WHITENED = 1 };
enum { IMP_FORM_GRAM_INNER = 0, IMP_FORM_GRAM_COSINE, IMP_FORM_EUCLID64, IMP_FORM_L1 };

typedef enum {
#define IMP__METRIC_ENUM(e, name, nn, space, form, cost) IMP_METRIC_##e,
    IMP_METRIC_MAP(IMP__METRIC_ENUM)
#undef IMP__METRIC_ENUM
    IMP_METRIC__COUNT
} imp_metric;

typedef struct imp_metric_info {
    const char *name;
    int for_nn;
    int space; /* IMP_SPACE_* */
    int form;  /* IMP_FORM_* */
    double pair_cost;
} imp_metric_info;
/* The table row of a metric. */
const imp_metric_info *imp_metric_info_of(imp_metric m);

/* Every aggregation, once: X(ENUM, name, m, metric, weighted). Its text is the name, then
 * ":M" when m is -1, ":METRIC" when metric is -1, ":WEIGHT" when weighted (mnn:M:METRIC:WEIGHT).
 *   m         the proxies that vote: 0 none (max: the arg max of the scores), 1 the nearest,
 *             -1 the M nearest, M from the text (1 <= M <= 1000000)
 *   metric    the one metric it scores with (max: the inner product), or -1 for the METRIC of the
 *             text (a for_nn row of IMP_METRIC_MAP); imp_strategy_metric reads it
 *   weighted  1 if the text ends in a WEIGHT (IMP_WEIGHT_MAP)
 * The enum order is the table's. */
#define IMP_AGG_MAP(X)                                \
    X(MAX, "max", 0,  IMP_METRIC_INNER, 0)            \
    X(NN,  "nn",  1,  -1,               0)            \
    X(MNN, "mnn", -1, -1,               1)

typedef enum {
#define IMP__AGG_ENUM(e, name, m, metric, weighted) IMP_AGG_##e,
    IMP_AGG_MAP(IMP__AGG_ENUM)
#undef IMP__AGG_ENUM
    IMP_AGG__COUNT
} imp_agg;

typedef struct imp_agg_info {
    const char *name;
    int m;      /* 0, 1, or -1: M from the text */
    int metric; /* an imp_metric, or -1: from the text */
    int weighted;
} imp_agg_info;
/* The table row of an AGG. */
const imp_agg_info *imp_agg_info_of(imp_agg a);

/* How mnn's M neighbours vote, once: X(ENUM, name). */
#define IMP_WEIGHT_MAP(X)         \
    X(UNIFORM,  "uniform")        \
    X(DISTANCE, "distance")

typedef enum {
#define IMP__WEIGHT_ENUM(e, name) IMP_WEIGHT_##e,
    IMP_WEIGHT_MAP(IMP__WEIGHT_ENUM)
#undef IMP__WEIGHT_ENUM
    IMP_WEIGHT__COUNT
} imp_weight;

/* The value of each part that parses beside any value of every other part: a job's
 * strategy_grid list of one part is checked inside a strategy whose other parts are these
 * (job.c): none/mean/none/none/max. */
#define IMP_NORM_FILL IMP_NORM_NONE
#define IMP_GEN_FILL IMP_GEN_MEAN
#define IMP_AGG_FILL IMP_AGG_MAX

typedef struct imp_strategy {
    imp_norm pre;  /* none | l2 */
    imp_gen gen;
    imp_norm post; /* none | l2 | quantile */
    imp_norm inf;  /* none | l2 */
    imp_agg agg;
    int m;             /* neighbours: 1 for nn, M for mnn, 0 for max (the AGG's m column) */
    imp_metric metric; /* the AGG's metric where it fixes one (max: INNER); imp_strategy_metric */
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
const char *imp_agg_name(imp_agg a);
const char *imp_weight_name(imp_weight w);
/* GEN names accepted by parse ("mean", "kmeans", …); -1 if unknown. */
int imp_gen_from_name(const char *name);
/* The names of a table joined by sep, for help and error text: sep "|" gives "mean|all|…", "/"
 * "mean/all/…", " or " "mean, all, … or kls", anything else ", " ("mean, all, …"). A static
 * string per (table, filter, sep); the tables are constant, so all are built once, on first
 * use (pthread_once), and any thread may call these. */
const char *imp_gen_names(const char *sep);
const char *imp_metric_names(const char *sep); /* only the for_nn metrics */
const char *imp_norm_names(int part, const char *sep); /* the norms allowed in IMP_PART_* */
const char *imp_weight_names(const char *sep);
/* The AGG forms ("max", "nn:METRIC", "mnn:M:METRIC:WEIGHT") joined by sep as above. */
const char *imp_agg_forms(const char *sep);
/* The GENs whose fixed_k is k (k = 1: "mean", "ls"), joined by sep as above; "" if none. */
const char *imp_gen_names_fixing_k(int k, const char *sep);
/* The GENs with the lsq column set ("ls", "kls"), joined by sep as above. */
const char *imp_gen_names_lsq(const char *sep);

/* The metric a strategy's AGG scores with: the AGG's own (max: inner) or the one in its text.
 * The one place that says "max uses the inner product". */
imp_metric imp_strategy_metric(const imp_strategy *s);

/* Do cells of strategies a and b at the same k_eff (and model, task, shot, seed) use one GEN
 * computation? Yes when they share NORMpre and GEN: the proxies are a function of those and
 * of the cell's coordinates; POST, INF and AGG act on the proxies after. The plan's work
 * units, the GEN-time figure and the worker's proxy cache all group cells by this rule. */
int imp_strategy_same_gen(const imp_strategy *a, const imp_strategy *b);
/* The k a strategy gets when none is given: the GEN's fixed k, else IMP_DEFAULT_K. */
#define IMP_DEFAULT_K 20 /* the paper's */
int imp_default_k(imp_gen gen);

/* Does this GEN draw random numbers for the given shot? (random, fps, kmeans, kls always;
 * every GEN when shot != all because presampling draws.) Seed-independent cells are
 * computed once and recorded for every seed. shot < 0 means all. */
int imp_strategy_uses_seed(const imp_strategy *s, int k, int shot);

/* For a GEN that fixes k, the reason in words ("mean and ls only at k = 1"), static; else NULL. */
const char *imp_strategy_fixed_k_reason(const imp_strategy *s);

/* The reference's rule 10: NORMpre other than none needs NORMinf = NORMpre (a model trained on
 * normalised rows sees test rows normalised the same way). 1 if s keeps it. */
int imp_strategy_norms_agree(const imp_strategy *s);

/* The reference's cell-level grid rules (docs/job-file.md, "Which cells are computed") for one
 * (strategy, k, shot): returns 1 if the cell is valid, 0 if it is n/a, with a short reason in
 * *why (static string) when n/a. k = -1 means every row is a proxy; shot < 0 means all.
 * Rules that depend on the whole axis (m > 10k evaluated before mean/ls force k = 1; shot < k
 * mapping) are applied by the grid module, which knows the axes. */
int imp_strategy_cell_valid(const imp_strategy *s, int k, int shot, const char **why);

/* One row of the reference's grid through its filter pipeline (docs/job-file.md, steps 1-7),
 * in the reference's order and with its rule numbers: rule 4 (drop mnn with m > 10·k,
 * k > 0; k as listed, before rule 7), rule 7 (mean/ls → k = 1), rule 8 (drop k = -1 unless
 * all), rule 9 (all → k = -1), rule 10 (drop NORMpre other than none with NORMinf !=
 * NORMpre), rule 11 (shot f < k → k = f). Rules 1–3 are properties of our strategy text (max
 * has no m; mnn needs M >= 1 and a metric). Returns 1 and the k the row runs with in *k_eff,
 * or 0 (dropped) with a static reason in *why. k is a listed k (>= 1 or -1), shot >= 1 or -1
 * for all. The grid module removes the duplicates this creates (rule 12) and places each
 * surviving row in one cube cell. */
int imp_strategy_row(const imp_strategy *s, int64_t k, int64_t shot, int64_t *k_eff,
                     const char **why);

/* When a cell's shot or k is larger than some classes of its task: what happens then, by the
 * reference's rules (not failures), as one sentence that plan and eval print. rows[c]: the
 * training rows of class c (n_classes of them); k_eff: the k the cell runs with; shot -1 =
 * all. A shot above a class's rows uses the whole class; a k above the rows a class has (after
 * the shot) makes every such row a proxy (kls: the rows themselves). Writes the sentence
 * (without a final period; "" when neither exceeds) into buf and returns its length. */
size_t imp_class_size_note(const imp_strategy *s, int64_t k_eff, int64_t shot,
                           const size_t *rows, size_t n_classes, char *buf, size_t n);

#endif
