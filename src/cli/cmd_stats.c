/*
 * cmd_stats.c — `nebula stats`: per node and per API, the calls made and the
 * requests served, with errors and p50/p99 latency, asked of every node over
 * this command's own authenticated connections (a STATS frame, tool.h), so it
 * works whether or not a node serves /metrics (docs/metrics.md).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "table.h"
#include "tool.h"

#define DEFAULT_WAIT_MS 1500
#define DEFAULT_INTERVAL_MS 2000
#define FETCH_TIMEOUT_MS 3000

static const char stats_help[] =
    "usage: nebula stats [--wait MS] [--follow] [--interval MS] [--count N] [--json]\n"
    "\n"
    "For every node of the topology and every API it has counted: the calls it made\n"
    "to other nodes (CALLS, ERRORS, and p50/p99 latency as it saw them) and the\n"
    "requests it served (SERVED, ERRORS, p50/p99 of the bodies), counted since the\n"
    "node started. Latencies are read from the nodes' histograms (docs/metrics.md),\n"
    "so they are estimates within one bucket. Nodes are asked over this command's\n"
    "own connections; their metrics_listen need not be set.\n"
    "\n"
    "  --wait MS       wait up to MS ms for connections (default 1500)\n"
    "  --follow        print again every interval, with the figures of that\n"
    "                  interval only (until interrupted, or --count)\n"
    "  --interval MS   the interval of --follow (default 2000)\n"
    "  --count N       stop after N tables (default 1; unlimited with --follow)\n"
    "  --json          one JSON array per table instead of a table\n";

const char *nb__cli_stats_help(void)
{
    return stats_help;
}

typedef struct stats_opts {
    int wait_ms, interval_ms;
    long count;
    bool follow, json;
} stats_opts;

/* Returns -1 to go on, or the exit status (after --help or a usage error). */
static int parse_opts(int argc, char **argv, stats_opts *o)
{
    bool bad = false;
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(stats_help, stdout);
            return 0;
        } else if ((v = nb__cli_option(argc, argv, &i, "--wait", &bad)) != NULL) {
            bad = nb__cli_parse_ms("--wait", v, false, &o->wait_ms) != 0;
        } else if ((v = nb__cli_option(argc, argv, &i, "--interval", &bad)) != NULL) {
            bad = nb__cli_parse_ms("--interval", v, false, &o->interval_ms) != 0;
            if (!bad && o->interval_ms == 0) {
                nb__cli_error("stats: --interval must be at least 1 ms");
                bad = true;
            }
        } else if ((v = nb__cli_option(argc, argv, &i, "--count", &bad)) != NULL) {
            char *end;
            o->count = strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || o->count < 1 || o->count > 1000000000L) {
                nb__cli_error("stats: --count wants a number of tables >= 1, not \"%s\"", v);
                bad = true;
            }
        } else if (bad) {
            break;
        } else if (strcmp(a, "--follow") == 0) {
            o->follow = true;
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else {
            nb__cli_error("stats: unexpected \"%s\" (see nebula stats --help)", a);
            bad = true;
        }
    }
    return bad ? NB_CLI_EXIT_USAGE : -1;
}

/* One node's answer (or why there is none). */
typedef struct node_row {
    bool ok;
    nb__node_stats st;
    char why[256];
} node_row;

/* The q-quantile (0..1) of a histogram in seconds, interpolated within its
 * bucket; -1 when empty. *beyond is set when it falls in the +Inf bucket (the
 * value is then the last bound). */
static double quantile(const uint64_t *hist, const double *bounds, double q, bool *beyond)
{
    uint64_t n = 0, cum = 0;
    *beyond = false;
    for (size_t k = 0; k < NB__STATS_BUCKETS; k++)
        n += hist[k];
    if (n == 0)
        return -1;
    double target = q * (double)n;
    for (size_t k = 0; k < NB__STATS_BUCKETS; k++) {
        if (hist[k] == 0 || (double)(cum + hist[k]) < target) {
            cum += hist[k];
            continue;
        }
        if (k == NB__STATS_BUCKETS - 1) {
            *beyond = true;
            return bounds[NB__STATS_BUCKETS - 2];
        }
        double lo = k ? bounds[k - 1] : 0, hi = bounds[k];
        return lo + (hi - lo) * (target - (double)cum) / (double)hist[k];
    }
    *beyond = true;
    return bounds[NB__STATS_BUCKETS - 2];
}

