#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <microhttpd.h>

#include "api.h"
#include "binge/error.h"
#include "faults.h"
#include "slog.h"

/* The sweeper wakes up once for deadlines this close together, and logs what it closed at most
 * this often. */
#define SWEEP_SLACK_S 0.05
#define SWEEP_LOG_INTERVAL_S 1.0

/* Pool threads whatever the CPU count. */
#define HTTP_MIN_THREADS 4u
#define HTTP_MAX_THREADS 64u

/* What an HTML page may do: show itself with its inline style, submit its forms to this origin,
 * and nothing else (no script, no frame, no foreign resource). */
static const char html_csp[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/* One accepted connection, from libmicrohttpd's connect notification to its close notification.
 * due and the list links are guarded by http_server.conn_lock. */
struct http_conn {
    struct http_conn *prev;
    struct http_conn *next;
    MHD_socket fd; /* owned by MHD; valid until the close notification, which takes conn_lock */
    double due;    /* CLOCK_MONOTONIC seconds by which the pending request must be in; 0: none */
    bool idle;     /* due is a kept-alive connection's idle deadline, not a request's */
};

struct http_server {
    int fd; /* listening socket; owned by MHD once started */
    int port;
    int family;
    char host[300]; /* URL form of the host */
    struct MHD_Daemon *daemon;
    struct api *api;
    struct faults *faults;  /* NULL unless --dev */
    struct http_config cfg; /* with the defaults filled in; public_url copied */
    char public_url[512];
    /* The request deadline: every open connection, and the sweeper thread that disconnects those
     * whose request is overdue. */
    pthread_mutex_t conn_lock;
    pthread_cond_t conn_cond; /* CLOCK_MONOTONIC */
    struct http_conn *conns;
    struct http_request *delayed; /* suspended by an injected latency */
    double sweep_at; /* when the sweeper next wakes up by itself; guarded by conn_lock */
    bool stopping;   /* guarded by conn_lock */
    bool sync_ready; /* conn_lock and conn_cond exist */
    bool sweeper_running;
    pthread_t sweeper;
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
    const char *fault; /* name of an injected fault, for the log */
    /* An injected latency suspends the connection (its pool thread serves the others) and the
     * sweeper resumes it; access_handler is then called again and carries on from here. */
    bool before_done;                  /* the "before" faults were looked up */
    bool handled;                      /* held is the api's answer */
    struct api_response held;          /* fd -1 when empty */
    struct MHD_Connection *conn;       /* while delayed */
    double resume_at;                  /* while delayed, CLOCK_MONOTONIC seconds */
    struct http_request *delayed_next; /* in http_server.delayed, guarded by conn_lock */
};

/* The body of an injected truncated or oversized response, produced as MHD asks for it. */
struct fault_body {
    char *data; /* truncate: the bytes sent before the connection is cut */
    size_t len;
    uint64_t total; /* oversize: the size of the generated JSON */
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

static double mono_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the request deadline ---- */

static struct http_conn *conn_state(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

/* Sets when the connection's pending request must be in (0: nothing pending). keep_earlier
 * keeps an earlier request deadline already set (the accept's, for a first request), never an
 * idle one: a request line that comes just before the idle timeout gets its whole request
 * timeout. idle marks the new deadline as an idle keep-alive one. */
static void conn_set_due(struct http_server *srv, struct http_conn *hc, double due,
                         bool keep_earlier, bool idle)
{
    if (!hc)
        return;
    pthread_mutex_lock(&srv->conn_lock);
    if (!(keep_earlier && !hc->idle && hc->due > 0 && hc->due <= due)) {
        hc->due = due;
        hc->idle = idle;
    }
    if (hc->due > 0 && hc->due + SWEEP_SLACK_S < srv->sweep_at)
        pthread_cond_signal(&srv->conn_cond);
    pthread_mutex_unlock(&srv->conn_lock);
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    struct http_conn *hc = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        hc = calloc(1, sizeof(*hc));
        if (!hc || !ci) {
            /* Without its record the connection has only the idle timeout; say so. */
            free(hc);
            slog_msg(SLOG_WARN, "http", "out of memory tracking a connection");
            return;
        }
        hc->fd = ci->connect_fd;
        pthread_mutex_lock(&srv->conn_lock);
        hc->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = hc;
        srv->conns = hc;
        pthread_mutex_unlock(&srv->conn_lock);
        *socket_context = hc;
        /* The first request is due from the accept. */
        conn_set_due(srv, hc, mono_now() + srv->cfg.request_timeout_s, false, false);
        return;
    }
    if (!hc)
        return;
    /* MHD closes the socket only after this returns, and the sweeper shuts sockets down only
     * under conn_lock: it never touches a descriptor number that was reused. */
    pthread_mutex_lock(&srv->conn_lock);
    if (hc->prev)
        hc->prev->next = hc->next;
    else
        srv->conns = hc->next;
    if (hc->next)
        hc->next->prev = hc->prev;
    pthread_mutex_unlock(&srv->conn_lock);
    free(hc);
    *socket_context = NULL;
}

/* Called when a request line has been read: that request is due within the request timeout,
 * whatever an idle keep-alive connection had left. The return value starts the request's
 * con_cls; access_handler creates its own. */
static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *srv = cls;

    (void)uri;
    conn_set_due(srv, conn_state(conn), mono_now() + srv->cfg.request_timeout_s, true, false);
    return NULL;
}

/* Disconnects the connections whose request is overdue: shutdown() makes MHD see the end of
 * the stream and close the connection itself, through its own bookkeeping. */
static void *sweeper_main(void *arg)
{
    struct http_server *srv = arg;
    unsigned long unlogged = 0; /* closed since the last log line */
    double logged_at = 0;

    pthread_mutex_lock(&srv->conn_lock);
    while (!srv->stopping) {
        double now = mono_now();
        double next = INFINITY;
        struct timespec until;

        for (struct http_request **pp = &srv->delayed; *pp;) {
            struct http_request *req = *pp;
            if (req->resume_at <= now) {
                *pp = req->delayed_next;
                MHD_resume_connection(req->conn);
            } else {
                if (req->resume_at < next)
                    next = req->resume_at;
                pp = &req->delayed_next;
            }
        }
        for (struct http_conn *hc = srv->conns; hc; hc = hc->next) {
            if (hc->due <= 0)
                continue;
            if (hc->due <= now) {
                shutdown(hc->fd, SHUT_RDWR);
                hc->due = 0;
                unlogged++;
            } else if (hc->due < next) {
                next = hc->due;
            }
        }
        /* One line a second at most, however many connections an attack makes. */
        if (unlogged && now - logged_at >= SWEEP_LOG_INTERVAL_S) {
            slog_msg(SLOG_INFO, "http",
                     "closed %lu connection%s that sent no complete request within %us", unlogged,
                     unlogged == 1 ? "" : "s", srv->cfg.request_timeout_s);
            unlogged = 0;
            logged_at = now;
        }
        if (unlogged && logged_at + SWEEP_LOG_INTERVAL_S < next)
            next = logged_at + SWEEP_LOG_INTERVAL_S;
        /* Deadlines close together are swept together. Nothing pending: sleep until a new
         * deadline signals. */
        next += SWEEP_SLACK_S;
        srv->sweep_at = next;
        if (isinf(next))
            next = now + 3600;
        until.tv_sec = (time_t)next;
        until.tv_nsec = (long)((next - (double)until.tv_sec) * 1e9);
        pthread_cond_timedwait(&srv->conn_cond, &srv->conn_lock, &until);
    }
    /* Stopping: injected latencies end at once (MHD must not be stopped with a connection
     * suspended), and no new one starts (delay_request sees stopping). */
    while (srv->delayed) {
        struct http_request *req = srv->delayed;
        srv->delayed = req->delayed_next;
        MHD_resume_connection(req->conn);
    }
    pthread_mutex_unlock(&srv->conn_lock);
    return NULL;
}

/* Delays the request by ms without holding its pool thread: suspends the connection for the
 * sweeper to resume. Returns false (no delay) once the server is stopping. */
static bool delay_request(struct http_server *srv, struct MHD_Connection *conn,
                          struct http_request *req, int ms)
{
    bool delayed = false;

    if (ms <= 0)
        return false;
    pthread_mutex_lock(&srv->conn_lock);
    if (!srv->stopping) {
        MHD_suspend_connection(conn);
        req->conn = conn;
        req->resume_at = mono_now() + ms / 1000.0;
        req->delayed_next = srv->delayed;
        srv->delayed = req;
        if (req->resume_at < srv->sweep_at)
            pthread_cond_signal(&srv->conn_cond);
        delayed = true;
    }
    pthread_mutex_unlock(&srv->conn_lock);
    return delayed;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct http_request *req = *con_cls;
    struct timespec end;
    long long ms;

    /* A kept-alive connection has the idle timeout to start its next request. */
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        conn_set_due(srv, conn_state(conn), mono_now() + srv->cfg.idle_timeout_s, false, true);
    if (!req)
        return;
    clock_gettime(CLOCK_MONOTONIC, &end);
    ms = (long long)(end.tv_sec - req->start.tv_sec) * 1000 +
         (end.tv_nsec - req->start.tv_nsec) / 1000000;
    if (req->status)
        slog_msg(SLOG_INFO, "http", "%s %s %u %lldms%s%s%s", req->method, req->path, req->status,
                 ms, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)",
                 req->fault ? " fault=" : "", req->fault ? req->fault : "");
    else
        slog_msg(SLOG_INFO, "http", "%s %s - %lldms (no response)%s%s", req->method, req->path, ms,
                 req->fault ? " fault=" : "", req->fault ? req->fault : "");
    api_response_clear(&req->held);
    free(req->body);
    free(req);
    *con_cls = NULL;
}

