/* What the viewer reads when something fails (src/app/messages.c): the viewer's words on the
 * panel, the server's text, statuses, hosts and ports only in the technical detail; a player
 * message never repeats its title. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/app/app_internal.h"
#include "binge/error.h"

static void test_failures_in_viewer_words(void **state)
{
    static const struct {
        int error;
        long status;
        const char *message; /* net's message */
        const char *body;
        const char *title;
        const char *tech_part; /* must be in the technical detail */
    } rows[] = {
        {BINGE_ENET, 0, "Failed to connect to 127.0.0.1 port 41234 after 0 ms: Couldn't connect",
         NULL, "Can't reach the server", "127.0.0.1 port 41234"},
        {BINGE_ETIMEDOUT, 0, "Operation timed out after 10001 milliseconds with 0 bytes received",
         NULL, "Can't reach the server", "timed out"},
        {BINGE_ETOOBIG, 0, "the answer is larger than 4194304 bytes", NULL,
         "The server sent an unusable answer", "4194304"},
        {0, 500, "", "{\"error\":{\"code\":\"internal\",\"message\":\"injected fault: 500\"}}",
         "The service is having a problem", "HTTP 500 internal: injected fault: 500"},
        {0, 503, "", "{\"error\":{\"code\":\"unavailable\",\"message\":\"injected fault: 503\"}}",
         "The service is having a problem", "HTTP 503 unavailable"},
        {0, 502, "", "<html>Bad Gateway</html>", "The service is having a problem", "HTTP 502"},
        {0, 404, "", "{\"error\":{\"code\":\"not_found\",\"message\":\"no series x/y\"}}",
         "This isn't available", "no series x/y"},
        {0, 403, "", NULL, "Access was refused", "HTTP 403"},
        {0, 429, "", NULL, "Too many requests", "HTTP 429"},
        {0, 418, "", NULL, "Something went wrong", "HTTP 418"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct net_response r = {.error = rows[i].error,
                                 .status = rows[i].status,
                                 .body = (char *)rows[i].body,
                                 .len = rows[i].body ? strlen(rows[i].body) : 0};
        snprintf(r.message, sizeof(r.message), "%s", rows[i].message);
        char title[160], detail[256], tech[512];
        app_describe_failure(&r, title, sizeof(title), detail, sizeof(detail));
        app_failure_tech(&r, tech, sizeof(tech));
        assert_string_equal(title, rows[i].title);
        /* The viewer's words: a sentence, none of the server's text, no status, no host. */
        const char *shown[] = {title, detail};
        for (size_t k = 0; k < 2; k++) {
            static const char *const never[] = {"injected", "127.0.0.1", "port",
                                                "HTTP",     "500",       "503",
                                                "404",      "internal",  "no series"};
            for (size_t j = 0; j < sizeof(never) / sizeof(never[0]); j++)
                if (strstr(shown[k], never[j]))
                    fail_msg("row %zu: '%s' shows '%s'", i, shown[k], never[j]);
        }
        assert_true(strlen(detail) > 10 && detail[strlen(detail) - 1] == '.');
        if (!strstr(tech, rows[i].tech_part))
            fail_msg("row %zu: the detail '%s' lacks '%s'", i, tech, rows[i].tech_part);
    }
}

static void test_player_message_split(void **state)
{
    static const struct {
        const char *msg, *fallback, *title, *detail;
    } rows[] = {
        {"Can't play this episode: the stream was not found (404)", "Can't play this episode",
         "Can't play this episode", "The stream was not found."},
        {"Can't play this episode: the video is damaged", "Can't play this episode",
         "Can't play this episode", "The video is damaged."},
        {"Can't play this episode: its key was not found (500)", "Can't play this episode",
         "Can't play this episode", "Its key was not found."},
        {"The stream stopped and did not come back", "Playback stopped", "Playback stopped",
         "The stream stopped and did not come back."},
        {"Can't reach the video server. Check the connection and try again", "Connection problem",
         "Connection problem", "Can't reach the video server. Check the connection and try again."},
        {"This episode's format can't be played on this device", "Can't play this episode",
         "Can't play this episode", "This episode's format can't be played on this device."},
        {"Can't play this episode", "Can't play this episode", "Can't play this episode", ""},
        {"", "Playback failed", "Playback failed", ""},
        {"Playback failed", "Can't play this episode", "Can't play this episode",
         "Playback failed."},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char title[160], detail[256], shown[420];
        app_split_message(rows[i].msg, rows[i].fallback, title, sizeof(title), detail,
                          sizeof(detail));
        assert_string_equal(title, rows[i].title);
        assert_string_equal(detail, rows[i].detail);
        /* As the panel and `error` show it: the title once. */
        snprintf(shown, sizeof(shown), "%s: %s", title, detail);
        const char *first = strstr(shown, title);
        assert_null(strstr(first + 1, title));
    }
}

