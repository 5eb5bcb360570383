// `shipworm relay`: the Teredo relay (RFC 4380 §5.4) and the host-specific relay, the
// "minimal Teredo relay [serving] just a local host" of RFC 4380 §5.4 (the host-based relay
// of §3.4 and §8.2: it has native or 6to4 IPv6 and serves only its own addresses) on Linux.
// Start, reload and shutdown: creates the TUN device (the native side: 2001::/32, or the
// configured Prefix, is routed to it through rtnetlink) and the UDP socket (the Teredo
// side), runs one RelayWorker on the event loop, and handles signals and systemd. No
// protocol logic lives here: that is core::RelayEngine (the layers of docs/architecture.md).
//
// Data path: daemon/relay_worker.h. In short, datagrams are received in batches
// (recvmmsg(2)) and decided in their receive slots; the packets forwarded to the native side
// leave at the end of the batch, runs of one flow as one GSO super-packet write when the
// TUN has a virtio_net_hdr (os/linux/tun_runs.h), the rest one write(2) each. TUN packets are
// read straight into the send batch, and a packet for a trusted client leaves from that slot
// (one sendmmsg(2), UDP GSO for runs to one client). Bubbles, ICMPv6 errors and dequeued
// packets are the only user-space copies. No heap allocation after start-up.
//
// Operators: the control socket answers `shipworm status` (role, state, interface, served
// range, bind endpoint, peer summary, counters, drops by reason) and `shipworm peers` (at
// most 1000 entries, with the total), MetricsAddress serves the same counters as OpenMetrics
// (docs/metrics.md), and SIGUSR1 logs them. All four are rendered from one snapshot and one
// drop list (daemon/relay_report.h), on the event loop: nothing is counted twice, and the
// log's drop total is the status's.
//
// Workers: all per-thread state lives in one RelayWorker (engine + peer table shard, UDP
// socket, TUN queue, batches). More workers = more RelayWorkers, each with its own
// SO_REUSEPORT socket and IFF_MULTI_QUEUE TUN queue, packets handed to the worker owning
// PeerTable::shard_of() of the peer's address; the engine does not change.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "daemon/config_file.h"
#include "daemon/log.h"

namespace shipworm::daemon {

struct RelayRunOptions {
  std::optional<std::string> config_path;  // -c FILE
  std::vector<Override> overrides;         // command-line flags
  // --ipv6-forwarding: also set net.ipv6.conf.all.forwarding=1 at start. Off by default:
  // like Miredo, forwarding between the native interface and the Teredo interface is the
  // operator's decision. Never set for a host-specific relay (it forwards nothing).
  bool enable_forwarding = false;
};

// Runs in the foreground until SIGTERM/SIGINT, then removes the route and the TUN device.
// SIGHUP re-reads the configuration (see docs/architecture.md for what a reload changes),
// SIGUSR1 logs the counters with every drop reason. Returns 0 after a clean stop, 1 if the
// relay could not start, 2 for a bad configuration.
int run_relay(const RelayRunOptions& options);

}  // namespace shipworm::daemon
