/*
 * test_routing.c — every routing rule of docs/design.md §7 on a real cluster of
 * six processes on loopback (routing.yaml). This program is the driver node; it
 * starts the five replicas r1..r5 (r5 also carries &trio, whose two other
 * members, ghost1 and ghost2, never start).
 *
 *   test_routing blocks      block nesting, f__with and .default_route, local
 *                            bodies not inheriting a block, last call wins,
 *                            broadcast, bad selectors
 *   test_routing strategies  NB_ALL / NB_FIRST / NB_QUORUM, predicates, fail-fast
 *                            quorums, late replies, a node dying mid-multicast
 *   test_routing nodeinfo    runtime snapshots before and after connecting, their
 *                            refresh, pick by memory, filter by last_seen
 *
 * Bounds on elapsed times are far from the delays they compare with (a slow
 * node sleeps 3 s, a call that must not wait for it returns in under 2 s), so
 * a loaded machine cannot make them flake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <nebula.h>

#include "harness.h"
#include "routing_api.h"

enum { DRIVER, R1, R2, R3, R4, R5, GHOST1, GHOST2, N_NODES };
static const char *const names[N_NODES] = {"driver@127.0.0.1", "r1@127.0.0.1",    "r2@127.0.0.1",
                                           "r3@127.0.0.1",     "r4@127.0.0.1",    "r5@127.0.0.1",
                                           "ghost1@127.0.0.1", "ghost2@127.0.0.1"};
static const char *const replica_exe[N_NODES] = {
    NULL, REPLICA1_EXE, REPLICA2_EXE, REPLICA3_EXE, REPLICA4_EXE, REPLICA5_EXE, NULL, NULL};
static pid_t pids[N_NODES];

#define STOP_TIMEOUT_MS 20000
#define SLOW_MS 3000  /* how long a slow replica sleeps */
#define EARLY_MS 2000 /* a call that must not wait for it returns sooner */

/* --- Cluster ------------------------------------------------------------------ */

static void choose_addresses(void)
{
    h_cluster_env(names, N_NODES, NULL, "routing");
}

/* The selector naming exactly node i (static storage per node). */
static const char *exactly(int i)
{
    static char sel[N_NODES][64];
    snprintf(sel[i], sizeof sel[i], "@:\"%s\"", names[i]);
    return sel[i];
}

/* How many slow bodies replica i has run (defined with the strategies). */
static int64_t slept_on(int i);

/* Starts replica i and waits until this node sees it serving. Returns 0 or -1. */
static int start_replica(int i)
{
    char log[16];
    snprintf(log, sizeof log, "r%d", i);
    char *argv[] = {(char *)replica_exe[i], NULL};
    pids[i] = h_start_node(replica_exe[i], argv, names[i], log, 20000);
    return pids[i] > 0 ? 0 : -1;
}

/* Started one after the other, so r1 registered first, then r2, ... */
static int start_replicas(void)
{
    for (int i = R1; i <= R5; i++)
        if (start_replica(i) < 0)
            return -1;
    return 0;
}

static int driver_up(void **state)
{
    (void)state;
    choose_addresses();
    if (nb_start(NULL) != 0) {
        fprintf(stderr, "nb_start: %s\n", nb_last_message());
        return -1;
    }
    return 0;
}

static int cluster_up(void **state)
{
    return driver_up(state) == 0 ? start_replicas() : -1;
}

/* Stops every replica cleanly: exit status 0 means no sanitizer report. */
static int cluster_down(void **state)
{
    (void)state;
    int rc = 0;
    for (int i = R1; i <= R5; i++) {
        if (h_stop_node(&pids[i], names[i], STOP_TIMEOUT_MS) != 0)
            rc = -1;
    }
    nb_stop();
    return rc;
}

/* --- Helpers ------------------------------------------------------------------ */

static void assert_code(nb_code want)
{
    if (nb_last_code() != want)
        fail_msg("expected %s, got %s: %s", nb_code_name(want), nb_code_name(nb_last_code()),
                 nb_last_message());
}

/* Asserts s is node i's name, then frees it (s is taken over). */
static void assert_node_str(char *s, int i)
{
    if (!s)
        fail_msg("expected %s, got NULL (%s: %s)", names[i], nb_code_name(nb_last_code()),
                 nb_last_message());
    assert_string_equal(s, names[i]);
    free(s);
}

static int64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The item for node i in res (borrowed from res), or NULL. */
static const nb_result *item_for(const nb_results *res, int i)
{
    for (size_t k = 0; k < res->count; k++)
        if (strcmp(res->items[k].node, names[i]) == 0)
            return &res->items[k];
    return NULL;
}

/* The string value of an item (char * APIs; borrowed from its results), or NULL. */
static const char *str_of(const nb_result *it)
{
    return it && it->value ? *(char *const *)it->value : NULL;
}

/* res holds exactly the nodes listed (ended by -1), each NB_OK with a string
 * value naming itself; res.code is NB_OK and so is nb_last_code(). */
static void assert_named_items(const nb_results *res, ...)
{
    assert_int_equal(res->code, NB_OK);
    assert_code(NB_OK);
    va_list ap;
    va_start(ap, res);
    size_t n = 0;
    for (int i = va_arg(ap, int); i >= 0; i = va_arg(ap, int), n++) {
        const nb_result *it = item_for(res, i);
        if (!it)
            fail_msg("no item for %s", names[i]);
        assert_int_equal(it->code, NB_OK);
        assert_non_null(str_of(it));
        assert_string_equal(str_of(it), names[i]);
    }
    va_end(ap);
    assert_int_equal(res->count, n);
}

static bool info_connected(int i)
{
    size_t n;
    nb_node_info *info = nb_nodes_info(&n);
    bool c = info && (size_t)i < n && info[i].connected;
    nb_nodes_info_free(info, n);
    return c;
}

/* Waits (bounded) until every replica from..to has a runtime snapshot. */
static bool wait_runtimes(int from, int to, int timeout_ms)
{
    long long until = h_now_ms() + timeout_ms;
    for (;;) {
        size_t n;
        nb_node_info *info = nb_nodes_info(&n);
        bool all = info != NULL;
        for (int i = from; all && i <= to; i++)
            all = info[i].connected && info[i].runtime != NULL;
        nb_nodes_info_free(info, n);
        if (all)
            return true;
        if (h_now_ms() >= until)
            return false;
        usleep(20 * 1000);
    }
}

