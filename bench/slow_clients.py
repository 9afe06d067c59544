#!/usr/bin/env python3
"""Slow-client (slowloris) load for binge-server benchmarks: holds N connections that each send a
request line and then one header line every --interval seconds, never finishing the request.
A connection the server closes is opened again after --reconnect seconds, so the attack keeps
N connections going for as long as it runs. The connections are spread over the source
addresses 127.0.0.<first>.. (--addresses of them), bound before connect, so that a per-address
limit alone cannot stop them.

Runs until SIGTERM/SIGINT or --duration, then prints one line of counts to stdout:
  opened=... closed_by_server=... refused=... lines_sent=...
Python 3 standard library only."""

import argparse
import errno
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--clients", type=int, default=300)
    ap.add_argument("--addresses", type=int, default=100, help="source addresses to spread over")
    ap.add_argument("--first", type=int, default=2, help="first source address 127.0.0.FIRST")
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between header lines")
    ap.add_argument("--reconnect", type=float, default=0.5, help="seconds before reopening")
    ap.add_argument("--duration", type=float, default=0.0, help="0: until a signal")
    args = ap.parse_args()
    if not 1 <= args.first or args.first + args.addresses - 1 > 254:
        ap.error("source addresses must stay within 127.0.0.1..254")

    stop = False

    def on_signal(_sig, _frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    sel = selectors.DefaultSelector()
    head = b"GET /v1/home HTTP/1.1\r\nHost: %s\r\nUser-Agent: slow-client\r\n" % args.host.encode()
    # slot -> [socket or None, next action time, lines sent on it]
    slots = [[None, 0.0, 0] for _ in range(args.clients)]
    counts = {"opened": 0, "closed_by_server": 0, "refused": 0, "lines_sent": 0}
    start = time.monotonic()

    def drop(i, by_server):
        s = slots[i][0]
        if s is not None:
            try:
                sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()
        slots[i][0] = None
        slots[i][1] = time.monotonic() + args.reconnect
        if by_server:
            counts["closed_by_server"] += 1

    def open_slot(i):
        src = "127.0.0.%d" % (args.first + i % args.addresses)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src, 0))
            err = s.connect_ex((args.host, args.port))
            if err not in (0, errno.EINPROGRESS):
                raise OSError(err, "connect")
        except OSError:
            s.close()
            counts["refused"] += 1
            slots[i][1] = time.monotonic() + args.reconnect
            return
        slots[i][0] = s
        slots[i][1] = time.monotonic()  # the request line goes out at the next turn
        slots[i][2] = -1
        sel.register(s, selectors.EVENT_READ, i)
        counts["opened"] += 1

    while not stop and (args.duration <= 0 or time.monotonic() - start < args.duration):
        now = time.monotonic()
        for i, slot in enumerate(slots):
            if slot[1] > now:
                continue
            if slot[0] is None:
                open_slot(i)
                continue
            data = head if slot[2] < 0 else b"X-Slow-%d: %d\r\n" % (slot[2], slot[2])
            try:
                slot[0].send(data)
            except BlockingIOError:
                slot[1] = now + 0.1  # still connecting
                continue
            except OSError:
                drop(i, True)
                continue
            slot[2] += 1
            if slot[2] > 0:
                counts["lines_sent"] += 1
            slot[1] = now + args.interval
        # Anything readable is the server giving up on us: an error page or the end of stream.
        for key, _ in sel.select(timeout=0.05):
            i = key.data
            try:
                data = slots[i][0].recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data or data.startswith(b"HTTP/"):
                drop(i, True)
    for i in range(len(slots)):
        drop(i, False)
    print(" ".join("%s=%d" % kv for kv in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
