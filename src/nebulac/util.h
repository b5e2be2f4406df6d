/*
 * util.h — the two allocation helpers every nebulac layer shares.
 *
 * nbc_arena: the model lives as long as one nebulac run, so its strings and
 * records come from one arena released at once; no layer has to track who frees
 * which field.
 * nbc_buf: a growing string, the emitters' output and the canonical-text builder.
 */
#ifndef NBC_UTIL_H
#define NBC_UTIL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct nbc_arena_block nbc_arena_block;

typedef struct nbc_arena {
    nbc_arena_block *head;
} nbc_arena;

/* Zeroed memory owned by the arena; released by nbc_arena_free. Never NULL
 * (nebulac exits on out-of-memory). */
void *nbc_arena_alloc(nbc_arena *a, size_t size);

/* A copy of old[0..old_size) in a block of new_size (zero-filled beyond); the old
 * block stays in the arena. Owned by the arena. */
void *nbc_arena_grow(nbc_arena *a, void *old, size_t old_size, size_t new_size);

/* NUL-terminated copies owned by the arena. */
char *nbc_arena_strdup(nbc_arena *a, const char *s);
char *nbc_arena_strndup(nbc_arena *a, const char *s, size_t n);
char *nbc_arena_printf(nbc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void nbc_arena_free(nbc_arena *a);

/*
 * Appends one element to a growing array (arr, n, cap) allocated in `arena` and
 * yields a pointer to the new, zeroed element. Pointers into the array do not
 * survive a later push: store pointers to records, not into arrays of records.
 */
#define NBC_PUSH(arena, arr, n, cap)                                                      \
    (((n) == (cap) ? (void)((arr) = nbc_arena_grow_array((arena), (arr), sizeof(*(arr)), &(cap))) \
                   : (void)0),                                                            \
     &(arr)[(n)++])

/* NBC_PUSH's growth step: a copy of the array with twice the capacity (stored
 * in *cap). Owned by the arena. */
void *nbc_arena_grow_array(nbc_arena *a, void *old, size_t elem, size_t *cap);

/* A growing NUL-terminated string. Zero-initialise; release with nbc_buf_free. */
typedef struct nbc_buf {
    char *data;   /* owned; NULL until the first append */
    size_t len;
    size_t cap;
} nbc_buf;

void nbc_buf_add(nbc_buf *b, const char *s, size_t n);
void nbc_buf_puts(nbc_buf *b, const char *s);
void nbc_buf_putc(nbc_buf *b, char c);
void nbc_buf_printf(nbc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as the inside of a C string literal (quotes, backslashes, controls escaped). */
void nbc_buf_put_cstr(nbc_buf *b, const char *s);
/* The text so far, never NULL; owned by b. */
const char *nbc_buf_str(const nbc_buf *b);
/* Hands the text to the caller (free() it) and empties b. */
char *nbc_buf_take(nbc_buf *b);
void nbc_buf_free(nbc_buf *b);

/* Out-of-memory is not recoverable in a compiler run: print and exit(2). */
_Noreturn void nbc_oom(void);

#endif /* NBC_UTIL_H */
