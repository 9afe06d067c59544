#ifndef BINGE_CATALOG_H
#define BINGE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The model: series, episodes, lock state, playback grants; and JSON -> model.
 *
 * catalog/ parses and validates; it never does I/O, so fixtures test it directly. cJSON trees
 * never leave this module. Every parser:
 *   - takes a buffer that need not be NUL-terminated (json, len);
 *   - type-checks every field it reads and ignores unknown fields;
 *   - on failure returns BINGE_EPARSE and writes a message naming the field into err, e.g.
 *     "shelves[0].items[2].title: expected a string" or "play_url: missing";
 *   - on success gives a tree the caller owns (transfer full), freed with the matching _free().
 * Every _free(NULL) is a no-op. Threading: any thread; no shared state.
 *
 * URLs taken from the network must be http:// or https://; anything else is a parse error
 * naming the field.
 *
 * Request bodies are built here too (catalog_build_*), so that no other module handles cJSON:
 * each returns 0 and a NUL-terminated JSON text in *out (transfer full, free()), BINGE_EINVAL
 * for an argument the server would refuse (checked the way docs/api.md states), or
 * BINGE_ENOMEM. *out is NULL on failure. */

#define CATALOG_ERR_LEN 256

struct catalog_item {  /* one card on a shelf */
    char *series_id;   /* "id" */
    char *title;       /* "title" */
    char *poster_url;  /* "poster_url", http(s); NULL when null (no poster) */
    int episode_count; /* "episode_count", >= 0 */
    /* Issue 3, all optional. Search results carry a synopsis; the "continue" shelf carries the
     * episode to resume. When "episode_id" is present, "episode_index" (>= 1) and "resume_ms"
     * (>= 0) are required and "duration_ms" (>= 0, 0 = unknown) is optional. */
    char *synopsis;      /* "synopsis", NULL when absent/null */
    char *episode_id;    /* "episode_id", NULL when absent/null (not a continue entry) */
    int episode_index;   /* "episode_index", 0 without episode_id */
    int64_t resume_ms;   /* "resume_ms", 0 without episode_id */
    int64_t duration_ms; /* "duration_ms", 0 when absent or unknown */
    /* Issue 9, the hero of a focused card, all optional (absent or null: none, 0, -1). */
    char **genres;            /* "genres": localized names; NULL when n_genres is 0 */
    size_t n_genres;          /* "genres" */
    int free_episodes;        /* "free_episodes", >= 0; -1 when absent */
    int64_t total_duration_s; /* "total_duration_s", >= 0; -1 when absent */
};

struct catalog_shelf {
    char *id;    /* "id" */
    char *title; /* "title" */
    struct catalog_item *items;
    size_t n_items;
};

struct catalog_home { /* GET /v1/home */
    struct catalog_shelf *shelves;
    size_t n_shelves;
    /* One bad item costs only that item: it is left out of its shelf and counted here, and the
     * first one's error ("shelves[0].items[2].episode_count: must be >= 0") is kept for the log.
     * A bad shelf or document still fails the whole parse. */
    size_t n_dropped;
    char dropped[CATALOG_ERR_LEN]; /* "" when nothing was dropped */
};

enum catalog_lock {
    CATALOG_FREE = 0,
    CATALOG_UNLOCKED = 1,
    CATALOG_LOCKED = 2,
};

struct catalog_episode {
    char *id;                /* "id" */
    int index;               /* "index", 1-based */
    char *title;             /* "title" */
    int duration_s;          /* "duration_s", >= 0 */
    char *thumb_url;         /* "thumb_url", http(s), may be NULL when absent/null */
    enum catalog_lock state; /* "state": "free" | "unlocked" | "locked" */
    int price_coins;         /* "price_coins", >= 0 */
    /* The viewer's progress in it (optional, absent or null: none): "position_ms" >= 0, the
     * stored position; "watched", finished (95% or more). */
    int64_t position_ms;
    bool watched;
};

