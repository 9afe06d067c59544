/* binge-server v1 under slow clients: a slowloris attack (many connections each dripping one
 * header line at a time) neither starves honest clients nor holds its connections past the
 * request deadline; and one address cannot take more than its share of connections. (Issue 8,
 * section 5; that a long media response outlives the deadline is in test_server_http.c.)
 *
 * Timeouts here only detect failure; nothing asserts how fast anything is. */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "test_server_common.h"

/* The attack of the issue: 300 connections, spread over 10 source addresses so that none of
 * them reaches the per-address limit and only the request deadline can end them. */
#define SLOW_CLIENTS 300
#define SLOW_ADDRESSES 10
#define DRIP_INTERVAL_MS 1000 /* far below the idle timeout: each byte would restart it */
#define HONEST_PROBES 5

/* Failure detection only. */
#define PROBE_TIMEOUT_S 20
#define ALL_CLOSED_TIMEOUT_S 90

struct suite {
    char tmpdir[512];
};

static int suite_setup(void **state)
{
    struct suite *st = calloc(1, sizeof(*st));

    if (!st)
        return -1;
    *state = st;
    return ts_suite_init(st->tmpdir, sizeof(st->tmpdir));
}

static int suite_teardown(void **state)
{
    struct suite *st = *state;

    if (st)
        ts_suite_cleanup(st->tmpdir);
    free(st);
    return 0;
}

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* ---- the drip feeder ---- */

struct drip {
    int fds[SLOW_CLIENTS];
    bool closed[SLOW_CLIENTS];
    unsigned int lines[SLOW_CLIENTS]; /* header lines sent after the request line */
    size_t n;
    pthread_mutex_t lock;
    size_t n_closed;
    bool stop;
    pthread_t thread;
};

/* Every DRIP_INTERVAL_MS, one more header line on every connection the server has not closed. */
static void *drip_main(void *arg)
{
    struct drip *d = arg;

    for (;;) {
        pthread_mutex_lock(&d->lock);
        if (d->stop) {
            pthread_mutex_unlock(&d->lock);
            return NULL;
        }
        for (size_t i = 0; i < d->n; i++) {
            char line[64];
            int len;
            if (d->closed[i])
                continue;
            len = snprintf(line, sizeof(line), "X-Slow-%u: %u\r\n", d->lines[i], d->lines[i]);
            if (ts_closed_by_peer(d->fds[i], 0) ||
                send(d->fds[i], line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT) != len) {
                d->closed[i] = true;
                d->n_closed++;
                continue;
            }
            d->lines[i]++;
        }
        pthread_mutex_unlock(&d->lock);
        sleep_ms(DRIP_INTERVAL_MS);
    }
}

/* Opens n connections from the addresses 127.0.0.<first>.. (round robin over n_addr), each
 * sending an unfinished request, and starts feeding them. */
static void drip_start(struct drip *d, int port, size_t n, int first, int n_addr)
{
    static const char head[] = "GET /v1/home HTTP/1.1\r\nHost: 127.0.0.1\r\n";

    memset(d, 0, sizeof(*d));
    pthread_mutex_init(&d->lock, NULL);
    for (size_t i = 0; i < n; i++) {
        char src[32];
        snprintf(src, sizeof(src), "127.0.0.%d", first + (int)(i % (size_t)n_addr));
        d->fds[i] = ts_connect_from(src, port, 0);
        assert_true(d->fds[i] >= 0);
        /* A server that already turned the connection away makes this fail: that counts as
         * closed at the first drip. */
        send(d->fds[i], head, sizeof(head) - 1, MSG_NOSIGNAL);
    }
    d->n = n;
    assert_int_equal(pthread_create(&d->thread, NULL, drip_main, d), 0);
}

static size_t drip_closed(struct drip *d)
{
    size_t n;

    pthread_mutex_lock(&d->lock);
    n = d->n_closed;
    pthread_mutex_unlock(&d->lock);
    return n;
}

static void drip_stop(struct drip *d)
{
    pthread_mutex_lock(&d->lock);
    d->stop = true;
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    for (size_t i = 0; i < d->n; i++)
        close(d->fds[i]);
    pthread_mutex_destroy(&d->lock);
}

