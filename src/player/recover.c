/* Errors and recovery: what a GStreamer error means for the viewer, and how a stream goes on
 * past what failed. A pipeline that hlsdemux2 failed in a known race is built again; a missing
 * or failing segment is skipped (the picture plays up to it, then a new pipeline starts after
 * it, or leaves a hole at the head of the media playlist out); a refused key is diagnosed
 * before the viewer gets an error. Everything here runs on the UI thread (player_poll_event and
 * player_tick), as player.c; see player_internal.h. */

#include "binge/error.h"
#include "binge/log.h"
#include "player_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LOG_MODULE("player");

/* After a re-tune, this much progress past the re-tune point counts as recovered. */
#define PLAYER_RECOVERED_MS 1000

/* True when s holds the HTTP status code as a number of its own ("(404)", "404 Not Found"),
 * not as part of a longer number such as a segment index. */
bool player_has_status(const char *s, const char *code)
{
    if (!s)
        return false;
    size_t n = strlen(code);
    for (const char *at = strstr(s, code); at; at = strstr(at + 1, code)) {
        bool digit_before = at > s && g_ascii_isdigit(at[-1]);
        bool digit_after = g_ascii_isdigit(at[n]);
        if (!digit_before && !digit_after)
            return true;
    }
    return false;
}

static bool has_any(const char *s, const char *const *needles)
{
    for (; s && *needles; needles++) {
        if (strstr(s, *needles))
            return true;
    }
    return false;
}

/* The viewer sees msg; the log and ev.detail get the whole story. Returns the kind. */
static enum player_error describe_error(GstObject *src, const GError *err, const char *debug,
                                        char *msg, size_t size)
{
    static const char *const net_words[] = {"Could not connect",
                                            "Could not resolve",
                                            "Connection refused",
                                            "timed out",
                                            "Timeout",
                                            "Cannot resolve",
                                            "Network",
                                            NULL};
    /* hlsdemux2 reports a playlist it could not download as STREAM/WRONG_TYPE, with the cause
     * only in the debug string; it is a loading failure, not a format the box lacks. */
    static const char *const download_words[] = {"Could not fetch", "Couldn't download",
                                                 "Failed to download", NULL};
    const char *text = err->message;
    bool res = err->domain == GST_RESOURCE_ERROR;
    /* souphttpsrc (1.22) reports a refused or dropped connection only as a generic flow error
     * of the source element, so the element tells more than the text. */
    bool from_network_src = false;
    if (src && GST_IS_URI_HANDLER(src) &&
        gst_uri_handler_get_uri_type(GST_URI_HANDLER(src)) == GST_URI_SRC) {
        const char *const *protocols = gst_uri_handler_get_protocols(GST_URI_HANDLER(src));
        for (; protocols && *protocols; protocols++)
            from_network_src |= g_ascii_strcasecmp(*protocols, "http") == 0;
    }
    bool stream = err->domain == GST_STREAM_ERROR;
    /* hlsdemux2 (1.22) turns a key it could not fetch - a 403 for a device that is not entitled,
     * or any other failure of the key URL - into STREAM/DECRYPT_NOKEY "Couldn't retrieve key
     * for decryption", with no HTTP status: the key server's refusal is the usual cause. */
    if (stream && err->code == GST_STREAM_ERROR_DECRYPT_NOKEY) {
        snprintf(msg, size, "This episode isn't unlocked on this device");
        return PLAYER_ERROR_NOT_ENTITLED;
    } else if (stream && err->code == GST_STREAM_ERROR_DECRYPT) {
        snprintf(msg, size, "Can't play this episode: it can't be decrypted");
    } else if ((res && err->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED) ||
               player_has_status(text, "403") || player_has_status(debug, "403") ||
               player_has_status(text, "401") || player_has_status(debug, "401")) {
        snprintf(msg, size, "Access to this episode was refused (%s)",
                 player_has_status(text, "401") || player_has_status(debug, "401") ? "401" : "403");
        return PLAYER_ERROR_NOT_ENTITLED;
    } else if ((res && err->code == GST_RESOURCE_ERROR_NOT_FOUND) ||
               player_has_status(text, "404") || player_has_status(debug, "404")) {
        /* A missing local file says so without pretending to be HTTP. */
        bool http = player_has_status(text, "404") || player_has_status(debug, "404");
        snprintf(msg, size, "Can't play this episode: the stream was not found%s",
                 http ? " (404)" : "");
    } else if (has_any(text, net_words) || has_any(debug, net_words) || from_network_src) {
        snprintf(msg, size, "Can't reach the video server. Check the connection and try again");
        return PLAYER_ERROR_NETWORK;
    } else if (has_any(text, download_words) || has_any(debug, download_words)) {
        snprintf(msg, size, "Can't load this episode. Please try again");
        return PLAYER_ERROR_NETWORK;
    } else if (stream && (err->code == GST_STREAM_ERROR_CODEC_NOT_FOUND ||
                          err->code == GST_STREAM_ERROR_TYPE_NOT_FOUND ||
                          err->code == GST_STREAM_ERROR_WRONG_TYPE)) {
        snprintf(msg, size, "This episode's format can't be played on this device");
    } else if (stream &&
               (err->code == GST_STREAM_ERROR_DECODE || err->code == GST_STREAM_ERROR_DEMUX ||
                err->code == GST_STREAM_ERROR_FORMAT)) {
        snprintf(msg, size, "Can't play this episode: the video is damaged");
    } else if (res) {
        snprintf(msg, size, "Can't load this episode. Please try again");
    } else {
        snprintf(msg, size, "Playback failed");
    }
    return PLAYER_ERROR_OTHER;
}

