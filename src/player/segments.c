#include "binge/log.h"
#include "player_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LOG_MODULE("player");

/* What hlsdemux2 (GStreamer 1.22) does with its segments, as it tells its debug log.
 *
 * hlsdemux2 exposes nothing of its downloads, and two of its failures need the player:
 *   - A segment the server does not have (404) fails the whole stream after 4 tries. The player
 *     goes on after it (recover.c, player_skip_missing), and must know where the missing segment
 *     starts: its start in the playlist's timeline (the sum of the EXTINF durations before it,
 *     which is also what a seek uses), so that the skip lands on the segment after it whatever
 *     the durations. Guessing it from what was played and buffered landed on the hole again.
 *   - A segment answering 5xx is retried every 10 ms for ever (on_download_error counts only
 *     4xx retries): 4,610 requests in 40 s once, the screen at "Buffering 0%".
 * So the player reads the lines it needs out of GStreamer's debug log (hlsdemux2 and
 * adaptivedemux2 at DEBUG, forwarded to the default log only as far as GST_DEBUG asked):
 *   - "... segment sn:N stream_time:T uri:U" (hlsdemux2): the segment a stream is on;
 *   - "Download finished with error, ... http status S" (adaptivedemux2, on_download_error,
 *     on the demuxer's scheduler thread): the segment failed.
 * A 5xx is retried after a back-off (the scheduler thread waits here: 250, 500, 1000 ms), then
 * reported to the UI thread as PLAYER_ITEM_SEGMENT_FAILED and held (no more requests) until the
 * player retires the pipeline. While it is held the UI thread sends the pipeline nothing that
 * needs the demuxer's scheduler (player_pipe_held). Lines in another format (another
 * GStreamer) are ignored: the player then falls back to its estimate and the stall watchdog. */

#define SEG_RETRIES 3           /* retries of a 5xx segment before it is given up */
#define SEG_BACKOFF_MS 250      /* doubled at each retry */
#define SEG_HOLD_MS (10 * 1000) /* a held demuxer is let go after this (then held again) */

static GQuark pipe_quark;
static bool forward_default;     /* the default log function was replaced by ours */
static GstDebugLevel user_level; /* what GST_DEBUG asked for the categories we raised */
static gboolean raised;

static bool is_ours(GstDebugCategory *category)
{
    const char *name = gst_debug_category_get_name(category);
    return strcmp(name, "hlsdemux2") == 0 || strcmp(name, "adaptivedemux2") == 0;
}

/* Pipes with a pipeline the reader may see lines from (attach .. clear). */
static GMutex live_lock;
static GHashTable *live; /* struct player_pipe * set */

/* The pipe whose demuxer this thread last logged for. The demuxer's streams are not children
 * of it (their lines cannot be traced to a pipeline), but they log on its scheduler thread, one
 * per demuxer, right after lines of the demuxer itself. */
static __thread struct player_pipe *thread_pipe;

/* The pipe of the playbin3 the object belongs to, or NULL. The parent chain is read without the
 * object locks (a line may be logged under one of them); it is fixed while an element logs. */
static struct player_pipe *pipe_of(GObject *object)
{
    struct player_pipe *found = NULL;
    if (object && GST_IS_OBJECT(object)) {
        GstObject *o = GST_OBJECT(object);
        for (int depth = 0; depth < 16 && GST_OBJECT_PARENT(o); depth++)
            o = GST_OBJECT_PARENT(o);
        found = g_object_get_qdata(G_OBJECT(o), pipe_quark);
    }
    if (found) {
        thread_pipe = found;
        return found;
    }
    /* A stream of the demuxer: the thread's pipe, if it still exists. */
    g_mutex_lock(&live_lock);
    if (thread_pipe && !(live && g_hash_table_contains(live, thread_pipe)))
        thread_pipe = NULL;
    found = thread_pipe;
    g_mutex_unlock(&live_lock);
    return found;
}

/* "stream_time:+0:00:02.200000000" or "stream_time +0:00:02.200000000" -> 2200 (ms), or -1. */
static int64_t parse_stream_time(const char *text)
{
    const char *t = strstr(text, "stream_time");
    if (!t)
        return -1;
    t += strlen("stream_time");
    if (*t == ':' || *t == ' ')
        t++;
    if (*t == '+' || *t == ' ')
        t++;
    else if (*t == '-')
        return -1;
    unsigned h, m, s, ns;
    if (sscanf(t, "%u:%2u:%2u.%9u", &h, &m, &s, &ns) != 4)
        return -1;
    return ((int64_t)h * 3600 + m * 60 + s) * 1000 + ns / 1000000;
}

