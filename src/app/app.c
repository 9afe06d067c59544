#include <SDL_image.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/app.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("app");

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000

/* ---- waking the UI thread ---- */

/* Called from any thread. The atomic flag coalesces wakes so a busy pipeline cannot flood the
 * SDL event queue: at most one wake event is in flight. */
static void app_wake(void *data)
{
    struct app *app = data;
    if (app->waiter) {
        input_waiter_wake(app->waiter);
        return;
    }
    if (atomic_exchange(&app->wake_pending, true))
        return;
    SDL_Event ev = {.type = app->wake_event};
    SDL_PushEvent(&ev);
}

void app_set_error(struct app *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->error, sizeof(app->error), fmt, ap);
    va_end(ap);
    app->error_tech[0] = '\0';
}

void app_set_error_tech(struct app *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->error_tech, sizeof(app->error_tech), fmt, ap);
    va_end(ap);
}

static void replace_str(char **dst, const char *src)
{
    free(*dst);
    *dst = util_strdup(src);
}

/* ---- requests ---- */

uint64_t app_request(struct app *app, enum app_request kind, enum net_method method,
                     const char *path_or_url, const char *body, unsigned flags, const char *etag)
{
    if (!app->net)
        return 0;
    char *url = NULL;
    if (strncmp(path_or_url, "http://", 7) == 0 || strncmp(path_or_url, "https://", 8) == 0)
        url = util_strdup(path_or_url);
    else
        url = util_asprintf("%s%s", app->opts->server_url, path_or_url);
    if (!url)
        return 0;
    struct net_request req = {
        .method = method,
        .url = url,
        .auth = !(flags & APP_REQ_NO_AUTH),
        .body = body,
        .kind = (int)kind,
        .idempotent = (flags & APP_REQ_IDEMPOTENT) != 0,
        .if_none_match = etag,
    };
    uint64_t id = net_request(app->net, &req);
    if (!id)
        log_error("can't queue a request for %s", path_or_url);
    free(url);
    return id;
}

/* Exponential backoff with +-20% jitter so a fleet of boxes does not retry in lockstep. */
static int64_t backoff_ms(int attempts)
{
    int64_t d = BACKOFF_FIRST_MS;
    for (int i = 1; i < attempts && d < BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > BACKOFF_MAX_MS)
        d = BACKOFF_MAX_MS;
    return d * (80 + rand() % 41) / 100;
}

void app_schedule_retry(struct app *app)
{
    app->attempts++;
    int64_t d = backoff_ms(app->attempts);
    app->retry_at_ms = util_now_ms() + d;
    log_info("retrying in %lld ms (attempt %d)", (long long)d, app->attempts);
}

static void request_home(struct app *app)
{
    app->home_req = app_request(app, APP_REQ_HOME, NET_GET, "/v1/home", NULL, 0, app->home_etag);
}

/* The bootstrap (register + home) is retried as one unit while either is missing. */
static void bootstrap(struct app *app)
{
    app->retry_at_ms = 0;
    if (!app->token && !app->register_req)
        session_request_register(app);
    if ((app->home_state != APP_HOME_READY || app->home_cached || app->offline) && !app->home_req)
        request_home(app);
}

static void home_cache_key(const struct app *app, char *buf, size_t len)
{
    app_cache_key(app, "home", NULL, buf, len);
}

/* Installs a parsed home, keeping the focus when the shelves are the same. */
static bool set_home(struct app *app, struct catalog_home *home, const char *etag)
{
    if (home->n_dropped)
        log_warn("home: left out %zu item%s with a bad field; the first: %s", home->n_dropped,
                 home->n_dropped == 1 ? "" : "s", home->dropped);
    size_t *focus = calloc(home->n_shelves ? home->n_shelves : 1, sizeof(*focus));
    if (!focus) {
        catalog_home_free(home);
        return false;
    }
    if (app->home && app->home->n_shelves == home->n_shelves) {
        for (size_t i = 0; i < home->n_shelves; i++)
            focus[i] = app->focus_item[i] < home->shelves[i].n_items ? app->focus_item[i] : 0;
    } else {
        app->focus_shelf = 0;
    }
    catalog_home_free(app->home);
    free(app->focus_item);
    app->home = home;
    app->home_gen++; /* the posters are looked at again */
    app->focus_item = focus;
    replace_str(&app->home_etag, etag);
    app->home_state = APP_HOME_READY;
    return true;
}

/* Offline first: the last home we saw, shown at once while a fresh one is fetched. */
static void load_cached_home(struct app *app)
{
    char key[64], *etag = NULL, *body = NULL, err[CATALOG_ERR_LEN];
    size_t len = 0;
    int64_t at = 0;
    struct catalog_home *home = NULL;
    home_cache_key(app, key, sizeof(key));
    if (!app->store || store_cache_get(app->store, key, &etag, &body, &len, &at) != 0)
        return;
    if (catalog_parse_home(body, len, &home, err) == 0 && set_home(app, home, etag)) {
        app->home_cached = true;
        log_info("home: %zu shelves from the cache", app->home->n_shelves);
    } else {
        log_warn("cached home is unusable (%s); dropping it", err);
        store_cache_remove(app->store, key);
    }
    free(etag);
    free(body);
}

