/*
 * metrics_http.c — GET /metrics with libmicrohttpd (metrics_http.h).
 *
 * libmicrohttpd runs the endpoint on a thread of its own, apart from the
 * runtime's loop, so a slow or hostile scraper never holds a thread that calls
 * or serves. Started by nb_start after the loop and stopped by nb_stop before
 * the configuration it reads (nb__cfg) is cleared.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "metrics_http.h"

/* Written by start and stop only (nb_start / nb_stop, serialised by the
 * lifecycle lock); the server's thread reads peer_up, set before it starts. */
static struct MHD_Daemon *daemon_;
static nb__metrics_peer_up_fn peer_up_;

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status,
                                   const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    (void)cls, (void)version, (void)upload_data, (void)upload_data_size, (void)req_cls;
    if (strcmp(url, "/metrics") != 0)
        return answer_text(conn, MHD_HTTP_NOT_FOUND, "not found: the figures are at /metrics\n");
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
    size_t len;
    char *text = nb__metrics_render(peer_up_, &len);
    if (!text)
        return answer_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* Splits "host:port" or "[v6]:port" and resolves it (numeric port). Returns the
 * list for the caller to free with freeaddrinfo, or NULL after filling why. */
static struct addrinfo *resolve(const char *addr, char *why, size_t whylen)
{
    const char *colon = strrchr(addr, ':');
    char host[256];
    size_t hlen = colon ? (size_t)(colon - addr) : 0;
    if (!colon || hlen == 0 || hlen >= sizeof host || colon[1] == '\0') {
        snprintf(why, whylen, "\"%s\" is not host:port", addr);
        return NULL;
    }
    if (addr[0] == '[' && hlen >= 2 && addr[hlen - 1] == ']') {
        memcpy(host, addr + 1, hlen - 2);
        host[hlen - 2] = '\0';
    } else {
        memcpy(host, addr, hlen);
        host[hlen] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "cannot resolve \"%s\": %s", addr, gai_strerror(rc));
        return NULL;
    }
    return res;
}

int nb__metrics_http_start(const char *addr, nb__metrics_peer_up_fn peer_up, char *why,
                           size_t whylen)
{
    struct addrinfo *res = resolve(addr, why, whylen);
    if (!res)
        return -1;
    peer_up_ = peer_up;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (res->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    daemon_ = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
                               MHD_OPTION_SOCK_ADDR, res->ai_addr,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
                               MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)4,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                               MHD_OPTION_END);
    freeaddrinfo(res);
    if (!daemon_) {
        /* libmicrohttpd says nothing more; binding is what fails in practice. */
        snprintf(why, whylen, "cannot serve /metrics on %s (address in use or not local?)", addr);
        return -1;
    }
    return 0;
}

void nb__metrics_http_stop(void)
{
    if (daemon_)
        MHD_stop_daemon(daemon_);
    daemon_ = NULL;
}
