#include "topology.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util.h"

/*
 * The loader reads the whole file with libyaml's document API, which keeps a
 * start mark on every node, then walks the tree. Every problem is reported where
 * it stands and the walk goes on, so one run shows every mistake of the file; the
 * load fails at the end when any was reported.
 */
typedef struct loader {
    nbc_topology *t;
    yaml_document_t *doc;
    size_t cap; /* allocated entries of t->nodes and t->node_locs */
    bool seen_nodes;
    nbc_loc transport_loc, tls_loc; /* where `transport:` and `tls:` stand (line 0: absent) */
    bool tls_bad;                   /* a value under `tls:` was reported */
} loader;

#define EXAMPLE_NODES "nodes: { \"api@api.example\": [api] }"
#define MS_MAX INT_MAX

/* n is borrowed from the document. */
static nbc_loc loc_of(const loader *L, const yaml_node_t *n)
{
    return (nbc_loc){L->t->path, (int)n->start_mark.line + 1, (int)n->start_mark.column + 1};
}

/* The node is owned by the document. */
static yaml_node_t *node_at(const loader *L, int index)
{
    return yaml_document_get_node(L->doc, index);
}

/* n is borrowed. */
static bool is_scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE;
}

/* The text is owned by the document; scalars are always NUL-terminated by libyaml. */
static const char *text(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* n is borrowed. */
static bool text_is(const yaml_node_t *n, const char *s)
{
    return is_scalar(n) && n->data.scalar.length == strlen(s) && strcmp(text(n), s) == 0;
}

/* Writes how a message names a value into buf (the caller's): "\"abc\"" or "a list". */
static const char *describe(const yaml_node_t *n, char *buf, size_t size)
{
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->data.scalar.length > 60)
        snprintf(buf, size, "\"%.57s...\"", text(n));
    else
        snprintf(buf, size, "\"%s\"", text(n));
    return buf;
}

/* Levenshtein distance of a and b (both borrowed), or a large number for long keys. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The known key closest to key (a static string of known[]), or NULL when none is close. */
static const char *suggest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; known[i] != NULL; i++) {
        size_t d = edit_distance(key, known[i]);
        if (d < best_d && d < strlen(key)) {
            best = known[i];
            best_d = d;
        }
    }
    return best;
}

/* Reports an unknown key of a mapping. All pointers are borrowed; known[] ends with NULL. */
static void unknown_key(const loader *L, const yaml_node_t *key, const char *where,
                        const char *const *known, const char *known_text)
{
    char buf[80];
    const char *name = describe(key, buf, sizeof buf);
    if (!is_scalar(key)) {
        nbc_error(loc_of(L, key), "a key%s must be a name, not %s; %s", where, name, known_text);
        return;
    }
    const char *guess = suggest(text(key), known);
    if (guess != NULL)
        nbc_error(loc_of(L, key), "unknown key %s%s (did you mean \"%s\"?); %s", name, where, guess,
                  known_text);
    else
        nbc_error(loc_of(L, key), "unknown key %s%s; %s", name, where, known_text);
}

/* True (after reporting) when the key of pairs[i] of map already appeared. map is borrowed. */
static bool duplicate_key(const loader *L, const yaml_node_t *map, const yaml_node_pair_t *pair)
{
    const yaml_node_t *key = node_at(L, pair->key);
    if (!is_scalar(key))
        return false;
    for (const yaml_node_pair_t *p = map->data.mapping.pairs.start; p < pair; p++) {
        const yaml_node_t *k = node_at(L, p->key);
        if (is_scalar(k) && text_is(key, text(k))) {
            nbc_error(loc_of(L, key), "duplicate key \"%s\"", text(key));
            nbc_note(loc_of(L, k), "\"%s\" first given here", text(k));
            return true;
        }
    }
    return false;
}

/* True when s[0..len) is decimal digits worth min..max; stores the value. s is borrowed. */
static bool parse_decimal(const char *s, size_t len, long min, long max, long *out)
{
    long v = 0;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
        if (v > max)
            return false;
    }
    if (v < min)
        return false;
    *out = v;
    return true;
}

/* Reads an integer setting; `what` names it in the message (borrowed). */
static void get_int(const loader *L, const yaml_node_t *v, const char *what, long max,
                    const char *unit, int *out)
{
    long value;
    if (is_scalar(v) && parse_decimal(text(v), v->data.scalar.length, 1, max, &value)) {
        *out = (int)value;
        return;
    }
    char buf[80];
    nbc_error(loc_of(L, v), "%s must be an integer from 1 to %ld%s, not %s", what, max, unit,
              describe(v, buf, sizeof buf));
}

