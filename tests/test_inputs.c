/* test_inputs.c — hostile and unusual inputs through the tool, as users write them: stores
 * from h5py's defaults (float64 X, int64 y) and broken in one way each, job files with
 * mistakes, cube paths that cannot be written, a corrupt journal, a file that is not a cube.
 * Each bad input must give exit 2 and a message naming the file and the object. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/cube.h"
#include "imprint/journal.h" /* IMP_CELL_DONE */
#include "imprint/norm.h"
#include "testutil.h"

static char g_dir[600]; /* the stores of tests/inputs/mkstores.py */

static const char *store(const char *name)
{
    static char b[8][700];
    static int slot;
    char *p = b[slot++ & 7];
    snprintf(p, sizeof b[0], "%s/%s.h5", g_dir, name);
    return p;
}

/* imprint ARGS must exit want_rc with every needle (NULL-terminated) in its output. */
static void expect_v(int want_rc, const char *const *needles, const char *args)
{
    char *out = NULL;
    int rc = imp_test_tool(&out, "%s", args);
    imp__assert_msg(rc == want_rc, __LINE__, __FILE__, "imprint %s: exit %d, expected %d; output:\n%s",
                    args, rc, want_rc, out ? out : "");
    for (int i = 0; needles[i]; i++)
        IMP_ASSERT_STR_CONTAINS(out, needles[i]);
    free(out);
}
#define EXPECT(rc, args, ...) expect_v(rc, (const char *const[]){__VA_ARGS__, NULL}, args)

static char *eval_args(const char *name, const char *strategy)
{
    static char b[4][1400];
    static int slot;
    char *p = b[slot++ & 3];
    snprintf(p, sizeof b[0], "eval --store '%s' --model m --dataset ds --strategy %s", store(name),
             strategy);
    return p;
}

/* h5py's default dtypes and float16/uint8 are read like float32/int32: the blobs give 100 %
 * (hand-computable: class centres 10 apart, noise sd 0.1), and float64 gives the same
 * accuracy as the float32 copy of the same values. */
static void test_any_numeric_type(void)
{
    const char *strats[] = {"l2/mean/l2/l2/max", "none/mean/none/none/nn:euclidean",
                            "none/ls/none/none/max", NULL};
    for (int i = 0; strats[i]; i++) {
        EXPECT(0, eval_args("h5py", strats[i]), "accuracy    100.00 % (12 of 12 test rows)");
        EXPECT(0, eval_args("f32", strats[i]), "accuracy    100.00 % (12 of 12 test rows)");
        EXPECT(0, eval_args("f16", strats[i]), "accuracy    100.00 % (12 of 12 test rows)");
    }
    char args[900];
    snprintf(args, sizeof args, "store '%s'", store("h5py"));
    EXPECT(0, args, "m                ds           train         30      4        3");
}

static void test_values_that_do_not_fit(void)
{
    EXPECT(2, eval_args("bigx", "l2/mean/l2/l2/max"), "bigx.h5: /m/ds/train/X rows",
           "1 value(s) do not fit float32");
    EXPECT(2, eval_args("bigy", "l2/mean/l2/l2/max"),
           "bigy.h5: /m/ds/train/y[5] = 1099511627776 does not fit a 32-bit label");
    EXPECT(2, eval_args("floaty", "l2/mean/l2/l2/max"),
           "floaty.h5: /m/ds/train/y must be integer labels (found float)");
    EXPECT(2, eval_args("strx", "l2/mean/l2/l2/max"), "strx.h5: /m/ds/train/X must hold numbers");
}

/* A zero training row under NORMpre l2 stays zero (F.normalize's semantics, README
 * "Deliberate differences"): the class mean of the 29 others (≈ 10 e_1 / 1 = e_1, scaled by
 * 29/30) still points at the class, so every test row is right. */
