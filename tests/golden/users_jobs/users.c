#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdlib.h>
#include <string.h>

#include <nebula.h>
#include "users.h"

#if NB_ON("&db")                     /* conditional compilation */
#include "db_store.h"
#endif

NB_API("&db")                        /* body only on &db nodes; RPC everywhere else */
user_t *users_find(int64_t id)
{
    const char *name = db_store_name(id);
    if (name == NULL)
        return NULL;                 /* the C nil: returned as-is */
    user_t *u = malloc(sizeof *u);
    u->id = id;
    u->name = strdup(name);
    return u;
}

NB_API("&db") int64_t users_count(void) { return 1; }

NB_API("&db !@worker")
bool users_rename(int64_t id, const char *name)
{
    return id == 42 && name != NULL;
}

/* Every &cache node keeps a copy; by default one of them is told. */
NB_API("&cache")
void users_update_cache(int64_t id, const user_t *u)
{
    (void)id;
    (void)u;
}
