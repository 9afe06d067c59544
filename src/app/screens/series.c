/* The series page: what the series is (title, genres, synopsis, episode count, free episodes,
 * runtime, the price of a locked episode, the poster behind), a primary button that plays or
 * continues it, "My list", and the episode grid in ranges of UI_SERIES_RANGE with range tabs.
 * OK on an episode opens the player on it; a locked one meets the paywall there (the player
 * asks for the play grant, gets 402, and plays the episode once it is unlocked). Digit keys jump
 * to an episode ("3" then "7" within a second: episode 37).
 *
 * Pushed by home with the card (struct series_screen_args); BACK pops back to home, whose focus
 * never moved. Coming back from the player, the series is asked again (with its ETag): the
 * resume and the unlocks changed.
 *
 * Threading: UI thread only. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../app_internal.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("app");

#define DIGIT_WINDOW_MS 1000 /* a second digit within this joins the first: "3", "7" -> 37 */

enum series_zone {
    ZONE_BUTTONS = 0, /* the primary button, then My list */
    ZONE_TABS = 1,
    ZONE_GRID = 2,
};

struct series_screen {
    char *id;
    char *title;
    char *poster_url;
    /* The card's "continue watching" episode, used until the series (and its resume) is in. */
    int card_episode;
    struct catalog_series *series; /* NULL while loading */
    uint64_t req;
    uint64_t mylist_req;
    bool mylist_want; /* what the request in flight asks for */
    bool in_mylist;
    char status[256]; /* an error line, "" for none */
    enum series_zone zone;
    size_t button; /* 0: primary, 1: My list */
    size_t range;  /* the range tab shown */
    size_t cell;   /* the focused episode's position in series->episodes */
    int digits;    /* the number typed so far, 0 = none */
    int64_t digit_at_ms;
    char primary[128];
    int64_t refresh_at_ms; /* back from the player: ask again once the position is sent */
    int *progress_pct;     /* per episode position: 0..100, -1 for none known */
    bool fresh; /* the server answered (200 or 304) since the page opened or came back on top */
};

static size_t n_ranges(const struct series_screen *p)
{
    size_t n = p->series ? p->series->n_episodes : 0;
    return (n + UI_SERIES_RANGE - 1) / UI_SERIES_RANGE;
}

static void request_series(struct app *app, struct screen *s)
{
    struct series_screen *p = s->state;
    char *path = NET_PATH("v1", "series", p->id), key[200];
    if (!path)
        return;
    app_cache_key(app, "series", p->id, key, sizeof(key));
    char *etag = p->series ? app_cache_etag(app, key) : NULL;
    net_cancel(app->net, p->req);
    p->req = screen_request(app, s, APP_REQ_SERIES, NET_GET, path, NULL, 0, etag);
    free(path);
    free(etag);
}

/* What the primary button says, from the series' resume (docs/api.md: the episode the viewer is
 * on at its position, or the next one at 0 once theirs was finished). */
static void update_primary(struct series_screen *p)
{
    const struct catalog_series *se = p->series;
    if (se && se->resume_index > 0 && catalog_series_episode(se, se->resume_index)) {
        if (se->resume_ms > 0) {
            int64_t sec = se->resume_ms / 1000;
            snprintf(p->primary, sizeof(p->primary), _("Continue EP %d (%lld:%02lld)"),
                     se->resume_index, (long long)(sec / 60), (long long)(sec % 60));
        } else {
            snprintf(p->primary, sizeof(p->primary), _("Watch EP %d"), se->resume_index);
        }
    } else if (!se && p->card_episode > 0) {
        snprintf(p->primary, sizeof(p->primary), _("Continue EP %d"), p->card_episode);
    } else {
        snprintf(p->primary, sizeof(p->primary), _("Play EP %d"),
                 se && se->n_episodes ? se->episodes[0].index : 1);
    }
}

/* Watched progress, as the server tells it for each episode (docs/api.md): 100 for a watched
 * one, 1..99 for one part-way, -1 for none. A document without the per-episode fields (an older
 * server, an old saved copy) still shows the resume episode's. */
