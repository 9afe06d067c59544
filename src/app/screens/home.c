/* Home: the catalog's shelves (fetched, cached for offline, installed keeping the focus), the
 * focus over them, and the refresh that follows coming back from the player. The bottom of the
 * stack: BACK here asks before exiting (app_dispatch), MENU links the account, OK opens the
 * focused series' page (screens/series.c), PLAY plays it at once.
 *
 * Threading: UI thread only. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../app_internal.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("app");

struct home_screen {
    struct catalog_home *home; /* NULL while nothing has loaded */
    char *etag;
    enum app_home_state state;
    bool cached; /* home comes from the disk cache; a fresh copy is being fetched */
    uint64_t req;
    uint64_t gen;          /* bumped each time a home is installed (posters look again) */
    int64_t refresh_at_ms; /* back from the player: refresh home by then; 0 = none */
    char title[160];       /* a status: "Offline", an error; "" for none */
    char detail[256];
    struct ui_focus_grid grid; /* rows: shelves; columns: cards; each shelf keeps its card */
    size_t *focus_item;        /* the grid's columns per shelf, as the view wants them */
    bool in_bar;               /* the focus is on the top bar (UP from the first shelf) */
    size_t bar_focus;          /* index into bar_items[] */
    /* The focus slides from (from_row, from_col) for anim_ms from anim_start_ms; 0 = at rest. */
    size_t from_row, from_col;
    int64_t anim_start_ms;
    int anim_ms;
    int frame_ms;   /* the display's refresh period: animation frames come this often */
    int repeat_run; /* key repeats of a direction in a row: a held key moves further */
    char meta[160]; /* the hero's "42 episodes · 5 free · 1 h 12 min" */
    /* Instant start: the focus came to rest on its card at focus_since_ms; after
     * HOME_PREROLL_DWELL_MS its episode is prerolled (src/app/preroll.c). 0 = done or none. */
    int64_t focus_since_ms;
    /* QA: when home was first presented ready with every poster settled (wall clock, ms since
     * the epoch, for scripts/bench's "home to interactive"); 0 before. */
    int64_t interactive_at_ms;
};

#define HOME_PREROLL_DWELL_MS 300

#define HOME_ANIM_MS 120       /* a focus move */
#define HOME_ANIM_REPEAT_MS 70 /* a move of a held key: shorter, so it keeps up */

/* The top bar above the shelves: screens looked up by name in app_screens[], so an item whose
 * screen is not built in is not shown. */
static const struct {
    const char *screen;
    const char *label;
} bar_items[] = {
    {"search", N_("Search")},
    {"wallet", N_("Wallet")},
    {"settings", N_("Settings")},
};
#define BAR_MAX (sizeof(bar_items) / sizeof(bar_items[0]))

/* The bar's items that exist (indices into bar_items[]), in order. Returns the count. */
static size_t bar_present(size_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < BAR_MAX; i++)
        if (app_screen_by_name(bar_items[i].screen))
            out[n++] = i;
    return n;
}

static void bar_open(struct app *app, size_t item)
{
    const struct screen_ops *ops = app_screen_by_name(bar_items[item].screen);
    if (ops)
        app_push(app, ops, NULL);
}

/* The bar's action: LEFT/RIGHT move along it, DOWN goes back to the shelves, OK opens. */
static bool bar_action(struct app *app, struct home_screen *h, enum input_action action)
{
    size_t items[BAR_MAX], n = bar_present(items), at = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i] == h->bar_focus)
            at = i;
    switch (action) {
    case INPUT_LEFT:
        if (at > 0)
            h->bar_focus = items[at - 1];
        return true;
    case INPUT_RIGHT:
        if (at + 1 < n)
            h->bar_focus = items[at + 1];
        return true;
    case INPUT_DOWN:
        if (h->home && h->home->n_shelves) {
            h->in_bar = false;
            h->focus_since_ms = util_now_ms();
        }
        return true;
    case INPUT_UP:
        return true;
    case INPUT_OK:
        if (n)
            bar_open(app, items[at]);
        return true;
    default:
        return false;
    }
}

static struct home_screen *home_state(struct app *app)
{
    struct screen *s = app_find(app, &screen_home);
    return s ? s->state : NULL;
}

static void request(struct app *app, struct screen *s)
{
    struct home_screen *h = s->state;
    h->req = screen_request(app, s, APP_REQ_HOME, NET_GET, "/v1/home", NULL, 0, h->etag);
}

