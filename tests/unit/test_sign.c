/* Unit tests for server/sign.c: HMAC URL signing (plain, device-bound and key URLs),
 * verification, path safety and the HLS playlist rewrite. Table-driven; most rows must fail. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "binge/error.h"
#include "sign.h"

static const unsigned char key[] = "binge-test-secret";
#define KEY_LEN (sizeof(key) - 1)

static void test_known_answer(void **state)
{
    char sig[SIGN_HEX_LEN + 1];

    /* Computed independently with Python's hmac module, so the message layout
     * "<path>\n<exp>" is pinned down, not just self-consistent. */
    assert_int_equal(sign_compute(key, KEY_LEN, "midnight-heir/01/master.m3u8", 1763700000, sig),
                     0);
    assert_string_equal(sig, "790040b160a6c793f327549d0be743e5bb84f82367df45befc6539493bfef2f4");
    assert_int_equal(sign_compute((const unsigned char *)"k", 1, "a b/c.ts", 0, sig), 0);
    assert_string_equal(sig, "5e2b2a9d9b24d7f07f8a41dd2a7bc0cfc4e77ef6d410000c5e1b5aae3f0efcd4");
}

static void test_compute_bad_args(void **state)
{
    char sig[SIGN_HEX_LEN + 1];
    char long_path[SIGN_PATH_MAX + 2];

    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = '\0';
    assert_int_equal(sign_compute(NULL, 0, "a", 1, sig), BINGE_EINVAL);
    assert_int_equal(sign_compute(key, 0, "a", 1, sig), BINGE_EINVAL);
    assert_int_equal(sign_compute(key, KEY_LEN, NULL, 1, sig), BINGE_EINVAL);
    assert_int_equal(sign_compute(key, KEY_LEN, "a", 1, NULL), BINGE_EINVAL);
    assert_int_equal(sign_compute(key, KEY_LEN, long_path, 1, sig), BINGE_EINVAL);
}

/* How a row derives the signature it presents from the genuine one. */
enum sig_mutation {
    SIG_GENUINE,
    SIG_UPPERCASE,  /* same bytes in upper-case hex */
    SIG_FLIP_FIRST, /* first hex digit changed */
    SIG_FLIP_LAST,  /* last hex digit changed */
    SIG_TRUNCATED,  /* 63 digits */
    SIG_EXTENDED,   /* 65 digits */
    SIG_EMPTY,      /* "" */
    SIG_GARBAGE,    /* 64 non-hex characters */
    SIG_MISSING,    /* NULL */
    SIG_OTHER_KEY,  /* genuine HMAC under a different key */
};

struct verify_row {
    const char *name;
    const char *path;      /* path that was signed */
    long long exp;         /* exp that was signed */
    const char *req_path;  /* path presented; NULL: same as path */
    const char *req_exp;   /* exp presented; NULL: the signed exp in decimal */
    bool req_exp_missing;  /* present no exp at all */
    enum sig_mutation sig; /* signature presented */
    long long now;
    int want;
};

