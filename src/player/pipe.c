#include "binge/error.h"
#include "binge/log.h"
#include "player_internal.h"

#include <gst/app/gstappsink.h>
#include <gst/video/videooverlay.h>

#include <stdio.h>
#include <string.h>

LOG_MODULE("player");

/* One playbin3 and what hangs on it, and the code that runs on GStreamer's threads: the bus sync
 * handler, the appsink callbacks and the pad probes. They only queue items for the UI thread
 * and fill the fields player_internal.h marks "lock". */

void player_wake(struct player *p)
{
    if (p->wake)
        p->wake(p->wake_data);
}

static bool live_locked(const struct player *p, unsigned gen)
{
    return gen != 0 && (gen == p->cur_gen || gen == p->next_gen);
}

/* Queues an item if gen is live; returns whether the UI needs a wake. Takes msg. */
static bool queue_locked(struct player *p, enum player_item_kind kind, unsigned gen,
                         GstMessage **msg)
{
    if (!live_locked(p, gen))
        return false;
    struct player_item *it = g_new0(struct player_item, 1);
    it->kind = kind;
    it->gen = gen;
    if (msg) {
        it->msg = *msg;
        *msg = NULL;
    }
    g_queue_push_tail(&p->items, it);
    /* The UI drains the whole queue when it answers, so one wake per batch is enough. */
    bool wake = !p->events_notified;
    p->events_notified = true;
    return wake;
}

static void push_message(struct player_pipe *pipe, GstMessage *msg)
{
    struct player *p = pipe->player;
    g_mutex_lock(&p->lock);
    bool wake = queue_locked(p, PLAYER_ITEM_MESSAGE, pipe->gen, &msg);
    g_mutex_unlock(&p->lock);
    if (msg)
        gst_message_unref(msg); /* from a stream being torn down */
    if (wake)
        player_wake(p);
}

/* ---- bus (sync handler, any thread) ---- */

static void set_window(struct player_pipe *pipe, GstVideoOverlay *overlay)
{
    struct player *p = pipe->player;
    if (p->window_handle)
        gst_video_overlay_set_window_handle(overlay, (guintptr)p->window_handle);
    int r[4];
    g_mutex_lock(&p->lock);
    memcpy(r, p->rect, sizeof(r));
    g_mutex_unlock(&p->lock);
    if (r[2] > 0 && r[3] > 0)
        gst_video_overlay_set_render_rectangle(overlay, r[0], r[1], r[2], r[3]);
}

/* waylandsink draws into the application's surface only with the application's display. */
static void answer_context(struct player_pipe *pipe, GstMessage *msg)
{
    const char *type = NULL;
    if (!pipe->player->display_handle || !gst_message_parse_context_type(msg, &type) ||
        strcmp(type, "GstWaylandDisplayHandleContextType") != 0)
        return;
    GstContext *ctx = gst_context_new(type, TRUE);
    gst_structure_set(gst_context_writable_structure(ctx), "display", G_TYPE_POINTER,
                      (gpointer)pipe->player->display_handle, NULL);
    gst_element_set_context(GST_ELEMENT(GST_MESSAGE_SRC(msg)), ctx);
    gst_context_unref(ctx);
}

/* hlsdemux2's "adaptive-streaming-statistics": one when the master playlist is parsed (with
 * manifest-download-stop), one per variant switch (with bitrate). Its fragment statistics are
 * compiled out in 1.22, hence the pad probes for the first segment. */
static bool on_statistics(struct player_pipe *pipe, GstMessage *msg)
{
    const GstStructure *st = gst_message_get_structure(msg);
    if (!st || !gst_structure_has_name(st, "adaptive-streaming-statistics"))
        return false;
    if (gst_structure_has_field(st, "manifest-download-stop")) {
        struct player *p = pipe->player;
        g_mutex_lock(&p->lock);
        if (!pipe->manifest_us)
            pipe->manifest_us = g_get_monotonic_time();
        /* Posted once hlsdemux2's process_manifest has returned: a teardown may go on. */
        pipe->manifest_in_demux = false;
        g_cond_broadcast(&p->retired_cond);
        g_mutex_unlock(&p->lock);
        /* The start variant is chosen by now (see setup_demux): hand ABR back to the
         * demuxer's own measurements so that it can climb. */
        if (g_atomic_int_compare_and_exchange(&pipe->abr_reset, 1, 0))
            g_object_set(GST_MESSAGE_SRC(msg), "connection-bitrate", 0u, NULL);
        return true;
    }
    return gst_structure_has_field(st, "bitrate");
}

/* Returning GST_BUS_DROP hands the message to this handler: it is either queued for the UI
 * thread or unreffed here. Nobody else reads this bus. */
