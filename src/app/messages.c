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

/* The player's messages (src/player/recover.c) are English sentences; these are the ones a viewer
 * reads, marked for the translators, without their status code ("(404)"), which
 * app_player_text() drops before it looks them up. Keep in step with recover.c. */
static const char *const player_texts[] = {
    N_("Can't play this episode: it can't be decrypted"),
    N_("Can't play this episode: the stream was not found"),
    N_("Can't play this episode: the video is damaged"),
    N_("Can't play this episode: its key was not found"),
    N_("Access to this episode was refused"),
    N_("Can't reach the video server. Check the connection and try again"),
    N_("Can't load this episode. Please try again"),
    N_("This episode's format can't be played on this device"),
    N_("The video server is having trouble with this episode. Please try again later"),
    N_("The stream stopped and did not come back"),
    N_("This episode isn't unlocked on this device"),
    N_("Playback failed"),
};

void app_player_text(const char *msg, char *out, size_t len)
{
    char base[512];
    snprintf(base, sizeof(base), "%s", msg ? msg : "");
    /* "... (404)": the code is for the log and INFO. */
    size_t n = strlen(base);
    char *open = strrchr(base, '(');
    if (n > 3 && base[n - 1] == ')' && open && open > base && open[-1] == ' ' &&
        strspn(open + 1, "0123456789") == (size_t)(base + n - 1 - (open + 1)))
        open[-1] = '\0';
    for (size_t i = 0; i < sizeof(player_texts) / sizeof(player_texts[0]); i++) {
        if (strcmp(base, player_texts[i]) == 0) {
            snprintf(out, len, "%s", _(player_texts[i]));
            return;
        }
    }
    snprintf(out, len, "%s", msg ? msg : ""); /* not one of them: as the player said it */
}

/* "Can't play this episode: the stream was not found (404)" is a title and a detail in one
 * line; shown under the title "Can't play this episode" it said it twice. */
void app_split_message(const char *msg, const char *title_if_none, char *title, size_t tlen,
                       char *detail, size_t dlen)
{
    /* ": ", or the full-width colon of Chinese and Japanese text (U+FF1A), with no space. */
    const char *colon = msg ? strstr(msg, ": ") : NULL, *wide = msg ? strstr(msg, "\uff1a") : NULL;
    size_t sep = 2;
    if (wide && (!colon || wide < colon))
        colon = wide, sep = 3;
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
        snprintf(detail, dlen, "%s", colon + sep);
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
    /* A full stop after a Latin letter or digit: a sentence in Thai or CJK ends otherwise. */
    if (n > 0 && n + 1 < dlen && isalnum((unsigned char)detail[n - 1])) {
        detail[n] = '.';
        detail[n + 1] = '\0';
    }
}
