#define _GNU_SOURCE
#include "evdev.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "binge/error.h"
#include "binge/log.h"

LOG_MODULE("evdev");

#define EVDEV_MAX_DEVICES 32

#define EVDEV_KEY_BYTES ((KEY_MAX + 8) / 8)

struct evdev_device {
    int fd;
    struct libevdev *dev;    /* the device's description; its events are read here */
    char node[NAME_MAX + 1]; /* "event3" */
    bool ir;
    bool dropping;                 /* after SYN_DROPPED, until its SYN_REPORT */
    bool after_drop;               /* after SYN_DROPPED, until the queue is read to its end */
    uint8_t down[EVDEV_KEY_BYTES]; /* the keys handed on pressed and not released yet */
};

struct input_evdev {
    char *dir;
    char *parent; /* dir's parent, watched while dir does not exist */
    bool grab;
    input_emit_fn emit;
    void *hub;
    int inotify_fd;
    int watch;        /* on dir, or -1 */
    int parent_watch; /* on parent while dir is missing, or -1 */
    struct evdev_device devices[EVDEV_MAX_DEVICES];
    size_t n_devices;
    bool warned_full;
};

static bool is_event_node(const char *name)
{
    return strncmp(name, "event", 5) == 0 && name[5] >= '0' && name[5] <= '9';
}

/* A remote has a D-pad and an OK (or ENTER, SELECT). Mice, power buttons, lid switches, and
 * the PC speaker do not. */
static bool has_remote_keys(const struct libevdev *dev)
{
    if (!libevdev_has_event_type(dev, EV_KEY))
        return false;
    bool dpad = libevdev_has_event_code(dev, EV_KEY, KEY_UP) &&
                libevdev_has_event_code(dev, EV_KEY, KEY_DOWN);
    bool ok = libevdev_has_event_code(dev, EV_KEY, KEY_OK) ||
              libevdev_has_event_code(dev, EV_KEY, KEY_ENTER) ||
              libevdev_has_event_code(dev, EV_KEY, KEY_SELECT);
    return dpad && ok;
}

/* IR receivers are input devices whose parent is an rc-core device (class "rc"): their keys
 * come from a remote's retransmitted codes, so they are IR-like. Only known for the real
 * /dev/input (sysfs names the node the same). */
static bool is_rc_device(const char *node)
{
    char path[PATH_MAX], target[PATH_MAX];
    snprintf(path, sizeof(path), "/sys/class/input/%s/device/device/subsystem", node);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    const char *base = strrchr(target, '/');
    return strcmp(base ? base + 1 : target, "rc") == 0;
}

static struct evdev_device *find(struct input_evdev *ev, const char *node)
{
    for (size_t i = 0; i < ev->n_devices; i++)
        if (strcmp(ev->devices[i].node, node) == 0)
            return &ev->devices[i];
    return NULL;
}

static void key(struct input_evdev *ev, struct evdev_device *d, const struct input_event *e);

static bool key_down(const struct evdev_device *d, unsigned code)
{
    return code <= KEY_MAX && (d->down[code / 8] & (1u << (code % 8)));
}

/* A device unplugged (a USB remote pulled, a BLE remote gone to sleep) while a key is down:
 * the kernel queues the key's release for its readers, but evdev answers ENODEV without
 * handing it out, and inotify may say it first. Release it here, or the hub's repeat of that
 * key would go on until the next key. */
static void release_keys(struct input_evdev *ev, struct evdev_device *d)
{
    for (unsigned code = 0; code <= KEY_MAX; code++) {
        if (!key_down(d, code))
            continue;
        struct input_event e = {.type = EV_KEY, .code = (unsigned short)code, .value = 0};
        key(ev, d, &e);
    }
}

static void close_device(struct input_evdev *ev, size_t i, const char *why)
{
    struct evdev_device *d = &ev->devices[i];
    release_keys(ev, d);
    log_info("closed %s (%s)%s%s", d->node, libevdev_get_name(d->dev), why ? ": " : "",
             why ? why : "");
    libevdev_free(d->dev);
    close(d->fd);
    ev->devices[i] = ev->devices[--ev->n_devices];
}

/* How much to say when a node cannot be opened. */
enum open_why {
    OPEN_SCAN,    /* the directory's first look: say it, with the likely cause */
    OPEN_CREATED, /* a node just made: udev may not have set its group yet */
    OPEN_ATTRIB,  /* its attributes changed: in bursts while udev sets it up */
};

