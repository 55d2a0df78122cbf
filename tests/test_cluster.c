/* test_cluster.c — the slurm/ scripts on a 3-node Slurm made of network namespaces on this
 * machine (scripts/slurm-local.sh start --nodes 3): ranks on different hosts talk over Open
 * MPI's tcp transport; a sweep through slurm/submit.sh on 3 nodes x 2 ranks, the shard array
 * spread over the nodes with its merge, and a sweep whose node dies mid-run (link cut, every
 * process on it killed; Slurm requeues the job) all give a cube equal, cell for cell, to
 * `mpirun -np 1`, with one journal record per cell. Runs only with IMPRINT_SLURM_TESTS=1 (root:
 * it makes namespaces, a bridge and starts munge and Slurm); otherwise it reports SKIP. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imprint/cube.h"
#include "imprint/journal.h"
#include "slurmutil.h"
#include "testutil.h"

/* 3 tasks x 2 shots x 4 seeds x (mean, kmeans at k 1) = 48 cells in 24 work units (kmeans
 * draws with the seed, so every task x shot x seed is a unit) */
enum { N_CELLS = 48 };

static char g_cluster[256]; /* "" until the cluster is up */
static char g_subnet[8];    /* the cluster's 10.213.S.0/24 */

static void write_job(const char *name) { imp_test_write_toy_job(name, &imp_toy_job48); }

/* NAME.h5 equals the one-process reference ref.h5 cell for cell, every cell is done, and its
 * journal holds exactly one record per cell (none computed twice) */
static void assert_equals_reference(const char *name)
{
    char path[900], ref[900];
    snprintf(path, sizeof path, "%s/%s.h5", imp_test_tmpdir(), name);
    snprintf(ref, sizeof ref, "%s/ref.h5", imp_test_tmpdir());
    IMP_ASSERT_INT_EQ(imp_slurm_cube_diff(path, ref), 0);
    imp_slurm_assert_done_once(path, N_CELLS);
}

/* Distinct hosts the cube NAME.h5 says its done cells were computed on (the per-cell /host);
 * fails the test if one of them is not a node of this cluster. Prints `imprint status --by
 * host`. */
static int cube_hosts(const char *name)
{
    char path[900];
    snprintf(path, sizeof path, "%s/%s.h5", imp_test_tmpdir(), name);
    imp_cube *c = NULL;
    imp_err err;
    if (imp_cube_read(path, &c, &err) != 0) {
        CU_FAIL("cube unreadable");
        return 0;
    }
    int used[64] = {0}, n = 0;
    for (uint64_t i = 0; i < c->n_cells; i++) {
        if (c->status[i] != IMP_CELL_DONE)
            continue;
        int32_t h = c->host[i];
        imp__assert_msg(h >= 0 && (size_t)h < c->n_host_name && h < 64, __LINE__, __FILE__,
                        "cell %llu: host index %d", (unsigned long long)i, (int)h);
        if (h >= 0 && h < 64 && (size_t)h < c->n_host_name && !used[h]++) {
            n++;
            const char *hn = c->host_name[h];
            imp__assert_msg(strncmp(hn, "node", 4) == 0 && hn[4] >= '1' && hn[4] <= '3' &&
                                hn[5] == '\0',
                            __LINE__, __FILE__, "cell %llu computed on host '%s'",
                            (unsigned long long)i, hn);
        }
    }
    imp_cube_free(c);
    char *out = NULL;
    imp_test_tool(&out, "status '%s' --by host", path);
    printf("\n  imprint status %s.h5 --by host:\n%s", name, out ? out : "");
    free(out);
    return n;
}

/* slurm/submit.sh [--array N] JOB from the test directory; the first job id after word1
 * into *a, after word2 into *b */
static void submit(const char *args, const char *word1, long *a, const char *word2, long *b)
{
    char *out = NULL;
    int rc = imp_test_sh(&out, "cd '%s' && '%s/slurm/submit.sh' %s", imp_test_tmpdir(),
                         IMP_SOURCE_DIR, args);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "submit.sh %s: exit %d\n%s", args, rc, out);
    char w1[32], w2[32];
    snprintf(w1, sizeof w1, "\n%s ", word1);
    snprintf(w2, sizeof w2, "\n%s ", word2);
    const char *p = out ? strstr(out, w1) : NULL, *q = out ? strstr(out, w2) : NULL;
    *a = p ? atol(p + strlen(w1)) : 0;
    *b = q ? atol(q + strlen(w2)) : 0;
    imp__assert_msg(*a > 0 && *b > 0, __LINE__, __FILE__, "job ids in:\n%s", out);
    free(out);
}

