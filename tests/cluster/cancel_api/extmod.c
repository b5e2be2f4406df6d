/* extmod.c — a module allowing two time extensions per call. */
#include <stdint.h>

#include <nebula.h>

#include "cancel_api.h"

NB_MODULE(.max_time_extensions = 2);

NB_API("&srv")
int64_t ext_module_try(int64_t n)
{
    int64_t yes = 0;
    for (int64_t i = 0; i < n; i++)
        yes += nb_request_more_time();
    return yes;
}
