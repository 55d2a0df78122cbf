/* test_cube.c — the result cube: indexing, HDF5 write/read-back cell by cell, dimension scales,
 * atomic replace, damaged files, rebuild from the journal, CSV export and status text. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imprint/cube.h"
#include "imprint/version.h"
#include "testutil.h"

#define HASH 0xfeedbeefcafe1234ULL

static char *models[] = {"pixels", "randfeat512"};
static char *tasks[] = {"fmnist-all"};
static char *strategies[] = {"l2/mean/l2/l2/max", "l2/kmeans/l2/l2/max"};
static int64_t ks[] = {1, 20};
static int64_t shots[] = {-1, 10};
static int64_t seeds[] = {17121997, 123987};

/* 2 x 1 x 2 x 2 x 2 x 2 = 32 cells */
static imp_axes demo_axes(void)
{
    imp_axes a = {.n_model = 2, .model = models, .n_task = 1, .task = tasks, .n_strategy = 2,
                       .strategy = strategies, .n_k = 2, .k = ks, .n_shot = 2, .shot = shots,
                       .n_seed = 2, .seed = seeds};
    return a;
}

static uint64_t cell_of(const imp_axes *a, size_t m, size_t t, size_t s, size_t k,
                        size_t sh, size_t se)
{
    size_t idx[IMP_AX__COUNT] = {[IMP_AX_MODEL] = m, [IMP_AX_TASK] = t, [IMP_AX_STRATEGY] = s,
                                 [IMP_AX_K] = k, [IMP_AX_SHOT] = sh, [IMP_AX_SEED] = se};
    return imp_axes_cell_index(a, idx);
}

/* valid[c] == 0 for mean at k = 20 (mean only at k = 1): 2 models x 2 shots x 2 seeds = 8. */
static uint8_t *demo_valid(const imp_axes *a)
{
    uint8_t *v = malloc(32);
    size_t idx[IMP_AX__COUNT];
    for (uint64_t c = 0; c < 32; c++) {
        imp_axes_cell_coords(a, c, idx);
        v[c] = !(idx[IMP_AX_STRATEGY] == 0 && idx[IMP_AX_K] == 1);
    }
    return v;
}

static imp_cell_result res(uint64_t cell, int status, float acc, float gen, float inf, int np,
                           const char *msg)
{
    imp_cell_result r;
    memset(&r, 0, sizeof r);
    imp_cell_result_unknown(&r);
    r.cell = cell;
    r.status = (uint8_t)status;
    r.accuracy = acc;
    r.gen_seconds = gen;
    r.inf_seconds = inf;
    r.n_proxies = np;
    snprintf(r.message, sizeof r.message, "%s", msg);
    return r;
}

/* The demo cube: 8 n/a, 3 done, 2 failed, 19 pending. */
static imp_cube *demo_cube(void)
{
    imp_axes a = demo_axes();
    uint8_t *valid = demo_valid(&a);
    imp_cube *c;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, valid, &c, &err), 0);
    free(valid);
    IMP_ASSERT_INT_EQ(imp_cube_set_attrs(c, "models: [pixels]\nks: [1, 20]\n", "data/store.h5",
                                         HASH, &err), 0);
    imp_cell_result r[] = {
        res(cell_of(&a, 0, 0, 0, 0, 0, 0), IMP_CELL_DONE, 80.5f, 0.001f, 0.25f, 10, ""),
        res(cell_of(&a, 1, 0, 1, 1, 1, 1), IMP_CELL_DONE, 91.2345f, 1.75f, 0.5f, 200, ""),
        res(cell_of(&a, 0, 0, 1, 1, 0, 1), IMP_CELL_FAILED, NAN, 3.0f, 0.0f, 0,
            "kmeans: empty cluster, cannot proceed"),
        res(cell_of(&a, 1, 0, 1, 0, 1, 0), IMP_CELL_FAILED, 55.0f, 0.5f, NAN, 10,
            "non-finite scores"),
        res(cell_of(&a, 1, 0, 0, 0, 1, 1), IMP_CELL_DONE, 100.0f / 3.0f, 2.0f, 1.0f, 10, ""),
    };
    /* provenance and F1 on some: two hosts, a failed cell keeps where and when it failed */
    r[0].f1 = 79.25f, r[0].rank = 0, r[0].finished = 1796567890.5;
    snprintf(r[0].host, sizeof r[0].host, "node-a");
    r[1].f1 = 90.0f, r[1].rank = 3, r[1].finished = 1796567891.75;
    snprintf(r[1].host, sizeof r[1].host, "node-b");
    r[2].f1 = 12.0f, r[2].rank = 1, r[2].finished = 1796567894.5; /* failed: f1 NaN in the cube */
    snprintf(r[2].host, sizeof r[2].host, "node-a");
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        IMP_ASSERT_INT_EQ(imp_cube_apply(c, &r[i], &err), 0);
    return c;
}

