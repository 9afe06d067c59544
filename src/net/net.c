#include "binge/net.h"

#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

LOG_MODULE("net");

#define NET_DEFAULT_CONNECT_MS 3000L
#define NET_DEFAULT_TOTAL_MS 10000L
#define NET_DEFAULT_MAX_BODY ((size_t)4 * 1024 * 1024)
/* A UI that queues more than this is looping; refusing keeps memory and sockets bounded. */
#define NET_MAX_PENDING 256
/* Easy handles kept for reuse; they keep their DNS cache and TLS session ids warm. */
#define NET_POOL_MAX 4
#define NET_MAX_REDIRS 3L
#define NET_DEFAULT_RETRIES 3
#define NET_MAX_RETRIES 20
#define NET_DEFAULT_RETRY_BASE_MS 500L
#define NET_DEFAULT_RETRY_MAX_MS 30000L
/* Captured response headers longer than this are dropped: an ETag is a hash, a Content-Type a
 * short token; anything longer is a broken or hostile server. */
#define NET_HEADER_VALUE_MAX 256
/* Extra request header lines and If-None-Match values. */
#define NET_REQUEST_HEADER_MAX 1024
/* The net thread wakes at least this often even when idle. */
#define NET_IDLE_POLL_MS 1000

/* One request from net_request() until its response is queued or it is cancelled. */
struct net_job {
    struct net_job *next;
    uint64_t id;
    int kind;
    void *userdata;
    enum net_method method;
    char *url;
    char *bearer;
    char *body;
    char *where;   /* "host:port" for messages; never the path, which may carry signatures */
    char *log_url; /* scheme://host/path without the query, for the log */
    size_t max_body;
    int64_t start_ms;
    bool retryable; /* GET, or a POST the caller marked idempotent */
    int max_retries;
    bool auth; /* session bearer when bearer is NULL */
    char *if_none_match;
    struct curl_slist *extra; /* the caller's header lines, validated */
    int attempts;
    int64_t due_ms;      /* while waiting for a retry */
    uint64_t bearer_gen; /* of the session bearer the current attempt sent */

    /* Per attempt. */
    CURL *easy;
    struct curl_slist *headers;
    char *buf;
    size_t len, cap;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
    char *etag, *content_type, *retry_after; /* of the latest response in the attempt */
};

struct net {
    /* Fixed after net_new. */
    char *user_agent;
    char *device_id;
    char *language;
    long connect_timeout_ms;
    long total_timeout_ms;
    size_t max_body;
    int max_retries;
    long retry_base_ms;
    long retry_max_ms;
    void (*notify)(void *data);
    void *notify_data;
    CURLM *multi;
    pthread_t thread;

    /* Protected by lock. */
    pthread_mutex_t lock;
    bool quit;
    uint64_t next_id;
    size_t n_pending; /* submitted and not yet queued as a response nor dropped */
    struct net_job *submit_head, *submit_tail;
    uint64_t *cancels;
    size_t n_cancels, cap_cancels;
    struct net_response_node *done_head, *done_tail;
    char *session_bearer;
    uint64_t bearer_gen;

    /* Net thread only. */
    struct net_job *active;
    struct net_job *waiting; /* backing off before a retry */
    CURL *pool[NET_POOL_MAX];
    size_t n_pool;
    uint64_t rng; /* jitter; xorshift64 state, never 0 */
};

struct net_response_node {
    struct net_response_node *next;
    struct net_response *resp;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Tokens should not outlive their use in freed heap memory. */
static void free_secret(char *s)
{
    if (!s)
        return;
    memset(s, 0, strlen(s));
    free(s);
}

static void free_header_list(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next) {
        if (l->data)
            memset(l->data, 0, strlen(l->data));
    }
    curl_slist_free_all(list);
}

static void job_clear_headers(struct net_job *job)
{
    free(job->etag);
    free(job->content_type);
    free(job->retry_after);
    job->etag = job->content_type = job->retry_after = NULL;
}

static void job_free(struct net_job *job)
{
    if (!job)
        return;
    free(job->url);
    free_secret(job->bearer);
    free(job->body);
    free(job->where);
    free(job->log_url);
    free(job->if_none_match);
    curl_slist_free_all(job->extra);
    free(job->buf);
    free_header_list(job->headers);
    job_clear_headers(job);
    free(job);
}

