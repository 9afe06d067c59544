#include "binge/player.h"

#include "binge/error.h"
#include "binge/log.h"
#include "local_http.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LOG_MODULE("player");

enum player_item_kind {
    PLAYER_ITEM_MESSAGE,     /* a bus message */
    PLAYER_ITEM_FIRST_FRAME, /* raised by the appsink callback */
};

/* What the GStreamer threads hand to the UI thread, in the order it happened. */
struct player_item {
    enum player_item_kind kind;
    unsigned gen;
    GstMessage *msg; /* PLAYER_ITEM_MESSAGE only; owned */
};

/* One open: the user data of the bus handler and the appsink callbacks. Immutable while the
 * pipeline lives; freed after the pipeline is torn down. */
struct player_session {
    struct player *player;
    unsigned gen;
    int64_t open_us;
};

/* How far an open got towards normal playback. */
enum player_phase {
    PLAYER_PHASE_NONE,    /* nothing open */
    PLAYER_PHASE_PREROLL, /* start_ms > 0: prerolling at 0, the seek waits for ASYNC_DONE */
    PLAYER_PHASE_SEEKING, /* start_ms > 0: seek issued, waiting for its ASYNC_DONE */
    PLAYER_PHASE_RUNNING,
};

struct player {
    char *audio_sink_desc;
    unsigned start_bitrate;
    void (*wake)(void *data);
    void *wake_data;

    /* UI thread only. */
    struct local_http *local_http; /* created on the first local HLS open */
    GstElement *pipeline;
    GstElement *appsink;
    struct player_session *session;
    unsigned next_gen;
    enum player_state state;
    enum player_phase phase;
    GstState target; /* the last state requested of the pipeline */
    int64_t start_ms;
    int64_t duration_ms;
    int buffer_percent;
    bool buffering, user_paused, failed, first_frame;
    GQueue out; /* struct player_event *, translated, waiting for player_poll_event */
    bool held;
    GstSample *held_sample;
    GstVideoFrame held_frame;

    GMutex lock;
    /* Protected by lock. */
    unsigned live_gen;    /* generation of the open being played; 0 = none */
    GQueue items;         /* struct player_item * */
    bool events_notified; /* wake was called and the UI has not yet seen the queue empty */
    bool frame_notified;  /* wake was called for a frame the UI has not yet asked for */
    bool hold_frames;     /* store samples but do not publish them (start seek pending) */
    bool first_frame_queued;
    GstSample *sample;
    uint64_t sample_seq;
    uint64_t seq;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = BINGE_EMEDIA;

static void init_gst(void)
{
    GError *err = NULL;
    if (!gst_init_check(NULL, NULL, &err)) {
        log_error("cannot initialise GStreamer: %s", err ? err->message : "unknown error");
        g_clear_error(&err);
        return;
    }
    const char *needed[] = {"playbin3", "appsink"};
    for (size_t i = 0; i < G_N_ELEMENTS(needed); i++) {
        GstElementFactory *f = gst_element_factory_find(needed[i]);
        if (!f) {
            log_error("GStreamer element %s is missing (install gstreamer1.0-plugins-base)",
                      needed[i]);
            return;
        }
        gst_object_unref(f);
    }
    GstElementFactory *hls = gst_element_factory_find("hlsdemux2");
    if (hls)
        gst_object_unref(hls);
    else
        log_warn("hlsdemux2 is missing: HLS will not play (install gstreamer1.0-plugins-good)");
    char *version = gst_version_string();
    log_info("%s ready", version);
    g_free(version);
    init_result = 0;
}

int player_init(void)
{
    pthread_once(&init_once, init_gst);
    return init_result;
}

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

/* ---- waking the UI thread ---- */

static void call_wake(struct player *p)
{
    if (p->wake)
        p->wake(p->wake_data);
}

/* Called from GStreamer threads. The wake is skipped while an earlier one is still unanswered:
 * the UI drains the whole queue when it answers, so one wake per batch is enough. */
static void push_item(struct player_session *s, enum player_item_kind kind, GstMessage *msg)
{
    struct player *p = s->player;
    bool wake = false;
    g_mutex_lock(&p->lock);
    if (s->gen == p->live_gen) {
        struct player_item *it = g_new0(struct player_item, 1);
        it->kind = kind;
        it->gen = s->gen;
        it->msg = msg;
        msg = NULL;
        g_queue_push_tail(&p->items, it);
        wake = !p->events_notified;
        p->events_notified = true;
    }
    g_mutex_unlock(&p->lock);
    if (msg)
        gst_message_unref(msg); /* from a stream being torn down */
    if (wake)
        call_wake(p);
}

/* Returning GST_BUS_DROP hands the message to this handler: it is either queued for the UI
 * thread or unreffed here. Nobody else reads this bus. */
static GstBusSyncReply on_bus_message(GstBus *bus, GstMessage *msg, gpointer data)
{
    struct player_session *s = data;
    bool wanted;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_EOS:
    case GST_MESSAGE_BUFFERING:
    case GST_MESSAGE_DURATION_CHANGED:
    case GST_MESSAGE_ASYNC_DONE:
    case GST_MESSAGE_LATENCY:
    case GST_MESSAGE_CLOCK_LOST:
        wanted = true;
        break;
    case GST_MESSAGE_STATE_CHANGED:
        /* Only the pipeline's own state matters; every element posts these. */
        wanted = GST_IS_PIPELINE(GST_MESSAGE_SRC(msg));
        break;
    default:
        wanted = false;
        break;
    }
    if (wanted)
        push_item(s, PLAYER_ITEM_MESSAGE, msg);
    else
        gst_message_unref(msg);
    return GST_BUS_DROP;
}