static const struct verify_row verify_rows[] = {
    {"genuine", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_GENUINE, 999, 0},
    {"genuine at the last second", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_GENUINE, 1000,
     0},
    {"upper-case hex is the same signature", "s/01/v0/seg00000.ts", 1000, NULL, NULL, false,
     SIG_UPPERCASE, 0, 0},
    {"expired by one second", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_GENUINE, 1001,
     BINGE_ETIMEDOUT},
    {"expired long ago", "s/01/master.m3u8", 0, NULL, NULL, false, SIG_GENUINE, 1763700000,
     BINGE_ETIMEDOUT},
    {"tampered sig, first digit", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_FLIP_FIRST, 0,
     BINGE_EINVAL},
    {"tampered sig, last digit", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_FLIP_LAST, 0,
     BINGE_EINVAL},
    {"tampered path, other episode", "s/01/master.m3u8", 1000, "s/02/master.m3u8", NULL, false,
     SIG_GENUINE, 0, BINGE_EINVAL},
    {"tampered path, extra suffix", "s/01/master.m3u8", 1000, "s/01/master.m3u8x", NULL, false,
     SIG_GENUINE, 0, BINGE_EINVAL},
    {"tampered path, empty", "s/01/master.m3u8", 1000, "", NULL, false, SIG_GENUINE, 0,
     BINGE_EINVAL},
    {"tampered exp, later", "s/01/master.m3u8", 1000, NULL, "2000", false, SIG_GENUINE, 0,
     BINGE_EINVAL},
    {"tampered exp on an expired URL is still tampering", "s/01/master.m3u8", 1000, NULL,
     "999999999", false, SIG_GENUINE, 5000, BINGE_EINVAL},
    {"exp with a sign", "s/01/master.m3u8", 1000, NULL, "+1000", false, SIG_GENUINE, 0,
     BINGE_EINVAL},
    {"exp negative", "s/01/master.m3u8", -5, NULL, "-5", false, SIG_GENUINE, -10, BINGE_EINVAL},
    {"exp with a space", "s/01/master.m3u8", 1000, NULL, " 1000", false, SIG_GENUINE, 0,
     BINGE_EINVAL},
    {"exp with trailing junk", "s/01/master.m3u8", 1000, NULL, "1000abc", false, SIG_GENUINE, 0,
     BINGE_EINVAL},
    {"exp empty", "s/01/master.m3u8", 1000, NULL, "", false, SIG_GENUINE, 0, BINGE_EINVAL},
    {"exp overflowing int64", "s/01/master.m3u8", 1000, NULL, "99999999999999999999", false,
     SIG_GENUINE, 0, BINGE_EINVAL},
    {"exp missing", "s/01/master.m3u8", 1000, NULL, NULL, true, SIG_GENUINE, 0, BINGE_EINVAL},
    {"sig truncated", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_TRUNCATED, 0, BINGE_EINVAL},
    {"sig extended", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_EXTENDED, 0, BINGE_EINVAL},
    {"sig empty", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_EMPTY, 0, BINGE_EINVAL},
    {"sig garbage", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_GARBAGE, 0, BINGE_EINVAL},
    {"sig missing", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_MISSING, 0, BINGE_EINVAL},
    {"sig from another key", "s/01/master.m3u8", 1000, NULL, NULL, false, SIG_OTHER_KEY, 0,
     BINGE_EINVAL},
};

static const char *mutate_sig(enum sig_mutation m, const struct verify_row *row, char *buf,
                              size_t cap)
{
    char genuine[SIGN_HEX_LEN + 1];

    assert_int_equal(sign_compute(key, KEY_LEN, row->path, row->exp, genuine), 0);
    snprintf(buf, cap, "%s", genuine);
    switch (m) {
    case SIG_GENUINE:
        break;
    case SIG_UPPERCASE:
        for (char *p = buf; *p; p++)
            if (*p >= 'a' && *p <= 'f')
                *p = (char)(*p - 'a' + 'A');
        break;
    case SIG_FLIP_FIRST:
        buf[0] = buf[0] == '0' ? '1' : '0';
        break;
    case SIG_FLIP_LAST:
        buf[SIGN_HEX_LEN - 1] = buf[SIGN_HEX_LEN - 1] == '0' ? '1' : '0';
        break;
    case SIG_TRUNCATED:
        buf[SIGN_HEX_LEN - 1] = '\0';
        break;
    case SIG_EXTENDED:
        snprintf(buf, cap, "%s0", genuine);
        break;
    case SIG_EMPTY:
        buf[0] = '\0';
        break;
    case SIG_GARBAGE:
        memset(buf, 'z', SIGN_HEX_LEN);
        buf[SIGN_HEX_LEN] = '\0';
        break;
    case SIG_MISSING:
        return NULL;
    case SIG_OTHER_KEY:
        assert_int_equal(sign_compute((const unsigned char *)"other", 5, row->path, row->exp, buf),
                         0);
        break;
    }
    return buf;
}

static void test_verify_table(void **state)
{
    for (size_t i = 0; i < sizeof(verify_rows) / sizeof(verify_rows[0]); i++) {
        const struct verify_row *row = &verify_rows[i];
        char sig[2 * SIGN_HEX_LEN];
        char exp[32];
        const char *req_exp = row->req_exp;
        const char *req_sig = mutate_sig(row->sig, row, sig, sizeof(sig));
        int rc;

        if (!req_exp) {
            snprintf(exp, sizeof(exp), "%lld", row->exp);
            req_exp = exp;
        }
        if (row->req_exp_missing)
            req_exp = NULL;
        rc = sign_verify(key, KEY_LEN, row->req_path ? row->req_path : row->path, req_exp, req_sig,
                         row->now);
        if (rc != row->want)
            fail_msg("row \"%s\": sign_verify returned %d, want %d", row->name, rc, row->want);
    }
}

