#include "binge/options.h"

#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BINGE_VERSION
#define BINGE_VERSION "unknown"
#endif
/* The box's directories (CMake: BINGE_SYSCONF_DIR, BINGE_SYSTEM_STATE_DIR). */
#ifndef BINGE_SYSCONF_DIR
#define BINGE_SYSCONF_DIR "/etc/binge"
#endif
#ifndef BINGE_SYSTEM_STATE_DIR
#define BINGE_SYSTEM_STATE_DIR "/var/lib/binge"
#endif

/* A config file is a few hundred bytes; the cap only stops a wrong path (a disk image, a
 * device node) from being slurped. */
#define CONFIG_MAX_BYTES (256 * 1024)

enum opt_type {
    OPT_BOOL,
    OPT_STRING,
    OPT_INT,
};

enum {
    OPT_NULLABLE = 1 << 0, /* "" resets the string to NULL ("not set") */
    OPT_NO_FILE = 1 << 1,  /* not accepted inside a config file */
    OPT_OFF_ZERO = 1 << 2, /* OPT_INT: -1 (off) and 0 (the default) too, besides min..max */
};

struct opt {
    const char *name; /* --name, config key, BINGE_NAME */
    enum opt_type type;
    size_t offset; /* into struct binge_options */
    int flags;
    const char *def_str; /* OPT_STRING default, NULL = unset */
    int def_int;         /* OPT_BOOL / OPT_INT default */
    int min, max;        /* OPT_INT range, inclusive */
    const char *metavar; /* shown in --help */
    const char *help;
    /* Extra validation of a string value; returns NULL or a reason. */
    const char *(*check)(const char *value);
};

static const char *check_url(const char *value)
{
    /* The client only talks http(s); anything else would be a misconfiguration that fails
     * later and less clearly. */
    if ((strncasecmp(value, "http://", 7) == 0 && value[7] != '\0') ||
        (strncasecmp(value, "https://", 8) == 0 && value[8] != '\0'))
        return NULL;
    return "expected an http:// or https:// URL";
}

static const char *check_video_output(const char *value)
{
    if (strcmp(value, "texture") == 0 || strcmp(value, "plane") == 0 || strcmp(value, "null") == 0)
        return NULL;
    return "expected texture, plane or null";
}

static const char *check_log_level(const char *value)
{
    enum log_level level;
    if (log_level_from_name(value, &level) == 0)
        return NULL;
    return "expected error, warn, info or debug";
}

/* docs/api.md: 1 to 64 characters of A-Z a-z 0-9 . _ : - (the server answers 400 otherwise). */
#define DEVICE_ID_MAX 64

static bool device_id_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == ':' || c == '-';
}

static const char *check_device_id(const char *value)
{
    size_t n = strlen(value);
    if (n > DEVICE_ID_MAX)
        return "longer than 64 characters";
    for (size_t i = 0; i < n; i++) {
        if (!device_id_char(value[i]))
            return "expected only letters, digits and . _ : -";
    }
    return NULL;
}

/* Accept-Language values: "es", "pt-BR, en;q=0.5", "*". The server parses it; here we only
 * keep out what cannot be a header value or is plainly not a language list. */
#define LANGUAGE_MAX 64

static const char *check_language(const char *value)
{
    size_t n = strlen(value);
    if (n > LANGUAGE_MAX)
        return "longer than 64 characters";
    if (!isalpha((unsigned char)value[0]) && value[0] != '*')
        return "expected a language such as en, pt-BR or \"th, en;q=0.5\"";
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)value[i]) && !strchr("-,;=.* ", value[i]))
            return "expected a language such as en, pt-BR or \"th, en;q=0.5\"";
    }
    return NULL;
}

/* --safe-area: one percentage for every side or four (left top right bottom), each 0..10 with at
 * most two decimals and an optional '%' ("5", "2.5%", "5 3 5 3"); theme_parse_safe_area reads it
 * (include/binge/theme.h, the same grammar as a theme's safe_area). */
static const char *check_safe_area(const char *value)
{
    static const char *const why =
        "expected one percentage 0..10 or four: \"left top right bottom\"";
    int n = 0;
    const char *s = value;
    while (*s) {
        if (*s == ' ' || *s == '\t') {
            s++;
            continue;
        }
        int whole = 0, digits = 0, frac = 0;
        while (isdigit((unsigned char)*s) && digits < 3) {
            whole = whole * 10 + (*s++ - '0');
            digits++;
        }
        if (digits == 0 || digits == 3)
            return why;
        if (*s == '.') {
            s++;
            int fd = 0;
            while (isdigit((unsigned char)*s) && fd < 3) {
                frac = frac * 10 + (*s++ - '0');
                fd++;
            }
            if (fd == 0 || fd == 3)
                return why;
        }
        if (*s == '%')
            s++;
        if (whole > 10 || (whole == 10 && frac > 0) || (*s && *s != ' ' && *s != '\t'))
            return why;
        n++;
    }
    return n == 1 || n == 4 ? NULL : why;
}

