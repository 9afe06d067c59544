/* The strings drawn in the last frame, for the automation's `state strings` (docs/i18n.md: the
 * per-language e2e test checks that none of them is left in English). Recorded where a string
 * enters the text engine whole (text_draw, text_draw_wrapped, ui_text_block); a wrapped
 * string's lines are recorded too, and a cached layer's strings each frame it is shown.
 *
 * Threading: UI thread only; one set per process (binge has one ui). */

#include <string.h>

#include "ui_internal.h"

#define STRINGS_MAX 16384

static char cur[STRINGS_MAX], last[STRINGS_MAX], layer[STRINGS_MAX / 4];
static size_t cur_len, layer_len;
static bool composing;

static void add(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
    if (*len + n + 2 > size)
        return;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[(*len)++] = '\n';
    buf[*len] = '\0';
}

void ui_strings_note(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || memchr(s, '\n', n))
        return; /* a multi-line block: its lines come one by one */
    if (composing)
        add(layer, sizeof(layer), &layer_len, s, n);
    /* Once per frame: a card title drawn twice is one string. */
    for (const char *p = cur; p < cur + cur_len;) {
        const char *end = strchr(p, '\n');
        if ((size_t)(end - p) == n && memcmp(p, s, n) == 0)
            return;
        p = end + 1;
    }
    add(cur, sizeof(cur), &cur_len, s, n); /* a full buffer drops the rest of the frame's */
}

void ui_strings_layer(bool begin)
{
    composing = begin;
    if (begin) {
        layer_len = 0;
        layer[0] = '\0';
    }
}

void ui_strings_layer_copied(void)
{
    char line[1024];
    for (const char *p = layer; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = (size_t)(end - p);
        if (n < sizeof(line)) {
            memcpy(line, p, n);
            line[n] = '\0';
            ui_strings_note(line);
        }
        p = end + 1;
    }
}

void ui_strings_frame(struct ui *ui)
{
    (void)ui;
    if (cur_len == 0)
        return; /* a frame that drew no text (a video frame) keeps the last one's */
    memcpy(last, cur, cur_len + 1);
    cur_len = 0;
    cur[0] = '\0';
}

const char *ui_drawn_strings(const struct ui *ui)
{
    (void)ui;
    return cur_len ? cur : last;
}
