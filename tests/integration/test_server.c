/* Integration test of binge-server: a real server process on loopback, real content made by
 * scripts/make-content, real HTTP through libcurl and real playback through gst-launch-1.0
 * playbin3 (hlsdemux2). */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "testutil.h"

#define SERVER_BIN BINGE_BUILD_DIR "/bin/binge-server"
#define MAKE_CONTENT BINGE_SOURCE_DIR "/scripts/make-content"
#define CONTENT_DIR BINGE_BUILD_DIR "/fixtures/test_server-content"

/* Generous bounds: they only decide how long a hung child may block the suite. */
#define MAKE_CONTENT_TIMEOUT_S 300
#define SERVER_START_TIMEOUT_S 30
#define PLAYBACK_TIMEOUT_S 120

#define FREE_EPISODES "2"

struct server {
    pid_t pid;
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
};

struct suite {
    char tmpdir[PATH_MAX];
    char db[PATH_MAX + 16];
    char log[PATH_MAX + 16];
    struct server srv;
    char token[128];
    char series_id[128];
    char free_episode[160];
    char locked_episode[160];
    char play_url[2048];
};

struct response {
    long status;
    char *body;
    size_t len;
    char content_type[128];
    char etag[128];
};

/* ---- processes ---------------------------------------------------------------------------- */

/* Waits for pid up to timeout_s; kills it when the time is up. Returns the wait status or -1. */
static int wait_child(pid_t pid, int timeout_s)
{
    struct timespec start;
    struct timespec now;
    const struct timespec tick = {0, 20 * 1000 * 1000};
    int status;

    timeout_s = tu_scaled(timeout_s); /* slower under emulation */
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= timeout_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        nanosleep(&tick, NULL);
    }
}

/* Runs argv to completion and returns its exit code, or -1 on timeout, signal or exec failure. */
static int run_command(char *const argv[], int timeout_s)
{
    pid_t pid = fork();
    int status;

    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        tu_host_exec(argv); /* host tools only (make-content, gst-launch-1.0) */
        tu_child_exec_failed(argv[0]);
        _exit(127);
    }
    status = wait_child(pid, timeout_s);
    if (status < 0) {
        fprintf(stderr, "test_server: %s did not finish within %d s\n", argv[0], timeout_s);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Copies the server log to stderr so a failure shows what the server said. */
static void dump_log(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];

    if (!f)
        return;
    fprintf(stderr, "---- %s ----\n", path);
    while (fgets(line, sizeof(line), f))
        fputs(line, stderr);
    fprintf(stderr, "---- end of server log ----\n");
    fclose(f);
}

/* Starts binge-server on a free port and reads its "serving" line. extra is a NULL-terminated
 * list of additional arguments (may be NULL). Returns 0 or -1. */
