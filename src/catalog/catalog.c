#include "binge/catalog.h"

#include "binge/error.h"
#include "binge/util.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Field flags for get_string(). */
enum {
    STR_REQUIRED = 1 << 0, /* absent or null is an error */
    STR_NONEMPTY = 1 << 1, /* "" is an error (ids, tokens) */
    STR_URL = 1 << 2,      /* must be http:// or https:// */
};

/* Paths of array elements ("shelves[12].items[345]") stay far below this. */
#define PATH_LEN 96

static int set_err(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int set_err(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, CATALOG_ERR_LEN, fmt, ap);
    va_end(ap);
    return BINGE_EPARSE;
}

/* Writes "path.key: what"; path may be "" for top-level fields. */
static int field_err(char *err, const char *path, const char *key, const char *what)
{
    return set_err(err, "%s%s%s: %s", path, *path && key ? "." : "", key ? key : "", what);
}

static int oom(char *err)
{
    snprintf(err, CATALOG_ERR_LEN, "out of memory");
    return BINGE_ENOMEM;
}

static bool is_http_url(const char *s)
{
    /* Anything else (file://, data:, javascript:) from the network could make the client read
     * local files or run other handlers, so only http(s) with a host part is accepted. */
    size_t skip;
    if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return false;
    return s[skip] != '\0' && s[skip] != '/';
}

static int get_string(const cJSON *obj, const char *path, const char *key, int flags, char **out,
                      char *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (flags & STR_REQUIRED)
            return field_err(err, path, key, "missing");
        return 0;
    }
    if (!cJSON_IsString(v) || !v->valuestring)
        return field_err(err, path, key, "expected a string");
    if ((flags & STR_NONEMPTY) && v->valuestring[0] == '\0')
        return field_err(err, path, key, "expected a non-empty string");
    if ((flags & STR_URL) && !is_http_url(v->valuestring))
        return field_err(err, path, key, "expected an http(s) URL");
    *out = util_strdup(v->valuestring);
    if (!*out)
        return oom(err);
    return 0;
}

static int get_int64(const cJSON *obj, const char *path, const char *key, int64_t min, int64_t max,
                     int64_t *out, char *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return field_err(err, path, key, "missing");
    if (!cJSON_IsNumber(v))
        return field_err(err, path, key, "expected an integer");
    double d = v->valuedouble;
    /* cJSON keeps numbers as doubles; fractions and values beyond 2^53 are not ids or counts. */
    if (!isfinite(d) || d != floor(d) || fabs(d) > 9007199254740992.0)
        return field_err(err, path, key, "expected an integer");
    if (d < (double)min) {
        char what[64];
        snprintf(what, sizeof(what), "must be >= %lld", (long long)min);
        return field_err(err, path, key, what);
    }
    if (d > (double)max) {
        char what[64];
        snprintf(what, sizeof(what), "must be <= %lld", (long long)max);
        return field_err(err, path, key, what);
    }
    *out = (int64_t)d;
    return 0;
}

static int get_int(const cJSON *obj, const char *path, const char *key, int min, int *out,
                   char *err)
{
    int64_t v = 0;
    int rc = get_int64(obj, path, key, min, INT_MAX, &v, err);
    if (rc == 0)
        *out = (int)v;
    return rc;
}

/* Returns the array under key (required), or NULL with err set. */
static const cJSON *get_array(const cJSON *obj, const char *path, const char *key, char *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        field_err(err, path, key, "missing");
        return NULL;
    }
    if (!cJSON_IsArray(v)) {
        field_err(err, path, key, "expected an array");
        return NULL;
    }
    return v;
}

static size_t array_len(const cJSON *arr)
{
    size_t n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        n++;
    }
    return n;
}

