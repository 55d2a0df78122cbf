/* cell.c — one imprinting cell: GEN, then the cell pipeline. */
#include "imprint/cell.h"

#include <stdlib.h>
#include <string.h>

#include "imprint/pipeline.h"

int imp_cell_run(const imp_data *train, const imp_data *test, const imp_cell_spec *spec,
                 imp_cell_out *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    imp_gen_params gp = {
        .pre = spec->strat.pre,
        .gen = spec->strat.gen,
        .k = spec->k,
        .shot = spec->shot,
        .seed = spec->seed,
        .task_hash = spec->task_hash,
        .lambda = spec->lambda,
        .threads = spec->threads,
    };
    imp_proxies px;
    int rc = imp_gen_run(train, &gp, &px, err);
    if (rc)
        return rc;
    int32_t *pred = malloc((test->n ? test->n : 1) * sizeof *pred);
    if (!pred) {
        imp_proxies_free(&px);
        return imp_err_set(err, IMP_ENOMEM, "out of memory (%zu test rows)", test->n);
    }
    rc = imp_pipeline_one(&px, test, &spec->strat, spec->threads, pred, &out->accuracy,
                          &out->inf_seconds, err);
    if (!rc) {
        out->correct = imp_pipeline_correct(test, pred);
        out->total = test->n;
        out->f1 = (float)imp_pipeline_macro_f1(test, pred);
    }
    out->n_proxies = (int32_t)px.P;
    out->gen_seconds = px.gen_seconds;
    free(pred);
    imp_proxies_free(&px);
    return rc;
}
