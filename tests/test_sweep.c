/* test_sweep.c — the MPI sweep end to end on a small generated store: 1, 2 and 3 ranks give
 * identical cubes, also when one (model, task, shot, seed) is cut into many pieces; kills and
 * SIGTERM (also in the middle of a long piece) lose nothing finished and run no synced cell
 * twice; a changed grid keeps its finished cells; h5py sees the dimension scales. */
#include <hdf5.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "imprint/cube.h"
#include "imprint/journal.h"
#include "imprint/rng.h"
#include "imprint/store.h"
#include "testutil.h"

static char g_store[800];
static double g_t0; /* UTC seconds before the fixture's sweep */

/* 3 Gaussian blobs in 8-d: 60 train and 20 test rows per class, labels interleaved */
static void make_store(void)
{
    snprintf(g_store, sizeof g_store, "%s", imp_test_path("toy.h5"));
    CU_ASSERT_EQUAL_FATAL(imp_test_blob_store(g_store), 0);
}

/* A job in dir/<name>.yaml with its cube beside it; extra_ks changes the grid. */
static void write_job(const char *name, const char *ks)
{
    char path[900], text[4096];
    snprintf(path, sizeof path, "%s/%s.yaml", imp_test_tmpdir(), name);
    snprintf(text, sizeof text,
             "store: toy.h5\n"
             "cube: %s.h5\n"
             "models: [toy]\n"
             "tasks:\n"
             "  - {name: all3, dataset: blobs, classes: all}\n"
             "  - {name: pair, dataset: blobs, classes: [2, 0]}\n"
             "strategies:\n"
             "  - none/mean/none/none/max\n"
             "  - l2/mean/l2/l2/max\n"
             "  - none/mean/quantile/none/max\n"
             "  - l2/random/l2/l2/max\n"
             "  - none/ls/none/none/max\n"
             "  - none/fps/none/none/nn:euclidean\n"
             "  - none/covmax/none/none/mnn:3:cosine:distance\n"
             "  - none/all/none/none/mnn:3:euclidean:uniform\n"
             "ks: %s\n"
             "shots: [all, 5]\n"
             "seeds: [1, 2, 3]\n",
             name, ks);
    CU_ASSERT_EQUAL(imp_test_write_file(path, text, strlen(text)), 0);
}

static const char *job_path(const char *name)
{
    static char p[8][900];
    static int slot;
    char *b = p[slot++ & 7];
    snprintf(b, sizeof p[0], "%s/%s.yaml", imp_test_tmpdir(), name);
    return b;
}

static imp_cube *read_cube(const char *name)
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s.h5", imp_test_tmpdir(), name);
    imp_cube *c = NULL;
    imp_err err;
    int rc = imp_cube_read(path, &c, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "read cube %s: %s", path, rc ? err.msg : "");
    return c;
}

/* Count records per cell in a journal; returns the largest count of any cell. */
static int max_records_per_cell(const char *name, size_t *n_records)
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s.h5.journal", imp_test_tmpdir(), name);
    imp_journal_set *set = NULL;
    imp_journal_info info;
    imp_err err;
    if (imp_journal_load(path, &set, &info, &err) != 0) {
        fprintf(stderr, "journal %s: %s\n", path, err.msg);
        return -1;
    }
    *n_records = info.n_records;
    /* the set keeps one record per cell; duplicates show as n_records > set->n */
    int maxc = (int)(info.n_records - set->n) + 1;
    imp_journal_set_free(set);
    return maxc;
}

static int sweep(const char *ranks, const char *name, const char *extra, char **out)
{
    if (!ranks)
        return imp_test_tool(out, "sweep %s --quiet %s", job_path(name), extra);
    return imp_test_sh(out, "%s -np %s %s '%s' sweep %s --quiet %s", IMP_MPIEXEC, ranks,
                       IMP_MPIEXEC_OVERSUB, IMP_TOOL_PATH, job_path(name), extra);
}

