/*
 * session.c — the api node's scripted tour of the cluster.
 *
 * Every API call below reads like a local C call. Each printed line gives its
 * outcome (nb_last_code()), where it ran, how long it took, the call and what
 * came back. "local" means nebulac compiled the body into this node; "remote
 * &db" means it did not, so the call went to a node carrying &db; "routed" is a
 * routing block, whose answers name the node that gave them. Built as the dev
 * node, which wears every tag, the same file runs every call on that one node.
 *
 * Run-time selectors here name tags only (&db, &cache, &worker, &api): every
 * layout has those, while a node name such as @db exists in some layouts only.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep, poll */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nebula.h>
#include "cache.h"
#include "health.h"
#include "jobs.h"
#include "session.h"
#include "users.h"

/* Where each module's bodies are, seen from this node: decided at build time. */
static const char *const users_where = NB_ON("&db") ? "local" : "remote &db";
static const char *const cache_where = NB_ON("&cache") ? "local" : "remote &cache";

enum {
    AWAIT_MS = 10000,         /* for the other nodes to start and connect */
    FAILOVER_GO_MS = 30000,   /* for someone to stop the node we name */
    DOWN_NOTICED_MS = 3000,   /* for the runtime to see that node gone */
    NO_TIMEOUT_SPENT_MS = 500, /* well below the 5000 ms default call timeout */
    SILENCE_NOTICED_MS = 10000 /* for a silent peer to be declared down (4 heartbeats) */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Prints one line per call: its outcome, where it ran, how long it took, then the
 * call and what came back (strings borrowed). Reads nb_last_code(), so it goes
 * right after the call. Returns 0 when the call succeeded. */
static int done(double start, const char *call, const char *value, const char *where)
{
    double ms = now_ms() - start;
    nb_code code = nb_last_code();
    printf("  %-6s %-10s %8.3f ms  %s = %s\n", nb_code_name(code), where, ms, call, value);
    if (code != NB_OK)
        printf("      %s\n", nb_last_message());
    return code == NB_OK ? 0 : -1;
}

/* Formats one multicast item's value into buf (caller's storage). */
typedef void (*show_fn)(const nb_result *r, char *buf, size_t size);

/* Prints a multicast or broadcast call (all borrowed), then one line per node.
 * Returns 0 when the call and every node succeeded. */
static int done_multi(double start, const char *call, const nb_results *res, show_fn show)
{
    double ms = now_ms() - start;
    printf("  %-6s %-10s %8.3f ms  %s: %zu node(s)\n", nb_code_name(res->code), "routed", ms, call,
           res->count);
    int rc = res->code == NB_OK && res->count > 0 ? 0 : -1;
    for (size_t i = 0; i < res->count; i++) {
        const nb_result *r = &res->items[i];
        char value[96] = "";
        if (r->code == NB_OK)
            show(r, value, sizeof value);
        bool self = strcmp(r->node, nb_self_node()) == 0;
        printf("  %31s-> %-23s %-6s = %s%s\n", "", r->node, nb_code_name(r->code), value,
               self ? "   (this node)" : "");
        rc |= r->code == NB_OK ? 0 : -1;
    }
    return rc;
}

/* Waits (bounded) until a node carrying each tag the session uses is serving. */
static int await_cluster(void)
{
    static const char *const roles[] = {"&db", "&cache", "&worker"};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (nb_await(roles[i], AWAIT_MS) != 0) {
            printf("no %s node after %d ms: %s\n", roles[i], AWAIT_MS, nb_last_message());
            return -1;
        }
    }
    printf("%s: the cluster is up (&db, &cache and &worker are served)\n", nb_self_node());
    return 0;
}

/* --- users: &db, in SQLite -------------------------------------------------- */

/* Formats u (borrowed, may be NULL) into buf, the caller's storage. */
static void format_user(const user_t *u, char *buf, size_t size)
{
    if (u)
        snprintf(buf, size, "{%" PRId64 ", \"%s\", \"%s\"}", u->id, u->name, u->email);
    else
        snprintf(buf, size, "NULL (no such user)");
}

