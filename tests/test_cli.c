/* test_cli.c — the tool's command line: help, version, and every usage error with its exit
 * code and message. */
#include <stdlib.h>
#include <string.h>

#include "imprint/cube.h"
#include "imprint/store.h"
#include "imprint/strategy.h"
#include "imprint/version.h"
#include "testutil.h"

static void expect(int want_rc, const char *needle, const char *args)
{
    char *out = NULL;
    int rc = imp_test_tool(&out, "%s", args);
    imp__assert_msg(rc == want_rc, __LINE__, __FILE__, "imprint %s: exit %d, expected %d; output:\n%s",
                    args, rc, want_rc, out ? out : "");
    if (needle)
        IMP_ASSERT_STR_CONTAINS(out, needle);
    free(out);
}

static void test_help_and_version(void)
{
    expect(0, "usage: imprint", "--help");
    expect(0, "usage: imprint", "help");
    expect(0, "imprint " IMPRINT_VERSION " (git ", "--version");
    /* the commit this checkout is at (what the build was configured from), else unknown */
    char *head = NULL, want[96];
    if (imp_test_sh(&head, "git -C '%s' rev-parse HEAD 2>/dev/null", IMP_SOURCE_DIR) == 0 && head &&
        strlen(head) >= 12)
        snprintf(want, sizeof want, "imprint " IMPRINT_VERSION " (git %.12s", head);
    else
        snprintf(want, sizeof want, "imprint " IMPRINT_VERSION " (git unknown)");
    free(head);
    expect(0, want, "--version");
    expect(0, "usage: imprint plan JOB.yaml", "help plan");
    expect(0, "usage: imprint eval --store S.h5", "help eval");
    expect(2, "'frob' is not an imprint command", "help frob");
    expect(2, "usage: imprint", "");
    const char *cmds[] = {"ingest", "store", "eval", "status", "export", "analyze", "plan",
                          "sweep", "nc1", NULL};
    for (int i = 0; cmds[i]; i++) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", cmds[i]);
        char needle[64];
        snprintf(needle, sizeof needle, "usage: imprint %s", cmds[i]);
        expect(0, needle, args);
    }
}

static void test_usage_errors(void)
{
    expect(2, "'frobnicate' is not an imprint command", "frobnicate");
    expect(2, "which source?", "ingest");
    expect(2, "unknown source 'cifar'", "ingest cifar --store x.h5");
    expect(2, "--store S.h5 is required", "ingest fashion-mnist");
    expect(2, "unknown option '--bogus'", "ingest fashion-mnist --bogus 1 --store x.h5");
    expect(2, "option --store needs a value", "ingest fashion-mnist --store");
    expect(2, "unknown model 'resnet'", "ingest fashion-mnist --store x.h5 --model resnet");
    expect(2, "model 'pixels' given twice", "ingest fashion-mnist --store x.h5 --model pixels --model pixels");
    expect(2, "--dataset NAME is required", "ingest idx --store x.h5");
    expect(2, "--train-images FILE is required", "ingest idx --dataset d --store x.h5");
    expect(2, "unknown option '--dir' for 'ingest idx'", "ingest idx --dir /tmp --store x.h5");
    expect(2, "needs the directory DIR", "ingest reference --store x.h5");
    expect(2, "not a directory", "ingest reference /nonexistent/dir --store x.h5");
    expect(2, "which store?", "store");
    expect(2, "unknown option '--all'", "store --all");
    expect(2, "cannot read the embedding store", "store /nonexistent/s.h5");
    expect(2, "which cube?", "status");
    expect(2, "unknown option '--all'", "status c.h5 --all");
    expect(2, "option --failures needs a value", "status c.h5 --failures");
    expect(2, "one cube at a time", "status a.h5 b.h5");
    expect(2, "which cube?", "export --csv x.csv");
    expect(2, "--csv OUT.csv is required", "export c.h5");
    expect(2, "which cube?", "analyze");
    expect(2, "unknown option '--frob'", "analyze c.h5 --frob");
    expect(2, "option --where needs a value", "analyze c.h5 --where");
    expect(2, "--top '1': expected a count >= 2", "analyze c.h5 --top 1");
    expect(2, "No such file or directory", "analyze /nonexistent/c.h5");
}

static void test_fashion_mnist_dir_missing(void)
{
    /* --dir without the files names the directory and the Debian package */
    char args[1024];
    snprintf(args, sizeof args, "ingest fashion-mnist --dir %s --store %s", imp_test_tmpdir(),
             imp_test_path("s.h5"));
    expect(2, "dataset-fashion-mnist", args);
}

