#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/app.h"
#include "binge/error.h"
#include "binge/log.h"
#include "binge/util.h"

LOG_MODULE("automation");

/* The QA line protocol (docs/automation.md). A script is read and checked whole before the
 * first command runs, so a typo on line 40 fails at once instead of after a minute of playback.
 * Commands run on the UI thread inside the tick; waits never block the loop. */

#define SCRIPT_MAX_BYTES (1u << 20)
#define WAIT_FOR_DEFAULT_MS 10000
#define WAIT_FOR_POLL_MS 20

enum cmd_type {
    CMD_KEY = 0,
    CMD_WAIT,
    CMD_WAIT_FOR,
    CMD_SCREENSHOT,
    CMD_STATE,
    CMD_QUIT,
};

enum cmp_op {
    OP_EQ = 0,
    OP_NE,
    OP_GE,
    OP_LE,
    OP_GT,
    OP_LT,
};

struct cmd {
    enum cmd_type type;
    int line;        /* script line, 0 for control commands */
    uint64_t client; /* control connection that sent it, 0 for the script */
    enum input_action action;
    long count;  /* key presses, wait ms, wait-for timeout ms */
    bool repeat; /* key: the presses are one held key (a press, then auto-repeats) */
    char *path;  /* wait-for path */
    enum cmp_op op;
    char *value; /* wait-for value, screenshot file */
};

struct automation {
    char *name;       /* the script, NULL when there is none */
    struct cmd *cmds; /* pending commands; [0, pc) have run */
    size_t n_cmds, cap;
    size_t pc;
    int64_t deadline_ms; /* the running wait / wait-for, 0 when none */
    FILE *out;
    struct control *control; /* NULL without --control */
};

static const char *const op_text[] = {"=", "!=", ">=", "<=", ">", "<"};

static void cmd_clear(struct cmd *c)
{
    free(c->path);
    free(c->value);
    c->path = c->value = NULL;
}

void automation_free(struct automation *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_cmds; i++)
        cmd_clear(&a->cmds[i]);
    free(a->cmds);
    free(a->name);
    control_free(a->control);
    free(a);
}

static bool parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Splits "player.state=playing" into path, op, value. */
static bool parse_condition(const char *s, struct cmd *c)
{
    size_t n = strcspn(s, "!=<>");
    if (n == 0 || !s[n])
        return false;
    const char *p = s + n;
    size_t oplen = 1;
    if (p[0] == '!' && p[1] == '=')
        c->op = OP_NE, oplen = 2;
    else if (p[0] == '>' && p[1] == '=')
        c->op = OP_GE, oplen = 2;
    else if (p[0] == '<' && p[1] == '=')
        c->op = OP_LE, oplen = 2;
    else if (p[0] == '=')
        c->op = OP_EQ;
    else if (p[0] == '>')
        c->op = OP_GT;
    else if (p[0] == '<')
        c->op = OP_LT;
    else
        return false;
    c->path = strndup(s, n);
    c->value = strdup(p + oplen);
    return c->path && c->value;
}

/* Splits line in place into at most max words. A word in double quotes may hold spaces
 * ("player.message=Locked: 30 coins"). Returns the count, or -1 when there are too many words
 * or a quote is not closed. */
static int split_words(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p)
            return argc;
        if (argc == max)
            return -1;
        if (*p == '"') {
            argv[argc++] = ++p;
            while (*p && *p != '"')
                p++;
            if (!*p)
                return -1;
        } else {
            argv[argc++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r')
                p++;
        }
        if (*p)
            *p++ = '\0';
    }
}

/* Parses one line into c. Returns 1 for a command, 0 for a blank/comment line, or -1 with a
 * message in err. */