/* Creates one user and prints the call (strings borrowed). Returns its id or -1. */
static int64_t create_user(const char *name, const char *email, int *rc)
{
    char call[96], value[32];
    snprintf(call, sizeof call, "users_create(\"%s\", \"%s\")", name, email);
    double start = now_ms();
    int64_t id = users_create(name, email);
    snprintf(value, sizeof value, "%" PRId64 "%s", id, id < 0 ? " (email taken)" : "");
    *rc |= done(start, call, value, users_where);
    return id;
}

/* Fetches one user and prints the call. Returns it, owned by the caller
 * (nb_free_user_t), or NULL. */
static user_t *get_user(int64_t id, int *rc)
{
    char call[64], value[128];
    snprintf(call, sizeof call, "users_get(%" PRId64 ")", id);
    double start = now_ms();
    user_t *u = users_get(id);
    format_user(u, value, sizeof value);
    *rc |= done(start, call, value, users_where);
    return u;
}

/* Returns grace, owned by the caller (nb_free_user_t), or NULL when a step failed. */
static user_t *step_users(void)
{
    printf("\n== users: NB_API(\"&db\"), backed by SQLite on the db node\n");
    int rc = 0;
    create_user("ada", "ada@example.org", &rc);
    int64_t grace_id = create_user("grace", "grace@example.org", &rc);
    create_user("edsger", "edsger@example.org", &rc);
    /* The body's own failure is a value like any other: NB_OK, and -1. */
    create_user("ada again", "ada@example.org", &rc);

    user_t *grace = get_user(grace_id, &rc);
    user_t *nobody = get_user(99, &rc); /* NULL is the C nil: a normal answer */
    nb_free_user_t(nobody);

    double start = now_ms();
    int64_t n = users_count();
    char value[32];
    snprintf(value, sizeof value, "%" PRId64, n);
    rc |= done(start, "users_count()", value, users_where);
    if (rc != 0 || !grace) {
        nb_free_user_t(grace);
        return NULL;
    }
    return grace;
}

/* --- cache: &cache, one copy per node ---------------------------------------- */

/* The show_fn of cache_put: r and buf are the caller's. */
static void show_replaced(const nb_result *r, char *buf, size_t size)
{
    snprintf(buf, size, "%s", *(const bool *)r->value ? "true (replaced)" : "false (new)");
}

/* The show_fn of cache_invalidate: r and buf are the caller's. */
static void show_removed(const nb_result *r, char *buf, size_t size)
{
    snprintf(buf, size, "%s", *(const bool *)r->value ? "true (removed)" : "false (absent)");
}

/* Reads key (borrowed) from the cache by default routing and prints the call. */
static int cache_lookup(const char *key)
{
    char call[64], value[128];
    snprintf(call, sizeof call, "cache_get(\"%s\")", key);
    double start = now_ms();
    char *cached = cache_get(key);
    if (cached)
        snprintf(value, sizeof value, "\"%s\"", cached);
    else
        snprintf(value, sizeof value, "NULL (miss)");
    int rc = done(start, call, value, cache_where);
    free(cached);
    return rc;
}

/* Puts u (borrowed) on every &cache node, reads it back, then drops it everywhere. */
static int step_cache(const user_t *u)
{
    printf("\n== cache: NB_API(\"&cache\"), a kvmap on every &cache node\n");
    char key[32], value[160];
    snprintf(key, sizeof key, "user:%" PRId64, u->id);
    snprintf(value, sizeof value, "%s <%s>", u->name, u->email);

    nb_results res;
    double start = now_ms();
    NB_ON_NODES("&cache", &res, .strategy = NB_ALL) {
        cache_put(key, value);
    }
    int rc = done_multi(start, "NB_ON_NODES(\"&cache\") { cache_put(key, value); }", &res,
                        show_replaced);
    nb_results_free(&res);

    rc |= cache_lookup(key);

    start = now_ms();
    NB_ON_ALL_NODES(&res) {
        cache_invalidate(key);
    }
    rc |= done_multi(start, "NB_ON_ALL_NODES { cache_invalidate(key); }", &res, show_removed);
    nb_results_free(&res);

    rc |= cache_lookup(key);
    return rc;
}

