#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <inttypes.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/error.h"
#include "binge/input_source.h"
#include "binge/store.h"

/* The automation view of the state: one table of paths, used by both `state` (the whole table
 * as JSON) and `wait-for PATH=VALUE` (one entry), so the two can never disagree. */

/* A row: a core value (get), or a screen's (get NULL): asked of the screens on the stack, top
 * first (their ops->state), and `none` when no screen answers. */
struct field {
    const char *path;
    void (*get)(struct app *app, struct app_value *v);
    struct app_value none;
};

#define STR(x) (*v = (struct app_value){.type = APP_VALUE_STR, .s = (x)})
#define INT(x) (*v = (struct app_value){.type = APP_VALUE_INT, .i = (x)})
#define BOOL(x) (*v = (struct app_value){.type = APP_VALUE_BOOL, .b = (x)})
#define NONE_STR(x)                                                                                \
    {                                                                                              \
        .type = APP_VALUE_STR, .s = (x)                                                            \
    }
#define NONE_INT(x)                                                                                \
    {                                                                                              \
        .type = APP_VALUE_INT, .i = (x)                                                            \
    }
#define NONE_BOOL                                                                                  \
    {                                                                                              \
        .type = APP_VALUE_BOOL, .b = false                                                         \
    }

static void get_screen(struct app *app, struct app_value *v)
{
    STR(app_screen_name(app));
}
/* "sdl-keyboard,lirc": the input sources open (binge/input_source.h). */
static void get_input_sources(struct app *app, struct app_value *v)
{
    static char buf[256]; /* UI thread only; read before the next call */
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < input_source_count(app->input) && n < sizeof(buf); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "," : "",
                              input_source_name(app->input, i));
    STR(buf);
}
static void get_input_keymap(struct app *app, struct app_value *v)
{
    STR(input_keymap_from(app->input));
}
static void get_ui_rtl(struct app *app, struct app_value *v)
{
    BOOL(app->ui && ui_is_rtl(app->ui));
}
static struct ui_image_stats image_stats(struct app *app)
{
    struct ui_image_stats st = {0};
    if (app->ui)
        ui_image_stats(app->ui, &st);
    return st;
}
static void get_images_loads(struct app *app, struct app_value *v)
{
    INT((int64_t)image_stats(app).submitted);
}
static void get_images_decoded(struct app *app, struct app_value *v)
{
    INT((int64_t)image_stats(app).decoded);
}
static void get_images_refused(struct app *app, struct app_value *v)
{
    INT((int64_t)image_stats(app).refused);
}
static void get_images_evictions(struct app *app, struct app_value *v)
{
    INT((int64_t)image_stats(app).evictions);
}
static void get_images_bytes(struct app *app, struct app_value *v)
{
    INT((int64_t)image_stats(app).bytes);
}
static void get_player_gap(struct app *app, struct app_value *v)
{
    INT(app->last_gap_ms);
}
static void get_player_first_frame(struct app *app, struct app_value *v)
{
    INT(app->first_frame_ms);
}
static void get_player_volume(struct app *app, struct app_value *v)
{
    INT(app->player ? prefs_volume_pct(app) : -1);
}
static void get_player_muted(struct app *app, struct app_value *v)
{
    BOOL(app->player && player_get_mute(app->player));
}
static void get_screen_status(struct app *app, struct app_value *v)
{
    struct screen *top = app_top(app);
    STR(top && top->ops->status ? top->ops->status(app, top) : NULL);
}
/* The toast on screen ("+5 bonus coins: ..."), null when none. */
static void get_toast(struct app *app, struct app_value *v)
{
    STR(app->toast_until_ms && app->toast[0] ? app->toast : NULL);
}
static void get_account(struct app *app, struct app_value *v)
{
    STR(app->account_name);
}
static void get_wallet_coins(struct app *app, struct app_value *v)
{
    INT(app->wallet ? app->wallet->coins : -1);
}
static void get_wallet_bonus(struct app *app, struct app_value *v)
{
    INT(app->wallet ? app->wallet->bonus_coins : -1);
}
static void get_wallet_vip(struct app *app, struct app_value *v)
{
    BOOL(app->wallet && app->wallet->vip_active);
}
static void get_wallet_ads(struct app *app, struct app_value *v)
{
    INT(app->wallet ? app->wallet->ads_left_today : -1);
}
static void get_checkin_streak(struct app *app, struct app_value *v)
{
    INT(app->wallet ? app->wallet->checkin_streak : -1);
}
static void get_checkin_claimed(struct app *app, struct app_value *v)
{
    BOOL(app->wallet && app->wallet->checkin_claimed_today);
}
static void get_checkin_next(struct app *app, struct app_value *v)
{
    INT(app->wallet ? app->wallet->checkin_next_reward : -1);
}
static void get_vip_expires(struct app *app, struct app_value *v)
{
    INT(app->wallet ? app->wallet->vip_expires_at : 0);
}
static void get_progress_pending(struct app *app, struct app_value *v)
{
    INT(app->store ? (int64_t)store_progress_count(app->store) : -1);
}
static void get_home_offline(struct app *app, struct app_value *v)
{
    BOOL(app->offline);
}
static void get_ticks(struct app *app, struct app_value *v)
{
    INT((int64_t)app->ticks);
}
/* The UI thread's sleeps so far: its voluntary context switches. Idle, it sleeps until
 * something happens; a loop that polls shows here as hundreds a second. */
