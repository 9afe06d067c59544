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
#define MAX_CONNS 256
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
    struct hits *hits; /* per path, for the retry tests */
};

/* Requests the server saw on one path, with their arrival times (monotonic ms). */
#define MAX_HITS 32
struct hits {
    struct hits *next;
    char path[128];
    int n;
    int64_t at_ms[MAX_HITS];
    char *auth[MAX_HITS]; /* the Authorization line of each, or NULL */
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

static void respond_raw(int fd, const char *text)
{
    send_all(fd, text, strlen(text));
}

/* Counts a request to path; called with srv.lock held. Returns its 1-based number. */
static int record_hit(const char *path, const char *head)
{
    struct hits *h = srv.hits;
    while (h && strcmp(h->path, path) != 0)
        h = h->next;
    if (!h) {
        h = calloc(1, sizeof(*h));
        if (!h)
            return 0;
        snprintf(h->path, sizeof(h->path), "%s", path);
        h->next = srv.hits;
        srv.hits = h;
    }
    if (h->n < MAX_HITS) {
        h->at_ms[h->n] = util_now_ms();
        const char *a = strstr(head, "\r\nAuthorization: ");
        h->auth[h->n] = a ? strndup(a + 2, strcspn(a + 2, "\r")) : NULL;
    }
    return ++h->n;
}

/* How often path was requested so far; times (may be NULL) gets the arrival times. */
static int server_hits(const char *path, int64_t *times, int max)
{
    pthread_mutex_lock(&srv.lock);
    int n = 0;
    for (struct hits *h = srv.hits; h; h = h->next) {
        if (strcmp(h->path, path) != 0)
            continue;
        n = h->n;
        for (int i = 0; times && i < n && i < max && i < MAX_HITS; i++)
            times[i] = h->at_ms[i];
    }
    pthread_mutex_unlock(&srv.lock);
    return n;
}

/* The Authorization line of the i-th (0-based) request to path, or NULL. transfer full. */
static char *server_auth(const char *path, int i)
{
    char *auth = NULL;
    pthread_mutex_lock(&srv.lock);
    for (struct hits *h = srv.hits; h; h = h->next) {
        if (strcmp(h->path, path) == 0 && i < h->n && i < MAX_HITS)
            auth = util_strdup(h->auth[i]);
    }
    pthread_mutex_unlock(&srv.lock);
    return auth;
}

/* /flaky/STATUS/RETRY_AFTER/FAILS/TAG: the first FAILS requests to this exact path get STATUS
 * (with Retry-After: RETRY_AFTER unless it is "-"; STATUS 0 closes the connection without an
 * answer), later ones 200 {"ok":true}. TAG keeps the tests' counters apart. Every answer closes
 * the connection (returns -1). */
static int flaky(int fd, const char *path, int hit)
{
    int status = 0, fails = 0;
    char ra[16] = "", tag[64] = "";
    if (sscanf(path, "/flaky/%d/%15[^/]/%d/%63s", &status, ra, &fails, tag) != 4) {
        respond(fd, "400 Bad Request", NULL, "{}", 2);
        return 0;
    }
    if (hit > fails) {
        respond(fd, "200 OK", "Connection: close\r\n", "{\"ok\":true}", 11);
        return -1;
    }
    if (status == 0)
        return -1;
    char line[32], extra[96] = "";
    snprintf(line, sizeof(line), "%d Oops", status);
    if (strcmp(ra, "-") != 0)
        snprintf(extra, sizeof(extra), "Retry-After: %s\r\n", ra);
    /* Each failure closes its connection, so the next attempt connects afresh: on a reused
     * connection that dies before answering, curl itself resends once (a stale keep-alive),
     * which would blur the count of net's own attempts. */
    snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "Connection: close\r\n");
    respond(fd, line, extra, "{\"error\":{\"code\":\"x\",\"message\":\"y\"}}", 36);
    return -1;
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
        int hit = record_hit(path, srv.last_request);
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
        } else if (strncmp(path, "/flaky/", 7) == 0) {
            if (flaky(fd, path, hit) != 0)
                goto out;
        } else if (strcmp(path, "/etag") == 0) {
            pthread_mutex_lock(&srv.lock);
            bool match = strstr(srv.last_request, "\r\nIf-None-Match: \"v1\"\r\n") != NULL;
            pthread_mutex_unlock(&srv.lock);
            if (match)
                respond_raw(fd, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n");
            else
                respond(fd, "200 OK", "ETag: \"v1\"\r\nCache-Control: no-cache\r\n", "{\"v\":1}",
                        7);
        } else if (strcmp(path, "/retry-date") == 0) {
            /* Retry-After as an HTTP date 100 s ahead. */
            char date[64], extra[96];
            time_t t = time(NULL) + 100;
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
            snprintf(extra, sizeof(extra), "Retry-After: %s\r\n", date);
            respond(fd, "503 Service Unavailable", extra, "{}", 2);
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
    while (srv.hits) {
        struct hits *h = srv.hits;
        srv.hits = h->next;
        for (int i = 0; i < h->n && i < MAX_HITS; i++)
            free(h->auth[i]);
        free(h);
    }
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

static struct net *new_net_retry(long total_timeout_ms, size_t max_body, int max_retries,
                                 long retry_base_ms, long retry_max_delay_ms)
{
    struct net_config cfg = {
        .user_agent = "binge-test/1",
        .device_id = "tv-test",
        .language = "en",
        .connect_timeout_ms = 0,
        .total_timeout_ms = total_timeout_ms,
        .max_body = max_body,
        .max_retries = max_retries,
        .retry_base_ms = retry_base_ms,
        .retry_max_delay_ms = retry_max_delay_ms,
    };
    struct net *net = net_new(&cfg, on_notify, &notify_count);
    assert_non_null(net);
    return net;
}

/* The default retry policy (3 retries) with short waits, so failing tests stay quick. */
static struct net *new_net(long total_timeout_ms, size_t max_body)
{
    return new_net_retry(total_timeout_ms, max_body, 0, 20, 0);
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
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(resp->retry_after_s, -1);
    assert_null(resp->etag);
    assert_string_equal(resp->content_type, "application/json");
    assert_int_equal(resp->bearer_gen, 0);
    /* The net thread queues the response, then notifies: the response can be polled first. */
    assert_true(wait_notify_beyond(before, WAIT_MS));
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

/* The viewer picks another catalog language: the next requests carry it; none clears it. */
static void test_set_language(void **state)
{
    (void)state;
    struct net *net = new_net(0, 0);
    struct net_request req = {.method = NET_GET};
    assert_int_equal(net_set_language(net, "es"), 0);
    struct net_response *resp = fetch(net, &req, "/ok");
    assert_int_equal(resp->status, 200);
    net_response_free(resp);
    char *head = server_last(NULL);
    assert_non_null(strstr(head, "\r\nAccept-Language: es\r\n"));
    assert_null(strstr(head, "Accept-Language: en"));
    free(head);
    assert_int_equal(net_set_language(net, "th\r\nX-Evil: 1"), BINGE_EINVAL); /* es stays */
    assert_int_equal(net_set_language(NULL, "es"), BINGE_EINVAL);
    resp = fetch(net, &req, "/ok");
    net_response_free(resp);
    head = server_last(NULL);
    assert_non_null(strstr(head, "\r\nAccept-Language: es\r\n"));
    assert_null(strstr(head, "X-Evil"));
    free(head);
    assert_int_equal(net_set_language(net, NULL), 0);
    resp = fetch(net, &req, "/ok");
    net_response_free(resp);
    head = server_last(NULL);
    assert_null(strstr(head, "Accept-Language"));
    free(head);
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

/* PUT and DELETE (My list) go out as such, PUT with its body, and a pooled handle used for
 * them afterwards sends a plain GET again. They are idempotent: retried like GET. */
static void test_put_and_delete(void **state)
{
    struct net *net = new_net_retry(0, 0, 3, 10, 0);
    struct net_request put = {.method = NET_PUT, .body = "{\"x\":1}"};
    struct net_response *resp = fetch(net, &put, "/echo");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    assert_string_equal(resp->body, "{\"x\":1}");
    net_response_free(resp);
    char *body = NULL;
    char *head = server_last(&body);
    assert_non_null(strstr(head, "PUT /echo HTTP/1.1\r\n"));
    assert_non_null(strstr(head, "\r\nContent-Type: application/json"));
    assert_string_equal(body, "{\"x\":1}");
    free(head);
    free(body);

    struct net_request del = {.method = NET_DELETE};
    resp = fetch(net, &del, "/echo");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    net_response_free(resp);
    head = server_last(NULL);
    assert_non_null(strstr(head, "DELETE /echo HTTP/1.1\r\n"));
    free(head);

    struct net_request get = {.method = NET_GET};
    resp = fetch(net, &get, "/ok");
    assert_int_equal(resp->status, 200);
    net_response_free(resp);
    head = server_last(NULL);
    assert_non_null(strstr(head, "GET /ok HTTP/1.1\r\n"));
    free(head);

    const char *path = "/flaky/503/-/2/put";
    resp = fetch(net, &put, path);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 3);
    net_response_free(resp);
    path = "/flaky/503/-/2/delete";
    resp = fetch(net, &del, path);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 3);
    net_response_free(resp);
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
        assert_int_equal(resp->attempts, 1); /* a size cap is not worth another try */
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
    assert_int_equal(resp->attempts, 4); /* a GET: the default 3 retries */
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
    assert_int_equal(resp->attempts, 4);
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

/* ---- retries, headers, session bearer ---- */

/* Waits until path was requested n times; false after timeout_ms. */
static bool wait_hits(const char *path, int n, int timeout_ms)
{
    int64_t deadline = util_now_ms() + timeout_ms;
    while (server_hits(path, NULL, 0) < n) {
        if (util_now_ms() >= deadline)
            return false;
        msleep(10);
    }
    return true;
}

static void test_retry_get_honours_retry_after(void **state)
{
    /* A short base backoff, so only Retry-After can explain a one-second gap. */
    struct net *net = new_net_retry(0, 0, 3, 10, 5000);
    struct net_request req = {.method = NET_GET};
    const char *path = "/flaky/503/1/2/get";
    struct net_response *resp = fetch(net, &req, path);
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    assert_string_equal(resp->body, "{\"ok\":true}");
    assert_int_equal(resp->attempts, 3);
    assert_int_equal(resp->retry_after_s, -1); /* the final answer carried none */
    assert_true(resp->elapsed_ms >= 2000);
    net_response_free(resp);

    int64_t at[3];
    assert_int_equal(server_hits(path, at, 3), 3);
    for (int i = 1; i < 3; i++) {
        if (at[i] - at[i - 1] < 990) {
            print_error("retry %d came %lld ms after the 503, before Retry-After\n", i,
                        (long long)(at[i] - at[i - 1]));
            fail();
        }
    }
    net_free(net);
}

static void test_retry_idempotent_post(void **state)
{
    struct net *net = new_net_retry(0, 0, 3, 10, 0);
    struct net_request req = {
        .method = NET_POST,
        .body = "{\"method\":\"coins\",\"idempotency_key\":\"k-1\"}",
        .idempotent = true,
    };
    const char *path = "/flaky/503/-/2/ipost";
    struct net_response *resp = fetch(net, &req, path);
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 3);
    net_response_free(resp);
    assert_int_equal(server_hits(path, NULL, 0), 3);
    /* Every attempt carried the same body, so the same idempotency key. */
    char *body = NULL;
    char *head = server_last(&body);
    assert_string_equal(body, "{\"method\":\"coins\",\"idempotency_key\":\"k-1\"}");
    free(head);
    free(body);

    /* Connection errors too: the server closes without answering twice. */
    path = "/flaky/0/-/2/ipost-reset";
    resp = fetch(net, &req, path);
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 3);
    net_response_free(resp);
    net_free(net);
}

static void test_no_retry_plain_post(void **state)
{
    struct net *net = new_net_retry(0, 0, 3, 10, 0);
    struct net_request req = {.method = NET_POST, .body = "{}"};
    const char *path = "/flaky/503/1/2/ppost";
    struct net_response *resp = fetch(net, &req, path);
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 503);
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(resp->retry_after_s, 1);
    net_response_free(resp);

    path = "/flaky/0/-/2/ppost-reset";
    resp = fetch(net, &req, path);
    assert_int_equal(resp->error, BINGE_ENET);
    assert_int_equal(resp->attempts, 1);
    net_response_free(resp);

    /* Give a wrong retry every chance to show up. */
    msleep(300);
    assert_int_equal(server_hits("/flaky/503/1/2/ppost", NULL, 0), 1);
    assert_int_equal(server_hits(path, NULL, 0), 1);
    assert_null(net_poll(net));
    net_free(net);
}