#define OFF(field) offsetof(struct binge_options, field)

static const struct opt opt_table[] = {
    {"server", OPT_STRING, OFF(server_url), 0, "http://127.0.0.1:8080", 0, 0, 0, "URL",
     "catalog server base URL", check_url},
    {"headless", OPT_BOOL, OFF(headless), 0, NULL, 0, 0, 0, NULL,
     "offscreen video and silent audio (QA, CI)", NULL},
    {"script", OPT_STRING, OFF(script), OPT_NULLABLE, NULL, 0, 0, 0, "FILE",
     "run an automation script", NULL},
    {"control", OPT_STRING, OFF(control), OPT_NULLABLE, NULL, 0, 0, 0, "PATH",
     "listen for automation commands on a Unix socket", NULL},
    {"fullscreen", OPT_BOOL, OFF(fullscreen), 0, NULL, 0, 0, 0, NULL, "start in full screen", NULL},
    {"config", OPT_STRING, OFF(config), OPT_NULLABLE | OPT_NO_FILE, NULL, 0, 0, 0, "FILE",
     "read settings from FILE (name = value lines; default $XDG_CONFIG_HOME/binge/binge.conf, "
     "else " BINGE_SYSCONF_DIR "/binge.conf, when present)",
     NULL},
    {"platform", OPT_STRING, OFF(platform), 0, "auto", 0, 0, 0, "NAME",
     "platform profile: auto, rpi, kms, desktop or headless", NULL},
    {"log-level", OPT_STRING, OFF(log_level), 0, "info", 0, 0, 0, "LEVEL",
     "error, warn, info or debug", check_log_level},
    {"font", OPT_STRING, OFF(font), OPT_NULLABLE, NULL, 0, 0, 0, "FILE",
     "UI font file (default: a sans font from fontconfig)", NULL},
    {"device-id", OPT_STRING, OFF(device_id), 0, NULL, 0, 0, 0, "ID",
     "device id sent to the server (default: tv-<hostname>)", check_device_id},
    {"width", OPT_INT, OFF(width), 0, NULL, 1280, 640, 7680, "N", "window width in pixels", NULL},
    {"height", OPT_INT, OFF(height), 0, NULL, 720, 360, 4320, "N", "window height in pixels", NULL},
    {"http-timeout", OPT_INT, OFF(http_timeout_ms), 0, NULL, 10000, 500, 120000, "MS",
     "total timeout of one HTTP request", NULL},
    {"play", OPT_STRING, OFF(play), OPT_NULLABLE | OPT_NO_FILE, NULL, 0, 0, 0, "\"URL [URL...]\"",
     "play these streams full screen, one after another, then exit", NULL},
    {"progress-interval", OPT_INT, OFF(progress_interval_ms), 0, NULL, 10000, 20, 600000, "MS",
     "how often the position is saved and reported while playing", NULL},
    {"render-delay", OPT_INT, OFF(render_delay_ms), OPT_NO_FILE, NULL, 0, 0, 1000, "MS",
     "QA: every frame drawn takes this much longer, as on a slow box", NULL},
    {"exit-after-first-frame", OPT_BOOL, OFF(exit_after_first_frame), OPT_NO_FILE, NULL, 0, 0, 0,
     NULL, "with --play: exit 0 once the first frame is drawn", NULL},
    {"state-dir", OPT_STRING, OFF(state_dir), 0, NULL, 0, 0, 0, "DIR",
     "persistent state (default $STATE_DIRECTORY, else $XDG_STATE_HOME/binge or "
     "~/.local/state/binge, else " BINGE_SYSTEM_STATE_DIR ")",
     NULL},
    {"connect-timeout", OPT_INT, OFF(connect_timeout_ms), 0, NULL, 3000, 100, 60000, "MS",
     "connect timeout of one HTTP attempt", NULL},
    {"http-retries", OPT_INT, OFF(http_retries), 0, NULL, 3, 0, 10, "N",
     "retries of a failed GET or idempotent request, with backoff", NULL},
    {"language", OPT_STRING, OFF(language), 0, NULL, 0, 0, 0, "LANG",
     "menus' and catalog's language, sent as Accept-Language (default from LANG, else en)",
     check_language},
    {"audio-sink", OPT_STRING, OFF(audio_sink), OPT_NULLABLE, NULL, 0, 0, 0, "DESC",
     "GStreamer audio sink, e.g. \"alsasink device=hdmi:0\" (default: the platform's)", NULL},
    {"video-output", OPT_STRING, OFF(video_output), OPT_NULLABLE, NULL, 0, 0, 0, "NAME",
     "texture, plane (a sink on its own surface) or null (default: the platform's)",
     check_video_output},
    {"video-sink", OPT_STRING, OFF(video_sink), OPT_NULLABLE, NULL, 0, 0, 0, "DESC",
     "with --video-output plane: the GStreamer video sink (default: the platform's)", NULL},
    {"keymap", OPT_STRING, OFF(keymap), OPT_NULLABLE, NULL, 0, 0, 0, "FILE",
     "keymap file (default /etc/binge/keymap.conf, else the profile's)", NULL},
    {"repeat-delay", OPT_INT, OFF(repeat_delay_ms), 0, NULL, 500, 100, 5000, "MS",
     "a held remote key repeats after this long", NULL},
    {"repeat-rate", OPT_INT, OFF(repeat_rate), 0, NULL, 8, 1, 50, "N",
     "a held remote key repeats this many times a second", NULL},
    {"lirc-socket", OPT_STRING, OFF(lirc_socket), OPT_NULLABLE, "/var/run/lirc/lircd", 0, 0, 0,
     "PATH", "lircd's socket (\"\" = no LIRC)", NULL},
    {"theme", OPT_STRING, OFF(theme), OPT_NULLABLE, NULL, 0, 0, 0, "FILE|NAME",
     "branding: a .theme file, or the name of an installed one (default: binge's own look)", NULL},
    {"safe-area", OPT_STRING, OFF(safe_area), OPT_NULLABLE, NULL, 0, 0, 0, "PCT",
     "safe area in percent, all sides or \"left top right bottom\" (default: the theme's, "
     "else 5)",
     check_safe_area},
    {"evdev-dir", OPT_STRING, OFF(evdev_dir), OPT_NULLABLE, "/dev/input", 0, 0, 0, "DIR",
     "input devices for the evdev source, without a display server (\"\" = no evdev)", NULL},
    {"evdev-grab", OPT_BOOL, OFF(evdev_grab), 0, NULL, 0, 0, 0, NULL,
     "read the evdev devices alone (EVIOCGRAB), also under x11/wayland", NULL},
    {"cec-device", OPT_STRING, OFF(cec_device), OPT_NULLABLE, NULL, 0, 0, 0, "PATH",
     "HDMI-CEC adapter (default: the first /dev/cecN; \"\" = no CEC)", NULL},
    {"start-bitrate", OPT_INT, OFF(start_bitrate_kbps), 0, NULL, 1000, 0, 1000000, "KBPS",
     "start HLS on the best variant at or below this (kbit/s; 0 = the first listed)", NULL},
    {"stall-timeout", OPT_INT, OFF(stall_timeout_ms), OPT_OFF_ZERO, NULL, 8000, 1000, 600000, "MS",
     "playback with no progress this long is re-tuned, three times, then stopped with an error; "
     "longer for slow boards and emulation (-1 = never, 0 = the default)",
     NULL},
    {"stop-timeout", OPT_INT, OFF(stop_timeout_ms), 0, NULL, 10000, 1000, 600000, "MS",
     "a quit or SIGTERM that has not stopped binge after this long ends the process with an "
     "error; longer for slow boards and emulation",
     NULL},
};

