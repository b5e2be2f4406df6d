/*
 * parse_int.h — shared between nebulac's parsing files (scan.c: preprocessor
 * lines, conditionals and includes; parse.c: declarations and annotations;
 * declarator.c: types and function heads). Not used outside the parser.
 */
#ifndef NBC_PARSE_INT_H
#define NBC_PARSE_INT_H

#include "model.h"

typedef struct nbc_on_cache {
    const char *sel;           /* arena */
    int value;
} nbc_on_cache;

typedef struct nbc_pctx {
    nbc_model *m;
    const nbc_parse_opts *opts;
    char *cwd;                 /* canonical current directory, malloc'd */
    unsigned tu;               /* the translation unit being read: 1, 2, ... */
    nbc_macros *mac;           /* its macros (owned) */
    nbc_on_cache *ons;         /* NB_ON selectors decided so far (one report each) */
    size_t n_ons, cap_ons;
} nbc_pctx;

/* NB_ON("sel") for the node being built: 1, 0, or -1 after a report (once per selector). */
int nbc_on_value(nbc_pctx *c, const char *sel, nbc_loc loc);

/* The location of a token of file f. */
nbc_loc nbc_tok_loc(const nbc_file *f, const nbc_token *t);

/*
 * Loads, lexes, scans and parses one file once (later calls return the same
 * record, owned by the model). `from` is where it was named (an #include line;
 * a zero loc for a source on the command line). Returns NULL after reporting
 * when it cannot be read.
 */
nbc_file *nbc_load_file(nbc_pctx *c, const char *path, bool is_source, nbc_loc from);

/* Phase 1: walks f's tokens through the preprocessor lines as the compiler
 * would in the current translation unit: follows quoted includes, tracks macros,
 * decides conditionals, records NB_ON, and (`record`: the first reading) collects
 * the live tokens outside directives into f->code. A later reading from another
 * unit only updates the macros and checks the decisions that matter agree. */
void nbc_scan(nbc_pctx *c, nbc_file *f, bool record);

/* Reads the header at `path` included from `from` in the current unit: loads
 * and scans it the first time, reads it again (nbc_scan, no record) the first
 * time another unit includes it, and not at all when this unit already did.
 * NULL when unreadable (reported). */
nbc_file *nbc_include_file(nbc_pctx *c, const char *path, nbc_loc from);

/* Phase 2: the annotations and file-scope declarations in f->code. */
void nbc_parse_code(nbc_pctx *c, nbc_file *f);

/*
 * Parses NB_ON("sel") at t[0] (n tokens available) and records it in f. Returns
 * the number of tokens consumed (at least 1) and stores 1, 0 or -1 (unknown:
 * malformed or a bad selector) in *value.
 */
size_t nbc_parse_on(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n, int *value);

/* Reports a selector string holding a NUL byte at loc: a C string would end at
 * it, and the rest of the selector would be silently ignored. */
void nbc_report_nul(nbc_loc loc);

/* The value of the selector string literal t (malloc'd; the caller frees),
 * after reporting at loc when it holds a NUL byte. */
char *nbc_selector_value(const nbc_token *t, nbc_loc loc);

/* Notes the nb_call options written at f->code[k]: with `with`, an f__with call
 * `name__with(&(nb_call){...}`; else a routing block macro `NB_ON_NODE(...)`.
 * Anything else (or a literal nebulac cannot map to fields) is not noted.
 * See options.h. */
void nbc_note_call_options(nbc_pctx *c, nbc_file *f, size_t k, bool with);

/* Index of the token closing the bracket opened at t[i] ("(", "[" or "{"), or n. */
size_t nbc_match(const nbc_token *t, size_t i, size_t n);

/* If t[i] starts an attribute (`__attribute__((...))`, `[[...]]`, `__declspec(...)`,
 * `__asm__("...")`, `alignas(...)`), the index after it; else i. */
size_t nbc_skip_attribute(const nbc_token *t, size_t i, size_t n);

/* The index of the name before the '(' at t[lp], past C23 attributes written
 * between them (`f [[gnu::hot]] (int x)`). */
size_t nbc_name_before(const nbc_token *t, size_t lp);

/* True for words that cannot name a parameter: type keywords and qualifiers. */
bool nbc_is_type_keyword(const char *s);

/* Parsed function head `ret name(params)`. */
typedef struct nbc_head {
    const char *name;
    nbc_loc name_loc;
    nbc_range name_tok;
    nbc_ctype ret;
    nbc_param *params;
    size_t n_params, cap_params;
    bool variadic;
    nbc_loc variadic_loc;
    bool is_static;
    nbc_range drop[8];         /* "extern" words, export macros */
    size_t n_drop;
} nbc_head;

/*
 * Parses t[0..n) as a function head (a definition's text before '{', or a
 * prototype's before ';'). Returns 0, or -1 after reporting why it is not one.
 */
int nbc_parse_head(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n, nbc_head *out);

/*
 * Parses t[0..n) as `type declarator` (a parameter, a field, or with
 * want_name false a return type). With `inherit`, the tokens are a further
 * declarator of a declaration (`*b` in `int a, *b;`) sharing its words.
 * *name is NULL when there is none. Returns 0, or -1 for an empty range.
 */
int nbc_parse_declarator(nbc_pctx *c, nbc_file *f, const nbc_token *t, size_t n, bool want_name,
                         const nbc_ctype *inherit, nbc_ctype *type, const char **name,
                         nbc_loc *name_loc);

#endif /* NBC_PARSE_INT_H */
