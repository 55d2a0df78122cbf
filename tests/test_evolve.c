/* test_evolve.c — grids that evolve: a grown grid computes only its new cells and equals a
 * fresh sweep; a shrunk one recomputes nothing and reports what it dropped; a moved store is
 * the same store; a rewritten model x dataset or a changed lambda invalidates exactly its
 * cells; shards (one after another, at once, killed and rerun) merge into the one-process
 * cube; a version 1 journal of the previous release is converted (atomically); bad shard specs and
 * foreign shard journals exit 2. */
#include <fcntl.h>
#include <hdf5.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imprint/cube.h"
#include "imprint/journal.h"
#include "imprint/resume.h"
#include "imprint/store.h"
#include "testutil.h"

static const char *dir(void) { return imp_test_tmpdir(); }

/* The toy store with a second model toy2 (toy's rows times 2, so other results). */
static void make_store(const char *name)
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s", dir(), name);
    CU_ASSERT_EQUAL_FATAL(imp_test_blob_store(path), 0);
    imp_store *s;
    imp_err err;
    CU_ASSERT_EQUAL_FATAL(imp_store_open(path, &s, &err), 0);
    imp_classmap map;
    int32_t raw[3] = {0, 1, 2}, cls[3] = {0, 1, 2};
    map.n = 3;
    map.raw = raw;
    map.cls = cls;
    map.n_classes = 3;
    imp_data tr, te;
    CU_ASSERT_EQUAL_FATAL(imp_store_load(s, "toy", "blobs", "train", &map, &tr, &err), 0);
    CU_ASSERT_EQUAL_FATAL(imp_store_load(s, "toy", "blobs", "test", &map, &te, &err), 0);
    imp_store_close(s);
    int32_t *ytr = malloc(tr.n * sizeof *ytr), *yte = malloc(te.n * sizeof *yte);
    for (int c = 0; c < 3; c++) {
        for (size_t i = tr.offset[c]; i < tr.offset[c + 1]; i++)
            ytr[i] = c;
        for (size_t i = te.offset[c]; i < te.offset[c + 1]; i++)
            yte[i] = c;
    }
    for (size_t i = 0; i < tr.n * tr.d; i++)
        tr.X[i] *= 2.0f;
    for (size_t i = 0; i < te.n * te.d; i++)
        te.X[i] *= 2.0f;
    imp_store_tx *tx;
    CU_ASSERT_EQUAL_FATAL(imp_store_tx_begin(path, &tx, &err), 0);
    CU_ASSERT_EQUAL(imp_store_tx_put(tx, "toy2", "blobs", "train", tr.X, ytr, tr.n, tr.d, &err), 0);
    CU_ASSERT_EQUAL(imp_store_tx_put(tx, "toy2", "blobs", "test", te.X, yte, te.n, te.d, &err), 0);
    CU_ASSERT_EQUAL(imp_store_tx_fingerprint(tx, "toy2", "blobs", &err), 0);
    CU_ASSERT_EQUAL_FATAL(imp_store_tx_commit(tx, &err), 0);
    imp_data_free(&tr);
    imp_data_free(&te);
    free(ytr);
    free(yte);
}

/* Job <name>.yaml with cube <cube>.h5. Strategies: mean and ls (k = 1 only) and kmeans (every
 * k), shot all, so a (task, seed) has 2 + |ks| valid cells. */
static void write_job(const char *name, const char *cube, const char *store, const char *models,
                      const char *ks, const char *seeds, const char *extra)
{
    char path[900], text[4096];
    snprintf(path, sizeof path, "%s/%s.yaml", dir(), name);
    snprintf(text, sizeof text,
             "store: %s\ncube: %s.h5\nmodels: %s\ntasks:\n"
             "  - {name: all3, dataset: blobs, classes: all}\n"
             "  - {name: pair, dataset: blobs, classes: [2, 0]}\n"
             "strategies: [none/mean/none/none/max, none/ls/none/none/max, l2/kmeans/l2/l2/max]\n"
             "ks: %s\nseeds: %s\n%s",
             store, cube, models, ks, seeds, extra);
    CU_ASSERT_EQUAL(imp_test_write_file(path, text, strlen(text)), 0);
}

static int tool(char **out, const char *cmd, const char *job, const char *extra)
{
    return imp_test_tool(out, "%s %s/%s.yaml %s", cmd, dir(), job, extra);
}

/* Cell by cell over the axis values (the two cubes may order axes differently): same status,
 * and for done cells the same accuracy bits and proxy count. Returns the cells compared. */