static void open_node(struct input_evdev *ev, const char *node, enum open_why why)
{
    if (!is_event_node(node) || find(ev, node))
        return;
    if (ev->n_devices == EVDEV_MAX_DEVICES) {
        if (!ev->warned_full)
            log_warn("more than %d input devices: %s and later ones are not read",
                     EVDEV_MAX_DEVICES, node);
        ev->warned_full = true;
        return;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", ev->dir, node);
    struct libevdev *dev = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        /* udev creates the node root-only and fixes its group a moment later (an IN_ATTRIB
         * follows): EACCES at creation is normal; at the first look it is the user's groups. */
        int err = errno;
        if (why == OPEN_SCAN && err == EACCES)
            log_warn("can't open %s: %s (is binge's user in the input group?)", path,
                     strerror(err));
        else if (why != OPEN_ATTRIB && err != EACCES)
            log_info("can't open %s: %s", path, strerror(err));
        else
            log_debug("can't open %s yet: %s", path, strerror(err));
        return;
    }
    int rc = libevdev_new_from_fd(fd, &dev);
    if (rc < 0) {
        log_debug("%s: not an evdev device (%s)", path, strerror(-rc));
        goto skip;
    }
    if (!has_remote_keys(dev)) {
        log_debug("%s (%s): no remote keys, not read", path, libevdev_get_name(dev));
        goto skip;
    }
    if (ev->grab) {
        rc = libevdev_grab(dev, LIBEVDEV_GRAB);
        if (rc < 0)
            log_warn("%s: can't grab (%s), reading it shared", path, strerror(-rc));
    }
    struct evdev_device *d = &ev->devices[ev->n_devices++];
    memset(d, 0, sizeof(*d));
    d->fd = fd;
    d->dev = dev;
    snprintf(d->node, sizeof(d->node), "%s", node);
    d->ir = is_rc_device(node);
    log_info("opened %s (%s)%s%s", node, libevdev_get_name(dev), d->ir ? ", IR receiver" : "",
             ev->grab ? ", grabbed" : "");
    return;
skip:
    libevdev_free(dev);
    close(fd);
}

static void scan(struct input_evdev *ev)
{
    DIR *dir = opendir(ev->dir);
    if (!dir) {
        log_debug("%s: %s", ev->dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(dir)))
        open_node(ev, e->d_name, OPEN_SCAN);
    closedir(dir);
}

static void close_all(struct input_evdev *ev, const char *why)
{
    while (ev->n_devices)
        close_device(ev, ev->n_devices - 1, why);
}

/* Watches dir; or, while it does not exist (no input device yet on a box that makes it on
 * demand), its parent for its creation. */
static void watch_dir(struct input_evdev *ev)
{
    ev->watch = inotify_add_watch(ev->inotify_fd, ev->dir,
                                  IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MOVED_TO | IN_MOVED_FROM |
                                      IN_DELETE_SELF | IN_ONLYDIR);
    if (ev->watch >= 0) {
        if (ev->parent_watch >= 0)
            inotify_rm_watch(ev->inotify_fd, ev->parent_watch);
        ev->parent_watch = -1;
        scan(ev);
        return;
    }
    if (ev->parent_watch < 0)
        ev->parent_watch =
            inotify_add_watch(ev->inotify_fd, ev->parent, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
    log_info("%s: %s; waiting for it", ev->dir, strerror(errno));
}

int input_evdev_new(const struct input_evdev_config *config, input_emit_fn emit, void *hub,
                    struct input_evdev **out)
{
    int rc = BINGE_ENOMEM;
    struct input_evdev *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return BINGE_ENOMEM;
    ev->inotify_fd = -1;
    ev->watch = -1;
    ev->parent_watch = -1;
    ev->dir = strdup(config && config->dir ? config->dir : "/dev/input");
    if (!ev->dir)
        goto fail;
    size_t len = strlen(ev->dir);
    while (len > 1 && ev->dir[len - 1] == '/')
        ev->dir[--len] = '\0';
    ev->parent = strdup(ev->dir);
    if (!ev->parent)
        goto fail;
    char *slash = strrchr(ev->parent, '/');
    if (slash)
        *(slash == ev->parent ? slash + 1 : slash) = '\0';
    else
        strcpy(ev->parent, ".");
    ev->grab = config && config->grab;
    ev->emit = emit;
    ev->hub = hub;
    ev->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ev->inotify_fd < 0) {
        log_warn("inotify: %s", strerror(errno));
        rc = BINGE_EIO;
        goto fail;
    }
    watch_dir(ev);
    if (ev->watch < 0 && ev->parent_watch < 0) {
        log_warn("can't watch %s nor %s: %s", ev->dir, ev->parent, strerror(errno));
        rc = BINGE_EIO;
        goto fail;
    }
    log_info("watching %s: %zu remote-like devices%s", ev->dir, ev->n_devices,
             ev->grab ? " (grabbed)" : "");
    *out = ev;
    return 0;
fail:
    input_evdev_free(ev);
    return rc;
}

