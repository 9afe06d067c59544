#ifndef BINGE_INPUT_KINPUT_H
#define BINGE_INPUT_KINPUT_H

#include <stdbool.h>

/* What the kernel-facing input sources (evdev.c, cec.c) hand up: one key, by the name the
 * keymap files use, before the keymap, repeat and double-press filter (those are the input
 * registry's). Private to src/input. */
struct input_raw_key {
    const char *source; /* "evdev", "cec"; static */
    const char *name;   /* evdev: "KEY_UP" (libevdev's name); CEC: the UI command, "SELECT" */
    const char *device; /* the device's name, for the log; valid during the call */
    bool pressed;       /* true: press; false: release (the end of a hold) */
    bool ir_like;       /* an IR receiver (rc-core) or CEC: repeat is ours, doubles are dropped */
};

/* Called on the UI thread, from the source's dispatch, once per press and per release. The
 * source never reports the device's own auto-repeat. */
typedef void (*input_raw_key_fn)(void *userdata, const struct input_raw_key *key);

#endif
