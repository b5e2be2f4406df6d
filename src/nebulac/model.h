/*
 * model.h — what nebulac knows about the annotated sources of one build.
 *
 * parse.c fills it (for one node: NB_ON decides which branches are read at all),
 * types.c and validate.c complete and check it, the emitters only read it. Every
 * string and record is owned by the model's arena and lives until nbc_model_free.
 */
#ifndef NBC_MODEL_H
#define NBC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "lexer.h"
#include "macros.h"
#include "util.h"

typedef struct nbc_file nbc_file;
typedef struct nbc_struct nbc_struct;

/* A byte range [off, end) of a file's original text. */
typedef struct nbc_range {
    size_t off, end;
} nbc_range;

/* What a type is once types.c has classified it. */
typedef enum nbc_kind {
    NBC_K_UNRESOLVED = 0,
    NBC_K_VOID,
    NBC_K_BOOL,
    NBC_K_INT,
    NBC_K_UINT,
    NBC_K_FLOAT,       /* float or double */
    NBC_K_STR,
    NBC_K_BYTES,
    NBC_K_STRUCT,
    NBC_K_STRUCT_PTR
} nbc_kind;

#define NBC_MAX_DIMS 2

/* A type as written in a signature or a field, plus its classification. */
typedef struct nbc_ctype {
    const char **words;   /* specifier words in order, qualifiers included ("const", "char") */
    size_t n_words;
    int n_ptr;            /* number of '*' */
    bool ptr_qualified;   /* a qualifier after a '*' ("char *const") */
    bool funcptr;         /* the declarator has parentheses: a function pointer or worse */
    size_t dims[NBC_MAX_DIMS];
    int n_dims;
    bool bad_dim;         /* an array size that is not an integer literal (or too many) */
    const char *written;  /* the type as written, normalised spacing: "const char *" */
    nbc_loc loc;          /* first token of the type */
    /* Filled by types.c: */
    nbc_kind kind;
    const char *c_text;   /* canonical C spelling of the (element) type: "int64_t", "char *" */
    nbc_struct *st;       /* NBC_K_STRUCT, NBC_K_STRUCT_PTR */
} nbc_ctype;

typedef struct nbc_field {
    const char *name;
    nbc_ctype type;
    nbc_loc loc;          /* the field's name */
} nbc_field;

/* One NB_STRUCT definition. */
struct nbc_struct {
    const char *tag;          /* struct tag, or NULL */
    const char *typedef_name; /* typedef name, or NULL */
    const char *display;      /* as callers write it: "user_t" or "struct user" */
    const char *ident;        /* suffix of generated names: nb__type_<ident>, nb_free_<ident> */
    nbc_field *fields;
    size_t n_fields, cap_fields;
    nbc_file *file;
    nbc_loc loc;              /* the NB_STRUCT annotation */
    size_t off;               /* offset of the NB_STRUCT annotation */
    size_t semi_end;          /* just past the definition's terminating ';' */
};

typedef struct nbc_param {
    const char *name;         /* NULL when unnamed (declarations only) */
    nbc_ctype type;
} nbc_param;

/* One NB_API function: an annotated definition, or an annotated prototype. */
typedef struct nbc_api {
    const char *name;
    const char *selector;     /* the selector text, "" for NB_API() */
    nbc_file *file;
    nbc_loc loc;              /* the NB_API annotation (the definition when borrowed) */
    nbc_loc name_loc;         /* the function's name */
    nbc_loc sel_loc;          /* the selector's first character */
    nbc_range anno;           /* the NB_API(...) text; empty at the definition's start when borrowed */
    nbc_range name_tok;       /* the function's name token */
    nbc_range *drop;          /* storage words to remove from a local body ("extern") */
    size_t n_drop, cap_drop;
    size_t body_end;          /* just past the closing brace (definitions) */
    size_t semi_end;          /* just past the ';' (declarations) */
    bool is_definition;
    bool is_static;
    bool variadic;
    nbc_loc variadic_loc;
    nbc_ctype ret;
    nbc_param *params;
    size_t n_params, cap_params;
    /* Filled by validation: */
    const char *signature;    /* "user_t *users_find(int64_t id)" */
    uint64_t wire_id;
    uint32_t *serving;        /* topology indices the selector matches */
    size_t n_serving;
    bool local;               /* served on the node being built */
} nbc_api;

