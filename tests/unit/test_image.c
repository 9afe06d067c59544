/* The poster cache (src/ui/image.c): the header check before decoding, the refusal of a
 * decompression bomb, the scaling to the drawn size, and the LRU bounded in bytes. image.c is
 * compiled in; textures come from SDL's software renderer on a surface (no display needed). */
#include <SDL.h>
#include <SDL_image.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include <cmocka.h>

#include "ui_internal.h"

/* ---- pictures made here ---- */

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Appends a PNG chunk (length, type, data, CRC). */
static size_t chunk(unsigned char *out, const char *type, const unsigned char *data, size_t len)
{
    put32(out, (uint32_t)len);
    memcpy(out + 4, type, 4);
    if (len)
        memcpy(out + 8, data, len);
    uLong crc = crc32(0, out + 4, (uInt)(len + 4));
    put32(out + 8 + len, (uint32_t)crc);
    return 12 + len;
}

/* A valid PNG of w x h one-bit grey pixels, all black: a few tens of KB for 16000 x 16000, which
 * a decoder turns into gigabytes. Transfer full. */
static unsigned char *make_png_bomb(uint32_t w, uint32_t h, size_t *len)
{
    size_t row = 1 + (w + 7) / 8;
    z_stream z = {0};
    assert_int_equal(deflateInit(&z, 9), Z_OK);
    size_t cap = 1 << 20;
    unsigned char *idat = malloc(cap);
    unsigned char *line = calloc(1, row);
    assert_non_null(idat);
    assert_non_null(line);
    z.next_out = idat;
    z.avail_out = (uInt)cap;
    for (uint32_t y = 0; y < h; y++) {
        z.next_in = line;
        z.avail_in = (uInt)row;
        assert_int_equal(deflate(&z, y + 1 == h ? Z_FINISH : Z_NO_FLUSH),
                         y + 1 == h ? Z_STREAM_END : Z_OK);
        assert_true(z.avail_out > 0);
    }
    size_t zlen = cap - z.avail_out;
    deflateEnd(&z);
    free(line);

    unsigned char *png = malloc(zlen + 128);
    assert_non_null(png);
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memcpy(png, sig, 8);
    size_t n = 8;
    unsigned char ihdr[13] = {0};
    put32(ihdr, w);
    put32(ihdr + 4, h);
    ihdr[8] = 1; /* bit depth */
    ihdr[9] = 0; /* grey */
    n += chunk(png + n, "IHDR", ihdr, sizeof(ihdr));
    n += chunk(png + n, "IDAT", idat, zlen);
    n += chunk(png + n, "IEND", NULL, 0);
    free(idat);
    *len = n;
    return png;
}

