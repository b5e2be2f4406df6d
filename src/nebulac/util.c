#include "util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 65536

/* Under AddressSanitizer every arena allocation is followed by a poisoned gap
 * and the unused rest of a block is poisoned, so reading or writing past an
 * arena array is reported as it would be for malloc'd memory. */
#if defined(__SANITIZE_ADDRESS__)
#define NBC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NBC_ASAN 1
#endif
#endif
#ifdef NBC_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_REDZONE 16
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ARENA_REDZONE 0
#endif

struct nbc_arena_block {
    nbc_arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void nbc_oom(void)
{
    fputs("nebulac: out of memory\n", stderr);
    exit(2);
}

void *nbc_arena_alloc(nbc_arena *a, size_t asked)
{
    size_t size = (asked + ARENA_REDZONE + 15) & ~(size_t)15;
    nbc_arena_block *b = a->head;
    if (b == NULL || b->size - b->used < size) {
        /* A large request gets a block of its own placed second, so the current
         * block keeps serving small ones. */
        size_t bsize = size > ARENA_BLOCK / 4 ? size : ARENA_BLOCK;
        nbc_arena_block *nb = malloc(sizeof *nb + bsize);
        if (nb == NULL)
            nbc_oom();
        nb->used = 0;
        nb->size = bsize;
        ASAN_POISON_MEMORY_REGION(nb->data, bsize);
        if (b != NULL && bsize != ARENA_BLOCK) {
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            a->head = nb;
        }
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += size;
    ASAN_UNPOISON_MEMORY_REGION(p, asked);
    memset(p, 0, asked);
    return p;
}

void *nbc_arena_grow(nbc_arena *a, void *old, size_t old_size, size_t new_size)
{
    void *p = nbc_arena_alloc(a, new_size);
    if (old_size > 0)
        memcpy(p, old, old_size);
    return p;
}

void *nbc_arena_grow_array(nbc_arena *a, void *old, size_t elem, size_t *cap)
{
    size_t old_cap = *cap;
    *cap = old_cap ? old_cap * 2 : 8;
    return nbc_arena_grow(a, old, elem * old_cap, elem * *cap);
}

char *nbc_arena_strndup(nbc_arena *a, const char *s, size_t n)
{
    char *p = nbc_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    return p;
}

char *nbc_arena_strdup(nbc_arena *a, const char *s)
{
    return nbc_arena_strndup(a, s, strlen(s));
}

char *nbc_arena_printf(nbc_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = nbc_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void nbc_arena_free(nbc_arena *a)
{
    nbc_arena_block *b = a->head;
    while (b != NULL) {
        nbc_arena_block *next = b->next;
        ASAN_UNPOISON_MEMORY_REGION(b->data, b->size);
        free(b);
        b = next;
    }
    a->head = NULL;
}

static void buf_reserve(nbc_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        nbc_oom();
    b->data = p;
    b->cap = cap;
}

void nbc_buf_add(nbc_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void nbc_buf_puts(nbc_buf *b, const char *s) { nbc_buf_add(b, s, strlen(s)); }

void nbc_buf_putc(nbc_buf *b, char c) { nbc_buf_add(b, &c, 1); }

void nbc_buf_printf(nbc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void nbc_buf_put_cstr(nbc_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            nbc_buf_putc(b, '\\');
            nbc_buf_putc(b, (char)c);
        } else if (c == '\n') {
            nbc_buf_puts(b, "\\n");
        } else if (c < 0x20 || c == 0x7f) {
            nbc_buf_printf(b, "\\%03o", c);
        } else {
            nbc_buf_putc(b, (char)c);
        }
    }
}

const char *nbc_buf_str(const nbc_buf *b) { return b->data ? b->data : ""; }

char *nbc_buf_take(nbc_buf *b)
{
    char *p = b->data;
    if (p == NULL) {
        p = calloc(1, 1);
        if (p == NULL)
            nbc_oom();
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void nbc_buf_free(nbc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
