/*
 * nebulac — topology + annotated C sources in, plain C per node out.
 *
 *   nebulac --topology FILE (--node NAME | --generic) --out DIR [-I DIR]...
 *           [--explain [--format text|dot|svg]] [--depfile FILE] SOURCE.c...
 *
 * The pipeline: load the topology, decide the node, parse (lexer, scan, parse),
 * validate the whole model, and only then emit; nothing is written when any
 * error was reported, and what is written appears whole (temporary + rename).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dot.h"
#include "emit.h"
#include "explain.h"
#include "fsutil.h"
#include "signature.h"
#include "topology.h"
#include "validate.h"

typedef struct options {
    const char *topology;
    const char *node;
    const char *out;
    const char *depfile;
    bool explain;
    const char *format;           /* --format: "text" (default), "dot", "svg" */
    bool generic;
    const char **includes;
    size_t n_includes;
    const char **quotes;          /* -iquote */
    size_t n_quotes;
    const char **macro_flags;     /* -D/-U, normalised to "-DX=1" / "-UX" */
    size_t n_macro_flags;
    const char **pre_includes;    /* -include */
    size_t n_pre_includes;
    const char *cc;               /* --cc */
    const char **cc_flags;        /* what changes the compiler's macros or search */
    size_t n_cc_flags;
    bool trigraphs;
    const char **export_macros;   /* --export-macro */
    size_t n_export_macros;
    char **owned;                 /* joined option strings ("-I" + "dir"), freed at exit */
    size_t n_owned;
    const char **sources;
    size_t n_sources;
} options;

static const char usage[] =
    "usage: nebulac --topology FILE [--node NAME | --generic] --out DIR [-I DIR]...\n"
    "               [--explain [--format text|dot|svg]] [--depfile FILE] [cc options] SOURCE.c...\n"
    "\n"
    "Rewrites annotated C sources for one node of a NebulaAPI cluster.\n"
    "\n"
    "  --topology FILE  the cluster's nebula.yaml\n"
    "  --node NAME      the node to build (default: $NEBULA_NODE, then default_opts.self_node)\n"
    "  --generic        a generic build (nonode@nohost): every API remote, serves nothing,\n"
    "                   needs no nb_start(); whatever --node, $NEBULA_NODE and the topology\n"
    "                   say (this is how the nebula command-line tool is built)\n"
    "  --out DIR        where the rewritten sources and nebula_node.c go\n"
    "  -I DIR           search DIR for quoted includes (after the including file's directory)\n"
    "  --export-macro NAME  NAME before a function's return type is an export macro:\n"
    "                   dropped (LIBAPI int f(...)) or, used as NAME(type), replaced by type\n"
    "  --cc CC          the C compiler asked about conditions nebulac cannot decide alone\n"
    "                   (default: $CC, then cc)\n"
    "  cc options       read as the compiler reads them: -D NAME[=VALUE], -U NAME,\n"
    "                   -include FILE, -iquote DIR, -isystem DIR, -idirafter DIR, -std=...,\n"
    "                   -ansi, -trigraphs, -O..., -f..., -m..., -pthread; -W..., -g...,\n"
    "                   -pedantic..., -w are accepted and ignored\n"
    "  --cc-options ... --end-cc-options\n"
    "                   compiler options (a build's COMPILE_OPTIONS): read as above,\n"
    "                   and any other option in between is ignored\n"
    "  --explain        print where every API runs (local or remote on each node)\n"
    "  --format FORMAT  with --explain: text (a table, the default), dot (a Graphviz graph\n"
    "                   of the nodes, their tags and the APIs local on each) or svg (that\n"
    "                   graph drawn by Graphviz's dot, which must be on PATH)\n"
    "  --depfile FILE   write a Makefile dependency file of the outputs on every file read\n"
    "  --help, --version\n";

