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
    APP_SCREEN_PAYWALL = 2, /* an episode is locked: price, balance, ways to unlock */
    APP_SCREEN_AD = 3,      /* the ad break that unlocks an episode */
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
};

#define APP_AD_BREAK_MS 5000

#define APP_MAX_POSTER_FETCHES 8
#define APP_OVERLAY_MS 4000

struct automation;

struct app {
    const struct binge_options *opts;
    const struct platform *platform;
    SDL_Window *window;
    SDL_Renderer *renderer;
    struct ui *ui;
    struct net *net;
    struct player *player;
    struct automation *automation;

    Uint32 wake_event;
    atomic_bool wake_pending; /* set by any thread, cleared by the UI thread */
    bool running;
    int exit_code;
    bool dirty;
    int64_t next_anim_ms; /* when a spinner or countdown needs its next frame */

    enum app_screen screen;
    char error[256]; /* the last error shown to the viewer, "" when none */

    /* Session and home: fetched at start and retried together with backoff. */
    char *token; /* never logged */
    uint64_t register_req;
    struct catalog_home *home;
    enum app_home_state home_state;
    uint64_t home_req;
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
    char pay_status[320];
    bool pay_status_error;
    uint64_t unlock_req;
    char unlock_key[33]; /* "" when no attempt is open */
    int unlock_method;   /* enum app_unlock_method of the open attempt */
    int unlock_episode;  /* episode index of the open attempt */
    int64_t ad_until_ms; /* the ad break ends; 0 when none */
};

/* app.c */
void app_dispatch(struct app *app, enum input_action action);
/* Renders the current screen into the back buffer (no present). */
void app_render(struct app *app);
/* Renders and saves the screen as PNG, atomically. Returns 0 or a negative code. */
int app_screenshot(struct app *app, const char *path, char *err, size_t errlen);
void app_quit(struct app *app, int exit_code);

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
