#ifndef BINGE_APP_INTERNAL_H
#define BINGE_APP_INTERNAL_H

/* Private to src/app. Everything here runs on the UI thread unless it says otherwise. */

#include <SDL.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "binge/catalog.h"
#include "binge/input.h"
#include "binge/net.h"
#include "binge/options.h"
#include "binge/platform.h"
#include "binge/player.h"
#include "binge/ui.h"

enum app_screen {
    APP_SCREEN_HOME = 0,
    APP_SCREEN_PLAYER = 1,
    APP_SCREEN_PAYWALL = 2,  /* an episode is locked: price, balance, ways to unlock */
    APP_SCREEN_AD = 3,       /* the ad break that unlocks an episode */
    APP_SCREEN_CHECKOUT = 4, /* buy coins on the phone: a QR code, polled */
    APP_SCREEN_ACTIVATE = 5, /* link the device to an account (RFC 8628): a code and a QR */
};

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
    APP_REQ_KINDS = 16,
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

struct automation;
struct store;

struct app {
    const struct binge_options *opts;
    const struct platform *platform;
    SDL_Window *window;
    SDL_Renderer *renderer;
    struct ui *ui;
    struct net *net;
    struct player *player;
    struct automation *automation;

    struct input_waiter *waiter; /* the UI thread sleeps in poll(); NULL: in SDL */
    Uint32 wake_event;
    atomic_bool wake_pending; /* set by any thread, cleared by the UI thread */
    bool running;
    int exit_code;
    bool dirty;
    int64_t next_anim_ms; /* when a spinner or countdown needs its next frame */

    enum app_screen screen;
    char error[256];      /* the last error shown to the viewer, "" when none */
    char error_tech[512]; /* what went wrong in detail (log, INFO, `state`), "" when none */

    struct store *store; /* NULL when the state directory can't be used: nothing persists */
    uint64_t ticks;      /* loop iterations, so QA can see the loop never stalled */

    /* Session and home: fetched at start and retried together with backoff. */
    char *token; /* never logged */
    char *refresh_token;
    char *device_id;    /* whose token it is: --device-id, or the id the server gave instead */
    char *account_name; /* NULL for a guest device */
    uint64_t register_req;
    uint64_t refresh_req;
    unsigned resubmit; /* bit per enum app_request to send again once the token is renewed */
    bool auth_renewed; /* one renewal per failure streak, then the 401 is shown */
    struct catalog_wallet *wallet;
    char *wallet_etag; /* of the wallet shown, kept so a refresh needs no disk read */
    uint64_t wallet_req;
    bool home_cached; /* home comes from the disk cache; a fresh copy is being fetched */
    /* A request found no server (refused, reset, timed out): the Offline banner is up and home
     * is asked again with backoff until the server answers; its answer clears it. */
    bool offline;
    char *home_etag;
    struct catalog_home *home;
    enum app_home_state home_state;
    uint64_t home_req;
    int64_t home_refresh_at_ms; /* back from the player: refresh home by then; 0 = none */
    char home_title[160];
    char home_detail[256];
    int attempts;        /* failed attempts in a row, drives the backoff */
    int64_t retry_at_ms; /* 0 = no retry scheduled */
    size_t focus_shelf;
    size_t *focus_item; /* per shelf */
    struct {
        uint64_t id;
        char *url;
    } posters[APP_MAX_POSTER_FETCHES];
    uint64_t home_gen;    /* bumped each time a home is installed */
    uint64_t posters_gen; /* the home_gen the last poster pass looked at */
    bool posters_more;    /* posters wait for a free fetch slot */

