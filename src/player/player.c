#include "binge/player.h"

#include "binge/error.h"
#include "binge/log.h"
#include "local_http.h"
#include "player_internal.h"

#include <gst/video/videooverlay.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LOG_MODULE("player");

#define PLAYER_DEFAULT_NEAR_END_MS 8000
#define PLAYER_DEFAULT_STALL_MS 8000
#define PLAYER_DEFAULT_STALL_RETRIES 3

const char *player_state_name(enum player_state state)
{
    switch (state) {
    case PLAYER_IDLE:
        return "idle";
    case PLAYER_LOADING:
        return "loading";
    case PLAYER_PLAYING:
        return "playing";
    case PLAYER_PAUSED:
        return "paused";
    case PLAYER_BUFFERING:
        return "buffering";
    case PLAYER_ERROR:
        return "error";
    }
    return "unknown";
}

const char *player_event_name(enum player_event_type type)
{
    switch (type) {
    case PLAYER_EVENT_STATE:
        return "state";
    case PLAYER_EVENT_FIRST_FRAME:
        return "first-frame";
    case PLAYER_EVENT_BUFFERING:
        return "buffering";
    case PLAYER_EVENT_DURATION:
        return "duration";
    case PLAYER_EVENT_EOS:
        return "eos";
    case PLAYER_EVENT_ERROR:
        return "error";
    case PLAYER_EVENT_VARIANT:
        return "variant";
    case PLAYER_EVENT_PREROLLED:
        return "prerolled";
    case PLAYER_EVENT_PREROLL_FAILED:
        return "preroll-failed";
    case PLAYER_EVENT_NEAR_END:
        return "near-end";
    case PLAYER_EVENT_STALL:
        return "stall";
    case PLAYER_EVENT_TRACKS:
        return "tracks";
    case PLAYER_EVENT_SEEKED:
        return "seeked";
    }
    return "unknown";
}

int64_t player_mono_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

/* Makes player_next_deadline_ms ask for a tick at once: something changed that the time-driven
 * checks must look at. */
void player_touch(struct player *p)
{
    p->deadline_ms = player_mono_ms();
}

/* True while segments.c holds the pipe's demuxer: nothing that waits for the demuxer's
 * scheduler (seeks, queries that reach it, select-streams) is sent to it then. */
bool player_pipe_held(const struct player_pipe *pipe)
{
    return g_atomic_int_get(&((struct player_pipe *)pipe)->held) != 0;
}

/* ---- translated events (UI thread) ---- */

void player_emit(struct player *p, const struct player_event *ev)
{
    struct player_event *copy = g_new(struct player_event, 1);
    *copy = *ev;
    g_queue_push_tail(&p->out, copy);
}

struct player_event player_event_of(const struct player *p, enum player_event_type type)
{
    struct player_event ev = {
        .type = type,
        .state = p->state,
        .duration_ms = p->cur ? p->cur->duration_ms : -1,
        .position_ms = -1,
        .variant = {.index = -1},
    };
    return ev;
}

void player_emit_simple(struct player *p, enum player_event_type type)
{
    struct player_event ev = player_event_of(p, type);
    player_emit(p, &ev);
}

static enum player_state derive_state(const struct player *p)
{
    const struct player_pipe *c = p->cur;
    if (!c)
        return PLAYER_IDLE;
    if (c->failed)
        return PLAYER_ERROR;
    if (!c->first_frame) /* a re-tune after the first frame is a pause to the viewer */
        return p->shown_first ? PLAYER_BUFFERING : PLAYER_LOADING;
    if (p->user_paused)
        return PLAYER_PAUSED;
    if (c->buffering && c->skip_from_ms < 0) /* with a segment missing it plays out */
        return PLAYER_BUFFERING;
    return PLAYER_PLAYING;
}

void player_sync_state(struct player *p)
{
    enum player_state s = derive_state(p);
    if (s == p->state)
        return;
    log_debug("state %s -> %s", player_state_name(p->state), player_state_name(s));
    p->state = s;
    player_emit_simple(p, PLAYER_EVENT_STATE);
}

/* Requests PLAYING or PAUSED from the pipeline according to what the user, the buffer level,
 * the start seek and the pipe's role (a prerolled one stays PAUSED) allow. Called again on
 * every state change of the pipeline.
 *
 * While the pipeline is busy with an asynchronous change the request waits: right after
 * preroll, GstBin continues PAUSED -> PLAYING on a thread of its own, and a set_state in that
 * window (1.22) bumps the state cookie, which cancels the continuation, while the call itself
 * returns "busy" and does nothing - the pipeline then sits in PAUSED for good. Waiting costs
 * nothing: the change in progress ends with a state-changed or async-done message. */
void player_apply_target(struct player *p, struct player_pipe *pipe)
{
    if (!pipe || !pipe->pipeline || pipe->failed)
        return;
    /* With a missing segment ahead, nothing more will come in: play out what is buffered. */
    bool starved = pipe->buffering && pipe->skip_from_ms < 0;
    GstState want =
        pipe == p->cur && pipe->phase == PLAYER_PHASE_RUNNING && !p->user_paused && !starved
            ? GST_STATE_PLAYING
            : GST_STATE_PAUSED;
    if (want == pipe->target)
        return;
    GstState current, pending;
    if (pipe->target != GST_STATE_VOID_PENDING &&
        gst_element_get_state(pipe->pipeline, &current, &pending, 0) == GST_STATE_CHANGE_ASYNC) {
        log_debug("%s waits: pipeline busy going to %s", gst_element_state_get_name(want),
                  gst_element_state_get_name(pending));
        return;
    }
    pipe->target = want;
    if (gst_element_set_state(pipe->pipeline, want) == GST_STATE_CHANGE_FAILURE)
        log_warn("pipeline refused %s", gst_element_state_get_name(want));
}