/* --- Blocks ------------------------------------------------------------------- */

static void test_default_route_is_first_registered(void **state)
{
    (void)state;
    for (int k = 0; k < 5; k++) {
        assert_node_str(replica_name(), R1);
        assert_code(NB_OK);
    }
    assert_node_str(everyone_name(), DRIVER); /* served here: local */
}

static void test_blocks_nest_and_restore(void **state)
{
    (void)state;
    char *a = NULL, *b = NULL, *c = NULL, *e = NULL, *f = NULL;
    NB_ON_NODE("@r2") {
        a = replica_name();
        NB_ON_NODE("@r3") {
            b = replica_name();
        }
        c = replica_name(); /* the outer block again */
    }
    assert_node_str(a, R2);
    assert_node_str(b, R3);
    assert_node_str(c, R2);
    assert_node_str(replica_name(), R1); /* no block left */

    nb_results res, inner;
    NB_ON_NODE("@r4") {
        NB_ON_NODES("&replica", &res) {
            replica_name();
        }
        e = replica_name();
    }
    assert_named_items(&res, R1, R2, R3, R4, R5, -1);
    nb_results_free(&res);
    assert_node_str(e, R4);

    NB_ON_NODES("&replica", &res) {
        NB_ON_NODE("@r5") {
            f = replica_name();
        }
        replica_name();
    }
    assert_node_str(f, R5);
    assert_named_items(&res, R1, R2, R3, R4, R5, -1);
    nb_results_free(&res);

    /* Two multicast blocks, each filling its own results. */
    NB_ON_NODES("&replica", &res) {
        NB_ON_NODES("&trio", &inner) {
            trio_name();
        }
        replica_name();
    }
    assert_named_items(&inner, R5, -1);
    assert_named_items(&res, R1, R2, R3, R4, R5, -1);
    nb_results_free(&inner);
    nb_results_free(&res);
    assert_node_str(replica_name(), R1);
}

static void test_with_beats_block(void **state)
{
    (void)state;
    char *s = NULL, *t = NULL, *u = NULL, *v = NULL, *w = NULL, *x = NULL;
    NB_ON_NODE("@r3") {
        s = replica_name__with(&(nb_call){.node = "@r4"});
        t = replica_name__with(&(nb_call){.default_route = true});
        /* Options without a target of their own keep the block's target. */
        x = replica_name__with(&(nb_call){.timeout_ms = 5000});
        u = replica_name();
        v = everyone_name(); /* served here too, but the block says r3 */
        w = everyone_name__with(&(nb_call){.default_route = true}); /* local */
    }
    assert_node_str(s, R4);
    assert_node_str(t, R1);
    assert_node_str(x, R3);
    assert_node_str(u, R3);
    assert_node_str(v, R3);
    assert_node_str(w, DRIVER);

    /* Inside a multicast block, calls with their own options return their value
     * directly and leave the block's results alone. */
    nb_results res, mine = {0};
    int64_t number = -1;
    NB_ON_NODES("&replica", &res) {
        s = replica_name__with(&(nb_call){.node = "@r2"});
        t = replica_name__with(&(nb_call){.default_route = true});
        number = replica_number__with(&(nb_call){.nodes = "&trio", .results = &mine});
    }
    assert_node_str(s, R2);
    assert_node_str(t, R1);
    assert_int_equal(number, 0); /* a multicast returns the zero value */
    assert_int_equal(res.count, 0);
    assert_int_equal(mine.code, NB_OK);
    assert_int_equal(mine.count, 1);
    assert_string_equal(mine.items[0].node, names[R5]);
    assert_int_equal(*(int64_t *)mine.items[0].value, 5);
    nb_results_free(&mine);
    nb_results_free(&res);
}

static int pick_self(const nb_node_info *nodes, size_t n, void *arg)
{
    (void)arg;
    for (size_t i = 0; i < n; i++)
        if (strcmp(nodes[i].long_name, nb_self_node()) == 0)
            return (int)i;
    return -1;
}

static void test_local_body_does_not_inherit_block(void **state)
{
    (void)state;
    /* relay() calls replica_name() with no routing of its own. Run here by the
     * router, that inner call takes the default route (r1); had it inherited the
     * caller's block it would have been a broadcast or a unicast to this node,
     * which serves no replica_name. */
    nb_results res;
    NB_ON_ALL_NODES(&res) {
        relay();
    }
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(res.count, 6); /* the driver and r1..r5 */
    assert_string_equal(str_of(item_for(&res, DRIVER)), names[R1]);
    for (int i = R1; i <= R5; i++)
        assert_string_equal(str_of(item_for(&res, i)), names[i]);
    nb_results_free(&res);

    NB_ON_NODES("&driver", &res, .strategy = NB_FIRST) {
        relay();
    }
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(res.count, 1);
    assert_string_equal(str_of(item_for(&res, DRIVER)), names[R1]);
    nb_results_free(&res);

    char *a = NULL, *b = NULL, *c = NULL;
    NB_ON_NODE("@driver") {
        a = relay();
    }
    NB_ON_NODE_FN(pick_self, NULL) {
        b = relay();
    }
    NB_ON_NODE("@r2") {
        c = relay();
    } /* remote: r2's own replica_name */
    assert_node_str(a, R1);
    assert_node_str(b, R1);
    assert_node_str(c, R2);
}

static void test_last_call_in_block_wins(void **state)
{
    (void)state;
    nb_results res;
    memset(&res, 0xa5, sizeof res); /* uninitialised: the block zeroes it */
    NB_ON_NODES("&replica", &res) {
        replica_card();
        replica_name();
        replica_card(); /* the earlier results are released (ASan checks) */
    }
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(res.count, 5);
    for (size_t k = 0; k < res.count; k++) {
        replica_card_t *card = *(replica_card_t **)res.items[k].value;
        assert_int_equal(res.items[k].code, NB_OK);
        assert_string_equal(card->name, res.items[k].node);
        assert_int_equal(card->number, res.items[k].node[1] - '0');
    }
    /* A value taken out of the results is the caller's. */
    replica_card_t *kept = *(replica_card_t **)res.items[0].value;
    *(replica_card_t **)res.items[0].value = NULL;
    nb_results_free(&res);
    assert_int_equal(res.count, 0);
    assert_null(res.items);
    nb_results_free(&res); /* again: harmless */
    nb_results_free(NULL);
    nb_free_replica_card_t(kept);
}

