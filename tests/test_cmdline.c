/* test_cmdline.c — one coherent command line: the result commands take a job or a cube,
 * read-only commands say "read", plan and the report count the same GEN computations, a
 * degenerate Friedman statistic is a sentence, merge leaves nothing behind, the paper's names
 * work in a job, k and shot above a class's rows are explained, installed example jobs are
 * templates, and mistyped commands and options get "did you mean". */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "imprint/cube.h"
#include "imprint/journal.h" /* IMP_CELL_DONE */
#include "plotfig.h"
#include "testutil.h"

/* imprint ARGS exits want with needle (may be NULL) in its output; returns the output. */
static char *run(int want, const char *needle, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *run(int want, const char *needle, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *out = NULL;
    int rc = imp_test_tool_args(&out, args);
    imp__assert_msg(rc == want, __LINE__, __FILE__, "imprint %s: exit %d, want %d\n%s", args, rc,
                    want, out ? out : "");
    if (needle)
        imp__assert_msg(out && strstr(out, needle), __LINE__, __FILE__,
                        "imprint %s: no '%s' in:\n%s", args, needle, out ? out : "");
    return out;
}
#define RUN(want, needle, ...) free(run(want, needle, __VA_ARGS__))

/* The suite's fixture: a store of 3 classes with 2 rows each (2-d, well separated), s.h5.
 * make_job writes a job over it with the paper's names: Qi, Janson and Oracle draw nothing
 * (one GEN for every seed), Ours does. */
static void setup(void)
{
    float X[6 * 2] = {0, 1, 0, 2, 5, 5, 5, 6, 9, 0, 9, 1};
    int32_t y[6] = {0, 0, 1, 1, 2, 2};
    CU_ASSERT_FATAL(imp_test_write_store(imp_test_path("s.h5"), "m", "d", X, y, 6, X, y, 6, 2) ==
                    0);
}

static void make_job(const char *name, const char *cube)
{
    char job[1024];
    snprintf(job, sizeof job,
             "store: s.h5\ncube: %s\nmodels: [m]\n"
             "tasks:\n  - {name: t, dataset: d, classes: all}\n"
             "  - {name: u, dataset: d, classes: [0, 2]}\n"
             "strategies: [Qi, Janson, Ours, Oracle]\nks: [1, 2]\nseeds: [1, 2, 3]\n", cube);
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path(name), job, strlen(job)) == 0);
}

/* status, export, analyze and report take the job or the cube, and only read */
static void test_job_or_cube(void)
{
    make_job("jc.yaml", "jc.h5");
    char job[800], cube[800];
    snprintf(job, sizeof job, "%s", imp_test_path("jc.yaml"));
    snprintf(cube, sizeof cube, "%s", imp_test_path("jc.h5"));
    RUN(0, NULL, "sweep %s", job);
    char *a = run(0, NULL, "export %s --csv -", cube);
    char *b = run(0, NULL, "export %s --csv -", job);
    IMP_ASSERT_INT_EQ(strcmp(a, b), 0); /* the same cells, the same journal line */
    IMP_ASSERT_STR_CONTAINS(a, "jc.h5.journal read (");
    CU_ASSERT(strstr(a, "merged") == NULL);
    free(a), free(b);
    a = run(0, "cells: 48 (valid 30): done 30, pending 0", "status %s", job);
    IMP_ASSERT_STR_CONTAINS(a, "cube: ");
    IMP_ASSERT_STR_CONTAINS(a, "jc.h5\n");
    CU_ASSERT(strstr(a, "merged") == NULL);
    free(a);
    a = run(0, "Friedman", "analyze %s", job);
    CU_ASSERT(strstr(a, "merged") == NULL);
    free(a);
    RUN(0, NULL, "report %s --out %s/rep", job, imp_test_tmpdir());
    struct stat st;
    CU_ASSERT(stat(imp_test_path("rep/index.html"), &st) == 0);
    /* text that is no job: both readings named; a .yaml with a mistake: the job's error */
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("notes.txt"), "hello\n", 6) == 0);
    RUN(2, "notes.txt: neither a result cube (not an HDF5 file, or truncated or corrupt) nor a "
           "job file", "status %s", imp_test_path("notes.txt"));
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("bad.yaml"), "store: s.h5\nbogus: 1\n", 21) == 0);
    RUN(2, "bad.yaml: line 2, column 1: unknown key 'bogus'", "export %s --csv -",
        imp_test_path("bad.yaml"));
}

