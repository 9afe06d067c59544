/* Search: an on-screen keyboard for the D-pad (a-z, 0-9, space, delete, clear) on the left,
 * the results as a grid of series on the right, updated while the viewer types (debounced:
 * GET /v1/search once the query has rested for SEARCH_DEBOUNCE_MS). With an empty query the
 * right side lists the recent searches (kept in the store), and OK on one searches it again.
 * Digit keys type digits wherever the focus is. OK on a result opens the series the way home
 * does (home_open_series) and keeps the query in the recent searches. BACK returns.
 *
 * Threading: UI thread only. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../app_internal.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("search");

#define SEARCH_DEBOUNCE_MS 300
#define SEARCH_QUERY_MAX 40 /* characters typed; the server takes up to 100 bytes */
#define SEARCH_LIMIT 20
#define SEARCH_RECENT_LIST "search.recent"
#define SEARCH_RECENT_MAX 8

/* The keyboard: six rows of six characters, then Space, Delete and Clear, each two columns
 * wide. */
#define KEY_COLS 6
#define KEY_CHAR_ROWS 6
#define KEY_ROWS (KEY_CHAR_ROWS + 1)
static const char key_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
enum { KEY_SPACE = 0, KEY_DELETE = 1, KEY_CLEAR = 2, KEY_ACTIONS = 3 };
static const char *const key_action_labels[KEY_ACTIONS] = {N_("Space"), N_("Delete"), N_("Clear")};

enum search_zone { ZONE_KEYS = 0, ZONE_RESULTS = 1, ZONE_RECENTS = 2 };
enum search_phase {
    PHASE_IDLE = 0,
    PHASE_WAITING = 1,
    PHASE_LOADING = 2,
    PHASE_READY = 3,
    PHASE_ERROR = 4
};

struct search_screen {
    char query[SEARCH_QUERY_MAX + 1];
    enum search_zone zone;
    struct ui_focus_grid keys;    /* KEY_ROWS rows */
    struct ui_focus_grid results; /* UI_SEARCH_COLS per row */
    size_t recent_focus;
    enum search_phase phase;
    int64_t due_ms;                         /* the debounced request is sent then; 0 = none */
    uint64_t req;                           /* the search in flight, 0 = none */
    char sent[SEARCH_QUERY_MAX + 1];        /* the query of req */
    struct catalog_search *found;           /* the last answer (NULL before one) */
    char found_query[SEARCH_QUERY_MAX + 1]; /* what it answered */
    char message[256];                      /* an error line, "" for none */
    char labels[KEY_ROWS * KEY_COLS][8];
};

/* The query without its blanks at both ends ("" when only blanks). */
static void trimmed(const char *q, char *out, size_t len)
{
    while (*q == ' ')
        q++;
    snprintf(out, len, "%s", q);
    size_t n = strlen(out);
    while (n && out[n - 1] == ' ')
        out[--n] = '\0';
}

static size_t recents(struct app *app, const char **out)
{
    return app->store ? store_recent_list(app->store, SEARCH_RECENT_LIST, out, SEARCH_RECENT_MAX)
                      : 0;
}

static void remember(struct app *app, const char *query)
{
    char t[SEARCH_QUERY_MAX + 1];
    trimmed(query, t, sizeof(t));
    if (t[0] && app->store &&
        store_recent_push(app->store, SEARCH_RECENT_LIST, t, SEARCH_RECENT_MAX) != 0)
        log_warn("the recent search was not saved");
}

static size_t n_results(const struct search_screen *ss)
{
    return ss->found ? ss->found->n_items : 0;
}

static void set_results_grid(struct search_screen *ss)
{
    size_t n = n_results(ss), rows = (n + UI_SEARCH_COLS - 1) / UI_SEARCH_COLS;
    size_t cols[UI_GRID_MAX_ROWS];
    if (rows > UI_GRID_MAX_ROWS)
        rows = UI_GRID_MAX_ROWS;
    for (size_t r = 0; r < rows; r++)
        cols[r] = r + 1 < rows || n % UI_SEARCH_COLS == 0 ? UI_SEARCH_COLS : n % UI_SEARCH_COLS;
    ui_grid_init(&ss->results, UI_GRID_SAME_COLUMN);
    ui_grid_set_rows(&ss->results, cols, rows);
}