static size_t assert_same_cells(const imp_cube *a, const imp_cube *b)
{
    IMP_ASSERT_INT_EQ(a->n_cells, b->n_cells);
    size_t diff = 0, done = 0;
    for (uint64_t c = 0; c < a->n_cells && a->n_cells == b->n_cells; c++) {
        if (a->status[c] != b->status[c])
            diff++;
        else if (a->status[c] == IMP_CELL_DONE) {
            done++;
            diff += memcmp(&a->accuracy[c], &b->accuracy[c], 4) != 0 ||
                    a->n_proxies[c] != b->n_proxies[c];
        }
    }
    IMP_ASSERT_INT_EQ(diff, 0);
    return done;
}

/* The cubes named a and b hold the same cells (assert_same_cells), want of them done. */
static void compare_cubes(const char *a_name, const char *b_name, size_t want)
{
    imp_cube *a = imp_test_read_cube(a_name), *b = imp_test_read_cube(b_name);
    if (a && b)
        IMP_ASSERT_INT_EQ(assert_same_cells(a, b), want);
    imp_cube_free(a);
    imp_cube_free(b);
}

static void compare_to_reference(const char *cube) { compare_cubes("ref", cube, 60); }

/* Records in a journal and the largest number of records of any one key. */
static size_t journal_records(const char *cube, int *max_per_key)
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s.h5.journal", dir(), cube);
    imp_journal_set *set = NULL;
    imp_journal_info info;
    imp_err err;
    int rc = imp_journal_load(path, &set, &info, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "journal %s: %s", path, rc ? err.msg : "");
    if (rc)
        return 0;
    *max_per_key = (int)(info.n_records - set->n) + 1;
    imp_journal_set_free(set);
    return info.n_records;
}

static void sweep_ok(const char *job, const char *extra, const char *expect)
{
    char *out = NULL;
    int rc = tool(&out, "sweep", job, extra);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "sweep %s %s: exit %d\n%s", job, extra, rc, out);
    if (expect)
        IMP_ASSERT_STR_CONTAINS(out, expect);
    free(out);
}

static void plan_says(const char *job, const char *expect)
{
    char *out = NULL;
    int rc = tool(&out, "plan", job, "");
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, expect);
    free(out);
}

/* ---- the split and the shard spec, as pure functions -------------------------------------- */

static void test_split_and_spec(void)
{
    /* longest first to the least loaded (ties: lowest index), by hand:
     * 5 -> s0 (5, 0); 4 -> s1 (5, 4); 3 -> s1 (5, 7); 3 -> s0 (8, 7); 2 -> s1 (8, 9) */
    const double cost[5] = {5, 4, 3, 3, 2};
    uint32_t assign[5];
    double load[2];
    imp_shard_split(cost, 5, 2, load, assign);
    const uint32_t want[5] = {0, 1, 1, 0, 1};
    for (int i = 0; i < 5; i++)
        IMP_ASSERT_INT_EQ(assign[i], want[i]);
    IMP_ASSERT_NEAR(load[0], 8, 0);
    IMP_ASSERT_NEAR(load[1], 9, 0);
    /* one shard takes everything; more shards than units leave the last ones empty */
    double l1[1], l7[7];
    imp_shard_split(cost, 5, 1, l1, assign);
    IMP_ASSERT_NEAR(l1[0], 17, 0);
    imp_shard_split(cost, 5, 7, l7, assign);
    for (int i = 0; i < 5; i++)
        IMP_ASSERT_INT_EQ(assign[i], i);
    IMP_ASSERT_NEAR(l7[5] + l7[6], 0, 0);

    uint32_t i = 9, n = 9;
    char buf[200];
    const char *why = buf;
    IMP_ASSERT_INT_EQ(imp_shard_parse("2/5", &i, &n, buf, sizeof buf), 0);
    IMP_ASSERT_INT_EQ(i, 2);
    IMP_ASSERT_INT_EQ(n, 5);
    IMP_ASSERT_INT_EQ(imp_shard_parse("0/1", &i, &n, buf, sizeof buf), 0);
    IMP_ASSERT_INT_EQ(imp_shard_parse("3/2", &i, &n, buf, sizeof buf), -1);
    IMP_ASSERT_STR_CONTAINS(why, "I must be below N");
    IMP_ASSERT_INT_EQ(imp_shard_parse("0/0", &i, &n, buf, sizeof buf), -1);
    IMP_ASSERT_STR_CONTAINS(why, "N = 0 shards");
    IMP_ASSERT_INT_EQ(imp_shard_parse("1/2x", &i, &n, buf, sizeof buf), -1);
    IMP_ASSERT_INT_EQ(imp_shard_parse(" 1/2", &i, &n, buf, sizeof buf), -1);
    IMP_ASSERT_INT_EQ(imp_shard_parse("1/100001", &i, &n, buf, sizeof buf), -1);
    char *p = imp_shard_journal_path("r/c.h5", 2, 5);
    IMP_ASSERT_INT_EQ(strcmp(p, "r/c.h5.shard-2-of-5.journal"), 0);
    free(p);
}

