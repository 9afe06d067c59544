/* Integration tests for src/net against a loopback HTTP/1.1 server written here with plain
 * sockets: responses, headers, errors, bounds, timeouts and cancellation. Waits are generous and
 * no test asserts an elapsed time. */
#include "binge/error.h"
#include "binge/log.h"
#include "binge/net.h"
#include "binge/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define WAIT_MS 20000 /* upper bound for anything that should happen "soon" */
#define MAX_CONNS 64
#define BIG_BODY 100000

/* ---- loopback server ---- */

struct server {
    int listen_fd;
    int port;
    pthread_t accept_thread;
    atomic_bool stop;
    atomic_int n_accepted;

    pthread_mutex_t lock;
    pthread_t conns[MAX_CONNS];
    int n_conns;
    char *last_request; /* header block of the last request */
    char *last_body;
};

static struct server srv;

struct conn {
    int fd;
};

static int send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads more bytes into buf; returns >0 read, 0 on EOF/error/stop. Wakes up to check stop. */
static ssize_t read_some(int fd, char *buf, size_t room)
{
    while (!atomic_load(&srv.stop)) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, 50);
        if (r < 0 && errno != EINTR)
            return 0;
        if (r <= 0)
            continue;
        ssize_t n = recv(fd, buf, room, 0);
        if (n < 0 && errno == EINTR)
            continue;
        return n > 0 ? n : 0;
    }
    return 0;
}

/* End of the header block in buf[0..len), or NULL. */
static char *find_head_end(char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++) {
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return buf + i;
    }
    return NULL;
}

static void respond(int fd, const char *status, const char *extra_headers, const char *body,
                    size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s"
                     "\r\n",
                     status, len, extra_headers ? extra_headers : "");
    if (send_all(fd, head, (size_t)n) == 0 && len > 0)
        send_all(fd, body, len);
}

/* Handles requests on one connection until the peer closes it, keeping it alive in between so
 * connection reuse is observable. */
static void *conn_main(void *arg)
{
    struct conn *c = arg;
    int fd = c->fd;
    free(c);
    char buf[65536];
    size_t used = 0;

    for (;;) {
        char *end;
        while (!(end = find_head_end(buf, used))) {
            if (used == sizeof(buf))
                goto out;
            ssize_t n = read_some(fd, buf + used, sizeof(buf) - used);
            if (n <= 0)
                goto out;
            used += (size_t)n;
        }
        size_t head_len = (size_t)(end - buf) + 4;
        size_t body_len = 0;
        for (char *p = buf; p < end; p++) {
            if (strncasecmp(p, "\r\nContent-Length:", 17) == 0) {
                body_len = strtoul(p + 17, NULL, 10);
                break;
            }
        }
        if (head_len + body_len > sizeof(buf))
            goto out;
        while (used < head_len + body_len) {
            ssize_t n = read_some(fd, buf + used, sizeof(buf) - used);
            if (n <= 0)
                goto out;
            used += (size_t)n;
        }

        char method[16] = "", path[256] = "";
        sscanf(buf, "%15s %255s", method, path);
        pthread_mutex_lock(&srv.lock);
        free(srv.last_request);
        free(srv.last_body);
        srv.last_request = strndup(buf, head_len);
        srv.last_body = strndup(buf + head_len, body_len);
        pthread_mutex_unlock(&srv.lock);

        char body[BIG_BODY];
        if (strcmp(path, "/ok") == 0) {
            respond(fd, "200 OK", NULL, "{\"ok\":true}", 11);
        } else if (strcmp(path, "/echo") == 0) {
            respond(fd, "200 OK", NULL, buf + head_len, body_len);
        } else if (strcmp(path, "/missing") == 0) {
            const char *e = "{\"error\":{\"code\":\"not_found\",\"message\":\"No such thing\"}}";
            respond(fd, "404 Not Found", NULL, e, strlen(e));
        } else if (strcmp(path, "/big") == 0) {
            memset(body, 'a', sizeof(body));
            respond(fd, "200 OK", NULL, body, sizeof(body));
        } else if (strcmp(path, "/bigchunk") == 0) {
            /* No Content-Length: only the byte count can stop it. */
            const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
            send_all(fd, head, strlen(head));
            memset(body, 'b', 1000);
            for (int i = 0; i < 100; i++) {
                if (send_all(fd, "3e8\r\n", 5) || send_all(fd, body, 1000) ||
                    send_all(fd, "\r\n", 2))
                    break;
            }
            send_all(fd, "0\r\n\r\n", 5);
        } else if (strcmp(path, "/slow") == 0) {
            msleep(300);
            respond(fd, "200 OK", NULL, "{\"slow\":true}", 13);
        } else if (strcmp(path, "/redirect-file") == 0) {
            respond(fd, "302 Found", "Location: file:///etc/passwd\r\n", "", 0);
        } else if (strcmp(path, "/redirect-ok") == 0) {
            respond(fd, "302 Found", "Location: /ok\r\n", "", 0);
        } else if (strcmp(path, "/empty") == 0) {
            goto out; /* close without a byte */
        } else if (strcmp(path, "/hang") == 0) {
            /* Accept the request and never answer; only server_stop ends this. */
            while (read_some(fd, buf, sizeof(buf)) > 0)
                ;
            goto out;
        } else {
            respond(fd, "500 Internal Server Error", NULL, "{}", 2);
        }
        used -= head_len + body_len;
        memmove(buf, buf + head_len + body_len, used);
    }
out:
    close(fd);
    return NULL;
}

