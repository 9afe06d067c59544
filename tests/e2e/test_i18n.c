/* Every screen in every UI language (docs/i18n.md): for each catalog of assets/i18n/LINGUAS,
 * binge runs headless with --language, opens home, a series page, the player (paused, then its
 * episode strip), a paywall, search, the wallet and settings, and prints `state strings` on each.
 * No string drawn may be an English msgid of assets/i18n/binge.pot (formats matched as
 * patterns), except the few that read the same in every language (same_in_all[]). The same
 * run in English must find English msgids on every screen: the check can fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <regex.h>

#include "screen_util.h"

#define CONTENT_ARGS "--series 2 --episodes 7 --duration 2 --sizes 180x320"

static char content[1024];
static struct tu_server srv = {.pid = -1};

/* Read the same in every language: units and the episode abbreviation. Small on purpose. */
static const char *const same_in_all[] = {
    "%lld s", "%llds", "%lld min", "%lld h %lld min", "%lldh %02lldm", "%lldm %02llds", "EP %d"};
/* A language whose word is the English one. */
static const struct {
    const char *lang, *msgid;
} same_in[] = {{"id", "%d episode"}, {"id", "Episode %d"}}; /* server: "Episode 2" */

/* The screens the script visits, in the order of its `state strings` lines. */
static const char *const screens[] = {"home",   "series",   "player",
                                      "strip",  "paywall",  "search",
                                      "wallet", "settings", "settings-menu-language"};
#define N_SCREENS (sizeof(screens) / sizeof(screens[0]))

/* The catalog's own text (series titles) is the server's, not a string of binge's: skipped.
 * Episodes have no title there: binge-server names them "Episode N" in the viewer's language. */
static char **catalog_text;
static size_t n_catalog_text;

static void collect_catalog_text(const cJSON *node)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, node)
    {
        if (cJSON_IsString(c) && c->string && strcmp(c->string, "title") == 0) {
            catalog_text = realloc(catalog_text, (n_catalog_text + 1) * sizeof(*catalog_text));
            assert_non_null(catalog_text);
            catalog_text[n_catalog_text++] = strdup(c->valuestring);
        } else if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            collect_catalog_text(c);
        }
    }
}

static bool is_catalog_text(const char *s)
{
    for (size_t i = 0; i < n_catalog_text; i++)
        if (strcmp(s, catalog_text[i]) == 0)
            return true;
    return false;
}

struct msgid {
    char *text;
    regex_t re;
};
static struct msgid *msgids;
static size_t n_msgids;

/* A C string of the .pot ("..." with escapes) appended to out. */
static void unquote(const char *p, char *out, size_t len)
{
    size_t n = strlen(out);
    if (*p != '"')
        return;
    for (p++; *p && *p != '"' && n + 1 < len; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            out[n++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static bool has_letter_outside_specs(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '%') {
            p++;
            while (*p && !strchr("diouxXscf%", *p))
                p++;
            if (!*p)
                break;
            continue;
        }
        if (isalpha((unsigned char)*p))
            return true;
    }
    return false;
}

/* "Episode %d is locked" -> "^Episode [-+]?[0-9]+ is locked$". */
static int compile(const char *msgid, regex_t *re)
{
    char pat[4096] = "^";
    size_t n = 1;
    for (const char *p = msgid; *p && n + 16 < sizeof(pat); p++) {
        if (*p == '%') {
            const char *q = p + 1;
            while (*q && !strchr("diouxXscf%", *q))
                q++;
            const char *rep = *q == '%' ? "%" : *q == 's' ? ".+" : "[-+]?[0-9]+";
            n += (size_t)snprintf(pat + n, sizeof(pat) - n, "%s", rep);
            p = *q ? q : q - 1;
        } else if (strchr(".[]()*+?{}|^$\\", *p)) {
            pat[n++] = '\\';
            pat[n++] = *p;
        } else {
            pat[n++] = *p;
        }
    }
    pat[n++] = '$';
    pat[n] = '\0';
    return regcomp(re, pat, REG_EXTENDED | REG_NOSUB);
}

static void add_msgid(const char *text)
{
    if (!text[0] || !has_letter_outside_specs(text))
        return;
    for (size_t i = 0; i < sizeof(same_in_all) / sizeof(same_in_all[0]); i++)
        if (strcmp(text, same_in_all[i]) == 0)
            return;
    msgids = realloc(msgids, (n_msgids + 1) * sizeof(*msgids));
    assert_non_null(msgids);
    msgids[n_msgids].text = strdup(text);
    if (compile(text, &msgids[n_msgids].re) != 0)
        fail_msg("can't make a pattern of \"%s\"", text);
    n_msgids++;
}

/* The msgids and msgid_plurals of binge.pot. */
static void load_pot(void)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/assets/i18n/binge.pot", BINGE_SOURCE_DIR);
    char *pot = tu_read_file(path);
    assert_non_null(pot);
    static char cur[4096];
    bool in_id = false;
    for (char *save = NULL, *line = strtok_r(pot, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "msgid ", 6) == 0 || strncmp(line, "msgid_plural ", 13) == 0) {
            if (in_id)
                add_msgid(cur);
            cur[0] = '\0';
            unquote(strchr(line, '"'), cur, sizeof(cur));
            in_id = true;
        } else if (line[0] == '"' && in_id) {
            unquote(line, cur, sizeof(cur));
        } else if (in_id) {
            add_msgid(cur);
            in_id = false;
        }
    }
    free(pot);
    assert_true(n_msgids > 150);
}

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-i18n-content", BINGE_BUILD_DIR);
    if (tu_make_content(content, CONTENT_ARGS) != 0)
        return -1;
    load_pot();
    char path[1200];
    snprintf(path, sizeof(path), "%s/catalog.json", content);
    char *json = tu_read_file(path);
    cJSON *catalog = json ? cJSON_Parse(json) : NULL;
    free(json);
    if (!catalog)
        return -1;
    collect_catalog_text(catalog);
    cJSON_Delete(catalog);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    for (size_t i = 0; i < n_msgids; i++) {
        regfree(&msgids[i].re);
        free(msgids[i].text);
    }
    free(msgids);
    for (size_t i = 0; i < n_catalog_text; i++)
        free(catalog_text[i]);
    free(catalog_text);
    return 0;
}

