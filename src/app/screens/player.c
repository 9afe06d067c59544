/* The playback controller: opening a series and an episode (the play grant, the paywall on a 402),
 * the next episode prepared near the end and swapped in, --play's list of URLs, the player's
 * events and errors as the viewer sees them, and LEFT/RIGHT seeking. The player screen's drawing
 * and the dispatch of keys stay in app.c.
 *
 * Threading: UI thread only (player events arrive through player_poll_event on the UI thread). */

#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/app.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("app");

static void player_message(struct app *app, bool is_error, const char *title, const char *detail)
{
    snprintf(app->msg_title, sizeof(app->msg_title), "%s", title);
    snprintf(app->msg_detail, sizeof(app->msg_detail), "%s", detail ? detail : "");
    app->msg_hint[0] = '\0';
    app->msg_error = is_error;
    app->busy = false;
    if (is_error)
        app->pstate = PLAYER_ERROR;
    if (is_error)
        app_set_error(app, "%s%s%s", title, detail ? ": " : "", detail ? detail : "");
}

static void set_busy(struct app *app, const char *text)
{
    app->busy = true;
    snprintf(app->busy_text, sizeof(app->busy_text), "%s", text);
}

static void set_busy_episode(struct app *app, int index)
{
    char text[64] = "Loading"; /* the episode is not known before the series is in */
    if (index > 0)
        snprintf(text, sizeof(text), "Loading episode %d", index);
    set_busy(app, text);
}

/* Starts the clock for the time to the next first frame drawn. */
static void arm_first_frame(struct app *app, const char *label)
{
    app->ff_start_ms = util_now_ms();
    app->ff_label = label;
    app->ff_armed = true;
    app->ff_uploaded = false;
}

static void forget_next(struct app *app);
static void send_seek(struct app *app);

static void play_episode(struct app *app, int index)
{
    const struct catalog_episode *ep = catalog_series_episode(app->series, index);
    app->msg_title[0] = '\0';
    if (index != app->episode_index)
        app->resume_override_ms = -1; /* a retry's position belongs to its own episode */
    app->episode_index = index;
    app->seek_dir = 0; /* a held key does not carry its speed into another episode */
    app->seeking = app->seek_queued = false;
    if (!ep) {
        player_message(app, true, "This episode is missing", "The series has no such episode");
        return;
    }
    if (!app->token) {
        /* The device is still registering (or retrying it with backoff): the press is kept and
         * honoured once the session is ready (session_on_register resubmits it); BACK leaves. */
        app->resubmit |= 1u << APP_REQ_PLAY;
        app->pstate = PLAYER_LOADING;
        app->duration_ms = -1;
        set_busy(app, "Signing in");
        if (!app->register_req)
            session_request_register(app);
        return;
    }
    char *path = NET_PATH("v1", "episodes", ep->id, "play");
    if (!path)
        return;
    net_cancel(app->net, app->play_req);
    app->play_req = app_request(app, APP_REQ_PLAY, NET_POST, path, "{}", 0, NULL);
    free(path);
    /* Asking for the play URL is the start of loading: from here on the state describes this
     * episode, not the one before it. */
    app->pstate = PLAYER_LOADING;
    app->duration_ms = -1;
    set_busy_episode(app, index);
}

void app_play_episode(struct app *app, int index)
{
    play_episode(app, index);
}

void app_arm_first_frame(struct app *app, const char *label)
{
    arm_first_frame(app, label);
}

void playback_request_series(struct app *app)
{
    char *path = NET_PATH("v1", "series", app->series_id), key[200];
    if (!path)
        return;
    app_cache_key(app, "series", app->series_id, key, sizeof(key));
    char *etag = app_cache_etag(app, key); /* from memory: the body stays on disk */
    net_cancel(app->net, app->series_req);
    app->series_req = app_request(app, APP_REQ_SERIES, NET_GET, path, NULL, 0, etag);
    free(path);
    free(etag);
    app->msg_title[0] = '\0';
    app->pstate = PLAYER_LOADING;
    set_busy_episode(app, app->episode_index);
}

void playback_open_series(struct app *app, const struct catalog_item *item)
{
    app_replace_str(&app->series_id, item->series_id);
    app_replace_str(&app->series_title, item->title);
    app_replace_str(&app->poster_url, item->poster_url);
    catalog_series_free(app->series);
    app->series = NULL;
    /* A "continue watching" card names the episode; any other card leaves it to the series'
     * resume (playback_on_series). The play grant's resume_ms then places it. */
    app->episode_index = item->episode_id && item->episode_index > 0 ? item->episode_index : 0;
    app->pstate = PLAYER_IDLE;
    app->duration_ms = -1;
    app->msg_title[0] = '\0';
    app->error[0] = '\0';
    app->overlay_until_ms = 0;
    arm_first_frame(app, "OK to first frame");
    ui_video_clear(app->ui);
    app->screen = APP_SCREEN_PLAYER;
    log_info("open series %s", item->series_id);
    playback_request_series(app);
}

