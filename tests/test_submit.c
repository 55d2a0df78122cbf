/* test_submit.c — slurm/submit.sh --dry-run (no Slurm needed): the site options (--account,
 * --partition, --qos, --constraint, and their IMPRINT_SBATCH_* variables) on every sbatch line,
 * the site prelude passed to the jobs, the array throttle, and the size chosen from
 * `imprint plan --ranks`: the smallest node count whose time limit (1.5 x simulated makespan +
 * 10 min, whole minutes) fits in --hours, checked against plan's own makespans. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* submit.sh --dry-run ARGS from the test directory; its output (sbatch lines and ids) */
static int dry(char **out, const char *args)
{
    return imp_test_sh(out, "cd '%s' && IMPRINT='%s' '%s/slurm/submit.sh' --dry-run %s",
                       imp_test_tmpdir(), IMP_TOOL_PATH, IMP_SOURCE_DIR, args);
}

/* The n-th (0-based) line of out starting with "sbatch ", copied into buf ("" if none) */
static const char *sbatch_line(const char *out, int n, char *buf, size_t size)
{
    buf[0] = '\0';
    for (const char *p = out; p && (p = strstr(p, "sbatch ")) != NULL; p++) {
        if (p != out && p[-1] != '\n')
            continue;
        if (n-- == 0) {
            size_t len = strcspn(p, "\n");
            snprintf(buf, size, "%.*s", (int)(len < size ? len : size - 1), p);
            break;
        }
    }
    return buf;
}

/* The suite's fixture: the toy store and a one-cell job over it. */
static void write_toy_job(void)
{
    CU_ASSERT_EQUAL_FATAL(imp_test_blob_store(imp_test_path("toy.h5")), 0);
    const char *text = "store: toy.h5\ncube: toy-cube.h5\nmodels: [toy]\ntasks:\n"
                       "  - {name: all3, dataset: blobs, classes: all}\n"
                       "strategies: [l2/mean/l2/l2/max]\nks: [1]\nshots: [all]\nseeds: [1]\n";
    CU_ASSERT_EQUAL_FATAL(imp_test_write_file(imp_test_path("toy.yaml"), text, strlen(text)), 0);
}

/* every option on both sbatch lines, from options or from the IMPRINT_SBATCH_* variables */
static void test_site_options(void)
{
    const char *want[] = {"--account=proj7", "--partition=cpu", "--qos=long",
                          "--constraint=skylake"};
    const char *how[] = {"--account proj7 --partition cpu --qos long --constraint skylake toy.yaml",
                         "toy.yaml"};
    for (int v = 0; v < 2; v++) {
        if (v == 1) {
            setenv("IMPRINT_SBATCH_ACCOUNT", "proj7", 1);
            setenv("IMPRINT_SBATCH_PARTITION", "cpu", 1);
            setenv("IMPRINT_SBATCH_QOS", "long", 1);
            setenv("IMPRINT_SBATCH_CONSTRAINT", "skylake", 1);
        }
        char *out = NULL;
        int rc = dry(&out, how[v]);
        imp__assert_msg(rc == 0, __LINE__, __FILE__, "exit %d\n%s", rc, out);
        char linebuf[4096];
        const char *line = linebuf;
        for (int l = 0; l < 2; l++) {
            sbatch_line(out, l, linebuf, sizeof linebuf);
            for (int w = 0; w < 4; w++)
                imp__assert_msg(strstr(line, want[w]) != NULL, __LINE__, __FILE__,
                                "%s missing from sbatch line %d:\n%s", want[w], l, out);
        }
        IMP_ASSERT_STR_CONTAINS(sbatch_line(out, 0, linebuf, sizeof linebuf), "/slurm/sweep.sbatch toy.yaml");
        IMP_ASSERT_STR_CONTAINS(sbatch_line(out, 1, linebuf, sizeof linebuf),
                                "--dependency=afterany:DRYRUN");
        IMP_ASSERT_STR_CONTAINS(line, "/slurm/analyze.sbatch toy.yaml");
        IMP_ASSERT_STR_CONTAINS(out, "\nsweep DRYRUN\nanalyze DRYRUN\n");
        free(out);
    }
    unsetenv("IMPRINT_SBATCH_ACCOUNT");
    unsetenv("IMPRINT_SBATCH_PARTITION");
    unsetenv("IMPRINT_SBATCH_QOS");
    unsetenv("IMPRINT_SBATCH_CONSTRAINT");
}

