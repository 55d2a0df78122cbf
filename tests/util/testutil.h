/* testutil.h — shared CUnit scaffolding: a suite runner, temp dirs, running the tool, and
 * assertions that print both sides. */
#ifndef IMPRINT_TESTUTIL_H
#define IMPRINT_TESTUTIL_H

#include <CUnit/CUnit.h>
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>

#include "imprint/cube.h"

typedef struct imp_test {
    const char *name;
    void (*fn)(void);
} imp_test;

/* Run the NULL-terminated list, each test in a process of its own (forked, with a CUnit
 * registry holding it alone) and its own time limit (IMP_TEST_TIMEOUT seconds, default 600:
 * a case over it is killed and counted failed), so a crash, a hang or a skip of one test
 * cannot hide the others. IMP_TEST_ONLY=NAME runs that one. Every case shares the suite's
 * temporary directory (made first); what a case leaves in its globals is gone after it, so a
 * fixture several cases need is made by setup, run first as a test of its own in this
 * process (its globals are inherited by every case; if it fails or skips, no case runs).
 * Returns the process exit code: 1 if a case failed, else IMP_TEST_SKIP if one skipped,
 * else 0; the last line says "N passed, N failed, N skipped". The list ends at {NULL, NULL}
 * alone: an entry with only one of name and fn fails the suite before any case runs (an
 * optional test is always registered and skips inside), as does an IMP_TEST_ONLY that names
 * no case (tests/test_runner.c). */
int imp_test_main(const char *suite, const imp_test *tests);
int imp_test_main_setup(const char *suite, void (*setup)(void), const imp_test *tests);

/* The exit code ctest reads as "skipped" (SKIP_RETURN_CODE in CMakeLists.txt, as automake). */
#define IMP_TEST_SKIP 77
/* The running test cannot run here (a missing tool or package): print why and make the
 * suite report SKIP, never pass. The caller returns from the test right after. */
void imp_test_skip(const char *why);
/* Skip the whole suite now (before imp_test_main): print why and exit IMP_TEST_SKIP. */
void imp_test_skip_suite(const char *suite, const char *why) __attribute__((noreturn));
/* 1 if /usr/bin/python3 can import every module of the space-separated list. */
int imp_test_have_python(const char *modules);
/* The first of /usr/bin/python3 and the python3 on PATH that imports every module of the
 * space-separated list (a static string), or NULL: for the tests that run a job script with
 * Debian's or a virtualenv's torch. */
const char *imp_test_find_python(const char *modules);

/* A job file over the toy store (imp_test_blob_store): the tasks all3 (every class), pair
 * (classes 2, 0) and pair2 (0, 1) of dataset blobs, plus extra_task, at k 1 and shots all
 * and 5. The suites that sweep under MPI and Slurm write their jobs with it. */
typedef struct imp_toy_job {
    const char *dir;        /* where NAME.yaml goes, under the test directory ("" or "sub/") */
    const char *store;      /* the store as the job names it */
    const char *cube_dir;   /* the cube is <cube_dir>NAME.h5 as the job names it ("" or "x/") */
    const char *extra_task; /* one task line more ("  - {...}\n"), or NULL */
    const char *strategies; /* the list inside [ ] */
    const char *seeds;      /* the list inside [ ] */
} imp_toy_job;
/* The 48-cell job of test_stop and test_cluster: NAME.yaml beside toy.h5, mean and kmeans at
 * k 1, seeds 1..4 (kmeans draws with the seed: 24 work units). */
extern const imp_toy_job imp_toy_job48;
/* Write <test directory>/<j->dir>NAME.yaml (fatal CUnit assertion on failure). */
void imp_test_write_toy_job(const char *name, const imp_toy_job *j);

/* The float [n, d] (is_float) or int32 [n] dataset name of the HDF5 file (a malloc'd array;
 * dims[1] = 1 for a vector), or NULL when the file, the dataset or a group on its path is
 * missing, or its rank is not 1 or 2. */
void *imp_test_h5_read(const char *file, const char *name, int is_float, hsize_t dims[2]);

/* A fresh directory for this test process (removed at exit unless IMP_KEEP_TMP is set). */
const char *imp_test_tmpdir(void);
/* "<tmpdir>/<name>" in a static rotating buffer (32 slots: copy it to keep it longer). */
const char *imp_test_path(const char *name);

/* Run `imprint <args>` through /bin/sh with stdout+stderr captured into *out (malloc'd,
 * may be NULL). Returns the exit status, or -1 if it did not exit normally. */