struct path_row {
    const char *path;
    bool safe;
};

static const struct path_row path_rows[] = {
    {"midnight-heir/01/master.m3u8", true},
    {"a", true},
    {"a/b.c/d..e", true},
    {"...", true},
    {".hidden", true},
    {"", false},
    {"/etc/passwd", false},
    {"..", false},
    {"../catalog.json", false},
    {"a/../../etc/passwd", false},
    {"a/..", false},
    {"a/./b", false},
    {".", false},
    {"a//b", false},
    {"a/", false},
    {"a\\..\\b", false},
    {"a\\b", false},
    {"a\nb", false},
    {"a\tb", false},
    {"a\x7f", false},
};

static void test_path_table(void **state)
{
    char long_path[SIGN_PATH_MAX + 2];

    for (size_t i = 0; i < sizeof(path_rows) / sizeof(path_rows[0]); i++) {
        if (sign_path_is_safe(path_rows[i].path) != path_rows[i].safe)
            fail_msg("path \"%s\" should be %s", path_rows[i].path,
                     path_rows[i].safe ? "safe" : "rejected");
    }
    assert_false(sign_path_is_safe(NULL));
    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = '\0';
    assert_false(sign_path_is_safe(long_path));
    long_path[SIGN_PATH_MAX] = '\0';
    assert_true(sign_path_is_safe(long_path));
}

static void test_url_encode(void **state)
{
    char out[64];

    assert_int_equal(sign_url_encode_path("a/b-c_d.e~f", out, sizeof(out)), 0);
    assert_string_equal(out, "a/b-c_d.e~f");
    assert_int_equal(sign_url_encode_path("a b/c?d#e%&", out, sizeof(out)), 0);
    assert_string_equal(out, "a%20b/c%3Fd%23e%25%26");
    assert_int_equal(sign_url_encode_path("\xc3\xa9", out, sizeof(out)), 0);
    assert_string_equal(out, "%C3%A9");
    assert_int_equal(sign_url_encode_path("abcd", out, 4), BINGE_ETOOBIG);
    assert_int_equal(sign_url_encode_path(" ", out, 3), BINGE_ETOOBIG);
}

/* Expected playlists use "@path@" for "/media/<path>?exp=<exp>&sig=<sig of path>", so the table
 * states which resolved path each URI must be signed as. */
struct playlist_row {
    const char *name;
    const char *playlist_path;
    const char *in;
    const char *want; /* NULL when the rewrite must fail */
    int want_rc;
};

