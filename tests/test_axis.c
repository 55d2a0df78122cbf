/* test_axis.c — the axis table drives what it claims: names, job keys, kinds and ranges, the
 * joined name lists, the one cell index against hand-computed values, the grid's axes, and the
 * cube's HDF5 scales and CSV header in table order. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imprint/axis.h"
#include "imprint/cube.h"
#include "imprint/grid.h"
#include "imprint/job.h"
#include "imprint/words.h"
#include "testutil.h"

#define IMP_ASSERT_STR_EQ(a, b)                                                                 \
    do {                                                                                        \
        const char *sa_ = (a), *sb_ = (b);                                                      \
        imp__assert_msg(sa_ && sb_ && strcmp(sa_, sb_) == 0, __LINE__, __FILE__,                \
                        "%s == %s (\"%s\" vs \"%s\")", #a, #b, sa_ ? sa_ : "(null)",          \
                        sb_ ? sb_ : "(null)");                                                  \
    } while (0)

/* What docs/formats.md and docs/job-file.md promise, written out by hand. */
static const char *const NAMES[] = {"model", "task", "strategy", "k", "shot", "seed"};
static const char *const KEYS[] = {"models", "tasks", "strategies", "ks", "shots", "seeds"};
static const int IS_INT[] = {0, 0, 0, 1, 1, 1};

static void test_table(void)
{
    IMP_ASSERT_INT_EQ(IMP_AX__COUNT, 6);
    IMP_ASSERT_INT_EQ(IMP_AX_MODEL, 0);
    IMP_ASSERT_INT_EQ(IMP_AX_SEED, 5);
    for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
        const imp_axis_info *in = imp_axis_info_of(ax);
        IMP_ASSERT_STR_EQ(imp_axis_name(ax), NAMES[ax]);
        IMP_ASSERT_STR_EQ(in->key, KEYS[ax]);
        IMP_ASSERT_INT_EQ(in->kind == IMP_AXK_INT, IS_INT[ax]);
        IMP_ASSERT_INT_EQ(imp_axis_find(NAMES[ax]), ax);
    }
    /* only shot has a default (a job without `shots` runs every training row) */
    IMP_ASSERT_INT_EQ(imp_axis_info_of(IMP_AX_SHOT)->dflt, -1);
    IMP_ASSERT_INT_EQ(imp_axis_info_of(IMP_AX_K)->dflt == IMP_AXIS_REQUIRED, 1);
    IMP_ASSERT_INT_EQ(imp_axis_info_of(IMP_AX_SEED)->dflt == IMP_AXIS_REQUIRED, 1);
    IMP_ASSERT_INT_EQ(imp_axis_find("lambda"), -1);
    IMP_ASSERT_STR_EQ(imp_axis_name(IMP_AX__COUNT), "?");
    IMP_ASSERT_INT_EQ(imp_axis_info_of(-1) == NULL, 1);
}

/* The joined lists that help and error text print (imp_axis_names through imp_words_join):
 * written out by hand, with the joiner's edge cases (one word, none, a buffer too small). */
static void test_names(void)
{
    char buf[128];
    IMP_ASSERT_STR_EQ(imp_axis_names(buf, sizeof buf, ", "),
                      "model, task, strategy, k, shot, seed");
    IMP_ASSERT_STR_EQ(imp_axis_names(buf, sizeof buf, "|"), "model|task|strategy|k|shot|seed");
    IMP_ASSERT_STR_EQ(imp_axis_names(buf, sizeof buf, " or "),
                      "model, task, strategy, k, shot or seed");
    static const char *const two[] = {"accuracy", "f1"};
    IMP_ASSERT_STR_EQ(imp_words_join(buf, sizeof buf, two, 2, " or "), "accuracy or f1");
    IMP_ASSERT_STR_EQ(imp_words_join(buf, sizeof buf, two, 1, " or "), "accuracy");
    IMP_ASSERT_STR_EQ(imp_words_join(buf, sizeof buf, two, 0, "|"), "");
    char small[8];
    IMP_ASSERT_STR_EQ(imp_words_join(small, sizeof small, two, 2, "|"), "accurac");
    /* the _all form: the same text when it fits with a byte to spare ("accuracy or f1" is 14
     * bytes and its NUL 15); one that does not fit, or only just, stops the program */
    char fit[16];
    IMP_ASSERT_STR_EQ(imp_words_join_all(fit, sizeof fit, two, 2, " or "), "accuracy or f1");
    size_t sizes[] = {sizeof small, 15};
    for (size_t t = 0; t < 2; t++) {
        fflush(NULL);
        pid_t pid = fork();
        CU_ASSERT_FATAL(pid >= 0);
        if (pid == 0) {
            freopen("/dev/null", "w", stderr);
            imp_words_join_all(fit, sizes[t], two, 2, " or ");
            _exit(0);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0)
            ;
        CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    }
}

