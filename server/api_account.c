/* Devices and accounts: guest registration, token refresh, the RFC 8628 device flow and the
 * /activate page where a person approves it. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "api_internal.h"
#include "binge/error.h"
#include "db.h"
#include "lang.h"
#include "slog.h"

#define DEVICE_GRANT_TYPE "urn:ietf:params:oauth:grant-type:device_code"

/* {"device_id", "token", "refresh_token", "expires_in"} plus, for a linked device, "account". */
static cJSON *tokens_doc(const char *device_id, const struct db_tokens *t,
                         const struct db_principal *who)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *account;

    if (!cJSON_AddStringToObject(root, "device_id", device_id) ||
        !cJSON_AddStringToObject(root, "token", t->token) ||
        !cJSON_AddStringToObject(root, "refresh_token", t->refresh_token) ||
        !cJSON_AddNumberToObject(root, "expires_in", (double)t->expires_in))
        goto fail;
    if (who && who->account_id > 0) {
        account = cJSON_AddObjectToObject(root, "account");
        if (!account || !cJSON_AddNumberToObject(account, "id", (double)who->account_id) ||
            !cJSON_AddStringToObject(account, "name", who->account_name))
            goto fail;
    }
    return root;

fail:
    cJSON_Delete(root);
    return NULL;
}

void api_handle_register(struct api_call *c)
{
    char generated[DB_DEVICE_ID_MAX + 1];
    char got[DB_DEVICE_ID_MAX + 1];
    const char *device_id = NULL;
    const char *proof = NULL;
    struct db_tokens tokens;
    struct db_principal who;
    cJSON *body = NULL;
    bool bad = false;
    int rc;

    if (c->req->body_len > 0) {
        body = api_body_object(c);
        if (!body)
            return;
        device_id = api_json_string(body, "device_id", &bad);
        if (bad) {
            api_error(c->resp, 400, "bad_request", "device_id must be a string");
            goto out;
        }
        /* The proof that a known id is this device's: an unused refresh token of it. */
        proof = api_json_string(body, "refresh_token", &bad);
        if (bad || (proof && !api_is_hex(proof, DB_TOKEN_HEX_LEN))) {
            api_error(c->resp, 400, "bad_request", "refresh_token must be 64 hex characters");
            goto out;
        }
    }
    if (!device_id)
        device_id = c->req->device_header;
    if (!device_id) {
        /* A first-launch device with no id of its own still gets one it can keep. */
        unsigned char raw[8];
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            api_internal_error(c->resp, "RAND_bytes", BINGE_EIO);
            goto out;
        }
        snprintf(generated, sizeof(generated), "dev-%02x%02x%02x%02x%02x%02x%02x%02x", raw[0],
                 raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7]);
        device_id = generated;
    }
    if (!api_is_key(device_id, DB_DEVICE_ID_MAX)) {
        api_error(c->resp, 400, "bad_request",
                  "device_id must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        goto out;
    }
    rc =
        db_register_device(c->api->db, device_id, proof, c->now, c->api->token_ttl_s, &tokens, got);
    if (rc == 0)
        rc = db_device_principal(c->api->db, got, &who);
    if (rc < 0) {
        api_internal_error(c->resp, "register device", rc);
        goto out;
    }
    api_respond_json(c->resp, 200, tokens_doc(got, &tokens, &who));
    OPENSSL_cleanse(&tokens, sizeof(tokens));
out:
    cJSON_Delete(body);
}

void api_handle_refresh(struct api_call *c)
{
    char device_id[DB_DEVICE_ID_MAX + 1];
    struct db_tokens tokens;
    struct db_principal who;
    const char *refresh;
    cJSON *body = api_body_object(c);
    bool bad = false;
    int rc;

    if (!body)
        return;
    refresh = api_json_string(body, "refresh_token", &bad);
    if (bad || !refresh || !api_is_hex(refresh, DB_TOKEN_HEX_LEN)) {
        api_error(c->resp, 400, "bad_request", "refresh_token must be 64 hex characters");
        goto out;
    }
    rc = db_refresh_tokens(c->api->db, refresh, c->now, c->api->token_ttl_s, device_id, &tokens);
    if (rc == BINGE_ENOTFOUND) {
        api_error(c->resp, 400, "invalid_grant", "unknown or already used refresh token");
        goto out;
    }
    if (rc == 0)
        rc = db_device_principal(c->api->db, device_id, &who);
    if (rc < 0) {
        api_internal_error(c->resp, "refresh", rc);
        goto out;
    }
    api_respond_json(c->resp, 200, tokens_doc(device_id, &tokens, &who));
    OPENSSL_cleanse(&tokens, sizeof(tokens));
out:
    cJSON_Delete(body);
}

