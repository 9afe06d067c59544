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

/* Absent or null gives def; anything else must be an integer in [min, max]. */
static int get_int64_opt(const cJSON *obj, const char *path, const char *key, int64_t min,
                         int64_t max, int64_t def, int64_t *out, char *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return 0;
    }
    return get_int64(obj, path, key, min, max, out, err);
}

static int get_int_opt(const cJSON *obj, const char *path, const char *key, int min, int def,
                       int *out, char *err)
{
    int64_t v = 0;
    int rc = get_int64_opt(obj, path, key, min, INT_MAX, def, &v, err);
    if (rc == 0)
        *out = (int)v;
    return rc;
}

/* required: absent or null is an error; otherwise absent or null gives false. */
static int get_bool(const cJSON *obj, const char *path, const char *key, bool required, bool *out,
                    char *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = false;
    if (!v || cJSON_IsNull(v))
        return required ? field_err(err, path, key, "missing") : 0;
    if (!cJSON_IsBool(v))
        return field_err(err, path, key, "expected a boolean");
    *out = cJSON_IsTrue(v);
    return 0;
}

/* The object under key in *out. required: absent or null is an error; otherwise *out is NULL
 * for absent or null. */
static int get_object(const cJSON *obj, const char *path, const char *key, bool required,
                      const cJSON **out, char *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return required ? field_err(err, path, key, "missing") : 0;
    if (!cJSON_IsObject(v))
        return field_err(err, path, key, "expected an object");
    *out = v;
    return 0;
}

struct name_value {
    const char *name;
    int value;
};

/* A required string that must be one of names; the message lists them. */
static int get_enum(const cJSON *obj, const char *path, const char *key,
                    const struct name_value *names, size_t n, int *out, char *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return field_err(err, path, key, "missing");
    if (!cJSON_IsString(v) || !v->valuestring)
        return field_err(err, path, key, "expected a string");
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v->valuestring, names[i].name) == 0) {
            *out = names[i].value;
            return 0;
        }
    }
    char what[160] = "expected one of";
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(what);
        snprintf(what + used, sizeof(what) - used, "%s \"%s\"", i ? "," : "", names[i].name);
    }
    return field_err(err, path, key, what);
}

/* The optional array under key in *out (NULL when absent or null). */
static int get_array_opt(const cJSON *obj, const char *path, const char *key, const cJSON **out,
                         char *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsArray(v))
        return field_err(err, path, key, "expected an array");
    *out = v;
    return 0;
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

/* The prologue every parser shares: err may be NULL (then dummy takes the message). */
static int doc_begin(const char *json, size_t len, char **err, char *dummy, cJSON **root)
{
    if (!*err)
        *err = dummy;
    (*err)[0] = '\0';
    return parse_root(json, len, root, *err);
}

/* {"error": {"code", "message"}} inside root: code required, message falls back to it. */
static int get_error_body(const cJSON *root, char **code, char **message, char *err)
{
    const cJSON *e = NULL;
    int rc;
    *code = *message = NULL;
    if ((rc = get_object(root, "", "error", true, &e, err)) ||
        (rc = get_string(e, "error", "code", STR_REQUIRED | STR_NONEMPTY, code, err)) ||
        (rc = get_string(e, "error", "message", 0, message, err)))
        goto fail;
    if (!*message) {
        *message = util_strdup(*code);
        if (!*message) {
            rc = oom(err);
            goto fail;
        }
    }
    return 0;
fail:
    free(*code);
    free(*message);
    *code = *message = NULL;
    return rc;
}

/* ---- home ---- */

static void items_free_fields(struct catalog_item *item)
{
    free(item->series_id);
    free(item->title);
    free(item->poster_url);
    free(item->synopsis);
    free(item->episode_id);
    for (size_t i = 0; i < item->n_genres; i++)
        free(item->genres[i]);
    free(item->genres);
    *item = (struct catalog_item){0};
}

static void items_free(struct catalog_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        items_free_fields(&items[i]);
    free(items);
}

