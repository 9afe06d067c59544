/* The response cache: one body file per entry (cache/<n>.body, a fresh n per write) and an index
 * (cache/index.json) naming them. A put queues the body first and the index second for the
 * writer thread, so a kill in between leaves only an unreferenced body, which the next open
 * deletes; the index never names a file that is not complete. Nothing here is fsynced: after a
 * power cut a body may come back short or garbled, and its size and CRC-32 catch that (the entry
 * is dropped and refetched). Until its file is written, a body is served from memory. */
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

LOG_MODULE("store");

#define INDEX_FILE "index.json"
/* Counters stay far below STORE_MS_MAX, the largest integer the index holds exactly. */
#define COUNTER_LIMIT (1ull << 48)
#define INDEX_INTERVAL_MS 1000

static char *body_path(const struct store *st, uint64_t file)
{
    return util_asprintf("%s/%llu.body", st->cache_dir, (unsigned long long)file);
}

static void unlink_body(struct store *st, uint64_t file)
{
    char *p = body_path(st, file);
    if (!p)
        return;
    if (st->writer.started) {
        /* Only once the index that no longer names it is written (store_cache_commit): a kill
         * in between must not leave the old index naming a deleted body. */
        if (st->n_unlinks == st->cap_unlinks) {
            size_t cap = st->cap_unlinks ? st->cap_unlinks * 2 : 16;
            char **u = realloc(st->unlinks, cap * sizeof(*u));
            if (!u) {
                free(p); /* an orphan body, swept at the next open */
                return;
            }
            st->unlinks = u;
            st->cap_unlinks = cap;
        }
        st->unlinks[st->n_unlinks++] = p;
        st->index_pending = true;
        return;
    }
    if (unlink(p) != 0 && errno != ENOENT)
        log_warn("can't remove %s: %s", p, strerror(errno));
    free(p);
}

/* At open, before the writer runs, writes the index. Later, every caller installs idx as
 * st->cache right after this call: the index is then only marked for writing, and
 * store_cache_commit formats it once for a whole burst of puts (300 posters at a start). */
static int write_index(struct store *st, const struct store_cache_index *idx)
{
    if (st->writer.started) {
        st->index_pending = true;
        return 0;
    }
    char *json = store_cache_index_format(idx);
    char *path = store_join(st->cache_dir, INDEX_FILE);
    int rc = BINGE_ENOMEM;
    if (json && path) {
        rc = store_write_atomic(path, json, strlen(json), 0600, false);
        if (rc != 0)
            log_error("can't write %s: %s", path, strerror(errno));
    }
    free(json);
    free(path);
    return rc;
}

void store_cache_commit(struct store *st, bool force)
{
    if (!st->index_pending)
        return;
    /* At most one index a second from store_poll: a burst of puts (300 posters fetched at a
     * start) formats it a few times, not once per tick. A kill loses at most that second of
     * cache entries, which are fetched again. */
    int64_t now = util_now_ms();
    if (!force && now - st->index_written_ms < INDEX_INTERVAL_MS)
        return;
    st->index_written_ms = now;
    char *json = store_cache_index_format(&st->cache);
    char *path = store_join(st->cache_dir, INDEX_FILE);
    struct store_blob *blob = json ? store_blob_new(json, strlen(json)) : NULL;
    free(json);
    if (blob && path) {
        /* Queued after every body it names, and before the removal of those it dropped. */
        if (store_submit(st, STORE_JOB_REPLACE, path, blob, false, STORE_CO_INDEX))
            st->index_pending = false;
        for (size_t i = 0; i < st->n_unlinks && !st->index_pending; i++)
            store_submit(st, STORE_JOB_UNLINK, st->unlinks[i], NULL, false, STORE_CO_NONE);
        if (!st->index_pending)
            st->n_unlinks = 0;
        return;
    }
    store_blob_unref(blob);
    free(path);
}

static ssize_t find_entry(const struct store *st, const char *key)
{
    for (size_t i = 0; i < st->cache.n; i++) {
        if (strcmp(st->cache.entries[i].key, key) == 0)
            return (ssize_t)i;
    }
    return -1;
}

static int cmp_used(const void *a, const void *b)
{
    const struct store_cache_entry *x = *(struct store_cache_entry *const *)a;
    const struct store_cache_entry *y = *(struct store_cache_entry *const *)b;
    return x->used < y->used ? -1 : x->used > y->used;
}

