/* test_slurm.c — the slurm/ scripts against a real single-node Slurm (scripts/slurm-local.sh):
 * a sweep stopped by `scancel --signal=USR1` and one stopped by its time limit's --signal both
 * exit 75, requeue themselves and complete the grid with no cell computed twice, and the
 * dependent analysis starts only after the sweep has completed; a sweep that ends with failed
 * cells (exit 4) still gets its analysis, which reports them. Job files live in a jobs/
 * directory with the store and cube paths relative to it, and are submitted by a relative and
 * by an absolute path, as `slurm/submit.sh jobs/demo.yaml` is. Runs only with
 * IMPRINT_SLURM_TESTS=1 (as root: it installs and starts munge and Slurm); otherwise it passes
 * with a note, so the default ctest run stays fast and needs no Slurm. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imprint/cube.h"
#include "imprint/journal.h"
#include "imprint/rng.h"
#include "imprint/store.h"
#include "slurmutil.h"
#include "testutil.h"

/* 36 cells: 3 tasks x 2 shots x 3 seeds x 2 strategies, in 12 work units (shot all: one unit
 * serves every seed) */
enum { N_CELLS = 36 };

static char g_cluster[256]; /* the local cluster's directory, "" until started */

/* 3 Gaussian blobs in 8-d (60 train, 20 test rows per class), as in test_sweep.c; plus the
 * dataset "huge": the same blobs times 1e30, whose float inner products overflow, so every
 * none/mean/none/none/max cell on it fails (non-finite scores) while l2 cells succeed. */
static void make_store(void)
{
    CU_ASSERT_EQUAL_FATAL(imp_test_blob_store(imp_test_path("toy.h5")), 0);
    imp_store_tx *tx;
    imp_err err;
    CU_ASSERT_FATAL(imp_store_tx_begin(imp_test_path("toy.h5"), &tx, &err) == 0);
    int rc = imp_test_blobs_put(tx, "toy", "huge", 1e30);
    if (rc)
        imp_store_tx_abort(tx);
    else
        rc = imp_store_tx_commit(tx, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "toy store: %s", rc ? err.msg : "");
    CU_ASSERT_EQUAL_FATAL(mkdir(imp_test_path("jobs"), 0755), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(imp_test_path("results"), 0755), 0);
}

/* jobs/NAME.yaml with the store and the cube relative to the job file (../toy.h5,
 * ../results/NAME.h5), as the repository's jobs/ are; with_huge adds a task whose none cells
 * fail */
static void write_job(const char *name, int with_huge)
{
    imp_toy_job j = {"jobs/", "../toy.h5", "../results/",
                     with_huge ? "  - {name: huge3, dataset: huge, classes: all}\n" : NULL,
                     "none/mean/none/none/max, l2/mean/l2/l2/max", "1, 2, 3"};
    imp_test_write_toy_job(name, &j);
}

/* Submit the job file JOB (a path relative to the test directory, or absolute) through
 * slurm/submit.sh from the test directory, with the given sweep sbatch options and piece delay;
 * fills the two job ids. */
static void submit(const char *job, const char *sweep_args, const char *sleep_ms, long *sweep,
                   long *analyze)
{
    setenv("SWEEP_SBATCH_ARGS", sweep_args, 1);
    char *out = NULL;
    /* the delay per piece through the sweep's test option (passed on by sweep.sbatch) */
    int rc = imp_test_sh(&out, "cd '%s' && '%s/slurm/submit.sh' '%s' --progress-seconds 2 "
                               "--test-piece-delay-ms %s",
                         imp_test_tmpdir(), IMP_SOURCE_DIR, job, sleep_ms);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "submit.sh: exit %d\n%s", rc, out);
    const char *s = out ? strstr(out, "sweep ") : NULL, *a = out ? strstr(out, "analyze ") : NULL;
    *sweep = s ? atol(s + 6) : 0;
    *analyze = a ? atol(a + 8) : 0;
    imp__assert_msg(*sweep > 0 && *analyze > 0, __LINE__, __FILE__, "job ids in:\n%s", out);
    free(out);
}

/* The grid of JOB is complete and, judged by its journal, no cell was computed twice. */
static void assert_complete_once(const char *job)
{
    char *out = NULL;
    int rc = imp_test_tool(&out, "plan %s/jobs/%s.yaml --json", imp_test_tmpdir(), job);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "\"pending\":0,"); /* plan --json: cJSON, unformatted */
    IMP_ASSERT_STR_CONTAINS(out, "\"done\":36,");
    free(out);
    char path[900];
    snprintf(path, sizeof path, "%s/results/%s.h5", imp_test_tmpdir(), job);
    imp_slurm_assert_done_once(path, N_CELLS);
}