static void test_no_retry_client_errors(void **state)
{
    struct net *net = new_net_retry(0, 0, 3, 10, 0);
    struct net_request req = {.method = NET_GET};
    static const char *const paths[] = {"/flaky/401/-/5/c401", "/flaky/404/-/5/c404",
                                        "/flaky/501/-/5/c501", "/flaky/400/-/5/c400"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct net_response *resp = fetch(net, &req, paths[i]);
        assert_int_equal(resp->error, 0);
        assert_int_equal(resp->attempts, 1);
        net_response_free(resp);
        assert_int_equal(server_hits(paths[i], NULL, 0), 1);
    }
    /* 408 and 429 are worth another try. */
    struct net_response *resp = fetch(net, &req, "/flaky/429/0/1/c429");
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 2);
    net_response_free(resp);
    resp = fetch(net, &req, "/flaky/408/-/1/c408");
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 2);
    net_response_free(resp);
    net_free(net);
}

static void test_backoff_grows_then_gives_up(void **state)
{
    enum { BASE = 100 };
    struct net *net = new_net_retry(0, 0, 3, BASE, 0);
    struct net_request req = {.method = NET_GET};
    const char *path = "/flaky/500/-/100/grow";
    struct net_response *resp = fetch(net, &req, path);
    /* The last answer comes through as it is, with the number of attempts. */
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 500);
    assert_int_equal(resp->attempts, 4);
    assert_non_null(strstr(resp->body, "\"code\""));
    net_response_free(resp);

    int64_t at[4];
    assert_int_equal(server_hits(path, at, 4), 4);
    int64_t gap[3];
    for (int i = 0; i < 3; i++) {
        gap[i] = at[i + 1] - at[i];
        /* Timers never fire early: at least base * 2^i minus the 20% jitter. */
        int64_t min = (int64_t)(BASE << i) * 8 / 10 - 2;
        if (gap[i] < min) {
            print_error("wait %d was %lld ms, below %lld\n", i + 1, (long long)gap[i],
                        (long long)min);
            fail();
        }
    }
    assert_true(gap[2] > gap[0]);
    msleep(BASE * 10);
    assert_int_equal(server_hits(path, NULL, 0), 4); /* and then no more */

    /* A transport error surfaces the same way: the error, after every attempt. */
    struct net_request limited = {.method = NET_GET, .max_retries = 2};
    resp = fetch(net, &limited, "/flaky/0/-/100/grow-reset");
    assert_int_equal(resp->error, BINGE_ENET);
    assert_int_equal(resp->status, 0);
    assert_int_equal(resp->attempts, 3);
    assert_true(strlen(resp->message) > 0);
    net_response_free(resp);
    assert_int_equal(server_hits("/flaky/0/-/100/grow-reset", NULL, 0), 3);

    /* Per request and per net: no retries at all. */
    struct net_request none = {.method = NET_GET, .max_retries = NET_RETRIES_NONE};
    resp = fetch(net, &none, "/flaky/503/-/100/grow-none");
    assert_int_equal(resp->status, 503);
    assert_int_equal(resp->attempts, 1);
    net_response_free(resp);
    net_free(net);

    net = new_net_retry(0, 0, NET_RETRIES_NONE, 10, 0);
    resp = fetch(net, &req, "/flaky/503/-/100/grow-none2");
    assert_int_equal(resp->status, 503);
    assert_int_equal(resp->attempts, 1);
    net_response_free(resp);
    net_free(net);
}