/* /m/d: 3 classes of 2 well-separated 2-d points, the same rows in train and test */
static void small_store(const char *store)
{
    float X[6 * 2] = {0, 1, 0, 2, 5, 5, 5, 6, 9, 0, 9, 1};
    int32_t y[6] = {0, 0, 1, 1, 2, 2};
    imp_store_tx *tx;
    imp_err err;
    CU_ASSERT_EQUAL_FATAL(imp_store_tx_begin(store, &tx, &err), 0);
    CU_ASSERT_EQUAL_FATAL(imp_store_tx_put(tx, "m", "d", "train", X, y, 6, 2, &err), 0);
    CU_ASSERT_EQUAL_FATAL(imp_store_tx_put(tx, "m", "d", "test", X, y, 6, 2, &err), 0);
    CU_ASSERT_EQUAL_FATAL(imp_store_tx_commit(tx, &err), 0);
}

/* eval and nc1 on a small store: every usage and input error exits 2 with its reason */
static void test_eval_errors(void)
{
    char store[800];
    snprintf(store, sizeof store, "%s", imp_test_path("ev.h5"));
    small_store(store);
    imp_err err;
    char a[1024];
#define EV(rc, needle, ...)                                                                    \
    do {                                                                                       \
        snprintf(a, sizeof a, "eval --store %s --model m --dataset d " __VA_ARGS__);          \
        expect(rc, needle, a);                                                                 \
    } while (0)
    /* nearest class mean on well-separated points: every training row is classified right */
    EV(0, "accuracy    100.00 % (6 of 6 test rows)", "--strategy none/mean/none/none/nn:euclidean", store);
    EV(2, "unknown GEN 'kmean'", "--strategy l2/kmean/l2/l2/max", store);
    /* the paper's names, as analyze takes them; Ours is k-means with k = 20 */
    EV(0, "/ l2/kmeans/l2/l2/max, k = 20, shot = all", "--strategy Ours", store);
    EV(0, "/ l2/kmeans/l2/l2/max, k = 3, shot = all", "--strategy Ours --k 3", store);
    EV(0, "/ none/mean/none/none/nn:euclidean, k = 1, shot = all", "--strategy Janson", store);
    EV(0, "accuracy    100.00 % (6 of 6 test rows)", "--strategy Janson", store);
    EV(0, "/ none/ls/none/none/max, k = 1", "--strategy Oracle", store);
    EV(0, "/ none/mean/quantile/none/max, k = 1", "--strategy Hosoda", store);
    EV(0, "/ l2/mean/l2/l2/max, k = 1", "--strategy Qi", store);
    EV(2, "(or a paper name: Qi, Hosoda, Janson, Ours, Oracle)", "--strategy ours", store);
    /* threads: Slurm's allocation, else the affinity mask, not every CPU online */
    char *out = NULL;
    int rc = imp_test_sh(&out, "SLURM_CPUS_PER_TASK=3 '%s' eval --store %s --model m --dataset d "
                               "--strategy Qi --json", IMP_TOOL_PATH, store);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "\"threads\":3}");
    free(out);
    if (imp_test_sh(NULL, "command -v taskset >/dev/null") == 0) {
        rc = imp_test_sh(&out, "env -u SLURM_CPUS_PER_TASK taskset -c 0 '%s' eval --store %s "
                               "--model m --dataset d --strategy Qi --json", IMP_TOOL_PATH, store);
        IMP_ASSERT_INT_EQ(rc, 0);
        IMP_ASSERT_STR_CONTAINS(out, "\"threads\":1}");
        free(out);
    }
    EV(2, "--k '0': expected an integer >= 1", "--strategy l2/kmeans/l2/l2/max --k 0", store);
    EV(2, "--k '-2'", "--strategy l2/kmeans/l2/l2/max --k -2", store);
    EV(2, "--shot '0': expected all or an integer >= 1", "--strategy l2/mean/l2/l2/max --shot 0", store);
    EV(2, "label 7 is not in /m/d/train/y", "--strategy l2/mean/l2/l2/max --classes 0,7", store);
    EV(2, "at least 2 classes", "--strategy l2/mean/l2/l2/max --classes 1", store);
    EV(2, "--lambda '0': expected a number > 0", "--strategy none/ls/none/none/max --lambda 0", store);
    EV(2, "--lambda '-1'", "--strategy none/ls/none/none/max --lambda -1", store);
    EV(2, "excluded by the grid rules: mean and ls only at k = 1", "--strategy l2/mean/l2/l2/max --k 5", store);
    EV(2, "NORMpre other than none needs NORMinf", "--strategy l2/mean/l2/none/max", store);
    EV(2, "--seed 'x'", "--strategy l2/mean/l2/l2/max --seed x", store);
    EV(2, "--strategy are required", "", store);
    expect(2, "cannot read the embedding store", "eval --store /nonexistent.h5 --model m --dataset d --strategy l2/mean/l2/l2/max");
    snprintf(a, sizeof a, "eval --store %s --model nope --dataset d --strategy l2/mean/l2/l2/max", store);
    expect(2, "/nope (unknown model)", a);
    snprintf(a, sizeof a, "nc1 --store %s --model m --dataset d --split val", store);
    expect(2, "--split 'val': expected train or test", a);
    snprintf(a, sizeof a, "nc1 --store %s --model m --dataset d --remap 0:0,1:2", store);
    expect(2, "no label maps to 1", a);