static void update_progress(struct series_screen *p)
{
    free(p->progress_pct);
    p->progress_pct = NULL;
    const struct catalog_series *se = p->series;
    if (!se || !se->n_episodes)
        return;
    p->progress_pct = malloc(se->n_episodes * sizeof(*p->progress_pct));
    if (!p->progress_pct)
        return;
    for (size_t i = 0; i < se->n_episodes; i++) {
        const struct catalog_episode *ep = &se->episodes[i];
        int64_t pos = ep->position_ms;
        if (!pos && se->resume_index > 0 && ep->index == se->resume_index)
            pos = se->resume_ms;
        int pct = -1;
        if (ep->watched) {
            pct = 100;
        } else if (pos > 0) {
            int64_t dur = (int64_t)ep->duration_s * 1000;
            pct = dur > 0 ? (int)(pos * 100 / dur) : 1;
            pct = pct > 99 ? 99 : pct < 1 ? 1 : pct;
        }
        p->progress_pct[i] = pct;
    }
}

static void focus_cell(struct series_screen *p, size_t cell)
{
    p->cell = cell;
    p->range = cell / UI_SERIES_RANGE;
    p->zone = ZONE_GRID;
}

static void set_series(struct series_screen *p, struct catalog_series *se)
{
    catalog_series_free(p->series);
    p->series = se;
    p->in_mylist = se->in_mylist;
    if (p->cell >= se->n_episodes)
        p->cell = se->n_episodes ? se->n_episodes - 1 : 0;
    if (p->range >= n_ranges(p))
        p->range = 0;
    if (p->zone != ZONE_BUTTONS && !se->n_episodes)
        p->zone = ZONE_BUTTONS;
    update_primary(p);
    update_progress(p);
}

static void on_series(struct app *app, struct screen *s, struct net_response *r)
{
    struct series_screen *p = s->state;
    p->req = 0;
    char err[CATALOG_ERR_LEN] = "", key[200];
    struct catalog_series *se = NULL;
    app_cache_key(app, "series", p->id, key, sizeof(key));
    if (!r->error && r->status == 304 && p->series) {
        p->status[0] = '\0';
        p->fresh = true;
        return;
    }
    if (!r->error && r->status == 200 && catalog_parse_series(r->body, r->len, &se, err) == 0) {
        if (app->store)
            store_cache_put(app->store, key, r->etag, r->body, r->len);
        set_series(p, se);
        p->status[0] = '\0';
        p->fresh = true;
        log_info("series %s: %zu episodes", p->id, se->n_episodes);
        return;
    }
    /* No answer, or a bad one: the saved copy stands in when there is one. */
    char *body = NULL, *etag = NULL, cerr[CATALOG_ERR_LEN];
    size_t len = 0;
    if (!p->series && app_cache_load(app, key, &body, &len, &etag) == 0 &&
        catalog_parse_series(body, len, &se, cerr) == 0)
        set_series(p, se);
    free(body);
    free(etag);
    char tech[512];
    if (err[0]) {
        snprintf(p->status, sizeof(p->status), "%s",
                 _("The server sent a bad series. Please try again."));
        snprintf(tech, sizeof(tech), "bad JSON: %s", err);
    } else {
        app_failure_text(r, NULL, p->status, sizeof(p->status), tech, sizeof(tech));
    }
    log_error("series %s: %s", p->id, tech);
    app_set_error_tech(app, "%s", tech);
}

static void send_mylist(struct app *app, struct screen *s, bool want)
{
    struct series_screen *p = s->state;
    if (!app->token) {
        snprintf(p->status, sizeof(p->status), "%s",
                 _("Signing in. Please try again in a moment."));
        return;
    }
    char *path = NET_PATH("v1", "mylist", p->id);
    if (!path)
        return;
    net_cancel(app->net, p->mylist_req);
    p->mylist_want = want;
    p->mylist_req =
        screen_request(app, s, APP_REQ_MYLIST, want ? NET_PUT : NET_DELETE, path, NULL, 0, NULL);
    free(path);
}

static void on_mylist(struct app *app, struct screen *s, struct net_response *r)
{
    struct series_screen *p = s->state;
    p->mylist_req = 0;
    if (!r->error && r->status == 200) {
        p->in_mylist = p->mylist_want;
        p->status[0] = '\0';
        app_toast(app, "%s", p->in_mylist ? _("Added to My list") : _("Removed from My list"));
        home_refresh_soon(app); /* the "My list" shelf */
        return;
    }
    char tech[512];
    if (!r->error && r->status == 409)
        snprintf(p->status, sizeof(p->status), "%s",
                 _("My list is full. Remove a series from it first."));
    else
        app_failure_text(r, NULL, p->status, sizeof(p->status), tech, sizeof(tech));
    app_failure_tech(r, tech, sizeof(tech));
    log_warn("my list: %s", tech);
}

