#include "http.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "api.h"
#include "binge/error.h"
#include "slog.h"

/* Idle keep-alive connections are dropped after this many seconds, so a vanished client does not
 * pin a thread forever. */
#define HTTP_IDLE_TIMEOUT_S 30u

/* Upper bound on concurrent connections: each costs a thread. */
#define HTTP_MAX_CONNECTIONS 256u

struct http_server {
    int fd; /* listening socket; owned by MHD once started */
    int port;
    int family;
    char host[300]; /* URL form of the host */
    struct MHD_Daemon *daemon;
    struct api *api;
};

/* Per-request state, created on the first callback and freed when the request completes. */
struct http_request {
    struct timespec start;
    char method[16];
    char path[256]; /* sanitised for the log */
    char *body;
    size_t body_len;
    bool too_large;
    unsigned int status;
};

static void copy_printable(char *dst, size_t cap, const char *src)
{
    size_t o = 0;

    /* Request paths are attacker-controlled: no control bytes reach the log. */
    for (; src && *src && o + 1 < cap; src++)
        dst[o++] = (*src >= 0x20 && *src < 0x7f) ? *src : '?';
    dst[o] = '\0';
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char text[512];
    size_t n;

    vsnprintf(text, sizeof(text), fmt, ap);
    n = strlen(text);
    while (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    slog_msg(SLOG_WARN, "mhd", "%s", text);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_request *req = *con_cls;
    struct timespec end;
    long long ms;

    if (!req)
        return;
    clock_gettime(CLOCK_MONOTONIC, &end);
    ms = (long long)(end.tv_sec - req->start.tv_sec) * 1000 +
         (end.tv_nsec - req->start.tv_nsec) / 1000000;
    if (req->status)
        slog_msg(SLOG_INFO, "http", "%s %s %u %lldms%s", req->method, req->path, req->status, ms,
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    else
        slog_msg(SLOG_INFO, "http", "%s %s - %lldms (no response)", req->method, req->path, ms);
    free(req->body);
    free(req);
    *con_cls = NULL;
}

static enum MHD_Result queue_response(struct MHD_Connection *conn, struct http_request *req,
                                      struct api_response *r)
{
    struct MHD_Response *m;
    enum MHD_Result ret;

    if (r->fd >= 0) {
        m = MHD_create_response_from_fd64((uint64_t)r->fd_size, r->fd);
        if (m)
            r->fd = -1; /* MHD closes it */
    } else if (r->body) {
        m = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
        if (m)
            r->body = NULL; /* MHD frees it */
    } else {
        m = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!m) {
        api_response_clear(r);
        return MHD_NO;
    }
    if (r->content_type && r->status != 304)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    if (r->allow)
        MHD_add_response_header(m, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->etag[0])
        MHD_add_response_header(m, MHD_HTTP_HEADER_ETAG, r->etag);
    if (r->cache_control)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, r->cache_control);
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    req->status = (unsigned int)r->status;
    ret = MHD_queue_response(conn, (unsigned int)r->status, m);
    MHD_destroy_response(m);
    api_response_clear(r);
    return ret;
}

static enum MHD_Result respond_too_large(struct MHD_Connection *conn, struct http_request *req)
{
    struct api_response r = {.fd = -1};
    char message[64];

    snprintf(message, sizeof(message), "request body larger than %d bytes", API_BODY_MAX);
    api_error(&r, 413, "payload_too_large", message);
    return queue_response(conn, req, &r);
}

static void body_append(struct http_request *req, const char *data, size_t n)
{
    char *p;

    if (req->too_large || n > API_BODY_MAX - req->body_len) {
        /* Keep reading (and dropping) the body so the 413 can be sent once it is in. */
        req->too_large = true;
        free(req->body);
        req->body = NULL;
        req->body_len = 0;
        return;
    }
    p = realloc(req->body, req->body_len + n + 1);
    if (!p) {
        req->too_large = true;
        return;
    }
    memcpy(p + req->body_len, data, n);
    req->body = p;
    req->body_len += n;
    req->body[req->body_len] = '\0';
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct http_server *srv = cls;
    struct http_request *req = *con_cls;
    struct api_request areq;
    struct api_response r;

    if (!req) {
        const char *cl;
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &req->start);
        copy_printable(req->method, sizeof(req->method), method);
        copy_printable(req->path, sizeof(req->path), url);
        *con_cls = req;
        /* Refuse an announced oversize body before reading any of it. */
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > API_BODY_MAX)
            return respond_too_large(conn, req);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        body_append(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->too_large)
        return respond_too_large(conn, req);

    memset(&areq, 0, sizeof(areq));
    areq.method = method;
    areq.path = url;
    areq.authorization =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    areq.device_header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Device-Id");
    areq.host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    areq.if_none_match =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    areq.exp = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "exp");
    areq.sig = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sig");
    areq.body = req->body;
    areq.body_len = req->body_len;
    areq.now = (long long)time(NULL);
    api_handle(srv->api, &areq, &r);
    return queue_response(conn, req, &r);
}

