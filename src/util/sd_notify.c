#include "binge/sd_notify.h"

#include "binge/error.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sd_notify_send(const char *state)
{
    struct sockaddr_un sa;
    socklen_t len;
    int fd = -1;
    int rc;

    if (!state || !*state)
        return BINGE_EINVAL;
    const char *name = getenv("NOTIFY_SOCKET");
    if (!name || !*name)
        return BINGE_ENOTFOUND;
    size_t n = strlen(name);
    /* sun_path need not be NUL-terminated for an abstract name, but a path must fit with its
     * NUL; requiring n < sizeof keeps both simple. */
    if ((name[0] != '/' && name[0] != '@') || n < 2 || n >= sizeof(sa.sun_path))
        return BINGE_EINVAL;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, name, n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0'; /* abstract namespace: the length says where the name ends */
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/' ? 1 : 0));

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = BINGE_EIO;
        goto fail;
    }
    size_t want = strlen(state);
    ssize_t sent;
    do {
        sent = sendto(fd, state, want, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sa, len);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0 || (size_t)sent != want) {
        rc = BINGE_EIO;
        goto fail;
    }
    close(fd);
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* A decimal number that is all digits and fits; -1 otherwise. */
static long long parse_decimal(const char *s)
{
    if (!s || !*s)
        return -1;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
    }
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    return v;
}

int64_t sd_watchdog_interval_ms(void)
{
    long long usec = parse_decimal(getenv("WATCHDOG_USEC"));
    if (usec <= 0)
        return 0;
    /* The variable is inherited by children the service starts; only the main process that
     * systemd meant may answer for it. */
    const char *pid_text = getenv("WATCHDOG_PID");
    if (pid_text && *pid_text) {
        long long pid = parse_decimal(pid_text);
        if (pid <= 0 || pid != (long long)getpid())
            return 0;
    }
    int64_t ms = (int64_t)(usec / 1000);
    return ms > 0 ? ms : 1;
}
