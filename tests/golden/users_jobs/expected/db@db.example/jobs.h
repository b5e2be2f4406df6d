#include <nebula.h>
#line 1 "jobs.h"
#ifndef JOBS_H
#define JOBS_H

#include <nebula.h>

uint64_t jobs_checksum(nb_bytes data); uint64_t jobs_checksum__with(const nb_call *call, nb_bytes data);
int64_t node_uptime_ms(void); int64_t node_uptime_ms__with(const nb_call *call);

#endif