static void assert_same_cube(const imp_cube *a, const imp_cube *b)
{
    IMP_ASSERT_INT_EQ(a->n_cells, b->n_cells);
    size_t diff = 0, done = 0;
    for (uint64_t c = 0; c < a->n_cells && c < b->n_cells; c++) {
        if (a->status[c] != b->status[c])
            diff++;
        else if (a->status[c] == IMP_CELL_DONE) {
            done++;
            if (memcmp(&a->accuracy[c], &b->accuracy[c], sizeof(float)) != 0 ||
                memcmp(&a->f1[c], &b->f1[c], sizeof(float)) != 0 ||
                a->n_proxies[c] != b->n_proxies[c])
                diff++;
        }
    }
    IMP_ASSERT_INT_EQ(diff, 0);
    CU_ASSERT(done > 0);
}

/* Every done cell of c names this host, a rank below ranks, and a finish time in [t0, t1]
 * (UTC seconds); its F1 is a percentage. */
static void assert_provenance(const imp_cube *c, int ranks, double t0, double t1)
{
    char host[256] = "";
    gethostname(host, sizeof host);
    size_t bad = 0, done = 0;
    for (uint64_t i = 0; i < c->n_cells; i++) {
        if (c->status[i] != IMP_CELL_DONE)
            continue;
        done++;
        int ok = c->host[i] >= 0 && strcmp(c->host_name[c->host[i]], host) == 0 &&
                 c->rank[i] >= 0 && c->rank[i] < ranks && c->finished[i] >= t0 &&
                 c->finished[i] <= t1 && c->f1[i] >= 0 && c->f1[i] <= 100;
        if (!ok && bad++ == 0)
            fprintf(stderr, "cell %llu: host %d, rank %d, finished %.3f (run %.0f..%.0f), f1 %g\n",
                    (unsigned long long)i, (int)c->host[i], (int)c->rank[i], c->finished[i], t0,
                    t1, (double)c->f1[i]);
    }
    IMP_ASSERT_INT_EQ(bad, 0);
    IMP_ASSERT_INT_EQ(c->n_host_name, 1);
    CU_ASSERT(done > 0);
}

static void write_big_job(const char *name);

/* The suite's fixture, made once before the cases (each runs in a process of its own): the
 * toy store, the grid "one" swept by one process and the pieces grid "bigref" swept as one
 * piece per GEN group — the uninterrupted references the other cases compare with. */
static void setup(void)
{
    make_store();
    g_t0 = (double)time(NULL);
    write_job("one", "[1, 3, -1]");
    char *out = NULL;
    int rc = sweep(NULL, "one", "", &out);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "1 process: exit %d\n%s", rc, out);
    free(out);
    write_big_job("bigref");
    rc = imp_test_tool(&out, "sweep %s --quiet --piece-seconds 1000 --threads 1",
                       job_path("bigref"));
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "bigref: exit %d\n%s", rc, out);
    free(out);
}

