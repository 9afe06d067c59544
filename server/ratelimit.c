#include "ratelimit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binge/error.h"

struct bucket {
    char key[RATELIMIT_KEY_MAX + 1];
    double tokens;
    double last; /* when tokens was computed, seconds */
    bool used;
};

struct ratelimit {
    double rate;
    double burst;
    size_t cap; /* slots, a power of two at least twice max_keys */
    size_t max_keys;
    size_t count;
    struct bucket *slots;
    pthread_mutex_t lock;
};

static uint64_t hash_key(const char *s)
{
    /* FNV-1a: keys are short and not adversarial enough to need more. */
    uint64_t h = 1469598103934665603ull;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

int ratelimit_new(double rate, double burst, size_t max_keys, struct ratelimit **out)
{
    struct ratelimit *rl;
    size_t cap = 16;

    if (!out || rate < 0 || (rate > 0 && burst < 1) || max_keys == 0 || max_keys > (1u << 24))
        return BINGE_EINVAL;
    *out = NULL;
    while (cap < 2 * max_keys)
        cap *= 2;
    rl = calloc(1, sizeof(*rl));
    if (!rl)
        return BINGE_ENOMEM;
    rl->slots = calloc(cap, sizeof(*rl->slots));
    if (!rl->slots) {
        free(rl);
        return BINGE_ENOMEM;
    }
    rl->rate = rate;
    rl->burst = burst;
    rl->cap = cap;
    rl->max_keys = max_keys;
    pthread_mutex_init(&rl->lock, NULL);
    *out = rl;
    return 0;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->slots);
    free(rl);
}

static double refill(const struct ratelimit *rl, const struct bucket *b, double now)
{
    double t = b->tokens + (now - b->last) * rl->rate;
    return t > rl->burst ? rl->burst : t;
}

/* Rebuilds the table without the buckets that are full again (as good as absent), or when none
 * is, without the least recently used one. Linear probing cannot delete in place, hence the
 * rebuild; it runs only when the table is full. */
static void evict(struct ratelimit *rl, double now)
{
    struct bucket *old = rl->slots;
    struct bucket *fresh = calloc(rl->cap, sizeof(*fresh));
    size_t oldest = SIZE_MAX;
    size_t dropped = 0;

    if (!fresh)
        return;
    for (size_t i = 0; i < rl->cap; i++) {
        if (!old[i].used)
            continue;
        if (refill(rl, &old[i], now) >= rl->burst) {
            old[i].used = false;
            dropped++;
        } else if (oldest == SIZE_MAX || old[i].last < old[oldest].last) {
            oldest = i;
        }
    }
    if (dropped == 0 && oldest != SIZE_MAX)
        old[oldest].used = false;
    rl->count = 0;
    for (size_t i = 0; i < rl->cap; i++) {
        size_t j;
        if (!old[i].used)
            continue;
        j = hash_key(old[i].key) & (rl->cap - 1);
        while (fresh[j].used)
            j = (j + 1) & (rl->cap - 1);
        fresh[j] = old[i];
        rl->count++;
    }
    free(old);
    rl->slots = fresh;
}

bool ratelimit_take(struct ratelimit *rl, const char *key, double now, int *retry_after_s)
{
    char k[RATELIMIT_KEY_MAX + 1];
    struct bucket *b = NULL;
    bool ok;
    size_t j;

    if (!rl || rl->rate <= 0 || !key)
        return true;
    snprintf(k, sizeof(k), "%s", key);
    pthread_mutex_lock(&rl->lock);
    j = hash_key(k) & (rl->cap - 1);
    while (rl->slots[j].used && strcmp(rl->slots[j].key, k) != 0)
        j = (j + 1) & (rl->cap - 1);
    if (rl->slots[j].used) {
        b = &rl->slots[j];
        b->tokens = refill(rl, b, now);
        b->last = now;
    } else {
        if (rl->count >= rl->max_keys) {
            evict(rl, now);
            j = hash_key(k) & (rl->cap - 1);
            while (rl->slots[j].used)
                j = (j + 1) & (rl->cap - 1);
        }
        b = &rl->slots[j];
        snprintf(b->key, sizeof(b->key), "%s", k);
        b->tokens = rl->burst;
        b->last = now;
        b->used = true;
        rl->count++;
    }
    ok = b->tokens >= 1.0;
    if (ok) {
        b->tokens -= 1.0;
    } else if (retry_after_s) {
        double need = (1.0 - b->tokens) / rl->rate;
        int wait = need > 86400 ? 86400 : (int)need;
        if (wait < need)
            wait++; /* round up: retrying earlier would only be refused again */
        *retry_after_s = wait < 1 ? 1 : wait;
    }
    pthread_mutex_unlock(&rl->lock);
    return ok;
}