/* Reads a count that may be 0; `what` names it in the message (borrowed). */
static void get_count(const loader *L, const yaml_node_t *v, const char *what, long max, int *out)
{
    long value;
    if (is_scalar(v) && parse_decimal(text(v), v->data.scalar.length, 0, max, &value)) {
        *out = (int)value;
        return;
    }
    char buf[80];
    nbc_error(loc_of(L, v), "%s must be an integer from 0 to %ld, not %s", what, max,
              describe(v, buf, sizeof buf));
}

/* Reads a boolean setting; `what` names it in the message (borrowed). */
static void get_bool(const loader *L, const yaml_node_t *v, const char *what, bool *out)
{
    if (text_is(v, "true") || text_is(v, "false")) {
        *out = text_is(v, "true");
        return;
    }
    char buf[80];
    nbc_error(loc_of(L, v), "%s must be true or false, not %s", what, describe(v, buf, sizeof buf));
}

/* Why s[0..len) is not a node name short@host, or NULL when it is one. s is borrowed. */
static const char *name_problem(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (at == NULL)
        return "it is not short@host (e.g. \"db@db.example\")";
    if (!nb__sel_is_ident(s, (size_t)(at - s)))
        return "its short name must be a lowercase identifier ([a-z_][a-z0-9_]*)";
    if (!nb__sel_is_host(at + 1, len - (size_t)(at - s) - 1))
        return "its host must be non-empty and hold only letters, digits, '.', '-' and '_'";
    return NULL;
}

/* True when s[0..len) is "host:port" or "[ipv6]:port" with a port of 1..65535. s is borrowed. */
static bool address_ok(const char *s, size_t len)
{
    size_t colon = len;
    while (colon > 0 && s[colon - 1] != ':')
        colon--;
    long port;
    if (colon == 0 || !parse_decimal(s + colon, len - colon, 1, 65535, &port))
        return false;
    size_t hlen = colon - 1;
    if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
        for (size_t i = 1; i + 1 < hlen; i++)
            if (!strchr("0123456789abcdefABCDEF:.", s[i]) || s[i] == '\0')
                return false;
        return hlen > 2;
    }
    return nb__sel_is_host(s, hlen);
}

/* Duplicates s for the topology; the topology frees it. */
static char *dup_or_die(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d == NULL)
        nbc_oom();
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Appends a node named name (borrowed, already checked) and returns it; the topology owns it. */
static nb__node_def *add_node(loader *L, const char *name, nbc_loc loc)
{
    nbc_topology *t = L->t;
    if (t->n_nodes == L->cap) {
        L->cap = L->cap ? L->cap * 2 : 8;
        t->nodes = realloc(t->nodes, L->cap * sizeof *t->nodes);
        t->node_locs = realloc(t->node_locs, L->cap * sizeof *t->node_locs);
        if (t->nodes == NULL || t->node_locs == NULL)
            nbc_oom();
    }
    size_t len = strlen(name);
    size_t short_len = (size_t)(strchr(name, '@') - name);
    nb__node_def *nd = &t->nodes[t->n_nodes];
    *nd = (nb__node_def){0};
    nd->name = dup_or_die(name, len);
    nd->short_name = dup_or_die(name, short_len);
    nd->host = dup_or_die(name + short_len + 1, len - short_len - 1);
    t->node_locs[t->n_nodes++] = loc;
    return nd;
}

/* Reads a list of tags into nd (owned by the topology); seq is borrowed. */
static void load_tags(const loader *L, nb__node_def *nd, const yaml_node_t *seq)
{
    yaml_node_item_t *items = seq->data.sequence.items.start;
    size_t n = (size_t)(seq->data.sequence.items.top - items);
    char **tags = calloc(n ? n : 1, sizeof *tags);
    if (tags == NULL)
        nbc_oom();
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        const yaml_node_t *item = node_at(L, items[i]);
        char buf[80];
        if (!is_scalar(item)) {
            nbc_error(loc_of(L, item), "tags of node \"%s\" must be names, not %s", nd->name,
                      describe(item, buf, sizeof buf));
            continue;
        }
        if (!nb__sel_is_ident(text(item), item->data.scalar.length)) {
            nbc_error(loc_of(L, item),
                      "tag %s of node \"%s\" must be a lowercase identifier ([a-z_][a-z0-9_]*)",
                      describe(item, buf, sizeof buf), nd->name);
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < kept && !dup; j++)
            dup = strcmp(tags[j], text(item)) == 0;
        if (dup) {
            nbc_error(loc_of(L, item), "duplicate tag \"%s\" on node \"%s\"", text(item), nd->name);
            continue;
        }
        tags[kept++] = dup_or_die(text(item), item->data.scalar.length);
    }
    nd->tags = (const char *const *)tags;
    nd->n_tags = kept;
}

