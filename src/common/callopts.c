/*
 * callopts.c — option checks of nb_call (callopts.h). The rules follow the
 * reference library's call-option checks: one target at most, predicates only
 * where a reply can fail to count, quorum options only with NB_QUORUM.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "callopts.h"

static int bad(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (size)
        vsnprintf(why, size, fmt, ap);
    va_end(ap);
    return -1;
}

/* The names of the targets c sets, for the message; returns how many. */
static int targets(const nb_call *c, const char *names[5])
{
    int n = 0;
    if (c->node)
        names[n++] = ".node";
    if (c->pick)
        names[n++] = ".pick";
    if (c->nodes)
        names[n++] = ".nodes";
    if (c->filter)
        names[n++] = ".filter";
    if (c->all)
        names[n++] = ".all";
    return n;
}

/* c is borrowed; why[0..size) is the caller's. */
int nb__call_check(const nb_call *c, char *why, size_t size)
{
    const char *t[5];
    int n = targets(c, t);
    if (n > 1)
        return bad(why, size, "%s and %s are both set: give one target (.node, .pick, .nodes, "
                   ".filter or .all)", t[0], t[1]);
    bool multi = c->nodes || c->filter || c->all;
    const char *pred = c->success ? ".success" : ".failure";

    if ((unsigned)c->strategy > NB_QUORUM)
        return bad(why, size, ".strategy is %d: not NB_ALL, NB_FIRST or NB_QUORUM",
                   (int)c->strategy);
    if ((unsigned)c->quorum > NB_QUORUM_AVAILABLE)
        return bad(why, size, ".quorum is %d: not NB_QUORUM_CONFIGURED or NB_QUORUM_AVAILABLE",
                   (int)c->quorum);
    if (c->timeout_ms < 0)
        return bad(why, size, ".timeout_ms is %d: a timeout is 0 (inherit) or positive",
                   c->timeout_ms);
    if (c->max_time_extensions < NB_NO_EXTENSIONS)
        return bad(why, size, ".max_time_extensions is %d: it is 0 (inherit), positive, or "
                   "NB_NO_EXTENSIONS", c->max_time_extensions);
    if (c->success && c->failure)
        return bad(why, size, ".success and .failure are both set: give one predicate");
    if (c->strategy != NB_ALL && !multi)
        return bad(why, size, ".strategy needs a multicast target (.nodes, .filter or .all): "
                   "a unicast has one reply");
    if (c->at_least != 0 && !multi)
        return bad(why, size, ".at_least needs a multicast target (.nodes, .filter or .all) "
                   "with NB_QUORUM");
    if ((c->success || c->failure) && !multi)
        return bad(why, size, "%s needs a multicast target (.nodes, .filter or .all) with "
                   "NB_FIRST or NB_QUORUM: a unicast's reply is its value", pred);
    if ((c->success || c->failure) && c->strategy == NB_ALL)
        return bad(why, size, "%s has no effect with NB_ALL, which keeps every reply: use "
                   "NB_FIRST or NB_QUORUM", pred);
    if (c->at_least < 0)
        return bad(why, size, ".at_least is %d: a quorum needs at least 1 node", c->at_least);
    if (c->at_least > 0 && c->strategy != NB_QUORUM)
        return bad(why, size, ".at_least applies to NB_QUORUM only");
    if (c->strategy == NB_QUORUM && c->filter && c->quorum != NB_QUORUM_AVAILABLE &&
        c->at_least == 0)
        return bad(why, size, "NB_QUORUM over a .filter function needs .quorum = "
                   "NB_QUORUM_AVAILABLE or .at_least: a function has no configured set to "
                   "take a majority of");
    return 0;
}

/* block and call are borrowed; *out is the caller's. */
void nb__call_overlay(const nb_call *block, const nb_call *call, nb_call *out)
{
    *out = *block;
    if (call->timeout_ms > 0)
        out->timeout_ms = call->timeout_ms;
    if (call->max_time_extensions != 0)
        out->max_time_extensions = call->max_time_extensions;
    if (call->results)
        out->results = call->results;
    if (call->strategy != NB_ALL)
        out->strategy = call->strategy;
    if (call->at_least > 0)
        out->at_least = call->at_least;
    if (call->quorum != NB_QUORUM_CONFIGURED)
        out->quorum = call->quorum;
    if (call->success || call->failure) {
        out->success = call->success;
        out->failure = call->failure;
        out->arg = call->arg;
    }
}
