/*
 * cache.c — kvmap, a single-node library, made cluster-wide by three wrappers.
 *
 * kvmap.c is not touched and knows nothing of the cluster: these NB_API lines
 * pin it to the &cache nodes, and every other node reaches it through them.
 */
#include <nebula.h>
#include "cache.h"

#if NB_ON("&cache")
#include <pthread.h>

#include "kvmap.h"

/* This node's cache, created on first use and kept for the life of the process. */
static kvmap *cache;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_create(void)
{
    cache = kvmap_new();
}

/* Returns the process's map (owned here, never freed), or NULL without memory. */
static kvmap *the_cache(void)
{
    pthread_once(&cache_once, cache_create);
    return cache;
}
#endif /* NB_ON("&cache") */

/* key and value are borrowed: kvmap keeps its own copies. */
NB_API("&cache")
bool cache_put(const char *key, const char *value)
{
    kvmap *m = the_cache();
    return m && kvmap_put(m, key, value);
}

/* Returns a copy owned by the caller (free), or NULL on a miss. */
NB_API("&cache")
char *cache_get(const char *key)
{
    kvmap *m = the_cache();
    return m ? kvmap_get(m, key) : NULL;
}

/* key is borrowed. */
NB_API("&cache")
bool cache_invalidate(const char *key)
{
    kvmap *m = the_cache();
    return m && kvmap_remove(m, key);
}