static void send(struct app *app, struct screen *s)
{
    struct search_screen *ss = s->state;
    char t[SEARCH_QUERY_MAX + 1], enc[3 * SEARCH_QUERY_MAX + 1], path[256];
    trimmed(ss->query, t, sizeof(t));
    ss->due_ms = 0;
    if (!t[0])
        return;
    if (!app->token) {
        ss->phase = PHASE_WAITING;
        screen_resend_later(app, s, APP_REQ_SEARCH);
        return;
    }
    /* The keyboard types only [a-z0-9 ], so a space is all there is to escape. */
    size_t o = 0;
    for (const char *p = t; *p && o + 4 < sizeof(enc); p++) {
        if (isalnum((unsigned char)*p)) {
            enc[o++] = *p;
        } else {
            o += (size_t)snprintf(enc + o, sizeof(enc) - o, "%%%02X", (unsigned char)*p);
        }
    }
    enc[o] = '\0';
    snprintf(path, sizeof(path), "/v1/search?q=%s&limit=%d", enc, SEARCH_LIMIT);
    net_cancel(app->net, ss->req);
    snprintf(ss->sent, sizeof(ss->sent), "%s", t);
    ss->req = screen_request(app, s, APP_REQ_SEARCH, NET_GET, path, NULL, 0, NULL);
    ss->phase = ss->req ? PHASE_LOADING : PHASE_ERROR;
    if (!ss->req)
        snprintf(ss->message, sizeof(ss->message), "%s", _("Can't search right now."));
    log_debug("search \"%s\"", t);
}

/* The query changed: the results follow once it rests. */
static void query_changed(struct app *app, struct search_screen *ss)
{
    char t[SEARCH_QUERY_MAX + 1];
    trimmed(ss->query, t, sizeof(t));
    ss->message[0] = '\0';
    if (!t[0]) {
        /* Nothing to search: the recent searches show instead, and a search still on its way
         * is dropped (its answer would show under an empty query). */
        ss->due_ms = 0;
        net_cancel(app->net, ss->req);
        ss->req = 0;
        ss->phase = PHASE_IDLE;
        catalog_search_free(ss->found);
        ss->found = NULL;
        ss->found_query[0] = '\0';
        set_results_grid(ss);
        if (ss->zone == ZONE_RESULTS)
            ss->zone = ZONE_KEYS;
        return;
    }
    ss->due_ms = util_now_ms() + SEARCH_DEBOUNCE_MS;
    ss->phase = PHASE_WAITING;
}

static void type_char(struct app *app, struct search_screen *ss, char c)
{
    size_t n = strlen(ss->query);
    if (n >= SEARCH_QUERY_MAX || (c == ' ' && (n == 0 || ss->query[n - 1] == ' ')))
        return; /* no leading or double blanks: they search the same */
    ss->query[n] = c;
    ss->query[n + 1] = '\0';
    query_changed(app, ss);
}

static void press_key(struct app *app, struct search_screen *ss)
{
    size_t row = ss->keys.row, col = ss->keys.col;
    if (row < KEY_CHAR_ROWS) {
        type_char(app, ss, key_chars[row * KEY_COLS + col]);
        return;
    }
    size_t n = strlen(ss->query);
    switch (col) {
    case KEY_SPACE:
        type_char(app, ss, ' ');
        break;
    case KEY_DELETE:
        if (n) {
            ss->query[n - 1] = '\0';
            query_changed(app, ss);
        }
        break;
    default:
        if (n) {
            ss->query[0] = '\0';
            query_changed(app, ss);
        }
        break;
    }
}

/* The zone right of the keyboard, when it has something to focus. */
static bool enter_right(struct app *app, struct search_screen *ss)
{
    const char *r[SEARCH_RECENT_MAX];
    if (n_results(ss) && ss->found_query[0]) {
        ss->zone = ZONE_RESULTS;
        /* Level with the key row the focus comes from, as far as the grid goes. */
        ui_grid_focus(&ss->results, 0, 0);
        return true;
    }
    char t[SEARCH_QUERY_MAX + 1];
    trimmed(ss->query, t, sizeof(t));
    if (!t[0] && recents(app, r)) {
        ss->zone = ZONE_RECENTS;
        ss->recent_focus = 0;
        return true;
    }
    return false;
}

