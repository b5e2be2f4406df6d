/*
 * cmd_call.c — `nebula call FUNC ARG...`: reads each argument by its parameter's
 * type, runs the call through nb__invoke as generated code would (unicast,
 * multicast or broadcast), and prints the value(s) as JSON.
 *
 * Usage errors are found before the node starts, so a typo costs no connection.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "value_io.h"

#define DEFAULT_WAIT_MS 1500
#define DEFAULT_MAX_BYTES 4096

static const char call_help[] =
    "usage: nebula call FUNC [ARG]... [--on SELECTOR | --nodes SELECTOR | --all]\n"
    "                   [--strategy all|first|quorum] [--at-least N]\n"
    "                   [--quorum-set configured|available] [--timeout MS] [--wait MS]\n"
    "                   [--max-bytes N] [--] [ARG]...\n"
    "\n"
    "Calls the API FUNC with one ARG per parameter and prints what it returned as\n"
    "JSON on one line (nothing for a void API). `nebula call FUNC --help` describes\n"
    "FUNC's parameters; `nebula apis` lists every API.\n"
    "\n"
    "Routing (default: the serving node that registered first, as for any caller):\n"
    "  --on SELECTOR      unicast to the first serving node matching SELECTOR\n"
    "  --nodes SELECTOR   multicast to every serving node matching SELECTOR\n"
    "  --all              broadcast to every connected serving node\n"
    "  --strategy S       multicast: all (default: every reply), first or quorum\n"
    "  --at-least N       quorum: N successes instead of a strict majority\n"
    "  --quorum-set SET   quorum: of the configured (default) or available nodes\n"
    "A multicast or broadcast prints one line per node: NODE CODE [VALUE].\n"
    "\n"
    "  --timeout MS       the call's timeout (default: its module's, else the topology's)\n"
    "  --wait MS          first let FUNC's serving nodes connect: up to MS ms (default\n"
    "                     1500), less once some are up and the rest stay away 250 ms\n"
    "  --max-bytes N      print nb_bytes longer than N as \"<LEN bytes>\" (default 4096;\n"
    "                     0: no limit)\n"
    "  --                 every word after it is an argument, even one starting with --\n"
    "\n"
    "Arguments, by parameter type:\n"
    "  integers   42, -7, 0x2a (checked against the C type's range)\n"
    "  floats     2.5, 1e-3, NaN, Infinity, -Infinity\n"
    "  bool       true, false\n"
    "  strings    the word itself; null for NULL; a word starting with a double quote\n"
    "             is a JSON string ('\"null\"' is the text null)\n"
    "  nb_bytes   hex:48656c6c6f, text:Hello, @FILE (@- reads standard input)\n"
    "  structs    JSON, '{\"id\": 1, \"name\": \"x\"}' (missing fields are zero) or\n"
    "             '[1, \"x\"]' (every field in order); null for a NULL struct pointer\n"
    "Results print the same way: bytes as \"hex:...\", structs as objects.\n"
    "\n"
    "Exit status: 0 when the call's outcome is NB_OK, 2 for any other outcome (its\n"
    "code and message on stderr), 64 for a usage error.\n";

const char *nb__cli_call_help(void)
{
    return call_help;
}

typedef struct call_opts {
    const char *func;
    char **args;          /* the ARG words, pointing into argv */
    size_t n_args;
    bool help;
    nb_call call;         /* routing options, as f__with would take them */
    bool routed;          /* some option set: pass &call to nb__invoke */
    int wait_ms;
    size_t max_bytes;
} call_opts;

/* "all", "first" or "quorum" into *s; -1 for anything else. */
static int parse_strategy(const char *v, nb_strategy *s)
{
    if (strcmp(v, "all") == 0)
        *s = NB_ALL;
    else if (strcmp(v, "first") == 0)
        *s = NB_FIRST;
    else if (strcmp(v, "quorum") == 0)
        *s = NB_QUORUM;
    else
        return -1;
    return 0;
}