/* How many of node1..node3 appear in text as "on nodeK" (the scripts' run lines) */
static int hosts_named(const char *text)
{
    int n = 0;
    for (int k = 1; k <= 3; k++) {
        char w[32];
        snprintf(w, sizeof w, "node%d", k);
        n += strstr(text, w) != NULL;
    }
    return n;
}

/* The suite's fixture (run once before the cases, each a process of its own, which inherit
 * its environment): the 3-node cluster, checked to be three hosts with their own names and
 * addresses, the toy store and the one-rank reference sweep. */
static void setup(void)
{
    double t0 = imp_slurm_now();
    const char *port = getenv("IMPRINT_CLUSTER_PORT"), *subnet = getenv("IMPRINT_CLUSTER_SUBNET");
    snprintf(g_subnet, sizeof g_subnet, "%s", subnet && *subnet ? subnet : "78");
    int rc = imp_slurm_start(g_cluster, sizeof g_cluster, 3, port && *port ? port : "16837",
                             g_subnet);
    CU_ASSERT_FATAL(rc == 0);
    printf("\n  3-node Slurm up in %.1f s (%s, 10.213.%s.0/24)\n", imp_slurm_now() - t0,
           g_cluster, g_subnet);
    /* three hosts: own names, own addresses, each one reachable from another by name */
    char *out = NULL;
    rc = imp_test_sh(&out, "srun -N3 --ntasks-per-node=1 -l sh -c 'echo $(hostname) "
                           "$(ip -4 -o addr show eth0 | tr -s \" \" | cut -d\" \" -f4)' | sort");
    IMP_ASSERT_INT_EQ(rc, 0);
    char want[200];
    snprintf(want, sizeof want, "0: node1 10.213.%s.11/24\n1: node2 10.213.%s.12/24\n"
                                "2: node3 10.213.%s.13/24\n",
             g_subnet, g_subnet, g_subnet);
    IMP_ASSERT_STR_CONTAINS(out, want);
    free(out);
    rc = imp_test_sh(&out, "'%s/scripts/slurm-local.sh' exec node1 '%s' -- getent hosts node3",
                     IMP_SOURCE_DIR, g_cluster);
    IMP_ASSERT_INT_EQ(rc, 0);
    snprintf(want, sizeof want, "10.213.%s.13", g_subnet);
    IMP_ASSERT_STR_CONTAINS(out, want);
    free(out);

    setenv("IMPRINT", IMP_TEST_TOOL_PATH, 1); /* the tool, its pieces paced (--test-piece-delay-ms) */
    const char *asan = getenv("ASAN_OPTIONS"); /* as in test_slurm: leaks are test_sweep's */
    char opts[512];
    snprintf(opts, sizeof opts, "%s%sdetect_leaks=0", asan ? asan : "", asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
    CU_ASSERT_EQUAL_FATAL(imp_test_blob_store(imp_test_path("toy.h5")), 0);
    write_job("ref");
    /* the reference: one rank, on this machine */
    rc = imp_test_sh(&out, "'%s' -np 1 '%s' sweep '%s' --quiet", IMP_MPIEXEC, IMP_TOOL_PATH,
                     imp_test_path("ref.yaml"));
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "mpirun -np 1 sweep: exit %d\n%s", rc, out);
    free(out);
    /* The jobs inherit this environment (sbatch exports it): shared memory within a node,
     * TCP between nodes, on the cluster's subnet only (ctest's default is self,vader). */
    char net[64];
    snprintf(net, sizeof net, "10.213.%s.0/24", g_subnet);
    setenv("OMPI_MCA_btl", "self,vader,tcp", 1);
    setenv("OMPI_MCA_btl_tcp_if_include", net, 1);
    setenv("OMPI_MCA_oob_tcp_if_include", net, 1);
}

/* Every "[HOST:PID] mca: bml: Using BTL btl for send to [[J,V],R] on node PEER" line of Open
 * MPI's btl_base_verbose output: counts lines between different hosts (cross) and those among
 * them not over tcp (bad); marks which hosts sent to another host */
