/* binge as a systemd service on a box (platform/dist/systemd/binge.service, issue 11 section 2):
 * - Type=notify with WatchdogSec=: a real AF_UNIX datagram socket stands for systemd's notify
 *   socket; binge says READY=1, then WATCHDOG=1 from its tick while it plays, then STOPPING=1.
 * - ProtectSystem=strict on a read-only root: in a mount namespace where every mount is
 *   read-only but the state and cache directories, binge (no HOME, StateDirectory= given as
 *   $STATE_DIRECTORY) plays to its first frame and keeps its state under the state directory.
 *   Where this machine cannot make a mount namespace, that case says so and is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/testutil.h"

static char content[1024];

static int setup(void **state)
{
    (void)state;
    snprintf(content, sizeof(content), "%s/fixtures/e2e-content-service", BINGE_BUILD_DIR);
    return tu_make_content(content, "--series 1 --episodes 2 --duration 2 --sizes 180x320");
}

static char *path_in(const char *dir, const char *name)
{
    static char bufs[8][1200];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
    return b;
}

static void test_notify_and_watchdog(void **state)
{
    const char *dir = tu_workdir("e2e-service-notify");
    assert_non_null(dir);
    char sock_path[1200], bin[1024], list[2600];
    snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
    snprintf(bin, sizeof(bin), "%s/bin/binge", BINGE_BUILD_DIR);
    snprintf(list, sizeof(list),
             "file://%s/midnight-heir/01/master.m3u8 file://%s/midnight-heir/02/master.m3u8",
             content, content);

    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(sock_path) < sizeof(sa.sun_path));
    strcpy(sa.sun_path, sock_path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    /* Read as systemd does, while binge runs: a datagram socket queues only
     * net.unix.max_dgram_qlen (10) of them. */
    struct timeval tv = {0, 100 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    setenv("NOTIFY_SOCKET", sock_path, 1);
    setenv("WATCHDOG_USEC", "200000", 1); /* a ping at least every 100 ms */
    setenv("STATE_DIRECTORY", path_in(dir, "state"), 1);
    char *argv[] = {bin, "--headless", "--play", list, NULL};
    pid_t pid = tu_spawn(argv, path_in(dir, "out.txt"), path_in(dir, "err.txt"));
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("STATE_DIRECTORY");
    assert_true(pid > 0);

    /* Two episodes of 2 s played: the loop ticked for seconds, so many pings. */
    char buf[256];
    int n = 0, ready_at = -1, stopping_at = -1, watchdogs = 0, status = -1;
    bool exited = false;
    for (int quiet = 0;; quiet++) {
        if (quiet > 1200) { /* 2 min of silence: hung; the test fails, binge does not stay */
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            fail_msg("binge sent nothing for 2 minutes and did not exit");
        }
        ssize_t got = recv(fd, buf, sizeof(buf) - 1, 0);
        if (got < 0) {
            if (exited)
                break; /* the last datagrams were read after the exit */
            if (waitpid(pid, &status, WNOHANG) == pid)
                exited = true;
            continue;
        }
        buf[got] = '\0';
        quiet = 0;
        if (strcmp(buf, "READY=1") == 0 && ready_at < 0)
            ready_at = n;
        else if (strcmp(buf, "WATCHDOG=1") == 0)
            watchdogs++;
        else if (strcmp(buf, "STOPPING=1") == 0)
            stopping_at = n;
        else
            fail_msg("unexpected notification '%s'", buf);
        n++;
    }
    close(fd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(ready_at, 0); /* READY=1 first */
    assert_int_equal(stopping_at, n - 1);
    assert_true(watchdogs >= 3); /* the tick runs at least once a second */
    char *log = tu_read_file(path_in(dir, "err.txt"));
    assert_non_null(log);
    assert_non_null(strstr(log, "systemd: READY=1 sent, watchdog 200 ms"));
    assert_non_null(strstr(log, "the last stream ended"));
    free(log);

    /* Not started by systemd: no socket, nothing said, nothing wrong. */
    char one[1300];
    snprintf(one, sizeof(one), "file://%s/midnight-heir/01/master.m3u8", content);
    char *plain[] = {bin, "--headless", "--play", one, "--exit-after-first-frame", NULL};
    assert_int_equal(tu_run(plain, path_in(dir, "out2.txt"), path_in(dir, "err2.txt"), 60), 0);
    log = tu_read_file(path_in(dir, "err2.txt"));
    assert_null(strstr(log, "systemd"));
    free(log);
}

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_read_only_root(void **state)
{
    const char *dir = tu_workdir("e2e-service-readonly");
    assert_non_null(dir);
    char d[400];
    assert_true(strlen(dir) < sizeof(d));
    snprintf(d, sizeof(d), "%s", dir);
    /* Can this machine make a mount namespace and remount read-only at all? */
    char probe[256];
    snprintf(probe, sizeof(probe),
             "unshare -m sh -c 'mount --make-rprivate / && mount -o remount,bind,ro / && "
             "! touch /binge-ro-probe' >/dev/null 2>&1");
    if (tu_sh(probe, NULL, 0) != 0) {
        print_message("SKIPPED: no mount namespace here (unshare -m needs CAP_SYS_ADMIN): the "
                      "read-only root is checked by scripts/test-package instead\n");
        skip();
    }
    char cmd[16384];
    /* Every mount read-only but /proc, /sys, /dev (as ProtectSystem=strict leaves the API
     * file systems) and the state and cache directories, bound onto themselves first. HOME is
     * "/" as systemd gives a service without a home; no XDG variable but the cache's. In a
     * cross build binge runs through the emulator (exec'd directly it needed binfmt_misc, and
     * found no sysroot there: status 255 under qemu-aarch64); its words, single quoted, join
     * the quoted sh -c text as it goes (they hold no spaces). */
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s/state' '%s/cache' && unshare -m sh -c '"
             "mount --make-rprivate / && "
             "mount --bind %s/state %s/state && mount --bind %s/cache %s/cache && "
             "for m in $(cut -d\" \" -f5 /proc/self/mountinfo | sort -u); do "
             "case $m in /proc*|/sys*|/dev*|%s/state|%s/cache) continue;; esac; "
             "mount -o remount,bind,ro $m 2>/dev/null; done; "
             "touch %s/written-outside 2>/dev/null && exit 99; "
             "exec env -u XDG_STATE_HOME -u XDG_CONFIG_HOME -u XDG_DATA_HOME -u BINGE_STATE_DIR "
             "HOME=/ STATE_DIRECTORY=%s/state XDG_CACHE_HOME=%s/cache "
             "%s%s/bin/binge --headless --play file://%s/midnight-heir/01/master.m3u8 "
             "--exit-after-first-frame' >%s/out.txt 2>%s/err.txt",
             d, d, d, d, d, d, d, d, d, d, d, tu_emulator_sh(), BINGE_BUILD_DIR, content, d, d);
    int rc = tu_sh(cmd, NULL, 0);
    char *log = tu_read_file(path_in(dir, "err.txt"));
    assert_non_null(log);
    if (rc != 0)
        print_error("binge on a read-only root: status %d\n%s\n", rc, log);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(log, "start to first frame:"));
    assert_null(strstr(log, "state is not kept"));
    free(log);
    /* The state went where systemd said (the store made its files there), nothing beside. */
    assert_true(count_entries(path_in(dir, "state")) > 0);
    assert_int_equal(access(path_in(dir, "written-outside"), F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_and_watchdog),
        cmocka_unit_test(test_read_only_root),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