static void on_home(struct app *app, struct net_response *r)
{
    app->home_req = 0;
    char err[CATALOG_ERR_LEN] = "", key[64];
    struct catalog_home *home = NULL;
    home_cache_key(app, key, sizeof(key));
    if (!r->error && r->status == 304 && app->home) {
        if (app->store)
            store_cache_touch(app->store, key);
        if (app->offline)
            log_info("home: the server is back");
        app->offline = false;
        app->home_cached = false;
        app->home_title[0] = app->home_detail[0] = '\0';
        app->error[0] = '\0';
        app->attempts = 0;
        log_info("home: not modified (%lld ms)", (long long)r->elapsed_ms);
        return;
    }
    if (!r->error && r->status == 200 && catalog_parse_home(r->body, r->len, &home, err) == 0) {
        if (app->store)
            store_cache_put(app->store, key, r->etag, r->body, r->len);
        if (!set_home(app, home, r->etag))
            return;
        if (app->offline)
            log_info("home: the server is back");
        app->offline = false;
        app->home_cached = false;
        app->home_title[0] = app->home_detail[0] = '\0';
        app->error[0] = '\0';
        app->attempts = 0;
        log_info("home: %zu shelves (%lld ms)", app->home->n_shelves, (long long)r->elapsed_ms);
        return;
    }
    char tech[512];
    if (err[0]) {
        snprintf(app->home_title, sizeof(app->home_title), "The server sent a bad catalog");
        snprintf(app->home_detail, sizeof(app->home_detail), "Please try again later.");
        snprintf(tech, sizeof(tech), "bad JSON: %s", err);
    } else {
        app_describe_failure(r, app->home_title, sizeof(app->home_title), app->home_detail,
                             sizeof(app->home_detail));
        app_failure_tech(r, tech, sizeof(tech));
    }
    log_error("home: %s: %s", app->home_title, tech);
    app_set_error(app, "%s: %s", app->home_title, app->home_detail);
    app_set_error_tech(app, "%s", tech);
    if (app->home_state != APP_HOME_READY)
        app->home_state = APP_HOME_ERROR;
    if (r->error == BINGE_ENET || r->error == BINGE_ETIMEDOUT)
        app->offline = true;
    if (app->home && r->error) {
        /* The saved catalog stays browsable under a banner. */
        snprintf(app->home_title, sizeof(app->home_title), "Offline");
        snprintf(app->home_detail, sizeof(app->home_detail), "showing your saved catalog");
    }
    if (!app->retry_at_ms)
        app_schedule_retry(app);
}

/* The server can go away at any time, not only before the first home: any request that finds
 * no server (a poster may come from elsewhere) puts the Offline banner up over home and starts
 * asking home again with backoff (bootstrap). Any answer at all means the server is back: home
 * is asked at once, and its answer takes the banner down. */
static void note_connectivity(struct app *app, const struct net_response *r)
{
    if (r->kind == APP_REQ_POSTER || r->kind == APP_REQ_HOME)
        return; /* on_home deals with its own answers */
    bool gone = r->error == BINGE_ENET || r->error == BINGE_ETIMEDOUT;
    if (gone && !app->offline) {
        char title[160], detail[256], tech[512];
        app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
        app_failure_tech(r, tech, sizeof(tech));
        log_warn("offline: %s; asking again with backoff", tech);
        app->offline = true;
        app_set_error(app, "%s: %s", title, detail);
        app_set_error_tech(app, "%s", tech);
        if (app->home) {
            snprintf(app->home_title, sizeof(app->home_title), "Offline");
            snprintf(app->home_detail, sizeof(app->home_detail), "showing your saved catalog");
        }
        if (!app->retry_at_ms && !app->home_req)
            app_schedule_retry(app);
    } else if (!r->error && app->offline && !app->home_req) {
        log_info("the server answered again; asking for home");
        bootstrap(app);
    }
}

/* ---- playback ---- */

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
        player_message(app, true, "Can't reach the server", "Not signed in yet; retrying");
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

static void request_series(struct app *app)
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

static void open_series(struct app *app, const struct catalog_item *item)
{
    replace_str(&app->series_id, item->series_id);
    replace_str(&app->series_title, item->title);
    replace_str(&app->poster_url, item->poster_url);
    catalog_series_free(app->series);
    app->series = NULL;
    /* A "continue watching" card names the episode; any other card leaves it to the series'
     * resume (on_series). The play grant's resume_ms then places it. */
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
    request_series(app);
}

static void stop_playback(struct app *app)
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

static void on_series(struct app *app, struct net_response *r)
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
        replace_str(&app->series_title, series->title);
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

static void on_play(struct app *app, struct net_response *r)
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

static void on_preroll(struct app *app, struct net_response *r)
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
static int start_playlist(struct app *app, const char *list)
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
static void picture_arrived(struct app *app)
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

