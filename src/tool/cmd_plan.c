/* cmd_plan.c — `imprint plan JOB.yaml`: what a sweep would do, without running anything; with
 * --ranks, a simulated schedule; with --fit-cost, the cost model refitted to measured cubes. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "imprint/clock.h"
#include "imprint/grid.h"
#include "imprint/job.h"
#include "imprint/resume.h"
#include "imprint/sched.h"
#include "imprint/store.h"
#include "imprint/sweep.h"
#include "opts.h"
#include "toolio.h"

static void help(void)
{
    printf("usage: imprint plan JOB.yaml [--retry-failed] [--ranks N [--threads T]]\n"
           "                  [--piece-seconds S] [--dims D] [--rehash] [--json]\n"
           "       imprint plan JOB.yaml... --fit-cost\n"
           "\n"
           "Check the job against its store and print the axes and their sizes, the number of\n"
           "valid and n/a cells, the cells done / failed / pending according to the journal,\n"
           "the distinct GEN computations after sharing, the work pieces a sweep would hand\n"
           "out and an estimated cost. Computes no cell.\n"
           "\n"
           "Journal records name their cell by value, so after a change of the job plan says\n"
           "`kept K, new N, dropped D` (results kept, cells to compute, results of cells no\n"
           "longer in the grid, which stay in the journal) and `invalidated I` with the reason\n"
           "when a task definition, a model's lambda or the store content changed. It caches\n"
           "the fingerprint of every model x dataset the job uses in CUBE.h5.fingerprints\n"
           "beside the cube (the store is only read), counts shard journals not merged yet,\n"
           "and converts a version 1 journal (the original kept as .journal.v1).\n"
           "\n"
           "Without the store (not embedded yet) the job file alone is checked: the axes and the\n"
           "exact valid-cell count (the grid rules need no data) are printed, with the store\n"
           "checks that were skipped, and no cost estimate unless --dims gives one.\n"
           "\n"
           "  --ranks N          simulate the sweep on N ranks with the cost model (longest\n"
           "                     first, affinity to held data and GEN results, per-rank data\n"
           "                     loads) and print 'simulated: N ranks, makespan H:MM:SS,\n"
           "                     efficiency E%%' (efficiency = work / (N x makespan))\n"
           "  --threads T        threads per rank in the simulation (default 1)\n"
           "  --piece-seconds S  piece bound, as for sweep (default 30)\n"
           "  --retry-failed     count failed cells as to do\n"
           "  --dims D           without the store: estimate the cost for D-dimensional\n"
           "                     embeddings (5000 training and 1000 test rows per class assumed)\n"
           "  --rehash           fingerprint the store's data again instead of trusting the cache\n"
           "  --json             the same figures as one JSON object\n"
           "  --fit-cost         fit the cost model's constants to the measured seconds in the\n"
           "                     cubes of the given jobs (swept with --threads 1) and print them\n"
           "                     as src/engine/cost_calib.h (bench/refit_cost.sh does it all)\n");
}

/* Everything plan reports for one job. */
typedef struct plan_ctx {
    const char *path;
    imp_job *job;
    imp_grid *g;
    imp_cube *cube;
    imp_cost_hint *hints;
    imp_plan *all, *todo;
    imp_pieces *ps;
    int have_store;      /* the job's store exists and was checked */
    int have_cost;       /* the cost is estimated: with the store, or from --dims */
    size_t n_unresolved; /* `classes: all` tasks whose class count only the store knows */
    imp_results *res;    /* with the store: the journal read by value; owns cube */
    size_t n_shards;
    imp_cube *own_cube;  /* without the store: an empty cube of the grid */
} plan_ctx;

static void ctx_free(plan_ctx *c)
{
    imp_pieces_free(c->ps);
    imp_plan_free(c->all);
    imp_plan_free(c->todo);
    imp_results_free(c->res);
    imp_cube_free(c->own_cube);
    free(c->hints);
    imp_grid_free(c->g);
    imp_job_free(c->job);
}

