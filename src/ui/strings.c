/* The strings drawn in the last frame, for the automation's "ui_strings" (docs/i18n.md: the
 * per-language e2e test checks that none of them is left in English). Recorded where a string
 * enters the text engine whole (text_draw, text_draw_wrapped, ui_text_block); a wrapped
 * string's lines are recorded too.
 *
 * Threading: UI thread only; one set per process (binge has one ui). */

#include <string.h>

#include "ui_internal.h"

#define STRINGS_MAX 16384

static char cur[STRINGS_MAX], last[STRINGS_MAX];
static size_t cur_len;

void ui_strings_note(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || cur_len + n + 2 > sizeof(cur) || memchr(s, '\n', n))
        return; /* full, or a multi-line block (its lines come one by one) */
    /* Once per frame: a card title drawn twice is one string. */
    for (const char *p = cur; p < cur + cur_len;) {
        const char *end = strchr(p, '\n');
        if ((size_t)(end - p) == n && memcmp(p, s, n) == 0)
            return;
        p = end + 1;
    }
    memcpy(cur + cur_len, s, n);
    cur_len += n;
    cur[cur_len++] = '\n';
    cur[cur_len] = '\0';
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