static void fail(const char *fmt, const char *arg)
{
    fputs("nebulac: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
}

/* The value of option `name` at argv[*i] ("--opt VALUE" or "--opt=VALUE"), or
 * NULL; it points into argv. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *bad)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fail("%s needs a value", name);
        *bad = true;
        return NULL;
    }
    return argv[++*i];
}

static char *xstrdup2(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s == NULL)
        nbc_oom();
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

/*
 * A compiler option at argv[*i] (and its value): true when it is one, after
 * storing it. Options with a separate value ("-D X", "-include F") advance *i.
 * The joined "-DX" spellings are kept in argv; the rest are malloc'd and
 * listed in o->owned.
 */
static bool cc_option(options *o, int argc, char **argv, int *i, bool *bad)
{
    static const char *const with_value[] = {"-D", "-U", "-I", "-iquote", "-isystem", "-idirafter",
                                             "-include", NULL};
    const char *a = argv[*i];
    for (const char *const *p = with_value; *p; p++) {
        size_t n = strlen(*p);
        if (strncmp(a, *p, n) != 0 || (n > 2 && a[n] != '\0'))
            continue;
        const char *v = a + n;
        if (*v == '\0') {
            if (*i + 1 >= argc) {
                fail("%s needs a value", a);
                *bad = true;
                return true;
            }
            v = argv[++*i];
        }
        const char *flag = a;
        if (v != a + n)
            flag = o->owned[o->n_owned++] = xstrdup2(*p, v);
        if (strcmp(*p, "-D") == 0 || strcmp(*p, "-U") == 0) {
            o->macro_flags[o->n_macro_flags++] = flag;
            o->cc_flags[o->n_cc_flags++] = flag;
        } else if (strcmp(*p, "-I") == 0) {
            o->includes[o->n_includes++] = v;
            o->cc_flags[o->n_cc_flags++] = flag;
        } else if (strcmp(*p, "-iquote") == 0) {
            o->quotes[o->n_quotes++] = v;
            o->cc_flags[o->n_cc_flags++] = *p;
            o->cc_flags[o->n_cc_flags++] = v;
        } else if (strcmp(*p, "-include") == 0) {
            o->pre_includes[o->n_pre_includes++] = v;
        } else {
            o->cc_flags[o->n_cc_flags++] = *p;
            o->cc_flags[o->n_cc_flags++] = v;
        }
        return true;
    }
    if (strncmp(a, "-std=", 5) == 0 || strcmp(a, "-ansi") == 0 || strcmp(a, "-trigraphs") == 0) {
        /* ISO modes replace trigraphs; the GNU ones (gnu99, gnu11) do not. */
        o->trigraphs = strcmp(a, "-trigraphs") == 0 || strcmp(a, "-ansi") == 0 ||
                       strncmp(a + 5, "gnu", 3) != 0;
        o->cc_flags[o->n_cc_flags++] = a;
        return true;
    }
    if ((a[1] == 'O' || a[1] == 'f' || a[1] == 'm') || strcmp(a, "-pthread") == 0) {
        o->cc_flags[o->n_cc_flags++] = a;
        return true;
    }
    return a[1] == 'W' || a[1] == 'g' || strncmp(a, "-pedantic", 9) == 0 || strcmp(a, "-w") == 0;
}

/* --explain --format=svg: the DOT graph piped through Graphviz's dot to stdout.
 * Returns 0, or 1 after reporting. */
static int explain_svg(const nbc_model *m, const nbc_build *b)
{
    fflush(stdout);
    FILE *dot = popen("dot -Tsvg", "w");
    if (dot == NULL) {
        fail("cannot run Graphviz's dot: %s", strerror(errno));
        return 1;
    }
    nbc_explain_dot(dot, m, b);
    int st = pclose(dot);
    if (st != 0) {
        fail("%s", "Graphviz's dot failed to draw the graph (its message is above)");
        return 1;
    }
    return 0;
}

/* Returns 0, 1 on a usage error, or -1 after --help/--version (exit 0). */
static int parse_args(int argc, char **argv, options *o)
{
    bool bad = false, in_cc = false;
    size_t n = (size_t)argc + 1;
    o->includes = calloc(n, sizeof *o->includes);
    o->sources = calloc(n, sizeof *o->sources);
    o->quotes = calloc(n, sizeof *o->quotes);
    o->macro_flags = calloc(n, sizeof *o->macro_flags);
    o->pre_includes = calloc(n, sizeof *o->pre_includes);
    o->cc_flags = calloc(2 * n, sizeof *o->cc_flags);
    if (o->includes == NULL || o->sources == NULL || o->quotes == NULL || o->macro_flags == NULL ||
        o->pre_includes == NULL || o->cc_flags == NULL)
        nbc_oom();
    o->export_macros = calloc(n, sizeof *o->export_macros);
    o->owned = calloc(n, sizeof *o->owned);
    if (o->export_macros == NULL || o->owned == NULL)
        nbc_oom();
    o->cc = getenv("CC");
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        } else if (strcmp(a, "--version") == 0) {
            printf("nebulac " NBC_VERSION " (NebulaAPI ABI %d)\n", NB__ABI_VERSION);
            return -1;
        } else if (strcmp(a, "--explain") == 0) {
            o->explain = true;
        } else if (strcmp(a, "--generic") == 0) {
            o->generic = true;
        } else if ((v = option_value(argc, argv, &i, "--topology", &bad)) != NULL) {
            o->topology = v;
        } else if ((v = option_value(argc, argv, &i, "--node", &bad)) != NULL) {
            o->node = v;
        } else if ((v = option_value(argc, argv, &i, "--out", &bad)) != NULL) {
            o->out = v;
        } else if ((v = option_value(argc, argv, &i, "--format", &bad)) != NULL) {
            o->format = v;
        } else if ((v = option_value(argc, argv, &i, "--depfile", &bad)) != NULL) {
            o->depfile = v;
        } else if ((v = option_value(argc, argv, &i, "--export-macro", &bad)) != NULL) {
            o->export_macros[o->n_export_macros++] = v;
        } else if ((v = option_value(argc, argv, &i, "--cc", &bad)) != NULL) {
            o->cc = v;
        } else if (strcmp(a, "--cc-options") == 0 || strcmp(a, "--end-cc-options") == 0) {
            in_cc = a[2] == 'c';
        } else if (a[0] == '-' && (cc_option(o, argc, argv, &i, &bad) || in_cc)) {
            /* read, or a compiler option that changes nothing nebulac reads */
        } else if (a[0] == '-' && a[1] != '\0' && !bad) {
            fail("unknown option '%s' (see nebulac --help)", a);
            bad = true;
        } else if (!bad) {
            o->sources[o->n_sources++] = a;
        }
    }
    if (!bad && o->topology == NULL) {
        fail("%s", "--topology FILE is required (see nebulac --help)");
        bad = true;
    }
    if (!bad && o->out == NULL && !o->explain) {
        fail("%s", "--out DIR is required unless --explain is given");
        bad = true;
    }
    if (!bad && o->format != NULL && strcmp(o->format, "text") != 0 && strcmp(o->format, "dot") != 0 &&
        strcmp(o->format, "svg") != 0) {
        fail("--format: \"%s\" is not text, dot or svg", o->format);
        bad = true;
    }
    if (!bad && o->format != NULL && !o->explain) {
        fail("%s", "--format goes with --explain");
        bad = true;
    }
    if (!bad && o->format != NULL && strcmp(o->format, "svg") == 0 && !nb__on_path("dot")) {
        fail("%s", "--format=svg needs Graphviz's dot on PATH (Debian: apt-get install graphviz); "
                   "--format=dot prints the graph for it to draw");
        bad = true;
    }
    if (!bad && o->n_sources == 0) {
        fail("%s", "no source files given");
        bad = true;
    }
    return bad ? 1 : 0;
}