static void *accept_main(void *arg)
{
    while (!atomic_load(&srv.stop)) {
        struct pollfd pfd = {srv.listen_fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int fd = accept(srv.listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&srv.n_accepted, 1);
        struct conn *c = malloc(sizeof(*c));
        c->fd = fd;
        pthread_mutex_lock(&srv.lock);
        if (srv.n_conns < MAX_CONNS &&
            pthread_create(&srv.conns[srv.n_conns], NULL, conn_main, c) == 0) {
            srv.n_conns++;
        } else {
            close(fd);
            free(c);
        }
        pthread_mutex_unlock(&srv.lock);
    }
    return NULL;
}

static int server_start(void **state)
{
    memset(&srv, 0, sizeof(srv));
    pthread_mutex_init(&srv.lock, NULL);
    srv.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv.listen_fd < 0)
        return -1;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(addr);
    if (bind(srv.listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(srv.listen_fd, 16) != 0 ||
        getsockname(srv.listen_fd, (struct sockaddr *)&addr, &alen) != 0)
        return -1;
    srv.port = ntohs(addr.sin_port);
    return pthread_create(&srv.accept_thread, NULL, accept_main, NULL) == 0 ? 0 : -1;
}

static int server_stop(void **state)
{
    atomic_store(&srv.stop, true);
    pthread_join(srv.accept_thread, NULL);
    for (int i = 0; i < srv.n_conns; i++)
        pthread_join(srv.conns[i], NULL);
    close(srv.listen_fd);
    free(srv.last_request);
    free(srv.last_body);
    pthread_mutex_destroy(&srv.lock);
    return 0;
}

static char *server_last(char **body)
{
    pthread_mutex_lock(&srv.lock);
    char *req = util_strdup(srv.last_request);
    if (body)
        *body = util_strdup(srv.last_body);
    pthread_mutex_unlock(&srv.lock);
    assert_non_null(req);
    return req;
}

/* ---- client side helpers ---- */

static pthread_mutex_t notify_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notify_cond = PTHREAD_COND_INITIALIZER;
static int notify_count;

static void on_notify(void *data)
{
    assert_ptr_equal(data, &notify_count);
    pthread_mutex_lock(&notify_lock);
    notify_count++;
    pthread_cond_broadcast(&notify_cond);
    pthread_mutex_unlock(&notify_lock);
}

static int notifications(void)
{
    pthread_mutex_lock(&notify_lock);
    int n = notify_count;
    pthread_mutex_unlock(&notify_lock);
    return n;
}

/* Blocks until notify has been called more than `seen` times; false after WAIT_MS. */
static bool wait_notify_beyond(int seen, int timeout_ms)
{
    int64_t deadline = util_now_ms() + timeout_ms;
    pthread_mutex_lock(&notify_lock);
    while (notify_count <= seen && util_now_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&notify_cond, &notify_lock, &ts);
    }
    bool ok = notify_count > seen;
    pthread_mutex_unlock(&notify_lock);
    return ok;
}

/* Waits for the next response, as the UI thread would: poll, then sleep until notified. */
static struct net_response *wait_response(struct net *net)
{
    int64_t deadline = util_now_ms() + WAIT_MS;
    for (;;) {
        int seen = notifications();
        struct net_response *resp = net_poll(net);
        if (resp)
            return resp;
        if (util_now_ms() >= deadline)
            return NULL;
        wait_notify_beyond(seen, 100);
    }
}

