#ifndef BINGE_APP_INTERNAL_H
#define BINGE_APP_INTERNAL_H

/* Private to src/app. Everything here runs on the UI thread unless it says otherwise. */

#include <SDL.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "binge/i18n.h"
#include "binge/catalog.h"
#include "binge/input.h"
#include "binge/net.h"
#include "binge/options.h"
#include "binge/platform.h"
#include "binge/player.h"
#include "binge/theme.h"
#include "binge/ui.h"
#include "screen.h"

enum app_unlock_method {
    APP_UNLOCK_COINS = 0,
    APP_UNLOCK_AD = 1,
    APP_UNLOCK_VIP = 2,
    APP_UNLOCK_METHODS = 3,
};

enum app_home_state {
    APP_HOME_LOADING = 0,
    APP_HOME_READY = 1,
    APP_HOME_ERROR = 2,
};

/* What a net response is for (net_request.kind). */
enum app_request {
    APP_REQ_REGISTER = 1,
    APP_REQ_HOME = 2,
    APP_REQ_SERIES = 3,
    APP_REQ_PLAY = 4,
    APP_REQ_POSTER = 5,
    APP_REQ_UNLOCK = 6,
    APP_REQ_REFRESH = 7,
    APP_REQ_WALLET = 8,
    APP_REQ_PROGRESS = 9,
    APP_REQ_PACKS = 10,
    APP_REQ_PURCHASE = 11,
    APP_REQ_PURCHASE_POLL = 12,
    APP_REQ_DEVICE_CODE = 13,
    APP_REQ_DEVICE_TOKEN = 14,
    APP_REQ_PREROLL = 15, /* the next episode's play URL, asked for near the end */
    APP_REQ_SEARCH = 16,
    APP_REQ_UNLINK = 17,
    APP_REQ_CHECKIN = 18,
    APP_REQ_WALLET_HISTORY = 19,
    APP_REQ_INSTANT = 20, /* instant start: a focused series and its episode's URL */
    APP_REQ_MYLIST = 21,  /* PUT or DELETE /v1/mylist/{id} (the series page) */
    APP_REQ_KINDS = 22,
};

/* app_request flags */
#define APP_REQ_IDEMPOTENT 1u /* a POST that may be resent: it carries an idempotency key */
#define APP_REQ_NO_AUTH 2u    /* no session bearer (posters, register) */

#define APP_POLL_CHECKOUT_MS 2000

#define APP_AD_BREAK_MS 5000

#define APP_MAX_POSTER_FETCHES 8
#define APP_POSTER_LOADS_PER_TICK 16 /* posters read from the disk cache per tick */
#define STORE_EVENT_ID_SLOT 33       /* STORE_EVENT_ID_LEN + NUL */
#define APP_OVERLAY_MS 4000
#define APP_HOME_REFRESH_WAIT_MS 3000 /* the longest a home refresh waits for a position sent */
#define APP_FINISHED_PCT 95           /* an episode played this far is finished (docs/api.md) */
#define APP_SEEK_END_MARGIN_MS 2000   /* a forward seek stops this far before the finished part */
#define APP_TOAST_MS 2500             /* a track or volume change stays on screen this long */
#define APP_MAX_TRACKS 16
#define APP_K2P_SAMPLES 1024 /* key-to-photon samples kept */

struct automation;
struct store;

/* Instant start (src/app/preroll.c): the episode the viewer is about to pick, prerolled. */
struct app_preroll {
    char *series_id;               /* NULL: none */
    int want_index;                /* the episode asked for; 0 = the series' resume */
    int index;                     /* the episode prerolled (known once the series is in) */
    struct catalog_series *series; /* handed to the player screen with the stream */
    uint64_t series_req, play_req;
    bool in_player;                     /* player_preroll was called and nothing dropped it since */
    bool failed;                        /* no series, a locked episode, no URL: nothing to take */
    uint64_t started, cancelled, taken; /* counts, for the automation */
};

