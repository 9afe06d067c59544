/* The pure logic under the input hub (src/input/input_internal.h): the keymap parser and
 * loader, the repeat generator and the IR double-press filter, with the time as a parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binge/error.h"
#include "binge/input_source.h"
#include "input_internal.h"

/* ---- the parser ---- */

static int parse(const char *text, char *err, size_t errlen, struct keymap **out)
{
    struct keymap *km = keymap_new();
    assert_non_null(km);
    err[0] = '\0';
    int rc = keymap_parse(km, text, strlen(text), "t.conf", NULL, NULL, err, errlen);
    *out = km;
    return rc;
}

static void test_parse_rows(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        const char *err; /* a part of the message, or NULL */
        const char *source, *key;
        enum input_action action;
    } rows[] = {
        {"sdl:Up = UP\n", 0, NULL, "sdl", "Up", INPUT_UP},
        {"  evdev:KEY_OK=OK  \r\n", 0, NULL, "evdev", "KEY_OK", INPUT_OK},
        {"# c\n\n\t\ncec:SELECT = ok", 0, NULL, "cec", "SELECT", INPUT_OK},
        {"sdl:Keypad Enter = OK\n", 0, NULL, "sdl", "keypad enter", INPUT_OK},
        {"sdl:= = VOLUME_UP\n", 0, NULL, "sdl", "=", INPUT_VOLUME_UP},
        {"sdl:: = UP\n", 0, NULL, "sdl", ":", INPUT_UP},
        {"sdl:# = BLUE\n", 0, NULL, "sdl", "#", INPUT_BLUE},
        {"lirc:KEY_RED = RED\nlirc:KEY_RED = GREEN\n", 0, NULL, "lirc", "KEY_RED", INPUT_GREEN},
        {"pad:a = OK\npad:a = NONE\n", 0, NULL, "pad", "a", INPUT_NONE},
        {"LIRC:key_exit = exit\n", 0, NULL, "lirc", "KEY_EXIT", INPUT_EXIT},
        /* rows that must fail, naming the file and the line */
        {"sdl:Up = UP\nsdl:Down DOWN\n", BINGE_EINVAL, "t.conf:2: expected SOURCE:KEY = ACTION",
         NULL, NULL, INPUT_NONE},
        {"Up = UP\n", BINGE_EINVAL, "t.conf:1: expected SOURCE:KEY", NULL, NULL, INPUT_NONE},
        {"x11:Up = UP\n", BINGE_EINVAL, "t.conf:1: unknown source 'x11'", NULL, NULL, INPUT_NONE},
        {"sdl:Up = JUMP\n", BINGE_EINVAL, "t.conf:1: unknown action 'JUMP'", NULL, NULL,
         INPUT_NONE},
        {"sdl:Up =\n", BINGE_EINVAL, "t.conf:1: expected an action", NULL, NULL, INPUT_NONE},
        {"sdl: = UP\n", BINGE_EINVAL, "t.conf:1: expected a key name", NULL, NULL, INPUT_NONE},
        {"\n\ninclude default\n", BINGE_EINVAL, "t.conf:3: include default: includes are not", NULL,
         NULL, INPUT_NONE},
        {"include ../etc/passwd\n", BINGE_EINVAL, "t.conf:1: include: expected a keymap name", NULL,
         NULL, INPUT_NONE},
        {"sdl:Up = UP\nsdl:Up\n", BINGE_EINVAL, "t.conf:2:", NULL, NULL, INPUT_NONE},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char err[512];
        struct keymap *km = NULL;
        int rc = parse(rows[i].text, err, sizeof(err), &km);
        if (rc != rows[i].rc)
            fail_msg("row %zu: rc %d, expected %d (%s)", i, rc, rows[i].rc, err);
        if (rows[i].err && !strstr(err, rows[i].err))
            fail_msg("row %zu: message '%s', expected '%s'", i, err, rows[i].err);
        if (rows[i].source)
            assert_int_equal(keymap_lookup(km, rows[i].source, rows[i].key), rows[i].action);
        keymap_free(km);
    }
}

