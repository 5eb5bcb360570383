#!/usr/bin/python3
"""`shipworm client` in the lab (issue 5).

    test_client.py native KIND SERVER [RELAY]
                                        shipworm client behind a KIND NAT qualifies against
                                        SERVER (miredo|shipworm) and pings the native IPv6
                                        host through RELAY (default $IMPL_RELAY or miredo);
                                        the interface carries what Miredo's hook sets up
    test_client.py peers                two shipworm clients behind different NATs and a
                                        Miredo client ping each other; the data goes
                                        straight between the NATs, never via server or relay
    test_client.py symmetric            behind a symmetric NAT: reported (log), and the
                                        address reaches the native host through the relay
                                        ($IMPL_RELAY: shipworm's needs RFC 6081 nonces)
    test_client.py symmetric-stop       the same with 'SymmetricNat stop': a clear message
                                        and exit status 1
    test_client.py nat-flush            the NAT drops its mappings (and picks new ports): at
                                        the next refresh the client moves to a new address,
                                        the old one goes, the hook sees the change
    test_client.py server-restart       the server goes away: the client withdraws its
                                        address (hook STATE=down); it comes back: a new
                                        address (hook STATE=up)
    test_client.py miredo-hook          Miredo's /etc/miredo/client-hook as HookScript
    test_client.py names                an unresolvable server name is logged; a fallback
                                        server given by name is resolved and used
    test_client.py status               `shipworm status|peers --json` and /metrics of a
                                        qualified client that pinged another client
    test_client.py native-initiates RELAY
                                        the native host pings a shipworm client first,
                                        through RELAY (miredo|shipworm): the client's
                                        default case-6 ping test lets the later pings in
"""
import json
import os
import shutil
import signal
import sys
import time

import lab as L

IMPL_RELAY = os.environ.get("IMPL_RELAY", "miredo")
KINDS = {"full-cone": "fc", "address-restricted": "ar", "port-restricted": "pr", "direct": "di"}
PINGS = 3
BIG = 200  # echo payload: data packets are larger than any RS, RA or bubble in a capture


def tokens(relay):
    t = {"peers": "cpe", "miredo-hook": "cmh", "names": "cnm", "symmetric": "csy", "symmetric-stop": "css", "nat-flush": "cnf",
         "server-restart": "csr", "status": "cst"}
    for r in ("miredo", "shipworm"):
        t[f"native-initiates-{r}"] = f"cni{r[0]}"
    if relay == "shipworm":
        t["symmetric"] = "csys"  # its own token: both variants may run at once
    for kind, k in KINDS.items():
        for server in ("miredo", "shipworm"):
            # c + kind + server + relay initial: cfcmm, cprsm, ...; unique, <= 6 chars
            t[f"native-{kind}-{server}"] = f"c{k}{server[0]}{relay[0]}"
    return t


def start_core(lab, server="miredo", capture=True, relay=None):
    core = lab.core()
    if capture:
        lab.capture(core.server, "eth0")
        lab.capture(core.relay, "eth0")
    lab.server_role = lab.start_role(server, "server", core.server)
    lab.start_role(relay or IMPL_RELAY, "relay", core.relay)
    return core


def start_client(lab, host, extra=(), impl="shipworm", wait=True):
    return lab.start_role(impl, "client", host, wait=wait, extra=list(extra) + (
        ["LogLevel info"] if impl == "shipworm" else []))


def check_address(check, c, addr, nat):
    t = L.teredo_decode(addr)
    public = nat.ip if nat else c.ip
    check.that(t["server"] == L.SERVER_IPS[0], f"{c.role}: address names the server",
               f"{addr} -> {t}")
    check.that(t["mapped"] == public, f"{c.role}: mapped address is the public one {public}",
               t["mapped"])
    check.that(t["flags"] & 0x8000 == 0, f"{c.role}: cone flag clear (RFC 5991 §3.2)",
               hex(t["flags"]))
    return t


