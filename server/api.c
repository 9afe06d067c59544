#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "binge/error.h"
#include "db.h"
#include "sign.h"
#include "slog.h"

#define API_JSON "application/json; charset=utf-8"

/* Room for a base URL, "/media/", an encoded media path and the query. */
#define API_URL_MAX (512 + 8 + 3 * SIGN_PATH_MAX + 96)

struct api {
    struct db *db;
    char *media_dir;
    unsigned char *secret;
    size_t secret_len;
    char *base_url;
    long long url_ttl_s;
};

typedef void (*api_handler)(struct api *api, const struct api_request *req, const char *param,
                            struct api_response *resp);

enum route_kind {
    ROUTE_EXACT,   /* the path is exactly prefix */
    ROUTE_SEGMENT, /* prefix + one non-empty segment + suffix */
    ROUTE_REST,    /* prefix + a non-empty rest of path */
};

struct route {
    const char *method;
    const char *prefix;
    const char *suffix;
    enum route_kind kind;
    api_handler handler;
};

static void handle_register(struct api *api, const struct api_request *req, const char *param,
                            struct api_response *resp);
static void handle_home(struct api *api, const struct api_request *req, const char *param,
                        struct api_response *resp);
static void handle_series(struct api *api, const struct api_request *req, const char *param,
                          struct api_response *resp);
static void handle_play(struct api *api, const struct api_request *req, const char *param,
                        struct api_response *resp);
static void handle_media(struct api *api, const struct api_request *req, const char *param,
                         struct api_response *resp);
static void handle_images(struct api *api, const struct api_request *req, const char *param,
                          struct api_response *resp);

static const struct route api_routes[] = {
    {"POST", "/v1/device/register", "", ROUTE_EXACT, handle_register},
    {"GET", "/v1/home", "", ROUTE_EXACT, handle_home},
    {"GET", "/v1/series/", "", ROUTE_SEGMENT, handle_series},
    {"POST", "/v1/episodes/", "/play", ROUTE_SEGMENT, handle_play},
    {"GET", "/media/", "", ROUTE_REST, handle_media},
    {"GET", "/images/", "", ROUTE_REST, handle_images},
};

int api_new(const struct api_config *cfg, struct api **out)
{
    struct api *api;

    if (!cfg || !out || !cfg->db || !cfg->media_dir || !cfg->secret || cfg->secret_len == 0)
        return BINGE_EINVAL;
    *out = NULL;
    api = calloc(1, sizeof(*api));
    if (!api)
        return BINGE_ENOMEM;
    api->db = cfg->db;
    api->url_ttl_s = cfg->url_ttl_s;
    api->secret_len = cfg->secret_len;
    api->media_dir = strdup(cfg->media_dir);
    api->secret = malloc(cfg->secret_len);
    if (cfg->base_url)
        api->base_url = strdup(cfg->base_url);
    if (!api->media_dir || !api->secret || (cfg->base_url && !api->base_url)) {
        api_free(api);
        return BINGE_ENOMEM;
    }
    memcpy(api->secret, cfg->secret, cfg->secret_len);
    *out = api;
    return 0;
}

void api_free(struct api *api)
{
    if (!api)
        return;
    free(api->media_dir);
    if (api->secret)
        OPENSSL_cleanse(api->secret, api->secret_len);
    free(api->secret);
    free(api->base_url);
    free(api);
}

void api_response_clear(struct api_response *resp)
{
    if (!resp)
        return;
    free(resp->body);
    if (resp->fd >= 0)
        close(resp->fd);
    memset(resp, 0, sizeof(*resp));
    resp->fd = -1;
}

