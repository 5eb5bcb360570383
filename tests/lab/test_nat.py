#!/usr/bin/python3
"""The lab proves its NAT boxes: each kind's mapping and filtering behaviour, measured.

    test_nat.py KIND        KIND in full-cone, address-restricted, port-restricted, symmetric
    test_nat.py flush       mappings can be flushed and timed out mid-test (full cone)
    test_nat.py hairpin     a hairpinning full cone NAT reflects LAN traffic to its own mapping

A client behind the NAT talks to two public hosts (A1, A2), each running udp_echo.py on two
ports (p1, p2), which report the source address:port they saw (the NAT mapping).

Mapping (RFC 4787 §4.1): from one socket, probe A1:p1, A1:p2 and A2:p1. Endpoint-
independent mapping reports one mapping for all three; address-and-port-dependent mapping
reports three different ports.

Filtering (RFC 4787 §5): from a fresh socket, probe A1:p1 and ask for the answer to come
back from A1:p2 (change port), from A2:p1 (change address) and from A2:p2 (both).
"""
import sys
import time

import lab as L

A1, A2 = L.PROBE_IPS
P1, P2 = L.PROBE_PORTS

# kind -> (endpoint-independent mapping, answer from A1:p2 let in, answer from A2 let in)
EXPECT = {
    "full-cone": (True, True, True),
    "address-restricted": (True, True, False),
    "port-restricted": (True, False, False),
    "symmetric": (False, False, False),
}
TOKENS = {"full-cone": "nfc", "address-restricted": "nar", "port-restricted": "npr",
          "symmetric": "nsy", "flush": "nfl", "hairpin": "nhp"}


def behaves(kind):
    def body(lab, check):
        eim, port_change_in, addr_change_in = EXPECT[kind]
        lab.probe_hosts()
        nat = lab.nat(kind)
        c = lab.client("c1", behind=nat)

        # Mapping behaviour.
        ag = lab.agent(c)
        local = ag.local()
        r = [ag.probe(A1, P1), ag.probe(A1, P2), ag.probe(A2, P1)]
        check.require(all(x["ok"] for x in r), "plain probes are answered through the NAT",
                      r)
        seen = [x["seen"] for x in r]
        check.that(all(s.split(":")[0] == nat.ip for s in seen),
                   f"every mapping uses the NAT's public address {nat.ip}", seen)
        if eim:
            check.that(len(set(seen)) == 1, "endpoint-independent mapping: one mapping for "
                       "A1:p1, A1:p2, A2:p1", seen)
            check.that(seen[0].split(":")[1] == local.split(":")[1],
                       "the mapping preserves the client's port", f"{local} -> {seen[0]}")
        else:
            check.that(len(set(seen)) == 3, "address-and-port-dependent mapping: a different "
                       "mapping per destination", seen)

        # Filtering behaviour, each case from a fresh socket (a fresh mapping).
        for flags, expected, what in ((["CP"], port_change_in, "A1:p2 (same address, other port)"),
                                      (["CI"], addr_change_in, "A2:p1 (other address)"),
                                      (["CI", "CP"], addr_change_in, "A2:p2 (other address and port)")):
            ag = lab.agent(c)
            first = ag.probe(A1, P1)
            check.require(first["ok"], "fresh socket: plain probe answered", first)
            got = ag.probe(A1, P1, *flags, timeout=0.7 if not expected else 2.0)
            if expected:
                want_from = f"{A2 if 'CI' in flags else A1}:{P2 if 'CP' in flags else P1}"
                check.that(got["ok"] and got["from"] == want_from,
                           f"an answer from {what} is let in", got)
                check.that(got["seen"] == first["seen"],
                           "the change-request answer reports the same mapping", got)
            else:
                check.that(not got["ok"], f"an answer from {what} is filtered", got)

        # Unsolicited traffic to a port nobody mapped never gets in.
        ag = lab.agent(c)
        ag.probe(A1, P1)
        s1 = lab.agent(lab.hosts["pr2"], bind=f"{A2}:0")
        s1.send(nat.ip, 40000, "UNSOLICITED")
        check.that(ag.recv(0.5) == [], "unsolicited datagrams to an unmapped port are dropped")
    return body


