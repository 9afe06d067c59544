/* The episode strip over the player (DOWN while watching): a row of the series' episodes to
 * jump within it. Only the keys and the focus live here; the player screen plays what OK picks
 * (screens/player.c) and draws it through ui_draw_player's strip.
 *
 * Threading: UI thread only. */

#include "../app_internal.h"

void strip_open(struct episode_strip *st, const struct catalog_series *series, int playing)
{
    st->open = series && series->n_episodes;
    st->focus = 0;
    for (size_t i = 0; st->open && i < series->n_episodes; i++)
        if (series->episodes[i].index == playing)
            st->focus = i;
}

enum strip_result strip_action(struct episode_strip *st, const struct catalog_series *series,
                               enum input_action action, int *index)
{
    size_t n = series ? series->n_episodes : 0;
    switch (action) {
    case INPUT_LEFT:
        if (st->focus > 0)
            st->focus--;
        return STRIP_HANDLED;
    case INPUT_RIGHT:
        if (st->focus + 1 < n)
            st->focus++;
        return STRIP_HANDLED;
    case INPUT_DOWN:
        return STRIP_HANDLED;
    case INPUT_BACK:
    case INPUT_UP:
        st->open = false;
        return STRIP_HANDLED;
    case INPUT_OK:
        st->open = false;
        if (st->focus >= n)
            return STRIP_HANDLED;
        *index = series->episodes[st->focus].index;
        return STRIP_PLAY;
    default:
        return STRIP_NOT_MINE;
    }
}

int strip_episode(const struct episode_strip *st, const struct catalog_series *series)
{
    return st->open && series && st->focus < series->n_episodes ? series->episodes[st->focus].index
                                                                : 0;
}
