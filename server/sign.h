#ifndef BINGE_SERVER_SIGN_H
#define BINGE_SERVER_SIGN_H

/* Signed media URLs for binge-server.
 *
 * A media URL is "/media/<path>?exp=<exp>&sig=<sig>" where <path> is relative to the media
 * directory (already percent-decoded), <exp> is a Unix time in decimal and
 * sig = lowercase hex of HMAC-SHA256(secret, "<path>\n<exp>").
 *
 * A device-bound media URL adds "&dev=<device>" and signs "<path>\n<exp>\n<device>"; the
 * playlists it leads to are rewritten with URLs bound to the same device. A key URL is
 * "/keys/<path>?exp=<exp>&dev=<device>&sig=<sig>" signing "key\n<path>\n<exp>\n<device>": it is
 * only ever issued inside a device-bound playlist, and the server re-checks that the device is
 * entitled to the episode before it answers.
 *
 * Everything here is a pure function: no I/O, no globals, no clock (callers pass "now").
 * Thread-safe. Errors are negative BINGE_E* codes from binge/error.h. */

#include <stdbool.h>
#include <stddef.h>

/* Length of a signature in hex characters, without the terminating NUL. */
#define SIGN_HEX_LEN 64

/* Longest media path the server signs or serves, in bytes. */
#define SIGN_PATH_MAX 1024

/* Longest device id a URL can be bound to, in bytes. */
#define SIGN_DEVICE_MAX 64

/* What a signature covers (see the top of this file). */
enum sign_scheme {
    SIGN_MEDIA,        /* "<path>\n<exp>" */
    SIGN_MEDIA_DEVICE, /* "<path>\n<exp>\n<device>" */
    SIGN_KEY,          /* "key\n<path>\n<exp>\n<device>" */
};

/* Writes the hex signature of (path, exp) into out (SIGN_HEX_LEN + 1 bytes, NUL-terminated).
 * secret must be at least one byte. Returns 0, BINGE_EINVAL on bad arguments or BINGE_EIO when
 * libcrypto fails. */
int sign_compute(const unsigned char *secret, size_t secret_len, const char *path, long long exp,
                 char *out);

/* Like sign_compute for any scheme. device is required (1..SIGN_DEVICE_MAX characters of
 * A-Z a-z 0-9 . _ : -) for SIGN_MEDIA_DEVICE and SIGN_KEY and ignored for SIGN_MEDIA. */
int sign_compute_scheme(const unsigned char *secret, size_t secret_len, enum sign_scheme scheme,
                        const char *path, long long exp, const char *device, char *out);

/* Like sign_verify for any scheme; an invalid device is BINGE_EINVAL. */
int sign_verify_scheme(const unsigned char *secret, size_t secret_len, enum sign_scheme scheme,
                       const char *path, const char *exp_str, const char *device,
                       const char *sig_hex, long long now);

/* True when device may be bound into a URL: 1..SIGN_DEVICE_MAX characters of
 * A-Z a-z 0-9 . _ : - (exactly the device ids binge-server accepts). */
bool sign_device_is_valid(const char *device);

/* True when path names a content key ("key.bin" or "*.key"): such files are never served as
 * media, only through a key URL. */
bool sign_is_key_file(const char *path);

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

/* Like sign_rewrite_playlist, but with device non-NULL every URI is bound to the device
 * ("&dev=<device>", scheme SIGN_MEDIA_DEVICE) and the URI of an EXT-X-KEY or
 * EXT-X-SESSION-KEY tag becomes a key URL "/keys/<resolved>?exp=&dev=&sig=" (SIGN_KEY). With
 * device NULL it is sign_rewrite_playlist. An invalid device is BINGE_EINVAL. */
int sign_rewrite_playlist_device(const unsigned char *secret, size_t secret_len,
                                 const char *playlist_path, long long exp, const char *device,
                                 const char *in, size_t in_len, char **out, size_t *out_len);

/* Percent-encodes path for use in a URL, keeping unreserved characters and '/'. Writes at most
 * cap bytes including the NUL. Returns 0 or BINGE_ETOOBIG when it does not fit. */
int sign_url_encode_path(const char *path, char *out, size_t cap);

#endif
