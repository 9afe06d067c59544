#include "binge/log.h"
#include "player_internal.h"

#include <gst/app/gstappsink.h>

#include <stdio.h>
#include <string.h>

LOG_MODULE("player");

/* Asking the servers what hlsdemux2 did not say.
 *
 * A refused AES-128 key on GStreamer 1.22.0 is carried by no message at all:
 * gst_hls_demux_get_key() gets a request back whose buffer is NULL (the 403 body is dropped),
 * gst_buffer_extract() on it fails with a GStreamer-CRITICAL, the all-zero "key" goes into the
 * key cache, the segment decrypts to noise, and what reaches the bus is STREAM/TYPE_NOT_FOUND
 * "Could not determine type of stream" from hlsdemux2 (or DECRYPT "Failed to decrypt buffer").
 * STREAM/DECRYPT_NOKEY, which the code intends, never comes. So when hlsdemux2 fails a stream
 * with such a stream error, this fetches the media playlist and its key the way hlsdemux2 did,
 * with GStreamer's own HTTP source on a thread of its own, and reports the key server's answer.
 * The error reaches the app a moment later, with the right words. */

#define DIAG_TIMEOUT_US (5 * G_USEC_PER_SEC)
#define DIAG_MAX_BYTES (512 * 1024)

struct diag {
    struct player *player;
    int run; /* its value of player->diag_run: any other value cancels it */
    unsigned gen;
    char *uri;   /* the playlist hlsdemux2 opened (master or media); signed queries kept */
    int variant; /* index in the master of the variant played, -1 = first */
};

/* Fetches uri into body. Returns the HTTP status (200 on success, 0 when unknown/failed). */
static bool cancelled(const struct diag *d)
{
    return g_atomic_int_get(&d->player->diag_run) != d->run;
}

static guint fetch(const struct diag *d, const char *uri, GString *body)
{
    GError *err = NULL;
    guint status = 0;
    GstElement *src = gst_element_make_from_uri(GST_URI_SRC, uri, NULL, &err);
    g_clear_error(&err);
    GstElement *sink = gst_element_factory_make("appsink", NULL);
    GstElement *pipeline = gst_pipeline_new("binge-diagnose");
    if (!src || !sink || !pipeline) {
        if (src)
            gst_object_unref(gst_object_ref_sink(src));
        if (sink)
            gst_object_unref(gst_object_ref_sink(sink));
        if (pipeline)
            gst_object_unref(gst_object_ref_sink(pipeline));
        return 0;
    }
    gst_bin_add_many(GST_BIN(pipeline), src, sink, NULL);
    gst_element_link(src, sink);
    g_object_set(sink, "sync", FALSE, NULL);
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(src), "timeout"))
        g_object_set(src, "timeout", 5u, NULL);
    GstBus *bus = gst_element_get_bus(pipeline);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    int64_t end = g_get_monotonic_time() + DIAG_TIMEOUT_US;
    while (g_get_monotonic_time() < end && !cancelled(d)) {
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 50 * GST_MSECOND);
        if (s) {
            GstBuffer *b = gst_sample_get_buffer(s);
            GstMapInfo map;
            if (b && body->len < DIAG_MAX_BYTES && gst_buffer_map(b, &map, GST_MAP_READ)) {
                g_string_append_len(body, (const char *)map.data, (gssize)map.size);
                gst_buffer_unmap(b, &map);
            }
            gst_sample_unref(s);
        }
        /* A source that fails posts its error before it sends EOS downstream: the bus first. */
        bool eos = gst_app_sink_is_eos(GST_APP_SINK(sink));
        GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
        if (!m && eos) {
            status = 200;
            break;
        }
        if (m) {
            char *debug = NULL;
            gst_message_parse_error(m, &err, &debug);
            static const char *const codes[] = {"401", "403", "404", "410",
                                                "451", "500", "502", "503"};
            for (size_t i = 0; i < G_N_ELEMENTS(codes) && !status; i++) {
                if (player_has_status(err ? err->message : NULL, codes[i]) ||
                    player_has_status(debug, codes[i]))
                    status = (guint)g_ascii_strtoull(codes[i], NULL, 10);
            }
            g_clear_error(&err);
            g_free(debug);
            gst_message_unref(m);
            break;
        }
    }
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
    return status;
}

