#line 1 "geo.c"
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdlib.h>
#include <string.h>

#include "shapes.h"

/* Globals named like generated locals: the generated code must not shadow them. */
int ret, args, call;

#include <nebula.h>
#line 10 "geo.c"
NB_STRUCT typedef struct stats {
    uint32_t count;
    double total, worst;
} stats_t; extern const nb__type nb__type_stats_t; void nb_free_stats_t(stats_t *p); void nb_clear_stats_t(stats_t *p);

NB__DECLS_BEGIN double shapes_area(const struct shape *s); double shapes_area__with(const nb_call *call, const struct shape *s); nb_future *shapes_area__async(const struct shape *s); nb_future *shapes_area__async_with(const nb_call *call, const struct shape *s); double shapes_area__await(nb_future *fut); NB__DECLS_END static __attribute__((used)) double nb__body_shapes_area(const struct shape *s)
{
    return s ? (s->corners[2].x - s->corners[0].x) * (s->corners[2].y - s->corners[0].y) : 0.0;
}

NB__DECLS_BEGIN struct shape *shapes_make(const char *name, point_t at); struct shape *shapes_make__with(const nb_call *call, const char *name, point_t at); nb_future *shapes_make__async(const char *name, point_t at); nb_future *shapes_make__async_with(const nb_call *call, const char *name, point_t at); struct shape *shapes_make__await(nb_future *fut); NB__DECLS_END static __attribute__((used))
struct shape *nb__body_shapes_make(const char *name, point_t at)
{
    struct shape *s = calloc(1, sizeof *s);
    s->name = strdup(name);
    s->center = at;
    return s;
}

NB__DECLS_BEGIN stats_t geo_stats(uint8_t kind, const stats_t *prev); stats_t geo_stats__with(const nb_call *call, uint8_t kind, const stats_t *prev); nb_future *geo_stats__async(uint8_t kind, const stats_t *prev); nb_future *geo_stats__async_with(const nb_call *call, uint8_t kind, const stats_t *prev); stats_t geo_stats__await(nb_future *fut); NB__DECLS_END static __attribute__((used))
stats_t nb__body_geo_stats(uint8_t kind, const stats_t *prev)
{
    stats_t st = {kind, prev ? prev->total : 0.0, 0.0};
    return st;
}

NB__DECLS_BEGIN char *every_type(int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f, uint32_t g, uint64_t h, int i, unsigned int j, long k, long long l, unsigned long m, unsigned long long n, short o, unsigned short p, int q, size_t r, float s, double t, bool u, bool v, const char *w, nb_bytes x, point_t y, const point_t *z, long aa, unsigned long bb, signed char cc, unsigned char dd); char *every_type__with(const nb_call *call, int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f, uint32_t g, uint64_t h, int i, unsigned int j, long k, long long l, unsigned long m, unsigned long long n, short o, unsigned short p, int q, size_t r, float s, double t, bool u, bool v, const char *w, nb_bytes x, point_t y, const point_t *z, long aa, unsigned long bb, signed char cc, unsigned char dd); nb_future *every_type__async(int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f, uint32_t g, uint64_t h, int i, unsigned int j, long k, long long l, unsigned long m, unsigned long long n, short o, unsigned short p, int q, size_t r, float s, double t, bool u, bool v, const char *w, nb_bytes x, point_t y, const point_t *z, long aa, unsigned long bb, signed char cc, unsigned char dd); nb_future *every_type__async_with(const nb_call *call, int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f, uint32_t g, uint64_t h, int i, unsigned int j, long k, long long l, unsigned long m, unsigned long long n, short o, unsigned short p, int q, size_t r, float s, double t, bool u, bool v, const char *w, nb_bytes x, point_t y, const point_t *z, long aa, unsigned long bb, signed char cc, unsigned char dd); char *every_type__await(nb_future *fut); NB__DECLS_END














NB__DECLS_BEGIN void geo_forget(nb_bytes key); void geo_forget__with(const nb_call *call, nb_bytes key); nb_future *geo_forget__async(nb_bytes key); nb_future *geo_forget__async_with(const nb_call *call, nb_bytes key); void geo_forget__await(nb_future *fut); NB__DECLS_END




