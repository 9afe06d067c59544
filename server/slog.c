#include "slog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "binge/error.h"

static enum slog_level slog_level_max = SLOG_INFO;

static const char *const slog_names[] = {"error", "warn", "info", "debug"};

void slog_set_level(enum slog_level level)
{
    slog_level_max = level;
}

int slog_parse_level(const char *name, enum slog_level *out)
{
    for (size_t i = 0; name && i < sizeof(slog_names) / sizeof(slog_names[0]); i++) {
        if (strcmp(name, slog_names[i]) == 0) {
            *out = (enum slog_level)i;
            return 0;
        }
    }
    return BINGE_EINVAL;
}

bool slog_enabled(enum slog_level level)
{
    return level <= slog_level_max;
}

void slog_msg(enum slog_level level, const char *module, const char *fmt, ...)
{
    char text[1024];
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;

    if (!slog_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf per line so lines from different connection threads never interleave. */
    fprintf(stderr, "%s.%03ldZ %-5s %s: %s\n", stamp, ts.tv_nsec / 1000000L, slog_names[level],
            module, text);
}
