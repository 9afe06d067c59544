#define _GNU_SOURCE /* execvpe */
#include "testutil.h"

#include <SDL.h>
#include <SDL_image.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int tu_timeout_scale(void)
{
    const char *v = getenv("BINGE_TEST_TIMEOUT_SCALE");
    char *end = NULL;
    long scale = v ? strtol(v, &end, 10) : 1;
    if (!v || end == v || *end != '\0' || scale < 1)
        return 1;
    return scale > 1000 ? 1000 : (int)scale;
}

int tu_scaled(int timeout)
{
    return timeout * tu_timeout_scale();
}

#define EMULATOR_MAX_WORDS 32
#define EXEC_MAX_ARGS 160
/* No allocation: it runs in children after fork(). */
int tu_emulator_words(char *buf, size_t cap, char *words[], int max)
{
    const char *e = getenv("BINGE_TEST_EMULATOR");
    size_t n = e ? strlen(e) : 0;
    int count = 0;
    if (n == 0)
        return 0;
    if (n >= cap)
        return -1;
    memcpy(buf, e, n + 1);
    for (char *p = buf;;) {
        char *end = strchr(p, ';');
        if (end)
            *end = '\0';
        if (*p) {
            if (count == max)
                return -1;
            words[count++] = p;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return count;
}

/* Whether var ("NAME=VALUE") is one the emulator's words set with -E NAME=VALUE. */
static bool set_by_emulator(const char *var, char *const words[], int n)
{
    for (int i = 0; i + 1 < n; i++) {
        if (strcmp(words[i], "-E") != 0)
            continue;
        const char *name = words[++i], *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (strncmp(var, name, len) == 0 && var[len] == '=')
            return true;
    }
    return false;
}

#define HOST_ENV_MAX 1024
int tu_host_exec(char *const argv[])
{
    extern char **environ;
    char buf[4096];
    char *words[EMULATOR_MAX_WORDS];
    char *env[HOST_ENV_MAX];
    int n = tu_emulator_words(buf, sizeof(buf), words, EMULATOR_MAX_WORDS), k = 0;
    for (char **e = environ; e && *e; e++) {
        if (set_by_emulator(*e, words, n))
            continue;
        if (k == HOST_ENV_MAX - 1) {
            errno = E2BIG;
            return -1;
        }
        env[k++] = *e;
    }
    env[k] = NULL;
    return execvpe(argv[0], argv, env);
}

void tu_child_exec_failed(const char *path)
{
    static const char what[] = "cannot run ";
    int err = errno;
    (void)!write(2, what, sizeof(what) - 1);
    (void)!write(2, path, strlen(path));
    (void)!write(2, err == ENOENT ? ": not found\n" : ": exec failed\n", err == ENOENT ? 12 : 14);
}

bool tu_emulated(void)
{
    char buf[4096];
    char *words[EMULATOR_MAX_WORDS];
    return tu_emulator_words(buf, sizeof(buf), words, EMULATOR_MAX_WORDS) != 0;
}

int tu_execv(const char *path, char *const argv[])
{
    char buf[4096];
    char *all[EXEC_MAX_ARGS];
    int n = tu_emulator_words(buf, sizeof(buf), all, EMULATOR_MAX_WORDS), argc = 0;
    if (n == 0)
        return execv(path, argv);
    while (argv[argc])
        argc++;
    if (n < 0 || n + argc + 1 > EXEC_MAX_ARGS) {
        errno = E2BIG;
        return -1;
    }
    /* The emulator runs path; the program's own argv[0] is path too (qemu-user's default). */
    all[n] = (char *)path;
    for (int i = 1; i <= argc; i++)
        all[n + i] = argv[i];
    return execvp(all[0], all);
}

const char *tu_emulator_sh(void)
{
    static char prefix[8192];
    static bool done;
    char buf[4096];
    char *words[EMULATOR_MAX_WORDS];
    if (done)
        return prefix;
    int n = tu_emulator_words(buf, sizeof(buf), words, EMULATOR_MAX_WORDS);
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        prefix[len++] = '\'';
        for (const char *c = words[i]; *c && len + 8 < sizeof(prefix); c++) {
            if (*c == '\'') {
                memcpy(prefix + len, "'\\''", 4);
                len += 4;
            } else {
                prefix[len++] = *c;
            }
        }
        prefix[len++] = '\'';
        prefix[len++] = ' ';
        if (len + 8 >= sizeof(prefix)) {
            fprintf(stderr, "BINGE_TEST_EMULATOR is too long\n");
            abort();
        }
    }
    if (n < 0) {
        fprintf(stderr, "BINGE_TEST_EMULATOR has too many words or is too long\n");
        abort();
    }
    prefix[len] = '\0';
    done = true;
    return prefix;
}

/* Our binaries are built into BINGE_BUILD_DIR's bin/ and tests/; everything else is a host tool
 * (scripts, ffmpeg, xvfb-run, sh). */
static bool is_target_binary(const char *path)
{
    static const char *const dirs[] = {BINGE_BUILD_DIR "/bin/", BINGE_BUILD_DIR "/tests/"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
            return true;
    return false;
}

/* A host tool that runs one of our binaries (xvfb-run ... bin/binge ...): the emulator's words
 * go before that argument. Returns only on failure, like execv. */
static int exec_host_tool(char *const argv[])
{
    char buf[4096];
    char *words[EMULATOR_MAX_WORDS];
    char *all[EXEC_MAX_ARGS];
    int at = 1, n = tu_emulator_words(buf, sizeof(buf), words, EMULATOR_MAX_WORDS), k = 0;
    while (n > 0 && argv[at] && !(is_target_binary(argv[at]) && access(argv[at], X_OK) == 0))
        at++;
    if (n <= 0 || !argv[at])
        return tu_host_exec(argv);
    for (int i = 0; argv[i]; i++) {
        if (i == at)
            for (int w = 0; w < n && k < EXEC_MAX_ARGS - 1; w++)
                all[k++] = words[w];
        if (k == EXEC_MAX_ARGS - 1) {
            errno = E2BIG;
            return -1;
        }
        all[k++] = argv[i];
    }
    all[k] = NULL;
    /* The tool is the host's; the emulator sets the target's variables itself. */
    return tu_host_exec(all);
}

static pid_t spawn(char *const argv[], const char *out, const char *err)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (out) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 1);
    }
    if (err) {
        int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 2);
    }
    if (is_target_binary(argv[0]))
        tu_execv(argv[0], argv);
    else
        exec_host_tool(argv);
    tu_child_exec_failed(argv[0]);
    _exit(127);
}

