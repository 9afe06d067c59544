#ifndef BINGE_PLAYER_INTERNAL_H
#define BINGE_PLAYER_INTERNAL_H

/* What the files of src/player share: the player, its pipelines ("pipes") and the helpers that
 * run on GStreamer's threads. Private to src/player.
 *
 * Threading, in one place:
 *   - UI thread: everything in struct player and struct player_pipe not marked otherwise, and
 *     every function not marked otherwise.
 *   - GStreamer threads (bus sync handler, appsink callbacks, pad probes): only the fields marked
 *     "lock" (under player->lock), "stream" (one streaming thread) or atomic.
 *   - The reaper thread: owns a pipe from the moment player_pipe_dispose hands it over; the UI
 *     thread never touches it again. Every pipe ends there (stop, open, swap, re-tune, skip,
 *     cancelled preroll): setting a pipeline to NULL can wait seconds for a stalled server, so
 *     the UI thread never does it. Only player_free waits for the reaper (player_reaper_wait).
 *   - Diagnosis threads (diagnose.c): detached; cancelled through diag_run, counted in
 *     diag_live; only player_free waits for them.
 * A pipe's generation (gen) tags everything its threads queue; the UI thread drops items whose
 * generation is neither the current pipe's nor the prerolled one's. */

#include "binge/player.h"

#include <gst/gst.h>
#include <gst/video/video.h>

#define PLAYER_MAX_TRACKS 16
#define PLAYER_MAX_VARIANTS 16
#define PLAYER_MAX_CUES 32
/* The master playlist kept for reading the variants; bigger ones are not parsed. */
#define PLAYER_MAX_MANIFEST (256 * 1024)

enum player_item_kind {
    PLAYER_ITEM_MESSAGE,     /* a bus message */
    PLAYER_ITEM_FIRST_FRAME, /* the first frame of a pipe reached its video sink */
    PLAYER_ITEM_DIAGNOSIS,   /* diagnose.c found out why a stream failed */
    /* segments.c: a segment kept answering 5xx; the demuxer is held until the pipe is retired */
    PLAYER_ITEM_SEGMENT_FAILED,
    PLAYER_ITEM_PLAYLIST, /* diagnose.c fetched the media playlist: its segment starts */
};

/* What diagnose.c found. */
enum player_verdict {
    PLAYER_VERDICT_UNKNOWN = 0,
    PLAYER_VERDICT_KEY_REFUSED, /* the key URL answered 401/403/451 */
    PLAYER_VERDICT_KEY_MISSING, /* 404/410 */
    PLAYER_VERDICT_KEY_BAD,     /* a key that is not 16 bytes */
};

/* What the GStreamer threads hand to the UI thread, in the order it happened. */
struct player_item {
    enum player_item_kind kind;
    unsigned gen;
    GstMessage *msg;             /* PLAYER_ITEM_MESSAGE only; owned */
    enum player_verdict verdict; /* PLAYER_ITEM_DIAGNOSIS */
    unsigned status;  /* DIAGNOSIS: the key's HTTP status, 0 unknown; SEGMENT_FAILED: the last */
    int64_t start_ms; /* SEGMENT_FAILED: where the segment starts in the playlist's timeline */
    int attempts;     /* SEGMENT_FAILED: requests made for it */
    int64_t *starts;  /* PLAYLIST: as player_playlist_starts gives them (owned), or NULL */
    int n_starts;
};

/* segments.c: the segment a demuxer stream is on, as hlsdemux2 logged it. */
#define PLAYER_MAX_SEG_TRACKS 4
struct player_seg_track {
    const void *stream; /* the GstAdaptiveDemux2Stream, as an identity only */
    int64_t start_ms;   /* the segment's start in the playlist's timeline (EXTINF sums) */
    char *uri;
};

/* How far a pipe got towards normal playback. */
enum player_phase {
    PLAYER_PHASE_PREROLL, /* start_ms > 0: prerolling at 0, the seek waits for ASYNC_DONE */
    PLAYER_PHASE_SEEKING, /* a seek was issued and waits for its ASYNC_DONE */
    PLAYER_PHASE_RUNNING,
};

