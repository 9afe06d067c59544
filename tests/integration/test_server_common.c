/* Helpers of the binge-server v1 tests; see test_server_common.h. */

#include "test_server_common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "testutil.h"

#define MAKE_CONTENT BINGE_SOURCE_DIR "/scripts/make-content"

/* Bounds against hung children only; every bound here is scaled by BINGE_TEST_TIMEOUT_SCALE
 * (tu_scaled: slower under emulation). */
#define MAKE_CONTENT_TIMEOUT_S 600
#define SERVER_START_TIMEOUT_S 30

static int wait_child(pid_t pid, int timeout_s)
{
    struct timespec start;
    struct timespec now;
    const struct timespec tick = {0, 20 * 1000 * 1000};
    int status;

    timeout_s = tu_scaled(timeout_s);
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

int ts_run(char *const argv[], int timeout_s)
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
    return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ts_suite_init(char *tmpdir, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    char *make[] = {(char *)MAKE_CONTENT, "--out", (char *)TS_CONTENT_DIR, TS_CONTENT_ARGS, NULL};

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    snprintf(tmpdir, cap, "%s/binge-test-v1-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    mkdir(BINGE_BUILD_DIR "/fixtures", 0755);
    if (ts_run(make, MAKE_CONTENT_TIMEOUT_S) != 0) {
        fprintf(stderr, "%s failed\n", MAKE_CONTENT);
        return -1;
    }
    return 0;
}

void ts_suite_cleanup(const char *tmpdir)
{
    DIR *d = tmpdir && tmpdir[0] ? opendir(tmpdir) : NULL;
    struct dirent *e;
    char path[1024];

    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    if (d) {
        closedir(d);
        rmdir(tmpdir);
    }
    curl_global_cleanup();
}

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

int ts_server_start(struct ts_server *s, const char *tmpdir, const char *db_name,
                    const char *const *extra)
{
    const char *argv[40];
    size_t argc = 0;
    char line[256];
    size_t len = 0;
    int out[2];
    int log_fd;
    struct pollfd pfd;

    memset(s, 0, sizeof(*s));
    s->pid = -1;
    snprintf(s->db, sizeof(s->db), "%s/%s", tmpdir, db_name);
    snprintf(s->log, sizeof(s->log), "%s/%s.log", tmpdir, db_name);
    argv[argc++] = TS_SERVER_BIN;
    argv[argc++] = "--listen";
    argv[argc++] = "127.0.0.1:0";
    argv[argc++] = "--db";
    argv[argc++] = s->db;
    argv[argc++] = "--media";
    argv[argc++] = TS_CONTENT_DIR;
    argv[argc++] = "--free-episodes";
    argv[argc++] = "2";
    /* Many devices register from 127.0.0.1 here; the tests of the per-address limits turn it
     * back on (a later option wins). */
    argv[argc++] = "--auth-limit";
    argv[argc++] = "0";
    for (; extra && *extra && argc + 1 < sizeof(argv) / sizeof(argv[0]); extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    log_fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0 || pipe(out) != 0)
        return -1;
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(out[1], STDOUT_FILENO);
        dup2(log_fd, STDERR_FILENO);
        tu_execv(TS_SERVER_BIN, (char *const *)argv);
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
        fprintf(stderr, "no serving line from binge-server (got \"%s\")\n", line);
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = -1;
        dump_log(s->log);
        return -1;
    }
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
    return 0;
}

int ts_server_stop(struct ts_server *s)
{
    int status;

    if (s->pid <= 0)
        return 0;
    kill(s->pid, SIGTERM);
    status = wait_child(s->pid, 20);
    s->pid = -1;
    if (status < 0 || !WIFEXITED(status)) {
        dump_log(s->log);
        return -1;
    }
    return WEXITSTATUS(status);
}

/* ---- HTTP ---- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct ts_response *r = userdata;
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

static void header_value(const char *data, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    size_t v;

    if (n <= nl + 1 || strncasecmp(data, name, nl) != 0 || data[nl] != ':')
        return;
    data += nl + 1;
    n -= nl + 1;
    while (n > 0 && *data == ' ') {
        data++;
        n--;
    }
    v = n;
    while (v > 0 && (data[v - 1] == '\r' || data[v - 1] == '\n'))
        v--;
    snprintf(out, cap, "%.*s", (int)v, data);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct ts_response *r = userdata;
    size_t n = size * nmemb;

    header_value(data, n, "ETag", r->etag, sizeof(r->etag));
    header_value(data, n, "Retry-After", r->retry_after, sizeof(r->retry_after));
    header_value(data, n, "Content-Language", r->content_language, sizeof(r->content_language));
    header_value(data, n, "Vary", r->vary, sizeof(r->vary));
    return n;
}

void ts_http(const struct ts_request *rq, struct ts_response *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *headers = NULL;
    char auth[256];
    char *ct = NULL;

    memset(r, 0, sizeof(*r));
    if (!c) {
        r->curl_rc = CURLE_FAILED_INIT;
        return;
    }
    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     rq->timeout_ms > 0 ? rq->timeout_ms : tu_scaled(30) * 1000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(rq->method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (rq->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(rq->body));
        if (rq->body[0] == '{' || rq->body[0] == '[')
            headers = curl_slist_append(headers, "Content-Type: application/json");
    }
    if (rq->token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", rq->token);
        headers = curl_slist_append(headers, auth);
    }
    for (size_t i = 0; i < sizeof(rq->headers) / sizeof(rq->headers[0]) && rq->headers[i]; i++)
        headers = curl_slist_append(headers, rq->headers[i]);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    r->curl_rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r->content_type, sizeof(r->content_type), "%s", ct ? ct : "");
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
}

struct parallel_job {
    const struct ts_request *rq;
    struct ts_response *r;
    pthread_barrier_t *start;
};

static void *parallel_main(void *arg)
{
    struct parallel_job *job = arg;

    pthread_barrier_wait(job->start);
    ts_http(job->rq, job->r);
    return NULL;
}

void ts_http_parallel(const struct ts_request *rqs, struct ts_response *rs, size_t n)
{
    pthread_t *threads = calloc(n, sizeof(*threads));
    struct parallel_job *jobs = calloc(n, sizeof(*jobs));
    pthread_barrier_t start;

    assert_non_null(threads);
    assert_non_null(jobs);
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (size_t i = 0; i < n; i++) {
        jobs[i] = (struct parallel_job){&rqs[i], &rs[i], &start};
        assert_int_equal(pthread_create(&threads[i], NULL, parallel_main, &jobs[i]), 0);
    }
    for (size_t i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    free(jobs);
    free(threads);
}

void ts_response_free(struct ts_response *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

cJSON *ts_json_r(const struct ts_request *rq, long want_status, struct ts_response *r)
{
    cJSON *doc;

    ts_http(rq, r);
    if (r->curl_rc != CURLE_OK)
        fail_msg("%s %s: %s", rq->method, rq->url, curl_easy_strerror(r->curl_rc));
    if (r->status != want_status)
        fail_msg("%s %s: status %ld, want %ld; body: %s", rq->method, rq->url, r->status,
                 want_status, r->body ? r->body : "");
    if (strncmp(r->content_type, "application/json", 16) != 0)
        fail_msg("%s %s: content type \"%s\"", rq->method, rq->url, r->content_type);
    doc = cJSON_ParseWithLength(r->body ? r->body : "", r->len);
    if (!doc)
        fail_msg("%s %s: body is not JSON: %s", rq->method, rq->url, r->body ? r->body : "");
    return doc;
}

cJSON *ts_json(const struct ts_request *rq, long want_status)
{
    struct ts_response r;
    cJSON *doc = ts_json_r(rq, want_status, &r);

    ts_response_free(&r);
    return doc;
}

const char *ts_str(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsString(item))
        fail_msg("\"%s\" is not a string", key);
    return item->valuestring;
}

double ts_num(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsNumber(item))
        fail_msg("\"%s\" is not a number", key);
    return item->valuedouble;
}

bool ts_bool(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsBool(item))
        fail_msg("\"%s\" is not a boolean", key);
    return cJSON_IsTrue(item);
}

const cJSON *ts_obj(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!cJSON_IsObject(item))
        fail_msg("\"%s\" is not an object", key);
    return item;
}

void ts_assert_error(const cJSON *doc, const char *code)
{
    const cJSON *err = ts_obj(doc, "error");

    assert_string_equal(ts_str(err, "code"), code);
    assert_true(strlen(ts_str(err, "message")) > 0);
}

const char *ts_fmt(const char *fmt, ...)
{
    static char bufs[16][2048];
    static unsigned next;
    char *b = bufs[next++ % 16];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(b, sizeof(bufs[0]), fmt, ap);
    va_end(ap);
    return b;
}

void ts_register(const struct ts_server *s, const char *device_id, char *token)
{
    cJSON *doc = ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/device/register", s->base),
                                              .token = NULL,
                                              .body = ts_fmt("{\"device_id\":\"%s\"}", device_id)},
                         200);

    snprintf(token, 65, "%s", ts_str(doc, "token"));
    assert_int_equal(strlen(token), 64);
    cJSON_Delete(doc);
}

const char *ts_buy(const struct ts_server *s, const char *token, const char *pack_id)
{
    static char id[64];
    struct ts_response r;
    cJSON *doc = ts_json(&(struct ts_request){.method = "POST",
                                              .url = ts_fmt("%s/v1/purchase/session", s->base),
                                              .token = token,
                                              .body = ts_fmt("{\"pack_id\":\"%s\"}", pack_id)},
                         200);

    snprintf(id, sizeof(id), "%s", ts_str(doc, "id"));
    cJSON_Delete(doc);
    ts_http(
        &(struct ts_request){.method = "POST", .url = ts_fmt("%s/checkout/%s/pay", s->base, id)},
        &r);
    assert_int_equal(r.curl_rc, CURLE_OK);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    return id;
}

const char *ts_dev_now(long long t)
{
    return ts_fmt("X-Dev-Now: %lld", t);
}

long long ts_today(void)
{
    long long now = (long long)time(NULL);
    return now - now % 86400;
}

static sqlite3 *open_db(const struct ts_server *s)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(s->db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        fail_msg("cannot open %s", s->db);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

long long ts_sql_int(const struct ts_server *s, const char *sql)
{
    sqlite3 *db = open_db(s);
    sqlite3_stmt *st = NULL;
    long long v = 0;
    int step;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("SQL %s: %s", sql, sqlite3_errmsg(db));
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else if (step != SQLITE_DONE)
        fail_msg("SQL %s: %s", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

void ts_sql_exec(const struct ts_server *s, const char *sql)
{
    sqlite3 *db = open_db(s);
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("SQL %s: %s", sql, msg ? msg : "?");
    sqlite3_free(msg);
    sqlite3_close(db);
}

void ts_secret(const struct ts_server *s, unsigned char *out)
{
    char path[600];
    char hex[80] = "";
    FILE *f;

    snprintf(path, sizeof(path), "%s.secret", s->db);
    f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    if (!fgets(hex, sizeof(hex), f))
        hex[0] = '\0';
    fclose(f);
    assert_true(strlen(hex) >= 64);
    for (int i = 0; i < 32; i++) {
        unsigned int v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
}

bool ts_log_has(const struct ts_server *s, const char *needle, int timeout_s)
{
    const struct timespec tick = {0, 20 * 1000 * 1000};
    struct timespec start;
    struct timespec now;

    timeout_s = tu_scaled(timeout_s);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        FILE *f = fopen(s->log, "r");
        char line[2048];
        bool found = false;
        while (f && !found && fgets(line, sizeof(line), f))
            found = strstr(line, needle) != NULL;
        if (f)
            fclose(f);
        if (found)
            return true;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= timeout_s)
            return false;
        nanosleep(&tick, NULL);
    }
}

/* ---- raw HTTP ---- */

/* Bounds the connect against a server that never accepts. */
#define RAW_CONNECT_TIMEOUT_MS 10000

int ts_connect_from(const char *src, int port, int rcvbuf)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct sockaddr_in from = {.sin_family = AF_INET};
    struct pollfd pfd;
    int err = 0;
    socklen_t len = sizeof(err);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int flags;

    if (fd < 0)
        return -1;
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (src && (inet_pton(AF_INET, src, &from.sin_addr) != 1 ||
                bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0))
        goto fail;
    if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
        if (poll(&pfd, 1, tu_scaled(RAW_CONNECT_TIMEOUT_MS)) != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
            goto fail;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        goto fail;
    return fd;

fail:
    close(fd);
    return -1;
}

char *ts_raw_request(const char *src, int port, const char *request, int timeout_s, int *status)
{
    int fd = ts_connect_from(src, port, 0);
    struct timespec start;
    struct timespec now;
    char *text = NULL;
    size_t len = 0;
    size_t n = strlen(request);

    *status = 0;
    if (fd < 0)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (send(fd, request, n, MSG_NOSIGNAL) != (ssize_t)n)
        goto out;
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        char buf[16384];
        ssize_t got;
        char *p;
        long left;

        clock_gettime(CLOCK_MONOTONIC, &now);
        left = (long)tu_scaled(timeout_s) * 1000 -
               ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
            break;
        got = recv(fd, buf, sizeof(buf), 0);
        if (got <= 0)
            break;
        p = realloc(text, len + (size_t)got + 1);
        if (!p)
            break;
        text = p;
        memcpy(text + len, buf, (size_t)got);
        len += (size_t)got;
        text[len] = '\0';
    }
out:
    close(fd);
    if (text && sscanf(text, "HTTP/1.%*d %d", status) != 1)
        *status = 0;
    if (text && *status == 0) {
        free(text);
        text = NULL;
    }
    return text;
}

bool ts_closed_by_peer(int fd, int timeout_ms)
{
    struct timespec start;
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        char buf[4096];
        long left;
        ssize_t got;

        clock_gettime(CLOCK_MONOTONIC, &now);
        left = (long)tu_scaled(timeout_ms) -
               ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        if (poll(&pfd, 1, left > 0 ? (int)left : 0) != 1)
            return false;
        if (pfd.revents & (POLLHUP | POLLERR))
            return true;
        got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
            return true;
    }
}