static void test_each_call_replaces_the_results(void **state)
{
    (void)state;
    nb_results res;
    NB_ON_NODES("&replica", &res) {
        replica_card();
        replica_touch(); /* void: items without values */
    }
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(res.count, 5);
    for (size_t k = 0; k < res.count; k++) {
        assert_int_equal(res.items[k].code, NB_OK);
        assert_null(res.items[k].value);
    }
    nb_results_free(&res);

    NB_ON_ALL_NODES(&res) {
        everyone_name();
        trio_name(); /* fewer nodes: the results are replaced entirely */
    }
    assert_named_items(&res, R5, -1);
    nb_results_free(&res);

    /* f__with into the same results twice: the second releases the first. */
    res = (nb_results){0};
    replica_card__with(&(nb_call){.nodes = "&replica", .results = &res});
    replica_name__with(&(nb_call){.nodes = "&replica !@r1", .results = &res});
    assert_named_items(&res, R2, R3, R4, R5, -1);
    nb_results_free(&res);
}

static bool reject_all(const nb_result *r, void *arg)
{
    (void)r;
    (void)arg;
    return false;
}

static void test_last_code_is_results_code(void **state)
{
    (void)state;
    nb_results res;
    NB_ON_NODES("&replica", &res, .strategy = NB_FIRST, .success = reject_all) {
        replica_name();
    }
    assert_int_equal(res.code, NB_E_NO_SUCCESS);
    assert_code(NB_E_NO_SUCCESS);
    nb_results_free(&res);

    /* A failing call then a succeeding one: the block's outcome is the last. */
    NB_ON_NODES("&trio", &res, .strategy = NB_QUORUM) {
        trio_name();
        assert_code(NB_E_QUORUM_UNREACHABLE);
        replica_name();
    }
    assert_int_equal(res.code, NB_OK);
    assert_code(NB_OK);
    nb_results_free(&res);

    NB_ON_NODES("&trio", &res, .strategy = NB_QUORUM) {
        replica_name();
        trio_name();
    }
    assert_int_equal(res.code, NB_E_QUORUM_UNREACHABLE);
    assert_code(NB_E_QUORUM_UNREACHABLE);
    nb_results_free(&res);
}

static void test_broadcast_reaches_this_node(void **state)
{
    (void)state;
    nb_results res;
    NB_ON_ALL_NODES(&res, .timeout_ms = 5000) {
        everyone_name();
    }
    assert_named_items(&res, DRIVER, R1, R2, R3, R4, R5, -1);
    nb_results_free(&res);

    NB_ON_ALL_NODES(&res) {
        replica_name();
    } /* not served here: replicas only */
    assert_named_items(&res, R1, R2, R3, R4, R5, -1);
    nb_results_free(&res);

    /* Quorum of every configured node (8, ghosts included): 5 of 6 live. */
    NB_ON_ALL_NODES(&res, .strategy = NB_QUORUM) {
        everyone_name();
    }
    assert_int_equal(res.code, NB_OK);
    nb_results_free(&res);
}

static void test_bad_selectors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "&nosuchtag",    "@nobody", "@:\"r9@127.0.0.1\"", "&replica !@r9", /* unknowns */
        "@r1 &",         "r1",      "&replica !",         "!!&replica",    /* malformed */
        "&replica\t@r1",
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char *s = (char *)"untouched";
        NB_ON_NODE(bad[k]) {
            s = replica_name();
        }
        assert_null(s);
        assert_code(NB_E_BAD_SELECTOR);
        assert_non_null(strstr(nb_last_message(), "selector"));

        nb_results res;
        NB_ON_NODES(bad[k], &res) {
            replica_name();
        }
        assert_int_equal(res.code, NB_E_BAD_SELECTOR);
        assert_code(NB_E_BAD_SELECTOR);
        assert_int_equal(res.count, 0);
        nb_results_free(&res);

        res = (nb_results){0};
        replica_name__with(&(nb_call){.nodes = bad[k], .results = &res});
        assert_int_equal(res.code, NB_E_BAD_SELECTOR);
        assert_null(replica_name__with(&(nb_call){.node = bad[k]}));
        assert_code(NB_E_BAD_SELECTOR);

        long long t0 = h_now_ms();
        assert_int_equal(nb_await(bad[k], 5000), -1);
        assert_code(NB_E_BAD_SELECTOR);
        assert_true(h_now_ms() - t0 < 1000); /* refused, not waited on */
    }
    assert_int_equal(nb_await("@r1", 1000), 0);
    assert_int_equal(nb_await("&replica !@r1", 1000), 0);

    /* Well-formed and known, but matching no node here: no worker. (The casts keep
     * nebulac from refusing the literal at build time: docs/defining.md.) */
    char *s = (char *)"untouched";
    NB_ON_NODE((const char *)"&driver &replica") {
        s = replica_name();
    }
    assert_null(s);
    assert_code(NB_E_NO_WORKER);
    nb_results res;
    NB_ON_NODES((const char *)"&driver &replica", &res) {
        replica_name();
    }
    assert_int_equal(res.code, NB_E_NO_WORKER);
    assert_int_equal(res.count, 0);
    nb_results_free(&res);
}

static bool keep_none(const nb_node_info *node, void *arg)
{
    (void)node;
    (*(int *)arg)++;
    return false;
}

/* A filter that keeps no node makes no call at all; each strategy then ends as
 * the reference library's does. */
static void test_filter_keeps_nothing(void **state)
{
    (void)state;
    int asked = 0;
    int64_t before = slept_on(R1);
    nb_results res = {0};
    replica_wait__with(&(nb_call){.filter = keep_none, .arg = &asked, .results = &res}, 1, 5, 1);
    /* NB_ALL reached no node: no items, and a code that says so rather than an
     * NB_OK a caller could take for "every node has it". */
    assert_int_equal(res.code, NB_E_NO_WORKER);
    assert_code(NB_E_NO_WORKER);
    assert_int_equal(res.count, 0);
    nb_results_free(&res);
    assert_int_equal(asked, N_NODES); /* every configured node was offered once */

    replica_wait__with(&(nb_call){.filter = keep_none, .arg = &asked, .results = &res,
                                  .strategy = NB_FIRST}, 1, 5, 1);
    assert_int_equal(res.code, NB_E_NO_SUCCESS);
    assert_code(NB_E_NO_SUCCESS);
    assert_int_equal(res.count, 0);
    nb_results_free(&res);

    replica_wait__with(&(nb_call){.filter = keep_none, .arg = &asked, .results = &res,
                                  .strategy = NB_QUORUM, .quorum = NB_QUORUM_AVAILABLE},
                       1, 5, 1);
    assert_int_equal(res.code, NB_E_QUORUM_UNREACHABLE);
    assert_code(NB_E_QUORUM_UNREACHABLE);
    nb_results_free(&res);
    assert_int_equal(slept_on(R1), before); /* no body ran */
}

