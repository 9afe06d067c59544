/* Keymaps -> actions, and action names as the automation protocol spells them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>

#include "binge/input.h"

static enum input_action key(SDL_Keycode sym)
{
    SDL_KeyboardEvent ev = {.type = SDL_KEYDOWN};
    ev.keysym.sym = sym;
    return input_from_sdl_key(&ev);
}

static void test_keymap(void **state)
{
    static const struct {
        SDL_Keycode sym;
        enum input_action action;
    } rows[] = {
        {SDLK_UP, INPUT_UP},
        {SDLK_DOWN, INPUT_DOWN},
        {SDLK_LEFT, INPUT_LEFT},
        {SDLK_RIGHT, INPUT_RIGHT},
        {SDLK_RETURN, INPUT_OK},
        {SDLK_KP_ENTER, INPUT_OK},
        {SDLK_ESCAPE, INPUT_BACK},
        {SDLK_BACKSPACE, INPUT_BACK},
        {SDLK_AC_BACK, INPUT_BACK},
        {SDLK_SPACE, INPUT_PLAY_PAUSE},
        {SDLK_0, INPUT_DIGIT_0},
        {SDLK_9, INPUT_DIGIT_9},
        {SDLK_KP_0, INPUT_DIGIT_0},
        {SDLK_KP_5, INPUT_DIGIT_5},
        {SDLK_i, INPUT_INFO},
        {SDLK_HOME, INPUT_HOME},
        {SDLK_MENU, INPUT_MENU},
        {SDLK_F12, INPUT_NONE}, /* unknown keys do nothing */
        {SDLK_VOLUMEUP, INPUT_VOLUME_UP},
        {SDLK_MINUS, INPUT_VOLUME_DOWN},
        {SDLK_MUTE, INPUT_MUTE},
        {SDLK_a, INPUT_AUDIO},
        {SDLK_s, INPUT_SUBTITLES},
        {SDLK_SLASH, INPUT_SEARCH},
        {SDLK_AC_SEARCH, INPUT_SEARCH},
        {SDLK_q, INPUT_NONE},
        {0x7fffffff, INPUT_NONE},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(key(rows[i].sym), rows[i].action);
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
    assert_int_equal(input_from_sdl_key(&held), INPUT_RIGHT);
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