static int status_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return -1;
}

pid_t tu_spawn(char *const argv[], const char *out, const char *err)
{
    return spawn(argv, out, err);
}

int tu_run(char *const argv[], const char *out, const char *err, int timeout_s)
{
    pid_t pid = spawn(argv, out, err);
    return pid < 0 ? -1 : tu_wait(pid, timeout_s);
}

int tu_wait(pid_t pid, int timeout_s)
{
    timeout_s = tu_scaled(timeout_s);
    for (long waited = 0; waited < timeout_s * 1000L; waited += 20) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status_code(status);
        sleep_ms(20);
    }
    fprintf(stderr, "tu_wait: pid %d did not finish in %d s; killing it\n", (int)pid, timeout_s);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int tu_make_content(const char *dir, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s/scripts/make-content --out '%s' %s >&2", BINGE_SOURCE_DIR, dir,
             args ? args : "");
    return system(cmd) == 0 ? 0 : -1;
}

int tu_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

int tu_server_start(struct tu_server *s, int port, const char *media, const char *db,
                    const char *extra, const char *log_path)
{
    char bin[1024], listen[64], outpath[1100], extra_copy[512];
    snprintf(bin, sizeof(bin), "%s/bin/binge-server", BINGE_BUILD_DIR);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(outpath, sizeof(outpath), "%s.out", log_path);
    char *argv[32] = {bin, "--listen", listen, "--db", (char *)db, "--media", (char *)media};
    int argc = 7;
    snprintf(extra_copy, sizeof(extra_copy), "%s", extra ? extra : "");
    for (char *save = NULL, *t = strtok_r(extra_copy, " ", &save); t && argc < 30;
         t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    argv[argc] = NULL;
    memset(s, 0, sizeof(*s));
    s->pid = spawn(argv, outpath, log_path);
    if (s->pid < 0)
        return -1;
    for (int i = 0; i < tu_scaled(500); i++) {
        char *out = tu_read_file(outpath);
        int p = 0;
        if (out && sscanf(out, "serving http://127.0.0.1:%d", &p) == 1 && p > 0) {
            free(out);
            s->port = p;
            snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", p);
            return 0;
        }
        free(out);
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            fprintf(stderr, "binge-server exited early; see %s\n", log_path);
            s->pid = 0;
            return -1;
        }
        sleep_ms(20);
    }
    tu_server_stop(s);
    return -1;
}

