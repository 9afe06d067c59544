#ifndef BINGE_OPTIONS_H
#define BINGE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The client's settings. One option table (name, type, offset, default, range, help) in
 * src/app/options.c drives the command line (--name VALUE / --flag), the config file
 * (name = value lines, '#' comments) and the environment (BINGE_NAME, upper-case, '-' -> '_').
 * Precedence: defaults < config file < environment < command line.
 * The config file is --config FILE, else $BINGE_CONFIG (either empty: no file at all), else the
 * first that exists of $XDG_CONFIG_HOME/binge/binge.conf (~/.config/binge/binge.conf) and
 * /etc/binge/binge.conf (a box's; CMake's BINGE_SYSCONF_DIR). `binge --man` prints binge(1) and
 * `binge --print-config` the commented default config, both from the same table.
 *
 * Ownership: strings are owned by the struct; release with options_clear().
 * Threading: parse on the main thread before anything else starts. */
struct binge_options {
    char *server_url;    /* --server URL, default "http://127.0.0.1:8080" */
    bool headless;       /* --headless: SDL offscreen video, silent audio */
    char *script;        /* --script FILE: automation script, NULL if none */
    char *control;       /* --control PATH: automation Unix socket, NULL if none */
    bool fullscreen;     /* --fullscreen */
    char *config;        /* --config FILE, NULL if none given (a default file may have been read) */
    char *platform;      /* --platform NAME: auto|rpi|kms|desktop|headless, default "auto" */
    char *log_level;     /* --log-level error|warn|info|debug, default "info" */
    char *font;          /* --font FILE: UI font; NULL = ask fontconfig for a sans font */
    char *device_id;     /* --device-id ID: default derived from the host name */
    int width;           /* --width N: window width in pixels, 640..7680, default 1280 */
    int height;          /* --height N: window height in pixels, 360..4320, default 720 */
    int http_timeout_ms; /* --http-timeout MS: total per-request timeout, 500..120000,
                            default 10000 */
    /* --progress-interval MS: position saved and reported this often while playing,
     * 20..600000, default 10000. */
    int progress_interval_ms;
    /* --render-delay MS: QA only (not from a config file): each frame drawn takes this much
     * longer, 0..1000, default 0, to try the loop on a box slower than its animation rate. */
    int render_delay_ms;
    /* --play "URL [URL...]": play these streams (space-separated) full screen, then exit. */
    char *play;
    /* --exit-after-first-frame: with --play, exit 0 once the first frame is drawn. */
    bool exit_after_first_frame;
    /* --state-dir DIR: persistent state (tokens, progress queue, caches). Default
     * options_default_state_dir("/var/lib/binge"): systemd's $STATE_DIRECTORY, else
     * $XDG_STATE_HOME/binge, else $HOME/.local/state/binge, else /var/lib/binge (no home: a box
     * started from init). Never NULL after a successful parse. Never created here. */
    char *state_dir;
    /* --connect-timeout MS: connect timeout of one HTTP attempt, 100..60000, default 3000. */
    int connect_timeout_ms;
    /* --http-retries N: retries of a retryable request (GET, idempotent POST), 0..10, default 3.
     * 0 means none: pass NET_RETRIES_NONE in net_config.max_retries then, since 0 there means
     * "the default". */
    int http_retries;
    /* --language LANG: sent as Accept-Language, e.g. "es" or "pt-BR, en;q=0.5" (1..64
     * characters of letters, digits and - , ; = . * space). Default from the locale
     * environment, the first set of LC_ALL, LC_MESSAGES and LANG ("pt_BR.UTF-8" -> "pt-BR");
     * "en" when none is set or it is C or POSIX. */
    char *language;
    /* --language (or BINGE_LANGUAGE, or the config file) was given: its first tag is the
     * menus' language then, over the settings screen's choice (docs/i18n.md). */
    bool language_set;
    /* --start-bitrate KBPS: a stream with a master playlist starts on its best variant at or
     * below this many kbit/s (never an audio-only one), and ABR climbs from there; 0 = the
     * first variant listed. 0..1000000, default 1000: a low start for a fast first frame. */
    int start_bitrate_kbps;
    /* --stall-timeout MS: the player's stall watchdog re-tunes a stream that made no progress
     * for this long (before the first frame: since the open), and gives up after three; -1 =
     * off, 0 = the default, else 1000..600000, default 8000 (player_config.stall_timeout_ms).
     * Longer for boards or emulators whose first play loads the decoders slowly. */
    int stall_timeout_ms;
    /* --stop-timeout MS: a stop (a quit, SIGTERM or SIGINT) still running this long after it
     * began ends the process with a logged error (src/app/stop.c); 1000..600000, default
     * 10000. Longer for boards or emulators on which tearing the player down is slow. */
    int stop_timeout_ms;
    /* --audio-sink DESC: the GStreamer audio sink as a gst-launch description, e.g.
     * "alsasink device=hdmi:0" or "pulsesink"; NULL = the platform's (autoaudiosink on the
     * desktop, a silent sink headless). The next episode prerolls with a second instance, so
     * the device must allow two (dmix, pulse, pipewire). */
    char *audio_sink;
    /* --video-output NAME: texture (frames uploaded to an SDL texture under the UI), plane (a
     * GStreamer sink draws on a window or plane of its own, the UI around it) or null (decoded
     * and dropped); NULL = the platform's. */
    char *video_output;
    /* --video-sink DESC: with the plane output, the GStreamer sink as a gst-launch description
     * ("glimagesink", "kmssink plane-id=40"); NULL = the platform's, else the first of
     * waylandsink, xvimagesink, ximagesink, glimagesink and kmssink that works. */
    char *video_sink;
    /* --keymap FILE: the keymap (assets/keymaps/default.conf says the format); NULL =
     * /etc/binge/keymap.conf when it exists, else the platform profile's installed keymap,
     * else the built-in default. A missing or bad file is logged and the default used. */
    char *keymap;
    /* --repeat-delay MS: a held remote key (IR, CEC, LIRC, game controller) repeats after this
     * long, 100..5000, default 500. The SDL keyboard keeps its own repeat. */
    int repeat_delay_ms;
    /* --repeat-rate N: then this many times a second, 1..50, default 8. */
    int repeat_rate;
    /* --lirc-socket PATH: lircd's socket, default /var/run/lirc/lircd (binge reconnects when
     * lircd restarts; "" = no LIRC). */
    char *lirc_socket;
    /* --theme FILE|NAME: branding (include/binge/theme.h): a .theme file, or NAME for
     * ${datadir}/binge/themes/NAME.theme; NULL = binge's own look. */
    char *theme;
    /* --safe-area PCT: the safe area in percent of each side, "5" or "left top right bottom"
     * ("5 3 5 3"), each 0..10; NULL = the theme's, else the platform's, else 5. */
    char *safe_area;
    /* --evdev-dir DIR: where the evdev source finds input devices, default /dev/input ("" = no
     * evdev). Without a display server only (KMSDRM, headless): under x11/wayland SDL gets the
     * keys from the display server, unless --evdev-grab. */
    char *evdev_dir;
    /* --evdev-grab: take the evdev devices for binge alone (EVIOCGRAB). */
    bool evdev_grab;
    /* --cec-device PATH: the HDMI-CEC adapter, default: the first /dev/cecN ("" = no CEC). */
    char *cec_device;
};

