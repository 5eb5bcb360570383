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

// The value to put in the ICMPv6 checksum field of `message` (whose checksum field must be
// zero), or, on a received message, 0 when the checksum is correct.
std::uint16_t icmpv6_checksum(const Ipv6Address& src, const Ipv6Address& dst, Bytes message);

}  // namespace shipworm::wire
