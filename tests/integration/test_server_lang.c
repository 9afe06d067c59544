/* binge-server v1, languages: every UI language gets its own series title, synopsis, genre name,
 * shelf titles and pack titles from the real make-content catalog through the real server;
 * Accept-Language falls back by q-value, from a regional tag to its language (pt-PT to pt, es-MX
 * to es, zh-TW to zh-Hant, zh-CN to zh) and to English when nothing matches; the ETag differs
 * per language and revalidates across tags of the same language; Vietnamese titles are found
 * by search in any case; and a Traditional Chinese text the catalog lacks falls back to the
 * Simplified one before English. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "test_server_common.h"

struct suite {
    char tmpdir[512];
    char media[600]; /* the partial catalog's directory */
    struct ts_server srv;
    struct ts_server partial; /* the server of that catalog */
};

/* Stops the partial catalog's server and removes its directory, if they are there. */
static int partial_cleanup(struct suite *st)
{
    char path[700];
    int rc = 0;

    if (st->partial.pid > 0 && ts_server_stop(&st->partial) != 0)
        rc = -1;
    st->partial.pid = -1;
    snprintf(path, sizeof(path), "%s/catalog.json", st->media);
    unlink(path);
    rmdir(st->media);
    return rc;
}

static struct ts_server *srv_of(void **state)
{
    return &((struct suite *)*state)->srv;
}

static int suite_setup(void **state)
{
    static const char *const extra[] = {"--rate-limit", "0", NULL};
    struct suite *st = calloc(1, sizeof(*st));

    if (!st)
        return -1;
    st->srv.pid = -1;
    st->partial.pid = -1;
    *state = st;
    if (ts_suite_init(st->tmpdir, sizeof(st->tmpdir)) != 0)
        return -1;
    return ts_server_start(&st->srv, st->tmpdir, "lang.db", extra);
}

static int suite_teardown(void **state)
{
    struct suite *st = *state;
    int rc = 0;

    if (!st)
        return 0;
    if (st->srv.pid > 0 && ts_server_stop(&st->srv) != 0)
        rc = -1;
    if (st->media[0] && partial_cleanup(st) != 0)
        rc = -1;
    ts_suite_cleanup(st->tmpdir);
    free(st);
    return rc;
}

/* What each served language reads: the Trending shelf, The Midnight Heir's title and a piece
 * of its synopsis, the Revenge genre (its shelf and revenge-ceo's second genre) and the
 * coins-60 pack. The twelve UI languages, then Hebrew, Hindi and Traditional Chinese. */
static const struct lang_texts {
    const char *code, *accept, *trending, *title, *synopsis, *revenge, *coins;
} langs[] = {
    {"en", NULL, "Trending", "The Midnight Heir", "shipping empire", "Revenge", "60 coins"},
    {"es", "es", "Tendencias", "La heredera de medianoche", "imperio naviero", "Venganza",
     "60 monedas"},
    {"pt", "pt-BR", "Em alta", "A herdeira da meia-noite", "império de navegação", "Vingança",
     "60 moedas"},
    {"fr", "fr-FR", "Tendances", "L'héritière de minuit", "empire maritime", "Vengeance",
     "60 pièces"},
    {"de", "de", "Angesagt", "Die Mitternachtserbin", "Reederei-Imperiums", "Rache", "60 Münzen"},
    {"id", "id-ID", "Sedang tren", "Pewaris Tengah Malam", "kerajaan pelayaran", "Balas dendam",
     "60 koin"},
    {"th", "th-TH", "กำลังฮิต", "ทายาทเที่ยงคืน", "อาณาจักรเดินเรือ", "ล้างแค้น", "60 เหรียญ"},
    {"vi", "vi", "Thịnh hành", "Nữ thừa kế nửa đêm", "đế chế hàng hải", "Báo thù", "60 xu"},
    {"ja", "ja", "人気急上昇", "真夜中の令嬢", "海運帝国", "復讐", "60コイン"},
    {"ko", "ko-KR", "인기 급상승", "자정의 상속녀", "해운 제국", "복수", "60코인"},
    {"zh", "zh-Hans", "热门", "午夜继承人", "航运帝国", "复仇", "60 金币"},
    {"ar", "ar-EG", "الأكثر رواجًا", "وريثة منتصف الليل", "لإمبراطورية شحن", "انتقام", "60 عملة"},
    {"he", "he", "פופולרי עכשיו", "יורשת חצות", "אימפריית ספנות", "נקמה", "60 מטבעות"},
    {"hi", "hi-IN", "ट्रेंडिंग", "आधी रात की वारिस", "शिपिंग साम्राज्य", "बदला", "60 सिक्के"},
    {"zh-Hant", "zh-Hant-TW", "熱門", "午夜繼承人", "航運帝國", "復仇", "60 金幣"},
};
#define N_LANGS (sizeof(langs) / sizeof(langs[0]))