static struct player_seg_track *track_of(struct player_pipe *pipe, const void *stream, bool add)
{
    for (int i = 0; i < pipe->n_seg_tracks; i++) {
        if (pipe->seg_tracks[i].stream == stream)
            return &pipe->seg_tracks[i];
    }
    if (!add)
        return NULL;
    int i = pipe->n_seg_tracks < PLAYER_MAX_SEG_TRACKS ? pipe->n_seg_tracks++ : 0;
    struct player_seg_track *t = &pipe->seg_tracks[i];
    g_free(t->uri);
    *t = (struct player_seg_track){.stream = stream, .start_ms = -1};
    return t;
}

/* hlsdemux2: the segment a stream is on. update_fragment_info says "Current segment
 * stream_time T" then "Stream URI now U" before each download; advance_fragment says "Advanced
 * to segment sn:N stream_time:T uri:U". */
static void on_segment(struct player_pipe *pipe, const void *stream, const char *text)
{
    int64_t start = strstr(text, "egment") ? parse_stream_time(text) : -1;
    const char *u = strstr(text, " uri:");
    size_t skip = strlen(" uri:");
    if (!u && g_str_has_prefix(text, "Stream URI now ")) {
        u = text;
        skip = strlen("Stream URI now ");
    }
    if (start < 0 && !u)
        return;
    struct player *p = pipe->player;
    g_mutex_lock(&p->lock);
    struct player_seg_track *t = track_of(pipe, stream, true);
    if (start >= 0)
        t->start_ms = start + pipe->time_offset_ms; /* in the stream's time */
    if (u) {
        g_free(t->uri);
        t->uri = g_strdup(u + skip);
    }
    g_mutex_unlock(&p->lock);
}

/* Waits on the scheduler thread until the pipe is retired or ms have passed. Called with
 * p->lock held. */
static void wait_retired_locked(struct player *p, struct player_pipe *pipe, int64_t ms)
{
    int64_t until = g_get_monotonic_time() + ms * 1000;
    while (!pipe->retired) {
        if (!g_cond_wait_until(&p->retired_cond, &p->lock, until))
            break;
    }
}

/* adaptivedemux2: a download of the stream failed (on its scheduler thread). */
static void on_download_error(struct player_pipe *pipe, const void *stream, const char *text)
{
    const char *s = strstr(text, "http status ");
    unsigned status = s ? (unsigned)strtoul(s + strlen("http status "), NULL, 10) : 0;
    struct player *p = pipe->player;
    bool wake = false;
    g_mutex_lock(&p->lock);
    struct player_seg_track *t = track_of(pipe, stream, false);
    if (t && t->start_ms >= 0) {
        pipe->failed_start_ms = t->start_ms;
        pipe->failed_status = status;
    }
    /* A segment before where a skipping pipe goes is the hole it skips, fetched again while it
     * prerolls at 0: its start seek is coming. Its retries wait for that seek (or a second). */
    bool skipped = t && t->start_ms >= 0 && t->start_ms < pipe->skip_before_ms;
    if (skipped && status / 100 == 5) {
        int64_t until = g_get_monotonic_time() + 1000 * 1000;
        while (!pipe->retired && !pipe->start_seeked) {
            if (!g_cond_wait_until(&p->retired_cond, &p->lock, until))
                break;
        }
    }
    if (status / 100 != 5 || pipe->retired || !t || !t->uri || skipped) {
        g_mutex_unlock(&p->lock);
        return;
    }
    if (pipe->fail_uri && strcmp(pipe->fail_uri, t->uri) == 0) {
        pipe->fail_count++;
    } else {
        g_free(pipe->fail_uri);
        pipe->fail_uri = g_strdup(t->uri);
        pipe->fail_count = 1;
    }
    int n = pipe->fail_count;
    if (n <= SEG_RETRIES) {
        int64_t backoff = (int64_t)SEG_BACKOFF_MS << (n - 1);
        log_debug("segment at %" G_GINT64_FORMAT
                  " ms answered %u: retry %d of %d in %" G_GINT64_FORMAT " ms",
                  t->start_ms, status, n, SEG_RETRIES, backoff);
        wait_retired_locked(p, pipe, backoff);
        g_mutex_unlock(&p->lock);
        return;
    }
    if (!pipe->held_sent) {
        pipe->held_sent = true;
        g_atomic_int_set(&pipe->held, 1);
        struct player_item *it = g_new0(struct player_item, 1);
        it->kind = PLAYER_ITEM_SEGMENT_FAILED;
        it->gen = pipe->gen;
        it->status = status;
        it->start_ms = t->start_ms;
        it->attempts = n;
        if (pipe->gen == p->cur_gen || pipe->gen == p->next_gen) {
            g_queue_push_tail(&p->items, it);
            wake = !p->events_notified;
            p->events_notified = true;
        } else {
            g_free(it);
        }
    }
    if (wake) {
        g_mutex_unlock(&p->lock);
        player_wake(p);
        g_mutex_lock(&p->lock);
    }
    wait_retired_locked(p, pipe, SEG_HOLD_MS);
    g_mutex_unlock(&p->lock);
}

