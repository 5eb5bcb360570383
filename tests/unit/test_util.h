#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "wire/bytes.h"

namespace shipworm::test {

inline std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == ':') {
      continue;
    } else {
      throw std::invalid_argument("bad hex");
    }
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd hex");
  return out;
}

inline std::string to_hex(wire::Bytes b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (auto x : b) {
    s += kDigits[x >> 4];
    s += kDigits[x & 15];
  }
  return s;
}

// A buffer plus a Writer, for building packets in tests.
struct Buffer {
  std::vector<std::uint8_t> storage = std::vector<std::uint8_t>(2048);
  wire::Writer w{storage};
  [[nodiscard]] wire::Bytes bytes() const { return w.written(); }
  [[nodiscard]] std::vector<std::uint8_t> vec() const {
    return {w.written().begin(), w.written().end()};
  }
};

}  // namespace shipworm::test

#include "wire/checksum.h"
#include "wire/ip_address.h"

namespace shipworm::test {

// Recomputes the ICMPv6 checksum of an IPv6 packet at the start of `p` (payload length from
// the actual size), so tests can alter one field and keep the checksum valid.
inline void fix_icmpv6(std::vector<std::uint8_t>& p) {
  const auto plen = static_cast<std::uint16_t>(p.size() - 40);
  wire::store_u16(p, 4, plen);
  wire::store_u16(p, 42, 0);
  const wire::Bytes all = p;
  const auto src = wire::Ipv6Address::from_bytes(all.subspan(8, 16));
  const auto dst = wire::Ipv6Address::from_bytes(all.subspan(24, 16));
  wire::store_u16(p, 42, wire::icmpv6_checksum(src, dst, all.subspan(40)));
}

// Sum over the pseudo-header (RFC 8200 §8.1) and the upper-layer bytes of an IPv6 packet
// without extension headers (Next Header from byte 6, length = what follows the 40-byte
// header): 0xffff when its TCP or UDP checksum is right. Built here byte by byte, not with
// wire::pseudo_header_sum, so that the offload code is checked against a second rendering.
inline std::uint16_t transport_sum(wire::Bytes p) {
  const std::size_t len = p.size() - 40;
  const std::uint8_t pseudo[8] = {
      0, 0, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len), 0, 0, 0, p[6]};
  std::uint32_t s = wire::ones_complement_sum(p.subspan(8, 32));
  s = wire::ones_complement_sum(pseudo, s);
  s = wire::ones_complement_sum(p.subspan(40), s);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

}  // namespace shipworm::test

namespace shipworm::test {
inline void append(std::vector<std::uint8_t>& p, std::initializer_list<std::uint8_t> bytes) {
  p.insert(p.end(), bytes.begin(), bytes.end());
}
}  // namespace shipworm::test
