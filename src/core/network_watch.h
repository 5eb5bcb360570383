// Following the host's network for the client (RFC 4380 §5.2.5 lets a client refresh, and so
// re-qualify, whenever it wants): which changes of the host's IPv4 network touch the path
// toward the Teredo server, and when to act on them. Sans-I/O: the daemon feeds it the
// rtnetlink notifications it receives and the route the kernel reports toward the server;
// it answers "re-qualify now, because ...".
//
//   - A change touches the path when the route toward the server changes (interface,
//     source address, gateway), when that route goes away or comes back, when the interface
//     carrying it loses its link (down, or no carrier), or when its source address is
//     removed, even if the same route comes back: a laptop that joins another Wi-Fi often
//     gets the same private address and gateway behind another NAT.
//   - Anything else (another interface, another address, a route elsewhere) does not disturb
//     a working client. IPv6 changes are not even fed in.
//   - Damping: the path is looked at once the notifications have been quiet for `settle`
//     (a move is a burst: link down, address gone, link up, address, route), but never later
//     than `max_settle` after the first one. The first `free_changes` re-qualifications within
//     `flap_window` act at once; after that each waits a hold-down that doubles up to
//     `max_hold_down`. A flapping link is damped, never ignored: what is pending is looked at
//     when the hold-down ends.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "core/time.h"
#include "wire/ip_address.h"

namespace shipworm::core {

// The host's IPv4 path toward the server, as the kernel routes it.
struct HostPath {
  unsigned ifindex = 0;
  std::string interface;  // its name, for the log
  wire::Ipv4Address source{};
  std::optional<wire::Ipv4Address> gateway;

  [[nodiscard]] std::string to_string() const;  // "eth0 10.0.1.10 via 10.0.1.1"
  bool operator==(const HostPath&) const = default;
};

// One rtnetlink notification (rtnetlink(7)), reduced to what matters here.
struct HostNetworkEvent {
  enum class Kind : std::uint8_t { kLink, kAddress, kRoute };
  Kind kind = Kind::kRoute;
  bool removed = false;  // RTM_DELLINK, RTM_DELADDR, RTM_DELROUTE
  unsigned ifindex = 0;
  bool link_up = true;          // kLink: IFF_UP and carrier (IFF_LOWER_UP)
  wire::Ipv4Address address{};  // kAddress: the IPv4 address
};

struct NetworkWatchConfig {
  Duration settle = std::chrono::milliseconds(200);
  Duration max_settle = std::chrono::seconds(1);
  int free_changes = 3;
  Duration flap_window = std::chrono::seconds(10);
  Duration hold_down = std::chrono::seconds(2);
  Duration max_hold_down = std::chrono::seconds(60);
};

class NetworkWatch {
 public:
  explicit NetworkWatch(NetworkWatchConfig config = {});

  // The path as it is now (nullopt: no route toward the server). Forgets what was pending.
  void reset(std::optional<HostPath> path);
  // A notification.
  void on_event(TimePoint now, const HostNetworkEvent& e);
  // Notifications were lost (the socket overflowed): assume the path was touched.
  void on_lost_events(TimePoint now);

  // When the daemon should look the path up and call look(); kNoDeadline if nothing pending.
  [[nodiscard]] TimePoint deadline() const;
  // At deadline(): the path as the kernel reports it now. Returns why the client must
  // re-qualify, or nullopt when the path is untouched (or nothing was pending).
  std::optional<std::string> look(TimePoint now, const std::optional<HostPath>& path);
  // The first notification of the burst behind the last change look() reported: when the
  // host's network changed, as far as the client can tell.
  [[nodiscard]] TimePoint changed_at() const { return changed_at_; }

  [[nodiscard]] const std::optional<HostPath>& path() const { return path_; }
  [[nodiscard]] bool pending() const { return pending_; }
  // Re-qualifications asked for within the flap window (as of the last one).
  [[nodiscard]] std::size_t recent_changes() const { return recent_.size(); }

 private:
  NetworkWatchConfig config_;
  std::optional<HostPath> path_;
  bool pending_ = false;
  TimePoint first_{};
  TimePoint last_{};
  std::string touched_;  // why the path counts as touched even if it looks the same
  TimePoint hold_until_{};
  TimePoint changed_at_{};
  std::deque<TimePoint> recent_;
};

}  // namespace shipworm::core