static void scan_bml(const char *log, int *cross, int *bad, int *senders)
{
    *cross = *bad = *senders = 0;
    int sent[4] = {0};
    for (const char *p = log; p && (p = strstr(p, "mca: bml: Using ")) != NULL; p++) {
        const char *line = p;
        while (line > log && line[-1] != '\n')
            line--;
        char host[64] = "", btl[32] = "", peer[64] = "";
        if (sscanf(line, "[%63[^:]:%*d] mca: bml: Using %31s btl for send to %*s on node %63s",
                   host, btl, peer) != 3)
            continue;
        if (strcmp(host, peer) != 0) {
            (*cross)++;
            *bad += strcmp(btl, "tcp") != 0;
            int k = host[4] - '0';
            if (strncmp(host, "node", 4) == 0 && k >= 1 && k <= 3)
                sent[k] = 1;
        }
    }
    *senders = sent[1] + sent[2] + sent[3];
}

/* The grid through submit.sh on 3 nodes x 2 ranks: Open MPI's own verbose output shows every
 * message between hosts going over tcp, and the cube equals the one-rank reference. */
static void test_three_nodes(void)
{
    CU_ASSERT_FATAL(g_cluster[0] != '\0');
    write_job("grid");
    setenv("SWEEP_SBATCH_ARGS", "-N3 --ntasks-per-node=2 -c1 --time=10", 1);
    setenv("OMPI_MCA_btl_base_verbose", "30", 1);
    long sweep = 0, analyze = 0;
    double t0 = imp_slurm_now();
    submit("grid.yaml --progress-seconds 2 --test-piece-delay-ms 300", "sweep", &sweep, "analyze",
           &analyze);
    unsetenv("OMPI_MCA_btl_base_verbose");
    unsetenv("SWEEP_SBATCH_ARGS");
    CU_ASSERT_FATAL(sweep > 0);
    char state[64], buf[64];
    imp_slurm_wait_final(sweep, 300, state, sizeof state);
    double seconds = imp_slurm_now() - t0;
    char name[64];
    snprintf(name, sizeof name, "imprint-sweep-%ld.log", sweep);
    char *log = imp_slurm_read_log(name);
    imp__assert_msg(strcmp(state, "COMPLETED") == 0, __LINE__, __FILE__, "sweep job %ld: %s\n%s",
                    sweep, state, log);
    IMP_ASSERT_STR_CONTAINS(log, "on node[1-3]: 6 ranks x 1 threads");
    IMP_ASSERT_STR_CONTAINS(log, "grid complete (exit 0) after 0 requeue(s)");
    int cross, bad, senders;
    scan_bml(log, &cross, &bad, &senders);
    imp__assert_msg(cross > 0 && bad == 0, __LINE__, __FILE__,
                    "%d bml lines between hosts, %d not over tcp:\n%s", cross, bad, log);
    /* each host's ranks sent to a rank elsewhere: results travelled to rank 0 over TCP */
    IMP_ASSERT_INT_EQ(senders, 3);
    printf("\n  3 nodes x 2 ranks: job %ld done in %.1f s from submit; %d connections between "
           "hosts, all tcp; exit %s\n",
           sweep, seconds, cross, imp_slurm_job_field(sweep, "ExitCode", buf, sizeof buf));
    free(log);
    assert_equals_reference("grid");
    /* the cells' provenance: computed on several hosts, each one of the nodes */
    int hosts = cube_hosts("grid");
    imp__assert_msg(hosts >= 2, __LINE__, __FILE__, "cells from %d host(s)", hosts);
    imp_slurm_wait_final(analyze, 120, state, sizeof state);
    IMP_ASSERT_INT_EQ(strcmp(state, "COMPLETED"), 0);
}

/* Stop signals sent to srun (the README's Stopping section): SIGUSR1 is forwarded to every
 * rank, which drain and exit 75 with the resume line; SIGTERM makes srun kill the step at
 * once (exit 137, no drain), the journal keeping every finished cell. */
static void test_srun_signals(void)
{
    CU_ASSERT_FATAL(g_cluster[0] != '\0');
    const int sigs[2] = {10 /* SIGUSR1 */, 15 /* SIGTERM */};
    const char *names[2] = {"srunusr1", "srunterm"};
    for (int i = 0; i < 2; i++) {
        write_job(names[i]);
        char *out = NULL;
        int rc = imp_test_sh(
            &out,
            "cd '%s' && { srun -N2 --ntasks-per-node=1 '%s' sweep %s.yaml --progress-seconds 1 "
            "--test-piece-delay-ms 1000 > %s.out 2>&1 & pid=$!; "
            "for i in $(seq 600); do [ \"$(stat -c %%s %s.h5.journal 2>/dev/null || echo 0)\" "
            "-gt %d ] && break; sleep 0.1; done; kill -%d $pid; wait $pid; rc=$?; cat %s.out; "
            "exit $rc; }",
            imp_test_tmpdir(), IMP_TEST_TOOL_PATH, names[i], names[i], names[i],
            (int)IMP_JOURNAL_HEADER_BYTES, sigs[i], names[i]);
        if (i == 0) {
            imp__assert_msg(rc == 75, __LINE__, __FILE__, "srun after SIGUSR1: %d\n%s", rc, out);
            IMP_ASSERT_STR_CONTAINS(out, "Run the same command again to resume.");
        } else {
            imp__assert_msg(rc == 137, __LINE__, __FILE__, "srun after SIGTERM: %d\n%s", rc, out);
            IMP_ASSERT_STR_CONTAINS(out, "srun: forcing job termination");
            CU_ASSERT(strstr(out, "Run the same command again to resume.") == NULL);
        }
        free(out);
    }
}

