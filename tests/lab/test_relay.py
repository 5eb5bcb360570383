#!/usr/bin/python3
"""`shipworm relay` in the lab (issue 6), with miredo-server and Miredo clients.

    test_relay.py native KIND   a Miredo client behind a KIND NAT (full-cone,
                                address-restricted, port-restricted): the native IPv6 host
                                pings the client first (our relay's bubble reaches it via its
                                server), then the client pings the native host; both through
                                shipworm relay
    test_relay.py spoof         datagrams whose Teredo source does not match their UDP source
                                (even one naming a trusted client) are not forwarded: nothing
                                on the native link, counted as teredo_source_mismatch, which
                                `shipworm status`, `shipworm peers` and /metrics show
    test_relay.py flood         thousands of fake Teredo sources (spoofed, raw socket) and
                                thousands of fake Teredo destinations: the relay's RSS stays
                                bounded, its table at capacity at most, and a legitimate
                                client is still served
    test_relay.py host          a native IPv6 host running `shipworm relay --host` pings a
                                Miredo client and is pinged by it (docs/rfc-notes.md §3)
    test_relay.py tcp           8 MiB over TCP each way between a Miredo client and the native
                                host arrive intact (SHA-256 at both ends) through the relay's
                                offloads: TCP super-packets read from the TUN and cut into
                                segments, segments merged into TSO writes, UDP GSO sends
    test_relay.py uso           the native host sends UDP with UDP_SEGMENT (one super-packet
                                of datagrams to the client): the relay reads it whole from
                                the TUN (USO), cuts it, and every datagram reaches the Miredo
                                client intact and in order; status and /metrics count
                                the USO reads
"""
import json
import os
import re
import signal
import sys
import time

import lab as L
import teredo_packets as T

TOKENS = {"full-cone": "rfc", "address-restricted": "rar", "port-restricted": "rpr",
          "spoof": "rsp", "flood": "rfl", "host": "rho", "tcp": "rtc",
          "uso": "rus"}
PINGS = 3
RELAY_PORT = 3545
ATTACKER_IP = "203.0.113.66"
HOST_V4, HOST_V6 = "192.0.2.30", "2001:db8:1::30"
# The lab relays keep a small table: the tests are about behaviour, not capacity.
RELAY_EXTRA = [f"BindPort {RELAY_PORT}", "PeerTableSize 4096", "LogLevel info"]
METRICS_PORT = 9464


def relay_counters(rp):
    """SIGUSR1, then parse the counters the relay logs: totals and 'dropped NAME: N'."""
    before = len(rp.log_text())
    os.kill(rp.proc.pid, signal.SIGUSR1)
    text = L.wait_for("counters in the relay log",
                      lambda: (t := rp.log_text()[before:]) and "io: recvmmsg" in t and t, 5)
    drops = {m.group(1): int(m.group(2)) for m in re.finditer(r"dropped (\w+): (\d+)", text)}
    nums = {}
    for key, pat in (("udp_in", r"udp in (\d+)"), ("to_native", r"to native (\d+)"),
                     ("to_clients", r"to clients (\d+)"), ("peers", r"peers (\d+) of"),
                     ("capacity", r"peers \d+ of (\d+)"), ("evicted", r"evicted (\d+)"),
                     ("indirect", r"sent indirect (\d+)"), ("zero_copy", r"zero-copy sends (\d+)")):
        m = re.search(pat, text)
        nums[key] = int(m.group(1)) if m else None
    return nums, drops


def control(lab, host, command):
    """`shipworm status|peers --json` against the relay's control socket."""
    out = L.sh(L.shipworm_bin(), command, "--json", "--control", lab.control_socket(host, "relay"))
    return json.loads(out)


