#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_internal.h"
#include "binge/error.h"

/* What the viewer reads when something fails, and what the log and INFO keep. A viewer gets a
 * sentence about what happened and what to do; the server's own words, HTTP statuses, hosts and
 * ports are for the log and the INFO panel only. */

void app_describe_failure(const struct net_response *r, char *title, size_t tlen, char *detail,
                          size_t dlen)
{
    const char *t, *d;
    if (r->error == BINGE_ENET || r->error == BINGE_ETIMEDOUT) {
        t = _("Can't reach the server");
        d = _("Check your internet connection.");
    } else if (r->error) {
        t = _("The server sent an unusable answer");
        d = _("Please try again in a moment.");
    } else if (r->status == 401 || r->status == 403) {
        t = _("Access was refused");
        d = _("Please try again. If it keeps happening, restart the app.");
    } else if (r->status == 404 || r->status == 410) {
        t = _("This isn't available");
        d = _("It may have been taken down. Please pick something else.");
    } else if (r->status == 429) {
        t = _("Too many requests");
        d = _("Please wait a moment and try again.");
    } else if (r->status >= 500) {
        t = _("The service is having a problem");
        d = _("It is not your connection. Please try again in a moment.");
    } else {
        t = _("Something went wrong");
        d = _("Please try again.");
    }
    snprintf(title, tlen, "%s", t);
    snprintf(detail, dlen, "%s", d);
}

void app_failure_tech(const struct net_response *r, char *buf, size_t len)
{
    if (r->error) {
        snprintf(buf, len, "%s (%s)", r->message[0] ? r->message : binge_strerror(r->error),
                 binge_strerror(r->error));
        return;
    }
    char *code = NULL, *message = NULL;
    if (catalog_parse_error(r->body, r->len, &code, &message) == 0 && message)
        snprintf(buf, len, "HTTP %ld %s: %s", r->status, code ? code : "error", message);
    else
        snprintf(buf, len, "HTTP %ld", r->status);
    free(code);
    free(message);
}

void app_failure_text(const struct net_response *r, const char *parse_err, char *text, size_t len,
                      char *tech, size_t tlen)
{
    if (parse_err && parse_err[0]) {
        snprintf(text, len, "%s",
                 _("The server sent an unusable answer. Please try again in a moment."));
        snprintf(tech, tlen, "bad JSON: %s", parse_err);
        return;
    }
    char title[160], detail[256];
    app_describe_failure(r, title, sizeof(title), detail, sizeof(detail));
    snprintf(text, len, _("%s. %s"), title, detail);
    app_failure_tech(r, tech, tlen);
}

/* "Can't play this episode: the stream was not found (404)" is a title and a detail in one
 * line; shown under the title "Can't play this episode" it said it twice. */
void app_split_message(const char *msg, const char *title_if_none, char *title, size_t tlen,
                       char *detail, size_t dlen)
{
    const char *colon = msg ? strstr(msg, ": ") : NULL;
    if (!msg || !*msg) {
        snprintf(title, tlen, "%s", title_if_none);
        detail[0] = '\0';
        return;
    }
    if (!colon || colon == msg) {
        snprintf(title, tlen, "%s", title_if_none);
        snprintf(detail, dlen, "%s", strcmp(msg, title_if_none) == 0 ? "" : msg);
    } else {
        snprintf(title, tlen, "%.*s", (int)(colon - msg), msg);
        snprintf(detail, dlen, "%s", colon + 2);
    }
    /* A sentence: a capital first letter, a full stop, and no status code in brackets (the log
     * and INFO have it). */
    size_t n = strlen(detail);
    if (n >= 6 && detail[n - 1] == ')' && detail[n - 6] == ' ' && detail[n - 5] == '(' &&
        isdigit((unsigned char)detail[n - 4]) && isdigit((unsigned char)detail[n - 3]) &&
        isdigit((unsigned char)detail[n - 2]))
        detail[n -= 6] = '\0';
    if (n > 0 && islower((unsigned char)detail[0]))
        detail[0] = (char)toupper((unsigned char)detail[0]);
    if (n > 0 && n + 1 < dlen && !strchr(".!?", detail[n - 1])) {
        detail[n] = '.';
        detail[n + 1] = '\0';
    }
}