static const struct playlist_row playlist_rows[] = {
    {"master", "s/01/master.m3u8",
     "#EXTM3U\n#EXT-X-VERSION:6\n"
     "#EXT-X-STREAM-INF:BANDWIDTH=235400,RESOLUTION=180x320,CODECS=\"avc1.4d401e,mp4a.40.2\"\n"
     "v0/index.m3u8\n",
     "#EXTM3U\n#EXT-X-VERSION:6\n"
     "#EXT-X-STREAM-INF:BANDWIDTH=235400,RESOLUTION=180x320,CODECS=\"avc1.4d401e,mp4a.40.2\"\n"
     "@s/01/v0/index.m3u8@\n",
     0},
    {"media playlist, CRLF and a blank line", "s/01/v0/index.m3u8",
     "#EXTM3U\r\n#EXT-X-TARGETDURATION:2\r\n\r\n#EXTINF:2.000000,\r\nseg00000.ts\r\n"
     "#EXTINF:1.0,\r\n  seg00001.ts  \r\n#EXT-X-ENDLIST\r\n",
     "#EXTM3U\n#EXT-X-TARGETDURATION:2\n\n#EXTINF:2.000000,\n@s/01/v0/seg00000.ts@\n"
     "#EXTINF:1.0,\n@s/01/v0/seg00001.ts@\n#EXT-X-ENDLIST\n",
     0},
    {"URI attributes of KEY, MAP and MEDIA", "s/01/v0/index.m3u8",
     "#EXT-X-KEY:METHOD=AES-128,URI=\"../keys/k1.key\",IV=0x01\n"
     "#EXT-X-MAP:URI=\"init.mp4\"\n"
     "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en,URI=x\",URI=\"../a/en.m3u8\"\n",
     "#EXT-X-KEY:METHOD=AES-128,URI=\"@s/01/keys/k1.key@\",IV=0x01\n"
     "#EXT-X-MAP:URI=\"@s/01/v0/init.mp4@\"\n"
     "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en,URI=x\",URI=\"@s/01/a/en.m3u8@\"\n",
     0},
    {"attribute named like URI is left alone", "s/p.m3u8",
     "#EXT-X-SESSION-DATA:DATA-ID=\"x\",XURI=\"y.ts\"\n",
     "#EXT-X-SESSION-DATA:DATA-ID=\"x\",XURI=\"y.ts\"\n", 0},
    {"foreign URIs are kept", "s/p.m3u8",
     "https://cdn.example/seg.ts\n/other/abs.ts\n#EXT-X-KEY:METHOD=AES-128,URI=\"skd://k\"\n",
     "https://cdn.example/seg.ts\n/other/abs.ts\n#EXT-X-KEY:METHOD=AES-128,URI=\"skd://k\"\n", 0},
    {"query and fragment are dropped, ./ folded", "s/01/p.m3u8", "./v0/a.ts?x=1#f\n",
     "@s/01/v0/a.ts@\n", 0},
    {"percent-encoded URI is decoded then re-encoded", "s/p.m3u8", "a%20b.ts\n",
     "/media/s/a%20b.ts?exp=100&sig=@@s/a b.ts@\n", 0},
    {"comments and unknown tags pass through", "p.m3u8", "# a comment\n#EXT-X-FOO\n",
     "# a comment\n#EXT-X-FOO\n", 0},
    {"playlist at the media root", "p.m3u8", "a.ts", "@a.ts@\n", 0},
    {"empty playlist", "p.m3u8", "", "", 0},
    {"URI climbing out of the media dir", "s/01/master.m3u8", "../../../etc/passwd\n", NULL,
     BINGE_EPARSE},
    {"URI attribute climbing out", "s/p.m3u8", "#EXT-X-KEY:METHOD=AES-128,URI=\"../../k\"\n", NULL,
     BINGE_EPARSE},
    {"URI with a backslash", "s/p.m3u8", "a\\b.ts\n", NULL, BINGE_EPARSE},
    {"URI with an encoded NUL", "s/p.m3u8", "a%00.ts\n", NULL, BINGE_EPARSE},
    {"URI with a bad escape", "s/p.m3u8", "a%zz.ts\n", NULL, BINGE_EPARSE},
    {"URI with a truncated escape", "s/p.m3u8", "a%2\n", NULL, BINGE_EPARSE},
    {"URI with an empty segment", "s/p.m3u8", "a//b.ts\n", NULL, BINGE_EPARSE},
    {"unterminated quoted attribute", "s/p.m3u8", "#EXT-X-MAP:URI=\"init.mp4\n", NULL,
     BINGE_EPARSE},
};

/* Expands "@path@" into the signed URL; "@@path@" signs path but emits nothing (for rows that
 * spell the URL out themselves). */
static char *expand_expected(const char *tmpl, long long exp)
{
    size_t cap = strlen(tmpl) * 4 + 1024;
    char *out = malloc(cap);
    size_t o = 0;

    assert_non_null(out);
    while (*tmpl) {
        if (*tmpl == '@') {
            bool sig_only = tmpl[1] == '@';
            const char *start = tmpl + (sig_only ? 2 : 1);
            const char *end = strchr(start, '@');
            char path[256];
            char sig[SIGN_HEX_LEN + 1];
            assert_non_null(end);
            snprintf(path, sizeof(path), "%.*s", (int)(end - start), start);
            assert_int_equal(sign_compute(key, KEY_LEN, path, exp, sig), 0);
            if (sig_only)
                o += (size_t)snprintf(out + o, cap - o, "%s", sig);
            else
                o +=
                    (size_t)snprintf(out + o, cap - o, "/media/%s?exp=%lld&sig=%s", path, exp, sig);
            tmpl = end + 1;
        } else {
            out[o++] = *tmpl++;
        }
    }
    out[o] = '\0';
    return out;
}

