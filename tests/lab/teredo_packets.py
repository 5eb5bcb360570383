#!/usr/bin/python3
"""Teredo packets built independently of shipworm's C++ codecs (RFC 4380 §4, §5.1.1;
RFC 4861; RFC 4443), for lab tests that send valid and hostile datagrams, and a sender:

    teredo_packets.py send --to IP:PORT [--spoof IP:PORT | --bind-port N] [--count N] HEX...

sends each payload (hex) as one UDP datagram; with --spoof the IPv4/UDP headers are built
by hand on a raw socket so the source can be any address (the lab's own namespaces only).
"""
import argparse
import ipaddress
import socket
import struct
import sys

TEREDO_PREFIX = 0x20010000


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def v6(a):
    return ipaddress.IPv6Address(a).packed


def teredo(server, mapped, port, flags=0):
    b = struct.pack("!I", TEREDO_PREFIX) + ipaddress.IPv4Address(server).packed
    b += struct.pack("!HH", flags, port ^ 0xFFFF)
    b += bytes(x ^ 0xFF for x in ipaddress.IPv4Address(mapped).packed)
    return str(ipaddress.IPv6Address(b))


def ipv6(src, dst, nh, hlim, payload, plen=None):
    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB", 6 << 28, plen, nh, hlim) + v6(src) + v6(dst) + payload


def icmp6(src, dst, typ, code, body, hlim=255, bad_checksum=False):
    msg = bytes([typ, code, 0, 0]) + body
    pseudo = v6(src) + v6(dst) + struct.pack("!I3xB", len(msg), 58)
    c = csum(pseudo + msg) ^ (0x0101 if bad_checksum else 0)
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    return ipv6(src, dst, 58, hlim, msg)


def rs(src="fe80::ffff:ffff:ffff", **kw):
    return icmp6(src, "ff02::2", 133, 0, b"\0" * 4, **kw)


def echo(src, dst, data=b"shipworm", hlim=64, request=True, ident=7, seq=1):
    return icmp6(src, dst, 128 if request else 129, 0, struct.pack("!HH", ident, seq) + data,
                 hlim=hlim)


def bubble(src, dst, hlim=0):
    return ipv6(src, dst, 59, hlim, b"")


def auth(nonce=b"\x01\x02\x03\x04\x05\x06\x07\x08", confirmation=0):
    return b"\x00\x01\x00\x00" + nonce + bytes([confirmation])


def origin(ip, port):
    return b"\x00\x00" + struct.pack("!H", port ^ 0xFFFF) + bytes(
        x ^ 0xFF for x in ipaddress.IPv4Address(ip).packed)


def spoofed_udp(src, dst, payload, bad_udp_checksum=False):
    """An IPv4 + UDP datagram from (ip, port) src to dst; checksums: the kernel fills the
    IPv4 one, the UDP one is 0 (allowed over IPv4, RFC 768), or a wrong non-zero one."""
    check = 0
    if bad_udp_checksum:
        pseudo = (ipaddress.IPv4Address(src[0]).packed + ipaddress.IPv4Address(dst[0]).packed +
                  struct.pack("!BBH", 0, 17, 8 + len(payload)))
        good = csum(pseudo + struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload)
        check = (good or 0xFFFF) ^ 0x0101
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), check) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     ipaddress.IPv4Address(src[0]).packed, ipaddress.IPv4Address(dst[0]).packed)
    return ip + udp


def endpoint(text):
    ip, _, port = text.rpartition(":")
    return ip, int(port)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--to", required=True, type=endpoint)
    s.add_argument("--spoof", type=endpoint)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--bad-udp-checksum", action="store_true", help="with --spoof")
    s.add_argument("--bind-port", type=int, default=0, help="UDP source port (not with --spoof)")
    s.add_argument("payloads", nargs="+")
    a = ap.parse_args()
    payloads = [bytes.fromhex(p) for p in a.payloads]
    if a.spoof:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        for _ in range(a.count):
            for p in payloads:
                sock.sendto(spoofed_udp(a.spoof, a.to, p, a.bad_udp_checksum), (a.to[0], 0))
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("0.0.0.0", a.bind_port))
        for _ in range(a.count):
            for p in payloads:
                sock.sendto(p, a.to)
    print(len(payloads) * a.count)


if __name__ == "__main__":
    sys.exit(main())
