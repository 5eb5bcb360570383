#!/usr/bin/python3
"""`shipworm server` in the lab (issue 4).

    test_server.py native KIND   a Miredo client behind a KIND NAT qualifies against
                                 shipworm server and pings the native IPv6 host through a
                                 Miredo relay; the ping test passes through our server;
                                 tshark finds no malformed packet in the server's capture
    test_server.py peers         Miredo clients behind three cone/restricted NATs reach
                                 each other (their bubbles go through our server)
    test_server.py hostile       malformed and hostile datagrams are dropped and counted
                                 by name, and the server keeps serving
    test_server.py --xdp ...     the same with the server's AF_XDP fast path on its eth0
                                 (XdpInterface): the RSs arrive and the RAs leave as frames
                                 (the status counts them), captured and checked by tshark
                                 outside the server (its own tcpdump cannot see AF_XDP
                                 traffic), and frames with a wrong UDP checksum are counted
"""
import json
import os
import re
import signal
import sys
import time

os.environ.setdefault("IMPL_SERVER", "shipworm")
import lab as L  # noqa: E402
import teredo_packets as T  # noqa: E402
import test_miredo as M  # noqa: E402

ATTACKER_IP = "203.0.113.66"
SRV1, SRV2 = L.SERVER_IPS
SERVER = (SRV1, 3544)
TOKENS = {"full-cone": "sfc", "address-restricted": "sar", "port-restricted": "spr",
          "direct": "sdi", "symmetric": "ssy", "peers": "spe", "hostile": "sho"}
XDP_TOKENS = {"full-cone": "xfc", "address-restricted": "xar", "port-restricted": "xpr",
              "direct": "xdi", "symmetric": "xsy", "peers": "xpe", "hostile": "xho"}
XDP = False  # --xdp: the server runs with XdpInterface eth0


def server_status(lab, server):
    out = server.run(L.shipworm_bin(), "status", "--json", "--control",
                     lab.control_socket(server, "server"))
    return json.loads(out)


def xdp_used(lab, check, server):
    """The AF_XDP path, not the kernel's sockets, carried the exchange."""
    x = server_status(lab, server).get("xdp") or {}
    check.that(x.get("interface") == "eth0" and x.get("frames_in", 0) >= 1
               and x.get("frames_out", 0) >= 1,
               "status: the AF_XDP fast path received frames and sent RAs as frames", x)


def tshark_clean(lab, check, pcap, what):
    """Every Teredo datagram in the capture dissects without a malformed/error mark."""
    teredo = L.sh("tshark", "-r", pcap, "-n", "-Y", "teredo or ipv6", check=False)
    bad = L.sh("tshark", "-r", pcap, "-n", "-Y", "_ws.malformed or _ws.expert.severity >= error",
               check=False)
    n = len([x for x in teredo.splitlines() if x.strip()])
    check.that(n > 0, f"{what}: tshark dissects Teredo/IPv6 in the capture", n)
    check.that(not bad.strip(), f"{what}: tshark reports no malformed packets", bad[:2000])


def frames_checksums_good(check, pcap):
    """The server's RAs, built as frames by wire/udp_frame rather than by the kernel, carry
    IPv4 and UDP checksums that tshark verifies as good. (What the kernel sends through a
    veth, including the server's forwarded bubbles, carries pending-offload checksums, so
    only the RAs are judged.)"""
    def count(status):
        out = L.sh("tshark", "-r", pcap, "-n", "-o", "udp.check_checksum:TRUE", "-o",
                   "ip.check_checksum:TRUE", "-Y",
                   f"(ip.src == {SRV1} || ip.src == {SRV2}) && udp.srcport == 3544 && "
                   f"icmpv6.type == 134 && ({status})", check=False)
        return len([x for x in out.splitlines() if x.strip()])
    good = count("udp.checksum.status == 1 && ip.checksum.status == 1")
    bad = count("(udp.checksum.status == 0 || ip.checksum.status == 0)")
    check.that(good >= 1 and bad == 0, "the server's frames have good IPv4 and UDP checksums",
               f"good {good}, bad {bad}")


