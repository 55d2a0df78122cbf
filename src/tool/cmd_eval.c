/* cmd_eval.c — `imprint eval`: one cell on one model and dataset, printed or as JSON. */
#include "imprint/blas.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "imprint/cell.h"
#include "imprint/named.h"
#include "imprint/rng.h"
#include "imprint/store.h"
#include "opts.h"
#include "taskopt.h"
#include "toolio.h"

static void help(void)
{
    printf("usage: imprint eval --store S.h5 --model M --dataset D --strategy STR\n"
           "                    [--classes all|0,2,4 | --remap RAW:CLS,…] [--k K] [--shot all|N] [--seed N]\n"
           "                    [--lambda L] [--task NAME] [--threads T] [--json]\n"
           "\n"
           "Build an imprinted classifier for one cell and print its test accuracy (percent, on\n"
           "the full test split of the task's classes), the number of proxies, and the GEN and\n"
           "inference wall times.\n"
           "\n"
           "  --strategy STR  PRE/GEN/POST/INF/AGG, e.g. l2/kmeans/l2/l2/max (Ours, k = 20),\n"
           "                  l2/mean/l2/l2/max (Qi), none/mean/quantile/none/max (Hosoda),\n"
           "                  none/mean/none/none/nn:euclidean (Janson), none/ls/none/none/max (Oracle),\n"
           "                  or one of those names (Ours sets k = 20 unless --k is given)\n"
           /* the lists below come from the strategy tables (strategy.h); test_cli checks them */
           "                  PRE: %s; POST: %s; INF: %s;\n"
           "                  GEN: %s;\n"
           "                  AGG: %s,\n"
           "                  METRIC: %s; WEIGHT: %s\n"
           "  --classes       task classes in order (class index = position); default all\n"
           "  --remap R       RAW:CLASS,… many labels to one class (classes 0..C-1)\n"
           "  --k K           proxies per class (default: 1 for %s, -1 for %s, %d otherwise)\n"
           "  --shot N        training rows drawn per class (default all)\n"
           "  --seed N        seed of every random draw (default 17121997)\n"
           "  --lambda L      weight decay for %s (default: the store's or the model's)\n"
           "  --task NAME     task name that seeds the draws (default DATASET:CLASSES), so a\n"
           "                  sweep cell is reproduced with its job's task name\n"
           "  --threads T     classes generated in parallel (default: SLURM_CPUS_PER_TASK, else\n"
           "                  the CPUs this process may run on)\n"
           "  --json          print one JSON object\n",
           imp_norm_names(IMP_PART_PRE, "|"), imp_norm_names(IMP_PART_POST, "|"),
           imp_norm_names(IMP_PART_INF, "|"), imp_gen_names("|"), imp_agg_forms(", "),
           imp_metric_names("|"), imp_weight_names("|"), imp_gen_names_fixing_k(1, "/"),
           imp_gen_names_fixing_k(-1, "/"), IMP_DEFAULT_K, imp_gen_names_lsq("/"));
}

