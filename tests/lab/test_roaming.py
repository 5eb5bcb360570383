#!/usr/bin/python3
"""A client that follows its host (docs/roaming.md; RFC 4380 §5.2.5 lets a client refresh,
and so re-qualify, whenever it wants). shipworm server and relay; the client runs with
`RefreshInterval 300`, so that a recovery within these tests' timeouts can only come from
following the host, never from a refresh.

    test_roaming.py move        the client host moves between two NATs three times (new
                                private address, new default route, a NAT with another public
                                address and no mappings): each time a new Teredo address, the
                                old one gone, the hook told (STATE=down with OLD_ADDRESS, then
                                STATE=up), and the native host's ping answered through it
    test_roaming.py unrelated   an interface that has nothing to do with the path toward the
                                server comes and goes: the address stays, no network change
    test_roaming.py nat-reboot  the NAT loses every mapping (new ports) while the client pings
                                the native host: the unanswered traffic makes the client ask
                                its server early, and it moves to its new address
    test_roaming.py stopped     the client process is stopped (SIGSTOP) for 25 s, as on a host
                                that sleeps, with RefreshInterval 10: its timers run long
                                overdue when it continues, and it qualifies again instead of
                                trusting its old mapping (status: trigger "resume")
"""
import json
import os
import signal
import sys
import time

import lab as L
import test_client as TC

TOKENS = {"move": "rmv", "unrelated": "run", "nat-reboot": "rnr", "stopped": "rst"}
SLOW_REFRESH = "RefreshInterval 300"


def status(lab, c):
    out = c.run(L.shipworm_bin(), "status", "--json", "--control",
                lab.control_socket(c, "client"), check=False)
    try:
        return json.loads(out)
    except ValueError:
        return {}


def start(lab, nat_kinds=("port-restricted",), refresh=SLOW_REFRESH):
    core = lab.core()
    lab.server_role = lab.start_role("shipworm", "server", core.server)
    lab.start_role("shipworm", "relay", core.relay)
    nats = [lab.nat(k) for k in nat_kinds]
    c = lab.client("c1", behind=nats[0])
    rp, out = TC.hooked_client(lab, c, refresh=refresh)
    return core, nats, c, rp, out


def both_ways(check, core, c, addr, what):
    """The client pings the native host, then the native host pings the client's address."""
    TC.ping(check, c, L.NATIVE_V6, f"{what}: client -> native host")
    r = core.native.ping6(addr, count=3, deadline=10)
    check.that(r["received"] == 3 and r["from"] == [addr] and not r["errors"],
               f"{what}: the native host's pings to {addr} are answered", r)


def move(lab, check):
    core, nats, c, rp, out = start(lab, ("port-restricted", "address-restricted"))
    addr = lab.wait_qualified(c)
    both_ways(check, core, c, addr, "before moving")
    seen = {addr}
    for i, to in enumerate([nats[1], nats[0], nats[1]], 1):
        hooks_before = len(TC.hook_events(out))
        lan = lab.move_client(c, to)
        L.log(f"move {i}: now {lan} behind {to.role} ({to.ip})")
        new = L.wait_for(f"a new Teredo address after move {i}",
                         lambda: (a := c.teredo_address()) and a not in seen and a, 15)
        seen.add(new)
        check.that(L.teredo_decode(new)["mapped"] == to.ip,
                   f"move {i}: the new address embeds the new NAT's public address",
                   L.teredo_decode(new))
        check.that(addr not in c.addresses6("teredo"),
                   f"move {i}: the old address is gone", c.addresses6("teredo"))
        ev = TC.wait_hook(out, hooks_before + 2, 5)[hooks_before:]
        check.that(len(ev) >= 2 and ev[0].get("STATE") == "down"
                   and ev[0].get("OLD_ADDRESS") == addr and ev[1].get("STATE") == "up"
                   and ev[1].get("ADDRESS") == new,
                   f"move {i}: hook STATE=down with OLD_ADDRESS, then STATE=up with ADDRESS", ev)
        both_ways(check, core, c, new, f"after move {i}")
        s = status(lab, c)
        change = s.get("last_network_change") or {}
        check.that(change.get("trigger") == "network"
                   and isinstance(change.get("recovered_in_seconds"), (int, float)),
                   f"move {i}: status reports the network change and its recovery time", change)
        check.that(s.get("network_path", "").startswith(f"eth0 {lan} via {to.lan_ip}"),
                   f"move {i}: status shows the new path toward the server",
                   s.get("network_path"))
        addr = new
    check.that(TC.log_has(rp, "network change: ") and TC.log_has(rp, "working again"),
               "the log says why the client re-qualified and when it worked again",
               rp.log_text()[-1200:])


