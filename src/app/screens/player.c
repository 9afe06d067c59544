/* The player screen and its playback controller: opening a series and an episode (the play
 * grant, the paywall on a 402), the next episode prepared near the end and swapped in, --play's
 * list of URLs, the player's events and errors as the viewer sees them, LEFT/RIGHT seeking and
 * the keys. Its drawing and automation view are player_view.c's. The paywall is pushed over it
 * when an episode is locked; it stays below, stopped, and plays the episode once it is
 * unlocked (player_screen_unlocked).
 *
 * Threading: UI thread only (player events arrive through player_poll_event on the UI thread). */

#include <stdlib.h>
#include <string.h>

#include "../app_internal.h"
#include "player_screen.h"
#include "binge/app.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("app");

/* struct player_screen: player_screen.h */

static void player_message(struct app *app, struct screen *s, bool is_error, const char *title,
                           const char *detail)
{
    struct player_screen *p = s->state;
    snprintf(p->msg_title, sizeof(p->msg_title), "%s", title);
    snprintf(p->msg_detail, sizeof(p->msg_detail), "%s", detail ? detail : "");
    p->msg_hint[0] = '\0';
    p->msg_error = is_error;
    p->busy = false;
    if (is_error)
        p->pstate = PLAYER_ERROR;
    if (is_error)
        app_set_error(app, "%s%s%s", title, detail ? ": " : "", detail ? detail : "");
}

static void set_busy(struct app *app, struct screen *s, const char *text)
{
    struct player_screen *p = s->state;
    p->busy = true;
    snprintf(p->busy_text, sizeof(p->busy_text), "%s", text);
}

static void set_busy_episode(struct app *app, struct screen *s, int index)
{
    char text[128]; /* the episode is not known before the series is in */
    if (index > 0)
        snprintf(text, sizeof(text), _("Loading episode %d"), index);
    else
        snprintf(text, sizeof(text), "%s", _("Loading"));
    set_busy(app, s, text);
}

/* Starts the clock for the time to the next first frame drawn. */
static void arm_first_frame(struct app *app, struct screen *s, const char *label)
{
    struct player_screen *p = s->state;
    p->ff_start_ms = util_now_ms();
    p->ff_label = label;
    p->ff_armed = true;
    p->ff_uploaded = false;
}

static void forget_next(struct app *app, struct screen *s);
static void send_seek(struct app *app, struct screen *s);

static void play_episode(struct app *app, struct screen *s, int index)
{
    struct player_screen *p = s->state;
    const struct catalog_episode *ep = catalog_series_episode(p->series, index);
    p->msg_title[0] = '\0';
    if (index != p->episode_index)
        p->resume_override_ms = -1; /* a retry's position belongs to its own episode */
    p->episode_index = index;
    p->instant = false;
    p->seek_dir = 0; /* a held key does not carry its speed into another episode */
    p->seeking = p->seek_queued = false;
    if (!ep) {
        player_message(app, s, true, _("This episode is missing"),
                       _("The series has no such episode"));
        return;
    }
    if (!app->token) {
        /* The device is still registering (or retrying it with backoff): the press is kept and
         * honoured once the session is ready (session_on_register resubmits it); BACK leaves. */
        screen_resend_later(app, s, APP_REQ_PLAY);
        p->pstate = PLAYER_LOADING;
        p->duration_ms = -1;
        set_busy(app, s, _("Signing in"));
        if (!app->register_req)
            session_request_register(app);
        return;
    }
    char *path = NET_PATH("v1", "episodes", ep->id, "play");
    if (!path)
        return;
    net_cancel(app->net, p->play_req);
    p->play_req = screen_request(app, s, APP_REQ_PLAY, NET_POST, path, "{}", 0, NULL);
    free(path);
    /* Asking for the play URL is the start of loading: from here on the state describes this
     * episode, not the one before it. */
    p->pstate = PLAYER_LOADING;
    p->duration_ms = -1;
    set_busy_episode(app, s, index);
}

static void playback_request_series(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    char *path = NET_PATH("v1", "series", p->series_id), key[200];
    if (!path)
        return;
    app_cache_key(app, "series", p->series_id, key, sizeof(key));
    char *etag = app_cache_etag(app, key); /* from memory: the body stays on disk */
    net_cancel(app->net, p->series_req);
    p->series_req = screen_request(app, s, APP_REQ_SERIES, NET_GET, path, NULL, 0, etag);
    free(path);
    free(etag);
    p->msg_title[0] = '\0';
    p->pstate = PLAYER_LOADING;
    set_busy_episode(app, s, p->episode_index);
}

