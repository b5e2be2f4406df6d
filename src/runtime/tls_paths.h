/*
 * tls_paths.h — where a node finds its mtls files (topology `tls:`), as a pure
 * function so it is tested without a cluster. See docs/security.md.
 */
#ifndef NB_RUNTIME_TLS_PATHS_H
#define NB_RUNTIME_TLS_PATHS_H

/*
 * Expands {node} (short@host), {short} and {host} in tmpl for node_name
 * (short@host). When env_override (the value of $NEBULA_TLS_CA,
 * $NEBULA_TLS_CERT or $NEBULA_TLS_KEY) is non-NULL and non-empty it replaces
 * tmpl and is expanded the same way. Any other {word} is kept as it stands.
 * All arguments are borrowed. Returns a new string (the caller frees it), or
 * NULL when there is neither a template nor an override, or out of memory.
 *
 * At start, for nb__security: ca_path = nb__tls_path_expand(def->tls_ca,
 * getenv("NEBULA_TLS_CA"), self_name), and the same for cert and key.
 */
char *nb__tls_path_expand(const char *tmpl, const char *env_override, const char *node_name);

#endif /* NB_RUNTIME_TLS_PATHS_H */