static void add_headers(struct MHD_Response *m, const struct api_response *r)
{
    char value[24];

    if (r->allow[0])
        MHD_add_response_header(m, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->etag[0])
        MHD_add_response_header(m, MHD_HTTP_HEADER_ETAG, r->etag);
    if (r->cache_control)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, r->cache_control);
    if (r->retry_after > 0) {
        snprintf(value, sizeof(value), "%d", r->retry_after);
        MHD_add_response_header(m, MHD_HTTP_HEADER_RETRY_AFTER, value);
    }
    if (r->content_language)
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_LANGUAGE, r->content_language);
    if (r->vary)
        MHD_add_response_header(m, MHD_HTTP_HEADER_VARY, r->vary);
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
    add_headers(m, r);
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    if (r->content_type && strncasecmp(r->content_type, "text/html", 9) == 0) {
        MHD_add_response_header(m, "X-Frame-Options", "DENY");
        MHD_add_response_header(m, "Content-Security-Policy", html_csp);
        MHD_add_response_header(m, "Referrer-Policy", "same-origin");
    }
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

/* ---- injected faults (--dev) ---- */

static const char oversize_head[] = "{\"shelves\":[";
static const char oversize_item[] =
    "{\"id\":\"oversize\",\"title\":\"Oversized body injected by binge-server --dev\","
    "\"items\":[]},";
