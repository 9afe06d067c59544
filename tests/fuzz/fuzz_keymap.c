/* libFuzzer target for what the input sources read from outside binge: keymap files
 * (src/input/keymap.c: keymap_parse, with includes that read the same input again) and lircd's
 * lines (src/input/lirc.c: lirc_parse_line). Beyond no crash, leak or undefined behaviour: a
 * parse returns 0 or BINGE_EINVAL with a message naming the file, the table stays within its
 * bound, and a LIRC button taken is a short printable name. */
#include "binge/error.h"
#include "fuzz_common.h"
#include "input_internal.h"
#include "lirc.h"

#include <ctype.h>
#include <string.h>

struct feed {
    const uint8_t *data;
    size_t size;
};

/* Every include reads the fuzzer's input again (nesting up to the depth bound), except an
 * include of "missing", which is not there. */
static int load_again(void *ctx, const char *name, char **text, size_t *len, char **path)
{
    const struct feed *f = ctx;
    *text = NULL;
    *path = NULL;
    if (strcmp(name, "missing") == 0)
        return BINGE_ENOTFOUND;
    *text = malloc(f->size + 1);
    *path = strdup("again.conf");
    if (!*text || !*path) {
        free(*text);
        free(*path);
        *text = *path = NULL;
        return BINGE_ENOMEM;
    }
    memcpy(*text, f->data, f->size);
    (*text)[f->size] = '\0';
    *len = f->size;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct feed f = {data, size};
    struct keymap *km = keymap_new();
    if (!km)
        return 0;
    char err[512] = "";
    int rc =
        keymap_parse(km, (const char *)data, size, "fuzz.conf", load_again, &f, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == BINGE_EINVAL);
    FUZZ_CHECK(rc == 0 || strstr(err, ".conf:") || strstr(err, "fuzz.conf: larger"));
    FUZZ_CHECK(keymap_size(km) <= KEYMAP_MAX_ENTRIES);
    static const char *const names[][2] = {
        {"sdl", "Up"}, {"lirc", "KEY_OK"}, {"cec", "SELECT"}, {"pad", "a"}, {"evdev", ""}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        enum input_action a = keymap_lookup(km, names[i][0], names[i][1]);
        FUZZ_CHECK(a >= INPUT_NONE && a < INPUT_ACTION_COUNT);
    }
    keymap_free(km);

    /* One lircd line (what the LIRC source hands lirc_parse_line: no newline, NUL-ended). */
    if (size <= LIRC_LINE_MAX) {
        char line[LIRC_LINE_MAX + 1];
        memcpy(line, data, size);
        line[size] = '\0';
        char button[LIRC_BUTTON_MAX + 1];
        unsigned repeat = 0;
        if (lirc_parse_line(line, button, sizeof(button), &repeat) == 0) {
            size_t n = strlen(button);
            FUZZ_CHECK(n > 0 && n <= LIRC_BUTTON_MAX);
            for (size_t i = 0; i < n; i++)
                FUZZ_CHECK(isgraph((unsigned char)button[i]));
        }
    }
    return 0;
}
