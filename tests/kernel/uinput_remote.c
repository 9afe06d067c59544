/* uinput_remote: a TV remote made with /dev/uinput, for the evdev source's test in a guest.
 *
 *   uinput_remote [--name NAME] [--wait-file F --wait-for TEXT [--wait-done TEXT]]
 *                 [--stop-pid PID] [--pause-pid PID] [--kind remote|mouse|power] KEY...
 *
 * Creates an input device with a remote's keys, waits until F holds the --wait-for TEXT (the
 * reader says it opened the device: keys typed before that would be lost, as on a real box),
 * types each KEY (KEY_UP: press then release; KEY_RIGHT:hold: press, three auto-repeats
 * (value 2) as the kernel's repeat would send, release; KEY_LEFT:down: press only, the key is
 * still down when the device is removed, or until a later KEY_LEFT:up releases it (a key held
 * for as long as the reader takes to acknowledge, KEY_RIGHT:down@FILE KEY_RIGHT:up: meanwhile
 * the kernel repeats it, value 2, as the device has EV_REP), waits until F holds the --wait-done
 * TEXT (the reader has read the last key: evdev drops unread events of a removed device), then
 * removes the device. --stop-pid: the reader PID is stopped (SIGSTOP) while the device is
 * removed and continued after, as a UI thread busy with a frame would be: it finds the device
 * gone without having read the kernel's last events (the releases of keys still down). KEY@FILE
 * types KEY, then waits until FILE exists and is not empty (the reader's acknowledgement, e.g.
 * binge's screenshot once its state moved). KEY_RIGHT:flood presses KEY_RIGHT and sends 300
 * auto-repeats (value 2) at once, the key left down: more than the kernel keeps for a reader
 * that is not reading (SYN_DROPPED). "await=TEXT" waits until F holds TEXT. "pause" and "resume"
 * stop and continue the reader
 * --pause-pid PID (SIGSTOP, SIGCONT: a UI thread busy meanwhile). --kind mouse makes a mouse
 * (buttons and relative motion), --kind power a power button (KEY_POWER only): devices the evdev
 * source must leave alone (type no KEY to them). Exit 0, or 1 with a reason. */
#include <errno.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const unsigned remote_keys[] = {
    KEY_UP,        KEY_DOWN,      KEY_LEFT,      KEY_RIGHT,      KEY_OK,          KEY_ENTER,
    KEY_BACK,      KEY_ESC,       KEY_RED,       KEY_GREEN,      KEY_YELLOW,      KEY_BLUE,
    KEY_INFO,      KEY_HOME,      KEY_PLAYPAUSE, KEY_CHANNELUP,  KEY_CHANNELDOWN, KEY_SEARCH,
    KEY_EXIT,      KEY_MENU,      KEY_VOLUMEUP,  KEY_VOLUMEDOWN, KEY_MUTE,        KEY_NUMERIC_0,
    KEY_NUMERIC_1, KEY_NUMERIC_2, KEY_NUMERIC_3, KEY_NUMERIC_4,  KEY_NUMERIC_5,   KEY_NUMERIC_6,
    KEY_NUMERIC_7, KEY_NUMERIC_8, KEY_NUMERIC_9,
};

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, text) != NULL; /* "": any byte at all */
    fclose(f);
    return found;
}

/* A bound, not a budget: the reader answers within milliseconds; a minute is for a guest on
 * a loaded host. */
static int wait_until(const char *path, const char *text)
{
    for (int tries = 0; tries < 1200; tries++) {
        if (file_has(path, text))
            return 1;
        pause_ms(50);
    }
    fprintf(stderr, "uinput_remote: %s never said '%s'\n", path, text);
    return 0;
}

/* Until pid is stopped (state T in /proc/pid/stat): SIGSTOP takes effect asynchronously. */
static int wait_stopped(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    for (int tries = 0; tries < 1200; tries++) {
        FILE *f = fopen(path, "r");
        char buf[256] = "";
        if (f) {
            if (!fgets(buf, sizeof(buf), f))
                buf[0] = '\0';
            fclose(f);
        }
        const char *paren = strrchr(buf, ')'); /* "pid (comm) S ..." */
        if (paren && paren[1] == ' ' && (paren[2] == 'T' || paren[2] == 't'))
            return 1;
        pause_ms(5);
    }
    fprintf(stderr, "uinput_remote: %ld never stopped\n", (long)pid);
    return 0;
}

static int emit(struct libevdev_uinput *ui, unsigned code, int value)
{
    int rc = libevdev_uinput_write_event(ui, EV_KEY, code, value);
    if (rc == 0)
        rc = libevdev_uinput_write_event(ui, EV_SYN, SYN_REPORT, 0);
    return rc;
}

