#ifndef BINGE_CATALOG_H
#define BINGE_CATALOG_H

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
 * naming the field. */

#define CATALOG_ERR_LEN 256

struct catalog_item {  /* one card on a shelf */
    char *series_id;   /* "id" */
    char *title;       /* "title" */
    char *poster_url;  /* "poster_url", http(s); NULL when null (no poster) */
    int episode_count; /* "episode_count", >= 0 */
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
};

struct catalog_series { /* GET /v1/series/{id} */
    char *id;
    char *title;
    char *synopsis;                   /* may be NULL when absent */
    char *poster_url;                 /* http(s); NULL when null (no poster) */
    struct catalog_episode *episodes; /* sorted by index */
    size_t n_episodes;
};

struct catalog_play {      /* 200 of POST /v1/episodes/{id}/play */
    char *episode_id;      /* "episode_id" */
    char *play_url;        /* "play_url", http(s) */
    int64_t expires_at;    /* "expires_at", unix seconds */
    int64_t resume_ms;     /* "resume_ms", >= 0 */
    char *next_episode_id; /* "next_episode_id", NULL when null/absent (last episode) */
};

struct catalog_locked { /* 402 of POST /v1/episodes/{id}/play */
    int price_coins;    /* "price_coins" */
    int balance;        /* "balance" */
    char *message;      /* "error.message", may be NULL */
};

struct catalog_device { /* 200 of POST /v1/device/register */
    char *token;        /* "token" */
    char *device_id;    /* "device_id" */
};

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

/* Returns the episode with the given index in series, or NULL. */
const struct catalog_episode *catalog_series_episode(const struct catalog_series *series,
                                                     int index);

#endif