def scrape(host, port=METRICS_PORT):
    """GET /metrics from inside the relay's namespace."""
    return host.run(L.PY, "-c", "import sys, urllib.request; sys.stdout.write(urllib.request"
                    f".urlopen('http://127.0.0.1:{port}/metrics', timeout=5).read().decode())")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start(lab, relay_extra=()):
    core = lab.core()
    lab.capture(core.relay, "eth0")
    lab.capture(core.relay, "eth6")
    lab.start_role("miredo", "server", core.server)
    names = {e.split()[0] for e in relay_extra}
    extra = [e for e in RELAY_EXTRA if e.split()[0] not in names] + list(relay_extra)
    rp = lab.start_role("shipworm", "relay", core.relay, extra=extra)
    return core, rp


def qualify(lab, check, c, nat):
    lab.start_role("miredo", "client", c)
    addr = lab.wait_qualified(c, timeout=10)
    t = L.teredo_decode(addr)
    check.that(t["mapped"] == nat.ip, f"{c.role}: qualified behind the NAT", addr)
    return addr


def ping_ok(check, src, dst, what, count=PINGS):
    r = src.ping6(dst, count=count, deadline=8)
    check.that(r["received"] == count and r["from"] == [dst] and not r["errors"],
               f"{what}: {count}/{count} echo replies from {dst}", r)
    return r


def native(kind):
    def body(lab, check):
        core, rp = start(lab)
        nat = lab.nat(kind)
        c = lab.client("c1", behind=nat)
        addr = qualify(lab, check, c, nat)
        # The native host starts: our relay has no entry, bubbles via the client's server,
        # the client answers, the queued echo request goes out, the reply comes back.
        ping_ok(check, core.native, addr, f"native host -> {kind} client")
        # Then the client starts toward another destination on the same path.
        ping_ok(check, c, L.NATIVE_V6, f"{kind} client -> native host")
        cap = os.path.join(lab.workdir, "rly-eth0.pcap")
        to_client = lab.pcap(cap, f"udp and src host {L.RELAY_IP} and src port {RELAY_PORT} "
                                  f"and dst host {nat.ip}")
        check.that(len(to_client) >= 2 * PINGS, "our relay carried the traffic to the client "
                   "over UDP/IPv4", len(to_client))
        via_server = lab.pcap(cap, f"udp and src host {L.RELAY_IP} and dst host "
                                   f"{L.SERVER_IPS[0]} and dst port 3544")
        check.that(len(via_server) >= 1, "the first contact was a bubble via the client's server "
                   "(RFC 4380 §5.4.1 case 3)", len(via_server))
        nums, drops = relay_counters(rp)
        L.log(f"relay counters {nums} drops {drops}")
        check.that(nums["to_native"] and nums["to_native"] >= 2 * PINGS,
                   "the relay forwarded the client's packets to the native side", nums)
        check.that(nums["zero_copy"] and nums["zero_copy"] >= PINGS,
                   "packets to the trusted client left from the slot they were read into", nums)
        check.that(rp.alive(), "shipworm relay still running")
    return body


