/* The player screen's view: its drawing (the picture, the pillars' side panel, the overlays)
 * and what the automation reads of it (player.*, qoe.*). Split from player.c, which keeps the
 * playback controller and the keys.
 *
 * Threading: UI thread only. */

#include <stdio.h>
#include <string.h>

#include "../app_internal.h"
#include "binge/app.h"
#include "player_screen.h"

/* The names of the tracks of type, '\n' separated, into buf ("" with none); returns the index
 * of the selected one, -1 for none. A single sound track is no choice: it is not listed. */
static int track_list(struct app *app, enum player_track_type type, char *buf, size_t len)
{
    struct player_track tracks[APP_MAX_TRACKS];
    size_t n = player_get_tracks(app->player, tracks, APP_MAX_TRACKS);
    int count = 0, selected = -1;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < APP_MAX_TRACKS; i++) {
        const struct player_track *t = &tracks[i];
        if (t->type != type)
            continue;
        const char *name = t->title[0] ? t->title : t->language[0] ? t->language : t->id;
        int w = snprintf(buf + used, len - used, "%s%s", used ? "\n" : "", name);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
        if (t->selected)
            selected = count;
        count++;
    }
    if (type == PLAYER_TRACK_AUDIO && count < 2)
        buf[0] = '\0';
    return selected;
}

void player_screen_render(struct app *app, struct screen *s, int64_t now)
{
    struct player_screen *p = s->state;
    bool paused = p->pstate == PLAYER_PAUSED;
    char next_up[256] = "";
    const struct catalog_episode *next =
        p->series ? catalog_series_episode(p->series, p->episode_index + 1) : NULL;
    if (next && next->state == CATALOG_LOCKED)
        snprintf(next_up, sizeof(next_up),
                 P_("%1$s - locked, %2$d coin", "%1$s - locked, %2$d coins", next->price_coins),
                 next->title, next->price_coins);
    else if (next)
        snprintf(next_up, sizeof(next_up), "%s", next->title);
    char sub[512], info[512] = "";
    bool has_sub = player_get_subtitle(app->player, sub, sizeof(sub));
    char audio_list[512], text_list[768];
    int audio_sel = track_list(app, PLAYER_TRACK_AUDIO, audio_list, sizeof(audio_list));
    int text_sel = track_list(app, PLAYER_TRACK_TEXT, text_list, sizeof(text_list));
    if (p->info) {
        struct player_variant var = {0};
        struct player_stats st;
        player_get_stats(app->player, &st);
        bool has_var = player_get_variant(app->player, &var);
        snprintf(info, sizeof(info),
                 "Stream\nVariant %dx%d, %u kbit/s (%d switches)\nFirst frame %lld ms "
                 "(playlist %lld, segment %lld)%s\nRebuffers %d (%lld ms), stalls %d",
                 has_var ? var.width : 0, has_var ? var.height : 0,
                 has_var ? var.bitrate / 1000 : 0, st.variant_switches,
                 (long long)st.first_frame_ms, (long long)st.manifest_ms,
                 (long long)st.first_segment_ms, st.prerolled ? ", prerolled" : "", st.rebuffers,
                 (long long)st.rebuffer_ms, st.stalls);
    }
    /* INFO on an error panel: what went wrong in detail, in the panel under the viewer's words. */
    char more[600] = "";
    if (p->info && p->msg_title[0] && p->pstate == PLAYER_ERROR && app->error_tech[0])
        snprintf(more, sizeof(more), _("Details: %s"), app->error_tech);
    struct ui_episode_strip_view strip = {
        .series = p->series,
        .focus = p->strip.focus,
        .playing = p->episode_index,
    };
    struct ui_player_view v = {
        .strip = p->strip.open && p->series ? &strip : NULL,
        .subtitle = has_sub ? sub : NULL,
        .audio_tracks = audio_list,
        .audio_selected = audio_sel,
        .subtitle_tracks = text_list,
        .subtitle_selected = text_sel,
        .info = info[0] ? info : NULL,
        .next_up = next_up[0] ? next_up : NULL,
        .series_title = p->series_title ? p->series_title : "",
        .poster_url = p->poster_url,
        .episode_index = p->episode_index,
        .episode_count = p->series ? (int)p->series->n_episodes : 0,
        .state = p->pstate,
        .position_ms = player_get_position_ms(app->player),
        .duration_ms = p->duration_ms,
        .overlay = paused || now < p->overlay_until_ms,
        .busy = p->busy,
        .busy_text = p->busy_text[0] ? p->busy_text : NULL,
        .message_title = p->msg_title[0] ? p->msg_title : NULL,
        .message_detail = p->msg_detail[0] ? p->msg_detail : NULL,
        .message_more = more[0] ? more : NULL,
        .message_hint = p->msg_error && p->pstate == PLAYER_ERROR
                            ? (p->msg_hint[0] ? p->msg_hint : _("OK to retry, BACK to return"))
                        : p->autoplay_held && p->msg_hint[0] ? p->msg_hint
                                                             : _("Press BACK to return"),
        .volume_pct = prefs_volume_pct(app),
        .muted = player_get_mute(app->player),
        .show_volume = now < p->volume_until_ms,
        .toast = now < app->toast_until_ms ? app->toast : NULL,
        .partial_ok = app->partial_ok,
        .now_ms = now,
    };
    ui_draw_player(app->ui, &v);
}