/* ---- frames (appsink, streaming thread) ---- */

static void store_sample(struct player_session *s, GstSample *sample)
{
    struct player *p = s->player;
    GstSample *old = NULL;
    bool first = false, wake = false;

    g_mutex_lock(&p->lock);
    if (s->gen != p->live_gen ||
        (p->sample && gst_sample_get_buffer(p->sample) == gst_sample_get_buffer(sample))) {
        /* A stream being torn down, or the prerolled buffer rendered again on PLAYING (the
         * held ref keeps a recycled buffer from reusing the pointer). */
        g_mutex_unlock(&p->lock);
        gst_sample_unref(sample);
        return;
    }
    old = p->sample;
    p->sample = sample;
    if (!p->hold_frames) {
        p->sample_seq = ++p->seq;
        if (!p->first_frame_queued) {
            p->first_frame_queued = true;
            first = true;
            struct player_item *it = g_new0(struct player_item, 1);
            it->kind = PLAYER_ITEM_FIRST_FRAME;
            it->gen = s->gen;
            g_queue_push_tail(&p->items, it);
            wake = !p->events_notified;
            p->events_notified = true;
        }
        if (!p->frame_notified)
            wake = true;
        p->frame_notified = true;
    }
    g_mutex_unlock(&p->lock);

    if (old)
        gst_sample_unref(old);
    if (first)
        log_info("first frame after %" G_GINT64_FORMAT " ms",
                 (g_get_monotonic_time() - s->open_us) / 1000);
    if (wake)
        call_wake(p);
}

static GstFlowReturn on_new_preroll(GstAppSink *sink, gpointer data)
{
    /* The preroll frame is the earliest picture there is: showing it, instead of waiting for
     * PLAYING, is what makes an episode start look instant. */
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

static void on_element_added(GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer data)
{
    GstElementFactory *f = gst_element_get_factory(element);
    if (!f)
        return;
    const char *klass = gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS);
    if (klass && (strstr(klass, "Demux") || strstr(klass, "Decoder")))
        log_debug("using %s (%s)", GST_OBJECT_NAME(f), klass);
}

/* ---- translated events (UI thread) ---- */

static void emit(struct player *p, const struct player_event *ev)
{
    struct player_event *copy = g_new(struct player_event, 1);
    *copy = *ev;
    g_queue_push_tail(&p->out, copy);
}