/* The analysis job ran after the sweep had ended, completed, found the cube of the job file
 * (shown as cube_shown: jobs/../results/JOB.h5 for a relative job path) and wrote its diagram
 * and table beside it; returns its log. */
static char *assert_analysis(const char *job, const char *cube_shown, long sweep, long analyze)
{
    char state[64], sweep_end[64], start[64];
    imp_slurm_wait_final(analyze, 60, state, sizeof state);
    imp_slurm_job_field(sweep, "EndTime", sweep_end, sizeof sweep_end);
    imp_slurm_job_field(analyze, "StartTime", start, sizeof start);
    /* ISO timestamps of the same clock compare as strings */
    imp__assert_msg(strcmp(start, sweep_end) >= 0, __LINE__, __FILE__,
                    "analysis started %s, before the sweep ended %s", start, sweep_end);
    char name[64];
    snprintf(name, sizeof name, "imprint-analyze-%ld.log", analyze);
    char *log = imp_slurm_read_log(name);
    imp__assert_msg(strcmp(state, "COMPLETED") == 0, __LINE__, __FILE__,
                    "analysis job %ld: %s\n%s", analyze, state, log);
    char want[1100];
    snprintf(want, sizeof want, "analysing %s\n", cube_shown);
    IMP_ASSERT_STR_CONTAINS(log, want);
    IMP_ASSERT_STR_CONTAINS(log, "Friedman");
    char p[900];
    struct stat st;
    snprintf(p, sizeof p, "%s/results/%s-cd.svg", imp_test_tmpdir(), job);
    CU_ASSERT(stat(p, &st) == 0 && st.st_size > 100);
    snprintf(p, sizeof p, "%s/results/%s-ranks.md", imp_test_tmpdir(), job);
    CU_ASSERT(stat(p, &st) == 0 && st.st_size > 10);
    return log;
}

/* Print what the runs measured: end-to-end time, requeues, stop signals seen by imprint. */
static void report(const char *what, long id, double seconds, const char *log)
{
    char restarts[32];
    imp_slurm_job_field(id, "Restarts", restarts, sizeof restarts);
    printf("\n  %s: job %ld done in %.1f s from submit, %s requeue(s), %d 'stop signal' line(s), "
           "%d srun relaunch(es)\n",
           what, id, seconds, restarts, imp_slurm_count(log, "sweep: stop signal"),
           imp_slurm_count(log, "launching again"));
    /* the script's own lines carry timestamps: runs, stops, requeues */
    for (const char *p = log; p && (p = strstr(p, "sweep.sbatch: ")) != NULL;) {
        size_t len = strcspn(p, "\n");
        printf("    %.*s\n", (int)len, p);
        p += len;
    }
}

/* The suite's fixture (run once, before the cases, each in a process of its own): the local
 * Slurm, stopped when the suite's process exits. */
static void setup(void)
{
    double t0 = imp_slurm_now();
    /* IMPRINT_SLURM_PORT: another port where a second test cluster runs on the machine */
    const char *port = getenv("IMPRINT_SLURM_PORT");
    int rc = imp_slurm_start(g_cluster, sizeof g_cluster, 0, port && *port ? port : "16827", NULL);
    CU_ASSERT_FATAL(rc == 0);
    printf("\n  local Slurm up in %.1f s (%s)\n", imp_slurm_now() - t0, g_cluster);
    setenv("IMPRINT", IMP_TEST_TOOL_PATH, 1); /* the tool, its pieces paced (--test-piece-delay-ms) */
    /* In a sanitizer build, leaks at exit (Open MPI's unloaded components among them) would
     * turn every sweep's exit code into LeakSanitizer's; leak checking of the sweep is
     * test_sweep's business, this test is about the scripts. */
    const char *asan = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", asan ? asan : "", asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    make_store();
}

/* `scancel --signal=USR1` (what Slurm's --signal does before the time limit): imprint stops
 * with 75, the script requeues the job, the rerun resumes and completes; then the analysis. */
