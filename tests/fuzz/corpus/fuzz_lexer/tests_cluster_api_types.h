/* types.h — every type the wire supports, in structs the test APIs exchange. */
#ifndef CLUSTER_TYPES_H
#define CLUSTER_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nebula.h>

NB_STRUCT typedef struct scalars {
    bool b;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int i;
    unsigned u;
    long l;
    unsigned long ul;
    long long ll;
    unsigned long long ull;
    size_t sz;
    float f;
    double d;
} scalars_t;

NB_STRUCT typedef struct point {
    int32_t x;
    int32_t y;
} point_t;

NB_STRUCT typedef struct shape {
    char *name;
    point_t origin;
    point_t corners[4];
    double weights[3];
    nb_bytes blob;
    point_t *anchor;
} shape_t;

NB_STRUCT typedef struct tree {
    char *label;
    shape_t left;
    shape_t *right;
    char *tags[2];
    scalars_t limits;
} tree_t;

#endif /* CLUSTER_TYPES_H */
