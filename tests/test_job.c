/* test_job.c — job-file parsing: every key, every error with its line, the store check. */
#include <stdlib.h>
#include <string.h>

#include "imprint/job.h"
#include "testutil.h"

static imp_job *parse_ok(const char *text, const char *base_dir)
{
    imp_job *job = NULL;
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_job_parse(text, strlen(text), "t.yaml", base_dir, &job, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "parse ok; got %d: %s", rc, err.msg);
    return job;
}

static void test_every_key(void)
{
    const char *text =
        "# a comment\n"
        "store: data/store.h5\n"
        "cube: /abs/results/x.h5\n"
        "models: [pixels, randfeat512]\n"
        "tasks:\n"
        "  - {name: all, dataset: fmnist, classes: all}\n"
        "  - name: even\n"
        "    dataset: fmnist\n"
        "    classes: [0, 2, 4]\n"
        "  - {name: combi, datasets: [a, b], remap: {0: 0, 10: 0, 1: 1, 11: 1}}\n"
        "  - {name: pick, dataset: fmnist, classes: [7, 3], remap: {5: 3, 6: 7, 8: 9}}\n"
        "strategies: [l2/kmeans/l2/l2/max, \"none/all/none/none/mnn:03:cosine:distance\"]\n"
        "strategy_grid:\n"
        "  pre: [none, l2]\n"
        "  gen: [mean, kmeans]\n"
        "  post: [l2]\n"
        "  inf: [none, l2]\n"
        "  agg: [max]\n"
        "ks: [-1, 1, 20]\n"
        "shots: [all, 10]\n"
        "seeds: [17121997, 0]\n"
        "lambda: {randfeat512: 1e-4}\n";
    imp_job *j = parse_ok(text, "jobs");
    if (!j)
        return;
    IMP_ASSERT_INT_EQ(strcmp(j->store, "data/store.h5"), 0);
    IMP_ASSERT_INT_EQ(strcmp(j->store_path, "jobs/data/store.h5"), 0);
    IMP_ASSERT_INT_EQ(strcmp(j->cube_path, "/abs/results/x.h5"), 0); /* absolute stays */
    IMP_ASSERT_INT_EQ(j->store_pos.line, 2);
    IMP_ASSERT_INT_EQ(j->store_pos.col, 8);
    IMP_ASSERT_INT_EQ(j->n_models, 2);
    IMP_ASSERT_INT_EQ(strcmp(j->models[1], "randfeat512"), 0);
    IMP_ASSERT_INT_EQ(j->n_tasks, 4);
    IMP_ASSERT_INT_EQ(j->tasks[0].classes_all, 1);
    IMP_ASSERT_INT_EQ(j->tasks[0].n_classes, 0); /* resolved by the store check */
    IMP_ASSERT_INT_EQ(j->tasks[1].n_classes, 3);
    IMP_ASSERT_INT_EQ(j->tasks[1].classes[2], 4);
    IMP_ASSERT_INT_EQ(j->tasks[1].class_pos[2].line, 9);
    /* remap with classes all: classes = sorted distinct remap values */
    IMP_ASSERT_INT_EQ(j->tasks[2].n_datasets, 2);
    IMP_ASSERT_INT_EQ(strcmp(j->tasks[2].datasets[1], "b"), 0);
    IMP_ASSERT_INT_EQ(j->tasks[2].n_remap, 4);
    IMP_ASSERT_INT_EQ(j->tasks[2].n_classes, 2);
    IMP_ASSERT_INT_EQ(j->tasks[2].classes[0], 0);
    IMP_ASSERT_INT_EQ(j->tasks[2].classes[1], 1);
    /* offsets: dataset b (index 1) raw 1 is label 11 → class 1; raw 2 → 12, not remapped */
    IMP_ASSERT_INT_EQ(imp_task_class_index(&j->tasks[2], 1, 1), 1);
    IMP_ASSERT_INT_EQ(imp_task_class_index(&j->tasks[2], 0, 0), 0);
    IMP_ASSERT_INT_EQ(imp_task_class_index(&j->tasks[2], 1, 2), -1);
    /* remap + class list: class index = position in the list, raw 6 → 7 → index 0 */
    IMP_ASSERT_INT_EQ(imp_task_class_index(&j->tasks[3], 0, 6), 0);
    IMP_ASSERT_INT_EQ(imp_task_class_index(&j->tasks[3], 0, 5), 1);
    IMP_ASSERT_INT_EQ(imp_task_class_index(&j->tasks[3], 0, 8), -1); /* 9 is no class */
    IMP_ASSERT_INT_EQ(imp_task_class_index(&j->tasks[3], 0, 7), -1); /* not in remap */
    /* strategies: 2 listed + grid 2 pre × 2 gen × 1 post × 2 inf × 1 agg = 8, minus the 2
     * with pre l2 / inf none (rule 10) = 6, of which l2/kmeans/l2/l2/max is listed already
     * (kept once, at its first place): 7; order: listed, then pre, gen, post, inf, agg. */
    IMP_ASSERT_INT_EQ(j->n_strategies, 7);
    IMP_ASSERT_INT_EQ(strcmp(j->strategies[1], "none/all/none/none/mnn:3:cosine:distance"), 0);
    IMP_ASSERT_INT_EQ(strcmp(j->strategies[2], "none/mean/l2/none/max"), 0);
    IMP_ASSERT_INT_EQ(strcmp(j->strategies[3], "none/mean/l2/l2/max"), 0);
    IMP_ASSERT_INT_EQ(strcmp(j->strategies[5], "none/kmeans/l2/l2/max"), 0);
    IMP_ASSERT_INT_EQ(strcmp(j->strategies[6], "l2/mean/l2/l2/max"), 0);
    IMP_ASSERT_INT_EQ(j->strategy_pos[0].line, 12);
    IMP_ASSERT_INT_EQ(j->strategy_pos[4].line, 14); /* the grid mapping */
    IMP_ASSERT_INT_EQ(j->n_ks, 3);
    IMP_ASSERT_INT_EQ(j->ks[0], -1);
    IMP_ASSERT_INT_EQ(j->n_shots, 2);
    IMP_ASSERT_INT_EQ(j->shots[0], -1);
    IMP_ASSERT_INT_EQ(j->shots[1], 10);
    IMP_ASSERT_INT_EQ(j->seeds[0], 17121997);
    IMP_ASSERT_INT_EQ(j->seeds[1], 0);
    double lam = 0;
    IMP_ASSERT_INT_EQ(imp_job_lambda(j, "randfeat512", &lam), 1);
    IMP_ASSERT_NEAR(lam, 1e-4, 0);
    IMP_ASSERT_INT_EQ(imp_job_lambda(j, "pixels", &lam), 0);
    IMP_ASSERT_INT_EQ(imp_job_task_index(j, "combi"), 2);
    IMP_ASSERT_INT_EQ(strncmp(j->text, "# a comment\n", 12), 0);
    imp_job_free(j);

    /* shots defaults to [all]; a list of grids; aliases */
    j = parse_ok(
        "store: s\ncube: c\nmodels: [m]\ntasks: [{name: t, dataset: d}]\n"
        "strategy_grid:\n"
        "  - {pre: [none], gen: [kmeans], post: [none], inf: [none], agg: &a [max, nn:cosine]}\n"
        "  - {pre: [l2], gen: [kls], post: [none], inf: [l2], agg: *a}\n"
        "ks: [5]\nseeds: [1]\n",
        NULL);
    if (!j)
        return;
    IMP_ASSERT_INT_EQ(j->n_shots, 1);
    IMP_ASSERT_INT_EQ(j->shots[0], -1);
    IMP_ASSERT_INT_EQ(j->n_strategies, 4);
    IMP_ASSERT_INT_EQ(strcmp(j->strategies[3], "l2/kls/none/l2/nn:cosine"), 0);
    IMP_ASSERT_INT_EQ(strcmp(j->store_path, "s"), 0); /* no base dir: as written */
    IMP_ASSERT_INT_EQ(j->tasks[0].classes_all, 1);
    imp_job_free(j);
}

