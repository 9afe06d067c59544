/* Settings: a list of rows on the left, what the focused row means on the right.
 *   - Content language: the catalog's Accept-Language, one of the languages binge-server serves
 *     (docs/api.md, Languages), or "Same as menus" (the default: it follows the menu language);
 *     changing it asks for home again in that language.
 *   - Menu language: one of i18n_languages() (docs/i18n.md); the screens redraw in it at once,
 *     and home is asked again when the catalog follows it.
 *   - Audio and subtitles: the dub and the subtitles chosen first (what the AUDIO and SUBTITLES
 *     keys keep, src/app/prefs.c).
 *   - Autoplay of the next episode, on or off (the player screen honours it at an episode's end).
 *   - Account: linked or a guest; "Link" opens the activation screen, "Unlink" asks first, then
 *     POST /v1/device/unlink: the device becomes a guest (new tokens), and home and the wallet
 *     are fetched again.
 *   - About: version, device, server, and the licences of the libraries and fonts.
 * UP/DOWN move, LEFT/RIGHT (or OK) change a value, BACK returns.
 *
 * Threading: UI thread only. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../app_internal.h"
#include "binge/log.h"

LOG_MODULE("settings");

enum settings_row {
    ROW_LANGUAGE = 0,
    ROW_UI_LANGUAGE,
    ROW_AUDIO,
    ROW_SUBTITLES,
    ROW_AUTOPLAY,
    ROW_ACCOUNT,
    ROW_ABOUT,
    N_ROWS,
};
static const char *const row_names[N_ROWS] = {"language", "ui_language", "audio", "subtitles",
                                              "autoplay", "account",     "about"};

/* The languages binge-server serves (docs/api.md, Languages), each in its own words (the same
 * in every menu language). "zh" is Simplified Chinese, "zh-Hant" Traditional. */
static const struct {
    const char *code, *name;
} languages[] = {
    {"en", "English"},    {"es", "Español"},  {"pt", "Português"},
    {"fr", "Français"},   {"de", "Deutsch"},  {"id", "Bahasa Indonesia"},
    {"vi", "Tiếng Việt"}, {"th", "ไทย"},      {"ja", "日本語"},
    {"ko", "한국어"},     {"zh", "简体中文"}, {"zh-Hant", "繁體中文"},
    {"ar", "العربية"},    {"he", "עברית"},    {"hi", "हिन्दी"},
};
#define N_LANGUAGES (sizeof(languages) / sizeof(languages[0]))

/* Names and licences: the same in every language (the heading above them is translated). */
static const char about_licences[] =
    "GStreamer: LGPL 2.1 or later\n"
    "SDL2, SDL2_ttf, SDL2_image: zlib licence\n"
    "FreeType: FreeType licence; HarfBuzz: MIT; Fontconfig: MIT-style\n"
    "libcurl: curl licence (MIT-style); OpenSSL: Apache 2.0\n"
    "cJSON: MIT; libqrencode: LGPL 2.1 or later\n"
    "libpng: PNG licence; libjpeg-turbo: IJG and BSD-style\n"
    "binge-server: libmicrohttpd LGPL 2.1 or later; SQLite: public domain\n"
    "Fonts: DejaVu (Bitstream Vera licence, changes public domain); Noto (SIL Open Font "
    "Licence 1.1)";

struct settings_screen {
    size_t focus;
    bool confirm;         /* "Unlink this TV?" is up */
    size_t confirm_focus; /* 0 Unlink, 1 Cancel */
    uint64_t unlink_req;
    char status[320]; /* as long as the texts set_status gets */
    bool status_error;
    char panel[2048];
    char values[N_ROWS][96];
};

/* The index of lang in languages[] (by its primary subtag), -1 when it is not one of them. */
static int language_index(const char *lang)
{
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; lang && i < N_LANGUAGES; i++) {
        size_t n = strlen(languages[i].code);
        char end = strncasecmp(lang, languages[i].code, n) == 0 ? lang[n] : 'x';
        /* The longest code that is a whole prefix: zh-Hant-TW is zh-Hant, zh-CN is zh. */
        if ((end == '\0' || end == '-' || end == '_' || end == ',' || end == ';') && n > best_len) {
            best = (int)i;
            best_len = n;
        }
    }
    return best;
}

static const char *language_name(const char *lang, const char *none)
{
    int i = language_index(lang);
    return i >= 0 ? languages[i].name : lang ? lang : none;
}