static void shelf_clear(struct catalog_shelf *shelf)
{
    items_free(shelf->items, shelf->n_items);
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

static int parse_strings(const cJSON *j, const char *path, const char *key, char ***out,
                         size_t *n_out, char *err);

static int parse_item(const cJSON *j, const char *path, struct catalog_item *item, char *err)
{
    int rc;
    if (!cJSON_IsObject(j))
        return set_err(err, "%s: expected an object", path);
    if ((rc = get_string(j, path, "id", STR_REQUIRED | STR_NONEMPTY, &item->series_id, err)) ||
        (rc = get_string(j, path, "title", STR_REQUIRED, &item->title, err)) ||
        /* docs/api.md: null for a series without a poster; the UI draws a placeholder. */
        (rc = get_string(j, path, "poster_url", STR_URL, &item->poster_url, err)) ||
        (rc = get_int(j, path, "episode_count", 0, &item->episode_count, err)) ||
        (rc = get_string(j, path, "synopsis", 0, &item->synopsis, err)) ||
        (rc = get_string(j, path, "episode_id", STR_NONEMPTY, &item->episode_id, err)) ||
        (rc = parse_strings(j, path, "genres", &item->genres, &item->n_genres, err)) ||
        (rc = get_int_opt(j, path, "free_episodes", 0, -1, &item->free_episodes, err)) ||
        (rc = get_int64_opt(j, path, "total_duration_s", 0, INT64_MAX, -1, &item->total_duration_s,
                            err)))
        return rc;
    /* A "continue watching" entry: which episode, and where to resume it. */
    if (item->episode_id &&
        ((rc = get_int(j, path, "episode_index", 1, &item->episode_index, err)) ||
         (rc = get_int64(j, path, "resume_ms", 0, INT64_MAX, &item->resume_ms, err)) ||
         (rc = get_int64_opt(j, path, "duration_ms", 0, INT64_MAX, 0, &item->duration_ms, err))))
        return rc;
    return 0;
}

/* Parses the items array (required) of j into *items. On failure the items parsed so far are
 * still counted in *n, for the caller to free. With drops, an item with a bad field is freed and
 * left out (counted in drops, the first error kept there); without, it fails the whole parse. */
static int parse_items(const cJSON *j, const char *path, const char *key,
                       struct catalog_item **items, size_t *n_items, struct catalog_home *drops,
                       char *err)
{
    const cJSON *arr = get_array(j, path, key, err);
    if (!arr)
        return BINGE_EPARSE;
    size_t n = array_len(arr), index = 0;
    if (n == 0)
        return 0;
    *items = calloc(n, sizeof(**items));
    if (!*items)
        return oom(err);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char ipath[PATH_LEN + 32];
        snprintf(ipath, sizeof(ipath), "%s%s%s[%zu]", path, *path ? "." : "", key, index++);
        /* Counted before parsing so a half-filled item is freed with the rest. */
        struct catalog_item *item = &(*items)[(*n_items)++];
        int rc = parse_item(it, ipath, item, err);
        if (rc == BINGE_EPARSE && drops) {
            if (!drops->n_dropped++)
                snprintf(drops->dropped, sizeof(drops->dropped), "%s", err);
            err[0] = '\0';
            items_free_fields(item);
            (*n_items)--;
            continue;
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_shelf(const cJSON *j, const char *path, struct catalog_shelf *shelf,
                       struct catalog_home *home, char *err)
{
    int rc;
    if (!cJSON_IsObject(j))
        return set_err(err, "%s: expected an object", path);
    if ((rc = get_string(j, path, "id", STR_REQUIRED | STR_NONEMPTY, &shelf->id, err)) ||
        (rc = get_string(j, path, "title", STR_REQUIRED, &shelf->title, err)))
        return rc;
    return parse_items(j, path, "items", &shelf->items, &shelf->n_items, home, err);
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
        if ((rc = parse_shelf(it, path, shelf, home, err)))
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
    free(series->resume_episode_id);
    for (size_t i = 0; i < series->n_genres; i++)
        free(series->genres[i]);
    free(series->genres);
    free(series);
}

/* The optional array of strings under key. */
static int parse_strings(const cJSON *j, const char *path, const char *key, char ***out,
                         size_t *n_out, char *err)
{
    const cJSON *arr = NULL;
    int rc = get_array_opt(j, path, key, &arr, err);
    if (rc || !arr)
        return rc;
    size_t n = array_len(arr);
    if (n == 0)
        return 0;
    *out = calloc(n, sizeof(**out));
    if (!*out)
        return oom(err);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsString(it) || !it->valuestring)
            return set_err(err, "%s%s%s[%zu]: expected a string", path, *path ? "." : "", key,
                           *n_out);
        char *copy = util_strdup(it->valuestring);
        if (!copy)
            return oom(err);
        (*out)[(*n_out)++] = copy;
    }
    return 0;
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
        (rc = get_int(j, path, "price_coins", 0, &ep->price_coins, err)) ||
        (rc = get_int64_opt(j, path, "position_ms", 0, INT64_MAX, 0, &ep->position_ms, err)) ||
        (rc = get_bool(j, path, "watched", false, &ep->watched, err)))
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
    if ((rc = parse_strings(root, "", "genres", &series->genres, &series->n_genres, err)))
        goto fail;
    const cJSON *resume = NULL;
    if ((rc = get_object(root, "", "resume", false, &resume, err)))
        goto fail;
    if (resume &&
        ((rc = get_string(resume, "resume", "episode_id", STR_REQUIRED | STR_NONEMPTY,
                          &series->resume_episode_id, err)) ||
         (rc = get_int(resume, "resume", "episode_index", 1, &series->resume_index, err)) ||
         (rc = get_int64(resume, "resume", "resume_ms", 0, INT64_MAX, &series->resume_ms, err))))
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
    /* The figures above the grid: the server's, else counted from the episodes. */
    int free_n = 0, price = 0;
    int64_t total_s = 0;
    for (size_t i = 0; i < series->n_episodes; i++) {
        const struct catalog_episode *ep = &series->episodes[i];
        free_n += ep->price_coins == 0;
        total_s += ep->duration_s;
        if (!price && ep->price_coins > 0)
            price = ep->price_coins;
    }
    if ((rc = get_int_opt(root, "", "episode_count", 0, (int)series->n_episodes,
                          &series->episode_count, err)) ||
        (rc = get_int_opt(root, "", "free_episodes", 0, free_n, &series->free_episodes, err)) ||
        (rc = get_int64_opt(root, "", "total_duration_s", 0, INT64_MAX, total_s,
                            &series->total_duration_s, err)) ||
        (rc = get_int_opt(root, "", "episode_price_coins", 0, price, &series->episode_price_coins,
                          err)) ||
        (rc = get_bool(root, "", "in_mylist", false, &series->in_mylist, err)))
        goto fail;
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

static void tracks_free(struct catalog_track *tracks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(tracks[i].language);
        free(tracks[i].label);
        free(tracks[i].url);
    }
    free(tracks);
}

void catalog_play_free(struct catalog_play *play)
{
    if (!play)
        return;
    free(play->episode_id);
    free(play->play_url);
    free(play->next_episode_id);
    tracks_free(play->subtitles, play->n_subtitles);
    tracks_free(play->audio_tracks, play->n_audio_tracks);
    free(play);
}

