/* libFuzzer target for the wallet side: wallet, unlock results and refusals, check-in, packs,
 * phone checkout and progress acknowledgements. The parsers that take an HTTP status run with
 * each status they handle. */
#include "binge/catalog.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    char err[CATALOG_ERR_LEN];

    struct catalog_wallet *wallet = NULL;
    if (catalog_parse_wallet(json, size, &wallet, err) == 0) {
        FUZZ_CHECK(wallet->coins >= 0 && wallet->bonus_coins >= 0);
        FUZZ_CHECK(wallet->ads_left_today >= 0 && wallet->checkin_streak >= 0);
        FUZZ_CHECK((wallet->account_id == 0) == (wallet->account_name == NULL));
        catalog_wallet_free(wallet);
    } else {
        FUZZ_CHECK(!wallet && err[0] != '\0');
    }

    struct catalog_unlock *unlock = NULL;
    if (catalog_parse_unlock(json, size, &unlock, err) == 0) {
        FUZZ_CHECK(unlock->state == CATALOG_FREE || unlock->state == CATALOG_UNLOCKED);
        FUZZ_CHECK(unlock->charged_coins >= 0 && unlock->charged_bonus >= 0);
        catalog_unlock_free(unlock);
    } else {
        FUZZ_CHECK(!unlock && err[0] != '\0');
    }

    static const long refusal_statuses[] = {400, 402, 404, 409, 429};
    for (size_t i = 0; i < sizeof(refusal_statuses) / sizeof(refusal_statuses[0]); i++) {
        struct catalog_refusal *r = NULL;
        if (catalog_parse_refusal(refusal_statuses[i], json, size, &r, err) == 0) {
            FUZZ_CHECK(r->code && r->code[0] && r->message);
            FUZZ_CHECK(r->kind != CATALOG_REFUSAL_NO_COINS || refusal_statuses[i] == 402);
            catalog_refusal_free(r);
        } else {
            FUZZ_CHECK(!r && err[0] != '\0');
        }
    }

    static const long checkin_statuses[] = {200, 409, 500};
    for (size_t i = 0; i < sizeof(checkin_statuses) / sizeof(checkin_statuses[0]); i++) {
        struct catalog_checkin *c = NULL;
        if (catalog_parse_checkin(checkin_statuses[i], json, size, &c, err) == 0) {
            FUZZ_CHECK(checkin_statuses[i] != 500);
            FUZZ_CHECK(c->already_claimed == (checkin_statuses[i] == 409));
            catalog_checkin_free(c);
        } else {
            FUZZ_CHECK(!c && err[0] != '\0');
        }
    }

    struct catalog_packs *packs = NULL;
    if (catalog_parse_packs(json, size, &packs, err) == 0) {
        for (size_t i = 0; i < packs->n_packs; i++)
            FUZZ_CHECK(packs->packs[i].id && packs->packs[i].price && packs->packs[i].currency);
        catalog_packs_free(packs);
    } else {
        FUZZ_CHECK(!packs && err[0] != '\0');
    }

    struct catalog_purchase *purchase = NULL;
    if (catalog_parse_purchase(json, size, &purchase, err) == 0) {
        /* Shown as a QR code and opened on a phone: http(s) only. */
        FUZZ_CHECK(purchase->qr_url && fuzz_url_ok(purchase->qr_url));
        FUZZ_CHECK(purchase->pack.id);
        catalog_purchase_free(purchase);
    } else {
        FUZZ_CHECK(!purchase && err[0] != '\0');
    }

    struct catalog_progress_ack *ack = NULL;
    if (catalog_parse_progress_ack(json, size, &ack, err) == 0) {
        for (size_t i = 0; i < ack->n_results; i++)
            FUZZ_CHECK(ack->results[i].event_id && ack->results[i].event_id[0]);
        catalog_progress_ack_free(ack);
    } else {
        FUZZ_CHECK(!ack && err[0] != '\0');
    }
    return 0;
}
