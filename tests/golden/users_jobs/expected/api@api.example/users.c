#line 1 "users.c"
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdlib.h>
#include <string.h>

#include <nebula.h>
#include "users.h"

#if 0                     /* conditional compilation */

#endif

#include <nebula.h>
#line 12 "users.c"
NB__DECLS_BEGIN user_t *users_find(int64_t id); user_t *users_find__with(const nb_call *call, int64_t id); nb_future *users_find__async(int64_t id); nb_future *users_find__async_with(const nb_call *call, int64_t id); user_t *users_find__await(nb_future *fut); NB__DECLS_END











NB__DECLS_BEGIN int64_t users_count(void); int64_t users_count__with(const nb_call *call); nb_future *users_count__async(void); nb_future *users_count__async_with(const nb_call *call); int64_t users_count__await(nb_future *fut); NB__DECLS_END

NB__DECLS_BEGIN bool users_rename(int64_t id, const char *name); bool users_rename__with(const nb_call *call, int64_t id, const char *name); nb_future *users_rename__async(int64_t id, const char *name); nb_future *users_rename__async_with(const nb_call *call, int64_t id, const char *name); bool users_rename__await(nb_future *fut); NB__DECLS_END





/* Every &cache node keeps a copy; by default one of them is told. */
NB__DECLS_BEGIN void users_update_cache(int64_t id, const user_t *u); void users_update_cache__with(const nb_call *call, int64_t id, const user_t *u); nb_future *users_update_cache__async(int64_t id, const user_t *u); nb_future *users_update_cache__async_with(const nb_call *call, int64_t id, const user_t *u); void users_update_cache__await(nb_future *fut); NB__DECLS_END static __attribute__((used))
void nb__body_users_update_cache(int64_t id, const user_t *u)
{
    (void)id;
    (void)u;
}
#line 43 "<out>/users.c"
#include <nebula.h>
static const nb__module nb__this_module = {"users.c", 0, 0, 0};
/* ---- nebulac 0.1.0: users_find, selector "&db", remote on api@api.example ---- */
struct nb__args_users_find {
    int64_t id;
};
static const nb__field nb__fields_users_find[] = {
    {"id", offsetof(struct nb__args_users_find, id), {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}},
};
static const nb__type nb__args_type_users_find = {
    "users_find", sizeof(struct nb__args_users_find), 1, nb__fields_users_find};