void input_evdev_free(struct input_evdev *ev)
{
    if (!ev)
        return;
    while (ev->n_devices) {
        struct evdev_device *d = &ev->devices[--ev->n_devices];
        libevdev_free(d->dev);
        close(d->fd);
    }
    if (ev->inotify_fd >= 0)
        close(ev->inotify_fd);
    free(ev->dir);
    free(ev->parent);
    free(ev);
}

size_t input_evdev_pollfds(const struct input_evdev *ev, struct pollfd *fds, size_t max)
{
    size_t n = 0;
    if (n < max)
        fds[n++] = (struct pollfd){.fd = ev->inotify_fd, .events = POLLIN};
    for (size_t i = 0; i < ev->n_devices && n < max; i++)
        fds[n++] = (struct pollfd){.fd = ev->devices[i].fd, .events = POLLIN};
    return n;
}

bool input_evdev_watching(const struct input_evdev *ev)
{
    return ev->watch >= 0;
}

size_t input_evdev_count(const struct input_evdev *ev)
{
    return ev->n_devices;
}

const char *input_evdev_device_name(const struct input_evdev *ev, size_t i)
{
    return i < ev->n_devices ? libevdev_get_name(ev->devices[i].dev) : NULL;
}

bool input_evdev_device_is_ir(const struct input_evdev *ev, size_t i)
{
    return i < ev->n_devices && ev->devices[i].ir;
}

static void hotplug(struct input_evdev *ev)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(ev->inotify_fd, buf, sizeof(buf));
        if (len <= 0)
            return; /* EAGAIN: all read */
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            p += sizeof(*e) + e->len;
            const char *name = e->len ? e->name : "";
            if (e->wd == ev->parent_watch) {
                if ((e->mask & (IN_CREATE | IN_MOVED_TO)) && ev->watch < 0)
                    watch_dir(ev);
                continue;
            }
            if (e->wd != ev->watch)
                continue;
            if (e->mask & (IN_DELETE_SELF | IN_IGNORED)) {
                close_all(ev, "the device directory went away");
                ev->watch = -1;
                watch_dir(ev);
                return;
            }
            if (e->mask & (IN_DELETE | IN_MOVED_FROM)) {
                struct evdev_device *d = find(ev, name);
                if (d)
                    close_device(ev, (size_t)(d - ev->devices), "unplugged");
            } else if (e->mask & (IN_CREATE | IN_MOVED_TO)) {
                open_node(ev, name, OPEN_CREATED);
            } else if (e->mask & IN_ATTRIB) {
                open_node(ev, name, OPEN_ATTRIB); /* permissions just set */
            }
        }
    }
}

/* fresh: a press known to be a new one (the hub's IR double-press filter lets it through). */
static void hand_on_key(struct input_evdev *ev, struct evdev_device *d, unsigned code, bool pressed,
                        bool fresh)
{
    if (pressed)
        d->down[code / 8] |= (uint8_t)(1u << (code % 8));
    else
        d->down[code / 8] &= (uint8_t) ~(1u << (code % 8));
    char unknown[32];
    const char *name = libevdev_event_code_get_name(EV_KEY, code);
    if (!name) {
        snprintf(unknown, sizeof(unknown), "KEY_%u", code);
        name = unknown;
    }
    /* IR-like for every device, not only rc-core's: the hub's repeat is the only repeat. */
    struct input_key_event k = {
        .source = "evdev",
        .key = name,
        .pressed = pressed,
        .ir_like = true,
        .fresh = pressed && fresh,
    };
    ev->emit(ev->hub, &k);
}

static void hand_on(struct input_evdev *ev, struct evdev_device *d, unsigned code, bool pressed)
{
    hand_on_key(ev, d, code, pressed, false);
}

static void key(struct input_evdev *ev, struct evdev_device *d, const struct input_event *e)
{
    if (e->type != EV_KEY || e->code > KEY_MAX)
        return;
    bool down = key_down(d, e->code), pressed = e->value != 0;
    if (down && e->value == 1) {
        /* A press of a key down: the kernel sends none (a key's value only changes), so its
         * release was lost with the kernel's buffer (SYN_DROPPED) and this is a second press:
         * handed on as one, after the release. Taken for a repeat, the second tap was lost.
         * Fresh: the release and the press come together, which the hub's double-press filter
         * would take for an IR retransmission (one hold). */
        hand_on(ev, d, e->code, false);
        hand_on_key(ev, d, e->code, true, true);
        return;
    }
    if (down == pressed) {
        /* The kernel's auto-repeat of a key down (repeat is ours). A key up released: it was
         * pressed before the device was opened (nothing to hand on), or, just after the
         * kernel's buffer overflowed, its press was lost with it: a hold whose repeats filled
         * the buffer. */
        if (!pressed && d->after_drop) {
            hand_on(ev, d, e->code, true);
            hand_on(ev, d, e->code, false);
        }
        return;
    }
    if (e->value == 2) {
        /* A key up repeating: held since before the device was opened, or its press was lost
         * with the kernel's buffer (then it is held now). */
        if (d->after_drop)
            hand_on(ev, d, e->code, true);
        return;
    }
    hand_on(ev, d, e->code, pressed);
}

