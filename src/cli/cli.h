/*
 * cli.h — what the parts of the `nebula` command share: its node (a generic
 * node started and stopped around each command), command-line helpers, and the
 * commands themselves.
 *
 * Two builds of it. The per-project command is a generic build of the
 * project's own sources (nebulac --generic): the cluster nebulac compiled, with
 * every API's descriptor, is registered before main(). The installed command
 * (any_cluster.c) reads a topology file at run time and learns the APIs from
 * the nodes themselves (DESCRIBE, tool.h) before a command that needs them
 * runs. Either way the commands read the cluster through nb__cli_cluster().
 */
#ifndef NB_CLI_CLI_H
#define NB_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nebula.h"
#include "nebula_cli.h"

/* The cluster this executable was built for. Non-NULL inside every command:
 * nb_cli_main checks it before dispatching. */
const nb__cluster_def *nb__cli_cluster(void);

/*
 * What the installed command adds to the per-project one (NULL hooks: the
 * per-project command). load is called once the global options are read, with
 * the --topology value (NULL when not given), and registers the cluster;
 * learn, before a command that lists or calls APIs, registers its APIs. Each
 * returns 0 or an exit status after reporting.
 */
typedef struct nb__cli_hooks {
    int (*load)(const char *topology);
    int (*learn)(void);
} nb__cli_hooks;

/* nb_cli_main with hooks (see above). */
int nb__cli_run(int argc, char **argv, const nb__cli_hooks *hooks);

/* True in the installed command (nb__cli_run was given hooks). */
bool nb__cli_installed(void);

/* Prints "nebula: <message>\n" to stderr. */
void nb__cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "nebula: [<what>: ]<code name>: <message>" for this thread's last
 * outcome and returns NB_CLI_EXIT_LIBRARY. what may be NULL (the library's
 * messages name the API or the call themselves). */
int nb__cli_library_error(const char *what);

/*
 * Recognizes option `name` at argv[*i]: "--opt VALUE" (advancing *i) or
 * "--opt=VALUE". Returns the value (pointing into argv), or NULL when argv[*i] is
 * another word; a missing value is reported, sets *bad and returns NULL.
 */
const char *nb__cli_option(int argc, char **argv, int *i, const char *name, bool *bad);

/* Parses a count of milliseconds (>= 0, or -1 when allow_forever) given to
 * option `name`. Returns 0, or -1 after reporting. */
int nb__cli_parse_ms(const char *name, const char *text, bool allow_forever, int *out);

/* True for a word that looks like an option this command does not know:
 * "--" and a letter. (A single dash is an argument: "-5" is a number.) */
bool nb__cli_unknown_option(const char *word);

/* Starts this process's node as the generic node named by --as, $NEBULA_NODE
 * or nebula_cli_<pid>@127.0.0.1. Returns 0 or an exit status after reporting. */
int nb__cli_start(void);

/* Leaves the cluster (nb_stop). */
void nb__cli_stop(void);

/*
 * Waits until every configured node whose index is in idx[0..n) is connected
 * (every node when idx is NULL), and with want_runtime has sent its runtime
 * snapshot too. Returns as soon as each of them is either that or known not
 * to be there (a connection to it ended without it: refused, unreachable),
 * at the latest after wait_ms, or 250 ms after the last of them arrived while
 * others are still missing (those are taken to be down).
 */
void nb__cli_wait_nodes(const uint32_t *idx, size_t n, int wait_ms, bool want_runtime);

/* Milliseconds on the monotonic clock and Unix milliseconds. */
int64_t nb__cli_mono_ms(void);
int64_t nb__cli_unix_ms(void);

/* The commands. argv[0] is the command's name; each returns the exit status. */
int nb__cli_cmd_nodes(int argc, char **argv);
int nb__cli_cmd_apis(int argc, char **argv);
int nb__cli_cmd_await(int argc, char **argv);
int nb__cli_cmd_call(int argc, char **argv);
int nb__cli_cmd_routes(int argc, char **argv);
int nb__cli_cmd_stats(int argc, char **argv);

/* The --help text of the command named `name`, or NULL for no such command.
 * Static storage. */
const char *nb__cli_cluster_help(const char *name);
const char *nb__cli_call_help(void);
const char *nb__cli_routes_help(void);
const char *nb__cli_stats_help(void);

#endif /* NB_CLI_CLI_H */