struct catalog_series { /* GET /v1/series/{id} */
    char *id;
    char *title;
    char *synopsis;                   /* may be NULL when absent */
    char *poster_url;                 /* http(s); NULL when null (no poster) */
    struct catalog_episode *episodes; /* sorted by index */
    size_t n_episodes;
    char **genres; /* "genres": array of strings, optional (n_genres 0, genres NULL) */
    size_t n_genres;
    /* "resume", optional (absent or null: none): where the viewer goes on with the series, the
     * episode they are on at its position, or the next one at 0 when that one was finished.
     * When present, "episode_id" (non-empty), "episode_index" (>= 1) and "resume_ms" (>= 0) are
     * required. */
    char *resume_episode_id; /* NULL without a resume */
    int resume_index;        /* 0 without a resume */
    int64_t resume_ms;       /* 0 without a resume */
    /* What the series page shows above the grid. Optional: absent or null gives the figure
     * computed from "episodes" (count, those with price 0, the sum of duration_s, the price of
     * the first priced episode); "in_mylist" absent or null is false. */
    int episode_count;
    int free_episodes;
    int64_t total_duration_s;
    int episode_price_coins; /* 0 when every episode is free */
    bool in_mylist;
};

/* One subtitle or audio track of a play grant. The server sends empty arrays until the content
 * carries tracks; this is the element shape binge expects then. */
struct catalog_track {
    char *language;  /* "language", required, non-empty (BCP 47, e.g. "es", "pt-BR") */
    char *label;     /* "label", NULL when absent/null */
    char *url;       /* "url", http(s), NULL when absent/null (the track is in the HLS master) */
    bool is_default; /* "default", false when absent/null */
};

struct catalog_play {      /* 200 of POST /v1/episodes/{id}/play */
    char *episode_id;      /* "episode_id" */
    char *play_url;        /* "play_url", http(s) */
    int64_t expires_at;    /* "expires_at", unix seconds */
    int64_t resume_ms;     /* "resume_ms", >= 0 */
    char *next_episode_id; /* "next_episode_id", NULL when null/absent (last episode) */
    /* Issue 3: optional arrays; absent or null gives none. */
    struct catalog_track *subtitles; /* "subtitles" */
    size_t n_subtitles;
    struct catalog_track *audio_tracks; /* "audio_tracks" */
    size_t n_audio_tracks;
};

/* Unlock methods, also as a bit set (catalog_locked.methods). */
enum catalog_method {
    CATALOG_METHOD_NONE = 0,
    CATALOG_METHOD_COINS = 1 << 0, /* "coins" */
    CATALOG_METHOD_AD = 1 << 1,    /* "ad" */
    CATALOG_METHOD_VIP = 1 << 2,   /* "vip" */
};

struct catalog_locked { /* 402 of POST /v1/episodes/{id}/play */
    int price_coins;    /* "price_coins" */
    int balance;        /* "balance" */
    char *message;      /* "error.message", may be NULL */
    /* Issue 3, optional. */
    int64_t coins;       /* "coins", -1 when absent */
    int64_t bonus_coins; /* "bonus_coins", -1 when absent */
    unsigned methods;    /* "unlock_methods": CATALOG_METHOD_* bits; unknown names are ignored;
                            absent or null: CATALOG_METHOD_COINS */
    char *code;          /* "error.code", may be NULL */
};

/* 200 of POST /v1/device/register, POST /v1/device/refresh and POST /v1/device/token. */
struct catalog_device {
    char *token;     /* "token" */
    char *device_id; /* "device_id" */
    /* Issue 3, optional so an older server still parses: without a refresh token the app
     * re-registers instead of refreshing. */
    char *refresh_token; /* "refresh_token", NULL when absent/null */
    int64_t expires_in;  /* "expires_in" seconds, >= 0; 0 when absent (no expiry known) */
    int64_t account_id;  /* "account.id", 0 for a guest device ("account" absent/null) */
    char *account_name;  /* "account.name", NULL for a guest device */
};

/* Items with a bad field are dropped (see struct catalog_home), not the whole home. */
int catalog_parse_home(const char *json, size_t len, struct catalog_home **out,
                       char err[CATALOG_ERR_LEN]);
void catalog_home_free(struct catalog_home *home);

int catalog_parse_series(const char *json, size_t len, struct catalog_series **out,
                         char err[CATALOG_ERR_LEN]);
void catalog_series_free(struct catalog_series *series);

int catalog_parse_play(const char *json, size_t len, struct catalog_play **out,
                       char err[CATALOG_ERR_LEN]);
