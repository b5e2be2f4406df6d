/*
 * fuzz_types.h — type descriptors as nebulac generates them (nb__tref /
 * nb__type in nebula.h), for the harnesses that drive the value codec: one of
 * each kind, a recursive list of NB_STRUCT pointers, a struct holding arrays of
 * structs, a two-dimensional array and an array of strings, and an argument
 * struct. The first byte of a fuzz input picks one of fuzz_trefs[].
 */
#ifndef NB_FUZZ_TYPES_H
#define NB_FUZZ_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nebula.h"

typedef struct fz_link {
    int32_t x;
    char *label;
    struct fz_link *next;
} fz_link;

typedef struct fz_every {
    bool flag;
    int8_t i8;
    int16_t i16[2];
    int64_t i64;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    float f;
    double d[2];
    char *s;
    nb_bytes b;
    fz_link by_value;
    fz_link *ptr;
    fz_link links[2];
    int16_t grid[2][3];
    char *names[3];
} fz_every;

/* An API's generated argument struct: (const char *key, nb_bytes blob, fz_link *at). */
typedef struct fz_args {
    char *key;
    nb_bytes blob;
    fz_link *at;
    uint32_t n;
} fz_args;

#define FZ_SCALAR(kind, ctype)                                                                     \
    {                                                                                              \
        kind, sizeof(ctype), 0, NULL, NULL                                                         \
    }
#define FZ_ARRAY(ctype, n, elem)                                                                   \
    {                                                                                              \
        NB__K_ARRAY, sizeof(ctype[n]), n, &(elem), NULL                                            \
    }

static const nb__type fz_link_type;
static const nb__field fz_link_fields[] = {
    {"x", offsetof(fz_link, x), FZ_SCALAR(NB__K_INT, int32_t)},
    {"label", offsetof(fz_link, label), FZ_SCALAR(NB__K_STR, char *)},
    {"next",
     offsetof(fz_link, next),
     {NB__K_STRUCT_PTR, sizeof(fz_link *), 0, NULL, &fz_link_type}},
};
static const nb__type fz_link_type = {"fz_link", sizeof(fz_link), 3, fz_link_fields};

static const nb__tref fz_t_i16 = FZ_SCALAR(NB__K_INT, int16_t);
static const nb__tref fz_t_d = FZ_SCALAR(NB__K_FLOAT, double);
static const nb__tref fz_t_str = FZ_SCALAR(NB__K_STR, char *);
static const nb__tref fz_t_bytes = FZ_SCALAR(NB__K_BYTES, nb_bytes);
static const nb__tref fz_t_link = {NB__K_STRUCT, sizeof(fz_link), 0, NULL, &fz_link_type};
static const nb__tref fz_t_link_ptr = {NB__K_STRUCT_PTR, sizeof(fz_link *), 0, NULL, &fz_link_type};
static const nb__tref fz_t_row = FZ_ARRAY(int16_t, 3, fz_t_i16);

static const nb__field fz_every_fields[] = {
    {"flag", offsetof(fz_every, flag), FZ_SCALAR(NB__K_BOOL, bool)},
    {"i8", offsetof(fz_every, i8), FZ_SCALAR(NB__K_INT, int8_t)},
    {"i16", offsetof(fz_every, i16), FZ_ARRAY(int16_t, 2, fz_t_i16)},
    {"i64", offsetof(fz_every, i64), FZ_SCALAR(NB__K_INT, int64_t)},
    {"u8", offsetof(fz_every, u8), FZ_SCALAR(NB__K_UINT, uint8_t)},
    {"u16", offsetof(fz_every, u16), FZ_SCALAR(NB__K_UINT, uint16_t)},
    {"u32", offsetof(fz_every, u32), FZ_SCALAR(NB__K_UINT, uint32_t)},
    {"u64", offsetof(fz_every, u64), FZ_SCALAR(NB__K_UINT, uint64_t)},
    {"f", offsetof(fz_every, f), FZ_SCALAR(NB__K_FLOAT, float)},
    {"d", offsetof(fz_every, d), FZ_ARRAY(double, 2, fz_t_d)},
    {"s", offsetof(fz_every, s), FZ_SCALAR(NB__K_STR, char *)},
    {"b", offsetof(fz_every, b), FZ_SCALAR(NB__K_BYTES, nb_bytes)},
    {"by_value",
     offsetof(fz_every, by_value),
     {NB__K_STRUCT, sizeof(fz_link), 0, NULL, &fz_link_type}},
    {"ptr", offsetof(fz_every, ptr), {NB__K_STRUCT_PTR, sizeof(fz_link *), 0, NULL, &fz_link_type}},
    {"links", offsetof(fz_every, links), FZ_ARRAY(fz_link, 2, fz_t_link)},
    {"grid", offsetof(fz_every, grid), FZ_ARRAY(int16_t[3], 2, fz_t_row)},
    {"names", offsetof(fz_every, names), FZ_ARRAY(char *, 3, fz_t_str)},
};
static const nb__type fz_every_type = {"fz_every", sizeof(fz_every),
                                       sizeof fz_every_fields / sizeof fz_every_fields[0],
                                       fz_every_fields};

static const nb__field fz_args_fields[] = {
    {"key", offsetof(fz_args, key), FZ_SCALAR(NB__K_STR, char *)},
    {"blob", offsetof(fz_args, blob), FZ_SCALAR(NB__K_BYTES, nb_bytes)},
    {"at", offsetof(fz_args, at), {NB__K_STRUCT_PTR, sizeof(fz_link *), 0, NULL, &fz_link_type}},
    {"n", offsetof(fz_args, n), FZ_SCALAR(NB__K_UINT, uint32_t)},
};
static const nb__type fz_args_type = {"fz_args_t", sizeof(fz_args), 4, fz_args_fields};

/* Every value type a harness decodes into; the input's first byte picks one. */
static const nb__tref fz_trefs[] = {
    FZ_SCALAR(NB__K_VOID, char),
    FZ_SCALAR(NB__K_BOOL, bool),
    FZ_SCALAR(NB__K_INT, int8_t),
    FZ_SCALAR(NB__K_INT, int32_t),
    FZ_SCALAR(NB__K_INT, int64_t),
    FZ_SCALAR(NB__K_UINT, uint16_t),
    FZ_SCALAR(NB__K_UINT, uint64_t),
    FZ_SCALAR(NB__K_FLOAT, float),
    FZ_SCALAR(NB__K_FLOAT, double),
    FZ_SCALAR(NB__K_STR, char *),
    FZ_SCALAR(NB__K_BYTES, nb_bytes),
    {NB__K_STRUCT, sizeof(fz_link), 0, NULL, &fz_link_type},
    {NB__K_STRUCT_PTR, sizeof(fz_link *), 0, NULL, &fz_link_type},
    {NB__K_STRUCT, sizeof(fz_every), 0, NULL, &fz_every_type},
    {NB__K_STRUCT_PTR, sizeof(fz_every *), 0, NULL, &fz_every_type},
    FZ_ARRAY(char *, 4, fz_t_str),
    FZ_ARRAY(nb_bytes, 2, fz_t_bytes),
    FZ_ARRAY(fz_link *, 3, fz_t_link_ptr),
    FZ_ARRAY(int16_t[3], 2, fz_t_row),
    {NB__K_STRUCT, sizeof(fz_args), 0, NULL, &fz_args_type},
};
#define FZ_N_TREFS (sizeof fz_trefs / sizeof fz_trefs[0])

#endif /* NB_FUZZ_TYPES_H */
