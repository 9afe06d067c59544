#ifndef BINGE_UTIL_H
#define BINGE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Small helpers shared by the client modules. All functions are thread-safe. */

/* Monotonic clock in milliseconds / microseconds. */
int64_t util_now_ms(void);
int64_t util_now_us(void);

/* strdup that returns NULL for NULL. transfer full. */
char *util_strdup(const char *s);
/* snprintf into a new string. transfer full; NULL on allocation failure. */
char *util_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reads a whole file, at most max_bytes. *out is NUL-terminated, transfer full.
 * Returns 0, BINGE_EIO, BINGE_ENOTFOUND or BINGE_ETOOBIG. */
int util_read_file(const char *path, size_t max_bytes, char **out, size_t *len);

/* Writes all len bytes to fd, retrying short writes and EINTR. Returns 0, or -1 with errno set. */
int util_write_all(int fd, const void *data, size_t len);

/* Writes data atomically: a temporary file in the same directory, fsync, rename, fsync of the
 * directory. Returns 0 or BINGE_EIO; the old file is untouched on failure. */
int util_write_file_atomic(const char *path, const void *data, size_t len, int mode);

#endif