/* submit.sh --array 3 with 2 CPUs per element (a whole node each): the elements run on
 * different hosts, the merge job folds their journals, the cube equals the reference. */
static void test_array(void)
{
    CU_ASSERT_FATAL(g_cluster[0] != '\0');
    write_job("arr");
    setenv("ARRAY_SBATCH_ARGS", "-c2", 1);
    long array = 0, merge = 0;
    double t0 = imp_slurm_now();
    submit("--array 3 arr.yaml --progress-seconds 2 --test-piece-delay-ms 300", "array", &array,
           "merge", &merge);
    unsetenv("ARRAY_SBATCH_ARGS");
    CU_ASSERT_FATAL(array > 0 && merge > 0);
    char state[64];
    imp_slurm_wait_final(merge, 300, state, sizeof state);
    double seconds = imp_slurm_now() - t0;
    char name[96];
    snprintf(name, sizeof name, "imprint-merge-%ld.log", merge);
    char *log = imp_slurm_read_log(name);
    imp__assert_msg(strcmp(state, "COMPLETED") == 0, __LINE__, __FILE__, "merge job %ld: %s\n%s",
                    merge, state, log);
    IMP_ASSERT_STR_CONTAINS(log, "3 shard journals folded (48 records, 48 new");
    free(log);
    /* the hosts the elements ran on, from their run lines ("... on nodeK: 1 ranks x 2 threads") */
    char *runs = NULL;
    imp_test_sh(&runs, "cd '%s' && grep -h 'sweep.sbatch: .* run 1 ' imprint-shard-%ld_*.log",
                imp_test_tmpdir(), array);
    int hosts = hosts_named(runs);
    imp__assert_msg(hosts >= 2, __LINE__, __FILE__, "the elements ran on %d host(s):\n%s", hosts,
                    runs);
    printf("\n  --array 3 over the nodes: merged %.1f s after submit, elements on %d hosts\n",
           seconds, hosts);
    free(runs);
    assert_equals_reference("arr");
    IMP_ASSERT_INT_EQ(cube_hosts("arr"), hosts); /* each element's cells carry its host */
}

/* A node dies mid-run: a sweep on 2 of the 3 nodes; once cells are done, its node that does
 * not run the batch script loses its link and every process on it is killed. Slurm marks it
 * DOWN, ends the job (NODE_FAIL) and requeues it; the rerun, on the batch node and the spare
 * node, resumes from the journal. */