/* How a start seek lands on start_ms. */
enum player_start_mode {
    PLAYER_START_KEYFRAME, /* the keyframe at or before it: resume, no decoding wasted */
    PLAYER_START_EXACT,    /* decoded up to it: a re-tune goes on where the picture stopped */
    PLAYER_START_AFTER,    /* the next keyframe (segment) after it: skips a missing segment */
};

/* A variant of the master playlist as written there. */
struct player_master_variant {
    struct player_variant v;
    bool video;      /* has a picture (RESOLUTION, or a video codec in CODECS) */
    bool audio_only; /* CODECS names only audio */
    char *uri;       /* as written in the playlist */
};

struct player_cue {
    int64_t start_ms, end_ms; /* stream time */
    char *text;               /* plain UTF-8 */
};

/* A video output backend (vo.c): how frames leave the pipeline. */
struct player_vo {
    const char *name;
    const char *description;
    bool frames; /* frames come out through player_acquire_frame */
    /* Checks that the output can run with cfg and picks its sink: *sink_desc is set to a
     * gst-launch description (transfer full, g_free) or NULL for the backend's own. Returns 0 or
     * BINGE_EMEDIA (logged). Called once, by player_new. */
    int (*prepare)(const struct player_config *cfg, char **sink_desc);
    /* A new video sink for one pipeline (floating ref), or NULL (logged). */
    GstElement *(*make_sink)(const char *sink_desc);
};

struct player_pipe {
    struct player *player;
    unsigned gen;
    char *uri; /* as the app gave it (kept for re-tunes); may hold a signed query */
    /* What was opened: uri, or the media playlist of uri's variant once a hole made a pipe
     * leave the master (recover.c, hole_source). */
    char *source;
    char *log_uri;        /* uri without its query: what the log may show */
    unsigned publication; /* local_http publication, 0 = none */
    int64_t request_us;   /* player_open / player_preroll, g_get_monotonic_time */
    int64_t created_us;   /* when this pipeline was built (g_get_monotonic_time) */
    bool preroll;         /* built by player_preroll */
    GstElement *pipeline;
    GstElement *video_sink; /* our ref */
    GstElement *text_sink;  /* our ref */
    GstElement *overlay;    /* plane: the element with GstVideoOverlay (our ref), or NULL */

    /* UI thread only. */
    enum player_phase phase;
    GstState target; /* the last state requested of the pipeline */
    int64_t start_ms;
    bool seek_by_user; /* the seek in flight came from player_seek */
    bool settled;      /* an ASYNC_DONE came in PLAYER_PHASE_RUNNING */
    int64_t duration_ms;
    int buffer_percent;
    bool buffering, failed, first_frame, eos, ready_sent;
    int64_t buffering_since_us;
    GstStreamCollection *collection;
    GPtrArray *selected; /* char *: stream ids of the last STREAMS_SELECTED; NULL = defaults */
    struct player_track tracks[PLAYER_MAX_TRACKS];
    size_t n_tracks;
    struct player_master_variant variants[PLAYER_MAX_VARIANTS]; /* copied from the lock side */
    int n_variants;
    struct player_variant variant;
    bool have_variant;
    struct player_variant start_variant; /* the first one of this pipe */
    int switches;                        /* variant switches of this pipe */
    int64_t pending_seek_ms;             /* a player_seek waiting for the one in flight, -1 */
    int64_t retry_seek_ms;               /* a seek the pipeline refused, asked again; -1 */
    int retry_seeks;                     /* how many times it was asked again */
    int rebuilds;                        /* times this stream was rebuilt after hlsdemux2's race */
    enum player_start_mode start_mode;   /* how the start seek lands on start_ms */
    int64_t skip_from_ms;                /* a segment is missing from here on (404), -1 */
    int64_t skip_to_ms;                /* where the segment after it starts (EXTINF), -1 unknown */
    int skips;                         /* missing segments skipped in this playback */
    int select_attempts;               /* select-streams sent for the remembered choices */
    bool diagnosing;                   /* an error waits for diagnose.c */
    struct player_event pending_error; /* that error */
    char *manifest_uri;                /* as hlsdemux2 reported it */