static GstBusSyncReply on_bus_message(GstBus *bus, GstMessage *msg, gpointer data)
{
    struct player_pipe *pipe = data;
    bool wanted = false;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_EOS:
    case GST_MESSAGE_BUFFERING:
    case GST_MESSAGE_DURATION_CHANGED:
    case GST_MESSAGE_ASYNC_DONE:
    case GST_MESSAGE_LATENCY:
    case GST_MESSAGE_CLOCK_LOST:
    case GST_MESSAGE_STREAM_COLLECTION:
    case GST_MESSAGE_STREAMS_SELECTED:
        wanted = true;
        break;
    case GST_MESSAGE_STATE_CHANGED:
        /* Only the pipeline's own state matters; every element posts these. */
        wanted = GST_MESSAGE_SRC(msg) == GST_OBJECT_CAST(pipe->pipeline);
        break;
    case GST_MESSAGE_ELEMENT:
        /* The window handle must be set before this returns: the sink waits for it. */
        if (gst_is_video_overlay_prepare_window_handle_message(msg))
            set_window(pipe, GST_VIDEO_OVERLAY(GST_MESSAGE_SRC(msg)));
        else
            wanted = on_statistics(pipe, msg);
        break;
    case GST_MESSAGE_NEED_CONTEXT:
        answer_context(pipe, msg);
        break;
    default:
        break;
    }
    if (wanted)
        push_message(pipe, msg);
    else
        gst_message_unref(msg);
    return GST_BUS_DROP;
}

/* ---- frames (streaming threads) ---- */

/* A frame reached the video sink: the first one of a pipe is an event for the UI, unless the
 * start seek holds it back (release_hold in player.c then announces it). */
static bool first_frame_locked(struct player_pipe *pipe)
{
    struct player *p = pipe->player;
    pipe->saw_frame = true;
    if (pipe->hold || pipe->first_queued)
        return false;
    pipe->first_queued = true;
    pipe->first_frame_us = g_get_monotonic_time();
    return queue_locked(p, PLAYER_ITEM_FIRST_FRAME, pipe->gen, NULL);
}

static void caps_size(GstCaps *caps, int *w, int *h)
{
    const GstStructure *s =
        caps && gst_caps_get_size(caps) > 0 ? gst_caps_get_structure(caps, 0) : NULL;
    if (!s || !gst_structure_get_int(s, "width", w) || !gst_structure_get_int(s, "height", h))
        *w = *h = 0;
}

static void store_sample(struct player_pipe *pipe, GstSample *sample)
{
    struct player *p = pipe->player;
    GstSample *old = NULL, *old_published = NULL;
    bool wake = false;
    int w, h;
    caps_size(gst_sample_get_caps(sample), &w, &h);

    g_mutex_lock(&p->lock);
    bool current = pipe->gen == p->cur_gen;
    if (!live_locked(p, pipe->gen) ||
        (pipe->last && gst_sample_get_buffer(pipe->last) == gst_sample_get_buffer(sample))) {
        /* A stream being torn down, or the prerolled buffer rendered again on PLAYING (the
         * held ref keeps a recycled buffer from reusing the pointer). */
        g_mutex_unlock(&p->lock);
        gst_sample_unref(sample);
        return;
    }
    old = pipe->last;
    pipe->last = sample;
    pipe->frame_w = w;
    pipe->frame_h = h;
    if (current && !pipe->hold) {
        old_published = p->sample;
        p->sample = gst_sample_ref(sample);
        p->sample_seq = ++p->seq;
        if (!p->frame_notified)
            wake = true;
        p->frame_notified = true;
    }
    wake |= first_frame_locked(pipe);
    g_mutex_unlock(&p->lock);

    if (old)
        gst_sample_unref(old);
    if (old_published)
        gst_sample_unref(old_published);
    if (wake)
        player_wake(p);
}

static GstFlowReturn on_new_preroll(GstAppSink *sink, gpointer data)
{
    /* The preroll frame is the earliest picture there is: showing it, instead of waiting for
     * PLAYING, is what makes an episode start look instant - and it is what a prerolled next
     * episode shows the moment it is swapped in. */
    GstSample *sample = gst_app_sink_pull_preroll(sink);
    if (sample)
        store_sample(data, sample);
    return GST_FLOW_OK;
}

static GstFlowReturn on_new_sample(GstAppSink *sink, gpointer data)
{
    GstSample *sample = gst_app_sink_pull_sample(sink);
    if (sample)
        store_sample(data, sample);
    return GST_FLOW_OK;
}

/* Outputs without frames for the UI: the first buffer at the sink is the first frame. */
static GstPadProbeReturn video_sink_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct player_pipe *pipe = data;
    struct player *p = pipe->player;
    int w, h;
    GstCaps *caps = gst_pad_get_current_caps(pad);
    caps_size(caps, &w, &h);
    if (caps)
        gst_caps_unref(caps);
    g_mutex_lock(&p->lock);
    bool live = live_locked(p, pipe->gen);
    /* The sink's caps can be the window's size (a scaler sits before it): the decoder's tell
     * the picture's (decoder_caps_probe). */
    if (!pipe->frame_w) {
        pipe->frame_w = w;
        pipe->frame_h = h;
    }
    bool wake = live && first_frame_locked(pipe);
    bool done = !live || pipe->first_queued;
    g_mutex_unlock(&p->lock);
    if (wake)
        player_wake(p);
    return done ? GST_PAD_PROBE_REMOVE : GST_PAD_PROBE_OK;
}

