#ifndef SHAPES_H
#define SHAPES_H

#include <nebula.h>

NB_STRUCT typedef struct point {
    double x, y;
} point_t;

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
};

/* Annotated here only: the definition in geo.c carries no NB_API. */
NB_API("&geo") double shapes_area(const struct shape *s);

struct shape *shapes_make(const char *name, point_t at);

#endif