static void list_nodes(const nbc_topology *t)
{
    fputs("Available nodes :\n", stderr);
    for (size_t i = 0; i < t->n_nodes; i++)
        fprintf(stderr, "- %s\n", t->nodes[i].name);
}

/*
 * Decides the node: --generic, else --node, else $NEBULA_NODE, else
 * default_opts.self_node. Returns 0 and fills *b, or -1 after reporting.
 */
static int resolve_node(const options *o, const nbc_topology *t, nbc_build *b)
{
    /* --generic is asked for explicitly, so it needs no allow_nonode_nohost:
     * that flag guards against building nameless by accident. */
    if (o->generic) {
        nbc_build_init(b, t, -1, "nonode@nohost");
        return 0;
    }
    const char *name = o->node, *from = "--node";
    if (name == NULL || name[0] == '\0') {
        name = getenv("NEBULA_NODE");
        from = "NEBULA_NODE";
    }
    if (name == NULL || name[0] == '\0') {
        name = t->default_self_node;
        from = NULL;
    }
    if (name == NULL || strcmp(name, "nonode@nohost") == 0) {
        if (t->allow_nonode_nohost || (o->explain && o->out == NULL)) {
            nbc_build_init(b, t, -1, "nonode@nohost");
            return 0;
        }
        fprintf(stderr,
                "nebulac: error: the node to build is unset (nonode@nohost): pass --node NAME, set "
                "NEBULA_NODE, or set default_opts.self_node in %s\n"
                "(set allow_nonode_nohost: true there for a generic build that serves nothing)\n",
                t->path);
        return -1;
    }
    int self = nbc_topology_find(t, name);
    if (self >= 0 || t->allow_unknown_self_node) {
        nbc_build_init(b, t, self, name);
        return 0;
    }
    if (from != NULL)
        fprintf(stderr, "nebulac: error: node \"%s\" (from %s) is not in %s\n", name, from, t->path);
    else
        nbc_error(t->default_self_node_loc, "node \"%s\" (default_opts.self_node) is not in the topology", name);
    fputs("(set allow_unknown_self_node: true to build it as a generic node that serves nothing)\n", stderr);
    list_nodes(t);
    return -1;
}