/* A node named twice (by a selector term and again by another) is one target. */
static void test_node_named_twice_counts_once(void **state)
{
    (void)state;
    nb_results res = {0};
    replica_name__with(&(nb_call){.nodes = "@r1 @:\"r1@127.0.0.1\" @r2", .results = &res});
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(res.count, 2);
    nb_results_free(&res);
}

/* Routing introspection: the topology's answer and the live one. The &trio
 * ghosts are configured but never start; &live includes this node. */
static void test_introspection(void **state)
{
    (void)state;
    const char *got[8];
    assert_int_equal(nb_configured_nodes("trio_name", got, 8), 3);
    assert_string_equal(got[0], names[R5]);
    assert_string_equal(got[1], names[GHOST1]);
    assert_string_equal(got[2], names[GHOST2]);
    assert_int_equal(nb_available_nodes("trio_name", got, 8), 1);
    assert_string_equal(got[0], names[R5]);

    assert_int_equal(nb_available_nodes("relay", got, 8), 6);
    assert_string_equal(got[0], names[DRIVER]); /* this node serves it */
    for (int i = R1; i <= R5; i++)
        assert_string_equal(got[i], names[i]);

    /* cap bounds what is written, never the count. */
    got[1] = NULL;
    assert_int_equal(nb_configured_nodes("replica_name", got, 1), 5);
    assert_string_equal(got[0], names[R1]);
    assert_null(got[1]);
    assert_int_equal(nb_available_nodes("replica_name", NULL, 0), 5);

    assert_int_equal(nb_configured_nodes("no_such_api", got, 8), 0);
    assert_int_equal(nb_available_nodes("no_such_api", got, 8), 0);
    assert_int_equal(nb_configured_nodes(NULL, got, 8), 0);
}

/* --- Strategies --------------------------------------------------------------- */

/* Items of res whose code is NB_OK. */
static size_t ok_items(const nb_results *res)
{
    size_t n = 0;
    for (size_t k = 0; k < res->count; k++)
        n += res->items[k].code == NB_OK;
    return n;
}

static int64_t slept_on(int i)
{
    int64_t v = replica_slept__with(&(nb_call){.node = exactly(i)});
    assert_code(NB_OK);
    return v;
}

static bool any_reply(const nb_result *r, void *arg)
{
    (void)r;
    (void)arg;
    return true;
}

static bool keep_all(const nb_node_info *node, void *arg)
{
    (void)node;
    (void)arg;
    return true;
}

/* Options that can never be valid fail with NB_E_BAD_OPTION, naming the option,
 * before anything is sent: the would-be serving body never runs. */
static void test_bad_options(void **state)
{
    (void)state;
    static const struct {
        nb_call call;
        const char *names;
    } cases[] = {
        {{.node = "@r1", .nodes = "@r1"}, ".node and .nodes"},
        {{.nodes = "@r1", .all = true}, ".nodes and .all"},
        {{.nodes = "@r1", .strategy = NB_FIRST, .success = any_reply, .failure = any_reply},
         ".success and .failure"},
        {{.node = "@r1", .success = any_reply}, ".success needs a multicast target"},
        {{.nodes = "@r1", .success = any_reply}, "with NB_ALL"},
        {{.node = "@r1", .strategy = NB_QUORUM}, ".strategy needs a multicast target"},
        {{.nodes = "@r1", .at_least = 1}, ".at_least applies to NB_QUORUM only"},
        {{.nodes = "@r1", .strategy = NB_QUORUM, .at_least = -2}, ".at_least is -2"},
        {{.node = "@r1", .timeout_ms = -5}, ".timeout_ms is -5"},
        {{.filter = keep_all, .strategy = NB_QUORUM}, "NB_QUORUM over a .filter function"},
    };
    int64_t before = slept_on(R1);
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        nb_results res = {0};
        nb_call c = cases[k].call;
        c.results = &res;
        char *s = replica_wait__with(&c, 1, 1, 1);
        assert_null(s);
        assert_code(NB_E_BAD_OPTION);
        if (!strstr(nb_last_message(), cases[k].names))
            fail_msg("case %zu: \"%s\" does not name %s", k, nb_last_message(), cases[k].names);
        assert_int_equal(res.count, 0);
        nb_results_free(&res);
    }
    /* A block with bad options makes every call in it fail the same way. (The
     * strategy is a variable: written as a literal, nebulac refuses the block
     * at build time, tests/diag/call_options.) */
    char *s = (char *)"untouched";
    volatile nb_strategy first = NB_FIRST;
    NB_ON_NODE("@r1", .strategy = first) {
        s = replica_wait(1, 1, 1);
    }
    assert_null(s);
    assert_code(NB_E_BAD_OPTION);
    assert_int_equal(slept_on(R1), before);

    /* The valid forms next to them still run. */
    nb_results res = {0};
    replica_wait__with(&(nb_call){.filter = keep_all, .strategy = NB_QUORUM,
                                  .quorum = NB_QUORUM_AVAILABLE, .results = &res}, 0, 0, 0);
    assert_int_equal(res.code, NB_OK);
    nb_results_free(&res);
}

static void test_all_sends_every_request_at_once(void **state)
{
    (void)state;
    nb_results res;
    long long t0 = h_now_ms();
    NB_ON_NODES("&replica", &res) {
        replica_wait(1, 5, 800);
    }
    long long took = h_now_ms() - t0;
    assert_named_items(&res, R1, R2, R3, R4, R5, -1);
    nb_results_free(&res);
    assert_true(took >= 790);
    assert_true(took < 3000); /* one after the other would be 4 s */
}

