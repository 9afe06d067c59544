/* What the app reads and sets on the current stream: state, position, duration, variant,
 * statistics, tracks and the subtitle on screen, volume and mute, the video rectangle, and the
 * frames it draws. UI thread, as the rest of player.c (see player_internal.h). */

#include "binge/error.h"
#include "binge/log.h"
#include "player_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LOG_MODULE("player");

/* ---- getters ---- */

enum player_state player_get_state(const struct player *p)
{
    return p ? p->state : PLAYER_IDLE;
}

int64_t player_get_position_ms(struct player *p)
{
    if (!p || !p->cur)
        return -1;
    struct player_pipe *pipe = p->cur;
    if (pipe->phase == PLAYER_PHASE_PREROLL || pipe->phase == PLAYER_PHASE_SEEKING)
        return pipe->start_ms; /* what the viewer asked for, not the preroll at 0 */
    return player_query_position(pipe);
}

int64_t player_get_duration_ms(struct player *p)
{
    if (!p || !p->cur)
        return -1;
    if (p->cur->duration_ms >= 0 || player_pipe_held(p->cur))
        return p->cur->duration_ms;
    /* Not cached yet: ask, but leave the event to the message that will announce it. */
    gint64 d = -1;
    if (!gst_element_query_duration(p->cur->pipeline, GST_FORMAT_TIME, &d) || d <= 0)
        return -1;
    return d / GST_MSECOND;
}

bool player_get_variant(const struct player *p, struct player_variant *out)
{
    if (!p || !p->cur || !p->cur->have_variant) {
        if (out)
            *out = (struct player_variant){.index = -1};
        return false;
    }
    if (out)
        *out = p->cur->variant;
    return true;
}

void player_get_stats(const struct player *p, struct player_stats *out)
{
    if (!out)
        return;
    player_stats_reset(out);
    if (!p || !p->cur)
        return;
    *out = p->stats;
    /* The lock is the player's own; reading through a const handle does not change it. */
    player_stats_update((struct player *)p, p->cur, out);
    if (p->cur->buffering_since_us)
        out->rebuffer_ms += (g_get_monotonic_time() - p->cur->buffering_since_us) / 1000;
}

size_t player_get_tracks(const struct player *p, struct player_track *out, size_t max)
{
    if (!p || !p->cur)
        return 0;
    size_t n = p->cur->n_tracks;
    bool text_off = player_tracks_text_hidden(p, p->cur); /* hidden, still selected: tracks.c */
    for (size_t i = 0; out && i < n && i < max; i++) {
        out[i] = p->cur->tracks[i];
        if (text_off && out[i].type == PLAYER_TRACK_TEXT)
            out[i].selected = false;
    }
    return n;
}

static int select_track(struct player *p, enum player_track_type type, const char *want)
{
    int rc = 0;
    struct player_pipe *pipes[2] = {p->cur, p->next};
    for (int i = 0; i < 2; i++) {
        struct player_pipe *pipe = pipes[i];
        if (!pipe || !pipe->collection)
            continue;
        pipe->select_attempts = 0; /* a new choice: hlsdemux2 may lose a few again */
        if (want && want[0] && player_tracks_find(pipe, type, want) < 0) {
            if (pipe == p->cur)
                rc = BINGE_ENOTFOUND;
            log_info("no %s track \"%s\" in %s", type == PLAYER_TRACK_AUDIO ? "audio" : "subtitle",
                     want, pipe == p->cur ? "this stream" : "the next stream");
        }
        player_tracks_apply(p, pipe);
    }
    return rc;
}

int player_select_audio(struct player *p, const char *language_or_id)
{
    if (!p || !language_or_id || !language_or_id[0])
        return BINGE_EINVAL;
    g_free(p->pref_audio);
    p->pref_audio = g_strdup(language_or_id);
    return select_track(p, PLAYER_TRACK_AUDIO, language_or_id);
}

int player_select_subtitles(struct player *p, const char *language_or_id)
{
    if (!p || (language_or_id && !language_or_id[0]))
        return BINGE_EINVAL;
    g_free(p->pref_text);
    p->pref_text = g_strdup(language_or_id ? language_or_id : "");
    player_touch(p);
    return select_track(p, PLAYER_TRACK_TEXT, language_or_id);
}

bool player_get_subtitle(struct player *p, char *buf, size_t len)
{
    if (buf && len > 0)
        buf[0] = '\0';
    if (!p || !buf || !p->cur || player_tracks_text_hidden(p, p->cur))
        return false;
    int64_t pos = player_get_position_ms(p);
    if (pos < 0)
        return false;
    /* The cues of the chosen track only: a switch to it takes a moment to reach the sink. */
    int want = p->pref_text ? player_tracks_find(p->cur, PLAYER_TRACK_TEXT, p->pref_text) : -1;
    return player_cues_lookup(p, p->cur, pos, want >= 0 ? p->cur->tracks[want].id : NULL, buf, len);
}

static void set_on_pipes(struct player *p, const char *prop, const GValue *v)
{
    struct player_pipe *pipes[2] = {p->cur, p->next};
    for (int i = 0; i < 2; i++) {
        if (pipes[i] && pipes[i]->pipeline)
            g_object_set_property(G_OBJECT(pipes[i]->pipeline), prop, v);
    }
}

