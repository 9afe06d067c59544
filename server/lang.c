#include "lang.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const lang_codes[LANG_COUNT] = {"en", "es", "pt", "th", "ja",      "zh", "ar", "fr",
                                            "de", "id", "vi", "ko", "zh-Hant", "he", "hi"};

/* Rows follow lang_codes. */
static const char *const lang_texts[LANG_TEXT_COUNT][LANG_COUNT] = {
    [LANG_TEXT_TRENDING] = {"Trending", "Tendencias", "Em alta", "กำลังฮิต", "人気急上昇", "热门",
                            "الأكثر رواجًا", "Tendances", "Angesagt", "Sedang tren", "Thịnh hành",
                            "인기 급상승", "熱門", "פופולרי עכשיו", "ट्रेंडिंग"},
    [LANG_TEXT_NEW] = {"New", "Novedades", "Novidades", "มาใหม่", "新着", "最新", "جديد",
                       "Nouveautés", "Neu", "Baru", "Mới", "신작", "最新", "חדש", "नया"},
    [LANG_TEXT_CONTINUE] = {"Continue watching", "Seguir viendo", "Continuar assistindo", "ดูต่อ",
                            "続きを見る", "继续观看", "متابعة المشاهدة", "Continuer à regarder",
                            "Weiterschauen", "Lanjutkan menonton", "Xem tiếp", "이어 보기",
                            "繼續觀看", "להמשיך לצפות", "देखना जारी रखें"},
    [LANG_TEXT_MYLIST] = {"My list", "Mi lista", "Minha lista", "รายการของฉัน", "マイリスト",
                          "我的片单", "قائمتي", "Ma liste", "Meine Liste", "Daftar saya",
                          "Danh sách của tôi", "내 목록", "我的片單", "הרשימה שלי", "मेरी सूची"},
    [LANG_TEXT_COINS] = {"%d coins", "%d monedas", "%d moedas", "%d เหรียญ", "%dコイン", "%d 金币",
                         "%d عملة", "%d pièces", "%d Münzen", "%d koin", "%d xu", "%d코인",
                         "%d 金幣", "%d מטבעות", "%d सिक्के"},
    [LANG_TEXT_VIP_DAYS] = {"VIP, %d days", "VIP, %d días", "VIP, %d dias", "VIP %d วัน",
                            "VIP %d日間", "VIP %d 天", "VIP لمدة %d يومًا", "VIP, %d jours",
                            "VIP, %d Tage", "VIP, %d hari", "VIP, %d ngày", "VIP %d일", "VIP %d 天",
                            "VIP ל-%d ימים", "VIP, %d दिन"},
    [LANG_TEXT_EPISODE] = {"Episode %d", "Episodio %d", "Episódio %d", "ตอนที่ %d", "第%d話",
                           "第%d集", "الحلقة %d", "Épisode %d", "Folge %d", "Episode %d", "Tập %d",
                           "%d화", "第%d集", "פרק %d", "एपिसोड %d"},
};

static int lang_index(const char *code)
{
    /* By length and bytes: GCC's -Wstring-compare (Release) takes strcmp of a 4-byte code
     * against "zh-Hant" for a bug, as it is known to be unequal. */
    size_t n = code ? strlen(code) : 0;

    for (int i = 0; code && i < LANG_COUNT; i++) {
        if (strlen(lang_codes[i]) == n && memcmp(code, lang_codes[i], n) == 0)
            return i;
    }
    return -1;
}

const char *lang_fallback(const char *code)
{
    if (code && strcmp(code, "zh-Hant") == 0)
        return "zh";
    return NULL;
}

bool lang_is_supported(const char *code)
{
    return lang_index(code) >= 0;
}

const char *lang_text(const char *lang, enum lang_text which)
{
    int i = lang_index(lang);

    if ((unsigned)which >= LANG_TEXT_COUNT)
        return "";
    return lang_texts[which][i < 0 ? 0 : i];
}