static void test_all_with_one_node_timing_out(void **state)
{
    (void)state;
    nb_results res;
    long long t0 = h_now_ms();
    NB_ON_NODES("&replica", &res, .timeout_ms = 1000) {
        replica_wait(3, 3, SLOW_MS);
    }
    long long took = h_now_ms() - t0;
    assert_true(took < 2500);
    assert_int_equal(res.code, NB_OK); /* NB_ALL: each node carries its own code */
    assert_code(NB_OK);
    assert_int_equal(res.count, 5);
    for (int i = R1; i <= R5; i++) {
        const nb_result *it = item_for(&res, i);
        assert_non_null(it);
        if (i == R3) {
            assert_int_equal(it->code, NB_E_TIMEOUT);
            assert_null(it->value);
        } else {
            assert_int_equal(it->code, NB_OK);
            assert_string_equal(str_of(it), names[i]);
        }
    }
    nb_results_free(&res);
}

/* For each replica i with want[i] > 0, whose slow bodies the caller abandoned:
 * once the caller's CANCELs have been read there (a call sent after them has
 * been answered), a body either never starts (it was dropped) or has started;
 * waits until every started one has finished (its value went nowhere: a
 * cancelled call gets no reply), then checks those replicas keep answering
 * their own calls correctly. */
static void assert_late_replies_harmless(const int64_t *want)
{
    long long until = h_now_ms() + 10000;
    for (int i = R1; i <= R5; i++) {
        if (want[i] <= 0)
            continue;
        assert_node_str(replica_name__with(&(nb_call){.node = exactly(i)}), i);
        int64_t started = replica_started__with(&(nb_call){.node = exactly(i)});
        assert_code(NB_OK);
        while (slept_on(i) < started)
            if (h_now_ms() > until)
                fail_msg("%s never finished its slow bodies", names[i]);
    }
    for (int k = 0; k < 10; k++)
        for (int i = R1; i <= R5; i++)
            if (want[i] > 0)
                assert_node_str(replica_name__with(&(nb_call){.node = exactly(i)}), i);
}

static void test_first_returns_before_slow_nodes(void **state)
{
    (void)state;
    int64_t want[N_NODES] = {0};
    for (int i = R3; i <= R5; i++)
        want[i] = slept_on(i) + 1;
    nb_results res;
    long long t0 = h_now_ms();
    NB_ON_NODES("&replica", &res, .strategy = NB_FIRST, .timeout_ms = 10000) {
        replica_wait(3, 5, SLOW_MS);
    }
    long long took = h_now_ms() - t0;
    assert_true(took < EARLY_MS);
    assert_int_equal(res.code, NB_OK);
    assert_code(NB_OK);
    assert_int_equal(res.count, 5);
    assert_true(ok_items(&res) >= 1);
    for (int i = R1; i <= R5; i++) {
        const nb_result *it = item_for(&res, i);
        assert_non_null(it);
        if (it->code == NB_OK) {
            assert_true(i <= R2); /* only the fast ones answered */
            assert_string_equal(str_of(it), names[i]);
        } else {
            assert_null(it->value);
        }
    }
    nb_results_free(&res);
    assert_late_replies_harmless(want);
}

static bool name_is(const nb_result *r, void *arg)
{
    return r->value && strcmp(*(char **)r->value, arg) == 0;
}

static bool name_is_not(const nb_result *r, void *arg)
{
    return !name_is(r, arg);
}

/* Asks the node that replied, with a call of its own, whether it agrees. */
static bool confirmed_by_its_node(const nb_result *r, void *arg)
{
    (void)arg;
    char sel[64];
    snprintf(sel, sizeof sel, "@:\"%s\"", r->node);
    int64_t again = replica_number__with(&(nb_call){.node = sel, .timeout_ms = 5000});
    return nb_last_code() == NB_OK && again == *(const int64_t *)r->value;
}

static void test_first_with_predicates(void **state)
{
    (void)state;
    nb_results res;
    NB_ON_NODES("&replica", &res, .strategy = NB_FIRST, .success = name_is,
                .arg = (void *)names[R4]) {
        replica_name();
    }
    assert_int_equal(res.code, NB_OK);
    assert_code(NB_OK);
    assert_string_equal(str_of(item_for(&res, R4)), names[R4]);
    nb_results_free(&res);

    NB_ON_NODES("&replica", &res, .strategy = NB_FIRST, .failure = name_is_not,
                .arg = (void *)names[R2]) {
        replica_name();
    }
    assert_int_equal(res.code, NB_OK);
    assert_string_equal(str_of(item_for(&res, R2)), names[R2]);
    nb_results_free(&res);

    /* Only the slow node would count: NB_FIRST waits for it. */
    long long t0 = h_now_ms();
    NB_ON_NODES("&replica", &res, .strategy = NB_FIRST, .success = name_is,
                .arg = (void *)names[R3]) {
        replica_wait(3, 3, 500);
    }
    assert_true(h_now_ms() - t0 >= 490);
    assert_int_equal(res.code, NB_OK);
    assert_string_equal(str_of(item_for(&res, R3)), names[R3]);
    nb_results_free(&res);

    NB_ON_NODES("&replica", &res, .strategy = NB_FIRST, .success = reject_all) {
        replica_name();
    }
    assert_int_equal(res.code, NB_E_NO_SUCCESS);
    assert_code(NB_E_NO_SUCCESS);
    assert_int_equal(res.count, 5);
    assert_int_equal(ok_items(&res), 5); /* each node's own code is still NB_OK */
    nb_results_free(&res);
}

static void test_predicate_may_call_apis(void **state)
{
    (void)state;
    /* A predicate may call APIs itself, even on the nodes being waited for. */
    nb_results res;
    long long t0 = h_now_ms();
    NB_ON_NODES("&replica", &res, .strategy = NB_QUORUM, .success = confirmed_by_its_node,
                .timeout_ms = 10000) {
        replica_number();
    }
    assert_true(h_now_ms() - t0 < EARLY_MS);
    assert_int_equal(res.code, NB_OK);
    assert_true(ok_items(&res) >= 3);
    nb_results_free(&res);
}

