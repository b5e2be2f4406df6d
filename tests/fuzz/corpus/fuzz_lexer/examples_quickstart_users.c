#define _POSIX_C_SOURCE 200809L /* sigwait, strdup */
#include <stdlib.h>
#include <string.h>

#include <nebula.h>
#include "users.h"

#if NB_ON("&db")
#include "store.h" /* only &db nodes even reference the store */
#endif

NB_API("&db")
user_t *users_find(int64_t id)
{
    const char *name = store_get(id);
    if (name == NULL)
        return NULL; /* the C nil: returned as-is, never wrapped */
    user_t *u = malloc(sizeof *u);
    u->id = id;
    u->name = strdup(name);
    return u;
}

NB_API("&db")
int64_t users_count(void)
{
    return 3;
}
