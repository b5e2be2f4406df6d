/*
 * jobs.c — background work for the &worker nodes: compression with zlib.
 *
 * The selector is the tag &worker rather than the node name @worker: the dev
 * and staging layouts have no node named worker, but some node always carries
 * the tag. Only &worker builds include zlib.h and link libz.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, strdup */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nebula.h>
#include "jobs.h"

/* Compression is CPU-bound: at most two at once per worker, and more time than
 * the cluster default for a big input. */
NB_MODULE(.default_timeout = 10000, .max_concurrent_calls = 2);

#if NB_ON("&worker")
#include <zlib.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Compresses in into *out (a heap buffer owned by the caller). Returns 0 or -1. */
static int deflate_bytes(nb_bytes in, int level, nb_bytes *out)
{
    uLongf len = compressBound((uLong)in.len);
    out->data = malloc(len);
    if (!out->data || compress2(out->data, &len, in.data, (uLong)in.len, level) != Z_OK) {
        free(out->data);
        *out = (nb_bytes){0};
        return -1;
    }
    out->len = len;
    return 0;
}
#endif /* NB_ON("&worker") */

/* Returns a result owned by the caller (nb_free_job_result_t), or NULL. */
NB_API("&worker")
job_result_t *jobs_compress(nb_bytes data, int level)
{
    job_result_t *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    double start = now_ms();
    if (deflate_bytes(data, level, &r->deflated) != 0) {
        free(r);
        return NULL;
    }
    r->millis = now_ms() - start;
    r->worker = strdup(nb_self_node());
    r->in_bytes = data.len;
    r->crc32 = (uint32_t)crc32(0L, data.data, (uInt)data.len);
    return r;
}
