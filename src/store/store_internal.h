#ifndef BINGE_STORE_INTERNAL_H
#define BINGE_STORE_INTERNAL_H

/* Inside src/store: the in-memory form of each state file, its parser and its formatter. The
 * parsers take a buffer and never touch the disk, so the unit tests and the fuzzer
 * (tests/fuzz/fuzz_state.c) drive them directly. No cJSON type appears here.
 *
 * Every parser is strict: on any invalid field it returns BINGE_EPARSE with a message naming the
 * field in err, and leaves *out empty. Formatters return a new NUL-terminated string
 * (transfer full) or NULL when out of memory. */

#include "binge/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_ERR_LEN 160

/* Read caps per file kind; anything bigger is corrupt by definition. */
#define STORE_TOKEN_FILE_MAX (32 * 1024)
#define STORE_SETTINGS_FILE_MAX (64 * 1024)
#define STORE_INDEX_FILE_MAX (2 * 1024 * 1024)
#define STORE_JOURNAL_FILE_MAX (16 * 1024 * 1024)
#define STORE_JOURNAL_LINE_MAX (16 * 1024)
#define STORE_ACK_IDS_PER_LINE 128
#define STORE_JOURNAL_VERSION 1

/* ---- validation (shared by the API and the parsers) ---- */

/* 1..max bytes, none below 0x20 nor 0x7f. */
bool store_valid_text(const char *s, size_t max);
/* 1..STORE_SETTING_KEY_MAX of [A-Za-z0-9_.-]. */
bool store_valid_setting_key(const char *s);
/* 0..STORE_SETTING_VALUE_MAX bytes, none below 0x20 nor 0x7f. */
bool store_valid_setting_value(const char *s);
/* Exactly STORE_EVENT_ID_LEN lowercase hex digits. */
bool store_valid_event_id(const char *s);

/* CRC-32 (IEEE 802.3, as zlib's crc32()). */
uint32_t store_crc32(const void *data, size_t len);

/* ---- token file ---- */

struct store_token {
    char *device_id;
    char *token;
    char *refresh_token; /* NULL when none */
};

int store_token_parse(const char *buf, size_t len, struct store_token *out, char *err,
                      size_t errlen);
char *store_token_format(const struct store_token *t);
/* Wipes and frees the strings; leaves *t zeroed. */
void store_token_clear(struct store_token *t);

/* ---- settings file ---- */

struct store_setting {
    char *key;
    char *value;
};

struct store_settings {
    struct store_setting *items;
    size_t n;
};

int store_settings_parse(const char *buf, size_t len, struct store_settings *out, char *err,
                         size_t errlen);
char *store_settings_format(const struct store_setting *items, size_t n);
void store_settings_clear(struct store_settings *s);

/* ---- cache index ---- */

struct store_cache_entry {
    char *key;
    char *etag;    /* NULL when none */
    uint64_t file; /* body in cache/<file>.body */
    int64_t fetched_at_ms;
    uint64_t used; /* value of the index clock at the last use: bigger is more recent */
    size_t size;
    uint32_t crc;
};

struct store_cache_index {
    struct store_cache_entry *entries;
    size_t n;
    uint64_t next_file; /* bigger than every entry's file */
    uint64_t clock;     /* bigger than every entry's used */
};

int store_cache_index_parse(const char *buf, size_t len, struct store_cache_index *out, char *err,
                            size_t errlen);
char *store_cache_index_format(const struct store_cache_index *idx);
void store_cache_entry_clear(struct store_cache_entry *e);
void store_cache_index_clear(struct store_cache_index *idx);

/* ---- progress queue and its journal ---- */

/* Records in insertion order. Replaced and acknowledged records are only marked dead, and the
 * array is squeezed when it fills up, so every operation is amortised O(live records). */
struct store_qitem {
    struct store_progress p;
    uint32_t ep_hash;
    uint32_t id_hash;
    bool live;
    bool mark; /* scratch for store_progress_ack */
};

