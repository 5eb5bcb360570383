#include <gtest/gtest.h>

#include "core/rate_limiter.h"

namespace shipworm::core {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{};

TEST(RateLimiter, AllowsTheBurstThenRefillsAtTheRate) {
  RateLimiter rl({2.0, 5.0}, 64, 1);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.allow(7, t0)) << i;
  EXPECT_FALSE(rl.allow(7, t0));
  EXPECT_FALSE(rl.allow(7, t0 + 400ms));  // 0.8 tokens
  EXPECT_TRUE(rl.allow(7, t0 + 500ms));   // 1.0 token
  EXPECT_FALSE(rl.allow(7, t0 + 500ms));
  // Long idle refills to the burst, never beyond.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.allow(7, t0 + 1h)) << i;
  EXPECT_FALSE(rl.allow(7, t0 + 1h));
}

TEST(RateLimiter, SourcesAreIndependent) {
  RateLimiter rl({1.0, 1.0}, 64, 1);
  EXPECT_TRUE(rl.allow(1, t0));
  EXPECT_FALSE(rl.allow(1, t0));
  EXPECT_TRUE(rl.allow(2, t0));
}

TEST(RateLimiter, ZeroRateDisablesLimiting) {
  RateLimiter rl({0, 0}, 4, 1);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(rl.allow(1, t0));
}

TEST(RateLimiter, MemoryIsFixedWhateverTheNumberOfSources) {
  RateLimiter rl({1.0, 1.0}, 1000, 42);
  const auto cap = rl.capacity();
  EXPECT_EQ(cap % RateLimiter::kWays, 0u);
  EXPECT_GE(cap, 1000u);
  for (std::uint64_t k = 0; k < 200000; ++k) rl.allow(k, t0 + std::chrono::microseconds(k));
  EXPECT_EQ(rl.capacity(), cap);
  EXPECT_GE(rl.evictions(), 200000u - cap);
}

TEST(RateLimiter, EvictsTheLeastRecentlySeenSourceOfItsSet) {
  // One set of four ways: a fifth source evicts the oldest one.
  RateLimiter rl({0.01, 1.0}, 4, 9);
  for (std::uint64_t k = 1; k <= 4; ++k) EXPECT_TRUE(rl.allow(k, t0 + std::chrono::seconds(k)));
  EXPECT_TRUE(rl.allow(5, t0 + 5s));
  EXPECT_EQ(rl.evictions(), 1u);
  // Sources 2..4 are still tracked (and empty); source 1 was evicted and starts full again.
  EXPECT_FALSE(rl.allow(4, t0 + 5s));
  EXPECT_TRUE(rl.allow(1, t0 + 5s));
}

}  // namespace
}  // namespace shipworm::core
