#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <inttypes.h>
#include <sys/resource.h>
#include <string.h>

#include "app_internal.h"
#include "binge/error.h"
#include "binge/store.h"

/* The automation view of the state: one table of paths, used by both `state` (the whole table
 * as JSON) and `wait-for PATH=VALUE` (one entry), so the two can never disagree. */

enum field_type {
    FIELD_STR = 0,
    FIELD_INT = 1,
    FIELD_BOOL = 2,
};

struct field_value {
    enum field_type type;
    const char *s; /* NULL shows as null */
    int64_t i;
    bool b;
};

struct field {
    const char *path;
    void (*get)(struct app *app, struct field_value *v);
};

#define STR(x) (*v = (struct field_value){.type = FIELD_STR, .s = (x)})
#define INT(x) (*v = (struct field_value){.type = FIELD_INT, .i = (x)})
#define BOOL(x) (*v = (struct field_value){.type = FIELD_BOOL, .b = (x)})

static void get_screen(struct app *app, struct field_value *v)
{
    static const char *const names[] = {"home", "player", "paywall", "ad", "checkout", "activate"};
    STR(names[app->screen]);
}
static bool on_paywall(const struct app *app)
{
    return app->screen == APP_SCREEN_PAYWALL || app->screen == APP_SCREEN_AD;
}
static void get_paywall_price(struct app *app, struct field_value *v)
{
    INT(on_paywall(app) ? app->pay_price : -1);
}
static void get_paywall_balance(struct app *app, struct field_value *v)
{
    INT(on_paywall(app) ? app->pay_balance : -1);
}
static void get_paywall_focus(struct app *app, struct field_value *v)
{
    /* The last row, buying coins, has no method name: null. */
    static const char *const names[APP_UNLOCK_METHODS] = {"coins", "ad", "vip"};
    STR(on_paywall(app) && app->pay_focus < APP_UNLOCK_METHODS ? names[app->pay_focus] : NULL);
}
static void get_paywall_status(struct app *app, struct field_value *v)
{
    STR(on_paywall(app) && app->pay_status[0] ? app->pay_status : NULL);
}
static void get_home_state(struct app *app, struct field_value *v)
{
    static const char *const names[] = {"loading", "ready", "error"};
    STR(names[app->home_state]);
}
static void get_home_shelves(struct app *app, struct field_value *v)
{
    INT(app->home ? (int64_t)app->home->n_shelves : 0);
}
/* Cards on home whose poster is in state want (ready), or still on its way (pending). */
static int64_t count_posters(struct app *app, bool pending)
{
    int64_t n = 0;
    for (size_t s = 0; app->home && s < app->home->n_shelves; s++) {
        for (size_t i = 0; i < app->home->shelves[s].n_items; i++) {
            enum ui_image_state st =
                ui_image_state(app->ui, app->home->shelves[s].items[i].poster_url);
            if (!app->home->shelves[s].items[i].poster_url)
                continue;
            n +=
                pending ? (st == UI_IMAGE_UNKNOWN || st == UI_IMAGE_PENDING) : st == UI_IMAGE_READY;
        }
    }
    return n;
}
static void get_home_posters(struct app *app, struct field_value *v)
{
    INT(count_posters(app, false));
}
static void get_home_posters_pending(struct app *app, struct field_value *v)
{
    INT(count_posters(app, true));
}
static struct ui_image_stats image_stats(struct app *app)
{
    struct ui_image_stats st = {0};
    if (app->ui)
        ui_image_stats(app->ui, &st);
    return st;
}
static void get_images_loads(struct app *app, struct field_value *v)
{
    INT((int64_t)image_stats(app).submitted);
}
static void get_images_decoded(struct app *app, struct field_value *v)
{
    INT((int64_t)image_stats(app).decoded);
}
static void get_images_refused(struct app *app, struct field_value *v)
{
    INT((int64_t)image_stats(app).refused);
}
static void get_images_evictions(struct app *app, struct field_value *v)
{
    INT((int64_t)image_stats(app).evictions);
}
static void get_images_bytes(struct app *app, struct field_value *v)
{
    INT((int64_t)image_stats(app).bytes);
}
static void get_home_continue(struct app *app, struct field_value *v)
{
    int64_t n = 0;
    for (size_t s = 0; app->home && s < app->home->n_shelves; s++)
        if (app->home->shelves[s].id && strcmp(app->home->shelves[s].id, "continue") == 0)
            n = (int64_t)app->home->shelves[s].n_items;
    INT(n);
}
static void get_focus_shelf(struct app *app, struct field_value *v)
{
    INT((int64_t)app->focus_shelf);
}
static void get_focus_item(struct app *app, struct field_value *v)
{
    INT(app->focus_item ? (int64_t)app->focus_item[app->focus_shelf] : 0);
}
static void get_focus_series(struct app *app, struct field_value *v)
{
    const struct catalog_item *item = app_focused_item(app);
    STR(item ? item->series_id : NULL);
}
static void get_player_state(struct app *app, struct field_value *v)
{
    STR(player_state_name(app->pstate));
}
static void get_player_series(struct app *app, struct field_value *v)
{
    STR(app->screen != APP_SCREEN_HOME ? app->series_id : NULL);
}
static void get_player_episode(struct app *app, struct field_value *v)
{
    INT(app->screen != APP_SCREEN_HOME ? app->episode_index : 0);
}
static void get_player_position(struct app *app, struct field_value *v)
{
    INT(app->screen == APP_SCREEN_PLAYER ? player_get_position_ms(app->player) : -1);
}
static void get_player_seeking(struct app *app, struct field_value *v)
{
    BOOL(app->screen == APP_SCREEN_PLAYER && app->seeking);
}
static void get_player_duration(struct app *app, struct field_value *v)
{
    INT(app->screen == APP_SCREEN_PLAYER ? app->duration_ms : -1);
}
static void get_player_gap(struct app *app, struct field_value *v)
{
    INT(app->last_gap_ms);
}
/* A variant as WIDTHxHEIGHT@BITRATE into buf (static storage of the caller's field). */
static const char *variant_text(const struct player_variant *var, char *buf, size_t len)
{
    snprintf(buf, len, "%dx%d@%u", var->width, var->height, var->bitrate);
    return buf;
}
static void get_player_variant(struct app *app, struct field_value *v)
{
    static char buf[48];
    struct player_variant var;
    bool known = app->screen == APP_SCREEN_PLAYER && player_get_variant(app->player, &var);
    STR(known ? variant_text(&var, buf, sizeof(buf)) : NULL);
}
static void get_player_prerolled(struct app *app, struct field_value *v)
{
    BOOL(app->preroll_index != 0 && !app->next_locked);
}
static void get_player_message(struct app *app, struct field_value *v)
{
    STR(app->screen == APP_SCREEN_PLAYER && app->msg_title[0] ? app->msg_title : NULL);
}
static void get_player_first_frame(struct app *app, struct field_value *v)
{
    INT(app->first_frame_ms);
}
/* The QoE statistics of the playback on screen (player_get_stats); -1 / 0 off the player. */
static bool qoe_stats(struct app *app, struct player_stats *st)
{
    if (app->screen != APP_SCREEN_PLAYER || !app->player)
        return false;
    player_get_stats(app->player, st);
    return true;
}
#define QOE_INT(field, none)                                                                       \
    do {                                                                                           \
        struct player_stats st;                                                                    \
        INT(qoe_stats(app, &st) ? (int64_t)st.field : (none));                                     \
    } while (0)
