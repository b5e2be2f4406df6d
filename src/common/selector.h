/*
 * selector.h — parse and match node selectors (docs/design.md §4).
 *
 *   selector := term (" "+ term)*
 *   term     := ["!"] ("&" tag | "@" short | "@:\"" full "\"")
 *
 * Shared by nebulac (build-time placement and diagnostics) and libnebula
 * (selectors given at run time). Pure functions over nb__node_def arrays; no I/O.
 */
#ifndef NB_COMMON_SELECTOR_H
#define NB_COMMON_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "nebula.h"

typedef enum nb__sel_kind {
    NB__SEL_TAG,    /* &tag */
    NB__SEL_SHORT,  /* @short */
    NB__SEL_FULL    /* @:"short@host" */
} nb__sel_kind;

typedef struct nb__sel_term {
    bool negated;
    nb__sel_kind kind;
    char *name;      /* tag, short name or full name, NUL-terminated; owned by the selector */
    size_t offset;   /* byte offset of the term's first character ('!', '&' or '@') in the text */
} nb__sel_term;

/* A parsed selector. A node matches when it carries every positive tag, has one
 * of the positive names (when any is given), and is hit by no negated term. Zero
 * terms matches every node. */
typedef struct nb__selector {
    nb__sel_term *terms;  /* owned; released by nb__sel_free */
    size_t n_terms;
} nb__selector;

/*
 * Parses text[0..len). On success returns 0 and fills *out (release with
 * nb__sel_free). On a syntax error returns -1, leaves *out empty, and sets
 * *err_offset to the byte offset of the problem and *err_msg to a static
 * sentence ("expected '&' or '@' after '!'", ...).
 */
int nb__sel_parse(const char *text, size_t len, nb__selector *out, size_t *err_offset,
                  const char **err_msg);

void nb__sel_free(nb__selector *sel);

/* True when s[0..len) is a tag or a short node name: [a-z_][a-z0-9_]*. s is borrowed. */
bool nb__sel_is_ident(const char *s, size_t len);

/* True when s[0..len) is the host of a full node name: a non-empty run of
 * [A-Za-z0-9._-]. s is borrowed. */
bool nb__sel_is_host(const char *s, size_t len);

/* True when every term of sel holds for node. */
bool nb__sel_match(const nb__selector *sel, const nb__node_def *node);

/* True when a term names something that exists among nodes[0..n): a tag some node
 * carries, a short name some node has, or a full name of a node. */
bool nb__sel_term_known(const nb__sel_term *term, const nb__node_def *nodes, size_t n);

/* Number of nodes sel matches. */
size_t nb__sel_count(const nb__selector *sel, const nb__node_def *nodes, size_t n);

/*
 * Writes the canonical text of a term as users type it ("&db", "!@backup",
 * "@:\"db@db.example\"") into buf (always NUL-terminated). Returns the length it
 * needed, as snprintf does.
 */
size_t nb__sel_term_format(const nb__sel_term *term, char *buf, size_t size);

#endif /* NB_COMMON_SELECTOR_H */
