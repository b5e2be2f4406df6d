/*
 * fuzz_selector — the selector parser and matcher shared by nebulac and
 * libnebula (selector.h) on any bytes; run-time selectors come from user input.
 *
 * Checked for every input:
 *   - a refused text leaves the selector empty and points inside the text;
 *   - an accepted one has terms whose names are valid, whose offsets point at
 *     their first character ('!', '&' or '@') in increasing order;
 *   - its canonical text (the terms formatted by nb__sel_term_format, joined by
 *     spaces) parses back to the same terms;
 *   - on a fixed set of nodes, nb__sel_match agrees with the rule written out
 *     again here (positive names unite, positive tags narrow, negations remove,
 *     no term matches all), does not depend on the order of the terms, and
 *     nb__sel_count counts the same nodes; nb__sel_term_known agrees with a
 *     plain search of the nodes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_selector: check failed: %s (%s:%d)\n", #cond, __FILE__,          \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const api_tags[] = {"api", "cache"};
static const char *const db_tags[] = {"db", "cache"};
static const char *const backup_tags[] = {"db", "backup", "a"};
static const char *const w1_tags[] = {"worker", "gpu"};
static const char *const w2_tags[] = {"worker"};

/* Two nodes share the short name "worker"; one has no tags. */
static const nb__node_def nodes[] = {
    {"api@api.example", "api", "api.example", NULL, 4370, api_tags, 2, NULL},
    {"db@db.example", "db", "db.example", NULL, 4371, db_tags, 2, NULL},
    {"backup@db.example", "backup", "db.example", NULL, 4372, backup_tags, 3, NULL},
    {"worker@w1.example", "worker", "w1.example", NULL, 4370, w1_tags, 2, NULL},
    {"worker@w2.example", "worker", "w2.example", "10.0.0.7:4370", 4370, w2_tags, 1, NULL},
    {"a@b", "a", "b", NULL, 1, NULL, 0, NULL},
};
#define N_NODES (sizeof nodes / sizeof nodes[0])

static bool has_tag(const nb__node_def *n, const char *tag)
{
    for (size_t i = 0; i < n->n_tags; i++)
        if (strcmp(n->tags[i], tag) == 0)
            return true;
    return false;
}

static bool term_hits(const nb__sel_term *t, const nb__node_def *n)
{
    switch (t->kind) {
    case NB__SEL_TAG:
        return has_tag(n, t->name);
    case NB__SEL_SHORT:
        return strcmp(n->short_name, t->name) == 0;
    case NB__SEL_FULL:
        return strcmp(n->name, t->name) == 0;
    }
    return false;
}

/* The rule of selector.h, spelled out independently of selector.c. */
static bool ref_match(const nb__selector *s, const nb__node_def *n)
{
    bool any_name = false, named = false;
    for (size_t i = 0; i < s->n_terms; i++) {
        const nb__sel_term *t = &s->terms[i];
        bool hit = term_hits(t, n);
        if (t->negated) {
            if (hit)
                return false;
        } else if (t->kind == NB__SEL_TAG) {
            if (!hit)
                return false;
        } else {
            any_name = true;
            named = named || hit;
        }
    }
    return !any_name || named;
}

static unsigned mask_of(const nb__selector *s)
{
    unsigned mask = 0;
    for (size_t i = 0; i < N_NODES; i++)
        if (nb__sel_match(s, &nodes[i]))
            mask |= 1u << i;
    return mask;
}

static void check_terms(const nb__selector *s, const char *text, size_t len)
{
    for (size_t i = 0; i < s->n_terms; i++) {
        const nb__sel_term *t = &s->terms[i];
        FZ_CHECK(t->name != NULL && t->offset < len);
        FZ_CHECK(i == 0 || t->offset > s->terms[i - 1].offset);
        char c = text[t->offset];
        FZ_CHECK(t->negated ? c == '!' : (c == '&' || c == '@'));
        size_t n = strlen(t->name);
        if (t->kind == NB__SEL_FULL) {
            const char *at = strchr(t->name, '@');
            FZ_CHECK(at != NULL && nb__sel_is_ident(t->name, (size_t)(at - t->name)) &&
                     nb__sel_is_host(at + 1, strlen(at + 1)));
        } else {
            FZ_CHECK(nb__sel_is_ident(t->name, n));
        }
        bool known = false;
        for (size_t k = 0; k < N_NODES && !known; k++)
            known = term_hits(t, &nodes[k]);
        FZ_CHECK(nb__sel_term_known(t, nodes, N_NODES) == known);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    nb__selector sel;
    size_t err_at = (size_t)-1;
    const char *why = NULL;
    if (nb__sel_parse(text, size, &sel, &err_at, &why) != 0) {
        FZ_CHECK(sel.terms == NULL && sel.n_terms == 0);
        FZ_CHECK(why != NULL && err_at <= size);
        return 0;
    }
    check_terms(&sel, text, size);

    /* The canonical text reads back as the same terms. */
    size_t cap = 1;
    for (size_t i = 0; i < sel.n_terms; i++)
        cap += nb__sel_term_format(&sel.terms[i], NULL, 0) + 1;
    char *canon = malloc(cap);
    FZ_CHECK(canon != NULL);
    size_t at = 0;
    for (size_t i = 0; i < sel.n_terms; i++) {
        if (i > 0)
            canon[at++] = ' ';
        at += nb__sel_term_format(&sel.terms[i], canon + at, cap - at);
    }
    canon[at] = '\0';
    nb__selector again;
    FZ_CHECK(nb__sel_parse(canon, at, &again, &err_at, &why) == 0);
    FZ_CHECK(again.n_terms == sel.n_terms);
    for (size_t i = 0; i < sel.n_terms; i++) {
        FZ_CHECK(again.terms[i].kind == sel.terms[i].kind);
        FZ_CHECK(again.terms[i].negated == sel.terms[i].negated);
        FZ_CHECK(strcmp(again.terms[i].name, sel.terms[i].name) == 0);
    }

    /* Matching: the rule, the order of terms, the count. */
    unsigned mask = mask_of(&sel);
    FZ_CHECK(mask_of(&again) == mask);
    for (size_t i = 0; i < N_NODES; i++)
        FZ_CHECK(ref_match(&sel, &nodes[i]) == ((mask >> i) & 1));
    FZ_CHECK(nb__sel_count(&sel, nodes, N_NODES) == (size_t)__builtin_popcount(mask));
    nb__sel_term *reversed = malloc((sel.n_terms ? sel.n_terms : 1) * sizeof *reversed);
    FZ_CHECK(reversed != NULL);
    for (size_t i = 0; i < sel.n_terms; i++)
        reversed[i] = sel.terms[sel.n_terms - 1 - i];
    nb__selector rev = {reversed, sel.n_terms}; /* borrows the names of sel */
    FZ_CHECK(mask_of(&rev) == mask);

    free(reversed);
    free(canon);
    nb__sel_free(&again);
    nb__sel_free(&sel);
    return 0;
}