static const char oversize_tail[] = "{\"id\":\"end\",\"title\":\"End\",\"items\":[]}]}";

/* The oversized body is head, blank padding, n items and tail: valid JSON of exactly total
 * bytes, generated piece by piece so it never sits in memory. */
static ssize_t oversize_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    const struct fault_body *fb = cls;
    const uint64_t head = sizeof(oversize_head) - 1;
    const uint64_t item = sizeof(oversize_item) - 1;
    const uint64_t tail = sizeof(oversize_tail) - 1;
    const uint64_t middle = fb->total - head - tail;
    const uint64_t pad = middle % item;
    size_t o = 0;

    if (pos >= fb->total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    while (o < max && pos < fb->total) {
        if (pos < head) {
            buf[o] = oversize_head[pos];
        } else if (pos < head + pad) {
            buf[o] = ' ';
        } else if (pos < head + middle) {
            buf[o] = oversize_item[(pos - head - pad) % item];
        } else {
            buf[o] = oversize_tail[pos - head - middle];
        }
        o++;
        pos++;
    }
    return (ssize_t)o;
}

/* Sends the prepared bytes, then reports an error: MHD closes the connection short of the
 * Content-Length it announced. */
static ssize_t truncate_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    const struct fault_body *fb = cls;
    size_t n;

    if (pos >= fb->len)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    n = fb->len - (size_t)pos < max ? fb->len - (size_t)pos : max;
    memcpy(buf, fb->data + pos, n);
    return (ssize_t)n;
}

