/* The progress queue lives in memory and in progress.journal, an append-only file of lines
 * "<crc32 hex> <json>\n": a header, put records and ack records. An append is one write(2)
 * followed by fdatasync(2), so after a kill -9 the file ends either on a whole record or on a
 * torn prefix of one, which the CRC and the missing newline give away. Replaying the file in order
 * rebuilds the queue. When the file outgrows its bound it is replaced, through an atomic
 * rewrite, by a header and the live records only. */
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

LOG_MODULE("store");

#define JOURNAL_FILE "progress.journal"
#define LINE_ESTIMATE 200 /* bytes of a typical put line, for the compaction bound */

static char *journal_path(const struct store *st)
{
    return store_join(st->dir, JOURNAL_FILE);
}

/* At open only, before the writer starts: the journal for appends. */
static int open_journal(struct store *st)
{
    if (st->journal_fd >= 0) {
        close(st->journal_fd);
        st->journal_fd = -1;
    }
    char *path = journal_path(st);
    if (!path)
        return BINGE_ENOMEM;
    st->journal_fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (st->journal_fd < 0)
        log_error("can't open %s: %s", path, strerror(errno));
    free(path);
    return st->journal_fd < 0 ? BINGE_EIO : 0;
}

/* At open only: replaces the journal with the live records, synchronously. */
static int compact_now(struct store *st)
{
    size_t len = 0;
    char *path = journal_path(st);
    char *data = store_journal_format(&st->queue, &len);
    int rc = BINGE_ENOMEM;
    if (!path || !data)
        goto out;
    rc = store_write_atomic(path, data, len, 0600, true);
    if (rc != 0) {
        log_error("can't rewrite %s: %s", path, strerror(errno));
        goto out;
    }
    st->journal_size = len;
    st->journal_broken = false;
    rc = open_journal(st);
out:
    free(data);
    free(path);
    return rc;
}

static size_t compact_bound(const struct store *st)
{
    size_t live = st->queue.live * LINE_ESTIMATE * 2;
    return live > st->journal_max ? live : st->journal_max;
}

/* Queues a rewrite of the journal holding the live records. Records whose write failed ride on
 * it. Returns its seq, 0 when out of memory. */
static uint64_t compact(struct store *st)
{
    size_t len = 0;
    char *data = store_journal_format(&st->queue, &len);
    struct store_blob *blob = data ? store_blob_new(data, len) : NULL;
    free(data);
    if (!blob)
        return 0;
    uint64_t seq = store_submit(st, STORE_JOB_JOURNAL, NULL, blob, true, STORE_CO_NONE);
    if (!seq)
        return 0;
    st->journal_size = len;
    st->journal_broken = false;
    for (size_t i = 0; i < st->n_waits; i++) {
        if (st->waits[i].seq == 0)
            st->waits[i].seq = seq;
    }
    log_debug("progress journal: rewrite of %zu bytes queued (%zu pending)", len, st->queue.live);
    return seq;
}

static void maybe_compact(struct store *st)
{
    if (st->journal_size > compact_bound(st))
        compact(st);
}

/* Queues whole lines for the journal. Returns the seq of the write that makes them durable. */
static uint64_t append(struct store *st, const char *data, size_t len)
{
    /* Memory holds exactly what the file should: rewriting it is always a safe recovery. */
    if (st->journal_broken)
        return compact(st);
    struct store_blob *blob = store_blob_new(data, len);
    uint64_t seq = blob ? store_submit(st, STORE_JOB_APPEND, NULL, blob, true, STORE_CO_NONE) : 0;
    if (seq)
        st->journal_size += len;
    return seq;
}

static int add_wait(struct store *st, uint64_t seq, const struct store_progress *p)
{
    if (st->n_waits == st->cap_waits) {
        size_t cap = st->cap_waits ? st->cap_waits * 2 : 16;
        struct store_wait *w = realloc(st->waits, cap * sizeof(*w));
        if (!w)
            return BINGE_ENOMEM;
        st->waits = w;
        st->cap_waits = cap;
    }
    st->waits[st->n_waits++] = (struct store_wait){.seq = seq, .p = *p};
    return 0;
}

static void add_saved(struct store *st, const struct store_progress *p)
{
    if (st->n_saved == st->cap_saved) {
        size_t cap = st->cap_saved ? st->cap_saved * 2 : 16;
        struct store_progress *n = realloc(st->saved, cap * sizeof(*n));
        if (!n) {
            log_warn("out of memory: the save of %s goes unreported", p->event_id);
            return;
        }
        st->saved = n;
        st->cap_saved = cap;
    }
    st->saved[st->n_saved++] = *p;
}

