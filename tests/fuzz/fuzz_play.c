/* libFuzzer target for playback grants: the 200 of play, the 402 of a locked episode, and the
 * generic error body. */
#include "binge/catalog.h"
#include "fuzz_common.h"

static void check_tracks(const struct catalog_track *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(t[i].language && t[i].language[0]);
        FUZZ_CHECK(fuzz_url_ok(t[i].url));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    char err[CATALOG_ERR_LEN];

    struct catalog_play *play = NULL;
    if (catalog_parse_play(json, size, &play, err) == 0) {
        /* The one URL the player opens: never anything but http(s). */
        FUZZ_CHECK(play->play_url && fuzz_url_ok(play->play_url));
        FUZZ_CHECK(play->episode_id && play->episode_id[0]);
        FUZZ_CHECK(play->expires_at >= 0 && play->resume_ms >= 0);
        check_tracks(play->subtitles, play->n_subtitles);
        check_tracks(play->audio_tracks, play->n_audio_tracks);
        catalog_play_free(play);
    } else {
        FUZZ_CHECK(!play && err[0] != '\0');
    }

    struct catalog_locked *locked = NULL;
    if (catalog_parse_locked(json, size, &locked, err) == 0) {
        FUZZ_CHECK(locked->price_coins >= 0 && locked->balance >= 0);
        FUZZ_CHECK((locked->methods & ~7u) == 0);
        catalog_locked_free(locked);
    } else {
        FUZZ_CHECK(!locked && err[0] != '\0');
    }

    char *code = NULL, *message = NULL;
    if (catalog_parse_error(json, size, &code, &message) == 0) {
        FUZZ_CHECK(code && code[0] && message);
        free(code);
        free(message);
    } else {
        FUZZ_CHECK(!code && !message);
    }
    return 0;
}
