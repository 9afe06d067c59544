/* The UI language (src/app/i18n.c, docs/i18n.md): the fallback of regional tags to a catalog,
 * the RTL question, and gettext really translating from the build tree's catalogs under
 * C.UTF-8 with no generated locale, plurals by each language's rule (the .po's Plural-Forms). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binge/i18n.h"

static const char *resolved(const char *tag)
{
    const struct i18n_language *l = i18n_resolve(tag);
    return l ? l->tag : NULL;
}

static void test_fallback_mapping(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } rows[] = {
        {"es", "es"},
        {"es-MX", "es"},
        {"es_MX.UTF-8", "es"},
        {"pt-BR", "pt-BR"},
        {"pt-PT", "pt-BR"},
        {"pt_PT.UTF-8@euro", "pt-BR"},
        {"pt", "pt-BR"},
        {"zh-Hans", "zh-Hans"},
        {"zh-CN", "zh-Hans"},
        {"zh_CN.UTF-8", "zh-Hans"},
        {"zh-TW", "zh-Hans"}, /* until a zh-Hant catalog exists */
        {"zh-HK", "zh-Hans"},
        {"zh-Hant-TW", "zh-Hans"},
        {"zh", "zh-Hans"},
        {"th", "th"},
        {"th_TH.UTF-8", "th"},
        {"th, en;q=0.5", "th"},
        {" ar-EG;q=0.9", "ar"},
        {"fr-CA", "fr"},
        {"de-AT", "de"},
        {"en-US", "en"},
        {"en_GB.UTF-8", "en"},
        {"iw", "he"}, /* the old code of Hebrew */
        {"in", "id"}, /* and of Indonesian */
        {"ja-JP", "ja"},
        {"ko_KR", "ko"},
        {"vi-VN", "vi"},
        {"hi-IN", "hi"},
        {"C", NULL},
        {"POSIX", NULL},
        {"", NULL},
        {"xx-YY", NULL},
        {"sw", NULL},
        {"e$", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *got = resolved(rows[i].in);
        if ((got == NULL) != (rows[i].out == NULL) || (got && strcmp(got, rows[i].out) != 0))
            fail_msg("i18n_resolve(\"%s\") = %s, want %s", rows[i].in ? rows[i].in : "(null)",
                     got ? got : "NULL", rows[i].out ? rows[i].out : "NULL");
    }
}

static void test_rtl(void **state)
{
    (void)state;
    static const char *const rtl[] = {"ar", "ar-EG", "he", "he_IL.UTF-8", "iw", "fa", "ur-PK"};
    static const char *const ltr[] = {"en", "es", "th", "zh-Hans", "arn", "hi", "", "fr-CA"};
    for (size_t i = 0; i < sizeof(rtl) / sizeof(rtl[0]); i++)
        if (!i18n_is_rtl(rtl[i]))
            fail_msg("%s is right to left", rtl[i]);
    for (size_t i = 0; i < sizeof(ltr) / sizeof(ltr[0]); i++)
        if (i18n_is_rtl(ltr[i]))
            fail_msg("%s is left to right", ltr[i]);
    assert_false(i18n_is_rtl(NULL));
}

/* Every language of the table has a catalog in the build tree (en excepted), and a name. */
static void test_table_has_catalogs(void **state)
{
    (void)state;
    size_t n = 0;
    const struct i18n_language *l = i18n_languages(&n);
    assert_true(n >= 2);
    assert_string_equal(l[0].tag, "en");
    assert_null(l[0].catalog);
    for (size_t i = 1; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/locale/%s/LC_MESSAGES/binge.mo", BINGE_BUILD_DIR,
                 l[i].catalog);
        FILE *f = fopen(path, "rb");
        if (!f)
            fail_msg("%s: no %s", l[i].tag, path);
        fclose(f);
        assert_true(l[i].name && l[i].name[0]);
        assert_ptr_equal(i18n_resolve(l[i].tag), &l[i]);
    }
}

static int setup_gettext(void **state)
{
    (void)state;
    /* A box where the viewer's locale was never generated: LANG names it, LANGUAGE is set to
     * something else; neither may decide the menus' language. */
    setenv("LANG", "th_TH.UTF-8", 1);
    setenv("LANGUAGE", "de", 1);
    return i18n_init(BINGE_BUILD_DIR "/locale") == 0 ? 0 : -1;
}

static void test_translates_without_a_generated_locale(void **state)
{
    (void)state;
    assert_string_equal(i18n_localedir(), BINGE_BUILD_DIR "/locale");
    assert_string_equal(i18n_language(), "en");
    assert_string_equal(_("Wallet"), "Wallet");
    assert_string_equal(i18n_set_language("es-MX")->tag, "es");
    assert_string_equal(i18n_language(), "es");
    assert_string_equal(_("Wallet"), "Monedero");
    assert_string_equal(_("Episode %d is locked"), "El episodio %d está bloqueado");
    /* A string no catalog has: English. */
    assert_string_equal(_("A string no catalog has"), "A string no catalog has");
    /* Back to English, and an unknown language is English too. */
    assert_string_equal(i18n_set_language("en")->tag, "en");
    assert_string_equal(_("Wallet"), "Wallet");
    assert_string_equal(i18n_set_language("sw")->tag, "en");
    assert_string_equal(_("Wallet"), "Wallet");
    assert_string_equal(i18n_set_language(NULL)->tag, "en");
}