/* The app core: the loop, the request router, the session and the screen stack. What a screen
 * shows lives in the screen's own state (src/app/screens/). */
struct app {
    const struct binge_options *opts;
    const struct platform *platform;
    struct theme theme; /* branding (src/app/branding.c); theme.name is the brand */
    SDL_Window *window;
    SDL_Renderer *renderer;
    struct ui *ui;
    struct net *net;
    struct player *player; /* the one player; the player screen drives it */
    struct automation *automation;

    struct input_waiter *waiter; /* the UI thread sleeps in poll(); NULL: in SDL */
    struct input *input;         /* the input sources and the keymap (binge/input_source.h) */
    Uint32 wake_event;
    atomic_bool wake_pending; /* set by any thread, cleared by the UI thread */
    bool running;
    int exit_code;
    bool dirty;
    int64_t next_anim_ms; /* when a spinner or countdown needs its next frame */

    char error[256];      /* the last error shown to the viewer, "" when none */
    char error_tech[512]; /* what went wrong in detail (log, INFO, `state`), "" when none */

    struct store *store; /* NULL when the state directory can't be used: nothing persists */
    uint64_t ticks;      /* loop iterations, so QA can see the loop never stalled */
    /* systemd's watchdog (binge.service, WatchdogSec=): WATCHDOG=1 from the tick every half
     * interval; 0 when not asked for. */
    int64_t watchdog_ms, watchdog_next_ms;

    /* The screen stack (stack.c). */
    struct screen *stack[APP_STACK_MAX];
    size_t depth;
    struct screen *dead[APP_STACK_MAX]; /* popped this tick, freed by stack_reap */
    size_t n_dead;
    uintptr_t next_gen;
    struct {
        uintptr_t gen;
        int kind;
    } resend[APP_STACK_MAX]; /* screen requests waiting for a token (screen_resend_later) */
    size_t n_resend;
    uintptr_t drawn_gen; /* the screen the last present showed (0: none, or an overlay over it) */
    bool full_redraw;    /* the window lost what was drawn (exposed, resized) */
    bool partial_ok;     /* for the render under way: the top screen drew the last present too */

    /* Session: the device token, fetched at start and retried with backoff. */
    char *token; /* never logged */
    char *refresh_token;
    char *device_id;    /* whose token it is: --device-id, or the id the server gave instead */
    char *account_name; /* NULL for a guest device */
    uint64_t register_req;
    uint64_t refresh_req;
    unsigned resubmit; /* bit per enum app_request of the core to send again with a new token */
    bool auth_renewed; /* one renewal per failure streak, then the 401 is shown */
    struct catalog_wallet *wallet;
    char *wallet_etag; /* of the wallet shown, kept so a refresh needs no disk read */
    uint64_t wallet_req;
    struct app_preroll preroll;
    /* QA: key to photon, the time from an action dispatched to the end of the present that
     * shows its result (state loop.key_to_photon_*; scripts/bench). */
    int64_t key_at_us; /* the oldest action not yet presented; 0 = none */
    uint32_t k2p_us[APP_K2P_SAMPLES];
    size_t k2p_n; /* samples taken (the last APP_K2P_SAMPLES are kept) */
    /* QA: frames (state loop.presents, loop.frame_time_*; scripts/bench). Every present is
     * counted; from the first action on, each one's time to draw and present is kept (the
     * frames of focus moves and their animations). */
    uint64_t presents;
    uint32_t frame_us[APP_K2P_SAMPLES];
    size_t frame_n; /* samples taken (the last APP_K2P_SAMPLES are kept) */
    /* A request found no server (refused, reset, timed out): the Offline banner is up and home
     * is asked again with backoff until the server answers; its answer clears it. */
    bool offline;
    int attempts;        /* failed attempts in a row, drives the backoff */
    int64_t retry_at_ms; /* 0 = no retry scheduled */