def check_interface(check, c, addr):
    """What Miredo's client-hook would have configured, done by shipworm via rtnetlink."""
    out = c.ip_cmd("-6", "addr", "show", "dev", "teredo")
    check.that(f"{addr}/32" in out, f"{c.role}: Teredo address configured as /32", out.strip())
    check.that("fe80::ffff:ffff:ffff/64" in out, f"{c.role}: link-local fe80::ffff:ffff:ffff/64",
               out.strip())
    link = c.ip_cmd("link", "show", "dev", "teredo")
    check.that("mtu 1280" in link and ",UP" in link, f"{c.role}: teredo is up with MTU 1280",
               link.strip())
    routes = c.ip_cmd("-6", "route", "show", "dev", "teredo")
    check.that("2001::/32" in routes, f"{c.role}: route 2001::/32 via teredo", routes.strip())
    check.that(any(r.startswith("default") and "metric 1029" in r for r in routes.splitlines()),
               f"{c.role}: last-resort default route, metric 1029", routes.strip())


def log_has(rp, text, timeout=0):
    if timeout:
        try:
            return L.wait_for(f"'{text}' in the client log", lambda: text in rp.log_text(), timeout)
        except L.LabError:
            return False
    return text in rp.log_text()


def ping(check, src, dst, what, size=56, count=PINGS):
    r = src.ping6(dst, count=count, deadline=10, size=size)
    check.that(r["received"] == count and r["from"] == [dst] and not r["errors"],
               f"{what}: {count}/{count} echo replies from {dst}", r)
    return r


def native(kind, server, relay):
    def body(lab, check):
        start_core(lab, server, relay=relay)
        nat = None if kind == "direct" else lab.nat(kind)
        c = lab.client("c1", behind=nat)
        rp = start_client(lab, c)
        addr = lab.wait_qualified(c)
        check_address(check, c, addr, nat)
        check_interface(check, c, addr)
        check.that(log_has(rp, "qualified: " + addr), "the client logs 'qualified: ADDRESS' with "
                   "its cause", rp.log_text()[-600:])
        ping(check, c, L.NATIVE_V6, f"shipworm client ({kind}) -> native host via {relay} relay")
        public = nat.ip if nat else c.ip
        relay_cap = os.path.join(lab.workdir, "rly-eth0.pcap")
        to_client = lab.pcap(relay_cap, f"udp and src host {L.RELAY_IP} and dst host {public}")
        check.that(len(to_client) >= PINGS, "the relay sent the replies to the client over "
                   "UDP/IPv4", len(to_client))
        # SIGHUP reloads without losing the address; SIGUSR1 logs the counters.
        os.kill(rp.proc.pid, signal.SIGHUP)
        check.that(log_has(rp, "reload: configuration applied", 5), "SIGHUP: configuration reloaded")
        check.that(c.teredo_address() == addr, "SIGHUP: the address is kept", c.teredo_address())
        os.kill(rp.proc.pid, signal.SIGUSR1)
        check.that(log_has(rp, "datagrams ", 5) and "RA " in rp.log_text(),
                   "SIGUSR1: counters logged", rp.log_text()[-400:])
        check.that(rp.alive(), "shipworm client still running")
        rp.stop()
        check.that(rp.proc.returncode == 0, "SIGTERM: clean exit (status 0)", rp.proc.returncode)
        check.that("teredo" not in c.ip_cmd("-o", "link", "show", check=False),
                   "the interface is gone after exit")
    return body


