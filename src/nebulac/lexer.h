/*
 * lexer.h — a C lexer for rewriting, not for compiling.
 *
 * It is never fooled by comments, string and character literals (with escapes and
 * the u8 u U L prefixes), line continuations (a backslash-newline anywhere, even
 * inside a token or a comment) or preprocessor lines. Every token carries its
 * byte range in the original buffer (and, through the line table, its line and
 * column), so the rewriter can edit the user's text in place and keep
 * everything else byte for byte.
 *
 * A preprocessor line is lexed as a DIRECTIVE token (text: the directive's name),
 * then the tokens of the rest of the line, then an EOD token at its end (its
 * offset is the line's newline, or the end of input). Comments
 * produce no tokens.
 */
#ifndef NBC_LEXER_H
#define NBC_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum nbc_tok_kind {
    NBC_TOK_EOF = 0,
    NBC_TOK_IDENT,
    NBC_TOK_NUMBER,     /* a preprocessing number: 42, 0x1fu, 1.5e-3 */
    NBC_TOK_STRING,     /* "..." with an optional prefix */
    NBC_TOK_CHAR,       /* '...' with an optional prefix */
    NBC_TOK_PUNCT,
    NBC_TOK_HEADER,     /* <name.h> in an #include line */
    NBC_TOK_DIRECTIVE,  /* '#' first on a line; text is the name ("if", "" for a null directive) */
    NBC_TOK_EOD,        /* end of a directive's line (at its newline, or at the end of input) */
    NBC_TOK_OTHER       /* a stray character: ` @ \ ... */
} nbc_tok_kind;

/* The longest token the lexer reads: a longer one (a string literal of 16 MiB)
 * sets nbc_lexed.too_long, and the file is refused. */
#define NBC_TOK_MAX_LEN 0xFFFFFFu

/*
 * 16 bytes: a large file's memory is mostly its tokens. A token's position is
 * its original offset; the line and column are worked out from it when a
 * diagnostic needs them (nbc_lexed_pos), and its end is off + len except for
 * the few tokens whose spelling differs from their bytes (nbc_tok_end).
 */
typedef struct nbc_token {
    const char *text;   /* spelling without line continuations, NUL-terminated; owned by the nbc_lexed */
    uint32_t off;       /* where it starts in the original buffer (files under 4 GiB) */
    uint32_t len : 24;  /* strlen(text) */
    uint32_t kind : 7;  /* an nbc_tok_kind */
    uint32_t odd : 1;   /* its bytes are not its spelling (a continuation, trigraph,
                           digraph, or a directive's '#'): the end is stored after the
                           text's NUL (nbc_tok_end) */
} nbc_token;

/* Where token spellings live: blocks chained so that a text never moves. */
typedef struct nbc_spell_block nbc_spell_block;

typedef struct nbc_lexed {
    nbc_token *toks;    /* owned; the last one is NBC_TOK_EOF */
    size_t n;           /* including the EOF token */
    nbc_spell_block *spell; /* owned storage for every token's text */
    size_t text_start;  /* 3 after a UTF-8 byte order mark, else 0 */
    uint32_t *lines;    /* owned: the original offsets where lines begin */
    size_t n_lines;
    size_t too_long;    /* 1 + the offset of a token longer than NBC_TOK_MAX_LEN, or 0 */
} nbc_lexed;

/* Lexes buf[0..len) (buf[len] is read: pass NUL-terminated text). Never fails on bad input (an unterminated literal ends at its
 * line's end, an unterminated comment at the end of input). Release with
 * nbc_lexed_free. */
void nbc_lex(const char *buf, size_t len, nbc_lexed *out);
/* Same, replacing trigraphs first when `trigraphs` (ISO modes: -std=c99, not gnu99).
 * Digraphs are always read, with the text of the punctuator they stand for. */
void nbc_lex_ext(const char *buf, size_t len, bool trigraphs, nbc_lexed *out);
void nbc_lexed_free(nbc_lexed *lx);

/* The end of t's original bytes [off, end): continuations, a trigraph's three
 * bytes, a digraph's two, and a directive's '#' included. */
uint32_t nbc_tok_end(const nbc_token *t);

/* The 1-based line and byte column of original offset `off` in lx's buffer. */
void nbc_lexed_pos(const nbc_lexed *lx, size_t off, int *line, int *col);

/* True when t is the punctuator or identifier spelled s. */
bool nbc_tok_is(const nbc_token *t, const char *s);

/*
 * The value of a string-literal token: prefix and quotes removed, escapes
 * decoded. Returns a malloc'd NUL-terminated string the caller frees, and the
 * byte count in *len when len is not NULL. `content_off` (may be NULL) receives
 * the offset of the first character after the opening quote within t->text.
 */
char *nbc_string_value(const nbc_token *t, size_t *len, size_t *content_off);

#endif /* NBC_LEXER_H */