static void test_signal_requeue(void)
{
    CU_ASSERT_FATAL(g_cluster[0] != '\0');
    write_job("sig", 0);
    long sweep = 0, analyze = 0;
    double t0 = imp_slurm_now();
    /* 12 units of 1.5 s on 2 ranks: ~9 s of work; the job file by a relative path */
    submit("jobs/sig.yaml", "-N1 --ntasks-per-node=2 -c1 --time=10", "1500", &sweep, &analyze);
    CU_ASSERT_FATAL(sweep > 0);
    char log_name[64];
    snprintf(log_name, sizeof log_name, "imprint-sweep-%ld.log", sweep);
    /* signal once some cells are done and most are not */
    int rc = imp_test_sh(NULL, "for i in $(seq 120); do grep -Eq 'sweep: [1-9][0-9]*/36 cells done' "
                               "'%s' 2>/dev/null && exit 0; sleep 0.25; done; exit 1",
                         imp_test_path(log_name));
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "scancel --signal=USR1 %ld", sweep), 0);
    char state[64];
    imp_slurm_wait_final(sweep, 120, state, sizeof state);
    double seconds = imp_slurm_now() - t0;
    char *log = imp_slurm_read_log(log_name);
    imp__assert_msg(strcmp(state, "COMPLETED") == 0, __LINE__, __FILE__, "sweep job %ld: %s\n%s",
                    sweep, state, log);
    IMP_ASSERT_STR_CONTAINS(log, "sweep: stop signal");
    IMP_ASSERT_STR_CONTAINS(log, "Exited with exit code 75");
    IMP_ASSERT_STR_CONTAINS(log, "stopped early (exit 75): requeueing job");
    IMP_ASSERT_STR_CONTAINS(log, "run 2 (requeues so far: 1)");
    IMP_ASSERT_STR_CONTAINS(log, "grid complete (exit 0) after 1 requeue(s)");
    /* no SLURM_MPI_TYPE here: the cluster's MpiDefault (pmix in slurm-local.sh's config) */
    IMP_ASSERT_STR_CONTAINS(log, "srun --mpi=pmix (SLURM_MPI_TYPE=unset)");
    char buf[64];
    IMP_ASSERT_INT_EQ(atoi(imp_slurm_job_field(sweep, "Restarts", buf, sizeof buf)), 1);
    IMP_ASSERT_INT_EQ(strcmp(imp_slurm_job_field(sweep, "ExitCode", buf, sizeof buf), "0:0"), 0);
    report("scancel --signal=USR1", sweep, seconds, log);
    free(log);
    assert_complete_once("sig");
    free(assert_analysis("sig", "jobs/../results/sig.h5", sweep, analyze));
}

/* The time limit: --time=1 with --signal=USR1@50 signals imprint early in each run (Slurm
 * checks limits every 30 s; measured 22-29 s into a run once, 0-1 s in later runs); every stop
 * is requeued until the work is done. */
static void test_time_limit_requeue(void)
{
    CU_ASSERT_FATAL(g_cluster[0] != '\0');
    write_job("limit", 0);
    long sweep = 0, analyze = 0;
    double t0 = imp_slurm_now();
    char job[900]; /* the job file by its absolute path */
    snprintf(job, sizeof job, "%s/jobs/limit.yaml", imp_test_tmpdir());
    /* 12 units of 8 s on 2 ranks: ~48 s of work, more than the first run gets before its
     * signal (at most 40 s in); the drain (at most 2 units per rank in flight, 16 s) still ends
     * before the limit */
    submit(job, "-N1 --ntasks-per-node=2 -c1 --time=1 --signal=USR1@50", "8000", &sweep,
           &analyze);
    CU_ASSERT_FATAL(sweep > 0);
    char state[64];
    /* 300 s: the warning can come at once (seen 0-1 s into a run: Slurm's limit check runs
     * every 30 s and sends it up to that much early), and a run signalled before its first
     * 8-s unit ends journals nothing; 200 s left 29-31 of 36 cells done on a loaded machine */
    imp_slurm_wait_final(sweep, 300, state, sizeof state);
    double seconds = imp_slurm_now() - t0;
    char log_name[64];
    snprintf(log_name, sizeof log_name, "imprint-sweep-%ld.log", sweep);
    char *log = imp_slurm_read_log(log_name);
    imp__assert_msg(strcmp(state, "COMPLETED") == 0, __LINE__, __FILE__, "sweep job %ld: %s\n%s",
                    sweep, state, log);
    char buf[64];
    int restarts = atoi(imp_slurm_job_field(sweep, "Restarts", buf, sizeof buf));
    CU_ASSERT(restarts >= 1);
    /* every run but the last was stopped by the signal and requeued (the last one may get the
     * signal too, with nothing left but the units in flight) */
    CU_ASSERT(imp_slurm_count(log, "sweep: stop signal") >= restarts);
    IMP_ASSERT_INT_EQ(imp_slurm_count(log, "stopped early (exit 75): requeueing job"), restarts);
    IMP_ASSERT_STR_CONTAINS(log, "grid complete (exit 0)");
    CU_ASSERT(strstr(log, "DUE TO TIME LIMIT") == NULL);
    report("time limit (--time=1 --signal=USR1@50)", sweep, seconds, log);
    free(log);
    assert_complete_once("limit");
    char cube[900];
    snprintf(cube, sizeof cube, "%s/jobs/../results/limit.h5", imp_test_tmpdir());
    free(assert_analysis("limit", cube, sweep, analyze));
}

