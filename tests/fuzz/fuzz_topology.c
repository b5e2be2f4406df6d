/*
 * fuzz_topology — nebulac's topology loader (topology.h) on any bytes given as
 * nebula.yaml: it must end in a topology that holds together or in
 * `file:line:col: error:` diagnostics, never in a crash, a hang or a leak.
 *
 * Checked for every input:
 *   - success reports no error, and the topology is consistent: at least one
 *     node, every name is short@host with a valid short name and host, names
 *     unique and found by nbc_topology_find, ports and settings in range, tags
 *     valid and unique per node, and every tag selects at least one node through
 *     nbc_selector_check;
 *   - failure reports at least one error, the first diagnostic starts with
 *     "<path>:<line>:<col>: error: " where line and col are at least 1 and the
 *     line is within the file;
 *   - the loader frees everything on failure, nbc_topology_free on success
 *     (libFuzzer's leak check runs on every input);
 *   - when the input has a line "#sel <text>" (a YAML comment) and loads, the
 *     selector text is checked against the topology as nebulac checks the
 *     selectors of the sources: accepted means every term names something
 *     that exists and at least one node matches; refused means an error at
 *     the selector's line, at or after its first column.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_topology: check failed: %s (%s:%d)\n", #cond, __FILE__,          \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static char scratch[4096];
static char path[4200];

static void remove_scratch(void)
{
    unlink(path);
    rmdir(scratch);
}

/* The loader reads a file: each input is written to one in a private directory. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/nb_fuzz_topology_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(scratch) == NULL) {
        perror("fuzz_topology: mkdtemp");
        exit(1);
    }
    snprintf(path, sizeof path, "%s/nebula.yaml", scratch);
    atexit(remove_scratch);
    return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f != NULL);
    FZ_CHECK(fwrite(data, 1, size, f) == size);
    FZ_CHECK(fclose(f) == 0);
}

static void check_topology(const nbc_topology *t)
{
    FZ_CHECK(t->n_nodes >= 1);
    FZ_CHECK(t->port >= 1 && t->port <= 65535);
    FZ_CHECK(t->default_timeout_ms >= 1 && t->nodes_info_refresh_interval_ms >= 1);
    FZ_CHECK(t->max_concurrent_calls >= 1 && t->heartbeat_interval_ms >= 1);
    for (size_t i = 0; i < t->n_nodes; i++) {
        const nb__node_def *nd = &t->nodes[i];
        size_t ls = strlen(nd->short_name), lh = strlen(nd->host);
        FZ_CHECK(nb__sel_is_ident(nd->short_name, ls));
        FZ_CHECK(nb__sel_is_host(nd->host, lh));
        FZ_CHECK(strlen(nd->name) == ls + 1 + lh);
        FZ_CHECK(memcmp(nd->name, nd->short_name, ls) == 0 && nd->name[ls] == '@' &&
                 strcmp(nd->name + ls + 1, nd->host) == 0);
        FZ_CHECK(nbc_topology_find(t, nd->name) == (int)i);
        FZ_CHECK(nd->port >= 1 && nd->port <= 65535);
        FZ_CHECK(t->node_locs[i].line >= 1 && t->node_locs[i].col >= 1);
        for (size_t k = 0; k < nd->n_tags; k++) {
            FZ_CHECK(nb__sel_is_ident(nd->tags[k], strlen(nd->tags[k])));
            for (size_t j = 0; j < k; j++)
                FZ_CHECK(strcmp(nd->tags[j], nd->tags[k]) != 0);
            char text[256];
            if ((size_t)snprintf(text, sizeof text, "&%s", nd->tags[k]) >= sizeof text)
                continue;
            nb__selector sel;
            nbc_loc at = {path, 1, 1};
            FZ_CHECK(nbc_selector_check(t, text, at, "fuzz", &sel) == 0);
            FZ_CHECK(nb__sel_match(&sel, nd));
            nb__sel_free(&sel);
        }
    }
}

/* The first diagnostic of text (NUL-terminated) is "<path>:<line>:<col>: error: ". */
static void check_diagnostic(const char *text, const uint8_t *data, size_t size)
{
    size_t plen = strlen(path);
    FZ_CHECK(strncmp(text, path, plen) == 0 && text[plen] == ':');
    char *end;
    long line = strtol(text + plen + 1, &end, 10);
    FZ_CHECK(*end == ':');
    long col = strtol(end + 1, &end, 10);
    FZ_CHECK(strncmp(end, ": error: ", 9) == 0);
    /* An upper bound: libyaml also breaks lines at \r, NEL (0x85) and U+2028/9. */
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xe2;
    FZ_CHECK(line >= 1 && (size_t)line <= lines + 1);
    FZ_CHECK(col >= 1);
}

