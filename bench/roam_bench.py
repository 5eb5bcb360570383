#!/usr/bin/python3
"""Roaming benchmark (issue 17, docs/roaming.md): how long a client has no working IPv6 after
its host joins another network, and after its NAT reboots, `shipworm client` vs Miredo's
client, in the same run, on the same lab topology.

    bench/roam_bench.py [--moves 10] [--reboots 5] [--pause 5] [--cap 40] [--shipworm PATH]

Topology: shipworm server and shipworm relay (the same for both clients), the native IPv6
host, two port-restricted NATs with different public addresses, one client host. Each
client runs with its defaults (RefreshInterval 30, as Miredo's).

  - move: the host's LAN link is unplugged from one NAT's bridge and plugged into the
    other's (its link goes down and up), it gets a new private address and default route,
    and the new NAT has no mappings (lab.py move_client). Measured from the instant the
    script finished changing the host's network to the first echo reply the native host
    gets from the client's new Teredo address (the native host pings it every 20 ms as soon
    as it appears on the client's interface). Moves are --pause seconds apart (after the
    recovery): shipworm's client damps more than 3 re-qualifications within 10 s as a
    flapping link (docs/roaming.md), which --pause 1 shows.
  - NAT reboot: the NAT loses every mapping and maps to other ports from now on, the host
    changes nothing; the client pings the native host 10 times a second meanwhile (a user
    with traffic). Measured from the reboot to the native host's first reply from the new
    address.
A recovery that takes longer than --cap seconds is counted as "never". Prints median and
worst per client and case. Never fails on time. Needs root.
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lab"))
import lab as L  # noqa: E402

PING6 = os.path.join(os.path.dirname(HERE), "tests", "lab", "ping6.py")


def working_again(lab, core, host, old, t0, cap):
    """Seconds from t0 until the native host gets an echo reply from the client's new
    address (one other than `old`), or None after `cap` seconds. Returns (seconds, address)."""
    new = None
    while time.monotonic() - t0 < cap:
        a = host.teredo_address()
        if a and a != old:
            new = a
            break
        time.sleep(0.01)
    if new is None:
        return None, None
    left = cap - (time.monotonic() - t0)
    out = core.native.run(L.PY, PING6, new, "--count", "100000", "--interval", "0.02",
                          "--deadline", f"{max(left, 0.1):.2f}", "--until-first", check=False,
                          timeout=cap + 10)
    r = json.loads(out.strip().splitlines()[-1])
    if r.get("first_reply_at") is None:
        return None, new
    return r["first_reply_at"] - t0, new


def start_client(lab, host, impl):
    rp = lab.start_role(impl, "client", host)
    addr = lab.wait_qualified(host, timeout=20)
    return rp, addr


def stop_client(host, rp):
    rp.stop()
    L.wait_for("the interface to go", lambda: "teredo" not in host.ip_cmd(
        "-o", "link", "show", check=False), 10)
    L.wait_for("no client process", lambda: not L.sh("ip", "netns", "pids", host.ns,
                                                     check=False).strip(), 10)


def moves(lab, core, nats, host, impl, n, cap, pause):
    rp, addr = start_client(lab, host, impl)
    host.ping6(L.NATIVE_V6, count=3, deadline=10)  # a working client, relay known
    out = []
    for i in range(n):
        to = nats[1] if host.nat is nats[0] else nats[0]
        lab.move_client(host, to)
        t0 = time.monotonic()
        s, new = working_again(lab, core, host, addr, t0, cap)
        L.log(f"{impl:8} move {i + 1}: " + (f"{s:.3f} s ({new})" if s is not None else "never"))
        out.append(s)
        addr = new or host.teredo_address()
        time.sleep(pause)  # not part of the measurement
    stop_client(host, rp)
    return out


def reboots(lab, core, host, impl, n, cap):
    rp, addr = start_client(lab, host, impl)
    host.ping6(L.NATIVE_V6, count=3, deadline=10)
    out = []
    for i in range(n):
        pinger = lab.popen(host, f"ping-{impl}-{i}", L.PY, PING6, L.NATIVE_V6, "--count",
                           "100000", "--interval", "0.1", "--deadline", str(cap + 5))
        time.sleep(1)
        host.nat.remap_ports(("20000-29999", "30000-39999")[i % 2])
        t0 = time.monotonic()
        s, new = working_again(lab, core, host, addr, t0, cap)
        lab.stop_process(pinger)
        L.log(f"{impl:8} NAT reboot {i + 1}: " +
              (f"{s:.3f} s ({new})" if s is not None else "never"))
        out.append(s)
        addr = new or host.teredo_address()
        time.sleep(1)
    stop_client(host, rp)
    return out


def summary(values):
    v = [x for x in values if x is not None]
    never = len(values) - len(v)
    if not v:
        return f"never recovered (n={len(values)})"
    return (f"median {statistics.median(v):7.3f} s   worst {max(v):7.3f} s   "
            f"never {never}   (n={len(values)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moves", type=int, default=10)
    ap.add_argument("--reboots", type=int, default=5)
    ap.add_argument("--cap", type=float, default=40.0, help="seconds before 'never'")
    ap.add_argument("--pause", type=float, default=5.0, help="seconds between moves")
    ap.add_argument("--impls", default="shipworm,miredo")
    ap.add_argument("--shipworm", help="shipworm binary (default: $SHIPWORM_BIN or build/)")
    args = ap.parse_args()
    if args.shipworm:
        os.environ["SHIPWORM_BIN"] = args.shipworm
    L.require_lab()
    impls = args.impls.split(",")
    results = {impl: {"move": [], "reboot": []} for impl in impls}
    with L.Lab("rbn") as lab:
        core = lab.core()
        lab.start_role("shipworm", "server", core.server)
        lab.start_role("shipworm", "relay", core.relay)
        nats = [lab.nat("port-restricted"), lab.nat("port-restricted")]
        host = lab.client("c1", behind=nats[0])
        for impl in impls:
            if args.moves:
                results[impl]["move"] = moves(lab, core, nats, host, impl, args.moves, args.cap,
                                              args.pause)
            if args.reboots:
                results[impl]["reboot"] = reboots(lab, core, host, impl, args.reboots, args.cap)
    print(f"\nroaming benchmark: shipworm server and relay, port-restricted NATs, "
          f"moves {args.pause:g} s apart, cap {args.cap:.0f} s")
    for case, title in (("move", f"host moves to another network ({args.moves} moves)"),
                        ("reboot", f"NAT reboots, host unchanged ({args.reboots} reboots)")):
        print(f"  {title}: move -> first echo reply from the new address")
        for impl in impls:
            print(f"    {impl:8}  {summary(results[impl][case])}")
        s = [x for x in results.get("shipworm", {}).get(case, []) if x is not None]
        m = [x for x in results.get("miredo", {}).get(case, []) if x is not None]
        if s and m:
            print(f"    ratio shipworm/miredo (medians): "
                  f"{statistics.median(s) / statistics.median(m):.3f}")


if __name__ == "__main__":
    main()