/* Takes ownership of root and renders it as the response body. */
static void respond_json(struct api_response *resp, int status, cJSON *root)
{
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;

    cJSON_Delete(root);
    if (!text) {
        resp->status = 500;
        resp->content_type = API_JSON;
        resp->body = strdup("{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
        resp->body_len = resp->body ? strlen(resp->body) : 0;
        return;
    }
    resp->status = status;
    resp->content_type = API_JSON;
    resp->body = text;
    resp->body_len = strlen(text);
    if (!resp->cache_control)
        resp->cache_control = "no-store";
}

static cJSON *error_doc(const char *code, const char *message)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");

    if (!err || !cJSON_AddStringToObject(err, "code", code) ||
        !cJSON_AddStringToObject(err, "message", message)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

void api_error(struct api_response *resp, int status, const char *code, const char *message)
{
    free(resp->body);
    resp->body = NULL;
    respond_json(resp, status, error_doc(code, message));
}

static void internal_error(struct api_response *resp, const char *what, int rc)
{
    slog_msg(SLOG_ERROR, "api", "%s failed (%d)", what, rc);
    api_error(resp, 500, "internal", "internal server error");
}

/* Base for absolute URLs. Without --public-url (a wildcard listen address) the client's Host
 * header is the only address known to reach us; it is reduced to host name characters so it
 * cannot smuggle anything into the URLs we hand out. */
static void base_url(const struct api *api, const struct api_request *req, char *out, size_t cap)
{
    size_t o;

    if (api->base_url) {
        snprintf(out, cap, "%s", api->base_url);
        return;
    }
    o = (size_t)snprintf(out, cap, "http://");
    for (const char *h = req->host ? req->host : "127.0.0.1"; *h && o + 1 < cap && o < 255; h++) {
        if (isalnum((unsigned char)*h) || strchr(".-:[]", *h))
            out[o++] = *h;
    }
    out[o] = '\0';
}

/* Appends url for a media-directory file, or JSON null when path is empty. */
static cJSON *file_url(const struct api *api, const struct api_request *req, const char *route,
                       const char *path)
{
    char url[API_URL_MAX];
    char encoded[3 * SIGN_PATH_MAX + 1];
    size_t n;

    if (!path || !*path || sign_url_encode_path(path, encoded, sizeof(encoded)) < 0)
        return cJSON_CreateNull();
    base_url(api, req, url, sizeof(url));
    n = strlen(url);
    snprintf(url + n, sizeof(url) - n, "%s%s", route, encoded);
    return cJSON_CreateString(url);
}

static bool is_token_char_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* Resolves the bearer token to a device. Returns 0 with device_id filled, BINGE_ENOTFOUND when
 * no Authorization header was sent, BINGE_EINVAL when one was sent but is not a valid token, or
 * another error from the database. */
static int authenticate(struct api *api, const struct api_request *req, char *device_id)
{
    const char *h = req->authorization;
    char token[DB_TOKEN_HEX_LEN + 1];
    size_t n;
    int rc;

    device_id[0] = '\0';
    if (!h)
        return BINGE_ENOTFOUND;
    if (strncasecmp(h, "Bearer ", 7) != 0)
        return BINGE_EINVAL;
    h += 7;
    while (*h == ' ')
        h++;
    n = strlen(h);
    while (n > 0 && h[n - 1] == ' ')
        n--;
    if (n != DB_TOKEN_HEX_LEN || !is_token_char_ok(h, n))
        return BINGE_EINVAL;
    memcpy(token, h, n);
    token[n] = '\0';
    rc = db_token_device(api->db, token, device_id);
    return rc == BINGE_ENOTFOUND ? BINGE_EINVAL : rc;
}

/* For endpoints where auth is optional: an absent token is fine, a bad one is not, so a client
 * with a stale token learns it instead of silently seeing everything locked. */
static int optional_auth(struct api *api, const struct api_request *req, char *device_id,
                         bool *have, struct api_response *resp)
{
    int rc = authenticate(api, req, device_id);

    *have = rc == 0;
    if (rc == 0 || rc == BINGE_ENOTFOUND)
        return 0;
    if (rc == BINGE_EINVAL)
        api_error(resp, 401, "unauthorized", "invalid or unknown token");
    else
        internal_error(resp, "token lookup", rc);
    return rc;
}

static bool device_id_is_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > DB_DEVICE_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
            return false;
    }
    return true;
}

static void handle_register(struct api *api, const struct api_request *req, const char *param,
                            struct api_response *resp)
{
    char generated[DB_DEVICE_ID_MAX + 1];
    char token[DB_TOKEN_HEX_LEN + 1];
    const char *device_id = NULL;
    cJSON *body = NULL;
    cJSON *root;
    int rc;