/* The device leaves its account: a guest again, with a fresh, empty guest wallet and a new
 * token pair (every earlier token of the device is revoked, so no copy of one reaches even the
 * new guest wallet). Nothing of the account's wallet moves. */
void api_handle_unlink(struct api_call *c)
{
    struct db_principal was;
    struct db_principal now;
    struct db_tokens tokens;
    cJSON *doc;
    cJSON *from;
    int rc;

    if (!api_require_auth(c))
        return;
    rc = db_device_unlink(c->api->db, c->who.device_id, c->now, c->api->token_ttl_s, &was, &tokens);
    if (rc == BINGE_ESTATE) {
        api_error(c->resp, 409, "not_linked", "this device is not linked to an account");
        return;
    }
    if (rc == 0)
        rc = db_device_principal(c->api->db, c->who.device_id, &now);
    if (rc < 0) {
        api_internal_error(c->resp, "unlink device", rc);
        return;
    }
    doc = tokens_doc(now.device_id, &tokens, &now);
    OPENSSL_cleanse(&tokens, sizeof(tokens));
    from = doc ? cJSON_AddObjectToObject(doc, "unlinked_from") : NULL;
    if (!from || !cJSON_AddNumberToObject(from, "id", (double)was.account_id) ||
        !cJSON_AddStringToObject(from, "name", was.account_name)) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    c->resp->cache_control = "no-store";
    api_respond_json(c->resp, 200, doc);
}

/* "BCDFGHJK" -> "BCDF-GHJK" */
static void format_user_code(const char *code, char *out, size_t cap)
{
    snprintf(out, cap, "%.4s-%.4s", code, code + 4);
}

void api_handle_device_code(struct api_call *c)
{
    struct db_device_code dc;
    char base[API_URL_MAX];
    char uri[API_URL_MAX + 16];
    char complete[API_URL_MAX + 48];
    char shown[DB_USER_CODE_LEN + 2];
    cJSON *root;
    int rc;

    /* The guest token says which device (and so which guest wallet) is being linked. */
    if (!api_require_auth(c))
        return;
    rc = db_device_code_new(c->api->db, c->who.device_id, c->now, &dc);
    if (rc < 0) {
        api_internal_error(c->resp, "device code", rc);
        return;
    }
    format_user_code(dc.user_code, shown, sizeof(shown));
    api_base_url(c->api, c->req, base, sizeof(base));
    snprintf(uri, sizeof(uri), "%s/activate", base);
    snprintf(complete, sizeof(complete), "%s/activate?user_code=%s", base, shown);
    root = cJSON_CreateObject();
    if (!cJSON_AddStringToObject(root, "device_code", dc.device_code) ||
        !cJSON_AddStringToObject(root, "user_code", shown) ||
        !cJSON_AddStringToObject(root, "verification_uri", uri) ||
        !cJSON_AddStringToObject(root, "verification_uri_complete", complete) ||
        !cJSON_AddNumberToObject(root, "expires_in", (double)(dc.expires_at - c->now)) ||
        !cJSON_AddNumberToObject(root, "interval", dc.interval)) {
        cJSON_Delete(root);
        root = NULL;
    }
    api_respond_json(c->resp, 200, root);
}

