/* test_determinism.c — a cell is bit-identical with 1 or 2 threads (classes in parallel,
 * OpenBLAS threads) and across processes; NORMpre fused into the mean equals normalising
 * first. */
#include "imprint/blas.h"
#include <stdlib.h>
#include <string.h>

#include "imprint/cell.h"
#include "imprint/norm.h"
#include "imprint/proxy.h"
#include "imprint/rng.h"
#include "imprint/store.h"
#include "testutil.h"

enum { C = 4, NTR = 300, NTE = 80, D = 96 };

static imp_data blobs(size_t per, uint64_t seed)
{
    imp_data X = {0};
    X.n = per * C;
    X.d = D;
    X.n_classes = C;
    X.offset = calloc(C + 1, sizeof(size_t));
    X.X = malloc(X.n * D * sizeof(float));
    imp_rng r;
    imp_rng_init(&r, seed, 0, 0, 0);
    for (int c = 0; c < C; c++) {
        X.offset[c + 1] = X.offset[c] + per;
        for (size_t i = X.offset[c]; i < X.offset[c + 1]; i++)
            for (int j = 0; j < D; j++)
                X.X[i * D + j] = (float)(imp_rng_normal(&r) + (j % C == c ? 1.5 : 0) + 0.3);
    }
    return X;
}

static const char *const strategies[] = {
    "l2/kmeans/l2/l2/max",          "none/ls/none/none/max",
    "none/kls/l2/none/mnn:5:euclidean:distance", "l2/fps/quantile/l2/nn:mahalanobis",
    "none/kmedoids/none/none/nn:manhattan",      "l2/random/l2/l2/mnn:3:cosine:uniform",
    "l2/mean/l2/l2/max", "l2/fps/quantile/l2/nn:euclidean", "l2/fps/l2/l2/nn:mahalanobis", "none/fps/none/none/nn:mahalanobis", NULL};

static void test_threads(void)
{
    imp_data tr = blobs(NTR, 1), te = blobs(NTE, 2);
    for (int s = 0; strategies[s]; s++) {
        imp_cell_spec spec = {0};
        IMP_ASSERT_INT_EQ(imp_strategy_parse(strategies[s], &spec.strat, NULL), 0);
        spec.k = spec.strat.gen == IMP_GEN_MEAN ? 1 : 5;
        spec.shot = s % 2 ? -1 : 150;
        spec.seed = 99;
        spec.task_hash = imp_hash_str("det");
        spec.lambda = 0.05;
        imp_cell_out out[2];
        for (int t = 0; t < 2; t++) {
            imp_blas_set_threads(t + 1);
            spec.threads = t + 1;
            imp_err err;
            imp_err_clear(&err);
            int rc = imp_cell_run(&tr, &te, &spec, &out[t], &err);
            imp__assert_msg(rc == 0, __LINE__, __FILE__, "%s: %s", strategies[s], err.msg);
        }
        imp__assert_msg(memcmp(&out[0].accuracy, &out[1].accuracy, sizeof(float)) == 0, __LINE__,
                        __FILE__, "%s: accuracy %.9g with 1 thread, %.9g with 2", strategies[s],
                        (double)out[0].accuracy, (double)out[1].accuracy);
        IMP_ASSERT_INT_EQ(out[0].n_proxies, out[1].n_proxies);
        /* a real classifier, not a constant: well above chance (25 %) */
        CU_ASSERT(out[0].accuracy > 50.0f);
    }
    imp_blas_set_threads(1);
    imp_data_free(&tr);
    imp_data_free(&te);
}

static void test_fused_l2_mean(void)
{
    imp_data tr = blobs(NTR, 3);
    imp_gen_params gp = {.pre = IMP_NORM_L2, .gen = IMP_GEN_MEAN, .k = 1, .shot = -1, .seed = 1,
                         .task_hash = 1, .lambda = 1, .threads = 1};
    imp_proxies a, b;
    IMP_ASSERT_INT_EQ(imp_gen_run(&tr, &gp, &a, NULL), 0);
    imp_l2_rows_noeps(tr.X, tr.n, tr.d); /* normalise first, then a plain mean */
    gp.pre = IMP_NORM_NONE;
    IMP_ASSERT_INT_EQ(imp_gen_run(&tr, &gp, &b, NULL), 0);
    IMP_ASSERT_INT_EQ(memcmp(a.W, b.W, a.P * a.d * sizeof(float)), 0);
    /* and the mean of unit rows has norm < 1 but close to it for tight classes */
    float nrm = imp_row_norm(a.W, a.d);
    CU_ASSERT(nrm < 1.0f && nrm > 0.3f);
    imp_proxies_free(&a);
    imp_proxies_free(&b);
    imp_data_free(&tr);
}

static void test_processes(void)
{
    /* two separate `imprint eval` processes on a store give the same bits */
    imp_data tr = blobs(NTR, 4), te = blobs(NTE, 5);
    int32_t *ytr = malloc(tr.n * sizeof *ytr), *yte = malloc(te.n * sizeof *yte);
    for (int c = 0; c < C; c++) {
        for (size_t i = tr.offset[c]; i < tr.offset[c + 1]; i++)
            ytr[i] = c;
        for (size_t i = te.offset[c]; i < te.offset[c + 1]; i++)
            yte[i] = c;
    }
    char store[800];
    snprintf(store, sizeof store, "%s", imp_test_path("det.h5"));
    imp_store_tx *tx;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_store_tx_begin(store, &tx, &err), 0);
    IMP_ASSERT_INT_EQ(imp_store_tx_put(tx, "m", "blobs", "train", tr.X, ytr, tr.n, D, &err), 0);
    IMP_ASSERT_INT_EQ(imp_store_tx_put(tx, "m", "blobs", "test", te.X, yte, te.n, D, &err), 0);
    IMP_ASSERT_INT_EQ(imp_store_tx_commit(tx, &err), 0);
    char *a = NULL, *b = NULL;
    const char *args = "--model m --dataset blobs --strategy l2/kmeans/l2/l2/max --k 7 --json";
    IMP_ASSERT_INT_EQ(imp_test_tool(&a, "eval --store %s %s --threads 1", store, args), 0);
    IMP_ASSERT_INT_EQ(imp_test_tool(&b, "eval --store %s %s --threads 2", store, args), 0);
    /* everything but the timings must agree */
    char *ta = a ? strstr(a, "\"gen_seconds\"") : NULL, *tb = b ? strstr(b, "\"gen_seconds\"") : NULL;
    CU_ASSERT_PTR_NOT_NULL(ta);
    CU_ASSERT_PTR_NOT_NULL(tb);
    if (ta && tb) {
        *ta = *tb = '\0';
        IMP_ASSERT_INT_EQ(strcmp(a, b), 0);
        IMP_ASSERT_STR_CONTAINS(a, "\"n_proxies\":28");
    }
    free(a), free(b), free(ytr), free(yte);
    imp_data_free(&tr);
    imp_data_free(&te);
}

int main(void)
{
    static const imp_test tests[] = {
        {"threads", test_threads},
        {"fused_l2_mean", test_fused_l2_mean},
        {"processes", test_processes},
        {NULL, NULL},
    };
    return imp_test_main("determinism", tests);
}
