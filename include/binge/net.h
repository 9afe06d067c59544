#ifndef BINGE_NET_H
#define BINGE_NET_H

#include <stddef.h>
#include <stdint.h>

/* The net thread: one thread running curl multi; the rest of binge never sees curl.
 *
 * Threading:
 *   - net_new/net_free/net_request/net_cancel/net_poll are called from the UI thread only.
 *   - The notify callback runs on the net thread each time a response is queued; it must only
 *     wake the UI thread (e.g. push an SDL user event) and must not call back into net.
 * Ownership: the request's strings are copied by net_request; a response from net_poll is
 * transfer full and released with net_response_free.
 * Bounds: each response body is capped at max_body bytes (BINGE_ETOOBIG beyond); each request has
 * a connect timeout and a total timeout. TLS verification is always on. Only http(s) URLs are
 * accepted (BINGE_EINVAL otherwise). Tokens are never logged. */

struct net;

struct net_config {
    const char *user_agent;  /* e.g. "binge/0.1.0" */
    const char *device_id;   /* sent as X-Device-Id; may be NULL */
    const char *language;    /* sent as Accept-Language; may be NULL */
    long connect_timeout_ms; /* 0 = default 3000 */
    long total_timeout_ms;   /* 0 = default 10000 */
    size_t max_body;         /* 0 = default 4 MiB */
};

enum net_method {
    NET_GET = 0,
    NET_POST = 1,
};

struct net_request {
    enum net_method method;
    const char *url;    /* http(s) only */
    const char *bearer; /* Authorization: Bearer <bearer>, or NULL */
    const char *body;   /* JSON body for POST (Content-Type: application/json), or NULL */
    int kind;           /* caller's tag, returned in the response */
    void *userdata;     /* caller's pointer, returned in the response, never dereferenced */
    size_t max_body;    /* 0 = the net default */
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
    int64_t elapsed_ms; /* from submit to completion */
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

void net_response_free(struct net_response *resp);

#endif
