/* sched.h — the sweep's schedule: the calibrated cost model in seconds, a plan cut into pieces
 * of bounded estimated cost, the pick rule (longest first, affinity to a rank's held data and
 * GEN results) and a simulator of a whole run. Pure functions: no MPI, no files. */
#ifndef IMPRINT_SCHED_H
#define IMPRINT_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/grid.h"
#include "imprint/plan.h"
#include "imprint/piece.h"
#include "imprint/strategy.h"

/* Seconds from the cost primitives (imp_gen_cost, imp_cells_cost, multiply-add counts):
 *   GEN   = gen_overhead + imp_gen_cost / gen_rate[gen]
 *   cell  = cell_overhead + share / cell_rate[metric]             (max: IMP_METRIC_INNER)
 *           share = imp_cells_cost(the n cells of its GEN group) / n
 *   load  = load_overhead + (train + test bytes) / load_rate        per (model, task) per rank
 * The cells of one GEN group (one proxy set of a unit) share their distances and selection
 * in the cell pipeline, so a group is priced as a whole and every cell pays an equal share
 * of it, as the pipeline measures it (inf_seconds = the group's time / n). A slice of a group
 * cut into pieces pays the sum of its cells' shares: its part of the shared distance work,
 * not the whole of it (imp_cell_cost alone would charge every cell its own distances).
 * rates in cost units per second of one thread; a rank of T threads runs
 * 1 + (T - 1) * thread_eff times faster. The defaults are fitted by bench/refit_cost.sh
 * (src/engine/cost_calib.h); see the README's sweep section. */
typedef struct imp_cost_model {
    double gen_rate[IMP_GEN__COUNT];
    double gen_overhead;
    double cell_rate[IMP_METRIC__COUNT];
    double cell_overhead;
    double load_rate, load_overhead;
    double thread_eff;
    int threads;
} imp_cost_model;

void imp_cost_model_default(imp_cost_model *m, int threads);
/* A calibrated rate and the name of its GEN or metric row (src/engine/cost_calib.h). */
typedef struct imp_cost_rate {
    const char *name;
    double rate;
} imp_cost_rate;
/* rates[i] = the rate of rows named like GEN row i (gens = 1) or metric row i (gens = 0): the
 * calibration is keyed by name, so a row inserted mid-table shifts nothing. Returns how many
 * table rows have no named rate (theirs are left as they were). */
int imp_cost_rates_by_name(const imp_cost_rate *rows, size_t n, int gens, double *rates);
double imp_cost_gen_seconds(const imp_cost_model *m, const imp_strategy *s, int64_t k_eff,
                            int64_t shot, const imp_cost_hint *h);
/* seconds[i] for each of the n cells of one GEN group (one proxy set, k_eff): the rule above */
void imp_cost_group_seconds(const imp_cost_model *m, const imp_strategy *const *cells,
                            size_t n, int64_t k_eff, int64_t shot, const imp_cost_hint *h,
                            double *seconds);
double imp_cost_load_seconds(const imp_cost_model *m, const imp_cost_hint *h);

/* One measured cell for fitting: its GEN and metric, the cost primitives and the measured
 * gen_seconds / inf_seconds of the cube (one thread). */
typedef struct imp_cost_sample {
    imp_gen gen;
    imp_metric metric;
    double gen_cost, cell_cost; /* cell_cost: its share of its GEN group (see above) */
    double gen_seconds, inf_seconds;
} imp_cost_sample;

/* Fit m's rates and overheads to samples by least squares per GEN and per metric (overheads
 * shared, clamped >= 0); a GEN or metric without samples keeps its current rate. */
void imp_cost_fit(imp_cost_model *m, const imp_cost_sample *s, size_t n);

/* ---- pieces ---------------------------------------------------------------------------- */

/* The plan cut into pieces. Cutting (per unit, GEN groups in plan order): whole GEN groups
 * are packed into one piece while its estimate stays <= bound; a group whose estimate
 * exceeds the bound is cut into slices of its cells, each slice <= the bound including the
 * group's GEN (which a rank holding the group's proxies skips), and never below one cell.
 * A piece never spans two units. pieces are sorted longest first (estimate descending, ties
 * in plan order); id = position. Owns every array. */
