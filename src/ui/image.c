#include <SDL_image.h>
#include <stdlib.h>
#include <string.h>

#include "binge/log.h"
#include "ui_internal.h"

LOG_MODULE("image");

/* Posters are decoded on a worker thread so a large PNG never stalls a frame; only the UI thread
 * turns the decoded surface into a texture (SDL renderers are single-threaded).
 * The cache is bounded: past IMAGE_CACHE_MAX entries the least recently used one is dropped. */
#define IMAGE_CACHE_MAX 128
#define IMAGE_MAX_BYTES (8u << 20)

struct image_entry {
    char *url;
    enum ui_image_state state;
    SDL_Texture *tex;
    uint64_t used;
};

struct image_job {
    struct image_job *next;
    char *url;
    char *bytes; /* in: encoded; NULL once decoded */
    size_t len;
    SDL_Surface *surface; /* out: NULL when decoding failed */
};

struct image_cache {
    struct image_entry entries[IMAGE_CACHE_MAX];
    uint64_t clock;
    SDL_Thread *thread;
    SDL_mutex *lock;
    SDL_cond *cond;
    struct image_job *todo, *todo_tail; /* guarded by lock */
    struct image_job *done;             /* guarded by lock */
    bool quit;                          /* guarded by lock */
    void (*wake)(void *data);
    void *wake_data;
};

static void job_free(struct image_job *job)
{
    if (!job)
        return;
    free(job->url);
    free(job->bytes);
    if (job->surface)
        SDL_FreeSurface(job->surface);
    free(job);
}

static int worker_main(void *arg)
{
    struct image_cache *c = arg;
    SDL_LockMutex(c->lock);
    for (;;) {
        while (!c->todo && !c->quit)
            SDL_CondWait(c->cond, c->lock);
        if (c->quit)
            break;
        struct image_job *job = c->todo;
        c->todo = job->next;
        if (!c->todo)
            c->todo_tail = NULL;
        SDL_UnlockMutex(c->lock);

        SDL_RWops *rw = SDL_RWFromConstMem(job->bytes, (int)job->len);
        job->surface = rw ? IMG_Load_RW(rw, 1) : NULL;
        if (!job->surface)
            log_warn("can't decode poster (%zu bytes): %s", job->len, IMG_GetError());
        free(job->bytes);
        job->bytes = NULL;

        SDL_LockMutex(c->lock);
        job->next = c->done;
        c->done = job;
        SDL_UnlockMutex(c->lock);
        c->wake(c->wake_data);
        SDL_LockMutex(c->lock);
    }
    SDL_UnlockMutex(c->lock);
    return 0;
}

struct image_cache *image_cache_new(void (*wake)(void *data), void *data)
{
    struct image_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->wake = wake;
    c->wake_data = data;
    c->lock = SDL_CreateMutex();
    c->cond = SDL_CreateCond();
    if (!c->lock || !c->cond)
        goto fail;
    IMG_Init(IMG_INIT_PNG | IMG_INIT_JPG);
    c->thread = SDL_CreateThread(worker_main, "binge-image", c);
    if (!c->thread)
        goto fail;
    return c;
fail:
    log_error("can't start the image worker: %s", SDL_GetError());
    image_cache_free(c);
    return NULL;
}

void image_cache_free(struct image_cache *c)
{
    if (!c)
        return;
    if (c->thread) {
        SDL_LockMutex(c->lock);
        c->quit = true;
        SDL_CondSignal(c->cond);
        SDL_UnlockMutex(c->lock);
        SDL_WaitThread(c->thread, NULL);
    }
    for (struct image_job *j = c->todo, *n; j; j = n) {
        n = j->next;
        job_free(j);
    }
    for (struct image_job *j = c->done, *n; j; j = n) {
        n = j->next;
        job_free(j);
    }
    for (size_t i = 0; i < IMAGE_CACHE_MAX; i++) {
        free(c->entries[i].url);
        if (c->entries[i].tex)
            SDL_DestroyTexture(c->entries[i].tex);
    }
    if (c->cond)
        SDL_DestroyCond(c->cond);
    if (c->lock)
        SDL_DestroyMutex(c->lock);
    free(c);
}