/* The base job; error cases replace one line (1-based) by other text. */
static const char *const BASE[] = {
    "store: s.h5",                                  /* 1 */
    "cube: c.h5",                                   /* 2 */
    "models: [m1, m2]",                             /* 3 */
    "tasks:",                                       /* 4 */
    "  - {name: t1, dataset: d1, classes: [0, 1]}", /* 5 */
    "strategies: [l2/kmeans/l2/l2/max]",            /* 6 */
    "ks: [1, 5]",                                   /* 7 */
    "shots: [all]",                                 /* 8 */
    "seeds: [1]",                                   /* 9 */
    NULL,
};

static char *with_line(int line, const char *repl)
{
    static char buf[4096];
    buf[0] = '\0';
    for (int i = 0; BASE[i]; i++) {
        const char *l = i + 1 == line ? repl : BASE[i];
        if (l[0] == '\0')
            continue; /* an empty replacement drops the line */
        strcat(buf, l);
        strcat(buf, "\n");
    }
    if (line == 10) {
        strcat(buf, repl);
        strcat(buf, "\n");
    }
    return buf;
}

static void expect_error_text(const char *text, const char *where, const char *needle)
{
    imp_job *job = NULL;
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_job_parse(text, strlen(text), "demo.yaml", NULL, &job, &err);
    imp__assert_msg(rc == IMP_EINPUT, __LINE__, __FILE__, "IMP_EINPUT for\n%s(got %d)", text, rc);
    IMP_ASSERT_STR_CONTAINS(err.msg, where);
    IMP_ASSERT_STR_CONTAINS(err.msg, needle);
    IMP_ASSERT_INT_EQ(job == NULL, 1);
    imp_job_free(job);
}