/* Parses a length-bounded buffer whose top level must be an object. */
static int parse_root(const char *json, size_t len, cJSON **root, char *err)
{
    *root = NULL;
    if (!json || len == 0)
        return set_err(err, "empty document");

    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(json, len, &end, false);
    if (!doc) {
        size_t at = end && end >= json ? (size_t)(end - json) : 0;
        return set_err(err, "invalid JSON at byte %zu", at);
    }
    /* cJSON stops after the first value; "{}garbage" is a broken response, not a document. */
    while (end && (size_t)(end - json) < len &&
           (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
        end++;
    if (end && (size_t)(end - json) < len) {
        size_t at = (size_t)(end - json);
        cJSON_Delete(doc);
        return set_err(err, "unexpected data after the JSON value at byte %zu", at);
    }
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return set_err(err, "expected a JSON object at the top level");
    }
    *root = doc;
    return 0;
}

/* ---- home ---- */

static void shelf_clear(struct catalog_shelf *shelf)
{
    for (size_t i = 0; i < shelf->n_items; i++) {
        free(shelf->items[i].series_id);
        free(shelf->items[i].title);
        free(shelf->items[i].poster_url);
    }
    free(shelf->items);
    free(shelf->id);
    free(shelf->title);
}

void catalog_home_free(struct catalog_home *home)
{
    if (!home)
        return;
    for (size_t i = 0; i < home->n_shelves; i++)
        shelf_clear(&home->shelves[i]);
    free(home->shelves);
    free(home);
}

static int parse_item(const cJSON *j, const char *path, struct catalog_item *item, char *err)
{
    int rc;
    if (!cJSON_IsObject(j))
        return set_err(err, "%s: expected an object", path);
    if ((rc = get_string(j, path, "id", STR_REQUIRED | STR_NONEMPTY, &item->series_id, err)) ||
        (rc = get_string(j, path, "title", STR_REQUIRED, &item->title, err)) ||
        /* docs/api.md: null for a series without a poster; the UI draws a placeholder. */
        (rc = get_string(j, path, "poster_url", STR_URL, &item->poster_url, err)) ||
        (rc = get_int(j, path, "episode_count", 0, &item->episode_count, err)))
        return rc;
    return 0;
}

static int parse_shelf(const cJSON *j, const char *path, struct catalog_shelf *shelf, char *err)
{
    int rc;
    if (!cJSON_IsObject(j))
        return set_err(err, "%s: expected an object", path);
    if ((rc = get_string(j, path, "id", STR_REQUIRED | STR_NONEMPTY, &shelf->id, err)) ||
        (rc = get_string(j, path, "title", STR_REQUIRED, &shelf->title, err)))
        return rc;
    const cJSON *items = get_array(j, path, "items", err);
    if (!items)
        return BINGE_EPARSE;
    size_t n = array_len(items);
    if (n == 0)
        return 0;
    shelf->items = calloc(n, sizeof(*shelf->items));
    if (!shelf->items)
        return oom(err);
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        char ipath[PATH_LEN + 32];
        snprintf(ipath, sizeof(ipath), "%s.items[%zu]", path, shelf->n_items);
        /* Counted before parsing so a half-filled item is freed with the rest. */
        struct catalog_item *item = &shelf->items[shelf->n_items++];
        if ((rc = parse_item(it, ipath, item, err)))
            return rc;
    }
    return 0;
}

int catalog_parse_home(const char *json, size_t len, struct catalog_home **out,
                       char err[CATALOG_ERR_LEN])
{
    char dummy[CATALOG_ERR_LEN];
    cJSON *root = NULL;
    struct catalog_home *home = NULL;
    int rc;

    if (!err)
        err = dummy;
    err[0] = '\0';
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if ((rc = parse_root(json, len, &root, err)))
        goto fail;
    home = calloc(1, sizeof(*home));
    if (!home) {
        rc = oom(err);
        goto fail;
    }
    const cJSON *shelves = get_array(root, "", "shelves", err);
    if (!shelves) {
        rc = BINGE_EPARSE;
        goto fail;
    }
    size_t n = array_len(shelves);
    if (n > 0) {
        home->shelves = calloc(n, sizeof(*home->shelves));
        if (!home->shelves) {
            rc = oom(err);
            goto fail;
        }
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, shelves)
    {
        char path[PATH_LEN];
        snprintf(path, sizeof(path), "shelves[%zu]", home->n_shelves);
        struct catalog_shelf *shelf = &home->shelves[home->n_shelves++];
        if ((rc = parse_shelf(it, path, shelf, err)))
            goto fail;
    }
    cJSON_Delete(root);
    *out = home;
    return 0;

fail:
    cJSON_Delete(root);
    catalog_home_free(home);
    return rc;
}

/* ---- series ---- */

static void episode_clear(struct catalog_episode *ep)
{
    free(ep->id);
    free(ep->title);
    free(ep->thumb_url);
}

void catalog_series_free(struct catalog_series *series)
{
    if (!series)
        return;
    for (size_t i = 0; i < series->n_episodes; i++)
        episode_clear(&series->episodes[i]);
    free(series->episodes);
    free(series->id);
    free(series->title);
    free(series->synopsis);
    free(series->poster_url);
    free(series);
}