/* A count from 0 to max given to option `name`; -1 after reporting. */
static int parse_count(const char *name, const char *v, long max, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(v, &end, 10);
    if (!isdigit((unsigned char)v[0]) || *end != '\0' || errno == ERANGE || *out > max) {
        nb__cli_error("call: %s: \"%s\" is not a count", name, v);
        return -1;
    }
    return 0;
}

/* One routing option at argv[*i]; returns 1 when taken, 0 when not one, -1 bad. */
static int routing_option(int argc, char **argv, int *i, call_opts *o)
{
    bool bad = false;
    nb_call *c = &o->call;
    const char *v;
    long n;
    if ((v = nb__cli_option(argc, argv, i, "--on", &bad)) != NULL)
        c->node = v;
    else if ((v = nb__cli_option(argc, argv, i, "--nodes", &bad)) != NULL)
        c->nodes = v;
    else if (!bad && strcmp(argv[*i], "--all") == 0)
        c->all = true;
    else if ((v = nb__cli_option(argc, argv, i, "--strategy", &bad)) != NULL) {
        if (parse_strategy(v, &c->strategy) < 0) {
            nb__cli_error("call: --strategy: \"%s\" is none of all, first, quorum", v);
            return -1;
        }
    } else if ((v = nb__cli_option(argc, argv, i, "--at-least", &bad)) != NULL) {
        if (parse_count("--at-least", v, 1 << 20, &n) < 0)
            return -1;
        c->at_least = (int)n;
    } else if ((v = nb__cli_option(argc, argv, i, "--quorum-set", &bad)) != NULL) {
        if (strcmp(v, "configured") != 0 && strcmp(v, "available") != 0) {
            nb__cli_error("call: --quorum-set: \"%s\" is neither configured nor available", v);
            return -1;
        }
        c->quorum = v[0] == 'a' ? NB_QUORUM_AVAILABLE : NB_QUORUM_CONFIGURED;
    } else if ((v = nb__cli_option(argc, argv, i, "--timeout", &bad)) != NULL) {
        if (nb__cli_parse_ms("--timeout", v, false, &c->timeout_ms) != 0)
            return -1;
    } else {
        return bad ? -1 : 0;
    }
    o->routed = true;
    return 1;
}

/* Any other option at argv[*i]; same returns as routing_option. */
static int other_option(int argc, char **argv, int *i, call_opts *o)
{
    bool bad = false;
    const char *v;
    long n;
    if (strcmp(argv[*i], "--help") == 0 || strcmp(argv[*i], "-h") == 0) {
        o->help = true;
    } else if ((v = nb__cli_option(argc, argv, i, "--wait", &bad)) != NULL) {
        if (nb__cli_parse_ms("--wait", v, false, &o->wait_ms) != 0)
            return -1;
    } else if ((v = nb__cli_option(argc, argv, i, "--max-bytes", &bad)) != NULL) {
        if (parse_count("--max-bytes", v, 1L << 30, &n) < 0)
            return -1;
        o->max_bytes = (size_t)n;
    } else {
        return bad ? -1 : 0;
    }
    return 1;
}

/* The routing options must make sense together. Returns 0 or -1 after reporting. */
static int check_routing(const call_opts *o)
{
    const nb_call *c = &o->call;
    if ((c->node != NULL) + (c->nodes != NULL) + c->all > 1) {
        nb__cli_error("call: --on, --nodes and --all exclude each other");
        return -1;
    }
    bool multi = c->nodes != NULL || c->all;
    if (!multi && (c->strategy != NB_ALL || c->at_least || c->quorum != NB_QUORUM_CONFIGURED)) {
        nb__cli_error("call: --strategy, --at-least and --quorum-set need --nodes or --all");
        return -1;
    }
    if ((c->at_least || c->quorum != NB_QUORUM_CONFIGURED) && c->strategy != NB_QUORUM) {
        nb__cli_error("call: --at-least and --quorum-set need --strategy quorum");
        return -1;
    }
    return 0;
}

