#include "sign.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "binge/error.h"

#define SIGN_RAW_LEN 32

/* Room for the longest message, "key\n<path>\n<exp>\n<device>". */
#define SIGN_MSG_MAX (4 + SIGN_PATH_MAX + 1 + 21 + 1 + SIGN_DEVICE_MAX + 1)

/* Growable output buffer for the playlist rewrite. */
struct sbuf {
    char *data;
    size_t len;
    size_t cap;
    int err;
};

bool sign_device_is_valid(const char *device)
{
    size_t n = device ? strlen(device) : 0;

    if (n == 0 || n > SIGN_DEVICE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)device[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-')
            return false;
    }
    return true;
}

/* The signed message of each scheme. Paths and devices hold no newline, so messages of
 * different schemes (one, two or three newlines, "key" first) can never be equal. */
static int hmac_raw(const unsigned char *secret, size_t secret_len, enum sign_scheme scheme,
                    const char *path, long long exp, const char *device, unsigned char *raw)
{
    char msg[SIGN_MSG_MAX];
    unsigned int raw_len = 0;
    int n;

    if (!secret || secret_len == 0 || secret_len > INT32_MAX || !path)
        return BINGE_EINVAL;
    if (strlen(path) > SIGN_PATH_MAX)
        return BINGE_EINVAL;
    if (scheme != SIGN_MEDIA && !sign_device_is_valid(device))
        return BINGE_EINVAL;
    switch (scheme) {
    case SIGN_MEDIA:
        n = snprintf(msg, sizeof(msg), "%s\n%lld", path, exp);
        break;
    case SIGN_MEDIA_DEVICE:
        n = snprintf(msg, sizeof(msg), "%s\n%lld\n%s", path, exp, device);
        break;
    case SIGN_KEY:
        n = snprintf(msg, sizeof(msg), "key\n%s\n%lld\n%s", path, exp, device);
        break;
    default:
        return BINGE_EINVAL;
    }
    if (n < 0 || (size_t)n >= sizeof(msg))
        return BINGE_EINVAL;
    if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)msg, (size_t)n, raw,
              &raw_len) ||
        raw_len != SIGN_RAW_LEN)
        return BINGE_EIO;
    return 0;
}

int sign_compute_scheme(const unsigned char *secret, size_t secret_len, enum sign_scheme scheme,
                        const char *path, long long exp, const char *device, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[SIGN_RAW_LEN];
    int rc;

    if (!out)
        return BINGE_EINVAL;
    rc = hmac_raw(secret, secret_len, scheme, path, exp, device, raw);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < SIGN_RAW_LEN; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0xf];
    }
    out[SIGN_HEX_LEN] = '\0';
    return 0;
}

