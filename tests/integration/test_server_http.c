/* binge-server v1, the HTTP layer's defences (issue 8, sections 4 and 5):
 * - media, keys and images are opened beneath the media root only: no symlink (to /etc/passwd,
 *   to another episode's key, to a directory), no "..", no FIFO, no directory; both through
 *   openat2 and through the O_NOFOLLOW walk that replaces it on older kernels;
 * - a long media response outlives the request deadline;
 * - HTML pages carry X-Frame-Options and a Content-Security-Policy;
 * - a form POST sent from another site (by Origin or Referer) is refused before it acts.
 *
 * Timeouts here only detect failure (a FIFO that hangs the request); nothing asserts how fast
 * anything is. */

#define _GNU_SOURCE /* F_SETLEASE */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "binge/error.h"
#include "media_open.h"
#include "sign.h"
#include "test_server_common.h"

#define REQUEST_TIMEOUT_S 10 /* failure detection: a FIFO used to hang the request forever */
#define BIG_FILE "revenge-ceo/01/v0/big.ts"
#define BIG_SIZE (32L * 1024 * 1024) /* more than the kernel's socket buffers hold */

struct suite {
    char tmpdir[512];
    char media[600];      /* a private copy of the content, with the traps below */
    char media_link[600]; /* a symlink to it: the root itself may be a link */
    struct ts_server srv;
    unsigned char secret[32];
};

static unsigned char big_byte(long i)
{
    return (unsigned char)((i * 7 + i / 4093) & 0xff);
}

static int write_big_file(const char *path)
{
    FILE *f = fopen(path, "wb");
    static unsigned char buf[65536];

    if (!f)
        return -1;
    for (long off = 0; off < BIG_SIZE; off += (long)sizeof(buf)) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = big_byte(off + (long)i);
        if (fwrite(buf, 1, sizeof(buf), f) != sizeof(buf)) {
            fclose(f);
            return -1;
        }
    }
    return fclose(f);
}

/* The traps a careless or hostile content directory can hold. */
static int make_traps(const char *m)
{
    char p[800];
    int rc = 0;

#define AT(rel) (snprintf(p, sizeof(p), "%s/%s", m, rel), p)
    rc |= symlink("/etc/passwd", AT("revenge-ceo/passwd.png"));
    rc |= symlink("03/key.bin", AT("revenge-ceo/key.png"));
    rc |= mkfifo(AT("revenge-ceo/fifo.png"), 0644);
    rc |= mkdir(AT("revenge-ceo/dir.png"), 0755);
    rc |= symlink("../palace-secrets", AT("revenge-ceo/linked"));
    rc |= symlink("..", AT("revenge-ceo/up"));
    rc |= symlink("../../03/key.bin", AT("revenge-ceo/01/v0/seg00009.ts"));
    rc |= symlink("/etc/passwd", AT("revenge-ceo/01/v0/seg00008.ts"));
    rc |= mkfifo(AT("revenge-ceo/01/v0/seg00007.ts"), 0644);
    rc |= write_big_file(AT(BIG_FILE));
#undef AT
    return rc ? -1 : 0;
}

static int suite_setup(void **state)
{
    struct suite *st = calloc(1, sizeof(*st));
    const char *extra[] = {"--rate-limit", "0", "--media", NULL, "--request-timeout", "2", NULL};
    char *cp[] = {"cp", "-a", TS_CONTENT_DIR, NULL, NULL};

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0)
        return -1;
    snprintf(st->media, sizeof(st->media), "%s/media", st->tmpdir);
    snprintf(st->media_link, sizeof(st->media_link), "%s/media-link", st->tmpdir);
    cp[3] = st->media;
    if (ts_run(cp, 120) != 0 || make_traps(st->media) != 0 || symlink("media", st->media_link) != 0)
        return -1;
    extra[3] = st->media_link;
    if (ts_server_start(&st->srv, st->tmpdir, "http.db", extra) != 0)
        return -1;
    ts_secret(&st->srv, st->secret);
    return 0;
}

