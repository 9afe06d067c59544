/* Crash safety of src/store: a child writes progress, cache entries, settings and the token in a
 * tight loop and reports each write on a pipe only once the store says it is durable (progress
 * through store_poll, the rest after store_flush), while the writer thread works behind the
 * calls; the parent kills it
 * with SIGKILL after a random 0-30 ms, at least 200 times. After every kill the store must reopen
 * without reporting damage, and everything reported must be there:
 *   - each reported event id of a one-off episode is pending (unless the child had started to
 *     acknowledge it), and each acknowledged one stays gone;
 *   - a "hot" episode, written again and again, has a pending record at least as new as the last
 *     one reported (the newest put for an episode replaces the older one, by design);
 *   - cache entries, the setting and the token are at least as new as reported, and intact;
 *   - temporary files left by the kill are few and are gone after the reopen.
 * The delays come from a fixed seed (BINGE_STORE_CRASH_SEED overrides it, BINGE_STORE_CRASH_KILLS
 * the count), so a failing run can be replayed with the same schedule. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "binge/error.h"
#include "binge/log.h"
#include "binge/store.h"
#include "binge/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define DEFAULT_KILLS 200
#define DEFAULT_SEED 20240611u
#define MAX_DELAY_US 30000
#define HOT_EPISODES 8
#define CACHE_KEYS 4
#define CHILD_LIFETIME_MS 5000 /* a child whose parent vanished stops by itself */

static const struct store_options opts = {
    .cache_max_bytes = 256 * 1024,
    .journal_max_bytes = 4096, /* compaction every few dozen records: kills land in it too */
};

/* ---- the child ---- */

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
    /* One write(2) of less than PIPE_BUF: a kill never leaves half a line. */
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0 && write(fd, line, (size_t)n) != n)
        _exit(5);
}

/* Cache bodies have a length derived from their stamp, so a mixed-up body shows. */
static size_t body_len(int run, int i)
{
    return 64 + (size_t)((run * 7919 + i * 104729) % 3000);
}

static void make_body(char *buf, int run, int i)
{
    size_t len = body_len(run, i);
    int n = snprintf(buf, len + 1, "body %d %d ", run, i);
    memset(buf + n, 'a' + (run + i) % 26, len - (size_t)n);
    buf[len] = '\0';
}

/* Reports the progress records the store says are durable. */
static void report_saved(struct store *st, int fd)
{
    struct store_progress p;
    while (store_poll(st, &p))
        report(fd, "P %s %s %lld\n", p.event_id, p.episode_id, (long long)p.position_ms);
}