/* The next value of the LRU clock; renumbers the entries in use order when it grows too big. */
static uint64_t tick(struct store_cache_index *idx)
{
    if (idx->clock >= COUNTER_LIMIT) {
        struct store_cache_entry **order = malloc((idx->n + 1) * sizeof(*order));
        if (order) {
            for (size_t i = 0; i < idx->n; i++)
                order[i] = &idx->entries[i];
            qsort(order, idx->n, sizeof(*order), cmp_used);
            for (size_t i = 0; i < idx->n; i++)
                order[i]->used = i;
            idx->clock = idx->n;
            free(order);
        }
    }
    return idx->clock++;
}

/* Index of the least recently used of the first n entries. */
static size_t lru(const struct store_cache_entry *e, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++) {
        if (e[i].used < e[best].used)
            best = i;
    }
    return best;
}

/* Drops entry i from memory and disk; the index write is best effort (a stale index entry is
 * caught again by its size or checksum). */
static void drop_entry(struct store *st, size_t i)
{
    struct store_cache_entry e = st->cache.entries[i];
    memmove(&st->cache.entries[i], &st->cache.entries[i + 1], (st->cache.n - i - 1) * sizeof(e));
    st->cache.n--;
    st->cache_bytes -= e.size;
    if (write_index(st, &st->cache) == 0)
        st->cache_dirty = false;
    unlink_body(st, e.file);
    store_cache_entry_clear(&e);
}

int store_cache_put(struct store *st, const char *key, const char *etag, const void *body,
                    size_t len)
{
    if (!st || !store_valid_text(key, STORE_ID_MAX) ||
        (etag && !store_valid_text(etag, STORE_ETAG_MAX)) || (!body && len))
        return BINGE_EINVAL;
    if (len > st->cache_max)
        return BINGE_ETOOBIG;
    if (st->cache.next_file >= COUNTER_LIMIT) {
        log_error("cache file counter exhausted");
        return BINGE_EIO;
    }

    int rc = BINGE_ENOMEM;
    struct store_cache_index nidx = st->cache;
    struct store_cache_entry *evicted = NULL;
    size_t n_evicted = 0;
    char *bpath = NULL;
    struct store_blob *blob = NULL;
    bool body_written = false;
    struct store_cache_entry ne = {
        .key = util_strdup(key),
        .etag = util_strdup(etag),
        .file = st->cache.next_file,
        .fetched_at_ms = store_wall_ms(),
        .size = len,
        .crc = store_crc32(body, len),
    };
    ssize_t old = find_entry(st, key);

    /* The new index is built in fresh arrays so that a failure leaves st untouched. */
    nidx.entries = malloc((st->cache.n + 1) * sizeof(*nidx.entries));
    evicted = malloc((st->cache.n + 1) * sizeof(*evicted));
    bpath = body_path(st, ne.file);
    if (!ne.key || (etag && !ne.etag) || !nidx.entries || !evicted || !bpath)
        goto fail;
    nidx.n = 0;
    for (size_t i = 0; i < st->cache.n; i++) {
        if ((ssize_t)i == old)
            evicted[n_evicted++] = st->cache.entries[i];
        else
            nidx.entries[nidx.n++] = st->cache.entries[i];
    }
    size_t total = st->cache_bytes - (old >= 0 ? st->cache.entries[old].size : 0) + len;
    while (nidx.n > 0 && (total > st->cache_max || nidx.n + 1 > STORE_CACHE_ENTRIES_MAX)) {
        size_t v = lru(nidx.entries, nidx.n);
        evicted[n_evicted++] = nidx.entries[v];
        total -= nidx.entries[v].size;
        memmove(&nidx.entries[v], &nidx.entries[v + 1], (nidx.n - v - 1) * sizeof(ne));
        nidx.n--;
    }
    nidx.next_file = st->cache.next_file + 1;
    ne.used = tick(&nidx);
    nidx.entries[nidx.n++] = ne;

    if (!(blob = store_blob_new(body, len)))
        goto fail;
    nidx.entries[nidx.n - 1].mem = store_blob_ref(blob);
    nidx.entries[nidx.n - 1].mem_seq =
        store_submit(st, STORE_JOB_CREATE, bpath, blob, false, STORE_CO_NONE);
    bpath = NULL;
    if (!nidx.entries[nidx.n - 1].mem_seq) {
        ne.mem = nidx.entries[nidx.n - 1].mem;
        goto fail;
    }
    body_written = true;
    if ((rc = write_index(st, &nidx)) != 0) {
        ne.mem = nidx.entries[nidx.n - 1].mem;
        goto fail;
    }

    for (size_t i = 0; i < n_evicted; i++) {
        unlink_body(st, evicted[i].file);
        if (i > 0 || old < 0) /* evicted[0] is the replaced entry when there was one */
            log_debug("cache: evicted %s (%zu bytes)", evicted[i].key, evicted[i].size);
        store_cache_entry_clear(&evicted[i]);
    }
    free(st->cache.entries);
    st->cache = nidx;
    st->cache_bytes = total;
    st->cache_dirty = false;
    log_debug("cache: stored %s (%zu bytes)", key, len);
    free(evicted);
    free(bpath);
    return 0;

fail:
    if (body_written)
        unlink_body(st, ne.file);
    store_cache_entry_clear(&ne);
    free(nidx.entries);
    free(evicted);
    free(bpath);
    return rc;
}

