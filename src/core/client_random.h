// The client's source of randomness: RFC 5991 §3.1 flag bits, RS nonces (RFC 4380 §5.2.2),
// ping-test nonces (§5.2.9), RFC 6081 trailer nonces and timer jitter (§5.2). The daemon
// implements it with getrandom(2) (os/linux/csprng.h, RFC 5991 §4 asks for a CSPRNG); tests
// pass a deterministic fake, so every engine decision is reproducible.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace shipworm::core {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;

  std::uint16_t u16() {
    std::array<std::uint8_t, 2> b{};
    fill(b);
    return static_cast<std::uint16_t>((b[0] << 8) | b[1]);
  }
  std::uint32_t u32() {
    std::array<std::uint8_t, 4> b{};
    fill(b);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
  }
  // Uniform in [0, 1), 32 bits of resolution.
  double unit() { return static_cast<double>(u32()) / 4294967296.0; }
};

}  // namespace shipworm::core