/* --array 4 --array-parallel 2: the array line throttled (%2), the merge line with the options */
static void test_array_throttle(void)
{
    char *out = NULL;
    int rc = dry(&out, "--array 4 --array-parallel 2 --account proj7 toy.yaml --quiet");
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "exit %d\n%s", rc, out);
    char linebuf[4096];
    const char *line = linebuf;
    IMP_ASSERT_STR_CONTAINS(sbatch_line(out, 0, linebuf, sizeof linebuf), "--array=0-3%2 ");
    IMP_ASSERT_STR_CONTAINS(line, "--account=proj7");
    IMP_ASSERT_STR_CONTAINS(line, "/slurm/array.sbatch toy.yaml --quiet");
    IMP_ASSERT_STR_CONTAINS(sbatch_line(out, 1, linebuf, sizeof linebuf), "--account=proj7");
    IMP_ASSERT_STR_CONTAINS(line, "/slurm/merge.sbatch toy.yaml");
    free(out);
    rc = dry(&out, "--array-parallel 0 toy.yaml");
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "--array-parallel '0': expected a number >= 1");
    free(out);
}

/* IMPRINT_SETUP reaches the jobs through --export (also where SBATCH_EXPORT=NONE); a missing
 * file is refused before anything is submitted */
static void test_setup(void)
{
    const char *setup = imp_test_path("site.sh");
    CU_ASSERT_EQUAL_FATAL(imp_test_write_file(setup, "module load x\n", 14), 0);
    setenv("IMPRINT_SETUP", setup, 1);
    setenv("SBATCH_EXPORT", "NONE", 1);
    char *out = NULL;
    int rc = dry(&out, "toy.yaml");
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "exit %d\n%s", rc, out);
    char want[1200], linebuf[4096];
    snprintf(want, sizeof want, "--export=NONE,IMPRINT=%s,IMPRINT_SLURM_DIR=%s/slurm,IMPRINT_SETUP=%s ",
             IMP_TOOL_PATH, IMP_SOURCE_DIR, setup);
    IMP_ASSERT_STR_CONTAINS(sbatch_line(out, 0, linebuf, sizeof linebuf), want);
    IMP_ASSERT_STR_CONTAINS(sbatch_line(out, 1, linebuf, sizeof linebuf), want);
    free(out);
    unsetenv("SBATCH_EXPORT");
    setenv("IMPRINT_SETUP", imp_test_path("nope.sh"), 1);
    rc = dry(&out, "toy.yaml");
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "nope.sh' is not a readable file");
    CU_ASSERT(strstr(out, "sbatch ") == NULL);
    free(out);
    unsetenv("IMPRINT_SETUP");
}

/* plan's simulated makespan for the paper's aggregation grid at 768 dims, N ranks x 1 thread */
static double makespan(int ranks)
{
    char *out = NULL;
    int rc = imp_test_tool(&out, "plan '%s/jobs/paper-aggfocus.yaml' --dims 768 --ranks %d "
                                 "--threads 1 --json",
                           IMP_SOURCE_DIR, ranks);
    const char *p = out ? strstr(out, "\"makespan_seconds\":") : NULL;
    double s = (rc == 0 && p) ? atof(p + strlen("\"makespan_seconds\":")) : -1;
    free(out);
    return s;
}

static int limit_minutes(double s)
{
    return (int)ceil((1.5 * s + 600) / 60);
}

/* --hours 3 with 1 CPU per node: the node count chosen is the smallest whose limit fits, as
 * plan's own makespans for that count and one fewer show, and --time is that limit */