enum options_result {
    OPTIONS_RUN = 0,  /* parsed; run the program */
    OPTIONS_EXIT = 1, /* --help or --version was printed to out; exit 0 */
};

/* Fills opts with defaults, then the config file (from --config, found by a first pass over
 * argv), then the environment, then argv. Help/version text goes to out; error messages name
 * the offending option and go to err.
 * Returns OPTIONS_RUN, OPTIONS_EXIT, or BINGE_EINVAL (unknown option, missing value, value out
 * of range or of the wrong type, unreadable config file). On error opts is still safe to clear. */
int options_parse(struct binge_options *opts, int argc, char **argv, FILE *out, FILE *err);

/* Reads one config file into opts (used by options_parse, exposed for tests). Returns 0 or
 * BINGE_EINVAL/BINGE_EIO with a message naming file:line written to err. */
int options_load_file(struct binge_options *opts, const char *path, FILE *err);

/* options_load_file on a config text in memory (len bytes, need not be NUL-terminated; a NUL
 * inside is an error); name stands for the file in messages ("name:line: ..."). Options not in
 * the text are left as they are, so opts may be zeroed or hold defaults. Returns 0,
 * BINGE_EINVAL or BINGE_ENOMEM. For tests and the config fuzzer. */
int options_load_buffer(struct binge_options *opts, const char *text, size_t len, const char *name,
                        FILE *err);

/* The config file read when neither --config nor $BINGE_CONFIG names one: the user's
 * $XDG_CONFIG_HOME/binge/binge.conf (a relative XDG_CONFIG_HOME is ignored; else
 * $HOME/.config/binge/binge.conf when HOME is absolute and not "/") if it is a regular file, else
 * system_dir/binge.conf if it is one, else NULL. options_parse passes /etc/binge; tests their own.
 * Returns a new string (transfer full, free()) or NULL. */
char *options_default_config(const char *system_dir);

/* The default state directory: the first path of $STATE_DIRECTORY (set by systemd's
 * StateDirectory=) when absolute; else $XDG_STATE_HOME/binge when absolute; else
 * $HOME/.local/state/binge when HOME is absolute and not "/"; else system_dir (NULL when that is
 * NULL or empty). options_parse passes /var/lib/binge. Returns a new string (transfer full) or
 * NULL. Creates nothing. */
char *options_default_state_dir(const char *system_dir);

/* Frees every string in opts and zeroes it. Safe on a zeroed struct. */
void options_clear(struct binge_options *opts);

#endif
