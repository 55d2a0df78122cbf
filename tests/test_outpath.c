/* test_outpath.c — every kind of output path (new, regular, symbolic link, dangling link,
 * character device, FIFO, stdout, directory, unwritable folder) through imp_out_resolve and
 * through the tool's outputs (export, analyze, nc1, the cube itself): what is written where,
 * and that nothing a path names is destroyed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imprint/atomic.h"
#include "imprint/journal.h" /* IMP_CELL_DONE */
#include "imprint/store.h"
#include "testutil.h"

/* The whole file at path (NULL if unreadable); caller frees. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = NULL;
    size_t n = 0, cap = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (n + 2 > cap && !(b = realloc(b, cap = cap ? 2 * cap : 4096)))
            break;
        b[n++] = (char)c;
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    return b ? b : calloc(1, 1);
}

static char *dup_path(const char *name) { return strdup(imp_test_path(name)); }

/* ---- the rule itself ---- */

static void resolve(const char *path, int want_rc, const char *want_target, int want_fd)
{
    char *t = NULL;
    int fd = 99;
    imp_err err;
    imp_err_clear(&err);
    int rc = imp_out_resolve(path, &t, &fd, &err);
    imp__assert_msg(rc == want_rc, __LINE__, __FILE__, "%s: rc %d, want %d (%s)", path, rc,
                    want_rc, err.msg);
    if (!rc) {
        imp__assert_msg(t && strcmp(t, want_target) == 0, __LINE__, __FILE__,
                        "%s: target '%s', want '%s'", path, t ? t : "(null)", want_target);
        IMP_ASSERT_INT_EQ(fd, want_fd);
    } else {
        IMP_ASSERT_STR_CONTAINS(err.msg, path); /* the user's words */
    }
    free(t);
}

static void test_resolve(void)
{
    char *dir = realpath(imp_test_tmpdir(), NULL), *reg = dup_path("reg.txt"),
         *fresh = dup_path("fresh.txt"), *lnk = dup_path("lnk"), *chain = dup_path("chain"),
         *dang = dup_path("dang"), *fifo = dup_path("fifo"), *loop = dup_path("loop"),
         *sub = dup_path("sub");
    CU_ASSERT_FATAL(dir != NULL);
    CU_ASSERT_FATAL(imp_test_write_file(reg, "x", 1) == 0);
    char want[1200];
    resolve(reg, 0, reg, -1);     /* a regular file: replaced at its own name */
    resolve(fresh, 0, fresh, -1); /* a new path: created */
    /* a link (and a chain of them): the final file, by its real path */
    CU_ASSERT_FATAL(symlink("reg.txt", lnk) == 0 && symlink("lnk", chain) == 0);
    snprintf(want, sizeof want, "%s/reg.txt", dir);
    resolve(lnk, 0, want, -1);
    resolve(chain, 0, want, -1);
    /* a dangling relative link: the file it names, in the link's directory */
    CU_ASSERT_FATAL(symlink("sub2/../new.txt", dang) == 0);
    snprintf(want, sizeof want, "%s/sub2/../new.txt", imp_test_tmpdir());
    resolve(dang, 0, want, -1);
    /* devices and FIFOs: written directly, by their path */
    resolve("/dev/null", 0, "/dev/null", -2);
    CU_ASSERT_FATAL(mkfifo(fifo, 0600) == 0);
    resolve(fifo, 0, fifo, -2);
    /* refused: a directory, a link to one, a link loop */
    CU_ASSERT_FATAL(mkdir(sub, 0700) == 0);
    resolve(sub, IMP_EINPUT, NULL, 0);
    resolve(imp_test_tmpdir(), IMP_EINPUT, NULL, 0);
    CU_ASSERT_FATAL(symlink("loop", loop) == 0);
    resolve(loop, IMP_EINPUT, NULL, 0);
    imp_err err;
    char *t = NULL;
    int fd;
    IMP_ASSERT_INT_EQ(imp_out_resolve(sub, &t, &fd, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, ": is a directory; an output must be a file");
    free(dir), free(reg), free(fresh), free(lnk), free(chain), free(dang), free(fifo), free(loop),
        free(sub);
}

/* ---- through the tool ---- */

static char g_cube[800], g_csv[1 << 14]; /* a swept cube and its CSV as `export --csv -` */

/* The suite's fixture: a tiny sweep (3 classes of 2-d points) whose cube every tool test reads. */
static void make_cube(void)
{
    if (g_cube[0])
        return;
    float X[6 * 2] = {0, 1, 0, 2, 5, 5, 5, 6, 9, 0, 9, 1};
    int32_t y[6] = {0, 0, 1, 1, 2, 2};
    CU_ASSERT_FATAL(imp_test_write_store(imp_test_path("s.h5"), "m", "d", X, y, 6, X, y, 6, 2) == 0);
    static const char job[] = "store: s.h5\ncube: c.h5\nmodels: [m]\n"
                              "tasks:\n  - {name: t, dataset: d, classes: all}\n"
                              "  - {name: u, dataset: d, classes: [0, 2]}\n"
                              "strategies: [l2/mean/l2/l2/max, none/mean/none/none/nn:euclidean, "
                              "none/kmeans/none/none/max]\nks: [1, 2]\nseeds: [1, 2]\n";
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("j.yaml"), job, strlen(job)) == 0);
    char *out = NULL;
    int rc = imp_test_sweep(&out, imp_test_path("j.yaml"));
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "sweep: %d\n%s", rc, out);
    free(out);
    snprintf(g_cube, sizeof g_cube, "%s", imp_test_path("c.h5"));
    out = NULL;
    CU_ASSERT_FATAL(imp_test_sh(&out, "{ '%s' export '%s' --csv - 2>/dev/null; }", IMP_TOOL_PATH,
                                g_cube) == 0);
    CU_ASSERT_FATAL(out && strlen(out) < sizeof g_csv && strncmp(out, "model,task,", 11) == 0);
    snprintf(g_csv, sizeof g_csv, "%s", out);
    free(out);
}