/* --- jobs: &worker, zlib ----------------------------------------------------- */

/* Returns a compressible input, a CSV export repeated to 64 KiB, owned by the
 * caller (free(.data)). */
static nb_bytes sample_export(void)
{
    enum { SIZE = 64 * 1024 };
    char *text = malloc(SIZE);
    size_t len = 0;
    for (int i = 1; text && len < SIZE; i++) {
        int n = snprintf(text + len, SIZE - len, "%d,user%d,user%d@example.org\n", i, i, i);
        len += (size_t)n; /* past SIZE after the last, truncated line: done */
    }
    return (nb_bytes){text, text ? SIZE : 0};
}

static int step_jobs(void)
{
    printf("\n== jobs: NB_API(\"&worker\"), zlib on the worker node\n");
    nb_bytes input = sample_export();
    job_result_t *r = NULL;
    double start = now_ms();
    /* Routed explicitly, as a web handler would hand work off: on the dev node
     * the block finds this node and the call stays a plain local call. */
    NB_ON_NODE("&worker") {
        r = jobs_compress(input, 6);
    }
    char call[96], value[128] = "NULL";
    snprintf(call, sizeof call, "NB_ON_NODE(\"&worker\") { jobs_compress(%zu bytes, 6); }",
             input.len);
    if (r)
        snprintf(value, sizeof value, "%zu bytes, crc32 %08" PRIx32 ", by %s", r->deflated.len,
                 r->crc32, r->worker);
    int rc = done(start, call, value, "routed");
    rc |= r && r->in_bytes == input.len ? 0 : -1;
    nb_free_job_result_t(r);
    free(input.data);
    return rc;
}

/* --- health: NB_API(), on every node ----------------------------------------- */

/* ask_health(), also storing the call's outcome in *code when code is not NULL. */
static node_health_t ask_health_code(const char *sel, nb_code *code)
{
    node_health_t h = {0};
    double start = now_ms();
    NB_ON_NODE(sel) {
        h = node_health();
    }
    if (code)
        *code = nb_last_code();
    char call[96], value[96] = "(none)";
    snprintf(call, sizeof call, "NB_ON_NODE(\"%s\") { node_health(); }", sel);
    if (h.node)
        snprintf(value, sizeof value, "%s, pid %" PRId64 ", up %" PRId64 " ms", h.node, h.pid,
                 h.uptime_ms);
    done(start, call, value, "routed");
    return h;
}

/* Asks the first live node matching sel (borrowed) for its health and prints the
 * call. Returns the answer; the caller frees .node (NULL when the call failed). */
static node_health_t ask_health(const char *sel)
{
    return ask_health_code(sel, NULL);
}

/* The show_fn of node_health: r and buf are the caller's. */
static void show_health(const nb_result *r, char *buf, size_t size)
{
    const node_health_t *h = r->value;
    snprintf(buf, size, "pid %" PRId64 ", up %" PRId64 " ms", h->pid, h->uptime_ms);
}

static int step_health(void)
{
    printf("\n== health: NB_API() with no selector, a body on every node\n");
    double start = now_ms();
    node_health_t self = node_health(); /* a plain call: always this node */
    char value[96];
    snprintf(value, sizeof value, "%s", self.node ? self.node : "(none)");
    int rc = done(start, "node_health()", value, "local");
    free(self.node);

    node_health_t db = ask_health("&db");
    rc |= db.node ? 0 : -1;
    free(db.node);

    nb_results res;
    start = now_ms();
    NB_ON_ALL_NODES(&res) {
        node_health();
    }
    rc |= done_multi(start, "NB_ON_ALL_NODES { node_health(); }", &res, show_health);
    nb_results_free(&res);
    return rc;
}

/* --- node info --------------------------------------------------------------- */