static void get_sleeps(struct app *app, struct app_value *v)
{
    (void)app;
    struct rusage ru;
    INT(getrusage(RUSAGE_THREAD, &ru) == 0 ? (int64_t)ru.ru_nvcsw : -1);
}
/* Key to photon over the samples kept (src/app/app.c present): the p-th percentile, in us. */
static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}
static int64_t percentile(const uint32_t *samples, size_t taken, int pct)
{
    size_t n = taken < APP_K2P_SAMPLES ? taken : APP_K2P_SAMPLES;
    if (n == 0)
        return -1;
    uint32_t sorted[APP_K2P_SAMPLES];
    memcpy(sorted, samples, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_u32);
    size_t i = (n * (size_t)pct + 99) / 100; /* nearest rank */
    return sorted[i ? i - 1 : 0];
}
static void get_k2p_n(struct app *app, struct app_value *v)
{
    INT((int64_t)app->k2p_n);
}
static void get_k2p_p50(struct app *app, struct app_value *v)
{
    INT(percentile(app->k2p_us, app->k2p_n, 50));
}
static void get_k2p_p99(struct app *app, struct app_value *v)
{
    INT(percentile(app->k2p_us, app->k2p_n, 99));
}
/* The process's resident set now and at its peak (VmRSS, VmHWM of /proc/self/status), KiB. */
static int64_t proc_status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int64_t kib = -1;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            kib = strtoll(line + n + 1, NULL, 10);
            break;
        }
    }
    if (f)
        fclose(f);
    return kib;
}
static void get_rss(struct app *app, struct app_value *v)
{
    (void)app;
    INT(proc_status_kib("VmRSS"));
}
static void get_hwm(struct app *app, struct app_value *v)
{
    (void)app;
    INT(proc_status_kib("VmHWM"));
}
/* Frames: presents so far (nothing moving, it stands still), and the time to draw and present
 * the frames since the first action (src/app/app.c present). */
