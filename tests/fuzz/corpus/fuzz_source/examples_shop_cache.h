/*
 * cache.h — a cache on every &cache node, reachable from any node.
 *
 * Each &cache node holds its own copy. A plain call reaches one node (this one
 * when it carries &cache); reach several on purpose with NB_ON_NODES or
 * NB_ON_ALL_NODES, as session.c does to update and invalidate.
 */
#ifndef SHOP_CACHE_H
#define SHOP_CACHE_H

#include <nebula.h>

/* Stores value under key (both borrowed). Returns true when it replaced a value. */
bool cache_put(const char *key, const char *value);

/* Returns the cached value owned by the caller (free), or NULL on a miss. */
char *cache_get(const char *key);

/* Drops key (borrowed). Returns true when it was cached. */
bool cache_invalidate(const char *key);

#endif