/* device_code (and grant_type) from a JSON or a form body, as RFC 8628 clients send either. */
static int token_request(struct api_call *c, char *device_code, size_t cap)
{
    char grant[64] = "";
    cJSON *body;
    bool bad = false;
    int rc = 0;

    /* curl -d labels JSON as a form, so the body's first byte decides. */
    if (api_body_is_form(c) && (c->req->body_len == 0 || c->req->body[0] != '{')) {
        if (api_form_value(c->req->body, c->req->body_len, "device_code", device_code, cap) < 0)
            return BINGE_EINVAL;
        rc = api_form_value(c->req->body, c->req->body_len, "grant_type", grant, sizeof(grant));
        if (rc < 0 && rc != BINGE_ENOTFOUND)
            return BINGE_EINVAL;
    } else {
        const char *code;
        const char *g;
        body = api_body_object(c);
        if (!body)
            return BINGE_EPARSE; /* answered */
        code = api_json_string(body, "device_code", &bad);
        g = api_json_string(body, "grant_type", &bad);
        if (!bad && code && strlen(code) < cap)
            snprintf(device_code, cap, "%s", code);
        else
            bad = true;
        if (g)
            snprintf(grant, sizeof(grant), "%.*s", (int)sizeof(grant) - 1, g);
        cJSON_Delete(body);
        if (bad)
            return BINGE_EINVAL;
    }
    if (grant[0] && strcmp(grant, DEVICE_GRANT_TYPE) != 0)
        return BINGE_ENOTFOUND;
    return 0;
}

static void token_error(struct api_call *c, const char *code, const char *message, int interval)
{
    cJSON *doc = api_error_doc(code, message);

    if (doc && interval > 0 && !cJSON_AddNumberToObject(doc, "interval", interval)) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    api_respond_json(c->resp, 400, doc);
}

void api_handle_device_token(struct api_call *c)
{
    char device_code[DB_TOKEN_HEX_LEN + 2];
    enum db_poll_result result;
    struct db_tokens tokens;
    struct db_principal who;
    int interval = 0;
    int rc;

    rc = token_request(c, device_code, sizeof(device_code));
    if (rc == BINGE_EPARSE)
        return;
    if (rc == BINGE_ENOTFOUND) {
        token_error(c, "unsupported_grant_type", "grant_type must be " DEVICE_GRANT_TYPE, 0);
        return;
    }
    if (rc < 0 || !api_is_hex(device_code, DB_TOKEN_HEX_LEN)) {
        api_error(c->resp, 400, "bad_request", "device_code must be 64 hex characters");
        return;
    }
    rc = db_device_code_poll(c->api->db, device_code, c->now, c->api->token_ttl_s, &result,
                             &interval, &tokens, &who);
    if (rc < 0) {
        api_internal_error(c->resp, "device token", rc);
        return;
    }
    switch (result) {
    case DB_POLL_PENDING:
        token_error(c, "authorization_pending", "the user has not approved yet", 0);
        break;
    case DB_POLL_SLOW_DOWN:
        token_error(c, "slow_down", "polling too fast; wait longer between requests", interval);
        break;
    case DB_POLL_EXPIRED:
        token_error(c, "expired_token", "the device code expired; start again", 0);
        break;
    case DB_POLL_DENIED:
        token_error(c, "access_denied", "the user denied the request", 0);
        break;
    case DB_POLL_INVALID:
        token_error(c, "invalid_grant", "unknown or already used device code", 0);
        break;
    case DB_POLL_APPROVED:
        api_respond_json(c->resp, 200, tokens_doc(who.device_id, &tokens, &who));
        OPENSSL_cleanse(&tokens, sizeof(tokens));
        break;
    }
}

/* ---- the activation page ------------------------------------------------------------------ */

/* Upper-cases a typed user code and drops dashes and spaces. Returns false unless exactly
 * DB_USER_CODE_LEN characters of the alphabet remain. */
static bool normalize_user_code(const char *in, char *out)
{
    size_t o = 0;

    for (; in && *in; in++) {
        char ch = (char)toupper((unsigned char)*in);
        if (ch == '-' || ch == ' ')
            continue;
        if (o == DB_USER_CODE_LEN || !strchr(DB_USER_CODE_ALPHABET, ch))
            return false;
        out[o++] = ch;
    }
    out[o] = '\0';
    return o == DB_USER_CODE_LEN;
}