/* Signed media URLs carry their authorization in the query string; it never reaches the log
 * or the app's error detail. */
static char *redact_queries(const char *s)
{
    GString *out = g_string_sized_new(strlen(s));
    const char *p = s;
    while (*p) {
        const char *scheme = strstr(p, "://");
        if (!scheme) {
            g_string_append(out, p);
            break;
        }
        size_t url_len = strcspn(scheme, " \t\r\n\"'<>()[]{},");
        const char *url_end = scheme + url_len;
        const char *q = memchr(scheme, '?', url_len);
        if (q) {
            g_string_append_len(out, p, q - p);
            g_string_append(out, "?<redacted>");
        } else {
            g_string_append_len(out, p, url_end - p);
        }
        p = url_end;
    }
    return g_string_free(out, FALSE);
}

/* adaptivedemux2 (1.22) fails a stream whose whole playlist was downloaded before its output
 * loop exposed the pads ("Can't push EOS on non-exposed pad", then "Couldn't download
 * fragments" although every download succeeded, HTTP 200). Only a stream of a few segments on
 * a fast network can win that race; building the pipeline again is enough. */
static bool exposure_race(GstMessage *msg, const GError *err, guint status)
{
    GstObject *src = GST_MESSAGE_SRC(msg);
    if (err->domain != GST_RESOURCE_ERROR || err->code != GST_RESOURCE_ERROR_NOT_FOUND ||
        status < 200 || status >= 300 || !GST_IS_ELEMENT(src))
        return false;
    GstElementFactory *f = gst_element_get_factory(GST_ELEMENT(src));
    const char *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : NULL;
    return klass && strstr(klass, "Adaptive");
}

static void report_error(struct player *p, struct player_pipe *pipe, struct player_event *ev);

/* What the app already knows of a stream that is rebuilt: it is not announced again unless
 * it changes. */
void player_carry_over(const struct player_pipe *from, struct player_pipe *to)
{
    to->duration_ms = from->duration_ms;
    to->start_variant = from->start_variant;
    to->variant = from->variant;
    to->have_variant = from->have_variant;
    memcpy(to->tracks, from->tracks, sizeof(to->tracks));
    to->n_tracks = from->n_tracks;
}

/* Where a pipe built to skip the hole of pipe ends its skipping: failures of segments before
 * this are the hole (or the segments before it, fetched again while prerolling at 0). */
static int64_t from_hole(const struct player_pipe *pipe, int64_t start)
{
    return pipe->skip_to_ms >= 0 ? pipe->skip_to_ms - 1 : start;
}

static int hole_drop(struct player *p, const struct player_pipe *pipe, int64_t to);

/* A hole ahead that a new pipe must not fetch: its media playlist keeps only the keep segments
 * before it (from..to, where the segment after it starts). */
struct hole_cut {
    int keep;
    int64_t from, to;
};

/* Builds pipe again at start (how: mode) and puts the new one in its place, cur or next. The
 * new one leaves the first drop segments of a media playlist out (a skipped hole), and with a
 * cut, ends before a hole ahead. */
static bool replace_from(struct player *p, struct player_pipe *pipe, const char *source,
                         int64_t start, enum player_start_mode mode, int drop,
                         const struct hole_cut *cut)
{
    bool next = pipe == p->next;
    struct player_pipe *fresh = NULL;
    if (player_make_pipe_from(p, pipe->uri, source ? source : pipe->source, start, next, &fresh) !=
        0)
        return false;
    fresh->start_mode = mode;
    fresh->drop_segments = drop; /* read when the playlist arrives: no thread of it runs yet */
    fresh->whole_before_ms = drop > 0 ? pipe->whole_before_ms : 0;
    if (cut) { /* read when the playlist arrives too */
        fresh->keep_segments = cut->keep;
        fresh->cut_from_ms = cut->from;
        fresh->cut_to_ms = cut->to;
    }
    if (mode == PLAYER_START_AFTER)
        fresh->skip_before_ms = from_hole(pipe, start); /* no thread of it runs yet */
    fresh->rebuilds = pipe->rebuilds;
    fresh->skips = pipe->skips;
    fresh->request_us = pipe->request_us; /* the statistics go on */
    player_carry_over(pipe, fresh);
    g_mutex_lock(&p->lock);
    if (pipe->n_seg_starts > 0) {
        fresh->seg_starts =
            g_memdup2(pipe->seg_starts, sizeof(int64_t) * (size_t)(pipe->n_seg_starts + 1));
        fresh->n_seg_starts = pipe->n_seg_starts;
    }
    g_mutex_unlock(&p->lock);
    if (next) {
        p->next = NULL;
        player_retire(p, pipe);
        p->next = fresh;
        g_mutex_lock(&p->lock);
        p->next_gen = fresh->gen;
        g_mutex_unlock(&p->lock);
        player_apply_target(p, fresh);
    } else {
        p->cur = NULL;
        player_retire(p, pipe);
        player_drop_dead_items(p);
        player_make_current(p, fresh);
    }
    return true;
}

