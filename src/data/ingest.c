/* ingest.c — building store entries from idx files, reference files and built-in models. */
#define _XOPEN_SOURCE 700
#include "imprint/ingest.h"
#include "imprint/clock.h"

#include "imprint/blas.h"
#include <ftw.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imprint/h5conv.h"
#include "imprint/h5util.h"
#include "imprint/rng.h"

int imp_model_spec_parse(const char *text, imp_model_spec *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    if (strcmp(text, "pixels") == 0) {
        snprintf(out->name, sizeof out->name, "pixels");
        snprintf(out->description, sizeof out->description, "raw pixels scaled to [0,1]");
        return 0;
    }
    int dim = 0;
    unsigned long long seed = 0;
    int used = 0;
    if (strncmp(text, "randfeat:", 9) == 0 &&
        sscanf(text + 9, "%d:%llu%n", &dim, &seed, &used) == 2 && text[9 + used] == '\0' &&
        dim >= 1 && dim <= 65536 && text[9] != '-' && !strchr(text + 9, '-')) {
        out->randfeat = 1;
        out->dim = dim;
        out->seed = seed;
        if (seed == 1)
            snprintf(out->name, sizeof out->name, "randfeat%d", dim);
        else
            snprintf(out->name, sizeof out->name, "randfeat%ds%llu", dim, seed);
        snprintf(out->description, sizeof out->description,
                 "random ReLU features relu(x W + b) of the pixels, DIM=%d SEED=%llu", dim, seed);
        return 0;
    }
    return imp_err_set(err, IMP_EUSAGE,
                       "unknown model '%s' (expected pixels or randfeat:DIM:SEED, e.g. "
                       "randfeat:512:1)", text);
}

int imp_model_apply(const imp_model_spec *m, const float *X, size_t n, size_t d_in, float **out,
                    size_t *d_out, imp_err *err)
{
    *out = NULL;
    if (!m->randfeat) {
        *out = malloc(n * d_in * sizeof(float));
        if (!*out)
            return imp_err_set(err, IMP_ENOMEM, "out of memory");
        memcpy(*out, X, n * d_in * sizeof(float));
        *d_out = d_in;
        return 0;
    }
    size_t D = (size_t)m->dim;
    float *W = malloc(d_in * D * sizeof(float));
    float *b = malloc(D * sizeof(float));
    float *F = malloc(n * D * sizeof(float));
    if (!W || !b || !F) {
        free(W);
        free(b);
        free(F);
        return imp_err_set(err, IMP_ENOMEM, "out of memory for %zu x %zu features", n, D);
    }
    imp_rng r;
    imp_rng_init(&r, m->seed, imp_hash_str("randfeat"), (uint64_t)D, IMP_RNG_FEATURE);
    double scale = 1.0 / sqrt((double)d_in);
    for (size_t i = 0; i < d_in * D; i++)
        W[i] = (float)(imp_rng_normal(&r) * scale);
    for (size_t j = 0; j < D; j++)
        b[j] = (float)(imp_rng_normal(&r) * 0.1);
    for (size_t i = 0; i < n; i++)
        memcpy(F + i * D, b, D * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)D, (int)d_in, 1.0f, X,
                (int)d_in, W, (int)D, 1.0f, F, (int)D);
    for (size_t i = 0; i < n * D; i++)
        F[i] = F[i] > 0.0f ? F[i] : 0.0f;
    free(W);
    free(b);
    *out = F;
    *d_out = D;
    return 0;
}

static int check_split_finite(const char *dataset, const char *split, const imp_raw_split *s,
                              imp_err *err)
{
    if (s->n == 0 || s->d == 0)
        return imp_err_set(err, IMP_EINPUT, "%s %s: no rows", dataset, split);
    for (size_t i = 0; i < s->n * s->d; i++)
        if (!isfinite(s->X[i]))
            return imp_err_set(err, IMP_EINPUT, "%s %s: row %zu column %zu is not finite", dataset,
                               split, i / s->d, i % s->d);
    return 0;
}