#undef EV
    /* a sweep's cube records the build's version (release and git commit) */
    static const char job_text[] = "store: ev.h5\ncube: ev-cube.h5\nmodels: [m]\n"
                                   "tasks:\n  - {name: t, dataset: d, classes: all}\n"
                                   "strategies: [l2/mean/l2/l2/max]\nks: [1]\nseeds: [1]\n";
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("ev.yaml"), job_text, strlen(job_text)) == 0);
    rc = imp_test_sweep(&out, imp_test_path("ev.yaml"));
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "sweep: exit %d\n%s", rc, out);
    free(out);
    imp_cube *c = NULL;
    CU_ASSERT_FATAL(imp_cube_read(imp_test_path("ev-cube.h5"), &c, &err) == 0);
    imp__assert_msg(strcmp(c->imprint_version, imp_version()) == 0, __LINE__, __FILE__,
                    "cube imprint_version '%s', build '%s'", c->imprint_version, imp_version());
    CU_ASSERT(strstr(c->imprint_version, "(git ") != NULL);
    imp_cube_free(c);
}

/* plan of every paper job without its store (copies under a directory without data/): the
 * reference's run counts (as in test_grid.c), the skipped checks, no cost unless
 * --dims */
static void test_plan_without_store(void)
{
    static const struct {
        const char *job;
        long valid;
    } jobs[] = {
        {"paper-aggfixed", 41472 + 864},       {"paper-aggfocus", 283392 + 17136},
        {"paper-fewshot", 2100 + 2100},        {"paper-fig6", 1836},
        {"paper-nc", 360 + 180 + 1080 + 540},  {"paper-imagenet", 36000 + 18000},
    };
    CU_ASSERT_FATAL(imp_test_sh(NULL, "mkdir -p '%s/plan/jobs' && cp '%s'/jobs/paper-*.yaml '%s/plan/jobs/'",
                                imp_test_tmpdir(), IMP_SOURCE_DIR, imp_test_tmpdir()) == 0);
    char a[1024], want[128];
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        snprintf(a, sizeof a, "plan %s/plan/jobs/%s.yaml", imp_test_tmpdir(), jobs[i].job);
        snprintf(want, sizeof want, "\nvalid cells: %ld\n", jobs[i].valid);
        expect(0, want, a);
        expect(0, "(not found: checked the job file alone)", a);
        expect(0, "skipped     the store checks: models and datasets present", a);
        expect(0, "cost        not estimated without the store", a);
        snprintf(a, sizeof a, "plan %s/plan/jobs/%s.yaml --json", imp_test_tmpdir(), jobs[i].job);
        snprintf(want, sizeof want, "\"valid_cells\":%ld,", jobs[i].valid); /* cJSON, unformatted */
        expect(0, want, a);
        expect(0, "\"cost\":null,", a);
        expect(0, "\"store_checked\":false,\"cost_estimated\":false}", a);
    }
    /* `classes: all` tasks stay unresolved, and the plan says so */
    snprintf(a, sizeof a, "plan %s/plan/jobs/paper-fig6.yaml", imp_test_tmpdir());
    expect(0, "skipped     the class count of 3 `classes: all` tasks", a);
    snprintf(a, sizeof a, "plan %s/plan/jobs/paper-fig6.yaml --dims 512", imp_test_tmpdir());
    expect(0, "multiply-adds, estimated", a);
    snprintf(a, sizeof a, "plan %s/plan/jobs/paper-fig6.yaml --dims 512 --ranks 4", imp_test_tmpdir());
    expect(0, "simulated: 4 ranks, makespan", a);
    snprintf(a, sizeof a, "plan %s/plan/jobs/paper-fig6.yaml --dims 0", imp_test_tmpdir());
    expect(2, "--dims: expected an embedding dimension", a);
}

