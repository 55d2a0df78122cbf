/* gencache.c — what the GEN computations of one held task share: ls factors, kmedoids sums. */
#include "imprint/gencache.h"

#include <stdlib.h>
#include <string.h>

/* An ls entry is the factor of the rows of one (training rows, NORMpre, shot, seed) with one set
 * of participating classes: ls and kls at every k with every class taking part share it. At
 * shot = all the rows do not depend on the seed, so the seed is not part of the key. */
typedef struct ls_entry {
    const imp_data *train; /* identity of the held rows (raw or NORMpre'd copy) */
    imp_norm pre;
    int shot;
    uint64_t seed;
    double lambda;
    char *part; /* [C] 1 if class c takes part */
    size_t C, d;
    double *U;
} ls_entry;

/* kmedoids row sums per class of one (training rows, NORMpre, shot, seed at a shot): slot c
 * is written only by the thread generating class c (classes run in parallel). */
typedef struct kmed_entry {
    const imp_data *train;
    imp_norm pre;
    int shot;
    uint64_t seed;
    double **rs; /* [C] */
    size_t C;
} kmed_entry;

struct imp_gen_cache {
    ls_entry *e;
    size_t n, cap;
    size_t hits, misses;
    kmed_entry *km;
    size_t nkm, capkm;
};

int imp_gen_cache_create(imp_gen_cache **out, imp_err *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : imp_err_set(err, IMP_ENOMEM, "out of memory for the GEN cache");
}

void imp_gen_cache_destroy(imp_gen_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].part), free(c->e[i].U);
    for (size_t i = 0; i < c->nkm; i++) {
        for (size_t q = 0; q < c->km[i].C; q++)
            free(c->km[i].rs[q]);
        free(c->km[i].rs);
    }
    free(c->e), free(c->km);
    free(c);
}

void imp_gen_cache_stats(const imp_gen_cache *c, size_t *hits, size_t *misses)
{
    *hits = c ? c->hits : 0;
    *misses = c ? c->misses : 0;
}

const double *imp_gen_cache_ls_find(imp_gen_cache *c, const imp_gen_key *key, const char *part)
{
    for (size_t i = 0; c && i < c->n; i++) {
        const ls_entry *e = &c->e[i];
        if (e->train == key->train && e->pre == key->pre && e->shot == key->shot &&
            (key->shot < 0 || e->seed == key->seed) && e->lambda == key->lambda &&
            e->C == (size_t)key->train->n_classes && memcmp(e->part, part, e->C) == 0) {
            c->hits++;
            return e->U;
        }
    }
    return NULL;
}

int imp_gen_cache_ls_put(imp_gen_cache *c, const imp_gen_key *key, const char *part, double *U)
{
    if (!c)
        return -1;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        ls_entry *e = realloc(c->e, cap * sizeof *e);
        if (!e)
            return -1;
        c->e = e;
        c->cap = cap;
    }
    ls_entry *e = &c->e[c->n];
    e->part = malloc((size_t)key->train->n_classes);
    if (!e->part)
        return -1;
    memcpy(e->part, part, (size_t)key->train->n_classes);
    e->train = key->train;
    e->pre = key->pre;
    e->shot = key->shot;
    e->seed = key->seed;
    e->lambda = key->lambda;
    e->C = (size_t)key->train->n_classes;
    e->d = key->train->d;
    e->U = U;
    c->n++;
    c->misses++;
    return 0;
}

double **imp_gen_cache_kmed_slots(imp_gen_cache *c, const imp_gen_key *key)
{
    if (!c)
        return NULL;
    for (size_t i = 0; i < c->nkm; i++) {
        kmed_entry *e = &c->km[i];
        if (e->train == key->train && e->pre == key->pre && e->shot == key->shot &&
            (key->shot < 0 || e->seed == key->seed)) {
            c->hits++;
            return e->rs;
        }
    }
    if (c->nkm == c->capkm) {
        size_t cap = c->capkm ? 2 * c->capkm : 8;
        kmed_entry *e = realloc(c->km, cap * sizeof *e);
        if (!e)
            return NULL;
        c->km = e;
        c->capkm = cap;
    }
    kmed_entry *e = &c->km[c->nkm];
    e->rs = calloc((size_t)key->train->n_classes, sizeof *e->rs);
    if (!e->rs)
        return NULL;
    e->train = key->train;
    e->pre = key->pre;
    e->shot = key->shot;
    e->seed = key->seed;
    e->C = (size_t)key->train->n_classes;
    c->nkm++;
    c->misses++;
    return e->rs;
}
