#include "binge/player.h"

#include "binge/error.h"
#include "binge/log.h"
#include "local_http.h"
#include "player_internal.h"

#include <gst/video/videooverlay.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LOG_MODULE("player");

#define PLAYER_DEFAULT_NEAR_END_MS 8000
#define PLAYER_DEFAULT_STALL_MS 8000
#define PLAYER_DEFAULT_STALL_RETRIES 3
/* After a re-tune, this much progress past the re-tune point counts as recovered. */
#define PLAYER_RECOVERED_MS 1000

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = BINGE_EMEDIA;
static bool deinit_done;

/* Loading a decoder's plugin is the slowest step before a first frame that is not network:
 * gst-libav maps FFmpeg and the hundred libraries it links, about 50 ms here, and playbin3
 * does it only once the demuxer has found the codec, on the way to the first frame.
 * player_warm_up loads, on a thread, what playbin3 would pick for the usual streams, in the
 * order a first stream needs them. GStreamer loads one plugin at a time (and dlopen holds a
 * process-wide lock), so this only pays when nothing is playing yet - not with a stream
 * opened at once, where it measured slower. */
static GThread *warm_thread;
static GMutex warm_lock;

static void warm_feature(GstPluginFeature *feature)
{
    GstPluginFeature *loaded = gst_plugin_feature_load(feature);
    if (loaded)
        gst_object_unref(loaded);
}

static void warm_element(const char *name)
{
    GstElementFactory *f = gst_element_factory_find(name);
    if (!f)
        return;
    warm_feature(GST_PLUGIN_FEATURE(f));
    gst_object_unref(f);
}

static gpointer warm_up(gpointer data)
{
    (void)data;
    gint64 start = g_get_monotonic_time();
    static const char *const elements[] = {"playbin3",    "appsink",   "fakesink",
                                           "souphttpsrc", "hlsdemux2", "tsdemux",
                                           "qtdemux",     "h264parse", "aacparse"};
    for (size_t i = 0; i < G_N_ELEMENTS(elements); i++)
        warm_element(elements[i]);
    GstPlugin *typefind = gst_plugin_load_by_name("typefindfunctions");
    if (typefind)
        gst_object_unref(typefind);
    /* The decoders playbin3 would choose: the best-ranked for each usual format. */
    static const char *const formats[] = {
        "video/x-h264, stream-format=(string)byte-stream, alignment=(string)au",
        "video/x-h265, stream-format=(string)byte-stream, alignment=(string)au",
        "audio/mpeg, mpegversion=(int)4, stream-format=(string)raw",
    };
    GList *decoders =
        gst_element_factory_list_get_elements(GST_ELEMENT_FACTORY_TYPE_DECODER, GST_RANK_MARGINAL);
    decoders = g_list_sort(decoders, gst_plugin_feature_rank_compare_func);
    for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
        GstCaps *caps = gst_caps_from_string(formats[i]);
        GList *fit =
            caps ? gst_element_factory_list_filter(decoders, caps, GST_PAD_SINK, FALSE) : NULL;
        if (fit)
            warm_feature(GST_PLUGIN_FEATURE(fit->data));
        gst_plugin_feature_list_free(fit);
        if (caps)
            gst_caps_unref(caps);
    }
    gst_plugin_feature_list_free(decoders);
    log_info("decoders and demuxers loaded ahead in %lld ms",
             (long long)((g_get_monotonic_time() - start) / 1000));
    return NULL;
}

/* warm_thread once it is joined: the plugins are loaded, nothing to start again. */
#define WARM_DONE ((GThread *)1)

void player_warm_up(void)
{
    if (player_init() != 0)
        return;
    g_mutex_lock(&warm_lock);
    if (!warm_thread)
        warm_thread = g_thread_try_new("binge-warm", warm_up, NULL, NULL);
    g_mutex_unlock(&warm_lock);
}

/* Waits for the warm-up thread, so that no thread is left loading a library while the process
 * exits. */