/* ---- growing, shrinking, moving ---------------------------------------------------------- */

static void test_extend_and_shrink(void)
{
    make_store("toy.h5");
    /* 2 tasks x 2 seeds x (mean, ls, kmeans k1, kmeans k3) = 16 */
    write_job("g", "g", "toy.h5", "[toy]", "[1, 3]", "[1, 2]", "");
    sweep_ok("g", "--quiet", "16 to do");
    /* one more seed and one more k: 2 x 3 x 5 = 30 cells, 14 of them new */
    write_job("g", "g", "toy.h5", "[toy]", "[1, 3, 5]", "[1, 2, 3]", "");
    plan_says("g", "kept 16, new 14, dropped 0\n");
    sweep_ok("g", "--quiet", "14 to do");
    int maxk = 0;
    IMP_ASSERT_INT_EQ(journal_records("g", &maxk), 30); /* only the new cells ran */
    IMP_ASSERT_INT_EQ(maxk, 1);
    /* ... and the cube equals a fresh sweep of the extended grid */
    write_job("gfresh", "gfresh", "toy.h5", "[toy]", "[1, 3, 5]", "[1, 2, 3]", "");
    sweep_ok("gfresh", "--quiet", "30 to do");
    compare_cubes("g", "gfresh", 30);

    /* shrink to k 1 and seeds 1, 2: 2 x 2 x 3 = 12 cells kept, the other 18 dropped */
    write_job("g", "g", "toy.h5", "[toy]", "[1]", "[1, 2]", "");
    plan_says("g", "kept 12, new 0, dropped 18\n");
    plan_says("g", "18 results of cells no longer in the grid stay in the journal");
    sweep_ok("g", "--quiet", "0 to do");
    IMP_ASSERT_INT_EQ(journal_records("g", &maxk), 30); /* nothing recomputed, nothing lost */
    imp_cube *a = imp_test_read_cube("g");
    if (a) {
        size_t n[IMP_CELL__NSTATUS];
        imp_cube_count(a, n);
        IMP_ASSERT_INT_EQ(n[IMP_CELL_DONE], 12);
        IMP_ASSERT_INT_EQ(n[IMP_CELL_PENDING], 0);
    }
    imp_cube_free(a);
    /* and growing back costs nothing */
    write_job("g", "g", "toy.h5", "[toy]", "[1, 3, 5]", "[1, 2, 3]", "");
    plan_says("g", "kept 30, new 0, dropped 0\n");
}

static void test_move_store(void)
{
    /* the grid of test_extend_and_shrink, its store copied elsewhere and the old one gone */
    char *out = NULL;
    IMP_ASSERT_INT_EQ(imp_test_sh(&out, "mkdir -p %s/scratch && cp %s/toy.h5 %s/scratch/moved.h5 "
                                        "&& mv %s/toy.h5 %s/toy.h5.away",
                                  dir(), dir(), dir(), dir(), dir()), 0);
    free(out);
    write_job("g", "g", "scratch/moved.h5", "[toy]", "[1, 3, 5]", "[1, 2, 3]", "");
    plan_says("g", "kept 30, new 0, dropped 0\n");
    sweep_ok("g", "--quiet", "0 to do");
    int maxk = 0;
    IMP_ASSERT_INT_EQ(journal_records("g", &maxk), 30);
    IMP_ASSERT_INT_EQ(imp_test_sh(&out, "mv %s/toy.h5.away %s/toy.h5", dir(), dir()), 0);
    free(out);
}

/* Overwrite /<model>/blobs/train/X in place with its rows negated, as h5py's
 * `f[...][...] = new` would (the dataset and its group keep their attributes). */
