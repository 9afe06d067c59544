/* The automation script parser: every line is checked before anything runs, and a bad line is
 * reported as file:line with what was wrong. Table-driven, with rows that must fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/app/app_internal.h"

struct row {
    const char *script;
    bool ok;
    const char *error_part; /* expected in the error message when !ok */
};

static const struct row rows[] = {
    {"", true, NULL},
    {"# only a comment\n\n   \n", true, NULL},
    {"key OK\nkey RIGHT 3\nkey digit_7\n", true, NULL},
    {"key RIGHT 5 repeat\nkey LEFT repeat\n", true, NULL},
    {"wait 0\nwait 1500\n", true, NULL},
    {"wait-for player.state=playing\n", true, NULL},
    {"wait-for player.state=playing 8000\n", true, NULL},
    {"wait-for player.position_ms>=2000 9000\n", true, NULL},
    {"wait-for \"player.message=Locked: 30 coins\" 30000\n", true, NULL},
    {"wait-for error!=null\n", true, NULL},
    {"screenshot out.png\nstate\nquit\n", true, NULL},
    {"  key OK  \r\n", true, NULL},
    /* rows that must fail, with the line named */
    {"key\n", false, ":1: key: unknown action ''"},
    {"key FLY\n", false, ":1: key: unknown action 'FLY'"},
    {"key OK 0\n", false, ":1: key: expected ACTION [count 1..1000] [repeat]"},
    {"key OK x\n", false, ":1: key: expected ACTION [count"},
    {"key OK 3 held\n", false, ":1: key: expected ACTION [count"},
    {"key OK repeat 3\n", false, ":1: key: expected ACTION [count"},
    {"wait\n", false, ":1: wait: expected milliseconds"},
    {"wait -5\n", false, ":1: wait: expected milliseconds"},
    {"wait 12abc\n", false, ":1: wait: expected milliseconds"},
    {"state\nwait-for player.state\n", false, ":2: wait-for: expected PATH=VALUE"},
    {"wait-for =playing\n", false, ":1: wait-for: expected PATH=VALUE"},
    {"wait-for a=b soon\n", false, ":1: wait-for: the timeout"},
    {"wait-for \"a=b 100\n", false, ":1: too many arguments or an unclosed quote"},
    {"screenshot\n", false, ":1: screenshot: expected one file name"},
    {"screenshot a.png b.png\n", false, ":1: screenshot: expected one file name"},
    {"state now\n", false, ":1: unknown command 'state'"},
    {"quit\nfly away\n", false, ":2: unknown command 'fly'"},
    {"key OK 1 2 3\n", false, ":1: too many arguments"},
    /* line numbers count blank and comment lines too */
    {"\n# comment\n\nfly\n", false, ":4: unknown command 'fly'"},
    {"key OK\r\n\r\nkey NOPE\r\n", false, ":3: key: unknown action 'NOPE'"},
};

static void test_parse_rows(void **state)
{
    char path[] = "/tmp/binge-test-script-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(rows[i].script, f);
        fclose(f);
        char err[256] = "";
        struct automation *a = automation_new(path, NULL, stdout, NULL, NULL, err, sizeof(err));
        if (rows[i].ok != (a != NULL))
            fail_msg("row %zu (%s): expected %s, got '%s'", i, rows[i].script,
                     rows[i].ok ? "success" : "failure", err);
        if (!rows[i].ok && !strstr(err, rows[i].error_part))
            fail_msg("row %zu: error '%s' lacks '%s'", i, err, rows[i].error_part);
        automation_free(a);
    }
    unlink(path);
}

static void test_missing_file(void **state)
{
    char err[256] = "";
    assert_null(
        automation_new("/nonexistent/script.txt", NULL, stdout, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "can't read script /nonexistent/script.txt"));
    automation_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rows),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