static void test_retry_after_captured(void **state)
{
    /* Beyond the cap (5 s here): not waited for, delivered at once with the value. */
    struct net *net = new_net_retry(0, 0, 3, 10, 5000);
    struct net_request req = {.method = NET_GET};
    struct net_response *resp = fetch(net, &req, "/flaky/429/3600/5/cap");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 429);
    assert_int_equal(resp->retry_after_s, 3600);
    assert_int_equal(resp->attempts, 1);
    assert_true(resp->elapsed_ms < 3000);
    net_response_free(resp);

    /* An HTTP date is turned into seconds from now. */
    struct net_request post = {.method = NET_POST};
    resp = fetch(net, &post, "/retry-date");
    assert_int_equal(resp->status, 503);
    assert_true(resp->retry_after_s >= 95 && resp->retry_after_s <= 101);
    net_response_free(resp);

    /* Garbage is ignored. */
    resp = fetch(net, &post, "/flaky/503/soon/1/cap-bad");
    assert_int_equal(resp->status, 503);
    assert_int_equal(resp->retry_after_s, -1);
    net_response_free(resp);
    net_free(net);
}

static void test_etag_round_trip(void **state)
{
    struct net *net = new_net(0, 0);
    struct net_request req = {.method = NET_GET};
    struct net_response *resp = fetch(net, &req, "/etag");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 200);
    assert_string_equal(resp->body, "{\"v\":1}");
    assert_string_equal(resp->etag, "\"v1\"");
    assert_string_equal(resp->content_type, "application/json");
    char *etag = util_strdup(resp->etag);
    net_response_free(resp);
    char *head = server_last(NULL);
    assert_null(strstr(head, "If-None-Match"));
    free(head);

    req.if_none_match = etag;
    resp = fetch(net, &req, "/etag");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 304);
    assert_int_equal(resp->len, 0);
    assert_string_equal(resp->body, "");
    assert_string_equal(resp->message, "");
    assert_string_equal(resp->etag, "\"v1\"");
    assert_int_equal(resp->attempts, 1);
    net_response_free(resp);
    head = server_last(NULL);
    assert_non_null(strstr(head, "\r\nIf-None-Match: \"v1\"\r\n"));
    free(head);

    /* A stale ETag gets the full answer. */
    req.if_none_match = "\"v0\"";
    resp = fetch(net, &req, "/etag");
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->len, 7);
    net_response_free(resp);
    free(etag);
    net_free(net);
}