static void get_qoe_manifest(struct app *app, struct field_value *v)
{
    QOE_INT(manifest_ms, -1);
}
static void get_qoe_first_segment(struct app *app, struct field_value *v)
{
    QOE_INT(first_segment_ms, -1);
}
static void get_qoe_first_frame(struct app *app, struct field_value *v)
{
    QOE_INT(first_frame_ms, -1);
}
static void get_qoe_prerolled(struct app *app, struct field_value *v)
{
    struct player_stats st;
    BOOL(qoe_stats(app, &st) && st.prerolled);
}
static void get_qoe_start_variant(struct app *app, struct field_value *v)
{
    static char buf[48];
    struct player_stats st;
    bool known = qoe_stats(app, &st) && st.start_variant.width > 0;
    STR(known ? variant_text(&st.start_variant, buf, sizeof(buf)) : NULL);
}
static void get_qoe_switches(struct app *app, struct field_value *v)
{
    QOE_INT(variant_switches, 0);
}
static void get_qoe_rebuffers(struct app *app, struct field_value *v)
{
    QOE_INT(rebuffers, 0);
}
static void get_qoe_rebuffer_ms(struct app *app, struct field_value *v)
{
    QOE_INT(rebuffer_ms, 0);
}
static void get_qoe_stalls(struct app *app, struct field_value *v)
{
    QOE_INT(stalls, 0);
}
static void get_qoe_errors(struct app *app, struct field_value *v)
{
    QOE_INT(errors, 0);
}
/* The selected track of a type ("en"; its id when it has no language), or null. */
static void get_track(struct app *app, struct field_value *v, enum player_track_type type)
{
    static char buf[2][96];
    struct player_track tracks[APP_MAX_TRACKS];
    size_t n = app->screen == APP_SCREEN_PLAYER && app->player
                   ? player_get_tracks(app->player, tracks, APP_MAX_TRACKS)
                   : 0;
    STR(NULL);
    for (size_t i = 0; i < n && i < APP_MAX_TRACKS; i++) {
        if (tracks[i].type == type && tracks[i].selected) {
            char *b = buf[type == PLAYER_TRACK_TEXT];
            snprintf(b, sizeof(buf[0]), "%s",
                     tracks[i].language[0] ? tracks[i].language : tracks[i].id);
            STR(b);
            return;
        }
    }
}
static void get_player_audio(struct app *app, struct field_value *v)
{
    get_track(app, v, PLAYER_TRACK_AUDIO);
}
static void get_player_subtitles(struct app *app, struct field_value *v)
{
    get_track(app, v, PLAYER_TRACK_TEXT);
}
static void get_player_volume(struct app *app, struct field_value *v)
{
    INT(app->player ? prefs_volume_pct(app) : -1);
}
static void get_player_muted(struct app *app, struct field_value *v)
{
    BOOL(app->player && player_get_mute(app->player));
}
static void get_screen_status(struct app *app, struct field_value *v)
{
    if (app->screen == APP_SCREEN_CHECKOUT)
        STR(app->checkout_status[0] ? app->checkout_status : NULL);
    else if (app->screen == APP_SCREEN_ACTIVATE)
        STR(app->act_status[0] ? app->act_status : NULL);
    else
        STR(NULL);
}
static void get_user_code(struct app *app, struct field_value *v)
{
    STR(app->devcode ? app->devcode->user_code : NULL);
}
static void get_checkout_id(struct app *app, struct field_value *v)
{
    STR(app->purchase ? app->purchase->id : NULL);
}
static void get_account(struct app *app, struct field_value *v)
{
    STR(app->account_name);
}
static void get_wallet_coins(struct app *app, struct field_value *v)
{
    INT(app->wallet ? app->wallet->coins : -1);
}
static void get_wallet_bonus(struct app *app, struct field_value *v)
{
    INT(app->wallet ? app->wallet->bonus_coins : -1);
}
static void get_wallet_vip(struct app *app, struct field_value *v)
{
    BOOL(app->wallet && app->wallet->vip_active);
}
static void get_wallet_ads(struct app *app, struct field_value *v)
{
    INT(app->wallet ? app->wallet->ads_left_today : -1);
}
static void get_progress_pending(struct app *app, struct field_value *v)
{
    INT(app->store ? (int64_t)store_progress_count(app->store) : -1);
}
static void get_home_cached(struct app *app, struct field_value *v)
{
    BOOL(app->home_cached);
}
static void get_home_offline(struct app *app, struct field_value *v)
{
    BOOL(app->offline);
}
static void get_ticks(struct app *app, struct field_value *v)
{
    INT((int64_t)app->ticks);
}
/* The UI thread's sleeps so far: its voluntary context switches. Idle, it sleeps until
 * something happens; a loop that polls shows here as hundreds a second. */
