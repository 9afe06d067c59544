#include "binge/error.h"
#include "binge/log.h"
#include "player_internal.h"

#include <stdio.h>
#include <string.h>

LOG_MODULE("player");

/* Audio and subtitle tracks through playbin3's stream collection and select-streams, and the
 * subtitle cues for binge's own text rendering.
 *
 * Subtitle timing - why the cues came out "about 60 s late and paced in real time", and what
 * is done about it (GStreamer 1.22, hlsdemux2 + subparse + playsink):
 *   1. hlsdemux2 shifts every MPEG-TS stream by a presentation offset of 60 s
 *      (gst_hls_demux_stream_init: presentation_offset = 60 * GST_SECOND) so that it can take
 *      timestamps that go backwards. It rewrites each WebVTT cue with X-TIMESTAMP-MAP from
 *      MPEGTS/LOCAL time to stream time + that offset (gsthlsdemux-util.c), and the segment
 *      event says start=60 s, time=0. Reading GST_BUFFER_PTS of a text buffer as "the cue time",
 *      without the segment, is the 60 s offset. Fix: cue times are converted with
 *      gst_segment_to_stream_time(), the same stream time as the position query.
 *   2. playsink forces sync=true on a custom text-sink (gstplaysink.c gen_text_chain) behind a
 *      3-buffer queue, so a cue reaches the sink's render only at its running time: real-time
 *      pacing, no look-ahead, and a reader that timestamps arrivals is late by its own poll.
 *      Fix: a pad probe on the sink's pad takes each cue when it enters the sink, before the
 *      clock wait, and player_get_subtitle answers from those cues by the current position.
 *   3. hlsdemux2 joins the rewritten lines with "\n", so a segment whose last cue is not followed
 *      by a blank line ends mid-cue; subparse re-initialises its parser on every discontinuous
 *      buffer (each segment), so that last cue is lost (the first cue of the fixture never
 *      showed). Fix: player_subparse_probe appends a blank line to each full WebVTT segment.
 * Measured with tests/integration/test_player_streams.c (subtitles fixture): each cue shows
 * within a few ms of the video frame it belongs to. */

/* ---- tracks (UI thread) ---- */

static bool type_wanted(GstStreamType t, enum player_track_type *out)
{
    if (t & GST_STREAM_TYPE_AUDIO) {
        *out = PLAYER_TRACK_AUDIO;
        return true;
    }
    if (t & GST_STREAM_TYPE_TEXT) {
        *out = PLAYER_TRACK_TEXT;
        return true;
    }
    return false;
}

static bool id_selected(const struct player_pipe *pipe, GstStream *s)
{
    const char *id = gst_stream_get_stream_id(s);
    if (!pipe->selected)
        return (gst_stream_get_stream_flags(s) & GST_STREAM_FLAG_SELECT) != 0;
    for (guint i = 0; id && i < pipe->selected->len; i++) {
        if (strcmp(g_ptr_array_index(pipe->selected, i), id) == 0)
            return true;
    }
    return false;
}

/* hlsdemux2 names renditions "<type>-<NAME>"; the NAME is the best title there is. */
static void track_title(GstStream *s, const char *id, char *buf, size_t len)
{
    buf[0] = '\0';
    GstTagList *tags = gst_stream_get_tags(s);
    char *title = NULL;
    if (tags && gst_tag_list_get_string(tags, GST_TAG_TITLE, &title) && title) {
        g_strlcpy(buf, title, len);
        g_free(title);
    } else if (id) {
        const char *dash = strchr(id, '-');
        if (dash && dash[1] && (g_str_has_prefix(id, "audio-") || g_str_has_prefix(id, "text-")))
            g_strlcpy(buf, dash + 1, len);
    }
    if (tags)
        gst_tag_list_unref(tags);
}