def peers(lab, check):
    start_core(lab, capture=True)
    hosts = []
    for name, kind, impl in (("a", "full-cone", "shipworm"), ("b", "port-restricted", "shipworm"),
                             ("m", "address-restricted", "miredo")):
        nat = lab.nat(kind)
        lab.capture(nat, "wan")
        h = lab.client(name, behind=nat)
        start_client(lab, h, impl=impl)
        hosts.append((h, nat, f"{impl} {name} ({kind})"))
    addrs = {}
    for h, nat, what in hosts:
        addrs[h.role] = lab.wait_qualified(h)
        check_address(check, h, addrs[h.role], nat)
    for a, na, wa in hosts:
        for b, nb, wb in hosts:
            if a is b:
                continue
            ping(check, a, addrs[b.role], f"{wa} -> {wb}", size=BIG)
    # Data (echo requests/replies of BIG bytes) went straight between the NATs ...
    for a, na, wa in hosts:
        for b, nb, wb in hosts:
            if a is b:
                continue
            cap = os.path.join(lab.workdir, f"{na.role}-wan.pcap")
            direct = lab.pcap(cap, f"udp and src host {na.ip} and dst host {nb.ip} and greater {BIG}")
            check.that(len(direct) >= 2 * PINGS, f"{wa} -> {wb}: data direct between the NATs",
                       len(direct))
    # ... and never through the server or the relay (only RS/RA/bubbles, all small, there).
    nat_ips = " or ".join(f"host {n.ip}" for _, n, _ in hosts)
    for host, cap in (("server", "srv-eth0.pcap"), ("relay", "rly-eth0.pcap")):
        big = lab.pcap(os.path.join(lab.workdir, cap), f"udp and ({nat_ips}) and greater {BIG}")
        check.that(not big, f"no client-to-client data through the {host}", big[:4])


def symmetric(lab, check):
    core = start_core(lab)
    nat = lab.nat("symmetric")
    lab.capture(nat, "wan")
    c = lab.client("c1", behind=nat)
    rp = start_client(lab, c)
    addr = lab.wait_qualified(c)
    t = L.teredo_decode(addr)
    check.that(t["mapped"] == nat.ip, "address embeds the NAT's public address", t)
    check.that(log_has(rp, "behind a symmetric NAT", 2), "the client says it is behind a "
               "symmetric NAT", rp.log_text()[-800:])
    check.that(log_has(rp, "cannot be reached directly"), "and which peers it cannot reach")
    ping(check, c, L.NATIVE_V6, "symmetric client -> native host via the relay")
    if IMPL_RELAY == "shipworm":
        # The relay took the client's answer from the NAT's new port for its RFC 6081 nonce.
        sock = lab.control_socket(core.relay, "relay")
        st = json.loads(L.sh(L.shipworm_bin(), "status", "--json", "--control", sock))
        check.that(st["counters"]["bubbles_nonce_accepted"] >= 1 and not st["drops"].get(
                   "teredo_source_mismatch"), "shipworm relay: the bubble echoing its nonce was "
                   "accepted, none dropped as a source mismatch", st["counters"])
        peers = json.loads(L.sh(L.shipworm_bin(), "peers", "--json", "--control", sock))["peers"]
        mine = [p for p in peers if p["address"] == addr]
        check.that(len(mine) == 1 and mine[0]["trusted"] and mine[0]["mapping"].startswith(nat.ip + ":")
                   and mine[0]["mapping"] != f"{nat.ip}:{t['port']}",
                   "shipworm relay: the client is trusted at the NAT's port towards the relay, "
                   "not the one its address embeds", (t, mine))


def symmetric_stop(lab, check):
    start_core(lab, capture=False)
    nat = lab.nat("symmetric")
    c = lab.client("c1", behind=nat)
    rp = start_client(lab, c, extra=["SymmetricNat stop"], wait=False)
    try:
        L.wait_for("the client to exit", lambda: not rp.alive(), 20)
    except L.LabError:
        pass
    check.that(not rp.alive(), "with 'SymmetricNat stop' the client stops")
    check.that(rp.proc.poll() == 1, "exit status 1", rp.proc.poll())
    text = rp.log_text()
    check.that("symmetric NAT" in text and "SymmetricNat stop" in text,
               "the log says why (symmetric NAT, SymmetricNat stop)", text[-800:])
    check.that(c.teredo_address() is None, "no Teredo address was configured")


