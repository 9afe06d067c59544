#ifndef BINGE_INPUT_EVDEV_H
#define BINGE_INPUT_EVDEV_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "binge/input_source.h"

/* The evdev input source (libevdev): every /dev/input/event* that has the keys of a remote
 * (a D-pad and OK/ENTER/SELECT), IR receivers through the kernel's rc-core, USB and BLE
 * remotes, keyboards when there is no display server. Devices plugged in later are opened and
 * unplugged ones closed (inotify on the directory). Devices are read without grabbing them
 * unless grab is set (EVIOCGRAB: then no other reader, such as a console, sees the keys).
 * The kernel's auto-repeat (value 2) is dropped: repeat is the hub's. Every device's keys go
 * to the hub as IR-like (the hub makes the repeats and drops a retransmitted press); rc-core
 * devices are IR receivers proper (input_evdev_device_is_ir).
 *
 * The registry's "evdev" source (input_source_evdev) wraps this. It opens only without a
 * display server (KMSDRM, offscreen, dummy): under x11 or wayland the display server already
 * hands SDL the keyboards and remotes, so it stays closed unless --evdev-grab takes the
 * devices from it. Under KMSDRM SDL reads the same devices itself, so the hub ignores the SDL
 * keyboard while this source is open.
 *
 * Threading: UI thread only. Private to src/input. */

struct input_evdev;

struct input_evdev_config {
    const char *dir; /* the device directory; NULL: /dev/input. Copied. */
    bool grab;       /* EVIOCGRAB every device opened */
};

/* Opens the devices there are now and starts watching dir. A dir that does not exist yet is
 * watched for from its parent. Returns 0 and *out (transfer full), or BINGE_ENOMEM, or
 * BINGE_EIO when neither dir nor its parent can be watched. */
int input_evdev_new(const struct input_evdev_config *config, input_emit_fn emit, void *hub,
                    struct input_evdev **out);
void input_evdev_free(struct input_evdev *ev);

/* Writes up to max pollfds (POLLIN) to wait on: the inotify watch and each device. Returns how
 * many. The set changes after input_evdev_dispatch: ask again before each poll. */
size_t input_evdev_pollfds(const struct input_evdev *ev, struct pollfd *fds, size_t max);

/* Reads what is there without blocking: hotplug first, then each device's events, calling fn
 * emit for each key press and release. A device that errors (unplugged) is closed, with one log
 * line. */
void input_evdev_dispatch(struct input_evdev *ev);

/* Whether the directory itself is watched (false while waiting for it to be made). */
bool input_evdev_watching(const struct input_evdev *ev);

/* How many devices are open now, and the name of the i-th (valid until the next dispatch),
 * and whether it is an IR receiver. */
size_t input_evdev_count(const struct input_evdev *ev);
const char *input_evdev_device_name(const struct input_evdev *ev, size_t i);
bool input_evdev_device_is_ir(const struct input_evdev *ev, size_t i);

#endif