/* Bounds: a line, the file and the number of mappings are capped; a NUL is an error. */
static void test_parse_bounds(void **state)
{
    (void)state;
    char err[512];
    struct keymap *km = keymap_new();
    char line[400];
    memset(line, ' ', sizeof(line));
    memcpy(line, "sdl:Up = UP", 11);
    assert_int_equal(keymap_parse(km, line, KEYMAP_MAX_LINE, "t.conf", NULL, NULL, err, 512), 0);
    assert_int_equal(keymap_parse(km, line, KEYMAP_MAX_LINE + 1, "t.conf", NULL, NULL, err, 512),
                     BINGE_EINVAL);
    assert_non_null(strstr(err, "t.conf:1: longer than 255"));
    assert_int_equal(keymap_parse(km, "sdl:A = UP\0x", 12, "t.conf", NULL, NULL, err, 512),
                     BINGE_EINVAL);
    assert_non_null(strstr(err, "t.conf:1: a NUL byte"));
    /* 512 different keys fit, the 513th does not */
    size_t cap = (KEYMAP_MAX_ENTRIES + 1) * 24;
    char *big = malloc(cap);
    size_t n = 0;
    for (int i = 0; i < KEYMAP_MAX_ENTRIES + 1; i++)
        n += (size_t)snprintf(big + n, cap - n, "lirc:K%d = OK\n", i);
    keymap_free(km);
    km = keymap_new();
    assert_int_equal(keymap_parse(km, big, n, "t.conf", NULL, NULL, err, 512), BINGE_EINVAL);
    assert_non_null(strstr(err, "t.conf:513: more than 512 mappings"));
    /* the same key again replaces, so re-mapping never runs out */
    keymap_free(km);
    km = keymap_new();
    n = 0;
    for (int i = 0; i < KEYMAP_MAX_ENTRIES + 50; i++)
        n += (size_t)snprintf(big + n, cap - n, "lirc:K%d = OK\n", i % 10);
    assert_int_equal(keymap_parse(km, big, n, "t.conf", NULL, NULL, err, 512), 0);
    assert_int_equal(keymap_size(km), 10);
    keymap_free(km);
    /* larger than 64 KiB */
    char *huge = calloc(1, KEYMAP_MAX_BYTES + 1);
    memset(huge, '\n', KEYMAP_MAX_BYTES + 1);
    km = keymap_new();
    assert_int_equal(keymap_parse(km, huge, KEYMAP_MAX_BYTES + 1, "t.conf", NULL, NULL, err, 512),
                     BINGE_EINVAL);
    assert_int_equal(keymap_parse(km, huge, KEYMAP_MAX_BYTES, "t.conf", NULL, NULL, err, 512), 0);
    keymap_free(km);
    free(huge);
    free(big);
}

