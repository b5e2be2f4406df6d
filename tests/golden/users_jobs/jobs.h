#ifndef JOBS_H
#define JOBS_H

#include <nebula.h>

uint64_t jobs_checksum(nb_bytes data);
int64_t node_uptime_ms(void);

#endif