/* Load the job, fill its cube from the journal by value, plan the whole grid and what is to
 * do. fp_flags: imp_store_fingerprint's; note: where the fingerprint and conversion notes go.
 * Without the store only the job file is checked: the grid (and so the valid-cell count)
 * needs no data, but journal records are matched by a key that holds the store content's
 * fingerprint, so the journal is not read; `classes: all` stays unresolved, and the cost comes
 * from dims (> 0) or is not estimated. */
static int ctx_load(plan_ctx *c, const char *path, int retry, int ranks, int threads,
                    double piece_s, long dims, int fp_flags, FILE *note, imp_err *err)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    int rc = imp_job_load(path, &c->job, err);
    if (rc)
        return rc;
    c->have_store = access(c->job->store_path, F_OK) == 0;
    if (c->have_store) {
        imp_job_free(c->job);
        c->job = NULL;
        rc = imp_sweep_setup(path, &c->job, &c->g, err);
    } else {
        rc = imp_grid_from_job(c->job, &c->g, err);
    }
    if (rc)
        return rc;
    c->have_cost = c->have_store || dims > 0;
    for (size_t t = 0; t < c->job->n_tasks; t++)
        c->n_unresolved += c->job->tasks[t].n_classes == 0;
    if (!c->have_store) {
        rc = imp_cube_from_grid(c->job, c->g, &c->own_cube, err);
        c->cube = c->own_cube;
    } else {
        rc = imp_results_open(c->job, c->g, fp_flags, 0, NULL, note, &c->res, err);
        if (!rc) {
            c->cube = c->res->cube;
            char **shards = NULL;
            rc = imp_shard_list(c->job->cube_path, &shards, &c->n_shards, err);
            imp_shard_paths_free(shards, c->n_shards);
        }
    }
    if (!rc && c->have_store) {
        rc = imp_sweep_cost_hints(c->job, c->g, &c->hints, err);
    } else if (!rc) {
        if (!(c->hints = calloc(c->g->n_model * c->g->n_task, sizeof *c->hints)))
            return imp_err_set(err, IMP_ENOMEM, "out of memory");
        for (size_t i = 0; i < c->g->n_model * c->g->n_task; i++)
            c->hints[i].dim = (double)dims; /* 0: the cost model's defaults, not printed */
    }
    if (!rc)
        rc = imp_plan_build(c->g, NULL, 0, c->hints, &c->all, err);
    if (!rc)
        rc = imp_plan_build(c->g, c->cube->status, retry, c->hints, &c->todo, err);
    imp_cost_model cm;
    imp_cost_model_default(&cm, threads);
    if (!rc) /* as the sweep cuts for that many ranks */
        rc = imp_pieces_build_for(c->g, c->todo, c->hints, &cm, piece_s, ranks, &c->ps, err);
    return rc;
}

/* Training rows per class of task t (from the job's first model: every model embeds the same
 * images) into rows[0..n_classes). Returns 0, or -1 when the store cannot say. */
static int task_class_rows(imp_store *st, const imp_job *job, size_t t, size_t *rows)
{
    const imp_task *tk = &job->tasks[t];
    memset(rows, 0, tk->n_classes * sizeof *rows);
    for (size_t d = 0; d < tk->n_datasets; d++) {
        int32_t *y = NULL;
        size_t n = 0;
        imp_err e;
        if (imp_store_labels(st, job->models[0], tk->datasets[d], "train", &y, &n, &e) != 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            int c = imp_task_class_index(tk, d, y[i]);
            if (c >= 0)
                rows[c]++;
        }
        free(y);
    }
    return 0;
}

/* "note" lines for the cells whose k or shot is larger than some classes of their task: what
 * happens then (imp_class_size_note, the words eval uses too), each distinct sentence once per
 * task, at most MAX_NOTES lines. Only with the store (it has the class sizes). */