static void emit_simple(struct player *p, enum player_event_type type)
{
    struct player_event ev = {.type = type, .state = p->state, .duration_ms = p->duration_ms};
    emit(p, &ev);
}

static enum player_state derive_state(const struct player *p)
{
    if (!p->pipeline)
        return PLAYER_IDLE;
    if (p->failed)
        return PLAYER_ERROR;
    if (!p->first_frame)
        return PLAYER_LOADING;
    if (p->user_paused)
        return PLAYER_PAUSED;
    if (p->buffering)
        return PLAYER_BUFFERING;
    return PLAYER_PLAYING;
}

static void sync_state(struct player *p)
{
    enum player_state s = derive_state(p);
    if (s == p->state)
        return;
    log_debug("state %s -> %s", player_state_name(p->state), player_state_name(s));
    p->state = s;
    emit_simple(p, PLAYER_EVENT_STATE);
}

/* Requests PLAYING or PAUSED from the pipeline according to what the user, the buffer level
 * and the start seek allow. Called again on every state change of the pipeline.
 *
 * While the pipeline is busy with an asynchronous change the request waits: right after
 * preroll, GstBin continues PAUSED -> PLAYING on a thread of its own, and a set_state in that
 * window (1.22) bumps the state cookie, which cancels the continuation, while the call itself
 * returns "busy" and does nothing - the pipeline then sits in PAUSED for good. Waiting costs
 * nothing: the change in progress ends with a state-changed or async-done message. */
static void apply_target(struct player *p)
{
    if (!p->pipeline || p->failed)
        return;
    GstState want = p->phase == PLAYER_PHASE_RUNNING && !p->user_paused && !p->buffering
                        ? GST_STATE_PLAYING
                        : GST_STATE_PAUSED;
    if (want == p->target)
        return;
    GstState current, pending;
    if (p->target != GST_STATE_VOID_PENDING &&
        gst_element_get_state(p->pipeline, &current, &pending, 0) == GST_STATE_CHANGE_ASYNC) {
        log_debug("%s waits: pipeline busy going to %s", gst_element_state_get_name(want),
                  gst_element_state_get_name(pending));
        return;
    }
    p->target = want;
    if (gst_element_set_state(p->pipeline, want) == GST_STATE_CHANGE_FAILURE)
        log_warn("pipeline refused %s", gst_element_state_get_name(want));
}

static void update_duration(struct player *p)
{
    gint64 d = -1;
    if (!gst_element_query_duration(p->pipeline, GST_FORMAT_TIME, &d) || d <= 0)
        return;
    int64_t ms = d / GST_MSECOND;
    if (ms == p->duration_ms)
        return;
    p->duration_ms = ms;
    log_debug("duration %" G_GINT64_FORMAT " ms", ms);
    emit_simple(p, PLAYER_EVENT_DURATION);
}

static void publish_first_frame(struct player *p)
{
    p->first_frame = true;
    emit_simple(p, PLAYER_EVENT_FIRST_FRAME);
}

/* Ends the start-seek hold: the sample prerolled at start_ms becomes the first frame. */
static void release_hold(struct player *p)
{
    bool first = false;
    g_mutex_lock(&p->lock);
    p->hold_frames = false;
    if (p->sample && !p->first_frame_queued) {
        p->sample_seq = ++p->seq;
        p->first_frame_queued = true;
        first = true;
    }
    g_mutex_unlock(&p->lock);
    if (first) {
        log_info("first frame after %" G_GINT64_FORMAT " ms (started at %" G_GINT64_FORMAT " ms)",
                 (g_get_monotonic_time() - p->session->open_us) / 1000, p->start_ms);
        publish_first_frame(p);
    }
}

/* True when s holds the HTTP status code as a number of its own ("(404)", "404 Not Found"),
 * not as part of a longer number such as a segment index. */
static bool has_status(const char *s, const char *code)
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