static int same_float(float a, float b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void assert_cubes_equal(const imp_cube *x, const imp_cube *y)
{
    IMP_ASSERT_INT_EQ(x->n_cells, y->n_cells);
    for (int ax = 0; ax < IMP_AX__COUNT; ax++) {
        IMP_ASSERT_INT_EQ(imp_axis_len(&x->axes, ax), imp_axis_len(&y->axes, ax));
        for (size_t i = 0; i < imp_axis_len(&x->axes, ax); i++) {
            char b1[32], b2[32];
            IMP_ASSERT_INT_EQ(strcmp(imp_axis_value(&x->axes, ax, i, b1, sizeof b1),
                                     imp_axis_value(&y->axes, ax, i, b2, sizeof b2)), 0);
        }
    }
    for (uint64_t i = 0; i < x->n_cells; i++) {
        IMP_ASSERT_INT_EQ(x->status[i], y->status[i]);
        IMP_ASSERT_INT_EQ(same_float(x->accuracy[i], y->accuracy[i]), 1);
        IMP_ASSERT_INT_EQ(same_float(x->gen_seconds[i], y->gen_seconds[i]), 1);
        IMP_ASSERT_INT_EQ(same_float(x->inf_seconds[i], y->inf_seconds[i]), 1);
        IMP_ASSERT_INT_EQ(x->n_proxies[i], y->n_proxies[i]);
        IMP_ASSERT_INT_EQ(same_float(x->f1[i], y->f1[i]), 1);
        IMP_ASSERT_INT_EQ(x->rank[i], y->rank[i]);
        IMP_ASSERT_INT_EQ((isnan(x->finished[i]) && isnan(y->finished[i])) ||
                              x->finished[i] == y->finished[i], 1);
        IMP_ASSERT_INT_EQ(x->host[i] < 0, y->host[i] < 0);
        if (x->host[i] >= 0 && y->host[i] >= 0)
            IMP_ASSERT_INT_EQ(strcmp(x->host_name[x->host[i]], y->host_name[y->host[i]]), 0);
        IMP_ASSERT_INT_EQ(!x->message[i], !y->message[i]);
        if (x->message[i] && y->message[i])
            IMP_ASSERT_INT_EQ(strcmp(x->message[i], y->message[i]), 0);
    }
    IMP_ASSERT_INT_EQ(strcmp(x->job, y->job), 0);
    IMP_ASSERT_INT_EQ(strcmp(x->store, y->store), 0);
    IMP_ASSERT_INT_EQ(strcmp(x->imprint_version, y->imprint_version), 0);
    IMP_ASSERT_INT_EQ(x->grid_hash == y->grid_hash, 1);
}

static void test_indexing(void)
{
    imp_axes a = demo_axes();
    IMP_ASSERT_INT_EQ(imp_axes_n_cells(&a), 32);
    /* ((((1*1 + 0)*2 + 1)*2 + 1)*2 + 0)*2 + 1 = 29 */
    IMP_ASSERT_INT_EQ(cell_of(&a, 1, 0, 1, 1, 0, 1), 29);
    size_t idx[IMP_AX__COUNT];
    imp_axes_cell_coords(&a, 29, idx);
    const size_t want[IMP_AX__COUNT] = {[IMP_AX_MODEL] = 1, [IMP_AX_TASK] = 0,
                                        [IMP_AX_STRATEGY] = 1, [IMP_AX_K] = 1,
                                        [IMP_AX_SHOT] = 0, [IMP_AX_SEED] = 1};
    for (int i = 0; i < IMP_AX__COUNT; i++)
        IMP_ASSERT_INT_EQ(idx[i], want[i]);
    char b[32];
    IMP_ASSERT_INT_EQ(strcmp(imp_axis_value(&a, IMP_AX_SHOT, 0, b, sizeof b), "all"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_axis_value(&a, IMP_AX_SHOT, 1, b, sizeof b), "10"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_axis_value(&a, IMP_AX_SEED, 0, b, sizeof b), "17121997"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_axis_value(&a, IMP_AX_STRATEGY, 1, b, sizeof b),
                             "l2/kmeans/l2/l2/max"), 0);
    IMP_ASSERT_INT_EQ(strcmp(imp_axis_name(IMP_AX_K), "k"), 0);
    a.n_seed = 0;
    IMP_ASSERT_INT_EQ(imp_axes_n_cells(&a), 0);
    imp_cube *c = NULL;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, NULL, &c, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "at least one value");
}