/* An ordinary picture of w x h, encoded as PNG or JPEG in memory. Transfer full. */
static char *make_picture(int w, int h, bool jpeg, Uint8 shade, size_t *len)
{
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(s);
    SDL_FillRect(s, NULL, SDL_MapRGB(s->format, shade, 255 - shade, 90));
    size_t cap = (size_t)w * (size_t)h * 4 + 4096;
    char *buf = malloc(cap);
    assert_non_null(buf);
    SDL_RWops *rw = SDL_RWFromMem(buf, (int)cap);
    assert_non_null(rw);
    assert_int_equal(jpeg ? IMG_SaveJPG_RW(s, rw, 0, 90) : IMG_SavePNG_RW(s, rw, 0), 0);
    *len = (size_t)SDL_RWtell(rw);
    SDL_RWclose(rw);
    SDL_FreeSurface(s);
    return buf;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* ---- the cache, driven as the UI thread does ---- */

static SDL_sem *woken;

static void wake(void *data)
{
    (void)data;
    SDL_SemPost(woken);
}

struct fixture {
    SDL_Surface *target;
    SDL_Renderer *renderer;
    struct image_cache *cache;
};

static void fixture_open(struct fixture *f, size_t max_bytes)
{
    woken = SDL_CreateSemaphore(0);
    f->target = SDL_CreateRGBSurfaceWithFormat(0, 64, 64, 32, SDL_PIXELFORMAT_ARGB8888);
    assert_non_null(f->target);
    f->renderer = SDL_CreateSoftwareRenderer(f->target);
    assert_non_null(f->renderer);
    f->cache = image_cache_new(wake, NULL, max_bytes);
    assert_non_null(f->cache);
}

static void fixture_close(struct fixture *f)
{
    image_cache_free(f->cache);
    SDL_DestroyRenderer(f->renderer);
    SDL_FreeSurface(f->target);
    SDL_DestroySemaphore(woken);
}

/* Waits for n decodes to come back and turns them into textures. */
static void settle(struct fixture *f, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(SDL_SemWaitTimeout(woken, 60000), 0);
    image_cache_pump(f->cache, f->renderer);
}

static void submit(struct fixture *f, const char *url, int w, int h, bool jpeg, Uint8 shade)
{
    size_t len = 0;
    char *bytes = make_picture(w, h, jpeg, shade, &len);
    image_cache_submit(f->cache, url, bytes, len); /* takes bytes */
}

/* ---- tests ---- */

static void test_probe(void **state)
{
    (void)state;
    int w = 0, h = 0;
    const char *format = NULL;
    size_t len = 0;
    char *png = make_picture(123, 45, false, 10, &len);
    assert_int_equal(image_probe(png, len, &w, &h, &format), 0);
    assert_string_equal(format, "PNG");
    assert_int_equal(w, 123);
    assert_int_equal(h, 45);
    assert_int_equal(image_probe(png, 20, &w, &h, &format), -1); /* cut before the size */
    free(png);
    char *jpg = make_picture(77, 300, true, 10, &len);
    assert_int_equal(image_probe(jpg, len, &w, &h, &format), 0);
    assert_string_equal(format, "JPEG");
    assert_int_equal(w, 77);
    assert_int_equal(h, 300);
    assert_int_equal(image_probe(jpg, 40, &w, &h, &format), -1);
    free(jpg);
    assert_int_equal(image_probe("GIF89a....", 10, &w, &h, &format), -1);
}

/* A 16000 x 16000 PNG of a few KB is refused from its header: no surface, no memory. */
static void test_bomb_refused(void **state)
{
    (void)state;
    size_t len = 0;
    unsigned char *bomb = make_png_bomb(16000, 16000, &len);
    assert_true(len < 256 * 1024);
    long before = max_rss_kb();

    char why[256] = "";
    assert_null(image_decode(bomb, len, why, sizeof(why)));
    assert_non_null(strstr(why, "16000x16000"));

    /* Through the cache, as the app hands it over: the placeholder, once, and never again. */
    struct fixture f;
    fixture_open(&f, 0);
    image_cache_submit(f.cache, "http://x/bomb.png", (char *)bomb, len); /* takes bomb */
    settle(&f, 1);
    assert_int_equal(image_cache_state(f.cache, "http://x/bomb.png"), UI_IMAGE_FAILED);
    assert_null(image_cache_texture(f.cache, "http://x/bomb.png"));
    assert_false(image_cache_wanted(f.cache));
    assert_int_equal(image_cache_state(f.cache, "http://x/bomb.png"), UI_IMAGE_FAILED);
    struct ui_image_stats st;
    image_cache_stats(f.cache, &st);
    assert_int_equal(st.refused, 1);
    assert_int_equal(st.decoded, 0);
    fixture_close(&f);
    /* Decoding it would take 256 MB at one byte a pixel, 1 GB at four. */
    long grown_mb = (max_rss_kb() - before) / 1024;
    print_message("max RSS grew by %ld MB while the bomb was handled\n", grown_mb);
    assert_true(grown_mb < 64);
}

/* Big posters are scaled down to the drawn size on the worker, keeping their shape. */
static void test_scaled_to_drawn_size(void **state)
{
    (void)state;
    char why[256] = "";
    size_t len = 0;
    char *png = make_picture(1200, 1800, false, 200, &len);
    SDL_Surface *s = image_decode(png, len, why, sizeof(why));
    assert_non_null(s);
    assert_int_equal(s->w, IMAGE_DRAW_W);
    assert_int_equal(s->h, IMAGE_DRAW_H);
    SDL_FreeSurface(s);
    free(png);
    char *wide = make_picture(1000, 250, true, 50, &len);
    s = image_decode(wide, len, why, sizeof(why));
    assert_non_null(s);
    assert_int_equal(s->w, IMAGE_DRAW_W);
    assert_int_equal(s->h, 75);
    SDL_FreeSurface(s);
    free(wide);
    char *small = make_picture(100, 150, false, 50, &len);
    s = image_decode(small, len, why, sizeof(why));
    assert_non_null(s);
    assert_int_equal(s->w, 100); /* never scaled up */
    SDL_FreeSurface(s);
    free(small);
    /* Not a picture: refused with a reason. */
    assert_null(image_decode("hello", 5, why, sizeof(why)));
    assert_non_null(strstr(why, "not a PNG or JPEG"));
}

/* The cache holds at most its bound in pixels; the least recently drawn go first, they come
 * back only when drawn again, and the rest stay put. */
static void test_lru_by_bytes(void **state)
{
    (void)state;
    const size_t one = (size_t)IMAGE_DRAW_W * IMAGE_DRAW_H * 4;
    struct fixture f;
    fixture_open(&f, 3 * one);
    char url[5][32];
    for (int i = 0; i < 3; i++) {
        snprintf(url[i], sizeof(url[i]), "http://x/%d.png", i);
        submit(&f, url[i], 600, 900, i % 2, (Uint8)(i * 40));
    }
    settle(&f, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(image_cache_state(f.cache, url[i]), UI_IMAGE_READY);
    /* Poster 0 is drawn, so 1 is now the least recently used. */
    assert_non_null(image_cache_texture(f.cache, url[0]));
    for (int i = 3; i < 5; i++) {
        snprintf(url[i], sizeof(url[i]), "http://x/%d.png", i);
        submit(&f, url[i], 600, 900, false, (Uint8)(i * 40));
    }
    settle(&f, 2);
    struct ui_image_stats st;
    image_cache_stats(f.cache, &st);
    assert_true(st.bytes <= 3 * one);
    assert_int_equal(st.decoded, 5);
    assert_int_equal(st.evictions, 2);
    assert_int_equal(image_cache_state(f.cache, url[0]), UI_IMAGE_READY);
    assert_int_equal(image_cache_state(f.cache, url[1]), UI_IMAGE_EVICTED);
    assert_int_equal(image_cache_state(f.cache, url[2]), UI_IMAGE_EVICTED);
    assert_int_equal(image_cache_state(f.cache, url[3]), UI_IMAGE_READY);
    assert_int_equal(image_cache_state(f.cache, url[4]), UI_IMAGE_READY);
    /* Nobody drew the evicted ones: nothing to load again. */
    assert_false(image_cache_wanted(f.cache));
    /* A draw of poster 2 asks for it back, once. */
    assert_null(image_cache_texture(f.cache, url[2]));
    assert_true(image_cache_wanted(f.cache));
    assert_false(image_cache_wanted(f.cache));
    assert_int_equal(image_cache_state(f.cache, url[2]), UI_IMAGE_UNKNOWN);
    assert_int_equal(image_cache_state(f.cache, url[1]), UI_IMAGE_EVICTED);
    fixture_close(&f);
}

/* Many more posters than fit: loading them all once settles; nothing loads itself again. */
static void test_many_posters_settle(void **state)
{
    (void)state;
    const size_t one = (size_t)IMAGE_DRAW_W * IMAGE_DRAW_H * 4;
    struct fixture f;
    fixture_open(&f, 8 * one);
    enum { N = 40 };
    char url[N][32];
    for (int i = 0; i < N; i++) {
        snprintf(url[i], sizeof(url[i]), "http://x/p%d.png", i);
        submit(&f, url[i], 300, 450, false, (Uint8)i);
    }
    settle(&f, N);
    /* What the app does every tick: fetch what is UNKNOWN. Nothing is. */
    int unknown = 0;
    for (int i = 0; i < N; i++)
        unknown += image_cache_state(f.cache, url[i]) == UI_IMAGE_UNKNOWN;
    assert_int_equal(unknown, 0);
    /* Drawing a screenful (the 6 first) brings back those, and only those. */
    for (int i = 0; i < 6; i++)
        image_cache_texture(f.cache, url[i]);
    assert_true(image_cache_wanted(f.cache));
    for (int i = 0; i < N; i++) {
        if (image_cache_state(f.cache, url[i]) == UI_IMAGE_UNKNOWN) {
            assert_true(i < 6);
            submit(&f, url[i], 300, 450, false, (Uint8)i);
            unknown++;
        }
    }
    assert_int_equal(unknown, 6);
    settle(&f, 6);
    for (int i = 0; i < 6; i++)
        assert_non_null(image_cache_texture(f.cache, url[i]));
    assert_false(image_cache_wanted(f.cache));
    struct ui_image_stats st;
    image_cache_stats(f.cache, &st);
    assert_int_equal(st.decoded, N + 6);
    assert_true(st.bytes <= 8 * one);
    fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_bomb_refused),
        cmocka_unit_test(test_scaled_to_drawn_size),
        cmocka_unit_test(test_lru_by_bytes),
        cmocka_unit_test(test_many_posters_settle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
