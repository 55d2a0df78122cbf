/* fuzz_store.c — libFuzzer harness: the store lister and loader on stores built from the
 * input. Mutating raw HDF5 bytes would fuzz libhdf5's own decoder (not instrumented, not
 * ours); instead the bytes are a recipe of groups and datasets — names from a small table
 * that contains the real ones, any numeric or string type, rank 0..3, small dims, values
 * from the input — written with HDF5, then listed, described and loaded as imprint does. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imprint/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static unsigned take(input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static const char *const names[] = {"m", "ds", "train", "test", "X", "y", "m2", "e", "lambda"};
#define N_NAMES (sizeof names / sizeof names[0])

static hid_t pick_type(unsigned b, int *is_string)
{
    *is_string = 0;
    switch (b % 10) {
    case 0: return H5Tcopy(H5T_IEEE_F32LE);
    case 1: return H5Tcopy(H5T_IEEE_F64BE);
    case 2: return H5Tcopy(H5T_STD_I64LE);
    case 3: return H5Tcopy(H5T_STD_U64LE);
    case 4: return H5Tcopy(H5T_STD_I8LE);
    case 5: return H5Tcopy(H5T_STD_U16BE);
    case 6: return H5Tcopy(H5T_STD_I32LE);
    case 7: { /* IEEE half precision, as numpy's float16 */
        hid_t t = H5Tcopy(H5T_IEEE_F32LE);
        H5Tset_fields(t, 15, 10, 5, 0, 10);
        H5Tset_precision(t, 16);
        H5Tset_size(t, 2);
        H5Tset_ebias(t, 15);
        return t;
    }
    case 8: {
        *is_string = 1;
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, 4);
        return t;
    }
    default: return H5Tcopy(H5T_STD_U8LE);
    }
}

/* One dataset at /a/b/c/name with the input's type, shape and bytes as values. */
static void add_dataset(hid_t f, input *in)
{
    char path[128];
    unsigned depth = 1 + take(in) % 4;
    path[0] = '\0';
    for (unsigned i = 0; i < depth; i++) {
        strcat(path, "/");
        strcat(path, names[take(in) % N_NAMES]);
    }
    int is_string;
    hid_t t = pick_type(take(in), &is_string);
    int rank = (int)(take(in) % 4);
    hsize_t dims[3]; /* one take per statement: initialiser order is unspecified in C */
    dims[0] = 1 + take(in) % 6;
    dims[1] = 1 + take(in) % 5;
    dims[2] = 1 + take(in) % 3;
    hsize_t total = 1;
    for (int i = 0; i < rank; i++)
        total *= dims[i];
    size_t bytes = (size_t)total * H5Tget_size(t);
    uint8_t *buf = calloc(bytes ? bytes : 1, 1);
    for (size_t i = 0; buf && i < bytes; i++)
        buf[i] = (uint8_t)take(in);
    hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t ds = H5Dcreate2(f, path, t, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    if (ds >= 0 && buf)
        H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (ds >= 0)
        H5Dclose(ds);
    H5Pclose(lcpl);
    H5Sclose(sp);
    H5Tclose(t);
    free(buf);
    (void)is_string;
}

/* A double attribute on a group (the model's lambda), or a group alone. */
static void add_group_or_attr(hid_t f, input *in)
{
    char path[64];
    snprintf(path, sizeof path, "/%s", names[take(in) % N_NAMES]);
    if (H5Lexists(f, path, H5P_DEFAULT) <= 0) {
        hid_t g = H5Gcreate2(f, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g >= 0)
            H5Gclose(g);
        return;
    }
    double v;
    uint8_t raw[8];
    for (int i = 0; i < 8; i++)
        raw[i] = (uint8_t)take(in);
    memcpy(&v, raw, sizeof v);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate_by_name(f, path, "lambda", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                                H5P_DEFAULT);
    if (a >= 0) {
        H5Awrite(a, H5T_NATIVE_DOUBLE, &v);
        H5Aclose(a);
    }
    H5Sclose(sp);
}

static void exercise(const char *path)
{
    imp_err err;
    imp_store *s;
    if (imp_store_open(path, &s, &err) != 0)
        return;
    imp_store_entry *list = NULL;
    size_t n = 0;
    if (imp_store_list(s, &list, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            (void)imp_store_lambda(s, list[i].model);
            int32_t *lab = NULL;
            size_t nl = 0;
            if (imp_store_distinct_labels(s, list[i].model, list[i].dataset, "train", &lab, &nl,
                                          &err) != 0)
                continue;
            int32_t *cls = malloc((nl ? nl : 1) * sizeof *cls);
            for (size_t j = 0; cls && j < nl; j++)
                cls[j] = (int32_t)j;
            imp_classmap map = {nl, lab, cls, (int)nl};
            const char *splits[2] = {"train", "test"};
            for (int k = 0; cls && k < 2; k++) {
                imp_data d;
                if (imp_store_load_ex(s, list[i].model, list[i].dataset, splits[k], &map, k, &d,
                                      &err) == 0) {
                    for (size_t r = 0; r < d.n * d.d; r++)
                        if (!isfinite(d.X[r]))
                            __builtin_trap(); /* the loader promises finite rows */
                    if (d.offset[d.n_classes] != d.n)
                        __builtin_trap();
                    imp_data_free(&d);
                }
            }
            free(cls);
            free(lab);
        }
        free(list);
    } else if (err.msg[0] == '\0') {
        __builtin_trap();
    }
    imp_store_close(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/imprint-fuzz-store-%d.h5",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    }
    input in = {data, size};
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return 0;
    for (int op = 0; op < 24 && in.n; op++) {
        if (take(&in) % 4)
            add_dataset(f, &in);
        else
            add_group_or_attr(f, &in);
    }
    H5Fclose(f);
    exercise(path);
    if (!getenv("IMP_FUZZ_KEEP")) /* keep the last store built, to look at a seed */
        unlink(path);
    return 0;
}