void catalog_play_free(struct catalog_play *play);

int catalog_parse_locked(const char *json, size_t len, struct catalog_locked **out,
                         char err[CATALOG_ERR_LEN]);
void catalog_locked_free(struct catalog_locked *locked);

int catalog_parse_device(const char *json, size_t len, struct catalog_device **out,
                         char err[CATALOG_ERR_LEN]);
void catalog_device_free(struct catalog_device *device);

/* Parses an error body {"error":{"code":"...","message":"..."}}. *code and *message are
 * transfer full. Returns 0 or BINGE_EPARSE (not an error body). */
int catalog_parse_error(const char *json, size_t len, char **code, char **message);

/* ---- issue 3: search, wallet, unlocks, check-in, packs, checkout, device flow, progress ---- */

struct catalog_search {         /* GET /v1/search?q= */
    char *query;                /* "query", as the server understood it */
    struct catalog_item *items; /* "items": like shelf items, usually with "synopsis" */
    size_t n_items;
};

int catalog_parse_search(const char *json, size_t len, struct catalog_search **out,
                         char err[CATALOG_ERR_LEN]);
void catalog_search_free(struct catalog_search *search);

struct catalog_wallet {         /* GET /v1/wallet */
    int64_t coins;              /* "coins", >= 0 */
    int64_t bonus_coins;        /* "bonus_coins", >= 0 */
    int64_t bonus_expiring;     /* "bonus_expiry.amount": the bonus coins expiring soonest, 0 when
                                   "bonus_expiry" is absent/null */
    int64_t bonus_expires_at;   /* "bonus_expiry.expires_at", unix seconds, 0 when none */
    bool vip_active;            /* "vip.active" ("vip" is a required object) */
    int64_t vip_expires_at;     /* "vip.expires_at", unix seconds, 0 when absent/null */
    int ads_left_today;         /* "ads_left_today", >= 0 */
    int ads_per_day;            /* "ads_per_day", -1 when absent */
    bool checkin_claimed_today; /* "checkin.claimed_today" ("checkin" is a required object) */
    int checkin_streak;         /* "checkin.streak", >= 0 */
    int checkin_next_reward;    /* "checkin.next_reward", -1 when absent */
    int64_t account_id;         /* "account.id", 0 for a guest device ("account" absent/null) */
    char *account_name;         /* "account.name", NULL for a guest device */
};

int catalog_parse_wallet(const char *json, size_t len, struct catalog_wallet **out,
                         char err[CATALOG_ERR_LEN]);
void catalog_wallet_free(struct catalog_wallet *wallet);

struct catalog_unlock {         /* 200 of POST /v1/episodes/{id}/unlock */
    char *episode_id;           /* "episode_id" */
    enum catalog_lock state;    /* "state": "free" or "unlocked" ("locked" is an error) */
    enum catalog_method method; /* "method", CATALOG_METHOD_NONE when null (a free episode) */
    int price_coins;            /* "price_coins", >= 0 */
    bool already_unlocked;      /* "already_unlocked": nothing was charged this time */
    int64_t charged_coins;      /* "charged.coins", >= 0 ("charged" is a required object) */
    int64_t charged_bonus;      /* "charged.bonus_coins", >= 0 */
    int64_t coins;              /* "wallet.coins", after ("wallet" is a required object) */
    int64_t bonus_coins;        /* "wallet.bonus_coins", after */
    int ads_left_today;         /* "wallet.ads_left_today", -1 when absent */
};

int catalog_parse_unlock(const char *json, size_t len, struct catalog_unlock **out,
                         char err[CATALOG_ERR_LEN]);
void catalog_unlock_free(struct catalog_unlock *unlock);

/* Why an unlock was refused, from the HTTP status and "error.code". */
enum catalog_refusal_kind {
    CATALOG_REFUSAL_OTHER = 0,      /* any other error body (404 not_found, 400 bad_request, ...) */
    CATALOG_REFUSAL_NO_COINS = 1,   /* 402 insufficient_coins: price_coins and balance set */
    CATALOG_REFUSAL_NO_VIP = 2,     /* 402 vip_required: vip_expires_at set */
    CATALOG_REFUSAL_AD_LIMIT = 3,   /* 429 ad_limit_reached: ads_per_day, retry_after_s set */
    CATALOG_REFUSAL_CONFLICT = 4,   /* 409 idempotency_conflict: the key was used for another
                                       request; make a new key */
    CATALOG_REFUSAL_RATE_LIMIT = 5, /* 429 with another code (rate_limited): wait Retry-After */
};