static void child(const char *dir, int fd, int run)
{
    char err[256] = "";
    struct store *st = store_open_with(dir, &opts, err, sizeof(err));
    if (!st) {
        report(fd, "E open: %s\n", err);
        _exit(3);
    }
    char recent[4][STORE_EVENT_ID_LEN + 1]; /* one-off ids to acknowledge */
    int n_recent = 0;
    int64_t start = util_now_ms();
    static char body[4096];
    /* Writes other than progress are reported once store_flush says they are on disk. */
    char later[8][128];
    int n_later = 0;
    for (int i = 0; util_now_ms() - start < CHILD_LIFETIME_MS; i++) {
        char ep[64], id[STORE_EVENT_ID_LEN + 1];
        bool hot = i % 4 == 3;
        if (hot)
            snprintf(ep, sizeof(ep), "hot%d", (i / 4) % HOT_EPISODES);
        else
            snprintf(ep, sizeof(ep), "r%d-%d", run, i);
        int64_t pos = (int64_t)run * 1000000 + i;
        int rc = store_progress_put(st, ep, pos, 90000, 1700000000000 + pos, id);
        if (rc != 0) {
            report(fd, "E put: %s\n", binge_strerror(rc));
            _exit(4);
        }
        report_saved(st, fd);
        if (!hot && n_recent < 4)
            memcpy(recent[n_recent++], id, sizeof(id));

        if (i % 8 == 7) {
            char key[32];
            snprintf(key, sizeof(key), "series:%d:en", (i / 8) % CACHE_KEYS);
            make_body(body, run, i);
            if (store_cache_put(st, key, "\"etag\"", body, strlen(body)) != 0) {
                report(fd, "E cache\n");
                _exit(4);
            }
            snprintf(later[n_later++], sizeof(later[0]), "C %s %d %d\n", key, run, i);
        }
        if (i % 8 == 3) {
            char v[32];
            snprintf(v, sizeof(v), "%lld", (long long)pos);
            if (store_set_setting(st, "volume", v) != 0) {
                report(fd, "E setting\n");
                _exit(4);
            }
            snprintf(later[n_later++], sizeof(later[0]), "S %lld\n", (long long)pos);
        }
        if (i % 16 == 5) {
            char tok[64];
            snprintf(tok, sizeof(tok), "tok-%lld", (long long)pos);
            if (store_save_token(st, "device-1", tok, "refresh") != 0) {
                report(fd, "E token\n");
                _exit(4);
            }
            snprintf(later[n_later++], sizeof(later[0]), "T %lld\n", (long long)pos);
        }
        if (n_recent == 4) {
            /* "a" before the call: these may or may not be acknowledged if the kill lands in
             * it or before the flush; "A" after the flush: they must be gone for good. */
            const char *ids[] = {recent[0], recent[2]};
            report(fd, "a %s %s\n", ids[0], ids[1]);
            if (store_progress_ack(st, ids, 2) != 0) {
                report(fd, "E ack\n");
                _exit(4);
            }
            snprintf(later[n_later++], sizeof(later[0]), "A %s %s\n", ids[0], ids[1]);
            n_recent = 0;
        }
        if (i % 8 == 7) {
            store_flush(st);
            report_saved(st, fd);
            for (int k = 0; k < n_later; k++)
                report(fd, "%s", later[k]);
            n_later = 0;
        }
    }
    store_close(st);
    _exit(0);
}

/* ---- the parent's model of what must be on disk ---- */

struct idset {
    char (*ids)[STORE_EVENT_ID_LEN + 1];
    size_t n, cap;
};

static void set_add(struct idset *s, const char *id)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->ids = realloc(s->ids, s->cap * sizeof(*s->ids));
        assert_non_null(s->ids);
    }
    snprintf(s->ids[s->n++], STORE_EVENT_ID_LEN + 1, "%s", id);
}

static ssize_t set_find(const struct idset *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->ids[i], id) == 0)
            return (ssize_t)i;
    }
    return -1;
}

static bool set_del(struct idset *s, const char *id)
{
    ssize_t i = set_find(s, id);
    if (i < 0)
        return false;
    memcpy(s->ids[i], s->ids[s->n - 1], sizeof(s->ids[0]));
    s->n--;
    return true;
}

struct model {
    struct idset must;               /* reported, no ack started: must be pending */
    struct idset maybe;              /* ack started, not confirmed: either way */
    struct idset gone;               /* acknowledged: must never be pending again */
    long long hot_pos[HOT_EPISODES]; /* -1: nothing reported */
    int cache_run[CACHE_KEYS], cache_i[CACHE_KEYS];
    long long volume, token; /* -1: nothing reported */
    size_t reported;
};

static void apply_line(struct model *m, char *line)
{
    char id[64], ep[64], id2[64];
    long long pos;
    int run, i, k;
    if (sscanf(line, "P %63s %63s %lld", id, ep, &pos) == 3) {
        m->reported++;
        if (sscanf(ep, "hot%d", &k) == 1) {
            assert_true(k >= 0 && k < HOT_EPISODES);
            if (pos > m->hot_pos[k])
                m->hot_pos[k] = pos;
        } else if (set_find(&m->maybe, id) < 0 && set_find(&m->gone, id) < 0) {
            /* A record may become durable after its ack began: then it is not a must. */
            set_add(&m->must, id);
        }
    } else if (sscanf(line, "a %63s %63s", id, id2) == 2) {
        /* The ack may start before the store reported the records durable. */
        const char *ids[] = {id, id2};
        for (size_t j = 0; j < 2; j++) {
            set_del(&m->must, ids[j]);
            set_add(&m->maybe, ids[j]);
        }
    } else if (sscanf(line, "A %63s %63s", id, id2) == 2) {
        const char *ids[] = {id, id2};
        for (size_t j = 0; j < 2; j++) {
            assert_true(set_del(&m->maybe, ids[j]));
            set_add(&m->gone, ids[j]);
        }
    } else if (sscanf(line, "C series:%d:en %d %d", &k, &run, &i) == 3) {
        assert_true(k >= 0 && k < CACHE_KEYS);
        m->cache_run[k] = run;
        m->cache_i[k] = i;
    } else if (sscanf(line, "S %lld", &pos) == 1) {
        m->volume = pos;
    } else if (sscanf(line, "T %lld", &pos) == 1) {
        m->token = pos;
    } else {
        print_error("child said: %s\n", line);
        fail();
    }
}