static void rebuild(struct player_pipe *pipe)
{
    pipe->n_tracks = 0;
    if (!pipe->collection)
        return;
    guint n = gst_stream_collection_get_size(pipe->collection);
    for (guint i = 0; i < n && pipe->n_tracks < PLAYER_MAX_TRACKS; i++) {
        GstStream *s = gst_stream_collection_get_stream(pipe->collection, i);
        enum player_track_type type;
        const char *id = gst_stream_get_stream_id(s);
        if (!id || !type_wanted(gst_stream_get_stream_type(s), &type))
            continue;
        struct player_track *t = &pipe->tracks[pipe->n_tracks++];
        memset(t, 0, sizeof(*t));
        g_strlcpy(t->id, id, sizeof(t->id));
        t->type = type;
        GstTagList *tags = gst_stream_get_tags(s);
        char *lang = NULL;
        if (tags && gst_tag_list_get_string(tags, GST_TAG_LANGUAGE_CODE, &lang) && lang)
            g_strlcpy(t->language, lang, sizeof(t->language));
        g_free(lang);
        if (tags)
            gst_tag_list_unref(tags);
        track_title(s, id, t->title, sizeof(t->title));
        t->selected = id_selected(pipe, s);
        /* The master's LANGUAGE as written ("pt-BR", "zh-Hans"): hlsdemux2 tags only what
         * GStreamer takes for an ISO 639 code, and leaves those out. */
        struct player *p = pipe->player;
        g_mutex_lock(&p->lock);
        for (int r = 0; r < pipe->n_renditions; r++) {
            if (strcmp(pipe->renditions[r].id, id) == 0 && pipe->renditions[r].language[0])
                g_strlcpy(t->language, pipe->renditions[r].language, sizeof(t->language));
        }
        g_mutex_unlock(&p->lock);
    }
}

bool player_tracks_message(struct player_pipe *pipe, GstMessage *msg)
{
    struct player_track before[PLAYER_MAX_TRACKS];
    size_t n_before = pipe->n_tracks;
    memcpy(before, pipe->tracks, sizeof(before));

    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_STREAM_COLLECTION) {
        GstStreamCollection *c = NULL;
        gst_message_parse_stream_collection(msg, &c);
        if (!c)
            return false;
        if (c == pipe->collection) {
            gst_object_unref(c);
            return false;
        }
        if (pipe->collection)
            gst_object_unref(pipe->collection);
        pipe->collection = c;
        /* A new collection comes with its own default selection until told otherwise. */
        if (pipe->selected)
            g_ptr_array_unref(pipe->selected);
        pipe->selected = NULL;
    } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_STREAMS_SELECTED) {
        GPtrArray *sel = g_ptr_array_new_with_free_func(g_free);
        guint n = gst_message_streams_selected_get_size(msg);
        for (guint i = 0; i < n; i++) {
            GstStream *s = gst_message_streams_selected_get_stream(msg, i);
            if (s) {
                const char *id = gst_stream_get_stream_id(s);
                if (id)
                    g_ptr_array_add(sel, g_strdup(id));
                gst_object_unref(s);
            }
        }
        if (pipe->selected)
            g_ptr_array_unref(pipe->selected);
        pipe->selected = sel;
    } else {
        return false;
    }
    rebuild(pipe);
    return pipe->n_tracks != n_before ||
           memcmp(before, pipe->tracks, sizeof(pipe->tracks[0]) * pipe->n_tracks) != 0;
}

/* "en" matches "en", "EN" and "en-US"; an exact id always matches. With n > 0 only want's
 * first n characters count (its primary subtag). */
static bool track_matches(const struct player_track *t, const char *want, size_t n)
{
    if (!n && strcmp(t->id, want) == 0)
        return true;
    if (!n)
        n = strlen(want);
    if (!t->language[0] || g_ascii_strncasecmp(t->language, want, n) != 0)
        return false;
    return t->language[n] == '\0' || t->language[n] == '-' || t->language[n] == '_';
}