/* Prints one node's entry (borrowed) as nb_nodes_info() reports it. */
static void print_node(const nb_node_info *n)
{
    char tags[128] = "";
    for (size_t t = 0; t < n->n_tags; t++)
        snprintf(tags + strlen(tags), sizeof tags - strlen(tags), "%s%s", t ? "," : "", n->tags[t]);
    const char *state = n->connected ? "connected" : "down";
    if (strcmp(n->long_name, nb_self_node()) == 0)
        state = "this node";
    printf("  %-23s %-30s %-10s", n->long_name, tags, state);
    const nb_runtime_info *rt = n->runtime;
    if (rt)
        printf(" threads %d, %" PRId64 " MB used, up %" PRId64 " s, load %.2f\n", rt->threads,
               rt->memory_used_mb, rt->uptime_seconds, rt->load1);
    else
        printf(" (no snapshot yet)\n");
}

static int step_nodes_info(void)
{
    printf("\n== nb_nodes_info(): every configured node, as this node sees it\n");
    size_t n;
    nb_node_info *info = nb_nodes_info(&n);
    for (size_t i = 0; i < n; i++)
        print_node(&info[i]);
    nb_nodes_info_free(info, n);
    return info ? 0 : -1;
}

/* --- failover ---------------------------------------------------------------- */

/* Waits up to limit_ms for a line on stdin. Returns 0 when one came. */
static int wait_for_go(int limit_ms)
{
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    char line[64];
    if (poll(&p, 1, limit_ms) != 1 || !fgets(line, sizeof line, stdin))
        return -1;
    return 0;
}

/* Waits up to limit_ms for nb_nodes_info() to report node (borrowed) down.
 * Returns how long it took in ms, or -1. */