int sign_compute(const unsigned char *secret, size_t secret_len, const char *path, long long exp,
                 char *out)
{
    return sign_compute_scheme(secret, secret_len, SIGN_MEDIA, path, exp, NULL, out);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Strict decimal parse: digits only, no sign, no spaces, fits in int64. A lenient strtoll would
 * accept " 12" or "+12", which are not what the server ever signs. */
static int parse_exp(const char *s, long long *out)
{
    long long v = 0;

    if (!s || !*s || strlen(s) > 19)
        return BINGE_EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return BINGE_EINVAL;
        if (v > (INT64_MAX - (*p - '0')) / 10)
            return BINGE_EINVAL;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

int sign_verify_scheme(const unsigned char *secret, size_t secret_len, enum sign_scheme scheme,
                       const char *path, const char *exp_str, const char *device,
                       const char *sig_hex, long long now)
{
    unsigned char want[SIGN_RAW_LEN];
    unsigned char got[SIGN_RAW_LEN];
    long long exp;
    int rc;

    if (!path || !sig_hex || strlen(sig_hex) != SIGN_HEX_LEN)
        return BINGE_EINVAL;
    rc = parse_exp(exp_str, &exp);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < SIGN_RAW_LEN; i++) {
        int hi = hex_value(sig_hex[2 * i]);
        int lo = hex_value(sig_hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return BINGE_EINVAL;
        got[i] = (unsigned char)(hi << 4 | lo);
    }
    rc = hmac_raw(secret, secret_len, scheme, path, exp, device, want);
    if (rc < 0)
        return rc == BINGE_EIO ? rc : BINGE_EINVAL;
    /* Constant-time so the response time does not reveal how many leading bytes matched. */
    if (CRYPTO_memcmp(want, got, SIGN_RAW_LEN) != 0)
        return BINGE_EINVAL;
    /* Expiry is checked after the MAC so a tampered exp is reported as tampering. */
    if (exp < now)
        return BINGE_ETIMEDOUT;
    return 0;
}

int sign_verify(const unsigned char *secret, size_t secret_len, const char *path,
                const char *exp_str, const char *sig_hex, long long now)
{
    return sign_verify_scheme(secret, secret_len, SIGN_MEDIA, path, exp_str, NULL, sig_hex, now);
}

bool sign_is_key_file(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    const char *base = slash ? slash + 1 : path;
    size_t n = base ? strlen(base) : 0;

    return n > 0 && (strcmp(base, "key.bin") == 0 || (n > 4 && strcmp(base + n - 4, ".key") == 0));
}

bool sign_path_is_safe(const char *path)
{
    size_t len;
    const char *seg;

    if (!path || !*path || path[0] == '/')
        return false;
    len = strlen(path);
    if (len > SIGN_PATH_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c == '\\' || c < 0x20 || c == 0x7f)
            return false;
    }
    seg = path;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (!end)
            break;
        seg = end + 1;
    }
    return true;
}

int sign_url_encode_path(const char *path, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    if (!path || !out || cap == 0)
        return BINGE_EINVAL;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == '/') {
            if (o + 1 >= cap)
                return BINGE_ETOOBIG;
            out[o++] = (char)*p;
        } else {
            if (o + 3 >= cap)
                return BINGE_ETOOBIG;
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 0xf];
        }
    }
    out[o] = '\0';
    return 0;
}