static int parse_tracks(const cJSON *root, const char *key, struct catalog_track **out,
                        size_t *n_out, char *err)
{
    const cJSON *arr = NULL;
    int rc = get_array_opt(root, "", key, &arr, err);
    if (rc || !arr)
        return rc;
    size_t n = array_len(arr);
    if (n == 0)
        return 0;
    *out = calloc(n, sizeof(**out));
    if (!*out)
        return oom(err);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char path[PATH_LEN];
        snprintf(path, sizeof(path), "%s[%zu]", key, *n_out);
        if (!cJSON_IsObject(it))
            return set_err(err, "%s: expected an object", path);
        struct catalog_track *t = &(*out)[(*n_out)++];
        if ((rc = get_string(it, path, "language", STR_REQUIRED | STR_NONEMPTY, &t->language,
                             err)) ||
            (rc = get_string(it, path, "label", 0, &t->label, err)) ||
            (rc = get_string(it, path, "url", STR_URL, &t->url, err)) ||
            (rc = get_bool(it, path, "default", false, &t->is_default, err)))
            return rc;
    }
    return 0;
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
        (rc = get_string(root, "", "next_episode_id", STR_NONEMPTY, &play->next_episode_id, err)) ||
        (rc = parse_tracks(root, "subtitles", &play->subtitles, &play->n_subtitles, err)) ||
        (rc = parse_tracks(root, "audio_tracks", &play->audio_tracks, &play->n_audio_tracks, err)))
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
    free(locked->code);
    free(locked);
}

/* "unlock_methods": known names as CATALOG_METHOD_* bits; absent or null: coins only. */
static int parse_methods(const cJSON *root, unsigned *out, char *err)
{
    static const struct name_value names[] = {
        {"coins", CATALOG_METHOD_COINS},
        {"ad", CATALOG_METHOD_AD},
        {"vip", CATALOG_METHOD_VIP},
    };
    const cJSON *arr = NULL;
    int rc = get_array_opt(root, "", "unlock_methods", &arr, err);
    *out = CATALOG_METHOD_COINS;
    if (rc || !arr)
        return rc;
    *out = 0;
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsString(it) || !it->valuestring)
            return set_err(err, "unlock_methods[%zu]: expected a string", i);
        /* A method this client does not know yet is one it cannot offer: skip it. */
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            if (strcmp(it->valuestring, names[k].name) == 0)
                *out |= (unsigned)names[k].value;
        }
        i++;
    }
    return 0;
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
        (rc = get_int(root, "", "balance", 0, &locked->balance, err)) ||
        (rc = get_int64_opt(root, "", "coins", 0, INT64_MAX, -1, &locked->coins, err)) ||
        (rc =
             get_int64_opt(root, "", "bonus_coins", 0, INT64_MAX, -1, &locked->bonus_coins, err)) ||
        (rc = parse_methods(root, &locked->methods, err)))
        goto fail;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (e && !cJSON_IsNull(e)) {
        if (!cJSON_IsObject(e)) {
            rc = set_err(err, "error: expected an object");
            goto fail;
        }
        if ((rc = get_string(e, "error", "message", 0, &locked->message, err)) ||
            (rc = get_string(e, "error", "code", 0, &locked->code, err)))
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
    free(device->refresh_token);
    free(device->account_name);
    free(device);
}

/* "account": {"id", "name"}, optional (a guest device has none). */
static int parse_account(const cJSON *root, int64_t *id, char **name, char *err)
{
    const cJSON *a = NULL;
    int rc;
    *id = 0;
    *name = NULL;
    if ((rc = get_object(root, "", "account", false, &a, err)) || !a)
        return rc;
    if ((rc = get_int64(a, "account", "id", 1, INT64_MAX, id, err)) ||
        (rc = get_string(a, "account", "name", STR_REQUIRED, name, err)))
        return rc;
    return 0;
}

/* The token document of register, refresh and the device flow. */
static int fill_device(const cJSON *root, struct catalog_device *device, char *err)
{
    int rc;
    if ((rc = get_string(root, "", "token", STR_REQUIRED | STR_NONEMPTY, &device->token, err)) ||
        (rc = get_string(root, "", "device_id", STR_REQUIRED | STR_NONEMPTY, &device->device_id,
                         err)) ||
        (rc = get_string(root, "", "refresh_token", STR_NONEMPTY, &device->refresh_token, err)) ||
        (rc = get_int64_opt(root, "", "expires_in", 0, INT64_MAX, 0, &device->expires_in, err)) ||
        (rc = parse_account(root, &device->account_id, &device->account_name, err)))
        return rc;
    return 0;
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
    if ((rc = fill_device(root, device, err)))
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

/* ---- issue 3 documents ---- */

/* The shape every issue-3 parser shares: parse the root object, calloc size bytes, fill them
 * with fill(root, status, obj, err), release them on failure. */
typedef int (*fill_fn)(const cJSON *root, long status, void *obj, char *err);
typedef void (*release_fn)(void *obj);

static int parse_doc(const char *json, size_t len, long status, size_t size, fill_fn fill,
                     release_fn release, void **out, char *err)
{
    char dummy[CATALOG_ERR_LEN];
    cJSON *root = NULL;
    void *obj = NULL;
    int rc;

    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if ((rc = doc_begin(json, len, &err, dummy, &root)))
        goto fail;
    obj = calloc(1, size);
    if (!obj) {
        rc = oom(err);
        goto fail;
    }
    if ((rc = fill(root, status, obj, err)))
        goto fail;
    cJSON_Delete(root);
    *out = obj;
    return 0;

fail:
    cJSON_Delete(root);
    if (obj)
        release(obj);
    return rc;
}

/* ---- search ---- */

void catalog_search_free(struct catalog_search *search)
{
    if (!search)
        return;
    free(search->query);
    items_free(search->items, search->n_items);
    free(search);
}

static int fill_search(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_search *search = obj;
    int rc;
    if ((rc = get_string(root, "", "query", 0, &search->query, err)))
        return rc;
    return parse_items(root, "", "items", &search->items, &search->n_items, NULL, err);
}

static void catalog_search_release(void *obj)
{
    catalog_search_free(obj);
}

int catalog_parse_search(const char *json, size_t len, struct catalog_search **out,
                         char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, 0, sizeof(struct catalog_search), fill_search,
                       catalog_search_release, &obj, err);
    *out = obj;
    return rc;
}

/* ---- wallet ---- */

void catalog_wallet_free(struct catalog_wallet *wallet)
{
    if (!wallet)
        return;
    free(wallet->account_name);
    free(wallet);
}