/* The English msgid s is, or NULL. */
static const char *english(const char *lang, const char *s)
{
    if (is_catalog_text(s))
        return NULL;
    for (size_t i = 0; i < n_msgids; i++) {
        if (regexec(&msgids[i].re, s, 0, NULL, 0) != 0)
            continue;
        bool same = false;
        for (size_t k = 0; k < sizeof(same_in) / sizeof(same_in[0]); k++)
            same |=
                strcmp(lang, same_in[k].lang) == 0 && strcmp(msgids[i].text, same_in[k].msgid) == 0;
        if (!same)
            return msgids[i].text;
    }
    return NULL;
}

/* Runs the tour in lang; returns how many strings drawn are English msgids, per screen in
 * english_on[]. Fails when a screen drew nothing or ui_language is not want_tag. */
static int tour(const char *dir, const char *lang, const char *want_tag, int english_on[N_SCREENS],
                bool quiet)
{
    /* Right to left, the next episode and the bar's next item are on the left. */
    const char *next = strcmp(lang, "ar") == 0 || strcmp(lang, "he") == 0 ? "LEFT" : "RIGHT";
    char script[6000];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "wait-for home.posters_pending=0 30000\n"
             "screenshot %s/%s-home.png\n"
             "state strings\n"
             /* the first card's series page */
             "key OK\n"
             "wait-for screen=series 10000\n"
             "wait-for series.state=ready 30000\n"
             "screenshot %s/%s-series.png\n"
             "state strings\n"
             /* its first episode, paused; then the episode strip */
             "key OK\n"
             "wait-for screen=player 10000\n"
             "wait-for player.state=playing 60000\n"
             "key PLAY_PAUSE\n"
             "wait-for player.state=paused 10000\n"
             "key DOWN\n"
             "wait-for player.strip=true 5000\n"
             "screenshot %s/%s-strip.png\n"
             "state strings\n"
             /* the strip closed: the player drawn whole, its side panel too */
             "key BACK\n"
             "wait-for player.strip=false 5000\n"
             "screenshot %s/%s-player.png\n"
             "state strings\n"
             /* the locked episode 7: its paywall */
             "key DOWN\n"
             "wait-for player.strip=true 5000\n"
             "key %s 6\n"
             "wait-for player.strip_episode=7 5000\n"
             "key OK\n"
             "wait-for screen=paywall 30000\n"
             "wait-for paywall.balance>=0 20000\n"
             "screenshot %s/%s-paywall.png\n"
             "state strings\n"
             "key BACK\n"
             "wait-for screen=series 10000\n"
             "key BACK\n"
             "wait-for screen=home 10000\n"
             /* the top bar: search (one letter typed), the wallet, settings */
             "key UP\n"
             "wait-for home.bar=search 5000\n"
             "key OK\n"
             "wait-for screen=search 5000\n"
             "key OK\n"
             "wait-for search.results_for=a 20000\n"
             "wait-for search.state=ready 20000\n"
             "screenshot %s/%s-search.png\n"
             "state strings\n"
             "key BACK\n"
             "wait-for screen=home 10000\n"
             "key UP\n"
             "wait-for home.bar=search 5000\n"
             "key %s\n"
             "wait-for home.bar=wallet 5000\n"
             "key OK\n"
             "wait-for screen=wallet 10000\n"
             "wait-for wallet.packs>0 30000\n"
             "wait-for wallet.history>0 30000\n"
             "screenshot %s/%s-wallet.png\n"
             "state strings\n"
             "key BACK\n"
             "wait-for screen=home 10000\n"
             "key UP\n"
             "wait-for home.bar=wallet 5000\n"
             "key %s\n"
             "wait-for home.bar=settings 5000\n"
             "key OK\n"
             "wait-for screen=settings 10000\n"
             "screenshot %s/%s-settings.png\n"
             "state strings\n"
             "key DOWN\n"
             "wait-for settings.focus=ui_language 5000\n"
             "screenshot %s/%s-settings-menu.png\n"
             "state strings\n"
             "quit\n",
             dir, lang, dir, lang, dir, lang, dir, lang, next, dir, lang, dir, lang, next, dir,
             lang, next, dir, lang, dir, lang);
    char bin[1024], script_path[1300], out[1300], err[1300];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(script_path, sizeof(script_path), "%s/%s.txt", dir, lang);
    snprintf(out, sizeof(out), "%s/%s-out.txt", dir, lang);
    snprintf(err, sizeof(err), "%s/%s-err.txt", dir, lang);
    assert_int_equal(tu_write_file(script_path, script), 0);
    char state_dir[1300];
    snprintf(state_dir, sizeof(state_dir), "%s/state-%s", dir, lang);
    char *argv[] = {bin,          "--headless", "--server",    srv.url,   "--language",
                    (char *)lang, "--script",   script_path,   "--width", "1920",
                    "--height",   "1080",       "--state-dir", state_dir, NULL};
    int rc = tu_run(argv, out, err, 300);
    if (rc != 0) {
        char *log = tu_read_file(err);
        fprintf(stderr, "binge --language %s exited %d; its log:\n%s\n", lang, rc,
                log ? log : "(none)");
        free(log);
    }
    assert_int_equal(rc, 0);

    char *text = tu_read_file(out);
    assert_non_null(text);
    size_t at = 0;
    int total = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "{\"ui_language\"", 14) != 0)
            continue;
        assert_true(at < N_SCREENS);
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        const char *tag = su_str(j, NULL, "ui_language");
        if (!tag || strcmp(tag, want_tag) != 0)
            fail_msg("--language %s: ui_language is %s, want %s", lang, tag ? tag : "null",
                     want_tag);
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "strings");
        assert_true(cJSON_IsArray(list));
        if (cJSON_GetArraySize(list) < 2)
            fail_msg("%s, %s: %d strings drawn", lang, screens[at], cJSON_GetArraySize(list));
        english_on[at] = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, list)
        {
            const char *id = cJSON_IsString(s) ? english(lang, s->valuestring) : NULL;
            if (!id)
                continue;
            english_on[at]++;
            total++;
            if (!quiet)
                fprintf(stderr, "%s, %s: \"%s\" is English (msgid \"%s\")\n", lang, screens[at],
                        s->valuestring, id);
        }
        cJSON_Delete(j);
        at++;
    }
    free(text);
    if (at != N_SCREENS)
        fail_msg("%s: %zu screens' strings, want %zu", lang, at, N_SCREENS);
    return total;
}