static void update_duration(struct player *p, struct player_pipe *pipe)
{
    gint64 d = -1;
    if (player_pipe_held(pipe) ||
        !gst_element_query_duration(pipe->pipeline, GST_FORMAT_TIME, &d) || d <= 0)
        return;
    g_mutex_lock(&p->lock);
    int64_t ms = d / GST_MSECOND + pipe->time_offset_ms; /* hlsdemux2's is the rest's */
    if (pipe->cut_done && pipe->n_seg_starts > 0)
        ms = pipe->seg_starts[pipe->n_seg_starts]; /* hlsdemux2's ends at the cut */
    g_mutex_unlock(&p->lock);
    if (ms == pipe->duration_ms)
        return;
    pipe->duration_ms = ms;
    log_debug("duration %" G_GINT64_FORMAT " ms", ms);
    if (pipe == p->cur)
        player_emit_simple(p, PLAYER_EVENT_DURATION);
}

int64_t player_query_position(struct player_pipe *pipe)
{
    gint64 pos = -1;
    /* The picture's position: the pipeline answers the furthest of its sinks, and a subtitle
     * sink runs ahead of the picture on the GAP events between cues (a seek to the keyframe at
     * 2 s read 2371 ms while the picture stood at 2 s). */
    if (pipe->video_sink && gst_element_query_position(pipe->video_sink, GST_FORMAT_TIME, &pos) &&
        pos >= 0)
        return pos / GST_MSECOND;
    pos = -1;
    if (!gst_element_query_position(pipe->pipeline, GST_FORMAT_TIME, &pos) || pos < 0)
        return -1;
    return pos / GST_MSECOND;
}

/* ---- variants ---- */

static void set_variant(struct player *p, struct player_pipe *pipe, struct player_variant v,
                        bool is_switch)
{
    if (pipe->have_variant && pipe->variant.index == v.index &&
        pipe->variant.bitrate == v.bitrate && pipe->variant.width == v.width)
        return;
    pipe->variant = v;
    pipe->have_variant = true;
    if (is_switch)
        pipe->switches++;
    else if (pipe->start_variant.index < 0 && !pipe->start_variant.width)
        pipe->start_variant = v;
    if (pipe != p->cur)
        return;
    if (is_switch)
        p->stats.variant_switches++;
    else if (p->stats.start_variant.index < 0 && !p->stats.start_variant.width)
        p->stats.start_variant = v;
    log_info("variant %d: %dx%d at %u bit/s%s", v.index, v.width, v.height, v.bitrate,
             is_switch ? " (switch)" : "");
    struct player_event ev = player_event_of(p, PLAYER_EVENT_VARIANT);
    ev.variant = v;
    player_emit(p, &ev);
}

static int match_variant(const struct player_pipe *pipe, const char *uri)
{
    if (!uri)
        return -1;
    size_t ul = strcspn(uri, "?");
    for (int i = 0; i < pipe->n_variants; i++) {
        const char *raw = pipe->variants[i].uri;
        if (!raw)
            continue;
        if (strcmp(raw, uri) == 0)
            return i;
        if (pipe->manifest_uri) {
            char *abs = gst_uri_join_strings(pipe->manifest_uri, raw);
            bool same = abs && strcmp(abs, uri) == 0;
            g_free(abs);
            if (same)
                return i;
        }
        size_t rl = strcspn(raw, "?");
        if (rl > 0 && rl <= ul && strncmp(uri + ul - rl, raw, rl) == 0 &&
            (rl == ul || uri[ul - rl - 1] == '/'))
            return i;
    }
    return -1;
}

static void handle_statistics(struct player *p, struct player_pipe *pipe, GstMessage *msg)
{
    const GstStructure *st = gst_message_get_structure(msg);
    if (pipe->failed)
        return;
    if (gst_structure_has_field(st, "manifest-download-stop")) {
        g_free(pipe->manifest_uri);
        pipe->manifest_uri = g_strdup(gst_structure_get_string(st, "manifest-uri"));
        g_mutex_lock(&p->lock);
        player_variants_clear(pipe->variants, pipe->n_variants);
        memcpy(pipe->variants, pipe->parsed, sizeof(pipe->parsed[0]) * (size_t)pipe->n_parsed);
        pipe->n_variants = pipe->n_parsed;
        pipe->n_parsed = 0; /* the uris moved */
        int initial = pipe->initial_variant;
        g_mutex_unlock(&p->lock);
        if (pipe->n_variants > 0) {
            log_debug("master playlist: %d variants, starting on %d", pipe->n_variants, initial);
            if (initial >= 0 && initial < pipe->n_variants)
                set_variant(p, pipe, pipe->variants[initial].v, false);
        }
        return;
    }
    int bitrate = 0;
    if (!gst_structure_get_int(st, "bitrate", &bitrate))
        return;
    int i = match_variant(pipe, gst_structure_get_string(st, "uri"));
    /* hlsdemux2 reports the variant's BANDWIDTH as the bitrate. When the uri does not say
     * which variant (binge-server's signed, absolute variant URLs did not), the bandwidth does,
     * if no other variant has the same. */
    for (int k = 0; i < 0 && k < pipe->n_variants; k++) {
        if (pipe->variants[k].v.bitrate != (unsigned)bitrate)
            continue;
        bool unique = true;
        for (int m = k + 1; m < pipe->n_variants; m++)
            unique &= pipe->variants[m].v.bitrate != (unsigned)bitrate;
        if (unique)
            i = k;
        break;
    }
    struct player_variant v = {.bitrate = (unsigned)bitrate, .index = -1};
    if (i >= 0)
        v = pipe->variants[i].v;
    v.bitrate = (unsigned)bitrate;
    set_variant(p, pipe, v, true);
}

