#include "test_player_util.h"
#include "testutil.h"

#include "binge/log.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- time and wake-ups ---- */

static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond;
static bool woken;

int64_t tp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tp_wake(void *data)
{
    (void)data;
    pthread_mutex_lock(&wake_lock);
    woken = true;
    pthread_cond_signal(&wake_cond);
    pthread_mutex_unlock(&wake_lock);
}

void tp_wait_wake(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += (long)ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&wake_lock);
    while (!woken) {
        if (pthread_cond_timedwait(&wake_cond, &wake_lock, &ts) == ETIMEDOUT)
            break;
    }
    woken = false;
    pthread_mutex_unlock(&wake_lock);
}

void tp_filter(void)
{
    const char *f = getenv("BINGE_TEST_FILTER");
    if (f && *f)
        cmocka_set_test_filter(f);
}

int tp_setup(void)
{
    const char *debug = getenv("BINGE_TEST_DEBUG");
    log_set_level(debug && *debug ? LOG_DEBUG : LOG_INFO);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wake_cond, &attr);
    pthread_condattr_destroy(&attr);
    if (player_init() != 0) {
        fprintf(stderr, "player_init failed\n");
        return -1;
    }
    return 0;
}

/* ---- fixtures ---- */

static const char *source_dir(void)
{
    const char *s = getenv("BINGE_SOURCE_DIR");
    return s && *s ? s : BINGE_SOURCE_DIR;
}

static const char *build_dir(void)
{
    const char *s = getenv("BINGE_BUILD_DIR");
    return s && *s ? s : BINGE_BUILD_DIR;
}

const char *tp_streams_dir(void)
{
    static char dir[PATH_MAX];
    static int state; /* 0 not yet, 1 ok, -1 failed */
    if (state == 0) {
        snprintf(dir, sizeof(dir), "%s/fixtures/streams", build_dir());
        char cmd[3 * PATH_MAX];
        /* make-streams caches by its own hash and locks the directory: quick after the first
         * run, safe from parallel tests. */
        snprintf(cmd, sizeof(cmd), "'%s/tests/fixtures/make-streams' --out '%s' >&2", source_dir(),
                 dir);
        state = system(cmd) == 0 ? 1 : -1;
        if (state < 0)
            fprintf(stderr, "make-streams failed: %s\n", cmd);
    }
    return state > 0 ? dir : NULL;
}

const char *tp_content_dir(const char *name, const char *args)
{
    static char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/fixtures/%s", build_dir(), name);
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "'%s/scripts/make-content' --out '%s' %s >&2", source_dir(), dir,
             args);
    if (system(cmd) != 0) {
        fprintf(stderr, "make-content failed: %s\n", cmd);
        return NULL;
    }
    return dir;
}

const char *tp_file_uri(const char *dir, const char *rel)
{
    static char uri[PATH_MAX + 64];
    snprintf(uri, sizeof(uri), "file://%s/%s", dir, rel);
    return uri;
}

/* ---- the HTTP server ---- */

#define TP_MAX_RULES 8
#define TP_MAX_LOG 4096
#define TP_MAX_CONNS 256

struct tp_rule {
    char needle[128];
    enum tp_http_action action;
    int count;
};

static struct {
    int fd;
    int port;
    pthread_t thread;
    int stop_pipe[2];
    char root[PATH_MAX];
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int active; /* connection threads */
    /* The client sockets of the connection threads: tp_http_stop shuts them down. A thread
     * takes its fd out under the lock before it closes it, so a shut down fd is never reused. */
    struct tp_conn {
        int fd;
        char path[256]; /* the request's path, "" until it is read */
    } conns[TP_MAX_CONNS];
    struct tp_rule rules[TP_MAX_RULES];
    int n_rules;
    char *put_path[8], *put_text[8];
    int n_put;
    char *log[TP_MAX_LOG];
    int n_log;
    int held;          /* threads in TP_HTTP_SILENT or TP_HTTP_LATE */
    unsigned released; /* bumped by tp_http_release */
    atomic_bool stopping;
} srv = {.fd = -1, .stop_pipe = {-1, -1}, .lock = PTHREAD_MUTEX_INITIALIZER};

