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

#include <pthread.h>
#include <stdatomic.h>
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
    struct store_blob *mem; /* UI thread: the body until its file is written, else NULL */
    uint64_t mem_seq;       /* the job writing it */
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

/* ---- the writer thread (store_writer.c) ---- */

/* Bytes handed to the writer, shared by reference count between a job and the in-memory state
 * (a cache body is served from memory until its file is written). Immutable once made. */
struct store_blob {
    atomic_int refs;
    bool wipe; /* a secret: zeroed before it is freed */
    size_t len;
    char data[]; /* len bytes and a NUL */
};

/* transfer full (one reference); NULL when out of memory. */
struct store_blob *store_blob_new(const void *data, size_t len);
struct store_blob *store_blob_ref(struct store_blob *b);
void store_blob_unref(struct store_blob *b);

enum store_job_kind {
    STORE_JOB_REPLACE, /* path gets blob atomically (temporary file, rename); sync: fsyncs */
    STORE_JOB_CREATE,  /* path (a fresh name) gets blob, no fsync */
    STORE_JOB_UNLINK,  /* path is removed; sync: the directory is fsynced */
    STORE_JOB_APPEND,  /* blob is appended to the journal and fdatasynced */
    STORE_JOB_JOURNAL, /* the journal is replaced by blob (synced) and reopened */
};

/* Coalescing keys: a queued, unstarted job with the same key is dropped for the newer one. */
enum store_coalesce {
    STORE_CO_NONE = 0,
    STORE_CO_TOKEN = 1,
    STORE_CO_SETTINGS = 2,
    STORE_CO_INDEX = 3,
};

struct store_job {
    struct store_job *next;
    enum store_job_kind kind;
    uint64_t seq; /* 1, 2, ... in submission order; jobs finish in this order */
    char *path;
    struct store_blob *blob; /* released by the writer once run */
    bool sync;
    int coalesce;
    int rc; /* the result, set by the writer */
};

struct store_writer {
    pthread_t thread;
    bool inited, started;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* work arrived, or quit */
    pthread_cond_t idle; /* a job finished */
    /* guarded by lock */
    struct store_job *todo, *todo_tail;
    struct store_job *done, *done_tail;
    uint64_t next_seq, done_seq;
    unsigned long coalesced;
    bool busy, hold, quit;
    void (*wake)(void *data);
    void *wake_data;
    /* the writer thread's own once started */
    char *journal_path;
    int journal_fd;
    size_t journal_size;
    bool journal_broken;
};

/* Starts the thread; the journal fd (may be -1) passes to it. Returns 0 or BINGE_ENOMEM. */
int store_writer_start(struct store_writer *w, const char *journal_path, int journal_fd,
                       size_t journal_size, bool journal_broken);
/* Runs every queued job, then joins the thread and frees what is left. */
void store_writer_stop(struct store_writer *w);
/* Queues a job; takes path and blob (transfer full, either may be NULL when the kind has no use
 * for it). Returns its seq, 0 when out of memory (nothing queued). */
uint64_t store_writer_submit(struct store_writer *w, enum store_job_kind kind, char *path,
                             struct store_blob *blob, bool sync, int coalesce);
/* The finished jobs, oldest first (a list through next; free each with store_job_free). */
struct store_job *store_writer_take_done(struct store_writer *w);
/* Waits until every queued job has run. Blocks: only store_flush and store_close call it. */
void store_writer_wait_idle(struct store_writer *w);
void store_writer_hold(struct store_writer *w, bool hold);
void store_writer_set_wake(struct store_writer *w, void (*wake)(void *data), void *data);
void store_job_free(struct store_job *j);

/* File primitives. store_write_atomic writes a temporary file in path's directory and renames it
 * over path; with sync it fsyncs the file before and the directory after the rename. */
int store_write_atomic(const char *path, const void *data, size_t len, int mode, bool sync);
int store_fsync(int fd, bool data_only);
void store_fsync_dir(const char *dir);

/* ---- test hooks ---- */

/* fsync/fdatasync calls the store made on the calling thread, and in all threads. */
unsigned long store_test_syncs_on_this_thread(void);
unsigned long store_test_syncs_total(void);
/* While held, the writer takes no job (so a test can queue a burst and see it coalesce). */
void store_test_hold_writer(struct store *st, bool hold);
/* Queued jobs dropped because a newer one replaced them. */
unsigned long store_test_coalesced(struct store *st);

/* A progress record waiting for the journal write that makes it durable. */
struct store_wait {
    uint64_t seq; /* 0: its write failed; it rides on the next journal rewrite */
    struct store_progress p;
};

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
    bool cache_dirty;         /* LRU order changed since the index was written */
    bool index_pending;       /* the index changed: store_cache_commit queues its write */
    int64_t index_written_ms; /* monotonic time of the last index queued from store_poll */
    char **unlinks;           /* bodies to remove once the index is queued */
    size_t n_unlinks, cap_unlinks;

    size_t cache_pending; /* entries whose body is still in memory, waiting for its file */

    struct store_queue queue;
    int journal_fd;           /* at open only: O_APPEND, or -1; then the writer's */
    size_t journal_size;      /* bytes queued for the journal since its last rewrite */
    bool journal_broken;      /* a write failed: rewrite the journal before appending */
    struct store_wait *waits; /* records not yet durable, in submission order */
    size_t n_waits, cap_waits;
    struct store_progress *saved; /* durable records not yet collected by store_poll */
    size_t n_saved, cap_saved, saved_head;

    struct store_writer writer;
    uint64_t done_seq; /* every job up to this one has finished and been collected */
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
/* Queues the index if the LRU order changed; for store_close. */
void store_cache_flush(struct store *st);
/* Queues the index if a change is pending: from store_poll at most once a second, from
 * store_flush and store_close (force) at once. */
void store_cache_commit(struct store *st, bool force);
void store_cache_close(struct store *st);
void store_progress_close(struct store *st);
/* Queues a job for the writer (see store_writer_submit). Returns its seq, 0 if out of memory. */
uint64_t store_submit(struct store *st, enum store_job_kind kind, char *path,
                      struct store_blob *blob, bool sync, int coalesce);
/* Collects finished jobs: progress becomes saved, cache bodies leave memory. */
void store_collect(struct store *st);
void store_progress_done(struct store *st, const struct store_job *j);
void store_cache_done(struct store *st);
/* Before close: rewrites the journal when records still wait after a failed write. */
void store_progress_retry(struct store *st);
/* The entry's in-memory body (cache write pending) in struct store_cache_entry. */

#endif
