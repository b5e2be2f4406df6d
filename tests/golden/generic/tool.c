#include <nebula.h>

NB_API()
int64_t everywhere(void) { return 1; }

NB_API("!&db")
int32_t not_on_db(int32_t x) { return x + 1; }

NB_API("&no")                        /* the tag "no", not a YAML boolean */
void web_only(void) {}

int generic_and_tagless = NB_ON("!&db") + NB_ON("&web");
