#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"
#include "input_internal.h"

LOG_MODULE("input");

struct keymap_entry {
    char source[KEYMAP_SOURCE_MAX];
    char key[KEYMAP_KEY_MAX];
    enum input_action action;
};

struct keymap {
    struct keymap_entry entries[KEYMAP_MAX_ENTRIES];
    size_t n;
    char *from; /* the path it was loaded from, NULL for the built-in one */
};

static const char *const sources[] = {"sdl", "pad", "evdev", "cec", "lirc"};

struct keymap *keymap_new(void)
{
    return calloc(1, sizeof(struct keymap));
}

void keymap_free(struct keymap *km)
{
    if (!km)
        return;
    free(km->from);
    free(km);
}

size_t keymap_size(const struct keymap *km)
{
    return km->n;
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

static bool known_source(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
        if (strlen(sources[i]) == n && strncasecmp(s, sources[i], n) == 0)
            return true;
    return false;
}

static int parse_depth(struct keymap *km, const char *text, size_t len, const char *name, int depth,
                       keymap_include_fn load, void *ctx, char *err, size_t errlen);

/* One line, without its newline. Returns 0 or BINGE_EINVAL with the reason in why; *nested
 * when the error is an included file's (why then names that file and line itself). */
static int parse_line(struct keymap *km, const char *s, const char *e, int depth,
                      keymap_include_fn load, void *ctx, char *why, size_t whylen, bool *nested)
{
    trim(&s, &e);
    if (s == e || *s == '#')
        return 0;
    if (e - s > 8 && strncmp(s, "include", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
        const char *n = s + 8, *ne = e;
        trim(&n, &ne);
        char name[64];
        if (ne - n == 0 || ne - n >= (long)sizeof(name) || memchr(n, '/', (size_t)(ne - n)) ||
            memchr(n, '.', (size_t)(ne - n))) {
            snprintf(why, whylen, "include: expected a keymap name such as default");
            return BINGE_EINVAL;
        }
        memcpy(name, n, (size_t)(ne - n));
        name[ne - n] = '\0';
        if (!load) {
            snprintf(why, whylen, "include %s: includes are not allowed here", name);
            return BINGE_EINVAL;
        }
        if (depth >= KEYMAP_MAX_DEPTH) {
            snprintf(why, whylen, "include %s: includes nested deeper than %d", name,
                     KEYMAP_MAX_DEPTH);
            return BINGE_EINVAL;
        }
        char *text = NULL, *path = NULL;
        size_t len = 0;
        int rc = load(ctx, name, &text, &len, &path);
        if (rc != 0) {
            snprintf(why, whylen, "include %s: %s", name,
                     rc == BINGE_ENOTFOUND ? "no such keymap" : "can't read it");
            free(text);
            free(path);
            return BINGE_EINVAL;
        }
        rc = parse_depth(km, text, len, path ? path : name, depth + 1, load, ctx, why, whylen);
        *nested = rc != 0;
        free(text);
        free(path);
        return rc;
    }
    const char *colon = memchr(s, ':', (size_t)(e - s));
    const char *eq = NULL;
    for (const char *p = e; p > s; p--)
        if (p[-1] == '=') {
            eq = p - 1;
            break;
        }
    if (!colon || !eq || eq < colon) {
        snprintf(why, whylen, "expected SOURCE:KEY = ACTION");
        return BINGE_EINVAL;
    }
    const char *ss = s, *se = colon, *ks = colon + 1, *ke = eq, *as = eq + 1, *ae = e;
    trim(&ss, &se);
    trim(&ks, &ke);
    trim(&as, &ae);
    if (!known_source(ss, (size_t)(se - ss))) {
        snprintf(why, whylen, "unknown source '%.*s' (sdl, pad, evdev, cec, lirc)",
                 (int)(se - ss > 16 ? 16 : se - ss), ss);
        return BINGE_EINVAL;
    }
    if (ke == ks || ke - ks >= KEYMAP_KEY_MAX) {
        snprintf(why, whylen, "expected a key name of 1 to %d characters", KEYMAP_KEY_MAX - 1);
        return BINGE_EINVAL;
    }
    char action_name[32];
    if (ae == as || ae - as >= (long)sizeof(action_name)) {
        snprintf(why, whylen, "expected an action (UP, OK, RED, ...) after '='");
        return BINGE_EINVAL;
    }
    memcpy(action_name, as, (size_t)(ae - as));
    action_name[ae - as] = '\0';
    enum input_action action = input_action_from_name(action_name);
    if (action == INPUT_NONE && strcasecmp(action_name, "NONE") != 0) {
        snprintf(why, whylen, "unknown action '%s'", action_name);
        return BINGE_EINVAL;
    }
    /* A key mapped again replaces its mapping in place: the last line wins, and a profile that
     * remaps every key of an included file does not use up the table. */
    struct keymap_entry ent = {.action = action};
    memcpy(ent.source, ss, (size_t)(se - ss));
    memcpy(ent.key, ks, (size_t)(ke - ks));
    for (size_t i = 0; i < km->n; i++) {
        if (strcasecmp(km->entries[i].source, ent.source) == 0 &&
            strcasecmp(km->entries[i].key, ent.key) == 0) {
            km->entries[i].action = action;
            return 0;
        }
    }
    if (km->n >= KEYMAP_MAX_ENTRIES) {
        snprintf(why, whylen, "more than %d mappings", KEYMAP_MAX_ENTRIES);
        return BINGE_EINVAL;
    }
    km->entries[km->n++] = ent;
    return 0;
}

static int parse_depth(struct keymap *km, const char *text, size_t len, const char *name, int depth,
                       keymap_include_fn load, void *ctx, char *err, size_t errlen)
{
    if (len > KEYMAP_MAX_BYTES) {
        snprintf(err, errlen, "%s: larger than %d bytes", name, KEYMAP_MAX_BYTES);
        return BINGE_EINVAL;
    }
    const char *p = text, *end = text + len;
    int line = 0;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        char why[512];
        if (memchr(p, '\0', (size_t)(le - p))) {
            snprintf(err, errlen, "%s:%d: a NUL byte", name, line);
            return BINGE_EINVAL;
        }
        if (le - p > KEYMAP_MAX_LINE) {
            snprintf(err, errlen, "%s:%d: longer than %d characters", name, line, KEYMAP_MAX_LINE);
            return BINGE_EINVAL;
        }
        bool nested = false;
        int rc = parse_line(km, p, le, depth, load, ctx, why, sizeof(why), &nested);
        if (rc != 0) {
            if (nested && strstr(why, "(included from ")) /* the innermost one names it */
                snprintf(err, errlen, "%s", why);
            else if (nested) /* the included file's own file:line */
                snprintf(err, errlen, "%s (included from %s:%d)", why, name, line);
            else
                snprintf(err, errlen, "%s:%d: %s", name, line, why);
            return rc;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

int keymap_parse(struct keymap *km, const char *text, size_t len, const char *name,
                 keymap_include_fn load, void *ctx, char *err, size_t errlen)
{
    return parse_depth(km, text, len, name, 0, load, ctx, err, errlen);
}

enum input_action keymap_lookup(const struct keymap *km, const char *source, const char *key)
{
    if (!km || !source || !key)
        return INPUT_NONE;
    for (size_t i = 0; i < km->n; i++)
        if (strcasecmp(km->entries[i].key, key) == 0 &&
            strcasecmp(km->entries[i].source, source) == 0)
            return km->entries[i].action;
    return INPUT_NONE;
}

/* ---- loading ---- */

struct load_ctx {
    const char *dir; /* where includes are looked for */
};

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* An include: dir/NAME.conf, and "default" falls back to the built-in copy. */
static int load_include(void *data, const char *name, char **text, size_t *len, char **path)
{
    struct load_ctx *c = data;
    *text = NULL;
    *path = NULL;
    if (c->dir) {
        char *p = util_asprintf("%s/%s.conf", c->dir, name);
        if (!p)
            return BINGE_ENOMEM;
        if (is_file(p)) {
            int rc = util_read_file(p, KEYMAP_MAX_BYTES, text, len);
            if (rc == 0) {
                *path = p;
                return 0;
            }
            free(p);
            return rc;
        }
        free(p);
    }
    if (strcmp(name, "default") != 0)
        return BINGE_ENOTFOUND;
    *text = malloc(keymap_default_len + 1);
    if (!*text)
        return BINGE_ENOMEM;
    memcpy(*text, keymap_default_text, keymap_default_len);
    (*text)[keymap_default_len] = '\0';
    *len = keymap_default_len;
    *path = util_strdup("default.conf (built in)");
    return 0;
}

static struct keymap *builtin(void)
{
    struct keymap *km = keymap_new();
    char err[512];
    if (km && keymap_parse(km, keymap_default_text, keymap_default_len, "default.conf (built in)",
                           NULL, NULL, err, sizeof(err)) != 0) {
        /* The test suite parses the same text: this cannot happen in a build that passed. */
        log_error("the built-in keymap is broken: %s", err);
    }
    return km;
}

/* The directory part of path ("." for a bare name), for its includes. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return util_strdup(".");
    if (slash == path)
        return util_strdup("/");
    return util_asprintf("%.*s", (int)(slash - path), path);
}

static struct keymap *load_path(const char *path, const char *include_dir, bool *missing)
{
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    char err[512];
    struct keymap *km = NULL;
    *missing = false;
    int rc = util_read_file(path, KEYMAP_MAX_BYTES, &text, &len);
    if (rc == BINGE_ENOTFOUND) {
        *missing = true;
        goto fail;
    }
    if (rc != 0) {
        log_error("keymap %s: %s; using the built-in default", path,
                  rc == BINGE_ETOOBIG ? "larger than 64 KiB" : "can't read it");
        goto fail;
    }
    dir = include_dir ? util_strdup(include_dir) : dir_of(path);
    km = keymap_new();
    if (!km || !dir)
        goto fail;
    struct load_ctx c = {.dir = dir};
    if (keymap_parse(km, text, len, path, load_include, &c, err, sizeof(err)) != 0) {
        log_error("keymap %s; using the built-in default", err);
        keymap_free(km);
        km = NULL;
        goto fail;
    }
    km->from = util_strdup(path);
fail:
    free(text);
    free(dir);
    return km;
}

struct keymap *keymap_load(const char *file, const char *etc_file, const char *dir,
                           const char *profile, const char **from)
{
    struct keymap *km = NULL;
    bool missing = false;
    char *p = NULL;
    if (file) {
        km = load_path(file, NULL, &missing);
        if (missing)
            log_error("keymap %s: no such file; using the built-in default", file);
        goto done;
    }
    if (etc_file && is_file(etc_file)) {
        km = load_path(etc_file, dir, &missing);
        goto done;
    }
    if (dir) {
        p = util_asprintf("%s/%s.conf", dir, profile ? profile : "default");
        if (p && is_file(p))
            km = load_path(p, NULL, &missing);
    }
done:
    free(p);
    if (km) {
        *from = km->from ? km->from : "built-in";
        return km;
    }
    km = builtin();
    *from = "built-in";
    return km;
}