static void expect_error(int line, const char *repl, const char *where, const char *needle)
{
    expect_error_text(with_line(line, repl), where, needle);
}

static void test_errors(void)
{
    /* the base itself is fine */
    imp_job *j = parse_ok(with_line(0, ""), NULL);
    imp_job_free(j);

    expect_error(10, "foo: 1", "demo.yaml: line 10, column 1:", "unknown key 'foo' in the job");
    expect_error(5, "  - {name: t1, dataset: d1, clases: [0, 1]}",
                 "demo.yaml: line 5, column 29:", "unknown key 'clases' in task");
    expect_error(6, "strategies: [l2/kmean/l2/l2/max]",
                 "demo.yaml: line 6, column 14:", "unknown GEN 'kmean'");
    expect_error(6, "strategies: [l2/kmeans/l2/l2/mnn:3:chebyshev:uniform]", "line 6,",
                 "unknown metric 'chebyshev'");
    expect_error(10,
                 "strategy_grid: {pre: [none], gen: [kmeans], post: [l3], inf: [none], agg: [max]}",
                 "line 10, column 52:", "unknown strategy part post 'l3'");
    expect_error(
        10, "strategy_grid: {pre: [none], gen: [kmeans], post: [none], inf: [none], agg: [mx]}",
        "line 10,", "unknown strategy part agg 'mx'");
    expect_error(10, "strategy_grid: {pre: [none], gen: [kmeans], post: [none], inf: [none]}",
                 "line 10, column 16:", "strategy_grid: missing required key 'agg'");
    expect_error(7, "ks: []", "demo.yaml: line 7, column 5:", "empty axis 'ks'");
    expect_error(3, "models:", "demo.yaml: line 3, column 8:", "empty axis 'models'");
    expect_error(6,
                 "strategies: [l2/kmeans/l2/l2/mnn:3:cosine:uniform,\n"
                 "             \"l2/kmeans/l2/l2/mnn:03:cosine:uniform\"]",
                 "demo.yaml: line 7, column 14:",
                 "duplicate strategy 'l2/kmeans/l2/l2/mnn:3:cosine:uniform' (same as line 6");
    expect_error(7, "ks: [1, 5, 1]", "line 7, column 12:", "duplicate k 1 (first at line 7)");
    expect_error(8, "shots: [all, 5, all]", "line 8, column 17:", "duplicate shot all");
    expect_error(9, "seeds:\n  - 3\n  - 3",
                 "line 11, column 5:", "duplicate seed 3 (first at line 10)");
    expect_error(3, "models: [m1, m1]", "line 3, column 14:", "duplicate model 'm1'");
    expect_error(5, "  - {name: t1, dataset: d1}\n  - {name: t1, dataset: d2}",
                 "line 6, column 5:", "duplicate task name 't1' (first at line 5)");
    expect_error(5, "  - {name: t1, datasets: [d1, d1]}",
                 "line 5, column 31:", "duplicate dataset 'd1'");
    expect_error(5, "  - {name: t1, dataset: d1, classes: [0, 1, 0]}", "line 5,",
                 "duplicate class 0");
    expect_error(5, "  - {name: t1, dataset: d1, remap: {3: 0, 3: 1}}", "line 5,",
                 "duplicate remap key 3");
    expect_error(7, "ks: [1, 0]",
                 "line 7, column 9:", "k must be >= 1 or -1 (every row a proxy), got 0");
    expect_error(7, "ks: [-2]", "line 7, column 6:", "k must be >= 1 or -1");
    expect_error(7, "ks: [1, five]", "line 7,", "k: expected an integer, got 'five'");
    expect_error(8, "shots: [all, 0]", "line 8, column 14:", "shot must be >= 1 or all, got 0");
    expect_error(8, "shots: [-1]", "line 8,", "shot must be >= 1 or all");
    expect_error(9, "seeds: [-4]", "line 9,", "seed must be >= 0");
    expect_error(5, "  - {name: t1, dataset: d1, classes: [3]}",
                 "line 5, column 38:", "task 't1' has fewer than 2 classes");
    expect_error(5, "  - {name: t1, dataset: d1, remap: {3: 0, 4: 0}}",
                 "line 5, column 36:", "task 't1' has fewer than 2 classes");
    expect_error(5, "  - {name: t1, dataset: d1, classes: [0, 5], remap: {0: 0, 1: 1}}",
                 "line 5, column 42:", "class 5 is no value of its remap");
    expect_error(5, "  - {name: t1, dataset: d1, datasets: [d2]}",
                 "line 5, column 29:", "give either dataset or datasets");
    expect_error(5, "  - {name: t1, classes: all}",
                 "line 5, column 5:", "missing required key 'dataset'");
    expect_error(5, "  - {dataset: d1}", "line 5, column 5:", "task: missing required key 'name'");
    expect_error(5, "  - {name: t/1, dataset: d1}", "line 5,", "names may not contain");
    expect_error(10, "lambda: {m1: 0}",
                 "demo.yaml: line 10, column 14:", "lambda of 'm1' must be > 0");
    expect_error(10, "lambda: {m1: -0.5}", "line 10,", "must be > 0");
    expect_error(10, "lambda: {m1: abc}", "line 10,", "expected a number");
    expect_error(10, "lambda: {m3: 0.1}",
                 "line 10, column 10:", "lambda for 'm3', which is not in models");
    expect_error(7, "ks: [1, 5", "demo.yaml: line 8, column 6:",
                 "malformed YAML: did not find expected ',' or ']' while parsing a flow sequence "
                 "started at line 7");
    expect_error(2, "cube: [c.h5", "demo.yaml: line 3,", "malformed YAML:");
    expect_error(9, "", "demo.yaml: line 1, column 1:", "missing required key 'seeds'");
    expect_error(6, "",
                 "line 1, column 1:", "missing required key 'strategies' (or 'strategy_grid')");
    expect_error(10, "ks: [2]",
                 "line 10, column 1:", "duplicate key 'ks' in the job (first at line 7)");
    expect_error(7, "ks: 5", "line 7, column 5:", "ks: expected a list");
    expect_error_text("store: s\ncube: c\nmodels: [m]\ntasks: [{name: t, dataset: d}]\n"
                      "strategies: [l2/kmeans/l2/l2/max, l2/mean/l2/l2/max]\nks: [5]\nseeds: [1]\n",
                      "line 5, column 35:",
                      "strategy 'l2/mean/l2/l2/max' runs only at k = 1, which ks lacks (add it)");
    /* mean with mnn m = 50 needs a listed k >= 5 (rule 4 sees the k as listed) */
    expect_error_text("store: s\ncube: c\nmodels: [m]\ntasks: [{name: t, dataset: d}]\n"
                      "strategies: [l2/mean/l2/l2/mnn:50:cosine:uniform]\nks: [1, 2]\nseeds: [1]\n",
                      "line 5, column 14:", "runs at no k and shot of this job: mnn with m > 10*k");
    expect_error(6, "strategies: [none/all/none/none/max]", "line 6,", "runs only at k = -1");
    expect_error(
        6, "strategies: [l2/kmeans/l2/none/max]", "line 6,",
        "runs at no k and shot of this job: NORMpre other than none needs NORMinf = NORMpre");
    expect_error(6, "strategies: [l2/kmeans/l2/l2/mnn:60:cosine:uniform]", "line 6,",
                 "runs at no k and shot of this job: mnn with m > 10*k");
    expect_error(10, "---\nx: 1", "line 11, column 1:", "one YAML document");
    expect_error(
        6, "strategy_grid: {pre: [l2], gen: [kmeans], post: [none], inf: [none], agg: [max]}",
        "line 6, column 16:", "empty axis 'strategies': the strategy_grid leaves no strategy");
    expect_error(
        10,
        "strategy_grid: {pre: [none, none], gen: [kmeans], post: [none], inf: [none], agg: [max]}",
        "line 10, column 29:", "duplicate pre value 'none'");
}

