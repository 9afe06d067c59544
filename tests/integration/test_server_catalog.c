/* binge-server v1, the catalog: shelves and genres (their languages: test_server_lang.c), ETag and
 * 304 on home, series and wallet, search, AES-128 keys served only to an entitled device (and
 * an encrypted episode played through gst-launch-1.0 playbin3), and the per-device rate limit. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "sign.h"
#include "test_server_common.h"

#define PLAYBACK_TIMEOUT_S 120

struct suite {
    char tmpdir[512];
    struct ts_server srv;
};

static struct ts_server *srv_of(void **state)
{
    return &((struct suite *)*state)->srv;
}

static int suite_setup(void **state)
{
    static const char *const extra[] = {"--dev",     "--rate-limit", "0",
                                        "--url-ttl", "31536000",     NULL};
    struct suite *st = calloc(1, sizeof(*st));

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0)
        return -1;
    return ts_server_start(&st->srv, st->tmpdir, "catalog.db", extra);
}

static int suite_teardown(void **state)
{
    struct suite *st = *state;
    int rc = 0;

    if (!st)
        return 0;
    if (st->srv.pid > 0 && ts_server_stop(&st->srv) != 0)
        rc = -1;
    ts_suite_cleanup(st->tmpdir);
    free(st);
    return rc;
}

static const cJSON *shelf(const cJSON *home, const char *id)
{
    const cJSON *sh;

    cJSON_ArrayForEach(sh, cJSON_GetObjectItemCaseSensitive(home, "shelves"))
    {
        if (strcmp(ts_str(sh, "id"), id) == 0)
            return sh;
    }
    fail_msg("no shelf \"%s\"", id);
    return NULL;
}

static const char *item_ids(const cJSON *sh)
{
    static char out[512];
    const cJSON *item;
    size_t o = 0;

    out[0] = '\0';
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(sh, "items"))
    {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "," : "", ts_str(item, "id"));
    }
    return out;
}

static void test_home_shelves(void **state)
{
    struct ts_server *s = srv_of(state);
    cJSON *doc =
        ts_json(&(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/home", s->base)}, 200);
    const cJSON *shelves = cJSON_GetObjectItemCaseSensitive(doc, "shelves");
    static const char *const order[] = {"trending",    "new",           "genre-romance",
                                        "genre-drama", "genre-revenge", "genre-fantasy"};
    const cJSON *sh;
    int i = 0;

    /* trending, new, then every genre (at least 3) in order of first appearance. */
    assert_int_equal(cJSON_GetArraySize(shelves), 6);
    cJSON_ArrayForEach(sh, shelves)
    {
        assert_string_equal(ts_str(sh, "id"), order[i++]);
        assert_true(strlen(ts_str(sh, "title")) > 0);
    }
    assert_string_equal(item_ids(shelf(doc, "trending")),
                        "midnight-heir,revenge-ceo,palace-secrets");
    assert_string_equal(item_ids(shelf(doc, "new")), "palace-secrets,revenge-ceo,midnight-heir");
    assert_string_equal(item_ids(shelf(doc, "genre-romance")), "midnight-heir,palace-secrets");
    assert_string_equal(item_ids(shelf(doc, "genre-drama")), "midnight-heir,revenge-ceo");
    assert_string_equal(item_ids(shelf(doc, "genre-revenge")), "revenge-ceo");
    assert_string_equal(ts_str(shelf(doc, "genre-romance"), "title"), "Romance");
    /* The item shape the client parses. */
    cJSON_ArrayForEach(sh, shelves)
    {
        const cJSON *item;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(sh, "items"))
        {
            assert_true(strlen(ts_str(item, "title")) > 0);
            assert_non_null(strstr(ts_str(item, "poster_url"), "/images/"));
            assert_int_equal((int)ts_num(item, "episode_count"), 9);
        }
    }
    cJSON_Delete(doc);
}

/* Checks that url carries an ETag, that it revalidates to a bodiless 304, and returns it. */
static const char *check_etag(const char *url, const char *token, const char *lang)
{
    static char etag[128];
    struct ts_response r;

    ts_http(&(struct ts_request){.method = "GET", .url = url, .token = token, .headers = {lang}},
            &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.etag[0], '"');
    snprintf(etag, sizeof(etag), "%s", r.etag);
    ts_response_free(&r);
    /* The header list ends at the first NULL: the language goes last. */
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = url,
                                 .token = token,
                                 .headers = {ts_fmt("If-None-Match: %s", etag), lang}},
            &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.len, 0);
    ts_response_free(&r);
    return etag;
}

