/* The catalog side of the API: home, series, search, play, and the content files (media,
 * images, keys) behind signed URLs. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api_internal.h"
#include "binge/error.h"
#include "db.h"
#include "lang.h"
#include "media_open.h"
#include "sign.h"
#include "slog.h"

/* Search bounds: query bytes and result count. */
#define SEARCH_QUERY_MAX 100
#define SEARCH_LIMIT_DEFAULT 20
#define SEARCH_LIMIT_MAX 50

/* ---- home --------------------------------------------------------------------------------- */

static cJSON *add_shelf(cJSON *shelves, const char *id, const char *title)
{
    cJSON *shelf = cJSON_CreateObject();

    if (!shelf || !cJSON_AddItemToArray(shelves, shelf)) {
        cJSON_Delete(shelf);
        return NULL;
    }
    if (!cJSON_AddStringToObject(shelf, "id", id) ||
        !cJSON_AddStringToObject(shelf, "title", title))
        return NULL;
    return cJSON_AddArrayToObject(shelf, "items");
}

cJSON *api_series_item(const struct api_call *c, cJSON *items, const struct db_series *s,
                       const struct db_genre_row *genres, size_t n_genres)
{
    cJSON *item = cJSON_CreateObject();
    cJSON *names;

    if (!item || !cJSON_AddItemToArray(items, item)) {
        cJSON_Delete(item);
        return NULL;
    }
    /* Everything a card and the hero of the focused card show, so home needs no request per
     * focused series. */
    if (!cJSON_AddStringToObject(item, "id", s->id) ||
        !cJSON_AddStringToObject(item, "title", s->title) ||
        !cJSON_AddItemToObject(item, "poster_url",
                               api_file_url(c->api, c->req, "/images/", s->poster)) ||
        !cJSON_AddNumberToObject(item, "episode_count", s->episode_count) ||
        !cJSON_AddStringToObject(item, "synopsis", s->synopsis) ||
        !(names = cJSON_AddArrayToObject(item, "genres")) ||
        !cJSON_AddNumberToObject(item, "free_episodes", s->free_episodes) ||
        !cJSON_AddNumberToObject(item, "total_duration_s", (double)s->total_duration_s))
        return NULL;
    for (size_t i = 0; i < n_genres; i++) {
        if (strcmp(genres[i].series_id, s->id) == 0 &&
            !cJSON_AddItemToArray(names, cJSON_CreateString(genres[i].name)))
            return NULL;
    }
    return item;
}

const struct db_series *api_find_series(const struct db_series *list, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].id, id) == 0)
            return &list[i];
    }
    return NULL;
}

/* "genre-" + the genre lowercased, non-alphanumerics as '-'. */
static void genre_shelf_id(const char *genre, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "genre-");

    for (const unsigned char *p = (const unsigned char *)genre; *p && o + 1 < cap; p++) {
        if (*p >= 'A' && *p <= 'Z')
            out[o++] = (char)(*p - 'A' + 'a');
        else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            out[o++] = (char)*p;
        else
            out[o++] = '-';
    }
    out[o] = '\0';
}

static bool add_continue_shelf(const struct api_call *c, cJSON *shelves,
                               const struct db_series *list, size_t n,
                               const struct db_genre_row *genres, size_t n_genres,
                               const struct db_continue_item *cont, size_t n_cont)
{
    cJSON *items;

    if (n_cont == 0)
        return true;
    items = add_shelf(shelves, "continue", lang_text(c->lang, LANG_TEXT_CONTINUE));
    if (!items)
        return false;
    for (size_t i = 0; i < n_cont; i++) {
        const struct db_series *s = api_find_series(list, n, cont[i].series_id);
        cJSON *item;
        if (!s)
            continue;
        item = api_series_item(c, items, s, genres, n_genres);
        if (!item || !cJSON_AddStringToObject(item, "episode_id", cont[i].episode_id) ||
            !cJSON_AddNumberToObject(item, "episode_index", cont[i].episode_index) ||
            !cJSON_AddNumberToObject(item, "resume_ms", (double)cont[i].resume_ms) ||
            !cJSON_AddNumberToObject(item, "duration_ms", (double)cont[i].duration_ms))
            return false;
    }
    return true;
}

