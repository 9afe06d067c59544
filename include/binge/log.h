#ifndef BINGE_LOG_H
#define BINGE_LOG_H

#include <stdarg.h>

/* Named, levelled logging to stderr. Modules never printf; each .c file declares its log name
 * once with LOG_MODULE("net") and then calls log_info("...", ...).
 *
 * Threading: every function is safe from any thread; one message is one write(2).
 * Tokens and signatures must never be passed to the log. */

enum log_level {
    LOG_ERROR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3,
};

/* Sets the global level; messages above it are dropped. Default LOG_INFO. */
void log_set_level(enum log_level level);
/* Parses "error|warn|info|debug" into *out. Returns 0 or BINGE_EINVAL. */
int log_level_from_name(const char *name, enum log_level *out);
enum log_level log_get_level(void);

void log_msg(const char *module, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(const char *module, enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define LOG_MODULE(name) static const char log_module_[] = name
#define log_error(...) log_msg(log_module_, LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(log_module_, LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(log_module_, LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(log_module_, LOG_DEBUG, __VA_ARGS__)

#endif
