/*
 * nebula.yaml as users write it (docs/design.md §3) and the selectors nebulac
 * checks against it (sections 4 and 6). Every diagnostic is compared as the user
 * reads it, file:line:col included, with the data directory left out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "topology.h"

static char *captured;
static size_t captured_len;
static FILE *capture;

static void capture_start(void)
{
    capture = open_memstream(&captured, &captured_len);
    assert_non_null(capture);
    nbc_diag_set_stream(capture);
}

/* Removes every occurrence of cut from s, in place; s is the caller's. */
static void remove_all(char *s, const char *cut)
{
    size_t n = strlen(cut);
    char *hit;
    while (n > 0 && (hit = strstr(s, cut)) != NULL)
        memmove(hit, hit + n, strlen(hit + n) + 1);
}

/* The diagnostics since capture_start, with the data directory removed; the
 * caller frees the text. */
static char *capture_end(const char *dir)
{
    nbc_diag_set_stream(NULL);
    fclose(capture);
    remove_all(captured, dir);
    char *text = captured;
    captured = NULL;
    return text;
}

static char data_dir[4096];

/* The path of a data file; static storage, valid until the next call. */
static const char *data(const char *name)
{
    static char path[4352];
    snprintf(path, sizeof path, "%s%s", data_dir, name);
    return path;
}

/* Loads a data file that must load cleanly; the caller frees *t. */
static void load_ok(const char *name, nbc_topology *t)
{
    capture_start();
    int rc = nbc_topology_load(data(name), t);
    char *out = capture_end(data_dir);
    if (rc != 0 || out[0] != '\0')
        fail_msg("%s: rc %d, diagnostics:\n%s", name, rc, out);
    free(out);
}

/* Loads a data file that must fail with exactly these diagnostics (expected is borrowed). */
static void load_fails(const char *name, const char *expected)
{
    nbc_topology t;
    int before = nbc_error_count();
    capture_start();
    int rc = nbc_topology_load(data(name), &t);
    char *out = capture_end(data_dir);
    assert_int_equal(rc, -1);
    assert_true(nbc_error_count() > before);
    assert_null(t.nodes);
    assert_int_equal(t.n_nodes, 0);
    if (strcmp(out, expected) != 0)
        fail_msg("%s: got\n%s\nwant\n%s", name, out, expected);
    free(out);
}

static void test_spec_example(void **state)
{
    (void)state;
    nbc_topology t;
    load_ok("spec_example.yaml", &t);
    assert_int_equal(t.n_nodes, 3);
    const nb__node_def *api = &t.nodes[0], *db = &t.nodes[1], *w = &t.nodes[2];
    assert_string_equal(api->name, "api@api.example");
    assert_string_equal(api->short_name, "api");
    assert_string_equal(api->host, "api.example");
    assert_null(api->address);
    assert_int_equal(api->port, 4370);
    assert_int_equal(api->n_tags, 3);
    assert_string_equal(api->tags[0], "mainframe_cluster");
    assert_string_equal(api->tags[2], "cache");
    assert_string_equal(db->name, "db@db.example");
    assert_int_equal(db->port, 4371);
    assert_int_equal(db->n_tags, 3);
    assert_string_equal(db->tags[1], "db");
    assert_string_equal(w->short_name, "worker");
    assert_string_equal(w->host, "worker.example");
    assert_string_equal(w->address, "10.0.0.7:4370");
    assert_int_equal(w->n_tags, 2);
    assert_int_equal(t.node_locs[1].line, 4);
    assert_int_equal(t.node_locs[1].col, 3);
    assert_string_equal(t.node_locs[1].file, t.path);
    assert_int_equal(t.port, 4370);
    assert_int_equal(t.default_timeout_ms, 5000);
    assert_int_equal(t.nodes_info_refresh_interval_ms, 5000);
    assert_int_equal(t.max_concurrent_calls, 64);
    assert_int_equal(t.heartbeat_interval_ms, 500);
    assert_false(t.allow_nonode_nohost);
    assert_false(t.allow_unknown_self_node);
    assert_string_equal(t.default_self_node, "api@api.example");
    assert_int_equal(t.default_self_node_loc.line, 13);
    assert_int_equal(t.default_self_node_loc.col, 28);
    assert_int_equal(nbc_topology_find(&t, "db@db.example"), 1);
    assert_int_equal(nbc_topology_find(&t, "db@other"), -1);
    nbc_topology_free(&t);
    assert_null(t.nodes);
}

