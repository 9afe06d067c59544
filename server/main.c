/* binge-server: the reference catalog and entitlement backend. Options -> database -> socket ->
 * serve until SIGINT/SIGTERM. The only place in the server that exits the process. */

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>

#include "api.h"
#include "binge/error.h"
#include "db.h"
#include "faults.h"
#include "http.h"
#include "slog.h"

#define EXIT_USAGE 2

struct server_options {
    const char *listen;
    const char *db;
    const char *media;
    long long free_episodes;
    const char *secret;
    long long url_ttl;
    const char *public_url;
    const char *log_level;
    long long token_ttl;
    long long ads_per_day;
    long long rate_limit;
    long long rate_burst;
    long long threads;
    long long max_connections;
    long long max_per_ip;
    long long request_timeout;
    long long idle_timeout;
    long long auth_limit;
    const char *account;
    const char *config;
    long long dev;
    long long help;
    long long version;
    long long man;
};

enum option_kind {
    OPTION_STRING,
    OPTION_INT,
    OPTION_FLAG,
};

struct option_def {
    const char *name;
    enum option_kind kind;
    size_t offset;
    const char *def; /* default, NULL for none */
    long long min;
    long long max;
    const char *arg;
    const char *help;
};

/* One table drives parsing, defaults and --help. */
static const struct option_def server_option_defs[] = {
    {"listen", OPTION_STRING, offsetof(struct server_options, listen), "127.0.0.1:8080", 0, 0,
     "HOST:PORT", "address to listen on; PORT 0 picks a free port"},
    {"db", OPTION_STRING, offsetof(struct server_options, db), NULL, 0, 0, "FILE",
     "SQLite database (created if missing; required)"},
    {"media", OPTION_STRING, offsetof(struct server_options, media), NULL, 0, 0, "DIR",
     "content directory with catalog.json (required)"},
    {"free-episodes", OPTION_INT, offsetof(struct server_options, free_episodes), "5", 0, 100000,
     "N", "episodes 1..N of every series are free, later ones cost 30 coins"},
    {"secret", OPTION_STRING, offsetof(struct server_options, secret), NULL, 0, 0, "S",
     "URL-signing key (default: random, generated once and kept in the db)"},
    {"url-ttl", OPTION_INT, offsetof(struct server_options, url_ttl), "3600", -86400, 31536000,
     "SECONDS", "lifetime of signed media URLs (negative: already expired, for tests)"},
    {"public-url", OPTION_STRING, offsetof(struct server_options, public_url), NULL, 0, 0, "URL",
     "base of absolute URLs in responses (default: http://HOST:PORT of --listen)"},
    {"log-level", OPTION_STRING, offsetof(struct server_options, log_level), "info", 0, 0, "LEVEL",
     "error, warn, info (one access line per request) or debug"},
    {"token-ttl", OPTION_INT, offsetof(struct server_options, token_ttl), "2592000", 0, 315360000,
     "SECONDS", "lifetime of access tokens (0: they never expire)"},
    {"ads-per-day", OPTION_INT, offsetof(struct server_options, ads_per_day), "5", 0, 1000, "N",
     "ad unlocks per wallet per UTC day"},
    {"rate-limit", OPTION_INT, offsetof(struct server_options, rate_limit), "20", 0, 100000, "N",
     "API requests per second per device (0: no limit)"},
    {"rate-burst", OPTION_INT, offsetof(struct server_options, rate_burst), "40", 1, 100000, "N",
     "requests a device may make at once before --rate-limit applies"},
    {"threads", OPTION_INT, offsetof(struct server_options, threads), "0", 0, 256, "N",
     "HTTP worker threads, each serving many connections (0: 2 per CPU, 4 to 64)"},
    {"max-connections", OPTION_INT, offsetof(struct server_options, max_connections), "2048", 1,
     1000000, "N", "open connections in all"},
    {"max-connections-per-ip", OPTION_INT, offsetof(struct server_options, max_per_ip), "64", 1,
     1000000, "N",
     "open connections per client address (behind a reverse proxy every client has the "
     "proxy's: raise it there)"},
    {"request-timeout", OPTION_INT, offsetof(struct server_options, request_timeout), "10", 1, 3600,
     "SECONDS", "a request must arrive whole (headers and body) this long after its first line"},
    {"idle-timeout", OPTION_INT, offsetof(struct server_options, idle_timeout), "30", 1, 3600,
     "SECONDS", "a kept-alive connection is closed after this long without a new request"},
    {"auth-limit", OPTION_INT, offsetof(struct server_options, auth_limit), "10", 0, 100000, "N",
     "registrations and activation posts per minute per client address, device token polls 6x "
     "(0: no limit)"},
    {"account", OPTION_STRING, offsetof(struct server_options, account), NULL, 0, 0,
     "NAME:PASSWORD", "create the account, or set its password, at start (demo and QA)"},
    {"config", OPTION_STRING, offsetof(struct server_options, config), NULL, 0, 0, "FILE",
     "read options from FILE first: \"name = value\" lines, '#' comments; the command line "
     "wins (the package's is /etc/binge/binge-server.conf)"},
    {"dev", OPTION_FLAG, offsetof(struct server_options, dev), NULL, 0, 0, NULL,
     "development mode: X-Dev-Now clock override and /dev/faults fault injection"},
    {"help", OPTION_FLAG, offsetof(struct server_options, help), NULL, 0, 0, NULL,
     "show this help and exit"},
    {"version", OPTION_FLAG, offsetof(struct server_options, version), NULL, 0, 0, NULL,
     "show the version and exit"},
    {"man", OPTION_FLAG, offsetof(struct server_options, man), NULL, 0, 0, NULL,
     "print the manual page (roff) and exit"},
};