static int fill_wallet(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_wallet *w = obj;
    const cJSON *expiry = NULL, *vip = NULL, *checkin = NULL;
    int rc;
    if ((rc = get_int64(root, "", "coins", 0, INT64_MAX, &w->coins, err)) ||
        (rc = get_int64(root, "", "bonus_coins", 0, INT64_MAX, &w->bonus_coins, err)) ||
        (rc = get_object(root, "", "bonus_expiry", false, &expiry, err)))
        return rc;
    if (expiry && ((rc = get_int64(expiry, "bonus_expiry", "amount", 0, INT64_MAX,
                                   &w->bonus_expiring, err)) ||
                   (rc = get_int64(expiry, "bonus_expiry", "expires_at", 0, INT64_MAX,
                                   &w->bonus_expires_at, err))))
        return rc;
    if ((rc = get_object(root, "", "vip", true, &vip, err)) ||
        (rc = get_bool(vip, "vip", "active", true, &w->vip_active, err)) ||
        (rc = get_int64_opt(vip, "vip", "expires_at", 0, INT64_MAX, 0, &w->vip_expires_at, err)) ||
        (rc = get_int(root, "", "ads_left_today", 0, &w->ads_left_today, err)) ||
        (rc = get_int_opt(root, "", "ads_per_day", 0, -1, &w->ads_per_day, err)) ||
        (rc = get_object(root, "", "checkin", true, &checkin, err)) ||
        (rc =
             get_bool(checkin, "checkin", "claimed_today", true, &w->checkin_claimed_today, err)) ||
        (rc = get_int(checkin, "checkin", "streak", 0, &w->checkin_streak, err)) ||
        (rc =
             get_int_opt(checkin, "checkin", "next_reward", 0, -1, &w->checkin_next_reward, err)) ||
        (rc = parse_account(root, &w->account_id, &w->account_name, err)))
        return rc;
    return 0;
}

static void catalog_wallet_release(void *obj)
{
    catalog_wallet_free(obj);
}

int catalog_parse_wallet(const char *json, size_t len, struct catalog_wallet **out,
                         char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, 0, sizeof(struct catalog_wallet), fill_wallet,
                       catalog_wallet_release, &obj, err);
    *out = obj;
    return rc;
}

/* ---- unlock ---- */

void catalog_unlock_free(struct catalog_unlock *unlock)
{
    if (!unlock)
        return;
    free(unlock->episode_id);
    free(unlock);
}

static int fill_unlock(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_unlock *u = obj;
    static const struct name_value states[] = {
        {"free", CATALOG_FREE},
        {"unlocked", CATALOG_UNLOCKED},
    };
    static const struct name_value methods[] = {
        {"coins", CATALOG_METHOD_COINS},
        {"ad", CATALOG_METHOD_AD},
        {"vip", CATALOG_METHOD_VIP},
    };
    const cJSON *charged = NULL, *wallet = NULL;
    int state = 0, method = CATALOG_METHOD_NONE;
    int rc;
    if ((rc = get_string(root, "", "episode_id", STR_REQUIRED | STR_NONEMPTY, &u->episode_id,
                         err)) ||
        (rc = get_enum(root, "", "state", states, 2, &state, err)))
        return rc;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "method");
    /* null: a free episode needed no method. */
    if (m && !cJSON_IsNull(m) && (rc = get_enum(root, "", "method", methods, 3, &method, err)))
        return rc;
    if ((rc = get_int(root, "", "price_coins", 0, &u->price_coins, err)) ||
        (rc = get_bool(root, "", "already_unlocked", true, &u->already_unlocked, err)) ||
        (rc = get_object(root, "", "charged", true, &charged, err)) ||
        (rc = get_int64(charged, "charged", "coins", 0, INT64_MAX, &u->charged_coins, err)) ||
        (rc = get_int64(charged, "charged", "bonus_coins", 0, INT64_MAX, &u->charged_bonus, err)) ||
        (rc = get_object(root, "", "wallet", true, &wallet, err)) ||
        (rc = get_int64(wallet, "wallet", "coins", 0, INT64_MAX, &u->coins, err)) ||
        (rc = get_int64(wallet, "wallet", "bonus_coins", 0, INT64_MAX, &u->bonus_coins, err)) ||
        (rc = get_int_opt(wallet, "wallet", "ads_left_today", 0, -1, &u->ads_left_today, err)))
        return rc;
    u->state = (enum catalog_lock)state;
    u->method = (enum catalog_method)method;
    return 0;
}

static void catalog_unlock_release(void *obj)
{
    catalog_unlock_free(obj);
}

int catalog_parse_unlock(const char *json, size_t len, struct catalog_unlock **out,
                         char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, 0, sizeof(struct catalog_unlock), fill_unlock,
                       catalog_unlock_release, &obj, err);
    *out = obj;
    return rc;
}

/* ---- unlock refusals ---- */

void catalog_refusal_free(struct catalog_refusal *refusal)
{
    if (!refusal)
        return;
    free(refusal->code);
    free(refusal->message);
    free(refusal);
}

