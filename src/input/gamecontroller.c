#include <stdlib.h>
#include <string.h>

#include "binge/error.h"
#include "binge/input_source.h"
#include "binge/log.h"

LOG_MODULE("input");

/* SDL game controllers: gamepads, and the many BLE remotes that show up as one. Buttons are
 * named as SDL_GameControllerGetStringForButton spells them ("a", "b", "dpup", "start",
 * "back"), keymap source "pad". A pad sends no repeats of its own: holding a button repeats
 * through the hub's generator (IR-like). Controllers plugged in later come as
 * SDL_CONTROLLERDEVICEADDED; one unplugged while a button is down releases it. The left stick
 * is not read (a remote has none; a pad has its D-pad). */

#define PAD_MAX 8

struct pad_slot {
    SDL_GameController *gc; /* NULL: not opened by us (an event of another one) */
    SDL_JoystickID id;      /* -1: free */
    Uint32 down;            /* the buttons pressed, a bit each */
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
            p->slot[i] = (struct pad_slot){.id = id};
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
    s->gc = NULL;
    s->id = -1;
    s->down = 0;
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
    for (size_t i = 0; i < PAD_MAX; i++)
        p->slot[i].id = -1;
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

static void pads_close(void *src)
{
    struct pads *p = src;
    if (!p)
        return;
    for (size_t i = 0; i < PAD_MAX; i++)
        if (p->slot[i].gc)
            SDL_GameControllerClose(p->slot[i].gc);
    free(p);
    SDL_QuitSubSystem(SDL_INIT_GAMECONTROLLER);
}

const struct input_source_ops input_source_gamecontroller = {
    .name = "gamecontroller",
    .open = pads_open,
    .handle_sdl_event = pads_handle_sdl_event,
    .close = pads_close,
};
