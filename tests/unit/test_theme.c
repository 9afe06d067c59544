/* Unit tests for the theme parser (src/ui/theme.c, include/binge/theme.h): table-driven rows that
 * must succeed and rows that must fail (each names file:line and keeps the default), the safe
 * area grammar, the shipped default.theme being exactly the built-in look, and finding a theme by
 * name or path. */
#include "binge/error.h"
#include "binge/theme.h"

#include <limits.h>
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

/* What a row checks after parsing. */
enum what {
    W_NONE = 0, /* only the code and the message */
    W_COLOR,    /* colors[idx] == rgba */
    W_NAME,     /* name == str */
    W_LOGO,     /* logo == str */
    W_FONT,     /* fonts[idx] == str */
    W_RADIUS,   /* radius == num[0] */
    W_SAFE,     /* safe_bp == num[0..3] */
    W_DEFAULT,  /* the whole theme is still the default */
};

struct row {
    const char *text;
    int rc;
    const char *err; /* a substring of the messages, or NULL for none at all */
    enum what what;
    int idx;
    unsigned rgba; /* 0xRRGGBBAA */
    const char *str;
    int num[4];
};

static char *parse(struct theme *t, const char *text, const char *base, int *rc)
{
    char *msgs = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&msgs, &len);
    assert_non_null(err);
    theme_default(t);
    *rc = theme_parse_buffer(t, text, strlen(text), "x.theme", base, err);
    fclose(err);
    return msgs;
}

static void check_row(const struct row *r, size_t i)
{
    struct theme t, def;
    int rc;
    char *msgs = parse(&t, r->text, "/themes", &rc);
    theme_default(&def);
    if (rc != r->rc)
        fail_msg("row %zu (%s): rc %d, expected %d; messages: %s", i, r->text, rc, r->rc, msgs);
    if (r->err && !strstr(msgs, r->err))
        fail_msg("row %zu (%s): messages '%s' lack '%s'", i, r->text, msgs, r->err);
    if (!r->err && *msgs)
        fail_msg("row %zu (%s): unexpected messages '%s'", i, r->text, msgs);
    switch (r->what) {
    case W_NONE:
        break;
    case W_COLOR: {
        SDL_Color c = t.colors[r->idx];
        unsigned got = (unsigned)c.r << 24 | (unsigned)c.g << 16 | (unsigned)c.b << 8 | c.a;
        if (got != r->rgba)
            fail_msg("row %zu (%s): colour %s is %08x, expected %08x", i, r->text,
                     theme_color_name((enum theme_color)r->idx), got, r->rgba);
        break;
    }
    case W_NAME:
        assert_string_equal(t.name, r->str);
        break;
    case W_LOGO:
        assert_string_equal(t.logo, r->str);
        break;
    case W_FONT:
        assert_string_equal(t.fonts[r->idx], r->str);
        break;
    case W_RADIUS:
        assert_int_equal(t.radius, r->num[0]);
        break;
    case W_SAFE:
        for (int s = 0; s < 4; s++)
            if (t.safe_bp[s] != r->num[s])
                fail_msg("row %zu (%s): side %d is %d, expected %d", i, r->text, s, t.safe_bp[s],
                         r->num[s]);
        break;
    case W_DEFAULT:
        if (memcmp(&t, &def, sizeof(t)) != 0)
            fail_msg("row %zu (%s): the theme changed, expected the default", i, r->text);
        break;
    }
    free(msgs);
}

