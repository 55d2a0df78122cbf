/* cell.c — one imprinting cell, composed from norm, proxy and infer. */
#include "imprint/cell.h"

#include <string.h>

#include "imprint/infer.h"
#include "imprint/norm.h"

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
    rc = imp_post_apply(&px, spec->strat.post, err);
    if (!rc) {
        imp_infer_result ir;
        rc = imp_infer(&px, test, &spec->strat, spec->threads, NULL, &ir, err);
        if (!rc) {
            out->accuracy = ir.accuracy;
            out->inf_seconds = ir.seconds;
            out->correct = ir.correct;
            out->total = ir.total;
        }
    }
    out->n_proxies = (int32_t)px.P;
    out->gen_seconds = px.gen_seconds;
    imp_proxies_free(&px);
    return rc;
}
