/* test_nc1.c — NC1 / VCI on a hand-worked example, against an independent numpy computation,
 * and on well-separated vs noisy classes. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imprint/rng.h"
#include "imprint/store.h"
#include "nc1.h"
#include "testutil.h"

/* d = 2, C = 2; class 0 = {(1,0), (0,1)}, class 1 = {(−1,0)} (unit rows, so normalising only
 * scales by s = 1/(1+ε); NC1 and VCI are scale-free, traces scale by s²).
 * μ_G = (0, 1/3); m0 = μ_0−μ_G = (1/2, 1/6), m1 = (−1, −1/3) = −2 m0, so Σ_B = 2.5 m0 m0ᵀ has
 * rank 1: λ = 2.5·(10/36) = 25/36 = tr Σ_B, v = (3,1)/√10.
 * Σ_W = ½ S_0 = [[1/8, −1/8], [−1/8, 1/8]] (class 1 has no spread), tr 1/4; vᵀΣ_W v = 1/20.
 * NC1_textbook = (1/20)/(25/36)/2 = 0.036. Code centring adds μ_G μ_Gᵀ: (v·μ_G)² = 1/90,
 * NC1 = (1/20 + 1/90)(36/25)/2 = 0.044, tr Σ_W^code = 1/4 + 1/9.
 * Σ_T = Σ_W^code + Σ_B = [[3/4, 1/12], [1/12, 11/36]], det 2/9, tr(Σ_B Σ_T⁻¹) = (5/24)/(2/9) =
 * 15/16, VCI = 1/16; Σ_W^code has det 1/72 ≠ 0 → rank 2. (numpy agrees to 1e-16.) */
static void test_hand_example(void)
{
    const float X[] = {1, 0, 0, 1, -1, 0};
    const size_t off[] = {0, 2, 3};
    imp_nc1 r;
    imp_err err;
    imp_err_clear(&err);
    imp_nc1_opts o = {.full = 1};
    IMP_ASSERT_INT_EQ(imp_nc1_compute(X, 2, 2, off, &o, &r, &err), 0);
    double s2 = 1.0 / ((1.0 + FLT_EPSILON) * (1.0 + FLT_EPSILON));
    IMP_ASSERT_REL(r.nc1, 0.044, 1e-12);
    IMP_ASSERT_REL(r.nc1_textbook, 0.036, 1e-12);
    IMP_ASSERT_REL(r.tr_sb, s2 * 25.0 / 36.0, 1e-13);
    IMP_ASSERT_REL(r.tr_sw_textbook, s2 * 0.25, 1e-13);
    IMP_ASSERT_REL(r.tr_sw, s2 * (0.25 + 1.0 / 9.0), 1e-13);
    IMP_ASSERT_INT_EQ(r.rank_sb, 1);
    IMP_ASSERT_INT_EQ(r.rank_sw, 2);
    IMP_ASSERT_REL(r.vci, 0.0625, 1e-12);
    IMP_ASSERT_INT_EQ(r.degenerate, 0);

    /* Without `full`: the same NC1, VCI left NaN. */
    IMP_ASSERT_INT_EQ(imp_nc1_compute(X, 2, 2, off, NULL, &r, &err), 0);
    IMP_ASSERT_REL(r.nc1, 0.044, 1e-12);
    IMP_ASSERT_INT_EQ(isnan(r.vci), 1);
}

/* C = 3, d = 4, unbalanced (3, 4, 2 rows). Expected values from an independent numpy float64
 * implementation of the reference formulas with full d×d matrices: x/(‖x‖+eps32),
 * pinv(Σ_B, rcond = d·eps32) @ Σ_W^code, matrix_rank with tol = d·eps32·max|λ|. */
static void test_against_numpy(void)
{
    const float X[] = {0.9f,  0.1f, -0.3f, 0.2f,  1.1f, -0.2f, 0.1f, 0.0f,  0.8f,  0.3f, 0.2f, -0.1f,
                       -0.2f, 1.0f, 0.4f,  0.3f,  0.1f, 0.7f,  -0.2f, 0.5f, 0.0f,  1.2f, 0.1f, -0.4f,
                       -0.3f, 0.9f, 0.3f,  0.1f,  0.2f, -0.1f, 1.5f, 0.6f,  -0.4f, 0.3f, 0.8f, 1.1f};
    const size_t off[] = {0, 3, 7, 9};
    imp_nc1 r;
    imp_nc1_opts o = {.full = 1};
    IMP_ASSERT_INT_EQ(imp_nc1_compute(X, 4, 3, off, &o, &r, NULL), 0);
    IMP_ASSERT_REL(r.nc1, 0.09632045475831345, 1e-11);
    IMP_ASSERT_REL(r.nc1_textbook, 0.06877483255700195, 1e-11);
    IMP_ASSERT_REL(r.tr_sw, 0.4866096954144037, 1e-12);
    IMP_ASSERT_REL(r.tr_sw_textbook, 0.1416621869791227, 1e-12);
    IMP_ASSERT_REL(r.tr_sb, 0.5421975754720813, 1e-12);
    IMP_ASSERT_REL(r.vci, 0.09201426838716542, 1e-11);
    IMP_ASSERT_INT_EQ(r.rank_sb, 2);
    IMP_ASSERT_INT_EQ(r.rank_sw, 4);
}