static int server_start(struct server *s, const struct suite *st, const char *const *extra)
{
    const char *argv[32] = {SERVER_BIN, "--listen",  "127.0.0.1:0",     "--db",       st->db,
                            "--media",  CONTENT_DIR, "--free-episodes", FREE_EPISODES};
    size_t argc = 9;
    char line[256];
    size_t len = 0;
    int out[2];
    int log_fd;
    struct pollfd pfd;

    memset(s, 0, sizeof(*s));
    s->pid = -1;
    for (; extra && *extra && argc + 1 < sizeof(argv) / sizeof(argv[0]); extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    log_fd = open(st->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0 || pipe(out) != 0)
        return -1;
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        /* Never outlive the test, even when it crashes. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(out[1], STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        tu_execv(SERVER_BIN, (char *const *)argv);
        fprintf(stderr, "cannot exec %s: %s\n", SERVER_BIN, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(log_fd);
    pfd.fd = out[0];
    pfd.events = POLLIN;
    while (len + 1 < sizeof(line) && !memchr(line, '\n', len)) {
        ssize_t n;
        if (poll(&pfd, 1, tu_scaled(SERVER_START_TIMEOUT_S) * 1000) <= 0)
            break;
        n = read(out[0], line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(out[0]);
    line[len] = '\0';
    if (sscanf(line, "serving http://127.0.0.1:%d\n", &s->port) != 1 || s->port <= 0) {
        fprintf(stderr, "test_server: no serving line from binge-server (got \"%s\")\n", line);
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = -1;
        dump_log(st->log);
        return -1;
    }
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
    return 0;
}

/* Stops the server with SIGTERM. Returns its exit status or -1 if it had to be killed. */
static int server_stop(struct server *s)
{
    int status;

    if (s->pid <= 0)
        return 0;
    kill(s->pid, SIGTERM);
    status = wait_child(s->pid, 20);
    s->pid = -1;
    if (status < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* ---- HTTP --------------------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct response *r = userdata;
    size_t n = size * nmemb;
    char *p = realloc(r->body, r->len + n + 1);

    if (!p)
        return 0;
    memcpy(p + r->len, data, n);
    r->body = p;
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct response *r = userdata;
    size_t n = size * nmemb;

    if (n > 6 && strncasecmp(data, "ETag: ", 6) == 0) {
        size_t v = n - 6;
        while (v > 0 && (data[6 + v - 1] == '\r' || data[6 + v - 1] == '\n'))
            v--;
        snprintf(r->etag, sizeof(r->etag), "%.*s", (int)v, data + 6);
    }
    return n;
}

struct request {
    const char *method;
    const char *url;
    const char *token;  /* bearer token or NULL */
    const char *body;   /* NULL: no body */
    size_t body_len;    /* 0: strlen(body) */
    const char *header; /* one extra header or NULL */
    bool path_as_is;    /* send "..", "." untouched */
};

static void http(const struct request *rq, struct response *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *headers = NULL;
    char auth[256];
    char *ct = NULL;
    CURLcode rc;

    assert_non_null(c);
    memset(r, 0, sizeof(*r));
    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)tu_scaled(30));
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, rq->path_as_is ? 1L : 0L);
    if (strcmp(rq->method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (rq->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
                         (long)(rq->body_len ? rq->body_len : strlen(rq->body)));
        headers = curl_slist_append(headers, "Content-Type: application/json");
    }
    if (rq->token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", rq->token);
        headers = curl_slist_append(headers, auth);
    }
    if (rq->header)
        headers = curl_slist_append(headers, rq->header);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", rq->method, rq->url, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r->content_type, sizeof(r->content_type), "%s", ct ? ct : "");
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
}

static void response_free(struct response *r)
{
    free(r->body);
    r->body = NULL;
}

/* Performs the request, checks the status and, for JSON, parses the body. */
static cJSON *http_json(const struct request *rq, long want_status)
{
    struct response r;
    cJSON *doc;

    http(rq, &r);
    if (r.status != want_status)
        fail_msg("%s %s: status %ld, want %ld; body: %s", rq->method, rq->url, r.status,
                 want_status, r.body ? r.body : "");
    if (strncmp(r.content_type, "application/json", 16) != 0)
        fail_msg("%s %s: content type \"%s\"", rq->method, rq->url, r.content_type);
    doc = cJSON_ParseWithLength(r.body ? r.body : "", r.len);
    if (!doc)
        fail_msg("%s %s: body is not JSON: %s", rq->method, rq->url, r.body ? r.body : "");
    response_free(&r);
    return doc;
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsString(item))
        fail_msg("\"%s\" is not a string", key);
    return item->valuestring;
}

static double json_num(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsNumber(item))
        fail_msg("\"%s\" is not a number", key);
    return item->valuedouble;
}

/* Checks an error document: {"error": {"code": code, "message": non-empty}}. */
static void assert_error_doc(const cJSON *doc, const char *code)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(doc, "error");

    assert_true(cJSON_IsObject(err));
    assert_string_equal(json_str(err, "code"), code);
    assert_true(strlen(json_str(err, "message")) > 0);
}

static void expect_status(const struct request *rq, long want, const char *code)
{
    cJSON *doc = http_json(rq, want);

    if (code)
        assert_error_doc(doc, code);
    cJSON_Delete(doc);
}

static void url_of(const struct suite *st, const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", st->srv.base, path);
}

/* ---- setup -------------------------------------------------------------------------------- */

