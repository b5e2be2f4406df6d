/* Same name on the -I path: api.c must never see this one. */
#define CORPUS_FACTOR 3