/* Episode 2 of a catalog that gives its episodes no title, per language (lang_texts' order). */
static const char *const episode2[] = {
    "Episode 2", "Episodio 2", "Episódio 2", "Épisode 2", "Folge 2", "Episode 2", "ตอนที่ 2", "Tập 2",
    "第2話",     "2화",        "第2集",      "الحلقة 2",  "פרק 2",   "एपिसोड 2",  "第2集",
};
_Static_assert(sizeof(episode2) / sizeof(episode2[0]) == N_LANGS, "one per language");

static const struct lang_texts *lang_of(const char *code)
{
    for (size_t i = 0; i < N_LANGS; i++) {
        if (strcmp(langs[i].code, code) == 0)
            return &langs[i];
    }
    fail_msg("no language %s in the table", code);
    return NULL;
}

static const char *al_header(const char *accept)
{
    return accept ? ts_fmt("Accept-Language: %s", accept) : NULL;
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

/* GET /v1/home with accept: Content-Language is want's code, Vary names Accept-Language, and
 * the shelves and the first trending item read want's texts. */
static void check_home(const struct ts_server *s, const char *accept, const struct lang_texts *want)
{
    struct ts_response r;
    cJSON *doc = ts_json_r(&(struct ts_request){.method = "GET",
                                                .url = ts_fmt("%s/v1/home", s->base),
                                                .headers = {al_header(accept)}},
                           200, &r);
    const cJSON *trending = shelf(doc, "trending");

    if (strcmp(r.content_language, want->code) != 0)
        fail_msg("Accept-Language %s: Content-Language %s, want %s", accept ? accept : "(none)",
                 r.content_language, want->code);
    assert_non_null(strstr(r.vary, "Accept-Language"));
    assert_string_equal(ts_str(trending, "title"), want->trending);
    assert_string_equal(ts_str(shelf(doc, "genre-revenge"), "title"), want->revenge);
    assert_string_equal(
        ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(trending, "items"), 0), "title"),
        want->title);
    ts_response_free(&r);
    cJSON_Delete(doc);
}

static void test_every_language(void **state)
{
    struct ts_server *s = srv_of(state);

    for (size_t i = 0; i < N_LANGS; i++) {
        const struct lang_texts *l = &langs[i];
        const cJSON *pack;
        cJSON *doc;

        check_home(s, l->accept, l);
        doc = ts_json(&(struct ts_request){.method = "GET",
                                           .url = ts_fmt("%s/v1/series/midnight-heir", s->base),
                                           .headers = {al_header(l->accept)}},
                      200);
        assert_string_equal(ts_str(doc, "title"), l->title);
        assert_string_equal(
            ts_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "episodes"), 1),
                   "title"),
            episode2[i]);
        if (!strstr(ts_str(doc, "synopsis"), l->synopsis))
            fail_msg("%s: synopsis \"%s\" lacks \"%s\"", l->code, ts_str(doc, "synopsis"),
                     l->synopsis);
        cJSON_Delete(doc);
        doc = ts_json(&(struct ts_request){.method = "GET",
                                           .url = ts_fmt("%s/v1/series/revenge-ceo", s->base),
                                           .headers = {al_header(l->accept)}},
                      200);
        assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(
                                cJSON_GetObjectItemCaseSensitive(doc, "genres"), 1)),
                            l->revenge);
        cJSON_Delete(doc);
        doc = ts_json(&(struct ts_request){.method = "GET",
                                           .url = ts_fmt("%s/v1/packs", s->base),
                                           .headers = {al_header(l->accept)}},
                      200);
        pack = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "packs"), 0);
        assert_string_equal(ts_str(pack, "id"), "coins-60");
        assert_string_equal(ts_str(pack, "title"), l->coins);
        cJSON_Delete(doc);
    }
    /* Each language's texts are its own: no two languages share one (English included). */
    for (size_t i = 0; i < N_LANGS; i++) {
        for (size_t k = i + 1; k < N_LANGS; k++) {
            if (strcmp(langs[i].trending, langs[k].trending) == 0 ||
                strcmp(langs[i].title, langs[k].title) == 0 ||
                strcmp(langs[i].synopsis, langs[k].synopsis) == 0 ||
                strcmp(langs[i].revenge, langs[k].revenge) == 0)
                fail_msg("%s and %s share a text", langs[i].code, langs[k].code);
        }
    }
}