static void get_sleeps(struct app *app, struct field_value *v)
{
    (void)app;
    struct rusage ru;
    INT(getrusage(RUSAGE_THREAD, &ru) == 0 ? (int64_t)ru.ru_nvcsw : -1);
}
static void get_registered(struct app *app, struct field_value *v)
{
    BOOL(app->token != NULL);
}
static void get_error(struct app *app, struct field_value *v)
{
    STR(app->error[0] ? app->error : NULL);
}
static void get_error_detail(struct app *app, struct field_value *v)
{
    STR(app->error[0] && app->error_tech[0] ? app->error_tech : NULL);
}

/* Grouped by prefix, in output order. */
static const struct field fields[] = {
    {"screen", get_screen},
    {"home.state", get_home_state},
    {"home.shelves", get_home_shelves},
    {"home.posters_ready", get_home_posters},
    {"home.posters_pending", get_home_posters_pending},
    {"home.cached", get_home_cached},
    {"home.offline", get_home_offline},
    {"home.continue_items", get_home_continue},
    {"images.loads", get_images_loads},
    {"images.decoded", get_images_decoded},
    {"images.refused", get_images_refused},
    {"images.evictions", get_images_evictions},
    {"images.bytes", get_images_bytes},
    {"focus.shelf", get_focus_shelf},
    {"focus.item", get_focus_item},
    {"focus.series_id", get_focus_series},
    {"player.state", get_player_state},
    {"player.series_id", get_player_series},
    {"player.episode_index", get_player_episode},
    {"player.position_ms", get_player_position},
    {"player.duration_ms", get_player_duration},
    {"player.seeking", get_player_seeking},
    {"player.message", get_player_message},
    {"player.first_frame_ms", get_player_first_frame},
    {"player.last_gap_ms", get_player_gap},
    {"player.variant", get_player_variant},
    {"player.next_prerolled", get_player_prerolled},
    {"player.audio", get_player_audio},
    {"player.subtitles", get_player_subtitles},
    {"player.volume", get_player_volume},
    {"player.muted", get_player_muted},
    {"qoe.manifest_ms", get_qoe_manifest},
    {"qoe.first_segment_ms", get_qoe_first_segment},
    {"qoe.first_frame_ms", get_qoe_first_frame},
    {"qoe.prerolled", get_qoe_prerolled},
    {"qoe.start_variant", get_qoe_start_variant},
    {"qoe.variant_switches", get_qoe_switches},
    {"qoe.rebuffers", get_qoe_rebuffers},
    {"qoe.rebuffer_ms", get_qoe_rebuffer_ms},
    {"qoe.stalls", get_qoe_stalls},
    {"qoe.errors", get_qoe_errors},
    {"paywall.price_coins", get_paywall_price},
    {"paywall.balance", get_paywall_balance},
    {"paywall.focus", get_paywall_focus},
    {"paywall.status", get_paywall_status},
    {"screen_status", get_screen_status},
    {"activation.user_code", get_user_code},
    {"checkout.id", get_checkout_id},
    {"wallet.coins", get_wallet_coins},
    {"wallet.bonus_coins", get_wallet_bonus},
    {"wallet.vip", get_wallet_vip},
    {"wallet.ads_left_today", get_wallet_ads},
    {"progress.pending", get_progress_pending},
    {"session.registered", get_registered},
    {"session.account", get_account},
    {"loop.ticks", get_ticks},
    {"loop.sleeps", get_sleeps},
    {"error", get_error},
    {"error_detail", get_error_detail},
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static void format_value(const struct field_value *v, char *buf, size_t len)
{
    switch (v->type) {
    case FIELD_STR:
        snprintf(buf, len, "%s", v->s ? v->s : "null");
        break;
    case FIELD_INT:
        snprintf(buf, len, "%" PRId64, v->i);
        break;
    case FIELD_BOOL:
        snprintf(buf, len, "%s", v->b ? "true" : "false");
        break;
    }
}

int app_state_value(struct app *app, const char *path, char *buf, size_t len)
{
    for (size_t i = 0; i < N_FIELDS; i++) {
        if (strcmp(fields[i].path, path) == 0) {
            struct field_value v;
            fields[i].get(app, &v);
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
        struct field_value v;
        fields[i].get(app, &v);
        if (v.type == FIELD_STR && v.s)
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
