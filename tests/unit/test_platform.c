/* Unit tests for platform/: the profile table, "auto" probing a machine laid out in a temp dir
 * (BINGE_PLATFORM_ROOT: device tree model, /dev/dri cards, display variables) and the video
 * output a profile takes. Table-driven, with rows that must fail. No DRM device is needed: a
 * plain file stands for a card, which answers no plane query (no overlay plane). */
#include "binge/error.h"
#include "binge/platform.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char root[256];

static void write_file(const char *rel, const char *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    /* mkdir -p of the parent */
    for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        mkdir(path, 0755);
        *s = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/binge-platform-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    setenv("BINGE_PLATFORM_ROOT", root, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rm_rf(root);
    unsetenv("BINGE_PLATFORM_ROOT");
    return 0;
}

/* ---- the table ---- */

static void test_table(void **state)
{
    (void)state;
    static const char *const expected[] = {"desktop", "rpi", "kms", "headless"};
    const struct platform *const *list = platform_list();
    size_t n = 0;
    for (; list[n]; n++) {
        const struct platform *p = list[n];
        assert_true(n < 4);
        assert_string_equal(p->name, expected[n]);
        assert_non_null(p->description);
        assert_non_null(p->keymap);
        assert_true(p->keymap[0] != '\0');
        /* A safe area past a quarter of the screen leaves no room for the rows. */
        assert_true(p->safe_area.top <= 25 && p->safe_area.bottom <= 25);
        assert_true(p->safe_area.left <= 25 && p->safe_area.right <= 25);
        assert_ptr_equal(platform_find(p->name), p);
        /* Every output named exists in the player (texture, plane). */
        assert_true(p->video_output == NULL || strcmp(p->video_output, "texture") == 0 ||
                    strcmp(p->video_output, "plane") == 0);
        for (size_t i = 0; p->prefer_decoders && p->prefer_decoders[i]; i++)
            assert_true(strlen(p->prefer_decoders[i]) > 0 && i < 16);
    }
    assert_int_equal(n, 4);
    /* The Pi's hardware decoders, H.264 first (Pi 3/4), HEVC (Pi 4/5). */
    const struct platform *rpi = platform_find("rpi");
    assert_non_null(rpi->prefer_decoders);
    assert_string_equal(rpi->prefer_decoders[0], "v4l2h264dec");
    assert_string_equal(rpi->prefer_decoders[1], "v4l2slh265dec");
    assert_null(rpi->prefer_decoders[2]);
    assert_string_equal(rpi->keymap, "rpi");
    assert_string_equal(rpi->sdl_video_driver, "kmsdrm");
    /* headless decodes in software (the same screenshots everywhere) and draws offscreen. */
    const struct platform *headless = platform_find("headless");
    assert_null(headless->prefer_decoders);
    assert_string_equal(headless->sdl_video_driver, "offscreen");
}

struct name_row {
    const char *name;
    const char *found; /* NULL: must fail */
};

static void test_find_by_name(void **state)
{
    (void)state;
    static const struct name_row rows[] = {
        {"rpi", "rpi"},
        {"kms", "kms"},
        {"desktop", "desktop"},
        {"headless", "headless"},
        /* must fail */
        {"", NULL},
        {"RPI", NULL},
        {"rpi ", NULL},
        {"raspberrypi", NULL},
        {"rpi4", NULL},
        {"autox", NULL},
        {"x11", NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct platform *p = platform_find(rows[i].name);
        if (!rows[i].found) {
            if (p)
                fail_msg("\"%s\" found %s, must be unknown", rows[i].name, p->name);
        } else {
            assert_non_null(p);
            assert_string_equal(p->name, rows[i].found);
        }
    }
}

/* ---- auto: a machine in a temp dir ---- */

struct probe_row {
    const char *what;
    const char *model; /* /proc/device-tree/model, NULL = none */
    size_t model_len;  /* 0 = strlen + its NUL, as the kernel writes it */
    const char *dri;   /* a file under dev/dri, NULL = no dev/dri */
    const char *display, *wayland;
    const char *want;        /* profile "auto" picks */
    const char *want_model;  /* model as read */
    bool want_card;          /* a card was found */
    const char *want_output; /* its video output here (no overlay plane: a plain file) */
};

static const struct probe_row probe_rows[] = {
    {"Pi 4 on KMS", "Raspberry Pi 4 Model B Rev 1.4", 0, "card0", NULL, NULL, "rpi",
     "Raspberry Pi 4 Model B Rev 1.4", true, "texture"},
    {"Pi 5, display and render nodes", "Raspberry Pi 5 Model B Rev 1.0", 0, "card1", NULL, NULL,
     "rpi", "Raspberry Pi 5 Model B Rev 1.0", true, "texture"},
    {"Pi 3 with a desktop", "Raspberry Pi 3 Model B Rev 1.2", 0, "card0", ":0", NULL, "desktop",
     "Raspberry Pi 3 Model B Rev 1.2", true, "texture"},
    {"Pi without KMS (legacy firmware driver)", "Raspberry Pi 3 Model B Plus Rev 1.3", 0, NULL,
     NULL, NULL, "headless", "Raspberry Pi 3 Model B Plus Rev 1.3", false, "texture"},
    {"model with junk after the NUL", "Raspberry Pi 4 Model B\0garbage\n", 31, "card0", NULL, NULL,
     "rpi", "Raspberry Pi 4 Model B", true, "texture"},
    {"model ending in a newline, no NUL", "Raspberry Pi Compute Module 4\n", 30, "card0", NULL,
     NULL, "rpi", "Raspberry Pi Compute Module 4", true, "texture"},
    {"generic box", "Amlogic Meson GXL (S905X) P212 Development Board", 0, "card0", NULL, NULL,
     "kms", "Amlogic Meson GXL (S905X) P212 Development Board", true, "texture"},
    {"x86 box: no device tree", NULL, 0, "card0", NULL, NULL, "kms", "", true, "texture"},
    {"wayland desktop", NULL, 0, "card0", NULL, "wayland-0", "desktop", "", true, "texture"},
    {"x11 without DRM", NULL, 0, NULL, ":1", NULL, "desktop", "", false, "texture"},
    /* must not be taken for what they are not */
    {"lowercase model is not a Pi", "raspberry pi 4", 0, "card0", NULL, NULL, "kms",
     "raspberry pi 4", true, "texture"},
    {"a Pi-like name later in the string", "Not a Raspberry Pi", 0, "card0", NULL, NULL, "kms",
     "Not a Raspberry Pi", true, "texture"},
    {"render node only is no display card", "Raspberry Pi 4 Model B", 0, "renderD128", NULL, NULL,
     "headless", "Raspberry Pi 4 Model B", false, "texture"},
    {"empty display variables are no display", NULL, 0, NULL, "", "", "headless", "", false,
     "texture"},
    {"empty model file", "", 1, "card0", NULL, NULL, "kms", "", true, "texture"},
};

static void set_or_unset(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void test_probe_auto(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(probe_rows) / sizeof(probe_rows[0]); i++) {
        const struct probe_row *r = &probe_rows[i];
        rm_rf(root);
        assert_int_equal(mkdir(root, 0700), 0);
        if (r->model)
            write_file("proc/device-tree/model", r->model,
                       r->model_len ? r->model_len : strlen(r->model) + 1);
        if (r->dri) {
            char rel[64];
            snprintf(rel, sizeof(rel), "dev/dri/%s", r->dri);
            write_file(rel, "", 0);
            if (strcmp(r->dri, "card1") == 0) /* the Pi 5's render node beside its card */
                write_file("dev/dri/renderD128", "", 0);
        }
        set_or_unset("DISPLAY", r->display);
        set_or_unset("WAYLAND_DISPLAY", r->wayland);

        struct platform_env env;
        assert_int_equal(platform_probe_env(&env), 0);
        if (strcmp(env.model, r->want_model) != 0)
            fail_msg("%s: model \"%s\", want \"%s\"", r->what, env.model, r->want_model);
        if ((env.drm_card[0] != '\0') != r->want_card)
            fail_msg("%s: card \"%s\"", r->what, env.drm_card);
        if (r->want_card) {
            char want[512];
            snprintf(want, sizeof(want), "%s/dev/dri/%s", root, r->dri);
            assert_string_equal(env.drm_card, want);
        }
        /* A plain file answers no plane query. */
        assert_int_equal(env.overlay_planes, -1);
        const struct platform *p = platform_choose(&env);
        if (strcmp(p->name, r->want) != 0)
            fail_msg("%s: chose %s, want %s", r->what, p->name, r->want);
        /* platform_find("auto") probes the same machine. */
        assert_ptr_equal(platform_find("auto"), p);
        assert_ptr_equal(platform_find(NULL), p);
        assert_string_equal(platform_video_output(p, &env), r->want_output);
        assert_string_equal(platform_video_output(p, NULL), r->want_output);
    }
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
}

/* A root that is not a directory: an error, and the machine reads as empty (headless). */
static void test_probe_bad_root(void **state)
{
    (void)state;
    char file[300];
    snprintf(file, sizeof(file), "%s/not-a-dir", root);
    rm_rf(root);
    assert_int_equal(mkdir(root, 0700), 0);
    write_file("not-a-dir", "x", 1);
    static const char *const bad[] = {"not-a-dir", "missing"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(file, sizeof(file), "%s/%s", root, bad[i]);
        setenv("BINGE_PLATFORM_ROOT", file, 1);
        struct platform_env env;
        memset(&env, 0x55, sizeof(env));
        assert_int_equal(platform_probe_env(&env), BINGE_EINVAL);
        assert_string_equal(env.model, "");
        assert_string_equal(env.drm_card, "");
        assert_int_equal(env.overlay_planes, -1);
        assert_false(env.display);
        assert_string_equal(platform_choose(&env)->name, "headless");
        assert_string_equal(platform_find("auto")->name, "headless");
    }
    setenv("BINGE_PLATFORM_ROOT", root, 1);
}

/* ---- the video output: plane only with an overlay plane ---- */

struct output_row {
    const char *profile;
    int overlay_planes;
    const char *want;
};

static void test_video_output(void **state)
{
    (void)state;
    static const struct output_row rows[] = {
        {"rpi", 3, "plane"},        {"rpi", 1, "plane"},       {"rpi", 0, "texture"},
        {"rpi", -1, "texture"},     {"kms", 2, "plane"},       {"kms", 0, "texture"},
        {"kms", -1, "texture"},     {"desktop", 4, "texture"}, {"desktop", -1, "texture"},
        {"headless", 4, "texture"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct platform_env env = {.overlay_planes = rows[i].overlay_planes};
        const char *out = platform_video_output(platform_find(rows[i].profile), &env);
        if (strcmp(out, rows[i].want) != 0)
            fail_msg("%s with %d overlay planes: %s, want %s", rows[i].profile,
                     rows[i].overlay_planes, out, rows[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),        cmocka_unit_test(test_find_by_name),
        cmocka_unit_test(test_probe_auto),   cmocka_unit_test(test_probe_bad_root),
        cmocka_unit_test(test_video_output),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