static void put_make_path(nbc_buf *b, const char *p)
{
    for (; *p; p++) {
        if (*p == ' ' || *p == '#' || *p == '\\')
            nbc_buf_putc(b, '\\');
        if (*p == '$')
            nbc_buf_putc(b, '$');
        nbc_buf_putc(b, *p);
    }
}

/*
 * Makefile syntax: the outputs, one colon, then every file read. Only the outputs
 * a build system can name in advance are targets (nebula_node.c and the
 * rewritten sources): Ninja rejects a depfile naming an output its rule does not
 * declare, and which headers get rewritten is only known here.
 */
/* malloc'd; the caller frees. */
static char *depfile_text(const char *out_abs, const nbc_outputs *outs, const nbc_model *m,
                          const char *topo_abs)
{
    nbc_buf b = {0};
    for (size_t i = 0; i < outs->n; i++) {
        const nbc_file *f = NULL;
        for (size_t j = 0; j < m->n_files; j++)
            if (m->files[j]->rel_path == outs->items[i].rel_path)
                f = m->files[j];
        if (f != NULL && !f->is_source)
            continue;
        char *p = nbc_path_join(out_abs, outs->items[i].rel_path);
        if (i > 0)
            nbc_buf_puts(&b, " \\\n ");
        put_make_path(&b, p);
        free(p);
    }
    nbc_buf_puts(&b, ":");
    nbc_buf_puts(&b, " \\\n ");
    put_make_path(&b, topo_abs);
    for (size_t i = 0; i < m->n_files; i++) {
        nbc_buf_puts(&b, " \\\n ");
        put_make_path(&b, m->files[i]->abs_path);
    }
    nbc_buf_putc(&b, '\n');
    return nbc_buf_take(&b);
}