static void test_playlist_table(void **state)
{
    for (size_t i = 0; i < sizeof(playlist_rows) / sizeof(playlist_rows[0]); i++) {
        const struct playlist_row *row = &playlist_rows[i];
        char *out = (char *)"unset";
        size_t len = 0;
        int rc = sign_rewrite_playlist(key, KEY_LEN, row->playlist_path, 100, row->in,
                                       strlen(row->in), &out, &len);

        if (rc != row->want_rc)
            fail_msg("row \"%s\": rc %d, want %d", row->name, rc, row->want_rc);
        if (row->want) {
            char *want = expand_expected(row->want, 100);
            if (strcmp(out, want) != 0)
                fail_msg("row \"%s\":\n got: %s\nwant: %s", row->name, out, want);
            assert_int_equal(len, strlen(out));
            free(want);
            free(out);
        } else if (out != NULL) {
            fail_msg("row \"%s\": failed rewrite must leave *out NULL", row->name);
        }
    }
}

static void test_playlist_rewrite_verifies(void **state)
{
    const char *in = "#EXTM3U\n#EXTINF:2,\nseg00000.ts\n";
    char *out = NULL;
    size_t len = 0;
    char *url;
    char *exp;
    char *sig;

    /* What the rewrite emits must be accepted by sign_verify, closing the loop. */
    assert_int_equal(
        sign_rewrite_playlist(key, KEY_LEN, "s/01/v0/index.m3u8", 4242, in, strlen(in), &out, &len),
        0);
    url = strstr(out, "/media/s/01/v0/seg00000.ts?exp=");
    assert_non_null(url);
    exp = strstr(url, "exp=") + 4;
    sig = strstr(url, "&sig=");
    assert_non_null(sig);
    *sig = '\0';
    sig += 5;
    sig[SIGN_HEX_LEN] = '\0';
    assert_string_equal(exp, "4242");
    assert_int_equal(sign_verify(key, KEY_LEN, "s/01/v0/seg00000.ts", exp, sig, 4242), 0);
    assert_int_equal(sign_verify(key, KEY_LEN, "s/01/v0/seg00001.ts", exp, sig, 4242),
                     BINGE_EINVAL);
    free(out);
}

static void test_playlist_bad_args(void **state)
{
    char *out = NULL;
    size_t len;

    assert_int_equal(sign_rewrite_playlist(NULL, 0, "p.m3u8", 1, "", 0, &out, &len), BINGE_EINVAL);
    assert_int_equal(sign_rewrite_playlist(key, KEY_LEN, "../p.m3u8", 1, "", 0, &out, &len),
                     BINGE_EINVAL);
    assert_int_equal(sign_rewrite_playlist(key, KEY_LEN, "p.m3u8", 1, "a\0b", 3, &out, &len),
                     BINGE_EPARSE);
    assert_null(out);
}

static void test_scheme_known_answers(void **state)
{
    char sig[SIGN_HEX_LEN + 1];

    /* Computed independently with Python's hmac module: "<path>\n<exp>\n<device>" and
     * "key\n<path>\n<exp>\n<device>". */
    assert_int_equal(sign_compute_scheme(key, KEY_LEN, SIGN_MEDIA_DEVICE,
                                         "midnight-heir/03/master.m3u8", 1763700000, "tv-1234",
                                         sig),
                     0);
    assert_string_equal(sig, "85dbb5ec88f0ac09b76ef4b706e2c356d034526e2c3a62dcd4d3a70417869db0");
    assert_int_equal(sign_compute_scheme(key, KEY_LEN, SIGN_KEY, "midnight-heir/03/key.bin",
                                         1763700000, "tv-1234", sig),
                     0);
    assert_string_equal(sig, "ef1a3d34bac4b243ee33d9eaf48f3c945b2e0b5bd168ba823ed3235b20aede5d");
    /* SIGN_MEDIA ignores the device and is sign_compute. */
    assert_int_equal(sign_compute_scheme(key, KEY_LEN, SIGN_MEDIA, "midnight-heir/01/master.m3u8",
                                         1763700000, "ignored", sig),
                     0);
    assert_string_equal(sig, "790040b160a6c793f327549d0be743e5bb84f82367df45befc6539493bfef2f4");
}