void playback_stop(struct app *app)
{
    if (app->pstate == PLAYER_PLAYING || app->pstate == PLAYER_PAUSED)
        progress_record(app, "stop");
    forget_next(app);
    player_stop(app->player);
    app->seeking = app->seek_queued = false;
    net_cancel(app->net, app->series_req);
    net_cancel(app->net, app->play_req);
    app->series_req = app->play_req = 0;
    app->pstate = PLAYER_IDLE;
    app->busy = false;
    app->msg_title[0] = '\0';
    app->ff_armed = false;
    ui_video_clear(app->ui);
}

/* The episode OK on a series starts: the one the card named (continue watching), else the
 * one the viewer is on (the series' resume: the next one when theirs was finished), else the
 * first. */
static int start_index(const struct app *app, const struct catalog_series *series)
{
    if (app->episode_index > 0 && catalog_series_episode(series, app->episode_index))
        return app->episode_index;
    if (series->resume_index > 0 && catalog_series_episode(series, series->resume_index))
        return series->resume_index;
    return series->n_episodes ? series->episodes[0].index : 1;
}

void playback_on_series(struct app *app, struct net_response *r)
{
    app->series_req = 0;
    char err[CATALOG_ERR_LEN] = "", key[200], *body = NULL, *etag = NULL;
    size_t len = 0;
    struct catalog_series *series = NULL;
    app_cache_key(app, "series", app->series_id, key, sizeof(key));
    bool fresh = !r->error && r->status == 200;
    /* 304, or no answer at all: the saved copy of the series stands in. */
    if ((!r->error && r->status == 304) || r->error) {
        char cerr[CATALOG_ERR_LEN];
        if (app_cache_load(app, key, &body, &len, &etag) == 0 &&
            catalog_parse_series(body, len, &series, cerr) == 0)
            log_info("series %s: %s", app->series_id,
                     r->error ? "offline, from the cache" : "not modified");
    } else if (fresh && catalog_parse_series(r->body, r->len, &series, err) == 0 && app->store) {
        store_cache_put(app->store, key, r->etag, r->body, r->len);
    }
    free(body);
    free(etag);
    if (series) {
        catalog_series_free(app->series);
        app->series = series;
        app_replace_str(&app->series_title, series->title);
        play_episode(app, start_index(app, series));
        return;
    }
    char title[160], detail[256], tech[512];
    if (err[0]) {
        snprintf(title, sizeof(title), "The server sent a bad series");
        snprintf(detail, sizeof(detail), "Please try again later.");
        snprintf(tech, sizeof(tech), "bad JSON: %s", err);
    } else {
        app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
        app_failure_tech(r, tech, sizeof(tech));
    }
    log_error("series %s: %s: %s", app->series_id, title, tech);
    player_message(app, true, title, detail);
    app_set_error_tech(app, "%s", tech);
}

void playback_on_play(struct app *app, struct net_response *r)
{
    app->play_req = 0;
    char err[CATALOG_ERR_LEN] = "";
    if (!r->error && r->status == 402) {
        struct catalog_locked *locked = NULL;
        if (catalog_parse_locked(r->body, r->len, &locked, err) == 0) {
            log_info("episode %d is locked (%d coins, balance %d)", app->episode_index,
                     locked->price_coins, locked->balance);
            paywall_open(app, locked->price_coins, locked->balance);
            catalog_locked_free(locked);
            return;
        }
    }
    struct catalog_play *play = NULL;
    if (!r->error && r->status == 200 && catalog_parse_play(r->body, r->len, &play, err) == 0) {
        app->duration_ms = -1;
        app->frame_seq = 0;
        /* A retry after a failure goes on from where the picture stopped: the server's
         * resume_ms may not have heard of that position yet. */
        int64_t start = app->resume_override_ms >= 0 ? app->resume_override_ms : play->resume_ms;
        app->resume_override_ms = -1;
        int rc = player_open(app->player, play->play_url, start);
        if (rc != 0) {
            player_message(app, true, "Can't play this episode", "Please try again.");
            app_set_error_tech(app, "player_open: %s", binge_strerror(rc));
        } else
            app->pstate = PLAYER_LOADING;
        catalog_play_free(play);
        return;
    }
    char title[160], detail[256], tech[512];
    if (err[0]) {
        snprintf(title, sizeof(title), "The server sent a bad answer");
        snprintf(detail, sizeof(detail), "Please try again later.");
        snprintf(tech, sizeof(tech), "bad JSON: %s", err);
    } else {
        app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
        app_failure_tech(r, tech, sizeof(tech));
    }
    log_error("play episode %d: %s: %s", app->episode_index, title, tech);
    player_message(app, true, title, detail);
    app_set_error_tech(app, "%s", tech);
}

