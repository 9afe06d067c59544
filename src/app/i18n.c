/* The UI language through gettext: the language table, the fallback mapping of regional tags,
 * and the locale set-up that needs no generated system locale (include/binge/i18n.h). */

#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binge/error.h"
#include "binge/i18n.h"
#include "binge/log.h"

LOG_MODULE("i18n");

#ifndef BINGE_LOCALEDIR
#define BINGE_LOCALEDIR "/usr/share/locale"
#endif

/* The settings screen lists them in this order. A new language is a row here and a .po file
 * in assets/i18n/ named after its catalog (docs/i18n.md). */
static const struct i18n_language languages[] = {
    {"en", NULL, "English"},
    {"es", "es", "Español"},
    {"pt-BR", "pt_BR", "Português (Brasil)"},
    {"fr", "fr", "Français"},
    {"de", "de", "Deutsch"},
    {"id", "id", "Bahasa Indonesia"},
    {"vi", "vi", "Tiếng Việt"},
    {"th", "th", "ไทย"},
    {"ja", "ja", "日本語"},
    {"ko", "ko", "한국어"},
    {"zh-Hans", "zh_CN", "简体中文"},
    {"ar", "ar", "العربية"},
    {"he", "he", "עברית"},
    {"hi", "hi", "हिन्दी"},
};
#define N_LANGUAGES (sizeof(languages) / sizeof(languages[0]))

/* Old or alternative primary subtags -> the one in the table. */
static const struct {
    const char *from, *to;
} aliases[] = {{"iw", "he"}, {"in", "id"}, {"zh", "zh-Hans"}, {"pt", "pt-BR"}};

static const struct i18n_language *active = &languages[0];
static char localedir[4096];
/* LC_MESSAGES = C.UTF-8 for the UI thread only (uselocale); freed at exit by the OS. */
static locale_t ui_locale;

const struct i18n_language *i18n_languages(size_t *n)
{
    *n = N_LANGUAGES;
    return languages;
}

/* The first tag of lang as a BCP 47 tag: "pt_BR.UTF-8@euro" -> "pt-BR", " th, en;q=0.5" ->
 * "th". Returns its length (0: nothing usable). */
static size_t first_tag(const char *lang, char *tag, size_t size)
{
    size_t n = 0;
    while (*lang == ' ')
        lang++;
    for (; *lang && n + 1 < size; lang++) {
        char c = *lang;
        if (c == ',' || c == ';' || c == '.' || c == '@' || c == ' ' || c == ':')
            break;
        if (c == '_')
            c = '-';
        if (!isalnum((unsigned char)c) && c != '-')
            return 0;
        tag[n++] = c;
    }
    tag[n] = '\0';
    return n;
}

static const struct i18n_language *by_tag(const char *tag)
{
    for (size_t i = 0; i < N_LANGUAGES; i++)
        if (strcasecmp(languages[i].tag, tag) == 0)
            return &languages[i];
    return NULL;
}

const struct i18n_language *i18n_resolve(const char *lang)
{
    char tag[64];
    if (!lang || first_tag(lang, tag, sizeof(tag)) == 0 || strcmp(tag, "C") == 0 ||
        strcasecmp(tag, "POSIX") == 0)
        return NULL;
    const struct i18n_language *l = by_tag(tag);
    if (l)
        return l;
    /* A regional or script variant: its language ("es-MX" -> "es", "zh-TW" -> "zh-Hans",
     * "pt-PT" -> "pt-BR"). */
    char *dash = strchr(tag, '-');
    if (dash)
        *dash = '\0';
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcasecmp(tag, aliases[i].from) == 0)
            return by_tag(aliases[i].to);
    return by_tag(tag);
}

bool i18n_is_rtl(const char *lang)
{
    static const char *const rtl[] = {"ar", "he", "iw", "fa", "ur", "yi", "ps", "sd", "ug"};
    char tag[64];
    if (!lang || first_tag(lang, tag, sizeof(tag)) == 0)
        return false;
    char *dash = strchr(tag, '-');
    if (dash)
        *dash = '\0';
    for (size_t i = 0; i < sizeof(rtl) / sizeof(rtl[0]); i++)
        if (strcasecmp(tag, rtl[i]) == 0)
            return true;
    return false;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The build tree's locale/ when this executable lives under the build tree (bin/ and the
 * tests' directories), else the installed one. */
static void pick_localedir(void)
{
    const char *env = getenv("BINGE_LOCALEDIR");
    if (env && *env) {
        snprintf(localedir, sizeof(localedir), "%s", env);
        return;
    }
    snprintf(localedir, sizeof(localedir), "%s", BINGE_LOCALEDIR);
#ifdef BINGE_BUILD_DIR
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    size_t blen = strlen(BINGE_BUILD_DIR);
    if (n > 0) {
        exe[n] = '\0';
        if (strncmp(exe, BINGE_BUILD_DIR, blen) == 0 && exe[blen] == '/' &&
            is_dir(BINGE_BUILD_DIR "/locale"))
            snprintf(localedir, sizeof(localedir), "%s", BINGE_BUILD_DIR "/locale");
    }
#endif
}

int i18n_init(const char *dir)
{
    if (dir)
        snprintf(localedir, sizeof(localedir), "%s", dir);
    else
        pick_localedir();
    /* Only the messages' category, and only on this (the UI) thread: glibc ignores LANGUAGE
     * when LC_MESSAGES is "C" and honours it under C.UTF-8, which Debian always has (libc-bin);
     * no ll_CC locale needs to be generated. Numbers, collation and the character type stay
     * "C", so JSON and strtod do not change with the viewer's locale. Every other thread stays
     * in the process's "C" locale: GStreamer's and libc's messages stay English there, which
     * the player reads to tell a missing segment from a broken stream (recover.c). */
    int rc = 0;
    if (!ui_locale)
        ui_locale = newlocale(LC_MESSAGES_MASK, "C.UTF-8", (locale_t)0);
    if (!ui_locale)
        ui_locale = newlocale(LC_MESSAGES_MASK, "C.utf8", (locale_t)0);
    if (!ui_locale) {
        log_warn("no C.UTF-8 locale: the menus stay in English");
        rc = BINGE_ENOTFOUND;
    } else {
        uselocale(ui_locale);
    }
    if (!bindtextdomain(BINGE_TEXTDOMAIN, localedir) ||
        !bind_textdomain_codeset(BINGE_TEXTDOMAIN, "UTF-8"))
        rc = BINGE_ENOMEM;
    /* Created now, before other threads run; i18n_set_language only replaces its value. */
    setenv("LANGUAGE", "en", 1);
    active = &languages[0];
    if (!is_dir(localedir))
        log_warn("no translations in %s: the menus stay in English", localedir);
    return rc;
}

const char *i18n_localedir(void)
{
    return localedir;
}

const struct i18n_language *i18n_set_language(const char *lang)
{
    const struct i18n_language *l = i18n_resolve(lang);
    if (!l) {
        if (lang && *lang)
            log_info("no menus in \"%s\": English", lang);
        l = &languages[0];
    }
    setenv("LANGUAGE", l->catalog ? l->catalog : "en", 1);
    /* gettext caches its lookups; textdomain() bumps the catalogs' generation (the gettext
     * manual's way to make a LANGUAGE change known). */
    textdomain(BINGE_TEXTDOMAIN);
    if (l != active)
        log_info("menus in %s", l->tag);
    active = l;
    return l;
}

const char *i18n_language(void)
{
    return active->tag;
}