def spoof(lab, check):
    core, rp = start(lab, [f"MetricsAddress 127.0.0.1:{METRICS_PORT}"])
    for dev in ("all", "default", "eth0"):
        core.relay.sysctl(f"net.ipv4.conf.{dev}.rp_filter", 0)
    nat = lab.nat("port-restricted")
    c = lab.client("c1", behind=nat)
    addr = qualify(lab, check, c, nat)
    ping_ok(check, c, L.NATIVE_V6, "client -> native host (the client is now a trusted peer)")
    atk = lab.public_host("atk", (ATTACKER_IP,))
    t = L.teredo_decode(addr)
    marker = 47999  # UDP destination port of every spoofed packet: easy to look for

    def udp6(src):
        return T.ipv6(src, L.NATIVE_V6, 17, 64, bytes.fromhex(f"4e20{marker:04x}000c0000") + b"evil")
    cases = [
        # The trusted client's Teredo address, from the attacker's real address and port.
        (None, udp6(addr)),
        # A Teredo source naming the attacker's address with another port.
        (None, udp6(T.teredo(L.SERVER_IPS[0], ATTACKER_IP, 1))),
        # Spoofed IPv4 source = the client's NAT address, wrong port.
        ((nat.ip, t["port"] + 1), udp6(addr)),
    ]
    sent = 0
    for src, payload in cases:
        args = ["--spoof", f"{src[0]}:{src[1]}"] if src else ["--bind-port", "4000"]
        atk.run(L.PY, os.path.join(L.HERE, "teredo_packets.py"), "send", "--to",
                f"{L.RELAY_IP}:{RELAY_PORT}", "--count", "5", *args, payload.hex())
        sent += 5
    time.sleep(0.5)
    nums, drops = relay_counters(rp)
    L.log(f"relay counters {nums} drops {drops}")
    check.that(drops.get("teredo_source_mismatch", 0) == sent,
               f"all {sent} spoofed datagrams dropped as teredo_source_mismatch",
               drops.get("teredo_source_mismatch"))
    leaked = lab.pcap(os.path.join(lab.workdir, "rly-eth6.pcap"), f"ip6 and udp dst port {marker}")
    check.that(not leaked, "nothing spoofed reached the native link", leaked[:3])
    ping_ok(check, c, L.NATIVE_V6, "the real client is still served")
    # What an operator sees: status, peers and metrics (issue 7).
    st = control(lab, core.relay, "status")
    L.log(f"relay status {json.dumps(st)}")
    check.that(st.get("role") == "relay" and st.get("state") == "relaying",
               "status: role relay, state relaying", {k: st.get(k) for k in ("role", "state")})
    check.that(st.get("drops", {}).get("teredo_source_mismatch") == sent,
               f"status: drops.teredo_source_mismatch = {sent}", st.get("drops"))
    check.that(st.get("peers", {}).get("trusted", 0) >= 1 and st.get("interface") == "teredo"
               and st.get("bind") == f"{L.RELAY_IP}:{RELAY_PORT}",
               "status: a trusted peer, the interface and the bind endpoint",
               {k: st.get(k) for k in ("peers", "interface", "bind")})
    check.that(st.get("counters", {}).get("to_native_packets", 0) >= 2 * PINGS,
               "status: the client's packets counted as relayed to the native side",
               st.get("counters"))
    peers = control(lab, core.relay, "peers")
    mine = [p for p in peers.get("peers", []) if p.get("address") == addr]
    check.that(len(mine) == 1 and mine[0]["trusted"] and mine[0]["mapping"] == f"{nat.ip}:{t['port']}",
               "peers: the client is listed, trusted, with its NAT mapping", peers)
    check.that(peers.get("count", 0) >= 1 and peers.get("truncated") is False,
               "peers: the total count, not truncated", {k: peers.get(k) for k in ("count", "listed", "truncated")})
    text = scrape(core.relay)
    want = f'shipworm_drops_total{{reason="teredo_source_mismatch"}} {sent}'
    check.that(want in text.splitlines(), f"/metrics: {want}", text[-1500:])
    check.that('shipworm_info{role="relay"' in text and text.rstrip().endswith("# EOF"),
               "/metrics: shipworm_info with role relay, a complete OpenMetrics text", text[:300])
    check.that(re.search(r'^shipworm_peers\{trust="trusted"\} [1-9]', text, re.M) is not None,
               "/metrics: a trusted peer in shipworm_peers", text[-1500:])


FLOOD_SCRIPT = r"""
import socket, struct, sys, ipaddress
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(n):
    mapped = ipaddress.IPv4Address("203.0.113.0") + 100 + (i % 150)
    port = 1024 + i
    b = struct.pack("!I", 0x20010000) + ipaddress.IPv4Address("203.0.113.250").packed
    b += struct.pack("!HH", 0, port ^ 0xFFFF) + bytes(x ^ 0xFF for x in mapped.packed)
    try:
        s.sendto(b"x" * 32, (str(ipaddress.IPv6Address(b)), 9))
    except OSError:
        pass
print(n)
"""


