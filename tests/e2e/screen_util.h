#ifndef BINGE_E2E_SCREEN_UTIL_H
#define BINGE_E2E_SCREEN_UTIL_H

/* Helpers of the screen tests (test_search.c, test_settings.c): binge run headless at 1920x1080
 * (so screenshot pixels are the UI's logical pixels) on a script, its `state` lines parsed, and
 * the pixel checks every screen shares. Include after cmocka.h. Single-threaded test code. */

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/testutil.h"

#define SU_W 1920
#define SU_H 1080
#define SU_SAFE_X 96 /* 5% */
#define SU_SAFE_Y 54
#define SU_BG 0x101018    /* ui_color_bg */
#define SU_TEXT 0xf0f0f5  /* ui_color_text */
#define SU_FOCUS 0xc41c4e /* ui_color_focus: a focused key, button or bar item */
#define SU_ACCENT 0xff486e

static inline char *su_path(const char *dir, const char *name)
{
    static char bufs[8][1200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

/* Runs binge headless on script text against url, output in dir/<name>-out.txt and
 * -err.txt, its state directory dir/state (kept from run to run). Returns its exit status. */
static inline int su_run(const char *dir, const char *name, const char *url, const char *script)
{
    char bin[1024], script_path[1300], out[1300], err[1300];
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(script_path, sizeof(script_path), "%s/%s.txt", dir, name);
    snprintf(out, sizeof(out), "%s/%s-out.txt", dir, name);
    snprintf(err, sizeof(err), "%s/%s-err.txt", dir, name);
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *argv[] = {bin,        "--headless", "--server",    (char *)url,
                    "--script", script_path,  "--width",     "1920",
                    "--height", "1080",       "--state-dir", su_path(dir, "state"),
                    NULL};
    int rc = tu_run(argv, out, err, 240);
    if (rc != 0) {
        char *log = tu_read_file(err);
        fprintf(stderr, "binge (%s) exited %d; its log:\n%s\n", name, rc, log ? log : "(none)");
        free(log);
    }
    return rc;
}

/* The n-th `state` line of run name in dir, parsed (cJSON_Delete it). */
static inline cJSON *su_state(const char *dir, const char *name, int n)
{
    char path[1300];
    snprintf(path, sizeof(path), "%s/%s-out.txt", dir, name);
    char *out = tu_read_file(path);
    assert_non_null(out);
    cJSON *json = NULL;
    int i = 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '{' && i++ == n) {
            json = cJSON_Parse(line);
            break;
        }
    }
    free(out);
    if (!json)
        fail_msg("%s: state line %d missing or not JSON", name, n);
    return json;
}

static inline const cJSON *su_get(const cJSON *root, const char *group, const char *key)
{
    const cJSON *g = group ? cJSON_GetObjectItemCaseSensitive(root, group) : root;
    return cJSON_GetObjectItemCaseSensitive(g, key);
}

static inline const char *su_str(const cJSON *root, const char *group, const char *key)
{
    const cJSON *v = su_get(root, group, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static inline long long su_num(const cJSON *root, const char *group, const char *key)
{
    const cJSON *v = su_get(root, group, key);
    if (!cJSON_IsNumber(v))
        fail_msg("%s.%s is not a number", group ? group : "", key);
    return (long long)v->valuedouble;
}

static inline int su_bool(const cJSON *root, const char *group, const char *key)
{
    const cJSON *v = su_get(root, group, key);
    if (!cJSON_IsBool(v))
        fail_msg("%s.%s is not a boolean", group ? group : "", key);
    return cJSON_IsTrue(v);
}

/* The screenshot is 1920x1080, and outside the 5% safe area there is only the plain
 * background: one colour, no variation. */
static inline void su_assert_safe_area(const char *png)
{
    const struct {
        int x, y, w, h;
    } margins[] = {
        {0, 0, SU_W, SU_SAFE_Y - 2},
        {0, SU_H - SU_SAFE_Y + 2, SU_W, SU_SAFE_Y - 2},
        {0, 0, SU_SAFE_X - 2, SU_H},
        {SU_W - SU_SAFE_X + 2, 0, SU_SAFE_X - 2, SU_H},
    };
    for (size_t i = 0; i < sizeof(margins) / sizeof(margins[0]); i++) {
        double mean[3], sd = -1;
        int w = 0, h = 0;
        assert_int_equal(tu_png_stats(png, margins[i].x, margins[i].y, margins[i].w, margins[i].h,
                                      mean, &sd, &w, &h),
                         0);
        assert_int_equal(w, SU_W);
        assert_int_equal(h, SU_H);
        if (sd > 0.01 || mean[0] > 0x10 + 1 || mean[2] > 0x18 + 1) {
            fail_msg("%s: something is drawn in margin %zu (%d,%d %dx%d): mean %.1f/%.1f/%.1f "
                     "sd %.2f",
                     png, i, margins[i].x, margins[i].y, margins[i].w, margins[i].h, mean[0],
                     mean[1], mean[2], sd);
        }
    }
}

/* For a screen with full-bleed art behind it (home's hero backdrop): no text, focus or accent
 * colour outside the safe area, whatever the art there. */
static inline void su_assert_ui_in_safe_area(const char *png)
{
    const struct {
        int x, y, w, h;
    } margins[] = {
        {0, 0, SU_W, SU_SAFE_Y - 2},
        {0, SU_H - SU_SAFE_Y + 2, SU_W, SU_SAFE_Y - 2},
        {0, 0, SU_SAFE_X - 2, SU_H},
        {SU_W - SU_SAFE_X + 2, 0, SU_SAFE_X - 2, SU_H},
    };
    const unsigned colours[] = {SU_TEXT, SU_FOCUS, SU_ACCENT};
    for (size_t i = 0; i < sizeof(margins) / sizeof(margins[0]); i++)
        for (size_t c = 0; c < sizeof(colours) / sizeof(colours[0]); c++)
            if (tu_png_text_lines(png, margins[i].x, margins[i].y, margins[i].w, margins[i].h,
                                  colours[c]) != 0)
                fail_msg("%s: colour %06x drawn in margin %zu (%d,%d %dx%d)", png, colours[c], i,
                         margins[i].x, margins[i].y, margins[i].w, margins[i].h);
}

/* Pixels of colour rgb (exactly) in a rectangle: > 0 means it is drawn there. Counted as rows
 * holding it (tu_png_text_lines counts runs of rows). */
static inline int su_has_colour(const char *png, int x, int y, int w, int h, unsigned rgb)
{
    return tu_png_text_lines(png, x, y, w, h, rgb) > 0;
}

#endif