static void rewrite_x(const char *store, const char *model)
{
    char path[900], obj[256];
    snprintf(path, sizeof path, "%s/%s", dir(), store);
    snprintf(obj, sizeof obj, "/%s/blobs/train/X", model);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    hid_t d = H5Dopen2(f, obj, H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2];
    H5Sget_simple_extent_dims(sp, dims, NULL);
    float *x = malloc(dims[0] * dims[1] * sizeof *x);
    CU_ASSERT(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
    for (size_t i = 0; i < dims[0] * dims[1]; i++)
        x[i] = -x[i];
    CU_ASSERT(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
    free(x);
    H5Sclose(sp);
    H5Dclose(d);
    H5Fclose(f);
}

static void test_changed_store_and_lambda(void)
{
    make_store("two.h5");
    /* 2 models x 2 tasks x 2 seeds x 4 = 32 cells */
    write_job("c", "c", "two.h5", "[toy, toy2]", "[1, 3]", "[1, 2]", "");
    sweep_ok("c", "--quiet", "32 to do");
    rewrite_x("two.h5", "toy2");
    /* exactly toy2's 16 cells */
    plan_says("c", "kept 16, new 0, dropped 0, invalidated 16\n");
    plan_says("c", "blobs of toy2 changed since these cells were computed: 16 cells will be "
                   "recomputed\n");
    sweep_ok("c", "--quiet", "16 to do");
    plan_says("c", "kept 32, new 0, dropped 0\n");
    /* the same as a fresh sweep over the rewritten store */
    write_job("cfresh", "cfresh", "two.h5", "[toy, toy2]", "[1, 3]", "[1, 2]", "");
    sweep_ok("cfresh", "--quiet", "32 to do");
    compare_cubes("c", "cfresh", 32);
    /* λ of toy: only its ls cells (2 tasks x 2 seeds); the default was 0.05 */
    write_job("c", "c", "two.h5", "[toy, toy2]", "[1, 3]", "[1, 2]", "lambda: {toy: 0.5}\n");
    plan_says("c", "kept 28, new 0, dropped 0, invalidated 4\n");
    plan_says("c", "the lambda of toy changed (0.05 -> 0.5): 4 cells will be recomputed\n");
    /* a task's definition: pair becomes [2, 1]; its 2 models x 2 seeds x 4 cells */
    char path[900], text[1024];
    snprintf(path, sizeof path, "%s/c.yaml", dir());
    snprintf(text, sizeof text,
             "store: two.h5\ncube: c.h5\nmodels: [toy, toy2]\ntasks:\n"
             "  - {name: all3, dataset: blobs, classes: all}\n"
             "  - {name: pair, dataset: blobs, classes: [2, 1]}\n"
             "strategies: [none/mean/none/none/max, none/ls/none/none/max, l2/kmeans/l2/l2/max]\n"
             "ks: [1, 3]\nseeds: [1, 2]\n");
    CU_ASSERT_EQUAL(imp_test_write_file(path, text, strlen(text)), 0);
    plan_says("c", "kept 16, new 0, dropped 0, invalidated 16\n");
    plan_says("c", "the definition of task pair changed: 16 cells will be recomputed\n");
}

/* ---- shards ------------------------------------------------------------------------------ */

static void shard_job(const char *name)
{
    write_job(name, name, "two.h5", "[toy, toy2]", "[1, 3, 5]", "[1, 2, 3]", "");
}

static int exists(const char *name)
{
    char p[900];
    snprintf(p, sizeof p, "%s/%s", dir(), name);
    return access(p, F_OK) == 0;
}

static void merge_ok(const char *job, const char *expect)
{
    char *out = NULL;
    int rc = tool(&out, "merge", job, "");
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "merge %s: exit %d\n%s", job, rc, out);
    IMP_ASSERT_STR_CONTAINS(out, expect);
    free(out);
}

static void test_shards_sequential(void)
{
    /* the one-process reference: 2 models x 2 tasks x 3 seeds x 5 = 60 cells */
    shard_job("ref");
    sweep_ok("ref", "--quiet", "60 to do");
    shard_job("seq");
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        char opt[64];
        snprintf(opt, sizeof opt, "--quiet --shard %d/3", i);
        sweep_ok("seq", opt, NULL);
        char name[64];
        snprintf(name, sizeof name, "seq.h5.shard-%d-of-3.journal", i);
        CU_ASSERT(exists(name));
        imp_journal_set *set;
        imp_journal_info info;
        imp_err err;
        char p[900];
        snprintf(p, sizeof p, "%s/%s", dir(), name);
        IMP_ASSERT_INT_EQ(imp_journal_load(p, &set, &info, &err), 0);
        CU_ASSERT(info.n_records > 0); /* every shard has a share of the 12 units */
        IMP_ASSERT_INT_EQ(info.id.shard_i, i);
        IMP_ASSERT_INT_EQ(info.id.shard_n, 3);
        total += info.n_records;
        imp_journal_set_free(set);
    }
    IMP_ASSERT_INT_EQ(total, 60); /* the shares are disjoint and cover the grid */
    CU_ASSERT(!exists("seq.h5"));  /* shards never write the cube */
    CU_ASSERT(!exists("seq.h5.journal"));
    char *out = NULL;
    /* status (of a cube: after a first merge) counts shard journals: checked below */
    merge_ok("seq", "3 shard journals folded (60 records, 60 new, 0 already in the journal)");
    CU_ASSERT(!exists("seq.h5.shard-0-of-3.journal"));
    compare_to_reference("seq");
    /* idempotent */
    merge_ok("seq", "0 shard journals folded (0 records");
    compare_to_reference("seq");
    int maxk = 0;
    IMP_ASSERT_INT_EQ(journal_records("seq", &maxk), 60);
    IMP_ASSERT_INT_EQ(maxk, 1);
    /* a rerun shard has nothing to do, and status counts its (empty) journal */
    sweep_ok("seq", "--quiet --shard 1/3", "0 to do");
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "status %s/seq.h5", dir()), 0);
    IMP_ASSERT_STR_CONTAINS(out, "shard journals: 1 (0 records");
    free(out);
}

