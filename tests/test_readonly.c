/* test_readonly.c — the embedding store is an input: every command but ingest leaves its bytes
 * (sha256) and its modification time exactly as they were, and the fingerprints it needs are
 * cached beside the cube instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

typedef struct snap {
    char sha[80];
    long long sec, nsec, size;
} snap;

static snap take(const char *path)
{
    snap s;
    memset(&s, 0, sizeof s);
    char *out = NULL;
    CU_ASSERT_FATAL(imp_test_sh(&out, "sha256sum '%s' | cut -c1-64", path) == 0);
    snprintf(s.sha, sizeof s.sha, "%s", out ? out : "");
    free(out);
    struct stat st;
    CU_ASSERT_FATAL(stat(path, &st) == 0);
    s.sec = (long long)st.st_mtim.tv_sec;
    s.nsec = (long long)st.st_mtim.tv_nsec;
    s.size = (long long)st.st_size;
    return s;
}

/* Run `imprint ARGS`, expect exit want, then the store as it was. */
static void run_unchanged(const char *store, const snap *before, int want, const char *args)
{
    char *out = NULL;
    int rc = imp_test_tool_args(&out, args);
    imp__assert_msg(rc == want, __LINE__, __FILE__, "imprint %s: exit %d, want %d\n%s", args, rc,
                    want, out ? out : "");
    free(out);
    snap now = take(store);
    imp__assert_msg(strcmp(now.sha, before->sha) == 0 && now.size == before->size, __LINE__,
                    __FILE__, "imprint %s changed the store's bytes", args);
    imp__assert_msg(now.sec == before->sec && now.nsec == before->nsec, __LINE__, __FILE__,
                    "imprint %s changed the store's modification time (%lld.%09lld -> "
                    "%lld.%09lld)", args, before->sec, before->nsec, now.sec, now.nsec);
}

static void test_store_untouched(void)
{
    /* a store as h5py writes it: no fingerprint attribute, which plan used to add */
    float X[8 * 2] = {0, 1, 0, 2, 5, 5, 5, 6, 9, 0, 9, 1, 1, 1, 6, 5};
    int32_t y[8] = {0, 0, 1, 1, 2, 2, 0, 1};
    char store[800], a[4096];
    snprintf(store, sizeof store, "%s", imp_test_path("s.h5"));
    CU_ASSERT_FATAL(imp_test_write_store(store, "m", "d", X, y, 8, X, y, 8, 2) == 0);
    /* an old time, so that any write would show */
    CU_ASSERT_FATAL(imp_test_sh(NULL, "touch -d '2020-01-02 03:04:05.123456789' '%s'", store) == 0);
    snap before = take(store);
    IMP_ASSERT_INT_EQ(before.nsec, 123456789);
    static const char job[] = "store: s.h5\ncube: c.h5\nmodels: [m]\n"
                              "tasks:\n  - {name: t, dataset: d, classes: all}\n"
                              "  - {name: u, dataset: d, classes: [0, 2]}\n"
                              "strategies: [l2/mean/l2/l2/max, none/mean/none/none/nn:euclidean, "
                              "none/kmeans/none/none/max]\n"
                              "ks: [1, 2]\nseeds: [1, 2]\n";
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("j.yaml"), job, strlen(job)) == 0);
    const char *jp = imp_test_path("j.yaml");
    char jpath[800], cube[800], fps[800];
    snprintf(jpath, sizeof jpath, "%s", jp);
    snprintf(cube, sizeof cube, "%s", imp_test_path("c.h5"));
    snprintf(fps, sizeof fps, "%s.fingerprints", cube);

    snprintf(a, sizeof a, "plan %s", jpath);
    run_unchanged(store, &before, 0, a);
    /* the fingerprint went beside the cube, and the next plan reads it from there */
    char *out = NULL;
    struct stat st;
    CU_ASSERT(stat(fps, &st) == 0);
    CU_ASSERT_FATAL(imp_test_tool(&out, "plan %s", jpath) == 0);
    IMP_ASSERT_STR_CONTAINS(out, "store       1 model x dataset fingerprint (1 cached,");
    free(out);
    snprintf(a, sizeof a, "plan %s --rehash --json", jpath);
    run_unchanged(store, &before, 0, a);

    /* two shards, merged; then a whole sweep on top (nothing left to do) */
    snprintf(a, sizeof a, "sweep %s --shard 0/2", jpath);
    run_unchanged(store, &before, 0, a);
    snprintf(a, sizeof a, "sweep %s --shard 1/2", jpath);
    run_unchanged(store, &before, 0, a);
    snprintf(a, sizeof a, "merge %s", jpath);
    run_unchanged(store, &before, 0, a);
    snprintf(a, sizeof a, "sweep %s --fresh", jpath);
    run_unchanged(store, &before, 0, a);
    const char *reads[] = {"status %s", "export %s --csv -", "analyze %s", "report %s --out %s.d",
                           NULL};
    for (int i = 0; reads[i]; i++) {
        snprintf(a, sizeof a, reads[i], cube, cube);
        run_unchanged(store, &before, 0, a);
    }
    snprintf(a, sizeof a, "store %s", store);
    run_unchanged(store, &before, 0, a);
    snprintf(a, sizeof a, "eval --store %s --model m --dataset d --strategy Ours --k 2", store);
    run_unchanged(store, &before, 0, a);
    snprintf(a, sizeof a, "nc1 --store %s --model m --dataset d", store);
    run_unchanged(store, &before, 0, a);
    /* the cube says every cell is done: the commands above really ran */
    CU_ASSERT_FATAL(imp_test_tool(&out, "status %s", cube) == 0);
    IMP_ASSERT_STR_CONTAINS(out, "pending 0");
    free(out);
}

int main(void)
{
    static const imp_test tests[] = {
        {"plan, sweep, merge, status, export, analyze, report leave the store as it was",
         test_store_untouched},
        {NULL, NULL},
    };
    return imp_test_main("readonly", tests);
}