    /* Playback. */
    char *series_id;
    char *series_title;
    char *poster_url;
    struct catalog_series *series;
    uint64_t series_req;
    int episode_index;
    uint64_t play_req;
    enum player_state pstate;
    int64_t duration_ms;
    char msg_title[160];
    char msg_detail[256];
    bool msg_error;
    char msg_hint[80];          /* what OK does on the panel; "" = "OK to retry" */
    int64_t resume_override_ms; /* a retry starts here, not at the server's resume_ms; -1 */
    int buffer_pct;             /* the last buffering level, 0..100 */
    bool busy;
    char busy_text[96];
    int64_t overlay_until_ms;
    uint64_t frame_seq;
    /* --play: a list of URLs played one after another, no server. */
    char **playlist;
    size_t n_playlist;
    size_t play_pos;

    /* The gap between episodes: the last frame of one to the first frame of the next. */
    int64_t last_video_present_ms; /* when a new video frame was last presented */
    bool video_presented;          /* a new frame was uploaded since the last present */
    int64_t gap_start_ms;          /* 0 = no switch under way */
    int64_t last_gap_ms;           /* -1 = none yet */

    /* The next episode, prepared near the end of this one: prerolled in a second pipeline, or
     * known to be locked so the paywall shows at the cliffhanger without another request. */
    uint64_t preroll_req;
    int preroll_index; /* the episode (or --play position, 1-based) prepared; 0 = none */
    bool next_locked;
    int next_price, next_balance;
    int seek_dir;            /* the direction of the last LEFT/RIGHT seek (-1, 1), 0 = none */
    int seek_streak;         /* auto-repeats of it in a row: the steps grow */
    bool seeking;            /* a LEFT/RIGHT seek has not landed yet (PLAYER_EVENT_SEEKED) */
    bool seek_queued;        /* another was asked for meanwhile: seek_target_ms, sent then */
    int64_t seek_target_ms;  /* of the seek on its way (or queued) */
    bool info;               /* the INFO panel is up */
    bool video_plane;        /* a sink draws the video ("plane"/"null"): no frames come here */
    int plane_rect[4];       /* the rectangle last given to player_set_video_rect */
    bool drawn_player;       /* the last frame drawn was the player screen's */
    bool full_redraw;        /* the window lost what was drawn (exposed, resized) */
    bool warmed;             /* player_warm_up was called */
    char toast[160];         /* "Audio: Español", shown until toast_until_ms */
    int64_t toast_until_ms;  /* 0 = no toast */
    int64_t volume_until_ms; /* the volume bar is up until then; 0 = not shown */

    /* Time from OK (or from the end of the previous episode) to the first frame presented. */
    bool ff_armed;
    bool ff_uploaded;
    int64_t ff_start_ms;
    const char *ff_label;
    int64_t first_frame_ms; /* the last one measured, -1 when none */

    /* Paywall. An unlock attempt keeps its idempotency key until the server gives a definite
     * answer, so pressing OK again after a timeout can never charge twice. */
    int pay_price;
    int pay_balance; /* -1 while unknown */
    size_t pay_focus;
    char pay_status[480];
    bool pay_status_error;
    uint64_t unlock_req;
    char unlock_key[33]; /* "" when no attempt is open */
    int unlock_method;   /* enum app_unlock_method of the open attempt */
    int unlock_episode;  /* episode index of the open attempt */
    int64_t ad_until_ms; /* the ad break ends; 0 when none */

    /* Progress: recorded every 10 s and on pause, stop and exit into the store, then flushed in
     * batches; the event ids of the batch in flight wait for the server's ack. */
    int64_t progress_due_ms;
    int64_t progress_flush_at_ms;
    uint64_t progress_req;
    char (*progress_ids)[STORE_EVENT_ID_SLOT];
    size_t n_progress_ids;

    /* Phone checkout. */
    uint64_t packs_req, purchase_req, purchase_poll_req;
    struct catalog_purchase *purchase;
    int64_t purchase_poll_at_ms;
    char checkout_status[256];
    bool checkout_error;

    /* Device activation (RFC 8628). */
    struct catalog_device_code *devcode;
    uint64_t devcode_req, devtoken_req;
    int64_t devtoken_at_ms;
    int devtoken_interval_s;
    char act_status[256];
    bool act_error;
};

