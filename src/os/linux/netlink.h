// rtnetlink (rtnetlink(7), netlink(7)) through libmnl: the interface configuration every role
// needs, without running `ip`.
//
//  - links: index by name, up/down, MTU (the Teredo interface MTU is 1280, RFC 4380 §5.1.2);
//  - IPv6 addresses with a prefix length, e.g. the Teredo address with IFA_F_NODAD (it is
//    unique by construction, RFC 4380 §5.2.3, and DAD would only delay it by a second) and
//    the link-local fe80::/64 address (RFC 4380 §5.2.1 derives it);
//  - IPv4 addresses (a server needs two consecutive addresses; tests add them to lo);
//  - IPv6 routes: 2001::/32 on the TUN for relays and clients, the last-resort default
//    ::/0 with a high metric (1029, so native IPv6 wins, RFC 4380 §5.5 / RFC 6724 prefer
//    native) for clients;
//  - dumps of IPv6/IPv4 addresses and IPv6 routes, to detect native IPv6 and to verify.
//
// Every request asks for an acknowledgement (NLM_F_ACK) and waits for it, so a failure comes
// back as an OsError such as "adding 2001:0:c633:6401::1/32 to teredo: File exists".
// One Netlink object = one socket; not thread-safe; blocking (setup only, never on the packet
// path).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "os/linux/os_error.h"
#include "wire/ip_address.h"

struct mnl_socket;
struct nlmsghdr;

namespace shipworm::os {

struct Ipv6Prefix {
  wire::Ipv6Address address;
  std::uint8_t length = 128;

  [[nodiscard]] std::string to_string() const;  // "2001::/32"
  auto operator<=>(const Ipv6Prefix&) const = default;
};

struct LinkInfo {
  unsigned index = 0;
  std::string name;
  std::uint32_t mtu = 0;
  unsigned flags = 0;  // IFF_UP, IFF_RUNNING, ... (netdevice(7))
  [[nodiscard]] bool up() const;
};

struct AddressOptions {
  bool no_dad = false;           // IFA_F_NODAD
  bool no_prefix_route = false;  // IFA_F_NOPREFIXROUTE: do not add the prefix route
};

struct Ipv6InterfaceAddress {
  unsigned ifindex = 0;
  Ipv6Prefix prefix;
  std::uint32_t flags = 0;  // IFA_F_*
  std::uint8_t scope = 0;   // RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_HOST
};

struct Ipv4InterfaceAddress {
  unsigned ifindex = 0;
  wire::Ipv4Address address;
  std::uint8_t prefix_length = 32;
};

struct Ipv6Route {
  Ipv6Prefix destination;       // length 0 = default route
  unsigned ifindex = 0;         // output device (0: none, e.g. a gateway-only route)
  std::uint32_t metric = 1024;  // the kernel's default IPv6 metric (ip-route(8))
  std::optional<wire::Ipv6Address> gateway = std::nullopt;
  std::uint32_t table = 254;  // RT_TABLE_MAIN
  std::uint8_t type = 1;      // RTN_UNICAST (dumps also show e.g. RTN_LOCAL, RTN_MULTICAST)
};

// The route the kernel would use toward an IPv4 destination (`ip route get`).
struct Ipv4Path {
  unsigned ifindex = 0;                      // RTA_OIF
  wire::Ipv4Address source{};                // RTA_PREFSRC: the address packets leave with
  std::optional<wire::Ipv4Address> gateway;  // RTA_GATEWAY; none when on-link

  [[nodiscard]] std::string to_string() const;  // "eth0 10.0.1.10 via 10.0.1.1"
  bool operator==(const Ipv4Path&) const = default;
};

class Netlink {
 public:
  static Result<Netlink> open();
  Netlink(Netlink&&) noexcept;
  Netlink& operator=(Netlink&&) noexcept;
  ~Netlink();

