#ifndef JOBS_H
#define JOBS_H

#include <nebula.h>

/* FNV-1a of the bytes, computed on a worker. */
uint64_t jobs_checksum(nb_bytes data);

#endif
