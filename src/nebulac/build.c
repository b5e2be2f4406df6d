#include "build.h"

#include <stdio.h>
#include <string.h>

void nbc_build_init(nbc_build *b, const nbc_topology *topo, int self, const char *name)
{
    memset(b, 0, sizeof *b);
    b->topo = topo;
    b->self = self;
    b->self_name = name;
    if (self >= 0) {
        b->self_node = topo->nodes[self];
        return;
    }
    /* A generic build is a tagless node: `!&db` holds there, `&db` does not. */
    const char *at = strchr(name, '@');
    snprintf(b->self_short, sizeof b->self_short, "%.*s", at ? (int)(at - name) : (int)strlen(name), name);
    snprintf(b->self_host, sizeof b->self_host, "%s", at ? at + 1 : "");
    b->self_node = (nb__node_def){name, b->self_short, b->self_host, NULL, 0, NULL, 0, NULL};
}

int nbc_build_on_eval(void *ctx, const char *selector, nbc_loc loc)
{
    const nbc_build *b = ctx;
    nb__selector sel;
    if (nbc_selector_check(b->topo, selector, loc, "NB_ON call", &sel) != 0)
        return -1;
    int v = nb__sel_match(&sel, &b->self_node);
    nb__sel_free(&sel);
    return v;
}
