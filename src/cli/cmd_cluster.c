/*
 * cmd_cluster.c — the commands that look at the cluster: `nodes` (every
 * configured node and its runtime), `apis` (every API and who serves it) and
 * `await` (block until a selector has a live node).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cluster.h"
#include "table.h"
#include "value_io.h"

#define DEFAULT_WAIT_MS 1500

static const char nodes_help[] =
    "usage: nebula nodes [--wait MS] [--json]\n"
    "\n"
    "Every node of the topology: its tags, whether this command reached it, when it\n"
    "was last heard from, and the runtime it reports (memory, threads, cpus, uptime,\n"
    "load, libnebula version).\n"
    "\n"
    "  --wait MS   wait up to MS ms for connections and snapshots (default 1500;\n"
    "              less once some nodes are up and the rest stay away 250 ms)\n"
    "  --json      one JSON array of objects instead of a table\n";

static const char apis_help[] =
    "usage: nebula apis [--wait MS] [--offline]\n"
    "\n"
    "Every API this command knows: its signature, its selector, and the nodes that\n"
    "serve it, each marked connected or down.\n"
    "\n"
    "  --wait MS   wait up to MS ms for connections (default 1500; less once some\n"
    "              nodes are up and the rest stay away 250 ms)\n"
    "  --offline   do not join the cluster: signatures and selectors only\n";

static const char await_help[] =
    "usage: nebula await SELECTOR [--timeout MS]\n"
    "\n"
    "Waits until a node matching SELECTOR (\"&db\", \"@worker\", '@:\"db@host\"') is\n"
    "connected and serving. Exit status 0 then, 2 at the timeout.\n"
    "\n"
    "  --timeout MS   give up after MS ms (default 10000; -1 waits for ever)\n";

const char *nb__cli_cluster_help(const char *name)
{
    if (strcmp(name, "nodes") == 0)
        return nodes_help;
    if (strcmp(name, "apis") == 0)
        return apis_help;
    if (strcmp(name, "await") == 0)
        return await_help;
    return NULL;
}

/* Options shared by the three commands; each says which it accepts. */
typedef struct cluster_opts {
    int wait_ms;
    int timeout_ms;
    bool json, offline;
    const char *selector;
} cluster_opts;

/* Returns -1 to go on, or the exit status (after --help or a usage error). */
static int parse_opts(int argc, char **argv, const char *help, cluster_opts *o)
{
    bool bad = false, is_await = help == await_help;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(help, stdout);
            return 0;
        } else if (!is_await && (v = nb__cli_option(argc, argv, &i, "--wait", &bad)) != NULL) {
            bad = nb__cli_parse_ms("--wait", v, false, &o->wait_ms) != 0;
        } else if (is_await && (v = nb__cli_option(argc, argv, &i, "--timeout", &bad)) != NULL) {
            bad = nb__cli_parse_ms("--timeout", v, true, &o->timeout_ms) != 0;
        } else if (help == nodes_help && strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (help == apis_help && strcmp(a, "--offline") == 0) {
            o->offline = true;
        } else if (bad) {
            break;
        } else if (is_await && o->selector == NULL && !nb__cli_unknown_option(a)) {
            o->selector = a;
        } else {
            nb__cli_error("%s: unexpected \"%s\" (see nebula %s --help)", argv[0], a, argv[0]);
            bad = true;
        }
    }
    if (!bad && is_await && o->selector == NULL) {
        nb__cli_error("await: a SELECTOR is required (see nebula await --help)");
        bad = true;
    }
    return bad ? NB_CLI_EXIT_USAGE : -1;
}

