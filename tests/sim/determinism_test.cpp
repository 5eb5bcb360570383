// A seed replays a run exactly: the same seed gives the same event trace (hash of every
// delivered datagram, IPv6 packet, timer and TUN write, with its simulated time).
#include <gtest/gtest.h>

#include "scenario.h"

namespace shipworm::sim {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  std::uint64_t hash;
  std::uint64_t events;
};

Outcome busy_run(std::uint64_t seed) {
  LinkProfile l{20ms, 40ms, 0.1, 0.05, 0.1};
  Scenario s(seed, LinkProfile{5ms, 5ms});
  ClientHost& a = s.add_client(NatKind::kPortRestricted, ClientOptions::on(l));
  ClientHost& b = s.add_client(NatKind::kSymmetric, ClientOptions::on(l));
  ClientHost& c = s.add_client(NatKind::kFullCone, ClientOptions::on(l));
  s.add_relay(0);
  NativeHost& n = s.add_native(0);
  s.qualify_all();
  for (std::uint32_t i = 0; i < 60; ++i) {
    for (ClientHost* x : {&a, &b, &c}) {
      if (!x->address()) continue;
      x->send_app(n.address(), i);
      for (ClientHost* y : {&a, &b, &c}) {
        if (y != x && y->address()) x->send_app(*y->address(), i);
      }
    }
    s.world.run_for(1s);
  }
  s.nat_of(a).reboot();
  s.world.run_for(2min);
  return {s.world.trace_hash(), s.world.events()};
}

TEST(Determinism, TheSameSeedReplaysTheSameTrace) {
  for_each_seed(5, [&](std::uint64_t seed) {
    const Outcome first = busy_run(seed);
    const Outcome again = busy_run(seed);
    EXPECT_EQ(first.hash, again.hash);
    EXPECT_EQ(first.events, again.events);
    EXPECT_GT(first.events, 1000u);
    const Outcome other = busy_run(seed + 1000);
    EXPECT_NE(first.hash, other.hash);
  });
}

}  // namespace
}  // namespace shipworm::sim