static void test_load_files(void)
{
    imp_job *j = NULL;
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_job_load(IMP_SOURCE_DIR "/jobs/demo.yaml", &j, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "demo.yaml loads: %s", err.msg);
    if (rc)
        return;
    IMP_ASSERT_INT_EQ(strcmp(j->store_path, IMP_SOURCE_DIR "/jobs/../data/store.h5"), 0);
    IMP_ASSERT_INT_EQ(strcmp(j->cube_path, IMP_SOURCE_DIR "/jobs/../results/demo.h5"), 0);
    IMP_ASSERT_INT_EQ(j->n_models, 2);
    IMP_ASSERT_INT_EQ(strcmp(j->models[0], "pixels"), 0);
    IMP_ASSERT_INT_EQ(strcmp(j->models[1], "randfeat512"), 0);
    IMP_ASSERT_INT_EQ(j->n_tasks, 8);
    IMP_ASSERT_INT_EQ(j->tasks[3].n_classes, 3);
    IMP_ASSERT_INT_EQ(j->tasks[7].classes[0], 6); /* fmnist-hard lists the shirt first */
    IMP_ASSERT_INT_EQ(j->n_strategies, 5);
    IMP_ASSERT_INT_EQ(strcmp(j->strategies[2], "none/mean/none/none/nn:euclidean"), 0);
    IMP_ASSERT_INT_EQ(j->n_seeds, 3);
    IMP_ASSERT_INT_EQ(j->seeds[2], 12412312);
    imp_job_free(j);

    imp_err_clear(&err);
    /* a missing job file is bad input (exit 2), not an I/O failure */
    rc = imp_job_load(imp_test_path("missing.yaml"), &j, &err);
    IMP_ASSERT_INT_EQ(rc, IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "missing.yaml: cannot open the job file");

    /* an error from a file names the file as given */
    const char *bad = "store: s\ncube: c\nmodels: [m]\ntasks: [{name: t, dataset: d}]\n"
                      "strategies: [l2/kmeans/l2/l2/max]\nks: [1]\nseeds: [1]\nshots: [0]\n";
    const char *path = imp_test_path("bad.yaml");
    IMP_ASSERT_INT_EQ(imp_test_write_file(path, bad, strlen(bad)), 0);
    rc = imp_job_load(path, &j, &err);
    IMP_ASSERT_INT_EQ(rc, IMP_EINPUT);
    char want[1100];
    snprintf(want, sizeof want, "%s: line 8, column 9: shot must be >= 1", path);
    IMP_ASSERT_STR_CONTAINS(err.msg, want);
}