static long status_with(const char *url, const char *token, const char *etag)
{
    struct ts_response r;
    long status;

    ts_http(&(struct ts_request){.method = "GET",
                                 .url = url,
                                 .token = token,
                                 .headers = {ts_fmt("If-None-Match: %s", etag)}},
            &r);
    status = r.status;
    ts_response_free(&r);
    return status;
}

static void test_etag_304(void **state)
{
    struct ts_server *s = srv_of(state);
    char home[128];
    char series[128];
    char wallet[128];
    char token[65];
    char e_home[128];
    char e_home_ja[128];
    char e_series[128];
    char e_wallet[128];

    /* Own copies: ts_fmt's buffers are reused. */
    snprintf(home, sizeof(home), "%s/v1/home", s->base);
    snprintf(series, sizeof(series), "%s/v1/series/revenge-ceo", s->base);
    snprintf(wallet, sizeof(wallet), "%s/v1/wallet", s->base);
    ts_register(s, "c-etag", token);
    snprintf(e_home, sizeof(e_home), "%s", check_etag(home, token, NULL));
    snprintf(e_home_ja, sizeof(e_home_ja), "%s", check_etag(home, token, "Accept-Language: ja"));
    snprintf(e_series, sizeof(e_series), "%s", check_etag(series, token, NULL));
    snprintf(e_wallet, sizeof(e_wallet), "%s", check_etag(wallet, token, NULL));
    /* The language is part of it. */
    assert_string_not_equal(e_home, e_home_ja);
    /* So is the device: another viewer's wallet does not match. */
    {
        char other[65];
        ts_register(s, "c-etag-2", other);
        ts_buy(s, other, "coins-60");
        assert_int_equal(status_with(wallet, other, e_wallet), 200);
    }
    /* State changes change them: an unlock (series), a check-in (wallet), progress (home). */
    ts_buy(s, token, "coins-60");
    assert_int_equal(status_with(wallet, token, e_wallet), 200);
    snprintf(e_wallet, sizeof(e_wallet), "%s", check_etag(wallet, token, NULL));
    cJSON_Delete(
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/episodes/revenge-ceo-3/unlock", s->base),
                                     .token = token,
                                     .body = "{\"method\":\"coins\",\"idempotency_key\":"
                                             "\"e-1\"}"},
                200));
    assert_int_equal(status_with(series, token, e_series), 200);
    assert_int_equal(status_with(wallet, token, e_wallet), 200);
    assert_int_equal(status_with(home, token, e_home), 304);
    cJSON_Delete(
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/progress", s->base),
                                     .token = token,
                                     .body = "{\"items\":[{\"episode_id\":\"revenge-ceo-"
                                             "3\",\"position_ms\":10,\"duration_ms\":"
                                             "3000,\"updated_at\":1,\"event_id\":\"e\"}]}"},
                200));
    assert_int_equal(status_with(home, token, e_home), 200);
    /* An anonymous home is the same for everyone. */
    assert_int_equal(status_with(home, NULL, check_etag(home, NULL, NULL)), 304);
}

/* POST /v1/progress with one item. */
static void report(const struct ts_server *s, const char *token, const char *episode, long pos,
                   long dur, long updated_at, const char *event)
{
    cJSON_Delete(ts_json(
        &(struct ts_request){
            .method = "POST",
            .url = ts_fmt("%s/v1/progress", s->base),
            .token = token,
            .body = ts_fmt("{\"items\":[{\"episode_id\":\"%s\",\"position_ms\":%ld,"
                           "\"duration_ms\":%ld,\"updated_at\":%ld,\"event_id\":\"%s\"}]}",
                           episode, pos, dur, updated_at, event)},
        200));
}

/* "position_ms:watched" of each episode of a series, as the caller sees it. */
static const char *episode_progress(const struct ts_server *s, const char *series,
                                    const char *token)
{
    static char out[512];
    cJSON *doc = ts_json(&(struct ts_request){.method = "GET",
                                              .url = ts_fmt("%s/v1/series/%s", s->base, series),
                                              .token = token},
                         200);
    const cJSON *ep;
    size_t o = 0;

    out[0] = '\0';
    cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(doc, "episodes"))
    {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.0f:%d", o ? "," : "",
                              ts_num(ep, "position_ms"), ts_bool(ep, "watched"));
    }
    cJSON_Delete(doc);
    return out;
}

