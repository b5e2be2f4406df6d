#line 1 "tool.c"
#include <nebula.h>

#include <nebula.h>
#line 3 "tool.c"
NB__DECLS_BEGIN int64_t everywhere(void); int64_t everywhere__with(const nb_call *call); nb_future *everywhere__async(void); nb_future *everywhere__async_with(const nb_call *call); int64_t everywhere__await(nb_future *fut); NB__DECLS_END


NB__DECLS_BEGIN int32_t not_on_db(int32_t x); int32_t not_on_db__with(const nb_call *call, int32_t x); nb_future *not_on_db__async(int32_t x); nb_future *not_on_db__async_with(const nb_call *call, int32_t x); int32_t not_on_db__await(nb_future *fut); NB__DECLS_END


NB__DECLS_BEGIN void web_only(void); void web_only__with(const nb_call *call); nb_future *web_only__async(void); nb_future *web_only__async_with(const nb_call *call); void web_only__await(nb_future *fut); NB__DECLS_END


int generic_and_tagless = 1 + 0;
#line 17 "<out>/tool.c"
#include <nebula.h>
static const nb__module nb__this_module = {"tool.c", 0, 0, 0};
/* ---- nebulac 0.1.0: everywhere, selector "", remote on stranger@elsewhere (generic build) ---- */
struct nb__args_everywhere {
    char nb__unused;
};
static const nb__type nb__args_type_everywhere = {
    "everywhere", sizeof(struct nb__args_everywhere), 0, NULL};
static const uint32_t nb__serving_everywhere[] = {0, 1};
const nb__method nb__method_everywhere = {
    .name = "everywhere",
    .signature = "int64_t everywhere(void)",
    .wire_id = UINT64_C(0x73c93c22d93477da),
    .selector = "",
    .module = &nb__this_module,
    .args = &nb__args_type_everywhere,
    .ret = {NB__K_INT, sizeof(int64_t), 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_everywhere,
    .n_serving = 2,
};
int64_t everywhere__with(const nb_call *nb__call)
{
    struct nb__args_everywhere nb__a = {0};
    int64_t nb__ret = 0;
    nb__invoke(&nb__method_everywhere, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
int64_t everywhere(void)
{
    return everywhere__with(NULL);
}
nb_future *everywhere__async_with(const nb_call *nb__call)
{
    struct nb__args_everywhere nb__a = {0};
    return nb__invoke_async(&nb__method_everywhere, nb__call, &nb__a);
}
nb_future *everywhere__async(void)
{
    return everywhere__async_with(NULL);
}
int64_t everywhere__await(nb_future *nb__fut)
{
    int64_t nb__ret = 0;
    nb__future_await(nb__fut, &nb__method_everywhere, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: not_on_db, selector "!&db", remote on stranger@elsewhere (generic build) ---- */
struct nb__args_not_on_db {
    int32_t x;
};
static const nb__field nb__fields_not_on_db[] = {
    {"x", offsetof(struct nb__args_not_on_db, x), {NB__K_INT, sizeof(int32_t), 0, NULL, NULL}},
};
static const nb__type nb__args_type_not_on_db = {
    "not_on_db", sizeof(struct nb__args_not_on_db), 1, nb__fields_not_on_db};
static const uint32_t nb__serving_not_on_db[] = {1};
const nb__method nb__method_not_on_db = {
    .name = "not_on_db",
    .signature = "int32_t not_on_db(int32_t x)",
    .wire_id = UINT64_C(0x0118fb3677d7a460),
    .selector = "!&db",
    .module = &nb__this_module,
    .args = &nb__args_type_not_on_db,
    .ret = {NB__K_INT, sizeof(int32_t), 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_not_on_db,
    .n_serving = 1,
};
int32_t not_on_db__with(const nb_call *nb__call, int32_t nb__p0)
{
    struct nb__args_not_on_db nb__a = {nb__p0};
    int32_t nb__ret = 0;
    nb__invoke(&nb__method_not_on_db, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
int32_t not_on_db(int32_t nb__p0)
{
    return not_on_db__with(NULL, nb__p0);
}
nb_future *not_on_db__async_with(const nb_call *nb__call, int32_t nb__p0)
{
    struct nb__args_not_on_db nb__a = {nb__p0};
    return nb__invoke_async(&nb__method_not_on_db, nb__call, &nb__a);
}
nb_future *not_on_db__async(int32_t nb__p0)
{
    return not_on_db__async_with(NULL, nb__p0);
}
int32_t not_on_db__await(nb_future *nb__fut)
{
    int32_t nb__ret = 0;
    nb__future_await(nb__fut, &nb__method_not_on_db, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: web_only, selector "&no", remote on stranger@elsewhere (generic build) ---- */
struct nb__args_web_only {
    char nb__unused;
};
static const nb__type nb__args_type_web_only = {
    "web_only", sizeof(struct nb__args_web_only), 0, NULL};
static const uint32_t nb__serving_web_only[] = {1};
const nb__method nb__method_web_only = {
    .name = "web_only",
    .signature = "void web_only(void)",
    .wire_id = UINT64_C(0xbb7a6a006856aaed),
    .selector = "&no",
    .module = &nb__this_module,
    .args = &nb__args_type_web_only,
    .ret = {NB__K_VOID, 0, 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_web_only,
    .n_serving = 1,
};
void web_only__with(const nb_call *nb__call)
{
    struct nb__args_web_only nb__a = {0};
    nb__invoke(&nb__method_web_only, nb__call, &nb__a, NULL);
}
void web_only(void)
{
    web_only__with(NULL);
}
nb_future *web_only__async_with(const nb_call *nb__call)
{
    struct nb__args_web_only nb__a = {0};
    return nb__invoke_async(&nb__method_web_only, nb__call, &nb__a);
}
nb_future *web_only__async(void)
{
    return web_only__async_with(NULL);
}
void web_only__await(nb_future *nb__fut)
{
    nb__future_await(nb__fut, &nb__method_web_only, NULL);
}