    if (req->body_len > 0) {
        const cJSON *item;
        body = cJSON_ParseWithLength(req->body, req->body_len);
        if (!body || !cJSON_IsObject(body)) {
            api_error(resp, 400, "bad_request", "request body is not a JSON object");
            goto out;
        }
        item = cJSON_GetObjectItemCaseSensitive(body, "device_id");
        if (item && !cJSON_IsNull(item)) {
            if (!cJSON_IsString(item)) {
                api_error(resp, 400, "bad_request", "device_id must be a string");
                goto out;
            }
            device_id = item->valuestring;
        }
    }
    if (!device_id)
        device_id = req->device_header;
    if (!device_id) {
        /* A first-launch device with no id of its own still gets one it can keep. */
        unsigned char raw[8];
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            internal_error(resp, "RAND_bytes", BINGE_EIO);
            goto out;
        }
        snprintf(generated, sizeof(generated), "dev-%02x%02x%02x%02x%02x%02x%02x%02x", raw[0],
                 raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
        device_id = generated;
    }
    if (!device_id_is_valid(device_id)) {
        api_error(resp, 400, "bad_request",
                  "device_id must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        goto out;
    }
    rc = db_register_device(api->db, device_id, token);
    if (rc < 0) {
        internal_error(resp, "register device", rc);
        goto out;
    }
    root = cJSON_CreateObject();
    if (root && (!cJSON_AddStringToObject(root, "device_id", device_id) ||
                 !cJSON_AddStringToObject(root, "token", token))) {
        cJSON_Delete(root);
        root = NULL;
    }
    respond_json(resp, 200, root);
out:
    cJSON_Delete(body);
}

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

static bool add_item(const struct api *api, const struct api_request *req, cJSON *items,
                     const struct db_series *s)
{
    cJSON *item = cJSON_CreateObject();

    if (!item || !cJSON_AddItemToArray(items, item)) {
        cJSON_Delete(item);
        return false;
    }
    return cJSON_AddStringToObject(item, "id", s->id) &&
           cJSON_AddStringToObject(item, "title", s->title) &&
           cJSON_AddItemToObject(item, "poster_url", file_url(api, req, "/images/", s->poster)) &&
           cJSON_AddNumberToObject(item, "episode_count", s->episode_count);
}

static void genre_slug(const char *genre, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "genre-");

    for (const char *g = genre; *g && o + 1 < cap; g++) {
        unsigned char c = (unsigned char)*g;
        out[o++] = isalnum(c) ? (char)tolower(c) : '-';
    }
    out[o] = '\0';
}

static cJSON *home_doc(const struct api *api, const struct api_request *req,
                       const struct db_series *list, size_t n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *shelves = cJSON_AddArrayToObject(root, "shelves");
    cJSON *items;

    if (!shelves)
        goto fail;
    items = add_shelf(shelves, "trending", "Trending");
    for (size_t i = 0; items && i < n; i++) {
        if (!add_item(api, req, items, &list[i]))
            goto fail;
    }
    if (items)
        items = add_shelf(shelves, "new", "New");
    for (size_t i = n; items && i > 0; i--) {
        if (!add_item(api, req, items, &list[i - 1]))
            goto fail;
    }
    if (!items)
        goto fail;
    /* One shelf per genre, in order of first appearance, so the layout is stable. */
    for (size_t i = 0; i < n; i++) {
        char id[96];
        bool seen = !list[i].genre[0];
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(list[j].genre, list[i].genre) == 0;
        if (seen)
            continue;
        genre_slug(list[i].genre, id, sizeof(id));
        items = add_shelf(shelves, id, list[i].genre);
        if (!items)
            goto fail;
        for (size_t j = i; j < n; j++) {
            if (strcmp(list[j].genre, list[i].genre) == 0 && !add_item(api, req, items, &list[j]))
                goto fail;
        }
    }
    return root;

fail:
    cJSON_Delete(root);
    return NULL;
}

/* A strong ETag from the body itself, so any change in the catalog or URLs changes it. */
static void set_etag(struct api_response *resp)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    size_t o = 0;

    if (!resp->body || !EVP_Digest(resp->body, resp->body_len, md, &md_len, EVP_sha256(), NULL))
        return;
    resp->etag[o++] = '"';
    for (unsigned int i = 0; i < 16 && i < md_len; i++)
        o += (size_t)snprintf(resp->etag + o, sizeof(resp->etag) - o, "%02x", md[i]);
    resp->etag[o++] = '"';
    resp->etag[o] = '\0';
}

