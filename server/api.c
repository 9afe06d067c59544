/* The API core: lifecycle, routing, the per-request context (clock, language, caller, rate
 * limit) and the helpers every handler file uses. */

#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api_internal.h"
#include "binge/error.h"
#include "db.h"
#include "lang.h"
#include "ratelimit.h"
#include "sign.h"
#include "slog.h"

/* How many devices (and client addresses) the rate limiter tracks at most. */
#define API_RATELIMIT_KEYS 4096

typedef void (*api_handler)(struct api_call *c);

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

static const struct route api_routes[] = {
    {"POST", "/v1/device/register", "", ROUTE_EXACT, api_handle_register},
    {"POST", "/v1/device/refresh", "", ROUTE_EXACT, api_handle_refresh},
    {"POST", "/v1/device/code", "", ROUTE_EXACT, api_handle_device_code},
    {"POST", "/v1/device/token", "", ROUTE_EXACT, api_handle_device_token},
    {"POST", "/v1/device/unlink", "", ROUTE_EXACT, api_handle_unlink},
    {"GET", "/v1/home", "", ROUTE_EXACT, api_handle_home},
    {"GET", "/v1/series/", "", ROUTE_SEGMENT, api_handle_series},
    {"GET", "/v1/search", "", ROUTE_EXACT, api_handle_search},
    {"POST", "/v1/episodes/", "/play", ROUTE_SEGMENT, api_handle_play},
    {"POST", "/v1/episodes/", "/unlock", ROUTE_SEGMENT, api_handle_unlock},
    {"GET", "/v1/wallet", "", ROUTE_EXACT, api_handle_wallet},
    {"GET", "/v1/wallet/history", "", ROUTE_EXACT, api_handle_wallet_history},
    {"POST", "/v1/checkin", "", ROUTE_EXACT, api_handle_checkin},
    {"GET", "/v1/packs", "", ROUTE_EXACT, api_handle_packs},
    {"POST", "/v1/purchase/session", "", ROUTE_EXACT, api_handle_purchase_new},
    {"GET", "/v1/purchase/session/", "", ROUTE_SEGMENT, api_handle_purchase_get},
    {"POST", "/v1/progress", "", ROUTE_EXACT, api_handle_progress},
    {"GET", "/v1/mylist", "", ROUTE_EXACT, api_handle_mylist_get},
    {"PUT", "/v1/mylist/", "", ROUTE_SEGMENT, api_handle_mylist_put},
    {"DELETE", "/v1/mylist/", "", ROUTE_SEGMENT, api_handle_mylist_delete},
    {"GET", "/activate", "", ROUTE_EXACT, api_handle_activate_form},
    {"POST", "/activate", "", ROUTE_EXACT, api_handle_activate},
    {"GET", "/checkout/", "", ROUTE_SEGMENT, api_handle_checkout_page},
    {"POST", "/checkout/", "/pay", ROUTE_SEGMENT, api_handle_checkout_pay},
    {"GET", "/media/", "", ROUTE_REST, api_handle_media},
    {"GET", "/images/", "", ROUTE_REST, api_handle_images},
    {"GET", "/keys/", "", ROUTE_REST, api_handle_keys},
    {"GET", "/dev/faults", "", ROUTE_EXACT, api_handle_dev_faults_get},
    {"POST", "/dev/faults", "", ROUTE_EXACT, api_handle_dev_faults_add},
    {"DELETE", "/dev/faults", "", ROUTE_EXACT, api_handle_dev_faults_clear},
};

int api_new(const struct api_config *cfg, struct api **out)
{
    struct api *api;
    int rc;

    if (!cfg || !out || !cfg->db || !cfg->media_dir || !cfg->secret || cfg->secret_len == 0 ||
        cfg->ads_per_day < 0 || cfg->token_ttl_s < 0)
        return BINGE_EINVAL;
    *out = NULL;
    api = calloc(1, sizeof(*api));
    if (!api)
        return BINGE_ENOMEM;
    api->db = cfg->db;
    api->url_ttl_s = cfg->url_ttl_s;
    api->token_ttl_s = cfg->token_ttl_s;
    api->ads_per_day = cfg->ads_per_day;
    api->dev = cfg->dev;
    api->faults = cfg->faults;
    api->secret_len = cfg->secret_len;
    api->media_dir = strdup(cfg->media_dir);
    api->secret = malloc(cfg->secret_len);
    if (cfg->base_url)
        api->base_url = strdup(cfg->base_url);
    if (!api->media_dir || !api->secret || (cfg->base_url && !api->base_url)) {
        rc = BINGE_ENOMEM;
        goto fail;
    }
    memcpy(api->secret, cfg->secret, cfg->secret_len);
    rc = ratelimit_new(cfg->rate_limit, cfg->rate_burst, API_RATELIMIT_KEYS, &api->ratelimit);
    if (rc == 0)
        rc = ratelimit_new(cfg->auth_limit / 60.0, cfg->auth_limit > 0 ? cfg->auth_limit : 1,
                           API_RATELIMIT_KEYS, &api->auth_limit);
    if (rc == 0)
        rc = ratelimit_new(cfg->auth_limit / 10.0, cfg->auth_limit > 0 ? 6 * cfg->auth_limit : 1,
                           API_RATELIMIT_KEYS, &api->poll_limit);
    if (rc < 0)
        goto fail;
    *out = api;
    return 0;

fail:
    api_free(api);
    return rc;
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
    ratelimit_free(api->ratelimit);
    ratelimit_free(api->auth_limit);
    ratelimit_free(api->poll_limit);
    free(api);
}

