#ifndef BINGE_INPUT_SOURCE_H
#define BINGE_INPUT_SOURCE_H

/* Input sources: where key presses come from (SDL keyboard, SDL game controller, evdev, HDMI-CEC,
 * LIRC). Each is a backend, a const table of functions (struct input_source_ops); the registry
 * (src/input/sources.c) lists those built, in probe order, and is the only place besides the
 * backend's own file that knows its #if BINGE_HAVE_INPUT_*.
 *
 * A source turns what its device says into key events named as in the keymap ("sdl:Up",
 * "evdev:KEY_OK", "cec:SELECT", "lirc:KEY_RED", "pad:dpup"); the input hub (struct input, below)
 * maps them to actions through the keymap, generates the repeats of IR-like sources and drops
 * their retransmissions, and hands the app actions with a repeat flag.
 *
 * Threading: everything here runs on the UI thread. A source may not start threads of its own
 * that touch the hub; it is read when its fds are readable (the UI thread sleeps in poll() on
 * them, src/input/wait.c) and at least once per tick.
 * Ownership: a source's state is its own, made by open and freed by close. Strings in an event
 * are borrowed for the emit call only. */

#include <SDL.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binge/input.h"

/* What a source says about a key. */
struct input_key_event {
    const char *source; /* the keymap prefix: "sdl", "pad", "evdev", "cec", "lirc" */
    const char *key;    /* the key's name in that source: "Up", "KEY_OK", "SELECT", "a" */
    bool pressed;       /* true: pressed (or held, with repeat); false: released */
    /* The source's own auto-repeat of a held key (SDL's repeat flag, evdev value 2, a LIRC line
     * with a repeat count > 0). For an IR-like source it only says the key is still held: the
     * hub makes the repeats itself. */
    bool repeat;
    /* IR-like sources (evdev rc-core devices, CEC, LIRC) send a press and a release, or a
     * press and the source's repeats: the hub generates the repeats (--repeat-delay,
     * --repeat-rate) and drops the same key pressed again within INPUT_DOUBLE_PRESS_MS of
     * its release (IR retransmission). Others (the SDL keyboard) keep their own repeat. */
    bool ir_like;
    /* A press the source itself knows is a new one, not a retransmission (LIRC: a repeat
     * count of 0, not within INPUT_DOUBLE_PRESS_MS of the same button's last line; its
     * releases are made up late, at the next line or after the silence): the hub's
     * double-press filter lets it through. */
    bool fresh;
};

/* The emit callback a source is given at open: call it for each key event, on the UI thread,
 * from read or handle_sdl_event. */
typedef void (*input_emit_fn)(void *hub, const struct input_key_event *ev);

/* What sources are configured with (from the options; borrowed for open's call, copy what is
 * kept). NULL or 0 fields mean the source's default. */
struct input_source_config {
    const char *video_driver; /* SDL's video driver in use ("x11", "KMSDRM", "offscreen") */
    const char *lirc_socket;  /* lircd's socket, default INPUT_LIRC_SOCKET */
    const char *evdev_dir;    /* the devices' directory, default "/dev/input" */
    bool evdev_grab;          /* grab the evdev devices (EVIOCGRAB) */
    const char *cec_device;   /* "/dev/cec0"; NULL: probe /dev/cec* */
    const char *osd_name;     /* the name a CEC TV shows for the box ("binge", or the brand) */
};

#define INPUT_LIRC_SOCKET "/var/run/lirc/lircd"