static const char *const node_keys[] = {"tags", "port", "address", "metrics_listen", NULL};

/* Reads { tags: [...], port: N, address: "host:port", metrics_listen: "host:port" }
 * into nd; map is borrowed. */
static void load_node_map(const loader *L, nb__node_def *nd, const yaml_node_t *map)
{
    bool has_tags = false;
    char what[300];
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *key = node_at(L, p->key), *v = node_at(L, p->value);
        if (duplicate_key(L, map, p))
            continue;
        if (text_is(key, "tags")) {
            has_tags = true;
            if (v->type == YAML_SEQUENCE_NODE)
                load_tags(L, nd, v);
            else
                nbc_error(loc_of(L, v),
                          "\"tags\" of node \"%s\" must be a list of tags, e.g. [db, cache]",
                          nd->name);
        } else if (text_is(key, "port")) {
            snprintf(what, sizeof what, "\"port\" of node \"%s\"", nd->name);
            get_int(L, v, what, 65535, "", &nd->port);
        } else if (text_is(key, "address")) {
            char buf[80];
            if (is_scalar(v) && address_ok(text(v), v->data.scalar.length))
                nd->address = dup_or_die(text(v), v->data.scalar.length);
            else
                nbc_error(
                    loc_of(L, v),
                    "\"address\" of node \"%s\" must be host:port with a port from 1 to 65535 "
                    "(e.g. \"10.0.0.7:4370\"), not %s",
                    nd->name, describe(v, buf, sizeof buf));
        } else if (text_is(key, "metrics_listen")) {
            char buf[80];
            if (is_scalar(v) && address_ok(text(v), v->data.scalar.length))
                nd->metrics_listen = dup_or_die(text(v), v->data.scalar.length);
            else
                nbc_error(loc_of(L, v),
                          "\"metrics_listen\" of node \"%s\" must be host:port with a port from 1 "
                          "to 65535 (e.g. \"127.0.0.1:9464\"), not %s",
                          nd->name, describe(v, buf, sizeof buf));
        } else {
            snprintf(what, sizeof what, " in node \"%s\"", nd->name);
            unknown_key(L, key, what, node_keys,
                        "known keys are tags, port, address and metrics_listen");
        }
    }
    if (!has_tags)
        nbc_error(loc_of(L, map),
                  "node \"%s\" has no \"tags\"; add tags: [...] (an empty list is allowed)",
                  nd->name);
}

/* Reads one entry of `nodes`; key and value are borrowed. */
static void load_node(loader *L, const yaml_node_t *key, const yaml_node_t *value)
{
    char buf[80];
    if (!is_scalar(key)) {
        nbc_error(loc_of(L, key), "a node name must be a string short@host, not %s",
                  describe(key, buf, sizeof buf));
        return;
    }
    const char *name = text(key);
    const char *why = name_problem(name, key->data.scalar.length);
    if (why != NULL) {
        nbc_error(loc_of(L, key), "node name %s is not valid: %s", describe(key, buf, sizeof buf),
                  why);
        return;
    }
    if (strcmp(name, "nonode@nohost") == 0) {
        nbc_error(
            loc_of(L, key),
            "node name \"nonode@nohost\" is reserved for builds without a node name; remove it "
            "(set allow_nonode_nohost: true to allow such a generic build)");
        return;
    }
    int first = nbc_topology_find(L->t, name);
    if (first >= 0) {
        nbc_error(loc_of(L, key), "duplicate node \"%s\"", name);
        nbc_note(L->t->node_locs[first], "\"%s\" first defined here", name);
        return;
    }
    nb__node_def *nd = add_node(L, name, loc_of(L, key));
    if (value->type == YAML_SEQUENCE_NODE)
        load_tags(L, nd, value);
    else if (value->type == YAML_MAPPING_NODE)
        load_node_map(L, nd, value);
    else if (value->data.scalar.length == 0)
        nbc_error(loc_of(L, value),
                  "node \"%s\" has no value; give it a list of tags, e.g. [db, cache], "
                  "or [] for none",
                  name);
    else
        nbc_error(loc_of(L, value),
                  "node \"%s\" must map to a list of tags, e.g. [db, cache], or to "
                  "{ tags: [...], port: N, address: \"host:port\" }, not %s",
                  name, describe(value, buf, sizeof buf));
}

