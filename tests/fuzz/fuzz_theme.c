/* libFuzzer target for theme files (src/ui/theme.c: theme_parse_buffer, theme_parse_safe_area).
 * Beyond no crash, leak or undefined behaviour: whatever a theme sets is inside its bounds, the
 * strings stay terminated, and input that is not a theme (a NUL, over THEME_FILE_MAX) changes
 * nothing. */
#include "binge/error.h"
#include "binge/theme.h"
#include "fuzz_common.h"

#include <string.h>

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    if (!sink)
        abort();

    struct theme t, def;
    theme_default(&def);
    t = def;
    int rc = theme_parse_buffer(&t, (const char *)data, size, "fuzz.theme", "/base", sink);
    FUZZ_CHECK(rc == 0 || rc == BINGE_EINVAL);
    if (size > THEME_FILE_MAX || memchr(data, '\0', size))
        FUZZ_CHECK(rc == BINGE_EINVAL && memcmp(&t, &def, sizeof(t)) == 0);
    FUZZ_CHECK(terminated(t.name, sizeof(t.name)) && t.name[0] != '\0');
    for (const char *p = t.name; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    FUZZ_CHECK(terminated(t.logo, sizeof(t.logo)));
    for (int i = 0; i < THEME_N_FONTS; i++)
        FUZZ_CHECK(terminated(t.fonts[i], sizeof(t.fonts[i])));
    FUZZ_CHECK(t.radius >= 0 && t.radius <= THEME_RADIUS_MAX);
    for (int i = 0; i < 4; i++)
        FUZZ_CHECK(t.safe_bp[i] == -1 || (t.safe_bp[i] >= 0 && t.safe_bp[i] <= THEME_SAFE_MAX_BP));

    /* The safe area grammar on its own (--safe-area takes it from the command line). */
    if (size < 256) {
        char s[256];
        memcpy(s, data, size);
        s[size] = '\0';
        int bp[4] = {-7, -7, -7, -7};
        if (theme_parse_safe_area(s, bp) == 0) {
            for (int i = 0; i < 4; i++)
                FUZZ_CHECK(bp[i] >= 0 && bp[i] <= THEME_SAFE_MAX_BP);
        } else {
            FUZZ_CHECK(bp[0] == -7 && bp[3] == -7);
        }
    }
    return 0;
}