HOOK = """#!/bin/sh
# Appends one record per run: '---', the variables Miredo's client-hook reads (and ours),
# '...'. Written with one append so a reader never sees half a record.
rec="$(echo ---; env | grep -E '^(STATE|OLD_STATE|IFACE|ADDRESS|OLD_ADDRESS|LLADDRESS|MTU|SHIPWORM_[A-Z]+)=' | sort; echo ...)"
echo "$rec" >> {out}
"""


def hook_events(path):
    """The hook's complete runs, each a dict of the variables it saw."""
    events, cur = [], None
    try:
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                if line == "---":
                    cur = {}
                elif line == "..." and cur is not None:
                    events.append(cur)
                    cur = None
                elif "=" in line and cur is not None:
                    k, _, v = line.partition("=")
                    cur[k] = v
    except OSError:
        pass
    return events


def hooked_client(lab, c, extra=(), refresh="RefreshInterval 10"):
    out = os.path.join(lab.workdir, f"{c.role}.hook.env")
    script = os.path.join(lab.workdir, f"{c.role}.hook.sh")
    with open(script, "w") as f:
        f.write(HOOK.format(out=out))
    os.chmod(script, 0o755)
    rp = start_client(lab, c, extra=[f"HookScript {script}", refresh] + list(extra))
    return rp, out


def wait_hook(out, n, timeout):
    try:
        return L.wait_for(f"{n} hook runs", lambda: (e := hook_events(out)) and len(e) >= n and e,
                          timeout)
    except L.LabError:
        return hook_events(out)


def nat_flush(lab, check):
    start_core(lab, capture=False)
    nat = lab.nat("port-restricted")
    c = lab.client("c1", behind=nat)
    rp, out = hooked_client(lab, c)
    a1 = lab.wait_qualified(c)
    ev = wait_hook(out, 1, 5)
    check.that(ev and ev[0].get("STATE") == "up" and ev[0].get("ADDRESS") == a1
               and ev[0].get("IFACE") == "teredo" and ev[0].get("LLADDRESS") == "fe80::ffff:ffff:ffff"
               and ev[0].get("MTU") == "1280",
               "hook: STATE=up with ADDRESS, IFACE, LLADDRESS, MTU (Miredo's variables)", ev)
    # The NAT forgets every mapping and from now on maps to other ports: the next refresh
    # (RefreshInterval 10: within 7.5-10 s) sees a new mapping.
    nat.remap_ports()
    a2 = L.wait_for("a new Teredo address", lambda: (a := c.teredo_address()) and a != a1 and a, 20)
    check.that(a2 != a1, "after the NAT lost its mapping the client has a new address", (a1, a2))
    check.that(L.teredo_decode(a2)["port"] != L.teredo_decode(a1)["port"],
               "the new address embeds the new mapped port",
               (L.teredo_decode(a1), L.teredo_decode(a2)))
    check.that(a1 not in c.addresses6("teredo"), "the old address was removed",
               c.addresses6("teredo"))
    ev = wait_hook(out, 2, 5)
    check.that(len(ev) >= 2 and ev[1].get("STATE") == "up" and ev[1].get("ADDRESS") == a2
               and ev[1].get("OLD_ADDRESS") == a1,
               "hook: STATE=up with the new ADDRESS and OLD_ADDRESS", ev)
    ping(check, c, L.NATIVE_V6, "with the new address: client -> native host")
    check.that(log_has(rp, f"address {a1} -> {a2}") and log_has(rp, "mapping changed from"),
               "the change is logged with its cause", rp.log_text()[-600:])


