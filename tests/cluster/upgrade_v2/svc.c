/*
 * svc.c, build v2 — the APIs of the rolling-upgrade test (test_upgrade.c):
 * stable_add unchanged since v1 (../upgrade_v1/svc.c), changed_scale with a
 * new parameter (another signature, so another wire identity), added_square
 * new.
 */
#include <stdint.h>

#include <nebula.h>

#include "upg.h"

NB_API("&svc")
int64_t stable_add(int64_t a, int64_t b)
{
    return a + b;
}

NB_API("&svc")
int64_t changed_scale(int64_t x, int64_t factor)
{
    return x * factor;
}

NB_API("&svc")
int64_t added_square(int64_t x)
{
    return x * x;
}