static double wait_until_down(const char *node, int limit_ms)
{
    double start = now_ms();
    while (now_ms() - start < limit_ms) {
        size_t n;
        nb_node_info *info = nb_nodes_info(&n);
        bool down = false;
        for (size_t i = 0; i < n; i++)
            down |= strcmp(info[i].long_name, node) == 0 && !info[i].connected;
        nb_nodes_info_free(info, n);
        if (down)
            return now_ms() - start;
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
    return -1;
}

/* Asks "!&api" again once `gone` (borrowed) is down, and checks that another
 * node answered at once. Returns 0 when it did. */
static int ask_again_elsewhere(const char *gone)
{
    double noticed = wait_until_down(gone, DOWN_NOTICED_MS);
    if (noticed < 0) {
        printf("  %s still looks connected after %d ms\n", gone, DOWN_NOTICED_MS);
        return -1;
    }
    printf("  %s is down (nb_nodes_info() said so after %.1f ms)\n", gone, noticed);
    double start = now_ms();
    node_health_t after = ask_health("!&api");
    double ms = now_ms() - start;
    int rc = after.node && strcmp(after.node, gone) != 0 && ms < NO_TIMEOUT_SPENT_MS ? 0 : -1;
    if (rc == 0)
        printf("  failover ok: %s answered instead, in %.3f ms: no timeout spent\n", after.node,
               ms);
    else
        printf("  failover FAILED: %s answered, in %.3f ms\n", after.node ? after.node : "nobody",
               ms);
    free(after.node);
    return rc;
}

/* "!&api" is any node that is not an api node: in prod, db and worker. Selector
 * routing picks the first-registered live match, so the same node answers until
 * it goes; then the next call goes to the next one. */
static int step_failover(void)
{
    printf("\n== failover: stop the node that answers, ask again\n");
    node_health_t before = ask_health("!&api");
    if (!before.node)
        return -1;
    /* run_shop_demo.sh reads this line, kills the node and writes a line back. */
    printf("READY_FOR_FAILOVER %s   (stop that node, then press Enter)\n", before.node);
    fflush(stdout);
    int rc = -1;
    if (wait_for_go(FAILOVER_GO_MS) != 0)
        printf("  no go-ahead on stdin within %d ms\n", FAILOVER_GO_MS);
    else
        rc = ask_again_elsewhere(before.node);
    free(before.node);
    return rc;
}

/* --- partition --------------------------------------------------------------- */

/* Calls node_health() on the first live node matching sel (borrowed), prints
 * the call, and returns its outcome; *ms is how long it took. */
static nb_code health_code(const char *sel, double *ms)
{
    nb_code code;
    double start = now_ms();
    node_health_t h = ask_health_code(sel, &code);
    *ms = now_ms() - start;
    if (code == NB_OK && !h.node)
        code = NB_E_PROTOCOL; /* cannot happen: a node always names itself */
    free(h.node);
    return code;
}

/* The node serving &worker is cut off the network, not stopped: it still runs,
 * but no packet reaches it or leaves it. A call sent meanwhile gets no reply;
 * the caller must get an error for it (never a value), learn that the node is
 * down from the heartbeats' silence, and get it back once the network heals.
 * The cut is made by whoever reads READY_FOR_PARTITION (run_shop_netns_demo.sh
 * applies iptables rules in that node's network namespace). */
static int step_partition(void)
{
    printf("\n== partition: the node serving &worker is cut off the network, then healed\n");
    node_health_t before = ask_health("&worker");
    if (!before.node)
        return -1;
    printf("READY_FOR_PARTITION %s   (cut that node off the network, then press Enter)\n",
           before.node);
    fflush(stdout);
    int rc = -1;
    if (wait_for_go(FAILOVER_GO_MS) != 0) {
        printf("  no go-ahead on stdin within %d ms\n", FAILOVER_GO_MS);
        free(before.node);
        return -1;
    }
    /* Sent into the cut: no reply can come back. */
    double cut_ms, after_ms;
    nb_code cut = health_code("&worker", &cut_ms);
    double noticed = wait_until_down(before.node, SILENCE_NOTICED_MS);
    if (noticed >= 0)
        printf("  %s is down for this node (nb_nodes_info() said so %.1f ms later)\n",
               before.node, noticed);
    else
        printf("  %s still looks connected after %d ms more\n", before.node, SILENCE_NOTICED_MS);
    /* Once it is down, a call fails at once instead of waiting. */
    nb_code after = health_code("&worker", &after_ms);
    printf("READY_TO_HEAL %s   (reconnect that node, then press Enter)\n", before.node);
    fflush(stdout);
    if (wait_for_go(FAILOVER_GO_MS) != 0) {
        printf("  no go-ahead on stdin within %d ms\n", FAILOVER_GO_MS);
        free(before.node);
        return -1;
    }
    double start = now_ms();
    int back = nb_await("&worker", AWAIT_MS);
    double back_ms = now_ms() - start;
    if (back == 0)
        printf("  %s is back (nb_await(\"&worker\") returned after %.1f ms)\n", before.node,
               back_ms);
    else
        printf("  &worker not back after %d ms: %s\n", AWAIT_MS, nb_last_message());
    node_health_t healed = ask_health("&worker");
    bool answered = healed.node && strcmp(healed.node, before.node) == 0;
    if (cut != NB_OK && noticed >= 0 && after == NB_E_NO_WORKER && back == 0 && answered) {
        printf("  partition ok: cut off, the call failed with %s after %.0f ms (no value);"
               " then %s in %.3f ms; healed, %s answered again\n",
               nb_code_name(cut), cut_ms, nb_code_name(after), after_ms, healed.node);
        rc = 0;
    } else {
        printf("  partition FAILED: cut off %s, then %s, healed: %s\n", nb_code_name(cut),
               nb_code_name(after), healed.node ? healed.node : "nobody answered");
    }
    free(healed.node);
    free(before.node);
    return rc;
}

int session_run(bool failover, bool partition)
{
    if (await_cluster() != 0)
        return 1;
    user_t *grace = step_users();
    int rc = grace ? 0 : -1;
    rc |= grace ? step_cache(grace) : -1;
    nb_free_user_t(grace);
    rc |= step_jobs();
    rc |= step_health();
    rc |= step_nodes_info();
    if (failover && rc == 0)
        rc |= step_failover();
    if (partition && rc == 0)
        rc |= step_partition();
    printf("\nsession %s\n", rc == 0 ? "complete" : "FAILED");
    return rc == 0 ? 0 : 1;
}