/* "-", "87us", "1.4ms", "2.31s", ">30s". */
static void format_latency(char *buf, size_t size, const uint64_t *hist, const double *bounds,
                           double q)
{
    bool beyond;
    double s = quantile(hist, bounds, q, &beyond);
    if (s < 0)
        snprintf(buf, size, "-");
    else if (beyond)
        snprintf(buf, size, ">%gs", s);
    else if (s < 1e-3)
        snprintf(buf, size, "%.0fus", s * 1e6);
    else if (s < 1)
        snprintf(buf, size, "%.1fms", s * 1e3);
    else
        snprintf(buf, size, "%.2fs", s);
}

/* An API name as a node reported it: a peer's text, so anything but a plain
 * identifier character is shown as '?'. */
static void safe_name(char *buf, size_t size, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++) {
        char c = s[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_';
        buf[i] = plain ? c : '?';
    }
    buf[i] = '\0';
}

/* cur minus prev (the same API of the previous table of --follow), in place. */
static void subtract(nb__api_stats *cur, const nb__node_stats *prev)
{
    for (size_t i = 0; prev && i < prev->n_apis; i++) {
        const nb__api_stats *p = &prev->apis[i];
        if (strcmp(p->api, cur->api) != 0)
            continue;
        if (p->calls > cur->calls || p->served > cur->served)
            return; /* the node restarted: its counts began again */
        cur->calls -= p->calls;
        cur->call_errors -= p->call_errors;
        cur->served -= p->served;
        cur->served_errors -= p->served_errors;
        cur->call_sum_ns -= p->call_sum_ns;
        cur->serve_sum_ns -= p->serve_sum_ns;
        for (size_t k = 0; k < NB__STATS_BUCKETS; k++) {
            cur->call_hist[k] -= p->call_hist[k] <= cur->call_hist[k] ? p->call_hist[k] : 0;
            cur->serve_hist[k] -= p->serve_hist[k] <= cur->serve_hist[k] ? p->serve_hist[k] : 0;
        }
        return;
    }
}

static void print_table(const node_row *rows, const node_row *prev)
{
    const nb__cluster_def *def = nb__cli_cluster();
    nb__cli_table t;
    nb__cli_table_init(&t, 10);
    static const char *const head[] = {"NODE",   "API",    "CALLS", "ERRORS", "P50",
                                       "P99",    "SERVED", "ERRORS", "P50",   "P99"};
    for (size_t c = 0; c < 10; c++)
        nb__cli_table_add(&t, "%s", head[c]);
    for (size_t i = 0; i < def->n_nodes; i++) {
        const node_row *r = &rows[i];
        if (!r->ok) {
            nb__cli_table_add(&t, "%s", def->nodes[i].name);
            nb__cli_table_add(&t, "(%s)", r->why);
            for (int c = 0; c < 8; c++)
                nb__cli_table_add(&t, "-");
            continue;
        }
        if (r->st.n_apis == 0) {
            nb__cli_table_add(&t, "%s", def->nodes[i].name);
            nb__cli_table_add(&t, "(nothing counted yet)");
            for (int c = 0; c < 8; c++)
                nb__cli_table_add(&t, "-");
        }
        for (size_t a = 0; a < r->st.n_apis; a++) {
            nb__api_stats s = r->st.apis[a];
            subtract(&s, prev && prev[i].ok ? &prev[i].st : NULL);
            char name[128], l[4][32];
            safe_name(name, sizeof name, s.api);
            format_latency(l[0], sizeof l[0], s.call_hist, r->st.bounds, 0.5);
            format_latency(l[1], sizeof l[1], s.call_hist, r->st.bounds, 0.99);
            format_latency(l[2], sizeof l[2], s.serve_hist, r->st.bounds, 0.5);
            format_latency(l[3], sizeof l[3], s.serve_hist, r->st.bounds, 0.99);
            nb__cli_table_add(&t, "%s", def->nodes[i].name);
            nb__cli_table_add(&t, "%s", name);
            nb__cli_table_add(&t, "%" PRIu64, s.calls);
            nb__cli_table_add(&t, "%" PRIu64, s.call_errors);
            nb__cli_table_add(&t, "%s", l[0]);
            nb__cli_table_add(&t, "%s", l[1]);
            nb__cli_table_add(&t, "%" PRIu64, s.served);
            nb__cli_table_add(&t, "%" PRIu64, s.served_errors);
            nb__cli_table_add(&t, "%s", l[2]);
            nb__cli_table_add(&t, "%s", l[3]);
        }
    }
    nb__cli_table_print(&t, stdout);
    nb__cli_table_free(&t);
}