/* ---- hlsdemux2 (streaming threads) ---- */

/* The first media data out of the demuxer (QoE), and how far in stream time its output got:
 * where a missing segment begins when a download fails for good. */
static GstPadProbeReturn demux_src_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct player_pipe *pipe = data;
    struct player *p = pipe->player;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    int64_t end_ms = -1;
    GstEvent *seg_ev = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
    if (seg_ev && buf && GST_BUFFER_PTS_IS_VALID(buf)) {
        const GstSegment *seg = NULL;
        gst_event_parse_segment(seg_ev, &seg);
        GstClockTime end = GST_BUFFER_PTS(buf);
        if (GST_BUFFER_DURATION_IS_VALID(buf))
            end += GST_BUFFER_DURATION(buf);
        guint64 t = seg && seg->format == GST_FORMAT_TIME
                        ? gst_segment_to_stream_time(seg, GST_FORMAT_TIME, end)
                        : GST_CLOCK_TIME_NONE;
        if (GST_CLOCK_TIME_IS_VALID(t))
            end_ms = (int64_t)(t / GST_MSECOND);
    }
    if (seg_ev)
        gst_event_unref(seg_ev);
    g_mutex_lock(&p->lock);
    if (end_ms >= 0)
        end_ms += pipe->time_offset_ms; /* the pad keeps hlsdemux2's own segment */
    if (!pipe->first_segment_us)
        pipe->first_segment_us = g_get_monotonic_time();
    if (end_ms > pipe->out_end_ms)
        pipe->out_end_ms = end_ms;
    g_mutex_unlock(&p->lock);
    return GST_PAD_PROBE_OK;
}

/* A skipped hole: every segment out of hlsdemux2 says the stream's time (its own plus
 * time_offset_ms), so that positions, frame times, cues and the duration downstream are the
 * stream's. The pad itself keeps the segment hlsdemux2 sent. */
static GstPadProbeReturn demux_event_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct player_pipe *pipe = data;
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (!ev || GST_EVENT_TYPE(ev) != GST_EVENT_SEGMENT)
        return GST_PAD_PROBE_OK;
    g_mutex_lock(&pipe->player->lock);
    int64_t offset = pipe->time_offset_ms;
    g_mutex_unlock(&pipe->player->lock);
    const GstSegment *seg = NULL;
    gst_event_parse_segment(ev, &seg);
    if (offset <= 0 || !seg || seg->format != GST_FORMAT_TIME)
        return GST_PAD_PROBE_OK;
    GstSegment moved;
    gst_segment_copy_into(seg, &moved);
    moved.time += (guint64)offset * GST_MSECOND;
    GstEvent *out = gst_event_new_segment(&moved);
    gst_event_set_seqnum(out, gst_event_get_seqnum(ev));
    gst_event_unref(ev);
    GST_PAD_PROBE_INFO_DATA(info) = out;
    (void)pad;
    return GST_PAD_PROBE_OK;
}

static void on_demux_pad(GstElement *demux, GstPad *pad, gpointer data)
{
    if (GST_PAD_IS_SRC(pad)) {
        gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, demux_src_probe, data, NULL);
        struct player_pipe *pipe = data;
        if (pipe->drop_segments > 0) /* only a pipe that leaves a head out moves time */
            gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, demux_event_probe, data,
                              NULL);
    }
}

/* The master playlist is complete: read its variants (for VARIANT events and the stats), drop
 * the audio-only ones and steer the start variant, all before hlsdemux2 parses it (it does so
 * on this EOS). Returns whether playlist bytes went into hlsdemux2. */
