/* kvmap.c — chained hashing under one mutex: simple, and plenty for a demo cache. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvmap.h"

#define KVMAP_BUCKETS 64

typedef struct kv_entry {
    struct kv_entry *next;
    char *key;
    char *value;
} kv_entry;

struct kvmap {
    pthread_mutex_t mu;
    kv_entry *buckets[KVMAP_BUCKETS];
    size_t size;
};

/* FNV-1a of key (borrowed): short keys, no adversary, so a simple hash will do. */
static size_t bucket_of(const char *key)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3u;
    return (size_t)(h % KVMAP_BUCKETS);
}

/* Returns the link that points at key's entry (or at the bucket's NULL end);
 * call with m->mu held. The pointer is into m and valid while the lock is. */
static kv_entry **find_link(kvmap *m, const char *key)
{
    kv_entry **link = &m->buckets[bucket_of(key)];
    while (*link && strcmp((*link)->key, key) != 0)
        link = &(*link)->next;
    return link;
}

/* Returns a map owned by the caller (kvmap_free). */
kvmap *kvmap_new(void)
{
    kvmap *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->mu, NULL);
    return m;
}

/* m is owned by the caller and released here. */
void kvmap_free(kvmap *m)
{
    if (!m)
        return;
    for (size_t b = 0; b < KVMAP_BUCKETS; b++) {
        for (kv_entry *e = m->buckets[b], *next; e; e = next) {
            next = e->next;
            free(e->key);
            free(e->value);
            free(e);
        }
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* Returns a heap entry holding copies of key and value (borrowed), or NULL. */
static kv_entry *entry_new(const char *key, const char *value)
{
    kv_entry *e = calloc(1, sizeof *e);
    if (e && (e->key = strdup(key)) != NULL && (e->value = strdup(value)) != NULL)
        return e;
    if (e)
        free(e->key);
    free(e);
    return NULL;
}

/* key and value are borrowed; the map keeps its own copies. */
bool kvmap_put(kvmap *m, const char *key, const char *value)
{
    pthread_mutex_lock(&m->mu);
    kv_entry **link = find_link(m, key);
    bool replaced = *link != NULL;
    if (replaced) {
        char *copy = strdup(value);
        if (copy) {
            free((*link)->value);
            (*link)->value = copy;
        }
    } else if ((*link = entry_new(key, value)) != NULL) {
        m->size++;
    }
    pthread_mutex_unlock(&m->mu);
    return replaced;
}

/* Returns a copy owned by the caller (free), or NULL. */
char *kvmap_get(kvmap *m, const char *key)
{
    pthread_mutex_lock(&m->mu);
    kv_entry *e = *find_link(m, key);
    char *value = e ? strdup(e->value) : NULL;
    pthread_mutex_unlock(&m->mu);
    return value;
}

/* key is borrowed. */
bool kvmap_remove(kvmap *m, const char *key)
{
    pthread_mutex_lock(&m->mu);
    kv_entry **link = find_link(m, key);
    kv_entry *e = *link;
    if (e) {
        *link = e->next;
        m->size--;
    }
    pthread_mutex_unlock(&m->mu);
    if (e) {
        free(e->key);
        free(e->value);
        free(e);
    }
    return e != NULL;
}

/* m is borrowed. */
size_t kvmap_size(kvmap *m)
{
    pthread_mutex_lock(&m->mu);
    size_t n = m->size;
    pthread_mutex_unlock(&m->mu);
    return n;
}