static void test_rows(void **state)
{
    (void)state;
    static const struct row rows[] = {
        /* must succeed */
        {"", 0, NULL, W_DEFAULT, 0, 0, NULL, {0}},
        {"# only a comment\n\n   \n", 0, NULL, W_DEFAULT, 0, 0, NULL, {0}},
        {"color.accent = #00c8ff", 0, NULL, W_COLOR, THEME_ACCENT, 0x00c8ffff, NULL, {0}},
        {"color.accent=#00C8FF80\n", 0, NULL, W_COLOR, THEME_ACCENT, 0x00c8ff80, NULL, {0}},
        {"  color.background =  #0a3c1e   # dark green\r\n",
         0,
         NULL,
         W_COLOR,
         THEME_BACKGROUND,
         0x0a3c1eff,
         NULL,
         {0}},
        {"color.text-dim = #808080", 0, NULL, W_COLOR, THEME_TEXT_DIM, 0x808080ff, NULL, {0}},
        {"color.focus = #112233\ncolor.focus = #445566",
         0,
         NULL,
         W_COLOR,
         THEME_FOCUS,
         0x445566ff,
         NULL,
         {0}},
        {"name = Acme TV", 0, NULL, W_NAME, 0, 0, "Acme TV", {0}},
        {"name = \xd8\xa8\xd9\x8a\xd9\x86\xd8\xac",
         0,
         NULL,
         W_NAME,
         0,
         0,
         "\xd8\xa8\xd9\x8a\xd9\x86\xd8\xac",
         {0}},
        {"logo = acme.png", 0, NULL, W_LOGO, 0, 0, "/themes/acme.png", {0}},
        {"logo = /opt/acme/logo.png", 0, NULL, W_LOGO, 0, 0, "/opt/acme/logo.png", {0}},
        {"logo =", 0, NULL, W_LOGO, 0, 0, "", {0}},
        {"font.arabic = fonts/Kufi.ttf",
         0,
         NULL,
         W_FONT,
         THEME_FONT_ARABIC,
         0,
         "/themes/fonts/Kufi.ttf",
         {0}},
        {"font.latin = /usr/share/fonts/a.ttf",
         0,
         NULL,
         W_FONT,
         THEME_FONT_LATIN,
         0,
         "/usr/share/fonts/a.ttf",
         {0}},
        {"radius = 12", 0, NULL, W_RADIUS, 0, 0, NULL, {12}},
        {"radius = 0", 0, NULL, W_RADIUS, 0, 0, NULL, {0}},
        {"radius = 48", 0, NULL, W_RADIUS, 0, 0, NULL, {48}},
        {"safe_area = 5", 0, NULL, W_SAFE, 0, 0, NULL, {500, 500, 500, 500}},
        {"safe-area = 2.5% 3 4.25 0", 0, NULL, W_SAFE, 0, 0, NULL, {250, 300, 425, 0}},
        {"safe_area.top = 7.5", 0, NULL, W_SAFE, 0, 0, NULL, {-1, 750, -1, -1}},
        /* a key binge does not know: reported once, the rest applied, not an error */
        {"sparkle = yes\ncolor.accent = #010203\nsparkle = no\n",
         0,
         "x.theme:1: unknown key "
         "'sparkle'",
         W_COLOR,
         THEME_ACCENT,
         0x010203ff,
         NULL,
         {0}},
        {"color.ultraviolet = #ffffff",
         0,
         "unknown key 'color.ultraviolet'",
         W_DEFAULT,
         0,
         0,
         NULL,
         {0}},
        {"font.klingon = k.ttf", 0, "unknown key 'font.klingon'", W_DEFAULT, 0, 0, NULL, {0}},

        /* must fail: file:line named, the key keeps its default, good lines still applied */
        {"color.accent = red",
         BINGE_EINVAL,
         "x.theme:1: color.accent: 'red'",
         W_COLOR,
         THEME_ACCENT,
         0xff486eff,
         NULL,
         {0}},
        {"color.accent = #ff486",
         BINGE_EINVAL,
         "#rrggbb",
         W_COLOR,
         THEME_ACCENT,
         0xff486eff,
         NULL,
         {0}},
        {"color.accent = #gg0000", BINGE_EINVAL, "#rrggbb", W_DEFAULT, 0, 0, NULL, {0}},
        {"color.accent = ff486e", BINGE_EINVAL, "#rrggbb", W_DEFAULT, 0, 0, NULL, {0}},
        {"color.accent = #ff486e0", BINGE_EINVAL, "#rrggbb", W_DEFAULT, 0, 0, NULL, {0}},
        {"color.text = #000000\ncolor.accent =\n",
         BINGE_EINVAL,
         "x.theme:2:",
         W_COLOR,
         THEME_TEXT,
         0x000000ff,
         NULL,
         {0}},
        {"name =", BINGE_EINVAL, "x.theme:1: name: '': empty name", W_NAME, 0, 0, "binge", {0}},
        {"name = 0123456789012345678901234567890123456789012345678901234567890123",
         BINGE_EINVAL,
         "longer than 63",
         W_NAME,
         0,
         0,
         "binge",
         {0}},
        {"name = a\tb", BINGE_EINVAL, "control character", W_NAME, 0, 0, "binge", {0}},
        {"radius = -1", BINGE_EINVAL, "0..48", W_RADIUS, 0, 0, NULL, {0}},
        {"radius = 49", BINGE_EINVAL, "0..48", W_RADIUS, 0, 0, NULL, {0}},
        {"radius = 4px", BINGE_EINVAL, "0..48", W_RADIUS, 0, 0, NULL, {0}},
        {"radius = 99999999999999999999", BINGE_EINVAL, "0..48", W_RADIUS, 0, 0, NULL, {0}},
        {"safe_area = 11",
         BINGE_EINVAL,
         "x.theme:1: safe_area",
         W_SAFE,
         0,
         0,
         NULL,
         {-1, -1, -1, -1}},
        {"safe_area = 5 5", BINGE_EINVAL, "four", W_SAFE, 0, 0, NULL, {-1, -1, -1, -1}},
        {"safe_area = 5 5 5 5 5", BINGE_EINVAL, "four", W_SAFE, 0, 0, NULL, {-1, -1, -1, -1}},
        {"safe_area.left = 10.5",
         BINGE_EINVAL,
         "safe_area.left",
         W_SAFE,
         0,
         0,
         NULL,
         {-1, -1, -1, -1}},
        {"safe_area.middle = 3",
         0,
         "unknown key 'safe_area.middle'",
         W_SAFE,
         0,
         0,
         NULL,
         {-1, -1, -1, -1}},
        {"just words", BINGE_EINVAL, "x.theme:1: expected key = value", W_DEFAULT, 0, 0, NULL, {0}},
        {"= #ffffff", BINGE_EINVAL, "expected key = value", W_DEFAULT, 0, 0, NULL, {0}},
        {"# ok\nname = Acme\nbroken line\n", BINGE_EINVAL, "x.theme:3:", W_NAME, 0, 0, "Acme", {0}},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        check_row(&rows[i], i);
}

/* Unknown keys are reported once each, not once per line; a flood of them stops being listed. */
static void test_unknown_once(void **state)
{
    (void)state;
    char text[4096] = "";
    for (int i = 0; i < 40; i++) {
        char line[64];
        snprintf(line, sizeof(line), "mystery%d = 1\nmystery0 = 2\n", i);
        strcat(text, line);
    }
    struct theme t;
    int rc;
    char *msgs = parse(&t, text, NULL, &rc);
    assert_int_equal(rc, 0);
    int n = 0;
    for (const char *p = msgs; (p = strstr(p, "unknown key '")); p++)
        n++;
    assert_int_equal(n, 16); /* each of the first 16 once, mystery0 among them */
    assert_non_null(strstr(msgs, "more unknown keys"));
    assert_null(strstr(strstr(msgs, "more unknown keys") + 1, "more unknown keys"));
    free(msgs);
}

/* Input that is not a theme changes nothing at all. */
static void test_not_a_theme(void **state)
{
    (void)state;
    struct theme t, def;
    theme_default(&def);
    char *msgs = NULL;
    size_t mlen = 0;
    FILE *err = open_memstream(&msgs, &mlen);
    theme_default(&t);
    static const char nul[] = "color.accent = #000000\n\0name = x\n";
    assert_int_equal(theme_parse_buffer(&t, nul, sizeof(nul) - 1, "bin.theme", NULL, err),
                     BINGE_EINVAL);
    assert_memory_equal(&t, &def, sizeof(t));
    size_t big_len = THEME_FILE_MAX + 1;
    char *big = malloc(big_len);
    assert_non_null(big);
    memset(big, '#', big_len);
    memcpy(big, "color.accent = #000000\n", 23);
    assert_int_equal(theme_parse_buffer(&t, big, big_len, "big.theme", NULL, err), BINGE_EINVAL);
    assert_memory_equal(&t, &def, sizeof(t));
    /* A line too long is reported and skipped; the next one counts. */
    memset(big, 'a', 2000);
    memcpy(big + 2000, "\nradius = 7\n", 13);
    assert_int_equal(theme_parse_buffer(&t, big, strlen(big), "long.theme", NULL, err),
                     BINGE_EINVAL);
    assert_int_equal(t.radius, 7);
    free(big);
    fclose(err);
    assert_non_null(strstr(msgs, "bin.theme: not a text file"));
    assert_non_null(strstr(msgs, "big.theme: over 65536 bytes"));
    assert_non_null(strstr(msgs, "long.theme:1: line longer"));
    free(msgs);
}

static void test_safe_area_grammar(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int rc;
        int bp[4];
    } rows[] = {
        {"5", 0, {500, 500, 500, 500}},
        {"0", 0, {0, 0, 0, 0}},
        {"10", 0, {1000, 1000, 1000, 1000}},
        {"2.5%", 0, {250, 250, 250, 250}},
        {" 1 2 3 4 ", 0, {100, 200, 300, 400}},
        {"3.75\t0.5 3.75 0.5", 0, {375, 50, 375, 50}},
        {"", BINGE_EINVAL, {0}},
        {"   ", BINGE_EINVAL, {0}},
        {"10.01", BINGE_EINVAL, {0}},
        {"11", BINGE_EINVAL, {0}},
        {"-1", BINGE_EINVAL, {0}},
        {"5.", BINGE_EINVAL, {0}},
        {".5", BINGE_EINVAL, {0}},
        {"5.125", BINGE_EINVAL, {0}},
        {"5 5", BINGE_EINVAL, {0}},
        {"5 5 5", BINGE_EINVAL, {0}},
        {"5 5 5 5 5", BINGE_EINVAL, {0}},
        {"5%%", BINGE_EINVAL, {0}},
        {"five", BINGE_EINVAL, {0}},
        {"5,5,5,5", BINGE_EINVAL, {0}},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int bp[4] = {-7, -7, -7, -7};
        int rc = theme_parse_safe_area(rows[i].s, bp);
        if (rc != rows[i].rc)
            fail_msg("'%s': rc %d, expected %d", rows[i].s, rc, rows[i].rc);
        if (rc == 0 && memcmp(bp, rows[i].bp, sizeof(bp)) != 0)
            fail_msg("'%s': %d %d %d %d", rows[i].s, bp[0], bp[1], bp[2], bp[3]);
        if (rc != 0)
            assert_int_equal(bp[0], -7); /* nothing written on failure */
    }
}

