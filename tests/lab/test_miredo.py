#!/usr/bin/python3
"""Miredo in every role: the lab's baseline, and the reference shipworm must match.

    test_miredo.py native KIND   a Miredo client behind a KIND NAT (or `direct`, no NAT)
                                 qualifies with miredo-server and pings the native IPv6
                                 host through a Miredo relay (RelayType cone)
    test_miredo.py peers         three clients behind full cone, address-restricted and
                                 port-restricted NATs ping each other's Teredo addresses
    test_miredo.py symmetric     what a Miredo client behind a symmetric NAT does (qualifies,
                                 native, client-to-client), as observed and asserted

IMPL_SERVER / IMPL_RELAY / IMPL_CLIENT (miredo|shipworm, default miredo) choose who plays
each role, so the same scenarios run against shipworm once it has those roles.
"""
import os
import sys
import threading

import lab as L

IMPL = {r: os.environ.get(f"IMPL_{r.upper()}", "miredo") for r in ("server", "relay", "client")}
TOKENS = {"full-cone": "mfc", "address-restricted": "mar", "port-restricted": "mpr",
          "symmetric": "msy", "direct": "mdi", "peers": "mpe", "symmetric-doc": "msd"}
PINGS = 3


def start_core(lab, capture=True):
    core = lab.core()
    if capture:
        lab.capture(core.server, "eth0")
        lab.capture(core.relay, "eth0")
    lab.start_role(IMPL["server"], "server", core.server)
    lab.start_role(IMPL["relay"], "relay", core.relay)
    return core


def local_udp_ports(host, process):
    """UDP ports the named process has bound in host's namespace (from `ss`)."""
    ports = set()
    for line in host.run("ss", "-Hunap").splitlines():
        if f'(("{process}"' in line:
            ports.add(int(line.split()[3].rpartition(":")[2]))
    return ports


def qualify(lab, check, c, nat):
    """Start a client in c, wait for its Teredo address, check the address; return it."""
    lab.start_role(IMPL["client"], "client", c)
    addr = lab.wait_qualified(c, timeout=10)
    t = L.teredo_decode(addr)
    public = nat.ip if nat else c.ip
    check.that(t["server"] == L.SERVER_IPS[0], f"{c.role}: address names the server",
               f"{addr} -> {t}")
    check.that(t["mapped"] == public, f"{c.role}: mapped address is the public one {public}",
               t["mapped"])
    check.that(t["flags"] & 0x8000 == 0, f"{c.role}: cone flag clear (Miredo always uses the "
               "restricted RS)", hex(t["flags"]))
    return addr, t


def ping_ok(check, src, dst, what):
    r = src.ping6(dst, count=PINGS, deadline=10)
    check.that(r["received"] == PINGS and r["from"] == [dst] and not r["errors"],
               f"{what}: {PINGS}/{PINGS} echo replies from {dst}", r)
    return r


def native(kind):
    def body(lab, check):
        core = start_core(lab)
        nat = None if kind == "direct" else lab.nat(kind)
        c = lab.client("c1", behind=nat)
        if nat:
            lab.capture(nat, "wan")
        _, t = qualify(lab, check, c, nat)
        if kind != "symmetric":
            local = local_udp_ports(c, "miredo") if IMPL["client"] == "miredo" else None
            if local is not None:
                check.that(t["port"] in local, "mapped port is the client's own port "
                           "(the NAT preserves ports)", f"{t['port']} vs {local}")
        ping_ok(check, c, L.NATIVE_V6, "client -> native host")
        # The replies came back through the relay, not the server.
        public = nat.ip if nat else c.ip
        relay_cap = os.path.join(lab.workdir, "rly-eth0.pcap")
        to_client = lab.pcap(relay_cap, f"udp and src host {L.RELAY_IP} and dst host {public}")
        check.that(len(to_client) >= PINGS, "the relay sent the replies to the client over "
                   "UDP/IPv4", len(to_client))
    return body


def peers(lab, check):
    start_core(lab, capture=False)
    clients = []
    for kind in ("full-cone", "address-restricted", "port-restricted"):
        nat = lab.nat(kind)
        lab.capture(nat, "wan")
        c = lab.client(f"c{len(clients) + 1}", behind=nat)
        clients.append((c, nat, kind))
    addrs = {c.role: qualify(lab, check, c, nat)[0] for c, nat, _ in clients}
    for a, na, ka in clients:
        for b, nb, kb in clients:
            if a is b:
                continue
            ping_ok(check, a, addrs[b.role], f"{a.role} ({ka}) -> {b.role} ({kb})")
    # The echo traffic between two clients went straight between their NATs.
    for a, na, ka in clients:
        for b, nb, kb in clients:
            if a is b:
                continue
            cap = os.path.join(lab.workdir, f"{na.role}-wan.pcap")
            direct = lab.pcap(cap, f"udp and src host {na.ip} and dst host {nb.ip}")
            check.that(len(direct) >= PINGS, f"{ka} -> {kb}: direct UDP between the NATs",
                       len(direct))