#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

static char **str_field(struct binge_options *opts, const struct opt *o)
{
    return (char **)(void *)((char *)opts + o->offset);
}

static bool *bool_field(struct binge_options *opts, const struct opt *o)
{
    return (bool *)(void *)((char *)opts + o->offset);
}

static int *int_field(struct binge_options *opts, const struct opt *o)
{
    return (int *)(void *)((char *)opts + o->offset);
}

/* Config keys may use '_' as well as '-', since people copy them from the environment. */
static const struct opt *opt_find(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        const char *n = opt_table[i].name;
        if (strlen(n) != len)
            continue;
        size_t j = 0;
        for (; j < len; j++) {
            char c = name[j] == '_' ? '-' : name[j];
            if (c != n[j])
                break;
        }
        if (j == len)
            return &opt_table[i];
    }
    return NULL;
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1", "on"};
    static const char *const no[] = {"false", "no", "0", "off"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return BINGE_EINVAL;
}

/* Sets one option from text. where names the source for the message ("option --width",
 * "BINGE_WIDTH", "binge.conf:3: width"). */
static int opt_set(struct binge_options *opts, const struct opt *o, const char *value,
                   const char *where, FILE *err)
{
    switch (o->type) {
    case OPT_BOOL: {
        bool b;
        if (parse_bool(value, &b) != 0) {
            fprintf(err, "binge: %s: '%s' is not a boolean (true/false/yes/no/1/0)\n", where,
                    value);
            return BINGE_EINVAL;
        }
        *bool_field(opts, o) = b;
        return 0;
    }
    case OPT_INT: {
        char *end = NULL;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (value[0] == '\0' || isspace((unsigned char)value[0]) || *end != '\0') {
            fprintf(err, "binge: %s: '%s' is not an integer\n", where, value);
            return BINGE_EINVAL;
        }
        bool special = (o->flags & OPT_OFF_ZERO) && (v == -1 || v == 0);
        if (errno == ERANGE || (!special && (v < o->min || v > o->max))) {
            fprintf(err, "binge: %s: %s is out of range (%s%d..%d)\n", where, value,
                    o->flags & OPT_OFF_ZERO ? "-1 = off, 0 = default, " : "", o->min, o->max);
            return BINGE_EINVAL;
        }
        *int_field(opts, o) = (int)v;
        return 0;
    }
    case OPT_STRING: {
        char **field = str_field(opts, o);
        if (value[0] == '\0') {
            if (!(o->flags & OPT_NULLABLE)) {
                fprintf(err, "binge: %s: empty value\n", where);
                return BINGE_EINVAL;
            }
            free(*field);
            *field = NULL;
            return 0;
        }
        const char *why = o->check ? o->check(value) : NULL;
        if (why) {
            fprintf(err, "binge: %s: '%s': %s\n", where, value, why);
            return BINGE_EINVAL;
        }
        char *copy = util_strdup(value);
        if (!copy) {
            fprintf(err, "binge: %s: out of memory\n", where);
            return BINGE_ENOMEM;
        }
        free(*field);
        *field = copy;
        if (field == &opts->language)
            opts->language_set = true; /* the menus' language too, over the settings screen's */
        return 0;
    }
    }
    return BINGE_EINVAL;
}