struct faults *api_faults(const struct api *api)
{
    return api && api->dev ? api->faults : NULL;
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

/* ---- answers ------------------------------------------------------------------------------ */

void api_respond_json(struct api_response *resp, int status, cJSON *root)
{
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;

    cJSON_Delete(root);
    free(resp->body);
    resp->body = NULL;
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

cJSON *api_error_doc(const char *code, const char *message)
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
    api_respond_json(resp, status, api_error_doc(code, message));
}

void api_internal_error(struct api_response *resp, const char *what, int rc)
{
    slog_msg(SLOG_ERROR, "api", "%s failed (%d)", what, rc);
    api_error(resp, 500, "internal", "internal server error");
}

void api_etag(struct api_call *c)
{
    struct api_response *resp = c->resp;
    const char *inm = c->req->if_none_match;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx;
    size_t o = 0;

    if (resp->status != 200 || !resp->body)
        return;
    /* The body already differs per language and per caller; the language is hashed as well so
     * two languages that happen to read the same still revalidate separately. */
    ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, c->lang, strlen(c->lang)) != 1 ||
        EVP_DigestUpdate(ctx, "\n", 1) != 1 ||
        EVP_DigestUpdate(ctx, resp->body, resp->body_len) != 1 ||
        EVP_DigestFinal_ex(ctx, md, &md_len) != 1) {
        EVP_MD_CTX_free(ctx);
        return;
    }
    EVP_MD_CTX_free(ctx);
    resp->etag[o++] = '"';
    for (unsigned int i = 0; i < 16 && i < md_len; i++)
        o += (size_t)snprintf(resp->etag + o, sizeof(resp->etag) - o, "%02x", md[i]);
    resp->etag[o++] = '"';
    resp->etag[o] = '\0';
    if (!resp->cache_control || strcmp(resp->cache_control, "no-store") == 0)
        resp->cache_control = "no-cache";
    if (inm && (strstr(inm, resp->etag) || strcmp(inm, "*") == 0)) {
        free(resp->body);
        resp->body = NULL;
        resp->body_len = 0;
        resp->status = 304;
    }
}

void api_html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

void api_html_page(struct api_response *resp, int status, const char *title, const char *body)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f) {
        api_internal_error(resp, "html page", BINGE_ENOMEM);
        return;
    }
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<title>",
          f);
    api_html_escape(f, title);
    fputs("</title><style>body{font-family:sans-serif;max-width:28em;margin:2em auto;"
          "padding:0 1em}input,button{font-size:1.2em;margin:.3em 0;padding:.4em}"
          "input{width:100%;box-sizing:border-box}.code{letter-spacing:.2em}</style>"
          "</head><body><h1>",
          f);
    api_html_escape(f, title);
    fputs("</h1>\n", f);
    fputs(body ? body : "", f);
    fputs("\n</body></html>\n", f);
    if (fclose(f) != 0 || !text) {
        free(text);
        api_internal_error(resp, "html page", BINGE_ENOMEM);
        return;
    }
    free(resp->body);
    resp->status = status;
    resp->content_type = API_HTML;
    resp->body = text;
    resp->body_len = len;
    resp->cache_control = "no-store";
}

/* ---- authentication ----------------------------------------------------------------------- */

/* Resolves the bearer token to a caller: 0, BINGE_ENOTFOUND without an Authorization header,
 * BINGE_EINVAL for a malformed or unknown token, BINGE_ETIMEDOUT for an expired one. */
static int authenticate(struct api_call *c)
{
    const char *h = c->req->authorization;
    char token[DB_TOKEN_HEX_LEN + 1];
    size_t n;
    int rc;

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
    if (n != DB_TOKEN_HEX_LEN)
        return BINGE_EINVAL;
    memcpy(token, h, n);
    token[n] = '\0';
    if (!api_is_hex(token, DB_TOKEN_HEX_LEN))
        return BINGE_EINVAL;
    rc = db_token_principal(c->api->db, token, c->now, &c->who);
    return rc == BINGE_ENOTFOUND ? BINGE_EINVAL : rc;
}