int main(int argc, char **argv)
{
    const char *name = "binge test remote";
    const char *wait_file = NULL, *wait_for = NULL, *wait_done = NULL;
    const char *kind = "remote";
    pid_t stop_pid = 0, pause_pid = 0;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc)
            goto usage;
        if (strcmp(argv[i], "--name") == 0)
            name = argv[i + 1];
        else if (strcmp(argv[i], "--wait-file") == 0)
            wait_file = argv[i + 1];
        else if (strcmp(argv[i], "--wait-for") == 0)
            wait_for = argv[i + 1];
        else if (strcmp(argv[i], "--wait-done") == 0)
            wait_done = argv[i + 1];
        else if (strcmp(argv[i], "--kind") == 0)
            kind = argv[i + 1];
        else if (strcmp(argv[i], "--stop-pid") == 0)
            stop_pid = (pid_t)strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--pause-pid") == 0)
            pause_pid = (pid_t)strtol(argv[i + 1], NULL, 10);
        else
            goto usage;
    }
    struct libevdev *dev = libevdev_new();
    libevdev_set_name(dev, name);
    libevdev_set_id_bustype(dev, BUS_USB);
    libevdev_set_id_vendor(dev, 0x1d6b);
    libevdev_set_id_product(dev, 0x0b1e);
    libevdev_enable_event_type(dev, EV_KEY);
    if (strcmp(kind, "remote") == 0) {
        for (size_t k = 0; k < sizeof(remote_keys) / sizeof(remote_keys[0]); k++)
            libevdev_enable_event_code(dev, EV_KEY, remote_keys[k], NULL);
        libevdev_enable_event_type(dev, EV_REP); /* the kernel may repeat: the reader must not */
    } else if (strcmp(kind, "mouse") == 0) {
        libevdev_enable_event_code(dev, EV_KEY, BTN_LEFT, NULL);
        libevdev_enable_event_code(dev, EV_KEY, BTN_RIGHT, NULL);
        libevdev_enable_event_code(dev, EV_KEY, BTN_MIDDLE, NULL);
        libevdev_enable_event_type(dev, EV_REL);
        libevdev_enable_event_code(dev, EV_REL, REL_X, NULL);
        libevdev_enable_event_code(dev, EV_REL, REL_Y, NULL);
        libevdev_enable_event_code(dev, EV_REL, REL_WHEEL, NULL);
    } else if (strcmp(kind, "power") == 0) {
        libevdev_enable_event_code(dev, EV_KEY, KEY_POWER, NULL);
    } else {
        goto usage;
    }
    struct libevdev_uinput *ui = NULL;
    int rc = libevdev_uinput_create_from_device(dev, LIBEVDEV_UINPUT_OPEN_MANAGED, &ui);
    if (rc < 0) {
        fprintf(stderr, "uinput_remote: can't create the device: %s\n", strerror(-rc));
        return 1;
    }
    printf("uinput_remote: created %s (%s)\n", libevdev_uinput_get_devnode(ui), name);
    fflush(stdout);
    if (wait_file && wait_for && !wait_until(wait_file, wait_for)) {
        libevdev_uinput_destroy(ui);
        return 1;
    }
    for (; i < argc; i++) {
        if (strcmp(argv[i], "pause") == 0 || strcmp(argv[i], "resume") == 0) {
            int pause = argv[i][0] == 'p';
            if (pause_pid <= 0 || kill(pause_pid, pause ? SIGSTOP : SIGCONT) < 0 ||
                (pause && !wait_stopped(pause_pid))) {
                fprintf(stderr, "uinput_remote: can't %s the reader (--pause-pid)\n", argv[i]);
                if (pause_pid > 0)
                    kill(pause_pid, SIGCONT);
                libevdev_uinput_destroy(ui);
                return 1;
            }
            continue;
        }
        if (strncmp(argv[i], "await=", 6) == 0) {
            if (!wait_file || !wait_until(wait_file, argv[i] + 6)) {
                libevdev_uinput_destroy(ui);
                return 1;
            }
            continue;
        }
        char key[256];
        snprintf(key, sizeof(key), "%s", argv[i]);
        char *ack = strchr(key, '@');
        if (ack)
            *ack++ = '\0';
        char *colon = strchr(key, ':');
        int hold = colon && strcmp(colon, ":hold") == 0;
        int down = colon && strcmp(colon, ":down") == 0;
        int up = colon && strcmp(colon, ":up") == 0;
        int flood = colon && strcmp(colon, ":flood") == 0;
        if (colon)
            *colon = '\0';
        int code = libevdev_event_code_from_name(EV_KEY, key);
        if (code < 0) {
            fprintf(stderr, "uinput_remote: unknown key %s\n", key);
            libevdev_uinput_destroy(ui);
            return 1;
        }
        rc = up ? 0 : emit(ui, (unsigned)code, 1);
        for (int r = 0; hold && rc == 0 && r < 3; r++) {
            pause_ms(30);
            rc = emit(ui, (unsigned)code, 2);
        }
        for (int r = 0; flood && rc == 0 && r < 300; r++)
            rc = emit(ui, (unsigned)code, 2);
        if (rc == 0 && !down && !flood)
            rc = emit(ui, (unsigned)code, 0);
        if (rc < 0) {
            fprintf(stderr, "uinput_remote: write: %s\n", strerror(-rc));
            libevdev_uinput_destroy(ui);
            return 1;
        }
        if (ack && !wait_until(ack, "")) {
            libevdev_uinput_destroy(ui);
            return 1;
        }
        pause_ms(20);
    }
    if (wait_file && wait_done && !wait_until(wait_file, wait_done)) {
        libevdev_uinput_destroy(ui);
        return 1;
    }
    if (stop_pid > 0 && kill(stop_pid, SIGSTOP) < 0) {
        fprintf(stderr, "uinput_remote: can't stop %ld: %s\n", (long)stop_pid, strerror(errno));
        libevdev_uinput_destroy(ui);
        return 1;
    }
    if (stop_pid > 0 && !wait_stopped(stop_pid)) {
        kill(stop_pid, SIGCONT);
        libevdev_uinput_destroy(ui);
        return 1;
    }
    libevdev_uinput_destroy(ui);
    libevdev_free(dev);
    if (stop_pid > 0)
        kill(stop_pid, SIGCONT);
    printf("uinput_remote: removed %s\n", name);
    return 0;
usage:
    fprintf(stderr, "usage: uinput_remote [--name N] [--wait-file F --wait-for T [--wait-done T]] "
                    "[--stop-pid PID] [--pause-pid PID] [--kind remote|mouse|power] KEY...\n");
    return 2;
}
