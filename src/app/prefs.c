#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app_internal.h"
#include "binge/i18n.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("prefs");

/* The viewer's playback choices: volume, mute, the audio track (dub) and the subtitles. They
 * are settings of the store, so they survive a restart and follow the viewer from series to
 * series; the player remembers a language choice for every stream it opens after it.
 * Languages are kept, not track ids: an id belongs to one stream, "es" applies to all. */

#define PREF_VOLUME "volume"
#define PREF_MUTE "mute"
#define PREF_AUDIO "audio_language"
#define PREF_SUBTITLES "subtitle_language"   /* "off" = none */
#define PREF_AUTOPLAY "autoplay"             /* "0": stop after each episode */
#define PREF_CONTENT_LANG "content_language" /* Accept-Language of the catalog */
#define PREF_UI_LANG "ui_language"           /* the menus' language (docs/i18n.md) */
#define VOLUME_STEP 10

static void save(struct app *app, const char *key, const char *value)
{
    if (app->store && store_set_setting(app->store, key, value) != 0)
        log_warn("the %s setting was not saved", key);
}

static const char *saved(const struct app *app, const char *key)
{
    return app->store ? store_get_setting(app->store, key) : NULL;
}

void prefs_apply(struct app *app)
{
    const char *vol = saved(app, PREF_VOLUME);
    if (vol) {
        char *end = NULL;
        long pct = strtol(vol, &end, 10);
        if (end != vol && *end == '\0' && pct >= 0 && pct <= 100)
            player_set_volume(app->player, pct / 100.0);
        else
            log_warn("ignoring the saved volume \"%s\" (not 0..100)", vol);
    }
    const char *mute = saved(app, PREF_MUTE);
    if (mute)
        player_set_mute(app->player, strcmp(mute, "1") == 0);
    const char *audio = saved(app, PREF_AUDIO);
    if (audio && *audio)
        player_select_audio(app->player, audio); /* remembered until the tracks are known */
    prefs_apply_subtitles(app);
}

/* The language asked for the menus, as prefs_apply_ui_language picks it (--language, else the
 * settings screen's, else the locale's), as a BCP 47 tag into buf ("pt-PT" of "pt-PT, en;q=0.5"
 * or "pt_PT.UTF-8"), "" for none. Not resolved to a menu catalog: Portuguese subtitles suit a
 * viewer who asked for pt-PT even where binge has no Portuguese menus. */
static const char *asked_language(const struct app *app, char *buf, size_t len)
{
    const char *ui = saved(app, PREF_UI_LANG);
    const char *lang = app->opts ? app->opts->language : NULL;
    if (app->opts && !app->opts->language_set && ui && *ui)
        lang = ui;
    buf[0] = '\0';
    if (!lang || len == 0)
        return buf;
    lang += strspn(lang, " \t");
    size_t n = strcspn(lang, ",;. \t@");
    if (n >= len)
        n = len - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = lang[i] == '_' ? '-' : lang[i];
    buf[n] = '\0';
    return buf;
}

const char *prefs_default_subtitles(const struct app *app, char *buf, size_t len)
{
    const char *lang = asked_language(app, buf, len);
    /* English menus: the audio is English, so no subtitles unless chosen. "C"/"POSIX": none. */
    bool english = strncasecmp(lang, "en", 2) == 0 && strchr("-", lang[2]);
    if (!lang[0] || english || strcmp(lang, "C") == 0 || strcmp(lang, "POSIX") == 0 ||
        strcmp(lang, "*") == 0)
        return NULL;
    return lang;
}

void prefs_apply_subtitles(struct app *app)
{
    const char *subs = saved(app, PREF_SUBTITLES);
    if (subs && *subs) {
        player_select_subtitles(app->player, strcmp(subs, "off") == 0 ? NULL : subs);
        return;
    }
    /* Never chosen: the UI language's subtitles where a stream has them (regional fallback in
     * the player), none otherwise. Not saved: a later change of the UI language moves them. */
    char buf[32];
    const char *lang = prefs_default_subtitles(app, buf, sizeof(buf));
    player_select_subtitles(app->player, lang);
    log_info("subtitles by default: %s", lang ? lang : "off");
}