static bool add_genre_shelves(const struct api_call *c, cJSON *shelves,
                              const struct db_series *list, size_t n,
                              const struct db_genre_row *rows, size_t n_rows)
{
    /* Shelves in order of the genres' first appearance; each lists its series in catalog
     * order, which is the order of rows. */
    for (size_t i = 0; i < n_rows; i++) {
        char id[96];
        cJSON *items;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(rows[k].genre, rows[i].genre) == 0;
        if (seen)
            continue;
        genre_shelf_id(rows[i].genre, id, sizeof(id));
        items = add_shelf(shelves, id, rows[i].name);
        if (!items)
            return false;
        for (size_t k = i; k < n_rows; k++) {
            const struct db_series *s;
            if (strcmp(rows[k].genre, rows[i].genre) != 0)
                continue;
            s = api_find_series(list, n, rows[k].series_id);
            if (s && !api_series_item(c, items, s, rows, n_rows))
                return false;
        }
    }
    return true;
}

void api_handle_home(struct api_call *c)
{
    struct db_series *list = NULL;
    struct db_genre_row *genres = NULL;
    struct db_continue_item *cont = NULL;
    size_t n = 0;
    size_t n_genres = 0;
    size_t n_cont = 0;
    cJSON *root = NULL;
    cJSON *shelves;
    cJSON *items;
    bool have;
    int rc;

    if (!api_optional_auth(c, &have))
        return;
    rc = db_list_series(c->api->db, c->lang, &list, &n);
    if (rc == 0)
        rc = db_list_genres(c->api->db, c->lang, &genres, &n_genres);
    if (rc == 0 && have)
        rc = db_continue_list(c->api->db, c->who.owner, &cont, &n_cont);
    if (rc < 0) {
        api_internal_error(c->resp, "home", rc);
        goto out;
    }
    root = cJSON_CreateObject();
    shelves = cJSON_AddArrayToObject(root, "shelves");
    if (!shelves || !add_continue_shelf(c, shelves, list, n, genres, n_genres, cont, n_cont))
        goto nomem;
    if (have) {
        rc = api_mylist_shelf(c, shelves, list, n, genres, n_genres);
        if (rc == BINGE_ENOMEM)
            goto nomem;
        if (rc < 0) {
            api_internal_error(c->resp, "home my list", rc);
            goto out;
        }
    }
    items = add_shelf(shelves, "trending", lang_text(c->lang, LANG_TEXT_TRENDING));
    for (size_t i = 0; items && i < n; i++) {
        if (!api_series_item(c, items, &list[i], genres, n_genres))
            goto nomem;
    }
    if (items)
        items = add_shelf(shelves, "new", lang_text(c->lang, LANG_TEXT_NEW));
    /* "new" is the catalog newest first: the reverse of catalog order. */
    for (size_t i = n; items && i > 0; i--) {
        if (!api_series_item(c, items, &list[i - 1], genres, n_genres))
            goto nomem;
    }
    if (!items || !add_genre_shelves(c, shelves, list, n, genres, n_genres))
        goto nomem;
    c->resp->vary = API_VARY;
    c->resp->content_language = c->lang;
    api_respond_json(c->resp, 200, root);
    root = NULL;
    api_etag(c);
    goto out;

nomem:
    api_internal_error(c->resp, "home document", BINGE_ENOMEM);
out:
    cJSON_Delete(root);
    db_series_list_free(list, n);
    db_genre_list_free(genres, n_genres);
    db_continue_list_free(cont, n_cont);
}

/* ---- series ------------------------------------------------------------------------------- */

static const char *episode_state(const struct db_episode *e)
{
    if (e->price_coins == 0)
        return "free";
    return e->unlocked ? "unlocked" : "locked";
}

/* Finished by the rule of resume (95% or more of the duration the player reported, or of the
 * catalog's duration when it reported none). */
static bool episode_watched(const struct db_episode *e)
{
    long long dur =
        e->progress_duration_ms > 0 ? e->progress_duration_ms : (long long)e->duration_s * 1000;
    return e->position_ms > 0 && db_progress_finished(e->position_ms, dur);
}

