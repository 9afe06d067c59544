#ifndef BINGE_FUZZ_COMMON_H
#define BINGE_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* Shared by the libFuzzer targets in tests/fuzz. Each target defines LLVMFuzzerTestOneInput and
 * checks, beyond "no crash, no leak, no undefined behaviour", the invariants the parsers promise
 * on success. A broken invariant aborts, which libFuzzer reports as a crash with its input. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* What the parsers promise for every URL they hand out: http(s) with a host. */
static inline bool fuzz_url_ok(const char *url)
{
    if (!url)
        return true;
    size_t skip = strncasecmp(url, "http://", 7) == 0    ? 7
                  : strncasecmp(url, "https://", 8) == 0 ? 8
                                                         : 0;
    return skip > 0 && url[skip] != '\0' && url[skip] != '/';
}

#endif
