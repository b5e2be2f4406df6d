/*
 * codec.h — values on the wire (SPEC.md section 8): MessagePack driven by the
 * type descriptors nebulac generates (nb__type / nb__tref in nebula.h).
 *
 * Encoding, per kind:
 *   BOOL -> bool; INT/UINT -> int (msgpack picks the width); FLOAT -> float32
 *   (size 4) or float64; STR -> nil for NULL, else str; BYTES -> bin (nil is
 *   accepted on decode as {NULL, 0}); STRUCT -> array of its fields in order;
 *   STRUCT_PTR -> nil or the struct; ARRAY -> array of `count` elements;
 *   an argument struct -> array of the arguments in order.
 *
 * Decoding is strict: a kind mismatch, an integer out of the C type's range, a
 * wrong array length or a string with an embedded NUL is an error. A failed
 * decode leaves nothing allocated and the storage cleared (all zero).
 */
#ifndef NB_RUNTIME_CODEC_H
#define NB_RUNTIME_CODEC_H

#include <msgpack.h>

#include "nebula.h"

/* Appends the value of type t stored at p. Returns 0, or -1 when the packer's
 * writer fails (out of memory). */
int nb__encode_value(msgpack_packer *pk, const nb__tref *t, const void *p);

/* Appends an argument struct (or any nb__type) as an array of its fields. */
int nb__encode_struct(msgpack_packer *pk, const nb__type *type, const void *p);

/* Decodes obj into the zeroed storage p of type t. Every pointer written into p
 * is a fresh heap allocation owned by the caller (release with nb__value_clear).
 * Returns 0, or -1 on any mismatch (p left zeroed, nothing leaked). */
int nb__decode_value(const msgpack_object *obj, const nb__tref *t, void *p);

/* Decodes an array of fields into the zeroed struct storage p. Same contract. */
int nb__decode_struct(const msgpack_object *obj, const nb__type *type, void *p);

/* Frees what a struct value at p owns (its fields' allocations), not p itself,
 * and zeroes those fields. */
void nb__struct_clear(const nb__type *type, void *p);

/* A tref describing "a value of this struct type", for code that has only the
 * nb__type (the argument struct of a method). */
nb__tref nb__tref_of_struct(const nb__type *type);

#endif /* NB_RUNTIME_CODEC_H */