/* ---- first frames ---- */

static void check_prerolled(struct player *p, struct player_pipe *pipe)
{
    if (pipe != p->next || pipe->ready_sent || !pipe->first_frame || !pipe->settled ||
        pipe->phase != PLAYER_PHASE_RUNNING)
        return;
    pipe->ready_sent = true;
    log_info("next stream prerolled in %" G_GINT64_FORMAT " ms",
             (g_get_monotonic_time() - pipe->request_us) / 1000);
    struct player_event ev = player_event_of(p, PLAYER_EVENT_PREROLLED);
    ev.duration_ms = pipe->duration_ms;
    player_emit(p, &ev);
}

/* A media playlist has no variants: the picture says what plays. */
static void variant_from_frame(struct player *p, struct player_pipe *pipe)
{
    if (pipe->have_variant)
        return;
    g_mutex_lock(&p->lock);
    struct player_variant v = {.width = pipe->frame_w, .height = pipe->frame_h, .index = -1};
    g_mutex_unlock(&p->lock);
    if (v.width > 0 && v.height > 0)
        set_variant(p, pipe, v, false);
}

static void publish_first_frame(struct player *p, struct player_pipe *pipe)
{
    if (pipe->first_frame)
        return;
    pipe->first_frame = true;
    if (pipe != p->cur) {
        variant_from_frame(p, pipe);
        check_prerolled(p, pipe);
        return;
    }
    player_stats_update(p, pipe, &p->stats);
    variant_from_frame(p, pipe);
    if (p->shown_first) {
        log_info("re-tuned stream shows again at %" G_GINT64_FORMAT " ms", pipe->start_ms);
        return;
    }
    p->shown_first = true;
    log_info("first frame after %" G_GINT64_FORMAT " ms%s",
             (g_get_monotonic_time() - pipe->request_us) / 1000,
             pipe->start_ms > 0 ? " (at the start position)" : "");
    player_emit_simple(p, PLAYER_EVENT_FIRST_FRAME);
}

/* Ends the start-seek hold: the sample prerolled at start_ms becomes the first frame. */
static void release_hold(struct player *p, struct player_pipe *pipe)
{
    bool first = false;
    GstSample *old = NULL;
    g_mutex_lock(&p->lock);
    pipe->hold = false;
    if (pipe->saw_frame && !pipe->first_queued) {
        pipe->first_queued = true;
        pipe->first_frame_us = g_get_monotonic_time();
        first = true;
    }
    if (pipe->gen == p->cur_gen && pipe->last && p->sample != pipe->last) {
        old = p->sample;
        p->sample = gst_sample_ref(pipe->last);
        p->sample_seq = ++p->seq;
    }
    g_mutex_unlock(&p->lock);
    if (old)
        gst_sample_unref(old);
    if (pipe == p->cur)
        player_pipe_show_preroll(pipe, true);
    if (first)
        publish_first_frame(p, pipe);
}

/* ---- the other messages ---- */

static void handle_buffering(struct player *p, struct player_pipe *pipe, GstMessage *msg)
{
    int percent = 100;
    gst_message_parse_buffering(msg, &percent);
    bool buffering = percent < 100;
    if (pipe == p->cur) {
        /* hlsdemux2 reports every single percent; the UI needs the transitions and a coarse
         * progress, not a hundred events per start. */
        if (buffering != pipe->buffering || pipe->buffer_percent < 0 ||
            abs(percent - pipe->buffer_percent) >= 10) {
            pipe->buffer_percent = percent;
            struct player_event ev = player_event_of(p, PLAYER_EVENT_BUFFERING);
            ev.percent = percent;
            player_emit(p, &ev);
        }
        if (buffering && !pipe->buffering && pipe->first_frame &&
            pipe->phase == PLAYER_PHASE_RUNNING) {
            p->stats.rebuffers++;
            pipe->buffering_since_us = g_get_monotonic_time();
        }
        if (!buffering && pipe->buffering_since_us) {
            p->stats.rebuffer_ms += (g_get_monotonic_time() - pipe->buffering_since_us) / 1000;
            pipe->buffering_since_us = 0;
        }
    } else {
        pipe->buffer_percent = percent;
    }
    if (buffering != pipe->buffering) {
        log_debug("%sbuffering %d%%", pipe == p->next ? "next stream: " : "", percent);
        pipe->buffering = buffering;
        player_apply_target(p, pipe);
    }
}

