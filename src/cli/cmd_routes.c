/*
 * cmd_routes.c — `nebula routes`: the routing map. Every API is a rail across
 * every node of the topology, with a mark at the nodes that serve it (where a
 * call runs as a local C call) and bare rail where it would be a remote call.
 * --available overlays what this command sees of the cluster now; --follow
 * redraws it until Ctrl-C or --count frames.
 *
 * The map reads only the public introspection calls (nb_configured_nodes,
 * nb_available_nodes, nb_nodes_info, nb_self_node), so it shows exactly what the
 * router would decide.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dot.h"

#define DEFAULT_WAIT_MS 1500
#define DEFAULT_INTERVAL_MS 1000

static const char routes_help[] =
    "usage: nebula routes [--available] [--follow] [--count N] [--interval MS]\n"
    "                     [--sort name|locality] [--no-color] [--wait MS]\n"
    "       nebula routes --format dot|svg [--wait MS]      (--svg: --format svg)\n"
    "\n"
    "The routing map: one rail per API across every node of the topology, with a\n"
    "mark where the API is local (served by that node: a call there is a direct C\n"
    "call) and bare rail where a call from that node is remote.\n"
    "\n"
    "  --available      overlay the live state this command sees:\n"
    "                     @ local here   * reachable   w worker down   x node down\n"
    "                     ? unknown      - not served\n"
    "  --follow         redraw the live map (implies --available) every --interval\n"
    "                   until Ctrl-C, or --count frames\n"
    "  --count N        with --follow: stop after N frames (default: until Ctrl-C)\n"
    "  --interval MS    with --follow: the time between frames (default 1000)\n"
    "  --sort name      APIs by name (default)\n"
    "  --sort locality  APIs grouped by the first node serving them, then by name\n"
    "  --no-color       no colour even on a terminal (also $NO_COLOR)\n"
    "  --wait MS        wait up to MS ms for connections before the first live frame\n"
    "                   (default 1500; less once some nodes are up and the rest stay\n"
    "                   away 250 ms)\n"
    "\n"
    "  --format text    the map above (default)\n"
    "  --format dot     the live placement as a Graphviz graph: every node, its tags\n"
    "                   and state, and the APIs it serves, marked as --available does\n"
    "  --format svg     that graph drawn by Graphviz's dot (which must be on PATH)\n"
    "  --svg            the same as --format svg\n"
    "\n"
    "The column of the node this command runs as (--as) is marked with '>'.\n";

const char *nb__cli_routes_help(void)
{
    return routes_help;
}

typedef enum routes_format { FORMAT_TEXT, FORMAT_DOT, FORMAT_SVG } routes_format;

typedef struct routes_opts {
    bool available, follow, color, by_locality;
    routes_format format;
    long count;
    int interval_ms, wait_ms;
} routes_opts;

/* A cell's state. */
typedef enum cell {
    CELL_RAIL = 0,    /* not served there */
    CELL_SERVED,      /* served there (the static map) */
    CELL_LOCAL,       /* served by this very node */
    CELL_REACHABLE,   /* connected and serving it now */
    CELL_WORKER_DOWN, /* connected, but not serving it now */
    CELL_NODE_DOWN,   /* configured to serve it, not connected */
    CELL_UNKNOWN      /* no information about that node */
} cell;

