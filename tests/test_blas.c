/* test_blas.c — the BLAS the build chose answers imprint's calls, right, at any thread count. */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */
#include "imprint/blas.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* The file of the loaded library that defines symbol, lower-cased into buf ("" if none). */
static const char *defining_file(const char *symbol, char *buf, size_t cap)
{
    buf[0] = '\0';
    void *p = dlsym(RTLD_DEFAULT, symbol);
    Dl_info info;
    if (p && dladdr(p, &info) && info.dli_fname) {
        snprintf(buf, cap, "%s", info.dli_fname);
        for (char *c = buf; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    return buf;
}

/* CBLAS and the Fortran dgemm_ (what LAPACK's own routines call) both come from the vendor
 * CMake detected: a second BLAS on the system (Debian's alternatives, a LAPACK that drags in
 * OpenBLAS) must not answer in its place, or the toolchain CI tests is not the one it names. */
static void test_vendor_answers(void)
{
    const char *vendor = imp_blas_vendor();
    printf("\n  vendor %s; threads now %d\n", vendor, imp_blas_threads());
    if (strcmp(vendor, "BLAS") == 0)
        return; /* a BLAS imprint knows no name for: nothing to match */
    char want[32];
    snprintf(want, sizeof want, "%s", vendor);
    for (char *c = want; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    static const char *const symbols[] = {"cblas_dgemm", "cblas_sgemm", "dgemm_", NULL};
    for (int i = 0; symbols[i]; i++) {
        char buf[512];
        const char *file = defining_file(symbols[i], buf, sizeof buf);
        printf("  %s from %s\n", symbols[i], file);
        IMP_ASSERT_STR_CONTAINS(file, want);
    }
}

/* Set, read back; the reference BLAS (no thread control) always reports one thread. */
static void test_thread_control(void)
{
    int generic = strcmp(imp_blas_vendor(), "BLAS") == 0;
    imp_blas_set_threads(2);
    IMP_ASSERT_INT_EQ(imp_blas_threads(), generic ? 1 : 2);
    imp_blas_set_threads(0); /* clamped: never zero threads */
    IMP_ASSERT_INT_EQ(imp_blas_threads(), 1);
    imp_blas_set_threads(1);
    IMP_ASSERT_INT_EQ(imp_blas_threads(), 1);
}

/* dgemm and dpotrf on hand-computed cases, exact in binary floating point, with 1 and 2
 * threads: [1 2; 3 4][5 6; 7 8] = [19 22; 43 50]; chol([4 2; 2 5]) = [2 0; 1 2]. */
static void test_kernels_by_hand(void)
{
    for (int t = 1; t <= 2; t++) {
        imp_blas_set_threads(t);
        const double a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
        double c[4] = {0};
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.0, a, 2, b, 2, 0.0, c, 2);
        const double want_c[4] = {19, 22, 43, 50};
        for (int i = 0; i < 4; i++)
            CU_ASSERT_EQUAL(c[i], want_c[i]);
        const float af[4] = {1, 2, 3, 4}, bf[4] = {5, 6, 7, 8};
        float cf[4] = {0};
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 2, 2, 2, 1.0f, af, 2, bf, 2, 0.0f, cf, 2);
        const float want_cf[4] = {17, 23, 39, 53}; /* A B^T */
        for (int i = 0; i < 4; i++)
            CU_ASSERT_EQUAL(cf[i], want_cf[i]);
        double s[4] = {4, 2, 2, 5};
        IMP_ASSERT_INT_EQ((int)LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', 2, s, 2), 0);
        CU_ASSERT_EQUAL(s[0], 2.0);
        CU_ASSERT_EQUAL(s[2], 1.0);
        CU_ASSERT_EQUAL(s[3], 2.0);
    }
    imp_blas_set_threads(1);
}

int main(void)
{
    static const imp_test tests[] = {
        {"vendor_answers", test_vendor_answers},
        {"thread_control", test_thread_control},
        {"kernels_by_hand", test_kernels_by_hand},
        {NULL, NULL},
    };
    return imp_test_main("blas", tests);
}
