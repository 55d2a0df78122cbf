/* cmd_plan.c — `imprint plan JOB.yaml`: what a sweep would do, without running anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "imprint/sweep.h"

static void help(void)
{
    printf("usage: imprint plan JOB.yaml [--retry-failed] [--json]\n"
           "\n"
           "Check the job against its store and print the axes and their sizes, the number of\n"
           "valid and n/a cells, the cells done / failed / pending according to the journal,\n"
           "the distinct GEN computations after sharing, and an estimated cost. Runs nothing.\n");
}

int imp_cmd_plan(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0, retry = 0;
    for (int i = 1; i < argc; i++) {
        if (imp_is_help(argv[i])) {
            help();
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "--retry-failed") == 0)
            retry = 1;
        else if (argv[i][0] == '-')
            return imp_tool_usage("plan", "unknown option '%s'", argv[i]);
        else if (path)
            return imp_tool_usage("plan", "one job file at a time");
        else
            path = argv[i];
    }
    if (!path)
        return imp_tool_usage("plan", "which job? imprint plan JOB.yaml");
    imp_err err;
    imp_err_clear(&err);
    imp_job *job;
    imp_grid *g;
    int rc = imp_sweep_setup(path, &job, &g, &err);
    if (rc)
        return imp_tool_fail(&err);
    imp_cube *cube = NULL;
    imp_plan *all = NULL, *todo = NULL;
    imp_cost_hint *hints = NULL;
    char journal[4200];
    snprintf(journal, sizeof journal, "%s.journal", job->cube_path);
    const char *jstate = "none yet";
    rc = imp_sweep_new_cube(job, g, &cube, &err);
    if (!rc && access(journal, F_OK) == 0) {
        imp_journal_info info;
        imp_err jerr;
        if (imp_cube_apply_journal(cube, journal, &info, &jerr) == 0) {
            jstate = "read";
        } else if (info.grid_mismatch) {
            jstate = "from another grid: sweep refuses it unless --fresh (which discards it)";
            imp_cube_free(cube);
            cube = NULL;
            rc = imp_sweep_new_cube(job, g, &cube, &err);
        } else {
            fprintf(stderr, "imprint: %s\n", jerr.msg);
            rc = jerr.code;
            err = jerr;
        }
    }
    imp_sweep_cost_hints(job, g, &hints);
    if (!rc)
        rc = imp_plan_build(g, NULL, 0, hints, &all, &err);
    if (!rc)
        rc = imp_plan_build(g, cube->status, retry, hints, &todo, &err);
    if (rc) {
        imp_cube_free(cube);
        imp_plan_free(all);
        free(hints);
        imp_grid_free(g);
        imp_job_free(job);
        return imp_tool_fail(&err);
    }
    size_t counts[IMP_CELL__NSTATUS];
    imp_cube_count(cube, counts);
    /* cost units are multiply-adds; ~5 GFMA/s per core is typical of these kernels here */
    double core_s = todo->total_cost / 5e9;
    if (json) {
        printf("{\"job\": \"%s\", \"cells\": %zu, \"valid_cells\": %zu, \"na_cells\": %zu, "
               "\"done\": %zu, \"failed\": %zu, \"pending\": %zu, \"models\": %zu, \"tasks\": %zu, "
               "\"strategies\": %zu, \"ks\": %zu, \"shots\": %zu, \"seeds\": %zu, "
               "\"gen_computations\": %zu, \"gen_computations_todo\": %zu, \"units_todo\": %zu, "
               "\"cells_todo\": %zu, \"cost\": %.6g, \"estimated_core_seconds\": %.1f, "
               "\"grid_hash\": \"%016llx\"}\n",
               path, g->n_cells, g->n_valid, g->n_na, counts[IMP_CELL_DONE],
               counts[IMP_CELL_FAILED], counts[IMP_CELL_PENDING], g->n_model, g->n_task,
               g->n_strategy, g->n_k, g->n_shot, g->n_seed, all->n_gens, todo->n_gens,
               todo->n_units, todo->n_todo, todo->total_cost, core_s,
               (unsigned long long)g->hash);
    } else {
        printf("job         %s\nstore       %s\ncube        %s\n", path, job->store_path,
               job->cube_path);
        printf("axes        %zu models x %zu tasks x %zu strategies x %zu ks x %zu shots x %zu "
               "seeds = %zu cells\n",
               g->n_model, g->n_task, g->n_strategy, g->n_k, g->n_shot, g->n_seed, g->n_cells);
        printf("valid cells: %zu\n", g->n_valid);
        printf("n/a cells:   %zu (excluded by the reference's grid rules)\n", g->n_na);
        printf("journal     %s\n", jstate);
        printf("done        %zu\nfailed      %zu%s\npending     %zu\n", counts[IMP_CELL_DONE],
               counts[IMP_CELL_FAILED], retry ? " (will be retried)" : "",
               counts[IMP_CELL_PENDING]);
        printf("GEN         %zu distinct computations for the whole grid after sharing; %zu still "
               "to do in %zu units (%zu cells)\n",
               all->n_gens, todo->n_gens, todo->n_units, todo->n_todo);
        printf("cost        %.3g multiply-adds, roughly %.0f core-seconds (%.1f core-hours)\n",
               todo->total_cost, core_s, core_s / 3600);
    }
    imp_cube_free(cube);
    imp_plan_free(all);
    imp_plan_free(todo);
    free(hints);
    imp_grid_free(g);
    imp_job_free(job);
    return 0;
}