static void test_apply_and_counts(void)
{
    imp_cube *c = demo_cube();
    size_t n[IMP_CELL__NSTATUS];
    imp_cube_count(c, n);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_NA], 8);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_DONE], 3);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_FAILED], 2);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_PENDING], 19);
    /* per model: pixels has done 1 (cell 0) and failed 1; randfeat512 done 2, failed 1;
     * each model has 4 n/a cells of its 16 */
    size_t pm[2 * IMP_CELL__NSTATUS];
    imp_cube_count_axis(c, IMP_AX_MODEL, pm);
    IMP_ASSERT_INT_EQ(pm[0 * 4 + IMP_CELL_DONE], 1);
    IMP_ASSERT_INT_EQ(pm[0 * 4 + IMP_CELL_FAILED], 1);
    IMP_ASSERT_INT_EQ(pm[0 * 4 + IMP_CELL_NA], 4);
    IMP_ASSERT_INT_EQ(pm[0 * 4 + IMP_CELL_PENDING], 10);
    IMP_ASSERT_INT_EQ(pm[1 * 4 + IMP_CELL_DONE], 2);
    IMP_ASSERT_INT_EQ(pm[1 * 4 + IMP_CELL_FAILED], 1);
    IMP_ASSERT_INT_EQ(pm[1 * 4 + IMP_CELL_NA], 4);
    /* per k: k=1 has no n/a, done cells 0 and (1,0,0,0,1,1), failed (1,0,1,0,1,0) */
    size_t pk[2 * IMP_CELL__NSTATUS];
    imp_cube_count_axis(c, IMP_AX_K, pk);
    IMP_ASSERT_INT_EQ(pk[0 * 4 + IMP_CELL_NA], 0);
    IMP_ASSERT_INT_EQ(pk[0 * 4 + IMP_CELL_DONE], 2);
    IMP_ASSERT_INT_EQ(pk[0 * 4 + IMP_CELL_FAILED], 1);
    IMP_ASSERT_INT_EQ(pk[1 * 4 + IMP_CELL_NA], 8);
    IMP_ASSERT_INT_EQ(pk[1 * 4 + IMP_CELL_DONE], 1);
    IMP_ASSERT_INT_EQ(pk[1 * 4 + IMP_CELL_FAILED], 1);

    /* invariants of apply: failed accuracy is NaN whatever was sent */
    imp_axes a = demo_axes();
    uint64_t f = cell_of(&a, 1, 0, 1, 0, 1, 0);
    CU_ASSERT(isnan(c->accuracy[f]));
    IMP_ASSERT_STR_CONTAINS(c->message[f], "non-finite scores");
    /* retried and done: message gone */
    imp_err err;
    imp_err_clear(&err);
    imp_cell_result r = res(f, IMP_CELL_DONE, 70.0f, 1.0f, 1.0f, 10, "ignored");
    IMP_ASSERT_INT_EQ(imp_cube_apply(c, &r, &err), 0);
    CU_ASSERT(c->message[f] == NULL);
    IMP_ASSERT_NEAR(c->accuracy[f], 70.0, 0);
    /* results for n/a cells, unknown cells and non-results are refused */
    r = res(cell_of(&a, 0, 0, 0, 1, 0, 0), IMP_CELL_DONE, 1.0f, 1.0f, 1.0f, 1, "");
    IMP_ASSERT_INT_EQ(imp_cube_apply(c, &r, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "n/a");
    r.cell = 32;
    IMP_ASSERT_INT_EQ(imp_cube_apply(c, &r, &err), IMP_EINPUT);
    r.cell = 1;
    r.status = IMP_CELL_PENDING;
    IMP_ASSERT_INT_EQ(imp_cube_apply(c, &r, &err), IMP_EINPUT);
    imp_cube_free(c);
}