/* `imprint export CUBE --csv PATH` exits want_rc; returns its output (caller frees). */
static char *export_to(int want_rc, const char *path)
{
    char *out = NULL;
    int rc = imp_test_tool(&out, "export %s --csv '%s'", g_cube, path);
    imp__assert_msg(rc == want_rc, __LINE__, __FILE__, "export --csv %s: exit %d, want %d\n%s",
                    path, rc, want_rc, out ? out : "");
    return out;
}

static void assert_file_is_csv(const char *path)
{
    char *got = slurp(path);
    imp__assert_msg(got && strcmp(got, g_csv) == 0, __LINE__, __FILE__,
                    "%s does not hold the export", path);
    free(got);
}

/* No temporary (NAME.tmp.*) is left in the test directory. */
static void assert_no_temporaries(void)
{
    char *out = NULL;
    imp_test_sh(&out, "find '%s' -name '*.tmp*' | head -3", imp_test_tmpdir());
    imp__assert_msg(out && !out[0], __LINE__, __FILE__, "temporaries left: %s", out);
    free(out);
}

static void test_export_regular_and_links(void)
{
    make_cube();
    /* a new path, then the same path again (replaced atomically: a new inode, old mode) */
    char *p = dup_path("new.csv");
    free(export_to(0, p));
    assert_file_is_csv(p);
    struct stat a, b;
    CU_ASSERT_FATAL(chmod(p, 0640) == 0 && stat(p, &a) == 0);
    free(export_to(0, p));
    CU_ASSERT_FATAL(stat(p, &b) == 0);
    CU_ASSERT(a.st_ino != b.st_ino);
    IMP_ASSERT_INT_EQ(b.st_mode & 07777, 0640);
    assert_file_is_csv(p);
    /* a symbolic link: still a link afterwards, its target holds the export */
    char *lnk = dup_path("to-new.csv"), *tgt = dup_path("target.csv");
    CU_ASSERT_FATAL(imp_test_write_file(tgt, "old\n", 4) == 0 && symlink("target.csv", lnk) == 0);
    free(export_to(0, lnk));
    CU_ASSERT_FATAL(lstat(lnk, &a) == 0);
    CU_ASSERT(S_ISLNK(a.st_mode));
    assert_file_is_csv(tgt);
    /* a dangling link: the file it names is created, the link stays */
    char *dang = dup_path("dangling.csv"), *made = dup_path("made.csv");
    CU_ASSERT_FATAL(symlink("made.csv", dang) == 0);
    free(export_to(0, dang));
    CU_ASSERT_FATAL(lstat(dang, &a) == 0);
    CU_ASSERT(S_ISLNK(a.st_mode));
    assert_file_is_csv(made);
    assert_no_temporaries();
    free(p), free(lnk), free(tgt), free(dang), free(made);
}

