#include "binge/theme.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binge/error.h"

/* The theme file parser (include/binge/theme.h). Pure: no SDL calls, no log (messages go to the
 * caller's FILE), so the unit tests drive it with rows of text. */

static const char *const color_names[THEME_N_COLORS] = {
    [THEME_BACKGROUND] = "background", [THEME_PANEL] = "panel",         [THEME_CARD] = "card",
    [THEME_CARD_DIM] = "card_dim",     [THEME_CELL] = "cell",           [THEME_TEXT] = "text",
    [THEME_TEXT_DIM] = "text_dim",     [THEME_TEXT_SOFT] = "text_soft", [THEME_ACCENT] = "accent",
    [THEME_FOCUS] = "focus",           [THEME_ERROR] = "error",         [THEME_SUCCESS] = "success",
    [THEME_SHADE] = "shade",           [THEME_HIGHLIGHT] = "highlight",
};

/* binge's look before themes: the values src/ui/ui_internal.h and the views had as constants. */
static const SDL_Color default_colors[THEME_N_COLORS] = {
    [THEME_BACKGROUND] = {16, 16, 24, 255},  [THEME_PANEL] = {24, 24, 34, 235},
    [THEME_CARD] = {44, 44, 60, 255},        [THEME_CARD_DIM] = {30, 30, 42, 235},
    [THEME_CELL] = {52, 52, 70, 235},        [THEME_TEXT] = {240, 240, 245, 255},
    [THEME_TEXT_DIM] = {150, 150, 165, 255}, [THEME_TEXT_SOFT] = {215, 215, 225, 255},
    [THEME_ACCENT] = {255, 72, 110, 255},    [THEME_FOCUS] = {196, 28, 78, 255},
    [THEME_ERROR] = {255, 120, 90, 255},     [THEME_SUCCESS] = {120, 220, 150, 255},
    [THEME_SHADE] = {0, 0, 0, 255},          [THEME_HIGHLIGHT] = {255, 255, 255, 255},
};

static const char *const font_names[THEME_N_FONTS] = {
    [THEME_FONT_LATIN] = "latin",
    [THEME_FONT_ARABIC] = "arabic",
    [THEME_FONT_HEBREW] = "hebrew",
    [THEME_FONT_THAI] = "thai",
    [THEME_FONT_DEVANAGARI] = "devanagari",
    [THEME_FONT_CYRILLIC] = "cyrillic",
    [THEME_FONT_GREEK] = "greek",
    [THEME_FONT_HAN] = "han",
    [THEME_FONT_KANA] = "kana",
    [THEME_FONT_HANGUL] = "hangul",
};

static const char *const side_names[4] = {"left", "top", "right", "bottom"};

const char *theme_color_name(enum theme_color c)
{
    return (unsigned)c < THEME_N_COLORS ? color_names[c] : "?";
}

const char *theme_font_name(enum theme_font f)
{
    return (unsigned)f < THEME_N_FONTS ? font_names[f] : "?";
}

void theme_default(struct theme *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "binge");
    memcpy(t->colors, default_colors, sizeof(t->colors));
    for (int i = 0; i < 4; i++)
        t->safe_bp[i] = -1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "#rrggbb" or "#rrggbbaa". */
static const char *parse_color(const char *v, SDL_Color *out)
{
    size_t n = strlen(v);
    if (v[0] != '#' || (n != 7 && n != 9))
        return "expected a colour as #rrggbb or #rrggbbaa";
    Uint8 c[4] = {0, 0, 0, 255};
    for (size_t i = 0; i < (n - 1) / 2; i++) {
        int hi = hexval(v[1 + 2 * i]), lo = hexval(v[2 + 2 * i]);
        if (hi < 0 || lo < 0)
            return "expected a colour as #rrggbb or #rrggbbaa";
        c[i] = (Uint8)(hi * 16 + lo);
    }
    *out = (SDL_Color){c[0], c[1], c[2], c[3]};
    return NULL;
}

/* A percentage "2.5" or "2.5%", 0..10, at most two decimals, as hundredths. Returns the end or
 * NULL. */
static const char *parse_percent(const char *s, int *bp)
{
    int whole = 0, frac = 0, digits = 0;
    if (!isdigit((unsigned char)*s))
        return NULL;
    while (isdigit((unsigned char)*s)) {
        whole = whole * 10 + (*s++ - '0');
        if (whole > 100)
            return NULL;
    }
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s)) {
            if (++digits > 2)
                return NULL;
            frac = frac * 10 + (*s++ - '0');
        }
        if (digits == 0)
            return NULL;
        if (digits == 1)
            frac *= 10;
    }
    if (*s == '%')
        s++;
    int v = whole * 100 + frac;
    if (v > THEME_SAFE_MAX_BP)
        return NULL;
    *bp = v;
    return s;
}