static void test_shards_parallel(void)
{
    shard_job("par");
    char *out = NULL;
    int rc = imp_test_sh(&out, "cd %s && for i in 0 1 2; do '%s' sweep par.yaml --quiet --threads 1 "
                               "--shard $i/3 > par.$i.log 2>&1 & done; wait; "
                               "cat par.0.log par.1.log par.2.log",
                         dir(), IMP_TOOL_PATH);
    IMP_ASSERT_INT_EQ(rc, 0);
    free(out);
    merge_ok("par", "3 shard journals folded (60 records, 60 new");
    compare_to_reference("par");
}

static void test_shard_killed(void)
{
    shard_job("kill");
    char jp[900];
    snprintf(jp, sizeof jp, "%s/kill.h5.shard-1-of-3.journal", dir());
    pid_t p = fork();
    if (p == 0) {
        setenv("IMPRINT_TEST_UNIT_SLEEP_MS", "1500", 1);
        char job[900];
        snprintf(job, sizeof job, "%s/kill.yaml", dir());
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(IMP_TEST_TOOL_PATH, IMP_TEST_TOOL_PATH, "sweep", job, "--quiet", "--threads", "1", "--shard",
              "1/3", (char *)NULL);
        _exit(127);
    }
    /* kill once a first unit is journaled and synced (header 64 bytes) */
    struct stat st;
    for (int i = 0; i < 600 && !(stat(jp, &st) == 0 && st.st_size > 64); i++)
        usleep(50000);
    CU_ASSERT(stat(jp, &st) == 0 && st.st_size > 64);
    kill(p, SIGKILL);
    int status;
    waitpid(p, &status, 0);
    CU_ASSERT(WIFSIGNALED(status));
    imp_journal_set *set;
    imp_journal_info info;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_journal_load(jp, &set, &info, &err), 0);
    CU_ASSERT(info.n_records > 0);
    imp_journal_set_free(set);
    /* the other shards run and are merged with the killed one's part; the merge empties the
     * shard journals down to their headers, so the rerun of shard 1 splits as before and
     * computes only the rest of its share */
    sweep_ok("kill", "--quiet --shard 0/3", NULL);
    sweep_ok("kill", "--quiet --shard 2/3", NULL);
    char *out = NULL;
    IMP_ASSERT_INT_EQ(tool(&out, "merge", "kill", ""), 0);
    IMP_ASSERT_STR_CONTAINS(out, "3 shard journals folded");
    CU_ASSERT(strstr(out, " 0 pending") == NULL);
    free(out);
    CU_ASSERT(stat(jp, &st) == 0 && st.st_size == IMP_JOURNAL_HEADER_BYTES);
    sweep_ok("kill", "--quiet --shard 1/3", NULL);
    IMP_ASSERT_INT_EQ(imp_journal_load(jp, &set, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.n_records, set->n);
    CU_ASSERT(info.n_records > 0);
    imp_journal_set_free(set);
    merge_ok("kill", "0 pending");
    int maxk = 0;
    IMP_ASSERT_INT_EQ(journal_records("kill", &maxk), 60); /* every cell once: none ran twice */
    IMP_ASSERT_INT_EQ(maxk, 1);
    compare_to_reference("kill");
    CU_ASSERT(!exists("kill.h5.shard-1-of-3.journal")); /* complete: shard journals deleted */
}