static void auth_failed(struct api_call *c)
{
    if (c->auth == BINGE_ENOTFOUND)
        api_error(c->resp, 401, "unauthorized", "a bearer token is required");
    else if (c->auth == BINGE_EINVAL)
        api_error(c->resp, 401, "unauthorized", "invalid or unknown token");
    else if (c->auth == BINGE_ETIMEDOUT)
        api_error(c->resp, 401, "token_expired", "the token has expired; refresh it");
    else
        api_internal_error(c->resp, "token lookup", c->auth);
}

bool api_require_auth(struct api_call *c)
{
    if (c->auth == 0)
        return true;
    auth_failed(c);
    return false;
}

bool api_optional_auth(struct api_call *c, bool *have)
{
    *have = c->auth == 0;
    if (c->auth == 0 || c->auth == BINGE_ENOTFOUND)
        return true;
    auth_failed(c);
    return false;
}

/* ---- requests ----------------------------------------------------------------------------- */

cJSON *api_body_object(struct api_call *c)
{
    cJSON *root = NULL;

    if (c->req->body_len > 0)
        root = cJSON_ParseWithLength(c->req->body, c->req->body_len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        api_error(c->resp, 400, "bad_request", "the request body must be a JSON object");
        return NULL;
    }
    return root;
}

const char *api_json_string(const cJSON *obj, const char *key, bool *bad)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!item || cJSON_IsNull(item))
        return NULL;
    if (!cJSON_IsString(item) || !item->valuestring) {
        *bad = true;
        return NULL;
    }
    return item->valuestring;
}

bool api_body_is_form(const struct api_call *c)
{
    const char *ct = c->req->content_type;
    return ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int api_form_value(const char *body, size_t len, const char *name, char *out, size_t cap)
{
    size_t name_len = strlen(name);
    size_t pos = 0;

    if (!out || cap == 0)
        return BINGE_EINVAL;
    out[0] = '\0';
    while (body && pos < len) {
        const char *pair = body + pos;
        const char *amp = memchr(pair, '&', len - pos);
        size_t n = amp ? (size_t)(amp - pair) : len - pos;
        size_t o = 0;

        pos += n + 1;
        if (n <= name_len || memcmp(pair, name, name_len) != 0 || pair[name_len] != '=')
            continue;
        for (size_t i = name_len + 1; i < n; i++) {
            char ch = pair[i];
            if (ch == '+') {
                ch = ' ';
            } else if (ch == '%') {
                int hi = i + 2 < n ? hex_digit(pair[i + 1]) : -1;
                int lo = i + 2 < n ? hex_digit(pair[i + 2]) : -1;
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                    out[0] = '\0';
                    return BINGE_EPARSE;
                }
                ch = (char)(hi << 4 | lo);
                i += 2;
            }
            if (o + 1 >= cap) {
                out[0] = '\0';
                return BINGE_ETOOBIG;
            }
            out[o++] = ch;
        }
        out[o] = '\0';
        return 0;
    }
    return BINGE_ENOTFOUND;
}

const char *api_query(const struct api_call *c, const char *name)
{
    return c->req->query ? c->req->query(c->req->query_ctx, name) : NULL;
}

bool api_is_id(const char *s)
{
    if (!s || !*s || strlen(s) > 128)
        return false;
    for (; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    }
    return true;
}

