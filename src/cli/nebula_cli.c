/*
 * nebula_cli.c — the `nebula` command: global options, dispatch, and this
 * process's node (docs/design.md §2: inspect a live cluster, call any API from
 * a shell).
 *
 * The command is a generic node: it dials every configured node, serves
 * nothing, and runs every API remotely. It is a generic build (nebulac
 * --generic), which the runtime runs generic under any name, so no
 * NEBULA_ALLOW_RUNTIME_NODE_MISMATCH is needed; the name only has to keep clear
 * of the nodes that serve APIs, whose identity it would otherwise take.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cluster.h" /* nb__cluster(): the topology this command was built with */

/* See nb__cli_wait_nodes. */
#define NB__CLI_GRACE_MS 250

static struct {
    const nb__cli_hooks *hooks; /* the installed command's, or NULL */
    const char *as;   /* --as NAME, borrowed from argv */
    char name[256];   /* the name the node runs as */
    bool started;
} S;

static const char usage_project[] =
    "usage: nebula [--as NAME] COMMAND [ARG]...\n"
    "\n"
    "A generic node of this cluster: it serves nothing, calls any API remotely,\n"
    "and shows the cluster as it sees it.\n";

static const char usage_any[] =
    "usage: nebula [--topology FILE] [--as NAME] COMMAND [ARG]...\n"
    "\n"
    "A generic node of the cluster FILE describes (--topology, else\n"
    "$NEBULA_TOPOLOGY): it serves nothing, learns the APIs from the nodes\n"
    "themselves, calls any of them remotely, and shows the cluster as it sees it.\n";

static const char usage[] =
    "\n"
    "Commands:\n"
    "  nodes [--wait MS] [--json]         every configured node: tags, connection, runtime\n"
    "  apis [--wait MS] [--offline]       every API: signature, selector, who serves it\n"
    "  call FUNC [ARG]... [OPTION]...     call an API, print its result as JSON\n"
    "  await SELECTOR [--timeout MS]      wait until a node matching SELECTOR is up\n"
    "  routes [--available] [--follow]    the routing map: every API against every node\n"
    "  stats [--follow] [--json]          per node and API: calls, errors, p50/p99 latency\n"
    "  help [COMMAND]                     this text, or a command's (also COMMAND --help)\n"
    "\n"
    "Options:\n"
    "  --as NAME   the node name to run as (default: $NEBULA_NODE, else\n"
    "              nebula_cli_<pid>@127.0.0.1); not the name of a node serving APIs\n"
    "  --version   versions and the cluster this command was built for (or reads)\n"
    "  --topology FILE  (installed command) the cluster's nebula.yaml\n"
    "\n"
    "Environment: NEBULA_COOKIE or NEBULA_COOKIE_FILE (the cluster secret, else\n"
    "~/.nebula.cookie), NEBULA_TLS_CA, NEBULA_TLS_CERT, NEBULA_TLS_KEY (mtls),\n"
    "NEBULA_ADDRESSES (name=host:port,... where nodes are reached), NEBULA_TOPOLOGY\n"
    "(installed command: the topology when --topology is not given), NEBULA_LOG\n"
    "(runtime log level 1-4; the command shows errors only by default).\n"
    "\n"
    "Exit status: 0 success, 2 an error the library reported (its code and message on\n"
    "stderr), 64 a usage error.\n";

const nb__cluster_def *nb__cli_cluster(void)
{
    return nb__cluster();
}

bool nb__cli_installed(void)
{
    return S.hooks != NULL;
}

void nb__cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("nebula: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int nb__cli_library_error(const char *what)
{
    nb_code code = nb_last_code();
    const char *msg = nb_last_message();
    nb__cli_error("%s%s%s%s%s", what ? what : "", what ? ": " : "", nb_code_name(code),
                  msg && *msg ? ": " : "", msg ? msg : "");
    return NB_CLI_EXIT_LIBRARY;
}

const char *nb__cli_option(int argc, char **argv, int *i, const char *name, bool *bad)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0 || (a[n] != '\0' && a[n] != '='))
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (*i + 1 >= argc) {
        nb__cli_error("%s needs a value", name);
        *bad = true;
        return NULL;
    }
    return argv[++*i];
}

