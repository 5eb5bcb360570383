// What the relay tells its operators: `shipworm status`, `shipworm peers`, the OpenMetrics
// text (docs/metrics.md) and the SIGUSR1 counter log, all rendered from ONE RelaySnapshot,
// whose drop list (relay_drops) is the same for the four: the log's "dropped" total is the
// status's, and both count the I/O layer's failures as well as the engine's drops.
// Rendering only: the snapshot is taken by the daemon (daemon/relay_daemon.cpp) on its
// event loop, when asked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/relay_engine.h"
#include "core/time.h"
#include "daemon/relay_worker.h"
#include "daemon/role_report.h"

namespace shipworm::daemon {

// Drops by reason: the codec's (wire::DropReason), the engine's (core::RelayDrop), then the
// I/O layer's (datagram_truncated, send_failed, tun_write_failed, control_overflow,
// tun_offload_unusable).
DropList relay_drops(const core::RelayCounters& c, const IoCounters& io);

// The relay at one instant.
struct RelaySnapshot {
  core::TimePoint now{};
  // The daemon.
  std::string_view role;  // "relay" or "host-specific relay"
  core::TimePoint started{};
  std::string last_transition;
  core::TimePoint last_transition_at{};
  std::string interface;
  unsigned mtu = 0;
  std::string prefix;               // "2001::/32"
  std::vector<std::string> served;  // what status says under "served"
  std::string bind;                 // the UDP socket's local endpoint
  std::string_view relay_type;      // "cone", "restricted" or "host-specific"
  bool check_source = true;
  // The worker: its engine's counters and peer table, its I/O counters and offloads.
  core::RelayCounters counters;
  const core::PeerTable* peers = nullptr;  // never null once the relay runs
  IoCounters io;
  bool udp_gso = false;
  std::uint64_t udp_gso_messages = 0;
  std::uint64_t udp_gso_fallbacks = 0;
  bool tun_uso = false;

  [[nodiscard]] DropList drops() const { return relay_drops(counters, io); }
};

// `shipworm status`: one JSON document, keys in a fixed, readable order.
std::string relay_status_json(const RelaySnapshot& s);
// `shipworm peers` (role_report.h, peers_document), at most `max_listed` entries.
std::string relay_peers_json(const RelaySnapshot& s, std::size_t max_listed);
// OpenMetrics; family names shared with the server's and the client's where they mean the
// same thing (role_report.h).
std::string relay_metrics_text(const RelaySnapshot& s);
// SIGUSR1: the totals, the peer table, bubbles and errors, I/O, TUN offloads, then one line
// per drop reason; each string is one log line.
std::vector<std::string> relay_log_lines(const RelaySnapshot& s);

}  // namespace shipworm::daemon