/* srv.lock held. Returns the slot of fd, or -1. */
static int conn_slot_locked(int fd)
{
    for (int i = 0; i < TP_MAX_CONNS; i++) {
        if (srv.conns[i].fd == fd)
            return i;
    }
    return -1;
}

static void conn_note_path(int fd, const char *path)
{
    pthread_mutex_lock(&srv.lock);
    int i = conn_slot_locked(fd);
    if (i >= 0) {
        size_t n = strnlen(path, sizeof(srv.conns[i].path) - 1);
        memcpy(srv.conns[i].path, path, n);
        srv.conns[i].path[n] = '\0';
    }
    pthread_mutex_unlock(&srv.lock);
}

static void send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

static void send_status(int fd, int code, const char *reason)
{
    char head[160];
    int n =
        snprintf(head, sizeof(head),
                 "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code, reason);
    send_all(fd, head, (size_t)n);
}

static enum tp_http_action decide(const char *path)
{
    enum tp_http_action a = TP_HTTP_SERVE;
    pthread_mutex_lock(&srv.lock);
    if (srv.n_log < TP_MAX_LOG)
        srv.log[srv.n_log++] = strdup(path);
    for (int i = 0; i < srv.n_rules; i++) {
        struct tp_rule *r = &srv.rules[i];
        if (r->count != 0 && strstr(path, r->needle)) {
            a = r->action;
            if (r->count > 0)
                r->count--;
            break;
        }
    }
    pthread_mutex_unlock(&srv.lock);
    return a;
}

static const char *mime(const char *path)
{
    if (strstr(path, ".m3u8"))
        return "application/vnd.apple.mpegurl";
    if (strstr(path, ".vtt"))
        return "text/vtt";
    if (strstr(path, ".mp4") || strstr(path, ".m4s"))
        return "video/mp4";
    if (strstr(path, ".ts"))
        return "video/mp2t";
    return "application/octet-stream";
}

/* Waits, without sending, until the client hangs up or the server stops. */
static void hang(int fd)
{
    while (!atomic_load(&srv.stopping)) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, 100);
        if (n < 0 && errno != EINTR)
            return;
        if (n > 0) {
            char c;
            ssize_t got = recv(fd, &c, 1, MSG_DONTWAIT);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
                return;
            if (pfd.revents & (POLLHUP | POLLERR))
                return;
        }
    }
}

/* TP_HTTP_SILENT: blocks without answering until the client hangs up, tp_http_release, the
 * server stops or the hang limit. */
static bool hold(int fd)
{
    bool released = false;
    pthread_mutex_lock(&srv.lock);
    unsigned gen = srv.released;
    srv.held++;
    pthread_mutex_unlock(&srv.lock);
    for (int waited = 0; waited < TP_HTTP_HELD_MAX_MS; waited += 50) {
        pthread_mutex_lock(&srv.lock);
        released = gen != srv.released;
        pthread_mutex_unlock(&srv.lock);
        if (released || atomic_load(&srv.stopping))
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int n = poll(&pfd, 1, 50);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0) {
            char c;
            ssize_t got = recv(fd, &c, 1, MSG_DONTWAIT);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR) ||
                (pfd.revents & (POLLHUP | POLLERR)))
                break;
        }
    }
    pthread_mutex_lock(&srv.lock);
    srv.held--;
    pthread_mutex_unlock(&srv.lock);
    return released;
}