/* Opens the player on episode index (0: where the viewer is, as home's card did). */
static void play(struct app *app, struct series_screen *p, int index)
{
    struct catalog_item item = {
        .series_id = p->id,
        .title = p->series ? p->series->title : p->title,
        .poster_url = p->poster_url,
    };
    const struct catalog_episode *ep = p->series ? catalog_series_episode(p->series, index) : NULL;
    if (ep) {
        item.episode_id = ep->id;
        item.episode_index = ep->index;
    } else if (index > 0) {
        item.episode_id = "";
        item.episode_index = index;
    }
    struct player_screen_args a = {.item = &item};
    app_push(app, &screen_player, &a);
}

static void press_primary(struct app *app, struct series_screen *p)
{
    const struct catalog_series *se = p->series;
    if (se && se->resume_index > 0)
        play(app, p, se->resume_index);
    else if (se && se->n_episodes)
        play(app, p, se->episodes[0].index);
    else
        play(app, p, p->card_episode); /* not loaded yet: what home's OK did */
}

static void digit(struct series_screen *p, int d, int64_t now)
{
    const struct catalog_series *se = p->series;
    if (!se || !se->n_episodes)
        return;
    int max = se->episodes[se->n_episodes - 1].index;
    int v = d;
    if (p->digits > 0 && now - p->digit_at_ms <= DIGIT_WINDOW_MS && p->digits * 10 + d <= max)
        v = p->digits * 10 + d;
    p->digits = v;
    p->digit_at_ms = now;
    for (size_t i = 0; i < se->n_episodes; i++) {
        if (se->episodes[i].index == v) {
            focus_cell(p, i);
            return;
        }
    }
}

static void move_grid(struct series_screen *p, int drow, int dcol)
{
    size_t n = p->series->n_episodes;
    size_t start = p->range * UI_SERIES_RANGE;
    size_t pos = p->cell - start, row = pos / UI_SERIES_COLS, col = pos % UI_SERIES_COLS;
    if (dcol) {
        /* Text order across rows and ranges: the tab follows the focus. */
        if (dcol < 0 && p->cell > 0)
            focus_cell(p, p->cell - 1);
        else if (dcol > 0 && p->cell + 1 < n)
            focus_cell(p, p->cell + 1);
        return;
    }
    if (drow < 0) {
        if (row == 0)
            p->zone = ZONE_TABS;
        else
            focus_cell(p, p->cell - UI_SERIES_COLS);
        return;
    }
    size_t next = p->cell + UI_SERIES_COLS;
    if (next < n) {
        focus_cell(p, next);
    } else if ((row + 1) * UI_SERIES_COLS + start < n && col > 0) {
        focus_cell(p, n - 1); /* a short last row: its last cell */
    }
}

static bool series_action(struct app *app, struct screen *s, enum input_action action, bool repeat)
{
    (void)repeat;
    struct series_screen *p = s->state;
    size_t ranges = n_ranges(p);
    if (action >= INPUT_DIGIT_0 && action <= INPUT_DIGIT_9) {
        digit(p, (int)(action - INPUT_DIGIT_0), util_now_ms());
        return true;
    }
    p->digits = 0; /* any other key ends the number being typed */
    switch (action) {
    case INPUT_UP:
        if (p->zone == ZONE_TABS)
            p->zone = ZONE_BUTTONS;
        else if (p->zone == ZONE_GRID)
            move_grid(p, -1, 0);
        return true;
    case INPUT_DOWN:
        if (p->zone == ZONE_BUTTONS && ranges)
            p->zone = ZONE_TABS;
        else if (p->zone == ZONE_TABS && ranges) {
            /* Into the range shown: the focused episode when it is in it, else its first. */
            if (p->cell / UI_SERIES_RANGE != p->range)
                p->cell = p->range * UI_SERIES_RANGE;
            p->zone = ZONE_GRID;
        } else if (p->zone == ZONE_GRID)
            move_grid(p, 1, 0);
        return true;
    case INPUT_LEFT:
    case INPUT_RIGHT: {
        int d = action == INPUT_LEFT ? -1 : 1;
        if (p->zone == ZONE_BUTTONS)
            p->button = d < 0 ? 0 : 1;
        else if (p->zone == ZONE_TABS) {
            if ((d < 0 && p->range > 0) || (d > 0 && p->range + 1 < ranges))
                p->range += (size_t)(ptrdiff_t)d;
        } else
            move_grid(p, 0, d);
        return true;
    }
    case INPUT_OK:
        if (p->zone == ZONE_BUTTONS && p->button == 1) {
            if (!p->mylist_req)
                send_mylist(app, s, !p->in_mylist);
        } else if (p->zone == ZONE_BUTTONS) {
            press_primary(app, p);
        } else if (p->zone == ZONE_TABS) {
            if (p->cell / UI_SERIES_RANGE != p->range)
                p->cell = p->range * UI_SERIES_RANGE;
            p->zone = ZONE_GRID;
        } else if (p->series && p->cell < p->series->n_episodes) {
            play(app, p, p->series->episodes[p->cell].index);
        }
        return true;
    case INPUT_PLAY_PAUSE:
        press_primary(app, p);
        return true;
    case INPUT_GREEN: /* the remote's My list key: what the My list button does */
        if (p->series && !p->mylist_req)
            send_mylist(app, s, !p->in_mylist);
        return true;
    case INPUT_CHANNEL_UP:
    case INPUT_CHANNEL_DOWN: {
        /* A page of the grid: the next (later episodes) or previous range, as in the player
         * CHANNEL_UP is the next episode. */
        int d = action == INPUT_CHANNEL_UP ? 1 : -1;
        if ((d < 0 && p->range > 0) || (d > 0 && p->range + 1 < ranges)) {
            p->range += (size_t)(ptrdiff_t)d;
            if (p->zone == ZONE_GRID)
                p->cell = p->range * UI_SERIES_RANGE;
        }
        return true;
    }
    default:
        return false; /* BACK: popped, home is as it was */
    }
}

