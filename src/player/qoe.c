#include "binge/log.h"
#include "player_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

LOG_MODULE("player");

/* Quality of experience: the variants of the master playlist and the per-playback numbers. */

/* ---- variants ---- */

/* The value of attribute name in an attribute list (HLS: NAME=value,NAME="quoted"), copied into
 * buf. Returns false when absent. */
static bool attr(const char *list, const char *name, char *buf, size_t len)
{
    size_t n = strlen(name);
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *eq = strchr(p, '=');
        if (!eq)
            return false;
        bool match = (size_t)(eq - p) == n && strncmp(p, name, n) == 0;
        const char *v = eq + 1;
        const char *end;
        if (*v == '"') {
            v++;
            end = strchr(v, '"');
            if (!end)
                end = v + strlen(v);
        } else {
            end = v + strcspn(v, ",");
        }
        if (match) {
            size_t vl = (size_t)(end - v);
            if (vl >= len)
                vl = len - 1;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            return true;
        }
        p = *end == '"' ? end + 1 : end;
    }
    return false;
}

static bool codec_is_video(const char *c)
{
    static const char *const video[] = {"avc1", "avc3", "hvc1", "hev1", "vp09",
                                        "vp8",  "av01", "dvh1", "dvhe", "mp4v"};
    for (size_t i = 0; i < G_N_ELEMENTS(video); i++) {
        if (strstr(c, video[i]))
            return true;
    }
    return false;
}

int player_variants_parse(const char *text, struct player_master_variant *out, int max)
{
    int n = 0;
    if (!text || !strstr(text, "#EXT-X-STREAM-INF"))
        return 0;
    char **lines = g_strsplit_set(text, "\r\n", -1);
    for (size_t i = 0; lines[i] && n < max; i++) {
        if (!g_str_has_prefix(lines[i], "#EXT-X-STREAM-INF:"))
            continue;
        const char *list = lines[i] + strlen("#EXT-X-STREAM-INF:");
        const char *uri = NULL;
        for (size_t j = i + 1; lines[j]; j++) {
            if (lines[j][0] && lines[j][0] != '#') {
                uri = lines[j];
                i = j;
                break;
            }
        }
        if (!uri)
            break;
        struct player_master_variant *v = &out[n];
        memset(v, 0, sizeof(*v));
        v->v.index = n;
        char buf[256];
        if (attr(list, "BANDWIDTH", buf, sizeof(buf)))
            v->v.bitrate = (unsigned)strtoul(buf, NULL, 10);
        if (attr(list, "RESOLUTION", buf, sizeof(buf)) &&
            sscanf(buf, "%dx%d", &v->v.width, &v->v.height) == 2)
            v->video = true;
        if (attr(list, "CODECS", buf, sizeof(buf))) {
            if (codec_is_video(buf))
                v->video = true;
            else if (!v->video)
                v->audio_only = true;
        } else if (!v->video) {
            v->video = true; /* no CODECS, no RESOLUTION: assume the usual muxed stream */
        }
        v->uri = g_strdup(uri);
        n++;
    }
    g_strfreev(lines);
    return n;
}

char *player_variants_drop_audio_only(const char *text)
{
    struct player_master_variant v[PLAYER_MAX_VARIANTS];
    int n = player_variants_parse(text, v, PLAYER_MAX_VARIANTS);
    bool video = false, audio_only = false;
    for (int i = 0; i < n; i++) {
        video |= !v[i].audio_only;
        audio_only |= v[i].audio_only;
    }
    player_variants_clear(v, n);
    if (!video || !audio_only)
        return NULL;
    GString *out = g_string_sized_new(strlen(text));
    char **lines = g_strsplit(text, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        const char *l = lines[i];
        if (g_str_has_prefix(l, "#EXT-X-STREAM-INF:")) {
            struct player_master_variant one;
            /* The entry and its URI line parse as a playlist of one. */
            char *pair = g_strconcat(l, "\n", lines[i + 1] ? lines[i + 1] : "", NULL);
            int k = player_variants_parse(pair, &one, 1);
            bool drop = k == 1 && one.audio_only;
            if (k == 1)
                player_variants_clear(&one, 1);
            g_free(pair);
            if (drop) {
                /* Skips to the URI line (comments and blank lines may come between). */
                while (lines[i + 1] &&
                       (lines[i + 1][0] == '#' || !lines[i + 1][0] || lines[i + 1][0] == '\r'))
                    i++;
                if (lines[i + 1])
                    i++;
                continue;
            }
        }
        g_string_append(out, l);
        if (lines[i + 1])
            g_string_append_c(out, '\n');
    }
    g_strfreev(lines);
    return g_string_free(out, FALSE);
}

