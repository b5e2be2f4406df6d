/* jobs.h — background jobs of the docs' samples; served by @worker. */
#ifndef DOCS_JOBS_H
#define DOCS_JOBS_H

#include <nebula.h>

/* Transcodes the file at input into output (both borrowed); true on success. */
bool jobs_transcode(const char *input, const char *output);

/* A one-line health report owned by the caller (free), or NULL. */
char *jobs_health(void);

/* FNV-1a of the bytes. */
uint64_t jobs_checksum(nb_bytes data);

#endif