static int fill_refusal(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_refusal *r = obj;
    int rc;
    if ((rc = get_error_body(root, &r->code, &r->message, err)))
        return rc;
    r->coins = r->bonus_coins = -1;
    r->ads_per_day = -1;
    r->retry_after_s = -1;
    if (status == 402 && strcmp(r->code, "insufficient_coins") == 0) {
        r->kind = CATALOG_REFUSAL_NO_COINS;
        if ((rc = get_int(root, "", "price_coins", 0, &r->price_coins, err)) ||
            (rc = get_int64(root, "", "balance", 0, INT64_MAX, &r->balance, err)) ||
            (rc = get_int64_opt(root, "", "coins", 0, INT64_MAX, -1, &r->coins, err)) ||
            (rc = get_int64_opt(root, "", "bonus_coins", 0, INT64_MAX, -1, &r->bonus_coins, err)))
            return rc;
        return 0;
    }
    if (status == 402 && strcmp(r->code, "vip_required") == 0) {
        const cJSON *vip = NULL;
        r->kind = CATALOG_REFUSAL_NO_VIP;
        if ((rc = get_object(root, "", "vip", false, &vip, err)))
            return rc;
        return vip ? get_int64_opt(vip, "vip", "expires_at", 0, INT64_MAX, 0, &r->vip_expires_at,
                                   err)
                   : 0;
    }
    if (status == 429 && strcmp(r->code, "ad_limit_reached") == 0) {
        r->kind = CATALOG_REFUSAL_AD_LIMIT;
        if ((rc = get_int_opt(root, "", "ads_per_day", 0, -1, &r->ads_per_day, err)) ||
            (rc = get_int64_opt(root, "", "retry_after", 0, INT64_MAX, -1, &r->retry_after_s, err)))
            return rc;
        return 0;
    }
    if (status == 409 && strcmp(r->code, "idempotency_conflict") == 0)
        r->kind = CATALOG_REFUSAL_CONFLICT;
    else if (status == 429)
        r->kind = CATALOG_REFUSAL_RATE_LIMIT;
    else
        r->kind = CATALOG_REFUSAL_OTHER;
    return 0;
}

static void catalog_refusal_release(void *obj)
{
    catalog_refusal_free(obj);
}

int catalog_parse_refusal(long http_status, const char *json, size_t len,
                          struct catalog_refusal **out, char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, http_status, sizeof(struct catalog_refusal), fill_refusal,
                       catalog_refusal_release, &obj, err);
    *out = obj;
    return rc;
}

/* ---- check-in ---- */

void catalog_checkin_free(struct catalog_checkin *checkin)
{
    free(checkin);
}

static int fill_checkin(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_checkin *c = obj;
    const cJSON *wallet = NULL;
    int rc;
    c->coins = c->bonus_coins = -1;
    if (status == 409) {
        char *code = NULL, *message = NULL;
        rc = get_error_body(root, &code, &message, err);
        bool claimed = rc == 0 && strcmp(code, "already_claimed") == 0;
        free(code);
        free(message);
        if (rc)
            return rc;
        if (!claimed)
            return set_err(err, "error.code: expected \"already_claimed\"");
        c->already_claimed = true;
        if ((rc = get_int(root, "", "streak", 0, &c->streak, err)) ||
            (rc = get_int_opt(root, "", "next_reward", 0, -1, &c->next_reward, err)))
            return rc;
        return 0;
    }
    if (status != 200)
        return set_err(err, "unexpected HTTP status %ld", status);
    if ((rc = get_int(root, "", "reward_bonus_coins", 0, &c->reward_bonus_coins, err)) ||
        (rc = get_int(root, "", "streak", 0, &c->streak, err)) ||
        (rc = get_int64(root, "", "expires_at", 0, INT64_MAX, &c->expires_at, err)) ||
        (rc = get_int_opt(root, "", "next_reward", 0, -1, &c->next_reward, err)) ||
        (rc = get_object(root, "", "wallet", true, &wallet, err)) ||
        (rc = get_int64(wallet, "wallet", "coins", 0, INT64_MAX, &c->coins, err)) ||
        (rc = get_int64(wallet, "wallet", "bonus_coins", 0, INT64_MAX, &c->bonus_coins, err)))
        return rc;
    return 0;
}

static void catalog_checkin_release(void *obj)
{
    catalog_checkin_free(obj);
}

int catalog_parse_checkin(long http_status, const char *json, size_t len,
                          struct catalog_checkin **out, char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, http_status, sizeof(struct catalog_checkin), fill_checkin,
                       catalog_checkin_release, &obj, err);
    *out = obj;
    return rc;
}

/* ---- packs and checkout ---- */

static void pack_clear(struct catalog_pack *pack)
{
    free(pack->id);
    free(pack->title);
    free(pack->currency);
    free(pack->price);
}

static int parse_pack(const cJSON *j, const char *path, struct catalog_pack *pack, char *err)
{
    int rc;
    if (!cJSON_IsObject(j))
        return set_err(err, "%s: expected an object", path);
    if ((rc = get_string(j, path, "id", STR_REQUIRED | STR_NONEMPTY, &pack->id, err)) ||
        (rc = get_string(j, path, "title", STR_REQUIRED, &pack->title, err)) ||
        (rc = get_int(j, path, "coins", 0, &pack->coins, err)) ||
        (rc = get_int(j, path, "bonus_coins", 0, &pack->bonus_coins, err)) ||
        (rc = get_int_opt(j, path, "bonus_days", 0, 0, &pack->bonus_days, err)) ||
        (rc = get_int(j, path, "vip_days", 0, &pack->vip_days, err)) ||
        (rc = get_int(j, path, "price_cents", 0, &pack->price_cents, err)) ||
        (rc = get_string(j, path, "currency", STR_REQUIRED | STR_NONEMPTY, &pack->currency, err)) ||
        (rc = get_string(j, path, "price", STR_REQUIRED | STR_NONEMPTY, &pack->price, err)))
        return rc;
    return 0;
}

void catalog_packs_free(struct catalog_packs *packs)
{
    if (!packs)
        return;
    for (size_t i = 0; i < packs->n_packs; i++)
        pack_clear(&packs->packs[i]);
    free(packs->packs);
    free(packs);
}

static int fill_packs(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_packs *packs = obj;
    const cJSON *arr = get_array(root, "", "packs", err);
    if (!arr)
        return BINGE_EPARSE;
    size_t n = array_len(arr);
    if (n == 0)
        return 0;
    packs->packs = calloc(n, sizeof(*packs->packs));
    if (!packs->packs)
        return oom(err);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char path[PATH_LEN];
        snprintf(path, sizeof(path), "packs[%zu]", packs->n_packs);
        int rc = parse_pack(it, path, &packs->packs[packs->n_packs++], err);
        if (rc)
            return rc;
    }
    return 0;
}

static void catalog_packs_release(void *obj)
{
    catalog_packs_free(obj);
}