int nb__cli_parse_ms(const char *name, const char *text, bool allow_forever, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno == ERANGE || v > INT_MAX ||
        v < (allow_forever ? -1 : 0)) {
        nb__cli_error("%s: \"%s\" is not a count of milliseconds%s", name, text,
                      allow_forever ? " (or -1 for no limit)" : "");
        return -1;
    }
    *out = (int)v;
    return 0;
}

bool nb__cli_unknown_option(const char *word)
{
    return word[0] == '-' && word[1] == '-' &&
           ((word[2] >= 'a' && word[2] <= 'z') || (word[2] >= 'A' && word[2] <= 'Z'));
}

int64_t nb__cli_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t nb__cli_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether configured node i serves at least one API of this build. */
static bool serves_apis(const nb__cluster_def *def, size_t i)
{
    for (size_t m = 0; m < def->n_methods; m++)
        for (size_t k = 0; k < def->methods[m]->n_serving; k++)
            if (def->methods[m]->serving[k] == i)
                return true;
    return false;
}

/* Chooses S.name; returns 0 or NB_CLI_EXIT_USAGE after reporting. */
static int choose_name(const nb__cluster_def *def)
{
    const char *name = S.as ? S.as : getenv("NEBULA_NODE");
    const char *from = S.as ? "--as" : "NEBULA_NODE";
    if (name == NULL || name[0] == '\0') {
        snprintf(S.name, sizeof S.name, "nebula_cli_%ld@127.0.0.1", (long)getpid());
        return 0;
    }
    const char *at = strchr(name, '@');
    if (at == NULL || at == name || at[1] == '\0' || strlen(name) >= sizeof S.name ||
        strcmp(name, "nonode@nohost") == 0) {
        nb__cli_error("%s: \"%s\" is not a usable node name (short@host, not nonode@nohost)", from,
                      name);
        return NB_CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < def->n_nodes; i++) {
        /* The installed command runs once before it knows who serves what
         * (any_cluster.c): no configured node's name is safe for it. */
        if (strcmp(def->nodes[i].name, name) == 0 && S.hooks) {
            nb__cli_error("%s: %s is a node of the topology; this command learns which nodes "
                          "serve APIs only from the running cluster, so it must not take the name "
                          "of any configured node: pass --as NAME with another name (or leave "
                          "NEBULA_NODE unset)", from, name);
            return NB_CLI_EXIT_USAGE;
        }
        if (strcmp(def->nodes[i].name, name) == 0 && serves_apis(def, i)) {
            nb__cli_error("%s: %s is a node of the topology that serves APIs; this command is a "
                          "generic node and must not take its name: pass --as NAME with another "
                          "name (or leave NEBULA_NODE unset)", from, name);
            return NB_CLI_EXIT_USAGE;
        }
    }
    snprintf(S.name, sizeof S.name, "%s", name);
    return 0;
}

int nb__cli_start(void)
{
    const nb__cluster_def *def = nb__cli_cluster();
    int rc = choose_name(def);
    if (rc != 0)
        return rc;
    /* The command's own output is the point: the runtime speaks up only for
     * errors, unless $NEBULA_LOG asks for more. */
    const char *log = getenv("NEBULA_LOG");
    nb_options opts = {.node = S.name, .log_level = log && *log ? 0 : 1};
    /* A command run beside a node must not take that node's metrics port. */
    unsetenv("NEBULA_METRICS_LISTEN");
    if (nb_start(&opts) != 0)
        return nb__cli_library_error("cannot join the cluster");
    S.started = true;
    return 0;
}

void nb__cli_stop(void)
{
    if (S.started)
        nb_stop();
    S.started = false;
}