static void cache_key(const struct app *app, char *buf, size_t len)
{
    app_cache_key(app, "home", NULL, buf, len);
}

static const struct catalog_item *focused_item(const struct home_screen *h)
{
    if (!h->home || h->grid.row >= h->home->n_shelves)
        return NULL;
    const struct catalog_shelf *shelf = &h->home->shelves[h->grid.row];
    return h->grid.col < shelf->n_items ? &shelf->items[h->grid.col] : NULL;
}

static bool has_shelf(const struct catalog_home *home, const char *id)
{
    for (size_t i = 0; i < home->n_shelves; i++)
        if (home->shelves[i].id && strcmp(home->shelves[i].id, id) == 0)
            return true;
    return false;
}

/* Installs a parsed home, keeping the focus when the shelves are the same. */
static bool set_home(struct home_screen *h, struct catalog_home *home, const char *etag)
{
    if (home->n_dropped)
        log_warn("home: left out %zu item%s with a bad field; the first: %s", home->n_dropped,
                 home->n_dropped == 1 ? "" : "s", home->dropped);
    size_t n = home->n_shelves < UI_GRID_MAX_ROWS ? home->n_shelves : UI_GRID_MAX_ROWS;
    size_t *focus = calloc(n ? n : 1, sizeof(*focus));
    size_t *cols = calloc(n ? n : 1, sizeof(*cols));
    if (!focus || !cols) {
        free(focus);
        free(cols);
        catalog_home_free(home);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        cols[i] = home->shelves[i].n_items;
    /* Other shelves: the focus starts over at the top, where a new "continue watching" shelf
     * offers what was just watched; when only another shelf came or went (My list), the focus
     * stays on the card it was on, if that shelf and card are still there. The same shelves:
     * it stays. */
    size_t keep_row = SIZE_MAX, keep_col = 0;
    if (h->home && h->home->n_shelves != home->n_shelves &&
        has_shelf(h->home, "continue") == has_shelf(home, "continue")) {
        const struct catalog_item *was = focused_item(h);
        const char *shelf_id =
            h->grid.row < h->home->n_shelves ? h->home->shelves[h->grid.row].id : NULL;
        for (size_t i = 0; was && shelf_id && i < n; i++) {
            if (!home->shelves[i].id || strcmp(home->shelves[i].id, shelf_id) != 0)
                continue;
            for (size_t j = 0; j < home->shelves[i].n_items; j++) {
                if (strcmp(home->shelves[i].items[j].series_id, was->series_id) == 0) {
                    keep_row = i;
                    keep_col = j;
                }
            }
        }
    }
    if (!h->home || h->home->n_shelves != home->n_shelves)
        ui_grid_init(&h->grid, 0);
    ui_grid_set_rows(&h->grid, cols, n);
    if (keep_row != SIZE_MAX)
        ui_grid_focus(&h->grid, keep_row, keep_col);
    free(cols);
    catalog_home_free(h->home);
    free(h->focus_item);
    h->home = home;
    h->gen++;
    h->focus_item = focus;
    app_replace_str(&h->etag, etag);
    h->state = APP_HOME_READY;
    if (!h->in_bar)
        h->focus_since_ms = util_now_ms(); /* the focus rests on a card: instant start */
    return true;
}

static void load_cached(struct app *app, struct home_screen *h)
{
    char key[64], *etag = NULL, *body = NULL, err[CATALOG_ERR_LEN];
    size_t len = 0;
    int64_t at = 0;
    struct catalog_home *home = NULL;
    cache_key(app, key, sizeof(key));
    if (!app->store || store_cache_get(app->store, key, &etag, &body, &len, &at) != 0)
        return;
    if (catalog_parse_home(body, len, &home, err) == 0 && set_home(h, home, etag)) {
        h->cached = true;
        log_info("home: %zu shelves from the cache", h->home->n_shelves);
    } else {
        log_warn("cached home is unusable (%s); dropping it", err);
        store_cache_remove(app->store, key);
    }
    free(etag);
    free(body);
}

/* The server answered with a home: the banner and the backoff go. */
static void back_online(struct app *app, struct home_screen *h)
{
    if (app->offline)
        log_info("home: the server is back");
    app->offline = false;
    h->cached = false;
    h->title[0] = h->detail[0] = '\0';
    app->error[0] = '\0';
    app->attempts = 0;
}

static void on_home(struct app *app, struct home_screen *h, struct net_response *r)
{
    h->req = 0;
    char err[CATALOG_ERR_LEN] = "", key[64];
    struct catalog_home *home = NULL;
    cache_key(app, key, sizeof(key));
    if (!r->error && r->status == 304 && h->home) {
        if (app->store)
            store_cache_touch(app->store, key);
        back_online(app, h);
        log_info("home: not modified (%lld ms)", (long long)r->elapsed_ms);
        return;
    }
    if (!r->error && r->status == 200 && catalog_parse_home(r->body, r->len, &home, err) == 0) {
        if (app->store)
            store_cache_put(app->store, key, r->etag, r->body, r->len);
        if (!set_home(h, home, r->etag))
            return;
        back_online(app, h);
        log_info("home: %zu shelves (%lld ms)", h->home->n_shelves, (long long)r->elapsed_ms);
        return;
    }
    char tech[512];
    if (err[0]) {
        snprintf(h->title, sizeof(h->title), "%s", _("The server sent a bad catalog"));
        snprintf(h->detail, sizeof(h->detail), "%s", _("Please try again later."));
        snprintf(tech, sizeof(tech), "bad JSON: %s", err);
    } else {
        app_describe_failure(r, h->title, sizeof(h->title), h->detail, sizeof(h->detail));
        app_failure_tech(r, tech, sizeof(tech));
    }
    log_error("home: %s: %s", h->title, tech);
    app_set_error(app, "%s: %s", h->title, h->detail);
    app_set_error_tech(app, "%s", tech);
    if (h->state != APP_HOME_READY)
        h->state = APP_HOME_ERROR;
    if (r->error == BINGE_ENET || r->error == BINGE_ETIMEDOUT)
        app->offline = true;
    if (h->home && r->error) {
        /* The saved catalog stays browsable under a banner. */
        snprintf(h->title, sizeof(h->title), "%s", _("Offline"));
        snprintf(h->detail, sizeof(h->detail), "%s", _("showing your saved catalog"));
    }
    if (!app->retry_at_ms)
        app_schedule_retry(app);
}

/* "42 episodes · 5 free · 1 h 12 min": the size of the series, with what is known of it. */
static void hero_meta(const struct catalog_item *item, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
#define PART(...)                                                                                  \
    do {                                                                                           \
        if (n < len)                                                                               \
            n += (size_t)snprintf(buf + n, len - n, "%s", n ? " \u00b7 " : "");                    \
        if (n < len)                                                                               \
            n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);                                  \
    } while (0)
    if (!item)
        return;
    PART(P_("%d episode", "%d episodes", item->episode_count), item->episode_count);
    if (item->free_episodes > 0)
        PART(P_("%d free", "%d free", item->free_episodes), item->free_episodes);
    int64_t t = item->total_duration_s;
    if (t >= 3600)
        PART(_("%lld h %lld min"), (long long)(t / 3600), (long long)(t % 3600 / 60));
    else if (t >= 60)
        PART(_("%lld min"), (long long)(t / 60));
    else if (t > 0)
        PART(_("%lld s"), (long long)t);
#undef PART
}