static void test_node_failure(void)
{
    CU_ASSERT_FATAL(g_cluster[0] != '\0');
    write_job("nf");
    setenv("SWEEP_SBATCH_ARGS", "-N2 --ntasks-per-node=2 -c1 --time=10", 1);
    long sweep = 0, analyze = 0;
    double t0 = imp_slurm_now();
    /* 24 units of 1.5 s on 3-4 workers: ~10 s of work, spread over every rank */
    submit("nf.yaml --progress-seconds 1 --test-piece-delay-ms 1500", "sweep", &sweep, "analyze",
           &analyze);
    unsetenv("SWEEP_SBATCH_ARGS");
    CU_ASSERT_FATAL(sweep > 0);
    char name[64];
    snprintf(name, sizeof name, "imprint-sweep-%ld.log", sweep);
    /* the job's node without the batch script (bounded wait for the job to start) */
    char *victim = NULL;
    int rc = imp_test_sh(
        &victim,
        "for i in $(seq 240); do j=$(scontrol show job -o %ld); case \"$j\" in "
        "*JobState=RUNNING*BatchHost=node*) break;; esac; sleep 0.25; done; "
        "b=$(echo \"$j\" | grep -o 'BatchHost=[^ ]*' | cut -d= -f2); "
        "scontrol show hostnames \"$(echo \"$j\" | grep -o ' NodeList=[^ ]*' | cut -d= -f2)\" "
        "| grep -vx \"$b\" | tail -1",
        sweep);
    CU_ASSERT_FATAL(victim != NULL);
    victim[strcspn(victim, "\n")] = '\0';
    imp__assert_msg(rc == 0 && strncmp(victim, "node", 4) == 0, __LINE__, __FILE__,
                    "which node to kill: '%s'", victim);
    /* wait (bounded) until some cells are done and an imprint rank runs on the victim */
    rc = imp_test_sh(
        NULL,
        "for i in $(seq 240); do grep -Eq 'sweep: [1-9][0-9]*/48 cells done' '%s' 2>/dev/null && "
        "ip netns pids imp%s-%s | xargs -r ps -o comm= -p | grep -q imprint && exit 0; "
        "sleep 0.25; done; exit 1",
        imp_test_path(name), g_subnet, victim);
    char *log = imp_slurm_read_log(name);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "no cell done with ranks on %s:\n%s", victim,
                    log);
    free(log);
    CU_ASSERT_FATAL(rc == 0);
    char *out = NULL;
    double t_kill = imp_slurm_now();
    rc = imp_test_sh(&out, "'%s/scripts/slurm-local.sh' kill-node %s '%s'", IMP_SOURCE_DIR,
                     victim, g_cluster);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "kill-node: exit %d\n%s", rc, out);
    free(out);
    char state[64], buf[256];
    imp_slurm_wait_final(sweep, 400, state, sizeof state);
    double seconds = imp_slurm_now() - t0, after_kill = imp_slurm_now() - t_kill;
    log = imp_slurm_read_log(name);
    imp__assert_msg(strcmp(state, "COMPLETED") == 0, __LINE__, __FILE__, "sweep job %ld: %s\n%s",
                    sweep, state, log);
    int restarts = atoi(imp_slurm_job_field(sweep, "Restarts", buf, sizeof buf));
    CU_ASSERT(restarts >= 1);
    IMP_ASSERT_STR_CONTAINS(log, "run 2 (requeues so far: 1) on node");
    IMP_ASSERT_STR_CONTAINS(log, "grid complete (exit 0)");
    /* the rerun ran without the dead node */
    const char *run2 = log ? strstr(log, "run 2 (requeues so far: 1) on ") : NULL;
    if (run2) {
        char nodes[64] = "";
        sscanf(run2 + strlen("run 2 (requeues so far: 1) on "), "%63[^:]", nodes);
        char *hosts = NULL;
        imp_test_sh(&hosts, "scontrol show hostnames '%s'", nodes);
        char line[80];
        snprintf(line, sizeof line, "%s\n", victim);
        imp__assert_msg(hosts && strstr(hosts, line) == NULL, __LINE__, __FILE__,
                        "the rerun ran on %s, the dead %s among them", nodes, victim);
        free(hosts);
    }
    /* Slurm saw the node fail */
    imp_test_sh(&out, "scontrol show node %s", victim);
    IMP_ASSERT_STR_CONTAINS(out, "State=DOWN");
    free(out);
    printf("\n  %s killed mid-run: job %ld complete %.1f s after submit, %.1f s after the "
           "kill, %d requeue(s)\n",
           victim, sweep, seconds, after_kill, restarts);
    for (const char *p = log; p && (p = strstr(p, "sweep.sbatch: ")) != NULL;) {
        size_t len = strcspn(p, "\n");
        printf("    %.*s\n", (int)len, p);
        p += len;
    }
    free(log);
    assert_equals_reference("nf");
    /* cells from the batch node and the node the rerun got, and maybe the dead one's before */
    CU_ASSERT(cube_hosts("nf") >= 2);
    free(victim);
}

int main(void)
{
    const char *on = getenv("IMPRINT_SLURM_TESTS");
    if (!on || strcmp(on, "1") != 0)
        imp_test_skip_suite("test_cluster", "set IMPRINT_SLURM_TESTS=1 to test slurm/ on a local "
                            "3-node Slurm in network namespaces; needs root");
    static const imp_test tests[] = {
        {"submit.sh on 3 nodes x 2 ranks: tcp between hosts, cube = 1 rank", test_three_nodes},
        {"srun and stop signals: USR1 drains (75), TERM kills (137)", test_srun_signals},
        {"submit.sh --array 3 over the nodes, merge: cube = 1 rank", test_array},
        {"a node dies mid-run: requeued, resumed, cube = 1 rank, one record per cell",
         test_node_failure},
        {NULL, NULL},
    };
    return imp_test_main_setup("cluster", setup, tests);
}