/* The next value of a language list by dir: with_none adds NULL ("Off", "the episode's own")
 * before the languages. */
static const char *step_language(const char *cur, int dir, bool with_none)
{
    int n = (int)N_LANGUAGES + (with_none ? 1 : 0);
    int at = language_index(cur);
    int pos = at < 0 ? (with_none && !cur ? 0 : -1) : at + (with_none ? 1 : 0);
    pos = pos < 0 ? 0 : ((pos + dir) % n + n) % n;
    if (with_none && pos == 0)
        return NULL;
    return languages[pos - (with_none ? 1 : 0)].code;
}

/* The next menu language by dir (i18n_languages(), en when none is chosen). */
static const char *step_ui_language(const char *cur, int dir)
{
    size_t n = 0;
    const struct i18n_language *l = i18n_languages(&n);
    const struct i18n_language *at = i18n_resolve(cur ? cur : i18n_language());
    size_t pos = at ? (size_t)(at - l) : 0;
    pos = (pos + n + (size_t)(dir < 0 ? n - 1 : 1)) % n;
    return l[pos].tag;
}

static const char *ui_language_name(void)
{
    const struct i18n_language *l = i18n_resolve(i18n_language());
    return l ? l->name : "English";
}

static void set_status(struct app *app, struct settings_screen *st, bool error, const char *text)
{
    snprintf(st->status, sizeof(st->status), "%s", text);
    st->status_error = error;
    if (error)
        app_set_error(app, "%s", text);
}

static void change(struct app *app, struct settings_screen *st, int dir)
{
    switch (st->focus) {
    case ROW_LANGUAGE: {
        /* NULL first: "Same as menus"; the steps start from the language in use. */
        const char *cur = prefs_content_language(app);
        const char *lang = step_language(cur, dir, true);
        prefs_set_content_language(app, lang);
        home_reload(app); /* titles and synopses in the new language */
        app_toast(app, _("Catalog: %s"),
                  lang ? language_name(lang, "English") : _("Same as menus"));
        break;
    }
    case ROW_UI_LANGUAGE: {
        const char *before = prefs_content_language(app);
        char was[80];
        snprintf(was, sizeof(was), "%s", before ? before : "");
        prefs_set_ui_language(app, step_ui_language(prefs_ui_language(app), dir));
        if (strcmp(was, prefs_content_language(app)) != 0)
            home_reload(app); /* the catalog follows the menus */
        break;
    }
    case ROW_AUDIO:
        prefs_set_audio_language(app, step_language(prefs_audio_language(app), dir, true));
        break;
    case ROW_SUBTITLES:
        prefs_set_subtitle_language(app, step_language(prefs_subtitle_language(app), dir, true));
        break;
    case ROW_AUTOPLAY:
        prefs_set_autoplay(app, !prefs_autoplay(app));
        break;
    default:
        break;
    }
}

static void send_unlink(struct app *app, struct screen *s)
{
    struct settings_screen *st = s->state;
    if (!app->token) {
        screen_resend_later(app, s, APP_REQ_UNLINK);
        return;
    }
    st->unlink_req =
        screen_request(app, s, APP_REQ_UNLINK, NET_POST, "/v1/device/unlink", "{}", 0, NULL);
    set_status(app, st, false, st->unlink_req ? _("Unlinking...") : _("Can't unlink right now."));
    st->status_error = !st->unlink_req;
}

static void on_unlink(struct app *app, struct settings_screen *st, struct net_response *r)
{
    st->unlink_req = 0;
    char err[CATALOG_ERR_LEN] = "", text[320], tech[512];
    struct catalog_device *d = NULL;
    if (!r->error && r->status == 200 && catalog_parse_device(r->body, r->len, &d, err) == 0) {
        char was[160];
        snprintf(was, sizeof(was), "%s", app->account_name ? app->account_name : _("the account"));
        session_adopt(app, d); /* the guest's tokens; the wallet is fetched again */
        app_replace_str(&app->account_name, NULL);
        catalog_device_free(d);
        home_reload(app);
        snprintf(text, sizeof(text), _("This TV is no longer linked to %s."), was);
        set_status(app, st, false, text);
        log_info("device unlinked");
        return;
    }
    char *code = NULL, *message = NULL;
    if (!r->error && r->status == 409 &&
        catalog_parse_error(r->body, r->len, &code, &message) == 0 && code &&
        strcmp(code, "not_linked") == 0) {
        /* Unlinked elsewhere meanwhile: it is a guest already. */
        app_replace_str(&app->account_name, NULL);
        session_request_wallet(app);
        home_reload(app);
        set_status(app, st, false, _("This TV is not linked to an account."));
    } else {
        app_failure_text(r, err, text, sizeof(text), tech, sizeof(tech));
        log_error("unlink: %s", tech);
        set_status(app, st, true, text);
    }
    free(code);
    free(message);
}