static void activate_form(struct api_call *c, int status, const char *notice, const char *code,
                          const char *name)
{
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);

    if (!f) {
        api_internal_error(c->resp, "activate page", BINGE_ENOMEM);
        return;
    }
    if (notice) {
        fputs("<p><strong>", f);
        api_html_escape(f, notice);
        fputs("</strong></p>\n", f);
    }
    fputs("<p>Enter the code shown on your TV, then sign in to your account, or create one, to "
          "link the TV to it.</p>\n<form method=\"post\" action=\"/activate\">\n"
          "<label>Code<br><input class=\"code\" name=\"user_code\" maxlength=\"16\" "
          "autocomplete=\"off\" placeholder=\"XXXX-XXXX\" value=\"",
          f);
    api_html_escape(f, code);
    fputs("\"></label><br>\n<label>Account name<br><input name=\"name\" maxlength=\"64\" "
          "value=\"",
          f);
    api_html_escape(f, name);
    fputs("\"></label><br>\n<label>Password<br><input type=\"password\" name=\"password\" "
          "maxlength=\"128\" autocomplete=\"current-password\"></label><br>\n"
          "<button name=\"action\" value=\"approve\">Sign in and approve</button>\n"
          "<button name=\"action\" value=\"create\">Create account and approve</button>\n"
          "<button name=\"action\" value=\"deny\">Deny</button>\n</form>",
          f);
    if (fclose(f) != 0 || !html) {
        free(html);
        api_internal_error(c->resp, "activate page", BINGE_ENOMEM);
        return;
    }
    api_html_page(c->resp, status, "Sign in your TV", html);
    free(html);
}

void api_handle_activate_form(struct api_call *c)
{
    const char *arg = api_query(c, "user_code");
    char code[DB_USER_CODE_LEN + 1];
    char shown[DB_USER_CODE_LEN + 2] = "";

    /* Only a well-formed code is echoed into the page. */
    if (arg && normalize_user_code(arg, code))
        format_user_code(code, shown, sizeof(shown));
    activate_form(c, 200, NULL, shown, "");
}

/* A name people can read back: trimmed, 1..DB_ACCOUNT_NAME_MAX bytes of UTF-8 without control
 * characters. */
static bool clean_name(char *name)
{
    size_t n;
    char *start = name;

    while (*start == ' ')
        start++;
    memmove(name, start, strlen(start) + 1);
    n = strlen(name);
    while (n > 0 && name[n - 1] == ' ')
        name[--n] = '\0';
    if (n == 0 || n > DB_ACCOUNT_NAME_MAX || !lang_utf8_valid(name, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    }
    return true;
}

static void activate_result(struct api_call *c, int status, const char *title, const char *text,
                            const char *name)
{
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);

    if (!f) {
        api_internal_error(c->resp, "activate page", BINGE_ENOMEM);
        return;
    }
    fputs("<p>", f);
    api_html_escape(f, text);
    if (name) {
        fputs(" <strong>", f);
        api_html_escape(f, name);
        fputs("</strong>.", f);
    }
    fputs("</p>", f);
    if (status != 200)
        fputs("\n<p><a href=\"/activate\">Try again</a></p>", f);
    if (fclose(f) != 0 || !html) {
        free(html);
        api_internal_error(c->resp, "activate page", BINGE_ENOMEM);
        return;
    }
    api_html_page(c->resp, status, title, html);
    free(html);
}

