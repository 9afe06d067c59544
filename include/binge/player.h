#ifndef BINGE_PLAYER_H
#define BINGE_PLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The playback engine: playbin3 (hlsdemux2) behind an opaque handle. player/ is the only module
 * that includes GStreamer.
 *
 * Video leaves one of two ways, chosen by player_config.video_output (the platform's choice):
 *   - "texture" (default): an appsink gives raw I420 or NV12 frames that the UI uploads with
 *     SDL_UpdateYUVTexture / SDL_UpdateNVTexture. No software colour conversion.
 *   - "plane": a GStreamer video sink draws on a surface of its own (ximagesink/xvimagesink/
 *     glimagesink into an X11 window through GstVideoOverlay, waylandsink, kmssink).
 *     player_acquire_frame then never gives frames; FIRST_FRAME still comes as an event.
 *   - "null": video is decoded and dropped in time (benchmarks, audio checks).
 *
 * One stream plays at a time (the current one); a second one (the next episode) can be
 * prerolled to its first frame meanwhile and swapped in with player_swap.
 *
 * Threading:
 *   - Every function is called from one thread (the UI thread), except player_init and
 *     player_video_output_exists.
 *   - GStreamer's threads never call into the app. They call wake(data) - from any thread, possibly
 *     often - when an event or a new frame is ready; wake must only schedule the UI thread
 *     (it should coalesce). The UI thread then drains player_poll_event and player_acquire_frame.
 *   - Time-driven work (the stall watchdog, the near-end hint, subtitle cue changes) runs in
 *     player_tick, which the UI loop calls on every tick; player_next_deadline_ms says when the
 *     next one is due so the loop can sleep until then.
 * Ownership: struct player is transfer full from player_new, freed with player_free (NULL ok).
 *   A frame from player_acquire_frame stays valid until player_release_frame; hold at most one.
 *   Strings in events, tracks and stats are copies owned by the caller's struct. */

struct player;

enum player_state {
    PLAYER_IDLE = 0,    /* nothing open */
    PLAYER_LOADING = 1, /* opened, no first frame yet */
    PLAYER_PLAYING = 2,
    PLAYER_PAUSED = 3,
    PLAYER_BUFFERING = 4, /* paused by the engine until the buffer refills, or re-tuning */
    PLAYER_ERROR = 5,     /* failed; player_stop or player_open to leave */
};

/* Events of the current stream, and of the prerolled one where the name says PREROLL. An event
 * of a stream that was stopped, replaced or swapped out is never delivered. */
enum player_event_type {
    PLAYER_EVENT_STATE = 0,       /* state changed: ev.state */
    PLAYER_EVENT_FIRST_FRAME = 1, /* the first video frame of this open (or swap) is ready */
    PLAYER_EVENT_BUFFERING = 2,   /* ev.percent 0..100; every crossing of 100, else 10% steps */
    PLAYER_EVENT_DURATION = 3,    /* ev.duration_ms is known or changed */
    PLAYER_EVENT_EOS = 4,         /* end of stream */
    PLAYER_EVENT_ERROR = 5,       /* ev.message: for the viewer; ev.detail: for the log */
    /* The variant (rendition of the master playlist) being played changed: ev.variant. The
     * first one comes once the master playlist is read (for a media playlist: with the first
     * frame, size only); later ones are ABR switches, announced when the demuxer switches
     * downloads (the picture follows after what is buffered). */
    PLAYER_EVENT_VARIANT = 6,
    /* The stream of player_preroll has its first frame decoded and held: player_swap now shows
     * it at once. ev.duration_ms is its duration (-1 unknown). */
    PLAYER_EVENT_PREROLLED = 7,
    /* The stream of player_preroll failed and was dropped (ev.message / ev.detail as for ERROR).
     * The current stream is not affected; open the next episode with player_open instead. */
    PLAYER_EVENT_PREROLL_FAILED = 8,
    /* The position reached duration - near_end_ms (once per open, and again after any seek,
     * which cancels the preroll): time to ask for the next episode's URL and preroll it.
     * ev.position_ms, ev.duration_ms. */
    PLAYER_EVENT_NEAR_END = 9,
    /* The watchdog saw no progress for stall_timeout_ms while playing and re-tunes the stream at
     * ev.position_ms: attempt ev.attempt of player_config.stall_retries. The state is
     * BUFFERING until it moves again. After the last attempt comes PLAYER_EVENT_ERROR. */
    PLAYER_EVENT_STALL = 10,
    /* The audio/subtitle track list or the selection changed: see player_get_tracks. */
    PLAYER_EVENT_TRACKS = 11,
    /* A player_seek completed: the picture is at ev.position_ms. */
    PLAYER_EVENT_SEEKED = 12,
};

/* What kind of failure an ERROR (or PREROLL_FAILED) is, for the app to react to. */
enum player_error {
    PLAYER_ERROR_OTHER = 0,
    /* The stream refused this device: its key was refused (AES-128), or the media answered
     * 401/403. Another play request may unlock it (the server decides). */
    PLAYER_ERROR_NOT_ENTITLED = 1,
    PLAYER_ERROR_NETWORK = 2, /* the media server could not be reached or the download failed */
    PLAYER_ERROR_STALLED = 3, /* the watchdog gave up; ev.position_ms is where it stopped */
};

/* A variant of the master playlist. Unknown values are 0 (a media playlist has no master). */
struct player_variant {
    int width, height;
    unsigned bitrate; /* BANDWIDTH of the master playlist, bits/s */
    int index;        /* position in the master playlist, -1 unknown */
};

struct player_event {
    enum player_event_type type;
    enum player_state state;
    int percent;
    int64_t duration_ms;
    char message[160];
    char detail[512];
    enum player_error error;       /* ERROR, PREROLL_FAILED */
    int attempt;                   /* STALL: 1..stall_retries */
    int64_t position_ms;           /* NEAR_END, STALL, SEEKED */
    struct player_variant variant; /* VARIANT */
};

struct player_config {
    /* gst-launch description of the audio sink, e.g. "fakesink sync=true" for silent playback;
     * NULL = "autoaudiosink". A prerolled stream opens its own instance while the current one
     * plays, so the device must allow two (pulse, pipewire, dmix do; a bare hw: device not). */
    const char *audio_sink;
    /* Start-up bitrate in bits/s (0 = GStreamer's choice: the first variant of the master).
     * The stream starts on the best variant at or below it (never an audio-only one) and ABR
     * climbs from there as downloads show the bandwidth. */
    unsigned start_bitrate;
    /* "texture" (NULL = default), "plane" or "null"; see the top of this file. */
    const char *video_output;
    /* plane: gst-launch description of the video sink, NULL = the first that works here of
     * waylandsink (given display_handle), xvimagesink, ximagesink, glimagesink (X11) and
     * kmssink (no display server). */
    const char *video_sink;
    /* plane: the native window to draw into (X11 Window, wl_surface *), 0 = the sink's own
     * window or the whole screen. */
    uintptr_t window_handle;
    /* plane on wayland: the wl_display * the window belongs to. */
    uintptr_t display_handle;
    /* plane under SDL's kmsdrm: SDL's DRM file, the DRM master, given to a sink with an "fd"
     * property (kmssink) so the kernel lets it set its plane (SETPLANE and ATOMIC are master-only;
     * a kmssink opening its own file is refused). Borrowed: SDL owns and closes it. 0 = none. */
    int drm_fd;
    /* PLAYER_EVENT_NEAR_END comes this long before the end; 0 = 8000 ms, < 0 = never. */
    int near_end_ms;
    /* The watchdog re-tunes after this long without progress; 0 = 8000 ms, < 0 = off. */
    int stall_timeout_ms;
    /* Re-tunes before giving up with an error; 0 = 3. */
    int stall_retries;
    /* NULL-terminated GStreamer decoder names (e.g. "v4l2h264dec") that playbin3 must choose
     * over every other decoder of their formats, the first over the later ones; NULL = the
     * ranks GStreamer gives. Ranks are process-wide: the last player_new with a list sets them.
     * A name this GStreamer lacks is skipped (logged). Read during player_new only (not kept). */
    const char *const *prefer_decoders;
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

enum player_track_type {
    PLAYER_TRACK_AUDIO = 0,
    PLAYER_TRACK_TEXT = 1,
};

struct player_track {
    char id[96]; /* the stream id; stable for one stream */
    enum player_track_type type;
    char language[16]; /* ISO 639 code as the stream gives it ("en", "es"), "" unknown */
    char title[64];    /* the rendition's NAME ("English"), or "" */
    bool selected;
};

/* Quality of experience of the current playback (an open, a swap; a re-tune continues it).
 * Times in ms from the request (player_open, or player_preroll for a swapped-in stream);
 * -1 = not reached or unknown. */
struct player_stats {
    int64_t manifest_ms;      /* the master (or media) playlist was downloaded and parsed */
    int64_t first_segment_ms; /* the first media data came out of the demuxer */
    int64_t first_frame_ms;   /* the first frame was decoded and ready to show */
    bool prerolled;           /* started by player_swap: the times ran in the background */
    struct player_variant start_variant;
    int variant_switches;
    int rebuffers;       /* times playback paused to buffer after the first frame */
    int64_t rebuffer_ms; /* time spent so */
    int stalls;          /* watchdog re-tunes */
    int errors;
    int warnings;
    int64_t position_ms;    /* furthest position reached */
    char video_decoder[32]; /* the video decoder's element name ("avdec_h264"), "" not yet */
};

/* Calls gst_init once. Thread-safe, idempotent. Returns 0 or BINGE_EMEDIA (no playbin3). */
int player_init(void);

/* Loads the plugins of the usual demuxers and decoders on a thread of its own, so that the
 * first stream does not wait for them (gst-libav alone takes about 50 ms). Call it once the
 * app is idle before its first stream: plugins load one at a time, so a stream opening
 * meanwhile waits for the one loading. Returns at once; later calls do nothing, and so do
 * calls after a player_free, which stops the thread at its next plugin and waits for it (a
 * quit waits for one plugin's load, not for the rest). Thread-safe. */
void player_warm_up(void);

/* Releases GStreamer at process exit, after every player is freed, so that leak checkers see a
 * clean exit. Optional. player_init fails afterwards. */
void player_deinit(void);

/* True when a video output called name ("texture", "plane", "null") exists in this build.
 * Thread-safe. */
bool player_video_output_exists(const char *name);

/* Creates an idle player. Returns NULL on failure (logged): no GStreamer, a bad audio sink
 * description, an unknown video output, or no working plane sink. */
struct player *player_new(const struct player_config *cfg, void (*wake)(void *data), void *data);
/* Stops everything (like player_stop), cancels a preroll and waits until every pipeline and
 * thread of the player is gone: the one call of the player that may wait (for as long as a
 * stalled server holds a teardown). NULL is a no-op. */
void player_free(struct player *player);

/* Opens uri (http(s):// or file://) and starts playing at start_ms (0 = beginning, else the
 * keyframe at or before it). Any previous stream is stopped first (torn down on a thread of the
 * player: this never blocks on the network), and a preroll is cancelled; nothing of either is
 * heard of again. Errors surface as PLAYER_EVENT_ERROR. Returns 0, or BINGE_EINVAL for an
 * unusable uri, or BINGE_EMEDIA when the pipeline cannot be built.
 * Recovery the player does by itself: a segment the server does not have (404/410) is skipped
 * once the picture gets there, going on at the start of the next segment (with player_tick;
 * without it, it is an ERROR at once); a segment answering 5xx is asked for 4 times in all, with
 * back-off, then skipped the same way (or, when it cannot be, an ERROR of kind
 * PLAYER_ERROR_NETWORK); and a stream that makes no progress is re-tuned (the watchdog of
 * player_tick).
 * A local HLS playlist (file://...m3u8) is served to hlsdemux2 from a loopback HTTP server the
 * player runs (127.0.0.1, random path); hlsdemux2 in GStreamer 1.22 cannot read file://. */
int player_open(struct player *player, const char *uri, int64_t start_ms);

/* Stops and releases the stream (state IDLE) and cancels a preroll, without waiting: the
 * pipelines are torn down on a thread of the player (a stalled server can hold a pipeline's
 * teardown for seconds; see player_tearing_down), so this never blocks on the network and is
 * fine on the UI thread at any moment (BACK, a paywall, the cliffhanger). Nothing of the stopped
 * stream is heard of again: its pending events and frames are dropped, then a
 * PLAYER_EVENT_STATE (IDLE) is queued. A frame still held stays valid until
 * player_release_frame. Only player_free waits for the teardown. Safe in any state. */
void player_stop(struct player *player);

/* True while pipelines stopped, replaced or cancelled are still being torn down in the
 * background (or a diagnosis thread is ending). Never blocks. */
bool player_tearing_down(const struct player *player);

/* Pauses or resumes. Returns 0 or BINGE_ESTATE when nothing is playing. */
int player_set_paused(struct player *player, bool paused);

/* Seeks the current stream to position_ms, clamped to [0, duration], snapping to the keyframe
 * at or before it (flushing; the duration itself ends the stream). Cancels a preroll. The
 * position reads as position_ms at once; PLAYER_EVENT_SEEKED follows when the picture is there.
 * Seeks asked for while one is in flight collapse into the last (holding a key is fine).
 * Returns 0, BINGE_ESTATE when nothing is open or the stream failed, or BINGE_EMEDIA when the
 * pipeline refuses the seek. */
int player_seek(struct player *player, int64_t position_ms);

/* Builds a second pipeline for uri (the next episode) and prerolls it to PAUSED at start_ms
 * (first frame decoded and held) while the current stream plays on. PLAYER_EVENT_PREROLLED
 * when ready, PLAYER_EVENT_PREROLL_FAILED when it cannot be. A preroll already there is
 * cancelled first. Its events never mix with the current stream's. Returns 0, BINGE_EINVAL
 * (uri) or BINGE_EMEDIA (pipeline). */
int player_preroll(struct player *player, const char *uri, int64_t start_ms);

/* Makes the prerolled stream the current one and plays it; the old one is disposed of on a
 * thread of the player, so this never blocks on the network. When it was PREROLLED its first
 * frame is available to player_acquire_frame on return, and the events of the new stream
 * (STATE, DURATION, FIRST_FRAME, TRACKS, VARIANT) are queued as after an open. Before that it
 * continues loading as after player_open. Call it at EOS (or any time).
 * Returns 0, or BINGE_ESTATE when there is no preroll. */
int player_swap(struct player *player);

/* Drops the prerolled stream, if any (in the background; no pipeline or thread is left once it
 * is done, see player_stop). Safe to call any time. */
void player_cancel_preroll(struct player *player);

/* True while a preroll exists; *ready (may be NULL) tells whether it is PREROLLED. */
bool player_has_preroll(const struct player *player, bool *ready);

/* Takes the next pending event into *ev. Returns true if there was one. Never blocks. */
bool player_poll_event(struct player *player, struct player_event *ev);

/* Runs the time-driven checks: the stall watchdog, the near-end hint and subtitle cue changes.
 * now_ms is CLOCK_MONOTONIC in ms (util_now_ms). Cheap when nothing is due; call it on every
 * tick of the UI loop. Its findings come out as events. */
void player_tick(struct player *player, int64_t now_ms);

/* When player_tick next has work, in the clock of player_tick; -1 = nothing scheduled.
 * May be in the past: then tick at once. */
int64_t player_next_deadline_ms(const struct player *player);

enum player_state player_get_state(const struct player *player);
/* Current position / duration in ms, -1 when unknown. Non-blocking queries. */
int64_t player_get_position_ms(struct player *player);
int64_t player_get_duration_ms(struct player *player);

/* The variant being played into *out. Returns false when unknown (nothing open, no master
 * read yet, or a media playlist with no frame yet). */
bool player_get_variant(const struct player *player, struct player_variant *out);

/* The QoE statistics of the current playback into *out (all -1/0 when idle). */
void player_get_stats(const struct player *player, struct player_stats *out);

/* Gives the newest frame if its seq is greater than last_seq. Returns true and fills *frame
 * (hold it until player_release_frame), or false when there is nothing newer (and always with
 * the "plane" and "null" outputs). */
bool player_acquire_frame(struct player *player, uint64_t last_seq, struct player_frame *frame);
void player_release_frame(struct player *player, struct player_frame *frame);

/* Audio and subtitle tracks of the current stream: copies up to max into out and returns how
 * many there are (may exceed max; 0 before the stream collection is known). */
size_t player_get_tracks(const struct player *player, struct player_track *out, size_t max);

/* Selects the audio track whose id or language (case-insensitive; "en" also matches "en-US";
 * without one of that region or script, another of the same language: "pt-PT" takes "pt-BR",
 * "zh-TW" takes "zh-Hans") is language_or_id. The choice is remembered: it also applies to streams
 * opened or prerolled later, as soon as their tracks are known. Returns 0 (selected, or remembered
 * until the tracks are known), BINGE_EINVAL (NULL/empty) or BINGE_ENOTFOUND (the current stream has
 * no such track; the choice is still remembered for later streams). */
int player_select_audio(struct player *player, const char *language_or_id);

/* Like player_select_audio for subtitles; NULL turns them off (remembered too). A language the
 * stream does not have is off for that stream (no other language stands in). Off hides the
 * cues and lists no text track as selected, but keeps the stream: deselecting it reconfigures
 * playbin3's sinks, which deadlocks a stop that comes at that moment (GStreamer 1.22). */
int player_select_subtitles(struct player *player, const char *language_or_id);

/* The subtitle cue showing at the current position, as plain UTF-8 text (markup removed, lines
 * separated by '\n'), into buf (truncated to len - 1 bytes). Returns false, with buf = "",
 * when none shows. The cue times are the stream's; poll it when drawing or at the deadlines of
 * player_next_deadline_ms, which include the next cue change. */
bool player_get_subtitle(struct player *player, char *buf, size_t len);

/* Audio volume, linear 0..1 (clamped), and mute. Kept across streams. Return 0 or
 * BINGE_EINVAL (not a number). */
int player_set_volume(struct player *player, double volume);
int player_set_mute(struct player *player, bool mute);
double player_get_volume(const struct player *player);
bool player_get_mute(const struct player *player);

/* plane: where the video goes in the window, in window pixels (w or h <= 0 = the whole window).
 * Kept across streams. Returns 0, or BINGE_ESTATE with another output. */
int player_set_video_rect(struct player *player, int x, int y, int w, int h);

const char *player_state_name(enum player_state state);
/* "state", "first-frame", ... for logs and scripts. Never NULL. */
const char *player_event_name(enum player_event_type type);

#endif
