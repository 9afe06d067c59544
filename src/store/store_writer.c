/* The store's writer thread and its file primitives. The UI thread keeps the whole state in
 * memory and hands the writer immutable jobs (a path and bytes to put there); the writer does the
 * write(2), fsync(2) and rename(2) calls in order, one job at a time, and queues each finished
 * job back with its result. The UI thread collects them in store_poll. Nothing of struct store
 * but the writer's own fields (under its lock, or owned by the thread) is touched here. */
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
#include <sys/stat.h>
#include <unistd.h>

LOG_MODULE("store");

/* ---- syncs, counted per thread for the tests ---- */

static _Thread_local unsigned long syncs_here;
static atomic_ulong syncs_total;

unsigned long store_test_syncs_on_this_thread(void)
{
    return syncs_here;
}

unsigned long store_test_syncs_total(void)
{
    return atomic_load(&syncs_total);
}

int store_fsync(int fd, bool data_only)
{
    syncs_here++;
    atomic_fetch_add(&syncs_total, 1);
    return data_only ? fdatasync(fd) : fsync(fd);
}

void store_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        store_fsync(fd, false);
        close(fd);
    }
}

/* The directory part of path, transfer full. */
static char *dir_of(const char *path)
{
    char *dir = util_strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash && slash != dir)
        *slash = '\0';
    return dir;
}

int store_write_atomic(const char *path, const void *data, size_t len, int mode, bool sync)
{
    int rc = BINGE_ENOMEM, fd = -1;
    char *tmp = util_asprintf("%s.tmp.XXXXXX", path);
    if (!tmp)
        return rc;
    rc = BINGE_EIO;
    fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return rc;
    }
    /* Without the fsync a power cut after the rename can leave an empty file under the final
     * name; a kill -9 cannot: the page cache survives the process. */
    if (fchmod(fd, (mode_t)mode) != 0 || util_write_all(fd, data, len) != 0 ||
        (sync && store_fsync(fd, false) != 0))
        goto fail;
    int c = close(fd);
    fd = -1;
    if (c != 0 || rename(tmp, path) != 0)
        goto fail;
    free(tmp);
    if (sync) {
        char *dir = dir_of(path);
        if (dir)
            store_fsync_dir(dir);
        free(dir);
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    free(tmp);
    return rc;
}

/* ---- blobs ---- */

struct store_blob *store_blob_new(const void *data, size_t len)
{
    struct store_blob *b = malloc(sizeof(*b) + len + 1);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->len = len;
    b->wipe = false;
    if (len)
        memcpy(b->data, data, len);
    b->data[len] = '\0';
    return b;
}

struct store_blob *store_blob_ref(struct store_blob *b)
{
    if (b)
        atomic_fetch_add(&b->refs, 1);
    return b;
}

void store_blob_unref(struct store_blob *b)
{
    if (!b || atomic_fetch_sub(&b->refs, 1) != 1)
        return;
    if (b->wipe)
        explicit_bzero(b->data, b->len);
    free(b);
}

/* ---- the thread ---- */

static void job_free(struct store_job *j)
{
    if (!j)
        return;
    store_blob_unref(j->blob);
    free(j->path);
    free(j);
}