/* every command parses with getopt_long: --opt=V, abbreviations, --, and the messages */
static void test_getopt(void)
{
    char store[800], a[2048];
    snprintf(store, sizeof store, "%s", imp_test_path("go.h5"));
    small_store(store);
    /* --opt=V and unambiguous abbreviations */
    snprintf(a, sizeof a, "eval --store=%s --mod=m --data d --strat Janson --js", store);
    expect(0, "\"accuracy\":100,\"correct\":6,\"total\":6,", a);
    snprintf(a, sizeof a, "eval --store %s --model m --dataset d --strategy=Ours --k=1", store);
    expect(0, "/ l2/kmeans/l2/l2/max, k = 1, shot = all", a);
    snprintf(a, sizeof a, "eval --store %s --model m --dataset d --s Qi", store);
    expect(2, "option '--s' is ambiguous (--store, --strategy, --shot, --seed)", a);
    expect(2, "option --json takes no value", "eval --json=yes");
    expect(2, "option --strategy needs a value", "eval --strat");
    expect(2, "unknown option '--bogus'", "eval --bogus=3");
    expect(2, "unknown option '-x'", "eval -x");
    expect(0, "usage: imprint eval", "eval --he");
    expect(0, "usage: imprint sweep", "sweep -h");
    /* -- ends the options: what follows is a file name, even one that starts with -- */
    expect(2, "--odd.h5", "status -- --odd.h5");
    expect(2, "one cube at a time", "status -- a.h5 b.h5");
    snprintf(a, sizeof a, "store -- %s", store);
    expect(0, "m                d", a);
    expect(2, "unknown option '--dir' for 'ingest idx'", "ingest idx --dir=/tmp --store x.h5");
    expect(2, "unknown option '--dataset' for 'ingest fashion-mnist'",
           "ingest fashion-mnist --dataset x --store x.h5");
    expect(2, "option --failures needs a value", "status c.h5 --fail");
    expect(2, "--top '1': expected a count >= 2", "analyze c.h5 --top=1");
    expect(2, "--drain-seconds 'x': expected seconds >= 0", "sweep j.yaml --drain=x");
    expect(2, "--alpha '2': expected a number in (0, 1)", "report c.h5 --out d --alp=2");
    expect(2, "option --out needs a value", "report c.h5 --out");
}

/* `imprint plan --fit-cost` writes the calibration in its name-keyed form (sched.c looks rates
 * up by name): one X("name", rate) row per GEN and per metric row, in table order, each rate a
 * positive number. */
static void test_fit_cost_by_name(void)
{
    CU_ASSERT_EQUAL_FATAL(imp_test_blob_store(imp_test_path("fit.h5")), 0);
    static const char job[] = "store: fit.h5\ncube: fit-cube.h5\nmodels: [toy]\n"
                              "tasks:\n  - {name: t, dataset: blobs, classes: all}\n"
                              "strategies: [none/mean/none/none/max, l2/kmeans/l2/l2/nn:cosine]\n"
                              "ks: [1, 2]\nseeds: [1, 2]\n";
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("fit.yaml"), job, strlen(job)) == 0);
    char *out = NULL;
    int rc = imp_test_sweep(&out, imp_test_path("fit.yaml"));
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "sweep: exit %d\n%s", rc, out);
    free(out);
    out = NULL;
    rc = imp_test_tool(&out, "plan '%s' --fit-cost", imp_test_path("fit.yaml"));
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "plan --fit-cost: exit %d\n%s", rc, out);
    const char *gen = strstr(out, "#define IMP_CALIB_GEN_RATES(X) \\\n");
    const char *cell = strstr(out, "#define IMP_CALIB_CELL_RATES(X) \\\n");
    CU_ASSERT_FATAL(gen && cell && gen < cell);
    int rows = 0;
    for (int i = 0; i < IMP_GEN__COUNT + IMP_METRIC__COUNT; i++) {
        const char *name = i < IMP_GEN__COUNT ? imp_gen_name((imp_gen)i)
                                              : imp_metric_name((imp_metric)(i - IMP_GEN__COUNT));
        char row[64];
        snprintf(row, sizeof row, "    X(\"%s\", ", name);
        const char *at = strstr(i < IMP_GEN__COUNT ? gen : cell, row);
        imp__assert_msg(at != NULL && (i >= IMP_GEN__COUNT || at < cell), __LINE__, __FILE__,
                        "no rate row %s in its block:\n%s", row, out);
        if (!at)
            continue;
        double rate = strtod(at + strlen(row), NULL);
        imp__assert_msg(rate > 0, __LINE__, __FILE__, "rate of %s: %g", name, rate);
        rows++;
    }
    IMP_ASSERT_INT_EQ(rows, IMP_GEN__COUNT + IMP_METRIC__COUNT);
    size_t xs = 0;
    for (const char *p = out; (p = strstr(p, "    X(\"")); p++)
        xs++;
    IMP_ASSERT_INT_EQ(xs, (size_t)(IMP_GEN__COUNT + IMP_METRIC__COUNT)); /* nothing else */
    free(out);
}