#line 60 "<out>/geo.c"
#include <nebula.h>
static const nb__field nb__fields_stats_t[] = {
    {"count", offsetof(stats_t, count), {NB__K_UINT, sizeof(uint32_t), 0, NULL, NULL}},
    {"total", offsetof(stats_t, total), {NB__K_FLOAT, sizeof(double), 0, NULL, NULL}},
    {"worst", offsetof(stats_t, worst), {NB__K_FLOAT, sizeof(double), 0, NULL, NULL}},
};
const nb__type nb__type_stats_t = {"stats_t", sizeof(stats_t), 3, nb__fields_stats_t};
void nb_free_stats_t(stats_t *p) { nb__struct_free(&nb__type_stats_t, p); }
void nb_clear_stats_t(stats_t *p)
{
    static const nb__tref t = {NB__K_STRUCT, sizeof(stats_t), 0, NULL, &nb__type_stats_t};
    if (p)
        nb__value_clear(&t, p);
}
static const nb__module nb__this_module = {"geo.c", 0, 0, 0};
/* ---- nebulac 0.1.0: shapes_area, selector "&geo", local on geo@h1 ---- */
struct nb__args_shapes_area {
    const struct shape *s;
};
static const nb__field nb__fields_shapes_area[] = {
    {"s", offsetof(struct nb__args_shapes_area, s), {NB__K_STRUCT_PTR, sizeof(const struct shape *), 0, NULL, &nb__type_shape}},
};
static const nb__type nb__args_type_shapes_area = {
    "shapes_area", sizeof(struct nb__args_shapes_area), 1, nb__fields_shapes_area};
