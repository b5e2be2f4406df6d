/* cache.h — a string cache of the docs' samples; served by &cache nodes. */
#ifndef DOCS_CACHE_H
#define DOCS_CACHE_H

#include <nebula.h>

/* A copy of the value owned by the caller (free), or NULL on a miss. */
char *cache_get(const char *key);

/* Stores copies of key and value (borrowed); true when it replaced a value. */
bool cache_put(const char *key, const char *value);

/* Drops every entry; returns how many there were. */
int64_t cache_invalidate_all(void);

/* The number of entries. */
int64_t cache_size(void);

#endif
