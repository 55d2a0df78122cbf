/* test_embed.c — jobs/embed.py with Debian's torch on the CPU: resnet18 (--weights NONE) on the
 * first 200 Fashion-MNIST images of each split, stopped after one split and resumed, gives the
 * store an uninterrupted run gives (bit for bit), with the idx files' labels in file order,
 * d = 512, and a store `imprint store` and `imprint eval` read; bad names and a dimension
 * clash exit 2. Skipped (exit 77) where no python3 has torch, torchvision, h5py and tqdm. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imprint/cube.h"
#include "imprint/idx.h"
#include "imprint/ingest.h"
#include "imprint/store.h"
#include "testutil.h"

enum { N_ROWS = 200, DIM = 512 };

static const char *g_python; /* a python3 with everything embed.py needs */

/* python3 jobs/embed.py ARGS, run in the test's directory */
static int embed(char **out, const char *args)
{
    return imp_test_sh(out, "cd '%s' && %s '%s/jobs/embed.py' %s", imp_test_tmpdir(), g_python,
                       IMP_SOURCE_DIR, args);
}

#define EMBED_ARGS "--model resnet18 --dataset fmnist --weights NONE --device cpu --workers 0 " \
                   "--batch-size 50 --limit 200"

static int has_object(const char *file, const char *name)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    int r = H5LTpath_valid(f, name, 1) > 0;
    H5Fclose(f);
    return r;
}

static void test_stop_and_resume(void)
{
    const char *store = imp_test_path("s.h5");
    char *out = NULL;
    /* the test split first (the reference's order), then the hook stops it as a signal would */
    int rc = embed(&out, "--store s.h5 " EMBED_ARGS " --stop-after-split 1");
    imp__assert_msg(rc == 75, __LINE__, __FILE__, "first run: exit %d (expected 75)\n%s", rc, out);
    free(out);
    IMP_ASSERT_INT_EQ(has_object(store, "/resnet18/fmnist/test/X"), 1);
    IMP_ASSERT_INT_EQ(has_object(store, "/resnet18/fmnist/train"), 0);
    IMP_ASSERT_INT_EQ(has_object(store, "/resnet18/fmnist/train.partial"), 0);
    /* the rerun resumes at the first missing split */
    rc = embed(&out, "--store s.h5 " EMBED_ARGS);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "resumed run: exit %d\n%s", rc, out);
    IMP_ASSERT_STR_CONTAINS(out, "resnet18/fmnist/test already in s.h5: skipped");
    IMP_ASSERT_STR_CONTAINS(out, "resnet18/fmnist/train: 200 x 512");
    free(out);
    CU_ASSERT(access(imp_test_path("s.h5.resnet18.fmnist.train.partial.h5"), F_OK) != 0);

    /* the store as imprint reads it */
    imp_store *s = NULL;
    imp_err err;
    rc = imp_store_open(store, &s, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "open %s: %s", store, rc ? err.msg : "");
    if (s) {
        imp_store_entry e;
        rc = imp_store_describe(s, "resnet18", "fmnist", &e, &err);
        imp__assert_msg(rc == 0, __LINE__, __FILE__, "describe: %s", rc ? err.msg : "");
        IMP_ASSERT_INT_EQ(e.n_train, N_ROWS);
        IMP_ASSERT_INT_EQ(e.n_test, N_ROWS);
        IMP_ASSERT_INT_EQ(e.d, DIM);
        IMP_ASSERT_NEAR(imp_store_lambda(s, "resnet18"), 1e-4, 1e-12); /* the reference's λ */
        imp_store_close(s);
    }
    rc = imp_test_tool(&out, "store %s", store);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "resnet18         fmnist       train        200    512");
    free(out);

    /* --limit takes the first rows of each split: the labels are the idx files' first 200 */
    char paths[4][4096];
    CU_ASSERT_FATAL(imp_find_fashion_mnist(NULL, paths, &err) == 0);
    for (int split = 0; split < 2; split++) {
        imp_idx lab;
        CU_ASSERT_FATAL(imp_idx_read(paths[split ? 3 : 1], 1, &lab, &err) == 0);
        hsize_t dims[2];
        int32_t *y = imp_test_h5_read(store, split ? "/resnet18/fmnist/test/y" : "/resnet18/fmnist/train/y",
                             0, dims);
        CU_ASSERT_FATAL(y != NULL);
        IMP_ASSERT_INT_EQ(dims[0], N_ROWS);
        int same = 1;
        for (int i = 0; i < N_ROWS; i++)
            same &= y[i] == (int32_t)lab.data[i];
        imp__assert_msg(same, __LINE__, __FILE__, "%s labels differ from the idx file's first 200",
                        split ? "test" : "train");
        free(y);
        imp_idx_free(&lab);
    }

    /* an uninterrupted run writes the same bits */
    rc = embed(&out, "--store s2.h5 " EMBED_ARGS);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "second store: exit %d\n%s", rc, out);
    free(out);
    static const char *const xs[] = {"/resnet18/fmnist/train/X", "/resnet18/fmnist/test/X"};
    for (int i = 0; i < 2; i++) {
        hsize_t d1[2], d2[2];
        float *a = imp_test_h5_read(store, xs[i], 1, d1), *b = imp_test_h5_read(imp_test_path("s2.h5"), xs[i], 1, d2);
        CU_ASSERT_FATAL(a && b);
        IMP_ASSERT_INT_EQ(d1[0], N_ROWS);
        IMP_ASSERT_INT_EQ(d1[1], DIM);
        IMP_ASSERT_INT_EQ(d2[1], DIM);
        imp__assert_msg(memcmp(a, b, sizeof(float) * N_ROWS * DIM) == 0, __LINE__, __FILE__,
                        "%s of the resumed store differs from an uninterrupted run's", xs[i]);
        /* ResNet features come after a ReLU and an average pool: non-negative, not all zero */
        int neg = 0, nonzero = 0;
        for (size_t j = 0; j < (size_t)N_ROWS * DIM; j++) {
            neg += a[j] < 0;
            nonzero += a[j] != 0;
        }
        IMP_ASSERT_INT_EQ(neg, 0);
        CU_ASSERT(nonzero > N_ROWS);
        free(a);
        free(b);
    }

    /* a cell runs on it: every one of the 200 test rows is classified */
    rc = imp_test_tool(&out, "eval --store %s --model resnet18 --dataset fmnist --task all10 "
                             "--strategy l2/mean/l2/l2/max --json", store);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "\"total\":200,");
    IMP_ASSERT_STR_CONTAINS(out, "\"n_proxies\":10,");
    const char *acc = out ? strstr(out, "\"accuracy\":") : NULL;
    double eval_acc = acc ? atof(acc + strlen("\"accuracy\":")) : -1; /* cJSON: no spaces */
    free(out);

    /* and a sweep over it records the same accuracy in its cube */
    static const char job[] = "store: s.h5\ncube: s-cube.h5\nmodels: [resnet18]\n"
                              "tasks:\n  - {name: all10, dataset: fmnist, classes: all}\n"
                              "strategies: [l2/mean/l2/l2/max, none/mean/none/none/nn:euclidean]\n"
                              "ks: [1]\nseeds: [1]\n";
    CU_ASSERT_FATAL(imp_test_write_file(imp_test_path("s.yaml"), job, strlen(job)) == 0);
    rc = imp_test_sweep(&out, imp_test_path("s.yaml"));
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "sweep: exit %d\n%s", rc, out);
    free(out);
    imp_cube *c = NULL;
    rc = imp_cube_read(imp_test_path("s-cube.h5"), &c, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "cube: %s", rc ? err.msg : "");
    if (c) {
        size_t counts[IMP_CELL__NSTATUS];
        imp_cube_count(c, counts);
        IMP_ASSERT_INT_EQ(counts[IMP_CELL_DONE], 2);
        IMP_ASSERT_NEAR(c->accuracy[0], eval_acc, 1e-4); /* cell 0: l2/mean/l2/l2/max */
        imp_cube_free(c);
    }
}