int theme_parse_safe_area(const char *s, int bp[4])
{
    int v[4], n = 0;
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            break;
        if (n == 4)
            return BINGE_EINVAL;
        const char *end = parse_percent(s, &v[n]);
        if (!end || (*end && *end != ' ' && *end != '\t'))
            return BINGE_EINVAL;
        n++;
        s = end;
    }
    if (n == 1) {
        for (int i = 0; i < 4; i++)
            bp[i] = v[0];
        return 0;
    }
    if (n != 4)
        return BINGE_EINVAL;
    memcpy(bp, v, sizeof(v));
    return 0;
}

static const char *parse_path(const char *v, const char *base_dir, char *out, size_t outlen)
{
    int n;
    if (!*v || v[0] == '/' || !base_dir)
        n = snprintf(out, outlen, "%s", v);
    else
        n = snprintf(out, outlen, "%s/%s", base_dir, v);
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return "path too long";
    }
    return NULL;
}

static const char *parse_name(const char *v, char *out, size_t outlen)
{
    size_t n = strlen(v);
    if (n == 0)
        return "empty name";
    if (n >= outlen)
        return "longer than 63 bytes";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return "control character in the name";
    memcpy(out, v, n + 1);
    return NULL;
}

/* The keys already reported as unknown, so each is reported once. */
#define UNKNOWN_MAX 16
struct unknown_keys {
    char keys[UNKNOWN_MAX][48];
    int n;
    bool more_said;
};

static bool unknown_once(struct unknown_keys *u, const char *key)
{
    for (int i = 0; i < u->n; i++)
        if (strcmp(u->keys[i], key) == 0)
            return false;
    if (u->n == UNKNOWN_MAX)
        return false;
    snprintf(u->keys[u->n++], sizeof(u->keys[0]), "%s", key);
    return true;
}

/* Applies one key. Returns NULL, or why the value is bad; *unknown set when the key is not one
 * of ours. */
static const char *apply(struct theme *t, const char *key, const char *v, const char *base_dir,
                         bool *unknown)
{
    *unknown = false;
    if (strcmp(key, "name") == 0)
        return parse_name(v, t->name, sizeof(t->name));
    if (strcmp(key, "logo") == 0)
        return parse_path(v, base_dir, t->logo, sizeof(t->logo));
    if (strcmp(key, "radius") == 0) {
        char *end = NULL;
        errno = 0;
        long r = strtol(v, &end, 10);
        if (!isdigit((unsigned char)v[0]) || errno || *end || r < 0 || r > THEME_RADIUS_MAX)
            return "expected a radius in pixels, 0..48";
        t->radius = (int)r;
        return NULL;
    }
    if (strcmp(key, "safe_area") == 0) {
        int bp[4];
        if (theme_parse_safe_area(v, bp) != 0)
            return "expected one percentage (0..10) or four: left top right bottom";
        memcpy(t->safe_bp, bp, sizeof(bp));
        return NULL;
    }
    if (strncmp(key, "safe_area.", 10) == 0) {
        for (int i = 0; i < 4; i++) {
            if (strcmp(key + 10, side_names[i]) != 0)
                continue;
            int bp;
            const char *end = parse_percent(v, &bp);
            if (!end || *end)
                return "expected a percentage, 0..10";
            t->safe_bp[i] = bp;
            return NULL;
        }
    }
    if (strncmp(key, "color.", 6) == 0) {
        for (int i = 0; i < THEME_N_COLORS; i++)
            if (strcmp(key + 6, color_names[i]) == 0)
                return parse_color(v, &t->colors[i]);
    }
    if (strncmp(key, "font.", 5) == 0) {
        for (int i = 0; i < THEME_N_FONTS; i++)
            if (strcmp(key + 5, font_names[i]) == 0)
                return parse_path(v, base_dir, t->fonts[i], sizeof(t->fonts[i]));
    }
    *unknown = true;
    return NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int theme_parse_buffer(struct theme *t, const char *text, size_t len, const char *name,
                       const char *base_dir, FILE *err)
{
    if (len > THEME_FILE_MAX) {
        if (err)
            fprintf(err, "binge: %s: over %d bytes: not a theme\n", name, THEME_FILE_MAX);
        return BINGE_EINVAL;
    }
    if (memchr(text, '\0', len)) {
        if (err)
            fprintf(err, "binge: %s: not a text file\n", name);
        return BINGE_EINVAL;
    }
    struct unknown_keys unknown = {.n = 0};
    int rc = 0, lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char line[THEME_LINE_MAX];
        lineno++;
        const char *start = text + pos;
        pos += n + (nl ? 1 : 0);
        if (n >= sizeof(line)) {
            if (err)
                fprintf(err, "binge: %s:%d: line longer than %d bytes (ignored)\n", name, lineno,
                        THEME_LINE_MAX - 1);
            rc = BINGE_EINVAL;
            continue;
        }
        memcpy(line, start, n);
        line[n] = '\0';
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            if (err)
                fprintf(err, "binge: %s:%d: expected key = value\n", name, lineno);
            rc = BINGE_EINVAL;
            continue;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        /* A comment after a value starts with whitespace then '#' (a colour's own '#' follows
         * the '='). */
        for (char *c = value; *c; c++) {
            if ((*c == ' ' || *c == '\t') && c[strspn(c, " \t")] == '#') {
                *c = '\0';
                break;
            }
        }
        for (char *k = key; *k; k++)
            if (*k == '-')
                *k = '_';
        if (!*key) {
            if (err)
                fprintf(err, "binge: %s:%d: expected key = value\n", name, lineno);
            rc = BINGE_EINVAL;
            continue;
        }
        bool is_unknown = false;
        const char *why = apply(t, key, value, base_dir, &is_unknown);
        if (is_unknown) {
            /* A newer theme on an older binge: said once per key, never fatal. */
            if (err && unknown_once(&unknown, key))
                fprintf(err, "binge: %s:%d: unknown key '%s' (ignored)\n", name, lineno, key);
            else if (err && unknown.n == UNKNOWN_MAX && !unknown.more_said) {
                unknown.more_said = true;
                fprintf(err, "binge: %s:%d: more unknown keys (ignored)\n", name, lineno);
            }
            continue;
        }
        if (why) {
            if (err)
                fprintf(err, "binge: %s:%d: %s: '%s': %s (the default is kept)\n", name, lineno,
                        key, value, why);
            rc = BINGE_EINVAL;
        }
    }
    return rc;
}

