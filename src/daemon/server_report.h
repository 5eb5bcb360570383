// What the server tells its operators: `shipworm status`, the OpenMetrics text
// (docs/metrics.md) and the SIGUSR1 counter log, all rendered from ONE ServerSnapshot and
// its one drop list (server_drops), so the three agree on what was dropped. Rendering
// only: the snapshot is taken by the daemon (daemon/server_daemon.cpp) on its event loop.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/server_engine.h"
#include "core/time.h"
#include "daemon/config_file.h"
#include "daemon/role_report.h"
#include "wire/drop_reason.h"

namespace shipworm::daemon {

// Frames the AF_XDP path refused, by codec reason (counted under the same names).
using FrameDrops = std::array<std::uint64_t, static_cast<std::size_t>(wire::DropReason::kCount)>;

// Drops by reason: the codec's (socket and AF_XDP paths summed), the engine's
// (core::ServerDrop), then datagram_truncated and send_failed.
DropList server_drops(const core::ServerCounters& c, const FrameDrops& frame_malformed,
                      std::uint64_t truncated, std::uint64_t send_failures);

// The server at one instant.
struct ServerSnapshot {
  core::TimePoint now{};
  core::TimePoint started{};
  std::string last_transition;
  const ServerConfig* config = nullptr;  // the configuration in effect (never null)
  core::ServerCounters counters;
  FrameDrops frame_malformed{};
  std::uint64_t truncated = 0;
  std::uint64_t send_failures = 0;
  // The AF_XDP fast path (XdpInterface), when it runs.
  struct Xdp {
    std::string interface;
    std::size_t queues = 0;
    std::string_view attach_mode;
    std::string_view copy_mode;
    std::uint64_t frames_in = 0;
    std::uint64_t frames_out = 0;
    std::uint64_t answers_by_kernel = 0;  // no free TX frame: sent through the kernel
  };
  std::optional<Xdp> xdp;

  [[nodiscard]] DropList drops() const {
    return server_drops(counters, frame_malformed, truncated, send_failures);
  }
};

// `shipworm status`: one JSON document (keys in a fixed, readable order).
std::string server_status_json(const ServerSnapshot& s);
// OpenMetrics; family names shared with the other roles where they mean the same thing.
std::string server_metrics_text(const ServerSnapshot& s);
// SIGUSR1: the totals, one line per drop reason, then the AF_XDP path's counters.
std::vector<std::string> server_log_lines(const ServerSnapshot& s);

}  // namespace shipworm::daemon
