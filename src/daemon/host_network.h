// The client's watch on its host's network (docs/roaming.md): rtnetlink notifications of
// links, IPv4 addresses and IPv4 routes (os::NetworkMonitor), and the kernel's route toward
// the Teredo server (Netlink::ipv4_route_to), fed to core::NetworkWatch, which decides when
// the client must re-qualify (RFC 4380 §5.2.5 lets it refresh whenever it wants).
//
// Owned by the client daemon, on its event loop: fd() is registered there, deadline() joins
// the loop's single deadline, and on_deadline() returns the cause of a re-qualification.
// Without rtnetlink (open() failed) the client works as before, on its refresh schedule.
#pragma once

#include <optional>
#include <string>

#include "core/network_watch.h"
#include "core/time.h"
#include "daemon/log.h"
#include "os/linux/netlink.h"
#include "os/linux/network_monitor.h"
#include "wire/ip_address.h"

namespace shipworm::daemon {

class HostNetwork {
 public:
  explicit HostNetwork(Logger& log, core::NetworkWatchConfig config = {})
      : log_(log), watch_(config) {}

  // Opens the notification socket and the lookup socket. Logs and returns false on failure.
  bool open();
  [[nodiscard]] bool is_open() const { return monitor_.has_value(); }
  [[nodiscard]] int fd() const { return monitor_ ? monitor_->fd() : -1; }

  // Follows the path toward `server` (the current server's primary address) from now on;
  // the path as it is now is the reference. Nothing happens if it is already followed.
  void follow(wire::Ipv4Address server);
  // fd() is readable: reads the notifications.
  void on_readable(core::TimePoint now);
  // When on_deadline() must run; kNoDeadline when nothing is pending.
  [[nodiscard]] core::TimePoint deadline() const { return watch_.deadline(); }
  // At deadline(): looks the path up; returns why the client must re-qualify, if it must.
  std::optional<std::string> on_deadline(core::TimePoint now);
  // When the change on_deadline() last reported began (its first notification).
  [[nodiscard]] core::TimePoint changed_at() const { return watch_.changed_at(); }

  // "eth0 10.0.1.10 via 10.0.1.1", "no route", or empty when not followed.
  [[nodiscard]] std::string describe_path() const;

 private:
  std::optional<core::HostPath> lookup();

  Logger& log_;
  core::NetworkWatch watch_;
  std::optional<os::NetworkMonitor> monitor_;
  std::optional<os::Netlink> nl_;
  std::optional<wire::Ipv4Address> server_;
};

}  // namespace shipworm::daemon