/* One status line (checkout, activation): title and sentence; a parser's message only in the
 * detail. */
static void test_failure_text(void **state)
{
    char text[420], tech[512];
    struct net_response r = {.status = 200, .body = "{\"id\":5}", .len = 8};
    app_failure_text(&r, "id: expected a string", text, sizeof(text), tech, sizeof(tech));
    assert_string_equal(text, "The server sent an unusable answer. Please try again in a moment.");
    assert_string_equal(tech, "bad JSON: id: expected a string");
    const char *body = "{\"error\":{\"code\":\"internal\",\"message\":\"injected fault: 500\"}}";
    r = (struct net_response){.status = 500, .body = (char *)body, .len = strlen(body)};
    app_failure_text(&r, "", text, sizeof(text), tech, sizeof(tech));
    assert_string_equal(text, "The service is having a problem. It is not your connection. Please "
                              "try again in a moment.");
    assert_string_equal(tech, "HTTP 500 internal: injected fault: 500");
    r = (struct net_response){.error = BINGE_ENET};
    snprintf(r.message, sizeof(r.message), "Failed to connect to 127.0.0.1 port 9");
    app_failure_text(&r, NULL, text, sizeof(text), tech, sizeof(tech));
    assert_string_equal(text, "Can't reach the server. Check your internet connection.");
    assert_non_null(strstr(tech, "127.0.0.1 port 9"));
}

/* A player's message in the menus' language: known ones translated without their status code,
 * others as the player said them. */
static void test_player_text_translated(void **state)
{
    (void)state;
    char out[512], title[160], detail[256];
    assert_int_equal(i18n_init(BINGE_BUILD_DIR "/locale"), 0);
    i18n_set_language("es");
    app_player_text("Can't play this episode: the stream was not found (404)", out, sizeof(out));
    assert_string_equal(out, "No se puede reproducir este episodio: no se encontró el vídeo");
    app_split_message(out, _("Can't play this episode"), title, sizeof(title), detail,
                      sizeof(detail));
    assert_string_equal(title, "No se puede reproducir este episodio");
    assert_string_equal(detail, "No se encontró el vídeo.");
    app_player_text("Can't play this episode: its key was not found (502)", out, sizeof(out));
    assert_string_equal(out, "No se puede reproducir este episodio: no se encontró su clave");
    app_player_text("Something the player never said (404)", out, sizeof(out));
    assert_string_equal(out, "Something the player never said (404)");
    /* Japanese: no Latin full stop after its own punctuation. */
    i18n_set_language("ja");
    app_player_text("Can't play this episode: the video is damaged", out, sizeof(out));
    app_split_message(out, _("Can't play this episode"), title, sizeof(title), detail,
                      sizeof(detail));
    assert_string_equal(detail, "動画が破損しています");
    /* Chinese: a full-width colon; the title once, not the whole line under it. */
    i18n_set_language("zh-Hans");
    app_player_text("Can't play this episode: the video is damaged", out, sizeof(out));
    app_split_message(out, _("Can't play this episode"), title, sizeof(title), detail,
                      sizeof(detail));
    assert_string_equal(title, "无法播放本集");
    assert_string_equal(detail, "视频已损坏");
    i18n_set_language("en");
    app_player_text("Can't play this episode: the stream was not found (404)", out, sizeof(out));
    assert_string_equal(out, "Can't play this episode: the stream was not found");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_player_text_translated),
        cmocka_unit_test(test_failures_in_viewer_words),
        cmocka_unit_test(test_player_message_split),
        cmocka_unit_test(test_failure_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