static void on_player_event(struct app *app, const struct player_event *ev)
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
            picture_arrived(app);
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

/* ---- input ---- */

static void home_move(struct app *app, int dshelf, int ditem)
{
    if (!app->home || app->home->n_shelves == 0)
        return;
    size_t n = app->home->n_shelves;
    if (dshelf < 0 && app->focus_shelf > 0)
        app->focus_shelf--;
    else if (dshelf > 0 && app->focus_shelf + 1 < n)
        app->focus_shelf++;
    const struct catalog_shelf *shelf = &app->home->shelves[app->focus_shelf];
    size_t *item = &app->focus_item[app->focus_shelf];
    if (ditem < 0 && *item > 0)
        (*item)--;
    else if (ditem > 0 && *item + 1 < shelf->n_items)
        (*item)++;
}

const struct catalog_item *app_focused_item(const struct app *app)
{
    if (!app->home || app->focus_shelf >= app->home->n_shelves)
        return NULL;
    const struct catalog_shelf *shelf = &app->home->shelves[app->focus_shelf];
    size_t i = app->focus_item[app->focus_shelf];
    return i < shelf->n_items ? &shelf->items[i] : NULL;
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
static void seek_step(struct app *app, int dir, bool repeat)
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

static void go_home(struct app *app)
{
    stop_playback(app);
    app->resume_override_ms = -1;
    app->screen = APP_SCREEN_HOME;
    /* What was just watched changes the "continue watching" shelf: ask again (with the ETag:
     * a 304 when nothing changed) once the position saved on the way out has reached the
     * server, or after APP_HOME_REFRESH_WAIT_MS at the latest. */
    app->home_refresh_at_ms = util_now_ms() + APP_HOME_REFRESH_WAIT_MS;
}

/* Every tick: the home refresh after the player (go_home). Returns a deadline, -1 for none. */
static int64_t home_refresh_tick(struct app *app, int64_t now)
{
    if (!app->home_refresh_at_ms)
        return -1;
    if (app->screen != APP_SCREEN_HOME) {
        app->home_refresh_at_ms = 0;
        return -1;
    }
    if (app->progress_req && now < app->home_refresh_at_ms)
        return app->home_refresh_at_ms;
    app->home_refresh_at_ms = 0;
    if (!app->home_req && app->token) {
        log_info("home: refreshing after the player");
        request_home(app);
    }
    return -1;
}

void app_dispatch(struct app *app, enum input_action action, bool repeat)
{
    log_debug("action %s%s", input_action_name(action), repeat ? " (repeat)" : "");
    app->dirty = true;
    if (app->screen == APP_SCREEN_HOME) {
        switch (action) {
        case INPUT_UP:
            home_move(app, -1, 0);
            break;
        case INPUT_DOWN:
            home_move(app, 1, 0);
            break;
        case INPUT_LEFT:
            home_move(app, 0, -1);
            break;
        case INPUT_RIGHT:
            home_move(app, 0, 1);
            break;
        case INPUT_OK: {
            const struct catalog_item *item = app_focused_item(app);
            if (item)
                open_series(app, item);
            break;
        }
        case INPUT_MENU:
            activation_start(app);
            break;
        case INPUT_BACK:
            log_info("BACK on home: exiting");
            app_quit(app, APP_EXIT_OK);
            break;
        default:
            break;
        }
        return;
    }

    if (app->screen == APP_SCREEN_PAYWALL) {
        paywall_dispatch(app, action);
        return;
    }
    if (app->screen == APP_SCREEN_CHECKOUT || app->screen == APP_SCREEN_ACTIVATE) {
        account_dispatch(app, action);
        return;
    }
    if (app->screen == APP_SCREEN_AD) {
        /* An ad break can be left, never skipped. */
        if (action == INPUT_BACK || action == INPUT_HOME) {
            app->ad_until_ms = 0;
            app->screen = APP_SCREEN_PAYWALL;
        }
        return;
    }

    /* Player: volume and track keys change only what they show; any other key brings the
     * overlay up; BACK and HOME always leave. */
    if (prefs_dispatch(app, action))
        return;
    app->overlay_until_ms = util_now_ms() + APP_OVERLAY_MS;
    switch (action) {
    case INPUT_BACK:
    case INPUT_HOME:
        if (app->playlist)
            app_quit(app, APP_EXIT_OK); /* --play has no home to go back to */
        else
            go_home(app);
        break;
    case INPUT_LEFT:
    case INPUT_RIGHT:
        if (app->pstate == PLAYER_PLAYING || app->pstate == PLAYER_PAUSED)
            seek_step(app, action == INPUT_LEFT ? -1 : 1, repeat);
        break;
    case INPUT_INFO:
        app->info = !app->info;
        break;
    case INPUT_OK:
    case INPUT_PLAY_PAUSE:
        if (app->pstate == PLAYER_ERROR && action == INPUT_OK) {
            arm_first_frame(app, "OK to first frame");
            if (app->series)
                play_episode(app, app->episode_index);
            else
                request_series(app);
        } else if (app->pstate == PLAYER_PLAYING || app->pstate == PLAYER_PAUSED) {
            if (app->pstate == PLAYER_PLAYING)
                progress_record(app, "pause");
            player_set_paused(app->player, app->pstate == PLAYER_PLAYING);
        }
        break;
    default:
        break;
    }
}

void app_quit(struct app *app, int exit_code)
{
    app->running = false;
    app->exit_code = exit_code;
}

/* ---- drawing ---- */

void app_render(struct app *app)
{
    int64_t now = util_now_ms();
    bool partial_ok = app->drawn_player && !app->full_redraw;
    app->drawn_player = app->screen == APP_SCREEN_PLAYER;
    app->full_redraw = false;
    if (app->screen == APP_SCREEN_HOME) {
        char detail[320];
        const char *title = app->home_title[0] ? app->home_title : NULL;
        const char *det = app->home_detail[0] ? app->home_detail : NULL;
        if (app->home_state == APP_HOME_LOADING && !title)
            title = "Loading";
        if (app->retry_at_ms && title) {
            int64_t left = (app->retry_at_ms - now + 999) / 1000;
            snprintf(detail, sizeof(detail), "%s%sRetrying in %lld s", det ? det : "",
                     det ? " - " : "", (long long)(left > 0 ? left : 0));
            det = detail;
        }
        char header[160] = "";
        if (app->wallet)
            snprintf(header, sizeof(header), "%lld coins%s%s", (long long)session_balance(app),
                     app->wallet->vip_active ? "  -  VIP" : "",
                     app->account_name ? "" : "  -  MENU: link your account");
        struct ui_home_view v = {
            .header_right = header[0] ? header : NULL,
            .home = app->home,
            .focus_shelf = app->focus_shelf,
            .focus_item = app->focus_item,
            .status_title = title,
            .status_detail = det,
            .busy = app->home_state != APP_HOME_READY,
            .status_is_error = app->home_state == APP_HOME_ERROR || app->home_title[0],
            .now_ms = now,
        };
        ui_draw_home(app->ui, &v);
        return;
    }
    if (app->screen == APP_SCREEN_PAYWALL) {
        paywall_render(app, now);
        return;
    }
    if (app->screen == APP_SCREEN_CHECKOUT || app->screen == APP_SCREEN_ACTIVATE) {
        account_render(app, now);
        return;
    }
    if (app->screen == APP_SCREEN_AD) {
        char count[64];
        snprintf(count, sizeof(count), "Your episode unlocks in %lld s",
                 (long long)((app->ad_until_ms - now + 999) / 1000));
        struct ui_qr_view v = {
            .title = "A short break from our sponsor",
            .lines = {count, "Thanks for watching: this keeps episodes free."},
            .busy = true,
            .hint = "BACK to leave the ad (the episode stays locked)",
            .now_ms = now,
        };
        ui_draw_qr_screen(app->ui, &v);
        return;
    }
    bool paused = app->pstate == PLAYER_PAUSED;
    char next_up[128] = "";
    const struct catalog_episode *next =
        app->series ? catalog_series_episode(app->series, app->episode_index + 1) : NULL;
    if (next && next->state == CATALOG_LOCKED)
        snprintf(next_up, sizeof(next_up), "%s - locked, %d coins", next->title, next->price_coins);
    else if (next)
        snprintf(next_up, sizeof(next_up), "%s", next->title);
    char sub[512], info[512] = "";
    bool has_sub = player_get_subtitle(app->player, sub, sizeof(sub));
    if (app->info) {
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
    if (app->info && app->msg_title[0] && app->pstate == PLAYER_ERROR && app->error_tech[0])
        snprintf(more, sizeof(more), "Details: %s", app->error_tech);
    struct ui_player_view v = {
        .subtitle = has_sub ? sub : NULL,
        .info = info[0] ? info : NULL,
        .next_up = next_up[0] ? next_up : NULL,
        .series_title = app->series_title ? app->series_title : "",
        .poster_url = app->poster_url,
        .episode_index = app->episode_index,
        .episode_count = app->series ? (int)app->series->n_episodes : 0,
        .state = app->pstate,
        .position_ms = player_get_position_ms(app->player),
        .duration_ms = app->duration_ms,
        .overlay = paused || now < app->overlay_until_ms,
        .busy = app->busy,
        .busy_text = app->busy_text[0] ? app->busy_text : NULL,
        .message_title = app->msg_title[0] ? app->msg_title : NULL,
        .message_detail = app->msg_detail[0] ? app->msg_detail : NULL,
        .message_more = more[0] ? more : NULL,
        .message_hint = app->msg_error && app->pstate == PLAYER_ERROR
                            ? (app->msg_hint[0] ? app->msg_hint : "OK to retry, BACK to return")
                            : "Press BACK to return",
        .volume_pct = prefs_volume_pct(app),
        .muted = player_get_mute(app->player),
        .show_volume = now < app->volume_until_ms,
        .toast = now < app->toast_until_ms ? app->toast : NULL,
        .partial_ok = partial_ok,
        .now_ms = now,
    };
    ui_draw_player(app->ui, &v);
}

int app_screenshot(struct app *app, const char *path, char *err, size_t errlen)
{
    int w = 0, h = 0, rc = BINGE_EIO;
    SDL_Surface *s = NULL;
    char *tmp = NULL;
    app_render(app);
    if (SDL_GetRendererOutputSize(app->renderer, &w, &h) != 0)
        goto fail;
    s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_RGB888);
    if (!s)
        goto fail;
    if (SDL_RenderReadPixels(app->renderer, NULL, s->format->format, s->pixels, s->pitch) != 0)
        goto fail;
    tmp = util_asprintf("%s.tmp", path);
    if (!tmp || IMG_SavePNG(s, tmp) != 0)
        goto fail;
    if (rename(tmp, path) != 0)
        goto fail;
    rc = 0;
    SDL_RenderPresent(app->renderer);
    log_info("screenshot %s (%dx%d)", path, w, h);
fail:
    if (rc != 0) {
        snprintf(err, errlen, "can't save screenshot %s: %s", path, SDL_GetError());
        if (tmp)
            remove(tmp);
    }
    free(tmp);
    SDL_FreeSurface(s);
    return rc;
}

/* ---- the tick ---- */

static void drain_net(struct app *app)
{
    struct net_response *r;
    while (app->net && (r = net_poll(app->net))) {
        app->dirty = true;
        if (!r->error && r->status >= 200 && r->status < 300)
            app->auth_renewed = false;
        note_connectivity(app, r);
        if (session_on_unauthorized(app, r)) {
            net_response_free(r);
            continue;
        }
        switch ((enum app_request)r->kind) {
        case APP_REQ_REGISTER:
            session_on_register(app, r);
            break;
        case APP_REQ_REFRESH:
            session_on_refresh(app, r);
            break;
        case APP_REQ_WALLET:
            session_on_wallet(app, r);
            break;
        case APP_REQ_HOME:
            on_home(app, r);
            break;
        case APP_REQ_SERIES:
            if (r->id == app->series_req)
                on_series(app, r);
            break;
        case APP_REQ_PLAY:
            if (r->id == app->play_req)
                on_play(app, r);
            break;
        case APP_REQ_POSTER:
            posters_on_response(app, r);
            break;
        case APP_REQ_UNLOCK:
            if (r->id == app->unlock_req)
                paywall_on_unlock(app, r);
            break;
        case APP_REQ_PROGRESS:
            progress_on_response(app, r);
            break;
        case APP_REQ_PREROLL:
            if (r->id == app->preroll_req)
                on_preroll(app, r);
            break;
        case APP_REQ_PACKS:
        case APP_REQ_PURCHASE:
        case APP_REQ_PURCHASE_POLL:
        case APP_REQ_DEVICE_CODE:
        case APP_REQ_DEVICE_TOKEN:
            account_on_response(app, r);
            break;
        case APP_REQ_KINDS:
            break;
        }
        net_response_free(r);
    }
}

void app_resubmit(struct app *app, unsigned kinds)
{
    if (kinds & (1u << APP_REQ_HOME))
        request_home(app);
    if ((kinds & (1u << APP_REQ_SERIES)) && app->screen != APP_SCREEN_HOME && app->series_id)
        request_series(app);
    if ((kinds & (1u << APP_REQ_PLAY)) && app->screen == APP_SCREEN_PLAYER && app->series)
        play_episode(app, app->episode_index);
    if ((kinds & (1u << APP_REQ_UNLOCK)) && app->unlock_key[0])
        paywall_send_unlock(app, app->unlock_method);
    if (kinds & (1u << APP_REQ_WALLET))
        session_request_wallet(app);
    if (kinds & (1u << APP_REQ_PROGRESS))
        progress_flush(app);
    if ((kinds & (1u << APP_REQ_DEVICE_CODE)) && app->screen == APP_SCREEN_ACTIVATE)
        activation_start(app);
    if ((kinds & (1u << APP_REQ_PACKS | 1u << APP_REQ_PURCHASE | 1u << APP_REQ_PURCHASE_POLL)) &&
        app->screen == APP_SCREEN_CHECKOUT)
        checkout_start(app);
}

static void drain_player(struct app *app)
{
    struct player_event ev;
    while (player_poll_event(app->player, &ev))
        on_player_event(app, &ev);
    struct player_frame f;
    if (app->screen == APP_SCREEN_PLAYER && player_acquire_frame(app->player, app->frame_seq, &f)) {
        app->frame_seq = f.seq;
        if (ui_video_upload(app->ui, &f) == 0)
            picture_arrived(app);
        player_release_frame(app->player, &f);
    }
}

/* The update checks: each is safe to run on every tick. Returns the next deadline. */
static int64_t update(struct app *app, int64_t now)
{
    int64_t next = -1;
#define DEADLINE(t)                                                                                \
    do {                                                                                           \
        int64_t t_ = (t);                                                                          \
        if (t_ > 0 && (next < 0 || t_ < next))                                                     \
            next = t_;                                                                             \
    } while (0)
    if (app->retry_at_ms && now >= app->retry_at_ms)
        bootstrap(app);
    if (app->retry_at_ms) {
        DEADLINE(app->retry_at_ms);
        /* the countdown on screen changes once a second */
        DEADLINE(now + 1000 - (app->retry_at_ms - now) % 1000);
    }
    /* The wallet may have turned the focused row off (no ad unlocks left). */
    if (app->screen == APP_SCREEN_PAYWALL && paywall_keep_focus(app))
        app->dirty = true;
    posters_fetch(app);
    if (ui_image_pump(app->ui))
        app->dirty = true;
    player_tick(app->player, now);
    DEADLINE(player_next_deadline_ms(app->player));
    DEADLINE(progress_tick(app, now));
    DEADLINE(home_refresh_tick(app, now));
    DEADLINE(account_tick(app, now));
    if (app->screen == APP_SCREEN_AD && app->ad_until_ms) {
        if (now >= app->ad_until_ms) {
            app->ad_until_ms = 0;
            app->screen = APP_SCREEN_PAYWALL;
            paywall_send_unlock(app, APP_UNLOCK_AD);
        } else {
            DEADLINE(now + 1000 - (app->ad_until_ms - now) % 1000);
        }
    }
    bool animating = (app->screen == APP_SCREEN_HOME && app->home_state != APP_HOME_READY) ||
                     (app->screen == APP_SCREEN_PLAYER && app->busy) ||
                     (app->screen == APP_SCREEN_PAYWALL && app->unlock_req) ||
                     app->screen == APP_SCREEN_AD ||
                     (app->screen == APP_SCREEN_CHECKOUT && !app->checkout_error) ||
                     (app->screen == APP_SCREEN_ACTIVATE && app->devcode);
    if (animating) {
        if (now >= app->next_anim_ms) {
            app->dirty = true;
            app->next_anim_ms = now + UI_ANIMATION_FRAME_MS;
        }
        DEADLINE(app->next_anim_ms);
    }
    /* The toast and the volume bar go away by themselves. */
    int64_t *timers[] = {&app->toast_until_ms, &app->volume_until_ms};
    for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++) {
        if (!*timers[i])
            continue;
        if (now >= *timers[i]) {
            *timers[i] = 0;
            app->dirty = true;
        } else {
            DEADLINE(*timers[i]);
        }
    }
    if (app->screen == APP_SCREEN_PLAYER && app->overlay_until_ms) {
        if (now >= app->overlay_until_ms) {
            app->overlay_until_ms = 0;
            app->dirty = true;
        } else {
            DEADLINE(app->overlay_until_ms);
            /* the clock in the overlay moves even while paused frames do not */
            DEADLINE(now + 250);
        }
    }
#undef DEADLINE
    return next;
}