static void print_class_notes(const plan_ctx *c, FILE *out)
{
    enum { MAX_NOTES = 12 };
    const imp_grid *g = c->g;
    imp_store *st = NULL;
    imp_err e;
    if (!c->have_store || g->n_model == 0 || imp_store_open(c->job->store_path, &st, &e) != 0)
        return;
    size_t printed = 0, more = 0;
    for (size_t t = 0; t < g->n_task; t++) {
        const imp_task *tk = &c->job->tasks[t];
        size_t *rows = malloc((tk->n_classes ? tk->n_classes : 1) * sizeof *rows);
        char seen[4][512];
        size_t n_seen = 0;
        if (!rows || !tk->n_classes || task_class_rows(st, c->job, t, rows) != 0) {
            free(rows);
            continue;
        }
        for (size_t s = 0; s < g->n_strategy; s++)
            for (size_t k = 0; k < g->n_k; k++)
                for (size_t f = 0; f < g->n_shot; f++) {
                    int64_t e_k = g->k_eff[(s * g->n_k + k) * g->n_shot + f];
                    char note[512];
                    if (e_k == IMP_GRID_KNA ||
                        !imp_class_size_note(&g->strat[s], e_k, g->shot[f], rows,
                                             tk->n_classes, note, sizeof note))
                        continue;
                    size_t i = 0;
                    while (i < n_seen && strcmp(seen[i], note) != 0)
                        i++;
                    if (i < n_seen)
                        continue;
                    if (n_seen < 4)
                        memcpy(seen[n_seen++], note, sizeof note);
                    if (printed < MAX_NOTES) {
                        fprintf(out, "note        task %s: %s (%s)\n", g->task[t], note,
                                g->strategy[s]);
                        printed++;
                    } else {
                        more++;
                    }
                }
        free(rows);
    }
    if (more)
        fprintf(out, "note        and %zu more such notes (the same rules)\n", more);
    imp_store_close(st);
}

/* One sample per done cell of the cube: its primitives (the cell's equal share of its GEN
 * group's imp_cells_cost, as the pipeline measures it) and measured seconds. Walks the plan
 * of the whole grid, whose cells are the sources (seed aliases are the same measurement). */
static int add_samples(const plan_ctx *c, imp_cost_sample **s, size_t *n, size_t *cap,
                       imp_err *err)
{
    const imp_grid *g = c->g;
    const imp_plan *pl = c->all;
    size_t cap_sp = g->n_strategy * g->n_k;
    const imp_strategy **sp = malloc((cap_sp ? cap_sp : 1) * sizeof *sp);
    if (!sp)
        return imp_err_set(err, IMP_ENOMEM, "out of memory for cost samples");
    for (size_t ui = 0; ui < pl->n_units; ui++) {
        const imp_unit *u = &pl->units[ui];
        imp_cost_hint h = c->hints[u->model * g->n_task + u->task];
        if (h.n_classes <= 0 && g->task_classes[u->task])
            h.n_classes = (double)g->task_classes[u->task];
        int64_t shot = g->shot[u->shot];
        for (size_t gi = u->first_gen; gi < u->first_gen + u->n_gens; gi++) {
            const imp_unit_gen *ge = &pl->gens[gi];
            for (size_t q = 0; q < ge->n_cells; q++)
                sp[q] = &g->strat[pl->cells[ge->first_cell + q].strategy];
            double share = ge->n_cells
                               ? imp_cells_cost(sp, ge->n_cells, ge->k_eff, shot, &h) /
                                     (double)ge->n_cells
                               : 0;
            for (size_t q = 0; q < ge->n_cells; q++) {
                size_t cell = pl->cells[ge->first_cell + q].cell;
                if (c->cube->status[cell] != IMP_CELL_DONE ||
                    !isfinite(c->cube->gen_seconds[cell]) || !isfinite(c->cube->inf_seconds[cell]))
                    continue;
                if (*n == *cap) {
                    size_t nc = *cap ? *cap * 2 : 1024;
                    imp_cost_sample *ns = realloc(*s, nc * sizeof *ns);
                    if (!ns) {
                        free(sp);
                        return imp_err_set(err, IMP_ENOMEM, "out of memory for %zu samples", nc);
                    }
                    *s = ns;
                    *cap = nc;
                }
                const imp_strategy *st = sp[q];
                imp_cost_sample *o = &(*s)[(*n)++];
                o->gen = st->gen;
                o->metric = imp_strategy_metric(st);
                o->gen_cost = imp_gen_cost(st, ge->k_eff, shot, &h);
                o->cell_cost = share;
                o->gen_seconds = c->cube->gen_seconds[cell];
                o->inf_seconds = c->cube->inf_seconds[cell];
            }
        }
    }
    free(sp);
    return 0;
}

