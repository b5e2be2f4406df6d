/*
 * nbc_test_util.h — what nebulac's unit tests share: a scratch directory that
 * becomes the current directory (nebulac works relative to it), files written
 * into it, and diagnostics captured as the user would read them.
 * Include after <cmocka.h>. Everything here is static inline so each test file
 * uses what it needs.
 */
#ifndef NBC_TEST_UTIL_H
#define NBC_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"

static char nbc_t_dir[4096];
static char nbc_t_prev[4096];
static char *nbc_t_captured;
static size_t nbc_t_captured_len;
static FILE *nbc_t_capture;
static int nbc_t_errors_before;

/* Creates a fresh scratch directory and makes it current. */
static inline void nbc_t_enter(void)
{
    assert_non_null(getcwd(nbc_t_prev, sizeof nbc_t_prev));
    snprintf(nbc_t_dir, sizeof nbc_t_dir, "/tmp/nbc_test_XXXXXX");
    assert_non_null(mkdtemp(nbc_t_dir));
    assert_int_equal(chdir(nbc_t_dir), 0);
}

/* Leaves and removes the scratch directory. */
static inline void nbc_t_leave(void)
{
    assert_int_equal(chdir(nbc_t_prev), 0);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", nbc_t_dir);
    assert_int_equal(system(cmd), 0);
}

/* Writes text to path (relative to the scratch directory), creating directories. */
static inline void nbc_t_write(const char *path, const char *text)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *s = dir; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(dir, 0777);
            *s = '/';
        }
    }
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static inline void nbc_t_capture_start(void)
{
    nbc_t_capture = open_memstream(&nbc_t_captured, &nbc_t_captured_len);
    assert_non_null(nbc_t_capture);
    nbc_diag_set_stream(nbc_t_capture);
    nbc_t_errors_before = nbc_error_count();
}

/* The diagnostics since nbc_t_capture_start; the caller frees the text. */
static inline char *nbc_t_capture_end(void)
{
    nbc_diag_set_stream(NULL);
    fclose(nbc_t_capture);
    char *text = nbc_t_captured;
    nbc_t_captured = NULL;
    return text;
}

/* Errors reported since nbc_t_capture_start. */
static inline int nbc_t_errors(void) { return nbc_error_count() - nbc_t_errors_before; }

/* Number of lines (newline characters) in s[0..n). */
static inline int nbc_t_lines(const char *s, size_t n)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == '\n';
    return k;
}

#endif /* NBC_TEST_UTIL_H */
