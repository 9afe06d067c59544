#ifndef BINGE_SERVER_SIGN_H
#define BINGE_SERVER_SIGN_H

/* Signed media URLs for binge-server.
 *
 * A media URL is "/media/<path>?exp=<exp>&sig=<sig>" where <path> is relative to the media
 * directory (already percent-decoded), <exp> is a Unix time in decimal and
 * sig = lowercase hex of HMAC-SHA256(secret, "<path>\n<exp>").
 *
 * Everything here is a pure function: no I/O, no globals, no clock (callers pass "now").
 * Thread-safe. Errors are negative BINGE_E* codes from binge/error.h. */

#include <stdbool.h>
#include <stddef.h>

/* Length of a signature in hex characters, without the terminating NUL. */
#define SIGN_HEX_LEN 64

/* Longest media path the server signs or serves, in bytes. */
#define SIGN_PATH_MAX 1024

/* Writes the hex signature of (path, exp) into out (SIGN_HEX_LEN + 1 bytes, NUL-terminated).
 * secret must be at least one byte. Returns 0, BINGE_EINVAL on bad arguments or BINGE_EIO when
 * libcrypto fails. */
int sign_compute(const unsigned char *secret, size_t secret_len, const char *path, long long exp,
                 char *out);

/* Checks a signature received in a request. exp_str and sig_hex are the raw query values (may be
 * NULL when absent). Returns 0 when the signature matches and exp >= now, BINGE_ETIMEDOUT when the
 * signature matches but the URL has expired, BINGE_EINVAL when anything is missing, malformed or
 * tampered. The comparison is constant-time. */
int sign_verify(const unsigned char *secret, size_t secret_len, const char *path,
                const char *exp_str, const char *sig_hex, long long now);

/* True when path is a relative media path safe to join to the media directory: non-empty, at most
 * SIGN_PATH_MAX bytes, no leading '/', no backslash, no control characters, and no empty, "." or
 * ".." segment. */
bool sign_path_is_safe(const char *path);

/* Rewrites an HLS playlist so that every URI in it becomes an absolute-path signed URL
 * "/media/<resolved>?exp=<exp>&sig=<sig>". playlist_path is the playlist's own media path (URIs
 * are resolved against its directory). URI lines (non-empty, not starting with '#') and every
 * URI="..." attribute of a tag are rewritten; URIs with a scheme or an absolute path are kept as
 * they are, because they do not point into the media directory.
 *
 * On success *out is a NUL-terminated malloc'd buffer (transfer full, free() it) and *out_len its
 * length. Returns BINGE_EPARSE when a URI resolves outside the media directory or is not a safe
 * path, BINGE_ENOMEM, or the errors of sign_compute(). *out is NULL on failure. */
int sign_rewrite_playlist(const unsigned char *secret, size_t secret_len, const char *playlist_path,
                          long long exp, const char *in, size_t in_len, char **out,
                          size_t *out_len);

/* Percent-encodes path for use in a URL, keeping unreserved characters and '/'. Writes at most
 * cap bytes including the NUL. Returns 0 or BINGE_ETOOBIG when it does not fit. */
int sign_url_encode_path(const char *path, char *out, size_t cap);

#endif
