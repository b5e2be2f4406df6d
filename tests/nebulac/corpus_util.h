/* corpus_util.h — what every idiom's API returns: 2 * x on the node that ran it,
 * plus 1 on the serving node b, so the caller can tell where the body ran.
 * inline: on node a the body is gone and nothing calls it (a plain static
 * helper would trip -Wunused-function there, see docs/gotchas.md). */
#ifndef CORPUS_UTIL_H
#define CORPUS_UTIL_H

#include <string.h>

#include <nebula.h>

static inline int corpus_on_b(void)
{
    return strncmp(nb_self_node(), "b@", 2) == 0;
}

#endif