static void *wallet_elsewhere(void *arg)
{
    (void)arg;
    return (void *)_("Wallet");
}

/* Only the UI thread translates: GStreamer's threads must keep English messages (the player
 * reads them, src/player/recover.c), and their catalogs follow LANGUAGE as binge's does. */
static void test_other_threads_stay_english(void **state)
{
    (void)state;
    assert_string_equal(i18n_set_language("es")->tag, "es");
    assert_string_equal(_("Wallet"), "Monedero");
    pthread_t t;
    void *got = NULL;
    assert_int_equal(pthread_create(&t, NULL, wallet_elsewhere, NULL), 0);
    assert_int_equal(pthread_join(t, &got), 0);
    assert_string_equal((const char *)got, "Wallet");
    i18n_set_language("en");
}

static void test_plurals_by_language(void **state)
{
    (void)state;
    i18n_set_language("en");
    assert_string_equal(P_("%d coin", "%d coins", 1), "%d coin");
    assert_string_equal(P_("%d coin", "%d coins", 0), "%d coins");
    assert_string_equal(P_("%d coin", "%d coins", 5), "%d coins");
    i18n_set_language("es");
    assert_string_equal(P_("%d coin", "%d coins", 1), "%d moneda");
    assert_string_equal(P_("%d coin", "%d coins", 0), "%d monedas");
    assert_string_equal(P_("%d coin", "%d coins", 5), "%d monedas");
    /* French: 0 and 1 are singular (plural=(n > 1)). */
    i18n_set_language("fr");
    assert_string_equal(P_("%d coin", "%d coins", 0), "%d pièce");
    assert_string_equal(P_("%d coin", "%d coins", 1), "%d pièce");
    assert_string_equal(P_("%d coin", "%d coins", 2), "%d pièces");
    /* Thai: one form for every n (plural=0). */
    i18n_set_language("th");
    assert_string_equal(P_("%d coin", "%d coins", 1), "%d เหรียญ");
    assert_string_equal(P_("%d coin", "%d coins", 7), "%d เหรียญ");
    assert_string_equal(P_("Paid: VIP for %d more day", "Paid: VIP for %d more days", 1),
                        "ชำระแล้ว: VIP เพิ่มอีก %d วัน");
    /* Arabic: six forms, zero, one, two, 3-10, 11-99 and the rest (100, 101, ...). */
    i18n_set_language("ar");
    static const struct {
        unsigned long n;
        const char *form;
    } ar[] = {
        {0, "تم الدفع: VIP لمدة %d يوم إضافي"},   {1, "تم الدفع: VIP ليوم إضافي (%d)"},
        {2, "تم الدفع: VIP ليومين إضافيين (%d)"}, {5, "تم الدفع: VIP لـ %d أيام إضافية"},
        {10, "تم الدفع: VIP لـ %d أيام إضافية"},  {11, "تم الدفع: VIP لـ %d يومًا إضافيًا"},
        {99, "تم الدفع: VIP لـ %d يومًا إضافيًا"},  {100, "تم الدفع: VIP لـ %d يوم إضافي"},
        {103, "تم الدفع: VIP لـ %d أيام إضافية"},
    };
    for (size_t i = 0; i < sizeof(ar) / sizeof(ar[0]); i++) {
        const char *got = P_("Paid: VIP for %d more day", "Paid: VIP for %d more days", ar[i].n);
        if (strcmp(got, ar[i].form) != 0)
            fail_msg("ar, n = %lu: \"%s\", want \"%s\"", ar[i].n, got, ar[i].form);
    }
    i18n_set_language("en");
}

/* Each catalog translates in its language, looked up through its tag. */
static void test_every_catalog_translates(void **state)
{
    (void)state;
    size_t n = 0;
    const struct i18n_language *l = i18n_languages(&n);
    for (size_t i = 1; i < n; i++) {
        assert_ptr_equal(i18n_set_language(l[i].tag), &l[i]);
        if (strcmp(_("Settings"), "Settings") == 0 || strcmp(_("Wallet"), "Wallet") == 0)
            fail_msg("%s: the menus stay English", l[i].tag);
    }
    assert_string_equal(i18n_set_language("zh-TW")->tag, "zh-Hans");
    assert_string_equal(_("Wallet"), "钱包");
    assert_string_equal(i18n_set_language("pt-PT")->tag, "pt-BR");
    assert_string_equal(_("Wallet"), "Carteira");
    i18n_set_language("en");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fallback_mapping),
        cmocka_unit_test(test_rtl),
        cmocka_unit_test(test_table_has_catalogs),
        cmocka_unit_test(test_translates_without_a_generated_locale),
        cmocka_unit_test(test_other_threads_stay_english),
        cmocka_unit_test(test_plurals_by_language),
        cmocka_unit_test(test_every_catalog_translates),
    };
    return cmocka_run_group_tests(tests, setup_gettext, NULL);
}