static struct net *new_net(long total_timeout_ms, size_t max_body)
{
    struct net_config cfg = {
        .user_agent = "binge-test/1",
        .device_id = "tv-test",
        .language = "en",
        .connect_timeout_ms = 0,
        .total_timeout_ms = total_timeout_ms,
        .max_body = max_body,
    };
    struct net *net = net_new(&cfg, on_notify, &notify_count);
    assert_non_null(net);
    return net;
}

static char *url(const char *path)
{
    char *u = util_asprintf("http://127.0.0.1:%d%s", srv.port, path);
    assert_non_null(u);
    return u;
}

/* Sends one request and waits for its response. */
static struct net_response *fetch(struct net *net, struct net_request *req, const char *path)
{
    char *u = url(path);
    req->url = u;
    uint64_t id = net_request(net, req);
    free(u);
    assert_true(id > 0);
    struct net_response *resp = wait_response(net);
    assert_non_null(resp);
    assert_int_equal(resp->id, id);
    return resp;
}

/* ---- tests ---- */

static void test_get_ok(void **state)
{
    struct net *net = new_net(0, 0);
    int marker = 0;
    int before = notifications();
    int accepted = atomic_load(&srv.n_accepted);
    struct net_request req = {.method = NET_GET, .kind = 7, .userdata = &marker};
    struct net_response *resp = fetch(net, &req, "/ok");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->kind, 7);
    assert_ptr_equal(resp->userdata, &marker);
    assert_string_equal(resp->body, "{\"ok\":true}");
    assert_int_equal(resp->len, 11);
    assert_string_equal(resp->message, "");
    assert_true(resp->elapsed_ms >= 0);
    assert_true(notifications() > before);
    net_response_free(resp);
    assert_null(net_poll(net));

    char *head = server_last(NULL);
    assert_non_null(strstr(head, "GET /ok HTTP/1.1\r\n"));
    assert_non_null(strstr(head, "\r\nX-Device-Id: tv-test\r\n"));
    assert_non_null(strstr(head, "\r\nAccept-Language: en\r\n"));
    assert_non_null(strstr(head, "\r\nAccept: application/json\r\n"));
    assert_non_null(strstr(head, "\r\nUser-Agent: binge-test/1\r\n"));
    assert_null(strstr(head, "Authorization"));
    free(head);

    /* A second request rides the same kept-alive connection. */
    resp = fetch(net, &req, "/ok");
    assert_int_equal(resp->status, 200);
    net_response_free(resp);
    assert_int_equal(atomic_load(&srv.n_accepted), accepted + 1);
    net_free(net);
}

static void test_post_headers(void **state)
{
    /* Capture the log at debug level to prove the token never reaches it. */
    char log_path[] = "/tmp/binge-test-net-log-XXXXXX";
    int log_fd = mkstemp(log_path);
    assert_true(log_fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(log_fd, STDERR_FILENO);
    log_set_level(LOG_DEBUG);

    struct net *net = new_net(0, 0);
    struct net_request req = {
        .method = NET_POST,
        .bearer = "tok123secret",
        .body = "{\"device_id\":\"tv-test\"}",
        .kind = 3,
    };
    struct net_response *resp = fetch(net, &req, "/echo");
    net_free(net);

    log_set_level(LOG_INFO);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(log_fd);

    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->kind, 3);
    assert_string_equal(resp->body, "{\"device_id\":\"tv-test\"}");
    net_response_free(resp);

    char *body = NULL;
    char *head = server_last(&body);
    assert_non_null(strstr(head, "POST /echo HTTP/1.1\r\n"));
    assert_non_null(strstr(head, "\r\nAuthorization: Bearer tok123secret\r\n"));
    assert_non_null(strstr(head, "\r\nX-Device-Id: tv-test\r\n"));
    assert_non_null(strstr(head, "\r\nContent-Type: application/json"));
    assert_string_equal(body, "{\"device_id\":\"tv-test\"}");
    free(head);
    free(body);

    char *log_text = NULL;
    assert_int_equal(util_read_file(log_path, 1 << 20, &log_text, NULL), 0);
    assert_non_null(strstr(log_text, "/echo"));    /* the request was logged ... */
    assert_null(strstr(log_text, "tok123secret")); /* ... without its token */
    free(log_text);
    unlink(log_path);
}

