/* Keymaps -> actions, and action names as the automation protocol spells them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "binge/error.h"
#include "binge/input.h"
#include "binge/util.h"
#include "lirc.h"

#define INPUT_REPEAT_DELAY_MS_FOR_TEST 500 /* the default --repeat-delay */
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

/* ---- LIRC: lircd's lines, and a real Unix socket playing lircd ---- */

static void test_lirc_lines(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        int rc;
        const char *button;
        unsigned repeat;
    } rows[] = {
        {"0000000000f40bf0 00 KEY_UP devinput", 0, "KEY_UP", 0},
        {"1 1f KEY_OK my-remote", 0, "KEY_OK", 31},
        {"00ff\t0a  KEY_RED   r", 0, "KEY_RED", 10},
        /* rows that must fail */
        {"", BINGE_EPARSE, NULL, 0},
        {"garbage", BINGE_EPARSE, NULL, 0},
        {"zz 00 KEY_UP r", BINGE_EPARSE, NULL, 0},
        {"00 xx KEY_UP r", BINGE_EPARSE, NULL, 0},
        {"00 00 KEY_UP", BINGE_EPARSE, NULL, 0},
        {"00 00 KEY_UP r extra", BINGE_EPARSE, NULL, 0},
        {"00 00 KEY_\x01UP r", BINGE_EPARSE, NULL, 0},
        {"00 00 KEY_0123456789012345678901234567890123456789012345678901234567890123456789 r",
         BINGE_EPARSE, NULL, 0},
        {"000000000000000000000000000000000000000000000000 00 KEY_UP r", BINGE_EPARSE, NULL, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char button[LIRC_BUTTON_MAX + 1] = "";
        unsigned repeat = 99;
        int rc = lirc_parse_line(rows[i].line, button, sizeof(button), &repeat);
        if (rc != rows[i].rc)
            fail_msg("row %zu '%s': rc %d, expected %d", i, rows[i].line, rc, rows[i].rc);
        if (rows[i].button) {
            assert_string_equal(button, rows[i].button);
            assert_int_equal(repeat, rows[i].repeat);
        }
    }
}

/* The actions queued so far, "RIGHT RIGHT+ ..." ('+': a repeat). */
static const char *actions(struct input *in)
{
    static char got[512];
    size_t len = 0;
    got[0] = '\0';
    enum input_action a;
    bool r;
    while (input_next_action(in, &a, &r))
        len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s%s", len ? " " : "",
                                input_action_name(a), r ? "+" : "");
    return got;
}