/* Returns 0, or NB_CLI_EXIT_USAGE after reporting. */
static int parse_call(int argc, char **argv, call_opts *o)
{
    o->args = calloc((size_t)argc, sizeof *o->args);
    if (o->args == NULL)
        return NB_CLI_EXIT_LIBRARY;
    bool words_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = 0;
        if (!words_only && strcmp(a, "--") == 0) {
            words_only = true;
            continue;
        }
        if (!words_only && ((r = routing_option(argc, argv, &i, o)) != 0 ||
                            (r = other_option(argc, argv, &i, o)) != 0)) {
            if (r < 0)
                return NB_CLI_EXIT_USAGE;
            continue;
        }
        if (!words_only && nb__cli_unknown_option(a)) {
            nb__cli_error("call: unknown option %s (an argument starting with -- goes after "
                          "a lone --)", a);
            return NB_CLI_EXIT_USAGE;
        }
        if (o->func == NULL)
            o->func = a;
        else
            o->args[o->n_args++] = argv[i];
    }
    if (o->help)
        return 0;
    if (o->func == NULL) {
        nb__cli_error("call: which API? usage: nebula call FUNC [ARG]... (nebula apis lists them)");
        return NB_CLI_EXIT_USAGE;
    }
    return check_routing(o) == 0 ? 0 : NB_CLI_EXIT_USAGE;
}

/* The API called `name`, owned by the registered cluster (static storage), or
 * NULL. The installed command may know two APIs of one name, one per signature
 * (nodes of two builds, any_cluster.c): the first that takes n_args arguments
 * is chosen, else the first of that name (whose check then says what it takes). */
static const nb__method *find_method(const char *name, size_t n_args)
{
    const nb__cluster_def *def = nb__cli_cluster();
    const nb__method *first = NULL;
    for (size_t k = 0; k < def->n_methods; k++) {
        const nb__method *m = def->methods[k];
        if (strcmp(m->name, name) != 0)
            continue;
        if (m->args->n_fields == n_args)
            return m;
        if (first == NULL)
            first = m;
    }
    return first;
}

/* `nebula call FUNC --help`: the signature and how to write each argument. */
static void method_help(const nb__method *m)
{
    const nb__cluster_def *def = nb__cli_cluster();
    const nb__type *at = m->args;
    printf("%s\n\nusage: nebula call %s", m->signature, m->name);
    for (size_t k = 0; k < at->n_fields; k++) {
        printf(" ");
        for (const char *p = at->fields[k].name; *p; p++)
            putchar(toupper((unsigned char)*p));
    }
    printf(" [OPTION]...\n\n");
    for (size_t k = 0; k < at->n_fields; k++) {
        char tn[96], hint[512];
        const nb__field *f = &at->fields[k];
        printf("  %-12s %-14s %s\n", f->name, nb__cli_type_name(&f->t, tn, sizeof tn),
               nb__cli_type_hint(&f->t, hint, sizeof hint));
    }
    printf("%sselector: %s; served by:", at->n_fields ? "\n" : "",
           m->selector[0] ? m->selector : "(every node)");
    for (size_t k = 0; k < m->n_serving; k++)
        printf(" %s", def->nodes[m->serving[k]].name);
    printf("\n(nebula call --help shows the routing options)\n");
}

