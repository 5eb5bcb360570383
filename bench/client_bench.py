#!/usr/bin/python3
"""Client benchmark (issue 5): time from start to qualified, and first-ping latency,
`shipworm client` vs Miredo's client, in the same run, on the same lab topology.

    bench/client_bench.py [--reps 7] [--nat port-restricted] [--shipworm PATH]

Topology: miredo-server, a Miredo relay (RelayType cone), the native IPv6 host, and one
client host behind a NAT of the given kind. Each repetition starts each client in turn
(alternating which goes first), and measures:
  - start -> qualified: from launching the process to the Teredo address appearing on its
    interface (polled with `ip`, a few ms of resolution). This includes process start, the
    TUN setup and qualification: shipworm solicits the primary and then the secondary
    server address (RFC 5991 §3.2, to tell restricted from symmetric NATs); Miredo only
    the primary.
  - first ping: the round-trip time of the first ICMPv6 echo to the native host, which
    includes the client's relay discovery (the ping test through the server, RFC 4380
    §5.2.9) and the relay's bubbles; then the median of the next echoes (steady state).
Each client runs with a fresh random port, hence a fresh address the relay has not seen.
Prints median and max per implementation. Never fails on time. Needs root.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lab"))
import lab as L  # noqa: E402


def time_to_qualified(lab, host, impl):
    t0 = time.monotonic()
    rp = lab.start_role(impl, "client", host, wait=False)
    while True:
        addr = host.teredo_address()
        if addr:
            return rp, addr, (time.monotonic() - t0) * 1000
        if not rp.alive():
            raise L.LabError(f"{impl} client exited: {rp.log_text()}")
        if time.monotonic() - t0 > 20:
            raise L.LabError(f"{impl} client did not qualify in 20 s")
        time.sleep(0.002)


def one_run(lab, host, impl):
    rp, addr, qualify_ms = time_to_qualified(lab, host, impl)
    first = host.ping6(L.NATIVE_V6, count=1, deadline=5)
    steady = host.ping6(L.NATIVE_V6, count=5, interval=0.05, deadline=5)
    rp.stop()
    L.wait_for("the interface to go", lambda: "teredo" not in host.ip_cmd(
        "-o", "link", "show", check=False), 10)
    # Miredo's worker may linger a moment after its parent.
    L.wait_for("no client process", lambda: not L.sh("ip", "netns", "pids", host.ns,
                                                     check=False).strip(), 10)
    ok = first["received"] == 1
    return {"qualify_ms": qualify_ms, "first_ms": first["rtts_ms"][0] if ok else None,
            "steady_ms": statistics.median(steady["rtts_ms"]) if steady["rtts_ms"] else None,
            "addr": addr}


def summary(values):
    v = [x for x in values if x is not None]
    if not v:
        return "n/a"
    return f"median {statistics.median(v):7.1f} ms   max {max(v):7.1f} ms   (n={len(v)})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--nat", default="port-restricted", choices=L.NAT_KINDS[:-1])
    ap.add_argument("--shipworm", help="shipworm binary (default: $SHIPWORM_BIN or build/)")
    args = ap.parse_args()
    if args.shipworm:
        os.environ["SHIPWORM_BIN"] = args.shipworm
    L.require_lab()
    results = {"shipworm": [], "miredo": []}
    with L.Lab("cbn") as lab:
        core = lab.core()
        lab.start_role("miredo", "server", core.server)
        lab.start_role("miredo", "relay", core.relay)
        nat = lab.nat(args.nat)
        host = lab.client("c1", behind=nat)
        for rep in range(args.reps):
            order = ("shipworm", "miredo") if rep % 2 == 0 else ("miredo", "shipworm")
            for impl in order:
                r = one_run(lab, host, impl)
                results[impl].append(r)
                L.log(f"rep {rep + 1} {impl:8}: qualified in {r['qualify_ms']:.1f} ms, first "
                      f"ping {r['first_ms']} ms, then {r['steady_ms']} ms ({r['addr']})")
    print(f"\nclient benchmark: {args.reps} repetitions, client behind a {args.nat} NAT, "
          "miredo-server, Miredo relay")
    for metric, title in (("qualify_ms", "start -> qualified"),
                          ("first_ms", "first ping to native host (incl. relay discovery)"),
                          ("steady_ms", "later pings (median of 5)")):
        print(f"  {title}")
        for impl in ("shipworm", "miredo"):
            print(f"    {impl:8}  {summary([r[metric] for r in results[impl]])}")
        s = [r[metric] for r in results["shipworm"] if r[metric] is not None]
        m = [r[metric] for r in results["miredo"] if r[metric] is not None]
        if s and m:
            print(f"    ratio shipworm/miredo (medians): "
                  f"{statistics.median(s) / statistics.median(m):.2f}")


if __name__ == "__main__":
    main()
