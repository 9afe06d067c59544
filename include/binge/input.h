#ifndef BINGE_INPUT_H
#define BINGE_INPUT_H

#include <SDL.h>
#include <stdbool.h>

/* Keymaps -> actions. The app only ever sees actions. Threading: UI thread. */

enum input_action {
    INPUT_NONE = 0,
    INPUT_UP,
    INPUT_DOWN,
    INPUT_LEFT,
    INPUT_RIGHT,
    INPUT_OK,
    INPUT_BACK,
    INPUT_PLAY_PAUSE,
    INPUT_INFO,
    INPUT_HOME,
    INPUT_MENU,
    INPUT_DIGIT_0,
    INPUT_DIGIT_1,
    INPUT_DIGIT_2,
    INPUT_DIGIT_3,
    INPUT_DIGIT_4,
    INPUT_DIGIT_5,
    INPUT_DIGIT_6,
    INPUT_DIGIT_7,
    INPUT_DIGIT_8,
    INPUT_DIGIT_9,
    INPUT_VOLUME_UP,
    INPUT_VOLUME_DOWN,
    INPUT_MUTE,
    INPUT_AUDIO,     /* the next audio track (dub) */
    INPUT_SUBTITLES, /* the next subtitle track, then off */
    INPUT_SEARCH,    /* open search (from home) */
    INPUT_RED,       /* the colour keys: Search, My list, Wallet, Settings by default */
    INPUT_GREEN,
    INPUT_YELLOW,
    INPUT_BLUE,
    INPUT_CHANNEL_UP,   /* the next episode in the player; a page down the lists elsewhere */
    INPUT_CHANNEL_DOWN, /* the previous episode in the player; a page up elsewhere */
    INPUT_EXIT,         /* back to home from anywhere; on home, the exit confirm */
    INPUT_ACTION_COUNT,
};

/* Key presses become actions through the keymap files and the input sources
 * (binge/input_source.h). */

/* Whether the event is the key's auto-repeat while it is held (SDL sets the flag for the
 * keyboard's repeat and for evdev's value 2), not a new press. Only a held key may speed up
 * what it does (seeking); taps never do, however quick. */
bool input_key_is_repeat(const SDL_KeyboardEvent *key);

/* The UI thread's sleep (src/input/wait.c): poll() on an eventfd that any thread writes to
 * wake it, plus the fds SDL's events come from (the X connection under x11, the evdev devices
 * under KMSDRM, none under offscreen). Made for drivers where SDL_WaitEventTimeout would poll
 * every millisecond. After input_waiter_wait returns, SDL_PumpEvents() fetches what came. */
struct input_waiter;

/* For window's video driver, or NULL when this driver is not one it can watch (then wait in
 * SDL_WaitEventTimeout). UI thread, after the window is created. */
struct input_waiter *input_waiter_new(SDL_Window *window);
void input_waiter_free(struct input_waiter *w);
/* Any thread: makes the current or next input_waiter_wait return at once. Coalesced: cheap to
 * call often. */
void input_waiter_wake(struct input_waiter *w);
/* UI thread: sleeps until a wake, input or display event, or timeout_ms (-1: no timeout).
 * Returns > 0 when something came, 0 on the timeout. The wake is consumed: look at what the
 * other threads left (net, player) after this returns. */
int input_waiter_wait(struct input_waiter *w, int timeout_ms);
/* UI thread: input_waiter_wait polls the fds of in's sources too (binge/input_source.h); NULL
 * stops that. in is borrowed and must outlive the waiter or be unset first. */
struct input;
void input_waiter_watch(struct input_waiter *w, struct input *in);

/* "UP", "DIGIT_7", ... Never NULL ("NONE" for INPUT_NONE or out of range). */
const char *input_action_name(enum input_action action);

/* Inverse of input_action_name (case-insensitive). Returns INPUT_NONE for unknown names. */
enum input_action input_action_from_name(const char *name);

#endif