def counters(lab, rp):
    """Ask the server to log its counters (SIGUSR1) and parse 'dropped NAME: N' lines."""
    before = len(rp.log_text())
    os.kill(rp.proc.pid, signal.SIGUSR1)
    text = L.wait_for("counters in the server log",
                      lambda: (t := rp.log_text()[before:]) and "datagrams" in t and t, 5)
    drops = {m.group(1): int(m.group(2)) for m in re.finditer(r"dropped (\w+): (\d+)", text)}
    totals = re.search(r"datagrams (\d+), RS (\d+), RA (\d+)", text)
    return drops, tuple(int(x) for x in totals.groups()) if totals else None


def native(kind):
    inner = M.native(kind)

    def body(lab, check):
        inner(lab, check)
        if XDP:
            # AF_XDP frames bypass the server's own packet taps: check them where they
            # cross the NAT's WAN link (the RS in, the RAs built by wire/udp_frame out).
            nat = lab.hosts.get("nat1")
            if nat is not None:
                pcap = os.path.join(lab.workdir, f"{nat.role}-wan.pcap")
                tshark_clean(lab, check, pcap, "NAT WAN link (AF_XDP frames)")
                frames_checksums_good(check, pcap)
            xdp_used(lab, check, lab.hosts["srv"])
        tshark_clean(lab, check, os.path.join(lab.workdir, "srv-eth0.pcap"), "server link")
        check.that(lab.shipworm_server.alive(), "shipworm server still running")
        # The ping test went out through the server to the native host (RFC 4380 §5.2.9).
        native_cap = lab.pcap(os.path.join(lab.workdir, "srv-eth6.pcap"),
                              "icmp6 and dst host " + L.NATIVE_V6)
        check.that(len(native_cap) >= 1, "the client's ping test left the server natively "
                   "toward the native host", len(native_cap))
    return body


def peers(lab, check):
    M.peers(lab, check)
    if XDP:  # RSs and RAs as frames; bubbles forwarded to third parties via the kernel
        xdp_used(lab, check, lab.hosts["srv"])


def start_core_with_native_capture(lab):
    core = lab.core()
    lab.capture(core.server, "eth0")
    lab.capture(core.server, "eth6")
    lab.capture(core.relay, "eth0")
    extra = ["RateLimitRs 20", "LogLevel info"] + (["XdpInterface eth0"] if XDP else [])
    lab.shipworm_server = lab.start_role("shipworm", "server", core.server, extra=extra)
    lab.start_role(M.IMPL["relay"], "relay", core.relay)
    return core