static void serve(int fd)
{
    char req[8192];
    size_t len = 0;
    req[0] = '\0';
    while (!strstr(req, "\r\n\r\n") && len < sizeof(req) - 1) {
        ssize_t n = recv(fd, req + len, sizeof(req) - 1 - len, 0);
        if (n <= 0)
            return;
        len += (size_t)n;
        req[len] = '\0';
    }
    char method[8], target[2048];
    if (sscanf(req, "%7s %2047s", method, target) != 2) {
        send_status(fd, 400, "Bad Request");
        return;
    }
    target[strcspn(target, "?")] = '\0';
    conn_note_path(fd, target);
    enum tp_http_action action = decide(target);
    if (strstr(target, "..")) {
        send_status(fd, 400, "Bad Request");
        return;
    }
    if (action == TP_HTTP_403) {
        send_status(fd, 403, "Forbidden");
        return;
    }
    if (action == TP_HTTP_500) {
        send_status(fd, 500, "Internal Server Error");
        return;
    }
    if (action == TP_HTTP_SILENT) {
        hold(fd);
        return;
    }
    if (action == TP_HTTP_LATE && !hold(fd))
        return; /* the client left, or the server stops */
    char *text = NULL;
    pthread_mutex_lock(&srv.lock);
    for (int i = 0; i < srv.n_put && !text; i++) {
        if (strcmp(srv.put_path[i], target) == 0)
            text = strdup(srv.put_text[i]);
    }
    pthread_mutex_unlock(&srv.lock);
    if (text) {
        char head[256];
        int n = snprintf(head, sizeof(head),
                         "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n",
                         mime(target), strlen(text));
        send_all(fd, head, (size_t)n);
        if (strcmp(method, "HEAD") != 0)
            send_all(fd, text, strlen(text));
        free(text);
        return;
    }
    char path[PATH_MAX + 2048];
    snprintf(path, sizeof(path), "%s%s", srv.root, target);
    FILE *f = action == TP_HTTP_404 ? NULL : fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        if (f)
            fclose(f);
        send_status(fd, 404, "Not Found");
        return;
    }
    long long start = 0, size = st.st_size, count = size;
    bool partial = false;
    const char *range = strstr(req, "\r\nRange: bytes=");
    if (range) {
        long long a = -1, b = -1;
        if (sscanf(range + strlen("\r\nRange: bytes="), "%lld-%lld", &a, &b) >= 1 && a >= 0 &&
            a < size) {
            start = a;
            count = (b >= a && b < size ? b : size - 1) - a + 1;
            partial = true;
        }
    }
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %lld\r\n"
                     "Accept-Ranges: bytes\r\n",
                     partial ? "206 Partial Content" : "200 OK", mime(target), count);
    if (partial)
        n += snprintf(head + n, sizeof(head) - (size_t)n, "Content-Range: bytes %lld-%lld/%lld\r\n",
                      start, start + count - 1, size);
    n += snprintf(head + n, sizeof(head) - (size_t)n, "Connection: close\r\n\r\n");
    send_all(fd, head, (size_t)n);
    if (strcmp(method, "HEAD") != 0) {
        long long limit = action == TP_HTTP_HANG ? count / 2 : count;
        fseek(f, start, SEEK_SET);
        char buf[16384];
        while (limit > 0) {
            size_t want = limit < (long long)sizeof(buf) ? (size_t)limit : sizeof(buf);
            size_t got = fread(buf, 1, want, f);
            if (got == 0)
                break;
            send_all(fd, buf, got);
            limit -= (long long)got;
        }
        if (action == TP_HTTP_HANG)
            hang(fd);
    }
    fclose(f);
}

static void *conn_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    serve(fd);
    pthread_mutex_lock(&srv.lock);
    int i = conn_slot_locked(fd);
    if (i >= 0)
        srv.conns[i].fd = -1;
    close(fd); /* under the lock: tp_http_stop never shuts down an fd reused meanwhile */
    srv.active--;
    pthread_cond_broadcast(&srv.idle);
    pthread_mutex_unlock(&srv.lock);
    return NULL;
}