static void test_quorum_stops_once_reached(void **state)
{
    (void)state;
    /* r3, r4 and r5 sleep in 1, 2 and 3 of the calls below. */
    int64_t want[N_NODES] = {0};
    for (int i = R3; i <= R5; i++)
        want[i] = slept_on(i) + (i - R2);
    /* Majority of 5 configured replicas: r1..r3 answer at once, r4 and r5 sleep. */
    nb_results res;
    long long t0 = h_now_ms();
    NB_ON_NODES("&replica", &res, .strategy = NB_QUORUM, .timeout_ms = 10000) {
        replica_wait(4, 5, SLOW_MS);
    }
    assert_true(h_now_ms() - t0 < EARLY_MS);
    assert_int_equal(res.code, NB_OK);
    assert_code(NB_OK);
    assert_int_equal(ok_items(&res), 3);
    for (int i = R1; i <= R3; i++)
        assert_string_equal(str_of(item_for(&res, i)), names[i]);
    nb_results_free(&res);

    /* .at_least = 2: r1 and r2 are enough, r3..r5 are not waited for. */
    t0 = h_now_ms();
    NB_ON_NODES("&replica", &res, .strategy = NB_QUORUM, .at_least = 2, .timeout_ms = 10000) {
        replica_wait(3, 5, SLOW_MS);
    }
    assert_true(h_now_ms() - t0 < EARLY_MS);
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(ok_items(&res), 2);
    nb_results_free(&res);

    /* Only r1 counts and r5 is slow: once r2..r4 have answered, 3 can no longer
     * be reached, so it ends without waiting for r5. */
    t0 = h_now_ms();
    NB_ON_NODES("&replica", &res, .strategy = NB_QUORUM, .success = name_is,
                .arg = (void *)names[R1], .timeout_ms = 10000) {
        replica_wait(5, 5, SLOW_MS);
    }
    assert_true(h_now_ms() - t0 < EARLY_MS);
    assert_int_equal(res.code, NB_E_QUORUM_NOT_REACHED);
    assert_code(NB_E_QUORUM_NOT_REACHED);
    nb_results_free(&res);
    assert_late_replies_harmless(want);
}

static void test_quorum_configured_vs_available(void **state)
{
    (void)state;
    /* &trio: r5 and two nodes that never started. A majority of the configured
     * three is two: one live node can never reach it, so it fails at once. */
    nb_results res;
    long long t0 = h_now_ms();
    NB_ON_NODES("&trio", &res, .strategy = NB_QUORUM, .timeout_ms = 10000) {
        trio_name();
    }
    long long took = h_now_ms() - t0;
    assert_true(took < 1000);
    assert_int_equal(res.code, NB_E_QUORUM_UNREACHABLE);
    assert_code(NB_E_QUORUM_UNREACHABLE);
    assert_non_null(strstr(nb_last_message(), "trio_name"));
    nb_results_free(&res);

    NB_ON_ALL_NODES(&res, .strategy = NB_QUORUM, .timeout_ms = 10000) {
        trio_name();
    }
    assert_int_equal(res.code, NB_E_QUORUM_UNREACHABLE);
    nb_results_free(&res);

    NB_ON_NODES("&trio", &res, .strategy = NB_QUORUM, .quorum = NB_QUORUM_AVAILABLE) {
        trio_name();
    }
    assert_named_items(&res, R5, -1);
    nb_results_free(&res);

    NB_ON_NODES("&trio", &res, .strategy = NB_QUORUM, .at_least = 1) {
        trio_name();
    }
    assert_named_items(&res, R5, -1);
    nb_results_free(&res);

    NB_ON_NODES("&trio", &res, .strategy = NB_QUORUM, .quorum = NB_QUORUM_AVAILABLE,
                .at_least = 2) {
        trio_name();
    }
    assert_int_equal(res.code, NB_E_QUORUM_UNREACHABLE);
    assert_code(NB_E_QUORUM_UNREACHABLE);
    nb_results_free(&res);
}

static bool number_at_most(const nb_result *r, void *arg)
{
    return *(const int64_t *)r->value <= *(const int64_t *)arg;
}

static bool number_is_odd(const nb_result *r, void *arg)
{
    (void)arg;
    return *(const int64_t *)r->value % 2 != 0;
}

typedef struct predicate_log {
    int replies, failures_seen;
} predicate_log;

static bool log_reply(const nb_result *r, void *arg)
{
    predicate_log *log = arg;
    log->replies++;
    log->failures_seen += r->code != NB_OK || r->value == NULL;
    return true;
}

static void test_quorum_predicates(void **state)
{
    (void)state;
    int64_t two = 2;
    nb_results res;
    NB_ON_NODES("&replica", &res, .strategy = NB_QUORUM, .success = number_at_most, .arg = &two) {
        replica_number();
    }
    assert_int_equal(res.code, NB_E_QUORUM_NOT_REACHED); /* 2 of the 3 needed */
    assert_code(NB_E_QUORUM_NOT_REACHED);
    assert_int_equal(res.count, 5);
    /* Each item is its node's own outcome: its number, or abandoned (no value)
     * once the quorum was out of reach without it. */
    for (size_t k = 0; k < res.count; k++) {
        const nb_result *it = &res.items[k];
        if (it->code == NB_OK)
            assert_int_equal(*(int64_t *)it->value, it->node[1] - '0');
        else
            assert_null(it->value);
    }
    nb_results_free(&res);

    NB_ON_NODES("&replica", &res, .strategy = NB_QUORUM, .success = number_at_most, .arg = &two,
                .at_least = 2) {
        replica_number();
    }
    assert_int_equal(res.code, NB_OK);
    nb_results_free(&res);

    /* .failure: odd numbers failed, so only r2 and r4 succeeded. */
    NB_ON_NODES("&replica", &res, .strategy = NB_QUORUM, .failure = number_is_odd, .at_least = 2) {
        replica_number();
    }
    assert_int_equal(res.code, NB_OK);
    nb_results_free(&res);
    NB_ON_NODES("&replica", &res, .strategy = NB_QUORUM, .failure = number_is_odd) {
        replica_number();
    }
    assert_int_equal(res.code, NB_E_QUORUM_NOT_REACHED);
    assert_code(NB_E_QUORUM_NOT_REACHED);
    nb_results_free(&res);
}

static void test_predicates_judge_replies_only(void **state)
{
    (void)state;
    /* A predicate judges replies only: r3 times out and is never shown to it
     * (it would read a value that is not there). */
    nb_results res;
    predicate_log log = {0};
    NB_ON_NODES("&replica", &res, .strategy = NB_QUORUM, .at_least = 5, .success = log_reply,
                .arg = &log, .timeout_ms = 1000) {
        replica_wait(3, 3, SLOW_MS);
    }
    assert_int_equal(res.code, NB_E_QUORUM_NOT_REACHED);
    assert_int_equal(item_for(&res, R3)->code, NB_E_TIMEOUT);
    assert_int_equal(log.replies, 4);
    assert_int_equal(log.failures_seen, 0);
    nb_results_free(&res);
}