typedef struct imp_pieces {
    size_t n;
    imp_piece *p;
    imp_piece_group *groups; /* flat arrays the pieces point into */
    imp_piece_cell *cells;
    size_t n_gen_ids;        /* gen_id < n_gen_ids (= the plan's n_gens) */
    double *gen_seconds;     /* [n_gen_ids] GEN estimate per gen_id */
    size_t n_mt;             /* n_model * n_task */
    double *load_seconds;    /* [n_mt] per (model, task): index model * n_task + task */
    size_t n_task;
    double bound;            /* the cut's bound, seconds */
    double work;             /* Σ cells + Σ distinct GENs, seconds (no loads) */
} imp_pieces;

/* Cut plan (built over g with hints) into pieces of at most bound seconds under m.
 * *out: free with imp_pieces_free. IMP_ENOMEM. */
int imp_pieces_build(const imp_grid *g, const imp_plan *plan, const imp_cost_hint *hints,
                     const imp_cost_model *m, double bound, imp_pieces **out, imp_err *err);
void imp_pieces_free(imp_pieces *ps);
/* The cut a run of `ranks` ranks uses: imp_pieces_build with bound max_seconds, lowered (and
 * the plan cut again, at most 8 times) until every rank gets at least
 * IMP_SCHED_PIECES_PER_RANK pieces, but never below IMP_SCHED_MIN_PIECE seconds (or
 * max_seconds if that is smaller). Pieces above the bound (one dear GEN kept whole, one long
 * cell) are why one proportional step may not be enough. */
enum { IMP_SCHED_PIECES_PER_RANK = 8 };
#define IMP_SCHED_MIN_PIECE 2.0
int imp_pieces_build_for(const imp_grid *g, const imp_plan *plan, const imp_cost_hint *hints,
                         const imp_cost_model *m, double max_seconds, int ranks,
                         imp_pieces **out, imp_err *err);
/* A set of n empty pieces with room for n_groups groups and n_cells cells (for callers
 * that cut their own, e.g. tests): every count zero, arrays zeroed. */
int imp_pieces_alloc(size_t n, size_t n_groups, size_t n_cells, size_t n_gen_ids, size_t n_mt,
                     imp_pieces **out, imp_err *err);

/* ---- the pick rule, shared by the sweep and the simulator ------------------------------ */

enum { IMP_SCHED_HELD_GENS = 4 }; /* GEN results a rank is assumed to hold (its LRU) */

typedef struct imp_sched imp_sched;

/* Dynamic state over ps (borrowed) for n_ranks ranks: every piece free, every rank holding
 * nothing. Free with imp_sched_free. */
int imp_sched_create(const imp_pieces *ps, int n_ranks, imp_sched **out, imp_err *err);
void imp_sched_free(imp_sched *s);
/* Take the next piece for rank: among the free pieces near the front of the longest-first
 * order, prefer one whose GEN this rank holds, then one on the (model, task) it holds, and
 * avoid one whose GEN another rank holds; else the longest free piece. Marks it taken,
 * updates what the rank holds, and returns its index with *seconds its estimate on this
 * rank (load and GEN skipped when held). -1 when no piece is free. */
long imp_sched_pick(imp_sched *s, int rank, double *seconds);
/* Put a taken piece back (its rank stopped before finishing it). */
void imp_sched_unpick(imp_sched *s, size_t piece);
size_t imp_sched_free_count(const imp_sched *s);

/* ---- simulation ------------------------------------------------------------------------ */

typedef struct imp_sim_result {
    int ranks;
    double makespan;   /* seconds until the last rank finishes */
    double work;       /* ps->work: the grid's own seconds (cells + each GEN once) */
    double busy;       /* Σ over ranks of busy seconds (loads and repeated GENs included) */
    double efficiency; /* work / (ranks * makespan); 1 for an empty plan */
    double longest;    /* the longest piece's estimate: a floor of the makespan */
    size_t pieces;
} imp_sim_result;

/* Simulate a sweep of ps on n_ranks ranks: each rank, when it becomes free (earliest first,
 * lower rank on ties), takes imp_sched_pick and is busy for its estimate. */
int imp_sched_simulate(const imp_pieces *ps, int n_ranks, imp_sim_result *out, imp_err *err);

/* "H:MM:SS" of seconds into buf ("?" when not finite or negative); returns buf. */
const char *imp_fmt_hms(double seconds, char *buf, size_t n);

#endif
