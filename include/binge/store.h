#ifndef BINGE_STORE_H
#define BINGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Persistent state of one device: the login token, the viewer's settings, the response cache
 * behind offline-first browsing and the queue of progress reports not yet accepted by the server.
 *
 * Threading: a struct store is used from one thread only (the UI thread): its in-memory state
 * is that thread's alone, and every function answers from memory. The disk writes are done by a
 * writer thread the store owns: each call that changes state queues an immutable job (a path and
 * the bytes to put there) and returns; the writer runs the jobs in order, one at a time. The only
 * callback is the wake set by store_set_wake, called on the writer thread when a job is done; the
 * UI thread then collects the results with store_poll. store_close (and store_flush) wait for the
 * queue to drain. One process at a time may open a directory: another
 * store_open of it fails ("in use by another binge process") until the first is closed or its
 * process has died (the lock is an flock(2), which the kernel drops on exit, even on kill -9).
 *
 * Files in the directory (all 0600, the directory 0700):
 *   token.json        {"version":1,"device_id","token","refresh_token"?}
 *   settings.json     {"version":1,"settings":{"key":"value",...}}
 *   cache/index.json  {"version":1,"next_file","clock","entries":[{"key","etag"?,"file",
 *                      "fetched_at","used","size","crc"}]}; bodies in cache/<file>.body
 *   progress.journal  lines "<crc32 hex> <json>\n": {"t":"h","v":1} first, then
 *                     {"t":"p","id","ep","pos","dur","at"} and {"t":"a","ids":[...]}
 *   lock              the flock(2) target; empty
 *
 * Durability: a function that changes state changes memory at once and queues the write; on a
 * failed write (logged) memory keeps the new state and the files keep the old one, whole.
 *   - Progress and acks are appended to the journal (one write(2) per job) and fdatasynced. A
 *     put is durable once store_poll has reported it: a record never reported may be lost by a
 *     kill -9, one reported never is. A failed append marks the journal for an atomic rewrite
 *     holding every pending record, done at the next put or ack (or at close); the records it
 *     carries are reported then. Past its bound the journal is compacted the same way, so it
 *     stays below max(journal bound, 400 bytes per pending record) plus one record.
 *   - Token and settings files are written to a temporary file in the same directory, fsynced
 *     and renamed, then the directory is fsynced, as before, but by the writer. Writes of the same
 *     file that are still queued are coalesced: a burst (volume held down) is written once, with
 *     the last value. They are durable after store_flush or store_close.
 *   - The cache is not fsynced: a cache put writes the body file (a fresh name) first and the
 *     index (temporary file and rename) second. Until the body's file is written it is served
 *     from memory. After a power cut an entry may come back short or garbled: its size and CRC-32
 *     catch it, and it is dropped (a cache entry is refetched; it is never read back corrupt).
 *   A kill -9 at any point leaves either the old or the new state of each file, never a file that
 *   cannot be read; after a power cut the last journal record may be torn, and is then dropped.
 * Cost on the calling thread: memory work and a mutex; no write(2) and no fsync. Measured medians
 *   on the development VM (ext4 on virtio, Debian 12, shared with other builds; tests/unit/
 *   test_store.c's test_costs_printout, RelWithDebInfo build, not asserted): see each function. The
 *   writer then spends what the disk takes: one fdatasync per progress put or ack, two fsyncs per
 *   token or settings write, none for the cache. store_cache_get reads the body file (a few
 *   hundred microseconds) unless it is still in memory; store_cache_etag never touches the disk
 *   (2 us).
 *   Still call the writers at a low rate: progress every 10 s and on pause, stop and exit; the
 *   cache once per fetched document; settings when the viewer changes one. Never per frame.
 * Recovery: a file that is corrupt, unreadable, not a regular file or over its size cap never
 *   prevents opening. It is renamed to <name>.corrupt-<UTC time>, logged, reported by
 *   store_recovered(), and that part starts empty; the newest STORE_CORRUPT_KEEP such files per
 *   name are kept. In the journal, the valid records around a damaged one are kept, and a torn
 *   last record (a crash mid-append) is dropped silently without being reported. Temporary files
 *   and unreferenced cache bodies left by a crash are deleted at open.
 * Errors: functions return 0 or a negative BINGE_E* code (binge/error.h):
 *   BINGE_EINVAL bad argument (NULL, empty, too long, control characters, out of range);
 *   BINGE_ENOTFOUND no such token or entry; BINGE_ETOOBIG over a cap; BINGE_EIO the disk refused
 *   (a read, or store_open; a refused write is logged by the writer, see Durability);
 *   BINGE_ENOMEM.
 * Secrets: tokens are wiped from the store's memory before it is freed, and no token ever reaches
 *   the log (only "token saved"). */

struct store;

/* Caps. Lengths are in bytes, excluding the terminating NUL. */
#define STORE_ID_MAX 128             /* device id, episode id, cache key */
#define STORE_TOKEN_MAX 4096         /* access token, refresh token */
#define STORE_ETAG_MAX 256           /* cache ETag */
#define STORE_SETTING_KEY_MAX 64     /* [A-Za-z0-9_.-] only */
#define STORE_SETTING_VALUE_MAX 256  /* any text without control characters */
#define STORE_SETTINGS_MAX 64        /* number of settings */
#define STORE_CACHE_ENTRIES_MAX 1024 /* number of cache entries */
#define STORE_PROGRESS_MAX 4096      /* pending progress records (one per episode) */
#define STORE_EVENT_ID_LEN 32        /* lowercase hex characters of an event id (128 bits) */
#define STORE_CORRUPT_KEEP 3         /* <name>.corrupt-* files kept per name */
#define STORE_CACHE_DEFAULT_BYTES (16u * 1024 * 1024)
#define STORE_JOURNAL_DEFAULT_BYTES (256u * 1024)
/* Largest position, duration or timestamp: cJSON prints integers below 10^15 exactly. */
#define STORE_MS_MAX 999999999999999LL

/* Parts of the state, as bits for store_recovered(). */
enum store_part {
    STORE_PART_TOKEN = 1 << 0,
    STORE_PART_SETTINGS = 1 << 1,
    STORE_PART_CACHE = 1 << 2,
    STORE_PART_PROGRESS = 1 << 3,
};

struct store_options {
    /* Total bytes of cached bodies; the least recently used entries are evicted beyond it.
     * 0 = STORE_CACHE_DEFAULT_BYTES. Clamped to [64 KiB, 256 MiB]. */
    size_t cache_max_bytes;
    /* The journal is compacted when it grows past this many bytes or 400 bytes per pending
     * record, whichever is larger. 0 = STORE_JOURNAL_DEFAULT_BYTES. Clamped to [1 KiB, 4 MiB]. */
    size_t journal_max_bytes;
};

/* One pending progress report. */
struct store_progress {
    char event_id[STORE_EVENT_ID_LEN + 1]; /* unique and stable across restarts */
    char episode_id[STORE_ID_MAX + 1];
    int64_t position_ms;
    int64_t duration_ms;
    int64_t updated_at_ms; /* the caller's wall clock, ms since the Unix epoch */
};

/* Writes the default state directory into buf: $XDG_STATE_HOME/binge when XDG_STATE_HOME is an
 * absolute path, else $HOME/.local/state/binge. Does not create it.
 * Returns 0, BINGE_ENOTFOUND (neither variable usable) or BINGE_ETOOBIG (buf too small). */
int store_default_dir(char *buf, size_t len);

/* Opens (creating it and its parents, mode 0700) the state directory dir, loads every part and
 * starts the writer thread. It reads every state file and may rewrite the journal (fsynced) on
 * the calling thread: call it at start, before anything is drawn. opts may be NULL for the
 * defaults. Returns the store (transfer full, release with store_close)
 * or NULL with a message for the viewer and the log in err (errlen bytes, may be 0): dir can't be
 * created or written (read-only file system, permissions), or another process holds it. */
struct store *store_open(const char *dir, char *err, size_t errlen);
struct store *store_open_with(const char *dir, const struct store_options *opts, char *err,
                              size_t errlen);

/* Queues the cache's LRU order (best effort) and any journal rewrite still owed, waits for the
 * writer to finish every queued write and joins it, releases the lock and frees st, wiping
 * secrets. It blocks for as long as the disk takes.
 * store_close(NULL) is a no-op. */
void store_close(struct store *st);

/* Sets the function the writer thread calls (on its own thread) each time it has finished a
 * write, so that the UI thread wakes up and calls store_poll. wake must be thread-safe and
 * cheap; NULL for none. Call on the UI thread. */
void store_set_wake(struct store *st, void (*wake)(void *data), void *data);

/* Collects what the writer thread finished. Returns true and copies into *saved (may be NULL)
 * the next progress record that has become durable, oldest first; false when there is none
 * left. Never blocks: call it on the UI thread whenever the wake callback fired, or every tick. */
bool store_poll(struct store *st, struct store_progress *saved);

/* Waits until every write queued so far is on disk (then store_poll reports the saved records).
 * It blocks for as long as the disk takes: for tests and for shutdown, never on the UI thread
 * while it draws. */
void store_flush(struct store *st);

/* The directory st was opened on. transfer none, valid until store_close. */
const char *store_path(const struct store *st);

/* Bits of enum store_part that were found corrupt at open and moved aside; 0 if none. */
unsigned store_recovered(const struct store *st);

/* A one-line message for the viewer naming the parts that were reset at open, or "" if none.
 * transfer none, valid until store_close. */
const char *store_recovery_message(const struct store *st);

/* ---- token ---- */

/* Saves the device's identity: device_id (1..STORE_ID_MAX), token (1..STORE_TOKEN_MAX) and
 * refresh_token (NULL or 1..STORE_TOKEN_MAX), replacing any previous one. File mode 0600.
 * Logs only "token saved". Queued for the writer (coalesced with a queued save or clear).
 * Returns 0, BINGE_EINVAL or BINGE_ENOMEM. */
int store_save_token(struct store *st, const char *device_id, const char *token,
                     const char *refresh_token);

/* Copies out the saved identity: each out-parameter may be NULL when not wanted; each one
 * returned is transfer full (free()); *refresh_token is NULL when none was saved.
 * Returns 0, BINGE_ENOTFOUND (nothing saved; outs set to NULL) or BINGE_ENOMEM. */
int store_load_token(const struct store *st, char **device_id, char **token, char **refresh_token);

/* Forgets the saved identity (the writer removes the file). Returns 0 (also when none),
 * BINGE_EINVAL or BINGE_ENOMEM. */
int store_clear_token(struct store *st);

/* ---- response cache ---- */

/* Stores body (len bytes, any content; NULL only when len is 0) and its etag (NULL for none)
 * under key (1..STORE_ID_MAX printable bytes, e.g. "home:en", "series:<id>:en", "wallet"),
 * replacing an older entry and recording the wall-clock time as its fetch time. Then evicts the
 * least recently used other entries until the total fits the bound.
 * The body is kept in memory until the writer has written its file. Cost on the calling thread:
 * 0.08 ms for 8 KiB (a copy and the CRC), 0.02 ms for a small body at STORE_CACHE_ENTRIES_MAX.
 * The index is formatted by store_poll, at most once a second whatever the number of puts
 * (2.4 ms at STORE_CACHE_ENTRIES_MAX); a kill -9 loses at most that second of cache entries,
 * which are fetched again.
 * Returns 0, BINGE_EINVAL, BINGE_ETOOBIG (body larger than the whole cache), BINGE_EIO (file
 * counter exhausted) or BINGE_ENOMEM. */
int store_cache_put(struct store *st, const char *key, const char *etag, const void *body,
                    size_t len);

/* Looks up key and marks it recently used. *etag (NULL if none stored) and *body (NUL-terminated
 * for convenience, *len bytes) are transfer full; fetched_at_ms (may be NULL) receives the fetch
 * time in ms since the Unix epoch. A body that fails its checksum (or whose file is missing) is
 * dropped and reported as BINGE_ENOTFOUND. It reads the body file on the calling thread unless
 * the body is still in memory: 0.08 ms for 8 KiB. Returns 0, BINGE_EINVAL, BINGE_ENOTFOUND,
 * BINGE_EIO or BINGE_ENOMEM; on error the outs are NULL/0. */
int store_cache_get(struct store *st, const char *key, char **etag, char **body, size_t *len,
                    int64_t *fetched_at_ms);

/* Copies the ETag stored with key into *etag (transfer full; NULL when the entry has none)
 * without reading the body or touching the disk: for an If-None-Match. Does not mark the entry
 * used. Returns 0, BINGE_EINVAL, BINGE_ENOTFOUND or BINGE_ENOMEM. */
int store_cache_etag(const struct store *st, const char *key, char **etag);

/* Marks key as fetched now without rewriting its body (after an HTTP 304).
 * Returns 0, BINGE_EINVAL, BINGE_ENOTFOUND or BINGE_ENOMEM. */
int store_cache_touch(struct store *st, const char *key);

/* Drops key. Returns 0 (also when absent), BINGE_EINVAL or BINGE_ENOMEM. */
int store_cache_remove(struct store *st, const char *key);

/* Total bytes of cached bodies and number of entries (either may be NULL). */
void store_cache_usage(const struct store *st, size_t *bytes, size_t *entries);

/* ---- progress queue ---- */

/* Queues a progress report: in memory at once (store_progress_pending lists it), durable once
 * store_poll reports it. Cost on the calling thread: 6 us median (the fdatasync is the
 * writer's). episode_id is
 * 1..STORE_ID_MAX printable bytes; the numbers are in [0, STORE_MS_MAX]. The newest call for an
 * episode wins: it replaces that episode's pending record (whose event id is then no longer
 * pending) and goes to the back of the queue. When STORE_PROGRESS_MAX episodes are pending, the
 * oldest one is dropped (logged). event_id (may be NULL) receives the record's new id. Returns 0,
 * BINGE_EINVAL or BINGE_ENOMEM (nothing queued). */
int store_progress_put(struct store *st, const char *episode_id, int64_t position_ms,
                       int64_t duration_ms, int64_t updated_at_ms,
                       char event_id[STORE_EVENT_ID_LEN + 1]);

/* Copies the oldest pending records, oldest first, at most max of them, into out; *n receives
 * how many. Returns 0 or BINGE_EINVAL. */
int store_progress_pending(const struct store *st, struct store_progress *out, size_t max,
                           size_t *n);

/* Like store_progress_pending, but only the records already durable (reported by store_poll):
 * the ones to send. A position the server holds has then always reached the journal first, so
 * what a kill -9 leaves behind never disagrees with the server. Returns 0 or BINGE_EINVAL. */
int store_progress_durable(const struct store *st, struct store_progress *out, size_t max,
                           size_t *n);

/* Number of pending records. */
size_t store_progress_count(const struct store *st);

/* Removes the records whose event ids the server acknowledged: from memory at once, from the
 * journal when the writer has appended the ack (a kill -9 before that brings them back, and they
 * are sent again; the server answers "duplicate"). Unknown or already removed ids are ignored (an
 * ack is idempotent). 2 us median. Returns 0, BINGE_EINVAL or BINGE_ENOMEM (nothing removed). */
int store_progress_ack(struct store *st, const char *const *event_ids, size_t n);

/* ---- settings ---- */

/* The value of key, or NULL when unset or key is invalid. transfer none: valid until the next
 * store_set_setting of that key or store_close. */
const char *store_get_setting(const struct store *st, const char *key);

/* Sets key (1..STORE_SETTING_KEY_MAX of [A-Za-z0-9_.-]) to value (0..STORE_SETTING_VALUE_MAX
 * bytes without control characters), or removes it when value is NULL. Examples: "audio_lang",
 * "subtitle_lang", "volume". The write is queued and coalesced: volume auto-repeat writes the
 * file once, with the last value. 12 us median on the calling thread. Returns 0, BINGE_EINVAL,
 * BINGE_ETOOBIG (STORE_SETTINGS_MAX keys) or BINGE_ENOMEM. */
int store_set_setting(struct store *st, const char *key, const char *value);

/* ---- recent lists (recent searches), kept as settings "<list>.0" (newest) .. "<list>.N" ---- */

#define STORE_RECENT_MAX 16 /* entries a recent list can hold */

/* Puts value first in the recent list named list (a setting key prefix, at most
 * STORE_SETTING_KEY_MAX - 3 bytes), dropping an equal entry further down and whatever falls past
 * max (1..STORE_RECENT_MAX) entries. value: 1..STORE_SETTING_VALUE_MAX bytes without control
 * characters. Written like store_set_setting (queued, coalesced). Returns 0, BINGE_EINVAL,
 * BINGE_ETOOBIG (no room for more settings; the list is left as it was) or BINGE_ENOMEM. */
int store_recent_push(struct store *st, const char *list, const char *value, size_t max);

/* The entries of the recent list, newest first, into out (at most max; transfer none: valid
 * until the list or any setting changes, or store_close). Returns the count (0 for an unknown
 * list or bad arguments). */
size_t store_recent_list(const struct store *st, const char *list, const char **out, size_t max);

/* Empties the recent list. Returns 0 or BINGE_EINVAL. */
int store_recent_clear(struct store *st, const char *list);

#endif
