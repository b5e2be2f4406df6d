/* fault_api.h — the one API the fault suite calls (tests/fault/README in
 * docs/faults.md): the driver's 32 threads call it on the serving nodes. */
#ifndef FAULT_API_H
#define FAULT_API_H

#include <stdint.h>

/* Logs one line for call `id` on the serving node (see work.c), sleeps
 * `sleep_us` and returns id with the serving node's number (1..9) in bits 56..59.
 * `deadline_ms` is the caller's deadline, CLOCK_REALTIME milliseconds. */
int64_t fault_work(int64_t id, int64_t deadline_ms, int32_t sleep_us);

/* Bits of a call id that are the id proper; the node number goes above them. */
#define FAULT_ID_MASK ((INT64_C(1) << 56) - 1)

#endif /* FAULT_API_H */