struct scheme_row {
    const char *name;
    enum sign_scheme signed_as;
    const char *signed_device;
    enum sign_scheme checked_as;
    const char *checked_device;
    long long now;
    int want;
};

static const struct scheme_row scheme_rows[] = {
    {"device URL", SIGN_MEDIA_DEVICE, "tv-1", SIGN_MEDIA_DEVICE, "tv-1", 10, 0},
    {"key URL", SIGN_KEY, "tv-1", SIGN_KEY, "tv-1", 10, 0},
    {"key URL expired", SIGN_KEY, "tv-1", SIGN_KEY, "tv-1", 101, BINGE_ETIMEDOUT},
    {"another device", SIGN_MEDIA_DEVICE, "tv-1", SIGN_MEDIA_DEVICE, "tv-2", 10, BINGE_EINVAL},
    {"key URL for another device", SIGN_KEY, "tv-1", SIGN_KEY, "tv-2", 10, BINGE_EINVAL},
    {"media signature used as a key URL", SIGN_MEDIA_DEVICE, "tv-1", SIGN_KEY, "tv-1", 10,
     BINGE_EINVAL},
    {"key signature used as media", SIGN_KEY, "tv-1", SIGN_MEDIA_DEVICE, "tv-1", 10, BINGE_EINVAL},
    {"plain signature with a device added", SIGN_MEDIA, NULL, SIGN_MEDIA_DEVICE, "tv-1", 10,
     BINGE_EINVAL},
    {"device signature with the device dropped", SIGN_MEDIA_DEVICE, "tv-1", SIGN_MEDIA, NULL, 10,
     BINGE_EINVAL},
    {"device with a newline", SIGN_MEDIA_DEVICE, "tv-1", SIGN_MEDIA_DEVICE, "tv-1\nx", 10,
     BINGE_EINVAL},
    {"device with a space", SIGN_KEY, "tv-1", SIGN_KEY, "tv 1", 10, BINGE_EINVAL},
    {"empty device", SIGN_KEY, "tv-1", SIGN_KEY, "", 10, BINGE_EINVAL},
    {"missing device", SIGN_KEY, "tv-1", SIGN_KEY, NULL, 10, BINGE_EINVAL},
};

static void test_scheme_table(void **state)
{
    for (size_t i = 0; i < sizeof(scheme_rows) / sizeof(scheme_rows[0]); i++) {
        const struct scheme_row *row = &scheme_rows[i];
        char sig[SIGN_HEX_LEN + 1];
        int rc;

        assert_int_equal(sign_compute_scheme(key, KEY_LEN, row->signed_as, "s/03/key.bin", 100,
                                             row->signed_device, sig),
                         0);
        rc = sign_verify_scheme(key, KEY_LEN, row->checked_as, "s/03/key.bin", "100",
                                row->checked_device, sig, row->now);
        if (rc != row->want)
            fail_msg("row \"%s\": %d, want %d", row->name, rc, row->want);
    }
}

static void test_device_and_key_names(void **state)
{
    static const struct {
        const char *s;
        bool device;
        bool key_file;
    } rows[] = {
        {"tv-1234", true, false},
        {"A.b_c:d-e", true, false},
        {"", false, false},
        {"tv 1", false, false},
        {"tv&dev=x", false, false},
        {"s/01/key.bin", false, true},
        {"key.bin", true, true},
        {"s/01/v0/k1.key", false, true},
        {"s/01/key.bin.ts", false, false},
        {"s/01/notkey.bin", false, false},
        {"s/01/.key", false, false},
        {"s/01/seg00000.ts", false, false},
    };
    char long_dev[SIGN_DEVICE_MAX + 2];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (sign_device_is_valid(rows[i].s) != rows[i].device)
            fail_msg("device \"%s\"", rows[i].s);
        if (sign_is_key_file(rows[i].s) != rows[i].key_file)
            fail_msg("key file \"%s\"", rows[i].s);
    }
    assert_false(sign_device_is_valid(NULL));
    assert_false(sign_is_key_file(NULL));
    memset(long_dev, 'd', sizeof(long_dev) - 1);
    long_dev[sizeof(long_dev) - 1] = '\0';
    assert_false(sign_device_is_valid(long_dev));
    long_dev[SIGN_DEVICE_MAX] = '\0';
    assert_true(sign_device_is_valid(long_dev));
}