static void test_ranks_agree(void)
{
    write_job("two", "[1, 3, -1]");
    write_job("three", "[1, 3, -1]");
    char *out = NULL;
    int rc = sweep("2", "two", "", &out);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "2 ranks: exit %d\n%s", rc, out);
    free(out);
    rc = sweep("3", "three", "--threads 1", &out);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "3 ranks: exit %d\n%s", rc, out);
    free(out);
    double t0 = g_t0, t1 = (double)time(NULL) + 1;
    imp_cube *a = read_cube("one"), *b = read_cube("two"), *c = read_cube("three");
    if (a && b && c) {
        assert_same_cube(a, b);
        assert_same_cube(a, c);
        assert_provenance(a, 1, t0, t1);
        assert_provenance(b, 2, t0, t1);
        assert_provenance(c, 3, t0, t1);
        size_t counts[IMP_CELL__NSTATUS];
        imp_cube_count(a, counts);
        /* valid cells: per task x shot x seed: 8 strategies at their k's... worked out from the
         * grid rules: mean x3 (k 1), ls (k 1), all (k -1), random/fps/covmax at k 1 and 3 →
         * 3 + 1 + 1 + 6 = 11 per (task, shot, seed), x 2 tasks x 2 shots x 3 seeds = 132 */
        IMP_ASSERT_INT_EQ(counts[IMP_CELL_DONE], 132);
        IMP_ASSERT_INT_EQ(counts[IMP_CELL_FAILED], 0);
        IMP_ASSERT_INT_EQ(counts[IMP_CELL_NA], 2 * 8 * 3 * 2 * 3 - 132);
        /* a cell read back against imprint eval of the same cell: task pair, strategy 0 (mean),
         * k 1, shot all, seed 1 */
        size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = 0, [IMP_AX_TASK] = 1, [IMP_AX_STRATEGY] = 0,
                                     [IMP_AX_K] = 0, [IMP_AX_SHOT] = 0, [IMP_AX_SEED] = 0};
        uint64_t cell = imp_cube_cell_index(&a->axes, idx);
        char *ev = NULL;
        rc = imp_test_tool(&ev, "eval --store %s --model toy --dataset blobs --classes 2,0 "
                                "--strategy none/mean/none/none/max --task pair --json", g_store);
        IMP_ASSERT_INT_EQ(rc, 0);
        const char *acc = ev ? strstr(ev, "\"accuracy\":") : NULL;
        CU_ASSERT_PTR_NOT_NULL(acc);
        if (acc) /* eval --json writes the float's exact double value */
            IMP_ASSERT_NEAR((float)strtod(acc + strlen("\"accuracy\":"), NULL), a->accuracy[cell], 0);
        const char *f1 = ev ? strstr(ev, "\"f1\":") : NULL;
        CU_ASSERT_PTR_NOT_NULL(f1);
        if (f1) /* the same cell's F1 through eval and through the sweep */
            IMP_ASSERT_NEAR((float)strtod(f1 + strlen("\"f1\":"), NULL), a->f1[cell], 0);
        free(ev);
        /* seed-shared cells: mean gives the same accuracy for every seed (shot all) */
        idx[5] = 2;
        IMP_ASSERT_INT_EQ(memcmp(&a->accuracy[cell], &a->accuracy[imp_cube_cell_index(&a->axes, idx)],
                                 sizeof(float)), 0);
    }
    imp_cube_free(a);
    imp_cube_free(b);
    imp_cube_free(c);
    /* status --by host: every one of the 132 cells on this host, none failed */
    char host[256] = "", row[320];
    gethostname(host, sizeof host);
    snprintf(row, sizeof row, "  %s ", host);
    char cube[900];
    snprintf(cube, sizeof cube, "%s/three.h5", imp_test_tmpdir());
    rc = imp_test_tool(&out, "status %s --by host", cube);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, row);
    const char *r = out ? strstr(out, row) : NULL;
    long done = -1, failed = -1;
    if (r)
        sscanf(r + strlen(row), "%ld %ld", &done, &failed);
    IMP_ASSERT_INT_EQ(done, 132);
    IMP_ASSERT_INT_EQ(failed, 0);
    free(out);
    rc = imp_test_tool(&out, "status %s --by rank", cube);
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "--by 'rank': expected host");
    free(out);
    size_t nrec = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell("two", &nrec), 1);
    IMP_ASSERT_INT_EQ(nrec, 132);
}

/* Start a sweep in the background; returns the pid of the process to kill: the imprint
 * process itself (ranks NULL), or rank `victim` under mpirun (its pid is written to a file). */