static void test_zero_row(void)
{
    float X[2 * 3] = {0, 0, 0, 3, 0, 4};
    imp_l2_rows_noeps(X, 2, 3);
    for (int j = 0; j < 3; j++)
        IMP_ASSERT_INT_EQ(X[j] == 0.0f, 1);
    IMP_ASSERT_NEAR(X[3], 0.6, 1e-7);
    IMP_ASSERT_NEAR(X[5], 0.8, 1e-7);
    float Y[3] = {0, 0, 0};
    IMP_ASSERT_NEAR(imp_pre_divisor(Y, 3), 1.0, 0);
    EXPECT(0, eval_args("zero", "l2/mean/l2/l2/max"), "accuracy    100.00 % (12 of 12 test rows)");
    EXPECT(0, eval_args("zero", "l2/kmeans/l2/l2/max --k 2"),
           "accuracy    100.00 % (12 of 12 test rows)");
    EXPECT(0, eval_args("zero", "l2/mean/l2/l2/max --shot 5"), "(12 of 12 test rows)");
}

static void test_broken_stores(void)
{
    EXPECT(2, eval_args("nan", "l2/mean/l2/l2/max"),
           "nan.h5: /m/ds/test/X row 2 column 3 is NaN");
    EXPECT(2, eval_args("inf", "l2/mean/l2/l2/max"),
           "inf.h5: /m/ds/train/X row 7 column 0 is infinite");
    EXPECT(2, eval_args("dims", "l2/mean/l2/l2/max"),
           "dims.h5: /m/ds/train/X has d = 4 but /m/ds/test/X has d = 8");
    char args[900];
    snprintf(args, sizeof args, "store '%s'", store("dims"));
    EXPECT(2, args, "dims.h5: /m/ds: train X has d = 4 but test X has d = 8");
    EXPECT(2, eval_args("short", "l2/mean/l2/l2/max"),
           "short.h5: /m/ds/train/X has 30 rows but y has 27 labels");
    EXPECT(2, eval_args("emptycls", "l2/mean/l2/l2/max"),
           "emptycls.h5: /m/ds/test: task class 2 (label 2) has no rows");
    /* truncated at 2000 bytes, and not HDF5 at all */
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "head -c 2000 '%s' > '%s/cut.h5' && echo hello > '%s/junk.h5'",
                                  store("h5py"), g_dir, g_dir), 0);
    EXPECT(2, eval_args("cut", "l2/mean/l2/l2/max"), "cut.h5: ");
    EXPECT(2, eval_args("junk", "l2/mean/l2/l2/max"), "junk.h5: not an HDF5 file");
    snprintf(args, sizeof args, "store '%s'", store("cut"));
    EXPECT(2, args, "cut.h5: ");
    snprintf(args, sizeof args, "eval --store '%s' --model nosuch --dataset ds --strategy "
             "l2/mean/l2/l2/max", store("h5py"));
    EXPECT(2, args, "h5py.h5: no object /nosuch (unknown model)");
}

/* A job over the h5py store writing cube, with extra lines appended (may be NULL). */
static const char *job(const char *name, const char *cube, const char *extra)
{
    static char path[8][700];
    static int slot;
    char *p = path[slot++ & 7];
    snprintf(p, sizeof path[0], "%s/%s.yaml", g_dir, name);
    char text[4096];
    snprintf(text, sizeof text,
             "store: h5py.h5\n"
             "cube: %s\n"
             "models: [m]\n"
             "tasks:\n"
             "  - {name: t, dataset: ds, classes: all}\n"
             "strategies: [l2/mean/l2/l2/max, none/mean/none/none/nn:euclidean]\n"
             "ks: [1]\n"
             "seeds: [1, 2]\n%s",
             cube, extra ? extra : "");
    IMP_ASSERT_INT_EQ(imp_test_write_file(p, text, strlen(text)), 0);
    return p;
}

static void plan_fails(const char *name, const char *cube, const char *extra, const char *needle)
{
    char args[900];
    snprintf(args, sizeof args, "plan '%s'", job(name, cube, extra));
    char file[128];
    snprintf(file, sizeof file, "%s.yaml: ", name);
    EXPECT(2, args, file, needle);
}