void store_progress_done(struct store *st, const struct store_job *j)
{
    if (j->rc != 0)
        st->journal_broken = true; /* the next put or ack rewrites the journal */
    size_t k = 0;
    for (size_t i = 0; i < st->n_waits; i++) {
        struct store_wait *w = &st->waits[i];
        if (w->seq == j->seq && j->rc == 0) {
            add_saved(st, &w->p);
            continue;
        }
        if (w->seq == j->seq)
            w->seq = 0;
        /* A record replaced or acknowledged while its write failed will never be written. */
        if (w->seq == 0 && !store_queue_find_id(&st->queue, w->p.event_id))
            continue;
        st->waits[k++] = *w;
    }
    st->n_waits = k;
}

void store_progress_retry(struct store *st)
{
    bool orphans = false;
    for (size_t i = 0; i < st->n_waits && !orphans; i++)
        orphans = st->waits[i].seq == 0;
    if (st->journal_broken || orphans)
        compact(st);
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* 128 random bits as hex. getrandom() may be missing on old box kernels or starved of entropy
 * early in boot, so it falls back to /dev/urandom and then to a mix of clocks and the pid. */
static void new_event_id(char out[STORE_EVENT_ID_LEN + 1])
{
    static uint64_t fallback_counter;
    unsigned char r[16];
    bool ok = getrandom(r, sizeof(r), GRND_NONBLOCK) == (ssize_t)sizeof(r);
    if (!ok) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        ok = fd >= 0 && read(fd, r, sizeof(r)) == (ssize_t)sizeof(r);
        if (fd >= 0)
            close(fd);
    }
    if (!ok) {
        struct timespec a, b;
        clock_gettime(CLOCK_REALTIME, &a);
        clock_gettime(CLOCK_MONOTONIC, &b);
        uint64_t seed = (uint64_t)a.tv_sec * 1000000000ull + (uint64_t)a.tv_nsec;
        seed ^= ((uint64_t)getpid() << 32) ^ ((uint64_t)b.tv_nsec << 7) ^ ++fallback_counter;
        uint64_t x = splitmix64(&seed), y = splitmix64(&seed);
        memcpy(r, &x, 8);
        memcpy(r + 8, &y, 8);
    }
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
}

int store_progress_put(struct store *st, const char *episode_id, int64_t position_ms,
                       int64_t duration_ms, int64_t updated_at_ms,
                       char event_id[STORE_EVENT_ID_LEN + 1])
{
    if (!st || !store_valid_text(episode_id, STORE_ID_MAX) || position_ms < 0 ||
        position_ms > STORE_MS_MAX || duration_ms < 0 || duration_ms > STORE_MS_MAX ||
        updated_at_ms < 0 || updated_at_ms > STORE_MS_MAX)
        return BINGE_EINVAL;

    struct store_progress p = {
        .position_ms = position_ms,
        .duration_ms = duration_ms,
        .updated_at_ms = updated_at_ms,
    };
    snprintf(p.episode_id, sizeof(p.episode_id), "%s", episode_id);
    do
        new_event_id(p.event_id);
    while (store_queue_find_id(&st->queue, p.event_id));

    int rc = store_queue_reserve(&st->queue);
    if (rc != 0)
        return rc;
    /* Room for the wait first, so that nothing below can fail half-way. */
    if ((rc = add_wait(st, 0, &p)) != 0)
        return rc;
    st->n_waits--;
    char *line = store_journal_put_line(&p);
    if (!line)
        return BINGE_ENOMEM;
    bool evicted = false;
    store_queue_put(&st->queue, &p, &evicted); /* cannot fail after the reserve */
    /* When broken, the rewrite already holds the record. */
    uint64_t seq = append(st, line, strlen(line));
    free(line);
    add_wait(st, seq, &p); /* seq 0 (out of memory): it rides on the next rewrite */
    if (!seq)
        st->journal_broken = true;
    if (evicted)
        log_warn("progress queue full (%d episodes): dropped the oldest report",
                 STORE_PROGRESS_MAX);
    if (event_id)
        memcpy(event_id, p.event_id, sizeof(p.event_id));
    maybe_compact(st);
    return 0;
}

int store_progress_pending(const struct store *st, struct store_progress *out, size_t max,
                           size_t *n)
{
    if (n)
        *n = 0;
    if (!st || !n || (!out && max))
        return BINGE_EINVAL;
    size_t k = 0;
    for (size_t i = st->queue.head; i < st->queue.len && k < max; i++) {
        if (st->queue.items[i].live)
            out[k++] = st->queue.items[i].p;
    }
    *n = k;
    return 0;
}