static bool has_crlf(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

/* Net thread: returns an easy handle from the pool or a new one. */
static CURL *easy_get(struct net *net)
{
    if (net->n_pool > 0)
        return net->pool[--net->n_pool];
    return curl_easy_init();
}

static void easy_put(struct net *net, CURL *easy)
{
    if (!easy)
        return;
    if (net->n_pool < NET_POOL_MAX) {
        curl_easy_reset(easy);
        net->pool[net->n_pool++] = easy;
    } else {
        curl_easy_cleanup(easy);
    }
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct net_job *job = userdata;
    size_t n = size * nmemb;
    if (n > job->max_body - job->len) {
        job->too_big = true;
        return 0; /* makes curl fail the transfer with CURLE_WRITE_ERROR */
    }
    if (job->len + n + 1 > job->cap) {
        size_t ncap = job->cap ? job->cap : 4096;
        while (ncap < job->len + n + 1)
            ncap *= 2;
        char *nbuf = realloc(job->buf, ncap);
        if (!nbuf)
            return 0;
        job->buf = nbuf;
        job->cap = ncap;
    }
    memcpy(job->buf + job->len, ptr, n);
    job->len += n;
    job->buf[job->len] = '\0';
    return n;
}

/* If line is "name: value" (any case, optional blanks), returns a copy of the value without
 * its blanks and line end in *out (replacing the old one); an over-long value clears *out. */
static void capture_header(const char *line, size_t n, const char *name, char **out)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    free(*out);
    *out = NULL;
    size_t len = (size_t)(end - v);
    if (len == 0 || len > NET_HEADER_VALUE_MAX)
        return;
    *out = malloc(len + 1);
    if (*out) { /* out of memory only loses the header */
        memcpy(*out, v, len);
        (*out)[len] = '\0';
    }
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *userdata)
{
    struct net_job *job = userdata;
    size_t n = size * nitems;
    /* A status line starts a new response (a redirect, a 100 Continue): only the headers of
     * the final one describe the body. */
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        job_clear_headers(job);
        return n;
    }
    capture_header(ptr, n, "ETag", &job->etag);
    capture_header(ptr, n, "Content-Type", &job->content_type);
    capture_header(ptr, n, "Retry-After", &job->retry_after);
    return n;
}

/* Retry-After is delta-seconds or an HTTP date. Returns seconds from now, or -1. */
static long parse_retry_after(const char *v)
{
    if (!v)
        return -1;
    if (*v >= '0' && *v <= '9') {
        long s = 0;
        for (; *v >= '0' && *v <= '9'; v++)
            s = s < 100000000L ? s * 10 + (*v - '0') : s; /* saturates near 30 years */
        return *v == '\0' ? s : -1;
    }
    time_t t = curl_getdate(v, NULL);
    if (t == (time_t)-1)
        return -1;
    time_t now = time(NULL);
    return t > now ? (long)(t - now) : 0;
}

/* Whether name (up to its ':') is one of names, case-insensitive. */
static bool header_is(const char *line, const char *const *names)
{
    const char *colon = strchr(line, ':');
    size_t n = colon ? (size_t)(colon - line) : strlen(line);
    for (; *names; names++) {
        if (strlen(*names) == n && strncasecmp(line, *names, n) == 0)
            return true;
    }
    return false;
}

/* Whether the caller's extra headers override net's default header name. */
static bool overridden(const struct net_job *job, const char *name)
{
    const char *names[] = {name, NULL};
    for (const struct curl_slist *l = job->extra; l; l = l->next) {
        if (header_is(l->data, names))
            return true;
    }
    return false;
}

/* value NULL appends name as is ("Expect:" removes a header curl would add). */
static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    char *line = value ? util_asprintf("%s: %s", name, value) : util_strdup(name);
    if (!line)
        return BINGE_ENOMEM;
    struct curl_slist *l = curl_slist_append(*list, line);
    free(line);
    if (!l)
        return BINGE_ENOMEM;
    *list = l;
    return 0;
}

/* Net thread: builds this attempt's header list. The session bearer is read now, so an attempt
 * after a backoff sends the newest token. */
static int job_headers(struct net *net, struct net_job *job)
{
    int rc = 0;
    char *session = NULL, *language = NULL;

    free_header_list(job->headers);
    job->headers = NULL;
    job->bearer_gen = 0;
    const char *bearer = job->bearer;
    if (!bearer && job->auth) {
        pthread_mutex_lock(&net->lock);
        if (net->session_bearer) {
            session = util_strdup(net->session_bearer);
            job->bearer_gen = net->bearer_gen;
        }
        pthread_mutex_unlock(&net->lock);
        bearer = session;
    }
    /* The language too may change while requests wait (net_set_language). */
    pthread_mutex_lock(&net->lock);
    language = util_strdup(net->language);
    pthread_mutex_unlock(&net->lock);
    if ((!overridden(job, "Accept") &&
         (rc = add_header(&job->headers, "Accept", "application/json"))) ||
        (net->device_id && !overridden(job, "X-Device-Id") &&
         (rc = add_header(&job->headers, "X-Device-Id", net->device_id))) ||
        (language && !overridden(job, "Accept-Language") &&
         (rc = add_header(&job->headers, "Accept-Language", language))) ||
        (job->if_none_match &&
         (rc = add_header(&job->headers, "If-None-Match", job->if_none_match))))
        goto out;
    for (const struct curl_slist *l = job->extra; l; l = l->next) {
        if ((rc = add_header(&job->headers, l->data, NULL)))
            goto out;
    }
    if (bearer) {
        char *auth = util_asprintf("Bearer %s", bearer);
        rc = auth ? add_header(&job->headers, "Authorization", auth) : BINGE_ENOMEM;
        free_secret(auth);
        if (rc)
            goto out;
    }
    if (job->method == NET_POST || job->method == NET_PUT) {
        if ((rc = add_header(&job->headers, "Content-Type", "application/json; charset=utf-8")) ||
            /* An empty Expect stops curl from waiting for "100 Continue" on larger bodies. */
            (rc = add_header(&job->headers, "Expect:", NULL)))
            goto out;
    }
out:
    free_secret(session);
    free(language);
    return rc;
}

/* Net thread: configures the job's easy handle for one attempt. Every option here is per
 * attempt because the handle comes back reset from the pool. */
