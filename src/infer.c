/* infer.c — NORMpost, and one cell's inference through the shared cell pipeline. */
#include "imprint/infer.h"
#include "imprint/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imprint/norm.h"
#include "imprint/pipeline.h"

int imp_post_apply(imp_proxies *px, imp_norm post, imp_err *err)
{
    if (post == IMP_NORM_L2) {
        imp_l2_rows(px->W, px->W, px->P, px->d);
        return 0;
    }
    if (post == IMP_NORM_QUANTILE) {
        for (int c = 1; c < px->n_classes; c++) {
            size_t o = px->offset[c], p = px->offset[c + 1] - o;
            int rc = imp_quantile_norm(px->W + o * px->d, p, px->d, px->W, o * px->d, err);
            if (rc)
                return rc;
        }
    }
    return 0;
}

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