/* app.c */
/* Queues a request to the server (path_or_url relative to --server, or absolute). Returns its
 * id, 0 when it could not be queued. */
uint64_t app_request(struct app *app, enum app_request kind, enum net_method method,
                     const char *path_or_url, const char *body, unsigned flags, const char *etag);
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
/* Splits a player message "Title: detail (404)" into a title and a detail sentence ("Detail."),
 * the bracketed status dropped; a message with no title gets title_if_none. */
void app_split_message(const char *msg, const char *title_if_none, char *title, size_t tlen,
                       char *detail, size_t dlen);
/* Schedules the next bootstrap attempt (register, home) with backoff and jitter. */
void app_schedule_retry(struct app *app);
/* Sends again what a stale token made fail (bits of enum app_request). */
void app_resubmit(struct app *app, unsigned kinds);
/* An action from the remote or a script. repeat: the key's auto-repeat while it is held (SDL's
 * repeat flag, evdev value 2), not a new press. */
void app_dispatch(struct app *app, enum input_action action, bool repeat);
/* Renders the current screen into the back buffer (no present). */
void app_render(struct app *app);
/* Renders and saves the screen as PNG, atomically. Returns 0 or a negative code. */
int app_screenshot(struct app *app, const char *path, char *err, size_t errlen);
void app_quit(struct app *app, int exit_code);

/* posters.c: the response cache and the posters on home. */
/* The store key of a cached response: kind ("home", "series", "wallet"), language, server,
 * and an id when given. */
void app_cache_key(const struct app *app, const char *kind, const char *id, char *buf, size_t len);
/* Reads a cached response: body and etag transfer full. Returns 0 or a negative code. */
int app_cache_load(struct app *app, const char *key, char **body, size_t *len, char **etag);
/* The ETag of a cached response, from memory (no disk read); transfer full, NULL when none. */
char *app_cache_etag(struct app *app, const char *key);
/* Posters: a bounded number of fetches in flight; safe to call every tick. */
void posters_fetch(struct app *app);
void posters_on_response(struct app *app, struct net_response *r);

/* session.c: the device token, its renewal on 401, the wallet. */
void session_start(struct app *app);
void session_request_register(struct app *app);
void session_on_register(struct app *app, struct net_response *r);
void session_on_refresh(struct app *app, struct net_response *r);
/* A 401 to a request made with the session token: renews it once and marks the request for
 * resubmission. Returns true when the response was taken care of. */
bool session_on_unauthorized(struct app *app, struct net_response *r);
void session_request_wallet(struct app *app);
void session_on_wallet(struct app *app, struct net_response *r);
/* Coins + bonus coins, or -1 while the wallet is unknown. */
int64_t session_balance(const struct app *app);

/* progress.c: position reports, durable before they are sent. */
/* Records the current position (playing, paused, stopped) and schedules a flush. */
void progress_record(struct app *app, const char *why);
/* Every tick: records every 10 s while playing, flushes when due. Returns a deadline. */
int64_t progress_tick(struct app *app, int64_t now);
void progress_flush(struct app *app);
void progress_on_response(struct app *app, struct net_response *r);
/* At exit: waits for the store's writes and logs the positions that reached the disk. */
void progress_shutdown(struct app *app);

/* prefs.c: the viewer's volume, mute, audio and subtitle choices, kept in the store. */
/* Gives the player the saved choices; call once the player and the store exist. */
void prefs_apply(struct app *app);
/* Handles VOLUME_UP/DOWN, MUTE, AUDIO and SUBTITLES on the player screen: applies, saves and
 * shows the change. Returns false for any other action. */
bool prefs_dispatch(struct app *app, enum input_action action);
int prefs_volume_pct(const struct app *app);