static void sbuf_append(struct sbuf *b, const char *s, size_t n)
{
    if (b->err)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->data, cap);
        if (!p) {
            b->err = BINGE_ENOMEM;
            return;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sbuf_puts(struct sbuf *b, const char *s)
{
    sbuf_append(b, s, strlen(s));
}

/* A URI with a scheme ("http:", "data:", ...) or an absolute path does not name a file relative
 * to the playlist, so it is not ours to sign. */
static bool uri_is_foreign(const char *uri, size_t n)
{
    size_t i = 0;

    if (n > 0 && uri[0] == '/')
        return true;
    if (n == 0 || !isalpha((unsigned char)uri[0]))
        return false;
    while (i < n &&
           (isalnum((unsigned char)uri[i]) || uri[i] == '+' || uri[i] == '-' || uri[i] == '.'))
        i++;
    return i < n && uri[i] == ':';
}

/* Resolves uri (still percent-encoded, without query) against the directory of playlist_path and
 * normalises "." and "..". The result is a decoded media path. */
static int resolve_uri(const char *playlist_path, const char *uri, size_t n, char *out, size_t cap)
{
    char joined[SIGN_PATH_MAX + 1];
    const char *slash = strrchr(playlist_path, '/');
    size_t dir_len = slash ? (size_t)(slash - playlist_path) + 1 : 0;
    size_t j = dir_len;
    size_t o = 0;
    char *seg;

    if (dir_len >= sizeof(joined))
        return BINGE_EPARSE;
    memcpy(joined, playlist_path, dir_len);
    for (size_t i = 0; i < n; i++) {
        char c = uri[i];
        if (c == '%') {
            int hi;
            int lo;
            if (i + 2 >= n)
                return BINGE_EPARSE;
            hi = hex_value(uri[i + 1]);
            lo = hex_value(uri[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return BINGE_EPARSE;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (j + 1 >= sizeof(joined))
            return BINGE_EPARSE;
        joined[j++] = c;
    }
    joined[j] = '\0';

    /* Walk the segments, keeping a stack of kept ones in out. */
    seg = joined;
    for (;;) {
        char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0) {
            return BINGE_EPARSE;
        } else if (len == 1 && seg[0] == '.') {
            /* "./x" names x. */
        } else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            if (o == 0)
                return BINGE_EPARSE; /* would climb out of the media directory */
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--; /* drop the separator too */
        } else {
            if (o > 0) {
                if (o + 1 >= cap)
                    return BINGE_EPARSE;
                out[o++] = '/';
            }
            if (o + len >= cap)
                return BINGE_EPARSE;
            memcpy(out + o, seg, len);
            o += len;
        }
        if (!end)
            break;
        seg = end + 1;
    }
    out[o] = '\0';
    return sign_path_is_safe(out) ? 0 : BINGE_EPARSE;
}

/* What every URI of one playlist is signed with. */
struct rewrite {
    const unsigned char *secret;
    size_t secret_len;
    const char *playlist_path;
    long long exp;
    const char *device; /* NULL: unbound URLs */
};

/* Appends the signed replacement for uri[0..n) to b. A key URI of a device-bound playlist
 * becomes a /keys/ URL, every other one a /media/ URL. */
static int emit_uri(struct sbuf *b, const struct rewrite *rw, bool is_key, const char *uri,
                    size_t n)
{
    char resolved[SIGN_PATH_MAX + 1];
    char encoded[3 * SIGN_PATH_MAX + 1];
    char sig[SIGN_HEX_LEN + 1];
    char tail[96 + SIGN_DEVICE_MAX + SIGN_HEX_LEN];
    enum sign_scheme scheme = SIGN_MEDIA;
    size_t path_len = 0;
    int rc;

    if (uri_is_foreign(uri, n)) {
        sbuf_append(b, uri, n);
        return 0;
    }
    /* The server ignores a query or fragment on a media file, so drop it rather than sign it. */
    while (path_len < n && uri[path_len] != '?' && uri[path_len] != '#')
        path_len++;
    rc = resolve_uri(rw->playlist_path, uri, path_len, resolved, sizeof(resolved));
    if (rc < 0)
        return rc;
    if (rw->device)
        scheme = is_key ? SIGN_KEY : SIGN_MEDIA_DEVICE;
    rc =
        sign_compute_scheme(rw->secret, rw->secret_len, scheme, resolved, rw->exp, rw->device, sig);
    if (rc < 0)
        return rc;
    rc = sign_url_encode_path(resolved, encoded, sizeof(encoded));
    if (rc < 0)
        return BINGE_EPARSE;
    if (rw->device)
        snprintf(tail, sizeof(tail), "?exp=%lld&dev=%s&sig=%s", rw->exp, rw->device, sig);
    else
        snprintf(tail, sizeof(tail), "?exp=%lld&sig=%s", rw->exp, sig);
    sbuf_puts(b, scheme == SIGN_KEY ? "/keys/" : "/media/");
    sbuf_puts(b, encoded);
    sbuf_puts(b, tail);
    return 0;
}

static bool tag_is_key(const char *line, size_t n)
{
    static const char *const tags[] = {"#EXT-X-KEY:", "#EXT-X-SESSION-KEY:"};

    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
        size_t tl = strlen(tags[i]);
        if (n >= tl && memcmp(line, tags[i], tl) == 0)
            return true;
    }
    return false;
}

/* Copies a tag line, replacing the value of every quoted URI attribute. Attribute lists are
 * parsed (NAME=VALUE, quoted values may hold commas) so that a URI= inside another attribute's
 * quoted value is never mistaken for one. */
static int emit_tag(struct sbuf *b, const struct rewrite *rw, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    bool is_key = tag_is_key(line, n);
    size_t i;

    if (!colon) {
        sbuf_append(b, line, n);
        return 0;
    }
    i = (size_t)(colon - line) + 1;
    sbuf_append(b, line, i);
    while (i < n) {
        size_t name_start = i;
        size_t name_len;
        while (i < n && line[i] != '=' && line[i] != ',')
            i++;
        name_len = i - name_start;
        sbuf_append(b, line + name_start, name_len);
        if (i < n && line[i] == '=') {
            bool is_uri = name_len == 3 && memcmp(line + name_start, "URI", 3) == 0;
            sbuf_append(b, "=", 1);
            i++;
            if (i < n && line[i] == '"') {
                const char *close = memchr(line + i + 1, '"', n - i - 1);
                size_t vlen;
                if (!close)
                    return BINGE_EPARSE;
                vlen = (size_t)(close - (line + i + 1));
                sbuf_append(b, "\"", 1);
                if (is_uri) {
                    int rc = emit_uri(b, rw, is_key, line + i + 1, vlen);
                    if (rc < 0)
                        return rc;
                } else {
                    sbuf_append(b, line + i + 1, vlen);
                }
                sbuf_append(b, "\"", 1);
                i += vlen + 2;
            } else {
                size_t vstart = i;
                while (i < n && line[i] != ',')
                    i++;
                sbuf_append(b, line + vstart, i - vstart);
            }
        }
        if (i < n && line[i] == ',') {
            sbuf_append(b, ",", 1);
            i++;
        } else if (i < n) {
            /* Junk after a quoted value: keep it verbatim rather than guess. */
            sbuf_append(b, line + i, n - i);
            i = n;
        }
    }
    return 0;
}

int sign_rewrite_playlist_device(const unsigned char *secret, size_t secret_len,
                                 const char *playlist_path, long long exp, const char *device,
                                 const char *in, size_t in_len, char **out, size_t *out_len)
{
    struct rewrite rw = {secret, secret_len, playlist_path, exp, device};
    struct sbuf b = {0};
    size_t pos = 0;
    int rc = 0;

    if (out)
        *out = NULL;
    if (!secret || secret_len == 0 || !playlist_path || !in || !out || !out_len)
        return BINGE_EINVAL;
    if (!sign_path_is_safe(playlist_path) || (device && !sign_device_is_valid(device)))
        return BINGE_EINVAL;
    while (pos < in_len) {
        const char *line = in + pos;
        const char *nl = memchr(line, '\n', in_len - pos);
        size_t n = nl ? (size_t)(nl - line) : in_len - pos;
        size_t t = n;
        size_t s = 0;

        pos += n + (nl ? 1 : 0);
        /* Trailing CR and blanks are not part of a URI. */
        while (t > 0 && (line[t - 1] == '\r' || line[t - 1] == ' ' || line[t - 1] == '\t'))
            t--;
        while (s < t && (line[s] == ' ' || line[s] == '\t'))
            s++;
        if (memchr(line, '\0', n)) {
            rc = BINGE_EPARSE;
            goto fail;
        }
        if (s == t) {
            /* blank line */
        } else if (line[s] == '#') {
            if (t - s > 4 && memcmp(line + s, "#EXT", 4) == 0)
                rc = emit_tag(&b, &rw, line + s, t - s);
            else
                sbuf_append(&b, line + s, t - s);
        } else {
            rc = emit_uri(&b, &rw, false, line + s, t - s);
        }
        if (rc < 0)
            goto fail;
        sbuf_append(&b, "\n", 1);
    }
    if (!b.data)
        sbuf_append(&b, "", 0);
    if (b.err) {
        rc = b.err;
        goto fail;
    }
    *out = b.data;
    *out_len = b.len;
    return 0;

fail:
    free(b.data);
    return rc;
}

int sign_rewrite_playlist(const unsigned char *secret, size_t secret_len, const char *playlist_path,
                          long long exp, const char *in, size_t in_len, char **out, size_t *out_len)
{
    return sign_rewrite_playlist_device(secret, secret_len, playlist_path, exp, NULL, in, in_len,
                                        out, out_len);
}
