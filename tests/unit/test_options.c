/* Unit tests for src/app/options.c: table-driven command lines that must succeed or fail, the
 * config file, the environment and their precedence. */
#include "binge/error.h"
#include "binge/options.h"
#include "binge/util.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define MAX_ARGS 8

static const char *const env_vars[] = {
    "BINGE_SERVER",
    "BINGE_HEADLESS",
    "BINGE_SCRIPT",
    "BINGE_CONTROL",
    "BINGE_FULLSCREEN",
    "BINGE_CONFIG",
    "BINGE_PLATFORM",
    "BINGE_LOG_LEVEL",
    "BINGE_FONT",
    "BINGE_DEVICE_ID",
    "BINGE_WIDTH",
    "BINGE_HEIGHT",
    "BINGE_HTTP_TIMEOUT",
    "BINGE_PLAY",
    "BINGE_EXIT_AFTER_FIRST_FRAME",
    "BINGE_STATE_DIR",
    "BINGE_CONNECT_TIMEOUT",
    "BINGE_HTTP_RETRIES",
    "BINGE_LANGUAGE",
    "BINGE_THEME",
    "BINGE_SAFE_AREA",
};

/* The defaults of --language and --state-dir come from these; setup pins them. */
static const char *const locale_vars[] = {"LC_ALL",         "LC_MESSAGES", "LANG",
                                          "XDG_STATE_HOME", "HOME",        "STATE_DIRECTORY",
                                          "XDG_CONFIG_HOME"};
static char *saved_locale[sizeof(locale_vars) / sizeof(locale_vars[0])];

static char tmpdir[PATH_MAX];

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
        unsetenv(env_vars[i]);
}

static void pin_locale_env(void)
{
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    setenv("LANG", "pt_BR.UTF-8", 1);
    setenv("XDG_STATE_HOME", "/tmp/xdg-state", 1);
    setenv("HOME", "/home/viewer", 1);
    unsetenv("STATE_DIRECTORY");
    /* No user's config file is found there (the tests make their own). */
    setenv("XDG_CONFIG_HOME", "/nonexistent/xdg-config", 1);
}

static int setup(void **state)
{
    for (size_t i = 0; i < sizeof(locale_vars) / sizeof(locale_vars[0]); i++)
        saved_locale[i] = util_strdup(getenv(locale_vars[i]));
    pin_locale_env();
    clear_env();
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/binge-test-options-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    for (size_t i = 0; i < sizeof(locale_vars) / sizeof(locale_vars[0]); i++) {
        if (saved_locale[i])
            setenv(locale_vars[i], saved_locale[i], 1);
        else
            unsetenv(locale_vars[i]);
        free(saved_locale[i]);
        saved_locale[i] = NULL;
    }
    clear_env();
    rmdir(tmpdir);
    return 0;
}

/* Captured output of one options_parse() call. */
struct run {
    int rc;
    struct binge_options opts;
    char *out;
    char *err;
};

static void run_parse(struct run *r, const char *const *args)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"binge";
    for (size_t i = 0; args && i < MAX_ARGS && args[i]; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;

    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&r->out, &out_len);
    FILE *err = open_memstream(&r->err, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    memset(&r->opts, 0xA5, sizeof(r->opts)); /* options_parse must not trust the struct */
    r->rc = options_parse(&r->opts, argc, argv, out, err);
    fclose(out);
    fclose(err);
}

static void run_done(struct run *r)
{
    options_clear(&r->opts);
    free(r->out);
    free(r->err);
}

static char *write_tmp(const char *name, const char *text)
{
    char *path = util_asprintf("%s/%s", tmpdir, name);
    assert_non_null(path);
    assert_int_equal(util_write_file_atomic(path, text, strlen(text), 0600), 0);
    return path;
}

/* ---- checks for rows that must succeed ---- */

static void check_defaults(const struct binge_options *o)
{
    assert_string_equal(o->server_url, "http://127.0.0.1:8080");
    assert_false(o->headless);
    assert_false(o->fullscreen);
    assert_null(o->script);
    assert_null(o->control);
    assert_null(o->config);
    assert_null(o->font);
    assert_string_equal(o->platform, "auto");
    assert_string_equal(o->log_level, "info");
    assert_int_equal(o->width, 1280);
    assert_int_equal(o->height, 720);
    assert_int_equal(o->http_timeout_ms, 10000);
    assert_int_equal(o->connect_timeout_ms, 3000);
    assert_int_equal(o->http_retries, 3);
    assert_int_equal(o->start_bitrate_kbps, 1000);
    assert_null(o->audio_sink);
    assert_null(o->video_output);
    assert_null(o->video_sink);
    assert_string_equal(o->language, "pt-BR");
    assert_string_equal(o->state_dir, "/tmp/xdg-state/binge");

    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    char *want = util_asprintf("tv-%s", host);
    assert_string_equal(o->device_id, want);
    free(want);
}

static void check_server(const struct binge_options *o)
{
    assert_string_equal(o->server_url, "http://10.0.0.2:8080");
}

static void check_server_https(const struct binge_options *o)
{
    assert_string_equal(o->server_url, "https://api.example.com/base");
}

static void check_theme(const struct binge_options *o)
{
    assert_string_equal(o->theme, "acme");
    assert_string_equal(o->safe_area, "2.5 3% 2.5 3");
}

static void check_headless(const struct binge_options *o)
{
    assert_true(o->headless);
    assert_false(o->fullscreen);
}

static void check_not_headless(const struct binge_options *o)
{
    assert_false(o->headless);
}

static void check_fullscreen(const struct binge_options *o)
{
    assert_true(o->fullscreen);
}

static void check_min_sizes(const struct binge_options *o)
{
    assert_int_equal(o->width, 640);
    assert_int_equal(o->height, 360);
    assert_int_equal(o->http_timeout_ms, 500);
}

