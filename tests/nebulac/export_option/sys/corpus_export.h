/* Not read by nebulac (an <angle> include): EXPORT_MACROS names the macro. */
#define CORPUS_EXPORT __attribute__((visibility("default")))
