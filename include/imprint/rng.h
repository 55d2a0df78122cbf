/* rng.h — the one random generator of imprint: xoshiro256** seeded by splitmix64 from
 * (seed, task, class, stream), so every draw of a cell is reproducible on any rank, any run. */
#ifndef IMPRINT_RNG_H
#define IMPRINT_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Independent streams of one (seed, task, class): each kind of draw has its own, so that
 * e.g. changing the shot does not shift the k-means++ draws of the same class. */
enum {
    IMP_RNG_SHOT = 1,   /* few-shot presampling */
    IMP_RNG_RANDOM = 2, /* GEN random */
    IMP_RNG_FPS = 3,    /* GEN fps start point */
    IMP_RNG_KMEANS = 4, /* k-means++ init (kmeans, kls) */
    IMP_RNG_FEATURE = 5 /* randfeat feature map */
};

typedef struct imp_rng {
    uint64_t s[4];
} imp_rng;

/* FNV-1a 64 of a string (used for task names). */
uint64_t imp_hash_str(const char *s);
/* Seed from the cell's seed, a task hash, a class index and a stream id. Documented mixing:
 * x = splitmix64 chain over (seed, task, cls, stream); state = 4 further splitmix64 outputs. */
void imp_rng_init(imp_rng *r, uint64_t seed, uint64_t task, uint64_t cls, uint64_t stream);
uint64_t imp_rng_u64(imp_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double imp_rng_uniform(imp_rng *r);
/* Uniform integer in [0, n), unbiased (Lemire's method); n > 0. */
uint64_t imp_rng_below(imp_rng *r, uint64_t n);
/* Standard normal (Box–Muller, one value per call). */
double imp_rng_normal(imp_rng *r);
/* First k entries of a uniformly random permutation of 0..n-1 (partial Fisher–Yates), the
 * analogue of torch.randperm(n)[:k]. idx must hold n entries (used as scratch); the result is
 * idx[0..k-1]. */
void imp_rng_perm_prefix(imp_rng *r, size_t n, size_t k, size_t *idx);

#endif
