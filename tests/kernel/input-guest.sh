# Runs in the guest (kguest's /init, busybox sh): the evdev source against /dev/uinput and the
# CEC source against vivid's emulated adapters. Prints "PASS <case>" or "FAIL <case>: why" and
# exits with the number of failed cases.
failed=0
pass() { echo "PASS $1"; }
fail() {
    echo "FAIL $1: $2"
    failed=$((failed + 1))
}

# Waits (a bound, not a budget) until FILE has a line containing TEXT.
wait_for() {
    i=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 1200 ] && return 1
        usleep 50000
    done
    return 0
}

# Shows a file in the log, each line prefixed.
show() { sed "s/^/  $2| /" "$1"; }

# --- evdev: hotplug, the keys of a remote, the kernel's repeat ignored, unplug, plug again ---
echo "== evdev"
kinput_probe evdev --out /tmp/evdev.out --count 34 2>/tmp/evdev.log &
probe=$!
if wait_for /tmp/evdev.out READY; then
    # A mouse and a power button plugged in: looked at and left alone (not remotes).
    for kind in mouse power; do
        uinput_remote --kind $kind --name "binge test $kind" --wait-file /tmp/evdev.log \
            --wait-for "(binge test $kind): no remote keys, not read" ||
            fail evdev-not-remote "binge test $kind not looked at and skipped"
    done
    # Last, while the reader is stopped (a busy UI thread): RIGHT held, its repeats overflow
    # the kernel's buffer for the reader (SYN_DROPPED), then released, and OK tapped. The
    # reader must get RIGHT's release and the whole OK. Then a key pressed twice across such an
    # overflow: INFO held (read), released and RIGHT flooded while the reader is stopped (INFO's
    # release is lost), INFO tapped again: its second press must not be taken for a repeat of
    # the first (the reader gets INFO's release, then the whole second INFO, its press fresh: past
    # the hub's IR double-press filter). MENU: the end.
    uinput_remote --name "binge test remote" --wait-file /tmp/evdev.out \
        --wait-for "OPEN binge test remote ir=0" --wait-done "KEY evdev KEY_MENU release" \
        --pause-pid $probe KEY_UP KEY_DOWN KEY_OK KEY_BACK KEY_RIGHT:hold KEY_RED KEY_GREEN \
        KEY_YELLOW KEY_BLUE "await=KEY_BLUE release" pause KEY_RIGHT:flood KEY_RIGHT:up KEY_OK resume \
        KEY_INFO:down "await=KEY_INFO press" pause KEY_INFO:up KEY_RIGHT:flood KEY_RIGHT:up \
        KEY_INFO KEY_MENU resume ||
        fail evdev-type "the first remote"
    wait_for /tmp/evdev.out "CLOSE binge test remote" || fail evdev-unplug "no CLOSE"
    # The second remote is removed with KEY_LEFT still down, while the reader is stopped (busy):
    # its hold must end (the kernel queues the release, but evdev answers ENODEV instead of
    # handing it out, and inotify says the node went away first).
    uinput_remote --name "binge test remote" --wait-file /tmp/evdev.out \
        --wait-for "KEY_OK release" --wait-done "KEY evdev KEY_LEFT press" --stop-pid $probe \
        KEY_CHANNELUP KEY_LEFT:down || fail evdev-type "the second remote"