struct catalog_refusal { /* 4xx of POST /v1/episodes/{id}/unlock */
    enum catalog_refusal_kind kind;
    char *code;             /* "error.code", required */
    char *message;          /* "error.message", the code when absent */
    int price_coins;        /* NO_COINS: "price_coins" (required), else 0 */
    int64_t balance;        /* NO_COINS: "balance" (required), else 0 */
    int64_t coins;          /* NO_COINS: "coins", -1 when absent */
    int64_t bonus_coins;    /* NO_COINS: "bonus_coins", -1 when absent */
    int64_t vip_expires_at; /* NO_VIP: "vip.expires_at", 0 when absent/null */
    int ads_per_day;        /* AD_LIMIT: "ads_per_day", -1 when absent */
    int64_t retry_after_s;  /* AD_LIMIT: "retry_after" seconds, -1 when absent (the header
                               net_response.retry_after_s says the same) */
};

/* Parses an unlock error body; http_status is the response's status (400..499). BINGE_EPARSE
 * when the body is not an error document or a typed refusal lacks its required fields. */
int catalog_parse_refusal(long http_status, const char *json, size_t len,
                          struct catalog_refusal **out, char err[CATALOG_ERR_LEN]);
void catalog_refusal_free(struct catalog_refusal *refusal);

struct catalog_checkin {    /* POST /v1/checkin: 200, or 409 already_claimed */
    bool already_claimed;   /* the 409: nothing was credited */
    int reward_bonus_coins; /* "reward_bonus_coins", 200 only (0 on 409) */
    int streak;             /* "streak", >= 0 */
    int64_t expires_at;     /* "expires_at" of the reward, 200 only (0 on 409) */
    int next_reward;        /* "next_reward", -1 when absent */
    int64_t coins;          /* "wallet.coins", 200 only; -1 on 409 */
    int64_t bonus_coins;    /* "wallet.bonus_coins", 200 only; -1 on 409 */
};

/* http_status 200 or 409; any other status is BINGE_EPARSE ("unexpected HTTP status"). */
int catalog_parse_checkin(long http_status, const char *json, size_t len,
                          struct catalog_checkin **out, char err[CATALOG_ERR_LEN]);
void catalog_checkin_free(struct catalog_checkin *checkin);

struct catalog_pack {
    char *id;        /* "id" */
    char *title;     /* "title", localized */
    int coins;       /* "coins", >= 0 */
    int bonus_coins; /* "bonus_coins", >= 0 */
    int bonus_days;  /* "bonus_days", >= 0, 0 when absent */
    int vip_days;    /* "vip_days", >= 0 */
    int price_cents; /* "price_cents", >= 0 */
    char *currency;  /* "currency", e.g. "USD" */
    char *price;     /* "price", display text ("$4.99") */
};

struct catalog_packs {          /* GET /v1/packs */
    struct catalog_pack *packs; /* "packs" */
    size_t n_packs;
};

int catalog_parse_packs(const char *json, size_t len, struct catalog_packs **out,
                        char err[CATALOG_ERR_LEN]);
void catalog_packs_free(struct catalog_packs *packs);

enum catalog_ledger_kind {
    CATALOG_LEDGER_OTHER = 0,          /* a kind this binge does not know: shown as a change */
    CATALOG_LEDGER_UNLOCK = 1,         /* "unlock" */
    CATALOG_LEDGER_PURCHASE = 2,       /* "purchase" */
    CATALOG_LEDGER_CHECKIN = 3,        /* "checkin" */
    CATALOG_LEDGER_WELCOME = 4,        /* "welcome" */
    CATALOG_LEDGER_WELCOME_RETURN = 5, /* "welcome_return" */
};