static void say(int fd, const char *text)
{
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* binge's LIRC source against a listening AF_UNIX socket speaking lircd's protocol: it waits for
 * lircd to appear, wakes the UI thread's poll() when a line comes, takes repeat lines as the
 * held button and the silence after them as its release, survives garbage and a huge line, and
 * connects again when lircd restarts. Times are given to input_poll, so they are exact. */
static void test_lirc_socket(void **state)
{
    (void)state;
    char dir[64] = "/tmp/binge-lirc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[96];
    snprintf(path, sizeof(path), "%s/lircd", dir);
    assert_int_equal(setenv("SDL_VIDEODRIVER", "dummy", 1), 0);
    assert_int_equal(SDL_Init(SDL_INIT_VIDEO), 0);
    SDL_Window *win = SDL_CreateWindow("t", 0, 0, 64, 64, 0);
    struct input_waiter *w = input_waiter_new(win);
    assert_non_null(w);

    /* no lircd yet: the source opens and waits for it */
    struct input_config cfg = {.keymap_file = BINGE_SOURCE_DIR "/assets/keymaps/default.conf",
                               .sources = {.lirc_socket = path, .video_driver = "dummy"}};
    struct input *in = input_new(&cfg);
    assert_non_null(in);
    bool have_lirc = false;
    for (size_t i = 0; i < input_source_count(in); i++)
        have_lirc |= strcmp(input_source_name(in, i), "lirc") == 0;
    assert_true(have_lirc);
    input_waiter_watch(w, in);
    input_poll(in, 0);
    assert_true(input_next_deadline(in) > 0); /* it will try again */

    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 4), 0);
    input_poll(in, input_next_deadline(in)); /* the retry connects */
    int c = accept(lfd, NULL, NULL);
    assert_true(c >= 0);

    /* a press wakes the poll() the UI thread sleeps in */
    assert_int_equal(input_waiter_wait(w, 0), 0);
    say(c, "0000000000f40bf0 00 KEY_RIGHT devinput\n");
    assert_true(input_waiter_wait(w, 10000) > 0);
    input_poll(in, 1000);
    assert_string_equal(actions(in), "RIGHT");
    /* repeat lines: the same held button, no new press; silence: released, before our repeat */
    say(c, "0000000000f40bf0 01 KEY_RIGHT devinput\n");
    input_poll(in, 1110);
    assert_string_equal(actions(in), "");
    assert_int_equal(input_next_deadline(in), 1110 + LIRC_RELEASE_MS);
    input_poll(in, 1600);
    assert_string_equal(actions(in), "");
    assert_int_equal(input_next_deadline(in), -1);

    /* a hold: lines every 100 ms for 800 ms: the press, then our repeats due at 500, 625 and
     * 750 ms (looked at every 100 ms here) */
    char line[128];
    for (int t = 2000, r = 0; t <= 2800; t += 100, r++) {
        snprintf(line, sizeof(line), "0000000000f40bf0 %02x KEY_DOWN devinput\n", r);
        say(c, line);
        input_poll(in, t);
    }
    assert_string_equal(actions(in), "DOWN DOWN+ DOWN+ DOWN+");
    input_poll(in, 3100); /* released by silence: no more */
    input_poll(in, 4000);
    assert_string_equal(actions(in), "");

    /* two taps of one button 150 ms apart (lircd counts each from 00): two presses, though the
     * second comes before the silence that releases the first; a line 40 ms after the second
     * (a retransmission) is the same press */
    say(c, "0000000000f40bf0 00 KEY_UP devinput\n");
    input_poll(in, 4100);
    say(c, "0000000000f40bf0 00 KEY_UP devinput\n");
    input_poll(in, 4250);
    say(c, "0000000000f40bf0 00 KEY_UP devinput\n");
    input_poll(in, 4290);
    input_poll(in, 4600); /* released by silence (its last line at 4290) */
    assert_string_equal(actions(in), "UP UP");
    /* a third tap 360 ms after the last line, 50 ms after the silence's release: a press */
    say(c, "0000000000f40bf0 00 KEY_UP devinput\n");
    input_poll(in, 4650);
    input_poll(in, 4900);
    assert_string_equal(actions(in), "UP");

    /* garbage, a line of 300 bytes, a BEGIN..END block: logged or skipped; the next works */
    say(c, "this is not lircd\n");
    char huge[400];
    memset(huge, 'x', sizeof(huge));
    huge[300] = '\n';
    assert_int_equal(write(c, huge, 301), 301);
    say(c, "BEGIN\nSIGHUP\nEND\n0000000000f40bf0 00 KEY_RED devinput\n");
    input_poll(in, 5000);
    assert_string_equal(actions(in), "RED");

    /* lircd restarts: the source connects again after its back-off */
    close(c);
    input_poll(in, 6000);
    int64_t retry = input_next_deadline(in);
    assert_true(retry > 6000);
    input_poll(in, retry);
    c = accept(lfd, NULL, NULL);
    assert_true(c >= 0);
    say(c, "0000000000f40bf0 00 KEY_OK devinput\n");
    input_poll(in, retry + 10);
    assert_string_equal(actions(in), "OK");

    close(c);
    close(lfd);
    unlink(path);
    rmdir(dir);
    input_waiter_watch(w, NULL);
    input_free(in);
    input_waiter_free(w);
    SDL_DestroyWindow(win);
    SDL_Quit();
}

/* No socket directory: LIRC is not installed here, the source is not opened. */
static void test_lirc_absent(void **state)
{
    (void)state;
    struct input_config cfg = {
        .sources = {.lirc_socket = "/nonexistent-dir/lircd", .video_driver = "dummy"}};
    struct input *in = input_new(&cfg);
    for (size_t i = 0; i < input_source_count(in); i++)
        assert_string_not_equal(input_source_name(in, i), "lirc");
    input_free(in);
}

