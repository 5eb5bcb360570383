// The 4-byte nonce of the RFC 6081 §4.2 Nonce Trailer, carried by indirect bubbles and echoed
// by direct ones (§5.2.3). On the wire it is 4 bytes in network order; peers keep it as Nonce
// Sent / Nonce Received (§5.2.1), where zero means "none" (Nonce32{} is empty()).
//
// The 8-byte nonce of the RFC 4380 §5.1.1 authentication encapsulation (router solicitations
// and advertisements, §5.2.1) is wire::Nonce (encapsulation.h), kept as bytes: it is only ever
// copied and compared, never packed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "wire/bytes.h"

namespace shipworm::wire {

class Nonce32 {
 public:
  static constexpr std::size_t kSize = 4;

  constexpr Nonce32() = default;
  constexpr explicit Nonce32(std::uint32_t value) : value_(value) {}

  // From the trailer's value bytes (network order).
  [[nodiscard]] static Nonce32 load(Bytes four) { return Nonce32{load_u32(four, 0)}; }
  // The value bytes as they go on the wire.
  [[nodiscard]] constexpr std::array<std::uint8_t, kSize> bytes() const {
    return {static_cast<std::uint8_t>(value_ >> 24), static_cast<std::uint8_t>(value_ >> 16),
            static_cast<std::uint8_t>(value_ >> 8), static_cast<std::uint8_t>(value_)};
  }
  void store(Writer& w) const { w.u32(value_); }

  [[nodiscard]] constexpr std::uint32_t value() const { return value_; }
  // Zero: "no nonce" in the RFC 6081 per-peer state.
  [[nodiscard]] constexpr bool empty() const { return value_ == 0; }

  friend constexpr bool operator==(Nonce32, Nonce32) = default;

 private:
  std::uint32_t value_ = 0;
};

}  // namespace shipworm::wire