/* The words of help's list "LABEL: a|b|c;" (or "a, b, c,"), each '\0'-ended, into words. */
static int help_list(const char *help, const char *label, char words[][48], int max)
{
    const char *p = strstr(help, label);
    if (!p)
        return -1;
    p += strlen(label);
    int n = 0;
    while (*p && *p != ';' && *p != '\n' && n < max) {
        size_t len = strcspn(p, "|,;\n");
        snprintf(words[n++], 48, "%.*s", (int)len, p);
        p += len;
        if (*p == '|')
            p++;
        else if (*p == ',' && p[1] == ' ')
            p += 2;
        else if (*p == ',')
            p++;
    }
    return n;
}

static int has_word(char words[][48], int n, const char *w)
{
    for (int i = 0; i < n; i++)
        if (strcmp(words[i], w) == 0)
            return 1;
    return 0;
}

/* `imprint eval --help` lists every row of the strategy tables, each where it may stand, and
 * nothing else; the defaults it states follow the GEN table's columns. */
static void test_help_lists_tables(void)
{
    char *out = NULL;
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "eval --help"), 0);
    char w[32][48];
    int n;
    struct {
        const char *label;
        int part;
    } norms[] = {{" PRE: ", IMP_PART_PRE}, {" POST: ", IMP_PART_POST}, {" INF: ", IMP_PART_INF}};
    for (size_t p = 0; p < 3; p++) {
        n = help_list(out, norms[p].label, w, 32);
        int want = 0;
        for (int i = 0; i < IMP_NORM__COUNT; i++) {
            /* quantile maps proxies: a NORMpost only (docs/semantics.md) */
            int allowed = i != IMP_NORM_QUANTILE || norms[p].part == IMP_PART_POST;
            IMP_ASSERT_INT_EQ(has_word(w, n, imp_norm_name((imp_norm)i)), allowed);
            want += allowed;
        }
        IMP_ASSERT_INT_EQ(n, want);
    }
    n = help_list(out, " GEN: ", w, 32);
    IMP_ASSERT_INT_EQ(n, IMP_GEN__COUNT);
    for (int i = 0; i < IMP_GEN__COUNT; i++)
        IMP_ASSERT_INT_EQ(has_word(w, n, imp_gen_name((imp_gen)i)), 1);
    n = help_list(out, " METRIC: ", w, 32);
    IMP_ASSERT_INT_EQ(n, IMP_METRIC__COUNT - 1); /* inner is max's score only */
    for (int i = 0; i < IMP_METRIC__COUNT; i++)
        IMP_ASSERT_INT_EQ(has_word(w, n, imp_metric_name((imp_metric)i)), i != IMP_METRIC_INNER);
    n = help_list(out, " WEIGHT: ", w, 32);
    IMP_ASSERT_INT_EQ(n, IMP_WEIGHT__COUNT);
    IMP_ASSERT_INT_EQ(has_word(w, n, "uniform") && has_word(w, n, "distance"), 1);
    n = help_list(out, " AGG: ", w, 32);
    IMP_ASSERT_INT_EQ(n, IMP_AGG__COUNT);
    IMP_ASSERT_INT_EQ(has_word(w, n, "max"), 1);
    IMP_ASSERT_INT_EQ(has_word(w, n, "nn:METRIC"), 1);
    IMP_ASSERT_INT_EQ(has_word(w, n, "mnn:M:METRIC:WEIGHT"), 1);
    IMP_ASSERT_STR_CONTAINS(out, "(default: 1 for mean/ls, -1 for all, 20 otherwise)");
    IMP_ASSERT_STR_CONTAINS(out, "weight decay for ls/kls (default");
    free(out);
}

int main(void)
{
    static const imp_test tests[] = {
        {"help_and_version", test_help_and_version},
        {"help_lists_tables", test_help_lists_tables},
        {"fit_cost_by_name", test_fit_cost_by_name},
        {"eval_errors", test_eval_errors},
        {"usage_errors", test_usage_errors},
        {"fashion_mnist_dir_missing", test_fashion_mnist_dir_missing},
        {"plan_without_store", test_plan_without_store},
        {"getopt", test_getopt},
        {NULL, NULL},
    };
    return imp_test_main("cli", tests);
}
