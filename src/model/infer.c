/* infer.c — one cell's inference through the shared cell pipeline. */
#include "imprint/infer.h"
#include "imprint/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imprint/norm.h"
#include "imprint/pipeline.h"

int imp_infer(const imp_proxies *px, const imp_data *test, const imp_strategy *s, int threads,
              int32_t *pred, imp_infer_result *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    double t0 = imp_clock_s();
    int32_t *pr = malloc((test->n ? test->n : 1) * sizeof *pr);
    if (!pr)
        return imp_err_set(err, IMP_ENOMEM, "inference: out of memory (%zu test rows)", test->n);
    /* px has had its NORMpost already (imp_infer's contract); the pipeline would apply it */
    imp_strategy one = *s;
    one.post = IMP_NORM_NONE;
    double secs;
    int rc = imp_pipeline_one(px, test, &one, threads, pr, &out->accuracy, &secs, err);
    if (!rc) {
        if (pred)
            memcpy(pred, pr, test->n * sizeof *pred);
        out->correct = imp_pipeline_correct(test, pr);
        out->total = test->n;
    }
    free(pr);
    out->seconds = imp_clock_s() - t0;
    return rc;
}