static void *accept_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct pollfd pfd[2] = {{.fd = srv.fd, .events = POLLIN},
                                {.fd = srv.stop_pipe[0], .events = POLLIN}};
        if (poll(pfd, 2, -1) < 0 && errno == EINTR)
            continue;
        if (pfd[1].revents)
            return NULL;
        if (!(pfd[0].revents & POLLIN))
            continue;
        int fd = accept(srv.fd, NULL, NULL);
        if (fd < 0)
            continue;
        pthread_mutex_lock(&srv.lock);
        int slot = conn_slot_locked(-1);
        if (slot >= 0) {
            srv.conns[slot].fd = fd;
            srv.conns[slot].path[0] = '\0';
            srv.active++;
        }
        pthread_mutex_unlock(&srv.lock);
        pthread_t t;
        if (slot < 0) {
            fprintf(stderr, "tp_http: more than %d connections at once: refused\n", TP_MAX_CONNS);
            close(fd);
        } else if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd) == 0) {
            pthread_detach(t);
        } else {
            pthread_mutex_lock(&srv.lock);
            srv.conns[slot].fd = -1;
            close(fd);
            srv.active--;
            pthread_mutex_unlock(&srv.lock);
        }
    }
}

int tp_http_start(const char *root)
{
    snprintf(srv.root, sizeof(srv.root), "%s", root);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&srv.idle, &attr);
    pthread_condattr_destroy(&attr);
    for (int i = 0; i < TP_MAX_CONNS; i++)
        srv.conns[i].fd = -1;
    atomic_store(&srv.stopping, false);
    srv.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (srv.fd < 0 || bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(srv.fd, 32) != 0 || getsockname(srv.fd, (struct sockaddr *)&a, &len) != 0 ||
        pipe(srv.stop_pipe) != 0)
        return -1;
    srv.port = ntohs(a.sin_port);
    return pthread_create(&srv.thread, NULL, accept_main, NULL) == 0 ? 0 : -1;
}

int tp_http_stop(void)
{
    if (srv.stop_pipe[1] < 0)
        return 0;
    atomic_store(&srv.stopping, true);
    if (write(srv.stop_pipe[1], "x", 1) == 1)
        pthread_join(srv.thread, NULL);
    /* No more connections come. Those still open are cut: a connection thread may be blocked
     * in recv() on a client that never sends its request (or never reads the answer), and only
     * the client's side would end that. */
    pthread_mutex_lock(&srv.lock);
    int open = 0;
    for (int i = 0; i < TP_MAX_CONNS; i++) {
        if (srv.conns[i].fd < 0)
            continue;
        fprintf(stderr, "tp_http_stop: a connection is still open (%s): shut down\n",
                srv.conns[i].path[0] ? srv.conns[i].path : "no request read");
        shutdown(srv.conns[i].fd, SHUT_RDWR);
        open++;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += tu_scaled(TP_WAIT_MS) / 1000 + 1;
    while (srv.active > 0) {
        if (pthread_cond_timedwait(&srv.idle, &srv.lock, &until) == ETIMEDOUT)
            break;
    }
    if (srv.active > 0) {
        /* A bound against a hang: the threads still use srv, so it stays as it is. */
        fprintf(stderr, "tp_http_stop: %d connection threads did not end\n", srv.active);
        pthread_mutex_unlock(&srv.lock);
        return -1;
    }
    for (int i = 0; i < srv.n_log; i++)
        free(srv.log[i]);
    srv.n_log = 0;
    for (int i = 0; i < srv.n_put; i++) {
        free(srv.put_path[i]);
        free(srv.put_text[i]);
    }
    srv.n_put = 0;
    pthread_mutex_unlock(&srv.lock);
    close(srv.fd);
    close(srv.stop_pipe[0]);
    close(srv.stop_pipe[1]);
    srv.stop_pipe[0] = srv.stop_pipe[1] = srv.fd = -1;
    pthread_cond_destroy(&srv.idle);
    return open;
}

const char *tp_http_url(const char *path)
{
    static char url[1024];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s", srv.port,
             path[0] == '/' ? path + 1 : path);
    return url;
}

void tp_http_rule(const char *needle, enum tp_http_action action, int count)
{
    pthread_mutex_lock(&srv.lock);
    if (srv.n_rules < TP_MAX_RULES) {
        struct tp_rule *r = &srv.rules[srv.n_rules++];
        snprintf(r->needle, sizeof(r->needle), "%s", needle);
        r->action = action;
        r->count = count;
    }
    pthread_mutex_unlock(&srv.lock);
}