static void test_fallbacks(void **state)
{
    static const struct {
        const char *accept;
        const char *lang;
    } rows[] = {
        {"pt-PT", "pt"}, /* a region to its language */
        {"es-MX", "es"},
        {"ES-mx", "es"},
        {"es-419", "es"},
        {"fr-CA", "fr"},
        {"de-AT", "de"},
        {"ko_KR", "ko"},
        {"en-GB", "en"},
        {"vi-VN", "vi"},
        {"zh-TW", "zh-Hant"}, /* Chinese by script: regions that write Traditional */
        {"zh-HK", "zh-Hant"},
        {"zh-mo", "zh-Hant"},
        {"zh-Hant", "zh-Hant"},
        {"zh-Hans-HK", "zh"}, /* the script wins over the region */
        {"zh-CN", "zh"},
        {"zh-SG", "zh"},
        {"zh", "zh"},
        {"iw-IL", "he"}, /* deprecated codes old stacks still send */
        {"in", "id"},
        {"nl-NL", "en"}, /* unknown: English */
        {"nl, sv;q=0.8", "en"},
        {"nl-NL, de;q=0.5", "de"}, /* the best one served */
        {"ja;q=0.5, zh;q=0.9", "zh"},
        {"fr-CA;q=0.8, ko;q=0.9", "ko"},
        {"nl, es;q=0.1", "es"},
        {"en;q=0.2, ja;q=0.3", "ja"},
        {"zh-TW;q=0.4, zh-CN;q=0.6", "zh"},
        {"de, fr", "de"}, /* ties go to the first */
        {"es;q=0, *", "en"},
        {"*", "en"},
        {"hi;q=0, *;q=0.5, he;q=0.1", "en"},
        {"es;q=abc, ;;, q=", "en"}, /* unparsable */
        {"x", "en"},
        {"", "en"},
    };
    struct ts_server *s = srv_of(state);

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        check_home(s, rows[i].accept, lang_of(rows[i].lang));
}

/* The home ETag of one Accept-Language, anonymous. */
static void home_etag(const struct ts_server *s, const char *accept, char *out, size_t cap)
{
    struct ts_response r;

    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/home", s->base),
                                 .headers = {al_header(accept)}},
            &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.etag[0], '"');
    snprintf(out, cap, "%s", r.etag);
    ts_response_free(&r);
}

static long revalidate(const struct ts_server *s, const char *accept, const char *etag)
{
    struct ts_response r;
    long status;

    /* The header list ends at the first NULL: the language goes last. */
    ts_http(&(struct ts_request){.method = "GET",
                                 .url = ts_fmt("%s/v1/home", s->base),
                                 .headers = {ts_fmt("If-None-Match: %s", etag), al_header(accept)}},
            &r);
    status = r.status;
    if (status == 304)
        assert_int_equal(r.len, 0);
    ts_response_free(&r);
    return status;
}

static void test_etag_per_language(void **state)
{
    struct ts_server *s = srv_of(state);
    char etags[N_LANGS][128];

    for (size_t i = 0; i < N_LANGS; i++)
        home_etag(s, langs[i].accept, etags[i], sizeof(etags[i]));
    for (size_t i = 0; i < N_LANGS; i++) {
        /* Its own ETag revalidates; every other language's is another representation. */
        assert_int_equal(revalidate(s, langs[i].accept, etags[i]), 304);
        for (size_t k = 0; k < N_LANGS; k++) {
            if (k == i)
                continue;
            if (strcmp(etags[i], etags[k]) == 0)
                fail_msg("%s and %s share the ETag %s", langs[i].code, langs[k].code, etags[i]);
            assert_int_equal(revalidate(s, langs[i].accept, etags[k]), 200);
        }
    }
    /* Tags that fall back to the same language get the same representation. */
    assert_int_equal(revalidate(s, "zh-TW", etags[N_LANGS - 1]), 304);
    assert_int_equal(revalidate(s, "pt-PT", etags[2]), 304);
    assert_int_equal(revalidate(s, "nl", etags[0]), 304);
}

/* The ids GET /v1/search?q= finds, comma-separated. */
static const char *search_ids(const struct ts_server *s, const char *q)
{
    static char out[256];
    cJSON *doc = ts_json(
        &(struct ts_request){.method = "GET", .url = ts_fmt("%s/v1/search?q=%s", s->base, q)}, 200);
    const cJSON *item;
    size_t o = 0;

    out[0] = '\0';
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "items"))
    {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "," : "", ts_str(item, "id"));
    }
    cJSON_Delete(doc);
    return out;
}

