#include "binge/log.h"
#include "player_internal.h"

#include <stdio.h>

LOG_MODULE("player");

/* A seek that adaptivedemux2 refused half done: the pipeline is "wedged".
 *
 * gst_adaptive_demux_handle_seek_event (GStreamer 1.22, gstadaptivedemux.c) pushes FLUSH_START
 * on every source pad and stops its tasks before it snaps a KEY_UNIT seek to a segment on one
 * stream. When that stream seek fails (hlsdemux2: gst_hls_media_playlist_seek finds no segment
 * holding the target, "Seeking failed"), it returns FALSE without the FLUSH_STOP:
 *   - on every version (1.22.0 to 1.24 at least) the pipeline stays flushing: every later seek
 *     is refused at the sinks, and the picture never moves again;
 *   - before 1.22.5 (fixed by f1e2202b23, "adaptivedemux2: Handle early key-unit seek") it also
 *     returns with its SEGMENT lock held, and the demuxer's finalize aborts the whole process
 *     ("g_mutex_clear() called on uninitialised or locked mutex") when the pipeline is torn
 *     down.
 * hlsdemux2 refuses such a seek once a segment's timestamps were not where its playlist put
 * them: gst_hlsdemux_handle_internal_time then moves the stream times of the whole playlist
 * (by more than half a segment: "Could not find a replacement stream, carrying on with
 * segment"), and a later target inside the episode falls outside the moved segments. A
 * playlist that lies about its segments does it at once (test_player_next's
 * test_refused_seek_replaced); under qemu-user, the slowness of a seek storm did it now and
 * then with honest content.
 *
 * So a refused seek is checked: when the demuxer's source pads are left flushing, the pipeline
 * is replaced by a fresh one at the target (player_unwedge); and a pipeline torn down in that
 * state on GStreamer < 1.22.5 leaves one reference on its demuxer that is never dropped
 * (player_wedge_keep): the demuxer is then never finalized, and its locked mutex never
 * cleared. The price is a bounded leak per occurrence, logged: the demuxer object without its
 * streams, threads or buffers (its PAUSED->READY reset freed them), a few kilobytes. */

/* Demuxers kept alive for good (GstElement *, one reference each). Any thread, under kept_lock.
 * Never freed: freeing one is what aborts. */
static GMutex kept_lock;
static GPtrArray *kept;

/* The adaptivedemux2 element of pipe's pipeline (a new reference), or NULL. */
static GstElement *find_demuxer(GstElement *pipeline)
{
    GType base = g_type_from_name("GstAdaptiveDemux2");
    if (!base || !pipeline || !GST_IS_BIN(pipeline))
        return NULL;
    GstElement *found = NULL;
    GstIterator *it = gst_bin_iterate_recurse(GST_BIN(pipeline));
    GValue v = G_VALUE_INIT;
    bool done = false;
    while (!done && !found) {
        switch (gst_iterator_next(it, &v)) {
        case GST_ITERATOR_OK: {
            GstElement *e = g_value_get_object(&v);
            if (g_type_is_a(G_OBJECT_TYPE(e), base))
                found = gst_object_ref(e);
            g_value_reset(&v);
            break;
        }
        case GST_ITERATOR_RESYNC:
            gst_iterator_resync(it);
            break;
        default:
            done = true;
            break;
        }
    }
    g_value_unset(&v);
    gst_iterator_free(it);
    return found;
}

/* True when demux is in PAUSED or PLAYING and a source pad of it is flushing: a FLUSH_START
 * went out with no FLUSH_STOP after it. */
static bool demuxer_flushing(GstElement *demux)
{
    GST_OBJECT_LOCK(demux);
    bool active = GST_STATE(demux) >= GST_STATE_PAUSED;
    bool flushing = false;
    for (GList *l = active ? GST_ELEMENT(demux)->srcpads : NULL; l && !flushing; l = l->next) {
        GstPad *pad = l->data;
        GST_OBJECT_LOCK(pad);
        flushing = GST_PAD_IS_FLUSHING(pad);
        GST_OBJECT_UNLOCK(pad);
    }
    GST_OBJECT_UNLOCK(demux);
    return flushing;
}

/* The version of the plugin that made demux (the core's when it cannot be read), as
 * major * 10000 + minor * 100 + micro. */
static unsigned demuxer_version(GstElement *demux, char *text, size_t len)
{
    unsigned major = 0, minor = 0, micro = 0;
    guint nano = 0;
    GstElementFactory *f = gst_element_get_factory(demux);
    GstPlugin *plugin = f ? gst_plugin_feature_get_plugin(GST_PLUGIN_FEATURE(f)) : NULL;
    const char *v = plugin ? gst_plugin_get_version(plugin) : NULL;
    if (!v || sscanf(v, "%u.%u.%u", &major, &minor, &micro) != 3)
        gst_version(&major, &minor, &micro, &nano);
    if (plugin)
        gst_object_unref(plugin);
    snprintf(text, len, "%u.%u.%u", major, minor, micro);
    return major * 10000 + minor * 100 + micro;
}

bool player_pipe_wedged(struct player_pipe *pipe)
{
    GstElement *demux = pipe ? find_demuxer(pipe->pipeline) : NULL;
    if (!demux)
        return false;
    bool wedged = demuxer_flushing(demux);
    gst_object_unref(demux);
    return wedged;
}

bool player_unwedge(struct player *p, struct player_pipe *pipe, int64_t refused_ms, int64_t at_ms)
{
    log_warn("the demuxer refused a seek to %" G_GINT64_FORMAT
             " ms and stays flushing: a new pipeline at %" G_GINT64_FORMAT " ms",
             refused_ms, at_ms);
    bool next = pipe == p->next;
    bool by_user = pipe->seek_by_user;
    if (!player_replace(p, pipe, at_ms, PLAYER_START_KEYFRAME, pipe->drop_segments)) {
        player_seek_done(p, pipe); /* SEEKED where the picture is, so no later seek waits */
        return false;
    }
    struct player_pipe *fresh = next ? p->next : p->cur;
    if (at_ms > 0) {
        fresh->seek_by_user = by_user; /* SEEKED comes when its start seek lands */
    } else if (by_user && !next) {
        /* A pipeline opened at 0 has no start seek to land: the seek is done. */
        struct player_event ev = player_event_of(p, PLAYER_EVENT_SEEKED);
        ev.position_ms = 0;
        player_emit(p, &ev);
    }
    player_touch(p);
    player_wake(p);
    return true;
}

void player_wedge_keep(struct player_pipe *pipe)
{
    GstElement *demux = pipe ? find_demuxer(pipe->pipeline) : NULL;
    if (!demux)
        return;
    char version[32];
    if (demuxer_version(demux, version, sizeof(version)) >= 12205 || !demuxer_flushing(demux)) {
        gst_object_unref(demux);
        return;
    }
    g_mutex_lock(&kept_lock);
    if (!kept)
        kept = g_ptr_array_new();
    g_ptr_array_add(kept, demux); /* our reference, never dropped */
    unsigned n = kept->len;
    g_mutex_unlock(&kept_lock);
    log_warn("GStreamer %s's %s was left with its segment lock held by a refused seek: it is "
             "kept, never freed (freeing it aborts; fixed in 1.22.5); %u kept so far",
             version, GST_OBJECT_NAME(demux), n);
}