int catalog_parse_packs(const char *json, size_t len, struct catalog_packs **out,
                        char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, 0, sizeof(struct catalog_packs), fill_packs,
                       catalog_packs_release, &obj, err);
    *out = obj;
    return rc;
}

/* ---- wallet history ---- */

void catalog_wallet_history_free(struct catalog_wallet_history *history)
{
    if (!history)
        return;
    for (size_t i = 0; i < history->n_items; i++) {
        struct catalog_ledger_item *it = &history->items[i];
        free(it->episode_id);
        free(it->series_title);
        free(it->pack_id);
        free(it->pack_title);
    }
    free(history->items);
    free(history);
}

static int parse_ledger_item(const cJSON *j, const char *path, struct catalog_ledger_item *it,
                             char *err)
{
    static const struct name_value kinds[] = {
        {"unlock", CATALOG_LEDGER_UNLOCK},
        {"purchase", CATALOG_LEDGER_PURCHASE},
        {"checkin", CATALOG_LEDGER_CHECKIN},
        {"welcome", CATALOG_LEDGER_WELCOME},
        {"welcome_return", CATALOG_LEDGER_WELCOME_RETURN},
    };
    static const struct name_value methods[] = {
        {"coins", CATALOG_METHOD_COINS},
        {"ad", CATALOG_METHOD_AD},
        {"vip", CATALOG_METHOD_VIP},
    };
    const cJSON *pack = NULL;
    char *kind = NULL;
    int method = CATALOG_METHOD_NONE, rc;
    if (!cJSON_IsObject(j))
        return set_err(err, "%s: expected an object", path);
    if ((rc = get_int64(j, path, "time", 0, INT64_MAX, &it->time, err)) ||
        (rc = get_string(j, path, "kind", STR_REQUIRED | STR_NONEMPTY, &kind, err)))
        return rc;
    /* A kind added to the server later is still a change of the balance: shown, not refused. */
    it->kind = CATALOG_LEDGER_OTHER;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kind, kinds[i].name) == 0)
            it->kind = (enum catalog_ledger_kind)kinds[i].value;
    free(kind);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "method");
    if (m && !cJSON_IsNull(m) && (rc = get_enum(j, path, "method", methods, 3, &method, err)))
        return rc;
    it->method = (enum catalog_method)method;
    if ((rc = get_int64(j, path, "coins", INT64_MIN / 2, INT64_MAX / 2, &it->coins, err)) ||
        (rc = get_int64(j, path, "bonus_coins", INT64_MIN / 2, INT64_MAX / 2, &it->bonus_coins,
                        err)) ||
        (rc = get_int64_opt(j, path, "bonus_expires_at", 0, INT64_MAX, 0, &it->bonus_expires_at,
                            err)) ||
        (rc = get_string(j, path, "episode_id", 0, &it->episode_id, err)) ||
        (rc = get_int_opt(j, path, "episode_index", 0, 0, &it->episode_index, err)) ||
        (rc = get_string(j, path, "series_title", 0, &it->series_title, err)) ||
        (rc = get_object(j, path, "pack", false, &pack, err)))
        return rc;
    if (pack) {
        char ppath[PATH_LEN + 8];
        snprintf(ppath, sizeof(ppath), "%s.pack", path);
        if ((rc = get_string(pack, ppath, "id", STR_REQUIRED | STR_NONEMPTY, &it->pack_id, err)) ||
            (rc = get_string(pack, ppath, "title", 0, &it->pack_title, err)) ||
            (rc = get_int_opt(pack, ppath, "vip_days", 0, 0, &it->pack_vip_days, err)))
            return rc;
    }
    return 0;
}

static int fill_wallet_history(const cJSON *root, long status, void *obj, char *err)
{
    (void)status;
    struct catalog_wallet_history *h = obj;
    const cJSON *arr = get_array(root, "", "items", err);
    if (!arr)
        return BINGE_EPARSE;
    size_t n = array_len(arr);
    if (n == 0)
        return 0;
    h->items = calloc(n, sizeof(*h->items));
    if (!h->items)
        return oom(err);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char path[PATH_LEN];
        snprintf(path, sizeof(path), "items[%zu]", h->n_items + h->n_dropped);
        struct catalog_ledger_item *item = &h->items[h->n_items];
        char item_err[CATALOG_ERR_LEN] = "";
        if (parse_ledger_item(it, path, item, item_err) == 0) {
            h->n_items++;
            continue;
        }
        /* One bad row is left out; the ledger is still worth showing. */
        free(item->episode_id);
        free(item->series_title);
        free(item->pack_id);
        free(item->pack_title);
        memset(item, 0, sizeof(*item));
        if (h->n_dropped++ == 0)
            snprintf(h->dropped, sizeof(h->dropped), "%s", item_err);
    }
    return 0;
}

static void catalog_wallet_history_release(void *obj)
{
    catalog_wallet_history_free(obj);
}

int catalog_parse_wallet_history(const char *json, size_t len, struct catalog_wallet_history **out,
                                 char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, 0, sizeof(struct catalog_wallet_history), fill_wallet_history,
                       catalog_wallet_history_release, &obj, err);
    *out = obj;
    return rc;
}

void catalog_purchase_free(struct catalog_purchase *purchase)
{
    if (!purchase)
        return;
    free(purchase->id);
    free(purchase->qr_url);
    pack_clear(&purchase->pack);
    free(purchase);
}

static int fill_purchase(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_purchase *p = obj;
    static const struct name_value statuses[] = {
        {"pending", CATALOG_PURCHASE_PENDING},
        {"completed", CATALOG_PURCHASE_COMPLETED},
        {"expired", CATALOG_PURCHASE_EXPIRED},
    };
    const cJSON *pack = NULL;
    int state = 0;
    int rc;
    if ((rc = get_string(root, "", "id", STR_REQUIRED | STR_NONEMPTY, &p->id, err)) ||
        (rc = get_string(root, "", "qr_url", STR_REQUIRED | STR_URL, &p->qr_url, err)) ||
        (rc = get_enum(root, "", "status", statuses, 3, &state, err)) ||
        (rc = get_int64(root, "", "expires_at", 0, INT64_MAX, &p->expires_at, err)) ||
        (rc = get_int64_opt(root, "", "completed_at", 0, INT64_MAX, 0, &p->completed_at, err)) ||
        (rc = get_object(root, "", "pack", true, &pack, err)) ||
        (rc = parse_pack(pack, "pack", &p->pack, err)))
        return rc;
    p->status = (enum catalog_purchase_status)state;
    return 0;
}

