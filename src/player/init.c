/* GStreamer's initialisation for the player (once per process), the warm-up of the plugins a
 * first stream needs, and the end of both. Split from player.c, which keeps the pipelines. */

#include "binge/error.h"
#include "binge/log.h"
#include "binge/player.h"
#include "player_internal.h"

#include <pthread.h>

LOG_MODULE("player");

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

/* A quit does not wait for the whole warm-up: player_warm_join stops it at the next plugin, so
 * the stop waits for one plugin's load at most. On a slow board or under an emulator the whole
 * warm-up can take longer than the stop's bound (stop.c); a quit soon after home appeared then
 * ended in "binge did not stop" (seen under qemu-arm: 11 s and still loading). The gate has its
 * own lock: player_warm_join holds warm_lock while it joins. */
static GMutex gate_lock;
static GCond gate_cond;
static bool gate_stop;    /* player_warm_join was called: load nothing more */
static bool gate_held;    /* tests: the thread waits at the gate (player_warm_hold) */
static bool gate_waiting; /* the thread waits at the gate */
static unsigned warm_loaded;

/* Called before each plugin: false once the warm-up is to stop. */
static bool warm_gate(void)
{
    g_mutex_lock(&gate_lock);
    while (gate_held && !gate_stop) {
        gate_waiting = true;
        g_cond_broadcast(&gate_cond);
        g_cond_wait(&gate_cond, &gate_lock);
    }
    gate_waiting = false;
    bool go = !gate_stop;
    g_mutex_unlock(&gate_lock);
    return go;
}

static bool warm_feature(GstPluginFeature *feature)
{
    if (!warm_gate())
        return false;
    GstPluginFeature *loaded = gst_plugin_feature_load(feature);
    if (loaded)
        gst_object_unref(loaded);
    g_mutex_lock(&gate_lock);
    warm_loaded++;
    g_mutex_unlock(&gate_lock);
    return true;
}

static bool warm_element(const char *name)
{
    GstElementFactory *f = gst_element_factory_find(name);
    if (!f)
        return true;
    bool go = warm_feature(GST_PLUGIN_FEATURE(f));
    gst_object_unref(f);
    return go;
}

static gpointer warm_up(gpointer data)
{
    (void)data;
    gint64 start = g_get_monotonic_time();
    static const char *const elements[] = {"playbin3",    "appsink",   "fakesink",
                                           "souphttpsrc", "hlsdemux2", "tsdemux",
                                           "qtdemux",     "h264parse", "aacparse"};
    for (size_t i = 0; i < G_N_ELEMENTS(elements); i++)
        if (!warm_element(elements[i]))
            goto stopped;
    if (!warm_gate())
        goto stopped;
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
    bool go = true;
    for (size_t i = 0; go && i < G_N_ELEMENTS(formats); i++) {
        GstCaps *caps = gst_caps_from_string(formats[i]);
        GList *fit =
            caps ? gst_element_factory_list_filter(decoders, caps, GST_PAD_SINK, FALSE) : NULL;
        if (fit)
            go = warm_feature(GST_PLUGIN_FEATURE(fit->data));
        gst_plugin_feature_list_free(fit);
        if (caps)
            gst_caps_unref(caps);
    }
    gst_plugin_feature_list_free(decoders);
    if (!go)
        goto stopped;
    log_info("decoders and demuxers loaded ahead in %lld ms",
             (long long)((g_get_monotonic_time() - start) / 1000));
    return NULL;
stopped:
    log_info("loading ahead stopped by the quit, after %lld ms",
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
void player_warm_join(void)
{
    g_mutex_lock(&gate_lock);
    gate_stop = true;
    g_cond_broadcast(&gate_cond);
    g_mutex_unlock(&gate_lock);
    g_mutex_lock(&warm_lock);
    if (warm_thread && warm_thread != WARM_DONE)
        g_thread_join(warm_thread);
    warm_thread = WARM_DONE;
    g_mutex_unlock(&warm_lock);
}

void player_warm_hold(bool hold)
{
    g_mutex_lock(&gate_lock);
    gate_held = hold;
    g_cond_broadcast(&gate_cond);
    g_mutex_unlock(&gate_lock);
}

void player_warm_wait_held(void)
{
    g_mutex_lock(&gate_lock);
    while (gate_held && !gate_waiting && !gate_stop)
        g_cond_wait(&gate_cond, &gate_lock);
    g_mutex_unlock(&gate_lock);
}

unsigned player_warm_loaded(void)
{
    g_mutex_lock(&gate_lock);
    unsigned n = warm_loaded;
    g_mutex_unlock(&gate_lock);
    return n;
}

static void init_gst(void)
{
    GError *err = NULL;
    /* gst_init first, then the libsoup choice: an in-process registry scan (soup.c) may load
     * libsoup 3 on its own, and 2.4 must then stay out. */
    if (!gst_init_check(NULL, NULL, &err)) {
        log_error("cannot initialise GStreamer: %s", err ? err->message : "unknown error");
        g_clear_error(&err);
        return;
    }
    player_soup_choose();
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
        player_warm_join();
        player_segments_deinit();
        gst_deinit();
    }
}