/* The shipped files parse, and the built-in copy is the default file byte for byte. */
static void test_shipped_keymaps(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(BINGE_SOURCE_DIR "/assets/keymaps/default.conf", "rb");
    assert_non_null(f);
    text = malloc(KEYMAP_MAX_BYTES);
    len = fread(text, 1, KEYMAP_MAX_BYTES, f);
    fclose(f);
    assert_int_equal(len, keymap_default_len);
    assert_memory_equal(text, keymap_default_text, len);
    free(text);
    static const char *const profiles[] = {"default", "rpi", "kms", "desktop", "headless"};
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
        const char *from = NULL;
        struct keymap *km =
            keymap_load(NULL, NULL, BINGE_SOURCE_DIR "/assets/keymaps", profiles[i], &from);
        assert_non_null(km);
        if (strcmp(from, "built-in") == 0)
            fail_msg("profile %s: fell back to the built-in keymap", profiles[i]);
        assert_int_equal(keymap_lookup(km, "cec", "SELECT"), INPUT_OK);
        assert_int_equal(keymap_lookup(km, "lirc", "KEY_RED"), INPUT_RED);
        assert_int_equal(keymap_lookup(km, "evdev", "KEY_CHANNELUP"), INPUT_CHANNEL_UP);
        assert_int_equal(keymap_lookup(km, "pad", "a"), INPUT_OK);
        keymap_free(km);
    }
}

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Which file wins, includes, and the fallbacks to the built-in default. */
static void test_load(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/binge-keymap-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    write_file("box.conf", "include default\nlirc:KEY_OK = RED\n");
    write_file("bad.conf", "include default\nlirc:KEY_OK RED\n");
    write_file("nested.conf", "include bad\n");
    write_file("default.conf", "lirc:KEY_OK = OK\nlirc:KEY_UP = UP\n");
    write_file("etc.conf", "lirc:KEY_UP = DOWN\n");
    write_file("loop.conf", "include loop\n");
    char dir[128], path[256];
    snprintf(dir, sizeof(dir), "%s", tmpdir);
    const char *from;
    struct keymap *km;

    /* the profile's file, with its include from the same directory */
    km = keymap_load(NULL, NULL, dir, "box", &from);
    assert_non_null(strstr(from, "box.conf"));
    assert_int_equal(keymap_lookup(km, "lirc", "KEY_OK"), INPUT_RED);
    assert_int_equal(keymap_lookup(km, "lirc", "KEY_UP"), INPUT_UP);
    keymap_free(km);
    /* /etc/binge/keymap.conf over the profile's */
    snprintf(path, sizeof(path), "%s/etc.conf", tmpdir);
    km = keymap_load(NULL, path, dir, "box", &from);
    assert_string_equal(from, path);
    assert_int_equal(keymap_lookup(km, "lirc", "KEY_UP"), INPUT_DOWN);
    assert_int_equal(keymap_lookup(km, "lirc", "KEY_OK"), INPUT_NONE);
    keymap_free(km);
    /* --keymap over both */
    snprintf(path, sizeof(path), "%s/box.conf", tmpdir);
    char etc[256];
    snprintf(etc, sizeof(etc), "%s/etc.conf", tmpdir);
    km = keymap_load(path, etc, dir, "default", &from);
    assert_int_equal(keymap_lookup(km, "lirc", "KEY_OK"), INPUT_RED);
    keymap_free(km);
    /* errors, in the file or in what it includes, and a loop: the built-in default */
    static const char *const bad[] = {"bad.conf", "nested.conf", "loop.conf", "missing.conf"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, bad[i]);
        km = keymap_load(path, NULL, dir, "box", &from);
        assert_non_null(km);
        assert_string_equal(from, "built-in");
        assert_int_equal(keymap_lookup(km, "lirc", "KEY_OK"), INPUT_OK); /* the real default */
        assert_int_equal(keymap_lookup(km, "sdl", "Up"), INPUT_UP);
        keymap_free(km);
    }
    /* no profile file: the built-in default; "include default" without a default.conf beside
     * it takes the built-in one */
    km = keymap_load(NULL, NULL, "/nonexistent", "rpi", &from);
    assert_string_equal(from, "built-in");
    assert_int_equal(keymap_lookup(km, "cec", "F2_RED"), INPUT_RED);
    keymap_free(km);
    snprintf(path, sizeof(path), "%s/default.conf", tmpdir);
    unlink(path);
    km = keymap_load(NULL, NULL, dir, "box", &from);
    assert_non_null(strstr(from, "box.conf"));
    assert_int_equal(keymap_lookup(km, "lirc", "KEY_OK"), INPUT_RED);
    assert_int_equal(keymap_lookup(km, "sdl", "Escape"), INPUT_BACK);
    keymap_free(km);
    static const char *const files[] = {"box.conf", "bad.conf", "nested.conf", "etc.conf",
                                        "loop.conf"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
        unlink(path);
    }
    rmdir(tmpdir);
}

/* ---- the repeat generator and the double-press filter ---- */

/* A script of events at given times: 'P' press, 'R' release, 'S' the source's own repeat,
 * 'T' a tick (input_poll) only. expect: the actions queued, in order, "UP" for a press and
 * "UP+" for a repeat, space-separated. */
struct step {
    int64_t t;
    char what;
    const char *key; /* lirc key name */
};

static void run_script(const struct step *steps, size_t n, int delay, int rate, bool ir,
                       const char *expect, const char *what)
{
    struct input_config cfg = {.no_sources = true,
                               .keymap_file = BINGE_SOURCE_DIR "/assets/keymaps/default.conf",
                               .repeat_delay_ms = delay,
                               .repeat_rate_hz = rate};
    struct input *in = input_new(&cfg);
    assert_non_null(in);
    char got[1024] = "";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (steps[i].what != 'T') {
            struct input_key_event ev = {.source = "lirc",
                                         .key = steps[i].key,
                                         .pressed = steps[i].what != 'R',
                                         .repeat = steps[i].what == 'S',
                                         .ir_like = ir};
            input_feed(in, &ev, steps[i].t);
        }
        input_poll(in, steps[i].t);
        enum input_action a;
        bool r;
        while (input_next_action(in, &a, &r))
            len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s%s", len ? " " : "",
                                    input_action_name(a), r ? "+" : "");
    }
    if (strcmp(got, expect) != 0)
        fail_msg("%s: got '%s', expected '%s'", what, got, expect);
    input_free(in);
}