def flush_and_timeout(lab, check):
    """flush_mappings() and set_timeout() really change what the NAT lets in."""
    lab.probe_hosts()
    nat = lab.nat("full-cone")
    c = lab.client("c1", behind=nat)
    a2 = lab.agent(lab.hosts["pr2"], bind=f"{A2}:0")

    ag = lab.agent(c)
    mapping = ag.probe(A1, P1)["seen"]
    ip, port = mapping.split(":")
    a2.send(ip, port, "HELLO1")
    got = ag.recv(0.5)
    check.require([g["data"] for g in got] == ["HELLO1"],
                  "full cone: an unsolicited datagram from A2 reaches the client", got)

    nat.flush_mappings()
    a2.send(ip, port, "HELLO2")
    got = ag.recv(0.5)
    check.that(got == [], "after flush_mappings() the old mapping lets nothing in", got)

    nat.set_timeout(1)
    ag = lab.agent(c)
    mapping = ag.probe(A1, P1)["seen"]
    ip, port = mapping.split(":")
    a2.send(ip, port, "HELLO3")
    got = ag.recv(0.3)
    check.that([g["data"] for g in got] == ["HELLO3"], "with a 1 s timeout: fresh mapping open",
               got)
    time.sleep(2.5)
    a2.send(ip, port, "HELLO4")
    got = ag.recv(0.5)
    check.that(got == [], "with a 1 s timeout: the mapping is gone 2.5 s later", got)

    # Changing the kind mid-test: the same NAT becomes symmetric.
    nat.set_timeout(60)
    nat.set_kind("symmetric")
    ag = lab.agent(c)
    seen = [ag.probe(A1, P1)["seen"], ag.probe(A2, P1)["seen"]]
    check.that(None not in seen and seen[0] != seen[1],
               "after set_kind('symmetric') the mapping depends on the destination", seen)


def hairpin(lab, check):
    """With hairpin=True, a client reaches another client behind the same NAT through the
    NAT's public mapping, and sees it coming from the NAT's public address."""
    lab.probe_hosts()
    nat = lab.nat("full-cone", hairpin=True)
    c1 = lab.client("c1", behind=nat)
    c2 = lab.client("c2", behind=nat)
    ag1, ag2 = lab.agent(c1), lab.agent(c2)
    m1 = ag1.probe(A1, P1)["seen"]
    ag2.probe(A1, P1)
    ip, port = m1.split(":")
    ag2.send(ip, port, "HAIRPIN")
    got = ag1.recv(0.5)
    check.that([g["data"] for g in got] == ["HAIRPIN"], "c2 -> c1's mapping is hairpinned", got)
    check.that(bool(got) and got[0]["from"].split(":")[0] == nat.ip,
               "the hairpinned datagram comes from the NAT's public address", got)

    # Control: the same NAT kind without hairpin=True does not reflect.
    plain = lab.nat("full-cone")
    c3, c4 = lab.client("c3", behind=plain), lab.client("c4", behind=plain)
    ag3, ag4 = lab.agent(c3), lab.agent(c4)
    ip, port = ag3.probe(A1, P1)["seen"].split(":")
    ag4.probe(A1, P1)
    ag4.send(ip, port, "HAIRPIN")
    got = ag3.recv(0.5)
    check.that(got == [], "without hairpin=True nothing is reflected", got)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what in EXPECT:
        L.run_test(TOKENS[what], behaves(what))
    elif what == "flush":
        L.run_test(TOKENS[what], flush_and_timeout)
    elif what == "hairpin":
        L.run_test(TOKENS[what], hairpin)
    else:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(list(EXPECT) + ['flush', 'hairpin'])}")


if __name__ == "__main__":
    main()
