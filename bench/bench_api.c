#include <stdlib.h>
#include <string.h>

#include <nebula.h>
#include "bench_api.h"

NB_API()
int bench_add(int a, int b)
{
    return a + b;
}

NB_API("@server")
int64_t bench_inc(int64_t x)
{
    return x + 1;
}

NB_API("@server")
nb_bytes bench_echo(nb_bytes data)
{
    nb_bytes out = {malloc(data.len ? data.len : 1), data.len};
    if (data.len)
        memcpy(out.data, data.data, data.len);
    return out;
}
