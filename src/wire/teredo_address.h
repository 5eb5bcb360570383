// The Teredo IPv6 address (RFC 4380 §4, RFC 5991 §3.1):
//   2001:0000 | server IPv4 | flags | port ^ 0xFFFF | mapped IPv4 ^ 0xFFFFFFFF
#pragma once

#include <cstdint>
#include <optional>

#include "wire/constants.h"
#include "wire/ip_address.h"

namespace shipworm::wire {

struct TeredoAddress {
  Ipv4Address server;
  std::uint16_t flags = 0;
  Endpoint mapped;  // de-obfuscated

  // nullopt unless the first 32 bits are the Teredo service prefix: 2001:0000::/32, or the
  // prefix a server was configured with (Miredo's `Prefix` directive).
  static std::optional<TeredoAddress> from_ipv6(const Ipv6Address& a,
                                                std::uint32_t prefix = kTeredoPrefix);
  [[nodiscard]] Ipv6Address to_ipv6(std::uint32_t prefix = kTeredoPrefix) const;

  [[nodiscard]] bool cone() const { return (flags & kFlagCone) != 0; }
  // The 12 RFC 5991 random bits, in place (mask 0x3CFF).
  [[nodiscard]] std::uint16_t random_bits() const { return flags & kFlagRandomMask; }
  // RFC 5991 §3.1: the z bit (0x4000) MUST be 0; U and G stay 0 as in RFC 4380 §4.
  // Whether the random bits really are random cannot be seen in one address.
  [[nodiscard]] bool rfc5991_compliant() const {
    return (flags & (kFlagReservedZ | kFlagUniversal | kFlagGroup)) == 0;
  }
  auto operator<=>(const TeredoAddress&) const = default;
};

// True if the address lies in 2001:0000::/32 (RFC 4380 §2.6), or in `prefix`/32.
bool is_teredo(const Ipv6Address& a, std::uint32_t prefix = kTeredoPrefix);

// RFC 5991 §3.1 flags: C as given, z/U/G zero, the 12 random bits taken from `random`
// (which must come from a CSPRNG, RFC 5991 §4).
constexpr std::uint16_t make_flags(bool cone, std::uint16_t random) {
  return static_cast<std::uint16_t>((cone ? kFlagCone : 0) | (random & kFlagRandomMask));
}

// RFC 4380 §5.1.1 obfuscation, shared by the address and the origin indication.
constexpr std::uint16_t obfuscate_port(std::uint16_t p) {
  return static_cast<std::uint16_t>(p ^ kPortObfuscation);
}
constexpr Ipv4Address obfuscate_ipv4(Ipv4Address a) { return {a.value ^ kIpv4Obfuscation}; }

// The server's link-local address, source of its RAs (RFC 4380 §5.3.2): fe80::/64 with
// C = 1, port 3544 and the server IPv4, obfuscated: fe80::8000:f227:<~server>.
Ipv6Address server_link_local(Ipv4Address server);

// The link-local source of a client's RS (RFC 4380 §5.2.1). The identifier is not specified
// beyond the C bit; we use fe80::ffff:ffff:ffff (C = 0) and fe80::8000:ffff:ffff:fffd (C = 1),
// the forms that deployed clients (Miredo, Windows) send.
Ipv6Address client_rs_link_local(bool cone);

// The Teredo client prefix 2001:0:<server>::/64 (RFC 4380 §2.12) as an address with a zero
// node identifier.
Ipv6Address teredo_prefix(Ipv4Address server, std::uint32_t prefix = kTeredoPrefix);

}  // namespace shipworm::wire