static int job_setup(struct net *net, struct net_job *job)
{
    CURL *e = job->easy;
    int rc;

    if ((rc = job_headers(net, job)))
        return rc;
    const char *ua = net->user_agent;
    for (const struct curl_slist *l = job->extra; l; l = l->next) {
        static const char *const ua_names[] = {"User-Agent", NULL};
        if (header_is(l->data, ua_names))
            ua = NULL; /* the extra line replaces curl's own */
    }

    CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (c == CURLE_OK)                                                                         \
            c = curl_easy_setopt(e, opt, val);                                                     \
    } while (0)
    SET(CURLOPT_URL, job->url);
    SET(CURLOPT_PRIVATE, (void *)job);
    SET(CURLOPT_ERRORBUFFER, job->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, NET_MAX_REDIRS);
    SET(CURLOPT_CONNECTTIMEOUT_MS, net->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, net->total_timeout_ms);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (ua)
        SET(CURLOPT_USERAGENT, ua);
    SET(CURLOPT_HTTPHEADER, job->headers);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, (void *)job);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)job);
    /* Refuses early when Content-Length already says too much; on_write catches the rest
     * (chunked bodies, decompression). */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)job->max_body);
    if (job->method == NET_POST || job->method == NET_PUT) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDS, job->body ? job->body : "");
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(job->body ? strlen(job->body) : 0));
        if (job->method == NET_PUT)
            SET(CURLOPT_CUSTOMREQUEST, "PUT");
    } else if (job->method == NET_DELETE) {
        SET(CURLOPT_HTTPGET, 1L);
        SET(CURLOPT_CUSTOMREQUEST, "DELETE");
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
#undef SET
    if (c != CURLE_OK) {
        log_error("curl setup failed: %s", curl_easy_strerror(c));
        return BINGE_ENOMEM;
    }
    return 0;
}

static void set_message(struct net_response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Long host names or curl details are cut to fit the fixed message buffer. */
static void set_message(struct net_response *resp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(resp->message, sizeof(resp->message), fmt, ap);
    va_end(ap);
}

/* Fills resp->error and resp->message from a finished transfer. */
static void map_result(struct net_job *job, CURLcode code, struct net_response *resp)
{
    const char *detail = job->errbuf[0] ? job->errbuf : curl_easy_strerror(code);
    long os_errno = 0;
    char sys[128] = "";

    switch (code) {
    case CURLE_OK:
        resp->error = 0;
        return;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (job->too_big || code == CURLE_FILESIZE_EXCEEDED) {
            resp->error = BINGE_ETOOBIG;
            set_message(resp, "response larger than %zu bytes", job->max_body);
        } else {
            resp->error = BINGE_ENOMEM;
            set_message(resp, "out of memory reading the response");
        }
        return;
    case CURLE_OPERATION_TIMEDOUT:
        resp->error = BINGE_ETIMEDOUT;
        set_message(resp, "%s: %s", job->where, detail);
        return;
    case CURLE_COULDNT_CONNECT:
        resp->error = BINGE_ENET;
        curl_easy_getinfo(job->easy, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno != 0 && strerror_r((int)os_errno, sys, sizeof(sys)) == 0)
            detail = sys;
        set_message(resp, "can't connect to %s: %s", job->where, detail);
        return;
    case CURLE_COULDNT_RESOLVE_HOST:
        resp->error = BINGE_ENET;
        set_message(resp, "can't resolve %s: %s", job->where, detail);
        return;
    case CURLE_GOT_NOTHING:
        resp->error = BINGE_ENET;
        set_message(resp, "empty reply from %s", job->where);
        return;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        resp->error = BINGE_ENET;
        set_message(resp, "connection to %s failed: %s", job->where, detail);
        return;
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* net_request only takes http(s), so this is a redirect to something else. */
        resp->error = BINGE_ENET;
        set_message(resp, "%s: refused a redirect to a non-http(s) URL", job->where);
        return;
    case CURLE_OUT_OF_MEMORY:
        resp->error = BINGE_ENOMEM;
        set_message(resp, "out of memory");
        return;
    default:
        /* TLS failures, refused redirects, protocol errors: the peer was not usable. */
        resp->error = BINGE_ENET;
        set_message(resp, "%s: %s", job->where, detail);
        return;
    }
}

/* Net thread: queues resp unless its request was cancelled meanwhile. Takes ownership. */
static void deliver(struct net *net, struct net_response *resp)
{
    struct net_response_node *node = malloc(sizeof(*node));
    bool dropped = false;

    pthread_mutex_lock(&net->lock);
    for (size_t i = 0; i < net->n_cancels; i++) {
        if (net->cancels[i] == resp->id) {
            net->cancels[i] = net->cancels[--net->n_cancels];
            dropped = true;
            break;
        }
    }
    net->n_pending--;
    if (!dropped && node) {
        node->next = NULL;
        node->resp = resp;
        if (net->done_tail)
            net->done_tail->next = node;
        else
            net->done_head = node;
        net->done_tail = node;
    }
    pthread_mutex_unlock(&net->lock);

    if (dropped || !node) {
        if (!node)
            log_error("out of memory; dropping the response to request %llu",
                      (unsigned long long)resp->id);
        free(node);
        net_response_free(resp);
        return;
    }
    net->notify(net->notify_data);
}

static const char *method_name(const struct net_job *job)
{
    static const char *const names[] = {"GET", "POST", "PUT", "DELETE"};
    return names[job->method];
}

/* Net thread: returns the attempt's easy handle to the pool. */
static void attempt_end(struct net *net, struct net_job *job)
{
    if (job->easy) {
        curl_multi_remove_handle(net->multi, job->easy);
        easy_put(net, job->easy);
        job->easy = NULL;
    }
}

/* Net thread: turns a finished (or failed to start) job into a response and frees the job. */
static void job_finish(struct net *net, struct net_job *job, CURLcode code, int setup_error)
{
    struct net_response *resp = calloc(1, sizeof(*resp));
    if (!resp) {
        log_error("out of memory; dropping the response to request %llu",
                  (unsigned long long)job->id);
        pthread_mutex_lock(&net->lock);
        net->n_pending--;
        pthread_mutex_unlock(&net->lock);
        goto out;
    }
    resp->id = job->id;
    resp->kind = job->kind;
    resp->userdata = job->userdata;
    resp->elapsed_ms = util_now_ms() - job->start_ms;
    resp->attempts = job->attempts;
    resp->retry_after_s = -1;

    if (setup_error) {
        resp->error = setup_error;
        set_message(resp, "cannot start the request: %s", binge_strerror(setup_error));
    } else {
        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &resp->status);
        map_result(job, code, resp);
        resp->retry_after_s = parse_retry_after(job->retry_after);
        resp->bearer_gen = job->bearer_gen;
        resp->etag = job->etag;
        resp->content_type = job->content_type;
        job->etag = job->content_type = NULL;
    }

    /* A failed transfer's partial body is noise; a finished one is handed over as is. */
    if (resp->error == 0 && job->buf) {
        resp->body = job->buf;
        resp->len = job->len;
        job->buf = NULL;
    } else {
        resp->body = calloc(1, 1);
        resp->len = 0;
    }
    if (!resp->body) {
        resp->error = BINGE_ENOMEM;
        set_message(resp, "out of memory");
        resp->body = NULL;
    }

    if (resp->error)
        log_info("%s %s: %s (%d attempt%s, %lld ms)", method_name(job), job->log_url, resp->message,
                 resp->attempts, resp->attempts == 1 ? "" : "s", (long long)resp->elapsed_ms);
    else
        log_debug("%s %s -> %ld, %zu bytes (%d attempt%s, %lld ms)", method_name(job), job->log_url,
                  resp->status, resp->len, resp->attempts, resp->attempts == 1 ? "" : "s",
                  (long long)resp->elapsed_ms);
    deliver(net, resp);

out:
    attempt_end(net, job);
    job_free(job);
}