void lang_format_count(const char *lang, enum lang_text which, long long n, char *out, size_t cap)
{
    const char *fmt = lang_text(lang, which);
    const char *mark = strstr(fmt, "%d");

    if (!out || cap == 0)
        return;
    /* Substituted by hand: the format comes from a table, and a table format would defeat the
     * compiler's printf checking. */
    if (!mark)
        snprintf(out, cap, "%s", fmt);
    else
        snprintf(out, cap, "%.*s%lld%s", (int)(mark - fmt), fmt, n, mark + 2);
}

/* Parses "q=0.5" style weights (RFC 9110 qvalue: 0, 1, or 0.ddd / 1.000). Returns the weight in
 * thousandths, or -1 when malformed. */
static int parse_qvalue(const char *s, size_t n)
{
    int v;
    size_t i;

    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    v = (s[0] - '0') * 1000;
    if (n == 1)
        return v;
    if (s[1] != '.' || n > 5)
        return -1;
    for (i = 2; i < 5; i++) {
        int d = 0;
        if (i < n) {
            if (!isdigit((unsigned char)s[i]))
                return -1;
            d = s[i] - '0';
        }
        v += d * (i == 2 ? 100 : i == 3 ? 10 : 1);
    }
    return v > 1000 ? -1 : v;
}

static size_t trim(const char **s, size_t n)
{
    while (n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        n--;
    }
    while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
        n--;
    return n;
}

