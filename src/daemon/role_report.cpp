#include "daemon/role_report.h"

#include <chrono>

#include "fmt/format.h"

namespace shipworm::daemon {

namespace {
using T = MetricFamily::Type;
double n(std::uint64_t v) { return static_cast<double>(v); }
}  // namespace

void DropList::add(std::string_view name, std::uint64_t n) {
  if (n == 0) return;
  total += n;
  for (auto& [k, v] : reasons) {
    if (k == name) {
      v += n;
      return;
    }
  }
  reasons.emplace_back(std::string(name), n);
}

nlohmann::ordered_json drops_json(const DropList& drops) {
  nlohmann::ordered_json d = nlohmann::ordered_json::object();
  for (const auto& [name, count] : drops.reasons) d[name] = count;
  return d;
}

std::vector<std::string> drop_log_lines(const DropList& drops) {
  std::vector<std::string> out;
  out.reserve(drops.reasons.size());
  for (const auto& [name, count] : drops.reasons) {
    out.push_back(fmt::format("  dropped {}: {}", name, count));
  }
  return out;
}

std::int64_t seconds_since(core::TimePoint now, core::TimePoint then) {
  return std::chrono::duration_cast<std::chrono::seconds>(now - then).count();
}

nlohmann::ordered_json peer_json(const core::Peer& p, core::TimePoint now,
                                 const PeerDescription& d) {
  nlohmann::ordered_json e;
  e["address"] = p.address.to_string();
  e["mapping"] = d.mapping_known ? p.mapping.to_string() : "";
  e["trusted"] = p.trusted();
  e["valid"] = p.trusted() && p.valid(now);
  e["state"] = d.state;
  e["last_rx_seconds"] = seconds_since(now, p.last_rx);
  e["last_tx_seconds"] = seconds_since(now, p.last_tx);
  e["queued_bytes"] = p.queued_bytes();
  e["queued_packets"] = p.queued_packets();
  return e;
}

MetricFamily info_family(std::string_view role) {
  return {"shipworm",
          T::kInfo,
          "shipworm build and role",
          {{{{"role", std::string(role)}, {"version", SHIPWORM_VERSION_STRING}}, 1}}};
}

MetricFamily drops_family(const DropList& drops, std::string help) {
  MetricFamily f{"shipworm_drops", T::kCounter, std::move(help), {}};
  for (const auto& [name, count] : drops.reasons)
    f.samples.push_back({{{"reason", name}}, n(count)});
  return f;
}

MetricFamily datagrams_received_family(std::uint64_t count, std::string help) {
  return {"shipworm_datagrams_received", T::kCounter, std::move(help), {{{}, n(count)}}};
}

MetricFamily peers_family(const core::PeerTable& t) {
  return {"shipworm_peers",
          T::kGauge,
          "Peer entries, by trust",
          {{{{"trust", "trusted"}}, n(t.trusted_count())},
           {{{"trust", "untrusted"}}, n(t.untrusted_count())}}};
}

MetricFamily peer_capacity_family(const core::PeerTable& t) {
  return {"shipworm_peer_capacity",
          T::kGauge,
          "Peer table size (PeerTableSize)",
          {{{}, n(t.capacity())}}};
}

MetricFamily peers_trusted_family(std::uint64_t became_trusted) {
  return {"shipworm_peers_trusted",
          T::kCounter,
          "Peers that became trusted",
          {{{}, n(became_trusted)}}};
}

MetricFamily queued_bytes_family(const core::PeerTable& t) {
  return {"shipworm_queued_bytes",
          T::kGauge,
          "Bytes queued for peers being reached",
          {{{}, n(t.queued_bytes_total())}}};
}

}  // namespace shipworm::daemon
