#ifndef BINGE_SERVER_HTTP_H
#define BINGE_SERVER_HTTP_H

/* The HTTP transport of binge-server: a libmicrohttpd daemon that feeds requests to struct api
 * and logs one access line per request (method, path without query, status, milliseconds).
 *
 * Lifecycle: http_server_new() binds the listening socket (so the real port is known before
 * anything is served), http_server_start() starts serving, http_server_free() stops the daemon,
 * waits for its threads and closes the socket.
 *
 * Fault injection: when the api has a fault table (binge-server --dev, api_faults()), each
 * request is checked against it before and after it is handled, and a matching fault is carried
 * out here: a delay, a 500 or 503, a truncated or oversized body, or a connection reset. A delay
 * suspends the connection rather than sleeping, so it holds up only its own request.
 *
 * One client must not take the server down: libmicrohttpd runs a small pool of threads, each
 * multiplexing its connections with epoll, so an idle or slow connection costs a socket and a
 * little memory, never a thread. Connections are bounded in total, per client IP and in memory,
 * and every request must be fully received (headers and body) within an absolute deadline
 * counted from its request line (or from the accept, for the first request of a connection): a
 * client that drips its headers a byte at a time is disconnected when the deadline passes,
 * however often it sends. An idle keep-alive connection gets the idle timeout to start its next
 * request. A response being sent (a long media file) has no deadline, only the idle timeout.
 *
 * HTML pages get X-Frame-Options: DENY and a Content-Security-Policy. A state-changing request
 * (any method but GET, HEAD and OPTIONS) that carries an Origin (or, without one, a Referer)
 * naming another site is refused with 403 before it reaches the api: a cross-site form cannot
 * approve a device code or pay a checkout. Clients that send neither (binge, curl) are unaffected.
 *
 * Threading: the api is called from libmicrohttpd's pool threads, concurrently; a handler that
 * blocks (SQLite) holds up only the connections of its own pool thread, so there are more
 * threads than cores (at least 4), but not many more: the database is one connection behind one
 * lock, and on 2 cores under load 2 threads gave the lowest p99 latency, 4 and 8 about the same
 * and 16 the highest (docs/performance.md). A sweeper thread enforces the request deadline and
 * ends injected latencies. The http_server functions themselves must be called from one thread
 * (the main thread).
 *
 * Errors: 0 or a negative BINGE_E* code; failures are also logged. */

#include <stddef.h>

struct api;
struct http_server;

/* Parses "HOST:PORT" ("[v6addr]:PORT" for IPv6), resolves HOST and binds a listening socket.
 * PORT 0 picks a free port. *out is transfer full; free with http_server_free(). Returns
 * BINGE_EINVAL for a malformed address, BINGE_ENET when it cannot be bound. */
int http_server_new(const char *listen_addr, struct http_server **out);

/* The bound port. */
int http_server_port(const struct http_server *srv);

/* The host part of the listen address as it appears in a URL ("127.0.0.1", "[::1]"). The string
 * belongs to srv. */
const char *http_server_host(const struct http_server *srv);

/* Defaults of struct http_config, used where a field is 0. */
#define HTTP_DEFAULT_THREADS_PER_CPU 2u /* pool threads per online CPU, at least 4, at most 64 */
#define HTTP_DEFAULT_MAX_CONNECTIONS 2048u
#define HTTP_DEFAULT_MAX_PER_IP 64u /* a household or an office behind one NAT address */
#define HTTP_DEFAULT_REQUEST_TIMEOUT_S 10u
#define HTTP_DEFAULT_IDLE_TIMEOUT_S 30u
#define HTTP_CONNECTION_MEMORY 16384u /* per connection: request line, headers, buffers */

struct http_config {
    unsigned int threads;           /* pool threads; 0: HTTP_DEFAULT_THREADS_PER_CPU per CPU */
    unsigned int max_connections;   /* open connections in all; 0: default */
    unsigned int max_per_ip;        /* open connections per client address; 0: default */
    unsigned int request_timeout_s; /* absolute deadline to receive a request; 0: default */
    unsigned int idle_timeout_s;    /* no byte either way for this long closes; 0: default */
    const char *public_url;         /* borrowed, may be NULL: another name of this origin (as
                                       --public-url) besides the request's Host */
};

/* Starts serving requests with api (borrowed: it must outlive the server). cfg (copied; may be
 * NULL for all defaults) sets the limits. Returns BINGE_EIO when libmicrohttpd cannot start,
 * BINGE_ESTATE when already started, BINGE_ENOMEM. */
int http_server_start(struct http_server *srv, struct api *api, const struct http_config *cfg);

/* Stops serving and closes the socket. NULL is a no-op. */
void http_server_free(struct http_server *srv);

#endif