static bool manifest_complete(struct player_pipe *pipe, GstPad *pad, GstElement *demux)
{
    struct player *p = pipe->player;
    const char *text = pipe->manifest ? pipe->manifest->str : "";
    struct player_master_variant v[PLAYER_MAX_VARIANTS];
    int n = player_variants_parse(text, v, PLAYER_MAX_VARIANTS);
    /* An audio-only variant (HLS allows one for cellular) is a black screen for a video app,
     * and ABR would pick it by bandwidth, even at the start: hlsdemux2 never sees it. */
    char *rewritten = player_variants_drop_audio_only(text);
    if (rewritten) {
        int kept = 0;
        for (int i = 0; i < n; i++) {
            if (v[i].audio_only)
                player_variants_clear(&v[i], 1);
            else
                v[kept++] = v[i];
        }
        log_info("master playlist: %d audio-only variant(s) left out", n - kept);
        n = kept;
    }
    struct player_track renditions[PLAYER_MAX_TRACKS];
    int n_renditions = n > 0 ? player_tracks_renditions(text, renditions, PLAYER_MAX_TRACKS) : 0;
    /* The viewer's dub and subtitles as the renditions hlsdemux2 starts with (tracks.c). */
    if (n > 0 && (pipe->want_audio || pipe->want_text)) {
        char *preferred =
            player_tracks_prefer(rewritten ? rewritten : text, pipe->want_audio, pipe->want_text);
        if (preferred) {
            g_free(rewritten);
            rewritten = preferred;
        }
    }
    /* A media playlist: where each segment starts, to skip one that fails (segments.c). */
    int64_t *starts = NULL;
    int n_starts = n > 0 ? 0 : player_playlist_starts(text, &starts);
    /* A skipped hole (recover.c, player_skip_missing): hlsdemux2 gets the playlist without the
     * segments up to the one after the hole, and its time is moved on by where that starts. */
    int64_t offset = 0;
    if (pipe->drop_segments > 0 && n_starts > pipe->drop_segments && !rewritten) {
        rewritten = player_playlist_drop_head(text, pipe->drop_segments);
        if (rewritten) {
            offset = starts[pipe->drop_segments];
            log_info(
                "media playlist: its first %d segment(s) left out, playing from %" G_GINT64_FORMAT
                " ms",
                pipe->drop_segments, offset);
        } else {
            log_warn("media playlist: cannot leave out its first %d segment(s)",
                     pipe->drop_segments);
        }
    }
    /* A known hole ahead (recover.c): hlsdemux2 gets the segments before it and an end. */
    bool cut = false;
    if (pipe->keep_segments > 0 && pipe->drop_segments == 0 && n_starts > pipe->keep_segments &&
        !rewritten) {
        rewritten = player_playlist_keep_head(text, pipe->keep_segments);
        cut = rewritten != NULL;
        if (cut)
            log_info("media playlist: cut after its first %d segment(s), before a missing one",
                     pipe->keep_segments);
        else
            log_warn("media playlist: cannot cut it after %d segment(s)", pipe->keep_segments);
    }
    int initial = n > 0 ? 0 : -1; /* hlsdemux2 starts on the first one listed by default */
    if (n > 0 && p->start_bitrate)
        initial = player_variants_for_bitrate(v, n, p->start_bitrate, 0);
    g_mutex_lock(&p->lock);
    player_variants_clear(pipe->parsed, pipe->n_parsed);
    memcpy(pipe->parsed, v, sizeof(v[0]) * (size_t)n);
    pipe->n_parsed = n;
    pipe->initial_variant = initial;
    pipe->time_offset_ms = offset;
    pipe->cut_done = cut;
    memcpy(pipe->renditions, renditions, sizeof(renditions[0]) * (size_t)n_renditions);
    pipe->n_renditions = n_renditions;
    if (n_starts > 0) {
        g_free(pipe->seg_starts);
        pipe->seg_starts = starts;
        pipe->n_seg_starts = n_starts;
        starts = NULL;
    }
    g_mutex_unlock(&p->lock);
    g_free(starts);

    /* The bytes held back go on now, rewritten or not, in one buffer. */
    GString *held = pipe->manifest;
    pipe->manifest = NULL;
    gsize len = rewritten ? strlen(rewritten) : held ? held->len : 0;
    gpointer data = rewritten ? (gpointer)rewritten : held ? g_string_free(held, FALSE) : NULL;
    if (rewritten && held)
        g_string_free(held, TRUE);
    if (!data)
        return false;
    pipe->manifest_through = true;
    GstFlowReturn ret = gst_pad_chain(pad, gst_buffer_new_wrapped(data, len));
    if (ret != GST_FLOW_OK)
        log_debug("playlist refused by the demuxer: %s", gst_flow_get_name(ret));
    (void)demux;
    return ret == GST_FLOW_OK;
}

/* The playlist's end, on its way into hlsdemux2, whose handling of it (process_manifest) fetches
 * the variant playlist of a master, blocking, on this thread. GStreamer 1.22 (fixed in 1.24.1,
 * 9ce063f5f6 "adaptivedemux2: Handle context going away", MR 6410) lets that handling start
 * after a teardown has stopped the demuxer's scheduler loop (gst_adaptive_demux_loop_pause_and_
 * lock takes the loop's context lock once the loop thread has gone, without checking that it
 * was stopped), and the fetch then meets a download helper that is stopped or being stopped:
 * submitted to a stopped one it fails with no error set, and process_manifest reads
 * err->message (the SIGSEGV of test_home under qemu-arm: home's instant start drops prerolls
 * fast); cut by the stop it comes back with no data (g_assert (buf) in download_media_playlist,
 * likely the abort test_offline met once under qemu-aarch64 when a re-tune dropped one). So
 * the end of a playlist goes in only while its pipe is live, and the teardown waits until
 * hlsdemux2 has handled one that went in (manifest_in_demux, settle): the two never overlap. */