    /* Protected by player->lock. */
    GstSample *last;   /* newest sample (texture output) */
    bool hold;         /* start seek pending: samples are kept, not published */
    bool saw_frame;    /* a frame reached the video sink */
    bool first_queued; /* the first frame was queued or published */
    int frame_w, frame_h;
    char video_decoder[32]; /* element name of the video decoder playbin3 chose, "" none yet */
    int64_t manifest_us, first_segment_us, first_frame_us; /* 0 = not yet */
    int64_t out_end_ms;   /* stream time reached by the demuxer's output, -1 none */
    GQueue cues;          /* struct player_cue *, by start */
    bool cues_changed;    /* a cue came in since the UI last planned its deadline */
    char text_stream[96]; /* the stream id the cues come from (its STREAM_START), "" unknown */
    struct player_master_variant parsed[PLAYER_MAX_VARIANTS];
    int n_parsed;
    int initial_variant; /* predicted from hlsdemux2's rules, -1 unknown */
    bool cut_done;       /* the playlist went to hlsdemux2 cut (keep_segments) */
    int64_t *seg_starts; /* a media playlist's segment starts, then its end (EXTINF), or NULL */
    int n_seg_starts;    /* segments in seg_starts */
    /* A skipped hole: the media playlist goes to hlsdemux2 without its first drop_segments
     * segments, up to the one after the hole (recover.c), and hlsdemux2's time plus
     * time_offset_ms (where the first kept segment starts) is the stream's. Both are set
     * before the pipeline starts (drop_segments) or before hlsdemux2 reads the playlist
     * (time_offset_ms), and never change after. */
    int drop_segments;
    int64_t time_offset_ms;
    /* UI thread: the segments left out before this are there (only a hole after them was
     * skipped): a seek before it needs a pipeline of the whole stream. 0 = none. */
    int64_t whole_before_ms;
    /* A known hole ahead, cut_from_ms..cut_to_ms: the media playlist goes to hlsdemux2 with
     * only its first keep_segments segments (those before the hole) and an end, so that it
     * never fetches the hole (after a seek back before a skipped hole, or a hole met before
     * the first picture); its end is not the stream's, player_tick goes on after the hole.
     * Set before the pipeline starts, never changed; keep_segments 0 and -1 = none. */
    int keep_segments;
    int64_t cut_from_ms, cut_to_ms;
    int64_t playlist_asked_ms; /* UI: when the media playlist of a master was asked for, 0 not */
    /* A pipe built to skip a failed segment: failures of segments before this are the hole
     * and what comes before it, fetched again while prerolling at 0 (ignored), -1 none. */
    int64_t skip_before_ms;
    /* segments.c, filled from hlsdemux2's scheduler thread: */
    struct player_seg_track seg_tracks[PLAYER_MAX_SEG_TRACKS];
    int n_seg_tracks;
    int64_t failed_start_ms; /* start of the segment whose download failed last, -1 none */
    unsigned failed_status;  /* its HTTP status */
    char *fail_uri;          /* the segment answering 5xx, and how many times in a row */
    int fail_count;
    bool held_sent;    /* PLAYER_ITEM_SEGMENT_FAILED was queued */
    bool retired;      /* retire() was called: segments.c holds the demuxer no longer */
    bool start_seeked; /* the start seek was sent: segments.c holds back no retry any more */
    /* The playlist's end went into hlsdemux2 and its handling of it (process_manifest) has not
     * ended: the teardown waits for that (pipe.c, manifest_eos). */
    bool manifest_in_demux;

    /* Streaming threads (one at a time). */
    GString *manifest;     /* the playlist bytes on their way to hlsdemux2, held back */
    bool manifest_through; /* let playlist bytes pass (our own rewrite, or too big) */
    GstSegment text_segment;
    bool text_ended; /* the text sink's pad saw a GAP without end (tracks.c) */
    /* The viewer's track choices when the pipe was made (player->pref_audio/pref_text), read
     * by manifest_complete on a streaming thread; never changed after. */
    char *want_audio, *want_text;
    /* The master's audio and subtitle renditions (id, type, language), by manifest_complete.
     * Protected by player->lock. */
    struct player_track renditions[PLAYER_MAX_TRACKS];
    int n_renditions;
    gint abr_reset; /* atomic: clear hlsdemux2's connection-bitrate after the manifest */
    /* atomic: segments.c holds hlsdemux2's scheduler thread (a 5xx segment given up): the UI
     * thread sends the pipeline no seek, query or event that would wait for it. */
    gint held;
};