/* The value of URI="..." in an attribute list, or NULL (transfer full). */
static char *uri_attr(const char *attrs)
{
    const char *u = strstr(attrs, "URI=\"");
    if (!u)
        return NULL;
    u += 5;
    const char *e = strchr(u, '"');
    return e ? g_strndup(u, (gsize)(e - u)) : NULL;
}

static gpointer diag_main(gpointer data)
{
    struct diag *d = data;
    struct player *p = d->player;
    enum player_verdict verdict = PLAYER_VERDICT_UNKNOWN;
    guint key_status = 0;
    GString *text = g_string_new(NULL);
    char *playlist = g_strdup(d->uri);
    guint st = fetch(d, playlist, text);
    if (st == 200 && strstr(text->str, "#EXT-X-STREAM-INF")) {
        /* A master: the media playlist of the variant being played holds the keys. */
        struct player_master_variant v[PLAYER_MAX_VARIANTS];
        int n = player_variants_parse(text->str, v, PLAYER_MAX_VARIANTS);
        int pick = -1;
        for (int i = 0; i < n && pick < 0; i++) {
            if (v[i].v.index == d->variant || (d->variant < 0 && !v[i].audio_only))
                pick = i;
        }
        char *next = pick >= 0 ? gst_uri_join_strings(playlist, v[pick].uri) : NULL;
        player_variants_clear(v, n);
        g_free(playlist);
        playlist = next;
        g_string_truncate(text, 0);
        st = playlist ? fetch(d, playlist, text) : 0;
    }
    if (st == 200) {
        char **lines = g_strsplit_set(text->str, "\r\n", -1);
        for (size_t i = 0; lines[i] && verdict == PLAYER_VERDICT_UNKNOWN; i++) {
            if (!g_str_has_prefix(lines[i], "#EXT-X-KEY:") || strstr(lines[i], "METHOD=NONE"))
                continue;
            char *rel = uri_attr(lines[i]);
            char *key = rel ? gst_uri_join_strings(playlist, rel) : NULL;
            g_free(rel);
            if (!key)
                continue;
            GString *body = g_string_new(NULL);
            key_status = fetch(d, key, body);
            if (key_status == 401 || key_status == 403 || key_status == 451)
                verdict = PLAYER_VERDICT_KEY_REFUSED;
            else if (key_status == 404 || key_status == 410)
                verdict = PLAYER_VERDICT_KEY_MISSING;
            else if (key_status == 200 && body->len != 16)
                verdict = PLAYER_VERDICT_KEY_BAD;
            g_string_free(body, TRUE);
            g_free(key);
        }
        g_strfreev(lines);
    }
    g_string_free(text, TRUE);
    g_free(playlist);
    log_debug("diagnosis: %d (key status %u)", (int)verdict, key_status);

    struct player_item *it = g_new0(struct player_item, 1);
    it->kind = PLAYER_ITEM_DIAGNOSIS;
    it->gen = d->gen;
    it->verdict = verdict;
    it->status = key_status;
    bool wake = false;
    g_mutex_lock(&p->lock);
    if (d->gen == p->cur_gen || d->gen == p->next_gen) {
        g_queue_push_tail(&p->items, it);
        it = NULL;
        wake = !p->events_notified;
        p->events_notified = true;
    }
    g_mutex_unlock(&p->lock);
    g_free(it);
    if (wake)
        player_wake(p);
    g_free(d->uri);
    g_free(d);
    /* The last touch of the player: player_free may free it as soon as the lock is released. */
    g_mutex_lock(&p->lock);
    if (--p->diag_live == 0)
        g_cond_broadcast(&p->reaper_idle);
    g_mutex_unlock(&p->lock);
    return NULL;
}

