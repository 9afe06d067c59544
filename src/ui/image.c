#include <SDL_image.h>
#include <stdlib.h>
#include <string.h>

#include "binge/log.h"
#include "ui_internal.h"

LOG_MODULE("image");

/* Posters. A worker thread checks the size in the file's header before anything is decoded
 * (IHDR of a PNG, SOFn of a JPEG; any other format is refused), decodes, and scales the picture
 * down to the drawn size; only the UI thread turns the result into a texture (SDL renderers are
 * single-threaded). The cache is an LRU bounded in bytes of pixels, with a hash index by URL.
 * A texture evicted for room keeps its entry (IMAGE_EVICTED): it is loaded again only when
 * something draws it, which keeps 300 posters from reloading one another forever. */

struct image_entry {
    char *url;
    uint32_t hash;
    enum ui_image_state state;
    bool evicted; /* state is UNKNOWN to the app only once it was drawn again */
    SDL_Texture *tex;
    size_t bytes;                    /* of tex */
    struct image_entry *hnext;       /* hash chain */
    struct image_entry *prev, *next; /* LRU list, most recent first */
};

struct image_job {
    struct image_job *next;
    char *url;
    char *bytes; /* in: encoded; NULL once decoded */
    size_t len;
    SDL_Surface *surface; /* out: NULL when refused or decoding failed */
};

#define IMAGE_BUCKETS 1024 /* power of two */

struct image_cache {
    struct image_entry *buckets[IMAGE_BUCKETS];
    struct image_entry *head, *tail; /* LRU */
    size_t n_entries;
    size_t bytes;
    size_t max_bytes;
    bool wanted; /* an evicted poster was drawn: the app should load it again */
    struct ui_image_stats stats;
    SDL_Thread *thread;
    SDL_mutex *lock;
    SDL_cond *cond;
    struct image_job *todo, *todo_tail; /* guarded by lock */
    struct image_job *done, *done_tail; /* guarded by lock; in decode order */
    bool quit;                          /* guarded by lock */
    void (*wake)(void *data);
    void *wake_data;
};

/* ---- the header check and the decode (worker thread, or tests) ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int image_probe(const void *data, size_t len, int *w, int *h, const char **format)
{
    const unsigned char *p = data;
    *w = *h = 0;
    *format = "unknown";
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= 24 && memcmp(p, png_sig, 8) == 0) {
        *format = "PNG";
        if (memcmp(p + 12, "IHDR", 4) != 0)
            return -1;
        uint32_t pw = be32(p + 16), ph = be32(p + 20);
        if (pw == 0 || ph == 0 || pw > 1u << 30 || ph > 1u << 30)
            return -1;
        *w = (int)pw;
        *h = (int)ph;
        return 0;
    }
    if (len >= 4 && p[0] == 0xff && p[1] == 0xd8) {
        *format = "JPEG";
        /* Walk the markers to the first start of frame. */
        size_t i = 2;
        while (i + 4 <= len) {
            if (p[i] != 0xff)
                return -1;
            unsigned char m = p[i + 1];
            if (m == 0xff) { /* fill byte */
                i++;
                continue;
            }
            if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
                i += 2;
                continue;
            }
            if (m == 0xd9 || m == 0xda)
                return -1; /* end of image or scan before a frame header */
            size_t seg = (size_t)p[i + 2] << 8 | p[i + 3];
            if (seg < 2)
                return -1;
            bool sof = m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
            if (sof) {
                if (i + 9 > len)
                    return -1;
                *h = p[i + 5] << 8 | p[i + 6];
                *w = p[i + 7] << 8 | p[i + 8];
                return *w > 0 && *h > 0 ? 0 : -1;
            }
            i += 2 + seg;
        }
        return -1;
    }
    return -1;
}