static pid_t start_bg_opts(const char *ranks, const char *name, int victim, const char *opts,
                           pid_t *launcher)
{
    char cmd[4096], pidfile[900];
    snprintf(pidfile, sizeof pidfile, "%s/%s.pid", imp_test_tmpdir(), name);
    unlink(pidfile);
    if (!ranks)
        snprintf(cmd, sizeof cmd, "echo $$ > %s.0; exec '%s' sweep %s --quiet %s >/dev/null 2>&1",
                 pidfile, IMP_TOOL_PATH, job_path(name), opts);
    else
        snprintf(cmd, sizeof cmd,
                 "exec %s -np %s %s sh -c 'echo $$ > %s.${OMPI_COMM_WORLD_RANK:-$PMI_RANK}; "
                 "exec \"%s\" sweep %s --quiet --threads 1 %s' >/dev/null 2>&1",
                 IMP_MPIEXEC, ranks, IMP_MPIEXEC_OVERSUB, pidfile, IMP_TOOL_PATH, job_path(name),
                 opts);
    pid_t p = fork();
    if (p == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    *launcher = p;
    char vf[1000];
    snprintf(vf, sizeof vf, "%s.%d", pidfile, victim);
    for (int i = 0; i < 300; i++) { /* up to 30 s for the pid file */
        FILE *f = fopen(vf, "r");
        long v = 0;
        if (f && fscanf(f, "%ld", &v) == 1 && v > 0) {
            fclose(f);
            return (pid_t)v;
        }
        if (f)
            fclose(f);
        usleep(100000);
    }
    return -1;
}

/* every piece slowed down by 500 ms (an undocumented test option of sweep) */
static pid_t start_bg(const char *ranks, const char *name, int victim, pid_t *launcher)
{
    return start_bg_opts(ranks, name, victim, "--test-piece-delay-ms 500", launcher);
}

static size_t journal_size(const char *name)
{
    char p[900];
    snprintf(p, sizeof p, "%s/%s.h5.journal", imp_test_tmpdir(), name);
    struct stat st;
    return stat(p, &st) == 0 ? (size_t)st.st_size : 0;
}

/* wait until the journal holds some synced records (header is 40 bytes); the bound only
 * guards against a hang (a loaded machine may take long to start the ranks) */
static void wait_for_records(const char *name, size_t bytes)
{
    for (int i = 0; i < 1800 && journal_size(name) < bytes; i++)
        usleep(100000);
}

static int wait_exit(pid_t p)
{
    int st = 0;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void kill_and_resume(const char *ranks, const char *name, int victim)
{
    write_job(name, "[1, 3, -1]");
    pid_t launcher;
    pid_t v = start_bg(ranks, name, victim, &launcher);
    CU_ASSERT_FATAL(v > 0);
    wait_for_records(name, 40 + 10 * 35);
    kill(v, SIGKILL);
    int code = wait_exit(launcher);
    CU_ASSERT(code != 0); /* killed mid-run */
    size_t before = journal_size(name);
    CU_ASSERT(before > 40);
    char *out = NULL;
    int rc = sweep(ranks, name, ranks ? "--threads 1" : "", &out);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "resume after kill: exit %d\n%s", rc, out);
    free(out);
    imp_cube *a = read_cube("one"), *b = read_cube(name);
    if (a && b)
        assert_same_cube(a, b);
    imp_cube_free(a);
    imp_cube_free(b);
    size_t nrec = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell(name, &nrec), 1); /* no synced cell ran twice */
    IMP_ASSERT_INT_EQ(nrec, 132);
}

static void test_kill_rank0_single(void) { kill_and_resume(NULL, "killsingle", 0); }
static void test_kill_rank0_mpi(void) { kill_and_resume("2", "killrank0", 0); }
static void test_kill_worker_mpi(void) { kill_and_resume("2", "killworker", 1); }