#define RUN(steps, delay, rate, ir, expect)                                                        \
    run_script(steps, sizeof(steps) / sizeof(steps[0]), delay, rate, ir, expect, #steps)

static void test_repeat_rows(void **state)
{
    (void)state;
    /* a tap: one press, no repeat however long the wait after */
    static const struct step tap[] = {
        {0, 'P', "KEY_UP"}, {80, 'R', "KEY_UP"}, {600, 'T', NULL}, {2000, 'T', NULL}};
    RUN(tap, 500, 8, true, "UP");
    /* a hold: the press, then repeats at 500 ms and every 125 ms, until the release */
    static const struct step hold[] = {
        {0, 'P', "KEY_RIGHT"},   {499, 'T', NULL}, {500, 'T', NULL},
        {624, 'T', NULL},        {625, 'T', NULL}, {750, 'T', NULL},
        {800, 'R', "KEY_RIGHT"}, {875, 'T', NULL}, {1500, 'T', NULL}};
    RUN(hold, 500, 8, true, "RIGHT RIGHT+ RIGHT+ RIGHT+");
    /* the delay and the rate are the options' */
    static const struct step fast[] = {{0, 'P', "KEY_DOWN"},
                                       {200, 'T', NULL},
                                       {250, 'T', NULL},
                                       {300, 'T', NULL},
                                       {350, 'R', "KEY_DOWN"}};
    RUN(fast, 200, 20, true, "DOWN DOWN+ DOWN+ DOWN+");
    /* the source's own repeats (a LIRC repeat line) change nothing: we keep our pace */
    static const struct step srcrep[] = {
        {0, 'P', "KEY_UP"},   {110, 'S', "KEY_UP"}, {220, 'S', "KEY_UP"}, {330, 'S', "KEY_UP"},
        {440, 'S', "KEY_UP"}, {500, 'T', NULL},     {550, 'R', "KEY_UP"}};
    RUN(srcrep, 500, 8, true, "UP UP+");
    /* a late tick gives one repeat, not a burst; the next one an interval after it */
    static const struct step late[] = {
        {0, 'P', "KEY_UP"}, {1400, 'T', NULL}, {1524, 'T', NULL}, {1525, 'T', NULL}};
    RUN(late, 500, 8, true, "UP UP+ UP+");
    /* IR retransmission: the same code within 100 ms of its release is dropped... */
    static const struct step retrans[] = {{0, 'P', "KEY_OK"},   {40, 'R', "KEY_OK"},
                                          {139, 'P', "KEY_OK"}, {180, 'R', "KEY_OK"},
                                          {279, 'P', "KEY_OK"}, {300, 'R', "KEY_OK"}};
    RUN(retrans, 500, 8, true, "OK");
    /* ... but not at 100 ms or later, and not another key */
    static const struct step twice[] = {{0, 'P', "KEY_OK"},   {40, 'R', "KEY_OK"},
                                        {140, 'P', "KEY_OK"}, {180, 'R', "KEY_OK"},
                                        {200, 'P', "KEY_UP"}, {220, 'R', "KEY_UP"}};
    RUN(twice, 500, 8, true, "OK OK UP");
    /* a direction change while held: the new key, from its own press, no repeat carried over */
    static const struct step change[] = {
        {0, 'P', "KEY_RIGHT"}, {600, 'T', NULL},  {650, 'P', "KEY_LEFT"},  {700, 'T', NULL},
        {1149, 'T', NULL},     {1150, 'T', NULL}, {1200, 'R', "KEY_LEFT"}, {1300, 'T', NULL}};
    RUN(change, 500, 8, true, "RIGHT RIGHT+ LEFT LEFT+");
    /* an unmapped key ends a hold and makes nothing */
    static const struct step unmapped[] = {
        {0, 'P', "KEY_UP"}, {100, 'P', "KEY_WHATEVER"}, {700, 'T', NULL}, {800, 'R', "KEY_UP"}};
    RUN(unmapped, 500, 8, true, "UP");
    /* not IR-like (the SDL keyboard): the source's repeats are passed on, none are made, and
     * nothing is filtered */
    static const struct step kb[] = {{0, 'P', "KEY_UP"},   {40, 'R', "KEY_UP"},
                                     {60, 'P', "KEY_UP"},  {600, 'T', NULL},
                                     {610, 'S', "KEY_UP"}, {650, 'R', "KEY_UP"}};
    RUN(kb, 500, 8, false, "UP UP UP+");
}

/* The tick sleeps until the next repeat: the deadline is exact, and -1 when nothing is held. */
static void test_repeat_deadline(void **state)
{
    (void)state;
    struct input_repeat r;
    input_repeat_init(&r, 0, 0); /* the defaults: 500 ms, 8/s */
    assert_int_equal(input_repeat_deadline(&r), -1);
    assert_true(input_repeat_key(&r, "lirc:KEY_UP", INPUT_UP, true, false, 1000));
    assert_int_equal(input_repeat_deadline(&r), 1500);
    enum input_action a = INPUT_NONE;
    assert_false(input_repeat_due(&r, 1499, &a));
    assert_true(input_repeat_due(&r, 1500, &a));
    assert_int_equal(a, INPUT_UP);
    assert_int_equal(input_repeat_deadline(&r), 1625);
    assert_false(input_repeat_key(&r, "lirc:KEY_UP", INPUT_UP, false, false, 1600));
    assert_int_equal(input_repeat_deadline(&r), -1);
    assert_false(input_repeat_due(&r, 5000, &a));
    /* dropped as a retransmission, and counted: the hold goes on where it was */
    assert_false(input_repeat_key(&r, "lirc:KEY_UP", INPUT_UP, true, false, 1650));
    assert_int_equal(r.dropped, 1);
    assert_int_equal(input_repeat_deadline(&r), 1625);
    assert_true(input_repeat_due(&r, 1650, &a));
    assert_int_equal(input_repeat_deadline(&r), 1750);
    assert_false(input_repeat_key(&r, "lirc:KEY_UP", INPUT_UP, false, false, 1700));
    assert_int_equal(input_repeat_deadline(&r), -1);
    /* a cancelled hold stops repeating */
    assert_true(input_repeat_key(&r, "cec:UP", INPUT_UP, true, false, 3000));
    input_repeat_cancel(&r);
    assert_int_equal(input_repeat_deadline(&r), -1);
    /* the rate is bounded */
    input_repeat_init(&r, 100, 1000);
    assert_int_equal(r.interval_ms, 10);
}

/* The log's lines that contain needle (the log writes to fd 2). */
static int count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* A key no mapping knows is logged once (a remote's unknown keys must not fill the log), its
 * repeats and releases never; a known key is not logged. */
static void test_unknown_logged_once(void **state)
{
    (void)state;
    struct input_config cfg = {.no_sources = true,
                               .keymap_file = BINGE_SOURCE_DIR "/assets/keymaps/default.conf"};
    struct input *in = input_new(&cfg);
    assert_non_null(in);
    char path[] = "/tmp/binge-keylog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    assert_int_equal(dup2(fd, 2), 2);
    static const struct {
        const char *source, *key;
        bool pressed, repeat, ir;
    } evs[] = {
        {"lirc", "KEY_FOO", true, false, true}, {"lirc", "KEY_FOO", false, false, true},
        {"lirc", "KEY_FOO", true, false, true}, {"lirc", "KEY_FOO", true, true, true},
        {"lirc", "key_foo", true, false, true}, {"sdl", "F12", true, false, false},
        {"sdl", "F12", true, true, false},      {"sdl", "F12", true, false, false},
        {"lirc", "KEY_OK", true, false, true},  {"evdev", "KEY_FOO", false, false, true},
    };
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        struct input_key_event ev = {.source = evs[i].source,
                                     .key = evs[i].key,
                                     .pressed = evs[i].pressed,
                                     .repeat = evs[i].repeat,
                                     .ir_like = evs[i].ir};
        input_feed(in, &ev, 1000 * (int64_t)i);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    assert_int_equal(count_lines(path, "key lirc:KEY_FOO is not in the keymap"), 1);
    assert_int_equal(count_lines(path, "is not in the keymap"), 2); /* lirc:KEY_FOO, sdl:F12 */
    assert_int_equal(count_lines(path, "KEY_OK"), 0);
    assert_int_equal(count_lines(path, "evdev:KEY_FOO"), 0); /* a release alone: not logged */
    unlink(path);
    input_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rows),          cmocka_unit_test(test_parse_bounds),
        cmocka_unit_test(test_shipped_keymaps),     cmocka_unit_test(test_load),
        cmocka_unit_test(test_repeat_rows),         cmocka_unit_test(test_repeat_deadline),
        cmocka_unit_test(test_unknown_logged_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