/* ---- the automation view: player.*, qoe.* ---- */

#define STR(x) (*v = (struct app_value){.type = APP_VALUE_STR, .s = (x)})
#define INT(x) (*v = (struct app_value){.type = APP_VALUE_INT, .i = (x)})
#define BOOL(x) (*v = (struct app_value){.type = APP_VALUE_BOOL, .b = (x)})

/* A variant as WIDTHxHEIGHT@BITRATE into buf. */
static const char *variant_text(const struct player_variant *var, char *buf, size_t len)
{
    snprintf(buf, len, "%dx%d@%u", var->width, var->height, var->bitrate);
    return buf;
}

/* The selected track of a type ("en"; its id when it has no language), or null. */
static void track_value(struct app *app, struct app_value *v, enum player_track_type type)
{
    static char buf[2][96];
    struct player_track tracks[APP_MAX_TRACKS];
    size_t n = player_get_tracks(app->player, tracks, APP_MAX_TRACKS);
    STR(NULL);
    for (size_t i = 0; i < n && i < APP_MAX_TRACKS; i++) {
        if (tracks[i].type == type && tracks[i].selected) {
            char *b = buf[type == PLAYER_TRACK_TEXT];
            snprintf(b, sizeof(buf[0]), "%s",
                     tracks[i].language[0] ? tracks[i].language : tracks[i].id);
            STR(b);
            return;
        }
    }
}

/* The selected track's name of a type ("Español (AI dub)"), or null; with list, the names of
 * all the tracks of that type, in the stream's order, separated by " | ". */
static void track_names(struct app *app, struct app_value *v, enum player_track_type type,
                        bool list)
{
    static char buf[4][512];
    struct player_track tracks[APP_MAX_TRACKS];
    size_t n = player_get_tracks(app->player, tracks, APP_MAX_TRACKS);
    char *b = buf[(type == PLAYER_TRACK_TEXT) * 2 + list];
    size_t used = 0;
    b[0] = '\0';
    STR(NULL);
    for (size_t i = 0; i < n && i < APP_MAX_TRACKS; i++) {
        const struct player_track *t = &tracks[i];
        if (t->type != type || (!list && !t->selected))
            continue;
        const char *name = t->title[0] ? t->title : t->language[0] ? t->language : t->id;
        int w = snprintf(b + used, sizeof(buf[0]) - used, "%s%s", used ? " | " : "", name);
        if (w < 0 || (size_t)w >= sizeof(buf[0]) - used)
            break;
        used += (size_t)w;
        STR(b);
        if (!list)
            return;
    }
}