static bool add_episode(const struct api_call *c, cJSON *episodes, const struct db_episode *e)
{
    cJSON *item = cJSON_CreateObject();
    char title[64];

    /* An episode without a title of its own is "Episode N" in the caller's language. */
    if (!e->title[0])
        lang_format_count(c->lang, LANG_TEXT_EPISODE, e->index, title, sizeof(title));

    if (!item || !cJSON_AddItemToArray(episodes, item)) {
        cJSON_Delete(item);
        return false;
    }
    return cJSON_AddStringToObject(item, "id", e->id) &&
           cJSON_AddNumberToObject(item, "index", e->index) &&
           cJSON_AddStringToObject(item, "title", e->title[0] ? e->title : title) &&
           cJSON_AddNumberToObject(item, "duration_s", e->duration_s) &&
           cJSON_AddItemToObject(item, "thumb_url",
                                 api_file_url(c->api, c->req, "/images/", e->thumb)) &&
           cJSON_AddStringToObject(item, "state", episode_state(e)) &&
           cJSON_AddNumberToObject(item, "price_coins", e->price_coins) &&
           cJSON_AddNumberToObject(item, "position_ms", (double)e->position_ms) &&
           cJSON_AddBoolToObject(item, "watched", episode_watched(e));
}

/* "resume": where the caller goes on with the series (db_series_resume), null for a caller
 * without a token or progress in it. Responds itself on a failure and returns false. */
static bool add_resume(struct api_call *c, cJSON *root, bool have, const char *series_id)
{
    struct db_continue_item r;
    bool found = false;
    cJSON *obj;
    int rc = have ? db_series_resume(c->api->db, c->who.owner, series_id, &found, &r) : 0;

    if (rc < 0) {
        api_internal_error(c->resp, "series resume", rc);
        return false;
    }
    if (!found) {
        if (cJSON_AddNullToObject(root, "resume"))
            return true;
        api_internal_error(c->resp, "series document", BINGE_ENOMEM);
        return false;
    }
    obj = cJSON_AddObjectToObject(root, "resume");
    bool ok = obj && cJSON_AddStringToObject(obj, "episode_id", r.episode_id) &&
              cJSON_AddNumberToObject(obj, "episode_index", r.episode_index) &&
              cJSON_AddNumberToObject(obj, "resume_ms", (double)r.resume_ms);
    free(r.episode_id);
    free(r.series_id);
    if (!ok)
        api_internal_error(c->resp, "series document", BINGE_ENOMEM);
    return ok;
}

