// UDP generic segmentation offload (GSO, udp(7) UDP_SEGMENT) for batched sends: which
// consecutive datagrams of a batch can leave as one message.
//
// The kernel cuts a UDP_SEGMENT message into datagrams of `segment size` bytes each, the last
// one possibly shorter, all to the same destination from the same source. So a run is a
// sequence of CONSECUTIVE datagrams with the same peer and the same source address, all of
// the first one's length except the last, which may be shorter (and then ends the run). Runs
// are capped at kMaxGsoSegments datagrams and kMaxGsoBytes payload bytes (an IPv4 datagram
// carries at most 65507 bytes of UDP payload; the kernel's own cap is UDP_MAX_SEGMENTS).
//
// Pure: no system call, unit-tested without the kernel.
#pragma once

#include <cstddef>
#include <span>

#include "os/linux/datagram_batch.h"

namespace shipworm::os {

inline constexpr std::size_t kMaxGsoSegments = 64;
inline constexpr std::size_t kMaxGsoBytes = 65000;

// The number of datagrams, from d[from] on, that make one GSO run (1 when d[from] cannot be
// joined with the next one; 0 only when from >= d.size()). Zero-length datagrams are never
// part of a longer run.
std::size_t gso_run_length(std::span<const Datagram> d, std::size_t from,
                           std::size_t max_segments = kMaxGsoSegments,
                           std::size_t max_bytes = kMaxGsoBytes);

}  // namespace shipworm::os
