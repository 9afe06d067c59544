#include "local_http.h"

#include "binge/error.h"
#include "binge/log.h"

#include <glib.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

LOG_MODULE("player");

/* hlsdemux2 keeps at most a playlist and a segment or two in flight; the cap only guards
 * against a misbehaving local client. */
#define LOCAL_HTTP_MAX_CONN 16
#define LOCAL_HTTP_HEADER_MAX 8192
/* A peer that stops reading or writing releases its thread after this long. */
#define LOCAL_HTTP_IO_TIMEOUT_S 10
/* The current stream, a prerolled one and one being re-tuned or disposed of. */
#define LOCAL_HTTP_MAX_PUBS 4

/* One published directory. */
struct local_http_pub {
    unsigned id;     /* 0 = free slot */
    char *root;      /* resolved directory being served */
    char prefix[40]; /* "/<32 hex digits>/", new for each publish */
};

struct local_http {
    int listen_fd;
    int wake_fds[2]; /* written once by local_http_free to stop the acceptor */
    unsigned port;
    GThread *acceptor;
    GMutex lock;
    GCond idle;
    /* Protected by lock: */
    struct local_http_pub pubs[LOCAL_HTTP_MAX_PUBS];
    unsigned last_id;
    int conns[LOCAL_HTTP_MAX_CONN]; /* connections being served, -1 = free slot */
    int n_conns;
};

struct local_http_conn {
    struct local_http *srv;
    int fd;
    int slot;
};

struct local_http_range {
    bool partial;
    off_t start, len;
};

static bool send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        /* MSG_NOSIGNAL: a player that hangs up mid-segment must not SIGPIPE the app. */
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static void send_status(int fd, int status, const char *reason, const char *extra)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n%sConnection: close\r\n\r\n", status,
                     reason, extra ? extra : "");
    if (n > 0 && (size_t)n < sizeof(head))
        send_all(fd, head, (size_t)n);
}

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return "application/octet-stream";
    if (strcasecmp(dot, ".m3u8") == 0)
        return "application/vnd.apple.mpegurl";
    if (strcasecmp(dot, ".ts") == 0)
        return "video/mp2t";
    if (strcasecmp(dot, ".aac") == 0)
        return "audio/aac";
    if (strcasecmp(dot, ".mp4") == 0 || strcasecmp(dot, ".m4s") == 0)
        return "video/mp4";
    if (strcasecmp(dot, ".vtt") == 0)
        return "text/vtt";
    return "application/octet-stream";
}

/* Finds header name (case-insensitive) in the request head and returns its value, or NULL. */
static const char *find_header(const char *head, const char *name, size_t *value_len)
{
    size_t name_len = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        if (strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *v = line + name_len + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            const char *end = strstr(v, "\r\n");
            *value_len = end ? (size_t)(end - v) : strlen(v);
            return v;
        }
    }
    return NULL;
}

/* Parses a single "bytes=a-b", "bytes=a-" or "bytes=-n" range against size. Returns false
 * when the range cannot be satisfied (416); anything else unusual is ignored (whole file). */
static bool parse_range(const char *v, size_t v_len, off_t size, struct local_http_range *r)
{
    r->partial = false;
    r->start = 0;
    r->len = size;
    char buf[64];
    if (!v || v_len >= sizeof(buf))
        return true;
    memcpy(buf, v, v_len);
    buf[v_len] = '\0';
    if (strncmp(buf, "bytes=", 6) != 0 || strchr(buf, ','))
        return true;
    char *spec = buf + 6;
    char *dash = strchr(spec, '-');
    if (!dash)
        return true;
    *dash = '\0';
    char *end = NULL;
    errno = 0;
    if (*spec == '\0') {
        long long suffix = strtoll(dash + 1, &end, 10);
        if (errno || *end || suffix <= 0)
            return true;
        if (size == 0)
            return false;
        r->start = suffix >= size ? 0 : size - suffix;
    } else {
        long long start = strtoll(spec, &end, 10);
        if (errno || *end || start < 0)
            return true;
        if (start >= size)
            return false;
        r->start = start;
        if (dash[1] != '\0') {
            long long last = strtoll(dash + 1, &end, 10);
            if (errno || *end || last < start)
                return true;
            r->len = (last >= size ? size - 1 : last) - start + 1;
            r->partial = true;
            return true;
        }
    }
    r->len = size - r->start;
    r->partial = true;
    return true;
}

