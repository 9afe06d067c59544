#ifndef BINGE_SERVER_FAULTS_H
#define BINGE_SERVER_FAULTS_H

/* Fault injection for tests (binge-server --dev only): a small table of rules, each saying
 * "the next N requests whose path starts with P get fault F". The API edits the table
 * (POST/DELETE /dev/faults); the HTTP layer asks it before and after handling each request and
 * carries the fault out, because the faults live below the API: a truncated body, a reset
 * connection, an oversized body.
 *
 * Threading: every function may be called from any thread; a mutex guards the table.
 * faults_sleep() blocks only its caller and returns early once faults_shutdown() is called, so a
 * long injected latency never holds up the server's exit.
 *
 * Errors: 0 or a negative BINGE_E* code. */

#include <stdbool.h>
#include <stddef.h>

struct faults;

/* At most this many rules at a time. */
#define FAULTS_MAX 32

/* Longest path prefix of a rule, in bytes. */
#define FAULTS_PREFIX_MAX 255

/* Bounds of the rule parameters. */
#define FAULTS_MS_MAX 120000
#define FAULTS_RETRY_AFTER_MAX 86400
#define FAULTS_OVERSIZE_DEFAULT (8L * 1024 * 1024)
#define FAULTS_OVERSIZE_MAX (64L * 1024 * 1024)

enum fault_kind {
    FAULT_LATENCY,  /* wait ms, then answer normally */
    FAULT_500,      /* 500 internal */
    FAULT_503,      /* 503 unavailable with Retry-After */
    FAULT_TRUNCATE, /* a Content-Length larger than the body, then the connection closes */
    FAULT_RESET,    /* the connection is reset (RST) without an answer */
    FAULT_OVERSIZE, /* 200 with a huge body of valid JSON */
};

enum fault_phase {
    FAULT_BEFORE, /* instead of handling the request (latency: before handling it) */
    FAULT_AFTER,  /* after the request was handled, replacing or delaying its answer */
};

struct fault_rule {
    char path_prefix[FAULTS_PREFIX_MAX + 1];
    char method[16]; /* "" matches every method */
    enum fault_kind kind;
    enum fault_phase phase;
    int ms;          /* latency */
    int retry_after; /* 503: Retry-After seconds */
    long bytes;      /* oversize: body size */
    long count;      /* matches left; -1 forever */
    long hits;       /* how often it was applied */
};

/* *out is transfer full; free with faults_free(). */
int faults_new(struct faults **out);

/* Wakes sleepers, then frees. NULL is a no-op. */
void faults_free(struct faults *f);

/* Adds a rule (copied), replacing one with the same prefix, method and phase. count 0 is
 * BINGE_EINVAL. Returns BINGE_ETOOBIG when the table is full. */
int faults_add(struct faults *f, const struct fault_rule *rule);

/* Removes every rule. */
void faults_clear(struct faults *f);

/* Finds the first rule for phase whose prefix starts path and whose method matches, uses up one
 * of its count (a rule whose count reaches 0 is removed) and copies it to *out. Paths under
 * "/dev/" never match, so the table can always be reset. Returns false when none matches. */
bool faults_take(struct faults *f, const char *method, const char *path, enum fault_phase phase,
                 struct fault_rule *out);

/* Copies up to cap rules into out; returns how many. */
size_t faults_list(struct faults *f, struct fault_rule *out, size_t cap);

/* Sleeps ms milliseconds, or less when faults_shutdown() is called. */
void faults_sleep(struct faults *f, int ms);

/* Makes every current and future faults_sleep() return at once. */
void faults_shutdown(struct faults *f);

/* "latency", "500", "503", "truncate", "reset", "oversize". */
const char *fault_kind_name(enum fault_kind kind);

/* Parses a kind name. Returns 0 or BINGE_EINVAL. */
int fault_kind_parse(const char *name, enum fault_kind *out);

#endif
