/*
 * value_io.h — API values from the command line and back, driven by the type
 * descriptors nebulac generated (nb__tref in nebula.h).
 *
 * In, one word per argument:
 *   integers   42, -7, 0x2a       range-checked against the C type
 *   floats     2.5, 1e-3, NaN, Infinity, -Infinity
 *   bool       true, false
 *   strings    the word itself; null for NULL; a word starting with a double
 *              quote is read as a JSON string ('"null"' is the text null)
 *   nb_bytes   hex:48656c6c6f, text:Hello, @FILE (its contents; @- is stdin),
 *              also as a JSON string ('"hex:00ff"', as the command prints bytes)
 *   structs    JSON: {"id": 1, "name": "x"} (missing fields are zero) or [1, "x"]
 *              (every field, in order); null for a NULL struct pointer
 * Inside JSON the same rules hold per field: numbers, true/false, strings or
 * null, bytes as one of the strings above, nested objects and arrays.
 *
 * Out, as JSON on one line: numbers (floats in the shortest form that reads back
 * exactly; NaN, Infinity, -Infinity), true/false, strings or null, bytes as
 * "hex:...", structs as objects with their field names, fixed arrays as arrays.
 */
#ifndef NB_CLI_VALUE_IO_H
#define NB_CLI_VALUE_IO_H

#include <stddef.h>
#include <stdio.h>

#include "nebula.h"

/*
 * Fills p, zeroed storage of type t, from one command-line word. The value then
 * owns heap memory the caller releases with nb__value_clear(t, p). Returns 0, or
 * -1 with a message in err (naming the field at fault) and p left zero.
 */
int nb__cli_value_from_word(const nb__tref *t, const char *word, void *p, char *err,
                            size_t err_size);

/* Prints the value of type t at p as JSON (no newline). Bytes longer than
 * max_bytes (0: no limit) print as the string "<N bytes>" instead of hex. */
void nb__cli_print_value(FILE *out, const nb__tref *t, const void *p, size_t max_bytes);

/* Writes t as C spells it ("int64_t", "double", "user_t *", "point_t[4]") into
 * buf and returns buf. */
const char *nb__cli_type_name(const nb__tref *t, char *buf, size_t size);

/* How a value of type t is written on the command line, in a few words
 * ("an integer from -128 to 127", "JSON for point_t, or null"). Static storage
 * or buf. */
const char *nb__cli_type_hint(const nb__tref *t, char *buf, size_t size);

#endif /* NB_CLI_VALUE_IO_H */
