/* A theme's fonts per script (font.arabic = FILE ...: text_set_script_font, src/ui/text*.c) with
 * the installed fonts: the theme's face draws its script's runs ahead of the primary face (even
 * one that covers the script, as DejaVu Sans covers Arabic), a face that lacks a run's
 * characters is passed over for fontconfig's, and a file that can't be opened changes nothing. A
 * case whose font file is not installed is skipped, naming the package. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <SDL.h>
#include <fcntl.h>
#include <hb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/ui/text_internal.h"
#include "../../src/ui/ui_internal.h"
#include "../common/testutil.h"

#define DEJAVU "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#define NOTO_ARABIC "/usr/share/fonts/truetype/noto/NotoSansArabic-Bold.ttf"
#define NOTO_THAI "/usr/share/fonts/truetype/noto/NotoSansThai-Bold.ttf"

static bool installed(const char *file, const char *package)
{
    if (access(file, R_OK) == 0)
        return true;
    fprintf(stderr, "skipped: %s is not installed (%s)\n", file, package);
    return false;
}

/* The other end of a FIFO named as a font: counts the times a reader had it open (its
 * non-blocking open for writing succeeded) and closes at once, so a reader that blocked in
 * open() goes on. */
struct fifo_writer {
    const char *fifo;
    SDL_atomic_t done, opened;
};

static int fifo_writer_run(void *data)
{
    struct fifo_writer *w = data;
    while (!SDL_AtomicGet(&w->done)) {
        int fd = open(w->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            SDL_Delay(1); /* ENXIO: no reader */
            continue;
        }
        SDL_AtomicIncRef(&w->opened);
        close(fd);
    }
    return 0;
}

/* The face of the first run of s laid out at 40 px. */
static const char *run_face(struct text *t, const char *s)
{
    struct text_layout l;
    assert_int_equal(text_layout(text_fonts_of(t), s, 40, TEXT_BASE_AUTO_LTR, &l), 0);
    assert_true(l.n >= 1);
    return text_face_file(l.runs[0].face);
}

static void test_script_fonts(void **state)
{
    (void)state;
    if (!installed(DEJAVU, "fonts-dejavu-core") || !installed(NOTO_ARABIC, "fonts-noto-core") ||
        !installed(NOTO_THAI, "fonts-noto-core"))
        skip();
    char err[256];
    struct text *t = text_new(DEJAVU, err, sizeof(err));
    if (!t)
        fail_msg("no text engine: %s", err);
    const char *arabic = "\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"; /* marhaba */
    const char *thai = "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x94\xe0\xb8\xb5";
    const char *hebrew = "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"; /* shalom */

    /* Without a theme: DejaVu, the primary face, has Arabic and Hebrew letters. */
    assert_string_equal(run_face(t, arabic), DEJAVU);
    assert_string_equal(run_face(t, hebrew), DEJAVU);

    /* font.arabic: the theme's face, ahead of the primary one. */
    text_set_script_font(t, THEME_FONT_ARABIC, NOTO_ARABIC);
    assert_string_equal(run_face(t, arabic), NOTO_ARABIC);
    assert_string_equal(run_face(t, "Arabic 12"), DEJAVU); /* Latin stays in the primary */

    /* font.thai naming a face without Thai: passed over, never drawn as boxes. */
    text_set_script_font(t, THEME_FONT_THAI, DEJAVU);
    const char *face = run_face(t, thai);
    assert_string_not_equal(face, DEJAVU);
    struct text_layout l;
    assert_int_equal(text_layout(text_fonts_of(t), thai, 40, TEXT_BASE_AUTO_LTR, &l), 0);
    assert_true(text_face_has(l.runs[0].face, 0x0E2A));

    /* font.hebrew naming no file: nothing changes. */
    text_set_script_font(t, THEME_FONT_HEBREW, "/nonexistent/NoSuch-Bold.ttf");
    assert_string_equal(run_face(t, hebrew), DEJAVU);

    /* A FIFO is no font: never opened (SDL_ttf's blocking fopen would wait on the UI thread
     * for a writer), for a script and as the primary face. */
    const char *dir = tu_workdir("unit-theme-fonts");
    assert_non_null(dir);
    char fifo[900];
    snprintf(fifo, sizeof(fifo), "%s/fifo.ttf", dir);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    struct fifo_writer w = {.fifo = fifo};
    SDL_AtomicSet(&w.done, 0);
    SDL_AtomicSet(&w.opened, 0);
    SDL_Thread *writer = SDL_CreateThread(fifo_writer_run, "fifo-writer", &w);
    assert_non_null(writer);
    text_set_script_font(t, THEME_FONT_HEBREW, fifo);
    struct text *none = text_new(fifo, err, sizeof(err));
    SDL_AtomicSet(&w.done, 1);
    SDL_WaitThread(writer, NULL);
    unlink(fifo);
    if (SDL_AtomicGet(&w.opened) != 0)
        fail_msg("the FIFO %s was opened as a font %d time(s)", fifo, SDL_AtomicGet(&w.opened));
    assert_null(none);
    assert_non_null(strstr(err, "not a regular file"));
    assert_string_equal(run_face(t, hebrew), DEJAVU);

    /* The drawn text follows: the Arabic string is laid out as wide as Noto Sans Arabic makes
     * it, not as DejaVu does. */
    struct text *plain = text_new(DEJAVU, err, sizeof(err));
    assert_non_null(plain);
    struct text_layout a, b;
    assert_int_equal(text_layout(text_fonts_of(t), arabic, 40, TEXT_BASE_AUTO_LTR, &a), 0);
    assert_int_equal(text_layout(text_fonts_of(plain), arabic, 40, TEXT_BASE_AUTO_LTR, &b), 0);
    assert_int_not_equal(a.w, b.w);
    text_free(plain);
    text_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_script_fonts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
