#!/usr/bin/python3
"""The lab removes everything it creates: on exceptions, on SIGTERM and SIGINT, and, after
a SIGKILL (no chance to clean up), through `lab.py cleanup --prefix`.

Each case starts `lab.py up` (a NAT, a Miredo server, relay and client) with its own prefix
in a child process, checks that its namespaces and processes exist, stops it in one of those
ways and checks that no namespace and no process of it is left.
"""
import os
import signal
import subprocess
import time

import lab as L

LAB_PY = os.path.join(L.HERE, "lab.py")


def start_up(token):
    p = subprocess.Popen([L.PY, LAB_PY, "up", "--prefix", token, "--nat", "port-restricted"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    lines = []
    deadline = time.monotonic() + 30
    for line in p.stdout:
        lines.append(line)
        if "is up" in line or time.monotonic() > deadline:
            break
    return p, "".join(lines)


def lab_pids(prefix):
    pids = set()
    for ns in L.lab_namespaces(prefix):
        pids |= {int(x) for x in L.sh("ip", "netns", "pids", ns, check=False).split()}
    return pids


def alive(pids):
    return {p for p in pids if os.path.exists(f"/proc/{p}")}


def body(lab, check):
    for token, how in (("cls", "SIGTERM"), ("cli", "SIGINT"), ("clk", "SIGKILL")):
        prefix = f"{L.NS_PREFIX}{token}-"
        p, out = start_up(token)
        names = L.lab_namespaces(prefix)
        pids = lab_pids(prefix)
        check.require(len(names) >= 6 and len(pids) >= 3,
                      f"{how}: `lab.py up` built namespaces and started Miredo",
                      f"{names}, pids {sorted(pids)}\n{out}")
        os.kill(p.pid, getattr(signal, how))
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if how == "SIGKILL":
            check.that(L.lab_namespaces(prefix) != [], "SIGKILL: namespaces are left behind "
                       "(nothing could clean up)", L.lab_namespaces(prefix))
            r = subprocess.run([L.PY, LAB_PY, "cleanup", "--prefix", prefix],
                               capture_output=True, text=True, timeout=60)
            check.that(r.returncode == 0 and "removed" in r.stdout,
                       "`lab.py cleanup --prefix` removes them", r.stdout + r.stderr)
        left = L.lab_namespaces(prefix)
        check.that(left == [], f"{how}: no namespace of {prefix}* is left", left)
        time.sleep(0.2)
        check.that(alive(pids) == set(), f"{how}: no process of the topology is left",
                   sorted(alive(pids)))

    # An exception inside `with Lab()` removes the topology too.
    prefix = f"{L.NS_PREFIX}clx-"
    try:
        with L.Lab("clx") as inner:
            inner.core()
            inner.client("c1", behind=inner.nat("symmetric"))
            check.require(len(L.lab_namespaces(prefix)) == 6, "exception: topology built",
                          L.lab_namespaces(prefix))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    check.that(L.lab_namespaces(prefix) == [], "exception: no namespace left",
               L.lab_namespaces(prefix))


if __name__ == "__main__":
    L.run_test("cln", body)
