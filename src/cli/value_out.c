/*
 * value_out.c — API values as JSON, and C type names for messages and help
 * (the rules are in value_io.h).
 */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value_io.h"

/* s as a JSON string: quotes, backslashes and control characters escaped. */
static void print_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
}

/* The shortest %g form that reads back as the same float or double. */
static void print_number(FILE *out, double v, bool single)
{
    if (isnan(v)) {
        fputs("NaN", out);
        return;
    }
    if (isinf(v)) {
        fputs(v < 0 ? "-Infinity" : "Infinity", out);
        return;
    }
    char buf[48];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        double back = strtod(buf, NULL);
        if (single ? (float)back == (float)v : back == v)
            break;
    }
    fputs(buf, out);
}

/* An unsigned integer of t->size bytes, zero-extended. */
static uint64_t load_bits(const nb__tref *t, const void *p)
{
    switch (t->size) {
    case 1: { uint8_t v; memcpy(&v, p, 1); return v; }
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

/* A signed integer of t->size bytes, sign-extended. */
static int64_t load_signed(const nb__tref *t, const void *p)
{
    switch (t->size) {
    case 1: { int8_t v; memcpy(&v, p, 1); return v; }
    case 2: { int16_t v; memcpy(&v, p, 2); return v; }
    case 4: { int32_t v; memcpy(&v, p, 4); return v; }
    default: { int64_t v; memcpy(&v, p, 8); return v; }
    }
}

/* "hex:...", or "<N bytes>" past max_bytes (0: no limit). */
static void print_bytes(FILE *out, const nb_bytes *b, size_t max_bytes)
{
    if (max_bytes != 0 && b->len > max_bytes) {
        fprintf(out, "\"<%zu bytes>\"", b->len);
        return;
    }
    fputs("\"hex:", out);
    for (size_t i = 0; i < b->len; i++)
        fprintf(out, "%02x", ((const unsigned char *)b->data)[i]);
    fputc('"', out);
}

/* An object of every field by name, in declaration order. */
static void print_struct(FILE *out, const nb__type *type, const void *p, size_t max_bytes)
{
    fputc('{', out);
    for (size_t i = 0; i < type->n_fields; i++) {
        const nb__field *f = &type->fields[i];
        if (i > 0)
            fputs(", ", out);
        print_string(out, f->name);
        fputs(": ", out);
        nb__cli_print_value(out, &f->t, (const char *)p + f->offset, max_bytes);
    }
    fputc('}', out);
}

void nb__cli_print_value(FILE *out, const nb__tref *t, const void *p, size_t max_bytes)
{
    switch (t->kind) {
    case NB__K_BOOL:
        fputs(*(const bool *)p ? "true" : "false", out);
        return;
    case NB__K_INT:
        fprintf(out, "%" PRId64, load_signed(t, p));
        return;
    case NB__K_UINT:
        fprintf(out, "%" PRIu64, load_bits(t, p));
        return;
    case NB__K_FLOAT:
        if (t->size == 4)
            print_number(out, *(const float *)p, true);
        else
            print_number(out, *(const double *)p, false);
        return;
    case NB__K_STR: {
        const char *s = *(const char *const *)p;
        if (s == NULL)
            fputs("null", out);
        else
            print_string(out, s);
        return;
    }
    case NB__K_BYTES:
        print_bytes(out, p, max_bytes);
        return;
    case NB__K_STRUCT:
        print_struct(out, t->type, p, max_bytes);
        return;
    case NB__K_STRUCT_PTR: {
        const void *q = *(const void *const *)p;
        if (q == NULL)
            fputs("null", out);
        else
            print_struct(out, t->type, q, max_bytes);
        return;
    }
    case NB__K_ARRAY:
        fputc('[', out);
        for (uint32_t i = 0; i < t->count; i++) {
            if (i > 0)
                fputs(", ", out);
            nb__cli_print_value(out, t->elem, (const char *)p + (size_t)i * t->elem->size, max_bytes);
        }
        fputc(']', out);
        return;
    default:
        fputs("null", out);
        return;
    }
}

const char *nb__cli_type_name(const nb__tref *t, char *buf, size_t size)
{
    char elem[96];
    switch (t->kind) {
    case NB__K_VOID: snprintf(buf, size, "void"); break;
    case NB__K_BOOL: snprintf(buf, size, "bool"); break;
    case NB__K_INT: snprintf(buf, size, "int%u_t", t->size * 8u); break;
    case NB__K_UINT: snprintf(buf, size, "uint%u_t", t->size * 8u); break;
    case NB__K_FLOAT: snprintf(buf, size, t->size == 4 ? "float" : "double"); break;
    case NB__K_STR: snprintf(buf, size, "char *"); break;
    case NB__K_BYTES: snprintf(buf, size, "nb_bytes"); break;
    case NB__K_STRUCT: snprintf(buf, size, "%s", t->type->name); break;
    case NB__K_STRUCT_PTR: snprintf(buf, size, "%s *", t->type->name); break;
    case NB__K_ARRAY:
        snprintf(buf, size, "%s[%u]", nb__cli_type_name(t->elem, elem, sizeof elem), t->count);
        break;
    default: snprintf(buf, size, "?"); break;
    }
    return buf;
}

/* {"a": ..., "b": ...} for a struct's fields, cut short when buf is full. */
static const char *struct_hint(const nb__type *type, bool nullable, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "JSON {");
    for (size_t i = 0; i < type->n_fields && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s\"%s\": ...", i ? ", " : "", type->fields[i].name);
    if (n < size)
        snprintf(buf + n, size - n, "}%s", nullable ? ", or null" : "");
    return buf;
}

const char *nb__cli_type_hint(const nb__tref *t, char *buf, size_t size)
{
    switch (t->kind) {
    case NB__K_BOOL:
        return "true or false";
    case NB__K_INT: {
        long long min = t->size >= 8 ? LLONG_MIN : -(1LL << (t->size * 8u - 1));
        snprintf(buf, size, "an integer from %lld to %lld", min, -(min + 1));
        return buf;
    }
    case NB__K_UINT:
        snprintf(buf, size, "an integer from 0 to %llu",
                 t->size >= 8 ? ULLONG_MAX : (1ULL << (t->size * 8u)) - 1);
        return buf;
    case NB__K_FLOAT:
        return "a number (NaN, Infinity, -Infinity too)";
    case NB__K_STR:
        return "a string, or null for NULL";
    case NB__K_BYTES:
        return "hex:HEX, text:TEXT or @FILE";
    case NB__K_STRUCT:
        return struct_hint(t->type, false, buf, size);
    case NB__K_STRUCT_PTR:
        return struct_hint(t->type, true, buf, size);
    case NB__K_ARRAY:
        snprintf(buf, size, "a JSON array of %u value(s)", t->count);
        return buf;
    default:
        return "-";
    }
}