static void test_all_with_one_node_dying(void **state)
{
    (void)state;
    nb_results res;
    long long t0 = h_now_ms();
    NB_ON_NODES("&replica", &res, .timeout_ms = 30000) {
        replica_crash_if(4);
    }
    assert_true(h_now_ms() - t0 < 15000); /* at once, not at the 30 s timeout */
    assert_int_equal(res.code, NB_OK);
    assert_code(NB_OK);
    assert_int_equal(res.count, 5);
    for (int i = R1; i <= R5; i++) {
        const nb_result *it = item_for(&res, i);
        assert_non_null(it);
        if (i == R4) {
            assert_int_equal(it->code, NB_E_NODE_DOWN);
            assert_null(it->value);
        } else {
            assert_int_equal(it->code, NB_OK);
            assert_int_equal(*(int64_t *)it->value, i);
        }
    }
    nb_results_free(&res);
    assert_int_equal(h_wait(pids[R4], 10000), 128 + SIGKILL);
    pids[R4] = 0;

    /* Gone from node info: not connected, no runtime, last seen in the past. */
    long long until = h_now_ms() + 10000;
    while (info_connected(R4) && h_now_ms() < until)
        usleep(10 * 1000);
    size_t n;
    nb_node_info *info = nb_nodes_info(&n);
    assert_false(info[R4].connected);
    assert_null(info[R4].runtime);
    assert_true(info[R4].last_seen_at_ms > 0 && info[R4].last_seen_at_ms <= unix_ms());
    nb_nodes_info_free(info, n);
    NB_ON_NODES("&replica", &res) {
        replica_name();
    }
    assert_named_items(&res, R1, R2, R3, R5, -1);
    nb_results_free(&res);

    /* Back again; it registered last, so the default route stays on r1. */
    assert_int_equal(start_replica(R4), 0);
    assert_true(wait_runtimes(R4, R4, 10000));
    assert_node_str(replica_name(), R1);
    NB_ON_NODES("&replica", &res) {
        replica_name();
    }
    assert_named_items(&res, R1, R2, R3, R4, R5, -1);
    nb_results_free(&res);
}

/* --- Node info ---------------------------------------------------------------- */

static bool has_tag(const nb_node_info *node, const char *tag)
{
    for (size_t t = 0; t < node->n_tags; t++)
        if (strcmp(node->tags[t], tag) == 0)
            return true;
    return false;
}

static void test_info_before_and_after_connecting(void **state)
{
    (void)state;
    size_t n;
    nb_node_info *info = nb_nodes_info(&n);
    assert_int_equal(n, N_NODES);
    assert_string_equal(info[DRIVER].long_name, names[DRIVER]);
    assert_string_equal(info[DRIVER].short_name, "driver");
    assert_string_equal(info[DRIVER].host, "127.0.0.1");
    assert_true(info[DRIVER].connected);
    assert_non_null(info[DRIVER].runtime); /* this node measures itself at start */
    assert_true(has_tag(&info[DRIVER], "driver") && has_tag(&info[DRIVER], "live"));
    for (int i = R1; i < N_NODES; i++) {
        assert_string_equal(info[i].long_name, names[i]);
        assert_false(info[i].connected);
        assert_int_equal(info[i].last_seen_at_ms, 0);
        assert_null(info[i].runtime); /* no snapshot has arrived */
    }
    assert_true(has_tag(&info[R5], "trio") && has_tag(&info[R5], "replica"));
    assert_int_equal(info[GHOST1].n_tags, 1);
    nb_nodes_info_free(info, n);

    assert_int_equal(start_replicas(), 0);
    assert_true(wait_runtimes(R1, R5, 10000));
    info = nb_nodes_info(&n);
    int64_t now = unix_ms();
    for (int i = R1; i <= R5; i++) {
        const nb_runtime_info *rt = info[i].runtime;
        assert_true(info[i].connected);
        assert_true(info[i].last_seen_at_ms > now - 3000 && info[i].last_seen_at_ms <= now + 1000);
        assert_string_equal(rt->version, NB_VERSION);
        assert_true(rt->cpus >= 1);
        assert_true(rt->threads >= 2);
        assert_true(rt->memory_used_mb > 0 && rt->memory_used_mb < rt->memory_total_mb);
        assert_true(rt->memory_percent > 0.0 && rt->memory_percent <= 100.0);
        assert_true(rt->uptime_seconds >= 0 && rt->uptime_seconds < 600);
        assert_true(rt->load1 >= 0.0);
    }
    for (int i = GHOST1; i <= GHOST2; i++) {
        assert_false(info[i].connected);
        assert_null(info[i].runtime);
    }
    nb_nodes_info_free(info, n);
}

typedef struct pick_log {
    size_t calls, n, with_runtime;
    bool ghost_without_runtime;
} pick_log;

/* The connected replica using the least memory. */
static int least_memory(const nb_node_info *nodes, size_t n, void *arg)
{
    pick_log *log = arg;
    log->calls++;
    log->n = n;
    log->with_runtime = 0;
    log->ghost_without_runtime = n == N_NODES && !nodes[GHOST1].runtime && !nodes[GHOST2].runtime;
    int best = -1;
    for (size_t i = 0; i < n; i++) {
        log->with_runtime += nodes[i].runtime != NULL;
        if (!nodes[i].connected || !nodes[i].runtime || !has_tag(&nodes[i], "replica"))
            continue;
        if (best < 0 || nodes[i].runtime->memory_used_mb < nodes[best].runtime->memory_used_mb)
            best = (int)i;
    }
    return best;
}

static int64_t memory_of(const nb_node_info *info, int i)
{
    return info[i].runtime ? info[i].runtime->memory_used_mb : -1;
}

static void test_refresh_and_pick_by_memory(void **state)
{
    (void)state;
    assert_true(wait_runtimes(R1, R5, 10000));
    size_t n;
    nb_node_info *info = nb_nodes_info(&n);
    int64_t before[N_NODES];
    for (int i = R1; i <= R5; i++)
        before[i] = memory_of(info, i);
    nb_nodes_info_free(info, n);

    /* Every replica but r3 takes 48 MB more; their next snapshots show it. */
    nb_results res;
    NB_ON_NODES("&replica !@r3", &res) {
        replica_hog(48);
    }
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(ok_items(&res), 4);
    nb_results_free(&res);
    long long until = h_now_ms() + 10000;
    bool refreshed = false;
    while (!refreshed && h_now_ms() < until) {
        info = nb_nodes_info(&n);
        refreshed = true;
        for (int i = R1; i <= R5; i++)
            if (i != R3)
                refreshed = refreshed && memory_of(info, i) >= before[i] + 40 &&
                            memory_of(info, i) > memory_of(info, R3) + 24;
        nb_nodes_info_free(info, n);
        usleep(20 * 1000);
    }
    assert_true(refreshed);

    pick_log log = {0};
    char *s = NULL;
    NB_ON_NODE_FN(least_memory, &log) {
        s = replica_name();
    }
    assert_node_str(s, R3);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.n, N_NODES);
    assert_int_equal(log.with_runtime, 6); /* the driver and the five replicas */
    assert_true(log.ghost_without_runtime);
    assert_node_str(replica_name__with(&(nb_call){.pick = least_memory, .arg = &log}), R3);
}

