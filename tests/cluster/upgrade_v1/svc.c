/*
 * svc.c, build v1 — the APIs of the rolling-upgrade test (test_upgrade.c).
 * Build v2 (../upgrade_v2/svc.c) keeps stable_add as it is, gives
 * changed_scale a new parameter and adds added_square.
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
int64_t changed_scale(int64_t x)
{
    return x * 10;
}