    /* Posters of the screens: a bounded number of fetches in flight (posters.c). */
    struct {
        uint64_t id;
        char *url;
    } posters[APP_MAX_POSTER_FETCHES];
    uint64_t posters_gen; /* the home generation the last poster pass looked at */
    bool posters_more;    /* posters wait for a free fetch slot */

    /* Measurements QA reads after the screen that made them is gone. */
    int64_t first_frame_ms; /* the last OK-to-first-frame measured, -1 when none */
    int64_t last_gap_ms;    /* the last gap between episodes, -1 = none yet */
    bool video_plane;       /* a sink draws the video ("plane"/"null"): no frames come here */
    bool warmed;            /* player_warm_up was called */

    /* A toast over any screen ("Audio: Español"), until toast_until_ms (0 = none). */
    char toast[160];
    int64_t toast_until_ms;

    /* Progress: recorded every 10 s and on pause, stop and exit into the store, then flushed in
     * batches; the event ids of the batch in flight wait for the server's ack. */
    int64_t progress_flush_at_ms;
    uint64_t progress_req;
    char (*progress_ids)[STORE_EVENT_ID_SLOT];
    size_t n_progress_ids;
};

/* The screens (src/app/screens/), listed in screens.c. */
extern const struct screen_ops screen_home, screen_player, screen_paywall, screen_ad,
    screen_checkout, screen_activate, screen_exit_confirm, screen_search, screen_wallet,
    screen_settings;
extern const struct screen_ops screen_series;
extern const struct screen_ops *const app_screens[];
extern const size_t app_n_screens;
/* The screen of app_screens[] named name ("search"), or NULL when binge has none such. */
const struct screen_ops *app_screen_by_name(const char *name);

/* app.c */
/* Queues a request to the server (path_or_url relative to --server, or absolute). Returns its
 * id, 0 when it could not be queued. */
uint64_t app_request(struct app *app, enum app_request kind, enum net_method method,
                     const char *path_or_url, const char *body, unsigned flags, const char *etag);
/* The same for a screen's request: userdata comes back in the response (stack.c routes it). */
uint64_t app_request_for(struct app *app, void *userdata, enum app_request kind,
                         enum net_method method, const char *path_or_url, const char *body,
                         unsigned flags, const char *etag);
