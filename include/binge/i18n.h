#ifndef BINGE_I18N_H
#define BINGE_I18N_H

/* The UI's language through GNU gettext (glibc's libintl): the strings a viewer reads are
 * English msgids in the source, translated from assets/i18n/<catalog>.po, compiled by msgfmt
 * into <localedir>/<catalog>/LC_MESSAGES/binge.mo (docs/i18n.md).
 *
 *   _("Wallet")                          a string
 *   N_("Wallet")                         marks a string for xgettext; translate it with _() later
 *   P_("%d coin", "%d coins", n)         a plural by the language's rule (the .po's Plural-Forms)
 *
 * binge never depends on a generated system locale: on the UI thread LC_MESSAGES is C.UTF-8
 * (glibc ignores the LANGUAGE variable under "C" but not under C.UTF-8; set with uselocale) and
 * the language is given to gettext by LANGUAGE, so `--language th` translates on a box where
 * th_TH was never generated. Other threads stay in the "C" locale: GStreamer's and libc's
 * messages stay English there (the player reads them).
 *
 * Threading: i18n_init and i18n_set_language run on the UI thread (i18n_init before any other
 * thread starts: it creates the LANGUAGE variable, which i18n_set_language later only
 * replaces). _() and P_() translate on the UI thread only; on another thread they answer the
 * English msgid. The lookups below may be called from any thread.
 * Ownership: every const char * returned points to static storage (the language table or
 * gettext's catalog) and stays valid for the process's life. */

#include <libintl.h>
#include <stdbool.h>
#include <stddef.h>

#define BINGE_TEXTDOMAIN "binge"
#define _(s) dgettext(BINGE_TEXTDOMAIN, s)
#define N_(s) (s)
#define P_(s, p, n) dngettext(BINGE_TEXTDOMAIN, s, p, (unsigned long)(n))

/* A UI language binge has a catalog for (English needs none: it is the source). */
struct i18n_language {
    const char *tag;     /* BCP 47: "en", "pt-BR", "zh-Hans" (what `state` shows) */
    const char *catalog; /* gettext's name of the catalog: "pt_BR", "zh_CN"; NULL for en */
    const char *name;    /* its own name, in its own script: "Português (Brasil)", "ไทย" */
};

/* The UI languages in the settings screen's order (en first); *n gets how many. */
const struct i18n_language *i18n_languages(size_t *n);

/* The UI language for tag, a BCP 47 tag or a POSIX locale name ("th", "pt-PT", "pt_PT.UTF-8",
 * "zh-TW", "es-MX", "th, en;q=0.5" takes its first tag). A regional or script variant falls
 * back to its language: pt-* -> pt-BR, zh-* -> zh-Hans (until a zh-Hant catalog exists),
 * es-MX -> es. NULL when binge has no catalog for it (the caller falls back to English). */
const struct i18n_language *i18n_resolve(const char *tag);

/* Sets up gettext: LC_MESSAGES = C.UTF-8 on the calling (UI) thread, the text domain bound to
 * localedir in UTF-8, and the language en. localedir NULL picks one: $BINGE_LOCALEDIR if set, else
 * the build tree's locale/ when this executable runs from the build tree, else the installed
 * share/locale. Returns 0, or BINGE_ENOTFOUND when no C.UTF-8 locale exists (binge stays in
 * English). */
int i18n_init(const char *localedir);

/* The locale directory gettext reads (after i18n_init). */
const char *i18n_localedir(void);

/* Makes lang (resolved by i18n_resolve; NULL or unknown -> en) the UI language: the next _()
 * translates to it. Returns the language now active (never NULL). */
const struct i18n_language *i18n_set_language(const char *lang);

/* The active UI language's BCP 47 tag ("en" before any i18n_set_language). */
const char *i18n_language(void);

/* True when lang (a tag or locale name) is written right to left: ar, he, fa, ur (and their
 * regional variants, "ar-EG", "he_IL.UTF-8"). NULL -> false. */
bool i18n_is_rtl(const char *lang);

#endif