/* The track for want: its id, its language (with a region or script, the exact one first), else
 * a regional fallback - another region or script of the same language: "pt-PT" takes "pt-BR"
 * (or "pt"), "zh-TW" takes "zh-Hans" (the only Chinese the content has). */
int player_tracks_find(const struct player_pipe *pipe, enum player_track_type type,
                       const char *want)
{
    for (size_t i = 0; i < pipe->n_tracks; i++) {
        if (pipe->tracks[i].type == type && track_matches(&pipe->tracks[i], want, 0))
            return (int)i;
    }
    size_t primary = strcspn(want, "-_");
    if (!primary || !want[primary])
        return -1;
    for (size_t i = 0; i < pipe->n_tracks; i++) {
        if (pipe->tracks[i].type == type && track_matches(&pipe->tracks[i], want, primary))
            return (int)i;
    }
    return -1;
}

bool player_tracks_text_hidden(const struct player *p, const struct player_pipe *pipe)
{
    if (!p->pref_text)
        return false; /* the stream's own choice */
    return !p->pref_text[0] || player_tracks_find(pipe, PLAYER_TRACK_TEXT, p->pref_text) < 0;
}

int player_tracks_apply(struct player *p, struct player_pipe *pipe)
{
    if (!pipe || !pipe->collection || !pipe->pipeline)
        return BINGE_ESTATE;
    if (g_atomic_int_get(&pipe->held))
        return 0; /* its demuxer is held on a failing segment (segments.c): it goes away */
    int audio = p->pref_audio ? player_tracks_find(pipe, PLAYER_TRACK_AUDIO, p->pref_audio) : -1;
    int text = p->pref_text && p->pref_text[0]
                   ? player_tracks_find(pipe, PLAYER_TRACK_TEXT, p->pref_text)
                   : -1;

    /* The new selection: whatever is selected now (video included), with the audio and text
     * choices replaced where there is one. */
    GList *ids = NULL;
    bool changed = false;
    guint n = gst_stream_collection_get_size(pipe->collection);
    for (guint i = 0; i < n; i++) {
        GstStream *s = gst_stream_collection_get_stream(pipe->collection, i);
        const char *id = gst_stream_get_stream_id(s);
        if (!id)
            continue;
        GstStreamType st = gst_stream_get_stream_type(s);
        bool now = id_selected(pipe, s);
        bool want = now;
        if ((st & GST_STREAM_TYPE_AUDIO) && audio >= 0)
            want = strcmp(id, pipe->tracks[audio].id) == 0;
        else if ((st & GST_STREAM_TYPE_TEXT) && text >= 0)
            want = strcmp(id, pipe->tracks[text].id) == 0;
        /* Off only hides the cues (player_get_subtitle): the text stream stays selected.
         * Deselecting it makes playsink remove its text chain from a streaming thread, and a
         * stop at that moment deadlocks playbin3 (1.22: the pad-block callback holds the
         * playsink lock and waits for a pad lock the state change holds) - seen as a hung exit
         * 60 ms after SUBTITLES. */
        changed |= want != now;
        if (want)
            ids = g_list_append(ids, (gpointer)id);
    }
    if (changed) {
        log_info("selecting streams: audio %s, subtitles %s",
                 audio >= 0 ? pipe->tracks[audio].id : "as is",
                 text >= 0 ? pipe->tracks[text].id : "as is");
        if (text >= 0)
            player_cues_clear(p, pipe);
        if (!gst_element_send_event(pipe->pipeline, gst_event_new_select_streams(ids)))
            log_warn("the pipeline refused the stream selection");
    }
    g_list_free(ids);
    return changed ? 1 : 0;
}

/* ---- the renditions hlsdemux2 starts with (any thread) ---- */

/* The value of attribute name in an #EXT-X-MEDIA line's attribute list (quotes removed) into
 * buf; false when absent. Quoted values may hold commas. */