static int settings_enter(struct app *app, struct screen *s, const void *arg)
{
    (void)app;
    (void)arg;
    struct settings_screen *st = s->state;
    st->focus = ROW_LANGUAGE;
    return 0;
}

static void settings_leave(struct app *app, struct screen *s)
{
    struct settings_screen *st = s->state;
    net_cancel(app->net, st->unlink_req);
}

static bool settings_action(struct app *app, struct screen *s, enum input_action a, bool repeat)
{
    (void)repeat;
    struct settings_screen *st = s->state;
    if (st->confirm) {
        switch (a) {
        case INPUT_UP:
            st->confirm_focus = 0;
            break;
        case INPUT_DOWN:
            st->confirm_focus = 1;
            break;
        case INPUT_OK:
            st->confirm = false;
            if (st->confirm_focus == 0)
                send_unlink(app, s);
            break;
        case INPUT_BACK:
            st->confirm = false;
            break;
        case INPUT_HOME:
            return false;
        default:
            break;
        }
        return true;
    }
    switch (a) {
    case INPUT_UP:
        if (st->focus > 0)
            st->focus--;
        return true;
    case INPUT_DOWN:
        if (st->focus + 1 < N_ROWS)
            st->focus++;
        return true;
    case INPUT_LEFT:
    case INPUT_RIGHT:
        change(app, st, a == INPUT_LEFT ? -1 : 1);
        return true;
    case INPUT_OK:
        if (st->focus == ROW_ACCOUNT) {
            if (st->unlink_req)
                return true; /* under way */
            if (app->account_name) {
                st->confirm = true;
                st->confirm_focus = 1; /* a slip of OK keeps the link */
            } else {
                st->status[0] = '\0';
                app_push(app, &screen_activate, NULL);
            }
        } else {
            change(app, st, 1);
        }
        return true;
    default:
        return false;
    }
}

static void settings_response(struct app *app, struct screen *s, struct net_response *r)
{
    struct settings_screen *st = s->state;
    if (r->kind == APP_REQ_UNLINK && r->id == st->unlink_req)
        on_unlink(app, st, r);
}

static void settings_resend(struct app *app, struct screen *s, int kind)
{
    if (kind == APP_REQ_UNLINK)
        send_unlink(app, s);
}

static int64_t settings_tick(struct app *app, struct screen *s, int64_t now)
{
    struct settings_screen *st = s->state;
    return st->unlink_req ? app_animate(app, now) : -1;
}

static const char *panel_text(struct app *app, struct settings_screen *st, const char **title)
{
    switch (st->focus) {
    case ROW_LANGUAGE:
        *title = _("Catalog language");
        return _("Titles and synopses come in this language, where the catalog has them. "
                 "Home is fetched again when you change it.");
    case ROW_UI_LANGUAGE:
        *title = _("Menu language");
        return _("The language of the menus. The catalog follows it unless you choose a "
                 "catalog language of its own.");
    case ROW_AUDIO:
        *title = _("Audio");
        return _("The dub chosen first when an episode has one in this language. The AUDIO "
                 "key switches while you watch.");
    case ROW_SUBTITLES:
        *title = _("Subtitles");
        return _("Subtitles shown when an episode has them in this language. The SUBTITLES "
                 "key switches while you watch.");
    case ROW_AUTOPLAY:
        *title = _("Autoplay");
        return _("On: the next episode starts when one ends. Off: binge stops after each "
                 "episode and waits for OK.");
    case ROW_ACCOUNT:
        *title = _("Account");
        if (app->account_name) {
            snprintf(st->panel, sizeof(st->panel),
                     _("This TV is linked to %s: it shares the account's coins, unlocks and "
                       "list. Unlinking makes it a guest again, with an empty wallet of its own; "
                       "the account keeps everything."),
                     app->account_name);
            return st->panel;
        }
        return _("This TV is a guest. Link it to your account to share your coins, unlocks "
                 "and list with your other devices.");
    default:
        *title = _("About binge");
        snprintf(st->panel, sizeof(st->panel), _("Version %s\nDevice %s\nServer %s"), BINGE_VERSION,
                 app->device_id ? app->device_id : _("(not registered)"),
                 app->opts->server_url ? app->opts->server_url : _("(none)"));
        size_t used = strlen(st->panel);
        snprintf(st->panel + used, sizeof(st->panel) - used, "\n\n%s\n%s",
                 _("binge is built on free software:"), about_licences);
        return st->panel;
    }
}

