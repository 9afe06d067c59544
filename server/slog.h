#ifndef BINGE_SERVER_SLOG_H
#define BINGE_SERVER_SLOG_H

/* binge-server logging: one line per message on stderr, "LEVEL module: text".
 *
 * The level is process-wide and set once at start (slog_set_level) before threads exist; after
 * that slog_msg may be called from any thread (each line is written with a single fprintf, which
 * stdio locks). Messages must never contain tokens or signatures. */

#include <stdbool.h>

enum slog_level {
    SLOG_ERROR = 0,
    SLOG_WARN = 1,
    SLOG_INFO = 2,
    SLOG_DEBUG = 3,
};

/* Sets the most verbose level printed. Not thread-safe: call before starting the server. */
void slog_set_level(enum slog_level level);

/* Parses "error", "warn", "info" or "debug". Returns 0 or BINGE_EINVAL. */
int slog_parse_level(const char *name, enum slog_level *out);

/* True when messages of this level are printed. */
bool slog_enabled(enum slog_level level);

/* Logs one line for module (a short static name such as "http"). */
void slog_msg(enum slog_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
