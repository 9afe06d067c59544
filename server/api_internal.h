#ifndef BINGE_SERVER_API_INTERNAL_H
#define BINGE_SERVER_API_INTERNAL_H

/* Private to server/api*.c: the API handle, the per-request call context and the helpers the
 * handler files share. Handlers run on libmicrohttpd's connection threads; everything reachable
 * from struct api is either immutable or locks itself. Helpers that answer write into
 * c->resp; a handler answers exactly once. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "db.h"
#include "sign.h"

#define API_JSON "application/json; charset=utf-8"
#define API_HTML "text/html; charset=utf-8"

/* Room for a base URL, a route, an encoded media path and the query. */
#define API_URL_MAX (512 + 16 + 3 * SIGN_PATH_MAX + 160)

/* What a localized, per-device response varies on. */
#define API_VARY "Accept-Language, Authorization"

struct ratelimit;

struct api {
    struct db *db;
    char *media_dir;
    unsigned char *secret;
    size_t secret_len;
    char *base_url;
    long long url_ttl_s;
    long long token_ttl_s;
    int ads_per_day;
    bool dev;
    struct faults *faults;
    struct ratelimit *ratelimit;
    struct ratelimit *auth_limit; /* per address: registrations, activation posts */
    struct ratelimit *poll_limit; /* per address: device token polls */
};

/* One request on its way through a handler. */
struct api_call {
    struct api *api;
    const struct api_request *req;
    struct api_response *resp;
    const char *param; /* the route's parameter ("" when none) */
    long long now;     /* the request's time: X-Dev-Now under --dev, else the clock */
    const char *lang;  /* negotiated from Accept-Language (static) */
    int auth;          /* 0: who is the caller; BINGE_ENOTFOUND: no Authorization header;
                          BINGE_EINVAL: a bad token; BINGE_ETIMEDOUT: an expired one; other
                          negative: the lookup failed */
    struct db_principal who;
};

/* ---- answers ---- */

/* Renders root (taken over, may be NULL for out of memory) as the JSON body. */
void api_respond_json(struct api_response *resp, int status, cJSON *root);

/* {"error": {"code", "message"}} as a tree (NULL when out of memory); callers may add members. */
cJSON *api_error_doc(const char *code, const char *message);

/* Logs what failed and answers 500 internal. */
void api_internal_error(struct api_response *resp, const char *what, int rc);

/* Adds a strong ETag over the body and the language, and turns the answer into a bodiless 304
 * when If-None-Match names it. Call after the 200 body is set. */
void api_etag(struct api_call *c);

/* Answers an HTML page: status, a title (escaped here) and body HTML (trusted, already
 * escaped by the caller). */
void api_html_page(struct api_response *resp, int status, const char *title, const char *body);

/* Writes s HTML-escaped to f. */
void api_html_escape(FILE *f, const char *s);

/* ---- authentication ---- */

/* For endpoints that need a caller: true when c->who is valid, else answers 401 (or 500) and
 * returns false. */
bool api_require_auth(struct api_call *c);

/* For endpoints where the caller is optional: true with *have telling whether c->who is valid;
 * false (after answering 401 or 500) for a token that was sent but is bad, so a client with a
 * stale token finds out. */
bool api_optional_auth(struct api_call *c, bool *have);

/* ---- requests ---- */

/* The body as a JSON object, or NULL after answering 400 bad_request. *root is transfer full. */
cJSON *api_body_object(struct api_call *c);

/* A string member of obj: NULL when absent or null; *bad set when it has another type. */
const char *api_json_string(const cJSON *obj, const char *key, bool *bad);

/* True when the request body is application/x-www-form-urlencoded. */
bool api_body_is_form(const struct api_call *c);

/* Finds name in a urlencoded form body and writes its decoded value to out (cap bytes).
 * Returns 0, BINGE_ENOTFOUND when absent, BINGE_ETOOBIG when longer than cap - 1, or
 * BINGE_EPARSE for a bad escape or a NUL. */
