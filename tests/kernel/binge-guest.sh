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

ifconfig lo 127.0.0.1 up
export HOME=/tmp XDG_CACHE_HOME=/tmp/cache XDG_CONFIG_HOME=/tmp/config
export ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=/test/lsan-guest.supp
export GST_REGISTRY_FORK=no
# The plugins copied for playbin3 (run-binge-test), where the host has them.
export GST_PLUGIN_SYSTEM_PATH=/usr/lib/x86_64-linux-gnu/gstreamer-1.0
mkdir -p /tmp/ack /tmp/state
cec-ctl -d /dev/cec0 --tv --osd-name TV >/dev/null || fail cec-tv "cec-ctl --tv"

binge-server --listen 127.0.0.1:8080 --db /tmp/db.sqlite --media /content --free-episodes 2 \
    2>/tmp/server.log &
server=$!
binge --headless --server http://127.0.0.1:8080 --state-dir /tmp/state --width 1280 \
    --height 720 --cec-device /dev/cec1 --script /test/binge-script.txt >/tmp/binge.out \
    2>/tmp/binge.log &
binge=$!

if wait_file /tmp/ack/ready.png; then
    pass binge-home
    # evdev: plugged in now (hotplug); each key waits for binge's acknowledgement.
    uinput_remote --name "binge test remote" --wait-file /tmp/binge.log \
        --wait-for "(binge test remote)" KEY_RIGHT@/tmp/ack/evdev-right.png \
        KEY_LEFT@/tmp/ack/evdev-left.png KEY_OK@/tmp/ack/evdev-ok.png \
        KEY_BACK@/tmp/ack/evdev-back.png KEY_RED@/tmp/ack/evdev-red.png \
        KEY_BACK@/tmp/ack/evdev-done.png && pass binge-evdev || fail binge-evdev "see the log"
    # CEC: the TV's remote.
    if wait_file /tmp/ack/evdev-done.png; then
        cec_key right && wait_file /tmp/ack/cec-right.png &&
            cec_key select && wait_file /tmp/ack/cec-select.png &&
            cec_key back && wait_file /tmp/ack/cec-back.png && pass binge-cec ||
            fail binge-cec "see the log"
        cec-ctl -d /dev/cec0 --to 4 --give-osd-name >/tmp/osd.out 2>&1
        grep -q "name: binge" /tmp/osd.out && pass binge-cec-osd-name ||
            { fail binge-cec-osd-name "no 'binge'"; sed 's/^/  osd| /' /tmp/osd.out; }
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
