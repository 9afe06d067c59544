#ifndef BINGE_INPUT_INTERNAL_H
#define BINGE_INPUT_INTERNAL_H

/* Private to src/input: the pure logic under the hub (keymap parser, repeat generator and
 * double-press filter), which takes the time as a parameter so the unit tests are exact. No
 * I/O here except keymap_load's reading of files. Threading: the caller's (the UI thread). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binge/input.h"

/* ---- keymap (keymap.c) ---- */

#define KEYMAP_MAX_ENTRIES 512
#define KEYMAP_MAX_LINE 255
#define KEYMAP_MAX_BYTES (64 * 1024)
#define KEYMAP_MAX_DEPTH 4
#define KEYMAP_SOURCE_MAX 16 /* "evdev" ... with the NUL */
#define KEYMAP_KEY_MAX 64

struct keymap;

/* Returns an empty keymap (maps nothing), NULL when out of memory. Free with keymap_free. */
struct keymap *keymap_new(void);
void keymap_free(struct keymap *km);

/* Reads an included keymap: fills *text (transfer full, malloc'd) and *len, and *name (a
 * malloc'd name for messages, the file's path). Returns 0, or a negative BINGE_E* code. */
typedef int (*keymap_include_fn)(void *ctx, const char *name, char **text, size_t *len,
                                 char **path);

/* Adds the mappings of text (len bytes, need not be NUL-terminated) to km; name stands for
 * the file in messages. include lines call load (NULL: they are an error). Returns 0, or
 * BINGE_EINVAL with "name:line: reason" in err (km then holds what came before the error:
 * throw it away). */
int keymap_parse(struct keymap *km, const char *text, size_t len, const char *name,
                 keymap_include_fn load, void *ctx, char *err, size_t errlen);

/* The action of source's key, INPUT_NONE when it maps to nothing (the last mapping wins). */
enum input_action keymap_lookup(const struct keymap *km, const char *source, const char *key);
size_t keymap_size(const struct keymap *km);

/* The built-in default keymap (assets/keymaps/default.conf, compiled in: keymap_default.c,
 * generated). */
extern const char keymap_default_text[];
extern const size_t keymap_default_len;

/* Loads the keymap binge uses (binge/input_source.h, input_config.keymap_file): file (NULL:
 * /etc/binge/keymap.conf, else dir/<profile>.conf), and the built-in default when that is
 * missing or wrong, the reason logged. *from says which ("built-in" or the path; static or
 * owned by km: valid while km lives). Returns NULL only when out of memory. */
struct keymap *keymap_load(const char *file, const char *etc_file, const char *dir,
                           const char *profile, const char **from);

/* ---- repeat generator and double-press filter (repeat.c) ---- */

#define INPUT_DOUBLE_PRESS_MS 100
#define INPUT_REPEAT_DELAY_MS 500
#define INPUT_REPEAT_RATE_HZ 8

/* For IR-like sources: one key is held at a time (a remote sends one code at a time). */
struct input_repeat {
    int delay_ms, interval_ms;
    char held[KEYMAP_SOURCE_MAX + KEYMAP_KEY_MAX]; /* "source:key" held, "" when none */
    enum input_action held_action;
    int64_t next_ms; /* the next generated repeat while held */
    char released[KEYMAP_SOURCE_MAX + KEYMAP_KEY_MAX];
    int64_t released_ms; /* when released[] was let go */
    enum input_action released_action;
    int64_t released_next_ms; /* its next repeat, had it stayed held */
    uint64_t dropped;         /* presses dropped as retransmissions */
};

/* delay_ms: the first repeat after the press; rate_hz: repeats per second after it (1..100).
 * 0 takes the defaults. */
void input_repeat_init(struct input_repeat *r, int delay_ms, int rate_hz);

/* A key event of an IR-like source, code = "source:key", mapped to action (INPUT_NONE: an
 * unmapped key, which still ends a hold). Returns true when the press is to be dispatched now
 * (a new press, not a repeat): the caller queues action with repeat = false. A press of the
 * code released less than INPUT_DOUBLE_PRESS_MS ago is dropped (retransmission): the release
 * was the glitch, the key is held again as it was (a hold goes on repeating on its schedule).
 * The source's own repeats (src_repeat) only say the key is still down. */
bool input_repeat_key(struct input_repeat *r, const char *code, enum input_action action,
                      bool pressed, bool src_repeat, int64_t now_ms);

/* The generated repeat due at now_ms, if any: returns true and its action (queued with
 * repeat = true). One at a time: a late call gives one repeat, the next one interval later. */
bool input_repeat_due(struct input_repeat *r, int64_t now_ms, enum input_action *action);

/* When the next repeat is due, -1 when no key is held. */
int64_t input_repeat_deadline(const struct input_repeat *r);

/* Ends a hold without a release (a source closed, the key's source lost it). */
void input_repeat_cancel(struct input_repeat *r);

#endif
