// Notifications of the host's links, IPv4 addresses and IPv4 routes (rtnetlink(7) groups
// RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV4_ROUTE) on a socket of their own, so that
// the client can follow its host's network (docs/roaming.md): a change of the path toward
// the server makes it re-qualify at once (RFC 4380 §5.2.5 lets it refresh whenever it
// wants). The notifications are reduced to what that decision needs; the path itself is
// looked up with Netlink::ipv4_route_to().
//
// Non-blocking; register fd() with the event loop and call read() when it is readable.
// ENOBUFS from read() means notifications were lost (the socket overflowed): the caller must
// assume anything changed. Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "os/linux/os_error.h"
#include "wire/ip_address.h"

struct mnl_socket;

namespace shipworm::os {

struct NetworkEvent {
  enum class Kind : std::uint8_t { kLink, kAddress, kRoute };
  Kind kind = Kind::kLink;
  bool removed = false;         // RTM_DELLINK, RTM_DELADDR, RTM_DELROUTE
  unsigned ifindex = 0;         // the link, the address's interface, the route's RTA_OIF (or 0)
  unsigned link_flags = 0;      // kLink: ifi_flags (IFF_UP, IFF_RUNNING, IFF_LOWER_UP)
  wire::Ipv4Address address{};  // kAddress: IFA_LOCAL (or IFA_ADDRESS)
  std::uint32_t table = 0;      // kRoute: RTA_TABLE (or rtm_table)
};

class NetworkMonitor {
 public:
  static Result<NetworkMonitor> open();
  NetworkMonitor(NetworkMonitor&&) noexcept;
  NetworkMonitor& operator=(NetworkMonitor&&) noexcept;
  ~NetworkMonitor();

  [[nodiscard]] int fd() const;
  // Every notification pending now (empty when none); an OsError with code() ENOBUFS when
  // some were lost.
  Result<std::vector<NetworkEvent>> read();

 private:
  explicit NetworkMonitor(mnl_socket* nl);
  mnl_socket* nl_ = nullptr;
  std::vector<char> buf_;
};

}  // namespace shipworm::os