#define N_OPTIONS (sizeof(server_option_defs) / sizeof(server_option_defs[0]))

static void print_usage(FILE *f)
{
    fprintf(f, "usage: binge-server --db FILE --media DIR [options]\n\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *d = &server_option_defs[i];
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
        fprintf(f, "  %-26s %s", left, d->help);
        if (d->def)
            fprintf(f, " [%s]", d->def);
        fputc('\n', f);
    }
}

/* Text for roff: hyphens and backslashes escaped, no request at a line's start. */
static void roff_text(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '-')
            fputs("\\-", f);
        else if (*s == '\\')
            fputs("\\e", f);
        else
            fputc(*s, f);
    }
}

/* binge-server(1) from the option table; the package installs it. */
static void print_man(FILE *f)
{
    fprintf(f, ".\\\" binge-server(1): generated by 'binge-server --man'; do not edit.\n");
    fprintf(f, ".TH BINGE\\-SERVER 1 \"\" \"binge-server %s\" \"User Commands\"\n", BINGE_VERSION);
    fprintf(f, ".SH NAME\nbinge\\-server \\- the reference catalog and entitlement backend of "
               "binge\n");
    fprintf(f, ".SH SYNOPSIS\n.B binge\\-server\n\\fB\\-\\-db\\fR \\fIFILE\\fR "
               "\\fB\\-\\-media\\fR \\fIDIR\\fR [\\fIOPTIONS\\fR]\n");
    fprintf(f, ".SH DESCRIPTION\n"
               "binge\\-server serves the catalog, the wallets and the signed media URLs of "
               "binge(1) over HTTP (the contract is /usr/share/doc/binge\\-server/api.md), from a "
               "content directory with catalog.json and an SQLite database.\n"
               ".PP\n"
               "Demo content is made with /usr/share/binge\\-server/make\\-content "
               "\\fB\\-\\-out\\fR \\fIDIR\\fR (it needs ffmpeg and fonts\\-dejavu\\-core).\n");
    fprintf(f, ".SH OPTIONS\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const struct option_def *d = &server_option_defs[i];
        fprintf(f, ".TP\n\\fB\\-\\-");
        roff_text(f, d->name);
        fputs("\\fR", f);
        if (d->arg) {
            fputs(" \\fI", f);
            roff_text(f, d->arg);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        roff_text(f, d->help);
        if (d->def) {
            fputs(" (default ", f);
            roff_text(f, d->def);
            fputc(')', f);
        }
        fputs(".\n", f);
    }
    fprintf(f, ".SH FILES\n.TP\n\\fI/etc/binge/binge\\-server.conf\\fR\n"
               "The options of binge\\-server.service (\\fB\\-\\-config\\fR).\n"
               ".TP\n\\fI/var/lib/binge\\-server\\fR\n"
               "The service's state directory: the database and, by default, the media.\n");
    fprintf(f, ".SH SEE ALSO\nbinge(1)\n");
}

static int set_option(struct server_options *o, const struct option_def *d, const char *value)
{
    char *end;
    long long v;

    switch (d->kind) {
    case OPTION_STRING:
        *(const char **)((char *)o + d->offset) = value;
        return 0;
    case OPTION_INT:
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || end == value || *end || v < d->min || v > d->max) {
            fprintf(stderr, "binge-server: --%s wants an integer in %lld..%lld, got \"%s\"\n",
                    d->name, d->min, d->max, value);
            return BINGE_EINVAL;
        }
        *(long long *)((char *)o + d->offset) = v;
        return 0;
    case OPTION_FLAG:
        *(long long *)((char *)o + d->offset) = 1;
        return 0;
    }
    return BINGE_EINVAL;
}