/* "pt_BR.UTF-8@euro" -> "pt-BR"; NULL, "", C and POSIX and anything odd -> "en". */
static char *language_from_locale(const char *loc)
{
    char tag[36];
    size_t n = 0;

    for (; loc && *loc && *loc != '.' && *loc != '@' && n + 1 < sizeof(tag); loc++) {
        char c = *loc == '_' ? '-' : *loc;
        if (!isalnum((unsigned char)c) && c != '-')
            return util_strdup("en");
        tag[n++] = c;
    }
    tag[n] = '\0';
    if (n == 0 || !isalpha((unsigned char)tag[0]) || strcmp(tag, "C") == 0 ||
        strcmp(tag, "POSIX") == 0 || (loc && *loc && *loc != '.' && *loc != '@'))
        return util_strdup("en");
    return util_strdup(tag);
}

static const char *locale_env(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return v;
    }
    return NULL;
}

/* $HOME when it is an absolute path other than "/" (systemd gives services with no home "/"),
 * else NULL: a box started from init has no home of its own. */
static const char *home_dir(void)
{
    const char *home = getenv("HOME");
    if (!home || home[0] != '/' || home[1] == '\0')
        return NULL;
    return home;
}

static bool is_file(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *options_default_config(const char *system_dir)
{
    char *user = NULL;
    /* XDG base directory spec: a relative XDG_CONFIG_HOME is ignored. */
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = home_dir();
    if (xdg && xdg[0] == '/')
        user = util_asprintf("%s/binge/binge.conf", xdg);
    else if (home)
        user = util_asprintf("%s/.config/binge/binge.conf", home);
    if (is_file(user))
        return user;
    free(user);
    if (!system_dir || !*system_dir)
        return NULL;
    char *sys = util_asprintf("%s/binge.conf", system_dir);
    if (is_file(sys))
        return sys;
    free(sys);
    return NULL;
}

char *options_default_state_dir(const char *system_dir)
{
    /* systemd's StateDirectory= (binge.service): a ':'-separated list, ours is the first. */
    const char *sd = getenv("STATE_DIRECTORY");
    if (sd && sd[0] == '/') {
        size_t n = strcspn(sd, ":");
        char *dir = util_asprintf("%.*s", (int)n, sd);
        return dir;
    }
    /* XDG base directory spec: a relative XDG_STATE_HOME is ignored. */
    const char *xdg = getenv("XDG_STATE_HOME");
    if (xdg && xdg[0] == '/')
        return util_asprintf("%s/binge", xdg);
    const char *home = home_dir();
    if (home)
        return util_asprintf("%s/.local/state/binge", home);
    /* No home: a box started from init (or a service), whose state lives under /var/lib. */
    if (!system_dir || !*system_dir)
        return NULL;
    return util_strdup(system_dir);
}

static int apply_defaults(struct binge_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opt_table[i];
        switch (o->type) {
        case OPT_BOOL:
            *bool_field(opts, o) = o->def_int != 0;
            break;
        case OPT_INT:
            *int_field(opts, o) = o->def_int;
            break;
        case OPT_STRING:
            if (o->def_str) {
                *str_field(opts, o) = util_strdup(o->def_str);
                if (!*str_field(opts, o))
                    return BINGE_ENOMEM;
            }
            break;
        }
    }
    /* The server keys progress and unlocks by device; the host name is stable across runs and
     * readable in server logs. */
    char host[256];
    if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "unknown");
    host[sizeof(host) - 1] = '\0';
    /* Keep the default acceptable to the server whatever the host is called. */
    for (char *p = host; *p; p++) {
        if (!device_id_char(*p))
            *p = '-';
    }
    host[DEVICE_ID_MAX - 3] = '\0';
    opts->device_id = util_asprintf("tv-%s", host);
    opts->language = language_from_locale(locale_env());
    opts->state_dir = options_default_state_dir(BINGE_SYSTEM_STATE_DIR);
    return opts->device_id && opts->language && opts->state_dir ? 0 : BINGE_ENOMEM;
}

