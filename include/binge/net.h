#ifndef BINGE_NET_H
#define BINGE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The net thread: one thread running curl multi; the rest of binge never sees curl.
 *
 * Threading:
 *   - net_new/net_free/net_request/net_cancel/net_poll/net_set_bearer/net_set_language/
 *     net_bearer_gen are called
 *     from the UI thread only.
 *   - The notify callback runs on the net thread each time a response is queued; it must only
 *     wake the UI thread (e.g. push an SDL user event) and must not call back into net.
 * Ownership: the request's strings are copied by net_request; a response from net_poll is
 * transfer full and released with net_response_free.
 * Bounds: each response body is capped at max_body bytes (BINGE_ETOOBIG beyond); each attempt has
 * a connect timeout and a total timeout. TLS verification is always on. Only http(s) URLs are
 * accepted (BINGE_EINVAL otherwise). Tokens are never logged.
 *
 * Retries (all inside the net thread; the UI thread never waits):
 *   - Only retryable requests are retried: every GET, and a POST whose request sets idempotent
 *     (e.g. an unlock resent with the same idempotency key, a progress batch). A plain POST is
 *     never retried.
 *   - A retry happens after a connection error (refused, reset, DNS, empty reply, TLS handshake),
 *     a timeout, or an answer 408, 429 or 5xx other than 501 and 505.
 *   - The wait before retry n (1-based) is retry_base_ms * 2^(n-1), jittered by +-20% and capped
 *     at retry_max_delay_ms. When the answer carries Retry-After (seconds or an HTTP date), the
 *     wait is at least that long; a Retry-After beyond retry_max_delay_ms is not waited for: the
 *     answer is delivered at once with retry_after_s set, for the app to tell the viewer.
 *   - At most max_retries retries (default 3, so 4 attempts); then the last outcome is delivered
 *     as is (its error, or its status and body) with attempts counting every transfer made.
 *   - The waits are timers of the net thread (the curl_multi_poll timeout). net_cancel during a
 *     wait drops the retry; net_free drops every wait.
 *   - Below net, curl resends a request once, POST included, when a reused keep-alive
 *     connection turns out closed before a byte of the answer came (a stale connection). That
 *     is not counted in attempts and cannot be turned off; every POST of the v1 API tolerates a
 *     duplicate (idempotency keys, "already claimed" answers).
 *
 * Authentication and 401 (net cannot get a token; the app owns that policy):
 *   - A request authenticates with its own bearer, or with auth set and bearer NULL with the
 *     session bearer of net_set_bearer(), read when each attempt starts: requests queued or
 *     waiting for a retry pick up a token renewed meanwhile.
 *   - A 401 is delivered like any other status (error 0, status 401) and never retried by net.
 *   - The app's policy (refresh or re-register once): on a 401 to a request sent with auth, if
 *     resp->bearer_gen == net_bearer_gen() the session token is stale: renew it (POST
 *     /v1/device/refresh, or register again when that fails), call net_set_bearer() and resubmit
 *     the request once. If the generations differ, another request already renewed the token:
 *     just resubmit. A second 401 to the resubmitted request is shown to the viewer. */
struct net;

struct net_config {
    const char *user_agent;  /* e.g. "binge/0.1.0" */
    const char *device_id;   /* sent as X-Device-Id; may be NULL */
    const char *language;    /* sent as Accept-Language; may be NULL */
    long connect_timeout_ms; /* 0 = default 3000 */
    long total_timeout_ms;   /* 0 = default 10000, per attempt */
    size_t max_body;         /* 0 = default 4 MiB */
    int max_retries;         /* 0 = default 3; NET_RETRIES_NONE = never retry; at most 20 */
    long retry_base_ms;      /* first backoff wait; 0 = default 500 */
    long retry_max_delay_ms; /* cap of one wait and of an honoured Retry-After; 0 = default 30000 */
};

/* For net_config.max_retries and net_request.max_retries: no retry at all. */
#define NET_RETRIES_NONE (-1)

enum net_method {
    NET_GET = 0,
    NET_POST = 1,
    NET_PUT = 2,    /* idempotent: retried like GET; a body as POST's, or none */
    NET_DELETE = 3, /* idempotent: retried like GET */
};