int store_cache_get(struct store *st, const char *key, char **etag, char **body, size_t *len,
                    int64_t *fetched_at_ms)
{
    char *buf = NULL, *tag = NULL, *path = NULL;
    size_t blen = 0;
    int rc = BINGE_EINVAL;
    if (etag)
        *etag = NULL;
    if (body)
        *body = NULL;
    if (len)
        *len = 0;
    if (fetched_at_ms)
        *fetched_at_ms = 0;
    if (!st || !store_valid_text(key, STORE_ID_MAX))
        return BINGE_EINVAL;
    ssize_t i = find_entry(st, key);
    if (i < 0)
        return BINGE_ENOTFOUND;
    struct store_cache_entry *e = &st->cache.entries[i];

    rc = BINGE_ENOMEM;
    if (e->mem) {
        /* Its file is not written yet. */
        if (!(buf = malloc(e->mem->len + 1)))
            goto fail;
        memcpy(buf, e->mem->data, e->mem->len + 1);
        blen = e->mem->len;
        rc = 0;
    } else if ((path = body_path(st, e->file))) {
        rc = util_read_file(path, e->size, &buf, &blen);
    }
    if (rc == BINGE_ENOMEM)
        goto fail;
    if (rc != 0 || blen != e->size || store_crc32(buf, blen) != e->crc) {
        log_warn("cache entry %s is damaged (%s): dropping it", key,
                 rc ? binge_strerror(rc) : "checksum mismatch");
        drop_entry(st, (size_t)i);
        rc = BINGE_ENOTFOUND;
        goto fail;
    }
    rc = BINGE_ENOMEM;
    if (etag && e->etag && !(tag = util_strdup(e->etag)))
        goto fail;
    /* The new order reaches the disk with the next index write or at close: losing it in a
     * crash only makes eviction a little less accurate. */
    e->used = tick(&st->cache);
    st->cache_dirty = true;
    if (etag)
        *etag = tag;
    if (fetched_at_ms)
        *fetched_at_ms = e->fetched_at_ms;
    if (len)
        *len = blen;
    if (body)
        *body = buf;
    else
        free(buf);
    free(path);
    return 0;

fail:
    free(buf);
    free(tag);
    free(path);
    return rc;
}

/* A copy of the index with its own entries array (the strings stay shared), so a change can be
 * written first and installed only once it is on disk. */
static int index_copy(const struct store *st, struct store_cache_index *out)
{
    *out = st->cache;
    out->entries = malloc((st->cache.n + 1) * sizeof(*out->entries));
    if (!out->entries)
        return BINGE_ENOMEM;
    if (st->cache.n)
        memcpy(out->entries, st->cache.entries, st->cache.n * sizeof(*out->entries));
    return 0;
}

static void index_install(struct store *st, struct store_cache_index *nidx)
{
    free(st->cache.entries);
    st->cache = *nidx;
    st->cache_dirty = false;
}

int store_cache_touch(struct store *st, const char *key)
{
    if (!st || !store_valid_text(key, STORE_ID_MAX))
        return BINGE_EINVAL;
    ssize_t i = find_entry(st, key);
    if (i < 0)
        return BINGE_ENOTFOUND;
    struct store_cache_index nidx;
    int rc = index_copy(st, &nidx);
    if (rc != 0)
        return rc;
    nidx.entries[i].fetched_at_ms = store_wall_ms();
    nidx.entries[i].used = tick(&nidx);
    if ((rc = write_index(st, &nidx)) != 0) {
        free(nidx.entries);
        return rc;
    }
    index_install(st, &nidx);
    return 0;
}

int store_cache_remove(struct store *st, const char *key)
{
    if (!st || !store_valid_text(key, STORE_ID_MAX))
        return BINGE_EINVAL;
    ssize_t i = find_entry(st, key);
    if (i < 0)
        return 0;
    struct store_cache_index nidx;
    int rc = index_copy(st, &nidx);
    if (rc != 0)
        return rc;
    struct store_cache_entry e = st->cache.entries[i];
    memmove(&nidx.entries[i], &nidx.entries[i + 1], (nidx.n - (size_t)i - 1) * sizeof(e));
    nidx.n--;
    if ((rc = write_index(st, &nidx)) != 0) {
        free(nidx.entries);
        return rc;
    }
    index_install(st, &nidx);
    st->cache_bytes -= e.size;
    unlink_body(st, e.file);
    store_cache_entry_clear(&e);
    return 0;
}

