# Runs in the guest (kguest's /init): binge itself, headless against binge-server on the
# guest's loopback, driven by a /dev/uinput remote (the evdev source, found by hotplug) and by
# cec-ctl as the TV on vivid's other CEC adapter. binge's script (binge-script.txt) waits for
# each move of its state and takes a screenshot as the acknowledgement the remote waits for
# before its next key. Prints PASS/FAIL lines; exits with the number of failures.
failed=0
pass() { echo "PASS $1"; }
fail() {
    echo "FAIL $1: $2"
    failed=$((failed + 1))
}
# Waits (a bound, not a budget) until FILE exists and is not empty; gives up at once when
# binge is gone.
wait_file() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1))
        [ $i -gt 2400 ] && return 1
        kill -0 "$binge" 2>/dev/null || return 1
        usleep 50000
    done
}
cec_key() { cec-ctl -d /dev/cec0 --to 4 --user-control-pressed ui-cmd=$1 --user-control-released >/dev/null; }
# A hold as a TV sends it: Pressed again every 100 ms (CEC wants one within 450 ms) until
# binge acknowledges (FILE), then Released. Prints how many Pressed were sent.
cec_hold() {
    n=0
    while [ ! -s "$2" ]; do
        n=$((n + 1))
        [ $n -gt 1200 ] && return 1
        kill -0 "$binge" 2>/dev/null || return 1
        cec-ctl -d /dev/cec0 --to 4 --user-control-pressed ui-cmd=$1 >/dev/null || return 1
        usleep 100000
    done
    echo "  cec| hold of $1: $n Pressed"
    cec-ctl -d /dev/cec0 --to 4 --user-control-released >/dev/null
}
# binge answers the TV (while its script waits for the next key): its name is the theme's
# brand, its power status on. Returns 0: the keys go on either way.
cec_answers() {
    cec-ctl -d /dev/cec0 --to 4 --give-osd-name >/tmp/osd.out 2>&1
    grep -q "name: QA Brand TV" /tmp/osd.out && pass binge-cec-osd-name ||
        { fail binge-cec-osd-name "not the theme's 'QA Brand TV'"; sed 's/^/  osd| /' /tmp/osd.out; }
    cec-ctl -d /dev/cec0 --to 4 --give-device-power-status >/tmp/pwr.out 2>&1
    grep -q "pwr-state: on" /tmp/pwr.out && pass binge-cec-power-status ||
        { fail binge-cec-power-status "no 'on'"; sed 's/^/  pwr| /' /tmp/pwr.out; }
}
# A field of binge's Nth state line (1-based): of home's focus (focus_of N item) or of the
# series page (series_of N focus), as "KEY":VALUE.
focus_of() { sed -n "$1p" /tmp/binge.out | grep -o '"focus":{[^}]*}' | grep -o "\"$2\":[^,}]*"; }
series_of() { sed -n "$1p" /tmp/binge.out | grep -o '"series":{[^}]*}' | grep -o "\"$2\":[^,}]*"; }

ifconfig lo 127.0.0.1 up
export HOME=/tmp XDG_CACHE_HOME=/tmp/cache XDG_CONFIG_HOME=/tmp/config
export ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=/test/lsan-guest.supp
export GST_REGISTRY_FORK=no
# The plugins copied for playbin3 (run-binge-test), where the host has them.
export GST_PLUGIN_SYSTEM_PATH=$(cat /test/gst-plugin-dir 2>/dev/null)
mkdir -p /tmp/ack /tmp/state
cec-ctl -d /dev/cec0 --tv --osd-name TV >/dev/null || fail cec-tv "cec-ctl --tv"

binge-server --listen 127.0.0.1:8080 --db /tmp/db.sqlite --media /content --free-episodes 2 \
    2>/tmp/server.log &
server=$!
binge --headless --server http://127.0.0.1:8080 --state-dir /tmp/state --width 1280 \
    --height 720 --cec-device /dev/cec1 --theme /test/kernel.theme --log-level debug \
    --script /test/binge-script.txt >/tmp/binge.out 2>/tmp/binge.log &
