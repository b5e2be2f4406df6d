/* jobs.h — CPU work done on the &worker nodes. */
#ifndef SHOP_JOBS_H
#define SHOP_JOBS_H

#include <nebula.h>

NB_STRUCT typedef struct job_result {
    char *worker; /* the node that ran the job */
    uint64_t in_bytes;
    uint32_t crc32;    /* of the input: what the worker actually received */
    nb_bytes deflated; /* the input, zlib-compressed */
    double millis;     /* time spent compressing */
} job_result_t;

/* Compresses data (borrowed) at zlib level 1..9. Returns a result owned by the
 * caller (nb_free_job_result_t), or NULL when zlib refuses. */
job_result_t *jobs_compress(nb_bytes data, int level);

#endif