/* The eased progress of the focus move (0..1; 1 at rest): fast out, gentle in. */
static float anim_progress(const struct home_screen *h, int64_t now)
{
    if (!h->anim_start_ms || h->anim_ms <= 0)
        return 1;
    float t = (float)(now - h->anim_start_ms) / (float)h->anim_ms;
    if (t >= 1)
        return 1;
    if (t < 0)
        t = 0;
    float u = 1 - t;
    return 1 - u * u * u;
}

/* Moves the focus by (drow, dcol) steps times, sliding from where it is. */
static void move_focus(struct home_screen *h, int drow, int dcol, int steps, bool repeat)
{
    size_t row = h->grid.row, col = h->grid.col;
    bool moved = false;
    for (int i = 0; i < steps; i++)
        moved |= ui_grid_move(&h->grid, drow, dcol);
    if (!moved)
        return;
    h->focus_since_ms = util_now_ms();
    h->from_row = row;
    h->from_col = col;
    h->anim_start_ms = util_now_ms();
    h->anim_ms = repeat ? HOME_ANIM_REPEAT_MS : HOME_ANIM_MS;
}

/* ---- what the core and other screens ask of home ---- */

void home_bootstrap(struct app *app)
{
    struct screen *s = app_find(app, &screen_home);
    struct home_screen *h = s ? s->state : NULL;
    if (h && (h->state != APP_HOME_READY || h->cached || app->offline) && !h->req)
        request(app, s);
}