static void print_help(FILE *out)
{
    fprintf(out, "Usage: binge [OPTIONS]\n\n"
                 "A player for vertical micro-drama series.\n\n"
                 "Options (each is also read from the environment as BINGE_<NAME>, e.g.\n"
                 "BINGE_LOG_LEVEL, and from the --config file as \"name = value\"):\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opt_table[i];
        char left[64];
        if (o->type == OPT_BOOL)
            snprintf(left, sizeof(left), "--%s, --no-%s", o->name, o->name);
        else
            snprintf(left, sizeof(left), "--%s %s", o->name, o->metavar);
        fprintf(out, "  %-30s %s", left, o->help);
        if (o->type == OPT_INT)
            fprintf(out, " (%d..%d, default %d)", o->min, o->max, o->def_int);
        else if (o->type == OPT_STRING && o->def_str)
            fprintf(out, " (default %s)", o->def_str);
        fputc('\n', out);
    }
    fprintf(out, "  %-30s %s\n", "-h, --help", "print this help and exit");
    fprintf(out, "  %-30s %s\n", "--version", "print the version and exit");
    fprintf(out, "  %-30s %s\n", "--man", "print the manual page (roff) and exit");
    fprintf(out, "  %-30s %s\n", "--print-config",
            "print a config file with every setting at its default, commented out, and exit");
}

/* Text for roff: '-' is a hyphen unless escaped, a backslash starts an escape, and a line that
 * begins with '.' or '\'' would be a request. */
static void roff_text(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", out);
    for (; *s; s++) {
        if (*s == '-')
            fputs("\\-", out);
        else if (*s == '\\')
            fputs("\\e", out);
        else
            fputc(*s, out);
    }
}

