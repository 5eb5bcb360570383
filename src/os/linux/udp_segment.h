// UDP segmentation in user space, for USO reads from the TUN (TunOptions::uso): the kernel
// hands the relay a UDP "super-packet" (gso_type VIRTIO_NET_HDR_GSO_UDP_L4, gso_size = the
// UDP payload of each datagram) in one read -- datagrams of one flow that GRO merged on the
// way in (rx-udp-gro-forwarding on the native-side interface) or that a local socket sent
// with UDP_SEGMENT (host-specific relay) -- and the relay cuts it back into the datagrams,
// each to be encapsulated on its own (docs/os-linux.md "TUN offloads").
//
// Pure: no system call, no allocation.
#pragma once

#include <cstddef>

#include "wire/bytes.h"

namespace shipworm::os {

// Cuts an IPv6 (no extension headers) + UDP super-packet into datagrams of at most
// `segment` payload bytes (the last may be shorter): each with the same IPv6 header but its
// own Payload Length, the same ports, its own UDP Length and a full UDP checksum (0xffff
// for a sum of zero, RFC 8200 §8.1). The super-packet's own length and checksum fields
// are ignored: the kernel leaves them describing the whole, or partial.
class Udp6Segmenter {
 public:
  // False when `packet` is not IPv6 + UDP with at least one payload byte, when segment is
  // 0, or when a datagram's UDP length would not fit its 16-bit field.
  bool start(wire::Bytes packet, std::size_t segment);
  // Writes the next datagram into `out`; returns its length, 0 when done (or `out` too
  // small for this datagram, which a caller with room for the headers plus one segment
  // never sees).
  std::size_t next(wire::MutableBytes out);
  static constexpr std::size_t header_length() { return kHeaders; }

 private:
  static constexpr std::size_t kHeaders = 40 + 8;
  wire::Bytes packet_;
  std::size_t segment_ = 0;
  std::size_t offset_ = 0;  // payload bytes already cut
};

}  // namespace shipworm::os