/* ---- the next episode ---- */

static void forget_next(struct app *app)
{
    if (app->preroll_req)
        net_cancel(app->net, app->preroll_req);
    app->preroll_req = 0;
    app->preroll_index = 0;
    app->next_locked = false;
    player_cancel_preroll(app->player);
}

/* Near the end: ask for the next episode's URL (or learn that it is locked) and preroll it. */
static void prepare_next(struct app *app)
{
    if (app->playlist) {
        if (app->play_pos + 1 < app->n_playlist && !app->preroll_index &&
            player_preroll(app->player, app->playlist[app->play_pos + 1], 0) == 0)
            app->preroll_index = (int)app->play_pos + 2;
        return;
    }
    int next = app->episode_index + 1;
    const struct catalog_episode *ep = catalog_series_episode(app->series, next);
    if (!ep || app->preroll_req || app->preroll_index == next || !app->token)
        return;
    char *path = NET_PATH("v1", "episodes", ep->id, "play");
    if (!path)
        return;
    app->preroll_req = app_request(app, APP_REQ_PREROLL, NET_POST, path, "{}", 0, NULL);
    free(path);
}

void playback_on_preroll(struct app *app, struct net_response *r)
{
    app->preroll_req = 0;
    int next = app->episode_index + 1;
    char err[CATALOG_ERR_LEN] = "";
    if (!r->error && r->status == 402) {
        struct catalog_locked *locked = NULL;
        if (catalog_parse_locked(r->body, r->len, &locked, err) == 0) {
            /* Locked: no preroll; the paywall comes at the cliffhanger. */
            app->preroll_index = next;
            app->next_locked = true;
            app->next_price = locked->price_coins;
            app->next_balance = locked->balance;
            catalog_locked_free(locked);
        }
        return;
    }
    struct catalog_play *play = NULL;
    if (!r->error && r->status == 200 && catalog_parse_play(r->body, r->len, &play, err) == 0) {
        if (player_preroll(app->player, play->play_url, play->resume_ms) == 0) {
            app->preroll_index = next;
            log_info("episode %d prerolling", next);
        }
        catalog_play_free(play);
        return;
    }
    /* Not fatal: at the end the episode is asked for again the ordinary way. */
    log_warn("next episode not prepared: %s (status %ld)", r->error ? r->message : err, r->status);
}

/* At the end of an episode: the prerolled one at once, the paywall, or an ordinary open. */
static bool swap_to_next(struct app *app, int next)
{
    bool ready = false;
    if (app->preroll_index != next || !player_has_preroll(app->player, &ready) ||
        player_swap(app->player) != 0)
        return false;
    app->preroll_index = 0;
    app->seek_dir = 0;
    app->seeking = app->seek_queued = false;
    app->duration_ms = player_get_duration_ms(app->player);
    app->pstate = PLAYER_PLAYING;
    app->busy = false;
    app->msg_title[0] = '\0';
    log_info("swapped to the prerolled episode %d%s", next, ready ? "" : " (still prerolling)");
    return true;
}

/* --play: opens playlist[play_pos]. */
static void open_url(struct app *app)
{
    const char *url = app->playlist[app->play_pos];
    app->episode_index = (int)app->play_pos + 1;
    app->duration_ms = -1;
    app->frame_seq = 0;
    int rc = player_open(app->player, url, 0);
    if (rc != 0) {
        fprintf(stderr, "binge: can't play %s: %s\n", url, binge_strerror(rc));
        app_quit(app, APP_EXIT_PLAYBACK);
        return;
    }
    app->pstate = PLAYER_LOADING;
    set_busy_episode(app, app->episode_index);
}

static void play_next_url(struct app *app)
{
    if (app->play_pos + 1 >= app->n_playlist) {
        log_info("--play: the last stream ended");
        app_quit(app, APP_EXIT_OK);
        return;
    }
    app->play_pos++;
    arm_first_frame(app, "end of stream to next first frame");
    if (swap_to_next(app, (int)app->play_pos + 1)) {
        app->episode_index = (int)app->play_pos + 1;
        return;
    }
    open_url(app);
}

