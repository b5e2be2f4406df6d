/* users.h — the users of the docs' samples; served by &db nodes. */
#ifndef DOCS_USERS_H
#define DOCS_USERS_H

#include <nebula.h>

NB_STRUCT typedef struct user {
    int64_t id;
    char *name;
} user_t;

/* NULL when there is no such user; the caller frees with nb_free_user_t(). */
user_t *users_find(int64_t id);

/* Number of users. */
int64_t users_count(void);

/* Refreshes this node's cached copy of user id (u is borrowed). */
void users_update_cache(int64_t id, const user_t *u);

/* Stores u on one replica; true when it was written. */
bool users_write_replica(const user_t *u);

#endif