static void test_sigterm(void)
{
    write_job("term", "[1, 3, -1]");
    pid_t launcher;
    pid_t v = start_bg(NULL, "term", 0, &launcher);
    CU_ASSERT_FATAL(v > 0);
    wait_for_records("term", 40 + 5 * 35);
    kill(v, SIGTERM);
    IMP_ASSERT_INT_EQ(wait_exit(launcher), 75);
    imp_cube *part = read_cube("term");
    if (part) {
        size_t counts[IMP_CELL__NSTATUS];
        imp_cube_count(part, counts);
        CU_ASSERT(counts[IMP_CELL_DONE] > 0 && counts[IMP_CELL_DONE] < 132);
        imp_cube_free(part);
    }
    char *out = NULL;
    int rc = sweep(NULL, "term", "", &out);
    IMP_ASSERT_INT_EQ(rc, 0);
    free(out);
    imp_cube *a = read_cube("one"), *b = read_cube("term");
    if (a && b)
        assert_same_cube(a, b);
    imp_cube_free(a);
    imp_cube_free(b);
    size_t nrec = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell("term", &nrec), 1);
}

/* One (model, task, shot, seed) holding 396 cells: GEN mean (k 1) and kmeans (k 1, 3), each
 * with 3 POST x 2 INF x 22 AGG = 132 cells. */
static void write_big_job(const char *name)
{
    char path[900], text[4096];
    snprintf(path, sizeof path, "%s/%s.yaml", imp_test_tmpdir(), name);
    snprintf(text, sizeof text,
             "store: toy.h5\ncube: %s.h5\nmodels: [toy]\n"
             "tasks: [{name: all3, dataset: blobs, classes: all}]\n"
             "strategy_grid:\n"
             "  pre: [none]\n  gen: [mean, kmeans]\n  post: [none, l2, quantile]\n"
             "  inf: [none, l2]\n"
             "  agg: " IMP_TEST_AGGS22 "\n"
             "ks: [1, 3]\nseeds: [5]\n",
             name);
    CU_ASSERT_EQUAL(imp_test_write_file(path, text, strlen(text)), 0);
}

/* "N to do in P pieces" of a sweep's start line: P, or -1 */
static long pieces_of(const char *out)
{
    const char *p = out ? strstr(out, " to do in ") : NULL;
    return p ? atol(p + 10) : -1;
}

static size_t done_cells(const char *name)
{
    imp_cube *c = read_cube(name);
    size_t counts[IMP_CELL__NSTATUS] = {0};
    if (c)
        imp_cube_count(c, counts);
    imp_cube_free(c);
    return counts[IMP_CELL_DONE];
}

static void test_pieces_ranks_agree(void)
{
    write_big_job("big1");
    write_big_job("big2");
    write_big_job("big3");
    char *out = NULL;
    /* a tiny bound cuts the one (model, task, shot, seed) into a piece per cell or so */
    const char *opt = "--piece-seconds 0.0000001 --threads 1";
    int rc = imp_test_tool(&out, "sweep %s %s", job_path("big1"), opt);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "1 process: exit %d\n%s", rc, out);
    IMP_ASSERT_STR_CONTAINS(out, "396 valid");
    long pieces = pieces_of(out);
    imp__assert_msg(pieces >= 100, __LINE__, __FILE__, "pieces %ld (>= 100)\n%s", pieces, out);
    IMP_ASSERT_STR_CONTAINS(out, "self-check passed");
    free(out);
    rc = sweep("2", "big2", opt, &out);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "2 ranks: exit %d\n%s", rc, out);
    free(out);
    rc = sweep("3", "big3", opt, &out);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "3 ranks: exit %d\n%s", rc, out);
    free(out);
    imp_cube *a = read_cube("big1"), *b = read_cube("big2"), *c = read_cube("big3");
    if (a && b && c) {
        assert_same_cube(a, b);
        assert_same_cube(a, c);
        size_t counts[IMP_CELL__NSTATUS];
        imp_cube_count(a, counts);
        IMP_ASSERT_INT_EQ(counts[IMP_CELL_DONE] + counts[IMP_CELL_FAILED], 396);
    }
    imp_cube_free(a);
    imp_cube_free(b);
    imp_cube_free(c);
    /* the same cube as one piece per GEN group (the fixture's bigref): pieces change nothing */
    a = read_cube("big1");
    b = read_cube("bigref");
    if (a && b)
        assert_same_cube(a, b);
    imp_cube_free(a);
    imp_cube_free(b);
    size_t nrec = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell("big3", &nrec), 1);
    IMP_ASSERT_INT_EQ(nrec, 396);
}

