#ifndef BINGE_SERVER_API_H
#define BINGE_SERVER_API_H

/* The binge-server HTTP API (docs/api.md), independent of the HTTP library: a request goes in
 * as plain strings, a response comes out as a status, headers and either a malloc'd body or an
 * open file. server/http.c adapts it to libmicrohttpd.
 *
 * Threading: struct api's configuration is immutable after api_new() and api_handle() may run
 * concurrently from any number of threads (the database serialises itself, see db.h; the rate
 * limiter and the fault table lock themselves).
 *
 * Errors: api_handle() never fails; every problem becomes an error response
 * {"error": {"code": "...", "message": "..."}} with a fitting status. */

#include <stdbool.h>
#include <stddef.h>

struct api;
struct db;
struct faults;

/* Largest request body accepted, in bytes. Larger bodies get 413 payload_too_large. */
#define API_BODY_MAX (64 * 1024)

/* Largest playlist the server will read and rewrite, in bytes. */
#define API_PLAYLIST_MAX (1024 * 1024)

struct api_config {
    struct db *db;               /* borrowed: must outlive the api */
    const char *media_dir;       /* copied */
    const unsigned char *secret; /* copied; URL-signing key */
    size_t secret_len;           /* at least 1 */
    const char *base_url;        /* copied; "http://host:port" for absolute URLs, no trailing
                                    '/'. NULL: use the request's Host header. */
    long long url_ttl_s;         /* lifetime of signed URLs; negative gives expired URLs */
    long long token_ttl_s;       /* lifetime of access tokens; 0: they never expire */
    int ads_per_day;             /* ad unlocks per wallet per UTC day */
    double rate_limit;           /* requests per second per device; 0: no limit */
    double rate_burst;           /* token bucket size (>= 1 when rate_limit > 0) */
    double auth_limit;           /* per client address and minute: registrations and activation
                                    posts (each at most this many, also at once), device token
                                    polls six times as many; 0: no such limit */
    bool dev;                    /* --dev: honour X-Dev-Now, serve /dev/ */
    struct faults *faults;       /* borrowed, may be NULL: the table /dev/faults edits */
};

struct api_request {
    const char *method;        /* "GET", "HEAD", "POST", ... */
    const char *path;          /* percent-decoded, without the query string */
    const char *authorization; /* Authorization header or NULL */
    const char *device_header; /* X-Device-Id header or NULL */
    const char *host;          /* Host header or NULL */
    const char *if_none_match; /* If-None-Match header or NULL */
    const char *exp;           /* query argument "exp" or NULL */
    const char *sig;           /* query argument "sig" or NULL */
    const char *body;          /* request body, may be NULL when body_len is 0 */
    size_t body_len;
    long long now;               /* Unix time of the request */
    const char *accept_language; /* Accept-Language header or NULL */
    const char *content_type;    /* Content-Type header or NULL */
    const char *dev_now;         /* X-Dev-Now header or NULL (only honoured with cfg.dev) */
    const char *client_addr;     /* numeric peer address or NULL */
    double mono_now;             /* CLOCK_MONOTONIC seconds, for the rate limit */
    /* Looks up a (decoded) query argument; NULL when absent. May itself be NULL. */
    const char *(*query)(void *ctx, const char *name);
    void *query_ctx;
};

struct api_response {
    int status;
    const char *content_type; /* static string */
    char *body;               /* transfer full (malloc); NULL when fd >= 0 or no body */
    size_t body_len;
    int fd;                       /* transfer full: an open file to send as the body, or -1 */
    long long fd_size;            /* bytes to send from fd */
    char allow[48];               /* Allow header of a 405, "" when none */
    const char *cache_control;    /* static or NULL */
    char etag[48];                /* "" when none */
    int retry_after;              /* > 0: Retry-After header, in seconds */
    const char *content_language; /* static or NULL */
    const char *vary;             /* static or NULL */
};

/* Creates the API. *out is transfer full; free with api_free(). Returns 0, BINGE_EINVAL or
 * BINGE_ENOMEM. */
int api_new(const struct api_config *cfg, struct api **out);

/* NULL is a no-op. */
void api_free(struct api *api);

/* Handles one request and fills *resp (which the caller then owns: release with
 * api_response_clear()). */
void api_handle(struct api *api, const struct api_request *req, struct api_response *resp);

/* The fault table of a --dev API, or NULL. Borrowed. */
struct faults *api_faults(const struct api *api);

/* Fills *resp with an error document. code is the machine-readable error code. */
void api_error(struct api_response *resp, int status, const char *code, const char *message);

/* Frees the body and closes the file of resp; leaves it as an empty response. NULL is a
 * no-op. */
void api_response_clear(struct api_response *resp);

#endif