static void warm_join(void)
{
    g_mutex_lock(&warm_lock);
    if (warm_thread && warm_thread != WARM_DONE)
        g_thread_join(warm_thread);
    warm_thread = WARM_DONE;
    g_mutex_unlock(&warm_lock);
}

static void init_gst(void)
{
    GError *err = NULL;
    player_soup_choose();
    if (!gst_init_check(NULL, NULL, &err)) {
        log_error("cannot initialise GStreamer: %s", err ? err->message : "unknown error");
        g_clear_error(&err);
        return;
    }
    const char *needed[] = {"playbin3", "appsink", "fakesink"};
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
    player_segments_init();
    init_result = 0;
}

int player_init(void)
{
    pthread_once(&init_once, init_gst);
    return init_result;
}

void player_deinit(void)
{
    pthread_once(&init_once, init_gst);
    if (init_result == 0 && !deinit_done) {
        deinit_done = true;
        init_result = BINGE_EMEDIA;
        warm_join();
        player_segments_deinit();
        gst_deinit();
    }
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

static int64_t mono_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

/* Makes player_next_deadline_ms ask for a tick at once: something changed that the time-driven
 * checks must look at. */
static void touch(struct player *p)
{
    p->deadline_ms = mono_ms();
}

/* True while segments.c holds the pipe's demuxer: nothing that waits for the demuxer's
 * scheduler (seeks, queries that reach it, select-streams) is sent to it then. */
static bool pipe_held(const struct player_pipe *pipe)
{
    return g_atomic_int_get(&((struct player_pipe *)pipe)->held) != 0;
}

/* ---- translated events (UI thread) ---- */

static void emit(struct player *p, const struct player_event *ev)
{
    struct player_event *copy = g_new(struct player_event, 1);
    *copy = *ev;
    g_queue_push_tail(&p->out, copy);
}

static struct player_event event_of(const struct player *p, enum player_event_type type)
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

static void emit_simple(struct player *p, enum player_event_type type)
{
    struct player_event ev = event_of(p, type);
    emit(p, &ev);
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

static void sync_state(struct player *p)
{
    enum player_state s = derive_state(p);
    if (s == p->state)
        return;
    log_debug("state %s -> %s", player_state_name(p->state), player_state_name(s));
    p->state = s;
    emit_simple(p, PLAYER_EVENT_STATE);
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
static void apply_target(struct player *p, struct player_pipe *pipe)
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
    if (pipe_held(pipe) || !gst_element_query_duration(pipe->pipeline, GST_FORMAT_TIME, &d) ||
        d <= 0)
        return;
    g_mutex_lock(&p->lock);
    int64_t ms = d / GST_MSECOND + pipe->time_offset_ms; /* hlsdemux2's is the rest's */
    g_mutex_unlock(&p->lock);
    if (ms == pipe->duration_ms)
        return;
    pipe->duration_ms = ms;
    log_debug("duration %" G_GINT64_FORMAT " ms", ms);
    if (pipe == p->cur)
        emit_simple(p, PLAYER_EVENT_DURATION);
}

static int64_t query_position(struct player_pipe *pipe)
{
    gint64 pos = -1;
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
    struct player_event ev = event_of(p, PLAYER_EVENT_VARIANT);
    ev.variant = v;
    emit(p, &ev);
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
    struct player_event ev = event_of(p, PLAYER_EVENT_PREROLLED);
    ev.duration_ms = pipe->duration_ms;
    emit(p, &ev);
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
    emit_simple(p, PLAYER_EVENT_FIRST_FRAME);
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

/* ---- errors ---- */

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

static int make_pipe(struct player *p, const char *uri, int64_t start_ms, bool preroll,
                     struct player_pipe **out);
static int make_pipe_from(struct player *p, const char *uri, const char *source, int64_t start_ms,
                          bool preroll, struct player_pipe **out);
static void retire(struct player *p, struct player_pipe *pipe);
static void drop_dead_items(struct player *p);
static void make_current(struct player *p, struct player_pipe *pipe);

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
static void carry_over(const struct player_pipe *from, struct player_pipe *to)
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

/* Builds pipe again at start (how: mode) and puts the new one in its place, cur or next. The
 * new one leaves the first drop segments of a media playlist out (a first-segment hole). */
static bool replace_from(struct player *p, struct player_pipe *pipe, const char *source,
                         int64_t start, enum player_start_mode mode, int drop)
{
    bool next = pipe == p->next;
    struct player_pipe *fresh = NULL;
    if (make_pipe_from(p, pipe->uri, source ? source : pipe->source, start, next, &fresh) != 0)
        return false;
    fresh->start_mode = mode;
    fresh->drop_segments = drop; /* read when the playlist arrives: no thread of it runs yet */
    if (mode == PLAYER_START_AFTER)
        fresh->skip_before_ms = from_hole(pipe, start); /* no thread of it runs yet */
    fresh->rebuilds = pipe->rebuilds;
    fresh->skips = pipe->skips;
    fresh->request_us = pipe->request_us; /* the statistics go on */
    carry_over(pipe, fresh);
    g_mutex_lock(&p->lock);
    if (pipe->n_seg_starts > 0) {
        fresh->seg_starts =
            g_memdup2(pipe->seg_starts, sizeof(int64_t) * (size_t)(pipe->n_seg_starts + 1));
        fresh->n_seg_starts = pipe->n_seg_starts;
    }
    g_mutex_unlock(&p->lock);
    if (next) {
        p->next = NULL;
        retire(p, pipe);
        p->next = fresh;
        g_mutex_lock(&p->lock);
        p->next_gen = fresh->gen;
        g_mutex_unlock(&p->lock);
        apply_target(p, fresh);
    } else {
        p->cur = NULL;
        retire(p, pipe);
        drop_dead_items(p);
        make_current(p, fresh);
    }
    return true;
}

static bool replace(struct player *p, struct player_pipe *pipe, int64_t start,
                    enum player_start_mode mode, int drop)
{
    return replace_from(p, pipe, NULL, start, mode, drop);
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
    bool ok = replace_from(p, pipe, source, 0, PLAYER_START_KEYFRAME, drop);
    g_free(source);
    return ok;
}

static bool rebuild(struct player *p, struct player_pipe *pipe)
{
    if (pipe->rebuilds >= 2)
        return false;
    int64_t start = pipe->start_ms;
    if (pipe->first_frame && pipe->phase == PLAYER_PHASE_RUNNING) {
        int64_t pos = query_position(pipe);
        start = pos > 0 ? pos : start;
    }
    log_warn("hlsdemux2 failed a stream it had fully downloaded (GStreamer 1.22 race): "
             "building it again");
    pipe->rebuilds++;
    return replace(p, pipe, start, PLAYER_START_EXACT, pipe->drop_segments);
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
        pipe->playlist_asked_ms = mono_ms(); /* the skip waits a moment for it (player_tick) */
    pipe->skips++;
    /* The watchdog of the skip starts now, from where the picture is. */
    p->wd_progress_ms = mono_ms();
    p->wd_pos_ms = pipe->first_frame ? query_position(pipe) : -1;
    apply_target(p, pipe);
}

/* Whether a failed segment of pipe may be skipped. The skip happens in player_tick: an app that
 * does not tick gets the error at once. Nothing shown after two skips: the segments are not
 * missing, the stream is. */
static bool may_skip(const struct player *p, const struct player_pipe *pipe)
{
    return p->ticked && pipe == p->cur && pipe->skips < 5 && !(pipe->skips >= 2 && !p->shown_first);
}

/* The media playlist of a master arrived (player_playlist_fetch): where its segments start. */
static void playlist_fetched(struct player *p, struct player_pipe *pipe, struct player_item *it)
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
static void segment_failed(struct player *p, struct player_pipe *pipe, const struct player_item *it)
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
    struct player_event ev = event_of(p, PLAYER_EVENT_ERROR);
    ev.error = PLAYER_ERROR_NETWORK;
    snprintf(ev.message, sizeof(ev.message),
             "The video server is having trouble with this episode. Please try again later");
    snprintf(ev.detail, sizeof(ev.detail),
             "the segment at %" G_GINT64_FORMAT " ms of %s answered HTTP %u to %d requests",
             it->start_ms, pipe->log_uri, it->status, it->attempts);
    report_error(p, pipe, &ev);
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

/* How many segments a pipeline must leave out of the media playlist to skip the hole from..to
 * at its head, or 0 when the hole is not at its head (or the playlist is not known). */
static int head_hole_drop(struct player *p, const struct player_pipe *pipe, int64_t from,
                          int64_t to)
{
    g_mutex_lock(&p->lock);
    bool head = from <= pipe->time_offset_ms;
    g_mutex_unlock(&p->lock);
    int n = head ? segments_before(p, pipe, to) : -1;
    return n > 0 ? n : 0;
}

/* Called by player_tick while a missing segment is ahead: once the picture gets there (or
 * stops), goes on at the next segment, or ends the stream when it was the last. */
static void skip_missing(struct player *p, int64_t pos)
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
        emit_simple(p, PLAYER_EVENT_EOS);
        player_stats_log(p, "eos");
        return;
    }
    log_info("skipping the missing segment at %" G_GINT64_FORMAT " ms (position %" G_GINT64_FORMAT
             " ms)",
             from, pos);
    /* A hole at the head of what hlsdemux2 plays (the first segment, or the one after those
     * already left out): there is nothing to preroll on at 0, so the next pipeline gets the
     * media playlist without them, and starts where the rest starts. */
    int drop = head_hole_drop(p, pipe, from, to);
    bool replaced = drop > 0 ? replace_leaving_out(p, pipe, drop)
                             : replace(p, pipe, target, PLAYER_START_AFTER, pipe->drop_segments);
    if (!replaced) {
        struct player_event ev = event_of(p, PLAYER_EVENT_ERROR);
        snprintf(ev.message, sizeof(ev.message),
                 "Can't play this episode: the stream was not found (404)");
        snprintf(ev.detail, sizeof(ev.detail),
                 "cannot skip the missing segment at %" G_GINT64_FORMAT " ms", from);
        report_error(p, pipe, &ev);
        return;
    }
    p->wd_progress_ms = mono_ms();
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
        emit(p, ev);
        player_cancel_preroll(p); /* pipe is gone from here on */
        return;
    }
    ev->type = PLAYER_EVENT_ERROR;
    ev->state = PLAYER_ERROR;
    log_error("%s [%s]", ev->message, ev->detail);
    p->stats.errors++;
    emit(p, ev);
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

static void handle_error(struct player *p, struct player_pipe *pipe, GstMessage *msg)
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
        struct player_event ev = event_of(p, PLAYER_EVENT_ERROR);
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

static void handle_diagnosis(struct player *p, struct player_pipe *pipe, struct player_item *it)
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

static void handle_warning(struct player *p, struct player_pipe *pipe, GstMessage *msg)
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
            struct player_event ev = event_of(p, PLAYER_EVENT_BUFFERING);
            ev.percent = percent;
            emit(p, &ev);
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
        apply_target(p, pipe);
    }
}