static int parse_line(char *line, struct cmd *c, char *err, size_t errlen)
{
    char *argv[4] = {0};
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '#')
        return 0;
    int argc = split_words(line, argv, 4);
    if (argc < 0) {
        snprintf(err, errlen, "too many arguments or an unclosed quote");
        return -1;
    }
    if (argc == 0 || argv[0][0] == '#')
        return 0;
    const char *name = argv[0];
    if (strcmp(name, "key") == 0) {
        c->type = CMD_KEY;
        c->count = 1;
        c->action = input_action_from_name(argv[1]);
        if (argc < 2 || c->action == INPUT_NONE) {
            snprintf(err, errlen, "key: unknown action '%s' (UP DOWN LEFT RIGHT OK BACK ...)",
                     argc < 2 ? "" : argv[1]);
            return -1;
        }
        /* key ACTION [n] [repeat]: "repeat" makes the n presses one held key, a press and
         * then n-1 auto-repeats, as a remote sends while a key is held down. */
        int nargs = argc;
        if (nargs >= 3 && strcmp(argv[nargs - 1], "repeat") == 0) {
            c->repeat = true;
            nargs--;
        }
        if (nargs > 3 || (nargs == 3 && !parse_long(argv[2], 1, 1000, &c->count))) {
            snprintf(err, errlen, "key: expected ACTION [count 1..1000] [repeat]");
            return -1;
        }
    } else if (strcmp(name, "wait") == 0) {
        c->type = CMD_WAIT;
        if (argc != 2 || !parse_long(argv[1], 0, 3600000, &c->count)) {
            snprintf(err, errlen, "wait: expected milliseconds (0..3600000)");
            return -1;
        }
    } else if (strcmp(name, "wait-for") == 0) {
        c->type = CMD_WAIT_FOR;
        c->count = WAIT_FOR_DEFAULT_MS;
        if (argc < 2 || argc > 3 || !parse_condition(argv[1], c)) {
            snprintf(err, errlen, "wait-for: expected PATH=VALUE [timeout_ms]");
            return -1;
        }
        if (argc == 3 && !parse_long(argv[2], 0, 3600000, &c->count)) {
            snprintf(err, errlen, "wait-for: the timeout must be 0..3600000 ms");
            return -1;
        }
    } else if (strcmp(name, "screenshot") == 0) {
        c->type = CMD_SCREENSHOT;
        if (argc != 2 || !(c->value = strdup(argv[1]))) {
            snprintf(err, errlen, "screenshot: expected one file name");
            return -1;
        }
    } else if (strcmp(name, "state") == 0 && argc == 1) {
        c->type = CMD_STATE;
    } else if (strcmp(name, "state") == 0 && argc == 2 && strcmp(argv[1], "strings") == 0) {
        c->type = CMD_STATE; /* the last frame's strings (docs/i18n.md) */
        if (!(c->value = strdup(argv[1]))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    } else if (strcmp(name, "quit") == 0 && argc == 1) {
        c->type = CMD_QUIT;
    } else {
        snprintf(err, errlen, "unknown command '%s' (key, wait, wait-for, screenshot, state, quit)",
                 name);
        return -1;
    }
    return 1;
}

/* Appends a command slot. Returns it zeroed, or NULL without memory. */
static struct cmd *add_cmd(struct automation *a)
{
    if (a->n_cmds == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        struct cmd *cmds = realloc(a->cmds, cap * sizeof(*cmds));
        if (!cmds)
            return NULL;
        a->cmds = cmds;
        a->cap = cap;
    }
    struct cmd *c = &a->cmds[a->n_cmds];
    memset(c, 0, sizeof(*c));
    return c;
}

static int load_script(struct automation *a, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    int rc = util_read_file(path, SCRIPT_MAX_BYTES, &text, &len);
    if (rc != 0) {
        snprintf(err, errlen, "can't read script %s: %s", path, binge_strerror(rc));
        return rc;
    }
    int lineno = 0;
    /* Every line counts, blank or not, so errors name the line an editor shows. */
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        struct cmd *c = add_cmd(a);
        if (!c) {
            rc = BINGE_ENOMEM;
            snprintf(err, errlen, "out of memory");
            break;
        }
        char msg[160];
        int r = parse_line(line, c, msg, sizeof(msg));
        if (r < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
            cmd_clear(c);
            rc = BINGE_EINVAL;
            break;
        }
        if (r > 0) {
            c->line = lineno;
            a->n_cmds++;
        }
    }
    free(text);
    return rc;
}

struct automation *automation_new(const char *script_path, const char *control_path, FILE *out,
                                  void (*wake)(void *data), void *data, char *err, size_t errlen)
{
    struct automation *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->out = out;
    if (script_path) {
        a->name = strdup(script_path);
        if (!a->name) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        if (load_script(a, script_path, err, errlen) != 0)
            goto fail;
        log_info("script %s: %zu commands", script_path, a->n_cmds);
    }
    if (control_path) {
        a->control = control_new(control_path, wake, data, err, errlen);
        if (!a->control)
            goto fail;
    }
    return a;
fail:
    automation_free(a);
    return NULL;
}

static bool compare(const char *seen, enum cmp_op op, const char *want)
{
    if (op == OP_EQ || op == OP_NE)
        return (strcmp(seen, want) == 0) == (op == OP_EQ);
    char *e1, *e2;
    long long x = strtoll(seen, &e1, 10), y = strtoll(want, &e2, 10);
    if (*e1 || *e2 || !*seen || !*want)
        return false;
    switch (op) {
    case OP_GE:
        return x >= y;
    case OP_LE:
        return x <= y;
    case OP_GT:
        return x > y;
    case OP_LT:
        return x < y;
    default:
        return false;
    }
}

/* A command failed. From the script this ends the run (QA must see it); from the control
 * socket it is that command's answer and binge carries on. */