/* Each episode of GET /v1/series/{id} carries the caller's watched progress: the stored
 * position and whether it was finished (95% of the duration reported, or of the catalog's when
 * none was). Another viewer and an anonymous one see none of it. */
static void test_episode_progress(void **state)
{
    struct ts_server *s = srv_of(state);
    char token[65];
    char other[65];

    ts_register(s, "c-progress", token);
    ts_register(s, "c-progress-2", other);
    assert_string_equal(episode_progress(s, "palace-secrets", token),
                        "0:0,0:0,0:0,0:0,0:0,0:0,0:0,0:0,0:0");
    report(s, token, "palace-secrets-1", 2900, 3000, 1, "p-1"); /* 96.7%: watched */
    report(s, token, "palace-secrets-2", 1500, 3000, 1, "p-2"); /* half */
    report(s, token, "palace-secrets-3", 2849, 3000, 1, "p-3"); /* 94.9%: not yet */
    report(s, token, "palace-secrets-4", 2900, 0, 1, "p-4");    /* no duration: the catalog's 3 s */
    report(s, token, "palace-secrets-5", 100, 3000, 1, "p-5");
    assert_string_equal(episode_progress(s, "palace-secrets", token),
                        "2900:1,1500:0,2849:0,2900:1,100:0,0:0,0:0,0:0,0:0");
    /* Watched again from the start: the position stored is what counts. */
    report(s, token, "palace-secrets-1", 200, 3000, 2, "p-6");
    assert_string_equal(episode_progress(s, "palace-secrets", token),
                        "200:0,1500:0,2849:0,2900:1,100:0,0:0,0:0,0:0,0:0");
    assert_string_equal(episode_progress(s, "palace-secrets", other),
                        "0:0,0:0,0:0,0:0,0:0,0:0,0:0,0:0,0:0");
    assert_string_equal(episode_progress(s, "palace-secrets", NULL),
                        "0:0,0:0,0:0,0:0,0:0,0:0,0:0,0:0,0:0");
}

static const char *search(const struct ts_server *s, const char *q, const char *lang, long want)
{
    static char out[512];
    cJSON *doc = ts_json(&(struct ts_request){.method = "GET",
                                              .url = ts_fmt("%s/v1/search?q=%s", s->base, q),
                                              .headers = {lang}},
                         want);
    const cJSON *item;
    size_t o = 0;

    out[0] = '\0';
    if (want != 200) {
        ts_assert_error(doc, "bad_request");
        cJSON_Delete(doc);
        return "error";
    }
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "items"))
    {
        assert_true(strlen(ts_str(item, "title")) > 0);
        assert_true(strlen(ts_str(item, "synopsis")) > 0);
        ts_num(item, "episode_count");
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "," : "", ts_str(item, "id"));
    }
    cJSON_Delete(doc);
    return out;
}

static void test_search(void **state)
{
    static const struct {
        const char *q; /* URL-encoded */
        const char *lang;
        long status;
        const char *want;
    } rows[] = {
        {"midnight", NULL, 200, "midnight-heir"},
        {"MIDNIGHT", NULL, 200, "midnight-heir"},
        {"%20heir%20", NULL, 200, "midnight-heir"},
        {"herdeira", NULL, 200, "midnight-heir"},      /* another language's title */
        {"PAL%C3%81CIO", NULL, 200, "palace-secrets"}, /* "PALÁCIO": Latin-1 case folding */
        {"%E5%AE%AB", NULL, 200, "palace-secrets"},    /* "宫" */
        {"emperor", NULL, 200, "palace-secrets"},      /* a synopsis */
        {"e", NULL, 200, "midnight-heir,revenge-ceo,palace-secrets"},
        {"e&limit=1", NULL, 200, "midnight-heir"},
        {"zzz-nothing", NULL, 200, ""},
        {"", NULL, 400, NULL},
        {"%20%20", NULL, 400, NULL},
        {"%FF%FE", NULL, 400, NULL}, /* not UTF-8 */
        {"e&limit=0", NULL, 400, NULL},
        {"e&limit=51", NULL, 400, NULL},
        {"e&limit=x", NULL, 400, NULL},
    };
    struct ts_server *s = srv_of(state);
    char long_q[220];
    cJSON *doc;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *got = search(s, rows[i].q, rows[i].lang, rows[i].status);
        if (rows[i].want && strcmp(got, rows[i].want) != 0)
            fail_msg("search %s: got [%s], want [%s]", rows[i].q, got, rows[i].want);
    }
    memset(long_q, 'a', 101);
    long_q[101] = '\0';
    search(s, long_q, NULL, 400);
    doc =
        ts_json(&(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/search", s->base)}, 400);
    cJSON_Delete(doc);
    /* Results come in the caller's language. */
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/search?q=midnight", s->base),
                                       .headers = {"Accept-Language: es"}},
                  200);
    assert_string_equal(
        ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "items"), 0), "title"),
        "La heredera de medianoche");
    assert_string_equal(ts_str(doc, "query"), "midnight");
    cJSON_Delete(doc);
}