/* C classes in d dims around orthogonal directions e_c with Gaussian noise sigma. */
static float *clusters(size_t C, size_t per, size_t d, double sigma, size_t *off)
{
    float *X = malloc(C * per * d * sizeof *X);
    imp_rng rng;
    imp_rng_init(&rng, 42, 0, 0, 0);
    for (size_t c = 0; c < C; c++) {
        off[c] = c * per;
        for (size_t i = 0; i < per; i++)
            for (size_t j = 0; j < d; j++)
                X[((c * per) + i) * d + j] =
                    (float)((j == c ? 1.0 : 0.0) + sigma * imp_rng_normal(&rng));
    }
    off[C] = C * per;
    return X;
}

/* Mean of ‖x/(‖x‖+ε)‖² over the rows: the balanced-class value of tr Σ_W^code + tr Σ_B. */
static double mean_sq_norm(const float *X, size_t n, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (size_t j = 0; j < d; j++)
            ss += (double)X[i * d + j] * X[i * d + j];
        double nr = sqrt(ss) / (sqrt(ss) + FLT_EPSILON);
        s += nr * nr;
    }
    return s / (double)n;
}

static void test_separation(void)
{
    enum { C = 5, PER = 40, D = 16 };
    size_t off[C + 1];
    imp_nc1 tight, noisy;
    imp_nc1_opts o = {.full = 1};
    float *X = clusters(C, PER, D, 1e-3, off);
    IMP_ASSERT_INT_EQ(imp_nc1_compute(X, D, C, off, &o, &tight, NULL), 0);
    double e_tight = mean_sq_norm(X, C * PER, D);
    free(X);
    X = clusters(C, PER, D, 0.3, off);
    IMP_ASSERT_INT_EQ(imp_nc1_compute(X, D, C, off, &o, &noisy, NULL), 0);
    double e_noisy = mean_sq_norm(X, C * PER, D);
    free(X);
    /* Within-class spread ~ d·σ² = 1.6e-5 against between-class eigenvalues ~0.2: NC1 ~ 1e-4. */
    IMP_ASSERT_INT_EQ(tight.nc1_textbook < 1e-3, 1);
    IMP_ASSERT_INT_EQ(noisy.nc1_textbook > 100 * tight.nc1_textbook, 1);
    IMP_ASSERT_INT_EQ(tight.rank_sb, C - 1);
    IMP_ASSERT_INT_EQ(tight.vci >= 0 && tight.vci < 1e-3, 1);
    /* Balanced classes: tr Σ_W^code + tr Σ_B = mean ‖x̂‖² (the reference's own check, ≈ 1). */
    IMP_ASSERT_REL(tight.tr_sw + tight.tr_sb, e_tight, 1e-12);
    IMP_ASSERT_REL(noisy.tr_sw + noisy.tr_sb, e_noisy, 1e-12);
    /* NC1^code − NC1^textbook = μ_Gᵀ Σ_B⁺ μ_G / C ≥ 0. */
    IMP_ASSERT_INT_EQ(noisy.nc1 >= noisy.nc1_textbook, 1);
}

