/* test_stop.c — what each stop signal sent to mpirun (Open MPI 4.1) does to a sweep, as the
 * README's Stopping section states: SIGUSR1 is forwarded to the ranks, which drain and exit 75
 * with the resume line (mpirun adds its "job has been aborted" banner for the non-zero exit);
 * SIGTERM and SIGINT (Ctrl-C) make mpirun SIGTERM the ranks and SIGKILL them about a second
 * later, so mpirun exits 1 without the resume line — and the journal still holds every cell
 * finished before, so the same command resumes. Pins Open MPI's behaviour: if an upgrade lets
 * SIGINT drain, this test says so and the README must change. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/journal.h"
#include "testutil.h"

enum { N_CELLS = 48 };

static void write_job(const char *name) { imp_test_write_toy_job(name, &imp_toy_job48); }

/* Records in NAME.h5.journal (-1 if unreadable) */
static long records(const char *name)
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s.h5.journal", imp_test_tmpdir(), name);
    imp_journal_set *set = NULL;
    imp_journal_info info;
    imp_err err;
    if (imp_journal_load(path, &set, &info, &err) != 0)
        return -1;
    long n = (long)info.n_records;
    imp_journal_set_free(set);
    return n;
}

/* The suite's fixture: the toy store every case sweeps. */
static void setup(void)
{
    CU_ASSERT_EQUAL_FATAL(imp_test_blob_store(imp_test_path("toy.h5")), 0);
}

/* `mpirun -np 2 imprint sweep NAME.yaml` (24 pieces of 1 s), sent SIG once its journal holds
 * a record; returns mpirun's exit code, its output in *out */
static int run_and_signal(const char *name, int sig, char **out)
{
    write_job(name);
    /* mpirun in the background of one shell, which waits for the first journal record (past
     * the header), signals mpirun alone and returns its exit code */
    return imp_test_sh(
        out,
        "cd '%s' && { '%s' -np 2 '%s' sweep %s.yaml --progress-seconds 1 "
        "--test-piece-delay-ms 1000 > %s.out 2>&1 & pid=$!; "
        "for i in $(seq 600); do [ \"$(stat -c %%s %s.h5.journal 2>/dev/null || echo 0)\" -gt %d ] "
        "&& break; sleep 0.1; done; kill -%d $pid; wait $pid; rc=$?; cat %s.out; exit $rc; }",
        imp_test_tmpdir(), IMP_MPIEXEC, IMP_TEST_TOOL_PATH, name, name, name,
        (int)IMP_JOURNAL_HEADER_BYTES, sig, name);
}

static void test_usr1(void)
{
    char *out = NULL;
    int rc = run_and_signal("usr1", SIGUSR1, &out);
    imp__assert_msg(rc == 75, __LINE__, __FILE__, "mpirun after SIGUSR1: exit %d\n%s", rc, out);
    IMP_ASSERT_STR_CONTAINS(out, "sweep: stop signal: no new work");
    IMP_ASSERT_STR_CONTAINS(out, "Run the same command again to resume.");
    /* Open MPI's report of the ranks' exit 75 */
    IMP_ASSERT_STR_CONTAINS(out, "Per user-direction, the job has been aborted.");
    long n = records("usr1");
    imp__assert_msg(n >= 1 && n < N_CELLS, __LINE__, __FILE__, "%ld journal records\n%s", n, out);
    free(out);
}

/* SIGTERM or SIGINT: killed after ~1 s, exit 1; resumable all the same */
static void term_or_int(const char *name, int sig)
{
    char *out = NULL;
    int rc = run_and_signal(name, sig, &out);
    imp__assert_msg(rc == 1, __LINE__, __FILE__, "mpirun after signal %d: exit %d\n%s", sig, rc,
                    out);
    CU_ASSERT(strstr(out, "Run the same command again to resume.") == NULL);
    long kept = records(name);
    imp__assert_msg(kept >= 1 && kept < N_CELLS, __LINE__, __FILE__, "%ld journal records\n%s",
                    kept, out);
    free(out);
    /* the same command again resumes: the cells kept are not recomputed */
    char job[900];
    snprintf(job, sizeof job, "%s/%s.yaml", imp_test_tmpdir(), name);
    rc = imp_test_sh(&out, "'%s' -np 2 '%s' sweep '%s' --quiet", IMP_MPIEXEC, IMP_TOOL_PATH, job);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "resume: exit %d\n%s", rc, out);
    char want[160];
    snprintf(want, sizeof want, "%ld done, 0 failed before this run", kept);
    IMP_ASSERT_STR_CONTAINS(out, want);
    IMP_ASSERT_INT_EQ(records(name), N_CELLS);
    free(out);
}

static void test_term(void)
{
    term_or_int("term", SIGTERM);
}

static void test_int(void)
{
    term_or_int("int", SIGINT);
}

int main(void)
{
    static const imp_test tests[] = {
        {"SIGUSR1 to mpirun: drain, exit 75, resume line", test_usr1},
        {"SIGTERM to mpirun: killed, exit 1, journal kept, resumes", test_term},
        {"SIGINT (Ctrl-C) to mpirun: killed, exit 1, journal kept, resumes", test_int},
        {NULL, NULL},
    };
    return imp_test_main_setup("stop", setup, tests);
}