static void test_write_read(void)
{
    imp_cube *c = demo_cube();
    const char *p = imp_test_path("rw.h5");
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    IMP_ASSERT_INT_EQ(strlen(c->created), 20); /* 2025-01-02T03:04:05Z */
    IMP_ASSERT_INT_EQ(c->created[19], 'Z');
    IMP_ASSERT_INT_EQ(c->created[10], 'T');

    imp_cube *r;
    IMP_ASSERT_INT_EQ(imp_cube_read(p, &r, &err), 0);
    assert_cubes_equal(c, r);
    IMP_ASSERT_INT_EQ(strcmp(r->created, c->created), 0);
    IMP_ASSERT_INT_EQ(strcmp(r->updated, c->updated), 0);
    IMP_ASSERT_INT_EQ(strcmp(r->imprint_version, imp_version()), 0); /* "0.1.0 (git ...)" */
    IMP_ASSERT_INT_EQ(strcmp(r->job, "models: [pixels]\nks: [1, 20]\n"), 0);
    /* spot checks against the values put in, independent of the writer */
    imp_axes a = demo_axes();
    IMP_ASSERT_INT_EQ(r->status[cell_of(&a, 0, 0, 0, 1, 1, 1)], IMP_CELL_NA);
    IMP_ASSERT_INT_EQ(r->status[cell_of(&a, 0, 0, 1, 0, 0, 0)], IMP_CELL_PENDING);
    CU_ASSERT(isnan(r->accuracy[cell_of(&a, 0, 0, 1, 0, 0, 0)]));
    CU_ASSERT(isnan(r->gen_seconds[cell_of(&a, 0, 0, 1, 0, 0, 0)]));
    IMP_ASSERT_INT_EQ(r->n_proxies[cell_of(&a, 0, 0, 1, 0, 0, 0)], -1);
    CU_ASSERT(r->accuracy[31] == 91.2345f); /* (1,0,1,1,1,1) is the last cell */
    CU_ASSERT(r->gen_seconds[0] == 0.001f);
    IMP_ASSERT_INT_EQ(r->n_proxies[31], 200);
    /* the measures of the table: F1, and provenance by host name (two distinct hosts) */
    CU_ASSERT(r->f1[0] == 79.25f);
    CU_ASSERT(r->f1[31] == 90.0f);
    CU_ASSERT(isnan(r->f1[cell_of(&a, 0, 0, 1, 1, 0, 1)])); /* failed */
    IMP_ASSERT_INT_EQ(r->n_host_name, 2);
    IMP_ASSERT_INT_EQ(strcmp(r->host_name[r->host[0]], "node-a"), 0);
    IMP_ASSERT_INT_EQ(strcmp(r->host_name[r->host[31]], "node-b"), 0);
    IMP_ASSERT_INT_EQ(r->host[cell_of(&a, 0, 0, 1, 1, 0, 1)], r->host[0]);
    IMP_ASSERT_INT_EQ(r->rank[31], 3);
    IMP_ASSERT_INT_EQ(r->rank[cell_of(&a, 0, 0, 1, 0, 0, 0)], -1); /* pending */
    CU_ASSERT(r->finished[31] == 1796567891.75);
    CU_ASSERT(isnan(r->finished[cell_of(&a, 1, 0, 0, 0, 1, 1)])); /* never stamped */
    IMP_ASSERT_INT_EQ(strcmp(r->message[cell_of(&a, 0, 0, 1, 1, 0, 1)],
                             "kmeans: empty cluster, cannot proceed"), 0);
    IMP_ASSERT_INT_EQ(r->axes.shot[0] == -1, 1);
    IMP_ASSERT_INT_EQ(r->axes.seed[1], 123987);

    /* a second write keeps created */
    char created[32];
    snprintf(created, sizeof created, "%s", c->created);
    free(c->created);
    c->created = strdup("2001-02-03T04:05:06Z");
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    imp_cube_free(r);
    IMP_ASSERT_INT_EQ(imp_cube_read(p, &r, &err), 0);
    IMP_ASSERT_INT_EQ(strcmp(r->created, "2001-02-03T04:05:06Z"), 0);
    imp_cube_free(r);
    imp_cube_free(c);
}

/* No result yet: every cell pending or n/a, an empty failure list. */
static void test_fresh_cube(void)
{
    imp_axes a = demo_axes();
    uint8_t *valid = demo_valid(&a);
    imp_cube *c, *r;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, valid, &c, &err), 0);
    free(valid);
    const char *p = imp_test_path("fresh.h5");
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    IMP_ASSERT_INT_EQ(imp_cube_read(p, &r, &err), 0);
    assert_cubes_equal(c, r);
    size_t n[IMP_CELL__NSTATUS];
    imp_cube_count(r, n);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_PENDING], 24);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_NA], 8);
    IMP_ASSERT_INT_EQ(strcmp(r->job, ""), 0);
    IMP_ASSERT_INT_EQ(r->grid_hash, 0);
    for (uint64_t i = 0; i < r->n_cells; i++) {
        CU_ASSERT(isnan(r->accuracy[i]) && isnan(r->inf_seconds[i]));
        IMP_ASSERT_INT_EQ(r->n_proxies[i], -1);
    }
    imp_cube_free(r);
    imp_cube_free(c);
}