static void test_degenerate_and_errors(void)
{
    /* Two classes with the same rows: Σ_B = 0 → inf, as the reference's allclose guard. */
    const float X[] = {0.6f, 0.8f, 0.0f, 1.0f, 0.6f, 0.8f, 0.0f, 1.0f};
    const size_t off[] = {0, 2, 4};
    imp_nc1 r;
    imp_nc1_opts o = {.full = 1};
    IMP_ASSERT_INT_EQ(imp_nc1_compute(X, 2, 2, off, &o, &r, NULL), 0);
    IMP_ASSERT_INT_EQ(r.degenerate, 1);
    IMP_ASSERT_INT_EQ(isinf(r.nc1) && isinf(r.vci), 1);
    IMP_ASSERT_INT_EQ(r.rank_sb, 0);
    IMP_ASSERT_NEAR(r.tr_sb, 0.0, 1e-30);

    imp_err err;
    imp_err_clear(&err);
    const size_t empty[] = {0, 2, 2, 4};
    IMP_ASSERT_INT_EQ(imp_nc1_compute(X, 2, 3, empty, NULL, &r, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "class 1 has no rows");
    float bad[8] = {0.6f, 0.8f, 0.0f, 1.0f, 0.6f, NAN, 0.0f, 1.0f};
    IMP_ASSERT_INT_EQ(imp_nc1_compute(bad, 2, 2, off, NULL, &r, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "row 2 has a non-finite value");
}

/* Value after "key " in the frozen numpy output. */
static double ref_value(const char *text, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "%s ", key);
    const char *p = text ? strstr(text, k) : NULL;
    return p ? strtod(p + strlen(k), NULL) : NAN;
}

/* `imprint nc1 --all --dataset dA,dB`: the concatenated task (labels of dB offset by 10, five
 * classes) against tests/ref/nc1_concat.py's numpy result (frozen in nc1_concat.out). */
static void test_all_and_concatenation(void)
{
    const float A[] = {1.0f, 0.2f, 0.1f, 0.9f, 0.1f, 0.3f, 1.1f, -0.1f, 0.2f, 0.1f, 1.0f, 0.0f,
                       0.2f, 0.8f, 0.1f};
    const int32_t Ay[] = {0, 0, 0, 1, 1};
    const float B[] = {0.0f, 0.1f, 1.0f, 0.2f, 0.0f, 0.9f, 0.5f, 0.5f, 0.1f, 0.6f, 0.4f,
                       0.0f, 0.4f, 0.6f, 0.2f, -0.5f, 0.3f, 0.4f, -0.6f, 0.2f, 0.5f};
    const int32_t By[] = {0, 0, 1, 1, 1, 2, 2};
    char store[512], csv[512];
    snprintf(store, sizeof store, "%s", imp_test_path("concat.h5"));
    snprintf(csv, sizeof csv, "%s", imp_test_path("nc1.csv"));
    imp_store_tx *tx;
    imp_err err;
    IMP_ASSERT_INT_EQ(imp_store_tx_begin(store, &tx, &err), 0);
    const char *split[] = {"train", "test"};
    for (int s = 0; s < 2; s++) {
        IMP_ASSERT_INT_EQ(imp_store_tx_put(tx, "m", "dA", split[s], A, Ay, 5, 3, &err), 0);
        IMP_ASSERT_INT_EQ(imp_store_tx_put(tx, "m", "dB", split[s], B, By, 7, 3, &err), 0);
    }
    IMP_ASSERT_INT_EQ(imp_store_tx_commit(tx, &err), 0);

    char *out = NULL;
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "nc1 --store '%s' --all --dataset dA,dB --csv '%s'",
                                    store, csv), 0);
    free(out);
    char *table = NULL, *ref = NULL;
    IMP_ASSERT_INT_EQ(imp_test_sh(&table, "cat '%s'", csv), 0);
    IMP_ASSERT_INT_EQ(imp_test_sh(&ref, "cat '%s/tests/ref/nc1_concat.out'", IMP_SOURCE_DIR), 0);
    IMP_ASSERT_STR_CONTAINS(table, "model,dataset,split,n,d,classes,nc1,nc1_textbook,");
    IMP_ASSERT_STR_CONTAINS(table, "\nm,dA,train,5,3,2,");
    IMP_ASSERT_STR_CONTAINS(table, "\nm,dB,train,7,3,3,");
    const char *row = strstr(table, "\nm,\"dA,dB\",train,12,3,5,");
    IMP_ASSERT_INT_EQ(row != NULL, 1);
    if (row) {
        char *p = (char *)row + strlen("\nm,\"dA,dB\",train,12,3,5,");
        double nc1 = strtod(p, &p), textbook = strtod(p + 1, &p);
        IMP_ASSERT_REL(nc1, ref_value(ref, "nc1"), 1e-8); /* CSV keeps 9 digits */
        IMP_ASSERT_REL(textbook, ref_value(ref, "nc1_textbook"), 1e-8);
    }
    IMP_ASSERT_NEAR(ref_value(ref, "classes"), 5, 0);

    /* Bad uses: a single dataset with --all, and a concatenation with --classes. */
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "nc1 --store '%s' --all --dataset dA", store), 2);
    IMP_ASSERT_STR_CONTAINS(out, "expected a concatenation A,B");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "nc1 --store '%s' --model m --dataset dA,dB "
                                    "--classes 0,1", store), 2);
    IMP_ASSERT_STR_CONTAINS(out, "a concatenation takes every class");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "nc1 --store '%s' --all --dataset dA,nope", store), 2);
    IMP_ASSERT_STR_CONTAINS(out, "nope");
    free(out);
    free(table), free(ref);
}