/* the GEN computations plan counts are the ones the report's figure counts */
static void test_gen_counts_agree(void)
{
    make_job("gc.yaml", "gc.h5");
    /* per task: Qi 1, Janson 1, Oracle 1 (no random draw at shot all: one for the three
     * seeds), Ours at k = 1 and k = 2: 3 each → 9; two tasks → 18 */
    RUN(0, "GEN         18 distinct computations for the whole grid", "plan %s",
        imp_test_path("gc.yaml"));
    RUN(0, "\"gen_computations\":18,", "plan %s --json", imp_test_path("gc.yaml"));
    RUN(0, NULL, "sweep %s", imp_test_path("gc.yaml"));
    imp_cube *c = NULL;
    imp_err err;
    CU_ASSERT_FATAL(imp_cube_read(imp_test_path("gc.h5"), &c, &err) == 0);
    imp_fig f;
    IMP_ASSERT_INT_EQ(imp_fig_gen_seconds(c, &f, &err), 0);
    IMP_ASSERT_STR_CONTAINS(f.note, "18 GEN computations");
    imp_fig_free(&f);
    imp_cube_free(c);
}

/* every voter ranks three competitors the same way: Iman-Davenport's F has no finite value */
static void test_friedman_perfect_agreement(void)
{
    static char *models[] = {"m"}, *tasks[] = {"t1", "t2", "t3", "t4"};
    static char *strats[] = {"l2/mean/l2/l2/max", "none/mean/none/none/nn:euclidean",
                             "none/ls/none/none/max"};
    static int64_t ks[] = {1}, shots[] = {-1}, seeds[] = {1};
    imp_axes a = {.n_model = 1, .model = models, .n_task = 4, .task = tasks, .n_strategy = 3,
                       .strategy = strats, .n_k = 1, .k = ks, .n_shot = 1, .shot = shots,
                       .n_seed = 1, .seed = seeds};
    imp_cube *c;
    imp_err err;
    CU_ASSERT_FATAL(imp_cube_create(&a, NULL, &c, &err) == 0);
    size_t idx[IMP_AX__COUNT];
    for (uint64_t i = 0; i < 12; i++) {
        imp_axes_cell_coords(&a, i, idx);
        c->status[i] = IMP_CELL_DONE;
        c->accuracy[i] = (float)(50 + 10 * idx[IMP_AX_STRATEGY] + idx[IMP_AX_TASK]);
    }
    imp_test_cube_keys(c);
    CU_ASSERT_FATAL(imp_cube_set_attrs(c, "store: s.h5\n", "s.h5", 0, &err) == 0);
    CU_ASSERT_FATAL(imp_cube_write(c, imp_test_path("fr.h5"), &err) == 0);
    imp_cube_free(c);
    char *out = run(0, "the agreement is perfect, so the Iman-Davenport F has no finite value",
                    "analyze %s", imp_test_path("fr.h5"));
    /* chi2 = 12 / (N k (k + 1)) * sum R^2 - 3 N (k + 1) = 12/48 * (16 + 64 + 144) - 48 = 8 */
    IMP_ASSERT_STR_CONTAINS(out, "Friedman: chi2 = 8.000000, df = 2");
    CU_ASSERT(strstr(out, "inf") == NULL);
    free(out);
}