/* One NB_ON("sel") occurrence, already decided for the node being built. */
typedef struct nbc_on {
    nbc_range at;             /* NB_ON through its ')' */
    bool value;
} nbc_on;

/* How nebulac decided the #if/#ifdef/#ifndef/#elif/#else at token `tok` when it
 * first read the file: 1 taken, 0 skipped, -1 undecided (every branch read). */
typedef struct nbc_decision {
    size_t tok;
    int v;
} nbc_decision;

/* A followed `#include "name"`: the name's token and the file it found. */
typedef struct nbc_incref {
    nbc_range name;
    nbc_file *target;
    bool own_dir;             /* found beside the including file */
} nbc_incref;

/* A file-scope prototype `... name(...);`: candidates for the f__with prototype. */
typedef struct nbc_proto {
    const char *name;
    size_t semi_end;
    nbc_loc loc;
} nbc_proto;

/* A file-scope function definition without NB_API (an annotated prototype may
 * make it an API). Token indices into the file's code[]. */
typedef struct nbc_plain_def {
    const char *name;
    size_t head, brace;
} nbc_plain_def;

/* NB_MODULE(...) of a source. */
typedef struct nbc_module_opts {
    bool present;
    nbc_loc loc;
    nbc_range at;             /* NB_MODULE through its ';' */
    int default_timeout_ms;   /* 0 = inherit */
    int max_concurrent_calls; /* 0 = inherit */
    int max_time_extensions;  /* 0 = inherit, -1 (NB_NO_EXTENSIONS) = none */
} nbc_module_opts;

struct nbc_file {
    const char *path;         /* as shown to users: relative to the current directory when inside it */
    const char *abs_path;     /* resolved, absolute */
    const char *rel_path;     /* relative to the current directory, NULL when outside it */
    bool is_source;
    char *buf;                /* the original text, owned (malloc) */
    size_t len;
    nbc_lexed lx;             /* token spellings of buf, owned (its toks array becomes code) */
    nbc_token *code;          /* live tokens outside directives, ending with EOF (owned, freed with the model) */
    size_t n_code, cap_code;

    nbc_range *blanks;        /* branches NB_ON kills on this node: removed */
    size_t n_blanks, cap_blanks;
    size_t *guards;           /* ends of directive lines opening a dead branch with annotations */
    size_t n_guards, cap_guards;
    nbc_decision *decisions;  /* how each conditional was decided, in token order */
    size_t n_decisions, cap_decisions;
    nbc_incref *increfs;      /* followed quoted includes */
    size_t n_increfs, cap_increfs;
    unsigned tu;              /* the last translation unit that read it (1, 2, ...) */
    nbc_on *ons;
    size_t n_ons, cap_ons;
    nbc_proto *protos;
    size_t n_protos, cap_protos;
    nbc_plain_def *plain_defs;
    size_t n_plain_defs, cap_plain_defs;
    size_t *nb_start_calls;   /* offsets of live nb_start( calls */
    size_t n_nb_start, cap_nb_start;
    nbc_file **includes;      /* quoted includes followed from here */
    size_t n_includes, cap_includes;
    nbc_module_opts module;

    bool has_annotations;     /* NB_API, NB_STRUCT, NB_ON or NB_MODULE */
    nbc_loc first_annotation;
    bool rewrite;             /* set by nbc_model_finish: written to the output */
};

/* A string-literal routing selector in the code: NB_ON_NODE("@x"),
 * NB_ON_NODES("&y", ...), or `.node =` / `.nodes =` inside a call of f__with. */
typedef struct nbc_route {
    const char *selector;     /* the literal's value (arena) */
    nbc_loc loc;              /* its first character */
    const char *what;         /* "NB_ON_NODE call", "users_find__with call" (arena) */
    const char *api;          /* the API of an f__with call, or NULL */
} nbc_route;

/* The fields of an nb_call, in nebula.h's order (positional initialisers
 * follow it). */
typedef enum nbc_callopt {
    NBC_CO_NODE, NBC_CO_PICK, NBC_CO_NODES, NBC_CO_FILTER, NBC_CO_ARG, NBC_CO_RESULTS,
    NBC_CO_ALL, NBC_CO_STRATEGY, NBC_CO_AT_LEAST, NBC_CO_QUORUM, NBC_CO_SUCCESS,
    NBC_CO_FAILURE, NBC_CO_TIMEOUT_MS, NBC_CO_DEFAULT_ROUTE, NBC_CO_MAX_TIME_EXTENSIONS,
    NBC_N_CALLOPTS
} nbc_callopt;

