#include "binge/log.h"
#include "player_internal.h"

#include <dlfcn.h>

LOG_MODULE("player");

/* Which libsoup GStreamer's HTTP elements use.
 *
 * souphttpsrc and adaptivedemux2's download helper open libsoup themselves (gstsouploader.c):
 * the one already loaded in the process if any, else libsoup 3, else libsoup 2.4. On Debian 12
 * (GStreamer 1.22.0, libsoup 3.2.3) a flushing seek that cancels a segment download in flight
 * crashes the download helper's thread now and then: a NULL read in libsoup 3 under
 * g_input_stream_close, when the helper drops its input stream after the cancellation. Every
 * seek and every resume start seek can cancel one. test_player_next's test_seek_storm (1,500
 * seeks) crashed in about one run of two on libsoup 3 and never in 6 runs on libsoup 2.4;
 * test_resume hit it about once in 15 runs.
 * So, before GStreamer 1.24, binge loads libsoup 2.4 first, and GStreamer takes it. Both
 * libsoups must never be in one process (their GTypes clash): nothing else in binge uses
 * libsoup (net/ is curl). Without libsoup 2.4 installed binge goes on with libsoup 3. The
 * handle is never closed: GStreamer keeps using the library until the process ends.
 *
 * The choice is made after gst_init, because gst_init may load libsoup 3 itself: when the
 * registry is missing or stale and GStreamer scans the plugins in-process (GST_REGISTRY_FORK=no,
 * as under qemu-user, or no gst-plugin-scanner on the box), it loads every plugin, and
 * libgstwebrtc pulls libsoup 3 in through libgstwebrtcnice -> libnice -> libgupnp-igd ->
 * libgupnp -> libsoup-3.0 (the soup plugins' own loaders load it too, none being loaded yet).
 * With 2.4 loaded before that, both were in the process: "cannot register existing type
 * 'SoupSession'", then hlsdemux2 failed every playlist ("No error message for domain
 * gst-uri-error-quark", "Invalid manifest") and playback never started. Such a run keeps
 * libsoup 3; the next one reads the registry the scan wrote, and takes 2.4. */

#define SOUP2_SONAME "libsoup-2.4.so.1"
#define SOUP3_SONAME "libsoup-3.0.so.0"

void player_soup_choose(void)
{
    guint major = 0, minor = 0, micro = 0, nano = 0;
    gst_version(&major, &minor, &micro, &nano);
    if (major > 1 || (major == 1 && minor >= 24))
        return; /* newer GStreamer: its own choice */
    void *soup3 = dlopen(SOUP3_SONAME, RTLD_NOW | RTLD_NOLOAD);
    if (soup3) {
        dlclose(soup3); /* already loaded by someone else: loading 2.4 too would clash */
        log_warn("libsoup 3 is already loaded (by a plugin registry scan?): kept; seeks may crash "
                 "GStreamer %u.%u's downloads",
                 major, minor);
        return;
    }
    if (!dlopen(SOUP2_SONAME, RTLD_NOW | RTLD_LOCAL)) {
        log_warn("%s is missing: GStreamer %u.%u uses libsoup 3, whose downloads may crash when "
                 "a seek cancels them (install libsoup2.4-1)",
                 SOUP2_SONAME, major, minor);
        return;
    }
    log_debug("GStreamer %u.%u.%u downloads through %s", major, minor, micro, SOUP2_SONAME);
}
