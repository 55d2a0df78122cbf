/* cmd_ingest.c — `imprint ingest fashion-mnist | idx | reference`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imprint/idx.h"
#include "imprint/ingest.h"
#include "opts.h"

static const char *const fmnist_classes[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress",
                                               "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                                               "Ankle boot"};

static void help(void)
{
    printf("usage: imprint ingest fashion-mnist [--dir D] --store S.h5 [--model M]... [--force]\n"
           "       imprint ingest idx --dataset NAME --train-images F --train-labels F\n"
           "                          --test-images F --test-labels F --store S.h5 [--model M]... [--force]\n"
           "       imprint ingest reference DIR --store S.h5 [--force]\n"
           "\n"
           "Write embeddings into an HDF5 store (/<model>/<dataset>/{train,test}/{X,y}).\n"
           "\n"
           "  fashion-mnist  the four idx files of Debian's dataset-fashion-mnist package (found\n"
           "                 with dpkg -L; --dir overrides), as dataset 'fmnist' with class names\n"
           "  idx            any MNIST-format idx files (gzipped or plain)\n"
           "  reference      every embeddings_{Dataset}_{backbone}_{train|test|val}.h5 under DIR\n"
           "                 (the IMPRINT reference code's files; val stands in for test)\n"
           "\n"
           "  --model M      pixels (pixels / 255, the default) or randfeat:DIM:SEED (a fixed\n"
           "                 random ReLU feature map of the pixels; stored as randfeatDIM for\n"
           "                 SEED 1, randfeatDIMsSEED otherwise); repeatable\n"
           "  --force        replace a model/dataset that is already in the store\n"
           "\n"
           "Writing is atomic: a temporary file beside the store is renamed over it at the end.\n");
}

int imp_cmd_ingest(int argc, char **argv)
{
    if (argc < 2) {
        return imp_tool_usage("ingest", "which source? fashion-mnist, idx or reference");
    }
    if (imp_is_help(argv[1])) {
        help();
        return 0;
    }
    const char *source = argv[1];
    int is_fm = strcmp(source, "fashion-mnist") == 0, is_idx = strcmp(source, "idx") == 0,
        is_ref = strcmp(source, "reference") == 0;
    if (!is_fm && !is_idx && !is_ref)
        return imp_tool_usage("ingest", "unknown source '%s' (expected fashion-mnist, idx or reference)",
                              source);
    const char *store = NULL, *dir = NULL, *dataset = NULL, *refdir = NULL;
    const char *files[4] = {NULL, NULL, NULL, NULL};
    static const char *const file_opts[4] = {"--train-images", "--train-labels", "--test-images",
                                             "--test-labels"};
    enum { O_STORE = 1, O_FORCE, O_DIR, O_MODEL, O_DATASET, O_FILE0 /* .. O_FILE0 + 3 */ };
    /* one table per source: an option of another source is unknown here */
    static const imp_opt fm_opts[] = {
        {"store", 1, O_STORE}, {"force", 0, O_FORCE}, {"dir", 1, O_DIR}, {"model", 1, O_MODEL},
        {NULL, 0, 0}};
    static const imp_opt idx_opts[] = {
        {"store", 1, O_STORE},           {"force", 0, O_FORCE},
        {"model", 1, O_MODEL},           {"dataset", 1, O_DATASET},
        {"train-images", 1, O_FILE0},    {"train-labels", 1, O_FILE0 + 1},
        {"test-images", 1, O_FILE0 + 2}, {"test-labels", 1, O_FILE0 + 3},
        {NULL, 0, 0}};
    static const imp_opt ref_opts[] = {{"store", 1, O_STORE}, {"force", 0, O_FORCE}, {NULL, 0, 0}};
    imp_model_spec models[16];
    size_t n_models = 0;
    int force = 0;
    imp_err err;
    imp_err_clear(&err);
    char variant[64];
    snprintf(variant, sizeof variant, "ingest %s", source);
    imp_opts op;
    imp_opts_init(&op, "ingest", is_fm ? fm_opts : is_idx ? idx_opts : ref_opts, argc - 1, argv + 1);
    op.variant = variant;
    for (int o; (o = imp_opts_next(&op)) != IMP_OPT_END;) {
        const char *v = op.val;
        switch (o) {
        case IMP_OPT_HELP: help(); return 0;
        case IMP_OPT_ERR: return 2;
        case IMP_OPT_ARG:
            if (!is_ref || refdir)
                return imp_tool_usage("ingest", "unknown option '%s' for '%s'", v, variant);
            refdir = v;
            break;
        case O_FORCE: force = 1; break;
        case O_STORE: store = v; break;
        case O_DIR: dir = v; break;
        case O_DATASET: dataset = v; break;
        case O_MODEL:
            if (n_models == 16)
                return imp_tool_usage("ingest", "at most 16 --model options");
            if (imp_model_spec_parse(v, &models[n_models], &err))
                return imp_tool_usage("ingest", "%s", err.msg);
            for (size_t k = 0; k < n_models; k++)
                if (strcmp(models[k].name, models[n_models].name) == 0)
                    return imp_tool_usage("ingest", "model '%s' given twice", v);
            n_models++;
            break;
        default: files[o - O_FILE0] = v; break;
        }
    }
    if (!store)
        return imp_tool_usage("ingest", "--store S.h5 is required");
    if (is_ref) {
        if (!refdir)
            return imp_tool_usage("ingest", "'ingest reference' needs the directory DIR");
        int rc = imp_ingest_reference(refdir, store, force, stderr, &err);
        return rc ? imp_tool_fail(&err) : 0;
    }
    if (n_models == 0)
        imp_model_spec_parse("pixels", &models[n_models++], NULL);
    char paths[4][4096];
    const char *const *class_names = NULL;
    size_t n_names = 0;
    if (is_fm) {
        if (imp_find_fashion_mnist(dir, paths, &err))
            return imp_tool_fail(&err);
        dataset = "fmnist";
        class_names = fmnist_classes;
        n_names = 10;
    } else {
        if (!dataset)
            return imp_tool_usage("ingest", "--dataset NAME is required");
        for (int k = 0; k < 4; k++) {
            if (!files[k])
                return imp_tool_usage("ingest", "%s FILE is required", file_opts[k]);
            snprintf(paths[k], sizeof paths[k], "%s", files[k]);
        }
    }
    imp_raw_split tr = {0}, te = {0};
    int rc = imp_idx_read_pair(paths[0], paths[1], &tr.X, &tr.y, &tr.n, &tr.d, &err);
    if (!rc)
        rc = imp_idx_read_pair(paths[2], paths[3], &te.X, &te.y, &te.n, &te.d, &err);
    if (!rc)
        rc = imp_ingest_raw(store, dataset, &tr, &te, models, n_models, class_names, n_names, force,
                            stderr, &err);
    free(tr.X);
    free(tr.y);
    free(te.X);
    free(te.y);
    return rc ? imp_tool_fail(&err) : 0;
}