static void fault_body_free(void *cls)
{
    struct fault_body *fb = cls;

    if (!fb)
        return;
    free(fb->data);
    free(fb);
}

static enum MHD_Result queue_fault_body(struct MHD_Connection *conn, struct http_request *req,
                                        const struct fault_rule *rule,
                                        const struct api_response *real)
{
    static const char filler[] = "{\"error\":{\"code\":\"internal\",\"message\":\"this body is cut "
                                 "short by an injected truncate fault\"}}";
    struct fault_body *fb = calloc(1, sizeof(*fb));
    struct MHD_Response *m;
    enum MHD_Result ret;
    uint64_t announced;
    unsigned int status = 200;

    if (!fb)
        return MHD_NO;
    if (rule->kind == FAULT_OVERSIZE) {
        fb->total = (uint64_t)rule->bytes;
        m = MHD_create_response_from_callback(fb->total, 64 * 1024, oversize_reader, fb,
                                              fault_body_free);
    } else {
        /* Half of the real body when there is one (phase "after"), else a filler. */
        const char *src = real && real->body && real->body_len > 1 ? real->body : filler;
        size_t len = src == filler ? sizeof(filler) - 1 : real->body_len;
        if (src != filler && real->status > 0)
            status = (unsigned int)real->status;
        fb->len = len / 2;
        fb->data = malloc(fb->len + 1);
        if (!fb->data) {
            fault_body_free(fb);
            return MHD_NO;
        }
        memcpy(fb->data, src, fb->len);
        announced = len + 1024;
        m = MHD_create_response_from_callback(announced, 4096, truncate_reader, fb,
                                              fault_body_free);
    }
    if (!m) {
        fault_body_free(fb);
        return MHD_NO;
    }
    MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
    MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    req->status = status;
    ret = MHD_queue_response(conn, status, m);
    MHD_destroy_response(m);
    return ret;
}

/* Aborts the connection with a TCP RST: SO_LINGER 0, then connect(AF_UNSPEC), which on Linux
 * disconnects the socket abortively while leaving the descriptor (which MHD owns and closes)
 * valid. A plain close by MHD would send a FIN first. */
static enum MHD_Result reset_connection(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct linger lg = {1, 0};
    struct sockaddr sa;

    if (ci) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_family = AF_UNSPEC;
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        if (connect(ci->connect_fd, &sa, sizeof(sa)) != 0)
            slog_msg(SLOG_WARN, "http", "fault reset: disconnect failed: %s", strerror(errno));
    }
    return MHD_NO;
}

/* Carries out a fault other than latency. real is the handled response (phase "after") or NULL;
 * it is consumed. */
