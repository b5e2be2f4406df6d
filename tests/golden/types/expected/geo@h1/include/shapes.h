#include <nebula.h>
#line 1 "include/shapes.h"
#ifndef SHAPES_H
#define SHAPES_H

#include <nebula.h>

NB_STRUCT typedef struct point {
    double x, y;
} point_t; extern const nb__type nb__type_point_t; void nb_free_point_t(point_t *p); void nb_clear_point_t(point_t *p);

/* Arrays, a nested struct by value, a struct pointer, strings and bytes. */
NB_STRUCT struct shape {
    char *name;
    point_t corners[4];
    int32_t grid[2][3];
    point_t center;
    struct shape *next;
    nb_bytes blob;
    bool closed;
    char *tags[2];
}; extern const nb__type nb__type_shape; void nb_free_shape(struct shape *p); void nb_clear_shape(struct shape *p);

/* Annotated here only: the definition in geo.c carries no NB_API. */
 double shapes_area(const struct shape *s); NB__DECLS_BEGIN double shapes_area__with(const nb_call *call, const struct shape *s); nb_future *shapes_area__async(const struct shape *s); nb_future *shapes_area__async_with(const nb_call *call, const struct shape *s); double shapes_area__await(nb_future *fut); NB__DECLS_END

struct shape *shapes_make(const char *name, point_t at); NB__DECLS_BEGIN struct shape *shapes_make__with(const nb_call *call, const char *name, point_t at); nb_future *shapes_make__async(const char *name, point_t at); nb_future *shapes_make__async_with(const nb_call *call, const char *name, point_t at); struct shape *shapes_make__await(nb_future *fut); NB__DECLS_END

#endif