  // Links.
  Result<unsigned> link_index(std::string_view name);
  Result<LinkInfo> link(unsigned ifindex);
  Status set_link_up(unsigned ifindex, bool up = true);
  Status set_mtu(unsigned ifindex, std::uint32_t mtu);

  // Addresses. The scope is derived from the address (fe80::/10 -> link).
  Status add_address(unsigned ifindex, const Ipv6Prefix& prefix, AddressOptions options = {});
  Status delete_address(unsigned ifindex, const Ipv6Prefix& prefix);
  Status add_address(unsigned ifindex, wire::Ipv4Address address, std::uint8_t prefix_length);
  Status delete_address(unsigned ifindex, wire::Ipv4Address address, std::uint8_t prefix_length);
  // ifindex 0: every interface.
  Result<std::vector<Ipv6InterfaceAddress>> ipv6_addresses(unsigned ifindex = 0);
  Result<std::vector<Ipv4InterfaceAddress>> ipv4_addresses(unsigned ifindex = 0);

  // IPv6 routes (single path; multipath routes appear in dumps without their nexthops).
  // add fails with EEXIST if the same route exists (NLM_F_EXCL); delete matches destination,
  // ifindex, metric and gateway.
  Status add_route(const Ipv6Route& route);
  Status delete_route(const Ipv6Route& route);
  Result<std::vector<Ipv6Route>> ipv6_routes();
  // RTM_GETROUTE for one destination, as `ip route get DST`: nullopt when the kernel has no
  // route (ENETUNREACH, EHOSTUNREACH, or an unreachable/prohibit/blackhole route).
  Result<std::optional<Ipv4Path>> ipv4_route_to(wire::Ipv4Address destination);

 private:
  explicit Netlink(mnl_socket* nl);
  // Sends the request in buf_ and waits for its acknowledgement.
  Status transact(const std::string& doing);
  // Sends the dump request in buf_ and calls cb for each reply message.
  using MessageCallback = int (*)(const ::nlmsghdr*, void*);
  Status transact(const std::string& doing, MessageCallback cb, void* data);
  ::nlmsghdr* start(std::uint16_t type, std::uint16_t flags);
  Status change_address(bool add, int family, unsigned ifindex, const void* addr,
                        std::size_t addr_len, std::uint8_t prefix_length, std::uint8_t scope,
                        std::uint32_t flags, const std::string& doing);
  Status change_route(bool add, const Ipv6Route& route, const std::string& doing);

  mnl_socket* nl_ = nullptr;
  unsigned portid_ = 0;
  unsigned seq_ = 0;
  std::vector<char> buf_;
};

// IPv6 route notifications (RTNLGRP_IPV6_ROUTE, rtnetlink(7)) on a socket of their own, so
// that a caller can wait for the kernel to insert a route (e.g. the RTN_LOCAL route of a new
// address, docs/os-linux.md) instead of polling the table. Open it before the change that
// causes the route, check the table once (the route may exist already), then wait for fd()
// to become readable and read_added(). Non-blocking; not thread-safe.
class Ipv6RouteMonitor {
 public:
  static Result<Ipv6RouteMonitor> open();
  Ipv6RouteMonitor(Ipv6RouteMonitor&&) noexcept;
  Ipv6RouteMonitor& operator=(Ipv6RouteMonitor&&) noexcept;
  ~Ipv6RouteMonitor();

  [[nodiscard]] int fd() const;
  // The IPv6 routes added (RTM_NEWROUTE) since the last call; empty when none is pending.
  // ENOBUFS means notifications were lost (the socket overflowed): dump the table instead.
  Result<std::vector<Ipv6Route>> read_added();

 private:
  explicit Ipv6RouteMonitor(mnl_socket* nl);
  mnl_socket* nl_ = nullptr;
  std::vector<char> buf_;
};

// "teredo", or "ifindex 7" when the index has no name (any more).
std::string interface_name(unsigned ifindex);

}  // namespace shipworm::os