static void handle_event(struct app *app, const SDL_Event *ev)
{
    if (ev->type == app->wake_event) {
        atomic_store(&app->wake_pending, false);
        return;
    }
    switch (ev->type) {
    case SDL_QUIT:
        app_quit(app, APP_EXIT_OK);
        break;
    case SDL_KEYDOWN: {
        enum input_action a = input_from_sdl_key(&ev->key);
        if (a != INPUT_NONE)
            app_dispatch(app, a, input_key_is_repeat(&ev->key));
        else
            log_debug("unmapped key %s", SDL_GetKeyName(ev->key.keysym.sym));
        break;
    }
    case SDL_WINDOWEVENT:
        app->dirty = true;
        app->full_redraw = true;
        break;
    default:
        break;
    }
}

static void present(struct app *app)
{
    app_render(app);
    SDL_RenderPresent(app->renderer);
    app->dirty = false;
    if (app->opts->render_delay_ms > 0)
        SDL_Delay((Uint32)app->opts->render_delay_ms);
    int r[4];
    if (app->video_plane && app->screen == APP_SCREEN_PLAYER &&
        ui_video_window_rect(app->ui, &r[0], &r[1], &r[2], &r[3]) &&
        memcmp(r, app->plane_rect, sizeof(r)) != 0) {
        memcpy(app->plane_rect, r, sizeof(r));
        player_set_video_rect(app->player, r[0], r[1], r[2], r[3]);
    }
    /* Home is up and the viewer is choosing: the time to load the decoders. */
    if (!app->warmed && app->screen == APP_SCREEN_HOME && app->home_state == APP_HOME_READY) {
        app->warmed = true;
        player_warm_up();
    }
    if (app->video_presented) {
        int64_t now = util_now_ms();
        app->video_presented = false;
        /* The first new frame after an episode ended closes the gap. */
        if (app->gap_start_ms && app->ff_armed && app->ff_uploaded) {
            app->last_gap_ms = now - app->gap_start_ms;
            log_info("gap: %lld ms (episode %d -> %d)", (long long)app->last_gap_ms,
                     app->episode_index - 1, app->episode_index);
            app->gap_start_ms = 0;
        }
        app->last_video_present_ms = now;
    }
    if (app->ff_armed && app->ff_uploaded && app->screen == APP_SCREEN_PLAYER) {
        app->ff_armed = false;
        app->first_frame_ms = util_now_ms() - app->ff_start_ms;
        log_info("%s: %lld ms (series %s, episode %d)", app->ff_label,
                 (long long)app->first_frame_ms, app->series_id ? app->series_id : "-",
                 app->episode_index);
        if (app->playlist && app->opts->exit_after_first_frame)
            app_quit(app, APP_EXIT_OK);
    }
}

