// Cryptographically secure random bytes from the kernel (getrandom(2)): the RFC 5991 §4
// random flag bits, nonces (RFC 4380 §5.2.2, §5.2.9) and RFC 6081 trailer nonces.
#pragma once

#include <cstdint>
#include <span>

namespace shipworm::os {

// Fills `out`; aborts if the kernel cannot supply randomness (nothing safe to do then).
void fill_random(std::span<std::uint8_t> out);

template <class T>
T random_value() {
  T v{};
  fill_random({reinterpret_cast<std::uint8_t*>(&v), sizeof v});  // NOLINT
  return v;
}

}  // namespace shipworm::os
