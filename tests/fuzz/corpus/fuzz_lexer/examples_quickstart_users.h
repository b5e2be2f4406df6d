#ifndef USERS_H
#define USERS_H

#include <nebula.h>

NB_STRUCT typedef struct user {
    int64_t id;
    char *name;
} user_t;

/* NULL when there is no such user; the caller frees with nb_free_user_t(). */
user_t *users_find(int64_t id);

/* Number of users the db node holds. */
int64_t users_count(void);

#endif
