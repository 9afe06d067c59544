#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "app_internal.h"
#include "binge/log.h"

LOG_MODULE("control");

/* The automation control socket. A thread of its own blocks in poll() on the socket and hands
 * each complete line to the UI thread through a bounded queue, then wakes it; the UI thread
 * runs the command and writes the answer back. One client at a time; the next one waits in the
 * listen backlog. */

#define CONTROL_LINE_MAX 4096
#define CONTROL_QUEUE_MAX 256

struct control_line {
    struct control_line *next;
    uint64_t client;
    char *text;
};

struct control {
    char *path;
    int listen_fd;
    int stop_pipe[2];
    pthread_t thread;
    bool thread_started;
    void (*wake)(void *data);
    void *wake_data;

    pthread_mutex_t lock;
    int client_fd;                    /* guarded by lock; -1 when nobody is connected */
    uint64_t client_id;               /* guarded by lock; increases with each connection */
    struct control_line *head, *tail; /* guarded by lock */
    size_t queued;                    /* guarded by lock */
};

static void push_line(struct control *c, uint64_t client, const char *text, size_t len)
{
    struct control_line *l = calloc(1, sizeof(*l));
    if (!l || !(l->text = strndup(text, len))) {
        free(l);
        return;
    }
    l->client = client;
    pthread_mutex_lock(&c->lock);
    if (c->queued >= CONTROL_QUEUE_MAX) {
        pthread_mutex_unlock(&c->lock);
        log_warn("control queue full; dropping a command");
        free(l->text);
        free(l);
        return;
    }
    if (c->tail)
        c->tail->next = l;
    else
        c->head = l;
    c->tail = l;
    c->queued++;
    pthread_mutex_unlock(&c->lock);
    c->wake(c->wake_data);
}

static void drop_client(struct control *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->client_fd >= 0)
        close(c->client_fd);
    c->client_fd = -1;
    pthread_mutex_unlock(&c->lock);
}

static void *control_main(void *arg)
{
    struct control *c = arg;
    char buf[CONTROL_LINE_MAX];
    size_t have = 0;
    bool overlong = false;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        int cfd = c->client_fd;
        uint64_t id = c->client_id;
        pthread_mutex_unlock(&c->lock);
        struct pollfd fds[2] = {{c->stop_pipe[0], POLLIN, 0},
                                {cfd >= 0 ? cfd : c->listen_fd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("poll: %s", strerror(errno));
            break;
        }
        if (fds[0].revents)
            break;
        if (!fds[1].revents)
            continue;
        if (cfd < 0) {
            int fd = accept(c->listen_fd, NULL, NULL);
            if (fd < 0)
                continue;
            pthread_mutex_lock(&c->lock);
            c->client_fd = fd;
            c->client_id++;
            pthread_mutex_unlock(&c->lock);
            have = 0;
            overlong = false;
            log_info("control client connected");
            continue;
        }
        ssize_t n = recv(cfd, buf + have, sizeof(buf) - have, 0);
        if (n <= 0) {
            log_info("control client disconnected");
            drop_client(c);
            continue;
        }
        have += (size_t)n;
        size_t start = 0;
        for (size_t i = 0; i < have; i++) {
            if (buf[i] != '\n')
                continue;
            if (!overlong)
                push_line(c, id, buf + start, i - start);
            overlong = false;
            start = i + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (have == sizeof(buf)) {
            /* A line longer than any command: drop it, answer once, keep the connection. */
            overlong = true;
            have = 0;
            push_line(c, id, "!", 1);
        }
    }
    return NULL;
}

struct control *control_new(const char *path, void (*wake)(void *data), void *data, char *err,
                            size_t errlen)
{
    struct control *c = calloc(1, sizeof(*c));
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->listen_fd = c->stop_pipe[0] = c->stop_pipe[1] = c->client_fd = -1;
    c->wake = wake;
    c->wake_data = data;
    pthread_mutex_init(&c->lock, NULL);
    if (strlen(path) >= sizeof(addr.sun_path)) {
        /* The path's length is unbounded: print a bounded part of it (a 32-bit build's
         * -Werror=format-truncation says so). */
        snprintf(err, errlen, "control socket path too long (%zu bytes, at most %zu): %.80s...",
                 strlen(path), sizeof(addr.sun_path) - 1, path);
        goto fail;
    }
    c->path = strdup(path);
    strcpy(addr.sun_path, path);
    /* A socket left by a previous run that died would make bind fail; a non-socket is not ours
     * to delete. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(c->listen_fd, 4) != 0) {
        snprintf(err, errlen, "can't listen on %s: %s", path, strerror(errno));
        goto fail;
    }
    if (pipe(c->stop_pipe) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    if (pthread_create(&c->thread, NULL, control_main, c) != 0) {
        snprintf(err, errlen, "can't start the control thread");
        goto fail;
    }
    c->thread_started = true;
    log_info("control socket %s", path);
    return c;
fail:
    control_free(c);
    return NULL;
}

void control_free(struct control *c)
{
    if (!c)
        return;
    if (c->thread_started) {
        if (write(c->stop_pipe[1], "x", 1) != 1)
            log_warn("can't stop the control thread cleanly");
        pthread_join(c->thread, NULL);
    }
    drop_client(c);
    if (c->listen_fd >= 0) {
        close(c->listen_fd);
        unlink(c->path);
    }
    for (int i = 0; i < 2; i++)
        if (c->stop_pipe[i] >= 0)
            close(c->stop_pipe[i]);
    for (struct control_line *l = c->head, *n; l; l = n) {
        n = l->next;
        free(l->text);
        free(l);
    }
    pthread_mutex_destroy(&c->lock);
    free(c->path);
    free(c);
}

char *control_next_line(struct control *c, uint64_t *client)
{
    pthread_mutex_lock(&c->lock);
    struct control_line *l = c->head;
    if (l) {
        c->head = l->next;
        if (!c->head)
            c->tail = NULL;
        c->queued--;
    }
    pthread_mutex_unlock(&c->lock);
    if (!l)
        return NULL;
    char *text = l->text;
    *client = l->client;
    free(l);
    return text;
}

void control_reply(struct control *c, uint64_t client, const char *text)
{
    pthread_mutex_lock(&c->lock);
    if (c->client_fd >= 0 && c->client_id == client) {
        size_t len = strlen(text);
        /* Answers are short; a client that stops reading only loses its own answers. */
        if (send(c->client_fd, text, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len ||
            send(c->client_fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
            log_warn("control: answer not delivered");
    }
    pthread_mutex_unlock(&c->lock);
}
