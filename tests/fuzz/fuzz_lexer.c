/*
 * fuzz_lexer — nebulac's C lexer (lexer.h) on any bytes. It never fails on bad
 * input, so what is checked is that its tokens say the truth about the buffer:
 *   - the last token, and only it, is EOF; offsets stay inside the buffer and
 *     never go back;
 *   - line and col are those of `off` in the original buffer (counted here
 *     independently);
 *   - a token's text is its original bytes [off, end) with the line
 *     continuations removed (a directive's text is its name, EOD/EOF are empty),
 *     and len is the length of that text;
 *   - a directive's dir_end lies between its end and the end of the buffer;
 *   - the value of every string literal decodes without reading past it;
 *   - between two tokens there is only white space and comments: no code is
 *     swallowed (a comment ends at its first star-slash, also after a NUL byte,
 *     and only the last one may be left open).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

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
    const char *buf = (const char *)data;
    nbc_lexed lx;
    nbc_lex(buf, size, &lx);
    FZ_CHECK(lx.n >= 1 && lx.toks[lx.n - 1].kind == NBC_TOK_EOF);

    char *expect = malloc(size + 1);
    FZ_CHECK(expect != NULL);
    size_t line = 1, line_start = 0, scanned = 0, prev_off = 0, prev_end = 0;
    for (size_t k = 0; k < lx.n; k++) {
        const nbc_token *t = &lx.toks[k];
        FZ_CHECK(k == lx.n - 1 || t->kind != NBC_TOK_EOF);
        FZ_CHECK(t->off <= t->end && t->end <= size && t->off >= prev_off);
        if (t->off > prev_end) {
            size_t m = unsplice(buf, size, prev_end, t->off, expect);
            FZ_CHECK(only_space_and_comments(expect, m, t->off == size));
        }
        prev_off = t->off;
        if (t->end > prev_end)
            prev_end = t->end;
        for (; scanned < t->off; scanned++)
            if (buf[scanned] == '\n')
                line++, line_start = scanned + 1;
        FZ_CHECK(t->line == (int)line && t->col == (int)(t->off - line_start + 1));
        FZ_CHECK(t->text != NULL && t->text[t->len] == '\0');

        switch (t->kind) {
        case NBC_TOK_EOF:
        case NBC_TOK_EOD:
            FZ_CHECK(t->len == 0);
            break;
        case NBC_TOK_DIRECTIVE:
            FZ_CHECK(t->dir_end >= t->end && t->dir_end <= size);
            break;
        default: {
            size_t n = unsplice(buf, size, t->off, t->end, expect);
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
    nbc_lexed_free(&lx);
    return 0;
}
