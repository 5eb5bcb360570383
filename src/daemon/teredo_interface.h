// The client's Teredo interface, configured through rtnetlink only (no `ip`), as Miredo's
// client-hook sets it up (so a Miredo user sees the same thing):
//   - fe80::ffff:ffff:ffff/64, the link-local address the RSs carry (RFC 4380 §5.2.1);
//   - MTU 1280, or the one the server's RA advertises (RFC 4380 §5.1.2, §5.2.1);
//   - the Teredo address as a /32: the kernel's prefix route for it is the 2001::/32 route
//     (other Teredo clients are reached through the tunnel, directly or by bubbles, §5.2.4);
//   - ::/0 dev IFACE metric 1029: a last-resort default, so native IPv6 wins (§5.5).
// A new address is added before the old one goes (the prefix route never disappears), and
// only once the kernel has inserted its local route (docs/os-linux.md), waited for through
// route notifications, at most kLocalRouteWait. The address and the default route go when
// the server is lost; everything goes at exit (the TUN device is not persistent). Errors a
// hook may cause by changing the interface first (Miredo's flushes it) are tolerated.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/client_types.h"
#include "daemon/log.h"
#include "os/linux/netlink.h"
#include "wire/ip_address.h"

namespace shipworm::daemon {

// Miredo's client-hook: "Linux default route default metric is 1024 (we put 1029 so that
// Teredo is used as a last resort)". RFC 4380 §5.5: native IPv6 wins.
inline constexpr std::uint32_t kDefaultRouteMetric = 1029;
// The Teredo address is added as a /32, as Miredo's hook does (RFC 4380 §5.2.4).
inline constexpr std::uint8_t kTeredoPrefixLength = 32;
// How long an address change waits for the new address to become local.
inline constexpr std::chrono::milliseconds kLocalRouteWait{500};

// ::/0 dev ifindex metric 1029.
os::Ipv6Route teredo_default_route(unsigned ifindex);
// The interface MTU for an RA's MTU (never below the IPv6 minimum, RFC 8200 §5).
std::uint32_t teredo_mtu(std::uint32_t advertised);
// True if `routes` holds the RTN_LOCAL /128 route of `address`.
bool has_local_route(const std::vector<os::Ipv6Route>& routes, const wire::Ipv6Address& address);
// The errno values tolerated because a hook may have made the change already: adding what
// exists (EEXIST); deleting a route (ESRCH, ENOENT) or an address (EADDRNOTAVAIL, ENOENT)
// that is gone.
bool tolerated_add_error(int code);
bool tolerated_route_delete_error(int code);
bool tolerated_address_delete_error(int code);

class TeredoInterface {
 public:
  explicit TeredoInterface(Logger& log) : log_(log) {}

  // Opens rtnetlink and sets up the interface: MTU, link-local address, up. Logs and
  // returns false on failure.
  bool open(unsigned ifindex, std::string name);
  // The engine's address change: a new address (MTU, link up, link-local, address, default
  // route, wait for the local route, then the old address goes), or the address withdrawn
  // (default route and address go).
  void apply(const core::AddressChange& change);
  // At exit, after the address was withdrawn: the link-local address goes.
  void close();

  [[nodiscard]] std::uint32_t mtu() const { return mtu_; }
  // The Teredo address on the interface, if any.
  [[nodiscard]] const std::optional<wire::Ipv6Address>& address() const { return current_; }

 private:
  void add_new(const core::AddressChange& c);
  void remove_address(const wire::Ipv6Address& a);
  void wait_local_route(const wire::Ipv6Address& a, os::Result<os::Ipv6RouteMonitor>& monitor);
  void warn(const os::Status& st);

  Logger& log_;
  std::optional<os::Netlink> nl_;
  unsigned ifindex_ = 0;
  std::string name_;
  std::uint32_t mtu_ = wire::kDefaultMtu;
  std::optional<wire::Ipv6Address> current_;
};

}  // namespace shipworm::daemon
