/* proxy.h — GEN: presampling and proxy generation, per class (the kernels of IMP_GEN_MAP) or
 * jointly over every class (its lsq rows); docs/semantics.md "GEN". */
#ifndef IMPRINT_PROXY_H
#define IMPRINT_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/gencache.h"
#include "imprint/store.h"
#include "imprint/strategy.h"

/* The proxies of a task: class c owns rows offset[c] .. offset[c+1]-1 of W [P, d], in
 * generation order. */
typedef struct imp_proxies {
    size_t P, d;
    int n_classes;
    size_t *offset; /* n_classes + 1 */
    float *W;
    double gen_seconds; /* wall time of the GEN sections only (reference's total_GEN_time) */
} imp_proxies;

void imp_proxies_free(imp_proxies *p);
/* Deep copy (for applying several NORMpost to one GEN result). */
int imp_proxies_copy(const imp_proxies *src, imp_proxies *dst, imp_err *err);

typedef struct imp_gen_params {
    imp_norm pre;       /* NORMpre applied here, class by class (none when the caller passes
                         * rows it has normalised already) */
    imp_gen gen;
    int k;              /* proxies per class; -1 = every row */
    int shot;           /* rows per class drawn before GEN; -1 = all */
    uint64_t seed;      /* the cell's seed */
    uint64_t task_hash; /* imp_hash_str(task name): draws are seeded by (seed, task, class) */
    double lambda;      /* weight decay for ls/kls */
    int threads;        /* classes generated in parallel (BLAS should then run 1 thread) */
    imp_gen_cache *cache; /* NULL: nothing shared; else the held task's cache (the rows passed
                           * to imp_gen_run must be the ones the cache was used with) */
} imp_gen_params;

/* Generate proxies from the training rows grouped by class (not modified). Per class c:
 * NORMpre (l2 without epsilon: on a copy of the class's rows, or fused into the mean for
 * GEN mean, so the whole training set is never copied); draw min(shot, n_c) rows without replacement (stream IMP_RNG_SHOT of
 * (seed, task, c); order = draw order, as torch.randperm(n)[:f]); then GEN. If gen is all,
 * k = -1 or n_c < k, the class's rows themselves are its proxies (kls: raw rows, left out of
 * the joint system). Failures (non-finite input, singular system) → IMP_ENUMERIC. */
int imp_gen_run(const imp_data *train, const imp_gen_params *gp, imp_proxies *out, imp_err *err);

#endif
