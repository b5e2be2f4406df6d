/*
 * status.h — this thread's outcome: the code behind nb_last_code() and the text
 * behind nb_last_message(), as the rest of the runtime sets them.
 *
 * Rule for the runtime: a failure code is set only through nb__set_code() or
 * nb__fail(), never by writing nb__tls.code directly. Only the hot path of
 * generated code (and the router's local path) writes nb__tls.code = NB_OK
 * directly; nb_last_message() stays right after such a write because a message
 * remembers the code it was written for.
 */
#ifndef NB_RUNTIME_STATUS_H
#define NB_RUNTIME_STATUS_H

#include "nebula.h"

/* The size of this thread's message buffer; longer messages are cut and end
 * with "...". */
#define NB__MESSAGE_MAX 512

/* Sets this thread's code; its message becomes the code's default sentence. */
void nb__set_code(nb_code c);

/* Sets this thread's code and a printf-formatted message for it. Name the node
 * involved in the message when there is one. errno is preserved. */
void nb__fail(nb_code c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The default sentence of a code ("no reply within the call's timeout").
 * Static storage. */
const char *nb__code_sentence(nb_code c);

/*
 * The route every thread starts with: no routing block, and the generated
 * routers' local fast path not armed. Generated code runs a body directly only
 * when nb__tls.route is NULL; the router sets NULL on a thread once it knows this
 * node runs bodies itself (started, not generic). So a node run as generic never
 * runs a body, and the fast path still costs one thread-local read. (A process
 * that stops and restarts as generic keeps the fast path on threads that armed it
 * before: don't do that.)
 */
extern const nb_call nb__unarmed;

/* The innermost routing block of this thread, or NULL. */
static inline const nb_call *nb__block_route(void)
{
    return nb__tls.route == &nb__unarmed ? NULL : nb__tls.route;
}

#endif /* NB_RUNTIME_STATUS_H */