/* Reads the `nodes` mapping; v is borrowed. */
static void load_nodes(loader *L, const yaml_node_t *v)
{
    L->seen_nodes = true;
    bool empty_scalar = is_scalar(v) && v->data.scalar.length == 0;
    if (v->type == YAML_MAPPING_NODE && v->data.mapping.pairs.top == v->data.mapping.pairs.start)
        empty_scalar = true;
    if (empty_scalar) {
        nbc_error(loc_of(L, v), "\"nodes\" is empty: list at least one node, e.g. " EXAMPLE_NODES);
        return;
    }
    if (v->type != YAML_MAPPING_NODE) {
        char buf[80];
        nbc_error(loc_of(L, v),
                  "\"nodes\" must be a mapping of node names to tags, e.g. " EXAMPLE_NODES
                  ", not %s",
                  describe(v, buf, sizeof buf));
        return;
    }
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++)
        load_node(L, node_at(L, p->key), node_at(L, p->value));
}

/* Reads default_opts; v is borrowed. */
static void load_default_opts(loader *L, const yaml_node_t *v)
{
    static const char *const keys[] = {"self_node", NULL};
    char buf[80];
    if (v->type != YAML_MAPPING_NODE) {
        nbc_error(loc_of(L, v),
                  "\"default_opts\" must be a mapping, e.g. default_opts: { self_node: "
                  "\"api@api.example\" }, not %s",
                  describe(v, buf, sizeof buf));
        return;
    }
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = node_at(L, p->key), *val = node_at(L, p->value);
        if (duplicate_key(L, v, p))
            continue;
        if (!text_is(key, "self_node")) {
            unknown_key(L, key, " in default_opts", keys, "the only known key is self_node");
            continue;
        }
        const char *why = is_scalar(val) ? name_problem(text(val), val->data.scalar.length)
                                         : "it is not short@host (e.g. \"db@db.example\")";
        if (why != NULL) {
            nbc_error(loc_of(L, val), "default_opts.self_node %s is not a valid node name: %s",
                      describe(val, buf, sizeof buf), why);
            continue;
        }
        free(L->t->default_self_node);
        L->t->default_self_node = dup_or_die(text(val), val->data.scalar.length);
        L->t->default_self_node_loc = loc_of(L, val);
    }
}

static const char *const transport_names[] = {"psk", "mtls", "plain"};

const char *nbc_transport_name(int transport)
{
    return transport >= 0 && transport < 3 ? transport_names[transport] : "?";
}

/* Reads `transport: psk|mtls|plain`; v is borrowed. */
static void load_transport(loader *L, const yaml_node_t *v)
{
    L->transport_loc = loc_of(L, v);
    for (int i = 0; i < 3; i++) {
        if (text_is(v, transport_names[i])) {
            L->t->transport = i;
            return;
        }
    }
    char buf[80];
    nbc_error(loc_of(L, v), "\"transport\" must be psk, mtls or plain, not %s",
              describe(v, buf, sizeof buf));
}

/*
 * The absolute form of a `tls:` path: as given when absolute, else joined to the
 * directory of the topology file (made absolute), so the node finds its files
 * from any working directory. Returns a string the topology owns.
 */
static char *tls_path(const loader *L, const char *p, size_t n)
{
    if (p[0] == '/')
        return dup_or_die(p, n);
    const char *slash = strrchr(L->t->path, '/');
    char *dir = slash
                    ? dup_or_die(L->t->path, slash == L->t->path ? 1 : (size_t)(slash - L->t->path))
                    : dup_or_die(".", 1);
    char *abs = realpath(dir, NULL);
    const char *base = abs ? abs : dir;
    size_t bl = strlen(base);
    char *out = malloc(bl + 1 + n + 1);
    if (out == NULL)
        nbc_oom();
    memcpy(out, base, bl);
    out[bl] = '/';
    memcpy(out + bl + 1, p, n);
    out[bl + 1 + n] = '\0';
    free(abs);
    free(dir);
    return out;
}

static const char *const tls_keys[] = {"ca", "cert", "key", NULL};

/* Reads `tls: { ca, cert, key }`; v is borrowed. */
static void load_tls(loader *L, const yaml_node_t *v)
{
    char buf[80];
    nbc_topology *t = L->t;
    L->tls_loc = loc_of(L, v);
    if (v->type != YAML_MAPPING_NODE) {
        nbc_error(loc_of(L, v),
                  "\"tls\" must be a mapping, e.g. tls: { ca: certs/ca.pem, cert: "
                  "\"certs/{node}.pem\", key: \"certs/{node}.key\" }, not %s",
                  describe(v, buf, sizeof buf));
        return;
    }
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = node_at(L, p->key), *val = node_at(L, p->value);
        if (duplicate_key(L, v, p))
            continue;
        char **slot = text_is(key, "ca")     ? &t->tls_ca
                      : text_is(key, "cert") ? &t->tls_cert
                      : text_is(key, "key")  ? &t->tls_key
                                             : NULL;
        if (slot == NULL) {
            unknown_key(L, key, " in tls", tls_keys, "known keys are ca, cert and key");
            L->tls_bad = true;
            continue;
        }
        if (!is_scalar(val) || val->data.scalar.length == 0 ||
            memchr(text(val), '\0', val->data.scalar.length) != NULL) {
            nbc_error(
                loc_of(L, val), "\"tls.%s\" must be the path of a PEM file, not %s", text(key),
                is_scalar(val) && val->data.scalar.length == 0 ? "empty"
                                                               : describe(val, buf, sizeof buf));
            L->tls_bad = true;
            continue;
        }
        *slot = tls_path(L, text(val), val->data.scalar.length);
    }
}