void tu_server_stop(struct tu_server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < tu_scaled(250); i++) {
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
        sleep_ms(20);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

int tu_png_stats(const char *path, int x, int y, int w, int h, double mean[3], double *luma_sd,
                 int *img_w, int *img_h)
{
    SDL_Surface *raw = IMG_Load(path);
    if (!raw) {
        fprintf(stderr, "can't load %s: %s\n", path, IMG_GetError());
        return -1;
    }
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(raw);
    if (!s)
        return -1;
    if (img_w)
        *img_w = s->w;
    if (img_h)
        *img_h = s->h;
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > s->w ? s->w : x + w, y1 = y + h > s->h ? s->h : y + h;
    double sum[3] = {0}, lsum = 0, lsq = 0;
    long n = 0;
    for (int j = y0; j < y1; j++) {
        const Uint8 *row = (const Uint8 *)s->pixels + (size_t)j * s->pitch;
        for (int i = x0; i < x1; i++) {
            const Uint8 *p = row + i * 4;
            double l = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            sum[0] += p[0];
            sum[1] += p[1];
            sum[2] += p[2];
            lsum += l;
            lsq += l * l;
            n++;
        }
    }
    SDL_FreeSurface(s);
    if (n == 0)
        return -1;
    for (int c = 0; c < 3; c++)
        mean[c] = sum[c] / n;
    if (luma_sd) {
        double m = lsum / n;
        *luma_sd = sqrt(lsq / n - m * m > 0 ? lsq / n - m * m : 0);
    }
    return 0;
}

/* WCAG 2 relative luminance of an sRGB colour packed as 0xRRGGBB. */
static double luminance(unsigned rgb)
{
    double c[3];
    for (int i = 0; i < 3; i++) {
        double v = ((rgb >> (16 - 8 * i)) & 0xff) / 255.0;
        c[i] = v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
    }
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

double tu_contrast(unsigned a, unsigned b)
{
    double la = luminance(a), lb = luminance(b);
    return (la > lb ? la + 0.05 : lb + 0.05) / (la > lb ? lb + 0.05 : la + 0.05);
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

int tu_png_text_contrast(const char *path, int x, int y, int w, int h, double *ratio, unsigned *bg,
                         unsigned *fg)
{
    SDL_Surface *raw = IMG_Load(path);
    if (!raw) {
        fprintf(stderr, "can't load %s: %s\n", path, IMG_GetError());
        return -1;
    }
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(raw);
    if (!s)
        return -1;
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > s->w ? s->w : x + w, y1 = y + h > s->h ? s->h : y + h;
    size_t n = 0, cap = x1 > x0 && y1 > y0 ? (size_t)(x1 - x0) * (size_t)(y1 - y0) : 0;
    unsigned *px = cap ? malloc(cap * sizeof(*px)) : NULL;
    for (int j = y0; px && j < y1; j++) {
        const Uint8 *row = (const Uint8 *)s->pixels + (size_t)j * s->pitch;
        for (int i = x0; i < x1; i++)
            px[n++] = (unsigned)row[i * 4] << 16 | (unsigned)row[i * 4 + 1] << 8 | row[i * 4 + 2];
    }
    SDL_FreeSurface(s);
    if (!px)
        return -1;
    qsort(px, n, sizeof(*px), cmp_unsigned);
    /* The background is the most frequent colour; the text the colour that stands out most from
     * it among those drawn on enough pixels to be glyph cores, not anti-aliased edges. */
    size_t min_count = n / 500 > 8 ? n / 500 : 8, best_n = 0;
    unsigned b = 0, f = 0;
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && px[k] == px[i])
            k++;
        if (k - i > best_n) {
            best_n = k - i;
            b = px[i];
        }
        i = k;
    }
    double best = 1.0;
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && px[k] == px[i])
            k++;
        if (k - i >= min_count && tu_contrast(px[i], b) > best) {
            best = tu_contrast(px[i], b);
            f = px[i];
        }
        i = k;
    }
    free(px);
    *ratio = best;
    if (bg)
        *bg = b;
    if (fg)
        *fg = f;
    return best > 1.0 ? 0 : -1;
}