/* A backend. Every function but name and open may be NULL. */
struct input_source_ops {
    const char *name; /* "sdl-keyboard", "gamecontroller", "evdev", "cec", "lirc" */
    /* Opens the source. Returns 0 with *out (transfer full, given back to close), or
     * BINGE_ENOTFOUND when it has nothing to read here (no lircd, no CEC adapter: the hub skips
     * it quietly), or another negative BINGE_E* code with the reason logged. emit/hub: where its
     * key events go, for the source's lifetime. A source that may find devices later (hotplug,
     * lircd started later) opens with 0 and waits for them. */
    int (*open)(const struct input_source_config *cfg, input_emit_fn emit, void *hub, void **out);
    /* Fills up to max pollfds (fd, events) for the UI thread's poll(); returns how many. Asked
     * again before every sleep, so the set may change (a device plugged in, a reconnect). */
    size_t (*fds)(void *src, struct pollfd *fds, size_t max);
    /* Reads what is there without blocking and emits its key events. Called on every tick and
     * whenever one of its fds is readable. Returns the next time (util_now_ms clock) it must
     * be called even if nothing is readable (a reconnect back-off, a release timeout), or -1. */
    int64_t (*read)(void *src, int64_t now_ms);
    /* For sources fed by SDL's event queue (keyboard, game controller): an SDL event. Returns
     * true when it was the source's (taken, events emitted). */
    bool (*handle_sdl_event)(void *src, const SDL_Event *ev);
    /* Closes the source: frees what open made. NULL-safe on src. */
    void (*close)(void *src);
};

/* The registry: the sources built, in probe order, NULL-terminated. */
const struct input_source_ops *const *input_source_list(void);

/* ---- the hub: sources, keymap, repeat -> actions ---- */

struct input;

struct input_config {
    struct input_source_config sources;
    /* The keymap: --keymap FILE when set (a missing or bad one is logged and the built-in
     * default used), else /etc/binge/keymap.conf when it exists, else the profile's
     * ${datadir}/binge/keymaps/<keymap_profile>.conf, else the built-in default
     * (assets/keymaps/default.conf, compiled in). */
    const char *keymap_file;
    const char *keymap_profile; /* "rpi", "kms", "desktop", "headless"; NULL: "default" */
    int repeat_delay_ms;        /* first generated repeat after the press; 0: 500 */
    int repeat_rate_hz;         /* repeats per second after that; 0: 8 */
    bool no_sources;            /* tests: open no source at all (input_feed only) */
};

/* Loads the keymap and opens every source of the registry that opens (BINGE_ENOTFOUND and
 * errors are logged, never fatal). Returns NULL only when out of memory. UI thread, after
 * SDL_Init (the SDL sources need it). Transfer full: free with input_free. */
struct input *input_new(const struct input_config *cfg);
void input_free(struct input *in);

/* The pollfds of every source (see ops.fds); returns how many of max were filled. */
size_t input_fds(struct input *in, struct pollfd *fds, size_t max);
/* Gives an SDL event to the sources that read SDL (keyboard, controller). Returns true when one
 * took it; its actions are then queued (input_next_action). */
bool input_handle_sdl_event(struct input *in, const SDL_Event *ev);
/* Reads every source and runs the repeat generator up to now_ms: queues the actions due. */
void input_poll(struct input *in, int64_t now_ms);
/* A key event as if a source emitted it (automation, tests). */
void input_feed(struct input *in, const struct input_key_event *ev, int64_t now_ms);
/* The next queued action, in order: returns false when none. *repeat is true for a held key's
 * repeat (the source's own for the SDL keyboard, ours for IR-like sources): only those may
 * speed up what a key does (seeking). */
bool input_next_action(struct input *in, enum input_action *action, bool *repeat);
/* When input_poll must run next even if no fd fires (the next generated repeat, a source's
 * deadline), util_now_ms clock; -1 when nothing is pending. The tick sleeps until then. */
int64_t input_next_deadline(const struct input *in);
/* How many sources are open, and the name of the i-th (NULL past the end): `state`, logs. */
size_t input_source_count(const struct input *in);
const char *input_source_name(const struct input *in, size_t i);
/* Where the keymap came from: its path, or "built-in"; NULL for in NULL. Borrowed from in. */
const char *input_keymap_from(const struct input *in);

#endif
