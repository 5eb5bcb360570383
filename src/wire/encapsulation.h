// The Teredo UDP payload (RFC 4380 §5.1.1, RFC 6081 §4):
//   [authentication] [origin indication] IPv6 packet [trailers]
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "wire/bytes.h"
#include "wire/ip_address.h"
#include "wire/ipv6_packet.h"
#include "wire/parsed.h"

namespace shipworm::wire {

using Nonce = std::array<std::uint8_t, 8>;

// 00 01 | ID-len | AU-len | client ID | auth value | nonce (8) | confirmation (1)
struct AuthHeader {
  Bytes client_id;
  Bytes auth_value;
  Nonce nonce{};
  std::uint8_t confirmation = 0;
  Bytes raw;  // the whole header as received
};
// Parses an authentication header at the start of `data` (which must begin 00 01).
Parsed<AuthHeader> parse_auth_header(Bytes data);
void write_auth_header(Writer& w, Bytes client_id, Bytes auth_value, const Nonce& nonce,
                       std::uint8_t confirmation);

// 00 00 | port ^ 0xFFFF | IPv4 ^ 0xFFFFFFFF
Parsed<Endpoint> parse_origin_indication(Bytes data);
void write_origin_indication(Writer& w, Endpoint origin);

struct TeredoPacket {
  std::optional<AuthHeader> auth;
  std::optional<Endpoint> origin;
  Bytes origin_raw;  // the 8 origin bytes, if present (input to the HMAC, §5.2.2)
  Ipv6View ipv6;     // ipv6.trailing holds the RFC 6081 trailers, if any
};

// Splits a UDP payload. The first two bytes decide: 00 01 authentication, 00 00 origin
// indication, high nibble 6 the IPv6 packet; anything else is dropped (RFC 4380 §5.2.3).
// Authentication, when present, comes first, then origin indication (§5.1.1). The IPv6
// length rule is RFC 6081 §4's: the packet must fit; bytes after it are trailers.
Parsed<TeredoPacket> classify(Bytes p);

}  // namespace shipworm::wire