static void handle_home(struct api *api, const struct api_request *req, const char *param,
                        struct api_response *resp)
{
    char device_id[DB_DEVICE_ID_MAX + 1];
    struct db_series *list = NULL;
    size_t n = 0;
    bool have_device;
    int rc;

    if (optional_auth(api, req, device_id, &have_device, resp) < 0)
        return;
    rc = db_list_series(api->db, &list, &n);
    if (rc < 0) {
        internal_error(resp, "list series", rc);
        return;
    }
    resp->cache_control = "no-cache";
    respond_json(resp, 200, home_doc(api, req, list, n));
    db_series_list_free(list, n);
    if (resp->status != 200)
        return;
    set_etag(resp);
    if (resp->etag[0] && req->if_none_match && strstr(req->if_none_match, resp->etag)) {
        free(resp->body);
        resp->body = NULL;
        resp->body_len = 0;
        resp->status = 304;
    }
}

static const char *episode_state(const struct db_episode *e)
{
    if (e->price_coins == 0)
        return "free";
    return e->unlocked ? "unlocked" : "locked";
}

static bool add_episode(cJSON *episodes, const struct db_episode *e)
{
    cJSON *item = cJSON_CreateObject();

    if (!item || !cJSON_AddItemToArray(episodes, item)) {
        cJSON_Delete(item);
        return false;
    }
    return cJSON_AddStringToObject(item, "id", e->id) &&
           cJSON_AddNumberToObject(item, "index", e->index) &&
           cJSON_AddStringToObject(item, "title", e->title) &&
           cJSON_AddNumberToObject(item, "duration_s", e->duration_s) &&
           cJSON_AddNullToObject(item, "thumb_url") &&
           cJSON_AddStringToObject(item, "state", episode_state(e)) &&
           cJSON_AddNumberToObject(item, "price_coins", e->price_coins);
}

static bool is_id(const char *s)
{
    if (!*s || strlen(s) > 128)
        return false;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    }
    return true;
}

static void handle_series(struct api *api, const struct api_request *req, const char *param,
                          struct api_response *resp)
{
    char device_id[DB_DEVICE_ID_MAX + 1];
    struct db_series s = {0};
    struct db_episode *eps = NULL;
    size_t n = 0;
    bool have_device;
    cJSON *root = NULL;
    cJSON *episodes;
    int rc;

    if (optional_auth(api, req, device_id, &have_device, resp) < 0)
        return;
    rc = is_id(param) ? db_get_series(api->db, param, &s) : BINGE_ENOTFOUND;
    if (rc == BINGE_ENOTFOUND) {
        api_error(resp, 404, "not_found", "no such series");
        return;
    }
    if (rc == 0)
        rc = db_list_episodes(api->db, param, have_device ? device_id : NULL, &eps, &n);
    if (rc < 0) {
        internal_error(resp, "get series", rc);
        goto out;
    }
    root = cJSON_CreateObject();
    if (!cJSON_AddStringToObject(root, "id", s.id) ||
        !cJSON_AddStringToObject(root, "title", s.title) ||
        !cJSON_AddStringToObject(root, "synopsis", s.synopsis) ||
        !cJSON_AddItemToObject(root, "poster_url", file_url(api, req, "/images/", s.poster)) ||
        !(episodes = cJSON_AddArrayToObject(root, "episodes")))
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (!add_episode(episodes, &eps[i]))
            goto nomem;
    }
    respond_json(resp, 200, root);
    root = NULL;
    goto out;

nomem:
    cJSON_Delete(root);
    internal_error(resp, "series document", BINGE_ENOMEM);
out:
    db_series_clear(&s);
    db_episode_list_free(eps, n);
}