void store_cache_usage(const struct store *st, size_t *bytes, size_t *entries)
{
    if (bytes)
        *bytes = st ? st->cache_bytes : 0;
    if (entries)
        *entries = st ? st->cache.n : 0;
}

void store_cache_done(struct store *st)
{
    for (size_t i = 0; i < st->cache.n; i++) {
        struct store_cache_entry *e = &st->cache.entries[i];
        if (e->mem && e->mem_seq <= st->done_seq) {
            store_blob_unref(e->mem);
            e->mem = NULL;
        }
    }
}

void store_cache_close(struct store *st)
{
    for (size_t i = 0; i < st->n_unlinks; i++)
        free(st->unlinks[i]);
    free(st->unlinks);
    st->unlinks = NULL;
    st->n_unlinks = st->cap_unlinks = 0;
}

void store_cache_flush(struct store *st)
{
    if (st->cache_dirty && write_index(st, &st->cache) == 0)
        st->cache_dirty = false;
    store_cache_commit(st, true);
}

static bool referenced(const struct store *st, uint64_t file)
{
    for (size_t i = 0; i < st->cache.n; i++) {
        if (st->cache.entries[i].file == file)
            return true;
    }
    return false;
}

/* Deletes body files that no index entry names: left by a crash between the two writes of a
 * put, or by an index that was moved aside. */
static void sweep_orphans(struct store *st)
{
    DIR *d = opendir(st->cache_dir);
    if (!d)
        return;
    int dfd = dirfd(d);
    size_t removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        size_t n = strspn(name, "0123456789");
        if (n == 0 || n > 19 || strcmp(name + n, ".body") != 0)
            continue;
        if (!referenced(st, strtoull(name, NULL, 10)) && unlinkat(dfd, name, 0) == 0)
            removed++;
    }
    closedir(d);
    if (removed)
        log_info("cache: removed %zu unreferenced body file(s)", removed);
}

int store_cache_load(struct store *st)
{
    char *buf = NULL;
    size_t len = 0;
    char why[STORE_ERR_LEN];
    bool rewrite = false;
    char *path = store_join(st->cache_dir, INDEX_FILE);
    if (!path)
        return BINGE_ENOMEM;
    int rc = store_read_state(st, path, STORE_INDEX_FILE_MAX, STORE_PART_CACHE, &buf, &len);
    if (rc == BINGE_ENOTFOUND) {
        rc = 0;
    } else if (rc == BINGE_ENOMEM) {
        goto out;
    } else if ((rc = store_cache_index_parse(buf, len, &st->cache, why, sizeof(why))) != 0) {
        if (rc == BINGE_ENOMEM)
            goto out;
        store_move_aside(st, path, STORE_PART_CACHE, why);
        rc = 0;
    }

    /* Bodies deleted or changed behind our back are dropped now rather than failing later. */
    for (size_t i = 0; i < st->cache.n;) {
        struct store_cache_entry *e = &st->cache.entries[i];
        char *bp = body_path(st, e->file);
        struct stat sb;
        if (bp && stat(bp, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size == e->size) {
            st->cache_bytes += e->size;
            i++;
        } else {
            log_warn("cache entry %s has lost its body: dropping it", e->key);
            store_cache_entry_clear(e);
            memmove(e, e + 1, (st->cache.n - i - 1) * sizeof(*e));
            st->cache.n--;
            rewrite = true;
        }
        free(bp);
    }
    /* The bound may have shrunk since the last run. */
    while (st->cache.n > 0 && st->cache_bytes > st->cache_max) {
        size_t v = lru(st->cache.entries, st->cache.n);
        struct store_cache_entry e = st->cache.entries[v];
        memmove(&st->cache.entries[v], &st->cache.entries[v + 1],
                (st->cache.n - v - 1) * sizeof(e));
        st->cache.n--;
        st->cache_bytes -= e.size;
        store_cache_entry_clear(&e);
        rewrite = true;
    }
    if (rewrite)
        write_index(st, &st->cache);
    sweep_orphans(st);
out:
    free(buf);
    free(path);
    return rc;
}

int store_cache_etag(const struct store *st, const char *key, char **etag)
{
    if (etag)
        *etag = NULL;
    if (!st || !etag || !store_valid_text(key, STORE_ID_MAX))
        return BINGE_EINVAL;
    ssize_t i = find_entry(st, key);
    if (i < 0)
        return BINGE_ENOTFOUND;
    const char *e = st->cache.entries[i].etag;
    if (e && !(*etag = util_strdup(e)))
        return BINGE_ENOMEM;
    return 0;
}