static struct image_entry *find(struct image_cache *c, const char *url)
{
    for (size_t i = 0; i < IMAGE_CACHE_MAX; i++)
        if (c->entries[i].url && strcmp(c->entries[i].url, url) == 0)
            return &c->entries[i];
    return NULL;
}

static struct image_entry *find_or_add(struct image_cache *c, const char *url)
{
    struct image_entry *e = find(c, url);
    if (e)
        return e;
    struct image_entry *victim = &c->entries[0];
    for (size_t i = 0; i < IMAGE_CACHE_MAX; i++) {
        if (!c->entries[i].url) {
            victim = &c->entries[i];
            break;
        }
        if (c->entries[i].used < victim->used)
            victim = &c->entries[i];
    }
    char *copy = strdup(url);
    if (!copy)
        return NULL;
    free(victim->url);
    if (victim->tex)
        SDL_DestroyTexture(victim->tex);
    *victim = (struct image_entry){.url = copy, .state = UI_IMAGE_UNKNOWN, .used = ++c->clock};
    return victim;
}

enum ui_image_state image_cache_state(struct image_cache *c, const char *url)
{
    struct image_entry *e = url ? find(c, url) : NULL;
    return e ? e->state : UI_IMAGE_UNKNOWN;
}

SDL_Texture *image_cache_texture(struct image_cache *c, const char *url)
{
    struct image_entry *e = url ? find(c, url) : NULL;
    if (!e || e->state != UI_IMAGE_READY)
        return NULL;
    e->used = ++c->clock;
    return e->tex;
}

void image_cache_mark_pending(struct image_cache *c, const char *url)
{
    struct image_entry *e = find_or_add(c, url);
    if (e && e->state == UI_IMAGE_UNKNOWN)
        e->state = UI_IMAGE_PENDING;
}

void image_cache_fail(struct image_cache *c, const char *url)
{
    struct image_entry *e = find_or_add(c, url);
    if (e)
        e->state = UI_IMAGE_FAILED;
}

void image_cache_submit(struct image_cache *c, const char *url, char *bytes, size_t len)
{
    struct image_job *job = NULL;
    if (len == 0 || len > IMAGE_MAX_BYTES)
        goto fail;
    job = calloc(1, sizeof(*job));
    if (!job || !(job->url = strdup(url)))
        goto fail;
    job->bytes = bytes;
    job->len = len;
    image_cache_mark_pending(c, url);
    SDL_LockMutex(c->lock);
    if (c->todo_tail)
        c->todo_tail->next = job;
    else
        c->todo = job;
    c->todo_tail = job;
    SDL_CondSignal(c->cond);
    SDL_UnlockMutex(c->lock);
    return;
fail:
    if (job)
        job->bytes = NULL;
    job_free(job);
    free(bytes);
    image_cache_fail(c, url);
}

bool image_cache_pump(struct image_cache *c, SDL_Renderer *renderer)
{
    SDL_LockMutex(c->lock);
    struct image_job *jobs = c->done;
    c->done = NULL;
    SDL_UnlockMutex(c->lock);
    bool changed = false;
    for (struct image_job *j = jobs, *n; j; j = n) {
        n = j->next;
        struct image_entry *e = find_or_add(c, j->url);
        if (e) {
            if (e->tex)
                SDL_DestroyTexture(e->tex);
            e->tex = j->surface ? SDL_CreateTextureFromSurface(renderer, j->surface) : NULL;
            e->state = e->tex ? UI_IMAGE_READY : UI_IMAGE_FAILED;
            e->used = ++c->clock;
            changed = true;
        }
        job_free(j);
    }
    return changed;
}