static int suite_setup(void **state)
{
    struct suite *st = calloc(1, sizeof(*st));
    const char *tmp = getenv("TMPDIR");
    char *make[] = {
        (char *)MAKE_CONTENT, "--out", (char *)CONTENT_DIR, "--series", "2", "--episodes", "3",
        "--duration",         "3",     "--sizes",           "180x320",  NULL};
    int rc;

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    snprintf(st->tmpdir, sizeof(st->tmpdir), "%s/binge-test-server-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(st->tmpdir))
        return -1;
    snprintf(st->db, sizeof(st->db), "%s/server.db", st->tmpdir);
    snprintf(st->log, sizeof(st->log), "%s/server.log", st->tmpdir);
    mkdir(BINGE_BUILD_DIR "/fixtures", 0755);
    /* make-content caches by parameters, so this is quick after the first run. */
    rc = run_command(make, MAKE_CONTENT_TIMEOUT_S);
    if (rc != 0) {
        fprintf(stderr, "test_server: %s failed (%d)\n", MAKE_CONTENT, rc);
        return -1;
    }
    if (server_start(&st->srv, st, NULL) != 0)
        return -1;
    return 0;
}

static void remove_tmpdir(const struct suite *st)
{
    static const char *const names[] = {"server.db", "server.db-wal", "server.db-shm",
                                        "server.log"};
    char path[PATH_MAX + 32];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", st->tmpdir, names[i]);
        unlink(path);
    }
    rmdir(st->tmpdir);
}

static int suite_teardown(void **state)
{
    struct suite *st = *state;
    int rc = 0;

    if (!st)
        return 0;
    if (st->srv.pid > 0 && server_stop(&st->srv) != 0) {
        fprintf(stderr, "test_server: binge-server did not exit cleanly on SIGTERM\n");
        dump_log(st->log);
        rc = -1;
    }
    if (st->tmpdir[0])
        remove_tmpdir(st);
    curl_global_cleanup();
    free(st);
    return rc;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_register(void **state)
{
    struct suite *st = *state;
    char url[256];
    cJSON *doc;
    const char *token;

    url_of(st, "/v1/device/register", url, sizeof(url));
    doc = http_json(
        &(struct request){"POST", url, NULL, "{\"device_id\":\"itest-tv\"}", 0, NULL, false}, 200);
    assert_string_equal(json_str(doc, "device_id"), "itest-tv");
    token = json_str(doc, "token");
    assert_int_equal(strlen(token), 64);
    assert_int_equal(strspn(token, "0123456789abcdef"), 64);
    snprintf(st->token, sizeof(st->token), "%s", token);
    cJSON_Delete(doc);

    /* X-Device-Id is the fallback. The id is known now, and the id alone proves nothing: this
     * registration gets a new guest of its own, not itest-tv's tokens. */
    doc = http_json(&(struct request){"POST", url, NULL, NULL, 0, "X-Device-Id: itest-tv", false},
                    200);
    assert_string_not_equal(json_str(doc, "device_id"), "itest-tv");
    assert_int_equal(strncmp(json_str(doc, "device_id"), "itest-tv:", 9), 0);
    assert_string_not_equal(json_str(doc, "token"), st->token);
    cJSON_Delete(doc);
}

static void test_register_rejects_bad_bodies(void **state)
{
    struct suite *st = *state;
    static const char *const bodies[] = {
        "{\"device_id\":",         /* truncated */
        "not json",                /* garbage */
        "[\"itest-tv\"]",          /* not an object */
        "{\"device_id\":42}",      /* wrong type */
        "{\"device_id\":\"a b\"}", /* bad characters */
        "{\"device_id\":\"\"}",    /* empty */
    };
    char url[256];

    url_of(st, "/v1/device/register", url, sizeof(url));
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
        expect_status(&(struct request){"POST", url, NULL, bodies[i], 0, NULL, false}, 400,
                      "bad_request");
}

static const cJSON *find_shelf(const cJSON *home, const char *id)
{
    const cJSON *shelf;

    cJSON_ArrayForEach(shelf, cJSON_GetObjectItemCaseSensitive(home, "shelves"))
    {
        if (strcmp(json_str(shelf, "id"), id) == 0)
            return shelf;
    }
    fail_msg("no shelf \"%s\"", id);
    return NULL;
}

static void test_home(void **state)
{
    struct suite *st = *state;
    char url[256];
    char prefix[128];
    cJSON *doc;
    const cJSON *items;
    const cJSON *item;
    struct response r;

    url_of(st, "/v1/home", url, sizeof(url));
    doc = http_json(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 200);
    items = cJSON_GetObjectItemCaseSensitive(find_shelf(doc, "trending"), "items");
    assert_int_equal(cJSON_GetArraySize(items), 2);
    snprintf(prefix, sizeof(prefix), "%s/images/", st->srv.base);
    cJSON_ArrayForEach(item, items)
    {
        assert_true(strlen(json_str(item, "id")) > 0);
        assert_true(strlen(json_str(item, "title")) > 0);
        assert_int_equal(strncmp(json_str(item, "poster_url"), prefix, strlen(prefix)), 0);
        assert_int_equal((int)json_num(item, "episode_count"), 3);
    }
    snprintf(st->series_id, sizeof(st->series_id), "%s",
             json_str(cJSON_GetArrayItem(items, 0), "id"));
    /* "new" is the reverse of "trending". */
    assert_string_equal(
        json_str(cJSON_GetArrayItem(
                     cJSON_GetObjectItemCaseSensitive(find_shelf(doc, "new"), "items"), 1),
                 "id"),
        st->series_id);
    /* trending, new and at least one genre */
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "shelves")) >= 3);

    /* The poster is served unsigned, as a PNG. */
    http(&(struct request){"GET", json_str(cJSON_GetArrayItem(items, 0), "poster_url"), NULL, NULL,
                           0, NULL, false},
         &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "image/png");
    assert_true(r.len > 8 && memcmp(r.body, "\x89PNG", 4) == 0);
    response_free(&r);
    cJSON_Delete(doc);

    /* Revalidation with the ETag costs nothing. */
    http(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, &r);
    assert_true(r.etag[0] == '"');
    {
        char inm[160];
        struct response r2;
        snprintf(inm, sizeof(inm), "If-None-Match: %s", r.etag);
        http(&(struct request){"GET", url, NULL, NULL, 0, inm, false}, &r2);
        assert_int_equal(r2.status, 304);
        assert_int_equal(r2.len, 0);
        response_free(&r2);
    }
    response_free(&r);
}