fi
wait $probe
rc=$?
[ $rc -eq 0 ] || fail evdev-probe "kinput_probe exited $rc"
show /tmp/evdev.out out
grep -q '^KEY ' /tmp/evdev.out || show /tmp/evdev.log log
grep '^KEY ' /tmp/evdev.out >/tmp/evdev.keys
cat >/tmp/evdev.want <<'WANT'
KEY evdev KEY_UP press
KEY evdev KEY_UP release
KEY evdev KEY_DOWN press
KEY evdev KEY_DOWN release
KEY evdev KEY_OK press
KEY evdev KEY_OK release
KEY evdev KEY_BACK press
KEY evdev KEY_BACK release
KEY evdev KEY_RIGHT press
KEY evdev KEY_RIGHT release
KEY evdev KEY_RED press
KEY evdev KEY_RED release
KEY evdev KEY_GREEN press
KEY evdev KEY_GREEN release
KEY evdev KEY_YELLOW press
KEY evdev KEY_YELLOW release
KEY evdev KEY_BLUE press
KEY evdev KEY_BLUE release
KEY evdev KEY_RIGHT press
KEY evdev KEY_RIGHT release
KEY evdev KEY_OK press
KEY evdev KEY_OK release
KEY evdev KEY_INFO press
KEY evdev KEY_RIGHT press
KEY evdev KEY_RIGHT release
KEY evdev KEY_INFO release
KEY evdev KEY_INFO press fresh
KEY evdev KEY_INFO release
KEY evdev KEY_MENU press
KEY evdev KEY_MENU release
KEY evdev KEY_CHANNELUP press
KEY evdev KEY_CHANNELUP release
KEY evdev KEY_LEFT press
KEY evdev KEY_LEFT release
WANT
if cmp -s /tmp/evdev.keys /tmp/evdev.want; then pass evdev-keys; else fail evdev-keys "keys differ"; fi
# Plugged twice, unplugged twice: one OPEN and one CLOSE each time, nothing more.
[ "$(grep -c '^OPEN binge test remote ir=0' /tmp/evdev.out)" = 2 ] &&
    [ "$(grep -c '^CLOSE binge test remote' /tmp/evdev.out)" -le 2 ] &&
    pass evdev-hotplug || fail evdev-hotplug "OPEN/CLOSE lines"
# vivid's rc-cec input devices come from rc-core: IR receivers. The AT keyboard is not.
grep -q '^OPEN vivid-000-vid-cap0 ir=1' /tmp/evdev.out && pass evdev-rc-core ||
    fail evdev-rc-core "vivid's rc device not taken as IR"
if ! grep -q 'AT Translated Set 2 keyboard' /proc/bus/input/devices; then
    echo "SKIP evdev-keyboard: no AT keyboard on this board"
elif grep -q '^OPEN AT Translated Set 2 keyboard ir=0' /tmp/evdev.out; then
    pass evdev-keyboard
else
    fail evdev-keyboard "the AT keyboard not opened"
fi
grep -q '^OPEN binge test \(mouse\|power\)' /tmp/evdev.out &&
    fail evdev-not-remote "a mouse or a power button was opened" || pass evdev-not-remote
# An unplugged device is closed once, not read again in a loop: a bounded log.
n=$(grep -c 'closed' /tmp/evdev.log)
[ "$n" -le 2 ] && pass evdev-no-storm || fail evdev-no-storm "$n 'closed' lines"

# --evdev-grab: the grabbing reader gets the keys, a second reader none, until the grab ends
# (the grabbing reader exits after its two events); then the second reader gets the next key.
echo "== evdev grab"
(
    kinput_probe evdev --out /tmp/shared.out --count 2 2>/tmp/shared.log
    echo done >/tmp/shared.done
) &
shared=$!
(
    kinput_probe evdev --grab --out /tmp/grab.out --count 2 2>/tmp/grab.log
    wait_for /tmp/shared.out "OPEN binge test remote"
    echo done >/tmp/grab.done
) &
wait_for /tmp/shared.out READY && wait_for /tmp/grab.out READY &&
    uinput_remote --name "binge test remote" --wait-file /tmp/grab.out \
        --wait-for "OPEN binge test remote" KEY_UP@/tmp/grab.done KEY_DOWN@/tmp/shared.done ||
        fail evdev-grab "typing"
wait $shared
printf 'KEY evdev KEY_UP press\nKEY evdev KEY_UP release\n' >/tmp/grab.want
printf 'KEY evdev KEY_DOWN press\nKEY evdev KEY_DOWN release\n' >/tmp/shared.want
grep '^KEY ' /tmp/grab.out | cmp -s - /tmp/grab.want &&
    grep '^KEY ' /tmp/shared.out | cmp -s - /tmp/shared.want && pass evdev-grab ||
    { fail evdev-grab "keys"; show /tmp/grab.out grab; show /tmp/shared.out shared; }

# --- CEC: vivid's adapters: cec0 is the HDMI input (the TV, 0.0.0.0), cec1 the output ---
echo "== cec"
cec-ctl -d /dev/cec0 --tv --osd-name TV >/dev/null || fail cec-tv "cec-ctl --tv"
cec-ctl -d /dev/cec0 --monitor >/tmp/monitor.out 2>&1 &
monitor=$!
kinput_probe cec --device /dev/cec1 --osd-name binge --out /tmp/cec.out --count 10 \
    2>/tmp/cec.log &