static void test_post_without_body(void **state)
{
    struct net *net = new_net(0, 0);
    struct net_request req = {.method = NET_POST};
    struct net_response *resp = fetch(net, &req, "/echo");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->len, 0);
    assert_string_equal(resp->body, "");
    net_response_free(resp);
    char *head = server_last(NULL);
    assert_non_null(strstr(head, "POST /echo"));
    free(head);
    net_free(net);
}

static void test_http_errors_are_not_errors(void **state)
{
    struct net *net = new_net(0, 0);
    struct net_request req = {.method = NET_GET};
    struct net_response *resp = fetch(net, &req, "/missing");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 404);
    assert_non_null(strstr(resp->body, "not_found"));
    assert_string_equal(resp->message, "");
    net_response_free(resp);

    resp = fetch(net, &req, "/nowhere");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 500);
    net_response_free(resp);
    net_free(net);
}

static void test_too_big(void **state)
{
    struct net *net = new_net(0, 1024);
    static const char *const paths[] = {"/big", "/bigchunk"};
    for (size_t i = 0; i < 2; i++) {
        struct net_request req = {.method = NET_GET};
        struct net_response *resp = fetch(net, &req, paths[i]);
        assert_int_equal(resp->error, BINGE_ETOOBIG);
        assert_string_equal(resp->message, "response larger than 1024 bytes");
        assert_int_equal(resp->len, 0);
        assert_non_null(resp->body);
        net_response_free(resp);
    }
    /* A per-request cap overrides the default. */
    struct net_request req = {.method = NET_GET, .max_body = 2 * BIG_BODY};
    struct net_response *resp = fetch(net, &req, "/big");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->len, BIG_BODY);
    assert_int_equal(strlen(resp->body), BIG_BODY);
    net_response_free(resp);
    net_free(net);
}

static void test_connection_refused(void **state)
{
    /* A port that was just bound and closed has no listener. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
    int port = ntohs(addr.sin_port);
    close(fd);

    struct net *net = new_net(0, 0);
    char *u = util_asprintf("http://127.0.0.1:%d/v1/home", port);
    struct net_request req = {.method = NET_GET, .url = u, .kind = 1};
    uint64_t id = net_request(net, &req);
    assert_true(id > 0);
    struct net_response *resp = wait_response(net);
    assert_non_null(resp);
    assert_int_equal(resp->id, id);
    assert_int_equal(resp->error, BINGE_ENET);
    assert_int_equal(resp->status, 0);
    assert_string_equal(resp->body, "");
    char *want = util_asprintf("can't connect to 127.0.0.1:%d: Connection refused", port);
    assert_string_equal(resp->message, want);
    free(want);
    free(u);
    net_response_free(resp);
    net_free(net);
}

static void test_timeout(void **state)
{
    struct net *net = new_net(500, 0);
    struct net_request req = {.method = NET_GET};
    struct net_response *resp = fetch(net, &req, "/hang");
    assert_int_equal(resp->error, BINGE_ETIMEDOUT);
    assert_true(strlen(resp->message) > 0);
    assert_non_null(strstr(resp->message, "127.0.0.1"));
    net_response_free(resp);
    net_free(net);
}

static void test_empty_reply_and_redirects(void **state)
{
    struct net *net = new_net(0, 0);
    struct net_request req = {.method = NET_GET};
    struct net_response *resp = fetch(net, &req, "/empty");
    assert_int_equal(resp->error, BINGE_ENET);
    assert_non_null(strstr(resp->message, "empty reply"));
    net_response_free(resp);

    /* Redirects are followed, but only to http(s). */
    resp = fetch(net, &req, "/redirect-ok");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    assert_string_equal(resp->body, "{\"ok\":true}");
    net_response_free(resp);
    resp = fetch(net, &req, "/redirect-file");
    assert_int_equal(resp->error, BINGE_ENET);
    assert_non_null(strstr(resp->message, "non-http(s)"));
    assert_null(strstr(resp->body, "root:"));
    net_response_free(resp);
    net_free(net);
}

