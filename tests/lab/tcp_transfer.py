#!/usr/bin/python3
"""A TCP transfer whose bytes can be checked end to end (lab helper).

    tcp_transfer.py receive --port P [--bind ADDR]    accepts one connection, reads to EOF,
                                                      prints '<bytes> <sha256>'
    tcp_transfer.py send --to ADDR --port P --bytes N [--seed S]
                                                      connects, sends N pseudo-random bytes
                                                      (seeded: both ends can agree on them),
                                                      closes, prints '<bytes> <sha256>'

IPv6 only (the lab's Teredo and native addresses). Standard library only.
"""
import argparse
import hashlib
import random
import socket
import sys


def receive(a):
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.bind, a.port))
    srv.listen(1)
    srv.settimeout(a.timeout)
    conn, _ = srv.accept()
    conn.settimeout(a.timeout)
    h, n = hashlib.sha256(), 0
    while True:
        chunk = conn.recv(1 << 16)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
    print(n, h.hexdigest(), flush=True)


def send(a):
    rng = random.Random(a.seed)
    s = socket.create_connection((a.to, a.port), timeout=a.timeout)
    h, left = hashlib.sha256(), a.bytes
    while left:
        # Odd-sized writes, so segment boundaries fall everywhere.
        chunk = rng.randbytes(min(left, rng.randint(1, 1 << 17)))
        s.sendall(chunk)
        h.update(chunk)
        left -= len(chunk)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)  # wait for the receiver's close, so the transfer is complete when we exit
    s.close()
    print(a.bytes, h.hexdigest(), flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("receive")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--bind", default="::")
    r.add_argument("--timeout", type=float, default=30)
    s = sub.add_parser("send")
    s.add_argument("--to", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--bytes", type=int, required=True)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--timeout", type=float, default=30)
    a = ap.parse_args()
    receive(a) if a.cmd == "receive" else send(a)


if __name__ == "__main__":
    sys.exit(main())