def hostile(lab, check):
    core = start_core_with_native_capture(lab)
    rp = lab.shipworm_server
    atk = lab.public_host("atk", (ATTACKER_IP,))
    # Spoofed sources must reach the server: no reverse-path filter in its namespace.
    for dev in ("all", "default", "eth0"):
        core.server.sysctl(f"net.ipv4.conf.{dev}.rp_filter", 0)
    me = T.teredo(SRV1, ATTACKER_IP, 4000)
    other_server_client = T.teredo("192.0.2.1", "192.0.2.77", 5000)
    own_client = T.teredo(SRV1, "192.0.2.77", 5000)
    rs = T.auth() + T.rs()
    cases = {  # expected drop counter -> payloads sent from ATTACKER_IP:4000
        "ipv6_truncated_header": [T.rs()[:20]],
        "unknown_encapsulation": [bytes.fromhex("4500001c0000")],
        "ipv6_length_exceeds_datagram": [T.ipv6(me, own_client, 59, 0, b"", plen=100)],
        "icmpv6_bad_checksum": [T.auth() + T.rs(bad_checksum=True)],
        "nd_hop_limit_not_255": [T.auth() + T.rs(hlim=64)],
        "auth_truncated": [b"\x00\x01\x05\x05\x01\x02"],
        "origin_truncated": [b"\x00\x00\x01\x02"],
        "encapsulation_out_of_order": [T.origin("192.0.2.1", 1) + T.auth() + T.rs()],
        "teredo_source_mismatch": [T.bubble(T.teredo(SRV1, "192.0.2.77", 5000), own_client)],
        "not_bubble_or_icmpv6": [T.ipv6(me, own_client, 17, 64, b"\0" * 8)],
        "source_not_accepted": [T.bubble("2001:db8:9::1", other_server_client)],
        "loop_to_own_address": [T.bubble(me, T.teredo(SRV1, SRV2, 3544))],
        "teredo_destination_invalid": [T.bubble(me, T.teredo(SRV1, "10.0.0.1", 3544))],
        "ipv6_destination_not_global": [T.echo(me, "fe80::1")],
        "icmpv6_payload_too_large": [T.echo(me, L.NATIVE_V6, data=b"x" * 200)],
        "bubble_to_native_destination": [T.bubble(me, L.NATIVE_V6)],
    }
    payloads = [p.hex() for ps in cases.values() for p in ps]
    atk.run(L.PY, os.path.join(L.HERE, "teredo_packets.py"), "send", "--to", f"{SRV1}:3544",
            "--bind-port", "4000", *payloads)
    # Spoofed IPv4 sources (raw socket from the attacker's namespace).
    # A datagram "from" the server's own secondary address: the kernel drops such martians
    # arriving from the network, so it is injected inside the server's namespace.
    spoof = {"ipv4_source_not_global": (atk, ("10.1.2.3", 4000)),
             "loop_from_own_address": (core.server, (SRV2, 3544))}
    for host, src in spoof.values():
        host.run(L.PY, os.path.join(L.HERE, "teredo_packets.py"), "send", "--to",
                 f"{SRV1}:3544", "--spoof", f"{src[0]}:{src[1]}", rs.hex())
    if XDP:
        # The kernel drops a wrong UDP checksum before any socket sees it; the AF_XDP path
        # has to check it itself (wire/udp_frame), and counts it.
        spoof["udp_bad_checksum"] = (atk, (ATTACKER_IP, 4000))
        atk.run(L.PY, os.path.join(L.HERE, "teredo_packets.py"), "send", "--to",
                f"{SRV1}:3544", "--spoof", f"{ATTACKER_IP}:4000", "--bad-udp-checksum",
                rs.hex())
    # An RS flood from one source: the per-source limiter answers a bounded number.
    flood = 3000
    atk.run(L.PY, os.path.join(L.HERE, "teredo_packets.py"), "send", "--to", f"{SRV1}:3544",
            "--count", str(flood), rs.hex())

    time.sleep(0.5)
    drops, totals = counters(lab, rp)
    L.log(f"server counters: {totals}, drops {drops}")
    for name in list(cases) + list(spoof) + ["rate_limited_rs"]:
        check.that(drops.get(name, 0) >= 1, f"dropped and counted as {name}", drops.get(name))
    check.that(rp.alive(), "the server survived the hostile input")
    # `shipworm status --json` reports the same counters by name.
    out = core.server.run(L.shipworm_bin(), "status", "--json", "--control",
                          lab.control_socket(core.server, "server"))
    status = json.loads(out)
    check.that(status["role"] == "server" and status["state"] == "serving",
               "status: role server, state serving", status.get("state"))
    check.that(all(status["drops"].get(n, 0) >= 1 for n in cases),
               "status lists every drop reason seen", status["drops"])
    check.that(status["counters"]["rs_received"] >= flood, "status counts the RS flood",
               status["counters"])
    if totals:
        check.that(totals[2] < flood, "the RS flood was not answered in full (rate limit)",
                   f"RS {totals[1]}, RA {totals[2]}")
    # And it still serves: a Miredo client behind a NAT qualifies and reaches the native host.
    nat = lab.nat("port-restricted")
    c = lab.client("c1", behind=nat)
    M.qualify(lab, check, c, nat)
    M.ping_ok(check, c, L.NATIVE_V6, "after the attack: client -> native host")
    if XDP:
        xdp_used(lab, check, core.server)


def main():
    global XDP
    args = sys.argv[1:]
    if args[:1] == ["--xdp"]:
        XDP = True
        args = args[1:]
        TOKENS.update(XDP_TOKENS)
    M.TOKENS.update(TOKENS)
    if len(args) == 2 and args[0] == "native" and args[1] in TOKENS:
        M.start_core = lambda lab, capture=True: start_core_with_native_capture(lab)
        L.run_test(TOKENS[args[1]], native(args[1]))
    elif args == ["peers"]:
        if XDP:
            M.start_core = lambda lab, capture=True: start_core_with_native_capture(lab)
        L.run_test(TOKENS["peers"], peers)
    elif args == ["hostile"]:
        L.run_test(TOKENS["hostile"], hostile)
    else:
        sys.exit(f"usage: {sys.argv[0]} native KIND|direct | peers | hostile")


if __name__ == "__main__":
    main()
