/* job.h — the job file (docs/job-file.md): parsing and validating the YAML that names a
 * sweep's store, cube and axes, and checking it against an embedding store at plan time. */
#ifndef IMPRINT_JOB_H
#define IMPRINT_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/axis.h"
#include "imprint/err.h"
#include "imprint/strategy.h"

/* Where a value stands in the job file: 1-based line and column (libyaml's marks + 1), so an
 * error message reads "jobs/demo.yaml: line 12, column 5: ...". */
typedef struct imp_job_pos {
    int line, col;
} imp_job_pos;

/* Label offset of the i-th dataset of a concatenated task: raw label y of datasets[i] becomes
 * y + IMP_TASK_LABEL_OFFSET * i before remap and classes are applied (the reference's
 * `runner.py::get_data`; it adds the number of distinct labels of each dataset,
 * which is 10 for every dataset it concatenates). imp_job_check_store refuses a
 * concatenated task whose datasets have labels outside 0..9, so offsets never collide. */
#define IMP_TASK_LABEL_OFFSET 10

/* A task: one dataset or several concatenated, restricted to classes, optionally remapped.
 * Invariants after imp_job_parse: n_datasets >= 1; classes are distinct, >= 0; if
 * classes_all is 0 there are >= 2 classes; with a remap every class is a remap value and,
 * for `classes: all`, classes are the sorted distinct remap values. Without a remap,
 * `classes: all` leaves n_classes = 0 until imp_job_check_store fills the sorted distinct
 * labels found in the store. Class index = position in classes. */
typedef struct imp_task {
    char *name;
    imp_job_pos pos; /* the task's mapping */
    size_t n_datasets;
    char **datasets;
    imp_job_pos *dataset_pos;
    int classes_all;      /* `classes: all` (or classes omitted) */
    imp_job_pos classes_pos;
    size_t n_classes;     /* 0 while `all` is unresolved */
    int32_t *classes;     /* labels after offset and remap */
    imp_job_pos *class_pos; /* per class; the `classes` node for resolved `all` */
    size_t n_remap;       /* 0: no remap (labels map to themselves) */
    int32_t *remap_from;  /* raw label + offset, distinct */
    int32_t *remap_to;
    imp_job_pos *remap_pos;
} imp_task;

/* A parsed job. Every string and array is owned by the job (imp_job_free). Axis lists are
 * in job order, non-empty and free of duplicates. */
typedef struct imp_job {
    char *name;       /* file name used in messages (the path given to imp_job_load) */
    char *text;       /* the YAML text as read (the cube's `job` attribute) */
    char *store;      /* as written in the job */
    char *cube;
    char *store_path; /* resolved against the job file's directory (unchanged if absolute) */
    char *cube_path;
    imp_job_pos store_pos, cube_pos;

    size_t n_models;
    char **models;
    imp_job_pos *model_pos;

    size_t n_tasks;
    imp_task *tasks;

    /* `strategies` (in order) followed by every `strategy_grid` product in order (pre, gen,
     * post, inf, agg nested, agg fastest), as canonical text. Grid products with NORMpre
     * other than none and NORMinf != NORMpre are dropped (reference rule 10); a grid product
     * equal to an earlier strategy is kept once, at its first position. */
    size_t n_strategies;
    char **strategies;
    imp_strategy *strats;
    imp_job_pos *strategy_pos; /* the list item, or the strategy_grid mapping it came from */

    size_t n_ks;
    int64_t *ks; /* >= 1 or -1 */
    imp_job_pos *k_pos;
    size_t n_shots;
    int64_t *shots; /* >= 1, or -1 for `all`; default [all] when the key is absent */
    imp_job_pos *shot_pos;
    size_t n_seeds;
    int64_t *seeds; /* >= 0 */
    imp_job_pos *seed_pos;

    size_t n_lambda; /* per-model weight-decay overrides for ls/kls */
    char **lambda_model;
    double *lambda; /* > 0, finite */
    imp_job_pos *lambda_pos;
} imp_job;

/* Read and parse a job file. Relative store/cube paths are resolved against the file's
 * directory. Returns 0 and *out (free with imp_job_free), IMP_EIO if the file cannot be read,
 * or IMP_EINPUT with "FILE: line L, column C: what was wrong" for: malformed YAML (libyaml's
 * problem text), unknown or duplicate keys, missing required keys (store, cube, models,
 * tasks, strategies or strategy_grid, ks, seeds), unknown strategy parts, empty axes,
 * duplicate axis values (after canonicalisation), k = 0 or k < -1, shot < 1, seed < 0, a task
 * with fewer than 2 classes, λ <= 0 or for a model not in models, a strategy whose GEN runs
 * at a k the ks axis lacks (mean/ls need 1, all needs -1). */
int imp_job_load(const char *path, imp_job **out, imp_err *err);
/* Parse job text (len bytes, need not be NUL-terminated); name is used in messages,
 * base_dir (may be NULL: paths stay as written) resolves relative store/cube paths. */
int imp_job_parse(const char *text, size_t len, const char *name, const char *base_dir,
                  imp_job **out, imp_err *err);
void imp_job_free(imp_job *job);

/* The job's axes as an axes view (axis.h), in table order: the job's own arrays, borrowed,
 * except view->task, an array of the task names that the caller frees (free(view->task)).
 * Returns 0, or IMP_ENOMEM. Where a new axis's list in the job meets the grid. */
int imp_job_axes(const imp_job *job, imp_axes *view, imp_err *err);

/* The λ override of a model: 1 and *out if the job sets one, else 0. */
int imp_job_lambda(const imp_job *job, const char *model, double *out);
/* Index of the task named name, or -1. */
int imp_job_task_index(const imp_job *job, const char *name);

/* Class index (position in t->classes) of a raw label of datasets[dataset_index]: offset,
 * then remap (labels the remap lacks belong to no class), then position. -1 if the row belongs
 * to no class of the task. Needs resolved classes (n_classes > 0). */
int imp_task_class_index(const imp_task *t, size_t dataset_index, int32_t raw_label);

/* What the job check needs from an embedding store, without depending on the store module.
 * Callbacks return negative IMP_E* codes and fill err on failure. */
typedef struct imp_store_view {
    void *ctx;
    /* 1 if the store has /<model>, 0 if not. */
    int (*has_model)(void *ctx, const char *model, imp_err *err);
    /* The distinct labels of /<model>/<dataset>/train/y, ascending, in *labels (allocated with
     * malloc; imp_job_check_store frees it with free()) and *n. IMP_ENOTFOUND if the store
     * has no such dataset for the model. */
    int (*labels)(void *ctx, const char *model, const char *dataset, int32_t **labels,
                  size_t *n, imp_err *err);
} imp_store_view;

/* Check the job against a store: every model exists; every dataset of every task exists for
 * every model; a concatenated task's datasets have labels in 0..9; every class (and every
 * remap key) occurs in the task's training labels. Fills the classes of `classes: all` tasks
 * without a remap (from the first model; the others must have them too). Errors name the
 * job file and the line of the model, dataset, class or remap entry; IMP_EINPUT, or the
 * callback's code for store failures. */
int imp_job_check_store(imp_job *job, const imp_store_view *sv, imp_err *err);

#endif
