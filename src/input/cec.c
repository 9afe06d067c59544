#define _GNU_SOURCE
#include "cec.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/cec-funcs.h>
#include <linux/cec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "binge/error.h"
#include "binge/log.h"

LOG_MODULE("cec");

/* CEC 1.4 13.13.3: without a repeated User Control Pressed or a Released within this, the
 * follower takes the key as released (a lost Released must not scroll forever). */
#define CEC_SAFETY_TIMEOUT_MS 550
#define CEC_MAX_ADAPTERS 16

struct input_cec {
    int fd;
    char path[32];
    char name[32]; /* the adapter's */
    char osd_name[15];
    input_emit_fn emit;
    void *hub;
    uint16_t phys_addr;
    int log_addr;      /* -1 until claimed */
    bool announced;    /* Active Source sent for this claim */
    int held;          /* the UI command held, or -1 */
    uint64_t deadline; /* ms, CLOCK_MONOTONIC: the hold's safety timeout */
    bool gone;         /* the adapter was unregistered (ENODEV): closed at the next dispatch */
};

static const char *const ui_names[] = {
    [CEC_OP_UI_CMD_SELECT] = "SELECT",
    [CEC_OP_UI_CMD_UP] = "UP",
    [CEC_OP_UI_CMD_DOWN] = "DOWN",
    [CEC_OP_UI_CMD_LEFT] = "LEFT",
    [CEC_OP_UI_CMD_RIGHT] = "RIGHT",
    [CEC_OP_UI_CMD_RIGHT_UP] = "RIGHT_UP",
    [CEC_OP_UI_CMD_RIGHT_DOWN] = "RIGHT_DOWN",
    [CEC_OP_UI_CMD_LEFT_UP] = "LEFT_UP",
    [CEC_OP_UI_CMD_LEFT_DOWN] = "LEFT_DOWN",
    [CEC_OP_UI_CMD_DEVICE_ROOT_MENU] = "DEVICE_ROOT_MENU",
    [CEC_OP_UI_CMD_DEVICE_SETUP_MENU] = "DEVICE_SETUP_MENU",
    [CEC_OP_UI_CMD_CONTENTS_MENU] = "CONTENTS_MENU",
    [CEC_OP_UI_CMD_FAVORITE_MENU] = "FAVORITE_MENU",
    [CEC_OP_UI_CMD_BACK] = "BACK", /* "Exit" in CEC 1.4, "Back" in 2.0 */
    [CEC_OP_UI_CMD_MEDIA_TOP_MENU] = "MEDIA_TOP_MENU",
    [CEC_OP_UI_CMD_MEDIA_CONTEXT_SENSITIVE_MENU] = "MEDIA_CONTEXT_SENSITIVE_MENU",
    [CEC_OP_UI_CMD_NUMBER_0_OR_NUMBER_10] = "NUMBER_0_OR_NUMBER_10",
    [CEC_OP_UI_CMD_NUMBER_1] = "NUMBER_1",
    [CEC_OP_UI_CMD_NUMBER_2] = "NUMBER_2",
    [CEC_OP_UI_CMD_NUMBER_3] = "NUMBER_3",
    [CEC_OP_UI_CMD_NUMBER_4] = "NUMBER_4",
    [CEC_OP_UI_CMD_NUMBER_5] = "NUMBER_5",
    [CEC_OP_UI_CMD_NUMBER_6] = "NUMBER_6",
    [CEC_OP_UI_CMD_NUMBER_7] = "NUMBER_7",
    [CEC_OP_UI_CMD_NUMBER_8] = "NUMBER_8",
    [CEC_OP_UI_CMD_NUMBER_9] = "NUMBER_9",
    [CEC_OP_UI_CMD_DOT] = "DOT",
    [CEC_OP_UI_CMD_ENTER] = "ENTER",
    [CEC_OP_UI_CMD_CLEAR] = "CLEAR",
    [CEC_OP_UI_CMD_CHANNEL_UP] = "CHANNEL_UP",
    [CEC_OP_UI_CMD_CHANNEL_DOWN] = "CHANNEL_DOWN",
    [CEC_OP_UI_CMD_PREVIOUS_CHANNEL] = "PREVIOUS_CHANNEL",
    [CEC_OP_UI_CMD_SOUND_SELECT] = "SOUND_SELECT",
    [CEC_OP_UI_CMD_INPUT_SELECT] = "INPUT_SELECT",
    [CEC_OP_UI_CMD_DISPLAY_INFORMATION] = "DISPLAY_INFORMATION",
    [CEC_OP_UI_CMD_HELP] = "HELP",
    [CEC_OP_UI_CMD_PAGE_UP] = "PAGE_UP",
    [CEC_OP_UI_CMD_PAGE_DOWN] = "PAGE_DOWN",
    [CEC_OP_UI_CMD_POWER] = "POWER",
    [CEC_OP_UI_CMD_VOLUME_UP] = "VOLUME_UP",
    [CEC_OP_UI_CMD_VOLUME_DOWN] = "VOLUME_DOWN",
    [CEC_OP_UI_CMD_MUTE] = "MUTE",
    [CEC_OP_UI_CMD_PLAY] = "PLAY",
    [CEC_OP_UI_CMD_STOP] = "STOP",
    [CEC_OP_UI_CMD_PAUSE] = "PAUSE",
    [CEC_OP_UI_CMD_RECORD] = "RECORD",
    [CEC_OP_UI_CMD_REWIND] = "REWIND",
    [CEC_OP_UI_CMD_FAST_FORWARD] = "FAST_FORWARD",
    [CEC_OP_UI_CMD_EJECT] = "EJECT",
    [CEC_OP_UI_CMD_SKIP_FORWARD] = "SKIP_FORWARD",
    [CEC_OP_UI_CMD_SKIP_BACKWARD] = "SKIP_BACKWARD",
    [CEC_OP_UI_CMD_STOP_RECORD] = "STOP_RECORD",
    [CEC_OP_UI_CMD_PAUSE_RECORD] = "PAUSE_RECORD",
    [CEC_OP_UI_CMD_ELECTRONIC_PROGRAM_GUIDE] = "ELECTRONIC_PROGRAM_GUIDE",
    [CEC_OP_UI_CMD_VIDEO_ON_DEMAND] = "VIDEO_ON_DEMAND",
    [CEC_OP_UI_CMD_INTERNET] = "INTERNET",
    [CEC_OP_UI_CMD_PLAY_FUNCTION] = "PLAY_FUNCTION",
    [CEC_OP_UI_CMD_PAUSE_PLAY_FUNCTION] = "PAUSE_PLAY_FUNCTION",
    [CEC_OP_UI_CMD_STOP_FUNCTION] = "STOP_FUNCTION",
    [CEC_OP_UI_CMD_MUTE_FUNCTION] = "MUTE_FUNCTION",
    [CEC_OP_UI_CMD_POWER_TOGGLE_FUNCTION] = "POWER_TOGGLE_FUNCTION",
    [CEC_OP_UI_CMD_POWER_OFF_FUNCTION] = "POWER_OFF_FUNCTION",
    [CEC_OP_UI_CMD_POWER_ON_FUNCTION] = "POWER_ON_FUNCTION",
    [CEC_OP_UI_CMD_F1_BLUE] = "F1_BLUE",
    [CEC_OP_UI_CMD_F2_RED] = "F2_RED",
    [CEC_OP_UI_CMD_F3_GREEN] = "F3_GREEN",
    [CEC_OP_UI_CMD_F4_YELLOW] = "F4_YELLOW",
    [CEC_OP_UI_CMD_F5] = "F5",
    [CEC_OP_UI_CMD_DATA] = "DATA",
};