/* Splits "host:port" / "[v6]:port". host gets the bare address, url_host the URL form. */
static int parse_listen(const char *s, char *host, size_t hcap, char *url_host, size_t ucap,
                        char *port, size_t pcap)
{
    const char *colon;
    size_t hlen;

    if (!s)
        return BINGE_EINVAL;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return BINGE_EINVAL;
        hlen = (size_t)(close - s - 1);
        if (hlen == 0 || hlen >= hcap || hlen + 3 > ucap)
            return BINGE_EINVAL;
        memcpy(host, s + 1, hlen);
        host[hlen] = '\0';
        snprintf(url_host, ucap, "[%s]", host);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return BINGE_EINVAL;
        hlen = (size_t)(colon - s);
        if (hlen == 0 || hlen >= hcap || hlen >= ucap || memchr(s, ':', hlen))
            return BINGE_EINVAL;
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        snprintf(url_host, ucap, "%s", host);
    }
    colon++;
    if (!*colon || strlen(colon) > 5 || strlen(colon) >= pcap)
        return BINGE_EINVAL;
    for (const char *p = colon; *p; p++) {
        if (*p < '0' || *p > '9')
            return BINGE_EINVAL;
    }
    if (atoi(colon) > 65535)
        return BINGE_EINVAL;
    snprintf(port, pcap, "%s", colon);
    return 0;
}

static int bind_first(const struct addrinfo *list, int *family)
{
    int saved = 0;

    for (const struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int one = 1;
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        /* A restarted server must not wait for TIME_WAIT sockets of the previous one. */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) {
            *family = ai->ai_family;
            return fd;
        }
        saved = errno;
        close(fd);
    }
    errno = saved;
    return -1;
}

int http_server_new(const char *listen_addr, struct http_server **out)
{
    struct http_server *srv;
    struct addrinfo hints;
    struct addrinfo *list = NULL;
    struct sockaddr_storage ss;
    socklen_t ss_len = sizeof(ss);
    char host[256];
    char port[8];
    int gai;
    int rc;

    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    srv = calloc(1, sizeof(*srv));
    if (!srv)
        return BINGE_ENOMEM;
    srv->fd = -1;
    rc = parse_listen(listen_addr, host, sizeof(host), srv->host, sizeof(srv->host), port,
                      sizeof(port));
    if (rc < 0)
        goto fail; /* the caller reports it: it is a usage error */
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    gai = getaddrinfo(host, port, &hints, &list);
    if (gai != 0) {
        slog_msg(SLOG_ERROR, "http", "cannot resolve %s: %s", host, gai_strerror(gai));
        rc = BINGE_ENET;
        goto fail;
    }
    srv->fd = bind_first(list, &srv->family);
    freeaddrinfo(list);
    if (srv->fd < 0) {
        slog_msg(SLOG_ERROR, "http", "cannot listen on %s:%s: %s", srv->host, port,
                 strerror(errno));
        rc = BINGE_ENET;
        goto fail;
    }
    if (getsockname(srv->fd, (struct sockaddr *)&ss, &ss_len) != 0) {
        rc = BINGE_ENET;
        goto fail;
    }
    if (ss.ss_family == AF_INET6)
        srv->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    else
        srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *out = srv;
    return 0;

fail:
    http_server_free(srv);
    return rc;
}

int http_server_port(const struct http_server *srv)
{
    return srv ? srv->port : 0;
}

const char *http_server_host(const struct http_server *srv)
{
    return srv ? srv->host : "";
}

int http_server_start(struct http_server *srv, struct api *api)
{
    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;

    if (!srv || !api)
        return BINGE_EINVAL;
    if (srv->daemon || srv->fd < 0)
        return BINGE_ESTATE;
    if (srv->family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->api = api;
    srv->daemon = MHD_start_daemon(
        /* The logger goes first so that messages about the other options reach it too. */
        flags, 0, NULL, NULL, access_handler, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->fd, MHD_OPTION_NOTIFY_COMPLETED,
        request_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, HTTP_MAX_CONNECTIONS, MHD_OPTION_END);
    if (!srv->daemon) {
        slog_msg(SLOG_ERROR, "http", "libmicrohttpd failed to start");
        return BINGE_EIO;
    }
    return 0;
}

void http_server_free(struct http_server *srv)
{
    if (!srv)
        return;
    if (srv->daemon) {
        /* MHD_stop_daemon joins every connection thread and closes the listening socket. */
        MHD_stop_daemon(srv->daemon);
    } else if (srv->fd >= 0) {
        close(srv->fd);
    }
    free(srv);
}