void home_note_offline(struct app *app)
{
    struct home_screen *h = home_state(app);
    if (h && h->home) {
        snprintf(h->title, sizeof(h->title), "%s", _("Offline"));
        snprintf(h->detail, sizeof(h->detail), "%s", _("showing your saved catalog"));
    }
}

const struct catalog_home *home_catalog(struct app *app, uint64_t *gen)
{
    struct home_screen *h = home_state(app);
    *gen = h ? h->gen : 0;
    return h ? h->home : NULL;
}

void home_refresh_soon(struct app *app)
{
    struct home_screen *h = home_state(app);
    if (h)
        h->refresh_at_ms = util_now_ms() + APP_HOME_REFRESH_WAIT_MS;
}

void home_reload(struct app *app)
{
    struct screen *s = app_find(app, &screen_home);
    if (!s)
        return;
    struct home_screen *h = s->state;
    net_cancel(app->net, h->req);
    h->req = 0;
    free(h->etag); /* another language: nothing to compare with */
    h->etag = NULL;
    if (app->token)
        request(app, s);
    else
        screen_resend_later(app, s, APP_REQ_HOME);
}

void home_open_series(struct app *app, const struct catalog_item *item)
{
    struct series_screen_args a = {
        .series_id = item->series_id,
        .title = item->title,
        .poster_url = item->poster_url,
        .episode_index = item->episode_id ? item->episode_index : 0,
    };
    app_push(app, &screen_series, &a);
}

void home_play_series(struct app *app, const struct catalog_item *item)
{
    struct player_screen_args a = {.item = item};
    app_push(app, &screen_player, &a);
}

void home_show_mylist(struct app *app)
{
    struct screen *s = app_find(app, &screen_home);
    if (!s)
        return;
    struct home_screen *h = s->state;
    size_t row = SIZE_MAX;
    for (size_t i = 0; h->home && i < h->home->n_shelves && i < UI_GRID_MAX_ROWS; i++)
        if (h->home->shelves[i].id && strcmp(h->home->shelves[i].id, "mylist") == 0)
            row = i;
    if (row == SIZE_MAX) {
        log_info("My list: empty (no shelf on home)");
        return;
    }
    app_pop_to(app, &screen_home);
    h->in_bar = false;
    size_t from_row = h->grid.row, from_col = h->grid.col;
    ui_grid_focus(&h->grid, row, 0);
    if (from_row != h->grid.row || from_col != h->grid.col) {
        h->from_row = from_row; /* it slides there as a move does */
        h->from_col = from_col;
        h->anim_start_ms = util_now_ms();
        h->anim_ms = HOME_ANIM_MS;
        preroll_cancel(app, "the focus moved on");
    }
    h->focus_since_ms = util_now_ms();
}

bool home_ready(struct app *app)
{
    struct home_screen *h = home_state(app);
    return h && h->state == APP_HOME_READY;
}

/* ---- the screen ---- */

static int home_enter(struct app *app, struct screen *s, const void *arg)
{
    (void)arg;
    struct home_screen *h = s->state;
    ui_grid_init(&h->grid, 0);
    SDL_DisplayMode mode;
    h->frame_ms = 16; /* 60 Hz when the display does not say (offscreen) */
    if (app->window && SDL_GetWindowDisplayMode(app->window, &mode) == 0 && mode.refresh_rate > 0)
        h->frame_ms = 1000 / mode.refresh_rate;
    /* Offline first: the last home seen, shown at once while a fresh one is fetched. */
    load_cached(app, h);
    return 0;
}

static void home_leave(struct app *app, struct screen *s)
{
    struct home_screen *h = s->state;
    net_cancel(app->net, h->req);
    catalog_home_free(h->home);
    free(h->etag);
    free(h->focus_item);
}

