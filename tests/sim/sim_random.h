// The simulator's only source of randomness: a seeded std::mt19937_64. Every random choice
// (link loss, jitter, NAT ports) and every engine's RandomSource draws from generators forked
// off one seed, so a seed replays a run exactly.
#pragma once

#include <cstdint>
#include <random>
#include <span>

#include "core/client_random.h"

namespace shipworm::sim {

class SimRandom : public core::RandomSource {
 public:
  explicit SimRandom(std::uint64_t seed) : gen_(seed) {}

  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = static_cast<std::uint8_t>(gen_() >> 56);
  }
  std::uint64_t next() { return gen_(); }
  // Uniform in [0, 1).
  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_); }
  bool chance(double p) { return p > 0.0 && uniform() < p; }
  // Uniform integer in [lo, hi].
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(gen_);
  }
  // A child generator with its own stream (one per engine), derived deterministically.
  SimRandom fork() { return SimRandom(gen_() ^ 0x9E3779B97F4A7C15ULL); }

 private:
  std::mt19937_64 gen_;
};

}  // namespace shipworm::sim
