#include "app_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "binge/app.h"
#include "binge/log.h"
#include "binge/util.h"

LOG_MODULE("app");

/* A bounded stop.
 *
 * SIGTERM and SIGINT: SDL_Init installs a handler that turns them into SDL_QUIT, and binge stops
 * as for any quit: every screen leaves, the position is recorded, the state is written. But the
 * stop joins threads it does not control: player_free waits for GStreamer's, and a thread that
 * never returns held the process forever (local_http's connection thread in open() on a FIFO
 * that nobody writes; a streaming thread in a g_once that two libsoups in one process left
 * unfinished, under qemu-user). SDL's handler only queues one more SDL_QUIT, so every further
 * SIGTERM was ignored and only SIGKILL ended binge; systemd would wait TimeoutStopSec for it.
 *
 * So the first SIGTERM or SIGINT, or the end of the loop for any other quit, starts a deadline:
 * a watchdog thread gives the stop --stop-timeout (APP_STOP_GRACE_MS by default; longer where
 * tearing the player down is slow: a slow board, an emulator), then logs that it hangs and ends the
 * process with _exit(). A second signal ends it at once. The signal handler only write()s and
 * _exit()s (both async-signal-safe), sets a flag the loop reads (app_stop_requested: SDL may
 * have installed no handler, SDL_NO_SIGNAL_HANDLERS=1), and calls SDL's handler after, as SDL
 * would have.
 *
 * Why _exit() here and not in main.c: the thread that should return to main.c is the one that
 * hangs. What is lost is what the hung stop had not written yet; app_run writes the state it
 * can before the player is freed. This holds the same natively, on a box and under qemu-user. */

#define APP_STOP_GRACE_MS 10000

enum {
    STOP_BY_SIGNAL = 's', /* the byte a signal writes; the signal number follows */
    STOP_BY_QUIT = 'q',
    STOP_DONE = 'd',
};

static int stop_pipe[2] = {-1, -1};
static atomic_int grace_ms = APP_STOP_GRACE_MS; /* set on the main thread, read by the watchdog */
static volatile sig_atomic_t signals_seen;
static volatile sig_atomic_t quit_requested; /* read by the loop: app_stop_requested */
static struct sigaction prev_term, prev_int, ours;
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static void on_signal(int sig)
{
    int saved = errno;
    if (++signals_seen > 1)
        _exit(128 + sig);
    /* The loop reads this too: SDL installs no handler of its own with SDL_NO_SIGNAL_HANDLERS=1
     * in the environment, and then nothing else would start the stop. */
    quit_requested = 1;
    unsigned char msg[2] = {STOP_BY_SIGNAL, (unsigned char)sig};
    if (write(stop_pipe[1], msg, sizeof(msg)) < 0) {
        /* a full pipe: the watchdog already runs */
    }
    const struct sigaction *prev = sig == SIGTERM ? &prev_term : &prev_int;
    if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler != SIG_DFL &&
        prev->sa_handler != SIG_IGN && prev->sa_handler)
        prev->sa_handler(sig); /* SDL's: SDL_QUIT, the ordinary stop */
    /* SDL's handler puts itself back (signal(sig, SDL_HandleSIG)): ours again, so that the
     * second signal is seen. */
    sigaction(sig, &ours, NULL);
    errno = saved;
}

/* Reads one byte, waiting at most timeout_ms (-1: for ever). Returns it, or -1 on timeout. */
static int read_byte(int timeout_ms)
{
    for (;;) {
        struct pollfd pfd = {.fd = stop_pipe[0], .events = POLLIN};
        int n = poll(&pfd, 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        unsigned char b;
        ssize_t r = read(stop_pipe[0], &b, 1);
        if (r == 1)
            return b;
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        return -1;
    }
}

static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal";
}

static void *watchdog(void *arg)
{
    (void)arg;
    int why = read_byte(-1);
    if (why == STOP_DONE || why < 0)
        return NULL;
    int sig = why == STOP_BY_SIGNAL ? read_byte(0) : 0;
    if (sig > 0)
        log_info("%s: stopping (a second one stops at once)", signal_name(sig));
    int grace = atomic_load(&grace_ms);
    int64_t deadline = util_now_ms() + grace;
    for (;;) {
        int64_t left = deadline - util_now_ms();
        if (left <= 0)
            break;
        int b = read_byte((int)left);
        if (b == STOP_DONE)
            return NULL;
    }
    log_error("binge did not stop %d ms after %s: a thread hangs (the player's?); exiting now",
              grace, sig > 0 ? signal_name(sig) : "quitting");
    _exit(sig > 0 ? 128 + sig : APP_EXIT_FAILURE);
    return NULL;
}

static void install(void)
{
    if (pipe(stop_pipe) != 0) {
        log_warn("no stop watchdog (pipe: %s): a hung stop needs SIGKILL", strerror(errno));
        return;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(stop_pipe[i], F_SETFL, O_NONBLOCK);
    }
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, watchdog, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        log_warn("no stop watchdog (thread: %s): a hung stop needs SIGKILL", strerror(rc));
        close(stop_pipe[0]);
        close(stop_pipe[1]);
        stop_pipe[0] = stop_pipe[1] = -1;
        return;
    }
    /* Block nothing, chain to what is there (SDL's handler once SDL_Init ran). */
    memset(&ours, 0, sizeof(ours));
    ours.sa_handler = on_signal;
    sigemptyset(&ours.sa_mask);
    ours.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &ours, &prev_term);
    sigaction(SIGINT, &ours, &prev_int);
}

void app_stop_guard_install(void)
{
    pthread_once(&stop_once, install);
}

void app_stop_set_timeout(int ms)
{
    if (ms > 0)
        atomic_store(&grace_ms, ms);
}

static void send_byte(unsigned char b)
{
    if (stop_pipe[1] >= 0 && write(stop_pipe[1], &b, 1) < 0)
        log_debug("stop watchdog: write: %s", strerror(errno));
}

bool app_stop_requested(void)
{
    return quit_requested != 0;
}

void app_stop_begin(void)
{
    send_byte(STOP_BY_QUIT);
}

void app_stop_done(void)
{
    send_byte(STOP_DONE);
}
