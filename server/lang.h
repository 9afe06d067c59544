#ifndef BINGE_SERVER_LANG_H
#define BINGE_SERVER_LANG_H

/* Languages of binge-server responses: Accept-Language negotiation, the server's own fixed
 * strings (shelf titles, pack titles) and the case folding used by search.
 *
 * Everything here is a pure function over static tables: thread-safe, no allocation except
 * lang_fold(). Language codes are primary subtags ("en", "es", "pt", "fr", "de", "id", "th",
 * "vi", "ja", "ko", "zh", "ar", "he", "hi") except "zh-Hant": "zh" is Simplified Chinese and
 * "pt" Brazilian Portuguese. "en" is the fallback and the language of catalog.json's base
 * texts. */

#include <stdbool.h>
#include <stddef.h>

/* Number of supported languages. */
#define LANG_COUNT 15

/* Longest Accept-Language value that is looked at, in bytes; the rest is ignored. */
#define LANG_HEADER_MAX 1024

/* The fixed strings the server itself renders. */
enum lang_text {
    LANG_TEXT_TRENDING,
    LANG_TEXT_NEW,
    LANG_TEXT_CONTINUE,
    LANG_TEXT_MYLIST,
    LANG_TEXT_COINS,    /* printf format with one %d: "%d coins" */
    LANG_TEXT_VIP_DAYS, /* printf format with one %d: "VIP, %d days" */
    LANG_TEXT_EPISODE,  /* printf format with one %d: "Episode %d", an episode without a title */
    LANG_TEXT_COUNT,
};

/* The supported codes, "en" first. */
extern const char *const lang_codes[LANG_COUNT];

/* True when code is one of lang_codes. */
bool lang_is_supported(const char *code);

/* Picks the supported language with the highest q-value in an Accept-Language header (RFC 9110
 * section 12.5.4): a regional tag counts as its language ("pt-PT" and "pt-BR" as "pt", "es-MX"
 * as "es"), except Chinese, split by script ("zh-TW", "zh-HK", "zh-MO" and "zh-Hant-*" give
 * "zh-Hant", any other "zh*" gives "zh"); "iw" and "in" count as "he" and "id"; q=0 excludes a
 * language, "*" stands for "en", ties go to the earlier entry. NULL, an empty or an unparsable
 * header, or one naming no supported language, gives "en". Returns a static string from
 * lang_codes. */
const char *lang_pick(const char *accept_language);

/* The language whose catalog texts stand in for code's missing ones before English: "zh" for
 * "zh-Hant"; NULL for every other code (English directly). */
const char *lang_fallback(const char *code);

/* A fixed string in lang (an unsupported lang gives English). Static, never NULL. */
const char *lang_text(const char *lang, enum lang_text which);

/* Writes the fixed string which (one of the formats with a number) with n in place of its
 * "%d" into out (cap bytes including the NUL, truncated when shorter). */
void lang_format_count(const char *lang, enum lang_text which, long long n, char *out, size_t cap);

/* True when s is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
bool lang_utf8_valid(const char *s, size_t n);

/* Case-folds valid UTF-8 for case-insensitive matching: ASCII, Latin-1, Latin Extended-A,
 * Vietnamese (Ơ, Ư and Latin Extended Additional), Greek and Cyrillic capitals become small
 * letters; everything else is copied. Returns a malloc'd
 * string (transfer full) or NULL when out of memory. */
char *lang_fold(const char *s);

#endif