static void test_export_devices_and_fifos(void)
{
    make_cube();
    struct stat st;
    /* a character device is written, not replaced */
    free(export_to(0, "/dev/null"));
    CU_ASSERT_FATAL(stat("/dev/null", &st) == 0);
    CU_ASSERT(S_ISCHR(st.st_mode));
    /* a device that fails writes: exit 1 naming it, and it is still the device (the issue's
     * case: as root the old code replaced /dev/full by a regular file) */
    if (stat("/dev/full", &st) == 0 && S_ISCHR(st.st_mode)) {
        char *out = export_to(1, "/dev/full");
        IMP_ASSERT_STR_CONTAINS(out, "imprint: /dev/full: write error: No space left on device");
        free(out);
        CU_ASSERT_FATAL(stat("/dev/full", &st) == 0);
        CU_ASSERT(S_ISCHR(st.st_mode));
    }
    /* a FIFO with a reader: the reader gets exactly the export, the FIFO stays a FIFO */
    char *fifo = dup_path("pipe"), *got = dup_path("from-pipe.csv");
    CU_ASSERT_FATAL(mkfifo(fifo, 0600) == 0);
    int rc = imp_test_sh(NULL, "cat '%s' > '%s' & '%s' export '%s' --csv '%s' 2>/dev/null; "
                               "r=$?; wait; exit $r", fifo, got, IMP_TOOL_PATH, g_cube, fifo);
    IMP_ASSERT_INT_EQ(rc, 0);
    assert_file_is_csv(got);
    CU_ASSERT_FATAL(stat(fifo, &st) == 0);
    CU_ASSERT(S_ISFIFO(st.st_mode));
    /* /dev/stdout into a pipe, and into a file opened for appending: written through the
     * descriptor (the file keeps what it had, the export follows) */
    rc = imp_test_sh(NULL, "'%s' export '%s' --csv /dev/stdout 2>/dev/null | cat > '%s'",
                     IMP_TOOL_PATH, g_cube, got);
    IMP_ASSERT_INT_EQ(rc, 0);
    assert_file_is_csv(got);
    char *log = dup_path("log.txt");
    CU_ASSERT_FATAL(imp_test_write_file(log, "before\n", 7) == 0);
    rc = imp_test_sh(NULL, "{ '%s' export '%s' --csv /dev/stdout 2>/dev/null >> '%s'; }",
                     IMP_TOOL_PATH, g_cube, log);
    IMP_ASSERT_INT_EQ(rc, 0);
    char *text = slurp(log);
    CU_ASSERT_FATAL(text != NULL);
    CU_ASSERT(strncmp(text, "before\n", 7) == 0 && strcmp(text + 7, g_csv) == 0);
    free(text), free(fifo), free(got), free(log);
}

static void test_refused_and_unwritable(void)
{
    make_cube();
    /* a directory: exit 2 naming it */
    char *out = export_to(2, imp_test_tmpdir());
    IMP_ASSERT_STR_CONTAINS(out, "is a directory; an output must be a file");
    IMP_ASSERT_STR_CONTAINS(out, imp_test_tmpdir());
    free(out);
    /* a folder that cannot be written (missing; a file where a folder should be; root passes
     * permission bits, so these two are the cases that fail for everyone): exit 2 naming the
     * user's path, never a temporary */
    out = export_to(2, "/nonexistent/dir/x.csv");
    IMP_ASSERT_STR_CONTAINS(out, "imprint: /nonexistent/dir/x.csv: cannot write");
    CU_ASSERT(strstr(out, ".tmp") == NULL);
    free(out);
    char *file = dup_path("plain"), bad[900];
    CU_ASSERT_FATAL(imp_test_write_file(file, "x", 1) == 0);
    snprintf(bad, sizeof bad, "%s/x.csv", file);
    out = export_to(2, bad);
    IMP_ASSERT_STR_CONTAINS(out, bad);
    IMP_ASSERT_STR_CONTAINS(out, "Not a directory");
    free(out);
    /* the same rule for analyze's figure and table, nc1's CSV and report's folder */
    char *o = NULL;
    int rc = imp_test_tool(&o, "analyze %s --svg /nonexistent/dir/cd.svg", g_cube);
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(o, "imprint: /nonexistent/dir/cd.svg: cannot write");
    free(o);
    rc = imp_test_tool(&o, "analyze %s --md %s", g_cube, bad);
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(o, bad);
    free(o);
    rc = imp_test_tool(&o, "nc1 --store %s --all --csv /nonexistent/dir/nc1.csv",
                       imp_test_path("s.h5"));
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(o, "imprint: /nonexistent/dir/nc1.csv: cannot write");
    free(o);
    rc = imp_test_tool(&o, "report %s --out %s/sub", g_cube, file);
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(o, file);
    free(o);
    assert_no_temporaries();
    free(file);
}

