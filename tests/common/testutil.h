#ifndef BINGE_TESTUTIL_H
#define BINGE_TESTUTIL_H

#include <stdbool.h>
#include <sys/types.h>

/* Helpers shared by the integration and end-to-end tests: real processes, real files.
 * Single-threaded test code; nothing here is thread-safe. Paths come from the
 * BINGE_SOURCE_DIR / BINGE_BUILD_DIR macros that tests/CMakeLists.txt defines. */

/* Under emulation (docs/testing.md, Under emulation) the tests and the binaries they run are the
 * target's (aarch64, armhf), and two variables from ctest's ENVIRONMENT (tests/CMakeLists.txt)
 * say how to run them:
 *   BINGE_TEST_EMULATOR       the command that runs a target binary: CMAKE_CROSSCOMPILING_EMULATOR
 *                             (qemu-aarch64-static;-L;SYSROOT;-E;...), its words separated by ';'
 *                             as in a CMake list (the ';' are escaped in ENVIRONMENT so they
 *                             survive). Empty or unset natively: binaries run directly.
 *   BINGE_TEST_TIMEOUT_SCALE  an integer factor (default 1) on every wait of a test: ctest's
 *                             TIMEOUT (at configure time) and the bounds below (at run time).
 * Target binaries are those under BINGE_BUILD_DIR/bin and BINGE_BUILD_DIR/tests; host tools
 * (scripts/make-content, ffmpeg, xvfb-run, sh) always run natively, with the environment the
 * emulator gives the target removed (tu_host_exec). qemu-user passes a
 * child's exit status and its death by a signal through, and forwards the signals sent to it. */

/* BINGE_TEST_TIMEOUT_SCALE, at least 1 (1 when unset or not a number). */
int tu_timeout_scale(void);
/* seconds (or milliseconds) times tu_timeout_scale(): the one place a wait bound grows. */
int tu_scaled(int timeout);

/* BINGE_TEST_EMULATOR's words, copied into buf (cap bytes) and pointed to by words (max): their
 * count, 0 natively, -1 when they don't fit. Allocates nothing. For a command line that runs a
 * target binary behind a host tool (xvfb-run ... EMULATOR... binary). */
int tu_emulator_words(char *buf, size_t cap, char *words[], int max);
/* In a child after fork(): execs the host tool argv[0] (searched in PATH, as execvp) with the
 * environment less the variables the emulator sets for the target's programs (its "-E
 * NAME=VALUE" words, such as GST_PLUGIN_SYSTEM_PATH into the sysroot), which a test run under
 * the emulator inherits and which would point a host tool at the target's plugins. Natively
 * the environment as it is. Allocates nothing and takes no lock (the environment is not
 * changed, it is filtered into an array on the stack): safe after fork() in a threaded test.
 * Returns only on failure, -1 with errno set, as execvp. */
int tu_host_exec(char *const argv[]);
/* In a child after fork(), once an exec failed: "cannot run PATH: ..." on stderr with write(2)
 * only (no stdio lock). */
void tu_child_exec_failed(const char *path);
/* True when BINGE_TEST_EMULATOR names an emulator. */
bool tu_emulated(void);
/* execv(path, argv) through BINGE_TEST_EMULATOR (directly natively): for a target binary in a
 * child after fork(). Allocates nothing (safe after fork() in a threaded test). Returns only on
 * failure, -1 with errno set, as execv. */
int tu_execv(const char *path, char *const argv[]);
/* BINGE_TEST_EMULATOR as a prefix for a sh -c command line (tu_sh, system): each word single
 * quoted, then a space; "" natively. A static string, valid for the whole run. */
const char *tu_emulator_sh(void);

/* Runs argv (argv[0] a path) with stdout/stderr redirected to files (NULL = inherit), waiting at
 * most timeout_s seconds (scaled by tu_timeout_scale()); past that the process is killed.
 * A target binary runs through BINGE_TEST_EMULATOR: argv[0] itself, or, behind a host tool
 * (xvfb-run ... bin/binge ...), the first argument that is one. Returns its
 * exit status, 128+signal when it died of a signal, or -1 when it could not start or timed
 * out. */
