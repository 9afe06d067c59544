#ifndef BINGE_APP_H
#define BINGE_APP_H

#include "binge/options.h"
#include "binge/platform.h"

/* The application: the UI thread's tick loop, the request router, the session, the screen
 * stack and the automation driver. app/ is the only module that knows all the others. Screens
 * are const tables of functions, one file each under src/app/screens/; the interface and how to
 * add one are in src/app/screen.h (private to app/).
 *
 * Threading: app_run runs on the main thread and returns when binge quits. It owns all state;
 * the net thread, GStreamer's threads and the image worker only wake it. */

enum app_exit {
    APP_EXIT_OK = 0,
    APP_EXIT_FAILURE = 1,    /* could not start (no window, no font, no GStreamer) */
    APP_EXIT_USAGE = 2,      /* bad options (main.c) */
    APP_EXIT_AUTOMATION = 3, /* a script command failed, e.g. a wait-for timed out */
    APP_EXIT_PLAYBACK = 4,   /* --play: a stream failed and could not recover */
};

/* Runs binge with opts on platform until the viewer or the script quits. Both are borrowed.
 * Returns an enum app_exit value. */
int app_run(const struct binge_options *opts, const struct platform *platform);

#endif
