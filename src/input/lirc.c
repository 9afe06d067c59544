#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "binge/error.h"
#include "binge/input_source.h"
#include "binge/log.h"
#include "input_internal.h"
#include "lirc.h"

LOG_MODULE("lirc");

/* LIRC through lircd's socket: no library, the socket protocol. lircd writes one line per
 * decoded code, "<code> <repeat> <button> <remote>" ("0000000000f40bf0 00 KEY_UP devinput"),
 * the repeat count in hex going up while the button is held; replies to commands come between
 * BEGIN and END lines (we send none, but lircd broadcasts SIGHUP that way). lircd says nothing
 * when the button is let go: the hold ends when its lines stop (LIRC_RELEASE_MS). When lircd
 * goes away (restarted), binge connects again with back-off. */

struct lirc {
    input_emit_fn emit;
    void *hub;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int fd;
    int backoff_ms;
    int64_t retry_at_ms; /* when to connect again, while fd < 0 */
    bool told_missing;   /* "lircd is not there" logged once per outage */
    char line[LIRC_LINE_MAX + 1];
    size_t len;
    bool discarding;                /* a line too long: dropped up to its newline */
    bool in_block;                  /* between BEGIN and END */
    char held[LIRC_BUTTON_MAX + 1]; /* the button held, "" when none */
    int64_t held_until_ms;          /* released when no line comes by then */
    unsigned garbage;               /* lines that made no sense, logged up to a bound */
};

int lirc_parse_line(const char *line, char *button, size_t button_len, unsigned *repeat)
{
    char code[64], btn[LIRC_BUTTON_MAX + 2], rep[16], remote[LIRC_BUTTON_MAX + 2], extra[2];
    /* Field widths keep every field in its buffer; a field that fills it is too long. */
    int n = sscanf(line, "%63s %15s %64s %64s %1s", code, rep, btn, remote, extra);
    if (n != 4)
        return BINGE_EPARSE;
    if (strlen(btn) > LIRC_BUTTON_MAX || strlen(remote) > LIRC_BUTTON_MAX || strlen(code) > 32 ||
        strlen(rep) > 8)
        return BINGE_EPARSE;
    for (const char *p = code; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return BINGE_EPARSE;
    for (const char *p = rep; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return BINGE_EPARSE;
    for (const char *p = btn; *p; p++)
        if (!isgraph((unsigned char)*p))
            return BINGE_EPARSE;
    if (button_len <= strlen(btn))
        return BINGE_EPARSE;
    snprintf(button, button_len, "%s", btn);
    *repeat = (unsigned)strtoul(rep, NULL, 16);
    return 0;
}

static void emit_key(struct lirc *l, const char *button, bool pressed, bool repeat, bool fresh)
{
    struct input_key_event ev = {.source = "lirc",
                                 .key = button,
                                 .pressed = pressed,
                                 .repeat = repeat,
                                 .ir_like = true,
                                 .fresh = fresh};
    l->emit(l->hub, &ev);
}

static void release_held(struct lirc *l)
{
    if (!l->held[0])
        return;
    char b[sizeof(l->held)];
    snprintf(b, sizeof(b), "%s", l->held);
    l->held[0] = '\0';
    emit_key(l, b, false, false, false);
}

static void garbage(struct lirc *l, const char *why, const char *line)
{
    l->garbage++;
    if (l->garbage <= LIRC_GARBAGE_LOGGED)
        log_warn("lircd sent %s: '%.60s'%s%s", why, line, strlen(line) > 60 ? "..." : "",
                 l->garbage == LIRC_GARBAGE_LOGGED ? " (further bad lines are not logged)" : "");
}

static void handle_line(struct lirc *l, const char *line, int64_t now_ms)
{
    if (l->in_block) {
        if (strcmp(line, "END") == 0)
            l->in_block = false;
        return;
    }
    if (strcmp(line, "BEGIN") == 0) {
        l->in_block = true;
        return;
    }
    if (!line[0])
        return;
    char button[LIRC_BUTTON_MAX + 1];
    unsigned repeat = 0;
    if (lirc_parse_line(line, button, sizeof(button), &repeat) != 0) {
        garbage(l, "a line binge can't read", line);
        return;
    }
    bool same = l->held[0] && strcmp(l->held, button) == 0;
    if (repeat > 0 && same) { /* still held */
        l->held_until_ms = now_ms + LIRC_RELEASE_MS;
        emit_key(l, button, true, true, false);
        return;
    }
    /* A new press (repeat 0), or the repeat of a button whose first line we missed. lircd says
     * nothing on release, so the releases made up here (at the next line, or after the
     * silence) are late, and the hub alone would take a press of the same button soon after
     * for a retransmission. A count from 0 is a new press unless the same button's last line
     * is younger than INPUT_DOUBLE_PRESS_MS (that is the retransmission). */
    int64_t last_line_ms = l->held_until_ms - LIRC_RELEASE_MS;
    bool fresh = repeat == 0 && (!same || now_ms - last_line_ms >= INPUT_DOUBLE_PRESS_MS);
    release_held(l);
    snprintf(l->held, sizeof(l->held), "%s", button);
    l->held_until_ms = now_ms + LIRC_RELEASE_MS;
    emit_key(l, button, true, false, fresh);
}

static void disconnect(struct lirc *l, int64_t now_ms, const char *why)
{
    if (l->fd >= 0) {
        close(l->fd);
        l->fd = -1;
        log_warn("lircd %s (%s); connecting again", why, l->path);
    }
    release_held(l);
    l->len = 0;
    l->discarding = l->in_block = false;
    l->backoff_ms = LIRC_BACKOFF_FIRST_MS;
    l->retry_at_ms = now_ms + l->backoff_ms;
}

static void try_connect(struct lirc *l, int64_t now_ms)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
    /* connect on a Unix socket is immediate: it works or fails, it never waits */
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        l->fd = fd;
        l->backoff_ms = LIRC_BACKOFF_FIRST_MS;
        l->told_missing = false;
        log_info("connected to lircd (%s)", l->path);
        return;
    }
    int err = errno;
    if (fd >= 0)
        close(fd);
    if (!l->told_missing) {
        log_info("no lircd at %s (%s); trying again in the background", l->path, strerror(err));
        l->told_missing = true;
    }
    l->retry_at_ms = now_ms + l->backoff_ms;
    l->backoff_ms =
        l->backoff_ms * 2 > LIRC_BACKOFF_MAX_MS ? LIRC_BACKOFF_MAX_MS : l->backoff_ms * 2;
}