static void test_dimension_scales(void)
{
    imp_cube *c = demo_cube();
    const char *p = imp_test_path("dims.h5");
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    imp_cube_free(c);

    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    const char *axes[IMP_AX__COUNT] = {"model", "task", "strategy", "k", "shot", "seed"};
    hid_t sc[IMP_AX__COUNT];
    for (int i = 0; i < IMP_AX__COUNT; i++) {
        sc[i] = H5Dopen2(f, axes[i], H5P_DEFAULT);
        IMP_ASSERT_INT_EQ(H5DSis_scale(sc[i]), 1);
        char name[32] = "";
        H5DSget_scale_name(sc[i], name, sizeof name);
        IMP_ASSERT_INT_EQ(strcmp(name, axes[i]), 0);
    }
    const char *arrays[] = {"accuracy", "status", "gen_seconds", "inf_seconds", "n_proxies"};
    for (int a = 0; a < 5; a++) {
        hid_t d = H5Dopen2(f, arrays[a], H5P_DEFAULT);
        CU_ASSERT_FATAL(d >= 0);
        for (int i = 0; i < IMP_AX__COUNT; i++) {
            IMP_ASSERT_INT_EQ(H5DSget_num_scales(d, (unsigned)i), 1);
            IMP_ASSERT_INT_EQ(H5DSis_attached(d, sc[i], (unsigned)i), 1);
            int other = (i + 1) % IMP_AX__COUNT;
            IMP_ASSERT_INT_EQ(H5DSis_attached(d, sc[other], (unsigned)i), 0);
            char label[32] = "";
            H5DSget_label(d, (unsigned)i, label, sizeof label);
            IMP_ASSERT_INT_EQ(strcmp(label, axes[i]), 0);
        }
        H5Dclose(d);
    }
    /* the failure list hangs on its own scale */
    hid_t fc = H5Dopen2(f, "failure_cell", H5P_DEFAULT);
    hid_t fm = H5Dopen2(f, "failure_message", H5P_DEFAULT);
    IMP_ASSERT_INT_EQ(H5DSis_attached(fm, fc, 0), 1);
    hid_t s = H5Dget_space(fc);
    IMP_ASSERT_INT_EQ(H5Sget_simple_extent_npoints(s), 2);
    H5Sclose(s);
    H5Dclose(fc);
    H5Dclose(fm);
    for (int i = 0; i < IMP_AX__COUNT; i++)
        H5Dclose(sc[i]);
    /* root attribute grid_hash as uint64 */
    hid_t at = H5Aopen(f, "grid_hash", H5P_DEFAULT);
    unsigned long long gh = 0;
    H5Aread(at, H5T_NATIVE_ULLONG, &gh);
    H5Aclose(at);
    IMP_ASSERT_INT_EQ(gh == HASH, 1);
    H5Fclose(f);
}

static void test_atomic_replace(void)
{
    const char *p = imp_test_path("atomic.h5");
    const char *tmp = imp_test_path("atomic.h5.tmp");
    imp_cube *c = demo_cube();
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    IMP_ASSERT_INT_EQ(access(tmp, F_OK), -1);

    /* A reader holding the old cube keeps reading it whole while the new one replaces it. */
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    imp_cell_result r = res(1, IMP_CELL_DONE, 42.0f, 1.0f, 1.0f, 5, "");
    IMP_ASSERT_INT_EQ(imp_cube_apply(c, &r, &err), 0);
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    IMP_ASSERT_INT_EQ(access(tmp, F_OK), -1);
    float acc[32];
    hid_t d = H5Dopen2(f, "accuracy", H5P_DEFAULT);
    IMP_ASSERT_INT_EQ(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, acc) >= 0, 1);
    H5Dclose(d);
    H5Fclose(f);
    CU_ASSERT(isnan(acc[1]));
    CU_ASSERT(acc[0] == 80.5f);
    imp_cube *back;
    IMP_ASSERT_INT_EQ(imp_cube_read(p, &back, &err), 0);
    CU_ASSERT(back->accuracy[1] == 42.0f);
    imp_cube_free(back);

    /* A write that fails leaves the old cube as it was. */
    IMP_ASSERT_INT_EQ(mkdir(tmp, 0755), 0);
    r = res(2, IMP_CELL_DONE, 43.0f, 1.0f, 1.0f, 5, "");
    IMP_ASSERT_INT_EQ(imp_cube_apply(c, &r, &err), 0);
    int rc = imp_cube_write(c, p, &err);
    CU_ASSERT(rc < 0);
    IMP_ASSERT_STR_CONTAINS(err.msg, "atomic.h5.tmp");
    rmdir(tmp);
    IMP_ASSERT_INT_EQ(imp_cube_read(p, &back, &err), 0);
    CU_ASSERT(back->accuracy[1] == 42.0f);
    CU_ASSERT(isnan(back->accuracy[2]));
    imp_cube_free(back);
    /* and a stale .tmp from a killed writer is replaced */
    IMP_ASSERT_INT_EQ(imp_test_write_file(tmp, "junk", 4), 0);
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    IMP_ASSERT_INT_EQ(access(tmp, F_OK), -1);
    imp_cube_free(c);
}

