// An IPv4 UDP socket for Teredo traffic (RFC 4380 §5: Teredo runs over UDP/IPv4), with
// batched receive and send (recvmmsg(2), sendmmsg(2)).
//
// Socket options, and why (see docs/os-linux.md for the longer story):
//  - O_NONBLOCK: the event loop waits; reads and writes never do.
//  - IP_MTU_DISCOVER = IP_PMTUDISC_DONT: the DF bit is not set (RFC 4380 §5.1.2: Teredo
//    "SHOULD NOT" set DF; IPv6 path MTU is handled end to end), and the kernel fragments
//    locally instead of failing with EMSGSIZE. ip(7).
//  - IP_TOS = 0: DSCP 0 and the two ECN bits zero (Not-ECT). RFC 9601 §6.1.3 for tunnels
//    that do not propagate ECN (docs/rfc-notes.md §2). The default is already 0; setting it
//    makes the intent explicit and survives a future change of default.
//  - IP_PKTINFO: each received datagram reports the destination address in its IPv4 header,
//    so a server bound to 0.0.0.0 knows which of its two addresses a Router Solicitation
//    reached (RFC 4380 §5.2.1, the secondary-address check); on send the same ancillary
//    message picks the source address (ip(7) "IP_PKTINFO": ipi_spec_dst).
//  - SO_RCVBUF / SO_SNDBUF large, best effort: bursts from many peers are absorbed by the
//    kernel instead of being dropped. SO_RCVBUFFORCE/SO_SNDBUFFORCE are tried first (they
//    need CAP_NET_ADMIN and ignore net.core.rmem_max); failures are ignored.
//  - SO_REUSEPORT, on request: several workers, each with its own socket bound to the same
//    address, the kernel spreading flows by hash (socket(7)).
//  - UDP_SEGMENT (GSO), on request (UdpOptions::gso): send_batch hands the kernel runs of
//    consecutive same-size datagrams to one peer as ONE message with a UDP_SEGMENT cmsg, and
//    the kernel cuts it into datagrams late (in the driver or just before it), so the
//    UDP/IP output path runs once per run instead of once per datagram. udp(7),
//    os/linux/gso_runs.h. A message the kernel refuses (EIO: the route's device has no
//    checksum offload; EMSGSIZE, or EINVAL on older kernels: segment plus headers larger than
//    the path MTU) is sent again one datagram at a time; after EIO GSO stays off for the
//    socket.
//  - IP_RECVERR is deliberately NOT enabled: without it an unconnected UDP socket never
//    reports ICMP errors (udp(7)), so one unreachable peer cannot make reads fail. Errors
//    that still appear (ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EPERM from a firewall)
//    are returned as IoResult::error and never stop the loop.
#pragma once

#include <cstddef>
#include <cstdint>

#include "os/linux/datagram_batch.h"
#include "os/linux/os_error.h"
#include "os/linux/unique_fd.h"
#include "wire/bytes.h"
#include "wire/ip_address.h"

namespace shipworm::os {

struct UdpOptions {
  bool reuse_port = false;
  int receive_buffer = 4 << 20;  // bytes; 0 leaves the kernel default
  int send_buffer = 4 << 20;
  bool gso = false;  // UDP_SEGMENT on send (the relay); off when the kernel lacks it
};

class UdpSocket {
 public:
  // Binds to `local` (address 0.0.0.0 = all addresses; port 0 = kernel chooses, see
  // local_endpoint()).
  static Result<UdpSocket> open(wire::Endpoint local, const UdpOptions& options = {});

  [[nodiscard]] int fd() const { return fd_.get(); }
  // The bound address and port as the kernel reports it (getsockname(2)).
  [[nodiscard]] wire::Endpoint local_endpoint() const { return local_; }

  // Receives up to batch.capacity() datagrams into the batch, replacing its contents.
  // count = batch.size(). error 0 with count 0 means "nothing waiting". EINTR is retried.
  IoResult recv_batch(DatagramBatch& batch);
  // Sends datagrams [from, batch.size()) with sendmmsg, continuing past datagrams the kernel
  // refuses one by one (counted in `dropped`), stopping at EAGAIN (`blocked`). With GSO on,
  // a run of datagrams is one message (os/linux/gso_runs.h) and succeeds, fails or blocks
  // as a whole; counts and `next` are in datagrams all the same.
  BatchResult send_batch(DatagramBatch& batch, std::size_t from = 0);

  // UDP GSO: on (asked for and supported, not yet turned off by an EIO), messages sent with
  // it (each carrying several datagrams), and runs the kernel refused that were sent again
  // one datagram at a time.
  [[nodiscard]] bool gso() const { return gso_; }
  [[nodiscard]] std::uint64_t gso_messages() const { return gso_messages_; }
  [[nodiscard]] std::uint64_t gso_fallbacks() const { return gso_fallbacks_; }

  // One datagram. count = bytes. `source` 0.0.0.0 lets the kernel choose.
  IoResult send_to(wire::Endpoint peer, wire::Bytes payload, wire::Ipv4Address source = {});
  // One datagram into `buffer`; fills `info` (length, peer, local, truncated). Nothing
  // waiting is error EAGAIN (a zero-length datagram is count 0, error 0).
  IoResult recv_from(wire::MutableBytes buffer, Datagram& info);

 private:
  explicit UdpSocket(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  wire::Endpoint local_;
  bool gso_ = false;
  std::uint64_t gso_messages_ = 0;
  std::uint64_t gso_fallbacks_ = 0;
};

// sockaddr_in conversions (network byte order inside, wire:: host order outside).
sockaddr_in to_sockaddr(wire::Endpoint e);
wire::Endpoint from_sockaddr(const sockaddr_in& sa);

}  // namespace shipworm::os
