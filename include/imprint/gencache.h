/* gencache.h — the GEN cache: results that several GEN computations of one held task share. */
#ifndef IMPRINT_GENCACHE_H
#define IMPRINT_GENCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "imprint/err.h"
#include "imprint/store.h"
#include "imprint/strategy.h"

/* What GEN computations of one held task share (owned by whoever holds the task, e.g. a sweep
 * worker: create it when the task's rows are loaded, destroy it before they are freed): the
 * Cholesky factor of XᵀX/N + λI per (rows, NORMpre, shot, seed at a shot, participating
 * classes), so ls and kls at every k solve against one factor; and per (rows, NORMpre, shot,
 * seed at a shot) each class's kmedoids distance-row sums (the n²·d init), for every k. Using a cache never changes a
 * result: the factor is a function of exactly those keys. Not thread-safe: one GEN at a time. */
typedef struct imp_gen_cache imp_gen_cache;
int imp_gen_cache_create(imp_gen_cache **out, imp_err *err);
void imp_gen_cache_destroy(imp_gen_cache *c);
/* Shared results (ls factors, kmedoids row-sum sets) found in (hits) and added to (misses)
 * the cache so far. */
void imp_gen_cache_stats(const imp_gen_cache *c, size_t *hits, size_t *misses);

/* What a shared result is a function of (the fields of imp_gen_params that matter): the
 * held rows (by identity), NORMpre, shot, the seed (only at a shot: at shot = all the rows
 * do not depend on it) and, for an ls factor, λ. */
typedef struct imp_gen_key {
    const imp_data *train;
    imp_norm pre;
    int shot;
    uint64_t seed;
    double lambda;
} imp_gen_key;

/* The ls factor U of key's rows with the classes part[c] = 1 taking part (part has
 * train->n_classes entries), or NULL; owned by the cache. c may be NULL (nothing found). */
const double *imp_gen_cache_ls_find(imp_gen_cache *c, const imp_gen_key *key, const char *part);
/* Keep U in the cache (which then owns it); returns 0, or -1 if it could not (no cache, no
 * memory: the caller keeps and frees U). */
int imp_gen_cache_ls_put(imp_gen_cache *c, const imp_gen_key *key, const char *part, double *U);
/* The kmedoids row-sum slots of key (one per class, NULL until that class fills it), made on
 * first use; NULL when there is no cache or no memory (kmedoids then computes its sums
 * itself). Slot c is written only by the thread generating class c. */
double **imp_gen_cache_kmed_slots(imp_gen_cache *c, const imp_gen_key *key);

#endif