/* account.c: phone checkout and device activation screens. */
void checkout_start(struct app *app);
void activation_start(struct app *app);
void account_on_response(struct app *app, struct net_response *r);
/* Every tick: the polls. Returns a deadline, -1 for none. */
int64_t account_tick(struct app *app, int64_t now);
void account_dispatch(struct app *app, enum input_action action);
void account_render(struct app *app, int64_t now);
void account_reset(struct app *app);

/* app.c, for the screens' files: asks for episode index of the open series and plays it; starts
 * the clock for the time to the next first frame. */
void app_play_episode(struct app *app, int index);
void app_arm_first_frame(struct app *app, const char *label);

/* playback.c: the playback controller. */
/* Opens the series of a card on home: the player screen, then the series, then its episode. */
void playback_open_series(struct app *app, const struct catalog_item *item);
/* Asks for the open series (app->series_id) again; its answer plays the episode. */
void playback_request_series(struct app *app);
/* Stops the player and forgets the requests for the series, the episode and the next one. */
void playback_stop(struct app *app);
void playback_on_series(struct app *app, struct net_response *r);
void playback_on_play(struct app *app, struct net_response *r);
void playback_on_preroll(struct app *app, struct net_response *r);
/* An event from player_poll_event. */
void playback_on_event(struct app *app, const struct player_event *ev);
/* A new picture is up: ends a gap and a first-frame measurement at the next present. */
void playback_picture_arrived(struct app *app);
/* --play: splits the space-separated URLs and opens the first. Returns 0 or a negative code. */
int playback_start_playlist(struct app *app, const char *list);
/* LEFT/RIGHT on the player: dir -1 or 1; repeat: the key's auto-repeat. */
void playback_seek_step(struct app *app, int dir, bool repeat);

/* home.c: home's shelves and the way back to it. */
void home_request(struct app *app);
/* Offline first: installs the last home seen, if the store has one. */
void home_load_cached(struct app *app);
void home_on_response(struct app *app, struct net_response *r);
/* Moves the focus by shelves (dshelf) and items (ditem), each -1, 0 or 1. */
void home_move(struct app *app, int dshelf, int ditem);
/* The card focused on home, or NULL. */
const struct catalog_item *app_focused_item(const struct app *app);
/* From the player to home: stops playback and schedules the home refresh. */
void home_return(struct app *app);
/* Every tick: the home refresh after the player (home_return). Returns a deadline, -1 for none. */
int64_t home_refresh_tick(struct app *app, int64_t now);

/* paywall.c: the paywall screen. */
/* Shows the paywall for the current episode (price and balance from the 402; the wallet is asked
 * for again). */
void paywall_open(struct app *app, int price, int balance);
/* Sends an unlock with method (enum app_unlock_method), keeping the idempotency key of an
 * attempt that got no definite answer. */
void paywall_send_unlock(struct app *app, int method);
void paywall_on_unlock(struct app *app, struct net_response *r);
void paywall_dispatch(struct app *app, enum input_action action);
void paywall_render(struct app *app, int64_t now);
/* paywall.c: the rows of the paywall (enum app_unlock_method, then APP_UNLOCK_METHODS for
 * buying coins) that can be chosen, and the focus, which only ever rests on one of them. */
bool paywall_row_enabled(const struct app *app, size_t row);
/* Focuses the first enabled row (as the paywall opens). */
void paywall_focus_first(struct app *app);
/* Moves the focus to the next enabled row up (dir < 0) or down; stays when there is none. */
void paywall_focus_step(struct app *app, int dir);
/* Moves the focus off a row that was disabled under it (the wallet arrived, the ads ran out).
 * Safe to call every tick. Returns true when it moved. */
bool paywall_keep_focus(struct app *app);

/* state.c: the automation view of the state, one table of paths. */
/* Writes the value at path ("player.state") into buf, as JSON would show it but unquoted.
 * Returns 0 or BINGE_ENOTFOUND for an unknown path. */
int app_state_value(struct app *app, const char *path, char *buf, size_t len);
/* Writes the whole state as one line of JSON to out. */
void app_state_print(struct app *app, FILE *out);

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

#endif