static bool home_action(struct app *app, struct screen *s, enum input_action action, bool repeat)
{
    (void)repeat;
    struct home_screen *h = s->state;
    if (action == INPUT_SEARCH) {
        const struct screen_ops *ops = app_screen_by_name("search");
        if (ops)
            app_push(app, ops, NULL);
        return true;
    }
    if (h->in_bar && bar_action(app, h, action))
        return true;
    switch (action) {
    case INPUT_UP:
        /* UP on the first shelf (or on an empty home) reaches the top bar. */
        if (!h->home || h->grid.row == 0 || h->home->n_shelves == 0) {
            size_t items[BAR_MAX], n = bar_present(items);
            if (n) {
                h->in_bar = true;
                h->focus_since_ms = 0;
                preroll_cancel(app, "the focus moved on");
                bool known = false;
                for (size_t i = 0; i < n; i++)
                    known |= items[i] == h->bar_focus;
                if (!known)
                    h->bar_focus = items[0];
            }
            return true;
        }
        /* fall through */
    case INPUT_DOWN:
    case INPUT_LEFT:
    case INPUT_RIGHT: {
        /* A held key (the input's own repeat) goes faster the longer it is held: along a shelf,
         * 1 card for the first 3 repeats, then 2 a repeat, then 3 from the 10th. */
        h->repeat_run = repeat ? h->repeat_run + 1 : 0;
        bool along = action == INPUT_LEFT || action == INPUT_RIGHT;
        int steps = !along || h->repeat_run < 4 ? 1 : h->repeat_run < 10 ? 2 : 3;
        size_t row = h->grid.row, col = h->grid.col;
        move_focus(h,
                   action == INPUT_UP     ? -1
                   : action == INPUT_DOWN ? 1
                                          : 0,
                   action == INPUT_LEFT    ? -1
                   : action == INPUT_RIGHT ? 1
                                           : 0,
                   steps, repeat);
        if (row != h->grid.row || col != h->grid.col)
            preroll_cancel(app, "the focus moved on");
        return true;
    }
    case INPUT_OK:
    case INPUT_PLAY_PAUSE: {
        /* OK: the series page; PLAY plays the card at once (where the viewer is in it). */
        const struct catalog_item *item = focused_item(h);
        if (item && action == INPUT_OK)
            home_open_series(app, item);
        else if (item)
            home_play_series(app, item);
        return true;
    }
    case INPUT_MENU:
        app_push(app, &screen_activate, NULL);
        return true;
    default:
        return false; /* BACK: the app asks before exiting */
    }
}

static void home_response(struct app *app, struct screen *s, struct net_response *r)
{
    if (r->kind == APP_REQ_HOME)
        on_home(app, s->state, r);
}

static void home_resend(struct app *app, struct screen *s, int kind)
{
    if (kind == APP_REQ_HOME)
        request(app, s);
}

static int64_t home_tick(struct app *app, struct screen *s, int64_t now)
{
    struct home_screen *h = s->state;
    int64_t next = -1;
    if (h->refresh_at_ms) {
        /* The position saved on the way out first: it may still be on its way to the disk (only
         * durable positions are sent) or to the server. */
        bool progress_out =
            app->progress_req || (app->store && store_progress_count(app->store) > 0);
        if (progress_out && now < h->refresh_at_ms) {
            next = h->refresh_at_ms;
        } else {
            h->refresh_at_ms = 0;
            if (!h->req && app->token) {
                log_info("home: refreshing after the player");
                request(app, s);
            }
        }
    }
    if (h->focus_since_ms && !h->in_bar && h->state == APP_HOME_READY && app_top(app) == s) {
        const struct catalog_item *item = focused_item(h);
        if (!item) {
            h->focus_since_ms = 0;
        } else if (now - h->focus_since_ms >= HOME_PREROLL_DWELL_MS) {
            h->focus_since_ms = 0;
            preroll_start(app, item->series_id, item->episode_id ? item->episode_index : 0);
        } else {
            next = next < 0 || h->focus_since_ms + HOME_PREROLL_DWELL_MS < next
                       ? h->focus_since_ms + HOME_PREROLL_DWELL_MS
                       : next;
        }
    }
    if (h->anim_start_ms) {
        /* Sliding: a frame at the display's rate until it rests, then nothing is drawn. */
        app->dirty = true;
        if (now - h->anim_start_ms >= h->anim_ms) {
            h->anim_start_ms = 0;
        } else {
            int64_t f = now + h->frame_ms;
            if (next < 0 || f < next)
                next = f;
        }
    }
    if (h->state != APP_HOME_READY) {
        int64_t a = app_animate(app, now);
        if (next < 0 || a < next)
            next = a;
    }
    return next;
}