int player_set_volume(struct player *p, double volume)
{
    if (!p || isnan(volume))
        return BINGE_EINVAL;
    p->volume = volume < 0 ? 0 : volume > 1 ? 1 : volume;
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_DOUBLE);
    g_value_set_double(&v, p->volume);
    set_on_pipes(p, "volume", &v);
    g_value_unset(&v);
    return 0;
}

int player_set_mute(struct player *p, bool mute)
{
    if (!p)
        return BINGE_EINVAL;
    p->mute = mute;
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_BOOLEAN);
    g_value_set_boolean(&v, mute);
    set_on_pipes(p, "mute", &v);
    g_value_unset(&v);
    return 0;
}

double player_get_volume(const struct player *p)
{
    return p ? p->volume : 0;
}

bool player_get_mute(const struct player *p)
{
    return p && p->mute;
}

int player_set_video_rect(struct player *p, int x, int y, int w, int h)
{
    if (!p)
        return BINGE_EINVAL;
    if (strcmp(p->vo->name, "plane") != 0)
        return BINGE_ESTATE;
    g_mutex_lock(&p->lock);
    p->rect[0] = x;
    p->rect[1] = y;
    p->rect[2] = w;
    p->rect[3] = h;
    g_mutex_unlock(&p->lock);
    struct player_pipe *pipes[2] = {p->cur, p->next};
    for (int i = 0; i < 2; i++) {
        if (!pipes[i] || !pipes[i]->overlay)
            continue;
        GstVideoOverlay *ov = GST_VIDEO_OVERLAY(pipes[i]->overlay);
        /* -1 x -1: the whole window again. */
        gst_video_overlay_set_render_rectangle(ov, x, y, w > 0 ? w : -1, h > 0 ? h : -1);
        gst_video_overlay_expose(ov);
    }
    return 0;
}

/* ---- frames (UI thread) ---- */

bool player_acquire_frame(struct player *p, uint64_t last_seq, struct player_frame *frame)
{
    if (!p || !frame)
        return false;
    if (p->held) {
        log_warn("a frame is still held; release it before acquiring the next");
        return false;
    }
    GstSample *sample = NULL;
    uint64_t seq = 0;
    g_mutex_lock(&p->lock);
    p->frame_notified = false;
    if (p->sample && p->sample_seq > last_seq) {
        sample = gst_sample_ref(p->sample);
        seq = p->sample_seq;
    }
    g_mutex_unlock(&p->lock);
    if (!sample)
        return false;

    GstVideoInfo info;
    GstCaps *caps = gst_sample_get_caps(sample);
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    if (!caps || !buffer || !gst_video_info_from_caps(&info, caps)) {
        log_warn("frame without usable caps");
        goto fail;
    }
    enum player_format format;
    if (GST_VIDEO_INFO_FORMAT(&info) == GST_VIDEO_FORMAT_I420) {
        format = PLAYER_FORMAT_I420;
    } else if (GST_VIDEO_INFO_FORMAT(&info) == GST_VIDEO_FORMAT_NV12) {
        format = PLAYER_FORMAT_NV12;
    } else {
        log_warn("unexpected frame format %s", GST_VIDEO_INFO_NAME(&info));
        goto fail;
    }
    /* Honours GstVideoMeta, so padded decoder buffers give their real strides. */
    if (!gst_video_frame_map(&p->held_frame, &info, buffer, GST_MAP_READ)) {
        log_warn("cannot map a video frame");
        goto fail;
    }

    memset(frame, 0, sizeof(*frame));
    frame->format = format;
    frame->width = GST_VIDEO_FRAME_WIDTH(&p->held_frame);
    frame->height = GST_VIDEO_FRAME_HEIGHT(&p->held_frame);
    frame->par_n = GST_VIDEO_INFO_PAR_N(&info) > 0 ? GST_VIDEO_INFO_PAR_N(&info) : 1;
    frame->par_d = GST_VIDEO_INFO_PAR_D(&info) > 0 ? GST_VIDEO_INFO_PAR_D(&info) : 1;
    unsigned n_planes = GST_VIDEO_FRAME_N_PLANES(&p->held_frame);
    for (unsigned i = 0; i < n_planes && i < 3; i++) {
        frame->planes[i] = GST_VIDEO_FRAME_PLANE_DATA(&p->held_frame, i);
        frame->strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE(&p->held_frame, i);
    }
    frame->seq = seq;
    frame->pts_ms = -1;
    const GstSegment *segment = gst_sample_get_segment(sample);
    GstClockTime pts = GST_BUFFER_PTS(buffer);
    if (segment && segment->format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID(pts)) {
        guint64 t = gst_segment_to_stream_time(segment, GST_FORMAT_TIME, pts);
        if (GST_CLOCK_TIME_IS_VALID(t))
            frame->pts_ms = (int64_t)(t / GST_MSECOND);
    }
    frame->priv_ = &p->held_frame;
    p->held_sample = sample;
    p->held = true;
    return true;
fail:
    gst_sample_unref(sample);
    return false;
}

void player_release_frame(struct player *p, struct player_frame *frame)
{
    if (!p || !frame || !p->held || frame->priv_ != &p->held_frame)
        return;
    gst_video_frame_unmap(&p->held_frame);
    gst_sample_unref(p->held_sample);
    p->held_sample = NULL;
    p->held = false;
    memset(frame, 0, sizeof(*frame));
}