static enum MHD_Result apply_fault(struct MHD_Connection *conn, struct http_request *req,
                                   const struct fault_rule *rule, struct api_response *real)
{
    struct api_response r = {.fd = -1};
    enum MHD_Result ret;

    req->fault = fault_kind_name(rule->kind);
    switch (rule->kind) {
    case FAULT_500:
        api_response_clear(real);
        api_error(&r, 500, "internal", "injected fault: 500");
        return queue_response(conn, req, &r);
    case FAULT_503:
        api_response_clear(real);
        api_error(&r, 503, "unavailable", "injected fault: 503, retry later");
        r.retry_after = rule->retry_after;
        return queue_response(conn, req, &r);
    case FAULT_RESET:
        api_response_clear(real);
        return reset_connection(conn);
    case FAULT_TRUNCATE:
    case FAULT_OVERSIZE:
        ret = queue_fault_body(conn, req, rule, real);
        api_response_clear(real);
        return ret;
    case FAULT_LATENCY:
        break;
    }
    api_response_clear(real);
    return MHD_NO;
}

static const char *query_arg(void *ctx, const char *name)
{
    return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static void client_address(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

/* ---- cross-site requests ---- */

static bool is_safe_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "OPTIONS") == 0;
}

/* Splits "scheme://authority[/...]" into its scheme's default port and the authority. Returns
 * false for anything else (including the opaque origin "null"). */
static bool split_origin(const char *url, const char **authority, size_t *len, const char **dflt)
{
    size_t n;

    if (strncasecmp(url, "http://", 7) == 0) {
        *authority = url + 7;
        *dflt = "80";
    } else if (strncasecmp(url, "https://", 8) == 0) {
        *authority = url + 8;
        *dflt = "443";
    } else {
        return false;
    }
    n = strcspn(*authority, "/?#");
    if (n == 0)
        return false;
    *len = n;
    return true;
}

/* Compares two authorities case-insensitively, treating a missing port as the default one. */
static bool same_authority(const char *a, size_t alen, const char *b, size_t blen, const char *dflt)
{
    size_t dlen = strlen(dflt);

    if (alen == blen && strncasecmp(a, b, alen) == 0)
        return true;
    /* "host" against "host:80" (and the reverse) */
    if (alen == blen + 1 + dlen && strncasecmp(a, b, blen) == 0 && a[blen] == ':' &&
        strncmp(a + blen + 1, dflt, dlen) == 0)
        return true;
    return blen == alen + 1 + dlen && strncasecmp(a, b, alen) == 0 && b[alen] == ':' &&
           strncmp(b + alen + 1, dflt, dlen) == 0;
}

/* A browser names the page that sent a request in Origin (or at least in Referer). A
 * state-changing request sent from another site's page is a forgery; clients that are not
 * browsers send neither header and pass. */
static bool from_other_site(const struct http_server *srv, struct MHD_Connection *conn,
                            const char *method, const char **named)
{
    const char *src = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    const char *auth;
    const char *dflt;
    size_t len;

    if (is_safe_method(method))
        return false;
    if (!src)
        src = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_REFERER);
    if (!src)
        return false;
    *named = src;
    if (!split_origin(src, &auth, &len, &dflt))
        return true;
    if (host && same_authority(auth, len, host, strlen(host), dflt))
        return false;
    if (srv->public_url[0]) {
        const char *pub;
        const char *pub_dflt;
        size_t pub_len;
        if (split_origin(srv->public_url, &pub, &pub_len, &pub_dflt) &&
            strcmp(pub_dflt, dflt) == 0 && same_authority(auth, len, pub, pub_len, dflt))
            return false;
    }
    return true;
}