static void test_job_mistakes(void)
{
    plan_fails("key", "c.h5", "bogus: 3\n", "unknown key 'bogus' in the job");
    job("model", "c.h5", NULL);
    /* one mistake each, made with sed in the valid job model.yaml */
    static const struct {
        const char *name, *sed, *needle, *needle2;
    } cases[] = {
        {"m2", "s/models: \\[m\\]/models: [nosuch]/",
         "m2.yaml: line 3, column 10: model 'nosuch' is not in the store", NULL},
        {"d2", "s/dataset: ds/dataset: nods/",
         "d2.yaml: line 5, column 24: dataset 'nods' of task 't' is not in the store", NULL},
        {"t2", "s/dataset: ds/datset: ds/", "t2.yaml: line 5, column 15: unknown key 'datset' in task",
         NULL},
        {"tab", "s/^  - {name/\\t- {name/", "tab.yaml: line 5, column 1: malformed YAML",
         "(a tab: YAML indents with spaces only)"},
        {"ka", "s/^ks: \\[1\\]/ks: [0]/", "ka.yaml: line 7, column 6: k must be >= 1 or -1", NULL},
        {"kb", "s/^ks: \\[1\\]/ks: [1, 99999999999999999999]/",
         "kb.yaml: line 7, column 9: k: expected an integer, got '99999999999999999999'", NULL},
        {"kc", "s/^ks: \\[1\\]/ks: [1, 9223372036854775807]/",
         "kc.yaml: line 7, column 9: k 9223372036854775807 is too large", NULL},
    };
    char args[900];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "cd '%s' && sed '%s' model.yaml > %s.yaml", g_dir,
                                      cases[i].sed, cases[i].name), 0);
        snprintf(args, sizeof args, "plan '%s/%s.yaml'", g_dir, cases[i].name);
        if (cases[i].needle2)
            EXPECT(2, args, cases[i].needle, cases[i].needle2);
        else
            EXPECT(2, args, cases[i].needle);
    }
    job("k0", "c.h5", "shots: [all]\n"); /* the baseline is valid */
    snprintf(args, sizeof args, "plan '%s/k0.yaml'", g_dir);
    EXPECT(0, args, "valid cells: 4");
    plan_fails("s0", "c.h5", "shots: [0]\n", "line 9, column 9: shot must be >= 1 or all, got 0");
    plan_fails("s1", "c.h5", "shots: [-5]\n", "shot must be >= 1 or all, got -5");
    plan_fails("s2", "c.h5", "shots: [99999999999999999999999]\n", "shot: expected an integer");
    /* 2000 ks x 2000 shots x 2000 seeds = 8e9 cells: refused before any allocation */
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "cd '%s' && /usr/bin/python3 -c \""
                                  "r = ','.join(str(i) for i in range(1, 2001)); "
                                  "print('store: h5py.h5\\ncube: big.h5\\nmodels: [m]\\ntasks:\\n"
                                  "  - {name: t, dataset: ds, classes: all}\\n"
                                  "strategies: [l2/kmeans/l2/l2/max]\\n"
                                  "ks: [' + r + ']\\nshots: [' + r + ']\\nseeds: [' + r + ']')\""
                                  " > big.yaml", g_dir), 0);
    snprintf(args, sizeof args, "plan '%s/big.yaml'", g_dir);
    EXPECT(2, args, "big.yaml: the grid has no cells or more than 4294967296 (1 models x 1 tasks x "
                    "1 strategies x 2000 ks x 2000 shots x 2000 seeds)");
    snprintf(args, sizeof args, "sweep '%s/big.yaml' --quiet", g_dir);
    EXPECT(2, args, "more than 4294967296");
}

static void sweep_fails(const char *name, const char *cube, const char *needle)
{
    char args[900];
    snprintf(args, sizeof args, "plan '%s'", job(name, cube, NULL));
    EXPECT(2, args, needle);
    snprintf(args, sizeof args, "sweep '%s' --quiet", job(name, cube, NULL));
    EXPECT(2, args, needle);
}

/* Output locations: a missing directory is made by the sweep (mkdir -p); one that cannot be
 * made or written, or an existing file that is not a cube, stops plan and sweep at once. */
