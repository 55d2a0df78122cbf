/* rng.c — xoshiro256** (Blackman & Vigna) with splitmix64 seeding. */
#include "imprint/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t imp_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

void imp_rng_init(imp_rng *r, uint64_t seed, uint64_t task, uint64_t cls, uint64_t stream)
{
    uint64_t x = seed;
    x = splitmix64(&x) ^ task;
    x = splitmix64(&x) ^ cls;
    x = splitmix64(&x) ^ stream;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

__extension__ typedef unsigned __int128 u128;

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t imp_rng_u64(imp_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double imp_rng_uniform(imp_rng *r) { return (double)(imp_rng_u64(r) >> 11) * 0x1.0p-53; }

uint64_t imp_rng_below(imp_rng *r, uint64_t n)
{
    /* Lemire: multiply-shift with rejection of the biased low zone. */
    u128 m = (u128)imp_rng_u64(r) * n;
    uint64_t l = (uint64_t)m;
    if (l < n) {
        uint64_t t = -n % n;
        while (l < t) {
            m = (u128)imp_rng_u64(r) * n;
            l = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double imp_rng_normal(imp_rng *r)
{
    double u1 = imp_rng_uniform(r), u2 = imp_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void imp_rng_perm_prefix(imp_rng *r, size_t n, size_t k, size_t *idx)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    if (k > n)
        k = n;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)imp_rng_below(r, n - i);
        size_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