struct catalog_ledger_item {
    int64_t time;                  /* "time", unix seconds */
    enum catalog_ledger_kind kind; /* "kind" (a string; unknown ones are OTHER) */
    enum catalog_method method;    /* "method" of an unlock, CATALOG_METHOD_NONE when null */
    int64_t coins;                 /* "coins", signed: how the coins changed */
    int64_t bonus_coins;           /* "bonus_coins", signed */
    int64_t bonus_expires_at;      /* "bonus_expires_at", 0 when null */
    char *episode_id;              /* "episode_id", NULL when null */
    int episode_index;             /* "episode_index", 0 when null */
    char *series_title;            /* "series_title", localized, NULL when null */
    char *pack_id;                 /* "pack.id", NULL when "pack" is null */
    char *pack_title;              /* "pack.title", NULL when "pack" is null */
    int pack_vip_days;             /* "pack.vip_days", 0 when absent or "pack" is null */
};

struct catalog_wallet_history {        /* GET /v1/wallet/history?limit= */
    struct catalog_ledger_item *items; /* "items", newest first; an item with a bad field is
                                          left out (the rest of the ledger is still shown) */
    size_t n_items;
    size_t n_dropped;
    char dropped[CATALOG_ERR_LEN]; /* the first left-out item's error, "" when none */
};

int catalog_parse_wallet_history(const char *json, size_t len, struct catalog_wallet_history **out,
                                 char err[CATALOG_ERR_LEN]);
void catalog_wallet_history_free(struct catalog_wallet_history *history);

enum catalog_purchase_status {
    CATALOG_PURCHASE_PENDING = 0,   /* "pending": keep polling */
    CATALOG_PURCHASE_COMPLETED = 1, /* "completed": coins credited; refresh the wallet */
    CATALOG_PURCHASE_EXPIRED = 2,   /* "expired": unpaid in time */
};

/* 200 of POST /v1/purchase/session and of GET /v1/purchase/session/{id} */
struct catalog_purchase {
    char *id;                            /* "id" */
    char *qr_url;                        /* "qr_url", http(s): shown as a QR code */
    enum catalog_purchase_status status; /* "status" */
    int64_t expires_at;                  /* "expires_at", unix seconds */
    int64_t completed_at;                /* "completed_at", 0 when null/absent */
    struct catalog_pack pack;            /* "pack", required object */
};

int catalog_parse_purchase(const char *json, size_t len, struct catalog_purchase **out,
                           char err[CATALOG_ERR_LEN]);
void catalog_purchase_free(struct catalog_purchase *purchase);

struct catalog_device_code {         /* 200 of POST /v1/device/code (RFC 8628 3.2) */
    char *device_code;               /* "device_code" */
    char *user_code;                 /* "user_code", shown to the viewer */
    char *verification_uri;          /* "verification_uri", http(s) */
    char *verification_uri_complete; /* http(s), NULL when absent: then the QR code shows
                                        verification_uri */
    int expires_in;                  /* "expires_in" seconds, >= 1 */
    int interval; /* "interval" seconds between polls, >= 1; 5 when absent (RFC) */
};

int catalog_parse_device_code(const char *json, size_t len, struct catalog_device_code **out,
                              char err[CATALOG_ERR_LEN]);
void catalog_device_code_free(struct catalog_device_code *code);

enum catalog_token_status {
    CATALOG_TOKEN_OK = 0,        /* 200: tokens set */
    CATALOG_TOKEN_PENDING = 1,   /* 400 authorization_pending: poll again after interval */
    CATALOG_TOKEN_SLOW_DOWN = 2, /* 400 slow_down: poll less often (interval set when sent) */
    CATALOG_TOKEN_EXPIRED = 3,   /* 400 expired_token: start the flow again */
    CATALOG_TOKEN_DENIED = 4,    /* 400 access_denied: the viewer said no */
    CATALOG_TOKEN_FAILED = 5,    /* 400 with another code (invalid_grant, bad_request, ...) */
};

struct catalog_token_poll { /* POST /v1/device/token */
    enum catalog_token_status status;
    struct catalog_device *tokens; /* OK only, else NULL; owned by the poll */
    int interval;                  /* SLOW_DOWN: the new "interval" in seconds, 0 when not sent */
    char *code;                    /* the error code, NULL when OK */
    char *message;                 /* "error.message", NULL when OK (the code when absent) */
};

/* http_status 200 (tokens, as catalog_parse_device) or 400 (an RFC 8628 error); any other
 * status is BINGE_EPARSE ("unexpected HTTP status N"). */