static void test_cancel_during_backoff(void **state)
{
    struct net *net = new_net_retry(0, 0, 3, 10, 5000);
    const char *path = "/flaky/503/2/5/cancel";
    char *u = url(path);
    struct net_request req = {.method = NET_GET, .url = u};
    uint64_t id = net_request(net, &req);
    free(u);
    assert_true(id > 0);
    assert_true(wait_hits(path, 1, WAIT_MS));
    msleep(300); /* the 503 is back: net now waits 2 s before the retry */
    net_cancel(net, id);
    msleep(2500);
    assert_int_equal(server_hits(path, NULL, 0), 1);
    assert_null(net_poll(net));

    /* The net is still fine, and a retry wait does not hold up net_free. */
    struct net_request ok = {.method = NET_GET};
    struct net_response *resp = fetch(net, &ok, "/ok");
    assert_int_equal(resp->status, 200);
    net_response_free(resp);
    u = url("/flaky/503/5/5/free");
    req.url = u;
    assert_true(net_request(net, &req) > 0);
    free(u);
    assert_true(wait_hits("/flaky/503/5/5/free", 1, WAIT_MS));
    int64_t t0 = util_now_ms();
    net_free(net);
    assert_true(util_now_ms() - t0 < 2000);
}

static void test_extra_headers(void **state)
{
    struct net *net = new_net(0, 0);
    const char *const lines[] = {"X-Trace: abc 123", "Accept-Language: th", NULL};
    struct net_request req = {.method = NET_GET, .headers = lines};
    struct net_response *resp = fetch(net, &req, "/ok");
    assert_int_equal(resp->status, 200);
    net_response_free(resp);
    char *head = server_last(NULL);
    assert_non_null(strstr(head, "\r\nX-Trace: abc 123\r\n"));
    /* The extra line replaced the default, rather than adding a second one. */
    assert_non_null(strstr(head, "\r\nAccept-Language: th\r\n"));
    assert_null(strstr(head, "Accept-Language: en"));
    assert_non_null(strstr(head, "\r\nX-Device-Id: tv-test\r\n"));
    free(head);

    static const char *const bad[][2] = {
        {"Host: evil.example", NULL},
        {"host: evil.example", NULL},
        {"Content-Length: 5", NULL},
        {"Transfer-Encoding: chunked", NULL},
        {"Authorization: Bearer stolen", NULL},
        {"If-None-Match: \"x\"", NULL},
        {"X-A: b\r\nX-Evil: 1", NULL},
        {"X-A: b\nX-Evil: 1", NULL},
        {"X-A: \x01", NULL},
        {"Bad Name: x", NULL},
        {": no name", NULL},
        {"NoColon", NULL},
        {"X-\xc3\xa9: x", NULL},
    };
    int before = notifications();
    char *u = url("/ok");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *const one[] = {bad[i][0], NULL};
        struct net_request r = {.method = NET_GET, .url = u, .headers = one};
        if (net_request(net, &r) != 0) {
            print_error("header line %zu was accepted\n", i);
            fail();
        }
    }
    /* A long value is refused; UTF-8 in a value is fine. */
    char *long_line = malloc(2000);
    memset(long_line, 'a', 1999);
    memcpy(long_line, "X-Long: ", 8);
    long_line[1999] = '\0';
    const char *const too_long[] = {long_line, NULL};
    struct net_request r = {.method = NET_GET, .url = u, .headers = too_long};
    assert_int_equal(net_request(net, &r), 0);
    free(long_line);
    static const char *const bad_inm[] = {"\"a\"\r\nX-Evil: 1", "", "\"a\"\n"};
    for (size_t i = 0; i < sizeof(bad_inm) / sizeof(bad_inm[0]); i++) {
        struct net_request q = {.method = NET_GET, .url = u, .if_none_match = bad_inm[i]};
        assert_int_equal(net_request(net, &q), 0);
    }
    struct net_request m = {.method = (enum net_method)7, .url = u};
    assert_int_equal(net_request(net, &m), 0);
    free(u);
    assert_null(net_poll(net));
    assert_int_equal(notifications(), before);

    const char *const utf8[] = {"X-Title: caf\xc3\xa9", NULL};
    struct net_request ok = {.method = NET_GET, .headers = utf8};
    resp = fetch(net, &ok, "/ok");
    assert_int_equal(resp->status, 200);
    net_response_free(resp);
    net_free(net);
}

