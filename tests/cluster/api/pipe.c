/*
 * pipe.c — a module sized for pipelining: thousands of asynchronous calls in
 * flight on one connection run without the serving node holding the
 * connection (docs/async.md), so the stress tests measure the transport.
 */
#include <stdint.h>

#include <nebula.h>

#include "api.h"

NB_MODULE(.max_concurrent_calls = 4096);

NB_API("&db")
int64_t pipe_echo(int64_t v)
{
    return v;
}
