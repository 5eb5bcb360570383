#!/usr/bin/python3
"""Relay benchmark (issue 6): shipworm relay vs Miredo's relay vs the kernel's own
IPv6-over-UDP encapsulation, in the same run, on the same lab topology.

    bench/relay_bench.py [--seconds 2] [--rates 20000,40000,...] [--shipworm PATH]
                         [--peers PATH_TO_relay_peers]

Topology (tests/lab/lab.py core()): a Miredo client directly on the IPv4 "internet" bridge,
miredo-server, the relay namespace, the native IPv6 host (iperf3 server) behind it.

  - TCP throughput, both directions (iperf3, 4 s each): client -> native, native -> client.
    Miredo's client is single-threaded and reaches its own limit first (its receive buffer
    overflows, and its CPU is the bottleneck), so with --tcp-clients miredo,shipworm (the
    default) the TCP steps are repeated with a `shipworm client` on a second host, where the
    relay is the bottleneck.
  - Small packets: 64-byte UDP payloads at offered rates stepping up (iperf3 -u -l 64), both
    directions; delivered rate and loss as the receiver counts them.
  - The relay's CPU (user + system of all its processes, from /proc/PID/stat) during each
    small-packet step, and CPU time per delivered packet.
  - Ceiling: the kernel's VXLAN (IPv6 in Ethernet in UDP/IPv4) between the client's and the
    relay's namespaces over the same veths and bridge, forwarded by the relay namespace's
    kernel. FOU/GUE (IPv6 directly in UDP, Teredo's shape) would be closer, but the fou and
    sit modules are not available on this host; VXLAN is in the kernel and adds 50 bytes of
    header instead of 28. No process to charge CPU to (softirq), so CPU is not reported.
  - Memory per peer with 100k peers: bench/relay_peers (a RelayEngine filled with 100k
    trusted peers through its real entry points; RSS from /proc/self/status).

Both relays listen on the same port (BindPort), so the client's peer entry for the native
host stays valid when one relay replaces the other; before each relay is measured the native
host pings the client, so that relay has a trusted entry (both relays accept only clients they
sent to first). The load generators (iperf3) share the two cores with the relay. Never run in
CI; needs root (network namespaces).
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lab"))
import lab as L  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
RELAY_PORT = 3545
VX_CLIENT, VX_RELAY = "2001:db8:99::2", "2001:db8:99::1"


def ns_pids(host, exclude=("tcpdump", "iperf3")):
    pids = []
    for p in L.sh("ip", "netns", "pids", host.ns, check=False).split():
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if not any(x in cmd for x in exclude):
            pids.append(int(p))
    return pids


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total / TICK


def iperf(client_host, dst, *args, seconds):
    out = client_host.run("iperf3", "-c", dst, "-J", "-t", str(seconds), *args, check=False,
                          timeout=seconds + 30)
    try:
        return json.loads(out)
    except json.JSONDecodeError:
        return {"error": out[-300:]}


def tcp(c, dst, reverse, seconds):
    for attempt in range(3):  # the iperf3 server may still be closing the previous test
        r = iperf(c, dst, *(["-R"] if reverse else []), seconds=seconds)
        try:
            return r["end"]["sum_received"]["bits_per_second"] / 1e6
        except KeyError:
            L.log(f"iperf3 TCP failed (attempt {attempt + 1}): {r.get('error')}")
            time.sleep(1)
    return 0.0


def relay_losses(relay):
    """What the relay's namespace itself lost so far: its UDP sockets' receive buffer
    overflows (client -> native: the relay fell behind) and its TUN device's transmit drops
    (native -> client: the kernel's queue towards the relay was full). Whatever else is lost
    was lost at the receiving end (the native host's or the client's sockets)."""
    if relay is None:
        return 0
    n = 0
    for line in relay.run("nstat", "-az", "UdpRcvbufErrors", check=False).splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] == "UdpRcvbufErrors":
            n += int(f[1])
    tun = relay.run("sh", "-c", "cat /sys/class/net/teredo/statistics/tx_dropped 2>/dev/null",
                    check=False).strip()
    return n + (int(tun) if tun.isdigit() else 0)


def udp_step(c, dst, pps, reverse, seconds, pids, relay=None):
    lost0 = relay_losses(relay)
    cpu0 = cpu_seconds(pids)
    r = iperf(c, dst, "-u", "-l", "64", "-b", str(pps * 64 * 8), *(["-R"] if reverse else []),
              seconds=seconds)
    cpu1 = cpu_seconds(pids)
    relay_lost = relay_losses(relay) - lost0
    try:
        end = r["end"]
        s = end.get("sum_received") or end["sum"]
        sent = end.get("sum_sent", s).get("packets", s["packets"])
        lost = s.get("lost_packets", 0)
        total = s["packets"]
        delivered = max(0, total - lost)
    except (KeyError, AttributeError):
        L.log(f"iperf3 UDP failed: {r.get('error')}")
        return {"offered_pps": pps, "delivered_pps": 0, "loss": 1.0, "cpu_s": cpu1 - cpu0,
                "cpu_us_per_pkt": float("nan"), "relay_lost": relay_lost}
    cpu = cpu1 - cpu0
    return {"offered_pps": pps, "sent": sent, "delivered": delivered,
            "delivered_pps": delivered / seconds, "loss": lost / total if total else 1.0,
            "relay_lost": relay_lost,
            "cpu_s": cpu, "cpu_share": cpu / seconds,
            "cpu_us_per_pkt": 1e6 * cpu / delivered if delivered else float("nan")}


def measure(name, c, dst, rates, seconds, pids, relay=None):
    row = {"name": name}
    row["tcp_c2n"] = tcp(c, dst, False, 4)
    row["tcp_n2c"] = tcp(c, dst, True, 4)
    for direction, rev in (("c2n", False), ("n2c", True)):
        row[direction] = [udp_step(c, dst, pps, rev, seconds, pids, relay) for pps in rates]
    return row


def warm(core, c, addr, what):
    for _ in range(10):
        r = core.native.ping6(addr, count=2, deadline=3)
        if r["received"]:
            r2 = c.ping6(L.NATIVE_V6, count=2, deadline=3)
            if r2["received"]:
                return True
    L.log(f"WARNING: {what}: no connectivity through the relay")
    return False


def start_relay(lab, core, c, addr, impl):
    """Start `impl`'s relay on the lab's relay port and warm it up (it trusts the client
    once the native host has pinged it); returns the process and the relay's pids."""
    extra = [f"BindPort {RELAY_PORT}"]
    if impl == "shipworm":
        extra += ["LogLevel warning", "PeerTableSize 65536"]
    rp = lab.start_role(impl, "relay", core.relay, extra=extra)
    time.sleep(0.3)
    warm(core, c, addr, impl)
    return rp, ns_pids(core.relay)


def setup_vxlan(lab, c, relay, native):
    c.ip_cmd("link", "add", "vx0", "type", "vxlan", "id", "42", "remote", L.RELAY_IP, "local",
             c.ip, "dstport", "4789", "dev", "eth0")
    relay.ip_cmd("link", "add", "vx0", "type", "vxlan", "id", "42", "remote", c.ip, "local",
                 L.RELAY_IP, "dstport", "4789", "dev", "eth0")
    for h, a in ((c, VX_CLIENT), (relay, VX_RELAY)):
        h.sysctl("net.ipv6.conf.all.disable_ipv6", 0)
        h.ip_cmd("link", "set", "vx0", "mtu", "1280", "up")
        h.ip_cmd("-6", "addr", "add", f"{a}/64", "dev", "vx0", "nodad")
    native.ip_cmd("-6", "route", "add", "2001:db8:99::/64", "via", L.RELAY_V6, "dev", "eth6")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2)
    ap.add_argument("--rates", default="20000,40000,60000,80000,100000,140000")
    ap.add_argument("--shipworm", default=None)
    ap.add_argument("--peers", default=os.path.join(L.REPO, "build", "release", "bench",
                                                     "relay_peers"))
    ap.add_argument("--only", default="shipworm,miredo,kernel")
    ap.add_argument("--tcp-clients", default="miredo,shipworm",
                    help="client implementations for the TCP steps (the small-packet steps "
                         "always use Miredo's client)")
    ap.add_argument("--own-threads", action="store_true",
                    help="repeat the small-packet steps of both relays with the lab's bridge "
                         "ports on threaded NAPI, so the native host's and the client's "
                         "receive paths are not charged to the relay (bench/README.md)")
    a = ap.parse_args()
    if a.shipworm:
        os.environ["SHIPWORM_BIN"] = a.shipworm
    L.require_lab(extra_tools=["iperf3"])
    rates = [int(x) for x in a.rates.split(",")]
    seconds = int(a.seconds)
    rows = []
    with L.Lab("brl") as lab:
        core = lab.core()
        lab.start_role("miredo", "server", core.server)
        c = lab.client("c1")
        core.native.popen("iperf3", "iperf3", "-s")
        lab.start_role("miredo", "client", c)
        addr = lab.wait_qualified(c, timeout=10)
        for impl in [x for x in a.only.split(",") if x in ("shipworm", "miredo")]:
            rp, pids = start_relay(lab, core, c, addr, impl)
            rss0 = sum(int(open(f"/proc/{p}/status").read().split("VmRSS:")[1].split()[0])
                       for p in pids)
            L.log(f"measuring {impl} relay (pids {pids})")
            row = measure(f"{impl} relay", c, L.NATIVE_V6, rates, seconds, pids, core.relay)
            row["rss_kib"] = rss0
            rows.append(row)
            rp.stop()
            time.sleep(0.3)
        if "kernel" in a.only:
            setup_vxlan(lab, c, core.relay, core.native)
            c.ip_cmd("-6", "route", "add", "2001:db8:1::/64", "via", VX_RELAY, "dev", "vx0")
            L.log("measuring the kernel's VXLAN between the same namespaces")
            rows.append(measure("kernel VXLAN", c, L.NATIVE_V6, rates, seconds, []))
            c.ip_cmd("-6", "route", "del", "2001:db8:1::/64", "via", VX_RELAY, "dev", "vx0")
        tcp_rows = []  # TCP with the shipworm client, per relay
        if "shipworm" in a.tcp_clients.split(","):
            c2 = lab.client("c2")
            lab.start_role("shipworm", "client", c2)
            addr2 = lab.wait_qualified(c2, timeout=10)
            for impl in [x for x in a.only.split(",") if x in ("shipworm", "miredo")]:
                rp, pids = start_relay(lab, core, c2, addr2, impl)
                L.log(f"measuring {impl} relay, TCP with shipworm client")
                tcp_rows.append({"name": f"{impl} relay",
                                 "tcp_c2n": tcp(c2, L.NATIVE_V6, False, 4),
                                 "tcp_n2c": tcp(c2, L.NATIVE_V6, True, 4)})
                rp.stop()
                time.sleep(0.3)
        if a.own_threads:
            lab.receivers_on_own_threads()
            for row in rows:
                impl = row["name"].split()[0]
                if impl not in ("shipworm", "miredo"):
                    continue
                rp, pids = start_relay(lab, core, c, addr, impl)
                L.log(f"measuring {impl} relay, own-threads accounting (pids {pids})")
                for direction, rev in (("c2n", False), ("n2c", True)):
                    row[direction + "_own"] = [udp_step(c, L.NATIVE_V6, pps, rev, seconds, pids,
                                                        core.relay)
                                               for pps in rates]
                rp.stop()
                time.sleep(0.3)

    print(f"\nRelay benchmark: Miredo client (direct) <-> native IPv6 host, {seconds} s per "
          "UDP step, 64-byte UDP payloads")
    print(f"{'path':16} {'TCP c->n':>10} {'TCP n->c':>10}   (Mbit/s, Miredo client)")
    for r in rows:
        print(f"{r['name']:16} {r['tcp_c2n']:>10.0f} {r['tcp_n2c']:>10.0f}")
    if tcp_rows:
        print(f"{'path':16} {'TCP c->n':>10} {'TCP n->c':>10}   (Mbit/s, shipworm client)")
        for r in tcp_rows:
            print(f"{r['name']:16} {r['tcp_c2n']:>10.0f} {r['tcp_n2c']:>10.0f}")
    for direction, what in (("c2n", "client -> native (UDP in, TUN out)"),
                            ("n2c", "native -> client (TUN in, UDP out)")):
        print(f"\nsmall packets, {what}")
        print(f"{'offered pps':>12} | " + " | ".join(f"{r['name']:^34}" for r in rows))
        print(f"{'':>12} | " + " | ".join(f"{'delivered':>10} {'loss':>6} {'CPU':>6} {'us/pkt':>8}"
                                          for _ in rows))
        for i, pps in enumerate(rates):
            cells = []
            for r in rows:
                s = r[direction][i]
                cpu = f"{s['cpu_share']:.0%}" if r["name"] != "kernel VXLAN" and "cpu_share" in s else "-"
                us = f"{s['cpu_us_per_pkt']:.2f}" if r["name"] != "kernel VXLAN" else "-"
                cells.append(f"{s['delivered_pps']:>10.0f} {s['loss']:>6.1%} {cpu:>6} {us:>8}")
            print(f"{pps:>12} | " + " | ".join(cells))
    own = [r for r in rows if "c2n_own" in r]
    for direction, what in (("c2n", "client -> native"), ("n2c", "native -> client")):
        if not own:
            break
        print(f"\nsmall packets, {what}, own-threads accounting (receivers on NAPI threads)")
        print(f"{'offered pps':>12} | " + " | ".join(f"{r['name']:^34}" for r in own))
        for i, pps in enumerate(rates):
            cells = []
            for r in own:
                s = r[direction + "_own"][i]
                cpu = f"{s['cpu_share']:.0%}" if "cpu_share" in s else "-"
                cells.append(f"{s['delivered_pps']:>10.0f} {s['loss']:>6.1%} {cpu:>6} "
                             f"{s['cpu_us_per_pkt']:>8.2f}")
            print(f"{pps:>12} | " + " | ".join(cells))
    named = {r["name"].split()[0]: r for r in rows}
    if "shipworm" in named and "miredo" in named:
        s, m = named["shipworm"], named["miredo"]
        print("\nratios shipworm / Miredo:")
        print(f"  TCP c->n {s['tcp_c2n'] / max(m['tcp_c2n'], 1e-9):.2f}x, "
              f"n->c {s['tcp_n2c'] / max(m['tcp_n2c'], 1e-9):.2f}x (Miredo client)")
        tn = {r["name"].split()[0]: r for r in tcp_rows}
        if "shipworm" in tn and "miredo" in tn:
            ts, tm = tn["shipworm"], tn["miredo"]
            print(f"  TCP c->n {ts['tcp_c2n'] / max(tm['tcp_c2n'], 1e-9):.2f}x, "
                  f"n->c {ts['tcp_n2c'] / max(tm['tcp_n2c'], 1e-9):.2f}x (shipworm client)")
        for direction in ("c2n", "n2c") + (("c2n_own", "n2c_own") if "c2n_own" in s else ()):
            for i, pps in enumerate(rates):
                a_, b_ = s[direction][i], m[direction][i]
                if b_["cpu_us_per_pkt"] == b_["cpu_us_per_pkt"] and b_["cpu_us_per_pkt"] > 0:
                    print(f"  {direction:7} {pps:>7} pps: CPU per packet "
                          f"{a_['cpu_us_per_pkt'] / b_['cpu_us_per_pkt']:.2f}, loss "
                          f"{a_['loss']:.1%} vs {b_['loss']:.1%} (lost in the relay's "
                          f"namespace: {a_.get('relay_lost', 0)} vs {b_.get('relay_lost', 0)})")
        if "kernel" in named:
            k = named["kernel"]
            print(f"  shipworm / kernel VXLAN TCP: c->n {s['tcp_c2n'] / max(k['tcp_c2n'], 1e-9):.2f}, "
                  f"n->c {s['tcp_n2c'] / max(k['tcp_n2c'], 1e-9):.2f}")
    if os.path.exists(a.peers):
        print("\nmemory per peer (bench/relay_peers 100000):")
        print(L.sh(a.peers, "100000", check=False).rstrip())
    print(json.dumps({"rows": rows, "tcp_shipworm_client": tcp_rows}))


if __name__ == "__main__":
    main()