static cJSON *locked_doc(const struct db_episode *e, long long balance)
{
    char message[64];
    cJSON *root;
    cJSON *methods;

    snprintf(message, sizeof(message), "Episode %d is locked", e->index);
    root = error_doc("payment_required", message);
    if (!root || !cJSON_AddNumberToObject(root, "price_coins", e->price_coins) ||
        !cJSON_AddNumberToObject(root, "balance", (double)balance) ||
        !(methods = cJSON_AddArrayToObject(root, "unlock_methods")) ||
        !cJSON_AddItemToArray(methods, cJSON_CreateString("coins")) ||
        !cJSON_AddItemToArray(methods, cJSON_CreateString("ad")) ||
        !cJSON_AddItemToArray(methods, cJSON_CreateString("vip"))) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static cJSON *play_doc(const struct api *api, const struct api_request *req,
                       const struct db_episode *e, const char *next_id, long long exp)
{
    char sig[SIGN_HEX_LEN + 1];
    char encoded[3 * SIGN_PATH_MAX + 1];
    char url[API_URL_MAX];
    size_t n;
    cJSON *root;

    if (sign_compute(api->secret, api->secret_len, e->path, exp, sig) < 0 ||
        sign_url_encode_path(e->path, encoded, sizeof(encoded)) < 0)
        return NULL;
    base_url(api, req, url, sizeof(url));
    n = strlen(url);
    snprintf(url + n, sizeof(url) - n, "/media/%s?exp=%lld&sig=%s", encoded, exp, sig);
    root = cJSON_CreateObject();
    if (!cJSON_AddStringToObject(root, "episode_id", e->id) ||
        !cJSON_AddStringToObject(root, "play_url", url) ||
        !cJSON_AddNumberToObject(root, "expires_at", (double)exp) ||
        !cJSON_AddNumberToObject(root, "resume_ms", 0) ||
        !cJSON_AddItemToObject(root, "next_episode_id",
                               next_id ? cJSON_CreateString(next_id) : cJSON_CreateNull()) ||
        !cJSON_AddArrayToObject(root, "subtitles") ||
        !cJSON_AddArrayToObject(root, "audio_tracks")) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static void handle_play(struct api *api, const struct api_request *req, const char *param,
                        struct api_response *resp)
{
    char device_id[DB_DEVICE_ID_MAX + 1];
    struct db_episode e = {0};
    char *next_id = NULL;
    long long balance = 0;
    cJSON *doc;
    int rc;

    rc = authenticate(api, req, device_id);
    if (rc == BINGE_ENOTFOUND || rc == BINGE_EINVAL) {
        api_error(resp, 401, "unauthorized",
                  rc == BINGE_ENOTFOUND ? "a bearer token is required"
                                        : "invalid or unknown token");
        return;
    }
    if (rc < 0) {
        internal_error(resp, "token lookup", rc);
        return;
    }
    rc = is_id(param) ? db_get_episode(api->db, param, device_id, &e, &next_id) : BINGE_ENOTFOUND;
    if (rc == BINGE_ENOTFOUND) {
        api_error(resp, 404, "not_found", "no such episode");
        return;
    }
    if (rc < 0) {
        internal_error(resp, "get episode", rc);
        return;
    }
    if (e.price_coins > 0 && !e.unlocked) {
        rc = db_balance(api->db, device_id, &balance);
        if (rc < 0) {
            internal_error(resp, "balance", rc);
            goto out;
        }
        doc = locked_doc(&e, balance);
        if (!doc) {
            internal_error(resp, "locked document", BINGE_ENOMEM);
            goto out;
        }
        respond_json(resp, 402, doc);
        goto out;
    }
    doc = play_doc(api, req, &e, next_id, req->now + api->url_ttl_s);
    if (!doc) {
        internal_error(resp, "play document", BINGE_ENOMEM);
        goto out;
    }
    respond_json(resp, 200, doc);
out:
    db_episode_clear(&e);
    free(next_id);
}

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

/* Opens media_dir/path as a regular file. Returns the fd or a negative BINGE_E* code. */
static int open_media_file(const struct api *api, const char *path, long long *size)
{
    char full[4096 + SIGN_PATH_MAX];
    struct stat st;
    int fd;

    if ((size_t)snprintf(full, sizeof(full), "%s/%s", api->media_dir, path) >= sizeof(full))
        return BINGE_ENOTFOUND;
    fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? BINGE_ENOTFOUND : BINGE_EIO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return BINGE_ENOTFOUND;
    }
    *size = (long long)st.st_size;
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
        internal_error(resp, "open media file", fd);
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
                             struct api_response *resp)
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
        internal_error(resp, "open playlist", fd);
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
        internal_error(resp, "read playlist", rc);
        return;
    }
    rc = sign_rewrite_playlist(api->secret, api->secret_len, path, exp, text, (size_t)size, &out,
                               &out_len);
    free(text);
    if (rc == BINGE_EPARSE) {
        slog_msg(SLOG_ERROR, "api", "playlist %s has a URI outside the media directory", path);
        api_error(resp, 500, "internal", "playlist references a path outside the media directory");
        return;
    }
    if (rc < 0) {
        internal_error(resp, "rewrite playlist", rc);
        return;
    }
    resp->status = 200;
    resp->content_type = content_type_for(path);
    resp->body = out;
    resp->body_len = out_len;
    /* The rewritten URLs carry an expiry, so a cached copy would go stale. */
    resp->cache_control = "no-store";
}

