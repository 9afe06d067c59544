/* Parse-time benchmark for the catalog parsers: a home of 500 series and a series of 200
 * episodes, each parsed many times; prints the median and min-max per parse.
 * Usage: bench_parse [runs]   (default 200) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binge/catalog.h"
#include "binge/util.h"

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static char *append(char *buf, size_t *len, size_t *cap, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        buf = realloc(buf, *cap);
        if (!buf)
            exit(1);
    }
    memcpy(buf + *len, s, n + 1);
    *len += n;
    return buf;
}

/* 500 series spread over 10 shelves of 50, as a large home would carry. */
static char *make_home(size_t *len)
{
    size_t cap = 0;
    char *b = NULL, item[512];
    *len = 0;
    b = append(b, len, &cap, "{\"shelves\":[");
    for (int s = 0; s < 10; s++) {
        snprintf(item, sizeof(item), "%s{\"id\":\"shelf-%d\",\"title\":\"Shelf %d\",\"items\":[",
                 s ? "," : "", s, s);
        b = append(b, len, &cap, item);
        for (int i = 0; i < 50; i++) {
            int id = s * 50 + i;
            snprintf(item, sizeof(item),
                     "%s{\"id\":\"series-%d\",\"title\":\"The Billionaire's Secret Bride %d\","
                     "\"poster_url\":\"http://127.0.0.1:8080/images/series-%d/poster.png\","
                     "\"episode_count\":80,\"synopsis\":\"She signed a contract marriage; he "
                     "never meant to fall in love.\"}",
                     i ? "," : "", id, id, id);
            b = append(b, len, &cap, item);
        }
        b = append(b, len, &cap, "]}");
    }
    return append(b, len, &cap, "]}");
}

static char *make_series(size_t *len)
{
    size_t cap = 0;
    char *b = NULL, ep[512];
    *len = 0;
    b = append(b, len, &cap,
               "{\"id\":\"long-series\",\"title\":\"The Long Series\",\"synopsis\":\"Two hundred "
               "cliffhangers.\",\"poster_url\":\"http://127.0.0.1:8080/images/long/poster.png\","
               "\"episodes\":[");
    for (int i = 1; i <= 200; i++) {
        snprintf(ep, sizeof(ep),
                 "%s{\"id\":\"long-series-%d\",\"index\":%d,\"title\":\"Episode %d\","
                 "\"duration_s\":95,\"thumb_url\":null,\"state\":\"%s\",\"price_coins\":%d}",
                 i > 1 ? "," : "", i, i, i, i <= 5 ? "free" : "locked", i <= 5 ? 0 : 30);
        b = append(b, len, &cap, ep);
    }
    return append(b, len, &cap, "]}");
}

static void run(const char *name, const char *json, size_t len, int runs, bool home)
{
    int64_t *t = calloc((size_t)runs, sizeof(*t));
    char err[CATALOG_ERR_LEN];
    for (int r = 0; r < runs; r++) {
        int64_t t0 = util_now_us();
        if (home) {
            struct catalog_home *h = NULL;
            if (catalog_parse_home(json, len, &h, err) != 0) {
                fprintf(stderr, "%s: %s\n", name, err);
                exit(1);
            }
            catalog_home_free(h);
        } else {
            struct catalog_series *s = NULL;
            if (catalog_parse_series(json, len, &s, err) != 0) {
                fprintf(stderr, "%s: %s\n", name, err);
                exit(1);
            }
            catalog_series_free(s);
        }
        t[r] = util_now_us() - t0;
    }
    qsort(t, (size_t)runs, sizeof(*t), cmp);
    printf("%-28s %8zu bytes  median %7.3f ms  (min %.3f, max %.3f, %d runs)\n", name, len,
           t[runs / 2] / 1000.0, t[0] / 1000.0, t[runs - 1] / 1000.0, runs);
    free(t);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 200;
    if (runs < 1)
        runs = 1;
    size_t hl, sl;
    char *home = make_home(&hl), *series = make_series(&sl);
    run("home, 500 series", home, hl, runs, true);
    run("series, 200 episodes", series, sl, runs, false);
    free(home);
    free(series);
    return 0;
}