/* The viewer sees msg; the log and ev.detail get the whole story. */
static void describe_error(GstObject *src, const GError *err, const char *debug, char *msg,
                           size_t size)
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
    if ((res && err->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED) || has_status(text, "403") ||
        has_status(debug, "403") || has_status(text, "401") || has_status(debug, "401")) {
        snprintf(msg, size, "Access to this episode was refused (%s)",
                 has_status(text, "401") || has_status(debug, "401") ? "401" : "403");
    } else if ((res && err->code == GST_RESOURCE_ERROR_NOT_FOUND) || has_status(text, "404") ||
               has_status(debug, "404")) {
        /* A missing local file says so without pretending to be HTTP. */
        bool http = has_status(text, "404") || has_status(debug, "404");
        snprintf(msg, size, "Can't play this episode: the stream was not found%s",
                 http ? " (404)" : "");
    } else if (has_any(text, net_words) || has_any(debug, net_words) || from_network_src) {
        snprintf(msg, size, "Can't reach the video server. Check the connection and try again");
    } else if (has_any(text, download_words) || has_any(debug, download_words)) {
        snprintf(msg, size, "Can't load this episode. Please try again");
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

static void handle_error(struct player *p, GstMessage *msg)
{
    GError *err = NULL;
    char *debug = NULL;
    gst_message_parse_error(msg, &err, &debug);
    char *path = gst_object_get_path_string(GST_MESSAGE_SRC(msg));
    char *raw = g_strdup_printf("%s: %s (%s)", path ? path : "?", err->message,
                                debug ? debug : "no debug info");
    char *detail = redact_queries(raw);
    if (p->failed) {
        /* Elements tend to follow one failure with more ("Invalid manifest" after the 404);
         * the first is the one that says why. */
        log_debug("further error: %s", detail);
    } else {
        struct player_event ev = {.type = PLAYER_EVENT_ERROR, .duration_ms = p->duration_ms};
        describe_error(GST_MESSAGE_SRC(msg), err, debug, ev.message, sizeof(ev.message));
        g_strlcpy(ev.detail, detail, sizeof(ev.detail));
        log_error("%s [%s]", ev.message, detail);
        p->failed = true;
        ev.state = PLAYER_ERROR;
        emit(p, &ev);
    }
    g_free(detail);
    g_free(raw);
    g_free(path);
    g_free(debug);
    g_error_free(err);
}

static void handle_warning(GstMessage *msg)
{
    GError *err = NULL;
    char *debug = NULL;
    gst_message_parse_warning(msg, &err, &debug);
    char *raw = g_strdup_printf("%s: %s (%s)", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)), err->message,
                                debug ? debug : "");
    char *text = redact_queries(raw);
    log_warn("%s", text);
    g_free(text);
    g_free(raw);
    g_free(debug);
    g_error_free(err);
}

static void handle_buffering(struct player *p, GstMessage *msg)
{
    int percent = 100;
    gst_message_parse_buffering(msg, &percent);
    bool buffering = percent < 100;
    /* hlsdemux2 reports every single percent; the UI needs the transitions and a coarse
     * progress, not a hundred events per start. */
    if (buffering != p->buffering || p->buffer_percent < 0 ||
        abs(percent - p->buffer_percent) >= 10) {
        p->buffer_percent = percent;
        struct player_event ev = {.type = PLAYER_EVENT_BUFFERING,
                                  .state = p->state,
                                  .percent = percent,
                                  .duration_ms = p->duration_ms};
        emit(p, &ev);
    }
    if (buffering != p->buffering) {
        log_debug("buffering %d%%", percent);
        p->buffering = buffering;
        apply_target(p);
    }
}

static void handle_async_done(struct player *p)
{
    update_duration(p);
    if (p->phase == PLAYER_PHASE_PREROLL) {
        p->phase = PLAYER_PHASE_SEEKING;
        /* KEY_UNIT | SNAP_BEFORE: resume from the keyframe at or before start_ms, which costs
         * no decode of skipped frames; keyframes are at most one segment apart. */
        if (!gst_element_seek_simple(p->pipeline, GST_FORMAT_TIME,
                                     GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT |
                                         GST_SEEK_FLAG_SNAP_BEFORE,
                                     p->start_ms * GST_MSECOND)) {
            log_warn("cannot seek to %" G_GINT64_FORMAT " ms; playing from the start", p->start_ms);
            p->phase = PLAYER_PHASE_RUNNING;
            release_hold(p);
        }
    } else if (p->phase == PLAYER_PHASE_SEEKING) {
        p->phase = PLAYER_PHASE_RUNNING;
        release_hold(p);
    }
    apply_target(p);
}