bool api_is_hex(const char *s, size_t n)
{
    if (!s || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

bool api_is_key(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
            return false;
    }
    return true;
}

/* ---- URLs --------------------------------------------------------------------------------- */

/* Without --public-url (a wildcard listen address) the client's Host header is the only address
 * known to reach us; it is reduced to host name characters so it cannot smuggle anything into
 * the URLs we hand out. */
void api_base_url(const struct api *api, const struct api_request *req, char *out, size_t cap)
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

cJSON *api_file_url(const struct api *api, const struct api_request *req, const char *route,
                    const char *path)
{
    char url[API_URL_MAX];
    char encoded[3 * SIGN_PATH_MAX + 1];
    size_t n;

    if (!path || !*path || sign_url_encode_path(path, encoded, sizeof(encoded)) < 0)
        return cJSON_CreateNull();
    api_base_url(api, req, url, sizeof(url));
    n = strlen(url);
    snprintf(url + n, sizeof(url) - n, "%s%s", route, encoded);
    return cJSON_CreateString(url);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

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

/* Signed content is fetched by the player at its own pace and is already bound to an expiry:
 * only the API and the pages count against the rate limit. */
static bool is_rate_limited(const char *path)
{
    return strncmp(path, "/media/", 7) != 0 && strncmp(path, "/images/", 8) != 0 &&
           strncmp(path, "/keys/", 6) != 0 && strncmp(path, "/dev/", 5) != 0;
}

/* The endpoints where many identities or many guesses come cheap count per client address too,
 * whatever token the request carries: one address cannot register without end, poll device
 * codes without end, or guess user codes and passwords without end. *prefix keys the bucket. */
static struct ratelimit *auth_limiter(const struct api *api, const struct api_request *req,
                                      const char **prefix)
{
    if (strcmp(req->method, "POST") != 0)
        return NULL;
    if (strcmp(req->path, "/v1/device/register") == 0) {
        *prefix = "register";
        return api->auth_limit;
    }
    if (strcmp(req->path, "/activate") == 0) {
        *prefix = "activate";
        return api->auth_limit;
    }
    if (strcmp(req->path, "/v1/device/token") == 0) {
        *prefix = "token";
        return api->poll_limit;
    }
    return NULL;
}

/* X-Dev-Now: plain decimal Unix seconds. */
static int parse_dev_now(const char *s, long long *out)
{
    long long v = 0;

    if (!s || !*s || strlen(s) > 12)
        return BINGE_EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return BINGE_EINVAL;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}

static void add_allow(char *allow, size_t cap, const char *method)
{
    const char *m = strcmp(method, "GET") == 0 ? "GET, HEAD" : method;

    if (strstr(allow, m))
        return;
    snprintf(allow + strlen(allow), cap - strlen(allow), "%s%s", allow[0] ? ", " : "", m);
}

void api_handle(struct api *api, const struct api_request *req, struct api_response *resp)
{
    char param[SIGN_PATH_MAX + 1];
    char allow[48] = "";
    struct api_call c;
    const char *method;

    memset(resp, 0, sizeof(*resp));
    resp->fd = -1;
    if (!api || !req || !req->method || !req->path) {
        api_error(resp, 500, "internal", "bad request object");
        return;
    }
    memset(&c, 0, sizeof(c));
    c.api = api;
    c.req = req;
    c.resp = resp;
    c.param = "";
    c.now = req->now;
    c.lang = lang_pick(req->accept_language);
    c.auth = BINGE_ENOTFOUND;
    if (strncmp(req->path, "/dev/", 5) == 0 && !api->dev) {
        api_error(resp, 404, "not_found", "no such resource");
        return;
    }
    if (api->dev && req->dev_now && parse_dev_now(req->dev_now, &c.now) < 0) {
        api_error(resp, 400, "bad_request", "X-Dev-Now must be Unix seconds");
        return;
    }
    if (is_rate_limited(req->path)) {
        char key[RATELIMIT_KEY_MAX + 1];
        int retry_after = 1;
        if (req->authorization)
            c.auth = authenticate(&c);
        if (c.auth == 0)
            snprintf(key, sizeof(key), "dev:%s", c.who.device_id);
        else
            snprintf(key, sizeof(key), "ip:%s", req->client_addr ? req->client_addr : "?");
        if (!ratelimit_take(api->ratelimit, key, req->mono_now, &retry_after)) {
            api_error(resp, 429, "rate_limited", "too many requests; slow down");
            resp->retry_after = retry_after;
            return;
        }
    }
    {
        const char *prefix = "";
        struct ratelimit *rl = auth_limiter(api, req, &prefix);
        char key[RATELIMIT_KEY_MAX + 1];
        int retry_after = 1;
        snprintf(key, sizeof(key), "%s:%s", prefix, req->client_addr ? req->client_addr : "?");
        if (rl && !ratelimit_take(rl, key, req->mono_now, &retry_after)) {
            slog_msg(SLOG_INFO, "api", "%s limit reached for %s", prefix,
                     req->client_addr ? req->client_addr : "?");
            api_error(resp, 429, "rate_limited", "too many requests from this address; wait");
            resp->retry_after = retry_after;
            return;
        }
    }
    /* HEAD is a GET whose body the HTTP layer drops. */
    method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    for (size_t i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
        const struct route *r = &api_routes[i];
        long mid = route_match(r, req->path);
        if (mid < 0)
            continue;
        if (strcmp(method, r->method) != 0) {
            add_allow(allow, sizeof(allow), r->method);
            continue;
        }
        if ((size_t)mid > SIGN_PATH_MAX) {
            api_error(resp, 404, "not_found", "no such resource");
            return;
        }
        memcpy(param, req->path + strlen(r->prefix), (size_t)mid);
        param[mid] = '\0';
        c.param = param;
        r->handler(&c);
        return;
    }
    if (allow[0]) {
        api_error(resp, 405, "method_not_allowed", "method not allowed for this resource");
        snprintf(resp->allow, sizeof(resp->allow), "%s", allow);
        return;
    }
    api_error(resp, 404, "not_found", "no such resource");
}