const char *input_cec_ui_command_name(uint8_t ui_cmd)
{
    if (ui_cmd >= sizeof(ui_names) / sizeof(ui_names[0]))
        return NULL;
    return ui_names[ui_cmd];
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void transmit(struct input_cec *cec, struct cec_msg *msg, const char *what)
{
    /* Non-blocking: the result comes back through CEC_RECEIVE (tx_status) and is logged
     * there; a busy queue (EBUSY) is only logged: nothing waits on these. */
    if (ioctl(cec->fd, CEC_TRANSMIT, msg) < 0)
        log_info("can't send %s: %s", what, strerror(errno));
}

static void announce(struct input_cec *cec)
{
    if (cec->announced || cec->log_addr < 0 || cec->phys_addr == CEC_PHYS_ADDR_INVALID)
        return;
    struct cec_msg msg;
    cec_msg_init(&msg, (uint8_t)cec->log_addr, CEC_LOG_ADDR_TV);
    cec_msg_image_view_on(&msg);
    transmit(cec, &msg, "Image View On");
    cec_msg_init(&msg, (uint8_t)cec->log_addr, CEC_LOG_ADDR_BROADCAST);
    cec_msg_active_source(&msg, cec->phys_addr);
    transmit(cec, &msg, "Active Source");
    cec->announced = true;
    log_info("%s: active source as %x.%x.%x.%x, logical address %d", cec->path,
             cec->phys_addr >> 12, (cec->phys_addr >> 8) & 0xf, (cec->phys_addr >> 4) & 0xf,
             cec->phys_addr & 0xf, cec->log_addr);
}

static void state_changed(struct input_cec *cec, uint16_t phys_addr, uint16_t mask)
{
    int la = -1;
    for (int i = 0; i < 15; i++)
        if (mask & (1u << i)) {
            la = i;
            break;
        }
    if (la != cec->log_addr || phys_addr != cec->phys_addr)
        cec->announced = false;
    if (la >= 0 && la != cec->log_addr)
        log_info("%s: claimed logical address %d", cec->path, la);
    else if (la < 0 && cec->log_addr >= 0)
        log_info("%s: logical address released (HDMI unplugged?)", cec->path);
    cec->log_addr = la;
    cec->phys_addr = phys_addr;
    announce(cec);
}

static void key(struct input_cec *cec, int ui_cmd, bool pressed)
{
    char unknown[16];
    const char *name = input_cec_ui_command_name((uint8_t)ui_cmd);
    if (!name) {
        snprintf(unknown, sizeof(unknown), "UI_0x%02X", ui_cmd & 0xff);
        name = unknown;
    }
    struct input_key_event k = {
        .source = "cec",
        .key = name,
        .pressed = pressed,
        .ir_like = true, /* the hub repeats a hold; the TV's repeated Pressed are absorbed here */
    };
    cec->emit(cec->hub, &k);
}

static void release(struct input_cec *cec)
{
    if (cec->held < 0)
        return;
    int ui_cmd = cec->held;
    cec->held = -1;
    key(cec, ui_cmd, false);
}

static void user_control_pressed(struct input_cec *cec, const struct cec_msg *msg)
{
    if (msg->len < 3)
        return; /* no UI command: malformed */
    int ui_cmd = msg->msg[2];
    cec->deadline = now_ms() + CEC_SAFETY_TIMEOUT_MS;
    if (cec->held == ui_cmd)
        return; /* the remote repeats Pressed while the key is held: the same hold */
    release(cec);
    cec->held = ui_cmd;
    key(cec, ui_cmd, true);
}

static void reply_feature_abort(struct input_cec *cec, const struct cec_msg *msg, uint8_t reason)
{
    struct cec_msg reply = *msg; /* cec_msg_reply_feature_abort works on the message itself */
    reply.sequence = 0;
    reply.tx_status = 0;
    reply.rx_status = 0;
    cec_msg_reply_feature_abort(&reply, reason);
    transmit(cec, &reply, "Feature Abort");
}

static void received(struct input_cec *cec, const struct cec_msg *msg)
{
    if (msg->len < 2)
        return; /* a poll */
    bool broadcast = cec_msg_is_broadcast(msg);
    uint8_t opcode = msg->msg[1];
    struct cec_msg reply;
    memset(&reply, 0, sizeof(reply));
    cec_msg_set_reply_to(&reply, (struct cec_msg *)msg);
    switch (opcode) {
    case CEC_MSG_USER_CONTROL_PRESSED:
        user_control_pressed(cec, msg);
        return;
    case CEC_MSG_USER_CONTROL_RELEASED:
        release(cec);
        return;
    case CEC_MSG_GIVE_DEVICE_POWER_STATUS:
        if (broadcast)
            return;
        cec_msg_report_power_status(&reply, CEC_OP_POWER_STATUS_ON);
        transmit(cec, &reply, "Report Power Status");
        return;
    case CEC_MSG_MENU_REQUEST:
        /* Some TVs pass the remote's keys on only to a device whose menu is active. */
        if (broadcast)
            return;
        cec_msg_menu_status(&reply, CEC_OP_MENU_STATE_ACTIVATED);
        transmit(cec, &reply, "Menu Status");
        return;
    case CEC_MSG_REQUEST_ACTIVE_SOURCE:
        cec->announced = false;
        announce(cec);
        return;
    case CEC_MSG_SET_STREAM_PATH:
        if (msg->len >= 4 && ((msg->msg[2] << 8) | msg->msg[3]) == cec->phys_addr) {
            cec->announced = false;
            announce(cec);
        }
        return;
    case CEC_MSG_FEATURE_ABORT:
    case CEC_MSG_STANDBY:
    case CEC_MSG_ABORT: /* the kernel answers these */
    case CEC_MSG_GIVE_PHYSICAL_ADDR:
    case CEC_MSG_GET_CEC_VERSION:
    case CEC_MSG_GIVE_OSD_NAME:
    case CEC_MSG_GIVE_DEVICE_VENDOR_ID:
    case CEC_MSG_GIVE_FEATURES:
        return;
    default:
        /* With a follower open the kernel aborts nothing for us: every directed message we
         * do not handle gets Feature Abort, as the spec asks. */
        if (!broadcast)
            reply_feature_abort(cec, msg, CEC_OP_ABORT_UNRECOGNIZED_OP);
        return;
    }
}

/* An unregistered adapter (a USB adapter pulled, its driver unbound) answers every ioctl with
 * ENODEV and its fd polls readable (POLLERR | POLLHUP) for ever. */
static void check_gone(struct input_cec *cec)
{
    if (errno == ENODEV)
        cec->gone = true;
}

static void dequeue_events(struct input_cec *cec)
{
    struct cec_event ev;
    for (;;) {
        if (ioctl(cec->fd, CEC_DQEVENT, &ev) < 0) {
            check_gone(cec);
            return; /* EAGAIN: nothing more */
        }
        if (ev.event == CEC_EVENT_STATE_CHANGE)
            state_changed(cec, ev.state_change.phys_addr, ev.state_change.log_addr_mask);
        else if (ev.event == CEC_EVENT_LOST_MSGS)
            log_info("%s: %u messages lost (the UI thread was busy)", cec->path,
                     ev.lost_msgs.lost_msgs);
    }
}

static void dequeue_messages(struct input_cec *cec)
{
    struct cec_msg msg;
    for (;;) {
        memset(&msg, 0, sizeof(msg));
        if (ioctl(cec->fd, CEC_RECEIVE, &msg) < 0) {
            check_gone(cec);
            return; /* EAGAIN: nothing more */
        }
        if (cec_msg_recv_is_tx_result(&msg)) {
            /* The result of one of our transmits. */
            if (!(msg.tx_status & CEC_TX_STATUS_OK))
                log_debug("%s: opcode 0x%02x not acknowledged (tx_status 0x%x)", cec->path,
                          msg.len > 1 ? msg.msg[1] : 0, msg.tx_status);
            continue;
        }
        received(cec, &msg);
    }
}

void input_cec_dispatch(struct input_cec *cec)
{
    if (cec->fd < 0)
        return;
    dequeue_events(cec);
    dequeue_messages(cec);
    if (cec->gone) {
        /* Polling it again would wake the UI thread at once, for ever. */
        log_warn("%s: the CEC adapter went away; no CEC until binge starts again", cec->path);
        release(cec);
        close(cec->fd);
        cec->fd = -1;
        return;
    }
    if (cec->held >= 0 && now_ms() >= cec->deadline) {
        log_debug("%s: no repeat nor release within %d ms: released", cec->path,
                  CEC_SAFETY_TIMEOUT_MS);
        release(cec);
    }
}

int input_cec_timeout_ms(const struct input_cec *cec)
{
    if (cec->held < 0)
        return -1;
    uint64_t now = now_ms();
    return now >= cec->deadline ? 0 : (int)(cec->deadline - now);
}

size_t input_cec_pollfds(const struct input_cec *cec, struct pollfd *fds, size_t max)
{
    if (max < 1 || cec->fd < 0)
        return 0;
    fds[0] = (struct pollfd){.fd = cec->fd, .events = POLLIN | POLLPRI};
    return 1;
}

int input_cec_logical_address(const struct input_cec *cec)
{
    return cec->log_addr;
}

uint16_t input_cec_physical_address(const struct input_cec *cec)
{
    return cec->phys_addr;
}

/* Claims a playback device address. The claim goes on in the kernel (non-blocking fd); its
 * end comes as a state change event. */
static int claim(struct input_cec *cec)
{
    struct cec_log_addrs la;
    memset(&la, 0, sizeof(la));
    if (ioctl(cec->fd, CEC_ADAP_G_LOG_ADDRS, &la) == 0 && la.num_log_addrs) {
        /* Someone configured it (another program, or us before a restart): start again as
         * ourselves, with our name. */
        memset(&la, 0, sizeof(la));
        if (ioctl(cec->fd, CEC_ADAP_S_LOG_ADDRS, &la) < 0 && errno != EBUSY)
            return BINGE_EIO;
    }
    memset(&la, 0, sizeof(la));
    la.cec_version = CEC_OP_CEC_VERSION_1_4; /* what TVs expect of a playback device */
    la.vendor_id = CEC_VENDOR_ID_NONE;
    la.num_log_addrs = 1;
    la.log_addr_type[0] = CEC_LOG_ADDR_TYPE_PLAYBACK;
    la.primary_device_type[0] = CEC_OP_PRIM_DEVTYPE_PLAYBACK;
    la.all_device_types[0] = CEC_OP_ALL_DEVTYPE_PLAYBACK;
    snprintf(la.osd_name, sizeof(la.osd_name), "%s", cec->osd_name);
    if (ioctl(cec->fd, CEC_ADAP_S_LOG_ADDRS, &la) < 0) {
        log_warn("%s: can't claim a playback address: %s", cec->path, strerror(errno));
        return BINGE_EIO;
    }
    return 0;
}

/* Opens path and checks it can take part: it has a CEC adapter that claims its own logical
 * addresses and transmits. */
static int open_adapter(struct input_cec *cec, const char *path, bool loud)
{
    snprintf(cec->path, sizeof(cec->path), "%s", path);
    cec->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (cec->fd < 0) {
        int err = errno;
        if (loud)
            log_warn("can't open %s: %s%s", path, strerror(err),
                     err == EACCES ? " (is binge's user in the video group?)" : "");
        return err == ENOENT ? BINGE_ENOTFOUND : BINGE_EIO;
    }
    struct cec_caps caps;
    if (ioctl(cec->fd, CEC_ADAP_G_CAPS, &caps) < 0) {
        if (loud)
            log_warn("%s: not a CEC adapter (%s)", path, strerror(errno));
        goto fail;
    }
    snprintf(cec->name, sizeof(cec->name), "%s", caps.name);
    if (!(caps.capabilities & CEC_CAP_LOG_ADDRS) || !(caps.capabilities & CEC_CAP_TRANSMIT)) {
        if (loud)
            log_warn("%s (%s): the adapter does not let us claim an address", path, caps.name);
        goto fail;
    }
    uint32_t mode = CEC_MODE_INITIATOR | CEC_MODE_FOLLOWER;
    if (ioctl(cec->fd, CEC_S_MODE, &mode) < 0) {
        log_warn("%s: can't follow: %s", path, strerror(errno));
        goto fail;
    }
    uint16_t phys = CEC_PHYS_ADDR_INVALID;
    if (ioctl(cec->fd, CEC_ADAP_G_PHYS_ADDR, &phys) == 0)
        cec->phys_addr = phys;
    if (claim(cec) < 0)
        goto fail;
    log_info("%s (%s): claiming a playback address as \"%s\"", path, caps.name, cec->osd_name);
    return 0;
fail:
    close(cec->fd);
    cec->fd = -1;
    return BINGE_EIO;
}

int input_cec_new(const struct input_cec_config *config, input_emit_fn emit, void *hub,
                  struct input_cec **out)
{
    struct input_cec *cec = calloc(1, sizeof(*cec));
    if (!cec)
        return BINGE_ENOMEM;
    cec->fd = -1;
    cec->log_addr = -1;
    cec->held = -1;
    cec->phys_addr = CEC_PHYS_ADDR_INVALID;
    cec->emit = emit;
    cec->hub = hub;
    const char *osd =
        config && config->osd_name && config->osd_name[0] ? config->osd_name : "binge";
    snprintf(cec->osd_name, sizeof(cec->osd_name), "%s", osd);
    int rc = BINGE_ENOTFOUND;
    if (config && config->device) {
        rc = open_adapter(cec, config->device, true);
    } else {
        for (int i = 0; i < CEC_MAX_ADAPTERS && rc < 0; i++) {
            char path[32];
            snprintf(path, sizeof(path), "/dev/cec%d", i);
            if (access(path, F_OK) != 0)
                continue;
            rc = open_adapter(cec, path, true);
        }
        if (rc == BINGE_ENOTFOUND)
            log_debug("no /dev/cec* adapter");
    }
    if (rc < 0)
        goto fail;
    dequeue_events(cec); /* the initial state: already claimed when the adapter was ours */
    *out = cec;
    return 0;
fail:
    input_cec_free(cec);
    return rc;
}

void input_cec_free(struct input_cec *cec)
{
    if (!cec)
        return;
    if (cec->fd >= 0)
        close(cec->fd); /* the kernel keeps the addresses claimed: the TV still sees us */
    free(cec);
}

/* ---- the registry's source ---- */

static int source_open(const struct input_source_config *cfg, input_emit_fn emit, void *hub,
                       void **out)
{
    if (cfg->cec_device && !cfg->cec_device[0])
        return BINGE_ENOTFOUND; /* --cec-device "": off */
    struct input_cec_config config = {.device = cfg->cec_device, .osd_name = cfg->osd_name};
    struct input_cec *cec = NULL;
    int rc = input_cec_new(&config, emit, hub, &cec);
    if (rc == 0)
        *out = cec;
    return rc;
}

static size_t source_fds(void *src, struct pollfd *fds, size_t max)
{
    return input_cec_pollfds(src, fds, max);
}

static int64_t source_read(void *src, int64_t now_ms)
{
    input_cec_dispatch(src);
    int t = input_cec_timeout_ms(src);
    return t < 0 ? -1 : now_ms + t; /* both CLOCK_MONOTONIC milliseconds */
}

static void source_close(void *src)
{
    input_cec_free(src);
}

const struct input_source_ops input_source_cec = {
    .name = "cec",
    .open = source_open,
    .fds = source_fds,
    .read = source_read,
    .close = source_close,
};