static int suite_teardown(void **state)
{
    struct suite *st = *state;
    char *rm[] = {"rm", "-rf", NULL, NULL};
    int rc = 0;

    if (!st)
        return 0;
    if (st->srv.pid > 0 && ts_server_stop(&st->srv) != 0)
        rc = -1;
    if (st->media[0]) {
        rm[2] = st->media;
        ts_run(rm, 60);
    }
    ts_suite_cleanup(st->tmpdir);
    free(st);
    return rc;
}

static int get_status(const struct suite *st, const char *target)
{
    int status = 0;
    char *text = ts_raw_request(
        NULL, st->srv.port,
        ts_fmt("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", target),
        REQUEST_TIMEOUT_S, &status);

    free(text);
    return status;
}

static const char *signed_target(const struct suite *st, const char *path)
{
    long long exp = (long long)time(NULL) + 3600;
    char sig[SIGN_HEX_LEN + 1];

    assert_int_equal(sign_compute(st->secret, sizeof(st->secret), path, exp, sig), 0);
    return ts_fmt("/media/%s?exp=%lld&sig=%s", path, exp, sig);
}

struct media_row {
    const char *what;
    const char *path; /* relative to the media root */
    bool is_image;    /* /images/ (unsigned) rather than signed /media/ */
    bool served;
};

static const struct media_row media_rows[] = {
    {"a poster", "revenge-ceo/poster.png", true, true},
    {"a segment", "revenge-ceo/01/v0/seg00000.ts", false, true},
    {"a symlink to /etc/passwd", "revenge-ceo/passwd.png", true, false},
    {"a symlink to another episode's key", "revenge-ceo/key.png", true, false},
    {"a FIFO", "revenge-ceo/fifo.png", true, false},
    {"a directory", "revenge-ceo/dir.png", true, false},
    {"a file in a symlinked directory", "revenge-ceo/linked/poster.png", true, false},
    {"'..' through a symlink", "revenge-ceo/up/palace-secrets/poster.png", true, false},
    {"a segment linked to another episode's key", "revenge-ceo/01/v0/seg00009.ts", false, false},
    {"a segment linked to /etc/passwd", "revenge-ceo/01/v0/seg00008.ts", false, false},
    {"a FIFO segment", "revenge-ceo/01/v0/seg00007.ts", false, false},
};

#define N_MEDIA_ROWS (sizeof(media_rows) / sizeof(media_rows[0]))