static void test_damaged_files(void)
{
    imp_cube *c = demo_cube();
    const char *p = imp_test_path("good.h5");
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    imp_cube_free(c);
    FILE *in = fopen(p, "rb");
    CU_ASSERT_FATAL(in != NULL);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *buf = malloc((size_t)size);
    IMP_ASSERT_INT_EQ(fread(buf, 1, (size_t)size, in), size);
    fclose(in);

    const char *q = imp_test_path("cut.h5");
    long cuts[] = {size / 2, 0, 7, 100, 1000, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        IMP_ASSERT_INT_EQ(imp_test_write_file(q, buf, (size_t)cuts[i]), 0);
        imp_cube *r = NULL;
        imp_err_clear(&err);
        IMP_ASSERT_INT_EQ(imp_cube_read(q, &r, &err), IMP_EINPUT);
        CU_ASSERT(r == NULL);
        IMP_ASSERT_STR_CONTAINS(err.msg, "cut.h5");
        IMP_ASSERT_STR_CONTAINS(err.msg, "not an HDF5 file, or truncated or corrupt");
    }
    free(buf);

    /* not HDF5 at all */
    IMP_ASSERT_INT_EQ(imp_test_write_file(q, "model,task\n", 11), 0);
    imp_cube *r = NULL;
    IMP_ASSERT_INT_EQ(imp_cube_read(q, &r, &err), IMP_EINPUT);
    /* HDF5, but an embedding store, not a cube */
    hid_t f = H5Fcreate(q, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dim = 3;
    hid_t s = H5Screate_simple(1, &dim, NULL);
    hid_t g = H5Gcreate2(f, "pixels", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t d = H5Dcreate2(g, "y", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Gclose(g);
    H5Sclose(s);
    H5Fclose(f);
    IMP_ASSERT_INT_EQ(imp_cube_read(q, &r, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "not an imprint result cube");
    /* missing */
    IMP_ASSERT_INT_EQ(imp_cube_read(imp_test_path("none.h5"), &r, &err), IMP_ENOTFOUND);
}

static void test_from_journal(void)
{
    imp_axes a = demo_axes();
    uint8_t *valid = demo_valid(&a);
    const char *jp = imp_test_path("cube.h5.journal");
    imp_journal *j;
    imp_err err;
    imp_err_clear(&err);
    imp_journal_id id = {HASH, 0, 0, 0};
    IMP_ASSERT_INT_EQ(imp_journal_open(jp, &id, imp_test_cell_key, NULL, 1, &j, NULL, &err), 0);
    imp_cell_result recs[] = {
        /* cells 8 and 9: kmeans at k = 1, valid; cell 4: mean at k = 20, n/a */
        res(8, IMP_CELL_FAILED, NAN, 1.0f, 0.0f, 0, "singular system"),
        res(0, IMP_CELL_DONE, 80.5f, 0.001f, 0.25f, 10, ""),
        res(8, IMP_CELL_DONE, 66.25f, 1.5f, 0.75f, 20, ""), /* retried */
        res(9, IMP_CELL_FAILED, NAN, 1.0f, 0.0f, 0, "empty cluster"),
        res(4, IMP_CELL_DONE, 1.0f, 1.0f, 1.0f, 1, ""), /* no cell of this grid has its key */
    };
    for (size_t i = 0; i < 5; i++)
        IMP_ASSERT_INT_EQ(imp_journal_append(j, &recs[i], &err), 0);
    IMP_ASSERT_INT_EQ(imp_journal_close(j, &err), 0);

    imp_cube *c;
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, valid, &c, &err), 0);
    imp_test_cube_keys(c);
    imp_journal_info info;
    IMP_ASSERT_INT_EQ(imp_cube_apply_journal(c, jp, &info, &err), 0);
    IMP_ASSERT_INT_EQ(info.n_records, 5);
    IMP_ASSERT_INT_EQ(info.n_unmatched, 1); /* cell 4's record: kept in the journal, not applied */
    size_t n[IMP_CELL__NSTATUS];
    imp_cube_count(c, n);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_DONE], 2);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_FAILED], 1);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_NA], 8);
    IMP_ASSERT_INT_EQ(n[IMP_CELL_PENDING], 21);
    CU_ASSERT(c->accuracy[8] == 66.25f);
    IMP_ASSERT_INT_EQ(c->n_proxies[8], 20);
    CU_ASSERT(c->message[8] == NULL);
    IMP_ASSERT_INT_EQ(strcmp(c->message[9], "empty cluster"), 0);

    /* the keys travel with the cube file: read back, a journal applies the same way */
    const char *p = imp_test_path("keyed.h5");
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    imp_cube *c2 = NULL, *c3;
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, valid, &c3, &err), 0);
    imp_test_cube_keys(c3);
    IMP_ASSERT_INT_EQ(imp_cube_write(c3, p, &err), 0);
    IMP_ASSERT_INT_EQ(imp_cube_read(p, &c2, &err), 0);
    IMP_ASSERT_INT_EQ(c2->key[8] == c->key[8] && c2->key[4] == 0, 1);
    IMP_ASSERT_INT_EQ(imp_cube_apply_journal(c2, jp, &info, &err), 0);
    assert_cubes_equal(c, c2);
    imp_cube_free(c2);
    imp_cube_free(c3);

    /* a cube without keys (written by imprint 0.1) cannot place by-value records */
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, valid, &c2, &err), 0);
    IMP_ASSERT_INT_EQ(imp_cube_apply_journal(c2, jp, &info, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "no cell keys");
    imp_cube_free(c2);
    imp_cube_free(c);
    free(valid);
}