static void test_output_locations(void)
{
    sweep_fails("under_file", "h5py.h5/c.h5", "cannot write the cube there: ");
    sweep_fails("under_file2", "h5py.h5/a/b/c.h5", "h5py.h5 is not a directory");
    sweep_fails("proc", "/proc/imprint-test/c.h5", "/proc/imprint-test/c.h5: cannot "); /* /proc: no files */
    sweep_fails("notours", "h5py.h5", "h5py.h5: exists and is not an imprint cube; refusing to overwrite it");
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "echo precious > '%s/notes.txt'", g_dir), 0);
    sweep_fails("notes", "notes.txt", "notes.txt: exists and is not an imprint cube");
    sweep_fails("dir", ".", "exists and is not a regular file");
    char *out = NULL;
    IMP_ASSERT_INT_EQ(imp_test_sh(&out, "cat '%s/notes.txt'", g_dir), 0);
    IMP_ASSERT_STR_CONTAINS(out, "precious");
    free(out);
    /* plan does not create the directory; sweep does, and writes the cube there */
    char args[900];
    snprintf(args, sizeof args, "plan '%s'", job("deep", "out/a/b/c.h5", NULL));
    EXPECT(0, args, "pending     4");
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "test -e '%s/out'", g_dir) != 0, 1);
    snprintf(args, sizeof args, "sweep '%s' --quiet", job("deep", "out/a/b/c.h5", NULL));
    EXPECT(0, args, "4 of 4 cells done");
    char cube[800];
    snprintf(cube, sizeof cube, "%s/out/a/b/c.h5", g_dir);
    imp_cube *c = NULL;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_cube_read(cube, &c, &err), 0);
    if (c) {
        /* 2 strategies x 2 seeds on the blobs: 100 % each (hand-computable, see mkstores.py) */
        IMP_ASSERT_INT_EQ(c->n_cells, 4);
        for (uint64_t i = 0; i < c->n_cells; i++) {
            IMP_ASSERT_INT_EQ(c->status[i], IMP_CELL_DONE);
            IMP_ASSERT_NEAR(c->accuracy[i], 100.0, 0);
        }
        imp_cube_free(c);
    }
    /* xarray (h5netcdf engine) reads the same cube with named dimensions and values */
    char *xo = NULL;
    IMP_ASSERT_INT_EQ(imp_test_sh(&xo, "/usr/bin/python3 -c \"import xarray as xr; "
                                  "ds = xr.open_dataset('%s', engine='h5netcdf'); a = ds['accuracy']; "
                                  "print(','.join(a.dims), a.shape, float(a.min()), float(a.max()), "
                                  "list(ds['strategy'].values))\"", cube), 0);
    IMP_ASSERT_STR_CONTAINS(xo, "model,task,strategy,k,shot,seed (1, 1, 2, 1, 1, 2) 100.0 100.0 "
                                "['l2/mean/l2/l2/max', 'none/mean/none/none/nn:euclidean']");
    free(xo);
    /* the sweep over h5py's dtypes agrees with eval (same store, same cells) */
    snprintf(args, sizeof args, "%s --seed 2", eval_args("h5py", "none/mean/none/none/nn:euclidean"));
    EXPECT(0, args, "accuracy    100.00 %");
}

/* A journal with a corrupt record in the middle: plan and sweep stop with exit 2 naming the
 * journal (never guess which records to keep), and the cube is left as it was. */
static void test_corrupt_journal(void)
{
    const char *j = job("jr", "jr/c.h5", "shots: [all]\n");
    char args[900];
    snprintf(args, sizeof args, "sweep '%s' --quiet", j);
    EXPECT(0, args, "4 of 4 cells done");
    char jp[800];
    snprintf(jp, sizeof jp, "%s/jr/c.h5.journal", g_dir);
    /* flip one byte in the middle of the file (inside the second or third of four records) */
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "f='%s'; n=$(stat -c %%s \"$f\"); "
                                  "printf '\\377' | dd of=\"$f\" bs=1 seek=$((n / 2)) conv=notrunc "
                                  "status=none", jp), 0);
    snprintf(args, sizeof args, "plan '%s'", j);
    EXPECT(2, args, "c.h5.journal");
    snprintf(args, sizeof args, "sweep '%s' --quiet", j);
    EXPECT(2, args, "c.h5.journal", "corrupt");
}

