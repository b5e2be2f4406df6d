/* nb_call options written as literals are checked at build time by the rules
 * the library applies before sending anything (NB_E_BAD_OPTION). One rule a
 * line; the calls after "valid:" can run and must not be refused. */
#include <nebula.h>

NB_API("&cache") int hits(void) { return 0; }

static bool ok(const nb_result *r, void *arg) { (void)arg; return r->code == NB_OK; }
static bool pick_any(const nb_node_info *n, void *arg) { (void)n; (void)arg; return true; }
static int first(const nb_node_info *n, size_t count, void *arg) { (void)n; (void)arg; return count ? 0 : -1; }

int main(int argc, char **argv)
{
    nb_results res;
    nb_result_fn maybe = argc > 1 ? ok : NULL;
    int n = 0;
    nb_start(0);
    n += hits__with(&(nb_call){.nodes = "&cache", .strategy = NB_FIRST, .success = ok, .failure = ok, .results = &res});
    n += hits__with(&(nb_call){.node = "&cache", .success = ok});
    NB_ON_NODES("&cache", &res, .failure = ok) { n += hits(); }
    NB_ON_NODE("&cache", .strategy = NB_FIRST) { n += hits(); }
    n += hits__with(&(nb_call){.node = "@api", .at_least = 1});
    n += hits__with(&(nb_call){.nodes = "&cache", .results = &res, .strategy = NB_FIRST, .at_least = 2});
    n += hits__with(&(nb_call){.nodes = "&cache", .results = &res, .strategy = NB_QUORUM, .at_least = -1});
    NB_ON_ALL_NODES(&res, .timeout_ms = -5) { n += hits(); }
    n += hits__with(&(nb_call){.node = "@api", .nodes = "&cache", .results = &res});
    NB_ON_NODES_FN(pick_any, NULL, &res, .strategy = NB_QUORUM) { n += hits(); }
    n += hits__with(&(nb_call){.success = ok, .failure = ok, .strategy = NB_QUORUM});
    n += hits__with(&(const nb_call){.pick = first, .all = true});
    n += hits__with(&(nb_call){.strategy = 3, .nodes = "&cache"});
    n += hits__with(&(nb_call){.node = "@api", .max_time_extensions = -3});
    /* valid: */
    n += hits__with(&(nb_call){.strategy = NB_FIRST});              /* a block may give the target */
    n += hits__with(&(nb_call){.timeout_ms = -1});                  /* ignored under a block */
    n += hits__with(&(nb_call){.nodes = "&cache", .success = maybe, .failure = ok, .strategy = NB_FIRST});
    n += hits__with(&(nb_call){.nodes = "&cache", .results = &res, .strategy = NB_QUORUM, .at_least = 2});
    n += hits__with(&(nb_call){.node = argc > 2 ? "@api" : NULL, .nodes = "&cache", .results = &res});
    n += hits__with(&(nb_call){.default_route = true, .timeout_ms = 100});
    n += hits__with(&(nb_call){.node = "@api", .max_time_extensions = NB_NO_EXTENSIONS});
    n += hits__with(&(nb_call){0});
    n += hits__with(NULL);
    NB_ON_NODES_FN(pick_any, NULL, &res, .strategy = NB_QUORUM, .quorum = NB_QUORUM_AVAILABLE) { n += hits(); }
    NB_ON_NODE_FN(first, NULL) { n += hits(); }
    NB_ON_NODES("&cache", &res, .strategy = NB_FIRST, .success = ok) { n += hits(); }
    NB_ON_ALL_NODES(&res, .timeout_ms = 5000) { n += hits(); }
    return n;
}