static void test_english_is_caught(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-i18n-en");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                                     su_path(dir, "server.log")),
                     0);
    int on[N_SCREENS];
    tour(dir, "en", "en", on, true);
    for (size_t i = 0; i < N_SCREENS; i++)
        if (on[i] == 0)
            fail_msg("en, %s: no English msgid among the strings drawn: the check is blind there",
                     screens[i]);
    tu_server_stop(&srv);
}

static void test_every_language(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-i18n");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                                     su_path(dir, "server.log")),
                     0);
    char path[1200];
    snprintf(path, sizeof(path), "%s/assets/i18n/LINGUAS", BINGE_SOURCE_DIR);
    char *linguas = tu_read_file(path);
    assert_non_null(linguas);
    int failed = 0, langs = 0;
    for (char *save = NULL, *line = strtok_r(linguas, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        for (char *s2 = NULL, *cat = strtok_r(line, " ", &s2); cat;
             cat = strtok_r(NULL, " ", &s2)) {
            /* The catalog name as --language takes it (pt_BR -> pt-BR, zh_CN -> zh-Hans). */
            const char *tag = strcmp(cat, "pt_BR") == 0   ? "pt-BR"
                              : strcmp(cat, "zh_CN") == 0 ? "zh-Hans"
                                                          : cat;
            int on[N_SCREENS];
            int n = tour(dir, tag, tag, on, false);
            fprintf(stderr, "%s: %d English strings on %zu screens\n", cat, n, N_SCREENS);
            failed += n;
            langs++;
        }
    }
    free(linguas);
    assert_true(langs >= 12);
    assert_int_equal(failed, 0);
    tu_server_stop(&srv);
}

