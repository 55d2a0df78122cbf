/* test_backbone.c — jobs/train_backbone.py with Debian's torch on the CPU: trained twice on a
 * small subset (3000 seen-class rows, one epoch) under two store names it gives the same weights
 * hash and embeddings, another seed another hash; the hash is the weights file's sha256; the small
 * model learns its seen classes and collapses them more than the unseen ones; the digits are
 * split even/odd as documented; a rerun reuses the weights; a store holding other weights of
 * the model and missing data exit 2. Skipped (exit 77) where no python3 has torch, h5py, sklearn. */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/idx.h"
#include "imprint/ingest.h"
#include "imprint/store.h"
#include "testutil.h"

enum { N_ROWS = 1000, DIM = 64, DIGITS_TRAIN = 899, DIGITS_TEST = 898 };

#define TRAIN_ARGS "--train-limit 3000 --epochs 1 --limit 1000"

static const char *g_python; /* a python3 with everything train_backbone.py needs */

/* two strings equal, both printed when not */
#define ASSERT_STR_EQ(a, b)                                                                  \
    imp__assert_msg(strcmp((a), (b)) == 0, __LINE__, __FILE__, "%s == %s (\"%s\" vs \"%s\")", \
                    #a, #b, (a), (b))

/* python3 jobs/train_backbone.py ARGS, run in DIR under the test's directory */
static int train(char **out, const char *dir, const char *args)
{
    return imp_test_sh(out, "mkdir -p '%s/%s' && cd '%s/%s' && %s '%s/jobs/train_backbone.py' %s",
                       imp_test_tmpdir(), dir, imp_test_tmpdir(), dir, g_python, IMP_SOURCE_DIR,
                       args);
}

/* The first word of a file (the hash of a `sha256sum` line), or "" */
static void first_word(const char *path, char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f) {
        char fmt[16];
        snprintf(fmt, sizeof fmt, "%%%zus", n - 1);
        if (fscanf(f, fmt, buf) != 1)
            buf[0] = '\0';
        fclose(f);
    }
}

/* The value after "key": in a JSON text (cJSON writes no spaces), NAN if absent */
static double json_num(const char *text, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = text ? strstr(text, k) : NULL;
    return p ? strtod(p + strlen(k), NULL) : NAN;
}