static void keys_move(struct app *app, struct search_screen *ss, enum input_action a)
{
    struct ui_focus_grid *g = &ss->keys;
    /* The action row's keys are two columns wide: map the column across it. */
    if (a == INPUT_DOWN && g->row == KEY_CHAR_ROWS - 1) {
        ui_grid_focus(g, KEY_CHAR_ROWS, g->col / 2);
    } else if (a == INPUT_UP && g->row == KEY_CHAR_ROWS) {
        ui_grid_focus(g, KEY_CHAR_ROWS - 1, g->col * 2);
    } else if (a == INPUT_RIGHT && g->col + 1 >= g->cols[g->row]) {
        enter_right(app, ss);
    } else {
        ui_grid_move(g,
                     a == INPUT_UP     ? -1
                     : a == INPUT_DOWN ? 1
                                       : 0,
                     a == INPUT_LEFT    ? -1
                     : a == INPUT_RIGHT ? 1
                                        : 0);
    }
}

static void open_result(struct app *app, struct search_screen *ss)
{
    size_t i = ss->results.row * UI_SEARCH_COLS + ss->results.col;
    if (!ss->found || i >= ss->found->n_items)
        return;
    remember(app, ss->found_query);
    log_info("search \"%s\": opening %s", ss->found_query, ss->found->items[i].series_id);
    home_open_series(app, &ss->found->items[i]);
}

static bool search_action(struct app *app, struct screen *s, enum input_action a, bool repeat)
{
    (void)repeat;
    struct search_screen *ss = s->state;
    if (a >= INPUT_DIGIT_0 && a <= INPUT_DIGIT_9) {
        type_char(app, ss, (char)('0' + (a - INPUT_DIGIT_0)));
        return true;
    }
    switch (ss->zone) {
    case ZONE_KEYS:
        if (a == INPUT_UP || a == INPUT_DOWN || a == INPUT_LEFT || a == INPUT_RIGHT) {
            keys_move(app, ss, a);
            return true;
        }
        if (a == INPUT_OK) {
            press_key(app, ss);
            return true;
        }
        break;
    case ZONE_RESULTS:
        if (a == INPUT_LEFT && ss->results.col == 0) {
            ss->zone = ZONE_KEYS; /* the key it left from: the grid remembers it */
            return true;
        }
        if (a == INPUT_UP || a == INPUT_DOWN || a == INPUT_LEFT || a == INPUT_RIGHT) {
            ui_grid_move(&ss->results,
                         a == INPUT_UP     ? -1
                         : a == INPUT_DOWN ? 1
                                           : 0,
                         a == INPUT_LEFT    ? -1
                         : a == INPUT_RIGHT ? 1
                                            : 0);
            return true;
        }
        if (a == INPUT_OK) {
            open_result(app, ss);
            return true;
        }
        break;
    case ZONE_RECENTS: {
        const char *r[SEARCH_RECENT_MAX];
        size_t n = recents(app, r);
        if (a == INPUT_LEFT || n == 0) {
            ss->zone = ZONE_KEYS;
            return a != INPUT_BACK;
        }
        if (a == INPUT_UP && ss->recent_focus > 0) {
            ss->recent_focus--;
            return true;
        }
        if (a == INPUT_DOWN && ss->recent_focus + 1 < n) {
            ss->recent_focus++;
            return true;
        }
        if (a == INPUT_UP || a == INPUT_DOWN || a == INPUT_RIGHT)
            return true;
        if (a == INPUT_OK && ss->recent_focus < n) {
            snprintf(ss->query, sizeof(ss->query), "%s", r[ss->recent_focus]);
            ss->zone = ZONE_KEYS;
            query_changed(app, ss);
            ss->due_ms = util_now_ms(); /* chosen, not typed: no need to wait */
            return true;
        }
        break;
    }
    }
    return false; /* BACK pops, HOME goes home */
}

