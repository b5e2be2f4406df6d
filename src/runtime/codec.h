/*
 * codec.h — values on the wire (docs/design.md §8): MessagePack driven by the
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
 *
 * Numbers: an integer never decodes from a float. A float or double accepts
 * float32 and float64 (a float64 read into a float rounds as C assignment does;
 * a finite value beyond FLT_MAX is an error) and accepts an integer when it
 * converts exactly, so generic clients (the nebula CLI, other languages) may
 * send 3 for 3.0. NaN and infinities cross unchanged.
 *
 * Nil and empty: NULL strings travel as nil and "" as an empty str, and decode
 * back to NULL and a heap "" respectively. Bytes of length 0 (or nil) decode
 * to {NULL, 0}. An nb_bytes with data NULL is sent as empty whatever its len.
 *
 * Depth: a value nests at most NB__CODEC_MAX_DEPTH containers (structs,
 * arrays, pointed-to structs); deeper (or cyclic) values fail to encode and
 * decode. msgpack-c's own parser stops at 32 nested containers, which bounds
 * what a frame can carry before this limit is reached: a linked list of
 * NB_STRUCT pointers crosses the wire only up to about 30 elements.
 */
#ifndef NB_RUNTIME_CODEC_H
#define NB_RUNTIME_CODEC_H

#include <msgpack.h>

#include "nebula.h"

/* The deepest container nesting encoded or decoded (see above). */
#define NB__CODEC_MAX_DEPTH 64

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

/*
 * Checks bytes received from a peer before msgpack-c sees them: 0 when buf[0..len)
 * is exactly one complete MessagePack object whose containers declare no more
 * elements than the bytes could hold and whose unpacked tree fits in
 * nb__decode_budget(len), -1 otherwise. Linear, no allocation. Every
 * payload from the network goes through it first (see wirecheck.c for why).
 */
int nb__wire_check(const void *buf, size_t len);

/* What unpacking len bytes from a peer may allocate, at most: msgpack-c's tree
 * of such a buffer must fit in it, or nb__wire_check rejects the buffer. */
#define NB__DECODE_BUDGET_FACTOR 8
#define NB__DECODE_BUDGET_FLOOR ((size_t)4 << 20)
size_t nb__decode_budget(size_t len);

/* Unpacks bytes received from a peer into *up (initialised by the caller, released
 * with msgpack_unpacked_destroy): nb__wire_check first, then msgpack-c, and the
 * object must span exactly buf[0..len). Returns 0, or -1 for malformed bytes. */
int nb__unpack_peer(msgpack_unpacked *up, const void *buf, size_t len);

/* The same into *obj, its tree allocated in zone (scratch the caller clears or
 * destroys), for a decoder that keeps a zone rather than a msgpack_unpacked. */
int nb__unpack_peer_in(msgpack_zone *zone, const void *buf, size_t len, msgpack_object *obj);

/* A NUL-terminated heap copy of a string object from a peer, owned by the
 * caller; NULL when o is not a string or memory runs out. */
char *nb__peer_strdup(const msgpack_object *o);

#endif /* NB_RUNTIME_CODEC_H */
