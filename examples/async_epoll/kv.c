/* kv.c — served by the &kv node. Sized for pipelining: the loop keeps up to
 * 4096 in flight, and with as many slots the serving node runs them without
 * holding the connection (back-pressure beyond the bound, docs/async.md). */
#include <stdint.h>

#include <nebula.h>

#include "kv.h"

NB_MODULE(.max_concurrent_calls = 4096);

NB_API("&kv")
uint64_t kv_mix(uint64_t key)
{
    key ^= key >> 30;
    key *= UINT64_C(0xbf58476d1ce4e5b9);
    key ^= key >> 27;
    key *= UINT64_C(0x94d049bb133111eb);
    return key ^ (key >> 31);
}
