#include "lexer.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * Lexing happens on the "logical" text: the buffer with every backslash-newline
 * removed (translation phase 2). orig() maps each logical character back to its
 * byte in the original buffer, which is how tokens keep exact original ranges.
 */
typedef struct lexer {
    const char *buf;
    size_t len;
    size_t start;         /* past a UTF-8 byte order mark */
    bool lg_borrowed;     /* lg points into buf (no splice, no trigraph) */
    bool trigraphs;
    char *lg;             /* logical characters */
    /* Where logical and original offsets stop moving together (after a splice or
     * a trigraph): lg[jump_at[k]...] starts at original jump_off[k]. Sparse, so
     * the map costs nothing for ordinary text (a dense one cost 8 bytes a byte). */
    size_t *jump_at, *jump_off;
    size_t n_jumps, cap_jumps;
    size_t n;
    nbc_lexed *out;
    size_t cap;
    char *spell_next, *spell_end; /* free room in the current spelling block */
} lexer;

/* Token spellings are allocated in blocks of this size (a longer one gets a
 * block of its own). */
#define SPELL_BLOCK (256u * 1024)

struct nbc_spell_block {
    nbc_spell_block *next;
    char text[];
};

/* The trigraph ??x stands for, or 0. */
static char trigraph(char x)
{
    static const char from[] = "=()<>/'!-", to[] = "#[]{}\\^|~";
    const char *p = x ? strchr(from, x) : NULL;
    return p ? to[p - from] : 0;
}

/* The character at buf[i] after trigraph replacement (phase 1), its width in *w. */
static char phase1(const lexer *lx, size_t i, size_t *w)
{
    *w = 1;
    if (lx->trigraphs && lx->buf[i] == '?' && i + 2 < lx->len && lx->buf[i + 1] == '?' &&
        trigraph(lx->buf[i + 2])) {
        *w = 3;
        return trigraph(lx->buf[i + 2]);
    }
    return lx->buf[i];
}

static void add_jump(lexer *lx, size_t at, size_t off)
{
    if (lx->n_jumps == lx->cap_jumps) {
        lx->cap_jumps = lx->cap_jumps ? 2 * lx->cap_jumps : 16;
        lx->jump_at = realloc(lx->jump_at, lx->cap_jumps * sizeof *lx->jump_at);
        lx->jump_off = realloc(lx->jump_off, lx->cap_jumps * sizeof *lx->jump_off);
        if (lx->jump_at == NULL || lx->jump_off == NULL)
            nbc_oom();
    }
    lx->jump_at[lx->n_jumps] = at;
    lx->jump_off[lx->n_jumps++] = off;
}

/* The original offset of logical character i (i == n: the end of the buffer). */
static size_t orig(const lexer *lx, size_t i)
{
    if (i >= lx->n)
        return lx->len;
    size_t lo = 0, hi = lx->n_jumps;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (lx->jump_at[mid] <= i)
            lo = mid;
        else
            hi = mid;
    }
    return lx->jump_off[lo] + (i - lx->jump_at[lo]);
}

/* True when the text has no line continuation and no trigraph to replace: the
 * logical text is then the buffer itself. */
static bool plain_text(const lexer *lx)
{
    const char *b = lx->buf;
    for (const char *p = memchr(b + lx->start, '\\', lx->len - lx->start); p != NULL;
         p = memchr(p + 1, '\\', lx->len - (size_t)(p + 1 - b))) {
        if ((size_t)(p - b) + 1 < lx->len && (p[1] == '\n' || p[1] == '\r'))
            return false;
        if ((size_t)(p + 1 - b) >= lx->len)
            break;
    }
    if (lx->trigraphs)
        for (size_t i = lx->start; i + 2 < lx->len; i++)
            if (b[i] == '?' && b[i + 1] == '?' && trigraph(b[i + 2]))
                return false;
    return b[lx->len] == '\0';
}