static int get_home(const char *src, int port)
{
    int status = 0;
    char *text = ts_raw_request(
        src, port, "GET /v1/home HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        PROBE_TIMEOUT_S, &status);

    free(text);
    return status;
}

/* The server as shipped (default limits) under the attack: 300 connections that each
 * send a request line and then one header line a second, forever. Honest clients are answered
 * while they are connected, and the server disconnects every one of them although none ever
 * stops sending. Before the fix, 256 threads sat on 256 of them and everything else was turned
 * away, and the 30 s idle timeout restarted at every line. */
static void test_slowloris_does_not_starve_honest_clients(void **state)
{
    static const char *const extra[] = {"--rate-limit", "0", NULL};
    struct suite *st = *state;
    struct ts_server srv;
    struct drip *d = calloc(1, sizeof(*d));
    double start;

    assert_non_null(d);
    assert_int_equal(ts_server_start(&srv, st->tmpdir, "slowloris.db", extra), 0);
    drip_start(d, srv.port, SLOW_CLIENTS, 2, SLOW_ADDRESSES);

    for (int i = 0; i < HONEST_PROBES; i++)
        assert_int_equal(get_home(NULL, srv.port), 200);

    start = mono_s();
    while (drip_closed(d) < SLOW_CLIENTS && mono_s() - start < ALL_CLOSED_TIMEOUT_S)
        sleep_ms(200);
    if (drip_closed(d) < SLOW_CLIENTS)
        fail_msg("%zu of %d drip-fed connections are still open after %d s", drip_closed(d),
                 SLOW_CLIENTS, ALL_CLOSED_TIMEOUT_S);
    /* They were disconnected while still sending, not for being idle. */
    for (size_t i = 0; i < d->n; i++)
        assert_true(d->lines[i] >= 1);
    drip_stop(d);
    free(d);

    assert_int_equal(get_home(NULL, srv.port), 200);
    assert_true(ts_log_has(&srv, "sent no complete request within", 10));
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* One address gets at most --max-connections-per-ip connections: the rest are closed at once,
 * that address is refused while it holds them, others are served, and a freed slot is usable
 * again. The request deadline is long here so that only the per-address limit acts. */
static void test_per_address_connection_limit(void **state)
{
    static const char *const extra[] = {
        "--rate-limit", "0", "--max-connections-per-ip", "8", "--request-timeout", "600", NULL};
    struct suite *st = *state;
    struct ts_server srv;
    int fds[20];
    bool closed[20] = {false};
    size_t n_closed = 0;
    double start;
    int status = 0;
    size_t kept = 0;

    assert_int_equal(ts_server_start(&srv, st->tmpdir, "perip.db", extra), 0);
    for (size_t i = 0; i < 20; i++) {
        fds[i] = ts_connect_from("127.0.0.12", srv.port, 0);
        assert_true(fds[i] >= 0);
        send(fds[i], "GET /v1/home HTTP/1.1\r\n", 23, MSG_NOSIGNAL);
    }
    /* Twelve are turned away. */
    start = mono_s();
    while (n_closed < 12 && mono_s() - start < PROBE_TIMEOUT_S) {
        for (size_t i = 0; i < 20; i++) {
            if (!closed[i] && ts_closed_by_peer(fds[i], 0)) {
                closed[i] = true;
                n_closed++;
            }
        }
        sleep_ms(50);
    }
    assert_int_equal(n_closed, 12);

    /* While the eight are held, that address gets nothing, another one is served. */
    assert_int_equal(get_home("127.0.0.12", srv.port), 0);
    assert_int_equal(get_home("127.0.0.13", srv.port), 200);
    for (size_t i = 0; i < 20; i++) {
        if (!closed[i]) {
            assert_false(ts_closed_by_peer(fds[i], 0));
            kept = i;
        }
    }

    /* One slot freed: the address is served again (once the server has seen the close). */
    close(fds[kept]);
    fds[kept] = -1;
    start = mono_s();
    while ((status = get_home("127.0.0.12", srv.port)) != 200 && mono_s() - start < PROBE_TIMEOUT_S)
        sleep_ms(100);
    assert_int_equal(status, 200);

    for (size_t i = 0; i < 20; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
    }
    assert_int_equal(ts_server_stop(&srv), 0);
}

struct pending_get {
    const char *url;
    struct ts_response r;
    atomic_bool done;
};

static void *pending_main(void *arg)
{
    struct pending_get *p = arg;

    ts_http(&(struct ts_request){.method = "GET", .url = p->url, .timeout_ms = 60000}, &p->r);
    atomic_store(&p->done, true);
    return NULL;
}

/* A request held up (here by an injected 10 s latency, in the place of a slow handler) holds
 * up only itself: with a single pool thread, other requests are answered while it waits, and
 * then it is answered too. Before, the latency slept on the pool thread and everything behind
 * it waited. */
static void test_delayed_request_holds_up_only_itself(void **state)
{
    static const char *const extra[] = {"--dev", "--rate-limit", "0", "--threads", "1", NULL};
    struct suite *st = *state;
    struct ts_server srv;
    struct pending_get p = {0};
    pthread_t thread;
    double start;
    cJSON *doc;

    assert_int_equal(ts_server_start(&srv, st->tmpdir, "delayed.db", extra), 0);
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/dev/faults", srv.base),
                                       .body = "{\"path_prefix\":\"/v1/home\",\"fault\":"
                                               "\"latency\",\"ms\":10000,\"count\":1}"},
                  200);
    cJSON_Delete(doc);
    p.url = ts_fmt("%s/v1/home", srv.base);
    assert_int_equal(pthread_create(&thread, NULL, pending_main, &p), 0);

    /* The rule is used up once the request is being delayed. */
    start = mono_s();
    for (;;) {
        doc = ts_json(
            &(struct ts_request){.method = "GET", .url = ts_fmt("%s/dev/faults", srv.base)}, 200);
        int left = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "faults"));
        cJSON_Delete(doc);
        if (left == 0)
            break;
        assert_true(mono_s() - start < PROBE_TIMEOUT_S);
        sleep_ms(20);
    }
    for (int i = 0; i < 5; i++) {
        doc = ts_json(&(struct ts_request){.method = "GET",
                                           .url = ts_fmt("%s/v1/series/revenge-ceo", srv.base)},
                      200);
        cJSON_Delete(doc);
    }
    assert_false(atomic_load(&p.done));

    pthread_join(thread, NULL);
    assert_int_equal(p.r.curl_rc, CURLE_OK);
    assert_int_equal(p.r.status, 200);
    ts_response_free(&p.r);
    assert_int_equal(ts_server_stop(&srv), 0);
}