bool player_replace(struct player *p, struct player_pipe *pipe, int64_t start,
                    enum player_start_mode mode, int drop)
{
    return replace_from(p, pipe, NULL, start, mode, drop, NULL);
}

/* What a pipe that leaves the head of the media playlist out opens (transfer full): pipe's own
 * source when it is a media playlist, else the media playlist of the variant it plays (the
 * rest of the episode then plays on that variant). NULL when that is not known. */
static char *hole_source(struct player *p, const struct player_pipe *pipe)
{
    char *source = NULL;
    g_mutex_lock(&p->lock);
    if (pipe->n_variants == 0) {
        source = g_strdup(pipe->source);
    } else {
        int i = pipe->have_variant && pipe->variant.index >= 0 ? pipe->variant.index : 0;
        if (i < pipe->n_variants && pipe->variants[i].uri)
            source = gst_uri_join_strings(pipe->source, pipe->variants[i].uri);
    }
    g_mutex_unlock(&p->lock);
    return source;
}

/* How many segments of pipe's media playlist start before to (-1: not known, or to is past
 * the last segment's start). */
static int segments_before(struct player *p, const struct player_pipe *pipe, int64_t to)
{
    int n = -1;
    g_mutex_lock(&p->lock);
    if (to > 0 && pipe->n_seg_starts > 0) {
        n = 0;
        while (n < pipe->n_seg_starts && pipe->seg_starts[n] < to)
            n++;
        if (n >= pipe->n_seg_starts)
            n = -1;
    }
    g_mutex_unlock(&p->lock);
    return n;
}

/* Builds pipe again on the media playlist without its first drop segments, from where the
 * rest starts: nothing before them is fetched, so there is no preroll at 0 on a hole. */
static bool replace_leaving_out(struct player *p, struct player_pipe *pipe, int drop)
{
    char *source = drop > 0 ? hole_source(p, pipe) : NULL;
    if (!source)
        return false;
    log_info("playing on without the first %d segment(s) of %s", drop, pipe->log_uri);
    bool ok = replace_from(p, pipe, source, 0, PLAYER_START_KEYFRAME, drop, NULL);
    g_free(source);
    return ok;
}

/* Builds pipe again on its media playlist cut before the hole from..to (keep segments), at
 * start (how: mode). */
static bool replace_cut(struct player *p, struct player_pipe *pipe, int64_t start,
                        enum player_start_mode mode, int keep, int64_t from, int64_t to)
{
    char *source = keep > 0 && to > from ? hole_source(p, pipe) : NULL;
    if (!source)
        return false;
    const struct hole_cut cut = {keep, from, to};
    log_info("playing %s up to the missing segment at %" G_GINT64_FORMAT " ms (%d segment(s))",
             pipe->log_uri, from, keep);
    bool ok = replace_from(p, pipe, source, start, mode, 0, &cut);
    g_free(source);
    return ok;
}

bool player_seek_across_hole(struct player *p, struct player_pipe *pipe, int64_t ms)
{
    int64_t whole_before = pipe->whole_before_ms, cut_from = pipe->cut_from_ms;
    if (whole_before > 0 && ms < whole_before) {
        /* Before what a skip left out: the stream from its start, cut before the hole again
         * (fetching the hole, a slow box would lose what it shows before it). */
        g_mutex_lock(&p->lock);
        int64_t to = pipe->time_offset_ms;
        g_mutex_unlock(&p->lock);
        int keep = segments_before(p, pipe, whole_before);
        return replace_cut(p, pipe, ms, PLAYER_START_KEYFRAME, keep, whole_before, to);
    }
    if (cut_from >= 0 && ms >= cut_from) {
        /* Past where the playlist was cut: after the hole, without what comes before it. */
        int64_t to = pipe->cut_to_ms;
        int drop = hole_drop(p, pipe, to);
        char *source = drop > 0 ? hole_source(p, pipe) : NULL;
        if (!source)
            return false;
        bool ok =
            replace_from(p, pipe, source, ms > to ? ms : to, PLAYER_START_KEYFRAME, drop, NULL);
        g_free(source);
        if (ok)
            p->cur->whole_before_ms = cut_from;
        return ok;
    }
    return false;
}

bool player_cut_reached(struct player *p, struct player_pipe *pipe)
{
    g_mutex_lock(&p->lock);
    bool cut = pipe->cut_done;
    g_mutex_unlock(&p->lock);
    if (!cut || pipe->cut_from_ms < 0 || pipe->skip_from_ms >= 0)
        return false;
    log_info("the playlist cut before the missing segment at %" G_GINT64_FORMAT
             " ms is played: on after it",
             pipe->cut_from_ms);
    pipe->skip_from_ms = pipe->cut_from_ms;
    pipe->skip_to_ms = pipe->cut_to_ms;
    player_wake(p);
    return true;
}

static bool rebuild(struct player *p, struct player_pipe *pipe)
{
    if (pipe->rebuilds >= 2)
        return false;
    int64_t start = pipe->start_ms;
    if (pipe->first_frame && pipe->phase == PLAYER_PHASE_RUNNING) {
        int64_t pos = player_query_position(pipe);
        start = pos > 0 ? pos : start;
    }
    log_warn("hlsdemux2 failed a stream it had fully downloaded (GStreamer 1.22 race): "
             "building it again");
    pipe->rebuilds++;
    return player_replace(p, pipe, start, PLAYER_START_EXACT, pipe->drop_segments);
}

