/*
 * cookie.h — the cluster secret: loading it (nb_start's policy) and the MACs and
 * random bytes made with it. Ground floor: includes only status.h; the key is
 * always passed in, so this module reads no shared state.
 */
#ifndef NB_RUNTIME_COOKIE_H
#define NB_RUNTIME_COOKIE_H

#include <stddef.h>

/* Loads the cluster secret as nb_start's policy says: opts value, $NEBULA_COOKIE,
 * $NEBULA_COOKIE_FILE, else ~/.nebula.cookie created 0600 on first use with a
 * fresh 192-bit secret. A cookie shorter than min_len bytes is refused
 * (NB_E_CONFIG). Returns 0 and a heap copy in *out (the caller frees it), or -1
 * after nb__fail. */
int nb__cookie_load(const char *given, size_t min_len, unsigned char **out, size_t *len);

/* HMAC-SHA256(key, label || parts[0] || parts[1] || ...) into mac[32]; each part
 * is prefixed with its 4-byte big-endian length, so no two different lists of
 * parts give the same input. */
typedef struct nb__mac_part {
    const void *data;
    size_t len;
} nb__mac_part;
void nb__cookie_mac(const unsigned char *key, size_t key_len, const char *label,
                    const nb__mac_part *parts, size_t n_parts, unsigned char *mac);

/* Fills buf with n cryptographically random bytes; returns 0 or -1. */
int nb__random_bytes(void *buf, size_t n);

#endif /* NB_RUNTIME_COOKIE_H */