static bool attr_get(const char *attrs, const char *name, char *buf, size_t len)
{
    size_t nl = strlen(name);
    const char *a = attrs;
    while (*a) {
        const char *eq = strchr(a, '=');
        if (!eq)
            return false;
        const char *v = eq + 1, *end;
        if (*v == '"') {
            end = strchr(v + 1, '"');
            if (!end)
                return false;
            end++;
        } else {
            end = v + strcspn(v, ",");
        }
        if ((size_t)(eq - a) == nl && memcmp(a, name, nl) == 0) {
            const char *s = *v == '"' ? v + 1 : v;
            size_t n = (size_t)(end - s) - (*v == '"' ? 1 : 0);
            g_strlcpy(buf, s, n + 1 < len ? n + 1 : len);
            return true;
        }
        a = *end == ',' ? end + 1 : end;
    }
    return false;
}

/* A rendition as the player's tracks would list it, for track_matches. */
static void media_track(const char *attrs, struct player_track *t)
{
    char type[16] = "", name[80] = "";
    memset(t, 0, sizeof(*t));
    attr_get(attrs, "TYPE", type, sizeof(type));
    attr_get(attrs, "NAME", name, sizeof(name));
    attr_get(attrs, "LANGUAGE", t->language, sizeof(t->language));
    t->type = strcmp(type, "AUDIO") == 0 ? PLAYER_TRACK_AUDIO : PLAYER_TRACK_TEXT;
    /* hlsdemux2's stream ids (gsthlsdemux.c): "audio-NAME", "text-NAME". */
    snprintf(t->id, sizeof(t->id), "%s-%s", strcmp(type, "AUDIO") == 0 ? "audio" : "text", name);
}

/* The attribute list with DEFAULT set to on, every other attribute as it was. */
static void append_media(GString *out, const char *line, const char *attrs, bool on)
{
    g_string_append_len(out, line, attrs - line);
    bool first = true;
    for (const char *a = attrs; *a;) {
        const char *eq = strchr(a, '=');
        const char *end = eq ? eq + 1 : a + strlen(a);
        if (eq && *end == '"') {
            const char *q = strchr(end + 1, '"');
            end = q ? q + 1 : end + strlen(end);
        } else if (eq) {
            end += strcspn(end, ",");
        }
        if (!(eq && eq - a == 7 && memcmp(a, "DEFAULT", 7) == 0)) {
            g_string_append_printf(out, "%s%.*s", first ? "" : ",", (int)(end - a), a);
            first = false;
        }
        a = *end == ',' ? end + 1 : end;
    }
    g_string_append_printf(out, "%sDEFAULT=%s", first ? "" : ",", on ? "YES" : "NO");
}

static const char media_tag[] = "#EXT-X-MEDIA:";

/* The audio or subtitle rendition of an #EXT-X-MEDIA line into t (and its group), or false. */
static bool media_line(const char *line, struct player_track *t, char *group, size_t len)
{
    char type[16] = "";
    if (!g_str_has_prefix(line, media_tag))
        return false;
    const char *attrs = line + strlen(media_tag);
    attr_get(attrs, "TYPE", type, sizeof(type));
    if (strcmp(type, "AUDIO") != 0 && strcmp(type, "SUBTITLES") != 0)
        return false;
    media_track(attrs, t);
    group[0] = '\0';
    attr_get(attrs, "GROUP-ID", group, len);
    return true;
}

int player_tracks_renditions(const char *text, struct player_track *out, int max)
{
    int n = 0;
    gchar **lines = g_strsplit(text ? text : "", "\n", -1);
    char group[64];
    for (gchar **l = lines; *l && n < max; l++) {
        g_strchomp(*l);
        if (media_line(*l, &out[n], group, sizeof(group)))
            n++;
    }
    g_strfreev(lines);
    return n;
}