static const struct option_def *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (strlen(server_option_defs[i].name) == len &&
            strncmp(server_option_defs[i].name, name, len) == 0)
            return &server_option_defs[i];
    }
    return NULL;
}

/* The config files' texts: their values point into them for the whole run, so a second
 * --config keeps the first's text (its options stay set where the second does not set them). */
struct config_text {
    struct config_text *prev;
    char text[];
};
static struct config_text *config_texts;

static void free_config_texts(void)
{
    while (config_texts) {
        struct config_text *prev = config_texts->prev;
        free(config_texts);
        config_texts = prev;
    }
}

/* A config file is a few lines; the cap stops a wrong path (a disk image) being read whole. */
#define CONFIG_MAX_BYTES (64 * 1024)

static char *trim(char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* "name = value" lines of the option table's names (help, version, man and config excluded),
 * '#' comments, blank lines. Errors name file:line. */
static int load_config(struct server_options *o, const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t len;
    char *line, *next;
    int lineno = 0;

    if (!f) {
        fprintf(stderr, "binge-server: --config %s: %s\n", path, strerror(errno));
        return BINGE_EIO;
    }
    struct config_text *ct = malloc(sizeof(*ct) + CONFIG_MAX_BYTES + 1);
    if (!ct) {
        fclose(f);
        return BINGE_ENOMEM;
    }
    ct->prev = config_texts;
    config_texts = ct;
    char *config_text = ct->text;
    len = fread(config_text, 1, CONFIG_MAX_BYTES + 1, f);
    fclose(f);
    if (len > CONFIG_MAX_BYTES || memchr(config_text, '\0', len)) {
        fprintf(stderr, "binge-server: --config %s: not a config file (binary or over %d bytes)\n",
                path, CONFIG_MAX_BYTES);
        return BINGE_EINVAL;
    }
    config_text[len] = '\0';
    for (line = config_text; line; line = next) {
        char *nl = strchr(line, '\n');
        char *s, *eq, *key, *value;
        const struct option_def *d;

        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq) {
            fprintf(stderr, "binge-server: %s:%d: expected \"name = value\"\n", path, lineno);
            return BINGE_EINVAL;
        }
        *eq = '\0';
        key = trim(s);
        value = trim(eq + 1);
        d = find_option(key, strlen(key));
        if (!d || strcmp(d->name, "config") == 0 || strcmp(d->name, "help") == 0 ||
            strcmp(d->name, "version") == 0 || strcmp(d->name, "man") == 0) {
            fprintf(stderr, "binge-server: %s:%d: unknown option '%.64s'\n", path, lineno, key);
            return BINGE_EINVAL;
        }
        if (d->kind == OPTION_FLAG) {
            /* A flag in a file is "dev = true" or "dev = false". */
            if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
                value = "1";
            else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
                     strcmp(value, "0") == 0)
                continue;
            else {
                fprintf(stderr, "binge-server: %s:%d: %s wants true or false\n", path, lineno,
                        d->name);
                return BINGE_EINVAL;
            }
        }
        if (set_option(o, d, value) < 0) {
            fprintf(stderr, "binge-server: (at %s:%d)\n", path, lineno);
            return BINGE_EINVAL;
        }
    }
    return 0;
}

