/*
 * hash.h — FNV-1a 64, the hash behind method wire identities and topology
 * fingerprints. It only has to tell builds apart, not resist an attacker: the
 * cookie HMAC is what authenticates a peer.
 */
#ifndef NB_COMMON_HASH_H
#define NB_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define NB__FNV64_INIT UINT64_C(0xcbf29ce484222325)

static inline uint64_t nb__fnv64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

#endif /* NB_COMMON_HASH_H */
