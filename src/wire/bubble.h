// The Teredo bubble (RFC 4380 §2.8): an IPv6 header with Next Header 59 and no payload.
#pragma once

#include <cstdint>

#include "wire/bytes.h"
#include "wire/ipv6_packet.h"
#include "wire/parsed.h"

namespace shipworm::wire {

inline bool is_bubble(const Ipv6View& ip) { return ip.next_header == 59 && ip.payload_length == 0; }
// The bubble itself (a view), or kNotBubble.
Parsed<Ipv6View> parse_bubble(const Ipv6View& ip);

// Hop limit is unspecified except for local discovery bubbles, which use 1 (§5.2.8).
bool write_bubble(Writer& w, const Ipv6Address& src, const Ipv6Address& dst,
                  std::uint8_t hop_limit);

}  // namespace shipworm::wire
