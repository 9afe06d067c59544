#include <SDL_image.h>
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/app.h"
#include "binge/error.h"
#include "binge/input_source.h"
#include "binge/log.h"
#include "binge/sd_notify.h"
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
    return app_request_for(app, NULL, kind, method, path_or_url, body, flags, etag);
}

uint64_t app_request_for(struct app *app, void *userdata, enum app_request kind,
                         enum net_method method, const char *path_or_url, const char *body,
                         unsigned flags, const char *etag)
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
        .userdata = userdata,
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
    home_bootstrap(app);
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
        home_note_offline(app);
        if (!app->retry_at_ms)
            app_schedule_retry(app);
    } else if (!r->error && app->offline) {
        log_info("the server answered again; asking for home");
        bootstrap(app);
    }
}

/* ---- input ---- */

/* What no screen took: BACK pops the screen (on the bottom one, asks before exiting), HOME goes
 * back to the bottom screen. */
void app_dispatch(struct app *app, enum input_action action, bool repeat)
{
    log_debug("action %s%s", input_action_name(action), repeat ? " (repeat)" : "");
    app->dirty = true;
    if (!app->key_at_us)
        app->key_at_us = util_now_us();
    struct screen *top = app_top(app);
    if (!top)
        return;
    /* Screens move along their rows in reading order; in an RTL UI that runs right to left. */
    action = app_visual_action(app, action);
    if (top->ops->action && top->ops->action(app, top, action, repeat))
        return;
    if (remote_action(app, top, action))
        return;
    if (action == INPUT_BACK) {
        if (app->depth > 1) {
            app_pop(app);
        } else if (top->ops != &screen_exit_confirm) {
            log_info("BACK on %s: asking before exiting", top->ops->name);
            app_push(app, &screen_exit_confirm, NULL);
        }
    } else if (action == INPUT_HOME) {
        app_pop_to(app, app->stack[0]->ops);
    }
}

void app_quit(struct app *app, int exit_code)
{
    app->running = false;
    app->exit_code = exit_code;
}

void app_toast(struct app *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->toast, sizeof(app->toast), fmt, ap);
    va_end(ap);
    app->toast_until_ms = util_now_ms() + APP_TOAST_MS;
    app->dirty = true;
}

int64_t app_animate(struct app *app, int64_t now)
{
    if (now >= app->next_anim_ms) {
        app->dirty = true;
        app->next_anim_ms = now + UI_ANIMATION_FRAME_MS;
    }
    return app->next_anim_ms;
}

/* ---- drawing ---- */

void app_render(struct app *app)
{
    int64_t now = util_now_ms();
    struct screen *top = app_top(app);
    /* The top screen drew the last present too, and nothing took the window since: a player
     * may then redraw only its picture. */
    app->partial_ok = top && app->drawn_gen == top->gen && !app->full_redraw;
    app->drawn_gen = top && !top->ops->overlay ? top->gen : 0;
    app->full_redraw = false;
    ui_strings_frame(app->ui);
    stack_render(app, now);
    if (top && !top->ops->draws_toast && now < app->toast_until_ms)
        ui_draw_toast(app->ui, app->toast);
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
        if (stack_route(app, r)) {
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
        case APP_REQ_POSTER:
            posters_on_response(app, r);
            break;
        case APP_REQ_PROGRESS:
            progress_on_response(app, r);
            break;
        case APP_REQ_INSTANT:
            preroll_on_response(app, r);
            break;
        default:
            log_warn("an answer of kind %d nobody asked for: dropped", r->kind);
            break;
        }
        net_response_free(r);
    }
}