/* Plays what is buffered up to from, where a segment is missing; player_tick then goes on after
 * it (skip_missing). */
static void skip_ahead(struct player *p, struct player_pipe *pipe, int64_t from)
{
    pipe->skip_from_ms = from;
    g_mutex_lock(&p->lock);
    pipe->skip_to_ms = player_segment_after(pipe, from);
    g_mutex_unlock(&p->lock);
    if (pipe->skip_to_ms >= 0)
        log_debug("the segment at %" G_GINT64_FORMAT " ms ends at %" G_GINT64_FORMAT " ms", from,
                  pipe->skip_to_ms);
    else if (pipe->n_seg_starts == 0 && !pipe->playlist_asked_ms && player_playlist_fetch(p, pipe))
        pipe->playlist_asked_ms =
            player_mono_ms(); /* the skip waits a moment for it (player_tick) */
    pipe->skips++;
    /* The watchdog of the skip starts now, from where the picture is. */
    p->wd_progress_ms = player_mono_ms();
    p->wd_pos_ms = pipe->first_frame ? player_query_position(pipe) : -1;
    player_apply_target(p, pipe);
}

/* Whether a failed segment of pipe may be skipped. The skip happens in player_tick: an app that
 * does not tick gets the error at once. Nothing shown after two skips: the segments are not
 * missing, the stream is. */
static bool may_skip(const struct player *p, const struct player_pipe *pipe)
{
    return p->ticked && pipe == p->cur && pipe->skips < 5 && !(pipe->skips >= 2 && !p->shown_first);
}

/* The media playlist of a master arrived (player_playlist_fetch): where its segments start. */
void player_playlist_fetched(struct player *p, struct player_pipe *pipe, struct player_item *it)
{
    pipe->playlist_asked_ms = -1; /* answered */
    if (it->n_starts <= 0)
        return;
    g_mutex_lock(&p->lock);
    g_free(pipe->seg_starts);
    pipe->seg_starts = it->starts;
    pipe->n_seg_starts = it->n_starts;
    it->starts = NULL;
    if (pipe->skip_from_ms >= 0)
        pipe->skip_to_ms = player_segment_after(pipe, pipe->skip_from_ms);
    g_mutex_unlock(&p->lock);
    log_debug("media playlist: %d segments; the missing one ends at %" G_GINT64_FORMAT " ms",
              pipe->n_seg_starts, pipe->skip_to_ms);
}

/* segments.c gave up on a segment that kept answering 5xx (hlsdemux2 would ask for it every
 * 10 ms for ever) and holds the demuxer: skip it like a missing one, or fail with a clear
 * message. Either way the pipe is retired soon, which lets the demuxer go. */
void player_segment_failed(struct player *p, struct player_pipe *pipe, const struct player_item *it)
{
    if (pipe->failed || pipe->skip_from_ms >= 0)
        return;
    p->stats.warnings++;
    if (may_skip(p, pipe) && it->start_ms >= 0) {
        log_warn("the segment at %" G_GINT64_FORMAT " ms answered %u to %d requests: playing up "
                 "to it, then on after it",
                 it->start_ms, it->status, it->attempts);
        skip_ahead(p, pipe, it->start_ms);
        return;
    }
    struct player_event ev = player_event_of(p, PLAYER_EVENT_ERROR);
    ev.error = PLAYER_ERROR_NETWORK;
    snprintf(ev.message, sizeof(ev.message),
             "The video server is having trouble with this episode. Please try again later");
    snprintf(ev.detail, sizeof(ev.detail),
             "the segment at %" G_GINT64_FORMAT " ms of %s answered HTTP %u to %d requests",
             it->start_ms, pipe->log_uri, it->status, it->attempts);
    report_error(p, pipe, &ev);
}

/* A hole met before the first picture, and not at the head: hlsdemux2 gave the stream up
 * before what it had downloaded was shown (a slow box decodes slower than it downloads), and
 * that is lost with it. The same start again on the playlist cut before the hole: it plays up
 * to the hole and ends, and player_tick goes on after it (player_cut_reached). */
static bool cut_before(struct player *p, struct player_pipe *pipe, int64_t from)
{
    if (pipe->first_frame || pipe->drop_segments > 0 || pipe->cut_from_ms >= 0 ||
        !may_skip(p, pipe))
        return false;
    g_mutex_lock(&p->lock);
    int64_t to = player_segment_after(pipe, from);
    g_mutex_unlock(&p->lock);
    int keep = segments_before(p, pipe, from);
    if (keep <= 0 || to <= from ||
        !replace_cut(p, pipe, pipe->start_ms, pipe->start_mode, keep, from, to))
        return false;
    log_warn("a segment is missing at %" G_GINT64_FORMAT
             " ms, met before the first picture: the stream again up to it, then on after it",
             from);
    return true;
}

/* A segment the server does not have (404/410 after hlsdemux2's retries): hlsdemux2 gives up
 * on the whole stream, although everything before it is buffered and everything after it may
 * be fine. The current stream plays what it has; player_tick then goes on at the segment after
 * the missing one (skip_missing). */