def flood(lab, check):
    core, rp = start(lab, ["PeerTableSize 1024"])
    for dev in ("all", "default", "eth0"):
        core.relay.sysctl(f"net.ipv4.conf.{dev}.rp_filter", 0)
    nat = lab.nat("full-cone")
    c = lab.client("c1", behind=nat)
    qualify(lab, check, c, nat)
    ping_ok(check, c, L.NATIVE_V6, "before the flood: client -> native host")
    rss0 = rss_kib(rp.proc.pid)
    atk = lab.public_host("atk", (ATTACKER_IP,))
    # 1. Spoofed datagrams from 3000 fake Teredo clients whose Teredo source matches the
    #    (forged) IPv4/UDP source: data and bubbles, one raw socket in the attacker's namespace.
    n = 3000
    payloads = []
    for i in range(n):
        ip = f"203.0.113.{100 + i % 150}"
        port = 2000 + i
        src = T.teredo(L.SERVER_IPS[0], ip, port)
        p = T.bubble(src, L.NATIVE_V6) if i % 2 else T.echo(src, L.NATIVE_V6)
        payloads.append((ip, port, p))
    script = ("import sys, socket; sys.path.insert(0, %r); import teredo_packets as T\n"
              "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)\n"
              "for line in sys.stdin:\n"
              "    ip, port, hexp = line.split()\n"
              "    s.sendto(T.spoofed_udp((ip, int(port)), (%r, %d), bytes.fromhex(hexp)), (%r, 0))\n"
              % (L.HERE, L.RELAY_IP, RELAY_PORT, L.RELAY_IP))
    atk.run(L.PY, "-c", script, input="".join(f"{ip} {port} {p.hex()}\n" for ip, port, p in payloads),
            timeout=60)
    # 2. From the native side, packets to 3000 distinct fake Teredo destinations: each would
    #    create an untrusted entry with a queued packet and a bubble.
    core.native.run(L.PY, "-c", FLOOD_SCRIPT, "3000", timeout=60)
    time.sleep(0.5)
    nums, drops = relay_counters(rp)
    rss1 = rss_kib(rp.proc.pid)
    L.log(f"relay counters {nums} drops {drops}; RSS {rss0} -> {rss1} KiB")
    check.that(nums["udp_in"] is not None and nums["udp_in"] >= n,
               "the spoofed flood reached the relay", nums["udp_in"])
    check.that(nums["peers"] is not None and nums["peers"] <= nums["capacity"] == 1024,
               "the peer table stays within its capacity", nums)
    check.that(nums["evicted"] and nums["evicted"] > 0, "untrusted entries were evicted (LRU)",
               nums["evicted"])
    check.that(rss1 - rss0 < 2048, "RSS grew by less than 2 MiB", f"{rss0} -> {rss1} KiB")
    check.that(rp.alive(), "shipworm relay survived the flood")
    ping_ok(check, c, L.NATIVE_V6, "after the flood: client -> native host")
    ping_ok(check, core.native, lab.wait_qualified(c), "after the flood: native host -> client")