static void read_reports(struct model *m, int fd)
{
    static char buf[1 << 20];
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            break;
        used += (size_t)n;
        assert_true(used < sizeof(buf) - 1);
    }
    buf[used] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        apply_line(m, line);
}

static int count_entries(const char *dir, const char *needle)
{
    int n = 0;
    DIR *d = opendir(dir);
    /* A child killed before it made the store's directory leaves none: nothing is in it. */
    if (!d && errno == ENOENT)
        return 0;
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] != '.' && (!needle || strstr(de->d_name, needle)))
            n++;
    }
    closedir(d);
    return n;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Reopens the store and checks it against the model; then acknowledges what the child had
 * reported, as a server flush would, and closes it again. */
static void verify(struct model *m, const char *dir, const char *cache_dir, int round)
{
    /* A kill leaves at most the one temporary file of the write in flight. */
    assert_true(count_entries(dir, ".tmp.") + count_entries(cache_dir, ".tmp.") <= 1);

    char err[256] = "";
    struct store *st = store_open_with(dir, &opts, err, sizeof(err));
    if (!st) {
        print_error("round %d: reopen failed: %s\n", round, err);
        fail();
    }
    if (store_recovered(st) != 0) {
        print_error("round %d: a kill -9 left damage: %s\n", round, store_recovery_message(st));
        fail();
    }
    assert_int_equal(count_entries(dir, ".tmp."), 0);
    assert_int_equal(count_entries(cache_dir, ".tmp."), 0);
    assert_int_equal(count_entries(dir, ".corrupt-"), 0);
    assert_true(count_entries(dir, NULL) <= 5);       /* lock, token, settings, journal, cache */
    assert_true(count_entries(cache_dir, NULL) <= 5); /* index and one body per key */
    char *jpath = util_asprintf("%s/progress.journal", dir);
    struct stat sb;
    assert_int_equal(stat(jpath, &sb), 0);
    assert_true(sb.st_size < 64 * 1024);
    free(jpath);

    size_t count = store_progress_count(st);
    struct store_progress *pend = calloc(count + 1, sizeof(*pend));
    size_t n = 0;
    assert_int_equal(store_progress_pending(st, pend, count, &n), 0);
    assert_int_equal(n, count);
    struct idset seen = {0};
    for (size_t i = 0; i < n; i++)
        set_add(&seen, pend[i].event_id);
    for (size_t i = 0; i < m->must.n; i++) {
        if (set_find(&seen, m->must.ids[i]) < 0) {
            print_error("round %d: reported event %s is missing\n", round, m->must.ids[i]);
            fail();
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (set_find(&m->gone, pend[i].event_id) >= 0) {
            print_error("round %d: acknowledged event %s came back\n", round, pend[i].event_id);
            fail();
        }
    }
    for (int k = 0; k < HOT_EPISODES; k++) {
        if (m->hot_pos[k] < 0)
            continue;
        char ep[32];
        snprintf(ep, sizeof(ep), "hot%d", k);
        long long best = -1;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(pend[i].episode_id, ep) == 0) {
                assert_true(best < 0); /* one record per episode */
                best = pend[i].position_ms;
            }
        }
        if (best < m->hot_pos[k]) {
            print_error("round %d: %s at %lld, reported %lld\n", round, ep, best, m->hot_pos[k]);
            fail();
        }
    }

    for (int k = 0; k < CACHE_KEYS; k++) {
        if (m->cache_run[k] < 0)
            continue;
        char key[32];
        snprintf(key, sizeof(key), "series:%d:en", k);
        char *etag = NULL, *body = NULL;
        size_t len = 0;
        assert_int_equal(store_cache_get(st, key, &etag, &body, &len, NULL), 0);
        assert_string_equal(etag, "\"etag\"");
        int run = -1, i = -1;
        assert_int_equal(sscanf(body, "body %d %d", &run, &i), 2);
        assert_true(run > m->cache_run[k] || (run == m->cache_run[k] && i >= m->cache_i[k]));
        assert_int_equal(len, body_len(run, i));
        static char want[4096];
        make_body(want, run, i);
        assert_memory_equal(body, want, len);
        free(etag);
        free(body);
    }
    if (m->volume >= 0) {
        const char *v = store_get_setting(st, "volume");
        assert_non_null(v);
        assert_true(atoll(v) >= m->volume);
    }
    if (m->token >= 0) {
        char *tok = NULL, *dev = NULL;
        assert_int_equal(store_load_token(st, &dev, &tok, NULL), 0);
        assert_string_equal(dev, "device-1");
        assert_true(strncmp(tok, "tok-", 4) == 0 && atoll(tok + 4) >= m->token);
        free(tok);
        free(dev);
    }

    /* The server took everything one-off that is pending (hot episodes stay queued). */
    const char **ids = calloc(n + 1, sizeof(*ids));
    size_t n_ids = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(pend[i].episode_id, "hot", 3) != 0)
            ids[n_ids++] = pend[i].event_id;
    }
    assert_int_equal(store_progress_ack(st, ids, n_ids), 0);
    for (size_t i = 0; i < n_ids; i++) {
        set_del(&m->must, ids[i]);
        set_del(&m->maybe, ids[i]);
        set_add(&m->gone, ids[i]);
    }
    /* Ids the child only began to acknowledge and that were not pending are gone too. */
    for (size_t i = 0; i < m->maybe.n; i++)
        set_add(&m->gone, m->maybe.ids[i]);
    m->maybe.n = 0;
    assert_int_equal(m->must.n, 0);
    free(ids);
    free(pend);
    free(seen.ids);
    store_close(st);
}

