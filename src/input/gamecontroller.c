#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binge/error.h"
#include "binge/input_source.h"
#include "binge/log.h"

LOG_MODULE("input");

/* SDL game controllers: gamepads, and the many BLE remotes that show up as one. Buttons are
 * named as SDL_GameControllerGetStringForButton spells them ("a", "b", "dpup", "start",
 * "back"), keymap source "pad". A pad sends no repeats of its own: holding a button repeats
 * through the hub's generator (IR-like). Controllers plugged in later come as
 * SDL_CONTROLLERDEVICEADDED; one unplugged while a button is down releases it. The left stick
 * is not read (a remote has none; a pad has its D-pad).
 *
 * SDL reads the pads' device nodes itself, when the UI thread pumps its events; under X11 the
 * UI thread sleeps in poll() on the X connection (src/input/wait.c), which a pad's press does
 * not wake. So each pad's node is opened a second time, read only, for that poll: reading our
 * copy of its events leaves SDL's alone (as the waiter does for evdev under KMSDRM). */

#define PAD_MAX 8

struct pad_slot {
    SDL_GameController *gc; /* NULL: not opened by us (an event of another one) */
    SDL_JoystickID id;      /* -1: free */
    Uint32 down;            /* the buttons pressed, a bit each */
    int fd;                 /* the device node, for the UI thread's poll(); -1: none */
};

struct pads {
    input_emit_fn emit;
    void *hub;
    struct pad_slot slot[PAD_MAX];
};

static struct pad_slot *slot_of(struct pads *p, SDL_JoystickID id, bool make)
{
    for (size_t i = 0; i < PAD_MAX; i++)
        if (p->slot[i].id == id)
            return &p->slot[i];
    if (!make)
        return NULL;
    for (size_t i = 0; i < PAD_MAX; i++)
        if (p->slot[i].id < 0) {
            p->slot[i] = (struct pad_slot){.id = id, .fd = -1};
            return &p->slot[i];
        }
    return NULL;
}

static void add_device(struct pads *p, int index)
{
    if (!SDL_IsGameController(index))
        return;
    SDL_GameController *gc = SDL_GameControllerOpen(index);
    if (!gc) {
        log_warn("game controller %d: can't open it: %s", index, SDL_GetError());
        return;
    }
    SDL_JoystickID id = SDL_JoystickInstanceID(SDL_GameControllerGetJoystick(gc));
    struct pad_slot *s = slot_of(p, id, true);
    if (!s || s->gc) {
        SDL_GameControllerClose(gc); /* already ours (added twice), or no room */
        return;
    }
    s->gc = gc;
#if SDL_VERSION_ATLEAST(2, 24, 0)
    const char *path = SDL_GameControllerPath(gc);
    if (path)
        s->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
#endif
    const char *name = SDL_GameControllerName(gc);
    log_info("game controller %s", name ? name : "(no name)");
}

static void emit_button(struct pads *p, Uint8 button, bool pressed)
{
    const char *name = SDL_GameControllerGetStringForButton((SDL_GameControllerButton)button);
    if (!name)
        return;
    struct input_key_event ev = {.source = "pad", .key = name, .pressed = pressed, .ir_like = true};
    p->emit(p->hub, &ev);
}

static void remove_device(struct pads *p, SDL_JoystickID id)
{
    struct pad_slot *s = slot_of(p, id, false);
    if (!s)
        return;
    for (Uint8 b = 0; b < 32; b++)
        if (s->down & (1u << b))
            emit_button(p, b, false); /* unplugged while held: the hold ends */
    if (s->gc) {
        SDL_GameControllerClose(s->gc);
        log_info("game controller %d gone", (int)id);
    }
    if (s->fd >= 0)
        close(s->fd);
    s->gc = NULL;
    s->id = -1;
    s->down = 0;
    s->fd = -1;
}

static int pads_open(const struct input_source_config *cfg, input_emit_fn emit, void *hub,
                     void **out)
{
    /* Headless QA has no controller to find, and SDL's device scan is not worth starting. */
    if (cfg->video_driver &&
        (strcmp(cfg->video_driver, "offscreen") == 0 || strcmp(cfg->video_driver, "dummy") == 0))
        return BINGE_ENOTFOUND;
    if (SDL_InitSubSystem(SDL_INIT_GAMECONTROLLER) != 0) {
        log_info("no game controllers: %s", SDL_GetError());
        return BINGE_ENOTFOUND;
    }
    struct pads *p = calloc(1, sizeof(*p));
    if (!p) {
        SDL_QuitSubSystem(SDL_INIT_GAMECONTROLLER);
        return BINGE_ENOMEM;
    }
    p->emit = emit;
    p->hub = hub;
    for (size_t i = 0; i < PAD_MAX; i++) {
        p->slot[i].id = -1;
        p->slot[i].fd = -1;
    }
    /* The ones already there also come as SDL_CONTROLLERDEVICEADDED; add_device ignores the
     * second time. */
    for (int i = 0; i < SDL_NumJoysticks(); i++)
        add_device(p, i);
    *out = p;
    return 0;
}

static bool pads_handle_sdl_event(void *src, const SDL_Event *ev)
{
    struct pads *p = src;
    switch (ev->type) {
    case SDL_CONTROLLERDEVICEADDED:
        add_device(p, ev->cdevice.which);
        return true;
    case SDL_CONTROLLERDEVICEREMOVED:
        remove_device(p, ev->cdevice.which);
        return true;
    case SDL_CONTROLLERBUTTONDOWN:
    case SDL_CONTROLLERBUTTONUP: {
        bool down = ev->type == SDL_CONTROLLERBUTTONDOWN;
        struct pad_slot *s = slot_of(p, ev->cbutton.which, true);
        if (s && ev->cbutton.button < 32) {
            if (down)
                s->down |= 1u << ev->cbutton.button;
            else
                s->down &= ~(1u << ev->cbutton.button);
        }
        emit_button(p, ev->cbutton.button, down);
        return true;
    }
    default:
        return false;
    }
}

static size_t pads_fds(void *src, struct pollfd *fds, size_t max)
{
    struct pads *p = src;
    size_t n = 0;
    for (size_t i = 0; i < PAD_MAX && n < max; i++)
        if (p->slot[i].fd >= 0)
            fds[n++] = (struct pollfd){.fd = p->slot[i].fd, .events = POLLIN};
    return n;
}

/* Our copies of the pads' events are only a wake-up: drained, SDL reads its own. */
static int64_t pads_read(void *src, int64_t now_ms)
{
    struct pads *p = src;
    char buf[1024];
    for (size_t i = 0; i < PAD_MAX; i++) {
        if (p->slot[i].fd < 0)
            continue;
        for (int rounds = 0; rounds < 16 && read(p->slot[i].fd, buf, sizeof(buf)) > 0; rounds++)
            ;
    }
    return -1;
}

static void pads_close(void *src)
{
    struct pads *p = src;
    if (!p)
        return;
    for (size_t i = 0; i < PAD_MAX; i++) {
        if (p->slot[i].gc)
            SDL_GameControllerClose(p->slot[i].gc);
        if (p->slot[i].fd >= 0)
            close(p->slot[i].fd);
    }
    free(p);
    SDL_QuitSubSystem(SDL_INIT_GAMECONTROLLER);
}

const struct input_source_ops input_source_gamecontroller = {
    .name = "gamecontroller",
    .open = pads_open,
    .fds = pads_fds,
    .read = pads_read,
    .handle_sdl_event = pads_handle_sdl_event,
    .close = pads_close,
};
