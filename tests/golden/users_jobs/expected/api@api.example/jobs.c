#line 1 "jobs.c"
#include <nebula.h>
#include "jobs.h"



#include <nebula.h>
#line 6 "jobs.c"
NB__DECLS_BEGIN uint64_t jobs_checksum(nb_bytes data); uint64_t jobs_checksum__with(const nb_call *call, nb_bytes data); nb_future *jobs_checksum__async(nb_bytes data); nb_future *jobs_checksum__async_with(const nb_call *call, nb_bytes data); uint64_t jobs_checksum__await(nb_future *fut); NB__DECLS_END









NB__DECLS_BEGIN int64_t node_uptime_ms(void); int64_t node_uptime_ms__with(const nb_call *call); nb_future *node_uptime_ms__async(void); nb_future *node_uptime_ms__async_with(const nb_call *call); int64_t node_uptime_ms__await(nb_future *fut); NB__DECLS_END static __attribute__((used))                             /* no selector: local on every node */
int64_t nb__body_node_uptime_ms(void)
{
    return 7;
}
#line 25 "<out>/jobs.c"
#include <nebula.h>
static const nb__module nb__this_module = {"jobs.c", 30000, 4, 0};
/* ---- nebulac 0.1.0: jobs_checksum, selector "@worker", remote on api@api.example ---- */
struct nb__args_jobs_checksum {
    nb_bytes data;
};
static const nb__field nb__fields_jobs_checksum[] = {
    {"data", offsetof(struct nb__args_jobs_checksum, data), {NB__K_BYTES, sizeof(nb_bytes), 0, NULL, NULL}},
};
static const nb__type nb__args_type_jobs_checksum = {
    "jobs_checksum", sizeof(struct nb__args_jobs_checksum), 1, nb__fields_jobs_checksum};
static const uint32_t nb__serving_jobs_checksum[] = {2};
const nb__method nb__method_jobs_checksum = {
    .name = "jobs_checksum",
    .signature = "uint64_t jobs_checksum(nb_bytes data)",
    .wire_id = UINT64_C(0x1703b60e9b518511),
    .selector = "@worker",
    .module = &nb__this_module,
    .args = &nb__args_type_jobs_checksum,
    .ret = {NB__K_UINT, sizeof(uint64_t), 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_jobs_checksum,
    .n_serving = 1,
};
uint64_t jobs_checksum__with(const nb_call *nb__call, nb_bytes nb__p0)
{
    struct nb__args_jobs_checksum nb__a = {nb__p0};
    uint64_t nb__ret = 0;
    nb__invoke(&nb__method_jobs_checksum, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
uint64_t jobs_checksum(nb_bytes nb__p0)
{
    return jobs_checksum__with(NULL, nb__p0);
}
nb_future *jobs_checksum__async_with(const nb_call *nb__call, nb_bytes nb__p0)
{
    struct nb__args_jobs_checksum nb__a = {nb__p0};
    return nb__invoke_async(&nb__method_jobs_checksum, nb__call, &nb__a);
}
nb_future *jobs_checksum__async(nb_bytes nb__p0)
{
    return jobs_checksum__async_with(NULL, nb__p0);
}
uint64_t jobs_checksum__await(nb_future *nb__fut)
{
    uint64_t nb__ret = 0;
    nb__future_await(nb__fut, &nb__method_jobs_checksum, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: node_uptime_ms, selector "", local on api@api.example ---- */
struct nb__args_node_uptime_ms {
    char nb__unused;
};
static const nb__type nb__args_type_node_uptime_ms = {
    "node_uptime_ms", sizeof(struct nb__args_node_uptime_ms), 0, NULL};
static void nb__local_node_uptime_ms(void *nb__args, void *nb__ret)
{
    (void)nb__args;
    *(int64_t *)nb__ret = nb__body_node_uptime_ms();
}
static const uint32_t nb__serving_node_uptime_ms[] = {0, 1, 2};
const nb__method nb__method_node_uptime_ms = {
    .name = "node_uptime_ms",
    .signature = "int64_t node_uptime_ms(void)",
    .wire_id = UINT64_C(0x462a4a29fc4ae732),
    .selector = "",
    .module = &nb__this_module,
    .args = &nb__args_type_node_uptime_ms,
    .ret = {NB__K_INT, sizeof(int64_t), 0, NULL, NULL},
    .local = nb__local_node_uptime_ms,
    .serving = nb__serving_node_uptime_ms,
    .n_serving = 3,
};
int64_t node_uptime_ms__with(const nb_call *nb__call)
{
    struct nb__args_node_uptime_ms nb__a = {0};
    int64_t nb__ret = 0;
    nb__invoke(&nb__method_node_uptime_ms, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
int64_t node_uptime_ms(void)
{
    if (NB__LIKELY(nb__tls.route == NULL)) {
        int64_t nb__ret = nb__body_node_uptime_ms();
        nb__tls.code = NB_OK;
        return nb__ret;
    }
    return node_uptime_ms__with(NULL);
}
nb_future *node_uptime_ms__async_with(const nb_call *nb__call)
{
    struct nb__args_node_uptime_ms nb__a = {0};
    return nb__invoke_async(&nb__method_node_uptime_ms, nb__call, &nb__a);
}
nb_future *node_uptime_ms__async(void)
{
    return node_uptime_ms__async_with(NULL);
}
int64_t node_uptime_ms__await(nb_future *nb__fut)
{
    int64_t nb__ret = 0;
    nb__future_await(nb__fut, &nb__method_node_uptime_ms, &nb__ret);
    return nb__ret;
}
