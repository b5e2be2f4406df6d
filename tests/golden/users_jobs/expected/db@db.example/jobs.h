#include <nebula.h>
#line 1 "jobs.h"
#ifndef JOBS_H
#define JOBS_H

#include <nebula.h>

uint64_t jobs_checksum(nb_bytes data); NB__DECLS_BEGIN uint64_t jobs_checksum__with(const nb_call *call, nb_bytes data); nb_future *jobs_checksum__async(nb_bytes data); nb_future *jobs_checksum__async_with(const nb_call *call, nb_bytes data); uint64_t jobs_checksum__await(nb_future *fut); NB__DECLS_END
int64_t node_uptime_ms(void); NB__DECLS_BEGIN int64_t node_uptime_ms__with(const nb_call *call); nb_future *node_uptime_ms__async(void); nb_future *node_uptime_ms__async_with(const nb_call *call); int64_t node_uptime_ms__await(nb_future *fut); NB__DECLS_END

#endif