static void test_session_bearer(void **state)
{
    struct net *net = new_net_retry(0, 0, 3, 10, 5000);
    assert_int_equal(net_bearer_gen(net), 0);

    /* auth without a session token sends none. */
    struct net_request req = {.method = NET_GET, .auth = true};
    struct net_response *resp = fetch(net, &req, "/flaky/200/-/0/sess-none");
    assert_int_equal(resp->bearer_gen, 0);
    net_response_free(resp);
    assert_null(server_auth("/flaky/200/-/0/sess-none", 0));

    assert_int_equal(net_set_bearer(net, "tok1"), 0);
    assert_int_equal(net_bearer_gen(net), 1);
    resp = fetch(net, &req, "/flaky/200/-/0/sess-1");
    assert_int_equal(resp->bearer_gen, 1);
    net_response_free(resp);
    char *auth = server_auth("/flaky/200/-/0/sess-1", 0);
    assert_string_equal(auth, "Authorization: Bearer tok1");
    free(auth);

    /* Without auth, no token; with an explicit bearer, that one. */
    struct net_request plain = {.method = NET_GET};
    resp = fetch(net, &plain, "/flaky/200/-/0/sess-plain");
    assert_int_equal(resp->bearer_gen, 0);
    net_response_free(resp);
    assert_null(server_auth("/flaky/200/-/0/sess-plain", 0));
    struct net_request own = {.method = NET_GET, .auth = true, .bearer = "mine"};
    resp = fetch(net, &own, "/flaky/200/-/0/sess-own");
    assert_int_equal(resp->bearer_gen, 0);
    net_response_free(resp);
    auth = server_auth("/flaky/200/-/0/sess-own", 0);
    assert_string_equal(auth, "Authorization: Bearer mine");
    free(auth);

    /* A token renewed while a retry waits is the one the retry sends: the 401 policy. */
    const char *path = "/flaky/503/1/1/sess-renew";
    char *u = url(path);
    req.url = u;
    uint64_t id = net_request(net, &req);
    free(u);
    assert_true(id > 0);
    assert_true(wait_hits(path, 1, WAIT_MS));
    assert_int_equal(net_set_bearer(net, "tok2"), 0);
    resp = wait_response(net);
    assert_non_null(resp);
    assert_int_equal(resp->id, id);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 2);
    assert_int_equal(resp->bearer_gen, 2);
    assert_int_equal(resp->bearer_gen, net_bearer_gen(net));
    net_response_free(resp);
    auth = server_auth(path, 0);
    assert_string_equal(auth, "Authorization: Bearer tok1");
    free(auth);
    auth = server_auth(path, 1);
    assert_string_equal(auth, "Authorization: Bearer tok2");
    free(auth);

    /* A 401 comes back as a status, never retried; the generation tells it is stale. */
    resp = fetch(net, &req, "/flaky/401/-/1/sess-401");
    assert_int_equal(resp->error, 0);
    assert_int_equal(resp->status, 401);
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(resp->bearer_gen, net_bearer_gen(net));
    net_response_free(resp);

    assert_int_equal(net_set_bearer(net, "bad\r\nX-Evil: 1"), BINGE_EINVAL);
    assert_int_equal(net_bearer_gen(net), 2);
    assert_int_equal(net_set_bearer(net, NULL), 0);
    assert_int_equal(net_bearer_gen(net), 3);
    resp = fetch(net, &req, "/flaky/200/-/0/sess-cleared");
    assert_int_equal(resp->bearer_gen, 0);
    net_response_free(resp);
    assert_null(server_auth("/flaky/200/-/0/sess-cleared", 0));
    assert_int_equal(net_set_bearer(NULL, "x"), BINGE_EINVAL);
    assert_int_equal(net_bearer_gen(NULL), 0);
    net_free(net);
}

