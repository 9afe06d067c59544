#ifndef BINGE_INPUT_LIRC_H
#define BINGE_INPUT_LIRC_H

/* Private to src/input: the LIRC source's limits and its line parser (for the unit tests). */

#include <stddef.h>

#define LIRC_LINE_MAX 255   /* a longer line from lircd is dropped */
#define LIRC_BUTTON_MAX 63  /* a button or remote name */
#define LIRC_RELEASE_MS 200 /* a button whose lines stop this long is released */
#define LIRC_BACKOFF_FIRST_MS 500
#define LIRC_BACKOFF_MAX_MS 30000
#define LIRC_GARBAGE_LOGGED 10 /* bad lines logged, then no more */

/* Parses one lircd line (no newline), "<code> <repeat> <button> <remote>": hex code, hex
 * repeat count, printable names. Returns 0 with button (NUL-terminated) and *repeat, or
 * BINGE_EPARSE. */
int lirc_parse_line(const char *line, char *button, size_t button_len, unsigned *repeat);

#endif
