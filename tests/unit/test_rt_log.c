/*
 * The runtime's diagnostics as an operator sees them (log.h): $NEBULA_LOG and
 * nb_options.log_level choose what is shown, every line carries a UTC time, the
 * level and the node, a long message stays one line, lines of concurrent
 * threads never interleave, and a filtered-out call evaluates nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* tests/CMakeLists.txt puts src/runtime on the include path of a few named
 * tests only; this one reaches the header by its path. */
#include "log.h"

/* Redirects stderr to a fresh temporary file; returns the saved stderr. */
static int capture_begin(void)
{
    char path[] = "/tmp/nb_test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fcntl(fd, F_SETFL, O_APPEND);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
    return saved;
}

/* Restores stderr and returns what was written, a heap string owned by the caller. */
static char *capture_end(int saved)
{
    off_t size = lseek(STDERR_FILENO, 0, SEEK_END);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(pread(STDERR_FILENO, text, (size_t)size, 0), size);
    text[size] = '\0';
    dup2(saved, STDERR_FILENO);
    close(saved);
    return text;
}

static void test_levels_from_environment(void **state)
{
    (void)state;
    static const struct {
        const char *env;
        int level;
    } cases[] = {
        {"error", NB__LOG_ERROR}, {"WARN", NB__LOG_WARN}, {"info", NB__LOG_INFO},
        {"debug", NB__LOG_DEBUG}, {"1", NB__LOG_ERROR},   {"4", NB__LOG_DEBUG},
        {"loud", NB__LOG_WARN},   {"", NB__LOG_WARN},     {"5", NB__LOG_WARN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setenv("NEBULA_LOG", cases[i].env, 1);
        nb__log_init(0);
        assert_true(nb__log_enabled(cases[i].level));
        if (cases[i].level < NB__LOG_DEBUG)
            assert_false(nb__log_enabled(cases[i].level + 1));
    }
    unsetenv("NEBULA_LOG");
    nb__log_init(0);
    assert_true(nb__log_enabled(NB__LOG_WARN));
    assert_false(nb__log_enabled(NB__LOG_INFO));
    /* An explicit level wins over the environment. */
    setenv("NEBULA_LOG", "error", 1);
    nb__log_init(NB__LOG_INFO);
    assert_true(nb__log_enabled(NB__LOG_INFO));
    assert_false(nb__log_enabled(NB__LOG_DEBUG));
    nb__log_init(9);
    assert_true(nb__log_enabled(NB__LOG_DEBUG));
    unsetenv("NEBULA_LOG");
}

static void test_line_format(void **state)
{
    (void)state;
    nb__log_init(NB__LOG_INFO);
    nb__log_set_node("db@db.example");
    int saved = capture_begin();
    errno = ECONNRESET;
    nb__log(NB__LOG_WARN, "node %s down: %s", "api@api.example", "heartbeat lost");
    assert_int_equal(errno, ECONNRESET);
    nb__log(NB__LOG_INFO, "started");
    nb__log(NB__LOG_DEBUG, "not shown");
    char *text = capture_end(saved);

    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
                             "WARN  db@db\\.example: node api@api\\.example down: heartbeat lost\n"
                             "[0-9T:.Z-]{24} INFO  db@db\\.example: started\n$",
                             REG_EXTENDED),
                     0);
    if (regexec(&re, text, 0, NULL, 0) != 0)
        fail_msg("unexpected log output:\n%s", text);
    regfree(&re);
    free(text);
    nb__log_set_node(NULL);
}

static int evaluated;

static int side_effect(void)
{
    evaluated++;
    return 1;
}

static void test_filtered_calls_evaluate_nothing(void **state)
{
    (void)state;
    nb__log_init(NB__LOG_ERROR);
    int saved = capture_begin();
    nb__log(NB__LOG_DEBUG, "%d", side_effect());
    nb__log(NB__LOG_WARN, "%d", side_effect());
    nb__log(NB__LOG_ERROR, "%d", side_effect());
    char *text = capture_end(saved);
    assert_int_equal(evaluated, 1);
    assert_non_null(strstr(text, "ERROR"));
    assert_null(strchr(strchr(text, '\n') + 1, '\n'));
    free(text);
}