/* rates keyed by their rows' names (sched.c looks them up by name) */
static void print_rates(const char *name, const double *r, int gens)
{
    int n = gens ? IMP_GEN__COUNT : IMP_METRIC__COUNT;
    printf("#define %s(X) \\\n", name);
    for (int i = 0; i < n; i++)
        printf("    X(\"%s\", %.4g)%s\n",
               gens ? imp_gen_name((imp_gen)i) : imp_metric_name((imp_metric)i), r[i],
               i + 1 < n ? " \\" : "");
}

static int fit_cost(char **paths, int n_paths)
{
    imp_cost_sample *s = NULL;
    size_t n = 0, cap = 0;
    imp_err err;
    imp_err_clear(&err);
    int rc = 0;
    for (int i = 0; i < n_paths && !rc; i++) {
        plan_ctx c;
        rc = ctx_load(&c, paths[i], 0, 1, 1, 30, 0, 0, stderr, &err);
        if (!rc && !c.have_store)
            rc = imp_err_set(&err, IMP_EINPUT, "%s: --fit-cost needs the store %s", paths[i],
                             c.job->store_path);
        if (!rc)
            rc = add_samples(&c, &s, &n, &cap, &err);
        ctx_free(&c);
    }
    if (!rc && n == 0)
        rc = imp_err_set(&err, IMP_EINPUT, "no done cells with timings in the jobs' cubes: "
                         "sweep them first (with --threads 1)");
    if (rc) {
        free(s);
        return imp_tool_fail(&err);
    }
    imp_cost_model m;
    imp_cost_model_default(&m, 1);
    imp_cost_fit(&m, s, n);
    char day[IMP_CLOCK_ISO_MAX];
    imp_clock_iso(day)[10] = '\0'; /* the date part */
    printf("/* cost_calib.h — the cost model's calibration constants (see sched.h), written by\n"
           " * `imprint plan --fit-cost` through bench/refit_cost.sh on %s from %zu cells of:\n",
           day, n);
    for (int i = 0; i < n_paths; i++)
        printf(" *   %s\n", paths[i]);
    printf(" * (rates: cost units per second of one thread). */\n"
           "#ifndef IMPRINT_COST_CALIB_H\n#define IMPRINT_COST_CALIB_H\n"
           "/* per GEN by name: X(name, rate), one row per row of IMP_GEN_MAP, in any order "
           "(sched.c) */\n");
    print_rates("IMP_CALIB_GEN_RATES", m.gen_rate, 1);
    printf("#define IMP_CALIB_GEN_OVERHEAD %.4g\n"
           "/* per metric by name: X(name, rate), one row per row of IMP_METRIC_MAP, in any "
           "order */\n", m.gen_overhead);
    print_rates("IMP_CALIB_CELL_RATES", m.cell_rate, 0);
    printf("#define IMP_CALIB_CELL_OVERHEAD %.4g\n#define IMP_CALIB_LOAD_RATE %.4g\n"
           "#define IMP_CALIB_LOAD_OVERHEAD %.4g\n#define IMP_CALIB_THREAD_EFF %.4g\n#endif\n",
           m.cell_overhead, m.load_rate, m.load_overhead, m.thread_eff);
    free(s);
    return 0;
}