bool player_issue_seek(struct player_pipe *pipe, int64_t ms, enum player_start_mode mode)
{
    if (player_pipe_held(pipe))
        return false; /* the demuxer would not answer: the pipe is on its way out */
    /* KEY_UNIT | SNAP_BEFORE: from the keyframe at or before ms, which costs no decode of
     * skipped frames; keyframes are at most one segment apart. The very end is no segment's
     * start (hlsdemux2 refuses it), and snapping would land a whole segment before it: the
     * last millisecond, decoded accurately, shows the last picture and ends the stream. */
    GstSeekFlags flags = GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT | GST_SEEK_FLAG_SNAP_BEFORE;
    if (mode == PLAYER_START_EXACT)
        flags = GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE;
    else if (mode == PLAYER_START_AFTER) /* hlsdemux2 snaps to the next segment's start */
        flags = GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT | GST_SEEK_FLAG_SNAP_AFTER;
    if (pipe->duration_ms > 0 && ms >= pipe->duration_ms) {
        ms = pipe->duration_ms - 1;
        flags = GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE;
    }
    /* hlsdemux2 seeks in its own time: a skipped hole left the head out. */
    g_mutex_lock(&pipe->player->lock);
    int64_t offset = pipe->time_offset_ms;
    g_mutex_unlock(&pipe->player->lock);
    ms = ms > offset ? ms - offset : 0;
    return gst_element_seek_simple(pipe->pipeline, GST_FORMAT_TIME, flags, ms * GST_MSECOND);
}

void player_seek_done(struct player *p, struct player_pipe *pipe)
{
    pipe->phase = PLAYER_PHASE_RUNNING;
    pipe->settled = true;
    release_hold(p, pipe);
    if (pipe->seek_by_user) {
        pipe->seek_by_user = false;
        if (pipe == p->cur) {
            struct player_event ev = player_event_of(p, PLAYER_EVENT_SEEKED);
            int64_t pos = player_query_position(pipe);
            ev.position_ms = pos >= 0 ? pos : pipe->start_ms;
            log_debug("seeked to %" G_GINT64_FORMAT " ms", ev.position_ms);
            player_emit(p, &ev);
        }
    }
}

static void handle_async_done(struct player *p, struct player_pipe *pipe)
{
    update_duration(p, pipe);
    if (pipe->phase == PLAYER_PHASE_PREROLL) {
        pipe->phase = PLAYER_PHASE_SEEKING;
        /* segments.c stops holding back retries of the hole this seek leaves behind. */
        g_mutex_lock(&p->lock);
        pipe->start_seeked = true;
        g_cond_broadcast(&p->retired_cond);
        bool at_head = pipe->time_offset_ms > 0 && pipe->start_ms <= pipe->time_offset_ms;
        g_mutex_unlock(&p->lock);
        /* A re-tune goes on exactly where the picture stopped: decoding from the keyframe
         * before costs a moment, a jump back would be seen. */
        if (at_head) { /* a pipe that left a head out starts where the rest starts */
            player_seek_done(p, pipe);
        } else if (!player_issue_seek(pipe, pipe->start_ms, pipe->start_mode)) {
            if (player_pipe_wedged(pipe) && player_unwedge(p, pipe, pipe->start_ms, 0))
                return; /* refused half done: from the start on a new pipeline (wedge.c) */
            log_warn("cannot seek to %" G_GINT64_FORMAT " ms; playing from the start",
                     pipe->start_ms);
            player_seek_done(p, pipe);
        }
    } else if (pipe->phase == PLAYER_PHASE_SEEKING) {
        if (pipe->pending_seek_ms >= 0) {
            /* Seeks asked for while one was in flight collapse into the latest. */
            pipe->start_ms = pipe->pending_seek_ms;
            pipe->pending_seek_ms = -1;
            if (player_issue_seek(pipe, pipe->start_ms, PLAYER_START_KEYFRAME))
                return;
            if (player_pipe_wedged(pipe) && player_unwedge(p, pipe, pipe->start_ms, pipe->start_ms))
                return; /* refused half done: a new pipeline goes there (wedge.c) */
        }
        player_seek_done(p, pipe);
    } else {
        pipe->settled = true;
    }
    check_prerolled(p, pipe);
    player_apply_target(p, pipe);
}

static void handle_tracks(struct player *p, struct player_pipe *pipe, GstMessage *msg)
{
    bool changed = player_tracks_message(pipe, msg);
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_STREAM_COLLECTION && changed)
        pipe->select_attempts = 0;
    log_debug("%s from %s", GST_MESSAGE_TYPE_NAME(msg), GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)));
    /* A selection sent while the collection is still travelling from hlsdemux2 to decodebin3
     * is lost, and the defaults are announced instead: the remembered choice is asked for
     * again (a few times at most, in case a stream never takes it). */
    bool selected = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_STREAMS_SELECTED;
    if ((changed || selected) && (p->pref_audio || p->pref_text) && pipe->select_attempts < 4 &&
        player_tracks_apply(p, pipe) > 0)
        pipe->select_attempts++;
    if (changed && pipe == p->cur) {
        log_debug("tracks: %zu audio/subtitle tracks", pipe->n_tracks);
        player_emit_simple(p, PLAYER_EVENT_TRACKS);
    }
}

