/*
 * prelude.c — the APIs the docs' samples call, defined once with the selectors
 * the samples assume. check_docs.py splits this file into one source per API:
 * the lines above the first quoted #include, then one paragraph per API that
 * starts with the #include lines it needs (each keeps its own line numbers), so
 * a sample that defines an API — or an NB_STRUCT one of these headers defines —
 * replaces just those. The bodies are placeholders: samples are compiled, not
 * run.
 */
#include <stdlib.h>
#include <string.h>

#include <nebula.h>

#include "users.h"
NB_API("&db")
user_t *users_find(int64_t id)
{
    user_t *u = calloc(1, sizeof *u);
    if (u != NULL)
        u->id = id;
    return u;
}

#include "users.h"
NB_API("&db")
int64_t users_count(void)
{
    return 0;
}

#include "users.h"
NB_API("&cache")
void users_update_cache(int64_t id, const user_t *u)
{
    (void)id;
    (void)u;
}

#include "users.h"
NB_API("&db")
bool users_write_replica(const user_t *u)
{
    return u != NULL;
}

#include "jobs.h"
NB_API("@worker")
bool jobs_transcode(const char *input, const char *output)
{
    return input != NULL && output != NULL;
}

#include "jobs.h"
NB_API("@worker")
char *jobs_health(void)
{
    char *text = malloc(3);
    if (text != NULL)
        memcpy(text, "ok", 3);
    return text;
}

#include "jobs.h"
NB_API("@worker")
uint64_t jobs_checksum(nb_bytes data)
{
    const unsigned char *p = data.data;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < data.len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

#include "heavy.h"
NB_API("@worker")
int64_t heavy_task_run(void)
{
    return 42;
}

#include "cache.h"
NB_API("&cache")
char *cache_get(const char *key)
{
    (void)key;
    return NULL;
}

#include "cache.h"
NB_API("&cache")
bool cache_put(const char *key, const char *value)
{
    return key != NULL && value != NULL;
}

#include "cache.h"
NB_API("&cache")
int64_t cache_invalidate_all(void)
{
    return 0;
}

#include "cache.h"
NB_API("&cache")
int64_t cache_size(void)
{
    return 0;
}

#include "counter.h"
NB_API("@db")
int64_t counter_add(int64_t delta)
{
    return delta;
}
