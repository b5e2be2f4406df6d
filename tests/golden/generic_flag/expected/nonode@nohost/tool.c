#line 1 "tool.c"
#include <nebula.h>

#include <nebula.h>
#line 3 "tool.c"
NB_STRUCT typedef struct item {
    int64_t id;
    char *name;
} item_t; extern const nb__type nb__type_item_t; void nb_free_item_t(item_t *p); void nb_clear_item_t(item_t *p);

NB__DECLS_BEGIN item_t *items_find(int64_t id); item_t *items_find__with(const nb_call *call, int64_t id); nb_future *items_find__async(int64_t id); nb_future *items_find__async_with(const nb_call *call, int64_t id); item_t *items_find__await(nb_future *fut); NB__DECLS_END


NB__DECLS_BEGIN void web_ping(void); void web_ping__with(const nb_call *call); nb_future *web_ping__async(void); nb_future *web_ping__async_with(const nb_call *call); void web_ping__await(nb_future *fut); NB__DECLS_END


NB__DECLS_BEGIN bool everywhere(bool v); bool everywhere__with(const nb_call *call, bool v); nb_future *everywhere__async(bool v); nb_future *everywhere__async_with(const nb_call *call, bool v); bool everywhere__await(nb_future *fut); NB__DECLS_END


/* A generic build is a tagless, nameless node. */
int generic_sees = 1 + 0 + 0;
#line 23 "<out>/tool.c"
#include <nebula.h>
static const nb__field nb__fields_item_t[] = {
    {"id", offsetof(item_t, id), {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}},
    {"name", offsetof(item_t, name), {NB__K_STR, sizeof(char *), 0, NULL, NULL}},
};
const nb__type nb__type_item_t = {"item_t", sizeof(item_t), 2, nb__fields_item_t};
void nb_free_item_t(item_t *p) { nb__struct_free(&nb__type_item_t, p); }
void nb_clear_item_t(item_t *p)
{
    static const nb__tref t = {NB__K_STRUCT, sizeof(item_t), 0, NULL, &nb__type_item_t};
    if (p)
        nb__value_clear(&t, p);
}
static const nb__module nb__this_module = {"tool.c", 0, 0, 0};
/* ---- nebulac 0.1.0: items_find, selector "&db", remote on nonode@nohost (generic build) ---- */
struct nb__args_items_find {
    int64_t id;
};
static const nb__field nb__fields_items_find[] = {
    {"id", offsetof(struct nb__args_items_find, id), {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}},
};
static const nb__type nb__args_type_items_find = {
    "items_find", sizeof(struct nb__args_items_find), 1, nb__fields_items_find};
static const uint32_t nb__serving_items_find[] = {0};
const nb__method nb__method_items_find = {
    .name = "items_find",
    .signature = "item_t *items_find(int64_t id)",
    .wire_id = UINT64_C(0xa02732872c3faa8b),
    .selector = "&db",
    .module = &nb__this_module,
    .args = &nb__args_type_items_find,
    .ret = {NB__K_STRUCT_PTR, sizeof(item_t *), 0, NULL, &nb__type_item_t},
    .local = NULL,
    .serving = nb__serving_items_find,
    .n_serving = 1,
};
item_t *items_find__with(const nb_call *nb__call, int64_t nb__p0)
{
    struct nb__args_items_find nb__a = {nb__p0};
    item_t *nb__ret = NULL;
    nb__invoke(&nb__method_items_find, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
item_t *items_find(int64_t nb__p0)
{
    return items_find__with(NULL, nb__p0);
}
nb_future *items_find__async_with(const nb_call *nb__call, int64_t nb__p0)
{
    struct nb__args_items_find nb__a = {nb__p0};
    return nb__invoke_async(&nb__method_items_find, nb__call, &nb__a);
}
nb_future *items_find__async(int64_t nb__p0)
{
    return items_find__async_with(NULL, nb__p0);
}
item_t *items_find__await(nb_future *nb__fut)
{
    item_t *nb__ret = NULL;
    nb__future_await(nb__fut, &nb__method_items_find, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: web_ping, selector "@web", remote on nonode@nohost (generic build) ---- */
struct nb__args_web_ping {
    char nb__unused;
};
static const nb__type nb__args_type_web_ping = {
    "web_ping", sizeof(struct nb__args_web_ping), 0, NULL};
static const uint32_t nb__serving_web_ping[] = {1};
const nb__method nb__method_web_ping = {
    .name = "web_ping",
    .signature = "void web_ping(void)",
    .wire_id = UINT64_C(0x106cea130cf03473),
    .selector = "@web",
    .module = &nb__this_module,
    .args = &nb__args_type_web_ping,
    .ret = {NB__K_VOID, 0, 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_web_ping,
    .n_serving = 1,
};
void web_ping__with(const nb_call *nb__call)
{
    struct nb__args_web_ping nb__a = {0};
    nb__invoke(&nb__method_web_ping, nb__call, &nb__a, NULL);
}
void web_ping(void)
{
    web_ping__with(NULL);
}
nb_future *web_ping__async_with(const nb_call *nb__call)
{
    struct nb__args_web_ping nb__a = {0};
    return nb__invoke_async(&nb__method_web_ping, nb__call, &nb__a);
}
nb_future *web_ping__async(void)
{
    return web_ping__async_with(NULL);
}
void web_ping__await(nb_future *nb__fut)
{
    nb__future_await(nb__fut, &nb__method_web_ping, NULL);
}
/* ---- nebulac 0.1.0: everywhere, selector "", remote on nonode@nohost (generic build) ---- */
struct nb__args_everywhere {
    bool v;
};
static const nb__field nb__fields_everywhere[] = {
    {"v", offsetof(struct nb__args_everywhere, v), {NB__K_BOOL, sizeof(bool), 0, NULL, NULL}},
};
static const nb__type nb__args_type_everywhere = {
    "everywhere", sizeof(struct nb__args_everywhere), 1, nb__fields_everywhere};
static const uint32_t nb__serving_everywhere[] = {0, 1};
const nb__method nb__method_everywhere = {
    .name = "everywhere",
    .signature = "bool everywhere(bool v)",
    .wire_id = UINT64_C(0x89208bab7bcaf688),
    .selector = "",
    .module = &nb__this_module,
    .args = &nb__args_type_everywhere,
    .ret = {NB__K_BOOL, sizeof(bool), 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_everywhere,
    .n_serving = 2,
};
bool everywhere__with(const nb_call *nb__call, bool nb__p0)
{
    struct nb__args_everywhere nb__a = {nb__p0};
    bool nb__ret = false;
    nb__invoke(&nb__method_everywhere, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
bool everywhere(bool nb__p0)
{
    return everywhere__with(NULL, nb__p0);
}
nb_future *everywhere__async_with(const nb_call *nb__call, bool nb__p0)
{
    struct nb__args_everywhere nb__a = {nb__p0};
    return nb__invoke_async(&nb__method_everywhere, nb__call, &nb__a);
}
nb_future *everywhere__async(bool nb__p0)
{
    return everywhere__async_with(NULL, nb__p0);
}
bool everywhere__await(nb_future *nb__fut)
{
    bool nb__ret = false;
    nb__future_await(nb__fut, &nb__method_everywhere, &nb__ret);
    return nb__ret;
}
