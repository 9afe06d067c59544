/* Instant start: the episode a viewer is about to pick, prerolled to its first frame while they
 * look at it (home's focused card, a series page's primary button). The series is asked for
 * (GET /v1/series/{id}: its resume episode), then the episode's play URL (POST
 * /v1/episodes/{id}/play: its signed URL and resume position), and the player prerolls it in
 * its second pipeline on the start variant. When OK opens the player on the same series and
 * episode, the player screen takes it and swaps it in: the first frame is already decoded.
 *
 * At most one is alive: starting another, cancelling it, or any player_open drops it, so the
 * bytes spent on a card the viewer passed over are bounded by one start (a manifest and the
 * first segment of the start variant).
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

static void clear(struct app *app)
{
    struct app_preroll *pr = &app->preroll;
    net_cancel(app->net, pr->series_req);
    net_cancel(app->net, pr->play_req);
    pr->series_req = pr->play_req = 0;
    catalog_series_free(pr->series);
    pr->series = NULL;
    free(pr->series_id);
    pr->series_id = NULL;
    pr->want_index = pr->index = 0;
    pr->in_player = pr->failed = false;
}

void preroll_cancel(struct app *app, const char *why)
{
    struct app_preroll *pr = &app->preroll;
    if (!pr->series_id)
        return;
    log_info("instant start: %s episode %d dropped (%s)", pr->series_id, pr->index, why);
    if (pr->in_player)
        player_cancel_preroll(app->player);
    pr->cancelled++;
    clear(app);
}

void preroll_start(struct app *app, const char *series_id, int episode_index)
{
    struct app_preroll *pr = &app->preroll;
    if (!series_id || !app->player || !app->token)
        return;
    if (pr->series_id && strcmp(pr->series_id, series_id) == 0 &&
        (episode_index == 0 || episode_index == pr->want_index) && !pr->failed)
        return; /* already on its way, or there */
    preroll_cancel(app, "another one");
    char *path = NET_PATH("v1", "series", series_id), key[200];
    if (!path)
        return;
    pr->series_id = util_strdup(series_id);
    if (!pr->series_id) {
        free(path);
        return;
    }
    app_cache_key(app, "series", series_id, key, sizeof(key));
    char *etag = app_cache_etag(app, key);
    pr->want_index = episode_index;
    pr->series_req = app_request(app, APP_REQ_INSTANT, NET_GET, path, NULL, 0, etag);
    pr->started++;
    free(path);
    free(etag);
}

/* The series is in: its resume episode (or the one asked for) gets its play URL. */
static void on_series(struct app *app, struct net_response *r)
{
    struct app_preroll *pr = &app->preroll;
    pr->series_req = 0;
    char err[CATALOG_ERR_LEN] = "", key[200], *body = NULL, *etag = NULL;
    size_t len = 0;
    struct catalog_series *series = NULL;
    app_cache_key(app, "series", pr->series_id, key, sizeof(key));
    if (!r->error && r->status == 304) {
        if (app_cache_load(app, key, &body, &len, &etag) == 0)
            catalog_parse_series(body, len, &series, err);
    } else if (!r->error && r->status == 200 &&
               catalog_parse_series(r->body, r->len, &series, err) == 0 && app->store) {
        store_cache_put(app->store, key, r->etag, r->body, r->len);
    }
    free(body);
    free(etag);
    if (!series) {
        /* Nothing is shown: OK will ask again and say what is wrong. */
        log_info("instant start: no series %s (%s)", pr->series_id,
                 err[0]     ? err
                 : r->error ? binge_strerror(r->error)
                            : "HTTP error");
        pr->failed = true;
        return;
    }
    int index = pr->want_index;
    if (index <= 0 || !catalog_series_episode(series, index))
        index = series->resume_index > 0 && catalog_series_episode(series, series->resume_index)
                    ? series->resume_index
                : series->n_episodes ? series->episodes[0].index
                                     : 0;
    const struct catalog_episode *ep = catalog_series_episode(series, index);
    if (!ep || ep->state == CATALOG_LOCKED) {
        /* A locked episode is for the paywall, not for a preroll. */
        catalog_series_free(series);
        pr->failed = true;
        return;
    }
    char *path = NET_PATH("v1", "episodes", ep->id, "play");
    if (!path) {
        catalog_series_free(series);
        pr->failed = true;
        return;
    }
    pr->series = series;
    pr->index = index;
    pr->play_req = app_request(app, APP_REQ_INSTANT, NET_POST, path, "{}", 0, NULL);
    free(path);
}

static void on_play(struct app *app, struct net_response *r)
{
    struct app_preroll *pr = &app->preroll;
    pr->play_req = 0;
    struct catalog_play *play = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (r->error || r->status != 200 || catalog_parse_play(r->body, r->len, &play, err) != 0) {
        log_info("instant start: no play URL for %s episode %d (HTTP %ld)", pr->series_id,
                 pr->index, r->error ? 0L : (long)r->status);
        pr->failed = true;
        return;
    }
    int rc = player_preroll(app->player, play->play_url, play->resume_ms);
    if (rc == 0) {
        pr->in_player = true;
        log_info("instant start: prerolling %s episode %d at %lld ms", pr->series_id, pr->index,
                 (long long)play->resume_ms);
    } else {
        log_warn("instant start: player_preroll: %s", binge_strerror(rc));
        pr->failed = true;
    }
    catalog_play_free(play);
}

void preroll_on_response(struct app *app, struct net_response *r)
{
    struct app_preroll *pr = &app->preroll;
    if (r->id == pr->series_req && pr->series_req)
        on_series(app, r);
    else if (r->id == pr->play_req && pr->play_req)
        on_play(app, r);
}

bool preroll_take(struct app *app, const char *series_id, int episode_index,
                  struct catalog_series **series, int *index)
{
    struct app_preroll *pr = &app->preroll;
    bool ready = false;
    if (!pr->series_id)
        return false;
    bool match = series_id && strcmp(pr->series_id, series_id) == 0 &&
                 (episode_index <= 0 || episode_index == pr->index);
    /* Only a stream in the player is worth taking; one still asking for its URL is not ahead of
     * an ordinary start, and a player_open since then dropped it. */
    if (!match || !pr->in_player || !player_has_preroll(app->player, &ready)) {
        preroll_cancel(app, match ? "not prerolled yet" : "another series was opened");
        return false;
    }
    *series = pr->series;
    *index = pr->index;
    pr->series = NULL;
    pr->taken++;
    log_info("instant start: %s episode %d taken (%s)", pr->series_id, pr->index,
             ready ? "first frame ready" : "still prerolling");
    pr->in_player = false; /* the caller swaps it in */
    clear(app);
    return true;
}

const char *preroll_state(struct app *app)
{
    struct app_preroll *pr = &app->preroll;
    bool ready = false;
    if (!pr->series_id)
        return "none";
    if (pr->failed)
        return "failed";
    if (!pr->in_player)
        return "fetching";
    if (!player_has_preroll(app->player, &ready))
        return "failed";
    return ready ? "ready" : "prerolling";
}

void preroll_free(struct app *app)
{
    clear(app);
}
