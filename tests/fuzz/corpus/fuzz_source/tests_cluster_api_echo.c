/*
 * echo.c — test APIs that return what they were given, for every supported type.
 * Served by every &store node (api, db1, db2), so a caller on api can compare the
 * same body run locally and remotely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nebula.h>

#include "api.h"

#include "types.h"

#if NB_ON("&store")
static char *copy_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

static nb_bytes copy_bytes(nb_bytes b)
{
    nb_bytes out = {NULL, b.len};
    if (b.len) {
        out.data = malloc(b.len);
        memcpy(out.data, b.data, b.len);
    }
    return out;
}

static point_t *copy_point(const point_t *p)
{
    if (!p)
        return NULL;
    point_t *q = malloc(sizeof *q);
    *q = *p;
    return q;
}

/* A deep copy of a shape into *out (every pointer a new allocation). */
static void copy_shape_into(shape_t *out, const shape_t *s)
{
    *out = *s;
    out->name = copy_str(s->name);
    out->blob = copy_bytes(s->blob);
    out->anchor = copy_point(s->anchor);
}
#endif

NB_API("&store")
bool echo_bool(bool v)
{
    return v;
}

NB_API("&store")
int8_t echo_i8(int8_t v)
{
    return v;
}

NB_API("&store")
uint16_t echo_u16(uint16_t v)
{
    return v;
}

NB_API("&store")
int64_t echo_i64(int64_t v)
{
    return v;
}

NB_API("&store")
uint64_t echo_u64(uint64_t v)
{
    return v;
}

NB_API("&store")
size_t echo_size(size_t v)
{
    return v;
}

NB_API("&store")
float echo_float(float v)
{
    return v;
}

NB_API("&store")
double echo_double(double v)
{
    return v;
}

NB_API("&store")
char *echo_str(const char *s)
{
    return copy_str(s);
}

NB_API("&store")
nb_bytes echo_bytes(nb_bytes b)
{
    return copy_bytes(b);
}

NB_API("&store")
scalars_t echo_scalars(scalars_t s)
{
    return s;
}

NB_API("&store")
shape_t *echo_shape(const shape_t *s)
{
    if (!s)
        return NULL;
    shape_t *out = malloc(sizeof *out);
    copy_shape_into(out, s);
    return out;
}

NB_API("&store")
tree_t *echo_tree(const tree_t *t)
{
    if (!t)
        return NULL;
    tree_t *out = malloc(sizeof *out);
    *out = *t;
    out->label = copy_str(t->label);
    copy_shape_into(&out->left, &t->left);
    out->right = NULL;
    if (t->right) {
        out->right = malloc(sizeof *out->right);
        copy_shape_into(out->right, t->right);
    }
    for (size_t i = 0; i < 2; i++)
        out->tags[i] = copy_str(t->tags[i]);
    return out;
}

/* Many arguments of mixed kinds, folded into a string. */
NB_API("&store")
char *mixed(int32_t a, const char *b, double c, bool d, const point_t *e, nb_bytes f)
{
    char *out = malloc(256);
    snprintf(out, 256, "%d|%s|%.3f|%d|%s|%zu", a, b ? b : "(null)", c, d,
             e ? "point" : "(null)", f.len);
    return out;
}

/* The node that ran the body. */
NB_API("&store")
char *where(void)
{
    return strdup(nb_self_node());
}
