#include <nebula.h>
#include "jobs.h"

NB_API("@worker")
uint64_t jobs_checksum(nb_bytes data)
{
    const unsigned char *p = data.data;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < data.len; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}