static bool missing_segment(struct player *p, struct player_pipe *pipe, GstMessage *msg,
                            const GError *err, const char *debug, guint status)
{
    if (!may_skip(p, pipe) || (status != 404 && status != 410) ||
        !GST_IS_ELEMENT(GST_MESSAGE_SRC(msg)))
        return false;
    if (!strstr(err->message, "ragment") && !(debug && strstr(debug, "ragment")))
        return false;
    GstElementFactory *f = gst_element_get_factory(GST_ELEMENT(GST_MESSAGE_SRC(msg)));
    const char *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : NULL;
    if (!klass || !strstr(klass, "Adaptive"))
        return false;
    g_mutex_lock(&p->lock);
    int64_t from = pipe->out_end_ms, start = pipe->failed_start_ms;
    g_mutex_unlock(&p->lock);
    if (start >= 0) {
        /* Where the playlist says it starts (segments.c): the skip lands on the next one. */
        log_debug("missing segment starts at %" G_GINT64_FORMAT " ms", start);
        from = start;
        if (cut_before(p, pipe, from)) {
            p->stats.warnings++;
            return true;
        }
    } else {
        /* Not known (another GStreamer): downloaded but not yet given out comes first. */
        guint64 level = 0;
        GObject *demux = G_OBJECT(GST_MESSAGE_SRC(msg));
        if (g_object_class_find_property(G_OBJECT_GET_CLASS(demux), "current-level-time-video"))
            g_object_get(demux, "current-level-time-video", &level, NULL);
        log_debug("missing segment: output reached %" G_GINT64_FORMAT " ms, %" G_GUINT64_FORMAT
                  " ms more buffered",
                  from, level / GST_MSECOND);
        from = (from > 0 ? from : 0) + (int64_t)(level / GST_MSECOND);
    }
    skip_ahead(p, pipe, from);
    p->stats.warnings++;
    log_warn("a segment is missing (%u) at %" G_GINT64_FORMAT
             " ms: playing up to it, then on after it",
             status, pipe->skip_from_ms);
    return true;
}

/* How many segments a pipeline must leave out of the media playlist to go on at to, the
 * segment after the hole from..to, or 0 when that is not known. */
static int hole_drop(struct player *p, const struct player_pipe *pipe, int64_t to)
{
    int n = to > 0 ? segments_before(p, pipe, to) : -1;
    return n > 0 ? n : 0;
}

/* Builds pipe again on the media playlist without the segments before to, the one after the
 * hole from..to: it starts where to starts and fetches nothing before it. Seeks before from
 * (played, and there) go to a pipeline of the whole stream (player_seek). */
static bool replace_after_hole(struct player *p, struct player_pipe *pipe, int drop, int64_t from,
                               int64_t target)
{
    char *source = hole_source(p, pipe);
    if (!source)
        return false;
    int64_t whole_before =
        pipe->drop_segments > 0 && pipe->whole_before_ms < from ? pipe->whole_before_ms : from;
    log_info("playing on without the first %d segment(s) of %s", drop, pipe->log_uri);
    /* If the playlist cannot be cut after all (pipe.c), the start seek goes past the hole. */
    bool ok = replace_from(p, pipe, source, target, PLAYER_START_AFTER, drop, NULL);
    g_free(source);
    if (ok)
        p->cur->whole_before_ms = whole_before;
    return ok;
}

/* Called by player_tick while a missing segment is ahead: once the picture gets there (or
 * stops), goes on at the next segment, or ends the stream when it was the last. */
void player_skip_missing(struct player *p, int64_t pos)
{
    struct player_pipe *pipe = p->cur;
    int64_t from = pipe->skip_from_ms, to = pipe->skip_to_ms;
    /* With the playlist's durations: just before the next segment's start, which the start
     * seek (KEY_UNIT | SNAP_AFTER) turns into that segment. Without them (a master whose media
     * playlist could not be fetched): just after the hole's start, then a second further each
     * time a pipe lands in the hole again. */
    int64_t target = to >= 0 ? to - 1 : from + 1;
    if (to < 0 && pipe->skip_before_ms > from)
        target = pipe->skip_before_ms + 1000;
    bool last = to >= 0 ? pipe->duration_ms > 0 && to >= pipe->duration_ms - 1
                        : pipe->duration_ms > 0 && from + 500 >= pipe->duration_ms;
    if (last) {
        log_info("the missing segment was the last: end of stream");
        pipe->skip_from_ms = -1;
        pipe->eos = true;
        player_emit_simple(p, PLAYER_EVENT_EOS);
        player_stats_log(p, "eos");
        return;
    }
    log_info("skipping the missing segment at %" G_GINT64_FORMAT " ms (position %" G_GINT64_FORMAT
             " ms)",
             from, pos);
    /* The next pipeline gets the media playlist without the segments before the one after the
     * hole, and starts where that one starts: it never fetches the hole. (Prerolling at 0 and
     * seeking past the hole, it fetched it again, and the seek cancelled those retries:
     * GStreamer 1.22.0-1.22.9's adaptivedemux2 then ran the cancelled request's error callback
     * on the new download and aborted, "on_download_error: assertion failed (stream->
     * pending_cb_id == 0)"; fixed upstream in 1.22.10, f4a5b6623b.) A hole at the head has
     * nothing to preroll on at 0 either. Without the playlist's durations: a start seek. */
    int drop = hole_drop(p, pipe, to);
    bool replaced = drop > 0 && replace_after_hole(p, pipe, drop, from, target);
    if (!replaced)
        replaced = player_replace(p, pipe, target, PLAYER_START_AFTER, pipe->drop_segments);
    if (!replaced) {
        struct player_event ev = player_event_of(p, PLAYER_EVENT_ERROR);
        snprintf(ev.message, sizeof(ev.message),
                 "Can't play this episode: the stream was not found (404)");
        snprintf(ev.detail, sizeof(ev.detail),
                 "cannot skip the missing segment at %" G_GINT64_FORMAT " ms", from);
        report_error(p, pipe, &ev);
        return;
    }
    p->wd_progress_ms = player_mono_ms();
    p->wd_pos_ms = -1;
}

