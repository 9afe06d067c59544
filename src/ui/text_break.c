#include <linebreak.h>
#include <stdlib.h>
#include <string.h>
#include <thai/thbrk.h>
#include <thai/thwbrk.h>
#include <wchar.h>

#include "text_internal.h"

/* Line-break opportunities: UAX #14 through libunibreak (spaces, after hyphens, between CJK
 * ideographs and kana, never before closing punctuation), and inside Thai, which is written
 * without spaces between words, at the word boundaries of libthai's dictionary. */

static bool is_thai(uint32_t cp)
{
    return cp >= 0x0E00 && cp <= 0x0E7F;
}

/* Thai words in s[0..len): for each maximal run of Thai characters, libthai's breaks. */
static void thai_breaks(const char *s, size_t len, unsigned char *brk)
{
    uint32_t *cps = malloc((len + 1) * sizeof(*cps));
    size_t *offs = malloc((len + 1) * sizeof(*offs));
    wchar_t *ws = malloc((len + 1) * sizeof(*ws));
    int *pos = malloc((len + 1) * sizeof(*pos));
    char *copy = malloc(len + 1);
    if (!cps || !offs || !ws || !pos || !copy)
        goto fail;
    memcpy(copy, s, len);
    copy[len] = '\0';
    size_t n = text_utf8_decode(copy, cps, offs);
    size_t i = 0;
    while (i < n) {
        if (!is_thai(cps[i])) {
            i++;
            continue;
        }
        size_t end = i;
        while (end < n && is_thai(cps[end])) {
            ws[end - i] = (wchar_t)cps[end];
            end++;
        }
        ws[end - i] = L'\0';
        /* NULL: libthai's shared breaker with its default dictionary (libthai-data). */
        int np = th_brk_wc_find_breaks(NULL, (const thwchar_t *)ws, pos, len + 1);
        for (int k = 0; k < np; k++)
            if (pos[k] > 0 && (size_t)pos[k] < end - i && offs[i + (size_t)pos[k]] < len)
                brk[offs[i + (size_t)pos[k]]] = TEXT_BRK_ALLOW;
        i = end;
    }
fail:
    free(cps);
    free(offs);
    free(ws);
    free(pos);
    free(copy);
}

void text_breaks(const char *s, size_t len, unsigned char *brk)
{
    static bool ready;
    if (!ready) {
        init_linebreak();
        ready = true;
    }
    memset(brk, TEXT_BRK_NO, len);
    if (len == 0)
        return;
    char *after = malloc(len);
    if (!after)
        return;
    /* libunibreak says whether a line may break after each byte; a line starts after it. */
    set_linebreaks_utf8((const utf8_t *)s, len, NULL, after);
    for (size_t i = 0; i + 1 < len; i++) {
        if (after[i] == LINEBREAK_MUSTBREAK)
            brk[i + 1] = TEXT_BRK_MUST;
        else if (after[i] == LINEBREAK_ALLOWBREAK)
            brk[i + 1] = TEXT_BRK_ALLOW;
    }
    free(after);
    bool thai = false;
    for (size_t i = 0; i + 2 < len && !thai; i++)
        thai = (unsigned char)s[i] == 0xE0 &&
               ((unsigned char)s[i + 1] == 0xB8 || (unsigned char)s[i + 1] == 0xB9);
    if (thai)
        thai_breaks(s, len, brk);
}
