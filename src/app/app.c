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

void app_replace_str(char **dst, const char *src)
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

/* The bootstrap (register + home) is retried as one unit while either is missing. */
static void bootstrap(struct app *app)
{
    app->retry_at_ms = 0;
    if (!app->token && !app->register_req)
        session_request_register(app);
    if ((app->home_state != APP_HOME_READY || app->home_cached || app->offline) && !app->home_req)
        home_request(app);
}

/* The server can go away at any time, not only before the first home: any request that finds
 * no server (a poster may come from elsewhere) puts the Offline banner up over home and starts
 * asking home again with backoff (bootstrap). Any answer at all means the server is back: home
 * is asked at once, and its answer takes the banner down. */
static void note_connectivity(struct app *app, const struct net_response *r)
{
    if (r->kind == APP_REQ_POSTER || r->kind == APP_REQ_HOME)
        return; /* home_on_response deals with its own answers */
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
/* ---- input ---- */

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
                playback_open_series(app, item);
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
            home_return(app);
        break;
    case INPUT_LEFT:
    case INPUT_RIGHT:
        if (app->pstate == PLAYER_PLAYING || app->pstate == PLAYER_PAUSED)
            playback_seek_step(app, action == INPUT_LEFT ? -1 : 1, repeat);
        break;
    case INPUT_INFO:
        app->info = !app->info;
        break;
    case INPUT_OK:
    case INPUT_PLAY_PAUSE:
        if (app->pstate == PLAYER_ERROR && action == INPUT_OK) {
            app_arm_first_frame(app, "OK to first frame");
            if (app->series)
                app_play_episode(app, app->episode_index);
            else
                playback_request_series(app);
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
            home_on_response(app, r);
            break;
        case APP_REQ_SERIES:
            if (r->id == app->series_req)
                playback_on_series(app, r);
            break;
        case APP_REQ_PLAY:
            if (r->id == app->play_req)
                playback_on_play(app, r);
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
                playback_on_preroll(app, r);
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
        home_request(app);
    if ((kinds & (1u << APP_REQ_SERIES)) && app->screen != APP_SCREEN_HOME && app->series_id)
        playback_request_series(app);
    if ((kinds & (1u << APP_REQ_PLAY)) && app->screen == APP_SCREEN_PLAYER && app->series)
        app_play_episode(app, app->episode_index);
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
        playback_on_event(app, &ev);
    struct player_frame f;
    if (app->screen == APP_SCREEN_PLAYER && player_acquire_frame(app->player, app->frame_seq, &f)) {
        app->frame_seq = f.seq;
        if (ui_video_upload(app->ui, &f) == 0)
            playback_picture_arrived(app);
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
    if (opts->play && playback_start_playlist(app, opts->play) != 0) {
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
        home_load_cached(app);
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