/* Sends text on fd. */
static void send_text(int fd, const char *text)
{
    assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
}

/* Reads one whole response on fd (headers, then Content-Length bytes). Returns its status, or
 * 0 when the server closed the connection first. */
static int read_response(int fd)
{
    char buf[65536];
    size_t len = 0;
    int status = 0;
    long body = -1;
    char *end = NULL;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    while (len < sizeof(buf) - 1 && poll(&pfd, 1, PROBE_TIMEOUT_S * 1000) > 0) {
        ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
        if (n <= 0)
            return 0;
        len += (size_t)n;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strstr(buf, "\r\nContent-Length:");
            sscanf(buf, "HTTP/1.1 %d", &status);
            body = cl ? strtol(cl + 17, NULL, 10) : 0;
        }
        if (end && (long)(len - (size_t)(end + 4 - buf)) >= body)
            return status;
    }
    return 0;
}

/* A kept-alive connection whose next request line comes shortly before the idle timeout gets
 * the whole request timeout for the rest of that request. Before the fix the idle deadline
 * stayed, and the sweeper cut the request while its headers were still arriving (a reset
 * POST leaves the client guessing whether it happened). */
static void test_keepalive_request_gets_its_timeout(void **state)
{
    static const char *const extra[] = {
        "--rate-limit", "0", "--idle-timeout", "4", "--request-timeout", "30", NULL};
    struct suite *st = *state;
    struct ts_server srv;

    assert_int_equal(ts_server_start(&srv, st->tmpdir, "keepalive.db", extra), 0);
    int fd = ts_connect_from("127.0.0.13", srv.port, 0);
    assert_true(fd >= 0);
    send_text(fd, "GET /v1/home HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert_int_equal(read_response(fd), 200);
    /* Idle for 1 s of the 4, then a request whose headers take 6 s to arrive: a byte every 2 s
     * keeps libmicrohttpd's own inactivity timer going; only a deadline can end it. */
    sleep(1);
    send_text(fd, "GET /v1/home HTTP/1.1\r\n");
    for (int i = 0; i < 3; i++) {
        sleep(2);
        send_text(fd, "X-Slow: 1\r\n");
    }
    send_text(fd, "Host: 127.0.0.1\r\n\r\n");
    assert_int_equal(read_response(fd), 200);
    close(fd);
    assert_int_equal(ts_server_stop(&srv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slowloris_does_not_starve_honest_clients),
        cmocka_unit_test(test_per_address_connection_limit),
        cmocka_unit_test(test_delayed_request_holds_up_only_itself),
        cmocka_unit_test(test_keepalive_request_gets_its_timeout),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
