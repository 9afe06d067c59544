/* libFuzzer target for the state file loaders of src/store: the same bytes are read as a token
 * file, a settings file, a cache index and a progress journal. None may crash, leak or read out
 * of bounds, and whatever a loader accepts must survive its formatter and load again to the same
 * state. (The file-level recovery around these loaders -- moving a rejected file aside -- is
 * covered by tests/unit/test_store.c.) */
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "fuzz_common.h"
#include "store_internal.h"

#include <string.h>

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void fuzz_token(const char *buf, size_t len)
{
    struct store_token t = {0}, again = {0};
    char err[STORE_ERR_LEN];
    if (store_token_parse(buf, len, &t, err, sizeof(err)) != 0) {
        FUZZ_CHECK(!t.device_id && !t.token && !t.refresh_token && err[0]);
        return;
    }
    char *text = store_token_format(&t);
    FUZZ_CHECK(text);
    FUZZ_CHECK(store_token_parse(text, strlen(text), &again, err, sizeof(err)) == 0);
    FUZZ_CHECK(same(t.device_id, again.device_id) && same(t.token, again.token) &&
               same(t.refresh_token, again.refresh_token));
    free(text);
    store_token_clear(&t);
    store_token_clear(&again);
}

static void fuzz_settings(const char *buf, size_t len)
{
    struct store_settings s = {0}, again = {0};
    char err[STORE_ERR_LEN];
    if (store_settings_parse(buf, len, &s, err, sizeof(err)) != 0) {
        FUZZ_CHECK(!s.items && s.n == 0 && err[0]);
        return;
    }
    FUZZ_CHECK(s.n <= STORE_SETTINGS_MAX);
    char *text = store_settings_format(s.items, s.n);
    FUZZ_CHECK(text);
    FUZZ_CHECK(store_settings_parse(text, strlen(text), &again, err, sizeof(err)) == 0);
    FUZZ_CHECK(again.n == s.n);
    for (size_t i = 0; i < s.n; i++) {
        FUZZ_CHECK(store_valid_setting_key(s.items[i].key));
        FUZZ_CHECK(store_valid_setting_value(s.items[i].value));
        FUZZ_CHECK(same(s.items[i].key, again.items[i].key));
        FUZZ_CHECK(same(s.items[i].value, again.items[i].value));
    }
    free(text);
    store_settings_clear(&s);
    store_settings_clear(&again);
}

static void fuzz_index(const char *buf, size_t len)
{
    struct store_cache_index idx = {0}, again = {0};
    char err[STORE_ERR_LEN];
    if (store_cache_index_parse(buf, len, &idx, err, sizeof(err)) != 0) {
        FUZZ_CHECK(!idx.entries && idx.n == 0 && err[0]);
        return;
    }
    FUZZ_CHECK(idx.n <= STORE_CACHE_ENTRIES_MAX);
    char *text = store_cache_index_format(&idx);
    FUZZ_CHECK(text);
    FUZZ_CHECK(store_cache_index_parse(text, strlen(text), &again, err, sizeof(err)) == 0);
    FUZZ_CHECK(again.n == idx.n && again.next_file == idx.next_file && again.clock == idx.clock);
    for (size_t i = 0; i < idx.n; i++) {
        const struct store_cache_entry *a = &idx.entries[i], *b = &again.entries[i];
        FUZZ_CHECK(a->file < idx.next_file && a->used < idx.clock);
        FUZZ_CHECK(same(a->key, b->key) && same(a->etag, b->etag) && a->file == b->file &&
                   a->fetched_at_ms == b->fetched_at_ms && a->used == b->used &&
                   a->size == b->size && a->crc == b->crc);
    }
    free(text);
    store_cache_index_clear(&idx);
    store_cache_index_clear(&again);
}

static void fuzz_journal(const char *buf, size_t len)
{
    struct store_queue q = {0}, again = {0};
    struct store_journal_scan scan, scan2;
    FUZZ_CHECK(store_journal_parse(buf, len, &q, &scan) == 0);
    FUZZ_CHECK(scan.good_len <= len && q.live <= STORE_PROGRESS_MAX);
    /* What a compaction would write loads back to the same queue, cleanly. */
    size_t flen = 0;
    char *text = store_journal_format(&q, &flen);
    FUZZ_CHECK(text);
    FUZZ_CHECK(store_journal_parse(text, flen, &again, &scan2) == 0);
    FUZZ_CHECK(scan2.bad == 0 && !scan2.torn && scan2.has_header && scan2.good_len == flen);
    FUZZ_CHECK(again.live == q.live);
    size_t j = again.head;
    for (size_t i = q.head; i < q.len; i++) {
        if (!q.items[i].live)
            continue;
        while (!again.items[j].live)
            j++;
        const struct store_progress *a = &q.items[i].p, *b = &again.items[j].p;
        FUZZ_CHECK(store_valid_event_id(a->event_id));
        FUZZ_CHECK(strcmp(a->event_id, b->event_id) == 0 &&
                   strcmp(a->episode_id, b->episode_id) == 0);
        FUZZ_CHECK(a->position_ms == b->position_ms && a->duration_ms == b->duration_ms &&
                   a->updated_at_ms == b->updated_at_ms);
        j++;
    }
    free(text);
    store_queue_clear(&q);
    store_queue_clear(&again);
}

/* The same bytes as journal lines with correct checksums, so that the fuzzer reaches the record
 * parser and the replay instead of stopping at the CRC. The last line keeps no newline when the
 * input has none, like a torn record. */
static void fuzz_journal_checked(const char *buf, size_t len)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    char *out = malloc(len + lines * 9 + 1);
    if (!out)
        return;
    size_t used = 0, start = 0;
    while (start < len) {
        const char *nl = memchr(buf + start, '\n', len - start);
        size_t n = nl ? (size_t)(nl - (buf + start)) : len - start;
        used += (size_t)snprintf(out + used, 10, "%08x ", (unsigned)store_crc32(buf + start, n));
        memcpy(out + used, buf + start, n);
        used += n;
        if (nl)
            out[used++] = '\n';
        start += n + 1;
    }
    fuzz_journal(out, used);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        log_set_level(LOG_ERROR);
        quiet = true;
    }
    /* An exact-size copy without a terminating NUL, so any over-read is caught. */
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    fuzz_token(buf, size);
    fuzz_settings(buf, size);
    fuzz_index(buf, size);
    fuzz_journal(buf, size);
    fuzz_journal_checked(buf, size);
    free(buf);
    return 0;
}