static void check_max_sizes(const struct binge_options *o)
{
    assert_int_equal(o->width, 7680);
    assert_int_equal(o->height, 4320);
    assert_int_equal(o->http_timeout_ms, 120000);
}

static void check_strings(const struct binge_options *o)
{
    assert_string_equal(o->script, "/tmp/a.script");
    assert_string_equal(o->control, "/tmp/binge.sock");
    assert_string_equal(o->platform, "headless");
    assert_string_equal(o->log_level, "debug");
    assert_string_equal(o->font, "/usr/share/fonts/x.ttf");
    assert_string_equal(o->device_id, "tv-qa-7");
}

static void check_font_reset(const struct binge_options *o)
{
    assert_null(o->font);
}

static void check_audio_sink(const struct binge_options *o)
{
    assert_string_equal(o->audio_sink, "alsasink device=hdmi:0");
    assert_string_equal(o->video_output, "plane");
    assert_string_equal(o->video_sink, "glimagesink");
}

static void check_client_net(const struct binge_options *o)
{
    assert_string_equal(o->state_dir, "/var/lib/binge");
    assert_int_equal(o->connect_timeout_ms, 100);
    assert_int_equal(o->http_retries, 0);
    assert_string_equal(o->language, "th");
}

static void check_client_net_max(const struct binge_options *o)
{
    assert_string_equal(o->state_dir, "relative/state");
    assert_int_equal(o->connect_timeout_ms, 60000);
    assert_int_equal(o->http_retries, 10);
    assert_string_equal(o->language, "pt-BR, en;q=0.5");
}

static void check_language_star(const struct binge_options *o)
{
    assert_string_equal(o->language, "*");
}

static void check_start_bitrate_off(const struct binge_options *o)
{
    assert_int_equal(o->start_bitrate_kbps, 0);
}

static void check_start_bitrate_max(const struct binge_options *o)
{
    assert_int_equal(o->start_bitrate_kbps, 1000000);
}

struct row {
    const char *name;
    const char *args[MAX_ARGS + 1];
    int rc;
    const char *out; /* substring of the output, or NULL */
    const char *err; /* substring of the error output, or NULL */
    void (*check)(const struct binge_options *o);
};