static void handle_message(struct player *p, struct player_pipe *pipe, GstMessage *msg)
{
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
        player_handle_error(p, pipe, msg);
        break;
    case GST_MESSAGE_WARNING:
        player_handle_warning(p, pipe, msg);
        break;
    case GST_MESSAGE_EOS:
        if (!pipe->failed && pipe == p->cur && !pipe->eos) {
            if (player_cut_reached(p, pipe))
                break; /* only the end of a playlist cut before a hole */
            log_info("end of stream");
            pipe->eos = true;
            if (pipe->duration_ms > p->stats.position_ms)
                p->stats.position_ms = pipe->duration_ms;
            player_emit_simple(p, PLAYER_EVENT_EOS);
            player_stats_log(p, "eos");
        }
        break;
    case GST_MESSAGE_BUFFERING:
        handle_buffering(p, pipe, msg);
        break;
    case GST_MESSAGE_DURATION_CHANGED:
        update_duration(p, pipe);
        break;
    case GST_MESSAGE_ASYNC_DONE:
        handle_async_done(p, pipe);
        break;
    case GST_MESSAGE_LATENCY:
        /* The application's job per the GstPipeline docs; audio and video stay in sync. */
        gst_bin_recalculate_latency(GST_BIN(pipe->pipeline));
        break;
    case GST_MESSAGE_CLOCK_LOST:
        /* Selects a new clock, as the GstPipeline docs ask. */
        if (pipe->target == GST_STATE_PLAYING) {
            gst_element_set_state(pipe->pipeline, GST_STATE_PAUSED);
            gst_element_set_state(pipe->pipeline, GST_STATE_PLAYING);
        }
        break;
    case GST_MESSAGE_STATE_CHANGED: {
        GstState old_state, new_state;
        gst_message_parse_state_changed(msg, &old_state, &new_state, NULL);
        log_debug("%spipeline %s -> %s", pipe == p->next ? "next " : "",
                  gst_element_state_get_name(old_state), gst_element_state_get_name(new_state));
        player_apply_target(p, pipe); /* a request may have waited for this */
        break;
    }
    case GST_MESSAGE_STREAM_COLLECTION:
    case GST_MESSAGE_STREAMS_SELECTED:
        handle_tracks(p, pipe, msg);
        break;
    case GST_MESSAGE_ELEMENT:
        handle_statistics(p, pipe, msg);
        break;
    default:
        break;
    }
}

static void handle_item(struct player *p, struct player_item *it)
{
    struct player_pipe *pipe = p->cur && it->gen == p->cur->gen     ? p->cur
                               : p->next && it->gen == p->next->gen ? p->next
                                                                    : NULL;
    if (!pipe)
        return; /* left over from a stream that is gone */
    if (it->kind == PLAYER_ITEM_FIRST_FRAME)
        publish_first_frame(p, pipe);
    else if (it->kind == PLAYER_ITEM_DIAGNOSIS)
        player_handle_diagnosis(p, pipe, it);
    else if (it->kind == PLAYER_ITEM_SEGMENT_FAILED)
        player_segment_failed(p, pipe, it);
    else if (it->kind == PLAYER_ITEM_PLAYLIST)
        player_playlist_fetched(p, pipe, it);
    else
        handle_message(p, pipe, it->msg);
    player_sync_state(p);
}

static void free_item(struct player_item *it)
{
    g_free(it->starts);
    if (it->msg)
        gst_message_unref(it->msg);
    g_free(it);
}

bool player_poll_event(struct player *p, struct player_event *ev)
{
    if (!p || !ev)
        return false;
    for (;;) {
        struct player_event *out = g_queue_pop_head(&p->out);
        if (out) {
            *ev = *out;
            g_free(out);
            return true;
        }
        g_mutex_lock(&p->lock);
        struct player_item *it = g_queue_pop_head(&p->items);
        if (!it)
            p->events_notified = false;
        bool cues = p->cur && p->cur->cues_changed;
        g_mutex_unlock(&p->lock);
        if (cues)
            player_touch(p);
        if (!it)
            return false;
        handle_item(p, it);
        free_item(it);
        player_touch(p);
    }
}

/* ---- pipes ---- */

static bool is_local_hls(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && g_ascii_strcasecmp(path + n - 5, ".m3u8") == 0;
}

/* Turns what the app gave into what playbin3 gets. Returns 0 or BINGE_EINVAL/BINGE_EMEDIA. */
static int resolve_uri(struct player *p, const char *uri, char **play_uri, unsigned *publication)
{
    int rc = BINGE_EINVAL;
    char *scheme = g_uri_parse_scheme(uri);
    char *path = NULL;
    *play_uri = NULL;
    *publication = 0;
    if (!scheme)
        goto fail;
    if (g_ascii_strcasecmp(scheme, "http") == 0 || g_ascii_strcasecmp(scheme, "https") == 0) {
        *play_uri = g_strdup(uri);
        rc = 0;
        goto fail;
    }
    if (g_ascii_strcasecmp(scheme, "file") != 0)
        goto fail;
    path = g_filename_from_uri(uri, NULL, NULL);
    if (!path)
        goto fail;
    if (!is_local_hls(path)) {
        *play_uri = g_strdup(uri);
        rc = 0;
        goto fail;
    }
    if (!p->local_http)
        p->local_http = local_http_new();
    if (!p->local_http) {
        rc = BINGE_EMEDIA;
        goto fail;
    }
    rc = local_http_publish(p->local_http, path, play_uri, publication);
fail:
    g_free(scheme);
    g_free(path);
    return rc;
}