static void catalog_purchase_release(void *obj)
{
    catalog_purchase_free(obj);
}

int catalog_parse_purchase(const char *json, size_t len, struct catalog_purchase **out,
                           char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, 0, sizeof(struct catalog_purchase), fill_purchase,
                       catalog_purchase_release, &obj, err);
    *out = obj;
    return rc;
}

/* ---- device flow ---- */

void catalog_device_code_free(struct catalog_device_code *code)
{
    if (!code)
        return;
    free(code->device_code);
    free(code->user_code);
    free(code->verification_uri);
    free(code->verification_uri_complete);
    free(code);
}

static int fill_device_code(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_device_code *c = obj;
    int rc;
    if ((rc = get_string(root, "", "device_code", STR_REQUIRED | STR_NONEMPTY, &c->device_code,
                         err)) ||
        (rc = get_string(root, "", "user_code", STR_REQUIRED | STR_NONEMPTY, &c->user_code, err)) ||
        (rc = get_string(root, "", "verification_uri", STR_REQUIRED | STR_URL, &c->verification_uri,
                         err)) ||
        (rc = get_string(root, "", "verification_uri_complete", STR_URL,
                         &c->verification_uri_complete, err)) ||
        (rc = get_int(root, "", "expires_in", 1, &c->expires_in, err)) ||
        /* RFC 8628 3.2: "If no value is provided, clients MUST use 5 as the default." */
        (rc = get_int_opt(root, "", "interval", 1, 5, &c->interval, err)))
        return rc;
    return 0;
}

static void catalog_device_code_release(void *obj)
{
    catalog_device_code_free(obj);
}

int catalog_parse_device_code(const char *json, size_t len, struct catalog_device_code **out,
                              char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, 0, sizeof(struct catalog_device_code), fill_device_code,
                       catalog_device_code_release, &obj, err);
    *out = obj;
    return rc;
}

void catalog_token_poll_free(struct catalog_token_poll *poll)
{
    if (!poll)
        return;
    catalog_device_free(poll->tokens);
    free(poll->code);
    free(poll->message);
    free(poll);
}

static int fill_token_poll(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_token_poll *p = obj;
    static const struct {
        const char *code;
        enum catalog_token_status status;
    } codes[] = {
        {"authorization_pending", CATALOG_TOKEN_PENDING},
        {"slow_down", CATALOG_TOKEN_SLOW_DOWN},
        {"expired_token", CATALOG_TOKEN_EXPIRED},
        {"access_denied", CATALOG_TOKEN_DENIED},
    };
    int rc;
    if (status == 200) {
        p->status = CATALOG_TOKEN_OK;
        p->tokens = calloc(1, sizeof(*p->tokens));
        if (!p->tokens)
            return oom(err);
        return fill_device(root, p->tokens, err);
    }
    if (status != 400)
        return set_err(err, "unexpected HTTP status %ld", status);
    if ((rc = get_error_body(root, &p->code, &p->message, err)))
        return rc;
    p->status = CATALOG_TOKEN_FAILED;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (strcmp(p->code, codes[i].code) == 0)
            p->status = codes[i].status;
    }
    /* RFC 8628 3.5: slow_down adds 5 s; the reference server also says the new interval. */
    if (p->status == CATALOG_TOKEN_SLOW_DOWN)
        return get_int_opt(root, "", "interval", 1, 0, &p->interval, err);
    return 0;
}

static void catalog_token_poll_release(void *obj)
{
    catalog_token_poll_free(obj);
}

int catalog_parse_token_poll(long http_status, const char *json, size_t len,
                             struct catalog_token_poll **out, char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, http_status, sizeof(struct catalog_token_poll), fill_token_poll,
                       catalog_token_poll_release, &obj, err);
    *out = obj;
    return rc;
}

/* ---- progress ---- */

void catalog_progress_ack_free(struct catalog_progress_ack *ack)
{
    if (!ack)
        return;
    for (size_t i = 0; i < ack->n_results; i++)
        free(ack->results[i].event_id);
    free(ack->results);
    free(ack);
}

static int fill_progress_ack(const cJSON *root, long status, void *obj, char *err)
{
    struct catalog_progress_ack *ack = obj;
    static const struct {
        const char *name;
        enum catalog_progress_status status;
    } statuses[] = {
        {"applied", CATALOG_PROGRESS_APPLIED},
        {"stale", CATALOG_PROGRESS_STALE},
        {"duplicate", CATALOG_PROGRESS_DUPLICATE},
        {"unknown_episode", CATALOG_PROGRESS_UNKNOWN},
    };
    int rc;
    const cJSON *arr = get_array(root, "", "results", err);
    if (!arr)
        return BINGE_EPARSE;
    if ((rc = get_int_opt(root, "", "applied", 0, -1, &ack->applied, err)))
        return rc;
    size_t n = array_len(arr);
    if (n == 0)
        return 0;
    ack->results = calloc(n, sizeof(*ack->results));
    if (!ack->results)
        return oom(err);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        char path[PATH_LEN];
        snprintf(path, sizeof(path), "results[%zu]", ack->n_results);
        if (!cJSON_IsObject(it))
            return set_err(err, "%s: expected an object", path);
        struct catalog_progress_result *r = &ack->results[ack->n_results++];
        char *name = NULL;
        if ((rc = get_string(it, path, "event_id", STR_REQUIRED | STR_NONEMPTY, &r->event_id,
                             err)) ||
            (rc = get_string(it, path, "status", STR_REQUIRED | STR_NONEMPTY, &name, err)))
            return rc;
        /* A status added later still means the server has the event. */
        r->status = CATALOG_PROGRESS_OTHER;
        for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
            if (strcmp(name, statuses[i].name) == 0)
                r->status = statuses[i].status;
        }
        free(name);
    }
    return 0;
}