static void test_argv_rows(void **state)
{
    static const struct row rows[] = {
        /* must succeed */
        {"no arguments", {NULL}, OPTIONS_RUN, NULL, NULL, check_defaults},
        {"--server VALUE",
         {"--server", "http://10.0.0.2:8080"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_server},
        {"--server=VALUE",
         {"--server=https://api.example.com/base"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_server_https},
        {"last one wins",
         {"--server", "http://x:1", "--server=http://10.0.0.2:8080"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_server},
        {"bare flag", {"--headless"}, OPTIONS_RUN, NULL, NULL, check_headless},
        {"--no-flag", {"--headless", "--no-headless"}, OPTIONS_RUN, NULL, NULL, check_not_headless},
        {"--flag=no", {"--headless=no"}, OPTIONS_RUN, NULL, NULL, check_not_headless},
        {"--flag=1", {"--headless=1"}, OPTIONS_RUN, NULL, NULL, check_headless},
        {"--flag=yes", {"--fullscreen=yes"}, OPTIONS_RUN, NULL, NULL, check_fullscreen},
        {"minimum values",
         {"--width", "640", "--height=360", "--http-timeout", "500"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_min_sizes},
        {"maximum values",
         {"--width=7680", "--height", "4320", "--http-timeout=120000"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_max_sizes},
        {"strings",
         {"--script", "/tmp/a.script", "--control=/tmp/binge.sock", "--platform=headless",
          "--log-level=debug", "--font", "/usr/share/fonts/x.ttf", "--device-id=tv-qa-7"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_strings},
        {"empty resets a nullable string",
         {"--font", "/x.ttf", "--font="},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_font_reset},
        {"audio sink",
         {"--audio-sink", "alsasink device=hdmi:0", "--video-output=plane", "--video-sink",
          "glimagesink"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_audio_sink},
        {"client net options",
         {"--state-dir", "/var/lib/binge", "--connect-timeout=100", "--http-retries", "0",
          "--language=th"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_client_net},
        {"client net maxima",
         {"--state-dir=relative/state", "--connect-timeout", "60000", "--http-retries=10",
          "--language", "pt-BR, en;q=0.5"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_client_net_max},
        {"any language", {"--language=*"}, OPTIONS_RUN, NULL, NULL, check_language_star},
        {"start on the first variant",
         {"--start-bitrate=0"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_start_bitrate_off},
        {"start bitrate maximum",
         {"--start-bitrate", "1000000"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_start_bitrate_max},
        {"--help", {"--help"}, OPTIONS_EXIT, "--http-timeout MS", NULL, NULL},
        {"--help lists state-dir", {"--help"}, OPTIONS_EXIT, "--state-dir DIR", NULL, NULL},
        {"--help shows retries", {"--help"}, OPTIONS_EXIT, "(0..10, default 3)", NULL, NULL},
        {"-h", {"-h"}, OPTIONS_EXIT, "Usage: binge", NULL, NULL},
        {"--help lists flags", {"--help"}, OPTIONS_EXIT, "--headless, --no-headless", NULL, NULL},
        {"--help shows ranges", {"--help"}, OPTIONS_EXIT, "640..7680", NULL, NULL},
        {"--help wins over errors",
         {"--bogus", "--help"},
         OPTIONS_EXIT,
         "--server URL",
         NULL,
         NULL},
        {"--version", {"--version"}, OPTIONS_EXIT, "binge " BINGE_VERSION "\n", NULL, NULL},

        {"--theme and --safe-area",
         {"--theme", "acme", "--safe-area", "2.5 3% 2.5 3"},
         OPTIONS_RUN,
         NULL,
         NULL,
         check_theme},
        /* must fail, naming the option */
        {"--safe-area over 10", {"--safe-area", "10.5"}, BINGE_EINVAL, NULL, "--safe-area", NULL},
        {"--safe-area of two",
         {"--safe-area=5 5"},
         BINGE_EINVAL,
         NULL,
         "left top right bottom",
         NULL},
        {"--safe-area not a number",
         {"--safe-area", "wide"},
         BINGE_EINVAL,
         NULL,
         "percentage",
         NULL},
        {"--safe-area three decimals",
         {"--safe-area", "2.125"},
         BINGE_EINVAL,
         NULL,
         "percentage",
         NULL},
        {"unknown option", {"--bogus"}, BINGE_EINVAL, NULL, "unknown option '--bogus'", NULL},
        {"unknown =value", {"--bogus=1"}, BINGE_EINVAL, NULL, "unknown option '--bogus=1'", NULL},
        {"--no- on a non-flag", {"--no-width"}, BINGE_EINVAL, NULL, "unknown option", NULL},
        {"positional", {"movie.mp4"}, BINGE_EINVAL, NULL, "unexpected argument 'movie.mp4'", NULL},
        {"single dash", {"-x"}, BINGE_EINVAL, NULL, "unexpected argument '-x'", NULL},
        {"double dash", {"--"}, BINGE_EINVAL, NULL, "unexpected argument '--'", NULL},
        {"missing value", {"--server"}, BINGE_EINVAL, NULL, "option --server: missing value", NULL},
        {"value is an option",
         {"--script", "--headless"},
         BINGE_EINVAL,
         NULL,
         "option --script: missing value",
         NULL},
        {"missing int value",
         {"--width"},
         BINGE_EINVAL,
         NULL,
         "option --width: missing value",
         NULL},
        {"int below range",
         {"--width", "639"},
         BINGE_EINVAL,
         NULL,
         "option --width: 639 is out of range (640..7680)",
         NULL},
        {"int above range",
         {"--height=4321"},
         BINGE_EINVAL,
         NULL,
         "option --height: 4321 is out of range (360..4320)",
         NULL},
        {"timeout below range",
         {"--http-timeout", "499"},
         BINGE_EINVAL,
         NULL,
         "option --http-timeout",
         NULL},
        {"int overflow",
         {"--width", "99999999999999999999"},
         BINGE_EINVAL,
         NULL,
         "option --width: 99999999999999999999 is out of range",
         NULL},
        {"negative int", {"--width=-1280"}, BINGE_EINVAL, NULL, "out of range", NULL},
        {"non-numeric int",
         {"--width", "abc"},
         BINGE_EINVAL,
         NULL,
         "option --width: 'abc' is not an integer",
         NULL},
        {"int with suffix",
         {"--width=1280px"},
         BINGE_EINVAL,
         NULL,
         "'1280px' is not an integer",
         NULL},
        {"empty int",
         {"--width="},
         BINGE_EINVAL,
         NULL,
         "option --width: '' is not an integer",
         NULL},
        {"float int", {"--http-timeout", "1.5"}, BINGE_EINVAL, NULL, "not an integer", NULL},
        {"bad URL scheme",
         {"--server", "ftp://example.com"},
         BINGE_EINVAL,
         NULL,
         "option --server: 'ftp://example.com': expected an http:// or https:// URL",
         NULL},
        {"file URL", {"--server=file:///etc/passwd"}, BINGE_EINVAL, NULL, "option --server", NULL},
        {"URL without host", {"--server=http://"}, BINGE_EINVAL, NULL, "option --server", NULL},
        {"not a URL", {"--server", "localhost:8080"}, BINGE_EINVAL, NULL, "option --server", NULL},
        {"empty server", {"--server="}, BINGE_EINVAL, NULL, "option --server: empty value", NULL},
        {"bad log level",
         {"--log-level", "verbose"},
         BINGE_EINVAL,
         NULL,
         "option --log-level: 'verbose'",
         NULL},
        {"bad bool",
         {"--headless=maybe"},
         BINGE_EINVAL,
         NULL,
         "option --headless: 'maybe' is not a boolean",
         NULL},
        {"--no-flag=value", {"--no-headless=1"}, BINGE_EINVAL, NULL, "takes no value", NULL},
        {"device id with space",
         {"--device-id", "my tv"},
         BINGE_EINVAL,
         NULL,
         "option --device-id: 'my tv': expected only letters",
         NULL},
        {"device id too long",
         {"--device-id",
          "tv-0123456789012345678901234567890123456789012345678901234567890123456789"},
         BINGE_EINVAL,
         NULL,
         "longer than 64 characters",
         NULL},
        {"empty platform",
         {"--platform="},
         BINGE_EINVAL,
         NULL,
         "option --platform: empty value",
         NULL},
        {"connect timeout below range",
         {"--connect-timeout", "99"},
         BINGE_EINVAL,
         NULL,
         "option --connect-timeout: 99 is out of range (100..60000)",
         NULL},
        {"connect timeout above range",
         {"--connect-timeout=60001"},
         BINGE_EINVAL,
         NULL,
         "option --connect-timeout: 60001 is out of range",
         NULL},
        {"retries negative",
         {"--http-retries=-1"},
         BINGE_EINVAL,
         NULL,
         "option --http-retries: -1 is out of range (0..10)",
         NULL},
        {"retries above range", {"--http-retries", "11"}, BINGE_EINVAL, NULL, "(0..10)", NULL},
        {"unknown video output",
         {"--video-output", "overlay"},
         BINGE_EINVAL,
         NULL,
         "option --video-output: 'overlay': expected texture, plane or null",
         NULL},
        {"start bitrate negative",
         {"--start-bitrate=-1"},
         BINGE_EINVAL,
         NULL,
         "option --start-bitrate: -1 is out of range (0..1000000)",
         NULL},
        {"start bitrate in bit/s",
         {"--start-bitrate", "2500000"},
         BINGE_EINVAL,
         NULL,
         "(0..1000000)",
         NULL},
        {"retries not a number",
         {"--http-retries", "three"},
         BINGE_EINVAL,
         NULL,
         "option --http-retries: 'three' is not an integer",
         NULL},
        {"empty state dir",
         {"--state-dir="},
         BINGE_EINVAL,
         NULL,
         "option --state-dir: empty value",
         NULL},
        {"missing state dir", {"--state-dir"}, BINGE_EINVAL, NULL, "missing value", NULL},
        {"empty language", {"--language="}, BINGE_EINVAL, NULL, "option --language: empty", NULL},
        {"language with a line break",
         {"--language", "en\r\nX-Evil: 1"},
         BINGE_EINVAL,
         NULL,
         "option --language",
         NULL},
        {"language with a colon", {"--language", "en:fr"}, BINGE_EINVAL, NULL, "expected", NULL},
        {"language starting with a digit",
         {"--language=1en"},
         BINGE_EINVAL,
         NULL,
         "option --language: '1en'",
         NULL},
        {"language too long",
         {"--language",
          "en-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
         BINGE_EINVAL,
         NULL,
         "longer than 64 characters",
         NULL},
        {"missing config file",
         {"--config", "/nonexistent/binge.conf"},
         BINGE_EINVAL,
         NULL,
         "/nonexistent/binge.conf",
         NULL},
        {"error after good options",
         {"--headless", "--width", "1", "--fullscreen"},
         BINGE_EINVAL,
         NULL,
         "option --width",
         NULL},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct run r;
        run_parse(&r, rows[i].args);
        bool ok = r.rc == rows[i].rc && (!rows[i].out || strstr(r.out, rows[i].out)) &&
                  (!rows[i].err || strstr(r.err, rows[i].err));
        /* Help goes to out and errors to err, never the other way round. */
        if (r.rc == OPTIONS_EXIT)
            ok = ok && r.err[0] == '\0';
        if (r.rc < 0)
            ok = ok && r.out[0] == '\0' && r.err[0] != '\0';
        if (r.rc == OPTIONS_RUN)
            ok = ok && r.out[0] == '\0' && r.err[0] == '\0';
        if (!ok) {
            print_error("row '%s': rc %d (want %d)\nout: %s\nerr: %s\n", rows[i].name, r.rc,
                        rows[i].rc, r.out, r.err);
            run_done(&r);
            fail();
        }
        if (rows[i].check)
            rows[i].check(&r.opts);
        run_done(&r);
    }
}

static void test_version_exact(void **state)
{
    struct run r;
    const char *args[] = {"--version", NULL};
    run_parse(&r, args);
    assert_int_equal(r.rc, OPTIONS_EXIT);
    assert_string_equal(r.out, "binge " BINGE_VERSION "\n");
    run_done(&r);
}

static void test_config_file(void **state)
{
    char *path = write_tmp("good.conf", "# binge settings\n"
                                        "\n"
                                        "   server = http://192.168.1.5:8080   \n"
                                        "headless=yes\n"
                                        "fullscreen = 0\n"
                                        "\t# indented comment\n"
                                        "log_level = debug\r\n"
                                        "font = \"/usr/share/fonts/My Font.ttf\"\n"
                                        "width=1920\n"
                                        "state_dir = /data/binge\n"
                                        "connect-timeout = 1500\n"
                                        "http_retries = 5\n"
                                        "language = es\n"
                                        "http-timeout = 2500");
    struct binge_options o;
    memset(&o, 0, sizeof(o));
    char *err_text = NULL;
    size_t err_len = 0;
    FILE *err = open_memstream(&err_text, &err_len);
    assert_int_equal(options_load_file(&o, path, err), 0);
    fclose(err);
    assert_string_equal(err_text, "");
    assert_string_equal(o.server_url, "http://192.168.1.5:8080");
    assert_true(o.headless);
    assert_false(o.fullscreen);
    assert_string_equal(o.log_level, "debug");
    assert_string_equal(o.font, "/usr/share/fonts/My Font.ttf");
    assert_int_equal(o.width, 1920);
    assert_int_equal(o.http_timeout_ms, 2500);
    assert_string_equal(o.state_dir, "/data/binge");
    assert_int_equal(o.connect_timeout_ms, 1500);
    assert_int_equal(o.http_retries, 5);
    assert_string_equal(o.language, "es");
    options_clear(&o);
    options_clear(&o); /* safe on a zeroed struct */
    free(err_text);
    unlink(path);
    free(path);
}

static void test_config_file_errors(void **state)
{
    static const struct {
        const char *text;
        int rc;
        const char *err; /* after "<path>" */
    } rows[] = {
        {"width = 800\n# ok\ncolour = red\n", BINGE_EINVAL, ":3: unknown option 'colour'"},
        {"\n\nwidth = 100\n", BINGE_EINVAL, ":3: width: 100 is out of range (640..7680)"},
        {"headless\n", BINGE_EINVAL, ":1: expected \"name = value\""},
        {"headless = perhaps\n", BINGE_EINVAL, ":1: headless: 'perhaps' is not a boolean"},
        {"server = gopher://x\n", BINGE_EINVAL, ":1: server: 'gopher://x'"},
        {"config = /etc/other.conf\n", BINGE_EINVAL, ":1: unknown option 'config'"},
        {"= 5\n", BINGE_EINVAL, ":1: unknown option ''"},
        {"platform =\n", BINGE_EINVAL, ":1: platform: empty value"},
        {"http_retries = 99\n", BINGE_EINVAL, ":1: http-retries: 99 is out of range (0..10)"},
        {"language = en\\nfr\n", BINGE_EINVAL, ":1: language: 'en\\nfr'"},
        {"# ok\nconnect-timeout = 5s\n", BINGE_EINVAL, ":2: connect-timeout: '5s' is not"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *path = write_tmp("bad.conf", rows[i].text);
        struct binge_options o;
        memset(&o, 0, sizeof(o));
        char *err_text = NULL;
        size_t err_len = 0;
        FILE *err = open_memstream(&err_text, &err_len);
        int rc = options_load_file(&o, path, err);
        fclose(err);
        char *want = util_asprintf("%s%s", path, rows[i].err);
        if (rc != rows[i].rc || !strstr(err_text, want)) {
            print_error("config row %zu: rc %d, err '%s', want '%s'\n", i, rc, err_text, want);
            fail();
        }
        options_clear(&o);
        free(want);
        free(err_text);

        /* Through options_parse the same file is an invalid configuration. */
        struct run r;
        const char *args[] = {"--config", path, NULL};
        run_parse(&r, args);
        assert_int_equal(r.rc, BINGE_EINVAL);
        assert_non_null(strstr(r.err, path));
        run_done(&r);
        unlink(path);
        free(path);
    }

    struct binge_options o;
    memset(&o, 0, sizeof(o));
    FILE *devnull = fopen("/dev/null", "w");
    assert_int_equal(options_load_file(&o, "/nonexistent/binge.conf", devnull), BINGE_EIO);
    fclose(devnull);
}

static void test_precedence(void **state)
{
    /* Each layer sets the options below it too, so each value shows which layer won. */
    char *path = write_tmp("prec.conf", "width = 800\n"
                                        "height = 400\n"
                                        "http-timeout = 600\n"
                                        "platform = desktop\n");
    setenv("BINGE_HEIGHT", "500", 1);
    setenv("BINGE_HTTP_TIMEOUT", "700", 1);
    setenv("BINGE_HEADLESS", "true", 1);

    struct run r;
    const char *args[] = {"--http-timeout", "900", "--config", path, NULL};
    run_parse(&r, args);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_int_equal(r.opts.width, 800);           /* config */
    assert_int_equal(r.opts.height, 500);          /* env over config */
    assert_int_equal(r.opts.http_timeout_ms, 900); /* argv over env */
    assert_string_equal(r.opts.platform, "desktop");
    assert_true(r.opts.headless);
    assert_string_equal(r.opts.config, path);
    run_done(&r);

    /* BINGE_CONFIG names the file when --config is absent. */
    setenv("BINGE_CONFIG", path, 1);
    const char *none[] = {NULL};
    run_parse(&r, none);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_int_equal(r.opts.width, 800);
    assert_int_equal(r.opts.height, 500);
    assert_int_equal(r.opts.http_timeout_ms, 700);
    run_done(&r);

    /* "--config=" asks for no file at all, whatever BINGE_CONFIG says. */
    const char *noconf[] = {"--config=", NULL};
    run_parse(&r, noconf);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_int_equal(r.opts.width, 1280);
    assert_null(r.opts.config);
    run_done(&r);

    /* --no-flag beats the environment. */
    const char *noflag[] = {"--no-headless", NULL};
    run_parse(&r, noflag);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_false(r.opts.headless);
    run_done(&r);

    clear_env();
    unlink(path);
    free(path);
}

static void test_env_errors(void **state)
{
    static const struct {
        const char *var, *value, *err;
    } rows[] = {
        {"BINGE_WIDTH", "abc", "BINGE_WIDTH: 'abc' is not an integer"},
        {"BINGE_HTTP_TIMEOUT", "1", "BINGE_HTTP_TIMEOUT: 1 is out of range"},
        {"BINGE_SERVER", "file:///x", "BINGE_SERVER: 'file:///x'"},
        {"BINGE_HEADLESS", "sometimes", "BINGE_HEADLESS: 'sometimes' is not a boolean"},
        {"BINGE_LOG_LEVEL", "loud", "BINGE_LOG_LEVEL"},
        {"BINGE_CONFIG", "/nonexistent/x.conf", "/nonexistent/x.conf"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        setenv(rows[i].var, rows[i].value, 1);
        struct run r;
        const char *none[] = {NULL};
        run_parse(&r, none);
        if (r.rc != BINGE_EINVAL || !strstr(r.err, rows[i].err)) {
            print_error("env %s=%s: rc %d, err '%s'\n", rows[i].var, rows[i].value, r.rc, r.err);
            fail();
        }
        run_done(&r);
        unsetenv(rows[i].var);
    }

    /* An empty nullable variable unsets, like --font=. */
    setenv("BINGE_FONT", "", 1);
    struct run r;
    const char *none[] = {NULL};
    run_parse(&r, none);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_null(r.opts.font);
    run_done(&r);
    unsetenv("BINGE_FONT");
}

static void test_locale_defaults(void **state)
{
    static const struct {
        const char *lc_all, *lc_messages, *lang, *want;
    } rows[] = {
        {NULL, NULL, "pt_BR.UTF-8", "pt-BR"},
        {NULL, NULL, "th_TH", "th-TH"},
        {NULL, NULL, "ja", "ja"},
        {NULL, NULL, "de_DE.UTF-8@euro", "de-DE"},
        {NULL, NULL, "sr_RS@latin", "sr-RS"},
        {NULL, NULL, "C", "en"},
        {NULL, NULL, "C.UTF-8", "en"},
        {NULL, NULL, "POSIX", "en"},
        {NULL, NULL, "", "en"},
        {NULL, NULL, NULL, "en"},
        {NULL, NULL, "en US", "en"},
        {NULL, NULL, "x\r\nEvil: 1", "en"},
        {NULL, NULL, "zh_Hant_TW.UTF-8", "zh-Hant-TW"},
        {NULL, NULL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "en"},
        {NULL, "es_ES.UTF-8", "fr_FR.UTF-8", "es-ES"},
        {"ar_EG.UTF-8", "es_ES.UTF-8", "fr_FR.UTF-8", "ar-EG"},
        {"", "", "ko_KR", "ko-KR"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *values[] = {rows[i].lc_all, rows[i].lc_messages, rows[i].lang};
        for (size_t k = 0; k < 3; k++) {
            if (values[k])
                setenv(locale_vars[k], values[k], 1);
            else
                unsetenv(locale_vars[k]);
        }
        struct run r;
        const char *none[] = {NULL};
        run_parse(&r, none);
        assert_int_equal(r.rc, OPTIONS_RUN);
        if (strcmp(r.opts.language, rows[i].want) != 0) {
            print_error("locale row %zu: language '%s', want '%s'\n", i, r.opts.language,
                        rows[i].want);
            fail();
        }
        run_done(&r);
    }
    /* The option wins over the locale. */
    setenv("LANG", "fr_FR.UTF-8", 1);
    setenv("BINGE_LANGUAGE", "zh", 1);
    struct run r;
    const char *none[] = {NULL};
    run_parse(&r, none);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_string_equal(r.opts.language, "zh");
    run_done(&r);
    unsetenv("BINGE_LANGUAGE");
    pin_locale_env();
}

static void test_state_dir_defaults(void **state)
{
    static const struct {
        const char *xdg, *home, *want;
    } rows[] = {
        {"/tmp/xdg-state", "/home/viewer", "/tmp/xdg-state/binge"},
        {NULL, "/home/viewer", "/home/viewer/.local/state/binge"},
        {"", "/home/viewer", "/home/viewer/.local/state/binge"},
        {"relative/xdg", "/home/viewer", "/home/viewer/.local/state/binge"},
        {NULL, NULL, "/var/lib/binge"},
        {NULL, "not/absolute", "/var/lib/binge"},
        {NULL, "/", "/var/lib/binge"}, /* systemd's HOME for a service without a home */
        {"/tmp/xdg-state", "/", "/tmp/xdg-state/binge"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].xdg)
            setenv("XDG_STATE_HOME", rows[i].xdg, 1);
        else
            unsetenv("XDG_STATE_HOME");
        if (rows[i].home)
            setenv("HOME", rows[i].home, 1);
        else
            unsetenv("HOME");
        struct run r;
        const char *none[] = {NULL};
        run_parse(&r, none);
        assert_int_equal(r.rc, OPTIONS_RUN);
        assert_string_equal(r.opts.state_dir, rows[i].want);
        run_done(&r);
    }
    /* Started by systemd with StateDirectory=binge: that, over everything but the option. */
    setenv("STATE_DIRECTORY", "/var/lib/binge-box", 1);
    {
        struct run r;
        const char *none[] = {NULL};
        run_parse(&r, none);
        assert_string_equal(r.opts.state_dir, "/var/lib/binge-box");
        run_done(&r);
    }
    unsetenv("STATE_DIRECTORY");
    /* The option and the environment win over the default. */
    setenv("BINGE_STATE_DIR", "/srv/binge-state", 1);
    struct run r;
    const char *none[] = {NULL};
    run_parse(&r, none);
    assert_string_equal(r.opts.state_dir, "/srv/binge-state");
    run_done(&r);
    const char *arg[] = {"--state-dir", "/mnt/data", NULL};
    run_parse(&r, arg);
    assert_string_equal(r.opts.state_dir, "/mnt/data");
    run_done(&r);
    unsetenv("BINGE_STATE_DIR");
    pin_locale_env();
}

/* options_default_state_dir: each source in its order, rows that fall through. */
static void test_default_state_dir_rows(void **state)
{
    static const struct {
        const char *sd, *xdg, *home, *sys, *want; /* want NULL: no state dir */
    } rows[] = {
        {"/var/lib/binge", "/x/state", "/home/v", "/sys", "/var/lib/binge"},
        {"/var/lib/binge:/var/lib/other", NULL, NULL, "/sys", "/var/lib/binge"},
        {"relative", "/x/state", "/home/v", "/sys", "/x/state/binge"},
        {"", NULL, "/home/v", "/sys", "/home/v/.local/state/binge"},
        {NULL, "rel/state", "/home/v", "/sys", "/home/v/.local/state/binge"},
        {NULL, NULL, "/", "/sys", "/sys"},
        {NULL, NULL, NULL, "/sys", "/sys"},
        {NULL, NULL, "", "/sys", "/sys"},
        {NULL, NULL, NULL, NULL, NULL},
        {NULL, NULL, NULL, "", NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *vals[] = {rows[i].sd, rows[i].xdg, rows[i].home};
        const char *vars[] = {"STATE_DIRECTORY", "XDG_STATE_HOME", "HOME"};
        for (size_t k = 0; k < 3; k++) {
            if (vals[k])
                setenv(vars[k], vals[k], 1);
            else
                unsetenv(vars[k]);
        }
        char *got = options_default_state_dir(rows[i].sys);
        if (rows[i].want ? !got || strcmp(got, rows[i].want) != 0 : got != NULL) {
            print_error("state dir row %zu: got '%s', want '%s'\n", i, got ? got : "(null)",
                        rows[i].want ? rows[i].want : "(null)");
            fail();
        }
        free(got);
    }
    pin_locale_env();
}

/* options_default_config: the user's file, else the system's, else none; only regular files. */
static void test_default_config(void **state)
{
    char *user_dir = util_asprintf("%s/xdg", tmpdir);
    char *user_binge = util_asprintf("%s/xdg/binge", tmpdir);
    char *user_conf = util_asprintf("%s/xdg/binge/binge.conf", tmpdir);
    char *home = util_asprintf("%s/home", tmpdir);
    char *home_dirs[] = {util_asprintf("%s/home/.config", tmpdir),
                         util_asprintf("%s/home/.config/binge", tmpdir)};
    char *home_conf = util_asprintf("%s/home/.config/binge/binge.conf", tmpdir);
    char *sys_dir = util_asprintf("%s/etc-binge", tmpdir);
    char *sys_conf = util_asprintf("%s/etc-binge/binge.conf", tmpdir);
    assert_int_equal(mkdir(user_dir, 0700), 0);
    assert_int_equal(mkdir(user_binge, 0700), 0);
    assert_int_equal(mkdir(home, 0700), 0);
    assert_int_equal(mkdir(home_dirs[0], 0700), 0);
    assert_int_equal(mkdir(home_dirs[1], 0700), 0);
    assert_int_equal(mkdir(sys_dir, 0700), 0);

    setenv("XDG_CONFIG_HOME", user_dir, 1);
    setenv("HOME", home, 1);
    char *got = options_default_config(sys_dir);
    assert_null(got); /* nothing there yet */

    assert_int_equal(util_write_file_atomic(sys_conf, "width = 1000\n", 13, 0644), 0);
    got = options_default_config(sys_dir);
    assert_string_equal(got, sys_conf);
    free(got);
    assert_null(options_default_config(NULL));
    assert_null(options_default_config(""));

    /* ~/.config is not looked at while XDG_CONFIG_HOME is absolute. */
    assert_int_equal(util_write_file_atomic(home_conf, "width = 1100\n", 13, 0600), 0);
    got = options_default_config(sys_dir);
    assert_string_equal(got, sys_conf);
    free(got);
    setenv("XDG_CONFIG_HOME", "relative/xdg", 1);
    got = options_default_config(sys_dir);
    assert_string_equal(got, home_conf);
    free(got);
    unsetenv("XDG_CONFIG_HOME");
    got = options_default_config(sys_dir);
    assert_string_equal(got, home_conf);
    free(got);
    setenv("HOME", "/", 1);
    got = options_default_config(sys_dir);
    assert_string_equal(got, sys_conf);
    free(got);

    /* The user's file wins; a directory in its place is no file. */
    setenv("XDG_CONFIG_HOME", user_dir, 1);
    assert_int_equal(mkdir(user_conf, 0700), 0);
    got = options_default_config(sys_dir);
    assert_string_equal(got, sys_conf);
    free(got);
    assert_int_equal(rmdir(user_conf), 0);
    assert_int_equal(util_write_file_atomic(user_conf, "width = 1200\n", 13, 0600), 0);
    got = options_default_config(sys_dir);
    assert_string_equal(got, user_conf);
    free(got);

    /* Through options_parse: the user's file is read with no --config; BINGE_CONFIG= and
     * --config= read none; --config FILE reads that one only. */
    struct run r;
    const char *none[] = {NULL};
    run_parse(&r, none);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_int_equal(r.opts.width, 1200);
    assert_null(r.opts.config);
    run_done(&r);
    const char *no_file[] = {"--config=", NULL};
    run_parse(&r, no_file);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_int_equal(r.opts.width, 1280);
    run_done(&r);
    setenv("BINGE_CONFIG", "", 1);
    run_parse(&r, none);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_int_equal(r.opts.width, 1280);
    run_done(&r);
    unsetenv("BINGE_CONFIG");
    const char *explicit[] = {"--config", home_conf, NULL};
    run_parse(&r, explicit);
    assert_int_equal(r.rc, OPTIONS_RUN);
    assert_int_equal(r.opts.width, 1100);
    run_done(&r);
    /* A broken default file is an error like any config file, naming it. */
    assert_int_equal(util_write_file_atomic(user_conf, "width = wide\n", 13, 0600), 0);
    run_parse(&r, none);
    assert_int_equal(r.rc, BINGE_EINVAL);
    assert_non_null(strstr(r.err, user_conf));
    run_done(&r);

    unlink(user_conf);
    unlink(home_conf);
    unlink(sys_conf);
    rmdir(user_binge);
    rmdir(user_dir);
    rmdir(home_dirs[1]);
    rmdir(home_dirs[0]);
    rmdir(home);
    rmdir(sys_dir);
    free(user_dir);
    free(user_binge);
    free(user_conf);
    free(home);
    free(home_dirs[0]);
    free(home_dirs[1]);
    free(home_conf);
    free(sys_dir);
    free(sys_conf);
    pin_locale_env();
}

/* --print-config is the conffile: every setting a file takes, once, and what it shows
 * uncommented gives the defaults back. */
static void test_print_config(void **state)
{
    struct run r, d, h;
    const char *args[] = {"--print-config", NULL};
    run_parse(&r, args);
    assert_int_equal(r.rc, OPTIONS_EXIT);
    const char *none[] = {NULL};
    run_parse(&d, none);
    assert_int_equal(d.rc, OPTIONS_RUN);
    const char *help[] = {"--help", NULL};
    run_parse(&h, help);

    /* Every option of --help (the table) that a file accepts has exactly one line. */
    size_t n_opts = 0;
    for (const char *p = strstr(h.out, "\n  --"); p; p = strstr(p + 1, "\n  --")) {
        char name[64];
        if (sscanf(p + 5, "%63[a-z-]", name) != 1 || strcmp(name, "help") == 0 ||
            strcmp(name, "version") == 0 || strcmp(name, "man") == 0 ||
            strcmp(name, "print-config") == 0)
            continue;
        char probe[96];
        snprintf(probe, sizeof(probe), "%s = x\n", name);
        struct binge_options o;
        memset(&o, 0, sizeof(o));
        FILE *devnull = fopen("/dev/null", "w");
        char *errs = NULL;
        size_t elen = 0;
        FILE *err = open_memstream(&errs, &elen);
        options_load_buffer(&o, probe, strlen(probe), "probe", err);
        fclose(err);
        fclose(devnull);
        bool in_file = strstr(errs, "unknown option") == NULL;
        free(errs);
        options_clear(&o);
        char line[96];
        snprintf(line, sizeof(line), "\n#%s =", name);
        const char *at = strstr(r.out, line);
        if (in_file != (at != NULL) || (at && strstr(at + 1, line))) {
            print_error("--print-config: option %s: in file %d, line %s\n", name, in_file,
                        at ? "found" : "missing");
            fail();
        }
        n_opts++;
    }
    assert_true(n_opts >= 20);

    /* Uncommented, the lines with a value (not a shape such as FILE) load and change nothing. */
    char *text = util_strdup(r.out);
    assert_non_null(text);
    size_t w = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
        char *eq = memchr(line, '=', len);
        bool setting = line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && eq;
        bool shape = setting && eq + 2 < line + len && eq[2] >= 'A' && eq[2] <= 'Z';
        if (setting && !shape) {
            memmove(text + w, line + 1, len - 1);
            w += len - 1;
        }
        line += len;
    }
    text[w] = '\0';
    struct binge_options o;
    memset(&o, 0, sizeof(o));
    o.width = -1;
    assert_int_equal(options_load_buffer(&o, text, w, "print-config", NULL), 0);
    assert_string_equal(o.server_url, d.opts.server_url);
    assert_int_equal(o.headless, d.opts.headless);
    assert_int_equal(o.fullscreen, d.opts.fullscreen);
    assert_string_equal(o.platform, d.opts.platform);
    assert_string_equal(o.log_level, d.opts.log_level);
    assert_null(o.font);
    assert_int_equal(o.width, d.opts.width);
    assert_int_equal(o.height, d.opts.height);
    assert_int_equal(o.http_timeout_ms, d.opts.http_timeout_ms);
    assert_int_equal(o.progress_interval_ms, d.opts.progress_interval_ms);
    assert_int_equal(o.connect_timeout_ms, d.opts.connect_timeout_ms);
    assert_int_equal(o.http_retries, d.opts.http_retries);
    assert_int_equal(o.start_bitrate_kbps, d.opts.start_bitrate_kbps);
    options_clear(&o);
    free(text);
    run_done(&r);
    run_done(&d);
    run_done(&h);
}

/* --man: binge(1) in roff, every option of the table in it, hyphens escaped. */
static void test_man(void **state)
{
    struct run r, h;
    const char *args[] = {"--man", NULL};
    run_parse(&r, args);
    assert_int_equal(r.rc, OPTIONS_EXIT);
    const char *help[] = {"--help", NULL};
    run_parse(&h, help);
    assert_non_null(strstr(r.out, "\n.TH BINGE 1 \"\" \"binge " BINGE_VERSION "\""));
    assert_non_null(strstr(r.out, "\n.SH OPTIONS\n"));
    assert_non_null(strstr(r.out, "\\fI/etc/binge/binge.conf\\fR"));
    assert_non_null(strstr(r.out, "/var/lib/binge"));
    size_t n = 0;
    for (const char *p = strstr(h.out, "\n  --"); p; p = strstr(p + 1, "\n  --")) {
        char name[64], want[160];
        if (sscanf(p + 5, "%63[a-z-]", name) != 1)
            continue;
        size_t k = (size_t)snprintf(want, sizeof(want), "\\fB\\-\\-");
        for (const char *c = name; *c && k + 3 < sizeof(want); c++) {
            if (*c == '-')
                want[k++] = '\\';
            want[k++] = *c;
        }
        want[k] = '\0';
        if (!strstr(r.out, want)) {
            print_error("--man lacks %s\n", want);
            fail();
        }
        n++;
    }
    assert_true(n >= 24);
    /* No line starts a request by accident, and no unescaped hyphen in an option name. */
    assert_null(strstr(r.out, "\n'"));
    assert_null(strstr(r.out, "\\fB--"));
    run_done(&r);
    run_done(&h);
}

static void test_load_buffer(void **state)
{
    struct binge_options o;
    memset(&o, 0, sizeof(o));
    char *err_text = NULL;
    size_t err_len = 0;
    FILE *err = open_memstream(&err_text, &err_len);
    /* Not NUL-terminated: only len bytes count. */
    const char text[] = "width = 800\nheight = 400\nwidth = 1000";
    assert_int_equal(options_load_buffer(&o, text, 24, "mem.conf", err), 0);
    assert_int_equal(o.width, 800);
    assert_int_equal(o.height, 400);
    assert_int_equal(options_load_buffer(&o, text, sizeof(text) - 1, "mem.conf", err), 0);
    assert_int_equal(o.width, 1000);
    assert_int_equal(options_load_buffer(&o, "", 0, "mem.conf", err), 0);
    assert_int_equal(options_load_buffer(&o, NULL, 0, "mem.conf", err), 0);
    assert_int_equal(options_load_buffer(&o, "width = 800\0x", 13, "mem.conf", err), BINGE_EINVAL);
    const char *bogus = "font = a\nbogus = 1\n";
    assert_int_equal(options_load_buffer(&o, bogus, strlen(bogus), NULL, err), BINGE_EINVAL);
    fclose(err);
    assert_non_null(strstr(err_text, "mem.conf: not a text file"));
    assert_non_null(strstr(err_text, "config:2: unknown option 'bogus'"));
    assert_string_equal(o.font, "a");
    options_clear(&o);
    free(err_text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv_rows),
        cmocka_unit_test(test_version_exact),
        cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_config_file_errors),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_env_errors),
        cmocka_unit_test(test_locale_defaults),
        cmocka_unit_test(test_state_dir_defaults),
        cmocka_unit_test(test_load_buffer),
        cmocka_unit_test(test_default_state_dir_rows),
        cmocka_unit_test(test_default_config),
        cmocka_unit_test(test_print_config),
        cmocka_unit_test(test_man),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
