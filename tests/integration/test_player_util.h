#ifndef BINGE_TEST_PLAYER_UTIL_H
#define BINGE_TEST_PLAYER_UTIL_H

/* Shared by the test_player_*.c integration tests: the UI thread's side of the player (wake,
 * drain, tick, frames), the fixtures (make-streams, make-content) and a loopback HTTP server
 * that can refuse, hide or stall files. Single-threaded test code drives all of it; only the
 * server runs threads of its own. */

#include "binge/player.h"

#include <stdbool.h>
#include <stdint.h>

#define TP_WAIT_MS 20000
#define TP_MAX_EVENTS 1024

/* ---- time and wake-ups ---- */

int64_t tp_now_ms(void);
/* The player's wake callback: a condition variable instead of an SDL event. */
void tp_wake(void *data);
/* Waits for a wake or ms, whichever first. */
void tp_wait_wake(int ms);

/* ---- fixtures ---- */

/* Runs tests/fixtures/make-streams into BINGE_BUILD_DIR/fixtures/streams once per process and
 * returns that directory (static), or NULL when it failed. */
const char *tp_streams_dir(void);
/* Runs scripts/make-content into BINGE_BUILD_DIR/fixtures/<name> with args. Returns the
 * directory (static per name slot: keep one name per test binary) or NULL. */
const char *tp_content_dir(const char *name, const char *args);
/* "file://<dir>/<rel>" into a static buffer (overwritten by the next call). */
const char *tp_file_uri(const char *dir, const char *rel);

/* ---- a loopback HTTP server over one directory ---- */

enum tp_http_action {
    TP_HTTP_SERVE = 0,
    TP_HTTP_403,
    TP_HTTP_404,
    TP_HTTP_HANG, /* headers and half of the body, then nothing until the client leaves */
    TP_HTTP_500,  /* 500 Internal Server Error */
    /* Reads the request and answers nothing: the server thread blocks until the client hangs
     * up, tp_http_release, or TP_HTTP_HELD_MAX_MS (which only stops a hang). */
    TP_HTTP_SILENT,
    /* Like TP_HTTP_SILENT, but once let go by tp_http_release the request is served: a very
     * slow answer that does come. */
    TP_HTTP_LATE,
};

/* How long a TP_HTTP_SILENT connection is held at most. */
#define TP_HTTP_HELD_MAX_MS 30000

/* Serves root on 127.0.0.1 (GET/HEAD, single byte ranges). Returns 0 or -1. After a
 * tp_http_stop it may start again (on another port). */
int tp_http_start(const char *root);
/* Stops the server and ends every connection still open, whatever its client does (it shuts
 * their sockets down), then waits for their threads, at most TP_WAIT_MS (scaled). Returns how
 * many connections were still open (each named on stderr), or -1 if a thread did not end in
 * that bound (the server's state is then left as it is). */
int tp_http_stop(void);
/* "http://127.0.0.1:PORT/<path>" into a static buffer (overwritten by the next call). */
const char *tp_http_url(const char *path);
/* Requests whose path contains needle get action, for the next count requests (< 0: all). */
void tp_http_rule(const char *needle, enum tp_http_action action, int count);
void tp_http_clear_rules(void);
/* Serves text at exactly path (e.g. "/wrap/master.m3u8"), ahead of the files; up to 8. */
void tp_http_put(const char *path, const char *text);
/* How many requests so far had needle in their path. */
int tp_http_requests(const char *needle);
/* Connections open right now (accepted and not yet closed by the server). */
int tp_http_connections(void);
/* Waits until no connection with a request is open, at most TP_WAIT_MS (scaled). Returns how
 * many still are; every connection still open is named on stderr. One with no request is not
 * counted: GStreamer 1.22's download helper can leave a socket connected and never used when it
 * stops (no thread of it left; docs/testing.md, Under emulation), and tp_http_stop ends it. */
int tp_http_idle(void);
/* Server threads blocked in TP_HTTP_SILENT or TP_HTTP_LATE right now. */
int tp_http_held(void);
/* Lets every TP_HTTP_SILENT connection go (they close without an answer) and every
 * TP_HTTP_LATE one be served. */
void tp_http_release(void);

/* ---- driving a player like the UI thread does ---- */

struct tp_run {
    struct player *p;
    struct player_event ev[TP_MAX_EVENTS];
    int64_t ev_ms[TP_MAX_EVENTS]; /* when each event was polled */
    int n;
    uint64_t last_seq;
    int frames;
    int first_w, first_h;  /* of the first frame acquired */
    int64_t first_pts_ms;  /* of the first frame acquired */
    int last_w, last_h;    /* of the latest */
    int64_t last_pts_ms;   /* of the latest */
    int64_t last_frame_ms; /* when the latest was acquired */
    double last_luma;      /* mean luma of the latest */
    bool sizes_seen[4];    /* widths 90, 180, 360, other */
    bool mark;             /* set by a test: the next frame's pts goes to mark_pts_ms */
    int64_t mark_pts_ms;
    void (*on_event)(struct tp_run *r, const struct player_event *ev); /* optional */
    void *user;
};

void tp_run_init(struct tp_run *r, struct player *p);
/* Forgets the events and frame statistics (not last_seq: seq grows across opens). */
void tp_run_reset(struct tp_run *r);
/* One pass of the UI loop: events, player_tick, newest frame. */
void tp_pump(struct tp_run *r);
/* Pumps until an event of type arrives after the events already seen (for STATE with state;
 * state < 0 = any), or timeout_ms (times BINGE_TEST_TIMEOUT_SCALE: a bound, not a budget).
 * Returns its index or -1. */
int tp_until(struct tp_run *r, enum player_event_type type, int state, int timeout_ms);
/* Pumps until the player has torn down what it stopped (player_tearing_down), or
 * TP_WAIT_MS. Returns true when it has. */
bool tp_settle(struct tp_run *r);
/* Pumps for ms. */
void tp_pump_for(struct tp_run *r, int ms);
int tp_count(const struct tp_run *r, enum player_event_type type);
int tp_index(const struct tp_run *r, enum player_event_type type, int from);
bool tp_has_state(const struct tp_run *r, enum player_state state, int from);
void tp_dump(const struct tp_run *r);

struct player *tp_new_player(const struct player_config *cfg);

/* Threads of this process (/proc/self/task). */
int tp_thread_count(void);

/* Runs only the tests matching BINGE_TEST_FILTER (a cmocka pattern, e.g. "test_dubs"), if set. */
void tp_filter(void);

/* Sets the log level from BINGE_TEST_DEBUG and initialises the player; call in the suite setup.
 * Returns 0 or -1. */
int tp_setup(void);

#endif
