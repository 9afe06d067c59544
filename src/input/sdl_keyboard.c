#include <stdio.h>
#include <stdlib.h>

#include "binge/error.h"
#include "binge/input_source.h"

/* The SDL keyboard: a PC keyboard, and remotes that reach SDL as keyboard keys (X11, Wayland,
 * SDL's own evdev reading under KMSDRM). Keys are named as SDL_GetKeyName spells them ("Up",
 * "Keypad Enter"); SDL's repeat flag is kept (not IR-like): holding a key gives SDL's repeats. */

struct sdl_keyboard {
    input_emit_fn emit;
    void *hub;
};

static int kb_open(const struct input_source_config *cfg, input_emit_fn emit, void *hub, void **out)
{
    struct sdl_keyboard *k = calloc(1, sizeof(*k));
    if (!k)
        return BINGE_ENOMEM;
    k->emit = emit;
    k->hub = hub;
    *out = k;
    return 0;
}

static bool kb_handle_sdl_event(void *src, const SDL_Event *ev)
{
    struct sdl_keyboard *k = src;
    if (ev->type != SDL_KEYDOWN && ev->type != SDL_KEYUP)
        return false;
    char unnamed[16];
    const char *name = SDL_GetKeyName(ev->key.keysym.sym);
    if (!name || !*name) { /* a key SDL has no name for: still one the log can name */
        snprintf(unnamed, sizeof(unnamed), "0x%x", (unsigned)ev->key.keysym.sym);
        name = unnamed;
    }
    struct input_key_event ke = {
        .source = "sdl",
        .key = name,
        .pressed = ev->type == SDL_KEYDOWN,
        .repeat = input_key_is_repeat(&ev->key),
        .ir_like = false,
    };
    k->emit(k->hub, &ke);
    return true;
}

static void kb_close(void *src)
{
    free(src);
}

const struct input_source_ops input_source_sdl_keyboard = {
    .name = "sdl-keyboard",
    .open = kb_open,
    .handle_sdl_event = kb_handle_sdl_event,
    .close = kb_close,
};
