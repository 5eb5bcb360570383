#!/usr/bin/python3
"""STUN-like UDP echo helper for the lab's public hosts (stdlib only).

Runs inside a public namespace, bound to one address and two ports. Requests are text:

    PROBE <token> [CP] [CI]

It answers ``SEEN <token> <ip>:<port>`` carrying the source address:port it saw.  The
answer normally leaves from the socket that got the request.  ``CP`` ("change port") makes
it leave from the other port; ``CI`` ("change IP") hands the answer to the peer helper
(``--peer``), which sends it from its own address (the same port index, or the other one
with ``CP`` as well).  This is the classic RFC 3489 change-request test, enough to tell
endpoint-independent, address-dependent and address-and-port-dependent filtering apart.
"""
import argparse
import selectors
import socket
import sys


def parse_endpoint(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", required=True, help="IPv4 address to bind")
    ap.add_argument("--ports", default="3478,3479", help="two ports, comma separated")
    ap.add_argument("--peer", help="IP:PORT of the peer helper used for CI requests")
    args = ap.parse_args()

    ports = [int(p) for p in args.ports.split(",")]
    assert len(ports) == 2, "need exactly two ports"
    socks = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((args.addr, port))
        socks.append(s)
    peer = parse_endpoint(args.peer) if args.peer else None
    peer_ip = peer[0] if peer else None

    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        sel.register(s, selectors.EVENT_READ, i)
    print(f"udp_echo ready on {args.addr} ports {ports}", flush=True)

    while True:
        for key, _ in sel.select():
            idx = key.data
            data, src = socks[idx].recvfrom(2048)
            words = data.decode("ascii", "replace").split()
            if not words:
                continue
            if words[0] == "PROBE" and len(words) >= 2:
                token, flags = words[1], set(words[2:])
                out_idx = 1 - idx if "CP" in flags else idx
                answer = f"SEEN {token} {src[0]}:{src[1]}".encode()
                if "CI" in flags:
                    if peer is None:
                        continue
                    relay = f"RELAY {token} {src[0]}:{src[1]} {out_idx}"
                    socks[idx].sendto(relay.encode(), peer)
                else:
                    socks[out_idx].sendto(answer, src)
            elif words[0] == "RELAY" and len(words) == 4 and src[0] == peer_ip:
                # Sent by the peer helper: answer the client from this host's address.
                token, target, out_idx = words[1], parse_endpoint(words[2]), int(words[3])
                answer = f"SEEN {token} {words[2]}".encode()
                socks[out_idx].sendto(answer, target)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