static void playback_open_series(struct app *app, struct screen *s, const struct catalog_item *item)
{
    struct player_screen *p = s->state;
    app_replace_str(&p->series_id, item->series_id);
    app_replace_str(&p->series_title, item->title);
    app_replace_str(&p->poster_url, item->poster_url);
    catalog_series_free(p->series);
    p->series = NULL;
    /* A "continue watching" card names the episode; any other card leaves it to the series'
     * resume (playback_on_series). The play grant's resume_ms then places it. */
    p->episode_index = item->episode_id && item->episode_index > 0 ? item->episode_index : 0;
    p->pstate = PLAYER_IDLE;
    p->duration_ms = -1;
    p->msg_title[0] = '\0';
    app->error[0] = '\0';
    p->overlay_until_ms = 0;
    arm_first_frame(app, s, "OK to first frame");
    ui_video_clear(app->ui);
    log_info("open series %s", item->series_id);
    /* Instant start: the episode was prerolled while the viewer looked at it (src/app/preroll.c);
     * its first frame is decoded and comes up with the next present. */
    struct catalog_series *series = NULL;
    int index = 0;
    if (preroll_take(app, item->series_id, p->episode_index, &series, &index)) {
        p->series = series;
        p->episode_index = index;
        app_replace_str(&p->series_title, series->title);
        bool ready = false;
        player_has_preroll(app->player, &ready);
        if (player_swap(app->player) == 0) {
            p->instant = true;
            p->duration_ms = player_get_duration_ms(app->player);
            /* Taken still prerolling, it has no picture yet: loading (and the spinner) until
             * the player says otherwise, not a `playing` with nothing on screen. */
            p->pstate = ready ? PLAYER_PLAYING : PLAYER_LOADING;
            p->busy = false;
            if (!ready)
                set_busy_episode(app, s, index);
            /* Its first frame, if ready, is there on return: up with the very next present. */
            struct player_frame f;
            if (player_acquire_frame(app->player, p->frame_seq, &f)) {
                p->frame_seq = f.seq;
                if (ui_video_upload(app->ui, &f) == 0) {
                    p->video_presented = true;
                    p->ff_uploaded = true;
                }
                player_release_frame(app->player, &f);
            }
            log_info("episode %d started from the focus preroll", index);
            return;
        }
    }
    playback_request_series(app, s);
}

/* Records the position of the episode on screen (playing, paused, stopped); --play records
 * nothing. */
static void record(struct app *app, struct screen *s, const char *why)
{
    struct player_screen *p = s->state;
    if (!p->series || p->playlist)
        return;
    const struct catalog_episode *ep = catalog_series_episode(p->series, p->episode_index);
    if (ep)
        progress_record(app, ep->id, player_get_position_ms(app->player), p->duration_ms, why);
}

static void playback_stop(struct app *app, struct screen *s, const char *why)
{
    struct player_screen *p = s->state;
    if (p->pstate == PLAYER_PLAYING || p->pstate == PLAYER_PAUSED)
        record(app, s, why);
    forget_next(app, s);
    player_stop(app->player);
    p->seeking = p->seek_queued = false;
    net_cancel(app->net, p->series_req);
    net_cancel(app->net, p->play_req);
    p->series_req = p->play_req = 0;
    p->pstate = PLAYER_IDLE;
    p->busy = false;
    p->msg_title[0] = '\0';
    p->ff_armed = false;
    if (app->ui) /* --play opens the stream before the fonts, which may fail to load */
        ui_video_clear(app->ui);
}

/* The episode OK on a series starts: the one the card named (continue watching), else the
 * one the viewer is on (the series' resume: the next one when theirs was finished), else the
 * first. */
static int start_index(const struct player_screen *p, const struct catalog_series *series)
{
    if (p->episode_index > 0 && catalog_series_episode(series, p->episode_index))
        return p->episode_index;
    if (series->resume_index > 0 && catalog_series_episode(series, series->resume_index))
        return series->resume_index;
    return series->n_episodes ? series->episodes[0].index : 1;
}

static void playback_on_series(struct app *app, struct screen *s, struct net_response *r)
{
    struct player_screen *p = s->state;
    p->series_req = 0;
    char err[CATALOG_ERR_LEN] = "", key[200], *body = NULL, *etag = NULL;
    size_t len = 0;
    struct catalog_series *series = NULL;
    app_cache_key(app, "series", p->series_id, key, sizeof(key));
    bool fresh = !r->error && r->status == 200;
    /* 304, or no answer at all: the saved copy of the series stands in. */
    if ((!r->error && r->status == 304) || r->error) {
        char cerr[CATALOG_ERR_LEN];
        if (app_cache_load(app, key, &body, &len, &etag) == 0 &&
            catalog_parse_series(body, len, &series, cerr) == 0)
            log_info("series %s: %s", p->series_id,
                     r->error ? "offline, from the cache" : "not modified");
    } else if (fresh && catalog_parse_series(r->body, r->len, &series, err) == 0 && app->store) {
        store_cache_put(app->store, key, r->etag, r->body, r->len);
    }
    free(body);
    free(etag);
    if (series) {
        catalog_series_free(p->series);
        p->series = series;
        app_replace_str(&p->series_title, series->title);
        play_episode(app, s, start_index(p, series));
        return;
    }
    char title[160], detail[256], tech[512];
    if (err[0]) {
        snprintf(title, sizeof(title), "%s", _("The server sent a bad series"));
        snprintf(detail, sizeof(detail), "%s", _("Please try again later."));
        snprintf(tech, sizeof(tech), "bad JSON: %s", err);
    } else {
        app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
        app_failure_tech(r, tech, sizeof(tech));
    }
    log_error("series %s: %s: %s", p->series_id, title, tech);
    player_message(app, s, true, title, detail);
    app_set_error_tech(app, "%s", tech);
}