struct store_queue {
    struct store_qitem *items;
    size_t len; /* used slots, live or dead */
    size_t cap;
    size_t head; /* no live item before this slot */
    size_t live;
};

/* Makes room so that the next store_queue_put cannot fail. Returns 0 or BINGE_ENOMEM. */
int store_queue_reserve(struct store_queue *q);
/* Appends p (valid fields), replacing the live record of the same episode; when
 * STORE_PROGRESS_MAX are live, the oldest is dropped and *evicted (may be NULL) set to true.
 * Returns 0, or BINGE_ENOMEM when store_queue_reserve was not called first. */
int store_queue_put(struct store_queue *q, const struct store_progress *p, bool *evicted);
/* Marks a live record dead (acknowledged). */
void store_queue_remove(struct store_queue *q, struct store_qitem *it);
/* The live record with this event id, or NULL. */
struct store_qitem *store_queue_find_id(struct store_queue *q, const char *event_id);
void store_queue_clear(struct store_queue *q);

struct store_journal_scan {
    size_t good_len; /* bytes up to the end of the last well-formed line */
    size_t records;  /* well-formed records (header, put, ack) */
    size_t bad;      /* damaged lines other than a torn tail */
    bool torn;       /* the file ends in a partial record (a crash mid-append) */
    bool has_header; /* the first line is a valid header */
};

/* Replays a journal into q (which may already hold records) in file order. Never fails on
 * content: well-formed records are applied, damaged ones counted in scan. Returns 0 or
 * BINGE_ENOMEM. */
int store_journal_parse(const char *buf, size_t len, struct store_queue *q,
                        struct store_journal_scan *scan);

/* One journal line ("<crc32 hex> <json>\n") per record, transfer full. */
char *store_journal_header_line(void);
char *store_journal_put_line(const struct store_progress *p);
/* Up to STORE_ACK_IDS_PER_LINE ids per line; several lines for more. */
char *store_journal_ack_lines(const char *const *ids, size_t n);
/* The whole compacted journal: a header and one put line per live record, transfer full;
 * *len receives its length. */
char *store_journal_format(const struct store_queue *q, size_t *len);

/* ---- the handle, shared by store.c, store_cache.c and store_progress.c ---- */

struct store {
    char *dir;
    char *cache_dir;
    int lock_fd;
    size_t cache_max;
    size_t journal_max;
    unsigned recovered; /* enum store_part bits */
    char recovery_msg[160];

    bool has_token;
    struct store_token token;

    struct store_settings settings;

    struct store_cache_index cache;
    size_t cache_bytes;
    bool cache_dirty; /* LRU order changed since the index was written */

    struct store_queue queue;
    int journal_fd;      /* O_APPEND, or -1 until (re)opened */
    size_t journal_size; /* bytes known to be complete records */
    bool journal_broken; /* a failed append may have left junk: rewrite before appending */
};

/* Joins dir and name; transfer full, NULL when out of memory. */
char *store_join(const char *dir, const char *name);
/* Renames a damaged file to <path>.corrupt-<UTC time>, prunes old ones, records part in
 * st->recovered and logs why. */
void store_move_aside(struct store *st, const char *path, enum store_part part, const char *reason);
/* Reads the state file path for a loader, at most max bytes. Returns 0 with *buf (transfer full,
 * NUL-terminated), BINGE_ENOTFOUND when it is absent or was unreadable (then moved aside as part),
 * or BINGE_ENOMEM. */
int store_read_state(struct store *st, const char *path, size_t max, enum store_part part,
                     char **buf, size_t *len);
/* Wall clock in ms since the Unix epoch. */
int64_t store_wall_ms(void);

/* Loaders called by store_open; they never fail on content, only on ENOMEM (or, for the
 * journal, when the directory refuses a fresh file). */
int store_cache_load(struct store *st);
int store_progress_load(struct store *st);
/* Writes the index if the LRU order changed; best effort, for store_close. */
void store_cache_flush(struct store *st);
void store_progress_close(struct store *st);

#endif