/* --json is JSON: task, model, dataset and job path with '"' and '\\' survive a round trip
 * through Python's json module, and the numbers are the ones computed (100 % on the blobs). */
static void test_json_hostile_names(void)
{
    /* a copy of the h5py store as model 'm"q', dataset 'd\s"x', in directory 'w"e\ird' */
    const char mk[] = "import h5py\n"
                      "s = h5py.File('h5py.h5', 'r')\n"
                      "o = h5py.File('w\"e\\\\ird/q.h5', 'w')\n"
                      "s.copy('m/ds', o, name='m\"q/d\\\\s\"x')\n";
    const char chk[] = "import json, sys\n"
                       "o = json.load(sys.stdin)\n"
                       "print('|'.join(str(o[k]) for k in sys.argv[1:]))\n";
    char p[800];
    snprintf(p, sizeof p, "%s/mkq.py", g_dir);
    IMP_ASSERT_INT_EQ(imp_test_write_file(p, mk, strlen(mk)), 0);
    snprintf(p, sizeof p, "%s/chk.py", g_dir);
    IMP_ASSERT_INT_EQ(imp_test_write_file(p, chk, strlen(chk)), 0);
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "cd '%s' && mkdir -p 'w\"e\\ird' && /usr/bin/python3 mkq.py",
                                  g_dir), 0);
    char *out = NULL;
    int rc = imp_test_sh(&out, "cd '%s' && '%s' eval --store 'w\"e\\ird/q.h5' --model 'm\"q' "
                         "--dataset 'd\\s\"x' --strategy l2/mean/l2/l2/max --task 't\"\\n' "
                         "--seed 18446744073709551615 --json | /usr/bin/python3 chk.py model "
                         "dataset task seed accuracy n_proxies", g_dir, IMP_TOOL_PATH);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "m\"q|d\\s\"x|t\"\\n|18446744073709551615|100|3\n");
    free(out);
    rc = imp_test_sh(&out, "cd '%s' && '%s' nc1 --store 'w\"e\\ird/q.h5' --model 'm\"q' "
                     "--dataset 'd\\s\"x' --json | /usr/bin/python3 chk.py model dataset split n "
                     "d classes rank_sb", g_dir, IMP_TOOL_PATH);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "m\"q|d\\s\"x|train|30|4|3|2\n");
    free(out);
    /* plan --json of a job whose file name has both characters */
    const char *src = job("jq", "c.h5", NULL);
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "cd '%s' && cp '%s' 'j\"q\\.yaml'", g_dir, src), 0);
    rc = imp_test_sh(&out, "cd '%s' && '%s' plan 'j\"q\\.yaml' --json | /usr/bin/python3 chk.py "
                     "job cells pending", g_dir, IMP_TOOL_PATH);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "j\"q\\.yaml|4|4\n");
    free(out);
}

int main(int argc, char **argv)
{
    (void)argc, (void)argv;
    if (!imp_test_have_python("h5py numpy xarray h5netcdf"))
        imp_test_skip_suite("test_inputs", "needs /usr/bin/python3 with h5py, numpy, xarray and "
                            "h5netcdf (apt-get install python3-h5py python3-xarray "
                            "python3-h5netcdf)");
    snprintf(g_dir, sizeof g_dir, "%s", imp_test_tmpdir());
    if (imp_test_sh(NULL, "/usr/bin/python3 '%s/tests/inputs/mkstores.py' '%s'", IMP_SOURCE_DIR,
                    g_dir) != 0) {
        fprintf(stderr, "test_inputs: mkstores.py failed\n");
        return 1;
    }
    static const imp_test tests[] = {
        {"any numeric type (h5py defaults, float16, uint8)", test_any_numeric_type},
        {"values that do not fit float32 / int32", test_values_that_do_not_fit},
        {"zero row under NORMpre l2", test_zero_row},
        {"broken stores", test_broken_stores},
        {"job file mistakes", test_job_mistakes},
        {"output locations", test_output_locations},
        {"corrupt journal record in the middle", test_corrupt_journal},
        {"--json with '\"' and '\\' in names", test_json_hostile_names},
        {NULL, NULL},
    };
    return imp_test_main("inputs", tests);
}