/* ---- keys --------------------------------------------------------------------------------- */

/* The URI of the first line of text that starts with prefix, or of the EXT-X-KEY URI. */
static void find_line(const char *text, const char *prefix, char *out, size_t cap)
{
    const char *p = strstr(text, prefix);
    size_t n;

    if (!p)
        fail_msg("no \"%s\" in:\n%s", prefix, text);
    n = strcspn(p, "\"\n");
    snprintf(out, cap, "%.*s", (int)n, p);
}

static char *get_text(const char *url, long want)
{
    struct ts_response r;

    ts_http(&(struct ts_request){.method = "GET", .url = url}, &r);
    assert_int_equal(r.curl_rc, CURLE_OK);
    if (r.status != want)
        fail_msg("GET %s: %ld, want %ld: %s", url, r.status, want, r.body ? r.body : "");
    return r.body ? r.body : strdup("");
}

static void test_keys(void **state)
{
    struct ts_server *s = srv_of(state);
    unsigned char secret[32];
    char sig[SIGN_HEX_LEN + 1];
    char token[65];
    char play_url[2048];
    char variant[2048];
    char key_uri[2048];
    char key_url[4200];
    char tampered[4200];
    char *text;
    long long exp;
    cJSON *doc;
    FILE *f;
    unsigned char key_file[16];
    struct ts_response r;

    ts_register(s, "k-tv", token);
    ts_buy(s, token, "coins-60");
    cJSON_Delete(
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/episodes/revenge-ceo-3/unlock", s->base),
                                     .token = token,
                                     .body = "{\"method\":\"coins\",\"idempotency_key\":"
                                             "\"k-1\"}"},
                200));
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/episodes/revenge-ceo-3/play", s->base),
                                       .token = token},
                  200);
    snprintf(play_url, sizeof(play_url), "%s", ts_str(doc, "play_url"));
    exp = (long long)ts_num(doc, "expires_at");
    cJSON_Delete(doc);
    assert_non_null(strstr(play_url, "&dev=k-tv&sig="));

    text = get_text(play_url, 200);
    find_line(text, "/media/revenge-ceo/03/v0/index.m3u8?", variant, sizeof(variant));
    free(text);
    text = get_text(ts_fmt("%s%s", s->base, variant), 200);
    /* The key is named by a /keys/ URL bound to this device, never by a /media/ one. */
    find_line(text, "/keys/revenge-ceo/03/key.bin?", key_uri, sizeof(key_uri));
    assert_non_null(strstr(key_uri, "&dev=k-tv&sig="));
    assert_null(strstr(text, "/media/revenge-ceo/03/key.bin"));
    free(text);
    snprintf(key_url, sizeof(key_url), "%s%s", s->base, key_uri);

    /* The entitled device gets the key file itself. */
    ts_http(&(struct ts_request){.method = "GET", .url = key_url}, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 16);
    f = fopen(TS_CONTENT_DIR "/revenge-ceo/03/key.bin", "rb");
    assert_non_null(f);
    assert_int_equal(fread(key_file, 1, 16, f), 16);
    fclose(f);
    assert_memory_equal(r.body, key_file, 16);
    ts_response_free(&r);

    /* Everyone else: 403. Another device in the same URL (signature no longer matches)... */
    snprintf(tampered, sizeof(tampered), "%s", key_url);
    memcpy(strstr(tampered, "dev=k-tv") + 4, "k-tx", 4);
    free(get_text(tampered, 403));
    /* ...a correctly signed key URL for a device that never unlocked the episode (made with the
     * server's own secret: the database re-check refuses it)... */
    ts_secret(s, secret);
    {
        char other[65];
        ts_register(s, "k-other", other);
        assert_int_equal(sign_compute_scheme(secret, 32, SIGN_KEY, "revenge-ceo/03/key.bin", exp,
                                             "k-other", sig),
                         0);
        free(get_text(
            ts_fmt("%s/keys/revenge-ceo/03/key.bin?exp=%lld&dev=k-other&sig=%s", s->base, exp, sig),
            403));
        /* ...or for an unknown device... */
        assert_int_equal(sign_compute_scheme(secret, 32, SIGN_KEY, "revenge-ceo/03/key.bin", exp,
                                             "k-nobody", sig),
                         0);
        free(get_text(ts_fmt("%s/keys/revenge-ceo/03/key.bin?exp=%lld&dev=k-nobody&sig=%s", s->base,
                             exp, sig),
                      403));
    }
    /* ...and the key as media, even correctly signed as media, or without any signature. */
    assert_int_equal(sign_compute(secret, 32, "revenge-ceo/03/key.bin", exp, sig), 0);
    free(get_text(ts_fmt("%s/media/revenge-ceo/03/key.bin?exp=%lld&sig=%s", s->base, exp, sig),
                  403));
    free(get_text(ts_fmt("%s/media/revenge-ceo/03/key.bin", s->base), 403));
    free(get_text(ts_fmt("%s/keys/revenge-ceo/03/key.bin", s->base), 403));
    free(get_text(ts_fmt("%s/images/revenge-ceo/03/key.bin", s->base), 404));
    free(get_text(ts_fmt("%s/keys/revenge-ceo/03/v0/seg00000.ts", s->base), 404));

    /* Entitlement is re-checked at every request: withdraw the unlock and the same URL fails. */
    ts_sql_exec(s, "UPDATE unlocks SET owner = 'device:k-parked' WHERE owner = 'device:k-tv'");
    free(get_text(key_url, 403));
    ts_sql_exec(s, "UPDATE unlocks SET owner = 'device:k-tv' WHERE owner = 'device:k-parked'");
    free(get_text(key_url, 200));

    /* A free episode is not encrypted. */
    doc = ts_json(&(struct ts_request){.method = "POST",
                                       .url = ts_fmt("%s/v1/episodes/revenge-ceo-1/play", s->base),
                                       .token = token},
                  200);
    text = get_text(ts_str(doc, "play_url"), 200);
    cJSON_Delete(doc);
    find_line(text, "/media/revenge-ceo/01/v0/index.m3u8?", variant, sizeof(variant));
    free(text);
    text = get_text(ts_fmt("%s%s", s->base, variant), 200);
    assert_null(strstr(text, "EXT-X-KEY"));
    free(text);
}

