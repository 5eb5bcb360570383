#include "core/rate_limiter.h"

#include <algorithm>

namespace shipworm::core {
namespace {

// splitmix64's finaliser: a keyed mix that spreads sources evenly across sets.
std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

RateLimiter::RateLimiter(TokenBucketConfig config, std::size_t slots, std::uint64_t hash_key)
    : config_(config),
      slots_(std::max<std::size_t>(kWays, (slots + kWays - 1) / kWays * kWays)),
      hash_key_(hash_key) {}

bool RateLimiter::allow(std::uint64_t key, TimePoint now) {
  if (config_.rate_per_second <= 0) return true;
  const std::size_t sets = slots_.size() / kWays;
  Slot* set = &slots_[(mix(key ^ hash_key_) % sets) * kWays];
  Slot* slot = nullptr;
  Slot* victim = set;
  for (std::size_t i = 0; i < kWays; ++i) {
    Slot& s = set[i];
    if (s.used && s.key == key) {
      slot = &s;
      break;
    }
    if (!s.used || (victim->used && s.last < victim->last)) victim = &s;
  }
  if (slot == nullptr) {
    if (victim->used) ++evictions_;
    *victim = Slot{key, now, config_.burst, true};
    slot = victim;
  } else if (now > slot->last) {
    slot->tokens = std::min(
        config_.burst, slot->tokens + seconds_between(slot->last, now) * config_.rate_per_second);
    slot->last = now;
  }
  if (slot->tokens < 1.0) return false;
  slot->tokens -= 1.0;
  return true;
}

}  // namespace shipworm::core