static void env_name(const char *name, char *var, size_t size)
{
    size_t n = (size_t)snprintf(var, size, "BINGE_");
    for (const char *p = name; *p && n + 1 < size; p++)
        var[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    var[n] = '\0';
}

/* binge(1), from the option table: the packages install it (platform/dist/generated/binge.1, kept
 * equal to this output by the check_dist_docs test). */
static void print_man(FILE *out)
{
    fprintf(out,
            ".\\\" binge(1): generated by 'binge --man' from src/app/options.c; do not edit.\n");
    fprintf(out, ".TH BINGE 1 \"\" \"binge %s\" \"User Commands\"\n", BINGE_VERSION);
    fprintf(out, ".SH NAME\nbinge \\- a player for vertical micro\\-drama series on TV boxes\n");
    fprintf(out, ".SH SYNOPSIS\n.B binge\n[\\fIOPTIONS\\fR]\n");
    fprintf(out,
            ".SH DESCRIPTION\n"
            "binge streams the episodes of a catalog server (binge\\-server(1)) as HLS, with a\n"
            "user interface for a TV remote.\n"
            "With \\fB\\-\\-play\\fR it plays streams without a server, and with\n"
            "\\fB\\-\\-headless \\-\\-script\\fR it is driven by an automation script (QA).\n"
            ".PP\n"
            "Every option is read, in this order, each overriding the one before: the built\\-in\n"
            "default, the config file (\\fIname\\fR = \\fIvalue\\fR lines), the environment\n"
            "(\\fBBINGE_\\fR\\fINAME\\fR, upper case, \\- as _) and the command line.\n");
    fprintf(out, ".SH OPTIONS\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opt_table[i];
        fprintf(out, ".TP\n");
        if (o->type == OPT_BOOL) {
            fputs("\\fB", out);
            roff_text(out, "--");
            roff_text(out, o->name);
            fputs("\\fR, \\fB", out);
            roff_text(out, "--no-");
            roff_text(out, o->name);
            fputs("\\fR\n", out);
        } else {
            fputs("\\fB", out);
            roff_text(out, "--");
            roff_text(out, o->name);
            fputs("\\fR \\fI", out);
            roff_text(out, o->metavar);
            fputs("\\fR\n", out);
        }
        roff_text(out, o->help);
        if (o->type == OPT_INT)
            fprintf(out, " (%d..%d, default %d)", o->min, o->max, o->def_int);
        else if (o->type == OPT_STRING && o->def_str) {
            fputs(" (default ", out);
            roff_text(out, o->def_str);
            fputs(")", out);
        }
        fputs(".", out);
        char var[64];
        env_name(o->name, var, sizeof(var));
        fputs(" Environment: \\fB", out);
        roff_text(out, var);
        fputs("\\fR", out);
        if (o->flags & OPT_NO_FILE)
            fputs("; not read from the config file", out);
        fputs(".\n", out);
    }
    fprintf(out, ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nPrint the options and exit.\n"
                 ".TP\n\\fB\\-\\-version\\fR\nPrint the version and exit.\n"
                 ".TP\n\\fB\\-\\-man\\fR\nPrint this manual page (roff) and exit.\n"
                 ".TP\n\\fB\\-\\-print\\-config\\fR\nPrint a config file with every "
                 "setting at its default, commented out, and exit.\n");
    fprintf(out, ".SH FILES\n"
                 ".TP\n\\fI$XDG_CONFIG_HOME/binge/binge.conf\\fR (else "
                 "\\fI~/.config/binge/binge.conf\\fR)\n"
                 "The user's config file, read when present and no \\fB\\-\\-config\\fR is "
                 "given.\n"
                 ".TP\n\\fI");
    roff_text(out, BINGE_SYSCONF_DIR "/binge.conf");
    fprintf(out, "\\fR\n"
                 "The system's config file (a box's), read when the user has none.\n"
                 ".TP\n\\fI$STATE_DIRECTORY\\fR, \\fI$XDG_STATE_HOME/binge\\fR, "
                 "\\fI~/.local/state/binge\\fR, \\fI");
    roff_text(out, BINGE_SYSTEM_STATE_DIR);
    fprintf(out, "\\fR\n"
                 "The state directory (sign\\-in, progress, settings, caches): the first that is "
                 "set of systemd's StateDirectory=, the XDG state home, the home directory; the "
                 "last when there is no home (a box started from init).\n");
    fprintf(out, ".SH ENVIRONMENT\n"
                 ".TP\n\\fBNOTIFY_SOCKET\\fR, \\fBWATCHDOG_USEC\\fR, \\fBWATCHDOG_PID\\fR\n"
                 "Set by systemd for a Type=notify service: binge says READY=1 when it is up and "
                 "WATCHDOG=1 from its main loop.\n"
                 ".TP\n\\fBLANG\\fR, \\fBLC_ALL\\fR, \\fBLC_MESSAGES\\fR\n"
                 "The default of \\fB\\-\\-language\\fR.\n");
    fprintf(out, ".SH EXIT STATUS\n"
                 "0 on a normal exit, 2 for a usage error, other values for a failure (the log "
                 "says which).\n");
    fprintf(out, ".SH SEE ALSO\nbinge\\-server(1)\n");
}

/* The conffile /etc/binge/binge.conf: every option a file may set, commented out at its default
 * (platform/dist/generated/binge.conf, kept equal to this output by the check_dist_docs test). */
static void print_config(FILE *out)
{
    fprintf(out, "# binge's settings (binge(1)): \"name = value\" lines, '#' starts a comment.\n"
                 "# Each setting is shown at its default, commented out. The environment\n"
                 "# (BINGE_NAME) and the command line override this file; a user's\n"
                 "# $XDG_CONFIG_HOME/binge/binge.conf, when present, is read instead of it.\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opt_table[i];
        if (o->flags & OPT_NO_FILE)
            continue;
        fprintf(out, "\n# %s\n", o->help);
        switch (o->type) {
        case OPT_BOOL:
            fprintf(out, "#%s = %s\n", o->name, o->def_int ? "true" : "false");
            break;
        case OPT_INT:
            fprintf(out, "# (%d..%d)\n#%s = %d\n", o->min, o->max, o->name, o->def_int);
            break;
        case OPT_STRING:
            /* Unset by default: empty, which uncommented leaves it unset. A default computed at
             * run time (the help says which) has no text: the value's shape then. */
            if (o->def_str)
                fprintf(out, "#%s = %s\n", o->name, o->def_str);
            else if (o->flags & OPT_NULLABLE)
                fprintf(out, "#%s =\n", o->name);
            else
                fprintf(out, "#%s = %s\n", o->name, o->metavar);
            break;
        }
    }
}

/* Splits "--name[=value]" into the option, an optional inline value and the bool sense. Returns
 * NULL for an unknown name. */
static const struct opt *match_arg(const char *arg, const char **inline_value, bool *negated)
{
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    *inline_value = eq ? eq + 1 : NULL;
    *negated = false;

    /* Only exact names: "_" is a config-file convenience, not a command line one. */
    for (size_t i = 0; i < N_OPTS; i++) {
        if (strlen(opt_table[i].name) == len && strncmp(opt_table[i].name, name, len) == 0)
            return &opt_table[i];
    }
    if (len > 3 && strncmp(name, "no-", 3) == 0) {
        for (size_t i = 0; i < N_OPTS; i++) {
            const struct opt *o = &opt_table[i];
            if (o->type == OPT_BOOL && strlen(o->name) == len - 3 &&
                strncmp(o->name, name + 3, len - 3) == 0) {
                *negated = true;
                return o;
            }
        }
    }
    return NULL;
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* Walks argv. With apply false it only validates names and finds the value of --config; with
 * apply true it sets every option. */
static int parse_argv(struct binge_options *opts, int argc, char **argv, bool apply,
                      const char **config, FILE *err)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            fprintf(err, "binge: unexpected argument '%s' (see --help)\n", arg);
            return BINGE_EINVAL;
        }
        const char *value;
        bool negated;
        const struct opt *o = match_arg(arg, &value, &negated);
        if (!o) {
            fprintf(err, "binge: unknown option '%s' (see --help)\n", arg);
            return BINGE_EINVAL;
        }
        char where[80];
        snprintf(where, sizeof(where), "option --%s", o->name);

        if (o->type == OPT_BOOL) {
            if (negated && value) {
                fprintf(err, "binge: %s: --no-%s takes no value\n", where, o->name);
                return BINGE_EINVAL;
            }
            if (!value)
                value = negated ? "false" : "true";
        } else if (!value) {
            /* "--server --headless" is a forgotten value, not a URL named "--headless". */
            if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
                fprintf(err, "binge: %s: missing value\n", where);
                return BINGE_EINVAL;
            }
            value = argv[++i];
        }

        if (o->offset == OFF(config) && config)
            *config = value;
        if (apply) {
            int rc = opt_set(opts, o, value, where, err);
            if (rc != 0)
                return rc == BINGE_ENOMEM ? rc : BINGE_EINVAL;
        }
    }
    return 0;
}