def host(lab, check):
    core = lab.core()
    lab.start_role("miredo", "server", core.server)
    h = lab.public_host("hsr", (HOST_V4,), HOST_V6)
    lab.capture(h, "eth0")
    rp = lab.start_role("shipworm", "relay", h, extra=["HostSpecificRelay yes", "PeerTableSize 4096",
                                                               "LogLevel info"])
    nat = lab.nat("port-restricted")
    c = lab.client("c1", behind=nat)
    addr = qualify(lab, check, c, nat)
    ping_ok(check, h, addr, "host-specific relay host -> client")
    ping_ok(check, c, HOST_V6, "client -> host-specific relay host")
    direct = lab.pcap(os.path.join(lab.workdir, "hsr-eth0.pcap"),
                      f"udp and src host {HOST_V4} and dst host {nat.ip}")
    check.that(len(direct) >= PINGS, "the host talks to the client directly over UDP/IPv4",
               len(direct))
    # No forwarding: the native host's traffic to Teredo still goes to the lab relay, and
    # nothing arriving from a client toward another native host leaves this host.
    check.that(h.run("sysctl", "-n", "net.ipv6.conf.all.forwarding").strip() == "0",
               "IPv6 forwarding stays off on the host")
    log = rp.log_text()
    check.that("host-specific" in log, "the relay says it is host-specific", log[-300:])
    nums, drops = relay_counters(rp)
    L.log(f"relay counters {nums} drops {drops}")
    check.that(nums["to_native"] and nums["to_native"] >= PINGS, "packets from the client were "
               "delivered to the host", nums)


def relay_status(lab, host):
    return json.loads(host.run(L.shipworm_bin(), "status", "--json", "--control",
                               lab.control_socket(host, "relay")))


def transfer(lab, check, sender, receiver, dst, port, what, size=8 << 20):
    """sender -> receiver over TCP through the relay; both ends' SHA-256 must agree."""
    tool = os.path.join(L.HERE, "tcp_transfer.py")
    out = os.path.join(lab.workdir, f"tcp-{port}.out")
    with open(out, "wb") as f:
        rx = L.subprocess.Popen(["ip", "netns", "exec", receiver.ns, L.PY, tool, "receive",
                                 "--port", str(port)], stdout=f, stderr=L.subprocess.STDOUT)
        try:
            time.sleep(0.3)
            sent = sender.run(L.PY, tool, "send", "--to", dst, "--port", str(port), "--bytes",
                              str(size), "--seed", str(port), timeout=60).split()
            rx.wait(timeout=30)
        finally:
            if rx.poll() is None:
                rx.kill()
    got = open(out).read().split()
    check.that(len(sent) == 2 and got[:2] == sent,
               f"{what}: {size} bytes arrived intact (SHA-256 at both ends)",
               f"sent {sent}, received {got}")


def trusted_client(lab, check, relay_extra=()):
    """The relay, and a Miredo client behind a port-restricted NAT that has exchanged pings
    with the native host both ways (so the relay trusts it)."""
    core, rp = start(lab, relay_extra)
    nat = lab.nat("port-restricted")
    c = lab.client("c1", behind=nat)
    addr = qualify(lab, check, c, nat)
    ping_ok(check, core.native, addr, "native host -> client")
    ping_ok(check, c, L.NATIVE_V6, "client -> native host")
    return core, rp, c, addr


def tcp(lab, check):
    core, rp, c, addr = trusted_client(lab, check)
    before = relay_status(lab, core.relay)["io"]
    transfer(lab, check, c, core.native, L.NATIVE_V6, 5201, "client -> native")
    transfer(lab, check, core.native, c, addr, 5202, "native -> client")
    io = relay_status(lab, core.relay)["io"]
    L.log(f"relay io {io}")
    grew = {k: io[k] - before[k] for k in ("udp_gso_messages", "tun_gso_writes",
                                           "tun_tso_reads", "tun_tso_segments")}
    check.that(io["udp_gso"] and grew["udp_gso_messages"] > 0,
               "native -> client went out as UDP GSO messages", grew)
    check.that(grew["tun_tso_reads"] > 0 and grew["tun_tso_segments"] > grew["tun_tso_reads"],
               "TCP super-packets were read from the TUN and cut into segments", grew)
    check.that(grew["tun_gso_writes"] > 0,
               "client -> native segments were merged into super-packet writes", grew)
    check.that(rp.alive(), "shipworm relay still running")