static void active_remove(struct net *net, struct net_job *job)
{
    for (struct net_job **p = &net->active; *p; p = &(*p)->next) {
        if (*p == job) {
            *p = job->next;
            job->next = NULL;
            return;
        }
    }
}

/* Net thread: starts one attempt of job; on failure the job is finished with the error. */
static void attempt_start(struct net *net, struct net_job *job)
{
    int rc = 0;

    job->attempts++;
    job->len = 0;
    job->too_big = false;
    job->errbuf[0] = '\0';
    job_clear_headers(job);
    job->easy = easy_get(net);
    if (!job->easy)
        rc = BINGE_ENOMEM;
    if (rc == 0)
        rc = job_setup(net, job);
    if (rc == 0 && curl_multi_add_handle(net->multi, job->easy) != CURLM_OK)
        rc = BINGE_ENOMEM;
    if (rc != 0) {
        job_finish(net, job, CURLE_OK, rc);
        return;
    }
    job->next = net->active;
    net->active = job;
}

/* Net thread: starts the jobs taken from the submit queue. */
static void start_jobs(struct net *net, struct net_job *list)
{
    while (list) {
        struct net_job *job = list;
        list = job->next;
        job->next = NULL;
        attempt_start(net, job);
    }
}

/* Net thread: unlinks and frees the job with this id from list; true when found. */
static bool drop_from(struct net *net, struct net_job **list, uint64_t id)
{
    for (struct net_job **p = list; *p; p = &(*p)->next) {
        struct net_job *job = *p;
        if (job->id != id)
            continue;
        *p = job->next;
        attempt_end(net, job);
        job_free(job);
        pthread_mutex_lock(&net->lock);
        net->n_pending--;
        pthread_mutex_unlock(&net->lock);
        return true;
    }
    return false;
}

/* Net thread: aborts the transfers and the retry waits whose ids were cancelled. */
static void cancel_jobs(struct net *net, uint64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!drop_from(net, &net->active, ids[i]))
            drop_from(net, &net->waiting, ids[i]);
    }
}

static bool job_known(const struct net *net, uint64_t id)
{
    for (const struct net_job *job = net->active; job; job = job->next) {
        if (job->id == id)
            return true;
    }
    for (const struct net_job *job = net->waiting; job; job = job->next) {
        if (job->id == id)
            return true;
    }
    return false;
}

/* Transport failures worth another try: the request may never have reached the server, or
 * the answer was lost on the way. TLS verification failures, refused redirects and size caps
 * are not: they would fail the same way again. */