static void on_search(struct app *app, struct search_screen *ss, struct net_response *r)
{
    ss->req = 0;
    char err[CATALOG_ERR_LEN] = "", tech[512];
    struct catalog_search *found = NULL;
    if (!r->error && r->status == 200 && catalog_parse_search(r->body, r->len, &found, err) == 0) {
        catalog_search_free(ss->found);
        ss->found = found;
        snprintf(ss->found_query, sizeof(ss->found_query), "%s", ss->sent);
        set_results_grid(ss);
        if (ss->zone == ZONE_RESULTS && !found->n_items)
            ss->zone = ZONE_KEYS;
        ss->message[0] = '\0';
        /* A newer query may be waiting for its turn. */
        if (ss->phase != PHASE_WAITING)
            ss->phase = PHASE_READY;
        log_info("search \"%s\": %zu result%s (%lld ms)", ss->sent, found->n_items,
                 found->n_items == 1 ? "" : "s", (long long)r->elapsed_ms);
        return;
    }
    app_failure_text(r, err, ss->message, sizeof(ss->message), tech, sizeof(tech));
    log_error("search \"%s\": %s", ss->sent, tech);
    if (ss->phase != PHASE_WAITING)
        ss->phase = PHASE_ERROR;
}

static int search_enter(struct app *app, struct screen *s, const void *arg)
{
    (void)app;
    (void)arg;
    struct search_screen *ss = s->state;
    size_t cols[KEY_ROWS];
    for (size_t r = 0; r < KEY_CHAR_ROWS; r++)
        cols[r] = KEY_COLS;
    cols[KEY_CHAR_ROWS] = KEY_ACTIONS;
    ui_grid_init(&ss->keys, UI_GRID_SAME_COLUMN); /* a keyboard: UP/DOWN keep the column */
    ui_grid_set_rows(&ss->keys, cols, KEY_ROWS);
    set_results_grid(ss);
    for (size_t i = 0; i < KEY_CHAR_ROWS * KEY_COLS; i++)
        snprintf(ss->labels[i], sizeof(ss->labels[i]), "%c", toupper((unsigned char)key_chars[i]));
    return 0;
}

static void search_leave(struct app *app, struct screen *s)
{
    struct search_screen *ss = s->state;
    net_cancel(app->net, ss->req);
    /* A search that found something is worth keeping even when nothing was opened. */
    if (n_results(ss))
        remember(app, ss->found_query);
    catalog_search_free(ss->found);
}

static void search_response(struct app *app, struct screen *s, struct net_response *r)
{
    struct search_screen *ss = s->state;
    if (r->kind == APP_REQ_SEARCH && r->id == ss->req)
        on_search(app, ss, r);
}

static void search_resend(struct app *app, struct screen *s, int kind)
{
    if (kind == APP_REQ_SEARCH)
        send(app, s);
}

static int64_t search_tick(struct app *app, struct screen *s, int64_t now)
{
    struct search_screen *ss = s->state;
    int64_t next = -1;
    if (ss->found)
        posters_want(app, ss->found->items, ss->found->n_items); /* a series not on home */
    if (ss->due_ms) {
        if (now >= ss->due_ms) {
            send(app, s);
            app->dirty = true;
        } else {
            next = ss->due_ms;
        }
    }
    if (ss->phase == PHASE_LOADING || ss->phase == PHASE_WAITING) {
        int64_t a = app_animate(app, now);
        if (next < 0 || a < next)
            next = a;
    }
    return next;
}