int catalog_parse_token_poll(long http_status, const char *json, size_t len,
                             struct catalog_token_poll **out, char err[CATALOG_ERR_LEN]);
void catalog_token_poll_free(struct catalog_token_poll *poll);

enum catalog_progress_status {
    CATALOG_PROGRESS_APPLIED = 0,   /* "applied" */
    CATALOG_PROGRESS_STALE = 1,     /* "stale": the server holds a newer position */
    CATALOG_PROGRESS_DUPLICATE = 2, /* "duplicate": this event was applied before */
    CATALOG_PROGRESS_UNKNOWN = 3,   /* "unknown_episode" */
    CATALOG_PROGRESS_OTHER = 4,     /* a status this client does not know */
};

struct catalog_progress_result {
    char *event_id;                      /* "event_id" */
    enum catalog_progress_status status; /* every status means "processed": drop it from the
                                            queue */
};

struct catalog_progress_ack {                /* 200 of POST /v1/progress */
    struct catalog_progress_result *results; /* "results" */
    size_t n_results;
    int applied; /* "applied", >= 0; -1 when absent */
};

int catalog_parse_progress_ack(const char *json, size_t len, struct catalog_progress_ack **out,
                               char err[CATALOG_ERR_LEN]);
void catalog_progress_ack_free(struct catalog_progress_ack *ack);

/* ---- request bodies ---- */

/* The server's limits, checked by the builders. */
#define CATALOG_IDEMPOTENCY_KEY_MAX 128 /* 1..128 of A-Z a-z 0-9 . _ : - */
#define CATALOG_EVENT_ID_MAX 64         /* 1..64 of A-Z a-z 0-9 . _ : - */
#define CATALOG_DEVICE_ID_MAX 64        /* 1..64 of A-Z a-z 0-9 . _ : - */
#define CATALOG_PROGRESS_BATCH_MAX 100  /* items per POST /v1/progress */
#define CATALOG_PROGRESS_MS_MAX 86400000LL
#define CATALOG_TIME_MS_MAX 9007199254740992LL /* 2^53: what a JSON number holds exactly */

/* {"method": "coins"|"ad"|"vip", "idempotency_key": key}. method is one CATALOG_METHOD_*
 * value (not NONE, not a combination). Resending the same body with the same key never charges
 * twice; a new unlock needs a new key. */
int catalog_build_unlock(enum catalog_method method, const char *idempotency_key, char **out);

struct catalog_progress_item {
    const char *episode_id; /* an episode id: 1..128 of a-z 0-9 - */
    const char *event_id;   /* unique per report: 1..64 of A-Z a-z 0-9 . _ : - */
    int64_t position_ms;    /* 0..CATALOG_PROGRESS_MS_MAX */
    int64_t duration_ms;    /* 0..CATALOG_PROGRESS_MS_MAX, 0 = unknown */
    int64_t updated_at_ms;  /* client time, unix milliseconds, 0..CATALOG_TIME_MS_MAX */
};

/* {"items": [{"episode_id", "event_id", "position_ms", "duration_ms", "updated_at"}, ...]},
 * 1..CATALOG_PROGRESS_BATCH_MAX items. */
int catalog_build_progress(const struct catalog_progress_item *items, size_t n, char **out);

/* {"device_id": id, "refresh_token": proof}: device_id NULL leaves it out (the server then uses
 * X-Device-Id or makes one up); refresh_token (NULL: none; 1..512 visible ASCII characters) is
 * the proof that a known device id is this device's (docs/api.md). */
int catalog_build_register(const char *device_id, const char *refresh_token, char **out);

/* {"refresh_token": token}; token is 1..512 visible ASCII characters. */
int catalog_build_refresh(const char *refresh_token, char **out);

/* {"device_code": code, "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}; code is
 * 1..512 visible ASCII characters. */
int catalog_build_device_token(const char *device_code, char **out);

/* {"pack_id": id}; id is non-empty, at most 64 characters, without control characters. */
int catalog_build_purchase(const char *pack_id, char **out);

/* Returns the episode with the given index in series, or NULL. */
const struct catalog_episode *catalog_series_episode(const struct catalog_series *series,
                                                     int index);

#endif