void api_handle_series(struct api_call *c)
{
    struct db_series s = {0};
    struct db_episode *eps = NULL;
    struct db_genre_row *genres = NULL;
    size_t n = 0;
    size_t n_genres = 0;
    cJSON *root = NULL;
    cJSON *episodes;
    cJSON *names;
    long long total_s = 0;
    size_t n_free = 0;
    int price = 0;
    bool in_mylist = false;
    bool have;
    int rc;

    if (!api_optional_auth(c, &have))
        return;
    rc = api_is_id(c->param) ? db_get_series(c->api->db, c->param, c->lang, &s) : BINGE_ENOTFOUND;
    if (rc == BINGE_ENOTFOUND) {
        api_error(c->resp, 404, "not_found", "no such series");
        return;
    }
    if (rc == 0)
        rc = db_list_episodes(c->api->db, c->param, have ? c->who.owner : NULL, c->now, &eps, &n);
    if (rc == 0)
        rc = db_list_genres(c->api->db, c->lang, &genres, &n_genres);
    if (rc < 0) {
        api_internal_error(c->resp, "get series", rc);
        goto out;
    }
    /* What the series page shows before the grid: the runtime of it all, the free episodes and
     * the list price of a locked one (every priced episode costs the same list price). */
    for (size_t i = 0; i < n; i++) {
        total_s += eps[i].duration_s;
        if (eps[i].price_coins == 0)
            n_free++;
        else if (price == 0)
            price = eps[i].price_coins;
    }
    if (have)
        rc = db_mylist_has(c->api->db, c->who.owner, s.id, &in_mylist);
    if (rc < 0) {
        api_internal_error(c->resp, "series my list", rc);
        goto out;
    }
    root = cJSON_CreateObject();
    if (!cJSON_AddStringToObject(root, "id", s.id) ||
        !cJSON_AddStringToObject(root, "title", s.title) ||
        !cJSON_AddStringToObject(root, "synopsis", s.synopsis) ||
        !cJSON_AddItemToObject(root, "poster_url",
                               api_file_url(c->api, c->req, "/images/", s.poster)) ||
        !(names = cJSON_AddArrayToObject(root, "genres")) ||
        !cJSON_AddNumberToObject(root, "episode_count", (double)n) ||
        !cJSON_AddNumberToObject(root, "free_episodes", (double)n_free) ||
        !cJSON_AddNumberToObject(root, "total_duration_s", (double)total_s) ||
        !cJSON_AddNumberToObject(root, "episode_price_coins", price) ||
        !cJSON_AddBoolToObject(root, "in_mylist", in_mylist) ||
        !(episodes = cJSON_AddArrayToObject(root, "episodes")))
        goto nomem;
    for (size_t i = 0; i < n_genres; i++) {
        if (strcmp(genres[i].series_id, s.id) == 0 &&
            !cJSON_AddItemToArray(names, cJSON_CreateString(genres[i].name)))
            goto nomem;
    }
    for (size_t i = 0; i < n; i++) {
        if (!add_episode(c, episodes, &eps[i]))
            goto nomem;
    }
    if (!add_resume(c, root, have, s.id))
        goto out;
    c->resp->vary = API_VARY;
    c->resp->content_language = c->lang;
    api_respond_json(c->resp, 200, root);
    root = NULL;
    api_etag(c);
    goto out;

nomem:
    api_internal_error(c->resp, "series document", BINGE_ENOMEM);
out:
    cJSON_Delete(root);
    db_series_clear(&s);
    db_episode_list_free(eps, n);
    db_genre_list_free(genres, n_genres);
}

/* ---- search ------------------------------------------------------------------------------- */

void api_handle_search(struct api_call *c)
{
    const char *q = api_query(c, "q");
    const char *limit_arg = api_query(c, "limit");
    struct db_series *list = NULL;
    struct db_genre_row *genres = NULL;
    size_t n = 0;
    size_t n_genres = 0;
    long limit = SEARCH_LIMIT_DEFAULT;
    char query[SEARCH_QUERY_MAX + 1];
    char *folded = NULL;
    cJSON *root = NULL;
    cJSON *items;
    size_t len;
    bool have;
    int rc;

    if (!api_optional_auth(c, &have))
        return;
    while (q && (*q == ' ' || *q == '\t'))
        q++;
    len = q ? strlen(q) : 0;
    while (len > 0 && (q[len - 1] == ' ' || q[len - 1] == '\t'))
        len--;
    if (len == 0 || len > SEARCH_QUERY_MAX || !lang_utf8_valid(q, len) || memchr(q, '\0', len)) {
        api_error(c->resp, 400, "bad_request", "q must be 1 to 100 bytes of UTF-8 text");
        return;
    }
    memcpy(query, q, len);
    query[len] = '\0';
    if (limit_arg) {
        char *end;
        errno = 0;
        limit = strtol(limit_arg, &end, 10);
        if (errno || end == limit_arg || *end || limit < 1 || limit > SEARCH_LIMIT_MAX) {
            api_error(c->resp, 400, "bad_request", "limit must be 1 to 50");
            return;
        }
    }
    folded = lang_fold(query);
    rc = folded ? db_search_series(c->api->db, folded, c->lang, (size_t)limit, &list, &n)
                : BINGE_ENOMEM;
    if (rc == 0 && n > 0)
        rc = db_list_genres(c->api->db, c->lang, &genres, &n_genres);
    if (rc < 0) {
        api_internal_error(c->resp, "search", rc);
        goto out;
    }
    root = cJSON_CreateObject();
    if (!cJSON_AddStringToObject(root, "query", query) ||
        !(items = cJSON_AddArrayToObject(root, "items")))
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (!api_series_item(c, items, &list[i], genres, n_genres))
            goto nomem;
    }
    c->resp->vary = API_VARY;
    c->resp->content_language = c->lang;
    api_respond_json(c->resp, 200, root);
    root = NULL;
    goto out;

