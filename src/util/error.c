#include "binge/error.h"

const char *binge_strerror(int code)
{
    switch ((enum binge_error)code) {
    case BINGE_OK:
        return "success";
    case BINGE_ENOMEM:
        return "out of memory";
    case BINGE_EINVAL:
        return "invalid argument";
    case BINGE_EIO:
        return "input/output error";
    case BINGE_EPARSE:
        return "malformed document";
    case BINGE_ENOTFOUND:
        return "not found";
    case BINGE_ETIMEDOUT:
        return "timed out";
    case BINGE_ENET:
        return "network unreachable";
    case BINGE_EHTTP:
        return "HTTP error";
    case BINGE_ETOOBIG:
        return "too big";
    case BINGE_ESTATE:
        return "invalid in the current state";
    case BINGE_EMEDIA:
        return "media pipeline failed";
    }
    return "unknown error";
}
