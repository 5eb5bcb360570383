// What the client tells its operator: `shipworm status` (JSON), `shipworm peers` (JSON), the
// OpenMetrics text (docs/metrics.md) and the SIGUSR1 counter log. All four are rendered
// from one ClientSnapshot taken at one instant, so that they cannot disagree: a drop counted
// by status is counted by the metrics and by the log's total.
//
// What every role reports the same way (the drop list with its total, ages, the peers
// document, the shared metric families) comes from daemon/role_report.h.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/client_engine.h"
#include "core/time.h"
#include "daemon/metrics.h"
#include "daemon/role_report.h"
#include "wire/ip_address.h"

namespace shipworm::daemon {

// `shipworm peers` lists at most this many entries (trusted first, most recent first).
inline constexpr std::size_t kMaxPeersListed = 256;

// The daemon's own I/O drops, beside the engine's counters.
struct ClientIoDrops {
  std::uint64_t truncated = 0;           // datagram larger than a receive slot
  std::uint64_t send_failures = 0;       // UDP send failed or would block
  std::uint64_t tun_write_failures = 0;  // TUN write failed
};

struct ClientSnapshot {
  core::TimePoint now{};
  core::TimePoint started{};                   // the daemon's start
  const core::ClientEngine* engine = nullptr;  // none until the server names resolve
  std::string interface;
  std::uint32_t mtu = 0;
  wire::Endpoint service_port{};
  std::string last_transition;  // "starting -> qualified"
  std::optional<core::Duration> server_rtt;
  ClientIoDrops io;
  // The host's IPv4 path toward the server as the client follows it (host_network.h):
  // "eth0 10.0.1.10 via 10.0.1.1", "no route", or empty when not followed.
  std::string network_path;
};

// Codec reasons, the engine's own, then the daemon's I/O.
DropList client_drops(const ClientSnapshot& s);
// `shipworm status`: one JSON document, keys in a fixed order (tests/lab/demo.py reads
// state, address, mapping, nat_type, server, mtu and cause; docs/architecture.md lists all).
std::string client_status_json(const ClientSnapshot& s);
// `shipworm peers`: trusted peers first, each class most recently used first, at most
// kMaxPeersListed entries.
std::string client_peers_json(const ClientSnapshot& s);
// The OpenMetrics families of docs/metrics.md.
std::string client_metrics_text(const ClientSnapshot& s);
// SIGUSR1: the state and counters as log lines, ending with the same drop list as status.
std::vector<std::string> client_log_lines(const ClientSnapshot& s);

// The RS -> RA round trip, timed from the engine's counters after each round of engine work:
// an RA accepted since the last look closes the exchange the latest RS opened (RAs are
// checked first: qualification sends the next RS in the same call that accepts an RA).
class ServerRttMeter {
 public:
  void note(core::TimePoint now, const core::ClientCounters& c);
  // A new engine: its counters start from zero (the last RTT measured is kept).
  void restart();
  [[nodiscard]] std::optional<core::Duration> rtt() const { return rtt_; }

 private:
  std::uint64_t seen_rs_ = 0;
  std::uint64_t seen_ra_ = 0;
  std::optional<core::TimePoint> rs_sent_at_;
  std::optional<core::Duration> rtt_;
};

}  // namespace shipworm::daemon