static void nb__local_shapes_area(void *nb__args, void *nb__ret)
{
    struct nb__args_shapes_area *nb__a = (struct nb__args_shapes_area *)nb__args;
    *(double *)nb__ret = nb__body_shapes_area(nb__a->s);
}
static const uint32_t nb__serving_shapes_area[] = {0};
const nb__method nb__method_shapes_area = {
    .name = "shapes_area",
    .signature = "double shapes_area(const struct shape *s)",
    .wire_id = UINT64_C(0xc84aa3fb6255d1da),
    .selector = "&geo",
    .module = &nb__this_module,
    .args = &nb__args_type_shapes_area,
    .ret = {NB__K_FLOAT, sizeof(double), 0, NULL, NULL},
    .local = nb__local_shapes_area,
    .serving = nb__serving_shapes_area,
    .n_serving = 1,
};
double shapes_area__with(const nb_call *nb__call, const struct shape *nb__p0)
{
    struct nb__args_shapes_area nb__a = {nb__p0};
    double nb__ret = 0;
    nb__invoke(&nb__method_shapes_area, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
double shapes_area(const struct shape *nb__p0)
{
    if (NB__LIKELY(nb__tls.route == NULL)) {
        double nb__ret = nb__body_shapes_area(nb__p0);
        nb__tls.code = NB_OK;
        return nb__ret;
    }
    return shapes_area__with(NULL, nb__p0);
}
nb_future *shapes_area__async_with(const nb_call *nb__call, const struct shape *nb__p0)
{
    struct nb__args_shapes_area nb__a = {nb__p0};
    return nb__invoke_async(&nb__method_shapes_area, nb__call, &nb__a);
}
nb_future *shapes_area__async(const struct shape *nb__p0)
{
    return shapes_area__async_with(NULL, nb__p0);
}
double shapes_area__await(nb_future *nb__fut)
{
    double nb__ret = 0;
    nb__future_await(nb__fut, &nb__method_shapes_area, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: shapes_make, selector "&geo", local on geo@h1 ---- */
struct nb__args_shapes_make {
    const char *name;
    point_t at;
};
static const nb__field nb__fields_shapes_make[] = {
    {"name", offsetof(struct nb__args_shapes_make, name), {NB__K_STR, sizeof(const char *), 0, NULL, NULL}},
    {"at", offsetof(struct nb__args_shapes_make, at), {NB__K_STRUCT, sizeof(point_t), 0, NULL, &nb__type_point_t}},
};
static const nb__type nb__args_type_shapes_make = {
    "shapes_make", sizeof(struct nb__args_shapes_make), 2, nb__fields_shapes_make};
static void nb__local_shapes_make(void *nb__args, void *nb__ret)
{
    struct nb__args_shapes_make *nb__a = (struct nb__args_shapes_make *)nb__args;
    *(struct shape **)nb__ret = nb__body_shapes_make(nb__a->name, nb__a->at);
}
static const uint32_t nb__serving_shapes_make[] = {0};
const nb__method nb__method_shapes_make = {
    .name = "shapes_make",
    .signature = "struct shape *shapes_make(const char *name, point_t at)",
    .wire_id = UINT64_C(0x07ef5970de7e288e),
    .selector = "&geo",
    .module = &nb__this_module,
    .args = &nb__args_type_shapes_make,
    .ret = {NB__K_STRUCT_PTR, sizeof(struct shape *), 0, NULL, &nb__type_shape},
    .local = nb__local_shapes_make,
    .serving = nb__serving_shapes_make,
    .n_serving = 1,
};
struct shape *shapes_make__with(const nb_call *nb__call, const char *nb__p0, point_t nb__p1)
{
    struct nb__args_shapes_make nb__a = {nb__p0, nb__p1};
    struct shape *nb__ret = NULL;
    nb__invoke(&nb__method_shapes_make, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
struct shape *shapes_make(const char *nb__p0, point_t nb__p1)
{
    if (NB__LIKELY(nb__tls.route == NULL)) {
        struct shape *nb__ret = nb__body_shapes_make(nb__p0, nb__p1);
        nb__tls.code = NB_OK;
        return nb__ret;
    }
    return shapes_make__with(NULL, nb__p0, nb__p1);
}
nb_future *shapes_make__async_with(const nb_call *nb__call, const char *nb__p0, point_t nb__p1)
{
    struct nb__args_shapes_make nb__a = {nb__p0, nb__p1};
    return nb__invoke_async(&nb__method_shapes_make, nb__call, &nb__a);
}
nb_future *shapes_make__async(const char *nb__p0, point_t nb__p1)
{
    return shapes_make__async_with(NULL, nb__p0, nb__p1);
}
struct shape *shapes_make__await(nb_future *nb__fut)
{
    struct shape *nb__ret = NULL;
    nb__future_await(nb__fut, &nb__method_shapes_make, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: geo_stats, selector "&geo &east", local on geo@h1 ---- */
struct nb__args_geo_stats {
    uint8_t kind;
    const stats_t *prev;
};
static const nb__field nb__fields_geo_stats[] = {
    {"kind", offsetof(struct nb__args_geo_stats, kind), {NB__K_UINT, sizeof(uint8_t), 0, NULL, NULL}},
    {"prev", offsetof(struct nb__args_geo_stats, prev), {NB__K_STRUCT_PTR, sizeof(const stats_t *), 0, NULL, &nb__type_stats_t}},
};
static const nb__type nb__args_type_geo_stats = {
    "geo_stats", sizeof(struct nb__args_geo_stats), 2, nb__fields_geo_stats};
static void nb__local_geo_stats(void *nb__args, void *nb__ret)
{
    struct nb__args_geo_stats *nb__a = (struct nb__args_geo_stats *)nb__args;
    *(stats_t *)nb__ret = nb__body_geo_stats(nb__a->kind, nb__a->prev);
}
static const uint32_t nb__serving_geo_stats[] = {0};
const nb__method nb__method_geo_stats = {
    .name = "geo_stats",
    .signature = "stats_t geo_stats(uint8_t kind, const stats_t *prev)",
    .wire_id = UINT64_C(0x5a7c95dcc60a667f),
    .selector = "&geo &east",
    .module = &nb__this_module,
    .args = &nb__args_type_geo_stats,
    .ret = {NB__K_STRUCT, sizeof(stats_t), 0, NULL, &nb__type_stats_t},
    .local = nb__local_geo_stats,
    .serving = nb__serving_geo_stats,
    .n_serving = 1,
};
stats_t geo_stats__with(const nb_call *nb__call, uint8_t nb__p0, const stats_t *nb__p1)
{
    struct nb__args_geo_stats nb__a = {nb__p0, nb__p1};
    stats_t nb__ret = {0};
    nb__invoke(&nb__method_geo_stats, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
stats_t geo_stats(uint8_t nb__p0, const stats_t *nb__p1)
{
    if (NB__LIKELY(nb__tls.route == NULL)) {
        stats_t nb__ret = nb__body_geo_stats(nb__p0, nb__p1);
        nb__tls.code = NB_OK;
        return nb__ret;
    }
    return geo_stats__with(NULL, nb__p0, nb__p1);
}
nb_future *geo_stats__async_with(const nb_call *nb__call, uint8_t nb__p0, const stats_t *nb__p1)
{
    struct nb__args_geo_stats nb__a = {nb__p0, nb__p1};
    return nb__invoke_async(&nb__method_geo_stats, nb__call, &nb__a);
}
nb_future *geo_stats__async(uint8_t nb__p0, const stats_t *nb__p1)
{
    return geo_stats__async_with(NULL, nb__p0, nb__p1);
}
stats_t geo_stats__await(nb_future *nb__fut)
{
    stats_t nb__ret = {0};
    nb__future_await(nb__fut, &nb__method_geo_stats, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: every_type, selector "!&geo", remote on geo@h1 ---- */
struct nb__args_every_type {
    int8_t a;
    int16_t b;
    int32_t c;
    int64_t d;
    uint8_t e;
    uint16_t f;
    uint32_t g;
    uint64_t h;
    int i;
    unsigned int j;
    long k;
    long long l;
    unsigned long m;
    unsigned long long n;
    short o;
    unsigned short p;
    int q;
    size_t r;
    float s;
    double t;
    bool u;
    bool v;
    const char *w;
    nb_bytes x;
    point_t y;
    const point_t *z;
    long aa;
    unsigned long bb;
    signed char cc;
    unsigned char dd;
};
static const nb__field nb__fields_every_type[] = {
    {"a", offsetof(struct nb__args_every_type, a), {NB__K_INT, sizeof(int8_t), 0, NULL, NULL}},
    {"b", offsetof(struct nb__args_every_type, b), {NB__K_INT, sizeof(int16_t), 0, NULL, NULL}},
    {"c", offsetof(struct nb__args_every_type, c), {NB__K_INT, sizeof(int32_t), 0, NULL, NULL}},
    {"d", offsetof(struct nb__args_every_type, d), {NB__K_INT, sizeof(int64_t), 0, NULL, NULL}},
    {"e", offsetof(struct nb__args_every_type, e), {NB__K_UINT, sizeof(uint8_t), 0, NULL, NULL}},
    {"f", offsetof(struct nb__args_every_type, f), {NB__K_UINT, sizeof(uint16_t), 0, NULL, NULL}},
    {"g", offsetof(struct nb__args_every_type, g), {NB__K_UINT, sizeof(uint32_t), 0, NULL, NULL}},
    {"h", offsetof(struct nb__args_every_type, h), {NB__K_UINT, sizeof(uint64_t), 0, NULL, NULL}},
    {"i", offsetof(struct nb__args_every_type, i), {NB__K_INT, sizeof(int), 0, NULL, NULL}},
    {"j", offsetof(struct nb__args_every_type, j), {NB__K_UINT, sizeof(unsigned int), 0, NULL, NULL}},
    {"k", offsetof(struct nb__args_every_type, k), {NB__K_INT, sizeof(long), 0, NULL, NULL}},
    {"l", offsetof(struct nb__args_every_type, l), {NB__K_INT, sizeof(long long), 0, NULL, NULL}},
    {"m", offsetof(struct nb__args_every_type, m), {NB__K_UINT, sizeof(unsigned long), 0, NULL, NULL}},
    {"n", offsetof(struct nb__args_every_type, n), {NB__K_UINT, sizeof(unsigned long long), 0, NULL, NULL}},
    {"o", offsetof(struct nb__args_every_type, o), {NB__K_INT, sizeof(short), 0, NULL, NULL}},
    {"p", offsetof(struct nb__args_every_type, p), {NB__K_UINT, sizeof(unsigned short), 0, NULL, NULL}},
    {"q", offsetof(struct nb__args_every_type, q), {NB__K_INT, sizeof(int), 0, NULL, NULL}},
    {"r", offsetof(struct nb__args_every_type, r), {NB__K_UINT, sizeof(size_t), 0, NULL, NULL}},
    {"s", offsetof(struct nb__args_every_type, s), {NB__K_FLOAT, sizeof(float), 0, NULL, NULL}},
    {"t", offsetof(struct nb__args_every_type, t), {NB__K_FLOAT, sizeof(double), 0, NULL, NULL}},
    {"u", offsetof(struct nb__args_every_type, u), {NB__K_BOOL, sizeof(bool), 0, NULL, NULL}},
    {"v", offsetof(struct nb__args_every_type, v), {NB__K_BOOL, sizeof(bool), 0, NULL, NULL}},
    {"w", offsetof(struct nb__args_every_type, w), {NB__K_STR, sizeof(const char *), 0, NULL, NULL}},
    {"x", offsetof(struct nb__args_every_type, x), {NB__K_BYTES, sizeof(nb_bytes), 0, NULL, NULL}},
    {"y", offsetof(struct nb__args_every_type, y), {NB__K_STRUCT, sizeof(point_t), 0, NULL, &nb__type_point_t}},
    {"z", offsetof(struct nb__args_every_type, z), {NB__K_STRUCT_PTR, sizeof(const point_t *), 0, NULL, &nb__type_point_t}},
    {"aa", offsetof(struct nb__args_every_type, aa), {NB__K_INT, sizeof(long), 0, NULL, NULL}},
    {"bb", offsetof(struct nb__args_every_type, bb), {NB__K_UINT, sizeof(unsigned long), 0, NULL, NULL}},
    {"cc", offsetof(struct nb__args_every_type, cc), {NB__K_INT, sizeof(signed char), 0, NULL, NULL}},
    {"dd", offsetof(struct nb__args_every_type, dd), {NB__K_UINT, sizeof(unsigned char), 0, NULL, NULL}},
};
static const nb__type nb__args_type_every_type = {
    "every_type", sizeof(struct nb__args_every_type), 30, nb__fields_every_type};
static const uint32_t nb__serving_every_type[] = {1, 2};
const nb__method nb__method_every_type = {
    .name = "every_type",
    .signature = "char *every_type(int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f, uint32_t g, uint64_t h, int i, unsigned int j, long k, long long l, unsigned long m, unsigned long long n, short o, unsigned short p, int q, size_t r, float s, double t, bool u, bool v, const char *w, nb_bytes x, point_t y, const point_t *z, long aa, unsigned long bb, signed char cc, unsigned char dd)",
    .wire_id = UINT64_C(0xc02c0f976b46bffb),
    .selector = "!&geo",
    .module = &nb__this_module,
    .args = &nb__args_type_every_type,
    .ret = {NB__K_STR, sizeof(char *), 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_every_type,
    .n_serving = 2,
};
char *every_type__with(const nb_call *nb__call, int8_t nb__p0, int16_t nb__p1, int32_t nb__p2, int64_t nb__p3, uint8_t nb__p4, uint16_t nb__p5, uint32_t nb__p6, uint64_t nb__p7, int nb__p8, unsigned int nb__p9, long nb__p10, long long nb__p11, unsigned long nb__p12, unsigned long long nb__p13, short nb__p14, unsigned short nb__p15, int nb__p16, size_t nb__p17, float nb__p18, double nb__p19, bool nb__p20, bool nb__p21, const char *nb__p22, nb_bytes nb__p23, point_t nb__p24, const point_t *nb__p25, long nb__p26, unsigned long nb__p27, signed char nb__p28, unsigned char nb__p29)
{
    struct nb__args_every_type nb__a = {nb__p0, nb__p1, nb__p2, nb__p3, nb__p4, nb__p5, nb__p6, nb__p7, nb__p8, nb__p9, nb__p10, nb__p11, nb__p12, nb__p13, nb__p14, nb__p15, nb__p16, nb__p17, nb__p18, nb__p19, nb__p20, nb__p21, nb__p22, nb__p23, nb__p24, nb__p25, nb__p26, nb__p27, nb__p28, nb__p29};
    char *nb__ret = NULL;
    nb__invoke(&nb__method_every_type, nb__call, &nb__a, &nb__ret);
    return nb__ret;
}
char *every_type(int8_t nb__p0, int16_t nb__p1, int32_t nb__p2, int64_t nb__p3, uint8_t nb__p4, uint16_t nb__p5, uint32_t nb__p6, uint64_t nb__p7, int nb__p8, unsigned int nb__p9, long nb__p10, long long nb__p11, unsigned long nb__p12, unsigned long long nb__p13, short nb__p14, unsigned short nb__p15, int nb__p16, size_t nb__p17, float nb__p18, double nb__p19, bool nb__p20, bool nb__p21, const char *nb__p22, nb_bytes nb__p23, point_t nb__p24, const point_t *nb__p25, long nb__p26, unsigned long nb__p27, signed char nb__p28, unsigned char nb__p29)
{
    return every_type__with(NULL, nb__p0, nb__p1, nb__p2, nb__p3, nb__p4, nb__p5, nb__p6, nb__p7, nb__p8, nb__p9, nb__p10, nb__p11, nb__p12, nb__p13, nb__p14, nb__p15, nb__p16, nb__p17, nb__p18, nb__p19, nb__p20, nb__p21, nb__p22, nb__p23, nb__p24, nb__p25, nb__p26, nb__p27, nb__p28, nb__p29);
}
nb_future *every_type__async_with(const nb_call *nb__call, int8_t nb__p0, int16_t nb__p1, int32_t nb__p2, int64_t nb__p3, uint8_t nb__p4, uint16_t nb__p5, uint32_t nb__p6, uint64_t nb__p7, int nb__p8, unsigned int nb__p9, long nb__p10, long long nb__p11, unsigned long nb__p12, unsigned long long nb__p13, short nb__p14, unsigned short nb__p15, int nb__p16, size_t nb__p17, float nb__p18, double nb__p19, bool nb__p20, bool nb__p21, const char *nb__p22, nb_bytes nb__p23, point_t nb__p24, const point_t *nb__p25, long nb__p26, unsigned long nb__p27, signed char nb__p28, unsigned char nb__p29)
{
    struct nb__args_every_type nb__a = {nb__p0, nb__p1, nb__p2, nb__p3, nb__p4, nb__p5, nb__p6, nb__p7, nb__p8, nb__p9, nb__p10, nb__p11, nb__p12, nb__p13, nb__p14, nb__p15, nb__p16, nb__p17, nb__p18, nb__p19, nb__p20, nb__p21, nb__p22, nb__p23, nb__p24, nb__p25, nb__p26, nb__p27, nb__p28, nb__p29};
    return nb__invoke_async(&nb__method_every_type, nb__call, &nb__a);
}
nb_future *every_type__async(int8_t nb__p0, int16_t nb__p1, int32_t nb__p2, int64_t nb__p3, uint8_t nb__p4, uint16_t nb__p5, uint32_t nb__p6, uint64_t nb__p7, int nb__p8, unsigned int nb__p9, long nb__p10, long long nb__p11, unsigned long nb__p12, unsigned long long nb__p13, short nb__p14, unsigned short nb__p15, int nb__p16, size_t nb__p17, float nb__p18, double nb__p19, bool nb__p20, bool nb__p21, const char *nb__p22, nb_bytes nb__p23, point_t nb__p24, const point_t *nb__p25, long nb__p26, unsigned long nb__p27, signed char nb__p28, unsigned char nb__p29)
{
    return every_type__async_with(NULL, nb__p0, nb__p1, nb__p2, nb__p3, nb__p4, nb__p5, nb__p6, nb__p7, nb__p8, nb__p9, nb__p10, nb__p11, nb__p12, nb__p13, nb__p14, nb__p15, nb__p16, nb__p17, nb__p18, nb__p19, nb__p20, nb__p21, nb__p22, nb__p23, nb__p24, nb__p25, nb__p26, nb__p27, nb__p28, nb__p29);
}
char *every_type__await(nb_future *nb__fut)
{
    char *nb__ret = NULL;
    nb__future_await(nb__fut, &nb__method_every_type, &nb__ret);
    return nb__ret;
}
/* ---- nebulac 0.1.0: geo_forget, selector "@app", remote on geo@h1 ---- */
struct nb__args_geo_forget {
    nb_bytes key;
};
static const nb__field nb__fields_geo_forget[] = {
    {"key", offsetof(struct nb__args_geo_forget, key), {NB__K_BYTES, sizeof(nb_bytes), 0, NULL, NULL}},
};
static const nb__type nb__args_type_geo_forget = {
    "geo_forget", sizeof(struct nb__args_geo_forget), 1, nb__fields_geo_forget};
static const uint32_t nb__serving_geo_forget[] = {1};
const nb__method nb__method_geo_forget = {
    .name = "geo_forget",
    .signature = "void geo_forget(nb_bytes key)",
    .wire_id = UINT64_C(0xb1e839149c881344),
    .selector = "@app",
    .module = &nb__this_module,
    .args = &nb__args_type_geo_forget,
    .ret = {NB__K_VOID, 0, 0, NULL, NULL},
    .local = NULL,
    .serving = nb__serving_geo_forget,
    .n_serving = 1,
};
void geo_forget__with(const nb_call *nb__call, nb_bytes nb__p0)
{
    struct nb__args_geo_forget nb__a = {nb__p0};
    nb__invoke(&nb__method_geo_forget, nb__call, &nb__a, NULL);
}
void geo_forget(nb_bytes nb__p0)
{
    geo_forget__with(NULL, nb__p0);
}
nb_future *geo_forget__async_with(const nb_call *nb__call, nb_bytes nb__p0)
{
    struct nb__args_geo_forget nb__a = {nb__p0};
    return nb__invoke_async(&nb__method_geo_forget, nb__call, &nb__a);
}
nb_future *geo_forget__async(nb_bytes nb__p0)
{
    return geo_forget__async_with(NULL, nb__p0);
}
void geo_forget__await(nb_future *nb__fut)
{
    nb__future_await(nb__fut, &nb__method_geo_forget, NULL);
}