static int open_journal(struct store_writer *w)
{
    if (w->journal_fd >= 0)
        close(w->journal_fd);
    w->journal_fd = open(w->journal_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (w->journal_fd < 0) {
        log_error("can't open %s: %s", w->journal_path, strerror(errno));
        return BINGE_EIO;
    }
    return 0;
}

static int run_append(struct store_writer *w, const struct store_job *j)
{
    if (w->journal_broken || w->journal_fd < 0)
        return BINGE_EIO; /* the UI thread rewrites the journal next */
    if (util_write_all(w->journal_fd, j->blob->data, j->blob->len) != 0 ||
        store_fsync(w->journal_fd, true) != 0) {
        log_error("can't append to %s: %s", w->journal_path, strerror(errno));
        /* Cut back to the last whole record so the next append does not follow a fragment. */
        if (ftruncate(w->journal_fd, (off_t)w->journal_size) != 0)
            w->journal_broken = true;
        return BINGE_EIO;
    }
    w->journal_size += j->blob->len;
    return 0;
}

static int run_journal(struct store_writer *w, const struct store_job *j)
{
    int rc = store_write_atomic(w->journal_path, j->blob->data, j->blob->len, 0600, true);
    if (rc != 0) {
        log_error("can't rewrite %s: %s", w->journal_path, strerror(errno));
        w->journal_broken = true;
        return rc;
    }
    w->journal_size = j->blob->len;
    w->journal_broken = false;
    if ((rc = open_journal(w)) != 0)
        w->journal_broken = true;
    return rc;
}

static int run_job(struct store_writer *w, const struct store_job *j)
{
    switch (j->kind) {
    case STORE_JOB_REPLACE: {
        int rc = store_write_atomic(j->path, j->blob->data, j->blob->len, 0600, j->sync);
        if (rc != 0)
            log_error("can't write %s: %s", j->path, strerror(errno));
        return rc;
    }
    case STORE_JOB_CREATE: {
        /* A fresh name nothing references yet: a torn file is never read (see store_cache.c). */
        int fd = open(j->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int rc = 0;
        if (fd < 0 || util_write_all(fd, j->blob->data, j->blob->len) != 0)
            rc = BINGE_EIO;
        if (fd >= 0 && close(fd) != 0)
            rc = BINGE_EIO;
        if (rc != 0)
            log_error("can't write %s: %s", j->path, strerror(errno));
        return rc;
    }
    case STORE_JOB_UNLINK:
        if (unlink(j->path) != 0 && errno != ENOENT) {
            log_warn("can't remove %s: %s", j->path, strerror(errno));
            return BINGE_EIO;
        }
        if (j->sync) {
            char *dir = dir_of(j->path);
            if (dir)
                store_fsync_dir(dir);
            free(dir);
        }
        return 0;
    case STORE_JOB_APPEND:
        return run_append(w, j);
    case STORE_JOB_JOURNAL:
        return run_journal(w, j);
    }
    return BINGE_EINVAL;
}

static void *writer_main(void *arg)
{
    struct store_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while ((!w->todo || w->hold) && !(w->quit && !w->todo))
            pthread_cond_wait(&w->cond, &w->lock);
        if (!w->todo)
            break; /* quit with nothing left: store_close drains first */
        struct store_job *j = w->todo;
        w->todo = j->next;
        if (!w->todo)
            w->todo_tail = NULL;
        w->busy = true;
        pthread_mutex_unlock(&w->lock);

        j->rc = run_job(w, j);
        store_blob_unref(j->blob); /* the UI thread may still hold its own reference */
        j->blob = NULL;

        pthread_mutex_lock(&w->lock);
        j->next = NULL;
        if (w->done_tail)
            w->done_tail->next = j;
        else
            w->done = j;
        w->done_tail = j;
        w->done_seq = j->seq;
        w->busy = false;
        pthread_cond_broadcast(&w->idle);
        void (*wake)(void *) = w->wake;
        void *wake_data = w->wake_data;
        pthread_mutex_unlock(&w->lock);
        if (wake)
            wake(wake_data);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int store_writer_start(struct store_writer *w, const char *journal_path, int journal_fd,
                       size_t journal_size, bool journal_broken)
{
    w->journal_path = util_strdup(journal_path);
    if (!w->journal_path)
        return BINGE_ENOMEM;
    w->journal_fd = journal_fd;
    w->journal_size = journal_size;
    w->journal_broken = journal_broken;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    pthread_cond_init(&w->idle, NULL);
    w->inited = true;
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        log_error("can't start the store writer thread");
        return BINGE_ENOMEM;
    }
    w->started = true;
    return 0;
}

void store_writer_stop(struct store_writer *w)
{
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->quit = true;
        w->hold = false;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        w->started = false;
    }
    for (struct store_job *j = w->todo, *n; j; j = n) {
        n = j->next;
        job_free(j);
    }
    for (struct store_job *j = w->done, *n; j; j = n) {
        n = j->next;
        job_free(j);
    }
    w->todo = w->todo_tail = w->done = w->done_tail = NULL;
    if (w->journal_fd >= 0)
        close(w->journal_fd);
    w->journal_fd = -1;
    if (w->inited) {
        pthread_cond_destroy(&w->idle);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        w->inited = false;
    }
    free(w->journal_path);
    w->journal_path = NULL;
}

uint64_t store_writer_submit(struct store_writer *w, enum store_job_kind kind, char *path,
                             struct store_blob *blob, bool sync, int coalesce)
{
    struct store_job *j = calloc(1, sizeof(*j));
    if (!j) {
        free(path);
        store_blob_unref(blob);
        return 0;
    }
    j->kind = kind;
    j->path = path;
    j->blob = blob;
    j->sync = sync;
    j->coalesce = coalesce;
    pthread_mutex_lock(&w->lock);
    j->seq = ++w->next_seq;
    if (coalesce) {
        /* A queued write of the same file that has not started is superseded: the last one
         * wins. It leaves the queue, and the new one goes to the back so that it still follows
         * every job queued before it (a cache index after the bodies it names). */
        for (struct store_job **pp = &w->todo, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next) {
            struct store_job *old = *pp;
            if (old->coalesce != coalesce)
                continue;
            *pp = old->next;
            if (w->todo_tail == old)
                w->todo_tail = prev;
            w->coalesced++;
            job_free(old);
            break;
        }
    }
    if (w->todo_tail)
        w->todo_tail->next = j;
    else
        w->todo = j;
    w->todo_tail = j;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return j->seq;
}

struct store_job *store_writer_take_done(struct store_writer *w)
{
    if (!w->started)
        return NULL;
    pthread_mutex_lock(&w->lock);
    struct store_job *list = w->done;
    w->done = w->done_tail = NULL;
    pthread_mutex_unlock(&w->lock);
    return list;
}

void store_writer_wait_idle(struct store_writer *w)
{
    if (!w->started)
        return;
    pthread_mutex_lock(&w->lock);
    w->hold = false;
    pthread_cond_broadcast(&w->cond);
    while (w->todo || w->busy)
        pthread_cond_wait(&w->idle, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

void store_writer_hold(struct store_writer *w, bool hold)
{
    if (!w->started)
        return;
    pthread_mutex_lock(&w->lock);
    w->hold = hold;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void store_writer_set_wake(struct store_writer *w, void (*wake)(void *data), void *data)
{
    if (!w->inited)
        return;
    pthread_mutex_lock(&w->lock);
    w->wake = wake;
    w->wake_data = data;
    pthread_mutex_unlock(&w->lock);
}

void store_job_free(struct store_job *j)
{
    job_free(j);
}