struct net_request {
    enum net_method method;
    const char *url;    /* http(s) only */
    const char *bearer; /* Authorization: Bearer <bearer>, or NULL */
    const char *body;   /* JSON body for POST (Content-Type: application/json), or NULL */
    int kind;           /* caller's tag, returned in the response */
    void *userdata;     /* caller's pointer, returned in the response, never dereferenced */
    size_t max_body;    /* 0 = the net default */
    /* Added for issue 3; zero values keep the behaviour above. */
    bool idempotent;           /* POST that may be retried (resent with the same idempotency key) */
    int max_retries;           /* 0 = the net default; NET_RETRIES_NONE = never retry this one */
    bool auth;                 /* with bearer NULL: send the session bearer (net_set_bearer) */
    const char *if_none_match; /* sent as If-None-Match (a stored ETag), or NULL */
    /* Extra header lines "Name: value", NULL-terminated, or NULL. Refused (net_request returns 0)
     * when a line is malformed (no ':', a name that is not an HTTP token, control characters
     * such as CR or LF in the value, over 1024 bytes) or names a header net owns: Host,
     * Content-Length, Transfer-Encoding, Connection, Keep-Alive, Upgrade, TE, Trailer, Expect,
     * Authorization, Proxy-Authorization, Content-Type, If-None-Match. A line naming Accept,
     * Accept-Language, X-Device-Id or User-Agent replaces net's default for this request. */
    const char *const *headers;
};

struct net_response {
    uint64_t id;    /* the id net_request returned */
    int kind;       /* copied from the request */
    void *userdata; /* copied from the request */
    int error;      /* 0, or BINGE_ENET / BINGE_ETIMEDOUT / BINGE_ETOOBIG / ... */
    long status;    /* HTTP status, 0 when no response arrived */
    char *body;     /* NUL-terminated, may be empty; owned by the response */
    size_t len;
    char message[256];  /* human-readable failure reason when error != 0, else "" */
    int64_t elapsed_ms; /* from submit to completion, retries and their waits included */
    /* Added for issue 3. Headers are those of the final answer (after redirects and retries). */
    int attempts;        /* transfers made: 1 + retries; 0 when none could start */
    long retry_after_s;  /* Retry-After in seconds (a date is turned into seconds from now, 0 when
                            past), -1 when absent or unreadable */
    char *etag;          /* ETag as sent (quotes included), NULL when absent or over 256 bytes;
                            owned by the response */
    char *content_type;  /* Content-Type, NULL when absent or over 256 bytes; owned */
    uint64_t bearer_gen; /* net_bearer_gen() of the session bearer the final attempt sent, 0 when
                            it sent none (no auth, or an explicit bearer) */
};

/* Starts the net thread. notify(data) is called from the net thread whenever net_poll has
 * something new. Returns NULL on failure (logged). transfer full. */
struct net *net_new(const struct net_config *cfg, void (*notify)(void *data), void *data);

/* Stops the thread, aborts transfers, frees queued responses. net_free(NULL) is a no-op. */
void net_free(struct net *net);

/* Queues a request. Returns its id (> 0), or 0 on failure (bad URL, no memory), in which case
 * no response will come. */
uint64_t net_request(struct net *net, const struct net_request *req);

/* Drops a pending request; its response will not be delivered. Unknown ids are ignored. */
void net_cancel(struct net *net, uint64_t id);

/* Returns the next finished response, or NULL when none is ready. Never blocks. */
struct net_response *net_poll(struct net *net);

/* Frees the response, its body and its headers. net_response_free(NULL) is a no-op. */
void net_response_free(struct net_response *resp);

/* Sets the session bearer (copied; NULL clears it) used by requests with auth and no bearer of
 * their own, from their next attempt on: queued requests and retries waiting for their turn use
 * the new one; transfers already under way keep theirs. Each call advances the generation.
 * Returns 0, BINGE_EINVAL (a line break in the token; the old token stays) or BINGE_ENOMEM. */
int net_set_bearer(struct net *net, const char *token);

/* Sets the Accept-Language sent from each request's next attempt on (copied; NULL sends none):
 * the viewer chose another content language. UI thread. Returns 0, BINGE_EINVAL (a line break)
 * or BINGE_ENOMEM (the old one stays). */
int net_set_language(struct net *net, const char *language);

/* The generation of the session bearer: 0 before the first net_set_bearer(), then 1, 2, ...
 * Compare with net_response.bearer_gen to tell a stale-token 401 from one already handled. */
uint64_t net_bearer_gen(struct net *net);

/* Builds a URL path "/seg1/seg2/..." from n segments, each percent-encoded with curl's URL API
 * (curl_easy_escape): everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~) is
 * escaped, so an id holding '/', '?', '#', '%', a space or UTF-8 stays one segment of the path,
 * and a segment "." or ".." is sent as %2E so it is never a dot segment. Fixed segments ("v1",
 * "episodes") come out as they are. Returns NULL for an empty or NULL segment, n == 0, or no
 * memory. Any thread; no net needed. Transfer full (free()). */
char *net_path(const char *const *segments, size_t n);
/* net_path over the arguments: NET_PATH("v1", "series", id). */
#define NET_PATH(...)                                                                              \
    net_path((const char *const[]){__VA_ARGS__},                                                   \
             sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

#endif
