/* hx.c — the bodies the hostile-client suite's serving node runs (hx_api.h). */
#include <stdlib.h>
#include <string.h>

#include <nebula.h>

#include "hx_api.h"

NB_API("&serve")
int64_t hx_add(int64_t a, int64_t b)
{
    return a + b;
}

NB_API("&serve")
nb_bytes hx_echo(nb_bytes b)
{
    nb_bytes out = {NULL, 0};
    if (b.len && (out.data = malloc(b.len))) {
        memcpy(out.data, b.data, b.len);
        out.len = b.len;
    }
    return out;
}