/* assets/themes/default.theme spells out the built-in look exactly, and parses without a word. */
static void test_default_file_is_the_default(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/assets/themes/default.theme", BINGE_SOURCE_DIR);
    struct theme t, def;
    theme_default(&def);
    char *msgs = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&msgs, &len);
    assert_int_equal(theme_load(&t, path, err), 0);
    fclose(err);
    assert_string_equal(msgs, "");
    free(msgs);
    assert_memory_equal(&t, &def, sizeof(t));
    /* ... and the names cover every colour and font. */
    for (int i = 0; i < THEME_N_COLORS; i++)
        assert_string_not_equal(theme_color_name((enum theme_color)i), "?");
    for (int i = 0; i < THEME_N_FONTS; i++)
        assert_string_not_equal(theme_font_name((enum theme_font)i), "?");
}

/* --theme NAME and --theme FILE: where each is looked for, and what a missing file does. */
static void test_paths_and_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/binge-test-theme-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[PATH_MAX], out[PATH_MAX];
    snprintf(file, sizeof(file), "%s/acme.theme", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("name = Acme\nlogo = acme.png\ncolor.accent = #00c8ff\nradius = 9\n", f);
    fclose(f);

    setenv("BINGE_THEMEDIR", dir, 1);
    assert_int_equal(theme_path("acme", out, sizeof(out)), 0);
    assert_string_equal(out, file);
    assert_int_equal(theme_path(file, out, sizeof(out)), 0);
    assert_string_equal(out, file);
    assert_int_equal(theme_path("other.theme", out, sizeof(out)), 0);
    assert_string_equal(out, "other.theme"); /* a file in the working directory */
    static const char *const bad[] = {"", ".hidden", "a b", "x;rm", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(theme_path(bad[i], out, sizeof(out)), BINGE_EINVAL);

    struct theme t, def;
    theme_default(&def);
    char *msgs = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&msgs, &len);
    assert_int_equal(theme_load(&t, "acme", err), 0);
    assert_string_equal(t.name, "Acme");
    char logo[PATH_MAX];
    snprintf(logo, sizeof(logo), "%s/acme.png", dir);
    assert_string_equal(t.logo, logo); /* relative to the theme's directory */
    assert_int_equal(t.radius, 9);
    assert_int_equal(t.colors[THEME_ACCENT].b, 0xff);
    /* A theme that is not there: the default look, and a message naming the file. */
    assert_int_equal(theme_load(&t, "nosuch", err), BINGE_ENOTFOUND);
    assert_memory_equal(&t, &def, sizeof(t));
    assert_int_equal(theme_load(&t, "bad name", err), BINGE_EINVAL);
    assert_memory_equal(&t, &def, sizeof(t));
    /* A directory is not a theme. */
    char sub[PATH_MAX];
    snprintf(sub, sizeof(sub), "%s/dir.theme", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(theme_load(&t, sub, err), BINGE_ETOOBIG);
    assert_memory_equal(&t, &def, sizeof(t));
    assert_int_equal(theme_load(&t, NULL, err), 0);
    assert_memory_equal(&t, &def, sizeof(t));
    fclose(err);
    assert_non_null(strstr(msgs, "nosuch.theme: No such file"));
    assert_non_null(strstr(msgs, "theme 'bad name': not a file nor a theme name"));
    free(msgs);
    unsetenv("BINGE_THEMEDIR");
    rmdir(sub);
    unlink(file);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_unknown_once),
        cmocka_unit_test(test_not_a_theme),
        cmocka_unit_test(test_safe_area_grammar),
        cmocka_unit_test(test_default_file_is_the_default),
        cmocka_unit_test(test_paths_and_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