/* True when the n-byte subtag s is word, ignoring case. */
static bool subtag_is(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/* The supported language of one language tag (RFC 5646; '_' is taken for '-'), or -1. The
 * primary subtag decides ("pt-PT" and "pt-BR" are "pt", "es-419" is "es"), with two
 * exceptions: Chinese is split by script, "zh-Hant" or a region that writes Traditional
 * characters (TW, HK, MO) giving "zh-Hant" and everything else "zh" (Simplified); and the
 * deprecated codes still sent by old Java and Android stacks, "iw" and "in", are "he" and "id". */
static int tag_lang(const char *tag, size_t n)
{
    size_t plen = 0;
    char primary[4];

    while (plen < n && tag[plen] != '-' && tag[plen] != '_')
        plen++;
    if (plen < 2 || plen > 3)
        return -1;
    for (size_t i = 0; i < plen; i++)
        primary[i] = (char)tolower((unsigned char)tag[i]);
    primary[plen] = '\0';
    if (strcmp(primary, "iw") == 0)
        return lang_index("he");
    if (strcmp(primary, "in") == 0)
        return lang_index("id");
    if (strcmp(primary, "zh") == 0) {
        bool hant = false;
        bool hans = false;
        size_t pos = plen;
        while (pos < n) {
            const char *sub = tag + pos + 1;
            size_t len = 0;
            while (pos + 1 + len < n && sub[len] != '-' && sub[len] != '_')
                len++;
            if (subtag_is(sub, len, "hans"))
                hans = true;
            else if (subtag_is(sub, len, "hant") || subtag_is(sub, len, "tw") ||
                     subtag_is(sub, len, "hk") || subtag_is(sub, len, "mo"))
                hant = true;
            pos += 1 + len;
        }
        /* An explicit script wins over the region: "zh-Hans-HK" is Simplified. */
        return lang_index(hant && !hans ? "zh-Hant" : "zh");
    }
    return lang_index(primary);
}

/* Evaluates one "tag;q=x" element: *lang gets the supported index (-1: none, -2: "*"), returns
 * the weight in thousandths (-1 when malformed). */
static int parse_range(const char *s, size_t n, int *lang)
{
    const char *semi = memchr(s, ';', n);
    size_t tag_len = semi ? (size_t)(semi - s) : n;
    const char *tag = s;
    int q = 1000;

    *lang = -1;
    tag_len = trim(&tag, tag_len);
    if (semi) {
        const char *p = semi + 1;
        size_t pn = n - (size_t)(p - s);
        pn = trim(&p, pn);
        if (pn < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
            return -1;
        p += 2;
        pn -= 2;
        q = parse_qvalue(p, trim(&p, pn));
        if (q < 0)
            return -1;
    }
    if (tag_len == 1 && tag[0] == '*') {
        *lang = -2;
        return q;
    }
    *lang = tag_lang(tag, tag_len);
    return q;
}

const char *lang_pick(const char *header)
{
    int best = -1;
    int best_q = 0;
    size_t len;
    size_t pos = 0;
    int excluded[LANG_COUNT] = {0};

    if (!header)
        return lang_codes[0];
    len = strnlen(header, LANG_HEADER_MAX);
    /* Two passes: an explicit q=0 for a language wins over a "*" that would admit it. */
    while (pos < len) {
        const char *el = header + pos;
        const char *comma = memchr(el, ',', len - pos);
        size_t n = comma ? (size_t)(comma - el) : len - pos;
        int lang;
        int q = parse_range(el, n, &lang);

        pos += n + (comma ? 1 : 0);
        if (q == 0 && lang >= 0)
            excluded[lang] = 1;
    }
    pos = 0;
    while (pos < len) {
        const char *el = header + pos;
        const char *comma = memchr(el, ',', len - pos);
        size_t n = comma ? (size_t)(comma - el) : len - pos;
        int lang;
        int q = parse_range(el, n, &lang);

        pos += n + (comma ? 1 : 0);
        if (q <= 0 || lang == -1)
            continue;
        if (lang == -2) {
            /* "*": any language not named; English is ours to pick. */
            if (excluded[0])
                continue;
            lang = 0;
        }
        if (q > best_q) {
            best_q = q;
            best = lang;
        }
    }
    return lang_codes[best < 0 ? 0 : best];
}

bool lang_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        uint32_t cp;
        size_t extra;

        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= n)
            return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

/* Simple one-to-one lower-casing for the scripts of the supported languages that have case. */
static uint32_t fold_cp(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return cp + 32;
    if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7)
        return cp + 32;
    if (cp >= 0x100 && cp <= 0x17f) {
        /* Latin Extended-A pairs capitals and smalls, with the parity flipping at 0x139. */
        if (cp == 0x130 || cp == 0x131 || cp == 0x138 || cp == 0x149 || cp == 0x17f)
            return cp;
        if (cp == 0x178)
            return 0xff;
        if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
            return (cp & 1) ? cp + 1 : cp;
        return (cp & 1) ? cp : cp + 1;
    }
    /* Vietnamese: O and U with a horn (Latin Extended-B), then Latin Extended Additional, where
     * capitals are even and smalls odd (the letters with stacked diacritics: Ệ, Ữ, Ặ...). */
    if (cp == 0x1a0 || cp == 0x1af)
        return cp + 1;
    if ((cp >= 0x1e00 && cp <= 0x1e95) || (cp >= 0x1ea0 && cp <= 0x1eff))
        return cp | 1;
    if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2)
        return cp + 32;
    if (cp >= 0x410 && cp <= 0x42f)
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40f)
        return cp + 80;
    return cp;
}

static size_t put_cp(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

char *lang_fold(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);
    /* Folding never makes a character longer in UTF-8 within these ranges. */
    char *out = malloc(n + 1);
    size_t i = 0;
    size_t o = 0;

    if (!out)
        return NULL;
    while (i < n) {
        unsigned char c = s[i];
        uint32_t cp;
        size_t len;

        if (c < 0x80) {
            cp = c;
            len = 1;
        } else if (c >= 0xc0 && c < 0xe0 && i + 1 < n) {
            cp = (uint32_t)(c & 0x1f) << 6 | (s[i + 1] & 0x3f);
            len = 2;
        } else if (c == 0xe1 && i + 2 < n) {
            /* U+1000..U+1FFF: Latin Extended Additional's letters fold within three bytes. */
            cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f);
            len = 3;
        } else {
            /* Other three- and four-byte sequences hold no cased letters we fold: copy them. */
            len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 1;
            if (i + len > n)
                len = n - i;
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
            continue;
        }
        o += put_cp(fold_cp(cp), out + o);
        i += len;
    }
    out[o] = '\0';
    return out;
}