/* SIGTERM to rank 0 while the cells of one long piece (40 ms each) stream in: every finished
 * cell is kept, and the resumed run computes exactly the others. */
static void sigterm_long_piece(const char *ranks, const char *name)
{
    write_big_job(name);
    pid_t launcher;
    pid_t v = start_bg_opts(ranks, name, 0, "--piece-seconds 1000 --test-cell-delay-ms 40",
                            &launcher);
    CU_ASSERT_FATAL(v > 0);
    wait_for_records(name, 40 + 20 * 35); /* some batches journaled and synced */
    kill(v, SIGTERM);
    IMP_ASSERT_INT_EQ(wait_exit(launcher), 75);
    size_t kept = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell(name, &kept), 1);
    imp__assert_msg(kept > 0 && kept < 396, __LINE__, __FILE__, "kept %zu of 396", kept);
    IMP_ASSERT_INT_EQ(done_cells(name), kept); /* the cube written at the stop has them all */
    char *out = NULL;
    int rc = sweep(ranks, name, "--threads 1", &out);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "resume: exit %d\n%s", rc, out);
    char want[64];
    snprintf(want, sizeof want, "%zu done, 0 failed before this run", kept);
    IMP_ASSERT_STR_CONTAINS(out, want);
    free(out);
    size_t nrec = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell(name, &nrec), 1); /* nothing recomputed */
    IMP_ASSERT_INT_EQ(nrec, 396);
    imp_cube *a = read_cube("bigref"), *b = read_cube(name);
    if (a && b)
        assert_same_cube(a, b);
    imp_cube_free(a);
    imp_cube_free(b);
}

static void test_sigterm_long_piece(void) { sigterm_long_piece(NULL, "termlong"); }
static void test_sigterm_long_piece_mpi(void) { sigterm_long_piece("2", "termlong2"); }

static void test_changed_grid(void)
{
    /* a copy of the fixture's complete cube "one"; a job with another ks axis and the same cube keeps every
     * finished cell (the journal names cells by value) and computes only the new ones:
     * k = 5 adds random/fps/covmax at shot all (k = 5 is a new k_eff; at shot 5 it is the
     * k = 5 = shot run, new too): 3 strategies x 2 shots x 2 tasks x 3 seeds = 36 */
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "cd '%s' && cp one.h5 grow.h5 && cp one.h5.journal "
                                        "grow.h5.journal", imp_test_tmpdir()), 0);
    write_job("grow", "[1, 3, 5, -1]");
    char *out = NULL;
    int rc = imp_test_tool(&out, "plan %s", job_path("grow"));
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "kept 132, new 36, dropped 0\n");
    free(out);
    rc = sweep(NULL, "grow", "", &out);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "extended sweep: exit %d\n%s", rc, out);
    IMP_ASSERT_STR_CONTAINS(out, "36 to do");
    free(out);
    size_t nrec = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell("grow", &nrec), 1);
    IMP_ASSERT_INT_EQ(nrec, 132 + 36);
    /* back to the original grid: nothing to do, the k = 5 results stay in the journal */
    write_job("grow", "[1, 3, -1]");
    rc = imp_test_tool(&out, "plan %s", job_path("grow"));
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "valid cells: 132");
    IMP_ASSERT_STR_CONTAINS(out, "kept 132, new 0, dropped 36\n");
    IMP_ASSERT_STR_CONTAINS(out, "\ndone        132\n");
    IMP_ASSERT_STR_CONTAINS(out, "\npending     0\n");
    free(out);
    rc = sweep(NULL, "grow", "", &out);
    IMP_ASSERT_INT_EQ(rc, 0);
    free(out);
    IMP_ASSERT_INT_EQ(max_records_per_cell("grow", &nrec), 1);
    IMP_ASSERT_INT_EQ(nrec, 132 + 36);
}