static void search_render(struct app *app, struct screen *s, int64_t now)
{
    struct search_screen *ss = s->state;
    const char *keys[KEY_ROWS * KEY_COLS];
    size_t row_len[KEY_ROWS];
    for (size_t r = 0; r < KEY_CHAR_ROWS; r++) {
        row_len[r] = KEY_COLS;
        for (size_t c = 0; c < KEY_COLS; c++)
            keys[r * KEY_COLS + c] = ss->labels[r * KEY_COLS + c];
    }
    row_len[KEY_CHAR_ROWS] = KEY_ACTIONS;
    for (size_t c = 0; c < KEY_ACTIONS; c++)
        keys[KEY_CHAR_ROWS * KEY_COLS + c] = _(key_action_labels[c]);

    char t[SEARCH_QUERY_MAX + 1], heading[320] = "";
    trimmed(ss->query, t, sizeof(t));
    const char *rec[SEARCH_RECENT_MAX];
    size_t n_rec = t[0] ? 0 : recents(app, rec);
    bool empty = ss->found && ss->found->n_items == 0 && ss->found_query[0];
    if (!t[0])
        snprintf(heading, sizeof(heading), "%s",
                 n_rec ? _("Recent searches") : _("Type to search"));
    else if (ss->message[0])
        snprintf(heading, sizeof(heading), "%s", ss->message);
    else if (empty)
        snprintf(heading, sizeof(heading), _("No results for \u201c%s\u201d"), ss->found_query);
    else if (ss->found_query[0])
        snprintf(heading, sizeof(heading), _("Results for \u201c%s\u201d"), ss->found_query);
    struct ui_search_view v = {
        .query = ss->query,
        .keys = keys,
        .key_cols = KEY_COLS,
        .row_len = row_len,
        .n_rows = KEY_ROWS,
        .keys_focused = ss->zone == ZONE_KEYS,
        .key_row = ss->keys.row,
        .key_col = ss->keys.col,
        .heading = heading[0] ? heading : NULL,
        .heading_is_error = ss->message[0] != '\0',
        .results = t[0] && ss->found ? ss->found->items : NULL,
        .n_results = t[0] && ss->found ? ss->found->n_items : 0,
        .results_focused = ss->zone == ZONE_RESULTS,
        .result_focus = ss->results.row * UI_SEARCH_COLS + ss->results.col,
        .recents = rec,
        .n_recents = n_rec,
        .recents_focused = ss->zone == ZONE_RECENTS,
        .recent_focus = ss->recent_focus,
        .busy = ss->phase == PHASE_LOADING || ss->phase == PHASE_WAITING,
        .now_ms = now,
    };
    ui_draw_search(app->ui, &v);
}

static bool search_state(struct app *app, struct screen *s, const char *path, struct app_value *v)
{
    static const char *const phases[] = {"idle", "waiting", "loading", "ready", "error"};
    struct search_screen *ss = s->state;
    static char focus[32];
    if (strcmp(path, "search.query") == 0) {
        *v = (struct app_value){.type = APP_VALUE_STR, .s = ss->query};
    } else if (strcmp(path, "search.results") == 0) {
        *v = (struct app_value){.type = APP_VALUE_INT, .i = (int64_t)n_results(ss)};
    } else if (strcmp(path, "search.results_for") == 0) {
        *v = (struct app_value){.type = APP_VALUE_STR, .s = ss->found ? ss->found_query : NULL};
    } else if (strcmp(path, "search.state") == 0) {
        *v = (struct app_value){.type = APP_VALUE_STR, .s = phases[ss->phase]};
    } else if (strcmp(path, "search.recent") == 0) {
        const char *r[SEARCH_RECENT_MAX];
        *v = (struct app_value){.type = APP_VALUE_INT, .i = (int64_t)recents(app, r)};
    } else if (strcmp(path, "search.focus") == 0) {
        if (ss->zone == ZONE_RESULTS) {
            snprintf(focus, sizeof(focus), "result:%zu",
                     ss->results.row * UI_SEARCH_COLS + ss->results.col);
        } else if (ss->zone == ZONE_RECENTS) {
            snprintf(focus, sizeof(focus), "recent:%zu", ss->recent_focus);
        } else if (ss->keys.row < KEY_CHAR_ROWS) {
            snprintf(focus, sizeof(focus), "key:%c",
                     key_chars[ss->keys.row * KEY_COLS + ss->keys.col]);
        } else {
            snprintf(focus, sizeof(focus), "key:%s",
                     ss->keys.col == KEY_SPACE    ? "space"
                     : ss->keys.col == KEY_DELETE ? "delete"
                                                  : "clear");
        }
        *v = (struct app_value){.type = APP_VALUE_STR, .s = focus};
    } else {
        return false;
    }
    return true;
}

const struct screen_ops screen_search = {
    .name = "search",
    .state_size = sizeof(struct search_screen),
    .enter = search_enter,
    .leave = search_leave,
    .action = search_action,
    .response = search_response,
    .resend = search_resend,
    .tick = search_tick,
    .render = search_render,
    .state = search_state,
};