static void test_bad_shards_and_foreign_journals(void)
{
    static const char *bad[] = {"0/0", "3/2", "x", "1", "-1/2", "1/2/3", "2/2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL, opt[64];
        snprintf(opt, sizeof opt, "--shard %s", bad[i]);
        IMP_ASSERT_INT_EQ(tool(&out, "sweep", "ref", opt), 2);
        IMP_ASSERT_STR_CONTAINS(out, "0 <= I < N");
        free(out);
    }
    /* a shard journal of another grid (fewer seeds) under this cube's name is refused, naming
     * the file, and nothing is merged */
    write_job("other", "foreign", "two.h5", "[toy, toy2]", "[1, 3, 5]", "[1, 2]", "");
    sweep_ok("other", "--quiet --shard 0/2", NULL);
    shard_job("foreign");
    sweep_ok("foreign", "--quiet --shard 1/2", NULL);
    char *out = NULL;
    IMP_ASSERT_INT_EQ(tool(&out, "merge", "foreign", ""), 2);
    IMP_ASSERT_STR_CONTAINS(out, "foreign.h5.shard-0-of-2.journal: a shard journal of another grid");
    free(out);
    CU_ASSERT(!exists("foreign.h5.journal"));
    CU_ASSERT(exists("foreign.h5.shard-1-of-2.journal"));
    /* and the shard itself refuses to go on in that journal */
    IMP_ASSERT_INT_EQ(tool(&out, "sweep", "foreign", "--quiet --shard 0/2"), 2);
    IMP_ASSERT_STR_CONTAINS(out, "shard journal of another grid or store content");
    free(out);
}

/* A running shard (its journal locked) is skipped by merge; a second merge waits for the one
 * holding the merge lock. The locks are taken here as sweep and merge take them (flock). */
static void test_merge_locks(void)
{
    shard_job("lk");
    sweep_ok("lk", "--quiet --shard 0/2", NULL);
    sweep_ok("lk", "--quiet --shard 1/2", NULL);
    char p1[900], lock[900];
    snprintf(p1, sizeof p1, "%s/lk.h5.shard-1-of-2.journal", dir());
    snprintf(lock, sizeof lock, "%s/lk.h5.merge.lock", dir());
    int fd = open(p1, O_RDWR | O_CLOEXEC);
    CU_ASSERT_FATAL(fd >= 0);
    IMP_ASSERT_INT_EQ(flock(fd, LOCK_EX), 0);
    char *out = NULL;
    IMP_ASSERT_INT_EQ(tool(&out, "merge", "lk", ""), 0);
    IMP_ASSERT_STR_CONTAINS(out, "lk.h5.shard-1-of-2.journal is still being written");
    IMP_ASSERT_STR_CONTAINS(out, "1 shard journal folded");
    free(out);
    close(fd);
    struct stat st;
    CU_ASSERT(stat(p1, &st) == 0 && st.st_size > IMP_JOURNAL_HEADER_BYTES); /* not merged */

    /* hold the merge lock: a merge started now says it waits, and finishes once released */
    int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644); /* not inherited by the merge */
    CU_ASSERT_FATAL(lfd >= 0);
    IMP_ASSERT_INT_EQ(flock(lfd, LOCK_EX), 0);
    char log[900];
    snprintf(log, sizeof log, "%s/lk.merge.log", dir());
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "'%s' merge %s/lk.yaml > %s 2>&1 &", IMP_TOOL_PATH, dir(),
                                  log), 0);
    int waited = 0;
    for (int i = 0; i < 600 && !waited; i++) { /* until it says so, at most 60 s */
        char *t = NULL;
        imp_test_sh(&t, "cat %s", log);
        waited = t && strstr(t, "another merge of") != NULL;
        free(t);
        if (!waited)
            usleep(100000);
    }
    CU_ASSERT(waited);
    CU_ASSERT(stat(p1, &st) == 0 && st.st_size > IMP_JOURNAL_HEADER_BYTES); /* still waiting */
    close(lfd);
    /* its last line (the process itself may linger as a zombie nobody reaps: no kill -0) */
    int finished = 0;
    out = NULL;
    for (int i = 0; i < 600 && !finished; i++) {
        free(out);
        out = NULL;
        imp_test_sh(&out, "cat %s", log);
        finished = out && strstr(out, "pending\n") != NULL;
        if (!finished)
            usleep(100000);
    }
    CU_ASSERT(finished);
    IMP_ASSERT_STR_CONTAINS(out, "1 shard journal folded");
    IMP_ASSERT_STR_CONTAINS(out, " 0 pending");
    free(out);
    compare_to_reference("lk");
}