int player_make_pipe_from(struct player *p, const char *uri, const char *source, int64_t start_ms,
                          bool preroll, struct player_pipe **out)
{
    char *play_uri = NULL;
    unsigned publication = 0;
    *out = NULL;
    if (!source)
        source = uri;
    int rc = resolve_uri(p, source, &play_uri, &publication);
    if (rc != 0) {
        log_warn("cannot open \"%.*s\": %s", (int)strcspn(uri, "?"), uri,
                 rc == BINGE_EINVAL ? "not an http(s) or file URI" : "no local server");
        return rc;
    }
    struct player_pipe *pipe = player_pipe_new(p, uri, play_uri, start_ms, preroll);
    if (!pipe) {
        local_http_withdraw(p->local_http, publication);
        g_free(play_uri);
        return BINGE_EMEDIA;
    }
    pipe->publication = publication;
    pipe->pending_seek_ms = -1;
    pipe->source = g_strdup(source);
    if (strcmp(play_uri, uri) != 0)
        log_debug("local HLS served as %s", play_uri);
    g_free(play_uri);
    *out = pipe;
    return 0;
}

static int make_pipe(struct player *p, const char *uri, int64_t start_ms, bool preroll,
                     struct player_pipe **out)
{
    return player_make_pipe_from(p, uri, NULL, start_ms, preroll, out);
}

/* Kills the pipe's generation (its threads queue nothing more) and hands it to the reaper
 * thread, which tears it down: the UI thread never waits for a pipeline to reach NULL. */
void player_retire(struct player *p, struct player_pipe *pipe)
{
    if (!pipe)
        return;
    g_mutex_lock(&p->lock);
    if (p->cur_gen == pipe->gen)
        p->cur_gen = 0;
    if (p->next_gen == pipe->gen)
        p->next_gen = 0;
    pipe->retired = true; /* lets a held demuxer go (segments.c) before the teardown */
    g_cond_broadcast(&p->retired_cond);
    g_mutex_unlock(&p->lock);
    local_http_withdraw(p->local_http, pipe->publication);
    pipe->publication = 0;
    player_pipe_dispose(p, pipe);
}

/* Forgets the items queued by streams that are gone. */
void player_drop_dead_items(struct player *p)
{
    GQueue dead = G_QUEUE_INIT;
    g_mutex_lock(&p->lock);
    for (GList *l = p->items.head; l;) {
        GList *next = l->next;
        struct player_item *it = l->data;
        if (it->gen != p->cur_gen && it->gen != p->next_gen) {
            g_queue_unlink(&p->items, l);
            g_queue_push_tail_link(&dead, l);
        }
        l = next;
    }
    g_mutex_unlock(&p->lock);
    for (GList *l = dead.head; l; l = l->next)
        free_item(l->data);
    g_queue_clear(&dead);
}

/* The fresh start of a playback: statistics, watchdog, the near-end hint. */
static void playback_reset(struct player *p)
{
    player_stats_reset(&p->stats);
    p->stats_logged = false;
    p->shown_first = false;
    p->user_paused = false;
    p->stall_attempts = 0;
    p->near_end_sent = false;
    p->wd_progress_ms = player_mono_ms();
    p->wd_pos_ms = -1;
    player_touch(p);
}

/* Ends the current playback: no more events or frames of it. */
static void end_playback(struct player *p, const char *result)
{
    if (!p->cur)
        return;
    player_stats_log(p, result);
    struct player_pipe *old = p->cur;
    p->cur = NULL;
    player_retire(p, old);
    GstSample *sample = NULL;
    g_mutex_lock(&p->lock);
    sample = p->sample;
    p->sample = NULL;
    g_mutex_unlock(&p->lock);
    if (sample)
        gst_sample_unref(sample);
    player_drop_dead_items(p);
    g_queue_clear_full(&p->out, g_free);
    p->state = PLAYER_IDLE;
    p->user_paused = false;
}

void player_make_current(struct player *p, struct player_pipe *pipe)
{
    p->cur = pipe;
    g_mutex_lock(&p->lock);
    p->cur_gen = pipe->gen;
    g_mutex_unlock(&p->lock);
    player_apply_target(p, pipe);
}

int player_open(struct player *p, const char *uri, int64_t start_ms)
{
    if (!p || !uri)
        return BINGE_EINVAL;
    struct player_pipe *pipe = NULL;
    int rc = make_pipe(p, uri, start_ms, false, &pipe);
    if (rc != 0)
        return rc;
    /* The query of a signed URL is its authorization: it stays out of the log. */
    log_info("open %s at %" G_GINT64_FORMAT " ms", pipe->log_uri, pipe->start_ms);
    player_cancel_preroll(p);
    end_playback(p, "replaced");
    playback_reset(p);
    player_make_current(p, pipe);
    player_sync_state(p);
    player_wake(p);
    return 0;
}

void player_stop(struct player *p)
{
    if (!p)
        return;
    player_cancel_preroll(p);
    if (p->cur) {
        log_debug("stop");
        /* Torn down on the reaper thread: a stalled server can hold a pipeline's NULL state
         * for seconds, and this runs on BACK, at a paywall, at the cliffhanger. */
        end_playback(p, "stopped");
        player_emit_simple(p, PLAYER_EVENT_STATE); /* IDLE */
        player_wake(p);
    }
    player_diagnose_cancel(p);
    p->deadline_ms = -1;
}