static void test_deterministic(void)
{
    char *out = NULL, ha[128], hb[128], hc[128], hs[128];
    int rc = train(&out, "a", "--store s.h5 " TRAIN_ARGS);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "first run: exit %d\n%s", rc, out);
    free(out);
    rc = train(&out, "b", "--store other.h5 " TRAIN_ARGS);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "second run: exit %d\n%s", rc, out);
    free(out);
    rc = train(&out, "c", "--store s.h5 --seed 2 " TRAIN_ARGS);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "other seed: exit %d\n%s", rc, out);
    free(out);
    char path[4096];
    snprintf(path, sizeof path, "%s/a/s.h5.cnn04.pt.sha256", imp_test_tmpdir());
    first_word(path, ha, sizeof ha);
    snprintf(path, sizeof path, "%s/b/other.h5.cnn04.pt.sha256", imp_test_tmpdir());
    first_word(path, hb, sizeof hb);
    snprintf(path, sizeof path, "%s/c/s.h5.cnn04.pt.sha256", imp_test_tmpdir());
    first_word(path, hc, sizeof hc);
    IMP_ASSERT_INT_EQ(strlen(ha), 64);
    /* same seed, another store name and process: the same weights, bit for bit */
    ASSERT_STR_EQ(ha, hb);
    /* the hash follows the training: another seed gives other weights */
    CU_ASSERT(strcmp(ha, hc) != 0);
    /* the recorded hash is the weights file's sha256, as coreutils computes it */
    rc = imp_test_sh(&out, "sha256sum '%s/a/s.h5.cnn04.pt'", imp_test_tmpdir());
    IMP_ASSERT_INT_EQ(rc, 0);
    hs[0] = '\0';
    if (out)
        sscanf(out, "%127s", hs);
    free(out);
    ASSERT_STR_EQ(hs, ha);

    /* the small model learns its 5 seen classes (chance 20 %); its record says so */
    rc = imp_test_sh(&out, "cat '%s/a/s.h5.cnn04.json' | tr -d ' \\n'", imp_test_tmpdir());
    IMP_ASSERT_INT_EQ(rc, 0);
    double acc = json_num(out, "seen_accuracy");
    imp__assert_msg(acc >= 60 && acc <= 100, __LINE__, __FILE__,
                    "seen-class test accuracy %.2f %% (expected >= 60 %%)", acc);
    IMP_ASSERT_NEAR(json_num(out, "train_rows"), 3000, 0);
    free(out);

    /* the two stores hold the same embeddings; features follow a ReLU: >= 0, not all zero */
    char sa[4096], sb[4096];
    snprintf(sa, sizeof sa, "%s/a/s.h5", imp_test_tmpdir());
    snprintf(sb, sizeof sb, "%s/b/other.h5", imp_test_tmpdir());
    static const char *const xs[] = {"/cnn04/fmnist/train/X", "/cnn04/fmnist/test/X",
                                     "/cnn04/digits/train/X", "/cnn04/digits/test/X"};
    static const size_t rows[] = {N_ROWS, N_ROWS, DIGITS_TRAIN, DIGITS_TEST};
    for (int i = 0; i < 4; i++) {
        hsize_t d1[2], d2[2];
        float *a = imp_test_h5_read(sa, xs[i], 1, d1), *b = imp_test_h5_read(sb, xs[i], 1, d2);
        CU_ASSERT_FATAL(a && b);
        IMP_ASSERT_INT_EQ(d1[0], rows[i]);
        IMP_ASSERT_INT_EQ(d1[1], DIM);
        IMP_ASSERT_INT_EQ(d2[0], rows[i]);
        imp__assert_msg(memcmp(a, b, sizeof(float) * rows[i] * DIM) == 0, __LINE__, __FILE__,
                        "%s differs between two runs with the same seed", xs[i]);
        size_t neg = 0, nonzero = 0;
        for (size_t j = 0; j < rows[i] * DIM; j++)
            neg += a[j] < 0, nonzero += a[j] != 0;
        IMP_ASSERT_INT_EQ(neg, 0);
        CU_ASSERT(nonzero > rows[i]);
        free(a), free(b);
    }

    /* Fashion-MNIST rows in file order: the labels are the idx files' first 1000 */
    imp_err err;
    char paths[4][4096];
    CU_ASSERT_FATAL(imp_find_fashion_mnist(NULL, paths, &err) == 0);
    for (int split = 0; split < 2; split++) {
        imp_idx lab;
        CU_ASSERT_FATAL(imp_idx_read(paths[split ? 3 : 1], 1, &lab, &err) == 0);
        hsize_t dims[2];
        int32_t *y = imp_test_h5_read(sa, split ? "/cnn04/fmnist/test/y" : "/cnn04/fmnist/train/y", 0, dims);
        CU_ASSERT_FATAL(y != NULL);
        int same = 1;
        for (int i = 0; i < N_ROWS; i++)
            same &= y[i] == (int32_t)lab.data[i];
        imp__assert_msg(same, __LINE__, __FILE__, "fmnist %s labels differ from the idx file's",
                        split ? "test" : "train");
        free(y);
        imp_idx_free(&lab);
    }
    /* digits: even rows of sklearn's set train, odd rows test, as the script documents */
    rc = imp_test_sh(&out, "%s -c \"from sklearn.datasets import load_digits; "
                           "print(''.join(map(str, load_digits().target[1::2])))\"", g_python);
    IMP_ASSERT_INT_EQ(rc, 0);
    hsize_t dims[2];
    int32_t *y = imp_test_h5_read(sa, "/cnn04/digits/test/y", 0, dims);
    CU_ASSERT_FATAL(y != NULL && out != NULL && strlen(out) >= DIGITS_TEST);
    int same = 1;
    for (int i = 0; i < DIGITS_TEST; i++)
        same &= y[i] == out[i] - '0';
    imp__assert_msg(same, __LINE__, __FILE__, "digits test labels are not sklearn's odd rows");
    free(y), free(out);

    /* the store as imprint reads it, with the hash on /cnn04 */
    imp_store *s = NULL;
    rc = imp_store_open(sa, &s, &err);
    imp__assert_msg(rc == 0, __LINE__, __FILE__, "open %s: %s", sa, rc ? err.msg : "");
    if (s) {
        imp_store_entry e;
        IMP_ASSERT_INT_EQ(imp_store_describe(s, "cnn04", "digits", &e, &err), 0);
        IMP_ASSERT_INT_EQ(e.n_classes, 10);
        IMP_ASSERT_NEAR(imp_store_lambda(s, "cnn04"), 0.05, 1e-12);
        imp_store_close(s);
    }
    char attr[128] = "";
    rc = imp_test_sh(&out, "%s -c \"import h5py; print(h5py.File('%s', 'r')['cnn04'].attrs"
                           "['weights_sha256'])\"", g_python, sa);
    IMP_ASSERT_INT_EQ(rc, 0);
    if (out)
        sscanf(out, "%127s", attr);
    free(out);
    ASSERT_STR_EQ(attr, ha);

    /* the learned backbone collapses its seen classes more than the unseen ones (NC1 of the
     * reference's formula on the 1000 train rows: about 1.0 against 5.5 for this subset) */
    double nc1[2];
    for (int u = 0; u < 2; u++) {
        rc = imp_test_tool(&out, "nc1 --store '%s' --model cnn04 --dataset fmnist --classes %s "
                                 "--json", sa, u ? "5,6,7,8,9" : "0,1,2,3,4");
        IMP_ASSERT_INT_EQ(rc, 0);
        nc1[u] = json_num(out, "nc1");
        free(out);
    }
    imp__assert_msg(nc1[1] > 2 * nc1[0], __LINE__, __FILE__,
                    "NC1 seen %.3f, unseen %.3f: expected unseen > 2 x seen", nc1[0], nc1[1]);

    /* a rerun reuses the weights and every split */
    rc = train(&out, "a", "--store s.h5 " TRAIN_ARGS);
    IMP_ASSERT_INT_EQ(rc, 0);
    IMP_ASSERT_STR_CONTAINS(out, "reusing s.h5.cnn04.pt");
    IMP_ASSERT_STR_CONTAINS(out, "cnn04/digits/train already in s.h5: skipped");
    CU_ASSERT(out && !strstr(out, "epoch"));
    free(out);
    /* a store whose cnn04 came from other weights is refused, not mixed */
    rc = imp_test_sh(&out, "%s -c \"import h5py; h5py.File('%s', 'a')['cnn04'].attrs"
                           "['weights_sha256'] = '0000'\"", g_python, sa);
    IMP_ASSERT_INT_EQ(rc, 0);
    free(out);
    rc = train(&out, "a", "--store s.h5 " TRAIN_ARGS);
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "s.h5: /cnn04 was embedded with weights 0000, these are ");
    free(out);
}

static void test_missing_data(void)
{
    char *out = NULL;
    int rc = train(&out, "m", "--store m.h5 --data-dir /nonexistent " TRAIN_ARGS);
    IMP_ASSERT_INT_EQ(rc, 2);
    IMP_ASSERT_STR_CONTAINS(out, "/nonexistent/train-images-idx3-ubyte(.gz) not found");
    free(out);
    rc = imp_test_sh(&out, "test -e '%s/m/m.h5' || test -e '%s/m/m.h5.cnn04.pt'",
                     imp_test_tmpdir(), imp_test_tmpdir());
    IMP_ASSERT_INT_EQ(rc != 0, 1); /* nothing written */
    free(out);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    g_python = imp_test_find_python("torch h5py sklearn");
    if (!g_python) {
        printf("test_backbone: skipped (no python3 with torch, h5py and sklearn; Debian: apt-get "
               "install python3-torch python3-h5py python3-sklearn)\n");
        return 77;
    }
    static const imp_test tests[] = {
        {"cnn04 trained twice on 3000 rows: same hash, learns, collapses seen classes",
         test_deterministic},
        {"missing Fashion-MNIST files: exit 2 naming them", test_missing_data},
        {NULL, NULL},
    };
    return imp_test_main("backbone", tests);
}
