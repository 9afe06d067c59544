#ifndef BINGE_APP_SCREENS_PLAYER_SCREEN_H
#define BINGE_APP_SCREENS_PLAYER_SCREEN_H

/* The player screen's state, shared by its controller (player.c) and its view (player_view.c:
 * the drawing and the automation's player.* and qoe.* values). UI thread only. */

#include <stdbool.h>
#include <stdint.h>

#include "../app_internal.h"

struct player_screen {
    char *series_id;
    char *series_title;
    char *poster_url;
    struct catalog_series *series;
    uint64_t series_req;
    int episode_index;
    uint64_t play_req;
    enum player_state pstate;
    int64_t duration_ms;
    char msg_title[256];
    char msg_detail[256];
    bool msg_error;
    char msg_hint[192];         /* what OK does on the panel; "" = "OK to retry" */
    int64_t resume_override_ms; /* a retry starts here, not at the server's resume_ms; -1 */
    int buffer_pct;             /* the last buffering level, 0..100 */
    bool busy;
    char busy_text[128];
    int64_t overlay_until_ms;
    int64_t volume_until_ms; /* the volume bar is up until then; 0 = not shown */
    uint64_t frame_seq;
    int64_t progress_due_ms; /* the next position recorded while playing */
    /* --play: a list of URLs played one after another, no server. */
    char **playlist;
    size_t n_playlist;
    size_t play_pos;

    /* The gap between episodes: the last frame of one to the first frame of the next. */
    int64_t last_video_present_ms; /* when a new video frame was last presented */
    bool video_presented;          /* a new frame was uploaded since the last present */
    int64_t gap_start_ms;          /* 0 = no switch under way */

    /* The next episode, prepared near the end of this one: prerolled in a second pipeline, or
     * known to be locked so the paywall shows at the cliffhanger without another request. */
    uint64_t preroll_req;
    int preroll_index; /* the episode (or --play position, 1-based) prepared; 0 = none */
    bool next_locked;
    bool autoplay_held; /* an episode ended with autoplay off: OK plays the next */
    int next_price, next_balance;
    int seek_dir;               /* the direction of the last LEFT/RIGHT seek (-1, 1), 0 = none */
    int seek_streak;            /* auto-repeats of it in a row: the steps grow */
    bool seeking;               /* a LEFT/RIGHT seek has not landed yet (PLAYER_EVENT_SEEKED) */
    bool seek_queued;           /* another was asked for meanwhile: seek_target_ms, sent then */
    int64_t seek_target_ms;     /* of the seek on its way (or queued) */
    bool info;                  /* the INFO panel is up */
    struct episode_strip strip; /* DOWN: the episodes, to jump within the series */
    int plane_rect[4];          /* the rectangle last given to player_set_video_rect */

    /* Time from OK (or from the end of the previous episode) to the first frame presented. */
    bool instant; /* the episode on screen started from an instant-start preroll (preroll.c) */
    bool ff_armed;
    bool ff_uploaded;
    int64_t ff_start_ms;
    const char *ff_label;
};

/* Draws the player screen (screen_ops.render). */
void player_screen_render(struct app *app, struct screen *s, int64_t now);

/* The automation's player.* and qoe.* values (screen_ops.state). */
bool player_screen_state(struct app *app, struct screen *s, const char *path, struct app_value *v);

#endif