/* Maps the request target to a file under the published root. Returns an open fd or -1. */
static int open_target(struct local_http *srv, const char *target, char **resolved)
{
    char *root = NULL;
    size_t prefix_len = 0;
    g_mutex_lock(&srv->lock);
    for (int i = 0; i < LOCAL_HTTP_MAX_PUBS; i++) {
        const struct local_http_pub *pub = &srv->pubs[i];
        size_t n = strlen(pub->prefix);
        if (pub->id && strncmp(target, pub->prefix, n) == 0) {
            root = g_strdup(pub->root);
            prefix_len = n;
            break;
        }
    }
    g_mutex_unlock(&srv->lock);

    int fd = -1;
    char *rel = NULL, *full = NULL, *real = NULL;
    if (!root)
        goto fail;
    rel = g_strndup(target + prefix_len, strcspn(target + prefix_len, "?#"));
    /* Refuses escaped slashes and NULs, so the decoded name has no surprises. */
    char *decoded = g_uri_unescape_string(rel, "/");
    if (!decoded || decoded[0] == '\0') {
        g_free(decoded);
        goto fail;
    }
    full = g_build_filename(root, decoded, NULL);
    g_free(decoded);
    real = realpath(full, NULL);
    size_t root_len = strlen(root);
    /* realpath resolves ".." and symlinks; whatever it gives must still be under the root. */
    if (!real || strncmp(real, root, root_len) != 0 || real[root_len] != '/')
        goto fail;
    /* O_NONBLOCK: the open of a FIFO nobody writes returns at once instead of waiting for a
     * writer for ever (which held the player in loading, and player_free on this thread). */
    fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        goto fail;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
        close(fd);
        fd = -1;
        goto fail;
    }
    *resolved = g_strdup(rel);
fail:
    g_free(root);
    g_free(rel);
    g_free(full);
    free(real);
    return fd;
}