/* ---- store check with a fake store ---- */

typedef struct fake_ds {
    const char *model, *dataset;
    int32_t labels[12];
    size_t n;
} fake_ds;

static const fake_ds FAKE[] = {
    {"m1", "d1", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10},
    {"m1", "d2", {0, 1, 2}, 3},
    {"m1", "big", {0, 1, 2, 11}, 4},
    {"m2", "d1", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10},
    {"m2", "d2", {0, 1, 2}, 3},
    {"m2", "big", {0, 1, 2, 11}, 4},
    {"m2", "only2", {4, 5}, 2},
    {"m1", "one", {4}, 1},
    {"m2", "one", {4}, 1},
};

static int fake_has_model(void *ctx, const char *model, imp_err *err)
{
    (void)ctx;
    (void)err;
    return strcmp(model, "m1") == 0 || strcmp(model, "m2") == 0;
}

static int fake_labels(void *ctx, const char *model, const char *dataset, int32_t **labels,
                       size_t *n, imp_err *err)
{
    (void)ctx;
    if (strcmp(dataset, "broken") == 0)
        return imp_err_set(err, IMP_EHDF5, "cannot read /%s/%s/train/y", model, dataset);
    for (size_t i = 0; i < sizeof FAKE / sizeof FAKE[0]; i++)
        if (strcmp(FAKE[i].model, model) == 0 && strcmp(FAKE[i].dataset, dataset) == 0) {
            *labels = malloc(FAKE[i].n * sizeof **labels);
            memcpy(*labels, FAKE[i].labels, FAKE[i].n * sizeof **labels);
            *n = FAKE[i].n;
            return 0;
        }
    return IMP_ENOTFOUND;
}