/* Gives the app the error of pipe, as ERROR for the current stream or PREROLL_FAILED for the
 * prerolled one (which is then dropped). */
static void report_error(struct player *p, struct player_pipe *pipe, struct player_event *ev)
{
    pipe->failed = true;
    pipe->diagnosing = false;
    if (pipe == p->next) {
        ev->type = PLAYER_EVENT_PREROLL_FAILED;
        ev->state = p->state;
        log_warn("preroll of the next stream failed: %s [%s]", ev->message, ev->detail);
        player_emit(p, ev);
        player_cancel_preroll(p); /* pipe is gone from here on */
        return;
    }
    ev->type = PLAYER_EVENT_ERROR;
    ev->state = PLAYER_ERROR;
    log_error("%s [%s]", ev->message, ev->detail);
    p->stats.errors++;
    player_emit(p, ev);
    player_stats_log(p, "error");
}

/* Stream errors of hlsdemux2 that can hide a refused key (see diagnose.c). */
static bool hides_cause(GstMessage *msg, const GError *err)
{
    GstObject *src = GST_MESSAGE_SRC(msg);
    if (err->domain != GST_STREAM_ERROR || !GST_IS_ELEMENT(src))
        return false;
    switch (err->code) {
    case GST_STREAM_ERROR_TYPE_NOT_FOUND:
    case GST_STREAM_ERROR_DECRYPT:
    case GST_STREAM_ERROR_DECRYPT_NOKEY:
    case GST_STREAM_ERROR_DECODE:
    case GST_STREAM_ERROR_DEMUX:
    case GST_STREAM_ERROR_FORMAT:
        break;
    default:
        return false;
    }
    GstElementFactory *f = gst_element_get_factory(GST_ELEMENT(src));
    const char *klass = f ? gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS) : NULL;
    return klass && strstr(klass, "Adaptive");
}

static bool failed_before(struct player *p, struct player_pipe *pipe, int64_t ms)
{
    g_mutex_lock(&p->lock);
    bool before = pipe->failed_start_ms >= 0 && pipe->failed_start_ms < ms;
    g_mutex_unlock(&p->lock);
    return before;
}

void player_handle_error(struct player *p, struct player_pipe *pipe, GstMessage *msg)
{
    GError *err = NULL;
    char *debug = NULL;
    gst_message_parse_error(msg, &err, &debug);
    /* adaptivedemux2 attaches the HTTP status of the last download it tried. */
    const GstStructure *details = NULL;
    guint status = 0;
    gst_message_parse_error_details(msg, &details);
    if (details)
        gst_structure_get_uint(details, "http-status-code", &status);
    char *path = gst_object_get_path_string(GST_MESSAGE_SRC(msg));
    char *raw =
        g_strdup_printf("%s: %s (%s)%s%.0u", path ? path : "?", err->message,
                        debug ? debug : "no debug info", status ? " http status " : "", status);
    char *detail = redact_queries(raw);
    if (pipe->failed || pipe->diagnosing || pipe->skip_from_ms >= 0) {
        /* Elements tend to follow one failure with more ("Invalid manifest" after the 404);
         * the first is the one that says why. */
        log_debug("further error: %s", detail);
    } else if (pipe->phase == PLAYER_PHASE_PREROLL && pipe->skip_before_ms >= 0 &&
               pipe->first_frame && failed_before(p, pipe, pipe->skip_before_ms)) {
        /* A pipe skipping a hole met it again while prerolling at 0 (hlsdemux2 fetches ahead):
         * its start seek goes past it. */
        log_debug("the skipped segment failed again before the start seek: %s", detail);
    } else if (pipe->phase == PLAYER_PHASE_PREROLL && pipe->skip_before_ms >= 0 &&
               !pipe->first_frame && failed_before(p, pipe, pipe->skip_before_ms) &&
               replace_leaving_out(p, pipe, segments_before(p, pipe, pipe->skip_before_ms + 1))) {
        /* ... and before its first picture (a slow box decodes the first segment slower than
         * hlsdemux2 gives up on the hole): hlsdemux2 failed the stream, and the start seek
         * never comes. A pipe that never fetches the hole goes on instead. */
        log_debug("the skipped segment failed again before the first picture: %s", detail);
    } else if (exposure_race(msg, err, status) && rebuild(p, pipe)) {
        log_debug("rebuilt after: %s", detail); /* pipe is gone from here on */
    } else if (missing_segment(p, pipe, msg, err, debug, status)) {
        log_debug("missing segment: %s", detail);
    } else {
        struct player_event ev = player_event_of(p, PLAYER_EVENT_ERROR);
        ev.error = describe_error(GST_MESSAGE_SRC(msg), err, debug, ev.message, sizeof(ev.message));
        g_strlcpy(ev.detail, detail, sizeof(ev.detail));
        if (hides_cause(msg, err) && player_diagnose_start(p, pipe)) {
            log_info("%s [%s]: asking the servers why", ev.message, detail);
            pipe->diagnosing = true;
            pipe->pending_error = ev;
        } else {
            report_error(p, pipe, &ev);
        }
    }
    g_free(detail);
    g_free(raw);
    g_free(path);
    g_free(debug);
    g_error_free(err);
}