/* A quantile as JSON: seconds, or null when nothing was counted. */
static void json_quantile(const uint64_t *hist, const double *bounds, double q)
{
    bool beyond;
    double s = quantile(hist, bounds, q, &beyond);
    if (s < 0)
        fputs("null", stdout);
    else
        printf("%.9g", s);
}

static void print_json(const node_row *rows, const node_row *prev)
{
    const nb__cluster_def *def = nb__cli_cluster();
    fputc('[', stdout);
    for (size_t i = 0; i < def->n_nodes; i++) {
        const node_row *r = &rows[i];
        printf("%s{\"node\": \"%s\", \"connected\": %s, \"apis\": [", i ? ", " : "",
               def->nodes[i].name, r->ok ? "true" : "false");
        for (size_t a = 0; r->ok && a < r->st.n_apis; a++) {
            nb__api_stats s = r->st.apis[a];
            subtract(&s, prev && prev[i].ok ? &prev[i].st : NULL);
            char name[128];
            safe_name(name, sizeof name, s.api);
            printf("%s{\"api\": \"%s\", \"calls\": %" PRIu64 ", \"call_errors\": %" PRIu64
                   ", \"call_p50_s\": ",
                   a ? ", " : "", name, s.calls, s.call_errors);
            json_quantile(s.call_hist, r->st.bounds, 0.5);
            fputs(", \"call_p99_s\": ", stdout);
            json_quantile(s.call_hist, r->st.bounds, 0.99);
            printf(", \"served\": %" PRIu64 ", \"served_errors\": %" PRIu64 ", \"serve_p50_s\": ",
                   s.served, s.served_errors);
            json_quantile(s.serve_hist, r->st.bounds, 0.5);
            fputs(", \"serve_p99_s\": ", stdout);
            json_quantile(s.serve_hist, r->st.bounds, 0.99);
            fputc('}', stdout);
        }
        fputs("]}", stdout);
    }
    fputs("]\n", stdout);
}

/* Asks every configured node for its figures into rows[0..n_nodes). */
static void fetch_all(node_row *rows)
{
    const nb__cluster_def *def = nb__cli_cluster();
    for (size_t i = 0; i < def->n_nodes; i++) {
        node_row *r = &rows[i];
        r->ok = nb__stats_fetch((int)i, FETCH_TIMEOUT_MS, &r->st) == 0;
        if (!r->ok) {
            nb_code code = nb_last_code();
            snprintf(r->why, sizeof r->why, "%s", code == NB_E_NO_WORKER ? "not connected"
                                                  : nb_code_name(code));
        }
    }
}

static void free_rows(node_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        nb__stats_free(&rows[i].st);
    free(rows);
}

int nb__cli_cmd_stats(int argc, char **argv)
{
    stats_opts o = {.wait_ms = DEFAULT_WAIT_MS, .interval_ms = DEFAULT_INTERVAL_MS};
    int rc = parse_opts(argc, argv, &o);
    if (rc >= 0 || (rc = nb__cli_start()) != 0)
        return rc;
    if (o.count == 0)
        o.count = o.follow ? -1 : 1;
    nb__cli_wait_nodes(NULL, 0, o.wait_ms, false);
    size_t n = nb__cli_cluster()->n_nodes;
    node_row *prev = NULL;
    for (long shown = 0; o.count < 0 || shown < o.count; shown++) {
        if (shown > 0) {
            struct timespec ts = {o.interval_ms / 1000, (long)(o.interval_ms % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
        node_row *rows = calloc(n ? n : 1, sizeof *rows);
        if (!rows) {
            nb__cli_error("stats: out of memory");
            free_rows(prev, n);
            return NB_CLI_EXIT_LIBRARY;
        }
        fetch_all(rows);
        if (o.follow && !o.json)
            printf("%s-- %s\n", shown ? "\n" : "",
                   shown ? "the last interval" : "since each node started");
        if (o.json)
            print_json(rows, prev);
        else
            print_table(rows, prev);
        fflush(stdout);
        free_rows(prev, n);
        prev = o.follow ? rows : NULL;
        if (!o.follow)
            free_rows(rows, n);
    }
    free_rows(prev, n);
    return 0;
}
