#ifndef BINGE_STORE_H
#define BINGE_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Persistent state of one device: the login token, the viewer's settings, the response cache
 * behind offline-first browsing and the queue of progress reports not yet accepted by the server.
 *
 * Threading: a struct store is used from one thread only (the UI thread). Nothing here is
 * thread-safe, and no function calls back. One process at a time may open a directory: another
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
 * Durability: every function that changes state returns only once the change is on disk, and on
 * failure leaves the in-memory state as it was.
 *   - Token, settings and cache files are written to a temporary file in the same directory,
 *     fsynced and renamed, then the directory is fsynced (util_write_file_atomic). A cache put
 *     writes the body file first and the index second.
 *   - Progress is appended to the journal (one write(2) per call) and fdatasynced. Past its bound
 *     the journal is compacted by an atomic rewrite holding only the pending records, so it stays
 *     below max(journal bound, 400 bytes per pending record) plus one record.
 *   A kill -9 at any point leaves either the old or the new state, never a file that cannot be
 *   read; after a power cut the last record may be torn, and is then dropped.
 * Cost: each write waits for the disk: one fdatasync for progress and acks, two fsyncs for the
 *   token or a setting, four for a cache put. Measured medians on the development VM (ext4 on
 *   virtio, Debian 12, shared with other builds): store_progress_put 0.16 ms (p99 2 ms),
 *   store_progress_ack 0.16 ms, store_set_setting 0.6 ms, store_cache_put of 8 KiB 1.4 ms. Expect
 *   several ms each on eMMC or SD cards. Call them at a low rate: progress every 10 s and on
 *   pause, stop and exit; the cache once per fetched document; settings when the viewer changes
 *   one. Never per frame.
 * Recovery: a file that is corrupt, unreadable, not a regular file or over its size cap never
 *   prevents opening. It is renamed to <name>.corrupt-<UTC time>, logged, reported by
 *   store_recovered(), and that part starts empty; the newest STORE_CORRUPT_KEEP such files per
 *   name are kept. In the journal, the valid records around a damaged one are kept, and a torn
 *   last record (a crash mid-append) is dropped silently without being reported. Temporary files
 *   and unreferenced cache bodies left by a crash are deleted at open.
 * Errors: functions return 0 or a negative BINGE_E* code (binge/error.h):
 *   BINGE_EINVAL bad argument (NULL, empty, too long, control characters, out of range);
 *   BINGE_ENOTFOUND no such token or entry; BINGE_ETOOBIG over a cap; BINGE_EIO the disk refused
 *   (the message is logged); BINGE_ENOMEM.
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

/* Opens (creating it and its parents, mode 0700) the state directory dir and loads every part.
 * opts may be NULL for the defaults. Returns the store (transfer full, release with store_close)
 * or NULL with a message for the viewer and the log in err (errlen bytes, may be 0): dir can't be
 * created or written (read-only file system, permissions), or another process holds it. */
struct store *store_open(const char *dir, char *err, size_t errlen);
struct store *store_open_with(const char *dir, const struct store_options *opts, char *err,
                              size_t errlen);

/* Writes the cache's LRU order (best effort), releases the lock and frees st, wiping secrets.
 * store_close(NULL) is a no-op. */
void store_close(struct store *st);

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
 * Logs only "token saved". Returns 0, BINGE_EINVAL, BINGE_EIO or BINGE_ENOMEM. */
int store_save_token(struct store *st, const char *device_id, const char *token,
                     const char *refresh_token);

/* Copies out the saved identity: each out-parameter may be NULL when not wanted; each one
 * returned is transfer full (free()); *refresh_token is NULL when none was saved.
 * Returns 0, BINGE_ENOTFOUND (nothing saved; outs set to NULL) or BINGE_ENOMEM. */
int store_load_token(const struct store *st, char **device_id, char **token, char **refresh_token);

/* Forgets the saved identity (the file is removed). Returns 0 (also when none) or BINGE_EIO. */
int store_clear_token(struct store *st);

/* ---- response cache ---- */