/* Over HTTP: only the real files are served; every trap is a 404, at once. */
static void test_media_served_beneath_root_only(void **state)
{
    const struct suite *st = *state;
    /* A literal "..", which curl would have normalised away, and the key behind the symlink
     * asked for as an image. */
    const char *refused[] = {"/images/revenge-ceo/../palace-secrets/poster.png",
                             "/images/revenge-ceo/%2e%2e/palace-secrets/poster.png",
                             "/images/revenge-ceo/03/key.bin"};
    int wrong = 0;

    /* Every row is checked, and every wrong one reported, before the test fails. */
    for (size_t i = 0; i < N_MEDIA_ROWS; i++) {
        const struct media_row *r = &media_rows[i];
        const char *target =
            r->is_image ? ts_fmt("/images/%s", r->path) : signed_target(st, r->path);
        int status = get_status(st, target);
        if (status != (r->served ? 200 : 404)) {
            fprintf(stderr, "%s (%s): status %d, want %d\n", r->what, r->path, status,
                    r->served ? 200 : 404);
            wrong++;
        }
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int status = get_status(st, refused[i]);
        if (status != 404) {
            fprintf(stderr, "%s: status %d, want 404\n", refused[i], status);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

/* The same answers from openat2 and from the O_NOFOLLOW walk used where openat2 is missing. */
static void test_media_open_both_ways(void **state)
{
    const struct suite *st = *state;
    const enum media_open_mode modes[] = {MEDIA_OPEN_AUTO, MEDIA_OPEN_WALK};
    const char *outside[] = {"/etc/passwd", "../media/revenge-ceo/poster.png",
                             "revenge-ceo/../revenge-ceo/poster.png", "revenge-ceo//poster.png",
                             "revenge-ceo/./poster.png"};

    for (size_t m = 0; m < 2; m++) {
        for (size_t i = 0; i < N_MEDIA_ROWS; i++) {
            long long size = -1;
            int fd = media_open_beneath(st->media_link, media_rows[i].path, modes[m], &size);
            if (media_rows[i].served) {
                struct stat sb;
                if (fd < 0)
                    fail_msg("%s: mode %zu refused it (%d)", media_rows[i].what, m, fd);
                assert_int_equal(fstat(fd, &sb), 0);
                assert_int_equal(size, (long long)sb.st_size);
                close(fd);
            } else if (fd != BINGE_ENOTFOUND) {
                fail_msg("%s: mode %zu gave %d, want BINGE_ENOTFOUND", media_rows[i].what, m, fd);
            }
        }
        for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
            assert_int_equal(media_open_beneath(st->media, outside[i], modes[m], &(long long){0}),
                             BINGE_ENOTFOUND);
    }
}

/* A file another process holds a write lease on (Samba's oplocks, some sync tools): the
 * non-blocking open fails with EAGAIN until the lease is broken, up to lease-break-time (45 s).
 * openat2's loop retried EAGAIN forever, spinning a pool thread; now it gives up at once with
 * an error. The lease is taken here, by this process, through its own file description. */
static void test_media_open_leased_file_fails_fast(void **state)
{
    const struct suite *st = *state;
    char path[1400];
    snprintf(path, sizeof(path), "%s/leased.ts", st->media);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    signal(SIGIO, SIG_IGN); /* the kernel's "break your lease" notice to the holder */
    if (fcntl(fd, F_SETLEASE, F_WRLCK) != 0) {
        int e = errno;
        close(fd);
        fprintf(stderr, "skipped: no write lease here (%s), the case cannot be set up\n",
                strerror(e));
        skip();
    }
    long long size = -1;
    int got = media_open_beneath(st->media, "leased.ts", MEDIA_OPEN_AUTO, &size);
    assert_int_equal(fcntl(fd, F_SETLEASE, F_UNLCK), 0);
    close(fd);
    if (got >= 0) {
        close(got);
        fail_msg("the open waited for the lease to be broken instead of failing");
    }
    assert_int_equal(got, BINGE_EIO);
    unlink(path);
}

/* A media response is not cut by the request deadline (2 s here): a client reading a 32 MB
 * file slowly (about 6 MB/s, so for several seconds, more than the socket buffers hold) gets
 * every byte intact. */
static void test_slow_media_reader_gets_whole_file(void **state)
{
    const struct suite *st = *state;
    const char *target = signed_target(st, BIG_FILE);
    char *request = strdup(ts_fmt("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", target));
    static char buf[65536];
    char head[4096];
    size_t head_len = 0;
    long body = 0;
    bool in_body = false;
    int fd = ts_connect_from(NULL, st->srv.port, 0);
    struct timespec pause = {0, 10 * 1000 * 1000};
    time_t start = time(NULL);

    assert_non_null(request);
    assert_true(fd >= 0);
    assert_int_equal(send(fd, request, strlen(request), MSG_NOSIGNAL), (ssize_t)strlen(request));
    free(request);
    while (body < BIG_SIZE) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        size_t from = 0;
        if (n <= 0)
            break;
        if (!in_body) {
            char *end;
            size_t take =
                (size_t)n < sizeof(head) - 1 - head_len ? (size_t)n : sizeof(head) - 1 - head_len;
            memcpy(head + head_len, buf, take);
            head_len += take;
            head[head_len] = '\0';
            end = strstr(head, "\r\n\r\n");
            if (!end) {
                assert_true(head_len < sizeof(head) - 1);
                continue;
            }
            assert_int_equal(strncmp(head, "HTTP/1.1 200", 12), 0);
            /* Where the body starts in buf: the head bytes before this recv came first. */
            from = (size_t)(end + 4 - head) - (head_len - take);
            in_body = true;
        }
        for (size_t i = from; i < (size_t)n; i++, body++) {
            if ((unsigned char)buf[i] != big_byte(body))
                fail_msg("byte %ld differs", body);
        }
        nanosleep(&pause, NULL);
        if (time(NULL) - start > 120)
            fail_msg("the slow read did not finish");
    }
    fprintf(stderr, "read %ld body bytes in about %lld s\n", body, (long long)(time(NULL) - start));
    assert_int_equal(body, BIG_SIZE);
    close(fd);
}

/* HTML pages cannot be framed and run nothing but their own inline style. */
static void test_html_security_headers(void **state)
{
    const struct suite *st = *state;
    int status = 0;
    char *text =
        ts_raw_request(NULL, st->srv.port,
                       "GET /activate HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                       REQUEST_TIMEOUT_S, &status);
    char *end;

    assert_non_null(text);
    assert_int_equal(status, 200);
    end = strstr(text, "\r\n\r\n");
    assert_non_null(end);
    *end = '\0'; /* headers only */
    assert_non_null(strstr(text, "\r\nContent-Type: text/html"));
    assert_non_null(strstr(text, "\r\nX-Frame-Options: DENY"));
    assert_non_null(strstr(text, "\r\nContent-Security-Policy: default-src 'none';"));
    assert_non_null(strstr(text, "frame-ancestors 'none'"));
    assert_non_null(strstr(text, "form-action 'self'"));
    free(text);
}

static long coins(const struct suite *st, const char *token)
{
    cJSON *doc = ts_json(&(struct ts_request){.method = "GET",
                                              .url = ts_fmt("%s/v1/wallet", st->srv.base),
                                              .token = token},
                         200);
    long n = (long)ts_num(doc, "coins");

    cJSON_Delete(doc);
    return n;
}

static void post_form(const struct suite *st, const char *path, const char *body,
                      const char *header, long want)
{
    struct ts_response r;

    ts_http(&(struct ts_request){.method = "POST",
                                 .url = ts_fmt("%s%s", st->srv.base, path),
                                 .body = body,
                                 .headers = {header}},
            &r);
    assert_int_equal(r.curl_rc, CURLE_OK);
    if (r.status != want)
        fail_msg("POST %s with \"%s\": status %ld, want %ld", path, header ? header : "", r.status,
                 want);
    if (want == 403) {
        cJSON *doc = cJSON_Parse(r.body);
        assert_non_null(doc);
        ts_assert_error(doc, "forbidden");
        cJSON_Delete(doc);
    }
    ts_response_free(&r);
}

/* A page on another site cannot make the viewer's browser pay a checkout or approve a device
 * code: the POST names that site in Origin (or Referer) and is refused before anything
 * happens. The same page on this site, and clients that send neither header, still work. */
static void test_cross_site_form_posts_refused(void **state)
{
    const struct suite *st = *state;
    char token[65];
    char id[64];
    char pay[128];
    long before;
    cJSON *doc;

    ts_register(&st->srv, "origin-tv", token);
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/purchase/session", st->srv.base),
                                       .token = token,
                                       .body = "{\"pack_id\":\"coins-60\"}"},
                  200);
    snprintf(id, sizeof(id), "%s", ts_str(doc, "id"));
    cJSON_Delete(doc);
    snprintf(pay, sizeof(pay), "/checkout/%s/pay", id);
    before = coins(st, token);

    post_form(st, pay, "x=1", "Origin: http://evil.example", 403);
    post_form(st, pay, "x=1", "Origin: null", 403);
    post_form(st, pay, "x=1", "Referer: http://evil.example/landing", 403);
    post_form(st, pay, "x=1", ts_fmt("Origin: http://127.0.0.1:%d.evil.example", st->srv.port),
              403);
    post_form(st, "/activate", "user_code=BCDF-GHJK&name=demo&action=approve",
              "Origin: https://evil.example", 403);
    assert_int_equal(coins(st, token), before);

    /* This site's own page pays. */
    post_form(st, pay, "x=1", ts_fmt("Origin: http://127.0.0.1:%d", st->srv.port), 200);
    assert_int_equal(coins(st, token), before + 60);
    assert_true(ts_log_has(&st->srv, "refused: sent from another site", 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_media_served_beneath_root_only),
        cmocka_unit_test(test_media_open_both_ways),
        cmocka_unit_test(test_media_open_leased_file_fails_fast),
        cmocka_unit_test(test_slow_media_reader_gets_whole_file),
        cmocka_unit_test(test_html_security_headers),
        cmocka_unit_test(test_cross_site_form_posts_refused),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
