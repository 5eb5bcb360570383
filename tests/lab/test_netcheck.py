#!/usr/bin/python3
"""`shipworm netcheck` in the lab (issue 7): behind each NAT kind it names the NAT type,
reports the server's RTT and mapping, and reaches the native host through the relay (or
says why not).

    test_netcheck.py KIND    KIND: full-cone, address-restricted, port-restricted,
                             symmetric, direct (no NAT)
"""
import json
import sys

import lab as L

TOKENS = {"full-cone": "nfc", "address-restricted": "nar", "port-restricted": "npr",
          "symmetric": "nsy", "direct": "ndi"}
# What netcheck must call each NAT kind. shipworm's server answers its filtering probe from a
# second port, which tells address- from port-dependent filtering.
EXPECT = {"full-cone": "full cone", "address-restricted": "address-restricted cone",
          "port-restricted": "port-restricted cone", "symmetric": "symmetric", "direct": "none"}


def scenario(kind):
    def body(lab, check):
        core = lab.core()
        lab.start_role("shipworm", "server", core.server)
        lab.start_role("miredo", "relay", core.relay)
        nat = None if kind == "direct" else lab.nat(kind)
        c = lab.client("c1", behind=nat)
        r = c.run(L.shipworm_bin(), "netcheck", "--server", L.SERVER_IPS[0], "--target",
                  L.NATIVE_V6, "--json", "--bind", c.ip, "--tries", "2", "--timeout", "1",
                  check=False)
        L.log(r)
        report = json.loads(r)
        steps = {s["step"]: s for s in report["steps"]}
        check.that(report.get("nat_type") == EXPECT[kind],
                   f"netcheck names the NAT type: {EXPECT[kind]}", report.get("nat_type"))
        check.that(steps["primary server"]["status"] == "ok" and "ms" in
                   steps["primary server"]["detail"], "primary server answered, RTT shown",
                   steps["primary server"])
        public = nat.ip if nat else c.ip
        check.that(report["mapping"].split(":")[0] == public,
                   f"the mapping is the public address {public}", report["mapping"])
        # Miredo's relay accepts a symmetric client's bubble from its new mapping, so the ping
        # test works from behind every NAT kind here (tests/lab/README.md, Miredo baseline).
        check.that(steps["relay"]["status"] == "ok",
                   "relay step ok (ping test to the native host)", steps["relay"])
        if kind == "symmetric":
            check.that("symmetric" in steps["NAT mapping"]["detail"] and
                       steps["NAT mapping"]["hint"], "the mapping step explains the symmetric NAT",
                       steps["NAT mapping"])
        check.that(report["teredo_usable"], "verdict: Teredo usable", report["teredo_usable"])
    return body


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in TOKENS:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(TOKENS)}")
    L.run_test(TOKENS[sys.argv[1]], scenario(sys.argv[1]))


if __name__ == "__main__":
    main()