# Receives `count` datagrams (or what comes within 10 s) on UDP port `port`; prints how many
# and the SHA-256 of their payloads in arrival order.
UDP_RECEIVER = """
import hashlib, socket, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", port))
s.settimeout(10)
h, n = hashlib.sha256(), 0
print("ready", flush=True)
try:
    while n < count:
        h.update(s.recv(2048))
        n += 1
except socket.timeout:
    pass
print(n, h.hexdigest(), flush=True)
"""
# Sends `bursts` sendto() calls of `per_burst` datagrams of `size` bytes each with UDP_SEGMENT
# (Linux: IPPROTO_UDP option 103); prints the count and SHA-256 of what it sent.
UDP_GSO_SENDER = """
import hashlib, socket, sys, time
dst, port, size, per_burst, bursts = sys.argv[1], *map(int, sys.argv[2:6])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP, 103, size)
h = hashlib.sha256()
for b in range(bursts):
    data = bytes((b * 31 + k * 7) & 0xff for k in range(size * per_burst))
    s.sendto(data, (dst, port))
    for k in range(per_burst):
        h.update(data[k * size:(k + 1) * size])
    time.sleep(0.05)
print(bursts * per_burst, h.hexdigest(), flush=True)
"""


def uso(lab, check):
    core, rp, c, addr = trusted_client(lab, check, [f"MetricsAddress 127.0.0.1:{METRICS_PORT}"])
    before = relay_status(lab, core.relay)["io"]
    check.that(before["tun_uso"], "the TUN took USO offloads (Linux 6.2+)", before)
    size, per_burst, bursts = 1000, 20, 5
    rx = L.subprocess.Popen(["ip", "netns", "exec", c.ns, L.PY, "-c", UDP_RECEIVER, "6000",
                             str(per_burst * bursts)], stdout=L.subprocess.PIPE, text=True)
    try:
        check.that(rx.stdout.readline().strip() == "ready", "the client's receiver is ready")
        sent = core.native.run(L.PY, "-c", UDP_GSO_SENDER, addr, "6000", str(size),
                               str(per_burst), str(bursts), timeout=30).split()
        got = rx.communicate(timeout=20)[0].split()
    finally:
        if rx.poll() is None:
            rx.kill()
    check.that(got == sent, f"{per_burst * bursts} datagrams of {size} bytes sent as "
               f"{bursts} UDP GSO super-packets arrived intact and in order", (sent, got))
    io = relay_status(lab, core.relay)["io"]
    grew = {k: io[k] - before[k] for k in ("tun_uso_reads", "tun_uso_segments",
                                           "tun_offload_drops", "udp_gso_messages")}
    L.log(f"relay io grew {grew}")
    check.that(grew["tun_uso_reads"] >= 1 and grew["tun_uso_segments"] >= per_burst,
               "the relay read UDP super-packets from the TUN and cut them", grew)
    check.that(grew["tun_offload_drops"] == 0, "no offload read was dropped", grew)
    m = re.search(r'^shipworm_offload_superpackets_total\{kind="tun_uso_read"\} (\d+)',
                  scrape(core.relay), re.M)
    check.that(m and int(m.group(1)) == io["tun_uso_reads"],
               "/metrics counts the USO reads as status does", m and m.group(0))
    check.that(rp.alive(), "shipworm relay still running")


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "native" and args[1] in ("full-cone", "address-restricted",
                                                              "port-restricted"):
        L.run_test(TOKENS[args[1]], native(args[1]))
    elif len(args) == 1 and args[0] in ("spoof", "flood", "host", "tcp", "uso"):
        L.run_test(TOKENS[args[0]], {"spoof": spoof, "flood": flood, "host": host, "tcp": tcp,
                                     "uso": uso}[args[0]])
    else:
        sys.exit(f"usage: {sys.argv[0]} native full-cone|address-restricted|port-restricted | "
                 "spoof | flood | host | tcp | uso")


if __name__ == "__main__":
    main()
