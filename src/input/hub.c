#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binge/error.h"
#include "binge/input_source.h"
#include "binge/log.h"
#include "binge/util.h"
#include "input_internal.h"

LOG_MODULE("input");

#define INPUT_MAX_SOURCES 8
#define INPUT_QUEUE 64
#define INPUT_UNKNOWN_LOGGED 64

#ifndef BINGE_KEYMAP_DIR
#define BINGE_KEYMAP_DIR "/usr/share/binge/keymaps"
#endif
#define BINGE_KEYMAP_ETC "/etc/binge/keymap.conf"

struct input {
    struct keymap *km;
    const char *keymap_from; /* a path owned by km, or "built-in" */
    struct input_repeat rep;
    struct {
        const struct input_source_ops *ops;
        void *src;
        int64_t deadline;
    } src[INPUT_MAX_SOURCES];
    size_t n_src;
    struct {
        enum input_action action;
        bool repeat;
    } q[INPUT_QUEUE];
    size_t q_head, q_n;
    uint32_t unknown[INPUT_UNKNOWN_LOGGED]; /* hashes of the unknown keys logged */
    size_t n_unknown;
    int64_t now_ms;        /* the time of the events being emitted */
    bool sdl_keys_ignored; /* KMSDRM with the evdev source open: SDL reads the same devices */
};

static void queue(struct input *in, enum input_action action, bool repeat)
{
    if (in->q_n >= INPUT_QUEUE) {
        log_warn("more than %d actions waiting: %s dropped", INPUT_QUEUE,
                 input_action_name(action));
        return;
    }
    size_t i = (in->q_head + in->q_n++) % INPUT_QUEUE;
    in->q[i].action = action;
    in->q[i].repeat = repeat;
}

static uint32_t key_hash(const char *source, const char *key)
{
    uint32_t h = 2166136261u;
    for (const char *s = source; *s; s++)
        h = (h ^ (uint32_t)(*s | 0x20)) * 16777619u;
    h = (h ^ ':') * 16777619u;
    for (const char *s = key; *s; s++)
        h = (h ^ (uint32_t)(*s >= 'A' && *s <= 'Z' ? *s | 0x20 : *s)) * 16777619u;
    return h;
}

/* Unknown keys are logged once each: a remote with keys nobody mapped must not fill the log. */
static void note_unknown(struct input *in, const char *source, const char *key)
{
    uint32_t h = key_hash(source, key);
    for (size_t i = 0; i < in->n_unknown; i++)
        if (in->unknown[i] == h)
            return;
    if (in->n_unknown == INPUT_UNKNOWN_LOGGED)
        return;
    in->unknown[in->n_unknown++] = h;
    log_info("key %s:%s is not in the keymap%s", source, key,
             in->n_unknown == INPUT_UNKNOWN_LOGGED ? " (further unknown keys are not logged)" : "");
}

static void emit(void *hub, const struct input_key_event *ev)
{
    struct input *in = hub;
    if (!ev || !ev->source || !ev->key)
        return;
    /* Bounded like the keymap's names: a longer one cannot be in it. */
    char key[KEYMAP_KEY_MAX];
    snprintf(key, sizeof(key), "%s", ev->key);
    enum input_action action = keymap_lookup(in->km, ev->source, key);
    if (action == INPUT_NONE && ev->pressed && !ev->repeat)
        note_unknown(in, ev->source, key);
    if (!ev->ir_like) {
        if (ev->pressed && action != INPUT_NONE)
            queue(in, action, ev->repeat);
        return;
    }
    char code[KEYMAP_SOURCE_MAX + KEYMAP_KEY_MAX];
    snprintf(code, sizeof(code), "%.15s:%s", ev->source, key);
    if (ev->fresh && ev->pressed)
        in->rep.released_ms = -1; /* no retransmission: the source measured the gap */
    if (input_repeat_key(&in->rep, code, action, ev->pressed, ev->repeat, in->now_ms))
        queue(in, action, false);
}