/* Sets the error shown to the viewer; forgets the technical detail of the one before. */
void app_set_error(struct app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets the technical detail of the error just set (server text, HTTP status, host:port). */
void app_set_error_tech(struct app *app, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Frees *dst and puts a copy of src (NULL allowed) in its place. */
void app_replace_str(char **dst, const char *src);

/* messages.c */
/* Describes a failed response for the viewer: a title and a sentence saying what to do, in
 * the viewer's words; never the server's text, a status code or a host. */
void app_describe_failure(const struct net_response *r, char *title, size_t tlen, char *detail,
                          size_t dlen);
/* The same failure for the log and INFO: "HTTP 500 internal: injected fault: 500", or curl's
 * words with host and port. */
void app_failure_tech(const struct net_response *r, char *buf, size_t len);
/* Both in one line for a status line ("Can't reach the server. Check your internet
 * connection."), and the detail for the log; parse_err (may be NULL or "") is a parser's
 * message about a 200 that could not be used. */
void app_failure_text(const struct net_response *r, const char *parse_err, char *text, size_t len,
                      char *tech, size_t tlen);
/* The player's message msg (an English sentence of src/player) in the menus' language when it is
 * one binge knows, without its status code; else msg as it is. */
void app_player_text(const char *msg, char *out, size_t len);
/* Splits a player message "Title: detail (404)" (or "Title：detail" in Chinese) into a title
 * and a detail sentence ("Detail."), the bracketed status dropped; a message with no title gets
 * title_if_none. */
void app_split_message(const char *msg, const char *title_if_none, char *title, size_t tlen,
                       char *detail, size_t dlen);
/* Schedules the next bootstrap attempt (register, home) with backoff and jitter. */
void app_schedule_retry(struct app *app);
/* The session has a (new) token: sends again what waited for one, the core's (bits of enum
 * app_request in app->resubmit) and the screens' (screen_resend_later). */
void app_resubmit(struct app *app);
/* An action from the remote or a script. repeat: the key's auto-repeat while it is held (SDL's
 * repeat flag, evdev value 2), not a new press. */
void app_dispatch(struct app *app, enum input_action action, bool repeat);

/* remote.c: the colour keys and EXIT when the top screen did not take them (search, My list,
 * wallet, settings from the menus; EXIT to home, or on home the exit confirm). Returns true
 * when the action was one of those. */
bool remote_action(struct app *app, struct screen *top, enum input_action action);

/* rtl.c: right to left. */
/* Sets the UI's direction from the menus' language as asked (--language, else settings, else the
 * locale; i18n_is_rtl): a mirrored layout for ar, he, fa, ur. Call it once the UI exists and
 * whenever the UI language changes. */
void app_update_direction(struct app *app);
/* The action a screen gets for a key: in an RTL UI, LEFT and RIGHT are swapped, so that the
 * screens' moves in reading order (the next card, a later position) go the way the key points
 * on the mirrored screen. */
enum input_action app_visual_action(const struct app *app, enum input_action action);
/* Renders the current screen into the back buffer (no present). */
void app_render(struct app *app);
/* Renders and saves the screen as PNG, atomically. Returns 0 or a negative code. */
int app_screenshot(struct app *app, const char *path, char *err, size_t errlen);
void app_quit(struct app *app, int exit_code);
/* Shows a toast over the screen for APP_TOAST_MS ("Audio: Español"). */
void app_toast(struct app *app, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For a screen's tick while it shows a spinner: marks the app dirty every
 * UI_ANIMATION_FRAME_MS. Returns the next frame's time. */
int64_t app_animate(struct app *app, int64_t now);

/* stop.c: a bounded stop (SIGTERM while the player hangs). Main thread. install: once, after
 * SDL_Init (it chains to SDL's SIGTERM/SIGINT handler); a signal, or begin at the loop's end,
 * gives the stop a deadline past which the process _exit()s; done: the stop finished.
 * set_timeout: that deadline (--stop-timeout; APP_STOP_GRACE_MS until called).
 * requested: a SIGTERM/SIGINT came (the loop quits on it; any thread). */
void app_stop_guard_install(void);
void app_stop_set_timeout(int ms);
bool app_stop_requested(void);
void app_stop_begin(void);
void app_stop_done(void);

/* posters.c: the response cache and the posters on home. */
/* The store key of a cached response: kind ("home", "series", "wallet"), language, server,
 * and an id when given. */
void app_cache_key(const struct app *app, const char *kind, const char *id, char *buf, size_t len);
/* Reads a cached response: body and etag transfer full. Returns 0 or a negative code. */
int app_cache_load(struct app *app, const char *key, char **body, size_t *len, char **etag);
/* The ETag of a cached response, from memory (no disk read); transfer full, NULL when none. */
char *app_cache_etag(struct app *app, const char *key);
/* Posters of home's cards: a bounded number of fetches in flight; safe to call every tick. */
void posters_fetch(struct app *app);
void posters_on_response(struct app *app, struct net_response *r);
/* The posters of other cards a screen shows (search results): loaded like home's, from the disk
 * cache or fetched in the same bounded slots. Safe to call every tick (cheap once they are in). */
void posters_want(struct app *app, const struct catalog_item *items, size_t n);

/* session.c: the device token, its renewal on 401, the wallet. */
void session_start(struct app *app);
void session_request_register(struct app *app);
void session_on_register(struct app *app, struct net_response *r);
void session_on_refresh(struct app *app, struct net_response *r);
/* A 401 to a request made with the session token: renews it once and marks the request for
 * resubmission. Returns true when the response was taken care of. */
bool session_on_unauthorized(struct app *app, struct net_response *r);
void session_request_wallet(struct app *app);
/* Asks for the wallet now, dropping a request in flight (its answer may predate a change the
 * app just made: a check-in, a payment). */
void session_refresh_wallet(struct app *app);
void session_on_wallet(struct app *app, struct net_response *r);
/* The device was linked to an account (activation): its new tokens become the session's. */
void session_adopt(struct app *app, const struct catalog_device *tokens);
/* Coins + bonus coins, or -1 while the wallet is unknown. */
int64_t session_balance(const struct app *app);

/* progress.c: position reports, durable before they are sent. */
/* Records a position of episode_id (playing, paused, stopped) and schedules a flush. */
void progress_record(struct app *app, const char *episode_id, int64_t position_ms,
                     int64_t duration_ms, const char *why);
/* Every tick: logs what became durable, flushes when due. Returns a deadline. */
int64_t progress_tick(struct app *app, int64_t now);
void progress_flush(struct app *app);
void progress_on_response(struct app *app, struct net_response *r);
/* At exit: waits for the store's writes and logs the positions that reached the disk. */
void progress_shutdown(struct app *app);

/* prefs.c: the viewer's volume, mute, audio and subtitle choices, kept in the store. */
/* Gives the player the saved choices; call once the player and the store exist. */
void prefs_apply(struct app *app);
/* Handles VOLUME_UP/DOWN, MUTE, AUDIO and SUBTITLES on the player screen: applies, saves and
 * shows the change (a toast; *volume_until_ms for the volume bar). Returns false for any other
 * action. */
bool prefs_dispatch(struct app *app, enum input_action action, int64_t *volume_until_ms);
int prefs_volume_pct(const struct app *app);
/* What the settings screen changes, saved in the store at once. */
/* Autoplay of the next episode at the end of one (on unless the viewer turned it off). */
bool prefs_autoplay(const struct app *app);
void prefs_set_autoplay(struct app *app, bool on);
/* The catalog's language (Accept-Language): the viewer's choice, else the menus' (see
 * prefs.c). NULL resets the choice: the catalog follows the menus again. Borrowed
 * until the next change. Setting it changes what net sends from the next request on. */
const char *prefs_content_language(const struct app *app);
void prefs_set_content_language(struct app *app, const char *lang);
/* The menus' language chosen in settings (a tag of i18n_languages()); NULL when not chosen.
 * Setting it translates the menus at once (the next frame is drawn whole) and, unless the
 * catalog's language is set apart, sends the catalog's requests in it too (the caller reloads
 * what it shows: prefs_content_language changed). */
const char *prefs_ui_language(const struct app *app);
void prefs_set_ui_language(struct app *app, const char *lang);
/* Makes the menus' language the one of docs/i18n.md's chain (--language, the settings screen,
 * the locale) at start. Returns its tag. */
const char *prefs_apply_ui_language(struct app *app);
/* The catalog's language was chosen in settings apart from the menus'. */
bool prefs_content_language_apart(const struct app *app);
/* The preferred dub (NULL: the stream's own) and subtitles (NULL: off), as the AUDIO and
 * SUBTITLES keys keep them. */
const char *prefs_audio_language(const struct app *app);
void prefs_set_audio_language(struct app *app, const char *lang);
const char *prefs_subtitle_language(const struct app *app);
/* The subtitles the player shows: the viewer's choice (SUBTITLES, settings), else by default
 * those of the UI language (none for English). prefs_default_subtitles gives that default's
 * language into buf, or NULL for none. UI thread. */
void prefs_apply_subtitles(struct app *app);
const char *prefs_default_subtitles(const struct app *app, char *buf, size_t len);
void prefs_set_subtitle_language(struct app *app, const char *lang);

/* ---- What the screens offer each other (src/app/screens/) ---- */

/* screens/home.c: home's shelves; the bottom of the stack. */
/* The bootstrap: asks for home when it is missing, cached, in error or offline. */
void home_bootstrap(struct app *app);
/* A request found no server: the banner over a loaded home. */
void home_note_offline(struct app *app);
/* Home's catalog (NULL while none) and its generation, bumped when a new one is installed. */
const struct catalog_home *home_catalog(struct app *app, uint64_t *gen);
/* Back from the player or the paywall: what was just watched changes the "continue watching"
 * shelf. Home asks again (with the ETag: a 304 when nothing changed) once the position saved on
 * the way out has reached the server, or after APP_HOME_REFRESH_WAIT_MS at the latest. */
void home_refresh_soon(struct app *app);
/* Asks for home again now (the content language changed): a fresh copy, not a 304. */
void home_reload(struct app *app);
/* Opens the series page of a card (home's OK, a search result). item is borrowed for the
 * call. */
void home_open_series(struct app *app, const struct catalog_item *item);
/* Plays the series of a card at once, where the viewer is in it (home's PLAY). */
void home_play_series(struct app *app, const struct catalog_item *item);
/* The remote's My list key: back to home with the focus on its My list shelf; nothing more
 * when the list is empty (home then has no such shelf). */
void home_show_mylist(struct app *app);
/* Whether home is loaded (and the viewer is choosing): the time to warm the decoders up. */
bool home_ready(struct app *app);

/* preroll.c: instant start. preroll_start prerolls the series' episode (episode_index, or
 * with 0 the series' resume) at its resume position, dropping any other: at most one is alive.
 * preroll_take hands it to the player screen when it is this series and episode (0 = whichever)
 * and in the player: *series (transfer full) and *index; the caller then calls player_swap.
 * Otherwise it drops it and returns false. preroll_state: "none", "fetching", "prerolling",
 * "ready" or "failed". */
void preroll_start(struct app *app, const char *series_id, int episode_index);
void preroll_cancel(struct app *app, const char *why);
bool preroll_take(struct app *app, const char *series_id, int episode_index,
                  struct catalog_series **series, int *index);
void preroll_on_response(struct app *app, struct net_response *r);
const char *preroll_state(struct app *app);
void preroll_free(struct app *app);
/* screens/series.c: the series page, pushed by OK on a home card. */
struct series_screen_args {
    const char *series_id; /* required */
    const char *title;     /* shown while the series loads */
    const char *poster_url;
    int episode_index; /* a "continue watching" card's episode, 0 for none */
};

/* screens/player.c: the playback controller and the player screen. */
struct player_screen_args {
    const struct catalog_item *item; /* the card (series, title, poster, episode); or NULL */
    const char *playlist;            /* --play: space-separated URLs; or NULL */
};
/* screens/strip.c: the episode strip over the player (DOWN), to jump within the series. */
struct episode_strip {
    bool open;
    size_t focus; /* position in series->episodes */
};
enum strip_result {
    STRIP_NOT_MINE = 0, /* the key is the player's */
    STRIP_HANDLED = 1,  /* moved along the strip, or closed it (BACK, UP) */
    STRIP_PLAY = 2,     /* OK: the strip closed; play *index */
};
/* Opens the strip at the episode playing (its index); it stays closed without episodes. */
void strip_open(struct episode_strip *st, const struct catalog_series *series, int playing);
enum strip_result strip_action(struct episode_strip *st, const struct catalog_series *series,
                               enum input_action action, int *index);
/* The focused episode's index while the strip is open, else 0. */
int strip_episode(const struct episode_strip *st, const struct catalog_series *series);
/* After an unlock: plays episode index of the player screen under the paywall. */
void player_screen_unlocked(struct app *app, int index);
/* Drains the player's events (to the player screen, wherever it is on the stack) and uploads
 * the newest frame while it is on top. */
void player_screen_drain(struct app *app);

/* screens/paywall.c: an episode is locked. */
struct paywall_args {
    const char *series_title;
    const char *poster_url;
    const char *episode_id;
    int episode_index;
    int price;
    int balance; /* -1 while unknown */
};
/* The rows of the paywall (enum app_unlock_method, then APP_UNLOCK_METHODS for buying coins)
 * that can be chosen, and the focus, which only ever rests on one of them. */
struct paywall_focus {
    int price;
    int balance; /* -1 while unknown */
    size_t focus;
};
bool paywall_row_enabled(const struct catalog_wallet *w, const struct paywall_focus *p, size_t row);
/* Focuses the first enabled row (as the paywall opens). */
void paywall_focus_first(const struct catalog_wallet *w, struct paywall_focus *p);
/* Moves the focus to the next enabled row up (dir < 0) or down; stays when there is none. */
void paywall_focus_step(const struct catalog_wallet *w, struct paywall_focus *p, int dir);
/* Moves the focus off a row that was disabled under it (the wallet arrived, the ads ran out).
 * Returns true when it moved. */
bool paywall_keep_focus(const struct catalog_wallet *w, struct paywall_focus *p);
/* The ad break ended (screens/ad.c popped itself): unlock with the ad. */
void paywall_ad_watched(struct app *app);
/* The phone checkout was paid (screens/checkout.c popped itself): text says how much. */
void paywall_paid(struct app *app, const char *text);
/* A new wallet arrived: the balance on the paywall follows it. */
void paywall_wallet_changed(struct app *app);

/* screens/checkout.c: buy a pack on the phone. */
struct checkout_args {
    const char *pack_id; /* the pack chosen on the wallet screen (copied) */
};

/* screens/wallet.c: the wallet and rewards, and the paywall's pack chooser. */
struct wallet_args {
    bool choose_pack; /* the paywall's "Buy coins": focus the packs; paid -> back to it */
    int price;        /* the episode's, to focus the pack that covers it */
    int balance;      /* -1 while unknown */
};
/* The checkout on top was paid and popped itself: the wallet under it refreshes (or, as the
 * paywall's chooser, steps aside for the paywall); text says how much ("Paid: +330 coins"). */
void wallet_paid(struct app *app, const char *text);

/* state.c: the automation view of the state, one table of paths. */
/* Writes the value at path ("player.state") into buf, as JSON would show it but unquoted.
 * Returns 0 or BINGE_ENOTFOUND for an unknown path. */
int app_state_value(struct app *app, const char *path, char *buf, size_t len);
/* Writes the whole state as one line of JSON to out. */
void app_state_print(struct app *app, FILE *out);
/* `state strings`: {"ui_language":"th","strings":["...", ...]}, the strings the last frame drew
 * (ui_drawn_strings), one JSON line. */
void app_state_print_strings(struct app *app, FILE *out);

/* automation.c: the QA line protocol, from a script file and/or the control socket. */
struct automation *automation_new(const char *script_path, const char *control_path, FILE *out,
                                  void (*wake)(void *data), void *data, char *err, size_t errlen);
void automation_free(struct automation *a);
/* Runs commands until one has to wait. Returns the next time (ms) it wants to run, or -1 when
 * it only needs to run again after an event. A script that ends (and has no control socket
 * beside it) quits the app. */
int64_t automation_step(struct automation *a, struct app *app);

/* control.c: the Unix socket. Its thread reads lines and wakes the UI thread; the rest is
 * called on the UI thread. */
struct control;
struct control *control_new(const char *path, void (*wake)(void *data), void *data, char *err,
                            size_t errlen);
void control_free(struct control *c);
/* The next line received, transfer full, or NULL. *client names the connection. */
char *control_next_line(struct control *c, uint64_t *client);
/* Sends text and a newline to client, if it is still the one connected. */
void control_reply(struct control *c, uint64_t client, const char *text);

/* src/app/branding.c: the theme (--theme) read into app->theme before the window opens, the
 * primary font it implies, and its application to the UI with the safe area's precedence
 * (--safe-area > theme > the board profile > 5%). branding_load returns theme_load's code; binge
 * runs either way. */
int branding_load(struct app *app);
const char *branding_font(const struct app *app);
void branding_apply(struct app *app);

#endif