/* Stores body (len bytes, any content; NULL only when len is 0) and its etag (NULL for none)
 * under key (1..STORE_ID_MAX printable bytes, e.g. "home:en", "series:<id>:en", "wallet"),
 * replacing an older entry and recording the wall-clock time as its fetch time. Then evicts the
 * least recently used other entries until the total fits the bound.
 * Each put rewrites the whole index: 1.4 ms with a few entries, about 8 ms at
 * STORE_CACHE_ENTRIES_MAX on the development VM.
 * Returns 0, BINGE_EINVAL, BINGE_ETOOBIG (body larger than the whole cache), BINGE_EIO or
 * BINGE_ENOMEM. */
int store_cache_put(struct store *st, const char *key, const char *etag, const void *body,
                    size_t len);

/* Looks up key and marks it recently used. *etag (NULL if none stored) and *body (NUL-terminated
 * for convenience, *len bytes) are transfer full; fetched_at_ms (may be NULL) receives the fetch
 * time in ms since the Unix epoch. A body that fails its checksum is dropped and reported as
 * BINGE_ENOTFOUND. Returns 0, BINGE_EINVAL, BINGE_ENOTFOUND, BINGE_EIO or BINGE_ENOMEM; on error
 * the outs are NULL/0. */
int store_cache_get(struct store *st, const char *key, char **etag, char **body, size_t *len,
                    int64_t *fetched_at_ms);

/* Marks key as fetched now without rewriting its body (after an HTTP 304).
 * Returns 0, BINGE_EINVAL, BINGE_ENOTFOUND or BINGE_EIO. */
int store_cache_touch(struct store *st, const char *key);

/* Drops key. Returns 0 (also when absent), BINGE_EINVAL or BINGE_EIO. */
int store_cache_remove(struct store *st, const char *key);

/* Total bytes of cached bodies and number of entries (either may be NULL). */
void store_cache_usage(const struct store *st, size_t *bytes, size_t *entries);

/* ---- progress queue ---- */

/* Queues a progress report and makes it durable before returning. episode_id is
 * 1..STORE_ID_MAX printable bytes; the numbers are in [0, STORE_MS_MAX]. The newest call for an
 * episode wins: it replaces that episode's pending record (whose event id is then no longer
 * pending) and goes to the back of the queue. When STORE_PROGRESS_MAX episodes are pending, the
 * oldest one is dropped (logged). event_id (may be NULL) receives the record's new id. Returns 0,
 * BINGE_EINVAL, BINGE_EIO (nothing queued) or BINGE_ENOMEM. */
int store_progress_put(struct store *st, const char *episode_id, int64_t position_ms,
                       int64_t duration_ms, int64_t updated_at_ms,
                       char event_id[STORE_EVENT_ID_LEN + 1]);

/* Copies the oldest pending records, oldest first, at most max of them, into out; *n receives
 * how many. Returns 0 or BINGE_EINVAL. */
int store_progress_pending(const struct store *st, struct store_progress *out, size_t max,
                           size_t *n);

/* Number of pending records. */
size_t store_progress_count(const struct store *st);

/* Removes the records whose event ids the server acknowledged, durably. Unknown or already
 * removed ids are ignored (an ack is idempotent). Returns 0, BINGE_EINVAL, BINGE_EIO (nothing
 * removed) or BINGE_ENOMEM. */
int store_progress_ack(struct store *st, const char *const *event_ids, size_t n);

/* ---- settings ---- */

/* The value of key, or NULL when unset or key is invalid. transfer none: valid until the next
 * store_set_setting of that key or store_close. */
const char *store_get_setting(const struct store *st, const char *key);

/* Sets key (1..STORE_SETTING_KEY_MAX of [A-Za-z0-9_.-]) to value (0..STORE_SETTING_VALUE_MAX
 * bytes without control characters), or removes it when value is NULL. Examples: "audio_lang",
 * "subtitle_lang", "volume". Returns 0, BINGE_EINVAL, BINGE_ETOOBIG (STORE_SETTINGS_MAX keys),
 * BINGE_EIO or BINGE_ENOMEM. */
int store_set_setting(struct store *st, const char *key, const char *value);

#endif