/* After the whole file: mtls needs its three files, and `tls:` means mtls. */
static void check_transport(const loader *L)
{
    const nbc_topology *t = L->t;
    bool has_tls = L->tls_loc.line != 0;
    if (t->transport == NBC_TRANSPORT_MTLS && !has_tls) {
        nbc_error(L->transport_loc, "transport mtls needs tls: { ca, cert, key } (the CA, this "
                                    "node's certificate and key, PEM files)");
    } else if (has_tls && t->transport != NBC_TRANSPORT_MTLS) {
        nbc_error(L->tls_loc, "\"tls\" applies to transport: mtls only, and the transport is %s%s",
                  nbc_transport_name(t->transport),
                  L->transport_loc.line ? "" : " (the default); add transport: mtls");
    } else if (has_tls) {
        const char *missing = !t->tls_ca     ? "ca"
                              : !t->tls_cert ? "cert"
                              : !t->tls_key  ? "key"
                                             : NULL;
        /* A value reported as bad above is not reported missing again. */
        if (missing != NULL && !L->tls_bad)
            nbc_error(L->tls_loc,
                      "\"tls\" is missing \"%s\": transport mtls needs ca, cert and key", missing);
    }
}

static const char *const top_keys[] = {
    "nodes",
    "port",
    "default_timeout",
    "nodes_info_refresh_interval",
    "max_concurrent_calls",
    "heartbeat_interval",
    "max_time_extensions",
    "allow_nonode_nohost",
    "allow_unknown_self_node",
    "default_opts",
    "transport",
    "tls",
    NULL,
};

#define TOP_KEYS_TEXT                                                                              \
    "known keys are nodes, port, default_timeout, nodes_info_refresh_interval, "                   \
    "max_concurrent_calls, heartbeat_interval, max_time_extensions, allow_nonode_nohost, "         \
    "allow_unknown_self_node, default_opts, transport and tls"

/* Dispatches one top-level key; key and v are borrowed. */
static void load_top_key(loader *L, const yaml_node_t *key, const yaml_node_t *v)
{
    nbc_topology *t = L->t;
    if (text_is(key, "nodes"))
        load_nodes(L, v);
    else if (text_is(key, "port"))
        get_int(L, v, "\"port\"", 65535, "", &t->port);
    else if (text_is(key, "default_timeout"))
        get_int(L, v, "\"default_timeout\"", MS_MAX, " (milliseconds)", &t->default_timeout_ms);
    else if (text_is(key, "nodes_info_refresh_interval"))
        get_int(L, v, "\"nodes_info_refresh_interval\"", MS_MAX, " (milliseconds)",
                &t->nodes_info_refresh_interval_ms);
    else if (text_is(key, "max_concurrent_calls"))
        get_int(L, v, "\"max_concurrent_calls\"", INT_MAX, "", &t->max_concurrent_calls);
    else if (text_is(key, "heartbeat_interval"))
        get_int(L, v, "\"heartbeat_interval\"", MS_MAX, " (milliseconds)",
                &t->heartbeat_interval_ms);
    else if (text_is(key, "max_time_extensions"))
        get_count(L, v, "\"max_time_extensions\"", 1000000, &t->max_time_extensions);
    else if (text_is(key, "allow_nonode_nohost"))
        get_bool(L, v, "\"allow_nonode_nohost\"", &t->allow_nonode_nohost);
    else if (text_is(key, "allow_unknown_self_node"))
        get_bool(L, v, "\"allow_unknown_self_node\"", &t->allow_unknown_self_node);
    else if (text_is(key, "default_opts"))
        load_default_opts(L, v);
    else if (text_is(key, "transport"))
        load_transport(L, v);
    else if (text_is(key, "tls"))
        load_tls(L, v);
    else
        unknown_key(L, key, "", top_keys, TOP_KEYS_TEXT);
}