/* "3s", "5m12s", "2h03m", "4d07h". */
static void format_duration(char *buf, size_t size, int64_t s)
{
    if (s < 60)
        snprintf(buf, size, "%" PRId64 "s", s);
    else if (s < 3600)
        snprintf(buf, size, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, size, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, size, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
}

/* "never", "0.3s ago", "5m12s ago" into buf. */
static void format_last_seen(char *buf, size_t size, int64_t at_ms, int64_t now_ms)
{
    if (at_ms == 0) {
        snprintf(buf, size, "never");
        return;
    }
    int64_t age = now_ms > at_ms ? now_ms - at_ms : 0;
    if (age < 60000) {
        snprintf(buf, size, "%.1fs ago", (double)age / 1000.0);
    } else {
        char d[32];
        format_duration(d, sizeof d, age / 1000);
        snprintf(buf, size, "%s ago", d);
    }
}

/* Tags joined by commas into buf ("-" for none). */
static const char *join_tags(const nb_node_info *n, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t t = 0; t < n->n_tags && len < size; t++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", t ? "," : "", n->tags[t]);
    return n->n_tags ? buf : "-";
}

/* The table of `nebula nodes`; info is borrowed. */
static void nodes_table(const nb_node_info *info, size_t count)
{
    nb__cli_table t;
    nb__cli_table_init(&t, 10);
    static const char *const head[] = {"NODE", "TAGS", "CONNECTED", "LAST SEEN", "MEMORY",
                                       "THREADS", "CPUS", "UPTIME", "LOAD", "VERSION"};
    for (size_t c = 0; c < 10; c++)
        nb__cli_table_add(&t, "%s", head[c]);
    int64_t now = nb__cli_unix_ms();
    for (size_t i = 0; i < count; i++) {
        const nb_node_info *n = &info[i];
        const nb_runtime_info *r = n->runtime;
        char tags[512], seen[64], up[32];
        format_last_seen(seen, sizeof seen, n->last_seen_at_ms, now);
        nb__cli_table_add(&t, "%s", n->long_name);
        nb__cli_table_add(&t, "%s", join_tags(n, tags, sizeof tags));
        nb__cli_table_add(&t, "%s", n->connected ? "yes" : "no");
        nb__cli_table_add(&t, "%s", seen);
        if (r == NULL) {
            for (int c = 0; c < 6; c++)
                nb__cli_table_add(&t, "-");
            continue;
        }
        format_duration(up, sizeof up, r->uptime_seconds);
        nb__cli_table_add(&t, "%" PRId64 " MB (%.1f%%)", r->memory_used_mb, r->memory_percent);
        nb__cli_table_add(&t, "%d", r->threads);
        nb__cli_table_add(&t, "%d", r->cpus);
        nb__cli_table_add(&t, "%s", up);
        nb__cli_table_add(&t, "%.2f", r->load1);
        nb__cli_table_add(&t, "%s", r->version ? r->version : "-");
    }
    nb__cli_table_print(&t, stdout);
    nb__cli_table_free(&t);
}

/* `nebula nodes --json`; info is borrowed. Names and tags are identifiers
 * (the topology loader checks them), so only the version needs escaping. */
static void nodes_json(const nb_node_info *info, size_t count)
{
    fputc('[', stdout);
    for (size_t i = 0; i < count; i++) {
        const nb_node_info *n = &info[i];
        printf("%s{\"name\": \"%s\", \"tags\": [", i ? ", " : "", n->long_name);
        for (size_t t = 0; t < n->n_tags; t++)
            printf("%s\"%s\"", t ? ", " : "", n->tags[t]);
        printf("], \"connected\": %s, \"last_seen_at_ms\": %" PRId64 ", \"runtime\": ",
               n->connected ? "true" : "false", n->last_seen_at_ms);
        const nb_runtime_info *r = n->runtime;
        if (r == NULL) {
            fputs("null}", stdout);
            continue;
        }
        /* The version is a peer's text: printed as a JSON string, escaped. */
        static const nb__tref str = {NB__K_STR, sizeof(char *), 0, NULL, NULL};
        printf("{\"memory_used_mb\": %" PRId64 ", \"memory_total_mb\": %" PRId64
               ", \"memory_percent\": %.2f, \"threads\": %d, \"cpus\": %d, \"version\": ",
               r->memory_used_mb, r->memory_total_mb, r->memory_percent, r->threads, r->cpus);
        nb__cli_print_value(stdout, &str, &r->version, 0);
        printf(", \"uptime_seconds\": %" PRId64 ", \"load1\": %.2f}}", r->uptime_seconds,
               r->load1);
    }
    fputs("]\n", stdout);
}

int nb__cli_cmd_nodes(int argc, char **argv)
{
    cluster_opts o = {.wait_ms = DEFAULT_WAIT_MS};
    int rc = parse_opts(argc, argv, nodes_help, &o);
    if (rc >= 0 || (rc = nb__cli_start()) != 0)
        return rc;
    nb__cli_wait_nodes(NULL, 0, o.wait_ms, true);
    size_t count;
    nb_node_info *info = nb_nodes_info(&count);
    if (o.json)
        nodes_json(info, count);
    else
        nodes_table(info, count);
    nb_nodes_info_free(info, count);
    return 0;
}

/* How node i serves m, as " (connected)", " (down)", ...; "" offline. */
static const char *serving_state(const nb__method *m, uint32_t i, const nb_node_info *info,
                                 size_t count)
{
    if (info == NULL)
        return "";
    if (i >= count || !info[i].connected)
        return " (down)";
    switch (nb__cluster_signature_state(m, i)) {
    case NB__SIG_OTHER:
        return " (connected, another signature)"; /* another build: docs/upgrades.md */
    case NB__SIG_NONE:
        return " (connected, does not serve it)";
    default:
        return " (connected)";
    }
}

/* "db@h (connected), db2@h (down)" for the nodes serving m; info may be NULL
 * (offline): names only. */
static void served_by(char *buf, size_t size, const nb__method *m, const nb_node_info *info,
                      size_t count)
{
    const nb__cluster_def *def = nb__cli_cluster();
    size_t len = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < m->n_serving && len < size; k++) {
        uint32_t i = m->serving[k];
        const char *state = serving_state(m, i, info, count);
        len += (size_t)snprintf(buf + len, size - len, "%s%s%s", k ? ", " : "",
                                def->nodes[i].name, state);
    }
    if (m->n_serving == 0)
        snprintf(buf, size, "-");
}

