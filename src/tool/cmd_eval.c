/* cmd_eval.c — `imprint eval`: one cell on one model and dataset, printed or as JSON. */
#include <cblas.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imprint/cell.h"
#include "imprint/pool.h"
#include "imprint/rng.h"
#include "imprint/store.h"

static void help(void)
{
    printf("usage: imprint eval --store S.h5 --model M --dataset D --strategy STR\n"
           "                    [--classes all|0,2,4] [--k K] [--shot all|N] [--seed N]\n"
           "                    [--lambda L] [--task NAME] [--threads T] [--json]\n"
           "\n"
           "Build an imprinted classifier for one cell and print its test accuracy (percent, on\n"
           "the full test split of the task's classes), the number of proxies, and the GEN and\n"
           "inference wall times.\n"
           "\n"
           "  --strategy STR  PRE/GEN/POST/INF/AGG, e.g. l2/kmeans/l2/l2/max (Ours, k = 20),\n"
           "                  l2/mean/l2/l2/max (Qi), none/mean/quantile/none/max (Hosoda),\n"
           "                  none/mean/none/none/nn:euclidean (Janson), none/ls/none/none/max (Oracle)\n"
           "                  PRE, INF: none|l2; POST: none|l2|quantile;\n"
           "                  GEN: mean|all|random|kmeans|kmedoids|fps|covmax|ls|kls;\n"
           "                  AGG: max | nn:METRIC | mnn:M:METRIC:uniform|distance,\n"
           "                  METRIC: cosine|euclidean|manhattan|mahalanobis\n"
           "  --classes       task classes in order (class index = position); default all\n"
           "  --k K           proxies per class (default: 1 for mean/ls, -1 for all, 20 otherwise)\n"
           "  --shot N        training rows drawn per class (default all)\n"
           "  --seed N        seed of every random draw (default 17121997)\n"
           "  --lambda L      weight decay for ls/kls (default: the store's or the model's)\n"
           "  --task NAME     task name that seeds the draws (default DATASET:CLASSES), so a\n"
           "                  sweep cell is reproduced with its job's task name\n"
           "  --threads T     classes generated in parallel (default: CPUs)\n"
           "  --json          print one JSON object\n");
}