static void expect_store(int line, const char *repl, int code, const char *needle)
{
    const char *text = with_line(line, repl);
    imp_job *job = NULL;
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_job_parse(text, strlen(text), "demo.yaml", NULL, &job, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "parses: %s", err.msg);
    if (rc)
        return;
    imp_store_view sv = {NULL, fake_has_model, fake_labels};
    rc = imp_job_check_store(job, &sv, &err);
    IMP_ASSERT_INT_EQ(rc, code);
    IMP_ASSERT_STR_CONTAINS(err.msg, needle);
    imp_job_free(job);
}

static void test_store_check(void)
{
    const char *text =
        with_line(5, "  - {name: t1, dataset: d1}\n"
                     "  - {name: t2, datasets: [d1, d2], remap: {0: 0, 10: 0, 1: 1, 11: 1}}");
    imp_job *job = parse_ok(text, NULL);
    if (!job)
        return;
    imp_store_view sv = {NULL, fake_has_model, fake_labels};
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_job_check_store(job, &sv, &err), 0);
    /* classes: all resolved from the store */
    IMP_ASSERT_INT_EQ(job->tasks[0].n_classes, 10);
    IMP_ASSERT_INT_EQ(job->tasks[0].classes[9], 9);
    IMP_ASSERT_INT_EQ(imp_task_class_index(&job->tasks[0], 0, 7), 7);
    IMP_ASSERT_INT_EQ(job->tasks[1].n_classes, 2);
    imp_job_free(job);

    expect_store(3, "models: [m1, m3]", IMP_EINPUT,
                 "demo.yaml: line 3, column 14: model 'm3' is not in the store s.h5");
    expect_store(5, "  - {name: t1, dataset: d9}", IMP_EINPUT,
                 "demo.yaml: line 5, column 25: dataset 'd9' of task 't1' is not in the store s.h5 "
                 "for model 'm1'");
    expect_store(
        5, "  - {name: t1, datasets: [d1, only2]}", IMP_EINPUT,
        "line 5, column 31: dataset 'only2' of task 't1' is not in the store s.h5 for model 'm1'");
    expect_store(5, "  - {name: t1, dataset: d2, classes: [0, 1, 7]}", IMP_EINPUT,
                 "demo.yaml: line 5, column 45: task 't1': class 7 is not present in dataset 'd2'");
    expect_store(5, "  - {name: t1, datasets: [d1, d2], classes: [0, 13]}", IMP_EINPUT,
                 "line 5, column 49: task 't1': class 13 is not present in datasets");
    expect_store(5, "  - {name: t1, datasets: [d2, d1], remap: {0: 0, 10: 0, 5: 1}}", IMP_EINPUT,
                 "line 5, column 57: task 't1': remap key 5 is no label of its data");
    expect_store(
        5, "  - {name: t1, datasets: [big, d1]}", IMP_EINPUT,
        "line 5, column 27: dataset 'big' of task 't1' has label 11; concatenated datasets "
        "need labels 0..9");
    expect_store(5, "  - {name: t1, dataset: one}", IMP_EINPUT,
                 "line 5, column 5: task 't1' has fewer than 2 classes in the store");
    expect_store(
        5, "  - {name: t1, dataset: broken}", IMP_EHDF5,
        "demo.yaml: line 5, column 25: task 't1', dataset 'broken', model 'm1': cannot read "
        "/m1/broken/train/y");
    /* a single dataset may have any labels */
    expect_store(5, "  - {name: t1, dataset: big, classes: [2, 11]}", 0, "");
}

int main(void)
{
    static const imp_test tests[] = {
        {"every_key", test_every_key},
        {"errors", test_errors},
        {"load_files", test_load_files},
        {"store_check", test_store_check},
        {NULL, NULL},
    };
    return imp_test_main("job", tests);
}