void player_handle_diagnosis(struct player *p, struct player_pipe *pipe, struct player_item *it)
{
    if (!pipe->diagnosing)
        return;
    struct player_event ev = pipe->pending_error;
    switch (it->verdict) {
    case PLAYER_VERDICT_KEY_REFUSED:
        snprintf(ev.message, sizeof(ev.message), "This episode isn't unlocked on this device");
        ev.error = PLAYER_ERROR_NOT_ENTITLED;
        break;
    case PLAYER_VERDICT_KEY_MISSING:
        snprintf(ev.message, sizeof(ev.message),
                 "Can't play this episode: its key was not found (%u)", it->status);
        break;
    case PLAYER_VERDICT_KEY_BAD:
        snprintf(ev.message, sizeof(ev.message), "Can't play this episode: it can't be decrypted");
        break;
    case PLAYER_VERDICT_UNKNOWN:
        break;
    }
    if (it->status) {
        size_t n = strlen(ev.detail);
        snprintf(ev.detail + n, sizeof(ev.detail) - n, "; the key server answered %u", it->status);
    }
    ev.duration_ms = pipe->duration_ms;
    report_error(p, pipe, &ev);
}

void player_handle_warning(struct player *p, struct player_pipe *pipe, GstMessage *msg)
{
    GError *err = NULL;
    char *debug = NULL;
    gst_message_parse_warning(msg, &err, &debug);
    char *raw = g_strdup_printf("%s: %s (%s)", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), err->message,
                                debug ? debug : "");
    char *text = redact_queries(raw);
    log_warn("%s%s", pipe == p->next ? "next stream: " : "", text);
    if (pipe == p->cur)
        p->stats.warnings++;
    g_free(text);
    g_free(raw);
    g_free(debug);
    g_error_free(err);
}

/* ---- time-driven checks ---- */

static void stall_fail(struct player *p)
{
    struct player_pipe *pipe = p->cur;
    struct player_event ev = player_event_of(p, PLAYER_EVENT_ERROR);
    snprintf(ev.message, sizeof(ev.message), "The stream stopped and did not come back");
    ev.error = PLAYER_ERROR_STALLED;
    snprintf(ev.detail, sizeof(ev.detail),
             "no progress for %" G_GINT64_FORMAT " ms at %" G_GINT64_FORMAT
             " ms after %d re-tunes of %s",
             p->stall_ms, p->wd_pos_ms, p->stall_attempts, pipe->log_uri);
    log_error("%s [%s]", ev.message, ev.detail);
    pipe->failed = true;
    /* Given up is given up: nothing of this pipeline may reach the screen any more. A slow
     * start (decoder plugins loading for 20 s under emulation) once delivered its first frame
     * after this, and it was drawn behind the error dialog. Its threads can no longer queue
     * or publish frames (store_sample checks the generation); what they queued is dropped. It
     * stays current, failed, until the app stops or opens again, which tears it down. */
    g_mutex_lock(&p->lock);
    if (p->cur_gen == pipe->gen)
        p->cur_gen = 0;
    g_mutex_unlock(&p->lock);
    player_drop_dead_items(p);
    p->stats.errors++;
    ev.state = PLAYER_ERROR;
    ev.position_ms = p->wd_pos_ms;
    player_emit(p, &ev);
    player_sync_state(p);
    player_stats_log(p, "stalled");
}

/* Re-tunes: a new pipeline for the same uri at the last position; the stuck one is disposed
 * of in the background (its transfers may hang for a while). */
static void stall(struct player *p, int64_t now_ms)
{
    struct player_pipe *old = p->cur;
    if (p->stall_attempts >= p->stall_retries) {
        stall_fail(p);
        return;
    }
    int64_t pos = p->wd_pos_ms >= 0 ? p->wd_pos_ms : old->start_ms;
    int attempt = ++p->stall_attempts;
    p->stats.stalls++;
    log_warn("no progress for %" G_GINT64_FORMAT " ms at %" G_GINT64_FORMAT
             " ms: re-tuning (attempt %d of %d)",
             now_ms - p->wd_progress_ms, pos, attempt, p->stall_retries);
    struct player_event ev = player_event_of(p, PLAYER_EVENT_STALL);
    ev.attempt = attempt;
    ev.position_ms = pos;
    player_emit(p, &ev);

    struct player_pipe *pipe = NULL;
    char *uri = g_strdup(old->uri);
    int rc = player_make_pipe_from(p, uri, NULL, pos, false, &pipe);
    g_free(uri);
    if (rc != 0) {
        stall_fail(p);
        return;
    }
    player_cancel_preroll(p); /* it was for the stream as it was; the app prerolls again */
    pipe->start_mode = PLAYER_START_EXACT;
    player_carry_over(old, pipe);
    p->cur = NULL;
    player_retire(p, old);
    player_drop_dead_items(p);
    p->retune_pos_ms = pos;
    p->wd_progress_ms = now_ms;
    p->wd_pos_ms = -1;
    player_make_current(p, pipe);
    player_sync_state(p);
}

