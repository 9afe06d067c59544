/* The kernel-facing input sources without a kernel device (src/input/evdev.c, cec.c): the
 * names they give keys are the names the default keymap maps, the evdev source's hotplug of
 * its directory (a real inotify watch on a temporary directory), and when the sources stay
 * closed. Their keys from real devices are tested in a kernel guest (tests/kernel/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binge/error.h"
#include "binge/util.h"
#include "binge/input_source.h"
#include "input_internal.h"

#if BINGE_HAVE_INPUT_EVDEV
#include <libevdev/libevdev.h>

#include "evdev.h"
#endif
#if BINGE_HAVE_INPUT_CEC
#include "cec.h"
#endif

/* Calls fn(name) for each KEY of the default keymap's "source:KEY = ACTION" lines. */
static void each_keymap_key(const char *source, void (*fn)(const char *key))
{
    const char *p = keymap_default_text, *end = keymap_default_text + keymap_default_len;
    size_t slen = strlen(source);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if ((size_t)(eol - p) > slen && strncmp(p, source, slen) == 0 && p[slen] == ':') {
            const char *k = p + slen + 1, *eq = memchr(k, '=', (size_t)(eol - k));
            assert_non_null(eq);
            while (eq > k && eq[-1] == ' ')
                eq--;
            char key[64];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - k), k);
            fn(key);
        }
        p = eol + 1;
    }
}

#if BINGE_HAVE_INPUT_CEC
static void cec_name_exists(const char *key)
{
    for (int c = 0; c < 256; c++) {
        const char *name = input_cec_ui_command_name((uint8_t)c);
        if (name && strcmp(name, key) == 0)
            return;
    }
    fail_msg("the keymap maps cec:%s, a UI command name the CEC source never gives", key);
}

/* Every cec: key of the default keymap is a name the source gives (linux/cec.h's names). */
static void test_cec_names_match_the_keymap(void **state)
{
    (void)state;
    each_keymap_key("cec", cec_name_exists);
    assert_string_equal(input_cec_ui_command_name(0x00), "SELECT");
    assert_string_equal(input_cec_ui_command_name(0x0d), "BACK");
    assert_string_equal(input_cec_ui_command_name(0x20), "NUMBER_0_OR_NUMBER_10");
    assert_string_equal(input_cec_ui_command_name(0x71), "F1_BLUE");
    assert_string_equal(input_cec_ui_command_name(0x72), "F2_RED");
    assert_string_equal(input_cec_ui_command_name(0x30), "CHANNEL_UP");
    assert_null(input_cec_ui_command_name(0x0e)); /* reserved */
    assert_null(input_cec_ui_command_name(0xff));
}

static void no_key(void *hub, const struct input_key_event *ev)
{
    (void)hub;
    (void)ev;
    fail_msg("no key expected");
}

/* No adapter there: ENOTFOUND (the hub skips the source quietly); a file that is not an
 * adapter: EIO; "" turns the source off. */
static void test_cec_without_an_adapter(void **state)
{
    (void)state;
    struct input_cec *cec = NULL;
    struct input_cec_config none = {.device = "/nonexistent/cec0"};
    assert_int_equal(input_cec_new(&none, no_key, NULL, &cec), BINGE_ENOTFOUND);
    struct input_cec_config file = {.device = "/proc/self/status"};
    assert_int_equal(input_cec_new(&file, no_key, NULL, &cec), BINGE_EIO);
    assert_null(cec);
    extern const struct input_source_ops input_source_cec;
    struct input_source_config off = {.cec_device = ""};
    void *src = NULL;
    assert_int_equal(input_source_cec.open(&off, no_key, NULL, &src), BINGE_ENOTFOUND);
}
#endif

#if BINGE_HAVE_INPUT_EVDEV
static void evdev_name_exists(const char *key)
{
    if (libevdev_event_code_from_name(EV_KEY, key) < 0)
        fail_msg("the keymap maps evdev:%s, which is no kernel key name", key);
}

/* Every evdev: key of the default keymap is a kernel key name, as libevdev gives them. */
static void test_evdev_names_match_the_keymap(void **state)
{
    (void)state;
    each_keymap_key("evdev", evdev_name_exists);
}

static void no_evdev_key(void *hub, const struct input_key_event *ev)
{
    (void)hub;
    (void)ev;
    fail_msg("no key expected");
}

/* The directory does not exist yet: the source waits for it (its parent watched), takes it
 * when it comes, skips what is no input device in it, and lives through its removal. */
