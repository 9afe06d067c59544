/* binge-server v1, episode thumbnails: catalog.json's "thumb" becomes the episode's thumb_url,
 * an absolute URL under /images/ that serves the real picture make-content drew (decoded here
 * with SDL_image, as the client does); an episode without one keeps thumb_url null; a thumb
 * path outside the media directory stops the start; a schema 3 database (no thumb column) is
 * migrated. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "test_server_common.h"
#include "testutil.h"

/* make-content's thumbnails of the 180x320 v1 content are the size of the video. */
#define THUMB_W 180
#define THUMB_H 320

struct suite {
    char tmpdir[512];
    char media[600];
    struct ts_server srv;
};

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else if (buf) {
            buf[n] = '\0';
            *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static int write_all(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    int rc = f && fwrite(data, 1, len, f) == len ? 0 : -1;

    if (f && fclose(f) != 0)
        rc = -1;
    return rc;
}

/* Copies the v1 content to dir and rewrites its catalog.json: episode 2 of the first series
 * loses its "thumb"; with bad_thumb, episode 3's points outside the media directory. */
static int make_media(const char *dir, bool bad_thumb)
{
    char cmd[1400];
    char path[700];
    size_t len = 0;
    char *text;
    char *out;
    cJSON *root;
    cJSON *eps;
    int rc;

    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -R '%s' '%s'", dir, TS_CONTENT_DIR, dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/catalog.json", dir);
    text = read_all(path, &len);
    root = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    eps = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "series"), 0), "episodes");
    if (!cJSON_IsArray(eps) || cJSON_GetArraySize(eps) < 3) {
        cJSON_Delete(root);
        return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetArrayItem(eps, 1), "thumb");
    if (bad_thumb)
        cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(eps, 2), "thumb",
                                               cJSON_CreateString("../outside.jpg"));
    out = cJSON_Print(root);
    rc = out ? write_all(path, out, strlen(out)) : -1;
    free(out);
    cJSON_Delete(root);
    return rc;
}

static int suite_setup(void **state)
{
    struct suite *st = calloc(1, sizeof(*st));

    if (!st)
        return -1;
    st->srv.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0)
        return -1;
    snprintf(st->media, sizeof(st->media), "%s/media", st->tmpdir);
    if (make_media(st->media, false) != 0)
        return -1;
    return ts_server_start(&st->srv, st->tmpdir, "thumbs.db",
                           (const char *const[]){"--media", st->media, NULL});
}

static int suite_teardown(void **state)
{
    struct suite *st = *state;
    char cmd[700];
    int rc = 0;

    if (!st)
        return 0;
    if (st->srv.pid > 0 && ts_server_stop(&st->srv) != 0)
        rc = -1;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", st->media);
    if (st->media[0] && system(cmd) != 0)
        rc = -1;
    ts_suite_cleanup(st->tmpdir);
    free(st);
    return rc;
}

static const cJSON *episode(const cJSON *series, int index)
{
    const cJSON *ep;

    cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(series, "episodes"))
    {
        if ((int)ts_num(ep, "index") == index)
            return ep;
    }
    fail_msg("no episode %d", index);
    return NULL;
}

/* Fetches url, checks it is a JPEG of THUMB_W x THUMB_H with a picture in it, and that it is
 * the file make-content wrote at media/rel. */
static void check_thumb(const struct suite *st, const char *url, const char *rel)
{
    struct ts_request rq = {.method = "GET", .url = url};
    struct ts_response r;
    char got[700];
    char want[700];
    double mean[3];
    double sd = 0;
    int w = 0;
    int h = 0;
    size_t len = 0;
    char *disk;

    ts_http(&rq, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "image/jpeg");
    snprintf(got, sizeof(got), "%s/got-thumb.jpg", st->tmpdir);
    assert_int_equal(write_all(got, r.body, r.len), 0);
    /* It decodes, at the size of the video, and is a picture: not a flat fill. */
    assert_int_equal(tu_png_stats(got, 0, 0, THUMB_W, THUMB_H, mean, &sd, &w, &h), 0);
    assert_int_equal(w, THUMB_W);
    assert_int_equal(h, THUMB_H);
    assert_true(sd > 10);
    /* The very file on disk. */
    snprintf(want, sizeof(want), "%s/%s", st->media, rel);
    disk = read_all(want, &len);
    assert_non_null(disk);
    assert_int_equal(len, r.len);
    assert_memory_equal(disk, r.body, len);
    free(disk);
    unlink(got);
    ts_response_free(&r);
}

