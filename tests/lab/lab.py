#!/usr/bin/python3
"""shipworm lab: Teredo topologies on the real Linux kernel (network namespaces, veth,
bridges, nftables NAT boxes, TUN) with shipworm or Miredo in any role.

Library use (see tests/lab/test_*.py):

    with Lab("nfc") as lab:                   # namespaces are named swl-nfc-*
        core = lab.core()                     # internet, server, relay, native IPv6 host
        nat = lab.nat("full-cone")
        c = lab.client("c1", behind=nat)
        lab.start_role("miredo", "server", core.server)
        ...

Command line:

    lab.py up [--nat KIND ...] [--impl miredo|shipworm] [--prefix TOKEN]
    lab.py down [--prefix TOKEN]
    lab.py cleanup [--prefix PREFIX] [--force]

Everything a Lab creates (namespaces ``swl-<token>-<role>``, the veths inside them, the
processes running in them) is removed when the ``with`` block ends, also on exceptions,
SIGINT and SIGTERM. ``lab.py cleanup`` removes leftovers by name prefix.
"""
import argparse
import atexit
import fcntl
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
NS_PREFIX = "swl-"          # every lab namespace starts with this
SKIP = 77                   # CTest SKIP_RETURN_CODE
LOCK_WAIT = 300             # seconds to wait for another run using the same prefix
TOOLS = ["ip", "nft", "tcpdump", "miredo", "miredo-server"]

# Public ("internet") addressing: documentation ranges only (RFC 5737), because Teredo
# refuses RFC 1918 servers and mapped addresses. The three /24s share one bridge.
PUBLIC_NETS = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"]
SERVER_IPS = ("198.51.100.1", "198.51.100.2")
RELAY_IP = "192.0.2.10"
PROBE_IPS = ("203.0.113.10", "203.0.113.20")
PROBE_PORTS = (3478, 3479)
# Native IPv6 side (RFC 3849 documentation prefix) on a second bridge.
V6_NET = "2001:db8:1::/64"
SERVER_V6, RELAY_V6, NATIVE_V6 = "2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::100"
TEREDO_PREFIX = "2001::/32"

# iproute2, nft and Miredo live in sbin; make sure we (and `ip netns exec`) find them.
for _d in ("/usr/sbin", "/sbin"):
    if _d not in os.environ.get("PATH", "").split(":"):
        os.environ["PATH"] = os.environ.get("PATH", "/usr/bin:/bin") + ":" + _d

NAT_KINDS = ["full-cone", "address-restricted", "port-restricted", "symmetric"]


class LabError(Exception):
    pass


class Interrupted(BaseException):
    """Raised from SIGINT/SIGTERM handlers so that `with Lab()` unwinds and cleans up."""


