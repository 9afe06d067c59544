#include "binge/util.h"

#include "binge/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t util_now_ms(void)
{
    return util_now_us() / 1000;
}

int64_t util_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *util_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

char *util_asprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = NULL;
    if (n >= 0) {
        s = malloc((size_t)n + 1);
        if (s)
            vsnprintf(s, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    return s;
}

int util_read_file(const char *path, size_t max_bytes, char **out, size_t *len)
{
    char *buf = NULL;
    int fd = -1;
    int rc = BINGE_EIO;
    size_t cap = 0, used = 0;

    if (!path || !out)
        return BINGE_EINVAL;
    *out = NULL;
    if (len)
        *len = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = errno == ENOENT ? BINGE_ENOTFOUND : BINGE_EIO;
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode))
        goto fail;
    /* st_size is only a hint (it is 0 for /proc files and may change under us); the cap is
     * enforced on the bytes actually read. */
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
        rc = BINGE_ETOOBIG;
        goto fail;
    }
    cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 2 : 4096;
    buf = malloc(cap);
    if (!buf) {
        rc = BINGE_ENOMEM;
        goto fail;
    }
    for (;;) {
        if (used + 1 >= cap) {
            size_t ncap = cap * 2;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                rc = BINGE_ENOMEM;
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (used > max_bytes) {
            rc = BINGE_ETOOBIG;
            goto fail;
        }
    }
    close(fd);
    buf[used] = '\0';
    *out = buf;
    if (len)
        *len = used;
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

int util_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int util_write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
    char *tmp = NULL;
    char *dir = NULL;
    int fd = -1;
    int dfd = -1;
    int rc = BINGE_EIO;

    if (!path || (!data && len > 0))
        return BINGE_EINVAL;

    /* The temporary file must live in the target's directory: rename(2) is only atomic within
     * one file system. */
    tmp = util_asprintf("%s.tmp.XXXXXX", path);
    dir = util_strdup(path);
    if (!tmp || !dir) {
        rc = BINGE_ENOMEM;
        goto fail;
    }
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';

    fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        tmp = NULL; /* nothing to unlink */
        goto fail;
    }
    if (fchmod(fd, (mode_t)mode) != 0)
        goto fail;
    if (util_write_all(fd, data, len) != 0)
        goto fail;
    /* Without the fsync a crash after rename can leave an empty file under the final name. */
    if (fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    free(tmp);
    tmp = NULL;

    /* The rename itself is only durable once the directory entry is on disk. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(dir);
    return rc;
}