/* Walks the document's root; root is borrowed. */
static void load_root(loader *L, const yaml_node_t *root)
{
    if (root == NULL) {
        nbc_error((nbc_loc){L->t->path, 1, 1},
                  "the topology is empty; it needs at least the node list, e.g. " EXAMPLE_NODES);
        return;
    }
    if (root->type != YAML_MAPPING_NODE) {
        char buf[80];
        nbc_error(loc_of(L, root),
                  "the topology must be a mapping of settings (nodes:, port:, ...), not %s",
                  describe(root, buf, sizeof buf));
        return;
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++)
        if (!duplicate_key(L, root, p))
            load_top_key(L, node_at(L, p->key), node_at(L, p->value));
    if (!L->seen_nodes)
        nbc_error(loc_of(L, root),
                  "missing \"nodes\": the topology must list its nodes, e.g. " EXAMPLE_NODES);
}

/* The line and byte column of byte `offset` of the open file fp (borrowed). */
static nbc_loc locate_offset(const loader *L, FILE *fp, size_t offset)
{
    nbc_loc at = {L->t->path, 1, 1};
    rewind(fp);
    for (size_t i = 0; i < offset; i++) {
        int c = getc(fp);
        if (c == EOF)
            break;
        at.col = c == '\n' ? 1 : at.col + 1;
        at.line += c == '\n';
    }
    return at;
}

/* Reports libyaml's own complaint about a malformed file; parser and fp are borrowed. */
static void report_yaml_error(const loader *L, const yaml_parser_t *parser, FILE *fp)
{
    yaml_mark_t m = parser->problem_mark;
    if (parser->error == YAML_READER_ERROR) {
        /* The reader sees bytes, not lines: find the line of its offset ourselves. */
        nbc_error(locate_offset(L, fp, parser->problem_offset),
                  "invalid YAML: %s (byte %zu of the file)",
                  parser->problem ? parser->problem : "unreadable input", parser->problem_offset);
        return;
    }
    nbc_loc at = {L->t->path, (int)m.line + 1, (int)m.column + 1};
    const char *problem = parser->problem ? parser->problem : "malformed document";
    yaml_mark_t c = parser->context_mark;
    if (parser->context == NULL)
        nbc_error(at, "invalid YAML: %s", problem);
    else if (c.line == m.line && c.column == m.column)
        nbc_error(at, "invalid YAML: %s (%s)", problem, parser->context);
    else
        nbc_error(at, "invalid YAML: %s (%s that starts at line %zu, column %zu)", problem,
                  parser->context, c.line + 1, c.column + 1);
}

/* Parses the open file fp (the caller closes it) into L->t, reporting problems. */
static void load_file(loader *L, FILE *fp)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        nbc_oom();
    yaml_parser_set_input_file(&parser, fp);
    if (!yaml_parser_load(&parser, &doc)) {
        report_yaml_error(L, &parser, fp);
        yaml_parser_delete(&parser);
        return;
    }
    L->doc = &doc;
    load_root(L, yaml_document_get_root_node(&doc));
    yaml_document_delete(&doc);
    /* A second document would be silently ignored: say so instead. */
    if (!yaml_parser_load(&parser, &doc)) {
        report_yaml_error(L, &parser, fp);
    } else {
        yaml_node_t *extra = yaml_document_get_root_node(&doc);
        if (extra != NULL)
            nbc_error(loc_of(L, extra),
                      "the topology must be a single YAML document; remove this second one");
        yaml_document_delete(&doc);
    }
    L->doc = NULL;
    yaml_parser_delete(&parser);
}

/* path is borrowed (copied into topo->path); topo is the caller's, freed by nbc_topology_free. */
/* Where a node is reached, "host:port" (its address: when given); malloc'd. */
static char *endpoint(const nb__node_def *nd)
{
    nbc_buf b = {0};
    if (nd->address != NULL)
        nbc_buf_puts(&b, nd->address);
    else
        nbc_buf_printf(&b, "%s:%d", nd->host, nd->port);
    return nbc_buf_take(&b);
}

/* Loopback clusters (tests, one machine) are re-addressed with NEBULA_ADDRESSES
 * at run time, so nodes there may share the file's default port. */
static bool is_loopback(const nb__node_def *nd)
{
    const char *h = nd->address != NULL ? nd->address : nd->host;
    return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 || strncmp(h, "[::1]", 5) == 0 ||
           strcmp(h, "::1") == 0;
}

/* Two nodes reached at one host:port would be one process answering as both:
 * reported at the second, with a note at the first (loopback hosts aside, see
 * is_loopback). Returns -1 after reporting. */
