#include <nebula.h>

NB_STRUCT typedef struct item {
    int64_t id;
    char *name;
} item_t;

NB_API("&db")
item_t *items_find(int64_t id) { (void)id; return NULL; }

NB_API("@web")
void web_ping(void) {}

NB_API()
bool everywhere(bool v) { return v; }

/* A generic build is a tagless, nameless node. */
int generic_sees = NB_ON("!&db") + NB_ON("&db") + NB_ON("@web");
