/* testutil.c — shared CUnit scaffolding for the per-module test executables. */
#include "testutil.h"

#include "imprint/hash64.h"

#include "imprint/proxy.h"
#include "imprint/rng.h"
#include "imprint/store.h"

#include <CUnit/Basic.h>
#include <hdf5_hl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_tmpdir[512];
static pid_t g_tmpdir_owner; /* the process that made it: only it removes it */

static void rm_tmpdir(void)
{
    if (g_tmpdir[0] && getpid() == g_tmpdir_owner && !getenv("IMP_KEEP_TMP")) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "warning: could not remove %s\n", g_tmpdir);
    }
}

const char *imp_test_tmpdir(void)
{
    if (!g_tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(g_tmpdir, sizeof g_tmpdir, "%s/imptest.XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(g_tmpdir)) {
            perror("mkdtemp");
            exit(1);
        }
        g_tmpdir_owner = getpid();
        atexit(rm_tmpdir);
    }
    return g_tmpdir;
}

const char *imp_test_path(const char *name)
{
    static char bufs[32][768];
    static int slot;
    char *b = bufs[slot++ & 31];
    snprintf(b, sizeof bufs[0], "%s/%s", imp_test_tmpdir(), name);
    return b;
}

static int run_capture(char **out, const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 2) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    if (buf)
        buf[len] = '\0';
    int st = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

int imp_test_sh(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd - 16, fmt, ap);
    va_end(ap);
    strcat(cmd, " 2>&1");
    return run_capture(out, cmd);
}

int imp_test_tool(char **out, const char *fmt, ...)
{
    char args[7000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return imp_test_sh(out, "'%s' %s", IMP_TOOL_PATH, args);
}

/* A sweep runs without LeakSanitizer's leak check (testutil.h) */
#define NO_LEAK_CHECK "ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\" "

int imp_test_sweep(char **out, const char *job)
{
    return imp_test_sh(out, NO_LEAK_CHECK "'%s' sweep '%s'", IMP_TOOL_PATH, job);
}

int imp_test_tool_args(char **out, const char *args)
{
    return imp_test_sh(out, "%s'%s' %s", strncmp(args, "sweep", 5) == 0 ? NO_LEAK_CHECK : "",
                       IMP_TOOL_PATH, args);
}

void *imp_test_h5_read(const char *file, const char *name, int is_float, hsize_t dims[2])
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return NULL;
    void *buf = NULL;
    int rank = 0;
    dims[0] = dims[1] = 1;
    if (H5LTpath_valid(f, name, 1) > 0 && H5LTget_dataset_ndims(f, name, &rank) >= 0 &&
        rank >= 1 && rank <= 2 && H5LTget_dataset_info(f, name, dims, NULL, NULL) >= 0) {
        size_t n = (size_t)dims[0] * (rank == 2 ? (size_t)dims[1] : 1);
        if (rank == 1)
            dims[1] = 1;
        buf = malloc(n * 4 + 1);
        herr_t r = is_float ? H5LTread_dataset_float(f, name, buf)
                            : H5LTread_dataset_int(f, name, buf);
        if (r < 0) {
            free(buf);
            buf = NULL;
        }
    }
    H5Fclose(f);
    return buf;
}

const imp_toy_job imp_toy_job48 = {"", "toy.h5", "", NULL,
                                   "none/mean/none/none/max, l2/kmeans/l2/l2/max", "1, 2, 3, 4"};

void imp_test_write_toy_job(const char *name, const imp_toy_job *j)
{
    char path[900], text[1024];
    snprintf(path, sizeof path, "%s/%s%s.yaml", imp_test_tmpdir(), j->dir, name);
    snprintf(text, sizeof text,
             "store: %s\ncube: %s%s.h5\nmodels: [toy]\ntasks:\n"
             "  - {name: all3, dataset: blobs, classes: all}\n"
             "  - {name: pair, dataset: blobs, classes: [2, 0]}\n"
             "  - {name: pair2, dataset: blobs, classes: [0, 1]}\n"
             "%s"
             "strategies: [%s]\nks: [1]\nshots: [all, 5]\nseeds: [%s]\n",
             j->store, j->cube_dir, name, j->extra_task ? j->extra_task : "", j->strategies,
             j->seeds);
    CU_ASSERT_EQUAL_FATAL(imp_test_write_file(path, text, strlen(text)), 0);
}

imp_cube *imp_test_read_cube(const char *name)
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s.h5", imp_test_tmpdir(), name);
    imp_cube *c = NULL;
    imp_err err;
    int rc = imp_cube_read(path, &c, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "read cube %s: %s", path, rc ? err.msg : "");
    return c;
}

