/* kinput_probe: runs the evdev or the CEC input source (src/input/evdev.c, cec.c) on the UI
 * thread's kind of loop (poll on the source's fds, then dispatch) and writes what it sees, one
 * line each, to OUT, for the kernel tests in tests/kernel/ to compare with what they typed:
 *
 *   READY                                   the source is open
 *   OPEN <device name> ir=0|1               evdev: a device was opened (at start or hotplug)
 *   CLOSE <device name>                     evdev: a device was closed (unplugged)
 *   CLAIMED <logical address> <a.b.c.d>     cec: the playback address is ours
 *   GONE                                    cec: the adapter went away, the source stopped
 *                                           polling it (--until-gone)
 *   KEY <source> <name> press|release [fresh]
 *                                           as the source emits it to the hub (fresh: a press
 *                                           past the hub's double-press filter)
 *
 *   kinput_probe evdev [--dir D] [--grab] --out OUT --count N
 *   kinput_probe cec [--device /dev/cecN] [--osd-name NAME] --out OUT --count N
 *   kinput_probe cec [--device /dev/cecN] --out OUT --until-gone
 *
 * It exits 0 after N KEY lines (--until-gone: after GONE), 1 on an error, 3 when no event came
 * for a minute (a bound so that a broken source ends the guest, not a budget), 4 when the
 * adapter's fd polled as hung up 1000 times in a row (the source kept a dead adapter in the
 * UI thread's poll: a busy loop). */
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binge/log.h"

#ifdef BINGE_HAVE_INPUT_EVDEV
#include "evdev.h"
#endif
#ifdef BINGE_HAVE_INPUT_CEC
#include "cec.h"
#endif

static FILE *out;
static long keys_seen;

__attribute__((format(printf, 1, 2))) static void line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fflush(out);
}

static void on_key(void *hub, const struct input_key_event *key)
{
    (void)hub;
    fprintf(out, "KEY %s %s %s%s\n", key->source, key->key, key->pressed ? "press" : "release",
            key->pressed && key->fresh ? " fresh" : "");
    fflush(out);
    keys_seen++;
}

#ifdef BINGE_HAVE_INPUT_EVDEV
#define MAX_SEEN 64
static char seen[MAX_SEEN][128];
static size_t n_seen;

/* OPEN and CLOSE lines from the difference between the devices open before and now. */
static void diff_devices(const struct input_evdev *ev)
{
    char now[MAX_SEEN][128];
    size_t n = input_evdev_count(ev);
    for (size_t i = 0; i < n && i < MAX_SEEN; i++)
        snprintf(now[i], sizeof(now[i]), "%s ir=%d", input_evdev_device_name(ev, i),
                 input_evdev_device_is_ir(ev, i));
    for (size_t j = 0; j < n_seen; j++) {
        bool still = false;
        for (size_t i = 0; i < n && !still; i++)
            still = strcmp(seen[j], now[i]) == 0;
        if (!still)
            line("CLOSE %s\n", seen[j]);
    }
    for (size_t i = 0; i < n && i < MAX_SEEN; i++) {
        bool old = false;
        for (size_t j = 0; j < n_seen && !old; j++)
            old = strcmp(seen[j], now[i]) == 0;
        if (!old)
            line("OPEN %s\n", now[i]);
    }
    memcpy(seen, now, sizeof(now));
    n_seen = n < MAX_SEEN ? n : MAX_SEEN;
}

static int run_evdev(const char *dir, bool grab, long count)
{
    struct input_evdev *ev = NULL;
    struct input_evdev_config config = {.dir = dir, .grab = grab};
    if (input_evdev_new(&config, on_key, NULL, &ev) < 0)
        return 1;
    line("READY\n");
    diff_devices(ev);
    while (keys_seen < count) {
        struct pollfd fds[40];
        size_t n = input_evdev_pollfds(ev, fds, 40);
        if (poll(fds, n, 60000) == 0) {
            input_evdev_free(ev);
            return 3;
        }
        input_evdev_dispatch(ev);
        diff_devices(ev);
    }
    input_evdev_free(ev);
    return 0;
}
#endif

#ifdef BINGE_HAVE_INPUT_CEC
static int run_cec(const char *device, const char *osd_name, long count, bool until_gone)
{
    struct input_cec *cec = NULL;
    struct input_cec_config config = {.device = device, .osd_name = osd_name};
    if (input_cec_new(&config, on_key, NULL, &cec) < 0)
        return 1;
    line("READY\n");
    bool claimed = false;
    int hung_up = 0;
    while (until_gone || keys_seen < count) {
        if (!claimed && input_cec_logical_address(cec) >= 0) {
            unsigned pa = input_cec_physical_address(cec);
            fprintf(out, "CLAIMED %d %x.%x.%x.%x\n", input_cec_logical_address(cec), pa >> 12,
                    (pa >> 8) & 0xf, (pa >> 4) & 0xf, pa & 0xf);
            fflush(out);
            claimed = true;
        }
        struct pollfd fds[1];
        size_t n = input_cec_pollfds(cec, fds, 1);
        if (n == 0 && until_gone) {
            line("GONE\n");
            break;
        }
        int timeout = input_cec_timeout_ms(cec);
        int rc = poll(fds, n, timeout < 0 ? 60000 : timeout);
        if (rc == 0 && timeout < 0) {
            input_cec_free(cec);
            return 3;
        }
        hung_up = rc > 0 && (fds[0].revents & (POLLERR | POLLHUP)) ? hung_up + 1 : 0;
        if (hung_up == 1000) {
            line("SPIN\n");
            input_cec_free(cec);
            return 4;
        }
        input_cec_dispatch(cec);
    }
    input_cec_free(cec);
    return 0;
}
#endif

int main(int argc, char **argv)
{
    if (argc < 2)
        goto usage;
    const char *source = argv[1], *path = NULL, *dir = NULL, *device = NULL, *osd = NULL;
    bool grab = false, until_gone = false;
    long count = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--grab") == 0)
            grab = true;
        else if (strcmp(argv[i], "--until-gone") == 0)
            until_gone = true;
        else if (i + 1 < argc && strcmp(argv[i], "--out") == 0)
            path = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--dir") == 0)
            dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--device") == 0)
            device = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--osd-name") == 0)
            osd = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--count") == 0)
            count = strtol(argv[++i], NULL, 10);
        else
            goto usage;
    }
    if (!path || (count <= 0 && !until_gone))
        goto usage;
    out = fopen(path, "w");
    if (!out) {
        perror(path);
        return 1;
    }
    log_set_level(LOG_DEBUG);
    int rc = 2;
#ifdef BINGE_HAVE_INPUT_EVDEV
    if (strcmp(source, "evdev") == 0)
        rc = run_evdev(dir, grab, count);
#endif
#ifdef BINGE_HAVE_INPUT_CEC
    if (strcmp(source, "cec") == 0)
        rc = run_cec(device, osd, count, until_gone);
#endif
    (void)dir;
    (void)grab;
    (void)device;
    (void)osd;
    (void)until_gone;
    fclose(out);
    if (rc == 2)
        goto usage;
    return rc;
usage:
    fprintf(stderr, "usage: kinput_probe evdev|cec [--dir D] [--grab] [--device P] "
                    "[--osd-name N] --out FILE --count N|--until-gone\n");
    return 2;
}