int tu_png_text_lines(const char *path, int x, int y, int w, int h, unsigned rgb)
{
    SDL_Surface *raw = IMG_Load(path);
    if (!raw)
        return -1;
    SDL_Surface *s = SDL_ConvertSurfaceFormat(raw, SDL_PIXELFORMAT_RGBA32, 0);
    SDL_FreeSurface(raw);
    if (!s)
        return -1;
    int runs = 0;
    bool in = false;
    for (int j = y < 0 ? 0 : y; j < y + h && j < s->h; j++) {
        const Uint8 *row = (const Uint8 *)s->pixels + (size_t)j * s->pitch;
        bool hit = false;
        for (int i = x < 0 ? 0 : x; i < x + w && i < s->w && !hit; i++)
            hit = ((unsigned)row[i * 4] << 16 | (unsigned)row[i * 4 + 1] << 8 | row[i * 4 + 2]) ==
                  rgb;
        runs += hit && !in;
        in = hit;
    }
    SDL_FreeSurface(s);
    return runs;
}

int tu_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

char *tu_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

const char *tu_workdir(const char *name)
{
    static char path[1024];
    char cmd[2 * sizeof(path) + 64];
    snprintf(path, sizeof(path), "%s/test-tmp/%s", BINGE_BUILD_DIR, name);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", path, path);
    if (system(cmd) != 0)
        return NULL;
    return path;
}

int tu_control_connect(const char *path, int timeout_s)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path))
        return -1;
    strcpy(addr.sun_path, path);
    for (long waited = 0; waited < tu_scaled(timeout_s) * 1000L; waited += 50) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            struct timeval tv = {tu_scaled(90), 0};
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
            return fd;
        }
        if (fd >= 0)
            close(fd);
        sleep_ms(50);
    }
    return -1;
}

int tu_control(int fd, const char *line, char *answer, size_t len)
{
    size_t n = strlen(line), have = 0;
    if (send(fd, line, n, MSG_NOSIGNAL) != (ssize_t)n || send(fd, "\n", 1, MSG_NOSIGNAL) != 1)
        return -1;
    while (have + 1 < len) {
        ssize_t r = recv(fd, answer + have, 1, 0);
        if (r != 1)
            return -1;
        if (answer[have] == '\n')
            break;
        have++;
    }
    answer[have] = '\0';
    return 0;
}

int tu_server_fault(const char *url, const char *rule)
{
    if (rule && strchr(rule, '\''))
        return -1;
    char cmd[4096], out[16] = "";
    if (rule)
        snprintf(cmd, sizeof(cmd),
                 "curl -s -o /dev/null -w '%%{http_code}' -X POST -H 'Content-Type: "
                 "application/json' --data '%s' '%s/dev/faults'",
                 rule, url);
    else
        snprintf(cmd, sizeof(cmd),
                 "curl -s -o /dev/null -w '%%{http_code}' -X DELETE '%s/dev/faults'", url);
    if (tu_sh(cmd, out, sizeof(out)) != 0)
        return -1;
    return atoi(out);
}

int tu_sh(const char *cmd, char *out, size_t len)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t have = 0, n;
    char sink[256];
    while ((n = fread(out && have + 1 < len ? out + have : sink, 1,
                      out && have + 1 < len ? len - have - 1 : sizeof(sink), p)) > 0)
        if (out && have + 1 < len)
            have += n;
    if (out && len)
        out[have] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