static void test_series(void **state)
{
    struct suite *st = *state;
    static const char *const want_state[] = {"free", "free", "locked"};
    static const int want_price[] = {0, 0, 30};
    char url[256];
    cJSON *doc;
    const cJSON *eps;
    const cJSON *ep;
    int i = 0;

    assert_true(st->series_id[0]);
    snprintf(url, sizeof(url), "%s/v1/series/%s", st->srv.base, st->series_id);
    doc = http_json(&(struct request){"GET", url, st->token, NULL, 0, NULL, false}, 200);
    assert_string_equal(json_str(doc, "id"), st->series_id);
    assert_true(strlen(json_str(doc, "title")) > 0);
    json_str(doc, "synopsis");
    json_str(doc, "poster_url");
    eps = cJSON_GetObjectItemCaseSensitive(doc, "episodes");
    assert_int_equal(cJSON_GetArraySize(eps), 3);
    cJSON_ArrayForEach(ep, eps)
    {
        assert_int_equal((int)json_num(ep, "index"), i + 1);
        assert_true(strlen(json_str(ep, "title")) > 0);
        assert_true(json_num(ep, "duration_s") > 0);
        /* make-content draws a thumbnail per episode; it is served under /images/. */
        char thumb[300];
        snprintf(thumb, sizeof(thumb), "%s/images/%s/%02d/thumb.jpg", st->srv.base, st->series_id,
                 i + 1);
        assert_string_equal(json_str(ep, "thumb_url"), thumb);
        assert_string_equal(json_str(ep, "state"), want_state[i]);
        assert_int_equal((int)json_num(ep, "price_coins"), want_price[i]);
        i++;
    }
    snprintf(st->free_episode, sizeof(st->free_episode), "%s",
             json_str(cJSON_GetArrayItem(eps, 0), "id"));
    snprintf(st->locked_episode, sizeof(st->locked_episode), "%s",
             json_str(cJSON_GetArrayItem(eps, 2), "id"));
    cJSON_Delete(doc);

    /* Anonymous viewers see the same states; unknown series are 404. */
    doc = http_json(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 200);
    cJSON_Delete(doc);
    url_of(st, "/v1/series/no-such-series", url, sizeof(url));
    expect_status(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 404, "not_found");
}