/* The episode is locked: nothing plays behind the paywall, pushed over this screen with the
 * price and balance of the 402 (the paywall asks for the wallet again). */
static void open_paywall(struct app *app, struct screen *s, int price, int balance)
{
    struct player_screen *p = s->state;
    player_stop(app->player);
    p->pstate = PLAYER_IDLE;
    p->busy = false;
    const struct catalog_episode *ep = catalog_series_episode(p->series, p->episode_index);
    struct paywall_args a = {
        .series_title = p->series_title,
        .poster_url = p->poster_url,
        .episode_id = ep ? ep->id : NULL,
        .episode_index = p->episode_index,
        .price = price,
        .balance = balance,
    };
    app_push(app, &screen_paywall, &a);
}

static void playback_on_play(struct app *app, struct screen *s, struct net_response *r)
{
    struct player_screen *p = s->state;
    p->play_req = 0;
    char err[CATALOG_ERR_LEN] = "";
    if (!r->error && r->status == 402) {
        struct catalog_locked *locked = NULL;
        if (catalog_parse_locked(r->body, r->len, &locked, err) == 0) {
            log_info("episode %d is locked (%d coins, balance %d)", p->episode_index,
                     locked->price_coins, locked->balance);
            open_paywall(app, s, locked->price_coins, locked->balance);
            catalog_locked_free(locked);
            return;
        }
    }
    struct catalog_play *play = NULL;
    if (!r->error && r->status == 200 && catalog_parse_play(r->body, r->len, &play, err) == 0) {
        p->duration_ms = -1;
        p->frame_seq = 0;
        /* A retry after a failure goes on from where the picture stopped: the server's
         * resume_ms may not have heard of that position yet. */
        int64_t start = p->resume_override_ms >= 0 ? p->resume_override_ms : play->resume_ms;
        p->resume_override_ms = -1;
        int rc = player_open(app->player, play->play_url, start);
        if (rc != 0) {
            player_message(app, s, true, _("Can't play this episode"), _("Please try again."));
            app_set_error_tech(app, "player_open: %s", binge_strerror(rc));
        } else
            p->pstate = PLAYER_LOADING;
        catalog_play_free(play);
        return;
    }
    char title[160], detail[256], tech[512];
    if (err[0]) {
        snprintf(title, sizeof(title), "%s", _("The server sent a bad answer"));
        snprintf(detail, sizeof(detail), "%s", _("Please try again later."));
        snprintf(tech, sizeof(tech), "bad JSON: %s", err);
    } else {
        app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
        app_failure_tech(r, tech, sizeof(tech));
    }
    log_error("play episode %d: %s: %s", p->episode_index, title, tech);
    player_message(app, s, true, title, detail);
    app_set_error_tech(app, "%s", tech);
}

/* ---- the next episode ---- */

static void forget_next(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    if (p->preroll_req)
        net_cancel(app->net, p->preroll_req);
    p->preroll_req = 0;
    p->preroll_index = 0;
    p->next_locked = false;
    player_cancel_preroll(app->player);
}

/* Near the end: ask for the next episode's URL (or learn that it is locked) and preroll it. */
static void prepare_next(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    if (p->playlist) {
        if (p->play_pos + 1 < p->n_playlist && !p->preroll_index &&
            player_preroll(app->player, p->playlist[p->play_pos + 1], 0) == 0)
            p->preroll_index = (int)p->play_pos + 2;
        return;
    }
    int next = p->episode_index + 1;
    const struct catalog_episode *ep = catalog_series_episode(p->series, next);
    if (!ep || p->preroll_req || p->preroll_index == next || !app->token)
        return;
    char *path = NET_PATH("v1", "episodes", ep->id, "play");
    if (!path)
        return;
    p->preroll_req = screen_request(app, s, APP_REQ_PREROLL, NET_POST, path, "{}", 0, NULL);
    free(path);
}

static void playback_on_preroll(struct app *app, struct screen *s, struct net_response *r)
{
    struct player_screen *p = s->state;
    p->preroll_req = 0;
    int next = p->episode_index + 1;
    char err[CATALOG_ERR_LEN] = "";
    if (!r->error && r->status == 402) {
        struct catalog_locked *locked = NULL;
        if (catalog_parse_locked(r->body, r->len, &locked, err) == 0) {
            /* Locked: no preroll; the paywall comes at the cliffhanger. */
            p->preroll_index = next;
            p->next_locked = true;
            p->next_price = locked->price_coins;
            p->next_balance = locked->balance;
            catalog_locked_free(locked);
        }
        return;
    }
    struct catalog_play *play = NULL;
    if (!r->error && r->status == 200 && catalog_parse_play(r->body, r->len, &play, err) == 0) {
        if (player_preroll(app->player, play->play_url, play->resume_ms) == 0) {
            p->preroll_index = next;
            log_info("episode %d prerolling", next);
        }
        catalog_play_free(play);
        return;
    }
    /* Not fatal: at the end the episode is asked for again the ordinary way. */
    log_warn("next episode not prepared: %s (status %ld)", r->error ? r->message : err, r->status);
}