int tu_run(char *const argv[], const char *stdout_path, const char *stderr_path, int timeout_s);

/* Starts argv in the background (same redirections and emulator as tu_run). Returns the pid (the
 * emulator's, which is the program's: signals sent to it reach the program) or -1. */
pid_t tu_spawn(char *const argv[], const char *stdout_path, const char *stderr_path);
/* Waits for pid like tu_run does (timeout_s scaled). */
int tu_wait(pid_t pid, int timeout_s);

/* Generates fixture content with scripts/make-content into dir (cached by the script itself).
 * args: extra arguments, e.g. "--series 2 --episodes 3 --duration 3 --sizes 180x320".
 * Returns 0 or -1. */
int tu_make_content(const char *dir, const char *args);

struct tu_server {
    pid_t pid;
    int port;
    char url[64]; /* http://127.0.0.1:PORT */
};

/* Starts build/bin/binge-server --listen 127.0.0.1:port (0 = any free port) --db db
 * --media media, plus extra arguments (space separated, may be NULL), logging to log_path,
 * through the emulator. Waits for its "serving" line (10 s, scaled). Returns 0 or -1. */
int tu_server_start(struct tu_server *s, int port, const char *media, const char *db,
                    const char *extra, const char *log_path);
void tu_server_stop(struct tu_server *s);

/* A loopback port that was free a moment ago. */
int tu_free_port(void);

/* Mean colour (0..255 per channel) and the standard deviation of luma over a rectangle of a
 * PNG, clipped to the image. Returns 0 or -1. */
int tu_png_stats(const char *path, int x, int y, int w, int h, double mean[3], double *luma_sd,
                 int *img_w, int *img_h);

/* The WCAG 2 contrast ratio (1..21) of two colours packed as 0xRRGGBB. */
double tu_contrast(unsigned a, unsigned b);
/* The contrast of text over its background in a rectangle of a PNG, by its pixels: the
 * background is the most frequent colour, the text the colour (on enough pixels to be glyph
 * cores) that stands out most from it. Colours are 0xRRGGBB. Returns 0, or -1 when the file
 * can't be read or the rectangle holds a single colour. */
int tu_png_text_contrast(const char *path, int x, int y, int w, int h, double *ratio, unsigned *bg,
                         unsigned *fg);

/* Lines of text drawn in colour rgb (0xRRGGBB) in a rectangle of a PNG: runs of pixel rows
 * that hold that exact colour (glyph cores are exact). Returns the count, or -1. */
int tu_png_text_lines(const char *path, int x, int y, int w, int h, unsigned rgb);

/* Connects to binge's --control socket, waiting up to timeout_s for it to appear.
 * Returns the fd or -1. Answers are read with a 90 s bound. Both bounds are scaled. */
int tu_control_connect(const char *path, int timeout_s);
/* Sends one command line and reads one answer line into answer (NUL-terminated).
 * Returns 0, or -1 when the connection failed. */
int tu_control(int fd, const char *line, char *answer, size_t len);

/* Runs a shell command (sh -c), returning its exit status, or -1. Its stdout is captured
 * into out (may be NULL). */
int tu_sh(const char *cmd, char *out, size_t len);

/* Adds a fault rule to the binge-server at url, started with --dev: POST /dev/faults with rule,
 * a JSON object (docs/api.md, Faults); rule NULL clears them all (DELETE). Returns the HTTP
 * status (200 when taken), or -1 (curl failed; a rule with a ' in it). */
int tu_server_fault(const char *url, const char *rule);

/* Writes text to path. Returns 0 or -1. */
int tu_write_file(const char *path, const char *text);
/* Reads path into a new NUL-terminated string (free()), or NULL. */
char *tu_read_file(const char *path);

/* A fresh directory under BINGE_BUILD_DIR/test-tmp/name, emptied first. Returns a static path. */
const char *tu_workdir(const char *name);

#endif
