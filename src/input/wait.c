#define _GNU_SOURCE
#include "binge/input.h"

#include <SDL_syswm.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "binge/input_source.h"
#include "binge/log.h"

LOG_MODULE("input");

/* The UI thread sleeps in poll() on fds it can name, instead of in SDL_WaitEventTimeout: SDL
 * 2.26 waits there by polling every millisecond when the video driver has no wait of its own
 * (offscreen, KMSDRM), 2.6% of a core on an idle home. The fds:
 *   - an eventfd any thread writes to wake the UI thread (network answers, player bus, image
 *     workers, the control socket);
 *   - x11: the X connection, where SDL's events come from;
 *   - KMSDRM: the evdev devices SDL reads (each opened a second time, read only to learn that
 *     they have something: reading our fd leaves SDL's queue alone), and an inotify watch on
 *     /dev/input for devices plugged in later;
 *   - offscreen, dummy: nothing but the eventfd (no input there). */

#define WAIT_MAX_INPUTS 32
#define WAIT_MAX_SOURCE_FDS 32 /* the input sources' (binge/input_source.h) */

enum {
    SLOT_WAKE = 0,
    SLOT_DISPLAY = 1, /* X connection, or the inotify watch of /dev/input */
    SLOT_INPUTS = 2,
};

struct input_waiter {
    int wake_fd;
    bool evdev;     /* KMSDRM: watch /dev/input */
    int display_fd; /* -1 when none */
    int inputs[WAIT_MAX_INPUTS];
    size_t n_inputs;
    atomic_bool woken;     /* coalesces wakes: one write until the UI thread has looked */
    struct input *sources; /* their fds are polled too; NULL: none */
};

static void close_inputs(struct input_waiter *w)
{
    for (size_t i = 0; i < w->n_inputs; i++)
        close(w->inputs[i]);
    w->n_inputs = 0;
}

/* (Re)opens /dev/input/event*, non-blocking, read only. Devices we may not open are SDL's to
 * skip too. */
static void scan_inputs(struct input_waiter *w)
{
    close_inputs(w);
    DIR *d = opendir("/dev/input");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && w->n_inputs < WAIT_MAX_INPUTS) {
        if (strncmp(e->d_name, "event", 5) != 0)
            continue;
        char path[300];
        snprintf(path, sizeof(path), "/dev/input/%s", e->d_name);
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0)
            w->inputs[w->n_inputs++] = fd;
    }
    closedir(d);
    log_debug("waiting on %zu input devices", w->n_inputs);
}

static void drain(int fd)
{
    char buf[1024];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

struct input_waiter *input_waiter_new(SDL_Window *window)
{
    const char *driver = SDL_GetCurrentVideoDriver();
    if (!driver)
        return NULL;
    bool x11 = strcmp(driver, "x11") == 0;
    bool kms = strcmp(driver, "KMSDRM") == 0;
    if (!x11 && !kms && strcmp(driver, "offscreen") != 0 && strcmp(driver, "dummy") != 0) {
        log_info("video driver %s: the UI thread waits in SDL", driver);
        return NULL;
    }
    struct input_waiter *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->display_fd = -1;
    atomic_init(&w->woken, false);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0)
        goto fail;
    if (x11) {
        SDL_SysWMinfo wm;
        SDL_VERSION(&wm.version);
#if defined(SDL_VIDEO_DRIVER_X11)
        if (window && SDL_GetWindowWMInfo(window, &wm) && wm.subsystem == SDL_SYSWM_X11)
            w->display_fd = ConnectionNumber(wm.info.x11.display);
#else
        (void)wm;
#endif
        if (w->display_fd < 0)
            goto fail;
    }
    if (kms) {
        w->evdev = true;
        w->display_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->display_fd >= 0 &&
            inotify_add_watch(w->display_fd, "/dev/input", IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
            close(w->display_fd);
            w->display_fd = -1;
        }
        scan_inputs(w);
    }
    log_info("video driver %s: the UI thread waits in poll (%s)", driver,
             x11   ? "X connection"
             : kms ? "evdev devices"
                   : "no input");
    return w;
fail:
    log_warn("video driver %s: can't wait in poll (%s); waiting in SDL", driver, strerror(errno));
    input_waiter_free(w);
    return NULL;
}

void input_waiter_free(struct input_waiter *w)
{
    if (!w)
        return;
    close_inputs(w);
    if (w->evdev && w->display_fd >= 0)
        close(w->display_fd); /* the inotify watch; the X connection is Xlib's */
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    free(w);
}

void input_waiter_wake(struct input_waiter *w)
{
    if (atomic_exchange(&w->woken, true))
        return;
    uint64_t one = 1;
    ssize_t n = write(w->wake_fd, &one, sizeof(one));
    (void)n; /* EAGAIN: the counter is full, so the UI thread wakes anyway */
}

void input_waiter_watch(struct input_waiter *w, struct input *in)
{
    w->sources = in;
}

int input_waiter_wait(struct input_waiter *w, int timeout_ms)
{
    struct pollfd fds[SLOT_INPUTS + WAIT_MAX_INPUTS + WAIT_MAX_SOURCE_FDS];
    nfds_t n = 0;
    fds[n++] = (struct pollfd){.fd = w->wake_fd, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = w->display_fd, .events = POLLIN}; /* -1 is skipped */
    for (size_t i = 0; i < w->n_inputs; i++)
        fds[n++] = (struct pollfd){.fd = w->inputs[i], .events = POLLIN};
    /* The sources' fds come last: what fired there is read by input_poll after this returns. */
    if (w->sources)
        n += input_fds(w->sources, fds + n, WAIT_MAX_SOURCE_FDS);
    int r = poll(fds, n, timeout_ms);
    if (r <= 0)
        return 0; /* the timeout, or EINTR: the caller looks around and comes back */
    if (fds[SLOT_WAKE].revents) {
        uint64_t v;
        ssize_t got = read(w->wake_fd, &v, sizeof(v));
        (void)got;
        atomic_store(&w->woken, false);
    }
    if (w->evdev && fds[SLOT_DISPLAY].revents) {
        drain(w->display_fd);
        scan_inputs(w); /* a device came or went; SDL's udev monitor opens it for SDL */
        return r;
    }
    for (size_t i = 0; i < w->n_inputs; i++) {
        short ev = fds[SLOT_INPUTS + i].revents;
        if (ev & (POLLERR | POLLHUP | POLLNVAL)) {
            scan_inputs(w); /* unplugged */
            break;
        }
        if (ev & POLLIN)
            drain(w->inputs[i]); /* SDL reads its own copy of these events */
    }
    return r;
}
