#ifndef USERS_H
#define USERS_H

#include <nebula.h>

NB_STRUCT typedef struct user {      /* serializable: fields of supported types */
    int64_t id;
    char   *name;
} user_t;

/* NULL when there is no such user; free with nb_free_user_t(). */
user_t *users_find(int64_t id);
int64_t users_count(void);
bool users_rename(int64_t id, const char *name);
void users_update_cache(int64_t id, const user_t *u);

#endif
