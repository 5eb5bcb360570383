// Per-source token buckets in a fixed amount of memory, so that a server or relay cannot be
// used as a reflector (RFC 4380 §7.3) and an attacker with many spoofed sources cannot make
// memory grow (the server is stateless, RFC 4380 §3.2.3).
//
// The table is set-associative: a key hashes (with a secret per-process key, so sources
// cannot be chosen to collide) to a set of kWays slots; a new key takes a free slot or
// evicts the least recently seen one in its set. An evicted source starts again with a full
// bucket, which bounds the damage of eviction to one burst.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/time.h"

namespace shipworm::core {

struct TokenBucketConfig {
  double rate_per_second = 0;  // sustained rate; 0 disables the limiter (always allow)
  double burst = 0;            // bucket size
};

class RateLimiter {
 public:
  static constexpr std::size_t kWays = 4;

  // `slots` is rounded up to a multiple of kWays; memory is allocated once, here.
  RateLimiter(TokenBucketConfig config, std::size_t slots, std::uint64_t hash_key);

  // Takes one token for `key` if it has one.
  bool allow(std::uint64_t key, TimePoint now);

  [[nodiscard]] std::size_t capacity() const { return slots_.size(); }
  [[nodiscard]] std::uint64_t evictions() const { return evictions_; }
  [[nodiscard]] const TokenBucketConfig& config() const { return config_; }

 private:
  struct Slot {
    std::uint64_t key = 0;
    TimePoint last{};
    double tokens = 0;
    bool used = false;
  };
  TokenBucketConfig config_;
  std::vector<Slot> slots_;
  std::uint64_t hash_key_;
  std::uint64_t evictions_ = 0;
};

}  // namespace shipworm::core