nomem:
    api_internal_error(c->resp, "search document", BINGE_ENOMEM);
out:
    cJSON_Delete(root);
    free(folded);
    db_series_list_free(list, n);
    db_genre_list_free(genres, n_genres);
}

/* ---- play --------------------------------------------------------------------------------- */

static cJSON *locked_doc(const struct db_episode *e, long long coins, long long bonus)
{
    char message[64];
    cJSON *root;
    cJSON *methods;

    snprintf(message, sizeof(message), "Episode %d is locked", e->index);
    root = api_error_doc("payment_required", message);
    if (!root || !cJSON_AddNumberToObject(root, "price_coins", e->price_coins) ||
        !cJSON_AddNumberToObject(root, "balance", (double)(coins + bonus)) ||
        !cJSON_AddNumberToObject(root, "coins", (double)coins) ||
        !cJSON_AddNumberToObject(root, "bonus_coins", (double)bonus) ||
        !(methods = cJSON_AddArrayToObject(root, "unlock_methods")) ||
        !cJSON_AddItemToArray(methods, cJSON_CreateString("coins")) ||
        !cJSON_AddItemToArray(methods, cJSON_CreateString("ad")) ||
        !cJSON_AddItemToArray(methods, cJSON_CreateString("vip"))) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static cJSON *play_doc(const struct api_call *c, const struct db_episode *e, const char *next_id,
                       long long exp, long long resume_ms)
{
    const char *dev = c->who.device_id;
    char sig[SIGN_HEX_LEN + 1];
    char encoded[3 * SIGN_PATH_MAX + 1];
    char url[API_URL_MAX];
    size_t n;
    cJSON *root;

    /* Bound to the device, so the playlists hand out key URLs only this device may use. */
    if (sign_compute_scheme(c->api->secret, c->api->secret_len, SIGN_MEDIA_DEVICE, e->path, exp,
                            dev, sig) < 0 ||
        sign_url_encode_path(e->path, encoded, sizeof(encoded)) < 0)
        return NULL;
    api_base_url(c->api, c->req, url, sizeof(url));
    n = strlen(url);
    snprintf(url + n, sizeof(url) - n, "/media/%s?exp=%lld&dev=%s&sig=%s", encoded, exp, dev, sig);
    root = cJSON_CreateObject();
    if (!cJSON_AddStringToObject(root, "episode_id", e->id) ||
        !cJSON_AddStringToObject(root, "play_url", url) ||
        !cJSON_AddNumberToObject(root, "expires_at", (double)exp) ||
        !cJSON_AddNumberToObject(root, "resume_ms", (double)resume_ms) ||
        !cJSON_AddItemToObject(root, "next_episode_id",
                               next_id ? cJSON_CreateString(next_id) : cJSON_CreateNull()) ||
        !cJSON_AddArrayToObject(root, "subtitles") ||
        !cJSON_AddArrayToObject(root, "audio_tracks")) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

void api_handle_play(struct api_call *c)
{
    struct db_episode e = {0};
    struct db_wallet w;
    char *next_id = NULL;
    long long resume_ms = 0;
    cJSON *doc;
    int rc;

    if (!api_require_auth(c))
        return;
    rc = api_is_id(c->param)
             ? db_get_episode(c->api->db, c->param, c->who.owner, c->now, &e, &next_id)
             : BINGE_ENOTFOUND;
    if (rc == BINGE_ENOTFOUND) {
        api_error(c->resp, 404, "not_found", "no such episode");
        return;
    }
    if (rc < 0) {
        api_internal_error(c->resp, "get episode", rc);
        return;
    }
    if (e.price_coins > 0 && !e.unlocked) {
        rc = db_wallet_get(c->api->db, c->who.owner, c->now, &w);
        if (rc < 0) {
            api_internal_error(c->resp, "balance", rc);
            goto out;
        }
        doc = locked_doc(&e, w.coins, w.bonus_coins);
        if (!doc) {
            api_internal_error(c->resp, "locked document", BINGE_ENOMEM);
            goto out;
        }
        api_respond_json(c->resp, 402, doc);
        goto out;
    }
    rc = db_progress_resume(c->api->db, c->who.owner, e.id, &resume_ms);
    if (rc < 0) {
        api_internal_error(c->resp, "resume position", rc);
        goto out;
    }
    doc = play_doc(c, &e, next_id, c->now + c->api->url_ttl_s, resume_ms);
    if (!doc) {
        api_internal_error(c->resp, "play document", BINGE_ENOMEM);
        goto out;
    }
    api_respond_json(c->resp, 200, doc);
out:
    db_episode_clear(&e);
    free(next_id);
}

/* ---- content files ------------------------------------------------------------------------ */

static const char *path_ext(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');

    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

static const char *content_type_for(const char *path)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {"m3u8", "application/vnd.apple.mpegurl"},
        {"ts", "video/mp2t"},
        {"mp4", "video/mp4"},
        {"m4s", "video/mp4"},
        {"aac", "audio/aac"},
        {"vtt", "text/vtt; charset=utf-8"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
    };
    const char *ext = path_ext(path);

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcasecmp(ext, types[i].ext) == 0)
            return types[i].type;
    }
    return "application/octet-stream";
}

