/* test_idx.c — idx parsing on small generated files, including every bad-input case. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "imprint/idx.h"
#include "testutil.h"

/* Build an idx file in memory: magic 0 0 8 ndim, big-endian dims, payload. */
static size_t make_idx(unsigned char *buf, int ndim, const unsigned *dims, const unsigned char *payload,
                       size_t payload_len)
{
    size_t o = 0;
    buf[o++] = 0;
    buf[o++] = 0;
    buf[o++] = 8;
    buf[o++] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++) {
        buf[o++] = (unsigned char)(dims[i] >> 24);
        buf[o++] = (unsigned char)(dims[i] >> 16);
        buf[o++] = (unsigned char)(dims[i] >> 8);
        buf[o++] = (unsigned char)dims[i];
    }
    memcpy(buf + o, payload, payload_len);
    return o + payload_len;
}

static void write_gz(const char *path, const void *buf, size_t n)
{
    gzFile f = gzopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    gzwrite(f, buf, (unsigned)n);
    gzclose(f);
}

/* 3 images of 2x2 and 3 labels */
static unsigned char img_payload[12] = {0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0};
static unsigned char lbl_payload[3] = {7, 0, 7};

static void test_plain_and_gzip(void)
{
    unsigned char buf[256];
    unsigned dims[3] = {3, 2, 2};
    size_t n = make_idx(buf, 3, dims, img_payload, 12);
    CU_ASSERT_EQUAL_FATAL(imp_test_write_file(imp_test_path("img"), buf, n), 0);
    write_gz(imp_test_path("img.gz"), buf, n);
    unsigned ldims[1] = {3};
    n = make_idx(buf, 1, ldims, lbl_payload, 3);
    write_gz(imp_test_path("lbl.gz"), buf, n);
    for (int gz = 0; gz < 2; gz++) {
        float *X;
        int32_t *y;
        size_t rows, d;
        imp_err err;
        imp_err_clear(&err);
        int rc = imp_idx_read_pair(imp_test_path(gz ? "img.gz" : "img"), imp_test_path("lbl.gz"), &X,
                                   &y, &rows, &d, &err);
        IMP_ASSERT_INT_EQ(rc, 0);
        if (rc)
            continue;
        IMP_ASSERT_INT_EQ(rows, 3);
        IMP_ASSERT_INT_EQ(d, 4);
        IMP_ASSERT_NEAR(X[1], 1.0, 0);           /* 255/255 */
        IMP_ASSERT_NEAR(X[2], 51.0f / 255.0f, 0); /* 0.2 in float */
        IMP_ASSERT_NEAR(X[3], 0.4f, 1e-7);
        IMP_ASSERT_NEAR(X[4], 1.0f / 255.0f, 0);
        IMP_ASSERT_INT_EQ(y[0], 7);
        IMP_ASSERT_INT_EQ(y[1], 0);
        free(X);
        free(y);
    }
}

static void expect_error(const char *file, int ndim, const char *needle)
{
    imp_idx idx;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_idx_read(file, ndim, &idx, &err), IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, needle);
    IMP_ASSERT_STR_CONTAINS(err.msg, file);
}

static void test_bad_inputs(void)
{
    unsigned char buf[256];
    unsigned dims[3] = {3, 2, 2};
    size_t n = make_idx(buf, 3, dims, img_payload, 12);
    /* wrong magic: type byte 0x09 (signed byte) */
    buf[2] = 9;
    imp_test_write_file(imp_test_path("badtype"), buf, n);
    expect_error(imp_test_path("badtype"), 3, "bad idx magic number 0x00000903");
    buf[2] = 8;
    /* labels file given where images expected */
    expect_error(imp_test_path("lbl.gz"), 3, "bad idx magic");
    /* truncated payload: 3 images promised, 2.5 present */
    imp_test_write_file(imp_test_path("trunc"), buf, n - 2);
    expect_error(imp_test_path("trunc"), 3, "truncated idx file: header promises 3 items (12 bytes of data), found 10 bytes");
    /* truncated header */
    imp_test_write_file(imp_test_path("hdr"), buf, 6);
    expect_error(imp_test_path("hdr"), 3, "truncated idx header");
    /* trailing garbage */
    buf[n] = 1;
    imp_test_write_file(imp_test_path("trail"), buf, n + 1);
    expect_error(imp_test_path("trail"), 3, "trailing bytes");
    /* zero dimension */
    unsigned zd[3] = {3, 0, 2};
    n = make_idx(buf, 3, zd, img_payload, 0);
    imp_test_write_file(imp_test_path("zero"), buf, n);
    expect_error(imp_test_path("zero"), 3, "dimension 1 is 0");
    /* missing file */
    expect_error(imp_test_path("nope"), 1, "cannot open");
    /* truncated gzip stream */
    unsigned char gzbuf[512];
    n = make_idx(buf, 3, dims, img_payload, 12);
    write_gz(imp_test_path("full.gz"), buf, n);
    FILE *f = fopen(imp_test_path("full.gz"), "rb");
    size_t gl = fread(gzbuf, 1, sizeof gzbuf, f);
    fclose(f);
    imp_test_write_file(imp_test_path("cut.gz"), gzbuf, gl - 12);
    expect_error(imp_test_path("cut.gz"), 3, "truncated");
}

static void test_count_mismatch(void)
{
    unsigned char buf[256];
    unsigned ldims[1] = {2};
    size_t n = make_idx(buf, 1, ldims, lbl_payload, 2);
    imp_test_write_file(imp_test_path("lbl2"), buf, n);
    float *X;
    int32_t *y;
    size_t rows, d;
    imp_err err;
    imp_err_clear(&err);
    IMP_ASSERT_INT_EQ(imp_idx_read_pair(imp_test_path("img"), imp_test_path("lbl2"), &X, &y, &rows, &d, &err),
                      IMP_EINPUT);
    IMP_ASSERT_STR_CONTAINS(err.msg, "has 3 images but");
    IMP_ASSERT_STR_CONTAINS(err.msg, "has 2 labels");
}

int main(void)
{
    static const imp_test tests[] = {
        {"plain_and_gzip", test_plain_and_gzip},
        {"bad_inputs", test_bad_inputs},
        {"count_mismatch", test_count_mismatch},
        {NULL, NULL},
    };
    return imp_test_main("idx", tests);
}