/* ---- SDL game controllers: the mapping, without a device (CI has none) ---- */

static void pad(struct input *in, Uint32 type, SDL_JoystickID which, int button)
{
    SDL_Event ev = {.type = type};
    if (type == SDL_CONTROLLERDEVICEREMOVED || type == SDL_CONTROLLERDEVICEADDED) {
        ev.cdevice.type = type;
        ev.cdevice.which = which;
    } else {
        ev.cbutton.type = type;
        ev.cbutton.which = which;
        ev.cbutton.button = (Uint8)button;
    }
    assert_true(input_handle_sdl_event(in, &ev));
}

static void test_gamecontroller(void **state)
{
    (void)state;
    assert_int_equal(setenv("SDL_VIDEODRIVER", "dummy", 1), 0);
    assert_int_equal(SDL_Init(SDL_INIT_VIDEO), 0);
    struct input_config cfg = {.keymap_file = BINGE_SOURCE_DIR "/assets/keymaps/default.conf",
                               .sources = {.lirc_socket = ""}};
    struct input *in = input_new(&cfg);
    bool have_pad = false;
    for (size_t i = 0; i < input_source_count(in); i++)
        have_pad |= strcmp(input_source_name(in, i), "gamecontroller") == 0;
    if (!have_pad)
        skip(); /* built without BINGE_INPUT_GAMECONTROLLER */
    static const struct {
        int button;
        const char *expect;
    } rows[] = {
        {SDL_CONTROLLER_BUTTON_A, "OK"},
        {SDL_CONTROLLER_BUTTON_B, "BACK"},
        {SDL_CONTROLLER_BUTTON_BACK, "BACK"},
        {SDL_CONTROLLER_BUTTON_START, "PLAY_PAUSE"},
        {SDL_CONTROLLER_BUTTON_DPAD_UP, "UP"},
        {SDL_CONTROLLER_BUTTON_DPAD_DOWN, "DOWN"},
        {SDL_CONTROLLER_BUTTON_DPAD_LEFT, "LEFT"},
        {SDL_CONTROLLER_BUTTON_DPAD_RIGHT, "RIGHT"},
        {SDL_CONTROLLER_BUTTON_GUIDE, "HOME"},
        {SDL_CONTROLLER_BUTTON_RIGHTSHOULDER, "CHANNEL_UP"},
        {SDL_CONTROLLER_BUTTON_LEFTSTICK, ""}, /* unmapped: nothing */
        {SDL_CONTROLLER_BUTTON_MISC1, ""},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        pad(in, SDL_CONTROLLERBUTTONDOWN, 7, rows[i].button);
        pad(in, SDL_CONTROLLERBUTTONUP, 7, rows[i].button);
        const char *got = actions(in);
        if (strcmp(got, rows[i].expect) != 0)
            fail_msg("button %s: '%s', expected '%s'",
                     SDL_GameControllerGetStringForButton(rows[i].button), got, rows[i].expect);
    }
    /* a held D-pad repeats (ours: pads send none) until released... */
    int64_t t0 = util_now_ms();
    pad(in, SDL_CONTROLLERBUTTONDOWN, 7, SDL_CONTROLLER_BUTTON_DPAD_RIGHT);
    int64_t t1 = util_now_ms();
    input_poll(in, t1 + INPUT_REPEAT_DELAY_MS_FOR_TEST);
    assert_string_equal(actions(in), "RIGHT RIGHT+");
    (void)t0;
    /* ... or the pad is unplugged: no repeat goes on for ever */
    pad(in, SDL_CONTROLLERDEVICEREMOVED, 7, 0);
    input_poll(in, t1 + 5000);
    input_poll(in, t1 + 9000);
    assert_string_equal(actions(in), "");
    input_free(in);
    SDL_Quit();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keymap),      cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_repeat_flag), cmocka_unit_test(test_waiter),
        cmocka_unit_test(test_lirc_lines),  cmocka_unit_test(test_lirc_socket),
        cmocka_unit_test(test_lirc_absent), cmocka_unit_test(test_gamecontroller),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