/* "all" or a comma list of distinct labels present in the dataset */
static int parse_classes(const char *text, const int32_t *present, size_t n_present, int32_t **out,
                         size_t *n, char *why, size_t why_len)
{
    *out = NULL;
    *n = 0;
    if (!text || strcmp(text, "all") == 0) {
        *out = malloc(n_present * sizeof **out);
        if (!*out)
            return -1;
        memcpy(*out, present, n_present * sizeof **out);
        *n = n_present;
        return 0;
    }
    size_t cap = 16;
    *out = malloc(cap * sizeof **out);
    const char *p = text;
    while (*out && *p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || v < INT32_MIN || v > INT32_MAX) {
            snprintf(why, why_len, "--classes '%s': expected all or a comma list of labels", text);
            return -1;
        }
        for (size_t i = 0; i < *n; i++)
            if ((*out)[i] == v) {
                snprintf(why, why_len, "--classes '%s': label %ld given twice", text, v);
                return -1;
            }
        int found = 0;
        for (size_t i = 0; i < n_present; i++)
            found |= present[i] == v;
        if (!found) {
            snprintf(why, why_len, "--classes '%s': label %ld is not in the dataset's train split",
                     text, v);
            return -1;
        }
        if (*n == cap) {
            cap *= 2;
            int32_t *q = realloc(*out, cap * sizeof **out);
            if (!q)
                return -1;
            *out = q;
        }
        (*out)[(*n)++] = (int32_t)v;
        p = *end ? end + 1 : end;
    }
    if (*n < 2) {
        snprintf(why, why_len, "--classes '%s': a task needs at least 2 classes", text);
        return -1;
    }
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int imp_cmd_eval(int argc, char **argv)
{
    const char *store = NULL, *model = NULL, *dataset = NULL, *strategy = NULL, *classes = NULL;
    const char *task = NULL;
    long k = 0, shot = -1, threads = imp_cpu_count();
    int have_k = 0, json = 0;
    unsigned long long seed = 17121997ULL;
    double lambda = 0;
    int have_lambda = 0;
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
        static const char *const opts[] = {"--store", "--model", "--dataset", "--strategy",
                                           "--classes", "--k", "--shot", "--seed", "--lambda",
                                           "--task", "--threads", NULL};
        int o = -1;
        for (int q = 0; opts[q]; q++)
            if (strcmp(a, opts[q]) == 0)
                o = q;
        if (o < 0)
            return imp_tool_usage("eval", "unknown option '%s'", a);
        if (i + 1 >= argc)
            return imp_tool_usage("eval", "option %s needs a value", a);
        const char *v = argv[++i];
        switch (o) {
        case 0: store = v; break;
        case 1: model = v; break;
        case 2: dataset = v; break;
        case 3: strategy = v; break;
        case 4: classes = v; break;
        case 5:
            if (imp_parse_long(v, -1000000, 1000000, &k) || k == 0 || k < -1)
                return imp_tool_usage("eval", "--k '%s': expected an integer >= 1 (or -1 for all)", v);
            have_k = 1;
            break;
        case 6:
            if (strcmp(v, "all") == 0)
                shot = -1;
            else if (imp_parse_long(v, 1, 100000000, &shot))
                return imp_tool_usage("eval", "--shot '%s': expected all or an integer >= 1", v);
            break;
        case 7: {
            char *end;
            if (v[0] == '-' || !*v || (seed = strtoull(v, &end, 10), *end))
                return imp_tool_usage("eval", "--seed '%s': expected a non-negative integer", v);
            break;
        }
        case 8:
            if (imp_parse_double(v, &lambda) || lambda <= 0)
                return imp_tool_usage("eval", "--lambda '%s': expected a number > 0", v);
            have_lambda = 1;
            break;
        case 9: task = v; break;
        case 10:
            if (imp_parse_long(v, 1, 1024, &threads))
                return imp_tool_usage("eval", "--threads '%s': expected 1..1024", v);
            break;
        }
    }
    if (!store || !model || !dataset || !strategy)
        return imp_tool_usage("eval", "--store, --model, --dataset and --strategy are required");
    imp_err err;
    imp_err_clear(&err);
    imp_cell_spec spec = {0};
    if (imp_strategy_parse(strategy, &spec.strat, &err))
        return imp_tool_usage("eval", "%s", err.msg);
    spec.k = have_k ? (int)k : imp_default_k(spec.strat.gen);
    spec.shot = (int)shot;
    const char *why = NULL;
    if (!imp_strategy_cell_valid(&spec.strat, spec.k, spec.shot, &why))
        return imp_tool_usage("eval", "strategy %s with k = %d is excluded by the grid rules: %s",
                              strategy, spec.k, why);
    imp_store *s;
    if (imp_store_open(store, &s, &err))
        return imp_tool_fail(&err);
    int rc = 0;
    int32_t *ylab = NULL, *cls_list = NULL;
    size_t ny = 0, ncls = 0;
    imp_data train = {0}, test = {0};
    imp_store_entry ent;
    if ((rc = imp_store_describe(s, model, dataset, &ent, &err)))
        goto fail;
    if ((rc = imp_store_labels(s, model, dataset, "train", &ylab, &ny, &err)))
        goto fail;
    qsort(ylab, ny, sizeof *ylab, cmp_i32);
    size_t np = 0;
    for (size_t i = 0; i < ny; i++)
        if (i == 0 || ylab[i] != ylab[i - 1])
            ylab[np++] = ylab[i];
    char why_buf[512];
    if (parse_classes(classes, ylab, np, &cls_list, &ncls, why_buf, sizeof why_buf)) {
        free(ylab);
        free(cls_list);
        imp_store_close(s);
        return imp_tool_usage("eval", "%s", why_buf);
    }
    int32_t *idx = malloc(ncls * sizeof *idx);
    for (size_t i = 0; idx && i < ncls; i++)
        idx[i] = (int32_t)i;
    imp_classmap map = {ncls, cls_list, idx, (int)ncls};
    if ((rc = imp_store_load(s, model, dataset, "train", &map, &train, &err)) ||
        (rc = imp_store_load(s, model, dataset, "test", &map, &test, &err))) {
        free(idx);
        goto fail;
    }
    free(idx);
    char taskname[1024];
    if (task) {
        snprintf(taskname, sizeof taskname, "%s", task);
    } else {
        int off = snprintf(taskname, sizeof taskname, "%s:", dataset);
        for (size_t i = 0; i < ncls && off < (int)sizeof taskname - 16; i++)
            off += snprintf(taskname + off, sizeof taskname - (size_t)off, "%s%d", i ? "," : "",
                            cls_list[i]);
    }
    spec.seed = seed;
    spec.task_hash = imp_hash_str(taskname);
    spec.lambda = have_lambda ? lambda : imp_store_lambda(s, model);
    spec.threads = (int)threads;
    imp_cell_out co;
    rc = imp_cell_run(&train, &test, &spec, &co, &err);
    if (rc)
        goto fail;
    char canon[256];
    imp_strategy_format(&spec.strat, canon, sizeof canon);
    if (json) {
        printf("{\"model\": \"%s\", \"dataset\": \"%s\", \"task\": \"%s\", \"strategy\": \"%s\", "
               "\"k\": %d, \"shot\": %d, \"seed\": %llu, \"lambda\": %g, \"accuracy\": %.6f, "
               "\"correct\": %zu, \"total\": %zu, \"n_proxies\": %d, \"gen_seconds\": %.6f, "
               "\"inf_seconds\": %.6f}\n",
               model, dataset, taskname, canon, spec.k, spec.shot, seed, spec.lambda,
               (double)co.accuracy, co.correct, co.total, co.n_proxies, co.gen_seconds,
               co.inf_seconds);
    } else {
        printf("cell        %s / %s / %s, k = %d, shot = %s, seed = %llu\n", model, taskname, canon,
               spec.k, shot < 0 ? "all" : "n", seed);
        if (shot >= 0)
            printf("shot        %ld\n", shot);
        printf("accuracy    %.2f %% (%zu of %zu test rows)\n", (double)co.accuracy, co.correct,
               co.total);
        printf("n_proxies   %d\n", co.n_proxies);
        printf("gen_seconds %.4f\n", co.gen_seconds);
        printf("inf_seconds %.4f\n", co.inf_seconds);
    }
    (void)ent;
fail:
    imp_data_free(&train);
    imp_data_free(&test);
    free(ylab);
    free(cls_list);
    imp_store_close(s);
    return rc ? imp_tool_fail(&err) : 0;
}