static void get_presents(struct app *app, struct app_value *v)
{
    INT((int64_t)app->presents);
}
static void get_frame_n(struct app *app, struct app_value *v)
{
    INT((int64_t)app->frame_n);
}
static void get_frame_p50(struct app *app, struct app_value *v)
{
    INT(percentile(app->frame_us, app->frame_n, 50));
}
static void get_frame_p99(struct app *app, struct app_value *v)
{
    INT(percentile(app->frame_us, app->frame_n, 99));
}
/* The process's CPU time so far (user + system), in ms. */
static void get_cpu_ms(struct app *app, struct app_value *v)
{
    (void)app;
    struct rusage ru;
    INT(getrusage(RUSAGE_SELF, &ru) == 0
            ? (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000
            : -1);
}
static void get_registered(struct app *app, struct app_value *v)
{
    BOOL(app->token != NULL);
}
/* The viewer's settings (prefs.c): shown whichever screen is up, so a test can read them after
 * a restart. */
static void get_settings_autoplay(struct app *app, struct app_value *v)
{
    BOOL(prefs_autoplay(app));
}
static void get_settings_language(struct app *app, struct app_value *v)
{
    STR(prefs_content_language(app));
}
static void get_ui_language(struct app *app, struct app_value *v)
{
    STR(i18n_language());
}
static void get_settings_ui_language(struct app *app, struct app_value *v)
{
    STR(prefs_ui_language(app));
}
static void get_settings_audio(struct app *app, struct app_value *v)
{
    STR(prefs_audio_language(app));
}
static void get_settings_subtitles(struct app *app, struct app_value *v)
{
    STR(prefs_subtitle_language(app));
}
static void get_settings_linked(struct app *app, struct app_value *v)
{
    BOOL(app->account_name != NULL);
}
static void get_error(struct app *app, struct app_value *v)
{
    STR(app->error[0] ? app->error : NULL);
}
static void get_error_detail(struct app *app, struct app_value *v)
{
    STR(app->error[0] && app->error_tech[0] ? app->error_tech : NULL);
}

/* The schema (docs/automation.md), grouped by prefix, in output order. Rows without a getter
 * belong to a screen: home (home.*, focus.*), player (player.*, qoe.*), paywall (paywall.*),
 * activate, checkout, exit_confirm; their `none` is what shows while no such screen is up. */
static const struct field fields[] = {
    {"screen", get_screen, NONE_STR(NULL)},
    {"ui.rtl", get_ui_rtl, NONE_BOOL},
    {"input.sources", get_input_sources, NONE_STR(NULL)},
    {"input.keymap", get_input_keymap, NONE_STR(NULL)},
    {"home.state", NULL, NONE_STR("loading")},
    {"home.shelves", NULL, NONE_INT(0)},
    {"home.posters_ready", NULL, NONE_INT(0)},
    {"home.posters_pending", NULL, NONE_INT(0)},
    {"home.cached", NULL, NONE_BOOL},
    {"home.offline", get_home_offline, NONE_BOOL},
    {"home.continue_items", NULL, NONE_INT(0)},
    {"home.bar", NULL, NONE_STR(NULL)},
    {"home.hero.title", NULL, NONE_STR(NULL)},
    {"home.hero.meta", NULL, NONE_STR(NULL)},
    {"home.hero.genres", NULL, NONE_INT(0)},
    {"home.hero.synopsis", NULL, NONE_STR(NULL)},
    {"home.focus.episode", NULL, NONE_INT(0)},
    {"home.focus.progress_pct", NULL, NONE_INT(-1)},
    {"home.interactive_at_ms", NULL, NONE_INT(0)},
    {"home.animating", NULL, NONE_BOOL},
    {"home.preroll.state", NULL, NONE_STR(NULL)},
    {"home.preroll.series_id", NULL, NONE_STR(NULL)},
    {"home.preroll.episode", NULL, NONE_INT(0)},
    {"home.preroll.started", NULL, NONE_INT(0)},
    {"home.preroll.cancelled", NULL, NONE_INT(0)},
    {"images.loads", get_images_loads, NONE_INT(0)},
    {"images.decoded", get_images_decoded, NONE_INT(0)},
    {"images.refused", get_images_refused, NONE_INT(0)},
    {"images.evictions", get_images_evictions, NONE_INT(0)},
    {"images.bytes", get_images_bytes, NONE_INT(0)},
    {"focus.shelf", NULL, NONE_INT(0)},
    {"focus.item", NULL, NONE_INT(0)},
    {"focus.shelf_id", NULL, NONE_STR(NULL)},
    {"focus.series_id", NULL, NONE_STR(NULL)},
    {"focus.title", NULL, NONE_STR(NULL)},
    {"series.id", NULL, NONE_STR(NULL)},
    {"series.state", NULL, NONE_STR(NULL)},
    {"series.episodes", NULL, NONE_INT(0)},
    {"series.range", NULL, NONE_STR(NULL)},
    {"series.focus_episode", NULL, NONE_STR(NULL)},
    {"series.focus", NULL, NONE_STR(NULL)},
    {"series.button", NULL, NONE_STR(NULL)},
    {"series.in_mylist", NULL, NONE_BOOL},
    {"series.fresh", NULL, NONE_BOOL},
    {"series.watched", NULL, NONE_INT(0)},
    {"series.progress", NULL, NONE_STR(NULL)},
    {"player.state", NULL, NONE_STR("idle")},
    {"player.series_id", NULL, NONE_STR(NULL)},
    {"player.episode_index", NULL, NONE_INT(0)},
    {"player.position_ms", NULL, NONE_INT(-1)},
    {"player.duration_ms", NULL, NONE_INT(-1)},
    {"player.seeking", NULL, NONE_BOOL},
    {"player.message", NULL, NONE_STR(NULL)},
    {"player.first_frame_ms", get_player_first_frame, NONE_INT(-1)},
    {"player.last_gap_ms", get_player_gap, NONE_INT(-1)},
    {"player.variant", NULL, NONE_STR(NULL)},
    {"player.instant", NULL, NONE_BOOL},
    {"player.next_prerolled", NULL, NONE_BOOL},
    {"player.strip", NULL, NONE_BOOL},
    {"player.strip_episode", NULL, NONE_STR(NULL)},
    {"player.audio", NULL, NONE_STR(NULL)},
    {"player.subtitles", NULL, NONE_STR(NULL)},
    {"player.audio_name", NULL, NONE_STR(NULL)},
    {"player.subtitles_name", NULL, NONE_STR(NULL)},
    {"player.audio_tracks", NULL, NONE_STR(NULL)},
    {"player.subtitle_tracks", NULL, NONE_STR(NULL)},
    {"player.cue", NULL, NONE_STR(NULL)},
    {"player.volume", get_player_volume, NONE_INT(-1)},
    {"player.muted", get_player_muted, NONE_BOOL},
    {"qoe.manifest_ms", NULL, NONE_INT(-1)},
    {"qoe.first_segment_ms", NULL, NONE_INT(-1)},
    {"qoe.first_frame_ms", NULL, NONE_INT(-1)},
    {"qoe.prerolled", NULL, NONE_BOOL},
    {"qoe.start_variant", NULL, NONE_STR(NULL)},
    {"qoe.variant_switches", NULL, NONE_INT(0)},
    {"qoe.rebuffers", NULL, NONE_INT(0)},
    {"qoe.rebuffer_ms", NULL, NONE_INT(0)},
    {"qoe.stalls", NULL, NONE_INT(0)},
    {"qoe.errors", NULL, NONE_INT(0)},
    {"paywall.price_coins", NULL, NONE_INT(-1)},
    {"paywall.balance", NULL, NONE_INT(-1)},
    {"paywall.focus", NULL, NONE_STR(NULL)},
    {"paywall.status", NULL, NONE_STR(NULL)},
    {"screen_status", get_screen_status, NONE_STR(NULL)},
    {"toast", get_toast, NONE_STR(NULL)},
    {"activation.user_code", NULL, NONE_STR(NULL)},
    {"checkout.id", NULL, NONE_STR(NULL)},
    {"checkout.pack_id", NULL, NONE_STR(NULL)},
    {"checkout.price", NULL, NONE_STR(NULL)},
    {"checkout.url", NULL, NONE_STR(NULL)},
    {"exit_confirm.focus", NULL, NONE_STR(NULL)},
    {"search.query", NULL, NONE_STR(NULL)},
    {"search.results", NULL, NONE_INT(0)},
    {"search.results_for", NULL, NONE_STR(NULL)},
    {"search.state", NULL, NONE_STR(NULL)},
    {"search.focus", NULL, NONE_STR(NULL)},
    {"search.recent", NULL, NONE_INT(0)},
    {"settings.focus", NULL, NONE_STR(NULL)},
    {"settings.autoplay", get_settings_autoplay, NONE_BOOL},
    {"settings.language", get_settings_language, NONE_STR(NULL)},
    {"settings.ui_language", get_settings_ui_language, NONE_STR(NULL)},
    {"settings.audio", get_settings_audio, NONE_STR(NULL)},
    {"settings.subtitles", get_settings_subtitles, NONE_STR(NULL)},
    {"settings.linked", get_settings_linked, NONE_BOOL},
    {"settings.confirm", NULL, NONE_BOOL},
    {"settings.status", NULL, NONE_STR(NULL)},
    {"wallet.coins", get_wallet_coins, NONE_INT(-1)},
    {"wallet.bonus_coins", get_wallet_bonus, NONE_INT(-1)},
    {"wallet.vip", get_wallet_vip, NONE_BOOL},
    {"wallet.ads_left_today", get_wallet_ads, NONE_INT(-1)},
    {"wallet.vip_expires_at", get_vip_expires, NONE_INT(0)},
    {"wallet.checkin.streak", get_checkin_streak, NONE_INT(-1)},
    {"wallet.checkin.claimed_today", get_checkin_claimed, NONE_BOOL},
    {"wallet.checkin.next_reward", get_checkin_next, NONE_INT(-1)},
    {"wallet.checkin_status", NULL, NONE_STR(NULL)},
    {"wallet.checkin_result", NULL, NONE_STR(NULL)},
    {"wallet.packs", NULL, NONE_INT(0)},
    {"wallet.focus", NULL, NONE_STR(NULL)},
    {"wallet.history", NULL, NONE_INT(0)},
    {"progress.pending", get_progress_pending, NONE_INT(-1)},
    {"session.registered", get_registered, NONE_BOOL},
    {"session.account", get_account, NONE_STR(NULL)},
    {"loop.ticks", get_ticks, NONE_INT(0)},
    {"loop.sleeps", get_sleeps, NONE_INT(-1)},
    {"loop.cpu_ms", get_cpu_ms, NONE_INT(-1)},
    {"loop.key_to_photon_n", get_k2p_n, NONE_INT(0)},
    {"loop.key_to_photon_p50_us", get_k2p_p50, NONE_INT(-1)},
    {"loop.key_to_photon_p99_us", get_k2p_p99, NONE_INT(-1)},
    {"loop.presents", get_presents, NONE_INT(0)},
    {"loop.rss_kib", get_rss, NONE_INT(-1)},
    {"loop.hwm_kib", get_hwm, NONE_INT(-1)},
    {"loop.frame_time_n", get_frame_n, NONE_INT(0)},
    {"loop.frame_time_p50_us", get_frame_p50, NONE_INT(-1)},
    {"loop.frame_time_p99_us", get_frame_p99, NONE_INT(-1)},
    {"ui_language", get_ui_language, NONE_STR(NULL)},
    {"error", get_error, NONE_STR(NULL)},
    {"error_detail", get_error_detail, NONE_STR(NULL)},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static void field_get(struct app *app, const struct field *f, struct app_value *v)
{
    if (f->get)
        f->get(app, v);
    else if (!stack_state(app, f->path, v))
        *v = f->none;
}

static void format_value(const struct app_value *v, char *buf, size_t len)
{
    switch (v->type) {
    case APP_VALUE_STR:
        snprintf(buf, len, "%s", v->s ? v->s : "null");
        break;
    case APP_VALUE_INT:
        snprintf(buf, len, "%" PRId64, v->i);
        break;
    case APP_VALUE_BOOL:
        snprintf(buf, len, "%s", v->b ? "true" : "false");
        break;
    }
}

int app_state_value(struct app *app, const char *path, char *buf, size_t len)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (strcmp(fields[i].path, path) == 0) {
            struct app_value v;
            field_get(app, &fields[i], &v);
            format_value(&v, buf, len);
            return 0;
        }
    }
    return BINGE_ENOTFOUND;
}

