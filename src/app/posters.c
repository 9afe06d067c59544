#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("app");

/* ---- the response cache ---- */

/* Cached responses belong to the server that sent them: a box pointed at another server must
 * not show the old one's catalog. FNV-1a of the server URL keeps the key short. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

void app_cache_key(const struct app *app, const char *kind, const char *id, char *buf, size_t len)
{
    uint64_t h = fnv1a(app->opts->server_url);
    snprintf(buf, len, "%s:%s:%016llx%s%s", kind,
             prefs_content_language(app) ? prefs_content_language(app) : "en",
             (unsigned long long)h, id ? ":" : "", id ? id : "");
}

int app_cache_load(struct app *app, const char *key, char **body, size_t *len, char **etag)
{
    *body = *etag = NULL;
    *len = 0;
    if (!app->store)
        return BINGE_ENOTFOUND;
    int64_t at;
    return store_cache_get(app->store, key, etag, body, len, &at);
}

char *app_cache_etag(struct app *app, const char *key)
{
    char *etag = NULL;
    if (app->store)
        store_cache_etag(app->store, key, &etag);
    return etag;
}

/* ---- posters ---- */

/* Poster bytes are cached under a hash of their URL (which already names the server). */
static void poster_cache_key(const char *url, char *buf, size_t len)
{
    snprintf(buf, len, "poster:%016llx", (unsigned long long)fnv1a(url));
}

/* Starts loading url when it is UNKNOWN: from the disk cache (counted in *loads), or a fetch in
 * a free slot. Returns false when the caller must stop for this tick (the read budget is spent
 * or no fetch slot is free; app->posters_more says to look again). */
static bool poster_load(struct app *app, const char *url, int *loads)
{
    if (!url || ui_image_state(app->ui, url) != UI_IMAGE_UNKNOWN)
        return true;
    /* A poster seen before comes from the disk cache, online or not. */
    char key[160], *body = NULL, *etag = NULL;
    size_t len = 0;
    poster_cache_key(url, key, sizeof(key));
    if (app_cache_load(app, key, &body, &len, &etag) == 0 && len > 0) {
        ui_image_submit(app->ui, url, body, len); /* takes body */
        free(etag);
        /* Each read is a file on the UI thread: a few per tick, the rest in the next ticks (the
         * decodes just queued wake the loop). */
        if (++*loads == APP_POSTER_LOADS_PER_TICK) {
            app->posters_more = true;
            return false;
        }
        return true;
    }
    free(body);
    free(etag);
    size_t slot = 0;
    while (slot < APP_MAX_POSTER_FETCHES && app->posters[slot].id)
        slot++;
    if (slot == APP_MAX_POSTER_FETCHES) {
        app->posters_more = true; /* again when a fetch is done */
        return false;
    }
    uint64_t id = app_request(app, APP_REQ_POSTER, NET_GET, url, NULL, APP_REQ_NO_AUTH, NULL);
    if (!id) {
        ui_image_fail(app->ui, url);
        return true;
    }
    app->posters[slot].id = id;
    app->posters[slot].url = util_strdup(url);
    ui_image_mark_pending(app->ui, url);
    return true;
}

/* Posters: a bounded number of fetches in flight, and of disk cache reads per tick. Cheap on
 * every tick: it looks at the shelves only when the home changed, a fetch slot freed up or the
 * read budget ran out while posters were left waiting, or a draw wanted an evicted poster back. */
void posters_fetch(struct app *app)
{
    bool wanted = ui_image_wanted(app->ui);
    uint64_t gen = 0;
    const struct catalog_home *home = home_catalog(app, &gen);
    if (!home || !app->net)
        return;
    if (app->posters_gen == gen && !app->posters_more && !wanted)
        return;
    app->posters_gen = gen;
    app->posters_more = false;
    int loads = 0;
    for (size_t s = 0; s < home->n_shelves; s++) {
        const struct catalog_shelf *shelf = &home->shelves[s];
        for (size_t i = 0; i < shelf->n_items; i++)
            if (!poster_load(app, shelf->items[i].poster_url, &loads))
                return;
    }
}

void posters_want(struct app *app, const struct catalog_item *items, size_t n)
{
    int loads = 0;
    for (size_t i = 0; app->net && i < n; i++)
        if (!poster_load(app, items[i].poster_url, &loads))
            return;
}

void posters_on_response(struct app *app, struct net_response *r)
{
    for (size_t i = 0; i < APP_MAX_POSTER_FETCHES; i++) {
        if (app->posters[i].id != r->id)
            continue;
        char *url = app->posters[i].url;
        app->posters[i].id = 0;
        app->posters[i].url = NULL;
        if (!url)
            return;
        if (!r->error && r->status == 200 && r->len > 0) {
            char key[160];
            poster_cache_key(url, key, sizeof(key));
            if (app->store)
                store_cache_put(app->store, key, r->etag, r->body, r->len);
            ui_image_submit(app->ui, url, r->body, r->len);
            r->body = NULL; /* handed to the decode worker */
            r->len = 0;
        } else {
            log_warn("poster %s: %s (status %ld)", url, r->message, r->status);
            ui_image_fail(app->ui, url);
        }
        free(url);
        return;
    }
}
