/*
 * test_rt_stream.c — the byte stream interface (stream.h) with its plain TCP
 * implementation, over a real connected TCP pair on loopback.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "stream.h"

/* A connected, non-blocking TCP pair on loopback: fds[0] dialled, fds[1] accepted. */
static void tcp_pair(int fds[2])
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof in;
    assert_int_equal(bind(l, (struct sockaddr *)&in, sizeof in), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&in, &len), 0);
    fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(connect(fds[0], (struct sockaddr *)&in, sizeof in) == 0 || errno == EINPROGRESS);
    fds[1] = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    assert_true(fds[1] >= 0);
    close(l);
}

static void test_plain_stream_moves_bytes_as_they_are(void **state)
{
    (void)state;
    nb__security sec = {.kind = NB__TRANSPORT_PLAIN};
    nb__stream_factory *f = NULL;
    char why[256] = "";
    assert_int_equal(nb__stream_factory_new(&sec, &f, why, sizeof why), 0);
    assert_int_equal(nb__stream_factory_kind(f), NB__TRANSPORT_PLAIN);
    int fds[2];
    tcp_pair(fds);
    nb__stream *a = nb__stream_open(f, fds[0], true, NULL);
    nb__stream *b = nb__stream_open(f, fds[1], false, NULL);
    assert_non_null(a);
    assert_non_null(b);
    int want = -1;
    assert_int_equal(nb__stream_handshake(a, &want, why, sizeof why), 1);
    assert_int_equal(nb__stream_handshake(b, &want, why, sizeof why), 1);
    assert_null(nb__stream_peer_identity(a));

    /* Nothing to read yet: EAGAIN, as recv says. */
    char buf[64];
    assert_int_equal(nb__stream_read(b, buf, sizeof buf, why, sizeof why), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);

    struct iovec iov[2] = {{"hello ", 6}, {"world", 5}};
    assert_int_equal(nb__stream_writev(a, iov, 2), 11);
    assert_int_equal(nb__stream_unsent(a), 0);
    assert_int_equal(nb__stream_writev(a, NULL, 0), 0); /* nothing held to push */
    /* The bytes on the socket are the bytes written: plain adds nothing. */
    ssize_t n = 0;
    for (int tries = 0; tries < 1000 && n <= 0; tries++) {
        n = nb__stream_read(b, buf, sizeof buf, why, sizeof why);
        if (n < 0)
            usleep(1000);
    }
    assert_int_equal(n, 11);
    assert_memory_equal(buf, "hello world", 11);
    assert_false(nb__stream_pending(b));

    /* The end of the stream reads as 0; the stream never closes the socket. */
    nb__stream_goodbye(a);
    shutdown(fds[0], SHUT_WR);
    n = -1;
    for (int tries = 0; tries < 1000 && n < 0; tries++) {
        n = nb__stream_read(b, buf, sizeof buf, why, sizeof why);
        if (n < 0)
            usleep(1000);
    }
    assert_int_equal(n, 0);
    nb__stream_free(a);
    nb__stream_free(b);
    assert_int_equal(close(fds[0]), 0); /* still ours: not closed by the stream */
    assert_int_equal(close(fds[1]), 0);
    nb__stream_factory_free(f);
}

static void test_unknown_kind_refused(void **state)
{
    (void)state;
    nb__security sec = {.kind = (nb__transport_kind)42};
    nb__stream_factory *f = (nb__stream_factory *)&sec;
    char why[256] = "";
    assert_int_equal(nb__stream_factory_new(&sec, &f, why, sizeof why), -1);
    assert_null(f);
    assert_non_null(strstr(why, "unknown transport"));
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_stream_moves_bytes_as_they_are),
        cmocka_unit_test(test_unknown_kind_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