int prefs_volume_pct(const struct app *app)
{
    return (int)(player_get_volume(app->player) * 100 + 0.5);
}

/* The name a viewer reads for a track: its title, else its language, else its id. */
static const char *track_label(const struct player_track *t)
{
    return t->title[0] ? t->title : t->language[0] ? t->language : t->id;
}

/* Selects the track after the selected one of type (for subtitles, after the last comes
 * "off"). Returns the one now selected; NULL for off, or with *none when there is nothing to
 * switch to. */
static const struct player_track *cycle(struct app *app, enum player_track_type type,
                                        struct player_track *tracks, size_t n, bool *none)
{
    int cur = -1, count = 0, idx[APP_MAX_TRACKS];
    for (size_t i = 0; i < n; i++) {
        if (tracks[i].type != type)
            continue;
        if (tracks[i].selected)
            cur = count;
        idx[count++] = (int)i;
    }
    /* Nothing to switch to: no track, or a single sound track. */
    *none = count == 0 || (type == PLAYER_TRACK_AUDIO && count == 1);
    if (*none)
        return NULL;
    int next = cur + 1;
    if (type == PLAYER_TRACK_AUDIO)
        next %= count; /* there is always a sound track */
    if (next >= count) {
        player_select_subtitles(app->player, NULL);
        return NULL;
    }
    struct player_track *t = &tracks[idx[next]];
    int rc = type == PLAYER_TRACK_AUDIO ? player_select_audio(app->player, t->id)
                                        : player_select_subtitles(app->player, t->id);
    if (rc != 0)
        log_warn("could not select track %s: %d", t->id, rc);
    return t;
}

static void switch_track(struct app *app, enum player_track_type type)
{
    struct player_track tracks[APP_MAX_TRACKS];
    size_t n = player_get_tracks(app->player, tracks, APP_MAX_TRACKS);
    if (n > APP_MAX_TRACKS)
        n = APP_MAX_TRACKS;
    bool none;
    const struct player_track *t = cycle(app, type, tracks, n, &none);
    bool audio = type == PLAYER_TRACK_AUDIO;
    if (none) {
        app_toast(app, "%s",
                  audio ? _("This episode has one sound track")
                        : _("No subtitles for this episode"));
        return;
    }
    const char *key = audio ? PREF_AUDIO : PREF_SUBTITLES;
    if (!t) {
        save(app, key, "off");
        app_toast(app, _("Subtitles: %s"), _("off"));
        return;
    }
    save(app, key, t->language[0] ? t->language : t->id);
    if (audio)
        app_toast(app, _("Audio: %s"), track_label(t));
    else
        app_toast(app, _("Subtitles: %s"), track_label(t));
    log_info("%s track %s (%s)", audio ? "audio" : "subtitle", t->id, t->language);
}

static void set_volume(struct app *app, int pct)
{
    pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
    player_set_volume(app->player, pct / 100.0);
    char buf[8];
    snprintf(buf, sizeof(buf), "%d", pct);
    save(app, PREF_VOLUME, buf);
}

bool prefs_dispatch(struct app *app, enum input_action action, int64_t *volume_until_ms)
{
    switch (action) {
    case INPUT_VOLUME_UP:
    case INPUT_VOLUME_DOWN: {
        int pct = prefs_volume_pct(app) + (action == INPUT_VOLUME_UP ? VOLUME_STEP : -VOLUME_STEP);
        if (player_get_mute(app->player) && action == INPUT_VOLUME_UP) {
            player_set_mute(app->player, false); /* louder means audible */
            save(app, PREF_MUTE, "0");
        }
        set_volume(app, pct);
        *volume_until_ms = util_now_ms() + APP_TOAST_MS;
        return true;
    }
    case INPUT_MUTE: {
        bool mute = !player_get_mute(app->player);
        player_set_mute(app->player, mute);
        save(app, PREF_MUTE, mute ? "1" : "0");
        *volume_until_ms = util_now_ms() + APP_TOAST_MS;
        return true;
    }
    case INPUT_AUDIO:
        switch_track(app, PLAYER_TRACK_AUDIO);
        return true;
    case INPUT_SUBTITLES:
        switch_track(app, PLAYER_TRACK_TEXT);
        return true;
    default:
        return false;
    }
}