int imp_test_write_file(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(buf, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

static void put_i64(FILE *f, int64_t v) { fwrite(&v, sizeof v, 1, f); }

int imp_test_write_predictions(const char *path, const imp_proxies *px, const imp_data *test,
                               size_t S, int32_t *const *pred, const int *codes)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = test->n, d = test->d;
    put_i64(f, (int64_t)px->P), put_i64(f, (int64_t)d), put_i64(f, (int64_t)n);
    put_i64(f, (int64_t)px->n_classes), put_i64(f, (int64_t)S);
    fwrite(px->W, sizeof(float), px->P * d, f);
    for (int c = 0; c < px->n_classes; c++)
        for (size_t j = px->offset[c]; j < px->offset[c + 1]; j++)
            fwrite(&(int32_t){c}, sizeof(int32_t), 1, f);
    fwrite(test->X, sizeof(float), n * d, f);
    for (int c = 0; c < test->n_classes; c++)
        for (size_t r = test->offset[c]; r < test->offset[c + 1]; r++)
            fwrite(&(int32_t){c}, sizeof(int32_t), 1, f);
    for (size_t s = 0; s < S; s++)
        for (size_t r = 0; r < n; r++)
            fwrite(codes && codes[s] ? &(int32_t){-1} : &pred[s][r], sizeof(int32_t), 1, f);
    return fclose(f) == 0 ? 0 : -1;
}

void imp__assert_msg(int ok, int line, const char *file, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!ok)
        fprintf(stderr, "\n  FAILED %s:%d: %s\n", file, line, msg);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, msg, file, "", CU_FALSE);
}

static int g_skipped;

void imp_test_skip(const char *why)
{
    printf("\n    SKIP: %s ", why);
    fflush(stdout);
    g_skipped++;
}

void imp_test_skip_suite(const char *suite, const char *why)
{
    printf("%s: SKIP: %s\n", suite, why);
    fflush(stdout);
    exit(IMP_TEST_SKIP);
}

/* 1 if python (a path or a name on PATH) can import every module of the space-separated
 * list, in one process (torch is slow to import) */
static int python_imports(const char *python, const char *modules)
{
    char list[512], stmt[1024], *save = NULL;
    snprintf(list, sizeof list, "%s", modules);
    size_t o = 0;
    stmt[0] = '\0';
    for (char *m = strtok_r(list, " ", &save); m && o < sizeof stmt; m = strtok_r(NULL, " ", &save))
        o += (size_t)snprintf(stmt + o, sizeof stmt - o, "%s%s", o ? ", " : "", m);
    return imp_test_sh(NULL, "%s -c 'import %s' >/dev/null 2>&1", python, stmt) == 0;
}

int imp_test_have_python(const char *modules)
{
    return python_imports("/usr/bin/python3", modules);
}

const char *imp_test_find_python(const char *modules)
{
    static const char *const cands[] = {"/usr/bin/python3", "python3"};
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++)
        if (python_imports(cands[i], modules))
            return cands[i];
    return NULL;
}

/* LeakSanitizer's check, present only in a sanitizer build. */
extern void __lsan_do_leak_check(void) __attribute__((weak));

/* One test case in this (child) process: its own CUnit registry holding it alone. Exit code
 * 0 passed, 1 failed, IMP_TEST_SKIP skipped. */
static int run_one(const char *suite, const imp_test *t)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    CU_add_test(s, t->name, t->fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : g_skipped ? IMP_TEST_SKIP : 0;
}

/* Seconds a test case may take (IMP_TEST_TIMEOUT, default 600). */
static unsigned case_timeout(void)
{
    const char *e = getenv("IMP_TEST_TIMEOUT");
    long v = e ? strtol(e, NULL, 10) : 0;
    return v > 0 ? (unsigned)v : 600u;
}