static void test_evdev_directory_comes_later(void **state)
{
    (void)state;
    char parent[] = "/tmp/binge-kinput-XXXXXX";
    assert_non_null(mkdtemp(parent));
    char dir[64], node[80];
    snprintf(dir, sizeof(dir), "%s/input", parent);
    snprintf(node, sizeof(node), "%s/event0", dir);
    struct input_evdev *ev = NULL;
    struct input_evdev_config config = {.dir = dir};
    assert_int_equal(input_evdev_new(&config, no_evdev_key, NULL, &ev), 0);
    struct pollfd fds[4];
    assert_int_equal(input_evdev_pollfds(ev, fds, 4), 1); /* the inotify watch only */
    assert_false(input_evdev_watching(ev));
    assert_int_equal(mkdir(dir, 0755), 0);
    input_evdev_dispatch(ev);
    assert_true(input_evdev_watching(ev));
    FILE *f = fopen(node, "w"); /* an "event0" that is no device */
    assert_non_null(f);
    fputs("not a device\n", f);
    fclose(f);
    input_evdev_dispatch(ev);
    assert_int_equal(input_evdev_count(ev), 0);
    assert_int_equal(unlink(node), 0);
    assert_int_equal(rmdir(dir), 0);
    input_evdev_dispatch(ev); /* the directory went: back to watching the parent */
    assert_false(input_evdev_watching(ev));
    assert_int_equal(input_evdev_count(ev), 0);
    assert_int_equal(mkdir(dir, 0755), 0); /* and it comes again */
    input_evdev_dispatch(ev);
    assert_true(input_evdev_watching(ev));
    assert_int_equal(rmdir(dir), 0);
    input_evdev_dispatch(ev);
    input_evdev_free(ev);
    assert_int_equal(rmdir(parent), 0);
}

/* Under a display server SDL has the keys: the source stays closed unless it grabs; "" is
 * off. */
static void test_evdev_stays_off_under_a_display_server(void **state)
{
    (void)state;
    extern const struct input_source_ops input_source_evdev;
    void *src = NULL;
    struct input_source_config x11 = {.video_driver = "x11", .evdev_dir = "/tmp"};
    assert_int_equal(input_source_evdev.open(&x11, no_evdev_key, NULL, &src), BINGE_ENOTFOUND);
    struct input_source_config wl = {.video_driver = "wayland", .evdev_dir = "/tmp"};
    assert_int_equal(input_source_evdev.open(&wl, no_evdev_key, NULL, &src), BINGE_ENOTFOUND);
    struct input_source_config off = {.video_driver = "KMSDRM", .evdev_dir = ""};
    assert_int_equal(input_source_evdev.open(&off, no_evdev_key, NULL, &src), BINGE_ENOTFOUND);
    struct input_source_config kms = {.video_driver = "KMSDRM", .evdev_dir = "/tmp"};
    assert_int_equal(input_source_evdev.open(&kms, no_evdev_key, NULL, &src), 0);
    input_source_evdev.close(src);
}

static SDL_Event key_event(SDL_Keycode sym, bool down)
{
    SDL_Event e = {.type = down ? SDL_KEYDOWN : SDL_KEYUP};
    e.key.state = down ? SDL_PRESSED : SDL_RELEASED;
    e.key.keysym.sym = sym;
    return e;
}

/* How many actions a press and release of Up on the SDL keyboard queue in a hub opened for
 * driver, with the evdev source on an empty directory. */
static int sdl_up_actions(const char *driver)
{
    char dir[] = "/tmp/binge-kinput-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct input_config cfg = {
        .sources = {.video_driver = driver, .evdev_dir = dir, .lirc_socket = "", .cec_device = ""},
    };
    struct input *in = input_new(&cfg);
    assert_non_null(in);
    SDL_Event down = key_event(SDLK_UP, true), up = key_event(SDLK_UP, false);
    input_handle_sdl_event(in, &down);
    input_handle_sdl_event(in, &up);
    input_poll(in, util_now_ms());
    int n = 0;
    enum input_action a;
    bool repeat;
    while (input_next_action(in, &a, &repeat)) {
        assert_int_equal(a, INPUT_UP);
        n++;
    }
    input_free(in);
    assert_int_equal(rmdir(dir), 0);
    return n;
}

/* Under KMSDRM SDL reads the evdev devices the evdev source reads: its keyboard events are
 * ignored while the evdev source is open, or each key would act twice. Headless (offscreen)
 * SDL reads no device: its keyboard events (automation's, tests') still count. */
static void test_kmsdrm_keys_come_once(void **state)
{
    (void)state;
    assert_int_equal(SDL_Init(0), 0);
    assert_int_equal(sdl_up_actions("KMSDRM"), 0);
    assert_int_equal(sdl_up_actions("offscreen"), 1);
    SDL_Quit();
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
#if BINGE_HAVE_INPUT_CEC
        cmocka_unit_test(test_cec_names_match_the_keymap),
        cmocka_unit_test(test_cec_without_an_adapter),
#endif
#if BINGE_HAVE_INPUT_EVDEV
        cmocka_unit_test(test_evdev_names_match_the_keymap),
        cmocka_unit_test(test_evdev_directory_comes_later),
        cmocka_unit_test(test_evdev_stays_off_under_a_display_server),
        cmocka_unit_test(test_kmsdrm_keys_come_once),
#endif
    };
    if (sizeof(tests) == 0)
        return 77;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