void tp_http_put(const char *path, const char *text)
{
    pthread_mutex_lock(&srv.lock);
    if (srv.n_put < 8) {
        srv.put_path[srv.n_put] = strdup(path);
        srv.put_text[srv.n_put] = strdup(text);
        srv.n_put++;
    }
    pthread_mutex_unlock(&srv.lock);
}

void tp_http_clear_rules(void)
{
    pthread_mutex_lock(&srv.lock);
    srv.n_rules = 0;
    pthread_mutex_unlock(&srv.lock);
}

int tp_http_requests(const char *needle)
{
    int n = 0;
    pthread_mutex_lock(&srv.lock);
    for (int i = 0; i < srv.n_log; i++)
        n += strstr(srv.log[i], needle) != NULL;
    pthread_mutex_unlock(&srv.lock);
    return n;
}

int tp_http_connections(void)
{
    pthread_mutex_lock(&srv.lock);
    int n = srv.active;
    pthread_mutex_unlock(&srv.lock);
    return n;
}

/* Connections open with a request read (srv.lock held). */
static int busy_locked(void)
{
    int n = 0;
    for (int i = 0; i < TP_MAX_CONNS; i++)
        n += srv.conns[i].fd >= 0 && srv.conns[i].path[0] != '\0';
    return n;
}

int tp_http_idle(void)
{
    int64_t end = tp_now_ms() + tu_scaled(TP_WAIT_MS);
    int n;
    for (;;) {
        pthread_mutex_lock(&srv.lock);
        n = busy_locked();
        pthread_mutex_unlock(&srv.lock);
        if (n == 0 || tp_now_ms() >= end)
            break;
        tp_wait_wake(20);
    }
    pthread_mutex_lock(&srv.lock);
    for (int i = 0; i < TP_MAX_CONNS; i++) {
        if (srv.conns[i].fd < 0)
            continue;
        if (srv.conns[i].path[0])
            fprintf(stderr, "tp_http_idle: a request is still open: %s\n", srv.conns[i].path);
        else
            fprintf(stderr, "tp_http_idle: a connection without a request is still open (a "
                            "socket libsoup connected for GStreamer and never used)\n");
    }
    pthread_mutex_unlock(&srv.lock);
    return n;
}

int tp_http_held(void)
{
    pthread_mutex_lock(&srv.lock);
    int n = srv.held;
    pthread_mutex_unlock(&srv.lock);
    return n;
}

void tp_http_release(void)
{
    pthread_mutex_lock(&srv.lock);
    srv.released++;
    pthread_mutex_unlock(&srv.lock);
}

/* ---- driving a player ---- */

void tp_run_init(struct tp_run *r, struct player *p)
{
    memset(r, 0, sizeof(*r));
    r->p = p;
    r->first_pts_ms = r->last_pts_ms = -1;
}

void tp_run_reset(struct tp_run *r)
{
    uint64_t seq = r->last_seq;
    struct player *p = r->p;
    void (*cb)(struct tp_run *, const struct player_event *) = r->on_event;
    void *user = r->user;
    tp_run_init(r, p);
    r->last_seq = seq;
    r->on_event = cb;
    r->user = user;
}

static void take_frame(struct tp_run *r, const struct player_frame *f)
{
    if (r->frames == 0) {
        r->first_w = f->width;
        r->first_h = f->height;
        r->first_pts_ms = f->pts_ms;
    }
    r->frames++;
    if (r->mark) {
        r->mark = false;
        r->mark_pts_ms = f->pts_ms;
    }
    r->last_w = f->width;
    r->last_h = f->height;
    r->last_pts_ms = f->pts_ms;
    r->last_frame_ms = tp_now_ms();
    r->sizes_seen[f->width == 90 ? 0 : f->width == 180 ? 1 : f->width == 360 ? 2 : 3] = true;
    double sum = 0;
    for (int y = 0; y < f->height; y += 4) {
        const uint8_t *row = f->planes[0] + (size_t)y * (size_t)f->strides[0];
        for (int x = 0; x < f->width; x += 4)
            sum += row[x];
    }
    r->last_luma = sum / (((f->height + 3) / 4) * ((f->width + 3) / 4));
}

