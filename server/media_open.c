/* O_PATH is a GNU extension of <fcntl.h>. */
#define _GNU_SOURCE

#include "media_open.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "binge/error.h"

/* Flags of the file itself: O_NONBLOCK so that opening a FIFO (or a device) never waits. */
#define FILE_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* Longest path component the walk accepts (NAME_MAX). */
#define COMPONENT_MAX 255

/* Cleared once openat2 turns out to be missing, so later opens go straight to the walk. */
static atomic_bool openat2_usable = true;

static int errno_to_rc(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP: /* a symlink, refused by RESOLVE_NO_SYMLINKS or O_NOFOLLOW */
    case EXDEV: /* a path leaving the root, refused by RESOLVE_BENEATH */
    case ENXIO: /* a FIFO without a writer, a socket, a device without a driver */
    case EISDIR:
    case ENAMETOOLONG:
    case EACCES:
        return BINGE_ENOTFOUND;
    default:
        return BINGE_EIO;
    }
}

/* Returns the fd, -1 with errno set, or -2 when openat2 is not available here. */
static int open_openat2(int rootfd, const char *path)
{
    struct open_how how;
    long fd;

    memset(&how, 0, sizeof(how));
    how.flags = FILE_FLAGS;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    /* EAGAIN comes from a rename racing a ".." lookup (none here: ".." is refused first) or,
     * with O_NONBLOCK, from another process's file lease, for up to the lease break time: a
     * few tries, then an error, rather than spinning a pool thread. */
    int again = 0;
    do {
        fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    } while (fd < 0 && (errno == EINTR || (errno == EAGAIN && ++again < 3)));
    /* ENOSYS: an older kernel. EPERM: a seccomp filter that does not know the call (older
     * container runtimes); a plain read-only open never fails with EPERM otherwise. */
    if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
        atomic_store(&openat2_usable, false);
        return -2;
    }
    return (int)fd;
}

/* One component at a time, each opened relative to the last with O_NOFOLLOW. Returns the fd or
 * -1 with errno set. */
static int open_walk(int rootfd, const char *path)
{
    char name[COMPONENT_MAX + 1];
    const char *p = path;
    int dir = rootfd;
    int fd = -1;

    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        struct stat st;
        int next;

        if (len == 0 || len > COMPONENT_MAX || (len == 1 && p[0] == '.') ||
            (len == 2 && p[0] == '.' && p[1] == '.')) {
            errno = len > COMPONENT_MAX ? ENAMETOOLONG : EXDEV;
            goto fail;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        if (!slash) {
            fd = openat(dir, name, FILE_FLAGS | O_NOFOLLOW);
            goto out;
        }
        /* O_PATH | O_NOFOLLOW would open a symlink itself: O_DIRECTORY makes that ENOTDIR,
         * and the fstat below makes sure. */
        next = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0)
            goto fail;
        if (fstat(next, &st) != 0 || !S_ISDIR(st.st_mode)) {
            close(next);
            errno = ENOTDIR;
            goto fail;
        }
        if (dir != rootfd)
            close(dir);
        dir = next;
        p = slash + 1;
    }

fail:
    fd = -1;
out:
    if (dir != rootfd) {
        int saved = errno;
        close(dir);
        errno = saved;
    }
    return fd;
}

static bool plain_path(const char *path)
{
    const char *seg = path;

    if (path[0] == '/' || path[0] == '\0')
        return false;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        if (!slash)
            return true;
        seg = slash + 1;
    }
}

int media_open_beneath(const char *root, const char *path, enum media_open_mode mode,
                       long long *size)
{
    struct stat st;
    int rootfd;
    int fd = -2;
    int saved;

    if (!root || !path || !size)
        return BINGE_EINVAL;
    /* Only plain names: an absolute path is outside the root by definition, and ".", ".." or
     * an empty component (which openat2 would resolve, within the root) is never in a URL the
     * server signs. */
    if (!plain_path(path))
        return BINGE_ENOTFOUND;
    rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return BINGE_EIO;
    if (mode == MEDIA_OPEN_AUTO && atomic_load(&openat2_usable))
        fd = open_openat2(rootfd, path);
    if (fd == -2)
        fd = open_walk(rootfd, path);
    saved = errno;
    close(rootfd);
    if (fd < 0)
        return errno_to_rc(saved);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return BINGE_ENOTFOUND;
    }
    *size = (long long)st.st_size;
    return fd;
}
