#include <nebula.h>
#line 1 "users.h"
#ifndef USERS_H
#define USERS_H

#include <nebula.h>

NB_STRUCT typedef struct user {      /* serializable: fields of supported types */
    int64_t id;
    char   *name;
} user_t; extern const nb__type nb__type_user_t; void nb_free_user_t(user_t *p); void nb_clear_user_t(user_t *p);

/* NULL when there is no such user; free with nb_free_user_t(). */
user_t *users_find(int64_t id); NB__DECLS_BEGIN user_t *users_find__with(const nb_call *call, int64_t id); nb_future *users_find__async(int64_t id); nb_future *users_find__async_with(const nb_call *call, int64_t id); user_t *users_find__await(nb_future *fut); NB__DECLS_END
int64_t users_count(void); NB__DECLS_BEGIN int64_t users_count__with(const nb_call *call); nb_future *users_count__async(void); nb_future *users_count__async_with(const nb_call *call); int64_t users_count__await(nb_future *fut); NB__DECLS_END
bool users_rename(int64_t id, const char *name); NB__DECLS_BEGIN bool users_rename__with(const nb_call *call, int64_t id, const char *name); nb_future *users_rename__async(int64_t id, const char *name); nb_future *users_rename__async_with(const nb_call *call, int64_t id, const char *name); bool users_rename__await(nb_future *fut); NB__DECLS_END
void users_update_cache(int64_t id, const user_t *u); NB__DECLS_BEGIN void users_update_cache__with(const nb_call *call, int64_t id, const user_t *u); nb_future *users_update_cache__async(int64_t id, const user_t *u); nb_future *users_update_cache__async_with(const nb_call *call, int64_t id, const user_t *u); void users_update_cache__await(nb_future *fut); NB__DECLS_END

#endif