static int apply_env(struct binge_options *opts, FILE *err)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        const struct opt *o = &opt_table[i];
        char var[64] = "BINGE_";
        size_t n = strlen(var);
        for (const char *p = o->name; *p && n + 1 < sizeof(var); p++)
            var[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        var[n] = '\0';
        const char *value = getenv(var);
        if (!value)
            continue;
        char where[80];
        snprintf(where, sizeof(where), "environment %s", var);
        int rc = opt_set(opts, o, value, where, err);
        if (rc != 0)
            return rc == BINGE_ENOMEM ? rc : BINGE_EINVAL;
    }
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int options_load_buffer(struct binge_options *opts, const char *data, size_t len, const char *path,
                        FILE *err)
{
    char *text = NULL;
    int rc;

    if (!err)
        err = stderr;
    if (!path)
        path = "config";
    if (!opts || (!data && len > 0)) {
        fprintf(err, "binge: %s: no config text\n", path);
        return BINGE_EINVAL;
    }
    if (len > 0 && memchr(data, '\0', len)) {
        fprintf(err, "binge: %s: not a text file\n", path);
        return BINGE_EINVAL;
    }
    /* A private, NUL-terminated copy: lines are split in place. */
    text = malloc(len + 1);
    if (!text) {
        fprintf(err, "binge: %s: out of memory\n", path);
        return BINGE_ENOMEM;
    }
    if (len > 0)
        memcpy(text, data, len);
    text[len] = '\0';

    int lineno = 0;
    char *next = NULL;
    char *line = text;
    while (line) {
        /* strsep-style split that keeps empty lines so line numbers stay right. */
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        next = nl ? nl + 1 : NULL;
        lineno++;

        char *s = trim(line);
        if (*s == '\0' || *s == '#') {
            line = next;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            fprintf(err, "binge: %s:%d: expected \"name = value\"\n", path, lineno);
            rc = BINGE_EINVAL;
            goto fail;
        }
        *eq = '\0';
        char *key = trim(s);
        char *value = trim(eq + 1);
        /* Allow "key = \"value\"" since people quote paths with spaces. */
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        const struct opt *o = opt_find(key, strlen(key));
        if (!o || (o->flags & OPT_NO_FILE)) {
            /* The key is shown as read, so cap it: a config line may be long junk. */
            fprintf(err, "binge: %s:%d: unknown option '%.64s'\n", path, lineno, key);
            rc = BINGE_EINVAL;
            goto fail;
        }
        char where[PATH_MAX + 96];
        snprintf(where, sizeof(where), "%s:%d: %s", path, lineno, o->name);
        rc = opt_set(opts, o, value, where, err);
        if (rc != 0) {
            if (rc != BINGE_ENOMEM)
                rc = BINGE_EINVAL;
            goto fail;
        }
        line = next;
    }
    free(text);
    return 0;

fail:
    free(text);
    return rc;
}