/* Sleeps until an event, a wake from another thread, or timeout ms, and handles the SDL events
 * that came. With a waiter the thread sleeps in poll() and SDL is only pumped when something
 * came; without one SDL_WaitEventTimeout sleeps (it truly sleeps only where the video driver
 * can wait: x11, wayland). */
static void wait_for_events(struct app *app, int timeout)
{
    SDL_Event ev;
    if (!app->waiter) {
        if (SDL_WaitEventTimeout(&ev, timeout)) {
            handle_event(app, &ev);
            while (app->running && SDL_PollEvent(&ev))
                handle_event(app, &ev);
        }
        return;
    }
    SDL_PumpEvents();
    if (SDL_PeepEvents(&ev, 1, SDL_PEEKEVENT, SDL_FIRSTEVENT, SDL_LASTEVENT) <= 0) {
        input_waiter_wait(app->waiter, timeout);
        SDL_PumpEvents();
    }
    while (app->running && SDL_PeepEvents(&ev, 1, SDL_GETEVENT, SDL_FIRSTEVENT, SDL_LASTEVENT) > 0)
        handle_event(app, &ev);
}

static int loop(struct app *app)
{
    app->running = true;
    app->dirty = true;
    if (!app->playlist)
        bootstrap(app);
    while (app->running) {
        app->ticks++;
        int64_t now = util_now_ms();
        int64_t next = update(app, now);
        if (app->automation) {
            int64_t a = automation_step(app->automation, app);
            if (!app->running)
                break;
            if (a > 0 && (next < 0 || a < next))
                next = a;
        }
        int timeout = 1000;
        if (app->dirty) {
            present(app);
            /* Look for more work before sleeping, but take input and the net and player events
             * first: on a box that draws slower than the animation rate, every tick is dirty,
             * and skipping them froze the screen on "Loading" while the episode played. */
            timeout = 0;
        } else if (next > 0) {
            int64_t d = next - util_now_ms();
            timeout = d < 0 ? 0 : d > 1000 ? 1000 : (int)d;
        }
        wait_for_events(app, timeout);
        drain_net(app);
        drain_player(app);
    }
    return app->exit_code;
}

