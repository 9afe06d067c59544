#include "faults.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "binge/error.h"

struct faults {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    size_t n;
    struct fault_rule rules[FAULTS_MAX];
};

static const char *const fault_names[] = {
    [FAULT_LATENCY] = "latency",   [FAULT_500] = "500",     [FAULT_503] = "503",
    [FAULT_TRUNCATE] = "truncate", [FAULT_RESET] = "reset", [FAULT_OVERSIZE] = "oversize",
};

const char *fault_kind_name(enum fault_kind kind)
{
    return (unsigned)kind < sizeof(fault_names) / sizeof(fault_names[0]) ? fault_names[kind] : "";
}

int fault_kind_parse(const char *name, enum fault_kind *out)
{
    for (size_t i = 0; name && i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
        if (strcmp(name, fault_names[i]) == 0) {
            *out = (enum fault_kind)i;
            return 0;
        }
    }
    return BINGE_EINVAL;
}

int faults_new(struct faults **out)
{
    struct faults *f;
    pthread_condattr_t attr;

    if (!out)
        return BINGE_EINVAL;
    f = calloc(1, sizeof(*f));
    if (!f)
        return BINGE_ENOMEM;
    pthread_mutex_init(&f->lock, NULL);
    /* Monotonic, so a clock change cannot stretch an injected latency. */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&f->wake, &attr);
    pthread_condattr_destroy(&attr);
    *out = f;
    return 0;
}

void faults_free(struct faults *f)
{
    if (!f)
        return;
    pthread_cond_destroy(&f->wake);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static bool same_rule(const struct fault_rule *a, const struct fault_rule *b)
{
    return strcmp(a->path_prefix, b->path_prefix) == 0 && strcmp(a->method, b->method) == 0 &&
           a->phase == b->phase;
}

int faults_add(struct faults *f, const struct fault_rule *rule)
{
    int rc = 0;
    size_t i;

    if (!f || !rule || rule->count == 0 || rule->count < -1 || !rule->path_prefix[0])
        return BINGE_EINVAL;
    pthread_mutex_lock(&f->lock);
    for (i = 0; i < f->n; i++) {
        if (same_rule(&f->rules[i], rule))
            break;
    }
    if (i == f->n && f->n == FAULTS_MAX) {
        rc = BINGE_ETOOBIG;
    } else {
        f->rules[i] = *rule;
        f->rules[i].hits = 0;
        if (i == f->n)
            f->n++;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

void faults_clear(struct faults *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    f->n = 0;
    pthread_mutex_unlock(&f->lock);
}

bool faults_take(struct faults *f, const char *method, const char *path, enum fault_phase phase,
                 struct fault_rule *out)
{
    bool found = false;

    if (!f || !method || !path || strncmp(path, "/dev/", 5) == 0)
        return false;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->n; i++) {
        struct fault_rule *r = &f->rules[i];
        if (r->phase != phase || strncmp(path, r->path_prefix, strlen(r->path_prefix)) != 0 ||
            (r->method[0] && strcmp(r->method, method) != 0))
            continue;
        r->hits++;
        *out = *r;
        if (r->count > 0 && --r->count == 0) {
            memmove(r, r + 1, (f->n - i - 1) * sizeof(*r));
            f->n--;
        }
        found = true;
        break;
    }
    pthread_mutex_unlock(&f->lock);
    return found;
}

size_t faults_list(struct faults *f, struct fault_rule *out, size_t cap)
{
    size_t n;

    if (!f || !out)
        return 0;
    pthread_mutex_lock(&f->lock);
    n = f->n < cap ? f->n : cap;
    memcpy(out, f->rules, n * sizeof(*out));
    pthread_mutex_unlock(&f->lock);
    return n;
}

void faults_sleep(struct faults *f, int ms)
{
    struct timespec until;

    if (!f || ms <= 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->lock);
    while (!f->stopping) {
        if (pthread_cond_timedwait(&f->wake, &f->lock, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&f->lock);
}

void faults_shutdown(struct faults *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    pthread_cond_broadcast(&f->wake);
    pthread_mutex_unlock(&f->lock);
}