static void catalog_progress_ack_release(void *obj)
{
    catalog_progress_ack_free(obj);
}

int catalog_parse_progress_ack(const char *json, size_t len, struct catalog_progress_ack **out,
                               char err[CATALOG_ERR_LEN])
{
    void *obj = NULL;
    if (!out)
        return BINGE_EINVAL;
    int rc = parse_doc(json, len, 0, sizeof(struct catalog_progress_ack), fill_progress_ack,
                       catalog_progress_ack_release, &obj, err);
    *out = obj;
    return rc;
}

/* ---- request bodies ---- */

/* 1..max of A-Z a-z 0-9 . _ : - (idempotency keys, event ids, device ids). */
static bool key_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

/* Catalog ids: 1..128 of a-z 0-9 -. */
static bool id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    }
    return true;
}

/* 1..max visible ASCII characters (tokens, device codes). */
static bool visible_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return false;
    }
    return true;
}

/* cJSON prints numbers beyond int with "%1.15g" and may drop digits (9007199254740992 becomes
 * 9.00719925474099e+15); positions and timestamps go out as exact decimal integers instead. */
static bool add_int64(cJSON *obj, const char *key, int64_t v)
{
    char text[24];
    snprintf(text, sizeof(text), "%lld", (long long)v);
    return cJSON_AddRawToObject(obj, key, text) != NULL;
}

/* Renders and frees doc (NULL means it could not be built: out of memory). */
static int finish_body(cJSON *doc, char **out)
{
    char *text = doc ? cJSON_PrintUnformatted(doc) : NULL;
    cJSON_Delete(doc);
    if (!text)
        return BINGE_ENOMEM;
    /* cJSON allocates with its own hooks; hand out plain malloc memory. */
    *out = util_strdup(text);
    cJSON_free(text);
    return *out ? 0 : BINGE_ENOMEM;
}

/* A one-member object {key: value}, or two with key2/value2 non-NULL. */
static int string_body(const char *key, const char *value, const char *key2, const char *value2,
                       char **out)
{
    cJSON *doc = cJSON_CreateObject();
    if (doc && ((key && !cJSON_AddStringToObject(doc, key, value)) ||
                (key2 && !cJSON_AddStringToObject(doc, key2, value2)))) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    return finish_body(doc, out);
}

int catalog_build_unlock(enum catalog_method method, const char *idempotency_key, char **out)
{
    const char *name = method == CATALOG_METHOD_COINS ? "coins"
                       : method == CATALOG_METHOD_AD  ? "ad"
                       : method == CATALOG_METHOD_VIP ? "vip"
                                                      : NULL;
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if (!name || !key_ok(idempotency_key, CATALOG_IDEMPOTENCY_KEY_MAX))
        return BINGE_EINVAL;
    return string_body("method", name, "idempotency_key", idempotency_key, out);
}

int catalog_build_progress(const struct catalog_progress_item *items, size_t n, char **out)
{
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if (!items || n == 0 || n > CATALOG_PROGRESS_BATCH_MAX)
        return BINGE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        const struct catalog_progress_item *it = &items[i];
        if (!id_ok(it->episode_id) || !key_ok(it->event_id, CATALOG_EVENT_ID_MAX) ||
            it->position_ms < 0 || it->position_ms > CATALOG_PROGRESS_MS_MAX ||
            it->duration_ms < 0 || it->duration_ms > CATALOG_PROGRESS_MS_MAX ||
            it->updated_at_ms < 0 || it->updated_at_ms > CATALOG_TIME_MS_MAX)
            return BINGE_EINVAL;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON *arr = doc ? cJSON_AddArrayToObject(doc, "items") : NULL;
    for (size_t i = 0; arr && i < n; i++) {
        const struct catalog_progress_item *it = &items[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "episode_id", it->episode_id) ||
            !cJSON_AddStringToObject(o, "event_id", it->event_id) ||
            !add_int64(o, "position_ms", it->position_ms) ||
            !add_int64(o, "duration_ms", it->duration_ms) ||
            !add_int64(o, "updated_at", it->updated_at_ms) || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o); /* not in the array yet, so ours to free */
            arr = NULL;
        }
    }
    if (!arr) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    return finish_body(doc, out);
}

int catalog_build_register(const char *device_id, const char *refresh_token, char **out)
{
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if (device_id && !key_ok(device_id, CATALOG_DEVICE_ID_MAX))
        return BINGE_EINVAL;
    if (refresh_token && !visible_ok(refresh_token, 512))
        return BINGE_EINVAL;
    if (!device_id)
        return string_body(refresh_token ? "refresh_token" : NULL, refresh_token, NULL, NULL, out);
    return string_body("device_id", device_id, refresh_token ? "refresh_token" : NULL,
                       refresh_token, out);
}

int catalog_build_refresh(const char *refresh_token, char **out)
{
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if (!visible_ok(refresh_token, 512))
        return BINGE_EINVAL;
    return string_body("refresh_token", refresh_token, NULL, NULL, out);
}

int catalog_build_device_token(const char *device_code, char **out)
{
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    if (!visible_ok(device_code, 512))
        return BINGE_EINVAL;
    return string_body("device_code", device_code, "grant_type",
                       "urn:ietf:params:oauth:grant-type:device_code", out);
}

int catalog_build_purchase(const char *pack_id, char **out)
{
    if (!out)
        return BINGE_EINVAL;
    *out = NULL;
    size_t n = pack_id ? strlen(pack_id) : 0;
    if (n == 0 || n > 64)
        return BINGE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)pack_id[i] < 0x20 || pack_id[i] == 0x7f)
            return BINGE_EINVAL;
    }
    return string_body("pack_id", pack_id, NULL, NULL, out);
}