static void fail(struct automation *a, struct app *app, const struct cmd *c, const char *msg)
{
    if (c->client) {
        char line[800];
        snprintf(line, sizeof(line), "error %s", msg);
        control_reply(a->control, c->client, line);
        log_warn("control: %s", msg);
        return;
    }
    log_error("%s:%d: %s", a->name, c->line, msg);
    fprintf(stderr, "binge: script %s:%d: %s\n", a->name, c->line, msg);
    app_quit(app, APP_EXIT_AUTOMATION);
}

static void reply_ok(struct automation *a, const struct cmd *c)
{
    if (c->client)
        control_reply(a->control, c->client, "ok");
}

/* Moves lines from the control socket into the command list; bad lines are answered at once. */
static void take_control_lines(struct automation *a)
{
    uint64_t client;
    char *line;
    while (a->control && (line = control_next_line(a->control, &client))) {
        struct cmd *c = add_cmd(a);
        char msg[160];
        int r = -1;
        if (line[0] == '!')
            snprintf(msg, sizeof(msg), "line longer than the limit");
        else if (!c)
            snprintf(msg, sizeof(msg), "out of memory");
        else
            r = parse_line(line, c, msg, sizeof(msg));
        if (r > 0) {
            c->client = client;
            a->n_cmds++;
        } else if (r < 0) {
            if (c)
                cmd_clear(c);
            char answer[200];
            snprintf(answer, sizeof(answer), "error %s", msg);
            control_reply(a->control, client, answer);
        }
        free(line);
    }
}

static void print_state(struct automation *a, struct app *app, const struct cmd *c)
{
    void (*print)(struct app *, FILE *) = c->value ? app_state_print_strings : app_state_print;
    if (!c->client) {
        print(app, a->out);
        return;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return;
    print(app, mem);
    fclose(mem);
    if (len && buf[len - 1] == '\n')
        buf[len - 1] = '\0';
    control_reply(a->control, c->client, buf);
    free(buf);
}

/* Runs one command. Returns 0 when it is done, or the time it wants to run again. */
static int64_t run(struct automation *a, struct app *app, struct cmd *c, int64_t now)
{
    switch (c->type) {
    case CMD_KEY:
        for (long i = 0; i < c->count; i++)
            app_dispatch(app, c->action, c->repeat && i > 0);
        reply_ok(a, c);
        return 0;
    case CMD_WAIT:
        if (!a->deadline_ms)
            a->deadline_ms = now + c->count;
        if (now < a->deadline_ms)
            return a->deadline_ms;
        reply_ok(a, c);
        return 0;
    case CMD_WAIT_FOR: {
        char seen[256];
        if (app_state_value(app, c->path, seen, sizeof(seen)) != 0) {
            char msg[300];
            snprintf(msg, sizeof(msg), "wait-for: unknown state path '%s'", c->path);
            fail(a, app, c, msg);
            return 0;
        }
        if (!a->deadline_ms)
            a->deadline_ms = now + c->count;
        if (compare(seen, c->op, c->value)) {
            reply_ok(a, c);
            return 0;
        }
        if (now < a->deadline_ms) {
            int64_t poll = now + WAIT_FOR_POLL_MS;
            return poll < a->deadline_ms ? poll : a->deadline_ms;
        }
        char msg[700];
        snprintf(msg, sizeof(msg), "wait-for %s%s%s timed out after %ld ms: %s is '%s' (error: %s)",
                 c->path, op_text[c->op], c->value, c->count, c->path, seen,
                 app->error[0] ? app->error : "none");
        fail(a, app, c, msg);
        return 0;
    }
    case CMD_SCREENSHOT: {
        char err[300];
        if (app_screenshot(app, c->value, err, sizeof(err)) != 0)
            fail(a, app, c, err);
        else
            reply_ok(a, c);
        return 0;
    }
    case CMD_STATE:
        print_state(a, app, c);
        return 0;
    case CMD_QUIT:
        log_info("automation: quit");
        reply_ok(a, c);
        app_quit(app, APP_EXIT_OK);
        return 0;
    }
    return 0;
}

int64_t automation_step(struct automation *a, struct app *app)
{
    take_control_lines(a);
    while (a->pc < a->n_cmds && app->running) {
        struct cmd *c = &a->cmds[a->pc];
        int64_t again = run(a, app, c, util_now_ms());
        if (again)
            return again;
        a->deadline_ms = 0;
        bool from_script = c->client == 0;
        cmd_clear(c);
        a->pc++;
        if (from_script && a->pc == a->n_cmds && !a->control && app->running) {
            /* The end of a script ends the run, as if it said quit. */
            log_info("script %s finished", a->name);
            app_quit(app, APP_EXIT_OK);
        }
    }
    if (a->pc == a->n_cmds)
        a->pc = a->n_cmds = 0; /* all done: reuse the slots */
    return -1;
}
