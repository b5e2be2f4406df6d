/*
 * signature.h — the identities nodes compare before they exchange calls.
 *
 * A method's wire id is FNV-1a 64 of its canonical signature followed, for every
 * NB_STRUCT reachable from it (depth first, each once), by
 * "|" name "{" canonical fields "}" — so two builds that disagree on a signature
 * or on a struct's layout never exchange calls for it. The topology fingerprint
 * is FNV-1a 64 over every node ("name=tag,tag,;") in file order, then "|", then
 * every API as "name:wireid;" in name order.
 */
#ifndef NBC_SIGNATURE_H
#define NBC_SIGNATURE_H

#include <stdint.h>

#include "model.h"
#include "topology.h"

/* "user_t *users_find(int64_t id)" (types must be classified); owned by m's arena. */
const char *nbc_signature(nbc_model *m, const nbc_api *api);

/* The wire id of an API whose signature is set. */
uint64_t nbc_wire_id(const nbc_api *api);

/* The topology fingerprint as 16 lowercase hex digits into out[17]: the nodes,
 * their tags and the transport. API signatures are not in it; they are matched
 * per method, by wire id, when calls are routed (docs/upgrades.md). */
void nbc_fingerprint(const nbc_topology *topo, char out[17]);

#endif /* NBC_SIGNATURE_H */