static GstPadProbeReturn manifest_eos(struct player_pipe *pipe, GstPad *pad)
{
    struct player *p = pipe->player;
    g_mutex_lock(&p->lock);
    bool dropped = pipe->retired;
    if (!dropped)
        pipe->manifest_in_demux = true; /* before any byte or the end goes in */
    g_mutex_unlock(&p->lock);
    if (dropped) {
        log_debug("playlist of dropped stream %u not handed to the demuxer", pipe->gen);
        if (pipe->manifest)
            g_string_free(pipe->manifest, TRUE);
        pipe->manifest = NULL;
        return GST_PAD_PROBE_DROP;
    }
    bool fed = pipe->manifest_through; /* its bytes went in as they came */
    if (!fed) {
        GstElement *demux = GST_ELEMENT(gst_pad_get_parent(pad));
        fed = manifest_complete(pipe, pad, demux);
        if (demux)
            gst_object_unref(demux);
    }
    if (!fed) {
        /* Nothing went in: hlsdemux2 handles an empty playlist without a statistics message. */
        g_mutex_lock(&p->lock);
        pipe->manifest_in_demux = false;
        g_cond_broadcast(&p->retired_cond);
        g_mutex_unlock(&p->lock);
    }
    return GST_PAD_PROBE_REMOVE;
}

/* Holds the playlist bytes back until the playlist is complete (see manifest_complete). */
static GstPadProbeReturn manifest_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct player_pipe *pipe = data;
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
        if (pipe->manifest_through)
            return GST_PAD_PROBE_OK;
        GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
        if (!pipe->manifest)
            pipe->manifest = g_string_new(NULL);
        GstMapInfo map;
        if (gst_buffer_map(buf, &map, GST_MAP_READ)) {
            g_string_append_len(pipe->manifest, (const char *)map.data, (gssize)map.size);
            gst_buffer_unmap(buf, &map);
        }
        if (pipe->manifest->len > PLAYER_MAX_MANIFEST) {
            /* Not a playlist to rewrite: what was held goes on as it was, and the rest. */
            GString *held = pipe->manifest;
            pipe->manifest = NULL;
            pipe->manifest_through = true;
            gsize len = held->len;
            gst_pad_chain(pad, gst_buffer_new_wrapped(g_string_free(held, FALSE), len));
        }
        return GST_PAD_PROBE_DROP;
    }
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (ev && GST_EVENT_TYPE(ev) == GST_EVENT_EOS)
        return manifest_eos(pipe, pad);
    return GST_PAD_PROBE_OK;
}

/* Fast start on GStreamer 1.22, as measured (tests/integration/test_player_streams.c):
 *   - playbin3 "connection-speed" reaches hlsdemux2 as a fixed bitrate: the start is low, but
 *     ABR never climbs, because a non-zero connection speed replaces the measured bandwidth for
 *     every later decision too.
 *   - hlsdemux2 "start-bitrate" alone does nothing: process_manifest() only reads it when a
 *     connection speed is also set (gsthlsdemux.c, 1.22.0).
 * So both are set here, and the connection speed is cleared once the master playlist is parsed
 * (on_statistics), after the start variant is chosen: the first segments come from the low
 * variant and the demuxer climbs on its own measurements from there. */
static void setup_demux(struct player_pipe *pipe, GstElement *demux)
{
    struct player *p = pipe->player;
    GstPad *sink = gst_element_get_static_pad(demux, "sink");
    if (sink) {
        gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                          manifest_probe, pipe, NULL);
        gst_object_unref(sink);
    }
    g_signal_connect(demux, "pad-added", G_CALLBACK(on_demux_pad), pipe);
    if (p->start_bitrate) {
        g_object_set(demux, "connection-bitrate", p->start_bitrate, "start-bitrate",
                     p->start_bitrate, NULL);
        g_atomic_int_set(&pipe->abr_reset, 1);
    }
}

/* The decoded picture's size, whatever the sink scales it to. */
static GstPadProbeReturn decoder_caps_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct player_pipe *pipe = data;
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (!ev || GST_EVENT_TYPE(ev) != GST_EVENT_CAPS)
        return GST_PAD_PROBE_OK;
    GstCaps *caps = NULL;
    gst_event_parse_caps(ev, &caps);
    int w, h;
    caps_size(caps, &w, &h);
    if (w > 0 && h > 0) {
        g_mutex_lock(&pipe->player->lock);
        pipe->frame_w = w;
        pipe->frame_h = h;
        g_mutex_unlock(&pipe->player->lock);
    }
    return GST_PAD_PROBE_OK;
}

static bool has_property(GstElement *e, const char *name)
{
    return g_object_class_find_property(G_OBJECT_GET_CLASS(e), name) != NULL;
}

