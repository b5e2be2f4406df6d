/* cachelib.h — stands for a third-party library that only &cache build machines
 * have (defining.md's NB_ON sample includes it under NB_ON("&cache")). */
#ifndef DOCS_CACHELIB_H
#define DOCS_CACHELIB_H

int cachelib_version(void);

#endif
