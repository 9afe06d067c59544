#ifndef BINGE_PLAYER_H
#define BINGE_PLAYER_H

#include <stdbool.h>
#include <stdint.h>

/* The playback engine: playbin3 (hlsdemux2) behind an opaque handle. player/ is the only module
 * that includes GStreamer.
 *
 * Video leaves through an appsink (the "texture" output): raw I420 or NV12 frames that the UI
 * uploads with SDL_UpdateYUVTexture / SDL_UpdateNVTexture. No software colour conversion.
 *
 * Threading:
 *   - Every function is called from one thread (the UI thread), except player_init.
 *   - GStreamer's threads never call into the app. They call wake(data) - from any thread, possibly
 *     often - when an event or a new frame is ready; wake must only schedule the UI thread
 *     (it should coalesce). The UI thread then drains player_poll_event and player_acquire_frame.
 * Ownership: struct player is transfer full from player_new, freed with player_free (NULL ok).
 *   A frame from player_acquire_frame stays valid until player_release_frame; hold at most one. */

struct player;

enum player_state {
    PLAYER_IDLE = 0,    /* nothing open */
    PLAYER_LOADING = 1, /* opened, no first frame yet */
    PLAYER_PLAYING = 2,
    PLAYER_PAUSED = 3,
    PLAYER_BUFFERING = 4, /* paused by the engine until the buffer refills */
    PLAYER_ERROR = 5,     /* failed; player_stop or player_open to leave */
};

enum player_event_type {
    PLAYER_EVENT_STATE = 0,       /* state changed: ev.state */
    PLAYER_EVENT_FIRST_FRAME = 1, /* the first video frame of this open is ready */
    PLAYER_EVENT_BUFFERING = 2,   /* ev.percent 0..100; every crossing of 100, else 10% steps */
    PLAYER_EVENT_DURATION = 3,    /* ev.duration_ms is known or changed */
    PLAYER_EVENT_EOS = 4,         /* end of stream */
    PLAYER_EVENT_ERROR = 5,       /* ev.message: for the viewer; ev.detail: for the log */
};

struct player_event {
    enum player_event_type type;
    enum player_state state;
    int percent;
    int64_t duration_ms;
    char message[160];
    char detail[512];
};

struct player_config {
    /* gst-launch description of the audio sink, e.g. "fakesink sync=true" for silent playback;
     * NULL = "autoaudiosink". */
    const char *audio_sink;
    /* Start-up bitrate hint in bits/s for ABR (0 = GStreamer default). */
    unsigned start_bitrate;
};

enum player_format {
    PLAYER_FORMAT_I420 = 0,
    PLAYER_FORMAT_NV12 = 1,
};

struct player_frame {
    enum player_format format;
    int width, height;        /* in pixels */
    int par_n, par_d;         /* pixel aspect ratio, 1/1 for square pixels */
    const uint8_t *planes[3]; /* Y, U, V (I420) or Y, UV (NV12) */
    int strides[3];
    uint64_t seq; /* increases with each new frame */
    int64_t pts_ms;
    void *priv_; /* owned by the player */
};

/* Calls gst_init once. Thread-safe, idempotent. Returns 0 or BINGE_EMEDIA (no playbin3). */
int player_init(void);

/* Creates an idle player. Returns NULL on failure (logged). */
struct player *player_new(const struct player_config *cfg, void (*wake)(void *data), void *data);
void player_free(struct player *player);

/* Opens uri (http(s):// or file://) and starts playing at start_ms (0 = beginning).
 * Any previous stream is stopped first. Errors surface as PLAYER_EVENT_ERROR. Returns 0, or
 * BINGE_EINVAL for an unusable uri, or BINGE_EMEDIA when the pipeline cannot be built.
 * A local HLS playlist (file://...m3u8) is served to hlsdemux2 from a loopback HTTP server the
 * player runs (127.0.0.1, random path); hlsdemux2 in GStreamer 1.22 cannot read file://. */
int player_open(struct player *player, const char *uri, int64_t start_ms);

/* Stops and releases the stream (state IDLE) synchronously: it waits for the pipeline to reach
 * NULL, which may take a moment while network transfers are cancelled. Drops the pending events
 * and frames of the stream, then queues a PLAYER_EVENT_STATE (IDLE). A frame still held stays
 * valid until player_release_frame. Safe in any state. */
void player_stop(struct player *player);

/* Pauses or resumes. Returns 0 or BINGE_ESTATE when nothing is playing. */
int player_set_paused(struct player *player, bool paused);

/* Takes the next pending event into *ev. Returns true if there was one. Never blocks. */
bool player_poll_event(struct player *player, struct player_event *ev);

enum player_state player_get_state(const struct player *player);
/* Current position / duration in ms, -1 when unknown. Non-blocking queries. */
int64_t player_get_position_ms(struct player *player);
int64_t player_get_duration_ms(struct player *player);

/* Gives the newest frame if its seq is greater than last_seq. Returns true and fills *frame
 * (hold it until player_release_frame), or false when there is nothing newer. */
bool player_acquire_frame(struct player *player, uint64_t last_seq, struct player_frame *frame);
void player_release_frame(struct player *player, struct player_frame *frame);

const char *player_state_name(enum player_state state);

#endif