static void on_log(GstDebugCategory *category, GstDebugLevel level, const gchar *file,
                   const gchar *function, gint line, GObject *object, GstDebugMessage *message,
                   gpointer user_data)
{
    bool ours = is_ours(category);
    if (forward_default && (!ours || !raised || level <= user_level))
        gst_debug_log_default(category, level, file, function, line, object, message, NULL);
    (void)user_data;
    if (!ours || level != GST_LEVEL_DEBUG || !function || !object)
        return;
    bool error = strcmp(function, "on_download_error") == 0;
    bool segment = !error && strcmp(gst_debug_category_get_name(category), "hlsdemux2") == 0 &&
                   strstr(function, "fragment");
    struct player_pipe *pipe = pipe_of(object); /* also keeps thread_pipe up to date */
    if (!error && !segment)
        return;
    if (!pipe)
        return;
    const char *text = gst_debug_message_get(message);
    if (!text)
        return;
    if (error && strstr(text, "Download finished with error"))
        on_download_error(pipe, object, text);
    else if (segment)
        on_segment(pipe, object, text);
}

int player_playlist_starts(const char *text, int64_t **starts)
{
    *starts = NULL;
    if (!text || strstr(text, "#EXT-X-STREAM-INF") || !strstr(text, "#EXTINF:"))
        return 0;
    GArray *a = g_array_new(FALSE, FALSE, sizeof(int64_t));
    double sum = 0, dur = -1;
    char **lines = g_strsplit_set(text, "\r\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (g_str_has_prefix(l, "#EXTINF:")) {
            char *end = NULL;
            dur = g_ascii_strtod(l + strlen("#EXTINF:"), &end);
            if (end == l + strlen("#EXTINF:") || dur < 0)
                dur = -1;
        } else if (l[0] && l[0] != '#' && dur >= 0) {
            int64_t start = (int64_t)(sum * 1000 + 0.5);
            g_array_append_val(a, start);
            sum += dur;
            dur = -1;
        }
    }
    g_strfreev(lines);
    int n = (int)a->len;
    if (n > 0) {
        int64_t end = (int64_t)(sum * 1000 + 0.5);
        g_array_append_val(a, end);
        *starts = (int64_t *)g_array_free(a, FALSE);
        return n;
    }
    g_array_free(a, TRUE);
    return 0;
}

int64_t player_segment_after(const struct player_pipe *pipe, int64_t start_ms)
{
    /* hlsdemux2 sums the durations in ns, the table in ms: a couple of ms apart at most. */
    for (int i = 0; i < pipe->n_seg_starts; i++) {
        if (llabs(pipe->seg_starts[i] - start_ms) <= 2)
            return pipe->seg_starts[i + 1];
    }
    return -1;
}

void player_segments_init(void)
{
    pipe_quark = g_quark_from_static_string("binge-player-pipe");
    /* Someone debugging the demuxers keeps what GST_DEBUG says; the log is read as it is. */
    const char *env = getenv("GST_DEBUG");
    user_level = gst_debug_get_default_threshold();
    if (!env || !strstr(env, "demux")) {
        gst_debug_set_threshold_for_name("hlsdemux2", GST_LEVEL_DEBUG);
        gst_debug_set_threshold_for_name("adaptivedemux2", GST_LEVEL_DEBUG);
        raised = TRUE;
        gst_debug_set_active(TRUE); /* off when GST_DEBUG is not set */
    }
    forward_default = gst_debug_remove_log_function(gst_debug_log_default) > 0;
    gst_debug_add_log_function(on_log, NULL, NULL);
}

void player_segments_deinit(void)
{
    gst_debug_remove_log_function(on_log);
    if (forward_default)
        gst_debug_add_log_function(gst_debug_log_default, NULL, NULL);
    forward_default = false;
}

void player_segments_attach(struct player_pipe *pipe)
{
    g_mutex_lock(&live_lock);
    if (!live)
        live = g_hash_table_new(NULL, NULL);
    g_hash_table_add(live, pipe);
    g_mutex_unlock(&live_lock);
    g_object_set_qdata(G_OBJECT(pipe->pipeline), pipe_quark, pipe);
}