def server_restart(lab, check):
    core = start_core(lab, capture=False)
    nat = lab.nat("address-restricted")
    c = lab.client("c1", behind=nat)
    rp, out = hooked_client(lab, c)
    a1 = lab.wait_qualified(c)
    wait_hook(out, 1, 5)
    lab.server_role.stop()
    # Next refresh within 10 s, then 3 RSs 4 s apart: the server is lost within ~22 s.
    L.wait_for("the address to be withdrawn", lambda: c.teredo_address() is None, 35)
    ev = wait_hook(out, 2, 5)
    check.that(len(ev) >= 2 and ev[1].get("STATE") == "down" and ev[1].get("OLD_ADDRESS") == a1,
               "hook: STATE=down with OLD_ADDRESS when the server is lost", ev)
    check.that(log_has(rp, "lost: no reply after 3"), "the loss is logged with its cause",
               rp.log_text()[-800:])
    routes = c.ip_cmd("-6", "route", "show", "dev", "teredo", check=False)
    check.that("default" not in routes, "the default route went with the address", routes)
    # The server comes back; meanwhile the NAT lost its mapping too (new ports).
    nat.remap_ports()
    lab.start_role("miredo", "server", core.server)
    a2 = lab.wait_qualified(c, timeout=30)
    check.that(a2 != a1, "qualified again, with a new address", (a1, a2))
    ev = wait_hook(out, 3, 5)
    check.that(len(ev) >= 3 and ev[-1].get("STATE") == "up" and ev[-1].get("ADDRESS") == a2
               and ev[-1].get("OLD_STATE") == "down",
               "hook: STATE=up (OLD_STATE=down) with the new ADDRESS", ev)
    ping(check, c, L.NATIVE_V6, "after the server came back: client -> native host")


def miredo_hook(lab, check):
    """Miredo's own /etc/miredo/client-hook as HookScript: it flushes the interface and sets
    it up again with iproute2; the result must be the same working configuration."""
    start_core(lab, capture=False)
    nat = lab.nat("full-cone")
    c = lab.client("c1", behind=nat)
    rp = start_client(lab, c, extra=["HookScript /etc/miredo/client-hook"])
    addr = lab.wait_qualified(c)
    check.that(log_has(rp, "(STATE=up) done", 10), "Miredo's client-hook ran and succeeded",
               rp.log_text()[-600:])
    check_interface(check, c, addr)
    ping(check, c, L.NATIVE_V6, "with Miredo's hook: client -> native host")
    rp.stop()
    check.that(rp.proc.returncode == 0 and "(STATE=down) done" in rp.log_text(),
               "at exit the hook ran with STATE=down", rp.log_text()[-400:])


def names(lab, check):
    """Servers given by name: one that does not resolve (a clear log line) and a fallback
    that does (through /etc/netns/<ns>/hosts, which `ip netns exec` mounts over /etc/hosts)."""
    start_core(lab, capture=False)
    nat = lab.nat("port-restricted")
    c = lab.client("c1", behind=nat)
    etc = f"/etc/netns/{c.ns}"
    os.makedirs(etc, exist_ok=True)
    try:
        with open(f"{etc}/hosts", "w") as f:
            f.write(f"127.0.0.1 localhost\n{L.SERVER_IPS[0]} teredo.lab.test\n")
        conf = os.path.join(lab.workdir, "c1.names.conf")
        with open(conf, "w") as f:
            f.write("RelayType client\nInterfaceName teredo\nServerAddress nowhere.invalid\n"
                    "FallbackServer teredo.lab.test\nLogLevel info\n")
        p = lab.popen(c, "shipworm-client", L.shipworm_bin(), "client", "-c", conf)
        rp = L.RoleProcess(lab, c, "shipworm", "client", conf, p, None,
                           lab.logpath(c, "shipworm-client"))
        addr = lab.wait_qualified(c)
        check.that(log_has(rp, "cannot resolve server name 'nowhere.invalid'"),
                   "an unresolvable server name is a clear log line", rp.log_text()[-600:])
        check.that(L.teredo_decode(addr)["server"] == L.SERVER_IPS[0],
                   "qualified through the fallback server given by name", addr)
        ping(check, c, L.NATIVE_V6, "client -> native host")
    finally:
        shutil.rmtree(etc, ignore_errors=True)
        try:
            os.rmdir("/etc/netns")  # only if empty (ip-netns(8) creates it on demand too)
        except OSError:
            pass