static void home_render(struct app *app, struct screen *s, int64_t now)
{
    struct home_screen *h = s->state;
    char detail[448];
    const char *title = h->title[0] ? h->title : NULL;
    const char *det = h->detail[0] ? h->detail : NULL;
    if (h->state == APP_HOME_LOADING && !title)
        title = _("Loading");
    if (app->retry_at_ms && title) {
        int64_t left = (app->retry_at_ms - now + 999) / 1000;
        char retry[96];
        snprintf(retry, sizeof(retry), _("Retrying in %lld s"), (long long)(left > 0 ? left : 0));
        snprintf(detail, sizeof(detail), "%s%s%s", det ? det : "", det ? " - " : "", retry);
        det = detail;
    }
    char header[256] = "", coins[64], link[160];
    snprintf(coins, sizeof(coins), P_("%lld coin", "%lld coins", session_balance(app)),
             (long long)session_balance(app));
    snprintf(link, sizeof(link), "  -  %s", _("MENU: link your account"));
    if (app->wallet)
        snprintf(header, sizeof(header), "%s%s%s", coins, app->wallet->vip_active ? "  -  VIP" : "",
                 app->account_name ? "" : link);
    for (size_t i = 0; h->home && i < h->grid.n_rows; i++)
        h->focus_item[i] = ui_grid_col_of(&h->grid, i);
    size_t items[BAR_MAX], n_bar = bar_present(items);
    const char *labels[UI_HOME_BAR_MAX];
    size_t bar_focus = 0;
    for (size_t i = 0; i < n_bar && i < UI_HOME_BAR_MAX; i++) {
        labels[i] = _(bar_items[items[i]].label);
        if (items[i] == h->bar_focus)
            bar_focus = i;
    }
    struct ui_home_view v = {
        .bar = labels,
        .n_bar = n_bar < UI_HOME_BAR_MAX ? n_bar : UI_HOME_BAR_MAX,
        .bar_focused = h->in_bar,
        .bar_focus = bar_focus,
        .header_right = header[0] ? header : NULL,
        .home = h->home,
        .focus_shelf = h->grid.row,
        .focus_item = h->focus_item,
        .status_title = title,
        .status_detail = det,
        .busy = h->state != APP_HOME_READY,
        .status_is_error = h->state == APP_HOME_ERROR || h->title[0],
        .now_ms = now,
        .hero = focused_item(h),
        .from_shelf = h->anim_start_ms ? h->from_row : h->grid.row,
        .from_item = h->anim_start_ms ? h->from_col : h->grid.col,
        .anim = anim_progress(h, now),
    };
    hero_meta(v.hero, h->meta, sizeof(h->meta));
    v.hero_meta = v.hero ? h->meta : NULL;
    ui_draw_home(app->ui, &v);
}

/* Cards on home whose poster is in state want (ready), or still on its way (pending). */
static int64_t count_posters(struct app *app, const struct catalog_home *home, bool pending)
{
    int64_t n = 0;
    for (size_t s = 0; home && s < home->n_shelves; s++) {
        for (size_t i = 0; i < home->shelves[s].n_items; i++) {
            const char *url = home->shelves[s].items[i].poster_url;
            if (!url)
                continue;
            enum ui_image_state st = ui_image_state(app->ui, url);
            n +=
                pending ? (st == UI_IMAGE_UNKNOWN || st == UI_IMAGE_PENDING) : st == UI_IMAGE_READY;
        }
    }
    return n;
}