int imp_cmd_plan(int argc, char **argv)
{
    char **paths = calloc((size_t)argc, sizeof *paths);
    int n_paths = 0, json = 0, retry = 0, fit = 0, rehash = 0;
    long ranks = 0, threads = 1, dims = 0;
    double piece_s = 30;
    if (!paths) {
        fprintf(stderr, "imprint plan: out of memory\n");
        return 1;
    }
    int code = -1;
    enum { O_JSON = 1, O_RETRY, O_FIT, O_RANKS, O_THREADS, O_DIMS, O_PIECE, O_REHASH };
    static const imp_opt opts[] = {
        {"json", 0, O_JSON},         {"retry-failed", 0, O_RETRY}, {"fit-cost", 0, O_FIT},
        {"ranks", 1, O_RANKS},       {"threads", 1, O_THREADS},    {"dims", 1, O_DIMS},
        {"piece-seconds", 1, O_PIECE}, {"rehash", 0, O_REHASH},    {NULL, 0, 0},
    };
    imp_opts op;
    imp_opts_init(&op, "plan", opts, argc, argv);
    for (int o; code < 0 && (o = imp_opts_next(&op)) != IMP_OPT_END;) {
        const char *v = op.val;
        switch (o) {
        case IMP_OPT_HELP: help(); code = 0; break;
        case IMP_OPT_ERR: code = 2; break;
        case O_JSON: json = 1; break;
        case O_RETRY: retry = 1; break;
        case O_FIT: fit = 1; break;
        case O_REHASH: rehash = 1; break;
        case O_RANKS:
        case O_THREADS:
            if (imp_parse_long(v, 1, 1000000, o == O_RANKS ? &ranks : &threads))
                code = imp_tool_usage("plan", "--%s needs a whole number >= 1", op.name);
            break;
        case O_DIMS:
            if (imp_parse_long(v, 1, 1000000, &dims))
                code = imp_tool_usage("plan", "--dims: expected an embedding dimension 1..1000000");
            break;
        case O_PIECE:
            if (imp_parse_double(v, &piece_s) || piece_s <= 0)
                code = imp_tool_usage("plan", "--piece-seconds needs seconds > 0");
            break;
        case IMP_OPT_ARG: paths[n_paths++] = (char *)v; break;
        }
    }
    if (code < 0 && n_paths == 0)
        code = imp_tool_usage("plan", "which job? imprint plan JOB.yaml");
    if (code < 0 && n_paths > 1 && !fit)
        code = imp_tool_usage("plan", "one job file at a time");
    if (code < 0 && fit)
        code = fit_cost(paths, n_paths);
    if (code >= 0) {
        free(paths);
        return code;
    }
    const char *path = paths[0];
    free(paths);
    imp_err err;
    imp_err_clear(&err);
    plan_ctx c;
    int rc = ctx_load(&c, path, retry, ranks > 0 ? (int)ranks : 1, (int)threads, piece_s, dims,
                      IMP_FP_WRITE_CACHE | (rehash ? IMP_FP_REHASH : 0), json ? stderr : stdout,
                      &err);
    imp_sim_result sim = {0};
    if (!rc && ranks > 0 && c.have_cost)
        rc = imp_sched_simulate(c.ps, (int)ranks, &sim, &err);
    if (rc) {
        ctx_free(&c);
        return imp_tool_fail(&err);
    }
    const imp_grid *g = c.g;
    size_t counts[IMP_CELL__NSTATUS];
    imp_cube_count(c.cube, counts);
    const imp_results *res = c.res;
    size_t inv = res ? res->report.invalidated_cells : 0;
    size_t fresh_cells = counts[IMP_CELL_PENDING] > inv ? counts[IMP_CELL_PENDING] - inv : 0;
    char ms[32], work[32];
    imp_fmt_hms(sim.makespan, ms, sizeof ms);
    imp_fmt_hms(c.ps->work, work, sizeof work);
    if (json) {
        char example[8192]; /* the notes of the text form, on stderr beside the JSON */
        if (imp_tool_installed_example(path, example, sizeof example))
            fprintf(stderr, "note        %s\n", example);
        print_class_notes(&c, stderr);
        cJSON *o = cJSON_CreateObject();
        char hash[24];
        snprintf(hash, sizeof hash, "%016llx", (unsigned long long)g->hash);
        cJSON_AddStringToObject(o, "job", path);
        cJSON_AddNumberToObject(o, "cells", (double)g->n_cells);
        cJSON_AddNumberToObject(o, "valid_cells", (double)g->n_valid);
        cJSON_AddNumberToObject(o, "na_cells", (double)g->n_na);
        static const int shown[] = {IMP_CELL_DONE, IMP_CELL_FAILED, IMP_CELL_PENDING};
        for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
            cJSON_AddNumberToObject(o, imp_cube_status_name(shown[i]), (double)counts[shown[i]]);
        for (int ax = 0; ax < IMP_AX__COUNT; ax++) /* axis lengths under their job keys */
            cJSON_AddNumberToObject(o, imp_axis_info_of(ax)->key,
                                    (double)imp_axis_len(&g->axes, ax));
        cJSON_AddNumberToObject(o, "gen_computations", (double)c.all->n_gens);
        cJSON_AddNumberToObject(o, "gen_computations_todo", (double)c.todo->n_gens);
        cJSON_AddNumberToObject(o, "units_todo", (double)c.todo->n_units);
        cJSON_AddNumberToObject(o, "pieces_todo", (double)c.ps->n);
        cJSON_AddNumberToObject(o, "piece_seconds", c.ps->bound);
        cJSON_AddNumberToObject(o, "cells_todo", (double)c.todo->n_todo);
        if (c.have_cost) {
            cJSON_AddNumberToObject(o, "cost", c.todo->total_cost);
            cJSON_AddNumberToObject(o, "estimated_rank_seconds", c.ps->work);
        } else {
            cJSON_AddNullToObject(o, "cost");
            cJSON_AddNullToObject(o, "estimated_rank_seconds");
        }
        if (ranks > 0 && c.have_cost) {
            cJSON *sj = cJSON_AddObjectToObject(o, "simulated");
            cJSON_AddNumberToObject(sj, "ranks", (double)ranks);
            cJSON_AddNumberToObject(sj, "threads", (double)threads);
            cJSON_AddNumberToObject(sj, "makespan_seconds", sim.makespan);
            cJSON_AddNumberToObject(sj, "work_seconds", sim.work);
            cJSON_AddNumberToObject(sj, "busy_seconds", sim.busy);
            cJSON_AddNumberToObject(sj, "efficiency", sim.efficiency);
            cJSON_AddNumberToObject(sj, "longest_piece_seconds", sim.longest);
        }
        cJSON_AddStringToObject(o, "grid_hash", hash);
        if (res) {
            snprintf(hash, sizeof hash, "%016llx",
                     (unsigned long long)imp_cellkeys_grid_id(res->keys));
            cJSON_AddStringToObject(o, "grid_id", hash);
            cJSON_AddNumberToObject(o, "kept", (double)res->kept);
            cJSON_AddNumberToObject(o, "new", (double)fresh_cells);
            cJSON_AddNumberToObject(o, "dropped", (double)res->report.dropped);
            cJSON_AddNumberToObject(o, "invalidated", (double)inv);
        } else {
            cJSON_AddNullToObject(o, "kept");
            cJSON_AddNumberToObject(o, "new", (double)counts[IMP_CELL_PENDING]);
            cJSON_AddNullToObject(o, "dropped");
            cJSON_AddNullToObject(o, "invalidated");
        }
        cJSON_AddNumberToObject(o, "shard_journals", (double)c.n_shards);
        cJSON_AddBoolToObject(o, "store_checked", c.have_store);
        cJSON_AddBoolToObject(o, "cost_estimated", c.have_cost);
        char *text = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!text) {
            ctx_free(&c);
            fprintf(stderr, "imprint plan: out of memory writing the JSON\n");
            return 1;
        }
        printf("%s\n", text);
        free(text);
    } else {
        printf("job         %s\nstore       %s%s\ncube        %s\n", path, c.job->store_path,
               c.have_store ? "" : " (not found: checked the job file alone)", c.job->cube_path);
        char example[8192];
        if (imp_tool_installed_example(path, example, sizeof example))
            printf("note        %s\n", example);
        if (!c.have_store) {
            printf("skipped     the store checks: models and datasets present, classes and remap "
                   "keys among the training labels\n");
            if (c.n_unresolved)
                printf("skipped     the class count of %zu `classes: all` task%s (the store "
                       "has the labels; the cell counts do not depend on it)\n",
                       c.n_unresolved, c.n_unresolved == 1 ? "" : "s");
        }
        printf("axes        ");
        for (int ax = 0; ax < IMP_AX__COUNT; ax++)
            printf("%s%zu %s", ax ? " x " : "", imp_axis_len(&g->axes, ax),
                   imp_axis_info_of(ax)->key);
        printf(" = %zu cells\n", g->n_cells);
        printf("valid cells: %zu\n", g->n_valid);
        printf("n/a cells:   %zu (excluded by the reference's grid rules)\n", g->n_na);
        print_class_notes(&c, stdout);
        if (!res) {
            printf("journal     not read (its records name cells by the store content's "
                   "fingerprint)\n");
        } else {
            if (!res->info.exists)
                printf("journal     none yet\n");
            else
                printf("journal     %llu records%s\n", (unsigned long long)res->info.n_records,
                       res->converted_v1 ? " (converted from version 1)" : "");
            imp_results_print_summary(res, stdout, "results     ");
            if (c.n_shards)
                printf("shards      %zu shard journal%s beside the cube: `imprint merge %s`\n",
                       c.n_shards, c.n_shards == 1 ? "" : "s", path);
            size_t nfp, cached;
            double fps;
            imp_cellkeys_fp_stats(res->keys, &nfp, &cached, &fps);
            printf("store       %zu model x dataset fingerprint%s (%zu cached, %.2f s)\n", nfp,
                   nfp == 1 ? "" : "s", cached, fps);
        }
        printf("done        %zu\nfailed      %zu%s\npending     %zu\n", counts[IMP_CELL_DONE],
               counts[IMP_CELL_FAILED], retry ? " (will be retried)" : "",
               counts[IMP_CELL_PENDING]);
        printf("GEN         %zu distinct computations for the whole grid after sharing; %zu still "
               "to do in %zu units (%zu cells)\n",
               c.all->n_gens, c.todo->n_gens, c.todo->n_units, c.todo->n_todo);
        if (c.have_cost) {
            printf("pieces      %zu of <= %.3g s each (estimated, cut for %ld rank%s)\n", c.ps->n,
                   c.ps->bound, ranks > 0 ? ranks : 1, ranks > 1 ? "s" : "");
            printf("cost        %.3g multiply-adds, estimated %s of one rank x %ld thread%s "
                   "(%.1f rank-hours)%s\n",
                   c.todo->total_cost, work, threads, threads == 1 ? "" : "s", c.ps->work / 3600,
                   c.have_store ? "" : " for --dims embeddings, 5000 rows per class");
            if (ranks > 0)
                printf("simulated: %ld ranks, makespan %s, efficiency %.1f%%\n", ranks, ms,
                       100 * sim.efficiency);
        } else {
            printf("cost        not estimated without the store (--dims D estimates it for "
                   "D-dimensional embeddings)\n");
        }
    }
    ctx_free(&c);
    return 0;
}