static void test_defaults(void **state)
{
    (void)state;
    nbc_topology t;
    load_ok("minimal.yaml", &t);
    assert_int_equal(t.n_nodes, 1);
    assert_int_equal(t.nodes[0].n_tags, 0);
    assert_int_equal(t.nodes[0].port, 4370);
    assert_int_equal(t.port, 4370);
    assert_int_equal(t.default_timeout_ms, 5000);
    assert_int_equal(t.nodes_info_refresh_interval_ms, 5000);
    assert_int_equal(t.max_concurrent_calls, 64);
    assert_int_equal(t.heartbeat_interval_ms, 500);
    assert_false(t.allow_nonode_nohost);
    assert_false(t.allow_unknown_self_node);
    assert_null(t.default_self_node);
    assert_int_equal(t.transport, NBC_TRANSPORT_PSK);
    assert_null(t.tls_ca);
    nbc_topology_free(&t);
}

/* transport: and tls: (docs/security.md); relative paths are made absolute
 * against the topology's directory, placeholders are left for the runtime. */
/* max_time_extensions: 10 when absent, 0 allowed (it forbids), never negative. */
static void test_max_time_extensions(void **state)
{
    (void)state;
    nbc_topology t;
    load_ok("transport_plain.yaml", &t);
    assert_int_equal(t.max_time_extensions, 10);
    nbc_topology_free(&t);
    load_ok("extensions_zero.yaml", &t);
    assert_int_equal(t.max_time_extensions, 0);
    nbc_topology_free(&t);
    load_fails("bad_extensions.yaml", "bad_extensions.yaml:3:22: error: \"max_time_extensions\" "
                                      "must be an integer from 0 to 1000000, not \"-1\"\n");
}

static void test_transport(void **state)
{
    (void)state;
    nbc_topology t;
    load_ok("transport_plain.yaml", &t);
    assert_int_equal(t.transport, NBC_TRANSPORT_PLAIN);
    nbc_topology_free(&t);
    load_ok("transport_mtls.yaml", &t);
    assert_int_equal(t.transport, NBC_TRANSPORT_MTLS);
    char *dir = realpath(data_dir, NULL);
    assert_non_null(dir);
    char want[4200];
    snprintf(want, sizeof want, "%s/certs/ca.pem", dir);
    assert_string_equal(t.tls_ca, want);
    snprintf(want, sizeof want, "%s/certs/{node}.pem", dir);
    assert_string_equal(t.tls_cert, want);
    assert_string_equal(t.tls_key, "/etc/nebula/{short}-{host}.key");
    free(dir);
    nbc_topology_free(&t);
    assert_null(t.tls_ca);

    load_fails("bad_transport.yaml",
               "bad_transport.yaml:2:12: error: \"transport\" must be psk, mtls or plain, not "
               "\"tls\"\n"
               "bad_transport.yaml:3:6: error: \"tls\" must be a mapping, e.g. tls: { ca: "
               "certs/ca.pem, cert: \"certs/{node}.pem\", key: \"certs/{node}.key\" }, not a list\n"
               "bad_transport.yaml:3:6: error: \"tls\" applies to transport: mtls only, and the "
               "transport is psk\n");
    load_fails("bad_tls_needed.yaml",
               "bad_tls_needed.yaml:2:12: error: transport mtls needs tls: { ca, cert, key } (the "
               "CA, this node's certificate and key, PEM files)\n");
    load_fails("bad_tls_without_mtls.yaml",
               "bad_tls_without_mtls.yaml:2:6: error: \"tls\" applies to transport: mtls only, and "
               "the transport is psk (the default); add transport: mtls\n");
    load_fails("bad_tls_missing.yaml",
               "bad_tls_missing.yaml:3:6: error: \"tls\" is missing \"key\": transport mtls needs "
               "ca, cert and key\n");
    load_fails(
        "bad_tls_values.yaml",
        "bad_tls_values.yaml:3:26: error: \"tls.cert\" must be the path of a PEM file, not a "
        "list\n"
        "bad_tls_values.yaml:3:35: error: unknown key \"kee\" in tls (did you mean \"key\"?); "
        "known keys are ca, cert and key\n"
        "bad_tls_values.yaml:3:52: error: \"tls.key\" must be the path of a PEM file, not "
        "empty\n");
}