static bool transient_code(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/* 501 and 505 say the server will never do it; every other 5xx, 408 and 429 may pass. */
static bool transient_status(long status)
{
    return status == 408 || status == 429 ||
           (status >= 500 && status <= 599 && status != 501 && status != 505);
}

/* A uniform double in [0, 1) from the net thread's xorshift64 state. */
static double jitter_unit(struct net *net)
{
    uint64_t x = net->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    net->rng = x;
    return (double)(x >> 11) / 9007199254740992.0;
}

/* Net thread: the wait before retry number `retry` (1-based), or -1 when the server asked for
 * longer than we are willing to wait. */
static int64_t retry_delay(struct net *net, int retry, long retry_after_s)
{
    double d = (double)net->retry_base_ms;
    for (int i = 1; i < retry && d < (double)net->retry_max_ms; i++)
        d *= 2;
    /* +-20% spreads the retries of many boxes that lost the server at the same moment. */
    d *= 0.8 + 0.4 * jitter_unit(net);
    if (d > (double)net->retry_max_ms)
        d = (double)net->retry_max_ms;
    int64_t delay = (int64_t)d;
    if (retry_after_s >= 0) {
        if (retry_after_s > net->retry_max_ms / 1000)
            return -1;
        int64_t ra = (int64_t)retry_after_s * 1000;
        if (ra > delay)
            delay = ra;
    }
    return delay;
}

/* Net thread: a finished attempt either ends the job or puts it in the waiting list for the
 * next attempt. */
static void attempt_done(struct net *net, struct net_job *job, CURLcode code)
{
    long status = 0;
    if (code == CURLE_OK)
        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
    bool transient = code == CURLE_OK ? transient_status(status) : transient_code(code);
    if (!job->retryable || !transient || job->attempts > job->max_retries) {
        job_finish(net, job, code, 0);
        return;
    }
    long retry_after_s = parse_retry_after(job->retry_after);
    int64_t delay = retry_delay(net, job->attempts, retry_after_s);
    if (delay < 0) {
        log_info("%s %s: %ld, Retry-After %ld s is beyond the %ld ms cap; not retrying",
                 method_name(job), job->log_url, status, retry_after_s, net->retry_max_ms);
        job_finish(net, job, code, 0);
        return;
    }
    char what[96];
    if (code == CURLE_OK)
        snprintf(what, sizeof(what), "HTTP %ld", status);
    else
        snprintf(what, sizeof(what), "%s", curl_easy_strerror(code));
    log_info("%s %s: %s; retry %d/%d in %lld ms", method_name(job), job->log_url, what,
             job->attempts, job->max_retries, (long long)delay);
    attempt_end(net, job);
    free_header_list(job->headers);
    job->headers = NULL;
    job->due_ms = util_now_ms() + delay;
    job->next = net->waiting;
    net->waiting = job;
}

/* Net thread: starts the retries whose wait is over; returns the ms until the next one is due
 * (NET_IDLE_POLL_MS at most). */
static int start_due(struct net *net)
{
    int64_t now = util_now_ms();
    int64_t next = now + NET_IDLE_POLL_MS;
    struct net_job *due = NULL;

    for (struct net_job **p = &net->waiting; *p;) {
        struct net_job *job = *p;
        if (job->due_ms <= now) {
            *p = job->next;
            job->next = due;
            due = job;
        } else {
            if (job->due_ms < next)
                next = job->due_ms;
            p = &job->next;
        }
    }
    start_jobs(net, due);
    int64_t wait = next - now;
    return wait < 0 ? 0 : (int)wait;
}

static void *net_thread(void *arg)
{
    struct net *net = arg;

    for (;;) {
        pthread_mutex_lock(&net->lock);
        bool quit = net->quit;
        struct net_job *submitted = net->submit_head;
        net->submit_head = net->submit_tail = NULL;
        /* Cancelled ids stay in the list so a response finishing later is still dropped in
         * deliver(); ids found active or waiting are dropped here. */
        size_t n_cancels = net->n_cancels;
        uint64_t *cancels = NULL;
        if (n_cancels > 0) {
            cancels = malloc(n_cancels * sizeof(*cancels));
            if (cancels)
                memcpy(cancels, net->cancels, n_cancels * sizeof(*cancels));
        }
        pthread_mutex_unlock(&net->lock);

        if (quit) {
            /* Never started: put them back for net_free to release. */
            pthread_mutex_lock(&net->lock);
            net->submit_head = submitted;
            pthread_mutex_unlock(&net->lock);
            free(cancels);
            break;
        }
        start_jobs(net, submitted);
        if (cancels) {
            cancel_jobs(net, cancels, n_cancels);
            /* Only ids that can still finish later need to stay remembered. */
            pthread_mutex_lock(&net->lock);
            for (size_t i = 0; i < net->n_cancels;) {
                if (!job_known(net, net->cancels[i]))
                    net->cancels[i] = net->cancels[--net->n_cancels];
                else
                    i++;
            }
            pthread_mutex_unlock(&net->lock);
            free(cancels);
        }
        int wait_ms = start_due(net);

        int running = 0;
        CURLMcode mc = curl_multi_perform(net->multi, &running);
        if (mc != CURLM_OK)
            log_error("curl_multi_perform: %s", curl_multi_strerror(mc));

        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(net->multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *easy = msg->easy_handle;
            CURLcode code = msg->data.result;
            struct net_job *job = NULL;
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&job);
            if (!job)
                continue;
            active_remove(net, job);
            attempt_done(net, job, code);
        }
        /* A retry scheduled just now may be due sooner than the wait computed above. */
        for (const struct net_job *job = net->waiting; job; job = job->next) {
            int64_t in = job->due_ms - util_now_ms();
            if (in < wait_ms)
                wait_ms = in < 0 ? 0 : (int)in;
        }

        /* Wakes for socket activity, curl's own timers, the next retry, or curl_multi_wakeup()
         * from the UI thread. */
        mc = curl_multi_poll(net->multi, NULL, 0, wait_ms, NULL);
        if (mc != CURLM_OK)
            log_error("curl_multi_poll: %s", curl_multi_strerror(mc));
    }

    while (net->active) {
        struct net_job *job = net->active;
        net->active = job->next;
        attempt_end(net, job);
        job_free(job);
    }
    while (net->waiting) {
        struct net_job *job = net->waiting;
        net->waiting = job->next;
        job_free(job);
    }
    return NULL;
}