void app_resubmit(struct app *app)
{
    unsigned kinds = app->resubmit;
    app->resubmit = 0;
    if (kinds & (1u << APP_REQ_WALLET))
        session_request_wallet(app);
    if (kinds & (1u << APP_REQ_PROGRESS))
        progress_flush(app);
    stack_resend(app);
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
    /* From the tick, so a loop stuck anywhere stops the pings and systemd restarts binge. */
    if (app->watchdog_ms > 0) {
        if (now >= app->watchdog_next_ms) {
            if (sd_notify_send("WATCHDOG=1") != 0)
                log_debug("systemd watchdog: WATCHDOG=1 not sent");
            app->watchdog_next_ms = now + app->watchdog_ms / 2;
        }
        DEADLINE(app->watchdog_next_ms);
    }
    if (app->retry_at_ms && now >= app->retry_at_ms)
        bootstrap(app);
    if (app->retry_at_ms) {
        DEADLINE(app->retry_at_ms);
        /* the countdown on screen changes once a second */
        DEADLINE(now + 1000 - (app->retry_at_ms - now) % 1000);
    }
    posters_fetch(app);
    if (ui_image_pump(app->ui))
        app->dirty = true;
    DEADLINE(input_next_deadline(app->input)); /* a held remote key's next repeat */
    player_tick(app->player, now);
    DEADLINE(player_next_deadline_ms(app->player));
    DEADLINE(progress_tick(app, now));
    struct screen *top = app_top(app);
    if (top && top->ops->tick)
        DEADLINE(top->ops->tick(app, top, now));
    /* The toast goes away by itself. */
    if (app->toast_until_ms) {
        if (now >= app->toast_until_ms) {
            app->toast_until_ms = 0;
            app->dirty = true;
        } else {
            DEADLINE(app->toast_until_ms);
        }
    }
#undef DEADLINE
    return next;
}

/* The actions the input sources made, in order. */
static void dispatch_input(struct app *app)
{
    enum input_action a;
    bool repeat;
    while (app->running && input_next_action(app->input, &a, &repeat))
        app_dispatch(app, a, repeat);
}

