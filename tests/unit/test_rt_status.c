/*
 * This thread's outcome as users see it (docs/design.md §7): nb_code_name for
 * every code, nb_last_message's text for failures set by the runtime, its
 * consistency after generated code's fast path writes NB_OK directly, and
 * isolation between threads.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "status.h"

static void test_code_names(void **state)
{
    (void)state;
    static const char *const expected[NB__CODE_COUNT] = {
        "NB_OK",
        "NB_E_TIMEOUT",
        "NB_E_NO_WORKER",
        "NB_E_NODE_DOWN",
        "NB_E_OVERLOADED",
        "NB_E_BAD_SELECTOR",
        "NB_E_NOT_STARTED",
        "NB_E_NO_SUCCESS",
        "NB_E_QUORUM_NOT_REACHED",
        "NB_E_QUORUM_UNREACHABLE",
        "NB_E_PROTOCOL",
        "NB_E_CONFIG",
        "NB_E_SYSTEM",
        "NB_E_BAD_OPTION",
        "NB_E_CANCELLED",
    };
    for (int c = 0; c < NB__CODE_COUNT; c++)
        assert_string_equal(nb_code_name((nb_code)c), expected[c]);
    assert_string_equal(nb_code_name(NB__CODE_COUNT), "NB_E_UNKNOWN");
    assert_string_equal(nb_code_name((nb_code)-1), "NB_E_UNKNOWN");
    assert_string_equal(nb_code_name((nb_code)1000), "NB_E_UNKNOWN");
}

/* Every code has its own sentence, so a message without details still says
 * which failure it was. */
static void test_sentences_distinct(void **state)
{
    (void)state;
    for (int a = 0; a < NB__CODE_COUNT; a++) {
        const char *sa = nb__code_sentence((nb_code)a);
        assert_non_null(sa);
        assert_true(strlen(sa) > 1);
        for (int b = 0; b < a; b++)
            assert_string_not_equal(sa, nb__code_sentence((nb_code)b));
    }
    assert_string_equal(nb__code_sentence(NB_E_TIMEOUT), "no reply within the call's timeout");
    assert_non_null(nb__code_sentence((nb_code)-5));
}

static void test_set_code_gives_default_sentence(void **state)
{
    (void)state;
    nb__set_code(NB_OK);
    assert_int_equal(nb_last_code(), NB_OK);
    assert_string_equal(nb_last_message(), "ok");
    nb__fail(NB_E_TIMEOUT, "users_find: no reply from %s within %d ms", "db@db.example", 5000);
    nb__set_code(NB_E_TIMEOUT);
    assert_int_equal(nb_last_code(), NB_E_TIMEOUT);
    assert_string_equal(nb_last_message(), "no reply within the call's timeout");
    nb__set_code(NB_E_NO_WORKER);
    assert_string_equal(nb_last_message(), "no connected node serves the method");
}

static void test_fail_formats_and_names_the_node(void **state)
{
    (void)state;
    errno = EAGAIN;
    nb__fail(NB_E_NODE_DOWN, "users_find: %s went down during the call", "db@db.example");
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(nb_last_code(), NB_E_NODE_DOWN);
    assert_string_equal(nb_last_message(), "users_find: db@db.example went down during the call");
    /* Reading it twice gives the same text. */
    assert_string_equal(nb_last_message(), "users_find: db@db.example went down during the call");
}

static void test_fail_truncates_long_messages(void **state)
{
    (void)state;
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    nb__fail(NB_E_PROTOCOL, "bad frame from %s: %s", "api@api.example", big);
    const char *m = nb_last_message();
    size_t len = strlen(m);
    assert_true(len < NB__MESSAGE_MAX);
    assert_true(len > NB__MESSAGE_MAX - 10);
    assert_memory_equal(m, "bad frame from api@api.example: xxx", 35);
    assert_string_equal(m + len - 3, "...");

    /* A multi-byte character at the cut is not split. */
    char wide[1200] = "";
    for (int i = 0; i < 400; i++)
        strcat(wide, "\xc3\xa9"); /* é */
    nb__fail(NB_E_PROTOCOL, "x%s", wide);
    m = nb_last_message();
    len = strlen(m);
    assert_string_equal(m + len - 3, "...");
    /* "x" then whole 2-byte characters: an odd length before the dots. */
    assert_int_equal((len - 3) % 2, 1);
}

/* Generated code writes nb__tls.code = NB_OK on its hot path without touching
 * the message; a later code set without a message must not show the old text. */
static void test_fast_path_keeps_message_consistent(void **state)
{
    (void)state;
    nb__fail(NB_E_TIMEOUT, "users_find: db@db.example did not answer in 5000 ms");
    nb__tls.code = NB_OK;
    assert_int_equal(nb_last_code(), NB_OK);
    assert_string_equal(nb_last_message(), "ok");

    nb__fail(NB_E_TIMEOUT, "users_find: db@db.example did not answer in 5000 ms");
    nb__tls.code = NB_OK;
    nb__tls.code = NB_E_NODE_DOWN; /* any writer other than nb__fail */
    assert_string_equal(nb_last_message(), "the serving node was lost during the call");

    nb__fail(NB_E_TIMEOUT, "users_find: db@db.example did not answer in 5000 ms");
    nb__tls.code = NB_OK;
    nb__set_code(NB_E_TIMEOUT);
    assert_string_equal(nb_last_message(), "no reply within the call's timeout");

    nb__tls.code = (nb_code)77;
    assert_int_equal(nb_last_code(), 77);
    assert_string_equal(nb_code_name(nb_last_code()), "NB_E_UNKNOWN");
    nb__set_code(NB_OK);
}

/* ---- Threads ------------------------------------------------------------ */

static pthread_barrier_t barrier;

typedef struct {
    nb_code code;
    const char *node;
    int ok;
} thread_case;

static void *thread_body(void *arg)
{
    thread_case *tc = arg;
    int ok =
        nb_last_code() == NB_OK && nb__block_route() == NULL && strcmp(nb_last_message(), "ok") == 0;
    nb__fail(tc->code, "call on %s failed", tc->node);
    /* Both threads have set their outcome before either reads it back. */
    pthread_barrier_wait(&barrier);
    char expect[64];
    snprintf(expect, sizeof expect, "call on %s failed", tc->node);
    ok = ok && nb_last_code() == tc->code && strcmp(nb_last_message(), expect) == 0;
    pthread_barrier_wait(&barrier);
    nb__tls.code = NB_OK;
    pthread_barrier_wait(&barrier);
    ok = ok && nb_last_code() == NB_OK;
    tc->ok = ok;
    return NULL;
}

static void test_threads_are_isolated(void **state)
{
    (void)state;
    nb__fail(NB_E_CONFIG, "main thread's own failure");
    pthread_barrier_init(&barrier, NULL, 2);
    thread_case a = {NB_E_TIMEOUT, "db@db.example", 0};
    thread_case b = {NB_E_OVERLOADED, "api@api.example", 0};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, thread_body, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, thread_body, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&barrier);
    assert_true(a.ok);
    assert_true(b.ok);
    assert_int_equal(nb_last_code(), NB_E_CONFIG);
    assert_string_equal(nb_last_message(), "main thread's own failure");
    nb__set_code(NB_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_names),
        cmocka_unit_test(test_sentences_distinct),
        cmocka_unit_test(test_set_code_gives_default_sentence),
        cmocka_unit_test(test_fail_formats_and_names_the_node),
        cmocka_unit_test(test_fail_truncates_long_messages),
        cmocka_unit_test(test_fast_path_keeps_message_consistent),
        cmocka_unit_test(test_threads_are_isolated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