struct input *input_new(const struct input_config *cfg)
{
    struct input *in = calloc(1, sizeof(*in));
    if (!in)
        return NULL;
    const char *from = NULL;
    const char *dir = getenv("BINGE_KEYMAP_DIR");
    in->km = keymap_load(cfg->keymap_file, BINGE_KEYMAP_ETC, dir && *dir ? dir : BINGE_KEYMAP_DIR,
                         cfg->keymap_profile, &from);
    if (!in->km) {
        free(in);
        return NULL;
    }
    in->keymap_from = from;
    log_info("keymap %s (%zu keys)", from, keymap_size(in->km));
    input_repeat_init(&in->rep, cfg->repeat_delay_ms, cfg->repeat_rate_hz);
    in->now_ms = util_now_ms();
    if (cfg->no_sources)
        return in;
    const struct input_source_ops *const *list = input_source_list();
    for (size_t i = 0; list[i] && in->n_src < INPUT_MAX_SOURCES; i++) {
        void *src = NULL;
        int rc = list[i]->open(&cfg->sources, emit, in, &src);
        if (rc == BINGE_ENOTFOUND) {
            log_info("input %s: nothing here", list[i]->name);
            continue;
        }
        if (rc != 0) {
            log_warn("input %s: can't open it (%d); going on without it", list[i]->name, rc);
            continue;
        }
        in->src[in->n_src].ops = list[i];
        in->src[in->n_src].src = src;
        in->src[in->n_src].deadline = -1;
        in->n_src++;
        log_info("input %s", list[i]->name);
        /* Under KMSDRM SDL reads the evdev devices itself: their keys would come twice. */
        if (strcmp(list[i]->name, "evdev") == 0 && cfg->sources.video_driver &&
            strcmp(cfg->sources.video_driver, "KMSDRM") == 0) {
            in->sdl_keys_ignored = true;
            log_info("KMSDRM: keys come from the evdev source, SDL's keyboard events are ignored");
        }
    }
    return in;
}

void input_free(struct input *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n_src; i++)
        if (in->src[i].ops->close)
            in->src[i].ops->close(in->src[i].src);
    keymap_free(in->km);
    free(in);
}

size_t input_fds(struct input *in, struct pollfd *fds, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; in && i < in->n_src && n < max; i++)
        if (in->src[i].ops->fds)
            n += in->src[i].ops->fds(in->src[i].src, fds + n, max - n);
    return n;
}

bool input_handle_sdl_event(struct input *in, const SDL_Event *ev)
{
    in->now_ms = util_now_ms();
    if (in->sdl_keys_ignored && (ev->type == SDL_KEYDOWN || ev->type == SDL_KEYUP))
        return true;
    for (size_t i = 0; i < in->n_src; i++)
        if (in->src[i].ops->handle_sdl_event &&
            in->src[i].ops->handle_sdl_event(in->src[i].src, ev))
            return true;
    return false;
}

void input_poll(struct input *in, int64_t now_ms)
{
    in->now_ms = now_ms;
    for (size_t i = 0; i < in->n_src; i++)
        if (in->src[i].ops->read)
            in->src[i].deadline = in->src[i].ops->read(in->src[i].src, now_ms);
    enum input_action a;
    if (input_repeat_due(&in->rep, now_ms, &a))
        queue(in, a, true);
}

void input_feed(struct input *in, const struct input_key_event *ev, int64_t now_ms)
{
    in->now_ms = now_ms;
    emit(in, ev);
}

bool input_next_action(struct input *in, enum input_action *action, bool *repeat)
{
    if (!in || in->q_n == 0)
        return false;
    *action = in->q[in->q_head].action;
    *repeat = in->q[in->q_head].repeat;
    in->q_head = (in->q_head + 1) % INPUT_QUEUE;
    in->q_n--;
    return true;
}

int64_t input_next_deadline(const struct input *in)
{
    if (!in)
        return -1;
    int64_t next = input_repeat_deadline(&in->rep);
    for (size_t i = 0; i < in->n_src; i++) {
        int64_t d = in->src[i].deadline;
        if (d > 0 && (next < 0 || d < next))
            next = d;
    }
    return next;
}

size_t input_source_count(const struct input *in)
{
    return in ? in->n_src : 0;
}

const char *input_source_name(const struct input *in, size_t i)
{
    return in && i < in->n_src ? in->src[i].ops->name : NULL;
}

const char *input_keymap_from(const struct input *in)
{
    return in ? in->keymap_from : NULL;
}