static int series_enter(struct app *app, struct screen *s, const void *arg)
{
    struct series_screen *p = s->state;
    const struct series_screen_args *a = arg;
    if (!a || !a->series_id || !a->series_id[0])
        return BINGE_EINVAL;
    p->id = util_strdup(a->series_id);
    p->title = util_strdup(a->title ? a->title : "");
    p->poster_url = a->poster_url ? util_strdup(a->poster_url) : NULL;
    if (!p->id || !p->title || (a->poster_url && !p->poster_url)) {
        free(p->id);
        free(p->title);
        free(p->poster_url);
        return BINGE_ENOMEM;
    }
    p->card_episode = a->episode_index;
    p->zone = ZONE_BUTTONS;
    update_primary(p);
    /* The saved copy at once (offline first), a fresh one asked for with its ETag. */
    char key[200], *body = NULL, *etag = NULL, err[CATALOG_ERR_LEN];
    size_t len = 0;
    struct catalog_series *se = NULL;
    app_cache_key(app, "series", p->id, key, sizeof(key));
    if (app_cache_load(app, key, &body, &len, &etag) == 0 &&
        catalog_parse_series(body, len, &se, err) == 0)
        set_series(p, se);
    free(body);
    free(etag);
    if (app->token)
        request_series(app, s);
    else
        screen_resend_later(app, s, APP_REQ_SERIES);
    log_info("series page %s", p->id);
    return 0;
}

static void series_leave(struct app *app, struct screen *s)
{
    struct series_screen *p = s->state;
    net_cancel(app->net, p->req);
    net_cancel(app->net, p->mylist_req);
    catalog_series_free(p->series);
    free(p->id);
    free(p->title);
    free(p->poster_url);
    free(p->progress_pct);
    ui_series_release(app->ui); /* its page layer: 8 MiB at 1080p */
}

static void series_resume(struct app *app, struct screen *s)
{
    /* Back from the player or the paywall: the resume and the unlocks changed. The position
     * saved on the way out goes to the server first (as home does, see home_refresh_soon). */
    struct series_screen *p = s->state;
    p->refresh_at_ms = util_now_ms() + APP_HOME_REFRESH_WAIT_MS;
    p->fresh = false;
}

static void series_response(struct app *app, struct screen *s, struct net_response *r)
{
    if (r->kind == APP_REQ_SERIES)
        on_series(app, s, r);
    else if (r->kind == APP_REQ_MYLIST)
        on_mylist(app, s, r);
}

static void series_resend(struct app *app, struct screen *s, int kind)
{
    if (kind == APP_REQ_SERIES)
        request_series(app, s);
}

static int64_t series_tick(struct app *app, struct screen *s, int64_t now)
{
    struct series_screen *p = s->state;
    int64_t next = -1;
    /* The poster of a series not on home (opened from search): loaded as home's are. */
    const char *poster = p->series && p->series->poster_url ? p->series->poster_url : p->poster_url;
    if (poster) {
        struct catalog_item card = {
            .series_id = p->id, .title = p->title, .poster_url = (char *)poster};
        posters_want(app, &card, 1);
    }
    if (p->refresh_at_ms) {
        bool progress_out =
            app->progress_req || (app->store && store_progress_count(app->store) > 0);
        if (progress_out && now < p->refresh_at_ms) {
            next = p->refresh_at_ms;
        } else {
            p->refresh_at_ms = 0;
            if (app->token)
                request_series(app, s);
        }
    }
    if (!p->series && !p->status[0]) {
        int64_t a = app_animate(app, now);
        if (next < 0 || a < next)
            next = a;
    }
    return next;
}