static void splice(lexer *lx)
{
    if (plain_text(lx)) {
        /* The common case: no copy (it cost one byte a byte of input). */
        lx->lg = (char *)lx->buf + lx->start;
        lx->lg_borrowed = true;
        lx->n = lx->len - lx->start;
        add_jump(lx, 0, lx->start);
        return;
    }
    lx->lg = malloc(lx->len + 1);
    if (lx->lg == NULL)
        nbc_oom();
    size_t n = 0, w, next_off = (size_t)-1;
    for (size_t i = lx->start; i < lx->len; i += w) {
        char ch = phase1(lx, i, &w);
        if (ch == '\\' && i + w < lx->len && lx->buf[i + w] == '\n') {
            w++;
            continue;
        }
        if (ch == '\\' && i + w + 1 < lx->len && lx->buf[i + w] == '\r' && lx->buf[i + w + 1] == '\n') {
            w += 2;
            continue;
        }
        if (i != next_off)
            add_jump(lx, n, i);
        next_off = i + 1;
        lx->lg[n++] = ch;
    }
    if (lx->n_jumps == 0)
        add_jump(lx, 0, lx->start);
    lx->lg[n] = '\0';
    lx->n = n;
}

/* The line table goes to the nbc_lexed: diagnostics need it long after lexing. */
static void index_lines(lexer *lx)
{
    nbc_lexed *o = lx->out;
    size_t cap = 64;
    o->lines = malloc(cap * sizeof *o->lines);
    if (o->lines == NULL)
        nbc_oom();
    o->lines[0] = 0;
    o->n_lines = 1;
    for (const char *p = memchr(lx->buf, '\n', lx->len); p != NULL;
         p = memchr(p + 1, '\n', lx->len - (size_t)(p + 1 - lx->buf))) {
        if (o->n_lines == cap) {
            cap *= 2;
            o->lines = realloc(o->lines, cap * sizeof *o->lines);
            if (o->lines == NULL)
                nbc_oom();
        }
        o->lines[o->n_lines++] = (uint32_t)(p + 1 - lx->buf);
        if ((size_t)(p + 1 - lx->buf) >= lx->len)
            break;
    }
}