/* A 4-cell cube whose CSV is written out by hand below. */
static imp_cube *tiny_cube(void)
{
    static char *m[] = {"m,1"};
    static char *t[] = {"t"};
    static char *s[] = {"none/mean/none/none/max", "none/kmeans/none/none/max"};
    static int64_t k[] = {1}, sh[] = {-1, 5}, se[] = {7};
    imp_axes a = {.n_model = 1, .model = m, .n_task = 1, .task = t, .n_strategy = 2,
                       .strategy = s, .n_k = 1, .k = k, .n_shot = 2, .shot = sh, .n_seed = 1,
                       .seed = se};
    const uint8_t valid[4] = {1, 1, 1, 0};
    imp_cube *c;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_create(&a, valid, &c, &err), 0);
    imp_cell_result r0 = res(0, IMP_CELL_DONE, 87.5f, 100.0f / 3.0f, 0.125f, 10, "");
    imp_cell_result r1 = res(1, IMP_CELL_FAILED, NAN, 0.5f, NAN, -1, "singular \"system\", k=1");
    r0.f1 = 80.5f, r0.rank = 3, r0.finished = 1796567890.25;
    snprintf(r0.host, sizeof r0.host, "node,1");
    r1.rank = 0;
    snprintf(r1.host, sizeof r1.host, "node2");
    IMP_ASSERT_INT_EQ(imp_cube_apply(c, &r0, &err), 0);
    IMP_ASSERT_INT_EQ(imp_cube_apply(c, &r1, &err), 0);
    return c;
}

static char *read_text(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    rewind(f);
    char *b = calloc((size_t)n + 1, 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n)
        b[0] = '\0';
    return b;
}

static void test_csv(void)
{
    imp_cube *c = tiny_cube();
    FILE *f = tmpfile();
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_export_csv(c, f, &err), 0);
    char *got = read_text(f);
    fclose(f);
    /* 100/3 as float32 is 33.333332061...; its neighbours are 3.8e-6 away, so 33.3333 and
     * 33.33333 read back as other floats and 8 digits are needed (checked with numpy:
     * np.float32('33.33333') != np.float32(100)/np.float32(3), '33.333332' ==). */
    const char *want =
        "model,task,strategy,k,shot,seed,status,accuracy,gen_seconds,inf_seconds,n_proxies,"
        "f1,host,rank,finished,message\n"
        "\"m,1\",t,none/mean/none/none/max,1,all,7,done,87.5,33.333332,0.125,10,80.5,\"node,1\",3,"
        "1796567890.250,\n"
        "\"m,1\",t,none/mean/none/none/max,1,5,7,failed,,0.5,,,,node2,0,,"
        "\"singular \"\"system\"\", k=1\"\n"
        "\"m,1\",t,none/kmeans/none/none/max,1,all,7,pending,,,,,,,,,\n"
        "\"m,1\",t,none/kmeans/none/none/max,1,5,7,n-a,,,,,,,,,\n";
    IMP_ASSERT_INT_EQ(strcmp(got, want), 0);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "CSV was:\n%s\nexpected:\n%s\n", got, want);
    free(got);
    imp_cube_free(c);
}

/* status --by host, worked out from demo_cube: node-a has cell 0 (done, rank 0, inference
 * 0.25 s, finished at t) and a failure (rank 1, 0 s, at t + 4): 2 cells over 4 s; node-b one
 * cell (rank 3, 0.5 s); two results without provenance (one done with 1 s, one failed with
 * NaN seconds) make the (unknown) row. */
static void test_by_host(void)
{
    imp_cube *c = demo_cube();
    FILE *f = tmpfile();
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_print_by_host(c, f, &err), 0);
    char *got = read_text(f);
    fclose(f);
    IMP_ASSERT_STR_CONTAINS(got,
        "  host           done   failed  ranks     span s   cells/s  inference s\n"
        "  node-a            1        1      2        4.0      0.50         0.25\n"
        "  node-b            1        0      1        0.0         -         0.50\n"
        "  (unknown)         1        1      0          -         -         1.00\n");
    free(got);
    imp_cube_free(c);
}

static void test_status_text(void)
{
    imp_cube *c = tiny_cube();
    FILE *f = tmpfile();
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_print_status(c, f, 10, &err), 0);
    char *got = read_text(f);
    fclose(f);
    IMP_ASSERT_STR_CONTAINS(got, "cells: 4 (valid 3): done 1, pending 1, failed 1, n-a 1\n");
    IMP_ASSERT_STR_CONTAINS(got, "complete: 33.3%\n");
    IMP_ASSERT_STR_CONTAINS(got, "strategy:\n  none/mean/none/none/max    done 1, pending 0, "
                                 "failed 1, n-a 0\n  none/kmeans/none/none/max  done 0, "
                                 "pending 1, failed 0, n-a 1\n");
    IMP_ASSERT_STR_CONTAINS(got, "shot:\n  all  done 1, pending 1, failed 0, n-a 0\n"
                                 "  5    done 0, pending 0, failed 1, n-a 1\n");
    IMP_ASSERT_STR_CONTAINS(got, "failures (1):\n  model=m,1 task=t strategy=none/mean/none/"
                                 "none/max k=1 shot=5 seed=7: singular \"system\", k=1\n");
    free(got);
    /* only the first N failures */
    f = tmpfile();
    IMP_ASSERT_INT_EQ(imp_cube_print_status(c, f, 0, &err), 0);
    got = read_text(f);
    fclose(f);
    IMP_ASSERT_STR_CONTAINS(got, "failures (1, first 0 shown):\n");
    free(got);
    imp_cube_free(c);
}

