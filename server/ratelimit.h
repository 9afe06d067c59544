#ifndef BINGE_SERVER_RATELIMIT_H
#define BINGE_SERVER_RATELIMIT_H

/* Per-key token buckets for binge-server's request rate limit. A key is a device ("dev:<id>")
 * or, for requests without a token, a client address ("ip:<addr>").
 *
 * Each key's bucket holds at most `burst` tokens and refills at `rate` tokens per second; a
 * request takes one token. The table of buckets is bounded: when it is full, buckets that have
 * refilled completely are forgotten (they carry no state worth keeping), and failing that the
 * least recently used one.
 *
 * Threading: every function may be called from any thread; a mutex guards the table.
 * Errors: 0 or a negative BINGE_E* code. */

#include <stdbool.h>
#include <stddef.h>

struct ratelimit;

/* Longest key tracked, in bytes; longer keys are cut (they still work, they merely share). */
#define RATELIMIT_KEY_MAX 96

/* rate: tokens per second (0 turns limiting off); burst: bucket size (>= 1 when rate > 0);
 * max_keys: how many buckets are kept (>= 1). *out is transfer full; free with ratelimit_free().
 * Returns BINGE_EINVAL or BINGE_ENOMEM on failure. */
int ratelimit_new(double rate, double burst, size_t max_keys, struct ratelimit **out);

/* NULL is a no-op. */
void ratelimit_free(struct ratelimit *rl);

/* Takes one token from key's bucket at now_s (a monotonic clock in seconds). Returns true when
 * the request may proceed. Otherwise returns false and sets *retry_after_s to the whole seconds
 * (at least 1) until a token is available. With rate 0 or rl NULL it always returns true. */
bool ratelimit_take(struct ratelimit *rl, const char *key, double now_s, int *retry_after_s);

#endif