static void handle_message(struct player *p, GstMessage *msg)
{
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
        handle_error(p, msg);
        break;
    case GST_MESSAGE_WARNING:
        handle_warning(msg);
        break;
    case GST_MESSAGE_EOS:
        if (!p->failed) {
            log_info("end of stream");
            emit_simple(p, PLAYER_EVENT_EOS);
        }
        break;
    case GST_MESSAGE_BUFFERING:
        handle_buffering(p, msg);
        break;
    case GST_MESSAGE_DURATION_CHANGED:
        update_duration(p);
        break;
    case GST_MESSAGE_ASYNC_DONE:
        handle_async_done(p);
        break;
    case GST_MESSAGE_LATENCY:
        /* The application's job per the GstPipeline docs; audio and video stay in sync. */
        gst_bin_recalculate_latency(GST_BIN(p->pipeline));
        break;
    case GST_MESSAGE_CLOCK_LOST:
        /* Selects a new clock, as the GstPipeline docs ask. */
        if (p->target == GST_STATE_PLAYING) {
            gst_element_set_state(p->pipeline, GST_STATE_PAUSED);
            gst_element_set_state(p->pipeline, GST_STATE_PLAYING);
        }
        break;
    case GST_MESSAGE_STATE_CHANGED: {
        GstState old_state, new_state;
        gst_message_parse_state_changed(msg, &old_state, &new_state, NULL);
        log_debug("pipeline %s -> %s", gst_element_state_get_name(old_state),
                  gst_element_state_get_name(new_state));
        apply_target(p); /* a request may have waited for this */
        break;
    }
    default:
        break;
    }
}

static void handle_item(struct player *p, struct player_item *it)
{
    if (!p->session || it->gen != p->session->gen)
        return; /* left over from an earlier open */
    if (it->kind == PLAYER_ITEM_FIRST_FRAME)
        publish_first_frame(p);
    else
        handle_message(p, it->msg);
    sync_state(p);
}

static void free_item(struct player_item *it)
{
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
        g_mutex_unlock(&p->lock);
        if (!it)
            return false;
        handle_item(p, it);
        free_item(it);
    }
}

/* ---- pipeline ---- */

/* Tears the stream down synchronously and forgets everything queued for it. */
static void stop_stream(struct player *p)
{
    if (!p->pipeline)
        return;
    g_mutex_lock(&p->lock);
    p->live_gen = 0; /* from here on the stream's threads queue nothing */
    p->hold_frames = false;
    g_mutex_unlock(&p->lock);

    gst_element_set_state(p->pipeline, GST_STATE_NULL);
    GstBus *bus = gst_element_get_bus(p->pipeline);
    if (bus) {
        gst_bus_set_sync_handler(bus, NULL, NULL, NULL);
        gst_object_unref(bus);
    }
    gst_object_unref(p->appsink);
    gst_object_unref(p->pipeline);
    p->appsink = NULL;
    p->pipeline = NULL;
    g_free(p->session);
    p->session = NULL;

    GQueue items = G_QUEUE_INIT;
    g_mutex_lock(&p->lock);
    items = p->items;
    g_queue_init(&p->items);
    GstSample *sample = p->sample;
    p->sample = NULL;
    p->first_frame_queued = false;
    g_mutex_unlock(&p->lock);
    for (GList *l = items.head; l; l = l->next)
        free_item(l->data);
    g_queue_clear(&items);
    if (sample)
        gst_sample_unref(sample);
    g_queue_clear_full(&p->out, g_free);

    p->phase = PLAYER_PHASE_NONE;
    p->target = GST_STATE_VOID_PENDING;
    p->start_ms = 0;
    p->duration_ms = -1;
    p->buffer_percent = -1;
    p->buffering = p->user_paused = p->failed = p->first_frame = false;
    p->state = PLAYER_IDLE;
}

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