/* two shards merged: no lock file, no shard progress file left */
static void test_merge_leaves_nothing(void)
{
    make_job("mg.yaml", "mg.h5");
    const char *job = imp_test_path("mg.yaml");
    char j[800];
    snprintf(j, sizeof j, "%s", job);
    RUN(0, NULL, "sweep %s --shard 0/2", j);
    RUN(0, NULL, "sweep %s --shard 1/2", j);
    struct stat st;
    CU_ASSERT(stat(imp_test_path("mg.h5.shard-0-of-2.progress.json"), &st) == 0); /* made */
    RUN(0, "30 of 30 cells done", "merge %s", j);
    char *out = NULL;
    imp_test_sh(&out, "cd '%s' && ls -a | grep '^mg\\.h5' | tr '\\n' ' '", imp_test_tmpdir());
    /* the grid is complete: the shard journals went too; what stays is the cube, its journal
     * and the store's fingerprint cache */
    IMP_ASSERT_INT_EQ(strcmp(out, "mg.h5 mg.h5.fingerprints mg.h5.journal "), 0);
    CU_ASSERT(strstr(out, "lock") == NULL && strstr(out, "shard") == NULL &&
              strstr(out, "tmp") == NULL);
    free(out);
}

/* the paper's names in a job, and a misspelled one */
static void test_paper_names_in_job(void)
{
    make_job("pn.yaml", "pn.h5");
    RUN(0, NULL, "sweep %s", imp_test_path("pn.yaml"));
    imp_cube *c = NULL;
    imp_err err;
    CU_ASSERT_FATAL(imp_cube_read(imp_test_path("pn.h5"), &c, &err) == 0);
    IMP_ASSERT_INT_EQ(c->axes.n_strategy, 4);
    const char *want[] = {"l2/mean/l2/l2/max", "none/mean/none/none/nn:euclidean",
                          "l2/kmeans/l2/l2/max", "none/ls/none/none/max"};
    for (size_t i = 0; i < 4 && i < c->axes.n_strategy; i++)
        imp__assert_msg(strcmp(c->axes.strategy[i], want[i]) == 0, __LINE__, __FILE__,
                        "strategy %zu: %s, want %s", i, c->axes.strategy[i], want[i]);
    imp_cube_free(c);
    static const char bad[] = "store: s.h5\ncube: x.h5\nmodels: [m]\n"
                              "tasks:\n  - {name: t, dataset: d, classes: all}\n"
                              "strategies: [Qi, ours]\nks: [1]\nseeds: [1]\n";
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("pn-bad.yaml"), bad, strlen(bad)) == 0);
    RUN(2, "pn-bad.yaml: line 6, column 18: strategy 'ours': expected 5 parts "
           "PRE/GEN/POST/INF/AGG, e.g. l2/kmeans/l2/l2/max (or a paper name: Qi, Hosoda, "
           "Janson, Ours, Oracle)", "plan %s", imp_test_path("pn-bad.yaml"));
}

/* k and shot above a class's rows: eval and plan say what happens (2 rows per class) */
static void test_k_and_shot_above_class(void)
{
    make_job("ks.yaml", "ks.h5");
    char s[800];
    snprintf(s, sizeof s, "%s", imp_test_path("s.h5"));
    char *out = run(0, "note        k = 5 is more than the training rows of 3 of the 3 classes "
                       "(the fewest: 2): every row of such a class becomes a proxy",
                    "eval --store %s --model m --dataset d --strategy Ours --k 5", s);
    IMP_ASSERT_STR_CONTAINS(out, "n_proxies   6\n"); /* what the note says: 3 x 2 rows */
    free(out);
    RUN(0, "\"note\":\"shot = 4 is more than the training rows of 3 of the 3 classes (the "
           "fewest: 2): each such class is used whole\"",
        "eval --store %s --model m --dataset d --strategy Qi --shot 4 --json", s);
    out = run(0, NULL, "eval --store %s --model m --dataset d --strategy Qi", s);
    CU_ASSERT(strstr(out, "note") == NULL); /* nothing exceeds: nothing said */
    free(out);
    static const char job[] = "store: s.h5\ncube: ks.h5\nmodels: [m]\n"
                              "tasks:\n  - {name: t, dataset: d, classes: all}\n"
                              "strategies: [Ours, none/kls/none/none/max]\nks: [1, 5]\n"
                              "seeds: [1]\n";
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("ks.yaml"), job, strlen(job)) == 0);
    out = run(0, "note        task t: k = 5 is more than the training rows of 3 of the 3 "
                 "classes (the fewest: 2): every row of such a class becomes a proxy "
                 "(l2/kmeans/l2/l2/max)", "plan %s", imp_test_path("ks.yaml"));
    IMP_ASSERT_STR_CONTAINS(out, "kls keeps every row of such a class as a proxy, unchanged "
                                 "(none/kls/none/none/max)");
    free(out);
    /* --json: the same notes, on stderr beside the JSON */
    char *err_only = NULL;
    CU_ASSERT(imp_test_sh(&err_only, "{ '%s' plan '%s' --json 2>&1 >/dev/null; }", IMP_TOOL_PATH,
                          imp_test_path("ks.yaml")) == 0);
    IMP_ASSERT_STR_CONTAINS(err_only, "note        task t: k = 5 is more than the training rows");
    free(err_only);
}

