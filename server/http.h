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
 * out here: a delay, a 500 or 503, a truncated or oversized body, or a connection reset.
 *
 * Threading: libmicrohttpd runs an internal listening thread and one thread per connection; the
 * api is called from those threads. The http_server functions themselves must be called from one
 * thread (the main thread).
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

/* Starts serving requests with api (borrowed: it must outlive the server). Returns BINGE_EIO
 * when libmicrohttpd cannot start, BINGE_ESTATE when already started. */
int http_server_start(struct http_server *srv, struct api *api);

/* Stops serving and closes the socket. NULL is a no-op. */
void http_server_free(struct http_server *srv);

#endif