/* Opens media_dir/path as a regular file beneath media_dir (no symlinks, no FIFOs: see
 * media_open.h). Returns the fd or a negative BINGE_E* code. */
static int open_media_file(const struct api *api, const char *path, long long *size)
{
    int fd = media_open_beneath(api->media_dir, path, MEDIA_OPEN_AUTO, size);

    if (fd == BINGE_ENOTFOUND)
        slog_msg(SLOG_DEBUG, "api", "media %s: not a regular file beneath the media root", path);
    return fd;
}

static void respond_file(const struct api *api, const char *path, const char *cache_control,
                         struct api_response *resp)
{
    long long size = 0;
    int fd = open_media_file(api, path, &size);

    if (fd == BINGE_ENOTFOUND) {
        api_error(resp, 404, "not_found", "no such file");
        return;
    }
    if (fd < 0) {
        api_internal_error(resp, "open media file", fd);
        return;
    }
    resp->status = 200;
    resp->content_type = content_type_for(path);
    resp->fd = fd;
    resp->fd_size = size;
    resp->cache_control = cache_control;
}

static int read_fd(int fd, long long size, char **out)
{
    char *buf = malloc((size_t)size + 1);
    size_t got = 0;

    if (!buf)
        return BINGE_ENOMEM;
    while (got < (size_t)size) {
        ssize_t n = read(fd, buf + got, (size_t)size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(buf);
            return BINGE_EIO;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *out = buf;
    return 0;
}

static void respond_playlist(const struct api *api, const char *path, long long exp,
                             const char *device, struct api_response *resp)
{
    long long size = 0;
    char *text = NULL;
    char *out = NULL;
    size_t out_len = 0;
    int fd = open_media_file(api, path, &size);
    int rc;

    if (fd == BINGE_ENOTFOUND) {
        api_error(resp, 404, "not_found", "no such file");
        return;
    }
    if (fd < 0) {
        api_internal_error(resp, "open playlist", fd);
        return;
    }
    if (size > API_PLAYLIST_MAX) {
        close(fd);
        slog_msg(SLOG_ERROR, "api", "playlist %s is larger than %d bytes", path, API_PLAYLIST_MAX);
        api_error(resp, 500, "internal", "playlist too large");
        return;
    }
    rc = read_fd(fd, size, &text);
    close(fd);
    if (rc < 0) {
        api_internal_error(resp, "read playlist", rc);
        return;
    }
    rc = sign_rewrite_playlist_device(api->secret, api->secret_len, path, exp, device, text,
                                      (size_t)size, &out, &out_len);
    free(text);
    if (rc == BINGE_EPARSE) {
        slog_msg(SLOG_ERROR, "api", "playlist %s has a URI outside the media directory", path);
        api_error(resp, 500, "internal", "playlist references a path outside the media directory");
        return;
    }
    if (rc < 0) {
        api_internal_error(resp, "rewrite playlist", rc);
        return;
    }
    free(resp->body);
    resp->status = 200;
    resp->content_type = content_type_for(path);
    resp->body = out;
    resp->body_len = out_len;
    /* The rewritten URLs carry an expiry, so a cached copy would go stale. */
    resp->cache_control = "no-store";
}

static void signature_error(struct api_response *resp, int rc)
{
    api_error(resp, 403, "forbidden",
              rc == BINGE_ETIMEDOUT ? "signed URL expired" : "bad signature");
}

void api_handle_media(struct api_call *c)
{
    const char *dev = api_query(c, "dev");
    const struct api *api = c->api;
    int rc;

    if (!sign_path_is_safe(c->param)) {
        api_error(c->resp, 404, "not_found", "no such file");
        return;
    }
    /* Keys are never media, whatever the signature: only /keys/ re-checks entitlement. */
    if (sign_is_key_file(c->param)) {
        api_error(c->resp, 403, "forbidden", "content keys are served under /keys/ only");
        return;
    }
    if (!c->req->exp || !c->req->sig) {
        api_error(c->resp, 403, "forbidden", "missing signature");
        return;
    }
    rc = sign_verify_scheme(api->secret, api->secret_len, dev ? SIGN_MEDIA_DEVICE : SIGN_MEDIA,
                            c->param, c->req->exp, dev, c->req->sig, c->now);
    if (rc < 0) {
        signature_error(c->resp, rc);
        return;
    }
    if (strcasecmp(path_ext(c->param), "m3u8") == 0)
        /* sign_verify accepted exp, so it is a plain decimal number. */
        respond_playlist(api, c->param, strtoll(c->req->exp, NULL, 10), dev, c->resp);
    else
        respond_file(api, c->param, "private, max-age=3600", c->resp);
}

void api_handle_images(struct api_call *c)
{
    const char *ext = path_ext(c->param);

    /* Unsigned, so only pictures: never a playlist, a segment, a key or catalog.json. */
    if (!sign_path_is_safe(c->param) ||
        (strcasecmp(ext, "png") != 0 && strcasecmp(ext, "jpg") != 0 &&
         strcasecmp(ext, "jpeg") != 0)) {
        api_error(c->resp, 404, "not_found", "no such image");
        return;
    }
    respond_file(c->api, c->param, "public, max-age=3600", c->resp);
}

void api_handle_keys(struct api_call *c)
{
    const char *dev = api_query(c, "dev");
    const struct api *api = c->api;
    struct db_principal who;
    char *episode_id = NULL;
    bool ok = false;
    int rc;

    if (!sign_path_is_safe(c->param) || !sign_is_key_file(c->param)) {
        api_error(c->resp, 404, "not_found", "no such key");
        return;
    }
    if (!c->req->exp || !c->req->sig || !dev) {
        api_error(c->resp, 403, "forbidden", "missing signature");
        return;
    }
    rc = sign_verify_scheme(api->secret, api->secret_len, SIGN_KEY, c->param, c->req->exp, dev,
                            c->req->sig, c->now);
    if (rc < 0) {
        signature_error(c->resp, rc);
        return;
    }
    /* The signature says which device the URL was issued to; whether that device may still
     * watch the episode is the database's to say, now. */
    rc = db_device_principal(api->db, dev, &who);
    if (rc == 0)
        rc = db_episode_for_file(api->db, c->param, &episode_id);
    if (rc == 0)
        rc = db_entitled(api->db, &who, episode_id, c->now, &ok);
    free(episode_id);
    if (rc == BINGE_ENOTFOUND || (rc == 0 && !ok)) {
        slog_msg(SLOG_INFO, "api", "key %s refused to device %s: not entitled", c->param, dev);
        api_error(c->resp, 403, "forbidden", "this device is not entitled to the episode");
        return;
    }
    if (rc < 0) {
        api_internal_error(c->resp, "key entitlement", rc);
        return;
    }
    respond_file(api, c->param, "no-store", c->resp);
}