/* An unlock bought with VIP opens the key while the VIP lasts, and not after. */
static void test_key_follows_vip(void **state)
{
    struct ts_server *s = srv_of(state);
    char token[65];
    char play_url[2048];
    char variant[2048];
    char key_uri[2048];
    char *text;
    long long expires;
    cJSON *doc;
    struct ts_response r;

    ts_register(s, "k-vip", token);
    ts_buy(s, token, "vip-7");
    cJSON_Delete(ts_json(
        &(struct ts_request){.method = "POST",
                             .url = ts_fmt("%s/v1/episodes/palace-secrets-4/unlock", s->base),
                             .token = token,
                             .body = "{\"method\":\"vip\",\"idempotency_key\":"
                                     "\"v-1\"}"},
        200));
    doc = ts_json(&(struct ts_request){.method = "GET",
                                       .url = ts_fmt("%s/v1/wallet", s->base),
                                       .token = token},
                  200);
    expires = (long long)ts_num(ts_obj(doc, "vip"), "expires_at");
    cJSON_Delete(doc);
    doc =
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/episodes/palace-secrets-4/play", s->base),
                                     .token = token},
                200);
    snprintf(play_url, sizeof(play_url), "%s", ts_str(doc, "play_url"));
    cJSON_Delete(doc);
    text = get_text(play_url, 200);
    find_line(text, "/media/palace-secrets/04/v0/index.m3u8?", variant, sizeof(variant));
    free(text);
    text = get_text(ts_fmt("%s%s", s->base, variant), 200);
    find_line(text, "/keys/palace-secrets/04/key.bin?", key_uri, sizeof(key_uri));
    free(text);
    /* URLs live a year on this server, so only the VIP's end can refuse the key. */
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s%s", s->base, key_uri),
                                 .headers = {ts_dev_now(expires - 10)}},
            &r);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s%s", s->base, key_uri),
                                 .headers = {ts_dev_now(expires + 10)}},
            &r);
    assert_int_equal(r.status, 403);
    ts_response_free(&r);
}