static void serve(struct local_http *srv, int fd)
{
    char head[LOCAL_HTTP_HEADER_MAX + 1];
    size_t len = 0;
    head[0] = '\0';
    while (!strstr(head, "\r\n\r\n")) {
        if (len == LOCAL_HTTP_HEADER_MAX) {
            send_status(fd, 431, "Request Header Fields Too Large", NULL);
            return;
        }
        ssize_t n = recv(fd, head + len, LOCAL_HTTP_HEADER_MAX - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        len += (size_t)n;
        head[len] = '\0';
    }

    char method[8], target[2048];
    if (sscanf(head, "%7s %2047s HTTP/1.%*c", method, target) != 2) {
        send_status(fd, 400, "Bad Request", NULL);
        return;
    }
    bool is_head = strcmp(method, "HEAD") == 0;
    if (!is_head && strcmp(method, "GET") != 0) {
        send_status(fd, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
        return;
    }

    char *name = NULL;
    int file = open_target(srv, target, &name);
    if (file < 0) {
        log_debug("local http: %s -> 404", method);
        send_status(fd, 404, "Not Found", NULL);
        return;
    }
    struct stat st;
    if (fstat(file, &st) != 0) {
        send_status(fd, 500, "Internal Server Error", NULL);
        goto done;
    }
    size_t range_len = 0;
    const char *range_value = find_header(head, "Range", &range_len);
    struct local_http_range r;
    if (!parse_range(range_value, range_len, st.st_size, &r)) {
        char extra[64];
        snprintf(extra, sizeof(extra), "Content-Range: bytes */%jd\r\n", (intmax_t)st.st_size);
        send_status(fd, 416, "Range Not Satisfiable", extra);
        goto done;
    }

    char reply[512];
    int n;
    if (r.partial)
        n = snprintf(reply, sizeof(reply),
                     "HTTP/1.1 206 Partial Content\r\nContent-Type: %s\r\n"
                     "Content-Length: %jd\r\nContent-Range: bytes %jd-%jd/%jd\r\n"
                     "Accept-Ranges: bytes\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
                     content_type(name), (intmax_t)r.len, (intmax_t)r.start,
                     (intmax_t)(r.start + r.len - 1), (intmax_t)st.st_size);
    else
        n = snprintf(reply, sizeof(reply),
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %jd\r\n"
                     "Accept-Ranges: bytes\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
                     content_type(name), (intmax_t)r.len);
    if (n <= 0 || (size_t)n >= sizeof(reply) || !send_all(fd, reply, (size_t)n))
        goto done;
    log_debug("local http: %s %s -> %d (%jd bytes)", method, name, r.partial ? 206 : 200,
              (intmax_t)r.len);
    if (is_head)
        goto done;

    char buf[64 * 1024];
    off_t off = r.start, left = r.len;
    while (left > 0) {
        ssize_t got = pread(file, buf, left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf), off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || !send_all(fd, buf, (size_t)got))
            break; /* the file shrank or the peer left; the short body tells the peer */
        off += got;
        left -= got;
    }
done:
    close(file);
    g_free(name);
}

static gpointer conn_thread(gpointer data)
{
    struct local_http_conn *c = data;
    struct local_http *srv = c->srv;
    serve(srv, c->fd);
    g_mutex_lock(&srv->lock);
    /* Closed under the lock, so local_http_free never shuts down a recycled descriptor. */
    close(c->fd);
    srv->conns[c->slot] = -1;
    srv->n_conns--;
    g_cond_broadcast(&srv->idle);
    g_mutex_unlock(&srv->lock);
    g_free(c);
    return NULL;
}

static void start_conn(struct local_http *srv, int fd)
{
    struct timeval tv = {.tv_sec = LOCAL_HTTP_IO_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

    int slot = -1;
    g_mutex_lock(&srv->lock);
    for (int i = 0; i < LOCAL_HTTP_MAX_CONN; i++) {
        if (srv->conns[i] < 0) {
            slot = i;
            srv->conns[i] = fd;
            srv->n_conns++;
            break;
        }
    }
    g_mutex_unlock(&srv->lock);
    if (slot < 0) {
        log_warn("local http: too many connections, refusing one");
        send_status(fd, 503, "Service Unavailable", NULL);
        close(fd);
        return;
    }

    struct local_http_conn *c = g_new0(struct local_http_conn, 1);
    c->srv = srv;
    c->fd = fd;
    c->slot = slot;
    GError *err = NULL;
    GThread *t = g_thread_try_new("binge-http", conn_thread, c, &err);
    if (!t) {
        log_warn("local http: cannot start a thread: %s", err->message);
        g_error_free(err);
        g_mutex_lock(&srv->lock);
        close(fd);
        srv->conns[slot] = -1;
        srv->n_conns--;
        g_cond_broadcast(&srv->idle);
        g_mutex_unlock(&srv->lock);
        g_free(c);
        return;
    }
    g_thread_unref(t); /* detached: local_http_free waits on n_conns instead */
}

static gpointer accept_thread(gpointer data)
{
    struct local_http *srv = data;
    for (;;) {
        struct pollfd pfd[2] = {
            {.fd = srv->listen_fd, .events = POLLIN},
            {.fd = srv->wake_fds[0], .events = POLLIN},
        };
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("local http: poll failed: %s", strerror(errno));
            break;
        }
        if (pfd[1].revents)
            break;
        if (!(pfd[0].revents & POLLIN))
            continue;
        int fd = accept(srv->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED)
                continue;
            log_warn("local http: accept failed: %s", strerror(errno));
            g_usleep(100 * 1000); /* out of descriptors: do not spin */
            continue;
        }
        /* Accepted sockets do not inherit O_NONBLOCK on Linux; serve() wants blocking I/O. */
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        start_conn(srv, fd);
    }
    return NULL;
}

struct local_http *local_http_new(void)
{
    struct local_http *srv = g_new0(struct local_http, 1);
    srv->listen_fd = -1;
    srv->wake_fds[0] = srv->wake_fds[1] = -1;
    for (int i = 0; i < LOCAL_HTTP_MAX_CONN; i++)
        srv->conns[i] = -1;
    g_mutex_init(&srv->lock);
    g_cond_init(&srv->idle);