/* How many of the nodes idx[0..n) (every node when idx is NULL) are connected
 * and, with want_runtime, have sent their runtime snapshot; *settled adds
 * those known not to be there (nb__cluster_node_settled). */
static size_t count_ready(const uint32_t *idx, size_t n, bool want_runtime, size_t *settled)
{
    size_t count, ready = 0;
    *settled = 0;
    nb_node_info *info = nb_nodes_info(&count);
    for (size_t k = 0; k < n; k++) {
        size_t i = idx ? idx[k] : k;
        if (i < count && info[i].connected && (!want_runtime || info[i].runtime != NULL))
            ready++;
        else if (i < count && !info[i].connected && nb__cluster_node_settled(i))
            ++*settled;
    }
    nb_nodes_info_free(info, count);
    *settled += ready;
    return ready;
}

void nb__cli_wait_nodes(const uint32_t *idx, size_t n, int wait_ms, bool want_runtime)
{
    if (idx == NULL)
        n = nb__cli_cluster()->n_nodes;
    int64_t deadline = nb__cli_mono_ms() + wait_ms, last_arrival = -1;
    size_t seen = 0;
    /* Every dial starts at nb_start, so live nodes arrive close together: once
     * one has, a node still missing a grace period after the last arrival is
     * taken to be down rather than waited for until the deadline. A snapshot
     * follows its node's handshake at once. */
    for (;;) {
        int64_t now = nb__cli_mono_ms();
        size_t settled;
        size_t ready = count_ready(idx, n, want_runtime, &settled);
        if (settled == n || now >= deadline)
            return;
        if (ready > seen) {
            seen = ready;
            last_arrival = now;
        }
        if (last_arrival >= 0 && now - last_arrival >= NB__CLI_GRACE_MS)
            return;
        struct timespec ms5 = {0, 5000000};
        nanosleep(&ms5, NULL);
    }
}

/* `nebula --version`: this build and the cluster it was built for. */
static int print_version(const nb__cluster_def *def)
{
    printf("nebula %s (NebulaAPI ABI %d)\n", NB_VERSION, NB__ABI_VERSION);
    if (S.hooks) /* the installed command: the topology read, no API learnt yet */
        printf("cluster: %zu node(s), fingerprint %s; its APIs are learnt from the nodes\n",
               def->n_nodes, def->fingerprint);
    else
        printf("cluster: %zu node(s), %zu API(s), fingerprint %s\n", def->n_nodes,
               def->n_methods, def->fingerprint);
    return 0;
}

/* "help", "help COMMAND", "--help", "-h". */
static int print_help(const char *command)
{
    if (command == NULL) {
        fputs(S.hooks ? usage_any : usage_project, stdout);
        fputs(usage, stdout);
        return 0;
    }
    const char *text = strcmp(command, "call") == 0     ? nb__cli_call_help()
                       : strcmp(command, "routes") == 0 ? nb__cli_routes_help()
                       : strcmp(command, "stats") == 0  ? nb__cli_stats_help()
                                                        : nb__cli_cluster_help(command);
    if (text == NULL) {
        nb__cli_error("no command \"%s\" (see nebula --help)", command);
        return NB_CLI_EXIT_USAGE;
    }
    fputs(text, stdout);
    return 0;
}

/* Runs the command argv[0] (argv borrowed); returns the exit status. */
static int dispatch(int argc, char **argv)
{
    const char *cmd = argv[0];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
        return print_help(argc > 1 ? argv[1] : NULL);
    if (strcmp(cmd, "--version") == 0)
        return print_version(nb__cli_cluster());
    if (strcmp(cmd, "nodes") == 0)
        return nb__cli_cmd_nodes(argc, argv);
    if (strcmp(cmd, "apis") == 0)
        return nb__cli_cmd_apis(argc, argv);
    if (strcmp(cmd, "call") == 0)
        return nb__cli_cmd_call(argc, argv);
    if (strcmp(cmd, "await") == 0)
        return nb__cli_cmd_await(argc, argv);
    if (strcmp(cmd, "routes") == 0)
        return nb__cli_cmd_routes(argc, argv);
    if (strcmp(cmd, "stats") == 0)
        return nb__cli_cmd_stats(argc, argv);
    nb__cli_error("unknown command \"%s\" (see nebula --help)", cmd);
    return NB_CLI_EXIT_USAGE;
}

