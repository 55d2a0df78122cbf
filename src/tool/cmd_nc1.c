/* cmd_nc1.c — `imprint nc1`: neural collapse NC1 of a model's train embeddings on a task. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "imprint/store.h"
#include "nc1.h"
#include "taskopt.h"

static void help(void)
{
    printf("usage: imprint nc1 --store S.h5 --model M --dataset D [--classes all|0,2,4 | --remap RAW:CLS,…]\n"
           "                   [--split train|test] [--full] [--json]\n"
           "\n"
           "Neural-collapse NC1 = tr(Σ_B⁺ Σ_W)/C of the L2-normalised embeddings (double precision,\n"
           "pseudo-inverse by a symmetric eigendecomposition). Prints the reference code's value\n"
           "(within-class scatter centred by μ_c − μ_G, = Σ_W + μ_G μ_Gᵀ) and the textbook one\n"
           "(centred by μ_c), tr Σ_W, tr Σ_B and rank Σ_B. --full adds VCI and rank Σ_W (d×d work:\n"
           "seconds for d = 2048). The reference uses the train split (ImageNet: val).\n");
}

int imp_cmd_nc1(int argc, char **argv)
{
    const char *store = NULL, *model = NULL, *dataset = NULL, *classes = NULL, *remap = NULL;
    const char *split = "train";
    int json = 0, full = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (imp_is_help(a)) {
            help();
            return 0;
        }
        if (strcmp(a, "--json") == 0) {
            json = 1;
            continue;
        }
        if (strcmp(a, "--full") == 0) {
            full = 1;
            continue;
        }
        const char **dst = strcmp(a, "--store") == 0     ? &store
                           : strcmp(a, "--model") == 0   ? &model
                           : strcmp(a, "--dataset") == 0 ? &dataset
                           : strcmp(a, "--classes") == 0 ? &classes
                           : strcmp(a, "--remap") == 0   ? &remap
                           : strcmp(a, "--split") == 0   ? &split
                                                         : NULL;
        if (!dst)
            return imp_tool_usage("nc1", "unknown option '%s'", a);
        if (i + 1 >= argc)
            return imp_tool_usage("nc1", "option %s needs a value", a);
        *dst = argv[++i];
    }
    if (!store || !model || !dataset)
        return imp_tool_usage("nc1", "--store, --model and --dataset are required");
    if (strcmp(split, "train") != 0 && strcmp(split, "test") != 0)
        return imp_tool_usage("nc1", "--split '%s': expected train or test", split);
    imp_err err;
    imp_err_clear(&err);
    imp_store *s;
    if (imp_store_open(store, &s, &err))
        return imp_tool_fail(&err);
    imp_taskopt to;
    int rc = imp_taskopt_build(s, "nc1", model, dataset, classes, remap, &to, &err);
    if (rc == 2) {
        imp_store_close(s);
        return 2;
    }
    imp_data data = {0};
    imp_nc1 r;
    if (!rc) {
        imp_classmap map = {to.n, to.raw, to.cls, to.n_classes};
        rc = imp_store_load(s, model, dataset, split, &map, &data, &err);
    }
    if (!rc) {
        imp_nc1_opts o = {.full = full};
        rc = imp_nc1_compute(data.X, data.d, (size_t)data.n_classes, data.offset, &o, &r, &err);
    }
    if (!rc) {
        if (json)
            printf("{\"model\": \"%s\", \"dataset\": \"%s\", \"task\": \"%s\", \"split\": \"%s\", "
                   "\"n\": %zu, \"d\": %zu, \"classes\": %d, \"nc1\": %.9g, \"nc1_textbook\": %.9g, "
                   "\"tr_sw\": %.9g, \"tr_sw_textbook\": %.9g, \"tr_sb\": %.9g, \"rank_sb\": %zu%s",
                   model, dataset, to.name, split, data.n, data.d, data.n_classes,
                   isinf(r.nc1) ? 1e308 : r.nc1, isinf(r.nc1_textbook) ? 1e308 : r.nc1_textbook,
                   r.tr_sw, r.tr_sw_textbook, r.tr_sb, r.rank_sb, full ? "" : "}\n");
        if (json && full)
            printf(", \"vci\": %.9g, \"rank_sw\": %zu}\n", r.vci, r.rank_sw);
        if (!json) {
            printf("task          %s / %s (%s split, %zu rows, d = %zu, %d classes)\n", model,
                   to.name, split, data.n, data.d, data.n_classes);
            printf("NC1           %.6f   (reference: within-class term centred by mu_c - mu_G)\n",
                   r.nc1);
            printf("NC1 textbook  %.6f   (centred by mu_c)\n", r.nc1_textbook);
            printf("tr Sigma_W    %.6f   (textbook %.6f)\n", r.tr_sw, r.tr_sw_textbook);
            printf("tr Sigma_B    %.6f   rank %zu\n", r.tr_sb, r.rank_sb);
            if (full)
                printf("VCI           %.6f   rank Sigma_W %zu\n", r.vci, r.rank_sw);
            if (r.degenerate)
                printf("note: Sigma_B is ~0 (all class means coincide): NC1 is infinite\n");
        }
    }
    imp_data_free(&data);
    imp_taskopt_free(&to);
    imp_store_close(s);
    return rc ? imp_tool_fail(&err) : 0;
}