/* YAML 1.1 would read no/yes/off/null as booleans and nulls; to us they are tags. */
static void test_scalars_stay_strings(void **state)
{
    (void)state;
    nbc_topology t;
    load_ok("plain_strings.yaml", &t);
    assert_int_equal(t.n_nodes, 3);
    static const char *const want[] = {"no", "yes", "on", "off", "null", "true", "y"};
    assert_int_equal(t.nodes[0].n_tags, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(t.nodes[0].tags[i], want[i]);
    assert_string_equal(t.nodes[0].host, "127.0.0.1");
    assert_int_equal(t.nodes[0].port, 4380);
    /* The default port is given after the nodes and still applies to them. */
    assert_int_equal(t.nodes[1].port, 5370);
    assert_string_equal(t.nodes[2].address, "[::1]:5000");
    assert_int_equal(t.default_timeout_ms, 250);
    assert_int_equal(t.nodes_info_refresh_interval_ms, 1000);
    assert_int_equal(t.max_concurrent_calls, 8);
    assert_int_equal(t.heartbeat_interval_ms, 100);
    assert_true(t.allow_nonode_nohost);
    assert_true(t.allow_unknown_self_node);
    nbc_topology_free(&t);
}

static void test_malformed_yaml(void **state)
{
    (void)state;
    load_fails("bad_yaml_unclosed.yaml",
               "bad_yaml_unclosed.yaml:3:5: error: invalid YAML: did not find expected ',' or ']' "
               "(while parsing a flow sequence that starts at line 2, column 10)\n");
    load_fails("bad_yaml_tab.yaml",
               "bad_yaml_tab.yaml:3:1: error: invalid YAML: found character that cannot "
               "start any token (while scanning for the next token)\n");
    load_fails("bad_utf8.yaml",
               "bad_utf8.yaml:3:15: error: invalid YAML: invalid trailing UTF-8 octet "
               "(byte 59 of the file)\n");
    load_fails("bad_two_documents.yaml",
               "bad_two_documents.yaml:3:1: error: the topology must be a single YAML "
               "document; remove this second one\n");
    load_fails(
        "no_such_file.yaml",
        "no_such_file.yaml:1:1: error: cannot read the topology: No such file or directory\n");
}

static void test_top_level_shape(void **state)
{
    (void)state;
    load_fails("bad_empty.yaml",
               "bad_empty.yaml:1:1: error: the topology is empty; it needs at least the node "
               "list, e.g. nodes: { \"api@api.example\": [api] }\n");
    load_fails("bad_not_mapping.yaml",
               "bad_not_mapping.yaml:1:1: error: the topology must be a mapping of "
               "settings (nodes:, port:, ...), not a list\n");
    load_fails("bad_missing_nodes.yaml",
               "bad_missing_nodes.yaml:1:1: error: missing \"nodes\": the topology must "
               "list its nodes, e.g. nodes: { \"api@api.example\": [api] }\n");
    load_fails("bad_duplicate_key.yaml",
               "bad_duplicate_key.yaml:3:1: error: duplicate key \"port\"\n"
               "bad_duplicate_key.yaml:2:1: note: \"port\" first given here\n");
}

static void test_unknown_top_level_keys(void **state)
{
    (void)state;
#define KNOWN                                                                                      \
    "known keys are nodes, port, default_timeout, nodes_info_refresh_interval, "                   \
    "max_concurrent_calls, "                                                                       \
    "heartbeat_interval, max_time_extensions, allow_nonode_nohost, allow_unknown_self_node, "      \
    "default_opts, transport and tls\n"
    load_fails(
        "bad_unknown_keys.yaml",
        "bad_unknown_keys.yaml:2:1: error: unknown key \"prot\" (did you mean \"port\"?); " KNOWN
        "bad_unknown_keys.yaml:3:1: error: unknown key \"colour\"; " KNOWN);
#undef KNOWN
}

static void test_nodes_shape(void **state)
{
    (void)state;
    load_fails("bad_empty_nodes.yaml",
               "bad_empty_nodes.yaml:1:8: error: \"nodes\" is empty: list at least one "
               "node, e.g. nodes: { \"api@api.example\": [api] }\n");
    load_fails("bad_nodes_null.yaml",
               "bad_nodes_null.yaml:1:7: error: \"nodes\" is empty: list at least one "
               "node, e.g. nodes: { \"api@api.example\": [api] }\n");
    load_fails("bad_nodes_list.yaml",
               "bad_nodes_list.yaml:1:8: error: \"nodes\" must be a mapping of node names "
               "to tags, e.g. nodes: { \"api@api.example\": [api] }, not a list\n");
}

/* One run reports every bad name, the reserved one and the duplicate with its first definition. */
static void test_node_names(void **state)
{
    (void)state;
    load_fails(
        "bad_node_names.yaml",
        "bad_node_names.yaml:2:3: error: node name \"db\" is not valid: it is not short@host "
        "(e.g. \"db@db.example\")\n"
        "bad_node_names.yaml:3:3: error: node name \"Db@db.example\" is not valid: its short name "
        "must "
        "be a lowercase identifier ([a-z_][a-z0-9_]*)\n"
        "bad_node_names.yaml:4:3: error: node name \"db@\" is not valid: its host must be "
        "non-empty and "
        "hold only letters, digits, '.', '-' and '_'\n"
        "bad_node_names.yaml:5:3: error: node name \"db@db example\" is not valid: its host must "
        "be "
        "non-empty and hold only letters, digits, '.', '-' and '_'\n"
        "bad_node_names.yaml:6:3: error: node name \"nonode@nohost\" is reserved for builds "
        "without a "
        "node name; remove it (set allow_nonode_nohost: true to allow such a generic build)\n"
        "bad_node_names.yaml:8:3: error: duplicate node \"ok@ok.example\"\n"
        "bad_node_names.yaml:7:3: note: \"ok@ok.example\" first defined here\n"
        "bad_node_names.yaml:9:3: error: a node name must be a string short@host, not a list\n");
}

static void test_tags(void **state)
{
    (void)state;
#define IDENT " must be a lowercase identifier ([a-z_][a-z0-9_]*)\n"
    load_fails("bad_tags.yaml",
               "bad_tags.yaml:2:11: error: tag \"Db\" of node \"a@h\"" IDENT
               "bad_tags.yaml:2:15: error: tag \"1x\" of node \"a@h\"" IDENT
               "bad_tags.yaml:2:30: error: duplicate tag \"db\" on node \"a@h\"\n"
               "bad_tags.yaml:2:34: error: tags of node \"a@h\" must be names, not a list\n"
               "bad_tags.yaml:2:39: error: tag \"two words\" of node \"a@h\"" IDENT);
#undef IDENT
}

static void test_node_values(void **state)
{
    (void)state;
    load_fails(
        "bad_node_values.yaml",
        "bad_node_values.yaml:2:10: error: node \"a@h\" must map to a list of tags, e.g. [db, "
        "cache], or "
        "to { tags: [...], port: N, address: \"host:port\" }, not \"db\"\n"
        "bad_node_values.yaml:3:9: error: node \"b@h\" has no value; give it a list of tags, e.g. "
        "[db, cache], or [] for none\n"
        "bad_node_values.yaml:4:10: error: node \"c@h\" has no \"tags\"; add tags: [...] (an empty "
        "list "
        "is allowed)\n"
        "bad_node_values.yaml:5:18: error: \"tags\" of node \"d@h\" must be a list of tags, e.g. "
        "[db, cache]\n");
}

static void test_node_keys(void **state)
{
    (void)state;
#define ADDR " must be host:port with a port from 1 to 65535 (e.g. \"10.0.0.7:4370\"), not "
    load_fails("bad_node_keys.yaml",
               "bad_node_keys.yaml:2:23: error: unknown key \"prt\" in node \"a@h\" (did you mean "
               "\"port\"?); "
               "known keys are tags, port, address and metrics_listen\n"
               "bad_node_keys.yaml:3:23: error: unknown key \"colour\" in node \"b@h\"; known keys "
               "are tags, "
               "port, address and metrics_listen\n"
               "bad_node_keys.yaml:4:29: error: \"port\" of node \"c@h\" must be an integer from 1 "
               "to 65535, "
               "not \"0\"\n"
               "bad_node_keys.yaml:5:29: error: \"port\" of node \"d@h\" must be an integer from 1 "
               "to 65535, "
               "not \"70000\"\n"
               "bad_node_keys.yaml:6:32: error: \"address\" of node \"e@h\"" ADDR "\"10.0.0.7\"\n"
               "bad_node_keys.yaml:7:32: error: \"address\" of node \"f@h\"" ADDR "\"h:0\"\n"
               "bad_node_keys.yaml:8:32: error: \"address\" of node \"g@h\"" ADDR "\":4370\"\n"
               "bad_node_keys.yaml:9:32: error: \"address\" of node \"i@h\"" ADDR "a list\n"
               "bad_node_keys.yaml:10:23: error: duplicate key \"tags\"\n"
               "bad_node_keys.yaml:10:12: note: \"tags\" first given here\n"
               "bad_node_keys.yaml:11:39: error: \"metrics_listen\" of node \"k@h\" must be "
               "host:port with a port from 1 to 65535 (e.g. \"127.0.0.1:9464\"), not "
               "\"127.0.0.1\"\n");
#undef ADDR
}

static void test_integers_and_booleans(void **state)
{
    (void)state;
#define MS " (milliseconds), not "
    load_fails(
        "bad_ints.yaml",
        "bad_ints.yaml:2:7: error: \"port\" must be an integer from 1 to 65535, not \"abc\"\n"
        "bad_ints.yaml:3:18: error: \"default_timeout\" must be an integer from 1 to 2147483647" MS
        "\"0\"\n"
        "bad_ints.yaml:4:30: error: \"nodes_info_refresh_interval\" must be an integer from 1 to "
        "2147483647" MS "\"1.5\"\n"
        "bad_ints.yaml:5:23: error: \"max_concurrent_calls\" must be an integer from 1 to "
        "2147483647, "
        "not \"99999999999\"\n"
        "bad_ints.yaml:6:21: error: \"heartbeat_interval\" must be an integer from 1 to "
        "2147483647" MS "\"-5\"\n");
#undef MS
    load_fails(
        "bad_bools.yaml",
        "bad_bools.yaml:2:22: error: \"allow_nonode_nohost\" must be true or false, not \"yes\"\n"
        "bad_bools.yaml:3:26: error: \"allow_unknown_self_node\" must be true or false, not "
        "\"1\"\n");
}

static void test_default_opts(void **state)
{
    (void)state;
    load_fails("bad_default_opts.yaml", "bad_default_opts.yaml:3:14: error: default_opts.self_node "
                                        "\"api\" is not a valid node name: it "
                                        "is not short@host (e.g. \"db@db.example\")\n"
                                        "bad_default_opts.yaml:4:3: error: unknown key \"node\" in "
                                        "default_opts; the only known key is "
                                        "self_node\n");
    load_fails("bad_default_opts_list.yaml",
               "bad_default_opts_list.yaml:2:15: error: \"default_opts\" must be a mapping, e.g. "
               "default_opts: "
               "{ self_node: \"api@api.example\" }, not a list\n");
}

/* Runs nbc_selector_check at users.c:14:9 and returns its diagnostics (caller frees). */
static char *check(const nbc_topology *t, const char *sel_text, int *rc, nb__selector *out)
{
    capture_start();
    *rc = nbc_selector_check(t, sel_text, (nbc_loc){"users.c", 14, 9}, "NB_API call", out);
    return capture_end(data_dir);
}

/* The exact listing of docs/design.md §6 and the reference README. */
static void test_unknown_node_listing(void **state)
{
    (void)state;
    nbc_topology t;
    load_ok("two_nodes.yaml", &t);
    int rc;
    nb__selector sel;
    char *out = check(&t, "@nope", &rc, &sel);
    assert_int_equal(rc, -1);
    assert_string_equal(out, "users.c:14:9: error: Unknown nodes in NB_API call :\n"
                             "- @nope\n"
                             "Available nodes :\n"
                             "- @api\n"
                             "- @:\"api@api.example\"\n"
                             "- @db\n"
                             "- @:\"db@db.example\"\n");
    free(out);
    nbc_topology_free(&t);
}

/* A short name shared by two nodes is listed once; negated and repeated unknowns
 * are listed once, without '!'; the column is the first unknown term's. */
static void test_unknown_nodes_and_tags(void **state)
{
    (void)state;
    nbc_topology t;
    load_ok("shared_short.yaml", &t);
    int rc;
    nb__selector sel;
    char *out = check(&t, "&db !@nope &nope @:\"db@nowhere\" !&also_nope @nope", &rc, &sel);
    assert_int_equal(rc, -1);
    assert_string_equal(out, "users.c:14:13: error: Unknown nodes in NB_API call :\n"
                             "- @nope\n"
                             "- @:\"db@nowhere\"\n"
                             "Available nodes :\n"
                             "- @api\n"
                             "- @:\"api@api.example\"\n"
                             "- @db\n"
                             "- @:\"db@db.example\"\n"
                             "- @:\"db@backup.example\"\n"
                             "users.c:14:20: error: Unknown tags in NB_API call :\n"
                             "- &nope\n"
                             "- &also_nope\n"
                             "Available tags :\n"
                             "- &api\n"
                             "- &cache\n"
                             "- &db\n"
                             "- &backup\n");
    free(out);
    nbc_topology_free(&t);
}

static void test_selector_syntax_and_empty_match(void **state)
{
    (void)state;
    nbc_topology t;
    load_ok("shared_short.yaml", &t);
    int rc;
    nb__selector sel;
    char *out = check(&t, "&db &", &rc, &sel);
    assert_int_equal(rc, -1);
    assert_string_equal(
        out, "users.c:14:14: error: invalid selector \"&db &\": expected a tag after '&' "
             "(a lowercase letter or '_' first)\n");
    free(out);
    out = check(&t, "&api &db", &rc, &sel);
    assert_int_equal(rc, -1);
    assert_string_equal(
        out, "users.c:14:9: error: selector \"&api &db\" matches no node of the topology\n");
    free(out);
    nbc_topology_free(&t);
}

static void test_selector_accepted(void **state)
{
    (void)state;
    nbc_topology t;
    load_ok("shared_short.yaml", &t);
    int rc;
    nb__selector sel;
    char *out = check(&t, "&db !@:\"db@backup.example\"", &rc, &sel);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "");
    assert_int_equal(sel.n_terms, 2);
    assert_int_equal(nb__sel_count(&sel, t.nodes, t.n_nodes), 1);
    assert_true(nb__sel_match(&sel, &t.nodes[1]));
    nb__sel_free(&sel);
    free(out);
    out = check(&t, "", &rc, &sel);
    assert_int_equal(rc, 0);
    assert_int_equal(sel.n_terms, 0);
    free(out);
    out = check(&t, "@db", &rc, &sel);
    assert_int_equal(rc, 0);
    assert_int_equal(nb__sel_count(&sel, t.nodes, t.n_nodes), 2);
    nb__sel_free(&sel);
    free(out);
    nbc_topology_free(&t);
}

int main(void)
{
    const char *env = getenv("NEBULA_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s/topology/", env ? env : "data");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_example),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_scalars_stay_strings),
        cmocka_unit_test(test_malformed_yaml),
        cmocka_unit_test(test_top_level_shape),
        cmocka_unit_test(test_unknown_top_level_keys),
        cmocka_unit_test(test_nodes_shape),
        cmocka_unit_test(test_node_names),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_node_values),
        cmocka_unit_test(test_node_keys),
        cmocka_unit_test(test_integers_and_booleans),
        cmocka_unit_test(test_default_opts),
        cmocka_unit_test(test_unknown_node_listing),
        cmocka_unit_test(test_unknown_nodes_and_tags),
        cmocka_unit_test(test_selector_syntax_and_empty_match),
        cmocka_unit_test(test_selector_accepted),
        cmocka_unit_test(test_transport),
        cmocka_unit_test(test_max_time_extensions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
