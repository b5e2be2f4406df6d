/*
 * fuzz_source — nebulac's front end (model.h: nbc_parse, which lexes, scans the
 * preprocessor lines and conditionals, follows quoted includes and parses
 * NB_API / NB_STRUCT / NB_MODULE / NB_ON) on any bytes given as one source file.
 *
 * Checked for every input: no crash, no hang, no leak once the model is freed;
 * nbc_parse returns the number of errors it reported; when there are errors the
 * first diagnostic has the form "src.c:<line>:<col>: error: " (a quoted include
 * of itself reports against the same file) with line and col at least 1.
 * NB_ON selectors are decided for one node, api@api.example [api, cache], with
 * the shared selector parser, as nebulac does with a topology.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "selector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_source: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static char scratch[4096];

static void remove_scratch(void)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/src.c", scratch);
    unlink(p);
    rmdir(scratch);
}

/* nebulac works relative to the current directory: each input becomes src.c in
 * a private one. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/nb_fuzz_source_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(scratch) == NULL || chdir(scratch) != 0) {
        perror("fuzz_source: scratch directory");
        exit(1);
    }
    atexit(remove_scratch);
    return 0;
}

static const char *const self_tags[] = {"api", "cache"};
static const nb__node_def self_node = {"api@api.example", "api", "api.example", NULL, 4370,
                                       self_tags,         2,         NULL};

/* NB_ON for the node above: 1 or 0, or -1 after reporting a syntax error. */
static int on_eval(void *ctx, const char *text, nbc_loc loc)
{
    (void)ctx;
    nb__selector sel;
    size_t at;
    const char *why;
    if (nb__sel_parse(text, strlen(text), &sel, &at, &why) != 0) {
        nbc_error(loc, "%s", why);
        return -1;
    }
    int v = nb__sel_match(&sel, &self_node);
    nb__sel_free(&sel);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen("src.c", "wb");
    FZ_CHECK(f != NULL && fwrite(data, 1, size, f) == size && fclose(f) == 0);

    char *diag = NULL;
    size_t diag_len = 0;
    FILE *capture = open_memstream(&diag, &diag_len);
    FZ_CHECK(capture != NULL);
    nbc_diag_set_stream(capture);
    int before = nbc_error_count();

    nbc_parse_opts opts = {.on_eval = on_eval};
    const char *sources[] = {"src.c"};
    nbc_model m;
    memset(&m, 0, sizeof m);
    int errors = nbc_parse(&m, &opts, sources, 1);
    nbc_model_free(&m);

    nbc_diag_set_stream(NULL);
    FZ_CHECK(fclose(capture) == 0);
    FZ_CHECK(errors >= 0 && errors == nbc_error_count() - before);
    if (errors > 0) {
        FZ_CHECK(strncmp(diag, "src.c:", 6) == 0);
        char *end;
        long line = strtol(diag + 6, &end, 10);
        FZ_CHECK(*end == ':' && line >= 1);
        long col = strtol(end + 1, &end, 10);
        FZ_CHECK(col >= 1 && strncmp(end, ": error: ", 9) == 0);
    }
    free(diag);
    return 0;
}