/* `imprint nc1 --job`: one row per model × task named by the task; a concatenated task with
 * every class gives tests/ref/nc1_concat.py's numpy NC1 (the same rows as `--all --dataset
 * dA,dB`), a task of two classes in another order the value of the single-task mode (NC1 does
 * not depend on the order of classes); a task on a dataset the store lacks exits 2 naming it. */
static void test_job_tasks(void)
{
    const char *store = imp_test_path("concat.h5"); /* written by the test before */
    char job[512], csv[512], *out = NULL, *table = NULL, *ref = NULL, *one = NULL;
    snprintf(job, sizeof job, "%s", imp_test_path("nc1job.yaml"));
    snprintf(csv, sizeof csv, "%s", imp_test_path("nc1job.csv"));
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "store: %s\ncube: nc1job-cube.h5\nmodels: [m]\ntasks:\n"
                     "  - {name: cat, datasets: [dA, dB], classes: all}\n"
                     "  - {name: b20, dataset: dB, classes: [2, 0]}\n"
                     "strategies: [l2/mean/l2/l2/max]\nks: [1]\nshots: [all]\nseeds: [1]\n",
                     store);
    IMP_ASSERT_INT_EQ(imp_test_write_file(job, text, (size_t)n), 0);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "nc1 --job '%s' --csv '%s'", job, csv), 0);
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_sh(&table, "cat '%s'", csv), 0);
    IMP_ASSERT_INT_EQ(imp_test_sh(&ref, "cat '%s/tests/ref/nc1_concat.out'", IMP_SOURCE_DIR), 0);
    const char *row = table ? strstr(table, "\nm,cat,train,12,3,5,") : NULL;
    IMP_ASSERT_INT_EQ(row != NULL, 1);
    if (row) {
        char *p = (char *)row + strlen("\nm,cat,train,12,3,5,");
        double nc1 = strtod(p, &p), textbook = strtod(p + 1, &p);
        IMP_ASSERT_REL(nc1, ref_value(ref, "nc1"), 1e-8);
        IMP_ASSERT_REL(textbook, ref_value(ref, "nc1_textbook"), 1e-8);
    }
    IMP_ASSERT_INT_EQ(imp_test_tool(&one, "nc1 --store '%s' --model m --dataset dB --classes 0,2 "
                                    "--json", store), 0);
    row = table ? strstr(table, "\nm,b20,train,4,3,2,") : NULL;
    IMP_ASSERT_INT_EQ(row != NULL, 1);
    if (row && one) {
        double nc1 = strtod(row + strlen("\nm,b20,train,4,3,2,"), NULL);
        const char *v = strstr(one, "\"nc1\":");
        IMP_ASSERT_REL(nc1, v ? strtod(v + strlen("\"nc1\":"), NULL) : NAN, 1e-8);
    }
    free(table), free(ref), free(one);

    n = snprintf(text, sizeof text,
                 "store: %s\ncube: nc1job-cube.h5\nmodels: [m]\ntasks:\n"
                 "  - {name: gone, dataset: nope, classes: all}\n"
                 "strategies: [l2/mean/l2/l2/max]\nks: [1]\nshots: [all]\nseeds: [1]\n", store);
    IMP_ASSERT_INT_EQ(imp_test_write_file(job, text, (size_t)n), 0);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "nc1 --job '%s'", job), 2);
    IMP_ASSERT_STR_CONTAINS(out, "nope");
    free(out);
    IMP_ASSERT_INT_EQ(imp_test_tool(&out, "nc1 --job '%s' --store '%s'", job, store), 2);
    IMP_ASSERT_STR_CONTAINS(out, "--job takes --split and --csv only");
    free(out);
}

int main(void)
{
    const imp_test tests[] = {{"hand-worked 2-d example", test_hand_example},
                              {"against numpy (unbalanced, 4-d)", test_against_numpy},
                              {"separated vs noisy classes", test_separation},
                              {"degenerate and bad input", test_degenerate_and_errors},
                              {"--all with a concatenation, against numpy",
                               test_all_and_concatenation},
                              {"--job: per task, against numpy", test_job_tasks},
                              {NULL, NULL}};
    return imp_test_main("nc1", tests);
}
