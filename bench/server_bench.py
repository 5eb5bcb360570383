#!/usr/bin/python3
"""Server benchmark (issue 4): RS -> RA throughput and cost, shipworm vs miredo-server,
in the same run, on the same lab topology.

    bench/server_bench.py [--seconds 5] [--rate 0] [--rs-load PATH] [--shipworm PATH]

A load generator (bench/rs_load) in its own namespace sends valid RSs (auth header with a
nonce) to the server's primary address as fast as it can (or at --rate per second) from
16 sockets; the server runs in another namespace across the lab's IPv4 "internet" bridge.
For each server it prints RAs answered per second, the share of RSs answered, the
server's CPU time per RA (user + system, from /proc, all of the server's processes), and
its resident memory at start and peak (VmRSS, VmHWM). The load generator shares the two
cores, so CPU per RA is the fair comparison. Needs root (network namespaces).
shipworm runs with RateLimitRs 0 (no per-source limit), like Miredo, which has none.
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


def ns_pids(host):
    out = L.sh("ip", "netns", "pids", host.ns, check=False)
    return [int(p) for p in out.split()]


def cpu_times(pids):
    """(user, system) seconds of the processes."""
    user = system = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
            user += int(fields[11])    # utime (stat field 14)
            system += int(fields[12])  # stime (stat field 15)
        except OSError:
            pass
    return user / TICK, system / TICK


def memory_kib(pids, key):
    best = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        best += int(line.split()[1])
        except OSError:
            pass
    return best


def run_one(lab, impl, srv, gen, rs_load, seconds, rate, more=()):
    extra = ["RateLimitRs 0", "LogLevel warning", *more] if impl == "shipworm" else []
    rp = lab.start_role(impl, "server", srv, extra=extra)
    time.sleep(0.5)
    pids = [p for p in ns_pids(srv) if p != os.getpid()]
    pids = [p for p in pids if "tcpdump" not in open(f"/proc/{p}/cmdline", "rb").read().decode(
        errors="replace")]
    rss0 = memory_kib(pids, "VmRSS")
    cpu0 = cpu_times(pids)
    out = gen.run(rs_load, "--server", f"{L.SERVER_IPS[0]}:3544", "--seconds", str(seconds),
                  "--rate", str(rate))
    cpu1 = cpu_times(pids)
    result = json.loads(out.strip().splitlines()[-1])
    hwm = memory_kib(pids, "VmHWM")
    rss1 = memory_kib(pids, "VmRSS")
    alive = rp.alive()
    rp.stop()
    ra = result["received"]
    user, system = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    cpu = user + system
    return {"impl": impl, "sent": result["sent"], "ra": ra, "ra_per_s": ra / seconds,
            "answered": ra / max(1, result["sent"]), "cpu_s": cpu, "user_s": user, "sys_s": system,
            "cpu_us_per_ra": 1e6 * cpu / ra if ra else float("nan"),
            "rss_start_kib": rss0, "rss_end_kib": rss1, "hwm_kib": hwm, "alive": alive}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rate", type=float, default=0, help="RS per second, 0 = as fast as possible")
    ap.add_argument("--rs-load", default=os.path.join(L.REPO, "build", "release", "bench", "rs_load"))
    ap.add_argument("--shipworm", default=None)
    ap.add_argument("--xdp", action="store_true",
                    help="also measure shipworm with its AF_XDP fast path (XdpInterface eth0)")
    ap.add_argument("--own-threads", action="store_true",
                    help="add a pass with the lab's bridge ports on threaded NAPI (receivers' "
                         "work off the sender's account; adds wakeup and preemption costs)")
    a = ap.parse_args()
    if a.shipworm:
        os.environ["SHIPWORM_BIN"] = a.shipworm
    L.require_lab()
    if not os.path.exists(a.rs_load):
        sys.exit(f"no load generator at {a.rs_load}: build the release preset first")
    rows = []
    impls = [("shipworm", []), ("miredo", [])]
    if a.xdp:
        impls.insert(1, ("shipworm-xdp", ["XdpInterface eth0"]))
    with L.Lab("bsv") as lab:
        core = lab.core()
        gen = lab.public_host("gen", ("203.0.113.50",))
        for accounting in ("inline", "own-threads"):
            if accounting == "own-threads":
                if not a.own_threads:
                    break
                lab.receivers_on_own_threads()
            for name, extra in impls:
                r = run_one(lab, name.split("-")[0], core.server, gen, a.rs_load, a.seconds,
                            a.rate, extra)
                r["impl"], r["accounting"] = name, accounting
                rows.append(r)
    rate = "max" if a.rate <= 0 else f"{a.rate:.0f}/s"
    print(f"\nServer benchmark: RS -> RA, {a.seconds:.0f} s, offered rate {rate}")
    print("accounting 'inline': plain veths, whose receivers' stacks run inside the sender's\n"
          "  send call (the server pays for the load generator's receive path).")
    if a.own_threads:
        print("accounting 'own-threads': bridge ports on threaded NAPI, the receivers' work\n"
              "  runs in kernel threads (tests/lab/lab.py receivers_on_own_threads); the sender\n"
              "  pays for waking them and for being preempted by them instead.")
    print(f"{'accounting':12} {'server':13} {'RS sent':>10} {'RA/s':>10} {'answered':>9} "
          f"{'CPU s (user+sys)':>17} {'CPU us/RA':>10} {'RSS start':>10} {'RSS end':>9} "
          f"{'peak RSS':>9}")
    for r in rows:
        print(f"{r['accounting']:12} {r['impl']:13} {r['sent']:>10} {r['ra_per_s']:>10.0f} "
              f"{r['answered']:>8.1%} {r['cpu_s']:>6.2f} ({r['user_s']:.2f}+{r['sys_s']:.2f}) "
              f"{r['cpu_us_per_ra']:>10.2f} {r['rss_start_kib']:>7} KiB "
              f"{r['rss_end_kib']:>5} KiB {r['hwm_kib']:>5} KiB")
    for accounting in ("inline", "own-threads"):
        by = {r["impl"]: r for r in rows if r["accounting"] == accounting}
        m = by.get("miredo")
        for name in ("shipworm", "shipworm-xdp"):
            s = by.get(name)
            if s and m and s["ra"] and m["ra"]:
                print(f"ratio {name}/miredo ({accounting}): CPU per RA "
                      f"{s['cpu_us_per_ra'] / m['cpu_us_per_ra']:.2f}, "
                      f"RA/s {s['ra_per_s'] / m['ra_per_s']:.2f}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