int imp_ingest_raw(const char *store_path, const char *dataset, const imp_raw_split *train,
                   const imp_raw_split *test, const imp_model_spec *models, size_t n_models,
                   const char *const *class_names, size_t n_class_names, int force, void *logp,
                   imp_err *err)
{
    FILE *log = logp;
    if (train->d != test->d)
        return imp_err_set(err, IMP_EINPUT, "%s: train rows have %zu values but test rows %zu",
                           dataset, train->d, test->d);
    int rc = check_split_finite(dataset, "train", train, err);
    if (!rc)
        rc = check_split_finite(dataset, "test", test, err);
    if (rc)
        return rc;
    imp_store_tx *tx;
    rc = imp_store_tx_begin(store_path, &tx, err);
    if (rc)
        return rc;
    for (size_t m = 0; m < n_models && !rc; m++) {
        const imp_model_spec *ms = &models[m];
        if (imp_store_tx_exists(tx, ms->name, dataset)) {
            if (!force) {
                rc = imp_err_set(err, IMP_EEXIST,
                                 "%s: /%s/%s exists already (use --force to replace it)",
                                 store_path, ms->name, dataset);
                break;
            }
            rc = imp_store_tx_remove(tx, ms->name, dataset, err);
            if (rc)
                break;
        }
        double t0 = imp_clock_s();
        const imp_raw_split *sp[2] = {train, test};
        const char *names[2] = {"train", "test"};
        size_t dout = 0;
        for (int s = 0; s < 2 && !rc; s++) {
            float *F;
            rc = imp_model_apply(ms, sp[s]->X, sp[s]->n, sp[s]->d, &F, &dout, err);
            if (!rc) {
                rc = imp_store_tx_put(tx, ms->name, dataset, names[s], F, sp[s]->y, sp[s]->n,
                                      dout, err);
                free(F);
            }
        }
        if (!rc)
            rc = imp_store_tx_fingerprint(tx, ms->name, dataset, err);
        if (!rc)
            rc = imp_store_tx_attr(tx, ms->name, NULL, "description", ms->description, err);
        if (!rc && class_names && n_class_names)
            rc = imp_store_tx_attr_strings(tx, ms->name, dataset, "class_names", class_names,
                                           n_class_names, err);
        if (!rc && log)
            fprintf(log, "ingest: /%s/%s: %zu train + %zu test rows, d = %zu (%.1f s)\n", ms->name,
                    dataset, train->n, test->n, dout, imp_clock_s() - t0);
    }
    if (rc) {
        imp_store_tx_abort(tx);
        return rc;
    }
    return imp_store_tx_commit(tx, err);
}