def symmetric(lab, check):
    """Miredo behind a symmetric NAT (address-and-port-dependent mapping, random ports)."""
    core = start_core(lab)
    sym = lab.nat("symmetric")
    prc = lab.nat("port-restricted")
    fc = lab.nat("full-cone")
    for n in (sym, prc, fc):
        lab.capture(n, "wan")
    cs = lab.client("cs", behind=sym)
    cp = lab.client("cp", behind=prc)
    cf = lab.client("cf", behind=fc)
    # Miredo never probes the secondary server address, so it cannot see that the NAT is
    # symmetric: it qualifies, with the mapping the NAT chose toward the server.
    a_s, t_s = qualify(lab, check, cs, sym)
    local = local_udp_ports(cs, "miredo")
    check.that(t_s["port"] not in local, "behind the symmetric NAT the mapped port is a "
               "NAT-chosen one, not the client's", f"{t_s['port']} vs {local}")

    # Native: the relay's indirect bubble arrives via the server; the client's direct bubble
    # reaches the relay from a *new* mapping (another port); Miredo's relay accepts it
    # (the bubble's keyed link-local source checks out) and uses that mapping.
    ping_ok(check, cs, L.NATIVE_V6, "symmetric client -> native host")
    relay_cap = os.path.join(lab.workdir, "rly-eth0.pcap")
    ports = {line.split()[2].rpartition(".")[2] for line in
             lab.pcap(relay_cap, f"udp and src host {sym.ip} and dst host {L.RELAY_IP}")}
    check.that(bool(ports) and str(t_s["port"]) not in ports,
               "the relay talks to the symmetric client on a mapping other than the one in "
               "its Teredo address", f"teredo port {t_s['port']}, relay saw {sorted(ports)}")

    # Client to client. The outcome depends on history (a failed attempt leaves NAT and
    # peer state behind), so each direction gets its own fresh pair of clients, all pinging
    # at the same time: symmetric <-> port-restricted and symmetric <-> full cone.
    pairs = []
    for i, (peer_kind, sym_first) in enumerate((("port-restricted", True),
                                                ("port-restricted", False),
                                                ("full-cone", True), ("full-cone", False))):
        ns_sym = lab.nat("symmetric")
        ns_peer = lab.nat(peer_kind)
        lab.capture(ns_sym, "wan")
        lab.capture(ns_peer, "wan")
        s_c = lab.client(f"s{i}", behind=ns_sym)
        p_c = lab.client(f"p{i}", behind=ns_peer)
        a_sym, _ = qualify(lab, check, s_c, ns_sym)
        a_peer, _ = qualify(lab, check, p_c, ns_peer)
        name = f"symmetric->{peer_kind}" if sym_first else f"{peer_kind}->symmetric"
        pairs.append((name, (s_c, a_peer) if sym_first else (p_c, a_sym)))
    results = {}
    threads = [threading.Thread(target=lambda n=n, src=src, dst=dst: results.__setitem__(
        n, src.ping6(dst, count=PINGS, deadline=8))) for n, (src, dst) in pairs]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for name, _ in pairs:
        r = results[name]
        L.log(f"observed {name}: {r['received']}/{r['sent']} replies, errors {r['errors']}")
    for name, want in EXPECT_SYMMETRIC_PEERS.items():
        check.that(results[name]["received"] == want,
                   f"{name}: {want}/{PINGS} replies (Miredo behind a symmetric NAT)", results[name])


# Observed with Miredo 1.2.6 (see the README): replies received out of PINGS, fresh state.
EXPECT_SYMMETRIC_PEERS = {
    "symmetric->port-restricted": 0,
    "port-restricted->symmetric": 0,
    "symmetric->full-cone": 0,
    "full-cone->symmetric": PINGS,
}


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "native" and args[1] in TOKENS:
        L.run_test(TOKENS[args[1]], native(args[1]))
    elif args == ["peers"]:
        L.run_test(TOKENS["peers"], peers)
    elif args == ["symmetric"]:
        L.run_test(TOKENS["symmetric-doc"], symmetric)
    else:
        sys.exit(f"usage: {sys.argv[0]} native KIND|direct | peers | symmetric")


if __name__ == "__main__":
    main()