static int build_pipeline(struct player *p, const char *uri, struct player_session *s)
{
    GstElement *pipeline = gst_element_factory_make("playbin3", NULL);
    GstElement *appsink = gst_element_factory_make("appsink", "binge-video");
    GstElement *audio = make_audio_sink(p->audio_sink_desc);
    if (!pipeline || !appsink || !audio) {
        log_error("cannot build the pipeline (playbin3, appsink or the audio sink)");
        goto fail;
    }
    gst_object_ref_sink(appsink); /* ours until stop_stream, on top of playbin3's */

    /* Raw I420/NV12 only: the UI uploads these planes as they are. playsink keeps its
     * conversion bin in the path, which is passthrough when the decoder already gives one of
     * these and converts otherwise, so an odd decoder degrades instead of failing. */
    GstCaps *caps = gst_caps_from_string("video/x-raw,format={I420,NV12}");
    g_object_set(appsink, "caps", caps, "max-buffers", 1, "drop", TRUE, "sync", TRUE,
                 "emit-signals", FALSE, "enable-last-sample", FALSE, "qos", TRUE, NULL);
    gst_caps_unref(caps);
    GstAppSinkCallbacks cbs = {.new_preroll = on_new_preroll, .new_sample = on_new_sample};
    gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &cbs, s, NULL);

    g_object_set(pipeline, "uri", uri, "video-sink", appsink, "audio-sink", audio, NULL);
    audio = NULL; /* floating ref taken by playbin3 */
    if (p->start_bitrate > 0)
        g_object_set(pipeline, "connection-speed", (guint64)(p->start_bitrate / 1000), NULL);
    g_signal_connect(pipeline, "deep-element-added", G_CALLBACK(on_element_added), NULL);

    GstBus *bus = gst_element_get_bus(pipeline);
    gst_bus_set_sync_handler(bus, on_bus_message, s, NULL);
    gst_object_unref(bus);

    p->pipeline = pipeline;
    p->appsink = appsink;
    p->session = s;
    return 0;
fail:
    if (audio)
        gst_object_unref(gst_object_ref_sink(audio));
    if (appsink)
        gst_object_unref(gst_object_ref_sink(appsink));
    if (pipeline)
        gst_object_unref(gst_object_ref_sink(pipeline));
    return BINGE_EMEDIA;
}

static bool is_local_hls(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && g_ascii_strcasecmp(path + n - 5, ".m3u8") == 0;
}

/* Turns what the app gave into what playbin3 gets. Returns 0 or BINGE_EINVAL/BINGE_EMEDIA. */
static int resolve_uri(struct player *p, const char *uri, char **play_uri)
{
    int rc = BINGE_EINVAL;
    char *scheme = g_uri_parse_scheme(uri);
    char *path = NULL;
    *play_uri = NULL;
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
    rc = local_http_publish(p->local_http, path, play_uri);
fail:
    g_free(scheme);
    g_free(path);
    return rc;
}

int player_open(struct player *p, const char *uri, int64_t start_ms)
{
    if (!p || !uri)
        return BINGE_EINVAL;
    char *play_uri = NULL;
    int rc = resolve_uri(p, uri, &play_uri);
    if (rc != 0) {
        log_warn("cannot open \"%.*s\": %s", (int)strcspn(uri, "?"), uri,
                 rc == BINGE_EINVAL ? "not an http(s) or file URI" : "no local server");
        return rc;
    }

    stop_stream(p);
    struct player_session *s = g_new0(struct player_session, 1);
    s->player = p;
    if (++p->next_gen == 0) /* 0 means "none" */
        p->next_gen = 1;
    s->gen = p->next_gen;
    s->open_us = g_get_monotonic_time();
    rc = build_pipeline(p, play_uri, s);
    if (rc != 0) {
        g_free(s);
        goto fail;
    }
    /* The query of a signed URL is its authorization: it stays out of the log. */
    log_info("open %.*s at %" G_GINT64_FORMAT " ms", (int)strcspn(uri, "?"), uri, start_ms);
    if (strcmp(play_uri, uri) != 0)
        log_debug("local HLS served as %s", play_uri);

    p->start_ms = start_ms > 0 ? start_ms : 0;
    p->phase = p->start_ms > 0 ? PLAYER_PHASE_PREROLL : PLAYER_PHASE_RUNNING;
    g_mutex_lock(&p->lock);
    p->live_gen = s->gen;
    p->hold_frames = p->start_ms > 0;
    g_mutex_unlock(&p->lock);

    apply_target(p);
    sync_state(p);
    call_wake(p);
fail:
    g_free(play_uri);
    return rc;
}