int imp_test_tool(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run a shell command the same way. */
int imp_test_sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `imprint sweep JOB` in one process (no mpirun), like imp_test_tool, but without
 * LeakSanitizer's leak check: Open MPI's runtime leaks at exit (see CMakeLists.txt). */
int imp_test_sweep(char **out, const char *job);
/* `imprint ARGS` (one string, already formatted) as imp_test_tool, a sweep among them as
 * imp_test_sweep runs it. */
int imp_test_tool_args(char **out, const char *args);

/* The cube file NAME.h5 of the test directory; NULL (and the test failed, naming the file and
 * why) when it cannot be read. Free with imp_cube_free. */
imp_cube *imp_test_read_cube(const char *name);

/* Write bytes to a file; returns 0 on success. */
int imp_test_write_file(const char *path, const void *buf, size_t n);
/* Write one GEN result and its cells' predictions for the float64 oracle of
 * tests/ref/oracle_distances.py (little-endian): int64 P, d, n, C, S; float32 W[P×d]
 * (before NORMpost); int32 proxy_class[P]; float32 X[n×d] (test rows grouped by class);
 * int32 y[n]; int32 pred[S][n] (-1 where codes[s] != 0). Returns 0 or -1. */
struct imp_proxies;
struct imp_data;
int imp_test_write_predictions(const char *path, const struct imp_proxies *px,
                               const struct imp_data *test, size_t S, int32_t *const *pred,
                               const int *codes);

/* Write a store of one (model, dataset) with both splits [n, d]. Returns 0 on success. */
int imp_test_write_store(const char *path, const char *model, const char *dataset,
                         const float *Xtr, const int32_t *ytr, size_t ntr, const float *Xte,
                         const int32_t *yte, size_t nte, size_t d);

/* Write the toy store the sweep and Slurm tests share: model "toy", dataset "blobs", 3
 * Gaussian blobs in 8-d (60 train and 20 test rows per class, labels interleaved, seed 42).
 * Returns 0 on success. */
int imp_test_blob_store(const char *path);
/* Add those blobs (every value times scale) as /<model>/<dataset> to a store transaction.
 * Returns 0 on success. */
struct imp_store_tx;
int imp_test_blobs_put(struct imp_store_tx *tx, const char *model, const char *dataset,
                       double scale);

/* 22 AGG values (max, nn and mnn over cosine / euclidean / manhattan with M 1, 3, 5) for job
 * texts of the sweep and scheduler tests: many cells on one proxy set. */
#define IMP_TEST_AGGS22                                                                      \
    "[max, nn:cosine, nn:euclidean, nn:manhattan, mnn:1:cosine:uniform, "                   \
    "mnn:1:cosine:distance, mnn:1:euclidean:uniform, mnn:1:euclidean:distance, "            \
    "mnn:1:manhattan:uniform, mnn:1:manhattan:distance, mnn:3:cosine:uniform, "             \
    "mnn:3:cosine:distance, mnn:3:euclidean:uniform, mnn:3:euclidean:distance, "            \
    "mnn:3:manhattan:uniform, mnn:3:manhattan:distance, mnn:5:cosine:uniform, "             \
    "mnn:5:cosine:distance, mnn:5:euclidean:uniform, mnn:5:euclidean:distance, "            \
    "mnn:5:manhattan:uniform, mnn:5:manhattan:distance]"

/* Keys for tests that build cubes and journals by hand, without a job: cell c's key is
 * "test-cell <c>" (an imp_journal_key_fn; ctx unused), and imp_test_cube_keys sets the
 * matching cube->key of every cell that is not n/a. */
size_t imp_test_cell_key(const void *ctx, uint64_t cell, char *buf, size_t n, uint64_t *hash);
void imp_test_cube_keys(imp_cube *cube);

void imp__assert_msg(int ok, int line, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define IMP_ASSERT_INT_EQ(a, b)                                                         \
    do {                                                                                \
        long long imp__a = (long long)(a), imp__b = (long long)(b);                     \
        imp__assert_msg(imp__a == imp__b, __LINE__, __FILE__, "%s == %s (%lld vs %lld)", \
                        #a, #b, imp__a, imp__b);                                        \
    } while (0)

#define IMP_ASSERT_NEAR(a, b, tol)                                                      \
    do {                                                                                \
        double imp__a = (double)(a), imp__b = (double)(b), imp__t = (double)(tol);      \
        imp__assert_msg(imp__a - imp__b <= imp__t && imp__b - imp__a <= imp__t, __LINE__, \
                        __FILE__, "%s ~= %s (%.17g vs %.17g, tol %g)", #a, #b, imp__a,   \
                        imp__b, imp__t);                                                \
    } while (0)

/* Relative closeness: |a-b| <= rtol * max(|a|,|b|) (or both zero). */
#define IMP_ASSERT_REL(a, b, rtol)                                                      \
    do {                                                                                \
        double imp__a = (double)(a), imp__b = (double)(b), imp__r = (double)(rtol);     \
        double imp__m = imp__a < 0 ? -imp__a : imp__a, imp__n = imp__b < 0 ? -imp__b : imp__b; \
        double imp__d = imp__a - imp__b;                                                \
        if (imp__d < 0) imp__d = -imp__d;                                               \
        imp__assert_msg(imp__d <= imp__r * (imp__m > imp__n ? imp__m : imp__n), __LINE__, \
                        __FILE__, "%s ~= %s (%.17g vs %.17g, rtol %g)", #a, #b, imp__a,  \
                        imp__b, imp__r);                                                \
    } while (0)

#define IMP_ASSERT_STR_CONTAINS(hay, needle)                                            \
    do {                                                                                \
        const char *imp__h = (hay) ? (hay) : "";                                        \
        imp__assert_msg(strstr(imp__h, (needle)) != NULL, __LINE__, __FILE__,           \
                        "output contains \"%s\"; output was:\n%s", (needle), imp__h);   \
    } while (0)

#endif