static void test_values(void)
{
    char b[32], why[160];
    IMP_ASSERT_STR_EQ(imp_axis_int_text(IMP_AX_SHOT, -1, b, sizeof b), "all");
    IMP_ASSERT_STR_EQ(imp_axis_int_text(IMP_AX_K, -1, b, sizeof b), "-1");
    IMP_ASSERT_STR_EQ(imp_axis_int_text(IMP_AX_SEED, 17121997, b, sizeof b), "17121997");
    IMP_ASSERT_INT_EQ(imp_axis_is_minus1(IMP_AX_SHOT, "all"), 1);
    IMP_ASSERT_INT_EQ(imp_axis_is_minus1(IMP_AX_K, "-1"), 1);
    IMP_ASSERT_INT_EQ(imp_axis_is_minus1(IMP_AX_SEED, "-1"), 0);
    IMP_ASSERT_INT_EQ(imp_axis_is_minus1(IMP_AX_MODEL, "all"), 0);

    IMP_ASSERT_INT_EQ(imp_axis_check_int(IMP_AX_K, 1, why, sizeof why), 0);
    IMP_ASSERT_INT_EQ(imp_axis_check_int(IMP_AX_K, 0, why, sizeof why), -1);
    IMP_ASSERT_STR_EQ(why, "k must be >= 1 or -1 (every row a proxy), got 0");
    IMP_ASSERT_INT_EQ(imp_axis_check_int(IMP_AX_SHOT, -1, why, sizeof why), -1);
    IMP_ASSERT_STR_EQ(why, "shot must be >= 1 or all, got -1");
    IMP_ASSERT_INT_EQ(imp_axis_check_int(IMP_AX_SHOT, 2147483648LL, why, sizeof why), -1);
    IMP_ASSERT_STR_EQ(why, "shot 2147483648 is too large");
    IMP_ASSERT_INT_EQ(imp_axis_check_int(IMP_AX_SEED, 4294967296LL, why, sizeof why), 0);
    IMP_ASSERT_INT_EQ(imp_axis_check_int(IMP_AX_SEED, -1, why, sizeof why), -1);
    IMP_ASSERT_STR_EQ(why, "seed must be >= 0, got -1");
}

/* A shape where no two neighbouring lengths are equal, so a swapped stride shows. */
static char *models[] = {"m0", "m1"};
static char *tasks[] = {"t0", "t1", "t2"};
static char *strategies[] = {"l2/mean/l2/l2/max"};
static int64_t ks[] = {1, 5, 20, -1};
static int64_t shots[] = {-1, 10};
static int64_t seeds[] = {0, 1, 2, 3, 4};

static imp_axes shape(void)
{
    imp_axes a = {0};
    a.n_model = 2, a.model = models, a.n_task = 3, a.task = tasks;
    a.n_strategy = 1, a.strategy = strategies, a.n_k = 4, a.k = ks;
    a.n_shot = 2, a.shot = shots, a.n_seed = 5, a.seed = seeds;
    return a;
}