static const uint32_t nb__serving_users_find[] = {1};
const nb__method nb__method_users_find = {
    .name = "users_find",
    .signature = "user_t *users_find(int64_t id)",
    .wire_id = UINT64_C(0xacabf62a5eacc6bf),
    .selector = "&db",
    .module = &nb__this_module,
    .args = &nb__args_type_users_find,
    .ret = {NB__K_STRUCT_PTR, sizeof(user_t *), 0, NULL, &nb__type_user_t},
    .local = NULL,
    .serving = nb__serving_users_find,
    .n_serving = 1,
};
user_t *users_find__with(const nb_call *nb__call, int64_t nb__p0)
{
    struct nb__args_users_find nb__a = {nb__p0};
    user_t *nb__ret = NULL;
    nb__invoke(&nb__method_users_find, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
user_t *users_find(int64_t nb__p0)
{
    return users_find__with(NULL, nb__p0);
}
nb_future *users_find__async_with(const nb_call *nb__call, int64_t nb__p0)
{
    struct nb__args_users_find nb__a = {nb__p0};
    return nb__invoke_async(&nb__method_users_find, nb__call, &nb__a);
}
nb_future *users_find__async(int64_t nb__p0)
{
    return users_find__async_with(NULL, nb__p0);
}
user_t *users_find__await(nb_future *nb__fut)
{
    user_t *nb__ret = NULL;
    nb__future_await(nb__fut, &nb__method_users_find, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: users_count, selector "&db", remote on api@api.example ---- */
struct nb__args_users_count {
    char nb__unused;
};
static const nb__type nb__args_type_users_count = {
    "users_count", sizeof(struct nb__args_users_count), 0, NULL};
static const uint32_t nb__serving_users_count[] = {1};
const nb__method nb__method_users_count = {
    .name = "users_count",
    .signature = "int64_t users_count(void)",
    .wire_id = UINT64_C(0xba54bc18617234ee),
    .selector = "&db",
    .module = &nb__this_module,
    .args = &nb__args_type_users_count,
    .ret = {NB__K_INT, sizeof(int64_t), 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_users_count,
    .n_serving = 1,
};
int64_t users_count__with(const nb_call *nb__call)
{
    struct nb__args_users_count nb__a = {0};
    int64_t nb__ret = 0;
    nb__invoke(&nb__method_users_count, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
int64_t users_count(void)
{
    return users_count__with(NULL);
}
nb_future *users_count__async_with(const nb_call *nb__call)
{
    struct nb__args_users_count nb__a = {0};
    return nb__invoke_async(&nb__method_users_count, nb__call, &nb__a);
}
nb_future *users_count__async(void)
{
    return users_count__async_with(NULL);
}
int64_t users_count__await(nb_future *nb__fut)
{
    int64_t nb__ret = 0;
    nb__future_await(nb__fut, &nb__method_users_count, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: users_rename, selector "&db !@worker", remote on api@api.example ---- */
struct nb__args_users_rename {
    int64_t id;
    const char *name;
};
static const nb__field nb__fields_users_rename[] = {
    {"id", offsetof(struct nb__args_users_rename, id), {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}},
    {"name", offsetof(struct nb__args_users_rename, name), {NB__K_STR, sizeof(const char *), 0, NULL, NULL}},
};
static const nb__type nb__args_type_users_rename = {
    "users_rename", sizeof(struct nb__args_users_rename), 2, nb__fields_users_rename};
static const uint32_t nb__serving_users_rename[] = {1};
const nb__method nb__method_users_rename = {
    .name = "users_rename",
    .signature = "bool users_rename(int64_t id, const char *name)",
    .wire_id = UINT64_C(0xd82519df1944f1a0),
    .selector = "&db !@worker",
    .module = &nb__this_module,
    .args = &nb__args_type_users_rename,
    .ret = {NB__K_BOOL, sizeof(bool), 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_users_rename,
    .n_serving = 1,
};
bool users_rename__with(const nb_call *nb__call, int64_t nb__p0, const char *nb__p1)
{
    struct nb__args_users_rename nb__a = {nb__p0, nb__p1};
    bool nb__ret = false;
    nb__invoke(&nb__method_users_rename, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
bool users_rename(int64_t nb__p0, const char *nb__p1)
{
    return users_rename__with(NULL, nb__p0, nb__p1);
}
nb_future *users_rename__async_with(const nb_call *nb__call, int64_t nb__p0, const char *nb__p1)
{
    struct nb__args_users_rename nb__a = {nb__p0, nb__p1};
    return nb__invoke_async(&nb__method_users_rename, nb__call, &nb__a);
}
nb_future *users_rename__async(int64_t nb__p0, const char *nb__p1)
{
    return users_rename__async_with(NULL, nb__p0, nb__p1);
}
bool users_rename__await(nb_future *nb__fut)
{
    bool nb__ret = false;
    nb__future_await(nb__fut, &nb__method_users_rename, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: users_update_cache, selector "&cache", local on api@api.example ---- */
struct nb__args_users_update_cache {
    int64_t id;
    const user_t *u;
};
static const nb__field nb__fields_users_update_cache[] = {
    {"id", offsetof(struct nb__args_users_update_cache, id), {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}},
    {"u", offsetof(struct nb__args_users_update_cache, u), {NB__K_STRUCT_PTR, sizeof(const user_t *), 0, NULL, &nb__type_user_t}},
};
static const nb__type nb__args_type_users_update_cache = {
    "users_update_cache", sizeof(struct nb__args_users_update_cache), 2, nb__fields_users_update_cache};
static void nb__local_users_update_cache(void *nb__args, void *nb__ret)
{
    struct nb__args_users_update_cache *nb__a = (struct nb__args_users_update_cache *)nb__args;
    (void)nb__ret;
    nb__body_users_update_cache(nb__a->id, nb__a->u);
}
static const uint32_t nb__serving_users_update_cache[] = {0, 1};
const nb__method nb__method_users_update_cache = {
    .name = "users_update_cache",
    .signature = "void users_update_cache(int64_t id, const user_t *u)",
    .wire_id = UINT64_C(0xf5bfe106855cc638),
    .selector = "&cache",
    .module = &nb__this_module,
    .args = &nb__args_type_users_update_cache,
    .ret = {NB__K_VOID, 0, 0, NULL, NULL},
    .local = nb__local_users_update_cache,
    .serving = nb__serving_users_update_cache,
    .n_serving = 2,
};
void users_update_cache__with(const nb_call *nb__call, int64_t nb__p0, const user_t *nb__p1)
{
    struct nb__args_users_update_cache nb__a = {nb__p0, nb__p1};
    nb__invoke(&nb__method_users_update_cache, nb__call, &nb__a, NULL);
}
void users_update_cache(int64_t nb__p0, const user_t *nb__p1)
{
    if (NB__LIKELY(nb__tls.route == NULL)) {
        nb__body_users_update_cache(nb__p0, nb__p1);
        nb__tls.code = NB_OK;
        return;
    }
    users_update_cache__with(NULL, nb__p0, nb__p1);
}
nb_future *users_update_cache__async_with(const nb_call *nb__call, int64_t nb__p0, const user_t *nb__p1)
{
    struct nb__args_users_update_cache nb__a = {nb__p0, nb__p1};
    return nb__invoke_async(&nb__method_users_update_cache, nb__call, &nb__a);
}
nb_future *users_update_cache__async(int64_t nb__p0, const user_t *nb__p1)
{
    return users_update_cache__async_with(NULL, nb__p0, nb__p1);
}
void users_update_cache__await(nb_future *nb__fut)
{
    nb__future_await(nb__fut, &nb__method_users_update_cache, NULL);
}
