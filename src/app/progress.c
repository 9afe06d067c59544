#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app_internal.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

LOG_MODULE("progress");

/* Position reports. A report is queued in the store, whose writer thread appends it to the
 * journal (one fdatasync) off the UI thread; store_poll says when it is durable, and only then
 * is it logged as queued. A kill -9 or a dead server loses nothing that was logged: what is
 * queued goes out in batches, and each record leaves the queue only when the server has
 * acknowledged its event id. */

#define PROGRESS_RETRY_MS 10000

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void progress_record(struct app *app, const char *episode_id, int64_t pos, int64_t dur,
                     const char *why)
{
    if (!app->store || !episode_id || pos < 0)
        return;
    if (dur < 0)
        dur = 0;
    if (dur && pos > dur)
        pos = dur;
    char event_id[STORE_EVENT_ID_SLOT];
    if (store_progress_put(app->store, episode_id, pos, dur, wall_ms(), event_id) != 0) {
        log_warn("can't queue the position of %s", episode_id);
        return;
    }
    log_debug("position %s %lld/%lld ms recorded as %s (%s)", episode_id, (long long)pos,
              (long long)dur, event_id, why);
    /* It is sent once durable: log_saved schedules that. */
}

/* The records the writer has made durable. The "queued as" line is printed only then: QA and
 * the kill -9 test read it as "in the journal". */
static void log_saved(struct app *app)
{
    struct store_progress p;
    bool any = false;
    while (store_poll(app->store, &p)) {
        log_info("position %s %lld/%lld ms queued as %s (saved)", p.episode_id,
                 (long long)p.position_ms, (long long)p.duration_ms, p.event_id);
        any = true;
    }
    /* Only durable records are sent: these can go now. */
    if (any && !app->progress_flush_at_ms)
        app->progress_flush_at_ms = util_now_ms();
}

void progress_shutdown(struct app *app)
{
    if (!app->store)
        return;
    store_set_wake(app->store, NULL, NULL); /* the loop is over: no one to wake */
    store_flush(app->store);
    log_saved(app);
}

void progress_flush(struct app *app)
{
    if (!app->store || !app->token || app->progress_req || !app->net)
        return;
    struct store_progress batch[CATALOG_PROGRESS_BATCH_MAX];
    size_t n = 0;
    if (store_progress_durable(app->store, batch, CATALOG_PROGRESS_BATCH_MAX, &n) != 0 || !n)
        return;
    struct catalog_progress_item items[CATALOG_PROGRESS_BATCH_MAX];
    char(*ids)[STORE_EVENT_ID_SLOT] = calloc(n, sizeof(*ids));
    if (!ids)
        return;
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof(ids[i]), "%.*s", STORE_EVENT_ID_LEN, batch[i].event_id);
        items[i] = (struct catalog_progress_item){
            .episode_id = batch[i].episode_id,
            .event_id = batch[i].event_id,
            .position_ms = batch[i].position_ms,
            .duration_ms = batch[i].duration_ms,
            .updated_at_ms = batch[i].updated_at_ms,
        };
    }
    char *body = NULL;
    if (catalog_build_progress(items, n, &body) != 0) {
        log_error("can't build a progress batch of %zu", n);
        free(ids);
        return;
    }
    app->progress_req = app_request(app, APP_REQ_PROGRESS, NET_POST, "/v1/progress", body,
                                    APP_REQ_IDEMPOTENT, NULL);
    free(body);
    if (!app->progress_req) {
        free(ids);
        app->progress_flush_at_ms = util_now_ms() + PROGRESS_RETRY_MS;
        return;
    }
    free(app->progress_ids);
    app->progress_ids = ids;
    app->n_progress_ids = n;
    app->progress_flush_at_ms = 0;
}

void progress_on_response(struct app *app, struct net_response *r)
{
    app->progress_req = 0;
    struct catalog_progress_ack *ack = NULL;
    char err[CATALOG_ERR_LEN] = "";
    if (!r->error && r->status == 200 &&
        catalog_parse_progress_ack(r->body, r->len, &ack, err) == 0) {
        /* Every result means "processed" (applied, stale, duplicate, unknown): drop those. */
        const char **done = calloc(ack->n_results ? ack->n_results : 1, sizeof(*done));
        if (done) {
            for (size_t i = 0; i < ack->n_results; i++)
                done[i] = ack->results[i].event_id;
            if (store_progress_ack(app->store, done, ack->n_results) != 0)
                log_warn("can't drop %zu sent positions from the queue", ack->n_results);
            free(done);
        }
        log_info("progress: %zu reports acknowledged", ack->n_results);
        catalog_progress_ack_free(ack);
        free(app->progress_ids);
        app->progress_ids = NULL;
        app->n_progress_ids = 0;
        if (store_progress_count(app->store))
            app->progress_flush_at_ms = util_now_ms(); /* more queued meanwhile */
        return;
    }
    log_warn("progress not sent (%s, status %ld%s%s); kept for later",
             r->error ? r->message : "answered", r->status, err[0] ? ": " : "", err);
    app->progress_flush_at_ms = util_now_ms() + PROGRESS_RETRY_MS;
}

int64_t progress_tick(struct app *app, int64_t now)
{
    if (!app->store)
        return -1;
    log_saved(app);
    int64_t next = -1;
    if (app->progress_flush_at_ms) {
        if (now >= app->progress_flush_at_ms) {
            app->progress_flush_at_ms = 0;
            progress_flush(app);
        }
        if (app->progress_flush_at_ms && (next < 0 || app->progress_flush_at_ms < next))
            next = app->progress_flush_at_ms;
    }
    return next;
}