static int parse_options(int argc, char **argv, struct server_options *o)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (server_option_defs[i].def &&
            set_option(o, &server_option_defs[i], server_option_defs[i].def) < 0)
            return BINGE_EINVAL;
    }
    /* The config file sits below the command line, so it is read first; --help, --version
     * and --man work whatever the file holds. */
    bool info = false;
    for (int i = 1; i < argc; i++)
        info = info || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "--version") == 0 ||
               strcmp(argv[i], "--man") == 0;
    for (int i = 1; i < argc && !info; i++) {
        const char *file = NULL;
        if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[++i];
        if (file && load_config(o, file) < 0)
            return BINGE_EINVAL;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq;
        const char *value;
        const struct option_def *d;

        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "binge-server: unexpected argument \"%s\"\n", a);
            return BINGE_EINVAL;
        }
        a += 2;
        eq = strchr(a, '=');
        d = find_option(a, eq ? (size_t)(eq - a) : strlen(a));
        if (!d) {
            fprintf(stderr, "binge-server: unknown option --%.*s\n",
                    (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
            return BINGE_EINVAL;
        }
        if (d->kind == OPTION_FLAG) {
            if (eq) {
                fprintf(stderr, "binge-server: --%s takes no value\n", d->name);
                return BINGE_EINVAL;
            }
            value = "1";
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "binge-server: --%s needs a value (%s)\n", d->name, d->arg);
            return BINGE_EINVAL;
        }
        if (set_option(o, d, value) < 0)
            return BINGE_EINVAL;
    }
    return 0;
}

static int check_options(const struct server_options *o, enum slog_level *level)
{
    struct stat st;

    if (!o->db || !*o->db) {
        fprintf(stderr, "binge-server: --db FILE is required\n");
        return BINGE_EINVAL;
    }
    if (!o->media || !*o->media) {
        fprintf(stderr, "binge-server: --media DIR is required\n");
        return BINGE_EINVAL;
    }
    if (stat(o->media, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "binge-server: --media %s: not a directory\n", o->media);
        return BINGE_EINVAL;
    }
    if (o->secret && !*o->secret) {
        fprintf(stderr, "binge-server: --secret must not be empty\n");
        return BINGE_EINVAL;
    }
    if (o->account && (!strchr(o->account, ':') || o->account == strchr(o->account, ':'))) {
        fprintf(stderr, "binge-server: --account wants NAME:PASSWORD\n");
        return BINGE_EINVAL;
    }
    if (o->public_url && ((strncmp(o->public_url, "http://", 7) != 0 &&
                           strncmp(o->public_url, "https://", 8) != 0) ||
                          strlen(o->public_url) > 500 || strpbrk(o->public_url, "?# \"\\"))) {
        fprintf(stderr, "binge-server: --public-url must be an http:// or https:// base URL\n");
        return BINGE_EINVAL;
    }
    if (slog_parse_level(o->log_level, level) < 0) {
        fprintf(stderr, "binge-server: --log-level must be error, warn, info or debug\n");
        return BINGE_EINVAL;
    }
    return 0;
}

/* Each connection is a descriptor: raise the soft limit as far as the hard one allows, and
 * lower the connection limit if even that is not enough. */
static void fit_fd_limit(struct server_options *o)
{
    const rlim_t spare = 64; /* the database, media files being sent, the listening socket */
    rlim_t want = (rlim_t)o->max_connections * 2 + spare; /* a media response holds its file */
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        long long fit = rl.rlim_cur > 2 * spare ? (long long)((rl.rlim_cur - spare) / 2) : 16;
        slog_msg(SLOG_WARN, "main", "only %llu file descriptors: at most %lld connections",
                 (unsigned long long)rl.rlim_cur, fit);
        o->max_connections = fit;
    }
}

/* Without --public-url, URLs point at the listen address; a wildcard address is not reachable
 * as such, so then the API falls back to each request's Host header (base NULL). */
static void make_base_url(const struct server_options *o, const struct http_server *srv, char *out,
                          size_t cap, const char **base)
{
    const char *host = http_server_host(srv);

    if (o->public_url) {
        size_t n;
        snprintf(out, cap, "%s", o->public_url);
        n = strlen(out);
        while (n > 0 && out[n - 1] == '/')
            out[--n] = '\0';
        *base = out;
    } else if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "[::]") == 0) {
        *base = NULL;
    } else {
        snprintf(out, cap, "http://%s:%d", host, http_server_port(srv));
        *base = out;
    }
}

