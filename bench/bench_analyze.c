/* bench_analyze.c — writes a finished cube of a job's grid (by default the paper's aggfocus
 * grid: 300,528 valid cells, 2,087 competitors, 48 voters) filled through the cube API with
 * synthetic accuracies, for timing `imprint analyze` on it; no sweep and no store needed.
 * Usage: bench_analyze [JOB.yaml=jobs/paper-aggfocus.yaml] [OUT.h5=aggfocus-bench.h5]
 * Accuracy of a cell = 60 + 20·(voter effect) + 10·(competitor effect) + 2·(seed noise), all
 * from one LCG, so the ranks have structure (some pairs differ significantly, many do not). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "imprint/cube.h"
#include "imprint/grid.h"
#include "imprint/job.h"

static uint32_t lcg(uint32_t *x)
{
    *x = 1664525u * *x + 1013904223u;
    return *x >> 8;
}

static double unit(uint32_t *x) { return (double)lcg(x) / 16777216.0; }

int main(int argc, char **argv)
{
    const char *job_path = argc > 1 ? argv[1] : "jobs/paper-aggfocus.yaml";
    const char *out_path = argc > 2 ? argv[2] : "aggfocus-bench.h5";
    imp_err err;
    imp_err_clear(&err);
    imp_job *job = NULL;
    imp_grid *g = NULL;
    imp_cube *cube = NULL;
    uint8_t *valid = NULL;
    double *comp_eff = NULL, *voter_eff = NULL;
    int rc = imp_job_load(job_path, &job, &err);
    if (!rc)
        rc = imp_grid_from_job(job, &g, &err);
    if (rc)
        goto out;
    imp_axes ax = {g->n_model, g->n_task, g->n_strategy, g->n_k, g->n_shot, g->n_seed,
                        g->model, g->task, g->strategy, g->k, g->shot, g->seed};
    size_t n_col = g->n_strategy * g->n_k * g->n_shot, n_voter = g->n_model * g->n_task;
    valid = malloc(g->n_cells);
    comp_eff = malloc(n_col * sizeof *comp_eff);
    voter_eff = malloc(n_voter * sizeof *voter_eff);
    if (!valid || !comp_eff || !voter_eff) {
        rc = imp_err_set(&err, IMP_ENOMEM, "out of memory for %zu cells", g->n_cells);
        goto out;
    }
    for (size_t c = 0; c < g->n_cells; c++)
        valid[c] = (uint8_t)imp_grid_cell_valid(g, c, NULL, NULL);
    if ((rc = imp_cube_create(&ax, valid, &cube, &err)) ||
        (rc = imp_cube_set_attrs(cube, job->text, job->store_path, g->hash, &err)))
        goto out;
    uint32_t x = 2087;
    for (size_t c = 0; c < n_col; c++)
        comp_eff[c] = unit(&x);
    for (size_t v = 0; v < n_voter; v++)
        voter_eff[v] = unit(&x);
    size_t done = 0;
    for (size_t cell = 0; cell < g->n_cells; cell++) {
        if (!valid[cell])
            continue;
        size_t idx[IMP_AX__COUNT];
        imp_axes_cell_coords(&ax, cell, idx);
        size_t v = idx[IMP_AX_MODEL] * g->n_task + idx[IMP_AX_TASK];
        size_t col = (idx[IMP_AX_STRATEGY] * g->n_k + idx[IMP_AX_K]) * g->n_shot + idx[IMP_AX_SHOT];
        imp_cell_result r = {0};
        r.cell = cell;
        r.status = IMP_CELL_DONE;
        r.accuracy = (float)(60 + 20 * voter_eff[v] + 10 * comp_eff[col] + 2 * unit(&x));
        r.gen_seconds = (float)(0.01 + comp_eff[col]);
        r.inf_seconds = 0.005f;
        r.n_proxies = 20;
        if ((rc = imp_cube_apply(cube, &r, &err)))
            goto out;
        done++;
    }
    if ((rc = imp_cube_write(cube, out_path, &err)))
        goto out;
    printf("%s: %zu cells, %zu valid and done, %zu (strategy, k, shot) columns, %zu voters\n",
           out_path, g->n_cells, done, n_col, n_voter);
out:
    if (rc)
        fprintf(stderr, "bench_analyze: %s\n", err.msg);
    imp_cube_free(cube);
    imp_grid_free(g);
    imp_job_free(job);
    free(valid);
    free(comp_eff);
    free(voter_eff);
    return rc ? 1 : 0;
}