struct net *net_new(const struct net_config *cfg, void (*notify)(void *data), void *data)
{
    struct net *net = NULL;
    bool lock_init = false;

    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK) {
        log_error("curl_global_init failed: %s", curl_easy_strerror(curl_init_rc));
        return NULL;
    }
    if (!cfg || !notify) {
        log_error("net_new: missing config or notify callback");
        return NULL;
    }
    if (has_crlf(cfg->user_agent) || has_crlf(cfg->device_id) || has_crlf(cfg->language)) {
        log_error("net_new: line breaks in user agent, device id or language");
        return NULL;
    }

    net = calloc(1, sizeof(*net));
    if (!net)
        goto fail;
    net->user_agent = util_strdup(cfg->user_agent ? cfg->user_agent : "binge/" BINGE_VERSION);
    net->device_id = util_strdup(cfg->device_id);
    net->language = util_strdup(cfg->language);
    if (!net->user_agent || (cfg->device_id && !net->device_id) ||
        (cfg->language && !net->language))
        goto fail;
    net->connect_timeout_ms =
        cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : NET_DEFAULT_CONNECT_MS;
    net->total_timeout_ms =
        cfg->total_timeout_ms > 0 ? cfg->total_timeout_ms : NET_DEFAULT_TOTAL_MS;
    net->max_body = cfg->max_body > 0 ? cfg->max_body : NET_DEFAULT_MAX_BODY;
    net->max_retries = cfg->max_retries > 0    ? cfg->max_retries
                       : cfg->max_retries == 0 ? NET_DEFAULT_RETRIES
                                               : 0;
    if (net->max_retries > NET_MAX_RETRIES)
        net->max_retries = NET_MAX_RETRIES;
    net->retry_base_ms = cfg->retry_base_ms > 0 ? cfg->retry_base_ms : NET_DEFAULT_RETRY_BASE_MS;
    net->retry_max_ms =
        cfg->retry_max_delay_ms > 0 ? cfg->retry_max_delay_ms : NET_DEFAULT_RETRY_MAX_MS;
    net->rng = (uint64_t)util_now_us() ^ ((uint64_t)(uintptr_t)net << 16) ^ 0x9e3779b97f4a7c15ULL;
    if (net->rng == 0)
        net->rng = 1;
    net->notify = notify;
    net->notify_data = data;
    net->next_id = 1;

    if (pthread_mutex_init(&net->lock, NULL) != 0)
        goto fail;
    lock_init = true;
    net->multi = curl_multi_init();
    if (!net->multi)
        goto fail;
    curl_multi_setopt(net->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 8L);
    curl_multi_setopt(net->multi, CURLMOPT_MAXCONNECTS, 8L);

    int err = pthread_create(&net->thread, NULL, net_thread, net);
    if (err != 0) {
        log_error("cannot start the net thread: %s", strerror(err));
        goto fail;
    }
    return net;

fail:
    if (net) {
        if (net->multi)
            curl_multi_cleanup(net->multi);
        if (lock_init)
            pthread_mutex_destroy(&net->lock);
        free(net->user_agent);
        free(net->device_id);
        free(net->language);
        free(net);
    }
    log_error("net_new failed");
    return NULL;
}

void net_free(struct net *net)
{
    if (!net)
        return;
    pthread_mutex_lock(&net->lock);
    net->quit = true;
    pthread_mutex_unlock(&net->lock);
    curl_multi_wakeup(net->multi);
    pthread_join(net->thread, NULL);

    while (net->submit_head) {
        struct net_job *job = net->submit_head;
        net->submit_head = job->next;
        job_free(job);
    }
    while (net->done_head) {
        struct net_response_node *node = net->done_head;
        net->done_head = node->next;
        net_response_free(node->resp);
        free(node);
    }
    for (size_t i = 0; i < net->n_pool; i++)
        curl_easy_cleanup(net->pool[i]);
    curl_multi_cleanup(net->multi);
    pthread_mutex_destroy(&net->lock);
    free(net->cancels);
    free_secret(net->session_bearer);
    free(net->user_agent);
    free(net->device_id);
    free(net->language);
    free(net);
}

/* Parses url with curl's own parser so what we accept is what curl will fetch. Fills
 * "host:port" and a query-free form for the log. */
