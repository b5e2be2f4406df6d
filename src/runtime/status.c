/*
 * status.c — per-thread outcome codes and messages (docs/design.md §7, "Return
 * values and errors"), and the definition of the router's one thread-local.
 *
 * The code lives in nb__tls so generated code reaches it with one initial-exec
 * TLS access. The message lives in its own thread-local, touched only on the
 * slow paths (failures, and users asking for the text).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "status.h"

/* Initial-exec, as nebula.h declares it: a single instruction from generated code
 * in the executable and from libnebula.so alike. */
const nb_call nb__unarmed;
NB__THREAD_LOCAL nb__tls_state nb__tls NB__TLS_IE = {&nb__unarmed, NB_OK};

/* A message is valid only while nb__tls.code still equals `code`: the fast path
 * writes NB_OK without touching this, which makes the text stale at once. */
static _Thread_local struct {
    nb_code code;
    bool set;
    char text[NB__MESSAGE_MAX];
} msg;

static const char *const code_names[NB__CODE_COUNT] = {
    [NB_OK] = "NB_OK",
    [NB_E_TIMEOUT] = "NB_E_TIMEOUT",
    [NB_E_NO_WORKER] = "NB_E_NO_WORKER",
    [NB_E_NODE_DOWN] = "NB_E_NODE_DOWN",
    [NB_E_OVERLOADED] = "NB_E_OVERLOADED",
    [NB_E_BAD_SELECTOR] = "NB_E_BAD_SELECTOR",
    [NB_E_NOT_STARTED] = "NB_E_NOT_STARTED",
    [NB_E_NO_SUCCESS] = "NB_E_NO_SUCCESS",
    [NB_E_QUORUM_NOT_REACHED] = "NB_E_QUORUM_NOT_REACHED",
    [NB_E_QUORUM_UNREACHABLE] = "NB_E_QUORUM_UNREACHABLE",
    [NB_E_PROTOCOL] = "NB_E_PROTOCOL",
    [NB_E_CONFIG] = "NB_E_CONFIG",
    [NB_E_SYSTEM] = "NB_E_SYSTEM",
    [NB_E_BAD_OPTION] = "NB_E_BAD_OPTION",
    [NB_E_CANCELLED] = "NB_E_CANCELLED",
};

static const char *const code_sentences[NB__CODE_COUNT] = {
    [NB_OK] = "ok",
    [NB_E_TIMEOUT] = "no reply within the call's timeout",
    [NB_E_NO_WORKER] = "no connected node serves the method",
    [NB_E_NODE_DOWN] = "the serving node was lost during the call",
    [NB_E_OVERLOADED] = "the serving module is at max_concurrent_calls with a full queue",
    [NB_E_BAD_SELECTOR] = "a selector given at run time does not parse or names unknowns",
    [NB_E_NOT_STARTED] = "a remote call before nb_start()",
    [NB_E_NO_SUCCESS] = "multicast first: no node succeeded",
    [NB_E_QUORUM_NOT_REACHED] = "multicast quorum: replies are in, too few succeeded",
    [NB_E_QUORUM_UNREACHABLE] = "multicast quorum: too few live nodes to ever reach it",
    [NB_E_PROTOCOL] = "a peer sent something malformed, or disagrees on the signature",
    [NB_E_CONFIG] = "bad configuration or environment (node name, cookie, listen address)",
    [NB_E_SYSTEM] = "the operating system refused (bind, threads or memory)",
    [NB_E_BAD_OPTION] = "the call's routing options can never be valid",
    [NB_E_CANCELLED] = "the caller cancelled the call",
};

/* The cast through unsigned also sends negative values out of range. */
static bool code_known(nb_code c)
{
    return (unsigned)c < (unsigned)NB__CODE_COUNT;
}

nb_code nb_last_code(void)
{
    return nb__tls.code;
}

/* Returns static storage. */
const char *nb_code_name(nb_code c)
{
    return code_known(c) ? code_names[c] : "NB_E_UNKNOWN";
}

/* Returns static storage. */
const char *nb__code_sentence(nb_code c)
{
    return code_known(c) ? code_sentences[c] : "unknown outcome code";
}

/* Returns this thread's storage, valid until its next API call. */
const char *nb_last_message(void)
{
    nb_code c = nb__tls.code;
    if (c == NB_OK) {
        msg.set = false;
        return code_sentences[NB_OK];
    }
    if (msg.set && msg.code == c)
        return msg.text;
    return nb__code_sentence(c);
}

void nb__set_code(nb_code c)
{
    nb__tls.code = c;
    msg.set = false;
}

/* fmt is borrowed; the text is copied into this thread's buffer. */
void nb__fail(nb_code c, const char *fmt, ...)
{
    int saved_errno = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg.text, sizeof msg.text, fmt, ap);
    va_end(ap);
    if (n < 0) {
        snprintf(msg.text, sizeof msg.text, "%s", nb__code_sentence(c));
    } else if ((size_t)n >= sizeof msg.text) {
        /* Say the text was cut, and cut it between UTF-8 characters. */
        size_t at = sizeof msg.text - 4;
        while (at > 0 && ((unsigned char)msg.text[at] & 0xC0) == 0x80)
            at--;
        memcpy(msg.text + at, "...", 4);
    }
    msg.code = c;
    msg.set = true;
    nb__tls.code = c;
    errno = saved_errno;
}