static int parse_lock(const cJSON *j, const char *path, enum catalog_lock *out, char *err)
{
    static const struct {
        const char *name;
        enum catalog_lock lock;
    } states[] = {
        {"free", CATALOG_FREE},
        {"unlocked", CATALOG_UNLOCKED},
        {"locked", CATALOG_LOCKED},
    };
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "state");
    if (!v)
        return field_err(err, path, "state", "missing");
    if (!cJSON_IsString(v) || !v->valuestring)
        return field_err(err, path, "state", "expected a string");
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        if (strcmp(v->valuestring, states[i].name) == 0) {
            *out = states[i].lock;
            return 0;
        }
    }
    return field_err(err, path, "state", "expected \"free\", \"unlocked\" or \"locked\"");
}

static int parse_episode(const cJSON *j, const char *path, struct catalog_episode *ep, char *err)
{
    int rc;
    if (!cJSON_IsObject(j))
        return set_err(err, "%s: expected an object", path);
    if ((rc = get_string(j, path, "id", STR_REQUIRED | STR_NONEMPTY, &ep->id, err)) ||
        (rc = get_int(j, path, "index", 1, &ep->index, err)) ||
        (rc = get_string(j, path, "title", STR_REQUIRED, &ep->title, err)) ||
        (rc = get_int(j, path, "duration_s", 0, &ep->duration_s, err)) ||
        (rc = get_string(j, path, "thumb_url", STR_URL, &ep->thumb_url, err)) ||
        (rc = parse_lock(j, path, &ep->state, err)) ||
        (rc = get_int(j, path, "price_coins", 0, &ep->price_coins, err)))
        return rc;
    return 0;
}

