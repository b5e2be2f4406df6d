/*
 * json.h — a small JSON reader for the struct arguments of `nebula call`
 * ({"id": 1, "name": "x"} or [1, "x"]).
 *
 * Strict RFC 8259, plus the bare words NaN, Infinity and -Infinity as numbers
 * (the way the command prints float values JSON cannot spell). Numbers keep
 * their literal text, so a 64-bit integer is converted exactly by whoever knows
 * its C type. Strings are decoded to UTF-8; "\u0000" is refused, since every
 * string becomes a C string.
 */
#ifndef NB_CLI_JSON_H
#define NB_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum nb__cli_json_kind {
    NB__CLI_J_NULL = 0,
    NB__CLI_J_BOOL,
    NB__CLI_J_NUMBER,
    NB__CLI_J_STRING,
    NB__CLI_J_ARRAY,
    NB__CLI_J_OBJECT
} nb__cli_json_kind;

typedef struct nb__cli_json nb__cli_json;
struct nb__cli_json {
    nb__cli_json_kind kind;
    bool boolean;         /* BOOL */
    char *text;           /* NUMBER: the literal as written; STRING: the decoded text */
    size_t n;             /* ARRAY, OBJECT: how many items */
    nb__cli_json *items;  /* ARRAY: the elements; OBJECT: the values, in order */
    char **keys;          /* OBJECT: the keys, parallel to items */
};

/* The deepest nesting of arrays and objects accepted. */
#define NB__CLI_JSON_MAX_DEPTH 64

/*
 * Parses text, one JSON value with optional white space around it, into *out,
 * which then owns heap memory (release it with nb__cli_json_free). Returns 0, or
 * -1 with a message naming the offset in err and *out left empty (NULL kind).
 */
int nb__cli_json_parse(const char *text, nb__cli_json *out, char *err, size_t err_size);

/* Frees what v owns and leaves it a JSON null. */
void nb__cli_json_free(nb__cli_json *v);

/* "null", "a boolean", "a number", "a string", "an array", "an object". Static. */
const char *nb__cli_json_kind_name(nb__cli_json_kind k);

#endif /* NB_CLI_JSON_H */