int imp_cmd_eval(int argc, char **argv)
{
    const char *store = NULL, *model = NULL, *dataset = NULL, *strategy = NULL, *classes = NULL;
    const char *task = NULL, *remap = NULL;
    long k = 0, shot = -1, threads = imp_tool_cpus();
    int have_k = 0, json = 0;
    unsigned long long seed = 17121997ULL;
    double lambda = 0;
    int have_lambda = 0;
    enum { O_STORE = 1, O_MODEL, O_DATASET, O_STRATEGY, O_CLASSES, O_K, O_SHOT, O_SEED, O_LAMBDA,
           O_TASK, O_THREADS, O_REMAP, O_JSON };
    static const imp_opt opts[] = {
        {"store", 1, O_STORE},     {"model", 1, O_MODEL},     {"dataset", 1, O_DATASET},
        {"strategy", 1, O_STRATEGY}, {"classes", 1, O_CLASSES}, {"k", 1, O_K},
        {"shot", 1, O_SHOT},       {"seed", 1, O_SEED},       {"lambda", 1, O_LAMBDA},
        {"task", 1, O_TASK},       {"threads", 1, O_THREADS}, {"remap", 1, O_REMAP},
        {"json", 0, O_JSON},       {NULL, 0, 0},
    };
    imp_opts op;
    imp_opts_init(&op, "eval", opts, argc, argv);
    for (int o; (o = imp_opts_next(&op)) != IMP_OPT_END;) {
        const char *v = op.val;
        switch (o) {
        case IMP_OPT_HELP: help(); return 0;
        case IMP_OPT_ERR: return 2;
        case IMP_OPT_ARG: return imp_tool_usage("eval", "unknown option '%s'", v);
        case O_JSON: json = 1; break;
        case O_STORE: store = v; break;
        case O_MODEL: model = v; break;
        case O_DATASET: dataset = v; break;
        case O_STRATEGY: strategy = v; break;
        case O_CLASSES: classes = v; break;
        case O_K:
            if (imp_parse_long(v, -1000000, 1000000, &k) || k == 0 || k < -1)
                return imp_tool_usage("eval", "--k '%s': expected an integer >= 1 (or -1 for all)", v);
            have_k = 1;
            break;
        case O_SHOT:
            if (imp_axis_is_minus1(IMP_AX_SHOT, v))
                shot = -1;
            else if (imp_parse_long(v, 1, 100000000, &shot))
                return imp_tool_usage("eval", "--shot '%s': expected %s or an integer >= 1", v,
                                      imp_axis_info_of(IMP_AX_SHOT)->minus1);
            break;
        case O_SEED: {
            char *end;
            if (v[0] == '-' || !*v || (seed = strtoull(v, &end, 10), *end))
                return imp_tool_usage("eval", "--seed '%s': expected a non-negative integer", v);
            break;
        }
        case O_LAMBDA:
            if (imp_parse_double(v, &lambda) || lambda <= 0)
                return imp_tool_usage("eval", "--lambda '%s': expected a number > 0", v);
            have_lambda = 1;
            break;
        case O_TASK: task = v; break;
        case O_REMAP: remap = v; break;
        case O_THREADS:
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
    const imp_named_strategy *named = imp_named_strategy_find(strategy);
    if (named)
        strategy = named->strategy;
    if (imp_strategy_parse(strategy, &spec.strat, &err))
        return imp_tool_usage("eval", "%s (or a paper name: %s)", err.msg,
                              imp_named_strategy_list());
    spec.k = have_k ? (int)k : named && named->k ? (int)named->k : imp_default_k(spec.strat.gen);
    spec.shot = (int)shot;
    const char *why = NULL;
    if (!imp_strategy_cell_valid(&spec.strat, spec.k, spec.shot, &why))
        return imp_tool_usage("eval", "strategy %s with k = %d is excluded by the grid rules: %s",
                              strategy, spec.k, why);
    imp_store *s;
    if (imp_store_open(store, &s, &err))
        return imp_tool_fail(&err);
    int rc = 0;
    imp_data train = {0}, test = {0};
    imp_taskopt to;
    rc = imp_taskopt_build(s, "eval", model, dataset, classes, remap, &to, &err);
    if (rc == 2) {
        imp_store_close(s);
        return 2;
    }
    if (rc)
        goto fail;
    imp_classmap map = {to.n, to.raw, to.cls, to.n_classes};
    if ((rc = imp_store_load(s, model, dataset, "train", &map, &train, &err)) ||
        (rc = imp_store_load(s, model, dataset, "test", &map, &test, &err)))
        goto fail;
    char taskname[1024];
    snprintf(taskname, sizeof taskname, "%s", task ? task : to.name);
    spec.seed = seed;
    spec.task_hash = imp_hash_str(taskname);
    spec.lambda = have_lambda ? lambda : imp_store_lambda(s, model);
    spec.threads = (int)threads;
    /* a k or shot above some classes' rows is not an error (the reference's rule): say so */
    char note[512] = "";
    size_t *rows = malloc((size_t)(train.n_classes > 0 ? train.n_classes : 1) * sizeof *rows);
    if (!rows) {
        rc = imp_err_set(&err, IMP_ENOMEM, "out of memory");
        goto fail;
    }
    for (int c = 0; c < train.n_classes; c++)
        rows[c] = train.offset[c + 1] - train.offset[c];
    int64_t k_eff = spec.k;
    const char *rwhy;
    if (!imp_strategy_row(&spec.strat, spec.k, spec.shot, &k_eff, &rwhy))
        k_eff = spec.k;
    imp_class_size_note(&spec.strat, k_eff, spec.shot, rows, (size_t)train.n_classes, note,
                        sizeof note);
    free(rows);
    imp_cell_out co;
    rc = imp_cell_run(&train, &test, &spec, &co, &err);
    if (rc)
        goto fail;
    char canon[256];
    imp_strategy_format(&spec.strat, canon, sizeof canon);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, imp_axis_name(IMP_AX_MODEL), model);
        cJSON_AddStringToObject(o, "dataset", dataset);
        cJSON_AddStringToObject(o, imp_axis_name(IMP_AX_TASK), taskname);
        cJSON_AddStringToObject(o, imp_axis_name(IMP_AX_STRATEGY), canon);
        cJSON_AddNumberToObject(o, imp_axis_name(IMP_AX_K), spec.k);
        cJSON_AddNumberToObject(o, imp_axis_name(IMP_AX_SHOT), spec.shot);
        imp_json_add_u64(o, imp_axis_name(IMP_AX_SEED), seed);
        cJSON_AddNumberToObject(o, "lambda", spec.lambda);
        cJSON_AddNumberToObject(o, "accuracy", (double)co.accuracy);
        cJSON_AddNumberToObject(o, "correct", (double)co.correct);
        cJSON_AddNumberToObject(o, "total", (double)co.total);
        cJSON_AddNumberToObject(o, "f1", (double)co.f1);
        cJSON_AddNumberToObject(o, "n_proxies", co.n_proxies);
        cJSON_AddNumberToObject(o, "gen_seconds", co.gen_seconds);
        cJSON_AddNumberToObject(o, "inf_seconds", co.inf_seconds);
        cJSON_AddNumberToObject(o, "threads", spec.threads);
        if (note[0])
            cJSON_AddStringToObject(o, "note", note);
        rc = imp_tool_print_json(o, &err);
    } else {
        char shot_txt[32];
        imp_axis_int_text(IMP_AX_SHOT, shot, shot_txt, sizeof shot_txt);
        printf("cell        %s / %s / %s, k = %d, shot = %s, seed = %llu\n", model, taskname, canon,
               spec.k, shot_txt, seed);
        printf("accuracy    %.2f %% (%zu of %zu test rows)\n", (double)co.accuracy, co.correct,
               co.total);
        printf("f1          %.2f %% (macro, over the task's classes)\n", (double)co.f1);
        printf("n_proxies   %d\n", co.n_proxies);
        printf("gen_seconds %.4f\n", co.gen_seconds);
        printf("inf_seconds %.4f\n", co.inf_seconds);
        if (note[0])
            printf("note        %s\n", note);
    }
fail:
    imp_data_free(&train);
    imp_data_free(&test);
    imp_taskopt_free(&to);
    imp_store_close(s);
    return rc ? imp_tool_fail(&err) : 0;
}
