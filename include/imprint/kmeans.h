/* kmeans.h — k-means with scikit-learn 1.5.2 KMeans semantics (centring, variance-scaled tol,
 * greedy k-means++, Lloyd with empty-cluster relocation), plus an exact Elkan acceleration. */
#ifndef IMPRINT_KMEANS_H
#define IMPRINT_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/rng.h"

typedef enum imp_kmeans_algo {
    /* Elkan's triangle-inequality bounds (one upper, k lower bounds per point) with safety
     * margins for float32 rounding: the labels/centres of Lloyd, with far fewer distances. */
    IMP_KMEANS_ACCEL = 0,
    /* Plain Lloyd, E-step by chunked SGEMM (argmin of ||c||^2 - 2 x.c), the reference path. */
    IMP_KMEANS_LLOYD = 1
} imp_kmeans_algo;

typedef struct imp_kmeans_opts {
    int max_iter;              /* Lloyd iterations at most (sklearn 300) */
    double tol;                /* relative tol (sklearn 1e-4); the stop threshold on
                                * sum_j ||c_j' - c_j||^2 is tol * mean over features of Var */
    imp_kmeans_algo algorithm; /* IMP_KMEANS_ACCEL by default */
    const float *init;         /* NULL: greedy k-means++ from rng (sklearn's default); else k x d
                                * initial centres (sklearn init=ndarray), rng is not used */
} imp_kmeans_opts;

typedef struct imp_kmeans_info {
    /* Optional outputs owned by the caller: set them (or leave NULL) before the call. */
    double *inertia_trace; /* >= max_iter entries; [t] = inertia of (labels_t, centres_t),
                            * the assignment of iteration t against the centres it used */
    size_t *init_indices;  /* k entries: the rows chosen by k-means++, in centre order (not
                            * written when opts.init is set) */
    /* Written by imp_kmeans: */
    int n_iter;             /* sklearn's n_iter_ (iterations run, 1..max_iter) */
    int strict_convergence; /* 1: stopped because labels did not change */
    int n_relocated;        /* empty clusters moved to far points, over all iterations */
    double inertia;         /* sum ||x_i - c_label(i)||^2 of the returned result (double) */
    double tol_abs;         /* the scaled tolerance actually used */
    uint64_t n_dist_init;   /* point-candidate distances computed by k-means++ */
    uint64_t n_dist_iter;   /* point-centre distances computed by the E-steps (all kinds) */
    uint64_t n_dist_exact;  /* of those, on the float32 rows because the half rows left the
                             * nearest centre ambiguous (accelerated path) */
    uint64_t n_dist_lloyd;  /* what plain Lloyd computes for the same E-steps: n*k*(steps) */
} imp_kmeans_info;

/* max_iter 300, tol 1e-4, IMP_KMEANS_ACCEL, init NULL. */
void imp_kmeans_opts_default(imp_kmeans_opts *o);

/* Cluster the n rows of x (n x d float32, row-major, not modified) into k clusters, one run
 * (sklearn n_init = 1) with sklearn 1.5.2 KMeans semantics:
 *  - the data is centred by its float32 column mean, which is added back to the centres;
 *  - tol_abs = opts.tol * mean over features of the population variance;
 *  - greedy k-means++ with 2 + floor(ln k) local trials. Draw order from rng: the first centre
 *    is imp_rng_below(rng, n); then for each further centre 2 + floor(ln k) uniforms u_t,
 *    candidate_t = first i with cumsum(closest_d2)[i] >= u_t * potential (clipped to n-1);
 *    the candidate with the lowest potential wins (first on ties). The squared distances of
 *    the potentials come from a float16 copy of the centred rows (relative error ~1e-4;
 *    sklearn computes them in float64), the centres are the float32 rows;
 *  - Lloyd, up to max_iter: labels by argmin distance (lowest index on ties); an empty cluster
 *    takes the point farthest from its old centre (sklearn _relocate_empty_clusters_dense;
 *    among equal distances the lower row first); a cluster still empty gets the row of the
 *    heaviest cluster as sklearn's _average_centers does, including its order quirk (the
 *    un-averaged sum when that cluster has the higher index); stop when no label changed
 *    (strict) or when sum_j ||c_j' - c_j||^2 <= tol_abs; if not strict, one more E-step.
 * Centre sums are accumulated in double; inertia is computed from them (double).
 * IMP_KMEANS_ACCEL prunes with triangle-inequality bounds that absorb all rounding; what they
 * leave open is decided on float32 distances. It and IMP_KMEANS_LLOYD (argmin of an SGEMM
 * ||c||^2 - 2 x.c) can differ only where two centres are equally far within float32 rounding.
 * centers: k x d output (cluster-index order). labels: n entries or NULL. info: NULL or a
 * struct whose two optional pointers are set or NULL. opts NULL = defaults.
 * Requires 1 <= k <= n (k > n: IMP_EINPUT, sklearn's "n_samples should be >= n_clusters";
 * k == n is fine), k <= 1024, n < 2^31, d >= 1. Non-finite values or |x| > 1e15 in x, or
 * non-finite values in opts.init: IMP_ENUMERIC. IMP_ENOMEM if allocation fails. Memory: about 2 n d bytes (+4 n d
 * for IMP_KMEANS_LLOYD) and 4 n k bytes.
 * Thread-safe and re-entrant (no global state; rng is the caller's): run classes on threads,
 * one call each. Only IMP_KMEANS_LLOYD calls BLAS (cblas_sgemm); threaded callers should keep
 * the BLAS single-threaded (imp_blas_set_threads(1), imprint/blas.h). */
int imp_kmeans(const float *x, size_t n, size_t d, size_t k, const imp_kmeans_opts *opts,
               imp_rng *rng, float *centers, int32_t *labels, imp_kmeans_info *info,
               imp_err *err);

#endif