/* Reads diagnostics from here on; returns the stream to close with capture_end. */
static FILE *capture_start(char **text, size_t *len)
{
    FILE *capture = open_memstream(text, len);
    FZ_CHECK(capture != NULL);
    nbc_diag_set_stream(capture);
    return capture;
}

static void capture_end(FILE *capture)
{
    nbc_diag_set_stream(NULL);
    FZ_CHECK(fclose(capture) == 0);
}

/* The selector after the last "#sel " starting a line, as a C string the caller
 * frees (it ends at a newline or a NUL), or NULL. */
static char *selector_line(const uint8_t *data, size_t size)
{
    const char *found = NULL;
    for (size_t i = 0; i + 5 <= size; i++)
        if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "#sel ", 5) == 0)
            found = (const char *)data + i + 5;
    if (found == NULL)
        return NULL;
    size_t n = 0, max = size - (size_t)(found - (const char *)data);
    while (n < max && found[n] != '\n' && found[n] != '\0')
        n++;
    char *text = strndup(found, n);
    FZ_CHECK(text != NULL);
    return text;
}

#define SEL_LINE 7
#define SEL_COL 3

static void check_selector(const nbc_topology *t, const char *text)
{
    char *diag = NULL;
    size_t diag_len = 0;
    FILE *capture = capture_start(&diag, &diag_len);
    int before = nbc_error_count();
    nb__selector sel;
    nbc_loc at = {path, SEL_LINE, SEL_COL};
    int rc = nbc_selector_check(t, text, at, "fuzz", &sel);
    capture_end(capture);
    int errors = nbc_error_count() - before;
    if (rc == 0) {
        FZ_CHECK(errors == 0);
        FZ_CHECK(nb__sel_count(&sel, t->nodes, t->n_nodes) >= 1);
        for (size_t i = 0; i < sel.n_terms; i++)
            FZ_CHECK(nb__sel_term_known(&sel.terms[i], t->nodes, t->n_nodes));
        nb__sel_free(&sel);
    } else {
        FZ_CHECK(rc == -1 && errors > 0);
        char prefix[4300];
        snprintf(prefix, sizeof prefix, "%s:%d:", path, SEL_LINE);
        size_t plen = strlen(prefix);
        FZ_CHECK(strncmp(diag, prefix, plen) == 0);
        char *end;
        long col = strtol(diag + plen, &end, 10);
        FZ_CHECK(col >= SEL_COL && strncmp(end, ": error: ", 9) == 0);
    }
    free(diag);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_input(data, size);
    char *diag = NULL;
    size_t diag_len = 0;
    FILE *capture = capture_start(&diag, &diag_len);
    int errors_before = nbc_error_count();

    nbc_topology topo;
    int rc = nbc_topology_load(path, &topo);

    capture_end(capture);
    int errors = nbc_error_count() - errors_before;
    if (rc == 0) {
        FZ_CHECK(errors == 0);
        check_topology(&topo);
        FZ_CHECK(nbc_error_count() - errors_before == 0);
        char *sel = selector_line(data, size);
        if (sel != NULL)
            check_selector(&topo, sel);
        free(sel);
        nbc_topology_free(&topo);
    } else {
        FZ_CHECK(rc == -1 && errors > 0);
        check_diagnostic(diag, data, size);
    }
    free(diag);
    return 0;
}
