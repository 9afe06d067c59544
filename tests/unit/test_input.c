/* Keymaps -> actions, and action names as the automation protocol spells them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>

#include "binge/input.h"
#include "binge/input_source.h"

/* The SDL keyboard through the real path: the sdl-keyboard source, the keymap (the default
 * file, then the built-in copy of it) and the hub. */
static struct input *hub(const char *keymap_file)
{
    struct input_config cfg = {.keymap_file = keymap_file, .sources = {.lirc_socket = ""}};
    struct input *in = input_new(&cfg);
    assert_non_null(in);
    return in;
}

static enum input_action press(struct input *in, SDL_Keycode sym, bool repeat)
{
    SDL_Event ev = {.type = SDL_KEYDOWN};
    ev.key.type = SDL_KEYDOWN;
    ev.key.repeat = repeat;
    ev.key.keysym.sym = sym;
    assert_true(input_handle_sdl_event(in, &ev));
    enum input_action a = INPUT_NONE;
    bool r = false;
    if (!input_next_action(in, &a, &r))
        return INPUT_NONE;
    assert_int_equal(r, repeat);
    assert_false(input_next_action(in, &a, &r)); /* one key, one action */
    return a;
}

/* Before keymaps were files, src/input/input.c had this table (and the digit ranges): the
 * default keymap keeps every one of its keys. */
static const struct {
    SDL_Keycode key;
    enum input_action action;
} old_table[] = {
    {SDLK_UP, INPUT_UP},
    {SDLK_DOWN, INPUT_DOWN},
    {SDLK_LEFT, INPUT_LEFT},
    {SDLK_RIGHT, INPUT_RIGHT},
    {SDLK_RETURN, INPUT_OK},
    {SDLK_KP_ENTER, INPUT_OK},
    {SDLK_SELECT, INPUT_OK},
    {SDLK_ESCAPE, INPUT_BACK},
    {SDLK_BACKSPACE, INPUT_BACK},
    {SDLK_AC_BACK, INPUT_BACK},
    {SDLK_SPACE, INPUT_PLAY_PAUSE},
    {SDLK_AUDIOPLAY, INPUT_PLAY_PAUSE},
    {SDLK_p, INPUT_PLAY_PAUSE},
    {SDLK_i, INPUT_INFO},
    {SDLK_F1, INPUT_INFO},
    {SDLK_HOME, INPUT_HOME},
    {SDLK_AC_HOME, INPUT_HOME},
    {SDLK_h, INPUT_HOME},
    {SDLK_MENU, INPUT_MENU},
    {SDLK_m, INPUT_MENU},
    {SDLK_F2, INPUT_MENU},
    {SDLK_VOLUMEUP, INPUT_VOLUME_UP},
    {SDLK_EQUALS, INPUT_VOLUME_UP},
    {SDLK_PLUS, INPUT_VOLUME_UP},
    {SDLK_KP_PLUS, INPUT_VOLUME_UP},
    {SDLK_VOLUMEDOWN, INPUT_VOLUME_DOWN},
    {SDLK_MINUS, INPUT_VOLUME_DOWN},
    {SDLK_KP_MINUS, INPUT_VOLUME_DOWN},
    {SDLK_MUTE, INPUT_MUTE},
    {SDLK_AUDIOMUTE, INPUT_MUTE},
    {SDLK_x, INPUT_MUTE},
    {SDLK_a, INPUT_AUDIO},
    {SDLK_F3, INPUT_AUDIO},
    {SDLK_s, INPUT_SUBTITLES},
    {SDLK_c, INPUT_SUBTITLES},
    {SDLK_F4, INPUT_SUBTITLES},
    {SDLK_AC_SEARCH, INPUT_SEARCH},
    {SDLK_FIND, INPUT_SEARCH},
    {SDLK_SLASH, INPUT_SEARCH},
    {SDLK_F5, INPUT_SEARCH},
    /* new with the keymap files */
    {SDLK_F6, INPUT_RED},
    {SDLK_F7, INPUT_GREEN},
    {SDLK_F8, INPUT_YELLOW},
    {SDLK_F9, INPUT_BLUE},
    {SDLK_PAGEUP, INPUT_CHANNEL_UP},
    {SDLK_PAGEDOWN, INPUT_CHANNEL_DOWN},
    /* rows that must map to nothing */
    {SDLK_F12, INPUT_NONE},
    {SDLK_q, INPUT_NONE},
    {0x7fffffff, INPUT_NONE},
};