static void print_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* Length of the group prefix ("player." -> 7), 0 for top-level keys. */
static size_t group_len(const char *path)
{
    const char *dot = strchr(path, '.');
    return dot ? (size_t)(dot - path) + 1 : 0;
}

void app_state_print(struct app *app, FILE *out)
{
    fputc('{', out);
    const char *group = NULL;
    size_t glen = 0;
    bool first = true, first_in_group = true;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const char *path = fields[i].path;
        size_t g = group_len(path);
        if (group && (g != glen || strncmp(group, path, g) != 0)) {
            fputc('}', out);
            group = NULL;
        }
        if (!group && g) {
            fprintf(out, "%s\"%.*s\":{", first ? "" : ",", (int)(g - 1), path);
            group = path;
            glen = g;
            first = false;
            first_in_group = true;
        }
        if (group)
            fprintf(out, "%s", first_in_group ? "" : ",");
        else
            fprintf(out, "%s", first ? "" : ",");
        first = first_in_group = false;
        print_json_string(out, path + g);
        fputc(':', out);
        struct app_value v;
        field_get(app, &fields[i], &v);
        if (v.type == APP_VALUE_STR && v.s)
            print_json_string(out, v.s);
        else {
            char buf[64];
            format_value(&v, buf, sizeof(buf));
            fputs(buf, out);
        }
    }
    if (group)
        fputc('}', out);
    fputs("}\n", out);
    fflush(out);
}

void app_state_print_strings(struct app *app, FILE *out)
{
    fputs("{\"ui_language\":", out);
    print_json_string(out, i18n_language());
    fputs(",\"strings\":[", out);
    const char *p = app->ui ? ui_drawn_strings(app->ui) : "";
    char line[4096];
    for (bool first = true; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        snprintf(line, sizeof(line), "%.*s", (int)n, p);
        fputs(first ? "" : ",", out);
        print_json_string(out, line);
        first = false;
        p += n + (end ? 1 : 0);
    }
    fputs("]}\n", out);
    fflush(out);
}