int api_form_value(const char *body, size_t len, const char *name, char *out, size_t cap);

/* A query argument or NULL. */
const char *api_query(const struct api_call *c, const char *name);

/* True when s is an id of the catalog ([a-z0-9-], 1..128). */
bool api_is_id(const char *s);

/* True when s is n hex digits. */
bool api_is_hex(const char *s, size_t n);

/* True when s is 1..max characters of A-Z a-z 0-9 . _ : - */
bool api_is_key(const char *s, size_t max);

/* ---- URLs ---- */

/* The base for absolute URLs ("http://host:port", no trailing '/'). */
void api_base_url(const struct api *api, const struct api_request *req, char *out, size_t cap);

/* An absolute URL for a content file under route ("/images/"), or JSON null when path is empty.
 * NULL when out of memory. */
cJSON *api_file_url(const struct api *api, const struct api_request *req, const char *route,
                    const char *path);

/* ---- handlers (api_catalog.c, api_account.c, api_wallet.c, api_mylist.c, api_dev.c) ---- */

void api_handle_home(struct api_call *c);
void api_handle_series(struct api_call *c);
void api_handle_search(struct api_call *c);
void api_handle_play(struct api_call *c);
void api_handle_media(struct api_call *c);
void api_handle_images(struct api_call *c);
void api_handle_keys(struct api_call *c);

void api_handle_register(struct api_call *c);
void api_handle_refresh(struct api_call *c);
void api_handle_unlink(struct api_call *c);
void api_handle_device_code(struct api_call *c);
void api_handle_device_token(struct api_call *c);
void api_handle_activate_form(struct api_call *c);
void api_handle_activate(struct api_call *c);

void api_handle_wallet(struct api_call *c);
void api_handle_wallet_history(struct api_call *c);
void api_handle_unlock(struct api_call *c);
void api_handle_checkin(struct api_call *c);
void api_handle_packs(struct api_call *c);
void api_handle_purchase_new(struct api_call *c);
void api_handle_purchase_get(struct api_call *c);
void api_handle_checkout_page(struct api_call *c);
void api_handle_checkout_pay(struct api_call *c);
void api_handle_progress(struct api_call *c);

void api_handle_mylist_get(struct api_call *c);
void api_handle_mylist_put(struct api_call *c);
void api_handle_mylist_delete(struct api_call *c);

void api_handle_dev_faults_get(struct api_call *c);
void api_handle_dev_faults_add(struct api_call *c);
void api_handle_dev_faults_clear(struct api_call *c);

/* ---- series items (api_catalog.c, api_mylist.c) ---- */

/* Appends the home item of s ({"id", "title", "poster_url", "episode_count", "synopsis",
 * "genres", "free_episodes", "total_duration_s"}) to items and returns it (borrowed), or NULL
 * when out of memory. genres (n_genres rows, of db_list_genres) give the localized genre
 * names. */
cJSON *api_series_item(const struct api_call *c, cJSON *items, const struct db_series *s,
                       const struct db_genre_row *genres, size_t n_genres);

/* The series of list with id, or NULL. */
const struct db_series *api_find_series(const struct db_series *list, size_t n, const char *id);

/* Appends the "mylist" shelf of the caller (c->who) to shelves when the list is not empty;
 * list holds the visible series, localized, and genres their genre rows. Returns 0 or a
 * negative BINGE_E* code. */
int api_mylist_shelf(const struct api_call *c, cJSON *shelves, const struct db_series *list,
                     size_t n, const struct db_genre_row *genres, size_t n_genres);

/* A pack as JSON, localized (api_wallet.c; also used by the checkout page). NULL when out of
 * memory. */
cJSON *api_pack_doc(const struct db_pack *pack, const char *lang);

/* "$4.99" for a price, into out. */
void api_price_text(const struct db_pack *pack, char *out, size_t cap);

#endif
