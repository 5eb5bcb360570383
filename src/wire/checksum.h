// The Internet checksum (RFC 1071) and the ICMPv6 checksum over the IPv6 pseudo-header
// (RFC 4443 §2.3, RFC 8200 §8.1).
#pragma once

#include <cstdint>

#include "wire/bytes.h"
#include "wire/ip_address.h"

namespace shipworm::wire {

// One's-complement sum of 16-bit big-endian words, not yet folded or inverted; an odd
// trailing byte is padded with zero. Sums can be chained through `initial`.
std::uint32_t ones_complement_sum(Bytes data, std::uint32_t initial = 0);

// A sum folded to 16 bits (carries added back in), not inverted.
std::uint16_t fold_sum(std::uint32_t sum);

// The IPv6 pseudo-header (RFC 8200 §8.1) of an upper-layer packet of `upper_length` bytes and
// type `next_header`, addresses taken from `ipv6_packet` (an IPv6 header of at least 40
// bytes): its sum, unfolded, to chain with the upper-layer bytes. Folded as it is, it is what
// a partially checksummed (CHECKSUM_PARTIAL) packet carries in its checksum field.
std::uint32_t pseudo_header_sum(Bytes ipv6_packet, std::size_t upper_length,
                                std::uint8_t next_header);

// The value to put in the ICMPv6 checksum field of `message` (whose checksum field must be
// zero), or, on a received message, 0 when the checksum is correct.
std::uint16_t icmpv6_checksum(const Ipv6Address& src, const Ipv6Address& dst, Bytes message);

}  // namespace shipworm::wire