char *player_tracks_prefer(const char *text, const char *audio, const char *subs)
{
    const char *want[2] = {audio && audio[0] ? audio : NULL, subs && subs[0] ? subs : NULL};
    if (!text || (!want[0] && !want[1]))
        return NULL;
    /* The renditions, as tracks (player_tracks_find matches those), and their groups. */
    struct player_pipe *pipe = g_new0(struct player_pipe, 1);
    char groups[PLAYER_MAX_TRACKS][64];
    gchar **lines = g_strsplit(text, "\n", -1);
    const char *tag = media_tag;
    for (gchar **l = lines; *l && pipe->n_tracks < PLAYER_MAX_TRACKS; l++) {
        g_strchomp(*l);
        if (media_line(*l, &pipe->tracks[pipe->n_tracks], groups[pipe->n_tracks],
                       sizeof(groups[0])))
            pipe->n_tracks++;
    }
    /* The chosen rendition per type (and its group: the other groups keep their own). */
    int chosen[2] = {-1, -1};
    for (int k = 0; k < 2; k++) {
        if (want[k])
            chosen[k] =
                player_tracks_find(pipe, k == 0 ? PLAYER_TRACK_AUDIO : PLAYER_TRACK_TEXT, want[k]);
    }
    char *out_text = NULL;
    if (chosen[0] >= 0 || chosen[1] >= 0) {
        GString *out = g_string_sized_new(strlen(text) + 64);
        size_t i = 0;
        for (gchar **l = lines; *l; l++) {
            bool media = g_str_has_prefix(*l, tag) && i < pipe->n_tracks;
            char type[16] = "";
            if (media) {
                attr_get(*l + strlen(tag), "TYPE", type, sizeof(type));
                media = strcmp(type, "AUDIO") == 0 || strcmp(type, "SUBTITLES") == 0;
            }
            if (media) {
                int k = strcmp(type, "AUDIO") == 0 ? 0 : 1;
                int c = chosen[k];
                if (c >= 0 && strcmp(groups[i], groups[c]) == 0)
                    append_media(out, *l, *l + strlen(tag), (int)i == c);
                else
                    g_string_append(out, *l);
                i++;
            } else {
                g_string_append(out, *l);
            }
            if (l[1])
                g_string_append_c(out, '\n');
        }
        out_text = g_string_free(out, FALSE);
    }
    g_strfreev(lines);
    g_free(pipe);
    return out_text;
}

/* ---- WebVTT into subparse (streaming thread) ---- */

GstPadProbeReturn player_subparse_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    GstMapInfo map;
    if (!buf || !gst_buffer_map(buf, &map, GST_MAP_READ))
        return GST_PAD_PROBE_OK;
    /* Only whole segments (they start with the header), as hlsdemux2 sends them: a blank line in
     * the middle of a file read in chunks would cut a cue in two. */
    const char *s = (const char *)map.data;
    size_t n = map.size;
    size_t skip = n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    bool whole = n >= skip + 6 && memcmp(s + skip, "WEBVTT", 6) == 0;
    size_t end = n;
    while (end > 0 && s[end - 1] == '\r')
        end--;
    bool blank = end >= 2 && s[end - 1] == '\n' && s[end - 2] == '\n';
    gst_buffer_unmap(buf, &map);
    if (!whole || blank)
        return GST_PAD_PROBE_OK;
    buf = gst_buffer_make_writable(buf);
    GstMemory *tail =
        gst_memory_new_wrapped(GST_MEMORY_FLAG_READONLY, (gpointer) "\n\n", 2, 0, 2, NULL, NULL);
    gst_buffer_append_memory(buf, tail);
    GST_PAD_PROBE_INFO_DATA(info) = buf;
    return GST_PAD_PROBE_OK;
}

/* ---- cues ---- */

void player_cue_free(gpointer data)
{
    struct player_cue *c = data;
    if (!c)
        return;
    g_free(c->text);
    g_free(c);
}