static void test_long_message_stays_one_line(void **state)
{
    (void)state;
    nb__log_init(NB__LOG_WARN);
    char big[5000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    int saved = capture_begin();
    nb__log(NB__LOG_WARN, "%s", big);
    char *text = capture_end(saved);
    size_t len = strlen(text);
    assert_true(len > 1000 && len < sizeof big);
    assert_ptr_equal(strchr(text, '\n'), text + len - 1);
    assert_memory_equal(text + len - 4, "...\n", 4);
    free(text);
}

#define THREADS 4
#define LINES 300

static void *log_lines(void *arg)
{
    int id = (int)(intptr_t)arg;
    char payload[300];
    memset(payload, 'a' + id, sizeof payload - 1);
    payload[sizeof payload - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        nb__log(NB__LOG_WARN, "t%d %04d %s end", id, i, payload);
    return NULL;
}

static void test_threads_never_interleave(void **state)
{
    (void)state;
    nb__log_init(NB__LOG_WARN);
    int saved = capture_begin();
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, log_lines, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    char *text = capture_end(saved);
    int per_thread[THREADS] = {0};
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *msg = strstr(line, ": t");
        assert_non_null(msg);
        int id = msg[3] - '0';
        assert_true(id >= 0 && id < THREADS);
        /* The whole payload is this thread's letter, and the line ends intact. */
        const char *body = msg + 10;
        for (int k = 0; k < 299; k++)
            assert_int_equal(body[k], 'a' + id);
        assert_string_equal(body + 299, " end");
        per_thread[id]++;
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(per_thread[i], LINES);
    free(text);
}

static void test_escape_peer_text(void **state)
{
    (void)state;
    char out[64];
    /* Printable text passes; control bytes, escape sequences, newlines and
     * non-ASCII become \xNN; a backslash is doubled, so nothing is ambiguous. */
    const char evil[] = "db\x1b[31m@h\nWARN forged\\\xff";
    nb__escape(evil, sizeof evil - 1, out, sizeof out);
    assert_string_equal(out, "db\\x1b[31m@h\\x0aWARN forged\\\\\\xff");
    for (const char *p = out; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
    /* Cut short with "...", always terminated, never past the buffer. */
    char small[10];
    nb__escape("abcdefghijklmnop", 16, small, sizeof small);
    assert_string_equal(small, "abcdef...");
    nb__escape("abcdefghi", 9, small, sizeof small);
    assert_string_equal(small, "abcdefghi");
    nb__escape("\x01\x02\x03", 3, small, sizeof small);
    assert_string_equal(small, "\\x01...");
    /* Node names: plain tokens only. */
    assert_true(nb__is_plain_token("db1@127.0.0.1", 13));
    assert_false(nb__is_plain_token("db 1", 4));
    assert_false(nb__is_plain_token("db\n1", 4));
    assert_false(nb__is_plain_token("", 0));
}

/* Lines of the same key: one per window; another key speaks for itself; a
 * NOTE line shows at the default level with its own label. */
static void test_limited_and_note(void **state)
{
    (void)state;
    nb__log_init(NB__LOG_WARN);
    static nb__log_limit l = NB__LOG_LIMIT_INIT;
    int saved = capture_begin();
    for (int i = 0; i < 5; i++)
        nb__log_limited(&l, "wrong cookie", NB__LOG_WARN, "refused x at 127.0.0.1:%d: wrong cookie",
                        1000 + i);
    nb__log_limited(&l, "fingerprint", NB__LOG_WARN, "refused y: fingerprint");
    nb__log_limited(&l, "wrong cookie", NB__LOG_INFO, "filtered out, not counted");
    nb__log(NB__LOG_NOTE, "started as z");
    char *text = capture_end(saved);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    if (lines != 3 || !strstr(text, "127.0.0.1:1000: wrong cookie") ||
        strstr(text, "127.0.0.1:1001") || !strstr(text, "refused y: fingerprint") ||
        !strstr(text, "NOTE  nebula: started as z"))
        fail_msg("unexpected log output:\n%s", text);
    free(text);
    nb__log_init(NB__LOG_ERROR);
    assert_false(nb__log_enabled(NB__LOG_NOTE));
    nb__log_init(0);
}

/* A peer that varies the key (a new name in every handshake) still gets at most
 * NB__LOG_LIMIT_KEYS lines of one limiter per window. */
static void test_limited_many_keys(void **state)
{
    (void)state;
    nb__log_init(NB__LOG_WARN);
    static nb__log_limit l = NB__LOG_LIMIT_INIT;
    int saved = capture_begin();
    for (int i = 0; i < 100; i++) {
        char key[32];
        snprintf(key, sizeof key, "name-%d", i);
        nb__log_limited(&l, key, NB__LOG_WARN, "refused %s", key);
    }
    char *text = capture_end(saved);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    if (lines != NB__LOG_LIMIT_KEYS || !strstr(text, "refused name-0\n") ||
        strstr(text, "refused name-8\n"))
        fail_msg("unexpected log output (%zu lines):\n%s", lines, text);
    free(text);
    nb__log_init(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_from_environment),
        cmocka_unit_test(test_line_format),
        cmocka_unit_test(test_filtered_calls_evaluate_nothing),
        cmocka_unit_test(test_long_message_stays_one_line),
        cmocka_unit_test(test_threads_never_interleave),
        cmocka_unit_test(test_escape_peer_text),
        cmocka_unit_test(test_limited_and_note),
        cmocka_unit_test(test_limited_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
