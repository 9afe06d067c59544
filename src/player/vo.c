#include "binge/error.h"
#include "binge/log.h"
#include "player_internal.h"

#include <gst/app/gstappsink.h>

#include <stdlib.h>
#include <string.h>

LOG_MODULE("player");

/* The video outputs: a const table, "null" always there. The platform profile names one
 * (platform.video_output), the player builds its sink for every pipeline. */

/* ---- texture: frames through an appsink ---- */

static int texture_prepare(const struct player_config *cfg, char **sink_desc)
{
    *sink_desc = NULL;
    return 0;
}

static GstElement *texture_make_sink(const char *sink_desc)
{
    GstElement *sink = gst_element_factory_make("appsink", "binge-video");
    if (!sink) {
        log_error("GStreamer element appsink is missing (install gstreamer1.0-plugins-base)");
        return NULL;
    }
    /* Raw I420/NV12 only: the UI uploads these planes as they are. playsink keeps its
     * conversion bin in the path, which is passthrough when the decoder already gives one of
     * these and converts otherwise, so an odd decoder degrades instead of failing. */
    GstCaps *caps = gst_caps_from_string("video/x-raw,format={I420,NV12}");
    g_object_set(sink, "caps", caps, "max-buffers", 1, "drop", TRUE, "sync", TRUE, "emit-signals",
                 FALSE, "enable-last-sample", FALSE, "qos", TRUE, NULL);
    gst_caps_unref(caps);
    return sink;
}

static const struct player_vo vo_texture = {
    .name = "texture",
    .description = "frames through an appsink, uploaded by the UI (I420/NV12)",
    .frames = true,
    .prepare = texture_prepare,
    .make_sink = texture_make_sink,
};

/* ---- plane: a sink that draws on a surface of its own ---- */

static GstElement *make_from_desc(const char *desc)
{
    GError *err = NULL;
    GstElement *sink = NULL;
    if (!strpbrk(desc, " !=")) {
        sink = gst_element_factory_make(desc, "binge-video");
        if (!sink)
            log_error("no GStreamer element \"%s\"", desc);
        return sink;
    }
    sink = gst_parse_bin_from_description(desc, TRUE, &err);
    if (!sink) {
        log_error("bad video sink \"%s\": %s", desc, err ? err->message : "unknown error");
        g_clear_error(&err);
        return NULL;
    }
    if (err) {
        log_warn("video sink \"%s\": %s", desc, err->message);
        g_clear_error(&err);
    }
    return sink;
}

/* True when desc builds and reaches READY here: X11 sinks connect to the display then, xv
 * finds (or misses) its adaptors, kmssink opens the card. */
static bool sink_works(const char *desc)
{
    GstElement *sink = make_from_desc(desc);
    if (!sink)
        return false;
    gst_object_ref_sink(sink);
    bool ok = gst_element_set_state(sink, GST_STATE_READY) != GST_STATE_CHANGE_FAILURE;
    gst_element_set_state(sink, GST_STATE_NULL);
    gst_object_unref(sink);
    return ok;
}

static int plane_prepare(const struct player_config *cfg, char **sink_desc)
{
    *sink_desc = NULL;
    if (cfg && cfg->video_sink && cfg->video_sink[0]) {
        if (!sink_works(cfg->video_sink)) {
            log_error("video sink \"%s\" does not work here", cfg->video_sink);
            return BINGE_EMEDIA;
        }
        *sink_desc = g_strdup(cfg->video_sink);
        return 0;
    }
    const char *x = getenv("DISPLAY");
    const char *w = getenv("WAYLAND_DISPLAY");
    const char *candidates[5];
    size_t n = 0;
    /* waylandsink needs the application's wl_display to draw into its surface. */
    if (w && *w && cfg && cfg->display_handle)
        candidates[n++] = "waylandsink";
    if (x && *x) {
        /* xv scales in hardware; ximagesink works on any X server (Xvfb has no Xv). */
        candidates[n++] = "xvimagesink";
        candidates[n++] = "ximagesink";
        candidates[n++] = "glimagesink";
    }
    if (n == 0)
        candidates[n++] = "kmssink";
    for (size_t i = 0; i < n; i++) {
        if (sink_works(candidates[i])) {
            log_info("plane output: %s", candidates[i]);
            *sink_desc = g_strdup(candidates[i]);
            return 0;
        }
        log_debug("plane output: %s does not work here", candidates[i]);
    }
    log_error("plane output: no video sink works here (tried %zu)", n);
    return BINGE_EMEDIA;
}

static GstElement *plane_make_sink(const char *sink_desc)
{
    GstElement *sink = make_from_desc(sink_desc);
    /* The sink draws only its render rectangle: the X sinks otherwise paint the rest of the
     * window black, over the UI around the picture. */
    if (sink && g_object_class_find_property(G_OBJECT_GET_CLASS(sink), "draw-borders"))
        g_object_set(sink, "draw-borders", FALSE, NULL);
    return sink;
}

static const struct player_vo vo_plane = {
    .name = "plane",
    .description = "a GStreamer sink on its own surface (GstVideoOverlay window, KMS plane)",
    .frames = false,
    .prepare = plane_prepare,
    .make_sink = plane_make_sink,
};

/* ---- null: decoded and dropped in time ---- */

static int null_prepare(const struct player_config *cfg, char **sink_desc)
{
    *sink_desc = NULL;
    return 0;
}

static GstElement *null_make_sink(const char *sink_desc)
{
    GstElement *sink = gst_element_factory_make("fakesink", "binge-video");
    if (sink)
        g_object_set(sink, "sync", TRUE, "enable-last-sample", FALSE, NULL);
    return sink;
}

static const struct player_vo vo_null = {
    .name = "null",
    .description = "decoded video is dropped in time (benchmarks, audio checks)",
    .frames = false,
    .prepare = null_prepare,
    .make_sink = null_make_sink,
};

static const struct player_vo *const vo_list[] = {&vo_texture, &vo_plane, &vo_null, NULL};

const struct player_vo *player_vo_find(const char *name)
{
    if (!name || !*name)
        return &vo_texture;
    for (size_t i = 0; vo_list[i]; i++) {
        if (strcmp(vo_list[i]->name, name) == 0)
            return vo_list[i];
    }
    return NULL;
}

bool player_video_output_exists(const char *name)
{
    return name && player_vo_find(name) != NULL;
}
