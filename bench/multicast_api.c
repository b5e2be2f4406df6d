/* multicast_api.c — the two APIs bench_multicast calls on its &server nodes. */
#include <stdlib.h>
#include <string.h>

#include <nebula.h>
#include "multicast_api.h"

NB_API("&server")
int64_t mc_inc(int64_t x)
{
    return x + 1;
}

NB_API("&server")
char *mc_where(void)
{
    return strdup(nb_self_node());
}