/* Splits --play's space-separated URLs (a space is never valid inside a URL). */
int playback_start_playlist(struct app *app, const char *list)
{
    char *copy = util_strdup(list);
    if (!copy)
        return BINGE_ENOMEM;
    for (char *save = NULL, *t = strtok_r(copy, " \t\n", &save); t;
         t = strtok_r(NULL, " \t\n", &save)) {
        char **pl = realloc(app->playlist, (app->n_playlist + 1) * sizeof(*pl));
        if (!pl || !(pl[app->n_playlist] = util_strdup(t))) {
            if (pl)
                app->playlist = pl;
            free(copy);
            return BINGE_ENOMEM;
        }
        app->playlist = pl;
        app->n_playlist++;
    }
    free(copy);
    if (app->n_playlist == 0)
        return BINGE_EINVAL;
    app->screen = APP_SCREEN_PLAYER;
    app->series_title = util_strdup("");
    arm_first_frame(app, "start to first frame");
    open_url(app);
    return 0;
}

/* A new picture is up (a frame uploaded, or a plane sink's first frame): it ends a gap and a
 * first-frame measurement at the next present. */
void playback_picture_arrived(struct app *app)
{
    app->dirty = true;
    app->video_presented = true;
    if (app->ff_armed)
        app->ff_uploaded = true;
}

static void set_buffering(struct app *app)
{
    char text[32] = "Buffering";
    if (app->buffer_pct >= 0 && app->buffer_pct < 100)
        snprintf(text, sizeof(text), "Buffering %d%%", app->buffer_pct);
    set_busy(app, text);
}

/* A stream that failed: a panel that says what happened and what OK does. The position is
 * kept, so OK goes on from where it stopped. */
static void on_player_error(struct app *app, const struct player_event *ev)
{
    int64_t pos = ev->error == PLAYER_ERROR_STALLED && ev->position_ms >= 0
                      ? ev->position_ms
                      : player_get_position_ms(app->player);
    if (pos > 0)
        app->resume_override_ms = pos;
    progress_record(app, "error");
    const char *msg = ev->message[0] ? ev->message : "Playback failed";
    char title[160], detail[256];
    switch (ev->error) {
    case PLAYER_ERROR_NOT_ENTITLED:
        /* The key server refused this device: the unlock may be gone (an ended VIP). Asking
         * for the episode again shows the paywall if it is locked now. */
        player_message(app, true, "This episode isn't unlocked on this device",
                       "Press OK to check the unlock again");
        snprintf(app->msg_hint, sizeof(app->msg_hint), "OK to check again, BACK to return");
        break;
    case PLAYER_ERROR_STALLED:
        app_split_message(msg, "Playback stopped", title, sizeof(title), detail, sizeof(detail));
        player_message(app, true, "Playback stopped", detail[0] ? detail : NULL);
        snprintf(app->msg_hint, sizeof(app->msg_hint), "OK to go on from here, BACK to return");
        break;
    case PLAYER_ERROR_NETWORK:
        app_split_message(msg, "Connection problem", title, sizeof(title), detail, sizeof(detail));
        player_message(app, true, "Connection problem", detail[0] ? detail : NULL);
        break;
    default:
        app_split_message(msg, "Can't play this episode", title, sizeof(title), detail,
                          sizeof(detail));
        player_message(app, true, title, detail[0] ? detail : NULL);
        break;
    }
    /* The player's words and its detail ("... [hlsdemux2: 404 ...]") go to INFO; the player
     * logged them already. */
    app_set_error_tech(app, "%s%s%s", msg, ev->detail[0] ? " - " : "", ev->detail);
}