def status_json(lab, host, request="status"):
    out = host.run(L.shipworm_bin(), request, "--json", "--control",
                   lab.control_socket(host, "client"), check=False)
    try:
        return json.loads(out)
    except ValueError:
        return {"unparsable": out}


METRICS_PORT = 9464
FETCH = ("import sys, urllib.request\n"
         "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())\n")


def status(lab, check):
    """Issue 7: what a running client says about itself, over the control socket and HTTP."""
    start_core(lab, capture=False)
    nat_a, nat_b = lab.nat("full-cone"), lab.nat("port-restricted")
    a = lab.client("a", behind=nat_a)
    b = lab.client("b", behind=nat_b)
    start_client(lab, a, extra=[f"MetricsAddress 127.0.0.1:{METRICS_PORT}"])
    start_client(lab, b)
    addr_a, addr_b = lab.wait_qualified(a), lab.wait_qualified(b)
    ping(check, a, addr_b, "shipworm a (full-cone) -> shipworm b (port-restricted)")
    ping(check, a, L.NATIVE_V6, "shipworm a -> native host")

    s = status_json(lab, a)
    check.that(s.get("role") == "client" and s.get("state") == "qualified",
               "status: role client, state qualified", s)
    check.that(s.get("address") == a.teredo_address() == addr_a,
               "status: the address is the interface's Teredo address", (s.get("address"), addr_a))
    port = L.teredo_decode(addr_a)["port"]
    check.that(s.get("mapping") == f"{nat_a.ip}:{port}",
               f"status: mapping is the NAT's public {nat_a.ip}:{port}", s.get("mapping"))
    dec = s.get("address_decoded", {})
    check.that(dec.get("mapped") == nat_a.ip and dec.get("port") == port
               and dec.get("server") == L.SERVER_IPS[0] and dec.get("cone") is False,
               "status: address_decoded (server, mapped, port, cone)", dec)
    check.that(s.get("nat_type") == "cone-or-restricted", "status: NAT type cone-or-restricted",
               s.get("nat_type"))
    srv = s.get("server", {})
    check.that(srv.get("primary") == L.SERVER_IPS[0], "status: server primary in use", srv)
    check.that(isinstance(srv.get("rtt_ms"), (int, float)) and 0 <= srv["rtt_ms"] < 1000,
               "status: RS -> RA round trip measured", srv)
    check.that("qualified with" in s.get("cause", "") and "-> qualified" in s.get("last_transition", ""),
               "status: last transition and its cause", (s.get("last_transition"), s.get("cause")))
    check.that(s.get("interface") == "teredo" and s.get("mtu") == 1280,
               "status: interface teredo, MTU 1280", (s.get("interface"), s.get("mtu")))
    c = s.get("counters", {})
    check.that(c.get("qualifications", 0) >= 1 and c.get("ra_accepted", 0) >= 2
               and c.get("sent", 0) >= 2 * PINGS and c.get("delivered", 0) >= 2 * PINGS
               and c.get("bubbles_indirect", 0) >= 1 and c.get("pings_sent", 0) >= 1,
               "status: counters (qualifications, RA, packets each way, bubbles, ping tests)", c)
    check.that(s.get("peers", {}).get("trusted", 0) >= 2, "status: peers summary", s.get("peers"))
    check.that(isinstance(s.get("drops"), dict), "status: drops by reason", s.get("drops"))

    p = status_json(lab, a, "peers")
    listed = {e.get("address"): e for e in p.get("peers", [])}
    e = listed.get(addr_b, {})
    port_b = L.teredo_decode(addr_b)["port"]
    check.that(e.get("trusted") is True and e.get("mapping") == f"{nat_b.ip}:{port_b}"
               and e.get("last_rx_seconds", 99) < 30 and e.get("queued_bytes") == 0,
               "peers: b listed, trusted, at its mapping, heard from recently", p)
    check.that(L.NATIVE_V6 in listed and listed[L.NATIVE_V6].get("trusted") is True,
               "peers: the native host listed (through the relay)", p)
    check.that(p.get("truncated") is False and p.get("count") == len(p.get("peers", [])),
               "peers: count and truncated flag", p)

    text = a.run(L.PY, "-c", FETCH, f"http://127.0.0.1:{METRICS_PORT}/metrics", check=False)
    lines = text.splitlines()
    check.that("shipworm_qualified 1" in lines, "metrics: shipworm_qualified 1", text[:400])
    check.that(any(x.startswith('shipworm_info{role="client"') for x in lines)
               and any(x.startswith('shipworm_packets_total{direction="to_peers"}') for x in lines)
               and any(x.startswith('shipworm_peers{trust="trusted"}') for x in lines)
               and text.rstrip().endswith("# EOF"),
               "metrics: info, packets, peers by trust, OpenMetrics EOF", text[-600:])


