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
};

/* Keyboard and the keys SDL reports for remotes (via kmsdrm/evdev or CEC-to-keyboard bridges). */
static const struct {
    SDL_Keycode key;
    enum input_action action;
} keymap[] = {
    {SDLK_UP, INPUT_UP},
    {SDLK_DOWN, INPUT_DOWN},
    {SDLK_LEFT, INPUT_LEFT},
    {SDLK_RIGHT, INPUT_RIGHT},
    {SDLK_RETURN, INPUT_OK},
    {SDLK_KP_ENTER, INPUT_OK},
    {SDLK_SELECT, INPUT_OK},
    {SDLK_ESCAPE, INPUT_BACK},
    {SDLK_BACKSPACE, INPUT_BACK},
    {SDLK_AC_BACK, INPUT_BACK},
    {SDLK_SPACE, INPUT_PLAY_PAUSE},
    {SDLK_AUDIOPLAY, INPUT_PLAY_PAUSE},
    {SDLK_p, INPUT_PLAY_PAUSE},
    {SDLK_i, INPUT_INFO},
    {SDLK_F1, INPUT_INFO},
    {SDLK_HOME, INPUT_HOME},
    {SDLK_AC_HOME, INPUT_HOME},
    {SDLK_h, INPUT_HOME},
    {SDLK_MENU, INPUT_MENU},
    {SDLK_m, INPUT_MENU},
    {SDLK_F2, INPUT_MENU},
    {SDLK_VOLUMEUP, INPUT_VOLUME_UP},
    {SDLK_EQUALS, INPUT_VOLUME_UP},
    {SDLK_PLUS, INPUT_VOLUME_UP},
    {SDLK_KP_PLUS, INPUT_VOLUME_UP},
    {SDLK_VOLUMEDOWN, INPUT_VOLUME_DOWN},
    {SDLK_MINUS, INPUT_VOLUME_DOWN},
    {SDLK_KP_MINUS, INPUT_VOLUME_DOWN},
    {SDLK_MUTE, INPUT_MUTE},
    {SDLK_AUDIOMUTE, INPUT_MUTE},
    {SDLK_x, INPUT_MUTE},
    {SDLK_a, INPUT_AUDIO},
    {SDLK_F3, INPUT_AUDIO},
    {SDLK_s, INPUT_SUBTITLES},
    {SDLK_c, INPUT_SUBTITLES},
    {SDLK_F4, INPUT_SUBTITLES},
    {SDLK_AC_SEARCH, INPUT_SEARCH},
    {SDLK_FIND, INPUT_SEARCH},
    {SDLK_SLASH, INPUT_SEARCH},
    {SDLK_F5, INPUT_SEARCH},
};

enum input_action input_from_sdl_key(const SDL_KeyboardEvent *key)
{
    SDL_Keycode sym = key->keysym.sym;
    if (sym >= SDLK_0 && sym <= SDLK_9)
        return INPUT_DIGIT_0 + (sym - SDLK_0);
    if (sym >= SDLK_KP_1 && sym <= SDLK_KP_9)
        return INPUT_DIGIT_1 + (sym - SDLK_KP_1);
    if (sym == SDLK_KP_0)
        return INPUT_DIGIT_0;
    for (size_t i = 0; i < sizeof(keymap) / sizeof(keymap[0]); i++)
        if (keymap[i].key == sym)
            return keymap[i].action;
    return INPUT_NONE;
}

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