/* Queues it for gen if gen is still live; takes it. */
static void post_item(struct player *p, struct player_item *it)
{
    bool wake = false;
    g_mutex_lock(&p->lock);
    if (it->gen == p->cur_gen || it->gen == p->next_gen) {
        g_queue_push_tail(&p->items, it);
        it = NULL;
        wake = !p->events_notified;
        p->events_notified = true;
    }
    g_mutex_unlock(&p->lock);
    if (it) {
        g_free(it->starts);
        g_free(it);
    }
    if (wake)
        player_wake(p);
}

static gpointer playlist_main(gpointer data)
{
    struct diag *d = data;
    struct player *p = d->player;
    GString *text = g_string_new(NULL);
    guint st = fetch(d, d->uri, text);
    struct player_item *it = g_new0(struct player_item, 1);
    it->kind = PLAYER_ITEM_PLAYLIST;
    it->gen = d->gen;
    it->status = st;
    if (st == 200)
        it->n_starts = player_playlist_starts(text->str, &it->starts);
    log_debug("media playlist: %u, %d segments", st, it->n_starts);
    g_string_free(text, TRUE);
    post_item(p, it);
    g_free(d->uri);
    g_free(d);
    g_mutex_lock(&p->lock); /* the last touch of the player, as in diag_main */
    if (--p->diag_live == 0)
        g_cond_broadcast(&p->reaper_idle);
    g_mutex_unlock(&p->lock);
    return NULL;
}

bool player_playlist_fetch(struct player *p, struct player_pipe *pipe)
{
    if (!pipe->manifest_uri || pipe->n_variants <= 0)
        return false;
    int i = pipe->have_variant && pipe->variant.index >= 0 ? pipe->variant.index : 0;
    if (i >= pipe->n_variants || !pipe->variants[i].uri)
        return false;
    struct diag *d = g_new0(struct diag, 1);
    d->player = p;
    d->run = g_atomic_int_get(&p->diag_run);
    d->gen = pipe->gen;
    d->uri = gst_uri_join_strings(pipe->manifest_uri, pipe->variants[i].uri);
    if (!d->uri) {
        g_free(d);
        return false;
    }
    g_mutex_lock(&p->lock);
    p->diag_live++;
    g_mutex_unlock(&p->lock);
    GThread *t = g_thread_try_new("binge-playlist", playlist_main, d, NULL);
    if (!t) {
        g_mutex_lock(&p->lock);
        p->diag_live--;
        g_mutex_unlock(&p->lock);
        g_free(d->uri);
        g_free(d);
        return false;
    }
    g_thread_unref(t);
    return true;
}

void player_diagnose_cancel(struct player *p)
{
    g_atomic_int_inc(&p->diag_run);
}

void player_diagnose_wait(struct player *p)
{
    player_diagnose_cancel(p);
    g_mutex_lock(&p->lock);
    while (p->diag_live > 0)
        g_cond_wait(&p->reaper_idle, &p->lock);
    g_mutex_unlock(&p->lock);
}

bool player_diagnose_start(struct player *p, struct player_pipe *pipe)
{
    if (!pipe->manifest_uri)
        return false;
    player_diagnose_cancel(p); /* one at a time; an older one is of no use any more */
    struct diag *d = g_new0(struct diag, 1);
    d->player = p;
    d->run = g_atomic_int_get(&p->diag_run);
    d->gen = pipe->gen;
    d->uri = g_strdup(pipe->manifest_uri);
    d->variant = pipe->have_variant ? pipe->variant.index : -1;
    g_mutex_lock(&p->lock);
    p->diag_live++;
    g_mutex_unlock(&p->lock);
    GError *err = NULL;
    /* Not joined: a cancelled fetch may take a moment to let go of a stalled server, and the UI
     * thread never waits for that. player_free waits for diag_live to reach 0. */
    GThread *t = g_thread_try_new("binge-diagnose", diag_main, d, &err);
    if (!t) {
        log_warn("cannot start a diagnosis: %s", err ? err->message : "unknown error");
        g_clear_error(&err);
        g_mutex_lock(&p->lock);
        p->diag_live--;
        g_mutex_unlock(&p->lock);
        g_free(d->uri);
        g_free(d);
        return false;
    }
    g_thread_unref(t);
    return true;
}