/* ---- start and stop ---- */

static int create_window(struct app *app)
{
    const struct platform *p = app->platform;
    if (p->sdl_video_driver)
        SDL_SetHint(SDL_HINT_VIDEODRIVER, p->sdl_video_driver);
    if (p->sdl_audio_driver)
        SDL_SetHint(SDL_HINT_AUDIODRIVER, p->sdl_audio_driver);
    SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
    /* Headless draws with the software renderer into the window surface. Left to itself, SDL
     * puts that surface on screen through a GL texture when EGL is there (Mesa's llvmpipe on a
     * machine without a GPU): a second, software GL renderer that copied every frame again and
     * cost more CPU than the whole UI (bench: 14.3 s of a 30 s playback, llvmpipe half of it). */
    if (strcmp(p->name, "headless") == 0)
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    /* GStreamer owns audio; SDL only draws and reads input. */
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        log_error("can't start SDL video (%s): %s", p->name, SDL_GetError());
        return BINGE_EIO;
    }
    Uint32 flags = SDL_WINDOW_SHOWN;
    /* --play is full screen on a display (headless keeps the size asked for). */
    if (app->opts->fullscreen || (app->opts->play && strcmp(p->name, "headless") != 0))
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    app->window = SDL_CreateWindow("binge", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                   app->opts->width, app->opts->height, flags);
    if (!app->window) {
        log_error("can't open a window: %s", SDL_GetError());
        return BINGE_EIO;
    }
    bool headless = strcmp(p->name, "headless") == 0;
    if (!headless)
        app->renderer = SDL_CreateRenderer(app->window, -1,
                                           SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
    if (!app->renderer)
        app->renderer = SDL_CreateRenderer(app->window, -1, SDL_RENDERER_SOFTWARE);
    if (!app->renderer) {
        log_error("can't create a renderer: %s", SDL_GetError());
        return BINGE_EIO;
    }
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo(app->renderer, &info) == 0)
        log_info("SDL video driver %s, renderer %s", SDL_GetCurrentVideoDriver(), info.name);
    SDL_RenderSetLogicalSize(app->renderer, UI_WIDTH, UI_HEIGHT);
    app->waiter = input_waiter_new(app->window);
    app->wake_event = SDL_RegisterEvents(1);
    if (app->wake_event == (Uint32)-1) {
        log_error("no SDL user events left");
        return BINGE_EIO;
    }
    return 0;
}

