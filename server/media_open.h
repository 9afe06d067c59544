#ifndef BINGE_SERVER_MEDIA_OPEN_H
#define BINGE_SERVER_MEDIA_OPEN_H

/* Opening a content file beneath the media root, the way binge-server serves media, keys and
 * images: never through a symbolic link (in the path or as the file itself), never outside the
 * root (no "..", no absolute path), never anything but a regular file, and never blocking (a
 * FIFO or a device is refused without being waited on).
 *
 * The kernel resolves the path with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) where it has
 * that system call (Linux 5.6); elsewhere, or where a seccomp filter hides it, the path is walked
 * one component at a time with O_NOFOLLOW. Both give the same answers.
 *
 * Threading: safe from any number of threads. */

#include <stdbool.h>

enum media_open_mode {
    MEDIA_OPEN_AUTO, /* openat2 when the kernel has it, else the walk */
    MEDIA_OPEN_WALK, /* always the O_NOFOLLOW walk (tests of the fallback) */
};

/* Opens root/path read-only (O_CLOEXEC) as a regular file. root is the media directory (itself
 * it may be reached through a symlink: it is the administrator's choice); path is relative to it.
 * On success returns the fd (transfer full) and its size in *size. Returns BINGE_ENOTFOUND for a
 * missing file, a symlink, a path leaving the root, a directory, FIFO, socket or device;
 * BINGE_EIO for other errors (errno is kept for the log). */
int media_open_beneath(const char *root, const char *path, enum media_open_mode mode,
                       long long *size);

#endif
