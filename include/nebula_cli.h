/*
 * nebula_cli.h — the `nebula` command: a generic node that inspects a live
 * cluster and calls any API from a shell.
 *
 * The command must know the project's API signatures to encode a call, so it is
 * built per project: link libnebula_cli and libnebula with the output of
 * `nebulac --generic` for the project's API sources (CMake does all three in
 * nebula_add_cli_executable), plus a main() that calls nb_cli_main. Usage:
 * `nebula --help`, and docs/cli.md.
 */
#ifndef NEBULA_CLI_H
#define NEBULA_CLI_H

#ifdef __cplusplus
extern "C" {
#endif

/* Exit statuses of nb_cli_main, besides 0 for success. */
#define NB_CLI_EXIT_LIBRARY 2 /* the library reported an error (nb_last_code) */
#define NB_CLI_EXIT_USAGE 64  /* bad command line (as sysexits.h EX_USAGE) */

/* Runs the command line argv[0..argc) (argv[0] is the program name) and returns
 * the process exit status. Starts and stops this process's node itself: call it
 * at most once, without calling nb_start() first. argv is only read. */
int nb_cli_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* NEBULA_CLI_H */