void nbc_lexed_pos(const nbc_lexed *lx, size_t off, int *line, int *col)
{
    size_t lo = 0, hi = lx->n_lines;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (lx->lines[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    *line = (int)lo + 1;
    *col = (int)(off - (lx->n_lines ? lx->lines[lo] : 0)) + 1;
}

uint32_t nbc_tok_end(const nbc_token *t)
{
    if (!t->odd)
        return t->off + t->len;
    uint32_t end;
    memcpy(&end, t->text + t->len + 1, sizeof end);
    return end;
}

/* Room for `need` bytes of spelling: a new block when the current one is full.
 * Blocks are never moved, so a token's text pointer stays valid. */
static void spell_room(lexer *lx, size_t need)
{
    if ((size_t)(lx->spell_end - lx->spell_next) >= need)
        return;
    size_t size = need > SPELL_BLOCK ? need : SPELL_BLOCK;
    nbc_spell_block *b = malloc(sizeof *b + size);
    if (b == NULL)
        nbc_oom();
    b->next = lx->out->spell;
    lx->out->spell = b;
    lx->spell_next = b->text;
    lx->spell_end = b->text + size;
}

/* Adds a token spanning logical [start, end); its text is the logical spelling
 * unless `text` is given. The token is owned by lx->out. */
static nbc_token *emit(lexer *lx, nbc_tok_kind kind, size_t start, size_t end, const char *text,
                       size_t text_len)
{
    nbc_lexed *o = lx->out;
    if (o->n == lx->cap) {
        lx->cap = lx->cap ? lx->cap * 2 : 256;
        o->toks = realloc(o->toks, lx->cap * sizeof *o->toks);
        if (o->toks == NULL)
            nbc_oom();
    }
    nbc_token *t = &o->toks[o->n++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    if (text == NULL) {
        text = lx->lg + start;
        text_len = end - start;
    }
    size_t off = orig(lx, start), oend = off;
    if (end > start) {
        size_t w, last = orig(lx, end - 1);
        phase1(lx, last, &w); /* a trigraph is one character of three bytes */
        oend = last + w;
    }
    if (text_len > NBC_TOK_MAX_LEN) {
        if (o->too_long == 0)
            o->too_long = off + 1; /* the file is refused; keep going safely */
        text_len = NBC_TOK_MAX_LEN;
    }
    bool odd = oend != off + text_len;
    spell_room(lx, text_len + 1 + (odd ? sizeof(uint32_t) : 0));
    memcpy(lx->spell_next, text, text_len);
    lx->spell_next[text_len] = '\0';
    t->text = lx->spell_next;
    t->len = (uint32_t)text_len;
    t->off = (uint32_t)off;
    t->odd = odd;
    lx->spell_next += text_len + 1;
    if (odd) {
        uint32_t e32 = (uint32_t)oend;
        memcpy(lx->spell_next, &e32, sizeof e32);
        lx->spell_next += sizeof e32;
    }
    return t;
}

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Skips a comment starting at i, if any; returns the index after it. */
static size_t skip_comment(const lexer *lx, size_t i)
{
    const char *s = lx->lg;
    if (s[i] == '/' && s[i + 1] == '*') {
        /* Bounded by the length, not a NUL: a NUL byte in a comment (compilers
         * ignore it) must not hide the code after the comment. */
        const char *e = memmem(s + i + 2, lx->n - (i + 2), "*/", 2);
        return e ? (size_t)(e - s) + 2 : lx->n;
    }
    if (s[i] == '/' && s[i + 1] == '/') {
        while (i < lx->n && s[i] != '\n')
            i++;
        return i;
    }
    return i;
}

/* End of a quoted literal whose opening quote is at i. Stops before an
 * unescaped newline when the literal is unterminated. */
static size_t skip_quoted(const lexer *lx, size_t i)
{
    const char *s = lx->lg;
    char q = s[i++];
    while (i < lx->n && s[i] != q && s[i] != '\n') {
        if (s[i] == '\\' && i + 1 < lx->n && s[i + 1] != '\n')
            i++;
        i++;
    }
    return i < lx->n && s[i] == q ? i + 1 : i;
}

static size_t skip_number(const lexer *lx, size_t i)
{
    const char *s = lx->lg;
    while (i < lx->n) {
        unsigned char c = (unsigned char)s[i];
        if ((c == '+' || c == '-') && i > 0 && strchr("eEpP", s[i - 1]) != NULL)
            i++;
        else if (is_ident_char(c) || c == '.')
            i++;
        else
            break;
    }
    return i;
}

static const char *const puncts[] = {
    "...", "<<=", ">>=", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
    "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##", NULL,
};

/* Digraphs and the punctuator each stands for (C99 6.4.6p3). */
static const char *const digraphs[][2] = {
    {"%:%:", "##"}, {"<%", "{"}, {"%>", "}"}, {"<:", "["}, {":>", "]"}, {"%:", "#"}, {NULL, NULL},
};

/* The digraph at i: its length and in *as the punctuator it spells; 0 if none. */
static size_t digraph_at(const lexer *lx, size_t i, const char **as)
{
    for (size_t k = 0; digraphs[k][0]; k++) {
        size_t n = strlen(digraphs[k][0]);
        if (i + n <= lx->n && memcmp(lx->lg + i, digraphs[k][0], n) == 0) {
            *as = digraphs[k][1];
            return n;
        }
    }
    return 0;
}

static size_t punct_len(const lexer *lx, size_t i)
{
    for (const char *const *p = puncts; *p; p++) {
        size_t n = strlen(*p);
        if (i + n <= lx->n && memcmp(lx->lg + i, *p, n) == 0)
            return n;
    }
    return 1;
}

/* Lexes the '#' at i and the directive name after it. */
static size_t lex_directive_start(lexer *lx, size_t i, bool *is_include)
{
    size_t start = i;
    i += lx->lg[i] == '%' ? 2 : 1; /* '#' or the digraph '%:' */
    for (;;) {
        while (lx->lg[i] == ' ' || lx->lg[i] == '\t')
            i++;
        size_t j = skip_comment(lx, i);
        if (j == i || lx->lg[i + 1] == '/')
            break; /* a // comment ends the line: leave it for the main loop */
        i = j;
    }
    size_t name = i;
    while (i < lx->n && is_ident_char((unsigned char)lx->lg[i]))
        i++;
    if (name < i && is_digit((unsigned char)lx->lg[name]))
        i = name; /* "# 12 "file"": a line marker, no name */
    emit(lx, NBC_TOK_DIRECTIVE, start, i > name ? i : start + 1, lx->lg + name, i - name);
    *is_include = (i - name == 7 && memcmp(lx->lg + name, "include", 7) == 0) ||
                  (i - name == 12 && memcmp(lx->lg + name, "include_next", 12) == 0) ||
                  (i - name == 6 && memcmp(lx->lg + name, "import", 6) == 0);
    return i;
}

/* The prefix of a string or character literal (u8 u U L) ending at i, if the
 * identifier [start, i) is one and a quote follows. */
static bool is_literal_prefix(const lexer *lx, size_t start, size_t i)
{
    size_t n = i - start;
    const char *s = lx->lg + start;
    if (lx->lg[i] != '"' && lx->lg[i] != '\'')
        return false;
    return (n == 1 && (*s == 'u' || *s == 'U' || *s == 'L')) || (n == 2 && s[0] == 'u' && s[1] == '8');
}

/* Lexes the token starting at *i (not a comment, space or directive start);
 * advances *i past it and returns its kind. */
static nbc_tok_kind lex_token(const lexer *lx, size_t *i, bool want_header, const char **as)
{
    const char *s = lx->lg;
    size_t start = *i, j = *i;
    unsigned char c = (unsigned char)s[j];
    nbc_tok_kind kind;
    if (want_header && c == '<') {
        while (j < lx->n && s[j] != '>' && s[j] != '\n')
            j++;
        j += j < lx->n && s[j] == '>';
        kind = NBC_TOK_HEADER;
    } else if (is_ident_start(c)) {
        while (j < lx->n && is_ident_char((unsigned char)s[j]))
            j++;
        kind = NBC_TOK_IDENT;
        if (is_literal_prefix(lx, start, j)) {
            kind = s[j] == '"' ? NBC_TOK_STRING : NBC_TOK_CHAR;
            j = skip_quoted(lx, j);
        }
    } else if (is_digit(c) || (c == '.' && is_digit((unsigned char)s[j + 1]))) {
        j = skip_number(lx, j);
        kind = NBC_TOK_NUMBER;
    } else if (c == '"' || c == '\'') {
        j = skip_quoted(lx, j);
        kind = c == '"' ? NBC_TOK_STRING : NBC_TOK_CHAR;
    } else if (c != '\0' && strchr("[](){}.,;:?~!%^&*-+=<>|/#", c) != NULL) {
        size_t d = digraph_at(lx, j, as);
        j += d ? d : punct_len(lx, j);
        kind = NBC_TOK_PUNCT;
    } else {
        j++;
        kind = NBC_TOK_OTHER;
    }
    *i = j;
    return kind;
}

void nbc_lex(const char *buf, size_t len, nbc_lexed *out)
{
    nbc_lex_ext(buf, len, false, out);
}

void nbc_lex_ext(const char *buf, size_t len, bool trigraphs, nbc_lexed *out)
{
    if (len >= UINT32_MAX)
        len = UINT32_MAX - 1; /* the caller refuses such a file (parse.c); never read past it here */
    lexer lx = {.buf = buf, .len = len, .out = out, .trigraphs = trigraphs};
    memset(out, 0, sizeof *out);
    /* A UTF-8 byte order mark is no part of the text (compilers skip it too). */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        lx.start = out->text_start = 3;
    splice(&lx);
    index_lines(&lx);

    bool line_start = true, in_directive = false, want_header = false;
    size_t i = 0;
    while (i < lx.n) {
        unsigned char c = (unsigned char)lx.lg[i];
        size_t j = skip_comment(&lx, i);
        if (j != i) {
            i = j;
            continue;
        }
        if (c == '\n') {
            if (in_directive)
                emit(&lx, NBC_TOK_EOD, i, i, "", 0);
            in_directive = want_header = false;
            line_start = true;
            i++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            i++;
            continue;
        }
        if ((c == '#' || (c == '%' && lx.lg[i + 1] == ':')) && line_start && !in_directive) {
            i = lex_directive_start(&lx, i, &want_header);
            in_directive = true;
            line_start = false;
            continue;
        }
        line_start = false;
        size_t start = i;
        const char *as = NULL;
        nbc_tok_kind kind = lex_token(&lx, &i, want_header, &as);
        want_header = false;
        emit(&lx, kind, start, i, as, as ? strlen(as) : 0);
    }
    if (in_directive)
        emit(&lx, NBC_TOK_EOD, lx.n, lx.n, "", 0);
    emit(&lx, NBC_TOK_EOF, lx.n, lx.n, "", 0);
    if (!lx.lg_borrowed)
        free(lx.lg);
    free(lx.jump_at);
    free(lx.jump_off);
}

void nbc_lexed_free(nbc_lexed *lx)
{
    free(lx->toks);
    for (nbc_spell_block *b = lx->spell, *next; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    free(lx->lines);
    memset(lx, 0, sizeof *lx);
}

bool nbc_tok_is(const nbc_token *t, const char *s)
{
    return (t->kind == NBC_TOK_PUNCT || t->kind == NBC_TOK_IDENT) && strcmp(t->text, s) == 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes one escape sequence after the backslash at *p; advances *p. */
static char decode_escape(const char **p)
{
    const char *s = *p;
    char c = *s++;
    unsigned v = 0; /* wraps on a long \x run (compilers reject it; the low byte is kept) */
    switch (c) {
    case 'n': c = '\n'; break;
    case 't': c = '\t'; break;
    case 'r': c = '\r'; break;
    case 'a': c = '\a'; break;
    case 'b': c = '\b'; break;
    case 'f': c = '\f'; break;
    case 'v': c = '\v'; break;
    case 'x':
        while (hex_value(*s) >= 0)
            v = v * 16 + hex_value(*s++);
        c = (char)v;
        break;
    default:
        if (c >= '0' && c <= '7') {
            v = c - '0';
            for (int k = 0; k < 2 && *s >= '0' && *s <= '7'; k++)
                v = v * 8 + (*s++ - '0');
            c = (char)v;
        }
        break; /* \\ \" \' \? and unknown escapes stand for themselves */
    }
    *p = s;
    return c;
}

char *nbc_string_value(const nbc_token *t, size_t *len, size_t *content_off)
{
    const char *q = strchr(t->text, '"');
    if (q == NULL)
        q = t->text + t->len; /* not a string: empty value */
    if (content_off != NULL)
        *content_off = (size_t)(q - t->text) + (*q != '\0');
    char *v = malloc(t->len + 1);
    if (v == NULL)
        nbc_oom();
    size_t n = 0;
    const char *s = *q ? q + 1 : q;
    while (*s && *s != '"') {
        if (*s == '\\' && s[1] != '\0') {
            s++;
            v[n++] = decode_escape(&s);
        } else {
            v[n++] = *s++;
        }
    }
    v[n] = '\0';
    if (len != NULL)
        *len = n;
    return v;
}
