#!/usr/bin/python3
"""The demo behind scripts/demo: shipworm in every role, explained as it happens."""
import argparse
import json
import os
import sys
import time

import lab as L

NATS = ("port-restricted", "address-restricted")


def say(text=""):
    print(text, flush=True)


def status(lab, host, role):
    out = host.run(L.shipworm_bin(), "status", "--json", "--control",
                   lab.control_socket(host, role), check=False)
    try:
        return json.loads(out)
    except ValueError:
        return {}


def show_client(lab, c, nat):
    s = status(lab, c, "client")
    article = "an" if nat.kind[0] in "aeiou" else "a"
    say(f"  {c.role}: behind {article} {nat.kind} NAT (LAN {c.ip}, public {nat.ip})")
    for key in ("state", "address", "mapping", "nat_type", "server", "mtu"):
        if key in s:
            say(f"      {key:9} {s[key] if not isinstance(s[key], dict) else json.dumps(s[key])}")
    if "cause" in s:
        say(f"      why       {s['cause']}")
    return s


def ping(src, dst, what):
    r = src.ping6(dst, count=3, deadline=10)
    ok = r["received"] == r["sent"] and r["sent"] > 0
    rtt = f", round trip {min(r['rtts_ms']):.1f} ms" if r["rtts_ms"] else ""
    say(f"  {'OK  ' if ok else 'FAIL'} {what}: {r['received']}/{r['sent']} replies{rtt}")
    return ok


def run(keep):
    failures = 0
    with L.Lab("demo", keep=keep) as lab:
        say("== building the lab: an IPv4 'internet' bridge, a Teredo server with two public "
            "addresses, a relay, a native IPv6 host, two NATs ==")
        core = lab.core()
        nats = [lab.nat(kind) for kind in NATS]
        clients = [lab.client(f"c{i + 1}", behind=n) for i, n in enumerate(nats)]
        say(f"  server {L.SERVER_IPS[0]} + {L.SERVER_IPS[1]}, relay {L.RELAY_IP}, "
            f"native IPv6 host {L.NATIVE_V6}")
        say("== starting shipworm server, shipworm relay and two shipworm clients ==")
        lab.start_role("shipworm", "server", core.server)
        lab.start_role("shipworm", "relay", core.relay)
        started = {}
        for c in clients:
            started[c.role] = time.monotonic()
            lab.start_role("shipworm", "client", c, wait=False)
        addrs = {}
        for c in clients:
            try:
                addrs[c.role] = lab.wait_qualified(c, timeout=15)
                took = time.monotonic() - started[c.role]
                say(f"  {c.role} qualified (server answered from both addresses) within "
                    f"{took * 1000:.0f} ms of starting: {addrs[c.role]}")
            except L.LabError as e:
                failures += 1
                say(f"  FAIL {c.role} did not qualify: {e}")
        say("== what each client says about itself (shipworm status) ==")
        for c, n in zip(clients, nats):
            show_client(lab, c, n)
        say("== traffic ==")
        for c in clients:
            if c.role in addrs:
                failures += not ping(c, L.NATIVE_V6, f"{c.role} -> native host {L.NATIVE_V6} "
                                     "(via the relay)")
        if len(addrs) == 2:
            a, b = clients
            failures += not ping(a, addrs[b.role], f"{a.role} -> {b.role} (directly, NAT to NAT)")
            failures += not ping(b, addrs[a.role], f"{b.role} -> {a.role}")
        failures += not ping(core.native, addrs.get(clients[0].role, "2001::1"),
                             f"native host -> {clients[0].role} (the relay finds the client)")
        say()
        if failures:
            say(f"== {failures} step(s) failed; logs and configs are in {lab.workdir} ==")
        else:
            say("== all good: both clients got global IPv6 addresses behind their NATs, reached "
                "the native IPv6 host through the relay, and reached each other directly ==")
        if keep:
            say("\nThe lab stays up. Enter a namespace with:")
            for h in lab.hosts.values():
                say(f"  ip netns exec {h.ns} bash")
            say(f"e.g. ip netns exec {clients[0].ns} {L.shipworm_bin()} status --control "
                f"{lab.control_socket(clients[0], 'client')}")
            say("Press Ctrl-C to tear it down.")
            try:
                while True:
                    time.sleep(3600)
            except (KeyboardInterrupt, L.Interrupted):
                pass
        say("== tearing down (namespaces, processes, TUN devices) ==")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--keep", action="store_true", help="keep the lab up until Ctrl-C")
    a = ap.parse_args()
    L.require_lab()
    sys.exit(run(a.keep))


if __name__ == "__main__":
    main()