static bool issue_seek(struct player_pipe *pipe, int64_t ms, enum player_start_mode mode)
{
    if (pipe_held(pipe))
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
    /* hlsdemux2 seeks in its own time: a first-segment hole left the head out. */
    g_mutex_lock(&pipe->player->lock);
    int64_t offset = pipe->time_offset_ms;
    g_mutex_unlock(&pipe->player->lock);
    ms = ms > offset ? ms - offset : 0;
    return gst_element_seek_simple(pipe->pipeline, GST_FORMAT_TIME, flags, ms * GST_MSECOND);
}

static void seek_done(struct player *p, struct player_pipe *pipe)
{
    pipe->phase = PLAYER_PHASE_RUNNING;
    pipe->settled = true;
    release_hold(p, pipe);
    if (pipe->seek_by_user) {
        pipe->seek_by_user = false;
        if (pipe == p->cur) {
            struct player_event ev = event_of(p, PLAYER_EVENT_SEEKED);
            int64_t pos = query_position(pipe);
            ev.position_ms = pos >= 0 ? pos : pipe->start_ms;
            log_debug("seeked to %" G_GINT64_FORMAT " ms", ev.position_ms);
            emit(p, &ev);
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
        g_mutex_unlock(&p->lock);
        /* A re-tune goes on exactly where the picture stopped: decoding from the keyframe
         * before costs a moment, a jump back would be seen. */
        if (!issue_seek(pipe, pipe->start_ms, pipe->start_mode)) {
            log_warn("cannot seek to %" G_GINT64_FORMAT " ms; playing from the start",
                     pipe->start_ms);
            seek_done(p, pipe);
        }
    } else if (pipe->phase == PLAYER_PHASE_SEEKING) {
        if (pipe->pending_seek_ms >= 0) {
            /* Seeks asked for while one was in flight collapse into the latest. */
            pipe->start_ms = pipe->pending_seek_ms;
            pipe->pending_seek_ms = -1;
            if (issue_seek(pipe, pipe->start_ms, PLAYER_START_KEYFRAME))
                return;
        }
        seek_done(p, pipe);
    } else {
        pipe->settled = true;
    }
    check_prerolled(p, pipe);
    apply_target(p, pipe);
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
        emit_simple(p, PLAYER_EVENT_TRACKS);
    }
}