/* Writes every output (and the depfile) to temporaries, then renames them all. */
static int write_outputs(const options *o, nbc_outputs *outs, const nbc_model *m)
{
    if (nbc_mkdirs(o->out) != 0) {
        fail("cannot create the output directory: %s", strerror(errno));
        return -1;
    }
    char *out_abs = nbc_abs_path(o->out);
    char *topo_abs = nbc_abs_path(o->topology);
    size_t n = outs->n + 1;
    char **tmps = calloc(n, sizeof *tmps), **finals = calloc(n, sizeof *finals);
    if (out_abs == NULL || topo_abs == NULL || tmps == NULL || finals == NULL)
        nbc_oom();
    int rc = 0;
    size_t k = 0;
    for (size_t i = 0; i < outs->n && rc == 0; i++, k++) {
        finals[k] = nbc_path_join(out_abs, outs->items[i].rel_path);
        tmps[k] = nbc_write_temp(finals[k], outs->items[i].data, outs->items[i].len);
        if (tmps[k] == NULL) {
            fprintf(stderr, "nebulac: error: cannot write %s: %s\n", finals[k], strerror(errno));
            rc = -1;
        }
    }
    if (rc == 0 && o->depfile != NULL) {
        char *text = depfile_text(out_abs, outs, m, topo_abs);
        finals[k] = strdup(o->depfile);
        tmps[k] = nbc_write_temp(o->depfile, text, strlen(text));
        if (tmps[k++] == NULL) {
            fprintf(stderr, "nebulac: error: cannot write %s: %s\n", o->depfile, strerror(errno));
            rc = -1;
        }
        free(text);
    }
    for (size_t i = 0; i < k; i++) {
        if (tmps[i] != NULL && rc == 0 && nbc_commit(tmps[i], finals[i]) != 0) {
            fprintf(stderr, "nebulac: error: cannot write %s: %s\n", finals[i], strerror(errno));
            rc = -1;
        } else if (tmps[i] != NULL && rc != 0) {
            remove(tmps[i]);
        }
        free(tmps[i]);
        free(finals[i]);
    }
    free(tmps);
    free(finals);
    free(out_abs);
    free(topo_abs);
    return rc;
}

/* Everything after the topology is loaded. Returns the exit status. */
static int run(const options *o, const nbc_topology *topo)
{
    nbc_build b;
    if (resolve_node(o, topo, &b) != 0)
        return 1;
    nbc_model m = {0};
    nbc_parse_opts po = {o->includes,         o->n_includes,     nbc_build_on_eval, &b,
                         o->quotes,           o->n_quotes,       o->macro_flags,    o->n_macro_flags,
                         o->pre_includes,     o->n_pre_includes,
                         {o->cc, o->cc_flags, o->n_cc_flags},    o->trigraphs,
                         o->export_macros,    o->n_export_macros};
    int errors = nbc_parse(&m, &po, o->sources, o->n_sources);
    nbc_model_drop_tokens(&m);
    errors += nbc_validate(&m, &b);
    int status = errors ? 1 : 0;
    if (status == 0 && o->explain) {
        if (o->format != NULL && strcmp(o->format, "svg") == 0)
            status = explain_svg(&m, &b);
        else if (o->format != NULL && strcmp(o->format, "dot") == 0)
            nbc_explain_dot(stdout, &m, &b);
        else
            nbc_explain(stdout, &m, &b);
    }
    char *out_abs = NULL;
    if (status == 0 && o->out != NULL) {
        if (nbc_mkdirs(o->out) != 0 || (out_abs = nbc_abs_path(o->out)) == NULL) {
            fail("cannot create the output directory: %s", strerror(errno));
            nbc_model_free(&m);
            return 1;
        }
        b.out_dir = out_abs;
        char fingerprint[17];
        nbc_fingerprint(topo, fingerprint);
        nbc_outputs outs = {0};
        nbc_emit_node(&m, &b, o->topology, fingerprint, &outs);
        nbc_emit_sources(&m, &b, &outs);
        status = write_outputs(o, &outs, &m) == 0 ? 0 : 1;
        nbc_outputs_free(&outs);
    }
    nbc_model_free(&m);
    free(out_abs);
    return status;
}

static void free_options(options *o)
{
    free(o->includes);
    free(o->sources);
    free(o->quotes);
    free(o->macro_flags);
    free(o->pre_includes);
    free(o->cc_flags);
    free(o->export_macros);
    for (size_t i = 0; i < o->n_owned; i++)
        free(o->owned[i]);
    free(o->owned);
}

int main(int argc, char **argv)
{
    options o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        free_options(&o);
        return rc < 0 ? 0 : 1;
    }
    nbc_topology topo;
    int status = 1;
    if (nbc_topology_load(o.topology, &topo) == 0) {
        status = run(&o, &topo);
        nbc_topology_free(&topo);
    }
    free_options(&o);
    return status;
}