static void handle_event(struct app *app, const SDL_Event *ev)
{
    if (ev->type == app->wake_event) {
        atomic_store(&app->wake_pending, false);
        return;
    }
    if (app->input && input_handle_sdl_event(app->input, ev)) {
        dispatch_input(app);
        return;
    }
    switch (ev->type) {
    case SDL_QUIT:
        app_quit(app, APP_EXIT_OK);
        break;
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
    int64_t t0 = util_now_us();
    app_render(app);
    SDL_RenderPresent(app->renderer);
    app->dirty = false;
    app->presents++;
    if (app->key_at_us || app->k2p_n) {
        int64_t d = util_now_us() - t0;
        app->frame_us[app->frame_n++ % APP_K2P_SAMPLES] = (uint32_t)(d > 0 ? d : 0);
    }
    if (app->key_at_us) {
        int64_t d = util_now_us() - app->key_at_us;
        app->k2p_us[app->k2p_n++ % APP_K2P_SAMPLES] = (uint32_t)(d > 0 ? d : 0);
        app->key_at_us = 0;
    }
    if (app->opts->render_delay_ms > 0)
        SDL_Delay((Uint32)app->opts->render_delay_ms);
    struct screen *top = app_top(app);
    if (top && top->ops->presented)
        top->ops->presented(app, top);
    /* Home is up and the viewer is choosing: the time to load the decoders. */
    if (!app->warmed && home_ready(app) && top == app->stack[0]) {
        app->warmed = true;
        player_warm_up();
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
        /* SDL cannot wait on the sources' fds (LIRC): look at them every 50 ms then. */
        struct pollfd pfd[1];
        if (timeout > 50 && input_fds(app->input, pfd, 1) > 0)
            timeout = 50;
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
    if (app->net)
        bootstrap(app);
    while (app->running) {
        app->ticks++;
        int64_t now = util_now_ms();
        int64_t next = update(app, now);
        stack_reap(app);
        if (app->automation) {
            int64_t a = automation_step(app->automation, app);
            stack_reap(app);
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
        if (app->running && app_stop_requested())
            app_quit(app, APP_EXIT_OK); /* SIGTERM/SIGINT without SDL's handler (stop.c) */
        if (app->input) {
            input_poll(app->input, util_now_ms());
            dispatch_input(app);
        }
        drain_net(app);
        player_screen_drain(app);
        stack_reap(app);
    }
    return app->exit_code;
}

/* ---- start and stop ---- */

/* The input sources (keyboard, game controller, LIRC, ...) and the keymap; the waiter polls
 * their fds. */
static void open_input(struct app *app)
{
    const struct binge_options *o = app->opts;
    struct input_config cfg = {
        .sources =
            {
                .video_driver = SDL_GetCurrentVideoDriver(),
                .lirc_socket = o->lirc_socket,
                .evdev_dir = o->evdev_dir,
                .evdev_grab = o->evdev_grab,
                .cec_device = o->cec_device,
                .osd_name = app->theme.name, /* the brand: "binge" or the theme's name */
            },
        .keymap_file = o->keymap,
        .keymap_profile = app->platform->keymap, /* the profile's keymap name */
        .repeat_delay_ms = o->repeat_delay_ms,
        .repeat_rate_hz = o->repeat_rate,
    };
    app->input = input_new(&cfg);
    if (!app->input)
        log_error("no memory for the input sources: only automation drives binge");
    else if (app->waiter)
        input_waiter_watch(app->waiter, app->input);
}

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
    int w = app->opts->width, h = app->opts->height;
    /* --play is full screen on a display (headless keeps the size asked for). The window is
     * made the desktop's size too: an X server with no window manager (a kiosk box, Xvfb)
     * leaves a window at the size it was created with, while SDL takes it for full screen and
     * lays out and reads back for the desktop's size: the picture was drawn clipped into the
     * bottom-left corner of what was asked for (640x360 of 1024x576). */
    if (app->opts->fullscreen || (app->opts->play && strcmp(p->name, "headless") != 0)) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
        SDL_DisplayMode desktop;
        if (SDL_GetDesktopDisplayMode(0, &desktop) == 0 && desktop.w > 0 && desktop.h > 0) {
            w = desktop.w;
            h = desktop.h;
        }
    }
    app->window = SDL_CreateWindow(app->theme.name, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
                                   w, h, flags);
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
    open_input(app);
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
    const char *out = app->opts->video_output ? app->opts->video_output
                                              : platform_video_output(app->platform, NULL);
    pcfg->video_output = out;
    app->video_plane = out && strcmp(out, "texture") != 0;
    if (!out || strcmp(out, "plane") != 0)
        return;
    pcfg->video_sink = app->opts->video_sink ? app->opts->video_sink : app->platform->video_sink;
    platform_native_window(app->window, &pcfg->window_handle, &pcfg->display_handle);
    pcfg->drm_fd = platform_drm_fd(app->window);
    log_info("video output plane (%s), window 0x%lx",
             pcfg->video_sink ? pcfg->video_sink : "the first sink that works",
             (unsigned long)pcfg->window_handle);
}

int app_run(const struct binge_options *opts, const struct platform *platform)
{
    struct app app_storage = {
        .opts = opts, .platform = platform, .first_frame_ms = -1, .last_gap_ms = -1};
    struct app *app = &app_storage;
    int rc = APP_EXIT_FAILURE;
    char err[256] = "";
    atomic_init(&app->wake_pending, false);
    srand((unsigned)util_now_us());
    log_info("binge %s on platform %s, server %s", BINGE_VERSION, platform->name, opts->server_url);
    log_info("platform %s: keymap %s, safe area %u/%u/%u/%u%% (top/right/bottom/left)",
             platform->name, platform->keymap, platform->safe_area.top, platform->safe_area.right,
             platform->safe_area.bottom, platform->safe_area.left);

    i18n_init(NULL); /* before any other thread: it sets LANGUAGE (docs/i18n.md) */
    branding_load(app);
    if (create_window(app) != 0)
        goto out;
    app_stop_guard_install(); /* after SDL_Init: SDL's SIGTERM handler is there to chain to */
    app_stop_set_timeout(opts->stop_timeout_ms);
    if (player_init() != 0) {
        log_error("GStreamer has no playbin3: install gstreamer1.0-plugins-base");
        goto out;
    }
    struct player_config pcfg = {.audio_sink =
                                     opts->audio_sink ? opts->audio_sink : platform->audio_sink,
                                 .start_bitrate = (unsigned)opts->start_bitrate_kbps * 1000u,
                                 .stall_timeout_ms = opts->stall_timeout_ms,
                                 .prefer_decoders = platform->prefer_decoders};
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
    log_info("menus in %s (%s)", prefs_apply_ui_language(app), i18n_localedir());
    /* --play starts the stream before the fonts load: GStreamer fetches the playlist and the
     * first segment on its own threads meanwhile. */
    if (opts->play) {
        struct player_screen_args pa = {.playlist = opts->play};
        int prc = app_push(app, &screen_player, &pa);
        if (prc == BINGE_EINVAL) {
            fprintf(stderr, "binge: --play needs at least one URL\n");
            rc = APP_EXIT_USAGE;
            goto out;
        }
        if (prc != 0)
            goto out;
    }
    app->ui = ui_new(app->renderer, branding_font(app), app_wake, app, err, sizeof(err));
    if (!app->ui && !opts->font && branding_font(app)) {
        log_warn("theme: font.latin: %s; fontconfig's face is used", err);
        app->ui = ui_new(app->renderer, NULL, app_wake, app, err, sizeof(err));
    }
    if (!app->ui) {
        log_error("%s", err);
        goto out;
    }
    log_info("font %s", ui_font_path(app->ui));
    branding_apply(app);
    app_update_direction(app);
    if (!opts->play) {
        struct net_config ncfg = {
            .user_agent = "binge/" BINGE_VERSION,
            .device_id = opts->device_id,
            .language = prefs_content_language(app), /* the viewer's choice, else --language */
            .connect_timeout_ms = opts->connect_timeout_ms,
            .total_timeout_ms = opts->http_timeout_ms,
            .max_retries = opts->http_retries ? opts->http_retries : NET_RETRIES_NONE,
        };
        app->net = net_new(&ncfg, app_wake, app);
        if (!app->net)
            goto out;
        session_start(app);
        if (app_push(app, &screen_home, NULL) != 0)
            goto out;
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
    /* binge.service is Type=notify: up once the first screen is pushed and the loop starts. */
    app->watchdog_ms = sd_watchdog_interval_ms();
    app->watchdog_next_ms = 0;
    int nrc = sd_notify_send("READY=1");
    if (nrc == 0)
        log_info("systemd: READY=1 sent, watchdog %lld ms", (long long)app->watchdog_ms);
    else if (nrc != BINGE_ENOTFOUND)
        log_warn("systemd: READY=1 not sent to $NOTIFY_SOCKET: %s", binge_strerror(nrc));
    rc = loop(app);
    sd_notify_send("STOPPING=1");
out:
    /* Every screen leaves, top first, while net and the player still exist (they cancel their
     * requests; the player screen records the position, sent at the next start if not now). */
    app->running = false;
    app_stop_begin(); /* whatever hangs from here ends in --stop-timeout (stop.c) */
    stack_clear(app);
    preroll_free(app);
    automation_free(app->automation);
    player_free(app->player);
    net_free(app->net);
    for (size_t i = 0; i < APP_MAX_POSTER_FETCHES; i++)
        free(app->posters[i].url);
    ui_free(app->ui);
    progress_shutdown(app);
    store_close(app->store);
    catalog_wallet_free(app->wallet);
    free(app->wallet_etag);
    free(app->progress_ids);
    free(app->refresh_token);
    free(app->device_id);
    free(app->account_name);
    free(app->token);
    if (app->renderer)
        SDL_DestroyRenderer(app->renderer);
    if (app->window)
        SDL_DestroyWindow(app->window);
    if (app->waiter)
        input_waiter_watch(app->waiter, NULL);
    input_free(app->input);
    input_waiter_free(app->waiter);
    SDL_Quit();
    app_stop_done();
    return rc;
}