def native_initiates(relay):
    """RFC 4380 §5.2.3 case 6: the relay's first data packet reaches the client from a
    source it has no entry for. The client drops it, runs the direct connectivity test
    (§5.2.9) through its server (rate-limited, CVE-2006-6266), the native host answers via
    the same relay, and from then on the relay is the native host's mapping. So the first
    echo request is lost (dropped while the test runs) and the later ones get replies."""
    def body(lab, check):
        core = start_core(lab, capture=False, relay=relay)
        nat = lab.nat("port-restricted")
        c = lab.client("c1", behind=nat)
        start_client(lab, c)
        addr = lab.wait_qualified(c)
        got = []
        for _ in range(5):
            r = core.native.ping6(addr, count=1, deadline=1.5)
            got.append(r["received"] == 1)
        check.that(all(got[2:]) and sum(got) >= 3,
                   f"native host -> shipworm client via {relay} relay: the later pings are "
                   "answered (the first may be lost to the ping test)", got)
        s = status_json(lab, c)
        d, n = s.get("drops", {}), s.get("counters", {})
        check.that(d.get("unsolicited_source", 0) >= 1 and n.get("pings_sent", 0) >= 1,
                   "the client saw case 6 and ran a ping test", (d, n))
        check.that(n.get("delivered", 0) >= 3, "the native host's packets were delivered", n)
        p = status_json(lab, c, "peers")
        e = {x.get("address"): x for x in p.get("peers", [])}.get(L.NATIVE_V6, {})
        check.that(e.get("trusted") is True, "the native host is a trusted peer (via the relay)", p)
    return body


def main():
    args = sys.argv[1:]
    impls = ("miredo", "shipworm")
    if 3 <= len(args) <= 4 and args[0] == "native" and args[1] in KINDS and args[2] in impls:
        relay = args[3] if len(args) == 4 else IMPL_RELAY
        if relay not in impls:
            sys.exit(f"unknown relay implementation {relay}")
        L.run_test(tokens(relay)[f"native-{args[1]}-{args[2]}"], native(args[1], args[2], relay))
    elif len(args) == 2 and args[0] == "native-initiates" and args[1] in impls:
        L.run_test(tokens(args[1])[f"native-initiates-{args[1]}"], native_initiates(args[1]))
    elif len(args) == 1 and args[0] in tokens(IMPL_RELAY):
        fn = {"peers": peers, "symmetric": symmetric, "symmetric-stop": symmetric_stop,
              "nat-flush": nat_flush, "server-restart": server_restart,
              "miredo-hook": miredo_hook, "names": names, "status": status}[args[0]]
        L.run_test(tokens(IMPL_RELAY)[args[0]], fn)
    else:
        sys.exit(f"usage: {sys.argv[0]} native KIND miredo|shipworm [RELAY] | peers | symmetric | "
                 "symmetric-stop | nat-flush | server-restart | miredo-hook | names | status | "
                 "native-initiates RELAY")


if __name__ == "__main__":
    main()