static void test_cancel(void **state)
{
    struct net *net = new_net(0, 0);
    struct net_request req = {.method = NET_GET};

    /* Cancelled while in flight: the slow answer is never delivered. */
    char *u = url("/slow");
    req.url = u;
    uint64_t slow_id = net_request(net, &req);
    free(u);
    assert_true(slow_id > 0);
    net_cancel(net, slow_id);
    struct net_response *resp = fetch(net, &req, "/ok");
    assert_int_equal(resp->status, 200);
    net_response_free(resp);
    /* If the transfer was not aborted in time the server still answers; give a late response
     * every chance to (wrongly) arrive. */
    int64_t deadline = util_now_ms() + 1000;
    while (util_now_ms() < deadline) {
        resp = net_poll(net);
        assert_null(resp);
        msleep(20);
    }

    /* Cancelled after it finished but before net_poll: dropped from the queue. */
    int seen = notifications();
    u = url("/ok");
    req.url = u;
    uint64_t id = net_request(net, &req);
    free(u);
    assert_true(id > 0);
    assert_true(wait_notify_beyond(seen, WAIT_MS));
    net_cancel(net, id);
    assert_null(net_poll(net));

    /* Cancelled before the net thread picked it up, in a burst. */
    uint64_t ids[10];
    u = url("/ok");
    req.url = u;
    for (int i = 0; i < 10; i++)
        ids[i] = net_request(net, &req);
    free(u);
    for (int i = 0; i < 10; i += 2)
        net_cancel(net, ids[i]);
    int got = 0;
    while (got < 5) {
        resp = wait_response(net);
        assert_non_null(resp);
        bool odd = false;
        for (int i = 1; i < 10; i += 2)
            odd = odd || resp->id == ids[i];
        assert_true(odd);
        net_response_free(resp);
        got++;
    }

    /* Unknown ids are ignored. */
    net_cancel(net, 0);
    net_cancel(net, 123456);
    net_free(net);
}

static void test_bad_urls(void **state)
{
    struct net *net = new_net(0, 0);
    static const char *const bad[] = {
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "gopher://h/",
        "javascript:alert(1)",
        "not a url",
        "",
        "http://",
        "/v1/home",
    };
    int before = notifications();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct net_request req = {.method = NET_GET, .url = bad[i]};
        if (net_request(net, &req) != 0) {
            print_error("URL '%s' was accepted\n", bad[i]);
            fail();
        }
    }
    struct net_request req = {.method = NET_GET, .url = NULL};
    assert_int_equal(net_request(net, &req), 0);
    assert_int_equal(net_request(net, NULL), 0);
    char *u = url("/ok");
    struct net_request inject = {.method = NET_GET, .url = u, .bearer = "a\r\nX-Evil: 1"};
    assert_int_equal(net_request(net, &inject), 0);
    free(u);
    assert_int_equal(net_request(NULL, &req), 0);
    assert_null(net_poll(net));
    assert_int_equal(notifications(), before);
    net_free(net);
}

static void test_free_with_requests_in_flight(void **state)
{
    struct net *net = new_net(0, 0);
    char *hang = url("/hang");
    char *slow = url("/slow");
    struct net_request req = {.method = NET_GET, .url = hang};
    assert_true(net_request(net, &req) > 0);
    req.url = slow;
    assert_true(net_request(net, &req) > 0);
    free(hang);
    free(slow);
    net_free(net); /* aborts both; ASan reports anything left behind */

    net_free(NULL);
    net_response_free(NULL);
    assert_null(net_poll(NULL));
    net_cancel(NULL, 1);
}

static void test_many_parallel(void **state)
{
    struct net *net = new_net(0, 0);
    char *u = url("/ok");
    struct net_request req = {.method = NET_GET, .url = u};
    enum { N = 40 };
    for (int i = 0; i < N; i++) {
        req.kind = i;
        assert_true(net_request(net, &req) > 0);
    }
    free(u);
    unsigned long long kinds = 0;
    for (int i = 0; i < N; i++) {
        struct net_response *resp = wait_response(net);
        assert_non_null(resp);
        assert_int_equal(resp->error, 0);
        assert_int_equal(resp->status, 200);
        kinds |= 1ULL << resp->kind;
        net_response_free(resp);
    }
    assert_int_equal(kinds, (1ULL << N) - 1);
    net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_ok),
        cmocka_unit_test(test_post_headers),
        cmocka_unit_test(test_post_without_body),
        cmocka_unit_test(test_http_errors_are_not_errors),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_empty_reply_and_redirects),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_free_with_requests_in_flight),
        cmocka_unit_test(test_many_parallel),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