static enum MHD_Result respond_cross_site(struct MHD_Connection *conn, struct http_request *req,
                                          const char *named)
{
    struct api_response r = {.fd = -1};
    char shown[128];

    copy_printable(shown, sizeof(shown), named);
    slog_msg(SLOG_WARN, "http", "%s %s refused: sent from another site (%s)", req->method,
             req->path, shown);
    api_error(&r, 403, "forbidden", "cross-site request refused");
    return queue_response(conn, req, &r);
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
    struct fault_rule rule;
    struct timespec mono;
    char addr[INET6_ADDRSTRLEN];

    if (!req) {
        const char *cl;
        const char *named = NULL;
        req = calloc(1, sizeof(*req));
        if (!req)
            return MHD_NO;
        req->held.fd = -1;
        clock_gettime(CLOCK_MONOTONIC, &req->start);
        copy_printable(req->method, sizeof(req->method), method);
        copy_printable(req->path, sizeof(req->path), url);
        *con_cls = req;
        /* Refused before its body is read: the request is over, its deadline too. */
        if (from_other_site(srv, conn, method, &named)) {
            conn_set_due(srv, conn_state(conn), 0, false, false);
            return respond_cross_site(conn, req, named);
        }
        /* Refuse an announced oversize body before reading any of it. */
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > API_BODY_MAX) {
            conn_set_due(srv, conn_state(conn), 0, false, false);
            return respond_too_large(conn, req);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        body_append(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    /* The whole request is in: from here on only the idle timeout applies (a long media
     * response is not cut). */
    conn_set_due(srv, conn_state(conn), 0, false, false);
    if (req->too_large)
        return respond_too_large(conn, req);

    if (!req->before_done) {
        req->before_done = true;
        if (faults_take(srv->faults, method, url, FAULT_BEFORE, &rule)) {
            if (rule.kind != FAULT_LATENCY)
                return apply_fault(conn, req, &rule, NULL);
            req->fault = "latency";
            if (delay_request(srv, conn, req, rule.ms))
                return MHD_YES; /* called again when resumed */
        }
    }
    if (req->handled)
        goto answer;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    client_address(conn, addr, sizeof(addr));
    memset(&areq, 0, sizeof(areq));
    areq.method = method;
    areq.path = url;
    areq.authorization =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    areq.device_header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Device-Id");
    areq.host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    areq.if_none_match =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    areq.accept_language =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
    areq.content_type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    areq.dev_now = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Dev-Now");
    areq.exp = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "exp");
    areq.sig = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "sig");
    areq.query = query_arg;
    areq.query_ctx = conn;
    areq.client_addr = addr[0] ? addr : NULL;
    areq.mono_now = (double)mono.tv_sec + (double)mono.tv_nsec / 1e9;
    areq.body = req->body;
    areq.body_len = req->body_len;
    areq.now = (long long)time(NULL);
    api_handle(srv->api, &areq, &req->held);
    req->handled = true;
    if (faults_take(srv->faults, method, url, FAULT_AFTER, &rule)) {
        if (rule.kind != FAULT_LATENCY) {
            r = req->held;
            req->held = (struct api_response){.fd = -1};
            return apply_fault(conn, req, &rule, &r);
        }
        /* The request was handled; only its answer is late. */
        req->fault = "latency";
        if (delay_request(srv, conn, req, rule.ms))
            return MHD_YES; /* called again when resumed */
    }
answer:
    r = req->held;
    req->held = (struct api_response){.fd = -1};
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

static unsigned int default_threads(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned long n = (cpus > 0 ? (unsigned long)cpus : 1ul) * HTTP_DEFAULT_THREADS_PER_CPU;

    return n < HTTP_MIN_THREADS ? HTTP_MIN_THREADS
                                : (n > HTTP_MAX_THREADS ? HTTP_MAX_THREADS : (unsigned int)n);
}

static void fill_config(struct http_server *srv, const struct http_config *in)
{
    struct http_config *c = &srv->cfg;

    if (in)
        *c = *in;
    if (!c->threads)
        c->threads = default_threads();
    if (!c->max_connections)
        c->max_connections = HTTP_DEFAULT_MAX_CONNECTIONS;
    if (!c->max_per_ip)
        c->max_per_ip = HTTP_DEFAULT_MAX_PER_IP;
    if (!c->request_timeout_s)
        c->request_timeout_s = HTTP_DEFAULT_REQUEST_TIMEOUT_S;
    if (!c->idle_timeout_s)
        c->idle_timeout_s = HTTP_DEFAULT_IDLE_TIMEOUT_S;
    /* Each pool thread gets its share of the connections: at least one each. */
    if (c->max_connections < c->threads)
        c->max_connections = c->threads;
    snprintf(srv->public_url, sizeof(srv->public_url), "%s", c->public_url ? c->public_url : "");
    c->public_url = NULL;
}

static int start_sweeper(struct http_server *srv)
{
    pthread_condattr_t attr;

    if (pthread_mutex_init(&srv->conn_lock, NULL) != 0)
        return BINGE_ENOMEM;
    if (pthread_condattr_init(&attr) != 0) {
        pthread_mutex_destroy(&srv->conn_lock);
        return BINGE_ENOMEM;
    }
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (pthread_cond_init(&srv->conn_cond, &attr) != 0) {
        pthread_condattr_destroy(&attr);
        pthread_mutex_destroy(&srv->conn_lock);
        return BINGE_ENOMEM;
    }
    pthread_condattr_destroy(&attr);
    srv->sync_ready = true;
    srv->sweep_at = INFINITY;
    if (pthread_create(&srv->sweeper, NULL, sweeper_main, srv) != 0)
        return BINGE_ENOMEM;
    srv->sweeper_running = true;
    return 0;
}

static void stop_sweeper(struct http_server *srv)
{
    if (!srv->sweeper_running)
        return;
    pthread_mutex_lock(&srv->conn_lock);
    srv->stopping = true;
    pthread_cond_signal(&srv->conn_cond);
    pthread_mutex_unlock(&srv->conn_lock);
    pthread_join(srv->sweeper, NULL);
    srv->sweeper_running = false;
}

int http_server_start(struct http_server *srv, struct api *api, const struct http_config *cfg)
{
    /* epoll where libmicrohttpd has it (Linux), poll() elsewhere: either way a pool of threads
     * multiplexing connections, never a thread per connection. */
    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
        (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL);
    int rc;

    if (!srv || !api)
        return BINGE_EINVAL;
    if (srv->daemon || srv->fd < 0)
        return BINGE_ESTATE;
    if (srv->family == AF_INET6)
        flags |= MHD_USE_IPv6;
    srv->api = api;
    srv->faults = api_faults(api);
    fill_config(srv, cfg);
    if (!srv->sync_ready) {
        rc = start_sweeper(srv);
        if (rc < 0) {
            slog_msg(SLOG_ERROR, "http", "cannot start the request deadline thread");
            return rc;
        }
    }
    srv->daemon = MHD_start_daemon(
        /* The logger goes first so that messages about the other options reach it too. */
        flags, 0, NULL, NULL, access_handler, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->fd, MHD_OPTION_THREAD_POOL_SIZE,
        srv->cfg.threads, MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv, MHD_OPTION_URI_LOG_CALLBACK,
        uri_logged, srv, MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.idle_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, srv->cfg.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        srv->cfg.max_per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
        MHD_OPTION_END);
    if (!srv->daemon) {
        slog_msg(SLOG_ERROR, "http", "libmicrohttpd failed to start");
        return BINGE_EIO;
    }
    slog_msg(SLOG_INFO, "http",
             "%u threads, at most %u connections (%u per client address), requests due "
             "within %us, idle connections closed after %us",
             srv->cfg.threads, srv->cfg.max_connections, srv->cfg.max_per_ip,
             srv->cfg.request_timeout_s, srv->cfg.idle_timeout_s);
    return 0;
}

void http_server_free(struct http_server *srv)
{
    if (!srv)
        return;
    /* The sweeper resumes every connection an injected latency suspended, and no new one is
     * suspended after that. */
    stop_sweeper(srv);
    if (srv->daemon) {
        faults_shutdown(srv->faults);
        /* MHD_stop_daemon joins its pool threads, closes every connection (each close
         * notification frees its record) and the listening socket. */
        MHD_stop_daemon(srv->daemon);
    } else if (srv->fd >= 0) {
        close(srv->fd);
    }
    if (srv->sync_ready) {
        pthread_cond_destroy(&srv->conn_cond);
        pthread_mutex_destroy(&srv->conn_lock);
    }
    free(srv);
}