/* At the end of an episode: the prerolled one at once, the paywall, or an ordinary open. */
static bool swap_to_next(struct app *app, struct screen *s, int next)
{
    struct player_screen *p = s->state;
    bool ready = false;
    if (p->preroll_index != next || !player_has_preroll(app->player, &ready) ||
        player_swap(app->player) != 0)
        return false;
    p->instant = false;
    p->preroll_index = 0;
    p->seek_dir = 0;
    p->seeking = p->seek_queued = false;
    p->duration_ms = player_get_duration_ms(app->player);
    /* Still prerolling, it has no picture yet: see playback_open_series. */
    p->pstate = ready ? PLAYER_PLAYING : PLAYER_LOADING;
    p->busy = false;
    if (!ready)
        set_busy_episode(app, s, next);
    p->msg_title[0] = '\0';
    log_info("swapped to the prerolled episode %d%s", next, ready ? "" : " (still prerolling)");
    return true;
}

/* --play: opens playlist[play_pos]. */
/* The episode on screen ended (or, with autoplay off, OK was pressed after it): the next one,
 * swapped in when prerolled, or the paywall when it is locked. */
static void play_next_episode(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    p->autoplay_held = false;
    /* The last frame stays up under a spinner until the next one arrives. */
    int next = p->episode_index + 1;
    arm_first_frame(app, s, "end of episode to next first frame");
    if (p->preroll_index == next && p->next_locked) {
        p->episode_index = next;
        forget_next(app, s);
        open_paywall(app, s, p->next_price, p->next_balance);
    } else if (swap_to_next(app, s, next)) {
        p->episode_index = next;
    } else {
        forget_next(app, s);
        play_episode(app, s, next);
    }
}

static void open_url(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    const char *url = p->playlist[p->play_pos];
    p->episode_index = (int)p->play_pos + 1;
    p->duration_ms = -1;
    p->frame_seq = 0;
    int rc = player_open(app->player, url, 0);
    if (rc != 0) {
        fprintf(stderr, "binge: can't play %s: %s\n", url, binge_strerror(rc));
        app_quit(app, APP_EXIT_PLAYBACK);
        return;
    }
    p->pstate = PLAYER_LOADING;
    set_busy_episode(app, s, p->episode_index);
}

static void play_next_url(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    if (p->play_pos + 1 >= p->n_playlist) {
        log_info("--play: the last stream ended");
        app_quit(app, APP_EXIT_OK);
        return;
    }
    p->play_pos++;
    arm_first_frame(app, s, "end of stream to next first frame");
    if (swap_to_next(app, s, (int)p->play_pos + 1)) {
        p->episode_index = (int)p->play_pos + 1;
        return;
    }
    open_url(app, s);
}

/* Splits --play's space-separated URLs (a space is never valid inside a URL). */
static int playback_start_playlist(struct app *app, struct screen *s, const char *list)
{
    struct player_screen *p = s->state;
    char *copy = util_strdup(list);
    if (!copy)
        return BINGE_ENOMEM;
    for (char *save = NULL, *t = strtok_r(copy, " \t\n", &save); t;
         t = strtok_r(NULL, " \t\n", &save)) {
        char **pl = realloc(p->playlist, (p->n_playlist + 1) * sizeof(*pl));
        if (!pl || !(pl[p->n_playlist] = util_strdup(t))) {
            if (pl)
                p->playlist = pl;
            free(copy);
            return BINGE_ENOMEM;
        }
        p->playlist = pl;
        p->n_playlist++;
    }
    free(copy);
    if (p->n_playlist == 0)
        return BINGE_EINVAL;
    p->series_title = util_strdup("");
    arm_first_frame(app, s, "start to first frame");
    open_url(app, s);
    return 0;
}

/* A new picture is up (a frame uploaded, or a plane sink's first frame): it ends a gap and a
 * first-frame measurement at the next present. */
static void playback_picture_arrived(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    app->dirty = true;
    p->video_presented = true;
    if (p->ff_armed)
        p->ff_uploaded = true;
}

static void set_buffering(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    char text[96];
    snprintf(text, sizeof(text), "%s", _("Buffering"));
    if (p->buffer_pct >= 0 && p->buffer_pct < 100)
        snprintf(text, sizeof(text), _("Buffering %d%%"), p->buffer_pct);
    set_busy(app, s, text);
}

/* A stream that failed: a panel that says what happened and what OK does. The position is
 * kept, so OK goes on from where it stopped. */
