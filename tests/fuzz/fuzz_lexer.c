/*
 * fuzz_lexer — nebulac's C lexer (lexer.h) on any bytes. It never fails on bad
 * input, so what is checked is that its tokens say the truth about the buffer:
 *   - the last token, and only it, is EOF; offsets stay inside the buffer and
 *     never go back;
 *   - the line and col nbc_lexed_pos gives are those of `off` in the original buffer (counted here
 *     independently);
 *   - a token's text is its original bytes [off, nbc_tok_end) with the line
 *     continuations removed (a directive's text is its name, EOD/EOF are empty),
 *     and len is the length of that text;
 *   - a directive token's end lies after its start and within the buffer;
 *   - the value of every string literal decodes without reading past it;
 *   - between two tokens outside a directive line there is only white space
 *     and comments (a BOM aside): no code is
 *     swallowed (a comment ends at its first star-slash, also after a NUL byte,
 *     and only the last one may be left open).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

/* A digraph's token text is the punctuator it stands for (lexer.h): maps the
 * spelling in s[0..n) the same way, in place; returns the new length. */
static size_t undigraph(char *s, size_t n)
{
    static const struct {
        const char *di, *punct;
    } map[] = {{"%:%:", "##"}, {"<:", "["}, {":>", "]"}, {"<%", "{"}, {"%>", "}"}, {"%:", "#"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t dl = strlen(map[i].di);
        if (n == dl && memcmp(s, map[i].di, dl) == 0) {
            size_t pl = strlen(map[i].punct);
            memcpy(s, map[i].punct, pl);
            return pl;
        }
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_lexer: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* buf[off..end) without its backslash-newlines (also backslash-CR-LF), into out. */
static size_t unsplice(const char *buf, size_t len, size_t off, size_t end, char *out)
{
    size_t n = 0;
    for (size_t i = off; i < end; i++) {
        if (buf[i] == '\\' && i + 1 < len && buf[i + 1] == '\n') {
            i++;
            continue;
        }
        if (buf[i] == '\\' && i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
            i += 2;
            continue;
        }
        out[n++] = buf[i];
    }
    return n;
}

/* True when g[0..m) is only white space and comments; an unterminated block
 * comment is allowed when `last` (nothing but the end of input follows). */
static bool only_space_and_comments(const char *g, size_t m, bool last)
{
    size_t i = 0;
    while (i < m) {
        char c = g[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            i++;
        } else if (c == '/' && i + 1 < m && g[i + 1] == '*') {
            const char *e = i + 2 < m ? memmem(g + i + 2, m - i - 2, "*/", 2) : NULL;
            if (e == NULL)
                return last;
            i = (size_t)(e - g) + 2;
        } else if (c == '/' && i + 1 < m && g[i + 1] == '/') {
            while (i < m && g[i] != '\n')
                i++;
        } else {
            return false;
        }
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* nbc_lex reads buf[size]: it takes NUL-terminated text, as files are read. */
    char *buf = malloc(size + 1);
    FZ_CHECK(buf != NULL);
    memcpy(buf, data, size);
    buf[size] = '\0';
    nbc_lexed lx;
    nbc_lex(buf, size, &lx);
    FZ_CHECK(lx.n >= 1 && lx.toks[lx.n - 1].kind == NBC_TOK_EOF);

    char *expect = malloc(size + 1);
    FZ_CHECK(expect != NULL);
    size_t line = 1, line_start = 0, scanned = 0, prev_off = 0;
    size_t prev_end = lx.text_start; /* a byte order mark is no part of the text */
    bool in_directive = false;        /* between a directive and its EOD */
    for (size_t k = 0; k < lx.n; k++) {
        const nbc_token *t = &lx.toks[k];
        FZ_CHECK(k == lx.n - 1 || t->kind != NBC_TOK_EOF);
        const size_t t_end = nbc_tok_end(t);
        FZ_CHECK(t->off <= t_end && t_end <= size && t->off >= prev_off);
        /* A directive's own text (a header name, #error's message) need not be
         * tokens: only code outside directives must all be tokens. */
        if (t->kind == NBC_TOK_DIRECTIVE)
            in_directive = true;
        else if (t->kind == NBC_TOK_EOD)
            in_directive = false;
        if (t->off > prev_end && !in_directive && t->kind != NBC_TOK_EOD) {
            size_t m = unsplice(buf, size, prev_end, t->off, expect);
            FZ_CHECK(only_space_and_comments(expect, m, t->off == size));
        }
        prev_off = t->off;
        if (t_end > prev_end)
            prev_end = t_end;
        for (; scanned < t->off; scanned++)
            if (buf[scanned] == '\n')
                line++, line_start = scanned + 1;
        int t_line, t_col;
        nbc_lexed_pos(&lx, t->off, &t_line, &t_col);
        FZ_CHECK(t_line == (int)line && t_col == (int)(t->off - line_start + 1));
        FZ_CHECK(t->text != NULL && t->text[t->len] == '\0');

        switch (t->kind) {
        case NBC_TOK_EOF:
        case NBC_TOK_EOD:
            FZ_CHECK(t->len == 0);
            break;
        case NBC_TOK_DIRECTIVE:
            FZ_CHECK(t_end > t->off && t_end <= size); /* "#" and the name */
            break;
        default: {
            size_t n = unsplice(buf, size, t->off, t_end, expect);
            n = undigraph(expect, n);
            FZ_CHECK(n == t->len && memcmp(expect, t->text, n) == 0);
            FZ_CHECK(n > 0);
            break;
        }
        }
        if (t->kind == NBC_TOK_STRING) {
            size_t vlen, content_off;
            char *v = nbc_string_value(t, &vlen, &content_off);
            FZ_CHECK(v != NULL && vlen <= t->len && content_off <= t->len);
            free(v);
        }
    }
    free(expect);
    free(buf);
    nbc_lexed_free(&lx);
    return 0;
}