/* The strings line n (0-based) of a run's output, parsed. */
static cJSON *strings_line(const char *dir, const char *name, int n)
{
    char path[1300];
    snprintf(path, sizeof(path), "%s/%s-out.txt", dir, name);
    char *out = tu_read_file(path);
    assert_non_null(out);
    cJSON *json = NULL;
    int i = 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        if (strncmp(line, "{\"ui_language\"", 14) == 0 && i++ == n) {
            json = cJSON_Parse(line);
            break;
        }
    free(out);
    if (!json)
        fail_msg("%s: strings line %d missing", name, n);
    return json;
}

static bool drew(const cJSON *strings, const char *s)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(strings, "strings"), *e;
    cJSON_ArrayForEach(e, list)
    {
        if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
            return true;
    }
    return false;
}

/* The settings screen's menu language applies at once (no restart), home follows, the choice is
 * kept for the next start, and --language goes over it. */
static void test_settings_language_live(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-i18n-live");
    assert_non_null(dir);
    assert_int_equal(tu_server_start(&srv, 0, content, su_path(dir, "db.sqlite"), NULL,
                                     su_path(dir, "server.log")),
                     0);
    /* English to Español (the next of the list) on the settings screen. */
    char script[2000];
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "key UP\n"
             "wait-for home.bar=search 5000\n"
             "key RIGHT 2\n"
             "wait-for home.bar=settings 5000\n"
             "key OK\n"
             "wait-for screen=settings 10000\n"
             "key DOWN\n"
             "wait-for settings.focus=ui_language 5000\n"
             "screenshot %s/before.png\n"
             "state strings\n"
             "key RIGHT\n"
             "wait-for ui_language=es 5000\n"
             "wait-for settings.ui_language=es 5000\n"
             "screenshot %s/after.png\n"
             "state strings\n"
             "key BACK\n"
             "wait-for screen=home 10000\n"
             "wait-for home.state=ready 30000\n"
             "wait-for home.posters_pending=0 30000\n"
             "screenshot %s/home.png\n"
             "state strings\n"
             "quit\n",
             dir, dir, dir);
    assert_int_equal(su_run(dir, "live", srv.url, script), 0);
    cJSON *before = strings_line(dir, "live", 0), *after = strings_line(dir, "live", 1),
          *home = strings_line(dir, "live", 2);
    assert_string_equal(su_str(before, NULL, "ui_language"), "en");
    assert_true(drew(before, "Menu language"));
    assert_true(drew(before, "Settings"));
    assert_string_equal(su_str(after, NULL, "ui_language"), "es");
    assert_true(drew(after, "Idioma de los menús"));
    assert_true(drew(after, "Ajustes"));
    assert_false(drew(after, "Menu language"));
    assert_true(drew(home, "Buscar"));
    assert_true(drew(home, "Monedero"));
    assert_true(drew(home, "La heredera de medianoche")); /* the catalog follows the menus */
    assert_false(drew(home, "The Midnight Heir"));
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON_Delete(home);

    /* The next start: the menus in the saved Español; --language goes over it. */
    snprintf(script, sizeof(script),
             "wait-for home.state=ready 30000\n"
             "screenshot %s/again.png\n"
             "state strings\n"
             "quit\n",
             dir);
    assert_int_equal(su_run(dir, "again", srv.url, script), 0);
    cJSON *again = strings_line(dir, "again", 0);
    assert_string_equal(su_str(again, NULL, "ui_language"), "es");
    assert_true(drew(again, "Monedero"));
    cJSON_Delete(again);
    char bin[1024], path[1300], out[1300], err[1300], state_dir[1300];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(path, sizeof(path), "%s/again.txt", dir); /* the same script */
    snprintf(out, sizeof(out), "%s/fr-out.txt", dir);
    snprintf(err, sizeof(err), "%s/fr-err.txt", dir);
    snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
    char *argv[] = {bin,        "--headless", "--server",    srv.url,   "--language",
                    "fr",       "--script",   path,          "--width", "1920",
                    "--height", "1080",       "--state-dir", state_dir, NULL};
    assert_int_equal(tu_run(argv, out, err, 120), 0);
    cJSON *fr = strings_line(dir, "fr", 0);
    assert_string_equal(su_str(fr, NULL, "ui_language"), "fr");
    assert_true(drew(fr, "Portefeuille"));
    cJSON_Delete(fr);
    tu_server_stop(&srv);
}

/* A test that fails half way leaves its server up: stopped after each test, pass or fail. */
static int stop_server(void **state)
{
    (void)state;
    tu_server_stop(&srv);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_english_is_caught, stop_server),
        cmocka_unit_test_teardown(test_every_language, stop_server),
        cmocka_unit_test_teardown(test_settings_language_live, stop_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