/* subparse gives pango markup: drops the tags, decodes the five entities. */
static char *plain_text(const char *s, size_t n)
{
    GString *out = g_string_sized_new(n);
    for (size_t i = 0; i < n && s[i];) {
        if (s[i] == '<') {
            const char *close = memchr(s + i, '>', n - i);
            if (close) {
                i = (size_t)(close - s) + 1;
                continue;
            }
        }
        if (s[i] == '&') {
            static const struct {
                const char *name;
                char c;
            } ents[] = {
                {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
            bool done = false;
            for (size_t e = 0; e < G_N_ELEMENTS(ents) && !done; e++) {
                size_t len = strlen(ents[e].name);
                if (i + len <= n && memcmp(s + i, ents[e].name, len) == 0) {
                    g_string_append_c(out, ents[e].c);
                    i += len;
                    done = true;
                }
            }
            if (done)
                continue;
        }
        g_string_append_c(out, s[i] == '\r' ? '\n' : s[i]);
        i++;
    }
    while (out->len > 0 && out->str[out->len - 1] == '\n')
        g_string_truncate(out, out->len - 1);
    return g_string_free(out, FALSE);
}

static void add_cue(struct player_pipe *pipe, GstBuffer *buf)
{
    GstClockTime pts = GST_BUFFER_PTS(buf);
    if (!GST_CLOCK_TIME_IS_VALID(pts))
        return;
    guint64 start = gst_segment_to_stream_time(&pipe->text_segment, GST_FORMAT_TIME, pts);
    if (!GST_CLOCK_TIME_IS_VALID(start))
        return;
    GstClockTime dur = GST_BUFFER_DURATION(buf);
    /* A cue without an end shows for a while, like a line on a TV. */
    guint64 end = start + (GST_CLOCK_TIME_IS_VALID(dur) ? dur : 4 * GST_SECOND);
    GstMapInfo map;
    if (!gst_buffer_map(buf, &map, GST_MAP_READ))
        return;
    char *text = plain_text((const char *)map.data, map.size);
    gst_buffer_unmap(buf, &map);
    if (!text[0]) {
        g_free(text);
        return;
    }
    struct player_cue *cue = g_new0(struct player_cue, 1);
    cue->start_ms = (int64_t)(start / GST_MSECOND);
    cue->end_ms = (int64_t)(end / GST_MSECOND);
    cue->text = text;

    struct player *p = pipe->player;
    g_mutex_lock(&p->lock);
    GList *l = pipe->cues.tail;
    while (l && ((struct player_cue *)l->data)->start_ms > cue->start_ms)
        l = l->prev;
    if (l)
        g_queue_insert_after(&pipe->cues, l, cue);
    else
        g_queue_push_head(&pipe->cues, cue);
    while (g_queue_get_length(&pipe->cues) > PLAYER_MAX_CUES)
        player_cue_free(g_queue_pop_head(&pipe->cues));
    pipe->cues_changed = true;
    bool live = pipe->gen == p->cur_gen;
    g_mutex_unlock(&p->lock);
    log_debug("cue %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT " ms: %s", cue->start_ms, cue->end_ms,
              cue->text);
    /* The UI plans its next wake-up by the cues it knows of. */
    if (live)
        player_wake(p);
}

GstPadProbeReturn player_text_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    struct player_pipe *pipe = data;
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
        pipe->text_ended = false;
        add_cue(pipe, GST_PAD_PROBE_INFO_BUFFER(info));
        return GST_PAD_PROBE_OK;
    }
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (!ev)
        return GST_PAD_PROBE_OK;
    /* After the last cue, the text stream says "nothing more" with a GAP of no duration,
     * then GStreamer 1.22 (hlsdemux2 + subparse) sends one more GAP starting past the end of the
     * stream (6.0 s for 1.15 s in a 5 s episode whose last cue ended at 4.85 s). The sink waits
     * for that one's end before its EOS, so the episode ended 2 s late, and later still the
     * earlier its last cue. Nothing is to be shown after the open-ended GAP: later ones go. */
    if (GST_EVENT_TYPE(ev) == GST_EVENT_GAP) {
        GstClockTime ts, dur;
        gst_event_parse_gap(ev, &ts, &dur);
        if (pipe->text_ended)
            return GST_PAD_PROBE_DROP;
        pipe->text_ended = !GST_CLOCK_TIME_IS_VALID(dur);
        return GST_PAD_PROBE_OK;
    }
    if (GST_EVENT_TYPE(ev) != GST_EVENT_EOS && GST_EVENT_TYPE(ev) != GST_EVENT_TAG)
        pipe->text_ended = false; /* a segment, a flush, a new stream: cues may come again */
    if (GST_EVENT_TYPE(ev) == GST_EVENT_SEGMENT) {
        const GstSegment *seg = NULL;
        gst_event_parse_segment(ev, &seg);
        if (seg && seg->format == GST_FORMAT_TIME)
            gst_segment_copy_into(seg, &pipe->text_segment);
    } else if (GST_EVENT_TYPE(ev) == GST_EVENT_FLUSH_STOP) {
        player_cues_clear(pipe->player, pipe);
    } else if (GST_EVENT_TYPE(ev) == GST_EVENT_STREAM_START) {
        /* Another subtitle stream (a language switch): the cues of the one before go. */
        const gchar *id = NULL;
        gst_event_parse_stream_start(ev, &id);
        struct player *p = pipe->player;
        g_mutex_lock(&p->lock);
        if (g_strcmp0(id, pipe->text_stream) != 0) {
            g_queue_clear_full(&pipe->cues, player_cue_free);
            pipe->cues_changed = true;
            g_strlcpy(pipe->text_stream, id ? id : "", sizeof(pipe->text_stream));
            log_debug("subtitle stream %s", pipe->text_stream);
        }
        g_mutex_unlock(&p->lock);
    }
    return GST_PAD_PROBE_OK;
}