static void on_player_error(struct app *app, struct screen *s, const struct player_event *ev)
{
    struct player_screen *p = s->state;
    int64_t pos = ev->error == PLAYER_ERROR_STALLED && ev->position_ms >= 0
                      ? ev->position_ms
                      : player_get_position_ms(app->player);
    if (pos > 0)
        p->resume_override_ms = pos;
    record(app, s, "error");
    char msg[512], title[160], detail[256];
    app_player_text(ev->message[0] ? ev->message : "Playback failed", msg, sizeof(msg));
    switch (ev->error) {
    case PLAYER_ERROR_NOT_ENTITLED:
        /* The key server refused this device: the unlock may be gone (an ended VIP). Asking
         * for the episode again shows the paywall if it is locked now. */
        player_message(app, s, true, _("This episode isn't unlocked on this device"),
                       _("Press OK to check the unlock again"));
        snprintf(p->msg_hint, sizeof(p->msg_hint), "%s", _("OK to check again, BACK to return"));
        break;
    case PLAYER_ERROR_STALLED:
        app_split_message(msg, _("Playback stopped"), title, sizeof(title), detail, sizeof(detail));
        player_message(app, s, true, _("Playback stopped"), detail[0] ? detail : NULL);
        snprintf(p->msg_hint, sizeof(p->msg_hint), "%s",
                 _("OK to go on from here, BACK to return"));
        break;
    case PLAYER_ERROR_NETWORK:
        app_split_message(msg, _("Connection problem"), title, sizeof(title), detail,
                          sizeof(detail));
        player_message(app, s, true, _("Connection problem"), detail[0] ? detail : NULL);
        break;
    default:
        app_split_message(msg, _("Can't play this episode"), title, sizeof(title), detail,
                          sizeof(detail));
        player_message(app, s, true, title, detail[0] ? detail : NULL);
        break;
    }
    /* The player's words and its detail ("... [hlsdemux2: 404 ...]") go to INFO; the player
     * logged them already. */
    app_set_error_tech(app, "%s%s%s", msg, ev->detail[0] ? " - " : "", ev->detail);
}

static void playback_on_event(struct app *app, struct screen *s, const struct player_event *ev)
{
    struct player_screen *p = s->state;
    switch (ev->type) {
    case PLAYER_EVENT_STATE:
        p->pstate = ev->state;
        if (ev->state == PLAYER_PLAYING)
            p->busy = false;
        else if (ev->state == PLAYER_BUFFERING)
            set_buffering(app, s);
        break;
    case PLAYER_EVENT_BUFFERING:
        /* While loading the spinner says which episode; the level shows only in a rebuffer. */
        p->buffer_pct = ev->percent;
        if (p->pstate == PLAYER_BUFFERING)
            set_buffering(app, s);
        break;
    case PLAYER_EVENT_DURATION:
        p->duration_ms = ev->duration_ms;
        break;
    case PLAYER_EVENT_FIRST_FRAME:
        p->busy = false;
        if (app->video_plane) {
            /* No frame comes through here: the event is the picture's arrival. */
            struct player_variant v;
            int w = 9, h = 16;
            if (player_get_variant(app->player, &v) && v.width > 0 && v.height > 0)
                w = v.width, h = v.height;
            ui_video_elsewhere(app->ui, w, h);
            playback_picture_arrived(app, s);
        }
        break;
    case PLAYER_EVENT_EOS:
        log_info("episode %d ended", p->episode_index);
        record(app, s, "end");
        p->gap_start_ms = p->last_video_present_ms;
        if (p->playlist) {
            play_next_url(app, s);
            break;
        }
        if (p->series && (size_t)p->episode_index < p->series->n_episodes) {
            if (!prefs_autoplay(app)) {
                /* Autoplay is off (settings): stop here; OK plays the next one. */
                char title[128], hint[160];
                snprintf(title, sizeof(title), _("Episode %d ended"), p->episode_index);
                snprintf(hint, sizeof(hint), _("OK to play episode %d, BACK to return"),
                         p->episode_index + 1);
                p->pstate = PLAYER_IDLE;
                p->autoplay_held = true;
                player_message(app, s, false, title, _("Autoplay is off."));
                snprintf(p->msg_hint, sizeof(p->msg_hint), "%s", hint);
                break;
            }
            play_next_episode(app, s);
        } else {
            p->pstate = PLAYER_IDLE;
            player_message(app, s, false, _("That was the last episode"), p->series_title);
        }
        break;
    case PLAYER_EVENT_NEAR_END:
        prepare_next(app, s);
        break;
    case PLAYER_EVENT_SEEKED:
        p->seeking = false;
        if (p->seek_queued)
            send_seek(app, s); /* the target asked for meanwhile */
        p->preroll_index = 0;  /* a seek drops the preroll; NEAR_END comes again */
        break;
    case PLAYER_EVENT_STALL:
        log_warn("stalled at %lld ms; re-tuning (attempt %d)", (long long)ev->position_ms,
                 ev->attempt);
        set_busy(app, s, _("Reconnecting"));
        break;
    case PLAYER_EVENT_VARIANT:
        log_info("variant %dx%d at %u bit/s", ev->variant.width, ev->variant.height,
                 ev->variant.bitrate);
        break;
    default:
        break;
    case PLAYER_EVENT_ERROR:
        p->pstate = PLAYER_ERROR;
        p->seeking = p->seek_queued = false;
        log_error("playback: %s (%s)", ev->message, ev->detail);
        if (p->playlist) {
            fprintf(stderr, "binge: can't play %s: %s\n", p->playlist[p->play_pos], ev->message);
            app_quit(app, APP_EXIT_PLAYBACK);
            break;
        }
        on_player_error(app, s, ev);
        break;
    }
    app->dirty = true;
}