/* Returns true when every URI line of a playlist is an absolute-path signed /media/ URL.
 * first_uri gets the first one; last_path (may be NULL) the path of the last, without query. */
static bool playlist_is_signed(const char *text, char *first_uri, size_t cap, char *last_path,
                               size_t last_cap)
{
    const char *line = text;
    bool any = false;

    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (n > 0 && line[0] != '#') {
            char uri[1024];
            snprintf(uri, sizeof(uri), "%.*s", (int)n, line);
            if (strncmp(uri, "/media/", 7) != 0 || !strstr(uri, "?exp=") || !strstr(uri, "&sig="))
                return false;
            if (!any)
                snprintf(first_uri, cap, "%s", uri);
            if (last_path)
                snprintf(last_path, last_cap, "%.*s", (int)strcspn(uri, "?"), uri);
            any = true;
        }
        line = nl ? nl + 1 : NULL;
    }
    return any;
}

static bool log_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    bool found = false;

    while (f && !found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

/* The server logs a request when its connection thread finishes it, which may be a moment after
 * the client has the bytes: wait for the line (bounded) rather than race it. */
static bool wait_for_log(const char *path, const char *needle, int timeout_s)
{
    const struct timespec tick = {0, 20 * 1000 * 1000};
    struct timespec start;
    struct timespec now;

    timeout_s = tu_scaled(timeout_s);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (log_contains(path, needle))
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= timeout_s)
            return false;
        nanosleep(&tick, NULL);
    }
}

static void test_play_free(void **state)
{
    struct suite *st = *state;
    char url[2048];
    char prefix[128];
    char uri[1024];
    char uri2[1024];
    char gst_uri[2100];
    char last_segment[1024];
    char want_line[1100];
    cJSON *doc;
    const char *play_url;
    struct response r;
    long long now = (long long)time(NULL);

    assert_true(st->free_episode[0]);
    snprintf(url, sizeof(url), "%s/v1/episodes/%s/play", st->srv.base, st->free_episode);
    doc = http_json(&(struct request){"POST", url, st->token, NULL, 0, NULL, false}, 200);
    assert_string_equal(json_str(doc, "episode_id"), st->free_episode);
    play_url = json_str(doc, "play_url");
    snprintf(prefix, sizeof(prefix), "%s/media/", st->srv.base);
    assert_int_equal(strncmp(play_url, prefix, strlen(prefix)), 0);
    assert_non_null(strstr(play_url, "/master.m3u8?exp="));
    assert_non_null(strstr(play_url, "&sig="));
    assert_true(json_num(doc, "expires_at") > (double)now);
    assert_true(json_num(doc, "expires_at") <= (double)(now + 3600 + 5));
    assert_int_equal((int)json_num(doc, "resume_ms"), 0);
    assert_true(strlen(json_str(doc, "next_episode_id")) > 0);
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "subtitles")));
    assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "audio_tracks")));
    snprintf(st->play_url, sizeof(st->play_url), "%s", play_url);
    cJSON_Delete(doc);

    /* The master playlist's URIs are signed... */
    http(&(struct request){"GET", st->play_url, NULL, NULL, 0, NULL, false}, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/vnd.apple.mpegurl");
    assert_non_null(strstr(r.body, "#EXTM3U"));
    if (!playlist_is_signed(r.body, uri, sizeof(uri), NULL, 0))
        fail_msg("master playlist has unsigned URIs:\n%s", r.body);
    response_free(&r);

    /* ...and so are the variant's, and the segments they name are served. */
    snprintf(url, sizeof(url), "%s%s", st->srv.base, uri);
    http(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, &r);
    assert_int_equal(r.status, 200);
    if (!playlist_is_signed(r.body, uri2, sizeof(uri2), last_segment, sizeof(last_segment)))
        fail_msg("variant playlist has unsigned URIs:\n%s", r.body);
    assert_non_null(strstr(r.body, "#EXT-X-ENDLIST"));
    response_free(&r);
    snprintf(url, sizeof(url), "%s%s", st->srv.base, uri2);
    http(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "video/mp2t");
    assert_true(r.len > 188 && (unsigned char)r.body[0] == 0x47); /* TS sync byte */
    response_free(&r);

    /* The real player: playbin3 with hlsdemux2 must reach EOS, which makes gst-launch exit 0. */
    snprintf(gst_uri, sizeof(gst_uri), "uri=%s", st->play_url);
    {
        char *argv[] = {"gst-launch-1.0",      "-q", "playbin3", gst_uri, "video-sink=fakesink",
                        "audio-sink=fakesink", NULL};
        int rc = run_command(argv, PLAYBACK_TIMEOUT_S);
        if (rc != 0)
            fail_msg("gst-launch-1.0 playbin3 %s exited with %d", st->play_url, rc);
    }
    /* Only the player asks for the last segment, so this shows it really fetched the stream
     * through the signed URLs of the rewritten playlists. */
    snprintf(want_line, sizeof(want_line), "GET %s 200 ", last_segment);
    if (!wait_for_log(st->log, want_line, 10))
        fail_msg("the server never served %s to the player", last_segment);
}