/* A sweep whose cells on the "huge" task fail (6: the none strategy at 2 shots x 3 seeds) ends
 * with exit 4; the analysis still runs (afterany), reports the failures and ranks the other
 * voters. */
static void test_failed_cells(void)
{
    CU_ASSERT_FATAL(g_cluster[0] != '\0');
    write_job("fail", 1);
    long sweep = 0, analyze = 0;
    submit("jobs/fail.yaml", "-N1 --ntasks-per-node=2 -c1 --time=10", "0", &sweep, &analyze);
    CU_ASSERT_FATAL(sweep > 0);
    char state[64], buf[64];
    imp_slurm_wait_final(sweep, 120, state, sizeof state);
    char log_name[64];
    snprintf(log_name, sizeof log_name, "imprint-sweep-%ld.log", sweep);
    char *log = imp_slurm_read_log(log_name);
    imp__assert_msg(strcmp(state, "FAILED") == 0, __LINE__, __FILE__, "sweep job %ld: %s\n%s",
                    sweep, state, log);
    IMP_ASSERT_INT_EQ(strcmp(imp_slurm_job_field(sweep, "ExitCode", buf, sizeof buf), "4:0"), 0);
    IMP_ASSERT_STR_CONTAINS(log, "finished with failed cells (exit 4)");
    free(log);
    log = assert_analysis("fail", "jobs/../results/fail.h5", sweep, analyze);
    IMP_ASSERT_STR_CONTAINS(log, "cells: 48 (valid 48): done 42, pending 0, failed 6, n-a 0");
    IMP_ASSERT_STR_CONTAINS(log, "the sweep left 6 failed and 0 pending cells");
    free(log);
}

/* slurm/submit.sh --array 3 (the array test, evolve's): three single-process shard elements,
 * element 1 stopped by `scancel --signal=USR1` and requeued, then the dependent merge folds the
 * shard journals, rebuilds the cube and runs the analysis; the cube equals a one-process sweep
 * of the same job cell by cell, with one journal record per cell. */
/* The array's job: 3 tasks x 2 shots x 4 seeds x (mean, kmeans at k 1) = 48 cells in 24 units
 * (kmeans draws with the seed, so every (task, shot, seed) is a unit): 8 per shard. */
static void write_array_job(const char *name)
{
    char path[900], text[1024];
    snprintf(path, sizeof path, "%s/%s.yaml", imp_test_tmpdir(), name);
    snprintf(text, sizeof text,
             "store: toy.h5\ncube: %s.h5\nmodels: [toy]\ntasks:\n"
             "  - {name: all3, dataset: blobs, classes: all}\n"
             "  - {name: pair, dataset: blobs, classes: [2, 0]}\n"
             "  - {name: pair2, dataset: blobs, classes: [0, 1]}\n"
             "strategies: [none/mean/none/none/max, l2/kmeans/l2/l2/max]\n"
             "ks: [1]\nshots: [all, 5]\nseeds: [1, 2, 3, 4]\n",
             name);
    CU_ASSERT_EQUAL_FATAL(imp_test_write_file(path, text, strlen(text)), 0);
}

