/* Many posters, on the real binge and binge-server: a catalog of 300 series (each with its own
 * 400x600 poster) settles on home, and once settled nothing is loaded again while home sits idle
 * (binge with a 128-entry cache reloaded them forever, 24.9 s of CPU in 30 s). A second run
 * starts from the disk cache and settles the same way. The catalog and posters are written here:
 * no video is needed to browse home. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <SDL_image.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/testutil.h"

#define SERIES 300

static char *path_in(const char *dir, const char *name)
{
    static char bufs[8][1200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

/* catalog.json and one poster per series, each of its own colour. */
static void make_catalog(const char *media)
{
    static const char *const genres[] = {"Romance", "Drama", "Revenge", "Fantasy", "Thriller"};
    size_t cap = SERIES * 400 + 64, used = 0;
    char *json = malloc(cap);
    assert_non_null(json);
    used += (size_t)snprintf(json + used, cap - used, "{\"series\":[");
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, 400, 600, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(s);
    for (int i = 0; i < SERIES; i++) {
        char dir[1200], file[1300];
        snprintf(dir, sizeof(dir), "%s/s%03d", media, i);
        mkdir(dir, 0755);
        snprintf(file, sizeof(file), "%s/poster.png", dir);
        SDL_FillRect(s, NULL, SDL_MapRGB(s->format, (Uint8)(i * 7), (Uint8)(255 - i), 120));
        SDL_Rect band = {0, 40 + i % 500, 400, 60};
        SDL_FillRect(s, &band, SDL_MapRGB(s->format, 250, 250, 250));
        assert_int_equal(IMG_SavePNG(s, file), 0);
        used += (size_t)snprintf(
            json + used, cap - used,
            "%s{\"id\":\"s%03d\",\"title\":\"Series %d\",\"synopsis\":\"Number %d.\","
            "\"genre\":\"%s\",\"genres\":[\"%s\"],\"poster\":\"s%03d/poster.png\","
            "\"episodes\":[{\"index\":1,\"title\":\"Episode 1\",\"duration_s\":1,"
            "\"path\":\"s%03d/01/master.m3u8\"}]}",
            i ? "," : "", i, i, i, genres[i % 5], genres[i % 5], i, i);
        assert_true(used < cap);
    }
    SDL_FreeSurface(s);
    used += (size_t)snprintf(json + used, cap - used, "]}\n");
    assert_int_equal(tu_write_file(path_in(media, "catalog.json"), json), 0);
    free(json);
}

static int run_binge(const char *dir, const char *url, const char *name, const char *script)
{
    char bin[1024], *script_path = path_in(dir, "script.txt");
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    assert_int_equal(tu_write_file(script_path, script), 0);
    char *argv[] = {bin,        "--headless", "--server",    (char *)url,
                    "--script", script_path,  "--state-dir", path_in(dir, "state"),
                    NULL};
    char out[1300], err[1300];
    snprintf(out, sizeof(out), "%s/%s.out", dir, name);
    snprintf(err, sizeof(err), "%s/%s.log", dir, name);
    int rc = tu_run(argv, out, err, 300);
    if (rc != 0) {
        char *log = tu_read_file(err);
        fprintf(stderr, "binge exited %d:\n%s\n", rc, log ? log : "");
        free(log);
    }
    return rc;
}

static cJSON *state_line(const char *dir, const char *name, int n)
{
    char file[1300];
    snprintf(file, sizeof(file), "%s/%s.out", dir, name);
    char *out = tu_read_file(file);
    assert_non_null(out);
    cJSON *json = NULL;
    int i = 0;
    for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (l[0] == '{' && i++ == n) {
            json = cJSON_Parse(l);
            break;
        }
    free(out);
    if (!json)
        fail_msg("no state line %d", n);
    return json;
}

static int64_t get_int(const cJSON *root, const char *group, const char *key)
{
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(root, group);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(g, key);
    if (!cJSON_IsNumber(v))
        fail_msg("no number at %s.%s", group, key);
    return (int64_t)v->valuedouble;
}

/* Home settled: every poster loaded once (or again after an eviction, when drawn), and then
 * the load counter stands still through idle seconds. */
static void check_settled(const char *dir, const char *name)
{
    cJSON *s0 = state_line(dir, name, 0), *s1 = state_line(dir, name, 1);
    cJSON *s2 = state_line(dir, name, 2);
    int64_t loads0 = get_int(s0, "images", "loads");
    fprintf(
        stderr, "%s: %lld loads, %lld decoded, %lld evictions, %lld posters ready, %lld bytes\n",
        name, (long long)loads0, (long long)get_int(s0, "images", "decoded"),
        (long long)get_int(s0, "images", "evictions"),
        (long long)get_int(s0, "home", "posters_ready"), (long long)get_int(s0, "images", "bytes"));
    assert_true(loads0 >= SERIES);
    assert_true(loads0 < 2 * SERIES);
    assert_int_equal(get_int(s0, "images", "refused"), 0);
    assert_int_equal(get_int(s1, "images", "loads"), loads0);
    assert_int_equal(get_int(s2, "images", "loads"), loads0);
    assert_int_equal(get_int(s2, "images", "decoded"), get_int(s0, "images", "decoded"));
    assert_int_equal(get_int(s2, "home", "posters_pending"), 0);
    assert_true(get_int(s2, "images", "bytes") <= 64 * 1024 * 1024);
    assert_true(get_int(s2, "home", "posters_ready") > 0);
    cJSON_Delete(s0);
    cJSON_Delete(s1);
    cJSON_Delete(s2);
}

/* Stopped by the teardown too, so that a failed assertion leaves no server running. */
static struct tu_server srv = {.pid = -1};

static int stop_server(void **state)
{
    (void)state;
    if (srv.pid > 0)
        tu_server_stop(&srv);
    srv.pid = -1;
    return 0;
}

static void test_300_posters_settle(void **state)
{
    (void)state;
    const char *dir = tu_workdir("e2e-posters");
    assert_non_null(dir);
    char *media = path_in(dir, "media");
    assert_int_equal(mkdir(media, 0755), 0);
    make_catalog(media);
    assert_int_equal(tu_server_start(&srv, tu_free_port(), media, path_in(dir, "db.sqlite"), NULL,
                                     path_in(dir, "server.log")),
                     0);
    /* Settled twice over: a poster evicted while the first screen was drawn comes back once
     * more; after that nothing can trigger a load. */
    static const char script[] = "wait-for home.state=ready 30000\n"
                                 "wait-for home.posters_pending=0 120000\n"
                                 "wait 1000\n"
                                 "wait-for home.posters_pending=0 60000\n"
                                 "wait 1000\n"
                                 "wait-for home.posters_pending=0 60000\n"
                                 "state\n"
                                 "wait 2000\n"
                                 "state\n"
                                 "key RIGHT\n"
                                 "key LEFT\n"
                                 "wait 2000\n"
                                 "state\n";
    assert_int_equal(run_binge(dir, srv.url, "online", script), 0);
    check_settled(dir, "online");
    /* Again, now from the disk cache (the posters are not fetched). */
    assert_int_equal(run_binge(dir, srv.url, "cached", script), 0);
    check_settled(dir, "cached");
    stop_server(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_300_posters_settle, stop_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