void player_stop(struct player *p)
{
    if (!p || !p->pipeline)
        return;
    log_debug("stop");
    stop_stream(p);
    emit_simple(p, PLAYER_EVENT_STATE); /* IDLE */
    call_wake(p);
}

int player_set_paused(struct player *p, bool paused)
{
    if (!p || !p->pipeline || p->failed)
        return BINGE_ESTATE;
    if (p->user_paused == paused)
        return 0;
    p->user_paused = paused;
    apply_target(p);
    sync_state(p);
    call_wake(p);
    return 0;
}

enum player_state player_get_state(const struct player *p)
{
    return p ? p->state : PLAYER_IDLE;
}

int64_t player_get_position_ms(struct player *p)
{
    if (!p || !p->pipeline)
        return -1;
    if (p->phase == PLAYER_PHASE_PREROLL || p->phase == PLAYER_PHASE_SEEKING)
        return p->start_ms; /* what the viewer asked for, not the preroll at 0 */
    gint64 pos = -1;
    if (!gst_element_query_position(p->pipeline, GST_FORMAT_TIME, &pos) || pos < 0)
        return -1;
    return pos / GST_MSECOND;
}

int64_t player_get_duration_ms(struct player *p)
{
    if (!p || !p->pipeline)
        return -1;
    if (p->duration_ms >= 0)
        return p->duration_ms;
    /* Not cached yet: ask, but leave the event to the message that will announce it. */
    gint64 d = -1;
    if (!gst_element_query_duration(p->pipeline, GST_FORMAT_TIME, &d) || d <= 0)
        return -1;
    return d / GST_MSECOND;
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
    if (p->sample && !p->hold_frames && p->sample_seq > last_seq) {
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

/* ---- lifetime ---- */

struct player *player_new(const struct player_config *cfg, void (*wake)(void *data), void *data)
{
    if (player_init() != 0)
        return NULL;
    struct player *p = g_new0(struct player, 1);
    p->audio_sink_desc =
        g_strdup(cfg && cfg->audio_sink && cfg->audio_sink[0] ? cfg->audio_sink : "autoaudiosink");
    p->start_bitrate = cfg ? cfg->start_bitrate : 0;
    p->wake = wake;
    p->wake_data = data;
    p->state = PLAYER_IDLE;
    p->phase = PLAYER_PHASE_NONE;
    p->target = GST_STATE_VOID_PENDING;
    p->duration_ms = -1;
    p->buffer_percent = -1;
    g_queue_init(&p->out);
    g_queue_init(&p->items);
    g_mutex_init(&p->lock);

    /* A typo in the configured sink should fail here, once, not on every episode. */
    GstElement *probe = make_audio_sink(p->audio_sink_desc);
    if (!probe)
        goto fail;
    gst_object_unref(gst_object_ref_sink(probe));
    return p;
fail:
    player_free(p);
    return NULL;
}

void player_free(struct player *p)
{
    if (!p)
        return;
    stop_stream(p);
    if (p->held) {
        gst_video_frame_unmap(&p->held_frame);
        gst_sample_unref(p->held_sample);
        p->held = false;
    }
    local_http_free(p->local_http);
    g_queue_clear_full(&p->out, g_free);
    g_mutex_clear(&p->lock);
    g_free(p->audio_sink_desc);
    g_free(p);
}
