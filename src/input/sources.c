#include "binge/input_source.h"

/* The input sources built, in probe order (DESIGN.md: backends are const tables). Only this file
 * and each backend's own know its BINGE_HAVE_INPUT_* define; the SDL keyboard is always built. */

extern const struct input_source_ops input_source_sdl_keyboard;
#if BINGE_HAVE_INPUT_GAMECONTROLLER
extern const struct input_source_ops input_source_gamecontroller;
#endif
#if BINGE_HAVE_INPUT_LIRC
extern const struct input_source_ops input_source_lirc;
#endif
#if BINGE_HAVE_INPUT_EVDEV
extern const struct input_source_ops input_source_evdev;
#endif
#if BINGE_HAVE_INPUT_CEC
extern const struct input_source_ops input_source_cec;
#endif

static const struct input_source_ops *const sources[] = {
    &input_source_sdl_keyboard,
#if BINGE_HAVE_INPUT_GAMECONTROLLER
    &input_source_gamecontroller,
#endif
#if BINGE_HAVE_INPUT_LIRC
    &input_source_lirc,
#endif
#if BINGE_HAVE_INPUT_EVDEV
    &input_source_evdev,
#endif
#if BINGE_HAVE_INPUT_CEC
    &input_source_cec,
#endif
    NULL,
};

const struct input_source_ops *const *input_source_list(void)
{
    return sources;
}
