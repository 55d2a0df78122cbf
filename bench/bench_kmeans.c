/* bench_kmeans.c — k-means on Fashion-MNIST per class (the GEN "Ours" cell): accelerated vs plain
 * Lloyd, 1 thread vs 2 classes in parallel; prints iterations, times and distances saved.
 * Usage: bench_kmeans [reps=3] [dir=/usr/share/datasets/fashion-mnist] [k ...=20 5 50] */
#include "imprint/blas.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "imprint/clock.h"
#include "imprint/kmeans.h"
#include "imprint/pool.h"

enum { NCLS = 10 };

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Read an idx file (gzip); returns the payload (malloc'd) and the dims. */
static unsigned char *read_idx(const char *path, uint32_t magic, uint32_t dims[3], int ndim)
{
    gzFile f = gzopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    unsigned char h[16];
    size_t hl = 4 + 4 * (size_t)ndim;
    if (gzread(f, h, (unsigned)hl) != (int)hl || be32(h) != magic) {
        fprintf(stderr, "%s: bad idx header\n", path);
        gzclose(f);
        return NULL;
    }
    size_t total = 1;
    for (int i = 0; i < ndim; i++) {
        dims[i] = be32(h + 4 + 4 * i);
        total *= dims[i];
    }
    unsigned char *buf = malloc(total);
    if (!buf || gzread(f, buf, (unsigned)total) != (int)total) {
        fprintf(stderr, "%s: short read\n", path);
        free(buf);
        gzclose(f);
        return NULL;
    }
    gzclose(f);
    return buf;
}

typedef struct job {
    const float *x[NCLS];
    size_t n[NCLS], d, k;
    imp_kmeans_opts opts;
    float *centers[NCLS];
    int32_t *labels[NCLS];
    imp_kmeans_info info[NCLS];
    double secs[NCLS];
    int rc[NCLS];
} job;

static void run_class(size_t c, void *ctx)
{
    job *j = ctx;
    imp_rng rng;
    imp_rng_init(&rng, 0, imp_hash_str("fashion-mnist"), c, IMP_RNG_KMEANS);
    imp_err err;
    memset(&j->info[c], 0, sizeof j->info[c]);
    double t0 = imp_clock_s();
    j->rc[c] = imp_kmeans(j->x[c], j->n[c], j->d, j->k, &j->opts, &rng, j->centers[c],
                          j->labels[c], &j->info[c], &err);
    j->secs[c] = imp_clock_s() - t0;
    if (j->rc[c])
        fprintf(stderr, "class %zu: %s\n", c, err.msg);
}

/* Best wall time of reps runs over all classes; per-class best times into cls (may be NULL). */
static double run_all(job *j, int threads, int reps, double *cls)
{
    double best = INFINITY;
    for (int c = 0; cls && c < NCLS; c++)
        cls[c] = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = imp_clock_s();
        imp_parallel_for(NCLS, threads, run_class, j);
        double t = imp_clock_s() - t0;
        if (t < best)
            best = t;
        for (int c = 0; cls && c < NCLS; c++)
            if (j->secs[c] < cls[c])
                cls[c] = j->secs[c];
    }
    return best;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 3;
    const char *dir = argc > 2 ? argv[2] : "/usr/share/datasets/fashion-mnist";
    size_t ks[16] = {20, 5, 50}, nk = 3;
    if (argc > 3) {
        nk = 0;
        for (int i = 3; i < argc && nk < 16; i++)
            ks[nk++] = (size_t)atoi(argv[i]);
    }
    /* OpenBLAS starts its threads when the library loads; they must not exist at all, or they
     * spin next to the two k-means threads: restart once with the environment set. */
    if (!getenv("OPENBLAS_NUM_THREADS")) {
        setenv("OPENBLAS_NUM_THREADS", "1", 1);
        execv("/proc/self/exe", argv);
    }
    imp_blas_set_threads(1);

    char p1[512], p2[512];
    snprintf(p1, sizeof p1, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(p2, sizeof p2, "%s/train-labels-idx1-ubyte.gz", dir);
    uint32_t di[3], dl[3];
    unsigned char *img = read_idx(p1, 0x00000803, di, 3);
    unsigned char *lab = read_idx(p2, 0x00000801, dl, 1);
    if (!img || !lab || di[0] != dl[0])
        return 1;
    size_t N = di[0], d = (size_t)di[1] * di[2];

    /* group by class, scale /255, L2-normalise rows */
    size_t cnt[NCLS] = {0};
    for (size_t i = 0; i < N; i++)
        cnt[lab[i] % NCLS]++;
    job *j = calloc(1, sizeof *j);
    float *xs[NCLS];
    for (int c = 0; c < NCLS; c++) {
        xs[c] = malloc(cnt[c] * d * sizeof(float));
        j->x[c] = xs[c];
        j->n[c] = 0;
    }
    for (size_t i = 0; i < N; i++) {
        int c = lab[i] % NCLS;
        float *r = xs[c] + j->n[c]++ * d;
        double q = 0;
        for (size_t t = 0; t < d; t++) {
            r[t] = (float)img[i * d + t] / 255.0f;
            q += (double)r[t] * r[t];
        }
        float inv = q > 0 ? (float)(1.0 / sqrt(q)) : 0.0f;
        for (size_t t = 0; t < d; t++)
            r[t] *= inv;
    }
    free(img);
    free(lab);
    j->d = d;
    printf("Fashion-MNIST train: %zu rows, d = %zu, %d classes of ~%zu rows, reps %d (best of)\n",
           N, d, NCLS, j->n[0], reps);

    for (size_t ik = 0; ik < nk; ik++) {
        size_t k = ks[ik];
        j->k = k;
        float *cen[2][NCLS];
        int32_t *labs[2][NCLS];
        imp_kmeans_info inf[2][NCLS];
        double tser[2], tpar[2], tcls[2][NCLS];
        for (int a = 0; a < 2; a++) {
            imp_kmeans_opts_default(&j->opts);
            j->opts.algorithm = a == 0 ? IMP_KMEANS_ACCEL : IMP_KMEANS_LLOYD;
            for (int c = 0; c < NCLS; c++) {
                cen[a][c] = malloc(k * d * sizeof(float));
                labs[a][c] = malloc(j->n[c] * sizeof(int32_t));
                j->centers[c] = cen[a][c];
                j->labels[c] = labs[a][c];
            }
            tser[a] = run_all(j, 1, reps, tcls[a]);
            tpar[a] = run_all(j, 2, reps, NULL);
            memcpy(inf[a], j->info, sizeof j->info);
        }
        printf("\nk = %zu\n", k);
        printf("cls  n     it_acc it_lloyd strict  dist_init  dist_iter  lloyd_dist  saved   "
               "t_acc  t_lloyd  lab_diff  inertia_reldiff  max|dc|\n");
        uint64_t si = 0, sd = 0, sl = 0;
        int tot_it = 0;
        for (int c = 0; c < NCLS; c++) {
            const imp_kmeans_info *A = &inf[0][c], *B = &inf[1][c];
            size_t nd = 0;
            for (size_t i = 0; i < j->n[c]; i++)
                nd += labs[0][c][i] != labs[1][c][i];
            double mx = 0;
            for (size_t t = 0; t < k * d; t++) {
                double e = fabs((double)cen[0][c][t] - cen[1][c][t]);
                if (e > mx)
                    mx = e;
            }
            printf("%3d %5zu  %6d %8d %6d %10llu %10llu %11llu %5.1f%%  %6.3f  %7.3f  %8zu  "
                   "%15.3g  %.3g\n",
                   c, j->n[c], A->n_iter, B->n_iter, A->strict_convergence,
                   (unsigned long long)A->n_dist_init, (unsigned long long)A->n_dist_iter,
                   (unsigned long long)A->n_dist_lloyd,
                   100.0 * (1.0 - (double)A->n_dist_iter / (double)A->n_dist_lloyd), tcls[0][c],
                   tcls[1][c], nd, (A->inertia - B->inertia) / B->inertia, mx);
            si += A->n_dist_init;
            sd += A->n_dist_iter;
            sl += A->n_dist_lloyd;
            tot_it += A->n_iter;
        }
        printf("total: %d iterations; E-step distances %llu of %llu (%.1f%% saved); init %llu\n",
               tot_it, (unsigned long long)sd, (unsigned long long)sl,
               100.0 * (1.0 - (double)sd / (double)sl), (unsigned long long)si);
        printf("time (s, best of %d): accelerated 1 thread %.3f, 2 threads %.3f | "
               "lloyd 1 thread %.3f, 2 threads %.3f\n",
               reps, tser[0], tpar[0], tser[1], tpar[1]);
        for (int a = 0; a < 2; a++)
            for (int c = 0; c < NCLS; c++) {
                free(cen[a][c]);
                free(labs[a][c]);
            }
    }
    for (int c = 0; c < NCLS; c++)
        free(xs[c]);
    free(j);
    return 0;
}