/* a JSON number field of plan --json ("name":value), or NAN */
static double json_num(const char *out, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", name);
    const char *p = out ? strstr(out, key) : NULL;
    return p ? atof(p + strlen(key)) : NAN;
}

static void test_plan_ranks(void)
{
    write_job("planr", "[1, 3, -1]");
    char *out = NULL;
    int rc = imp_test_tool(&out, "plan %s --ranks 3", job_path("planr"));
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "simulated: 3 ranks, makespan ");
    free(out);
    /* one rank does everything in turn: its makespan is its busy time, and the efficiency is
     * the grid's own work over it (the loads and nothing else are the difference) */
    rc = imp_test_tool(&out, "plan %s --ranks 1 --json", job_path("planr"));
    IMP_ASSERT_INT_EQ(rc, 0);
    double ms = json_num(out, "makespan_seconds"), busy = json_num(out, "busy_seconds");
    double work = json_num(out, "work_seconds"), eff = json_num(out, "efficiency");
    IMP_ASSERT_REL(ms, busy, 1e-9);
    IMP_ASSERT_REL(eff, work / ms, 1e-9);
    CU_ASSERT(eff > 0 && eff < 1);
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "plan %s --ranks 0", job_path("planr")), 2);
    free(out);
}

static void test_bad_jobs(void)
{
    char *out = NULL;
    IMP_ASSERT_INT_EQ(sweep(NULL, "nonexistent", "", &out), 2);
    free(out);
    const char *bad = "store: toy.h5\ncube: bad.h5\nmodels: [toy]\ntasks:\n"
                      "  - {name: t, dataset: blobs, classes: [0, 7]}\n"
                      "strategies: [none/mean/none/none/max]\nks: [1]\nseeds: [1]\n";
    imp_test_write_file(job_path("bad"), bad, strlen(bad));
    IMP_ASSERT_INT_EQ(sweep(NULL, "bad", "", &out), 2);
    IMP_ASSERT_STR_CONTAINS(out, "line 5");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "sweep"), 2);
    IMP_ASSERT_STR_CONTAINS(out, "which job?");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "sweep %s --drain-seconds x", job_path("one")), 2);
    free(out);
}

static void test_h5py_reads_cube(void)
{
    if (!imp_test_have_python("h5py")) {
        imp_test_skip("no python3-h5py");
        return;
    }
    char *out = NULL;
    int rc = imp_test_sh(&out,
                         "/usr/bin/python3 -c \"import h5py; f = h5py.File('%s/one.h5', 'r'); "
                         "a = f['accuracy']; print([d[0].name for d in a.dims]); "
                         "print(list(a.dims[2][0].asstr()[:])[:2]); print(a.shape)\"",
                         imp_test_tmpdir());
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "['/model', '/task', '/strategy', '/k', '/shot', '/seed']");
    IMP_ASSERT_STR_CONTAINS(out, "['none/mean/none/none/max', 'l2/mean/l2/l2/max']");
    IMP_ASSERT_STR_CONTAINS(out, "(1, 2, 8, 3, 2, 3)");
    free(out);
}

int main(void)
{
    static const imp_test tests[] = {
        {"ranks_agree", test_ranks_agree},
        {"kill_rank0_single", test_kill_rank0_single},
        {"kill_rank0_mpi", test_kill_rank0_mpi},
        {"kill_worker_mpi", test_kill_worker_mpi},
        {"sigterm", test_sigterm},
        {"pieces_ranks_agree", test_pieces_ranks_agree},
        {"sigterm_long_piece", test_sigterm_long_piece},
        {"sigterm_long_piece_mpi", test_sigterm_long_piece_mpi},
        {"changed_grid", test_changed_grid},
        {"plan_ranks", test_plan_ranks},
        {"bad_jobs", test_bad_jobs},
        {"h5py_reads_cube", test_h5py_reads_cube},
        {NULL, NULL},
    };
    return imp_test_main_setup("sweep", setup, tests);
}