int imp_test_main_setup(const char *suite, void (*setup)(void), const imp_test *tests)
{
    /* the directory is made here, so every case shares it and only this process removes it */
    imp_test_tmpdir();
    const char *only = getenv("IMP_TEST_ONLY");
    /* the fixture: a CUnit test of its own in this process, so its assertions count and what
     * it leaves in globals is inherited by every forked case */
    if (setup) {
        imp_test fixture = {"setup (the suite's fixture)", setup};
        int rc = run_one(suite, &fixture);
        if (rc != 0) {
            printf("%s: the suite's setup %s: no test ran\n", suite,
                   rc == IMP_TEST_SKIP ? "skipped" : "failed");
            return rc;
        }
    }
    unsigned timeout = case_timeout();
    int passed = 0, failed = 0, skipped = 0, matched = 0;
    /* The list ends at {NULL, NULL} only: an entry with a test but no name (an optional test
     * named NULL when it cannot run) would otherwise end it and hide every test after it. */
    for (const imp_test *t = tests; t->name || t->fn; t++)
        if (!t->name || !t->fn) {
            printf("%s: entry %d of the test list has %s: register every test with a name and "
                   "skip inside it (imp_test_skip); no test ran\n", suite, (int)(t - tests),
                   t->name ? "no function" : "a function but no name");
            return 1;
        }
    for (const imp_test *t = tests; t->name; t++) {
        if (only && strcmp(only, t->name) != 0)
            continue;
        matched++;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            /* a case that hangs is ended by the alarm's default action */
            alarm(timeout);
            int rc = run_one(suite, t);
            fflush(NULL);
            /* the fixture's exit handlers (a temporary directory, a local cluster) belong to
             * the suite's process, not to a case: leave without them, leak-checked first in a
             * sanitizer build (LeakSanitizer then exits with its own code: a failure) */
            if (__lsan_do_leak_check)
                __lsan_do_leak_check();
            _exit(rc);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0)
            ;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            passed++;
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == IMP_TEST_SKIP) {
            skipped++;
        } else {
            failed++;
            if (WIFSIGNALED(st))
                printf("\n%s: test \"%s\" %s (signal %d)\n", suite, t->name,
                       WTERMSIG(st) == SIGALRM ? "TIMED OUT after IMP_TEST_TIMEOUT seconds"
                                               : "CRASHED",
                       WTERMSIG(st));
        }
    }
    if (only && !matched) {
        printf("%s: IMP_TEST_ONLY=%s names no test of the suite\n", suite, only);
        return 1;
    }
    printf("\n%s: %d passed, %d failed, %d skipped (one process per test)\n", suite, passed,
           failed, skipped);
    if (failed)
        return 1;
    if (skipped)
        printf("%s: %d test(s) skipped: the suite reports SKIP\n", suite, skipped);
    return skipped ? IMP_TEST_SKIP : 0;
}

int imp_test_main(const char *suite, const imp_test *tests)
{
    return imp_test_main_setup(suite, NULL, tests);
}

int imp_test_blobs_put(imp_store_tx *tx, const char *model, const char *dataset, double scale)
{
    enum { d = 8, ntr = 180, nte = 60 };
    static float Xtr[ntr * d], Xte[nte * d];
    static int32_t ytr[ntr], yte[nte];
    imp_rng r;
    imp_rng_init(&r, 42, 0, 0, 0);
    for (int i = 0; i < ntr + nte; i++) {
        int c = i % 3;
        float *x = i < ntr ? Xtr + i * d : Xte + (i - ntr) * d;
        for (int j = 0; j < d; j++)
            x[j] = (float)((imp_rng_normal(&r) + (j == c ? 2.0 : 0.0) + 0.5) * scale);
        if (i < ntr)
            ytr[i] = c;
        else
            yte[i - ntr] = c;
    }
    imp_err err;
    return imp_store_tx_put(tx, model, dataset, "train", Xtr, ytr, ntr, d, &err) ||
                   imp_store_tx_put(tx, model, dataset, "test", Xte, yte, nte, d, &err)
               ? -1
               : 0;
}

int imp_test_blob_store(const char *path)
{
    imp_store_tx *tx;
    imp_err err;
    if (imp_store_tx_begin(path, &tx, &err))
        return -1;
    if (imp_test_blobs_put(tx, "toy", "blobs", 1.0)) {
        imp_store_tx_abort(tx);
        return -1;
    }
    return imp_store_tx_commit(tx, &err) ? -1 : 0;
}

size_t imp_test_cell_key(const void *ctx, uint64_t cell, char *buf, size_t n, uint64_t *hash)
{
    (void)ctx;
    int len = snprintf(buf, n, "test-cell %llu", (unsigned long long)cell);
    if (len < 0 || (size_t)len >= n)
        return 0;
    *hash = imp_hash64(buf, (size_t)len);
    return (size_t)len;
}

void imp_test_cube_keys(imp_cube *cube)
{
    char buf[64];
    for (uint64_t c = 0; c < cube->n_cells; c++)
        if (cube->status[c] != IMP_CELL_NA)
            imp_test_cell_key(NULL, c, buf, sizeof buf, &cube->key[c]);
}

int imp_test_write_store(const char *path, const char *model, const char *dataset,
                         const float *Xtr, const int32_t *ytr, size_t ntr, const float *Xte,
                         const int32_t *yte, size_t nte, size_t d)
{
    imp_store_tx *tx;
    imp_err err;
    if (imp_store_tx_begin(path, &tx, &err))
        return -1;
    if (imp_store_tx_put(tx, model, dataset, "train", Xtr, ytr, ntr, d, &err) ||
        imp_store_tx_put(tx, model, dataset, "test", Xte, yte, nte, d, &err)) {
        imp_store_tx_abort(tx);
        return -1;
    }
    return imp_store_tx_commit(tx, &err) ? -1 : 0;
}