/* The furthest a forward seek goes: before the part of the episode that counts as finished
 * (95% of it, docs/api.md), with a margin. A seek can then neither end an episode (and skip to
 * the next) nor have its position saved as "finished": the end is reached only by playing it.
 * -1 while the duration is unknown. */
static int64_t seek_limit_ms(int64_t duration_ms)
{
    if (duration_ms <= 0)
        return -1;
    int64_t limit = duration_ms * APP_FINISHED_PCT / 100 - APP_SEEK_END_MARGIN_MS;
    return limit > 0 ? limit : 0;
}

static void send_seek(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    p->seek_queued = false;
    /* The seek drops the preroll; a request for it still in flight goes too, or its answer
     * would preroll behind the seek. NEAR_END comes again. */
    p->seeking = player_seek(app->player, p->seek_target_ms) == 0;
    if (p->seeking)
        forget_next(app, s);
}

/* LEFT/RIGHT on the player: 10 s a press. Only a held key (the key's auto-repeat) makes the
 * steps grow (10, 20, 30, 60 s); a press, a change of direction or a new episode starts over
 * at 10 s. */
static void playback_seek_step(struct app *app, struct screen *s, int dir, bool repeat)
{
    struct player_screen *p = s->state;
    static const int steps[] = {10, 10, 20, 30, 60};
    if (repeat && dir == p->seek_dir)
        p->seek_streak++;
    else
        p->seek_streak = 0;
    p->seek_dir = dir;
    int k = p->seek_streak < 4 ? p->seek_streak : 4;
    /* While a seek is on its way the next step goes on from its target. */
    int64_t pos = p->seeking ? p->seek_target_ms : player_get_position_ms(app->player);
    if (pos < 0)
        return;
    int64_t target = pos + (int64_t)steps[k] * 1000 * dir;
    if (target < 0)
        target = 0;
    if (dir > 0) {
        int64_t dur = p->duration_ms > 0 ? p->duration_ms : player_get_duration_ms(app->player);
        int64_t limit = seek_limit_ms(dur);
        if (target > limit)
            target = limit;
        if (target <= pos)
            return; /* at the limit already (or the end is unknown): stay */
    }
    p->seek_target_ms = target;
    /* One seek at a time: the ones asked for before it lands collapse into the last target,
     * sent when it lands (PLAYER_EVENT_SEEKED). Flushing seeks sent back to back could land
     * short of the last one. */
    if (p->seeking) {
        p->seek_queued = true;
        return;
    }
    send_seek(app, s);
}
/* ---- the screen ---- */

static int player_enter(struct app *app, struct screen *s, const void *arg)
{
    struct player_screen *p = s->state;
    const struct player_screen_args *a = arg;
    p->resume_override_ms = -1;
    p->buffer_pct = -1;
    p->duration_ms = -1;
    if (a && a->playlist) {
        int rc = playback_start_playlist(app, s, a->playlist);
        if (rc != 0) {
            for (size_t i = 0; i < p->n_playlist; i++)
                free(p->playlist[i]);
            free(p->playlist);
            free(p->series_title);
        }
        return rc;
    }
    if (!a || !a->item)
        return BINGE_EINVAL;
    playback_open_series(app, s, a->item);
    return 0;
}

static void player_leave(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    /* Quitting: the position is recorded as at exit, and sent at the next start if not now. */
    playback_stop(app, s, app->running ? "stop" : "exit");
    net_cancel(app->net, p->preroll_req);
    if (app->running && !p->playlist)
        home_refresh_soon(app);
    catalog_series_free(p->series);
    free(p->series_id);
    free(p->series_title);
    free(p->poster_url);
    for (size_t i = 0; i < p->n_playlist; i++)
        free(p->playlist[i]);
    free(p->playlist);
}

/* OK on the episode strip: that episode (a locked one meets the paywall as at the end of an
 * episode); the one playing goes on. */
static void strip_play(struct app *app, struct screen *s, int index)
{
    struct player_screen *p = s->state;
    if (index == p->episode_index && p->pstate != PLAYER_ERROR)
        return;
    if (p->pstate == PLAYER_PLAYING || p->pstate == PLAYER_PAUSED)
        record(app, s, "stop");
    forget_next(app, s);
    player_stop(app->player);
    arm_first_frame(app, s, "OK to first frame");
    log_info("episode strip: episode %d", index);
    play_episode(app, s, index);
}

