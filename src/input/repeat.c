#include <stdio.h>
#include <string.h>

#include "input_internal.h"

/* Key repeat for IR-like sources is ours: a remote's own repeat codes come at the protocol's
 * pace (NEC ~110 ms, RC-5 ~114 ms, CEC whatever the TV does, some send none), so the same hold
 * would scroll at a different speed on every box. The press is dispatched at once; while the
 * key stays down, repeats follow after delay_ms and then every interval_ms, until its release.
 * The tick sleeps until input_repeat_deadline: no busy loop. */

void input_repeat_init(struct input_repeat *r, int delay_ms, int rate_hz)
{
    memset(r, 0, sizeof(*r));
    if (rate_hz <= 0)
        rate_hz = INPUT_REPEAT_RATE_HZ;
    if (rate_hz > 100)
        rate_hz = 100;
    r->delay_ms = delay_ms > 0 ? delay_ms : INPUT_REPEAT_DELAY_MS;
    r->interval_ms = 1000 / rate_hz;
    r->released_ms = -1;
}

static void release(struct input_repeat *r, int64_t now_ms)
{
    snprintf(r->released, sizeof(r->released), "%s", r->held);
    r->released_ms = now_ms;
    r->released_action = r->held_action;
    r->released_next_ms = r->next_ms;
    r->held[0] = '\0';
    r->held_action = INPUT_NONE;
    r->next_ms = 0;
}

bool input_repeat_key(struct input_repeat *r, const char *code, enum input_action action,
                      bool pressed, bool src_repeat, int64_t now_ms)
{
    bool is_held = r->held[0] && strcmp(r->held, code) == 0;
    if (!pressed) {
        if (is_held)
            release(r, now_ms);
        return false;
    }
    if (is_held)
        return false; /* the source's repeat, or a second press without a release: still held */
    if (src_repeat && r->held[0])
        return false; /* another key's repeat while one is held: the held one goes on */
    /* IR retransmission: a remote that lost the link for a moment (or sends each code twice)
     * reads as a release and a new press a few tens of ms later. A real second press takes a
     * human longer than INPUT_DOUBLE_PRESS_MS. */
    if (r->released_ms >= 0 && now_ms - r->released_ms < INPUT_DOUBLE_PRESS_MS &&
        strcmp(r->released, code) == 0) {
        r->dropped++;
        snprintf(r->held, sizeof(r->held), "%s", code);
        r->held_action = r->released_action;
        r->next_ms = r->released_next_ms;
        r->released_ms = -1;
        return false;
    }
    /* A new key: any other key held stops (remotes send one code at a time). */
    snprintf(r->held, sizeof(r->held), "%s", code);
    r->held_action = action;
    r->next_ms = now_ms + r->delay_ms;
    if (action == INPUT_NONE) {
        r->held[0] = '\0'; /* an unmapped key has nothing to repeat */
        r->next_ms = 0;
    }
    return action != INPUT_NONE;
}

bool input_repeat_due(struct input_repeat *r, int64_t now_ms, enum input_action *action)
{
    if (!r->held[0] || now_ms < r->next_ms)
        return false;
    *action = r->held_action;
    r->next_ms += r->interval_ms;
    if (r->next_ms <= now_ms) /* the UI thread was late: no burst to catch up */
        r->next_ms = now_ms + r->interval_ms;
    return true;
}

int64_t input_repeat_deadline(const struct input_repeat *r)
{
    return r->held[0] ? r->next_ms : -1;
}

void input_repeat_cancel(struct input_repeat *r)
{
    r->held[0] = '\0';
    r->held_action = INPUT_NONE;
    r->next_ms = 0;
}