static void handle_media(struct api *api, const struct api_request *req, const char *param,
                         struct api_response *resp)
{
    int rc;

    if (!sign_path_is_safe(param)) {
        api_error(resp, 404, "not_found", "no such file");
        return;
    }
    if (!req->exp || !req->sig) {
        api_error(resp, 403, "forbidden", "missing signature");
        return;
    }
    rc = sign_verify(api->secret, api->secret_len, param, req->exp, req->sig, req->now);
    if (rc == BINGE_ETIMEDOUT) {
        api_error(resp, 403, "forbidden", "signed URL expired");
        return;
    }
    if (rc < 0) {
        api_error(resp, 403, "forbidden", "bad signature");
        return;
    }
    if (strcasecmp(path_ext(param), "m3u8") == 0)
        /* sign_verify accepted exp, so it is a plain decimal number. */
        respond_playlist(api, param, strtoll(req->exp, NULL, 10), resp);
    else
        respond_file(api, param, "private, max-age=3600", resp);
}

static void handle_images(struct api *api, const struct api_request *req, const char *param,
                          struct api_response *resp)
{
    const char *ext = path_ext(param);

    /* Unsigned, so only pictures: never a playlist, a segment or catalog.json. */
    if (!sign_path_is_safe(param) || (strcasecmp(ext, "png") != 0 && strcasecmp(ext, "jpg") != 0 &&
                                      strcasecmp(ext, "jpeg") != 0)) {
        api_error(resp, 404, "not_found", "no such image");
        return;
    }
    respond_file(api, param, "public, max-age=3600", resp);
}

/* Returns the route parameter length, or -1 when path does not fit the route's shape. */
static long route_match(const struct route *r, const char *path)
{
    size_t plen = strlen(r->prefix);
    size_t slen = strlen(r->suffix);
    size_t len = strlen(path);
    size_t mid;

    if (len < plen + slen || strncmp(path, r->prefix, plen) != 0 ||
        strcmp(path + len - slen, r->suffix) != 0)
        return -1;
    mid = len - plen - slen;
    switch (r->kind) {
    case ROUTE_EXACT:
        return mid == 0 ? 0 : -1;
    case ROUTE_SEGMENT:
        return mid > 0 && !memchr(path + plen, '/', mid) ? (long)mid : -1;
    case ROUTE_REST:
        return mid > 0 ? (long)mid : -1;
    }
    return -1;
}

void api_handle(struct api *api, const struct api_request *req, struct api_response *resp)
{
    char param[SIGN_PATH_MAX + 1];
    const char *allow = NULL;
    const char *method;

    memset(resp, 0, sizeof(*resp));
    resp->fd = -1;
    if (!api || !req || !req->method || !req->path) {
        api_error(resp, 500, "internal", "bad request object");
        return;
    }
    /* HEAD is a GET whose body the HTTP layer drops. */
    method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    for (size_t i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
        const struct route *r = &api_routes[i];
        long mid = route_match(r, req->path);
        if (mid < 0)
            continue;
        if (strcmp(method, r->method) != 0) {
            allow = strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method;
            continue;
        }
        if ((size_t)mid > SIGN_PATH_MAX) {
            api_error(resp, 404, "not_found", "no such resource");
            return;
        }
        memcpy(param, req->path + strlen(r->prefix), (size_t)mid);
        param[mid] = '\0';
        r->handler(api, req, param, resp);
        return;
    }
    if (allow) {
        api_error(resp, 405, "method_not_allowed", "method not allowed for this resource");
        resp->allow = allow;
        return;
    }
    api_error(resp, 404, "not_found", "no such resource");
}