static void handle_message(struct player *p, struct player_pipe *pipe, GstMessage *msg)
{
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
        handle_error(p, pipe, msg);
        break;
    case GST_MESSAGE_WARNING:
        handle_warning(p, pipe, msg);
        break;
    case GST_MESSAGE_EOS:
        if (!pipe->failed && pipe == p->cur && !pipe->eos) {
            log_info("end of stream");
            pipe->eos = true;
            if (pipe->duration_ms > p->stats.position_ms)
                p->stats.position_ms = pipe->duration_ms;
            emit_simple(p, PLAYER_EVENT_EOS);
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
        apply_target(p, pipe); /* a request may have waited for this */
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
        handle_diagnosis(p, pipe, it);
    else if (it->kind == PLAYER_ITEM_SEGMENT_FAILED)
        segment_failed(p, pipe, it);
    else if (it->kind == PLAYER_ITEM_PLAYLIST)
        playlist_fetched(p, pipe, it);
    else
        handle_message(p, pipe, it->msg);
    sync_state(p);
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
            touch(p);
        if (!it)
            return false;
        handle_item(p, it);
        free_item(it);
        touch(p);
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

static int make_pipe_from(struct player *p, const char *uri, const char *source, int64_t start_ms,
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
    return make_pipe_from(p, uri, NULL, start_ms, preroll, out);
}

/* Kills the pipe's generation (its threads queue nothing more) and hands it to the reaper
 * thread, which tears it down: the UI thread never waits for a pipeline to reach NULL. */
static void retire(struct player *p, struct player_pipe *pipe)
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
static void drop_dead_items(struct player *p)
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
    p->wd_progress_ms = mono_ms();
    p->wd_pos_ms = -1;
    touch(p);
}

/* Ends the current playback: no more events or frames of it. */
static void end_playback(struct player *p, const char *result)
{
    if (!p->cur)
        return;
    player_stats_log(p, result);
    struct player_pipe *old = p->cur;
    p->cur = NULL;
    retire(p, old);
    GstSample *sample = NULL;
    g_mutex_lock(&p->lock);
    sample = p->sample;
    p->sample = NULL;
    g_mutex_unlock(&p->lock);
    if (sample)
        gst_sample_unref(sample);
    drop_dead_items(p);
    g_queue_clear_full(&p->out, g_free);
    p->state = PLAYER_IDLE;
    p->user_paused = false;
}

static void make_current(struct player *p, struct player_pipe *pipe)
{
    p->cur = pipe;
    g_mutex_lock(&p->lock);
    p->cur_gen = pipe->gen;
    g_mutex_unlock(&p->lock);
    apply_target(p, pipe);
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
    make_current(p, pipe);
    sync_state(p);
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
        emit_simple(p, PLAYER_EVENT_STATE); /* IDLE */
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
    p->wd_progress_ms = mono_ms();
    apply_target(p, p->cur);
    sync_state(p);
    touch(p);
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
    p->wd_progress_ms = mono_ms();
    p->wd_pos_ms = -1;
    log_info("seek to %" G_GINT64_FORMAT " ms", position_ms);
    if (pipe->phase == PLAYER_PHASE_PREROLL) {
        pipe->start_ms = position_ms; /* the start seek is still to come: it takes this */
    } else if (pipe->phase == PLAYER_PHASE_RUNNING && !pipe->settled) {
        /* Opened at 0 and not prerolled yet: the pipeline would refuse a seek now. It becomes
         * the start seek, issued at ASYNC_DONE. */
        pipe->phase = PLAYER_PHASE_PREROLL;
        pipe->start_ms = position_ms;
    } else if (pipe->phase == PLAYER_PHASE_SEEKING) {
        pipe->pending_seek_ms = position_ms;
        pipe->start_ms = position_ms;
    } else if (pipe_held(pipe)) {
        /* Its demuxer is held on a failing segment: a new pipeline goes there instead. */
        pipe->seek_by_user = false;
        if (!replace(p, pipe, position_ms, PLAYER_START_KEYFRAME, pipe->drop_segments))
            return BINGE_EMEDIA;
        p->cur->seek_by_user = position_ms > 0; /* SEEKED comes after its start seek */
    } else {
        pipe->phase = PLAYER_PHASE_SEEKING;
        pipe->start_ms = position_ms;
        if (!issue_seek(pipe, position_ms, PLAYER_START_KEYFRAME)) {
            /* Now and then playbin3 refuses a seek right after another has landed (about one
             * 1,500-seek storm in three): player_tick asks again, so the key is not lost. */
            log_warn("the pipeline refused a seek to %" G_GINT64_FORMAT " ms: asking again",
                     position_ms);
            pipe->phase = PLAYER_PHASE_RUNNING;
            pipe->retry_seek_ms = position_ms;
            pipe->retry_seeks = 0;
        }
    }
    touch(p);
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
    apply_target(p, pipe);
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
    retire(p, pipe);
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
        retire(p, old);
    drop_dead_items(p);

    playback_reset(p);
    p->stats.prerolled = true;
    p->stats.start_variant = n->start_variant;
    p->stats.variant_switches = n->switches;
    player_stats_update(p, n, &p->stats);
    p->state = PLAYER_IDLE; /* the new stream's state is announced in full below */
    n->preroll = false;
    if (n->duration_ms >= 0)
        emit_simple(p, PLAYER_EVENT_DURATION);
    if (n->have_variant) {
        struct player_event ev = event_of(p, PLAYER_EVENT_VARIANT);
        ev.variant = n->variant;
        emit(p, &ev);
    }
    if (n->n_tracks > 0)
        emit_simple(p, PLAYER_EVENT_TRACKS);
    if (n->first_frame && (published || !p->vo->frames)) {
        p->shown_first = true;
        emit_simple(p, PLAYER_EVENT_FIRST_FRAME);
    }
    player_pipe_show_preroll(n, true);
    apply_target(p, n);
    sync_state(p);
    log_info("swapped to the next stream (%s)", n->ready_sent ? "prerolled" : "still loading");
    player_wake(p);
    return 0;
}

/* ---- time-driven checks ---- */

static void stall_fail(struct player *p)
{
    struct player_pipe *pipe = p->cur;
    struct player_event ev = event_of(p, PLAYER_EVENT_ERROR);
    snprintf(ev.message, sizeof(ev.message), "The stream stopped and did not come back");
    ev.error = PLAYER_ERROR_STALLED;
    snprintf(ev.detail, sizeof(ev.detail),
             "no progress for %" G_GINT64_FORMAT " ms at %" G_GINT64_FORMAT
             " ms after %d re-tunes of %s",
             p->stall_ms, p->wd_pos_ms, p->stall_attempts, pipe->log_uri);
    log_error("%s [%s]", ev.message, ev.detail);
    pipe->failed = true;
    p->stats.errors++;
    ev.state = PLAYER_ERROR;
    ev.position_ms = p->wd_pos_ms;
    emit(p, &ev);
    sync_state(p);
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
    struct player_event ev = event_of(p, PLAYER_EVENT_STALL);
    ev.attempt = attempt;
    ev.position_ms = pos;
    emit(p, &ev);

    struct player_pipe *pipe = NULL;
    char *uri = g_strdup(old->uri);
    int rc = make_pipe(p, uri, pos, false, &pipe);
    g_free(uri);
    if (rc != 0) {
        stall_fail(p);
        return;
    }
    player_cancel_preroll(p); /* it was for the stream as it was; the app prerolls again */
    pipe->start_mode = PLAYER_START_EXACT;
    carry_over(old, pipe);
    p->cur = NULL;
    retire(p, old);
    drop_dead_items(p);
    p->retune_pos_ms = pos;
    p->wd_progress_ms = now_ms;
    p->wd_pos_ms = -1;
    make_current(p, pipe);
    sync_state(p);
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
        if (issue_seek(pipe, pipe->retry_seek_ms, PLAYER_START_KEYFRAME)) {
            pipe->phase = PLAYER_PHASE_SEEKING;
            pipe->start_ms = pipe->retry_seek_ms;
            pipe->retry_seek_ms = -1;
        } else if (++pipe->retry_seeks >= 20) {
            /* Given up: SEEKED still comes (where the picture is), so that the app's next seek
             * is not held behind one that never lands. */
            log_warn("the pipeline refused a seek to %" G_GINT64_FORMAT " ms 20 times",
                     pipe->retry_seek_ms);
            pipe->retry_seek_ms = -1;
            seek_done(p, pipe);
        } else {
            PLAYER_DEADLINE(now_ms + 50);
        }
    } else if (pipe->phase != PLAYER_PHASE_RUNNING) {
        pipe->retry_seek_ms = -1; /* a newer seek or a start seek took its place */
    }
    bool running = pipe->phase == PLAYER_PHASE_RUNNING && pipe->first_frame && !pipe->failed;
    int64_t pos = running ? query_position(pipe) : -1;
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
            skip_missing(p, pos);
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
            struct player_event ev = event_of(p, PLAYER_EVENT_NEAR_END);
            ev.position_ms = pos;
            emit(p, &ev);
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
    return query_position(pipe);
}

int64_t player_get_duration_ms(struct player *p)
{
    if (!p || !p->cur)
        return -1;
    if (p->cur->duration_ms >= 0 || pipe_held(p->cur))
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
    bool text_off = p->pref_text && !p->pref_text[0]; /* hidden, still selected: tracks.c */
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
    touch(p);
    return select_track(p, PLAYER_TRACK_TEXT, language_or_id);
}

bool player_get_subtitle(struct player *p, char *buf, size_t len)
{
    if (buf && len > 0)
        buf[0] = '\0';
    if (!p || !buf || !p->cur || (p->pref_text && !p->pref_text[0]))
        return false;
    int64_t pos = player_get_position_ms(p);
    if (pos < 0)
        return false;
    return player_cues_lookup(p, p->cur, pos, buf, len);
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
    warm_join();
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