/* net_path: ids become one escaped segment each, whatever they hold. Rows, some that must
 * fail (NULL). */
static void test_path_segments(void **state)
{
    static const struct {
        const char *segs[4];
        size_t n;
        const char *want;
    } rows[] = {
        {{"v1", "home"}, 2, "/v1/home"},
        {{"v1", "series", "midnight-heir"}, 3, "/v1/series/midnight-heir"},
        {{"v1", "episodes", "a/b", "play"}, 4, "/v1/episodes/a%2Fb/play"},
        {{"v1", "series", "x?y=1#frag"}, 3, "/v1/series/x%3Fy%3D1%23frag"},
        {{"v1", "series", "two words"}, 3, "/v1/series/two%20words"},
        {{"v1", "series", "\xc3\xa9t\xc3\xa9"}, 3, "/v1/series/%C3%A9t%C3%A9"},
        {{"v1", "series", "100%"}, 3, "/v1/series/100%25"},
        {{"v1", "series", "a+b&c;d"}, 3, "/v1/series/a%2Bb%26c%3Bd"},
        {{"v1", "series", "A-z_0.9~"}, 3, "/v1/series/A-z_0.9~"},
        {{"v1", "series", ".."}, 3, "/v1/series/%2E%2E"},
        {{"v1", "series", "."}, 3, "/v1/series/%2E"},
        {{"v1", "series", "..."}, 3, "/v1/series/..."},
        {{"v1", "series", "\r\nX-Evil: 1"}, 3, "/v1/series/%0D%0AX-Evil%3A%201"},
        /* must fail */
        {{"v1", "series", ""}, 3, NULL},
        {{"v1", NULL, "x"}, 3, NULL},
        {{NULL}, 0, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *got = net_path(rows[i].segs, rows[i].n);
        if (rows[i].want ? !got || strcmp(got, rows[i].want) != 0 : got != NULL)
            fail_msg("row %zu: got '%s', want '%s'", i, got ? got : "NULL",
                     rows[i].want ? rows[i].want : "NULL");
        free(got);
    }
    char *p = NET_PATH("v1", "episodes", "x/y", "unlock");
    assert_string_equal(p, "/v1/episodes/x%2Fy/unlock");
    free(p);
}

/* An id with '/', '?', '#', a space, '%' and UTF-8 reaches a real server as one path segment:
 * the request line holds exactly the escaped segment, and nothing of it went into a query or a
 * fragment. */
static void test_path_reaches_server_as_one_segment(void **state)
{
    struct net *net = new_net(0, 0);
    const char *id = "odd/id?x=1#top \xc3\xa9 50%";
    char *path = NET_PATH("v1", "series", id);
    assert_non_null(path);
    struct net_request req = {.method = NET_GET};
    struct net_response *resp = fetch(net, &req, path);
    assert_int_equal(resp->error, 0);
    net_response_free(resp);
    char *head = server_last(NULL);
    char line[256];
    assert_int_equal(sscanf(head, "GET %255s HTTP/1.1", line), 1);
    assert_string_equal(line, "/v1/series/odd%2Fid%3Fx%3D1%23top%20%C3%A9%2050%25");
    /* Three segments; the last decodes back to the id. */
    int slashes = 0;
    for (const char *c = line; *c; c++)
        slashes += *c == '/';
    assert_int_equal(slashes, 3);
    char decoded[64];
    size_t n = 0;
    for (const char *c = strrchr(line, '/') + 1; *c && n + 1 < sizeof(decoded); n++) {
        unsigned v;
        if (*c == '%' && sscanf(c + 1, "%2x", &v) == 1) {
            decoded[n] = (char)v;
            c += 3;
        } else {
            decoded[n] = *c++;
        }
    }
    decoded[n] = '\0';
    assert_string_equal(decoded, id);
    free(head);
    free(path);
    net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_ok),
        cmocka_unit_test(test_set_language),
        cmocka_unit_test(test_post_headers),
        cmocka_unit_test(test_post_without_body),
        cmocka_unit_test(test_put_and_delete),
        cmocka_unit_test(test_http_errors_are_not_errors),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_empty_reply_and_redirects),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_free_with_requests_in_flight),
        cmocka_unit_test(test_many_parallel),
        cmocka_unit_test(test_retry_get_honours_retry_after),
        cmocka_unit_test(test_retry_idempotent_post),
        cmocka_unit_test(test_no_retry_plain_post),
        cmocka_unit_test(test_no_retry_client_errors),
        cmocka_unit_test(test_backoff_grows_then_gives_up),
        cmocka_unit_test(test_retry_after_captured),
        cmocka_unit_test(test_etag_round_trip),
        cmocka_unit_test(test_cancel_during_backoff),
        cmocka_unit_test(test_extra_headers),
        cmocka_unit_test(test_session_bearer),
        cmocka_unit_test(test_path_segments),
        cmocka_unit_test(test_path_reaches_server_as_one_segment),
    };
    return cmocka_run_group_tests(tests, server_start, server_stop);
}
