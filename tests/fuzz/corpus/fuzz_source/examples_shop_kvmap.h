/*
 * kvmap.h — a small thread-safe string-to-string map.
 *
 * A plain single-node library: it knows nothing of NebulaAPI. cache.c turns it
 * into a cluster-wide cache with three NB_API wrappers, without touching it.
 */
#ifndef SHOP_KVMAP_H
#define SHOP_KVMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kvmap kvmap;

/* Returns an empty map owned by the caller (kvmap_free), or NULL without memory. */
kvmap *kvmap_new(void);

/* Frees the map and every entry. NULL-safe. */
void kvmap_free(kvmap *m);

/* Stores copies of key and value (borrowed). Returns true when key already had a
 * value. Out of memory, the map is left as it was. */
bool kvmap_put(kvmap *m, const char *key, const char *value);

/* Returns a copy of the value owned by the caller (free), or NULL when absent. */
char *kvmap_get(kvmap *m, const char *key);

/* Removes key (borrowed). Returns true when it was present. */
bool kvmap_remove(kvmap *m, const char *key);

/* The number of entries in m (borrowed). */
size_t kvmap_size(kvmap *m);

#endif
