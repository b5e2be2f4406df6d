/*
 * tls_paths.c — placeholders and environment overrides of the mtls paths.
 *
 * Relative paths were already resolved against the topology file's directory
 * by nebulac; this only fills in the node, so one topology line serves every
 * node ("certs/{short}.pem").
 */
#include "tls_paths.h"

#include <stdlib.h>
#include <string.h>

/* Appends n bytes of s to the growing string *out (length *len, capacity *cap);
 * returns -1 when out of memory (then *out is freed and NULL). */
static int append(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t want = (*len + n + 1) * 2;
        char *grown = realloc(*out, want);
        if (grown == NULL) {
            free(*out);
            *out = NULL;
            return -1;
        }
        *out = grown;
        *cap = want;
    }
    memcpy(*out + *len, s, n);
    *len += n;
    (*out)[*len] = '\0';
    return 0;
}

char *nb__tls_path_expand(const char *tmpl, const char *env_override, const char *node_name)
{
    if (env_override != NULL && env_override[0] != '\0')
        tmpl = env_override;
    if (tmpl == NULL)
        return NULL;
    const char *at = strchr(node_name, '@');
    size_t name_len = strlen(node_name);
    size_t short_len = at ? (size_t)(at - node_name) : name_len;
    const char *host = at ? at + 1 : "";
    char *out = NULL;
    size_t len = 0, cap = 0;
    if (append(&out, &len, &cap, "", 0) < 0)
        return NULL;
    for (const char *p = tmpl; *p != '\0';) {
        int rc;
        if (strncmp(p, "{node}", 6) == 0) {
            rc = append(&out, &len, &cap, node_name, name_len);
            p += 6;
        } else if (strncmp(p, "{short}", 7) == 0) {
            rc = append(&out, &len, &cap, node_name, short_len);
            p += 7;
        } else if (strncmp(p, "{host}", 6) == 0) {
            rc = append(&out, &len, &cap, host, strlen(host));
            p += 6;
        } else {
            rc = append(&out, &len, &cap, p, 1);
            p++;
        }
        if (rc < 0)
            return NULL;
    }
    return out;
}
