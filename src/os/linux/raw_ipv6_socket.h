// A send-only raw IPv6 socket for packets whose IPv6 header we built ourselves: the server
// relays its clients' ICMPv6 (the ping test, RFC 4380 §5.2.9, §5.3.1 "relayed to the IPv6
// Internet using regular IPv6 routing") without a TUN device.
//
// socket(AF_INET6, SOCK_RAW, IPPROTO_RAW) with IPV6_HDRINCL (Linux >= 4.5, ipv6(7)): the
// kernel takes the header as given and routes the packet by its destination. Needs
// CAP_NET_RAW when opened; the descriptor keeps working after capabilities are dropped.
#pragma once

#include "os/linux/os_error.h"
#include "os/linux/unique_fd.h"
#include "wire/bytes.h"

namespace shipworm::os {

class RawIpv6Socket {
 public:
  static Result<RawIpv6Socket> open();

  // Sends one complete IPv6 packet (header included) to the header's destination.
  // count = bytes sent; error = errno (EAGAIN when the send buffer is full, ENETUNREACH
  // without a route, EINVAL for a packet shorter than its header).
  IoResult send(wire::Bytes p);

  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  explicit RawIpv6Socket(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace shipworm::os