int options_load_file(struct binge_options *opts, const char *path, FILE *err)
{
    char *text = NULL;
    size_t len = 0;

    if (!err)
        err = stderr;
    int rc = util_read_file(path, CONFIG_MAX_BYTES, &text, &len);
    if (rc != 0) {
        fprintf(err, "binge: %s: cannot read config file: %s\n", path, binge_strerror(rc));
        return rc == BINGE_ETOOBIG || rc == BINGE_ENOTFOUND ? BINGE_EIO : rc;
    }
    rc = options_load_buffer(opts, text, len, path, err);
    free(text);
    return rc;
}

int options_parse(struct binge_options *opts, int argc, char **argv, FILE *out, FILE *err)
{
    const char *config = NULL;
    int rc;

    if (!out)
        out = stdout;
    if (!err)
        err = stderr;
    rc = apply_defaults(opts);
    if (rc != 0) {
        fprintf(err, "binge: out of memory\n");
        return rc;
    }

    /* --help and --version win over everything else, so they work even with a broken config
     * file or environment. */
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            print_help(out);
            return OPTIONS_EXIT;
        }
        if (strcmp(argv[i], "--version") == 0) {
            fprintf(out, "binge %s\n", BINGE_VERSION);
            return OPTIONS_EXIT;
        }
        if (strcmp(argv[i], "--man") == 0) {
            print_man(out);
            return OPTIONS_EXIT;
        }
        if (strcmp(argv[i], "--print-config") == 0) {
            print_config(out);
            return OPTIONS_EXIT;
        }
    }

    /* The config file sits below the environment and argv, so it has to be found first. */
    rc = parse_argv(opts, argc, argv, false, &config, err);
    if (rc != 0)
        return rc;
    if (!config)
        config = getenv("BINGE_CONFIG");
    /* "--config=" (or BINGE_CONFIG=) explicitly asks for no file, not even the default one. */
    char *found = NULL;
    if (!config) {
        found = options_default_config(BINGE_SYSCONF_DIR);
        config = found;
    }
    rc = config && *config ? options_load_file(opts, config, err) : 0;
    free(found);
    if (rc != 0)
        return rc == BINGE_ENOMEM ? rc : BINGE_EINVAL;
    rc = apply_env(opts, err);
    if (rc != 0)
        return rc;
    return parse_argv(opts, argc, argv, true, NULL, err);
}

void options_clear(struct binge_options *opts)
{
    if (!opts)
        return;
    for (size_t i = 0; i < N_OPTS; i++) {
        if (opt_table[i].type == OPT_STRING)
            free(*str_field(opts, &opt_table[i]));
    }
    memset(opts, 0, sizeof(*opts));
}