/* Fills the argument struct from the words; returns 0 or NB_CLI_EXIT_USAGE. */
static int read_arguments(const nb__method *m, char **words, size_t n, void *args)
{
    const nb__type *at = m->args;
    if (n != at->n_fields) {
        nb__cli_error("%s takes %zu argument(s), %zu given: %s (see nebula call %s --help)",
                      m->name, at->n_fields, n, m->signature, m->name);
        return NB_CLI_EXIT_USAGE;
    }
    for (size_t k = 0; k < at->n_fields; k++) {
        const nb__field *f = &at->fields[k];
        char err[512], tn[96];
        if (nb__cli_value_from_word(&f->t, words[k], (char *)args + f->offset, err, sizeof err) < 0) {
            nb__cli_type_name(&f->t, tn, sizeof tn);
            nb__cli_error("%s: argument %zu (%s%s%s): %s", m->name, k + 1, tn,
                          tn[strlen(tn) - 1] == '*' ? "" : " ", f->name, err);
            return NB_CLI_EXIT_USAGE;
        }
    }
    return 0;
}

/* Frees the heap argument struct args and everything its fields own. NULL-safe. */
static void clear_arguments(const nb__method *m, void *args)
{
    for (size_t k = 0; args != NULL && k < m->args->n_fields; k++)
        nb__value_clear(&m->args->fields[k].t, (char *)args + m->args->fields[k].offset);
    free(args);
}

/* Prints a multicast's lines; returns the exit status. */
static int print_results(const nb__method *m, const nb_results *res, size_t max_bytes)
{
    for (size_t k = 0; k < res->count; k++) {
        const nb_result *r = &res->items[k];
        printf("%s %s", r->node, nb_code_name(r->code));
        if (r->code == NB_OK && r->value != NULL && m->ret.kind != NB__K_VOID) {
            putchar(' ');
            nb__cli_print_value(stdout, &m->ret, r->value, max_bytes);
        }
        putchar('\n');
    }
    fflush(stdout);
    return res->code == NB_OK ? 0 : nb__cli_library_error(NULL);
}

/* Joins the cluster, makes the call, prints; returns the exit status. */
static int run_call(const nb__method *m, call_opts *o, void *args)
{
    int rc = nb__cli_start();
    if (rc != 0)
        return rc;
    nb__cli_wait_nodes(m->serving, m->n_serving, o->wait_ms, false);
    nb_results res = {0};
    bool multi = o->call.nodes != NULL || o->call.all;
    if (multi)
        o->call.results = &res;
    void *ret = m->ret.kind == NB__K_VOID ? NULL : calloc(1, m->ret.size);
    if (m->ret.kind != NB__K_VOID && ret == NULL)
        return NB_CLI_EXIT_LIBRARY;
    nb__invoke(m, o->routed ? &o->call : NULL, args, ret);
    if (multi) {
        rc = print_results(m, &res, o->max_bytes);
    } else if (nb_last_code() != NB_OK) {
        rc = nb__cli_library_error(NULL);
    } else if (ret != NULL) {
        nb__cli_print_value(stdout, &m->ret, ret, o->max_bytes);
        putchar('\n');
        fflush(stdout);
    }
    if (ret != NULL)
        nb__value_clear(&m->ret, ret);
    free(ret);
    nb_results_free(&res);
    return rc;
}

int nb__cli_cmd_call(int argc, char **argv)
{
    call_opts o = {.wait_ms = DEFAULT_WAIT_MS, .max_bytes = DEFAULT_MAX_BYTES};
    int rc = parse_call(argc, argv, &o);
    const nb__method *m = rc == 0 && o.func ? find_method(o.func, o.n_args) : NULL;
    if (rc == 0 && o.help) {
        if (m != NULL)
            method_help(m);
        else
            fputs(call_help, stdout);
    } else if (rc == 0 && m == NULL) {
        nb__cli_error("no API named \"%s\" %s (nebula apis lists them)", o.func,
                      nb__cli_installed() ? "among those the nodes described" : "in this build");
        rc = NB_CLI_EXIT_USAGE;
    } else if (rc == 0) {
        void *args = calloc(1, m->args->size ? m->args->size : 1);
        rc = args == NULL ? NB_CLI_EXIT_LIBRARY : read_arguments(m, o.args, o.n_args, args);
        if (rc == 0)
            rc = run_call(m, &o, args);
        clear_arguments(m, args);
    }
    free(o.args);
    return rc;
}