static void test_array(void)
{
    CU_ASSERT_FATAL(g_cluster[0] != '\0');
    write_array_job("arr");
    write_array_job("arrref");
    char *out = NULL;
    int rc = imp_test_tool(&out, "sweep %s/arrref.yaml --quiet", imp_test_tmpdir());
    IMP_ASSERT_INT_EQ(rc, 0);
    free(out);
    setenv("ARRAY_SBATCH_ARGS", "-c1", 1);
    setenv("IMPRINT_TEST_UNIT_SLEEP_MS", "1500", 1);
    double t0 = imp_slurm_now();
    rc = imp_test_sh(&out, "cd '%s' && '%s/slurm/submit.sh' --array 3 arr.yaml --progress-seconds 2",
                     imp_test_tmpdir(), IMP_SOURCE_DIR);
    unsetenv("IMPRINT_TEST_UNIT_SLEEP_MS");
    unsetenv("ARRAY_SBATCH_ARGS");
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "submit.sh --array: exit %d\n%s", rc, out);
    const char *a = out ? strstr(out, "array ") : NULL, *m = out ? strstr(out, "merge ") : NULL;
    long array = a ? atol(a + 6) : 0, merge = m ? atol(m + 6) : 0;
    imp__assert_msg(array > 0 && merge > 0, __LINE__, __FILE__, "job ids in:\n%s", out);
    free(out);
    CU_ASSERT_FATAL(array > 0 && merge > 0);
    /* stop element 1 once it has journaled a unit (the header is 64 bytes) */
    rc = imp_test_sh(NULL, "for i in $(seq 240); do [ \"$(stat -c %%s '%s' 2>/dev/null || echo 0)\" "
                           "-gt 64 ] && exit 0; sleep 0.25; done; exit 1",
                     imp_test_path("arr.h5.shard-1-of-3.journal"));
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "scancel --signal=USR1 %ld_1", array), 0);
    char state[64];
    imp_slurm_wait_final(merge, 240, state, sizeof state);
    double seconds = imp_slurm_now() - t0;
    char name[96];
    snprintf(name, sizeof name, "imprint-merge-%ld.log", merge);
    char *log = imp_slurm_read_log(name);
    imp__assert_msg(strcmp(state, "COMPLETED") == 0, __LINE__, __FILE__,
                    "merge job %ld: %s\n%s", merge, state, log);
    IMP_ASSERT_STR_CONTAINS(log, "3 shard journals folded (48 records, 48 new");
    free(log);
    snprintf(name, sizeof name, "imprint-shard-%ld_1.log", array);
    log = imp_slurm_read_log(name);
    IMP_ASSERT_STR_CONTAINS(log, "sweep: stop signal");
    IMP_ASSERT_STR_CONTAINS(log, "stopped early (exit 75): requeueing job");
    IMP_ASSERT_STR_CONTAINS(log, "grid complete (exit 0) after 1 requeue(s)");
    free(log);
    printf("\n  --array 3: merged and analysed %.1f s after submit (element 1 requeued once)\n",
           seconds);
    char pa[900], pb[900];
    snprintf(pa, sizeof pa, "%s/arr.h5.journal", imp_test_tmpdir());
    imp_journal_set *set = NULL;
    imp_journal_info info;
    imp_err jerr;
    if (imp_journal_load(pa, &set, &info, &jerr) == 0) {
        IMP_ASSERT_INT_EQ(info.n_records, 48); /* one record per cell: none ran twice */
        IMP_ASSERT_INT_EQ(set->n, 48);
        imp_journal_set_free(set);
    } else {
        CU_FAIL("the array's journal cannot be read");
    }
    snprintf(pa, sizeof pa, "%s/arr.h5", imp_test_tmpdir());
    snprintf(pb, sizeof pb, "%s/arrref.h5", imp_test_tmpdir());
    imp_cube *ca = NULL, *cb = NULL;
    imp_err err;
    if (imp_cube_read(pa, &ca, &err) == 0 && imp_cube_read(pb, &cb, &err) == 0 &&
        ca->n_cells == cb->n_cells) {
        size_t diff = 0, done[IMP_CELL__NSTATUS];
        imp_cube_count(ca, done);
        IMP_ASSERT_INT_EQ(done[IMP_CELL_DONE], 48);
        for (uint64_t c = 0; c < ca->n_cells; c++)
            diff += ca->status[c] != cb->status[c] ||
                    memcmp(&ca->accuracy[c], &cb->accuracy[c], sizeof(float)) != 0;
        IMP_ASSERT_INT_EQ(diff, 0);
    } else {
        CU_FAIL("the array's cube and the reference cube differ in shape or cannot be read");
    }
    imp_cube_free(ca);
    imp_cube_free(cb);
}

/* embed.sbatch's stop and requeue, with a stand-in for embed.py (PYTHON=bash) that waits for
 * SIGTERM and exits 75 on its first run, 0 on its rerun: `scancel --batch --signal=TERM` (what
 * --signal=B:TERM@300 sends before the time limit) reaches the script, which passes it on, and
 * the stop is requeued once. */
