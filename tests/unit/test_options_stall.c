/* Unit tests for binge's time bounds that slow boards and emulation lengthen (src/app/options.c):
 * --stall-timeout, the player's stall watchdog (besides 1000..600000 it takes -1, off, and 0,
 * the default; from the command line, the config file and the environment; garbage and the gaps
 * are errors), and --stop-timeout, the bounded stop's (src/app/stop.c). */
#include "binge/error.h"
#include "binge/options.h"
#include "binge/util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char tmpdir[64];
static char empty_conf[128];

/* Parses "binge --config <empty file> --NAME=ARG" (ARG NULL: without it). Returns
 * options_parse's result; *stall and *stop get the two options, err_text what went to stderr
 * (freed by the caller). */
static int parse_bounds(const char *name, const char *arg, int *stall, int *stop, char **err_text)
{
    char opt[96];
    char *argv[5] = {(char *)"binge", (char *)"--config", empty_conf, NULL, NULL};
    int argc = 3;
    if (arg) {
        snprintf(opt, sizeof(opt), "--%s=%s", name, arg);
        argv[argc++] = opt;
    }
    char *out_text = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&out_text, &out_len);
    FILE *err = open_memstream(err_text, &err_len);
    assert_non_null(out);
    assert_non_null(err);
    struct binge_options o;
    memset(&o, 0xA5, sizeof(o));
    int rc = options_parse(&o, argc, argv, out, err);
    fclose(out);
    fclose(err);
    free(out_text);
    *stall = o.stall_timeout_ms;
    *stop = o.stop_timeout_ms;
    options_clear(&o);
    return rc;
}

/* --stall-timeout ARG: *value gets it. */
static int parse(const char *arg, int *value, char **err_text)
{
    int stop;
    return parse_bounds("stall-timeout", arg, value, &stop, err_text);
}

static void test_default(void **state)
{
    (void)state;
    int v = 0;
    char *err = NULL;
    assert_int_equal(parse(NULL, &v, &err), OPTIONS_RUN);
    assert_int_equal(v, 8000);
    free(err);
}

static void test_accepted(void **state)
{
    (void)state;
    static const struct {
        const char *arg;
        int value;
    } rows[] = {
        {"-1", -1}, {"0", 0}, {"1000", 1000}, {"30000", 30000}, {"600000", 600000},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int v = 12345;
        char *err = NULL;
        print_message("  --stall-timeout=%s\n", rows[i].arg);
        assert_int_equal(parse(rows[i].arg, &v, &err), OPTIONS_RUN);
        assert_string_equal(err, "");
        assert_int_equal(v, rows[i].value);
        free(err);
    }
}

