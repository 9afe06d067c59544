#ifndef BINGE_SD_NOTIFY_H
#define BINGE_SD_NOTIFY_H

#include <stdint.h>

/* systemd's service notification protocol (sd_notify(3)), without libsystemd: one datagram to
 * the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
 * binge.service (platform/dist/systemd/) is Type=notify with WatchdogSec=: the app sends
 * READY=1 once home (or --play) is up and WATCHDOG=1 from its main loop tick.
 *
 * Threading: any thread; no state is kept, the environment is read on each call.
 * Errors: 0 or a negative BINGE_E* code; nothing is logged here. */

/* Sends state (e.g. "READY=1", "WATCHDOG=1", "STOPPING=1"; several may be joined with '\n') to
 * $NOTIFY_SOCKET. Returns 0 when sent, BINGE_ENOTFOUND when $NOTIFY_SOCKET is unset or empty
 * (not started by systemd: nothing to do), BINGE_EINVAL for a NULL/empty state or a socket name
 * that is neither absolute nor abstract or too long, BINGE_EIO when the send failed. Never
 * blocks: the datagram is sent with MSG_DONTWAIT. */
int sd_notify_send(const char *state);

/* The watchdog interval systemd asks for, from $WATCHDOG_USEC (and $WATCHDOG_PID: when set, it
 * must be this process's pid). Returns the interval in milliseconds (at least 1), or 0 when no
 * watchdog is asked for or the variables are malformed. The caller should send WATCHDOG=1 at
 * least every half interval, as sd_watchdog_enabled(3) advises. */
int64_t sd_watchdog_interval_ms(void);

#endif