void playback_on_event(struct app *app, const struct player_event *ev)
{
    switch (ev->type) {
    case PLAYER_EVENT_STATE:
        app->pstate = ev->state;
        if (ev->state == PLAYER_PLAYING)
            app->busy = false;
        else if (ev->state == PLAYER_BUFFERING)
            set_buffering(app);
        break;
    case PLAYER_EVENT_BUFFERING:
        /* While loading the spinner says which episode; the level shows only in a rebuffer. */
        app->buffer_pct = ev->percent;
        if (app->pstate == PLAYER_BUFFERING)
            set_buffering(app);
        break;
    case PLAYER_EVENT_DURATION:
        app->duration_ms = ev->duration_ms;
        break;
    case PLAYER_EVENT_FIRST_FRAME:
        app->busy = false;
        if (app->video_plane) {
            /* No frame comes through here: the event is the picture's arrival. */
            struct player_variant v;
            int w = 9, h = 16;
            if (player_get_variant(app->player, &v) && v.width > 0 && v.height > 0)
                w = v.width, h = v.height;
            ui_video_elsewhere(app->ui, w, h);
            playback_picture_arrived(app);
        }
        break;
    case PLAYER_EVENT_EOS:
        log_info("episode %d ended", app->episode_index);
        progress_record(app, "end");
        app->gap_start_ms = app->last_video_present_ms;
        if (app->playlist) {
            play_next_url(app);
            break;
        }
        if (app->series && (size_t)app->episode_index < app->series->n_episodes) {
            /* The last frame stays up under a spinner until the next one arrives. */
            int next = app->episode_index + 1;
            arm_first_frame(app, "end of episode to next first frame");
            if (app->preroll_index == next && app->next_locked) {
                app->episode_index = next;
                forget_next(app);
                paywall_open(app, app->next_price, app->next_balance);
            } else if (swap_to_next(app, next)) {
                app->episode_index = next;
            } else {
                forget_next(app);
                play_episode(app, next);
            }
        } else {
            app->pstate = PLAYER_IDLE;
            player_message(app, false, "That was the last episode", app->series_title);
        }
        break;
    case PLAYER_EVENT_NEAR_END:
        prepare_next(app);
        break;
    case PLAYER_EVENT_SEEKED:
        app->seeking = false;
        if (app->seek_queued)
            send_seek(app);     /* the target asked for meanwhile */
        app->preroll_index = 0; /* a seek drops the preroll; NEAR_END comes again */
        break;
    case PLAYER_EVENT_STALL:
        log_warn("stalled at %lld ms; re-tuning (attempt %d)", (long long)ev->position_ms,
                 ev->attempt);
        set_busy(app, "Reconnecting");
        break;
    case PLAYER_EVENT_VARIANT:
        log_info("variant %dx%d at %u bit/s", ev->variant.width, ev->variant.height,
                 ev->variant.bitrate);
        break;
    default:
        break;
    case PLAYER_EVENT_ERROR:
        app->pstate = PLAYER_ERROR;
        app->seeking = app->seek_queued = false;
        log_error("playback: %s (%s)", ev->message, ev->detail);
        if (app->playlist) {
            fprintf(stderr, "binge: can't play %s: %s\n", app->playlist[app->play_pos],
                    ev->message);
            app_quit(app, APP_EXIT_PLAYBACK);
            break;
        }
        on_player_error(app, ev);
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

static void send_seek(struct app *app)
{
    app->seek_queued = false;
    /* The seek drops the preroll; a request for it still in flight goes too, or its answer
     * would preroll behind the seek. NEAR_END comes again. */
    app->seeking = player_seek(app->player, app->seek_target_ms) == 0;
    if (app->seeking)
        forget_next(app);
}

/* LEFT/RIGHT on the player: 10 s a press. Only a held key (the key's auto-repeat) makes the
 * steps grow (10, 20, 30, 60 s); a press, a change of direction or a new episode starts over
 * at 10 s. */
void playback_seek_step(struct app *app, int dir, bool repeat)
{
    static const int steps[] = {10, 10, 20, 30, 60};
    if (repeat && dir == app->seek_dir)
        app->seek_streak++;
    else
        app->seek_streak = 0;
    app->seek_dir = dir;
    int k = app->seek_streak < 4 ? app->seek_streak : 4;
    /* While a seek is on its way the next step goes on from its target. */
    int64_t pos = app->seeking ? app->seek_target_ms : player_get_position_ms(app->player);
    if (pos < 0)
        return;
    int64_t target = pos + (int64_t)steps[k] * 1000 * dir;
    if (target < 0)
        target = 0;
    if (dir > 0) {
        int64_t dur = app->duration_ms > 0 ? app->duration_ms : player_get_duration_ms(app->player);
        int64_t limit = seek_limit_ms(dur);
        if (target > limit)
            target = limit;
        if (target <= pos)
            return; /* at the limit already (or the end is unknown): stay */
    }
    app->seek_target_ms = target;
    /* One seek at a time: the ones asked for before it lands collapse into the last target,
     * sent when it lands (PLAYER_EVENT_SEEKED). Flushing seeks sent back to back could land
     * short of the last one. */
    if (app->seeking) {
        app->seek_queued = true;
        return;
    }
    send_seek(app);
}