void tp_pump(struct tp_run *r)
{
    struct player_event ev;
    while (player_poll_event(r->p, &ev)) {
        if (r->n < TP_MAX_EVENTS) {
            r->ev_ms[r->n] = tp_now_ms();
            r->ev[r->n++] = ev;
        }
        if (ev.type == PLAYER_EVENT_ERROR || ev.type == PLAYER_EVENT_PREROLL_FAILED)
            fprintf(stderr, "  event %s: %s [%s]\n", player_event_name(ev.type), ev.message,
                    ev.detail);
        if (r->on_event)
            r->on_event(r, &ev);
    }
    player_tick(r->p, tp_now_ms());
    struct player_frame f;
    if (player_acquire_frame(r->p, r->last_seq, &f)) {
        r->last_seq = f.seq;
        take_frame(r, &f);
        player_release_frame(r->p, &f);
    }
}

static bool matches(const struct player_event *e, enum player_event_type type, int state)
{
    return e->type == type && (type != PLAYER_EVENT_STATE || state < 0 || (int)e->state == state);
}

int tp_until(struct tp_run *r, enum player_event_type type, int state, int timeout_ms)
{
    int from = r->n;
    int64_t end = tp_now_ms() + tu_scaled(timeout_ms); /* slower under emulation */
    for (;;) {
        tp_pump(r);
        for (int i = from; i < r->n; i++) {
            if (matches(&r->ev[i], type, state))
                return i;
        }
        int64_t now = tp_now_ms();
        if (now > end)
            return -1;
        /* Like the app: sleep until a wake or the player's next deadline. */
        int64_t d = player_next_deadline_ms(r->p);
        int wait = 50;
        if (d >= 0 && d - now < wait)
            wait = d > now ? (int)(d - now) : 0;
        if (wait > 0)
            tp_wait_wake(wait);
    }
}

bool tp_settle(struct tp_run *r)
{
    int64_t end = tp_now_ms() + tu_scaled(TP_WAIT_MS);
    while (player_tearing_down(r->p) && tp_now_ms() < end) {
        tp_pump(r);
        tp_wait_wake(10);
    }
    return !player_tearing_down(r->p);
}

void tp_pump_for(struct tp_run *r, int ms)
{
    int64_t end = tp_now_ms() + ms;
    while (tp_now_ms() < end) {
        tp_pump(r);
        tp_wait_wake(10);
    }
}

int tp_count(const struct tp_run *r, enum player_event_type type)
{
    int c = 0;
    for (int i = 0; i < r->n; i++)
        c += r->ev[i].type == type;
    return c;
}

int tp_index(const struct tp_run *r, enum player_event_type type, int from)
{
    for (int i = from; i < r->n; i++) {
        if (r->ev[i].type == type)
            return i;
    }
    return -1;
}

bool tp_has_state(const struct tp_run *r, enum player_state state, int from)
{
    for (int i = from; i < r->n; i++) {
        if (r->ev[i].type == PLAYER_EVENT_STATE && r->ev[i].state == state)
            return true;
    }
    return false;
}

void tp_dump(const struct tp_run *r)
{
    for (int i = 0; i < r->n; i++) {
        const struct player_event *e = &r->ev[i];
        fprintf(stderr,
                "  [%d] %s state=%s percent=%d duration=%lld pos=%lld attempt=%d "
                "variant=%dx%d@%u %s\n",
                i, player_event_name(e->type), player_state_name(e->state), e->percent,
                (long long)e->duration_ms, (long long)e->position_ms, e->attempt, e->variant.width,
                e->variant.height, e->variant.bitrate, e->message);
    }
}

struct player *tp_new_player(const struct player_config *cfg)
{
    struct player_config def = {.audio_sink = "fakesink sync=true"};
    return player_new(cfg ? cfg : &def, tp_wake, NULL);
}

int tp_thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}