static void on_element_added(GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer data)
{
    struct player_pipe *pipe = data;
    GstElementFactory *f = gst_element_get_factory(element);
    if (!f)
        return;
    const char *name = GST_OBJECT_NAME(f);
    const char *klass = gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS);
    if (klass && (strstr(klass, "Demux") || strstr(klass, "Decoder")))
        log_debug("using %s (%s)", name, klass);
    if (klass && strstr(klass, "Adaptive") && has_property(element, "start-bitrate") &&
        has_property(element, "connection-bitrate"))
        setup_demux(pipe, element);
    else if (klass && strstr(klass, "Decoder") && strstr(klass, "Video")) {
        g_mutex_lock(&pipe->player->lock);
        g_strlcpy(pipe->video_decoder, name, sizeof(pipe->video_decoder));
        g_mutex_unlock(&pipe->player->lock);
        GstPad *src = gst_element_get_static_pad(element, "src");
        if (src) {
            gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, decoder_caps_probe, pipe,
                              NULL);
            gst_object_unref(src);
        }
    } else if (strcmp(name, "subparse") == 0) {
        GstPad *sink = gst_element_get_static_pad(element, "sink");
        if (sink) {
            gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, player_subparse_probe, pipe, NULL);
            gst_object_unref(sink);
        }
    }
}

/* ---- building and tearing down (UI thread, reaper) ---- */

static GstElement *make_audio_sink(const char *desc)
{
    GError *err = NULL;
    GstElement *sink = gst_parse_bin_from_description(desc, TRUE, &err);
    if (!sink) {
        log_error("bad audio sink \"%s\": %s", desc, err ? err->message : "unknown error");
        g_clear_error(&err);
        return NULL;
    }
    if (err) { /* recoverable parse problems, e.g. an unknown property */
        log_warn("audio sink \"%s\": %s", desc, err->message);
        g_clear_error(&err);
    }
    return sink;
}

void player_pipe_show_preroll(struct player_pipe *pipe, bool show)
{
    GstElement *sink = pipe->overlay ? pipe->overlay : pipe->video_sink;
    if (sink && has_property(sink, "show-preroll-frame"))
        g_object_set(sink, "show-preroll-frame", show, NULL);
}

struct player_pipe *player_pipe_new(struct player *p, const char *uri, const char *play_uri,
                                    int64_t start_ms, bool preroll)
{
    struct player_pipe *pipe = g_new0(struct player_pipe, 1);
    pipe->player = p;
    if (++p->last_gen == 0) /* 0 means "none" */
        p->last_gen = 1;
    pipe->gen = p->last_gen;
    pipe->uri = g_strdup(uri);
    pipe->log_uri = g_strndup(uri, strcspn(uri, "?"));
    pipe->want_audio = g_strdup(p->pref_audio);
    pipe->want_text = g_strdup(p->pref_text);
    pipe->request_us = g_get_monotonic_time();
    pipe->created_us = pipe->request_us;
    pipe->preroll = preroll;
    pipe->start_ms = start_ms > 0 ? start_ms : 0;
    pipe->phase = pipe->start_ms > 0 ? PLAYER_PHASE_PREROLL : PLAYER_PHASE_RUNNING;
    pipe->target = GST_STATE_VOID_PENDING;
    pipe->duration_ms = -1;
    pipe->buffer_percent = -1;
    pipe->hold = pipe->start_ms > 0;
    pipe->initial_variant = -1;
    pipe->start_variant.index = -1;
    pipe->variant.index = -1;
    pipe->pending_seek_ms = -1;
    pipe->retry_seek_ms = -1;
    pipe->skip_from_ms = -1;
    pipe->skip_to_ms = -1;
    pipe->out_end_ms = -1;
    pipe->failed_start_ms = -1;
    pipe->skip_before_ms = -1;
    pipe->cut_from_ms = -1;
    pipe->cut_to_ms = -1;
    g_queue_init(&pipe->cues);
    gst_segment_init(&pipe->text_segment, GST_FORMAT_TIME);

    GstElement *pipeline = gst_element_factory_make("playbin3", NULL);
    GstElement *video = p->vo->make_sink(p->video_sink_desc);
    GstElement *audio = make_audio_sink(p->audio_sink_desc);
    GstElement *text = gst_element_factory_make("fakesink", "binge-text");
    if (!pipeline || !video || !audio || !text) {
        log_error("cannot build the pipeline (playbin3, the video, audio or text sink)");
        goto fail;
    }
    pipe->video_sink = gst_object_ref_sink(video); /* ours until destroy, on top of playbin3's */
    /* kmssink beside SDL's kmsdrm: only the DRM master may set planes, and that is SDL's file. */
    if (p->drm_fd > 0 && g_object_class_find_property(G_OBJECT_GET_CLASS(video), "fd")) {
        g_object_set(video, "fd", p->drm_fd, NULL);
        log_info("video sink draws through SDL's DRM file (fd %d)", p->drm_fd);
    }
    pipe->text_sink = gst_object_ref_sink(text);

    if (p->vo->frames) {
        GstAppSinkCallbacks cbs = {.new_preroll = on_new_preroll, .new_sample = on_new_sample};
        gst_app_sink_set_callbacks(GST_APP_SINK(video), &cbs, pipe, NULL);
    } else {
        GstPad *pad = gst_element_get_static_pad(video, "sink");
        if (pad) {
            gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, video_sink_probe, pipe, NULL);
            gst_object_unref(pad);
        }
        if (GST_IS_VIDEO_OVERLAY(video))
            pipe->overlay = gst_object_ref(video);
        else if (GST_IS_BIN(video))
            pipe->overlay = gst_bin_get_by_interface(GST_BIN(video), GST_TYPE_VIDEO_OVERLAY);
        if (pipe->overlay)
            set_window(pipe, GST_VIDEO_OVERLAY(pipe->overlay));
        /* A prerolled episode must not draw over the one playing; a start seek must not flash
         * the picture at 0. The swap or the seek's end shows it. */
        if (preroll || pipe->start_ms > 0)
            player_pipe_show_preroll(pipe, false);
    }

    /* Subtitles come to this sink so that binge draws them itself (see tracks.c for the
     * timing). playsink forces sync=true on it; async=false keeps sparse text out of preroll. */
    g_object_set(text, "sync", TRUE, "async", FALSE, "enable-last-sample", FALSE, NULL);
    GstPad *tpad = gst_element_get_static_pad(text, "sink");
    if (tpad) {
        gst_pad_add_probe(tpad,
                          GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                              GST_PAD_PROBE_TYPE_EVENT_FLUSH,
                          player_text_probe, pipe, NULL);
        gst_object_unref(tpad);
    }

    g_object_set(pipeline, "uri", play_uri, "video-sink", video, "audio-sink", audio, "text-sink",
                 text, "volume", p->volume, "mute", p->mute, NULL);
    audio = NULL; /* floating ref taken by playbin3 */
    g_signal_connect(pipeline, "deep-element-added", G_CALLBACK(on_element_added), pipe);

    GstBus *bus = gst_element_get_bus(pipeline);
    gst_bus_set_sync_handler(bus, on_bus_message, pipe, NULL);
    gst_object_unref(bus);
    pipe->pipeline = pipeline;
    player_segments_attach(pipe);
    return pipe;
