#!/usr/bin/python3
"""Minimal ICMPv6 echo ("ping -6") for the lab, stdlib only (iputils-ping is not a lab
dependency). Run inside a namespace:

    ping6.py DST [--count N] [--interval S] [--deadline S] [--size BYTES] [--until-first]

Prints one JSON line: {"sent": n, "received": m, "rtts_ms": [...], "from": [...], "errors": [...],
"first_reply_at": t} where errors lists ICMPv6 error messages (type/code/source) that came
back instead, and t is CLOCK_MONOTONIC (time.monotonic(), the same in every namespace) when
the first reply arrived, or null. --until-first stops at the first reply.
Exit status 0 when at least one reply came back, 1 otherwise.
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import time

ECHO_REQUEST, ECHO_REPLY = 128, 129


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dst")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--deadline", type=float, default=10.0,
                    help="give up this many seconds after the first request")
    ap.add_argument("--size", type=int, default=56)
    ap.add_argument("--until-first", action="store_true", help="stop at the first reply")
    args = ap.parse_args()

    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    ident = os.getpid() & 0xFFFF
    payload = bytes(i & 0xFF for i in range(args.size))
    sent, received, rtts, sources, errors = 0, set(), [], [], []
    sent_at = {}
    first_reply_at = None
    start = time.monotonic()
    next_send = start
    while True:
        now = time.monotonic()
        if now - start > args.deadline or len(received) == args.count:
            break
        if args.until_first and received:
            break
        if sent < args.count and now >= next_send:
            seq = sent + 1
            # The kernel fills in the ICMPv6 checksum on raw ICMPv6 sockets.
            pkt = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, seq) + payload
            try:
                s.sendto(pkt, (args.dst, 0))
            except OSError as e:
                errors.append({"send_error": str(e)})
            sent_at[seq] = now
            sent += 1
            next_send = now + args.interval
        wait = max(0.0, min(next_send if sent < args.count else start + args.deadline,
                            start + args.deadline) - time.monotonic())
        ready, _, _ = select.select([s], [], [], wait)
        if not ready:
            continue
        data, src = s.recvfrom(65535)
        if len(data) < 8:
            continue
        typ, code, _, rid, rseq = struct.unpack_from("!BBHHH", data)
        if typ == ECHO_REPLY and rid == ident and rseq in sent_at and rseq not in received:
            received.add(rseq)
            if first_reply_at is None:
                first_reply_at = time.monotonic()
            rtts.append(round((time.monotonic() - sent_at[rseq]) * 1000, 3))
            sources.append(src[0])
        elif typ < 128 and len(data) >= 8 + 40 + 8:
            # An error quoting one of our requests (inner ICMPv6 header after the IPv6 one).
            inner = data[8 + 40:8 + 48]
            ityp, _, _, iid, _ = struct.unpack("!BBHHH", inner)
            if ityp == ECHO_REQUEST and iid == ident:
                errors.append({"type": typ, "code": code, "from": src[0]})
    print(json.dumps({"sent": sent, "received": len(received), "rtts_ms": rtts,
                      "from": sorted(set(sources)), "errors": errors,
                      "first_reply_at": first_reply_at}), flush=True)
    return 0 if received else 1


if __name__ == "__main__":
    sys.exit(main())
