/* libFuzzer target for the device documents: register/refresh tokens, the device code and the
 * device token poll of the RFC 8628 flow. */
#include "binge/catalog.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    char err[CATALOG_ERR_LEN];

    struct catalog_device *dev = NULL;
    if (catalog_parse_device(json, size, &dev, err) == 0) {
        FUZZ_CHECK(dev->token && dev->token[0] && dev->device_id && dev->device_id[0]);
        FUZZ_CHECK((dev->account_id == 0) == (dev->account_name == NULL));
        catalog_device_free(dev);
    } else {
        FUZZ_CHECK(!dev && err[0] != '\0');
    }

    struct catalog_device_code *code = NULL;
    if (catalog_parse_device_code(json, size, &code, err) == 0) {
        /* Shown as a QR code: http(s) only. */
        FUZZ_CHECK(fuzz_url_ok(code->verification_uri) && code->verification_uri);
        FUZZ_CHECK(fuzz_url_ok(code->verification_uri_complete));
        FUZZ_CHECK(code->interval >= 1 && code->expires_in >= 1);
        catalog_device_code_free(code);
    } else {
        FUZZ_CHECK(!code && err[0] != '\0');
    }

    static const long statuses[] = {200, 400, 401};
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        struct catalog_token_poll *poll = NULL;
        if (catalog_parse_token_poll(statuses[i], json, size, &poll, err) == 0) {
            FUZZ_CHECK(statuses[i] != 401);
            FUZZ_CHECK((poll->status == CATALOG_TOKEN_OK) == (poll->tokens != NULL));
            FUZZ_CHECK(poll->status == CATALOG_TOKEN_OK || (poll->code && poll->message));
            catalog_token_poll_free(poll);
        } else {
            FUZZ_CHECK(!poll && err[0] != '\0');
        }
    }
    return 0;
}
