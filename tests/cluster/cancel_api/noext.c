/* noext.c — a module whose calls may not be extended. */
#include <stdint.h>

#include <nebula.h>

#include "cancel_api.h"

NB_MODULE(.max_time_extensions = NB_NO_EXTENSIONS);

NB_API("&srv")
int64_t ext_none_try(int64_t n)
{
    int64_t yes = 0;
    for (int64_t i = 0; i < n; i++)
        yes += nb_request_more_time();
    return yes;
}