SDL_Surface *image_decode(const void *data, size_t len, char *why, size_t whylen)
{
    int w = 0, h = 0;
    const char *format = NULL;
    if (len == 0 || len > IMAGE_MAX_FILE_BYTES) {
        snprintf(why, whylen, "%zu bytes: over the %u byte limit", len, IMAGE_MAX_FILE_BYTES);
        return NULL;
    }
    if (image_probe(data, len, &w, &h, &format) != 0) {
        snprintf(why, whylen, "not a PNG or JPEG with a readable header (%s)", format);
        return NULL;
    }
    if ((uint64_t)w * (uint64_t)h > IMAGE_MAX_PIXELS) {
        snprintf(why, whylen, "%s of %dx%d pixels: over the %u pixel limit", format, w, h,
                 IMAGE_MAX_PIXELS);
        return NULL;
    }
    SDL_RWops *rw = SDL_RWFromConstMem(data, (int)len);
    SDL_Surface *src = rw ? IMG_Load_RW(rw, 1) : NULL;
    if (!src) {
        snprintf(why, whylen, "can't decode the %s: %s", format, IMG_GetError());
        return NULL;
    }
    if (src->w != w || src->h != h) { /* the header lied: trust neither */
        snprintf(why, whylen, "the %s header says %dx%d, the picture is %dx%d", format, w, h,
                 src->w, src->h);
        SDL_FreeSurface(src);
        return NULL;
    }
    SDL_Surface *argb = SDL_ConvertSurfaceFormat(src, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(src);
    if (!argb) {
        snprintf(why, whylen, "can't convert: %s", SDL_GetError());
        return NULL;
    }
    /* Fit in the drawn size, keeping the aspect ratio; halve first so that the linear filter
     * never skips source pixels. */
    while (argb->w > 2 * IMAGE_DRAW_W || argb->h > 2 * IMAGE_DRAW_H) {
        SDL_Surface *half = SDL_CreateRGBSurfaceWithFormat(0, (argb->w + 1) / 2, (argb->h + 1) / 2,
                                                           32, SDL_PIXELFORMAT_ARGB8888);
        if (!half || SDL_SoftStretchLinear(argb, NULL, half, NULL) != 0) {
            SDL_FreeSurface(half);
            break;
        }
        SDL_FreeSurface(argb);
        argb = half;
    }
    if (argb->w > IMAGE_DRAW_W || argb->h > IMAGE_DRAW_H) {
        int tw = IMAGE_DRAW_W, th = (int)((int64_t)argb->h * IMAGE_DRAW_W / argb->w);
        if (th > IMAGE_DRAW_H) {
            th = IMAGE_DRAW_H;
            tw = (int)((int64_t)argb->w * IMAGE_DRAW_H / argb->h);
        }
        SDL_Surface *fit = SDL_CreateRGBSurfaceWithFormat(0, tw > 0 ? tw : 1, th > 0 ? th : 1, 32,
                                                          SDL_PIXELFORMAT_ARGB8888);
        if (fit && SDL_SoftStretchLinear(argb, NULL, fit, NULL) == 0) {
            SDL_FreeSurface(argb);
            argb = fit;
        } else {
            SDL_FreeSurface(fit);
        }
    }
    return argb;
}

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

        char why[256] = "";
        job->surface = image_decode(job->bytes, job->len, why, sizeof(why));
        if (!job->surface)
            log_warn("poster %s refused: %s", job->url, why);
        free(job->bytes);
        job->bytes = NULL;

        SDL_LockMutex(c->lock);
        job->next = NULL;
        if (c->done_tail)
            c->done_tail->next = job;
        else
            c->done = job;
        c->done_tail = job;
        SDL_UnlockMutex(c->lock);
        c->wake(c->wake_data);
        SDL_LockMutex(c->lock);
    }
    SDL_UnlockMutex(c->lock);
    return 0;
}

struct image_cache *image_cache_new(void (*wake)(void *data), void *data, size_t max_bytes)
{
    struct image_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->wake = wake;
    c->wake_data = data;
    c->max_bytes = max_bytes ? max_bytes : IMAGE_CACHE_BYTES;
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
    for (struct image_entry *e = c->head, *n; e; e = n) {
        n = e->next;
        free(e->url);
        if (e->tex)
            SDL_DestroyTexture(e->tex);
        free(e);
    }
    if (c->cond)
        SDL_DestroyCond(c->cond);
    if (c->lock)
        SDL_DestroyMutex(c->lock);
    free(c);
}

/* ---- the index and the LRU (UI thread) ---- */