/* The mark of each state without colour, and its colour (SGR). */
static const char *const marks[] = {"-", "o", "@", "*", "w", "x", "?"};
static const char *const colors[] = {"2", "1", "1;32", "32", "33", "31", "35"};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Returns -1 to go on, or the exit status (after --help or a usage error). */
static int parse_opts(int argc, char **argv, routes_opts *o)
{
    bool bad = false, no_color = false;
    const char *nc = getenv("NO_COLOR");
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(routes_help, stdout);
            return 0;
        } else if (strcmp(a, "--available") == 0) {
            o->available = true;
        } else if (strcmp(a, "--follow") == 0) {
            o->follow = o->available = true;
        } else if (strcmp(a, "--no-color") == 0) {
            no_color = true;
        } else if (strcmp(a, "--svg") == 0) {
            o->format = FORMAT_SVG;
        } else if ((v = nb__cli_option(argc, argv, &i, "--format", &bad)) != NULL) {
            if (strcmp(v, "text") == 0 || strcmp(v, "dot") == 0 || strcmp(v, "svg") == 0) {
                o->format = v[0] == 't' ? FORMAT_TEXT : v[0] == 'd' ? FORMAT_DOT : FORMAT_SVG;
            } else {
                nb__cli_error("--format: \"%s\" is not text, dot or svg", v);
                bad = true;
            }
        } else if ((v = nb__cli_option(argc, argv, &i, "--wait", &bad)) != NULL) {
            bad = nb__cli_parse_ms("--wait", v, false, &o->wait_ms) != 0;
        } else if ((v = nb__cli_option(argc, argv, &i, "--interval", &bad)) != NULL) {
            bad = nb__cli_parse_ms("--interval", v, false, &o->interval_ms) != 0;
            if (!bad && o->interval_ms == 0) {
                nb__cli_error("--interval: give at least 1 ms");
                bad = true;
            }
        } else if ((v = nb__cli_option(argc, argv, &i, "--count", &bad)) != NULL) {
            char *end;
            o->count = strtol(v, &end, 10);
            if (v[0] == '\0' || *end != '\0' || o->count < 1 || o->count > 1000000) {
                nb__cli_error("--count: \"%s\" is not a number of frames (1 or more)", v);
                bad = true;
            }
        } else if ((v = nb__cli_option(argc, argv, &i, "--sort", &bad)) != NULL) {
            if (strcmp(v, "name") == 0 || strcmp(v, "locality") == 0) {
                o->by_locality = v[0] == 'l';
            } else {
                nb__cli_error("--sort: \"%s\" is not name or locality", v);
                bad = true;
            }
        } else if (!bad) {
            nb__cli_error("routes: unexpected \"%s\" (see nebula routes --help)", a);
            bad = true;
        }
    }
    if (!bad && o->format != FORMAT_TEXT && o->follow) {
        nb__cli_error("routes: --follow redraws the text map; --format %s draws one picture",
                      o->format == FORMAT_DOT ? "dot" : "svg");
        bad = true;
    }
    if (!bad && o->format == FORMAT_SVG && !nb__on_path("dot")) {
        nb__cli_error("routes: --format svg needs Graphviz's dot on PATH (Debian: apt-get install "
                      "graphviz); --format dot prints the graph for it to draw");
        bad = true;
    }
    if (!bad && o->count > 0 && !o->follow) {
        nb__cli_error("routes: --count goes with --follow (see nebula routes --help)");
        bad = true;
    }
    o->color = !no_color && (nc == NULL || nc[0] == '\0') && isatty(STDOUT_FILENO);
    return bad ? NB_CLI_EXIT_USAGE : -1;
}

/* The first node (topology index) serving m, for --sort locality. */
static uint32_t first_server(const nb__method *m)
{
    uint32_t first = UINT32_MAX;
    for (size_t k = 0; k < m->n_serving; k++)
        if (m->serving[k] < first)
            first = m->serving[k];
    return first;
}

static bool by_locality;

static int api_order(const void *a, const void *b)
{
    const nb__method *x = *(const nb__method *const *)a, *y = *(const nb__method *const *)b;
    if (by_locality) {
        uint32_t fx = first_server(x), fy = first_server(y);
        if (fx != fy)
            return fx < fy ? -1 : 1;
    }
    return strcmp(x->name, y->name);
}

