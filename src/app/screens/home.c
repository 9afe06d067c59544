/* Home: the catalog's shelves (fetched, cached for offline, installed keeping the focus), moving
 * the focus, and coming back from the player with the home refresh that follows.
 *
 * Threading: UI thread only. */

#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("app");

void home_request(struct app *app)
{
    app->home_req = app_request(app, APP_REQ_HOME, NET_GET, "/v1/home", NULL, 0, app->home_etag);
}

static void home_cache_key(const struct app *app, char *buf, size_t len)
{
    app_cache_key(app, "home", NULL, buf, len);
}

/* Installs a parsed home, keeping the focus when the shelves are the same. */
static bool set_home(struct app *app, struct catalog_home *home, const char *etag)
{
    if (home->n_dropped)
        log_warn("home: left out %zu item%s with a bad field; the first: %s", home->n_dropped,
                 home->n_dropped == 1 ? "" : "s", home->dropped);
    size_t *focus = calloc(home->n_shelves ? home->n_shelves : 1, sizeof(*focus));
    if (!focus) {
        catalog_home_free(home);
        return false;
    }
    if (app->home && app->home->n_shelves == home->n_shelves) {
        for (size_t i = 0; i < home->n_shelves; i++)
            focus[i] = app->focus_item[i] < home->shelves[i].n_items ? app->focus_item[i] : 0;
    } else {
        app->focus_shelf = 0;
    }
    catalog_home_free(app->home);
    free(app->focus_item);
    app->home = home;
    app->home_gen++; /* the posters are looked at again */
    app->focus_item = focus;
    app_replace_str(&app->home_etag, etag);
    app->home_state = APP_HOME_READY;
    return true;
}

/* Offline first: the last home we saw, shown at once while a fresh one is fetched. */
void home_load_cached(struct app *app)
{
    char key[64], *etag = NULL, *body = NULL, err[CATALOG_ERR_LEN];
    size_t len = 0;
    int64_t at = 0;
    struct catalog_home *home = NULL;
    home_cache_key(app, key, sizeof(key));
    if (!app->store || store_cache_get(app->store, key, &etag, &body, &len, &at) != 0)
        return;
    if (catalog_parse_home(body, len, &home, err) == 0 && set_home(app, home, etag)) {
        app->home_cached = true;
        log_info("home: %zu shelves from the cache", app->home->n_shelves);
    } else {
        log_warn("cached home is unusable (%s); dropping it", err);
        store_cache_remove(app->store, key);
    }
    free(etag);
    free(body);
}

void home_on_response(struct app *app, struct net_response *r)
{
    app->home_req = 0;
    char err[CATALOG_ERR_LEN] = "", key[64];
    struct catalog_home *home = NULL;
    home_cache_key(app, key, sizeof(key));
    if (!r->error && r->status == 304 && app->home) {
        if (app->store)
            store_cache_touch(app->store, key);
        if (app->offline)
            log_info("home: the server is back");
        app->offline = false;
        app->home_cached = false;
        app->home_title[0] = app->home_detail[0] = '\0';
        app->error[0] = '\0';
        app->attempts = 0;
        log_info("home: not modified (%lld ms)", (long long)r->elapsed_ms);
        return;
    }
    if (!r->error && r->status == 200 && catalog_parse_home(r->body, r->len, &home, err) == 0) {
        if (app->store)
            store_cache_put(app->store, key, r->etag, r->body, r->len);
        if (!set_home(app, home, r->etag))
            return;
        if (app->offline)
            log_info("home: the server is back");
        app->offline = false;
        app->home_cached = false;
        app->home_title[0] = app->home_detail[0] = '\0';
        app->error[0] = '\0';
        app->attempts = 0;
        log_info("home: %zu shelves (%lld ms)", app->home->n_shelves, (long long)r->elapsed_ms);
        return;
    }
    char tech[512];
    if (err[0]) {
        snprintf(app->home_title, sizeof(app->home_title), "The server sent a bad catalog");
        snprintf(app->home_detail, sizeof(app->home_detail), "Please try again later.");
        snprintf(tech, sizeof(tech), "bad JSON: %s", err);
    } else {
        app_describe_failure(r, app->home_title, sizeof(app->home_title), app->home_detail,
                             sizeof(app->home_detail));
        app_failure_tech(r, tech, sizeof(tech));
    }
    log_error("home: %s: %s", app->home_title, tech);
    app_set_error(app, "%s: %s", app->home_title, app->home_detail);
    app_set_error_tech(app, "%s", tech);
    if (app->home_state != APP_HOME_READY)
        app->home_state = APP_HOME_ERROR;
    if (r->error == BINGE_ENET || r->error == BINGE_ETIMEDOUT)
        app->offline = true;
    if (app->home && r->error) {
        /* The saved catalog stays browsable under a banner. */
        snprintf(app->home_title, sizeof(app->home_title), "Offline");
        snprintf(app->home_detail, sizeof(app->home_detail), "showing your saved catalog");
    }
    if (!app->retry_at_ms)
        app_schedule_retry(app);
}

void home_move(struct app *app, int dshelf, int ditem)
{
    if (!app->home || app->home->n_shelves == 0)
        return;
    size_t n = app->home->n_shelves;
    if (dshelf < 0 && app->focus_shelf > 0)
        app->focus_shelf--;
    else if (dshelf > 0 && app->focus_shelf + 1 < n)
        app->focus_shelf++;
    const struct catalog_shelf *shelf = &app->home->shelves[app->focus_shelf];
    size_t *item = &app->focus_item[app->focus_shelf];
    if (ditem < 0 && *item > 0)
        (*item)--;
    else if (ditem > 0 && *item + 1 < shelf->n_items)
        (*item)++;
}

const struct catalog_item *app_focused_item(const struct app *app)
{
    if (!app->home || app->focus_shelf >= app->home->n_shelves)
        return NULL;
    const struct catalog_shelf *shelf = &app->home->shelves[app->focus_shelf];
    size_t i = app->focus_item[app->focus_shelf];
    return i < shelf->n_items ? &shelf->items[i] : NULL;
}

void home_return(struct app *app)
{
    playback_stop(app);
    app->resume_override_ms = -1;
    app->screen = APP_SCREEN_HOME;
    /* What was just watched changes the "continue watching" shelf: ask again (with the ETag:
     * a 304 when nothing changed) once the position saved on the way out has reached the
     * server, or after APP_HOME_REFRESH_WAIT_MS at the latest. */
    app->home_refresh_at_ms = util_now_ms() + APP_HOME_REFRESH_WAIT_MS;
}

/* Every tick: the home refresh after the player (home_return). Returns a deadline, -1 for none. */
int64_t home_refresh_tick(struct app *app, int64_t now)
{
    if (!app->home_refresh_at_ms)
        return -1;
    if (app->screen != APP_SCREEN_HOME) {
        app->home_refresh_at_ms = 0;
        return -1;
    }
    /* The position saved on the way out first: it may still be on its way to the disk (only
     * durable positions are sent) or to the server. */
    bool progress_out = app->progress_req || (app->store && store_progress_count(app->store) > 0);
    if (progress_out && now < app->home_refresh_at_ms)
        return app->home_refresh_at_ms;
    app->home_refresh_at_ms = 0;
    if (!app->home_req && app->token) {
        log_info("home: refreshing after the player");
        home_request(app);
    }
    return -1;
}