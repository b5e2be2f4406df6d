/*
 * value_in.c — API values from command-line words and JSON (the rules are in
 * value_io.h). Every reader fills zeroed storage in place and stores each heap
 * pointer the moment it is allocated, so after a failure one nb__value_clear of
 * the argument releases whatever was built.
 */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "value_io.h"

typedef struct in_ctx {
    char path[256];   /* where in the argument we are: ".left.corners[2].x" */
    char *err;
    size_t err_size;
} in_ctx;

/* Fills p (zeroed storage of type t) from j, which stays the caller's; heap
 * memory goes into p at once, so the caller's clear frees it after a failure. */
static int from_json(in_ctx *c, const nb__tref *t, const nb__cli_json *j, void *p);

static int bad(in_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(in_ctx *c, const char *fmt, ...)
{
    int n = c->path[0] ? snprintf(c->err, c->err_size, "at %s: ", c->path) : 0;
    if (n >= 0 && (size_t)n < c->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Integer limits of a C integer of `size` bytes. */
static void int_limits(const nb__tref *t, long long *min, long long *max, unsigned long long *umax)
{
    unsigned bits = t->size * 8u;
    *min = bits >= 64 ? LLONG_MIN : -(1LL << (bits - 1));
    *max = bits >= 64 ? LLONG_MAX : (1LL << (bits - 1)) - 1;
    *umax = bits >= 64 ? ULLONG_MAX : (1ULL << bits) - 1;
}

/* Stores the low t->size bytes of bits at p (the caller checked the range). */
static void store_int(const nb__tref *t, void *p, unsigned long long bits)
{
    switch (t->size) {
    case 1: { uint8_t v = (uint8_t)bits; memcpy(p, &v, 1); break; }
    case 2: { uint16_t v = (uint16_t)bits; memcpy(p, &v, 2); break; }
    case 4: { uint32_t v = (uint32_t)bits; memcpy(p, &v, 4); break; }
    default: { uint64_t v = (uint64_t)bits; memcpy(p, &v, 8); break; }
    }
}

/* Decimal, or hexadecimal after 0x; no blanks, no plus sign. */
static int read_int(in_ctx *c, const nb__tref *t, const char *s, void *p)
{
    char tn[64];
    nb__cli_type_name(t, tn, sizeof tn);
    bool neg = s[0] == '-';
    const char *d = s + neg;
    int base = d[0] == '0' && (d[1] == 'x' || d[1] == 'X') ? 16 : 10;
    if (!isdigit((unsigned char)d[0]))
        return bad(c, "\"%s\" is not an integer", s);
    long long min, max;
    unsigned long long umax;
    int_limits(t, &min, &max, &umax);
    char *end;
    errno = 0;
    if (t->kind == NB__K_INT) {
        long long v = strtoll(s, &end, base);
        if (*end != '\0')
            return bad(c, "\"%s\" is not an integer", s);
        if (errno == ERANGE || v < min || v > max)
            return bad(c, "%s is out of range for %s (%lld to %lld)", s, tn, min, max);
        store_int(t, p, (unsigned long long)v);
        return 0;
    }
    unsigned long long v = strtoull(d, &end, base);
    if (*end != '\0')
        return bad(c, "\"%s\" is not an integer", s);
    if (neg || errno == ERANGE || v > umax)
        return bad(c, "%s is out of range for %s (0 to %llu)", s, tn, umax);
    store_int(t, p, v);
    return 0;
}

/* A float or double from its text; C's strtod syntax, checked for range. */
static int read_float(in_ctx *c, const nb__tref *t, const char *s, void *p)
{
    char tn[64];
    nb__cli_type_name(t, tn, sizeof tn);
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (s[0] == '\0' || isspace((unsigned char)s[0]) || s[0] == '+' || *end != '\0')
        return bad(c, "\"%s\" is not a number", s);
    /* A float takes what rounds to at most FLT_MAX: below it by half a unit in
     * the last place (2^103), as the 3.4028235e+38 this command prints for it. */
    if ((errno == ERANGE && isinf(v)) ||
        (t->size == 4 && isfinite(v) && fabs(v) >= (double)FLT_MAX + 0x1p103))
        return bad(c, "%s is out of range for %s", s, tn);
    if (t->size == 4) {
        float f = (float)v;
        memcpy(p, &f, sizeof f);
    } else {
        memcpy(p, &v, sizeof v);
    }
    return 0;
}

/* Exactly "true" or "false". */
static int read_bool(in_ctx *c, const char *s, void *p)
{
    bool v = strcmp(s, "true") == 0;
    if (!v && strcmp(s, "false") != 0)
        return bad(c, "\"%s\" is not a bool (true or false)", s);
    memcpy(p, &v, sizeof v);
    return 0;
}

static int hex_digit(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* The whole of FILE ("-": standard input) into b. */
static int read_file(in_ctx *c, const char *path, nb_bytes *b)
{
    bool std_in = strcmp(path, "-") == 0;
    FILE *f = std_in ? stdin : fopen(path, "rb");
    if (f == NULL)
        return bad(c, "cannot read %s: %s", path, strerror(errno));
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        if (b->len == cap) {
            cap = cap ? cap * 2 : 4096;
            void *d = realloc(b->data, cap);
            if (d == NULL) {
                rc = bad(c, "%s: out of memory", path);
                break;
            }
            b->data = d;
        }
        size_t got = fread((char *)b->data + b->len, 1, cap - b->len, f);
        b->len += got;
        if (got == 0) {
            if (ferror(f))
                rc = bad(c, "cannot read %s: %s", path, strerror(errno));
            break;
        }
    }
    if (!std_in)
        fclose(f);
    return rc;
}

/* nb_bytes from "hex:...", "text:..." or "@FILE"; b is zeroed storage. */
static int read_bytes(in_ctx *c, const char *s, nb_bytes *b)
{
    if (strncmp(s, "text:", 5) == 0) {
        b->len = strlen(s + 5);
        b->data = b->len ? strdup(s + 5) : NULL;
        return b->len && !b->data ? bad(c, "out of memory") : 0;
    }
    if (s[0] == '@')
        return read_file(c, s + 1, b);
    if (strncmp(s, "hex:", 4) != 0)
        return bad(c, "\"%s\" is not bytes: write hex:48656c6c6f, text:Hello or @FILE", s);
    const char *h = s + 4;
    size_t n = strlen(h);
    if (n % 2 != 0)
        return bad(c, "hex bytes need an even number of digits (%zu given)", n);
    if (n == 0)
        return 0;
    unsigned char *d = malloc(n / 2);
    if (d == NULL)
        return bad(c, "out of memory");
    b->data = d;
    b->len = n / 2;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_digit(h[i]), lo = hex_digit(h[i + 1]);
        if (hi < 0 || lo < 0)
            return bad(c, "'%c' is not a hex digit", hi < 0 ? h[i] : h[i + 1]);
        d[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* Appends to the path for the duration of one nested read. */
static size_t path_push(in_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(in_ctx *c, const char *fmt, ...)
{
    size_t old = strlen(c->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->path + old, sizeof c->path - old, fmt, ap);
    va_end(ap);
    return old;
}

/* The field of type called name (pointing into the descriptor), or NULL. */
static const nb__field *field_named(const nb__type *type, const char *name)
{
    for (size_t i = 0; i < type->n_fields; i++)
        if (strcmp(type->fields[i].name, name) == 0)
            return &type->fields[i];
    return NULL;
}

/* An object by field names (missing ones stay zero) or an array of every field. */
static int struct_from_json(in_ctx *c, const nb__type *type, const nb__cli_json *j, void *p)
{
    if (j->kind == NB__CLI_J_ARRAY && j->n != type->n_fields)
        return bad(c, "%s has %zu field(s) but the array holds %zu value(s)", type->name,
                   type->n_fields, j->n);
    if (j->kind != NB__CLI_J_ARRAY && j->kind != NB__CLI_J_OBJECT)
        return bad(c, "expected an object or an array for %s, found %s", type->name,
                   nb__cli_json_kind_name(j->kind));
    for (size_t k = 0; k < j->n; k++) {
        const nb__field *f = &type->fields[k < type->n_fields ? k : 0];
        if (j->kind == NB__CLI_J_OBJECT) {
            if ((f = field_named(type, j->keys[k])) == NULL)
                return bad(c, "%s has no field \"%s\"", type->name, j->keys[k]);
            for (size_t e = 0; e < k; e++)
                if (strcmp(j->keys[e], j->keys[k]) == 0)
                    return bad(c, "field \"%s\" is given twice", j->keys[k]);
        }
        size_t old = path_push(c, ".%s", f->name);
        int rc = from_json(c, &f->t, &j->items[k], (char *)p + f->offset);
        c->path[old] = '\0';
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* A fixed array: a JSON array of exactly t->count elements. */
static int array_from_json(in_ctx *c, const nb__tref *t, const nb__cli_json *j, void *p)
{
    if (j->kind != NB__CLI_J_ARRAY || j->n != t->count)
        return bad(c, "expected an array of %u element(s), found %s%s", t->count,
                   nb__cli_json_kind_name(j->kind), j->kind == NB__CLI_J_ARRAY ? " of another length" : "");
    for (uint32_t i = 0; i < t->count; i++) {
        size_t old = path_push(c, "[%u]", i);
        int rc = from_json(c, t->elem, &j->items[i], (char *)p + (size_t)i * t->elem->size);
        c->path[old] = '\0';
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* A scalar from JSON: the kind must fit, then the word rules apply. */
static int scalar_from_json(in_ctx *c, const nb__tref *t, const nb__cli_json *j, void *p)
{
    char tn[64];
    nb__cli_type_name(t, tn, sizeof tn);
    switch (t->kind) {
    case NB__K_BOOL:
        if (j->kind != NB__CLI_J_BOOL)
            return bad(c, "expected true or false, found %s", nb__cli_json_kind_name(j->kind));
        memcpy(p, &j->boolean, sizeof j->boolean);
        return 0;
    case NB__K_INT:
    case NB__K_UINT:
    case NB__K_FLOAT:
        if (j->kind != NB__CLI_J_NUMBER)
            return bad(c, "expected a number (%s), found %s", tn, nb__cli_json_kind_name(j->kind));
        return t->kind == NB__K_FLOAT ? read_float(c, t, j->text, p) : read_int(c, t, j->text, p);
    case NB__K_STR:
        if (j->kind == NB__CLI_J_NULL)
            return 0;
        if (j->kind != NB__CLI_J_STRING)
            return bad(c, "expected a string or null, found %s", nb__cli_json_kind_name(j->kind));
        if ((*(char **)p = strdup(j->text)) == NULL)
            return bad(c, "out of memory");
        return 0;
    case NB__K_BYTES:
        if (j->kind == NB__CLI_J_NULL)
            return 0;
        if (j->kind != NB__CLI_J_STRING)
            return bad(c, "expected bytes as a string (\"hex:...\", \"text:...\", \"@FILE\"), found %s",
                       nb__cli_json_kind_name(j->kind));
        return read_bytes(c, j->text, p);
    default:
        return bad(c, "%s cannot be given on the command line", tn);
    }
}

static int from_json(in_ctx *c, const nb__tref *t, const nb__cli_json *j, void *p)
{
    switch (t->kind) {
    case NB__K_STRUCT:
        return struct_from_json(c, t->type, j, p);
    case NB__K_STRUCT_PTR: {
        if (j->kind == NB__CLI_J_NULL)
            return 0;
        void *q = calloc(1, t->type->size ? t->type->size : 1);
        if (q == NULL)
            return bad(c, "out of memory");
        *(void **)p = q; /* owned by the argument from here on */
        return struct_from_json(c, t->type, j, q);
    }
    case NB__K_ARRAY:
        return array_from_json(c, t, j, p);
    default:
        return scalar_from_json(c, t, j, p);
    }
}

/* A word read as JSON, then as a value of type t. */
static int json_word(in_ctx *c, const nb__tref *t, const char *word, void *p)
{
    nb__cli_json j;
    if (nb__cli_json_parse(word, &j, c->err, c->err_size) < 0)
        return -1;
    int rc = from_json(c, t, &j, p);
    nb__cli_json_free(&j);
    return rc;
}

/* One command-line word into p, by the rules of value_io.h. */
static int word_value(in_ctx *c, const nb__tref *t, const char *word, void *p)
{
    switch (t->kind) {
    case NB__K_BOOL:
        return read_bool(c, word, p);
    case NB__K_INT:
    case NB__K_UINT:
        return read_int(c, t, word, p);
    case NB__K_FLOAT:
        return read_float(c, t, word, p);
    case NB__K_STR:
        if (strcmp(word, "null") == 0)
            return 0;
        if (word[0] == '"')
            return json_word(c, t, word, p);
        if ((*(char **)p = strdup(word)) == NULL)
            return bad(c, "out of memory");
        return 0;
    case NB__K_BYTES:
        return word[0] == '"' ? json_word(c, t, word, p) : read_bytes(c, word, p);
    default:
        return json_word(c, t, word, p);
    }
}

int nb__cli_value_from_word(const nb__tref *t, const char *word, void *p, char *err,
                            size_t err_size)
{
    in_ctx c = {.err = err, .err_size = err_size};
    err[0] = '\0';
    int rc = word_value(&c, t, word, p);
    if (rc < 0)
        nb__value_clear(t, p);
    return rc;
}
