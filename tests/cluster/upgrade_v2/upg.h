/* upg.h — build v2 of the upgrade test's APIs, as callers include them. */
#ifndef UPGRADE_UPG_H
#define UPGRADE_UPG_H

#include <stdint.h>

int64_t stable_add(int64_t a, int64_t b);
int64_t changed_scale(int64_t x, int64_t factor);
int64_t added_square(int64_t x);

#endif /* UPGRADE_UPG_H */