/* a job in an installed share/imprint/jobs folder is a template: plan says so, sweep refuses */
static void test_installed_example(void)
{
    make_job("ex.yaml", "ex.h5");
    CU_ASSERT_FATAL(imp_test_sh(NULL, "mkdir -p '%s/pfx/share/imprint/jobs' && cp '%s' '%s' "
                                      "'%s/pfx/share/imprint/jobs/'", imp_test_tmpdir(),
                                imp_test_path("ex.yaml"), imp_test_path("s.h5"),
                                imp_test_tmpdir()) == 0);
    char p[900];
    snprintf(p, sizeof p, "%s/pfx/share/imprint/jobs/ex.yaml", imp_test_tmpdir());
    RUN(0, "is an example installed with imprint, a template to copy", "plan %s", p);
    RUN(2, "copy it to a folder of yours (cp ", "sweep %s", p);
    struct stat st;
    char cube[900];
    snprintf(cube, sizeof cube, "%s/pfx/share/imprint/jobs/ex.h5", imp_test_tmpdir());
    CU_ASSERT(stat(cube, &st) != 0); /* nothing written into the "installation" */
}

static void test_did_you_mean(void)
{
    RUN(2, "'stauts' is not an imprint command; did you mean 'status'?", "stauts");
    RUN(2, "'anlyze' is not an imprint command; did you mean 'analyze'?", "help anlyze");
    char *out = run(2, "'frobnicate' is not an imprint command", "frobnicate");
    CU_ASSERT(strstr(out, "did you mean") == NULL); /* nothing close: no guess */
    free(out);
    RUN(2, "unknown option '--cvs'; did you mean '--csv'?", "export c.h5 --cvs x");
    RUN(2, "unknown option '--strategi'; did you mean '--strategy'?", "eval --strategi Qi");
    RUN(2, "unknown option '--datset' for 'ingest idx'; did you mean '--dataset'?",
        "ingest idx --datset x");
    RUN(2, "unknown option '--v1job'; did you mean '--v1-job'?", "merge j.yaml --v1job x");
    RUN(2, "unknown option '--hlep'; did you mean '--help'?", "status --hlep");
}

int main(void)
{
    static const imp_test tests[] = {
        {"status, export, analyze, report take a job or a cube", test_job_or_cube},
        {"plan and the report count the same GEN computations", test_gen_counts_agree},
        {"Friedman on perfectly consistent ranks", test_friedman_perfect_agreement},
        {"merge leaves nothing behind", test_merge_leaves_nothing},
        {"paper names in a job's strategies", test_paper_names_in_job},
        {"k and shot above a class's rows", test_k_and_shot_above_class},
        {"installed example jobs are templates", test_installed_example},
        {"did you mean", test_did_you_mean},
        {NULL, NULL},
    };
    return imp_test_main_setup("cmdline", setup, tests);
}
