/* Unit tests for src/util/sd_notify.c against a real AF_UNIX datagram socket, as systemd's
 * notify socket is: a path socket and an abstract one, and rows that must fail. */
#include "binge/error.h"
#include "binge/sd_notify.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

static char tmpdir[PATH_MAX];

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/binge-test-sdnotify-XXXXXX");
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    rmdir(tmpdir);
    return 0;
}

/* A bound datagram socket, as systemd's; name "@x" is abstract. */
static int listen_dgram(const char *name)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    size_t n = strlen(name);
    assert_true(n < sizeof(sa.sun_path));
    memcpy(sa.sun_path, name, n);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';
    else
        len++;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
    return fd;
}

/* The next datagram, or "" when none is waiting. */
static void recv_one(int fd, char *buf, size_t size)
{
    ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);
    buf[n > 0 ? n : 0] = '\0';
}

static void test_path_socket(void **state)
{
    char path[PATH_MAX + 16], buf[256];
    snprintf(path, sizeof(path), "%s/notify", tmpdir);
    int fd = listen_dgram(path);
    setenv("NOTIFY_SOCKET", path, 1);
    assert_int_equal(sd_notify_send("READY=1"), 0);
    assert_int_equal(sd_notify_send("WATCHDOG=1"), 0);
    assert_int_equal(sd_notify_send("STATUS=home\nWATCHDOG=1"), 0);
    recv_one(fd, buf, sizeof(buf));
    assert_string_equal(buf, "READY=1");
    recv_one(fd, buf, sizeof(buf));
    assert_string_equal(buf, "WATCHDOG=1");
    recv_one(fd, buf, sizeof(buf));
    assert_string_equal(buf, "STATUS=home\nWATCHDOG=1");
    recv_one(fd, buf, sizeof(buf));
    assert_string_equal(buf, ""); /* one datagram per call, no more */
    close(fd);
    unlink(path);
    /* Nobody listening any more: an error, not a hang or a crash. */
    assert_int_equal(sd_notify_send("WATCHDOG=1"), BINGE_EIO);
}

static void test_abstract_socket(void **state)
{
    char name[64], buf[64];
    snprintf(name, sizeof(name), "@binge-test-notify-%ld", (long)getpid());
    int fd = listen_dgram(name);
    setenv("NOTIFY_SOCKET", name, 1);
    assert_int_equal(sd_notify_send("READY=1"), 0);
    recv_one(fd, buf, sizeof(buf));
    assert_string_equal(buf, "READY=1");
    close(fd);
}

static void test_send_rows(void **state)
{
    char long_name[200];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[0] = '/';
    long_name[sizeof(long_name) - 1] = '\0';
    static const char *const bad_names[] = {"relative/notify", "@", "/", ""};
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(sd_notify_send("READY=1"), BINGE_ENOTFOUND);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(sd_notify_send("READY=1"), BINGE_ENOTFOUND);
    for (size_t i = 0; i < 3; i++) {
        setenv("NOTIFY_SOCKET", bad_names[i], 1);
        assert_int_equal(sd_notify_send("READY=1"), BINGE_EINVAL);
    }
    setenv("NOTIFY_SOCKET", long_name, 1);
    assert_int_equal(sd_notify_send("READY=1"), BINGE_EINVAL);
    setenv("NOTIFY_SOCKET", "/nonexistent/binge/notify", 1);
    assert_int_equal(sd_notify_send("READY=1"), BINGE_EIO);
    assert_int_equal(sd_notify_send(NULL), BINGE_EINVAL);
    assert_int_equal(sd_notify_send(""), BINGE_EINVAL);
    unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_rows(void **state)
{
    char self[32], other[32];
    snprintf(self, sizeof(self), "%ld", (long)getpid());
    snprintf(other, sizeof(other), "%ld", (long)getpid() + 1);
    const struct {
        const char *usec, *pid;
        long long want;
    } rows[] = {
        {NULL, NULL, 0},        {"30000000", NULL, 30000}, {"30000000", self, 30000},
        {"30000000", other, 0}, {"30000000", "", 30000},   {"30000000", "12x", 0},
        {"0", NULL, 0},         {"-5", NULL, 0},           {"", NULL, 0},
        {"3s", NULL, 0},        {"999", NULL, 1},          {"99999999999999999999999", NULL, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].usec)
            setenv("WATCHDOG_USEC", rows[i].usec, 1);
        else
            unsetenv("WATCHDOG_USEC");
        if (rows[i].pid)
            setenv("WATCHDOG_PID", rows[i].pid, 1);
        else
            unsetenv("WATCHDOG_PID");
        long long got = (long long)sd_watchdog_interval_ms();
        if (got != rows[i].want) {
            print_error("watchdog row %zu: got %lld, want %lld\n", i, got, rows[i].want);
            fail();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_socket),
        cmocka_unit_test(test_abstract_socket),
        cmocka_unit_test(test_send_rows),
        cmocka_unit_test(test_watchdog_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