static void test_kill9(void **state)
{
    (void)state;
    const char *env_kills = getenv("BINGE_STORE_CRASH_KILLS");
    const char *env_seed = getenv("BINGE_STORE_CRASH_SEED");
    int kills = env_kills ? atoi(env_kills) : DEFAULT_KILLS;
    unsigned seed = env_seed ? (unsigned)strtoul(env_seed, NULL, 10) : DEFAULT_SEED;
    const unsigned seed0 = seed;
    if (kills < 1)
        kills = DEFAULT_KILLS;

    char dir[512], cache_dir[600];
    snprintf(dir, sizeof(dir), "%s/test-tmp/store-crash", BINGE_BUILD_DIR);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    snprintf(cache_dir, sizeof(cache_dir), "%s/cache", dir);

    struct model m = {.volume = -1, .token = -1};
    for (int k = 0; k < HOT_EPISODES; k++)
        m.hot_pos[k] = -1;
    for (int k = 0; k < CACHE_KEYS; k++)
        m.cache_run[k] = m.cache_i[k] = -1;

    int64_t t0 = util_now_ms();
    int exited = 0;
    for (int round = 0; round < kills; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child(dir, p[1], round);
        }
        close(p[1]);
        unsigned delay = (unsigned)(rand_r(&seed) % (MAX_DELAY_US + 1));
        if (round == 0)
            delay = 0; /* a kill before the child made anything, as a slow start (qemu) has */
        struct timespec ts = {0, (long)delay * 1000};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            exited++; /* it finished by itself: fine, but it must have succeeded */
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        read_reports(&m, p[0]);
        close(p[0]);
        verify(&m, dir, cache_dir, round);
    }
    int64_t elapsed = util_now_ms() - t0;
    print_message(
        "%d kills (seed %u) in %lld ms: %zu progress records reported, %zu acknowledged\n", kills,
        seed0, (long long)elapsed, m.reported, m.gone.n);
    assert_true(exited < kills / 10);
    assert_true(m.reported > 0);
    free(m.must.ids);
    free(m.maybe.ids);
    free(m.gone.ids);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9),
    };
    log_set_level(getenv("BINGE_TEST_VERBOSE") ? LOG_DEBUG : LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