static int episode_cmp(const void *a, const void *b)
{
    const struct catalog_episode *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

int catalog_parse_series(const char *json, size_t len, struct catalog_series **out,
                         char err[CATALOG_ERR_LEN])
{
    char dummy[CATALOG_ERR_LEN];
    cJSON *root = NULL;
    struct catalog_series *series = NULL;
    int rc;

    if (!err)
        err = dummy;
    err[0] = '\0';
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if ((rc = parse_root(json, len, &root, err)))
        goto fail;
    series = calloc(1, sizeof(*series));
    if (!series) {
        rc = oom(err);
        goto fail;
    }
    if ((rc = get_string(root, "", "id", STR_REQUIRED | STR_NONEMPTY, &series->id, err)) ||
        (rc = get_string(root, "", "title", STR_REQUIRED, &series->title, err)) ||
        (rc = get_string(root, "", "synopsis", 0, &series->synopsis, err)) ||
        (rc = get_string(root, "", "poster_url", STR_URL, &series->poster_url, err)))
        goto fail;
    const cJSON *episodes = get_array(root, "", "episodes", err);
    if (!episodes) {
        rc = BINGE_EPARSE;
        goto fail;
    }
    size_t n = array_len(episodes);
    if (n > 0) {
        series->episodes = calloc(n, sizeof(*series->episodes));
        if (!series->episodes) {
            rc = oom(err);
            goto fail;
        }
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, episodes)
    {
        char path[PATH_LEN];
        snprintf(path, sizeof(path), "episodes[%zu]", series->n_episodes);
        struct catalog_episode *ep = &series->episodes[series->n_episodes++];
        if ((rc = parse_episode(it, path, ep, err)))
            goto fail;
    }
    if (series->n_episodes > 1)
        qsort(series->episodes, series->n_episodes, sizeof(*series->episodes), episode_cmp);
    /* Lookups and "next episode" go by index, so two episodes with one index are ambiguous. */
    for (size_t i = 1; i < series->n_episodes; i++) {
        if (series->episodes[i].index == series->episodes[i - 1].index) {
            rc = set_err(err, "episodes: duplicate index %d", series->episodes[i].index);
            goto fail;
        }
    }
    cJSON_Delete(root);
    *out = series;
    return 0;

fail:
    cJSON_Delete(root);
    catalog_series_free(series);
    return rc;
}

const struct catalog_episode *catalog_series_episode(const struct catalog_series *series, int index)
{
    if (!series || series->n_episodes == 0)
        return NULL;
    /* Episodes are sorted by index and unique, so a binary search is exact. */
    size_t lo = 0, hi = series->n_episodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int at = series->episodes[mid].index;
        if (at == index)
            return &series->episodes[mid];
        if (at < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- play ---- */

void catalog_play_free(struct catalog_play *play)
{
    if (!play)
        return;
    free(play->episode_id);
    free(play->play_url);
    free(play->next_episode_id);
    free(play);
}

int catalog_parse_play(const char *json, size_t len, struct catalog_play **out,
                       char err[CATALOG_ERR_LEN])
{
    char dummy[CATALOG_ERR_LEN];
    cJSON *root = NULL;
    struct catalog_play *play = NULL;
    int rc;

    if (!err)
        err = dummy;
    err[0] = '\0';
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if ((rc = parse_root(json, len, &root, err)))
        goto fail;
    play = calloc(1, sizeof(*play));
    if (!play) {
        rc = oom(err);
        goto fail;
    }
    if ((rc = get_string(root, "", "episode_id", STR_REQUIRED | STR_NONEMPTY, &play->episode_id,
                         err)) ||
        (rc = get_string(root, "", "play_url", STR_REQUIRED | STR_URL, &play->play_url, err)) ||
        (rc = get_int64(root, "", "expires_at", 0, INT64_MAX, &play->expires_at, err)) ||
        (rc = get_int64(root, "", "resume_ms", 0, INT64_MAX, &play->resume_ms, err)) ||
        (rc = get_string(root, "", "next_episode_id", STR_NONEMPTY, &play->next_episode_id, err)))
        goto fail;
    cJSON_Delete(root);
    *out = play;
    return 0;

fail:
    cJSON_Delete(root);
    catalog_play_free(play);
    return rc;
}

/* ---- locked (402) ---- */

void catalog_locked_free(struct catalog_locked *locked)
{
    if (!locked)
        return;
    free(locked->message);
    free(locked);
}

int catalog_parse_locked(const char *json, size_t len, struct catalog_locked **out,
                         char err[CATALOG_ERR_LEN])
{
    char dummy[CATALOG_ERR_LEN];
    cJSON *root = NULL;
    struct catalog_locked *locked = NULL;
    int rc;

    if (!err)
        err = dummy;
    err[0] = '\0';
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if ((rc = parse_root(json, len, &root, err)))
        goto fail;
    locked = calloc(1, sizeof(*locked));
    if (!locked) {
        rc = oom(err);
        goto fail;
    }
    if ((rc = get_int(root, "", "price_coins", 0, &locked->price_coins, err)) ||
        (rc = get_int(root, "", "balance", 0, &locked->balance, err)))
        goto fail;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (e && !cJSON_IsNull(e)) {
        if (!cJSON_IsObject(e)) {
            rc = set_err(err, "error: expected an object");
            goto fail;
        }
        if ((rc = get_string(e, "error", "message", 0, &locked->message, err)))
            goto fail;
    }
    cJSON_Delete(root);
    *out = locked;
    return 0;

fail:
    cJSON_Delete(root);
    catalog_locked_free(locked);
    return rc;
}

/* ---- device ---- */

void catalog_device_free(struct catalog_device *device)
{
    if (!device)
        return;
    free(device->token);
    free(device->device_id);
    free(device);
}

int catalog_parse_device(const char *json, size_t len, struct catalog_device **out,
                         char err[CATALOG_ERR_LEN])
{
    char dummy[CATALOG_ERR_LEN];
    cJSON *root = NULL;
    struct catalog_device *device = NULL;
    int rc;

    if (!err)
        err = dummy;
    err[0] = '\0';
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if ((rc = parse_root(json, len, &root, err)))
        goto fail;
    device = calloc(1, sizeof(*device));
    if (!device) {
        rc = oom(err);
        goto fail;
    }
    if ((rc = get_string(root, "", "token", STR_REQUIRED | STR_NONEMPTY, &device->token, err)) ||
        (rc = get_string(root, "", "device_id", STR_REQUIRED | STR_NONEMPTY, &device->device_id,
                         err)))
        goto fail;
    cJSON_Delete(root);
    *out = device;
    return 0;

fail:
    cJSON_Delete(root);
    catalog_device_free(device);
    return rc;
}

/* ---- error bodies ---- */

int catalog_parse_error(const char *json, size_t len, char **code, char **message)
{
    char err[CATALOG_ERR_LEN];
    cJSON *root = NULL;
    char *c = NULL, *m = NULL;
    int rc;

    if (code)
        *code = NULL;
    if (message)
        *message = NULL;
    if ((rc = parse_root(json, len, &root, err)))
        goto fail;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsObject(e)) {
        rc = BINGE_EPARSE;
        goto fail;
    }
    if ((rc = get_string(e, "error", "code", STR_REQUIRED | STR_NONEMPTY, &c, err)) ||
        (rc = get_string(e, "error", "message", 0, &m, err)))
        goto fail;
    /* Callers show the message to the viewer; the code is better than nothing. */
    if (!m) {
        m = util_strdup(c);
        if (!m) {
            rc = BINGE_ENOMEM;
            goto fail;
        }
    }
    cJSON_Delete(root);
    if (code)
        *code = c;
    else
        free(c);
    if (message)
        *message = m;
    else
        free(m);
    return 0;

fail:
    cJSON_Delete(root);
    free(c);
    free(m);
    return rc;
}
