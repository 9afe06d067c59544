#include "binge/input.h"

#include <strings.h>

static const char *const action_names[INPUT_ACTION_COUNT] = {
    [INPUT_NONE] = "NONE",
    [INPUT_UP] = "UP",
    [INPUT_DOWN] = "DOWN",
    [INPUT_LEFT] = "LEFT",
    [INPUT_RIGHT] = "RIGHT",
    [INPUT_OK] = "OK",
    [INPUT_BACK] = "BACK",
    [INPUT_PLAY_PAUSE] = "PLAY_PAUSE",
    [INPUT_INFO] = "INFO",
    [INPUT_HOME] = "HOME",
    [INPUT_MENU] = "MENU",
    [INPUT_DIGIT_0] = "DIGIT_0",
    [INPUT_DIGIT_1] = "DIGIT_1",
    [INPUT_DIGIT_2] = "DIGIT_2",
    [INPUT_DIGIT_3] = "DIGIT_3",
    [INPUT_DIGIT_4] = "DIGIT_4",
    [INPUT_DIGIT_5] = "DIGIT_5",
    [INPUT_DIGIT_6] = "DIGIT_6",
    [INPUT_DIGIT_7] = "DIGIT_7",
    [INPUT_DIGIT_8] = "DIGIT_8",
    [INPUT_DIGIT_9] = "DIGIT_9",
    [INPUT_VOLUME_UP] = "VOLUME_UP",
    [INPUT_VOLUME_DOWN] = "VOLUME_DOWN",
    [INPUT_MUTE] = "MUTE",
    [INPUT_AUDIO] = "AUDIO",
    [INPUT_SUBTITLES] = "SUBTITLES",
    [INPUT_SEARCH] = "SEARCH",
    [INPUT_RED] = "RED",
    [INPUT_GREEN] = "GREEN",
    [INPUT_YELLOW] = "YELLOW",
    [INPUT_BLUE] = "BLUE",
    [INPUT_CHANNEL_UP] = "CHANNEL_UP",
    [INPUT_CHANNEL_DOWN] = "CHANNEL_DOWN",
    [INPUT_EXIT] = "EXIT",
};

bool input_key_is_repeat(const SDL_KeyboardEvent *key)
{
    return key->repeat != 0;
}

const char *input_action_name(enum input_action action)
{
    if ((int)action < 0 || action >= INPUT_ACTION_COUNT)
        return "NONE";
    return action_names[action];
}

enum input_action input_action_from_name(const char *name)
{
    if (!name)
        return INPUT_NONE;
    for (int i = 1; i < INPUT_ACTION_COUNT; i++)
        if (strcasecmp(name, action_names[i]) == 0)
            return (enum input_action)i;
    return INPUT_NONE;
}
