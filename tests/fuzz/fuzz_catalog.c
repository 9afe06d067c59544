/* libFuzzer target for the catalog documents: home, series and search. */
#include "binge/catalog.h"
#include "fuzz_common.h"

#include <string.h>

static void check_items(const struct catalog_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(items[i].series_id && items[i].series_id[0]);
        FUZZ_CHECK(items[i].title);
        FUZZ_CHECK(fuzz_url_ok(items[i].poster_url));
        FUZZ_CHECK(items[i].episode_count >= 0);
        FUZZ_CHECK(!items[i].episode_id || items[i].episode_index >= 1);
        FUZZ_CHECK(items[i].resume_ms >= 0 && items[i].duration_ms >= 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    char err[CATALOG_ERR_LEN];

    struct catalog_home *home = NULL;
    if (catalog_parse_home(json, size, &home, err) == 0) {
        for (size_t i = 0; i < home->n_shelves; i++) {
            FUZZ_CHECK(home->shelves[i].id && home->shelves[i].title);
            check_items(home->shelves[i].items, home->shelves[i].n_items);
        }
        /* An item left out is counted and its error kept, and only then. */
        FUZZ_CHECK((home->n_dropped == 0) == (home->dropped[0] == '\0'));
        FUZZ_CHECK(strlen(home->dropped) < CATALOG_ERR_LEN);
        catalog_home_free(home);
    } else {
        FUZZ_CHECK(!home && err[0] != '\0' && strlen(err) < CATALOG_ERR_LEN);
    }

    struct catalog_series *series = NULL;
    if (catalog_parse_series(json, size, &series, err) == 0) {
        FUZZ_CHECK(series->id && series->title);
        FUZZ_CHECK(fuzz_url_ok(series->poster_url));
        for (size_t i = 0; i < series->n_episodes; i++) {
            const struct catalog_episode *ep = &series->episodes[i];
            FUZZ_CHECK(ep->index >= 1 && (i == 0 || series->episodes[i - 1].index < ep->index));
            FUZZ_CHECK(catalog_series_episode(series, ep->index) == ep);
            FUZZ_CHECK(fuzz_url_ok(ep->thumb_url));
            FUZZ_CHECK(ep->state == CATALOG_FREE || ep->state == CATALOG_UNLOCKED ||
                       ep->state == CATALOG_LOCKED);
        }
        for (size_t i = 0; i < series->n_genres; i++)
            FUZZ_CHECK(series->genres[i]);
        catalog_series_free(series);
    } else {
        FUZZ_CHECK(!series && err[0] != '\0');
    }

    struct catalog_search *search = NULL;
    if (catalog_parse_search(json, size, &search, err) == 0) {
        check_items(search->items, search->n_items);
        catalog_search_free(search);
    } else {
        FUZZ_CHECK(!search && err[0] != '\0');
    }
    return 0;
}