binge=$!

# binge's state lines (binge-script.txt's "state", in order) around each hold's release:
# after the OK (select) that followed it, and a second later.
S_EVDEV_REL_A=4 S_EVDEV_REL_B=5 S_CEC_SEL_A=11 S_CEC_SEL_B=12
# A hold's release: the focus that the hold left on home, and the series page's, did not move
# in the second after the key that followed it (A and B); the page is the card's series.
check_release() {
    a=$1 b=$2 what=$3
    item=$(focus_of $a item)
    if [ -n "$item" ] && [ "$item" = "$(focus_of $b item)" ] &&
        [ "$(series_of $a focus)" = '"focus":"play"' ] &&
        [ "$(series_of $b focus)" = '"focus":"play"' ] &&
        [ "$(focus_of $a series_id | cut -d: -f2)" = "$(series_of $a id | cut -d: -f2)" ]; then
        pass "$what-stops-at-release"
    else
        fail "$what-stops-at-release" "home $(focus_of $a item) then $(focus_of $b item), the page \
$(series_of $a id) $(series_of $a focus) then $(series_of $b focus)"
    fi
}

if wait_file /tmp/ack/ready.png; then
    pass binge-home
    # evdev: plugged in now (hotplug); each key waits for binge's acknowledgement. RIGHT is
    # held (:down) until binge's focus moved twice, the kernel repeating it meanwhile.
    uinput_remote --name "binge test remote" --wait-file /tmp/binge.log \
        --wait-for "(binge test remote)" KEY_DOWN@/tmp/ack/evdev-down.png \
        KEY_UP@/tmp/ack/evdev-up.png KEY_RIGHT:down@/tmp/ack/evdev-hold.png KEY_RIGHT:up \
        KEY_OK@/tmp/ack/evdev-released.png KEY_GREEN@/tmp/ack/evdev-green.png \
        KEY_BACK@/tmp/ack/evdev-back.png KEY_GREEN@/tmp/ack/evdev-green-home.png \
        KEY_RED@/tmp/ack/evdev-red.png KEY_BACK@/tmp/ack/evdev-red-back.png \
        KEY_YELLOW@/tmp/ack/evdev-yellow.png KEY_BACK@/tmp/ack/evdev-yellow-back.png \
        KEY_BLUE@/tmp/ack/evdev-blue.png KEY_BACK@/tmp/ack/evdev-done.png &&
        pass binge-evdev || fail binge-evdev "see the log"
    if wait_file /tmp/ack/evdev-done.png; then
        check_release $S_EVDEV_REL_A $S_EVDEV_REL_B evdev-hold
        # CEC: the TV's remote.
        cec_key up && wait_file /tmp/ack/cec-up.png &&
            cec_key down && wait_file /tmp/ack/cec-down.png &&
            cec_key down && cec_key down && wait_file /tmp/ack/cec-down2.png &&
            cec_answers &&
            cec_hold right /tmp/ack/cec-hold.png &&
            cec_key select && wait_file /tmp/ack/cec-select.png &&
            cec_key back && wait_file /tmp/ack/cec-back.png && pass binge-cec ||
            fail binge-cec "see the log"
        [ -s /tmp/ack/cec-select.png ] && check_release $S_CEC_SEL_A $S_CEC_SEL_B cec-hold
    fi
else
    fail binge-home "home never got ready"
fi
wait $binge
rc=$?
[ $rc -eq 0 ] && pass binge-exit || fail binge-exit "binge exited $rc"
kill $server
sed 's/^/  state| /' /tmp/binge.out
grep -E 'evdev|cec|input|ERROR|runtime error|Sanitizer' /tmp/binge.log | sed 's/^/  log| /'
[ $failed -eq 0 ] || { sed 's/^/  binge| /' /tmp/binge.log | tail -80; sed 's/^/  server| /' /tmp/server.log | tail -20; }
exit $failed