/* ---- version 1 journals ------------------------------------------------------------------ */

static void test_v1_journal_converted(void)
{
    /* tests/data/journal-v1: v1.yaml swept by imprint 0.1 (the previous release) over the toy
     * store: the cube and its version 1 journal, 16 cells */
    char *out = NULL;
    int rc = imp_test_sh(&out, "mkdir -p %s/v1 && cp %s/tests/data/journal-v1/v1.yaml "
                               "%s/tests/data/journal-v1/v1.h5 %s/tests/data/journal-v1/v1.h5.journal "
                               "%s/v1/ && cp %s/toy.h5 %s/v1/",
                         dir(), IMP_SOURCE_DIR, IMP_SOURCE_DIR, IMP_SOURCE_DIR, dir(), dir(), dir());
    IMP_ASSERT_INT_EQ(rc, 0);
    free(out);
    /* without the cube that names its grid: refused, with the command that converts it */
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "mv %s/v1/v1.h5 %s/v1/v1.h5.away", dir(), dir()), 0);
    rc = imp_test_tool(&out, "sweep %s/v1/v1.yaml --quiet", dir());
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "a version 1 journal");
    IMP_ASSERT_STR_CONTAINS(out, "imprint merge");
    IMP_ASSERT_STR_CONTAINS(out, "--v1-job OLD.yaml");
    free(out);
    /* converted with the job given explicitly */
    rc = imp_test_tool(&out, "merge %s/v1/v1.yaml --v1-job %s/v1/v1.yaml", dir(), dir());
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "merge --v1-job: exit %d\n%s", rc, out);
    IMP_ASSERT_STR_CONTAINS(out, "converted from version 1 to 3 (16 records");
    free(out);
    CU_ASSERT(exists("v1/v1.h5.journal.v1"));
    rc = imp_test_tool(&out, "sweep %s/v1/v1.yaml --quiet", dir());
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "kept 16, new 0, dropped 0");
    IMP_ASSERT_STR_CONTAINS(out, "0 to do");
    free(out);
    /* the previous release's results equal this one's, cell by cell */
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "cd %s/v1 && sed 's/cube: v1.h5/cube: v1fresh.h5/' v1.yaml "
                                        "> v1fresh.yaml", dir()), 0);
    rc = imp_test_tool(&out, "sweep %s/v1/v1fresh.yaml --quiet", dir());
    IMP_ASSERT_INT_EQ(rc, 0);
    free(out);
    compare_cubes("v1/v1", "v1/v1fresh", 16);

    /* converted on open by the cube's own job text (plan does it too) */
    rc = imp_test_sh(&out, "cd %s/v1 && rm v1.h5.journal && mv v1.h5.journal.v1 v1.h5.journal "
                           "&& cp %s/tests/data/journal-v1/v1.h5 v1.h5", dir(), IMP_SOURCE_DIR);
    IMP_ASSERT_INT_EQ(rc, 0);
    free(out);
    rc = imp_test_tool(&out, "plan %s/v1/v1.yaml", dir());
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "journal     16 records (converted from version 1)");
    IMP_ASSERT_STR_CONTAINS(out, "kept 16, new 0, dropped 0");
    free(out);
}

/* The conversion publishes atomically: killed before its rename, or failing, it leaves the
 * version 1 journal byte for byte as it was; completed, the new journal holds the same
 * records with the old file's permission bits and no temporary is left. */
