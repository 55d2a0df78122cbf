/* slurmutil.c — helpers of the tests that run the slurm/ scripts against a local Slurm. */
#include "slurmutil.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imprint/clock.h"
#include "imprint/cube.h"
#include "imprint/journal.h"
#include "testutil.h"

double imp_slurm_now(void) { return imp_clock_s(); }

static char g_cluster[256]; /* the cluster this process started, "" if none */

static void stop_cluster(void)
{
    if (!g_cluster[0])
        return;
    char *out = NULL;
    if (imp_test_sh(&out, "'%s/scripts/slurm-local.sh' stop '%s'", IMP_SOURCE_DIR, g_cluster))
        fprintf(stderr, "slurm-local.sh stop: %s\n", out ? out : "");
    free(out);
    if (!getenv("IMP_KEEP_TMP") && imp_test_sh(NULL, "rm -rf '%s'", g_cluster) != 0)
        fprintf(stderr, "warning: could not remove %s\n", g_cluster);
    g_cluster[0] = '\0';
}

int imp_slurm_start(char *dir, size_t n, int nodes, const char *port, const char *subnet)
{
    snprintf(g_cluster, sizeof g_cluster, "/tmp/imprint-slurm-test.XXXXXX");
    if (!mkdtemp(g_cluster)) {
        g_cluster[0] = '\0';
        return -1;
    }
    chmod(g_cluster, 0755); /* munged wants a socket directory everyone can traverse */
    atexit(stop_cluster);
    char nodes_opt[32] = "";
    if (nodes > 0)
        snprintf(nodes_opt, sizeof nodes_opt, "--nodes %d", nodes);
    char *out = NULL;
    int rc = imp_test_sh(&out, "IMPRINT_SLURM_PORT=%s IMPRINT_SLURM_SUBNET=%s "
                               "'%s/scripts/slurm-local.sh' start %s '%s'",
                         port, subnet ? subnet : "77", IMP_SOURCE_DIR, nodes_opt, g_cluster);
    if (rc != 0) {
        fprintf(stderr, "slurm-local.sh start: exit %d\n%s\n", rc, out ? out : "");
        free(out);
        return -1;
    }
    free(out);
    char conf[300];
    snprintf(conf, sizeof conf, "%s/slurm.conf", g_cluster);
    setenv("SLURM_CONF", conf, 1);
    snprintf(dir, n, "%s", g_cluster);
    return 0;
}

const char *imp_slurm_job_field(long id, const char *field, char *buf, size_t n)
{
    char *out = NULL;
    buf[0] = '\0';
    imp_test_sh(&out, "scontrol show job -o %ld", id);
    char key[64];
    snprintf(key, sizeof key, " %s=", field);
    const char *p = out ? strstr(out, key) : NULL;
    if (p) {
        p += strlen(key);
        size_t len = strcspn(p, " \n");
        if (len >= n)
            len = n - 1;
        memcpy(buf, p, len);
        buf[len] = '\0';
    }
    free(out);
    return buf;
}

static int is_final(const char *state)
{
    return strcmp(state, "COMPLETED") == 0 || strcmp(state, "FAILED") == 0 ||
           strcmp(state, "CANCELLED") == 0 || strcmp(state, "TIMEOUT") == 0 ||
           strcmp(state, "NODE_FAIL") == 0 || strcmp(state, "OUT_OF_MEMORY") == 0;
}

double imp_slurm_wait_final(long id, double timeout_s, char *state, size_t n)
{
    double t0 = imp_slurm_now();
    while (imp_slurm_now() - t0 < timeout_s) {
        if (is_final(imp_slurm_job_field(id, "JobState", state, n)))
            break;
        usleep(250000);
    }
    return imp_slurm_now() - t0;
}

char *imp_slurm_read_log(const char *name)
{
    char *out = NULL;
    imp_test_sh(&out, "cat '%s'", imp_test_path(name));
    return out;
}

int imp_slurm_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

long imp_slurm_cube_diff(const char *a, const char *b)
{
    imp_cube *ca = NULL, *cb = NULL;
    imp_err err;
    long diff = -1;
    if (imp_cube_read(a, &ca, &err) != 0)
        fprintf(stderr, "cube %s: %s\n", a, err.msg);
    else if (imp_cube_read(b, &cb, &err) != 0)
        fprintf(stderr, "cube %s: %s\n", b, err.msg);
    else if (ca->n_cells != cb->n_cells)
        fprintf(stderr, "cubes %s and %s: %llu and %llu cells\n", a, b,
                (unsigned long long)ca->n_cells, (unsigned long long)cb->n_cells);
    else {
        diff = 0;
        /* bit for bit: the same cell computed anywhere gives the same float */
        for (uint64_t c = 0; c < ca->n_cells; c++)
            diff += ca->status[c] != cb->status[c] ||
                    memcmp(&ca->accuracy[c], &cb->accuracy[c], sizeof(float)) != 0;
    }
    imp_cube_free(ca);
    imp_cube_free(cb);
    return diff;
}

void imp_slurm_assert_done_once(const char *cube_path, size_t n_cells)
{
    imp_cube *c = NULL;
    imp_err err;
    int rc = imp_cube_read(cube_path, &c, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "read cube %s: %s", cube_path,
                    rc ? err.msg : "");
    if (c) {
        size_t counts[IMP_CELL__NSTATUS];
        imp_cube_count(c, counts);
        IMP_ASSERT_INT_EQ(counts[IMP_CELL_DONE], n_cells);
        imp_cube_free(c);
    }
    char path[1000];
    snprintf(path, sizeof path, "%s.journal", cube_path);
    imp_journal_set *set = NULL;
    imp_journal_info info;
    rc = imp_journal_load(path, &set, &info, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "journal %s: %s", path, rc ? err.msg : "");
    if (set) {
        IMP_ASSERT_INT_EQ(info.n_records, n_cells); /* one record per cell: none ran twice */
        IMP_ASSERT_INT_EQ(set->n, n_cells);
        imp_journal_set_free(set);
    }
}