static void test_rejected(void **state)
{
    (void)state;
    static const struct {
        const char *arg, *err;
    } rows[] = {
        {"999", "option --stall-timeout: 999 is out of range (-1 = off, 0 = default, "
                "1000..600000)"},
        {"1", "out of range"},
        {"-2", "option --stall-timeout: -2 is out of range"},
        {"600001", "out of range"},
        {"99999999999999999999", "out of range"},
        {"8s", "option --stall-timeout: '8s' is not an integer"},
        {"", "is not an integer"},
        {" 8000", "is not an integer"},
        {"off", "'off' is not an integer"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int v = 0;
        char *err = NULL;
        print_message("  --stall-timeout=%s\n", rows[i].arg);
        assert_int_equal(parse(rows[i].arg, &v, &err), BINGE_EINVAL);
        assert_non_null(strstr(err, rows[i].err));
        free(err);
    }
}

static void test_config_and_env(void **state)
{
    (void)state;
    struct binge_options o;
    memset(&o, 0, sizeof(o));
    const char *good = "stall-timeout = 45000\n";
    assert_int_equal(options_load_buffer(&o, good, strlen(good), "binge.conf", NULL), 0);
    assert_int_equal(o.stall_timeout_ms, 45000);
    const char *under = "stall_timeout = -1\n";
    assert_int_equal(options_load_buffer(&o, under, strlen(under), "binge.conf", NULL), 0);
    assert_int_equal(o.stall_timeout_ms, -1);

    char *err_text = NULL;
    size_t err_len = 0;
    FILE *err = open_memstream(&err_text, &err_len);
    const char *bad = "\nstall-timeout = 500\n";
    assert_int_equal(options_load_buffer(&o, bad, strlen(bad), "binge.conf", err), BINGE_EINVAL);
    fclose(err);
    assert_non_null(strstr(err_text, "binge.conf:2: stall-timeout: 500 is out of range"));
    assert_int_equal(o.stall_timeout_ms, -1); /* nothing lost */
    free(err_text);
    options_clear(&o);

    int v = 0;
    char *e = NULL;
    setenv("BINGE_STALL_TIMEOUT", "120000", 1);
    assert_int_equal(parse(NULL, &v, &e), OPTIONS_RUN);
    assert_int_equal(v, 120000);
    free(e);
    e = NULL;
    assert_int_equal(parse("20000", &v, &e), OPTIONS_RUN); /* the command line wins */
    assert_int_equal(v, 20000);
    free(e);
    e = NULL;
    setenv("BINGE_STALL_TIMEOUT", "forever", 1);
    assert_int_equal(parse(NULL, &v, &e), BINGE_EINVAL);
    assert_non_null(strstr(e, "BINGE_STALL_TIMEOUT: 'forever' is not an integer"));
    free(e);
    unsetenv("BINGE_STALL_TIMEOUT");
}

static void test_help(void **state)
{
    (void)state;
    char *argv[] = {(char *)"binge", (char *)"--help", NULL};
    char *out_text = NULL, *err_text = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&out_text, &out_len);
    FILE *err = open_memstream(&err_text, &err_len);
    struct binge_options o;
    memset(&o, 0, sizeof(o));
    assert_int_equal(options_parse(&o, 2, argv, out, err), OPTIONS_EXIT);
    fclose(out);
    fclose(err);
    assert_non_null(strstr(out_text, "--stall-timeout MS"));
    assert_non_null(strstr(out_text, "(1000..600000, default 8000)"));
    options_clear(&o);
    free(out_text);
    free(err_text);
}

/* --stop-timeout: 10 s by default, longer for a slow board or an emulator (a cross build's
 * tests get BINGE_STOP_TIMEOUT), from the command line over the environment; too short is an
 * error. */
static void test_stop_timeout(void **state)
{
    (void)state;
    int stall = 0, stop = 0;
    char *err = NULL;
    assert_int_equal(parse_bounds("stop-timeout", NULL, &stall, &stop, &err), OPTIONS_RUN);
    assert_int_equal(stop, 10000);
    free(err);
    err = NULL;
    assert_int_equal(parse_bounds("stop-timeout", "40000", &stall, &stop, &err), OPTIONS_RUN);
    assert_int_equal(stop, 40000);
    free(err);
    err = NULL;
    assert_int_equal(parse_bounds("stop-timeout", "500", &stall, &stop, &err), BINGE_EINVAL);
    assert_non_null(strstr(err, "option --stop-timeout: 500 is out of range (1000..600000)"));
    free(err);
    err = NULL;
    setenv("BINGE_STOP_TIMEOUT", "40000", 1);
    assert_int_equal(parse_bounds("stop-timeout", NULL, &stall, &stop, &err), OPTIONS_RUN);
    assert_int_equal(stop, 40000);
    free(err);
    err = NULL;
    assert_int_equal(parse_bounds("stop-timeout", "3000", &stall, &stop, &err), OPTIONS_RUN);
    assert_int_equal(stop, 3000); /* the command line wins */
    free(err);
    unsetenv("BINGE_STOP_TIMEOUT");
}

static int setup(void **state)
{
    (void)state;
    unsetenv("BINGE_STALL_TIMEOUT");
    unsetenv("BINGE_STOP_TIMEOUT");
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/binge-test-stall-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(empty_conf, sizeof(empty_conf), "%s/empty.conf", tmpdir);
    return util_write_file_atomic(empty_conf, "", 0, 0600);
}

static int teardown(void **state)
{
    (void)state;
    unlink(empty_conf);
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),  cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_rejected), cmocka_unit_test(test_config_and_env),
        cmocka_unit_test(test_help),     cmocka_unit_test(test_stop_timeout),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