fail:
    if (audio)
        gst_object_unref(gst_object_ref_sink(audio));
    if (video && !pipe->video_sink)
        gst_object_unref(gst_object_ref_sink(video));
    if (text && !pipe->text_sink)
        gst_object_unref(gst_object_ref_sink(text));
    if (pipeline)
        gst_object_unref(gst_object_ref_sink(pipeline));
    player_pipe_destroy(pipe);
    return NULL;
}

void player_pipe_destroy(struct player_pipe *pipe)
{
    if (!pipe)
        return;
    if (pipe->pipeline) {
        player_wedge_keep(pipe); /* a demuxer a refused seek left locked is never finalized */
        gst_element_set_state(pipe->pipeline, GST_STATE_NULL);
        GstBus *bus = gst_element_get_bus(pipe->pipeline);
        if (bus) {
            gst_bus_set_sync_handler(bus, NULL, NULL, NULL);
            gst_object_unref(bus);
        }
        g_signal_handlers_disconnect_by_data(pipe->pipeline, pipe);
        player_segments_clear(pipe); /* its threads are gone */
        gst_object_unref(pipe->pipeline);
    }
    if (pipe->video_sink)
        gst_object_unref(pipe->video_sink);
    if (pipe->text_sink)
        gst_object_unref(pipe->text_sink);
    if (pipe->overlay)
        gst_object_unref(pipe->overlay);
    if (pipe->collection)
        gst_object_unref(pipe->collection);
    if (pipe->selected)
        g_ptr_array_unref(pipe->selected);
    if (pipe->last)
        gst_sample_unref(pipe->last);
    if (pipe->manifest)
        g_string_free(pipe->manifest, TRUE);
    player_variants_clear(pipe->variants, pipe->n_variants);
    player_variants_clear(pipe->parsed, pipe->n_parsed);
    g_queue_clear_full(&pipe->cues, player_cue_free);
    g_free(pipe->manifest_uri);
    g_free(pipe->seg_starts);
    g_free(pipe->want_audio);
    g_free(pipe->want_text);
    g_free(pipe->uri);
    g_free(pipe->source);
    g_free(pipe->log_uri);
    g_free(pipe);
}

/* ---- the reaper: teardown off the UI thread ---- */

/* Setting a pipeline to NULL waits for its streaming threads, and hlsdemux2 for its transfers,
 * which a stalled server can hold for seconds: a swap, a re-tune or a cancelled preroll must
 * not freeze the UI for that. The thread lives only while there is work, so an idle player has
 * no thread of its own. */