static int check_url(const char *url, char **where, char **log_url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
    int rc = BINGE_EINVAL;

    if (!u)
        return BINGE_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))
        goto out;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
        path = NULL;
    *where = util_asprintf("%s:%s", host, port);
    *log_url = util_asprintf("%s://%s:%s%s", scheme, host, port, path ? path : "/");
    if (!*where || !*log_url) {
        free(*where);
        free(*log_url);
        *where = *log_url = NULL;
        rc = BINGE_ENOMEM;
        goto out;
    }
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

char *net_path(const char *const *segments, size_t n)
{
    size_t len = 0, cap = 64;
    char *out = n ? malloc(cap) : NULL;
    if (!out)
        return NULL;
    out[0] = '\0';
    pthread_once(&curl_once, curl_init_once); /* curl_easy_escape(NULL) wants curl set up */
    for (size_t i = 0; i < n; i++) {
        if (!segments[i] || !segments[i][0])
            goto fail;
        /* "." and ".." would be removed by URL normalisation (curl's, a proxy's, the
         * server's): as %2E they stay a name. */
        bool dots = strcmp(segments[i], ".") == 0 || strcmp(segments[i], "..") == 0;
        char *esc = dots ? NULL : curl_easy_escape(NULL, segments[i], 0);
        const char *seg = dots ? (segments[i][1] ? "%2E%2E" : "%2E") : esc;
        if (!seg)
            goto fail;
        size_t sl = strlen(seg);
        if (len + sl + 2 > cap) {
            cap = (len + sl + 2) * 2;
            char *grown = realloc(out, cap);
            if (!grown) {
                curl_free(esc);
                goto fail;
            }
            out = grown;
        }
        out[len++] = '/';
        memcpy(out + len, seg, sl + 1);
        len += sl;
        curl_free(esc);
    }
    return out;
fail:
    free(out);
    return NULL;
}

/* A header value may hold visible characters, blanks and UTF-8; any other control character
 * (CR and LF above all) could split the request into two. */
static bool header_value_ok(const char *v)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++, n++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    }
    return n <= NET_REQUEST_HEADER_MAX;
}

/* RFC 9110 token characters. */
static bool token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* Validates the caller's extra header lines into *out. Returns 0, BINGE_EINVAL (logged without
 * the value) or BINGE_ENOMEM. */
static int copy_extra_headers(const char *const *lines, struct curl_slist **out)
{
    static const char *const owned[] = {
        "Host",
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
        "Keep-Alive",
        "Upgrade",
        "TE",
        "Trailer",
        "Expect",
        "Authorization",
        "Proxy-Authorization",
        "Content-Type",
        "If-None-Match",
        NULL,
    };
    *out = NULL;
    for (size_t i = 0; lines && lines[i]; i++) {
        const char *line = lines[i];
        const char *colon = strchr(line, ':');
        size_t name_len = colon ? (size_t)(colon - line) : 0;
        bool ok = name_len > 0 && header_value_ok(line);
        for (size_t k = 0; ok && k < name_len; k++)
            ok = token_char(line[k]);
        if (!ok) {
            log_warn("request refused: malformed extra header line %zu", i);
            goto fail;
        }
        if (header_is(line, owned)) {
            log_warn("request refused: header %.*s is set by net", (int)name_len, line);
            goto fail;
        }
        struct curl_slist *l = curl_slist_append(*out, line);
        if (!l) {
            curl_slist_free_all(*out);
            *out = NULL;
            return BINGE_ENOMEM;
        }
        *out = l;
    }
    return 0;
fail:
    curl_slist_free_all(*out);
    *out = NULL;
    return BINGE_EINVAL;
}

uint64_t net_request(struct net *net, const struct net_request *req)
{
    struct net_job *job = NULL;

    if (!net || !req || !req->url)
        return 0;
    if (req->method != NET_GET && req->method != NET_POST && req->method != NET_PUT &&
        req->method != NET_DELETE) {
        log_warn("request refused: unknown method %d", (int)req->method);
        return 0;
    }
    if (has_crlf(req->bearer)) {
        log_warn("request refused: line break in the bearer token");
        return 0;
    }
    if (req->if_none_match && (!req->if_none_match[0] || !header_value_ok(req->if_none_match))) {
        log_warn("request refused: malformed If-None-Match value");
        return 0;
    }
    job = calloc(1, sizeof(*job));
    if (!job)
        goto fail;
    if (copy_extra_headers(req->headers, &job->extra) != 0)
        goto fail;
    int rc = check_url(req->url, &job->where, &job->log_url);
    if (rc == BINGE_EINVAL) {
        /* The URL may carry a signature; name only the problem. */
        log_warn("request refused: not an http(s) URL");
        goto fail;
    }
    if (rc != 0)
        goto fail;
    job->method = req->method;
    job->kind = req->kind;
    job->userdata = req->userdata;
    job->max_body = req->max_body > 0 ? req->max_body : net->max_body;
    job->url = util_strdup(req->url);
    job->bearer = util_strdup(req->bearer);
    job->body = util_strdup(req->body);
    job->if_none_match = util_strdup(req->if_none_match);
    if (!job->url || (req->bearer && !job->bearer) || (req->body && !job->body) ||
        (req->if_none_match && !job->if_none_match))
        goto fail;
    job->retryable = req->method == NET_GET || req->method == NET_PUT ||
                     req->method == NET_DELETE || req->idempotent;
    job->max_retries = req->max_retries > 0    ? req->max_retries
                       : req->max_retries == 0 ? net->max_retries
                                               : 0;
    if (job->max_retries > NET_MAX_RETRIES)
        job->max_retries = NET_MAX_RETRIES;
    job->auth = req->auth;
    job->start_ms = util_now_ms();

    pthread_mutex_lock(&net->lock);
    if (net->n_pending >= NET_MAX_PENDING) {
        pthread_mutex_unlock(&net->lock);
        log_warn("request refused: %d requests already pending", NET_MAX_PENDING);
        goto fail;
    }
    job->id = net->next_id++;
    net->n_pending++;
    if (net->submit_tail)
        net->submit_tail->next = job;
    else
        net->submit_head = job;
    net->submit_tail = job;
    uint64_t id = job->id;
    pthread_mutex_unlock(&net->lock);

    curl_multi_wakeup(net->multi);
    return id;

fail:
    job_free(job);
    return 0;
}

