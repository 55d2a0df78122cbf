/* predict.c — imprint's per-row predictions for tests/ref/oracle_distances.py: GEN once from a
 * store, then every given strategy through the cell pipeline; proxies, test rows and
 * predictions written raw so that a float64 oracle can recompute every decision.
 * usage: imp_ref_predict STORE MODEL DATASET SHOT OUT STRATEGY...   (one PRE/GEN for all;
 * k is the GEN's default: 1 for mean and ls, -1 for all; IMP_REF_TEST_EVERY=N: every N-th
 * test row of each class only)
 * OUT: imp_test_write_predictions's format (tests/util/testutil.h). Exit 0, or 2 with the
 * message on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/cell.h"
#include "imprint/rng.h"
#include "imprint/pipeline.h"
#include "imprint/proxy.h"
#include "imprint/store.h"
#include "imprint/strategy.h"
#include "testutil.h"

static int die(const char *what, const char *msg)
{
    fprintf(stderr, "imp_ref_predict: %s: %s\n", what, msg);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 7)
        return die("usage", "STORE MODEL DATASET SHOT OUT STRATEGY...");
    const char *store = argv[1], *model = argv[2], *dataset = argv[3], *out = argv[5];
    int shot = strcmp(argv[4], "all") ? atoi(argv[4]) : -1;
    size_t S = (size_t)argc - 6;
    imp_strategy *st = calloc(S, sizeof *st);
    const imp_strategy **cells = calloc(S, sizeof *cells);
    imp_err err;
    imp_err_clear(&err);
    for (size_t i = 0; i < S; i++) {
        if (imp_strategy_parse(argv[6 + i], &st[i], &err))
            return die(argv[6 + i], err.msg);
        if (st[i].pre != st[0].pre || st[i].gen != st[0].gen)
            return die(argv[6 + i], "every strategy must share the first one's PRE and GEN");
        cells[i] = &st[i];
    }
    imp_store *s;
    if (imp_store_open(store, &s, &err))
        return die(store, err.msg);
    int32_t *labels;
    size_t C;
    if (imp_store_distinct_labels(s, model, dataset, "train", &labels, &C, &err))
        return die(store, err.msg);
    int32_t *cls = malloc(C * sizeof *cls);
    for (size_t c = 0; c < C; c++)
        cls[c] = (int32_t)c;
    imp_classmap map = {C, labels, cls, (int)C};
    imp_data train = {0}, test = {0};
    if (imp_store_load(s, model, dataset, "train", &map, &train, &err) ||
        imp_store_load(s, model, dataset, "test", &map, &test, &err))
        return die(store, err.msg);
    /* IMP_REF_TEST_EVERY=N keeps every N-th test row of each class (a cheaper oracle run) */
    const char *ev = getenv("IMP_REF_TEST_EVERY");
    size_t every = ev && atoi(ev) > 1 ? (size_t)atoi(ev) : 1, kept = 0;
    for (int c = 0; every > 1 && c < test.n_classes; c++) {
        size_t o = test.offset[c];
        test.offset[c] = kept;
        for (size_t r = o; r < test.offset[c + 1]; r += every)
            memmove(test.X + kept++ * test.d, test.X + r * test.d, test.d * sizeof(float));
    }
    if (every > 1)
        test.n = test.offset[test.n_classes] = kept;
    imp_gen_params gp = {.pre = st[0].pre, .gen = st[0].gen, .k = imp_default_k(st[0].gen),
                         .shot = shot, .seed = 17121997, .task_hash = imp_hash_str(dataset),
                         .lambda = imp_store_lambda(s, model), .threads = 1};
    imp_proxies px;
    if (imp_gen_run(&train, &gp, &px, &err))
        return die("GEN", err.msg);
    size_t n = test.n;
    int32_t *pred = malloc(S * (n ? n : 1) * sizeof *pred), **pp = malloc(S * sizeof *pp);
    imp_cell_result *res = calloc(S, sizeof *res);
    int *codes = calloc(S, sizeof *codes);
    for (size_t i = 0; i < S; i++)
        pp[i] = pred + i * n;
    /* NORMinf l2 applies to the test rows inside the pipeline; the oracle replays it */
    if (imp_pipeline_eval_pred(&px, &test, cells, S, 1, res, pp, codes, &err))
        return die("pipeline", err.msg);
    if (imp_test_write_predictions(out, &px, &test, S, pp, codes))
        return die(out, "cannot write");
    imp_proxies_free(&px);
    imp_data_free(&train), imp_data_free(&test);
    imp_store_close(s);
    free(st), free(cells), free(labels), free(cls), free(pred), free(pp), free(res), free(codes);
    return 0;
}
