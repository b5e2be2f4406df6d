#include "selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The parser walks text[0..len) with an explicit bound on every read: selectors
 * reach libnebula from user input at run time, so any byte string, embedded
 * NULs included, must end in a clean error rather than a crash.
 */
typedef struct sel_parser {
    const char *s;
    size_t len;
    size_t i;
    nb__selector *out;
    size_t cap;
    size_t err_at;
    const char *err;
} sel_parser;

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

/* s is borrowed. */
bool nb__sel_is_ident(const char *s, size_t len)
{
    if (s == NULL || len == 0 || !is_ident_start(s[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!is_ident_char(s[i]))
            return false;
    return true;
}

/* s is borrowed. */
bool nb__sel_is_host(const char *s, size_t len)
{
    if (s == NULL || len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_host_char(s[i]))
            return false;
    return true;
}

/* p is borrowed; msg is a static sentence. */
static int fail(sel_parser *p, size_t at, const char *msg)
{
    p->err_at = at;
    p->err = msg;
    return -1;
}

/* The byte at the cursor, or NUL past the end; p is borrowed. */
static char peek(const sel_parser *p)
{
    return p->i < p->len ? p->s[p->i] : '\0';
}

/* p is borrowed. */
static bool at_end(const sel_parser *p)
{
    return p->i >= p->len;
}

/* Length of the identifier starting at p->i, 0 when none starts there; p is borrowed. */
static size_t ident_len(const sel_parser *p)
{
    size_t n = 0;
    if (p->i < p->len && is_ident_start(p->s[p->i]))
        while (p->i + n < p->len && is_ident_char(p->s[p->i + n]))
            n++;
    return n;
}

/* Appends a term whose name is s[from..from+n); the copy is owned by the selector. */
static int push_term(sel_parser *p, bool negated, nb__sel_kind kind, size_t from, size_t n,
                     size_t offset)
{
    if (p->out->n_terms == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        nb__sel_term *t = realloc(p->out->terms, cap * sizeof *t);
        if (t == NULL)
            return fail(p, offset, "out of memory");
        p->out->terms = t;
        p->cap = cap;
    }
    char *name = malloc(n + 1);
    if (name == NULL)
        return fail(p, offset, "out of memory");
    memcpy(name, p->s + from, n);
    name[n] = '\0';
    p->out->terms[p->out->n_terms++] = (nb__sel_term){negated, kind, name, offset};
    return 0;
}

/* A term must end at a space or at the end: say what is wrong with the byte after
 * it. After a bare name that byte most likely belongs to a mistyped name. p is borrowed. */
static int check_term_end(sel_parser *p, bool after_name)
{
    if (at_end(p) || peek(p) == ' ')
        return 0;
    char c = peek(p);
    if (c == '\t' || c == '\n' || c == '\r')
        return fail(p, p->i, "separate terms with spaces, not tabs or line breaks");
    if (!after_name || c == '&' || c == '@' || c == '!')
        return fail(p, p->i, "expected a space between terms");
    return fail(p, p->i, "tags and short names hold only lowercase letters, digits and '_'");
}

/* `:"short@host"` after '@'; p->i is on the ':'. p is borrowed; the term goes to p->out. */
static int parse_full(sel_parser *p, bool negated, size_t offset)
{
    p->i++;
    if (peek(p) != '"')
        return fail(p, p->i, "expected '\"' after '@:'");
    p->i++;
    size_t from = p->i;
    size_t n = ident_len(p);
    if (n == 0)
        return fail(p, p->i, "expected a lowercase short name at the start of a full node name");
    p->i += n;
    if (peek(p) != '@')
        return fail(p, p->i,
                    "expected '@' between the short name and the host of a full node name");
    p->i++;
    size_t host = p->i;
    while (!at_end(p) && is_host_char(peek(p)))
        p->i++;
    if (p->i == host)
        return fail(
            p, p->i,
            "expected a host (letters, digits, '.', '-', '_') after '@' in a full node name");
    if (at_end(p))
        return fail(p, p->i, "missing '\"' at the end of a full node name");
    if (peek(p) != '"')
        return fail(p, p->i, "a host holds only letters, digits, '.', '-' and '_'");
    size_t end = p->i;
    p->i++;
    if (push_term(p, negated, NB__SEL_FULL, from, end - from, offset) < 0)
        return -1;
    return check_term_end(p, false);
}

/* One term at p->i (borrowed); the term goes to p->out. */
static int parse_term(sel_parser *p)
{
    size_t offset = p->i;
    bool negated = false;
    if (peek(p) == '!') {
        negated = true;
        p->i++;
    }
    char c = peek(p);
    if (c != '&' && c != '@')
        return fail(p, p->i,
                    negated ? "expected '&' or '@' after '!'"
                            : "expected a term: '&tag', '@short' or '@:\"short@host\"'");
    p->i++;
    if (c == '@' && peek(p) == ':')
        return parse_full(p, negated, offset);
    size_t n = ident_len(p);
    if (n == 0)
        return fail(p, p->i,
                    c == '&'
                        ? "expected a tag after '&' (a lowercase letter or '_' first)"
                        : "expected a short node name after '@' (a lowercase letter or '_' first)");
    if (push_term(p, negated, c == '&' ? NB__SEL_TAG : NB__SEL_SHORT, p->i, n, offset) < 0)
        return -1;
    p->i += n;
    return check_term_end(p, true);
}

/* On success *out owns the terms (nb__sel_free); on failure *out is left empty. */
int nb__sel_parse(const char *text, size_t len, nb__selector *out, size_t *err_offset,
                  const char **err_msg)
{
    sel_parser p = {.s = text, .len = text ? len : 0, .out = out};
    out->terms = NULL;
    out->n_terms = 0;
    for (;;) {
        while (!at_end(&p) && peek(&p) == ' ')
            p.i++;
        if (at_end(&p))
            return 0;
        if (parse_term(&p) < 0)
            break;
    }
    nb__sel_free(out);
    if (err_offset)
        *err_offset = p.err_at;
    if (err_msg)
        *err_msg = p.err;
    return -1;
}

/* Releases the terms and their names; the selector struct itself is the caller's. */
void nb__sel_free(nb__selector *sel)
{
    if (sel == NULL)
        return;
    for (size_t i = 0; i < sel->n_terms; i++)
        free(sel->terms[i].name);
    free(sel->terms);
    sel->terms = NULL;
    sel->n_terms = 0;
}

static bool str_eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Both pointers are borrowed. */
static bool node_has_tag(const nb__node_def *node, const char *tag)
{
    for (size_t i = 0; i < node->n_tags; i++)
        if (str_eq(node->tags[i], tag))
            return true;
    return false;
}

/* Whether the term, ignoring its negation, names this node. Both pointers are borrowed. */
static bool term_hits(const nb__sel_term *t, const nb__node_def *node)
{
    switch (t->kind) {
    case NB__SEL_TAG:
        return node_has_tag(node, t->name);
    case NB__SEL_SHORT:
        return str_eq(node->short_name, t->name);
    case NB__SEL_FULL:
        return str_eq(node->name, t->name);
    }
    return false;
}

/* Both pointers are borrowed. */
/* The reference library's rule: positive names unite (a node has one name, so
 * two names could only intersect to nothing), positive tags narrow, and every
 * negated term then removes what it hits. */
bool nb__sel_match(const nb__selector *sel, const nb__node_def *node)
{
    bool any_name = false, name_hit = false;
    for (size_t i = 0; i < sel->n_terms; i++) {
        const nb__sel_term *t = &sel->terms[i];
        bool hit = term_hits(t, node);
        if (t->negated) {
            if (hit)
                return false;
        } else if (t->kind == NB__SEL_TAG) {
            if (!hit)
                return false;
        } else {
            any_name = true;
            name_hit = name_hit || hit;
        }
    }
    return !any_name || name_hit;
}

/* All pointers are borrowed. */
bool nb__sel_term_known(const nb__sel_term *term, const nb__node_def *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (term_hits(term, &nodes[i]))
            return true;
    return false;
}

/* All pointers are borrowed. */
size_t nb__sel_count(const nb__selector *sel, const nb__node_def *nodes, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (nb__sel_match(sel, &nodes[i]))
            count++;
    return count;
}

/* term is borrowed; buf[0..size) belongs to the caller. */
size_t nb__sel_term_format(const nb__sel_term *term, char *buf, size_t size)
{
    const char *neg = term->negated ? "!" : "";
    int n;
    if (term->kind == NB__SEL_FULL)
        n = snprintf(buf, size, "%s@:\"%s\"", neg, term->name);
    else
        n = snprintf(buf, size, "%s%c%s", neg, term->kind == NB__SEL_TAG ? '&' : '@', term->name);
    return n < 0 ? 0 : (size_t)n;
}
