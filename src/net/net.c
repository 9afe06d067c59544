#include "binge/net.h"

#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

LOG_MODULE("net");

#define NET_DEFAULT_CONNECT_MS 3000L
#define NET_DEFAULT_TOTAL_MS 10000L
#define NET_DEFAULT_MAX_BODY ((size_t)4 * 1024 * 1024)
/* A UI that queues more than this is looping; refusing keeps memory and sockets bounded. */
#define NET_MAX_PENDING 256
/* Easy handles kept for reuse; they keep their DNS cache and TLS session ids warm. */
#define NET_POOL_MAX 4
#define NET_MAX_REDIRS 3L

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
    CURL *easy;
    struct curl_slist *headers;
    char *buf;
    size_t len, cap;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
};

struct net {
    /* Fixed after net_new. */
    char *user_agent;
    char *device_id;
    char *language;
    long connect_timeout_ms;
    long total_timeout_ms;
    size_t max_body;
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

    /* Net thread only. */
    struct net_job *active;
    CURL *pool[NET_POOL_MAX];
    size_t n_pool;
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

static void job_free(struct net_job *job)
{
    if (!job)
        return;
    free(job->url);
    free(job->bearer);
    free(job->body);
    free(job->where);
    free(job->log_url);
    free(job->buf);
    curl_slist_free_all(job->headers);
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

/* Net thread: configures the job's easy handle. Every option here is per request because the
 * handle comes back reset from the pool. */
static int job_setup(struct net *net, struct net_job *job)
{
    CURL *e = job->easy;
    int rc;

    if ((rc = add_header(&job->headers, "Accept", "application/json")) ||
        (net->device_id && (rc = add_header(&job->headers, "X-Device-Id", net->device_id))) ||
        (net->language && (rc = add_header(&job->headers, "Accept-Language", net->language))))
        return rc;
    if (job->bearer) {
        char *auth = util_asprintf("Bearer %s", job->bearer);
        rc = auth ? add_header(&job->headers, "Authorization", auth) : BINGE_ENOMEM;
        free(auth);
        if (rc)
            return rc;
    }
    if (job->method == NET_POST) {
        if ((rc = add_header(&job->headers, "Content-Type", "application/json; charset=utf-8")) ||
            /* An empty Expect stops curl from waiting for "100 Continue" on larger bodies. */
            (rc = add_header(&job->headers, "Expect:", NULL)))
            return rc;
    }
    /* The token now lives only in the header list; drop the spare copy early. */
    free(job->bearer);
    job->bearer = NULL;

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
    SET(CURLOPT_USERAGENT, net->user_agent);
    SET(CURLOPT_HTTPHEADER, job->headers);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, (void *)job);
    /* Refuses early when Content-Length already says too much; on_write catches the rest
     * (chunked bodies, decompression). */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)job->max_body);
    if (job->method == NET_POST) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDS, job->body ? job->body : "");
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(job->body ? strlen(job->body) : 0));
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

    if (setup_error) {
        resp->error = setup_error;
        set_message(resp, "cannot start the request: %s", binge_strerror(setup_error));
    } else {
        curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &resp->status);
        map_result(job, code, resp);
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
        log_info("%s %s: %s (%lld ms)", job->method == NET_POST ? "POST" : "GET", job->log_url,
                 resp->message, (long long)resp->elapsed_ms);
    else
        log_debug("%s %s -> %ld, %zu bytes (%lld ms)", job->method == NET_POST ? "POST" : "GET",
                  job->log_url, resp->status, resp->len, (long long)resp->elapsed_ms);
    deliver(net, resp);

out:
    if (job->easy) {
        curl_multi_remove_handle(net->multi, job->easy);
        easy_put(net, job->easy);
        job->easy = NULL;
    }
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

/* Net thread: starts the jobs taken from the submit queue. */
static void start_jobs(struct net *net, struct net_job *list)
{
    while (list) {
        struct net_job *job = list;
        list = job->next;
        job->next = NULL;

        int rc = 0;
        job->easy = easy_get(net);
        if (!job->easy)
            rc = BINGE_ENOMEM;
        if (rc == 0)
            rc = job_setup(net, job);
        if (rc == 0 && curl_multi_add_handle(net->multi, job->easy) != CURLM_OK)
            rc = BINGE_ENOMEM;
        if (rc != 0) {
            job_finish(net, job, CURLE_OK, rc);
            continue;
        }
        job->next = net->active;
        net->active = job;
    }
}

/* Net thread: aborts the active transfers whose ids were cancelled. */
static void cancel_jobs(struct net *net, uint64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (struct net_job *job = net->active; job; job = job->next) {
            if (job->id != ids[i])
                continue;
            active_remove(net, job);
            curl_multi_remove_handle(net->multi, job->easy);
            easy_put(net, job->easy);
            job->easy = NULL;
            job_free(job);
            pthread_mutex_lock(&net->lock);
            net->n_pending--;
            pthread_mutex_unlock(&net->lock);
            break;
        }
    }
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
         * deliver(); ids found active are dropped here. */
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
                bool active = false;
                for (struct net_job *job = net->active; job; job = job->next)
                    active = active || job->id == net->cancels[i];
                if (!active)
                    net->cancels[i] = net->cancels[--net->n_cancels];
                else
                    i++;
            }
            pthread_mutex_unlock(&net->lock);
            free(cancels);
        }

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
            job_finish(net, job, code, 0);
        }

        /* Wakes for socket activity, curl's own timers, or curl_multi_wakeup() from the UI
         * thread; the 1 s cap is only a safety net. */
        mc = curl_multi_poll(net->multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK)
            log_error("curl_multi_poll: %s", curl_multi_strerror(mc));
    }

    while (net->active) {
        struct net_job *job = net->active;
        net->active = job->next;
        curl_multi_remove_handle(net->multi, job->easy);
        easy_put(net, job->easy);
        job->easy = NULL;
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

uint64_t net_request(struct net *net, const struct net_request *req)
{
    struct net_job *job = NULL;

    if (!net || !req || !req->url)
        return 0;
    if (has_crlf(req->bearer)) {
        log_warn("request refused: line break in the bearer token");
        return 0;
    }
    job = calloc(1, sizeof(*job));
    if (!job)
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
    if (!job->url || (req->bearer && !job->bearer) || (req->body && !job->body))
        goto fail;
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
    free(resp);
}