/* The video output: --video-output, else the platform's. A plane sink draws into the SDL
 * window (X11, Wayland) through GstVideoOverlay, or on a plane of its own (kmssink). */
static void plane_config(struct app *app, struct player_config *pcfg)
{
    const char *out =
        app->opts->video_output ? app->opts->video_output : app->platform->video_output;
    pcfg->video_output = out;
    app->video_plane = out && strcmp(out, "texture") != 0;
    if (!out || strcmp(out, "plane") != 0)
        return;
    pcfg->video_sink = app->opts->video_sink ? app->opts->video_sink : app->platform->video_sink;
    platform_native_window(app->window, &pcfg->window_handle, &pcfg->display_handle);
    log_info("video output plane (%s), window 0x%lx",
             pcfg->video_sink ? pcfg->video_sink : "the first sink that works",
             (unsigned long)pcfg->window_handle);
}

int app_run(const struct binge_options *opts, const struct platform *platform)
{
    struct app app_storage = {.opts = opts,
                              .platform = platform,
                              .first_frame_ms = -1,
                              .last_gap_ms = -1,
                              .resume_override_ms = -1,
                              .buffer_pct = -1};
    struct app *app = &app_storage;
    int rc = APP_EXIT_FAILURE;
    char err[256] = "";
    atomic_init(&app->wake_pending, false);
    srand((unsigned)util_now_us());
    log_info("binge %s on platform %s, server %s", BINGE_VERSION, platform->name, opts->server_url);

    if (create_window(app) != 0)
        goto out;
    if (player_init() != 0) {
        log_error("GStreamer has no playbin3: install gstreamer1.0-plugins-base");
        goto out;
    }
    struct player_config pcfg = {.audio_sink =
                                     opts->audio_sink ? opts->audio_sink : platform->audio_sink,
                                 .start_bitrate = (unsigned)opts->start_bitrate_kbps * 1000u};
    plane_config(app, &pcfg);
    app->player = player_new(&pcfg, app_wake, app);
    if (!app->player)
        goto out;
    /* Without a usable state directory binge still runs; it only forgets. --play keeps the
     * viewer's volume and track choices too. */
    app->store = store_open(opts->state_dir, err, sizeof(err));
    if (!app->store)
        log_error("state is not kept: %s", err);
    else if (store_recovered(app->store))
        log_warn("%s", store_recovery_message(app->store));
    store_set_wake(app->store, app_wake, app); /* a write done: progress_tick reports it */
    prefs_apply(app);
    /* --play starts the stream before the fonts load: GStreamer fetches the playlist and the
     * first segment on its own threads meanwhile. */
    if (opts->play && start_playlist(app, opts->play) != 0) {
        fprintf(stderr, "binge: --play needs at least one URL\n");
        rc = APP_EXIT_USAGE;
        goto out;
    }
    app->ui = ui_new(app->renderer, opts->font, app_wake, app, err, sizeof(err));
    if (!app->ui) {
        log_error("%s", err);
        goto out;
    }
    log_info("font %s", ui_font_path(app->ui));
    if (!opts->play) {
        struct net_config ncfg = {
            .user_agent = "binge/" BINGE_VERSION,
            .device_id = opts->device_id,
            .language = opts->language,
            .connect_timeout_ms = opts->connect_timeout_ms,
            .total_timeout_ms = opts->http_timeout_ms,
            .max_retries = opts->http_retries ? opts->http_retries : NET_RETRIES_NONE,
        };
        app->net = net_new(&ncfg, app_wake, app);
        if (!app->net)
            goto out;
        session_start(app);
        load_cached_home(app);
    }
    if (opts->script || opts->control) {
        app->automation =
            automation_new(opts->script, opts->control, stdout, app_wake, app, err, sizeof(err));
        if (!app->automation) {
            log_error("%s", err);
            rc = APP_EXIT_AUTOMATION;
            goto out;
        }
    }
    rc = loop(app);
    if (app->screen == APP_SCREEN_PLAYER)
        progress_record(app, "exit"); /* sent at the next start if not now */
out:
    automation_free(app->automation);
    account_reset(app); /* cancels through net: before net_free */
    player_free(app->player);
    net_free(app->net);
    for (size_t i = 0; i < APP_MAX_POSTER_FETCHES; i++)
        free(app->posters[i].url);
    ui_free(app->ui);
    catalog_home_free(app->home);
    catalog_series_free(app->series);
    free(app->focus_item);
    progress_shutdown(app);
    store_close(app->store);
    catalog_wallet_free(app->wallet);
    free(app->wallet_etag);
    free(app->progress_ids);
    free(app->home_etag);
    free(app->refresh_token);
    free(app->device_id);
    free(app->account_name);
    free(app->token);
    free(app->series_id);
    free(app->series_title);
    free(app->poster_url);
    for (size_t i = 0; i < app->n_playlist; i++)
        free(app->playlist[i]);
    free(app->playlist);
    if (app->renderer)
        SDL_DestroyRenderer(app->renderer);
    if (app->window)
        SDL_DestroyWindow(app->window);
    input_waiter_free(app->waiter);
    SDL_Quit();
    return rc;
}