static int lirc_open(const struct input_source_config *cfg, input_emit_fn emit, void *hub,
                     void **out)
{
    const char *path = cfg->lirc_socket ? cfg->lirc_socket : INPUT_LIRC_SOCKET;
    if (!path[0])
        return BINGE_ENOTFOUND; /* --lirc-socket "": no LIRC */
    struct lirc *l = calloc(1, sizeof(*l));
    if (!l)
        return BINGE_ENOMEM;
    if (strlen(path) >= sizeof(l->path)) {
        log_error("--lirc-socket %s: longer than a Unix socket path may be", path);
        free(l);
        return BINGE_EINVAL;
    }
    snprintf(l->path, sizeof(l->path), "%s", path);
    l->emit = emit;
    l->hub = hub;
    l->fd = -1;
    l->backoff_ms = LIRC_BACKOFF_FIRST_MS;
    /* If LIRC is not even installed (no socket directory) there is nothing to wait for;
     * otherwise lircd may start after binge, or be restarting: the reads connect later. */
    char dir[sizeof(l->path)];
    snprintf(dir, sizeof(dir), "%s", l->path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    struct stat st;
    if (!slash || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(l);
        return BINGE_ENOTFOUND;
    }
    try_connect(l, 0);
    l->retry_at_ms = 0; /* while not connected, the first read tries again, then backs off */
    *out = l;
    return 0;
}

static size_t lirc_fds(void *src, struct pollfd *fds, size_t max)
{
    struct lirc *l = src;
    if (l->fd < 0 || max == 0)
        return 0;
    fds[0] = (struct pollfd){.fd = l->fd, .events = POLLIN};
    return 1;
}

static int64_t lirc_read(void *src, int64_t now_ms)
{
    struct lirc *l = src;
    if (l->fd < 0) {
        if (now_ms >= l->retry_at_ms)
            try_connect(l, now_ms);
        if (l->fd < 0)
            return l->retry_at_ms;
    }
    char buf[1024];
    for (int rounds = 0; rounds < 64; rounds++) { /* bounded: a flood can't hold the UI */
        ssize_t n = read(l->fd, buf, sizeof(buf));
        if (n == 0) {
            disconnect(l, now_ms, "closed the connection");
            return l->retry_at_ms;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            disconnect(l, now_ms, strerror(errno));
            return l->retry_at_ms;
        }
        for (ssize_t i = 0; i < n; i++) {
            char c = buf[i];
            if (c == '\n') {
                if (l->discarding) {
                    l->discarding = false;
                } else {
                    l->line[l->len] = '\0';
                    if (l->len && l->line[l->len - 1] == '\r')
                        l->line[l->len - 1] = '\0';
                    handle_line(l, l->line, now_ms);
                }
                l->len = 0;
                continue;
            }
            if (l->discarding)
                continue;
            if (l->len >= LIRC_LINE_MAX) {
                l->line[l->len] = '\0';
                garbage(l, "a line longer than 255 bytes (dropped)", l->line);
                l->discarding = true;
                l->len = 0;
                continue;
            }
            l->line[l->len++] = c;
        }
    }
    if (l->held[0] && now_ms >= l->held_until_ms)
        release_held(l);
    return l->held[0] ? l->held_until_ms : -1;
}

static void lirc_close(void *src)
{
    struct lirc *l = src;
    if (!l)
        return;
    if (l->fd >= 0)
        close(l->fd);
    free(l);
}

const struct input_source_ops input_source_lirc = {
    .name = "lirc",
    .open = lirc_open,
    .fds = lirc_fds,
    .read = lirc_read,
    .close = lirc_close,
};