static void series_render(struct app *app, struct screen *s, int64_t now)
{
    struct series_screen *p = s->state;
    char mylist[96];
    snprintf(mylist, sizeof(mylist), "%s", p->in_mylist ? _("In My list") : _("+ My list"));
    struct ui_series_view v = {
        .title = p->series ? p->series->title : p->title,
        .poster_url = p->series && p->series->poster_url ? p->series->poster_url : p->poster_url,
        .series = p->series,
        .primary = p->primary,
        .mylist = mylist,
        .in_mylist = p->in_mylist,
        .zone = (int)p->zone,
        .button = p->button,
        .range = p->range,
        .cell = p->cell,
        .progress_pct = p->progress_pct,
        .status = p->status[0] ? p->status : NULL,
        .busy = !p->series && !p->status[0],
        .now_ms = now,
    };
    ui_draw_series(app->ui, &v);
}

#define STR(x) (*v = (struct app_value){.type = APP_VALUE_STR, .s = (x)})
#define INT(x) (*v = (struct app_value){.type = APP_VALUE_INT, .i = (x)})
#define BOOL(x) (*v = (struct app_value){.type = APP_VALUE_BOOL, .b = (x)})

static bool series_state_value(struct app *app, struct screen *s, const char *path,
                               struct app_value *v)
{
    (void)app;
    struct series_screen *p = s->state;
    static char range[32];
    if (strcmp(path, "series.id") == 0) {
        STR(p->id);
    } else if (strcmp(path, "series.state") == 0) {
        STR(p->series ? "ready" : p->status[0] ? "error" : "loading");
    } else if (strcmp(path, "series.episodes") == 0) {
        INT(p->series ? (int64_t)p->series->n_episodes : 0);
    } else if (strcmp(path, "series.range") == 0) {
        if (p->series && p->series->n_episodes) {
            const struct catalog_series *se = p->series;
            size_t first = p->range * UI_SERIES_RANGE, last = first + UI_SERIES_RANGE - 1;
            if (last >= se->n_episodes)
                last = se->n_episodes - 1;
            snprintf(range, sizeof(range), "%d-%d", se->episodes[first].index,
                     se->episodes[last].index);
            STR(range);
        } else {
            STR(NULL);
        }
    } else if (strcmp(path, "series.focus_episode") == 0) {
        if (p->zone == ZONE_GRID && p->series && p->cell < p->series->n_episodes)
            INT(p->series->episodes[p->cell].index);
        else
            STR(NULL);
    } else if (strcmp(path, "series.focus") == 0) {
        STR(p->zone == ZONE_GRID   ? "grid"
            : p->zone == ZONE_TABS ? "tabs"
            : p->button            ? "mylist"
                                   : "play");
    } else if (strcmp(path, "series.button") == 0) {
        STR(p->primary);
    } else if (strcmp(path, "series.in_mylist") == 0) {
        BOOL(p->in_mylist);
    } else if (strcmp(path, "series.fresh") == 0) {
        BOOL(p->fresh);
    } else if (strcmp(path, "series.watched") == 0) {
        int64_t n = 0;
        for (size_t i = 0; p->progress_pct && i < p->series->n_episodes; i++)
            n += p->progress_pct[i] >= 100;
        INT(n);
    } else if (strcmp(path, "series.progress") == 0) {
        /* "index:percent" of each episode with progress, in order ("1:100 2:16"). */
        static char list[1024];
        size_t off = 0;
        list[0] = '\0';
        for (size_t i = 0; p->progress_pct && i < p->series->n_episodes; i++) {
            if (p->progress_pct[i] < 0 || off >= sizeof(list))
                continue;
            off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%d:%d", off ? " " : "",
                                    p->series->episodes[i].index, p->progress_pct[i]);
        }
        STR(list);
    } else {
        return false;
    }
    return true;
}

const struct screen_ops screen_series = {
    .name = "series",
    .state_size = sizeof(struct series_screen),
    .enter = series_enter,
    .leave = series_leave,
    .resume = series_resume,
    .action = series_action,
    .response = series_response,
    .resend = series_resend,
    .tick = series_tick,
    .render = series_render,
    .state = series_state_value,
};