static int check_endpoints(const nbc_topology *topo)
{
    int rc = 0;
    char **ends = calloc(topo->n_nodes + 1, sizeof *ends);
    if (ends == NULL)
        nbc_oom();
    for (size_t i = 0; i < topo->n_nodes; i++) {
        ends[i] = endpoint(&topo->nodes[i]);
        for (size_t j = 0; j < i && !is_loopback(&topo->nodes[i]); j++) {
            if (strcmp(ends[i], ends[j]) != 0)
                continue;
            nbc_error(topo->node_locs[i], "nodes \"%s\" and \"%s\" are both reached at %s: give them "
                      "different ports (port:) or addresses (address:)",
                      topo->nodes[j].name, topo->nodes[i].name, ends[i]);
            nbc_note(topo->node_locs[j], "\"%s\" is here", topo->nodes[j].name);
            rc = -1;
            break;
        }
    }
    for (size_t i = 0; i < topo->n_nodes; i++)
        free(ends[i]);
    free(ends);
    return rc;
}

int nbc_topology_load(const char *path, nbc_topology *topo)
{
    *topo = (nbc_topology){
        .port = 4370,
        .default_timeout_ms = 5000,
        .nodes_info_refresh_interval_ms = 5000,
        .max_concurrent_calls = 64,
        .heartbeat_interval_ms = 500,
        .max_time_extensions = 10,
    };
    topo->path = dup_or_die(path, strlen(path));
    int errors_before = nbc_error_count();
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        nbc_error((nbc_loc){topo->path, 1, 1}, "cannot read the topology: %s", strerror(errno));
        nbc_topology_free(topo);
        return -1;
    }
    loader L = {.t = topo};
    load_file(&L, fp);
    fclose(fp);
    check_transport(&L);
    if (nbc_error_count() != errors_before) {
        nbc_topology_free(topo);
        return -1;
    }
    /* The default port may come after the nodes in the file, so it is applied last. */
    for (size_t i = 0; i < topo->n_nodes; i++)
        if (topo->nodes[i].port == 0)
            topo->nodes[i].port = topo->port;
    if (check_endpoints(topo) != 0) {
        nbc_topology_free(topo);
        return -1;
    }
    return 0;
}

/* Frees everything the topology owns and zeroes it; topo itself is the caller's. */
void nbc_topology_free(nbc_topology *topo)
{
    for (size_t i = 0; i < topo->n_nodes; i++) {
        nb__node_def *nd = &topo->nodes[i];
        for (size_t j = 0; j < nd->n_tags; j++)
            free((char *)nd->tags[j]);
        free((void *)nd->tags);
        free((char *)nd->name);
        free((char *)nd->short_name);
        free((char *)nd->host);
        free((char *)nd->address);
        free((char *)nd->metrics_listen);
    }
    free(topo->nodes);
    free(topo->node_locs);
    free(topo->default_self_node);
    free(topo->tls_ca);
    free(topo->tls_cert);
    free(topo->tls_key);
    free(topo->path);
    *topo = (nbc_topology){0};
}