/* The real player decrypts an encrypted episode with the key it is given. */
static void test_encrypted_playback(void **state)
{
    struct ts_server *s = srv_of(state);
    char token[65];
    char uri[2200];
    int rc;
    cJSON *doc;

    ts_register(s, "k-play", token);
    ts_buy(s, token, "coins-60");
    cJSON_Delete(ts_json(
        &(struct ts_request){.method = "POST",
                             .url = ts_fmt("%s/v1/episodes/midnight-heir-3/unlock", s->base),
                             .token = token,
                             .body = "{\"method\":\"coins\",\"idempotency_key\":"
                                     "\"p-1\"}"},
        200));
    doc =
        ts_json(&(struct ts_request){.method = "POST",
                                     .url = ts_fmt("%s/v1/episodes/midnight-heir-3/play", s->base),
                                     .token = token},
                200);
    snprintf(uri, sizeof(uri), "uri=%s", ts_str(doc, "play_url"));
    cJSON_Delete(doc);
    {
        char *argv[] = {"gst-launch-1.0",      "-q", "playbin3", uri, "video-sink=fakesink",
                        "audio-sink=fakesink", NULL};
        rc = ts_run(argv, PLAYBACK_TIMEOUT_S);
    }
    if (rc != 0)
        fail_msg("gst-launch-1.0 playbin3 %s exited with %d", uri, rc);
    /* It really fetched the key, and the last segment (only the player asks for it). */
    assert_true(ts_log_has(s, "GET /keys/midnight-heir/03/key.bin 200", 10));
    assert_true(ts_log_has(s, "GET /media/midnight-heir/03/v0/seg00001.ts 200", 10));
}

/* ---- rate limit --------------------------------------------------------------------------- */

static void test_rate_limit(void **state)
{
    struct suite *st = *state;
    static const char *const extra[] = {"--rate-limit", "1", "--rate-burst", "3", NULL};
    struct ts_server limited;
    struct ts_response r;
    char token[65];
    char other[65];
    int retry_after = 0;
    int limited_anon = 0;
    int ok = 0;

    assert_int_equal(ts_server_start(&limited, st->tmpdir, "catalog.db", extra), 0);
    ts_register(&limited, "rl-tv", token);   /* anonymous: takes from the address's bucket */
    ts_register(&limited, "rl-tv-2", other); /* likewise */
    for (int i = 0; i < 6; i++) {
        ts_http(&(struct ts_request){.method = "GET",
                                     .url = ts_fmt("%s/v1/wallet", limited.base),
                                     .token = token},
                &r);
        if (r.status == 200) {
            ok++;
        } else {
            cJSON *doc = cJSON_Parse(r.body);
            assert_int_equal(r.status, 429);
            ts_assert_error(doc, "rate_limited");
            cJSON_Delete(doc);
            retry_after = atoi(r.retry_after);
            assert_true(retry_after >= 1 && retry_after <= 2);
        }
        ts_response_free(&r);
    }
    /* A burst of 3 (one more if a second went by meanwhile), then 429 with Retry-After. */
    assert_true(ok >= 3 && ok <= 4);
    assert_true(retry_after > 0);
    /* Per device: another device still has its own burst. */
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/wallet", limited.base),
                                 .token = other},
            &r);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    /* Anonymous requests share their address's bucket, which the registrations drained. */
    for (int i = 0; i < 6; i++) {
        ts_http(&(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/home", limited.base)},
                &r);
        limited_anon += r.status == 429;
        ts_response_free(&r);
    }
    assert_true(limited_anon >= 1);
    /* Posters are not API calls. */
    for (int i = 0; i < 6; i++) {
        ts_http(
            &(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/images/midnight-heir/poster.png", limited.base)},
            &r);
        assert_int_equal(r.status, 200);
        ts_response_free(&r);
    }
    /* After Retry-After, the device may go on. */
    usleep((useconds_t)retry_after * 1000000 + 200000);
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/wallet", limited.base),
                                 .token = token},
            &r);
    assert_int_equal(r.status, 200);
    ts_response_free(&r);
    assert_int_equal(ts_server_stop(&limited), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_shelves),
        cmocka_unit_test(test_etag_304),
        cmocka_unit_test(test_episode_progress),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_key_follows_vip),
        cmocka_unit_test(test_encrypted_playback),
        cmocka_unit_test(test_rate_limit),
    };

    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
