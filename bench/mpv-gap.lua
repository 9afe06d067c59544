-- Marks every displayed video frame in mpv's log, so that bench/mpv-gaps.awk can measure the
-- gap between two playlist entries on mpv's own clock: from the last frame of one file to
-- mpv's "first video frame after restart shown" of the next. Used by scripts/bench:
--   mpv --vo=null --ao=null --log-file=LOG --script=bench/mpv-gap.lua URL1 URL2 ...
--
-- "time-pos" changes once per displayed frame (and becomes nil when a file ends).

mp.observe_property("time-pos", "number", function(_, pos)
    if pos ~= nil then
        mp.msg.info("bench-frame " .. pos)
    end
end)
