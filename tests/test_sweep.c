/* test_sweep.c — the sweep end to end on a small generated store: 1, 2 and 3 ranks give
 * identical cubes, also when one (model, task, shot, seed) is cut into many pieces; a stop, a
 * drain (also in the middle of a long piece), a kill of rank 0 and a lost worker, scripted
 * against the test transport in process, lose nothing finished and run no recorded cell
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
#include "imprint/sweep.h"
#include "testutil.h"
#include "transport_test.h"

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

/* 1 when no cell of the journal has two records, else 1 + the records beyond one per cell
 * (which is the largest count per cell when one cell is duplicated); -1 when it does not load.
 * *n_records: every record. */
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
    imp_cube *a = imp_test_read_cube("one"), *b = imp_test_read_cube("two"),
             *c = imp_test_read_cube("three");
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
        uint64_t cell = imp_axes_cell_index(&a->axes, idx);
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
        IMP_ASSERT_INT_EQ(memcmp(&a->accuracy[cell], &a->accuracy[imp_axes_cell_index(&a->axes, idx)],
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
    imp_cube *c = imp_test_read_cube(name);
    size_t counts[IMP_CELL__NSTATUS] = {0};
    if (c)
        imp_cube_count(c, counts);
    imp_cube_free(c);
    return counts[IMP_CELL_DONE];
}

static int wait_exit(pid_t p)
{
    int st = 0;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* ---- the loop against the scripted transport (in process, deterministic) ------------------ */

/* What a child's run reports back through a pipe. */
typedef struct run_out {
    int rc, exit_code, abort_others;
    char msg[IMP_ERR_MSG_MAX];
    imp_tt_script sc;
} run_out;

/* Sweep job `name` in a child process on `ranks` virtual ranks of the test transport under
 * script sc (1 thread, quiet; cube_seconds 0: the journal is synced and the cube written at
 * every turn of the loop, so a kill loses only the turn it lands in). The child ends with
 * _exit as the tool does (a run that leaves work running is not cleaned up). Returns the
 * child's exit status (0 when it reported, 137 when the script killed it) with *out filled
 * when it reported. */
static int run_scripted(const char *name, int ranks, double piece_seconds,
                        const imp_tt_script *sc, run_out *out)
{
    int fd[2];
    memset(out, 0, sizeof *out);
    if (pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) {
        close(fd[0]);
        run_out r;
        memset(&r, 0, sizeof r);
        r.sc = *sc;
        imp_signals_install();
        imp_sweep_opts o;
        imp_sweep_opts_init(&o);
        o.job_path = job_path(name);
        o.quiet = 1;
        o.threads = 1;
        o.cube_seconds = 0;
        /* after the stop nothing is computed (the test ranks answer queued pieces empty, held
         * batches go in a few polls), so a correct drain ends at once: a short bound makes a
         * drain that never completes fail its case's assertions, not the suite's timeout */
        o.drain_seconds = 10;
        if (piece_seconds > 0)
            o.piece_seconds = piece_seconds;
        imp_err err;
        imp_err_clear(&err);
        r.rc = imp_sweep_run_inproc(&o, ranks, imp_tt_wrap, &r.sc, &r.exit_code,
                                    &r.abort_others, &err);
        snprintf(r.msg, sizeof r.msg, "%s", err.msg);
        ssize_t w = write(fd[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], out, sizeof *out);
    close(fd[0]);
    int code = wait_exit(p);
    if (code == 0 && got != (ssize_t)sizeof *out)
        code = -1;
    return code;
}

/* An uninterrupted scripted run of name: every cell done (exit 0), nothing recomputed. */
static void resume_completes(const char *name, const char *ref, size_t n_cells, size_t *delivered)
{
    imp_tt_script none;
    memset(&none, 0, sizeof none);
    run_out r;
    IMP_ASSERT_INT_EQ(run_scripted(name, 2, strcmp(ref, "bigref") ? 0 : 1000, &none, &r), 0);
    imp__assert_msg(r.rc == 0 && r.exit_code == 0, __LINE__, __FILE__, "resume %s: rc %d, exit "
                    "%d: %s", name, r.rc, r.exit_code, r.msg);
    IMP_ASSERT_INT_EQ(r.abort_others, 0);
    if (delivered)
        *delivered = r.sc.cells_delivered;
    size_t nrec = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell(name, &nrec), 1); /* no recorded cell ran twice */
    IMP_ASSERT_INT_EQ(nrec, n_cells);
    /* cell by cell, bit for bit */
    imp_cube *a = imp_test_read_cube(ref), *b = imp_test_read_cube(name);
    if (a && b)
        assert_same_cube(a, b);
    imp_cube_free(a);
    imp_cube_free(b);
}

/* The cube's done cells and the journal's records agree (the cube at the stop has them all). */
static size_t kept_records(const char *name)
{
    size_t kept = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell(name, &kept), 1);
    IMP_ASSERT_INT_EQ(done_cells(name), kept);
    return kept;
}

/* A stop signal after 3 pieces: exit 75 with the cells done so far kept; the resumed run
 * computes exactly the others (as many results as an uninterrupted run, together) and ends
 * at the uninterrupted cube. */
static void test_stop_resume(void)
{
    write_job("term", "[1, 3, -1]");
    write_job("termref", "[1, 3, -1]");
    imp_tt_script sc;
    memset(&sc, 0, sizeof sc);
    sc.step[sc.n_steps++] = (imp_tt_step){IMP_TT_STOP, 0, 3, 0, 0};
    run_out r;
    IMP_ASSERT_INT_EQ(run_scripted("term", 1, 0, &sc, &r), 0);
    imp__assert_msg(r.rc == 0, __LINE__, __FILE__, "stopped run: %s", r.msg);
    IMP_ASSERT_INT_EQ(r.exit_code, 75);
    IMP_ASSERT_INT_EQ(r.abort_others, 0);
    IMP_ASSERT_INT_EQ(r.sc.drained, 1);
    IMP_ASSERT_INT_EQ(r.sc.pieces_answered, 3);
    size_t kept = kept_records("term");
    imp__assert_msg(kept >= r.sc.cells_delivered && kept > 0 && kept < 132, __LINE__, __FILE__,
                    "kept %zu (delivered %zu) of 132", kept, r.sc.cells_delivered);
    size_t rest = 0, all = 0;
    resume_completes("term", "one", 132, &rest);
    resume_completes("termref", "one", 132, &all);
    IMP_ASSERT_INT_EQ(r.sc.cells_delivered + rest, all);
}

/* A stop in the middle of one long piece (3 GEN groups of 132 cells): the worker stops at the
 * next cell boundary after the first group; those 132 cells are kept, the resumed run
 * computes exactly the other 264. */
static void test_drain_mid_piece(void)
{
    write_big_job("termlong");
    imp_tt_script sc;
    memset(&sc, 0, sizeof sc);
    sc.step[sc.n_steps++] = (imp_tt_step){IMP_TT_STOP_IN_PIECE, 0, 0, 132, 0};
    run_out r;
    IMP_ASSERT_INT_EQ(run_scripted("termlong", 1, 1000, &sc, &r), 0);
    imp__assert_msg(r.rc == 0, __LINE__, __FILE__, "stopped run: %s", r.msg);
    IMP_ASSERT_INT_EQ(r.exit_code, 75);
    IMP_ASSERT_INT_EQ(r.sc.pieces_sent, 1);
    IMP_ASSERT_INT_EQ(r.sc.pieces_answered, 0); /* its last batch said "stopped" */
    IMP_ASSERT_INT_EQ(r.sc.cells_delivered, 132);
    IMP_ASSERT_INT_EQ(kept_records("termlong"), 132);
    size_t rest = 0;
    resume_completes("termlong", "bigref", 396, &rest);
    IMP_ASSERT_INT_EQ(rest, 396 - 132);
}

/* Two ranks, rank 1's batches held back 3 rounds; a stop after 2 pieces: the drain waits for
 * the results in flight, which are recorded after the stop; queued pieces come back empty. */
static void test_drain_keeps_in_flight(void)
{
    write_job("inflight", "[1, 3, -1]");
    imp_tt_script sc;
    memset(&sc, 0, sizeof sc);
    sc.step[sc.n_steps++] = (imp_tt_step){IMP_TT_DELAY, 1, 0, 0, 3};
    sc.step[sc.n_steps++] = (imp_tt_step){IMP_TT_STOP, 0, 2, 0, 0};
    run_out r;
    IMP_ASSERT_INT_EQ(run_scripted("inflight", 2, 0, &sc, &r), 0);
    imp__assert_msg(r.rc == 0, __LINE__, __FILE__, "stopped run: %s", r.msg);
    IMP_ASSERT_INT_EQ(r.exit_code, 75);
    imp__assert_msg(r.sc.cells_after_stop > 0, __LINE__, __FILE__, "no cell landed after the "
                    "stop (delivered %zu)", r.sc.cells_delivered);
    CU_ASSERT(r.sc.empty_answers > 0);
    size_t kept = kept_records("inflight");
    CU_ASSERT(kept >= r.sc.cells_delivered && kept < 132);
    resume_completes("inflight", "one", 132, NULL);
}

/* Rank 0 killed (as SIGKILL) between two batches of a piece after 40 results: nothing synced
 * is lost, the resumed run recomputes no recorded cell and ends at the uninterrupted cube. */
static void test_kill_mid_piece(void)
{
    write_job("killmid", "[1, 3, -1]");
    imp_tt_script sc;
    memset(&sc, 0, sizeof sc);
    sc.step[sc.n_steps++] = (imp_tt_step){IMP_TT_KILL, 0, 0, 40, 0};
    run_out r;
    IMP_ASSERT_INT_EQ(run_scripted("killmid", 2, 0, &sc, &r), 137);
    size_t kept = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell("killmid", &kept), 1);
    imp__assert_msg(kept > 0 && kept < 132, __LINE__, __FILE__, "kept %zu of 132", kept);
    resume_completes("killmid", "one", 132, NULL);
}

