/* kvmap.h — a plain thread-safe string map, a single-node library that knows
 * nothing of NebulaAPI (examples/shop/kvmap.h is a real one). */
#ifndef DOCS_KVMAP_H
#define DOCS_KVMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kvmap kvmap;

/* Returns an empty map owned by the caller (kvmap_free), or NULL without memory. */
kvmap *kvmap_new(void);
void kvmap_free(kvmap *m);

/* Stores copies of key and value (borrowed); true when key already had a value. */
bool kvmap_put(kvmap *m, const char *key, const char *value);

/* Returns a copy of the value owned by the caller (free), or NULL when absent. */
char *kvmap_get(kvmap *m, const char *key);

#endif