/* ---- what the settings screen changes ---- */

bool prefs_autoplay(const struct app *app)
{
    const char *v = saved(app, PREF_AUTOPLAY);
    return !v || strcmp(v, "0") != 0;
}

void prefs_set_autoplay(struct app *app, bool on)
{
    save(app, PREF_AUTOPLAY, on ? "1" : "0");
    log_info("autoplay of the next episode %s", on ? "on" : "off");
}

/* The catalog follows the menus unless set apart: the saved choice, else --language as given
 * (it may be a list, "th, en;q=0.5"), else the menus' language chosen in settings, else the
 * locale's (--language's default). */
const char *prefs_content_language(const struct app *app)
{
    const char *v = saved(app, PREF_CONTENT_LANG);
    if (v && *v)
        return v;
    const char *ui = saved(app, PREF_UI_LANG);
    return !app->opts->language_set && ui && *ui ? ui : app->opts->language;
}

bool prefs_content_language_apart(const struct app *app)
{
    const char *v = saved(app, PREF_CONTENT_LANG);
    return v && *v;
}

void prefs_set_content_language(struct app *app, const char *lang)
{
    save(app, PREF_CONTENT_LANG, lang);
    if (app->net && net_set_language(app->net, prefs_content_language(app)) != 0)
        log_warn("the content language %s is not used", lang);
    log_info("content language %s", prefs_content_language(app));
}

const char *prefs_ui_language(const struct app *app)
{
    return saved(app, PREF_UI_LANG);
}

void prefs_set_ui_language(struct app *app, const char *lang)
{
    const char *before = prefs_content_language(app);
    char was[80];
    snprintf(was, sizeof(was), "%s", before ? before : "");
    save(app, PREF_UI_LANG, lang);
    i18n_set_language(lang);
    app->full_redraw = true;   /* every screen draws its strings anew, in the new language */
    app_update_direction(app); /* and mirrored when it is written right to left */
    const char *content = prefs_content_language(app);
    if (content && strcmp(content, was) != 0 && app->net &&
        net_set_language(app->net, content) != 0)
        log_warn("the content language %s is not used", content);
    if (app->player)
        prefs_apply_subtitles(app); /* the default subtitles follow the UI language */
}

/* The menus' language: --language, else the settings screen's choice, else the locale's. */
const char *prefs_apply_ui_language(struct app *app)
{
    const char *ui = saved(app, PREF_UI_LANG);
    const char *lang = !app->opts->language_set && ui && *ui ? ui : app->opts->language;
    return i18n_set_language(lang)->tag;
}

const char *prefs_audio_language(const struct app *app)
{
    const char *v = saved(app, PREF_AUDIO);
    return v && *v ? v : NULL;
}

void prefs_set_audio_language(struct app *app, const char *lang)
{
    save(app, PREF_AUDIO, lang);
    if (lang && app->player)
        player_select_audio(app->player, lang); /* from the next stream on */
}

const char *prefs_subtitle_language(const struct app *app)
{
    const char *v = saved(app, PREF_SUBTITLES);
    return v && *v && strcmp(v, "off") != 0 ? v : NULL;
}

void prefs_set_subtitle_language(struct app *app, const char *lang)
{
    save(app, PREF_SUBTITLES, lang ? lang : "off");
    if (app->player)
        player_select_subtitles(app->player, lang);
}