def unrelated(lab, check):
    core, nats, c, rp, out = start(lab)
    addr = lab.wait_qualified(c)
    both_ways(check, core, c, addr, "before")
    # veth: this kernel may lack the dummy driver.
    c.ip_cmd("link", "add", "x0", "type", "veth", "peer", "name", "x1")
    c.ip_cmd("addr", "add", "10.99.0.1/24", "dev", "x0")
    c.ip_cmd("link", "set", "x1", "up")
    c.ip_cmd("link", "set", "x0", "up")
    c.ip_cmd("route", "add", "10.98.0.0/24", "via", "10.99.0.2")
    c.ip_cmd("link", "set", "x0", "down")
    c.ip_cmd("link", "del", "x0")
    # Give the client's damping (200 ms) ample time to act if it (wrongly) wanted to.
    time.sleep(2)
    check.that(c.teredo_address() == addr, "the Teredo address stayed", c.teredo_address())
    s = status(lab, c)
    check.that(s.get("last_network_change", "missing") is None,
               "status reports no network change", s.get("last_network_change"))
    check.that(s.get("counters", {}).get("rs_sent") == 2,
               "no RS beyond qualification's two", s.get("counters"))
    both_ways(check, core, c, addr, "after")


def nat_reboot(lab, check):
    core, nats, c, rp, out = start(lab)
    nat = nats[0]
    addr = lab.wait_qualified(c)
    both_ways(check, core, c, addr, "before")
    pinger = lab.popen(c, "ping", L.PY, os.path.join(L.HERE, "ping6.py"), L.NATIVE_V6,
                       "--count", "125", "--interval", "0.2", "--deadline", "25")
    try:
        time.sleep(1)
        nat.remap_ports()  # every mapping lost; new ones from other ports
        L.log("NAT rebooted")
        new = L.wait_for("a new Teredo address after the NAT reboot",
                         lambda: (a := c.teredo_address()) and a != addr and a, 20)
    finally:
        lab.stop_process(pinger)
    check.that(L.teredo_decode(new)["port"] != L.teredo_decode(addr)["port"],
               "the new address embeds the new mapped port",
               (L.teredo_decode(addr), L.teredo_decode(new)))
    s = status(lab, c)
    change = s.get("last_network_change") or {}
    check.that(change.get("trigger") == "dead_mapping",
               "status: the unanswered traffic found the new mapping", change)
    check.that(s.get("counters", {}).get("early_probes", 0) >= 1,
               "an early RS was counted", s.get("counters"))
    both_ways(check, core, c, new, "after the NAT reboot")


def stopped(lab, check):
    core, nats, c, rp, out = start(lab, refresh="RefreshInterval 10")
    addr = lab.wait_qualified(c)
    both_ways(check, core, c, addr, "before")
    rp.proc.send_signal(signal.SIGSTOP)
    try:
        time.sleep(25)
    finally:
        rp.proc.send_signal(signal.SIGCONT)
    L.wait_for("the client to report the resume",
               lambda: (status(lab, c).get("last_network_change") or {}).get("trigger")
               == "resume", 10)
    new = lab.wait_qualified(c, timeout=10)
    s = status(lab, c)
    change = s.get("last_network_change") or {}
    check.that(change.get("trigger") == "resume" and "late" in change.get("cause", ""),
               "status: timers ran late, the client qualified again", change)
    check.that(new != addr and addr not in c.addresses6("teredo"),
               "a fresh address replaced the one from before the pause", (addr, new))
    both_ways(check, core, c, new, "after the pause")


def main():
    fns = {"move": move, "unrelated": unrelated, "nat-reboot": nat_reboot, "stopped": stopped}
    if len(sys.argv) != 2 or sys.argv[1] not in fns:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(fns)}")
    L.run_test(TOKENS[sys.argv[1]], fns[sys.argv[1]])


if __name__ == "__main__":
    main()