static void test_play_locked(void **state)
{
    struct suite *st = *state;
    char url[512];
    cJSON *doc;
    const cJSON *methods;
    char *text;

    assert_true(st->locked_episode[0]);
    snprintf(url, sizeof(url), "%s/v1/episodes/%s/play", st->srv.base, st->locked_episode);
    doc = http_json(&(struct request){"POST", url, st->token, NULL, 0, NULL, false}, 402);
    assert_error_doc(doc, "payment_required");
    assert_int_equal((int)json_num(doc, "price_coins"), 30);
    /* Registered twice, credited once: the welcome bonus is per device. */
    assert_int_equal((int)json_num(doc, "balance"), 20);
    methods = cJSON_GetObjectItemCaseSensitive(doc, "unlock_methods");
    assert_true(cJSON_IsArray(methods));
    assert_int_equal(cJSON_GetArraySize(methods), 3);
    assert_null(cJSON_GetObjectItemCaseSensitive(doc, "play_url"));
    text = cJSON_PrintUnformatted(doc);
    assert_non_null(text);
    /* No URL of any kind leaks out for a locked episode. */
    assert_null(strstr(text, "/media/"));
    free(text);
    cJSON_Delete(doc);
}

static void test_play_needs_token(void **state)
{
    struct suite *st = *state;
    char url[512];
    char bogus[65];

    memset(bogus, 'a', 64);
    bogus[64] = '\0';
    snprintf(url, sizeof(url), "%s/v1/episodes/%s/play", st->srv.base, st->free_episode);
    expect_status(&(struct request){"POST", url, NULL, NULL, 0, NULL, false}, 401, "unauthorized");
    expect_status(&(struct request){"POST", url, bogus, NULL, 0, NULL, false}, 401, "unauthorized");
    expect_status(&(struct request){"POST", url, "short", NULL, 0, NULL, false}, 401,
                  "unauthorized");
    snprintf(url, sizeof(url), "%s/v1/episodes/%s-99/play", st->srv.base, st->series_id);
    expect_status(&(struct request){"POST", url, st->token, NULL, 0, NULL, false}, 404,
                  "not_found");
}

static void test_tampered_urls(void **state)
{
    struct suite *st = *state;
    char url[2048];
    char *p;

    assert_true(st->play_url[0]);
    /* Signature changed. */
    snprintf(url, sizeof(url), "%s", st->play_url);
    p = strstr(url, "&sig=") + 5;
    *p = *p == '0' ? '1' : '0';
    expect_status(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 403, "forbidden");
    /* Path changed: the same signature does not open the next episode. */
    snprintf(url, sizeof(url), "%s", st->play_url);
    p = strstr(url, "/01/master.m3u8");
    assert_non_null(p);
    p[2] = '2';
    expect_status(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 403, "forbidden");
    /* Expiry pushed out. */
    snprintf(url, sizeof(url), "%s", st->play_url);
    p = strstr(url, "?exp=") + 5;
    *p = *p == '9' ? '8' : (char)(*p + 1);
    expect_status(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 403, "forbidden");
    /* No signature at all. */
    snprintf(url, sizeof(url), "%s", st->play_url);
    *strchr(url, '?') = '\0';
    expect_status(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 403, "forbidden");
}

