#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdlib.h>
#include <string.h>

#include "shapes.h"

/* Globals named like generated locals: the generated code must not shadow them. */
int ret, args, call;

NB_STRUCT typedef struct stats {
    uint32_t count;
    double total, worst;
} stats_t;

double shapes_area(const struct shape *s)
{
    return s ? (s->corners[2].x - s->corners[0].x) * (s->corners[2].y - s->corners[0].y) : 0.0;
}

NB_API("&geo")
struct shape *shapes_make(const char *name, point_t at)
{
    struct shape *s = calloc(1, sizeof *s);
    s->name = strdup(name);
    s->center = at;
    return s;
}

NB_API("&geo &east")
stats_t geo_stats(uint8_t kind, const stats_t *prev)
{
    stats_t st = {kind, prev ? prev->total : 0.0, 0.0};
    return st;
}

NB_API("!&geo")
char *every_type(int8_t a, int16_t b, int32_t c, int64_t d, uint8_t e, uint16_t f,
                 uint32_t g, uint64_t h, int i, unsigned j, long k, long long l,
                 unsigned long m, unsigned long long n, short o, unsigned short p,
                 signed q, size_t r, float s, double t, bool u, _Bool v,
                 const char *w, nb_bytes x, point_t y, const point_t *z,
                 long int aa, long unsigned int bb, signed char cc, unsigned char dd)
{
    (void)a; (void)b; (void)c; (void)d; (void)e; (void)f; (void)g; (void)h; (void)i;
    (void)j; (void)k; (void)l; (void)m; (void)n; (void)o; (void)p; (void)q; (void)r;
    (void)s; (void)t; (void)u; (void)v; (void)x; (void)y; (void)z; (void)aa; (void)bb;
    (void)cc; (void)dd;
    return strdup(w);
}

NB_API("@app")
void geo_forget(nb_bytes key)
{
    (void)key;
}