struct player {
    char *audio_sink_desc;
    const struct player_vo *vo;
    char *video_sink_desc; /* chosen by vo->prepare; NULL = the backend's own */
    uintptr_t window_handle, display_handle;
    int drm_fd; /* player_config.drm_fd: borrowed, 0 = none */
    unsigned start_bitrate;
    int64_t near_end_ms; /* < 0 = never */
    int64_t stall_ms;    /* < 0 = no watchdog */
    int stall_retries;
    void (*wake)(void *data);
    void *wake_data;

    /* UI thread only. */
    struct local_http *local_http; /* created on the first local HLS open */
    struct player_pipe *cur, *next;
    unsigned last_gen;
    enum player_state state;
    bool user_paused;
    bool shown_first; /* FIRST_FRAME was announced for this playback (re-tunes continue it) */
    double volume;
    bool mute;
    char *pref_audio; /* remembered track choices; NULL = the stream's default */
    char *pref_text;  /* NULL = default, "" = off */
    GQueue out;       /* struct player_event *, translated, waiting for player_poll_event */
    bool held;
    GstSample *held_sample;
    GstVideoFrame held_frame;
    /* The watchdog and the other deadlines, in ms of CLOCK_MONOTONIC. */
    int64_t wd_progress_ms; /* when the position last moved (or the clock was reset) */
    int64_t wd_pos_ms;      /* the position seen then, -1 none */
    int stall_attempts;
    int64_t retune_pos_ms;
    bool near_end_sent;
    int64_t deadline_ms; /* what player_next_deadline_ms gives, -1 none */
    bool ticked;         /* the app calls player_tick: time-driven recovery may be used */
    struct player_stats stats;
    bool stats_logged;

    GMutex lock;
    /* Protected by lock. */
    unsigned cur_gen, next_gen; /* generations whose threads may queue; 0 = none */
    GQueue items;               /* struct player_item * */
    bool events_notified;       /* wake was called and the UI has not yet seen the queue empty */
    bool frame_notified;        /* wake was called for a frame the UI has not yet asked for */
    GstSample *sample;          /* the published frame */
    uint64_t sample_seq;
    uint64_t seq;
    int rect[4]; /* plane: x, y, w, h; w <= 0 = whole window */
    /* The reaper: pipes being disposed of, and its thread. */
    GQueue dying;
    GThread *reaper;
    bool reaper_running;
    GCond reaper_idle;
    /* Broadcast when a pipe is retired (segments.c waits for it) or hlsdemux2 has handled its
     * playlist (the reaper waits for that). */
    GCond retired_cond;

    /* diagnose.c: a diagnosis runs on a detached thread of its own; bumping diag_run (atomic)
     * cancels the running one. diag_live (lock) counts those threads still running; the last
     * one to end signals reaper_idle. */
    gint diag_run;
    int diag_live;
};

/* ---- pipe.c ---- */

/* Builds a pipe for play_uri (what playbin3 gets) in the NULL state, with every sink, probe and
 * handler attached, and a fresh generation. uri is the app's. Returns NULL (logged). */
struct player_pipe *player_pipe_new(struct player *p, const char *uri, const char *play_uri,
                                    int64_t start_ms, bool preroll);
/* Tears the pipe down now, on this thread (waits for NULL), and frees it: the reaper, or a pipe
 * that never left NULL. */
void player_pipe_destroy(struct player_pipe *pipe);
/* Hands the pipe to the reaper thread, which tears it down in the background. Its generation
 * must already be dead (no longer cur_gen/next_gen). */
void player_pipe_dispose(struct player *p, struct player_pipe *pipe);
/* Waits until the reaper has disposed of everything handed to it and its thread has ended. */
void player_reaper_wait(struct player *p);
/* Shows or hides the preroll frame of a plane sink (a prerolled episode must not flash). */
void player_pipe_show_preroll(struct player_pipe *pipe, bool show);
void player_wake(struct player *p);

/* ---- tracks.c ---- */

/* Takes a STREAM_COLLECTION or STREAMS_SELECTED message. Returns true when the track list or
 * the selection changed. */