/* The executable must hold a generic build's cluster, registered before main. */
static int check_build(const nb__cluster_def *def)
{
    if (def == NULL) {
        nb__cli_error("no cluster is registered: link this command with the output of "
                      "nebulac --generic (nebula_add_cli_executable does)");
        return NB_CLI_EXIT_LIBRARY;
    }
    if (def->self >= 0) {
        nb__cli_error("this command was built as node %s; build it with nebulac --generic "
                      "(nebula_add_cli_executable does)", def->self_name);
        return NB_CLI_EXIT_LIBRARY;
    }
    return 0;
}

/* Whether the command args[0..n) lists or calls APIs, so that the installed
 * command must learn them first (not for its --help, but for `call FUNC
 * --help`, which shows FUNC's signature). */
static bool needs_apis(int n, char **args)
{
    const char *cmd = args[0];
    if (strcmp(cmd, "apis") != 0 && strcmp(cmd, "call") != 0 && strcmp(cmd, "routes") != 0)
        return false;
    for (int i = 1; i < n; i++) {
        if (strcmp(args[i], "--") == 0)
            break;
        if (strcmp(args[i], "--help") == 0 || strcmp(args[i], "-h") == 0)
            return strcmp(cmd, "call") == 0 && i > 1;
    }
    return true;
}

int nb_cli_main(int argc, char **argv)
{
    return nb__cli_run(argc, argv, NULL);
}

int nb__cli_run(int argc, char **argv, const nb__cli_hooks *hooks)
{
    S.hooks = hooks;
    /* --as (and --topology for the installed command) are global: taken out
     * wherever they stand before "--". */
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (args == NULL)
        return NB_CLI_EXIT_LIBRARY;
    int n = 0, rc = 0;
    bool bad = false;
    const char *topology = NULL;
    for (int i = 1; i < argc && !bad; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                args[n++] = argv[i++];
            break;
        }
        const char *v = nb__cli_option(argc, argv, &i, "--as", &bad);
        if (v != NULL)
            S.as = v;
        else if (!bad && hooks && (v = nb__cli_option(argc, argv, &i, "--topology", &bad)))
            topology = v;
        else if (!bad)
            args[n++] = argv[i];
    }
    bool help = n > 0 && (strcmp(args[0], "--help") == 0 || strcmp(args[0], "-h") == 0 ||
                          strcmp(args[0], "help") == 0);
    if (bad) {
        rc = NB_CLI_EXIT_USAGE;
    } else if (n == 0) {
        fputs(hooks ? usage_any : usage_project, stderr);
        fputs(usage, stderr);
        rc = NB_CLI_EXIT_USAGE;
    } else if (help) {
        rc = dispatch(n, args); /* needs no cluster */
    } else {
        if (hooks)
            rc = hooks->load(topology);
        if (rc == 0)
            rc = check_build(nb__cli_cluster());
        if (rc == 0 && hooks && strcmp(args[0], "apis") == 0)
            for (int i = 1; i < n && rc == 0; i++)
                if (strcmp(args[i], "--offline") == 0) {
                    nb__cli_error("apis --offline: this command learns the APIs from the "
                                  "running cluster; only a command built for the project "
                                  "lists them offline (docs/cli.md)");
                    rc = NB_CLI_EXIT_USAGE;
                }
        if (rc == 0 && hooks && needs_apis(n, args))
            rc = hooks->learn();
        if (rc == 0)
            rc = dispatch(n, args);
    }
    nb__cli_stop();
    free(args);
    return rc;
}
