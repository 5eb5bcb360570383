// TCP segmentation in user space, for TSO reads from the TUN (TunOptions::tso): the kernel
// hands the relay a forwarded TCP "super-packet" (up to 64 KiB, gso_type TCPV6, gso_size =
// the MSS) in one read, and the relay cuts it into the segments the native host's TCP would
// have sent, each to be encapsulated on its own (docs/os-linux.md "TUN offloads").
//
// Pure: no system call, no allocation.
#pragma once

#include <cstddef>

#include "wire/bytes.h"

namespace shipworm::os {

// Completes a partial checksum (VIRTIO_NET_HDR_F_NEEDS_CSUM): the 16-bit field at
// start + offset holds the pseudo-header sum; it becomes the complement of the
// ones'-complement sum of [start, end). False (nothing changed) when out of bounds.
bool complete_checksum(wire::MutableBytes packet, std::size_t start, std::size_t offset);

// Cuts an IPv6 (no extension headers) + TCP super-packet into segments of at most `mss`
// payload bytes: each with the same IPv6 and TCP headers (options included), Payload
// Length for its size, Sequence Number advanced by the payload before it, FIN and PSH only
// on the last, CWR only on the first, and a full TCP checksum. The super-packet's own
// Payload Length and checksum are not relied on (the kernel's describe the whole).
class Tcp6Segmenter {
 public:
  // False when `packet` is not IPv6 + TCP (a data offset of at least 5, the TCP header
  // inside the packet) with at least one payload byte, when mss is 0, or when a segment's
  // TCP length would not fit the 16-bit Payload Length.
  bool start(wire::Bytes packet, std::size_t mss);
  // Writes the next segment into `out`; returns its length, 0 when done (or `out` too small
  // for this segment, which a caller with room for a header plus one MSS never sees).
  std::size_t next(wire::MutableBytes out);
  [[nodiscard]] std::size_t header_length() const { return header_; }

 private:
  wire::Bytes packet_;
  std::size_t mss_ = 0;
  std::size_t header_ = 0;  // IPv6 + TCP header
  std::size_t offset_ = 0;  // payload bytes already cut
};

}  // namespace shipworm::os
