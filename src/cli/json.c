/*
 * json.c — a recursive-descent JSON reader (see json.h). Nothing is built on the
 * side: every node is filled in place, so a failure anywhere is undone by
 * freeing the root, which holds everything parsed so far.
 */
#include "json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    const char *s;
    size_t pos;
    int depth;
    char *err;
    size_t err_size;
    bool failed;
} reader;

/* Any value into v, in place: what it allocates belongs to v, even on failure. */
static int parse_value(reader *r, nb__cli_json *v);

static int fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(reader *r, const char *fmt, ...)
{
    if (r->failed)
        return -1;
    r->failed = true;
    int n = snprintf(r->err, r->err_size, "invalid JSON at offset %zu: ", r->pos);
    if (n >= 0 && (size_t)n < r->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err + n, r->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Skips the four characters JSON counts as white space. */
static void skip_space(reader *r)
{
    while (r->s[r->pos] == ' ' || r->s[r->pos] == '\t' || r->s[r->pos] == '\n' ||
           r->s[r->pos] == '\r')
        r->pos++;
}

/* Consumes the literal w when the input continues with it. */
static bool take_word(reader *r, const char *w)
{
    size_t n = strlen(w);
    if (strncmp(r->s + r->pos, w, n) != 0)
        return false;
    r->pos += n;
    return true;
}

/* A growable string being decoded. */
typedef struct sbuf {
    char *data;
    size_t len, cap;
} sbuf;

/* Appends n bytes of p (borrowed) to b, whose heap data the caller frees. */
static int sbuf_put(sbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Reads the 4 hex digits of a \u escape; -1 when they are not hex. */
static long hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Appends code point cp, encoded as UTF-8. */
static int put_utf8(sbuf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return sbuf_put(b, u, n);
}

/* A \uXXXX escape (r->pos at the 'u'), with a surrogate pair's second half. */
static int parse_unicode(reader *r, sbuf *b)
{
    long hi = hex4(r->s + r->pos + 1);
    if (hi < 0)
        return fail(r, "\\u needs 4 hex digits");
    r->pos += 5;
    uint32_t cp = (uint32_t)hi;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return fail(r, "a lone low surrogate");
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        long lo = r->s[r->pos] == '\\' && r->s[r->pos + 1] == 'u' ? hex4(r->s + r->pos + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(r, "a high surrogate without its low half");
        r->pos += 6;
        cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    }
    if (cp == 0)
        return fail(r, "\\u0000: strings cannot hold a NUL byte");
    return put_utf8(b, cp) < 0 ? fail(r, "out of memory") : 0;
}

/* Decodes one escape (r->pos at the character after the backslash). */
static int parse_escape(reader *r, sbuf *b)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    char c = r->s[r->pos];
    if (c == 'u')
        return parse_unicode(r, b);
    const char *at = c ? strchr(from, c) : NULL;
    if (at == NULL)
        return fail(r, "unknown escape \\%c", c ? c : '0');
    r->pos++;
    return sbuf_put(b, &to[at - from], 1) < 0 ? fail(r, "out of memory") : 0;
}

/* A string (r->pos at the opening quote) into a heap copy in *out. */
static int parse_string(reader *r, char **out)
{
    sbuf b = {0};
    r->pos++;
    for (;;) {
        size_t start = r->pos;
        while ((unsigned char)r->s[r->pos] >= 0x20 && r->s[r->pos] != '"' && r->s[r->pos] != '\\')
            r->pos++;
        if (sbuf_put(&b, r->s + start, r->pos - start) < 0) {
            free(b.data);
            return fail(r, "out of memory");
        }
        char c = r->s[r->pos];
        if (c == '"')
            break;
        if (c != '\\') {
            free(b.data);
            return fail(r, c ? "a control character in a string (escape it)" : "unterminated string");
        }
        r->pos++;
        if (parse_escape(r, &b) < 0) {
            free(b.data);
            return -1;
        }
    }
    r->pos++;
    *out = b.data ? b.data : strdup("");
    return *out ? 0 : fail(r, "out of memory");
}

/* How many decimal digits p starts with. */
static size_t digits(const char *p)
{
    size_t n = 0;
    while (p[n] >= '0' && p[n] <= '9')
        n++;
    return n;
}

/* A number (JSON grammar, or NaN / Infinity / -Infinity), kept as text. */
static int parse_number(reader *r, nb__cli_json *v)
{
    const char *p = r->s + r->pos;
    size_t n = 0;
    if (strncmp(p, "NaN", 3) == 0 || strncmp(p, "Infinity", 8) == 0 ||
        strncmp(p, "-Infinity", 9) == 0) {
        n = p[0] == 'N' ? 3 : p[0] == 'I' ? 8 : 9;
    } else {
        if (p[n] == '-')
            n++;
        size_t d = digits(p + n);
        if (d == 0 || (p[n] == '0' && d > 1))
            return fail(r, d == 0 ? "expected a value" : "a number with a leading zero");
        n += d;
        if (p[n] == '.') {
            if ((d = digits(p + n + 1)) == 0)
                return fail(r, "a digit must follow the decimal point");
            n += 1 + d;
        }
        if (p[n] == 'e' || p[n] == 'E') {
            size_t k = n + 1 + (p[n + 1] == '+' || p[n + 1] == '-');
            if ((d = digits(p + k)) == 0)
                return fail(r, "a digit must follow the exponent");
            n = k + d;
        }
    }
    v->kind = NB__CLI_J_NUMBER;
    v->text = strndup(p, n);
    r->pos += n;
    return v->text ? 0 : fail(r, "out of memory");
}

/* Appends a null item to an array or object; returns it, or NULL (no memory). */
static nb__cli_json *push_item(nb__cli_json *v, size_t *cap)
{
    if (v->n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        nb__cli_json *items = realloc(v->items, c * sizeof *items);
        if (items == NULL)
            return NULL;
        v->items = items;
        if (v->kind == NB__CLI_J_OBJECT) {
            char **keys = realloc(v->keys, c * sizeof *keys);
            if (keys == NULL)
                return NULL;
            v->keys = keys;
        }
        *cap = c;
    }
    nb__cli_json *it = &v->items[v->n];
    memset(it, 0, sizeof *it);
    if (v->kind == NB__CLI_J_OBJECT)
        v->keys[v->n] = NULL;
    v->n++;
    return it;
}

/* An array or an object (r->pos at its opening bracket). */
static int parse_container(reader *r, nb__cli_json *v, bool object)
{
    char close = object ? '}' : ']';
    v->kind = object ? NB__CLI_J_OBJECT : NB__CLI_J_ARRAY;
    if (++r->depth > NB__CLI_JSON_MAX_DEPTH)
        return fail(r, "nested deeper than %d", NB__CLI_JSON_MAX_DEPTH);
    r->pos++;
    skip_space(r);
    size_t cap = 0;
    if (r->s[r->pos] == close) {
        r->pos++;
        r->depth--;
        return 0;
    }
    for (;;) {
        skip_space(r);
        nb__cli_json *it = push_item(v, &cap);
        if (it == NULL)
            return fail(r, "out of memory");
        if (object) {
            if (r->s[r->pos] != '"')
                return fail(r, "expected a key in double quotes");
            if (parse_string(r, &v->keys[v->n - 1]) < 0)
                return -1;
            skip_space(r);
            if (r->s[r->pos] != ':')
                return fail(r, "expected ':' after the key");
            r->pos++;
        }
        if (parse_value(r, it) < 0)
            return -1;
        skip_space(r);
        if (r->s[r->pos] == ',') {
            r->pos++;
            continue;
        }
        if (r->s[r->pos] != close)
            return fail(r, "expected ',' or '%c'", close);
        r->pos++;
        r->depth--;
        return 0;
    }
}

static int parse_value(reader *r, nb__cli_json *v)
{
    skip_space(r);
    char c = r->s[r->pos];
    if (c == '{' || c == '[')
        return parse_container(r, v, c == '{');
    if (c == '"') {
        v->kind = NB__CLI_J_STRING;
        return parse_string(r, &v->text);
    }
    if (take_word(r, "null")) {
        v->kind = NB__CLI_J_NULL;
        return 0;
    }
    if (take_word(r, "true") || take_word(r, "false")) {
        v->kind = NB__CLI_J_BOOL;
        v->boolean = r->s[r->pos - 4] == 't';
        return 0;
    }
    return parse_number(r, v);
}

int nb__cli_json_parse(const char *text, nb__cli_json *out, char *err, size_t err_size)
{
    reader r = {.s = text, .err = err, .err_size = err_size};
    memset(out, 0, sizeof *out);
    if (parse_value(&r, out) == 0) {
        skip_space(&r);
        if (r.s[r.pos] == '\0')
            return 0;
        fail(&r, "unexpected text after the value");
    }
    nb__cli_json_free(out);
    return -1;
}

void nb__cli_json_free(nb__cli_json *v)
{
    for (size_t i = 0; i < v->n; i++) {
        nb__cli_json_free(&v->items[i]);
        if (v->keys != NULL)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->text);
    memset(v, 0, sizeof *v);
}

const char *nb__cli_json_kind_name(nb__cli_json_kind k)
{
    static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array",
                                        "an object"};
    return k <= NB__CLI_J_OBJECT ? names[k] : "a value";
}