/* Vietnamese titles are found whatever the case of their stacked diacritics. */
static void test_search_vietnamese(void **state)
{
    struct ts_server *s = srv_of(state);

    /* "NỮ THỪA KẾ" finds "Nữ thừa kế nửa đêm"; "nữ thừa kế" as written too. */
    assert_string_equal(search_ids(s, "N%E1%BB%AE%20TH%E1%BB%AAA%20K%E1%BA%BE"), "midnight-heir");
    assert_string_equal(search_ids(s, "n%E1%BB%AF%20th%E1%BB%ABa%20k%E1%BA%BF"), "midnight-heir");
    /* "CUNG ĐIỆN" finds "Cung điện bí mật". */
    assert_string_equal(search_ids(s, "CUNG%20%C4%90I%E1%BB%86N"), "palace-secrets");
}

/* Writes dir/catalog.json: the v1 content's, where The Midnight Heir has no zh-Hant text,
 * Revenge of the CEO a zh-Hant title but no synopsis, Palace of Secrets neither zh-Hant nor
 * zh, and the Revenge genre no zh-Hant name. Only the texts are read by these requests, so
 * the media stay behind. */
static void write_partial_catalog(const char *dir)
{
    char path[700];
    FILE *f;
    long n;
    char *text;
    cJSON *root;
    cJSON *series;
    char *out;

    snprintf(path, sizeof(path), "%s/catalog.json", TS_CONTENT_DIR);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    text = malloc((size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    root = cJSON_Parse(text);
    free(text);
    series = cJSON_GetObjectItemCaseSensitive(root, "series");
    assert_non_null(series);
    cJSON_DeleteItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(series, 0), "i18n"), "zh-Hant");
    cJSON_DeleteItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(series, 1), "i18n"), "zh-Hant"),
        "synopsis");
    cJSON_DeleteItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(series, 2), "i18n"), "zh-Hant");
    cJSON_DeleteItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(series, 2), "i18n"), "zh");
    cJSON_DeleteItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "genre_i18n"),
                                         "Revenge"),
        "zh-Hant");
    out = cJSON_Print(root);
    assert_non_null(out);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/catalog.json", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(out, 1, strlen(out), f), strlen(out));
    assert_int_equal(fclose(f), 0);
    free(out);
    cJSON_Delete(root);
}

static cJSON *series_doc(const struct ts_server *s, const char *id, const char *accept)
{
    return ts_json(&(struct ts_request){.method = "GET",
                                        .url = ts_fmt("%s/v1/series/%s", s->base, id),
                                        .headers = {al_header(accept)}},
                   200);
}

static void test_traditional_falls_back_to_simplified(void **state)
{
    struct suite *st = *state;
    struct ts_server *b = &st->partial;
    cJSON *zh;
    cJSON *doc;

    snprintf(st->media, sizeof(st->media), "%s/media", st->tmpdir);
    write_partial_catalog(st->media);
    assert_int_equal(ts_server_start(b, st->tmpdir, "lang-partial.db",
                                     (const char *const[]){"--media", st->media, NULL}),
                     0);

    /* No zh-Hant at all: the Simplified title and synopsis. */
    zh = series_doc(b, "midnight-heir", "zh");
    doc = series_doc(b, "midnight-heir", "zh-TW");
    assert_string_equal(ts_str(doc, "title"), "午夜继承人");
    assert_string_equal(ts_str(doc, "synopsis"), ts_str(zh, "synopsis"));
    cJSON_Delete(doc);
    cJSON_Delete(zh);
    /* A zh-Hant title without a synopsis: its own title, the Simplified synopsis; the Revenge
     * genre has no zh-Hant name either. */
    zh = series_doc(b, "revenge-ceo", "zh");
    doc = series_doc(b, "revenge-ceo", "zh-Hant");
    assert_string_equal(ts_str(doc, "title"), "總裁的復仇");
    assert_string_equal(ts_str(doc, "synopsis"), ts_str(zh, "synopsis"));
    assert_string_equal(cJSON_GetStringValue(
                            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "genres"), 1)),
                        "复仇");
    assert_string_equal(cJSON_GetStringValue(
                            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "genres"), 0)),
                        "劇情");
    cJSON_Delete(doc);
    cJSON_Delete(zh);
    /* Neither: English. */
    doc = series_doc(b, "palace-secrets", "zh-HK");
    assert_string_equal(ts_str(doc, "title"), "Palace of Secrets");
    cJSON_Delete(doc);
    /* Simplified Chinese is untouched by it. */
    doc = series_doc(b, "revenge-ceo", "zh-CN");
    assert_string_equal(ts_str(doc, "title"), "总裁的复仇");
    cJSON_Delete(doc);

    assert_int_equal(partial_cleanup(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_language),
        cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_etag_per_language),
        cmocka_unit_test(test_search_vietnamese),
        cmocka_unit_test(test_traditional_falls_back_to_simplified),
    };
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