static void test_thumb_url_serves_the_frame(void **state)
{
    struct suite *st = *state;
    const struct ts_server *s = &st->srv;
    cJSON *doc = ts_json(
        &(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/series/midnight-heir", s->base)},
        200);
    const cJSON *ep1 = episode(doc, 1);
    const char *url = ts_str(ep1, "thumb_url");
    const char *want = ts_fmt("%s/images/midnight-heir/01/thumb.jpg", s->base);

    assert_string_equal(url, want);
    check_thumb(st, url, "midnight-heir/01/thumb.jpg");
    /* The locked ones have theirs too (a thumbnail is no spoiler of the stream). */
    const cJSON *ep9 = episode(doc, 9);
    assert_string_equal(ts_str(ep9, "thumb_url"),
                        ts_fmt("%s/images/midnight-heir/09/thumb.jpg", s->base));
    check_thumb(st, ts_str(ep9, "thumb_url"), "midnight-heir/09/thumb.jpg");
    cJSON_Delete(doc);
}

static void test_missing_thumb_is_null(void **state)
{
    struct suite *st = *state;
    const struct ts_server *s = &st->srv;
    cJSON *doc = ts_json(
        &(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/series/midnight-heir", s->base)},
        200);
    const cJSON *thumb = cJSON_GetObjectItemCaseSensitive(episode(doc, 2), "thumb_url");

    assert_non_null(thumb);
    assert_true(cJSON_IsNull(thumb));
    cJSON_Delete(doc);
}

/* A thumb path that leaves the media directory is a catalog error, like a bad poster path. */
static void test_thumb_outside_media_stops_start(void **state)
{
    struct suite *st = *state;
    struct ts_server bad;
    char media[700];
    char cmd[800];

    snprintf(media, sizeof(media), "%s/media-bad", st->tmpdir);
    assert_int_equal(make_media(media, true), 0);
    assert_int_equal(ts_server_start(&bad, st->tmpdir, "thumbs-bad.db",
                                     (const char *const[]){"--media", media, NULL}),
                     -1);
    assert_true(ts_log_has(&bad, "series[0].episodes[2]", 5));
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", media);
    assert_int_equal(system(cmd), 0);
}

/* A database of schema 3 (before thumbnails) gets the column and the thumbs at the next start. */
static void test_migration_from_v3(void **state)
{
    struct suite *st = *state;
    struct ts_server *s = &st->srv;
    sqlite3 *db = NULL;
    cJSON *doc;

    assert_int_equal(ts_server_stop(s), 0);
    assert_int_equal(sqlite3_open(s->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "ALTER TABLE episodes DROP COLUMN thumb;"
                                  "PRAGMA user_version = 3;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ts_server_start(s, st->tmpdir, "thumbs.db",
                                     (const char *const[]){"--media", st->media, NULL}),
                     0);
    assert_int_equal(ts_sql_int(s, "PRAGMA user_version"), 4);
    doc = ts_json(
        &(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/series/revenge-ceo", s->base)},
        200);
    assert_string_equal(ts_str(episode(doc, 3), "thumb_url"),
                        ts_fmt("%s/images/revenge-ceo/03/thumb.jpg", s->base));
    cJSON_Delete(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thumb_url_serves_the_frame),
        cmocka_unit_test(test_missing_thumb_is_null),
        cmocka_unit_test(test_thumb_outside_media_stops_start),
        cmocka_unit_test(test_migration_from_v3),
    };
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