void player_segments_clear(struct player_pipe *pipe)
{
    if (pipe->pipeline)
        g_object_set_qdata(G_OBJECT(pipe->pipeline), pipe_quark, NULL);
    g_mutex_lock(&live_lock);
    if (live) {
        g_hash_table_remove(live, pipe);
        if (g_hash_table_size(live) == 0) {
            g_hash_table_destroy(live); /* nothing left for a leak checker at exit */
            live = NULL;
        }
    }
    g_mutex_unlock(&live_lock);
    for (int i = 0; i < pipe->n_seg_tracks; i++)
        g_free(pipe->seg_tracks[i].uri);
    pipe->n_seg_tracks = 0;
    g_free(pipe->fail_uri);
    pipe->fail_uri = NULL;
}

/* ---- a skipped hole: the playlist without its head ---- */

static bool is_segment_tag(const char *line)
{
    static const char *const tags[] = {
        "#EXTINF:",   "#EXT-X-BYTERANGE:", "#EXT-X-DISCONTINUITY", "#EXT-X-PROGRAM-DATE-TIME:",
        "#EXT-X-GAP", "#EXT-X-BITRATE:"};
    for (size_t i = 0; i < G_N_ELEMENTS(tags); i++) {
        if (g_str_has_prefix(line, tags[i]))
            return true;
    }
    return false;
}

char *player_playlist_drop_head(const char *text, int n)
{
    if (!text || n <= 0)
        return NULL;
    char **lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    int seg = 0;         /* segments seen so far */
    bool in_seg = false; /* per-segment tags of segment seg were seen */
    bool seq_done = false, ok = true;
    for (char **l = lines; *l && ok; l++) {
        char *line = *l;
        g_strchomp(line);
        bool dropping = seg < n;
        if (g_str_has_prefix(line, "#EXT-X-MEDIA-SEQUENCE:")) {
            gint64 first = g_ascii_strtoll(line + strlen("#EXT-X-MEDIA-SEQUENCE:"), NULL, 10);
            g_string_append_printf(out, "#EXT-X-MEDIA-SEQUENCE:%" G_GINT64_FORMAT "\n", first + n);
            seq_done = true;
            continue;
        }
        if (line[0] == '#' || line[0] == '\0') {
            if (g_str_has_prefix(line, "#EXT-X-BYTERANGE:") && !strchr(line, '@'))
                ok = false; /* its offset follows the segment before: dropping that moves it */
            if (dropping && g_str_has_prefix(line, "#EXT-X-DISCONTINUITY") &&
                !g_str_has_prefix(line, "#EXT-X-DISCONTINUITY-SEQUENCE"))
                ok = false; /* the discontinuity sequence would have to move on too */
            if (is_segment_tag(line)) {
                in_seg = true;
                if (dropping)
                    continue;
            }
            if (!seq_done && g_str_has_prefix(line, "#EXTINF:") && seg == n) {
                /* No EXT-X-MEDIA-SEQUENCE: it was 0. Before the first kept segment. */
                g_string_append_printf(out, "#EXT-X-MEDIA-SEQUENCE:%d\n", n);
                seq_done = true;
            }
            if (line[0] != '\0' || l[1])
                g_string_append_printf(out, "%s\n", line);
            continue;
        }
        /* A URI: the end of a segment. */
        if (!in_seg) {
            ok = false; /* a URI with no EXTINF: not a media playlist we understand */
            break;
        }
        in_seg = false;
        seg++;
        if (!dropping)
            g_string_append_printf(out, "%s\n", line);
    }
    g_strfreev(lines);
    if (!ok || seg <= n) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* ---- a known hole ahead: the playlist cut before it ---- */

char *player_playlist_keep_head(const char *text, int n)
{
    if (!text || n <= 0)
        return NULL;
    char **lines = g_strsplit(text, "\n", -1);
    GString *out = g_string_new(NULL);
    int seg = 0;
    bool in_seg = false, ok = true;
    for (char **l = lines; *l && seg < n; l++) {
        char *line = *l;
        g_strchomp(line);
        if (g_str_has_prefix(line, "#EXT-X-ENDLIST"))
            break;
        if (line[0] == '#' || line[0] == '\0') {
            if (is_segment_tag(line))
                in_seg = true;
            if (line[0] != '\0')
                g_string_append_printf(out, "%s\n", line);
            continue;
        }
        if (!in_seg) {
            ok = false; /* a URI with no EXTINF: not a media playlist we understand */
            break;
        }
        in_seg = false;
        seg++;
        g_string_append_printf(out, "%s\n", line);
    }
    bool more = false; /* a segment after the n kept: else there is nothing to cut */
    if (ok && seg == n) {
        int uris = 0;
        for (char **l = lines; *l; l++) {
            if ((*l)[0] != '#' && (*l)[0] != '\0')
                uris++;
        }
        more = uris > n;
    }
    g_strfreev(lines);
    if (!ok || seg < n || !more) {
        g_string_free(out, TRUE);
        return NULL;
    }
    g_string_append(out, "#EXT-X-ENDLIST\n");
    return g_string_free(out, FALSE);
}
