// What the three roles (server, relay, client) report the same way: drops by reason with
// their total, ages in seconds, the `shipworm peers` listing, and the OpenMetrics families
// that mean the same thing in every role. Each role builds ONE DropList per report and hands
// the same list to its status JSON, its metrics and its SIGUSR1 log, so the three cannot
// disagree on what was dropped (docs/architecture.md, "Relay status and metrics").
//
// API, for a role's report (daemon/relay_report.h is the model):
//   DropList d;                           one per snapshot of the counters
//   d.add_each<wire::DropReason>(c.malformed);   codec reasons (wire/drop_reason.h)
//   d.add_each<core::RelayDrop>(c.dropped);      the engine's own reasons
//   d.add("send_failed", io.send_failures);      the daemon's I/O failures
//   status["counters"]["dropped"] = d.total;  status["drops"] = drops_json(d);
//   families.push_back(drops_family(d));      drop_log_lines(d) after the log's totals
//   seconds_since(now, then)                  every *_seconds field
//   peers_document(role, table, now, max, describe)   `shipworm peers`, relay and client
//   info_family(role), peers_family(table), peer_capacity_family(table),
//   peers_trusted_family(n), queued_bytes_family(table), datagrams_received_family(n, help)
// Nothing here allocates on a packet path: reports are built when asked for.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/peer_table.h"
#include "core/time.h"
#include "daemon/metrics.h"

namespace shipworm::daemon {

// Drops by reason, non-zero only, in the order added; `total` is their sum.
struct DropList {
  std::vector<std::pair<std::string, std::uint64_t>> reasons;
  std::uint64_t total = 0;

  // Counts `n` under `name` (nothing when 0); a name already listed is summed, so that a
  // reason counted by two layers (the codec and the AF_XDP path, say) is one entry.
  void add(std::string_view name, std::uint64_t n);
  // Every reason of an enum with a to_string(Reason) (wire::DropReason, core::RelayDrop,
  // core::ServerDrop, core::ClientDrop): counts[i] under to_string(Reason(i)).
  template <class Reason, std::size_t N>
  void add_each(const std::array<std::uint64_t, N>& counts) {
    for (std::size_t i = 0; i < N; ++i) add(to_string(static_cast<Reason>(i)), counts[i]);
  }
};

// {"reason": count, ...} in the list's order (the "drops" object of `shipworm status`).
nlohmann::ordered_json drops_json(const DropList& drops);
// "  dropped REASON: N", one line per reason: the end of every role's SIGUSR1 log.
std::vector<std::string> drop_log_lines(const DropList& drops);

// Whole seconds from `then` to `now` (negative when `then` is later).
std::int64_t seconds_since(core::TimePoint now, core::TimePoint then);

// How a role names one peer in `shipworm peers`.
struct PeerDescription {
  std::string_view state;     // "idle", "bubbling", ...
  bool mapping_known = true;  // false: "mapping" is "" (the client before a bubble)
};

// One peer: {"address", "mapping", "trusted", "valid", "state", "last_rx_seconds",
// "last_tx_seconds", "queued_bytes", "queued_packets"}.
nlohmann::ordered_json peer_json(const core::Peer& p, core::TimePoint now,
                                 const PeerDescription& d);

// `shipworm peers`: {"role", "count", "listed", "truncated", "peers": [...]}, trusted peers
// first, each class most recently used first, at most `max_listed` entries (each walk stops
// there: O(listed), whatever the size of the table). `describe(const core::Peer&)` returns
// a PeerDescription. Pretty-printed, with a final newline. `table` may be null (no engine
// yet): count 0.
template <class Describe>
std::string peers_document(std::string_view role, const core::PeerTable* table, core::TimePoint now,
                           std::size_t max_listed, Describe&& describe) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  std::size_t count = 0;
  if (table != nullptr) {
    count = table->size();
    auto add = [&](const core::Peer& p) {
      if (list.size() >= max_listed) return true;  // stop the walk
      list.push_back(peer_json(p, now, describe(p)));
      return false;
    };
    (void)table->find_if(true, add);
    (void)table->find_if(false, add);
  }
  nlohmann::ordered_json j;
  j["role"] = role;
  j["count"] = count;
  j["listed"] = list.size();
  j["truncated"] = list.size() < count;
  j["peers"] = std::move(list);
  return j.dump(2) + "\n";
}

// OpenMetrics families every role exposes under the same name and labels.
MetricFamily info_family(std::string_view role);  // shipworm{role, version} 1
MetricFamily drops_family(const DropList& drops,  // shipworm_drops{reason}
                          std::string help = "Datagrams and packets dropped, by reason");
MetricFamily datagrams_received_family(std::uint64_t count, std::string help);
MetricFamily peers_family(const core::PeerTable& t);          // shipworm_peers{trust}
MetricFamily peer_capacity_family(const core::PeerTable& t);  // shipworm_peer_capacity
MetricFamily peers_trusted_family(std::uint64_t became_trusted);
MetricFamily queued_bytes_family(const core::PeerTable& t);  // shipworm_queued_bytes

}  // namespace shipworm::daemon