/* hlsdemux2 (GStreamer 1.22) can lose the stop of its download thread when a pipeline is torn
 * down moments after it was built (the thread has not entered its main loop yet): the teardown
 * then waits on that thread for good, and every pipeline queued behind it with it (seen with
 * home's instant start dropping a preroll a few ms old: 15 pipelines piled up, and the exit
 * hung in player_free). So a pipeline is torn down no younger than PIPE_MIN_AGE_US; this waits
 * on the reaper thread, never on the UI thread. */
#define PIPE_MIN_AGE_US (1000 * 1000)
/* How long a teardown waits for hlsdemux2 to finish with a playlist it was given (manifest_eos):
 * its variant playlist fetch ends within libsoup's 10 s timeout even on a stalled server. A
 * bound against a hang, past which the teardown goes on (logged). */
#define PIPE_MANIFEST_WAIT_US (30 * 1000 * 1000)

/* Waits until the pipe is old enough and hlsdemux2 is not handling its playlist; from here on
 * no playlist end is let into it (manifest_eos). Off the UI thread. */
static void settle(struct player *p, struct player_pipe *pipe)
{
    int64_t age = g_get_monotonic_time() - pipe->created_us;
    if (pipe->created_us > 0 && age >= 0 && age < PIPE_MIN_AGE_US)
        g_usleep((gulong)(PIPE_MIN_AGE_US - age));
    int64_t t0 = g_get_monotonic_time(), until = t0 + PIPE_MANIFEST_WAIT_US;
    g_mutex_lock(&p->lock);
    pipe->retired = true; /* already, through player_retire: and for good */
    bool waited = pipe->manifest_in_demux;
    while (pipe->manifest_in_demux) {
        if (!g_cond_wait_until(&p->retired_cond, &p->lock, until))
            break;
    }
    bool late = pipe->manifest_in_demux;
    g_mutex_unlock(&p->lock);
    if (late)
        log_warn("stream %u: the demuxer still handles its playlist after %d s: tearing down",
                 pipe->gen, PIPE_MANIFEST_WAIT_US / (1000 * 1000));
    else if (waited)
        log_debug("stream %u: waited %" G_GINT64_FORMAT " ms for the demuxer's playlist", pipe->gen,
                  (g_get_monotonic_time() - t0) / 1000);
}

static gpointer reaper_main(gpointer data)
{
    struct player *p = data;
    for (;;) {
        g_mutex_lock(&p->lock);
        struct player_pipe *pipe = g_queue_pop_head(&p->dying);
        if (!pipe) {
            p->reaper_running = false;
            g_cond_broadcast(&p->reaper_idle);
            g_mutex_unlock(&p->lock);
            return NULL;
        }
        g_mutex_unlock(&p->lock);
        int64_t t0 = g_get_monotonic_time();
        unsigned gen = pipe->gen;
        settle(p, pipe);
        player_pipe_destroy(pipe);
        log_debug("stream %u disposed of in %" G_GINT64_FORMAT " ms", gen,
                  (g_get_monotonic_time() - t0) / 1000);
    }
}

void player_pipe_dispose(struct player *p, struct player_pipe *pipe)
{
    if (!pipe)
        return;
    GThread *finished = NULL;
    g_mutex_lock(&p->lock);
    g_queue_push_tail(&p->dying, pipe);
    bool start = !p->reaper_running;
    if (start) {
        finished = p->reaper;
        p->reaper = NULL;
        p->reaper_running = true;
    }
    g_mutex_unlock(&p->lock);
    if (finished)
        g_thread_join(finished); /* it has ended or is about to: its queue was empty */
    if (!start)
        return;
    GError *err = NULL;
    GThread *t = g_thread_try_new("binge-reaper", reaper_main, p, &err);
    if (t) {
        g_mutex_lock(&p->lock);
        p->reaper = t;
        g_mutex_unlock(&p->lock);
        return;
    }
    log_warn("cannot start the reaper thread (%s): tearing down here",
             err ? err->message : "unknown error");
    g_clear_error(&err);
    for (;;) {
        g_mutex_lock(&p->lock);
        struct player_pipe *next = g_queue_pop_head(&p->dying);
        if (!next) {
            p->reaper_running = false;
            g_cond_broadcast(&p->reaper_idle);
        }
        g_mutex_unlock(&p->lock);
        if (!next)
            break;
        settle(p, next);
        player_pipe_destroy(next);
    }
}

void player_reaper_wait(struct player *p)
{
    g_mutex_lock(&p->lock);
    while (p->reaper_running)
        g_cond_wait(&p->reaper_idle, &p->lock);
    GThread *t = p->reaper;
    p->reaper = NULL;
    g_mutex_unlock(&p->lock);
    if (t)
        g_thread_join(t);
}