void api_handle_activate(struct api_call *c)
{
    char typed[64] = "";
    char name[4 * DB_ACCOUNT_NAME_MAX + 1] = "";
    char password[DB_PASSWORD_MAX + 2] = "";
    char action[16] = "";
    char code[DB_USER_CODE_LEN + 1];
    char shown[DB_USER_CODE_LEN + 2] = "";
    char text[160];
    struct db_decide_request rq = {0};
    enum db_decide_result result;
    int tries_left = 0;
    int rc = 0;

    if (c->req->body_len > 0) {
        const char *b = c->req->body;
        size_t n = c->req->body_len;
        if (api_form_value(b, n, "user_code", typed, sizeof(typed)) == BINGE_EPARSE ||
            api_form_value(b, n, "name", name, sizeof(name)) == BINGE_EPARSE ||
            api_form_value(b, n, "action", action, sizeof(action)) == BINGE_EPARSE ||
            (rc = api_form_value(b, n, "password", password, sizeof(password))) == BINGE_EPARSE) {
            activate_form(c, 400, "The form could not be read.", "", "");
            goto out;
        }
    }
    if (!action[0])
        snprintf(action, sizeof(action), "approve"); /* a form without the buttons */
    if (strcmp(action, "approve") == 0) {
        rq.action = DB_DECIDE_APPROVE;
    } else if (strcmp(action, "create") == 0) {
        rq.action = DB_DECIDE_CREATE;
    } else if (strcmp(action, "deny") == 0) {
        rq.action = DB_DECIDE_DENY;
    } else {
        activate_form(c, 400, "Choose Approve, Create or Deny.", "", "");
        goto out;
    }
    if (!normalize_user_code(typed, code)) {
        activate_form(c, 400, "That is not a valid code: it has 8 letters, like BCDF-GHJK.", "",
                      clean_name(name) ? name : "");
        goto out;
    }
    format_user_code(code, shown, sizeof(shown));
    if (rq.action != DB_DECIDE_DENY && !clean_name(name)) {
        activate_form(c, 400, "Enter an account name (up to 64 characters).", shown, "");
        goto out;
    }
    if (rq.action != DB_DECIDE_DENY && (rc == BINGE_ETOOBIG || !password[0])) {
        activate_form(c, 400, "Enter the account's password.", shown, name);
        goto out;
    }
    if (rq.action == DB_DECIDE_CREATE && !db_password_acceptable(password)) {
        activate_form(c, 400, "Choose a password of 8 to 128 characters.", shown, name);
        goto out;
    }
    rq.user_code = code;
    rq.name = name;
    rq.password = password;
    rq.now = c->now;
    rc = db_device_code_decide(c->api->db, &rq, &result, &tries_left, NULL);
    if (rc < 0) {
        api_internal_error(c->resp, "activate", rc);
        goto out;
    }
    switch (result) {
    case DB_DECIDE_UNKNOWN:
        activate_result(c, 404, "Unknown code", "No TV is waiting for that code.", NULL);
        break;
    case DB_DECIDE_EXPIRED:
        activate_result(c, 410, "Code expired",
                        "That code has expired. Start again on your TV to get a new one.", NULL);
        break;
    case DB_DECIDE_USED:
        activate_result(c, 409, "Code already used",
                        "That code was already approved or denied, or had too many wrong "
                        "tries.",
                        NULL);
        break;
    case DB_DECIDE_BAD_LOGIN:
        /* The same answer for an unknown name and a wrong password. */
        if (tries_left > 0)
            snprintf(text, sizeof(text),
                     "Wrong account name or password. %d %s left for this code.", tries_left,
                     tries_left == 1 ? "try" : "tries");
        else
            snprintf(text, sizeof(text),
                     "Wrong account name or password. That was the last try "
                     "for this code: start again on your TV.");
        if (tries_left > 0)
            activate_form(c, 403, text, shown, name);
        else
            activate_result(c, 403, "Sign-in failed", text, NULL);
        break;
    case DB_DECIDE_BUSY:
        /* Another sign-in is being checked (one at a time, by design): nothing was counted. */
        c->resp->retry_after = 1;
        activate_form(c, 503, "The server is busy checking another sign-in. Please try again.",
                      shown, name);
        break;
    case DB_DECIDE_NAME_TAKEN:
        activate_form(c, 409, "An account of that name exists: sign in to it instead.", shown,
                      name);
        break;
    case DB_DECIDE_DONE:
        if (rq.action != DB_DECIDE_DENY)
            activate_result(c, 200, "TV signed in",
                            "Your TV is now signed in. Its coins, unlocks and progress moved to "
                            "the account",
                            name);
        else
            activate_result(c, 200, "Request denied", "The TV was not signed in.", NULL);
        break;
    }
out:
    OPENSSL_cleanse(password, sizeof(password));
}