static void check_default_keymap(struct input *in)
{
    for (size_t i = 0; i < sizeof(old_table) / sizeof(old_table[0]); i++) {
        enum input_action a = press(in, old_table[i].key, false);
        if (a != old_table[i].action)
            fail_msg("key %s: %s, expected %s", SDL_GetKeyName(old_table[i].key),
                     input_action_name(a), input_action_name(old_table[i].action));
    }
    for (int d = 0; d <= 9; d++) {
        assert_int_equal(press(in, SDLK_0 + d, false), INPUT_DIGIT_0 + d);
        SDL_Keycode kp = d == 0 ? SDLK_KP_0 : SDLK_KP_1 + (d - 1);
        assert_int_equal(press(in, kp, false), INPUT_DIGIT_0 + d);
    }
    /* SDL's repeat flag is kept: a held key's repeats say so (and only they may accelerate). */
    assert_int_equal(press(in, SDLK_RIGHT, true), INPUT_RIGHT);
    /* a key release is no action */
    SDL_Event up = {.type = SDL_KEYUP};
    up.key.keysym.sym = SDLK_RIGHT;
    assert_true(input_handle_sdl_event(in, &up));
    enum input_action a;
    bool r;
    assert_false(input_next_action(in, &a, &r));
    /* other SDL events are not the keyboard's */
    SDL_Event win = {.type = SDL_WINDOWEVENT};
    assert_false(input_handle_sdl_event(in, &win));
}

static void test_keymap(void **state)
{
    (void)state;
    struct input *in = hub(BINGE_SOURCE_DIR "/assets/keymaps/default.conf");
    check_default_keymap(in);
    input_free(in);
    /* A missing keymap file is not fatal: the built-in copy of the default. */
    in = hub(BINGE_BUILD_DIR "/no-such-keymap.conf");
    check_default_keymap(in);
    input_free(in);
}

static void test_names_round_trip(void **state)
{
    for (int a = 1; a < INPUT_ACTION_COUNT; a++)
        assert_int_equal(input_action_from_name(input_action_name(a)), a);
    assert_int_equal(input_action_from_name("play_pause"), INPUT_PLAY_PAUSE);
    assert_int_equal(input_action_from_name("DIGIT_10"), INPUT_NONE);
    assert_int_equal(input_action_from_name(""), INPUT_NONE);
    assert_int_equal(input_action_from_name(NULL), INPUT_NONE);
    assert_int_equal(input_action_from_name("NONE"), INPUT_NONE);
    assert_string_equal(input_action_name(INPUT_ACTION_COUNT), "NONE");
    assert_string_equal(input_action_name((enum input_action) - 3), "NONE");
}

/* The repeat flag of a key event is what makes a held key (and only a held key) speed up. */
static void test_repeat_flag(void **state)
{
    (void)state;
    SDL_KeyboardEvent press = {.type = SDL_KEYDOWN, .repeat = 0, .keysym = {.sym = SDLK_RIGHT}};
    SDL_KeyboardEvent held = press;
    held.repeat = 1;
    assert_false(input_key_is_repeat(&press));
    assert_true(input_key_is_repeat(&held));
}

static void *wake_later(void *arg)
{
    SDL_Delay(50);
    input_waiter_wake(arg);
    return NULL;
}

/* The UI thread's sleep: a wake from another thread ends it; many wakes before it looks count
 * once (coalesced) and none is lost; without one it sleeps to its timeout. Under the dummy
 * video driver the wake fd is all there is to wait on. */
static void test_waiter(void **state)
{
    (void)state;
    assert_int_equal(setenv("SDL_VIDEODRIVER", "dummy", 1), 0);
    assert_int_equal(SDL_Init(SDL_INIT_VIDEO), 0);
    SDL_Window *win = SDL_CreateWindow("t", 0, 0, 64, 64, 0);
    assert_non_null(win);
    struct input_waiter *w = input_waiter_new(win);
    assert_non_null(w);
    assert_int_equal(input_waiter_wait(w, 0), 0); /* nothing yet */
    for (int i = 0; i < 100; i++)
        input_waiter_wake(w);
    assert_true(input_waiter_wait(w, 5000) > 0);
    assert_int_equal(input_waiter_wait(w, 0), 0); /* the hundred wakes were one */
    input_waiter_wake(w);                         /* a wake after the look is not lost */
    assert_true(input_waiter_wait(w, 5000) > 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wake_later, w), 0);
    assert_true(input_waiter_wait(w, 10000) > 0); /* woken from another thread */
    pthread_join(t, NULL);
    assert_int_equal(input_waiter_wait(w, 20), 0); /* then a timeout */
    input_waiter_free(w);
    SDL_DestroyWindow(win);
    SDL_Quit();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keymap),
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_repeat_flag),
        cmocka_unit_test(test_waiter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