/* topo and name are borrowed. */
int nbc_topology_find(const nbc_topology *topo, const char *name)
{
    for (size_t i = 0; i < topo->n_nodes; i++)
        if (strcmp(topo->nodes[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Appends a term as users type it, without its negation; b and name are borrowed. */
static void put_term(nbc_buf *b, nb__sel_kind kind, const char *name)
{
    if (kind == NB__SEL_FULL)
        nbc_buf_printf(b, "\n- @:\"%s\"", name);
    else
        nbc_buf_printf(b, "\n- %c%s", kind == NB__SEL_TAG ? '&' : '@', name);
}

/* The "Available nodes :" list: each short name once, then each full name. */
static void put_available_nodes(nbc_buf *b, const nbc_topology *topo)
{
    nbc_buf_puts(b, "\nAvailable nodes :");
    for (size_t i = 0; i < topo->n_nodes; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(topo->nodes[j].short_name, topo->nodes[i].short_name) == 0;
        if (!seen)
            put_term(b, NB__SEL_SHORT, topo->nodes[i].short_name);
        put_term(b, NB__SEL_FULL, topo->nodes[i].name);
    }
}

/* True when a tag appears on a node before nodes[i].tags[k]; topo is borrowed. */
static bool tag_seen_before(const nbc_topology *topo, size_t i, size_t k)
{
    const char *tag = topo->nodes[i].tags[k];
    for (size_t a = 0; a <= i; a++)
        for (size_t c = 0; c < (a == i ? k : topo->nodes[a].n_tags); c++)
            if (strcmp(topo->nodes[a].tags[c], tag) == 0)
                return true;
    return false;
}

/* The "Available tags :" list, in order of first appearance. */
static void put_available_tags(nbc_buf *b, const nbc_topology *topo)
{
    nbc_buf_puts(b, "\nAvailable tags :");
    for (size_t i = 0; i < topo->n_nodes; i++)
        for (size_t k = 0; k < topo->nodes[i].n_tags; k++)
            if (!tag_seen_before(topo, i, k))
                put_term(b, NB__SEL_TAG, topo->nodes[i].tags[k]);
}

/* "Did you mean &cache?" after the listing, when a known name is close to the
 * first unknown term. msg, topo and t are borrowed. */
static void put_did_you_mean(nbc_buf *msg, const nbc_topology *topo, const nb__sel_term *t)
{
    const char **known = calloc(2 * topo->n_nodes + 1, sizeof *known);
    size_t n = 0;
    if (known == NULL)
        nbc_oom();
    for (size_t i = 0; i < topo->n_nodes; i++) {
        const nb__node_def *nd = &topo->nodes[i];
        if (t->kind == NB__SEL_TAG) {
            for (size_t k = 0; k < nd->n_tags; k++)
                if (n < 2 * topo->n_nodes)
                    known[n++] = nd->tags[k];
        } else {
            known[n++] = t->kind == NB__SEL_FULL ? nd->name : nd->short_name;
        }
    }
    known[n] = NULL;
    /* Closer than suggest() asks for keys: "&gpu" is no misspelt "&api". */
    const char *best = suggest(t->name, known);
    if (best != NULL && edit_distance(t->name, best) > (strlen(t->name) <= 4 ? 1u : 2u))
        best = NULL;
    if (best != NULL && t->kind == NB__SEL_FULL)
        nbc_buf_printf(msg, "\nDid you mean @:\"%s\"?", best);
    else if (best != NULL)
        nbc_buf_printf(msg, "\nDid you mean %c%s?", t->kind == NB__SEL_TAG ? '&' : '@', best);
    free(known);
}

/* Whether the term belongs to the family being reported (nodes or tags). */
static bool in_family(const nb__sel_term *t, bool nodes)
{
    return (t->kind != NB__SEL_TAG) == nodes;
}

/* True when sel->terms[i] repeats an earlier term up to negation; sel is borrowed. */
static bool repeats_earlier(const nb__selector *sel, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (sel->terms[j].kind == sel->terms[i].kind &&
            strcmp(sel->terms[j].name, sel->terms[i].name) == 0)
            return true;
    return false;
}

/*
 * Reports the selector's unknown nodes (or tags) in the reference README's
 * shape, at the first unknown one. Returns whether it reported. All borrowed.
 */
static bool report_unknown(const nbc_topology *topo, const nb__selector *sel, nbc_loc loc,
                           const char *what, bool nodes)
{
    nbc_buf msg = {0};
    const nb__sel_term *first = NULL;
    nbc_buf_printf(&msg, "Unknown %s in %s :", nodes ? "nodes" : "tags", what);
    for (size_t i = 0; i < sel->n_terms; i++) {
        const nb__sel_term *t = &sel->terms[i];
        if (!in_family(t, nodes) || nb__sel_term_known(t, topo->nodes, topo->n_nodes))
            continue;
        if (first == NULL)
            first = t;
        if (!repeats_earlier(sel, i))
            put_term(&msg, t->kind, t->name);
    }
    if (first != NULL) {
        if (nodes)
            put_available_nodes(&msg, topo);
        else
            put_available_tags(&msg, topo);
        put_did_you_mean(&msg, topo, first);
        loc.col += (int)first->offset;
        nbc_error(loc, "%s", nbc_buf_str(&msg));
    }
    nbc_buf_free(&msg);
    return first != NULL;
}

/* topo, text and what are borrowed; on success *out is the caller's (nb__sel_free). */
int nbc_selector_check(const nbc_topology *topo, const char *text, nbc_loc loc, const char *what,
                       nb__selector *out)
{
    nb__selector sel;
    size_t offset;
    const char *why;
    if (text == NULL)
        text = "";
    if (nb__sel_parse(text, strlen(text), &sel, &offset, &why) < 0) {
        nbc_error((nbc_loc){loc.file, loc.line, loc.col + (int)offset},
                  "invalid selector \"%s\": %s", text, why);
        return -1;
    }
    bool unknown_nodes = report_unknown(topo, &sel, loc, what, true);
    bool unknown_tags = report_unknown(topo, &sel, loc, what, false);
    if (!unknown_nodes && !unknown_tags && nb__sel_count(&sel, topo->nodes, topo->n_nodes) == 0)
        nbc_error(loc, "selector \"%s\" matches no node of the topology", text);
    else if (!unknown_nodes && !unknown_tags) {
        *out = sel;
        return 0;
    }
    nb__sel_free(&sel);
    return -1;
}