static void test_sizing(void)
{
    char *out = NULL;
    int rc = dry(&out, "--hours 3 --cpus-per-task 1 --dims 768 "
                       "'" IMP_SOURCE_DIR "/jobs/paper-aggfocus.yaml'");
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "exit %d\n%s", rc, out);
    char linebuf[4096];
    const char *line = linebuf;
    sbatch_line(out, 0, linebuf, sizeof linebuf);
    const char *n = strstr(line, "--nodes="), *t = strstr(line, "--time=");
    imp__assert_msg(n && t, __LINE__, __FILE__, "no --nodes/--time in:\n%s", out);
    if (!n || !t) {
        free(out);
        return;
    }
    int nodes = atoi(n + 8), h = 0, m = 0;
    sscanf(t + 7, "%d:%d", &h, &m);
    IMP_ASSERT_STR_CONTAINS(line, "--ntasks-per-node=1 --cpus-per-task=1 ");
    double s = makespan(nodes), s_fewer = nodes > 1 ? makespan(nodes - 1) : 0;
    printf("\n  --hours 3, 1 CPU per node: %d nodes, --time=%d:%02d:00 (makespan %.0f s; %.0f s "
           "on %d)\n", nodes, h, m, s, s_fewer, nodes - 1);
    CU_ASSERT(nodes > 1); /* the grid needs more than one 1-CPU node in 3 hours */
    IMP_ASSERT_INT_EQ(h * 60 + m, limit_minutes(s));
    CU_ASSERT(limit_minutes(s) <= 180);
    if (nodes > 1)
        CU_ASSERT(limit_minutes(s_fewer) > 180);
    free(out);

    /* too small a target even on --max-nodes: refused, nothing submitted */
    rc = dry(&out, "--hours 0.1 --max-nodes 2 --cpus-per-task 1 --dims 768 "
                   "'" IMP_SOURCE_DIR "/jobs/paper-aggfocus.yaml'");
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "does not fit in 0.1 h on 2 nodes");
    CU_ASSERT(strstr(out, "sbatch ") == NULL);
    free(out);
}

/* a small job (the toy grid, like the demo) asks for one node and minutes; a job without a cost
 * estimate (store missing, no --dims) keeps the scripts' own sizes */
static void test_small_and_unsized(void)
{
    char *out = NULL;
    int rc = dry(&out, "toy.yaml");
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "exit %d\n%s", rc, out);
    char linebuf[4096];
    const char *line = linebuf;
    IMP_ASSERT_STR_CONTAINS(sbatch_line(out, 0, linebuf, sizeof linebuf), "--nodes=1 ");
    /* a makespan of seconds: the limit is the margin's 10 minutes, rounded up to 11 at most */
    CU_ASSERT(strstr(line, "--time=0:10:00 ") != NULL || strstr(line, "--time=0:11:00 ") != NULL);
    free(out);
    const char *text = "store: missing.h5\ncube: m.h5\nmodels: [toy]\ntasks:\n"
                       "  - {name: all3, dataset: blobs, classes: all}\n"
                       "strategies: [l2/mean/l2/l2/max]\nks: [1]\nshots: [all]\nseeds: [1]\n";
    CU_ASSERT_EQUAL_FATAL(imp_test_write_file(imp_test_path("nostore.yaml"), text, strlen(text)), 0);
    rc = dry(&out, "nostore.yaml");
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "exit %d\n%s", rc, out);
    IMP_ASSERT_STR_CONTAINS(out, "no cost estimate");
    CU_ASSERT(strstr(sbatch_line(out, 0, linebuf, sizeof linebuf), "--nodes=") == NULL);
    CU_ASSERT(strstr(line, "--time=") == NULL);
    free(out);
    rc = dry(&out, "--hours x toy.yaml");
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "--hours 'x': expected a positive number of hours");
    free(out);
}

int main(void)
{
    static const imp_test tests[] = {
        {"--account/--partition/--qos/--constraint and IMPRINT_SBATCH_* on every job",
         test_site_options},
        {"--array-parallel throttles the array", test_array_throttle},
        {"IMPRINT_SETUP exported to the jobs, missing file refused", test_setup},
        {"--hours: smallest node count that fits, --time from plan's makespan", test_sizing},
        {"small job: one node, minutes; no estimate: scripts' sizes", test_small_and_unsized},
        {NULL, NULL},
    };
    return imp_test_main_setup("submit", write_toy_job, tests);
}