/* A device-bound rewrite: every URI carries the device, key URIs become /keys/ URLs, and each
 * one verifies under its own scheme only. */
static void test_playlist_device(void **state)
{
    const char *in = "#EXTM3U\n"
                     "#EXT-X-KEY:METHOD=AES-128,URI=\"../key.bin\",IV=0x0\n"
                     "#EXT-X-SESSION-KEY:METHOD=AES-128,URI=\"../key.bin\"\n"
                     "#EXT-X-MAP:URI=\"init.mp4\"\n"
                     "#EXTINF:2,\nseg00000.ts\n";
    static const struct {
        const char *url;
        enum sign_scheme scheme;
        const char *path;
    } want[] = {
        {"#EXT-X-KEY:METHOD=AES-128,URI=\"/keys/s/01/key.bin?exp=77&dev=tv-9&sig=", SIGN_KEY,
         "s/01/key.bin"},
        {"#EXT-X-SESSION-KEY:METHOD=AES-128,URI=\"/keys/s/01/key.bin?exp=77&dev=tv-9&sig=",
         SIGN_KEY, "s/01/key.bin"},
        {"#EXT-X-MAP:URI=\"/media/s/01/v0/init.mp4?exp=77&dev=tv-9&sig=", SIGN_MEDIA_DEVICE,
         "s/01/v0/init.mp4"},
        {"\n/media/s/01/v0/seg00000.ts?exp=77&dev=tv-9&sig=", SIGN_MEDIA_DEVICE,
         "s/01/v0/seg00000.ts"},
    };
    char *out = NULL;
    size_t len = 0;

    assert_int_equal(sign_rewrite_playlist_device(key, KEY_LEN, "s/01/v0/index.m3u8", 77, "tv-9",
                                                  in, strlen(in), &out, &len),
                     0);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const char *p = strstr(out, want[i].url);
        char sig[SIGN_HEX_LEN + 1];
        if (!p)
            fail_msg("no \"%s\" in:\n%s", want[i].url, out);
        snprintf(sig, sizeof(sig), "%s", p + strlen(want[i].url));
        assert_int_equal(
            sign_verify_scheme(key, KEY_LEN, want[i].scheme, want[i].path, "77", "tv-9", sig, 77),
            0);
        assert_int_equal(
            sign_verify_scheme(key, KEY_LEN,
                               want[i].scheme == SIGN_KEY ? SIGN_MEDIA_DEVICE : SIGN_KEY,
                               want[i].path, "77", "tv-9", sig, 77),
            BINGE_EINVAL);
    }
    assert_null(strstr(out, "/media/s/01/key.bin"));
    free(out);
    /* No device: the plain rewrite, where a key URI is an ordinary (refused) media URL. */
    assert_int_equal(sign_rewrite_playlist_device(key, KEY_LEN, "s/01/v0/index.m3u8", 77, NULL, in,
                                                  strlen(in), &out, &len),
                     0);
    assert_non_null(strstr(out, "URI=\"/media/s/01/key.bin?exp=77&sig="));
    assert_null(strstr(out, "dev="));
    free(out);
    out = NULL;
    assert_int_equal(sign_rewrite_playlist_device(key, KEY_LEN, "s/01/v0/index.m3u8", 77, "tv 9",
                                                  in, strlen(in), &out, &len),
                     BINGE_EINVAL);
    assert_null(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_compute_bad_args),
        cmocka_unit_test(test_verify_table),
        cmocka_unit_test(test_path_table),
        cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_playlist_table),
        cmocka_unit_test(test_playlist_rewrite_verifies),
        cmocka_unit_test(test_playlist_bad_args),
        cmocka_unit_test(test_scheme_known_answers),
        cmocka_unit_test(test_scheme_table),
        cmocka_unit_test(test_device_and_key_names),
        cmocka_unit_test(test_playlist_device),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