static void test_index(void)
{
    imp_axes a = shape();
    IMP_ASSERT_INT_EQ(imp_axes_n_cells(&a), 2 * 3 * 1 * 4 * 2 * 5);
    /* by hand: ((((1·3 + 2)·1 + 0)·4 + 3)·2 + 1)·5 + 4 = 239, the last cell */
    size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = 1, [IMP_AX_TASK] = 2, [IMP_AX_STRATEGY] = 0,
                                 [IMP_AX_K] = 3, [IMP_AX_SHOT] = 1, [IMP_AX_SEED] = 4};
    size_t back[IMP_AX__COUNT];
    IMP_ASSERT_INT_EQ(imp_axes_cell_index(&a, idx), 239);
    /* (0, 1, 0, 2, 0, 3): ((1·4 + 2)·2 + 0)·5 + 3 = 63 */
    size_t mid[IMP_AX__COUNT] = {[IMP_AX_MODEL] = 0, [IMP_AX_TASK] = 1, [IMP_AX_STRATEGY] = 0,
                                 [IMP_AX_K] = 2, [IMP_AX_SHOT] = 0, [IMP_AX_SEED] = 3};
    IMP_ASSERT_INT_EQ(imp_axes_cell_index(&a, mid), 63);
    imp_axes_cell_coords(&a, 63, back);
    for (int ax = 0; ax < IMP_AX__COUNT; ax++)
        IMP_ASSERT_INT_EQ(back[ax], mid[ax]);
    /* the seed (last axis) is fastest: cell + 1 is the next seed */
    imp_axes_cell_coords(&a, 64, back);
    IMP_ASSERT_INT_EQ(back[IMP_AX_SEED], 4);
    IMP_ASSERT_INT_EQ(back[IMP_AX_K], 2);
    /* every cell round-trips */
    for (uint64_t c = 0; c < imp_axes_n_cells(&a); c++) {
        imp_axes_cell_coords(&a, c, back);
        if (imp_axes_cell_index(&a, back) != c)
            imp__assert_msg(0, __LINE__, __FILE__, "cell %llu does not round-trip",
                            (unsigned long long)c);
    }
    char b1[32];
    IMP_ASSERT_STR_EQ(imp_axis_value(&a, IMP_AX_TASK, 2, b1, sizeof b1), "t2");
    IMP_ASSERT_STR_EQ(imp_axis_value(&a, IMP_AX_K, 3, b1, sizeof b1), "-1");
    IMP_ASSERT_STR_EQ(imp_axis_value(&a, IMP_AX_SHOT, 0, b1, sizeof b1), "all");
    IMP_ASSERT_INT_EQ(imp_axis_int(&a, IMP_AX_SEED, 4), 4);
    IMP_ASSERT_INT_EQ(imp_axis_str(&a, IMP_AX_SEED, 0) == NULL, 1);

    imp_axes cp;
    imp_err err = {0};
    IMP_ASSERT_INT_EQ(imp_axes_copy(&cp, &a, &err), 0);
    IMP_ASSERT_INT_EQ(cp.model != models && strcmp(cp.model[1], "m1") == 0, 1);
    IMP_ASSERT_INT_EQ(cp.k[3], -1);
    imp_axes_free(&cp);
    IMP_ASSERT_INT_EQ(cp.n_seed, 0);
    /* an absent axis with a default is that one value: the same cells as a shot axis [all] */
    imp_axes b = a;
    b.n_shot = 0;
    b.shot = NULL;
    IMP_ASSERT_INT_EQ(imp_axis_len(&b, IMP_AX_SHOT), 1);
    IMP_ASSERT_INT_EQ(imp_axes_n_cells(&b), 2 * 3 * 1 * 4 * 1 * 5);
    IMP_ASSERT_STR_EQ(imp_axis_value(&b, IMP_AX_SHOT, 0, b1, sizeof b1), "all");
    size_t last[IMP_AX__COUNT] = {[IMP_AX_MODEL] = 1, [IMP_AX_TASK] = 2, [IMP_AX_STRATEGY] = 0,
                                  [IMP_AX_K] = 3, [IMP_AX_SHOT] = 0, [IMP_AX_SEED] = 4};
    IMP_ASSERT_INT_EQ(imp_axes_cell_index(&b, last), 119);
    IMP_ASSERT_INT_EQ(imp_axes_copy(&cp, &b, &err), 0);
    IMP_ASSERT_INT_EQ(cp.n_shot, 1);
    IMP_ASSERT_INT_EQ(cp.shot != NULL && cp.shot[0] == -1, 1);
    imp_axes_free(&cp);
    /* an absent axis without one is empty */
    b = a;
    b.n_k = 0;
    b.k = NULL;
    IMP_ASSERT_INT_EQ(imp_axis_len(&b, IMP_AX_K), 0);
    IMP_ASSERT_INT_EQ(imp_axes_n_cells(&b), 0);
    a.n_task = 0;
    IMP_ASSERT_INT_EQ(imp_axes_copy(&cp, &a, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg,
                            "(model 2, task 0, strategy 1, k 4, shot 2, seed 5)");
    IMP_ASSERT_STR_CONTAINS(err.msg, "every axis needs at least one value");
    /* 2^22 values on each of six axes is 2^132 cells: no axis empty, the index overflows (the
     * copy refuses before it reads an array, so the lengths alone make the case) */
    imp_axes big = {0};
    big.n_model = big.n_task = big.n_strategy = big.n_k = big.n_shot = big.n_seed = 1u << 22;
    IMP_ASSERT_INT_EQ(imp_axes_n_cells(&big), 0);
    IMP_ASSERT_INT_EQ(imp_axes_copy(&cp, &big, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "more cells than a 64-bit index counts");
}

/* The grid's axes are one imp_axes: the same fields under both names, the same index. */
static void test_grid_axes(void)
{
    static const char job_text[] =
        "store: s.h5\ncube: c.h5\nmodels: [m0, m1]\n"
        "tasks: [{name: t0, dataset: d, classes: [0, 1]}, {name: t1, dataset: d, classes: [0, 2]},"
        " {name: t2, dataset: d, classes: [1, 2]}]\n"
        "strategies: [l2/kmeans/l2/l2/max]\nks: [1, 5, 20, -1]\nshots: [all, 10]\n"
        "seeds: [0, 1, 2, 3, 4]\n";
    imp_err err = {0};
    imp_job *job = NULL;
    imp_grid *g = NULL;
    IMP_ASSERT_INT_EQ(imp_job_parse(job_text, strlen(job_text), "axes.yaml", ".", &job, &err), 0);
    if (!job)
        return;
    IMP_ASSERT_INT_EQ(imp_grid_from_job(job, &g, &err), 0);
    if (g) {
        IMP_ASSERT_INT_EQ(g->axes.n_task, 3);
        IMP_ASSERT_INT_EQ(g->n_task, 3);
        IMP_ASSERT_INT_EQ(g->axes.k == g->k, 1);
        IMP_ASSERT_INT_EQ(g->n_cells, 240);
        imp_cell c = {.model = 1, .task = 2, .strategy = 0, .k = 3, .shot = 1, .seed = 4};
        IMP_ASSERT_INT_EQ(imp_grid_cell_index(g, &c), 239);
        imp_cell d;
        imp_grid_cell_coords(g, 63, &d);
        IMP_ASSERT_INT_EQ(d.model == 0 && d.task == 1 && d.strategy == 0 && d.k == 2 &&
                              d.shot == 0 && d.seed == 3,
                          1);
        /* the hash text: one line per value, table order, shot -1 as "all" */
        IMP_ASSERT_STR_CONTAINS(imp_grid_canonical(g),
                                "model m1\ntask t0 datasets=d classes=0,1 remap=none\n");
        IMP_ASSERT_STR_CONTAINS(imp_grid_canonical(g),
                                "k 20\nk -1\nshot all\nshot 10\nseed 0\n");
        /* the grid -> cube adapter: the same axes, every cell n/a exactly where the grid says */
        imp_cube *cube = NULL;
        IMP_ASSERT_INT_EQ(imp_cube_from_grid(job, g, &cube, &err), 0);
        if (cube) {
            IMP_ASSERT_INT_EQ(cube->n_cells, g->n_cells);
            IMP_ASSERT_INT_EQ(cube->grid_hash == g->hash, 1);
            IMP_ASSERT_INT_EQ(strcmp(cube->axes.task[2], "t2"), 0);
            size_t mismatched = 0;
            for (size_t i = 0; i < g->n_cells; i++)
                mismatched += (cube->status[i] == IMP_CELL_NA) ==
                              imp_grid_cell_valid(g, i, NULL, NULL);
            IMP_ASSERT_INT_EQ(mismatched, 0);
            IMP_ASSERT_INT_EQ(g->n_na > 0, 1);
        }
        imp_cube_free(cube);
    }
    imp_grid_free(g);
    imp_job_free(job);
}

/* Every axis name round-trips through the cube's HDF5 scales (as its kind) and the CSV
 * header, in table order. */
static void test_cube_files(void)
{
    imp_axes a = shape();
    imp_err err = {0};
    imp_cube *cube = NULL;
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, NULL, &cube, &err), 0);
    if (!cube)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/axis.h5", imp_test_tmpdir());
    IMP_ASSERT_INT_EQ(imp_cube_write(cube, path, &err), 0);

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    IMP_ASSERT_INT_EQ(f >= 0, 1);
    hid_t d = f >= 0 ? H5Dopen2(f, "accuracy", H5P_DEFAULT) : -1;
    IMP_ASSERT_INT_EQ(d >= 0, 1);
    for (int ax = 0; d >= 0 && ax < IMP_AX__COUNT; ax++) {
        char label[32] = "";
        H5DSget_label(d, (unsigned)ax, label, sizeof label);
        IMP_ASSERT_STR_EQ(label, NAMES[ax]);
        hid_t s = H5Dopen2(f, NAMES[ax], H5P_DEFAULT);
        IMP_ASSERT_INT_EQ(s >= 0 && H5DSis_scale(s) > 0, 1);
        hid_t t = s >= 0 ? H5Dget_type(s) : -1;
        IMP_ASSERT_INT_EQ(H5Tget_class(t) == (IS_INT[ax] ? H5T_INTEGER : H5T_STRING), 1);
        if (t >= 0)
            H5Tclose(t);
        if (s >= 0)
            H5Dclose(s);
    }
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);

    imp_cube *back = NULL;
    IMP_ASSERT_INT_EQ(imp_cube_read(path, &back, &err), 0);
    if (back) {
        char b1[32], b2[32];
        for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
            IMP_ASSERT_INT_EQ(imp_axis_len(&back->axes, ax), imp_axis_len(&a, ax));
            for (size_t i = 0; i < imp_axis_len(&a, ax); i++)
                IMP_ASSERT_STR_EQ(imp_axis_value(&back->axes, ax, i, b1, sizeof b1),
                                  imp_axis_value(&a, ax, i, b2, sizeof b2));
        }
    }
    imp_cube_free(back);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    IMP_ASSERT_INT_EQ(imp_cube_export_csv(cube, out, &err), 0);
    fclose(out);
    IMP_ASSERT_INT_EQ(strncmp(text, "model,task,strategy,k,shot,seed,status,", 39), 0);
    /* the first row: every axis's first value in table order (shot -1 written "all") */
    IMP_ASSERT_STR_CONTAINS(text, "\nm0,t0,l2/mean/l2/l2/max,1,all,0,pending,");
    free(text);
    imp_cube_free(cube);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    static const imp_test tests[] = {
        {"table", test_table},
        {"names", test_names},
        {"values", test_values},
        {"index", test_index},
        {"grid_axes", test_grid_axes},
        {"cube_files", test_cube_files},
        {NULL, NULL},
    };
    return imp_test_main("axis", tests);
}