/* h5py (Debian's python3-h5py) must see named dimensions; the suite reports SKIP where it is
 * missing. */
static void test_h5py_view(void)
{
    if (!imp_test_have_python("h5py")) {
        imp_test_skip("/usr/bin/python3 with h5py not found (apt-get install python3-h5py)");
        return;
    }
    imp_cube *c = demo_cube();
    const char *p = imp_test_path("py.h5");
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_cube_write(c, p, &err), 0);
    imp_cube_free(c);
    const char *py = imp_test_path("check.py");
    const char *script =
        "import sys, math, h5py\n"
        "f = h5py.File(sys.argv[1], 'r')\n"
        "axes = ['model', 'task', 'strategy', 'k', 'shot', 'seed']\n"
        "for a in ['accuracy', 'status', 'gen_seconds', 'inf_seconds', 'n_proxies', 'f1', 'host',\n"
        "          'rank', 'finished']:\n"
        "    d = f[a]\n"
        "    assert d.shape == (2, 1, 2, 2, 2, 2), d.shape\n"
        "    for i, ax in enumerate(axes):\n"
        "        assert d.dims[i].label == ax, (a, i, d.dims[i].label)\n"
        "        assert len(d.dims[i]) == 1\n"
        "        assert d.dims[i][0].name == '/' + ax, d.dims[i][0].name\n"
        "assert [s.decode() for s in f['model'][()]] == ['pixels', 'randfeat512']\n"
        "assert list(f['shot'][()]) == [-1, 10]\n"
        "assert f['accuracy'].dims[0][0][1].decode() == 'randfeat512'\n"
        "acc = f['accuracy'][()]\n"
        "assert abs(acc[1, 0, 1, 1, 1, 1] - 91.2345) < 1e-4\n"
        "assert math.isnan(acc[0, 0, 1, 0, 0, 0])\n"
        "assert f['status'][0, 0, 0, 1, 0, 0] == 3\n"
        "assert f['n_proxies'].fillvalue == -1\n"
        "assert f['status'].attrs['flag_meanings'] == 'pending done failed n-a'\n"
        "assert list(f['status'].attrs['flag_values']) == [0, 1, 2, 3]\n"
        "hosts = [h.decode() for h in f['host_name'][()]]\n"
        "assert hosts[f['host'][0, 0, 0, 0, 0, 0]] == 'node-a', hosts\n"
        "assert hosts[f['host'][1, 0, 1, 1, 1, 1]] == 'node-b', hosts\n"
        "assert f['rank'][1, 0, 1, 1, 1, 1] == 3\n"
        "assert f['finished'][1, 0, 1, 1, 1, 1] == 1796567891.75\n"
        "assert f['finished'].attrs['units'] == 'seconds since 1970-01-01 00:00:00'\n"
        "assert abs(f['f1'][0, 0, 0, 0, 0, 0] - 79.25) < 1e-6\n"
        "assert f.attrs['grid_hash'] == 0xfeedbeefcafe1234\n"
        "assert f.attrs['store'] == 'data/store.h5'\n"
        "assert f.attrs['job'].startswith('models:')\n"
        "assert f['failure_message'].dims[0][0].name == '/failure_cell'\n"
        "assert [m.decode() for m in f['failure_message'][()]] == "
        "['kmeans: empty cluster, cannot proceed', 'non-finite scores']\n"
        "print('h5py-ok')\n";
    IMP_ASSERT_INT_EQ(imp_test_write_file(py, script, strlen(script)), 0);
    char *out = NULL;
    int rc = imp_test_sh(&out, "/usr/bin/python3 '%s' '%s' 2>&1", py, p);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "h5py-ok");
    free(out);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    static const imp_test tests[] = {
        {"indexing", test_indexing},
        {"apply_and_counts", test_apply_and_counts},
        {"write_read", test_write_read},
        {"fresh_cube", test_fresh_cube},
        {"dimension_scales", test_dimension_scales},
        {"atomic_replace", test_atomic_replace},
        {"damaged_files", test_damaged_files},
        {"from_journal", test_from_journal},
        {"csv", test_csv},
        {"status_text", test_status_text},
        {"h5py_view", test_h5py_view},
        {"by_host", test_by_host},
        {NULL, NULL},
    };
    return imp_test_main("cube", tests);
}