static uint32_t hash_url(const char *s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static void lru_unlink(struct image_cache *c, struct image_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(struct image_cache *c, struct image_entry *e)
{
    if (c->head == e)
        return;
    if (e->prev || e->next || c->tail == e)
        lru_unlink(c, e);
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static struct image_entry *find(struct image_cache *c, const char *url)
{
    uint32_t h = hash_url(url);
    for (struct image_entry *e = c->buckets[h & (IMAGE_BUCKETS - 1)]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->url, url) == 0)
            return e;
    return NULL;
}

static void drop_texture(struct image_cache *c, struct image_entry *e)
{
    if (!e->tex)
        return;
    SDL_DestroyTexture(e->tex);
    e->tex = NULL;
    c->bytes -= e->bytes;
    e->bytes = 0;
}

static void remove_entry(struct image_cache *c, struct image_entry *e)
{
    struct image_entry **pp = &c->buckets[e->hash & (IMAGE_BUCKETS - 1)];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    lru_unlink(c, e);
    drop_texture(c, e);
    free(e->url);
    free(e);
    c->n_entries--;
}

/* Frees textures from the least recently used end until the pixels fit, keeping keep. Entries
 * stay (small) up to IMAGE_CACHE_ENTRIES, so a refused poster is not fetched again. */
static void evict(struct image_cache *c, const struct image_entry *keep)
{
    for (struct image_entry *e = c->tail, *p; e && c->bytes > c->max_bytes; e = p) {
        p = e->prev;
        if (e == keep || !e->tex)
            continue;
        drop_texture(c, e);
        e->state = UI_IMAGE_UNKNOWN;
        e->evicted = true;
        c->stats.evictions++;
    }
    for (struct image_entry *e = c->tail, *p; e && c->n_entries > IMAGE_CACHE_ENTRIES; e = p) {
        p = e->prev;
        if (e != keep && e->state != UI_IMAGE_PENDING)
            remove_entry(c, e);
    }
}

static struct image_entry *find_or_add(struct image_cache *c, const char *url)
{
    struct image_entry *e = find(c, url);
    if (e)
        return e;
    e = calloc(1, sizeof(*e));
    if (!e || !(e->url = strdup(url))) {
        free(e);
        return NULL;
    }
    e->hash = hash_url(url);
    e->state = UI_IMAGE_UNKNOWN;
    struct image_entry **b = &c->buckets[e->hash & (IMAGE_BUCKETS - 1)];
    e->hnext = *b;
    *b = e;
    c->n_entries++;
    lru_front(c, e);
    evict(c, e);
    return e;
}

enum ui_image_state image_cache_state(struct image_cache *c, const char *url)
{
    struct image_entry *e = url ? find(c, url) : NULL;
    if (!e)
        return UI_IMAGE_UNKNOWN;
    /* An evicted texture is fetched again only once something wants to draw it. */
    return e->evicted ? UI_IMAGE_EVICTED : e->state;
}

SDL_Texture *image_cache_texture(struct image_cache *c, const char *url)
{
    struct image_entry *e = url ? find(c, url) : NULL;
    if (!e)
        return NULL;
    if (e->evicted) {
        e->evicted = false; /* now UNKNOWN: the app loads it again */
        c->wanted = true;
        return NULL;
    }
    if (e->state != UI_IMAGE_READY)
        return NULL;
    lru_front(c, e);
    return e->tex;
}

void image_cache_mark_pending(struct image_cache *c, const char *url)
{
    struct image_entry *e = find_or_add(c, url);
    if (e && e->state == UI_IMAGE_UNKNOWN) {
        e->state = UI_IMAGE_PENDING;
        e->evicted = false;
    }
}

void image_cache_fail(struct image_cache *c, const char *url)
{
    struct image_entry *e = find_or_add(c, url);
    if (e) {
        drop_texture(c, e);
        e->state = UI_IMAGE_FAILED;
        e->evicted = false;
    }
}

void image_cache_submit(struct image_cache *c, const char *url, char *bytes, size_t len)
{
    struct image_job *job = NULL;
    if (len == 0 || len > IMAGE_MAX_FILE_BYTES) {
        log_warn("poster %s refused: %zu bytes", url, len);
        goto fail;
    }
    job = calloc(1, sizeof(*job));
    if (!job || !(job->url = strdup(url)))
        goto fail;
    job->bytes = bytes;
    job->len = len;
    image_cache_mark_pending(c, url);
    c->stats.submitted++;
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
    c->stats.refused++;
    image_cache_fail(c, url);
}

bool image_cache_pump(struct image_cache *c, SDL_Renderer *renderer)
{
    SDL_LockMutex(c->lock);
    struct image_job *jobs = c->done;
    c->done = c->done_tail = NULL;
    SDL_UnlockMutex(c->lock);
    bool changed = false;
    for (struct image_job *j = jobs, *n; j; j = n) {
        n = j->next;
        struct image_entry *e = find_or_add(c, j->url);
        if (e) {
            drop_texture(c, e);
            e->tex = j->surface ? SDL_CreateTextureFromSurface(renderer, j->surface) : NULL;
            e->state = e->tex ? UI_IMAGE_READY : UI_IMAGE_FAILED;
            e->evicted = false;
            if (e->tex) {
                e->bytes = (size_t)j->surface->w * (size_t)j->surface->h * 4;
                c->bytes += e->bytes;
                c->stats.decoded++;
            } else {
                c->stats.refused++;
            }
            lru_front(c, e);
            evict(c, e);
            changed = true;
        }
        job_free(j);
    }
    return changed;
}

bool image_cache_wanted(struct image_cache *c)
{
    bool w = c->wanted;
    c->wanted = false;
    return w;
}

void image_cache_stats(const struct image_cache *c, struct ui_image_stats *out)
{
    *out = c->stats;
    out->bytes = c->bytes;
    out->entries = c->n_entries;
}