bool player_tracks_message(struct player_pipe *pipe, GstMessage *msg);
/* Sends select-streams so that the pipe follows the remembered choices (those that match a
 * track). Returns 1 when it sent one, 0 when the selection already matches, or BINGE_ESTATE
 * when its tracks are not known yet. */
int player_tracks_apply(struct player *p, struct player_pipe *pipe);
/* The index in pipe->tracks of the track of type that want names (id or language, with a
 * regional fallback: "pt-PT" finds "pt-BR"), or -1. */
int player_tracks_find(const struct player_pipe *pipe, enum player_track_type type,
                       const char *want);
/* The subtitles are hidden: turned off, or the language chosen is not in pipe's stream (another
 * language does not stand in for it). UI thread. */
bool player_tracks_text_hidden(const struct player *p, const struct player_pipe *pipe);
/* The master playlist with DEFAULT=YES moved, in each group of audio and of subtitle
 * renditions, to the one that audio and text name (a language as player_tracks_find takes it,
 * or a track id "audio-NAME"/"text-NAME"; NULL or "" leaves the type alone), so that hlsdemux2
 * starts with the viewer's tracks instead of switching to them after its first segments (the
 * first cues would be lost). Returns the new text (transfer full), or NULL when nothing moves.
 * Any thread. */
char *player_tracks_prefer(const char *text, const char *audio, const char *subs);
/* The audio and subtitle renditions of a master playlist as tracks (id as hlsdemux2 names it,
 * type, LANGUAGE) into out; returns how many. Any thread. */
int player_tracks_renditions(const char *text, struct player_track *out, int max);
/* The subtitle sink's pad probe (streaming thread). */
GstPadProbeReturn player_text_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data);
/* Appends a blank line to full WebVTT segments on their way into subparse (see tracks.c). */
GstPadProbeReturn player_subparse_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data);
/* The cue at pos_ms into buf; true when there is one. With stream, only a cue of that text
 * stream (a cue of the stream a switch replaces is not shown meanwhile). Takes player->lock. */
bool player_cues_lookup(struct player *p, struct player_pipe *pipe, int64_t pos_ms,
                        const char *stream, char *buf, size_t len);
/* The next cue start or end after pos_ms, -1 none. Takes player->lock. */
int64_t player_cues_next_change(struct player *p, struct player_pipe *pipe, int64_t pos_ms);
void player_cues_clear(struct player *p, struct player_pipe *pipe);
void player_cue_free(gpointer cue);

/* ---- qoe.c ---- */

/* Parses the EXT-X-STREAM-INF variants of a master playlist into out (uri: transfer full).
 * Returns how many (0 for a media playlist). */
int player_variants_parse(const char *text, struct player_master_variant *out, int max);
void player_variants_clear(struct player_master_variant *v, int n);
/* The master playlist without its audio-only variants, when it also has variants with a
 * picture (transfer full), or NULL when there is nothing to drop. */
char *player_variants_drop_audio_only(const char *text);
/* The variant hlsdemux2 (1.22) picks for bitrate: the best at or below it and at least
 * min_bitrate, else the lowest at least min_bitrate. Returns the index or -1. */
int player_variants_for_bitrate(const struct player_master_variant *v, int n, unsigned bitrate,
                                unsigned min_bitrate);
/* Fresh statistics for a playback requested at request_us. */
void player_stats_reset(struct player_stats *st);
/* Ranks the decoders named in the NULL-terminated names above every other (decoders.c). */
void player_decoders_prefer(const char *const *names);
/* Fills the times of st from the pipe's timestamps. Takes player->lock. */
void player_stats_update(struct player *p, struct player_pipe *pipe, struct player_stats *st);
/* Logs the one-line summary of the playback once (result: "eos", "error", "stopped", ...). */
void player_stats_log(struct player *p, const char *result);

/* ---- segments.c ---- */

/* The start of each segment of a media playlist in ms (the sums of the EXTINF durations before
 * it), then its end, into *starts (transfer full, g_free). Returns how many segments (0: a
 * master, or no EXTINF). */