static void test_expired_url(void **state)
{
    struct suite *st = *state;
    static const char *const extra[] = {"--url-ttl", "-1", NULL};
    struct server expired;
    char url[512];
    char media[2048];
    cJSON *doc;
    cJSON *err;

    /* A second server on the same database (so the same secret and token) whose URLs are born
     * expired: exp = now - 1, which is in the past whenever it is checked. */
    assert_int_equal(server_start(&expired, st, extra), 0);
    snprintf(url, sizeof(url), "%s/v1/episodes/%s/play", expired.base, st->free_episode);
    doc = http_json(&(struct request){"POST", url, st->token, NULL, 0, NULL, false}, 200);
    snprintf(media, sizeof(media), "%s", json_str(doc, "play_url"));
    assert_true(json_num(doc, "expires_at") < (double)time(NULL));
    cJSON_Delete(doc);

    doc = http_json(&(struct request){"GET", media, NULL, NULL, 0, NULL, false}, 403);
    assert_error_doc(doc, "forbidden");
    err = cJSON_GetObjectItemCaseSensitive(doc, "error");
    assert_non_null(strstr(json_str(err, "message"), "expired"));
    cJSON_Delete(doc);
    assert_int_equal(server_stop(&expired), 0);
}

static void test_path_traversal(void **state)
{
    struct suite *st = *state;
    static const char *const paths[] = {
        "/media/../catalog.json?exp=99999999999&sig=00",
        "/media/%2e%2e/catalog.json?exp=99999999999&sig=00",
        "/media/a/../../../../etc/passwd",
        "/media//etc/passwd",
        "/media/a%5C..%5Ccatalog.json",
        "/images/../catalog.json",
        "/images/%2e%2e/%2e%2e/etc/passwd",
        "/images//etc/hostname.png",
        "/images/x/../../poster.png",
    };
    char url[512];
    struct response r;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        url_of(st, paths[i], url, sizeof(url));
        http(&(struct request){"GET", url, NULL, NULL, 0, NULL, true}, &r);
        if (r.status != 403 && r.status != 404)
            fail_msg("%s: status %ld, want 403 or 404", paths[i], r.status);
        response_free(&r);
    }
    /* /images serves pictures only, never playlists or the catalog. */
    snprintf(url, sizeof(url), "%s/images/%s/01/master.m3u8", st->srv.base, st->series_id);
    expect_status(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 404, "not_found");
    url_of(st, "/images/catalog.json", url, sizeof(url));
    expect_status(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 404, "not_found");
}

static void test_http_errors(void **state)
{
    struct suite *st = *state;
    char url[256];
    char *big;
    struct response r;

    url_of(st, "/v1/nope", url, sizeof(url));
    expect_status(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 404, "not_found");
    url_of(st, "/v1/home", url, sizeof(url));
    expect_status(&(struct request){"DELETE", url, NULL, NULL, 0, NULL, false}, 405,
                  "method_not_allowed");
    url_of(st, "/v1/device/register", url, sizeof(url));
    expect_status(&(struct request){"GET", url, NULL, NULL, 0, NULL, false}, 405,
                  "method_not_allowed");

    big = malloc(200 * 1024);
    assert_non_null(big);
    memset(big, ' ', 200 * 1024);
    http(&(struct request){"POST", url, NULL, big, 200 * 1024, NULL, false}, &r);
    assert_int_equal(r.status, 413);
    response_free(&r);
    free(big);
}

static void test_access_log(void **state)
{
    struct suite *st = *state;
    FILE *f;
    char line[2048];
    char want[512];

    /* One line per request, with the path... */
    snprintf(want, sizeof(want), "GET /media/%s/01/master.m3u8 200 ", st->series_id);
    assert_true(wait_for_log(st->log, want, 10));
    /* ...but never the query (signatures) or a token. */
    f = fopen(st->log, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, "sig=") || strstr(line, "exp=") || strstr(line, st->token))
            fail_msg("secret material in the access log: %s", line);
    }
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register),
        cmocka_unit_test(test_register_rejects_bad_bodies),
        cmocka_unit_test(test_home),
        cmocka_unit_test(test_series),
        cmocka_unit_test(test_play_free),
        cmocka_unit_test(test_play_locked),
        cmocka_unit_test(test_play_needs_token),
        cmocka_unit_test(test_tampered_urls),
        cmocka_unit_test(test_expired_url),
        cmocka_unit_test(test_path_traversal),
        cmocka_unit_test(test_http_errors),
        cmocka_unit_test(test_access_log),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