/* CHANNEL_UP / CHANNEL_DOWN: the next or previous episode of the series at once (the next one
 * from its preroll when it is ready, a locked one through the paywall). Nothing past the ends,
 * nor for --play's list. */
static void channel_step(struct app *app, struct screen *s, int dir)
{
    struct player_screen *p = s->state;
    if (p->playlist || !p->series)
        return;
    int index = p->episode_index + dir;
    if (!catalog_series_episode(p->series, index)) {
        log_info("CHANNEL_%s: no episode %d", dir > 0 ? "UP" : "DOWN", index);
        return;
    }
    p->autoplay_held = false;
    p->msg_title[0] = p->msg_detail[0] = p->msg_hint[0] = '\0';
    if (dir > 0 && p->preroll_index == index) {
        if (p->pstate == PLAYER_PLAYING || p->pstate == PLAYER_PAUSED)
            record(app, s, "stop");
        arm_first_frame(app, s, "OK to first frame");
        if (p->next_locked) {
            p->episode_index = index;
            forget_next(app, s);
            open_paywall(app, s, p->next_price, p->next_balance);
            return;
        }
        if (swap_to_next(app, s, index)) {
            p->episode_index = index;
            return;
        }
    }
    strip_play(app, s, index); /* records the stop, drops the preroll, asks for the episode */
}

/* Volume and track keys change only what they show; any other key brings the overlay up; BACK,
 * HOME and EXIT always leave; DOWN opens the episode strip; CHANNEL_UP/DOWN change episode.
 * The colour keys do nothing here (they open other screens from the menus). */
static bool player_action(struct app *app, struct screen *s, enum input_action action, bool repeat)
{
    struct player_screen *p = s->state;
    if (prefs_dispatch(app, action, &p->volume_until_ms))
        return true;
    p->overlay_until_ms = util_now_ms() + APP_OVERLAY_MS;
    int pick = 0;
    enum strip_result sr =
        p->strip.open ? strip_action(&p->strip, p->series, action, &pick) : STRIP_NOT_MINE;
    if (sr == STRIP_PLAY)
        strip_play(app, s, pick);
    if (sr != STRIP_NOT_MINE)
        return true;
    switch (action) {
    case INPUT_DOWN:
        if (!p->playlist) /* --play's list has no series */
            strip_open(&p->strip, p->series, p->episode_index);
        break;
    case INPUT_CHANNEL_UP:
    case INPUT_CHANNEL_DOWN:
        channel_step(app, s, action == INPUT_CHANNEL_UP ? 1 : -1);
        break;
    case INPUT_BACK:
    case INPUT_HOME:
    case INPUT_EXIT:
        if (p->playlist)
            app_quit(app, APP_EXIT_OK); /* --play has no home to go back to */
        else if (action != INPUT_BACK)
            app_pop_to(app, &screen_home); /* past the screens under it (search, series) */
        else
            app_pop(app);
        break;
    case INPUT_LEFT:
    case INPUT_RIGHT:
        if (p->pstate == PLAYER_PLAYING || p->pstate == PLAYER_PAUSED)
            playback_seek_step(app, s, action == INPUT_LEFT ? -1 : 1, repeat);
        break;
    case INPUT_INFO:
        p->info = !p->info;
        break;
    case INPUT_OK:
    case INPUT_PLAY_PAUSE:
        if (p->autoplay_held && action == INPUT_OK) {
            p->msg_title[0] = p->msg_detail[0] = p->msg_hint[0] = '\0';
            play_next_episode(app, s);
        } else if (p->pstate == PLAYER_ERROR && action == INPUT_OK) {
            arm_first_frame(app, s, "OK to first frame");
            if (p->series)
                play_episode(app, s, p->episode_index);
            else
                playback_request_series(app, s);
        } else if (p->pstate == PLAYER_PLAYING || p->pstate == PLAYER_PAUSED) {
            if (p->pstate == PLAYER_PLAYING)
                record(app, s, "pause");
            player_set_paused(app->player, p->pstate == PLAYER_PLAYING);
        }
        break;
    default:
        break;
    }
    return true;
}

static void player_response(struct app *app, struct screen *s, struct net_response *r)
{
    switch (r->kind) {
    case APP_REQ_SERIES:
        playback_on_series(app, s, r);
        break;
    case APP_REQ_PLAY:
        playback_on_play(app, s, r);
        break;
    case APP_REQ_PREROLL:
        playback_on_preroll(app, s, r);
        break;
    default:
        break;
    }
}

static void player_resend(struct app *app, struct screen *s, int kind)
{
    struct player_screen *p = s->state;
    /* Only while it is what the viewer looks at: under the paywall the episode waits. */
    if (app_top(app) != s)
        return;
    if (kind == APP_REQ_SERIES && p->series_id)
        playback_request_series(app, s);
    else if (kind == APP_REQ_PLAY && p->series)
        play_episode(app, s, p->episode_index);
}