void player_variants_clear(struct player_master_variant *v, int n)
{
    for (int i = 0; i < n; i++) {
        g_free(v[i].uri);
        v[i].uri = NULL;
    }
}

/* Mirrors hls_master_playlist_get_variant_for_bitrate of 1.22. */
int player_variants_for_bitrate(const struct player_master_variant *v, int n, unsigned bitrate,
                                unsigned min_bitrate)
{
    int best = -1, lowest = -1;
    for (int i = 0; i < n; i++) {
        unsigned b = v[i].v.bitrate;
        if (b <= bitrate && (best < 0 || b > v[best].v.bitrate))
            best = i;
        if (lowest < 0 || b < v[lowest].v.bitrate)
            lowest = i;
    }
    int res = best >= 0 ? best : lowest;
    if (res < 0 || v[res].v.bitrate >= min_bitrate)
        return res;
    int m = -1;
    for (int i = 0; i < n; i++) {
        if (v[i].v.bitrate >= min_bitrate && (m < 0 || v[i].v.bitrate < v[m].v.bitrate))
            m = i;
    }
    return m >= 0 ? m : res;
}

/* ---- statistics ---- */

void player_stats_reset(struct player_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->manifest_ms = st->first_segment_ms = st->first_frame_ms = -1;
    st->start_variant.index = -1;
    st->position_ms = -1;
}

static int64_t since(int64_t t_us, int64_t request_us)
{
    return t_us && t_us >= request_us ? (t_us - request_us) / 1000 : -1;
}

void player_stats_update(struct player *p, struct player_pipe *pipe, struct player_stats *st)
{
    if (!pipe)
        return;
    g_mutex_lock(&p->lock);
    int64_t m = pipe->manifest_us, s = pipe->first_segment_us, f = pipe->first_frame_us;
    if (pipe->video_decoder[0])
        g_strlcpy(st->video_decoder, pipe->video_decoder, sizeof(st->video_decoder));
    g_mutex_unlock(&p->lock);
    /* A re-tune keeps the times of the playback's first start. */
    if (st->manifest_ms < 0)
        st->manifest_ms = since(m, pipe->request_us);
    if (st->first_segment_ms < 0)
        st->first_segment_ms = since(s, pipe->request_us);
    if (st->first_frame_ms < 0)
        st->first_frame_ms = since(f, pipe->request_us);
}

/* One line per playback with every number, like RDK AAMP's tune-time log: easy to grep, easy to
 * feed to a spreadsheet. */
void player_stats_log(struct player *p, const char *result)
{
    struct player_pipe *pipe = p->cur;
    if (!pipe || p->stats_logged)
        return;
    p->stats_logged = true;
    struct player_stats *st = &p->stats;
    player_stats_update(p, pipe, st);
    const struct player_variant *v = &st->start_variant;
    log_info("qoe: result=%s uri=%s prerolled=%d manifest_ms=%" G_GINT64_FORMAT
             " first_segment_ms=%" G_GINT64_FORMAT " first_frame_ms=%" G_GINT64_FORMAT
             " start_variant=%dx%d@%u switches=%d rebuffers=%d rebuffer_ms=%" G_GINT64_FORMAT
             " stalls=%d errors=%d warnings=%d position_ms=%" G_GINT64_FORMAT
             " duration_ms=%" G_GINT64_FORMAT " video_decoder=%s",
             result, pipe->log_uri, st->prerolled ? 1 : 0, st->manifest_ms, st->first_segment_ms,
             st->first_frame_ms, v->width, v->height, v->bitrate, st->variant_switches,
             st->rebuffers, st->rebuffer_ms, st->stalls, st->errors, st->warnings, st->position_ms,
             pipe->duration_ms, st->video_decoder[0] ? st->video_decoder : "-");
}