static void test_bad_names(void)
{
    char *out = NULL;
    int rc = embed(&out, "--store bad.h5 --model resnet19 --dataset fmnist --weights NONE");
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "unknown model 'resnet19'; valid: ");
    IMP_ASSERT_STR_CONTAINS(out, "resnet18, resnet34, resnet50");
    free(out);
    rc = embed(&out, "--store bad.h5 --model resnet18 --dataset fminst --weights NONE");
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "unknown dataset 'fminst'; valid: mnist, fmnist, cifar10");
    free(out);
    CU_ASSERT(access(imp_test_path("bad.h5"), F_OK) != 0);
}

/* a store whose resnet18 already has 8-d embeddings: refused before anything is computed */
static void test_dim_clash(void)
{
    char *out = NULL;
    const char *store = imp_test_path("clash.h5");
    int rc = imp_test_sh(&out, "%s -c \"import h5py, numpy as np; f = h5py.File('%s', 'w'); "
                               "f['/resnet18/blobs/train/X'] = np.zeros((4, 8), 'f4'); "
                               "f['/resnet18/blobs/train/y'] = np.arange(4, dtype='i4')\"",
                         g_python, store);
    IMP_ASSERT_INT_EQ(rc, 0);
    free(out);
    rc = embed(&out, "--store clash.h5 " EMBED_ARGS);
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "/resnet18/blobs/train/X has d = 8, but resnet18 embeds fmnist "
                                 "with d = 512");
    free(out);
    IMP_ASSERT_INT_EQ(has_object(store, "/resnet18/fmnist"), 0);
}

/* slurm/embed.sbatch runs embed.py with its arguments plus --workers $SLURM_CPUS_PER_TASK */
static void test_sbatch(void)
{
    char *out = NULL;
    int rc = imp_test_sh(&out, "cd '%s' && SLURM_CPUS_PER_TASK=3 IMPRINT_EMBED='%s/jobs/embed.py' "
                               "PYTHON=%s bash '%s/slurm/embed.sbatch' --store sb.h5 --model "
                               "resnet19 --dataset fmnist",
                         imp_test_tmpdir(), IMP_SOURCE_DIR, g_python, IMP_SOURCE_DIR);
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "--dataset fmnist --workers 3");
    IMP_ASSERT_STR_CONTAINS(out, "unknown model 'resnet19'");
    IMP_ASSERT_STR_CONTAINS(out, "failed (exit 2)");
    free(out);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    g_python = imp_test_find_python("torch torchvision h5py tqdm");
    if (!g_python) {
        printf("test_embed: skipped (no python3 with torch, torchvision, h5py and tqdm; Debian: "
               "apt-get install python3-torch python3-torchvision python3-h5py python3-tqdm)\n");
        return 77;
    }
    static const imp_test tests[] = {
        {"resnet18 on 200+200 Fashion-MNIST images: stop after a split, resume, same bits",
         test_stop_and_resume},
        {"unknown model or dataset: exit 2 with the valid names", test_bad_names},
        {"an existing entry with another d: exit 2 naming both", test_dim_clash},
        {"slurm/embed.sbatch passes its arguments and --workers", test_sbatch},
        {NULL, NULL},
    };
    return imp_test_main("embed", tests);
}
