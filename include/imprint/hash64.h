/* hash64.h — XXH64 (Yann Collet's xxHash, 64-bit variant, seed 0), one-shot and streaming: the
 * content hash of store fingerprints and of journal cell keys. */
#ifndef IMPRINT_HASH64_H
#define IMPRINT_HASH64_H

#include <stddef.h>
#include <stdint.h>

/* Streaming state; imp_hash64_init before the first update. Bytes fed in any split give the
 * same digest as one imp_hash64 call over their concatenation. */
typedef struct imp_hash64_state {
    uint64_t v[4];
    uint64_t total;
    unsigned char buf[32];
    size_t nbuf;
} imp_hash64_state;

void imp_hash64_init(imp_hash64_state *s);
void imp_hash64_update(imp_hash64_state *s, const void *p, size_t n);
uint64_t imp_hash64_digest(const imp_hash64_state *s);
/* XXH64(p, n, seed 0). */
uint64_t imp_hash64(const void *p, size_t n);

#endif
