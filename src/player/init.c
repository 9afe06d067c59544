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
void player_warm_join(void)
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
