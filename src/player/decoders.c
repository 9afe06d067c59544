#include "binge/log.h"
#include "player_internal.h"

#include <string.h>

LOG_MODULE("player");

/* The decoders a board prefers (player_config.prefer_decoders): playbin3's decodebin3 takes,
 * for each stream, the decoder of the highest rank that accepts its caps, so raising the named
 * ones above every other decoder (the first name highest) is all it takes. The hardware V4L2
 * decoders rank low or not at all in some GStreamer versions (the stateless ones were
 * secondary), and software would win. Ranks are registry-wide: one lock; a later list goes above
 * an earlier one. */
static GMutex prefer_lock;

/* The highest rank of any decoder now: the preferred ones go above it. */
static guint top_decoder_rank(void)
{
    guint top = GST_RANK_PRIMARY;
    GList *all =
        gst_element_factory_list_get_elements(GST_ELEMENT_FACTORY_TYPE_DECODER, GST_RANK_NONE);
    for (GList *l = all; l; l = l->next) {
        guint r = gst_plugin_feature_get_rank(GST_PLUGIN_FEATURE(l->data));
        if (r > top)
            top = r;
    }
    gst_plugin_feature_list_free(all);
    return top;
}

void player_decoders_prefer(const char *const *names)
{
    if (!names || !names[0])
        return;
    size_t n = 0;
    while (names[n])
        n++;
    g_mutex_lock(&prefer_lock);
    guint base = top_decoder_rank();
    for (size_t i = 0; i < n; i++) {
        GstElementFactory *f = gst_element_factory_find(names[i]);
        if (!f) {
            log_info("preferred decoder %s is not in this GStreamer: skipped", names[i]);
            continue;
        }
        guint rank = gst_plugin_feature_get_rank(GST_PLUGIN_FEATURE(f));
        guint want = base + (guint)(n - i);
        gst_plugin_feature_set_rank(GST_PLUGIN_FEATURE(f), want);
        log_info("decoder %s preferred: rank %u -> %u", names[i], rank, want);
        gst_object_unref(f);
    }
    g_mutex_unlock(&prefer_lock);
}