/* analyze's SVG through a link into another folder: the link stays, the figure is there */
static void test_analyze_through_link(void)
{
    make_cube();
    char *d = dup_path("figs"), *lnk = dup_path("cd-link.svg"), want[900];
    CU_ASSERT_FATAL(mkdir(d, 0700) == 0 && symlink("figs/cd.svg", lnk) == 0);
    char *o = NULL;
    int rc = imp_test_tool(&o, "analyze %s --svg %s", g_cube, lnk);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "analyze: %d\n%s", rc, o);
    free(o);
    struct stat st;
    CU_ASSERT_FATAL(lstat(lnk, &st) == 0);
    CU_ASSERT(S_ISLNK(st.st_mode));
    snprintf(want, sizeof want, "%s/cd.svg", d);
    char *svg = slurp(want);
    CU_ASSERT(svg && strstr(svg, "<svg") != NULL);
    free(svg), free(d), free(lnk);
}

/* the cube reached through a link: a sweep rewrites the target and keeps the link */
static void test_cube_through_link(void)
{
    float X[6 * 2] = {0, 1, 0, 2, 5, 5, 5, 6, 9, 0, 9, 1};
    int32_t y[6] = {0, 0, 1, 1, 2, 2};
    CU_ASSERT_FATAL(imp_test_write_store(imp_test_path("s2.h5"), "m", "d", X, y, 6, X, y, 6, 2) == 0);
    CU_ASSERT_FATAL(imp_test_sh(NULL, "mkdir -p '%s/real' && ln -s real/cube.h5 '%s/lc.h5'",
                                imp_test_tmpdir(), imp_test_tmpdir()) == 0);
    static const char job[] = "store: s2.h5\ncube: lc.h5\nmodels: [m]\n"
                              "tasks:\n  - {name: t, dataset: d, classes: all}\n"
                              "strategies: [none/mean/none/none/nn:euclidean]\nks: [1]\nseeds: [1]\n";
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("lc.yaml"), job, strlen(job)) == 0);
    char *out = NULL;
    int rc = imp_test_sweep(&out, imp_test_path("lc.yaml"));
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "sweep: %d\n%s", rc, out);
    free(out);
    struct stat st;
    CU_ASSERT_FATAL(lstat(imp_test_path("lc.h5"), &st) == 0);
    CU_ASSERT(S_ISLNK(st.st_mode));
    CU_ASSERT_FATAL(stat(imp_test_path("real/cube.h5"), &st) == 0);
    CU_ASSERT(S_ISREG(st.st_mode));
    imp_cube *c = NULL;
    imp_err err;
    CU_ASSERT_FATAL(imp_cube_read(imp_test_path("real/cube.h5"), &c, &err) == 0);
    IMP_ASSERT_INT_EQ(c->status[0], IMP_CELL_DONE);
    IMP_ASSERT_NEAR(c->accuracy[0], 100.0, 1e-4); /* well-separated points: all right */
    imp_cube_free(c);
}

/* ingest's store: an unwritable folder names the user's path (exit 2), and a store reached
 * through a link is rewritten at the link's target */
static void test_store_paths(void)
{
    imp_store_tx *tx = NULL;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_store_tx_begin("/nonexistent/dir/s.h5", &tx, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "/nonexistent/dir/s.h5: cannot write the store in the "
                                     "directory /nonexistent/dir");
    float X[4] = {0, 1, 2, 3};
    int32_t y[2] = {0, 1};
    CU_ASSERT_FATAL(imp_test_sh(NULL, "mkdir -p '%s/stores' && ln -s stores/real.h5 '%s/sl.h5'",
                                imp_test_tmpdir(), imp_test_tmpdir()) == 0);
    CU_ASSERT_FATAL(imp_test_write_store(imp_test_path("sl.h5"), "m", "d", X, y, 2, X, y, 2, 2) == 0);
    struct stat st;
    CU_ASSERT_FATAL(lstat(imp_test_path("sl.h5"), &st) == 0);
    CU_ASSERT(S_ISLNK(st.st_mode));
    CU_ASSERT_FATAL(stat(imp_test_path("stores/real.h5"), &st) == 0);
    CU_ASSERT(S_ISREG(st.st_mode) && st.st_size > 0);
    assert_no_temporaries();
}

int main(void)
{
    static const imp_test tests[] = {
        {"imp_out_resolve for each kind of path", test_resolve},
        {"export to new, regular, linked and dangling paths", test_export_regular_and_links},
        {"export to a device, a FIFO and /dev/stdout", test_export_devices_and_fifos},
        {"directories refused, unwritable folders named", test_refused_and_unwritable},
        {"analyze's figure through a link", test_analyze_through_link},
        {"the cube through a link", test_cube_through_link},
        {"the store: unwritable folder, through a link", test_store_paths},
        {NULL, NULL},
    };
    return imp_test_main_setup("outpath", make_cube, tests);
}
