// `shipworm relay`: the Teredo relay (RFC 4380 §5.4) and the host-specific relay
// (rfc-checklist §5) on Linux. Wires the sans-I/O core::RelayEngine to a TUN device (the
// native side: 2001::/32, or the configured Prefix, is routed to it through rtnetlink) and a
// UDP socket (the Teredo side), with batched I/O, signals and systemd. No protocol logic
// lives here (design.md §1).
//
// Data path, per wakeup of the (single-threaded, level-triggered) event loop:
//   UDP readable  one recvmmsg(2) of up to 64 datagrams into a DatagramBatch; each goes
//                 through RelayEngine::on_udp_inplace, which decrements the hop limit in the
//                 receive slot; a forwarded packet is written to the TUN straight from that
//                 slot (one write(2) each: TUN has no batched write). Up to 4 rounds.
//   TUN readable  up to 64 read(2)s, each straight into the next free slot of the outgoing
//                 DatagramBatch; RelayEngine::on_tun_inplace decides, and a packet for a
//                 trusted client is committed in that slot, already encapsulated (Teredo adds
//                 no header: the UDP payload is the IPv6 packet). Then one sendmmsg(2).
//   Control       bubbles, ICMPv6 errors and dequeued packets come from engine buffers and
//                 are copied into a second, small DatagramBatch (one more sendmmsg(2) when
//                 there are any): the only user-space copy on any path.
// No heap allocation after start-up: every buffer is sized from the configuration.
//
// Operators: the control socket (ControlSocket) answers `shipworm status` (role, state,
// interface, served range, bind endpoint, peer summary, counters, drops by reason) and
// `shipworm peers` (at most 1000 entries, with the total), and MetricsAddress serves the same
// counters as OpenMetrics (docs/architecture.md, "Relay status and metrics"). Both answers
// are built on the event loop from the engine's counters: nothing is counted twice.
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