bool player_tearing_down(const struct player *p)
{
    if (!p)
        return false;
    /* The lock is the player's own; reading through a const handle does not change it. */
    struct player *mp = (struct player *)p;
    g_mutex_lock(&mp->lock);
    bool busy = mp->reaper_running || mp->diag_live > 0;
    g_mutex_unlock(&mp->lock);
    return busy;
}

int player_set_paused(struct player *p, bool paused)
{
    if (!p || !p->cur || p->cur->failed)
        return BINGE_ESTATE;
    if (p->user_paused == paused)
        return 0;
    p->user_paused = paused;
    /* Time paused is not a stall. */
    p->wd_progress_ms = player_mono_ms();
    player_apply_target(p, p->cur);
    player_sync_state(p);
    player_touch(p);
    player_wake(p);
    return 0;
}

int player_seek(struct player *p, int64_t position_ms)
{
    if (!p || !p->cur || p->cur->failed)
        return BINGE_ESTATE;
    struct player_pipe *pipe = p->cur;
    int64_t d = pipe->duration_ms;
    if (position_ms < 0)
        position_ms = 0;
    if (d > 0 && position_ms > d)
        position_ms = d;
    /* The seek drops the preroll, so the hint comes again, wherever the seek lands. */
    player_cancel_preroll(p);
    p->near_end_sent = false;
    pipe->eos = false;
    pipe->seek_by_user = true;
    p->wd_progress_ms = player_mono_ms();
    p->wd_pos_ms = -1;
    log_info("seek to %" G_GINT64_FORMAT " ms", position_ms);
    if (player_seek_across_hole(p, pipe, position_ms)) {
        /* Before what a skip left out, or past a cut (recover.c): a pipeline that plays it. */
        p->cur->seek_by_user = position_ms > 0; /* SEEKED comes after its start seek */
    } else if (pipe->phase == PLAYER_PHASE_PREROLL) {
        pipe->start_ms = position_ms; /* the start seek is still to come: it takes this */
    } else if (pipe->phase == PLAYER_PHASE_RUNNING && !pipe->settled) {
        /* Opened at 0 and not prerolled yet: the pipeline would refuse a seek now. It becomes
         * the start seek, issued at ASYNC_DONE. */
        pipe->phase = PLAYER_PHASE_PREROLL;
        pipe->start_ms = position_ms;
    } else if (pipe->phase == PLAYER_PHASE_SEEKING) {
        pipe->pending_seek_ms = position_ms;
        pipe->start_ms = position_ms;
    } else if (player_pipe_held(pipe)) {
        /* Its demuxer is held on a failing segment: a new pipeline goes there instead. */
        pipe->seek_by_user = false;
        if (!player_replace(p, pipe, position_ms, PLAYER_START_KEYFRAME, pipe->drop_segments))
            return BINGE_EMEDIA;
        p->cur->seek_by_user = position_ms > 0; /* SEEKED comes after its start seek */
    } else {
        pipe->phase = PLAYER_PHASE_SEEKING;
        pipe->start_ms = position_ms;
        if (!player_issue_seek(pipe, position_ms, PLAYER_START_KEYFRAME)) {
            /* Refused half done, the pipeline stays flushing: a new one goes there (wedge.c). */
            if (player_pipe_wedged(pipe))
                return player_unwedge(p, pipe, position_ms, position_ms) ? 0 : BINGE_EMEDIA;
            /* Now and then playbin3 refuses a seek right after another has landed (about one
             * 1,500-seek storm in three): player_tick asks again, so the key is not lost. */
            log_warn("the pipeline refused a seek to %" G_GINT64_FORMAT " ms: asking again",
                     position_ms);
            pipe->phase = PLAYER_PHASE_RUNNING;
            pipe->retry_seek_ms = position_ms;
            pipe->retry_seeks = 0;
        }
    }
    player_touch(p);
    player_wake(p);
    return 0;
}

/* ---- the next episode ---- */

int player_preroll(struct player *p, const char *uri, int64_t start_ms)
{
    if (!p || !uri)
        return BINGE_EINVAL;
    struct player_pipe *pipe = NULL;
    int rc = make_pipe(p, uri, start_ms, true, &pipe);
    if (rc != 0)
        return rc;
    player_cancel_preroll(p);
    log_info("preroll %s at %" G_GINT64_FORMAT " ms", pipe->log_uri, pipe->start_ms);
    p->next = pipe;
    g_mutex_lock(&p->lock);
    p->next_gen = pipe->gen;
    g_mutex_unlock(&p->lock);
    player_apply_target(p, pipe);
    player_wake(p);
    return 0;
}

void player_cancel_preroll(struct player *p)
{
    if (!p || !p->next)
        return;
    struct player_pipe *pipe = p->next;
    p->next = NULL;
    log_debug("preroll cancelled");
    player_retire(p, pipe);
}

bool player_has_preroll(const struct player *p, bool *ready)
{
    if (ready)
        *ready = p && p->next && p->next->ready_sent;
    return p && p->next;
}