static bool waiting(const struct store *st, const char *event_id)
{
    for (size_t i = 0; i < st->n_waits; i++)
        if (strcmp(st->waits[i].p.event_id, event_id) == 0)
            return true;
    return false;
}

int store_progress_durable(const struct store *st, struct store_progress *out, size_t max,
                           size_t *n)
{
    if (n)
        *n = 0;
    if (!st || !n || (!out && max))
        return BINGE_EINVAL;
    size_t k = 0;
    for (size_t i = st->queue.head; i < st->queue.len && k < max; i++) {
        if (st->queue.items[i].live && !waiting(st, st->queue.items[i].p.event_id))
            out[k++] = st->queue.items[i].p;
    }
    *n = k;
    return 0;
}

size_t store_progress_count(const struct store *st)
{
    return st ? st->queue.live : 0;
}

int store_progress_ack(struct store *st, const char *const *event_ids, size_t n)
{
    if (!st || (!event_ids && n))
        return BINGE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!event_ids[i])
            return BINGE_EINVAL;
    }
    if (n == 0)
        return 0;

    int rc = BINGE_ENOMEM;
    char *lines = NULL;
    struct store_qitem **hit = malloc(n * sizeof(*hit));
    const char **ids = malloc(n * sizeof(*ids));
    size_t m = 0, m_removed = 0;
    if (!hit || !ids)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!store_valid_event_id(event_ids[i]))
            continue; /* never one of ours */
        struct store_qitem *it = store_queue_find_id(&st->queue, event_ids[i]);
        if (it && !it->mark) {
            it->mark = true;
            hit[m] = it;
            ids[m++] = it->p.event_id;
        }
    }
    rc = 0;
    if (m == 0)
        goto out;
    rc = BINGE_ENOMEM;
    lines = store_journal_ack_lines(ids, m);
    if (!lines)
        goto out;
    rc = 0;
    for (size_t k = 0; k < m; k++) {
        hit[k]->mark = false;
        store_queue_remove(&st->queue, hit[k]);
    }
    m_removed = m;
    m = 0; /* the marks went with the records */
    if (!append(st, lines, strlen(lines)))
        st->journal_broken = true; /* the next rewrite leaves them out */
    log_debug("progress: %zu report(s) acknowledged, %zu pending", m_removed, st->queue.live);

out:
    for (size_t k = 0; hit && k < m; k++)
        hit[k]->mark = false;
    free(lines);
    free(hit);
    free(ids);
    if (rc == 0 && m_removed > 0)
        maybe_compact(st);
    return rc;
}

int store_progress_load(struct store *st)
{
    char *buf = NULL;
    size_t len = 0;
    char why[STORE_ERR_LEN];
    bool rewrite = false;
    char *path = journal_path(st);
    if (!path)
        return BINGE_ENOMEM;
    int rc = store_read_state(st, path, STORE_JOURNAL_FILE_MAX, STORE_PART_PROGRESS, &buf, &len);
    if (rc == BINGE_ENOTFOUND) {
        rewrite = true;
    } else if (rc == BINGE_ENOMEM) {
        goto out;
    } else {
        struct store_journal_scan scan;
        if ((rc = store_journal_parse(buf, len, &st->queue, &scan)) != 0)
            goto out;
        st->journal_size = scan.good_len;
        if (scan.bad) {
            /* The original is kept for a post-mortem; the good records live on. */
            snprintf(why, sizeof(why), "%zu damaged record(s), %zu pending report(s) recovered",
                     scan.bad, st->queue.live);
            store_move_aside(st, path, STORE_PART_PROGRESS, why);
            rewrite = true;
        } else if (scan.torn) {
            log_info("progress journal: dropped a torn record at its end (a crash mid-write)");
            rewrite = true;
        } else if (!scan.has_header || len > compact_bound(st)) {
            rewrite = true;
        }
    }
    rc = 0;
    if (rewrite && compact_now(st) != 0) {
        /* A full disk must not stop binge: the next put tries the rewrite again. */
        st->journal_broken = true;
    } else if (!rewrite) {
        open_journal(st); /* on failure the next put retries */
    }
out:
    free(buf);
    free(path);
    return rc;
}

void store_progress_close(struct store *st)
{
    if (st->journal_fd >= 0)
        close(st->journal_fd);
    st->journal_fd = -1;
    free(st->waits);
    free(st->saved);
    st->waits = NULL;
    st->saved = NULL;
    st->n_waits = st->n_saved = st->saved_head = 0;
}