static void home_presented(struct app *app, struct screen *s)
{
    struct home_screen *h = s->state;
    if (h->interactive_at_ms || h->state != APP_HOME_READY || !h->home ||
        count_posters(app, h->home, true) > 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->interactive_at_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    log_info("home: interactive (%lld posters drawn%s)",
             (long long)count_posters(app, h->home, false),
             h->cached ? ", catalog from the cache" : "");
}

#define STR(x) (*v = (struct app_value){.type = APP_VALUE_STR, .s = (x)})
#define INT(x) (*v = (struct app_value){.type = APP_VALUE_INT, .i = (x)})
#define BOOL(x) (*v = (struct app_value){.type = APP_VALUE_BOOL, .b = (x)})

static bool home_state_value(struct app *app, struct screen *s, const char *path,
                             struct app_value *v)
{
    static const char *const states[] = {"loading", "ready", "error"};
    struct home_screen *h = s->state;
    if (strcmp(path, "home.state") == 0) {
        STR(states[h->state]);
    } else if (strcmp(path, "home.shelves") == 0) {
        INT(h->home ? (int64_t)h->home->n_shelves : 0);
    } else if (strcmp(path, "home.posters_ready") == 0) {
        INT(count_posters(app, h->home, false));
    } else if (strcmp(path, "home.posters_pending") == 0) {
        INT(count_posters(app, h->home, true));
    } else if (strcmp(path, "home.cached") == 0) {
        BOOL(h->cached);
    } else if (strcmp(path, "home.continue_items") == 0) {
        int64_t n = 0;
        for (size_t i = 0; h->home && i < h->home->n_shelves; i++)
            if (h->home->shelves[i].id && strcmp(h->home->shelves[i].id, "continue") == 0)
                n = (int64_t)h->home->shelves[i].n_items;
        INT(n);
    } else if (strcmp(path, "home.bar") == 0) {
        STR(h->in_bar ? bar_items[h->bar_focus].screen : NULL);
    } else if (strcmp(path, "home.hero.title") == 0) {
        const struct catalog_item *item = focused_item(h);
        STR(item ? item->title : NULL);
    } else if (strcmp(path, "home.hero.meta") == 0) {
        const struct catalog_item *item = focused_item(h);
        hero_meta(item, h->meta, sizeof(h->meta));
        STR(item ? h->meta : NULL);
    } else if (strcmp(path, "home.hero.genres") == 0) {
        const struct catalog_item *item = focused_item(h);
        INT(item ? (int64_t)item->n_genres : 0);
    } else if (strcmp(path, "home.hero.synopsis") == 0) {
        const struct catalog_item *item = focused_item(h);
        STR(item ? item->synopsis : NULL);
    } else if (strcmp(path, "home.focus.episode") == 0) {
        const struct catalog_item *item = focused_item(h);
        INT(item && item->episode_id ? item->episode_index : 0);
    } else if (strcmp(path, "home.focus.progress_pct") == 0) {
        const struct catalog_item *item = focused_item(h);
        INT(item && item->episode_id && item->duration_ms > 0
                ? (item->resume_ms >= item->duration_ms ? 100
                                                        : item->resume_ms * 100 / item->duration_ms)
                : -1);
    } else if (strcmp(path, "home.preroll.state") == 0) {
        STR(preroll_state(app));
    } else if (strcmp(path, "home.preroll.series_id") == 0) {
        STR(app->preroll.series_id);
    } else if (strcmp(path, "home.preroll.episode") == 0) {
        INT(app->preroll.index);
    } else if (strcmp(path, "home.preroll.started") == 0) {
        INT((int64_t)app->preroll.started);
    } else if (strcmp(path, "home.preroll.cancelled") == 0) {
        INT((int64_t)app->preroll.cancelled);
    } else if (strcmp(path, "home.interactive_at_ms") == 0) {
        INT(h->interactive_at_ms);
    } else if (strcmp(path, "home.animating") == 0) {
        BOOL(h->anim_start_ms != 0);
    } else if (strcmp(path, "focus.shelf") == 0) {
        INT((int64_t)h->grid.row);
    } else if (strcmp(path, "focus.item") == 0) {
        INT((int64_t)h->grid.col);
    } else if (strcmp(path, "focus.shelf_id") == 0) {
        STR(h->home && h->grid.row < h->home->n_shelves ? h->home->shelves[h->grid.row].id : NULL);
    } else if (strcmp(path, "focus.series_id") == 0) {
        const struct catalog_item *item = focused_item(h);
        STR(item ? item->series_id : NULL);
    } else if (strcmp(path, "focus.title") == 0) {
        const struct catalog_item *item = focused_item(h);
        STR(item ? item->title : NULL);
    } else {
        return false;
    }
    return true;
}

const struct screen_ops screen_home = {
    .name = "home",
    .state_size = sizeof(struct home_screen),
    .enter = home_enter,
    .leave = home_leave,
    .action = home_action,
    .response = home_response,
    .resend = home_resend,
    .tick = home_tick,
    .render = home_render,
    .presented = home_presented,
    .state = home_state_value,
};