int main(int argc, char **argv)
{
    struct server_options opts;
    enum slog_level level = SLOG_INFO;
    struct db *db = NULL;
    struct http_server *srv = NULL;
    struct api *api = NULL;
    struct faults *faults = NULL;
    struct api_config cfg;
    struct http_config hcfg;
    unsigned char stored_secret[DB_SECRET_LEN];
    char base[600];
    sigset_t stop;
    int sig = 0;
    int status = EXIT_FAILURE;
    int rc;

    /* Blocked before any thread exists so every libmicrohttpd thread inherits the mask and the
     * signals are only ever taken by sigwait() below. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (parse_options(argc, argv, &opts) < 0) {
        fprintf(stderr, "Try 'binge-server --help'.\n");
        exit(EXIT_USAGE);
    }
    if (opts.help) {
        print_usage(stdout);
        exit(EXIT_SUCCESS);
    }
    if (opts.version) {
        printf("binge-server %s\n", BINGE_VERSION);
        exit(EXIT_SUCCESS);
    }
    if (opts.man) {
        print_man(stdout);
        exit(EXIT_SUCCESS);
    }
    if (check_options(&opts, &level) < 0) {
        fprintf(stderr, "Try 'binge-server --help'.\n");
        exit(EXIT_USAGE);
    }
    slog_set_level(level);

    rc = http_server_new(opts.listen, &srv);
    if (rc == BINGE_EINVAL) {
        fprintf(stderr, "binge-server: --listen %s: want HOST:PORT\n", opts.listen);
        exit(EXIT_USAGE);
    }
    if (rc < 0)
        goto fail;
    if (db_new(opts.db, &db) < 0 || db_sync_catalog(db, opts.media, NULL) < 0 ||
        db_apply_prices(db, (int)opts.free_episodes) < 0)
        goto fail;
    if (opts.account) {
        char name[DB_ACCOUNT_NAME_MAX + 1];
        const char *colon = strchr(opts.account, ':');
        snprintf(name, sizeof(name), "%.*s", (int)(colon - opts.account), opts.account);
        if (db_account_set_password(db, name, colon + 1, (long long)time(NULL)) < 0) {
            fprintf(stderr,
                    "binge-server: --account: a name of 1 to %d bytes and a password of "
                    "%d to %d\n",
                    DB_ACCOUNT_NAME_MAX, DB_PASSWORD_MIN, DB_PASSWORD_MAX);
            goto fail;
        }
    }
    if (opts.dev && faults_new(&faults) < 0)
        goto fail;
    memset(&cfg, 0, sizeof(cfg));
    if (opts.secret) {
        cfg.secret = (const unsigned char *)opts.secret;
        cfg.secret_len = strlen(opts.secret);
    } else {
        if (db_secret(db, stored_secret) < 0)
            goto fail;
        cfg.secret = stored_secret;
        cfg.secret_len = sizeof(stored_secret);
    }
    make_base_url(&opts, srv, base, sizeof(base), &cfg.base_url);
    cfg.db = db;
    cfg.media_dir = opts.media;
    cfg.url_ttl_s = opts.url_ttl;
    cfg.token_ttl_s = opts.token_ttl;
    cfg.ads_per_day = (int)opts.ads_per_day;
    cfg.rate_limit = (double)opts.rate_limit;
    cfg.rate_burst = (double)opts.rate_burst;
    cfg.auth_limit = (double)opts.auth_limit;
    cfg.dev = opts.dev != 0;
    cfg.faults = faults;
    rc = api_new(&cfg, &api);
    OPENSSL_cleanse(stored_secret, sizeof(stored_secret));
    fit_fd_limit(&opts);
    memset(&hcfg, 0, sizeof(hcfg));
    hcfg.threads = (unsigned int)opts.threads;
    hcfg.max_connections = (unsigned int)opts.max_connections;
    hcfg.max_per_ip = (unsigned int)opts.max_per_ip;
    hcfg.request_timeout_s = (unsigned int)opts.request_timeout;
    hcfg.idle_timeout_s = (unsigned int)opts.idle_timeout;
    hcfg.public_url = cfg.base_url && opts.public_url ? cfg.base_url : NULL;
    if (rc < 0 || http_server_start(srv, api, &hcfg) < 0)
        goto fail;

    /* Scripts and tests wait for this exact line to learn the port. */
    printf("serving http://%s:%d\n", http_server_host(srv), http_server_port(srv));
    fflush(stdout);
    slog_msg(SLOG_INFO, "main", "media %s, db %s, %lld free episodes, url ttl %llds", opts.media,
             opts.db, opts.free_episodes, opts.url_ttl);
    if (opts.dev)
        slog_msg(SLOG_WARN, "main",
                 "--dev: X-Dev-Now and /dev/faults are enabled; not for "
                 "production");

    while (sigwait(&stop, &sig) != 0)
        ;
    slog_msg(SLOG_INFO, "main", "%s received, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = EXIT_SUCCESS;

fail:
    http_server_free(srv);
    api_free(api);
    faults_free(faults);
    db_free(db);
    free_config_texts();
    exit(status);
}
