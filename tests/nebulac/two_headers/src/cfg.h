/* Found first by api.c: the including file's own directory. */
#define CORPUS_FACTOR 2
