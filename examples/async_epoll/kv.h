/* kv.h — the API the event loop calls. */
#ifndef ASYNC_EPOLL_KV_H
#define ASYNC_EPOLL_KV_H

#include <stdint.h>

/* A 64-bit mix of key (splitmix64's finaliser), computed on the &kv node. */
uint64_t kv_mix(uint64_t key);

#endif