/* True when `name` is among names[0..n). */
static bool listed(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/*
 * The state of every node for API m into row[0..n_nodes): configured or not
 * (nb_configured_nodes), and with `live` what this node sees now
 * (nb_available_nodes, and each node's connection in info[0..count)).
 */
static void fill_row(const nb__method *m, bool live, const nb_node_info *info, size_t count,
                     cell *row)
{
    const nb__cluster_def *def = nb__cli_cluster();
    size_t n = def->n_nodes;
    const char **conf = calloc(n + 1, sizeof *conf), **avail = calloc(n + 1, sizeof *avail);
    if (conf == NULL || avail == NULL) {
        free(conf);
        free(avail);
        for (size_t i = 0; i < n; i++)
            row[i] = CELL_UNKNOWN;
        return;
    }
    size_t nc = nb_configured_nodes(m->name, conf, n), na = 0;
    if (nc > n)
        nc = n;
    if (live) {
        na = nb_available_nodes(m->name, avail, n);
        if (na > n)
            na = n;
    }
    const char *self = nb_self_node();
    for (size_t i = 0; i < n; i++) {
        const char *name = def->nodes[i].name;
        if (!listed(conf, nc, name))
            row[i] = CELL_RAIL;
        else if (!live)
            row[i] = CELL_SERVED;
        else if (listed(avail, na, name))
            row[i] = strcmp(name, self) == 0 ? CELL_LOCAL : CELL_REACHABLE;
        else if (strcmp(name, self) == 0)
            row[i] = CELL_WORKER_DOWN;
        else if (i >= count)
            row[i] = CELL_UNKNOWN;
        else
            row[i] = info[i].connected ? CELL_WORKER_DOWN : CELL_NODE_DOWN;
    }
    free(conf);
    free(avail);
}

/* n copies of the UTF-8 rail glyph (or '-'), in colour c when set. */
static void rail(FILE *out, size_t n, const routes_opts *o)
{
    if (n == 0)
        return;
    if (o->color)
        fputs("\033[2m", out);
    for (size_t i = 0; i < n; i++)
        fputs(o->color ? "\xe2\x94\x80" : "-", out);
    if (o->color)
        fputs("\033[0m", out);
}

static void mark(FILE *out, cell c, const routes_opts *o)
{
    if (o->color)
        fprintf(out, "\033[%sm%s\033[0m", colors[c], c == CELL_RAIL ? "\xe2\x94\x80" : marks[c]);
    else
        fputs(marks[c], out);
}

/* One frame of the map. */
static void draw(FILE *out, const routes_opts *o, bool live)
{
    const nb__cluster_def *def = nb__cli_cluster();
    size_t n = def->n_nodes, n_apis = def->n_methods;
    const nb__method **apis = calloc(n_apis + 1, sizeof *apis);
    size_t *width = calloc(n + 1, sizeof *width);
    cell *row = calloc(n + 1, sizeof *row);
    if (apis == NULL || width == NULL || row == NULL) {
        nb__cli_error("out of memory");
        free(apis);
        free(width);
        free(row);
        return;
    }
    for (size_t k = 0; k < n_apis; k++)
        apis[k] = def->methods[k];
    by_locality = o->by_locality;
    qsort(apis, n_apis, sizeof *apis, api_order);

    const char *self = nb_self_node();
    size_t name_w = strlen("API"), sel_w = strlen("SELECTOR");
    for (size_t k = 0; k < n_apis; k++) {
        size_t ln = strlen(apis[k]->name), ls = strlen(apis[k]->selector[0] ? apis[k]->selector : "(every node)");
        name_w = ln > name_w ? ln : name_w;
        sel_w = ls > sel_w ? ls : sel_w;
    }
    fprintf(out, "%-*s  %-*s", (int)name_w, "API", (int)sel_w, "SELECTOR");
    for (size_t i = 0; i < n; i++) {
        bool me = strcmp(def->nodes[i].name, self) == 0;
        width[i] = strlen(def->nodes[i].name) + 1; /* room for the '>' of this node */
        fputs("  ", out);
        if (o->color && me)
            fputs("\033[1;4m", out);
        fprintf(out, "%s%s", me ? ">" : " ", def->nodes[i].name);
        if (o->color && me)
            fputs("\033[0m", out);
    }
    fputc('\n', out);

    nb_node_info *info = NULL;
    size_t count = 0;
    if (live)
        info = nb_nodes_info(&count);
    for (size_t k = 0; k < n_apis; k++) {
        const nb__method *m = apis[k];
        fill_row(m, live, info, count, row);
        fprintf(out, "%-*s  %-*s  ", (int)name_w, m->name, (int)sel_w,
                m->selector[0] ? m->selector : "(every node)");
        /* The rail runs through every column; the mark sits under the name's
         * middle, so each node's marks line up down the map. */
        for (size_t i = 0; i < n; i++) {
            size_t at = width[i] / 2;
            rail(out, at + (i ? 2 : 0), o);
            mark(out, row[i], o);
            rail(out, width[i] - at - 1, o);
        }
        fputc('\n', out);
    }
    if (n_apis == 0)
        fputs("(no API in this build)\n", out);
    nb_nodes_info_free(info, count);
    if (live)
        fputs("@ local here  * reachable  w worker down  x node down  ? unknown  - not served\n", out);
    else
        fputs("o local on that node (a call there is a direct C call)  - remote from that node\n", out);
    free(apis);
    free(width);
    free(row);
}

/* The background of an API's row in a node's box, and its word, per state. */
static const char *const dot_fill[] = {"#ffffff", "#e8eef8", "#c8ecd0", "#c8ecd0",
                                       "#fbe7b0", "#f6c6c6", "#eeeeee"};
static const char *const dot_word[] = {"", "served", "local here", "reachable",
                                       "worker down", "node down", "unknown"};

/*
 * The live placement as a Graphviz graph (the picture of nebulac --explain
 * --format=dot, with what this command sees now): one box per node with its
 * tags and state, and a row per API it is configured to serve, coloured by
 * whether a call can reach it there.
 */
static void draw_dot(FILE *out, const routes_opts *o)
{
    const nb__cluster_def *def = nb__cli_cluster();
    size_t n = def->n_nodes, n_apis = def->n_methods;
    const nb__method **apis = calloc(n_apis + 1, sizeof *apis);
    cell *rows = calloc((n_apis + 1) * (n + 1), sizeof *rows);
    if (apis == NULL || rows == NULL) {
        nb__cli_error("out of memory");
        free(apis);
        free(rows);
        return;
    }
    for (size_t k = 0; k < n_apis; k++)
        apis[k] = def->methods[k];
    by_locality = o->by_locality;
    qsort(apis, n_apis, sizeof *apis, api_order);
    size_t count = 0;
    nb_node_info *info = nb_nodes_info(&count);
    for (size_t k = 0; k < n_apis; k++)
        fill_row(apis[k], true, info, count, rows + k * n);
    const char *self = nb_self_node();
    fputs("/* nebula routes --format=dot: every node of the topology, its tags and state as\n"
          " * this command sees them, and the APIs it is configured to serve, marked live.\n"
          " * Render with: dot -Tsvg */\n", out);
    fputs("graph nebula {\n", out);
    fputs("    graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=", out);
    char title[512];
    snprintf(title, sizeof title, "live placement seen by %s: %zu node(s), %zu API(s)", self,
             n, n_apis);
    nb__dot_put_quoted(out, title);
    fputs("];\n    node [shape=plaintext, fontname=\"Helvetica\", fontsize=11];\n", out);
    for (size_t i = 0; i < n; i++) {
        const nb__node_def *nd = &def->nodes[i];
        bool me = strcmp(nd->name, self) == 0;
        bool up = i < count && info[i].connected;
        const char *state = me ? "this command" : up ? "connected" : "down";
        const char *head = me ? "#1d6b35" : up ? "#2b5797" : "#9a2a2a";
        fputs("    ", out);
        nb__dot_put_quoted(out, nd->name);
        fputs(" [label=<<table border=\"1\" cellborder=\"0\" cellspacing=\"0\" "
              "cellpadding=\"4\">\n", out);
        fprintf(out, "        <tr><td colspan=\"2\" bgcolor=\"%s\"><font color=\"white\"><b>",
                head);
        nb__dot_put_html(out, nd->name);
        fprintf(out, "</b> (%s)</font></td></tr>\n", state);
        fputs("        <tr><td colspan=\"2\"><i>", out);
        for (size_t k = 0; k < nd->n_tags; k++) {
            fputs(k ? " &amp;" : "&amp;", out);
            nb__dot_put_html(out, nd->tags[k]);
        }
        if (nd->n_tags == 0)
            fputs("no tags", out);
        fputs("</i></td></tr>\n", out);
        size_t local = 0;
        for (size_t k = 0; k < n_apis; k++) {
            cell c = rows[k * n + i];
            if (c == CELL_RAIL)
                continue;
            fprintf(out, "        <tr><td align=\"left\" bgcolor=\"%s\">", dot_fill[c]);
            nb__dot_put_html(out, apis[k]->name);
            fprintf(out, "</td><td align=\"right\" bgcolor=\"%s\"><font point-size=\"9\">%s"
                         "</font></td></tr>\n", dot_fill[c], dot_word[c]);
            local++;
        }
        if (local == 0)
            fputs("        <tr><td colspan=\"2\"><font color=\"#777777\">(serves no API)</font>"
                  "</td></tr>\n", out);
        fputs("    </table>>];\n", out);
    }
    fputs("}\n", out);
    nb_nodes_info_free(info, count);
    free(apis);
    free(rows);
}

/* --format svg: the DOT graph piped through Graphviz's dot to stdout. Returns
 * the exit status. */
static int draw_svg(const routes_opts *o)
{
    fflush(stdout);
    FILE *dot = popen("dot -Tsvg", "w");
    if (dot == NULL) {
        nb__cli_error("cannot run Graphviz's dot: %s", strerror(errno));
        return NB_CLI_EXIT_LIBRARY;
    }
    draw_dot(dot, o);
    if (pclose(dot) != 0) {
        nb__cli_error("Graphviz's dot failed to draw the graph (its message is above)");
        return NB_CLI_EXIT_LIBRARY;
    }
    return 0;
}

/* Sleeps ms in short steps; false once Ctrl-C was pressed. */
static bool pause_ms(int ms)
{
    int64_t until = nb__cli_mono_ms() + ms;
    while (!interrupted && nb__cli_mono_ms() < until) {
        struct timespec step = {0, 20000000};
        nanosleep(&step, NULL);
    }
    return !interrupted;
}

int nb__cli_cmd_routes(int argc, char **argv)
{
    routes_opts o = {.wait_ms = DEFAULT_WAIT_MS, .interval_ms = DEFAULT_INTERVAL_MS};
    int rc = parse_opts(argc, argv, &o);
    if (rc >= 0 || (rc = nb__cli_start()) != 0)
        return rc;
    if (o.format != FORMAT_TEXT) {
        nb__cli_wait_nodes(NULL, 0, o.wait_ms, false);
        if (o.format == FORMAT_SVG)
            return draw_svg(&o);
        draw_dot(stdout, &o);
        return 0;
    }
    if (!o.available) {
        draw(stdout, &o, false);
        return 0;
    }
    nb__cli_wait_nodes(NULL, 0, o.wait_ms, false);
    if (!o.follow) {
        draw(stdout, &o, true);
        return 0;
    }
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    bool tty = isatty(STDOUT_FILENO);
    for (long frame = 1; !interrupted; frame++) {
        if (tty)
            fputs("\033[H\033[2J", stdout); /* home, clear: the map redrawn in place */
        else if (frame > 1)
            fputc('\n', stdout);
        draw(stdout, &o, true);
        if (tty)
            printf("every %d ms; Ctrl-C to stop\n", o.interval_ms);
        fflush(stdout);
        if ((o.count > 0 && frame >= o.count) || !pause_ms(o.interval_ms))
            break;
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return 0;
}