int player_playlist_starts(const char *text, int64_t **starts);
/* The media playlist text without its first n segments (their EXTINF, URI and per-segment
 * tags; EXT-X-KEY and EXT-X-MAP stay, as they apply to the segments after them), with
 * EXT-X-MEDIA-SEQUENCE moved on by n so that segment numbers (and AES IVs derived from them)
 * stay the same. transfer full (g_free); NULL when it cannot be done safely: fewer than n + 1
 * segments, a dropped EXT-X-DISCONTINUITY, or a byte range without an offset. */
char *player_playlist_drop_head(const char *text, int n);
/* text, a media playlist, with only its first n segments and an EXT-X-ENDLIST after them
 * (transfer full), or NULL when that cannot be done (fewer than n + 1 segments, a URI without
 * EXTINF). Any thread. */
char *player_playlist_keep_head(const char *text, int n);
/* Where the segment after the one starting at start_ms starts (its end for the last one), by
 * pipe's EXTINF table, or -1 when the table does not have that segment. */
int64_t player_segment_after(const struct player_pipe *pipe, int64_t start_ms);
/* Installs the debug-log reader (player_init, once). */
void player_segments_init(void);
void player_segments_deinit(void);
/* Lets the reader find pipe from its pipeline's elements. */
void player_segments_attach(struct player_pipe *pipe);
/* Detaches pipe and frees what the reader stored in it (once its pipeline is in NULL). */
void player_segments_clear(struct player_pipe *pipe);

/* ---- init.c ---- */

/* Stops player_warm_up's thread at its next plugin and waits for it, if one runs, so that no
 * thread is left loading a library while the process exits; none starts after. It waits for
 * one plugin's load at most, never for the rest of the warm-up. Any thread. */
void player_warm_join(void);

/* For tests: with hold, the warm-up thread waits before each plugin until released or
 * stopped; player_warm_wait_held returns once it waits there (or at once without a hold);
 * player_warm_loaded counts the plugins it loaded. Any thread. */
void player_warm_hold(bool hold);
void player_warm_wait_held(void);
unsigned player_warm_loaded(void);

/* ---- soup.c ---- */

/* Picks the libsoup GStreamer's HTTP elements will use (libsoup 2.4 before GStreamer 1.24, see
 * soup.c). Call once, after gst_init (an in-process registry scan may have loaded libsoup 3)
 * and before any HTTP element is made. */
void player_soup_choose(void);

/* ---- diagnose.c ---- */

/* Starts finding out why pipe failed (its playlists and keys, fetched again). The answer
 * comes as a PLAYER_ITEM_DIAGNOSIS item of the pipe's generation. Returns false when it cannot
 * start. */
bool player_diagnose_start(struct player *p, struct player_pipe *pipe);
/* Fetches the media playlist of the variant pipe plays (a master's: hlsdemux2 keeps it to
 * itself) on a thread of its own; its segment starts come as a PLAYER_ITEM_PLAYLIST item of the
 * pipe's generation. Returns false when it cannot start. */
bool player_playlist_fetch(struct player *p, struct player_pipe *pipe);
/* Cancels the diagnosis, if any, without waiting for its thread. */
void player_diagnose_cancel(struct player *p);
/* Cancels the diagnosis and waits until no diagnosis thread is left (player_free only). */
void player_diagnose_wait(struct player *p);

/* ---- player.c: shared with recover.c and controls.c (UI thread) ---- */

int64_t player_mono_ms(void);
/* Makes player_next_deadline_ms ask for a tick at once (something changed). */
void player_touch(struct player *p);
/* True while segments.c holds pipe's demuxer (a segment gave up on 5xx): send it no seek,
 * query or event that would wait for it. Any thread. */
bool player_pipe_held(const struct player_pipe *pipe);
/* Queues ev for player_poll_event. */
void player_emit(struct player *p, const struct player_event *ev);
/* An event of type with the player's state and the current stream's duration filled in. */
struct player_event player_event_of(const struct player *p, enum player_event_type type);
void player_emit_simple(struct player *p, enum player_event_type type);
/* Derives the player's state from its pipes and announces a change. */
void player_sync_state(struct player *p);
/* Seeks pipe's pipeline to ms (how: mode), in hlsdemux2's time; false when it was refused. */
bool player_issue_seek(struct player_pipe *pipe, int64_t ms, enum player_start_mode mode);
/* A seek of pipe ended: it runs, and the app gets SEEKED for its own seek. */
void player_seek_done(struct player *p, struct player_pipe *pipe);
/* Requests PLAYING or PAUSED from pipe's pipeline, as the user, the buffer level, the start
 * seek and the pipe's role allow (player.c says when it waits). */
