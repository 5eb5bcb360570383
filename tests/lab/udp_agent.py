#!/usr/bin/python3
"""UDP agent for the lab (stdlib only): one bound UDP socket, driven over stdin/stdout.

Runs inside a namespace (a client behind a NAT, or a public host) and keeps its socket, and
so its NAT mapping, for as long as the test needs it. Commands, one per line; each answer is
one JSON line:

    local                      -> {"local": "ip:port"}
    probe IP:PORT [CP] [CI] T  -> {"ok": bool, "from": "ip:port"|null, "seen": "ip:port"|null}
    send IP:PORT TEXT          -> {"ok": true}
    recv T                     -> {"got": [{"from": "ip:port", "data": "..."}, ...]}
    quit

``probe`` sends a udp_echo.py request and waits up to T seconds for the matching answer,
from whichever address it comes. ``recv`` collects every datagram that arrives within T.
"""
import argparse
import itertools
import json
import select
import socket
import sys
import time


def ep(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def fmt(addr):
    return f"{addr[0]}:{addr[1]}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", default="0.0.0.0:0")
    args = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(ep(args.bind))
    tokens = itertools.count(1)
    backlog = []  # datagrams that arrived while waiting for something else

    def out(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def wait(deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([sock], [], [], left)
        if not ready:
            return None
        data, src = sock.recvfrom(4096)
        return data.decode("ascii", "replace"), src

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        if cmd == "quit":
            break
        if cmd == "local":
            out({"local": fmt(sock.getsockname())})
        elif cmd == "probe":
            dst, flags, timeout = ep(words[1]), words[2:-1], float(words[-1])
            token = f"t{next(tokens)}"
            sock.sendto(" ".join(["PROBE", token] + flags).encode(), dst)
            deadline = time.monotonic() + timeout
            result = {"ok": False, "from": None, "seen": None}
            while True:
                got = wait(deadline)
                if got is None:
                    break
                data, src = got
                parts = data.split()
                if len(parts) == 3 and parts[0] == "SEEN" and parts[1] == token:
                    result = {"ok": True, "from": fmt(src), "seen": parts[2]}
                    break
                backlog.append({"from": fmt(src), "data": data})
            out(result)
        elif cmd == "send":
            sock.sendto(" ".join(words[2:]).encode(), ep(words[1]))
            out({"ok": True})
        elif cmd == "recv":
            deadline = time.monotonic() + float(words[1])
            got_all, backlog = backlog, []
            while True:
                got = wait(deadline)
                if got is None:
                    break
                got_all.append({"from": fmt(got[1]), "data": got[0]})
            out({"got": got_all})
        else:
            out({"error": f"unknown command {cmd}"})


if __name__ == "__main__":
    main()