int player_swap(struct player *p)
{
    if (!p || !p->next)
        return BINGE_ESTATE;
    struct player_pipe *n = p->next, *old = p->cur;
    if (old)
        player_stats_log(p, old->failed ? "error" : old->eos ? "eos" : "swapped");
    p->next = NULL;
    p->cur = n;
    GstSample *drop = NULL;
    bool published = false;
    g_mutex_lock(&p->lock);
    p->cur_gen = n->gen;
    p->next_gen = 0;
    if (!n->hold && n->last) {
        drop = p->sample;
        p->sample = gst_sample_ref(n->last);
        p->sample_seq = ++p->seq;
        p->frame_notified = true;
        published = true;
    }
    g_mutex_unlock(&p->lock);
    if (drop)
        gst_sample_unref(drop);
    if (old)
        player_retire(p, old);
    player_drop_dead_items(p);

    playback_reset(p);
    p->stats.prerolled = true;
    p->stats.start_variant = n->start_variant;
    p->stats.variant_switches = n->switches;
    player_stats_update(p, n, &p->stats);
    p->state = PLAYER_IDLE; /* the new stream's state is announced in full below */
    n->preroll = false;
    if (n->duration_ms >= 0)
        player_emit_simple(p, PLAYER_EVENT_DURATION);
    if (n->have_variant) {
        struct player_event ev = player_event_of(p, PLAYER_EVENT_VARIANT);
        ev.variant = n->variant;
        player_emit(p, &ev);
    }
    if (n->n_tracks > 0)
        player_emit_simple(p, PLAYER_EVENT_TRACKS);
    if (n->first_frame && (published || !p->vo->frames)) {
        p->shown_first = true;
        player_emit_simple(p, PLAYER_EVENT_FIRST_FRAME);
    }
    player_pipe_show_preroll(n, true);
    player_apply_target(p, n);
    player_sync_state(p);
    log_info("swapped to the next stream (%s)", n->ready_sent ? "prerolled" : "still loading");
    player_wake(p);
    return 0;
}

/* ---- lifetime ---- */

struct player *player_new(const struct player_config *cfg, void (*wake)(void *data), void *data)
{
    if (player_init() != 0)
        return NULL;
    struct player *p = g_new0(struct player, 1);
    g_queue_init(&p->out);
    g_queue_init(&p->items);
    g_queue_init(&p->dying);
    g_mutex_init(&p->lock);
    g_cond_init(&p->reaper_idle);
    g_cond_init(&p->retired_cond);
    p->audio_sink_desc =
        g_strdup(cfg && cfg->audio_sink && cfg->audio_sink[0] ? cfg->audio_sink : "autoaudiosink");
    p->start_bitrate = cfg ? cfg->start_bitrate : 0;
    p->window_handle = cfg ? cfg->window_handle : 0;
    p->display_handle = cfg ? cfg->display_handle : 0;
    p->drm_fd = cfg && cfg->drm_fd > 0 ? cfg->drm_fd : 0;
    int near_end = cfg ? cfg->near_end_ms : 0;
    int stall = cfg ? cfg->stall_timeout_ms : 0;
    int retries = cfg ? cfg->stall_retries : 0;
    p->near_end_ms = near_end == 0 ? PLAYER_DEFAULT_NEAR_END_MS : near_end < 0 ? -1 : near_end;
    p->stall_ms = stall == 0 ? PLAYER_DEFAULT_STALL_MS : stall < 0 ? -1 : stall;
    p->stall_retries = retries > 0 ? retries : PLAYER_DEFAULT_STALL_RETRIES;
    p->wake = wake;
    p->wake_data = data;
    p->state = PLAYER_IDLE;
    p->volume = 1.0;
    p->deadline_ms = -1;
    p->wd_pos_ms = -1;
    player_stats_reset(&p->stats);
    if (cfg && cfg->prefer_decoders)
        player_decoders_prefer(cfg->prefer_decoders);

    const char *output = cfg ? cfg->video_output : NULL;
    p->vo = player_vo_find(output);
    if (!p->vo) {
        log_error("unknown video output \"%s\" (texture, plane or null)", output);
        goto fail;
    }
    if (p->vo->prepare(cfg, &p->video_sink_desc) != 0)
        goto fail;

    /* A typo in the configured sinks should fail here, once, not on every episode. */
    GError *err = NULL;
    GstElement *probe = gst_parse_bin_from_description(p->audio_sink_desc, TRUE, &err);
    if (!probe) {
        log_error("bad audio sink \"%s\": %s", p->audio_sink_desc,
                  err ? err->message : "unknown error");
        g_clear_error(&err);
        goto fail;
    }
    g_clear_error(&err);
    gst_object_unref(gst_object_ref_sink(probe));
    log_debug("video output %s%s%s", p->vo->name, p->video_sink_desc ? ": " : "",
              p->video_sink_desc ? p->video_sink_desc : "");
    return p;
fail:
    player_free(p);
    return NULL;
}

void player_free(struct player *p)
{
    if (!p)
        return;
    player_warm_join();
    player_stop(p);
    /* The only place that waits: for the pipelines being torn down and the diagnosis. */
    player_reaper_wait(p);
    player_diagnose_wait(p);
    if (p->held) {
        gst_video_frame_unmap(&p->held_frame);
        gst_sample_unref(p->held_sample);
        p->held = false;
    }
    if (p->sample)
        gst_sample_unref(p->sample);
    local_http_free(p->local_http);
    g_queue_clear_full(&p->out, g_free);
    for (GList *l = p->items.head; l; l = l->next)
        free_item(l->data);
    g_queue_clear(&p->items);
    g_mutex_clear(&p->lock);
    g_cond_clear(&p->reaper_idle);
    g_cond_clear(&p->retired_cond);
    g_free(p->audio_sink_desc);
    g_free(p->video_sink_desc);
    g_free(p->pref_audio);
    g_free(p->pref_text);
    g_free(p);
}
