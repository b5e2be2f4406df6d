/*
 * pipe.c — a module sized for pipelining: thousands of asynchronous calls in
 * flight on one connection fit in its admission bound (2 x max_concurrent_calls,
 * docs/async.md), so the stress tests measure the transport, not NB_E_OVERLOADED.
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