static int64_t player_screen_tick(struct app *app, struct screen *s, int64_t now)
{
    struct player_screen *p = s->state;
    int64_t next = -1;
#define DEADLINE(t)                                                                                \
    do {                                                                                           \
        int64_t t_ = (t);                                                                          \
        if (t_ > 0 && (next < 0 || t_ < next))                                                     \
            next = t_;                                                                             \
    } while (0)
    /* The position every progress interval while playing (and on pause, stop, exit). */
    if (p->pstate == PLAYER_PLAYING && app->store) {
        if (!p->progress_due_ms)
            p->progress_due_ms = now + app->opts->progress_interval_ms;
        if (now >= p->progress_due_ms) {
            record(app, s, "interval");
            p->progress_due_ms = now + app->opts->progress_interval_ms;
        }
        DEADLINE(p->progress_due_ms);
    } else {
        p->progress_due_ms = 0;
    }
    if (p->busy)
        DEADLINE(app_animate(app, now));
    /* The volume bar goes away by itself. */
    if (p->volume_until_ms) {
        if (now >= p->volume_until_ms) {
            p->volume_until_ms = 0;
            app->dirty = true;
        } else {
            DEADLINE(p->volume_until_ms);
        }
    }
    if (p->overlay_until_ms) {
        if (now >= p->overlay_until_ms) {
            p->overlay_until_ms = 0;
            app->dirty = true;
        } else {
            DEADLINE(p->overlay_until_ms);
            /* the clock in the overlay moves even while paused frames do not */
            DEADLINE(now + 250);
        }
    }
#undef DEADLINE
    return next;
}

/* After a present: the plane sink's rectangle, the gap between episodes and the time to the
 * first frame end here, when the picture is really on screen. */
static void player_presented(struct app *app, struct screen *s)
{
    struct player_screen *p = s->state;
    int r[4];
    if (app->video_plane && ui_video_window_rect(app->ui, &r[0], &r[1], &r[2], &r[3]) &&
        memcmp(r, p->plane_rect, sizeof(r)) != 0) {
        memcpy(p->plane_rect, r, sizeof(r));
        player_set_video_rect(app->player, r[0], r[1], r[2], r[3]);
    }
    if (p->video_presented) {
        int64_t now = util_now_ms();
        p->video_presented = false;
        /* The first new frame after an episode ended closes the gap. */
        if (p->gap_start_ms && p->ff_armed && p->ff_uploaded) {
            app->last_gap_ms = now - p->gap_start_ms;
            log_info("gap: %lld ms (episode %d -> %d)", (long long)app->last_gap_ms,
                     p->episode_index - 1, p->episode_index);
            p->gap_start_ms = 0;
        }
        p->last_video_present_ms = now;
    }
    if (p->ff_armed && p->ff_uploaded) {
        p->ff_armed = false;
        app->first_frame_ms = util_now_ms() - p->ff_start_ms;
        log_info("%s: %lld ms (series %s, episode %d)", p->ff_label, (long long)app->first_frame_ms,
                 p->series_id ? p->series_id : "-", p->episode_index);
        if (p->playlist && app->opts->exit_after_first_frame)
            app_quit(app, APP_EXIT_OK);
    }
}

const struct screen_ops screen_player = {
    .name = "player",
    .state_size = sizeof(struct player_screen),
    .draws_toast = true,
    .enter = player_enter,
    .leave = player_leave,
    .action = player_action,
    .response = player_response,
    .resend = player_resend,
    .tick = player_screen_tick,
    .render = player_screen_render,
    .presented = player_presented,
    .state = player_screen_state,
};

/* ---- what the core and the paywall ask of the player ---- */

void player_screen_unlocked(struct app *app, int index)
{
    struct screen *s = app_find(app, &screen_player);
    if (!s)
        return;
    struct player_screen *p = s->state;
    for (size_t i = 0; p->series && i < p->series->n_episodes; i++)
        if (p->series->episodes[i].index == index)
            p->series->episodes[i].state = CATALOG_UNLOCKED;
    arm_first_frame(app, s, "unlock to first frame");
    play_episode(app, s, index);
}

void player_screen_drain(struct app *app)
{
    struct screen *s = app_find(app, &screen_player);
    struct player_event ev;
    /* Events of a player no screen drives any more (a stop under way) only need draining. */
    while (player_poll_event(app->player, &ev))
        if (s)
            playback_on_event(app, s, &ev);
    struct player_frame f;
    if (!s || app_top(app) != s)
        return;
    struct player_screen *p = s->state;
    if (player_acquire_frame(app->player, p->frame_seq, &f)) {
        p->frame_seq = f.seq;
        if (ui_video_upload(app->ui, &f) == 0)
            playback_picture_arrived(app, s);
        player_release_frame(app->player, &f);
    }
}