/* Rank 2 of 3 lost after its first piece: the run ends with an error naming it and leaves
 * the process to be ended (as mpirun ends a job whose rank died); what the others delivered
 * is kept, and the next run re-dispatches the lost piece. */
static void test_lost_worker(void)
{
    write_job("lost", "[1, 3, -1]");
    imp_tt_script sc;
    memset(&sc, 0, sizeof sc);
    sc.step[sc.n_steps++] = (imp_tt_step){IMP_TT_LOSE, 2, 1, 0, 0};
    run_out r;
    IMP_ASSERT_INT_EQ(run_scripted("lost", 3, 0, &sc, &r), 0);
    IMP_ASSERT_INT_EQ(r.rc, IMP_EMPI);
    IMP_ASSERT_INT_EQ(r.abort_others, 1);
    IMP_ASSERT_STR_CONTAINS(r.msg, "rank 2 was lost");
    CU_ASSERT(r.sc.cells_dropped > 0);
    size_t kept = kept_records("lost");
    CU_ASSERT(kept >= r.sc.cells_delivered && kept < 132);
    size_t rest = 0;
    resume_completes("lost", "one", 132, &rest);
    CU_ASSERT(rest >= r.sc.cells_dropped);
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
    imp_cube *a = imp_test_read_cube("big1"), *b = imp_test_read_cube("big2"),
             *c = imp_test_read_cube("big3");
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
    a = imp_test_read_cube("big1");
    b = imp_test_read_cube("bigref");
    if (a && b)
        assert_same_cube(a, b);
    imp_cube_free(a);
    imp_cube_free(b);
    size_t nrec = 0;
    IMP_ASSERT_INT_EQ(max_records_per_cell("big3", &nrec), 1);
    IMP_ASSERT_INT_EQ(nrec, 396);
}

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
        {"stop_resume", test_stop_resume},
        {"drain_mid_piece", test_drain_mid_piece},
        {"drain_keeps_in_flight", test_drain_keeps_in_flight},
        {"kill_mid_piece", test_kill_mid_piece},
        {"lost_worker", test_lost_worker},
        {"pieces_ranks_agree", test_pieces_ranks_agree},
        {"changed_grid", test_changed_grid},
        {"plan_ranks", test_plan_ranks},
        {"bad_jobs", test_bad_jobs},
        {"h5py_reads_cube", test_h5py_reads_cube},
        {NULL, NULL},
    };
    return imp_test_main_setup("sweep", setup, tests);
}