#ifndef BINGE_THEMEDIR
#define BINGE_THEMEDIR "/usr/share/binge/themes"
#endif

int theme_path(const char *spec, char *out, size_t outlen)
{
    size_t n = strlen(spec);
    int w;
    if (strchr(spec, '/') || (n > 6 && strcmp(spec + n - 6, ".theme") == 0)) {
        w = snprintf(out, outlen, "%s", spec);
        return w < 0 || (size_t)w >= outlen ? BINGE_EINVAL : 0;
    }
    if (n == 0 || n > 64 || spec[0] == '.')
        return BINGE_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)spec[i]) && !strchr("-_.", spec[i]))
            return BINGE_EINVAL;
    const char *env = getenv("BINGE_THEMEDIR");
    const char *dir = env && *env ? env : BINGE_THEMEDIR;
#if defined(BINGE_BUILD_DIR) && defined(BINGE_SOURCE_DIR)
    /* Run from the build tree (bin/, the tests): the source tree's themes, as the translations
     * come from the build tree's locale/. */
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    size_t blen = strlen(BINGE_BUILD_DIR);
    if (!(env && *env) && len > 0) {
        exe[len] = '\0';
        if (strncmp(exe, BINGE_BUILD_DIR, blen) == 0 && exe[blen] == '/')
            dir = BINGE_SOURCE_DIR "/assets/themes";
    }
#endif
    w = snprintf(out, outlen, "%s/%s.theme", dir, spec);
    return w < 0 || (size_t)w >= outlen ? BINGE_EINVAL : 0;
}

int theme_load(struct theme *t, const char *spec, FILE *err)
{
    char path[THEME_PATH_MAX], dir[THEME_PATH_MAX];
    char *buf = NULL;
    int fd = -1, rc = 0;
    theme_default(t);
    if (!spec)
        return 0;
    if (theme_path(spec, path, sizeof(path)) != 0) {
        if (err)
            fprintf(err,
                    "binge: theme '%s': not a file nor a theme name (letters, digits, - _ .)\n",
                    spec);
        return BINGE_EINVAL;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (err)
            fprintf(err, "binge: theme %s: %s\n", path, strerror(e));
        rc = e == ENOENT ? BINGE_ENOTFOUND : BINGE_EIO;
        goto fail;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > THEME_FILE_MAX) {
        if (err)
            fprintf(err, "binge: theme %s: not a regular file of at most %d bytes\n", path,
                    THEME_FILE_MAX);
        rc = BINGE_ETOOBIG;
        goto fail;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = BINGE_ENOMEM;
        goto fail;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), "%s", slash ? "/" : ".");
    struct theme parsed = *t;
    /* A file that is not a theme at all (binary) changes nothing; a theme with a bad line keeps
     * its good lines. */
    rc = theme_parse_buffer(&parsed, buf, got, path, dir, err);
    *t = parsed;
fail:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}