void net_cancel(struct net *net, uint64_t id)
{
    struct net_job *job = NULL;
    struct net_response_node *node = NULL;
    bool wake = false;

    if (!net || id == 0)
        return;
    pthread_mutex_lock(&net->lock);
    /* Not started yet: unlink it and nobody else will see it. */
    struct net_job *prev = NULL;
    for (struct net_job *j = net->submit_head; j; prev = j, j = j->next) {
        if (j->id != id)
            continue;
        if (prev)
            prev->next = j->next;
        else
            net->submit_head = j->next;
        if (net->submit_tail == j)
            net->submit_tail = prev;
        job = j;
        net->n_pending--;
        break;
    }
    /* Already finished but not polled: drop the response. */
    if (!job) {
        struct net_response_node *nprev = NULL;
        for (struct net_response_node *n = net->done_head; n; nprev = n, n = n->next) {
            if (n->resp->id != id)
                continue;
            if (nprev)
                nprev->next = n->next;
            else
                net->done_head = n->next;
            if (net->done_tail == n)
                net->done_tail = nprev;
            node = n;
            break;
        }
    }
    /* In flight (or unknown): let the net thread abort it, and drop it if it finishes first. */
    if (!job && !node && id < net->next_id) {
        bool known = false;
        for (size_t i = 0; i < net->n_cancels; i++)
            known = known || net->cancels[i] == id;
        if (!known) {
            if (net->n_cancels == net->cap_cancels) {
                size_t ncap = net->cap_cancels ? net->cap_cancels * 2 : 16;
                uint64_t *n = realloc(net->cancels, ncap * sizeof(*n));
                if (n) {
                    net->cancels = n;
                    net->cap_cancels = ncap;
                }
            }
            if (net->n_cancels < net->cap_cancels) {
                net->cancels[net->n_cancels++] = id;
                wake = true;
            } else {
                log_error("out of memory; request %llu cannot be cancelled",
                          (unsigned long long)id);
            }
        }
    }
    pthread_mutex_unlock(&net->lock);

    if (job)
        job_free(job);
    if (node) {
        net_response_free(node->resp);
        free(node);
    }
    if (wake)
        curl_multi_wakeup(net->multi);
}

struct net_response *net_poll(struct net *net)
{
    struct net_response *resp = NULL;

    if (!net)
        return NULL;
    pthread_mutex_lock(&net->lock);
    struct net_response_node *node = net->done_head;
    if (node) {
        net->done_head = node->next;
        if (!net->done_head)
            net->done_tail = NULL;
    }
    pthread_mutex_unlock(&net->lock);
    if (node) {
        resp = node->resp;
        free(node);
    }
    return resp;
}

void net_response_free(struct net_response *resp)
{
    if (!resp)
        return;
    free(resp->body);
    free(resp->etag);
    free(resp->content_type);
    free(resp);
}

int net_set_bearer(struct net *net, const char *token)
{
    if (!net)
        return BINGE_EINVAL;
    if (has_crlf(token)) {
        log_warn("session bearer refused: line break in the token");
        return BINGE_EINVAL;
    }
    char *copy = util_strdup(token);
    if (token && !copy)
        return BINGE_ENOMEM;
    pthread_mutex_lock(&net->lock);
    char *old = net->session_bearer;
    net->session_bearer = copy;
    net->bearer_gen++;
    pthread_mutex_unlock(&net->lock);
    free_secret(old);
    return 0;
}

int net_set_language(struct net *net, const char *language)
{
    if (!net)
        return BINGE_EINVAL;
    if (has_crlf(language)) {
        log_warn("language refused: line break in it");
        return BINGE_EINVAL;
    }
    char *copy = util_strdup(language);
    if (language && !copy)
        return BINGE_ENOMEM;
    pthread_mutex_lock(&net->lock);
    char *old = net->language;
    net->language = copy;
    pthread_mutex_unlock(&net->lock);
    free(old);
    return 0;
}

uint64_t net_bearer_gen(struct net *net)
{
    if (!net)
        return 0;
    pthread_mutex_lock(&net->lock);
    uint64_t gen = net->bearer_gen;
    pthread_mutex_unlock(&net->lock);
    return gen;
}