static void settings_render(struct app *app, struct screen *s, int64_t now)
{
    struct settings_screen *st = s->state;
    snprintf(st->values[ROW_LANGUAGE], sizeof(st->values[0]), "%s",
             prefs_content_language_apart(app)
                 ? language_name(prefs_content_language(app), "English")
                 : _("Same as menus"));
    snprintf(st->values[ROW_UI_LANGUAGE], sizeof(st->values[0]), "%s", ui_language_name());
    snprintf(st->values[ROW_AUDIO], sizeof(st->values[0]), "%s",
             language_name(prefs_audio_language(app), _("The episode's own")));
    snprintf(st->values[ROW_SUBTITLES], sizeof(st->values[0]), "%s",
             language_name(prefs_subtitle_language(app), _("Off")));
    snprintf(st->values[ROW_AUTOPLAY], sizeof(st->values[0]), "%s",
             prefs_autoplay(app) ? _("On") : _("Off"));
    snprintf(st->values[ROW_ACCOUNT], sizeof(st->values[0]), "%s",
             app->account_name ? _("Unlink") : _("Link"));
    snprintf(st->values[ROW_ABOUT], sizeof(st->values[0]), "%s", BINGE_VERSION);
    char account[128];
    snprintf(account, sizeof(account), _("Account: %s"),
             app->account_name ? app->account_name : _("guest"));
    static const char *const labels[N_ROWS] = {N_("Catalog language"),
                                               N_("Menu language"),
                                               N_("Audio"),
                                               N_("Subtitles"),
                                               N_("Autoplay next episode"),
                                               NULL,
                                               N_("About")};
    struct ui_settings_view v = {.n_rows = N_ROWS, .focus = st->focus, .now_ms = now};
    for (size_t i = 0; i < N_ROWS; i++) {
        v.rows[i] = (struct ui_settings_row){
            .label = labels[i] ? _(labels[i]) : account,
            .value = st->values[i],
            .choice = i <= ROW_AUTOPLAY,
        };
    }
    v.panel_text = panel_text(app, st, &v.panel_title);
    v.status = st->status[0] ? st->status : NULL;
    v.status_is_error = st->status_error;
    v.busy = st->unlink_req != 0;
    ui_draw_settings(app->ui, &v);
    if (st->confirm) {
        char title[200];
        snprintf(title, sizeof(title), _("Unlink this TV from %s?"),
                 app->account_name ? app->account_name : _("the account"));
        struct ui_dialog_view d = {
            .title = title,
            .detail = _("It becomes a guest with an empty wallet. The coins, unlocks and list "
                        "stay with the account."),
            .buttons = {_("Unlink"), _("Cancel")},
            .n_buttons = 2,
            .focus = st->confirm_focus,
            .hint = _("OK to choose, BACK to cancel"),
        };
        ui_draw_dialog(app->ui, &d);
    }
}

static bool settings_state(struct app *app, struct screen *s, const char *path, struct app_value *v)
{
    (void)app;
    struct settings_screen *st = s->state;
    if (strcmp(path, "settings.focus") == 0) {
        *v = (struct app_value){.type = APP_VALUE_STR, .s = row_names[st->focus]};
    } else if (strcmp(path, "settings.confirm") == 0) {
        *v = (struct app_value){.type = APP_VALUE_BOOL, .b = st->confirm};
    } else if (strcmp(path, "settings.status") == 0) {
        *v = (struct app_value){.type = APP_VALUE_STR, .s = st->status[0] ? st->status : NULL};
    } else {
        return false;
    }
    return true;
}

const struct screen_ops screen_settings = {
    .name = "settings",
    .state_size = sizeof(struct settings_screen),
    .enter = settings_enter,
    .leave = settings_leave,
    .action = settings_action,
    .response = settings_response,
    .resend = settings_resend,
    .tick = settings_tick,
    .render = settings_render,
    .state = settings_state,
};
