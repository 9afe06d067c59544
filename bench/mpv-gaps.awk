# Reads an mpv log written with bench/mpv-gap.lua and prints one gap a line, in ms: from the
# last "bench-frame" of a playlist entry to the "first video frame after restart shown" of the
# next one. Log lines start with "[ seconds ]". Used by scripts/bench.
function ts() { return substr($0, 2, index($0, "]") - 2) + 0 }
/\] Playing: / { if (files++ > 0) { want = 1; before = last }; next }
/bench-frame/ { last = ts(); next }
/first video frame after restart shown/ {
    if (want && before != "") printf "%d\n", (ts() - before) * 1000 + 0.5
    want = 0
}