int nb__cli_cmd_apis(int argc, char **argv)
{
    cluster_opts o = {.wait_ms = DEFAULT_WAIT_MS};
    int rc = parse_opts(argc, argv, apis_help, &o);
    if (rc >= 0 || (!o.offline && (rc = nb__cli_start()) != 0))
        return rc;
    size_t count = 0;
    nb_node_info *info = NULL;
    if (!o.offline) {
        nb__cli_wait_nodes(NULL, 0, o.wait_ms, false);
        info = nb_nodes_info(&count);
    }
    const nb__cluster_def *def = nb__cli_cluster();
    nb__cli_table t;
    nb__cli_table_init(&t, 4);
    nb__cli_table_add(&t, "API");
    nb__cli_table_add(&t, "SIGNATURE");
    nb__cli_table_add(&t, "SELECTOR");
    nb__cli_table_add(&t, "SERVED BY");
    for (size_t k = 0; k < def->n_methods; k++) {
        const nb__method *m = def->methods[k];
        char who[1024];
        served_by(who, sizeof who, m, info, count);
        nb__cli_table_add(&t, "%s", m->name);
        nb__cli_table_add(&t, "%s", m->signature);
        nb__cli_table_add(&t, "%s", m->selector[0] ? m->selector : "(every node)");
        nb__cli_table_add(&t, "%s", who);
    }
    nb__cli_table_print(&t, stdout);
    nb__cli_table_free(&t);
    nb_nodes_info_free(info, count);
    return 0;
}

int nb__cli_cmd_await(int argc, char **argv)
{
    cluster_opts o = {.timeout_ms = 10000};
    int rc = parse_opts(argc, argv, await_help, &o);
    if (rc >= 0 || (rc = nb__cli_start()) != 0)
        return rc;
    if (nb_await(o.selector, o.timeout_ms) != 0)
        return nb__cli_library_error(NULL);
    return 0;
}
