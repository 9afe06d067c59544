#include "binge/log.h"

#include "binge/error.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Messages are formatted into one stack buffer so that each lands with a single write(2) and
 * lines from different threads never interleave; longer messages are cut. */
#define LOG_LINE_MAX 2048

static atomic_int log_level_ = LOG_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_set_level(enum log_level level)
{
    int l = (int)level;
    if (l < LOG_ERROR)
        l = LOG_ERROR;
    if (l > LOG_DEBUG)
        l = LOG_DEBUG;
    atomic_store(&log_level_, l);
}

enum log_level log_get_level(void)
{
    return (enum log_level)atomic_load(&log_level_);
}

int log_level_from_name(const char *name, enum log_level *out)
{
    if (!name || !out)
        return BINGE_EINVAL;
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return BINGE_EINVAL;
}

static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* nowhere left to report a failing stderr */
        }
        buf += n;
        len -= (size_t)n;
    }
}

void log_vmsg(const char *module, enum log_level level, const char *fmt, va_list ap)
{
    if ((int)level > atomic_load(&log_level_) || (int)level < 0)
        return;

    int saved_errno = errno; /* callers often log right before reading errno again */
    char line[LOG_LINE_MAX];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);

    int head =
        snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s %s: ", tm.tm_hour, tm.tm_min,
                 tm.tm_sec, (long)(tv.tv_usec / 1000), level_names[level], module ? module : "?");
    if (head < 0 || (size_t)head >= sizeof(line) - 1)
        head = 0;

    /* Keep the last byte for the newline. */
    size_t room = sizeof(line) - (size_t)head - 1;
    int n = vsnprintf(line + head, room, fmt, ap);
    size_t body;
    if (n < 0) {
        body = 0;
    } else if ((size_t)n >= room) {
        body = room - 1;
        memcpy(line + head + body - 3, "...", 3);
    } else {
        body = (size_t)n;
    }

    /* Messages often quote server text; control characters there would forge extra log lines
     * or terminal escapes. */
    for (size_t i = (size_t)head; i < (size_t)head + body; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f)
            line[i] = ' ';
    }
    line[head + body] = '\n';
    write_all(line, (size_t)head + body + 1);
    errno = saved_errno;
}

void log_msg(const char *module, enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(module, level, fmt, ap);
    va_end(ap);
}