def log(msg):
    print(f"[lab {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sh(*cmd, check=True, capture=True, timeout=30, input=None):
    """Run a command (a list of words) and return its stdout."""
    cmd = [str(c) for c in cmd]
    r = subprocess.run(cmd, capture_output=capture, text=True, timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise LabError(f"{' '.join(cmd)} failed ({r.returncode}): {(r.stderr or '').strip()}")
    return r.stdout if capture else ""


def wait_for(what, fn, timeout, interval=0.05):
    """Poll fn() until it returns something truthy; raise LabError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise LabError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------
# Preconditions
# ---------------------------------------------------------------------------------------
def require_lab(extra_tools=()):
    """Exit 77 (CTest skip) with a clear message when not root or a tool is missing."""
    if os.geteuid() != 0:
        print("SKIP: the lab needs root (network namespaces, veth, nftables, TUN); "
              "run as root, e.g. sudo ctest -L lab", flush=True)
        sys.exit(SKIP)
    missing = [t for t in list(TOOLS) + list(extra_tools) if shutil.which(t) is None]
    if missing:
        print(f"SKIP: missing lab tools {missing}; install them with scripts/deps", flush=True)
        sys.exit(SKIP)
    if not os.path.exists("/dev/net/tun"):
        print("SKIP: /dev/net/tun is missing (TUN driver not available)", flush=True)
        sys.exit(SKIP)


def shipworm_bin():
    env = os.environ.get("SHIPWORM_BIN")
    if env:
        return env
    for cand in ("build/release/shipworm", "build/shipworm"):
        p = os.path.join(REPO, cand)
        if os.path.exists(p):
            return p
    return os.path.join(REPO, "build/release/shipworm")


# ---------------------------------------------------------------------------------------
# Teredo addresses (RFC 4380 §4), for assertions
# ---------------------------------------------------------------------------------------
def teredo_decode(addr):
    """Return dict(server, flags, port, mapped) for a Teredo IPv6 address, or None."""
    a = ipaddress.IPv6Address(addr)
    if a not in ipaddress.IPv6Network(TEREDO_PREFIX):
        return None
    b = a.packed
    return {
        "server": str(ipaddress.IPv4Address(b[4:8])),
        "flags": int.from_bytes(b[8:10], "big"),
        "port": int.from_bytes(b[10:12], "big") ^ 0xFFFF,
        "mapped": str(ipaddress.IPv4Address(bytes(x ^ 0xFF for x in b[12:16]))),
    }


# ---------------------------------------------------------------------------------------
# Topology objects
# ---------------------------------------------------------------------------------------
class Host:
    """One network namespace."""

    def __init__(self, lab, role, ns):
        self.lab, self.role, self.ns = lab, role, ns
        self.v4 = []        # IPv4 addresses (str)
        self.v6 = []        # IPv6 addresses (str)

    @property
    def ip(self):
        return self.v4[0] if self.v4 else None

    def run(self, *cmd, **kw):
        return sh("ip", "netns", "exec", self.ns, *cmd, **kw)

    def ip_cmd(self, *args, **kw):
        return sh("ip", "-n", self.ns, *args, **kw)

    def sysctl(self, key, value):
        self.run("sysctl", "-qw", f"{key}={value}")

    def popen(self, name, *cmd, **kw):
        return self.lab.popen(self, name, *cmd, **kw)

    def addresses6(self, dev):
        out = self.ip_cmd("-j", "-6", "addr", "show", "dev", dev, check=False)
        try:
            data = json.loads(out or "[]")
        except json.JSONDecodeError:
            return []
        return [ai["local"] for d in data for ai in d.get("addr_info", [])]

    def teredo_address(self, dev="teredo"):
        for a in self.addresses6(dev):
            if teredo_decode(a):
                return a
        return None

    def ping6(self, dst, count=3, deadline=10, interval=0.2, size=56):
        """ICMPv6 echo from this namespace (tests/lab/ping6.py); returns its JSON result:
        sent, received, rtts_ms, from (reply sources), errors (ICMPv6 errors seen)."""
        out = self.run(PY, os.path.join(HERE, "ping6.py"), dst, "--count", count,
                       "--interval", interval, "--deadline", deadline, "--size", size,
                       check=False, timeout=deadline + 10)
        return json.loads(out.strip().splitlines()[-1])

    def __repr__(self):
        return f"<{self.role} {self.ns} {self.v4} {self.v6}>"


class NatBox(Host):
    """A NAT router: `wan` on the internet bridge, `lan` toward its clients.

    Kinds (RFC 4787 terms): full-cone (EIM + endpoint-independent filtering),
    address-restricted (EIM + address-dependent filtering), port-restricted (EIM +
    address-and-port-dependent filtering, Linux masquerade), symmetric (address-and-port-
    dependent mapping with random ports). Optional hairpinning.
    """

    def __init__(self, lab, role, ns, kind, index, timeout, hairpin):
        super().__init__(lab, role, ns)
        self.kind, self.index, self.timeout, self.hairpin = kind, index, timeout, hairpin
        self.lan_net = ipaddress.IPv4Network(f"10.{index}.0.0/24")
        self.lan_ip = str(self.lan_net.network_address + 1)
        self.next_client = 10

    def ruleset(self):
        t = f"{int(self.timeout)}s"
        wan = self.ip
        kind = self.kind
        masq = "masquerade random" if kind == "symmetric" else "masquerade"
        remap = []
        if getattr(self, "port_range", None):  # remap_ports(): UDP mappings from this range
            remap = [f'    oifname "wan" meta l4proto udp masquerade to :{self.port_range}'
                     + (" random" if kind == "symmetric" else "")]
        lines = [
            "flush ruleset",
            "table ip lab {",
            # Mapped port -> internal endpoint, and (remote address, mapped port) pairs seen
            # on the way out. Consulted for unsolicited inbound packets by the cone kinds.
            f"  map fc {{ type inet_service : ipv4_addr . inet_service; flags dynamic,timeout; timeout {t}; }}",
            f"  set ar {{ type ipv4_addr . inet_service; flags dynamic,timeout; timeout {t}; }}",
            "  chain post { type nat hook postrouting priority srcnat; policy accept;",
        ] + remap + [
            f'    oifname "wan" {masq}',
        ]
        if self.hairpin:
            # Reflected LAN->LAN traffic leaves from the public address (iifname is not
            # known in postrouting, so match on the DNAT done by the hairpin rule below).
            lines.append(f'    oifname "lan" ip saddr {self.lan_net} ct status dnat snat ip to {wan}')
        lines += [
            "  }",
            # Runs after srcnat: the packet already carries the mapped port.
            "  chain record { type filter hook postrouting priority 200; policy accept;",
            '    oifname "wan" meta l4proto udp ct direction original update @fc '
            f"{{ udp sport timeout {t} : ct original ip saddr . ct original proto-src }}",
            '    oifname "wan" meta l4proto udp ct direction reply update @fc '
            f"{{ udp sport timeout {t} : ct reply ip saddr . ct reply proto-src }}",
            f'    oifname "wan" meta l4proto udp update @ar {{ ip daddr . udp sport timeout {t} }}',
            "  }",
            "  chain pre { type nat hook prerouting priority dstnat; policy accept;",
        ]
        if kind == "full-cone":
            lines.append('    iifname "wan" meta l4proto udp dnat ip to udp dport map @fc')
        elif kind == "address-restricted":
            lines.append('    iifname "wan" meta l4proto udp ip saddr . udp dport @ar '
                         "dnat ip to udp dport map @fc")
        if self.hairpin:
            lines.append(f'    iifname "lan" ip daddr {wan} meta l4proto udp '
                         "dnat ip to udp dport map @fc")
        lines += [
            "  }",
            # Nothing unsolicited gets in, except what the cone DNAT above let through.
            "  chain fwd_filter { type filter hook forward priority filter; policy accept;",
            '    iifname "wan" ct state established,related accept',
            '    iifname "wan" ct status dnat accept',
            '    iifname "wan" drop',
            "  }",
            "  chain in_filter { type filter hook input priority filter; policy accept;",
            '    iifname "wan" ct state established,related accept',
            '    iifname "wan" meta l4proto icmp accept',
            '    iifname "wan" drop',
            "  }",
            "}",
        ]
        return "\n".join(lines) + "\n"

    def ensure_lan(self):
        """The LAN bridge toward this NAT's clients (created with the first one)."""
        if getattr(self, "has_lan", False):
            return
        self.ip_cmd("link", "add", "lan", "type", "bridge", "stp_state", "0")
        self.sysctl("net.ipv6.conf.lan.disable_ipv6", 1)
        self.ip_cmd("addr", "add", f"{self.lan_ip}/24", "dev", "lan")
        self.ip_cmd("link", "set", "lan", "up")
        self.has_lan = True

    def apply(self):
        self.run("nft", "-f", "-", input=self.ruleset())
        # Conntrack UDP timeouts are per namespace; keep them equal to the set timeouts.
        self.sysctl("net.netfilter.nf_conntrack_udp_timeout", int(self.timeout))
        self.sysctl("net.netfilter.nf_conntrack_udp_timeout_stream", int(self.timeout))

    def set_kind(self, kind):
        """Change NAT behaviour mid-test (also flushes existing mappings)."""
        assert kind in NAT_KINDS, kind
        self.kind = kind
        self.apply()
        self.flush_mappings()

    def set_timeout(self, seconds):
        """Change the mapping lifetime (conntrack UDP timeouts and the cone sets)."""
        self.timeout = seconds
        self.apply()

    def remap_ports(self, port_range="20000-29999"):
        """Forget every mapping and map to ports from port_range from now on, so that the
        next packet out gets a mapping other than before (a NAT reboot, say)."""
        self.port_range = port_range
        self.apply()
        self.flush_mappings()

    def flush_mappings(self):
        """Forget every mapping: the cone sets and the namespace's conntrack table."""
        self.run("nft", "flush", "map", "ip", "lab", "fc")
        self.run("nft", "flush", "set", "ip", "lab", "ar")
        self.run(PY, os.path.join(HERE, "ctflush.py"))


class CoreHosts:
    """The fixed part of a Teredo topology: server, relay and native IPv6 host."""

    def __init__(self, server, relay, native):
        self.server, self.relay, self.native = server, relay, native


class RoleProcess:
    """A Teredo role (server, relay, client) run by shipworm or Miredo in a namespace."""

    def __init__(self, lab, host, impl, role, conf, proc, pidfile, logfile):
        self.lab, self.host, self.impl, self.role = lab, host, impl, role
        self.conf, self.proc, self.pidfile, self.logfile = conf, proc, pidfile, logfile

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=5):
        self.lab.stop_process(self.proc, timeout)


class Lab:
    """Builds a topology on demand and removes all of it on exit (also on failure)."""

    def __init__(self, token, workdir=None, keep=False):
        assert 1 <= len(token) <= 6 and token.replace("-", "").isalnum(), token
        self.token = token
        self.prefix = f"{NS_PREFIX}{token}-"
        self.hosts = {}
        self.procs = []          # (name, Popen)
        self.inet = None
        self.nats = []
        self.public_index = 0
        self.direct_index = 50
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"shipworm-lab-{token}-")
        self.keep = keep
        self.closed = False
        self._old_handlers = {}

    # -- lifecycle --------------------------------------------------------------------
    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        atexit.register(self.close)
        # One live Lab per prefix: a second run of the same test (another build tree, another
        # ctest) waits here instead of tearing down the first one's topology. The kernel
        # releases the lock when the holder dies, so what we find after taking it are
        # leftovers of a killed run and can go.
        self._lock = open(_lockfile(self.token), "w")
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LabError(f"prefix {self.prefix} is in use by another run")
                time.sleep(0.2)
        cleanup(self.prefix, quiet=True)
        self.inet = self._ns("inet")
        self.inet.ip_cmd("link", "add", "br4", "type", "bridge", "stp_state", "0",
                         "mcast_snooping", "0")
        self.inet.ip_cmd("link", "add", "br6", "type", "bridge", "stp_state", "0",
                         "mcast_snooping", "0")
        self.inet.sysctl("net.ipv6.conf.br4.disable_ipv6", 1)
        # The "internet" bridges are plain switches: with br_netfilter built into the kernel,
        # bridged frames would otherwise also traverse the IPv4/IPv6/ARP netfilter hooks in
        # this namespace (no rules, but a quarter of a UDP round trip's CPU, charged to
        # whichever lab process happens to be sending).
        for fam in ("arptables", "iptables", "ip6tables"):
            self.inet.sysctl(f"net.bridge.bridge-nf-call-{fam}", 0)
        self.inet.ip_cmd("link", "set", "br4", "up")
        self.inet.ip_cmd("link", "set", "br6", "up")
        return self

    def __exit__(self, et, ev, tb):
        self.close()
        return False

    def _on_signal(self, signum, frame):
        raise Interrupted(f"signal {signum}")

    def close(self):
        if self.closed:
            return
        self.closed = True
        # Do not let a second Ctrl-C interrupt the teardown.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        try:
            for _, p in reversed(self.procs):
                self.stop_process(p, timeout=3)
            cleanup(self.prefix, quiet=True)
        finally:
            for sig, h in self._old_handlers.items():
                signal.signal(sig, h)
            if getattr(self, "_lock", None):
                self._lock.close()          # releases the flock
            if not self.keep and os.path.isdir(self.workdir):
                shutil.rmtree(self.workdir, ignore_errors=True)

    # -- building blocks --------------------------------------------------------------
    def _ns(self, role, cls=Host, **kw):
        assert role not in self.hosts, role
        ns = self.prefix + role
        sh("ip", "netns", "add", ns)
        h = cls(self, role, ns, **kw) if kw else cls(self, role, ns)
        self.hosts[role] = h
        h.ip_cmd("link", "set", "lo", "up")
        # No DAD delays and no autoconfiguration surprises inside the lab.
        for k, v in (("net.ipv6.conf.all.accept_dad", 0), ("net.ipv6.conf.default.accept_dad", 0),
                     ("net.ipv6.conf.all.accept_ra", 0), ("net.ipv6.conf.default.accept_ra", 0)):
            h.sysctl(k, v)
        return h

    def link(self, a, a_if, b, b_if, ipv6=False):
        """A veth pair created directly inside two lab namespaces (never the root one).
        IPv4-only links get IPv6 disabled, so captures carry no link-local chatter."""
        for n in (a_if, b_if):
            assert len(n) <= 15, n
        a.ip_cmd("link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", b.ns)
        if not ipv6:
            a.sysctl(f"net.ipv6.conf.{a_if}.disable_ipv6", 1)
            b.sysctl(f"net.ipv6.conf.{b_if}.disable_ipv6", 1)
        a.ip_cmd("link", "set", a_if, "up")
        b.ip_cmd("link", "set", b_if, "up")

    def receivers_on_own_threads(self):
        """Benchmarks only. A veth delivers a frame by running the receiving side's whole
        stack (bridge, routing, the receiver's socket) inside the sender's transmit call, so
        per-process CPU accounting charges a sender for its receivers' work. On separate
        hosts the sender's cost ends at the driver. Giving every bridge port NAPI (GRO on)
        in threaded mode moves what happens after the bridge port into per-port kernel
        threads (napi/<port>-N), so each measured process pays for its own work only
        (and for waking those threads). Needs ethtool. Returns the ports changed."""
        def veths(host):
            return [line.split(":")[1].strip().split("@")[0]
                    for line in host.ip_cmd("-o", "link", "show", "type", "veth").splitlines()]
        ports = []
        for name in veths(self.inet):
            self.inet.run("ethtool", "-K", name, "gro", "on", "rx-udp-gro-forwarding", "on")
            self.inet.run("sh", "-c", f"echo 1 > /sys/class/net/{name}/threaded")
            ports.append(name)
        # veth hands a frame to the receiver's NAPI only when it is eligible for GRO: sent
        # by a device without TSO (or a local socket's datagram to a receiver that forwards
        # UDP GRO). So the hosts' ends lose TSO (UDP benchmarks only: TCP would suffer).
        for host in list(self.hosts.values()):
            if host is self.inet:
                continue
            for name in veths(host):
                host.run("ethtool", "-K", name, "tso", "off")
        return ports

    def _plug(self, host, bridge, dev):
        """Connect host's `dev` to an internet bridge; the bridge-side end is named
        <token><n> (<= 15 chars, unique inside the inet namespace)."""
        self.public_index += 1
        port = f"{self.token}{bridge[-1]}{self.public_index}"
        self.link(host, dev, self.inet, port, ipv6=(bridge == "br6"))
        self.inet.ip_cmd("link", "set", port, "master", bridge)

    def public_host(self, role, v4=(), v6=None, cls=Host, dev="eth0", **kw):
        """A host on the IPv4 internet (eth0) and optionally on the native IPv6 link (eth6).
        Routes only to the documentation /24s, on-link: there is no default route."""
        h = self._ns(role, cls, **kw)
        if v4:
            self._plug(h, "br4", dev)
            for a in v4:
                h.ip_cmd("addr", "add", f"{a}/24", "dev", dev)
                h.v4.append(a)
            own = {str(ipaddress.IPv4Network(f"{a}/24", strict=False)) for a in v4}
            for net in PUBLIC_NETS:
                if net not in own:
                    h.ip_cmd("route", "add", net, "dev", dev)
        if v6:
            self._plug(h, "br6", "eth6")
            h.ip_cmd("-6", "addr", "add", f"{v6}/64", "dev", "eth6", "nodad")
            h.v6.append(v6)
        return h

    def core(self):
        """Server (two consecutive addresses + IPv6), relay (IPv4 + IPv6, forwarding) and a
        native IPv6-only host whose route to 2001::/32 goes via the relay."""
        server = self.public_host("srv", SERVER_IPS, SERVER_V6)
        relay = self.public_host("rly", [RELAY_IP], RELAY_V6)
        relay.sysctl("net.ipv6.conf.all.forwarding", 1)
        native = self.public_host("v6host", (), NATIVE_V6)
        native.ip_cmd("-6", "route", "add", TEREDO_PREFIX, "via", RELAY_V6, "dev", "eth6")
        return CoreHosts(server, relay, native)

    def probe_hosts(self):
        """Two public hosts running the STUN-like echo helper on two ports each."""
        hosts = []
        for i, ip in enumerate(PROBE_IPS):
            hosts.append(self.public_host(f"pr{i + 1}", [ip]))
        for i, h in enumerate(hosts):
            peer = PROBE_IPS[1 - i]
            p = h.popen("echo", PY, os.path.join(HERE, "udp_echo.py"), "--addr", h.ip,
                        "--ports", ",".join(map(str, PROBE_PORTS)),
                        "--peer", f"{peer}:{PROBE_PORTS[0]}")
            wait_for(f"udp_echo in {h.ns}", lambda: "ready" in self.read_log(h, "echo") or
                     p.poll() is not None, 10)
            if p.poll() is not None:
                raise LabError(f"udp_echo failed in {h.ns}: {self.read_log(h, 'echo')}")
        return hosts

    def nat(self, kind, name=None, timeout=60, hairpin=False):
        assert kind in NAT_KINDS, f"unknown NAT kind {kind}; one of {NAT_KINDS}"
        index = len(self.nats) + 1
        name = name or f"nat{index}"
        wan_ip = f"192.0.2.{100 + index}"
        nat = self.public_host(name, [wan_ip], cls=NatBox, dev="wan", kind=kind, index=index,
                               timeout=timeout, hairpin=hairpin)
        nat.sysctl("net.ipv4.ip_forward", 1)
        nat.apply()
        self.nats.append(nat)
        return nat

    def client(self, name, behind=None):
        """A client host, behind a NatBox (LAN 10.<n>.0.0/24, default route via the NAT)
        or, with behind=None, directly on the internet (192.0.2.50+)."""
        if behind is None:
            self.direct_index += 1
            return self.public_host(name, [f"192.0.2.{self.direct_index}"])
        h = self._ns(name)
        nat = behind
        nat.ensure_lan()
        n = nat.next_client
        nat.next_client += 1
        port = f"l{n}"
        self.link(h, "eth0", nat, port)
        nat.ip_cmd("link", "set", port, "master", "lan")
        addr = str(nat.lan_net.network_address + n)
        h.ip_cmd("addr", "add", f"{addr}/24", "dev", "eth0")
        h.ip_cmd("route", "add", "default", "via", nat.lan_ip)
        h.v4.append(addr)
        h.nat, h.nat_port = nat, port
        return h

    def move_client(self, h, to):
        """The client host joins another network, as a laptop moving to another Wi-Fi does:
        its LAN link is unplugged from its NAT's bridge and plugged into `to`'s (the host
        sees its link go down and up), `to` has no mapping for it (flushed), and the host gets
        a new private address and default route from `to`'s LAN. `to` has its own public
        address, so the client's NAT mapping changes. Returns the host's new address."""
        old = h.nat
        assert to is not old, "move_client: already behind that NAT"
        to.ensure_lan()
        n = to.next_client
        to.next_client += 1
        port = f"l{n}"
        old.ip_cmd("link", "set", h.nat_port, "nomaster")
        old.ip_cmd("link", "set", h.nat_port, "down")
        old.ip_cmd("link", "set", h.nat_port, "netns", to.ns, "name", port)
        to.sysctl(f"net.ipv6.conf.{port}.disable_ipv6", 1)
        to.flush_mappings()
        addr = str(to.lan_net.network_address + n)
        h.ip_cmd("addr", "flush", "dev", "eth0")
        h.ip_cmd("addr", "add", f"{addr}/24", "dev", "eth0")
        to.ip_cmd("link", "set", port, "master", "lan", "up")
        h.ip_cmd("route", "replace", "default", "via", to.lan_ip)
        h.v4[:] = [addr]
        h.nat, h.nat_port = to, port
        return addr

    # -- processes --------------------------------------------------------------------
    def logpath(self, host, name):
        return os.path.join(self.workdir, f"{host.role}.{name}.log")

    def read_log(self, host, name):
        try:
            with open(self.logpath(host, name), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def popen(self, host, name, *cmd, stdin=None, stdout=None):
        """Start a process inside host's namespace, output to <workdir>/<role>.<name>.log."""
        logf = open(self.logpath(host, name), "ab")
        p = subprocess.Popen(["ip", "netns", "exec", host.ns] + [str(c) for c in cmd],
                             stdin=stdin if stdin is not None else subprocess.DEVNULL,
                             stdout=stdout if stdout is not None else logf, stderr=logf,
                             start_new_session=True)
        logf.close()
        self.procs.append((f"{host.ns}/{name}", p))
        return p

    def stop_process(self, p, timeout=5):
        if p.poll() is not None:
            return
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
        except ProcessLookupError:
            pass

    def capture(self, host, dev):
        """tcpdump on host's `dev` into <workdir>/<role>-<dev>.pcap until teardown."""
        path = os.path.join(self.workdir, f"{host.role}-{dev}.pcap")
        self.popen(host, f"tcpdump-{dev}", "tcpdump", "-i", dev, "-n", "-U", "--immediate-mode", "-s", "0",
                   "-w", path)
        wait_for(f"tcpdump on {host.ns}/{dev}",
                 lambda: os.path.exists(path) and os.path.getsize(path) >= 24, 10)
        return path

    def pcap(self, path, flt=""):
        """Decode a capture file (tcpdump -r, no network access) into text lines."""
        out = sh("tcpdump", "-r", path, "-n", "-tt", *flt.split(), check=False)
        return [line for line in out.splitlines() if line.strip()]

    def agent(self, host, bind="0.0.0.0:0"):
        return UdpAgent(self, host, bind)

    # -- Teredo roles -----------------------------------------------------------------
    def start_role(self, impl, role, host, server=SERVER_IPS[0], ifname="teredo",
                   extra=(), wait=True):
        """Run `role` (server|relay|client) with `impl` (miredo|shipworm) in host's namespace.

        Both get the same Miredo-compatible configuration file; shipworm is started as
        `$SHIPWORM_BIN <role> -c FILE` (foreground, SIGTERM stops it)."""
        assert impl in ("miredo", "shipworm") and role in ("server", "relay", "client")
        conf = os.path.join(self.workdir, f"{host.role}.{impl}-{role}.conf")
        pidfile = os.path.join(self.workdir, f"{host.role}.{impl}-{role}.pid")
        lines = [f"# {impl} {role} in {host.ns}, written by tests/lab/lab.py"]
        if role == "server":
            lines += [f"ServerBindAddress {host.v4[0]}"]
            if len(host.v4) > 1:
                lines += [f"ServerBindAddress2 {host.v4[1]}"]
        else:
            lines += [f"InterfaceName {ifname}"]
            if role == "relay":
                lines += ["RelayType cone", f"BindAddress {host.ip}"]
            else:
                lines += ["RelayType client", f"ServerAddress {server}"]
        lines += list(extra)
        if impl == "shipworm" and not any(x.split()[:1] == ["ControlSocket"] for x in extra):
            # Every lab namespace shares /run with the host: give each daemon its own socket
            # (tests running in parallel would otherwise meet at /run/shipworm/<role>.sock).
            lines += [f"ControlSocket {self.control_socket(host, role)}"]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        if impl == "miredo":
            exe = "miredo-server" if role == "server" else "miredo"
            cmd = [exe, "-f", "-c", conf, "-p", pidfile]
        else:
            cmd = [shipworm_bin(), role, "-c", conf]
        name = f"{impl}-{role}"
        logfile = self.logpath(host, name)
        p = self.popen(host, name, *cmd)
        rp = RoleProcess(self, host, impl, role, conf, p, pidfile, logfile)
        if wait and role in ("relay", "client"):
            wait_for(f"{ifname} in {host.ns}", lambda: not rp.alive() or
                     ifname in host.ip_cmd("-o", "link", "show", check=False), 10)
        elif wait:
            time.sleep(0.2)
        if not rp.alive():
            raise LabError(f"{name} exited early in {host.ns}: {rp.log_text()}")
        return rp

    def control_socket(self, host, role):
        """The control socket path start_role gives a shipworm `role` on `host`."""
        return os.path.join(self.workdir, f"{host.role}.{role}.sock")

    def wait_qualified(self, host, timeout=10, dev="teredo"):
        """Wait for a Teredo address on a client's interface and return it."""
        return wait_for(f"Teredo address on {host.ns}/{dev}",
                        lambda: host.teredo_address(dev), timeout)


class UdpAgent:
    """Drives udp_agent.py (one UDP socket) inside a namespace."""

    def __init__(self, lab, host, bind):
        self.host = host
        self.proc = lab.popen(host, f"agent{len(lab.procs)}", PY,
                              os.path.join(HERE, "udp_agent.py"), "--bind", bind,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def _cmd(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        if not out:
            raise LabError(f"udp_agent in {self.host.ns} died")
        return json.loads(out)

    def local(self):
        return self._cmd("local")["local"]

    def probe(self, ip, port, *flags, timeout=1.0):
        return self._cmd(f"probe {ip}:{port} {' '.join(flags)} {timeout}")

    def send(self, ip, port, text):
        return self._cmd(f"send {ip}:{port} {text}")

    def recv(self, timeout):
        return self._cmd(f"recv {timeout}")["got"]


# ---------------------------------------------------------------------------------------
# Cleanup by prefix
# ---------------------------------------------------------------------------------------
def lab_namespaces(prefix=NS_PREFIX):
    out = sh("ip", "netns", "list", check=False)
    return [line.split()[0] for line in out.splitlines()
            if line.strip() and line.split()[0].startswith(prefix)]


def _stop_up_processes(prefix):
    """`lab.py up` runs in the root namespace and records its pid in /run; stop the ones
    whose namespaces match prefix (by their recorded pid only) and drop stale pid files."""
    if not os.path.isdir(RUN_DIR):
        return
    rundir = RUN_DIR
    for fn in os.listdir(rundir):
        if not fn.endswith(".pid"):
            continue
        token = fn[:-len(".pid")]
        if not f"{NS_PREFIX}{token}-".startswith(prefix):
            continue
        path = os.path.join(rundir, fn)
        try:
            with open(path) as f:
                pid = int(f.read())
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                mine = b"lab.py" in f.read() and pid != os.getpid()
            if mine:
                os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            pass
        try:
            os.unlink(path)
        except OSError:
            pass


def cleanup(prefix=NS_PREFIX, quiet=False):
    """Kill every process inside namespaces named prefix*, then delete those namespaces
    (which deletes their veths and bridges). Returns the namespaces removed."""
    assert prefix.startswith(NS_PREFIX), f"refusing to clean up outside {NS_PREFIX}*"
    _stop_up_processes(prefix)
    names = lab_namespaces(prefix)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = []
        for ns in names:
            pids += [int(p) for p in sh("ip", "netns", "pids", ns, check=False).split()]
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if pids and sig == signal.SIGTERM:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids):
                time.sleep(0.05)
    for ns in names:
        sh("ip", "netns", "del", ns, check=False)
    left = lab_namespaces(prefix)
    if left:
        raise LabError(f"could not remove namespaces: {left}")
    if names and not quiet:
        log(f"removed {len(names)} namespaces: {' '.join(names)}")
    return names


# ---------------------------------------------------------------------------------------
# Test runner used by tests/lab/test_*.py
# ---------------------------------------------------------------------------------------
class Check:
    """Collects named assertions so a failure message says what was expected and seen."""

    def __init__(self):
        self.failures = []

    def that(self, cond, what, seen=None):
        status = "ok  " if cond else "FAIL"
        log(f"{status} {what}" + ("" if seen is None else f"  (seen: {seen})"))
        if not cond:
            self.failures.append(what)
        return cond

    def require(self, cond, what, seen=None):
        if not self.that(cond, what, seen):
            raise LabError(f"required: {what}")


def run_test(token, fn):
    """Run fn(lab, check) in a fresh Lab; exit 0 on success, 1 on failure, 77 to skip.
    The work directory (logs, pcaps) is kept on failure or with LAB_KEEP=1."""
    require_lab()
    keep = os.environ.get("LAB_KEEP") == "1"
    check = Check()
    lab = Lab(token, keep=True)
    ok = False
    t0 = time.monotonic()
    try:
        with lab:
            fn(lab, check)
            ok = not check.failures
    except Interrupted as e:
        log(f"interrupted ({e}); topology removed")
    except Exception as e:  # noqa: BLE001 - report any error as a test failure
        import traceback
        traceback.print_exc()
        log(f"ERROR {type(e).__name__}: {e}")
    left = lab_namespaces(lab.prefix)
    if left:
        log(f"FAIL namespaces left behind: {left}")
        ok = False
    if ok and not keep:
        shutil.rmtree(lab.workdir, ignore_errors=True)
    else:
        log(f"logs and captures kept in {lab.workdir}")
    log(f"{'PASS' if ok else 'FAIL'} in {time.monotonic() - t0:.1f}s"
        + (f"; failed: {check.failures}" if check.failures else ""))
    sys.exit(0 if ok else 1)


# ---------------------------------------------------------------------------------------
# Command line: up / down / cleanup
# ---------------------------------------------------------------------------------------
RUN_DIR = "/run/shipworm-lab"       # <token>.lock (one live Lab per prefix), <token>.pid (`up`)


def _lockfile(token):
    os.makedirs(RUN_DIR, exist_ok=True)
    return f"{RUN_DIR}/{token}.lock"


def _pidfile(token):
    os.makedirs(RUN_DIR, exist_ok=True)
    return f"{RUN_DIR}/{token}.pid"


def cmd_up(args):
    require_lab()
    impl = args.impl
    with Lab(args.prefix, workdir=args.workdir, keep=True) as lab:
        core = lab.core()
        probes = lab.probe_hosts() if args.probes else []
        clients = []
        for kind in args.nat or []:
            nat = lab.nat(kind, timeout=args.timeout)
            clients.append(lab.client(f"c{len(clients) + 1}", behind=nat))
        for _ in range(args.direct):
            clients.append(lab.client(f"c{len(clients) + 1}"))
        if args.capture:
            lab.capture(core.server, "eth0")
            lab.capture(core.relay, "eth0")
            for nat in lab.nats:
                lab.capture(nat, "wan")
        if impl != "none":
            lab.start_role(impl, "server", core.server)
            lab.start_role(impl, "relay", core.relay)
            for c in clients:
                lab.start_role(impl, "client", c)
        with open(_pidfile(args.prefix), "w") as f:
            f.write(str(os.getpid()))
        print(f"\nlab '{args.prefix}' is up; work dir (configs, logs, pcaps): {lab.workdir}")
        for h in lab.hosts.values():
            extra = f" kind={h.kind}" if isinstance(h, NatBox) else ""
            print(f"  {h.role:6} ip netns exec {h.ns} bash    # {' '.join(h.v4 + h.v6)}{extra}")
        if clients:
            print(f"  e.g.   ip netns exec {clients[0].ns} {PY} {HERE}/ping6.py {NATIVE_V6}")
        print(f"stop with Ctrl-C here, or: {sys.argv[0]} down --prefix {args.prefix}", flush=True)
        try:
            while True:
                time.sleep(3600)
        finally:
            try:
                os.unlink(_pidfile(args.prefix))
            except OSError:
                pass


def cmd_down(args):
    try:
        with open(_pidfile(args.prefix)) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.1)
    except (OSError, ValueError):
        pass
    cleanup(f"{NS_PREFIX}{args.prefix}-")


def main():
    ap = argparse.ArgumentParser(description="shipworm network-namespace lab")
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="build a topology, start roles, wait for Ctrl-C")
    up.add_argument("--prefix", default="man", help="namespace token (swl-TOKEN-*)")
    up.add_argument("--nat", action="append", choices=NAT_KINDS,
                    help="add a NAT of this kind with one client behind it (repeatable)")
    up.add_argument("--direct", type=int, default=0, help="clients directly on the internet")
    up.add_argument("--impl", default="miredo", choices=["miredo", "shipworm", "none"])
    up.add_argument("--timeout", type=int, default=60, help="NAT mapping timeout (s)")
    up.add_argument("--probes", action="store_true", help="also start the UDP echo hosts")
    up.add_argument("--capture", action="store_true", help="tcpdump server, relay, NAT WANs")
    up.add_argument("--workdir")
    down = sub.add_parser("down", help="tear down a topology started with up")
    down.add_argument("--prefix", default="man")
    cl = sub.add_parser("cleanup", help="remove leftover lab namespaces by prefix")
    cl.add_argument("--prefix", default=NS_PREFIX, help=f"namespace prefix (default {NS_PREFIX})")
    cl.add_argument("--force", action="store_true",
                    help="also remove topologies of runs that are still alive")
    args = ap.parse_args()
    if args.cmd == "up":
        try:
            cmd_up(args)
        except Interrupted:
            pass
    elif args.cmd == "down":
        cmd_down(args)
    else:
        if os.geteuid() != 0:
            print("SKIP: cleanup needs root (lab namespaces can only exist as root)")
            sys.exit(SKIP)
        prefix = args.prefix if args.prefix.startswith(NS_PREFIX) else NS_PREFIX + args.prefix
        removed = []
        tokens = sorted({ns[len(NS_PREFIX):].split("-")[0] for ns in lab_namespaces(prefix)})
        for token in tokens:
            sub_prefix = f"{NS_PREFIX}{token}-"
            if not sub_prefix.startswith(prefix) and not prefix.startswith(sub_prefix):
                continue
            with open(_lockfile(token), "w") as lk:
                try:
                    fcntl.flock(lk, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not args.force:
                        log(f"{sub_prefix}* belongs to a running test or `up`; "
                            "leaving it (use --force, or `down`)")
                        continue
                removed += cleanup(prefix if prefix.startswith(sub_prefix) else sub_prefix)
        if not removed:
            log(f"nothing to clean up for {prefix}*")


if __name__ == "__main__":
    main()