/* What nebulac could read of one option's value. */
typedef enum nbc_optstate {
    NBC_OPT_UNSET = 0,        /* not written: zero */
    NBC_OPT_VALUE,            /* a literal: `value` (a pointer: 0 NULL, 1 not NULL) */
    NBC_OPT_NAME,             /* an identifier: not NULL when it names a function */
    NBC_OPT_UNKNOWN           /* an expression: any value */
} nbc_optstate;

typedef struct nbc_optval {
    unsigned char state;      /* an nbc_optstate */
    long long value;
    const char *name;         /* NBC_OPT_NAME (arena) */
    nbc_loc loc;              /* the option's designator (or its value) */
} nbc_optval;

/* The options of an nb_call written in the code: the compound literal
 * `&(nb_call){...}` passed to an API's f__with, or a routing block's. */
typedef struct nbc_calllit {
    const char *what;         /* "users_find__with call", "NB_ON_NODES block" (arena) */
    const char *api;          /* the API of an f__with call, NULL for a block */
    nbc_loc loc;              /* the literal (or the block's name) */
    nbc_optval opt[NBC_N_CALLOPTS];
} nbc_calllit;

typedef struct nbc_model {
    nbc_arena arena;
    nbc_route *routes;
    size_t n_routes, cap_routes;
    nbc_calllit **calllits;
    size_t n_calllits, cap_calllits;
    nbc_file **files;         /* sources in the order given, headers as discovered */
    size_t n_files, cap_files;
    nbc_api **apis;           /* definitions, in file order then source order */
    size_t n_apis, cap_apis;
    nbc_api **decls;          /* annotated prototypes */
    size_t n_decls, cap_decls;
    nbc_struct **structs;
    size_t n_structs, cap_structs;
} nbc_model;

/*
 * Decides NB_ON("sel") for the node being built: returns 1 or 0, or -1 after
 * reporting a bad selector (the branch is then read as possibly live).
 */
typedef int (*nbc_on_eval_fn)(void *ctx, const char *selector, nbc_loc loc);

typedef struct nbc_parse_opts {
    const char *const *include_dirs;  /* -I, in order */
    size_t n_include_dirs;
    nbc_on_eval_fn on_eval;
    void *on_ctx;
    /* As cc reads them (all optional): */
    const char *const *quote_dirs;    /* -iquote, searched before -I for "name" */
    size_t n_quote_dirs;
    const char *const *macro_flags;   /* "-DX=1", "-UY", in order */
    size_t n_macro_flags;
    const char *const *pre_includes;  /* -include FILE, read before each source */
    size_t n_pre_includes;
    nbc_cc cc;                        /* asked about conditions nebulac cannot decide */
    bool trigraphs;                   /* an ISO -std= (c99, c11...): trigraphs are replaced */
    const char *const *export_macros; /* --export-macro: words dropped before a return type */
    size_t n_export_macros;
} nbc_parse_opts;

/*
 * Reads, lexes and parses every source and the quoted headers they include,
 * then links annotated prototypes to their definitions and decides which files
 * are rewritten. Reports problems with nbc_error; returns the number of errors.
 * Release the model with nbc_model_free even on errors.
 */
int nbc_parse(nbc_model *m, const nbc_parse_opts *opts, const char *const *sources, size_t n);

void nbc_model_free(nbc_model *m);

/* Frees every file's code tokens once parsing is over (validation and the
 * emitters never read them; their spellings, which the model points into,
 * stay): the largest part of nebulac's memory is gone before the output is built. */
void nbc_model_drop_tokens(nbc_model *m);

/* The API named `name` (owned by the model), or NULL. */
nbc_api *nbc_model_find_api(const nbc_model *m, const char *name);

/* The model's APIs sorted by name, the order every generated table and the
 * fingerprint use. Returns an array of m->n_apis pointers into the model (never
 * NULL; exits on out of memory); the caller frees the array, not the APIs. */
nbc_api **nbc_model_apis_by_name(const nbc_model *m);

#endif /* NBC_MODEL_H */