void player_tick(struct player *p, int64_t now_ms)
{
    if (!p)
        return;
    p->ticked = true;
    p->deadline_ms = -1;
    struct player_pipe *pipe = p->cur;
    if (!pipe)
        return;
    int64_t deadline = -1;
#define PLAYER_DEADLINE(t)                                                                         \
    do {                                                                                           \
        int64_t t_ = (t);                                                                          \
        if (deadline < 0 || t_ < deadline)                                                         \
            deadline = t_;                                                                         \
    } while (0)
    if (pipe->retry_seek_ms >= 0 && pipe->phase == PLAYER_PHASE_RUNNING && !pipe->failed) {
        /* A refused seek (player_seek), asked again every tick for a second at most. */
        if (player_issue_seek(pipe, pipe->retry_seek_ms, PLAYER_START_KEYFRAME)) {
            pipe->phase = PLAYER_PHASE_SEEKING;
            pipe->start_ms = pipe->retry_seek_ms;
            pipe->retry_seek_ms = -1;
        } else if (player_pipe_wedged(pipe)) {
            /* Refused half done this time: the pipeline stays flushing (wedge.c). */
            int64_t ms = pipe->retry_seek_ms;
            pipe->retry_seek_ms = -1;
            if (player_unwedge(p, pipe, ms, ms))
                pipe = p->cur;
        } else if (++pipe->retry_seeks >= 20) {
            /* Given up: SEEKED still comes (where the picture is), so that the app's next seek
             * is not held behind one that never lands. */
            log_warn("the pipeline refused a seek to %" G_GINT64_FORMAT " ms 20 times",
                     pipe->retry_seek_ms);
            pipe->retry_seek_ms = -1;
            player_seek_done(p, pipe);
        } else {
            PLAYER_DEADLINE(now_ms + 50);
        }
    } else if (pipe->phase != PLAYER_PHASE_RUNNING) {
        pipe->retry_seek_ms = -1; /* a newer seek or a start seek took its place */
    }
    bool running = pipe->phase == PLAYER_PHASE_RUNNING && pipe->first_frame && !pipe->failed;
    int64_t pos = running ? player_query_position(pipe) : -1;
    if (pos > p->stats.position_ms)
        p->stats.position_ms = pos;

    if (pipe->skip_from_ms >= 0 && !pipe->failed) {
        /* The picture reached the hole, or stopped short of it (the demuxer's last output
         * can end a little past the last frame), or never started. */
        bool stuck = pos < 0 || pos == p->wd_pos_ms;
        if (!stuck) {
            p->wd_pos_ms = pos;
            p->wd_progress_ms = now_ms;
        }
        /* A master's media playlist asked for a moment ago tells where the hole ends. */
        bool awaiting = pipe->playlist_asked_ms > 0 && now_ms - pipe->playlist_asked_ms < 2000;
        if (!awaiting && (pos >= pipe->skip_from_ms - 100 || now_ms - p->wd_progress_ms >= 1500)) {
            player_skip_missing(p, pos);
            player_wake(p);
            pipe = p->cur;
            running = false;
            pos = -1;
        } else {
            PLAYER_DEADLINE(now_ms + 100);
        }
    }

    if (p->stall_ms > 0 && !pipe->failed && !pipe->diagnosing && !pipe->eos && !p->user_paused) {
        if (pos >= 0 && pos != p->wd_pos_ms) {
            p->wd_pos_ms = pos;
            p->wd_progress_ms = now_ms;
            if (p->stall_attempts && pos >= p->retune_pos_ms + PLAYER_RECOVERED_MS) {
                log_info("playback recovered after %d re-tune(s)", p->stall_attempts);
                p->stall_attempts = 0;
            }
        } else if (now_ms - p->wd_progress_ms >= p->stall_ms) {
            stall(p, now_ms);
            player_wake(p);
            pipe = p->cur;
            running = false;
        }
        if (!pipe->failed)
            PLAYER_DEADLINE(p->wd_progress_ms + p->stall_ms);
    }

    bool moving = running && !p->user_paused && !pipe->buffering && !pipe->eos;
    if (running && !p->near_end_sent && p->near_end_ms >= 0 && pos >= 0 && pipe->duration_ms > 0) {
        int64_t at = pipe->duration_ms - p->near_end_ms;
        if (pos >= at) {
            p->near_end_sent = true;
            log_info("near the end: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " ms", pos,
                     pipe->duration_ms);
            struct player_event ev = player_event_of(p, PLAYER_EVENT_NEAR_END);
            ev.position_ms = pos;
            player_emit(p, &ev);
            player_wake(p);
        } else if (moving) {
            PLAYER_DEADLINE(now_ms + (at - pos));
        }
    }
    if (running && pos >= 0) {
        int64_t change = player_cues_next_change(p, pipe, pos);
        if (change >= 0 && moving)
            PLAYER_DEADLINE(now_ms + (change - pos));
    }
#undef PLAYER_DEADLINE
    p->deadline_ms = deadline;
}

int64_t player_next_deadline_ms(const struct player *p)
{
    return p ? p->deadline_ms : -1;
}
