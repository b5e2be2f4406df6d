/* heavy.h — a long computation of the docs' samples; served by @worker. */
#ifndef DOCS_HEAVY_H
#define DOCS_HEAVY_H

#include <nebula.h>

int64_t heavy_task_run(void);

#endif
