#include <hb.h>
#include <linebreak.h>
#include <stdlib.h>
#include <string.h>
#include <thai/thbrk.h>
#include <thai/thwbrk.h>
#include <wchar.h>

#include "text_internal.h"

/* Line-break opportunities: UAX #14 through libunibreak (spaces, after hyphens, between CJK
 * ideographs and kana, never before closing punctuation); inside Thai, which is written
 * without spaces between words, at the word boundaries of libthai's dictionary; Korean words
 * kept whole (breaks at its spaces only). */

static bool is_hangul(uint32_t cp)
{
    return (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF) ||
           (cp >= 0x3130 && cp <= 0x318F) || (cp >= 0xA960 && cp <= 0xA97F) ||
           (cp >= 0xD7B0 && cp <= 0xD7FF);
}

/* Korean puts spaces between words and keeps each word whole (CSS word-break: keep-all), where
 * UAX #14 alone would break between any two syllables. */
static void keep_korean_words(const char *s, size_t len, unsigned char *brk)
{
    uint32_t *cps = malloc((len + 1) * sizeof(*cps));
    size_t *offs = malloc((len + 1) * sizeof(*offs));
    char *copy = malloc(len + 1);
    if (!cps || !offs || !copy)
        goto fail;
    memcpy(copy, s, len);
    copy[len] = '\0';
    size_t n = text_utf8_decode(copy, cps, offs);
    for (size_t i = 1; i < n; i++)
        if (is_hangul(cps[i - 1]) && is_hangul(cps[i]) && brk[offs[i]] == TEXT_BRK_ALLOW)
            brk[offs[i]] = TEXT_BRK_NO;
fail:
    free(cps);
    free(offs);
    free(copy);
}

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
    bool thai = false, hangul = false;
    for (size_t i = 0; i + 2 < len; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)s[i + 1];
        thai = thai || (a == 0xE0 && (b == 0xB8 || b == 0xB9));
        hangul = hangul || (a >= 0xEA && a <= 0xED) || (a == 0xE1 && b >= 0x84 && b <= 0x87) ||
                 (a == 0xE3 && b >= 0x84 && b <= 0x86);
    }
    if (thai)
        thai_breaks(s, len, brk);
    if (hangul)
        keep_korean_words(s, len, brk);
}

static bool is_mark(uint32_t cp)
{
    hb_unicode_general_category_t gc =
        hb_unicode_general_category(hb_unicode_funcs_get_default(), cp);
    return gc == HB_UNICODE_GENERAL_CATEGORY_NON_SPACING_MARK ||
           gc == HB_UNICODE_GENERAL_CATEGORY_SPACING_MARK ||
           gc == HB_UNICODE_GENERAL_CATEGORY_ENCLOSING_MARK || cp == 0x200D ||
           (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0x1F3FB && cp <= 0x1F3FF);
}

size_t text_cut_points(const char *s, size_t len, size_t *cuts)
{
    size_t nc = 0;
    /* Up to 4 bytes: a malformed sequence decodes to up to 4 U+FFFD, with 5 offsets. */
    uint32_t cp[4];
    size_t offs[5];
    for (size_t i = 1; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue;
        char one[5] = {0};
        size_t n = 1;
        while (n < 4 && i + n < len && ((unsigned char)s[i + n] & 0xC0) == 0x80)
            n++;
        memcpy(one, s + i, n);
        if (text_utf8_decode(one, cp, offs) == 1 && is_mark(cp[0]))
            continue; /* the mark stays on its base */
        if (i >= 3 && memcmp(s + i - 3, "\xE2\x80\x8D", 3) == 0)
            continue; /* after a zero-width joiner (U+200D) */
        cuts[nc++] = i;
    }
    return nc;
}
