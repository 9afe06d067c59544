#ifndef BINGE_INPUT_CEC_H
#define BINGE_INPUT_CEC_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binge/input_source.h"

/* The HDMI-CEC input source, through the kernel's CEC API (linux/cec.h, /dev/cecN): what
 * current Raspberry Pi kernels (vc4) and most SoC HDMI drivers give, no libcec.
 *
 * On start it claims a playback-device logical address with the OSD name given, and once the
 * kernel has one (the claim runs in the background: the fd is non-blocking) it becomes the
 * active source (Image View On to the TV, then Active Source with our physical address).
 * The kernel answers Give Physical Address, Get CEC Version, Give OSD Name (the name we
 * claimed with) and Give Device Vendor ID (Feature Abort: we have no vendor id) for us; this
 * source answers Give Device Power Status (on), Menu Request (activated), Request Active
 * Source and Set Stream Path (when it is us), and Feature Aborts the other messages addressed
 * to us. User Control Pressed/Released become key presses and releases named by the UI command
 * (as in linux/cec.h without CEC_OP_UI_CMD_: "SELECT", "UP", "BACK", "NUMBER_5",
 * "F2_RED", "CHANNEL_UP", "PLAY", ...); a press repeated
 * while held is the same hold, and the release ends it; when neither a repeat nor a release
 * comes within the follower safety timeout (550 ms, CEC 1.4 13.13.3), the hold ends as if
 * released. RC passthrough in the kernel is left off, so the keys do not also come through
 * the adapter's rc-cec evdev device.
 *
 * The registry's "cec" source (input_source_cec) wraps this: --cec-device, the OSD name the
 * app passes (the brand's), "" as the device for no CEC.
 *
 * Threading: UI thread only. Private to src/input. */

struct input_cec;

struct input_cec_config {
    const char *device;   /* "/dev/cec0"; NULL: the first /dev/cecN that can claim. Copied. */
    const char *osd_name; /* what the TV shows for us (at most 14 bytes are sent); NULL: "binge" */
};

/* Opens the adapter and starts claiming. Returns 0 and *out (transfer full); BINGE_ENOTFOUND
 * when there is no adapter (nothing said above debug level when probing); BINGE_EIO when the
 * adapter named cannot be opened or configured; BINGE_ENOMEM. */
int input_cec_new(const struct input_cec_config *config, input_emit_fn emit, void *hub,
                  struct input_cec **out);
void input_cec_free(struct input_cec *cec);

/* The adapter's fd (POLLIN: messages, POLLPRI: events). Returns how many were written: 1, or
 * 0 once the adapter went away (unregistered: it is closed by input_cec_dispatch, with a
 * warning, a key held released, and not opened again). */
size_t input_cec_pollfds(const struct input_cec *cec, struct pollfd *fds, size_t max);

/* Handles what the adapter has (state changes, received messages, our transmits' results)
 * without blocking, and ends a hold whose safety timeout passed. */
void input_cec_dispatch(struct input_cec *cec);

/* Milliseconds until input_cec_dispatch must run to end a hold (the safety timeout), or -1. */
int input_cec_timeout_ms(const struct input_cec *cec);

/* Our logical address once claimed (0..14), or -1. Our physical address (0xffff: none). */
int input_cec_logical_address(const struct input_cec *cec);
uint16_t input_cec_physical_address(const struct input_cec *cec);

/* The UI command's name ("SELECT"), or NULL for one without a name. */
const char *input_cec_ui_command_name(uint8_t ui_cmd);

#endif