static void test_embed_requeue(void)
{
    CU_ASSERT_FATAL(g_cluster[0] != '\0');
    const char *fake = "echo \"fake embed run ${SLURM_RESTART_COUNT:-0}: $*\"\n"
                       "[ \"${SLURM_RESTART_COUNT:-0}\" -ge 1 ] && exit 0\n"
                       "trap 'echo \"fake embed: SIGTERM\"; exit 75' TERM\n"
                       "touch fake-started\n"
                       "while :; do sleep 0.2; done\n";
    CU_ASSERT_EQUAL_FATAL(imp_test_write_file(imp_test_path("fake-embed.sh"), fake, strlen(fake)), 0);
    char *out = NULL;
    int rc = imp_test_sh(&out, "cd '%s' && IMPRINT_EMBED=fake-embed.sh PYTHON=bash "
                               "IMPRINT_SLURM_DIR='%s/slurm' sbatch --parsable -N1 -n1 -c1 "
                               "--gres=none --mem=1G '%s/slurm/embed.sbatch' --store s.h5",
                         imp_test_tmpdir(), IMP_SOURCE_DIR, IMP_SOURCE_DIR);
    long id = rc == 0 && out ? atol(out) : 0;
    imp__assert_msg(id > 0, __LINE__, __FILE__, "sbatch embed.sbatch: exit %d\n%s", rc, out);
    free(out);
    CU_ASSERT_FATAL(id > 0);
    rc = imp_test_sh(NULL, "for i in $(seq 240); do [ -e '%s' ] && exit 0; sleep 0.25; done; exit 1",
                     imp_test_path("fake-started"));
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_INT_EQ(imp_test_sh(NULL, "scancel --batch --signal=TERM %ld", id), 0);
    char state[64], buf[64], name[64];
    imp_slurm_wait_final(id, 120, state, sizeof state);
    snprintf(name, sizeof name, "imprint-embed-%ld.log", id);
    char *log = imp_slurm_read_log(name);
    imp__assert_msg(strcmp(state, "COMPLETED") == 0, __LINE__, __FILE__, "embed job %ld: %s\n%s",
                    id, state, log);
    IMP_ASSERT_STR_CONTAINS(log, "SIGTERM: asking fake-embed.sh to stop");
    IMP_ASSERT_STR_CONTAINS(log, "fake embed: SIGTERM");
    IMP_ASSERT_STR_CONTAINS(log, "fake-embed.sh stopped early (exit 75)");
    IMP_ASSERT_STR_CONTAINS(log, "stopped early (exit 75): requeueing job");
    IMP_ASSERT_STR_CONTAINS(log, "fake embed run 1: --store s.h5 --workers 1");
    IMP_ASSERT_INT_EQ(atoi(imp_slurm_job_field(id, "Restarts", buf, sizeof buf)), 1);
    free(log);
}

/* embed.sbatch without jobs/embed.py says so and exits 2 (no GPU or Slurm needed) */
static void test_embed_missing(void)
{
    char *out = NULL;
    int rc = imp_test_sh(&out, "cd '%s' && bash '%s/slurm/embed.sbatch' --store s.h5 --model m "
                               "--dataset d",
                         imp_test_tmpdir(), IMP_SOURCE_DIR);
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "jobs/embed.py not found");
    free(out);
}

int main(void)
{
    const char *on = getenv("IMPRINT_SLURM_TESTS");
    if (!on || strcmp(on, "1") != 0)
        imp_test_skip_suite("test_slurm", "set IMPRINT_SLURM_TESTS=1 to test slurm/ against a "
                            "local single-node Slurm; needs root, installs slurm-wlm and munge if "
                            "missing");
    static const imp_test tests[] = {
        {"scancel --signal=USR1: exit 75, requeue, complete, then analyze", test_signal_requeue},
        {"time limit --signal: exit 75, requeue until complete", test_time_limit_requeue},
        {"failed cells: exit 4, the analysis still runs and reports them", test_failed_cells},
        {"submit.sh --array 3: shards, one requeued, merge, analyze", test_array},
        {"embed.sbatch: SIGTERM to the batch shell, exit 75, requeued, rerun", test_embed_requeue},
        {"embed.sbatch without embed.py", test_embed_missing},
        {NULL, NULL},
    };
    return imp_test_main_setup("slurm", setup, tests);
}
