// The authentication value of secure qualification (RFC 4380 §5.2.2): HMAC-SHA1 keyed with
// the client's shared secret over nonce | confirmation | origin indication (if present) |
// IPv6 packet. §7.2.1 mentions MD5; §5.2.2 makes SHA-1 the default (docs/rfc-notes.md §5.1).
#pragma once

#include <array>
#include <cstdint>

#include "wire/bytes.h"
#include "wire/encapsulation.h"

namespace shipworm::wire {

inline constexpr std::size_t kHmacSha1Size = 20;
using AuthValue = std::array<std::uint8_t, kHmacSha1Size>;

AuthValue teredo_auth_value(Bytes secret, const Nonce& nonce, std::uint8_t confirmation,
                            Bytes origin_raw, Bytes ipv6_packet);

// Recomputes the value for a received packet and compares in constant time.
bool verify_auth_value(Bytes secret, const TeredoPacket& packet);

}  // namespace shipworm::wire