probe=$!
if wait_for /tmp/cec.out CLAIMED; then
    pass cec-claim
    cec-ctl -d /dev/cec0 --to 4 --give-osd-name >/tmp/osd.out 2>&1
    grep -q "name: binge" /tmp/osd.out && pass cec-osd-name ||
        { fail cec-osd-name "no 'binge'"; show /tmp/osd.out osd; }
    cec-ctl -d /dev/cec0 --to 4 --give-device-power-status >/tmp/pwr.out 2>&1
    grep -q "pwr-state: on" /tmp/pwr.out && pass cec-power-status ||
        { fail cec-power-status "no 'on'"; show /tmp/pwr.out pwr; }
    cec-ctl -d /dev/cec0 --to 4 --give-deck-status status-req=once >/tmp/deck.out 2>&1
    grep -q "FEATURE_ABORT" /tmp/deck.out && pass cec-feature-abort ||
        { fail cec-feature-abort "no Feature Abort"; show /tmp/deck.out deck; }
    for k in up select back; do
        cec-ctl -d /dev/cec0 --to 4 --user-control-pressed ui-cmd=$k \
            --user-control-released >/dev/null || fail cec-send "$k"
    done
    # A hold: the TV repeats Pressed while the key is down, then Released. The reader is
    # stopped meanwhile (a busy UI thread) and finds the four messages at once: otherwise a
    # guest stalled for 550 ms on a loaded host between two Pressed would end the hold by the
    # safety timeout and fail the test (as it should, live: the timing is the TV's).
    kill -STOP $probe
    cec-ctl -d /dev/cec0 --to 4 --user-control-pressed ui-cmd=right \
        --user-control-pressed ui-cmd=right --user-control-pressed ui-cmd=right \
        --user-control-released >/dev/null || fail cec-send hold
    kill -CONT $probe
    # A lost Released: the hold ends by itself (the follower safety timeout).
    cec-ctl -d /dev/cec0 --to 4 --user-control-pressed ui-cmd=left >/dev/null ||
        fail cec-send lost-release
else
    fail cec-claim "no logical address"
fi
wait $probe
rc=$?
[ $rc -eq 0 ] || fail cec-probe "kinput_probe exited $rc"
kill $monitor
show /tmp/cec.out out
grep '^KEY ' /tmp/cec.out >/tmp/cec.keys
cat >/tmp/cec.want <<'WANT'
KEY cec UP press
KEY cec UP release
KEY cec SELECT press
KEY cec SELECT release
KEY cec BACK press
KEY cec BACK release
KEY cec RIGHT press
KEY cec RIGHT release
KEY cec LEFT press
KEY cec LEFT release
WANT
if cmp -s /tmp/cec.keys /tmp/cec.want; then pass cec-keys; else
    fail cec-keys "keys differ"
    show /tmp/cec.log log
fi
grep -A3 'ACTIVE_SOURCE' /tmp/monitor.out | grep -q 'phys-addr: 1.0.0.0' &&
    pass cec-active-source || { fail cec-active-source "the TV saw no Active Source"; show /tmp/monitor.out mon; }
# An adapter that goes away (a USB adapter pulled; here vivid's device unbound, which
# unregisters both adapters): the source closes it, once, and the UI thread's poll stops
# waking on its hung-up fd (kinput_probe exits 4 when it woke 1000 times in a row on it).
echo "== cec gone"
kinput_probe cec --device /dev/cec1 --out /tmp/gone.out --until-gone 2>/tmp/gone.log &
probe=$!
if wait_for /tmp/gone.out CLAIMED; then
    echo vivid.0 >/sys/bus/platform/drivers/vivid/unbind || fail cec-gone "can't unbind vivid"
    wait $probe
    rc=$?
    n=$(grep -c 'went away' /tmp/gone.log)
    [ $rc -eq 0 ] && grep -q '^GONE' /tmp/gone.out && [ "$n" = 1 ] && pass cec-gone ||
        { fail cec-gone "probe exited $rc, $n 'went away' lines"; show /tmp/gone.out out; }
else
    fail cec-gone "no logical address"
    kill $probe
fi
exit $failed
