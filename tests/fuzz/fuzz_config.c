/* libFuzzer target for the config file (name = value lines), through options_load_buffer. */
#include "binge/error.h"
#include "binge/options.h"
#include "fuzz_common.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    if (!sink)
        abort();

    struct binge_options opts;
    memset(&opts, 0, sizeof(opts));
    int rc = options_load_buffer(&opts, (const char *)data, size, "fuzz.conf", sink);
    FUZZ_CHECK(rc == 0 || rc == BINGE_EINVAL || rc == BINGE_ENOMEM);
    if (rc == 0) {
        /* Whatever got in passed its option's checks. */
        FUZZ_CHECK(opts.width == 0 || (opts.width >= 640 && opts.width <= 7680));
        FUZZ_CHECK(opts.http_retries >= 0 && opts.http_retries <= 10);
        FUZZ_CHECK(!opts.server_url || fuzz_url_ok(opts.server_url) ||
                   strncasecmp(opts.server_url, "http", 4) == 0);
        FUZZ_CHECK(!opts.language || strpbrk(opts.language, "\r\n") == NULL);
    }
    options_clear(&opts);
    return 0;
}