int imp_find_fashion_mnist(const char *dir, char paths[4][4096], imp_err *err)
{
    static const char *const base[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    char found_dir[4096] = "";
    if (dir) {
        snprintf(found_dir, sizeof found_dir, "%s", dir);
    } else {
        FILE *p = popen("dpkg -L dataset-fashion-mnist 2>/dev/null", "r");
        char line[4096];
        while (p && fgets(line, sizeof line, p)) {
            line[strcspn(line, "\n")] = '\0';
            const char *slash = strrchr(line, '/');
            if (slash && strncmp(slash + 1, base[0], strlen(base[0])) == 0) {
                snprintf(found_dir, sizeof found_dir, "%.*s", (int)(slash - line), line);
                break;
            }
        }
        if (p)
            pclose(p);
        if (!found_dir[0])
            snprintf(found_dir, sizeof found_dir, "/usr/share/datasets/fashion-mnist");
    }
    for (int i = 0; i < 4; i++) {
        snprintf(paths[i], 4096, "%s/%s.gz", found_dir, base[i]);
        if (access(paths[i], R_OK) == 0)
            continue;
        snprintf(paths[i], 4096, "%s/%s", found_dir, base[i]);
        if (access(paths[i], R_OK) != 0)
            return imp_err_set(err, IMP_EINPUT,
                               "%s: no %s(.gz) — install Debian's dataset-fashion-mnist "
                               "(apt-get install dataset-fashion-mnist) or pass --dir",
                               found_dir, base[i]);
    }
    return 0;
}

/* ---- the reference's embedding files ------------------------------------------------- */

typedef struct ref_file {
    char path[4096];
    char dataset[IMP_NAME_MAX];
    char backbone[IMP_NAME_MAX];
    int split; /* 0 train, 1 test/val */
} ref_file;

static ref_file *g_ref;
static size_t g_nref, g_capref;

/* Store names of the reference's datasets: FashionMNIST → fmnist, others lower-cased without
 * punctuation (MNIST-M → mnistm, CIFAR10 → cifar10, ImageNet → imagenet). */
static void lower_dataset(const char *in, char *out, size_t n)
{
    if (strcmp(in, "FashionMNIST") == 0) {
        snprintf(out, n, "fmnist");
        return;
    }
    size_t o = 0;
    for (size_t i = 0; in[i] && o + 1 < n; i++) {
        char c = in[i];
        if (c >= 'A' && c <= 'Z')
            out[o++] = (char)(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[o++] = c;
    }
    out[o] = '\0';
}

static int ref_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    if (type != FTW_F)
        return 0;
    const char *name = path + ftw->base;
    size_t len = strlen(name);
    if (strncmp(name, "embeddings_", 11) != 0 || len < 15 || strcmp(name + len - 3, ".h5") != 0)
        return 0;
    static const char *const sfx[3] = {"_train.h5", "_test.h5", "_val.h5"};
    int split = -1;
    size_t stem = 0;
    for (int s = 0; s < 3; s++) {
        size_t l = strlen(sfx[s]);
        if (len > l + 11 && strcmp(name + len - l, sfx[s]) == 0) {
            split = s == 0 ? 0 : 1;
            stem = len - l;
        }
    }
    if (split < 0)
        return 0;
    /* "Dataset_backbone": dataset names have no '_', backbones may (vit_b_16) */
    char mid[512];
    snprintf(mid, sizeof mid, "%.*s", (int)(stem - 11), name + 11);
    char *us = strchr(mid, '_');
    if (!us || !us[1])
        return 0;
    *us = '\0';
    if (g_nref == g_capref) {
        g_capref = g_capref ? 2 * g_capref : 16;
        ref_file *p = realloc(g_ref, g_capref * sizeof *p);
        if (!p)
            return 1;
        g_ref = p;
    }
    ref_file *r = &g_ref[g_nref++];
    snprintf(r->path, sizeof r->path, "%s", path);
    lower_dataset(mid, r->dataset, sizeof r->dataset);
    snprintf(r->backbone, sizeof r->backbone, "%s", us + 1);
    r->split = split;
    return 0;
}

static int read_ref_open(const char *path, imp_raw_split *out, imp_err *err);

static int read_ref_file(const char *path, imp_raw_split *out, imp_err *err)
{
    memset(out, 0, sizeof *out);
    imp_h5quiet q;
    imp_h5_quiet_on(&q);
    int rc = read_ref_open(path, out, err);
    imp_h5_quiet_off(&q);
    return rc;
}

/* read_ref_file's body, with HDF5's error printing off. */
static int read_ref_open(const char *path, imp_raw_split *out, imp_err *err)
{
    if (H5Fis_hdf5(path) <= 0)
        return imp_err_set(err, IMP_EINPUT, "%s: not an HDF5 file (or truncated)", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return imp_h5_fail(err, IMP_EINPUT, path, "/", "HDF5 cannot open it (damaged?)");
    int rc = 0;
    hid_t de = -1, dl = -1, se = -1, sl = -1;
    if (H5Lexists(f, "embeddings", H5P_DEFAULT) <= 0 || H5Lexists(f, "labels", H5P_DEFAULT) <= 0) {
        rc = imp_err_set(err, IMP_EINPUT, "%s: expected datasets 'embeddings' and 'labels'", path);
        goto out;
    }
    de = H5Dopen2(f, "embeddings", H5P_DEFAULT);
    dl = H5Dopen2(f, "labels", H5P_DEFAULT);
    se = de >= 0 ? H5Dget_space(de) : -1;
    sl = dl >= 0 ? H5Dget_space(dl) : -1;
    hsize_t e[2] = {0, 0}, l[2] = {0, 0};
    if (se < 0 || sl < 0 || H5Sget_simple_extent_ndims(se) != 2 ||
        H5Sget_simple_extent_ndims(sl) != 1) {
        rc = imp_err_set(err, IMP_EINPUT,
                         "%s: 'embeddings' must be 2-D [N, D] and 'labels' 1-D [N]", path);
        goto out;
    }
    H5Sget_simple_extent_dims(se, e, NULL);
    H5Sget_simple_extent_dims(sl, l, NULL);
    if (e[0] != l[0] || e[0] == 0 || e[1] == 0) {
        rc = imp_err_set(err, IMP_EINPUT, "%s: %llu embeddings but %llu labels", path,
                         (unsigned long long)e[0], (unsigned long long)l[0]);
        goto out;
    }
    out->n = e[0];
    out->d = e[1];
    out->X = malloc(out->n * out->d * sizeof(float));
    out->y = malloc(out->n * sizeof(int32_t));
    if (!out->X || !out->y) {
        rc = imp_err_set(err, IMP_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    /* any float or integer width, as the store reader (values that do not fit are errors) */
    size_t overflow = 0, bad_i = 0;
    int64_t bad_v = 0;
    int yst = 0;
    if (imp_h5_read_float32(de, H5S_ALL, H5S_ALL, out->X, &overflow) < 0 ||
        (yst = imp_h5_read_int32(dl, out->n, out->y, &bad_i, &bad_v)) < 0)
        rc = imp_err_set(err, IMP_EINPUT, "%s: cannot read embeddings/labels (truncated?)", path);
    else if (overflow)
        rc = imp_err_set(err, IMP_EINPUT, "%s: embeddings: %zu value(s) do not fit float32", path,
                         overflow);
    else if (yst > 0)
        rc = imp_err_set(err, IMP_EINPUT, "%s: labels[%zu] = %lld does not fit a 32-bit label",
                         path, bad_i, (long long)bad_v);
out:
    if (se >= 0) H5Sclose(se);
    if (sl >= 0) H5Sclose(sl);
    if (de >= 0) H5Dclose(de);
    if (dl >= 0) H5Dclose(dl);
    H5Fclose(f);
    if (rc) {
        free(out->X);
        free(out->y);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

int imp_ingest_reference(const char *dir, const char *store_path, int force, void *logp,
                         imp_err *err)
{
    FILE *log = logp;
    g_ref = NULL;
    g_nref = g_capref = 0;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return imp_err_set(err, IMP_EINPUT, "%s: not a directory", dir);
    if (nftw(dir, ref_visit, 16, FTW_PHYS) != 0) {
        free(g_ref);
        return imp_err_set(err, IMP_EIO, "%s: cannot walk the directory", dir);
    }
    int rc = 0, pairs = 0;
    imp_store_tx *tx = NULL;
    if (g_nref == 0) {
        rc = imp_err_set(err, IMP_EINPUT,
                         "%s: no embeddings_{Dataset}_{backbone}_{train|test|val}.h5 files found",
                         dir);
        goto done;
    }
    rc = imp_store_tx_begin(store_path, &tx, err);
    if (rc)
        goto done;
    for (size_t i = 0; i < g_nref && !rc; i++) {
        if (g_ref[i].split != 0)
            continue;
        size_t j = 0;
        for (; j < g_nref; j++)
            if (g_ref[j].split == 1 && strcmp(g_ref[j].dataset, g_ref[i].dataset) == 0 &&
                strcmp(g_ref[j].backbone, g_ref[i].backbone) == 0)
                break;
        if (j == g_nref) {
            rc = imp_err_set(err, IMP_EINPUT, "%s: no matching _test.h5 or _val.h5 file",
                             g_ref[i].path);
            break;
        }
        const char *model = g_ref[i].backbone, *ds = g_ref[i].dataset;
        if (imp_store_tx_exists(tx, model, ds)) {
            if (!force) {
                rc = imp_err_set(err, IMP_EEXIST,
                                 "%s: /%s/%s exists already (use --force to replace it)",
                                 store_path, model, ds);
                break;
            }
            if ((rc = imp_store_tx_remove(tx, model, ds, err)))
                break;
        }
        imp_raw_split tr, te;
        rc = read_ref_file(g_ref[i].path, &tr, err);
        if (rc)
            break;
        rc = read_ref_file(g_ref[j].path, &te, err);
        if (!rc && tr.d != te.d)
            rc = imp_err_set(err, IMP_EINPUT, "%s has D = %zu but %s has D = %zu", g_ref[i].path,
                             tr.d, g_ref[j].path, te.d);
        if (!rc)
            rc = check_split_finite(g_ref[i].path, "train", &tr, err);
        if (!rc)
            rc = check_split_finite(g_ref[j].path, "test", &te, err);
        if (!rc)
            rc = imp_store_tx_put(tx, model, ds, "train", tr.X, tr.y, tr.n, tr.d, err);
        if (!rc)
            rc = imp_store_tx_put(tx, model, ds, "test", te.X, te.y, te.n, te.d, err);
        if (!rc)
            rc = imp_store_tx_fingerprint(tx, model, ds, err);
        if (!rc && log)
            fprintf(log, "ingest: /%s/%s: %zu train + %zu test rows, d = %zu\n", model, ds, tr.n,
                    te.n, tr.d);
        free(tr.X);
        free(tr.y);
        free(te.X);
        free(te.y);
        pairs++;
    }
    if (rc)
        imp_store_tx_abort(tx);
    else
        rc = imp_store_tx_commit(tx, err);
done:
    free(g_ref);
    g_ref = NULL;
    g_nref = g_capref = 0;
    (void)pairs;
    return rc;
}