/* The QoE statistics of the playback on screen (player_get_stats). */
static bool qoe_value(struct app *app, const char *path, struct app_value *v)
{
    static char buf[48];
    struct player_stats st;
    player_get_stats(app->player, &st);
    const char *f = path + strlen("qoe.");
    if (strcmp(f, "manifest_ms") == 0)
        INT(st.manifest_ms);
    else if (strcmp(f, "first_segment_ms") == 0)
        INT(st.first_segment_ms);
    else if (strcmp(f, "first_frame_ms") == 0)
        INT(st.first_frame_ms);
    else if (strcmp(f, "prerolled") == 0)
        BOOL(st.prerolled);
    else if (strcmp(f, "start_variant") == 0)
        STR(st.start_variant.width > 0 ? variant_text(&st.start_variant, buf, sizeof(buf)) : NULL);
    else if (strcmp(f, "variant_switches") == 0)
        INT(st.variant_switches);
    else if (strcmp(f, "rebuffers") == 0)
        INT(st.rebuffers);
    else if (strcmp(f, "rebuffer_ms") == 0)
        INT(st.rebuffer_ms);
    else if (strcmp(f, "stalls") == 0)
        INT(st.stalls);
    else if (strcmp(f, "errors") == 0)
        INT(st.errors);
    else
        return false;
    return true;
}

/* The episode open is the player's under the paywall too (player.series_id, episode_index,
 * state); what only the picture on screen has (position, variant, tracks, QoE) is the default
 * (state.c) unless the player screen is on top. */
bool player_screen_state(struct app *app, struct screen *s, const char *path, struct app_value *v)
{
    struct player_screen *p = s->state;
    bool top = app_top(app) == s;
    static char buf[48];
    if (strcmp(path, "player.state") == 0) {
        STR(player_state_name(p->pstate));
    } else if (strcmp(path, "player.series_id") == 0) {
        STR(p->series_id);
    } else if (strcmp(path, "player.episode_index") == 0) {
        INT(p->episode_index);
    } else if (strcmp(path, "player.instant") == 0) {
        BOOL(p->instant);
    } else if (strcmp(path, "player.strip") == 0) {
        BOOL(p->strip.open);
    } else if (strcmp(path, "player.strip_episode") == 0) {
        int e = strip_episode(&p->strip, p->series);
        if (e)
            INT(e);
        else
            STR(NULL);
    } else if (strcmp(path, "player.next_prerolled") == 0) {
        BOOL(p->preroll_index != 0 && !p->next_locked);
    } else if (!top) {
        return false;
    } else if (strcmp(path, "player.position_ms") == 0) {
        INT(player_get_position_ms(app->player));
    } else if (strcmp(path, "player.duration_ms") == 0) {
        INT(p->duration_ms);
    } else if (strcmp(path, "player.seeking") == 0) {
        BOOL(p->seeking);
    } else if (strcmp(path, "player.message") == 0) {
        STR(p->msg_title[0] ? p->msg_title : NULL);
    } else if (strcmp(path, "player.variant") == 0) {
        struct player_variant var;
        STR(player_get_variant(app->player, &var) ? variant_text(&var, buf, sizeof(buf)) : NULL);
    } else if (strcmp(path, "player.audio") == 0) {
        track_value(app, v, PLAYER_TRACK_AUDIO);
    } else if (strcmp(path, "player.subtitles") == 0) {
        track_value(app, v, PLAYER_TRACK_TEXT);
    } else if (strcmp(path, "player.audio_name") == 0) {
        track_names(app, v, PLAYER_TRACK_AUDIO, false);
    } else if (strcmp(path, "player.subtitles_name") == 0) {
        track_names(app, v, PLAYER_TRACK_TEXT, false);
    } else if (strcmp(path, "player.audio_tracks") == 0) {
        track_names(app, v, PLAYER_TRACK_AUDIO, true);
    } else if (strcmp(path, "player.subtitle_tracks") == 0) {
        track_names(app, v, PLAYER_TRACK_TEXT, true);
    } else if (strcmp(path, "player.cue") == 0) {
        static char cue[512];
        STR(player_get_subtitle(app->player, cue, sizeof(cue)) ? cue : NULL);
    } else if (strncmp(path, "qoe.", 4) == 0) {
        return qoe_value(app, path, v);
    } else {
        return false;
    }
    return true;
}
