#ifndef BINGE_ERROR_H
#define BINGE_ERROR_H

/* Error codes shared by every module. Functions return 0 on success or one of these
 * negative values; results travel through out-parameters. */
enum binge_error {
    BINGE_OK = 0,
    BINGE_ENOMEM = -1,    /* allocation failed */
    BINGE_EINVAL = -2,    /* bad argument or bad input (options, config) */
    BINGE_EIO = -3,       /* file or socket I/O failed */
    BINGE_EPARSE = -4,    /* malformed or invalid JSON / document */
    BINGE_ENOTFOUND = -5, /* no such thing (file, key, element) */
    BINGE_ETIMEDOUT = -6, /* a deadline passed */
    BINGE_ENET = -7,      /* could not reach the peer (DNS, connect, reset) */
    BINGE_EHTTP = -8,     /* the peer answered with an HTTP error status */
    BINGE_ETOOBIG = -9,   /* a response or file exceeded its size cap */
    BINGE_ESTATE = -10,   /* call not valid in the current state */
    BINGE_EMEDIA = -11,   /* the media pipeline failed */
};

/* Returns a static, human-readable description of code. Never NULL. Thread-safe. */
const char *binge_strerror(int code);

#endif