typedef struct seen_filter {
    int64_t cutoff; /* keep nodes seen at or after this Unix ms */
    size_t calls;
    int64_t oldest_connected, ghost_seen;
} seen_filter;

static bool seen_since(const nb_node_info *node, void *arg)
{
    seen_filter *f = arg;
    f->calls++;
    if (node->connected &&
        (f->oldest_connected == 0 || node->last_seen_at_ms < f->oldest_connected))
        f->oldest_connected = node->last_seen_at_ms;
    if (strncmp(node->short_name, "ghost", 5) == 0)
        f->ghost_seen += node->last_seen_at_ms;
    return node->last_seen_at_ms >= f->cutoff;
}

static void test_filter_by_last_seen(void **state)
{
    (void)state;
    int64_t now = unix_ms();
    seen_filter f = {.cutoff = now - 3000};
    nb_results res;
    NB_ON_NODES_FN(seen_since, &f, &res) {
        replica_name();
    }
    assert_named_items(&res, R1, R2, R3, R4, R5, -1);
    nb_results_free(&res);
    assert_true(f.calls >= N_NODES - 1);           /* every configured node is offered */
    assert_true(f.oldest_connected >= now - 3000); /* heartbeats keep it recent */
    assert_int_equal(f.ghost_seen, 0);             /* never seen */

    f = (seen_filter){.cutoff = unix_ms() + 3600 * 1000}; /* nobody: in the future */
    NB_ON_NODES_FN(seen_since, &f, &res) {
        replica_name();
    }
    assert_int_equal(res.code, NB_E_NO_WORKER);
    assert_code(NB_E_NO_WORKER);
    assert_int_equal(res.count, 0);
    nb_results_free(&res);

    f = (seen_filter){.cutoff = unix_ms() - 3000};
    NB_ON_NODES_FN(seen_since, &f, &res, .strategy = NB_FIRST) {
        everyone_name();
    }
    assert_int_equal(res.code, NB_OK);
    assert_int_equal(res.count, 6); /* this node too */
    nb_results_free(&res);
}

/* --- Groups ------------------------------------------------------------------- */

static void test_before_start(void **state)
{
    (void)state;
    size_t n = 99;
    assert_null(nb_nodes_info(&n));
    assert_int_equal(n, 0);
    nb_results res;
    NB_ON_NODES("&replica", &res) {
        replica_name();
    }
    assert_code(NB_E_NOT_STARTED);
    assert_int_equal(res.code, NB_E_NOT_STARTED);
    assert_int_equal(res.count, 0);
    nb_results_free(&res);
    char *s = (char *)"untouched";
    NB_ON_NODE("@r1") {
        s = replica_name();
    }
    assert_null(s);
    assert_code(NB_E_NOT_STARTED);
    /* The topology answers before nb_start; nothing is available yet. */
    const char *got[4];
    assert_int_equal(nb_configured_nodes("trio_name", got, 4), 3);
    assert_int_equal(nb_available_nodes("trio_name", got, 4), 0);
    assert_int_equal(nb_available_nodes("relay", got, 4), 0);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "blocks";
    const struct CMUnitTest blocks[] = {
        cmocka_unit_test(test_default_route_is_first_registered),
        cmocka_unit_test(test_blocks_nest_and_restore),
        cmocka_unit_test(test_with_beats_block),
        cmocka_unit_test(test_local_body_does_not_inherit_block),
        cmocka_unit_test(test_last_call_in_block_wins),
        cmocka_unit_test(test_each_call_replaces_the_results),
        cmocka_unit_test(test_last_code_is_results_code),
        cmocka_unit_test(test_broadcast_reaches_this_node),
        cmocka_unit_test(test_bad_selectors),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_introspection),
        cmocka_unit_test(test_filter_keeps_nothing),
        cmocka_unit_test(test_node_named_twice_counts_once),
    };
    const struct CMUnitTest strategies[] = {
        cmocka_unit_test(test_all_sends_every_request_at_once),
        cmocka_unit_test(test_all_with_one_node_timing_out),
        cmocka_unit_test(test_first_returns_before_slow_nodes),
        cmocka_unit_test(test_first_with_predicates),
        cmocka_unit_test(test_predicate_may_call_apis),
        cmocka_unit_test(test_quorum_stops_once_reached),
        cmocka_unit_test(test_quorum_configured_vs_available),
        cmocka_unit_test(test_quorum_predicates),
        cmocka_unit_test(test_predicates_judge_replies_only),
        cmocka_unit_test(test_all_with_one_node_dying),
    };
    const struct CMUnitTest before[] = {cmocka_unit_test(test_before_start)};
    const struct CMUnitTest nodeinfo[] = {
        cmocka_unit_test(test_info_before_and_after_connecting),
        cmocka_unit_test(test_refresh_and_pick_by_memory),
        cmocka_unit_test(test_filter_by_last_seen),
    };
    int rc = -1;
    if (strcmp(which, "blocks") == 0) {
        rc = cmocka_run_group_tests_name("blocks", blocks, cluster_up, cluster_down);
    } else if (strcmp(which, "strategies") == 0) {
        rc = cmocka_run_group_tests_name("strategies", strategies, cluster_up, cluster_down);
    } else if (strcmp(which, "nodeinfo") == 0) {
        rc = cmocka_run_group_tests_name("before_start", before, NULL, NULL);
        rc |= cmocka_run_group_tests_name("nodeinfo", nodeinfo, driver_up, cluster_down);
    }
    if (rc >= 0) {
        h_scratch_done(rc == 0);
        return rc;
    }
    fprintf(stderr, "usage: %s blocks|strategies|nodeinfo\n", argv[0]);
    return 2;
}