    srv->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (srv->listen_fd < 0) {
        log_error("local http: socket: %s", strerror(errno));
        goto fail;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t addr_len = sizeof(addr);
    if (bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(srv->listen_fd, 16) != 0 ||
        getsockname(srv->listen_fd, (struct sockaddr *)&addr, &addr_len) != 0) {
        log_error("local http: cannot listen on 127.0.0.1: %s", strerror(errno));
        goto fail;
    }
    srv->port = ntohs(addr.sin_port);
    if (pipe(srv->wake_fds) != 0) {
        log_error("local http: pipe: %s", strerror(errno));
        goto fail;
    }
    fcntl(srv->wake_fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(srv->wake_fds[1], F_SETFD, FD_CLOEXEC);
    GError *err = NULL;
    srv->acceptor = g_thread_try_new("binge-http-accept", accept_thread, srv, &err);
    if (!srv->acceptor) {
        log_error("local http: cannot start a thread: %s", err->message);
        g_error_free(err);
        goto fail;
    }
    log_debug("local http: serving local HLS on 127.0.0.1:%u", srv->port);
    return srv;
fail:
    local_http_free(srv);
    return NULL;
}

void local_http_free(struct local_http *srv)
{
    if (!srv)
        return;
    if (srv->acceptor) {
        ssize_t n;
        do
            n = write(srv->wake_fds[1], "x", 1);
        while (n < 0 && errno == EINTR);
        g_thread_join(srv->acceptor);
    }
    g_mutex_lock(&srv->lock);
    /* Wakes connection threads blocked in recv/send; they then close and leave. */
    for (int i = 0; i < LOCAL_HTTP_MAX_CONN; i++) {
        if (srv->conns[i] >= 0)
            shutdown(srv->conns[i], SHUT_RDWR);
    }
    while (srv->n_conns > 0)
        g_cond_wait(&srv->idle, &srv->lock);
    g_mutex_unlock(&srv->lock);

    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    for (int i = 0; i < 2; i++) {
        if (srv->wake_fds[i] >= 0)
            close(srv->wake_fds[i]);
    }
    for (int i = 0; i < LOCAL_HTTP_MAX_PUBS; i++)
        g_free(srv->pubs[i].root);
    g_mutex_clear(&srv->lock);
    g_cond_clear(&srv->idle);
    g_free(srv);
}

int local_http_publish(struct local_http *srv, const char *path, char **url, unsigned *id)
{
    *url = NULL;
    *id = 0;
    if (!srv || !path || path[0] != '/')
        return BINGE_EINVAL;
    char *dir = g_path_get_dirname(path);
    char *base = g_path_get_basename(path);
    /* A directory that does not resolve still gets published, so that the player sees a 404
     * like from any server instead of a special case. */
    char *real = realpath(dir, NULL);
    char *root = real ? g_strdup(real) : g_strdup(dir);
    free(real);
    char *escaped = g_uri_escape_string(base, NULL, FALSE);

    char prefix[sizeof(srv->pubs[0].prefix)];
    snprintf(prefix, sizeof(prefix), "/%08" PRIx32 "%08" PRIx32 "%08" PRIx32 "%08" PRIx32 "/",
             g_random_int(), g_random_int(), g_random_int(), g_random_int());
    char *old_root = NULL;
    g_mutex_lock(&srv->lock);
    /* A free slot, else the oldest publication makes room. */
    struct local_http_pub *slot = NULL;
    for (int i = 0; i < LOCAL_HTTP_MAX_PUBS; i++) {
        struct local_http_pub *pub = &srv->pubs[i];
        if (!pub->id) {
            slot = pub;
            break;
        }
        if (!slot || pub->id < slot->id)
            slot = pub;
    }
    old_root = slot->root;
    if (++srv->last_id == 0)
        srv->last_id = 1;
    slot->id = srv->last_id;
    slot->root = root;
    memcpy(slot->prefix, prefix, sizeof(prefix));
    *id = slot->id;
    g_mutex_unlock(&srv->lock);
    g_free(old_root);

    *url = g_strdup_printf("http://127.0.0.1:%u%s%s", srv->port, prefix, escaped);
    g_free(dir);
    g_free(base);
    g_free(escaped);
    return 0;
}

void local_http_withdraw(struct local_http *srv, unsigned id)
{
    if (!srv || !id)
        return;
    char *root = NULL;
    g_mutex_lock(&srv->lock);
    for (int i = 0; i < LOCAL_HTTP_MAX_PUBS; i++) {
        struct local_http_pub *pub = &srv->pubs[i];
        if (pub->id == id) {
            root = pub->root;
            memset(pub, 0, sizeof(*pub));
            break;
        }
    }
    g_mutex_unlock(&srv->lock);
    g_free(root);
}