/* The kernel's buffer for this reader overflowed (SYN_DROPPED): what came before the marker
 * is lost, what comes after it is whole and has been read (key() hands on the presses it
 * shows were lost). The keys' state now (EVIOCGKEY) says what else was lost, a release or a
 * press of a key still held: handed on now. libevdev's own resynchronisation discards the
 * events queued after the marker, so a key tapped after a hold whose repeats overflowed the
 * buffer (a UI thread busy for a second on a slow box) was lost; hence the reading here. */
static void resync(struct input_evdev *ev, struct evdev_device *d)
{
    uint8_t now[EVDEV_KEY_BYTES] = {0};
    if (ioctl(d->fd, EVIOCGKEY(sizeof(now)), now) < 0) {
        log_debug("%s: EVIOCGKEY: %s", d->node, strerror(errno));
        return;
    }
    for (unsigned code = 0; code <= KEY_MAX; code++) {
        bool is = now[code / 8] & (1u << (code % 8));
        if (is == key_down(d, code) || !libevdev_has_event_code(d->dev, EV_KEY, code))
            continue;
        hand_on(ev, d, code, is);
    }
}

/* Reads one device until EAGAIN. Returns false when the device is gone. */
static bool read_device(struct input_evdev *ev, struct evdev_device *d, int *err)
{
    struct input_event buf[64];
    for (;;) {
        ssize_t n = read(d->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (d->after_drop)
                resync(ev, d);
            d->after_drop = false;
            return true;
        }
        if (n <= 0) {
            *err = n < 0 ? errno : ENODEV;
            return false;
        }
        for (size_t i = 0; i < (size_t)n / sizeof(buf[0]); i++) {
            const struct input_event *e = &buf[i];
            if (e->type == EV_SYN && e->code == SYN_DROPPED) {
                log_debug("%s: events dropped, resynchronising", d->node);
                d->dropping = true; /* the rest of the broken packet */
                d->after_drop = true;
            } else if (d->dropping) {
                d->dropping = !(e->type == EV_SYN && e->code == SYN_REPORT);
            } else {
                key(ev, d, e);
            }
        }
    }
}

void input_evdev_dispatch(struct input_evdev *ev)
{
    hotplug(ev);
    for (size_t i = 0; i < ev->n_devices;) {
        int err = 0;
        if (read_device(ev, &ev->devices[i], &err)) {
            i++;
            continue;
        }
        close_device(ev, i, strerror(err)); /* ENODEV: unplugged before inotify said so */
    }
}

/* ---- the registry's source ---- */

static int source_open(const struct input_source_config *cfg, input_emit_fn emit, void *hub,
                       void **out)
{
    const char *driver = cfg->video_driver ? cfg->video_driver : "";
    if (cfg->evdev_dir && !cfg->evdev_dir[0])
        return BINGE_ENOTFOUND; /* --evdev-dir "": off */
    if ((strcmp(driver, "x11") == 0 || strcmp(driver, "wayland") == 0) && !cfg->evdev_grab) {
        log_info("%s: the display server gives SDL the keys; evdev stays off (--evdev-grab "
                 "takes the devices)",
                 driver);
        return BINGE_ENOTFOUND;
    }
    struct input_evdev_config config = {.dir = cfg->evdev_dir, .grab = cfg->evdev_grab};
    struct input_evdev *ev = NULL;
    int rc = input_evdev_new(&config, emit, hub, &ev);
    if (rc == 0)
        *out = ev;
    return rc;
}

static size_t source_fds(void *src, struct pollfd *fds, size_t max)
{
    return input_evdev_pollfds(src, fds, max);
}

static int64_t source_read(void *src, int64_t now_ms)
{
    (void)now_ms;
    input_evdev_dispatch(src);
    return -1;
}

static void source_close(void *src)
{
    input_evdev_free(src);
}

const struct input_source_ops input_source_evdev = {
    .name = "evdev",
    .open = source_open,
    .fds = source_fds,
    .read = source_read,
    .close = source_close,
};
