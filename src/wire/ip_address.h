// IPv4 and IPv6 address value types, and the UDP endpoint ("mapping" in RFC 4380 terms).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wire/bytes.h"

namespace shipworm::wire {

struct Ipv4Address {
  std::uint32_t value = 0;  // host byte order: 192.0.2.1 == 0xC0000201

  static constexpr Ipv4Address from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                           std::uint8_t d) {
    return {(std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) |
            std::uint32_t{d}};
  }
  // Dotted quad only; anything else (including surrounding spaces) is rejected.
  static std::optional<Ipv4Address> parse(std::string_view text);
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] std::array<std::uint8_t, 4> octets() const {
    return {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
            static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
  }
  auto operator<=>(const Ipv4Address&) const = default;
};

// RFC 4380 §5.2.4: the exact list of ranges that are not "global unicast". The RFC's list
// is exhaustive; 100.64/10, 240/4 and the TEST-NETs pass it (docs/rfc-notes.md §1). The
// directed-broadcast address of an attached subnet is also excluded by the RFC; only the
// OS layer knows the attached subnets, so that check lives there.
bool is_global_unicast(Ipv4Address a);

struct Endpoint {
  Ipv4Address address;
  std::uint16_t port = 0;

  [[nodiscard]] std::string to_string() const;  // "192.0.2.1:3544"
  auto operator<=>(const Endpoint&) const = default;
};

struct Ipv6Address {
  std::array<std::uint8_t, 16> bytes{};

  static Ipv6Address from_bytes(Bytes b);  // precondition: b.size() >= 16
  static std::optional<Ipv6Address> parse(std::string_view text);
  [[nodiscard]] std::string to_string() const;  // RFC 5952 canonical text

  [[nodiscard]] bool is_link_local() const { return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80; }
  [[nodiscard]] bool is_multicast() const { return bytes[0] == 0xff; }
  [[nodiscard]] bool is_unspecified() const {
    for (auto b : bytes) {
      if (b != 0) return false;
    }
    return true;
  }
  auto operator<=>(const Ipv6Address&) const = default;
};

// Well-known addresses used by Teredo (RFC 4380 §5.2.1, §5.2.8).
inline constexpr Ipv6Address kAllNodes{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
inline constexpr Ipv6Address kAllRouters{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};

}  // namespace shipworm::wire