void player_cues_clear(struct player *p, struct player_pipe *pipe)
{
    g_mutex_lock(&p->lock);
    g_queue_clear_full(&pipe->cues, player_cue_free);
    pipe->cues_changed = true;
    g_mutex_unlock(&p->lock);
}

bool player_cues_lookup(struct player *p, struct player_pipe *pipe, int64_t pos_ms,
                        const char *stream, char *buf, size_t len)
{
    bool found = false;
    if (len > 0)
        buf[0] = '\0';
    g_mutex_lock(&p->lock);
    /* A switch to stream is under way: what comes before it is another language. */
    bool other = stream && pipe->text_stream[0] && strcmp(stream, pipe->text_stream) != 0;
    /* The latest cue that started wins when two overlap. */
    for (GList *l = pipe->cues.tail; l && !found && !other; l = l->prev) {
        const struct player_cue *c = l->data;
        if (c->start_ms <= pos_ms && pos_ms < c->end_ms) {
            if (len > 0)
                g_strlcpy(buf, c->text, len);
            found = true;
        }
    }
    /* Cues long past are not needed again (a seek back flushes and brings them anew). */
    while (pipe->cues.head && ((struct player_cue *)pipe->cues.head->data)->end_ms < pos_ms - 2000)
        player_cue_free(g_queue_pop_head(&pipe->cues));
    g_mutex_unlock(&p->lock);
    return found;
}

int64_t player_cues_next_change(struct player *p, struct player_pipe *pipe, int64_t pos_ms)
{
    int64_t next = -1;
    g_mutex_lock(&p->lock);
    pipe->cues_changed = false;
    for (GList *l = pipe->cues.head; l; l = l->next) {
        const struct player_cue *c = l->data;
        int64_t t = c->start_ms > pos_ms ? c->start_ms : c->end_ms > pos_ms ? c->end_ms : -1;
        if (t >= 0 && (next < 0 || t < next))
            next = t;
    }
    g_mutex_unlock(&p->lock);
    return next;
}
