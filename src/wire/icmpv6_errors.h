// ICMPv6 error messages a relay originates (RFC 4443 §2.4, §3.1, §3.3): Destination
// Unreachable after a failed bubble exchange, Time Exceeded when the hop limit runs out.
#pragma once

#include <cstdint>

#include "wire/bytes.h"
#include "wire/ipv6_packet.h"

namespace shipworm::wire {

inline constexpr std::uint8_t kIcmpDestinationUnreachable = 1;  // RFC 4443 §3.1
inline constexpr std::uint8_t kIcmpTimeExceeded = 3;            // RFC 4443 §3.3
inline constexpr std::uint8_t kUnreachableAddress = 3;          // §3.1 code 3
inline constexpr std::uint8_t kTimeExceededHopLimit = 0;        // §3.3 code 0
// §2.4(c): an error message must not exceed the minimum IPv6 MTU.
inline constexpr std::size_t kIcmpv6ErrorMaxSize = 1280;

// RFC 4443 §2.4(e): no error is sent about an ICMPv6 error message (type < 128), about a
// packet sent to a multicast address, or about a packet whose source does not identify a
// single node (unspecified or multicast source).
bool icmpv6_error_allowed(const Ipv6View& invoking);

// Writes a whole IPv6 packet: header (src, dst, hop limit 255), type, code, checksum, the
// 4-byte parameter field (unused: zero) and as much of `invoking` as fits in 1280 bytes.
bool write_icmpv6_error(Writer& w, const Ipv6Address& src, const Ipv6Address& dst,
                        std::uint8_t type, std::uint8_t code, Bytes invoking);

}  // namespace shipworm::wire
