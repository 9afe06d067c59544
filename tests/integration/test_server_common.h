#ifndef BINGE_TEST_SERVER_COMMON_H
#define BINGE_TEST_SERVER_COMMON_H

/* Helpers shared by the binge-server v1 tests (test_server_*.c): content, a real server process
 * on loopback, HTTP through libcurl, JSON and SQL checks.
 *
 * Threading: ts_http() and ts_http_parallel() may run on any thread (they never assert; they
 * record what happened in the response). Everything else is for the test's main thread and
 * fails the cmocka test on errors. curl_global_init() is the caller's job (ts_suite_init). */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

/* The content every v1 test uses: 3 series of 9 episodes, episodes 3+ encrypted. With
 * --free-episodes 2 each series has 7 locked episodes (21 in all). */
#define TS_CONTENT_DIR BINGE_BUILD_DIR "/fixtures/test_server_v1-content"
#define TS_CONTENT_ARGS                                                                            \
    "--series", "3", "--episodes", "9", "--duration", "3", "--sizes", "180x320", "--encrypt-from", \
        "3"
#define TS_SERVER_BIN BINGE_BUILD_DIR "/bin/binge-server"

struct ts_server {
    pid_t pid;
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
    char db[512];
    char log[512];
};

struct ts_response {
    long status;
    CURLcode curl_rc;
    char *body;
    size_t len;
    double seconds;
    char content_type[128];
    char etag[128];
    char retry_after[32];
    char content_language[32];
    char vary[128];
};

struct ts_request {
    const char *method;
    const char *url;
    const char *token;      /* bearer token or NULL */
    const char *body;       /* NULL: no body */
    const char *headers[6]; /* extra header lines, NULL-terminated */
    long timeout_ms;        /* 0: 30 s */
};

/* curl_global_init, the content (make-content, cached) and a fresh temporary directory whose
 * path goes to tmpdir. Returns 0 or -1. */
int ts_suite_init(char *tmpdir, size_t cap);

/* Removes the files a test server leaves in tmpdir and tmpdir itself; curl_global_cleanup. */
void ts_suite_cleanup(const char *tmpdir);

/* Starts binge-server on a free port with --db tmpdir/db_name, the v1 content, --free-episodes
 * 2, --auth-limit 0, logging to tmpdir/<db_name>.log, plus extra arguments (NULL-terminated, may be
 * NULL). Returns 0 or -1. */
int ts_server_start(struct ts_server *s, const char *tmpdir, const char *db_name,
                    const char *const *extra);

/* SIGTERM and wait; returns the exit status, or -1 if it had to be killed. */
int ts_server_stop(struct ts_server *s);

/* Performs one request; never asserts. */
void ts_http(const struct ts_request *rq, struct ts_response *r);

/* Performs n requests at once, one thread each, started together. */
void ts_http_parallel(const struct ts_request *rqs, struct ts_response *rs, size_t n);

void ts_response_free(struct ts_response *r);

/* Performs the request, checks the status and parses the JSON body (fails the test
 * otherwise). Transfer full. */
cJSON *ts_json(const struct ts_request *rq, long want_status);

/* The same with a response kept for header checks (free both). */
cJSON *ts_json_r(const struct ts_request *rq, long want_status, struct ts_response *r);

/* Member accessors that fail the test when the member is missing or of another type. */
const char *ts_str(const cJSON *obj, const char *key);
double ts_num(const cJSON *obj, const char *key);
bool ts_bool(const cJSON *obj, const char *key);
const cJSON *ts_obj(const cJSON *obj, const char *key);

/* {"error": {"code": code, "message": non-empty}} */
void ts_assert_error(const cJSON *doc, const char *code);

/* snprintf into a static ring of buffers: for URLs and headers inline. */
const char *ts_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Registers device_id and copies its token into token (65 bytes). */
void ts_register(const struct ts_server *s, const char *device_id, char *token);

/* Opens a checkout for pack_id as token's device and pays it on the checkout page. Returns the
 * session id (static buffer). */
const char *ts_buy(const struct ts_server *s, const char *token, const char *pack_id);

/* An X-Dev-Now header line for t. */
const char *ts_dev_now(long long t);

/* The start of today (UTC), in Unix seconds. */
long long ts_today(void);

/* Runs one SQL statement on the server's database and returns column 0 of the first row as an
 * integer (0 when there is no row). */
long long ts_sql_int(const struct ts_server *s, const char *sql);

/* Runs SQL that returns nothing. */
void ts_sql_exec(const struct ts_server *s, const char *sql);

/* The URL-signing secret the server keeps in <db>.secret (32 bytes). */
void ts_secret(const struct ts_server *s, unsigned char *out);

/* True once the server log holds needle (waits up to timeout_s). */
bool ts_log_has(const struct ts_server *s, const char *needle, int timeout_s);

/* Runs argv with a time limit; returns its exit code, or -1. */
int ts_run(char *const argv[], int timeout_s);

/* ---- raw HTTP over a socket, for what curl hides: the source address, partial requests,
 * slow reading and every response header. Never assert; any thread. ---- */

/* A TCP connection to 127.0.0.1:port from the local address src ("127.0.0.2"; NULL: any),
 * with SO_RCVBUF set to rcvbuf first when > 0. Returns the fd or -1. */
int ts_connect_from(const char *src, int port, int rcvbuf);

/* Sends request (raw text) on a new connection from src and reads until the server closes it or
 * timeout_s passes. Returns the response (headers and body, NUL-terminated, malloc'd) and its
 * status in *status, or NULL with *status 0 when the server closed without an answer. */
char *ts_raw_request(const char *src, int port, const char *request, int timeout_s, int *status);

/* True when the server has closed fd (end of stream or reset), waiting up to timeout_ms for it.
 * Bytes that arrive first are read and dropped. */
bool ts_closed_by_peer(int fd, int timeout_ms);

#endif