void player_apply_target(struct player *p, struct player_pipe *pipe);
/* The pipeline's position in ms, -1 unknown. */
int64_t player_query_position(struct player_pipe *pipe);
/* Builds a pipe for uri (source: what its playbin3 opens, NULL for uri) at start_ms. */
int player_make_pipe_from(struct player *p, const char *uri, const char *source, int64_t start_ms,
                          bool preroll, struct player_pipe **out);
/* Kills pipe's generation and hands it to the reaper thread, which tears it down: the UI
 * thread never waits for a pipeline to reach NULL. */
void player_retire(struct player *p, struct player_pipe *pipe);
/* Forgets the items queued by streams that are gone. */
void player_drop_dead_items(struct player *p);
/* Makes pipe the current one (its generation's items are then taken) and applies the target. */
void player_make_current(struct player *p, struct player_pipe *pipe);

/* ---- recover.c: errors, stalls and recovery (UI thread) ---- */

/* True when s holds the HTTP status code as a number of its own ("(404)", "404 Not Found"). */
bool player_has_status(const char *s, const char *code);
/* What the app already knows of a stream that is rebuilt (duration, variant, tracks). */
void player_carry_over(const struct player_pipe *from, struct player_pipe *to);
/* Builds pipe again at start (how: mode), leaving the first drop segments of its media
 * playlist out, and puts the new one in its place (current or next). */
bool player_replace(struct player *p, struct player_pipe *pipe, int64_t start,
                    enum player_start_mode mode, int drop);
/* A seek of the current pipe to ms across a hole it was built around (before what it left
 * out, or past where its playlist was cut): builds the pipeline that plays ms and puts it in
 * pipe's place. False when ms is not across one (or that failed: pipe is then unchanged). */
bool player_seek_across_hole(struct player *p, struct player_pipe *pipe, int64_t ms);
/* pipe's EOS: true when it is only the end of a playlist cut before a hole (player_tick then
 * goes on after the hole), false for the stream's end. */
bool player_cut_reached(struct player *p, struct player_pipe *pipe);
/* The media playlist of a master arrived: where its segments start. */
void player_playlist_fetched(struct player *p, struct player_pipe *pipe, struct player_item *it);
/* segments.c gave up on a segment that kept answering 5xx: skip it or fail clearly. */
void player_segment_failed(struct player *p, struct player_pipe *pipe,
                           const struct player_item *it);
/* player_tick, while a missing segment is ahead: goes on after it, or ends the stream. */
void player_skip_missing(struct player *p, int64_t pos);
void player_handle_error(struct player *p, struct player_pipe *pipe, GstMessage *msg);
void player_handle_diagnosis(struct player *p, struct player_pipe *pipe, struct player_item *it);
void player_handle_warning(struct player *p, struct player_pipe *pipe, GstMessage *msg);

/* ---- vo.c ---- */

const struct player_vo *player_vo_find(const char *name);

/* ---- wedge.c: a seek adaptivedemux2 refused half done (see wedge.c) ---- */

/* True when pipe's demuxer was left flushing (a FLUSH_START with no FLUSH_STOP: a refused seek
 * of GStreamer 1.22's adaptivedemux2): the pipeline refuses every seek and shows nothing new.
 * UI thread, right after a refused seek; or the reaper. */
bool player_pipe_wedged(struct player_pipe *pipe);
/* Replaces wedged pipe (current or next), which refused a seek to refused_ms, by a fresh
 * pipeline at at_ms; a seek of the user's gets its SEEKED as usual. Returns false when no
 * pipeline could be built: pipe stays, and SEEKED comes at once. UI thread. */
bool player_unwedge(struct player *p, struct player_pipe *pipe, int64_t refused_ms, int64_t at_ms);
/* Before pipe's pipeline goes to NULL (the reaper): on GStreamer < 1.22.5, a wedged demuxer
 * keeps a reference for good, so that it is never finalized (its finalize would abort on the
 * lock the refused seek left held). A bounded leak per occurrence, logged. */
void player_wedge_keep(struct player_pipe *pipe);

#endif