static void test_v1_conversion_atomic(void)
{
    const char *src = IMP_SOURCE_DIR "/tests/data/journal-v1";
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "mkdir -p %s/v1c && cp %s/v1.yaml %s/v1.h5 "
                                        "%s/v1.h5.journal %s/v1c/ && "
                                        "chmod 640 %s/v1c/v1.h5.journal",
                                  dir(), src, src, src, dir(), dir()), 0);
    make_store("v1c/toy.h5");
    char jp[900], cmp[2000];
    snprintf(jp, sizeof jp, "%s/v1c/v1.h5.journal", dir());
    snprintf(cmp, sizeof cmp, "cmp %s/v1.h5.journal %s", src, jp);

    /* killed just before the rename: the journal is the version 1 file */
    char *out = NULL;
    int rc = imp_test_sh(&out, "IMPRINT_TEST_CRASH_AT=journal-rename:1 '%s' merge %s/v1c/v1.yaml "
                               "--v1-job %s/v1c/v1.yaml", IMP_TEST_TOOL_PATH, dir(), dir());
    imp__assert_msg(rc == 128 + SIGKILL || rc == -1, __LINE__, __FILE__,
                    "merge killed at journal-rename: exit %d\n%s", rc, out);
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "%s", cmp), 0);

    /* failing (the temporary's place taken by a directory): refused, nothing changed, and the
     * directory (not the conversion's) is left alone */
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "rm -f %s.v2tmp && mkdir %s.v2tmp", jp, jp), 0);
    rc = imp_test_tool(&out, "merge %s/v1c/v1.yaml --v1-job %s/v1c/v1.yaml", dir(), dir());
    imp__assert_msg(rc == 1, __LINE__, __FILE__, "merge with v2tmp a directory: exit %d\n%s", rc,
                    out);
    IMP_ASSERT_STR_CONTAINS(out, "v1.h5.journal.v2tmp");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "%s", cmp), 0);
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "rmdir %s.v2tmp", jp), 0);

    /* completed: the same records, by value, with the old file's mode */
    rc = imp_test_tool(&out, "merge %s/v1c/v1.yaml --v1-job %s/v1c/v1.yaml", dir(), dir());
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "merge --v1-job: exit %d\n%s", rc, out);
    IMP_ASSERT_STR_CONTAINS(out, "converted from version 1 to 3 (16 records");
    free(out);
    CU_ASSERT(!exists("v1c/v1.h5.journal.v2tmp"));
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "cmp %s/v1.h5.journal %s.v1", src, jp), 0);
    struct stat st;
    IMP_ASSERT_INT_EQ(stat(jp, &st), 0);
    IMP_ASSERT_INT_EQ(st.st_mode & 0777, 0640);
    imp_journal_set *v1 = NULL, *v2 = NULL;
    imp_journal_info i1, i2;
    imp_err err;
    char v1p[900];
    snprintf(v1p, sizeof v1p, "%s/v1.h5.journal", src);
    IMP_ASSERT_INT_EQ(imp_journal_load(v1p, &v1, &i1, &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_load(jp, &v2, &i2, &err), 0);
    IMP_ASSERT_INT_EQ(i1.version, 1);
    IMP_ASSERT_INT_EQ(i2.version, IMP_JOURNAL_VERSION);
    IMP_ASSERT_INT_EQ(v1->n, 16);
    IMP_ASSERT_INT_EQ(v2->n, v1->n);
    for (size_t i = 0; i < v1->n && i < v2->n; i++) { /* converted in file order */
        const imp_cell_result *a = &v1->rec[i].res, *b = &v2->rec[i].res;
        IMP_ASSERT_INT_EQ(b->status, a->status);
        IMP_ASSERT_INT_EQ(memcmp(&b->accuracy, &a->accuracy, sizeof a->accuracy), 0);
        IMP_ASSERT_INT_EQ(b->n_proxies, a->n_proxies);
        CU_ASSERT_STRING_EQUAL(b->message, a->message);
        CU_ASSERT(v2->rec[i].key_len > 0);
    }
    imp_journal_set_free(v1);
    imp_journal_set_free(v2);
}

int main(void)
{
    static const imp_test tests[] = {
        {"split_and_spec", test_split_and_spec},
        {"extend_and_shrink", test_extend_and_shrink},
        {"move_store", test_move_store},
        {"changed_store_and_lambda", test_changed_store_and_lambda},
        {"shards_sequential", test_shards_sequential},
        {"shards_parallel", test_shards_parallel},
        {"shard_killed", test_shard_killed},
        {"bad_shards_and_foreign_journals", test_bad_shards_and_foreign_journals},
        {"merge_locks", test_merge_locks},
        {"v1_journal_converted", test_v1_journal_converted},
        {"v1_conversion_atomic", test_v1_conversion_atomic},
        {NULL, NULL},
    };
    return imp_test_main("evolve", tests);
}
